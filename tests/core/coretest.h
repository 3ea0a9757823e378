/* coretest.h — calling an action's run() the way the engine does: a real struct
 * action_call on a real (or virtual) clock, args with the descriptor's defaults filled
 * in, log lines captured. Used by the tests of modules/core. */
#ifndef RB_CORETEST_H
#define RB_CORETEST_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jv.h>
#include "../corelib/check.h"
#include "core/action.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/jvx.h"
#include "modules/registry.h"

struct tcall {
	struct action_call call;
	volatile int cancel;
	struct buf log;          /* "LEVEL message\n" per action_log */
	int nlog;
};

static void tcall_log(struct action_call *c, enum log_level lvl, const char *msg)
{
	int berr = 0;
	struct tcall *t = c->priv;
	static const char *const names[] = { "debug", "info", "warn", "error" };

	berr |= buf_addf(&t->log, "%s %s\n", names[lvl], msg);
	t->nlog++;
	BUF_NOCAP(berr);
}

/* call the action on clock clk; the call's args are filled from the descriptor */
static inline void tcall_init(struct tcall *t, const char *action, struct rb_clock *clk)
{
	memset(t, 0, sizeof(*t));
	buf_init(&t->log, 0);
	t->call.desc = registry_find(action);
	if (!t->call.desc) {
		fprintf(stderr, "no action '%s' in the registry\n", action);
		exit(1);
	}
	t->call.step_id = "test";
	t->call.connections = jv_object();
	t->call.clock = clk;
	t->call.cancel = &t->cancel;
	t->call.log = tcall_log;
	t->call.priv = t;
}

static inline void tcall_release(struct tcall *t)
{
	jv_free(t->call.connections);
	buf_release(&t->log);
}

/* what the engine hands run(): every declared arg with a default present */
static inline jv tcall_defaults(const struct action_desc *d, jv args)
{
	for (const struct action_arg *a = d->args; a && a->name; a++)
		if (a->defval && !jvx_has(args, a->name))
			args = jv_object_set(args, jv_string(a->name), jv_parse(a->defval));
	return args;
}

/* run with args given as JSON text; 0 / -1 as run() returns, *out set */
static inline int tcall_run(struct tcall *t, const char *json_args, jv *out)
{
	jv args = jv_parse(json_args);

	if (!jv_is_valid(args)) {
		fprintf(stderr, "test bug: bad JSON args: %s\n", json_args);
		exit(1);
	}
	args = tcall_defaults(t->call.desc, args);
	*out = jv_null();
	return t->call.desc->run(&t->call, args, out);
}

static inline int64_t test_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* borrowed string field, "" if absent */
static inline const char *tstr(jv v, const char *key)
{
	const char *s = jvx_str(v, key);
	return s ? s : "";
}

static inline int tcontains(const char *hay, const char *needle)
{
	return hay && needle && strstr(hay, needle) != NULL;
}
#endif
