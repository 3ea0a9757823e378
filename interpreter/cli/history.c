/* history.c — `runbook history` (the runs in the state dir) and `runbook show RUN-ID`
 * (the report of one run, from its journal). */
#include <dirent.h>
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char history_help[] =
	"usage: runbook history [--state-dir DIR] [--format text|json]\n\n"
	"List the runs journaled in DIR/runs/ (default $RUNBOOK_STATE_DIR or ./.runbook),\n"
	"oldest first: id, runbook, status, start time, duration.\n";

int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_opt = NULL, *format = "text";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': state_opt = optarg; break;
		case 'f': format = optarg; break;
		case 'h': fputs(history_help, stdout); return 0;
		default: fputs(history_help, stderr); return 2;
		}
	}
	if (optind != argc || (strcmp(format, "text") && strcmp(format, "json"))) {
		fputs(history_help, stderr);
		return 2;
	}
	const char *sd = cli_state_dir(state_opt);
	char path[4096];
	snprintf(path, sizeof(path), "%s/runs", sd);
	DIR *d = opendir(path);
	char **ids = NULL;
	int n = 0, alloc = 0;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			ALLOC_GROW(ids, n + 1, alloc);
			ids[n++] = xstrdup(de->d_name);
		}
		closedir(d);
	}
	if (n > 1)   /* NULL when empty: qsort wants a real pointer */
	qsort(ids, (size_t)n, sizeof(*ids), cmp_str);
	int json = !strcmp(format, "json");
	if (!json && n == 0)
		printf("no runs in %s\n", path);
	else if (!json)
		printf("%-24s %-28s %-16s %-24s %s\n", "RUN", "RUNBOOK", "STATUS", "STARTED", "DURATION");
	for (int i = 0; i < n; i++) {
		jv ev = cli_read_journal(sd, ids[i]);
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
	return 0;
}

/* text: what the end of the run said (run_finished): the non-critical steps and the
 * finally steps that failed, the run's outputs; borrows events */
static void show_end(jv events, FILE *out)
{
	struct run_fold f;
	run_fold_init(&f);
	run_fold_journal(&f, events);
	jv fin = f.end == EV_RUN_FINISHED ? jv_copy(f.finished) : jv_invalid();
	run_fold_release(&f);
	if (!jv_is_valid(fin)) {
		jv_free(fin);
		return;
	}
	static const struct { const char *key, *head; } lists[] = {
		{ "noncritical_failed", "non-critical steps failed" },
		{ "finally_failed", "finally steps failed (the exit code is unchanged)" },
	};
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		jv a = jvx_get(fin, lists[k].key);
		if (jv_get_kind(a) == JV_KIND_ARRAY && jv_array_length(jv_copy(a)) > 0) {
			fprintf(out, "\n%s: ", lists[k].head);
			jv_array_foreach(a, i, it) {
				if (jv_get_kind(it) == JV_KIND_STRING)
					fprintf(out, "%s%s", i ? ", " : "", jv_string_value(it));
				jv_free(it);
			}
			fputc('\n', out);
		}
		jv_free(a);
	}
	jv outs = jvx_get(fin, "outputs");
	if (jv_get_kind(outs) == JV_KIND_OBJECT && jv_object_length(jv_copy(outs)) > 0) {
		fputs("\noutputs:\n", out);
		jv_object_foreach(outs, k, v) {
			char *text = jv_get_kind(v) == JV_KIND_STRING ? xstrdup(jv_string_value(v)) : jvx_dump(jv_copy(v));
			fprintf(out, "  %s: %s\n", jv_string_value(k), text);
			free(text);
			jv_free(k);
			jv_free(v);
		}
	}
	jv_free(outs);
	jv_free(fin);
}

static const char show_help[] =
	"usage: runbook show RUN-ID [--state-dir DIR] [--format text|json|markdown|junit]\n\n"
	"The report of one run from its journal: steps, durations, retries, polls,\n"
	"approvals, rollback.\n";

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_opt = NULL, *format = "text";
	int c;
	enum report_format fmt;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': state_opt = optarg; break;
		case 'f': format = optarg; break;
		case 'h': fputs(show_help, stdout); return 0;
		default: fputs(show_help, stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		cli_error("show needs one RUN-ID ('runbook history' lists them)");
		return 2;
	}
	if (report_format_parse(format, &fmt) < 0) {
		cli_error("unknown --format '%s' (text, json, markdown or junit)", format);
		return 2;
	}
	const char *sd = cli_state_dir(state_opt);
	if (run_id_check(argv[optind]) < 0) {
		cli_error("invalid RUN-ID '%s': a run id names a folder in '%s/runs' ('runbook history' lists them)",
			  argv[optind], sd);
		return 2;
	}
	jv ev = cli_read_journal(sd, argv[optind]);
	if (!jv_is_valid(ev)) {
		cli_error("no run '%s' in '%s/runs'", argv[optind], sd);
		return 2;
	}
	int rc = report_render(ev, fmt, stdout) < 0 ? 1 : 0;
	if (rc == 0 && fmt == REPORT_TEXT)
		show_end(ev, stdout);
	jv_free(ev);
	return rc;
}
