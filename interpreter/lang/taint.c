/* taint.c — taint propagation through expressions by differential evaluation
 * (see taint.h) */
#include <string.h>
#include "taint.h"
#include "../core/bug.h"
#include "../core/redact.h"

static void taint_number(struct redactor *r, jv n)
{
	jv text = jv_dump_string(n, 0);
	redact_add(r, jv_string_value(text));
	jv_free(text);
}

/* everything in v (borrowed) is tainted */
static void taint_all(struct redactor *r, jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		redact_add(r, jv_string_value(v));
		break;
	case JV_KIND_NUMBER:
		taint_number(r, jv_copy(v));
		break;
	case JV_KIND_ARRAY:
		jv_array_foreach(v, i, x) {
			taint_all(r, x);
			jv_free(x);
		}
		break;
	case JV_KIND_OBJECT:
		jv_object_foreach(v, k, x) {
			taint_all(r, k);
			taint_all(r, x);
			jv_free(k);
			jv_free(x);
		}
		break;
	default:
		break;
	}
}

/* the bytes of a that differ from b, from the first differing byte to the last: what
 * survives of the secret around it (a prefix, a suffix) is not secret */
static void taint_span(struct redactor *r, const char *a, int alen, const char *b, int blen)
{
	int pre = 0, suf = 0;
	while (pre < alen && pre < blen && a[pre] == b[pre])
		pre++;
	while (suf < alen - pre && suf < blen - pre && a[alen - 1 - suf] == b[blen - 1 - suf])
		suf++;
	int len = alen - pre - suf;
	if (len < REDACT_MIN)
		return;
	char *span = xstrndup(a + pre, (size_t)len);
	if (!redact_has(r, span))
		redact_add(r, span);
	free(span);
}

static int same_number(jv a, jv b)
{
	double x = jv_number_value(a), y = jv_number_value(b);
	return x == y || (x != x && y != y);
}

void taint_diff(struct redactor *r, jv real, jv decoy)
{
	jv_kind k = jv_get_kind(real);
	if (k != jv_get_kind(decoy)) {
		taint_all(r, real);
		return;
	}
	switch (k) {
	case JV_KIND_STRING:
		if (!jv_equal(jv_copy(real), jv_copy(decoy)))
			taint_span(r, jv_string_value(real), jv_string_length_bytes(jv_copy(real)),
				   jv_string_value(decoy), jv_string_length_bytes(jv_copy(decoy)));
		break;
	case JV_KIND_NUMBER:
		if (!same_number(real, decoy))
			taint_number(r, jv_copy(real));
		break;
	case JV_KIND_ARRAY:
		if (jv_array_length(jv_copy(real)) != jv_array_length(jv_copy(decoy))) {
			taint_all(r, real);
			break;
		}
		jv_array_foreach(real, i, x) {
			jv y = jv_array_get(jv_copy(decoy), i);
			taint_diff(r, x, y);
			jv_free(x);
			jv_free(y);
		}
		break;
	case JV_KIND_OBJECT:
		jv_object_foreach(real, key, x) {
			jv y = jv_object_get(jv_copy(decoy), jv_copy(key));
			if (jv_is_valid(y)) {
				taint_diff(r, x, y);
			} else {
				/* a key made from a secret: the key and what it holds */
				taint_all(r, key);
				taint_all(r, x);
			}
			jv_free(key);
			jv_free(x);
			jv_free(y);
		}
		break;
	default:
		break;
	}
}

/* real and decoy are what eval returned: an array of outputs, or an error */
static void taint_result(struct redactor *r, jv real, jv decoy)
{
	int rv = jv_is_valid(real), dv = jv_is_valid(decoy);
	if (rv && dv) {
		taint_diff(r, real, decoy);
		return;
	}
	if (rv) {
		taint_all(r, real);
		return;
	}
	jv msg = jv_invalid_get_msg(jv_copy(real));
	jv dmsg = dv ? jv_invalid() : jv_invalid_get_msg(jv_copy(decoy));
	if (jv_is_valid(dmsg))
		taint_diff(r, msg, dmsg);
	else
		taint_all(r, msg);
	jv_free(msg);
	jv_free(dmsg);
}

jv taint_eval(struct exprset *set, int idx, jv ctx, taint_eval_fn eval)
{
	struct redactor *r = redact_current();
	if (!r || !redact_touches(r, ctx))
		return eval(set, idx, ctx);
	jv dctx = redact_decoy(r, jv_copy(ctx), NULL);
	jv real = eval(set, idx, ctx);
	jv decoy = eval(set, idx, dctx);
	taint_result(r, real, decoy);
	jv_free(decoy);
	return real;
}
