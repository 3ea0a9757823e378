/* state_pg_lock.c — locks as PostgreSQL advisory locks on the store's session.
 *
 * A key's lock is pg_try_advisory_lock(hashtextextended(key, 0)) — the server's own
 * 64-bit hash of the text, so a DBA finds it in pg_locks (advisory, objsubid 1, classid
 * and objid the hash's high and low halves). The session holds it until unlock or until
 * the session ends: the process exits or is killed (the socket closes), or its machine
 * stops answering (the server's keepalives, state_pg.c: about a minute).
 *
 * The holder's record (`me`) goes to runbook_locks, with the holder's backend pid. A
 * refused caller reads the row only while that backend still holds the advisory lock
 * (pg_locks): a row left by a holder that died, or not yet replaced by the new holder,
 * names nobody (who = null, "unknown"). Waiting polls every 200 ms. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/bug.h"
#include "../core/jvx.h"
#include "state_pg.h"

struct state_lock {
	struct state *s;            /* first: state.c dispatches through it */
	char *key;
	jv me;                      /* the record stored for others */
	struct state_lock *next;    /* the session's held locks */
};

#define PG_LOCK_POLL_MS 200

/* the advisory lock of $1 (the key) as a condition on pg_locks p */
#define PG_LOCKS_KEY \
	"p.locktype = 'advisory' AND p.granted AND p.objsubid = 1" \
	" AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database())" \
	" AND ((p.classid::bigint << 32) | p.objid::bigint) = hashtextextended($1, 0)"

static int64_t pg_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pg_sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct state_lock *pg_held(struct state *s, const char *key)
{
	for (struct state_lock *l = pg_of(s)->held; l; l = l->next)
		if (!strcmp(l->key, key))
			return l;
	return NULL;
}

/* the holder's record: *who = the object, or null when no live holder has a row */
static int pg_holder(struct state *s, const char *key, jv *who, jv *err)
{
	const char *vals[1] = { key };
	PGconn *c = pg_of(s)->conn;
	PGresult *r = pg_exec(c, "SELECT l.record FROM runbook_locks l WHERE l.key = $1 AND EXISTS "
			      "(SELECT 1 FROM pg_locks p WHERE " PG_LOCKS_KEY " AND p.pid = l.backend_pid)", 1, vals);
	char what[1024];
	int rc = 0;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(what, sizeof(what), "read the holder of lock '%s' in %s", key, s->name);
		rc = pg_fail(c, r, err, what);
	} else if (PQntuples(r) == 0) {
		*who = jv_null();
	} else {
		jv v = jvx_parse_sized(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
		*who = jv_is_valid(v) && jv_get_kind(v) == JV_KIND_OBJECT ? v : (jv_free(v), jv_null());
	}
	PQclear(r);
	return rc;
}

/* 1 taken, 0 held by another session, -1 error */
static int pg_try(struct state *s, const char *key, jv me, jv *err)
{
	PGconn *c = pg_of(s)->conn;
	char *rec = jvx_dump(jv_copy(me)), pid[24], what[1024];
	const char *run = jvx_str(me, "run"), *host = jvx_str(me, "host");
	const char *vals[5] = { key, run, host, NULL, rec };
	PGresult *r;
	int rc = -1;

	snprintf(what, sizeof(what), "take lock '%s' in %s", key, s->name);
	if (jvx_has(me, "pid")) {
		snprintf(pid, sizeof(pid), "%lld", (long long)jvx_int(me, "pid", 0));
		vals[3] = pid;
	}
	r = pg_exec(c, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", 1, vals);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(c, r, err, what);
		goto out;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t")) {
		rc = 0;
		goto out;
	}
	PQclear(r);
	r = pg_exec(c, "INSERT INTO runbook_locks (key, run, host, pid, since, backend_pid, record) "
		    "VALUES ($1, $2, $3, $4::integer, now(), pg_backend_pid(), $5) ON CONFLICT (key) DO UPDATE SET "
		    "run = excluded.run, host = excluded.host, pid = excluded.pid, since = excluded.since, "
		    "backend_pid = excluded.backend_pid, record = excluded.record", 5, vals);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_fail(c, r, err, what);
		PQclear(pg_exec(c, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", 1, vals));
		goto out;
	}
	rc = 1;
out:
	PQclear(r);
	free(rec);
	return rc;
}

int pg_lock(struct state *s, const char *key, jv me, int64_t wait_ms, struct state_lock **lk, jv *who,
	    jv *err)
{
	struct state_lock *mine = pg_held(s, key);
	int64_t deadline = pg_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
	int rc;

	if (mine) {
		/* a session's advisory locks nest: taking it again would succeed, but the
		 * folder's flock on a second descriptor is refused, and so is this */
		*who = jv_copy(mine->me);
		jv_free(me);
		return 1;
	}
	for (;;) {
		int t = pg_try(s, key, me, err);
		int64_t left;
		if (t < 0) {
			rc = -1;
			break;
		}
		if (t == 1) {
			struct state_lock *l = xcalloc(1, sizeof(*l));
			l->s = s;
			l->key = xstrdup(key);
			l->me = me;
			l->next = pg_of(s)->held;
			pg_of(s)->held = l;
			*lk = l;
			return 0;
		}
		left = deadline - pg_mono_ms();
		if (left <= 0) {
			rc = pg_holder(s, key, who, err) < 0 ? -1 : 1;
			break;
		}
		pg_sleep_ms(left < PG_LOCK_POLL_MS ? left : PG_LOCK_POLL_MS);
	}
	jv_free(me);
	return rc;
}

static void pg_release(struct state_lock *lk)
{
	const char *vals[1] = { lk->key };
	PGconn *c = pg_of(lk->s)->conn;
	/* best effort: when the session is gone, so is the advisory lock */
	PQclear(pg_exec(c, "DELETE FROM runbook_locks WHERE key = $1 AND backend_pid = pg_backend_pid()", 1, vals));
	PQclear(pg_exec(c, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", 1, vals));
	jv_free(lk->me);
	free(lk->key);
	free(lk);
}

void pg_unlock(struct state_lock *lk)
{
	struct state_lock **pp = &pg_of(lk->s)->held;
	while (*pp && *pp != lk)
		pp = &(*pp)->next;
	BUG_ON(!*pp);
	*pp = lk->next;
	pg_release(lk);
}

/* state_close: every lock still held is released (and its handle freed) */
void pg_unlock_all(struct state *s)
{
	struct state_lock *l = pg_of(s)->held;
	pg_of(s)->held = NULL;
	while (l) {
		struct state_lock *next = l->next;
		pg_release(l);
		l = next;
	}
}

int pg_lock_probe(struct state *s, const char *key, jv *who, jv *err)
{
	const char *vals[1] = { key };
	PGconn *c = pg_of(s)->conn;
	PGresult *r = pg_exec(c, "SELECT EXISTS (SELECT 1 FROM pg_locks p WHERE " PG_LOCKS_KEY ")", 1, vals);
	char what[1024];
	int rc;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(what, sizeof(what), "probe lock '%s' in %s", key, s->name);
		rc = pg_fail(c, r, err, what);
	} else if (strcmp(PQgetvalue(r, 0, 0), "t")) {
		*who = jv_null();
		rc = 0;
	} else {
		rc = pg_holder(s, key, who, err) < 0 ? -1 : 1;
	}
	PQclear(r);
	return rc;
}
