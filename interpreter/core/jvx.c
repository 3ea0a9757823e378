/* jvx.c — helpers over libjq's jv (see jvx.h) */
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include "buf.h"
#include "bug.h"
#include "jvx.h"

jv jvx_deep_copy(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return jv_string_sized(jv_string_value(v), jv_string_length_bytes(jv_copy(v)));
	case JV_KIND_NUMBER:
		return jv_number(jv_number_value(v));
	case JV_KIND_ARRAY: {
		jv out = jv_array();
		jv_array_foreach(v, i, x) {
			out = jv_array_append(out, jvx_deep_copy(x));
			jv_free(x);
		}
		return out;
	}
	case JV_KIND_OBJECT: {
		jv out = jv_object();
		jv_object_foreach(v, k, x) {
			out = jv_object_set(out, jvx_deep_copy(k), jvx_deep_copy(x));
			jv_free(k);
			jv_free(x);
		}
		return out;
	}
	case JV_KIND_INVALID:
		if (jv_invalid_has_msg(jv_copy(v))) {
			jv msg = jv_invalid_get_msg(jv_copy(v));
			jv c = jvx_deep_copy(msg);
			jv_free(msg);
			return jv_invalid_with_msg(c);
		}
		return jv_invalid();
	default: /* null, true, false carry no reference */
		return jv_copy(v);
	}
}

jv jvx_get(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	return v;
}

const char *jvx_str(jv obj, const char *key)
{
	jv v = jvx_get(obj, key);
	const char *s = NULL;
	if (jv_get_kind(v) == JV_KIND_STRING)
		s = jv_string_value(v);   /* still referenced by obj */
	jv_free(v);
	return s;
}

int jvx_has(jv obj, const char *key)
{
	jv v = jvx_get(obj, key);
	int ok = jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL;
	jv_free(v);
	return ok;
}

int jvx_bool(jv obj, const char *key, int def)
{
	jv v = jvx_get(obj, key);
	int r = def;
	if (jv_get_kind(v) == JV_KIND_TRUE)
		r = 1;
	else if (jv_get_kind(v) == JV_KIND_FALSE)
		r = 0;
	jv_free(v);
	return r;
}

double jvx_num(jv obj, const char *key, double def)
{
	jv v = jvx_get(obj, key);
	double r = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : def;
	jv_free(v);
	return r;
}

int64_t jvx_int(jv obj, const char *key, int64_t def)
{
	return (int64_t)llround(jvx_num(obj, key, (double)def));
}

jv jvx_error(const char *code, const char *fmt, ...)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	va_list ap;
	va_start(ap, fmt);
	berr |= buf_vaddf(&b, fmt, ap);
	va_end(ap);
	BUF_NOCAP(berr);
	jv e = jv_object();
	e = jv_object_set(e, jv_string("code"), jv_string(code));
	e = jv_object_set(e, jv_string("message"), jv_string(buf_str(&b)));
	buf_release(&b);
	return e;
}

char *jvx_dump(jv v)
{
	jv s = jv_dump_string(v, 0);
	char *r = xstrdup(jv_string_value(s));
	jv_free(s);
	return r;
}

char *jvx_text(jv v)
{
	if (jv_get_kind(v) == JV_KIND_STRING) {
		char *r = xstrdup(jv_string_value(v));
		jv_free(v);
		return r;
	}
	if (!jv_is_valid(v)) {
		jv_free(v);
		return xstrdup("(invalid)");
	}
	return jvx_dump(v);
}

int jvx_truthy(jv v)
{
	jv_kind k = jv_get_kind(v);
	return k != JV_KIND_INVALID && k != JV_KIND_NULL && k != JV_KIND_FALSE;
}

const char *jvx_kind_name(jv v)
{
	return jv_kind_name(jv_get_kind(v));
}

/* libjq 1.6's scanner classes: whitespace, structure, quote; any other byte (NUL
 * included) belongs to a literal token */
static int json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int json_structure(char c)
{
	return c == '[' || c == ']' || c == '{' || c == '}' || c == ',' || c == ':';
}

jv jvx_parse_sized(const char *text, size_t len)
{
	/* a value that ends (string, literal, ] or }) followed by one that starts, with no
	 * ',' or ':' between: libjq returns "Expected separator between values" and leaks
	 * the second value (value() in jv_parse.c, fixed in jq 1.7) */
	int after_value = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (json_ws(c))
			continue;
		int structure = json_structure(c);
		if (after_value && (!structure || c == '[' || c == '{'))
			return jv_invalid_with_msg(jv_string("Expected separator between values"));
		if (c == '"') {
			for (i++; i < len && text[i] != '"'; i++)
				if (text[i] == '\\')
					i++;
			after_value = 1;
		} else if (!structure) {
			while (i + 1 < len && !json_ws(text[i + 1]) && !json_structure(text[i + 1]) &&
			       text[i + 1] != '"')
				i++;
			after_value = 1;
		} else {
			after_value = c == ']' || c == '}';
		}
	}
	if (len > INT32_MAX)
		return jv_invalid_with_msg(jv_string("JSON text too large"));
	return jv_parse_sized(text, (int)len);
}
