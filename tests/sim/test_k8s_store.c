/* test_k8s_store.c — the simulated Kubernetes API's object store (sim/k8s_store.c):
 * handles stay valid across insertions that grow the store many times over, a deleted
 * object's handle resolves to nothing even once its slot is reused, the creation order
 * (the order lists are served in) survives deletions and reuse, and a lookup by name
 * finds the live object. TAP output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/jvx.h"
#include "sim/k8s_int.h"

static int fails, n;

static void ok(int cond, const char *what)
{
	n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n, what);
	if (!cond)
		fails++;
}

static jv cm(const char *name)
{
	jv o = jset(jv_object(), "metadata.name", jv_string(name));
	return jset(o, "metadata.namespace", jv_string("default"));
}

static const char *name_of(struct k8s_sim *k, kh h, char *buf, size_t size)
{
	struct kobj *o = sim_k8s_at(k, h);
	return o ? sget(o->obj, "metadata.name", buf, size) : NULL;
}

int main(void)
{
	struct rb_clock *clk = clock_new(CLOCK_VIRTUAL, 1795300000000, 1);
	struct diag_list dl = { 0 };
	struct k8s_sim *k = sim_k8s_server_new(clk, jv_null(), &dl);
	ok(k != NULL, "a Kubernetes world without a scenario");
	if (!k)
		return 1;
	char b[64], name[32];
	int base = k->n;

	/* a handle kept across 1000 insertions (the slots grow ~8 times) */
	kh first = sim_k8s_add(k, R_CONFIGMAP, cm("c0"));
	kh h[1000];
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "c%d", i + 1);
		h[i] = sim_k8s_add(k, R_CONFIGMAP, cm(name));
	}
	ok(name_of(k, first, b, sizeof(b)) && !strcmp(b, "c0"), "a handle resolves after the store grew");
	ok(name_of(k, h[999], b, sizeof(b)) && !strcmp(b, "c1000"), "and so does the last one");
	ok(k->n == base + 1001, "every object counted");

	/* deletion: the handle misses, the others stay */
	sim_k8s_del(k, h[10]);
	ok(sim_k8s_at(k, h[10]) == NULL, "a deleted object's handle resolves to nothing");
	ok(name_of(k, h[11], b, sizeof(b)) && !strcmp(b, "c12"), "its neighbour is untouched");
	sim_k8s_del(k, h[10]);
	ok(k->n == base + 1000, "deleting twice deletes once");

	/* the freed slot is reused by the next object: the old handle still misses */
	kh again = sim_k8s_add(k, R_CONFIGMAP, cm("reused"));
	ok((again & 0xffffffffu) == (h[10] & 0xffffffffu), "the freed slot is reused");
	ok(again != h[10], "with another generation");
	ok(sim_k8s_at(k, h[10]) == NULL, "the old handle does not resolve to the new object");
	ok(name_of(k, again, b, sizeof(b)) && !strcmp(b, "reused"), "the new handle does");
	ok(sim_k8s_at(k, 0) == NULL && sim_k8s_at(k, (kh)1 << 40) == NULL, "handle 0 and a made-up one miss");

	/* creation order: c0..c1000 without c11, then "reused" last */
	int in_order = 1, seen = 0, expect = 0;
	for (kh x = sim_k8s_first(k); x; x = sim_k8s_next(k, x)) {
		struct kobj *o = sim_k8s_at(k, x);
		if (o->res != R_CONFIGMAP)
			continue;
		sget(o->obj, "metadata.name", b, sizeof(b));
		if (expect == 11)
			expect++;
		if (expect <= 1000)
			snprintf(name, sizeof(name), "c%d", expect);
		else
			snprintf(name, sizeof(name), "reused");
		in_order &= !strcmp(b, name);
		expect++;
		seen++;
	}
	ok(in_order && seen == 1001, "objects are walked in creation order, the reused slot last");

	/* deleting while walking, as a workload's pods are synced */
	int deleted = 0;
	for (kh x = sim_k8s_first(k), next; x; x = next) {
		next = sim_k8s_next(k, x);
		if (sim_k8s_at(k, x)->res == R_CONFIGMAP && deleted < 500) {
			sim_k8s_del(k, x);
			deleted++;
		}
	}
	ok(k->n == base + 501, "half deleted during a walk");
	kh f = sim_k8s_find(k, R_CONFIGMAP, "default", "c700");
	ok(f && name_of(k, f, b, sizeof(b)) && !strcmp(b, "c700"), "a lookup by name returns the live object's handle");
	ok(!sim_k8s_find(k, R_CONFIGMAP, "default", "c7"), "and 0 for a deleted one");
	ok(!sim_k8s_find(k, R_CONFIGMAP, "other", "c700"), "and 0 in another namespace");

	sim_k8s_server_free(k);
	clock_free(clk);
	diag_list_release(&dl);
	printf("1..%d\n", n);
	return fails ? 1 : 0;
}
