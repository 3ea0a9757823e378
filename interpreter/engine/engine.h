/* engine.h — runs a plan: scheduler, step kinds, retries, rollback, dry-run, journal.
 *
 * The engine thread owns every jv of the run and evaluates every expression; actions
 * run on worker threads with deep copies (see core/action.h; an ACT_INSTANT one, `log`,
 * on the engine thread itself, sparing two thread hand-offs per step). Every action
 * call goes through one function (invoke.c) that times it and hands request and result
 * to the journal and, with --record, to the tape; replay plugs in there.
 *
 * Events: everything that happens is a jv event object of the table in core/events.h
 * (every event and field, documented in runbook-events(5); add one there first)
 *   {"event": NAME, "v": 1, "time": "RFC 3339", "run": ID, "step": QID, ...}
 * appended (redacted) to DIR/runs/ID/journal.jsonl with fsync at every step transition,
 * and passed (redacted) to the sink below for the terminal or --output json.
 * invoke.c also journals {"event":"call"} and {"event":"result"} for every action call
 * (not passed to the sink); a mutating call is fsync'd BEFORE it is made (write-ahead).
 * Journal-only events: item_finished (for_each items, for resume), run_resumed (the sink
 * gets a run_started with "resumed": true), run_interrupted (the sink gets run_finished
 * with status "interrupted"), run_failing {outcome, reason, operator?} (synced when the
 * run decides to fail or abort, so a resume of a run killed before its rollback began
 * still rolls back). rollback_started records the outcome (exit code) a successful
 * rollback ends with; resume reads it from there, never from the reason's words.
 *
 * The end of a run: run_finished carries the runbook's top-level `outputs` over the final
 * context (output_errors for those that failed), noncritical_failed (qids) and
 * finally_failed. `finally:` steps run after the steps and any rollback, one at a time,
 * with .run.status and .run.error; their step_started/step_finished say "finally": true;
 * their failure never changes the exit code. Rollback steps see the undone step's (or
 * item's) .result and .outputs. The child steps of a for_each `uses:` run once per item,
 * one item after the other, named ID[i].STEP.
 *
 * The run lives in the state store o->state (state/state.h; a folder's is DIR/runs/ID/,
 * 0700, files 0600): its journal, plan.json, params.json (secret params removed),
 * runbook.yaml (copy of the top file) and sources/N-NAME (every file loaded), both with
 * the literal secrets of connections masked; run_started records the top file's sha256
 * and whether its copy was masked, and the host and pid running it. The engine opens
 * nothing by path: the run is created (state_run_create), its files put, its journal
 * opened, and it is published (state_run_publish) once run_started is durable.
 *
 * Journal failure: a line the store cannot make durable (state_journal_append -1, sticky)
 * stops the run at once, as a second Ctrl-C does: invoke() makes no mutating call whose
 * write-ahead line failed, the loop (eng_journal_check) cancels what runs and starts
 * nothing more, the display gets run_finished "interrupted" naming the store's error, exit
 * 3. What the journal holds is what happened as far as resume knows; resume continues
 * the run once the store takes lines again.
 *
 * Locks (lock.c): a runbook with `lock:` (a template over .params) holds that key from
 * before the run is created to the end of the process (state_lock: a crash releases it);
 * held by another run: EXIT_LOCKED, nothing created, the setup error names the holder
 * (run, host, pid, since) — o->lock_wait_ms waits for it instead. Dry runs and
 * rehearsals take no runbook lock. Every run holds "run:ID" once created. Resume takes
 * "run:ID" (held: EXIT_LOCKED, naming the owner), refuses a run whose last run_started or
 * run_resumed names another host unless o->take_over (EXIT_INVALID), then the runbook's
 * lock, and reads the journal again under the lock.
 *
 * Resume: finished steps (and finished for_each items) are not run again. A step (or a
 * rollback step) that was running when the process died runs again only when no call
 * reached its action (no "call" in the journal) or the action is not mutating or is
 * ACT_IDEMPOTENT. An ACT_CHECKABLE action whose call may still be landing (no result
 * journaled, a success, or an error that does not prove the service refused it) is
 * checked until its effect appears, for at most o->settle_ms of the run's clock; a
 * call that is known to have failed is checked once. check() saying it happened counts
 * as success: the step's result and outputs come from the check and it is rolled back
 * like any completed step. Otherwise (not checkable, or never appeared) the operator is
 * asked through o->io (run again / done already / stop), and without anyone to ask
 * engine_resume refuses (EXIT_INVALID and a diagnostic naming --rerun STEP and --done
 * STEP) unless o->rerun or o->assume_done names the step. A run stopped during its
 * rollback resumes the rollback under the same rules.
 *
 * Signals: SIGINT once = graceful abort (rollback, exit 4); SIGINT twice, SIGTERM or
 * SIGHUP = stop at once: running actions are cancelled (exec children's process groups
 * signalled and reaped), the journal gets run_interrupted with the signal and the
 * steps that were running, exit 3 (rollback not done), and the run stays resumable.
 */
#ifndef RB_ENGINE_H
#define RB_ENGINE_H
#include <stdio.h>
#include <jv.h>
#include "../plan/plan.h"
#include "../core/action.h"
#include "../core/runid.h"     /* run_id_check */

struct state;

struct rb_clock;
struct redactor;

/* X-macro: step states, shared by the engine and the journal */
#define STEP_STATES(X) \
	X(ST_PENDING,     "pending")     \
	X(ST_RUNNING,     "running")     \
	X(ST_SUCCEEDED,   "succeeded")   \
	X(ST_FAILED,      "failed")      \
	X(ST_SKIPPED,     "skipped")     \
	X(ST_ROLLED_BACK, "rolled_back") \
	X(ST_DRY_RUN,     "dry_run")
#define X(e, s) e,
enum step_state { STEP_STATES(X) ST__N };
#undef X
const char *step_state_name(enum step_state s);
int step_state_parse(const char *name, enum step_state *s);

/* exit codes of DESIGN.md */
enum run_exit {
	EXIT_OK = 0,               /* succeeded */
	EXIT_FAILED = 1,           /* failed, rollback complete */
	EXIT_INVALID = 2,          /* invalid input or usage, nothing ran */
	EXIT_ROLLBACK_FAILED = 3,  /* failed and rollback incomplete: a human must look */
	EXIT_ABORTED = 4,          /* declined or aborted by the operator, rollback complete */
	EXIT_LOCKED = 6,           /* not started: another run holds the lock (nothing ran) */
};

struct engine_sink {
	void (*event)(void *arg, jv ev);     /* consumes ev; already redacted */
	void *arg;
};

/* Replay hook (invoke.c): when call is set, every action call (not dry-run or check)
 * is offered to it instead of the action. Called on worker threads (must be
 * thread-safe); returns like action_run_fn (0 + result, -1 + error object) having
 * consumed args, or 1 without touching args: the action runs itself (replay lets
 * `sleep` and `log` run). It may sleep on c->clock (a virtual clock) while it answers. */
struct replay_call {
	const char *step;          /* the job's qid (STEP, STEP[i], STEP.rollback.N) */
	int item;                  /* for_each index, -1 none */
	int attempt;
	int rollback;              /* a rollback or finally step's call */
	int mutating;              /* action_is_mutating(desc, args) */
	const struct action_desc *desc;
	int64_t at;                /* ms since the run started */
	const char *run_id;
	struct rb_clock *clock;
	const volatile int *cancel;
};
struct engine_replay {
	int (*call)(void *arg, const struct replay_call *c, jv args, jv *out);
	void *arg;
};

/* Fault hook (invoke.c; rehearse --sweep): asked before every forward call (not
 * rollback, finally, dry-run or check calls) on a worker thread (must be thread-safe);
 * step is the job's name (qid, "[i]" per item). Returns 1 and fills *err (an error
 * object) when the call must fail without reaching its action, 0 to let it run. */
struct engine_fault {
	int (*call)(void *arg, const char *step, const struct action_desc *desc, jv *err);
	void *arg;
};

/* Questions for the operator. The engine does no terminal I/O (like jq_state's
 * callbacks): cli/prompt.c asks on the terminal, pausing the live display. confirm is
 * called on the engine thread and fills *ans; it returns 0 (an end of input is a "no").
 * io.confirm NULL means nobody can be asked: a confirmation is declined ("no
 * terminal") unless approved, and a resume refuses naming --rerun and --done. */
enum engine_ask { ENGINE_ASK_CONFIRM, ENGINE_ASK_RESUME };
enum engine_answer { ENGINE_ANS_NO, ENGINE_ANS_YES, ENGINE_ANS_DONE };
struct engine_confirm_req {
	enum engine_ask kind;
	const char *step;          /* the qid asked about */
	/* ENGINE_ASK_CONFIRM: a confirm step */
	const char *prompt;        /* redacted */
	const char *phrase;        /* the phrase to type, NULL: y/N */
	const char *phrase_shown;  /* the phrase redacted, as the terminal shows it */
	int tries;                 /* a phrase mistyped this many times declines */
	/* ENGINE_ASK_RESUME: a step that was running when the run stopped. YES: run it
	 * again, DONE (only if allow_done): it took effect, NO: stop */
	const char *why;           /* "action 'x' changes things, ..." */
	int allow_done;
};
struct engine_confirm_ans {
	enum engine_answer answer;
	int tries;                 /* phrases typed (ENGINE_ASK_CONFIRM with a phrase) */
};
struct engine_io {
	int (*confirm)(void *ctx, const struct engine_confirm_req *req, struct engine_confirm_ans *ans);
	void *ctx;
};

struct engine_opts {
	jv params;                 /* typed (params_resolve); borrowed */
	jv connections;            /* overrides merged over the runbook's (rehearse sets the
	                            * simulator's endpoints); object or jv_null(); borrowed */
	int dry_run;
	int yes;                   /* approve every confirmation */
	const char **approve;      /* step ids approved in advance; NULL-terminated or NULL */
	int max_parallel;          /* 0 = default (4) */
	int no_rollback;
	struct state *state;       /* the store (state/state.h): the run, its journal, its
	                            * files, the locks; required; borrowed */
	int64_t lock_wait_ms;      /* --wait-lock: how long to wait for the runbook's `lock:`
	                            * (0: refuse at once) */
	int take_over;             /* resume --take-over: continue a run started on another
	                            * host (its run lock free) */
	const char *record_path;   /* --record TAPE or NULL */
	struct rb_clock *clock;    /* real or virtual */
	int rehearsal;             /* confirmations are approved by "rehearsal" (not --yes) */
	const char **decline;      /* rehearsal: confirmation step ids declined (rehearse
	                            * --decline); NULL-terminated or NULL */
	struct engine_fault fault; /* rehearse --sweep: injected failures */
	struct redactor *redact;
	struct engine_sink sink;
	struct engine_io io;       /* the operator's answers; zeroed = nobody to ask */
	/* additions (engine helper) */
	const char **rerun;        /* resume: step ids the operator allows to run again although
	                            * they were running at the crash; NULL-terminated or NULL */
	const char **assume_done;  /* resume: step ids the operator checked took effect: they
	                            * count as succeeded (no outputs) and do not run again */
	struct engine_replay replay;
	int64_t settle_ms;         /* resume: how long a call that was in flight may take to show
	                            * its effect (0 = RESUME_SETTLE_MS) */
	jv last_durations;         /* {qid: duration_ms} of the steps of the last run of this
	                            * runbook (cli_last_durations), for the ETA a wait shows;
	                            * borrowed; jv_null() or invalid = none (a zeroed struct) */
	struct diag_list *diags;   /* set-up errors (run folder, journal) go here, for stderr,
	                            * instead of a run_finished event; NULL = the event */
};

#define RESUME_SETTLE_MS (2 * 60 * 1000)


/* run a plan; returns an enum run_exit. *run_id (malloc'd) names the run directory. */
int engine_run(const struct plan *p, const struct engine_opts *o, char **run_id);
/* Resume an interrupted run, in two steps. engine_resume_open reads the run's folder
 * STATE_DIR/runs/RUN_ID/: the journal (refusing a run that finished, a rehearsal, a
 * journal without run_started), the runbook file to load (the original when its sha256
 * is unchanged, else the copy kept in the folder, unless that copy has secrets masked)
 * and the params recorded there (no secrets). The CLI loads that file, builds and
 * compiles the plan, resolves the params (the recorded ones with the ones given again
 * over them) and calls engine_resume with the plan and o->params typed; the engine
 * reads the journal back and decides what is done. 0 / -1 (dl says why). */
struct engine_resumable {
	char *run_id;
	char *runbook;             /* the file to load */
	jv params;                 /* the recorded params: a raw object */
	jv journal;                /* its events */
	jv started;                /* its run_started */
};
int engine_resume_open(struct state *s, const char *run_id, struct engine_resumable *r,
		       struct diag_list *dl);
void engine_resumable_release(struct engine_resumable *r);
/* returns an enum run_exit; plan is r->runbook's, built by the caller */
int engine_resume(const struct plan *p, const struct engine_resumable *r, const struct engine_opts *o,
		  struct diag_list *dl);
/* the plan's steps in order, as run_started lists them: [{id, name?, kind}] (the steps
 * under a for_each `uses:` are left out: they run as ID[i].STEP); a new jv */
jv engine_steps_list(const struct plan *p);
/* SIGINT, SIGTERM, SIGHUP handling: the cli installs this (see Signals above) */
void engine_install_signals(void);
#endif
