/* expr_scan: what the scan vouches for, jq 1.6 compiles (the scan may doubt more than
 * jq rejects, never less). Hand-written cases, then random mutations of them: every
 * mutant the scan accepts is compiled by libjq, all in one program. */
#include <jq.h>
#include <stdlib.h>
#include "check.h"
#include "core/buf.h"
#include "lang/expr_scan.h"

static int no_forbidden(const char *name, size_t len, int arity)
{
	return len == 5 && !strncmp(name, "input", 5) && arity == 0;
}

static const char *const good[] = {
	".", ".params.x", ".steps.a.outputs.v == \"x\"", ".a[0]", ".a[]?", ".a[1:]", ".a[:2]",
	".a[1:2]", ".\"k\"", ".a.\"k\"?", "..", "1.5e3", ".5", "\"s\\(.a)t\\n\\u00e9\"",
	"@base64 \"x\\(.y)\"", "@json", "[.[] | select(.x > 1)] | length", "{a: 1, b: .c | .d, $ENV}",
	"{a, \"b\": 2, (.k): .v, c: -1}", ". as $x | $x", ". as [$a, {b: $c}] | $a + $c",
	". as [$a] ?// $a | $a", "reduce .[] as $x (0; . + $x)", "foreach .[] as $i (0; . + $i; [$i, .])",
	"if . then 1 elif .b then 2 else 3 end", "try error(\"x\") catch .", "try .a",
	"label $out | 1, break $out", "def f: .; f", "def f(g): g | g; f(. + 1)", "def f($a): $a + a; f(1)",
	"def fac: if . <= 1 then 1 else . * (. - 1 | fac) end; fac", ".a // .b // 1", ".a |= . + 1",
	"not", "-(.a)", ".a and .b or .c", "$ENV.HOME", "env.HOME", "[limit(3; .[])]", "# c\n.a\n",
	".a?.b", "(.a)?", ".a? // 1", "path(.a)", "to_entries | map(.key)", "[range(0; 10; 2)]",
	"\"\\(1 + 2)\" | test(\"3\")", ".a as {b: [$x, $y]} | [$x, $y]", "{(.a, .b): 1}",
	". as $x | def g: $x; g", "ascii_downcase | ltrimstr(\"x\")", "getpath([\"a\"]) // empty",
	".a != null and true or false", "fromjson? // null",
	/* builtins jq's `builtins` does not list (a leading '_'), this libjq has them */
	"[_nwise(2) | {(.[0]): .[1]}] | add // {}", "_modify(.a; . + 1)",
};

static const char *const doubtful[] = {
	".a | nosuch", "$nope", "input", ".a ==", "(", "if . then 1 end", ".a == .b == .c",
	"{a: .b + 1}", ".a?//1", ". as $x | 1, $x | $y", "reduce .[] as $x ($x; .)", "break $l",
	"def f: .; f(1)", "\"\\q\"", "1 +", ".[", "a::b", "{if: 1}", "", "# only a comment",
	"(.a)?.b", "$__loc__", ".a.[0]", "{a: 1,}", "\"\\ud800\"", "try error(\"x\")? catch .", "def f(a): $a; f(1)", "null(1)", "1.2.3", "...", "1..e3", ". as [$a] | .a ...b",
	"_nwise(1; 2; 3)", "_nosuch", "_input",
};

static const char *const pieces[] = {
	".", "$", "(", ")", "[", "]", "{", "}", "|", ",", ";", ":", "?", "\"", "\\", "-", "=",
	"a", " as $v | ", " if ", " then ", " else ", " end", " def ", "reduce ", "//", "@", "#",
	"$x", "1", "e", "==", "and", " label $l | ", "break $l", "\\(", "?//",
};

static unsigned long long rng = 88172645463325252ULL;
static unsigned next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

static char *mutate(const char *s)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	size_t len = strlen(s);
	size_t at = len ? next_rand() % (len + 1) : 0;
	switch (next_rand() % 3) {
	case 0:   /* delete a span */
		berr |= buf_add(&b, s, at);
		if (at < len) {
			size_t n = 1 + next_rand() % 3;
			berr |= buf_adds(&b, s + (at + n < len ? at + n : len));
		}
		break;
	case 1:   /* insert a piece */
		berr |= buf_add(&b, s, at);
		berr |= buf_adds(&b, pieces[next_rand() % (sizeof(pieces) / sizeof(*pieces))]);
		berr |= buf_adds(&b, s + at);
		break;
	default:  /* duplicate a span */
		berr |= buf_add(&b, s, at);
		berr |= buf_adds(&b, s + (at ? next_rand() % at : 0));
		break;
	}
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

static struct buf prog = BUF_INIT(0);
static int nprog;

static void on_err(void *data, jv msg)
{
	fprintf(stderr, "jq: %s\n", jv_string_value(msg));
	jv_free(msg);
	(*(int *)data)++;
}

static int add_def(const char *t)
{
	int berr = 0;
	berr |= buf_addf(&prog, "def _e%d: (\n%s\n);\n", nprog++, t);
	return berr;
}

int main(void)
{
	int berr = 0;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		if (!expr_scan(good[i], no_forbidden))
			fprintf(stderr, "doubted: %s\n", good[i]);
		CHECK(expr_scan(good[i], no_forbidden));
	}
	for (size_t i = 0; i < sizeof(doubtful) / sizeof(*doubtful); i++) {
		if (expr_scan(doubtful[i], no_forbidden))
			fprintf(stderr, "vouched for: %s\n", doubtful[i]);
		CHECK(!expr_scan(doubtful[i], no_forbidden));
	}
	/* every accepted mutant compiles (referenced: bound, not only parsed) */
	int accepted = 0;
	for (int round = 0; round < 4000; round++) {
		const char *base = good[next_rand() % (sizeof(good) / sizeof(*good))];
		char *m = mutate(base);
		if (next_rand() % 2) {
			char *m2 = mutate(m);
			free(m);
			m = m2;
		}
		if (expr_scan(m, no_forbidden)) {
			berr |= add_def(m);
			accepted++;
		}
		free(m);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (expr_scan(good[i], no_forbidden))
			berr |= add_def(good[i]);
	berr |= buf_adds(&prog, "[");
	for (int i = 0; i < nprog; i++)
		berr |= buf_addf(&prog, "%s(_e%d | empty)", i ? ", " : "", i);
	berr |= buf_adds(&prog, "]");
	BUF_NOCAP(berr);
	int nerr = 0;
	jq_state *jq = jq_init();
	jq_set_error_cb(jq, on_err, &nerr);
	int ok = jq_compile(jq, buf_str(&prog));
	if (!ok)
		fprintf(stderr, "%s\n", buf_str(&prog));
	CHECK(ok);
	CHECK_INT(nerr, 0);
	CHECK(accepted > 100);
	fprintf(stderr, "%d of 4000 mutants vouched for, all compile\n", accepted);
	jq_teardown(&jq);
	buf_release(&prog);
	CHECK_DONE();
}
