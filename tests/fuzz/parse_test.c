/* parse_test.c — the guards the fuzzers asked for, in the gcc (ASan) build too:
 * jvx_parse_sized refuses what libjq 1.6 leaks on and parses the rest like
 * jv_parse_sized; yamljv_parse refuses an alias bomb quickly. Leak checking of the
 * sanitizer build fails this test if a refused input reaches libjq's parser. */
#include <jv.h>
#include <string.h>
#include "../lang/check.h"
#include "core/jvx.h"
#include "core/yamljv.h"

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
	CHECK(jv_get_kind(msg) == JV_KIND_STRING && strstr(jv_string_value(msg), "aliases expand to more than"));
	jv_free(msg);
	/* anchors and aliases of ordinary size still work */
	v = yamljv_parse("a: &x {b: [1, 2]}\nc: *x\n", 23, 0);
	CHECK(jv_is_valid(v) && jv_equal(jvx_get(v, "a"), jvx_get(v, "c")));
	jv_free(v);
	CHECK_DONE();
}
