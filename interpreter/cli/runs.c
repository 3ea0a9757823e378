/* runs.c — the runs of the state dir: a run's journal and files, its report (written
 * at the end of every run), and the step durations of the last run of a runbook (the
 * ETA a wait shows). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "../core/bug.h"
#include "../core/events.h"
#include "../core/fs.h"
#include "../core/jvx.h"
#include "../engine/engine.h"
#include "../report/report.h"

jv cli_run_journal(const char *state_dir, const char *run_id)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/runs/%s/journal.jsonl", state_dir, run_id);
	FILE *f = fopen(path, "r");
	if (!f)
		return jv_invalid();
	jv out = jv_array();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n')
			break;                   /* cut by a crash */
		line[n - 1] = '\0';
		jv v = jvx_parse_sized(line, strlen(line));
		if (jv_get_kind(v) == JV_KIND_OBJECT)
			out = jv_array_append(out, v);
		else
			jv_free(v);
	}
	free(line);
	fclose(f);
	return out;
}

jv cli_run_file(const char *state_dir, const char *run_id, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/runs/%s/%s", state_dir, run_id, name);
	if (access(path, R_OK) < 0)
		return jv_null();
	jv all = jv_load_file(path, 0);      /* every value of the file, as an array */
	jv v = jv_get_kind(all) == JV_KIND_ARRAY && jv_array_length(jv_copy(all)) == 1 ?
	       jv_array_get(jv_copy(all), 0) : jv_null();
	jv_free(all);
	return jv_get_kind(v) == JV_KIND_OBJECT ? v : (jv_free(v), jv_null());
}

jv cli_run_report(const char *state_dir, const char *run_id)
{
	jv ev = cli_run_journal(state_dir, run_id), rep;
	if (!jv_is_valid(ev))
		return ev;
	jv plan = cli_run_file(state_dir, run_id, "plan.json");
	jv params = cli_run_file(state_dir, run_id, "params.json");
	rep = report_build(ev, plan, params);
	jv_free(ev);
	jv_free(plan);
	jv_free(params);
	return rep;
}

void cli_write_run_reports(const char *state_dir, const char *run_id)
{
	static const struct { const char *name; enum report_format fmt; } files[] = {
		{ "report.md", REPORT_MARKDOWN }, { "report.json", REPORT_JSON }, { "timeline.svg", REPORT_SVG },
	};
	jv rep;
	if (!run_id || run_id_check(run_id) < 0)
		return;
	rep = cli_run_report(state_dir, run_id);
	if (!jv_is_valid(rep)) {
		jv_free(rep);
		cli_error("warning: no report for run '%s': its journal cannot be read", run_id);
		return;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[4096];
		char *text = report_format(rep, files[i].fmt);
		snprintf(path, sizeof(path), "%s/runs/%s/%s", state_dir, run_id, files[i].name);
		/* 0600 and atomic: a reader sees the old report or the new, never a part */
		if (!text)
			cli_error("warning: cannot render '%s'", path);
		else if (fs_write_atomic(path, text, strlen(text), 0600) < 0)
			cli_error("warning: cannot write '%s': %s", path, strerror(errno));
		free(text);
	}
	jv_free(rep);
}

/* the first line of a run's journal (its run_started), or invalid */
static jv first_event(const char *state_dir, const char *id)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/runs/%s/journal.jsonl", state_dir, id);
	FILE *f = fopen(path, "r");
	if (!f)
		return jv_invalid();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	fclose(f);
	jv v = n > 1 && line[n - 1] == '\n' ? jvx_parse_sized(line, (size_t)n - 1) : jv_invalid();
	free(line);
	if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		v = jv_invalid();
	}
	return v;
}

static int cmp_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

jv cli_last_durations(const char *state_dir, const char *file, int rehearsal)
{
	char dir[4096];
	char *path = file ? realpath(file, NULL) : NULL;
	char **ids = NULL;
	int n = 0, alloc = 0;
	snprintf(dir, sizeof(dir), "%s/runs", state_dir);
	DIR *d = opendir(dir);
	jv best = jv_null();
	if (!d || !path)
		goto out;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && run_id_check(de->d_name) == 0) {
			ALLOC_GROW(ids, n + 1, alloc);
			ids[n++] = xstrdup(de->d_name);
		}
	/* run ids begin with their start time: newest first, and only the journal of the
	 * newest finished match is read whole (this runs at the start of every run) */
	if (n > 1)
		qsort(ids, (size_t)n, sizeof(*ids), cmp_desc);
	for (int k = 0; k < n && jv_get_kind(best) == JV_KIND_NULL; k++) {
		jv first = first_event(state_dir, ids[k]);
		const char *p = jv_is_valid(first) ? jvx_str(first, "path") : NULL;
		/* the same file, run the same way: a rehearsal's virtual minutes say
		 * nothing about a real restore, and a dry run waits for nothing */
		int same = p && !strcmp(p, path) && ev_kind_of(first) == EV_RUN_STARTED &&
			   jvx_bool(first, "rehearsal", 0) == !!rehearsal && !jvx_bool(first, "dry_run", 0);
		jv_free(first);
		jv evs = same ? cli_run_journal(state_dir, ids[k]) : jv_invalid();
		if (!jv_is_valid(evs))
			continue;
		struct run_fold f;
		run_fold_init(&f);
		run_fold_journal(&f, evs);
		jv_free(evs);
		if (f.end != EV_UNKNOWN) {
			best = jv_object();
			for (int i = 0; i < f.nsteps; i++) {
				const struct run_fold_step *s = &f.steps[i];
				if (s->status && !strcmp(s->status, "succeeded") && s->dur_field > 0)
					best = jv_object_set(best, jv_string(s->id), jv_number((double)s->dur_field));
			}
		}
		run_fold_release(&f);
	}
out:
	if (d)
		closedir(d);
	for (int k = 0; k < n; k++)
		free(ids[k]);
	free(ids);
	free(path);
	return best;
}
