/* actarg.c — reading an action's arguments (see actarg.h) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actarg.h"
#include "bug.h"
#include "dur.h"
#include "jvx.h"

jv actarg_get(const struct action_call *call, jv args, const char *name)
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

const char *actarg_str(const struct action_call *call, jv args, const char *name, jv *hold)
{
	*hold = actarg_get(call, args, name);
	if (jv_get_kind(*hold) != JV_KIND_STRING)
		return NULL;
	return jv_string_value(*hold);
}

int actarg_bool(const struct action_call *call, jv args, const char *name, int def)
{
	return jvx_truth(actarg_get(call, args, name), def);
}

int64_t actarg_int(const struct action_call *call, jv args, const char *name, int64_t def)
{
	jv v = actarg_get(call, args, name);
	int64_t r = def;

	if (jv_get_kind(v) == JV_KIND_NUMBER && isfinite(jv_number_value(v)))
		r = (int64_t)jv_number_value(v);
	jv_free(v);
	return r;
}

int64_t actarg_ms(const struct action_call *call, jv args, const char *name, int64_t def)
{
	jv v = actarg_get(call, args, name);
	int64_t ms = def;

	if (jv_is_valid(v) && actarg_dur(v, &ms) < 0)
		ms = -1;
	jv_free(v);
	return ms;
}

int actarg_str_list(jv v, const char ***items, int *n)
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

char *actarg_num_text(double d, char *buf, size_t size)
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
int actarg_dur(jv v, int64_t *ms)
{
	double d;

	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return dur_parse(jv_string_value(v), ms);
	case JV_KIND_NUMBER:
		d = jv_number_value(v);
		if (!isfinite(d) || d < 0 || d > 1e12)
			return -1;
		*ms = (int64_t)llround(d * 1000.0);
		return 0;
	default:
		return -1;
	}
}

char *actarg_scalar_text(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return xstrdup(jv_string_value(v));
	case JV_KIND_NUMBER: {
		char tmp[64];
		return xstrdup(actarg_num_text(jv_number_value(v), tmp, sizeof(tmp)));
	}
	case JV_KIND_TRUE:
		return xstrdup("true");
	case JV_KIND_FALSE:
		return xstrdup("false");
	default:
		return NULL;
	}
}
