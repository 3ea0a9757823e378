/* state.h — the state store (DESIGN.md "The state store and locks"): runs, each with
 * its journal and files, the drill register, and locks. One interface, two stores:
 *
 *   folder      DIR/runs/ID/{journal.jsonl, plan.json, params.json, runbook.yaml,
 *               sources/N-NAME, report.md, report.json, timeline.svg}, DIR/drills.jsonl,
 *               DIR/locks/ (today's layout, unchanged on disk)          state_folder.c
 *   postgresql  tables runbook_* in the database a libpq URI names (postgresql:// or
 *               postgres://; libpq's environment, .pgpass and service files apply),
 *               created on first use, versioned, upgraded in place      state_pg.c
 *
 * engine/, cli/ and report/ reach runs, journals, drills and locks only through this
 * header. Arrows: engine -> state -> core (state includes nothing above core/).
 *
 * Threads: a struct state belongs to the thread that opened it; the one exception is
 * state_journal_append, which worker threads call concurrently (it is locked).
 * Ownership: every jv argument is consumed (libjq's rule); returned char * and jv belong
 * to the caller. Errors: -1 with *err set to a jv string (the caller frees it), worded
 * as a message ("cannot ...: reason"), never containing a password.
 * Secrets: the store writes what it is given; callers redact before (as today). */
#ifndef RB_STATE_H
#define RB_STATE_H
#include <stddef.h>
#include <stdint.h>
#include <jv.h>

struct state;
struct state_journal;
struct state_lock;

enum state_kind { STATE_FOLDER, STATE_PG };

/* where: a folder ("./.runbook" is the CLI's default) or a postgresql:// / postgres://
 * URI. The folder is created (0700) when a run is created, not here; a PostgreSQL store
 * connects, creates or upgrades its schema here, and fails with libpq's message. */
struct state *state_open(const char *where, jv *err);
void state_close(struct state *s);
enum state_kind state_kind_of(const struct state *s);
/* for messages: the folder, or the URI with any password removed */
const char *state_name(const struct state *s);
/* 1 when `where` names a PostgreSQL store (by its scheme), else 0 */
int state_is_pg_uri(const char *where);

/* ---- runs ----
 * state_run_create picks the run's id: *id on entry is a candidate (run_id_new), replaced
 * (free + new) by another while taken. The run is invisible to state_runs and
 * state_run_events until state_run_publish (called once its run_started is durable), so
 * a run killed while starting leaves nothing history or resume would take for a run. */
int state_run_create(struct state *s, char **id, int64_t now_ms, jv *err);
int state_run_publish(struct state *s, const char *id, jv *err);
/* a file of the run: NAME is "plan.json", "params.json", "runbook.yaml",
 * "sources/N-NAME", "report.md", "report.json", "timeline.svg" (0600; replaced whole,
 * atomically). state_run_get: NULL with errno ENOENT when absent, or another errno. */
int state_run_put(struct state *s, const char *id, const char *name, const char *data, size_t len,
		  jv *err);
char *state_run_get(struct state *s, const char *id, const char *name, size_t *len);
/* the run's events, every complete journal line parsed, in order: an array of objects;
 * invalid with a message when there is no such (published) run */
jv state_run_events(struct state *s, const char *id);
/* the run's journal as text (what state_run_events parses), caller frees; NULL with
 * errno: ENOSYS when the store keeps no such text (read state_run_events), else why */
char *state_run_journal(struct state *s, const char *id, size_t *len);
/* published runs' ids, newest first (ids begin with their start time) */
jv state_runs(struct state *s);
/* a local folder for the files an action keeps during the run (core/action.h work_dir):
 * the run's folder for the folder store; for PostgreSQL a private local folder
 * ($XDG_STATE_HOME or ~/.local/state)/runbook/work/ID, 0700), created on demand.
 * Returned string owned by the caller; NULL + *err on failure. */
char *state_run_workdir(struct state *s, const char *id, jv *err);

/* ---- the journal ----
 * Appends of one run, thread-safe. line: one JSON text without a newline. sync=1 returns
 * only once the line is durable (folder: fsync with group commit, one fsync covering
 * every writer waiting; PostgreSQL: committed, synchronous_commit as the server says).
 * Returns -1 when the line could not be made durable; from then on every append fails
 * (sticky): the engine stops the run before its next mutating call and says
 * state_journal_error(). Nothing acknowledged is lost; resume continues once the store
 * is back. */
/* sync: STATE_SYNC_NONE, STATE_SYNC (durable on return) or STATE_SYNC_SOON (returns at
 * once; durable within STATE_SYNC_SOON_MS, or sooner with the next synced line or the
 * close). A line never synced still reaches the store in order, before any later
 * synced line is acknowledged (folder: written at once, durable with the next sync;
 * PostgreSQL: committed by the writer's next commit). */
#define STATE_SYNC_NONE 0
#define STATE_SYNC 1
#define STATE_SYNC_SOON 2
#define STATE_SYNC_SOON_MS 100
struct state_journal *state_journal_open(struct state *s, const char *id, jv *err);
int state_journal_append(struct state_journal *j, const char *line, size_t len, int sync);
const char *state_journal_error(struct state_journal *j);  /* NULL while healthy */
void state_journal_close(struct state_journal *j);         /* syncs what is pending */

/* ---- the drill register ----
 * record: one object (redacted by the caller), appended durably. state_drills: every
 * record in the order appended (an array; empty when none). */
int state_drill_append(struct state *s, jv record, jv *err);
jv state_drills(struct state *s);

/* ---- locks ----
 * KEY: any text (a runbook's `lock:` value, or "run:ID", the lock every run holds on its
 * own id while its process lives). Held until state_unlock or until the process dies
 * (folder: flock(2) on DIR/locks/<key, escaped>.lock; PostgreSQL: an advisory lock on
 * the store's session, so a dead process or machine releases it) — a crash never leaves
 * a lock behind. me: {run, host, pid, since} stored for the message a refused caller
 * gets. wait_ms: 0 tries once; > 0 waits that long (polling is fine).
 * Returns 0 (taken, *lk set), 1 (held by another: *who = its record, or null when it
 * is unknown), -1 (*err). */
int state_lock(struct state *s, const char *key, jv me, int64_t wait_ms, struct state_lock **lk,
	       jv *who, jv *err);
void state_unlock(struct state_lock *lk);
/* who holds KEY now, without taking it: 0 free, 1 held (*who as above), -1 (*err) */
int state_lock_probe(struct state *s, const char *key, jv *who, jv *err);

#endif
