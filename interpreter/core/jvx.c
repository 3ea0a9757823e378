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

int jvx_truth(jv v, int def)
{
	int r = jv_get_kind(v) == JV_KIND_TRUE ? 1 : jv_get_kind(v) == JV_KIND_FALSE ? 0 : def;
	jv_free(v);
	return r;
}

int jvx_bool(jv obj, const char *key, int def)
{
	return jvx_truth(jvx_get(obj, key), def);
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

/* ---- the JSON printer (jvx_dump_buf): jq 1.6's jv_print.c, minus colour, ASCII
 * output, sorted keys and reference counts, which runbook never asks for ---- */

#define DUMP_MAX_DEPTH 256     /* jv_print.c's MAX_PRINT_DEPTH */

/* buf_add, inline while the bytes fit in what is allocated and under the cap */
static inline int put(struct buf *b, const void *s, size_t n)
{
	if (!b->data || b->cap - b->len <= n || (b->max && b->len + n > b->max))
		return buf_add(b, s, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static inline int putc1(struct buf *b, char c)
{
	return put(b, &c, 1);
}

/* what libjq prints for v, for the cases left to it (see dump_number, dump_string) */
static int dump_libjq(struct buf *b, jv v, int flags)
{
	jv s = jv_dump_string(v, flags);
	int r = put(b, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
	jv_free(s);
	return r;
}

/* integers below 1e16 print as their digits in jvp_dtoa_fmt (shortest round trip, an
 * exponent only past 15 trailing zeros); -0, fractions, bigger numbers, NaN and the
 * infinities take libjq's dtoa */
static int dump_number(struct buf *b, double d)
{
	if (!(d > -1e16 && d < 1e16) || d != (double)(int64_t)d || (d == 0 && signbit(d)))
		return dump_libjq(b, jv_number(d), 0);
	char tmp[24], *p = tmp + sizeof(tmp);
	int64_t n = (int64_t)d;
	uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (n < 0)
		*--p = '-';
	return put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* length of the UTF-8 character at p that jvp_utf8_next accepts, 0 if it rejects it */
static size_t utf8_char(const unsigned char *p, const unsigned char *end)
{
	static const unsigned min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = *p >= 0xF5 ? 0 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC2 ? 2 : 0;
	if (!len || (size_t)(end - p) < len)
		return 0;
	unsigned c = *p & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3F);
	}
	if (c < min[len] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
		return 0;
	return len;
}

/* jvp_dump_string without ASCII output: " \ and the controls (and DEL) escaped, \b \t
 * \r \n \f short, the others \u00xx; everything else copied. A string that is not
 * valid UTF-8 (libjq's asserts stop on it) goes to libjq whole. Borrows s. */
static int dump_string(struct buf *b, jv s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)jv_string_value(s);
	const unsigned char *end = p + jv_string_length_bytes(jv_copy(s)), *run;
	size_t start = b->len;
	if (putc1(b, '"') < 0)
		return -1;
	/* bytes copied as they are: printable ASCII but " and \ */
	static const unsigned char plain[256] = {
		[0x20] = 1, [0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7E] = 1,
	};
	for (run = p; p < end;) {
		unsigned c = *p;
		if (plain[c]) {
			p++;
			continue;
		}
		if (c >= 0x80) {
			size_t n = utf8_char(p, end);
			if (!n) {
				b->len = start;
				if (b->data)
					b->data[start] = '\0';
				return dump_libjq(b, jv_copy(s), 0);
			}
			p += n;
			continue;
		}
		char esc[6] = { '\\', (char)c, 0, 0, 0, 0 };
		size_t elen = 2;
		switch (c) {
		case '"': case '\\': break;
		case '\b': esc[1] = 'b'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\n': esc[1] = 'n'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if (put(b, run, (size_t)(p - run)) < 0 || put(b, esc, elen) < 0)
			return -1;
		run = ++p;
	}
	if (put(b, run, (size_t)(p - run)) < 0 || putc1(b, '"') < 0)
		return -1;
	return 0;
}

/* a new line and the indent of level n (pretty) */
static int dump_newline(struct buf *b, int pretty, int n)
{
	static const char spaces[] = "\n                                                                ";
	if (!pretty)
		return 0;
	size_t want = 1 + 2 * (size_t)n, chunk = sizeof(spaces) - 1;
	if (put(b, spaces, want < chunk ? want : chunk) < 0)
		return -1;
	for (want = want < chunk ? 0 : want - chunk; want; ) {
		size_t k = want < chunk - 1 ? want : chunk - 1;
		if (put(b, spaces + 1, k) < 0)
			return -1;
		want -= k;
	}
	return 0;
}

/* what libjq prints for a value deeper than it goes: its own mark, which differs by
 * build ("<skipped: too deep>" upstream, "<stripped: exceeds max depth>" in Debian's),
 * taken from the middle of DUMP_MAX_DEPTH + 1 nested arrays printed by libjq */
static int dump_too_deep(struct buf *b)
{
	jv a = jv_null();
	for (int i = 0; i <= DUMP_MAX_DEPTH; i++)
		a = jv_array_append(jv_array(), a);
	jv s = jv_dump_string(a, 0);
	int len = jv_string_length_bytes(jv_copy(s)) - 2 * (DUMP_MAX_DEPTH + 1);
	int r = put(b, jv_string_value(s) + DUMP_MAX_DEPTH + 1, len > 0 ? (size_t)len : 0);
	jv_free(s);
	return r;
}

/* jv_dump_term; consumes v */
static int dump_term(struct buf *b, jv v, int flags, int depth)
{
	int pretty = flags & JV_PRINT_PRETTY, r = 0;
	if (depth > DUMP_MAX_DEPTH) {
		r = dump_too_deep(b);
		goto out;
	}
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		r = put(b, "null", 4);
		break;
	case JV_KIND_FALSE:
		r = put(b, "false", 5);
		break;
	case JV_KIND_TRUE:
		r = put(b, "true", 4);
		break;
	case JV_KIND_NUMBER:
		r = dump_number(b, jv_number_value(v));
		break;
	case JV_KIND_STRING:
		r = dump_string(b, v);
		break;
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(v));
		if (!n) {
			r = put(b, "[]", 2);
			break;
		}
		r = putc1(b, '[');
		for (int i = 0; i < n && !r; i++) {
			if (i && putc1(b, ',') < 0)
				r = -1;
			else if (dump_newline(b, pretty, depth + 1) < 0)
				r = -1;
			else
				r = dump_term(b, jv_array_get(jv_copy(v), i), flags, depth + 1);
		}
		if (!r && (dump_newline(b, pretty, depth) < 0 || putc1(b, ']') < 0))
			r = -1;
		break;
	}
	case JV_KIND_OBJECT: {
		int i = jv_object_iter(v);
		if (!jv_object_iter_valid(v, i)) {
			r = put(b, "{}", 2);
			break;
		}
		r = putc1(b, '{');
		for (int first = 1; !r && jv_object_iter_valid(v, i); i = jv_object_iter_next(v, i), first = 0) {
			jv k = jv_object_iter_key(v, i);
			if ((!first && putc1(b, ',') < 0) || dump_newline(b, pretty, depth + 1) < 0 ||
			    dump_string(b, k) < 0 || put(b, ": ", pretty ? 2 : 1) < 0)
				r = -1;
			else
				r = dump_term(b, jv_object_iter_value(v, i), flags, depth + 1);
			jv_free(k);
		}
		if (!r && (dump_newline(b, pretty, depth) < 0 || putc1(b, '}') < 0))
			r = -1;
		break;
	}
	default: /* invalid: libjq asserts (or, built without asserts, prints nothing) */
		return dump_libjq(b, v, flags);
	}
out:
	jv_free(v);
	return r;
}

int jvx_dump_buf(struct buf *b, jv v, int flags)
{
	return dump_term(b, v, flags & JV_PRINT_PRETTY, 0);
}

int jvx_dump_member(struct buf *b, jv v)
{
	return dump_term(b, v, 0, 1);
}

static char *dump_detach(jv v, int flags)
{
	/* room for a journal line at once, rather than grown from 64 bytes */
	struct buf b = { xmalloc(512), 0, 512, 0 };
	b.data[0] = '\0';
	int berr = jvx_dump_buf(&b, v, flags);
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

char *jvx_dump(jv v)
{
	return dump_detach(v, 0);
}

char *jvx_dump_pretty(jv v)
{
	return dump_detach(v, JVX_PRETTY);
}

jv jvx_dump_string(jv v, int flags)
{
	struct buf b = BUF_INIT(0);
	int berr = jvx_dump_buf(&b, v, flags);
	BUF_NOCAP(berr);
	jv s = jv_string_sized(buf_str(&b), (int)b.len);
	buf_release(&b);
	return s;
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
