/* pg_priv.h — internal to modules/pg: the connection and query layer (pg_conn.c) used by
 * the actions (pg.c, pg_data.c). Nothing outside modules/pg includes this; what other
 * modules may use (redis.warm streams rows from PostgreSQL) is in pg_cursor.h.
 *
 * Ownership: a struct pgx owns its PGconn (pgx_close). Every function returning -1 sets
 * *err to a new error object ({code, message, sqlstate?}, see jvx_error).
 */
#ifndef RB_MODULES_PG_PRIV_H
#define RB_MODULES_PG_PRIV_H
#include <libpq-fe.h>
#include <jv.h>
#include "../../core/action.h"
#include "../../core/actarg.h"
#include "../../core/buf.h"
#include "pg_cursor.h"



/* wait until a result is ready without blocking; on cancel or deadline asks the server
 * to cancel (*stopped = 1 cancelled, 2 deadline) and waits PG_CANCEL_GRACE_MS more */
int pgx_wait(struct pgx *x, int *stopped, jv *err);
jv pgx_stop_error(struct pgx *x, int stopped);
/* rows of a query as JSON: {columns, rows, row_count, truncated}; limit < 0: no limit */
int pgx_query_json(struct pgx *x, const char *sql, int nparams, const char *const *params,
		   int64_t limit, jv *out, jv *err);
/* the first column of the first row (typed), or null when there is no row */
int pgx_scalar(struct pgx *x, const char *sql, int nparams, const char *const *params,
	       jv *out, jv *err);

/* a table name ("t" or "schema.t") quoted with PQescapeIdentifier into out */
int pgx_quote_table(struct pgx *x, const char *name, struct buf *out, jv *err);
int pgx_quote_ident(struct pgx *x, const char *name, struct buf *out, jv *err);
/* 1 if table exists (to_regclass), 0 if not (err set to UndefinedTable), -1 on error */
int pgx_table_exists(struct pgx *x, const char *name, jv *err);
/* "schema.table" of every user table (kind r, p), ordered */
int pgx_user_tables(struct pgx *x, jv *tables, jv *err);
/* exact count(*) or estimate of a table */
int pgx_count(struct pgx *x, const char *table, int exact, int64_t *n, jv *err);
/* md5 over `COPY (SELECT cols FROM t [WHERE] ORDER BY key) TO STDOUT`: {digest, rows,
 * key, columns}; key NULL: the primary key (or every column) */
int pgx_checksum(struct pgx *x, const char *table, jv columns, jv key, const char *where,
		 jv *out, jv *err);
/* primary key column names of a quoted table, in key order (empty: none) */
int pgx_primary_key(struct pgx *x, const char *qtable, jv *key, jv *err);
/* quoted, comma-separated identifiers */
int pgx_ident_list(struct pgx *x, jv names, struct buf *out, jv *err);
#endif
