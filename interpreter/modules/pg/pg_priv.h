/* pg_priv.h — internal to modules/pg: the connection and query layer (pg_conn.c) used by
 * the actions (pg.c, pg_data.c). Nothing outside modules/pg includes this.
 *
 * Ownership: a struct pgx owns its PGconn (pgx_close). Every function returning -1 sets
 * *err to a new error object ({code, message, sqlstate?}, see jvx_error).
 */
#ifndef RB_MODULES_PG_PRIV_H
#define RB_MODULES_PG_PRIV_H
#include <libpq-fe.h>
#include <jv.h>
#include "../../core/action.h"
#include "../../core/buf.h"

#define PG_CONNECT_TIMEOUT_MS 10000   /* unless the conninfo says connect_timeout */
#define PG_CANCEL_GRACE_MS 5000       /* after a cancel request, how long to wait for the server */

struct pgx {
	struct action_call *call;
	PGconn *conn;
	char name[128];                   /* connection name, for messages */
	int64_t deadline;                 /* monotonic ms (dbmod_deadline); after a stop, the grace end */
};

/* open connection NAME of connections.pg (none configured and NAME "default": libpq's
 * environment). Taints passwords. Sets a deterministic session (ISO dates, UTC, exact
 * floats); in dry-run every transaction defaults to READ ONLY. */
int pgx_open(struct pgx *x, struct action_call *call, const char *name, jv *err);
void pgx_close(struct pgx *x);
/* run sql: nparams >= 0 binds params (extended protocol, one statement); nparams < 0
 * sends sql as is (simple protocol, several statements allowed). *res is the last result
 * (caller PQclear()s); COPY results are returned as soon as they start. */
int pgx_exec(struct pgx *x, const char *sql, int nparams, const char *const *params,
	     PGresult **res, jv *err);
/* wait until a result is ready without blocking; on cancel or deadline asks the server
 * to cancel (*stopped = 1 cancelled, 2 deadline) and waits PG_CANCEL_GRACE_MS more */
int pgx_wait(struct pgx *x, int *stopped, jv *err);
/* collect the results of a sent query (as pgx_exec does after sending) */
int pgx_collect(struct pgx *x, PGresult **res, jv *err);
jv pgx_stop_error(struct pgx *x, int stopped);
/* pgx_exec that needs no result */
int pgx_do(struct pgx *x, const char *sql, jv *err);
/* rows of a query as JSON: {columns, rows, row_count, truncated}; limit < 0: no limit */
int pgx_query_json(struct pgx *x, const char *sql, int nparams, const char *const *params,
		   int64_t limit, jv *out, jv *err);
/* the first column of the first row (typed), or null when there is no row */
int pgx_scalar(struct pgx *x, const char *sql, int nparams, const char *const *params,
	       jv *out, jv *err);
/* a value of a result typed by its column's type OID */
jv pgx_value(const PGresult *r, int row, int col);
/* error object from a failed result or the connection */
jv pgx_error(struct pgx *x, const PGresult *r);

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
/* array arg to C strings for params; caller frees the array and each string */
int pgx_params(jv list, char ***vals, int *n, jv *err);
void pgx_params_free(char **vals, int n);
#endif
