/* expr_bench.c — the libjq 1.6 costs expr.c is designed around (not a test).
 *   ninja -C BUILD tests/lang/lang-expr-bench && BUILD/tests/lang/lang-expr-bench
 * Prints: the fixed cost of one jq_compile, the cost of unreferenced definitions
 * (parsed only), of referenced ones (bound), how many unreferenced definitions one
 * program holds before bison's stack runs out, and exprset_check/compile throughput. */
#include <jq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/buf.h"
#include "lang/expr.h"

static double cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void quiet(void *data, jv msg)
{
	(void)data;
	jv_free(msg);
}

/* compile n defs; referenced: call them all from the main program */
static double compile(int n, int referenced, int *ok)
{
	struct buf b = BUF_INIT(0);
	for (int i = 0; i < n; i++)
		buf_addf(&b, "def _e%d: (\n.steps.s%d.outputs.x == \"v%d\"\n);\n", i, i, i);
	if (referenced && n) {
		buf_adds(&b, ".i as $i | .c | ");
		for (int i = 0; i < n; i++)
			buf_addf(&b, "%s_e%d", i ? ", " : "", i);
	} else {
		buf_adds(&b, ".");
	}
	jq_state *jq = jq_init();
	jq_set_error_cb(jq, quiet, NULL);
	double t = cpu_ms();
	*ok = jq_compile(jq, buf_str(&b));
	t = cpu_ms() - t;
	jq_teardown(&jq);
	buf_release(&b);
	return t;
}

int main(void)
{
	int ok;
	double base = compile(0, 0, &ok);
	printf("jq_compile(\".\"): %.1f ms (builtins parsed every time)\n", base);
	for (int n = 1000; n <= 4000; n *= 2) {
		double t = compile(n, 0, &ok);
		printf("%5d unreferenced defs: %.1f ms, %.1f us each beyond the fixed cost\n", n, t,
		       (t - base) * 1e3 / n);
	}
	for (int n = 50; n <= 400; n *= 2) {
		double t = compile(n, 1, &ok);
		printf("%5d referenced defs: %.1f ms, %.2f ms each beyond the fixed cost\n", n, t, (t - base) / n);
	}
	int lo = 1000, hi = 40000;
	while (hi - lo > 250) {
		int mid = (lo + hi) / 2;
		compile(mid, 0, &ok);
		if (ok)
			lo = mid;
		else
			hi = mid;
	}
	printf("unreferenced defs in one program before 'memory exhausted': ~%d\n", lo);

	struct exprset *set = exprset_new();
	struct diag_list dl = { 0 };
	char text[64];
	for (int i = 0; i < 20000; i++) {
		snprintf(text, sizeof(text), ".steps.s%d.status == \"succeeded\"", i);
		exprset_add(set, text, NULL);
	}
	double t = cpu_ms();
	exprset_check(set, &dl);
	double t2 = cpu_ms();
	exprset_compile(set, &dl);
	double t3 = cpu_ms();
	printf("20000 distinct expressions: exprset_check %.0f ms, exprset_compile %.0f ms (%d errors)\n",
	       t2 - t, t3 - t2, dl.nerrors);
	exprset_free(set);
	diag_list_release(&dl);
	return 0;
}
