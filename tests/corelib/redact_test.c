/* secret taint by value: every form of a secret is masked, short values are not */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "core/redact.h"
#include "core/jvx.h"
#include "check.h"

/* masked(r, text) has no trace of what it hid */
static void check_masked(struct redactor *r, const char *text, const char *want)
{
	char *s = redact_str(r, text);
	CHECK_STR(s, want);
	free(s);
}

static char *b64(const char *s)
{
	char *out = malloc(4 * ((strlen(s) + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)strlen(s));
	return out;
}

/* the forms a secret takes on its way out (redact.h) */
static void encodings(void)
{
	struct redactor *r = redact_new();
	const char *pw = "Sup3r/S3cret+Pass word&x";
	redact_add(r, pw);
	/* @uri (upper case %XX), lower-case %xx, form encoding */
	check_masked(r, "u=Sup3r%2FS3cret%2BPass%20word%26x;", "u=***;");
	check_masked(r, "u=Sup3r%2fS3cret%2bPass%20word%26x;", "u=***;");
	check_masked(r, "u=Sup3r%2FS3cret%2BPass+word%26x;", "u=***;");
	/* base64 after a prefix of every length mod 3: the bytes wholly inside the secret
	 * are masked; at most 2 characters of each edge stay */
	const char *prefixes[] = { "", "a", "ab", "root:", "bob:", "user:", "admin:", "x" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		for (int suffix = 0; suffix < 3; suffix++) {
			char plain[128];
			snprintf(plain, sizeof(plain), "%s%s%.*s", prefixes[i], pw, suffix, "zzz");
			char *enc = b64(plain);
			char *m = redact_str(r, enc);
			char *star = strstr(m, "***");
			CHECK(star != NULL);
			/* what is left is the prefix's own characters and at most 2 each side */
			size_t pre = (strlen(prefixes[i]) / 3) * 4;
			CHECK(star && (size_t)(star - m) <= pre + 4);
			CHECK(strlen(m) - (star ? (size_t)(star - m) : 0) <= 3 + 8);
			/* base64url of the same */
			for (char *p = enc; *p; p++)
				*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
			char *mu = redact_str(r, enc);
			CHECK(strstr(mu, "***") != NULL);
			free(mu);
			free(m);
			free(enc);
		}
	}
	/* JSON-escaped, twice-escaped (a JSON text inside a JSON string), \u escapes */
	redact_add(r, "q\"uo\\te\u00e9t\u00e9");
	check_masked(r, "{\"p\":\"q\\\"uo\\\\te\u00e9t\u00e9\"}", "{\"p\":\"***\"}");
	check_masked(r, "\"{\\\"p\\\":\\\"q\\\\\\\"uo\\\\\\\\te\u00e9t\u00e9\\\"}\"",
		     "\"{\\\"p\\\":\\\"***\\\"}\"");
	check_masked(r, "q\\\"uo\\\\te\\u00e9t\\u00e9", "***");
	/* hex, both cases */
	check_masked(r, "5375703372 hex: 53757033722f5333637265742b5061737320776f72642678.", "5375703372 hex: ***.");
	check_masked(r, "53757033722F5333637265742B5061737320776F72642678", "***");
	redact_add(r, "hexme");
	check_masked(r, "6865786d65 6865786D65", "*** ***");
	CHECK(redact_has(r, pw));
	CHECK(!redact_has(r, "nope"));
	redact_free(r);
}

static void decoys(void)
{
	struct redactor *r = redact_new();
	redact_add(r, "{\"user\":\"app\",\"password\":\"s3cr-et.Z\u00e9\"}");
	redact_add(r, "plainsecret");
	jv none = jv_parse("{\"a\":[\"nothing here\"]}");
	CHECK(!redact_touches(r, none));
	jv_free(none);
	jv v = jv_parse("{\"a\":[1,\"x plainsecret y\"],\"plainsecret\":\"{\\\"user\\\":\\\"app\\\",\\\"password\\\":\\\"s3cr-et.Z\u00e9\\\"}\"}");
	CHECK(redact_touches(r, v));
	int hits = 0;
	jv d = redact_decoy(r, jv_copy(v), &hits);
	CHECK(hits == 3);
	CHECK(!redact_touches(r, d));
	jv a1 = jv_array_get(jv_object_get(jv_copy(d), jv_string("a")), 1);
	const char *s = jv_string_value(a1);
	CHECK(strlen(s) == strlen("x plainsecret y"));
	/* every byte of the secret differs; the rest stays */
	CHECK(!strncmp(s, "x ", 2) && !strcmp(s + 13, " y"));
	for (int i = 0; i < 11; i++)
		CHECK(s[2 + i] != "plainsecret"[i]);
	jv_free(a1);
	/* a JSON secret's decoy is still JSON with the same keys' shape */
	jv keys = jv_keys(jv_copy(d));
	jv js = jv_invalid();
	jv_array_foreach(keys, i, k) {
		if (strcmp(jv_string_value(k), "a"))
			js = jv_object_get(jv_copy(d), jv_copy(k));
		jv_free(k);
	}
	jv parsed = jv_parse(jv_string_value(js));
	CHECK(jv_get_kind(parsed) == JV_KIND_OBJECT);
	CHECK(jv_object_length(jv_copy(parsed)) == 2);
	jv_free(parsed);
	jv_free(js);
	jv_free(keys);
	jv_free(d);
	jv_free(v);
	redact_set_current(r);
	CHECK(redact_current() == r);
	redact_free(r);
	CHECK(redact_current() == NULL);
}

int main(void)
{
	struct redactor *r = redact_new();
	redact_add(r, "hunter2");
	redact_add(r, "ab");                 /* below REDACT_MIN: ignored */
	redact_add(r, "pa\"ss\\word");       /* JSON-escaped form registered too */
	char *s = redact_str(r, "user=admin pw=hunter2 again hunter2 ab");
	CHECK_STR(s, "user=admin pw=*** again *** ab");
	free(s);
	s = redact_str(r, "aHVudGVyMg== is base64");   /* base64 of hunter2 */
	CHECK_STR(s, "*** is base64");
	free(s);
	jv v = jv_parse("{\"a\":[\"x hunter2\", 1], \"hunter2\": \"pa\\\"ss\\\\word\"}");
	char *d = jvx_dump(redact_jv(r, v));
	CHECK_STR(d, "{\"a\":[\"x ***\",1],\"***\":\"***\"}");
	free(d);
	/* untouched: the value itself comes back; touched: only the containers on the
	 * path to the changed string are new, and the order of keys is kept */
	v = jv_parse("{\"a\":{\"b\":[\"x hunter2\",2]},\"c\":{\"d\":[\"clean\"]},\"e\":3}");
	jv same = redact_jv(r, jv_object_get(jv_copy(v), jv_string("c")));
	CHECK(jv_identical(same, jv_object_get(jv_copy(v), jv_string("c"))));
	jv red = redact_jv(r, jv_copy(v));
	CHECK(jv_identical(jv_object_get(jv_copy(red), jv_string("c")), jv_object_get(jv_copy(v), jv_string("c"))));
	CHECK(!jv_identical(jv_object_get(jv_copy(red), jv_string("a")), jv_object_get(jv_copy(v), jv_string("a"))));
	d = jvx_dump(red);
	CHECK_STR(d, "{\"a\":{\"b\":[\"x ***\",2]},\"c\":{\"d\":[\"clean\"]},\"e\":3}");
	free(d);
	d = jvx_dump(v);
	CHECK_STR(d, "{\"a\":{\"b\":[\"x hunter2\",2]},\"c\":{\"d\":[\"clean\"]},\"e\":3}");
	free(d);
	/* a dump of the raw value, redacted as text, hides the escaped form */
	char *dump = jvx_dump(jv_string("pa\"ss\\word"));
	s = redact_str(r, dump);
	CHECK_STR(s, "\"***\"");
	free(s);
	free(dump);
	/* the longer secret wins over one it contains */
	redact_add(r, "hunter22222");
	s = redact_str(r, "hunter22222");
	CHECK_STR(s, "***");
	free(s);
	redact_add_jv(r, jv_parse("{\"k\":[\"tok-abc\"]}"));
	s = redact_str(r, "Bearer tok-abc");
	CHECK_STR(s, "Bearer ***");
	free(s);
	encodings();
	decoys();
	s = redact_str(NULL, "plain");
	CHECK_STR(s, "plain");
	free(s);
	redact_free(r);
	return check_done("redact");
}
