/* expr_guard.c — stop jq evaluations that run too long, eat memory, or outlive a
 * signal (see expr_guard.h for the handshake, expr.h for the limits).
 *
 * Cost on the evaluating thread: a mutex round trip and a clock read per evaluation.
 * The watchdog ticks only while evaluations happen (it sleeps on a condition after
 * IDLE_MS without one), and reads /proc/self/statm once per tick while one runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "expr.h"
#include "expr_guard.h"
#include "../core/bug.h"
#include "../core/dur.h"

#define TICK_MS 10
#define IDLE_MS 1000
#define STEP_FLOOR_MS 100      /* a step at its deadline still gets this much */
#define DEFAULT_LIMIT_MS 10000
#define DEFAULT_MEM_MB 512

/* one per thread that evaluates; never freed (a thread that ends gives it back) */
struct slot {
	struct slot *next;
	jq_state *jq;           /* the evaluation running, NULL if none */
	uint64_t gen, seen;     /* evaluations begun; the last one the watchdog saw */
	int64_t deadline;       /* CLOCK_MONOTONIC ms */
	int by_step;            /* the deadline is the step's, not the limit's */
	unsigned intr0;         /* g_intr when it began */
	long rss0;              /* resident pages when the watchdog first saw it */
	enum guard_stop stop;
	int taken;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	int started;            /* 1 running, -1 could not start (evaluate unguarded) */
	int idle;               /* the watchdog waits on `wake` */
	int running;            /* evaluations between begin and end */
	uint64_t begun;         /* evaluations begun, all threads */
	struct slot *slots;
	int64_t limit_ms;
	long mem_mb, mem_pages; /* 0 = no cap */
	int statm;              /* fd of /proc/self/statm, -1 if none */
	pthread_key_t key;
} g = { .mu = PTHREAD_MUTEX_INITIALIZER, .statm = -1 };

static atomic_uint g_intr;
static __thread struct slot *t_slot;
static __thread int64_t t_step_deadline;   /* CLOCK_MONOTONIC ms, 0 = none */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void expr_interrupt(void)
{
	atomic_fetch_add(&g_intr, 1);
}

void expr_deadline(int64_t ms_left)
{
	if (ms_left == EXPR_NO_DEADLINE)
		t_step_deadline = 0;
	else
		t_step_deadline = mono_ms() + (ms_left < STEP_FLOOR_MS ? STEP_FLOOR_MS : ms_left);
}

static long rss_pages(void)
{
	char b[128];
	ssize_t n;
	if (g.statm < 0 || (n = pread(g.statm, b, sizeof(b) - 1, 0)) <= 0)
		return -1;
	b[n] = 0;
	long size, rss;
	return sscanf(b, "%ld %ld", &size, &rss) == 2 ? rss : -1;
}

static void halt(struct slot *s, enum guard_stop why)
{
	s->stop = why;
	jq_halt(s->jq, jv_number(why), jv_null());   /* neither is reference-counted */
}

/* one look at every running evaluation; g.mu held */
static void tick(void)
{
	int64_t now = mono_ms();
	unsigned intr = atomic_load(&g_intr);
	long rss = g.mem_pages ? rss_pages() : -1;
	for (struct slot *s = g.slots; s; s = s->next) {
		if (!s->jq || s->stop)
			continue;
		if (s->seen != s->gen) {
			s->seen = s->gen;
			s->rss0 = rss;
		}
		if (intr != s->intr0)
			halt(s, GUARD_SIGNAL);
		else if (now >= s->deadline)
			halt(s, s->by_step ? GUARD_STEP : GUARD_TIME);
		else if (rss >= 0 && s->rss0 >= 0 && rss - s->rss0 > g.mem_pages)
			halt(s, GUARD_MEMORY);
	}
}

static void *watchdog(void *arg)
{
	(void)arg;
	uint64_t last = 0;
	int64_t last_at = mono_ms();
	pthread_mutex_lock(&g.mu);
	for (;;) {
		int64_t now = mono_ms();
		if (g.begun != last || g.running) {
			last = g.begun;
			last_at = now;
		} else if (now - last_at >= IDLE_MS) {
			g.idle = 1;
			while (g.idle)
				pthread_cond_wait(&g.wake, &g.mu);
			last_at = mono_ms();
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (pthread_cond_timedwait(&g.wake, &g.mu, &ts) != ETIMEDOUT)
			;
		tick();
	}
	return NULL;
}

static void slot_give_back(void *p)
{
	struct slot *s = p;
	pthread_mutex_lock(&g.mu);
	s->taken = 0;
	pthread_mutex_unlock(&g.mu);
}

static void read_env(void)
{
	const char *t = getenv("RUNBOOK_EXPR_TIMEOUT");
	int64_t ms;
	g.limit_ms = t && dur_parse(t, &ms) == 0 && ms > 0 ? ms : DEFAULT_LIMIT_MS;
	const char *m = getenv("RUNBOOK_EXPR_MEM_MB");
	char *end;
	long mb = m ? strtol(m, &end, 10) : -1;
	if (!m || end == m || *end || mb < 0 || mb > (1L << 30))
		mb = DEFAULT_MEM_MB;
	long page = sysconf(_SC_PAGESIZE);
	g.mem_mb = mb;
	g.mem_pages = mb * (1024L * 1024 / (page > 0 ? page : 4096));
}

/* g.mu held */
static void start(void)
{
	read_env();
	g.statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g.wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_key_create(&g.key, slot_give_back);
	/* signals go to the other threads: a prompt's read() must see EINTR */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_t tid;
	g.started = pthread_create(&tid, NULL, watchdog, NULL) == 0 ? 1 : -1;
	if (g.started > 0)
		pthread_detach(tid);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* g.mu held */
static struct slot *my_slot(void)
{
	if (t_slot)
		return t_slot;
	struct slot *s = g.slots;
	while (s && s->taken)
		s = s->next;
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->next = g.slots;
		g.slots = s;
	}
	s->taken = 1;
	pthread_setspecific(g.key, s);
	return t_slot = s;
}

void guard_begin(jq_state *jq)
{
	int64_t now = mono_ms();
	pthread_mutex_lock(&g.mu);
	if (!g.started)
		start();
	if (g.started < 0) {
		pthread_mutex_unlock(&g.mu);
		return;
	}
	struct slot *s = my_slot();
	s->jq = jq;
	s->gen++;
	s->stop = GUARD_NONE;
	s->intr0 = atomic_load(&g_intr);
	s->deadline = now + g.limit_ms;
	s->by_step = t_step_deadline && t_step_deadline < s->deadline;
	if (s->by_step)
		s->deadline = t_step_deadline;
	g.running++;
	g.begun++;
	if (g.idle) {
		g.idle = 0;
		pthread_cond_signal(&g.wake);
	}
	pthread_mutex_unlock(&g.mu);
}

enum guard_stop guard_end(void)
{
	struct slot *s = t_slot;
	if (!s || !s->jq)
		return GUARD_NONE;   /* unguarded */
	pthread_mutex_lock(&g.mu);
	s->jq = NULL;
	g.running--;
	enum guard_stop why = s->stop;
	pthread_mutex_unlock(&g.mu);
	return why;
}

jv guard_error(enum guard_stop why)
{
	char d[64];
	switch (why) {
	case GUARD_TIME:
		dur_format(g.limit_ms, d, sizeof(d));
		return jv_invalid_with_msg(jv_string_fmt(
			"expression did not finish within %s (the limit for one evaluation, "
			"RUNBOOK_EXPR_TIMEOUT)", d));
	case GUARD_STEP:
		return jv_invalid_with_msg(jv_string("expression did not finish before the step's timeout"));
	case GUARD_MEMORY:
		return jv_invalid_with_msg(jv_string_fmt(
			"expression used more than %ld MB of memory (the limit for one evaluation, "
			"RUNBOOK_EXPR_MEM_MB)", g.mem_mb));
	case GUARD_SIGNAL:
		return jv_invalid_with_msg(jv_string("expression interrupted by a signal"));
	case GUARD_NONE:
		break;
	}
	BUG("guard_error without a stop");
}
