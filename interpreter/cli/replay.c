/* replay.c — `runbook replay TAPE [FILE]`: a recorded run again, offline, on the
 * virtual clock, every action call answered from the tape (engine/replay.c), then
 * the drift report. Exit 0: no drift; 5: drift; 2: bad input (nothing ran).
 *
 * The runbook is FILE, or the tape's own path; params are the tape's (secret ones are
 * their placeholders), -p overrides. Confirmations are approved by the replay, but
 * for those the recorded run did not get past (declined again). The
 * replay's run is journaled under the state dir like a rehearsal's (it cannot be
 * resumed). `sleep` and `log` run themselves on the virtual clock; nothing else runs.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "../core/bug.h"
#include "../core/clock.h"
#include "../core/dur.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "../engine/engine.h"
#include "../engine/replay.h"
#include "../state/state.h"

#define EXIT_DRIFT 5

static const char help[] =
	"Run a recorded run again, offline, on a virtual clock starting at the recording's\n"
	"start: every action call is answered from TAPE (`--record TAPE` of run, rehearse or\n"
	"drill), nothing reaches the network, no exec runs. FILE (default: the runbook the\n"
	"tape recorded) may be an edited version: the report lists what drifted from what\n"
	"reality answered last time.\n\n"
	;

const struct cli_opt cli_replay_opts[] = {
	{ "param", 'p', "K=V", NULL, 'p',
	  "override a recorded param (repeatable)", CLI_OPT_MANY },
	{ "format", 0, "FORMAT", "text|json", 'F',
	  "the drift report as text (default) or json" },
	{ "state-dir", 0, "DIR", NULL, 'd',
	  "the state store: a folder, or a postgresql:// URI (default\n$RUNBOOK_STATE_DIR or ./.runbook)" },
	CLI_OPT_END,
};

static const char help_tail[] =
	"\n"
	"A read is answered with the latest recorded answer for the same step, action and\n"
	"arguments at or before the call's time (a wait replays its polls); a mutating call\n"
	"takes its recorded answer once. Drift: arguments that differ (field: recorded ->\n"
	"now), calls with no recorded answer (they fail), recorded calls never made, steps\n"
	"added or removed, outcomes changed. Exit 0 without drift, 5 with drift, 2 when the\n"
	"tape or the runbook cannot be read.\n";

static void print_value(FILE *out, jv d, const char *key)
{
	if (!jvx_has(d, key)) {
		fputs("(absent)", out);
		return;
	}
	char *t = jvx_dump(jvx_get(d, key));
	fputs(t, out);
	free(t);
}

static void print_text(FILE *out, jv rep, jv header, const char *tape, const char *file)
{
	const char *id = jvx_str(header, "run_id"), *started = jvx_str(header, "started");
	fprintf(out, "replay of %s (run %s, %s clock, started %s) against %s\n", tape, id ? id : "?",
		jvx_str(header, "clock") ? jvx_str(header, "clock") : "?", started ? started : "?", file);
	jv notes = jvx_get(rep, "notes");
	if (jv_get_kind(notes) == JV_KIND_ARRAY)
		jv_array_foreach(notes, i, n) {
			fprintf(out, "note: %s\n", jv_string_value(n));
			jv_free(n);
		}
	jv_free(notes);
	jv outcome = jvx_get(rep, "outcome");
	jv was = jvx_get(outcome, "recorded"), now = jvx_get(outcome, "now");
	char *we = jvx_dump(jvx_get(was, "exit_code")), *ne = jvx_dump(jvx_get(now, "exit_code"));
	fprintf(out, "%d calls replayed; recorded run %s (exit %s), replay %s (exit %s)\n",
		(int)jvx_int(rep, "calls", 0), jvx_str(was, "status") ? jvx_str(was, "status") : "?", we,
		jvx_str(now, "status") ? jvx_str(now, "status") : "?", ne);

	jv l = jvx_get(rep, "arguments");
	jv_array_foreach(l, i, d) {
		fprintf(out, "argument: step '%s' action '%s': %s: ", jvx_str(d, "step"), jvx_str(d, "action"),
			jvx_str(d, "field"));
		print_value(out, d, "recorded");
		fputs(" -> ", out);
		print_value(out, d, "now");
		fputc('\n', out);
		jv_free(d);
	}
	jv_free(l);
	l = jvx_get(rep, "unanswered");
	jv_array_foreach(l, i, d) {
		fprintf(out, "no recorded answer: step '%s' action '%s' (the call failed)\n", jvx_str(d, "step"),
			jvx_str(d, "action"));
		jv_free(d);
	}
	jv_free(l);
	l = jvx_get(rep, "never_made");
	jv_array_foreach(l, i, d) {
		fprintf(out, "never made: step '%s' action '%s'%s (%s:%d)\n", jvx_str(d, "step"), jvx_str(d, "action"),
			jvx_bool(d, "mutating", 0) ? " (mutating)" : "", tape, (int)jvx_int(d, "line", 0));
		jv_free(d);
	}
	jv_free(l);
	l = jvx_get(rep, "steps_added");
	jv_array_foreach(l, i, d) {
		fprintf(out, "step added: '%s' (not in the recorded run)\n", jv_string_value(d));
		jv_free(d);
	}
	jv_free(l);
	l = jvx_get(rep, "steps_removed");
	jv_array_foreach(l, i, d) {
		fprintf(out, "step removed: '%s' (in the recorded run, not in the runbook now)\n", jv_string_value(d));
		jv_free(d);
	}
	jv_free(l);
	if (jvx_bool(outcome, "changed", 0))
		fprintf(out, "outcome changed: %s (exit %s) -> %s (exit %s)\n",
			jvx_str(was, "status") ? jvx_str(was, "status") : "?", we,
			jvx_str(now, "status") ? jvx_str(now, "status") : "?", ne);
	l = jvx_get(rep, "steps_changed");
	jv_array_foreach(l, i, d) {
		const char *rs = jvx_str(d, "recorded"), *ns = jvx_str(d, "now");
		fprintf(out, "step '%s': %s -> %s", jvx_str(d, "step"), rs ? rs : "(not run)", ns ? ns : "(not run)");
		if (jvx_str(d, "recorded_rollback") || jvx_str(d, "now_rollback")) {
			const char *rr = jvx_str(d, "recorded_rollback"), *nr = jvx_str(d, "now_rollback");
			fprintf(out, ", rollback %s -> %s", rr ? rr : "(none)", nr ? nr : "(none)");
		}
		fputc('\n', out);
		jv_free(d);
	}
	jv_free(l);
	fprintf(out, "%s\n", jvx_bool(rep, "drift", 0) ? "drift: the runbook no longer does what the recording did"
						       : "no drift");
	free(we);
	free(ne);
	jv_free(was);
	jv_free(now);
	jv_free(outcome);
}

/* the tape's params the runbook still declares, then -p over them */
static jv params_from_tape(jv header, const struct runbook *rb, jv raw)
{
	jv rec = jvx_get(header, "params"), out = jv_object();
	for (int i = 0; i < rb->nparams; i++) {
		const char *name = rb->params[i].name;
		jv v = jv_get_kind(rec) == JV_KIND_OBJECT ? jvx_get(rec, name) : jv_invalid();
		if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
			out = jv_object_set(out, jv_string(name), v);
		else
			jv_free(v);
	}
	jv_free(rec);
	jv_object_foreach(raw, k, v)
		out = jv_object_set(out, k, v);
	jv_free(raw);
	return out;
}

/* the confirmations the recorded run did not get past (declined there, so declined
 * again); NULL-terminated array of malloc'd ids */
static char **recorded_declines(const struct tape_data *td)
{
	jv steps = jvx_get(td->header, "steps"), ends = jvx_get(td->end, "steps");
	int n = jv_get_kind(steps) == JV_KIND_ARRAY ? jv_array_length(jv_copy(steps)) : 0, k = 0;
	char **out = xcalloc((size_t)n + 1, sizeof(*out));
	for (int i = 0; i < n && jv_get_kind(ends) == JV_KIND_OBJECT; i++) {
		jv s = jv_array_get(jv_copy(steps), i);
		const char *id = jvx_str(s, "id"), *kind = jvx_str(s, "kind");
		const char *st = id ? jvx_str(ends, id) : NULL;
		if (kind && !strcmp(kind, "confirm") && st && !strcmp(st, "failed"))
			out[k++] = xstrdup(id);
		jv_free(s);
	}
	jv_free(steps);
	jv_free(ends);
	return out;
}

int cmd_replay(int argc, char **argv)
{
	const char *state_opt = NULL, *format = "text";
	int c, rc = EXIT_INVALID, loaded = 0;
	jv raw = jv_object(), params = jv_invalid();
	struct diag_list dl = { 0 };
	struct source_list tsl = { 0 };
	struct tape_data td = { jv_invalid(), jv_invalid(), jv_invalid() };
	struct cli_loaded ld;
	struct rb_clock *clock = NULL;
	struct redactor *redact = NULL;
	struct replay *rp = NULL;
	char *run_id = NULL;
	char **declines = NULL;
	struct state *store = NULL;

	optind = 1;
	while ((c = cli_opt_next(cli_replay_opts, argc, argv)) != -1) {
		switch (c) {
		case 'p':
			if (cli_param_add(&raw, optarg) < 0)
				goto out;
			break;
		case 'F': format = optarg; break;
		case 'd': state_opt = optarg; break;
		case 'h':
			cli_help(stdout, help, cli_replay_opts, help_tail);
			rc = 0;
			goto out;
		default:
			cli_help(stderr, help, cli_replay_opts, help_tail);
			goto out;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		cli_error(optind >= argc ? "replay needs a TAPE" : "replay takes a TAPE and at most one runbook FILE");
		cli_help(stderr, help, cli_replay_opts, help_tail);
		goto out;
	}
	if (strcmp(format, "text") && strcmp(format, "json")) {
		cli_error("unknown --format '%s' (text or json)", format);
		goto out;
	}
	const char *tape = argv[optind];
	if (tape_read(tape, &tsl, &td, &dl) < 0) {
		cli_print_diags(&dl);
		goto out;
	}
	const char *file = optind + 1 < argc ? argv[optind + 1] : jvx_str(td.header, "path");
	if (!file || !*file) {
		cli_error("the tape '%s' does not name its runbook: give the runbook FILE", tape);
		goto out;
	}
	int64_t started = 0;
	const char *st = jvx_str(td.header, "started");
	if (!st || ts_parse(st, &started) < 0 || started <= 0) {
		struct srcloc loc = { tsl.n ? tsl.items[0] : NULL, 1, 1 };
		diag_error(&dl, &loc, "the tape's header has no valid \"started\" time");
		cli_print_diags(&dl);
		goto out;
	}
	jv notes = jv_array();
	char sha[65];
	const char *tsha = jvx_str(td.header, "sha256");
	if (replay_sha256_file(file, sha) == 0 && tsha && strcmp(sha, tsha))
		notes = jv_array_append(notes, jv_string_fmt("'%s' is not the file recorded (sha256 %.12s..., "
							      "recorded %.12s...)", file, sha, tsha));

	loaded = 1;
	if (cli_load(file, &ld, &dl) < 0) {
		cli_print_diags(&dl);
		jv_free(notes);
		goto out;
	}
	redact = cli_redactor_new();
	params = params_resolve(ld.rb, params_from_tape(td.header, ld.rb, jv_copy(raw)), redact, &dl);
	if (!jv_is_valid(params)) {
		cli_print_diags(&dl);
		jv_free(notes);
		goto out;
	}
	if (!(store = cli_state_open(state_opt))) {
		jv_free(notes);
		goto out;
	}
	clock = clock_new(CLOCK_VIRTUAL, started, 0);
	declines = recorded_declines(&td);
	rp = replay_new(&td, redact);
	struct engine_opts o = {
		.params = params,
		.connections = jv_null(),
		.state = store,
		.clock = clock,
		.rehearsal = 1,
		.decline = (const char **)declines,
		.redact = redact,
		.diags = &dl,
		.replay = { replay_answer, rp },
	};
	engine_install_signals();
	int erc = engine_run(&ld.plan, &o, &run_id);
	if (dl.n)
		cli_print_diags(&dl);
	if (erc == EXIT_INVALID && !run_id) {
		jv_free(notes);
		goto out;
	}
	jv rep = replay_report(rp, &td, engine_steps_list(&ld.plan), store, run_id);
	rep = jv_object_set(rep, jv_string("tape"), jv_string(tape));
	rep = jv_object_set(rep, jv_string("runbook"), jv_string(file));
	rep = jv_object_set(rep, jv_string("run_id"), run_id ? jv_string(run_id) : jv_null());
	rep = jv_object_set(rep, jv_string("recorded_run_id"), jvx_get(td.header, "run_id"));
	rep = jv_object_set(rep, jv_string("notes"), notes);
	/* secrets as placeholders: the tape's keep theirs, a value given with -p gets one */
	rep = redact_jv_placeholder(redact, rep);
	rc = jvx_bool(rep, "drift", 0) ? EXIT_DRIFT : EXIT_OK;
	if (!strcmp(format, "json")) {
		char *t = jvx_dump(rep);
		printf("%s\n", t);
		free(t);
	} else {
		print_text(stdout, rep, td.header, tape, file);
	}
	jv_free(rep);
out:
	for (int i = 0; declines && declines[i]; i++)
		free(declines[i]);
	free(declines);
	replay_free(rp);
	clock_free(clock);
	free(run_id);
	jv_free(params);
	jv_free(raw);
	tape_data_release(&td);
	if (loaded)
		cli_unload(&ld);
	redact_free(redact);
	state_close(store);
	diag_list_release(&dl);
	source_list_release(&tsl);
	return rc;
}
