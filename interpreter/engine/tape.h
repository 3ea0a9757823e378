/* tape.h — the recording of a run (--record TAPE), version 1, and its reader.
 *
 * A tape is JSON lines (runbook-tape(5)):
 *   a header  {"tape": 1, runbook, path, sha256, params, run_id, clock, started,
 *              versions, steps, rehearsal}                  written before any call
 *   calls     {seq, step, item, attempt, action, args, ok, result | error, at,
 *              duration_ms, rollback?, mutating}            one per action call made
 *              (forward, rollback and finally; never dry-run or resume checks)
 *   an end    {"end": true, status, exit_code, steps: {QID: status},
 *              rollback: {QID: status}}                     when the run finished
 * Every secret is a stable placeholder "<secret:N>" (redact_jv_placeholder): the tape
 * can be shared, and replay still matches arguments. `at` is ms since the run began on
 * the run's clock (virtual in a rehearsal). Readers ignore fields and lines they do not
 * know and refuse another "tape" version.
 *
 * A tape holds one run: --record refuses a file that holds anything but a recording
 * of the same run (resume appends to its run's tape), before anything runs.
 *
 * The writer is used by journal.c under the journal's lock (calls come from worker
 * threads; each line is written whole with one write).
 */
#ifndef RB_TAPE_H
#define RB_TAPE_H
#include <stdint.h>
#include <jv.h>
#include "../core/diag.h"

#define TAPE_VERSION 1

struct redactor;
struct tape;

/* may TAPE receive the recording of run_id (NULL: a new run)? 0, or -1 and *err (a
 * new string): it holds another run's recording, or something else */
int tape_check(const char *path, const char *run_id, jv *err);
/* open for appending (seq continues after the calls already there); NULL + errno */
struct tape *tape_open(const char *path);
void tape_close(struct tape *t);
/* the header (consumed), unless the tape has one already; t0: the run's start (ms) */
void tape_header(struct tape *t, jv header, int64_t t0, struct redactor *r);
/* one call line (consumed); seq and at (from started, ms on the run's clock) added */
void tape_call(struct tape *t, jv rec, int64_t started, struct redactor *r);
/* every journal event passes here (borrowed): the end line is written at run_finished */
void tape_event(struct tape *t, jv ev);

/* {"runbook": VERSION, "libyaml": ..., "libcurl": ..., "openssl": ...} (libjq 1.6
 * does not say its version) */
jv tape_versions(void);

/* A tape read back: header, calls (in file order, each with its "line"), end (or
 * null: the run did not finish). 0, or -1 with located diagnostics ("TAPE:LINE:
 * error: ...") in dl, which point into sl (release it after dl). */
struct tape_data {
	jv header;
	jv calls;
	jv end;
};
int tape_read(const char *path, struct source_list *sl, struct tape_data *td, struct diag_list *dl);
void tape_data_release(struct tape_data *td);
#endif
