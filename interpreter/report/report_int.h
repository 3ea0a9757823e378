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
 * in on[] (info[i]: step i's {needs...}, borrowed; fin[]: finally steps; pos[]: row
 * positions) */
struct run_fold;
void report_uses_envelope(struct run_fold *f);
void report_uses_order(const struct run_fold *f, int *order);
jv report_critical_path(const struct run_fold *f, const jv *info, const int *fin, const int *pos, int *on);
/* next.c. The next steps of a built report (its "next_steps"); the completed steps
 * still to undo with their rollback actions (by_id: plan.json's steps by id; null
 * without them) */
jv report_next_steps(jv rep);
jv report_undo(const struct run_fold *f, jv by_id, const int *fin);

/* keys.c. RK("lit"): the jv string of a literal (new reference), made once per
 * outermost report_build/report_format call of the thread (rep_keys_hold .. drop);
 * RGET, RSTR, RHAS, RBOOL, RNUM, RINT: jvx_get, jvx_str, ... by such a key */
#define REP_KEYS 512
struct rep_keys {
	struct { const char *lit; jv s; } slot[REP_KEYS];
	int outer;
};
void rep_keys_hold(struct rep_keys *t);
void rep_keys_drop(struct rep_keys *t);
jv rep_key(const char *lit);
#define RK(lit) rep_key("" lit "")
jv rep_kget(jv o, jv key);
const char *rep_kstr(jv o, jv key);
int rep_khas(jv o, jv key);
int rep_kbool(jv o, jv key, int def);
double rep_knum(jv o, jv key, double def);
int64_t rep_kint(jv o, jv key, int64_t def);
#define RGET(o, lit) rep_kget((o), RK(lit))
#define RSTR(o, lit) rep_kstr((o), RK(lit))
#define RHAS(o, lit) rep_khas((o), RK(lit))
#define RBOOL(o, lit, d) rep_kbool((o), RK(lit), (d))
#define RNUM(o, lit, d) rep_knum((o), RK(lit), (d))
#define RINT(o, lit, d) rep_kint((o), RK(lit), (d))

/* buf_addf for the renderers' many small appends: %s, %d, %ld, %.1f (as printf prints
 * them, byte for byte) without vsnprintf; any other format goes to buf_vaddf */
int rep_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* buf_add_xml, at once where s has nothing to escape */
int rep_add_xml(struct buf *b, const char *s);

/* o[key], or null when o has none (jv_object_set takes no invalid value); new reference */
jv rep_kget_or_null(jv o, jv key);
#define rep_get(o, lit) rep_kget_or_null((o), RK(lit))
/* o[key] when it is an array, else an empty one (new reference) */
jv rep_klist(jv o, jv key);
#define rep_list(o, lit) rep_klist((o), RK(lit))
/* rep[key] as a string, or def */
const char *rep_kstr_or(jv o, jv key, const char *def);
#define rep_str(o, lit, def) rep_kstr_or((o), RK(lit), (def))
/* a duration in ms as "1m30s", or "-" when o[key] is not a number */
int rep_kms(struct buf *b, jv o, jv key);
#define rep_ms(b, o, lit) rep_kms((b), (o), RK(lit))
/* a duration in ms (a number, else "-") as rep_kms prints it */
int rep_vms(struct buf *b, jv v);

/* a step row of rep.steps read in one pass (the renderers read most of its fields; a
 * lookup by key costs a hash and two references each): values borrowed from the row,
 * invalid when it has none */
#define REP_ROW_FIELDS(X) \
	X(id) X(name) X(status) X(finally) X(on_critical_path) X(started_at) X(offset_ms) \
	X(duration_ms) X(attempts) X(retries) X(polls) X(items) X(error) X(rollback) \
	X(poll_offsets_ms) X(retry_offsets_ms)
struct rep_row {
#define X(n) jv n;
	REP_ROW_FIELDS(X)
#undef X
};
void rep_row_of(jv row, struct rep_row *r);
const char *rep_vstr(jv v, const char *def);    /* the string, or def */
double rep_vnum(jv v, double def);              /* the number, or def */
int rep_vbool(jv v, int def);                   /* true/false, or def */

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
