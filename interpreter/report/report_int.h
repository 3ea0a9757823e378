/* report_int.h — what the report's files share (not for use outside report/).
 *
 * Renderers take a built report (report_build) and append to an uncapped buf (whose
 * adds cannot fail: it grows with xrealloc, which aborts when memory runs out).
 */
#ifndef RB_REPORT_INT_H
#define RB_REPORT_INT_H
#include <stdint.h>
#include <jv.h>
#include "../core/buf.h"

int report_text(struct buf *b, jv rep);
int report_markdown(struct buf *b, jv rep);
int report_junit(struct buf *b, jv rep);
int report_svg(struct buf *b, jv rep);

/* path.c. A uses step's times widened to span its child's steps (the fold's are
 * changed); the order of the report's rows (indexes into f->steps; order has
 * f->nsteps entries); the critical path as step ids, first to last, its steps marked
 * in on[] (info: step id -> {needs}; fin[]: finally steps; pos[]: row positions) */
struct run_fold;
void report_uses_envelope(struct run_fold *f);
void report_uses_order(const struct run_fold *f, int *order);
jv report_critical_path(const struct run_fold *f, jv info, const int *fin, const int *pos, int *on);
/* next.c. The next steps of a built report (its "next_steps"); the completed steps
 * still to undo with their rollback actions (by_id: plan.json's steps by id; null
 * without them) */
jv report_next_steps(jv rep);
jv report_undo(const struct run_fold *f, jv by_id, const int *fin);

/* o[key], or null when o has none (jv_object_set takes no invalid value); new reference */
jv rep_get(jv o, const char *key);
/* o[key] when it is an array, else an empty one (new reference) */
jv rep_list(jv o, const char *key);
/* rep[key] as a string, or def */
const char *rep_str(jv o, const char *key, const char *def);
/* a duration in ms as "1m30s", or "-" when o[key] is not a number */
int rep_ms(struct buf *b, jv o, const char *key);
/* "succeeded (exit 0), rehearsal" */
int rep_head(struct buf *b, jv rep);
/* "8 steps: 6 succeeded, ...; 1 retry; 3 polls; rollback: 7 of 7 actions succeeded" */
int rep_totals(struct buf *b, jv rep);
/* a value for one line of text: strings as is, else compact JSON; new string */
char *rep_value_text(jv v);

/* objectives: "rto"/"rpo" rows of rep.objectives as one phrase, e.g.
 * "12m30s of 45m: met" or "not measured (no restored step)"; 0, 1 when absent, -1 when the buffer refused */
int rep_objective_phrase(struct buf *b, jv rep, const char *which);
/* the verdict of an objective: "met", "MISSED", "not measured", or NULL when absent */
const char *rep_objective_verdict(jv rep, const char *which);
#endif
