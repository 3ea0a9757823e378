/* expr.h — jq expressions (libjq) and ${{ }} templates.
 *
 * Every expression of a runbook (and of the runbooks it uses) is added to one exprset
 * while loading; exprset_compile() validates them all before anything runs (located
 * errors). What expr_scan.c vouches for is compiled at the first evaluation of any of
 * them, all together; jq_compile checks the rest at once and words their errors.
 *
 * Why batches: libjq 1.6 parses its builtins on every jq_compile (~38 ms) and binds
 * them at ~0.3 ms per expression, so one jq_state per expression would cost minutes
 * on a large runbook. The set compiles expressions in chunks, each chunk one jq
 * program of `def _eN: (EXPR);` definitions plus a dispatcher on an index, and maps
 * jq's error line numbers back to the expression's YAML location.
 *
 * Evaluation input is the one context of DESIGN.md:
 *   {params, steps: {ID: {status, outputs, result, started_at, finished_at}},
 *    run: {id, started_at, dry_run, rehearsal}, item, result}
 * Engine thread only: a jq_state is not shared between threads.
 */
#ifndef RB_EXPR_H
#define RB_EXPR_H
#include <jv.h>
#include <stdint.h>
#include "../core/diag.h"

struct exprset;

struct exprset *exprset_new(void);
void exprset_free(struct exprset *set);
/* add an expression (jq text, no ${{ }}); returns its index. Identical text at
 * different places gets different indexes (locations differ). */
int exprset_add(struct exprset *set, const char *text, const struct srcloc *loc);
int exprset_count(const struct exprset *set);
const char *exprset_text(const struct exprset *set, int idx);
const struct srcloc *exprset_loc(const struct exprset *set, int idx);
/* step ids the expression reads through `.steps.ID` or `.steps["ID"]`
 * (NULL-terminated, owned by the set) */
char *const *exprset_refs(const struct exprset *set, int idx);
/* syntax check of every expression not yet checked: located errors. What the scan of
 * expr_scan.c doubts is compiled here when it compiles (once, for good), parsed only
 * when it does not */
int exprset_check(struct exprset *set, struct diag_list *dl);
/* full check (functions and variables bound): located errors; idempotent */
int exprset_compile(struct exprset *set, struct diag_list *dl);
/* evaluate: consumes ctx; returns a jv array of every output, or jv_invalid_with_msg
 * (a jq runtime error, message as jq prints it). Needs exprset_compile() first. */
jv exprset_eval(struct exprset *set, int idx, jv ctx);
/* first output (null if none), or invalid on error; consumes ctx */
jv exprset_eval1(struct exprset *set, int idx, jv ctx);

/* Plain paths (expr_path.c): `.a.b`, `.a[0]`, `.a[-1]`, `.["k"]`, `.a["k"]` (whitespace
 * around them allowed, none inside, no escapes in keys, no keywords as names) are read
 * from the value, never compiled: the value, null through null or a missing key or
 * index, or jq's own error (jv_get's). An exprset evaluates its plain paths this way. */
int expr_is_path(const char *text);
/* 1 when the set reads expression idx as a plain path (after exprset_check) */
int exprset_is_path(const struct exprset *set, int idx);
/* 0 and *out = the value or jv_invalid_with_msg(jq's error); -1 when text is not a
 * plain path (jq decides). Borrows ctx. */
int expr_path_get(const char *text, jv ctx, jv *out);

/* Limits (expr_guard.c). An evaluation fails with an error ("expression did not finish
 * within 10s ...") when it runs past the limit for one evaluation (RUNBOOK_EXPR_TIMEOUT,
 * a duration, default 10s) or past the deadline set by expr_deadline(), whichever comes
 * first; when the process's resident memory grows by more than RUNBOOK_EXPR_MEM_MB
 * (default 512, 0 = no cap) while it runs; or when expr_interrupt() is called while it
 * runs. The checks run every ~10 ms, between jq instructions: one builtin call that runs
 * long finishes first (so `*` refuses to repeat a string more than 10^7 times). */
#define EXPR_NO_DEADLINE INT64_MAX
/* the time left to the deadline of the step whose expressions this thread evaluates
 * next (at least 100 ms is given), or EXPR_NO_DEADLINE */
void expr_deadline(int64_t ms_left);
/* async-signal-safe: stop the evaluations running now (later ones are not affected) */
void expr_interrupt(void);
/* one jq program's outputs on input (consumed), as exprset_eval returns them, under
 * the limits above; when a limit stopped it, *jqp is torn down and set to NULL */
typedef struct jq_state jq_state;
jv expr_run(jq_state **jqp, jv input);

/* Templates: a YAML value whose strings may contain ${{ jq }}. */
enum tmpl_kind {
	TMPL_CONST,     /* no expression anywhere inside: value */
	TMPL_EXPR,      /* a string that is exactly one ${{ }}: keeps the value's JSON type */
	TMPL_INTERP,    /* a string with text and ${{ }} parts: always a string */
	TMPL_LIST,
	TMPL_MAP,
};

struct tmpl_part {
	char *text;     /* literal text, or NULL for an expression part */
	int expr;       /* index in the exprset, -1 for text */
};

struct tmpl {
	enum tmpl_kind kind;
	struct srcloc loc;
	jv value;               /* TMPL_CONST */
	int expr;               /* TMPL_EXPR */
	struct tmpl_part *parts;    /* TMPL_INTERP */
	int nparts;
	struct tmpl **items;    /* TMPL_LIST, TMPL_MAP (values) */
	char **keys;            /* TMPL_MAP */
	struct srcloc *key_locs;    /* TMPL_MAP */
	int n;
};

struct ynode;
/* build a template from a YAML node; expressions go to set. A malformed ${{
 * (unterminated) is a located error in dl; the rest of that string is kept as text,
 * so the template is still returned (callers test dl->nerrors). */
struct tmpl *tmpl_from_ynode(const struct ynode *node, struct exprset *set, struct diag_list *dl);
struct tmpl *tmpl_const(jv v, const struct srcloc *loc);
void tmpl_free(struct tmpl *t);
/* TMPL_MAP lookup, NULL if absent */
const struct tmpl *tmpl_get(const struct tmpl *map, const char *key);
/* evaluate against ctx (borrowed). On error returns jv_invalid_with_msg("loc: message").
 * Interpolated non-strings are rendered as compact JSON. */
jv tmpl_eval(const struct tmpl *t, struct exprset *set, jv ctx);
/* a scalar template as written ("rds/${{ .params.target }}"): malloc'd; NULL for a list
 * or a map */
char *tmpl_source(const struct tmpl *t, const struct exprset *set);
/* call fn for every expression index inside t */
void tmpl_each_expr(const struct tmpl *t, void (*fn)(int expr, void *arg), void *arg);
#endif
