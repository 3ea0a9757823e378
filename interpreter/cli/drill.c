/* drill.c — `runbook drill FILE (--scenario S | --live)`: a rehearsal or a real run,
 * then what it achieved against the runbook's `objectives` (RTO, RPO), the per-step
 * durations, the critical path as it ran, polls, retries and rollback actions; the
 * reports; and one line in the drill register (drills.c reads it).
 *
 * The engine measures the objectives at the end of the run (run_finished's
 * "objectives"); everything here comes from the run's journal through run_fold.
 *
 * The register, in the state store (state_drill_append; a folder's is DIR/drills.jsonl,
 * 0600, one JSON object per line, fsync'd):
 *   {"v": 1, "run", "runbook", "path", "sha256", "mode": "scenario"|"live",
 *    "scenario": path|null, "started", "finished", "status", "exit_code",
 *    "rto": {objective_ms, achieved_ms, met}, "rpo": {objective_ms, achieved_ms, met},
 *    "met": true|false|null, "report_dir": path|null}
 * exit_code is the drill's (below); nothing secret is written (the record is redacted).
 *
 * Exit: the run's code when it did not succeed (1, 3, 4); else 5 when an objective was
 * missed or could not be measured; else 0. 2: invalid input, nothing ran.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "display.h"
#include "sweep.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/events.h"
#include "../core/fs.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "../report/report.h"
#include "../state/state.h"

static const char help[] =
	"Run FILE as a DR drill and measure it against the runbook's objectives: a rehearsal\n"
	"against the embedded simulator (--scenario, virtual clock) or a real run (--live,\n"
	"every confirmation asked on the terminal). Prints RTO and RPO achieved against their\n"
	"objectives, each step's duration, the critical path as it ran, polls, retries and\n"
	"rollback actions; appends the drill to the register (`runbook drills`).\n\n"
	;

enum { O_LIVE = 256, O_REPORT_DIR, O_RECORD, O_YES, O_WAIT_LOCK };

const struct cli_opt cli_drill_opts[] = {
	{ "scenario", 0, "FILE", NULL, 's',
	  "rehearse against this simulated world (runbook-scenario(5))", CLI_OPT_OR },
	{ "live", 0, NULL, NULL, O_LIVE,
	  "run for real (no --yes: a drill asks every confirmation)" },
	{ "param", 'p', "K=V", NULL, 'p',
	  "set a param (repeatable); K@FILE: the value is FILE's content", CLI_OPT_MANY },
	{ "params-file", 0, "F", NULL, 'f',
	  "params from a YAML or JSON map (-p wins)" },
	{ "report-dir", 0, "DIR", NULL, O_REPORT_DIR,
	  "also write report.md, report.json, report.xml (JUnit) and\n"
	  "timeline.svg there (created 0700 if missing)" },
	{ "record", 0, "TAPE", NULL, O_RECORD,
	  "append every action call and result to TAPE (JSON lines)" },
	{ "state-dir", 0, "DIR", NULL, 'd',
	  "the state store: a folder, or a postgresql:// URI (default\n$RUNBOOK_STATE_DIR or ./.runbook)" },
	{ "wait-lock", 0, "DURATION", NULL, O_WAIT_LOCK,
	  "--live: when another run holds the runbook's lock:, wait for\nit up to DURATION instead of exiting 6" },
	{ "output", 0, "FORMAT", "text|json", 'o',
	  "text (default) or json (the run's events, then {\"drill\": ...})" },
	{ "yes", 0, NULL, NULL, O_YES, NULL },   /* hidden */
	CLI_OPT_COLOR,
	CLI_OPT_END,
};

static const char help_tail[] =
	"\n"
	"A --live drill takes the runbook's lock: as run does; a --scenario drill (a\n"
	"rehearsal) takes none.\n\n"
	"exit: 0 objectives met, 1 failed (rolled back), 2 invalid input, 3 rollback\n"
	"      incomplete, 4 declined or aborted, 5 an objective missed or not measurable,\n"
	"      6 not started: the runbook's lock is held by another run\n";

/* the critical path as it ran (the report's: from the step that ended last, back
 * through the need that ended last): [ids] in run order, its span in *ms */
static jv critical_path(jv rep, int64_t *ms)
{
	jv ids = jvx_get(rep, "critical_path"), steps = jvx_get(rep, "steps");
	int64_t first = -1, last = -1;
	*ms = 0;
	if (jv_get_kind(ids) != JV_KIND_ARRAY) {
		jv_free(ids);
		ids = jv_array();
	}
	jv_array_foreach(steps, i, st) {
		const char *id = jvx_str(st, "id");
		int on = 0;
		jv_array_foreach(ids, k, c) {
			on |= id && !strcmp(jv_string_value(c), id);
			jv_free(c);
			(void)k;
		}
		int64_t off = jvx_int(st, "offset_ms", -1), dur = jvx_int(st, "duration_ms", -1);
		if (on && off >= 0) {
			if (first < 0 || off < first)
				first = off;
			if (dur >= 0 && off + dur > last)
				last = off + dur;
		}
		jv_free(st);
		(void)i;
	}
	jv_free(steps);
	if (first >= 0 && last >= first)
		*ms = last - first;
	return ids;
}

/* one objective for the register: {objective_ms, achieved_ms, met} */
static jv objective_brief(jv objectives, const char *name)
{
	jv o = jvx_get(objectives, name), b = jv_object();
	static const char *const keys[] = { "objective_ms", "achieved_ms", "met" };
	for (int i = 0; i < 3; i++) {
		jv v = jvx_get(o, keys[i]);
		b = jv_object_set(b, jv_string(keys[i]), jv_is_valid(v) ? v : jv_null());
	}
	jv_free(o);
	return b;
}

/* What the drill prints, keeps in report.json and reads back: the objectives as
 * measured, steps, critical path, polls, retries, rollback actions. New jv. */
static jv drill_summary(jv rep, const struct run_fold *f, const char *mode,
			const char *scenario, int exit_code)
{
	jv s = jv_object(), steps = jv_array();
	int polls = 0, retries = 0, rb_failed = 0;
	int64_t crit_ms = 0;
	s = jv_object_set(s, jv_string("run"), f->run ? jv_string(f->run) : jv_null());
	s = jv_object_set(s, jv_string("runbook"), f->runbook ? jv_string(f->runbook) : jv_null());
	s = jv_object_set(s, jv_string("mode"), jv_string(mode));
	s = jv_object_set(s, jv_string("scenario"), scenario ? jv_string(scenario) : jv_null());
	s = jv_object_set(s, jv_string("status"), jv_string(run_fold_status(f)));
	s = jv_object_set(s, jv_string("run_exit_code"),
			  jv_number((double)jvx_int(f->finished, "exit_code", -1)));
	s = jv_object_set(s, jv_string("exit_code"), jv_number(exit_code));
	s = jv_object_set(s, jv_string("duration_ms"),
			  f->t_start >= 0 && f->t_end >= 0 ? jv_number((double)(f->t_end - f->t_start)) : jv_null());
	jv ob = jvx_get(f->finished, "objectives");
	s = jv_object_set(s, jv_string("objectives"), jv_is_valid(ob) ? ob : jv_null());
	for (int i = 0; i < f->nsteps; i++) {
		const struct run_fold_step *st = &f->steps[i];
		jv r = jv_object();
		r = jv_object_set(r, jv_string("id"), jv_string(st->id));
		r = jv_object_set(r, jv_string("status"), st->status ? jv_string(st->status) : jv_null());
		r = jv_object_set(r, jv_string("duration_ms"), st->t_start >= 0 && st->t_end >= 0 ?
				  jv_number((double)(st->t_end - st->t_start)) : st->dur_field >= 0 ?
				  jv_number((double)st->dur_field) : jv_null());
		r = jv_object_set(r, jv_string("attempts"), jv_number(st->attempt > 0 ? st->attempt : st->starts));
		r = jv_object_set(r, jv_string("retries"), jv_number(st->retries));
		r = jv_object_set(r, jv_string("polls"), jv_number(st->polls));
		steps = jv_array_append(steps, r);
		polls += st->polls;
		retries += st->retries;
	}
	s = jv_object_set(s, jv_string("steps"), steps);
	jv crit = jv_object_set(jv_object(), jv_string("steps"), critical_path(rep, &crit_ms));
	crit = jv_object_set(crit, jv_string("duration_ms"), jv_number((double)crit_ms));
	s = jv_object_set(s, jv_string("critical_path"), crit);
	s = jv_object_set(s, jv_string("polls"), jv_number(polls));
	s = jv_object_set(s, jv_string("retries"), jv_number(retries));
	int nrb = jv_array_length(jv_copy(f->rollback_steps));
	jv_array_foreach(f->rollback_steps, i, r) {
		const char *st = jvx_str(r, "status");
		rb_failed += st && strcmp(st, "succeeded") != 0;
		jv_free(r);
		(void)i;
	}
	jv rb = jv_object_set(jv_object(), jv_string("actions"), jv_number(nrb));
	rb = jv_object_set(rb, jv_string("failed"), jv_number(rb_failed));
	s = jv_object_set(s, jv_string("rollback"), rb);
	return s;
}

static const char *fmt_ms(jv v, char *b, size_t n)
{
	if (jv_get_kind(v) != JV_KIND_NUMBER) {
		jv_free(v);
		return "-";
	}
	dur_format((int64_t)jv_number_value(v), b, n);
	jv_free(v);
	return b;
}

static const char *met_word(jv m)
{
	int k = jv_get_kind(m);
	jv_free(m);
	return k == JV_KIND_TRUE ? "met" : k == JV_KIND_FALSE ? "MISSED" : "not measured";
}

/* "RTO  achieved 40m  objective 30m  MISSED (restored: restore)" and the RPO's */
static int objective_lines(struct buf *b, jv ob, const char *bullet)
{
	int berr = 0;
	static const char *const names[] = { "rto", "rpo" };
	char x[32], y[32];
	for (int i = 0; i < 2; i++) {
		jv o = jvx_get(ob, names[i]);
		berr |= buf_addf(b, "%s%s  achieved %-9s objective %-9s %s", bullet, i ? "RPO" : "RTO",
			 fmt_ms(jvx_get(o, "achieved_ms"), x, sizeof(x)),
			 fmt_ms(jvx_get(o, "objective_ms"), y, sizeof(y)), met_word(jvx_get(o, "met")));
		if (i == 0 && jvx_str(o, "restored"))
			berr |= buf_addf(b, " (restored: step '%s')", jvx_str(o, "restored"));
		if (i == 1 && jvx_str(o, "recovery_point") && jvx_str(o, "incident_time"))
			berr |= buf_addf(b, " (recovery point %s, incident %s)", jvx_str(o, "recovery_point"),
				 jvx_str(o, "incident_time"));
		berr |= buf_addc(b, '\n');
		jv_free(o);
	}
	jv errs = jvx_get(ob, "errors");
	if (jv_get_kind(errs) == JV_KIND_OBJECT) {
		jv_object_foreach(errs, k, v) {
			berr |= buf_addf(b, "%snot measured: %s: %s\n", bullet, jv_string_value(k),
				 jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "?");
			jv_free(k);
			jv_free(v);
		}
	}
	jv_free(errs);
	return berr;
}

/* the summary as text (md: as a Markdown section for report.md) */
static char *summary_text(jv s, int md)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	char d[32];
	const char *bullet = md ? "- " : "  ";
	const char *scen = jvx_str(s, "scenario");
	if (md)
		berr |= buf_adds(&b, "\n## Drill\n\n");
	berr |= buf_addf(&b, "%sdrill of %s%s%s%s, run %s: %s\n", md ? "" : "\n", jvx_str(s, "runbook"),
		 scen ? " (scenario " : " (live", scen ? scen : "", ")", jvx_str(s, "run"), jvx_str(s, "status"));
	if (md)
		berr |= buf_addc(&b, '\n');
	jv ob = jvx_get(s, "objectives");
	if (jv_get_kind(ob) == JV_KIND_OBJECT)
		berr |= objective_lines(&b, ob, bullet);
	else
		berr |= buf_addf(&b, "%sobjectives not measured: the run recorded none\n", bullet);
	jv_free(ob);
	berr |= buf_addf(&b, "%s%s\n", md ? "\n" : "", md ? "| step | status | duration | attempts | polls |\n|---|---|---|---|---|" :
		 "steps:");
	jv steps = jvx_get(s, "steps");
	jv_array_foreach(steps, i, r) {
		const char *st = jvx_str(r, "status");
		if (md)
			berr |= buf_addf(&b, "| %s | %s | %s | %d | %d |\n", jvx_str(r, "id"), st ? st : "not run",
				 fmt_ms(jvx_get(r, "duration_ms"), d, sizeof(d)), (int)jvx_int(r, "attempts", 0),
				 (int)jvx_int(r, "polls", 0));
		else
			berr |= buf_addf(&b, "  %-28s %-12s %-9s attempts %d, polls %d\n", jvx_str(r, "id"), st ? st : "not run",
				 fmt_ms(jvx_get(r, "duration_ms"), d, sizeof(d)), (int)jvx_int(r, "attempts", 0),
				 (int)jvx_int(r, "polls", 0));
		jv_free(r);
		(void)i;
	}
	jv_free(steps);
	jv crit = jvx_get(s, "critical_path");
	jv cs = jvx_get(crit, "steps");
	berr |= buf_addf(&b, "%scritical path: ", md ? "\n" : "");
	jv_array_foreach(cs, i, id) {
		berr |= buf_addf(&b, "%s%s", i ? " -> " : "", jv_string_value(id));
		jv_free(id);
	}
	berr |= buf_addf(&b, " (%s)\n", fmt_ms(jvx_get(crit, "duration_ms"), d, sizeof(d)));
	jv_free(cs);
	jv_free(crit);
	jv rb = jvx_get(s, "rollback");
	berr |= buf_addf(&b, "%spolls %d, retries %d, rollback actions %d (%d failed)\n", md ? "\n" : "",
		 (int)jvx_int(s, "polls", 0), (int)jvx_int(s, "retries", 0), (int)jvx_int(rb, "actions", 0),
		 (int)jvx_int(rb, "failed", 0));
	BUF_NOCAP(berr);
	jv_free(rb);
	return buf_detach(&b);
}

/* --report-dir: report.md (the run's report and a Drill section), report.json (with
 * the "drill" key), report.xml (JUnit), timeline.svg; 0, or -1 when one could not be
 * written (said) */
static int report_dir_files(const char *dir, jv rep, jv summary)
{
	static const struct { const char *name; enum report_format fmt; } files[] = {
		{ "report.md", REPORT_MARKDOWN }, { "report.json", REPORT_JSON },
		{ "report.xml", REPORT_JUNIT }, { "timeline.svg", REPORT_SVG },
	};
	int rc = 0;
	if (fs_mkdir_p(dir, 0700) < 0) {
		cli_error("cannot create the report folder '%s': %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[PATH_MAX];
		struct buf b = BUF_INIT(0);
		jv r = jv_copy(rep);
		if (files[i].fmt == REPORT_JSON)
			r = jv_object_set(r, jv_string("drill"), jv_copy(summary));
		char *text = report_format(r, files[i].fmt);
		jv_free(r);
		int bad = !text || buf_adds(&b, text) < 0;
		free(text);
		if (!bad && files[i].fmt == REPORT_MARKDOWN) {
			char *md = summary_text(summary, 1);
			bad |= buf_adds(&b, md) < 0;
			free(md);
		}
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		if (bad || fs_write_atomic(path, b.data ? b.data : "", b.len, 0600) < 0) {
			cli_error("cannot write '%s': %s", path, bad ? "too large" : strerror(errno));
			rc = -1;
		}
		buf_release(&b);
	}
	return rc;
}

/* the drill's record appended to the register, durably; 0 / -1 (said) */
static int register_append(struct state *st, jv rec)
{
	jv err = jv_invalid();
	if (state_drill_append(st, rec, &err) < 0) {
		cli_error("%s", jv_string_value(err));
		jv_free(err);
		return -1;
	}
	return 0;
}

static jv abs_path(const char *p)
{
	char *r = p ? realpath(p, NULL) : NULL;
	jv v = r ? jv_string(r) : p ? jv_string(p) : jv_null();
	free(r);
	return v;
}

static jv register_record(const struct run_fold *f, jv summary, const char *path, const char *mode,
			  const char *scenario, const char *report_dir, int exit_code)
{
	jv r = jv_object(), ob = jvx_get(summary, "objectives");
	const char *sha = jvx_str(f->started, "sha256");
	r = jv_object_set(r, jv_string("v"), jv_number(1));
	r = jv_object_set(r, jv_string("run"), f->run ? jv_string(f->run) : jv_null());
	r = jv_object_set(r, jv_string("runbook"), f->runbook ? jv_string(f->runbook) : jv_null());
	r = jv_object_set(r, jv_string("path"), abs_path(path));
	r = jv_object_set(r, jv_string("sha256"), sha ? jv_string(sha) : jv_null());
	r = jv_object_set(r, jv_string("mode"), jv_string(mode));
	r = jv_object_set(r, jv_string("scenario"), abs_path(scenario));
	jv t = jvx_get(f->started, "time");
	r = jv_object_set(r, jv_string("started"), jv_is_valid(t) ? t : jv_null());
	t = jvx_get(f->finished, "time");
	r = jv_object_set(r, jv_string("finished"), jv_is_valid(t) ? t : jv_null());
	r = jv_object_set(r, jv_string("status"), jv_string(run_fold_status(f)));
	r = jv_object_set(r, jv_string("exit_code"), jv_number(exit_code));
	r = jv_object_set(r, jv_string("rto"), objective_brief(ob, "rto"));
	r = jv_object_set(r, jv_string("rpo"), objective_brief(ob, "rpo"));
	jv met = jvx_get(ob, "met");
	r = jv_object_set(r, jv_string("met"), jv_is_valid(met) ? met : jv_null());
	r = jv_object_set(r, jv_string("report_dir"), abs_path(report_dir));
	jv_free(ob);
	return r;
}

int cmd_drill(int argc, char **argv)
{
	const char *scenario = NULL, *state_opt = NULL, *output = "text", *report_dir = NULL,
		   *record = NULL;
	struct state *st = NULL;
	int64_t wait_lock = 0;
	int live = 0, yes = 0, c, rc = EXIT_INVALID, run_rc, mode;
	jv raw = jv_object(), events = jv_invalid(), summary = jv_invalid(), rep = jv_invalid();
	struct diag_list dl = { 0 };
	struct cli_setup su = CLI_SETUP_INIT;
	struct rehearsal r = { .before = jv_invalid(), .after = jv_invalid() };
	struct run_fold fold;
	char *run_id = NULL;
	enum cli_color color = CLI_COLOR_AUTO;

	run_fold_init(&fold);
	optind = 1;
	while ((c = cli_opt_next(cli_drill_opts, argc, argv)) != -1) {
		switch (c) {
		case 's': scenario = optarg; break;
		case O_LIVE: live = 1; break;
		case 'p':
			if (cli_param_add(&raw, optarg) < 0)
				goto out;
			break;
		case 'f':
			if (cli_params_file(&raw, optarg, &dl) < 0)
				goto out;
			break;
		case O_REPORT_DIR: report_dir = optarg; break;
		case O_RECORD: record = optarg; break;
		case 'd': state_opt = optarg; break;
		case O_WAIT_LOCK:
			if (cli_duration_opt("--wait-lock", optarg, &wait_lock) < 0)
				goto out;
			break;
		case 'o': output = optarg; break;
		case CLI_O_COLOR:
			if (cli_color_parse(optarg, &color) < 0)
				goto out;
			break;
		case O_YES: yes = 1; break;
		case 'h':
			cli_help(stdout, help, cli_drill_opts, help_tail);
			rc = 0;
			goto out;
		default:
			cli_help(stderr, help, cli_drill_opts, help_tail);
			goto out;
		}
	}
	if (optind != argc - 1) {
		cli_error(optind >= argc ? "drill needs a runbook FILE" : "drill takes one runbook FILE");
		cli_help(stderr, help, cli_drill_opts, help_tail);
		goto out;
	}
	if (!!scenario == live) {
		cli_error(live ? "drill takes --scenario or --live, not both" :
			  "drill needs --scenario SCENARIO (a rehearsal) or --live (a real run)");
		cli_help(stderr, help, cli_drill_opts, help_tail);
		goto out;
	}
	if (yes) {
		cli_error("drill takes no --yes: a drill asks every confirmation, as the restore would");
		goto out;
	}
	if (cli_output_mode(output, 1, &mode) < 0)
		goto out;
	if (cli_setup_load(&su, argv[optind], &dl) < 0) {
		cli_print_diags(&dl);
		goto out;
	}
	if (!su.ld.rb->objectives.declared) {
		cli_error("runbook '%s' declares no objectives: a drill measures RTO and RPO against them "
			  "(add e.g. 'objectives: {rto: 30m}')", su.ld.rb->name);
		goto out;
	}
	if (cli_setup_params(&su, jv_copy(raw), &dl) < 0) {
		cli_print_diags(&dl);
		goto out;
	}
	if (wait_lock && !live) {
		cli_error("--wait-lock is for --live drills: a rehearsal takes no runbook lock");
		goto out;
	}
	if (!(st = cli_state_open(state_opt)))
		goto out;
	if (scenario) {
		r.scenario = scenario;
		r.state = st;
		r.state_dir = cli_scratch_dir(st);
		r.ld = &su.ld;
		r.params = su.params;
		r.redact = su.redact;
		r.mode = mode;
		r.color = color;
		r.out = stdout;
		r.record = record;
		engine_install_signals();
		run_rc = rehearsal_run(&r, &dl);
		if (run_rc < 0) {
			cli_print_diags(&dl);
			goto out;
		}
		run_id = r.run_id ? xstrdup(r.run_id) : NULL;
	} else {
		struct cli_run a = {
			.params = su.params, .state = st, .lock_wait_ms = wait_lock, .record = record,
			.redact = su.redact, .mode = mode, .color = color,
		};
		run_rc = cli_run_engine(&su.ld, &a, &run_id, &dl);
	}
	if (dl.n)
		cli_print_diags(&dl);
	if (!run_id) {
		rc = run_rc;
		goto out;
	}

	if (!live)
		cli_write_run_reports(st, run_id);    /* cli_run_engine wrote them for --live */
	events = cli_run_journal(st, run_id);
	if (!jv_is_valid(events))
		events = jv_array();
	rep = cli_run_report(st, run_id);
	run_fold_journal(&fold, events);
	jv fob = jvx_get(fold.finished, "objectives");
	jv met = jvx_get(fob, "met");
	jv_free(fob);
	if (run_rc != EXIT_OK)
		rc = run_rc;
	else
		rc = jv_get_kind(met) == JV_KIND_TRUE ? EXIT_OK : 5;
	int missed = jv_get_kind(met) == JV_KIND_FALSE;
	jv_free(met);
	summary = redact_jv(su.redact, drill_summary(rep, &fold, live ? "live" : "scenario", scenario, rc));

	if (report_dir)
		report_dir_files(report_dir, rep, summary);
	if (register_append(st, redact_jv(su.redact, register_record(&fold, summary, argv[optind],
			live ? "live" : "scenario", scenario, report_dir, rc))) < 0 && rc == EXIT_OK)
		rc = EXIT_FAILED;
	if (mode == DISPLAY_JSON) {
		char *line = jvx_dump(jv_object_set(jv_object(), jv_string("drill"), jv_copy(summary)));
		printf("%s\n", line);
		free(line);
	} else {
		char *t = summary_text(summary, 0);
		fputs(t, stdout);
		free(t);
		printf("result: %s (exit %d)\n", rc == EXIT_OK ? "objectives met" : rc != 5 ?
		       "the run did not succeed" : missed ? "objective missed" : "objective not measured", rc);
	}
	fflush(stdout);
out:
	run_fold_release(&fold);
	rehearsal_release(&r);
	free(run_id);
	jv_free(summary);
	jv_free(events);
	jv_free(rep);
	jv_free(raw);
	cli_setup_release(&su);
	state_close(st);
	diag_list_release(&dl);
	return rc;
}
