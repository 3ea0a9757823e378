/* history.c — `runbook history` (the runs in the state dir) and `runbook show RUN-ID`
 * (the report of one run, from its folder: report/report.h). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../engine/engine.h"
#include "../report/report.h"
#include "../state/state.h"

static const char history_help[] =
	"List the runs of the state store (DIR/runs/, default $RUNBOOK_STATE_DIR or ./.runbook),\n"
	"oldest first: id, runbook, status, start time, duration.\n\n";

const struct cli_opt cli_history_opts[] = {
	{ "state-dir", 0, "DIR", NULL, 'd',
	  "the state store: a folder, or a postgresql:// URI (default\n$RUNBOOK_STATE_DIR or ./.runbook)" },
	{ "format", 0, "FORMAT", "text|json", 'f', "text (default) or json" },
	CLI_OPT_END,
};

static const char history_help_tail[] =
	"";

int cmd_history(int argc, char **argv)
{
	const char *state_opt = NULL, *format = "text";
	int c;
	optind = 1;
	while ((c = cli_opt_next(cli_history_opts, argc, argv)) != -1) {
		switch (c) {
		case 'd': state_opt = optarg; break;
		case 'f': format = optarg; break;
		case 'h': cli_help(stdout, history_help, cli_history_opts, history_help_tail); return 0;
		default: cli_help(stderr, history_help, cli_history_opts, history_help_tail); return 2;
		}
	}
	if (optind != argc || (strcmp(format, "text") && strcmp(format, "json"))) {
		cli_help(stderr, history_help, cli_history_opts, history_help_tail);
		return 2;
	}
	struct state *st = cli_state_open(state_opt);
	if (!st)
		return 2;
	/* oldest first: the store gives them newest first */
	jv runs = state_runs(st);
	int n = jv_get_kind(runs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(runs)) : 0;
	char **ids = xcalloc((size_t)(n ? n : 1), sizeof(*ids));
	for (int i = 0; i < n; i++) {
		jv id = jv_array_get(jv_copy(runs), n - 1 - i);
		ids[i] = xstrdup(jv_get_kind(id) == JV_KIND_STRING ? jv_string_value(id) : "?");
		jv_free(id);
	}
	jv_free(runs);
	char path[4096];
	if (state_kind_of(st) == STATE_FOLDER)
		snprintf(path, sizeof(path), "%s/runs", state_name(st));
	else
		snprintf(path, sizeof(path), "%s", state_name(st));
	int json = !strcmp(format, "json");
	if (!json && n == 0)
		printf("no runs in %s\n", path);
	else if (!json)
		printf("%-24s %-28s %-16s %-24s %s\n", "RUN", "RUNBOOK", "STATUS", "STARTED", "DURATION");
	for (int i = 0; i < n; i++) {
		jv ev = cli_run_journal(st, ids[i]);
		char runbook[256] = "?", status[64] = "unfinished", started[64] = "?", dur[64] = "-";
		int dry = 0;
		struct run_fold f;
		run_fold_init(&f);
		run_fold_journal(&f, ev);
		if (jv_is_valid(f.started)) {
			const char *rbn = jvx_str(f.started, "runbook"), *t = jvx_str(f.started, "time");
			snprintf(runbook, sizeof(runbook), "%s", rbn ? rbn : "?");
			snprintf(started, sizeof(started), "%s", t ? t : "?");
			dry = jvx_bool(f.started, "dry_run", 0);
		}
		snprintf(status, sizeof(status), "%s", run_fold_status(&f));
		if (jv_is_valid(f.finished))
			dur_format((int64_t)jvx_num(f.finished, "duration_ms", 0), dur, sizeof(dur));
		run_fold_release(&f);
		jv_free(ev);
		if (dry) {
			size_t l = strlen(status);
			snprintf(status + l, sizeof(status) - l, " (dry)");
		}
		if (json) {
			jv o = jv_object();
			o = jv_object_set(o, jv_string("run"), jv_string(ids[i]));
			o = jv_object_set(o, jv_string("runbook"), jv_string(runbook));
			o = jv_object_set(o, jv_string("status"), jv_string(status));
			o = jv_object_set(o, jv_string("started_at"), jv_string(started));
			o = jv_object_set(o, jv_string("duration"), jv_string(dur));
			char *s = jvx_dump(o);
			puts(s);
			free(s);
		} else {
			printf("%-24s %-28s %-16s %-24s %s\n", ids[i], runbook, status, started, dur);
		}
		free(ids[i]);
	}
	free(ids);
	state_close(st);
	return 0;
}

static const char show_help[] =
	"The report of one run, from its journal (and the run folder's plan.json and\n"
	"params.json): the runbook, params (secret ones as ***), who approved what and\n"
	"when, outputs, RTO/RPO objectives against what was achieved, every step (status,\n"
	"start, duration, attempts, polls), each rollback action, errors with their key\n"
	"lines, the critical path, what to do next and how to roll back.\n\n"
	;

const struct cli_opt cli_show_opts[] = {
	{ "format", 0, "FORMAT", "text|json|markdown|junit|svg", 'f',
	  "text (default) for the terminal; json: the report as data\n"
	  "(report.json); markdown: the restore report (report.md); junit:\n"
	  "JUnit XML, one testcase per step and per objective; svg: the\n"
	  "timeline, a Gantt chart of the steps and rollback actions, polls\n"
	  "and retries, the critical path, the RTO" },
	{ "state-dir", 0, "DIR", NULL, 'd',
	  "the state store: a folder, or a postgresql:// URI (default\n$RUNBOOK_STATE_DIR or ./.runbook)" },
	CLI_OPT_END,
};

static const char show_help_tail[] =
	"\n"
	"Every run writes report.md, report.json and timeline.svg into DIR/runs/RUN-ID/.\n";

int cmd_show(int argc, char **argv)
{
	const char *state_opt = NULL, *format = "text";
	int c, rc;
	enum report_format fmt;
	optind = 1;
	while ((c = cli_opt_next(cli_show_opts, argc, argv)) != -1) {
		switch (c) {
		case 'd': state_opt = optarg; break;
		case 'f': format = optarg; break;
		case 'h': cli_help(stdout, show_help, cli_show_opts, show_help_tail); return 0;
		default: cli_help(stderr, show_help, cli_show_opts, show_help_tail); return 2;
		}
	}
	if (optind != argc - 1) {
		cli_error("show needs one RUN-ID ('runbook history' lists them)");
		return 2;
	}
	if (report_format_parse(format, &fmt) < 0) {
		cli_error("unknown --format '%s' (text, json, markdown, junit or svg)", format);
		return 2;
	}
	if (run_id_check(argv[optind]) < 0) {
		cli_error("invalid RUN-ID '%s': a run id names a run in '%s' ('runbook history' lists them)",
			  argv[optind], cli_state_dir(state_opt));
		return 2;
	}
	struct state *st = cli_state_open(state_opt);
	if (!st)
		return 2;
	jv rep = cli_run_report(st, argv[optind]);
	if (!jv_is_valid(rep)) {
		jv_free(rep);
		if (state_kind_of(st) == STATE_FOLDER)
			cli_error("no run '%s' in '%s/runs'", argv[optind], state_name(st));
		else
			cli_error("no run '%s' in '%s'", argv[optind], state_name(st));
		state_close(st);
		return 2;
	}
	state_close(st);
	char *text = report_format(rep, fmt);
	size_t n = text ? strlen(text) : 0;
	if (!text)
		cli_error("cannot render the report of run '%s'", argv[optind]);
	rc = !text || fwrite(text, 1, n, stdout) != n || fflush(stdout) != 0 ? 1 : 0;
	free(text);
	jv_free(rep);
	return rc;
}
