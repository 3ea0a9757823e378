/* keys.c — the report's literal strings (object keys mostly) as jv strings made once
 * per report_build or report_format call, not once per use: a jv_string costs a
 * malloc, a UTF-8 check and, as a key, a hash each time; a kept one has its hash
 * cached. The table is found by the literal's address (RK() takes literals only, so
 * an address always holds the same text) and lives on the stack of the outermost
 * call of this thread (rep_keys_hold/rep_keys_drop); with none held, RK() makes a
 * new string as before. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "report_int.h"
#include "../core/jvx.h"

static _Thread_local struct rep_keys *held;

void rep_keys_hold(struct rep_keys *t)
{
	t->outer = held == NULL;
	if (!t->outer)
		return;
	memset(t->slot, 0, sizeof(t->slot));
	held = t;
}

void rep_keys_drop(struct rep_keys *t)
{
	if (!t->outer)
		return;
	for (size_t i = 0; i < REP_KEYS; i++)
		if (t->slot[i].lit)
			jv_free(t->slot[i].s);
	held = NULL;
}

jv rep_key(const char *lit)
{
	struct rep_keys *t = held;
	if (!t)
		return jv_string(lit);
	uintptr_t h = (uintptr_t)lit;
	h ^= h >> 7;
	h ^= h >> 17;
	for (size_t n = 0, i = h % REP_KEYS; n < REP_KEYS; n++, i = (i + 1) % REP_KEYS) {
		if (t->slot[i].lit == lit)
			return jv_copy(t->slot[i].s);
		if (!t->slot[i].lit) {
			t->slot[i].lit = lit;
			t->slot[i].s = jv_string(lit);
			return jv_copy(t->slot[i].s);
		}
	}
	return jv_string(lit);   /* full: more literals than slots */
}

/* ---- lookups by a key (consumed), as jvx_* by a C string ---- */

jv rep_kget(jv o, jv key)
{
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(key);
		return jv_invalid();
	}
	return jv_object_get(jv_copy(o), key);
}

const char *rep_kstr(jv o, jv key)
{
	jv v = rep_kget(o, key);
	const char *s = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;   /* o holds it */
	jv_free(v);
	return s;
}

int rep_khas(jv o, jv key)
{
	jv v = rep_kget(o, key);
	int ok = jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL;
	jv_free(v);
	return ok;
}

int rep_kbool(jv o, jv key, int def)
{
	jv v = rep_kget(o, key);
	int r = jv_get_kind(v) == JV_KIND_TRUE ? 1 : jv_get_kind(v) == JV_KIND_FALSE ? 0 : def;
	jv_free(v);
	return r;
}

double rep_knum(jv o, jv key, double def)
{
	jv v = rep_kget(o, key);
	double r = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : def;
	jv_free(v);
	return r;
}

int64_t rep_kint(jv o, jv key, int64_t def)
{
	return (int64_t)llround(rep_knum(o, key, (double)def));
}
