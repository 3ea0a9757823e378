/* assert_test.c — a wait's "saw" values: the plain-path fast path (engine/assert.c
 * path_value) gives what jq gives, for every path and context here and for random ones.
 * TAP; the seed is printed (RUNBOOK_SEED=N replays).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jq.h>
#include "engine/engine_int.h"

static const char *const paths[] = {
	".a", ".a.b", ".a.b.c", ".a[0]", ".a[1]", ".a[-1]", ".a[-3]", ".a[9]", ".[0]", ".[-1]",
	".[\"a\"]", ".a[\"b\"]", ".a[\"b\"].c", ".a[0].b", ".a[0][1]", ".x", ".x.y", ".x[0]",
	".s", ".s.t", ".s[0]", ".n.m", ".t[0]", ".a.if", ".if", ".and", ".a.[0]", ".a .b", ".a?",
	".\"a\"", ".[\"a\\\"b\"]", ".[1.5]", ".a[ 0]", ".a[0 ]", ".", "..", ".a.", ".a[", ".a[]",
	".a[\"b\"", ".__loc__", "._x", ".x_1", ".é", ".DBInstances[0].DBInstanceStatus",
	".DBInstances[-1].Endpoint.Address", NULL,
};

static const char *const ctxs[] = {
	"{\"a\":{\"b\":{\"c\":1}},\"s\":\"str\",\"n\":null,\"t\":true,\"_x\":2,\"x_1\":[3]}",
	"{\"a\":[{\"b\":1},[5,6],\"q\"],\"if\":1,\"and\":2}",
	"[1,2,3]",
	"null",
	"\"text\"",
	"{\"a\":{\"b\":[1,{\"c\":\"d\"}]},\"a\\\"b\":7}",
	"{\"DBInstances\":[{\"DBInstanceStatus\":\"available\",\"Endpoint\":{\"Address\":\"h\",\"Port\":5432}}]}",
	"{\"DBInstances\":[]}",
	NULL,
};

static int same(const char *path, jv ctx, int *n)
{
	char *fast = assert_eval(path, ctx), *ref = assert_eval_jq(path, ctx);
	int ok = (!fast && !ref) || (fast && ref && !strcmp(fast, ref));
	(*n)++;
	if (!ok) {
		jv d = jv_dump_string(jv_copy(ctx), 0);
		printf("# %s on %s: fast %s, jq %s\n", path, jv_string_value(d), fast ? fast : "(none)",
		       ref ? ref : "(none)");
		jv_free(d);
	}
	free(fast);
	free(ref);
	return ok;
}

int main(void)
{
	int bad = 0, n = 0;
	unsigned seed = getenv("RUNBOOK_SEED") ? (unsigned)atoi(getenv("RUNBOOK_SEED")) : (unsigned)time(NULL);
	printf("1..2\n# seed %u\n", seed);
	for (int c = 0; ctxs[c]; c++) {
		jv ctx = jv_parse(ctxs[c]);
		for (int p = 0; paths[p]; p++)
			bad += !same(paths[p], ctx, &n);
		jv_free(ctx);
	}
	printf("%s 1 - listed paths on listed contexts (%d)\n", bad ? "not ok" : "ok", n);

	/* random paths of names, indexes and ["keys"] over random nests */
	srand(seed);
	int bad2 = 0;
	static const char *const names[] = {"a", "b", "c", "s"};
	for (int r = 0; r < 2000; r++) {
		char path[128] = "";
		size_t len = 0;
		int parts = 1 + rand() % 4;
		for (int i = 0; i < parts; i++) {
			int k = rand() % 4;
			const char *nm = names[rand() % 4];
			if (k == 0 || (k == 3 && i == 0))
				len += (size_t)snprintf(path + len, sizeof(path) - len, ".%s", nm);
			else if (k == 1)
				len += (size_t)snprintf(path + len, sizeof(path) - len, "%s[%d]", i ? "" : ".", rand() % 5 - 2);
			else
				len += (size_t)snprintf(path + len, sizeof(path) - len, "%s[\"%s\"]", i ? "" : ".", nm);
		}
		char text[256];
		snprintf(text, sizeof(text), "{\"a\":{\"b\":[%d,{\"c\":[\"x\",null]},\"s\"],\"s\":{\"a\":%d}},"
			 "\"b\":[[1],{\"a\":true}],\"s\":\"t\",\"c\":null}", rand() % 9, rand() % 9);
		jv ctx = jv_parse(text);
		bad2 += !same(path, ctx, &n);
		jv_free(ctx);
	}
	printf("%s 2 - 2000 random paths\n", bad2 ? "not ok" : "ok");
	return bad || bad2;
}
