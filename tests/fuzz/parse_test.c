/* parse_test.c — the guards the fuzzers asked for, in the gcc (ASan) build too:
 * jvx_parse_sized refuses what libjq 1.6 leaks on and parses the rest like
 * jv_parse_sized; yamljv_parse refuses an alias bomb quickly. Leak checking of the
 * sanitizer build fails this test if a refused input reaches libjq's parser.
 * k8s_conn_load reads the kubeconfigs that aborted it (tests/fuzz/seeds/kubeconfig). */
#include <jv.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "../lang/check.h"
#include "core/action.h"
#include "core/jvx.h"
#include "core/redact.h"
#include "core/yamljv.h"
#include "modules/k8s/k8s.h"

/* 0 loaded, 1 refused with an error object (an abort fails the test by itself) */
static int kubeconfig(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/fuzz/seeds/kubeconfig/%s", RUNBOOK_SRCDIR, name);
	struct action_call call;
	memset(&call, 0, sizeof(call));
	call.redact = redact_new();
	call.connections = jv_object_set(jv_object(), jv_string("k8s"),
		jv_object_set(jv_object(), jv_string("kubeconfig"), jv_string(path)));
	struct k8s_conn c;
	jv err = jv_invalid();
	int rc = k8s_conn_load(&call, &c, &err);
	if (rc == 0)
		k8s_conn_release(&c);
	else
		CHECK(jv_get_kind(err) == JV_KIND_OBJECT && jvx_str(err, "message"));
	jv_free(err);
	jv_free(call.connections);
	redact_free(call.redact);
	return rc == 0 ? 0 : 1;
}

static void parses_like_libjq(const char *text)
{
	jv a = jvx_parse_sized(text, strlen(text)), b = jv_parse_sized(text, (int)strlen(text));
	CHECK(jv_is_valid(a) && jv_equal(a, b));
}

static void refused(const char *text, size_t len)
{
	jv v = jvx_parse_sized(text, len);
	CHECK(!jv_is_valid(v));
	jv msg = jv_invalid_get_msg(v);
	CHECK(jv_get_kind(msg) == JV_KIND_STRING);
	jv_free(msg);
}

int main(void)
{
	parses_like_libjq("{\"a\": [1, \"x\\\"y\", true, null, {\"b\": -1.5e3}], \"c\": \"\"}");
	parses_like_libjq("  [ ]  ");
	parses_like_libjq("\"a\\\\\"");
	parses_like_libjq("123");
	/* two values, no separator: libjq 1.6 would leak the second */
	refused("[\"a\" \"b\"]", 9);
	refused("{\"a\" \"b\"}", 9);
	refused("{\"a\": \"b\" \"c\": 1}", 17);
	refused("[1\"a\"]", 6);
	refused("[true\"a\"]", 9);
	refused("{\"Secret\0Id\": \"x\" \"y\"}", 22);
	refused("{\"k\":\0\0 \"v\"}", 12);
	/* plain errors still come from libjq */
	refused("{\"a\":", 5);
	refused("", 0);

	/* 10^9 nodes in 300 bytes: refused where the expansion passes 10^6 */
	char bomb[2048];
	size_t n = (size_t)snprintf(bomb, sizeof(bomb), "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 10; i++) {
		n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "a%d: &a%d [", i, i);
		for (int k = 0; k < 10; k++)
			n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "%s*a%d", k ? ", " : "", i - 1);
		n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "]\n");
	}
	n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "key: {*a9 : 1}\n");
	jv v = yamljv_parse(bomb, n, 0);
	CHECK(!jv_is_valid(v));
	jv msg = jv_invalid_get_msg(v);
	CHECK(jv_get_kind(msg) == JV_KIND_STRING && strstr(jv_string_value(msg), "too many alias expansions"));
	jv_free(msg);
	/* anchors and aliases of ordinary size still work */
	v = yamljv_parse("a: &x {b: [1, 2]}\nc: *x\n", 23, 0);
	CHECK(jv_is_valid(v) && jv_equal(jvx_get(v, "a"), jvx_get(v, "c")));
	jv_free(v);

	CHECK_INT(kubeconfig("crash-cluster-not-map.yaml"), 1);   /* user 'u' is not in it */
	CHECK_INT(kubeconfig("crash-user-missing.yaml"), 1);
	CHECK_INT(kubeconfig("crash-user-not-map.yaml"), 0);      /* a user without credentials */
	CHECK_INT(kubeconfig("bomb-alias-key.yaml"), 1);
	CHECK_DONE();
}
