/* action.c — helpers over action descriptors (see action.h) */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "action.h"
#include "buf.h"
#include "dur.h"

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
		struct buf b = BUF_INIT(1024);
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
	struct buf b = BUF_INIT(64 << 10);
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (call->log)
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
