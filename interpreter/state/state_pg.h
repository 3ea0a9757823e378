/* state_pg.h — private to the PostgreSQL store (state_pg*.c): its connection, the
 * session every lock lives on, and the helpers its files share.
 *
 * Tables (schema version 1, state_pg.c's upgrade table):
 *   runbook_schema(version)                  one row
 *   runbook_runs(id, published, created, published_at)
 *   runbook_run_files(run_id, name, data bytea, updated)          pk (run_id, name)
 *   runbook_events(run_id, seq, line)                              pk (run_id, seq)
 *   runbook_drills(seq bigserial, record, created)
 *   runbook_locks(key, run, host, pid, since, backend_pid, record) pk key
 * Every value reaches the server as a parameter (PQexecParams); SQL text is constant. */
#ifndef RB_STATE_PG_H
#define RB_STATE_PG_H
#include <libpq-fe.h>
#include "state_priv.h"

struct state_lock;

struct pg_state {
	PGconn *conn;               /* the session: runs, drills, and every advisory lock */
	char *uri;                  /* as given, for the journals' own connections */
	struct state_lock *held;    /* locks taken on this session, newest first */
};

static inline struct pg_state *pg_of(struct state *s) { return s->impl; }

/* connect as the store does (fallback_application_name=runbook, client keepalives,
 * UTF8) and set the session's server-side keepalives; *err names the store */
PGconn *pg_connect(const char *uri, const char *name, jv *err);
/* PQexecParams with text parameters (NULL = SQL NULL) and text results */
PGresult *pg_exec(PGconn *c, const char *sql, int n, const char *const *vals);
/* libpq's message for a failed result (or the connection's), on one line: malloc'd */
char *pg_message(PGconn *c, const PGresult *r);
/* *err = "cannot WHAT: libpq's message"; returns -1 */
int pg_fail(PGconn *c, const PGresult *r, jv *err, const char *what);

/* state_pg_journal.c, state_pg_lock.c */
struct state_journal *pg_journal_open(struct state *s, const char *id, jv *err);
int pg_journal_append(struct state_journal *j, const char *line, size_t len, int sync);
const char *pg_journal_error(struct state_journal *j);
void pg_journal_close(struct state_journal *j);
int pg_lock(struct state *s, const char *key, jv me, int64_t wait_ms, struct state_lock **lk, jv *who,
	    jv *err);
void pg_unlock(struct state_lock *lk);
int pg_lock_probe(struct state *s, const char *key, jv *who, jv *err);
void pg_unlock_all(struct state *s);
#endif
