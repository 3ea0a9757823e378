/* virtual clock: time jumps only when every participant waits; real clock sleeps */
#include <pthread.h>
#include "core/clock.h"
#include "check.h"

struct worker { struct rb_clock *c; int64_t sleep_ms; int64_t woke_at; };

static void *sleeper(void *arg)
{
	struct worker *w = arg;
	/* the token was taken for this worker by the dispatcher (clock_hold) */
	clock_sleep(w->c, w->sleep_ms, NULL);
	w->woke_at = clock_now(w->c);
	clock_release(w->c);
	return NULL;
}

static int flag;
static int is_set(void *arg) { (void)arg; return flag; }

int main(void)
{
	struct rb_clock *c = clock_new(CLOCK_VIRTUAL, 1000000, 0);
	CHECK(clock_now(c) == 1000000);
	clock_hold(c);                                   /* the "engine" */
	CHECK(clock_sleep(c, 3600000, NULL) == 0);       /* an hour, instantly */
	CHECK(clock_now(c) == 1000000 + 3600000);

	/* two workers sleeping 10 s and 30 s while the engine waits for nothing:
	 * each wakes at its own virtual time */
	int64_t t0 = clock_now(c);
	struct worker w[2] = { { c, 10000, 0 }, { c, 30000, 0 } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		clock_hold(c);
		pthread_create(&th[i], NULL, sleeper, &w[i]);
	}
	/* the engine waits up to 60 s of virtual time: workers finish first, then the
	 * deadline passes */
	CHECK(clock_wait(c, t0 + 60000, is_set, NULL) == 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(w[0].woke_at == t0 + 10000);
	CHECK(w[1].woke_at == t0 + 30000);
	CHECK(clock_now(c) == t0 + 60000);

	/* a ready event returns at once without moving time */
	flag = 1;
	int64_t t1 = clock_now(c);
	CHECK(clock_wait(c, t1 + 5000, is_set, NULL) == 1);
	CHECK(clock_now(c) == t1);
	/* while someone else holds a token, time does not move */
	flag = 0;
	clock_hold(c);
	volatile int cancel = 1;
	CHECK(clock_sleep(c, 1000, &cancel) == -1);      /* cancelled, not advanced */
	CHECK(clock_now(c) == t1);
	clock_release(c);
	clock_release(c);
	clock_free(c);

	/* real clock: a 150 ms sleep takes at least 150 ms */
	struct rb_clock *r = clock_new(CLOCK_REAL, 0, 0);
	int64_t a = clock_now(r);
	clock_sleep(r, 150, NULL);
	CHECK(clock_now(r) - a >= 150);
	clock_free(r);

	/* scaled: 100x, a virtual minute in ~0.6 s */
	struct rb_clock *s = clock_new(CLOCK_SCALED, 5000, 100);
	int64_t b = clock_now(s);
	clock_sleep(s, 60000, NULL);
	CHECK(clock_now(s) - b >= 60000);
	clock_free(s);

	char buf[40];
	CHECK_STR(clock_format(1795317523500LL, buf, sizeof(buf)), "2026-11-22T03:18:43.500Z");
	/* the same second again (its text is kept), the next one, the one before */
	CHECK_STR(clock_format(1795317523007LL, buf, sizeof(buf)), "2026-11-22T03:18:43.007Z");
	CHECK_STR(clock_format(1795317524090LL, buf, sizeof(buf)), "2026-11-22T03:18:44.090Z");
	CHECK_STR(clock_format(1795317522999LL, buf, sizeof(buf)), "2026-11-22T03:18:42.999Z");
	CHECK_STR(clock_format(0, buf, sizeof(buf)), "1970-01-01T00:00:00.000Z");
	char small[12];
	CHECK_STR(clock_format(1795317523500LL, small, sizeof(small)), "2026-11-22T");
	return check_done("clock");
}
