/* sleep.c — the sleep action: waits on the run's clock, so a rehearsal (virtual clock)
 * returns at once with time moved on. Honours cancel and the step's deadline. */
#include "core.h"
#include "../../core/clock.h"
#include "../../core/dur.h"
#include "../../core/jvx.h"

const struct action_arg core_sleep_args[] = {
	{ "duration", ARG_DURATION, ARG_REQUIRED, NULL, "how long to wait (\"90s\", \"15m\")" },
	{ NULL, 0, 0, NULL, NULL },
};

/* the plan's estimate: a constant duration is how long it takes */
int64_t core_sleep_typical(jv args)
{
	jv d = jv_object_get(jv_copy(args), jv_string("duration"));
	int64_t ms = -1;
	if (jv_get_kind(d) == JV_KIND_STRING && dur_parse(jv_string_value(d), &ms))
		ms = -1;
	else if (jv_get_kind(d) == JV_KIND_NUMBER)
		ms = (int64_t)(jv_number_value(d) * 1000);
	jv_free(d);
	return ms;
}

int core_sleep_run(struct action_call *call, jv args, jv *out)
{
	jv v = actarg_get(call, args, "duration");
	int64_t ms, left, start;
	int ret = -1;
	char tmp[32];

	if (actarg_dur(v, &ms) < 0) {
		*out = jvx_error("BadArgs", "sleep: 'duration' is not a duration");
		goto out;
	}
	if (!call->clock) {
		*out = jvx_error("BadCall", "sleep: no clock");
		goto out;
	}
	start = clock_now(call->clock);
	left = action_time_left(call, -1);
	if (left >= 0 && left < ms) {
		/* the step would time out first: sleep to the deadline, then say so */
		if (clock_sleep(call->clock, left, call->cancel) < 0) {
			*out = jvx_error("Cancelled", "sleep: cancelled");
			goto out;
		}
		*out = jvx_error("Timeout", "sleep: the step's deadline came before %s had passed",
				 dur_format(ms, tmp, sizeof(tmp)));
		goto out;
	}
	if (clock_sleep(call->clock, ms, call->cancel) < 0) {
		*out = jvx_error("Cancelled", "sleep: cancelled");
		goto out;
	}
	*out = jv_object_set(jv_object(), jv_string("slept_ms"),
			     jv_number((double)(clock_now(call->clock) - start)));
	ret = 0;
out:
	jv_free(v);
	jv_free(args);
	return ret;
}
