/* backoff.c — exponential backoff with a cap and jitter (backoff.h). */
#include <stdlib.h>
#include "backoff.h"

static double factor_of(const struct backoff *b)
{
	return b->factor >= 1 ? b->factor : 2;
}

double backoff_ceiling(const struct backoff *b, int n)
{
	double d = (double)(b->base_ms > 0 ? b->base_ms : 0), f = factor_of(b);

	for (int i = 0; i < n && d < 1e15 && (b->cap_ms <= 0 || d < (double)b->cap_ms); i++)
		d *= f;
	if (b->cap_ms > 0 && d > (double)b->cap_ms)
		d = (double)b->cap_ms;
	return d;
}

int64_t backoff_full(const struct backoff *b, int n, double r)
{
	double c = backoff_ceiling(b, n);
	int64_t d = (int64_t)(c * r);

	return d < (int64_t)c ? d : (int64_t)c - 1 < 0 ? 0 : (int64_t)c - 1;
}

int64_t backoff_added(const struct backoff *b, int n, double r)
{
	double d = backoff_ceiling(b, n) * (1 + r);

	if (b->cap_ms > 0 && d > (double)b->cap_ms)
		d = (double)b->cap_ms;
	return (int64_t)d;
}

int64_t backoff_next(const struct backoff *b, int64_t cur)
{
	double d = (double)cur * factor_of(b);
	int64_t next = d < 1e15 ? (int64_t)d : (int64_t)1e15;

	if (b->cap_ms > 0 && next > b->cap_ms)
		next = b->cap_ms;
	return next < 1 ? 1 : next;
}

int64_t backoff_toward(int64_t gap, int64_t far_ms, int64_t near_ms, int halve)
{
	int64_t iv;

	if (far_ms < 1)
		far_ms = 1;
	if (gap <= near_ms || gap <= 1)
		return gap < 1 ? 1 : gap;
	if (halve) {
		iv = gap / 2 < far_ms ? gap / 2 : far_ms;
		return iv < near_ms ? near_ms : iv;
	}
	int64_t n = gap / far_ms + (gap % far_ms != 0);   /* polls left: ceil(gap / far) */
	return gap / n + (gap % n != 0);                  /* ceil: n - 1 after this one */
}

double backoff_random(void)
{
	uint64_t x = ((uint64_t)arc4random() << 32) | arc4random();

	return (double)(x >> 11) / 9007199254740992.0;   /* 53 bits / 2^53 */
}

double backoff_seeded(const char *a, const char *b, int n)
{
	uint64_t h = 1469598103934665603ULL;
	const char *parts[2] = {a ? a : "", b ? b : ""};

	for (int p = 0; p < 2; p++) {
		for (const unsigned char *c = (const unsigned char *)parts[p]; *c; c++)
			h = (h ^ *c) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;   /* separator: "ab"+"c" != "a"+"bc" */
	}
	h ^= (uint64_t)(unsigned)n * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (double)(h >> 11) / 9007199254740992.0;
}
