/* pg.c — the pg module: PostgreSQL actions over libpq (issue 4). The descriptor table
 * below is the contract; `runbook actions` and runbook-actions(7) print it.
 *
 * Every action opens its own connection (pg_conn.c) on the worker thread and closes it
 * before returning. Identifiers from args are quoted with PQescapeIdentifier; values are
 * bound as parameters, never spliced. In --dry-run every transaction is READ ONLY and the
 * mutating actions only describe what they would do.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pg.h"
#include "pg_priv.h"
#include "../../core/actarg.h"
#include "../../core/backoff.h"
#include "../registry.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"

#define CONN_ARG { "connection", ARG_STRING, 0, "\"default\"", \
	"named connection (connections.pg.NAME); with no connections.pg, libpq's environment (PGHOST, ...)" }
#define PG_ARGS_END { NULL, 0, 0, NULL, NULL }

static const struct action_arg pg_query_args[] = {
	{ "sql", ARG_STRING, ARG_REQUIRED, NULL, "one SQL statement; $1, $2, ... refer to params" },
	{ "params", ARG_LIST, 0, NULL, "values bound to $1, $2, ... (null = SQL NULL; lists/maps as JSON)" },
	{ "limit", ARG_INT, ARG_RANGE, "10000", "at most this many rows are returned (truncated: true beyond)",
	  .min = 1, .max = 100000000 },
	CONN_ARG, PG_ARGS_END,
};
static const struct action_arg pg_exec_args[] = {
	{ "sql", ARG_STRING_OR_LIST, ARG_REQUIRED, NULL, "SQL statements (a string may hold several separated by ';')" },
	{ "params", ARG_LIST, 0, NULL, "values bound to $1, ... (only with a single statement)" },
	{ "transaction", ARG_BOOL, 0, "true", "run every statement in one transaction" },
	CONN_ARG, PG_ARGS_END,
};
static const struct action_arg pg_assert_args[] = {
	{ "sql", ARG_STRING, ARG_REQUIRED, NULL, "a query; its first column of the first row is the actual value" },
	{ "params", ARG_LIST, 0, NULL, "values bound to $1, ..." },
	{ "equals", ARG_ANY, 0, NULL, "the actual value must equal this" },
	{ "min", ARG_NUMBER, 0, NULL, "the actual value must be >= this" },
	{ "max", ARG_NUMBER, 0, NULL, "the actual value must be <= this" },
	{ "empty", ARG_BOOL, 0, NULL, "true: the query must return no rows (false: at least one); actual is the row count" },
	{ "message", ARG_STRING, 0, NULL, "what the check means, shown when it fails" },
	CONN_ARG, PG_ARGS_END,
};
static const struct action_arg pg_wait_ready_args[] = {
	{ "timeout", ARG_DURATION, ARG_NONEMPTY, "\"5m\"", "give up after this long" },
	{ "interval", ARG_DURATION, ARG_NONEMPTY, "\"2s\"", "between attempts" },
	CONN_ARG, PG_ARGS_END,
};
static const struct action_arg pg_row_counts_args[] = {
	{ "tables", ARG_LIST, 0, NULL, "tables (t or schema.t); default: every user table" },
	{ "exact", ARG_BOOL, 0, "true", "count(*) (false: the planner's estimate, reltuples)" },
	CONN_ARG, PG_ARGS_END,
};
static const struct action_arg pg_checksum_args[] = {
	{ "table", ARG_STRING, ARG_REQUIRED, NULL, "table (t or schema.t)" },
	{ "columns", ARG_LIST, 0, NULL, "columns to digest (default: all)" },
	{ "key", ARG_LIST, 0, NULL, "order of rows (default: the primary key; none: every column)" },
	{ "where", ARG_STRING, 0, NULL, "SQL condition restricting the rows (written by the runbook author)" },
	CONN_ARG, PG_ARGS_END,
};
static const struct action_arg pg_compare_args[] = {
	{ "source", ARG_STRING, 0, "\"default\"", "first connection" },
	{ "target", ARG_STRING, ARG_REQUIRED, NULL, "second connection" },
	{ "tables", ARG_LIST, 0, NULL, "tables to compare (default: every user table of source)" },
	{ "checksum", ARG_BOOL, 0, "true", "compare digests of the rows too, not only counts" },
	{ "exact", ARG_BOOL, 0, "true", "exact row counts" },
	{ "fail_on_mismatch", ARG_BOOL, 0, "false", "fail the step when anything differs" },
	PG_ARGS_END,
};
static const struct action_arg pg_integrity_args[] = {
	{ "schemas", ARG_LIST, 0, NULL, "schemas to check (default: every user schema)" },
	{ "rules", ARG_LIST, 0, NULL, "extra checks: [{name, sql, params?}], each query's first value must be 0" },
	{ "foreign_keys", ARG_BOOL, 0, "true", "count orphans of every foreign key in the catalog" },
	{ "null_keys", ARG_BOOL, 0, "true", "count NULLs in primary key columns (a full scan per table)" },
	{ "fail", ARG_BOOL, 0, "true", "fail the step when a problem is found" },
	CONN_ARG, PG_ARGS_END,
};
static const struct action_arg pg_copy_table_args[] = {
	{ "table", ARG_STRING, ARG_REQUIRED, NULL, "source table (t or schema.t)" },
	{ "target", ARG_STRING, ARG_REQUIRED, NULL, "connection to copy into" },
	{ "source", ARG_STRING, 0, "\"default\"", "connection to copy from" },
	{ "target_table", ARG_STRING, 0, NULL, "table in target (default: same name)" },
	{ "columns", ARG_LIST, 0, NULL, "columns to copy (default: all)" },
	{ "where", ARG_STRING, 0, NULL, "SQL condition on source rows (written by the runbook author)" },
	{ "time_column", ARG_STRING, 0, NULL, "column for since/until" },
	{ "since", ARG_TIMESTAMP, 0, NULL, "only rows with time_column >= since" },
	{ "until", ARG_TIMESTAMP, 0, NULL, "only rows with time_column < until" },
	{ "truncate", ARG_BOOL, 0, "false", "empty the target table first (same transaction)" },
	{ "create", ARG_BOOL, 0, "false", "create the target table when missing (LIKE an existing table of that name in target, else the source's columns)" },
	{ "format", ARG_STRING, 0, "\"text\"", "COPY format: text, csv or binary (binary needs identical column types)",
	  .choices = "text|csv|binary" },
	PG_ARGS_END,
};
static const struct action_arg pg_terminate_args[] = {
	{ "database", ARG_STRING, 0, NULL, "database whose sessions end (default: the connection's)" },
	CONN_ARG, PG_ARGS_END,
};

static int pg_query_run(struct action_call *call, jv args, jv *out);
static int pg_exec_run(struct action_call *call, jv args, jv *out);
static int pg_exec_dry(struct action_call *call, jv args, jv *out);
static int pg_assert_run(struct action_call *call, jv args, jv *out);
static int pg_wait_ready_run(struct action_call *call, jv args, jv *out);
static int pg_row_counts_run(struct action_call *call, jv args, jv *out);
static int pg_checksum_run(struct action_call *call, jv args, jv *out);
static int pg_compare_run(struct action_call *call, jv args, jv *out);
static int pg_integrity_run(struct action_call *call, jv args, jv *out);
static int pg_terminate_run(struct action_call *call, jv args, jv *out);
static int pg_terminate_dry(struct action_call *call, jv args, jv *out);

/* result fields (what `.steps.X.result.F` may read; checked at validation) */
static const struct action_result res_column[] = {
	{"name", ARG_STRING, "column name", NULL},
	{"type", ARG_STRING, "its PostgreSQL type", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_query[] = {
	{"columns", ARG_LIST, "[{name, type}]", res_column},
	{"rows", ARG_LIST, "rows as objects typed by column type; free-form below", NULL},
	{"row_count", ARG_INT, "rows returned", NULL},
	{"truncated", ARG_BOOL, "more rows than max_rows", NULL},
	{"command", ARG_STRING, "the command tag", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_stmt[] = {
	{"command", ARG_STRING, "the command tag", NULL},
	{"rows_affected", ARG_INT, "rows affected", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_exec[] = {
	{"statements", ARG_INT, "statements run", NULL},
	{"results", ARG_LIST, "one per statement", res_stmt},
	{"transaction", ARG_BOOL, "run in one transaction", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_assert[] = {
	{"actual", ARG_ANY, "the value the query returned", NULL},
	{"passed", ARG_BOOL, "the check held", NULL},
	{"row_count", ARG_INT, "rows returned", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_ready[] = {
	{"ready", ARG_BOOL, "the server accepts sessions", NULL},
	{"attempts", ARG_INT, "tries", NULL},
	{"waited_ms", ARG_INT, "time waited", NULL},
	{"server_version", ARG_STRING, "server version", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_counts[] = {
	{"counts", ARG_MAP, "table -> rows", NULL},
	{"total", ARG_INT, "sum of the counts", NULL},
	{"exact", ARG_BOOL, "count(*) rather than estimates", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_checksum[] = {
	{"table", ARG_STRING, "table", NULL},
	{"digest", ARG_STRING, "md5 of the rows in key order", NULL},
	{"algorithm", ARG_STRING, "digest algorithm", NULL},
	{"rows", ARG_INT, "rows read", NULL},
	{"key", ARG_LIST, "key columns", NULL},
	{"columns", ARG_LIST, "columns digested", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_compare[] = {
	{"match", ARG_BOOL, "every table matches", NULL},
	{"tables", ARG_MAP, "table -> {source_rows, target_rows, source_digest, target_digest, match}", NULL},
	{"mismatches", ARG_LIST, "tables that differ", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_integrity[] = {
	{"ok", ARG_BOOL, "no problem found", NULL},
	{"problems", ARG_INT, "how many problems", NULL},
	{"foreign_keys", ARG_LIST, "[{constraint, table, columns, references, orphans}]", NULL},
	{"null_keys", ARG_LIST, "primary keys with NULLs", NULL},
	{"rules", ARG_LIST, "[{name, value}] of the user rules", NULL},
	{"tables_without_primary_key", ARG_LIST, "tables without a primary key", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_copy[] = {
	{"table", ARG_STRING, "source table", NULL},
	{"target_table", ARG_STRING, "target table", NULL},
	{"rows", ARG_INT, "rows copied", NULL},
	{"bytes", ARG_INT, "bytes streamed", NULL},
	{"truncated", ARG_BOOL, "the target was truncated first", NULL},
	{"created", ARG_BOOL, "the target table was created", NULL},
	{"ms", ARG_INT, "time taken", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_terminate[] = {
	{"database", ARG_STRING, "database", NULL},
	{"terminated", ARG_LIST, "[{pid, user, application, client, state}]", NULL},
	{"count", ARG_INT, "sessions ended", NULL},
	{NULL, 0, NULL, NULL},
};

static const struct action_desc pg_actions[] = {
	{ "pg.query", "run a query; rows as JSON objects typed by column type (read only in --dry-run)",
	  pg_query_args, "{columns: [{name, type}], rows: [{...}], row_count, truncated, command}",
	  ACT_IDEMPOTENT, 50, pg_query_run, NULL, NULL, NULL,
	  .results = res_query },
	{ "pg.exec", "run statements, in one transaction unless transaction: false",
	  pg_exec_args, "{statements, results: [{command, rows_affected}], transaction}",
	  ACT_MUTATING, 200, pg_exec_run, NULL, pg_exec_dry, NULL,
	  .results = res_exec },
	{ "pg.assert", "run a query and check its value (equals / min / max / empty); fails with the actual value",
	  pg_assert_args, "{actual, passed, row_count}",
	  ACT_IDEMPOTENT, 50, pg_assert_run, NULL, NULL, NULL,
	  .results = res_assert },
	{ "pg.wait_ready", "wait until the server accepts connections (PQping) and a session opens",
	  pg_wait_ready_args, "{ready, attempts, waited_ms, server_version}",
	  ACT_IDEMPOTENT, 2000, pg_wait_ready_run, NULL, NULL, NULL,
	  .results = res_ready },
	{ "pg.row_counts", "row counts of listed or all user tables (exact or estimated)",
	  pg_row_counts_args, "{counts: {table: n}, total, exact}",
	  ACT_IDEMPOTENT, 500, pg_row_counts_run, NULL, NULL, NULL,
	  .results = res_counts },
	{ "pg.checksum", "md5 of a table's rows (or columns) in key order, streamed with COPY",
	  pg_checksum_args, "{table, digest, algorithm, rows, key, columns}",
	  ACT_IDEMPOTENT, 1000, pg_checksum_run, NULL, NULL, NULL,
	  .results = res_checksum },
	{ "pg.compare", "row counts and checksums of the same tables in two connections",
	  pg_compare_args, "{match, tables: {table: {source_rows, target_rows, source_digest, target_digest, match}}, mismatches}",
	  ACT_IDEMPOTENT, 2000, pg_compare_run, NULL, NULL, NULL,
	  .results = res_compare },
	{ "pg.integrity", "orphans of every foreign key in the catalog, NULL primary keys, user rules",
	  pg_integrity_args, "{ok, problems, foreign_keys: [{constraint, table, columns, references, orphans}], null_keys: [...], rules: [{name, value}], tables_without_primary_key}",
	  ACT_IDEMPOTENT, 2000, pg_integrity_run, NULL, NULL, NULL,
	  .results = res_integrity },
	{ "pg.copy_table", "stream a table (or a WHERE / time range of it) from one connection into another with COPY, in one target transaction",
	  pg_copy_table_args, "{table, target_table, rows, bytes, truncated, created, ms}",
	  ACT_MUTATING, 60000, pg_copy_table_run, NULL, pg_copy_table_dry, NULL,
	  .results = res_copy },
	{ "pg.terminate_connections", "end every other session of a database (pg_terminate_backend), e.g. for a cutover",
	  pg_terminate_args, "{database, terminated: [{pid, user, application, client, state}], count}",
	  ACT_MUTATING | ACT_IDEMPOTENT, 100, pg_terminate_run, NULL, pg_terminate_dry, NULL,
	  .results = res_terminate },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const struct action_arg pg_conn_args[] = {
	{ "conninfo", ARG_STRING, ARG_REQUIRED, NULL,
	  "libpq conninfo or URI (host=... dbname=... sslmode=...); its password is redacted; no TLS to another machine is warned about once" },
	PG_ARGS_END,
};

static int pg_init(void)
{
	return 0;
}

static void pg_cleanup(void)
{
}

const struct module_desc pg_module = {
	"pg",
	"PostgreSQL: queries, checks, checksums, integrity, COPY between servers (libpq)",
	pg_actions,
	pg_conn_args, 1,
	pg_init, pg_cleanup,
};

const char *pg_connection_arg(struct action_call *call, jv args, const char *name, jv *hold)
{
	const char *s = actarg_str(call, args, name, hold);
	return s ? s : "default";
}

/* ---- pg.query ---- */

static int pg_query_common(struct action_call *call, jv args, jv *out, int64_t limit_override)
{
	struct pgx x = { 0 };
	jv hold_c, hold_s, plist = jv_invalid(), err = jv_invalid();
	char **vals = NULL;
	int n = 0, rc = -1, dry = (call->flags & CALL_DRY_RUN) != 0;
	const char *sql = actarg_str(call, args, "sql", &hold_s);
	int64_t limit = limit_override ? limit_override : actarg_int(call, args, "limit", 10000);

	if (!sql) {
		err = jvx_error("InvalidArgument", "sql is required");
		goto out;
	}
	plist = actarg_get(call, args, "params");
	if (pgx_params(plist, &vals, &n, &err) < 0)
		goto out;
	if (pgx_open(&x, call, pg_connection_arg(call, args, "connection", &hold_c), &err) < 0)
		goto out;
	if (dry && pgx_do(&x, "BEGIN TRANSACTION READ ONLY", &err) < 0)
		goto out;
	if (pgx_query_json(&x, sql, n, (const char *const *)vals, limit, out, &err) < 0)
		goto out;
	if (dry)
		pgx_do(&x, "ROLLBACK", &err);
	jv_free(err);
	err = jv_invalid();
	rc = 0;
out:
	pgx_close(&x);
	pgx_params_free(vals, n);
	jv_free(plist);
	jv_free(hold_c);
	jv_free(hold_s);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

static int pg_query_run(struct action_call *call, jv args, jv *out)
{
	return pg_query_common(call, args, out, 0);
}

/* ---- pg.exec ---- */

static int pg_exec_run(struct action_call *call, jv args, jv *out)
{
	struct pgx x = { 0 };
	jv hold_c, sqlv = actarg_get(call, args, "sql"), plist = actarg_get(call, args, "params");
	jv err = jv_invalid(), results = jv_array();
	const char **stmts = NULL;
	char **vals = NULL;
	int nstmts = 0, n = 0, rc = -1, in_tx = 0;
	int tx = actarg_bool(call, args, "transaction", 1);

	if (actarg_str_list(sqlv, &stmts, &nstmts) < 0 || nstmts == 0) {
		err = jvx_error("InvalidArgument", "sql must be a statement or a list of statements");
		goto out;
	}
	if (pgx_params(plist, &vals, &n, &err) < 0)
		goto out;
	if (n > 0 && nstmts != 1) {
		err = jvx_error("InvalidArgument", "params need exactly one statement (got %d)", nstmts);
		goto out;
	}
	if (pgx_open(&x, call, pg_connection_arg(call, args, "connection", &hold_c), &err) < 0)
		goto out;
	if (tx) {
		if (pgx_do(&x, "BEGIN", &err) < 0)
			goto out;
		in_tx = 1;
	}
	for (int i = 0; i < nstmts; i++) {
		PGresult *r = NULL;
		if (pgx_exec(&x, stmts[i], n > 0 ? n : -1, (const char *const *)vals, &r, &err) < 0) {
			err = jv_object_set(err, jv_string("statement"), jv_number(i + 1));
			goto out;
		}
		if (r && (PQresultStatus(r) == PGRES_COPY_IN || PQresultStatus(r) == PGRES_COPY_OUT)) {
			PQclear(r);
			err = jvx_error("InvalidArgument", "COPY FROM STDIN / TO STDOUT is not supported in pg.exec; use pg.copy_table");
			pgx_close(&x);
			goto out;
		}
		jv res = jv_object();
		if (r) {
			res = jv_object_set(res, jv_string("command"), jv_string(PQcmdStatus(r)));
			if (*PQcmdTuples(r))
				res = jv_object_set(res, jv_string("rows_affected"), jv_number(atof(PQcmdTuples(r))));
		}
		results = jv_array_append(results, res);
		PQclear(r);
	}
	if (in_tx) {
		in_tx = 0;
		if (pgx_do(&x, "COMMIT", &err) < 0)
			goto out;
	}
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("statements"), jv_number(nstmts));
	*out = jv_object_set(*out, jv_string("results"), results);
	*out = jv_object_set(*out, jv_string("transaction"), jv_bool(tx));
	results = jv_invalid();
	rc = 0;
out:
	if (in_tx && x.conn) {
		jv e2 = jv_invalid();
		pgx_do(&x, "ROLLBACK", &e2);
		jv_free(e2);
		if (rc < 0 && jv_is_valid(err))
			err = jv_object_set(err, jv_string("rolled_back"), jv_true());
	}
	pgx_close(&x);
	free(stmts);
	pgx_params_free(vals, n);
	jv_free(results);
	jv_free(sqlv);
	jv_free(plist);
	jv_free(hold_c);
	jv_free(args);
	if (rc < 0)
		*out = err;
	else
		jv_free(err);
	return rc;
}

static int pg_exec_dry(struct action_call *call, jv args, jv *out)
{
	struct pgx x = { 0 };
	jv hold_c, sqlv = actarg_get(call, args, "sql"), err = jv_invalid(), ver = jv_null();
	const char **stmts = NULL;
	int nstmts = 0, rc = -1;

	if (actarg_str_list(sqlv, &stmts, &nstmts) < 0 || nstmts == 0) {
		err = jvx_error("InvalidArgument", "sql must be a statement or a list of statements");
		goto out;
	}
	/* reads for real: the connection must work; nothing is executed */
	if (pgx_open(&x, call, pg_connection_arg(call, args, "connection", &hold_c), &err) < 0)
		goto out;
	if (pgx_scalar(&x, "SHOW server_version", 0, NULL, &ver, &err) < 0)
		goto out;
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("dry_run"), jv_true());
	*out = jv_object_set(*out, jv_string("would_execute"), jv_copy(sqlv));
	*out = jv_object_set(*out, jv_string("transaction"), jv_bool(actarg_bool(call, args, "transaction", 1)));
	*out = jv_object_set(*out, jv_string("server_version"), ver);
	ver = jv_null();
	rc = 0;
out:
	pgx_close(&x);
	free(stmts);
	jv_free(ver);
	jv_free(sqlv);
	jv_free(hold_c);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

/* ---- pg.assert ---- */

static int pg_equal(jv a, jv b)
{
	/* numbers compare by value, also against numeric strings from big ints / numerics */
	if (jv_get_kind(a) == JV_KIND_STRING && jv_get_kind(b) == JV_KIND_NUMBER) {
		char *end;
		double d = strtod(jv_string_value(a), &end);
		return *end == 0 && d == jv_number_value(b);
	}
	if (jv_get_kind(a) == JV_KIND_NUMBER && jv_get_kind(b) == JV_KIND_STRING)
		return pg_equal(b, a);
	return jv_equal(jv_copy(a), jv_copy(b));
}

static int pg_number(jv v, double *d)
{
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		*d = jv_number_value(v);
		return 0;
	}
	if (jv_get_kind(v) == JV_KIND_STRING) {
		char *end;
		*d = strtod(jv_string_value(v), &end);
		return *end == 0 && end != jv_string_value(v) ? 0 : -1;
	}
	return -1;
}

static int pg_assert_run(struct action_call *call, jv args, jv *out)
{
	int berr = 0;
	jv q, actual, eq = actarg_get(call, args, "equals"), mn = actarg_get(call, args, "min");
	jv mx = actarg_get(call, args, "max"), empty = actarg_get(call, args, "empty"), hold_m;

	/* equals: null is a value to compare with (absent is not) */
	jv_free(eq);
	eq = jvx_get(args, "equals");
	const char *msg = actarg_str(call, args, "message", &hold_m);
	char *why = NULL, *atext;
	double d;
	int rc, failed = 0, row_count;

	rc = pg_query_common(call, jv_copy(args), &q, jv_is_valid(empty) ? 0 : 1);
	if (rc < 0) {
		*out = q;
		goto out;
	}
	row_count = (int)jvx_num(q, "row_count", 0);
	if (jv_is_valid(empty)) {
		actual = jv_number(row_count);
		if (jv_get_kind(empty) == JV_KIND_TRUE && row_count != 0) {
			failed = 1;
			why = xstrdup("expected no rows");
		} else if (jv_get_kind(empty) == JV_KIND_FALSE && row_count == 0) {
			failed = 1;
			why = xstrdup("expected at least one row");
		}
	} else {
		jv rows = jvx_get(q, "rows");
		jv row = jv_array_length(jv_copy(rows)) > 0 ? jv_array_get(jv_copy(rows), 0) : jv_null();
		if (jv_get_kind(row) == JV_KIND_OBJECT) {
			jv vals = jv_object_get(jv_copy(q), jv_string("columns"));
			jv c0 = jv_array_get(vals, 0);
			actual = jv_object_get(jv_copy(row), jv_object_get(c0, jv_string("name")));
		} else {
			actual = jv_null();
		}
		jv_free(row);
		jv_free(rows);
		if (!jv_is_valid(eq) && !jv_is_valid(mn) && !jv_is_valid(mx)) {
			rc = -1;
			*out = jvx_error("InvalidArgument", "pg.assert needs one of equals, min, max or empty");
			jv_free(actual);
			jv_free(q);
			goto out;
		}
		if (jv_is_valid(eq) && !pg_equal(actual, eq)) {
			failed = 1;
			why = jvx_text(jv_copy(eq));
			char *t = why;
			struct buf b = BUF_INIT(0);
			berr |= buf_addf(&b, "expected %s", t);
			free(t);
			why = buf_detach(&b);
		}
		if (!failed && jv_is_valid(mn) && (pg_number(actual, &d) < 0 || d < jv_number_value(mn))) {
			failed = 1;
			struct buf b = BUF_INIT(0);
			berr |= buf_addf(&b, "expected at least %g", jv_number_value(mn));
			why = buf_detach(&b);
		}
		if (!failed && jv_is_valid(mx) && (pg_number(actual, &d) < 0 || d > jv_number_value(mx))) {
			failed = 1;
			struct buf b = BUF_INIT(0);
			berr |= buf_addf(&b, "expected at most %g", jv_number_value(mx));
			why = buf_detach(&b);
		}
	}
	BUF_NOCAP(berr);
	jv_free(q);
	if (failed) {
		atext = jvx_text(jv_copy(actual));
		*out = jvx_error("AssertionFailed", "%s%s%s, got %s", msg ? msg : "", msg ? ": " : "", why, atext);
		*out = jv_object_set(*out, jv_string("actual"), actual);
		free(atext);
		rc = -1;
	} else {
		*out = jv_object_set(jv_object(), jv_string("actual"), actual);
		*out = jv_object_set(*out, jv_string("passed"), jv_true());
		*out = jv_object_set(*out, jv_string("row_count"), jv_number(row_count));
		rc = 0;
	}
out:
	free(why);
	jv_free(eq);
	jv_free(mn);
	jv_free(mx);
	jv_free(empty);
	jv_free(hold_m);
	jv_free(args);
	return rc;
}

/* ---- pg.wait_ready ---- */

static int pg_wait_ready_run(struct action_call *call, jv args, jv *out)
{
	struct backoff every = { 0, 1, 0 };   /* a fixed interval: factor 1 (core/backoff.h) */
	jv hold_c, conf = jv_invalid(), err = jv_invalid(), ver = jv_null();
	const char *name = pg_connection_arg(call, args, "connection", &hold_c);
	const char *conninfo = "";
	int64_t timeout = actarg_ms(call, args, "timeout", 300000);
	int64_t interval = actarg_ms(call, args, "interval", 2000);
	int64_t start = action_mono_ms(), deadline = action_io_deadline(call, timeout);
	int attempts = 0, rc = -1;
	PGPing last = PQPING_NO_RESPONSE;

	if (timeout < 0 || interval < 0) {
		err = jvx_error("InvalidArgument", "timeout and interval must be durations");
		goto out;
	}
	every.base_ms = interval;
	conf = action_connection(call, "pg", name);
	if (!jv_is_valid(conf) || (jv_get_kind(conf) == JV_KIND_NULL && strcmp(name, "default"))) {
		err = action_unknown_connection(call, "pg", name);
		goto out;
	}
	if (jv_get_kind(conf) == JV_KIND_OBJECT && jvx_str(conf, "conninfo"))
		conninfo = jvx_str(conf, "conninfo");
	for (;;) {
		int64_t left = deadline - action_mono_ms();
		char ct[32];
		snprintf(ct, sizeof(ct), "%lld", (long long)(left / 1000 < 1 ? 1 : left / 1000 > 10 ? 10 : left / 1000));
		const char *kw[] = { "dbname", "connect_timeout", NULL };
		const char *val[] = { conninfo, ct, NULL };
		attempts++;
		last = PQpingParams(kw, val, 1);
		if (last == PQPING_NO_ATTEMPT) {
			err = jvx_error("InvalidConnection", "pg connection '%s': invalid conninfo (no attempt made)", name);
			goto out;
		}
		if (last == PQPING_OK) {
			/* the server answers; a session must open too (startup and recovery end) */
			struct pgx x;
			jv e2 = jv_invalid();
			if (pgx_open(&x, call, name, &e2) == 0) {
				pgx_scalar(&x, "SHOW server_version", 0, NULL, &ver, &e2);
				pgx_close(&x);
				jv_free(e2);
				break;
			}
			/* authentication and unknown databases will not fix themselves */
			const char *code = jvx_str(e2, "code");
			if (code && (!strcmp(code, "AuthenticationFailed") || !strcmp(code, "UnknownConnection"))) {
				err = e2;
				goto out;
			}
			jv_free(e2);
		}
		if (action_cancelled(call)) {
			err = jvx_error("Cancelled", "waiting for postgres was cancelled");
			goto out;
		}
		int64_t pause_ms = (int64_t)backoff_ceiling(&every, attempts - 1);
		if (action_mono_ms() + pause_ms > deadline) {
			err = jvx_error("Timeout", "postgres (connection '%s') not ready after %lld ms and %d attempts (%s)",
					name, (long long)(action_mono_ms() - start), attempts,
					last == PQPING_REJECT ? "server rejects connections (starting up?)" :
					last == PQPING_OK ? "server answers but no session opens" : "no response");
			goto out;
		}
		if (action_sleep(call, pause_ms) < 0) {
			err = jvx_error("Cancelled", "waiting for postgres was cancelled");
			goto out;
		}
	}
	*out = jv_object_set(jv_object(), jv_string("ready"), jv_true());
	*out = jv_object_set(*out, jv_string("attempts"), jv_number(attempts));
	*out = jv_object_set(*out, jv_string("waited_ms"), jv_number((double)(action_mono_ms() - start)));
	*out = jv_object_set(*out, jv_string("server_version"), ver);
	ver = jv_null();
	rc = 0;
out:
	jv_free(ver);
	jv_free(conf);
	jv_free(hold_c);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

/* ---- pg.row_counts ---- */

static int pg_row_counts_run(struct action_call *call, jv args, jv *out)
{
	struct pgx x = { 0 };
	jv hold_c, tables = actarg_get(call, args, "tables"), err = jv_invalid(), counts = jv_object();
	int exact = actarg_bool(call, args, "exact", 1), rc = -1;
	double total = 0;

	if (pgx_open(&x, call, pg_connection_arg(call, args, "connection", &hold_c), &err) < 0)
		goto out;
	if (jv_get_kind(tables) != JV_KIND_ARRAY || jv_array_length(jv_copy(tables)) == 0) {
		jv_free(tables);
		if (pgx_user_tables(&x, &tables, &err) < 0) {
			tables = jv_null();
			goto out;
		}
	}
	jv_array_foreach(tables, i, t) {
		int64_t n = 0;
		if (jv_get_kind(t) != JV_KIND_STRING) {
			jv_free(t);
			err = jvx_error("InvalidArgument", "tables must be a list of names");
			goto out;
		}
		if (pgx_count(&x, jv_string_value(t), exact, &n, &err) < 0) {
			jv_free(t);
			goto out;
		}
		counts = jv_object_set(counts, t, jv_number((double)n));
		total += (double)n;
	}
	*out = jv_object_set(jv_object(), jv_string("counts"), counts);
	*out = jv_object_set(*out, jv_string("total"), jv_number(total));
	*out = jv_object_set(*out, jv_string("exact"), jv_bool(exact));
	counts = jv_invalid();
	rc = 0;
out:
	pgx_close(&x);
	jv_free(counts);
	jv_free(tables);
	jv_free(hold_c);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

/* ---- pg.checksum ---- */

static int pg_checksum_run(struct action_call *call, jv args, jv *out)
{
	struct pgx x = { 0 };
	jv hold_c, hold_t, hold_w, err = jv_invalid();
	jv cols = actarg_get(call, args, "columns"), key = actarg_get(call, args, "key");
	const char *table = actarg_str(call, args, "table", &hold_t);
	const char *where = actarg_str(call, args, "where", &hold_w);
	int rc = -1;

	if (!table) {
		err = jvx_error("InvalidArgument", "table is required");
		goto out;
	}
	if (pgx_open(&x, call, pg_connection_arg(call, args, "connection", &hold_c), &err) < 0)
		goto out;
	if (pgx_checksum(&x, table, cols, key, where, out, &err) < 0)
		goto out;
	rc = 0;
out:
	pgx_close(&x);
	jv_free(cols);
	jv_free(key);
	jv_free(hold_c);
	jv_free(hold_t);
	jv_free(hold_w);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

/* ---- pg.compare ---- */

static int pg_compare_run(struct action_call *call, jv args, jv *out)
{
	struct pgx a = { 0 }, b = { 0 };
	jv hold_s, hold_t, tables = actarg_get(call, args, "tables"), err = jv_invalid();
	jv res = jv_object(), mism = jv_array();
	const char *src = pg_connection_arg(call, args, "source", &hold_s);
	const char *tgt = actarg_str(call, args, "target", &hold_t);
	int sum = actarg_bool(call, args, "checksum", 1), exact = actarg_bool(call, args, "exact", 1);
	int failm = actarg_bool(call, args, "fail_on_mismatch", 0), rc = -1;

	if (!tgt) {
		err = jvx_error("InvalidArgument", "target is required");
		goto out;
	}
	if (pgx_open(&a, call, src, &err) < 0 || pgx_open(&b, call, tgt, &err) < 0)
		goto out;
	if (jv_get_kind(tables) != JV_KIND_ARRAY || jv_array_length(jv_copy(tables)) == 0) {
		jv_free(tables);
		if (pgx_user_tables(&a, &tables, &err) < 0) {
			tables = jv_null();
			goto out;
		}
	}
	jv_array_foreach(tables, i, t) {
		int64_t na = 0, nb = 0;
		jv e = jv_invalid(), entry = jv_object();
		int match = 1, ea, eb;
		if (jv_get_kind(t) != JV_KIND_STRING) {
			jv_free(t);
			jv_free(entry);
			err = jvx_error("InvalidArgument", "tables must be a list of names");
			goto out;
		}
		const char *tn = jv_string_value(t);
		ea = pgx_table_exists(&a, tn, &e);
		if (ea < 0)
			goto tfail;
		jv_free(e);
		e = jv_invalid();
		eb = pgx_table_exists(&b, tn, &e);
		if (eb < 0)
			goto tfail;
		jv_free(e);
		e = jv_invalid();
		if (!ea || !eb) {
			entry = jv_object_set(entry, jv_string("source_exists"), jv_bool(ea));
			entry = jv_object_set(entry, jv_string("target_exists"), jv_bool(eb));
			match = 0;
		} else {
			if (pgx_count(&a, tn, exact, &na, &e) < 0 || pgx_count(&b, tn, exact, &nb, &e) < 0)
				goto tfail;
			entry = jv_object_set(entry, jv_string("source_rows"), jv_number((double)na));
			entry = jv_object_set(entry, jv_string("target_rows"), jv_number((double)nb));
			if (na != nb)
				match = 0;
			if (sum) {
				jv sa = jv_invalid(), sb = jv_invalid();
				if (pgx_checksum(&a, tn, jv_null(), jv_null(), NULL, &sa, &e) < 0)
					goto tfail;
				/* the target digests in the source's key order (a copy may lack the key) */
				jv skey = jvx_get(sa, "key");
				int cr = pgx_checksum(&b, tn, jv_null(), skey, NULL, &sb, &e);
				jv_free(skey);
				if (cr < 0) {
					jv_free(sa);
					goto tfail;
				}
				jv da = jvx_get(sa, "digest"), db = jvx_get(sb, "digest");
				if (!jv_equal(jv_copy(da), jv_copy(db)))
					match = 0;
				entry = jv_object_set(entry, jv_string("source_digest"), da);
				entry = jv_object_set(entry, jv_string("target_digest"), db);
				jv_free(sa);
				jv_free(sb);
			}
		}
		entry = jv_object_set(entry, jv_string("match"), jv_bool(match));
		if (!match)
			mism = jv_array_append(mism, jv_copy(t));
		res = jv_object_set(res, t, entry);
		continue;
tfail:
		jv_free(entry);
		jv_free(t);
		err = e;
		goto out;
	}
	{
		int n = jv_array_length(jv_copy(mism));
		*out = jv_object_set(jv_object(), jv_string("match"), jv_bool(n == 0));
		*out = jv_object_set(*out, jv_string("tables"), res);
		*out = jv_object_set(*out, jv_string("mismatches"), jv_copy(mism));
		res = jv_invalid();
		if (n > 0 && failm) {
			char *list = jvx_dump(jv_copy(mism));
			jv full = *out;
			*out = jvx_error("Mismatch", "%d table(s) differ between '%s' and '%s': %s", n, src, tgt, list);
			*out = jv_object_set(*out, jv_string("details"), full);
			free(list);
			goto out_noerr;
		}
	}
	rc = 0;
	goto out;
out_noerr:
	rc = -1;
	err = *out;
out:
	pgx_close(&a);
	pgx_close(&b);
	jv_free(res);
	jv_free(mism);
	jv_free(tables);
	jv_free(hold_s);
	jv_free(hold_t);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

/* ---- pg.integrity ---- */

static int pg_integrity_run(struct action_call *call, jv args, jv *out)
{
	int berr = 0;
	struct pgx x = { 0 };
	jv hold_c, err = jv_invalid(), schemas = actarg_get(call, args, "schemas"), rules = actarg_get(call, args, "rules");
	jv fks = jv_invalid(), fk_out = jv_array(), nk_out = jv_array(), rule_out = jv_array(), nopk = jv_array();
	jv problems_text = jv_array();
	struct buf sql = BUF_INIT(0);
	PGresult *r = NULL;
	int rc = -1, fail = actarg_bool(call, args, "fail", 1), null_keys = actarg_bool(call, args, "null_keys", 1);
	int check_fks = actarg_bool(call, args, "foreign_keys", 1);
	double problems = 0;
	char *schemas_json = NULL;
	const char *sp[1];

	if (pgx_open(&x, call, pg_connection_arg(call, args, "connection", &hold_c), &err) < 0)
		goto out;
	schemas_json = jvx_dump(jv_get_kind(schemas) == JV_KIND_ARRAY ? jv_copy(schemas) : jv_array());
	sp[0] = schemas_json;
	/* every foreign key with its column names in key order */
	if (check_fks && pgx_query_json(&x,
		"SELECT c.conname AS constraint, quote_ident(cn.nspname) || '.' || quote_ident(cr.relname) AS child,"
		" quote_ident(pn.nspname) || '.' || quote_ident(pr.relname) AS parent,"
		" cn.nspname || '.' || cr.relname AS child_name, pn.nspname || '.' || pr.relname AS parent_name,"
		" (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)"
		"   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS cols,"
		" (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)"
		"   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS refcols"
		" FROM pg_constraint c JOIN pg_class cr ON cr.oid = c.conrelid"
		" JOIN pg_namespace cn ON cn.oid = cr.relnamespace"
		" JOIN pg_class pr ON pr.oid = c.confrelid JOIN pg_namespace pn ON pn.oid = pr.relnamespace"
		" WHERE c.contype = 'f' AND cn.nspname NOT IN ('pg_catalog', 'information_schema')"
		" AND (jsonb_array_length($1::jsonb) = 0 OR $1::jsonb ? cn.nspname)"
		" ORDER BY cn.nspname, cr.relname, c.conname", 1, sp, -1, &fks, &err) < 0)
		goto out;
	jv fkrows = check_fks ? jvx_get(fks, "rows") : jv_array();
	jv_array_foreach(fkrows, i, fk) {
		jv cols = jvx_get(fk, "cols"), refcols = jvx_get(fk, "refcols"), n = jv_null();
		buf_reset(&sql);
		/* child rows whose (non-null) key has no parent row */
		berr |= buf_addf(&sql, "SELECT count(*) FROM %s c WHERE ", jvx_str(fk, "child"));
		jv_array_foreach(cols, j, cn) {
			berr |= buf_adds(&sql, j ? " AND c." : "c.");
			if (pgx_quote_ident(&x, jv_string_value(cn), &sql, &err) < 0) {
				jv_free(cn);
				goto fkfail;
			}
			berr |= buf_adds(&sql, " IS NOT NULL");
			jv_free(cn);
		}
		berr |= buf_addf(&sql, " AND NOT EXISTS (SELECT 1 FROM %s p WHERE ", jvx_str(fk, "parent"));
		jv_array_foreach(cols, j, cn) {
			jv rn = jv_array_get(jv_copy(refcols), j);
			berr |= buf_adds(&sql, j ? " AND p." : "p.");
			if (pgx_quote_ident(&x, jv_string_value(rn), &sql, &err) < 0) {
				jv_free(rn);
				jv_free(cn);
				goto fkfail;
			}
			berr |= buf_adds(&sql, " = c.");
			if (pgx_quote_ident(&x, jv_string_value(cn), &sql, &err) < 0) {
				jv_free(rn);
				jv_free(cn);
				goto fkfail;
			}
			jv_free(rn);
			jv_free(cn);
		}
		berr |= buf_adds(&sql, ")");
		if (pgx_scalar(&x, buf_str(&sql), 0, NULL, &n, &err) < 0)
			goto fkfail;
		{
			double orphans = 0;
			pg_number(n, &orphans);
			jv e = jv_object();
			e = jv_object_set(e, jv_string("constraint"), jvx_get(fk, "constraint"));
			e = jv_object_set(e, jv_string("table"), jvx_get(fk, "child_name"));
			e = jv_object_set(e, jv_string("columns"), jv_copy(cols));
			e = jv_object_set(e, jv_string("references"), jvx_get(fk, "parent_name"));
			e = jv_object_set(e, jv_string("ref_columns"), jv_copy(refcols));
			e = jv_object_set(e, jv_string("orphans"), jv_number(orphans));
			fk_out = jv_array_append(fk_out, e);
			if (orphans > 0) {
				struct buf m = BUF_INIT(0);
				berr |= buf_addf(&m, "%.0f orphaned row(s) in '%s' (foreign key '%s' to '%s')", orphans,
					 jvx_str(fk, "child_name"), jvx_str(fk, "constraint"), jvx_str(fk, "parent_name"));
				problems_text = jv_array_append(problems_text, jv_string(buf_str(&m)));
				buf_release(&m);
				problems += orphans;
			}
		}
		jv_free(n);
		jv_free(cols);
		jv_free(refcols);
		jv_free(fk);
		continue;
fkfail:
		jv_free(n);
		jv_free(cols);
		jv_free(refcols);
		jv_free(fk);
		jv_free(fkrows);
		goto out;
	}
	jv_free(fkrows);

	/* primary keys: tables without one, and NULLs in key columns */
	if (pgx_exec(&x,
		"SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname || '.' || c.relname,"
		" (SELECT string_agg(quote_ident(a.attname) || ' IS NULL', ' OR ')"
		"   FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
		"   WHERE i.indrelid = c.oid AND i.indisprimary)"
		" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
		" AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
		" AND (jsonb_array_length($1::jsonb) = 0 OR $1::jsonb ? n.nspname)"
		" ORDER BY n.nspname, c.relname", 1, sp, &r, &err) < 0)
		goto out;
	for (int i = 0; i < PQntuples(r); i++) {
		if (PQgetisnull(r, i, 2)) {
			nopk = jv_array_append(nopk, jv_string(PQgetvalue(r, i, 1)));
			continue;
		}
		if (!null_keys)
			continue;
		jv n = jv_null();
		buf_reset(&sql);
		berr |= buf_addf(&sql, "SELECT count(*) FROM %s WHERE %s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 2));
		if (pgx_scalar(&x, buf_str(&sql), 0, NULL, &n, &err) < 0)
			goto out;
		double nulls = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : 0;
		jv_free(n);
		nk_out = jv_array_append(nk_out, jv_object_set(jv_object_set(jv_object(), jv_string("table"),
			jv_string(PQgetvalue(r, i, 1))), jv_string("nulls"), jv_number(nulls)));
		if (nulls > 0) {
			struct buf m = BUF_INIT(0);
			berr |= buf_addf(&m, "%.0f row(s) of '%s' with a NULL primary key", nulls, PQgetvalue(r, i, 1));
			problems_text = jv_array_append(problems_text, jv_string(buf_str(&m)));
			buf_release(&m);
			problems += nulls;
		}
	}
	PQclear(r);
	r = NULL;

	/* user rules: each query's first value must be 0 */
	if (jv_get_kind(rules) == JV_KIND_ARRAY) {
		jv_array_foreach(rules, i, rule) {
			const char *rsql = jvx_str(rule, "sql"), *rname = jvx_str(rule, "name");
			jv v = jv_null();
			double d = 0;
			if (!rsql) {
				jv_free(rule);
				err = jvx_error("InvalidArgument", "rule %d has no sql", i + 1);
				goto out;
			}
			jv rp = jvx_get(rule, "params");
			char **rvals = NULL;
			int nrv = 0, prc = pgx_params(rp, &rvals, &nrv, &err);
			jv_free(rp);
			if (prc < 0 || pgx_scalar(&x, rsql, nrv, (const char *const *)rvals, &v, &err) < 0) {
				pgx_params_free(rvals, nrv);
				err = jv_object_set(err, jv_string("rule"), jv_string(rname ? rname : rsql));
				jv_free(rule);
				goto out;
			}
			pgx_params_free(rvals, nrv);
			if (pg_number(v, &d) < 0)
				d = jv_get_kind(v) == JV_KIND_NULL ? 0 : 1;
			rule_out = jv_array_append(rule_out, jv_object_set(jv_object_set(jv_object(),
				jv_string("name"), jv_string(rname ? rname : rsql)), jv_string("value"), jv_copy(v)));
			if (d != 0) {
				struct buf m = BUF_INIT(0);
				char *t = jvx_text(jv_copy(v));
				berr |= buf_addf(&m, "rule '%s' found %s", rname ? rname : rsql, t);
				free(t);
				problems_text = jv_array_append(problems_text, jv_string(buf_str(&m)));
				buf_release(&m);
				problems += d > 0 ? d : 1;
			}
			jv_free(v);
			jv_free(rule);
		}
	}
	BUF_NOCAP(berr);
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("ok"), jv_bool(problems == 0));
	*out = jv_object_set(*out, jv_string("problems"), jv_number(problems));
	*out = jv_object_set(*out, jv_string("findings"), jv_copy(problems_text));
	*out = jv_object_set(*out, jv_string("foreign_keys"), fk_out);
	*out = jv_object_set(*out, jv_string("null_keys"), nk_out);
	*out = jv_object_set(*out, jv_string("rules"), rule_out);
	*out = jv_object_set(*out, jv_string("tables_without_primary_key"), nopk);
	fk_out = nk_out = rule_out = nopk = jv_invalid();
	if (problems > 0 && fail) {
		jv first = jv_array_get(jv_copy(problems_text), 0);
		jv details = *out;
		err = jvx_error("IntegrityViolation", "%d integrity problem(s), first: %s",
				jv_array_length(jv_copy(problems_text)), jv_string_value(first));
		err = jv_object_set(err, jv_string("details"), details);
		jv_free(first);
		*out = jv_invalid();
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	pgx_close(&x);
	buf_release(&sql);
	free(schemas_json);
	jv_free(fks);
	jv_free(fk_out);
	jv_free(nk_out);
	jv_free(rule_out);
	jv_free(nopk);
	jv_free(problems_text);
	jv_free(schemas);
	jv_free(rules);
	jv_free(hold_c);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

/* ---- pg.terminate_connections ---- */

static int pg_terminate_common(struct action_call *call, jv args, jv *out, int really)
{
	struct pgx x = { 0 };
	jv hold_c, hold_d, err = jv_invalid(), q = jv_invalid(), db = jv_null();
	const char *dbname = actarg_str(call, args, "database", &hold_d);
	int rc = -1;

	if (pgx_open(&x, call, pg_connection_arg(call, args, "connection", &hold_c), &err) < 0)
		goto out;
	if (!dbname) {
		if (pgx_scalar(&x, "SELECT current_database()", 0, NULL, &db, &err) < 0)
			goto out;
		dbname = jv_string_value(db);
	}
	{
		const char *p[] = { dbname };
		const char *sql = really
			? "SELECT pid, usename AS user, application_name AS application, client_addr::text AS client,"
			  " state, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity"
			  " WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend' ORDER BY pid"
			: "SELECT pid, usename AS user, application_name AS application, client_addr::text AS client,"
			  " state FROM pg_stat_activity"
			  " WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend' ORDER BY pid";
		if (pgx_query_json(&x, sql, 1, p, -1, &q, &err) < 0)
			goto out;
	}
	*out = jv_object_set(jv_object(), jv_string("database"), jv_string(dbname));
	*out = jv_object_set(*out, jv_string(really ? "terminated" : "would_terminate"), jvx_get(q, "rows"));
	*out = jv_object_set(*out, jv_string("count"), jvx_get(q, "row_count"));
	if (!really)
		*out = jv_object_set(*out, jv_string("dry_run"), jv_true());
	rc = 0;
out:
	pgx_close(&x);
	jv_free(q);
	jv_free(db);
	jv_free(hold_c);
	jv_free(hold_d);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

static int pg_terminate_run(struct action_call *call, jv args, jv *out)
{
	return pg_terminate_common(call, args, out, 1);
}

static int pg_terminate_dry(struct action_call *call, jv args, jv *out)
{
	return pg_terminate_common(call, args, out, 0);
}
