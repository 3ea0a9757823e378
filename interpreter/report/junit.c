/* junit.c — the report as JUnit XML for CI: one testcase per step (classname: the
 * runbook), failing for a failed step, skipped for a skipped or never-run one, and one
 * per objective (rto, rpo), failing when missed or not measured. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "report_int.h"
#include "../core/jvx.h"

static int secs(struct buf *b, jv o, const char *key)
{
	int berr = 0;
	jv v = jvx_get(o, key);
	double ms = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;
	jv_free(v);
	berr |= buf_addf(b, "%.3f", ms / 1000.0);
	return berr;
}

static int open_case(struct buf *b, const char *suite, const char *name, jv o, const char *key)
{
	int berr = 0;
	berr |= buf_adds(b, "    <testcase classname=\"");
	berr |= buf_add_xml(b, suite);
	berr |= buf_adds(b, "\" name=\"");
	berr |= buf_add_xml(b, name);
	berr |= buf_adds(b, "\" time=\"");
	berr |= secs(b, o, key);
	berr |= buf_adds(b, "\">\n");
	return berr;
}

static int step_case(struct buf *b, const char *suite, jv s)
{
	int berr = 0;
	const char *st = rep_str(s, "status", "pending"), *err = RSTR(s, "error");
	jv rb = RGET(s, "rollback");
	struct buf out = BUF_INIT(0);
	berr |= open_case(b, suite, rep_str(s, "id", "?"), s, "duration_ms");
	berr |= buf_addf(&out, "status: %s; attempts: %" PRId64 "; polls: %" PRId64, st, RINT(s, "attempts", 0),
		 RINT(s, "polls", 0));
	if (jv_get_kind(rb) == JV_KIND_OBJECT) {
		berr |= buf_addf(&out, "; rollback: %s", rep_str(rb, "status", "?"));
		if (RSTR(rb, "error"))
			berr |= buf_addf(&out, " (%s)", RSTR(rb, "error"));
	}
	if (!strcmp(st, "failed")) {
		const char *nl = err ? strchr(err, '\n') : NULL;
		struct buf first = BUF_INIT(0);
		berr |= buf_add(&first, err ? err : "failed", nl ? (size_t)(nl - err) : strlen(err ? err : "failed"));
		berr |= buf_adds(b, "      <failure message=\"");
		berr |= buf_add_xml(b, buf_str(&first));
		berr |= buf_adds(b, "\" type=\"step_failed\">");
		berr |= buf_add_xml(b, err ? err : "failed");
		berr |= buf_adds(b, "</failure>\n");
		buf_release(&first);
	} else if (!strcmp(st, "skipped") || !strcmp(st, "pending")) {
		berr |= buf_adds(b, "      <skipped message=\"");
		berr |= buf_add_xml(b, err ? err : !strcmp(st, "pending") ? "not run" : "skipped");
		berr |= buf_adds(b, "\"/>\n");
	} else if (!strcmp(st, "running")) {
		berr |= buf_adds(b, "      <error message=\"interrupted while running\" type=\"interrupted\"/>\n");
	}
	berr |= buf_adds(b, "      <system-out>");
	berr |= buf_add_xml(b, buf_str(&out));
	berr |= buf_adds(b, "</system-out>\n    </testcase>\n");
	buf_release(&out);
	jv_free(rb);
	return berr;
}

/* 1 when the objective's testcase fails (missed, or set and not measured) */
static int objective_case(struct buf *b, const char *suite, jv rep, const char *which, int *berrp)
{
	int berr = 0;
	jv ob = RGET(rep, "objectives"), o = jvx_get(ob, which), target = RGET(o, "objective_ms");
	const char *v = rep_objective_verdict(rep, which);
	struct buf msg = BUF_INIT(0);
	int failing = 0;
	berr |= open_case(b, suite, which, o, "achieved_ms");
	berr |= buf_adds(&msg, which[1] == 't' ? "RTO " : "RPO ");
	berr |= rep_objective_phrase(&msg, rep, which) < 0 ? -1 : 0;
	if (jv_get_kind(target) != JV_KIND_NUMBER) {
		berr |= buf_adds(b, "      <skipped message=\"");
		berr |= buf_add_xml(b, which[1] == 't' ? "no rto objective" : "no rpo objective");
		berr |= buf_adds(b, "\"/>\n");
	} else if (strcmp(v, "met")) {
		failing = 1;
		berr |= buf_adds(b, "      <failure message=\"");
		berr |= buf_add_xml(b, buf_str(&msg));
		berr |= buf_addf(b, "\" type=\"%s\">", !strcmp(v, "MISSED") ? "objective_missed" : "objective_not_measured");
		berr |= buf_add_xml(b, buf_str(&msg));
		berr |= buf_adds(b, "</failure>\n");
	}
	berr |= buf_adds(b, "      <system-out>");
	berr |= buf_add_xml(b, buf_str(&msg));
	berr |= buf_adds(b, "</system-out>\n    </testcase>\n");
	buf_release(&msg);
	jv_free(target);
	jv_free(o);
	jv_free(ob);
	*berrp |= berr;
	return failing;
}

int report_junit(struct buf *b, jv rep)
{
	int berr = 0;
	static const char *const which[] = { "rto", "rpo" };
	jv steps = rep_list(rep, "steps"), t = RGET(rep, "totals");
	const char *suite = rep_str(rep, "runbook", "runbook");
	int n = jv_array_length(jv_copy(steps));
	int64_t failures = RINT(t, "failed", 0);
	int64_t skipped = RINT(t, "skipped", 0) + RINT(t, "pending", 0);
	int64_t errors = RINT(t, "running", 0);
	struct buf cases = BUF_INIT(0);

	jv_array_foreach(steps, i, s) {
		berr |= step_case(&cases, suite, s);
		jv_free(s);
		(void)i;
	}
	for (size_t w = 0; w < 2; w++) {
		jv ob = RGET(rep, "objectives"), o = jvx_get(ob, which[w]), target = RGET(o, "objective_ms");
		if (rep_objective_verdict(rep, which[w])) {
			n++;
			failures += objective_case(&cases, suite, rep, which[w], &berr);
			skipped += jv_get_kind(target) != JV_KIND_NUMBER;
		}
		jv_free(target);
		jv_free(o);
		jv_free(ob);
	}

	berr |= buf_addf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"runbook\" tests=\"%d\" failures=\"%"
		 PRId64 "\" errors=\"%" PRId64 "\" skipped=\"%" PRId64 "\" time=\"", n, failures, errors, skipped);
	berr |= secs(b, rep, "duration_ms");
	berr |= buf_adds(b, "\">\n  <testsuite name=\"");
	berr |= buf_add_xml(b, suite);
	berr |= buf_adds(b, "\" id=\"");
	berr |= buf_add_xml(b, rep_str(rep, "run", ""));
	berr |= buf_addf(b, "\" tests=\"%d\" failures=\"%" PRId64 "\" errors=\"%" PRId64 "\" skipped=\"%" PRId64 "\" time=\"",
		 n, failures, errors, skipped);
	berr |= secs(b, rep, "duration_ms");
	berr |= buf_adds(b, "\"");
	if (RSTR(rep, "started_at")) {
		berr |= buf_adds(b, " timestamp=\"");
		berr |= buf_add_xml(b, RSTR(rep, "started_at"));
		berr |= buf_adds(b, "\"");
	}
	berr |= buf_adds(b, ">\n");
	berr |= buf_add(b, cases.data ? cases.data : "", cases.len);
	berr |= buf_adds(b, "  </testsuite>\n</testsuites>\n");
	buf_release(&cases);
	jv_free(steps);
	jv_free(t);
	return berr;
}
