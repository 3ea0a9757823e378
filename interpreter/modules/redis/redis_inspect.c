/* redis_inspect.c — the read-only redis actions: ping, wait_ready, dbsize, info, count
 * (SCAN), sample (RANDOMKEY) and compare (key counts in two instances). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "redis_priv.h"
#include "../../core/actarg.h"
#include "../../core/backoff.h"
#include "../../core/jvx.h"

int redis_ping_run(struct action_call *call, jv args, jv *out)
{
	redisReply *r = NULL;
	int64_t t0 = action_mono_ms();
	int rc = redis_simple(call, args, out, "PING", &r);

	if (rc == 0) {
		*out = jv_object_set(jv_object(), jv_string("pong"), rconn_reply_jv(r));
		*out = jv_object_set(*out, jv_string("latency_ms"), jv_number((double)(action_mono_ms() - t0)));
		freeReplyObject(r);
	}
	jv_free(args);
	return rc;
}

int redis_dbsize_run(struct action_call *call, jv args, jv *out)
{
	redisReply *r = NULL;
	int rc = redis_simple(call, args, out, "DBSIZE", &r);

	if (rc == 0) {
		*out = jv_object_set(jv_object(), jv_string("keys"), rconn_reply_jv(r));
		freeReplyObject(r);
	}
	jv_free(args);
	return rc;
}

/* INFO text -> {section: {field: value}} */
static jv redis_info_parse(const char *s, size_t len)
{
	jv res = jv_object(), sec = jv_invalid();
	char secname[64] = "default";
	const char *end = s + len;

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		size_t n = eol ? (size_t)(eol - s) : (size_t)(end - s);
		char line[4096];
		if (n && s[n - 1] == '\r')
			n--;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, s, n);
		line[n] = 0;
		s = eol ? eol + 1 : end;
		if (!n)
			continue;
		if (line[0] == '#') {
			if (jv_is_valid(sec))
				res = jv_object_set(res, jv_string(secname), sec);
			sec = jv_object();
			const char *p = line + 1;
			while (*p == ' ')
				p++;
			snprintf(secname, sizeof(secname), "%.63s", p);
			for (char *q = secname; *q; q++)
				*q = (char)tolower((unsigned char)*q);
			continue;
		}
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		const char *val = colon + 1;
		jv v;
		char *e;
		double d = strtod(val, &e);
		if (*val && *e == 0 && !isspace((unsigned char)*val) && isfinite(d)) {
			v = jv_number(d);
		} else if (strchr(val, '=')) {
			/* "keys=1,expires=0,avg_ttl=0" */
			char tmp[4096];
			int all = 1;
			snprintf(tmp, sizeof(tmp), "%s", val);
			v = jv_object();
			for (char *part = tmp, *next; part; part = next) {
				char *comma = strchr(part, ',');
				next = comma ? comma + 1 : NULL;
				if (comma)
					*comma = 0;
				char *eq = strchr(part, '=');
				if (!eq) {
					all = 0;
					break;
				}
				*eq = 0;
				double pd = strtod(eq + 1, &e);
				v = jv_object_set(v, jv_string(part), eq[1] && *e == 0 ? jv_number(pd) : jv_string(eq + 1));
			}
			if (!all) {
				jv_free(v);
				v = jv_string(val);
			}
		} else {
			v = jv_string(val);
		}
		if (!jv_is_valid(sec))
			sec = jv_object();
		sec = jv_object_set(sec, jv_string(line), v);
	}
	if (jv_is_valid(sec))
		res = jv_object_set(res, jv_string(secname), sec);
	return res;
}

int redis_info_get(struct rconn *c, const char *section, jv *info, jv *err)
{
	redisReply *r = NULL;

	if ((section ? rconn_call(c, &r, err, "INFO", section, NULL) : rconn_call(c, &r, err, "INFO", NULL)) < 0)
		return -1;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		*err = jvx_error("ProtocolError", "redis: INFO did not return text");
		return -1;
	}
	*info = redis_info_parse(r->str, r->len);
	freeReplyObject(r);
	return 0;
}

int redis_info_run(struct action_call *call, jv args, jv *out)
{
	struct rconn c;
	jv hold, hs, err = jv_invalid();
	const char *section = actarg_str(call, args, "section", &hs);
	int rc = -1;

	if (rconn_open(&c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0)
		goto out;
	if (redis_info_get(&c, section, out, &err) < 0)
		goto out;
	rc = 0;
out:
	rconn_close(&c);
	jv_free(hold);
	jv_free(hs);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

int redis_wait_ready_run(struct action_call *call, jv args, jv *out)
{
	struct backoff every = { 0, 1, 0 };   /* a fixed interval: factor 1 (core/backoff.h) */
	jv hold, err = jv_invalid(), last = jv_null();
	const char *name = redis_conn_name(call, args, "connection", &hold);
	int64_t timeout = actarg_ms(call, args, "timeout", 300000), interval = actarg_ms(call, args, "interval", 1000);
	int64_t start = action_mono_ms(), deadline;
	int attempts = 0, rc = -1;

	if (timeout < 0 || interval < 0) {
		err = jvx_error("InvalidArgument", "timeout and interval must be durations");
		goto out;
	}
	every.base_ms = interval;
	deadline = action_io_deadline(call, timeout);
	for (;;) {
		struct rconn c;
		redisReply *r = NULL;
		jv e = jv_invalid();
		attempts++;
		if (rconn_open(&c, call, name, &e) == 0 && rconn_call(&c, &r, &e, "PING", NULL) == 0) {
			freeReplyObject(r);
			jv info = jv_invalid();
			/* PING can answer while a replica syncs; loading:1 means not ready */
			if (redis_info_get(&c, "persistence", &info, &e) == 0) {
				jv p = jvx_get(info, "persistence");
				double loading = jvx_num(p, "loading", 0);
				jv_free(p);
				jv_free(info);
				if (loading == 0) {
					rconn_close(&c);
					break;
				}
				e = jvx_error("Loading", "redis is loading its dataset");
			}
		}
		rconn_close(&c);
		const char *code = jvx_str(e, "code");
		if (code && (!strcmp(code, "AuthenticationFailed") || !strcmp(code, "UnknownConnection") ||
			     !strcmp(code, "Cancelled") || !strcmp(code, "TlsError"))) {
			err = e;
			goto out;
		}
		jv_free(last);
		last = e;
		int64_t pause_ms = (int64_t)backoff_ceiling(&every, attempts - 1);
		if (action_mono_ms() + pause_ms > deadline) {
			jv lm = jvx_get(last, "message");
			err = jvx_error("Timeout", "redis (connection '%s') not ready after %lld ms and %d attempts; last: %s",
					name, (long long)(action_mono_ms() - start), attempts,
					jv_get_kind(lm) == JV_KIND_STRING ? jv_string_value(lm) : "?");
			jv_free(lm);
			goto out;
		}
		if (action_sleep(call, pause_ms) < 0) {
			err = jvx_error("Cancelled", "waiting for redis was cancelled");
			goto out;
		}
	}
	*out = jv_object_set(jv_object(), jv_string("ready"), jv_true());
	*out = jv_object_set(*out, jv_string("attempts"), jv_number(attempts));
	*out = jv_object_set(*out, jv_string("waited_ms"), jv_number((double)(action_mono_ms() - start)));
	rc = 0;
out:
	jv_free(last);
	jv_free(hold);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

/* SCAN MATCH count (DBSIZE for "*" without a type: exact and O(1)) */
int redis_scan_count(struct rconn *c, const char *pattern, const char *type, int64_t hint,
			    double *count, int *trips, jv *err)
{
	char cursor[32] = "0", hs[32];
	redisReply *r = NULL;

	*count = 0;
	*trips = 0;
	if (!strcmp(pattern, "*") && !type) {
		if (rconn_call(c, &r, err, "DBSIZE", NULL) < 0)
			return -1;
		*count = (double)r->integer;
		*trips = 1;
		freeReplyObject(r);
		return 0;
	}
	snprintf(hs, sizeof(hs), "%lld", (long long)(hint > 0 ? hint : 1000));
	do {
		int rc = type ? rconn_call(c, &r, err, "SCAN", cursor, "MATCH", pattern, "COUNT", hs, "TYPE", type, NULL)
			      : rconn_call(c, &r, err, "SCAN", cursor, "MATCH", pattern, "COUNT", hs, NULL);
		if (rc < 0)
			return -1;
		(*trips)++;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING) {
			freeReplyObject(r);
			*err = jvx_error("ProtocolError", "redis: unexpected SCAN reply");
			return -1;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		*count += (double)r->element[1]->elements;
		freeReplyObject(r);
		r = NULL;
		if (action_cancelled(c->call)) {
			*err = jvx_error("Cancelled", "redis SCAN cancelled");
			return -1;
		}
	} while (strcmp(cursor, "0"));
	return 0;
}

int redis_count_run(struct action_call *call, jv args, jv *out)
{
	struct rconn c;
	jv hold, hp, ht, err = jv_invalid();
	const char *pattern = actarg_str(call, args, "pattern", &hp), *type = actarg_str(call, args, "type", &ht);
	double n = 0;
	int trips = 0, rc = -1;

	if (!pattern)
		pattern = "*";
	if (rconn_open(&c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0)
		goto out;
	if (redis_scan_count(&c, pattern, type, actarg_int(call, args, "count", 1000), &n, &trips, &err) < 0)
		goto out;
	*out = jv_object_set(jv_object(), jv_string("pattern"), jv_string(pattern));
	*out = jv_object_set(*out, jv_string("count"), jv_number(n));
	*out = jv_object_set(*out, jv_string("round_trips"), jv_number(trips));
	rc = 0;
out:
	rconn_close(&c);
	jv_free(hold);
	jv_free(hp);
	jv_free(ht);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

int redis_sample_run(struct action_call *call, jv args, jv *out)
{
	struct rconn c;
	jv hold, err = jv_invalid(), keys = jv_array(), seen = jv_object(), list = jv_array();
	int64_t n = actarg_int(call, args, "n", 10);
	redisReply *r = NULL;
	int rc = -1, nk;

	if (n < 0 || n > 100000) {
		err = jvx_error("InvalidArgument", "n must be between 0 and 100000");
		goto out;
	}
	if (rconn_open(&c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0)
		goto out;
	/* RANDOMKEY repeats itself: a few rounds for n distinct keys (fewer when the
	 * database is small) */
	for (int round = 0; round < 5; round++) {
		int64_t want = n - jv_array_length(jv_copy(keys));
		if (want <= 0)
			break;
		for (int64_t i = 0; i < want; i++) {
			const char *a[] = { "RANDOMKEY" };
			rconn_append(&c, 1, a, NULL);
		}
		for (int64_t i = 0; i < want; i++) {
			if (rconn_read(&c, &r, &err) < 0)
				goto out;
			if (r->type == REDIS_REPLY_STRING) {
				jv k = jv_string_sized(r->str, (int)r->len);
				if (!jvx_has(seen, jv_string_value(k))) {
					seen = jv_object_set(seen, jv_copy(k), jv_true());
					keys = jv_array_append(keys, jv_copy(k));
				}
				jv_free(k);
			}
			freeReplyObject(r);
			r = NULL;
		}
	}
	nk = jv_array_length(jv_copy(keys));
	for (int i = 0; i < nk; i++) {
		jv k = jv_array_get(jv_copy(keys), i);
		const char *ta[] = { "TYPE", jv_string_value(k) }, *pa[] = { "PTTL", jv_string_value(k) };
		size_t lens[] = { 4, (size_t)jv_string_length_bytes(jv_copy(k)) };
		rconn_append(&c, 2, ta, lens);
		rconn_append(&c, 2, pa, lens);
		jv_free(k);
	}
	for (int i = 0; i < nk; i++) {
		jv e = jv_object_set(jv_object(), jv_string("key"), jv_array_get(jv_copy(keys), i));
		if (rconn_read(&c, &r, &err) < 0) {
			jv_free(e);
			goto out;
		}
		e = jv_object_set(e, jv_string("type"), rconn_reply_jv(r));
		freeReplyObject(r);
		if (rconn_read(&c, &r, &err) < 0) {
			r = NULL;
			jv_free(e);
			goto out;
		}
		/* PTTL: -1 no expiry, -2 gone since RANDOMKEY */
		e = jv_object_set(e, jv_string("ttl_ms"), r->type == REDIS_REPLY_INTEGER && r->integer >= 0
				  ? jv_number((double)r->integer) : jv_null());
		if (r->type == REDIS_REPLY_INTEGER && r->integer == -2)
			e = jv_object_set(e, jv_string("gone"), jv_true());
		freeReplyObject(r);
		r = NULL;
		list = jv_array_append(list, e);
	}
	if (rconn_call(&c, &r, &err, "DBSIZE", NULL) < 0)
		goto out;
	*out = jv_object_set(jv_object(), jv_string("keys"), list);
	*out = jv_object_set(*out, jv_string("dbsize"), rconn_reply_jv(r));
	list = jv_invalid();
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	rconn_close(&c);
	jv_free(list);
	jv_free(keys);
	jv_free(seen);
	jv_free(hold);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

int redis_compare_run(struct action_call *call, jv args, jv *out)
{
	struct rconn a, b;
	jv hs, ht, err = jv_invalid(), pats = actarg_get(call, args, "patterns"), res = jv_object(), mism = jv_array();
	const char *src = redis_conn_name(call, args, "source", &hs), *tgt = actarg_str(call, args, "target", &ht);
	jv tolv = actarg_get(call, args, "tolerance");
	double tol = jv_get_kind(tolv) == JV_KIND_NUMBER ? jv_number_value(tolv) : 0;
	int rc = -1, trips;
	double da = 0, db = 0;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.fd = b.fd = -1;
	jv_free(tolv);
	if (!tgt) {
		err = jvx_error("InvalidArgument", "target is required");
		goto out;
	}
	if (jv_get_kind(pats) != JV_KIND_ARRAY)
		pats = jv_array_append(jv_array(), jv_string("*"));
	if (rconn_open(&a, call, src, &err) < 0 || rconn_open(&b, call, tgt, &err) < 0)
		goto out;
	if (redis_scan_count(&a, "*", NULL, 0, &da, &trips, &err) < 0 || redis_scan_count(&b, "*", NULL, 0, &db, &trips, &err) < 0)
		goto out;
	jv_array_foreach(pats, i, p) {
		double na = 0, nb = 0;
		if (jv_get_kind(p) != JV_KIND_STRING) {
			jv_free(p);
			err = jvx_error("InvalidArgument", "patterns must be strings");
			goto out;
		}
		if (redis_scan_count(&a, jv_string_value(p), NULL, 1000, &na, &trips, &err) < 0 ||
		    redis_scan_count(&b, jv_string_value(p), NULL, 1000, &nb, &trips, &err) < 0) {
			jv_free(p);
			goto out;
		}
		double base = na > nb ? na : nb;
		int match = base == 0 || fabs(na - nb) <= tol * base;
		jv e = jv_object_set(jv_object(), jv_string("source"), jv_number(na));
		e = jv_object_set(e, jv_string("target"), jv_number(nb));
		e = jv_object_set(e, jv_string("match"), jv_bool(match));
		if (!match)
			mism = jv_array_append(mism, jv_copy(p));
		res = jv_object_set(res, p, e);
	}
	{
		int n = jv_array_length(jv_copy(mism));
		jv dbs = jv_object_set(jv_object_set(jv_object(), jv_string("source"), jv_number(da)),
				       jv_string("target"), jv_number(db));
		*out = jv_object_set(jv_object(), jv_string("match"), jv_bool(n == 0));
		*out = jv_object_set(*out, jv_string("patterns"), res);
		*out = jv_object_set(*out, jv_string("dbsize"), dbs);
		*out = jv_object_set(*out, jv_string("mismatches"), jv_copy(mism));
		res = jv_invalid();
		if (n && actarg_bool(call, args, "fail_on_mismatch", 0)) {
			char *list = jvx_dump(jv_copy(mism));
			err = jvx_error("Mismatch", "key counts differ between '%s' and '%s' for %s", src, tgt, list);
			err = jv_object_set(err, jv_string("details"), *out);
			free(list);
			goto out;
		}
	}
	rc = 0;
out:
	rconn_close(&a);
	rconn_close(&b);
	jv_free(res);
	jv_free(mism);
	jv_free(pats);
	jv_free(hs);
	jv_free(ht);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}
