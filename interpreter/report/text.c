/* text.c — the report as `runbook show` prints it: a head, the step table, errors,
 * rollback, then what the run's end said and what to do next. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "report_int.h"
#include "../core/jvx.h"

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

int report_failed_step_len(const char *reason)
{
	const char *cut = reason && !strncmp(reason, "step '", 6) ? strstr(reason, "' failed: ") : NULL;
	return cut ? (int)(cut - reason) + (int)strlen("' failed") : 0;
}

/* text indented under its first line */
static int indented(struct buf *b, const char *text, const char *indent)
{
	int berr = 0;
	for (const char *p = text; p && *p; p++) {
		berr |= buf_addc(b, *p);
		if (*p == '\n' && p[1])
			berr |= buf_adds(b, indent);
	}
	return berr;
}

/* an error's key lines (report.errors) for step (and rollback step) */
static int key_lines(struct buf *b, jv rep, const char *step, const char *rbstep, const char *indent)
{
	int berr = 0;
	jv errs = rep_list(rep, "errors");
	jv_array_foreach(errs, i, e) {
		const char *rs = RSTR(e, "rollback_step");
		if (!strcmp(rep_str(e, "step", ""), step) && ((!rs && !rbstep) || (rs && rbstep && !strcmp(rs, rbstep)))) {
			jv lines = rep_list(e, "lines");
			int64_t more = RINT(e, "more_lines", 0);
			jv_array_foreach(lines, k, l) {
				if (k)
					berr |= buf_adds(b, indent);
				berr |= buf_adds(b, jv_string_value(l));
				berr |= buf_addc(b, '\n');
				jv_free(l);
			}
			if (more)
				berr |= buf_addf(b, "%s(%" PRId64 " more line%s: runbook show %s --format json)\n", indent, more,
					 more == 1 ? "" : "s", rep_str(rep, "run", "RUN-ID"));
			jv_free(lines);
			jv_free(e);
			break;
		}
		jv_free(e);
	}
	jv_free(errs);
	return berr;
}

static int step_table(struct buf *b, jv steps, int wid, int wst)
{
	int berr = 0;
	struct buf cell = BUF_INIT(0);
	berr |= buf_addf(b, "%-*s  %-*s  %-9s  %-9s  %8s  %5s  %s\n", wid, "STEP", wst, "STATUS", "START",
		 "DURATION", "ATTEMPTS", "POLLS", "ROLLBACK");
	jv_array_foreach(steps, i, s) {
		jv off = RGET(s, "offset_ms"), rbo = RGET(s, "rollback");
		char start[32], dur[32], polls[32];
		buf_reset(&cell);
		if (jv_get_kind(off) == JV_KIND_NUMBER && RSTR(s, "started_at")) {
			berr |= buf_adds(&cell, "+");
			berr |= rep_ms(&cell, s, "offset_ms");
		} else {
			berr |= buf_adds(&cell, "-");
		}
		jv_free(off);
		snprintf(start, sizeof(start), "%s", buf_str(&cell));
		buf_reset(&cell);
		berr |= rep_ms(&cell, s, "duration_ms");
		snprintf(dur, sizeof(dur), "%s", buf_str(&cell));
		if (RINT(s, "polls", 0))
			snprintf(polls, sizeof(polls), "%" PRId64, RINT(s, "polls", 0));
		else
			snprintf(polls, sizeof(polls), "-");
		berr |= buf_addf(b, "%-*s  %-*s  %-9s  %-9s  %8" PRId64 "  %5s  %s\n", wid, rep_str(s, "id", "?"), wst,
			 rep_str(s, "status", "?"), start, dur, RINT(s, "attempts", 0), polls,
			 jv_get_kind(rbo) == JV_KIND_OBJECT ? rep_str(rbo, "status", "?") : "-");
		jv_free(rbo);
		jv_free(s);
		(void)i;
	}
	buf_release(&cell);
	return berr;
}

static int rollback_part(struct buf *b, jv rep, int wid)
{
	int berr = 0;
	jv rb = RGET(rep, "rollback"), rows = rep_list(rb, "steps");
	const char *why = RSTR(rb, "reason");
	int k, m = jv_get_kind(rows) == JV_KIND_ARRAY ? jv_array_length(jv_copy(rows)) : 0;
	berr |= buf_adds(b, "\nrollback");
	if (why && (k = report_failed_step_len(why)))
		berr |= buf_addf(b, " (%.*s)", k, why);      /* the error is listed above */
	else if (why)
		berr |= buf_addf(b, " (%s)", why);
	if (m)
		berr |= buf_addf(b, ", %" PRId64 " of %d action%s succeeded", RINT(rb, "succeeded", 0), m, m == 1 ? "" : "s");
	berr |= buf_adds(b, ":\n");
	if (!m)
		berr |= buf_adds(b, "  nothing to undo\n");
	jv_array_foreach(rows, i, r) {
		berr |= buf_addf(b, "  %-*s  %s", wid, rep_str(r, "step", "?"), rep_str(r, "status", "?"));
		if (RSTR(r, "rollback_step")) {
			berr |= buf_addf(b, " (%s)", RSTR(r, "rollback_step"));   /* STEP[i].rollback.N for an item */
		}
		if (RSTR(r, "error")) {
			berr |= buf_adds(b, ": ");
			berr |= key_lines(b, rep, rep_str(r, "step", "?"), rep_str(r, "rollback_step", "?"), "    ");
		} else {
			berr |= buf_addc(b, '\n');
		}
		jv_free(r);
		(void)i;
	}
	jv_free(rows);
	jv_free(rb);
	return berr;
}

/* "  NAME: value" lines of an object */
static int pairs(struct buf *b, jv obj, const char *head)
{
	int berr = 0;
	if (jv_get_kind(obj) != JV_KIND_OBJECT || jv_object_length(jv_copy(obj)) == 0)
		return berr;
	berr |= buf_addf(b, "\n%s:\n", head);
	jv keys = jv_keys(jv_copy(obj));
	jv_array_foreach(keys, i, k) {
		jv v = jv_object_get(jv_copy(obj), jv_copy(k));
		char *t = rep_value_text(v);
		berr |= buf_addf(b, "  %s: ", jv_string_value(k));
		berr |= indented(b, t, "    ");
		berr |= buf_addc(b, '\n');
		free(t);
		jv_free(v);
		jv_free(k);
		(void)i;
	}
	jv_free(keys);
	return berr;
}

static int name_list(struct buf *b, jv rep, const char *key, const char *head, const char *sep)
{
	int berr = 0;
	jv a = jvx_get(rep, key);
	if (jv_get_kind(a) == JV_KIND_ARRAY && jv_array_length(jv_copy(a)) > 0) {
		berr |= buf_addf(b, "\n%s: ", head);
		jv_array_foreach(a, i, it) {
			if (jv_get_kind(it) == JV_KIND_STRING)
				berr |= buf_addf(b, "%s%s", i ? sep : "", jv_string_value(it));
			jv_free(it);
		}
		berr |= buf_addc(b, '\n');
	}
	jv_free(a);
	return berr;
}

int report_text(struct buf *b, jv rep)
{
	int berr = 0;
	jv steps = rep_list(rep, "steps"), params = RGET(rep, "params"), appr = rep_list(rep, "approvals");
	jv outs = RGET(rep, "outputs"), oerr = RGET(rep, "output_errors"), undo = rep_list(rep, "undo");
	jv next = rep_list(rep, "next_steps"), rb = RGET(rep, "rollback");
	int wid = text_width(steps, "id", 4), wst = text_width(steps, "status", 6);
	int nerr = 0, k;
	const char *why;

	berr |= buf_addf(b, "run %s", rep_str(rep, "run", "?"));
	if (RSTR(rep, "runbook"))
		berr |= buf_addf(b, " (%s)", RSTR(rep, "runbook"));
	berr |= buf_adds(b, ": ");
	berr |= rep_head(b, rep);
	berr |= buf_addc(b, '\n');
	berr |= buf_addf(b, "started %s, took ", rep_str(rep, "started_at", "?"));
	berr |= rep_ms(b, rep, "duration_ms");
	berr |= buf_adds(b, "\n");
	if (jv_get_kind(params) == JV_KIND_OBJECT && jv_object_length(jv_copy(params)) > 0) {
		jv keys = jv_keys(jv_copy(params));
		berr |= buf_adds(b, "params:");
		jv_array_foreach(keys, i, key) {
			jv v = jv_object_get(jv_copy(params), jv_copy(key));
			char *t = rep_value_text(v);
			berr |= buf_addf(b, "%s %s=%s", i ? "," : "", jv_string_value(key), t);
			free(t);
			jv_free(v);
			jv_free(key);
		}
		berr |= buf_addc(b, '\n');
		jv_free(keys);
	}
	jv_array_foreach(appr, i, a) {
		berr |= buf_addf(b, "%s %s: %s", i ? "," : "approvals:", rep_str(a, "step", "?"), rep_str(a, "status", "?"));
		if (RSTR(a, "by"))
			berr |= buf_addf(b, " by %s", RSTR(a, "by"));
		if (RSTR(a, "how") && (!RSTR(a, "by") || strcmp(RSTR(a, "how"), RSTR(a, "by"))))
			berr |= buf_addf(b, " (%s)", RSTR(a, "how"));
		if (RSTR(a, "at"))
			berr |= buf_addf(b, " at %s", RSTR(a, "at"));
		jv_free(a);
	}
	if (jv_array_length(jv_copy(appr)) > 0)
		berr |= buf_addc(b, '\n');
	berr |= buf_addc(b, '\n');

	berr |= step_table(b, steps, wid, wst);
	/* failed steps with their key lines, then why the others were skipped */
	for (int pass = 0; pass < 2; pass++) {
		int n = 0;
		jv_array_foreach(steps, i, s) {
			int failed = !strcmp(rep_str(s, "status", ""), "failed");
			if (RSTR(s, "error") && failed == !pass) {
				if (!n++)
					berr |= buf_adds(b, pass ? "\nskipped:\n" : "\nerrors:\n");
				berr |= buf_addf(b, "  %s: ", rep_str(s, "id", "?"));
				if (failed) {
					berr |= key_lines(b, rep, rep_str(s, "id", "?"), NULL, "    ");
				} else {
					berr |= indented(b, RSTR(s, "error"), "    ");
					berr |= buf_addc(b, '\n');
				}
			}
			jv_free(s);
			(void)i;
		}
		if (!pass)
			nerr = n;
	}
	if (RHAS(rep, "rollback") && jv_get_kind(rb) == JV_KIND_OBJECT)
		berr |= rollback_part(b, rep, wid);
	if ((why = RSTR(rep, "error")) && nerr && (k = report_failed_step_len(why)))
		berr |= buf_addf(b, "\nrun error: %.*s (see errors)\n", k, why);
	else if (why) {
		berr |= buf_adds(b, "\nrun error: ");
		berr |= indented(b, why, "  ");
		berr |= buf_addc(b, '\n');
	}
	berr |= buf_adds(b, "\ntotals: ");
	berr |= rep_totals(b, rep);
	berr |= buf_addc(b, '\n');

	berr |= name_list(b, rep, "noncritical_failed", "non-critical steps failed", ", ");
	berr |= name_list(b, rep, "finally_failed", "finally steps failed (the exit code is unchanged)", ", ");
	berr |= pairs(b, outs, "outputs");
	berr |= pairs(b, oerr, "outputs not evaluated");
	if (rep_objective_verdict(rep, "rto") || rep_objective_verdict(rep, "rpo")) {
		static const char *const which[] = { "rto", "rpo" };
		berr |= buf_adds(b, "\nobjectives:\n");
		for (size_t w = 0; w < 2; w++) {
			berr |= buf_addf(b, "  %s: ", which[w]);
			int r = rep_objective_phrase(b, rep, which[w]);
			if (r > 0)
				berr |= buf_adds(b, "none");
			else
				berr |= r;
			berr |= buf_addc(b, '\n');
		}
	}
	berr |= name_list(b, rep, "critical_path", "critical path", " -> ");
	if (jv_array_length(jv_copy(next)) > 0) {
		berr |= buf_adds(b, "\nnext steps:\n");
		jv_array_foreach(next, i, t) {
			berr |= buf_addf(b, "  - %s\n", jv_string_value(t));
			jv_free(t);
		}
	}
	if (jv_get_kind(undo) == JV_KIND_ARRAY && jv_array_length(jv_copy(undo)) > 0 &&
	    strcmp(rep_str(rep, "mode", "run"), "rehearsal") && strcmp(rep_str(rep, "mode", "run"), "dry-run")) {
		berr |= buf_adds(b, !strcmp(rep_str(rep, "status", ""), "succeeded") ? "\nhow to roll back (last step first):\n" :
			 "\nstill done, to undo by hand (last step first):\n");
		jv_array_foreach(undo, i, u) {
			jv acts = rep_list(u, "actions");
			berr |= buf_addf(b, "  %d. %s:", i + 1, rep_str(u, "step", "?"));
			jv_array_foreach(acts, j, a) {
				berr |= buf_addf(b, "%s %s", j ? "," : "", rep_str(a, "id", "?"));
				if (RSTR(a, "action"))
					berr |= buf_addf(b, " (%s)", RSTR(a, "action"));
				jv_free(a);
			}
			berr |= buf_addc(b, '\n');
			jv_free(acts);
			jv_free(u);
		}
	}
	jv_free(steps); jv_free(params); jv_free(appr); jv_free(outs); jv_free(oerr); jv_free(undo);
	jv_free(next); jv_free(rb);
	return berr;
}
