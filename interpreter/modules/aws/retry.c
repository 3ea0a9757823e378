/* retry.c — the AWS SDKs' retry modes (botocore/retries): settings, the retry quota and
 * adaptive mode's client-side rate limiter.
 *
 * Settings: AWS_RETRY_MODE / retry_mode and AWS_MAX_ATTEMPTS / max_attempts, the
 * environment before the profile (aws_retry_config).
 *
 * State: botocore keeps a retry quota (standard, adaptive) and a rate limiter (adaptive)
 * per client, that is per service and region for one command. Our clients live for one
 * action call, so the state lives here, one per (run directory, service, region,
 * endpoint): every call of a run to one service shares it, as the calls of one boto3
 * client do, and two runs in one process (a sweep's rehearsals) do not. Each is locked
 * by its own mutex; action calls run on worker threads.
 *
 * Retry quota (quota.py): 500 tokens; a retry takes 5 (10 after a timeout); a call that
 * succeeds gives back what its last retry took, or 1 when it was not retried. A
 * retryable error when the quota cannot pay fails at once.
 *
 * Rate limiter (adaptive.py, bucket.py, throttling.py): off until the first throttling
 * error. Then every attempt takes a token from a bucket filled at the send rate CUBIC
 * allows: a throttling error sets the rate to 0.7 x the rate measured when it came (the
 * measure: responses per half second, smoothed), and successes let it grow back along
 * the cubic toward, then past, that rate. Never above twice the measured rate, never
 * below half a request per second. Times are the call's clock (virtual in rehearsals),
 * in seconds.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aws.h"
#include "../../core/clock.h"
#include "../../core/jvx.h"

/* attempts in all and the backoff: full jitter from base 1 s doubling; legacy has no cap
 * and no quota */
static const struct retry_mode {
	const char *name;
	enum aws_retry_mode mode;
	int attempts;
	int64_t base_ms, cap_ms;
} retry_modes[] = {
	{ "standard", AWS_RETRY_STANDARD, 3, 1000, 20000 },
	{ "legacy", AWS_RETRY_LEGACY, 5, 1000, 0 },
	{ "adaptive", AWS_RETRY_ADAPTIVE, 3, 1000, 20000 },
	{ NULL, 0, 0, 0, 0 },
};

/* the environment variable ENV when set and not empty, else KEY of the client's profile */
static char *env_or_profile(struct aws_client *c, const char *env, const char *key, const char **from)
{
	const char *v = getenv(env);

	if (v && *v) {
		*from = env;
		return xstrdup(v);
	}
	*from = key;
	return aws_profile_value(c->profile, key);
}

int aws_retry_config(struct aws_client *c, jv *err)
{
	const char *mfrom, *afrom;
	char *mode = env_or_profile(c, "AWS_RETRY_MODE", "retry_mode", &mfrom);
	char *max = env_or_profile(c, "AWS_MAX_ATTEMPTS", "max_attempts", &afrom);
	const struct retry_mode *m = retry_modes;
	int rc = -1;

	if (mode)
		while (m->name && strcmp(m->name, mode))
			m++;
	if (!m->name) {
		*err = jvx_error("InvalidConfiguration", "invalid retry mode '%s' in %s: expected legacy, standard or adaptive",
				 mode, mfrom);
		goto out;
	}
	c->retry_mode = m->mode;
	c->max_attempts = m->attempts;
	c->base_ms = m->base_ms;
	c->cap_ms = m->cap_ms;
	if (max) {
		char *end;
		long n = strtol(max, &end, 10);
		if (end == max || *end || n < 1 || n > 1000) {
			*err = jvx_error("InvalidConfiguration",
					 "invalid max attempts '%s' in %s: expected a whole number from 1 to 1000 (the first attempt included)",
					 max, afrom);
			goto out;
		}
		c->max_attempts = (int)n;
	}
	rc = 0;
out:
	free(mode);
	free(max);
	return rc;
}

/* ---- the retry quota */
#define QUOTA_TOKENS 500
#define QUOTA_RETRY 5
#define QUOTA_TIMEOUT 10
#define QUOTA_NO_RETRY 1

int aws_quota_take(struct aws_retry_state *s, int timeout)
{
	int cost = timeout ? QUOTA_TIMEOUT : QUOTA_RETRY;

	pthread_mutex_lock(&s->lock);
	if (cost > s->quota)
		cost = 0;
	s->quota -= cost;
	pthread_mutex_unlock(&s->lock);
	return cost;
}

void aws_quota_refund(struct aws_retry_state *s, int taken)
{
	pthread_mutex_lock(&s->lock);
	s->quota += taken ? taken : QUOTA_NO_RETRY;
	if (s->quota > QUOTA_TOKENS)
		s->quota = QUOTA_TOKENS;
	pthread_mutex_unlock(&s->lock);
}

/* ---- the rate limiter: token bucket, CUBIC, measured rate. *_locked: s->lock held */
#define MIN_FILL_RATE 0.5       /* requests per second */
#define CUBIC_SCALE 0.4
#define CUBIC_BETA 0.7
#define RATE_BUCKET 0.5         /* the send rate is measured per half second */
#define RATE_SMOOTHING 0.8
#define MAX_RATE_SCALE 2.0      /* never faster than twice the measured rate */

double aws_cubic_k(double w_max)
{
	return cbrt(w_max * (1 - CUBIC_BETA) / CUBIC_SCALE);
}

static void refill_locked(struct aws_rate_limiter *l, double now)
{
	if (!l->refilled) {
		l->refilled = 1;
		l->last_refill = now;
		return;
	}
	if (now > l->last_refill) {
		l->capacity += (now - l->last_refill) * l->fill_rate;
		if (l->capacity > l->max_capacity)
			l->capacity = l->max_capacity;
		l->last_refill = now;
	}
}

static void set_max_rate_locked(struct aws_rate_limiter *l, double rate, double now)
{
	/* tokens due at the old rate first */
	refill_locked(l, now);
	l->fill_rate = rate > MIN_FILL_RATE ? rate : MIN_FILL_RATE;
	l->max_capacity = rate >= 1 ? rate : 1;
	if (l->capacity > l->max_capacity)
		l->capacity = l->max_capacity;
}

void aws_limiter_init(struct aws_rate_limiter *l, double now)
{
	memset(l, 0, sizeof *l);
	l->last_fail = now;
	l->last_bucket = floor(now);
	set_max_rate_locked(l, 1, now);
}

double aws_limiter_take(struct aws_rate_limiter *l, double now, double max_wait)
{
	if (!l->enabled)
		return 0;
	refill_locked(l, now);
	/* a token not there yet is reserved: the capacity goes below 0 and the waiters
	 * are served in turn, each at the time its token is due */
	double wait = l->capacity >= 1 ? 0 : (1 - l->capacity) / l->fill_rate;
	if (wait <= max_wait)
		l->capacity -= 1;
	return wait;
}

/* responses per second, smoothed over half-second buckets */
static double measure_locked(struct aws_rate_limiter *l, double now)
{
	double bucket = floor(now / RATE_BUCKET) * RATE_BUCKET;

	l->count++;
	if (bucket > l->last_bucket) {
		double rate = l->count / (bucket - l->last_bucket);
		l->measured = rate * RATE_SMOOTHING + l->measured * (1 - RATE_SMOOTHING);
		l->count = 0;
		l->last_bucket = bucket;
	}
	return l->measured;
}

double aws_limiter_response(struct aws_rate_limiter *l, double now, int throttled)
{
	double measured = measure_locked(l, now), rate;

	if (!throttled) {
		double dt = now - l->last_fail - l->k;
		rate = CUBIC_SCALE * dt * dt * dt + l->w_max;
	} else {
		/* the rate we were sending at when throttled is the new maximum */
		l->w_max = l->enabled && l->fill_rate < measured ? l->fill_rate : measured;
		l->k = aws_cubic_k(l->w_max);
		l->last_fail = now;
		rate = l->w_max * CUBIC_BETA;
		l->enabled = 1;
	}
	if (rate > MAX_RATE_SCALE * measured)
		rate = MAX_RATE_SCALE * measured;
	set_max_rate_locked(l, rate, now);
	return l->fill_rate;
}

/* ---- the states, one per (run, service, region, endpoint) */
static pthread_mutex_t states_lock = PTHREAD_MUTEX_INITIALIZER;
static struct aws_retry_state *states;

double aws_retry_now(struct aws_client *c)
{
	if (c->call && c->call->clock)
		return (double)clock_now(c->call->clock) / 1000.0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct aws_retry_state *aws_retry_state(struct aws_client *c, const struct aws_service *svc)
{
	const char *run = c->call && c->call->work_dir ? c->call->work_dir : "";
	const char *ep = c->endpoint ? c->endpoint : "";
	struct buf key = BUF_INIT(0);
	struct aws_retry_state *s;

	BUF_NOCAP(buf_addf(&key, "%s\n%s\n%s\n%s", run, svc->name, c->region ? c->region : "", ep));
	pthread_mutex_lock(&states_lock);
	for (s = states; s; s = s->next)
		if (!strcmp(s->key, key.data))
			break;
	if (!s) {
		s = xcalloc(1, sizeof *s);
		s->key = buf_detach(&key);
		pthread_mutex_init(&s->lock, NULL);
		s->quota = QUOTA_TOKENS;
		aws_limiter_init(&s->limiter, aws_retry_now(c));
		s->next = states;
		states = s;
	}
	pthread_mutex_unlock(&states_lock);
	buf_release(&key);
	return s;
}

void aws_retry_states_clear(void)
{
	pthread_mutex_lock(&states_lock);
	while (states) {
		struct aws_retry_state *s = states;
		states = s->next;
		pthread_mutex_destroy(&s->lock);
		free(s->key);
		free(s);
	}
	pthread_mutex_unlock(&states_lock);
}

int aws_limiter_acquire(struct aws_client *c, struct aws_retry_state *s, int64_t *waited_ms)
{
	struct action_call *call = c->call;
	double max_wait = INFINITY;

	*waited_ms = 0;
	/* no wait past the step's deadline, less the time an attempt needs to be answered */
	if (call && call->clock && call->deadline > 0)
		max_wait = (double)(call->deadline - AWS_SEND_MARGIN_MS - clock_now(call->clock)) / 1000.0;
	pthread_mutex_lock(&s->lock);
	double wait = aws_limiter_take(&s->limiter, aws_retry_now(c), max_wait);
	pthread_mutex_unlock(&s->lock);
	if (wait <= 0)
		return 0;
	if (wait > max_wait)
		return 1;
	*waited_ms = (int64_t)ceil(wait * 1000);
	if (call && call->clock)
		return clock_sleep(call->clock, *waited_ms, call->cancel) < 0 ? -1 : 0;
	struct timespec ts = {*waited_ms / 1000, (*waited_ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
	return 0;
}

void aws_limiter_record(struct aws_client *c, struct aws_retry_state *s, int throttled)
{
	double now = aws_retry_now(c);

	pthread_mutex_lock(&s->lock);
	aws_limiter_response(&s->limiter, now, throttled);
	pthread_mutex_unlock(&s->lock);
}
