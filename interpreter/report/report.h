/* report.h — run reports from a run's journal: text, json, markdown, junit, svg.
 *
 * report_build() folds a run's events (journal.jsonl read into a jv array, one object
 * per line) through the journal's fold (core/events.h run_fold) into one report object;
 * every format renders that object, so the formats cannot disagree. Besides the
 * events it takes, when the run folder has them, the run's plan.json (the steps'
 * `needs` and rollback blocks, the secret params' names) and params.json (the params
 * without the secret ones); either may be null.
 *
 * Events are already redacted by the engine, plan.json and params.json hold no secret
 * value; nothing here reads secrets. Output is deterministic: the same journal gives
 * the same bytes (no wall clock, no random ids).
 *
 * Ownership: every function borrows its jv arguments.
 */
#ifndef RB_REPORT_H
#define RB_REPORT_H
#include <stdio.h>
#include <jv.h>
#include "../core/jparse.h"

#define REPORT_FORMATS(X) \
	X(REPORT_TEXT,     "text")     \
	X(REPORT_JSON,     "json")     \
	X(REPORT_MARKDOWN, "markdown") \
	X(REPORT_JUNIT,    "junit")    \
	X(REPORT_SVG,      "svg")
#define X(e, s) e,
enum report_format { REPORT_FORMATS(X) REPORT_FORMAT__N };
#undef X

/* 0 and *f set, or -1 for an unknown name ("md" is accepted for markdown) */
int report_format_parse(const char *name, enum report_format *f);

/* the report as data (what REPORT_JSON prints, and report.json):
 * {run, runbook, path, sha256, mode (run | dry-run | rehearsal | drill | replay),
 *  status, exit_code, dry_run, rehearsal, started_at, finished_at, duration_ms, error,
 *  signal, rollback_outcome (complete | incomplete | skipped...),
 *  params: {NAME: value, secret NAME: "***"} | null,
 *  approvals: [{step, status, how, by, at, message}],
 *  outputs: {} | null, output_errors: {} | null,
 *  objectives: {rto: {objective_ms, achieved_ms, restored, met},
 *               rpo: {objective_ms, achieved_ms, recovery_point, incident_time, met},
 *               met, errors} | null                       (run_finished's, as written),
 *  steps: [{id, name, kind, status, finally, critical, needs, on_critical_path,
 *           started_at, finished_at, offset_ms, duration_ms, attempts, retries, polls,
 *           items, error, approved_by, rollback: {status, error} | null,
 *           poll_offsets_ms: [], retry_offsets_ms: []}],
 *  critical_path: [step ids, first to last],
 *  rollback: {reason, started_at, outcome, actions, succeeded, failed, skipped,
 *             steps: [{step, rollback_step, item, status, error, offset_ms,
 *                      duration_ms}]} | null            (one entry per rollback action),
 *  errors: [{step, rollback_step?, error, lines: [its first lines], more_lines}],
 *  noncritical_failed: [], finally_failed: [],
 *  next_steps: [text], undo: [{step, actions: [{id, kind, action}]}],
 *  totals: {steps, succeeded, failed, skipped, rolled_back, pending, running, dry_run,
 *           retries, polls, rollback_steps, rollback_failed}}
 * plan and params may be null */
jv report_build(jv events, jv plan, jv params);
/* what report_build reads of plan.json (core/jparse.h jparser_parse_keep): the plan
 * read with it gives the same report */
extern const struct jkeep report_plan_keep[];
/* the same of a journal's text (journal.jsonl as state_run_journal reads it), without
 * parsing the lines no report reads (calls, results, logs, mutations) */
jv report_build_journal(const char *text, size_t len, jv plan, jv params);
/* a run's or rollback's reason "step 'x' failed: <its error>": the length of
 * "step 'x' failed" (where the step's own error is shown already), or 0 */
int report_failed_step_len(const char *reason);
/* the text of a built report in fmt: new NUL-terminated string (caller frees) */
char *report_format(jv rep, enum report_format fmt);
/* build and write; 0, or -1 on a write error */
int report_render(jv events, jv plan, jv params, enum report_format fmt, FILE *out);
#endif
