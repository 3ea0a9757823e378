/* params.c — typed params: checking values against declarations, and resolving the
 * command line's -p K=V strings (or a params file's typed values) into .params. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "model.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"
#include "../core/redact.h"

/* messages are built here; loading runs on one thread */
static char why_buf[512];

static const char *article(enum arg_type t)
{
	return t == ARG_INT ? "an" : "a";
}

static const char *show(jv v, char *out, size_t size)
{
	char *s = jvx_dump(jv_copy(v));
	if (strlen(s) > 60)
		snprintf(out, size, "%.57s...", s);
	else
		snprintf(out, size, "%s", s);
	free(s);
	return out;
}

static int type_ok(enum arg_type t, jv v)
{
	int64_t ms;
	switch (t) {
	case ARG_STRING:
		return jv_get_kind(v) == JV_KIND_STRING;
	case ARG_INT:
		return jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) == floor(jv_number_value(v)) &&
		       fabs(jv_number_value(v)) < 9007199254740992.0;
	case ARG_NUMBER:
		return jv_get_kind(v) == JV_KIND_NUMBER;
	case ARG_BOOL:
		return jv_get_kind(v) == JV_KIND_TRUE || jv_get_kind(v) == JV_KIND_FALSE;
	case ARG_DURATION:
		return jv_get_kind(v) == JV_KIND_STRING && dur_parse(jv_string_value(v), &ms) == 0;
	case ARG_TIMESTAMP:
		return jv_get_kind(v) == JV_KIND_STRING && ts_parse(jv_string_value(v), &ms) == 0;
	case ARG_LIST:
		return jv_get_kind(v) == JV_KIND_ARRAY;
	case ARG_MAP:
		return jv_get_kind(v) == JV_KIND_OBJECT;
	default:
		return arg_type_check(t, v) == 0;
	}
}

int param_check_value(const struct rb_param *p, jv v, const char **why)
{
	int berr = 0;
	char shown[80];
	int rc = -1;
	*why = why_buf;
	if (!type_ok(p->type, v)) {
		if (p->type == ARG_DURATION && jv_get_kind(v) == JV_KIND_STRING)
			snprintf(why_buf, sizeof(why_buf), "must be a duration like '90s' or '1h30m', not %s",
				 show(v, shown, sizeof(shown)));
		else if (p->type == ARG_TIMESTAMP && jv_get_kind(v) == JV_KIND_STRING)
			snprintf(why_buf, sizeof(why_buf),
				 "must be an RFC 3339 timestamp like '2026-11-22T03:00:00Z', not %s",
				 show(v, shown, sizeof(shown)));
		else
			snprintf(why_buf, sizeof(why_buf), "must be %s %s, not %s", article(p->type),
				 arg_type_name(p->type), show(v, shown, sizeof(shown)));
		goto out;
	}
	if (jv_is_valid(p->choices)) {
		int found = 0;
		jv_array_foreach(p->choices, i, ch) {
			found |= jv_equal(ch, jv_copy(v));
		}
		if (!found) {
			struct buf b = BUF_INIT(0);
			jv_array_foreach(p->choices, i, ch) {
				char *s = jvx_dump(ch);
				berr |= buf_addf(&b, "%s%s", i ? ", " : "", s);
				free(s);
			}
			BUF_NOCAP(berr);
			snprintf(why_buf, sizeof(why_buf), "must be one of %s, not %s", buf_str(&b),
				 show(v, shown, sizeof(shown)));
			buf_release(&b);
			goto out;
		}
	}
	if (p->re && jv_get_kind(v) == JV_KIND_STRING) {
		pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->re, NULL);
		int m = pcre2_match(p->re, (PCRE2_SPTR)jv_string_value(v), (PCRE2_SIZE)jv_string_length_bytes(jv_copy(v)),
				    0, 0, md, NULL);
		pcre2_match_data_free(md);
		if (m < 0) {
			snprintf(why_buf, sizeof(why_buf), "does not match pattern '%s': %s", p->pattern,
				 show(v, shown, sizeof(shown)));
			goto out;
		}
	}
	rc = 0;
out:
	jv_free(v);
	return rc;
}

/* a -p string as the param's type; jv_invalid() if it does not parse (reported) */
static jv from_string(const struct rb_param *p, const char *s)
{
	char *end;
	switch (p->type) {
	case ARG_INT: {
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (!*s || *end || errno || llabs(v) >= 9007199254740992LL)
			return jv_string(s);   /* type check reports it */
		return jv_number((double)v);
	}
	case ARG_NUMBER: {
		errno = 0;
		double d = strtod(s, &end);
		if (!*s || *end || errno || !isfinite(d))
			return jv_string(s);
		return jv_number(d);
	}
	case ARG_BOOL:
		if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1"))
			return jv_true();
		if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0"))
			return jv_false();
		return jv_string(s);
	case ARG_LIST: {
		if (s[0] == '[') {
			jv v = jvx_parse_sized(s, strlen(s));
			return jv_is_valid(v) ? v : (jv_free(v), jv_string(s));
		}
		/* a,b,c: a list of strings (spaces around items trimmed) */
		jv a = jv_array();
		const char *p2 = s;
		while (*s) {
			const char *comma = strchr(p2, ',');
			const char *e = comma ? comma : p2 + strlen(p2);
			const char *b = p2;
			while (b < e && *b == ' ')
				b++;
			const char *t = e;
			while (t > b && t[-1] == ' ')
				t--;
			a = jv_array_append(a, jv_string_sized(b, (int)(t - b)));
			if (!comma)
				break;
			p2 = comma + 1;
		}
		return a;
	}
	case ARG_MAP: {
		jv v = jvx_parse_sized(s, strlen(s));
		return jv_is_valid(v) ? v : (jv_free(v), jv_string(s));
	}
	default:
		return jv_string(s);
	}
}

jv params_resolve(const struct runbook *rb, jv raw, struct redactor *redact, struct diag_list *dl)
{
	int nerr0 = dl->nerrors;
	jv out = jv_object();
	const char **names = xcalloc((size_t)rb->nparams + 1, sizeof(*names));
	for (int i = 0; i < rb->nparams; i++)
		names[i] = rb->params[i].name;

	if (jv_get_kind(raw) != JV_KIND_OBJECT) {
		diag_error(dl, NULL, "params must be a map of names to values");
		goto out;
	}
	jv keys = jv_keys(jv_copy(raw));   /* sorted: messages in a stable order */
	jv_array_foreach(keys, ki, key) {
		jv val = jv_object_get(jv_copy(raw), jv_copy(key));
		const char *k = jv_string_value(key);
		const struct rb_param *p = NULL;
		for (int i = 0; i < rb->nparams; i++)
			if (!strcmp(rb->params[i].name, k))
				p = &rb->params[i];
		if (!p) {
			const char *s = diag_suggest(k, names, rb->nparams);
			/* a key that is no name is quoted nowhere: a params file may be any file
			 * (--params-file /etc/shadow reads as a map of its lines) */
			if (!*k || strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
			    strlen(k) || strlen(k) > 64)
				diag_error(dl, NULL, "runbook '%s' has no param of that name: a key of %zu "
					   "characters that is not a param name", rb->name, strlen(k));
			else if (s)
				diag_error(dl, NULL, "runbook '%s' has no param '%s' (did you mean '%s'?)", rb->name, k, s);
			else if (rb->nparams)
				diag_error(dl, NULL, "runbook '%s' has no param '%s'", rb->name, k);
			else
				diag_error(dl, NULL, "runbook '%s' has no param '%s' (it declares no params)", rb->name, k);
			jv_free(key);
			jv_free(val);
			continue;
		}
		jv typed = jv_get_kind(val) == JV_KIND_STRING ? from_string(p, jv_string_value(val)) : jv_copy(val);
		const char *why;
		if (param_check_value(p, jv_copy(typed), &why) < 0) {
			int secret = p->flags & PARAM_SECRET;
			if (secret)
				diag_error(dl, NULL, "param '%s' is not valid (value hidden: the param is secret)", k);
			else
				diag_error(dl, NULL, "param '%s' %s", k, why);
			diag_note(dl, &p->loc, "param '%s' is declared here", k);
			jv_free(typed);
		} else {
			if ((p->flags & PARAM_SECRET) && redact)
				redact_add_jv(redact, jv_copy(typed));
			out = jv_object_set(out, jv_copy(key), typed);
		}
		jv_free(key);
		jv_free(val);
	}
	jv_free(keys);
	for (int i = 0; i < rb->nparams; i++) {
		const struct rb_param *p = &rb->params[i];
		if (jvx_has(raw, p->name))
			continue;
		if (jv_is_valid(p->def)) {
			if ((p->flags & PARAM_SECRET) && redact)
				redact_add_jv(redact, jv_copy(p->def));
			out = jv_object_set(out, jv_string(p->name), jv_copy(p->def));
		} else if (p->flags & PARAM_REQUIRED) {
			diag_error(dl, NULL, "missing required param '%s' (give it with -p %s=VALUE)", p->name, p->name);
			diag_note(dl, &p->loc, "param '%s' is declared here", p->name);
		}
	}
out:
	free(names);
	jv_free(raw);
	if (dl->nerrors > nerr0) {
		jv_free(out);
		return jv_invalid();
	}
	return out;
}

jv params_public(const struct runbook *rb, jv params)
{
	jv out = jv_is_valid(params) && jv_get_kind(params) == JV_KIND_OBJECT ? jv_copy(params) : jv_object();
	for (int i = 0; i < rb->nparams; i++)
		if (rb->params[i].flags & PARAM_SECRET)
			out = jv_object_delete(out, jv_string(rb->params[i].name));
	return out;
}
