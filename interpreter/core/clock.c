/* clock.c — real, virtual and scaled clocks (see clock.h for the token protocol) */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "bug.h"
#include "clock.h"

#define POLL_REAL_MS 100   /* how often a waiter looks at its cancel flag */

struct rb_clock {
	enum clock_kind kind;
	pthread_mutex_t lock;
	pthread_cond_t cond;         /* on CLOCK_MONOTONIC */
	int64_t vnow;                /* CLOCK_VIRTUAL: the time */
	int busy;                    /* CLOCK_VIRTUAL: busy tokens held */
	int64_t *wakeups;            /* CLOCK_VIRTUAL: deadlines of the threads waiting */
	int nwake, walloc;
	int64_t start_ms, mono_base; /* CLOCK_SCALED */
	double speed;
};

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct rb_clock *clock_new(enum clock_kind kind, int64_t start_ms, double speed)
{
	struct rb_clock *c = xcalloc(1, sizeof(*c));
	pthread_condattr_t ca;
	c->kind = kind;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	c->vnow = c->start_ms = start_ms ? start_ms : wall_ms();
	c->mono_base = mono_ms();
	c->speed = speed > 0 ? speed : 1;
	return c;
}

void clock_free(struct rb_clock *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c->wakeups);
	free(c);
}

enum clock_kind clock_kind(const struct rb_clock *c)
{
	return c->kind;
}

/* lock held for CLOCK_VIRTUAL */
static int64_t now_locked(struct rb_clock *c)
{
	switch (c->kind) {
	case CLOCK_VIRTUAL:
		return c->vnow;
	case CLOCK_SCALED:
		return c->start_ms + (int64_t)((double)(mono_ms() - c->mono_base) * c->speed);
	default:
		return wall_ms();
	}
}

int64_t clock_now(struct rb_clock *c)
{
	if (c->kind != CLOCK_VIRTUAL)
		return now_locked(c);
	pthread_mutex_lock(&c->lock);
	int64_t t = c->vnow;
	pthread_mutex_unlock(&c->lock);
	return t;
}

/* Virtual time moves only here: when nobody holds a token, jump to the earliest
 * wake-up. Lock held. */
static void maybe_advance(struct rb_clock *c)
{
	if (c->kind != CLOCK_VIRTUAL || c->busy > 0 || c->nwake == 0)
		return;
	int64_t m = INT64_MAX;
	for (int i = 0; i < c->nwake; i++)
		if (c->wakeups[i] < m)
			m = c->wakeups[i];
	if (m > c->vnow)
		c->vnow = m;
	pthread_cond_broadcast(&c->cond);
}

static void wake_add(struct rb_clock *c, int64_t when)
{
	ALLOC_GROW(c->wakeups, c->nwake + 1, c->walloc);
	c->wakeups[c->nwake++] = when;
}

static void wake_del(struct rb_clock *c, int64_t when)
{
	for (int i = 0; i < c->nwake; i++)
		if (c->wakeups[i] == when) {
			c->wakeups[i] = c->wakeups[--c->nwake];
			return;
		}
	BUG("wake-up not registered");
}

void clock_hold(struct rb_clock *c)
{
	pthread_mutex_lock(&c->lock);
	c->busy++;
	pthread_mutex_unlock(&c->lock);
}

void clock_release(struct rb_clock *c)
{
	pthread_mutex_lock(&c->lock);
	BUG_ON(c->busy <= 0 && c->kind == CLOCK_VIRTUAL);
	c->busy--;
	maybe_advance(c);
	pthread_mutex_unlock(&c->lock);
}

/* wait on the condition at most `ms` of real time; lock held */
static void timed_wait(struct rb_clock *c, int64_t ms)
{
	struct timespec t;
	if (ms < 1)
		ms = 1;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&c->cond, &c->lock, &t);
}

/* real milliseconds until the clock reads `when`; lock held */
static int64_t real_until(struct rb_clock *c, int64_t when)
{
	int64_t d = when - now_locked(c);
	if (c->kind == CLOCK_SCALED)
		d = (int64_t)((double)d / c->speed);
	return d;
}

int clock_sleep_until(struct rb_clock *c, int64_t when, const volatile int *cancel)
{
	int rc = 0;
	pthread_mutex_lock(&c->lock);
	if (c->kind == CLOCK_VIRTUAL) {
		wake_add(c, when);
		c->busy--;
		maybe_advance(c);
		while (c->vnow < when) {
			if (cancel && *cancel) {
				rc = -1;
				break;
			}
			timed_wait(c, POLL_REAL_MS);
		}
		wake_del(c, when);
		c->busy++;
	} else {
		int64_t left;
		while ((left = real_until(c, when)) > 0) {
			if (cancel && *cancel) {
				rc = -1;
				break;
			}
			timed_wait(c, left < POLL_REAL_MS ? left : POLL_REAL_MS);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int clock_sleep(struct rb_clock *c, int64_t ms, const volatile int *cancel)
{
	return clock_sleep_until(c, clock_now(c) + ms, cancel);
}

int clock_wait(struct rb_clock *c, int64_t deadline, int (*ready)(void *), void *arg)
{
	int r;
	pthread_mutex_lock(&c->lock);
	if ((r = ready(arg)) != 0)
		goto out;
	if (c->kind == CLOCK_VIRTUAL) {
		if (deadline != INT64_MAX)
			wake_add(c, deadline);
		c->busy--;
		maybe_advance(c);
		while (!(r = ready(arg)) && c->vnow < deadline)
			timed_wait(c, POLL_REAL_MS);
		c->busy++;
		if (deadline != INT64_MAX)
			wake_del(c, deadline);
	} else {
		int64_t left;
		while (!(r = ready(arg)) && (deadline == INT64_MAX || (left = real_until(c, deadline)) > 0))
			timed_wait(c, deadline == INT64_MAX || left > POLL_REAL_MS ? POLL_REAL_MS : left);
	}
out:
	pthread_mutex_unlock(&c->lock);
	return r ? 1 : 0;
}

void clock_notify(struct rb_clock *c)
{
	pthread_mutex_lock(&c->lock);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void format_slow(int64_t ms, char *buf, size_t size)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* A run formats many times within one second: each thread keeps the text of its last
 * second ("2026-12-04T08:05:49.") and adds the milliseconds to it. */
char *clock_format(int64_t ms, char *buf, size_t size)
{
	static _Thread_local int64_t last_sec = -1;
	static _Thread_local char prefix[96];  /* room for any int gmtime_r gives */
	static _Thread_local size_t plen;
	if (ms < 0) {
		format_slow(ms, buf, size);
		return buf;
	}
	int64_t sec = ms / 1000;
	if (sec != last_sec) {
		format_slow(sec * 1000, prefix, sizeof(prefix));
		plen = strlen(prefix);
		if (plen < 5 || plen >= sizeof(prefix) - 1) {
			last_sec = -1;
			format_slow(ms, buf, size);
			return buf;
		}
		plen -= 4;          /* "000Z" */
		last_sec = sec;
	}
	if (size < plen + 5) {
		format_slow(ms, buf, size);
		return buf;
	}
	unsigned m = (unsigned)(ms % 1000);
	memcpy(buf, prefix, plen);
	buf[plen] = (char)('0' + m / 100);
	buf[plen + 1] = (char)('0' + m / 10 % 10);
	buf[plen + 2] = (char)('0' + m % 10);
	buf[plen + 3] = 'Z';
	buf[plen + 4] = '\0';
	return buf;
}
