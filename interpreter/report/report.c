/* report.c — run reports (text, json, markdown, junit) from journal events.
 *
 * report_build() folds the events into one report object; every format renders that
 * object, so the formats cannot disagree.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/events.h"
#include "../core/jvx.h"

int report_format_parse(const char *name, enum report_format *f)
{
#define X(e, s) if (!strcmp(name, s)) { *f = e; return 0; }
	REPORT_FORMATS(X)
#undef X
	if (!strcmp(name, "md")) {
		*f = REPORT_MARKDOWN;
		return 0;
	}
	return -1;
}

static jv str_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

static jv ms_or_null(int64_t ms)
{
	return ms >= 0 ? jv_number((double)ms) : jv_null();
}

jv report_build(jv events)
{
	struct run_fold f;
	jv rep = jv_object(), steps = jv_array(), rollback, rbsteps;
	const char *status = NULL, *started = NULL, *finished = NULL;
	int64_t t0, t1 = -1, run_dur = -1, exit_code = -1;
	int dry_run = 0, rehearsal = 0;
	char *run_error = NULL;
	struct { int steps, succeeded, failed, skipped, rolled_back, pending, running, dry_run,
		 retries, polls, rollback_steps, rollback_failed; } tot = {0};

	run_fold_init(&f);
	run_fold_journal(&f, events);
	t0 = f.t_start;
	if (jv_is_valid(f.started)) {
		started = jvx_str(f.started, "time");
		dry_run = jvx_bool(f.started, "dry_run", 0);
		rehearsal = jvx_bool(f.started, "rehearsal", 0);
	}
	if (f.end == EV_RUN_FINISHED) {
		status = jvx_str(f.finished, "status");
		finished = jvx_str(f.finished, "time");
		t1 = f.t_end;
		run_dur = jvx_int(f.finished, "duration_ms", -1);
		exit_code = jvx_int(f.finished, "exit_code", -1);
		run_error = ev_err_text(f.finished, "error");
	}
	rollback = jv_copy(f.rollback);
	rbsteps = jv_array();

	for (int i = 0; i < f.nsteps; i++) {
		const struct run_fold_step *s = &f.steps[i];
		jv o = jv_object();
		int64_t dur = -1;
		const char *st = s->status ? s->status : "pending";
		int attempts = s->starts;
		if (s->attempt > attempts)
			attempts = s->attempt;
		if (s->retries + (s->status ? 1 : 0) > attempts)
			attempts = s->retries + 1;
		if (s->t_start >= 0 && s->t_end >= s->t_start)
			dur = s->t_end - s->t_start;
		else if (s->dur_field >= 0)
			dur = s->dur_field;
		o = jv_object_set(o, jv_string("id"), jv_string(s->id));
		o = jv_object_set(o, jv_string("kind"), str_or_null(s->kind));
		o = jv_object_set(o, jv_string("status"), jv_string(st));
		o = jv_object_set(o, jv_string("started_at"), str_or_null(s->started));
		o = jv_object_set(o, jv_string("finished_at"), str_or_null(s->finished));
		o = jv_object_set(o, jv_string("offset_ms"),
				  ms_or_null(t0 >= 0 && s->t_start >= t0 ? s->t_start - t0 : -1));
		o = jv_object_set(o, jv_string("duration_ms"), ms_or_null(dur));
		o = jv_object_set(o, jv_string("attempts"), jv_number(attempts));
		o = jv_object_set(o, jv_string("polls"), jv_number(s->polls));
		if (s->items)
			o = jv_object_set(o, jv_string("items"), jv_number(s->items));
		o = jv_object_set(o, jv_string("error"), str_or_null(s->error));
		if (s->approved_by)
			o = jv_object_set(o, jv_string("approved_by"), jv_string(s->approved_by));
		if (s->rb_status) {
			jv r = jv_object();
			r = jv_object_set(r, jv_string("status"), jv_string(s->rb_status));
			r = jv_object_set(r, jv_string("error"), str_or_null(s->rb_error));
			o = jv_object_set(o, jv_string("rollback"), r);
			tot.rollback_steps++;
			if (!strcmp(s->rb_status, "failed"))
				tot.rollback_failed++;
			jv rs = jv_object();
			rs = jv_object_set(rs, jv_string("step"), jv_string(s->id));
			rs = jv_object_set(rs, jv_string("status"), jv_string(s->rb_status));
			rs = jv_object_set(rs, jv_string("error"), str_or_null(s->rb_error));
			rbsteps = jv_array_append(rbsteps, rs);
		} else {
			o = jv_object_set(o, jv_string("rollback"), jv_null());
		}
		steps = jv_array_append(steps, o);

		tot.steps++;
		tot.retries += s->retries > attempts - 1 ? s->retries : attempts - 1;
		tot.polls += s->polls;
		if (!strcmp(st, "succeeded")) tot.succeeded++;
		else if (!strcmp(st, "failed")) tot.failed++;
		else if (!strcmp(st, "skipped")) tot.skipped++;
		else if (!strcmp(st, "rolled_back")) tot.rolled_back++;
		else if (!strcmp(st, "running")) tot.running++;
		else if (!strcmp(st, "dry_run")) tot.dry_run++;
		else tot.pending++;
	}
	/* rollback actions in the order they ran (the fold keeps them as they happened) */
	jv_free(rbsteps);
	rbsteps = jv_copy(f.rollback_steps);
	if (jv_get_kind(rollback) == JV_KIND_OBJECT || jv_array_length(jv_copy(rbsteps)) > 0) {
		if (jv_get_kind(rollback) != JV_KIND_OBJECT) {
			jv_free(rollback);
			rollback = jv_object_set(jv_object(), jv_string("reason"), jv_null());
		}
		rollback = jv_object_set(rollback, jv_string("steps"), rbsteps);
	} else {
		jv_free(rbsteps);
	}

	if (run_dur < 0 && t0 >= 0 && t1 >= t0)
		run_dur = t1 - t0;
	rep = jv_object_set(rep, jv_string("run"), str_or_null(f.run));
	rep = jv_object_set(rep, jv_string("runbook"), str_or_null(f.runbook));
	rep = jv_object_set(rep, jv_string("status"), jv_string(status ? status : "incomplete"));
	rep = jv_object_set(rep, jv_string("exit_code"), exit_code >= 0 ? jv_number((double)exit_code) : jv_null());
	rep = jv_object_set(rep, jv_string("dry_run"), jv_bool(dry_run));
	rep = jv_object_set(rep, jv_string("rehearsal"), jv_bool(rehearsal));
	rep = jv_object_set(rep, jv_string("started_at"), str_or_null(started));
	rep = jv_object_set(rep, jv_string("finished_at"), str_or_null(finished));
	rep = jv_object_set(rep, jv_string("duration_ms"), ms_or_null(run_dur));
	rep = jv_object_set(rep, jv_string("error"), str_or_null(run_error));
	rep = jv_object_set(rep, jv_string("steps"), steps);
	rep = jv_object_set(rep, jv_string("rollback"), rollback);
	{
		jv t = jv_object();
#define T(name) t = jv_object_set(t, jv_string(#name), jv_number(tot.name))
		T(steps); T(succeeded); T(failed); T(skipped); T(rolled_back); T(pending);
		T(running); T(dry_run); T(retries); T(polls); T(rollback_steps); T(rollback_failed);
#undef T
		rep = jv_object_set(rep, jv_string("totals"), t);
	}

	free(run_error);
	run_fold_release(&f);
	return rep;
}

/* ---- helpers for rendering ---- */

static const char *rstr(jv o, const char *key, const char *def)
{
	const char *s = jvx_str(o, key);
	return s ? s : def;
}

static void fmt_ms(struct buf *b, jv o, const char *key)
{
	char d[64];
	jv v = jvx_get(o, key);
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		buf_adds(b, dur_format((int64_t)jv_number_value(v), d, sizeof(d)));
	else
		buf_adds(b, "-");
	jv_free(v);
}

static void totals_line(struct buf *b, jv rep)
{
	jv t = jvx_get(rep, "totals");
	static const char *const parts[][2] = { {"succeeded", "succeeded"}, {"failed", "failed"},
		{"skipped", "skipped"}, {"rolled_back", "rolled back"}, {"dry_run", "dry run"},
		{"running", "running"}, {"pending", "not run"} };
	int first = 1;
	int64_t steps = jvx_int(t, "steps", 0), retries = jvx_int(t, "retries", 0),
		polls = jvx_int(t, "polls", 0), rbs = jvx_int(t, "rollback_steps", 0),
		rbf = jvx_int(t, "rollback_failed", 0);
	buf_addf(b, "%" PRId64 " step%s", steps, steps == 1 ? "" : "s");
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int64_t k = jvx_int(t, parts[i][0], 0);
		if (!k)
			continue;
		buf_addf(b, "%s %" PRId64 " %s", first ? ":" : ",", k, parts[i][1]);
		first = 0;
	}
	buf_addf(b, "; %" PRId64 " retr%s; %" PRId64 " poll%s", retries, retries == 1 ? "y" : "ies",
		 polls, polls == 1 ? "" : "s");
	if (rbs)
		buf_addf(b, "; rollback: %" PRId64 " of %" PRId64 " succeeded", rbs - rbf, rbs);
	jv_free(t);
}

static void run_head(struct buf *b, jv rep)
{
	jv ec = jvx_get(rep, "exit_code");
	buf_addf(b, "%s", rstr(rep, "status", "incomplete"));
	if (jv_get_kind(ec) == JV_KIND_NUMBER)
		buf_addf(b, " (exit %d)", (int)jv_number_value(ec));
	jv_free(ec);
	if (jvx_bool(rep, "dry_run", 0))
		buf_adds(b, ", dry run");
	if (jvx_bool(rep, "rehearsal", 0))
		buf_adds(b, ", rehearsal");
}

/* ---- text ---- */

static int text_width(jv steps, const char *key, int min)
{
	int n = jv_array_length(jv_copy(steps)), w = min;
	for (int i = 0; i < n; i++) {
		jv s = jv_array_get(jv_copy(steps), i);
		const char *v = jvx_str(s, key);
		if (v && (int)strlen(v) > w)
			w = (int)strlen(v);
		jv_free(s);
	}
	return w;
}

/* "step 'x' failed: <its error>": the length of "step 'x' failed", or 0 */
int report_failed_step_len(const char *reason)
{
	const char *cut = reason && !strncmp(reason, "step '", 6) ? strstr(reason, "' failed: ") : NULL;
	return cut ? (int)(cut - reason) + (int)strlen("' failed") : 0;
}

static void render_text(struct buf *b, jv rep)
{
	jv steps = jvx_get(rep, "steps"), rb = jvx_get(rep, "rollback");
	int n = jv_array_length(jv_copy(steps));
	int wid = text_width(steps, "id", 4), wst = text_width(steps, "status", 6);
	struct buf cell = BUF_INIT(0);
	int nerr = 0, k;
	const char *why;

	buf_addf(b, "run %s", rstr(rep, "run", "?"));
	if (jvx_str(rep, "runbook"))
		buf_addf(b, " (%s)", jvx_str(rep, "runbook"));
	buf_adds(b, ": ");
	run_head(b, rep);
	buf_addc(b, '\n');
	buf_addf(b, "started %s, took ", rstr(rep, "started_at", "?"));
	fmt_ms(b, rep, "duration_ms");
	buf_adds(b, "\n\n");

	buf_addf(b, "%-*s  %-*s  %-9s  %-9s  %8s  %5s  %s\n", wid, "STEP", wst, "STATUS", "START",
		 "DURATION", "ATTEMPTS", "POLLS", "ROLLBACK");
	for (int i = 0; i < n; i++) {
		jv s = jv_array_get(jv_copy(steps), i);
		jv off = jvx_get(s, "offset_ms"), rbo = jvx_get(s, "rollback");
		char start[32], dur[32], polls[32];
		buf_reset(&cell);
		if (jv_get_kind(off) == JV_KIND_NUMBER) {
			buf_adds(&cell, "+");
			fmt_ms(&cell, s, "offset_ms");
		} else {
			buf_adds(&cell, "-");
		}
		jv_free(off);
		snprintf(start, sizeof(start), "%s", buf_str(&cell));
		buf_reset(&cell);
		fmt_ms(&cell, s, "duration_ms");
		snprintf(dur, sizeof(dur), "%s", buf_str(&cell));
		if (jvx_int(s, "polls", 0))
			snprintf(polls, sizeof(polls), "%" PRId64, jvx_int(s, "polls", 0));
		else
			snprintf(polls, sizeof(polls), "-");
		buf_addf(b, "%-*s  %-*s  %-9s  %-9s  %8" PRId64 "  %5s  %s\n", wid, rstr(s, "id", "?"), wst,
			 rstr(s, "status", "?"), start, dur, jvx_int(s, "attempts", 0), polls,
			 jv_get_kind(rbo) == JV_KIND_OBJECT ? rstr(rbo, "status", "?") : "-");
		jv_free(rbo);
		if (jvx_str(s, "error"))
			nerr++;
		jv_free(s);
	}
	if (nerr) {
		buf_adds(b, "\nerrors:\n");
		for (int i = 0; i < n; i++) {
			jv s = jv_array_get(jv_copy(steps), i);
			const char *e = jvx_str(s, "error");
			if (e) {
				buf_addf(b, "  %s: ", rstr(s, "id", "?"));
				for (const char *p = e; *p; p++) {
					buf_addc(b, *p);
					if (*p == '\n')
						buf_adds(b, "    ");
				}
				buf_addc(b, '\n');
			}
			jv_free(s);
		}
	}
	if (jv_get_kind(rb) == JV_KIND_OBJECT) {
		jv rsteps = jvx_get(rb, "steps");
		int m = jv_get_kind(rsteps) == JV_KIND_ARRAY ? jv_array_length(jv_copy(rsteps)) : 0;
		buf_adds(b, "\nrollback");
		if ((why = jvx_str(rb, "reason")) && (k = report_failed_step_len(why)))
			buf_addf(b, " (%.*s)", k, why);      /* the error is listed above */
		else if (why)
			buf_addf(b, " (%s)", why);
		buf_adds(b, ":\n");
		if (!m)
			buf_adds(b, "  nothing to undo\n");
		for (int i = 0; i < m; i++) {
			jv r = jv_array_get(jv_copy(rsteps), i);
			buf_addf(b, "  %-*s  %s", wid, rstr(r, "step", "?"), rstr(r, "status", "?"));
			if (jvx_str(r, "rollback_step"))
				buf_addf(b, " (%s)", jvx_str(r, "rollback_step"));
			if (jvx_str(r, "error")) {
				buf_adds(b, ": ");
				for (const char *q = jvx_str(r, "error"); *q; q++) {
					buf_addc(b, *q);
					if (*q == '\n')
						buf_adds(b, "    ");
				}
			}
			buf_addc(b, '\n');
			jv_free(r);
		}
		jv_free(rsteps);
	}
	if ((why = jvx_str(rep, "error")) && nerr && (k = report_failed_step_len(why)))
		buf_addf(b, "\nrun error: %.*s (see errors)\n", k, why);
	else if (why)
		buf_addf(b, "\nrun error: %s\n", why);
	buf_adds(b, "\ntotals: ");
	totals_line(b, rep);
	buf_addc(b, '\n');
	buf_release(&cell);
	jv_free(steps);
	jv_free(rb);
}

/* ---- markdown ---- */

static void md_cell(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			buf_adds(b, "\\|");
		else if (*s == '\n')
			buf_adds(b, "<br>");
		else if (*s == '<')
			buf_adds(b, "&lt;");
		else
			buf_addc(b, *s);
	}
}

static void render_md(struct buf *b, jv rep)
{
	jv steps = jvx_get(rep, "steps"), rb = jvx_get(rep, "rollback");
	int n = jv_array_length(jv_copy(steps));

	buf_adds(b, "# Run ");
	md_cell(b, rstr(rep, "run", "?"));
	if (jvx_str(rep, "runbook")) {
		buf_adds(b, " (");
		md_cell(b, jvx_str(rep, "runbook"));
		buf_adds(b, ")");
	}
	buf_adds(b, "\n\n**Status:** ");
	run_head(b, rep);
	buf_adds(b, "  \n**Started:** ");
	md_cell(b, rstr(rep, "started_at", "?"));
	buf_adds(b, "  \n**Duration:** ");
	fmt_ms(b, rep, "duration_ms");
	buf_adds(b, "\n\n## Steps\n\n| Step | Status | Start | Duration | Attempts | Polls | Rollback | Error |\n"
		    "|---|---|---|---|---:|---:|---|---|\n");
	for (int i = 0; i < n; i++) {
		jv s = jv_array_get(jv_copy(steps), i);
		jv off = jvx_get(s, "offset_ms");
		buf_adds(b, "| `");
		md_cell(b, rstr(s, "id", "?"));
		buf_adds(b, "` | ");
		md_cell(b, rstr(s, "status", "?"));
		buf_adds(b, " | ");
		if (jv_get_kind(off) == JV_KIND_NUMBER) {
			buf_adds(b, "+");
			fmt_ms(b, s, "offset_ms");
		} else {
			buf_adds(b, "-");
		}
		jv_free(off);
		buf_adds(b, " | ");
		fmt_ms(b, s, "duration_ms");
		buf_addf(b, " | %" PRId64 " | %" PRId64 " | ", jvx_int(s, "attempts", 0), jvx_int(s, "polls", 0));
		{
			jv rbo = jvx_get(s, "rollback");
			md_cell(b, jv_get_kind(rbo) == JV_KIND_OBJECT ? rstr(rbo, "status", "?") : "-");
			jv_free(rbo);
		}
		buf_adds(b, " | ");
		md_cell(b, jvx_str(s, "error"));
		buf_adds(b, " |\n");
		jv_free(s);
	}
	if (jv_get_kind(rb) == JV_KIND_OBJECT) {
		jv rsteps = jvx_get(rb, "steps");
		int m = jv_get_kind(rsteps) == JV_KIND_ARRAY ? jv_array_length(jv_copy(rsteps)) : 0;
		buf_adds(b, "\n## Rollback\n\n");
		if (jvx_str(rb, "reason")) {
			buf_adds(b, "Reason: ");
			md_cell(b, jvx_str(rb, "reason"));
			buf_adds(b, "\n\n");
		}
		buf_adds(b, "| Step | Outcome | Error |\n|---|---|---|\n");
		for (int i = 0; i < m; i++) {
			jv r = jv_array_get(jv_copy(rsteps), i);
			buf_adds(b, "| `");
			md_cell(b, rstr(r, "step", "?"));
			buf_adds(b, "` | ");
			md_cell(b, rstr(r, "status", "?"));
			if (jvx_str(r, "rollback_step")) {
				buf_adds(b, " (`");
				md_cell(b, jvx_str(r, "rollback_step"));
				buf_adds(b, "`)");
			}
			buf_adds(b, " | ");
			md_cell(b, jvx_str(r, "error"));
			buf_adds(b, " |\n");
			jv_free(r);
		}
		jv_free(rsteps);
	}
	buf_adds(b, "\n## Totals\n\n");
	totals_line(b, rep);
	buf_addc(b, '\n');
	jv_free(steps);
	jv_free(rb);
}

/* ---- junit ---- */

static void xml_esc(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\n': buf_adds(b, "&#10;"); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t')
				buf_adds(b, "?");     /* not allowed in XML 1.0 */
			else
				buf_addc(b, *s);
		}
	}
}

static void secs(struct buf *b, jv o, const char *key)
{
	jv v = jvx_get(o, key);
	double ms = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;
	jv_free(v);
	buf_addf(b, "%.3f", ms / 1000.0);
}

static void render_junit(struct buf *b, jv rep)
{
	jv steps = jvx_get(rep, "steps"), t = jvx_get(rep, "totals");
	int n = jv_array_length(jv_copy(steps));
	const char *suite = rstr(rep, "runbook", "runbook");
	int64_t failures = jvx_int(t, "failed", 0);
	int64_t skipped = jvx_int(t, "skipped", 0) + jvx_int(t, "pending", 0);
	int64_t errors = jvx_int(t, "running", 0);

	buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"runbook\" tests=\"");
	buf_addf(b, "%d\" failures=\"%" PRId64 "\" errors=\"%" PRId64 "\" skipped=\"%" PRId64 "\" time=\"",
		 n, failures, errors, skipped);
	secs(b, rep, "duration_ms");
	buf_adds(b, "\">\n  <testsuite name=\"");
	xml_esc(b, suite);
	buf_addf(b, "\" id=\"");
	xml_esc(b, rstr(rep, "run", ""));
	buf_addf(b, "\" tests=\"%d\" failures=\"%" PRId64 "\" errors=\"%" PRId64 "\" skipped=\"%" PRId64
		 "\" time=\"", n, failures, errors, skipped);
	secs(b, rep, "duration_ms");
	buf_adds(b, "\"");
	if (jvx_str(rep, "started_at")) {
		buf_adds(b, " timestamp=\"");
		xml_esc(b, jvx_str(rep, "started_at"));
		buf_adds(b, "\"");
	}
	buf_adds(b, ">\n");
	for (int i = 0; i < n; i++) {
		jv s = jv_array_get(jv_copy(steps), i);
		const char *st = rstr(s, "status", "pending");
		const char *err = jvx_str(s, "error");
		jv rb = jvx_get(s, "rollback");
		struct buf out = BUF_INIT(0);
		buf_adds(b, "    <testcase classname=\"");
		xml_esc(b, suite);
		buf_adds(b, "\" name=\"");
		xml_esc(b, rstr(s, "id", "?"));
		buf_adds(b, "\" time=\"");
		secs(b, s, "duration_ms");
		buf_adds(b, "\"");
		buf_addf(&out, "status: %s; attempts: %" PRId64 "; polls: %" PRId64, st,
			 jvx_int(s, "attempts", 0), jvx_int(s, "polls", 0));
		if (jv_get_kind(rb) == JV_KIND_OBJECT) {
			buf_addf(&out, "; rollback: %s", rstr(rb, "status", "?"));
			if (jvx_str(rb, "error"))
				buf_addf(&out, " (%s)", jvx_str(rb, "error"));
		}
		buf_adds(b, ">\n");
		if (!strcmp(st, "failed")) {
			buf_adds(b, "      <failure message=\"");
			xml_esc(b, err ? err : "failed");
			buf_adds(b, "\" type=\"step_failed\">");
			xml_esc(b, err ? err : "failed");
			buf_adds(b, "</failure>\n");
		} else if (!strcmp(st, "skipped") || !strcmp(st, "pending")) {
			buf_adds(b, "      <skipped message=\"");
			xml_esc(b, err ? err : !strcmp(st, "pending") ? "not run" : "skipped");
			buf_adds(b, "\"/>\n");
		} else if (!strcmp(st, "running")) {
			buf_adds(b, "      <error message=\"interrupted while running\" type=\"interrupted\"/>\n");
		}
		buf_adds(b, "      <system-out>");
		xml_esc(b, buf_str(&out));
		buf_adds(b, "</system-out>\n    </testcase>\n");
		buf_release(&out);
		jv_free(rb);
		jv_free(s);
	}
	buf_adds(b, "  </testsuite>\n</testsuites>\n");
	jv_free(steps);
	jv_free(t);
}

int report_render(jv events, enum report_format fmt, FILE *out)
{
	jv rep = report_build(events);
	struct buf b = BUF_INIT(0);
	int rc = 0;
	switch (fmt) {
	case REPORT_TEXT:
		render_text(&b, rep);
		break;
	case REPORT_JSON: {
		jv txt = jv_dump_string(jv_copy(rep), JV_PRINT_PRETTY | JV_PRINT_SPACE1);
		buf_adds(&b, jv_string_value(txt));
		buf_addc(&b, '\n');
		jv_free(txt);
		break;
	}
	case REPORT_MARKDOWN:
		render_md(&b, rep);
		break;
	case REPORT_JUNIT:
		render_junit(&b, rep);
		break;
	default:
		BUG("unknown report format");
	}
	if (b.len && fwrite(b.data, 1, b.len, out) != b.len)
		rc = -1;
	buf_release(&b);
	jv_free(rep);
	return rc;
}
