/* jparse.c — strict JSON to jv by hand (see jparse.h for why and what it accepts);
 * everything else is jvx_parse_sized's. */
#include <stdlib.h>
#include <string.h>
#include "jparse.h"
#include "buf.h"
#include "jvx.h"
#include "utf8.h"

#define JPARSE_DEPTH 200     /* libjq refuses at 256; deeper text goes to libjq */

struct jp {
	const char *p, *end;
	struct buf tmp;      /* a string's bytes once its escapes are undone */
	int depth;
	struct jparser *c;   /* strings read before, or NULL */
};

/* the jv string of raw bytes s[0..n) (no escape in them) */
static jv raw_string(struct jp *j, const char *s, size_t n)
{
	if (!j->c || n > JPARSE_SHORT)
		return jv_string_sized(s, (int)n);
	unsigned h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	h ^= h >> 15;
	struct jparser_seen *e = &j->c->cache[h % JPARSE_CACHE];
	if (jv_get_kind(e->s) == JV_KIND_STRING && e->len == n && !memcmp(e->bytes, s, n))
		return jv_copy(e->s);
	jv v = jv_string_sized(s, (int)n);   /* invalid UTF-8 made good, as libjq does */
	jv_free(e->s);
	e->s = jv_copy(v);
	e->len = (unsigned char)n;
	memcpy(e->bytes, s, n);
	return v;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && is_ws(*j->p))
		j->p++;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int put_utf8(struct buf *b, unsigned cp)
{
	char u[4];
	return buf_add(b, u, (size_t)utf8_put(u, cp));
}

/* at the opening quote; a jv string, or invalid */
static jv string(struct jp *j)
{
	const char *s = ++j->p, *q = s;
	while (q < j->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	if (q < j->end && *q == '"') {
		j->p = q + 1;
		return raw_string(j, s, (size_t)(q - s));
	}
	buf_reset(&j->tmp);
	if (buf_add(&j->tmp, s, (size_t)(q - s)) < 0)
		return jv_invalid();
	while (q < j->end) {
		unsigned char c = (unsigned char)*q;
		if (c == '"') {
			j->p = q + 1;
			return jv_string_sized(buf_str(&j->tmp), (int)j->tmp.len);
		}
		if (c < 0x20)
			return jv_invalid();
		if (c != '\\') {
			const char *r = q;
			while (r < j->end && *r != '"' && *r != '\\' && (unsigned char)*r >= 0x20)
				r++;
			if (buf_add(&j->tmp, q, (size_t)(r - q)) < 0)
				return jv_invalid();
			q = r;
			continue;
		}
		if (q + 1 >= j->end)
			return jv_invalid();
		char e = q[1], out;
		q += 2;
		switch (e) {
		case '"': out = '"'; break;
		case '\\': out = '\\'; break;
		case '/': out = '/'; break;
		case 'b': out = '\b'; break;
		case 'f': out = '\f'; break;
		case 'n': out = '\n'; break;
		case 'r': out = '\r'; break;
		case 't': out = '\t'; break;
		case 'u': {
			unsigned cp;
			if (j->end - q < 4 || hex4(q, &cp) < 0 || (cp >= 0xD800 && cp <= 0xDFFF))
				return jv_invalid();   /* surrogates: libjq's own rules */
			q += 4;
			if (put_utf8(&j->tmp, cp) < 0)
				return jv_invalid();
			continue;
		}
		default:
			return jv_invalid();
		}
		if (buf_addc(&j->tmp, out) < 0)
			return jv_invalid();
	}
	return jv_invalid();
}

/* a number in JSON's grammar: the double strtod rounds it to (libjq's jvp_strtod
 * rounds correctly too); small integers without strtod */
static jv number(struct jp *j)
{
	const char *s = j->p, *q = s;
	int neg = 0, simple = 1;
	long long v = 0;
	if (q < j->end && *q == '-') {
		neg = 1;
		q++;
	}
	if (q >= j->end || *q < '0' || *q > '9')
		return jv_invalid();
	if (*q == '0') {
		q++;
	} else {
		const char *d = q;
		for (; q < j->end && *q >= '0' && *q <= '9'; q++)
			if (q - d < 15)
				v = v * 10 + (*q - '0');
			else
				simple = 0;
	}
	if (q < j->end && *q == '.') {
		simple = 0;
		if (++q >= j->end || *q < '0' || *q > '9')
			return jv_invalid();
		while (q < j->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < j->end && (*q == 'e' || *q == 'E')) {
		simple = 0;
		q++;
		if (q < j->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= j->end || *q < '0' || *q > '9')
			return jv_invalid();
		while (q < j->end && *q >= '0' && *q <= '9')
			q++;
	}
	j->p = q;
	if (simple)
		return jv_number(neg ? -(double)v : (double)v);
	char tmp[64], *num = tmp, *endp;
	size_t n = (size_t)(q - s);
	if (n >= sizeof(tmp))
		num = malloc(n + 1);
	if (!num)
		return jv_invalid();
	memcpy(num, s, n);
	num[n] = 0;
	double d = strtod(num, &endp);
	int ok = endp == num + n;
	if (num != tmp)
		free(num);
	return ok ? jv_number(d) : jv_invalid();
}

static int literal(struct jp *j, const char *word, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
		return -1;
	j->p += n;
	return 0;
}

static jv value(struct jp *j, const struct jkeep *keep);
static int skip(struct jp *j);

static jv array(struct jp *j, const struct jkeep *keep)
{
	jv a = jv_array();
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return a;
	}
	for (;;) {
		jv v = value(j, keep);
		if (!jv_is_valid(v)) {
			jv_free(a);
			return v;
		}
		a = jv_array_append(a, v);
		skip_ws(j);
		if (j->p >= j->end)
			break;
		if (*j->p == ']') {
			j->p++;
			return a;
		}
		if (*j->p++ != ',')
			break;
	}
	jv_free(a);
	return jv_invalid();
}

/* the entry of keep for member key, or NULL to skip it */
static const struct jkeep *kept(const struct jkeep *keep, jv key)
{
	const char *ks = jv_string_value(key);
	for (; keep->key; keep++)
		if ((keep->key[0] == '*' && !keep->key[1]) || !strcmp(keep->key, ks))
			return keep;
	return NULL;
}

/* at a key's opening quote: 0 and past the key when it has no escape and keep has no
 * entry for it; else 1, where it was */
static int kept_raw(const struct jkeep *keep, struct jp *j)
{
	const char *k = j->p + 1, *q = k;
	while (q < j->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	if (q >= j->end || *q != '"')
		return 1;
	for (; keep->key; keep++)
		if ((keep->key[0] == '*' && !keep->key[1]) ||
		    (!strncmp(keep->key, k, (size_t)(q - k)) && !keep->key[q - k]))
			return 1;
	j->p = q + 1;
	return 0;
}

static jv object(struct jp *j, const struct jkeep *keep)
{
	jv o = jv_object();
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return o;
	}
	for (;;) {
		skip_ws(j);
		if (j->p >= j->end || *j->p != '"')
			break;
		if (keep && !kept_raw(keep, j)) {
			/* a member left out, its key without an escape: no jv for either */
			skip_ws(j);
			if (j->p >= j->end || *j->p++ != ':' || skip(j) < 0) {
				jv_free(o);
				return jv_invalid();
			}
			goto next;
		}
		jv k = string(j);
		if (!jv_is_valid(k)) {
			jv_free(o);
			return k;
		}
		skip_ws(j);
		if (j->p >= j->end || *j->p != ':') {
			jv_free(k);
			break;
		}
		j->p++;
		const struct jkeep *e = keep ? kept(keep, k) : NULL;
		if (keep && !e) {
			jv_free(k);
			if (skip(j) < 0) {
				jv_free(o);
				return jv_invalid();
			}
		} else {
			jv v = value(j, e ? e->sub : NULL);
			if (!jv_is_valid(v)) {
				jv_free(k);
				jv_free(o);
				return v;
			}
			o = jv_object_set(o, k, v);
		}
next:
		skip_ws(j);
		if (j->p >= j->end)
			break;
		if (*j->p == '}') {
			j->p++;
			return o;
		}
		if (*j->p++ != ',')
			break;
	}
	jv_free(o);
	return jv_invalid();
}

static jv value(struct jp *j, const struct jkeep *keep)
{
	jv v;
	skip_ws(j);
	if (j->p >= j->end)
		return jv_invalid();
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > JPARSE_DEPTH)
			return jv_invalid();
		v = *j->p == '{' ? object(j, keep) : array(j, keep);
		j->depth--;
		return v;
	case '"':
		return string(j);
	case 't':
		return literal(j, "true", 4) ? jv_invalid() : jv_true();
	case 'f':
		return literal(j, "false", 5) ? jv_invalid() : jv_false();
	case 'n':
		return literal(j, "null", 4) ? jv_invalid() : jv_null();
	default:
		return number(j);
	}
}

void jparser_init(struct jparser *p)
{
	for (size_t i = 0; i < JPARSE_CACHE; i++) {
		p->cache[i].s = jv_null();
		p->cache[i].len = 0;
	}
}

void jparser_release(struct jparser *p)
{
	for (size_t i = 0; i < JPARSE_CACHE; i++) {
		jv_free(p->cache[i].s);
		p->cache[i].s = jv_null();
	}
}

jv jparse(const char *text, size_t len)
{
	return jparser_parse(NULL, text, len);
}

jv jparser_parse(struct jparser *c, const char *text, size_t len)
{
	return jparser_parse_keep(c, text, len, NULL);
}

jv jparser_parse_keep(struct jparser *c, const char *text, size_t len, const struct jkeep *keep)
{
	struct jp j = { text, text + len, BUF_INIT(0), 0, c };
	jv v = len < (size_t)1 << 30 ? value(&j, keep) : jv_invalid();
	buf_release(&j.tmp);
	if (jv_is_valid(v)) {
		skip_ws(&j);
		if (j.p == j.end)
			return v;
		jv_free(v);
	}
	/* not strict JSON: whatever libjq makes of it (its error message, its value) */
	return jvx_parse_sized(text, len);
}

/* past one value, building nothing; -1 where jparse would not read it itself */
static int skip(struct jp *j)
{
	skip_ws(j);
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '"':
		for (const char *q = j->p + 1; q < j->end; q++) {
			unsigned char c = (unsigned char)*q;
			if (c == '"') {
				j->p = q + 1;
				return 0;
			}
			if (c < 0x20)
				return -1;
			if (c == '\\') {
				if (++q >= j->end || !*q || !strchr("\"\\/bfnrtu", *q))
					return -1;
				if (*q == 'u') {
					unsigned cp;
					if (j->end - q < 5 || hex4(q + 1, &cp) < 0 || (cp >= 0xD800 && cp <= 0xDFFF))
						return -1;
					q += 4;
				}
			}
		}
		return -1;
	case '{':
	case '[': {
		char close = *j->p == '{' ? '}' : ']';
		int obj = close == '}';
		if (++j->depth > JPARSE_DEPTH)
			return -1;
		j->p++;
		skip_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		for (;;) {
			if (obj) {
				skip_ws(j);
				if (j->p >= j->end || *j->p != '"' || skip(j) < 0)
					return -1;
				skip_ws(j);
				if (j->p >= j->end || *j->p++ != ':')
					return -1;
			}
			if (skip(j) < 0)
				return -1;
			skip_ws(j);
			if (j->p >= j->end)
				return -1;
			if (*j->p == close) {
				j->p++;
				j->depth--;
				return 0;
			}
			if (*j->p++ != ',')
				return -1;
		}
	}
	default: {
		jv v = value(j, NULL);    /* a number or a literal: no allocation */
		if (!jv_is_valid(v))
			return -1;
		jv_free(v);
		return 0;
	}
	}
}

int jparser_fields(struct jparser *c, const char *text, size_t len, const char *const *names, size_t n, jv *out)
{
	struct jp j = { text, text + len, BUF_INIT(0), 1, c };   /* depth: in the object */
	int rc = -1;
	for (size_t i = 0; i < n; i++)
		out[i] = jv_invalid();
	skip_ws(&j);
	if (j.p >= j.end || *j.p != '{')
		goto out;
	j.p++;
	skip_ws(&j);
	if (j.p < j.end && *j.p == '}') {
		j.p++;
		goto end;
	}
	for (;;) {
		const char *k, *q;
		size_t i;
		skip_ws(&j);
		if (j.p >= j.end || *j.p != '"')
			goto out;
		k = q = j.p + 1;
		while (q < j.end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
			q++;
		if (q >= j.end || *q != '"')
			goto out;     /* an escape in a key: jparse's */
		j.p = q + 1;
		skip_ws(&j);
		if (j.p >= j.end || *j.p++ != ':')
			goto out;
		for (i = 0; i < n; i++)
			if (names[i][0] == *k && !strncmp(names[i], k, (size_t)(q - k)) && !names[i][q - k])
				break;
		if (i < n) {
			jv v = value(&j, NULL);
			if (!jv_is_valid(v))
				goto out;
			jv_free(out[i]);
			out[i] = v;          /* the last of a repeated name, as jv_object_set */
		} else if (skip(&j) < 0) {
			goto out;
		}
		skip_ws(&j);
		if (j.p >= j.end)
			goto out;
		if (*j.p == '}') {
			j.p++;
			break;
		}
		if (*j.p++ != ',')
			goto out;
	}
end:
	skip_ws(&j);
	rc = j.p == j.end ? 0 : -1;
out:
	buf_release(&j.tmp);
	if (rc < 0)
		for (size_t i = 0; i < n; i++) {
			jv_free(out[i]);
			out[i] = jv_invalid();
		}
	return rc;
}
