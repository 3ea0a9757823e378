/* report_tool.c — render a run report from a journal file:
 *   report_tool JOURNAL FORMAT [PLAN.json [PARAMS.json]]
 * Reads journal.jsonl (one JSON event per line) like `runbook show` does and prints
 * report_render's output; used by the golden tests of report/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "report/report.h"

int main(int argc, char **argv)
{
	int berr = 0;
	enum report_format fmt;
	struct buf line = BUF_INIT(0);
	jv events = jv_array();
	FILE *f;
	int c, rc = 0;
	jv plan = jv_null(), params = jv_null();
	if (argc < 3 || argc > 5 || report_format_parse(argv[2], &fmt) < 0) {
		fprintf(stderr, "usage: report_tool JOURNAL text|json|markdown|junit|svg [PLAN [PARAMS]]\n");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		jv all = jv_load_file(argv[i], 0);
		if (jv_get_kind(all) != JV_KIND_ARRAY || jv_array_length(jv_copy(all)) != 1) {
			fprintf(stderr, "report_tool: %s: not one JSON value\n", argv[i]);
			jv_free(all);
			jv_free(events);
			jv_free(plan);
			jv_free(params);
			return 2;
		}
		if (i == 3) {
			jv_free(plan);
			plan = jv_array_get(all, 0);
		} else {
			jv_free(params);
			params = jv_array_get(all, 0);
		}
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		jv_free(events);
		jv_free(plan);
		jv_free(params);
		return 2;
	}
	do {
		c = fgetc(f);
		if (c != EOF && c != '\n') {
			berr |= buf_addc(&line, (char)c);
			continue;
		}
		if (line.len) {
			jv ev = jv_parse(buf_str(&line));
			if (!jv_is_valid(ev)) {
				fprintf(stderr, "report_tool: bad line: %s\n", buf_str(&line));
				jv_free(ev);
				rc = 2;
				break;
			}
			events = jv_array_append(events, ev);
		}
		buf_reset(&line);
	} while (c != EOF);
	BUF_NOCAP(berr);
	fclose(f);
	if (!rc && report_render(events, plan, params, fmt, stdout) < 0)
		rc = 1;
	jv_free(events);
	jv_free(plan);
	jv_free(params);
	buf_release(&line);
	return rc;
}
