/* redis_warm.c — redis.warm: rows (an argument, or a query streamed from PostgreSQL
 * through pg_cursor.h) become pipelined SET / HSET (+ PEXPIRE), two batches in flight. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "redis_priv.h"
#include "../../core/actarg.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"
#include "../pg/pg_cursor.h"

/* "{field}" -> the row's field as text; other braces are literal. Unknown fields fail. */
static int warm_render(const char *tmpl, jv row, int rowno, struct buf *out, jv *err)
{
	int berr = 0;
	buf_reset(out);
	for (const char *p = tmpl; *p;) {
		if (*p == '{' && (isalpha((unsigned char)p[1]) || p[1] == '_')) {
			const char *q = p + 1;
			while (isalnum((unsigned char)*q) || *q == '_')
				q++;
			if (*q == '}') {
				char name[256];
				size_t n = (size_t)(q - p - 1);
				if (n >= sizeof(name))
					n = sizeof(name) - 1;
				memcpy(name, p + 1, n);
				name[n] = 0;
				jv v = jvx_get(row, name);
				if (!jv_is_valid(v)) {
					*err = jvx_error("InvalidArgument", "row %d has no field '%s' (used in template '%s')",
							 rowno, name, tmpl);
					return -1;
				}
				char *t = redis_text(v);
				berr |= buf_adds(out, t);
				free(t);
				jv_free(v);
				p = q + 1;
				continue;
			}
		}
		berr |= buf_addc(out, *p++);
	}
	if (berr) {
		*err = jvx_error("InvalidArgument", "redis.warm: a rendered key or value is too long");
		return -1;
	}
	return 0;
}

/* one warm-up: rows (from the rows arg or streamed from PostgreSQL) become pipelined
 * SET / HSET (+ PEXPIRE) commands, read back a batch at a time */
struct warm {
	struct action_call *call;
	struct rconn c;
	const char *key, *value;
	int hash, dry;
	jv fields;                  /* hash: names to store, or null = every field */
	int64_t ttl, batch, pending, written;
	int64_t inflight;           /* sent, replies not read yet */
	int trips;
	char ttls[32];
	struct buf kb, vb;
	jv sample;                  /* dry-run: the first keys */
};

struct tseg {                   /* a compiled template for query rows */
	const char *lit;            /* literal text before the field */
	size_t litlen;
	int col;                    /* column index, -1: literal only */
};

static int warm_send(struct warm *w, jv *err);

/* replies of everything sent; keeps at most two batches in flight */
static int warm_read(struct warm *w, int64_t n, jv *err)
{
	jv first = jv_invalid();

	if (n <= 0)
		return 0;
	w->trips++;
	if (rconn_read_simple(&w->c, n, &first, err) < 0)
		return -1;
	if (jv_is_valid(first)) {
		*err = jvx_error("RedisError", "redis (connection '%s'): %s", w->c.name, jv_string_value(first));
		*err = jv_object_set(*err, jv_string("rows_before_batch"), jv_number((double)w->written));
		jv_free(first);
		return -1;
	}
	if (action_cancelled(w->call)) {
		*err = jvx_error("Cancelled", "redis.warm cancelled after %lld rows", (long long)w->written);
		return -1;
	}
	return 0;
}

/* a full batch: send it, then read the previous batch's replies (the server works on
 * this one meanwhile) */
static int warm_send(struct warm *w, jv *err)
{
	int64_t prev = w->inflight;

	if (rconn_flush(&w->c, err) < 0)
		return -1;
	w->inflight = w->pending;
	w->pending = 0;
	return warm_read(w, prev, err);
}

static int warm_finish(struct warm *w, jv *err)
{
	if (w->pending && warm_send(w, err) < 0)
		return -1;
	int64_t last = w->inflight;
	w->inflight = 0;
	return warm_read(w, last, err);
}

static void warm_set(struct warm *w, const char *val, size_t vlen)
{
	rconn_resp_begin(&w->c, w->ttl > 0 ? 5 : 3);
	rconn_resp_arg(&w->c, "SET", 3);
	rconn_resp_arg(&w->c, w->kb.data, w->kb.len);
	rconn_resp_arg(&w->c, val, vlen);
	if (w->ttl > 0) {
		rconn_resp_arg(&w->c, "PX", 2);
		rconn_resp_arg(&w->c, w->ttls, strlen(w->ttls));
	}
	w->pending++;
}

static void warm_expire(struct warm *w)
{
	if (w->ttl <= 0)
		return;
	rconn_resp_begin(&w->c, 3);
	rconn_resp_arg(&w->c, "PEXPIRE", 7);
	rconn_resp_arg(&w->c, w->kb.data, w->kb.len);
	rconn_resp_arg(&w->c, w->ttls, strlen(w->ttls));
	w->pending++;
}

/* a row given as JSON (rows arg); borrows row */
static int warm_row(struct warm *w, jv row, int64_t rowno, jv *err)
{
	int berr = 0;
	if (jv_get_kind(row) != JV_KIND_OBJECT) {
		*err = jvx_error("InvalidArgument", "row %lld is not an object", (long long)rowno);
		return -1;
	}
	if (warm_render(w->key, row, (int)rowno, &w->kb, err) < 0)
		return -1;
	if (w->dry) {
		if (jv_array_length(jv_copy(w->sample)) < 5)
			w->sample = jv_array_append(w->sample, jv_string(w->kb.data));
		w->written++;
		return 0;
	}
	if (!w->hash) {
		if (w->value) {
			if (warm_render(w->value, row, (int)rowno, &w->vb, err) < 0)
				return -1;
		} else {
			char *js = jvx_dump(jv_copy(row));
			buf_reset(&w->vb);
			berr |= buf_adds(&w->vb, js);
			free(js);
		}
		warm_set(w, w->vb.data, w->vb.len);
	} else {
		jv names = jv_get_kind(w->fields) == JV_KIND_ARRAY ? jv_copy(w->fields) : jv_keys(jv_copy(row));
		int nf = jv_array_length(jv_copy(names)), argc = 2;
		char **texts = xcalloc((size_t)(nf ? nf : 1), sizeof(char *));
		jv *fnames = xcalloc((size_t)(nf ? nf : 1), sizeof(jv));
		for (int f = 0; f < nf; f++) {
			jv fn = jv_array_get(jv_copy(names), f);
			jv fv = jv_get_kind(fn) == JV_KIND_STRING ? jvx_get(row, jv_string_value(fn)) : jv_invalid();
			fnames[f] = jv_invalid();
			if (!jv_is_valid(fv)) {
				jv_free(fn);
				continue;    /* a listed field absent from this row is skipped */
			}
			texts[f] = redis_text(fv);
			jv_free(fv);
			fnames[f] = fn;
			argc += 2;
		}
		if (argc > 2) {
			rconn_resp_begin(&w->c, argc);
			rconn_resp_arg(&w->c, "HSET", 4);
			rconn_resp_arg(&w->c, w->kb.data, w->kb.len);
			for (int f = 0; f < nf; f++) {
				if (!texts[f])
					continue;
				rconn_resp_arg(&w->c, jv_string_value(fnames[f]), strlen(jv_string_value(fnames[f])));
				rconn_resp_arg(&w->c, texts[f], strlen(texts[f]));
			}
			w->pending++;
			warm_expire(w);
		}
		for (int f = 0; f < nf; f++) {
			free(texts[f]);
			jv_free(fnames[f]);
		}
		free(texts);
		free(fnames);
		jv_free(names);
	}
	BUF_NOCAP(berr);
	w->written++;
	if (w->pending >= w->batch)
		return warm_send(w, err);
	return 0;
}

/* text of a query cell as a template sees it: PostgreSQL's text form, booleans as
 * true/false, NULL as "" */
static const char *warm_cell(const PGresult *r, int row, int col, size_t *len)
{
	if (PQgetisnull(r, row, col)) {
		*len = 0;
		return "";
	}
	if (PQftype(r, col) == 16) {
		int t = PQgetvalue(r, row, col)[0] == 't';
		*len = t ? 4 : 5;
		return t ? "true" : "false";
	}
	*len = (size_t)PQgetlength(r, row, col);
	return PQgetvalue(r, row, col);
}

static int warm_compile(const char *tmpl, const PGresult *r, struct tseg **segs, int *nsegs, jv *err)
{
	int n = 0, alloc = 0;
	const char *lit = tmpl;

	*segs = NULL;
	for (const char *p = tmpl; *p;) {
		if (*p == '{' && (isalpha((unsigned char)p[1]) || p[1] == '_')) {
			const char *q = p + 1;
			while (isalnum((unsigned char)*q) || *q == '_')
				q++;
			if (*q == '}') {
				int col = -1;
				for (int c = 0; c < PQnfields(r); c++) {
					const char *fn = PQfname(r, c);
					if (strlen(fn) == (size_t)(q - p - 1) && !memcmp(fn, p + 1, (size_t)(q - p - 1)))
						col = c;
				}
				if (col < 0) {
					*err = jvx_error("InvalidArgument", "the query has no column '%.*s' (used in template '%s')",
							 (int)(q - p - 1), p + 1, tmpl);
					free(*segs);
					*segs = NULL;
					return -1;
				}
				ALLOC_GROW(*segs, n + 1, alloc);
				(*segs)[n++] = (struct tseg){ lit, (size_t)(p - lit), col };
				p = q + 1;
				lit = p;
				continue;
			}
		}
		p++;
	}
	ALLOC_GROW(*segs, n + 1, alloc);
	(*segs)[n++] = (struct tseg){ lit, strlen(lit), -1 };
	*nsegs = n;
	return 0;
}

static int warm_fill(struct buf *b, const struct tseg *segs, int n, const PGresult *r, int row)
{
	int berr = 0;
	buf_reset(b);
	for (int i = 0; i < n; i++) {
		berr |= buf_add(b, segs[i].lit, segs[i].litlen);
		if (segs[i].col >= 0) {
			size_t len;
			const char *v = warm_cell(r, row, segs[i].col, &len);
			berr |= buf_add(b, v, len);
		}
	}
	return berr;
}

/* the rows of one FETCH */
static int warm_result(struct warm *w, const PGresult *r, struct tseg *ks, int nks, struct tseg *vs, int nvs,
		       const int *hcols, int nh, jv *err)
{
	int berr = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		berr |= warm_fill(&w->kb, ks, nks, r, i);
		w->written++;
		if (w->dry) {
			if (jv_array_length(jv_copy(w->sample)) < 5)
				w->sample = jv_array_append(w->sample, jv_string(w->kb.data));
			continue;
		}
		if (w->hash) {
			rconn_resp_begin(&w->c, 2 + 2 * nh);
			rconn_resp_arg(&w->c, "HSET", 4);
			rconn_resp_arg(&w->c, w->kb.data, w->kb.len);
			for (int h = 0; h < nh; h++) {
				size_t len;
				const char *v = warm_cell(r, i, hcols[h], &len);
				rconn_resp_arg(&w->c, PQfname(r, hcols[h]), strlen(PQfname(r, hcols[h])));
				rconn_resp_arg(&w->c, v, len);
			}
			w->pending++;
			warm_expire(w);
		} else if (vs) {
			berr |= warm_fill(&w->vb, vs, nvs, r, i);
			warm_set(w, w->vb.data, w->vb.len);
		} else {
			jv row = jv_object();
			for (int c = 0; c < PQnfields(r); c++)
				row = jv_object_set(row, jv_string(PQfname(r, c)), pgx_value(r, i, c));
			char *js = jvx_dump(row);
			warm_set(w, js, strlen(js));
			free(js);
		}
		if (w->pending >= w->batch && warm_send(w, err) < 0)
			return -1;
	}
	BUF_NOCAP(berr);
	return 0;
}

#define WARM_FETCH 10000

/* stream the rows of a query (a cursor, FETCH WARM_FETCH at a time, one snapshot) */
static int warm_from_pg(struct warm *w, jv args, jv *err)
{
	int berr = 0;
	struct pgx x;
	jv hc, hs, plist = actarg_get(w->call, args, "params");
	const char *sql = actarg_str(w->call, args, "sql", &hs);
	struct buf decl = BUF_INIT(0);
	struct tseg *ks = NULL, *vs = NULL;
	int nks = 0, nvs = 0, nh = 0, *hcols = NULL;
	char **vals = NULL, fetch[64];
	int n = 0, rc = -1;
	PGresult *r = NULL;

	memset(&x, 0, sizeof(x));
	if (pgx_params(plist, &vals, &n, err) < 0)
		goto out;
	if (pgx_open(&x, w->call, pg_connection_arg(w->call, args, "pg_connection", &hc), err) < 0)
		goto out;
	if (pgx_do(&x, "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", err) < 0)
		goto out;
	berr |= buf_addf(&decl, "DECLARE runbook_warm NO SCROLL CURSOR FOR %s", sql);
	BUF_NOCAP(berr);
	if (pgx_exec(&x, buf_str(&decl), n, (const char *const *)vals, &r, err) < 0)
		goto out;
	PQclear(r);
	r = NULL;
	snprintf(fetch, sizeof(fetch), "FETCH FORWARD %d FROM runbook_warm", WARM_FETCH);
	/* the next FETCH is sent before this one's rows are written: the server reads
	 * while we format and Redis stores */
	if (!PQsendQuery(x.conn, fetch)) {
		*err = pgx_error(&x, NULL);
		goto out;
	}
	for (;;) {
		if (pgx_collect(&x, &r, err) < 0)
			goto out;
		if (!r) {
			*err = jvx_error("PostgresError", "postgres: FETCH returned nothing");
			goto out;
		}
		if (PQntuples(r) > 0 && !PQsendQuery(x.conn, fetch)) {
			*err = pgx_error(&x, NULL);
			goto out;
		}
		if (!ks) {
			/* templates are checked against the columns before anything is written */
			if (warm_compile(w->key, r, &ks, &nks, err) < 0)
				goto out;
			if (!w->hash && w->value && warm_compile(w->value, r, &vs, &nvs, err) < 0)
				goto out;
			if (w->hash) {
				hcols = xcalloc((size_t)PQnfields(r) + 1, sizeof(int));
				for (int c = 0; c < PQnfields(r); c++) {
					int want = 1;
					if (jv_get_kind(w->fields) == JV_KIND_ARRAY) {
						want = 0;
						jv_array_foreach(w->fields, i, f) {
							if (jv_get_kind(f) == JV_KIND_STRING && !strcmp(jv_string_value(f), PQfname(r, c)))
								want = 1;
							jv_free(f);
						}
					}
					if (want)
						hcols[nh++] = c;
				}
				if (!nh) {
					*err = jvx_error("InvalidArgument", "none of the fields is a column of the query");
					goto out;
				}
			}
		}
		if (PQntuples(r) == 0)
			break;
		if (warm_result(w, r, ks, nks, vs, nvs, hcols, nh, err) < 0)
			goto out;
		PQclear(r);
		r = NULL;
	}
	rc = 0;
out:
	PQclear(r);
	pgx_close(&x);
	pgx_params_free(vals, n);
	free(ks);
	free(vs);
	free(hcols);
	buf_release(&decl);
	jv_free(plist);
	jv_free(hc);
	jv_free(hs);
	return rc;
}

static int redis_warm_common(struct action_call *call, jv args, jv *out, int dry)
{
	struct warm w;
	jv hold = jv_invalid(), hk, hv, ht, rows = actarg_get(call, args, "rows"), sqlv = actarg_get(call, args, "sql");
	jv err = jv_invalid();
	const char *type;
	int rc = -1;
	int64_t t0 = action_mono_ms();

	memset(&w, 0, sizeof(w));
	w.call = call;
	w.c.fd = -1;
	w.dry = dry;
	buf_init(&w.kb, 0);
	buf_init(&w.vb, 0);
	w.sample = jv_array();
	w.fields = actarg_get(call, args, "fields");
	w.key = actarg_str(call, args, "key", &hk);
	w.value = actarg_str(call, args, "value", &hv);
	type = actarg_str(call, args, "type", &ht);
	w.ttl = actarg_ms(call, args, "ttl", 0);
	w.batch = actarg_int(call, args, "batch", 1000);
	if (w.batch < 1)
		w.batch = 1;
	snprintf(w.ttls, sizeof(w.ttls), "%lld", (long long)w.ttl);
	w.hash = type && !strcmp(type, "hash");
	if (!w.key) {
		err = jvx_error("InvalidArgument", "key is required");
		goto out;
	}
	if ((jv_get_kind(rows) == JV_KIND_ARRAY) == (jv_get_kind(sqlv) == JV_KIND_STRING)) {
		err = jvx_error("InvalidArgument", "give either rows (a list) or sql (a query streamed from pg_connection)");
		goto out;
	}
	if (type && !w.hash && strcmp(type, "string")) {
		err = jvx_error("InvalidArgument", "type must be string or hash, not '%s'", type);
		goto out;
	}
	if (w.hash && w.value) {
		err = jvx_error("InvalidArgument", "value is for type string; type hash stores fields");
		goto out;
	}
	if (w.ttl < 0) {
		err = jvx_error("InvalidArgument", "ttl must be a duration");
		goto out;
	}
	/* dry-run: rows are rendered (unknown fields are caught), the query runs read only,
	 * nothing is written; the connection is still checked */
	if (rconn_open(&w.c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0)
		goto out;
	if (jv_get_kind(rows) == JV_KIND_ARRAY) {
		int nrows = jv_array_length(jv_copy(rows));
		for (int i = 0; i < nrows; i++) {
			jv row = jv_array_get(jv_copy(rows), i);
			int wr = warm_row(&w, row, i + 1, &err);
			jv_free(row);
			if (wr < 0)
				goto out;
		}
	} else if (warm_from_pg(&w, args, &err) < 0) {
		goto out;
	}
	if (!dry && warm_finish(&w, &err) < 0)
		goto out;
	if (dry) {
		*out = jv_object_set(jv_object(), jv_string("dry_run"), jv_true());
		*out = jv_object_set(*out, jv_string("would_write"), jv_number((double)w.written));
		*out = jv_object_set(*out, jv_string("type"), jv_string(w.hash ? "hash" : "string"));
		*out = jv_object_set(*out, jv_string("sample_keys"), w.sample);
		w.sample = jv_invalid();
	} else {
		*out = jv_object_set(jv_object(), jv_string("keys_written"), jv_number((double)w.written));
		*out = jv_object_set(*out, jv_string("round_trips"), jv_number(w.trips));
		*out = jv_object_set(*out, jv_string("ms"), jv_number((double)(action_mono_ms() - t0)));
	}
	rc = 0;
out:
	rconn_close(&w.c);
	buf_release(&w.kb);
	buf_release(&w.vb);
	jv_free(w.sample);
	jv_free(w.fields);
	jv_free(rows);
	jv_free(sqlv);
	jv_free(hk);
	jv_free(hv);
	jv_free(ht);
	jv_free(hold);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

int redis_warm_run(struct action_call *call, jv args, jv *out)
{
	return redis_warm_common(call, args, out, 0);
}

int redis_warm_dry(struct action_call *call, jv args, jv *out)
{
	return redis_warm_common(call, args, out, 1);
}
