/* engine_int.h — private to engine/: the run, its tasks, the worker pool, the journal.
 *
 * Threads: the engine thread owns struct engine, every struct task and every jv in
 * them. Workers see only struct job: deep copies of args and connections going in,
 * a result (a jv made on the worker, handed over whole) coming out through the
 * message queue. Workers may write the journal (journal_append is locked) but never
 * call the sink.
 */
#ifndef RB_ENGINE_INT_H
#define RB_ENGINE_INT_H
#include <pthread.h>
#include <stdatomic.h>
#include "engine.h"
#include "../core/action.h"

struct engine;
struct task;

enum job_mode { JOB_RUN, JOB_DRY_RUN, JOB_CHECK };

/* one action call on a worker thread */
struct job {
	struct engine *e;
	struct task *task;           /* engine side; workers never touch it */
	const struct action_desc *desc;
	enum job_mode mode;
	char *step;                  /* qualified id (+ [item] / rollback suffix) */
	int item, attempt;
	int rb;                      /* a rollback (1) or finally (2) step's call */
	jv args;                     /* deep copy, consumed by the worker */
	jv conns;                    /* deep copy, owned by the job */
	int64_t deadline;
	volatile int cancel;
	/* filled by the worker */
	int rc;
	jv out;
	int64_t started, duration;
};

enum msg_kind { MSG_DONE, MSG_LOG };

struct msg {
	enum msg_kind kind;
	struct job *job;
	enum log_level level;        /* MSG_LOG */
	char *text;                  /* MSG_LOG, malloc'd */
	struct msg *next;
};

struct pool {
	pthread_t *threads;
	int n;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job **queue;          /* FIFO of jobs to run */
	int qhead, qlen, qalloc;
	struct msg *mhead, *mtail;   /* messages back to the engine */
	atomic_int nmsg;
	int stop;
};

struct journal {
	pthread_mutex_t lock;
	int fd;                      /* journal.jsonl, append */
	struct tape *tape;           /* --record (tape.h), or NULL */
	struct redactor *redact;
};

/* journal.c */
int journal_open(struct journal *j, const char *dir, const char *tape, struct redactor *r);
void journal_close(struct journal *j);
/* redacts, writes one line; fsync when sync. Consumes ev. Thread-safe. */
void journal_append(struct journal *j, jv ev, int sync);
/* the tape (tape.h), when recording: the header (before any call; t0 the run's
 * start), and one call line (started: when the call began); both consume */
void journal_tape_header(struct journal *j, jv header, int64_t t0);
void journal_tape(struct journal *j, jv rec, int64_t started);
/* resume: the steps the journal's earlier events (borrowed) finished, for the end line */
void journal_tape_seed(struct journal *j, jv events);
/* what the engine reads back whole (a journal, a run's copy of its runbook, a tape) */
#define JOURNAL_MAX (256u << 20)
char *run_id_new(int64_t now_ms);
void sha256_hex(const char *data, size_t len, char out[65]);
/* every complete JSON line of a journal as an array; invalid if unreadable */
jv journal_read(const char *path);

/* invoke.c: the one door to actions */
int pool_start(struct pool *p, struct engine *e, int n);
void pool_stop(struct pool *p);
void pool_submit(struct pool *p, struct job *j);
struct msg *pool_take(struct pool *p);                  /* NULL if none */
void invoke(struct engine *e, struct job *j);           /* runs j on this thread */

/* assert.c: the values an `a OP b` comparison compared; NULL if not a comparison */
char *assert_explain(const char *expr, jv ctx);         /* borrows ctx */
/* assert.c: "PATH was VALUE, ..." for the paths a condition compares; NULL if none */
char *assert_seen(const char *expr, jv ctx);            /* borrows ctx */
/* the same, shorter: "DBInstanceStatus \"creating\"" (the last name of each path and its
 * value: what a wait's poll shows); borrows ctx */
char *assert_seen_values(const char *expr, jv ctx);

/* engine.c pieces used by invoke.c */
struct rb_clock *engine_clock(struct engine *e);
struct journal *engine_journal(struct engine *e);
const struct engine_opts *engine_opts_of(struct engine *e);
const char *engine_run_dir(struct engine *e);
const char *engine_run_id(struct engine *e);
int64_t engine_run_started(struct engine *e);
struct pool *engine_pool(struct engine *e);
/* an action's log line on the engine thread (borrows text) */
void engine_job_log(struct engine *e, const char *step, enum log_level level, const char *text);
#endif
