/* expression batches: thousands of expressions, error mapping, evaluation, refs */
#include <jv.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include "check.h"
#include "lang/expr.h"

#define N 5200   /* many chunks of 200 */

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int is_bad_syntax(int i) { return i == 17 || i == 2500 || i == 5100; }
static int is_bad_binding(int i) { return i == 100 || i == 3333; }

static void batches(void)
{
	struct source_list sl = { 0 };
	struct source *src = source_from_text(&sl, "many.yaml", "x\n", 2);
	struct exprset *set = exprset_new();
	struct diag_list dl = { 0 };
	char text[128];
	for (int i = 0; i < N; i++) {
		if (is_bad_syntax(i))
			snprintf(text, sizeof(text), ".a%d | (", i);
		else if (is_bad_binding(i))
			snprintf(text, sizeof(text), ".a | nosuch%d", i);
		else if (i % 7 == 0)
			snprintf(text, sizeof(text), ".params.x");   /* repeated text: compiled once */
		else
			snprintf(text, sizeof(text), ".n + %d", i);
		struct srcloc l = { src, i + 1, 3 };
		CHECK_INT(exprset_add(set, text, &l), i);
	}
	double t0 = now_ms();
	CHECK_INT(exprset_check(set, &dl), -1);
	double t1 = now_ms();
	CHECK_INT(dl.nerrors, 3);
	for (int k = 0, j = 0; k < dl.n && j < 3; k++, j++) {
		int want = j == 0 ? 17 : j == 1 ? 2500 : 5100;
		CHECK_INT(dl.items[k].loc.line, want + 1);
		CHECK(strstr(dl.items[k].msg, "syntax error") != NULL);
	}
	CHECK_INT(exprset_compile(set, &dl), -1);
	double t2 = now_ms();
	CHECK_INT(dl.nerrors, 5);
	CHECK_INT(dl.items[3].loc.line, 101);
	CHECK(strstr(dl.items[3].msg, "nosuch100/0 is not defined") != NULL);
	CHECK_INT(dl.items[4].loc.line, 3334);
	CHECK(strstr(dl.items[4].msg, "nosuch3333/0 is not defined") != NULL);
	fprintf(stderr, "%d expressions: check %.0f ms, compile %.0f ms\n", N, t1 - t0, t2 - t1);

	/* every good expression evaluates to its own result */
	jv ctx = jv_parse("{\"n\": 1000, \"params\": {\"x\": \"px\"}}");
	for (int i = 0; i < N; i += 13) {
		jv r = exprset_eval1(set, i, jv_copy(ctx));
		if (is_bad_syntax(i) || is_bad_binding(i)) {
			CHECK(!jv_is_valid(r));
			jv_free(r);
			continue;
		}
		if (i % 7 == 0) {
			CHECK(jv_get_kind(r) == JV_KIND_STRING && !strcmp(jv_string_value(r), "px"));
		} else {
			CHECK(jv_get_kind(r) == JV_KIND_NUMBER && (int)jv_number_value(r) == 1000 + i);
		}
		jv_free(r);
	}
	jv_free(ctx);
	exprset_free(set);
	diag_list_release(&dl);
	source_list_release(&sl);
}

static void evaluation(void)
{
	struct exprset *set = exprset_new();
	struct diag_list dl = { 0 };
	int many = exprset_add(set, ".items[]", NULL);
	int none = exprset_add(set, "empty", NULL);
	int fail = exprset_add(set, "error(\"boom\")", NULL);
	int obj = exprset_add(set, "error({code: 1})", NULL);
	int type = exprset_add(set, ".items + 1", NULL);
	CHECK_INT(exprset_compile(set, &dl), 0);
	CHECK_INT(exprset_compile(set, &dl), 0);   /* idempotent */
	jv ctx = jv_parse("{\"items\": [1, \"two\", {\"three\": 3}]}");
	jv r = exprset_eval(set, many, jv_copy(ctx));
	jv s = jv_dump_string(r, 0);
	CHECK_STR(jv_string_value(s), "[1,\"two\",{\"three\":3}]");
	jv_free(s);
	r = exprset_eval1(set, none, jv_copy(ctx));
	CHECK(jv_get_kind(r) == JV_KIND_NULL);
	jv_free(r);
	r = exprset_eval(set, fail, jv_copy(ctx));
	CHECK(!jv_is_valid(r));
	jv m = jv_invalid_get_msg(r);
	CHECK_STR(jv_string_value(m), "boom");
	jv_free(m);
	r = exprset_eval(set, obj, jv_copy(ctx));
	m = jv_invalid_get_msg(r);
	CHECK_STR(jv_string_value(m), "{\"code\":1} (not a string)");
	jv_free(m);
	r = exprset_eval(set, type, jv_copy(ctx));
	m = jv_invalid_get_msg(r);
	CHECK(strstr(jv_string_value(m), "cannot be added") != NULL);
	jv_free(m);
	/* the state is reusable after an error */
	r = exprset_eval1(set, many, jv_copy(ctx));
	CHECK(jv_get_kind(r) == JV_KIND_NUMBER);
	jv_free(r);
	jv_free(ctx);
	exprset_free(set);
	diag_list_release(&dl);
}

static void refs(void)
{
	struct exprset *set = exprset_new();
	int a = exprset_add(set, ".steps.a.outputs.x + .steps[\"b-c\"].x | .foo.steps.z | .steps.a.y", NULL);
	int b = exprset_add(set, "[.steps | keys[]] | .steps.\"q\".status", NULL);
	int c = exprset_add(set, ".params.steps", NULL);
	char *const *r = exprset_refs(set, a);
	CHECK_STR(r[0], "a");
	CHECK_STR(r[1], "b-c");
	CHECK(r[2] == NULL);
	r = exprset_refs(set, b);
	CHECK_STR(r[0], "q");
	CHECK(r[1] == NULL);
	CHECK(exprset_refs(set, c)[0] == NULL);
	exprset_free(set);
}

static void messages(void)
{
	struct exprset *set = exprset_new();
	struct diag_list dl = { 0 };
	exprset_add(set, ".a ==", NULL);
	exprset_add(set, "  ", NULL);
	exprset_add(set, ".a ]", NULL);
	exprset_add(set, "\"unterminated", NULL);
	exprset_add(set, ".fine", NULL);
	CHECK_INT(exprset_check(set, &dl), -1);
	CHECK_INT(dl.nerrors, 4);
	CHECK_STR(dl.items[0].msg, "empty expression");
	CHECK_STR(dl.items[1].msg, "invalid expression '.a ==': syntax error, unexpected end of expression");
	CHECK_STR(dl.items[2].msg, "invalid expression '.a ]': syntax error, unexpected INVALID_CHARACTER");
	CHECK(strncmp(dl.items[3].msg, "invalid expression '\"unterminated':", 35) == 0);
	exprset_free(set);
	diag_list_release(&dl);
}

/* builtins that read stdin or files, write to stderr or halt jq do not compile; the
 * user's own definitions and keys of those names do */
static void forbidden(void)
{
	static const char *bad[][2] = {
		{ "input", "input" }, { "[inputs]", "inputs" }, { ".a | debug", "debug" },
		{ "stderr", "stderr" }, { "_input", "_input" }, { "input_filename", "input_filename" },
		{ "input_line_number", "input_line_number" }, { "1, halt", "halt" },
		{ "\"x\" | halt_error", "halt_error" }, { "\"x\" | halt_error(5)", "halt_error" },
		{ "get_search_list", "get_search_list" }, { "get_prog_origin", "get_prog_origin" },
		{ "get_jq_origin", "get_jq_origin" }, { "\"m\" | modulemeta", "modulemeta" },
		{ "def f: [limit(1; input)]; f", "input" },
	};
	int nbad = (int)(sizeof(bad) / sizeof(bad[0]));
	struct source_list sl = { 0 };
	struct source *src = source_from_text(&sl, "f.yaml", "x\n", 2);
	struct exprset *set = exprset_new();
	struct diag_list dl = { 0 };
	for (int i = 0; i < nbad; i++) {
		struct srcloc l = { src, 10 + i, 5 };
		exprset_add(set, bad[i][0], &l);
		exprset_add(set, ".ok", &l);   /* fine neighbours in the same chunk */
	}
	int own = exprset_add(set, "def input: 7; def debug: .; input | debug", NULL);
	int keys = exprset_add(set, "{input: 1, halt: 2} | .input + .halt", NULL);
	CHECK_INT(exprset_compile(set, &dl), -1);
	CHECK_INT(dl.nerrors, nbad);
	for (int i = 0; i < dl.n && i < nbad; i++) {
		char want[200];
		snprintf(want, sizeof(want), "jq function '%s' is not available in runbook expressions (", bad[i][1]);
		CHECK(!strncmp(dl.items[i].msg, want, strlen(want)));
		CHECK_INT(dl.items[i].loc.line, 10 + i);
	}
	jv r = exprset_eval1(set, own, jv_object());
	CHECK(jv_get_kind(r) == JV_KIND_NUMBER && jv_number_value(r) == 7);
	jv_free(r);
	r = exprset_eval1(set, keys, jv_object());
	CHECK(jv_get_kind(r) == JV_KIND_NUMBER && jv_number_value(r) == 3);
	jv_free(r);
	exprset_free(set);
	diag_list_release(&dl);

	/* import and include are directives */
	set = exprset_new();
	exprset_add(set, "import \"a\" as a; a::x", NULL);
	exprset_add(set, "include \"a\"; .", NULL);
	CHECK_INT(exprset_compile(set, &dl), -1);
	CHECK_INT(dl.nerrors, 2);
	CHECK(dl.n == 2 && strstr(dl.items[0].msg, "jq 'import' directives are not available"));
	CHECK(dl.n == 2 && strstr(dl.items[1].msg, "jq 'include' directives are not available"));
	exprset_free(set);
	diag_list_release(&dl);
	source_list_release(&sl);
}

static const char *err_of(jv r, char *buf, size_t size)
{
	buf[0] = 0;
	if (!jv_is_valid(r)) {
		jv m = jv_invalid_get_msg(r);
		if (jv_get_kind(m) == JV_KIND_STRING)
			snprintf(buf, size, "%s", jv_string_value(m));
		jv_free(m);
	} else {
		jv_free(r);
	}
	return buf;
}

static atomic_int evaluated;

/* a signal handler's call, repeated until the evaluation saw one (one that lands before
 * the evaluation begins does not count) */
static void *interrupter(void *arg)
{
	(void)arg;
	struct timespec t = { 0, 50 * 1000000L };
	while (!atomic_load(&evaluated)) {
		nanosleep(&t, NULL);
		expr_interrupt();
	}
	return NULL;
}

/* runaway evaluations stop (limits from main(): 3s, 64 MB); the chunk works after */
static void guard(void)
{
	static const char *runaway[] = {
		"def f: f; f", "[repeat(1)] | length", "[range(1e18)] | length", "until(false; .)",
		"[limit(1e9; repeat(1))] | length", "def f: [., .] | f; f", "def f: 1 + f; f",
		"last(range(1e18))",
	};
	int n = (int)(sizeof(runaway) / sizeof(runaway[0]));
	struct exprset *set = exprset_new();
	struct diag_list dl = { 0 };
	int ok = exprset_add(set, ".a + 1", NULL);
	for (int i = 0; i < n; i++)
		exprset_add(set, runaway[i], NULL);
	CHECK_INT(exprset_compile(set, &dl), 0);
	char e[300];
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		expr_deadline(300);   /* as a step with 300ms left */
		err_of(exprset_eval(set, ok + 1 + i, jv_object()), e, sizeof(e));
		expr_deadline(EXPR_NO_DEADLINE);
		double ms = now_ms() - t0;
		fprintf(stderr, "%-36s %5.0f ms: %s\n", runaway[i], ms, e);
		CHECK(!strcmp(e, "expression did not finish before the step's timeout") ||
		      !strncmp(e, "expression used more than 64 MB of memory", 41));
		jv r = exprset_eval1(set, ok, jv_parse("{\"a\": 1}"));
		CHECK(jv_get_kind(r) == JV_KIND_NUMBER && jv_number_value(r) == 2);
		jv_free(r);
	}
	/* memory: deep recursion is stopped by the cap before the time limit */
	int deep = ok + 7;
	CHECK_STR(err_of(exprset_eval(set, deep, jv_object()), e, sizeof(e)),
		  "expression used more than 64 MB of memory (the limit for one evaluation, RUNBOOK_EXPR_MEM_MB)");
	/* the limit for one evaluation, when no step deadline is sooner */
	expr_deadline(60000);
	CHECK_STR(err_of(exprset_eval(set, ok + 1, jv_object()), e, sizeof(e)),
		  "expression did not finish within 3s (the limit for one evaluation, RUNBOOK_EXPR_TIMEOUT)");
	expr_deadline(EXPR_NO_DEADLINE);
	/* a signal (expr_interrupt) stops the evaluation running then, not later ones */
	pthread_t tid;
	CHECK_INT(pthread_create(&tid, NULL, interrupter, NULL), 0);
	CHECK_STR(err_of(exprset_eval(set, ok + 1, jv_object()), e, sizeof(e)),
		  "expression interrupted by a signal");
	atomic_store(&evaluated, 1);
	pthread_join(tid, NULL);
	jv r = exprset_eval1(set, ok, jv_parse("{\"a\": 41}"));
	CHECK(jv_get_kind(r) == JV_KIND_NUMBER && jv_number_value(r) == 42);
	jv_free(r);
	exprset_free(set);
	diag_list_release(&dl);
}

/* string repetition is bounded (one C loop in libjq); `*` is otherwise the builtin's */
static void repetition(void)
{
	static const char *cases[][2] = {
		{ "(\"x\" * 1e9) | length", NULL },
		{ "1e9 * \"x\"", NULL },
		{ "[(1, 2) * (3, 4)]", "[[3,6,4,8]]" },
		{ "\"ab\" * 3, 3 * \"ab\", \"ab\" * 0", "[\"ababab\",\"ababab\",null]" },
		{ "{a: {b: 1}} * {a: {c: 2}}", "[{\"a\":{\"b\":1,\"c\":2}}]" },
		{ "(\"x\" * 1e6) | length", "[1000000]" },
		{ "try ([1] * 2) catch .", "[\"array ([1]) and number (2) cannot be multiplied\"]" },
	};
	int n = (int)(sizeof(cases) / sizeof(cases[0]));
	struct exprset *set = exprset_new();
	struct diag_list dl = { 0 };
	for (int i = 0; i < n; i++)
		exprset_add(set, cases[i][0], NULL);
	CHECK_INT(exprset_compile(set, &dl), 0);
	char e[300];
	for (int i = 0; i < n; i++) {
		jv r = exprset_eval(set, i, jv_object());
		if (!cases[i][1]) {
			CHECK_STR(err_of(r, e, sizeof(e)),
				  "a string repeated more than 10000000 times is not allowed in runbook expressions");
			continue;
		}
		CHECK(jv_is_valid(r));
		jv d = jv_dump_string(r, 0);
		CHECK_STR(jv_string_value(d), cases[i][1]);
		jv_free(d);
	}
	exprset_free(set);
	diag_list_release(&dl);
}

/* what the scan doubts and jq compiles is compiled by exprset_check itself (one
 * jq_compile, not a parse then a compile); a chunk that does not compile still gets
 * its syntax errors there and its binding errors from exprset_compile */
static void doubted(void)
{
	struct exprset *set = exprset_new();
	struct diag_list dl = { 0 };
	int loc = exprset_add(set, "$__loc__ | type", NULL);   /* valid jq 1.6, not scanned */
	CHECK_INT(exprset_check(set, &dl), 0);
	jv r = exprset_eval1(set, loc, jv_object());
	CHECK(jv_get_kind(r) == JV_KIND_STRING && !strcmp(jv_string_value(r), "object"));
	jv_free(r);
	exprset_free(set);

	set = exprset_new();
	loc = exprset_add(set, "$__loc__ | type", NULL);
	exprset_add(set, "$__loc__ | nosuch", NULL);
	exprset_add(set, "$__loc__ |", NULL);
	CHECK_INT(exprset_check(set, &dl), -1);
	CHECK_INT(dl.nerrors, 1);
	CHECK(strstr(dl.items[0].msg, "'$__loc__ |'") && strstr(dl.items[0].msg, "syntax error"));
	CHECK_INT(exprset_compile(set, &dl), -1);
	CHECK_INT(dl.nerrors, 2);       /* the syntax error is not said twice */
	int nosuch = 0;
	for (int i = 0; i < dl.n; i++)
		nosuch += strstr(dl.items[i].msg, "nosuch/0 is not defined") != NULL;
	CHECK_INT(nosuch, 1);
	r = exprset_eval1(set, loc, jv_object());
	CHECK(jv_get_kind(r) == JV_KIND_STRING && !strcmp(jv_string_value(r), "object"));
	jv_free(r);
	diag_list_release(&dl);
	exprset_free(set);
}

/* plain paths are read from the value (expr_path.c), not compiled: each gives what jq
 * gives for the same text compiled (`TEXT | .`), value or error message, on every
 * context here, listed and random */
static int same_as_jq(struct exprset *set, int fast, int slow, const char *ctext, const char *path)
{
	jv a = exprset_eval(set, fast, jv_parse(ctext)), b = exprset_eval(set, slow, jv_parse(ctext));
	int ok;
	if (jv_is_valid(a) || jv_is_valid(b)) {
		ok = jv_equal(jv_copy(a), jv_copy(b));
	} else {
		jv ma = jv_invalid_get_msg(jv_copy(a)), mb = jv_invalid_get_msg(jv_copy(b));
		ok = jv_get_kind(ma) == JV_KIND_STRING && jv_equal(ma, mb);
	}
	if (!ok) {
		jv da = jv_dump_string(jv_is_valid(a) ? jv_copy(a) : jv_invalid_get_msg(jv_copy(a)), 0);
		jv db = jv_dump_string(jv_is_valid(b) ? jv_copy(b) : jv_invalid_get_msg(jv_copy(b)), 0);
		fprintf(stderr, "%s on %s: path %s, jq %s\n", path, ctext, jv_string_value(da), jv_string_value(db));
		jv_free(da);
		jv_free(db);
	}
	jv_free(a);
	jv_free(b);
	return ok;
}

static void plain_paths(void)
{
	static const char *const paths[] = {
		".a", ".a.b", ".a.b.c", ".a[0]", ".a[1]", ".a[-1]", ".a[-3]", ".a[9]", ".[0]", ".[-1]",
		".[\"a\"]", ".a[\"b\"]", ".a[\"b\"].c", ".a[0].b", ".a[0][1]", ".x", ".x.y", ".x[0]",
		".s", ".s.t", ".s[0]", ".n.m", ".t[0]", ".t.u", ".[\"a b\"]", "._x", ".x_1", " .a.b ",
		"\n.a\n", ".params.x", ".steps.s.outputs.y", ".DBInstances[0].DBInstanceStatus", NULL,
	};
	static const char *const not_paths[] = {
		".", "..", ".a.", ".a[", ".a[]", ".a .b", ".a?", ".if", ".a.and", ".a.[0]", ".[1.5]",
		".[\"a\\\"b\"]", ".\"a\"", ".a[ 0]", "a", "$x", ".a | .b", ".a.b | .c", ".a.b[1] .c", "", NULL,
	};
	static const char *const ctxs[] = {
		"{\"a\":{\"b\":{\"c\":1}},\"s\":\"str\",\"n\":null,\"t\":true,\"_x\":2,\"x_1\":[3],\"a b\":4}",
		"{\"a\":[{\"b\":1},[5,6],\"q\"],\"if\":1,\"and\":2,\"params\":{\"x\":7},\"steps\":null}",
		"[1,2,3]", "null", "\"text\"", "12.5", "true",
		"{\"a\":{\"b\":[1,{\"c\":\"d\"}]},\"steps\":{\"s\":{\"outputs\":{\"y\":[null]}}}}",
		"{\"DBInstances\":[{\"DBInstanceStatus\":\"available\"}]}", NULL,
	};
	struct exprset *set = exprset_new();
	struct diag_list dl = { 0 };
	char text[256];
	int fast[64], slow[64], n = 0;
	for (int p = 0; paths[p]; p++, n++) {
		CHECK(expr_is_path(paths[p]));
		fast[n] = exprset_add(set, paths[p], NULL);
		snprintf(text, sizeof(text), "%s | .", paths[p]);
		CHECK(!expr_is_path(text));
		slow[n] = exprset_add(set, text, NULL);
	}
	for (int p = 0; not_paths[p]; p++) {
		CHECK(!expr_is_path(not_paths[p]));
		/* over every context: what a text that is no path read before it stopped
		 * (".a.b" of ".a.b | ...") is dropped, or LeakSanitizer says so */
		for (int c = 0; ctxs[c]; c++) {
			jv v, ctx = jv_parse(ctxs[c]);
			CHECK_INT(expr_path_get(not_paths[p], ctx, &v), -1);
			jv_free(ctx);
		}
	}
	CHECK_INT(exprset_compile(set, &dl), 0);
	int bad = 0, runs = 0;
	for (int c = 0; ctxs[c]; c++)
		for (int k = 0; k < n; k++, runs++)
			bad += !same_as_jq(set, fast[k], slow[k], ctxs[c], paths[k]);
	CHECK_INT(bad, 0);
	exprset_free(set);

	/* random paths of names, indexes and ["keys"] over random nests */
	unsigned seed = getenv("RUNBOOK_SEED") ? (unsigned)atoi(getenv("RUNBOOK_SEED")) : (unsigned)time(NULL);
	srand(seed);
	static const char *const names[] = {"a", "b", "c", "s"};
	set = exprset_new();
	char *ctext[300];
	for (n = 0; n < 300; n++) {
		size_t len = 0;
		int parts = 1 + rand() % 4;
		for (int i = 0; i < parts; i++) {
			int k = rand() % 3;
			const char *nm = names[rand() % 4];
			if (k == 0)
				len += (size_t)snprintf(text + len, sizeof(text) - len, ".%s", nm);
			else if (k == 1)
				len += (size_t)snprintf(text + len, sizeof(text) - len, "%s[%d]", i ? "" : ".", rand() % 5 - 2);
			else
				len += (size_t)snprintf(text + len, sizeof(text) - len, "%s[\"%s\"]", i ? "" : ".", nm);
		}
		exprset_add(set, text, NULL);
		snprintf(text + len, sizeof(text) - len, " | .");
		exprset_add(set, text, NULL);
		char c[256];
		snprintf(c, sizeof(c), "{\"a\":{\"b\":[%d,{\"c\":[\"x\",null]},\"s\"],\"s\":{\"a\":%d}},"
			 "\"b\":[[1],{\"a\":true}],\"s\":\"t\",\"c\":null}", rand() % 9, rand() % 9);
		ctext[n] = strdup(c);
	}
	CHECK_INT(exprset_compile(set, &dl), 0);
	bad = 0;
	for (int k = 0; k < 300; k++, runs++) {
		bad += !same_as_jq(set, 2 * k, 2 * k + 1, ctext[k], exprset_text(set, 2 * k));
		free(ctext[k]);
	}
	if (bad)
		fprintf(stderr, "random paths: seed %u (RUNBOOK_SEED replays)\n", seed);
	CHECK_INT(bad, 0);
	fprintf(stderr, "plain paths: %d evaluations compared with jq\n", runs);
	diag_list_release(&dl);
	exprset_free(set);
}

int main(void)
{
	/* read when the first evaluation starts the watchdog */
	setenv("RUNBOOK_EXPR_TIMEOUT", "3s", 1);
	setenv("RUNBOOK_EXPR_MEM_MB", "64", 1);
	guard();
	repetition();
	forbidden();
	refs();
	messages();
	evaluation();
	batches();
	doubted();
	plain_paths();
	CHECK_DONE();
}
