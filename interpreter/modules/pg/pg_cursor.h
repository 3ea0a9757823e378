/* pg_cursor.h — the public face of modules/pg for other modules: open a connection of
 * connections.pg, run a query and read its results typed. redis.warm streams rows
 * through it; nothing else of modules/pg is visible outside it (tests/layering.sh checks
 * that another module uses only what this header declares).
 *
 * Ownership: a struct pgx owns its PGconn (pgx_close). Every function returning -1 sets
 * *err to a new error object ({code, message, sqlstate?}, see jvx_error).
 */
#ifndef RB_MODULES_PG_CURSOR_H
#define RB_MODULES_PG_CURSOR_H
#include <libpq-fe.h>
#include <jv.h>
#include "../../core/action.h"

#define PG_CONNECT_TIMEOUT_MS 10000   /* unless connect_timeout / PGCONNECT_TIMEOUT says */
#define PG_CANCEL_GRACE_MS 5000       /* after a cancel request, how long to wait for the server */

struct pgx {
	struct action_call *call;
	PGconn *conn;
	char name[128];                   /* connection name, for messages */
	int64_t deadline;                 /* monotonic ms (action_io_deadline); after a stop, the grace end */
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
/* collect the results of a sent query (as pgx_exec does after sending) */
int pgx_collect(struct pgx *x, PGresult **res, jv *err);
/* pgx_exec that needs no result */
int pgx_do(struct pgx *x, const char *sql, jv *err);
/* a value of a result typed by its column's type OID */
jv pgx_value(const PGresult *r, int row, int col);
/* error object from a failed result or the connection */
jv pgx_error(struct pgx *x, const PGresult *r);
/* array arg to C strings for params; caller frees the array and each string */
int pgx_params(jv list, char ***vals, int *n, jv *err);
void pgx_params_free(char **vals, int n);

/* the connection name an action's arg names (or its default "default"); the string
 * borrows from *hold (caller frees) */
const char *pg_connection_arg(struct action_call *call, jv args, const char *name, jv *hold);
#endif
