/* report.c — the report's formats: the table of renderers and what they share.
 *
 * report_build() (build.c) makes the report object; text.c, markdown.c, junit.c and
 * svg.c render it; json is the object itself.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "report_int.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"

int report_format_parse(const char *name, enum report_format *f)
{
#define X(e, s) if (!strcmp(name, s)) { *f = e; return 0; }
	REPORT_FORMATS(X)
#undef X
	if (!strcmp(name, "md")) {
		*f = REPORT_MARKDOWN;
		return 0;
	}
	return -1;
}

static int report_json(struct buf *b, jv rep)
{
	int berr = 0;
	berr |= jvx_dump_buf(b, jv_copy(rep), JVX_PRETTY);
	berr |= buf_addc(b, '\n');
	return berr;
}

static int (*const renderers[REPORT_FORMAT__N])(struct buf *, jv) = {
	[REPORT_TEXT] = report_text,
	[REPORT_JSON] = report_json,
	[REPORT_MARKDOWN] = report_markdown,
	[REPORT_JUNIT] = report_junit,
	[REPORT_SVG] = report_svg,
};

char *report_format(jv rep, enum report_format fmt)
{
	struct buf b = BUF_INIT(0);
	struct rep_keys *keys = xmalloc(sizeof(*keys));
	int rc;
	if ((int)fmt < 0 || fmt >= REPORT_FORMAT__N || !renderers[fmt])
		BUG("unknown report format");
	rep_keys_hold(keys);
	rc = renderers[fmt](&b, rep);
	rep_keys_drop(keys);
	free(keys);
	if (rc < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

int report_render(jv events, jv plan, jv params, enum report_format fmt, FILE *out)
{
	jv rep = report_build(events, plan, params);
	char *text = report_format(rep, fmt);
	size_t n = text ? strlen(text) : 0;
	int rc = !text || (n && fwrite(text, 1, n, out) != n) ? -1 : 0;
	free(text);
	jv_free(rep);
	return rc;
}

/* ---- shared by the renderers ---- */

/* "%.1f" of x: x * 10 is exact in a long double of 64 bits or more (53 + 3 bits), so
 * its floor and the rest give printf's rounding (the exact value, ties to even) */
static int add_f1(struct buf *b, double x)
{
#if LDBL_MANT_DIG >= 64
	if (x >= 0 && x < 1e15) {
		long double p = (long double)x * 10, fl = floorl(p), fr = p - fl;
		uint64_t q = (uint64_t)fl;
		char t[32];
		int n = (int)sizeof(t);
		if (fr > 0.5L || (fr == 0.5L && (q & 1)))
			q++;
		t[--n] = (char)('0' + q % 10);
		t[--n] = '.';
		q /= 10;
		do {
			t[--n] = (char)('0' + q % 10);
			q /= 10;
		} while (q);
		return buf_add(b, t + n, sizeof(t) - (size_t)n);
	}
#endif
	return buf_addf(b, "%.1f", x);
}

static int add_int(struct buf *b, long long v)
{
	char t[32];
	int n = (int)sizeof(t);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		t[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		t[--n] = '-';
	return buf_add(b, t + n, sizeof(t) - (size_t)n);
}

int rep_add_xml(struct buf *b, const char *s)
{
	size_t n = 0;
	if (!s)
		return 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if ((c < 0x20 && c != '\t') || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'')
			return buf_add_xml(b, s);
	}
	return buf_add(b, s, n);
}

int rep_addf(struct buf *b, const char *fmt, ...)
{
	int berr = 0;
	va_list ap;
	const char *p, *lit;
	for (p = fmt; (p = strchr(p, '%')); p++) {
		p++;
		if (*p == 's' || *p == 'd' || *p == '%')
			continue;
		if ((p[0] == 'l' && p[1] == 'd') || (p[0] == '.' && p[1] == '1' && p[2] == 'f')) {
			p += p[0] == 'l' ? 1 : 2;
			continue;
		}
		va_start(ap, fmt);
		berr = buf_vaddf(b, fmt, ap);
		va_end(ap);
		return berr;
	}
	va_start(ap, fmt);
	for (p = lit = fmt; *p; p++) {
		if (*p != '%')
			continue;
		berr |= buf_add(b, lit, (size_t)(p - lit));
		p++;
		if (*p == 's') {
			const char *a = va_arg(ap, const char *);
			berr |= buf_adds(b, a ? a : "(null)");
		} else if (*p == 'd') {
			berr |= add_int(b, va_arg(ap, int));
		} else if (*p == 'l') {
			berr |= add_int(b, va_arg(ap, long));
			p++;
		} else if (*p == '.') {
			berr |= add_f1(b, va_arg(ap, double));
			p += 2;
		} else {
			berr |= buf_addc(b, '%');
		}
		lit = p + 1;
	}
	berr |= buf_add(b, lit, (size_t)(p - lit));
	va_end(ap);
	return berr;
}

jv rep_kget_or_null(jv o, jv key)
{
	jv v = rep_kget(o, key);
	return jv_is_valid(v) ? v : (jv_free(v), jv_null());
}

jv rep_klist(jv o, jv key)
{
	jv v = rep_kget(o, key);
	if (jv_get_kind(v) == JV_KIND_ARRAY)
		return v;
	jv_free(v);
	return jv_array();
}

const char *rep_kstr_or(jv o, jv key, const char *def)
{
	const char *s = rep_kstr(o, key);
	return s ? s : def;
}

int rep_kms(struct buf *b, jv o, jv key)
{
	int berr = 0;
	char d[64];
	jv v = rep_kget(o, key);
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		berr |= buf_adds(b, dur_format((int64_t)jv_number_value(v), d, sizeof(d)));
	else
		berr |= buf_adds(b, "-");
	jv_free(v);
	return berr;
}

int rep_vms(struct buf *b, jv v)
{
	char d[64];
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		return buf_adds(b, dur_format((int64_t)jv_number_value(v), d, sizeof(d)));
	return buf_adds(b, "-");
}

static const struct { const char *name; size_t off; } row_fields[] = {
#define X(n) { #n, offsetof(struct rep_row, n) },
	REP_ROW_FIELDS(X)
#undef X
};

void rep_row_of(jv row, struct rep_row *r)
{
#define X(n) r->n = jv_invalid();
	REP_ROW_FIELDS(X)
#undef X
	if (jv_get_kind(row) != JV_KIND_OBJECT)
		return;
	jv_object_foreach(row, key, val) {
		const char *ks = jv_string_value(key);
		for (size_t i = 0; i < sizeof(row_fields) / sizeof(row_fields[0]); i++)
			if (*ks == *row_fields[i].name && !strcmp(ks, row_fields[i].name)) {
				*(jv *)((char *)r + row_fields[i].off) = val;   /* row holds it */
				break;
			}
		jv_free(key);
		jv_free(val);
	}
}

const char *rep_vstr(jv v, const char *def)
{
	return jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : def;
}

double rep_vnum(jv v, double def)
{
	return jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : def;
}

int rep_vbool(jv v, int def)
{
	return jv_get_kind(v) == JV_KIND_TRUE ? 1 : jv_get_kind(v) == JV_KIND_FALSE ? 0 : def;
}

int rep_head(struct buf *b, jv rep)
{
	int berr = 0;
	jv ec = RGET(rep, "exit_code");
	const char *mode = RSTR(rep, "mode");
	berr |= buf_addf(b, "%s", rep_str(rep, "status", "unfinished"));
	if (jv_get_kind(ec) == JV_KIND_NUMBER)
		berr |= buf_addf(b, " (exit %d)", (int)jv_number_value(ec));
	jv_free(ec);
	if (mode && strcmp(mode, "run"))
		berr |= buf_addf(b, ", %s", !strcmp(mode, "dry-run") ? "dry run" : mode);
	return berr;
}

int rep_totals(struct buf *b, jv rep)
{
	int berr = 0;
	jv t = RGET(rep, "totals");
	static const char *const parts[][2] = { {"succeeded", "succeeded"}, {"failed", "failed"},
		{"skipped", "skipped"}, {"rolled_back", "rolled back"}, {"dry_run", "dry run"},
		{"running", "running"}, {"pending", "not run"} };
	int first = 1;
	int64_t steps = RINT(t, "steps", 0), retries = RINT(t, "retries", 0),
		polls = RINT(t, "polls", 0), acts = RINT(t, "rollback_actions", 0),
		ok = RINT(t, "rollback_actions_succeeded", 0);
	berr |= buf_addf(b, "%" PRId64 " step%s", steps, steps == 1 ? "" : "s");
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int64_t k = jvx_int(t, parts[i][0], 0);
		if (!k)
			continue;
		berr |= buf_addf(b, "%s %" PRId64 " %s", first ? ":" : ",", k, parts[i][1]);
		first = 0;
	}
	berr |= buf_addf(b, "; %" PRId64 " retr%s; %" PRId64 " poll%s", retries, retries == 1 ? "y" : "ies",
		 polls, polls == 1 ? "" : "s");
	if (acts)
		berr |= buf_addf(b, "; rollback: %" PRId64 " of %" PRId64 " action%s succeeded", ok, acts, acts == 1 ? "" : "s");
	jv_free(t);
	return berr;
}

char *rep_value_text(jv v)
{
	return jvx_text(jv_copy(v));
}

/* ---- objectives (run_finished.objectives, as the drill writes it) ---- */

static jv objective(jv rep, const char *which)
{
	jv ob = RGET(rep, "objectives"), o = jvx_get(ob, which);
	jv_free(ob);
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		return jv_invalid();
	}
	return o;
}

const char *rep_objective_verdict(jv rep, const char *which)
{
	jv o = objective(rep, which), met;
	const char *v;
	if (!jv_is_valid(o))
		return NULL;
	met = RGET(o, "met");
	v = jv_get_kind(met) == JV_KIND_TRUE ? "met" : jv_get_kind(met) == JV_KIND_FALSE ? "MISSED" :
	    "not measured";
	jv_free(met);
	jv_free(o);
	return v;
}

int rep_objective_phrase(struct buf *b, jv rep, const char *which)
{
	int berr = 0;
	jv o = objective(rep, which), ob, errs;
	const char *why;
	if (!jv_is_valid(o))
		return 1;
	berr |= rep_ms(b, o, "achieved_ms");
	berr |= buf_adds(b, " achieved, objective ");
	berr |= rep_ms(b, o, "objective_ms");
	berr |= buf_addf(b, ": %s", rep_objective_verdict(rep, which));
	ob = RGET(rep, "objectives");
	errs = RGET(ob, "errors");
	if ((why = jvx_str(errs, which)))
		berr |= buf_addf(b, " (%s)", why);
	jv_free(errs);
	jv_free(ob);
	jv_free(o);
	return berr ? -1 : 0;
}
