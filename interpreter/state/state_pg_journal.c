/* state_pg_journal.c — a run's journal in runbook_events, with group commit.
 *
 * Each open journal has its own connection and one writer thread that owns it. An
 * append numbers its line (seq, under the lock, so lines keep the order they were
 * appended in) and queues it; the writer takes everything queued, inserts it in one
 * statement (one commit, chunks of at most PG_CHUNK_LINES / PG_CHUNK_BYTES), and wakes
 * the appenders it covered. A sync append returns once its line is committed; while
 * one commit is on the wire the next batch gathers every line appended meanwhile, so
 * parallel workers share commits instead of queueing behind each other's. A sync=0
 * append returns at once: its line reaches the server within the writer's next commit
 * (a process killed just after may lose it; the folder's page cache would keep it).
 * STATE_SYNC_SOON is that too: the writer commits whatever is queued at once, so the
 * line is committed well within STATE_SYNC_SOON_MS.
 *
 * A failed insert (server gone, restarted) is sticky: the queue is dropped, every later
 * append returns -1, and state_journal_error says what libpq said. Lines committed
 * before stay; a new state_open after the server is back continues from the last seq.
 *
 * Why a second connection and not the state's under a mutex: the state's session is the
 * owner thread's (locks, run files, drills while workers append) and libpq allows one
 * command at a time per connection, so sharing it would serialise those calls behind
 * commits and make every state call take the journal's lock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/buf.h"
#include "../core/bug.h"
#include "state_pg.h"

#define PG_CHUNK_LINES 1000                 /* rows per INSERT (2 parameters each) */
#define PG_CHUNK_BYTES ((size_t)8 << 20)    /* line bytes per INSERT */
#define PG_QUEUE_BYTES ((size_t)16 << 20)   /* an appender waits while more is queued */

struct state_journal {
	struct state *s;            /* first: state.c dispatches through it */
	PGconn *conn;               /* the writer thread's */
	char *run_id;
	pthread_t writer;
	pthread_mutex_t lock;
	pthread_cond_t work;        /* the writer: lines queued, or stop */
	pthread_cond_t done;        /* appenders: committed moved, or error */
	char **q;                   /* queued lines (malloc'd), seq first_queued.. */
	size_t *qlen;
	size_t nq, aq, qbytes;
	int64_t next_seq;           /* seq of the next line appended */
	int64_t committed;          /* every seq <= committed is committed */
	int stop;
	char *error;                /* sticky; set once, freed at close */
};

static int pg_insert(struct state_journal *j, int64_t seq, char **lines, size_t *lens, size_t n)
{
	struct buf sql = BUF_INIT(0);
	const char **vals = xcalloc(1 + 2 * n, sizeof(*vals));
	char *seqs = xmalloc(n * 24);
	int *lv = xcalloc(1 + 2 * n, sizeof(*lv));
	PGresult *r;
	int berr = 0, rc = 0;

	berr |= buf_adds(&sql, "INSERT INTO runbook_events (run_id, seq, line) VALUES ");
	vals[0] = j->run_id;
	for (size_t i = 0; i < n; i++) {
		snprintf(seqs + 24 * i, 24, "%lld", (long long)(seq + (int64_t)i));
		vals[1 + 2 * i] = seqs + 24 * i;
		vals[2 + 2 * i] = lines[i];
		lv[2 + 2 * i] = (int)lens[i];
		berr |= buf_addf(&sql, "%s($1, $%zu::bigint, $%zu)", i ? ", " : "", 2 + 2 * i, 3 + 2 * i);
	}
	BUF_NOCAP(berr);
	r = PQexecParams(j->conn, sql.data, (int)(1 + 2 * n), NULL, vals, lv, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		char *m = pg_message(j->conn, r);
		jv e = jv_string_fmt("cannot append to the journal of run '%s' in %s: %s", j->run_id, j->s->name, m);
		pthread_mutex_lock(&j->lock);
		if (!j->error)
			j->error = xstrdup(jv_string_value(e));
		pthread_mutex_unlock(&j->lock);
		jv_free(e);
		free(m);
		rc = -1;
	}
	PQclear(r);
	buf_release(&sql);
	free(vals);
	free(seqs);
	free(lv);
	return rc;
}

static void *pg_writer(void *arg)
{
	struct state_journal *j = arg;
	pthread_mutex_lock(&j->lock);
	for (;;) {
		char **lines;
		size_t *lens, n, done = 0;
		int64_t first;

		while (!j->nq && !j->stop)
			pthread_cond_wait(&j->work, &j->lock);
		if (!j->nq)
			break;
		lines = j->q, lens = j->qlen, n = j->nq;
		first = j->next_seq - (int64_t)n;
		j->q = NULL, j->qlen = NULL, j->nq = j->aq = 0, j->qbytes = 0;
		pthread_mutex_unlock(&j->lock);

		while (done < n) {
			size_t k = 0, bytes = 0;
			while (done + k < n && k < PG_CHUNK_LINES && (k == 0 || bytes + lens[done + k] <= PG_CHUNK_BYTES))
				bytes += lens[done + k++];
			if (pg_insert(j, first + (int64_t)done, lines + done, lens + done, k) < 0)
				break;
			done += k;
			pthread_mutex_lock(&j->lock);
			j->committed = first + (int64_t)done - 1;
			pthread_cond_broadcast(&j->done);
			pthread_mutex_unlock(&j->lock);
		}
		for (size_t i = 0; i < n; i++)
			free(lines[i]);
		free(lines);
		free(lens);
		pthread_mutex_lock(&j->lock);
		if (j->error) {
			/* nothing after the failed line may be written: the queue is dropped */
			for (size_t i = 0; i < j->nq; i++)
				free(j->q[i]);
			j->nq = 0, j->qbytes = 0;
			pthread_cond_broadcast(&j->done);
		}
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

struct state_journal *pg_journal_open(struct state *s, const char *id, jv *err)
{
	const char *vals[1] = { id };
	struct state_journal *j = NULL;
	PGconn *c = pg_connect(pg_of(s)->uri, s->name, err);
	PGresult *r = NULL;
	char what[512];

	if (!c)
		return NULL;
	snprintf(what, sizeof(what), "open the journal of run '%s' in %s", id, s->name);
	r = pg_exec(c, "SELECT (SELECT max(seq) FROM runbook_events WHERE run_id = $1), "
		    "EXISTS (SELECT 1 FROM runbook_runs WHERE id = $1)", 1, vals);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(c, r, err, what);
		goto fail;
	}
	if (strcmp(PQgetvalue(r, 0, 1), "t")) {
		*err = jv_string_fmt("cannot %s: no such run", what);
		goto fail;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->conn = c;
	j->run_id = xstrdup(id);
	j->next_seq = PQgetisnull(r, 0, 0) ? 1 : strtoll(PQgetvalue(r, 0, 0), NULL, 10) + 1;
	j->committed = j->next_seq - 1;
	PQclear(r);
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->work, NULL);
	pthread_cond_init(&j->done, NULL);
	if (pthread_create(&j->writer, NULL, pg_writer, j)) {
		*err = jv_string_fmt("cannot %s: cannot start its writer thread", what);
		pthread_cond_destroy(&j->done);
		pthread_cond_destroy(&j->work);
		pthread_mutex_destroy(&j->lock);
		free(j->run_id);
		free(j);
		PQfinish(c);
		return NULL;
	}
	return j;
fail:
	PQclear(r);
	PQfinish(c);
	return NULL;
}

int pg_journal_append(struct state_journal *j, const char *line, size_t len, int sync)
{
	int64_t seq;
	int rc = 0;

	pthread_mutex_lock(&j->lock);
	while (!j->error && j->qbytes > PG_QUEUE_BYTES)
		pthread_cond_wait(&j->done, &j->lock);
	if (j->error) {
		rc = -1;
		goto out;
	}
	ALLOC_GROW(j->q, j->nq + 1, j->aq);
	j->qlen = xrealloc(j->qlen, j->aq * sizeof(*j->qlen));
	j->q[j->nq] = xstrndup(line, len);
	j->qlen[j->nq] = len;
	j->nq++;
	j->qbytes += len;
	seq = j->next_seq++;
	pthread_cond_signal(&j->work);
	if (sync == STATE_SYNC) {
		while (!j->error && j->committed < seq)
			pthread_cond_wait(&j->done, &j->lock);
		rc = j->committed >= seq ? 0 : -1;
	}
out:
	pthread_mutex_unlock(&j->lock);
	return rc;
}

const char *pg_journal_error(struct state_journal *j)
{
	const char *e;
	pthread_mutex_lock(&j->lock);
	e = j->error;
	pthread_mutex_unlock(&j->lock);
	return e;
}

void pg_journal_close(struct state_journal *j)
{
	pthread_mutex_lock(&j->lock);
	j->stop = 1;
	pthread_cond_signal(&j->work);
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->writer, NULL);
	PQfinish(j->conn);
	for (size_t i = 0; i < j->nq; i++)
		free(j->q[i]);
	free(j->q);
	free(j->qlen);
	free(j->error);
	free(j->run_id);
	pthread_cond_destroy(&j->done);
	pthread_cond_destroy(&j->work);
	pthread_mutex_destroy(&j->lock);
	free(j);
}
