/* jparse_test.c — core/jparse gives what jvx_parse_sized (libjq's parser) gives:
 *   jparse_test [SEED] FILE...
 * for each FILE (whole, and each of its lines), and for random JSON texts and random
 * damage to them: the same value (the same compact dump, so the same key order and
 * -0), or both invalid with the same message. On every such text, too: the members
 * jparser_fields reads are that value's, and jparser_parse_keep gives that value with
 * only the kept members. TAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/fs.h"
#include "core/jparse.h"
#include "core/jvx.h"

static int fails;

static char *dump(jv v)
{
	jv s;
	if (jv_is_valid(v)) {
		s = jv_dump_string(jv_copy(v), 0);
	} else {
		jv msg = jv_invalid_get_msg(jv_copy(v));
		s = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_fmt("invalid: %s", jv_string_value(msg)) :
		    jv_string("invalid");
		jv_free(msg);
	}
	char *out = strdup(jv_string_value(s));
	jv_free(s);
	return out;
}

/* what the random texts use as keys */
static const char *const names[] = { "a", "step", "l0" };
#define NNAMES (sizeof(names) / sizeof(names[0]))
static const struct jkeep keep_sub[] = { { "l0", NULL }, { NULL, NULL } };
static const struct jkeep keep_any[] = { { "*", keep_sub }, { NULL, NULL } };
static const struct jkeep keep[] = { { "a", NULL }, { "step", keep_sub }, { "l0", keep_any }, { NULL, NULL } };
static int fields_read, fields_bad, keep_bad;

/* v with only what k keeps (jparser_parse_keep's rule, on a parsed value) */
static jv kept(jv v, const struct jkeep *k)
{
	if (!k)
		return v;
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		jv out = jv_array();
		jv_array_foreach(v, i, x) {
			out = jv_array_append(out, kept(x, k));
			(void)i;
		}
		jv_free(v);
		return out;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return v;
	jv out = jv_object();
	jv_object_foreach(v, key, x) {
		const struct jkeep *e = k;
		while (e->key && strcmp(e->key, "*") && strcmp(e->key, jv_string_value(key)))
			e++;
		if (e->key)
			out = jv_object_set(out, key, kept(x, e->sub));
		else {
			jv_free(key);
			jv_free(x);
		}
	}
	jv_free(v);
	return out;
}

/* jparser_fields and jparser_parse_keep of text, against a, jparse's value of it */
static void parts(const char *text, size_t len, jv a)
{
	struct jparser *jp = malloc(sizeof(*jp));
	jv out[NNAMES];
	jparser_init(jp);
	if (jparser_fields(jp, text, len, names, NNAMES, out) == 0) {
		fields_read++;
		for (size_t i = 0; i < NNAMES; i++) {
			jv want = jv_get_kind(a) == JV_KIND_OBJECT ? jv_object_get(jv_copy(a), jv_string(names[i])) :
				  jv_string("not an object");
			char *dw = dump(want), *dg = dump(out[i]);
			if (strcmp(dw, dg) && fails++ < 5)
				printf("# jparser_fields '%s' of '%.*s': %s, want %s\n", names[i], (int)(len > 300 ? 300 : len),
				       text, dg, dw);
			fields_bad |= strcmp(dw, dg) != 0;
			free(dw);
			free(dg);
			jv_free(want);
		}
	}
	for (size_t i = 0; i < NNAMES; i++)
		jv_free(out[i]);
	jv k = jparser_parse_keep(jp, text, len, keep), want = kept(jv_copy(a), keep);
	char *dk = dump(k), *dw = dump(want), *da = dump(a);
	/* text jparse does not read itself gives the whole value */
	if (strcmp(dk, dw) && strcmp(dk, da)) {
		keep_bad = 1;
		if (fails++ < 5)
			printf("# jparser_parse_keep of '%.*s': %s, want %s\n", (int)(len > 300 ? 300 : len), text, dk, dw);
	}
	free(dk);
	free(dw);
	free(da);
	jv_free(k);
	jv_free(want);
	jparser_release(jp);
	free(jp);
}

/* 0 when both parsers agree on text */
static int same(const char *text, size_t len)
{
	jv a = jparse(text, len), b = jvx_parse_sized(text, len);
	char *da = dump(a), *db = dump(b);
	int ok = !strcmp(da, db) && jv_is_valid(a) == jv_is_valid(b);
	if (!ok && fails++ < 5)
		printf("# differ on '%.*s':\n#   jparse: %s\n#   libjq:  %s\n", (int)(len > 300 ? 300 : len), text, da, db);
	parts(text, len, a);
	free(da);
	free(db);
	jv_free(a);
	jv_free(b);
	return ok ? 0 : -1;
}

static unsigned long long rnd_state;
static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rnd_state >> 33) % n);
}

static int ws(struct buf *b)
{
	static const char *const w[] = { "", "", "", " ", "\n", "  ", "\t", "\r\n" };
	return buf_adds(b, w[rnd(8)]);
}

static int gen_string(struct buf *b)
{
	static const char *const parts[] = { "a", "step", "l0", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\b", "\\f",
		"\\r", "\\u0041", "\\u00e9", "\\u20AC", "\\u0000", "\\u001f", "é", "€", "𝄞", "\\ud834\\udd1e",
		"\\ud834", "\\udd1e", "\x01", "\xff", "\xc3", " ", "}", "]", ",", ":" };
	int berr = buf_addc(b, '"');
	for (unsigned n = rnd(6); n > 0; n--)
		berr |= buf_adds(b, parts[rnd(sizeof(parts) / sizeof(parts[0]))]);
	return berr | buf_addc(b, '"');
}

static int gen_number(struct buf *b)
{
	static const char *const nums[] = { "0", "-0", "1", "-1", "42", "123456789012345", "1234567890123456",
		"9007199254740993", "-9007199254740993", "12345678901234567890123", "0.5", "-0.0", "1.25e3",
		"1E400", "-1e-400", "2.5E-3", "1e+2", "3.141592653589793238", "0.1", "1e16", "100000000000000000",
		"0.30000000000000004", "5e-324", "1.7976931348623157e308" };
	return buf_adds(b, nums[rnd(sizeof(nums) / sizeof(nums[0]))]);
}

static int gen(struct buf *b, int depth)
{
	int berr = ws(b);
	switch (rnd(depth > 4 ? 5 : 7)) {
	case 0: berr |= buf_adds(b, rnd(2) ? "true" : rnd(2) ? "false" : "null"); break;
	case 1: case 2: berr |= gen_number(b); break;
	case 3: case 4: berr |= gen_string(b); break;
	case 5:
		berr |= buf_addc(b, '[');
		for (unsigned n = rnd(5), i = 0; i < n; i++) {
			if (i)
				berr |= buf_addc(b, ',');
			berr |= gen(b, depth + 1);
		}
		berr |= ws(b) | buf_addc(b, ']');
		break;
	default:
		berr |= buf_addc(b, '{');
		for (unsigned n = rnd(6), i = 0; i < n; i++) {
			if (i)
				berr |= buf_addc(b, ',');
			berr |= ws(b) | gen_string(b) | ws(b) | buf_addc(b, ':') | gen(b, depth + 1);
		}
		berr |= ws(b) | buf_addc(b, '}');
		break;
	}
	return berr | ws(b);
}

int main(int argc, char **argv)
{
	unsigned long long seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
	int berr = 0, n = 0, bad = 0;
	printf("TAP version 13\n1..6\n");

	/* files: whole, and line by line */
	for (int i = 2; i < argc; i++) {
		size_t len;
		char *text = fs_read(argv[i], 64u << 20, &len);
		if (!text)
			continue;
		bad |= same(text, len);
		n++;
		for (char *line = text, *nl; (nl = memchr(line, '\n', len - (size_t)(line - text))); line = nl + 1, n++)
			bad |= same(line, (size_t)(nl - line));
		free(text);
	}
	printf("%s 1 - %d texts of %d files%s\n", bad || !n ? "not ok" : "ok", n, argc - 2, n ? "" : " (none read)");

	/* fixed texts: the edges of each rule */
	static const char *const fixed[] = { "", " ", "{}", "[]", "{\"a\":1,\"a\":2}", "{\"b\":1,\"a\":2,\"b\":3}",
		"[1,]", "{\"a\":1,}", "{\"a\" \"b\"}", "[1 2]", "01", "-", "1.", ".5", "1e", "+1", "tru", "nul",
		"nan", "NaN", "\xef\xbb\xbf{}", "\"\\x\"", "\"\\u12\"", "\"abc", "[", "{\"a\"", "{\"a\":", "1 2",
		"\"\\ud800\"", "\"\\udc00\\ud800\"", "\"a\nb\"", "\"\x7f\"", "[[[[[[[[[[]]]]]]]]]]", "{1:2}",
		"true false", "[true,false,null]", "\f1", "\v1", "-0", "[-0,0,-0.0]", "1e999",
		/* jparser_fields and jparser_parse_keep: kept and skipped members at each depth */
		"{\"a\":1,\"step\":{\"l0\":[1,{\"x\":2}],\"b\":3},\"l0\":{\"k\":{\"l0\":5,\"z\":6},\"m\":[{\"l0\":1,\"q\":2}]},\"zz\":{\"a\":1}}",
		"[{\"step\":[{\"l0\":\"x\",\"y\":[1,2,{\"a\":\"\\u00e9\"}]}],\"a\":\"\\\"q\"}]",
		"{\"zz\":\"}\\\\\",\"step\":\"s\",\"a\":{\"deep\":[[[{}]]]},\"step\":\"t\"}" };
	bad = 0;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		bad |= same(fixed[i], strlen(fixed[i]));
	{
		struct buf deep = BUF_INIT(0);
		for (int k = 0; k < 300; k++)
			berr |= buf_addc(&deep, '[');
		for (int k = 0; k < 300; k++)
			berr |= buf_addc(&deep, ']');
		bad |= same(deep.data, deep.len);
		buf_release(&deep);
	}
	printf("%s 2 - %zu fixed texts\n", bad ? "not ok" : "ok", sizeof(fixed) / sizeof(fixed[0]) + 1);

	/* random well-formed texts */
	rnd_state = seed;
	bad = 0;
	struct buf b = BUF_INIT(0);
	for (int k = 0; k < 20000; k++) {
		buf_reset(&b);
		berr |= gen(&b, 0);
		bad |= same(buf_str(&b), b.len);
	}
	printf("%s 3 - 20000 random texts (seed %llu)\n", bad ? "not ok" : "ok", seed);

	/* and damaged: a byte cut, changed or repeated */
	bad = 0;
	static const char damage[] = "{}[]\",:\\ 0-eE.tfnu\x01\xc3";
	for (int k = 0; k < 20000; k++) {
		buf_reset(&b);
		berr |= gen(&b, 0);
		if (!b.len)
			continue;
		size_t at = rnd((unsigned)b.len);
		switch (rnd(3)) {
		case 0: b.len = at; b.data[at] = 0; break;
		case 1: b.data[at] = damage[rnd(sizeof(damage) - 1)]; break;
		default: berr |= buf_addc(&b, b.data[at]); break;
		}
		bad |= same(buf_str(&b), b.len);
	}
	printf("%s 4 - 20000 damaged texts (seed %llu)\n", bad ? "not ok" : "ok", seed);
	printf("%s 5 - jparser_fields reads each member as jparse does (%d texts read)\n",
	       fields_bad || fields_read < 100 ? "not ok" : "ok", fields_read);
	printf("%s 6 - jparser_parse_keep gives jparse's value with only the kept members\n", keep_bad ? "not ok" : "ok");
	buf_release(&b);
	BUF_NOCAP(berr);
	return 0;
}
