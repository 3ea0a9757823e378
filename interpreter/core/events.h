/* events.h — the journal's events as one table, and the one fold that reads them.
 *
 * Every line of DIR/runs/ID/journal.jsonl is one event object
 *   {"event": NAME, "v": 1, "time": "RFC 3339", "run": ID, "step": QID, ...}
 * RB_EVENTS lists every NAME with a one-line doc; RB_EVENT_FIELDS lists the fields of
 * each (name, JSON type, required or optional, doc); RB_EVENT_COMMON the fields any
 * event may carry. man/runbook-events.5 and `runbook schema events` (JSON Schema)
 * are generated from these tables; a writer adds an event or field here first.
 *
 * Readers never compare event names: ev_kind_of() gives the enum, and run_fold_*()
 * folds a journal into what resume, show, the reports and history need.
 */
#ifndef RB_EVENTS_H
#define RB_EVENTS_H
#include <stddef.h>
#include <stdint.h>
#include <jv.h>

#define RB_EVENTS_VERSION 1

/* X(ENUM, "name", "doc") */
#define RB_EVENTS(X) \
	X(EV_RUN_STARTED,      "run_started",      "a run began: the runbook, how it runs, the plan's steps") \
	X(EV_RUN_RESUMED,      "run_resumed",      "runbook resume continued this run (journal only; the display gets run_started with resumed)") \
	X(EV_RUN_FAILING,      "run_failing",      "the run decided to fail or abort, before its rollback begins (journal only, synced)") \
	X(EV_RUN_INTERRUPTED,  "run_interrupted",  "the run was stopped at once by a signal or a journal that failed; it stays resumable (journal only)") \
	X(EV_RUN_FINISHED,     "run_finished",     "the run ended: status, exit code, outputs") \
	X(EV_STEP_STARTED,     "step_started",     "a step (or finally step) began") \
	X(EV_STEP_FINISHED,    "step_finished",    "a step (or finally step) ended") \
	X(EV_STEP_RETRY,       "step_retry",       "an attempt failed with a retryable error; the step tries again after a delay") \
	X(EV_ITEM_FINISHED,    "item_finished",    "one item of a for_each step ended (journal only, for resume)") \
	X(EV_WAIT_POLL,        "wait_poll",        "a wait step polled its condition") \
	X(EV_CONFIRM,          "confirm",          "a confirmation was answered (or a crashed step's fate decided on resume)") \
	X(EV_MUTATION,         "mutation",         "a dry run describes a change it did not make") \
	X(EV_LOG,              "log",              "a message of a step or of the run") \
	X(EV_ROLLBACK_STARTED, "rollback_started", "the rollback began: why, and the steps it undoes in order") \
	X(EV_ROLLBACK_STEP,    "rollback_step",    "one rollback action ran, or is running") \
	X(EV_CALL,             "call",             "an action call is about to be made (mutating calls are synced first: write-ahead)") \
	X(EV_RESULT,           "result",           "an action call returned")

#define X(e, n, d) e,
enum ev_kind { EV_UNKNOWN = -1, RB_EVENTS(X) EV__N };
#undef X

/* JSON types of a field (a mask: a field may take several) */
enum ev_type {
	EVT_STRING  = 1 << 0,
	EVT_NUMBER  = 1 << 1,
	EVT_INTEGER = 1 << 2,
	EVT_BOOLEAN = 1 << 3,
	EVT_OBJECT  = 1 << 4,
	EVT_ARRAY   = 1 << 5,
	EVT_NULL    = 1 << 6,
	EVT_ANY     = 0,          /* any JSON value */
};
#define EVT_ERROR (EVT_STRING | EVT_OBJECT | EVT_NULL)   /* {code, message, ...} or text */

enum ev_need { EV_OPT = 0, EV_REQ = 1 };

/* F(ENUM of the event, "field", type mask, EV_REQ|EV_OPT, "doc") */
#define RB_EVENT_FIELDS(F) \
	F(EV_RUN_STARTED, "runbook", EVT_STRING, EV_REQ, "the runbook's name") \
	F(EV_RUN_STARTED, "path", EVT_STRING, EV_REQ, "absolute path of the runbook file") \
	F(EV_RUN_STARTED, "dir", EVT_STRING, EV_REQ, "the run directory") \
	F(EV_RUN_STARTED, "dry_run", EVT_BOOLEAN, EV_REQ, "run with --dry-run") \
	F(EV_RUN_STARTED, "rehearsal", EVT_BOOLEAN, EV_REQ, "a rehearsal against the simulator (cannot be resumed)") \
	F(EV_RUN_STARTED, "replay", EVT_BOOLEAN, EV_OPT, "a replay of a tape (runbook replay): every action call answered from it (cannot be resumed)") \
	F(EV_RUN_STARTED, "max_parallel", EVT_INTEGER, EV_REQ, "steps run at once at most") \
	F(EV_RUN_STARTED, "no_rollback", EVT_BOOLEAN, EV_REQ, "run with --no-rollback") \
	F(EV_RUN_STARTED, "yes", EVT_BOOLEAN, EV_REQ, "run with --yes") \
	F(EV_RUN_STARTED, "approve", EVT_ARRAY, EV_OPT, "the steps pre-approved with --approve") \
	F(EV_RUN_STARTED, "steps", EVT_ARRAY, EV_REQ, "the plan's steps in order ({qid, kind, ...})") \
	F(EV_RUN_STARTED, "sha256", EVT_STRING, EV_OPT, "sha256 of the runbook file") \
	F(EV_RUN_STARTED, "copy_redacted", EVT_BOOLEAN, EV_OPT, "the copy of the runbook kept in the run directory has secrets masked") \
	F(EV_RUN_STARTED, "host", EVT_STRING, EV_OPT, "the host running it (gethostname): a resume elsewhere needs --take-over") \
	F(EV_RUN_STARTED, "pid", EVT_INTEGER, EV_OPT, "the process running it") \
	F(EV_RUN_RESUMED, "runbook", EVT_STRING, EV_REQ, "the runbook's name") \
	F(EV_RUN_RESUMED, "steps", EVT_ARRAY, EV_REQ, "the plan's steps in order") \
	F(EV_RUN_RESUMED, "finished_before", EVT_INTEGER, EV_REQ, "steps already finished when the resume began") \
	F(EV_RUN_RESUMED, "done", EVT_ARRAY, EV_OPT, "the steps already finished (qids), not run again") \
	F(EV_RUN_RESUMED, "rolling_back", EVT_BOOLEAN, EV_OPT, "the run was failing: the resume continues its rollback") \
	F(EV_RUN_RESUMED, "host", EVT_STRING, EV_OPT, "the host that continues the run (its owner from now on)") \
	F(EV_RUN_RESUMED, "pid", EVT_INTEGER, EV_OPT, "the process that continues it") \
	F(EV_RUN_RESUMED, "take_over", EVT_BOOLEAN, EV_OPT, "resumed with --take-over (the run was started on another host)") \
	F(EV_RUN_FAILING, "outcome", EVT_INTEGER, EV_REQ, "the exit code the run ends with (1 failed, 4 aborted)") \
	F(EV_RUN_FAILING, "reason", EVT_ERROR, EV_REQ, "why the run fails") \
	F(EV_RUN_FAILING, "operator", EVT_BOOLEAN, EV_OPT, "true when the operator aborted (a signal)") \
	F(EV_RUN_INTERRUPTED, "status", EVT_STRING, EV_REQ, "\"interrupted\"") \
	F(EV_RUN_INTERRUPTED, "exit_code", EVT_INTEGER, EV_REQ, "3: stopped, rollback not done") \
	F(EV_RUN_INTERRUPTED, "duration_ms", EVT_NUMBER, EV_REQ, "time since the run started") \
	F(EV_RUN_INTERRUPTED, "signal", EVT_STRING, EV_OPT, "the signal that stopped it (SIGINT, SIGTERM, SIGHUP); absent when the journal failed") \
	F(EV_RUN_INTERRUPTED, "journal_error", EVT_STRING, EV_OPT, "the journal could not be written (the store's message): the run stopped before its next mutating call") \
	F(EV_RUN_INTERRUPTED, "running", EVT_ARRAY, EV_REQ, "the steps that were running") \
	F(EV_RUN_INTERRUPTED, "error", EVT_ERROR, EV_OPT, "why the run was failing, if it was") \
	F(EV_RUN_FINISHED, "status", EVT_STRING, EV_REQ, "succeeded, failed, aborted, rolled_back, dry_run...") \
	F(EV_RUN_FINISHED, "exit_code", EVT_INTEGER, EV_REQ, "the process's exit code") \
	F(EV_RUN_FINISHED, "duration_ms", EVT_NUMBER, EV_OPT, "time since the run started") \
	F(EV_RUN_FINISHED, "error", EVT_ERROR, EV_OPT, "why the run failed") \
	F(EV_RUN_FINISHED, "noncritical_failures", EVT_INTEGER, EV_OPT, "how many non-critical steps failed") \
	F(EV_RUN_FINISHED, "noncritical_failed", EVT_ARRAY, EV_OPT, "the non-critical steps that failed (qids)") \
	F(EV_RUN_FINISHED, "outputs", EVT_OBJECT, EV_OPT, "the runbook's top-level outputs") \
	F(EV_RUN_FINISHED, "output_errors", EVT_OBJECT, EV_OPT, "the outputs that could not be evaluated, with why") \
	F(EV_RUN_FINISHED, "objectives", EVT_OBJECT, EV_OPT, "when the runbook declares objectives (not in a dry run): {rto: {objective_ms, achieved_ms, restored, met}, rpo: {objective_ms, achieved_ms, recovery_point, incident_time, met}, met, errors: {WHAT: why}}; times in ms, instants RFC 3339, null what has no target or could not be measured; met: true, false (one missed) or null (one could not be measured)") \
	F(EV_RUN_FINISHED, "finally_failed", EVT_ARRAY, EV_OPT, "the finally steps that failed") \
	F(EV_RUN_FINISHED, "rollback", EVT_STRING, EV_OPT, "complete, incomplete or skipped (--no-rollback)") \
	F(EV_STEP_STARTED, "step", EVT_STRING, EV_REQ, "the step's qid") \
	F(EV_STEP_STARTED, "kind", EVT_STRING, EV_REQ, "action, wait, confirm, assert or uses") \
	F(EV_STEP_STARTED, "name", EVT_STRING | EVT_NULL, EV_OPT, "the step's name") \
	F(EV_STEP_STARTED, "action", EVT_STRING | EVT_NULL, EV_OPT, "the action it calls") \
	F(EV_STEP_STARTED, "attempts", EVT_INTEGER, EV_OPT, "attempts allowed (retry)") \
	F(EV_STEP_STARTED, "finally", EVT_BOOLEAN, EV_OPT, "a finally step") \
	F(EV_STEP_FINISHED, "step", EVT_STRING, EV_REQ, "the step's qid") \
	F(EV_STEP_FINISHED, "status", EVT_STRING, EV_REQ, "a step state: succeeded, failed, skipped, dry_run...") \
	F(EV_STEP_FINISHED, "kind", EVT_STRING, EV_REQ, "action, wait, confirm, assert or uses") \
	F(EV_STEP_FINISHED, "duration_ms", EVT_NUMBER, EV_REQ, "how long it ran") \
	F(EV_STEP_FINISHED, "error", EVT_ERROR, EV_OPT, "why it failed ({code, message, ...})") \
	F(EV_STEP_FINISHED, "reason", EVT_ANY, EV_OPT, "why it was skipped") \
	F(EV_STEP_FINISHED, "critical", EVT_BOOLEAN, EV_OPT, "false for a non-critical step") \
	F(EV_STEP_FINISHED, "outputs", EVT_ANY, EV_OPT, "the step's outputs") \
	F(EV_STEP_FINISHED, "result", EVT_ANY, EV_OPT, "the action's result") \
	F(EV_STEP_FINISHED, "unknown", EVT_BOOLEAN, EV_OPT, "its effect could not be known (a dry run's read of a world not yet made)") \
	F(EV_STEP_FINISHED, "finally", EVT_BOOLEAN, EV_OPT, "a finally step") \
	F(EV_STEP_FINISHED, "checked", EVT_BOOLEAN, EV_OPT, "on resume, its action's check found it done") \
	F(EV_STEP_FINISHED, "assumed_done", EVT_OBJECT, EV_OPT, "on resume, the operator said it was done ({by})") \
	F(EV_STEP_FINISHED, "polls", EVT_INTEGER, EV_OPT, "a wait: how many times it polled") \
	F(EV_STEP_FINISHED, "waited_ms", EVT_NUMBER, EV_OPT, "a wait: how long it waited") \
	F(EV_STEP_FINISHED, "detection_lag_ms", EVT_NUMBER, EV_OPT, "a wait that succeeded: time between the condition becoming true and the poll that saw it") \
	F(EV_STEP_FINISHED, "note", EVT_STRING, EV_OPT, "a remark on how it ended (for_each over unknown values in a dry run)") \
	F(EV_STEP_RETRY, "step", EVT_STRING, EV_REQ, "the step's qid") \
	F(EV_STEP_RETRY, "attempt", EVT_INTEGER, EV_REQ, "the attempt that failed") \
	F(EV_STEP_RETRY, "attempts", EVT_INTEGER, EV_REQ, "attempts allowed") \
	F(EV_STEP_RETRY, "delay_ms", EVT_NUMBER, EV_REQ, "the wait before the next attempt") \
	F(EV_STEP_RETRY, "error", EVT_ERROR, EV_REQ, "the attempt's error") \
	F(EV_ITEM_FINISHED, "step", EVT_STRING, EV_REQ, "the for_each step's qid") \
	F(EV_ITEM_FINISHED, "item", EVT_INTEGER, EV_REQ, "the item's index") \
	F(EV_ITEM_FINISHED, "value", EVT_ANY, EV_OPT, "the item") \
	F(EV_ITEM_FINISHED, "status", EVT_STRING, EV_REQ, "a step state") \
	F(EV_ITEM_FINISHED, "error", EVT_ERROR, EV_OPT, "why it failed") \
	F(EV_ITEM_FINISHED, "outputs", EVT_ANY, EV_OPT, "the item's outputs") \
	F(EV_ITEM_FINISHED, "result", EVT_ANY, EV_OPT, "the item's result") \
	F(EV_ITEM_FINISHED, "kind", EVT_STRING, EV_OPT, "the step's kind") \
	F(EV_ITEM_FINISHED, "name", EVT_STRING | EVT_NULL, EV_OPT, "the step's name") \
	F(EV_ITEM_FINISHED, "action", EVT_STRING | EVT_NULL, EV_OPT, "the action it calls") \
	F(EV_ITEM_FINISHED, "attempts", EVT_INTEGER, EV_OPT, "attempts allowed") \
	F(EV_WAIT_POLL, "step", EVT_STRING, EV_REQ, "the wait step's qid") \
	F(EV_WAIT_POLL, "poll", EVT_INTEGER, EV_REQ, "the poll's number, from 1") \
	F(EV_WAIT_POLL, "next_ms", EVT_NUMBER, EV_REQ, "the wait before the next poll") \
	F(EV_WAIT_POLL, "elapsed_ms", EVT_NUMBER, EV_REQ, "time since the wait began") \
	F(EV_WAIT_POLL, "missed", EVT_BOOLEAN, EV_OPT, "the poll's read failed (tolerated)") \
	F(EV_WAIT_POLL, "error", EVT_ERROR, EV_OPT, "the failed read's error") \
	F(EV_WAIT_POLL, "saw", EVT_STRING, EV_OPT, "what the poll saw: each path its until compares, by its last name, and its value (DBInstanceStatus \"creating\")") \
	F(EV_WAIT_POLL, "eta_ms", EVT_NUMBER, EV_OPT, "time left until the wait is expected to end (0 when overdue)") \
	F(EV_WAIT_POLL, "eta_from", EVT_STRING, EV_OPT, "where the expectation comes from: last_run (this step in the last run of the runbook), expect, or typical (the action's typical duration)") \
	F(EV_WAIT_POLL, "overdue_ms", EVT_NUMBER, EV_OPT, "how long past its expected end the wait is") \
	F(EV_CONFIRM, "step", EVT_STRING, EV_REQ, "the confirm step's qid (or the crashed step's)") \
	F(EV_CONFIRM, "status", EVT_STRING, EV_REQ, "approved or declined") \
	F(EV_CONFIRM, "prompt", EVT_ANY, EV_OPT, "what was asked") \
	F(EV_CONFIRM, "how", EVT_STRING, EV_OPT, "how it was answered: tty, --yes, --approve, rehearsal...") \
	F(EV_CONFIRM, "tries", EVT_INTEGER, EV_OPT, "phrases typed") \
	F(EV_CONFIRM, "by", EVT_STRING, EV_OPT, "the user who answered") \
	F(EV_CONFIRM, "at", EVT_STRING, EV_OPT, "when (RFC 3339)") \
	F(EV_CONFIRM, "message", EVT_STRING, EV_OPT, "a note on the answer") \
	F(EV_MUTATION, "step", EVT_STRING, EV_REQ, "the step's qid") \
	F(EV_MUTATION, "action", EVT_STRING, EV_REQ, "the action") \
	F(EV_MUTATION, "args", EVT_ANY, EV_REQ, "its arguments (secrets masked)") \
	F(EV_MUTATION, "description", EVT_ANY, EV_OPT, "what it would change") \
	F(EV_MUTATION, "finally", EVT_BOOLEAN, EV_OPT, "from a finally step") \
	F(EV_MUTATION, "rollback", EVT_BOOLEAN, EV_OPT, "from a rollback step") \
	F(EV_LOG, "level", EVT_STRING, EV_REQ, "debug, info, warn or error") \
	F(EV_LOG, "message", EVT_STRING, EV_REQ, "the text (secrets masked)") \
	F(EV_ROLLBACK_STARTED, "reason", EVT_ERROR, EV_REQ, "why the run rolls back") \
	F(EV_ROLLBACK_STARTED, "outcome", EVT_INTEGER, EV_OPT, "the exit code the run ends with when the rollback succeeds (1 failed, 4 aborted)") \
	F(EV_ROLLBACK_STARTED, "steps", EVT_ARRAY, EV_REQ, "the steps undone, in order") \
	F(EV_ROLLBACK_STEP, "step", EVT_STRING, EV_REQ, "the step (or item) undone") \
	F(EV_ROLLBACK_STEP, "rollback_step", EVT_STRING, EV_REQ, "the rollback step's qid (STEP.rollback.N)") \
	F(EV_ROLLBACK_STEP, "item", EVT_INTEGER, EV_REQ, "the for_each item undone, -1 none") \
	F(EV_ROLLBACK_STEP, "index", EVT_INTEGER, EV_REQ, "the rollback action's index in the step") \
	F(EV_ROLLBACK_STEP, "status", EVT_STRING, EV_REQ, "running, succeeded, failed, skipped") \
	F(EV_ROLLBACK_STEP, "error", EVT_ERROR, EV_OPT, "why it failed") \
	F(EV_ROLLBACK_STEP, "checked", EVT_BOOLEAN, EV_OPT, "on resume, its check found it done") \
	F(EV_ROLLBACK_STEP, "assumed_done", EVT_OBJECT, EV_OPT, "on resume, the operator said it was done ({by})") \
	F(EV_CALL, "step", EVT_STRING, EV_REQ, "the caller's qid (STEP, STEP[i], STEP.rollback.N)") \
	F(EV_CALL, "action", EVT_STRING, EV_REQ, "the action") \
	F(EV_CALL, "mode", EVT_STRING, EV_REQ, "run, dry_run or check") \
	F(EV_CALL, "attempt", EVT_INTEGER, EV_REQ, "the attempt, from 1") \
	F(EV_CALL, "args", EVT_ANY, EV_REQ, "the arguments (secrets masked)") \
	F(EV_RESULT, "step", EVT_STRING, EV_REQ, "the caller's qid") \
	F(EV_RESULT, "action", EVT_STRING, EV_REQ, "the action") \
	F(EV_RESULT, "mode", EVT_STRING, EV_REQ, "run, dry_run or check") \
	F(EV_RESULT, "rc", EVT_INTEGER, EV_REQ, "0 success, -1 failure") \
	F(EV_RESULT, "duration_ms", EVT_NUMBER, EV_REQ, "how long the call took") \
	F(EV_RESULT, "result", EVT_ANY, EV_REQ, "the result, or the error object when rc is -1")

/* F("field", type mask, EV_REQ|EV_OPT, "doc"): fields of every event */
#define RB_EVENT_COMMON(F) \
	F("event", EVT_STRING, EV_REQ, "the event's name") \
	F("v", EVT_INTEGER, EV_REQ, "the event format's version: 1") \
	F("time", EVT_STRING, EV_REQ, "when, RFC 3339 with milliseconds, UTC (virtual in a rehearsal)") \
	F("run", EVT_STRING, EV_OPT, "the run id (every event but call and result)") \
	F("step", EVT_STRING, EV_OPT, "the step's qid, when the event concerns one")

struct ev_field {
	enum ev_kind kind;         /* EV__N for a common field */
	const char *name;
	unsigned type;             /* enum ev_type mask, 0 any */
	enum ev_need need;
	const char *doc;
};

struct ev_desc {
	enum ev_kind kind;
	const char *name;
	const char *doc;
};

extern const struct ev_desc ev_table[EV__N];
extern const struct ev_field ev_fields[];    /* ends with name NULL */
extern const struct ev_field ev_common[];    /* ends with name NULL */

const char *ev_kind_name(enum ev_kind k);
enum ev_kind ev_kind_parse(const char *name);    /* EV_UNKNOWN when unknown or NULL */
enum ev_kind ev_kind_of(jv ev);                  /* borrows ev; EV_UNKNOWN if not an event */

/* a new event {"event": NAME, "v": 1, "time": TIME} */
jv ev_make(enum ev_kind k, const char *time);

/* JSON Schema (draft 2020-12) of one journal line; new jv */
jv ev_schema(void);
/* man/runbook-events.5, generated; new NUL-terminated text */
char *ev_man(void);

/*
 * The fold: a journal (or a stream of events) folded into what its readers need.
 * run_fold_event borrows ev; fields are owned by the fold (jv_invalid when absent).
 * Used by resume (engine.c), show and the reports (report.c), history (cli/history.c).
 */
/* one step of the plan as the events tell it (strings owned, NULL unknown) */
struct run_fold_step {
	char *id;
	char *kind;
	char *status;                 /* NULL: never started */
	char *started, *finished;     /* RFC 3339 as journaled */
	int64_t t_start, t_end;       /* ms since the epoch, -1 unknown */
	int64_t dur_field;            /* step_finished's duration_ms, -1 */
	int starts, attempt, retries, polls, items;
	char *error;                  /* "code: message" of its failure, or why it was skipped */
	char *approved_by;
	char *rb_status, *rb_error;   /* its rollback: a failure sticks */
};

struct run_fold {
	char *run;                /* the run id of the first event that names one */
	char *runbook;            /* the first run_started's or run_resumed's */
	struct run_fold_step *steps;   /* the plan's steps first, in its order, then others seen */
	int nsteps, asteps;
	jv index;                 /* step id -> position in steps */
	jv rollback;              /* the last rollback_started as {reason, started_at}, or null */
	jv rollback_steps;        /* finished rollback actions in the order they ran: {step, rollback_step, status, error} */
	jv timeline;              /* steps and rollback actions as they ended: {id, rollback, start_ms, duration_ms, status} (ms since the epoch) */
	int64_t rb_t;             /* when the running rollback action began, -1 */
	jv started;               /* the first run_started, or invalid */
	jv finished;              /* the last run_finished or run_interrupted, or invalid */
	enum ev_kind end;         /* EV_RUN_FINISHED, EV_RUN_INTERRUPTED, or EV_UNKNOWN: unfinished */
	int resumed;              /* run_resumed seen (after the last end: unfinished again) */
	int failing;              /* a run_failing or rollback_started was seen */
	int outcome;              /* its recorded exit code (run_failing's or rollback_started's outcome), 0 none */
	int operator_abort;       /* run_failing said the operator aborted */
	jv fail_reason;           /* its reason, or null */
	int rollback_seen;
	int64_t t_start, t_end;   /* ms since the epoch, -1 unknown */
	int nevents, nunknown;    /* events folded, of which unknown kinds */
	int no_timeline;          /* set by a reader that needs no timeline: it stays empty */
};

/* The fields the fold (and the report beside it) read from one event, found in one
 * pass over its keys: a lookup by name makes a jv string and hashes it each time, and
 * the fold reads a dozen fields an event. Values are borrowed from the event (valid
 * while it lives); a field the event lacks is invalid. */
#define EV_VIEW_FIELDS(X) \
	X(event) X(time) X(run) X(step) X(status) X(kind) X(attempt) X(poll) X(polls) \
	X(by) X(duration_ms) X(reason) X(error) X(rollback_step) X(runbook) X(operator) \
	X(outcome) X(name) X(finally) X(critical) X(item) X(mode)
struct ev_view {
	enum ev_kind k;
	int owned;                /* ev_view_text's: the values are the view's */
	int64_t ms;               /* time, ms since the epoch, or -1 */
#define X(n) jv n;
	EV_VIEW_FIELDS(X)
#undef X
};
void ev_view_of(jv ev, struct ev_view *v);                  /* borrows ev */
/* the view of an event's JSON text, parsing only its fields (jparse.h
 * jparser_fields); -1 where the text is not one jparser_fields reads (parse it, then
 * ev_view_of). Release it with ev_view_release. */
struct jparser;
int ev_view_text(struct jparser *jp, const char *text, size_t len, struct ev_view *v);
void ev_view_release(struct ev_view *v);
const char *ev_view_str(jv v);                              /* the string, or NULL */
int64_t ev_view_int(jv v, int64_t def);                     /* as jvx_int */
int ev_view_bool(jv v, int def);                            /* as jvx_bool */
int ev_view_has(jv v);                                      /* as jvx_has */

void run_fold_init(struct run_fold *f);
void run_fold_event(struct run_fold *f, jv ev);
/* run_fold_event of an event whose view is v (ev_view_of(ev), or ev_view_text of its
 * text); ev itself is read only by run_started, run_resumed, run_finished and
 * run_interrupted (kept, their plan): for the other kinds it may be null */
void run_fold_view(struct run_fold *f, jv ev, const struct ev_view *v);
void run_fold_journal(struct run_fold *f, jv events);   /* borrows events (an array) */
/* run_fold_journal of a journal's text (every complete line that is a JSON object, as
 * state_run_events reads it), parsing none of the lines the fold only counts (call,
 * result, log, mutation, once the run id is known) and reading step events field by
 * field (ev_view_text). fn, when not NULL, is then given each other event as folded
 * (ev null for those read field by field: see run_fold_view). */
void run_fold_text(struct run_fold *f, const char *text, size_t len,
		   void (*fn)(void *ctx, jv ev, const struct ev_view *v), void *ctx);
void run_fold_release(struct run_fold *f);
/* "code: message" of an error field (a string as is, else compact JSON); NULL when
 * absent; borrows ev; caller frees */
char *ev_err_text(jv ev, const char *key);
char *ev_err_text_of(jv e);     /* the same of the field's value e (borrowed; invalid: NULL) */
/* "succeeded", "failed", ...; "unfinished" when it has not ended (or was resumed since) */
const char *run_fold_status(const struct run_fold *f);

#endif
