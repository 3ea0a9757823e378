/* backoff.h — the one backoff policy: waits grow exponentially from a base by a factor,
 * up to a cap, with jitter. Used by the engine's retries (seeded jitter: a run replays its
 * waits), the AWS transport's retries (full jitter, AWS's "exponential backoff and
 * jitter"), the polls of the engine's waits and of k8s.wait (no jitter), and the
 * wait_ready loops of pg and redis (factor 1: a fixed interval).
 *
 * The jitter is a number r in [0, 1) the caller draws: backoff_random() (arc4random) or
 * backoff_seeded() (a hash: the same inputs, the same r), so the policy itself is pure.
 */
#ifndef RB_BACKOFF_H
#define RB_BACKOFF_H
#include <stdint.h>

struct backoff {
	int64_t base_ms;         /* the first wait (n = 0) */
	double factor;           /* growth per wait, >= 1 (below 1: 2) */
	int64_t cap_ms;          /* no wait longer; 0: none */
};

/* the n-th wait (n = 0 first) before jitter: min(base * factor^n, cap) */
double backoff_ceiling(const struct backoff *b, int n);
/* full jitter: uniform in [0, ceiling(n)) from r (AWS SDKs) */
int64_t backoff_full(const struct backoff *b, int n, double r);
/* added jitter: min(ceiling(n) * (1 + r), cap): never shorter than the plain wait (the
 * engine's retry, runbook(5)) */
int64_t backoff_added(const struct backoff *b, int n, double r);
/* the wait after one of cur ms, for loops that keep their current interval: min(cur *
 * factor, cap) rounded down, at least 1 */
int64_t backoff_next(const struct backoff *b, int64_t cur);
/* the wait before the next poll of a change expected in gap ms, at most far_ms, the last
 * one landing on the expected time. Even: the fewest polls at most far_ms apart, evenly
 * spaced (a fixed-delay waiter's count; what a wait's 30 s promise needs). Halving
 * (halve = 1): half the gap, at least near_ms (sparse far from it, dense near it: fewer
 * polls when the expectation is right). gap <= near_ms: gap itself; at least 1. */
int64_t backoff_toward(int64_t gap, int64_t far_ms, int64_t near_ms, int halve);

/* r in [0, 1) from arc4random */
double backoff_random(void);
/* r in [0, 1) that depends only on (a, b, n) (FNV-1a, then a splitmix64 finalizer); a
 * NULL string counts as "" */
double backoff_seeded(const char *a, const char *b, int n);
#endif
