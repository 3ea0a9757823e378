/* runs.c — reading the runs of the state dir: a run's journal, and the step durations
 * of the last run of a runbook (the ETA a wait shows). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "../core/bug.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../engine/engine.h"

jv cli_read_journal(const char *state_dir, const char *id)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/runs/%s/journal.jsonl", state_dir, id);
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

jv cli_last_durations(const char *state_dir, const char *file, int rehearsal)
{
	char dir[4096];
	char *path = file ? realpath(file, NULL) : NULL;
	snprintf(dir, sizeof(dir), "%s/runs", state_dir);
	DIR *d = opendir(dir);
	jv best = jv_null();
	int64_t best_end = -1;
	if (!d || !path)
		goto out;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || run_id_check(de->d_name) != 0)
			continue;
		jv first = first_event(state_dir, de->d_name);
		const char *p = jv_is_valid(first) ? jvx_str(first, "path") : NULL;
		/* the same file, run the same way: a rehearsal's virtual minutes say
		 * nothing about a real restore, and a dry run waits for nothing */
		int same = p && !strcmp(p, path) && ev_kind_of(first) == EV_RUN_STARTED &&
			   jvx_bool(first, "rehearsal", 0) == !!rehearsal && !jvx_bool(first, "dry_run", 0);
		jv_free(first);
		if (!same)
			continue;
		jv evs = cli_read_journal(state_dir, de->d_name);
		if (!jv_is_valid(evs))
			continue;
		struct run_fold f;
		run_fold_init(&f);
		run_fold_journal(&f, evs);
		jv_free(evs);
		if (f.t_end > best_end && f.end != EV_UNKNOWN) {
			jv durs = jv_object();
			for (int i = 0; i < f.nsteps; i++) {
				const struct run_fold_step *s = &f.steps[i];
				if (s->status && !strcmp(s->status, "succeeded") && s->dur_field > 0)
					durs = jv_object_set(durs, jv_string(s->id), jv_number((double)s->dur_field));
			}
			jv_free(best);
			best = durs;
			best_end = f.t_end;
		}
		run_fold_release(&f);
	}
out:
	if (d)
		closedir(d);
	free(path);
	return best;
}
