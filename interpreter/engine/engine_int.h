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
#include <signal.h>
#include <stdatomic.h>
#include "engine.h"
#include "../core/action.h"
#include "../core/events.h"
#include "../state/state.h"

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
	int mutated;                 /* a mutating call, its intent synced ahead (write-ahead) */
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

/* the run's journal: lines go to the store (state_journal_append: durable when synced,
 * with group commit), the tape (--record) beside it */
struct journal {
	pthread_mutex_t lock;        /* the tape's lines in the order they are written */
	struct state_journal *sj;    /* the run's journal in the store */
	struct tape *tape;           /* --record (tape.h), or NULL */
	struct redactor *redact;
};

/* journal.c: 0, or -1 with *err (the store's message, or the tape's) */
int journal_open(struct journal *j, struct state *s, const char *run_id, const char *tape,
		 struct redactor *r, jv *err);
void journal_close(struct journal *j);
/* redacts, appends one line. sync (state.h): STATE_SYNC returns once that line is
 * durable (one sync covers every writer waiting); STATE_SYNC_SOON returns at once and
 * the line is durable within STATE_SYNC_SOON_MS (or with the next synced line);
 * STATE_SYNC_NONE: durable with the next synced line or at close. Consumes ev.
 * Thread-safe. -1 when the line could not be made durable: the journal has failed for
 * good (journal_error says why) */
int journal_append(struct journal *j, jv ev, int sync);
/* the same for an event redacted already (eng_emit's): not redacted again */
int journal_append_redacted(struct journal *j, jv ev, int sync);
/* the same with the event's line printed already (line: jvx_dump of ev, len bytes);
 * ev is borrowed (the tape's) */
int journal_append_line(struct journal *j, jv ev, const char *line, size_t len, int sync);
/* NULL while the journal is healthy, else the store's message (sticky) */
const char *journal_error(struct journal *j);
/* the tape (tape.h), when recording: the header (before any call; t0 the run's
 * start), and one call line (started: when the call began); both consume */
void journal_tape_header(struct journal *j, jv header, int64_t t0);
void journal_tape(struct journal *j, jv rec, int64_t started);
/* resume: the steps the journal's earlier events (borrowed) finished, for the end line */
void journal_tape_seed(struct journal *j, jv events);
void sha256_hex(const char *data, size_t len, char out[65]);

/* invoke.c: the one door to actions */
int pool_start(struct pool *p, struct engine *e, int n);
void pool_stop(struct pool *p);
void pool_submit(struct pool *p, struct job *j);
/* an ACT_INSTANT job: run on this (the engine's) thread; its MSG_DONE is queued as a
 * worker's would be, for the loop's next turn */
void pool_run_here(struct pool *p, struct engine *e, struct job *j);
struct msg *pool_take(struct pool *p);                  /* NULL if none */
void invoke(struct engine *e, struct job *j);           /* runs j on this thread */

/* assert.c: the values an `a OP b` comparison compared; NULL if not a comparison */
char *assert_explain(const char *expr, jv ctx);         /* borrows ctx */
/* one expression's value against ctx (borrowed) as compact JSON, "(error)", "(no value)"
 * or NULL when it does not compile; assert_eval_jq always through jq (the reference) */
char *assert_eval(const char *text, jv ctx);
char *assert_eval_jq(const char *text, jv ctx);
/* assert.c: "PATH was VALUE, ..." for the paths a condition compares; NULL if none */
char *assert_seen(const char *expr, jv ctx);            /* borrows ctx */
/* the same, shorter: "DBInstanceStatus \"creating\"" (the last name of each path and its
 * value: what a wait's poll shows); borrows ctx */
char *assert_seen_values(const char *expr, jv ctx);

/* engine.c pieces used by invoke.c */
struct rb_clock *engine_clock(struct engine *e);
struct journal *engine_journal(struct engine *e);
const struct engine_opts *engine_opts_of(struct engine *e);
const char *engine_run_dir(struct engine *e);   /* the run's work folder (state_run_workdir) */
const char *engine_run_id(struct engine *e);
int64_t engine_run_started(struct engine *e);
struct pool *engine_pool(struct engine *e);
/* an action's log line on the engine thread (borrows text) */
void engine_job_log(struct engine *e, const char *step, enum log_level level, const char *text);

/* ---- the engine's state, shared by the files of engine/ (engine.c, node.c, step_*.c,
 * rollback.c, loop.c, outcome.c, rundir.c, resume.c); nothing outside engine/ sees it */

enum phase { PH_RUN, PH_ROLLBACK, PH_FINALLY, PH_END };

struct node_st {
	enum step_state st;
	int deps_left;
	int64_t started, finished;
	jv items;                /* for_each values, or jv_invalid() */
	int nitems, next_item, running, ndone, nfailed;
	jv *results, *outputs;   /* per item ([0] without for_each) */
	enum step_state *item_st;
	int unknown;             /* dry-run: outputs not known */
	int unknown_anc;         /* dry-run: some ancestor's outputs not known */
	int rerun_allowed;       /* resume: may run again although it was running */
	int preset;              /* resume: finished in the earlier process */
	int replaying;           /* resume: handing back an item finished earlier */
	int mutated;             /* made a mutating call: its end is synced (soon) */
	jv error;
	jv extra;                /* fields added to step_finished (polls, lag) */
};

struct task {
	struct task *next, *prev;
	const struct rb_step *step;
	int node, scope, item;
	jv item_v;
	int rb;                  /* a rollback step, or a finally step (fin): not a node's */
	int fin;                 /* a finally step */
	int rb_entry;
	char *qid;
	int attempt;
	int64_t started, deadline;
	int64_t wake_at;         /* retry delay or next poll; 0 = none */
	struct job *job;
	int queued;              /* waiting for a worker slot */
	int timed_out;
	const struct action_desc *desc;
	jv args;                 /* evaluated `with:` (kept for retries and polls) */
	int polls;
	int64_t interval, base_interval, max_interval, expect_at, last_false, wait_deadline;
	int past_expect;
	int64_t eta_at;             /* when the wait is expected to end (the ETA shown), 0 none */
	const char *eta_from;       /* "last_run", "expect" or "typical" */
	int64_t lag;             /* wait: last false poll to the true one */
	jv last_value;
};

struct rb_entry {
	int node, item, index;
	int pos;                 /* its place in done_order (key of rb_snap) */
	int done;                /* resume: already compensated */
	int bad;                 /* a rollback step of the same owner failed */
};

/* The keys (and a few values) of the events and the context the engine builds, made
 * once per engine: setting one is a reference count bumped, not a string allocated,
 * checked and hashed again. Engine thread only (libjq's reference counts are not
 * atomic): what goes to a worker is a deep copy (struct job), and a worker's debug
 * line (engine_job_log) makes its own strings. */
#define ENG_KEYS(X) X(event) X(v) X(time) X(run) X(step) X(kind) X(name) X(action) \
	X(attempts) X(status) X(duration_ms) X(error) X(reason) X(critical) X(outputs) \
	X(result) X(unknown) X(started_at) X(finished_at) X(steps) X(level) X(message)
enum eng_key {
#define X(k) EK_##k,
	ENG_KEYS(X)
#undef X
	EK__N
};

struct eng_strs {
	jv key[EK__N];
	jv ev[EV__N];            /* event names */
	jv st[ST__N];            /* step state names */
	jv kind[STEP_KIND__N];   /* step kind names */
	jv run_id;               /* once the run has an id, else invalid */
	char *keytext[EK__N];    /* each key as its journal line prints it: "name": */
};

struct engine {
	const struct plan *p;
	const struct engine_opts *o;
	struct exprset *set;
	struct rb_clock *clk;
	struct journal jn;
	int jopen;
	struct pool pool;
	char *run_id, *run_dir;  /* run_dir: state_run_workdir, once the run is published */
	struct state_lock *lk_run, *lk_book;   /* "run:ID", the runbook's `lock:` */
	int journal_lost;        /* the journal failed: stopped at once (exit 3, resumable) */
	int64_t run_started, run_deadline;
	struct node_st *ns;
	jv *ctx;                 /* per scope: {params, steps, run, item, result} */
	int *scope_state;        /* 0 not prepared, 1 ready, 2 skipped, -1 failed */
	int *scope_of_uses;      /* node -> child scope or -1 */
	int max_parallel, inflight;
	struct task *tasks;
	struct task **slotq;
	int nslot, aslot;
	int *ready;
	int nready, aready;
	int *done_order;         /* node*65536+item would overflow: pairs */
	int ndone, adone;
	int aborting, outcome, stop_now;
	jv fail_reason;
	int sig_seen;            /* eng_signals already acted on */
	int nsig;                /* signals received during this run */
	int stop_sig;            /* the signal that stopped the run at once */
	jv stopped_running;      /* qids running when it stopped (for the journal) */
	enum phase phase;
	struct rb_entry *rbq;
	int nrbq, arbq, rbpos, rb_failed, rb_ran;
	int failed_noncritical;
	jv noncritical;          /* qids of the non-critical steps that failed */
	/* Rollback context: rollback steps run one at a time; while one runs, expressions
	 * of its scope see the undone step's (item's) result and outputs as .result and
	 * .outputs (eng_ctx_for) */
	int rb_scope;            /* scope of the running rollback step, or -1 */
	jv rb_result, rb_outputs;
	/* for_each on `uses:`: the child's nodes run once per item, one item after the
	 * other; between items they are reset (eng_uses_next_item) */
	jv *scope_items;         /* per scope: the items of its for_each uses step, or invalid */
	int *scope_iter;         /* per scope: the item running */
	jv *scope_outs;          /* per scope: array of the child's outputs per item done */
	char **dqid;             /* per node: id shown (with "[i]" per for_each uses), or NULL */
	jv rb_snap;              /* "done_order position" -> {result, outputs, item, ctx, qid} of
	                          * a child node run for an earlier item */
	jv rb_ctx;               /* the running rollback step's context when snapshotted */
	char *rb_owner;          /* the id of the step the running rollback step undoes */
	int rb_unknown;          /* dry run: what it undoes was only described (its
	                          * .result and .outputs are unknown) */
	int fpos;                /* next finally step */
	jv fin_failed;           /* ids of the finally steps that failed */
	int resumed;
	jv rb_done;              /* resume: "owner#item#index" -> true */
	jv resume_items;         /* resume: qid -> {"N": {outputs, result}} finished items */
	int run_timed_out;
	char src_sha256[65];     /* of the top runbook file as loaded ("" unknown) */
	int copy_masked;         /* runbook.yaml in the run folder has secrets masked */
	struct eng_strs strs;
	struct ctx_node {        /* per node, for eng_ctx_update: made once, referenced after */
		jv key;          /* its step id, its key in .steps */
		jv started;      /* its started_at text, of the time started_ms */
		int64_t started_ms;
	} *cn;
	struct { const struct action_arg *arg; jv v; } *defs;   /* defaults parsed (eng_fill_args) */
	int ndefs, adefs;
};

/* An event being built (eng_evl_*): its object, and its fields as they were set, in
 * the order libjq keeps them (a key set again keeps its place), so its journal line is
 * printed from this list rather than by walking the object's hash slots. A field set
 * on the object directly (or merged) leaves the list behind: then off is set, and the
 * line is printed from the object. */
#define EVL_MAX 24
struct evl {
	jv ev;
	int n, off;
	unsigned char key[EVL_MAX];  /* enum eng_key */
	jv val[EVL_MAX];             /* a reference each */
};
void eng_evl_start(struct engine *e, struct evl *l, enum ev_kind k, const char *step);
void eng_evl_set(struct engine *e, struct evl *l, enum eng_key k, jv v);
/* a field outside the list (merged, or a key of no enum eng_key): consumes extra */
void eng_evl_merge(struct evl *l, jv extra);
/* eng_emit of the event built; the list released */
void eng_evl_emit(struct engine *e, struct evl *l, int sync);

/* a reference to one of the engine's strings (struct eng_strs) */
#define EKEY(e, k) jv_copy((e)->strs.key[EK_##k])
jv eng_str_ev(struct engine *e, enum ev_kind k);
jv eng_str_state(struct engine *e, enum step_state st);
jv eng_str_kind(struct engine *e, enum step_kind k);

#define DEFAULT_PARALLEL 4
#define WAIT_FIRST_MS 1000
#define WAIT_MAX_MS 30000
#define WAIT_FAR_MS 60000     /* before the expected completion: at most this between polls */
#define WAIT_NEAR_MS 5000     /* closer than this to it: the next poll lands on it; just
                               * past it: at most this between polls */
#define WAIT_DENSE_MS 30000   /* how long past it polls stay at most WAIT_NEAR_MS apart */
#define WAIT_BACKOFF 1.5
#define UNKNOWN_TEXT "(unknown)"
#define RESUME_CHECK_MS 30000 /* resume: at most this for one check() */
#define CONFIRM_TRIES 3       /* a confirmation's phrase: tries before it declines */

/* signals received (loop.c's handlers): SIGINT adds 1, SIGTERM and SIGHUP add 2 */
extern volatile sig_atomic_t eng_signals;
extern volatile sig_atomic_t eng_last_sig;    /* the last one received */

/* ---- functions shared between the engine's files (engine.c unless said) */
jv eng_ev_new(struct engine *e, enum ev_kind k, const char *step);
void eng_emit(struct engine *e, jv ev, int sync);
jv eng_err_obj(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *eng_invalid_msg(jv v);
jv eng_err_from_invalid(const char *code, const char *what, jv v);
const char *eng_err_text(jv err, char *buf, size_t n);
const char *eng_qid_of(struct engine *e, int n);
void eng_dqid_set(struct engine *e, int n);
int eng_expr_unknown(struct engine *e, int scope, int idx);
jv eng_tmpl_eval_dry(struct engine *e, int scope, const struct tmpl *t, jv ctx);
jv eng_ctx_for(struct engine *e, int scope, jv item, jv result);
void eng_ctx_update(struct engine *e, int n);
jv eng_node_outputs(struct engine *e, int n);
jv eng_node_results(struct engine *e, int n);
jv eng_eval_connections(struct engine *e, int scope, jv item, jv *err);
jv eng_fill_args(struct engine *e, const struct action_desc *d, jv args, jv *err);
void eng_taint_args(struct engine *e, const struct action_desc *d, jv args);
void eng_task_unlink(struct engine *e, struct task *t);
void eng_task_free(struct task *t);
void eng_job_free(struct job *j);
void eng_submit(struct engine *e, struct task *t, enum job_mode mode);
void eng_slot_freed(struct engine *e);
void eng_slot_remove(struct engine *e, struct task *t);
jv eng_eval_outputs(struct engine *e, struct task *t, jv result, jv *err);
void eng_fail_or_retry(struct engine *e, struct task *t, jv err, jv result);
int64_t eng_expected_end(struct engine *e, int node);
const char *eng_user_name(char *buf, size_t n);
void eng_confirm_run(struct engine *e, struct task *t);
void eng_assert_run(struct engine *e, struct task *t);
void eng_uses_run(struct engine *e, struct task *t);
void eng_expr_deadline_of(struct engine *e, const struct task *t);
void eng_task_start(struct engine *e, struct task *t);
jv eng_timeout_error(struct engine *e, struct task *t);
void eng_wait_result(struct engine *e, struct task *t, struct job *j);
void eng_action_result(struct engine *e, struct task *t, struct job *j);
void eng_ready_push(struct engine *e, int n);
void eng_node_item_done(struct engine *e, int n, int item, enum step_state st, jv err, jv result, jv outputs);
struct task *eng_task_new(struct engine *e, int node, int scope, const struct rb_step *st, int item, jv item_v);
void eng_start_items(struct engine *e, int n);
int eng_in_scope(struct engine *e, int sc, int top);
int eng_scope_prepare(struct engine *e, int scope, jv *err);
void eng_node_release(struct node_st *s);
void eng_node_reset(struct engine *e, int k);
int eng_uses_next_item(struct engine *e, int n);
void eng_node_start(struct engine *e, int n);
void eng_task_finish(struct engine *e, struct task *t, enum step_state st, jv err, jv result, jv outputs);
void eng_cancel_timers(struct engine *e, const char *why);
void eng_fail_run(struct engine *e, int outcome, jv reason);
void eng_rollback_start(struct engine *e);
jv eng_rb_item_value(struct engine *e, int n, int item);
void eng_rb_undone(struct engine *e, int n, int item, jv *result, jv *outputs);
void eng_rollback_next(struct engine *e);
void eng_rollback_task_done(struct engine *e, struct task *t, enum step_state st, jv err);
void eng_finally_next(struct engine *e);
void eng_finally_task_done(struct engine *e, struct task *t, enum step_state st, jv err, jv result, jv outputs);
void eng_finally_start(struct engine *e, int rc);
const char *eng_sig_name(int sig);
void eng_run_loop(struct engine *e);
struct engine *engine_new(const struct plan *p, const struct engine_opts *o);
void engine_init_ctx(struct engine *e);
void engine_free(struct engine *e);
const char *eng_outcome_status(int rc, struct engine *e);
jv eng_run_outputs(struct engine *e, jv *errs_out);
jv eng_run_objectives(struct engine *e, int rc, int64_t end_ms);
int engine_exec(struct engine *e);
jv eng_tape_header_of(struct engine *e, const struct plan *p);
int eng_run_dir_setup(struct engine *e, jv *err);
/* lock.c: the run's locks (see engine.h "Locks"); EXIT_OK, EXIT_LOCKED or EXIT_INVALID
 * with *err (a message); eng_locks_release drops both */
int eng_lock_book(struct engine *e, jv *err);
int eng_lock_run(struct engine *e, int resume, jv *err);
int eng_lock_resume(struct engine *e, jv journal, jv *err);   /* borrows journal */
void eng_locks_release(struct engine *e);
jv eng_lock_me(struct engine *e);
/* loop.c: the journal failed: stop at once, as a second Ctrl-C does */
void eng_journal_check(struct engine *e);
void eng_emit_setup_error(struct engine *e, jv msg, int code);   /* code: the exit code */
int eng_resume_items(struct engine *e, int n, const struct action_desc *d, jv calls, struct diag_list *dl);

char *eng_time_str(int64_t ms, char *buf, size_t n);
void eng_emit_mutation(struct engine *e, struct task *t, jv description);
int eng_ancestors_unknown(struct engine *e, int node);
int eng_tmpl_unknown(struct engine *e, int scope, const struct tmpl *t);

/* What each step kind does (lang/model.h's STEP_KINDS), indexed by enum step_kind:
 * start begins a task of that kind; result takes a job it submitted back (NULL: the kind
 * never submits one). engine_new checks that every kind has its start. */
struct step_ops {
	void (*start)(struct engine *e, struct task *t);
	void (*result)(struct engine *e, struct task *t, struct job *j);
};
extern const struct step_ops eng_step_ops[STEP_KIND__N];
void eng_action_start(struct engine *e, struct task *t);
#endif
