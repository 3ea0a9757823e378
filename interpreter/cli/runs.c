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
#include "../core/jparse.h"
#include "../core/jvx.h"
#include "../engine/engine.h"
#include "../report/report.h"
#include "../state/state.h"

jv cli_run_journal(struct state *st, const char *run_id)
{
	jv ev = state_run_events(st, run_id);
	if (!jv_is_valid(ev)) {
		jv_free(ev);
		return jv_invalid();
	}
	return ev;
}

/* the run's file NAME as JSON, only what keep says (NULL: all) */
static jv run_file(struct state *st, const char *run_id, const char *name, const struct jkeep *keep)
{
	size_t len;
	char *text = state_run_get(st, run_id, name, &len);
	if (!text)
		return jv_null();
	struct jparser *jp = xmalloc(sizeof(*jp));   /* plan.json repeats its keys per step */
	jparser_init(jp);
	jv v = jparser_parse_keep(jp, text, len, keep);
	jparser_release(jp);
	free(jp);
	free(text);
	return jv_get_kind(v) == JV_KIND_OBJECT ? v : (jv_free(v), jv_null());
}

jv cli_run_file(struct state *st, const char *run_id, const char *name)
{
	return run_file(st, run_id, name, NULL);
}

int cli_run_fold(struct state *st, const char *run_id, struct run_fold *f)
{
	size_t len = 0;
	char *text = state_run_journal(st, run_id, &len);
	if (text) {
		run_fold_text(f, text, len, NULL, NULL);
		free(text);
		return 0;
	}
	if (errno != ENOSYS)
		return -1;
	jv evs = cli_run_journal(st, run_id);
	if (!jv_is_valid(evs)) {
		errno = ENOENT;   /* not the ENOSYS of the text a store does not keep */
		return -1;
	}
	run_fold_journal(f, evs);
	jv_free(evs);
	return 0;
}

/* from the journal's text where the store has it (no jv for the lines no report
 * reads), else from its events */
jv cli_run_report(struct state *st, const char *run_id)
{
	size_t len = 0;
	char *text = state_run_journal(st, run_id, &len);
	jv ev = jv_invalid(), rep;
	if (!text && errno == ENOSYS) {
		ev = cli_run_journal(st, run_id);
		if (!jv_is_valid(ev))
			return ev;
	} else if (!text) {
		return jv_invalid();
	}
	jv plan = run_file(st, run_id, "plan.json", report_plan_keep);
	jv params = cli_run_file(st, run_id, "params.json");
	rep = text ? report_build_journal(text, len, plan, params) : report_build(ev, plan, params);
	free(text);
	jv_free(ev);
	jv_free(plan);
	jv_free(params);
	return rep;
}

void cli_write_run_reports(struct state *st, const char *run_id)
{
	static const struct { const char *name; enum report_format fmt; } files[] = {
		{ "report.md", REPORT_MARKDOWN }, { "report.json", REPORT_JSON }, { "timeline.svg", REPORT_SVG },
	};
	jv rep;
	if (!run_id || run_id_check(run_id) < 0)
		return;
	rep = cli_run_report(st, run_id);
	if (!jv_is_valid(rep)) {
		jv_free(rep);
		cli_error("warning: no report for run '%s': its journal cannot be read", run_id);
		return;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		jv err = jv_invalid();
		char *text = report_format(rep, files[i].fmt);
		/* 0600 and atomic: a reader sees the old report or the new, never a part */
		if (!text)
			cli_error("warning: cannot render '%s' of run '%s'", files[i].name, run_id);
		else if (state_run_put(st, run_id, files[i].name, text, strlen(text), &err) < 0)
			cli_error("warning: %s", jv_string_value(err));
		jv_free(err);
		free(text);
	}
	jv_free(rep);
}

/* the first event of a journal's text (its first complete line that is an object) */
static jv first_event(const char *text, size_t len)
{
	for (const char *line = text, *nl; (nl = memchr(line, '\n', len - (size_t)(line - text))); line = nl + 1) {
		size_t n = (size_t)(nl - line);
		while (n && line[n - 1] == '\r')
			n--;
		if (!n)
			continue;
		jv v = jparse(line, n);
		if (jv_get_kind(v) == JV_KIND_OBJECT)
			return v;
		jv_free(v);
	}
	return jv_null();
}

jv cli_last_durations(struct state *st, const char *file, int rehearsal)
{
	char *path = file ? realpath(file, NULL) : NULL;
	jv ids = path ? state_runs(st) : jv_array();
	jv best = jv_null();
	/* newest first (run ids begin with their start time) */
	jv_array_foreach(ids, k, idv) {
		if (jv_get_kind(best) != JV_KIND_NULL || jv_get_kind(idv) != JV_KIND_STRING) {
			jv_free(idv);
			continue;
		}
		/* the journal's text where the store has it: its first line says whether
		 * the run is one to read at all, and the fold parses no call, result or log */
		size_t len = 0;
		char *text = state_run_journal(st, jv_string_value(idv), &len);
		jv evs = jv_invalid();
		if (!text && errno == ENOSYS)
			evs = cli_run_journal(st, jv_string_value(idv));
		jv_free(idv);
		(void)k;
		if (!text && !jv_is_valid(evs)) {
			jv_free(evs);
			continue;
		}
		jv first = text ? first_event(text, len) :
			   jv_array_length(jv_copy(evs)) > 0 ? jv_array_get(jv_copy(evs), 0) : jv_null();
		const char *p = jv_get_kind(first) == JV_KIND_OBJECT ? jvx_str(first, "path") : NULL;
		/* the same file, run the same way: a rehearsal's virtual minutes say
		 * nothing about a real restore, and a dry run waits for nothing */
		int same = p && !strcmp(p, path) && ev_kind_of(first) == EV_RUN_STARTED &&
			   jvx_bool(first, "rehearsal", 0) == !!rehearsal && !jvx_bool(first, "dry_run", 0);
		jv_free(first);
		if (!same) {
			free(text);
			jv_free(evs);
			continue;
		}
		struct run_fold f;
		run_fold_init(&f);
		f.no_timeline = 1;
		if (text)
			run_fold_text(&f, text, len, NULL, NULL);
		else
			run_fold_journal(&f, evs);
		free(text);
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
	jv_free(ids);
	free(path);
	return best;
}
