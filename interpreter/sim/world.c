/* world.c — what the world's objects share: times as text, status timelines, garbage
 * collection of deleted objects, lookups, ids and endpoints. */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "simint.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"

char *sim_iso(int64_t ms, char *buf, size_t size)
{
	return clock_format(ms, buf, size);
}

const char *sim_status(jv obj, int64_t now)
{
	jv tl = jv_object_get(jv_copy(obj), jv_string("_tl"));
	const char *st = NULL;
	if (jv_get_kind(tl) == JV_KIND_ARRAY) {
		SIM_EACH(jv_copy(tl), i, ph) {
			jv until = jv_array_get(jv_copy(ph), 0);
			if (!st && now < (int64_t)jv_number_value(until)) {
				jv name = jv_array_get(jv_copy(ph), 1);
				st = jv_string_value(name);   /* lives in obj */
				jv_free(name);
			}
			jv_free(until);
			jv_free(ph);
		}
	}
	jv_free(tl);
	return st ? st : jvx_str(obj, "_final");
}

jv sim_set_timeline(jv obj, int64_t now, const char *final, ...)
{
	va_list ap;
	va_start(ap, final);
	jv tl = jv_array();
	int64_t t = now;
	for (;;) {
		const char *st = va_arg(ap, const char *);
		if (!st)
			break;
		int64_t d = va_arg(ap, int64_t);
		t += d;
		if (d > 0)
			tl = jv_array_append(tl, JV_ARRAY(jv_number((double)t), jv_string(st)));
	}
	va_end(ap);
	obj = jv_object_set(obj, jv_string("_tl"), tl);
	obj = jv_object_set(obj, jv_string("_final"), jv_string(final));
	obj = jv_object_set(obj, jv_string("_done_at"), jv_number((double)t));
	return obj;
}

jv sim_gc(jv arr, int64_t now)
{
	jv out = jv_array();
	SIM_EACH(arr, i, el) {
		double g = jvx_num(el, "_gone_at", -1);
		if (g >= 0 && (int64_t)g <= now)
			jv_free(el);
		else
			out = jv_array_append(out, el);
	}
	return out;
}

int sim_find(jv arr, const char *field, const char *value)
{
	int found = -1;
	SIM_EACH(jv_copy(arr), i, el) {
		const char *v = jvx_str(el, field);
		if (found < 0 && v && !strcmp(v, value))
			found = i;
		jv_free(el);
	}
	return found;
}

void sim_new_id(struct sim *s, char *buf, size_t size)
{
	uint64_t n = ++s->seq;
	snprintf(buf, size, "5e3a%04x-%04x-4%03x-8%03x-%012llx", (unsigned)(n >> 48) & 0xffff,
		 (unsigned)(n >> 32) & 0xffff, (unsigned)(n >> 20) & 0xfff, (unsigned)(n >> 8) & 0xfff,
		 (unsigned long long)(n * 0x9e3779b1ull) & 0xffffffffffffull);
}

jv sim_endpoint_for(jv tmpl, const char *id, const char *deflt_domain, int port)
{
	int berr = 0;
	const char *t = jvx_str(tmpl, "address");
	struct buf b = BUF_INIT(0);
	if (!t) {
		berr |= buf_addf(&b, "%s.%s", id, deflt_domain);
	} else {
		for (const char *p = t; *p; p++) {
			if (!strncmp(p, "{id}", 4)) {
				berr |= buf_adds(&b, id);
				p += 3;
			} else {
				berr |= buf_addc(&b, *p);
			}
		}
	}
	BUF_NOCAP(berr);
	jv e = jv_object_set(jv_object(), jv_string("Address"), jv_string(buf_str(&b)));
	e = jv_object_set(e, jv_string("Port"), jv_number((double)jvx_int(tmpl, "port", port)));
	buf_release(&b);
	return e;
}
