/* core/backoff: growth, cap, the jitter bounds, and a seeded jitter that is reproducible */
#include "core/backoff.h"
#include "check.h"

int main(void)
{
	const struct backoff aws = { 200, 2, 20000 }, eng = { 1000, 1.5, 0 };
	const struct backoff poll = { 500, 1.5, 5000 }, fixed = { 2000, 1, 0 }, dflt = { 100, 0, 0 };

	/* growth and cap */
	CHECK(backoff_ceiling(&aws, 0) == 200);
	CHECK(backoff_ceiling(&aws, 3) == 1600);
	CHECK(backoff_ceiling(&aws, 7) == 20000);          /* 25600 capped */
	CHECK(backoff_ceiling(&aws, 1000) == 20000);       /* no overflow */
	CHECK(backoff_ceiling(&eng, 2) == 2250);
	CHECK(backoff_ceiling(&eng, 100000) <= 1.5e15);    /* no cap: bounded, finite */
	CHECK(backoff_ceiling(&fixed, 0) == 2000 && backoff_ceiling(&fixed, 50) == 2000);
	CHECK(backoff_ceiling(&dflt, 3) == 800);           /* factor below 1: 2 */

	/* full jitter: within [0, ceiling); both ends of r */
	for (int n = 0; n <= 12; n++) {
		int64_t c = (int64_t)backoff_ceiling(&aws, n);
		CHECK(backoff_full(&aws, n, 0) == 0);
		CHECK(backoff_full(&aws, n, 0.999999999999) == c - 1);
		for (int k = 0; k < 200; k++) {
			int64_t d = backoff_full(&aws, n, backoff_random());
			CHECK(d >= 0 && d < c);
		}
	}
	CHECK(backoff_full(&(struct backoff){ 0, 2, 0 }, 3, 0.5) == 0);

	/* added jitter: [ceiling, 2 * ceiling), then the cap */
	CHECK(backoff_added(&eng, 0, 0) == 1000);
	CHECK(backoff_added(&eng, 0, 0.5) == 1500);
	CHECK(backoff_added(&eng, 1, 0.5) == 2250);
	CHECK(backoff_added(&(struct backoff){ 1000, 2, 1500 }, 0, 0.9) == 1500);
	CHECK(backoff_added(&(struct backoff){ 1000, 2, 1500 }, 5, 0) == 1500);

	/* stepwise polls: 500, 750, 1125, 1687, ... 5000 */
	int64_t iv = poll.base_ms, seq[] = { 750, 1125, 1687, 2530, 3795, 5000, 5000 };
	for (unsigned i = 0; i < sizeof seq / sizeof seq[0]; i++) {
		iv = backoff_next(&poll, iv);
		CHECK(iv == seq[i]);
	}
	CHECK(backoff_next(&fixed, 2000) == 2000);
	CHECK(backoff_next(&poll, 0) == 1);

	/* towards an expected time, even: a 4-minute restore is 8 polls 30 s apart, the
	 * last on it; 250 s: 9 polls of 27.8 s, never more than 30 s apart */
	int64_t gap = 240000, left = 0;
	for (; gap > 0; left++) {
		int64_t d = backoff_toward(gap, 30000, 5000, 0);
		CHECK(d == 30000);
		gap -= d;
	}
	CHECK(gap == 0 && left == 8);
	for (gap = 250000, left = 0; gap > 0; left++) {
		int64_t d = backoff_toward(gap, 30000, 5000, 0);
		CHECK(d > 20000 && d <= 30000);
		gap -= d;
	}
	CHECK(gap == 0 && left == 9);
	/* halving: sparse far from it (the cap), dense near it, the last one on it */
	CHECK(backoff_toward(600000, 60000, 4000, 1) == 60000);
	CHECK(backoff_toward(60000, 60000, 4000, 1) == 30000);
	CHECK(backoff_toward(6000, 60000, 4000, 1) == 4000);
	CHECK(backoff_toward(3000, 60000, 4000, 1) == 3000);
	CHECK(backoff_toward(0, 30000, 5000, 0) == 1);
	CHECK(backoff_toward(100, 0, 0, 0) == 1);           /* far clamped to 1 ms */

	/* seeded: same inputs, same r; any input changes it; always in [0, 1) */
	double r = backoff_seeded("run-1", "restore", 1);
	CHECK(r >= 0 && r < 1);
	CHECK(backoff_seeded("run-1", "restore", 1) == r);
	CHECK(backoff_seeded("run-2", "restore", 1) != r);
	CHECK(backoff_seeded("run-1", "restore", 2) != r);
	CHECK(backoff_seeded("run-1r", "estore", 1) != r);   /* the separator counts */
	CHECK(backoff_seeded(NULL, "x", 1) == backoff_seeded("", "x", 1));
	/* the engine's retry waits of an earlier release, kept: delay 1s, backoff 2 */
	const struct backoff retry = { 1000, 2, 0 };
	CHECK(backoff_added(&retry, 0, backoff_seeded("r1", "s", 1)) == 1276);
	CHECK(backoff_added(&retry, 1, backoff_seeded("r1", "s", 2)) == 3144);
	CHECK(backoff_added(&retry, 2, backoff_seeded("r1", "s", 3)) == 4600);
	int spread = 0;
	for (int k = 0; k < 64; k++) {
		char id[16];
		snprintf(id, sizeof id, "run-%d", k);
		double x = backoff_seeded(id, "step", 1);
		CHECK(x >= 0 && x < 1);
		spread |= 1 << (int)(x * 4);
	}
	CHECK(spread == 15);                               /* all four quarters are hit */
	return check_done("backoff");
}
