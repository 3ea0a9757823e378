/* report.h — run reports from a run's journal events.
 *
 * Input: the events of one run (journal.jsonl read into a jv array, one object per
 * line; see engine/engine.h). Fields read, all optional except "event":
 *   run_started      run, runbook, time, dry_run, rehearsal, steps ([qid] or [{qid|id, name}])
 *   step_started     step, kind, attempt, time
 *   step_retry       step, attempt, error
 *   wait_poll        step, poll
 *   step_finished    step, status, duration_ms, polls, error ({code, message} or text),
 *                    reason, time
 *   item_finished    step (counts for_each items)
 *   rollback_started reason, time
 *   rollback_step    step (the owner), rollback_step (its id), status, error
 * Other events (log, call, result, mutation, ...) are not read: they may name rollback
 * steps, which are not rows of the report.
 *   confirm          step, status, by
 *   run_finished     status, exit_code, duration_ms, error, time
 * Events are already redacted by the engine; nothing here reads secrets.
 *
 * Ownership: report_build and report_render borrow events.
 */
#ifndef RB_REPORT_H
#define RB_REPORT_H
#include <stdio.h>
#include <jv.h>

#define REPORT_FORMATS(X) \
	X(REPORT_TEXT,     "text")     \
	X(REPORT_JSON,     "json")     \
	X(REPORT_MARKDOWN, "markdown") \
	X(REPORT_JUNIT,    "junit")
#define X(e, s) e,
enum report_format { REPORT_FORMATS(X) REPORT_FORMAT__N };
#undef X

/* 0 and *f set, or -1 for an unknown name ("md" is accepted for markdown) */
int report_format_parse(const char *name, enum report_format *f);
/* the report as data (what REPORT_JSON prints):
 * {run, runbook, status, exit_code, dry_run, started_at, finished_at, duration_ms,
 *  steps: [{id, kind, status, started_at, finished_at, offset_ms, duration_ms, attempts,
 *           polls, items, error, approved_by, rollback: {status, error}}],
 *  rollback: {reason, steps: [{step, rollback_step?, status, error}]} | null,
 *  totals: {steps, succeeded, failed, skipped, rolled_back, pending, running, dry_run,
 *           retries, polls, rollback_steps, rollback_failed}}
 * borrows events */
jv report_build(jv events);
/* a run's or rollback's reason "step 'x' failed: <its error>": the length of
 * "step 'x' failed" (where the step's own error is shown already), or 0 */
int report_failed_step_len(const char *reason);
/* render; 0, or -1 on a write error. borrows events */
int report_render(jv events, enum report_format fmt, FILE *out);
#endif
