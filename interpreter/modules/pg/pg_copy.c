/* pg_copy.c — pg.copy_table: COPY TO STDOUT on the source streamed into COPY FROM STDIN
 * on the target, row by row through this process (no temporary file). The source reads
 * one REPEATABLE READ snapshot; the target does CREATE / TRUNCATE / COPY in one
 * transaction, so a failure (or the runbook's rollback) leaves it as it was.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pg.h"
#include "pg_priv.h"
#include "../../core/actarg.h"
#include "../../core/bug.h"
#include "../../core/dur.h"
#include "../../core/jvx.h"

struct copy_spec {
	const char *table, *target_table, *where, *time_column, *since, *until, *format;
	jv columns;
	int truncate, create;
};

/* SELECT part (or the bare table) for the source; literals quoted by libpq */
static int copy_source_sql(struct pgx *x, const struct copy_spec *s, int for_count,
			   struct buf *out, jv *err)
{
	int berr = 0;
	struct buf qt = BUF_INIT(0), cond = BUF_INIT(0);
	int ncols = jv_get_kind(s->columns) == JV_KIND_ARRAY ? jv_array_length(jv_copy(s->columns)) : 0;
	int rc = -1;

	if (pgx_quote_table(x, s->table, &qt, err) < 0)
		goto out;
	if (s->where && *s->where)
		berr |= buf_addf(&cond, "(%s)", s->where);
	for (int i = 0; i < 2; i++) {
		const char *ts = i == 0 ? s->since : s->until;
		int64_t ms;
		char *lit;
		if (!ts)
			continue;
		if (!s->time_column) {
			*err = jvx_error("InvalidArgument", "since/until need time_column");
			goto out;
		}
		if (ts_parse(ts, &ms) < 0) {
			*err = jvx_error("InvalidArgument", "'%s' is not an RFC 3339 timestamp", ts);
			goto out;
		}
		lit = PQescapeLiteral(x->conn, ts, strlen(ts));
		if (!lit) {
			*err = pgx_error(x, NULL);
			goto out;
		}
		if (cond.len)
			berr |= buf_adds(&cond, " AND ");
		if (pgx_quote_ident(x, s->time_column, &cond, err) < 0) {
			PQfreemem(lit);
			goto out;
		}
		berr |= buf_addf(&cond, i == 0 ? " >= %s::timestamptz" : " < %s::timestamptz", lit);
		PQfreemem(lit);
	}
	if (!for_count && !cond.len && !ncols) {
		berr |= buf_adds(out, buf_str(&qt));
		BUF_NOCAP(berr);
		rc = 0;
		goto out;
	}
	berr |= buf_adds(out, for_count ? "SELECT count(*) FROM " : "(SELECT ");
	if (!for_count) {
		if (ncols) {
			jv_array_foreach(s->columns, i, c) {
				if (i)
					berr |= buf_adds(out, ", ");
				if (jv_get_kind(c) != JV_KIND_STRING || pgx_quote_ident(x, jv_string_value(c), out, err) < 0) {
					if (jv_get_kind(c) != JV_KIND_STRING)
						*err = jvx_error("InvalidArgument", "columns must be names");
					jv_free(c);
					goto out;
				}
				jv_free(c);
			}
		} else {
			berr |= buf_adds(out, "*");
		}
		berr |= buf_adds(out, " FROM ");
	}
	berr |= buf_adds(out, buf_str(&qt));
	if (cond.len)
		berr |= buf_addf(out, " WHERE %s", buf_str(&cond));
	if (!for_count)
		berr |= buf_adds(out, ")");
	BUF_NOCAP(berr);
	rc = 0;
out:
	buf_release(&qt);
	buf_release(&cond);
	return rc;
}

static int copy_column_list(struct pgx *x, jv columns, struct buf *out, jv *err)
{
	int berr = 0;
	if (jv_get_kind(columns) != JV_KIND_ARRAY || jv_array_length(jv_copy(columns)) == 0)
		return 0;
	berr |= buf_adds(out, " (");
	jv_array_foreach(columns, i, c) {
		if (i)
			berr |= buf_adds(out, ", ");
		if (pgx_quote_ident(x, jv_string_value(c), out, err) < 0) {
			jv_free(c);
			return -1;
		}
		jv_free(c);
	}
	berr |= buf_adds(out, ")");
	BUF_NOCAP(berr);
	return 0;
}

/* CREATE TABLE on the target: LIKE a table of the source's name there, else the
 * source's column definitions */
static int copy_create(struct pgx *src, struct pgx *tgt, const struct copy_spec *s, jv *err)
{
	int berr = 0;
	struct buf sql = BUF_INIT(0), qtt = BUF_INIT(0), qt = BUF_INIT(0);
	jv e = jv_invalid(), defs = jv_null(), pk = jv_null();
	char *cols_json = NULL;
	int rc = -1, like;

	if (pgx_quote_table(tgt, s->target_table, &qtt, err) < 0 || pgx_quote_table(src, s->table, &qt, err) < 0)
		goto out;
	like = !(jv_get_kind(s->columns) == JV_KIND_ARRAY && jv_array_length(jv_copy(s->columns)) > 0) &&
	       strcmp(s->table, s->target_table) && pgx_table_exists(tgt, s->table, &e) == 1;
	jv_free(e);
	if (like) {
		berr |= buf_addf(&sql, "CREATE TABLE %s (LIKE %s INCLUDING ALL)", buf_str(&qtt), buf_str(&qt));
	} else {
		cols_json = jvx_dump(jv_get_kind(s->columns) == JV_KIND_ARRAY ? jv_copy(s->columns) : jv_array());
		const char *p[] = { buf_str(&qt), cols_json };
		if (pgx_scalar(src, "SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod)"
			       " || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)"
			       " FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped"
			       " AND (jsonb_array_length($2::jsonb) = 0 OR $2::jsonb ? attname)", 2, p, &defs, err) < 0)
			goto out;
		if (jv_get_kind(defs) != JV_KIND_STRING) {
			*err = jvx_error("InvalidArgument", "table '%s' has none of the columns asked for", s->table);
			goto out;
		}
		berr |= buf_addf(&sql, "CREATE TABLE %s (%s", buf_str(&qtt), jv_string_value(defs));
		/* the primary key too, when every key column is copied (checksums order by it) */
		if (pgx_primary_key(src, buf_str(&qt), &pk, err) < 0)
			goto out;
		int all = jv_array_length(jv_copy(pk)) > 0;
		if (jv_get_kind(s->columns) == JV_KIND_ARRAY && jv_array_length(jv_copy(s->columns)) > 0) {
			jv_array_foreach(pk, i, k) {
				int found = 0;
				jv_array_foreach(s->columns, j, cn) {
					if (jv_equal(jv_copy(k), cn))
						found = 1;
				}
				if (!found)
					all = 0;
				jv_free(k);
			}
		}
		if (all) {
			berr |= buf_adds(&sql, ", PRIMARY KEY (");
			if (pgx_ident_list(tgt, pk, &sql, err) < 0)
				goto out;
			berr |= buf_adds(&sql, ")");
		}
		berr |= buf_adds(&sql, ")");
	}
	BUF_NOCAP(berr);
	if (pgx_do(tgt, buf_str(&sql), err) < 0)
		goto out;
	rc = 0;
out:
	free(cols_json);
	jv_free(pk);
	jv_free(defs);
	buf_release(&sql);
	buf_release(&qtt);
	buf_release(&qt);
	return rc;
}

static void copy_abort_target(struct pgx *tgt, int in_copy)
{
	jv e = jv_invalid();
	PGresult *r = NULL;

	if (!tgt->conn)
		return;
	if (in_copy) {
		PQputCopyEnd(tgt->conn, "aborted by runbook");
		if (pgx_collect(tgt, &r, &e) == 0)
			PQclear(r);
		jv_free(e);
		e = jv_invalid();
	}
	pgx_do(tgt, "ROLLBACK", &e);
	jv_free(e);
}

static int pg_copy_common(struct action_call *call, jv args, jv *out, int dry)
{
	int berr = 0;
	struct pgx src = { 0 }, tgt = { 0 };
	struct copy_spec s = { 0 };
	jv hs, ht, htab, htt, hw, htc, hsi, hun, hf, err = jv_invalid(), e = jv_invalid(), cnt = jv_null();
	struct buf sel = BUF_INIT(0), sql = BUF_INIT(0), qtt = BUF_INIT(0);
	const char *srcname = pg_connection_arg(call, args, "source", &hs);
	const char *tgtname = actarg_str(call, args, "target", &ht);
	PGresult *r = NULL;
	int rc = -1, exists, tx = 0, in_copy = 0, src_copy = 0, created = 0;
	int64_t bytes = 0, rows = 0, t0 = action_mono_ms();

	s.table = actarg_str(call, args, "table", &htab);
	s.target_table = actarg_str(call, args, "target_table", &htt);
	s.where = actarg_str(call, args, "where", &hw);
	s.time_column = actarg_str(call, args, "time_column", &htc);
	s.since = actarg_str(call, args, "since", &hsi);
	s.until = actarg_str(call, args, "until", &hun);
	s.format = actarg_str(call, args, "format", &hf);
	s.columns = actarg_get(call, args, "columns");
	s.truncate = actarg_bool(call, args, "truncate", 0);
	s.create = actarg_bool(call, args, "create", 0);
	if (!s.format)
		s.format = "text";
	if (!s.table || !tgtname) {
		err = jvx_error("InvalidArgument", "table and target are required");
		goto out;
	}
	if (!s.target_table)
		s.target_table = s.table;
	if (strcmp(s.format, "text") && strcmp(s.format, "binary") && strcmp(s.format, "csv")) {
		err = jvx_error("InvalidArgument", "format must be text, csv or binary, not '%s'", s.format);
		goto out;
	}
	if (pgx_open(&src, call, srcname, &err) < 0 || pgx_open(&tgt, call, tgtname, &err) < 0)
		goto out;
	if (pgx_table_exists(&src, s.table, &err) != 1)
		goto out;
	exists = pgx_table_exists(&tgt, s.target_table, &e);
	if (exists < 0) {
		err = e;
		e = jv_invalid();
		goto out;
	}
	jv_free(e);
	e = jv_invalid();
	if (!exists && !s.create) {
		err = jvx_error("UndefinedTable", "postgres (connection '%s'): target table '%s' does not exist (create: true makes it)",
				tgtname, s.target_table);
		goto out;
	}
	if (pgx_quote_table(&tgt, s.target_table, &qtt, &err) < 0)
		goto out;

	if (dry) {
		if (copy_source_sql(&src, &s, 1, &sel, &err) < 0)
			goto out;
		BUF_NOCAP(berr);
		if (pgx_scalar(&src, buf_str(&sel), 0, NULL, &cnt, &err) < 0)
			goto out;
		*out = jv_object();
		*out = jv_object_set(*out, jv_string("dry_run"), jv_true());
		*out = jv_object_set(*out, jv_string("table"), jv_string(s.table));
		*out = jv_object_set(*out, jv_string("target_table"), jv_string(s.target_table));
		*out = jv_object_set(*out, jv_string("would_copy_rows"), cnt);
		*out = jv_object_set(*out, jv_string("target_exists"), jv_bool(exists));
		*out = jv_object_set(*out, jv_string("would_create"), jv_bool(!exists && s.create));
		*out = jv_object_set(*out, jv_string("would_truncate"), jv_bool(exists && s.truncate));
		cnt = jv_null();
		rc = 0;
		goto out;
	}

	/* one snapshot of the source */
	if (pgx_do(&src, "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", &err) < 0)
		goto out;
	if (pgx_do(&tgt, "BEGIN", &err) < 0)
		goto out;
	tx = 1;
	if (!exists) {
		if (copy_create(&src, &tgt, &s, &err) < 0)
			goto out;
		created = 1;
	} else if (s.truncate) {
		berr |= buf_addf(&sql, "TRUNCATE %s", buf_str(&qtt));
		BUF_NOCAP(berr);
		if (pgx_do(&tgt, buf_str(&sql), &err) < 0)
			goto out;
	}
	if (copy_source_sql(&src, &s, 0, &sel, &err) < 0)
		goto out;
	buf_reset(&sql);
	berr |= buf_addf(&sql, "COPY %s TO STDOUT", buf_str(&sel));
	if (strcmp(s.format, "text"))
		berr |= buf_addf(&sql, " WITH (FORMAT %s)", s.format);
	BUF_NOCAP(berr);
	if (pgx_exec(&src, buf_str(&sql), -1, NULL, &r, &err) < 0)
		goto out;
	if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
		err = jvx_error("PostgresError", "postgres (connection '%s'): COPY TO STDOUT did not start", srcname);
		goto out;
	}
	PQclear(r);
	r = NULL;
	src_copy = 1;
	buf_reset(&sql);
	berr |= buf_addf(&sql, "COPY %s", buf_str(&qtt));
	if (copy_column_list(&tgt, s.columns, &sql, &err) < 0)
		goto out;
	berr |= buf_adds(&sql, " FROM STDIN");
	if (strcmp(s.format, "text"))
		berr |= buf_addf(&sql, " WITH (FORMAT %s)", s.format);
	BUF_NOCAP(berr);
	if (pgx_exec(&tgt, buf_str(&sql), -1, NULL, &r, &err) < 0)
		goto out;
	if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
		err = jvx_error("PostgresError", "postgres (connection '%s'): COPY FROM STDIN did not start", tgtname);
		goto out;
	}
	PQclear(r);
	r = NULL;
	in_copy = 1;

	for (;;) {
		char *data = NULL;
		int n = PQgetCopyData(src.conn, &data, 1);
		if (n > 0) {
			int p = PQputCopyData(tgt.conn, data, n);
			PQfreemem(data);
			if (p != 1) {
				err = pgx_error(&tgt, NULL);
				goto out;
			}
			bytes += n;
			continue;
		}
		if (n == 0) {
			int w = action_wait_fd(call, PQsocket(src.conn), POLLIN, src.deadline);
			if (w <= 0) {
				err = pgx_stop_error(&src, w == -1 ? 1 : 2);
				pgx_close(&src);
				goto out;
			}
			if (!PQconsumeInput(src.conn)) {
				err = pgx_error(&src, NULL);
				goto out;
			}
			continue;
		}
		if (n == -2) {
			err = pgx_error(&src, NULL);
			goto out;
		}
		break;
	}
	src_copy = 0;
	if (pgx_collect(&src, &r, &err) < 0)
		goto out;
	PQclear(r);
	r = NULL;
	if (PQputCopyEnd(tgt.conn, NULL) != 1) {
		err = pgx_error(&tgt, NULL);
		goto out;
	}
	in_copy = 0;
	if (pgx_collect(&tgt, &r, &err) < 0)
		goto out;
	rows = r ? strtoll(PQcmdTuples(r), NULL, 10) : 0;
	PQclear(r);
	r = NULL;
	tx = 0;
	if (pgx_do(&tgt, "COMMIT", &err) < 0)
		goto out;
	{
		jv e2 = jv_invalid();
		pgx_do(&src, "COMMIT", &e2);
		jv_free(e2);
	}
	{
		int64_t ms = action_mono_ms() - t0;
		*out = jv_object();
		*out = jv_object_set(*out, jv_string("table"), jv_string(s.table));
		*out = jv_object_set(*out, jv_string("target_table"), jv_string(s.target_table));
		*out = jv_object_set(*out, jv_string("rows"), jv_number((double)rows));
		*out = jv_object_set(*out, jv_string("bytes"), jv_number((double)bytes));
		*out = jv_object_set(*out, jv_string("truncated"), jv_bool(exists && s.truncate));
		*out = jv_object_set(*out, jv_string("created"), jv_bool(created));
		*out = jv_object_set(*out, jv_string("ms"), jv_number((double)ms));
	}
	rc = 0;
out:
	if (rc < 0 && tx)
		copy_abort_target(&tgt, in_copy);
	(void)src_copy;   /* a source mid-COPY is simply closed */
	PQclear(r);
	pgx_close(&src);
	pgx_close(&tgt);
	buf_release(&sel);
	buf_release(&sql);
	buf_release(&qtt);
	jv_free(cnt);
	jv_free(e);
	jv_free(s.columns);
	jv_free(hs);
	jv_free(ht);
	jv_free(htab);
	jv_free(htt);
	jv_free(hw);
	jv_free(htc);
	jv_free(hsi);
	jv_free(hun);
	jv_free(hf);
	jv_free(args);
	if (rc < 0) {
		if (tx && jv_is_valid(err))
			err = jv_object_set(err, jv_string("rolled_back"), jv_true());
		*out = err;
	}
	return rc;
}

int pg_copy_table_run(struct action_call *call, jv args, jv *out)
{
	return pg_copy_common(call, args, out, 0);
}

int pg_copy_table_dry(struct action_call *call, jv args, jv *out)
{
	return pg_copy_common(call, args, out, 1);
}
