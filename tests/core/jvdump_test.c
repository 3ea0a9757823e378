/* jvdump_test.c — jvx_dump / jvx_dump_pretty (core/jvx.c, written by hand for speed)
 * print byte for byte what libjq 1.6's jv_dump_string prints, compact and with
 * JV_PRINT_PRETTY | JV_PRINT_SPACE1: on every JSON file (and JSON Lines event) under
 * tests/ and examples/, and on random values (seeded; the seed is printed, and
 * `jvdump_test SRCDIR SEED` replays it). TAP.
 *
 *   jvdump_test SRCDIR [SEED [COUNT]]
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jv.h>
#include "core/buf.h"
#include "core/jvx.h"
#include "core/utf8.h"

static int tap_n, tap_failed;
static int mismatches;       /* in the current group */
static long compared;

static void tap(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++tap_n, what);
	if (!ok)
		tap_failed++;
}

/* compares both printers on v, compact and pretty; borrows v; 0 when identical */
static int same(jv v, const char *where)
{
	static const int flags[] = { 0, JV_PRINT_PRETTY | JV_PRINT_SPACE1 };
	int bad = 0;
	for (int f = 0; f < 2; f++) {
		jv want = jv_dump_string(jv_copy(v), flags[f]);
		char *got = flags[f] ? jvx_dump_pretty(jv_copy(v)) : jvx_dump(jv_copy(v));
		size_t wl = (size_t)jv_string_length_bytes(jv_copy(want));
		jv gotjv = jvx_dump_string(jv_copy(v), flags[f]);
		int eq = jv_equal(jv_copy(want), gotjv);
		compared++;
		if (strlen(got) != wl || memcmp(got, jv_string_value(want), wl) || !eq) {
			bad = 1;
			if (mismatches++ < 5) {
				size_t i = 0;
				while (got[i] && got[i] == jv_string_value(want)[i])
					i++;
				printf("# %s (flags %d): differ at byte %zu\n#   libjq: %.200s\n#   jvx:   %.200s\n",
				       where, flags[f], i, jv_string_value(want) + (i > 40 ? i - 40 : 0),
				       got + (i > 40 ? i - 40 : 0));
			}
		}
		free(got);
		jv_free(want);
	}
	return bad;
}

/* ---- the corpus ---- */

static int corpus_files, corpus_values;

static void corpus_text(const char *path, const char *text, size_t len)
{
	jv v = jvx_parse_sized(text, len);
	if (jv_is_valid(v)) {
		same(v, path);
		corpus_values++;
	}
	jv_free(v);
}

static int corpus_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t n = strlen(path);
	int lines = n > 6 && !strcmp(path + n - 6, ".jsonl");
	if (type != FTW_F || (!lines && !(n > 5 && !strcmp(path + n - 5, ".json"))) || strstr(path, "/build"))
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	struct buf b = BUF_INIT(0);
	char chunk[4096];
	size_t k;
	int berr = 0;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		berr |= buf_add(&b, chunk, k);
	fclose(f);
	BUF_NOCAP(berr);
	corpus_files++;
	if (!lines) {
		corpus_text(path, buf_str(&b), b.len);
	} else {
		/* JSON Lines: journals and event streams, one event a line */
		for (const char *p = buf_str(&b), *e; *p; p = *e ? e + 1 : e) {
			e = strchr(p, '\n');
			if (!e)
				e = p + strlen(p);
			if (e > p)
				corpus_text(path, p, (size_t)(e - p));
		}
	}
	buf_release(&b);
	return 0;
}

/* ---- random values ---- */

static uint64_t rng;

static uint64_t next(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(next() % n);
}

static jv rand_string(void)
{
	char s[200];
	int len = 0, n = (int)pick(12);
	for (int i = 0; i < n; i++) {
		unsigned c;
		switch (pick(8)) {
		case 0: c = pick(0x20); break;                    /* controls, NUL included */
		case 1: c = "\"\\/\x7f"[pick(4)]; break;
		case 2: c = 0x80 + pick(0x800 - 0x80); break;       /* 2 bytes */
		case 3:                                             /* 3 bytes, no surrogates */
			do
				c = 0x800 + pick(0x10000 - 0x800);
			while (c >= 0xD800 && c <= 0xDFFF);
			break;
		case 4: c = 0x10000 + pick(0x110000 - 0x10000); break;  /* 4 bytes */
		default: c = pick(0x80); break;                     /* any ASCII byte */
		}
		len += utf8_put(s + len, c);
	}
	return jv_string_sized(s, len);
}

static double rand_number(void)
{
	static const double fixed[] = {
		0, 1, -1, 10, 100, 1e15, 1e16, 1e17, 9999999999999998, 1e16 - 2, 1e300, -1e300,
		1e-300, 5e-324, 1e-5, 0.0001, 0.001, 123456789012345680000.0, 1.5, -2.25, 0.1,
		4294967296.0, 2147483647.0, -2147483648.0, 1e21, 1e22, 123e18, 12e15,
	};
	int64_t two53 = (int64_t)1 << 53;
	switch (pick(12)) {
	case 0: return fixed[pick(sizeof(fixed) / sizeof(fixed[0]))];
	case 1: return (double)(two53 + (int64_t)pick(21) - 10) * (pick(2) ? 1 : -1);
	case 2: {
		double d = pow(10, 15 + pick(3) + (double)pick(1000) / 1000);   /* 1e15..1e18 */
		return (pick(2) ? floor(d) : d) * (pick(2) ? 1 : -1);
	}
	case 3: return -0.0;
	case 4: return NAN;
	case 5: return pick(2) ? INFINITY : -INFINITY;
	case 6: return (double)(next() >> pick(64)) / (double)(1 + pick(1000));  /* fractions */
	case 7: {
		uint64_t bits = next();       /* any finite double */
		double d;
		memcpy(&d, &bits, sizeof(d));
		return isfinite(d) ? d : 0.5;
	}
	case 8: return ldexp((double)(next() >> 11), -(int)pick(1100));       /* tiny */
	default: return (double)(int64_t)(next() >> pick(64)) * (pick(2) ? 1 : -1);  /* integers */
	}
}

static jv rand_value(int depth)
{
	unsigned k = pick(depth > 4 ? 5 : 8);
	switch (k) {
	case 0: return jv_null();
	case 1: return jv_bool(pick(2));
	case 2: return jv_number(rand_number());
	case 3: case 4: return rand_string();
	case 5: {
		jv a = jv_array();
		for (unsigned i = 0, n = pick(6); i < n; i++)
			a = jv_array_append(a, rand_value(depth + 1));
		return a;
	}
	default: {
		jv o = jv_object();
		unsigned n = pick(7);
		for (unsigned i = 0; i < n; i++) {
			jv key = pick(2) ? jv_string_fmt("k%u", pick(10)) : rand_string();
			o = jv_object_set(o, key, rand_value(depth + 1));
		}
		/* holes in the slot order: delete some keys, then set others */
		if (pick(3) == 0) {
			for (unsigned i = 0; i < 3; i++)
				o = jv_object_delete(o, jv_string_fmt("k%u", pick(10)));
			for (unsigned i = 0, m = pick(4); i < m; i++)
				o = jv_object_set(o, jv_string_fmt("k%u", pick(12)), rand_value(depth + 1));
		}
		return o;
	}
	}
}

/* ---- fixed cases ---- */

static void fixed_cases(void)
{
	char all[0x80];
	for (int i = 0; i < 0x80; i++)
		all[i] = (char)i;
	mismatches = 0;
	jv v = jv_string_sized(all, sizeof(all));
	same(v, "every byte 0..0x7f");
	jv_free(v);
	static const char *const texts[] = {
		"null", "true", "false", "0", "-0", "[]", "{}", "[[]]", "{\"\":{}}", "[1,[2,[3,{}]]]",
		"\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "{\"a\\\"b\":\"c\\\\d\",\"\\n\":[null,false]}",
		"[9007199254740992,9007199254740993,-9007199254740993,1e16,1e17,-1e16,9999999999999999]",
		"[0.1,1.5e300,-2.5e-300,1e-7,0.000123,123456.789]",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		jv t = jv_parse(texts[i]);
		same(t, texts[i]);
		jv_free(t);
	}
	/* numbers made outside the parser */
	static const double nums[] = { NAN, INFINITY, -INFINITY, -0.0, 1e16, -1e16, 1e16 - 2, 0.5 };
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		jv n = jv_array_append(jv_array(), jv_number(nums[i]));
		same(n, "number");
		jv_free(n);
	}
	/* deeper than libjq prints (MAX_PRINT_DEPTH): a mark at level 257 */
	jv deep = jv_number(1);
	for (int i = 0; i < 300; i++)
		deep = i % 2 ? jv_array_append(jv_array(), deep) : jv_object_set(jv_object(), jv_string("k"), deep);
	same(deep, "300 levels");
	jv_free(deep);
	/* an indent longer than one chunk of spaces */
	jv wide = jv_string("x");
	for (int i = 0; i < 70; i++)
		wide = jv_array_append(jv_array_append(jv_array(), jv_number(i)), wide);
	same(wide, "70 levels");
	jv_free(wide);
	tap(mismatches == 0, "fixed cases: escapes, numbers, depth");

	/* a buffer with a cap: the add that does not fit fails */
	struct buf b = BUF_INIT(8);
	int r = jvx_dump_buf(&b, jv_parse("{\"abc\":\"defghij\"}"), 0);
	buf_release(&b);
	struct buf ok = BUF_INIT(8);
	int r2 = jvx_dump_buf(&ok, jv_parse("[1,\"ab\"]"), 0);
	tap(r == -1 && r2 == 0 && !strcmp(buf_str(&ok), "[1,\"ab\"]"), "jvx_dump_buf: a capped buffer refuses what does not fit");
	buf_release(&ok);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: jvdump_test SRCDIR [SEED [COUNT]]\n");
		return 2;
	}
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL) * 2654435761u;
	long count = argc > 3 ? strtol(argv[3], NULL, 0) : 100000;
	char path[4096];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..4\n");
	fixed_cases();

	mismatches = 0;
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", argv[1], i ? "examples" : "tests");
		nftw(path, corpus_file, 16, FTW_PHYS);
	}
	printf("# corpus: %d values from %d files\n", corpus_values, corpus_files);
	tap(mismatches == 0 && corpus_values >= 10, "corpus: every JSON file and JSON Lines event under tests/ and examples/");

	mismatches = 0;
	rng = seed ? seed : 1;
	char where[64];
	for (long i = 0; i < count; i++) {
		jv v = rand_value(0);
		snprintf(where, sizeof(where), "random value %ld", i);
		same(v, where);
		jv_free(v);
	}
	printf("# %ld random values, seed %llu (replay: jvdump_test SRCDIR %llu)\n", count,
	       (unsigned long long)seed, (unsigned long long)seed);
	tap(mismatches == 0, "random values: nested, escapes, UTF-8, numbers, deleted keys");
	printf("# %ld comparisons\n", compared);
	return tap_failed ? 1 : 0;
}
