/* conformance.c — the same checks against both state stores (state/state.h):
 *
 *   state_conformance folder            a store in a fresh mktemp folder
 *   state_conformance pg [DOC.md]       a PostgreSQL store, under tests/integration/servers.sh
 *                                       (PGHOST/PGPORT..., RB_PG_PW_USER/PASSWORD, RB_SERVERS_DIR)
 *
 * Runs: created runs are invisible until published; files round-trip (bytes, replaced
 * whole); events come back in order (folder: a cut last line is ignored); runs newest
 * first; drills in order; 8 threads appending at once (every line once, each thread's
 * in its order); a sync append survives kill -9 of its process; locks: taken, refused
 * with the holder's record, released by unlock, by exit and by kill -9, waited for;
 * lock_probe; state_name never shows a password. PostgreSQL also: the schema created by
 * processes at once, a newer schema refused, the grants of docs/state-postgresql.md
 * enough, and the server restarted under an open journal (the append fails, sticky,
 * with libpq's message; a new open continues the events). TAP on stdout. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>
#include "core/bug.h"
#include "core/fs.h"
#include "core/jvx.h"
#include "state/state.h"

static int tap_n, tap_failed;
static const char *kind;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - [%s] ", cond ? "ok" : "not ok", ++tap_n, kind);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
}

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* an error jv as text for a diag line; consumes e */
static void diag_err(const char *what, jv e)
{
	if (jv_get_kind(e) == JV_KIND_STRING)
		diag("%s: %s", what, jv_string_value(e));
	jv_free(e);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct state *open_or_diag(const char *where)
{
	jv err = jv_invalid();
	struct state *s = state_open(where, &err);
	if (!s)
		diag_err("state_open", err);
	return s;
}

/* a new published (publish=1) or unpublished run, its id malloc'd */
static char *new_run(struct state *s, const char *candidate, int publish)
{
	char *id = xstrdup(candidate);
	jv err = jv_invalid();
	if (state_run_create(s, &id, now_ms(), &err) < 0 || (publish && state_run_publish(s, id, &err) < 0)) {
		diag_err(candidate, err);
		free(id);
		return NULL;
	}
	return id;
}

static int has_string(jv arr, const char *str)
{
	int found = 0;
	if (jv_get_kind(arr) != JV_KIND_ARRAY)
		return 0;
	jv_array_foreach(arr, i, v) {
		if (jv_get_kind(v) == JV_KIND_STRING && !strcmp(jv_string_value(v), str))
			found = 1;
		jv_free(v);
	}
	return found;
}

/* jv_array_length of a borrowed value, -1 when it is not an array */
static int len_of(jv v)
{
	return jv_get_kind(v) == JV_KIND_ARRAY ? jv_array_length(jv_copy(v)) : -1;
}

static int append(struct state_journal *j, const char *line, int sync)
{
	return state_journal_append(j, line, strlen(line), sync);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

/* pg: how many transactions wrote the run's events (each row's xmin): -1 elsewhere */
static int pg_commits(struct state *s, const char *id)
{
	const char *kw[] = { "dbname", NULL }, *val[] = { "rbstate", NULL }, *vals[1] = { id };
	PGconn *c;
	PGresult *r;
	int n = -1;
	if (state_kind_of(s) != STATE_PG)
		return -1;
	c = PQconnectdbParams(kw, val, 0);
	r = PQexecParams(c, "SELECT count(DISTINCT xmin::text) FROM runbook_events WHERE run_id = $1", 1, NULL, vals,
			 NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return n;
}

/* ---- runs and files ---- */

static void t_runs(struct state *s)
{
	char *id = new_run(s, "20260101T000001Z-aaaa", 0), *id2;
	jv runs, ev, err = jv_invalid();
	char *got;
	size_t len = 0;
	static const char bytes[] = "a\0b\nc\xff";

	ok(id != NULL, "a run is created");
	if (!id)
		return;
	runs = state_runs(s);
	ok(jv_is_valid(runs) && !has_string(runs, id), "an unpublished run is not listed");
	jv_free(runs);
	ev = state_run_events(s, id);
	ok(!jv_is_valid(ev), "an unpublished run has no events to read");
	jv_free(ev);
	ok(state_run_put(s, id, "plan.json", "{}", 2, &err) == 0, "a file is stored before publishing");
	{
		struct state_journal *j = state_journal_open(s, id, &err);
		ok(j && append(j, "{\"v\":1,\"event\":\"run_started\"}", 1) == 0,
		   "its first journal line is made durable before publishing");
		state_journal_close(j);
	}
	ok(state_run_publish(s, id, &err) == 0, "the run is published");
	runs = state_runs(s);
	ok(has_string(runs, id), "a published run is listed");
	jv_free(runs);
	ev = state_run_events(s, id);
	ok(len_of(ev) == 1, "its events are read once it is published");
	jv_free(ev);

	id2 = new_run(s, "20260101T000001Z-aaaa", 0);
	ok(id2 && strcmp(id2, id) && !strncmp(id2, "20260101T000001Z-", 17),
	   "a taken id is replaced by another of the same time (%s)", id2 ? id2 : "none");

	ok(state_run_put(s, id, "sources/1-main.yaml", bytes, sizeof(bytes) - 1, &err) == 0, "bytes are stored");
	got = state_run_get(s, id, "sources/1-main.yaml", &len);
	ok(got && len == sizeof(bytes) - 1 && !memcmp(got, bytes, len) && got[len] == '\0',
	   "they come back the same, NUL-terminated");
	free(got);
	ok(state_run_put(s, id, "report.md", "first version", 13, &err) == 0 &&
	   state_run_put(s, id, "report.md", "yz", 2, &err) == 0, "a file is replaced");
	got = state_run_get(s, id, "report.md", &len);
	ok(got && len == 2 && !strcmp(got, "yz"), "whole (%s)", got ? got : "NULL");
	free(got);
	errno = 0;
	got = state_run_get(s, id, "timeline.svg", &len);
	ok(!got && errno == ENOENT, "an absent file is NULL with ENOENT (errno %d)", errno);
	free(got);
	if (jv_is_valid(err) || jv_get_kind(err) == JV_KIND_STRING)
		diag_err("runs", err);
	else
		jv_free(err);
	free(id);
	free(id2);
}

/* a local folder for the run's action files: the run's folder, or for PostgreSQL
 * $XDG_STATE_HOME/runbook/work/ID (0700) */
static void t_workdir(struct state *s)
{
	char xdg[] = "/tmp/rb-xdg-XXXXXX", want[512], probe[600];
	char *id = new_run(s, "20260110T000000Z-0001", 1), *dir = NULL;
	jv err = jv_invalid();
	struct stat st;
	int fd = -1;

	if (!id || !mkdtemp(xdg)) {
		ok(0, "a run for its work folder");
		free(id);
		return;
	}
	setenv("XDG_STATE_HOME", xdg, 1);
	dir = state_run_workdir(s, id, &err);
	snprintf(want, sizeof(want), "%s/runbook/work/%s", xdg, id);
	if (dir) {
		snprintf(probe, sizeof(probe), "%s/probe", dir);
		fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0600);
	}
	ok(dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && fd >= 0, "the run's work folder is a folder to "
	   "write in (%s)", dir ? dir : "NULL");
	if (state_kind_of(s) == STATE_PG)
		ok(dir && !strcmp(dir, want) && (st.st_mode & 0777) == 0700, "under $XDG_STATE_HOME, mode 0700");
	if (fd >= 0) {
		close(fd);
		unlink(probe);
	}
	unsetenv("XDG_STATE_HOME");
	nftw(xdg, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (!dir)
		diag_err("workdir", err);
	else
		jv_free(err);
	free(dir);
	free(id);
}

static void t_order(struct state *s)
{
	const char *cands[] = { "20260102T000000Z-0001", "20260103T000000Z-0001", "20260101T120000Z-0001" };
	char *ids[3];
	jv runs;
	int sorted = 1, n;

	for (int i = 0; i < 3; i++)
		ids[i] = new_run(s, cands[i], 1);
	runs = state_runs(s);
	n = len_of(runs);
	for (int i = 1; i < n; i++) {
		jv a = jv_array_get(jv_copy(runs), i - 1), b = jv_array_get(jv_copy(runs), i);
		if (strcmp(jv_string_value(a), jv_string_value(b)) <= 0)
			sorted = 0;
		jv_free(a);
		jv_free(b);
	}
	ok(n >= 3 && sorted, "runs come newest first (%d runs)", n);
	if (n >= 1) {
		jv first = jv_array_get(jv_copy(runs), 0);
		ok(ids[1] && !strcmp(jv_string_value(first), ids[1]), "the newest is first");
		jv_free(first);
	}
	jv_free(runs);
	for (int i = 0; i < 3; i++)
		free(ids[i]);
}

static void t_events(struct state *s, const char *where)
{
	char *id = new_run(s, "20260104T000000Z-0001", 0);
	jv err = jv_invalid(), ev;
	struct state_journal *j;
	int rc = 0, inorder = 1;

	if (!id)
		return;
	j = state_journal_open(s, id, &err);
	ok(j != NULL, "a journal opens on an unpublished run");
	if (!j) {
		diag_err("journal", err);
		free(id);
		return;
	}
	for (int i = 0; i < 50; i++) {
		char line[64];
		snprintf(line, sizeof(line), "{\"v\":1,\"n\":%d}", i);
		rc |= append(j, line, i % 7 == 0);
	}
	ok(rc == 0 && state_journal_error(j) == NULL, "50 lines are appended");
	state_journal_close(j);
	state_run_publish(s, id, &err);
	ev = state_run_events(s, id);
	ok(len_of(ev) == 50, "every line is read back (%d)", len_of(ev));
	for (int i = 0; i < len_of(ev); i++) {
		jv e = jv_array_get(jv_copy(ev), i);
		if (jvx_int(e, "n", -1) != i)
			inorder = 0;
		jv_free(e);
	}
	ok(inorder, "in the order appended");
	jv_free(ev);

	if (state_kind_of(s) == STATE_FOLDER) {
		/* a crash in the middle of a write leaves a cut last line */
		char path[4096];
		FILE *f;
		snprintf(path, sizeof(path), "%s/runs/%s/journal.jsonl", where, id);
		f = fopen(path, "a");
		if (f) {
			fputs("{\"v\":1,\"n\":5", f);
			fclose(f);
		}
		ev = state_run_events(s, id);
		ok(f && len_of(ev) == 50, "a cut last line is ignored (%d)", len_of(ev));
		jv_free(ev);
	}
	ev = state_run_events(s, "20990101T000000Z-none");
	ok(!jv_is_valid(ev), "no events of an unknown run");
	jv_free(ev);
	free(id);
}

/* many lines queued at once (more than one statement's worth for PostgreSQL) and a
 * line near CAP_LINE: every one back, in order, once the journal is closed */
static void t_bulk(struct state *s)
{
	char *id = new_run(s, "20260104T000001Z-0001", 0), *big;
	jv err = jv_invalid(), ev;
	struct state_journal *j = id ? state_journal_open(s, id, &err) : NULL;
	size_t bigsz = 900 << 10;
	int rc = 0, inorder = 1, n;

	if (!j) {
		ok(0, "a journal for 2500 lines");
		diag_err("journal", err);
		free(id);
		return;
	}
	big = xmalloc(bigsz + 64);
	snprintf(big, 64, "{\"v\":1,\"n\":2500,\"text\":\"");
	memset(big + strlen(big), 'x', bigsz);
	strcpy(big + bigsz, "\"}");
	for (int i = 0; i < 2500; i++) {
		char line[64];
		snprintf(line, sizeof(line), "{\"v\":1,\"n\":%d}", i);
		rc |= append(j, line, 0);
	}
	rc |= append(j, big, 0);
	ok(rc == 0, "2500 lines and one of 900 KiB appended without sync");
	state_journal_close(j);
	state_run_publish(s, id, &err);
	ev = state_run_events(s, id);
	n = len_of(ev);
	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(ev), i);
		if (jvx_int(e, "n", -1) != i)
			inorder = 0;
		if (i == 2500) {
			const char *t = jvx_str(e, "text");
			if (!t || strlen(t) != bigsz - strlen("{\"v\":1,\"n\":2500,\"text\":\""))
				inorder = 0;
		}
		jv_free(e);
	}
	ok(n == 2501 && inorder, "closing the journal made them all readable, in order (%d)", n);
	if (state_kind_of(s) == STATE_PG)
		diag("2501 lines in %d commits", pg_commits(s, id));
	jv_free(ev);
	jv_free(err);
	free(big);
	free(id);
}

static void t_drills(struct state *s)
{
	jv err = jv_invalid(), d;
	int rc = 0, inorder = 1, n;
	for (int i = 0; i < 5; i++)
		rc |= state_drill_append(s, JV_OBJECT(jv_string("drill"), jv_string("restore"), jv_string("n"),
						      jv_number(i)), &err);
	ok(rc == 0, "5 drill records appended");
	d = state_drills(s);
	n = len_of(d);
	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(d), i);
		if (jvx_int(e, "n", -1) != i || strcmp(jvx_str(e, "drill") ? jvx_str(e, "drill") : "", "restore"))
			inorder = 0;
		jv_free(e);
	}
	ok(n == 5 && inorder, "read back in order (%d)", n);
	jv_free(d);
	if (rc)
		diag_err("drills", err);
	else
		jv_free(err);
}

/* ---- the journal under 8 threads ---- */

#define NTHREADS 8
#define NLINES 200
struct worker {
	struct state_journal *j;
	int t, sync_every, failed;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (int k = 0; k < NLINES; k++) {
		char line[96];
		snprintf(line, sizeof(line), "{\"v\":1,\"t\":%d,\"n\":%d}", w->t, k);
		if (append(w->j, line, w->sync_every && k % w->sync_every == 0) < 0)
			w->failed++;
	}
	return NULL;
}

/* appends from `threads` threads; 0 or -1 */
static int run_workers(struct state_journal *j, int threads, int sync_every)
{
	pthread_t th[NTHREADS];
	struct worker w[NTHREADS];
	int failed = 0;
	for (int t = 0; t < threads; t++) {
		w[t] = (struct worker){ j, t, sync_every, 0 };
		pthread_create(&th[t], NULL, worker_main, &w[t]);
	}
	for (int t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		failed += w[t].failed;
	}
	return failed ? -1 : 0;
}

static void t_threads(struct state *s)
{
	char *id = new_run(s, "20260105T000000Z-0001", 1);
	jv err = jv_invalid(), ev;
	struct state_journal *j;
	static int seen[NTHREADS][NLINES];
	int last[NTHREADS], once = 1, inorder = 1, n;
	double t0;

	if (!id)
		return;
	j = state_journal_open(s, id, &err);
	if (!j) {
		ok(0, "a journal for 8 threads");
		diag_err("journal", err);
		free(id);
		return;
	}
	t0 = mono_s();
	ok(run_workers(j, NTHREADS, 5) == 0, "8 threads append %d lines each, every 5th synced", NLINES);
	diag("8 threads, 1 line in 5 synced: %.0f lines/s", NTHREADS * NLINES / (mono_s() - t0));
	state_journal_close(j);
	ev = state_run_events(s, id);
	n = len_of(ev);
	memset(seen, 0, sizeof(seen));
	for (int t = 0; t < NTHREADS; t++)
		last[t] = -1;
	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(ev), i);
		int t = (int)jvx_int(e, "t", -1), k = (int)jvx_int(e, "n", -1);
		jv_free(e);
		if (t < 0 || t >= NTHREADS || k < 0 || k >= NLINES) {
			once = 0;
			continue;
		}
		seen[t][k]++;
		if (k <= last[t])
			inorder = 0;
		last[t] = k;
	}
	for (int t = 0; t < NTHREADS; t++)
		for (int k = 0; k < NLINES; k++)
			if (seen[t][k] != 1)
				once = 0;
	ok(n == NTHREADS * NLINES && once, "every line is there once (%d lines)", n);
	ok(inorder, "each thread's lines in its order");
	if (state_kind_of(s) == STATE_PG)
		diag("%d lines in %d commits", n, pg_commits(s, id));
	jv_free(ev);
	free(id);

	/* figures for the report: every append synced, 1 thread and 8 */
	for (int threads = 1; threads <= NTHREADS; threads += NTHREADS - 1) {
		char *rid = new_run(s, "20260105T000001Z-0001", 1);
		struct state_journal *bj = rid ? state_journal_open(s, rid, &err) : NULL;
		if (bj) {
			t0 = mono_s();
			if (run_workers(bj, threads, 1) == 0)
				diag("%d thread(s), every append synced: %.0f lines/s", threads,
				     threads * NLINES / (mono_s() - t0));
			state_journal_close(bj);
			if (state_kind_of(s) == STATE_PG)
				diag("  %d lines in %d commits", threads * NLINES, pg_commits(s, rid));
		}
		free(rid);
	}
	jv_free(err);
}

/* ---- durability: sync appends survive kill -9 of their process ---- */

static void t_durable(struct state *s, const char *where)
{
	char *id = new_run(s, "20260106T000000Z-0001", 1);
	pid_t pid;
	int status = 0;
	jv ev;

	if (!id)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		jv err = jv_invalid();
		struct state *cs = state_open(where, &err);
		struct state_journal *j = cs ? state_journal_open(cs, id, &err) : NULL;
		if (!j)
			_exit(2);
		for (int i = 0; i < 20; i++) {
			char line[64];
			snprintf(line, sizeof(line), "{\"v\":1,\"n\":%d}", i);
			if (append(j, line, i % 2) < 0)
				_exit(3);
		}
		/* the last line was synced, and with it the ones before */
		raise(SIGKILL);
		_exit(4);
	}
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "a process appends 20 lines (every 2nd synced) and "
	   "is killed -9 (status %d)", status);
	ev = state_run_events(s, id);
	ok(len_of(ev) == 20, "every line it appended up to its last sync is there (%d)", len_of(ev));
	jv_free(ev);
	free(id);
}

/* ---- locks ---- */

static jv me(const char *run, int pid)
{
	return JV_OBJECT(jv_string("run"), jv_string(run), jv_string("host"), jv_string("host-a"), jv_string("pid"),
			 jv_number(pid), jv_string("since"), jv_string("2026-12-03T21:00:00Z"));
}

/* who names run (consumed) */
static int who_is(jv who, const char *run)
{
	int r = jv_get_kind(who) == JV_KIND_OBJECT && jvx_str(who, "run") && !strcmp(jvx_str(who, "run"), run);
	jv_free(who);
	return r;
}

static void t_locks(struct state *s, const char *where)
{
	struct state *s2 = open_or_diag(where);
	struct state_lock *lk = NULL, *lk2 = NULL, *lk3 = NULL;
	jv err = jv_invalid(), who = jv_invalid();
	const char *key = "rds/db1: restore";
	int rc;

	if (!s2) {
		ok(0, "a second handle on the store");
		return;
	}
	ok(state_lock(s, key, me("r-one", 4242), 0, &lk, &who, &err) == 0, "a lock is taken");
	rc = state_lock(s2, key, me("r-two", 4343), 0, &lk2, &who, &err);
	{
		int good = jv_get_kind(who) == JV_KIND_OBJECT && jvx_str(who, "host") &&
			   !strcmp(jvx_str(who, "host"), "host-a") && jvx_int(who, "pid", 0) == 4242;
		ok(rc == 1 && good && who_is(who, "r-one"), "another session is refused, with the holder's record");
	}
	who = jv_invalid();
	ok(state_lock(s, key, me("r-one-again", 4242), 0, &lk3, &who, &err) == 1 && who_is(who, "r-one"),
	   "the holder's own second take is refused too");
	who = jv_invalid();
	ok(state_lock_probe(s2, key, &who, &err) == 1 && who_is(who, "r-one"), "lock_probe names the holder");
	who = jv_invalid();
	ok(state_lock(s2, key, me("r-two", 4343), 300, &lk2, &who, &err) == 1 && who_is(who, "r-one"),
	   "waiting 300 ms for a lock that stays held is refused");
	who = jv_invalid();
	state_unlock(lk);
	ok(state_lock_probe(s2, key, &who, &err) == 0, "unlock releases it (probe)");
	jv_free(who);
	who = jv_invalid();
	ok(state_lock(s2, key, me("r-two", 4343), 0, &lk2, &who, &err) == 0, "the other session takes it");
	ok(state_lock_probe(s, key, &who, &err) == 1 && who_is(who, "r-two"), "and is named as its holder");
	who = jv_invalid();
	state_unlock(lk2);
	ok(state_lock_probe(s, "never/taken", &who, &err) == 0, "a key never taken is free");
	jv_free(who);
	if (jv_get_kind(err) == JV_KIND_STRING)
		diag_err("locks", err);
	else
		jv_free(err);
	state_close(s2);
}

/* a child takes key, says so on a pipe, then holds it for hold_ms (0: until killed) */
static pid_t holder(const char *where, const char *key, int hold_ms)
{
	int fd[2];
	char c = 'n';
	pid_t pid;
	if (pipe(fd) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		jv err = jv_invalid(), who = jv_invalid();
		struct state *cs = state_open(where, &err);
		struct state_lock *lk = NULL;
		close(fd[0]);
		if (cs && state_lock(cs, key, me("child", (int)getpid()), 0, &lk, &who, &err) == 0)
			c = 'y';
		if (write(fd[1], &c, 1) != 1)
			_exit(1);
		if (hold_ms) {
			struct timespec ts = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
			_exit(0);   /* no unlock: exit releases it */
		}
		for (;;)
			pause();
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], &c, 1) != 1 || c != 'y') {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		pid = -1;
	}
	close(fd[0]);
	return pid;
}

static void t_lock_death(struct state *s, const char *where)
{
	struct state_lock *lk = NULL;
	jv err = jv_invalid(), who = jv_invalid();
	pid_t pid = holder(where, "run:20260107T000000Z-0001", 0);
	int status;

	ok(pid > 0, "a child process takes a lock");
	if (pid <= 0)
		return;
	ok(state_lock_probe(s, "run:20260107T000000Z-0001", &who, &err) == 1 && who_is(who, "child"),
	   "lock_probe names the child");
	who = jv_invalid();
	ok(state_lock(s, "run:20260107T000000Z-0001", me("parent", 1), 0, &lk, &who, &err) == 1 &&
	   who_is(who, "child"), "the parent is refused");
	who = jv_invalid();
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* the server sees the socket close; waiting covers the moment it takes */
	ok(state_lock(s, "run:20260107T000000Z-0001", me("parent", 1), 10000, &lk, &who, &err) == 0,
	   "kill -9 of the holder releases the lock");
	state_unlock(lk);
	lk = NULL;

	pid = holder(where, "wait/me", 400);
	ok(pid > 0, "a child holds another lock for 400 ms, then exits");
	if (pid > 0) {
		ok(state_lock(s, "wait/me", me("parent", 1), 20000, &lk, &who, &err) == 0,
		   "a waiting take gets it once the holder exits");
		waitpid(pid, &status, 0);
		state_unlock(lk);
	}
	if (jv_get_kind(err) == JV_KIND_STRING)
		diag_err("locks", err);
	else
		jv_free(err);
	jv_free(who);
}

/* ---- PostgreSQL only ---- */

static char *pg_uri(const char *db, const char *extra)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "postgresql://%s:%s@%s:%s/%s%s", getenv("RB_PG_PW_USER"), getenv("RB_PG_PW_PASSWORD"),
		 getenv("RB_PG_TCP_HOST"), getenv("PGPORT"), db, extra);
	return xstrdup(buf);
}

/* SQL as the superuser (PGHOST's socket) in database db; 0 or -1 */
static int pg_admin(const char *db, const char *sql)
{
	const char *kw[] = { "dbname", NULL }, *val[] = { db, NULL };
	PGconn *c = PQconnectdbParams(kw, val, 0);
	PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
	int rc = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK) ? 0 : -1;
	if (rc)
		diag("admin SQL failed: %s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

static void t_pg_name(const char *where)
{
	const char *pw = getenv("RB_PG_PW_PASSWORD");
	char *q = NULL, *bad = NULL;
	struct state *s;
	jv err = jv_invalid();

	s = open_or_diag(where);
	ok(s && !strstr(state_name(s), pw) && strstr(state_name(s), "rbstate") && strstr(state_name(s), "127.0.0.1"),
	   "state_name hides the password (%s)", s ? state_name(s) : "no store");
	state_close(s);
	{
		char buf[1024];
		snprintf(buf, sizeof(buf), "postgresql://%s@%s:%s/rbstate?password=%s&application_name=rb-test",
			 getenv("RB_PG_PW_USER"), getenv("RB_PG_TCP_HOST"), getenv("PGPORT"), pw);
		q = xstrdup(buf);
	}
	s = open_or_diag(q);
	ok(s && !strstr(state_name(s), pw) && strstr(state_name(s), "application_name=rb-test"),
	   "so does it with ?password= (%s)", s ? state_name(s) : "no store");
	state_close(s);
	bad = pg_uri("rbstate", "");
	memcpy(strstr(bad, pw), "XX", 2);   /* a wrong password */
	s = state_open(bad, &err);
	ok(!s && jv_get_kind(err) == JV_KIND_STRING && !strstr(jv_string_value(err), strstr(bad, "XX")) &&
	   strstr(jv_string_value(err), "password"), "a refused password is reported, not shown (%s)",
	   jv_get_kind(err) == JV_KIND_STRING ? jv_string_value(err) : "?");
	state_close(s);
	jv_free(err);
	err = jv_invalid();
	s = state_open("postgresql://u:se%zzcret@h/db", &err);
	ok(!s && jv_get_kind(err) == JV_KIND_STRING && !strstr(jv_string_value(err), "se%zz"),
	   "an invalid URI's message does not quote it (%s)", jv_get_kind(err) == JV_KIND_STRING ? jv_string_value(err) : "?");
	jv_free(err);
	free(q);
	free(bad);
}

/* a row left by a holder killed -9 names nobody once another session holds the lock */
static void t_pg_stale(const char *where)
{
	struct state *s = open_or_diag(where);
	pid_t pid = holder(where, "stale/k", 0);
	const char *kw[] = { "dbname", NULL }, *val[] = { "rbstate", NULL };
	PGconn *other = PQconnectdbParams(kw, val, 0);
	PGresult *r = NULL;
	struct state_lock *lk = NULL;
	jv err = jv_invalid(), who = jv_invalid();
	int taken = 0;

	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	/* another program's session takes the advisory lock; the killed child's row stays */
	for (int i = 0; i < 100 && pid > 0 && !taken; i++) {
		PQclear(r);
		r = PQexec(other, "SELECT pg_try_advisory_lock(hashtextextended('stale/k', 0))");
		taken = PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), "t");
		if (!taken)
			usleep(100000);
	}
	PQclear(r);
	ok(s && taken, "a killed holder's lock is taken by a session that writes no row");
	ok(s && state_lock(s, "stale/k", me("late", 1), 0, &lk, &who, &err) == 1 && jv_get_kind(who) == JV_KIND_NULL,
	   "a refused take names nobody: the row left behind is stale");
	jv_free(who);
	who = jv_invalid();
	ok(s && state_lock_probe(s, "stale/k", &who, &err) == 1 && jv_get_kind(who) == JV_KIND_NULL,
	   "so does lock_probe");
	jv_free(who);
	jv_free(err);
	PQfinish(other);
	state_close(s);
}

/* processes creating the schema at once: every one opens the store */
static void t_pg_schema(void)
{
	char *uri;
	pid_t pids[4];
	int go[2], all = 1;
	jv err = jv_invalid();
	struct state *s;

	if (pg_admin("postgres", "CREATE DATABASE rbschema OWNER rb_pw") < 0 || pipe(go) < 0) {
		ok(0, "a fresh database");
		return;
	}
	uri = pg_uri("rbschema", "");
	fflush(stdout);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			char c;
			struct state *cs;
			close(go[1]);
			if (read(go[0], &c, 1) != 0)   /* EOF: the parent let everyone go */
				_exit(3);
			cs = state_open(uri, &err);
			if (!cs) {
				fprintf(stderr, "child: %s\n", jv_string_value(err));
				_exit(1);
			}
			state_close(cs);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);   /* every child reads EOF at once */
	for (int i = 0; i < 4; i++) {
		int st = 1;
		waitpid(pids[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			all = 0;
	}
	ok(all, "4 processes creating the tables at once all open the store");
	ok(pg_admin("rbschema", "UPDATE runbook_schema SET version = 99") == 0, "the schema is made version 99");
	s = state_open(uri, &err);
	ok(!s && jv_get_kind(err) == JV_KIND_STRING && strstr(jv_string_value(err), "newer"),
	   "a newer schema is refused (%s)", jv_get_kind(err) == JV_KIND_STRING ? jv_string_value(err) : "?");
	state_close(s);
	jv_free(err);
	free(uri);
}

/* the tables created by a DBA with the SQL of docs/state-postgresql.md, used by a role
 * with only the grants it lists: the blocks after "<!-- dba-sql -->" */
static void t_pg_grants(const char *doc)
{
	size_t len;
	char *text = doc ? fs_read(doc, 1 << 20, &len) : NULL, *p, *e, *uri;
	struct state *s;
	struct state_journal *j = NULL;
	struct state_lock *lk = NULL;
	jv err = jv_invalid(), who = jv_invalid(), ev;
	char *id;
	int sqlok = 1;

	if (!text) {
		ok(0, "the DBA's SQL of %s", doc ? doc : "(no doc given)");
		return;
	}
	if (pg_admin("postgres", "CREATE ROLE runbook_app LOGIN") < 0 || pg_admin("postgres", "CREATE DATABASE rbgrants") < 0)
		sqlok = 0;
	{
		char buf[256];
		snprintf(buf, sizeof(buf), "postgresql://runbook_app@%s:%s/rbgrants", getenv("RB_PG_TCP_HOST"),
			 getenv("PGPORT"));
		uri = xstrdup(buf);
	}
	s = state_open(uri, &err);
	ok(!s && jv_get_kind(err) == JV_KIND_STRING && strstr(jv_string_value(err), "permission denied for schema") &&
	   strstr(jv_string_value(err), "a DBA creates the tables"),
	   "a role without CREATE cannot make the tables, and is told what to do (%s)",
	   jv_get_kind(err) == JV_KIND_STRING ? jv_string_value(err) : "?");
	state_close(s);
	jv_free(err);
	err = jv_invalid();
	for (p = text; sqlok && (p = strstr(p, "<!-- dba-sql -->")); p = e) {
		p = strstr(p, "```sql\n");
		e = p ? strstr(p + 7, "```") : NULL;
		if (!e) {
			sqlok = 0;
			break;
		}
		*e++ = '\0';
		if (pg_admin("rbgrants", p + 7) < 0)
			sqlok = 0;
	}
	ok(sqlok, "the DBA's SQL from the doc runs");
	s = state_open(uri, &err);
	ok(s != NULL, "a role with only the doc's grants opens the store");
	if (!s) {
		diag_err("open", err);
		goto out;
	}
	id = new_run(s, "20260108T000000Z-0001", 0);
	j = id ? state_journal_open(s, id, &err) : NULL;
	ok(j && append(j, "{\"v\":1}", 1) == 0, "creates a run and appends to its journal");
	state_journal_close(j);
	ok(id && state_run_publish(s, id, &err) == 0 && state_run_put(s, id, "report.md", "r", 1, &err) == 0 &&
	   state_run_put(s, id, "report.md", "s", 1, &err) == 0, "publishes it and stores and replaces a file");
	ev = id ? state_run_events(s, id) : jv_invalid();
	ok(len_of(ev) == 1, "reads its events");
	jv_free(ev);
	ok(state_drill_append(s, JV_OBJECT(jv_string("n"), jv_number(1)), &err) == 0, "appends a drill record");
	ok(state_lock(s, "grants", me("g", 1), 0, &lk, &who, &err) == 0, "takes a lock");
	state_unlock(lk);
	jv_free(who);
	free(id);
	state_close(s);
	if (jv_get_kind(err) == JV_KIND_STRING)
		diag_err("grants", err);
	else
		jv_free(err);
out:
	free(uri);
	free(text);
}

/* pg_ctl restart, as servers.sh runs the cluster */
static int pg_restart(void)
{
	const char *bin = getenv("PG_BIN") ? getenv("PG_BIN") : "/usr/lib/postgresql/15/bin";
	const char *dir = getenv("RB_SERVERS_DIR");
	char ctl[1024], data[1024], log[1024];
	pid_t pid;
	int st = 1;

	if (!dir)
		return -1;
	snprintf(ctl, sizeof(ctl), "%s/pg_ctl", bin);
	snprintf(data, sizeof(data), "%s/pg", dir);
	snprintf(log, sizeof(log), "%s/log/pg.log", dir);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		const char *as = getenv("RB_PG_RUN_AS") ? getenv("RB_PG_RUN_AS") : "postgres";
		dup2(2, 1);
		if (getuid() == 0)
			execlp("runuser", "runuser", "-u", as, "--", ctl, "-D", data, "-l", log, "-w", "-m", "fast",
			       "restart", (char *)NULL);
		else
			execl(ctl, ctl, "-D", data, "-l", log, "-w", "-m", "fast", "restart", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* the server restarted between two appends: the next append fails (sticky, libpq's
 * message), and a new open after the restart continues the journal */
static void t_pg_restart(const char *where)
{
	struct state *s = open_or_diag(where);
	char *id = s ? new_run(s, "20260109T000000Z-0001", 1) : NULL;
	jv err = jv_invalid(), ev;
	struct state_journal *j = id ? state_journal_open(s, id, &err) : NULL;
	const char *msg;

	ok(j && append(j, "{\"v\":1,\"n\":1}", 1) == 0, "a journal line before the restart");
	if (!j) {
		diag_err("journal", err);
		state_close(s);
		free(id);
		return;
	}
	ok(pg_restart() == 0, "pg_ctl restart");
	ok(append(j, "{\"v\":1,\"n\":2}", 1) == -1, "the next synced append fails");
	msg = state_journal_error(j);
	ok(msg && strstr(msg, "cannot append to the journal of run") && strstr(msg, id) &&
	   (strstr(msg, "terminat") || strstr(msg, "closed") || strstr(msg, "connection")),
	   "state_journal_error says why (%s)", msg ? msg : "NULL");
	ok(append(j, "{\"v\":1,\"n\":3}", 0) == -1 && append(j, "{\"v\":1,\"n\":4}", 1) == -1,
	   "and every append after it fails (sticky)");
	state_journal_close(j);
	state_close(s);

	s = open_or_diag(where);
	j = s ? state_journal_open(s, id, &err) : NULL;
	ok(j && append(j, "{\"v\":1,\"n\":5}", 1) == 0, "a new open after the restart appends");
	if (!j)
		diag_err("journal", err);
	else
		jv_free(err);
	state_journal_close(j);
	ev = s ? state_run_events(s, id) : jv_invalid();
	{
		jv a = len_of(ev) == 2 ? jv_array_get(jv_copy(ev), 0) : jv_null();
		jv b = len_of(ev) == 2 ? jv_array_get(jv_copy(ev), 1) : jv_null();
		ok(jvx_int(a, "n", 0) == 1 && jvx_int(b, "n", 0) == 5,
		   "the events continue: the line before the restart, then the new one (%d lines)", len_of(ev));
		jv_free(a);
		jv_free(b);
	}
	jv_free(ev);
	state_close(s);
	free(id);
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/rb-state-XXXXXX", where[256];
	char *uri = NULL;
	struct state *s;

	if (argc < 2 || (strcmp(argv[1], "folder") && strcmp(argv[1], "pg"))) {
		fprintf(stderr, "usage: state_conformance folder|pg [DOC.md]\n");
		return 2;
	}
	kind = argv[1];
	printf("TAP version 13\n");
	if (!strcmp(kind, "folder")) {
		if (!mkdtemp(tmp)) {
			printf("Bail out! mkdtemp: %s\n", strerror(errno));
			return 1;
		}
		snprintf(where, sizeof(where), "%s/state", tmp);
	} else {
		if (!getenv("RB_PG_PW_USER") || !getenv("PGPORT")) {
			printf("Bail out! run under tests/integration/servers.sh\n");
			return 1;
		}
		if (pg_admin("postgres", "CREATE DATABASE rbstate OWNER rb_pw") < 0) {
			printf("Bail out! cannot create the test database\n");
			return 1;
		}
		uri = pg_uri("rbstate", "");
		snprintf(where, sizeof(where), "%s", uri);
	}

	s = open_or_diag(where);
	ok(s != NULL, "the store opens");
	if (s) {
		if (!strcmp(kind, "folder"))
			ok(strstr(state_name(s), tmp) != NULL, "state_name names the folder (%s)", state_name(s));
		else
			t_pg_name(where);
		t_runs(s);
		t_order(s);
		t_workdir(s);
		t_events(s, where);
		t_bulk(s);
		t_drills(s);
		t_threads(s);
		t_durable(s, where);
		t_locks(s, where);
		t_lock_death(s, where);
		state_close(s);
		if (!strcmp(kind, "pg")) {
			t_pg_stale(where);
			t_pg_schema();
			t_pg_grants(argc > 2 ? argv[2] : NULL);
			t_pg_restart(where);
		}
	}
	if (!strcmp(kind, "folder"))
		nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(uri);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

