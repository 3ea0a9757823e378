/* jparse_test.c — core/jparse gives what jvx_parse_sized (libjq's parser) gives:
 *   jparse_test [SEED] FILE...
 * for each FILE (whole, and each of its lines), and for random JSON texts and random
 * damage to them: the same value (the same compact dump, so the same key order and
 * -0), or both invalid with the same message. TAP. */
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

/* 0 when both parsers agree on text */
static int same(const char *text, size_t len)
{
	jv a = jparse(text, len), b = jvx_parse_sized(text, len);
	char *da = dump(a), *db = dump(b);
	int ok = !strcmp(da, db) && jv_is_valid(a) == jv_is_valid(b);
	if (!ok && fails++ < 5)
		printf("# differ on '%.*s':\n#   jparse: %s\n#   libjq:  %s\n", (int)(len > 300 ? 300 : len), text, da, db);
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
	printf("TAP version 13\n1..4\n");

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
		"true false", "[true,false,null]", "\f1", "\v1", "-0", "[-0,0,-0.0]", "1e999" };
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
	buf_release(&b);
	BUF_NOCAP(berr);
	return 0;
}
