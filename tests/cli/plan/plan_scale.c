/* plan_scale.c — plan_build on 100,000-step runbooks, asserting on structure:
 *   chain:   every step waits for the one before it and reads `.steps.s0`: the ancestry
 *            check must not walk the chain per reference (it would be 5e9 steps)
 *   ladder:  1,000 branches of 100 steps from one root, joined at the end
 *   joins:   two lanes with a join every 10 steps, every step reading the first (see joins())
 *   errors:  a chain with a reference to a later step, a cycle and an unknown need
 *            reported at their locations, nothing else
 * Elapsed times are printed for information only (not asserted).
 * usage: plan_scale [N [chain|ladder|joins|errors]]   (default 100000, all three) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/buf.h"
#include "lang/model.h"
#include "plan/plan.h"
#include "modules/registry.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct loaded {
	struct rb_loader ld;
	struct runbook *rb;
	struct plan p;
	struct diag_list dl;
};

static int load(struct loaded *l, const char *name, const char *text)
{
	static const char *path[] = { NULL };
	double t0 = now(), t1;
	memset(l, 0, sizeof(*l));
	loader_init(&l->ld, path);
	l->rb = runbook_load_text(&l->ld, name, text, &l->dl);
	if (!l->rb)
		return -1;
	t1 = now();
	int rc = plan_build(&l->p, l->rb, &l->ld, &l->dl);
	printf("%s: load %.3fs, plan %.3fs, %d nodes, %d diagnostics\n", name, t1 - t0, now() - t1,
	       l->p.n, l->dl.n);
	return rc;
}

static void unload(struct loaded *l)
{
	plan_release(&l->p);
	runbook_free(l->rb);
	diag_list_release(&l->dl);
	loader_release(&l->ld);
}

static int chain(int n)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	struct loaded l;
	int *path = NULL, npath;
	berr |= buf_adds(&b, "runbook: chain\nsteps:\n  - id: s0\n    action: log\n    with: {message: first}\n");
	for (int i = 1; i < n; i++)
		berr |= buf_addf(&b, "  - id: s%d\n    action: log\n    with: {message: \"${{ .steps.s0.status }}\"}\n", i);
	CHECK(load(&l, "chain.yaml", buf_str(&b)) == 0);
	CHECK(l.dl.nerrors == 0);
	if (l.dl.nerrors)
		diag_print(&l.dl, stderr, 0);
	CHECK(l.p.n == n);
	CHECK(l.p.nlevels == n);
	for (int i = 0; i < l.p.n; i++) {
		const struct plan_node *nd = &l.p.nodes[i];
		char id[32];
		snprintf(id, sizeof(id), "s%d", i);
		if (l.p.order[i] != i || nd->topo != i || nd->level != i || strcmp(nd->qid, id) ||
		    nd->ndeps != (i ? 1 : 0) || (i && nd->deps[0] != i - 1) ||
		    nd->nrdeps != (i < n - 1 ? 1 : 0)) {
			CHECK(!"chain node has the wrong shape");
			fprintf(stderr, "  node %d\n", i);
			break;
		}
	}
	CHECK(plan_find(&l.p, "s0") == 0);
	CHECK(plan_find(&l.p, "s99999") == (n > 99999 ? 99999 : -1));
	CHECK(plan_find(&l.p, "nope") == -1);
	npath = plan_critical_path(&l.p, &path);
	CHECK(npath == n);
	CHECK(npath > 0 && path[0] == 0 && path[npath - 1] == n - 1);
	free(path);
	unload(&l);
	buf_release(&b);
	return berr;
}

static int ladder(int branches, int len)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	struct loaded l;
	berr |= buf_adds(&b, "runbook: ladder\nsteps:\n  - id: root\n    action: sleep\n    with: {duration: 1s}\n");
	for (int br = 0; br < branches; br++)
		for (int k = 0; k < len; k++) {
			berr |= buf_addf(&b, "  - id: b%d_%d\n", br, k);
			if (k == 0)
				berr |= buf_adds(&b, "    needs: [root]\n");
			berr |= buf_addf(&b, "    action: sleep\n    with: {duration: %ds}\n", k == len - 1 && br == 7 ? 2 : 1);
			if (k == len - 1)
				berr |= buf_adds(&b, "    outputs: {r: .steps.root.status}\n");
		}
	berr |= buf_adds(&b, "  - id: join\n    needs: [");
	for (int br = 0; br < branches; br++)
		berr |= buf_addf(&b, "%sb%d_%d", br ? ", " : "", br, len - 1);
	berr |= buf_adds(&b, "]\n    action: log\n    with: {message: \"${{ .steps.root.status }}\"}\n");
	CHECK(load(&l, "ladder.yaml", buf_str(&b)) == 0);
	CHECK(l.dl.nerrors == 0);
	CHECK(l.p.n == branches * len + 2);
	CHECK(l.p.nlevels == len + 2);
	int join = plan_find(&l.p, "join");
	CHECK(join == l.p.n - 1);
	CHECK(l.p.nodes[join].ndeps == branches);
	CHECK(l.p.nodes[0].nrdeps == branches);
	CHECK(l.p.nodes[join].level == len + 1);
	/* document order among ties: branch 0 first, all of it (its nodes become ready first) */
	CHECK(l.p.order[0] == 0 && l.p.order[1] == 1 && l.p.order[len] == len);
	/* projected: root 1s + 100 x 1s, branch 7 ends with 2s */
	CHECK(l.p.critical_ms == 1000 + (int64_t)len * 1000 + 1000);
	int *path = NULL, npath = plan_critical_path(&l.p, &path);
	CHECK(npath == len + 2);
	CHECK(npath > 2 && !strcmp(l.p.nodes[path[npath - 2]].qid, "b7_99"));
	free(path);
	unload(&l);
	buf_release(&b);
	return berr;
}

/* two independent lanes, each joining every 10 steps (a step waits for the one before
 * it and the one 5 back), so no single-dependency chain is long: every step of lane a
 * reads a0 (ancestor, the searches give up and are answered by one forward walk) and
 * the last step of lane b reads a0 too (not an ancestor: one error) */
static int joins(int n)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	struct loaded l;
	int half = n / 2;
	berr |= buf_adds(&b, "runbook: joins\nsteps:\n");
	for (int lane = 0; lane < 2; lane++)
		for (int i = 0; i < half; i++) {
			char c = lane ? 'b' : 'a';
			berr |= buf_addf(&b, "  - id: %c%d\n", c, i);
			if (i == 0)
				berr |= buf_adds(&b, "    needs: []\n");
			else if (i % 10 == 5)
				berr |= buf_addf(&b, "    needs: [%c%d, %c%d]\n", c, i - 5, c, i - 1);
			berr |= buf_adds(&b, "    action: log\n");
			if (lane == 0 && i)
				berr |= buf_adds(&b, "    with: {message: \"${{ .steps.a0.status }}\"}\n");
			else if (lane == 1 && i == half - 1)
				berr |= buf_adds(&b, "    with: {message: \"${{ .steps.a0.status }}\"}\n");
			else
				berr |= buf_adds(&b, "    with: {message: hi}\n");
		}
	CHECK(load(&l, "joins.yaml", buf_str(&b)) < 0);
	CHECK(l.p.n == 2 * half);
	CHECK(l.dl.nerrors == 1);
	char msg[200];
	snprintf(msg, sizeof(msg), "step 'b%d' reads '.steps.a0' but 'a0' is not one of its ancestors (add it to needs)", half - 1);
	CHECK(l.dl.n == 1 && !strcmp(l.dl.items[0].msg, msg));
	if (l.dl.nerrors != 1)
		diag_print(&l.dl, stderr, 0);
	/* lanes are independent: a step of lane b is on level i like its twin in lane a */
	CHECK(l.p.nodes[half + half - 1].level == l.p.nodes[half - 1].level);
	unload(&l);
	buf_release(&b);
	return berr;
}

static int has_diag(const struct diag_list *dl, int line, const char *msg)
{
	for (int i = 0; i < dl->n; i++)
		if (dl->items[i].loc.line == line && !strcmp(dl->items[i].msg, msg))
			return 1;
	return 0;
}

static int errors(int n)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	struct loaded l;
	/* lines: "runbook", "steps", then 3 lines per step (4 for s20 and s30) */
	berr |= buf_adds(&b, "runbook: errors\nsteps:\n");
	for (int i = 0; i < n; i++) {
		berr |= buf_addf(&b, "  - id: s%d\n    action: log\n", i);
		if (i == 20 || i == 30)
			berr |= buf_adds(&b, "    with: {message: hi}\n");
		if (i == 10)
			berr |= buf_addf(&b, "    with: {message: \"${{ .steps.s%d.status }}\"}\n", n - 1);
		else if (i == 20)
			berr |= buf_adds(&b, "    needs: [s22]\n");
		else if (i == 30)
			berr |= buf_adds(&b, "    needs: [missing_step]\n");
		else
			berr |= buf_adds(&b, "    with: {message: hi}\n");
	}
	CHECK(load(&l, "errors.yaml", buf_str(&b)) < 0);
	char msg[200];
	snprintf(msg, sizeof(msg), "step 's10' reads '.steps.s%d' but 's%d' is not one of its ancestors (add it to needs)", n - 1, n - 1);
	CHECK(has_diag(&l.dl, 3 + 3 * 10 + 2, msg));
	CHECK(has_diag(&l.dl, 3 + 3 * 20 + 3, "cycle: s20 -> s22 -> s21 -> s20"));
	CHECK(has_diag(&l.dl, 3 + 3 * 30 + 1 + 3, "step 's30' needs unknown step 'missing_step'"));
	CHECK(l.dl.nerrors == 3);
	if (l.dl.nerrors != 3)
		diag_print(&l.dl, stderr, 0);
	unload(&l);
	buf_release(&b);
	return berr;
}

int main(int argc, char **argv)
{
	int berr = 0;
	int n = argc > 1 ? atoi(argv[1]) : 100000;
	const char *only = argc > 2 ? argv[2] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (registry_init() < 0) {
		fprintf(stderr, "registry_init failed\n");
		return 1;
	}
	if (!only || !strcmp(only, "chain"))
		berr |= chain(n);
	if (!only || !strcmp(only, "ladder"))
		berr |= ladder(n / 100 > 0 ? n / 100 : 1, 100);
	if (!only || !strcmp(only, "joins"))
		berr |= joins(n);
	if (!only || !strcmp(only, "errors"))
		berr |= errors(n);
	BUF_NOCAP(berr);
	registry_cleanup();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
