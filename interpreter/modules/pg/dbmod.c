/* dbmod.c — helpers shared by the pg and redis modules (see dbmod.h) */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dbmod.h"
#include "../../core/bug.h"
#include "../../core/clock.h"
#include "../../core/diag.h"
#include "../../core/dur.h"
#include "../../core/jvx.h"

jv dbmod_arg(const struct action_call *call, jv args, const char *name)
{
	const struct action_arg *a;
	jv v = jvx_get(args, name);

	if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
		return v;
	jv_free(v);
	a = call && call->desc ? action_find_arg(call->desc, name) : NULL;
	if (!a || !a->defval)
		return jv_invalid();
	v = jv_parse(a->defval);
	if (!jv_is_valid(v))
		BUG("default of an action argument is not valid JSON");
	return v;
}

const char *dbmod_str(const struct action_call *call, jv args, const char *name, jv *hold)
{
	*hold = dbmod_arg(call, args, name);
	if (jv_get_kind(*hold) != JV_KIND_STRING)
		return NULL;
	return jv_string_value(*hold);
}

int dbmod_bool(const struct action_call *call, jv args, const char *name, int def)
{
	jv v = dbmod_arg(call, args, name);
	int r = def;

	if (jv_get_kind(v) == JV_KIND_TRUE)
		r = 1;
	else if (jv_get_kind(v) == JV_KIND_FALSE)
		r = 0;
	jv_free(v);
	return r;
}

int64_t dbmod_int(const struct action_call *call, jv args, const char *name, int64_t def)
{
	jv v = dbmod_arg(call, args, name);
	int64_t r = def;

	if (jv_get_kind(v) == JV_KIND_NUMBER && isfinite(jv_number_value(v)))
		r = (int64_t)jv_number_value(v);
	jv_free(v);
	return r;
}

int64_t dbmod_ms(const struct action_call *call, jv args, const char *name, int64_t def)
{
	jv v = dbmod_arg(call, args, name);
	int64_t ms = def;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		if (dur_parse(jv_string_value(v), &ms) < 0)
			ms = -1;
	} else if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		ms = isfinite(d) && d >= 0 && d < 1e12 ? (int64_t)llround(d * 1000.0) : -1;
	}
	jv_free(v);
	return ms;
}

int64_t dbmod_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dbmod_deadline(struct action_call *call, int64_t timeout_ms)
{
	int64_t left = timeout_ms;

	/* the step's deadline is on the run's clock; servers are real, so only a real
	 * clock's deadline can bound real I/O */
	if (call->deadline > 0 && call->clock && clock_kind(call->clock) == CLOCK_REAL) {
		int64_t d = call->deadline - clock_now(call->clock);
		if (d < 0)
			d = 0;
		if (left < 0 || d < left)
			left = d;
	}
	if (left < 0)
		left = (int64_t)24 * 3600 * 1000;
	return dbmod_mono_ms() + left;
}

int dbmod_wait_fd(struct action_call *call, int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		int64_t left = deadline - dbmod_mono_ms();
		int r;

		if (call && action_cancelled(call))
			return -1;
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)(left < DBMOD_SLICE_MS ? left : DBMOD_SLICE_MS));
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -2;
	}
}

int dbmod_sleep(struct action_call *call, int64_t ms)
{
	if (call->clock)
		return clock_sleep(call->clock, ms, call->cancel);
	{
		int64_t until = dbmod_mono_ms() + ms;
		while (dbmod_mono_ms() < until) {
			struct timespec ts = { 0, 50 * 1000000L };
			if (action_cancelled(call))
				return -1;
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

jv dbmod_connection(struct action_call *call, const char *module, const char *name)
{
	jv mod = jvx_get(call->connections, module);
	jv c;

	if (jv_get_kind(mod) != JV_KIND_OBJECT) {
		jv_free(mod);
		return jv_null();
	}
	c = jv_object_get(mod, jv_string(name));
	if (jv_get_kind(c) != JV_KIND_OBJECT) {
		jv_free(c);
		return jv_invalid();
	}
	return c;
}

jv dbmod_unknown_connection(struct action_call *call, const char *module, const char *name)
{
	jv mod = jvx_get(call->connections, module);
	const char *names[64];
	const char *near = NULL;
	int n = 0;
	jv keys = jv_get_kind(mod) == JV_KIND_OBJECT ? jv_keys(jv_copy(mod)) : jv_array();
	jv err;

	jv_array_foreach(keys, i, k) {
		if (n < 64)
			names[n++] = jv_string_value(k);
		jv_free(k);   /* keys stays alive: the strings remain valid */
	}
	near = diag_suggest(name, names, n);
	if (near)
		err = jvx_error("UnknownConnection", "unknown %s connection '%s' (did you mean '%s'?)",
				module, name, near);
	else
		err = jvx_error("UnknownConnection", "unknown %s connection '%s'", module, name);
	jv_free(keys);
	jv_free(mod);
	return err;
}

int dbmod_str_list(jv v, const char ***items, int *n)
{
	*items = NULL;
	*n = 0;
	if (jv_get_kind(v) == JV_KIND_STRING) {
		*items = xmalloc(sizeof(**items));
		(*items)[0] = jv_string_value(v);
		*n = 1;
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_ARRAY)
		return jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL ? -1 : 0;
	int len = jv_array_length(jv_copy(v));
	*items = xcalloc(len ? (size_t)len : 1, sizeof(**items));
	for (int i = 0; i < len; i++) {
		jv x = jv_array_get(jv_copy(v), i);
		if (jv_get_kind(x) != JV_KIND_STRING) {
			jv_free(x);
			free(*items);
			*items = NULL;
			return -1;
		}
		(*items)[i] = jv_string_value(x);   /* still referenced by v */
		jv_free(x);
	}
	*n = len;
	return 0;
}

char *dbmod_num_text(double d, char *buf, size_t size)
{
	if (isfinite(d) && d == floor(d) && fabs(d) < 1e17) {
		snprintf(buf, size, "%lld", (long long)d);
		return buf;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return buf;
}

void dbmod_warn_once(struct action_call *call, const char *key, const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char *seen[64];          /* past the cap, warnings repeat */
	char msg[1024];
	va_list ap;
	int i, fresh = 1;

	pthread_mutex_lock(&lock);
	for (i = 0; i < 64 && seen[i]; i++)
		if (!strcmp(seen[i], key))
			fresh = 0;
	if (fresh && i < 64)
		seen[i] = xstrdup(key);
	pthread_mutex_unlock(&lock);
	if (!fresh)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	action_log(call, LOG_WARN, "%s", msg);
}
