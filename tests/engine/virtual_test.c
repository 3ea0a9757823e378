/* virtual_test.c — the engine on a virtual clock (owner: engine helper).
 *
 * Two parallel sleeps of 20 and 30 minutes, then a wait that never holds (10 minute
 * timeout, not critical), expecting completion at 5 minutes:
 * the run must take about 40 virtual minutes, overlap the sleeps, poll with growing
 * intervals, and finish in well under two seconds of real time. Proves the busy-token
 * protocol: virtual time only jumps when every worker and the engine wait.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/jvx.h"
#include "core/redact.h"
#include "core/dur.h"
#include "engine/engine.h"
#include "state/state.h"
#include "lang/model.h"
#include "modules/registry.h"
#include "plan/plan.h"
#include "engine_test.h"


static jv find(const char *event, const char *step)
{
	jv_array_foreach(events, i, ev) {
		const char *n = jvx_str(ev, "event"), *s = jvx_str(ev, "step");
		if (n && !strcmp(n, event) && (!step || (s && !strcmp(s, step))))
			return ev;
		jv_free(ev);
	}
	return jv_invalid();
}

static int64_t ts(jv ev)
{
	int64_t t = 0;
	const char *s = jvx_str(ev, "time");
	if (s)
		ts_parse(s, &t);
	return t;
}

static int64_t mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char text[] =
	"runbook: virtual\n"
	"steps:\n"
	"  - id: short\n"
	"    needs: []\n"
	"    action: sleep\n"
	"    with: {duration: 20m}\n"
	"  - id: long\n"
	"    needs: []\n"
	"    action: sleep\n"
	"    with: {duration: 30m}\n"
	"  - id: never\n"
	"    needs: [short, long]\n"
	"    critical: false\n"
	"    wait:\n"
	"      action: log\n"
	"      with: {message: poll}\n"
	"      until: 'false'\n"
	"      timeout: 10m\n"
	"      expect: 5m\n";


int main(void)
{
	struct test_book b;
	char dir[] = "/tmp/rb-virtual.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	if (registry_init() < 0)
		return 1;
	test_book_load(&b, "virtual.yaml", text);
	struct redactor *r = redact_new();
	struct rb_clock *c = clock_new(CLOCK_VIRTUAL, 0, 0);
	int64_t v0 = clock_now(c);
	events = jv_array();
	jv serr = jv_invalid();
	struct state *store = state_open(dir, &serr);   /* a folder: never fails */
	struct engine_opts o = {
		.params = jv_object(),
		.connections = jv_null(),
		.state = store,
		.clock = c,
		.rehearsal = 1,
		.redact = r,
		.sink = { sink, NULL },
	};
	char *id = NULL;
	int64_t t0 = mono();
	int rc = engine_run(&b.p, &o, &id);
	int64_t real = mono() - t0;
	int64_t virt = clock_now(c) - v0;

	CHECK(rc == EXIT_OK, "exit %d", rc);
	CHECK(real < 2000, "real time %lld ms", (long long)real);
	CHECK(virt >= 40 * 60000 && virt < 41 * 60000, "virtual time %lld ms, want ~40 min", (long long)virt);
	jv s1 = find("step_started", "short"), s2 = find("step_started", "long");
	jv f1 = find("step_finished", "short"), f2 = find("step_finished", "long");
	CHECK(jv_is_valid(s1) && jv_is_valid(s2) && jv_is_valid(f1) && jv_is_valid(f2), "events missing");
	CHECK(ts(s2) < ts(f1), "sleeps did not overlap in virtual time");
	CHECK(ts(f2) - ts(s2) >= 30 * 60000 && ts(f2) - ts(s2) < 30 * 60000 + 1000, "long took %lld", (long long)(ts(f2) - ts(s2)));
	jv nv = find("step_finished", "never");
	CHECK(jv_is_valid(nv) && !strcmp(jvx_str(nv, "status"), "failed"), "never: not failed");
	int polls = (int)jvx_num(nv, "polls", 0);
	/* 1 s growing by 1.5x to 30 s, denser near 5 min and short again after it: about 40
	 * polls in 10 min; a fixed 30 s waiter makes 20 (lag up to 30 s),
	 * a fixed 1 s poller 600 */
	CHECK(polls >= 15 && polls <= 50, "never: %d polls", polls);
	/* tightening: one poll lands on the expected time (5 min) and the next one
	 * comes after the short first interval again */
	int at_expect = 0;
	jv_array_foreach(events, k, ev) {
		const char *n = jvx_str(ev, "event"), *st = jvx_str(ev, "step");
		if (n && st && !strcmp(n, "wait_poll") && !strcmp(st, "never")) {
			double el = jvx_num(ev, "elapsed_ms", 0), nx = jvx_num(ev, "next_ms", 0);
			if (el >= 300000 - 1 && el <= 300000 + 1000 && nx == 1000)
				at_expect = 1;
		}
		jv_free(ev);
	}
	CHECK(at_expect, "no poll at the expected time followed by a short interval");
	printf("virtual %lld ms in %lld ms real; never: %d polls\n", (long long)virt, (long long)real, polls);
	jv_free(s1); jv_free(s2); jv_free(f1); jv_free(f2); jv_free(nv);
	free(id);
	jv_free(o.params);
	clock_free(c);
	state_close(store);
	redact_free(r);
	return test_finish(&b, dir);
}
