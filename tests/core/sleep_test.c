/* sleep_test.c — sleep on a virtual clock (returns at once, time moved on), on the real
 * clock (really waits), cancelled, and bounded by the step's deadline. */
#include <pthread.h>
#include <unistd.h>
#include "coretest.h"

static void *cancel_later(void *arg)
{
	usleep(200000);
	*(volatile int *)arg = 1;
	return NULL;
}

int main(void)
{
	struct rb_clock *vc = clock_new(CLOCK_VIRTUAL, 1000000, 0), *rc = clock_new(CLOCK_REAL, 0, 0);
	struct tcall t;
	pthread_t th;
	int64_t t0, v0;
	jv r;

	/* virtual: an hour passes at once; the caller holds a busy token as a worker does */
	tcall_init(&t, "sleep", vc);
	clock_hold(vc);
	v0 = clock_now(vc);
	t0 = test_now_ms();
	CHECK(tcall_run(&t, "{\"duration\": \"1h\"}", &r) == 0);
	CHECK(test_now_ms() - t0 < 1000);
	CHECK(clock_now(vc) - v0 == 3600000);
	CHECK(jvx_int(r, "slept_ms", -1) == 3600000);
	jv_free(r);
	/* a number of seconds */
	v0 = clock_now(vc);
	CHECK(tcall_run(&t, "{\"duration\": 90}", &r) == 0);
	CHECK(clock_now(vc) - v0 == 90000);
	jv_free(r);
	/* the step's deadline comes first: sleep stops there with Timeout */
	v0 = clock_now(vc);
	t.call.deadline = v0 + 60000;
	CHECK(tcall_run(&t, "{\"duration\": \"15m\"}", &r) == -1);
	CHECK_STR(tstr(r, "code"), "Timeout");
	CHECK(clock_now(vc) == v0 + 60000);
	jv_free(r);
	t.call.deadline = 0;
	CHECK(tcall_run(&t, "{\"duration\": \"soon\"}", &r) == -1);
	CHECK_STR(tstr(r, "code"), "BadArgs");
	jv_free(r);
	clock_release(vc);
	tcall_release(&t);

	/* real: it really waits */
	tcall_init(&t, "sleep", rc);
	t0 = test_now_ms();
	CHECK(tcall_run(&t, "{\"duration\": \"250ms\"}", &r) == 0);
	CHECK(test_now_ms() - t0 >= 240);
	jv_free(r);
	/* cancel stops it early */
	t0 = test_now_ms();
	pthread_create(&th, NULL, cancel_later, (void *)&t.cancel);
	CHECK(tcall_run(&t, "{\"duration\": \"30s\"}", &r) == -1);
	pthread_join(th, NULL);
	CHECK_STR(tstr(r, "code"), "Cancelled");
	CHECK(test_now_ms() - t0 < 2000);
	jv_free(r);
	tcall_release(&t);

	CHECK(!action_is_mutating(registry_find("sleep"), jv_null()));
	clock_free(vc);
	clock_free(rc);
	return check_done("sleep");
}
