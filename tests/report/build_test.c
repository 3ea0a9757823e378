/* build_test.c — the run reports read a journal's text (report_build_journal: lines
 * the report does not read are not parsed, step events are read field by field) and
 * plan.json with only what they use (report_plan_keep); a store without the text gives
 * them its events (report_build). Both must give the same report:
 *   build_test RUN-DIR...
 * for each run folder (journal.jsonl, plan.json and params.json when present): the
 * report of its events and whole plan, and the report of its text and kept plan, dump
 * to the same JSON; and the same again with another run's log line first (the report
 * takes the run id of the first event naming one) and a cut line last. TAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/fs.h"
#include "core/jparse.h"
#include "core/jvx.h"
#include "report/report.h"

static jv file_json(const char *dir, const char *name, const struct jkeep *keep)
{
	char path[4096];
	size_t len;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *text = fs_read(path, 64u << 20, &len);
	if (!text)
		return jv_null();
	struct jparser *jp = malloc(sizeof(*jp));
	jparser_init(jp);
	jv v = jparser_parse_keep(jp, text, len, keep);
	jparser_release(jp);
	free(jp);
	free(text);
	return jv_get_kind(v) == JV_KIND_OBJECT ? v : (jv_free(v), jv_null());
}

/* the events of a journal's text, as the folder store reads them */
static jv events_of(const char *text, size_t len)
{
	jv out = jv_array();
	const char *line = text, *nl;
	while ((nl = memchr(line, '\n', len - (size_t)(line - text)))) {
		size_t n = (size_t)(nl - line);
		while (n && line[n - 1] == '\r')
			n--;
		if (n) {
			jv v = jparse(line, n);
			if (jv_get_kind(v) == JV_KIND_OBJECT)
				out = jv_array_append(out, v);
			else
				jv_free(v);
		}
		line = nl + 1;
	}
	return out;
}

/* 0 when both ways give the same report of text */
static int same(const char *dir, const char *text, size_t len, const char *what)
{
	jv plan = file_json(dir, "plan.json", NULL), kept = file_json(dir, "plan.json", report_plan_keep);
	jv params = file_json(dir, "params.json", NULL), evs = events_of(text, len);
	jv a = report_build(evs, plan, params), b = report_build_journal(text, len, kept, params);
	char *da = jvx_dump(jv_copy(a)), *db = jvx_dump(jv_copy(b));
	int ok = !strcmp(da, db);
	if (!ok) {
		size_t i = 0;
		while (da[i] && da[i] == db[i])
			i++;
		printf("# %s (%s): differ at byte %zu:\n#   events: %.120s\n#   text:   %.120s\n", dir, what, i,
		       da + (i > 40 ? i - 40 : 0), db + (i > 40 ? i - 40 : 0));
	}
	free(da);
	free(db);
	jv_free(a);
	jv_free(b);
	jv_free(evs);
	jv_free(plan);
	jv_free(kept);
	jv_free(params);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	printf("TAP version 13\n1..%d\n", 2 * (argc - 1));
	for (int i = 1; i < argc; i++) {
		char path[4096];
		size_t len;
		snprintf(path, sizeof(path), "%s/journal.jsonl", argv[i]);
		char *text = fs_read(path, 64u << 20, &len);
		if (!text) {
			printf("not ok %d - %s: cannot read\nnot ok %d - %s\n", 2 * i - 1, path, 2 * i, path);
			continue;
		}
		printf("%s %d - %s: the report of its events and of its text are the same\n",
		       same(argv[i], text, len, "as written") ? "not ok" : "ok", 2 * i - 1, argv[i]);
		/* a log line of another run first (the run id is the first event's that has
		 * one), and a line cut by a crash at the end */
		struct buf b = BUF_INIT(0);
		int berr = 0;
		berr |= buf_adds(&b, "{\"event\":\"log\",\"v\":1,\"time\":\"2026-01-01T00:00:00.000Z\","
				 "\"run\":\"20260101T000000Z-0000\",\"level\":\"info\",\"message\":\"x\"}\n");
		berr |= buf_add(&b, text, len);
		berr |= buf_adds(&b, "{\"event\":\"step_started\",\"v\":1");
		BUF_NOCAP(berr);
		printf("%s %d - %s: the same with another run's log line first and a cut last line\n",
		       same(argv[i], b.data, b.len, "reordered") ? "not ok" : "ok", 2 * i, argv[i]);
		buf_release(&b);
		free(text);
	}
	return 0;
}
