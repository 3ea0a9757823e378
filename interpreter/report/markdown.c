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
static int md(struct buf *b, const char *s)
{
	int berr = 0;
	for (; s && *s; s++) {
		if (*s == '|')
			berr |= buf_adds(b, "\\|");
		else if (*s == '\n')
			berr |= buf_adds(b, "<br>");
		else if (*s == '<')
			berr |= buf_adds(b, "&lt;");
		else if (*s == '&')
			berr |= buf_adds(b, "&amp;");
		else
			berr |= buf_addc(b, *s);
	}
	return berr;
}

/* `code` span: backticks inside are replaced (names never need them) */
static int code(struct buf *b, const char *s)
{
	int berr = 0;
	berr |= buf_addc(b, '`');
	for (; s && *s; s++)
		berr |= buf_addc(b, *s == '`' ? '\'' : *s == '\n' ? ' ' : *s == '|' ? '/' : *s);
	berr |= buf_addc(b, '`');
	return berr;
}

static int nonempty(jv v)
{
	jv_kind k = jv_get_kind(v);
	return (k == JV_KIND_OBJECT && jv_object_length(jv_copy(v)) > 0) ||
	       (k == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) > 0);
}

static int details(struct buf *b, jv rep)
{
	int berr = 0;
	const char *sha = RSTR(rep, "sha256");
	berr |= buf_adds(b, "## Details\n\n- **Runbook**: ");
	berr |= code(b, rep_str(rep, "runbook", "?"));
	if (RSTR(rep, "path")) {
		berr |= buf_adds(b, " (");
		berr |= code(b, RSTR(rep, "path"));
		if (sha)
			berr |= rep_addf(b, ", sha256 `%.12s…`", sha);
		berr |= buf_adds(b, ")");
	}
	berr |= buf_adds(b, "\n- **Run**: ");
	berr |= code(b, rep_str(rep, "run", "?"));
	berr |= buf_adds(b, "\n- **Mode**: ");
	berr |= md(b, rep_str(rep, "mode", "?"));
	berr |= buf_adds(b, "\n- **Outcome**: ");
	berr |= rep_head(b, rep);
	berr |= buf_adds(b, "\n- **Started**: ");
	berr |= md(b, rep_str(rep, "started_at", "-"));
	berr |= buf_adds(b, "\n- **Finished**: ");
	berr |= md(b, rep_str(rep, "finished_at", "-"));
	berr |= buf_adds(b, "\n- **Duration**: ");
	berr |= rep_ms(b, rep, "duration_ms");
	berr |= buf_adds(b, "\n");
	return berr;
}

static int kv_table(struct buf *b, jv obj, const char *head, const char *col)
{
	int berr = 0;
	jv keys;
	if (!nonempty(obj))
		return berr;
	berr |= rep_addf(b, "\n## %s\n\n| %s | Value |\n|---|---|\n", head, col);
	keys = jv_keys(jv_copy(obj));
	jv_array_foreach(keys, i, k) {
		jv v = jv_object_get(jv_copy(obj), jv_copy(k));
		char *t = rep_value_text(v);
		berr |= buf_adds(b, "| ");
		berr |= code(b, jv_string_value(k));
		berr |= buf_adds(b, " | ");
		berr |= md(b, t);
		berr |= buf_adds(b, " |\n");
		free(t);
		jv_free(v);
		jv_free(k);
		(void)i;
	}
	jv_free(keys);
	return berr;
}

static int approvals(struct buf *b, jv rep)
{
	int berr = 0;
	jv a = rep_list(rep, "approvals");
	if (nonempty(a)) {
		berr |= buf_adds(b, "\n## Approvals\n\n| Step | Answer | By | How | At |\n|---|---|---|---|---|\n");
		jv_array_foreach(a, i, x) {
			berr |= buf_adds(b, "| ");
			berr |= code(b, rep_str(x, "step", "?"));
			berr |= buf_adds(b, " | ");
			berr |= md(b, rep_str(x, "status", "?"));
			berr |= buf_adds(b, " | ");
			berr |= md(b, rep_str(x, "by", "-"));
			berr |= buf_adds(b, " | ");
			berr |= md(b, rep_str(x, "how", "-"));
			berr |= buf_adds(b, " | ");
			berr |= md(b, rep_str(x, "at", "-"));
			berr |= buf_adds(b, " |\n");
			jv_free(x);
			(void)i;
		}
	}
	jv_free(a);
	return berr;
}

static int objectives(struct buf *b, jv rep)
{
	int berr = 0;
	static const struct { const char *key, *name, *where; } rows[] = {
		{ "rto", "RTO", "restored" }, { "rpo", "RPO", "recovery_point" },
	};
	jv ob = RGET(rep, "objectives");
	if (jv_get_kind(ob) != JV_KIND_OBJECT) {
		jv_free(ob);
		return berr;
	}
	jv errs = rep_list(ob, "errors");
	berr |= buf_adds(b, "\n## Objectives\n\n| Objective | Target | Achieved | Result | Measured from |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		jv o = jvx_get(ob, rows[i].key);
		const char *v = rep_objective_verdict(rep, rows[i].key), *why = jvx_str(errs, rows[i].key);
		if (!v) {
			jv_free(o);
			continue;
		}
		berr |= rep_addf(b, "| %s | ", rows[i].name);
		berr |= rep_ms(b, o, "objective_ms");
		berr |= buf_adds(b, " | ");
		berr |= rep_ms(b, o, "achieved_ms");
		berr |= rep_addf(b, " | %s%s%s | ", strcmp(v, "met") ? "**" : "", v, strcmp(v, "met") ? "**" : "");
		if (why)
			berr |= md(b, why);
		else if (jvx_str(o, rows[i].where)) {
			berr |= md(b, rows[i].where);
			berr |= buf_adds(b, ": ");
			berr |= md(b, jvx_str(o, rows[i].where));
			if (RSTR(o, "incident_time")) {
				berr |= buf_adds(b, ", incident: ");
				berr |= md(b, RSTR(o, "incident_time"));
			}
		} else
			berr |= buf_adds(b, "-");
		berr |= buf_adds(b, " |\n");
		jv_free(o);
	}
	jv_free(errs);
	jv_free(ob);
	return berr;
}

static int steps_table(struct buf *b, jv rep)
{
	int berr = 0;
	jv steps = rep_list(rep, "steps"), cp = rep_list(rep, "critical_path");
	berr |= buf_adds(b, "\n## Steps\n\n| Step | Status | Start | Duration | Attempts | Polls | Rollback | Error |\n"
		    "|---|---|---|---|---:|---:|---|---|\n");
	jv_array_foreach(steps, i, s) {
		jv off = RGET(s, "offset_ms"), rbo = RGET(s, "rollback");
		berr |= buf_adds(b, "| ");
		berr |= code(b, rep_str(s, "id", "?"));
		if (RBOOL(s, "on_critical_path", 0))
			berr |= buf_adds(b, " ★");
		if (RBOOL(s, "finally", 0))
			berr |= buf_adds(b, " (finally)");
		berr |= buf_adds(b, " | ");
		berr |= md(b, rep_str(s, "status", "?"));
		berr |= buf_adds(b, " | ");
		if (jv_get_kind(off) == JV_KIND_NUMBER && RSTR(s, "started_at")) {
			berr |= buf_adds(b, "+");
			berr |= rep_ms(b, s, "offset_ms");
		} else {
			berr |= buf_adds(b, "-");
		}
		berr |= buf_adds(b, " | ");
		berr |= rep_ms(b, s, "duration_ms");
		berr |= rep_addf(b, " | %" PRId64 " | %" PRId64 " | ", RINT(s, "attempts", 0), RINT(s, "polls", 0));
		berr |= md(b, jv_get_kind(rbo) == JV_KIND_OBJECT ? rep_str(rbo, "status", "?") : "-");
		berr |= buf_adds(b, " | ");
		/* the first line; the key lines are under errors */
		if (RSTR(s, "error")) {
			const char *e = RSTR(s, "error"), *nl = strchr(e, '\n');
			struct buf one = BUF_INIT(0);
			berr |= buf_add(&one, e, nl ? (size_t)(nl - e) : strlen(e));
			berr |= md(b, buf_str(&one));
			buf_release(&one);
		}
		berr |= buf_adds(b, " |\n");
		jv_free(off);
		jv_free(rbo);
		jv_free(s);
		(void)i;
	}
	if (nonempty(cp)) {
		berr |= buf_adds(b, "\n★ critical path (the chain of steps that determined the run's end): ");
		jv_array_foreach(cp, i, id) {
			if (i)
				berr |= buf_adds(b, " → ");
			berr |= code(b, jv_string_value(id));
			jv_free(id);
		}
		berr |= buf_adds(b, "\n");
	}
	jv_free(cp);
	jv_free(steps);
	return berr;
}

static int rollback(struct buf *b, jv rep)
{
	int berr = 0;
	jv rb = RGET(rep, "rollback"), rows;
	if (jv_get_kind(rb) != JV_KIND_OBJECT) {
		jv_free(rb);
		return berr;
	}
	rows = rep_list(rb, "steps");
	berr |= rep_addf(b, "\n## Rollback\n\n**%" PRId64 " of %" PRId64 " rollback action%s succeeded**",
		 RINT(rb, "succeeded", 0), RINT(rb, "actions", 0), RINT(rb, "actions", 0) == 1 ? "" : "s");
	if (RSTR(rb, "outcome")) {
		berr |= buf_adds(b, " (rollback ");
		berr |= md(b, RSTR(rb, "outcome"));
		berr |= buf_adds(b, ")");
	}
	berr |= buf_adds(b, ".");
	if (RSTR(rb, "reason")) {
		berr |= buf_adds(b, " Reason: ");
		berr |= md(b, RSTR(rb, "reason"));
	}
	berr |= buf_adds(b, "\n\n");
	if (nonempty(rows)) {
		berr |= buf_adds(b, "| # | Undone step | Rollback action | Outcome | Start | Duration |\n|---:|---|---|---|---|---|\n");
		jv_array_foreach(rows, i, r) {
			berr |= rep_addf(b, "| %d | ", i + 1);
			berr |= code(b, rep_str(r, "step", "?"));
			berr |= buf_adds(b, " | ");
			berr |= code(b, rep_str(r, "rollback_step", "?"));
			berr |= buf_adds(b, " | ");
			berr |= md(b, rep_str(r, "status", "?"));
			berr |= buf_adds(b, " | ");
			jv off = RGET(r, "offset_ms");
			if (jv_get_kind(off) == JV_KIND_NUMBER)
				berr |= buf_adds(b, "+");
			jv_free(off);
			berr |= rep_ms(b, r, "offset_ms");
			berr |= buf_adds(b, " | ");
			berr |= rep_ms(b, r, "duration_ms");
			berr |= buf_adds(b, " |\n");
			jv_free(r);
		}
	} else {
		berr |= buf_adds(b, "Nothing had to be undone.\n");
	}
	jv_free(rows);
	jv_free(rb);
	return berr;
}

static int errors(struct buf *b, jv rep)
{
	int berr = 0;
	jv errs = rep_list(rep, "errors");
	const char *why = RSTR(rep, "error");
	if (!nonempty(errs) && !why) {
		jv_free(errs);
		return berr;
	}
	berr |= buf_adds(b, "\n## Errors\n");
	jv_array_foreach(errs, i, e) {
		jv lines = rep_list(e, "lines");
		int64_t more = RINT(e, "more_lines", 0);
		berr |= buf_adds(b, "\n");
		if (RSTR(e, "rollback_step")) {
			berr |= buf_adds(b, "Rollback action ");
			berr |= code(b, RSTR(e, "rollback_step"));
			berr |= buf_adds(b, " (undoing ");
			berr |= code(b, rep_str(e, "step", "?"));
			berr |= buf_adds(b, "):\n\n```\n");
		} else {
			berr |= buf_adds(b, "Step ");
			berr |= code(b, rep_str(e, "step", "?"));
			berr |= buf_adds(b, ":\n\n```\n");
		}
		jv_array_foreach(lines, k, l) {
			for (const char *p = jv_string_value(l); *p; p++)   /* a line of ``` cannot end the block */
				berr |= buf_addc(b, *p == '`' ? '\'' : *p);
			berr |= buf_addc(b, '\n');
			jv_free(l);
			(void)k;
		}
		berr |= buf_adds(b, "```\n");
		if (more)
			berr |= rep_addf(b, "\n(%" PRId64 " more line%s: `runbook show %s --format json`)\n", more, more == 1 ? "" : "s",
				 rep_str(rep, "run", "RUN-ID"));
		jv_free(lines);
		jv_free(e);
		(void)i;
	}
	if (why && !report_failed_step_len(why)) {
		berr |= buf_adds(b, "\nThe run: ");
		berr |= md(b, why);
		berr |= buf_adds(b, "\n");
	}
	jv_free(errs);
	return berr;
}

static int name_items(struct buf *b, jv rep, const char *key, const char *head)
{
	int berr = 0;
	jv a = jvx_get(rep, key);
	if (nonempty(a)) {
		berr |= rep_addf(b, "\n## %s\n\n", head);
		jv_array_foreach(a, i, it) {
			berr |= buf_adds(b, "- ");
			berr |= code(b, jv_get_kind(it) == JV_KIND_STRING ? jv_string_value(it) : "?");
			berr |= buf_adds(b, "\n");
			jv_free(it);
			(void)i;
		}
	}
	jv_free(a);
	return berr;
}

static int finally_steps(struct buf *b, jv rep)
{
	int berr = 0;
	jv steps = rep_list(rep, "steps");
	int n = 0;
	jv_array_foreach(steps, i, s) {
		if (RBOOL(s, "finally", 0)) {
			if (!n++)
				berr |= buf_adds(b, "\n## Finally steps\n\nThey ran once the run had ended; their failure does not change the exit code.\n\n");
			berr |= buf_adds(b, "- ");
			berr |= code(b, rep_str(s, "id", "?"));
			berr |= buf_adds(b, ": ");
			berr |= md(b, rep_str(s, "status", "?"));
			berr |= buf_adds(b, "\n");
		}
		jv_free(s);
		(void)i;
	}
	jv_free(steps);
	return berr;
}

static int next_and_undo(struct buf *b, jv rep)
{
	int berr = 0;
	jv next = rep_list(rep, "next_steps"), undo = rep_list(rep, "undo");
	const char *mode = rep_str(rep, "mode", "run");
	if (nonempty(next)) {
		berr |= buf_adds(b, "\n## Next steps\n\n");
		jv_array_foreach(next, i, t) {
			berr |= rep_addf(b, "%d. ", i + 1);
			berr |= md(b, jv_string_value(t));
			berr |= buf_adds(b, "\n");
			jv_free(t);
		}
	}
	if (strcmp(mode, "rehearsal") && strcmp(mode, "dry-run") && nonempty(undo)) {
		berr |= buf_adds(b, !strcmp(rep_str(rep, "status", ""), "succeeded") ?
			 "\n## How to roll back\n\nIf issues are discovered, undo these steps in this order "
			 "(their rollback blocks, last step first):\n\n" :
			 "\n## How to roll back\n\nThese steps are still done (no rollback undid them): undo them "
			 "in this order (their rollback blocks, last step first):\n\n");
		jv_array_foreach(undo, i, u) {
			jv acts = rep_list(u, "actions");
			berr |= rep_addf(b, "%d. ", i + 1);
			berr |= code(b, rep_str(u, "step", "?"));
			berr |= buf_adds(b, ":");
			jv_array_foreach(acts, j, a) {
				berr |= buf_adds(b, j ? ", " : " ");
				berr |= code(b, rep_str(a, "id", "?"));
				if (RSTR(a, "action")) {
					berr |= buf_adds(b, " (");
					berr |= md(b, RSTR(a, "action"));
					berr |= buf_adds(b, ")");
				}
				jv_free(a);
			}
			berr |= buf_adds(b, "\n");
			jv_free(acts);
			jv_free(u);
		}
	}
	jv_free(next);
	jv_free(undo);
	return berr;
}

int report_markdown(struct buf *b, jv rep)
{
	int berr = 0;
	jv params = RGET(rep, "params"), outs = RGET(rep, "outputs"), oerr = RGET(rep, "output_errors");

	berr |= buf_adds(b, "# Run report: ");
	berr |= md(b, rep_str(rep, "runbook", "?"));
	berr |= buf_adds(b, "\n\n**");
	berr |= rep_head(b, rep);
	berr |= buf_adds(b, "** in ");
	berr |= rep_ms(b, rep, "duration_ms");
	berr |= buf_adds(b, "\n\n");
	berr |= details(b, rep);
	berr |= kv_table(b, params, "Params", "Param");
	berr |= approvals(b, rep);
	berr |= kv_table(b, outs, "Outputs", "Output");
	berr |= kv_table(b, oerr, "Outputs not evaluated", "Output");
	berr |= objectives(b, rep);
	berr |= steps_table(b, rep);
	berr |= rollback(b, rep);
	berr |= errors(b, rep);
	berr |= name_items(b, rep, "noncritical_failed", "Non-critical failures");
	berr |= finally_steps(b, rep);
	berr |= next_and_undo(b, rep);
	berr |= buf_adds(b, "\n## Timeline\n\n![timeline](timeline.svg)\n\n(`runbook show ");
	berr |= md(b, rep_str(rep, "run", "RUN-ID"));
	berr |= buf_adds(b, " --format svg` draws it.)\n\n## Totals\n\n");
	berr |= rep_totals(b, rep);
	berr |= buf_addc(b, '\n');
	jv_free(params);
	jv_free(outs);
	jv_free(oerr);
	return berr;
}
