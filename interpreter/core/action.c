/* action.c — helpers over action descriptors (see action.h) */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "action.h"
#include "buf.h"
#include "bug.h"
#include "clock.h"
#include "diag.h"
#include "dur.h"
#include "jvx.h"
#include "caps.h"

static const char *const type_names[] = {
	[ARG_ANY] = "any", [ARG_STRING] = "string", [ARG_INT] = "int", [ARG_NUMBER] = "number",
	[ARG_BOOL] = "bool", [ARG_DURATION] = "duration", [ARG_TIMESTAMP] = "timestamp",
	[ARG_LIST] = "list", [ARG_MAP] = "map", [ARG_STRING_OR_LIST] = "string or list",
	[ARG_SCALAR] = "string, number or bool",
};

static const char *const type_phrases[] = {
	[ARG_ANY] = "any value", [ARG_STRING] = "a string", [ARG_INT] = "an int",
	[ARG_NUMBER] = "a number", [ARG_BOOL] = "a bool", [ARG_DURATION] = "a duration",
	[ARG_TIMESTAMP] = "a timestamp", [ARG_LIST] = "a list", [ARG_MAP] = "a map",
	[ARG_STRING_OR_LIST] = "a string or a list", [ARG_SCALAR] = "a string, number or bool",
};

const char *arg_type_phrase(enum arg_type t)
{
	return (unsigned)t < sizeof(type_phrases) / sizeof(type_phrases[0]) && type_phrases[t] ?
		type_phrases[t] : "a value";
}

const char *value_phrase(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL: return "null";
	case JV_KIND_TRUE: case JV_KIND_FALSE: return "a bool";
	case JV_KIND_NUMBER: return "a number";
	case JV_KIND_STRING: return "a string";
	case JV_KIND_ARRAY: return "a list";
	case JV_KIND_OBJECT: return "a map";
	default: return "a value";
	}
}

const char *arg_type_name(enum arg_type t)
{
	return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "?";
}

int arg_type_parse(const char *name, enum arg_type *t)
{
	for (unsigned i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i] && !strcmp(type_names[i], name) && i != ARG_STRING_OR_LIST &&
		    i != ARG_SCALAR) {
			*t = (enum arg_type)i;
			return 0;
		}
	return -1;
}

int arg_type_check(enum arg_type t, jv v)
{
	jv_kind k = jv_get_kind(v);
	int64_t ms;
	switch (t) {
	case ARG_ANY:
		return 0;
	case ARG_STRING:
		return k == JV_KIND_STRING ? 0 : -1;
	case ARG_INT:
		return k == JV_KIND_NUMBER && jv_number_value(v) == floor(jv_number_value(v)) ? 0 : -1;
	case ARG_NUMBER:
		return k == JV_KIND_NUMBER ? 0 : -1;
	case ARG_BOOL:
		return k == JV_KIND_TRUE || k == JV_KIND_FALSE ? 0 : -1;
	case ARG_DURATION:
		return k == JV_KIND_STRING && dur_parse(jv_string_value(v), &ms) == 0 ? 0 : -1;
	case ARG_TIMESTAMP:
		return k == JV_KIND_STRING && ts_parse(jv_string_value(v), &ms) == 0 ? 0 : -1;
	case ARG_LIST:
		return k == JV_KIND_ARRAY ? 0 : -1;
	case ARG_MAP:
		return k == JV_KIND_OBJECT ? 0 : -1;
	case ARG_STRING_OR_LIST:
		return k == JV_KIND_STRING || k == JV_KIND_ARRAY ? 0 : -1;
	case ARG_SCALAR:
		return k == JV_KIND_STRING || k == JV_KIND_NUMBER || k == JV_KIND_TRUE ||
		       k == JV_KIND_FALSE ? 0 : -1;
	}
	return -1;
}

/* "%g" without exponents for the ints of ranges */
static void num_text(double d, char *buf, size_t size)
{
	if (d == floor(d) && fabs(d) < 1e15)
		snprintf(buf, size, "%.0f", d);
	else
		snprintf(buf, size, "%g", d);
}

/* whether s is one of "a|b|c" */
static int in_choices(const char *choices, const char *s)
{
	size_t l = strlen(s);
	for (const char *p = choices; p; p = strchr(p, '|')) {
		if (*p == '|')
			p++;
		if (!strncmp(p, s, l) && (p[l] == '|' || !p[l]))
			return 1;
	}
	return 0;
}

/* the value rules (range, choices) of a, on a value already of its type.
 * what: " " (the value itself) or ": item 2 " */
static int value_rules(const struct action_arg *a, jv v, const char *what, char *why, size_t size)
{
	jv_kind k = jv_get_kind(v);
	if ((a->flags & ARG_RANGE) && k == JV_KIND_NUMBER &&
	    (jv_number_value(v) < a->min || jv_number_value(v) > a->max)) {
		char lo[32], hi[32], x[32];
		num_text(a->min, lo, sizeof(lo));
		num_text(a->max, hi, sizeof(hi));
		num_text(jv_number_value(v), x, sizeof(x));
		snprintf(why, size, "%smust be between %s and %s, not %s", what, lo, hi, x);
		return -1;
	}
	if (a->choices && k == JV_KIND_STRING && !in_choices(a->choices, jv_string_value(v))) {
		/* "text|json|lines" -> "text, json or lines" */
		struct buf b = BUF_INIT(CAP_CHOICES);
		int rc = 0;
		for (const char *p = a->choices; *p && rc == 0;) {
			const char *bar = strchr(p, '|');
			size_t l = bar ? (size_t)(bar - p) : strlen(p);
			if (p != a->choices)
				rc = buf_adds(&b, bar ? ", " : " or ");
			if (rc == 0)
				rc = buf_add(&b, p, l);
			p += l + (bar ? 1 : 0);
		}
		snprintf(why, size, "%smust be %s, not '%s'", what, rc == 0 ? buf_str(&b) : a->choices,
			 jv_string_value(v));
		buf_release(&b);
		return -1;
	}
	return 0;
}

int action_item_check(const struct action_arg *a, jv item, int i, const char *key, char *why,
		      size_t size)
{
	char what[96];
	if (key)
		snprintf(what, sizeof(what), ": '%s' ", key);
	else
		snprintf(what, sizeof(what), ": item %d ", i);
	if (jv_get_kind(item) == JV_KIND_NULL && (a->flags & ARG_NULL_ITEMS))
		return 0;
	if (arg_type_check(a->item, item) != 0) {
		snprintf(why, size, "%smust be %s, not %s", what, arg_type_phrase(a->item), value_phrase(item));
		return -1;
	}
	return value_rules(a, item, what, why, size);
}

int action_arg_check(const struct action_arg *a, jv v, char *why, size_t size)
{
	jv_kind k = jv_get_kind(v);
	int64_t ms;
	if (arg_type_check(a->type, v) != 0) {
		if (a->type == ARG_DURATION && k == JV_KIND_STRING)
			snprintf(why, size, " must be a duration like '90s' or '1h30m' (whole numbers, units "
				 "from the largest down, each once), not '%s'", jv_string_value(v));
		else if (a->type == ARG_TIMESTAMP && k == JV_KIND_STRING)
			snprintf(why, size, " must be an RFC 3339 timestamp, not '%s'", jv_string_value(v));
		else
			snprintf(why, size, " must be %s, not %s", arg_type_phrase(a->type), value_phrase(v));
		return -1;
	}
	if (a->flags & ARG_NONEMPTY) {
		int empty = (k == JV_KIND_STRING && !jv_string_length_bytes(jv_copy(v))) ||
			    (k == JV_KIND_ARRAY && !jv_array_length(jv_copy(v))) ||
			    (k == JV_KIND_OBJECT && !jv_object_length(jv_copy(v)));
		if (empty) {
			snprintf(why, size, " must not be empty");
			return -1;
		}
		if (a->type == ARG_DURATION && dur_parse(jv_string_value(v), &ms) == 0 && ms == 0) {
			if (a->defval)
				snprintf(why, size, " must be longer than 0 (omit it for the default, %s)",
					 a->defval);
			else
				snprintf(why, size, " must be longer than 0 (omit it for none)");
			return -1;
		}
	}
	if (k == JV_KIND_ARRAY && a->item != ARG_ANY) {
		jv_array_foreach(v, i, x) {
			int rc = action_item_check(a, x, i, NULL, why, size);
			jv_free(x);
			if (rc < 0)
				return -1;
		}
		return 0;
	}
	if (k == JV_KIND_OBJECT && a->item != ARG_ANY) {
		int rc = 0;
		jv_object_foreach(v, key, x) {
			if (!rc)
				rc = action_item_check(a, x, -1, jv_string_value(key), why, size);
			jv_free(key);
			jv_free(x);
		}
		return rc;
	}
	return value_rules(a, v, " ", why, size);
}

int action_required_when(const struct action_arg *a, int on, const char **flag)
{
	const char *w = a->required_when;
	if (!w)
		return 0;
	*flag = w[0] == '!' ? w + 1 : w;
	return w[0] == '!' ? !on : on;
}

int action_args_check(const struct action_arg *args, jv with, char *why, size_t size)
{
	for (const struct action_arg *a = args; a && a->name; a++) {
		const char *flag;
		if (a->required_when) {
			flag = a->required_when[0] == '!' ? a->required_when + 1 : a->required_when;
			jv v = jv_object_get(jv_copy(with), jv_string(a->name));
			jv f = jv_object_get(jv_copy(with), jv_string(flag));
			int given = jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL;
			int on = jv_get_kind(f) == JV_KIND_TRUE;
			jv_free(v);
			jv_free(f);
			if (!given && action_required_when(a, on, &flag)) {
				snprintf(why, size, "argument '%s' is required %s '%s: true'", a->name,
					 a->required_when[0] == '!' ? "unless" : "with", flag);
				return -1;
			}
		}
		if (!a->needs)
			continue;
		jv v = jv_object_get(jv_copy(with), jv_string(a->name));
		jv need = jv_object_get(jv_copy(with), jv_string(a->needs));
		int given = jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL;
		int on = jv_get_kind(need) == JV_KIND_TRUE;
		jv_free(v);
		jv_free(need);
		if (given && !on) {
			snprintf(why, size, "argument '%s' needs '%s: true'", a->name, a->needs);
			return -1;
		}
	}
	return 0;
}

int action_is_mutating(const struct action_desc *d, jv args)
{
	if (d->mutates)
		return d->mutates(args) ? 1 : 0;
	return (d->flags & ACT_MUTATING) ? 1 : 0;
}

const struct action_arg *action_find_arg(const struct action_desc *d, const char *name)
{
	for (const struct action_arg *a = d->args; a && a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

void action_log(struct action_call *call, enum log_level lvl, const char *fmt, ...)
{
	int berr = 0;
	struct buf b = BUF_INIT(CAP_MESSAGE);
	va_list ap;
	va_start(ap, fmt);
	berr |= buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (berr) {
		buf_reset(&b);
		berr = buf_adds(&b, "(a log message over 64 KiB, not shown)");
	}
	if (call->log && !berr)
		call->log(call, lvl, buf_str(&b));
	buf_release(&b);
}

const struct action_result *action_result_field(const struct action_result *fields, const char *name)
{
	for (; fields && fields->name; fields++)
		if (!strcmp(fields->name, name))
			return fields;
	return NULL;
}

const struct action_result *action_result_find(const struct action_desc *d, const char *name)
{
	const struct action_result *r = action_result_field(d->results, name);
	return r ? r : action_result_field(d->result_shape, name);
}

/* ---- helpers for an action on its call ---- */

int64_t action_time_left(struct action_call *call, int64_t timeout_ms)
{
	int64_t left = timeout_ms;

	if (call->deadline > 0 && call->clock) {
		int64_t d = call->deadline - clock_now(call->clock);
		if (d < 0)
			d = 0;
		if (left < 0 || d < left)
			left = d;
	}
	return left;
}

int64_t action_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t action_io_deadline(struct action_call *call, int64_t timeout_ms)
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
	return action_mono_ms() + left;
}

int action_wait_fd(struct action_call *call, int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		int64_t left = deadline - action_mono_ms();
		int r;

		if (call && action_cancelled(call))
			return -1;
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)(left < ACTION_SLICE_MS ? left : ACTION_SLICE_MS));
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -2;
	}
}

int action_sleep(struct action_call *call, int64_t ms)
{
	if (call->clock)
		return clock_sleep(call->clock, ms, call->cancel);
	{
		int64_t until = action_mono_ms() + ms;
		while (action_mono_ms() < until) {
			struct timespec ts = { 0, 50 * 1000000L };
			if (action_cancelled(call))
				return -1;
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

jv action_connection(struct action_call *call, const char *module, const char *name)
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

jv action_unknown_connection(struct action_call *call, const char *module, const char *name)
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

void action_warn_once(struct action_call *call, const char *key, const char *fmt, ...)
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
