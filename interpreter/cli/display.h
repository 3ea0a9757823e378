/* display.h — terminal output sinks for the engine's events (owner: docs-cli helper).
 *
 * A display turns the engine's event stream (engine.h: jv objects, already redacted)
 * into one of three outputs:
 *   DISPLAY_LIVE   a step list redrawn in place (state, elapsed, spinner), with log lines,
 *                  retries, errors and rollback notices scrolling above it. ANSI cursor
 *                  movement; colors only when `color` says so (NO_COLOR keeps it live;
 *                  TERM=dumb makes AUTO plain and uncolored).
 *   DISPLAY_PLAIN  one timestamped line per event ("03:18:43 restore      started"),
 *                  for logs, pipes and CI.
 *   DISPLAY_JSON   one compact JSON event per line (--output json), flushed per line.
 *   DISPLAY_AUTO   LIVE when `out` is a terminal and TERM is not "dumb", else PLAIN.
 *
 * Fields read (all optional except "event"; unknown events are printed generically):
 *   every event   time (RFC 3339), step (qualified id)
 *   run_started   run, runbook, dry_run, rehearsal, steps ([ids] or [{id|qid, name}])
 *   step_started  name, kind, attempt, attempts
 *   step_finished status (a step state name), duration_ms, error ({code, message} or
 *                 string), reason (why skipped), polls + detection_lag_ms (waits)
 *   step_retry    attempt, attempts, delay_ms, error
 *   wait_poll     poll, next_ms, elapsed_ms, value
 *   confirm       status ("prompt" before asking; "approved" / "declined" / "not_asked"),
 *                 by, message
 *   mutation      action, args (what a dry run would have done; nulls and the action's
 *                 defaults are left out), description
 *   rollback_started  reason, steps
 *   rollback_step status (running, then succeeded | failed | dry_run), error; `step` is
 *                 the step being undone
 *   run_finished  status, exit_code, duration_ms, error, rollback (complete | ...)
 *   log           level, message
 *
 * Questions: between display_pause(sink, 1) and display_pause(sink, 0) (cli/prompt.c
 * around every question the engine asks) the live display leaves its list on the
 * screen and stops redrawing; the next event draws a fresh list below the answer.
 *
 * Threading: the sink's event function may be called from any one thread at a time;
 * the live display refreshes its spinner from its own timer thread. No jv is shared
 * with that thread (events are converted to plain C data under a mutex).
 */
#ifndef RB_DISPLAY_H
#define RB_DISPLAY_H
#include <stdio.h>
#include "../engine/engine.h"

enum display_mode { DISPLAY_AUTO, DISPLAY_PLAIN, DISPLAY_LIVE, DISPLAY_JSON };

/* color: 1 = ANSI colors, 0 = none, -1 = decide (out is a terminal, NO_COLOR is
 * unset or empty and TERM is not "dumb"). `out` is borrowed and must outlive the sink. */
struct engine_sink display_sink_new(FILE *out, enum display_mode mode, int color);
/* stop (on 1) and restart (on 0) the live display's redraws around a terminal prompt;
 * nothing for the other modes */
void display_pause(struct engine_sink *sink, int on);
/* finish the output (final redraw of the live list), stop the timer thread, free */
void display_sink_free(struct engine_sink *sink);
/* the mode AUTO resolves to for out */
enum display_mode display_resolve(FILE *out, enum display_mode mode);
/* "text" -> AUTO, "json" -> JSON, "plain" -> PLAIN, "live" -> LIVE; -1 if unknown */
int display_mode_parse(const char *name, enum display_mode *mode);
#endif
