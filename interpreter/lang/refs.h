/* refs.h — the context paths a jq expression reads (`.params.x`, `.steps.a.result.F[0].G`).
 *
 * refs_extract() lists the paths that start at the expression's input `.` (the runbook
 * context) where the lexer can be sure `.` still is that input: at the start, after `(`,
 * `,`, `[`, `{`, operators, `if/then/else`, and inside `"\( )"` of such a string; never
 * after a `|` of the same group, inside a call's arguments (`map(...)`, `select(...)`),
 * after `as`, `reduce`, `foreach`, `def`, `catch` or `label`. A path ends at the first
 * component it cannot name statically (`.[$x]`, `.[.a]`, `..`, a slice).
 *
 * Used by plan/ to check every name against the model before anything runs: a path it
 * does not list is simply not checked, so the lexer may miss paths but must never
 * invent one.
 */
#ifndef RB_REFS_H
#define RB_REFS_H

enum ref_comp_kind {
	REF_FIELD,      /* .name, ."name", .["name"] */
	REF_INDEX,      /* .[0] */
	REF_ITER,       /* .[] */
};

struct ref_comp {
	enum ref_comp_kind kind;
	char *name;             /* REF_FIELD: the key (unescaped); REF_INDEX: the digits; else NULL */
	int off;                /* byte offset of the component's name (or '[') in the text */
};

struct ref_path {
	int off;                /* byte offset of the leading '.' */
	struct ref_comp *c;
	int n;                  /* at least 1 */
	int dynamic;            /* followed by an access that is not checked (`.[$x]`, `..`) */
};

/* the paths text reads from its input; *out malloc'd (or NULL), returns the count */
int refs_extract(const char *text, struct ref_path **out);
/* frees the n paths and the array */
void refs_free(struct ref_path *p, int n);
#endif
