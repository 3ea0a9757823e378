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

void report_text(struct buf *b, jv rep);
void report_markdown(struct buf *b, jv rep);
void report_junit(struct buf *b, jv rep);
void report_svg(struct buf *b, jv rep);

/* o[key] when it is an array, else an empty one (new reference) */
jv rep_list(jv o, const char *key);
/* rep[key] as a string, or def */
const char *rep_str(jv o, const char *key, const char *def);
/* a duration in ms as "1m30s", or "-" when o[key] is not a number */
void rep_ms(struct buf *b, jv o, const char *key);
/* "succeeded (exit 0), rehearsal" */
void rep_head(struct buf *b, jv rep);
/* "8 steps: 6 succeeded, ...; 1 retry; 3 polls; rollback: 7 of 7 actions succeeded" */
void rep_totals(struct buf *b, jv rep);
/* XML text and attribute escaping (& < > " and newlines; other control bytes '?') */
void rep_xml(struct buf *b, const char *s);
/* a value for one line of text: strings as is, else compact JSON; new string */
char *rep_value_text(jv v);

/* objectives: "rto"/"rpo" rows of rep.objectives as one phrase, e.g.
 * "12m30s of 45m: met" or "not measured (no restored step)"; 0, or -1 when absent */
int rep_objective_phrase(struct buf *b, jv rep, const char *which);
/* the verdict of an objective: "met", "MISSED", "not measured", or NULL when absent */
const char *rep_objective_verdict(jv rep, const char *which);
#endif
