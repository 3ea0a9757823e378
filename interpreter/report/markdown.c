/* markdown.c — the report as the seeds' restore report (seed 000, "Database Restore
 * Report"): details, params, approvals, outputs, objectives, steps, rollback, errors,
 * next steps, how to roll back, the timeline. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "report_int.h"
#include "../core/jvx.h"

/* text for a table cell or a list item: | escaped, newlines as <br>, no raw HTML */
static void md(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			buf_adds(b, "\\|");
		else if (*s == '\n')
			buf_adds(b, "<br>");
		else if (*s == '<')
			buf_adds(b, "&lt;");
		else if (*s == '&')
			buf_adds(b, "&amp;");
		else
			buf_addc(b, *s);
	}
}

/* `code` span: backticks inside are replaced (names never need them) */
static void code(struct buf *b, const char *s)
{
	buf_addc(b, '`');
	for (; s && *s; s++)
		buf_addc(b, *s == '`' ? '\'' : *s == '\n' ? ' ' : *s == '|' ? '/' : *s);
	buf_addc(b, '`');
}

static int nonempty(jv v)
{
	jv_kind k = jv_get_kind(v);
	return (k == JV_KIND_OBJECT && jv_object_length(jv_copy(v)) > 0) ||
	       (k == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) > 0);
}

static void details(struct buf *b, jv rep)
{
	const char *sha = jvx_str(rep, "sha256");
	buf_adds(b, "## Details\n\n- **Runbook**: ");
	code(b, rep_str(rep, "runbook", "?"));
	if (jvx_str(rep, "path")) {
		buf_adds(b, " (");
		code(b, jvx_str(rep, "path"));
		if (sha)
			buf_addf(b, ", sha256 `%.12s…`", sha);
		buf_adds(b, ")");
	}
	buf_adds(b, "\n- **Run**: ");
	code(b, rep_str(rep, "run", "?"));
	buf_adds(b, "\n- **Mode**: ");
	md(b, rep_str(rep, "mode", "?"));
	buf_adds(b, "\n- **Outcome**: ");
	rep_head(b, rep);
	buf_adds(b, "\n- **Started**: ");
	md(b, rep_str(rep, "started_at", "-"));
	buf_adds(b, "\n- **Finished**: ");
	md(b, rep_str(rep, "finished_at", "-"));
	buf_adds(b, "\n- **Duration**: ");
	rep_ms(b, rep, "duration_ms");
	buf_adds(b, "\n");
}

static void kv_table(struct buf *b, jv obj, const char *head, const char *col)
{
	jv keys;
	if (!nonempty(obj))
		return;
	buf_addf(b, "\n## %s\n\n| %s | Value |\n|---|---|\n", head, col);
	keys = jv_keys(jv_copy(obj));
	jv_array_foreach(keys, i, k) {
		jv v = jv_object_get(jv_copy(obj), jv_copy(k));
		char *t = rep_value_text(v);
		buf_adds(b, "| ");
		code(b, jv_string_value(k));
		buf_adds(b, " | ");
		md(b, t);
		buf_adds(b, " |\n");
		free(t);
		jv_free(v);
		jv_free(k);
		(void)i;
	}
	jv_free(keys);
}

static void approvals(struct buf *b, jv rep)
{
	jv a = rep_list(rep, "approvals");
	if (nonempty(a)) {
		buf_adds(b, "\n## Approvals\n\n| Step | Answer | By | How | At |\n|---|---|---|---|---|\n");
		jv_array_foreach(a, i, x) {
			buf_adds(b, "| ");
			code(b, rep_str(x, "step", "?"));
			buf_adds(b, " | ");
			md(b, rep_str(x, "status", "?"));
			buf_adds(b, " | ");
			md(b, rep_str(x, "by", "-"));
			buf_adds(b, " | ");
			md(b, rep_str(x, "how", "-"));
			buf_adds(b, " | ");
			md(b, rep_str(x, "at", "-"));
			buf_adds(b, " |\n");
			jv_free(x);
			(void)i;
		}
	}
	jv_free(a);
}

static void objectives(struct buf *b, jv rep)
{
	static const struct { const char *key, *name, *where; } rows[] = {
		{ "rto", "RTO", "restored" }, { "rpo", "RPO", "recovery_point" },
	};
	jv ob = jvx_get(rep, "objectives");
	if (jv_get_kind(ob) != JV_KIND_OBJECT) {
		jv_free(ob);
		return;
	}
	jv errs = rep_list(ob, "errors");
	buf_adds(b, "\n## Objectives\n\n| Objective | Target | Achieved | Result | Measured from |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		jv o = jvx_get(ob, rows[i].key);
		const char *v = rep_objective_verdict(rep, rows[i].key), *why = jvx_str(errs, rows[i].key);
		if (!v) {
			jv_free(o);
			continue;
		}
		buf_addf(b, "| %s | ", rows[i].name);
		rep_ms(b, o, "objective_ms");
		buf_adds(b, " | ");
		rep_ms(b, o, "achieved_ms");
		buf_addf(b, " | %s%s%s | ", strcmp(v, "met") ? "**" : "", v, strcmp(v, "met") ? "**" : "");
		if (why)
			md(b, why);
		else if (jvx_str(o, rows[i].where)) {
			md(b, rows[i].where);
			buf_adds(b, ": ");
			md(b, jvx_str(o, rows[i].where));
			if (jvx_str(o, "incident_time")) {
				buf_adds(b, ", incident: ");
				md(b, jvx_str(o, "incident_time"));
			}
		} else
			buf_adds(b, "-");
		buf_adds(b, " |\n");
		jv_free(o);
	}
	jv_free(errs);
	jv_free(ob);
}

static void steps_table(struct buf *b, jv rep)
{
	jv steps = rep_list(rep, "steps"), cp = rep_list(rep, "critical_path");
	buf_adds(b, "\n## Steps\n\n| Step | Status | Start | Duration | Attempts | Polls | Rollback | Error |\n"
		    "|---|---|---|---|---:|---:|---|---|\n");
	jv_array_foreach(steps, i, s) {
		jv off = jvx_get(s, "offset_ms"), rbo = jvx_get(s, "rollback");
		buf_adds(b, "| ");
		code(b, rep_str(s, "id", "?"));
		if (jvx_bool(s, "on_critical_path", 0))
			buf_adds(b, " ★");
		if (jvx_bool(s, "finally", 0))
			buf_adds(b, " (finally)");
		buf_adds(b, " | ");
		md(b, rep_str(s, "status", "?"));
		buf_adds(b, " | ");
		if (jv_get_kind(off) == JV_KIND_NUMBER && jvx_str(s, "started_at")) {
			buf_adds(b, "+");
			rep_ms(b, s, "offset_ms");
		} else {
			buf_adds(b, "-");
		}
		buf_adds(b, " | ");
		rep_ms(b, s, "duration_ms");
		buf_addf(b, " | %" PRId64 " | %" PRId64 " | ", jvx_int(s, "attempts", 0), jvx_int(s, "polls", 0));
		md(b, jv_get_kind(rbo) == JV_KIND_OBJECT ? rep_str(rbo, "status", "?") : "-");
		buf_adds(b, " | ");
		/* the first line; the key lines are under errors */
		if (jvx_str(s, "error")) {
			const char *e = jvx_str(s, "error"), *nl = strchr(e, '\n');
			struct buf one = BUF_INIT(0);
			buf_add(&one, e, nl ? (size_t)(nl - e) : strlen(e));
			md(b, buf_str(&one));
			buf_release(&one);
		}
		buf_adds(b, " |\n");
		jv_free(off);
		jv_free(rbo);
		jv_free(s);
		(void)i;
	}
	if (nonempty(cp)) {
		buf_adds(b, "\n★ critical path (the chain of steps that determined the run's end): ");
		jv_array_foreach(cp, i, id) {
			if (i)
				buf_adds(b, " → ");
			code(b, jv_string_value(id));
			jv_free(id);
		}
		buf_adds(b, "\n");
	}
	jv_free(cp);
	jv_free(steps);
}

static void rollback(struct buf *b, jv rep)
{
	jv rb = jvx_get(rep, "rollback"), rows;
	if (jv_get_kind(rb) != JV_KIND_OBJECT) {
		jv_free(rb);
		return;
	}
	rows = rep_list(rb, "steps");
	buf_addf(b, "\n## Rollback\n\n**%" PRId64 " of %" PRId64 " rollback action%s succeeded**",
		 jvx_int(rb, "succeeded", 0), jvx_int(rb, "actions", 0), jvx_int(rb, "actions", 0) == 1 ? "" : "s");
	if (jvx_str(rb, "outcome")) {
		buf_adds(b, " (rollback ");
		md(b, jvx_str(rb, "outcome"));
		buf_adds(b, ")");
	}
	buf_adds(b, ".");
	if (jvx_str(rb, "reason")) {
		buf_adds(b, " Reason: ");
		md(b, jvx_str(rb, "reason"));
	}
	buf_adds(b, "\n\n");
	if (nonempty(rows)) {
		buf_adds(b, "| # | Undone step | Rollback action | Outcome | Start | Duration |\n|---:|---|---|---|---|---|\n");
		jv_array_foreach(rows, i, r) {
			buf_addf(b, "| %d | ", i + 1);
			code(b, rep_str(r, "step", "?"));
			buf_adds(b, " | ");
			code(b, rep_str(r, "rollback_step", "?"));
			buf_adds(b, " | ");
			md(b, rep_str(r, "status", "?"));
			buf_adds(b, " | ");
			jv off = jvx_get(r, "offset_ms");
			if (jv_get_kind(off) == JV_KIND_NUMBER)
				buf_adds(b, "+");
			jv_free(off);
			rep_ms(b, r, "offset_ms");
			buf_adds(b, " | ");
			rep_ms(b, r, "duration_ms");
			buf_adds(b, " |\n");
			jv_free(r);
		}
	} else {
		buf_adds(b, "Nothing had to be undone.\n");
	}
	jv_free(rows);
	jv_free(rb);
}

static void errors(struct buf *b, jv rep)
{
	jv errs = rep_list(rep, "errors");
	const char *why = jvx_str(rep, "error");
	if (!nonempty(errs) && !why) {
		jv_free(errs);
		return;
	}
	buf_adds(b, "\n## Errors\n");
	jv_array_foreach(errs, i, e) {
		jv lines = rep_list(e, "lines");
		int64_t more = jvx_int(e, "more_lines", 0);
		buf_adds(b, "\n");
		if (jvx_str(e, "rollback_step")) {
			buf_adds(b, "Rollback action ");
			code(b, jvx_str(e, "rollback_step"));
			buf_adds(b, " (undoing ");
			code(b, rep_str(e, "step", "?"));
			buf_adds(b, "):\n\n```\n");
		} else {
			buf_adds(b, "Step ");
			code(b, rep_str(e, "step", "?"));
			buf_adds(b, ":\n\n```\n");
		}
		jv_array_foreach(lines, k, l) {
			for (const char *p = jv_string_value(l); *p; p++)   /* a line of ``` cannot end the block */
				buf_addc(b, *p == '`' ? '\'' : *p);
			buf_addc(b, '\n');
			jv_free(l);
			(void)k;
		}
		buf_adds(b, "```\n");
		if (more)
			buf_addf(b, "\n(%" PRId64 " more line%s: `runbook show %s --format json`)\n", more, more == 1 ? "" : "s",
				 rep_str(rep, "run", "RUN-ID"));
		jv_free(lines);
		jv_free(e);
		(void)i;
	}
	if (why && !report_failed_step_len(why)) {
		buf_adds(b, "\nThe run: ");
		md(b, why);
		buf_adds(b, "\n");
	}
	jv_free(errs);
}

static void name_items(struct buf *b, jv rep, const char *key, const char *head)
{
	jv a = jvx_get(rep, key);
	if (nonempty(a)) {
		buf_addf(b, "\n## %s\n\n", head);
		jv_array_foreach(a, i, it) {
			buf_adds(b, "- ");
			code(b, jv_get_kind(it) == JV_KIND_STRING ? jv_string_value(it) : "?");
			buf_adds(b, "\n");
			jv_free(it);
			(void)i;
		}
	}
	jv_free(a);
}

static void finally_steps(struct buf *b, jv rep)
{
	jv steps = rep_list(rep, "steps");
	int n = 0;
	jv_array_foreach(steps, i, s) {
		if (jvx_bool(s, "finally", 0)) {
			if (!n++)
				buf_adds(b, "\n## Finally steps\n\nThey ran once the run had ended; their failure does not change the exit code.\n\n");
			buf_adds(b, "- ");
			code(b, rep_str(s, "id", "?"));
			buf_adds(b, ": ");
			md(b, rep_str(s, "status", "?"));
			buf_adds(b, "\n");
		}
		jv_free(s);
		(void)i;
	}
	jv_free(steps);
}

static void next_and_undo(struct buf *b, jv rep)
{
	jv next = rep_list(rep, "next_steps"), undo = rep_list(rep, "undo");
	const char *mode = rep_str(rep, "mode", "run");
	if (nonempty(next)) {
		buf_adds(b, "\n## Next steps\n\n");
		jv_array_foreach(next, i, t) {
			buf_addf(b, "%d. ", i + 1);
			md(b, jv_string_value(t));
			buf_adds(b, "\n");
			jv_free(t);
		}
	}
	if (strcmp(mode, "rehearsal") && strcmp(mode, "dry-run") && nonempty(undo)) {
		buf_adds(b, !strcmp(rep_str(rep, "status", ""), "succeeded") ?
			 "\n## How to roll back\n\nIf issues are discovered, undo these steps in this order "
			 "(their rollback blocks, last step first):\n\n" :
			 "\n## How to roll back\n\nThese steps are still done (no rollback undid them): undo them "
			 "in this order (their rollback blocks, last step first):\n\n");
		jv_array_foreach(undo, i, u) {
			jv acts = rep_list(u, "actions");
			buf_addf(b, "%d. ", i + 1);
			code(b, rep_str(u, "step", "?"));
			buf_adds(b, ":");
			jv_array_foreach(acts, j, a) {
				buf_adds(b, j ? ", " : " ");
				code(b, rep_str(a, "id", "?"));
				if (jvx_str(a, "action")) {
					buf_adds(b, " (");
					md(b, jvx_str(a, "action"));
					buf_adds(b, ")");
				}
				jv_free(a);
			}
			buf_adds(b, "\n");
			jv_free(acts);
			jv_free(u);
		}
	}
	jv_free(next);
	jv_free(undo);
}

void report_markdown(struct buf *b, jv rep)
{
	jv params = jvx_get(rep, "params"), outs = jvx_get(rep, "outputs"), oerr = jvx_get(rep, "output_errors");

	buf_adds(b, "# Run report: ");
	md(b, rep_str(rep, "runbook", "?"));
	buf_adds(b, "\n\n**");
	rep_head(b, rep);
	buf_adds(b, "** in ");
	rep_ms(b, rep, "duration_ms");
	buf_adds(b, "\n\n");
	details(b, rep);
	kv_table(b, params, "Params", "Param");
	approvals(b, rep);
	kv_table(b, outs, "Outputs", "Output");
	kv_table(b, oerr, "Outputs not evaluated", "Output");
	objectives(b, rep);
	steps_table(b, rep);
	rollback(b, rep);
	errors(b, rep);
	name_items(b, rep, "noncritical_failed", "Non-critical failures");
	finally_steps(b, rep);
	next_and_undo(b, rep);
	buf_adds(b, "\n## Timeline\n\n![timeline](timeline.svg)\n\n(`runbook show ");
	md(b, rep_str(rep, "run", "RUN-ID"));
	buf_adds(b, " --format svg` draws it.)\n\n## Totals\n\n");
	rep_totals(b, rep);
	buf_addc(b, '\n');
	jv_free(params);
	jv_free(outs);
	jv_free(oerr);
}
