/* helpers_test.c — core/action.c (arg types, descriptor helpers) and core/jvx.c. */
#include "coretest.h"
#include "core/actarg.h"
#include "core/b64.h"
#include "core/yamljv.h"
#include "core/bug.h"

static int check_type(enum arg_type t, const char *json)
{
	jv v = jv_parse(json);
	int r = arg_type_check(t, v);
	jv_free(v);
	return r;
}

static int fake_run(struct action_call *c, jv args, jv *out)
{
	jv_free(args);
	*out = jv_null();
	return 0;
}

static int fake_mutates(jv args)
{
	return jvx_bool(args, "write", 0);
}

static const struct action_arg fake_args[] = {
	{ "a", ARG_STRING, ARG_REQUIRED, NULL, "a" },
	{ "b", ARG_INT, 0, "3", "b" },
	{ NULL, 0, 0, NULL, NULL },
};

int main(void)
{
	enum arg_type t;

	/* names round-trip */
	for (int i = ARG_ANY; i <= ARG_MAP; i++) {
		CHECK(arg_type_parse(arg_type_name((enum arg_type)i), &t) == 0 && t == (enum arg_type)i);
	}
	CHECK_STR(arg_type_name(ARG_DURATION), "duration");
	CHECK(arg_type_parse("strnig", &t) < 0);

	/* type checks */
	CHECK(check_type(ARG_STRING, "\"x\"") == 0 && check_type(ARG_STRING, "1") < 0);
	CHECK(check_type(ARG_INT, "3") == 0 && check_type(ARG_INT, "3.5") < 0 && check_type(ARG_INT, "\"3\"") < 0);
	CHECK(check_type(ARG_NUMBER, "3.5") == 0 && check_type(ARG_NUMBER, "null") < 0);
	CHECK(check_type(ARG_BOOL, "false") == 0 && check_type(ARG_BOOL, "0") < 0);
	CHECK(check_type(ARG_DURATION, "\"1h30m\"") == 0 && check_type(ARG_DURATION, "90") < 0);
	CHECK(check_type(ARG_DURATION, "\"soon\"") < 0 && check_type(ARG_DURATION, "-1") < 0);
	CHECK(check_type(ARG_TIMESTAMP, "\"2026-11-22T03:18:43Z\"") == 0);
	CHECK(check_type(ARG_TIMESTAMP, "\"yesterday\"") < 0);
	CHECK(check_type(ARG_LIST, "[]") == 0 && check_type(ARG_LIST, "{}") < 0);
	CHECK(check_type(ARG_MAP, "{}") == 0 && check_type(ARG_MAP, "[]") < 0);
	CHECK(check_type(ARG_ANY, "null") == 0);
	CHECK(check_type(ARG_STRING_OR_LIST, "\"x\"") == 0 && check_type(ARG_STRING_OR_LIST, "[1]") == 0 &&
	      check_type(ARG_STRING_OR_LIST, "1") < 0);

	/* descriptor helpers */
	{
		struct action_desc d = { "fake", "fake", fake_args, "{}", ACT_MUTATING, 0, fake_run, NULL, NULL, NULL };
		jv a = jv_parse("{\"write\": false}");

		CHECK(action_find_arg(&d, "b") == &fake_args[1] && action_find_arg(&d, "c") == NULL);
		CHECK(action_is_mutating(&d, a) == 1);          /* flags decide without mutates() */
		d.mutates = fake_mutates;
		CHECK(action_is_mutating(&d, a) == 0);          /* mutates() decides */
		a = jv_object_set(a, jv_string("write"), jv_true());
		CHECK(action_is_mutating(&d, a) == 1);
		jv_free(a);
	}

	/* jvx */
	{
		jv o = jv_parse("{\"s\": \"str\", \"n\": 2.6, \"t\": true, \"z\": null, \"l\": [1, {\"k\": \"v\"}]}");
		jv c, e;
		char *s;

		CHECK_STR(jvx_str(o, "s"), "str");
		CHECK(jvx_str(o, "n") == NULL && jvx_str(o, "missing") == NULL);
		CHECK(jvx_num(o, "n", 0) == 2.6 && jvx_int(o, "n", 0) == 3 && jvx_int(o, "x", 7) == 7);
		CHECK(jvx_bool(o, "t", 0) == 1 && jvx_bool(o, "s", 5) == 5);
		CHECK(jvx_has(o, "s") && !jvx_has(o, "z") && !jvx_has(o, "missing"));
		CHECK(!jv_is_valid(jvx_get(jv_null(), "s")));
		c = jvx_deep_copy(o);
		CHECK(jv_equal(jv_copy(c), jv_copy(o)));
		jv_free(c);
		e = jvx_error("Code", "bad %s %d", "thing", 3);
		CHECK_STR(jvx_str(e, "code"), "Code");
		CHECK_STR(jvx_str(e, "message"), "bad thing 3");
		jv_free(e);
		s = jvx_text(jv_string("plain"));
		CHECK_STR(s, "plain");
		free(s);
		s = jvx_text(jvx_get(o, "l"));
		CHECK_STR(s, "[1,{\"k\":\"v\"}]");
		free(s);
		e = jv_string("");
		CHECK(jvx_truthy(jv_number(0)) && jvx_truthy(e) && !jvx_truthy(jv_null()) &&
		      !jvx_truthy(jv_false()) && !jvx_truthy(jv_invalid()));
		jv_free(e);
		CHECK_STR(jvx_kind_name(o), "object");
		jv_free(o);
	}
	/* core/b64: the one base64 */
	{
		char *e = b64_encode("ab?>", 4, 0);
		CHECK_STR(e, "YWI/Pg==");
		free(e);
		e = b64_encode("ab?>", 4, B64_URL | B64_NOPAD);
		CHECK_STR(e, "YWI_Pg");
		free(e);
		size_t n = 0;
		unsigned char *d = b64_decode("YWI/\nPg==", 9, &n);   /* a line break, padding */
		CHECK(d && n == 4 && !memcmp(d, "ab?>", 4) && d[4] == 0);
		free(d);
		CHECK(b64_decode("YW*=", 4, NULL) == NULL);
		d = b64_decode("", 0, &n);
		CHECK(d && n == 0);
		free(d);
	}
	/* core/actarg: defaults from the descriptor, durations, numbers as text */
	{
		char nt[64];
		CHECK_STR(actarg_num_text(3, nt, sizeof(nt)), "3");
		CHECK_STR(actarg_num_text(3.99, nt, sizeof(nt)), "3.99");
		int64_t ms = 0;
		jv v = jv_string("90s");
		CHECK(actarg_dur(v, &ms) == 0 && ms == 90000);
		jv_free(v);
		v = jv_number(1.5);
		CHECK(actarg_dur(v, &ms) == 0 && ms == 1500);
		jv_free(v);
		v = jv_string("soon");
		CHECK(actarg_dur(v, &ms) < 0);
		jv_free(v);
		v = jv_number(1.1);
		char *txt = actarg_scalar_text(v);
		CHECK_STR(txt, "1.1");
		free(txt);
		jv_free(v);
	}
	/* core/yamljv: one typing rule (runbooks, scenarios, kubeconfigs, manifests) */
	{
		const char *y = "a: 0x1F\nb: Null\nc: 9007199254740993\nd: '0x1F'\ne: 0o17\nf: 1_000\ng: TRUE\nh: ''\n";
		jv doc = yamljv_parse(y, strlen(y), 0);
		char *got = jvx_dump(doc);
		CHECK_STR(got, "{\"a\":31,\"b\":null,\"c\":\"9007199254740993\",\"d\":\"0x1F\",\"e\":15,\"f\":\"1_000\",\"g\":true,\"h\":\"\"}");
		free(got);
	}
	return check_done("helpers");
}
