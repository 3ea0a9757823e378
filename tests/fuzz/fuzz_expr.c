/* fuzz_expr.c — text -> exprset_add + check + compile + eval on a fixed context, and
 * the same text as a ${{ }} template (tmpl_from_ynode + tmpl_eval).
 *
 * Evaluation is skipped for text that can run without end or that libjq 1.6 crashes
 * on by design (def, recursion, generators to huge bounds, input/debug): bounding
 * evaluation is the jq-limits work of issue 8 (corpus 900-949), and a fuzzer that
 * hangs on `repeat` finds nothing else. Compilation is fuzzed for every input. */
#include "fuzz.h"
#include "core/diag.h"
#include "lang/expr.h"
#include "lang/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ctx_json[] =
	"{\"params\": {\"instance\": \"db-1\", \"count\": 3, \"tags\": [\"a\", \"b\"], \"m\": {\"k\": 1}},"
	" \"steps\": {\"a\": {\"status\": \"succeeded\", \"outputs\": {\"x\": 1, \"s\": \"str\"},"
	"  \"result\": {\"rows\": [1, 2, 3], \"DBInstances\": [{\"DBInstanceStatus\": \"available\"}]},"
	"  \"started_at\": \"2026-01-01T00:00:00Z\", \"finished_at\": \"2026-01-01T00:01:00Z\"}},"
	" \"run\": {\"id\": \"r1\", \"started_at\": \"2026-01-01T00:00:00Z\", \"dry_run\": false,"
	"  \"rehearsal\": true}, \"item\": {\"name\": \"t\"}, \"result\": null}";

/* words that can make an evaluation endless, huge or crash inside libjq */
static const char *const no_eval[] = {
	"def", "repeat", "range", "recurse", "until", "while", "limit", "combinations",
	"input", "debug", "stderr", "halt", "env", "$__loc__", "implode", "ascii",
	/* oniguruma backtracking */
	"test", "match", "capture", "scan", "split", "sub",
	/* libjq 1.6 date functions assert on odd input */
	"date", "strptime", "mktime", "gmtime", "localtime", "strftime", "strflocaltime", NULL,
};

static int evaluable(const char *text, size_t len)
{
	if (len > 200)
		return 0;
	for (int i = 0; no_eval[i]; i++)
		if (strstr(text, no_eval[i]))
			return 0;
	/* numbers past 6 digits: range-like growth through arithmetic */
	for (size_t i = 0, run = 0; i < len; i++) {
		run = text[i] >= '0' && text[i] <= '9' ? run + 1 : 0;
		if (run > 6)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return -1;
	char *text = fuzz_cstr(data, size);
	size_t len = strlen(text);
	struct source_list sl = { 0 };
	struct source *src = source_from_text(&sl, "fuzz.yaml", text, len);
	struct srcloc loc = { src, 1, 1 };
	struct diag_list dl = { 0 };
	struct exprset *set = exprset_new();
	int eval = evaluable(text, len);

	int idx = exprset_add(set, text, &loc);
	/* a template: the text as a string node */
	struct ynode node;
	memset(&node, 0, sizeof(node));
	node.kind = Y_SCALAR;
	node.loc = loc;
	node.scalar = text;
	node.quoted = 1;
	struct tmpl *t = tmpl_from_ynode(&node, set, &dl);
	int tmpl_ok = dl.nerrors == 0;
	exprset_check(set, &dl);
	if (dl.nerrors == 0 && exprset_compile(set, &dl) == 0 && eval) {
		jv ctx = jv_parse(ctx_json);
		jv r = exprset_eval(set, idx, jv_copy(ctx));
		jv_free(r);
		r = exprset_eval1(set, idx, jv_copy(ctx));
		jv_free(r);
		if (t && tmpl_ok) {
			r = tmpl_eval(t, set, ctx);
			jv_free(r);
		}
		jv_free(ctx);
	}
	tmpl_free(t);
	exprset_free(set);
	diag_list_release(&dl);
	source_list_release(&sl);
	free(text);
	return 0;
}
