/* action.c — helpers over action descriptors (see action.h) */
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include "action.h"
#include "buf.h"
#include "dur.h"

static const char *const type_names[] = {
	[ARG_ANY] = "any", [ARG_STRING] = "string", [ARG_INT] = "int", [ARG_NUMBER] = "number",
	[ARG_BOOL] = "bool", [ARG_DURATION] = "duration", [ARG_TIMESTAMP] = "timestamp",
	[ARG_LIST] = "list", [ARG_MAP] = "map", [ARG_STRING_OR_LIST] = "string or list",
};

const char *arg_type_name(enum arg_type t)
{
	return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "?";
}

int arg_type_parse(const char *name, enum arg_type *t)
{
	for (unsigned i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i] && !strcmp(type_names[i], name) && i != ARG_STRING_OR_LIST) {
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
		if (k == JV_KIND_NUMBER)
			return jv_number_value(v) >= 0 ? 0 : -1;
		return k == JV_KIND_STRING && dur_parse(jv_string_value(v), &ms) == 0 ? 0 : -1;
	case ARG_TIMESTAMP:
		return k == JV_KIND_STRING && ts_parse(jv_string_value(v), &ms) == 0 ? 0 : -1;
	case ARG_LIST:
		return k == JV_KIND_ARRAY ? 0 : -1;
	case ARG_MAP:
		return k == JV_KIND_OBJECT ? 0 : -1;
	case ARG_STRING_OR_LIST:
		return k == JV_KIND_STRING || k == JV_KIND_ARRAY ? 0 : -1;
	}
	return -1;
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
	struct buf b = BUF_INIT(64 << 10);
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (call->log)
		call->log(call, lvl, buf_str(&b));
	buf_release(&b);
}
