/* plan_priv.h — what the files of plan/ share while plan_build() runs: the builder and
 * the passes each file holds (plan.c calls them in order; see its header comment).
 *   plan.c      nodes, scopes and edges; plan_build(), plan_release(), plan_find()
 *   order.c     topological order, cycle report, levels, typical durations, critical path
 *   ancestry.c  `.steps.X` must name an ancestor; outputs and objectives name steps
 *   actions.c   actions, `with:` against the descriptors, connections
 *   json.c      plan_to_json()
 *   refcheck.c  every static path an expression reads (plan.h)
 */
#ifndef RB_PLAN_PRIV_H
#define RB_PLAN_PRIV_H
#include <stdlib.h>
#include <string.h>
#include "plan.h"
#include "../core/bug.h"
#include "../core/buf.h"
#include "../core/strmap.h"
#include "../modules/registry.h"

/* ---- int vectors ---- */

struct ivec {
	int *v;
	int n, alloc;
};

static inline void ivec_push(struct ivec *iv, int x)
{
	ALLOC_GROW(iv->v, iv->n + 1, iv->alloc);
	iv->v[iv->n++] = x;
}

/* ---- builder ---- */

struct builder {
	struct plan *p;
	struct strmap *map;        /* qid -> node index, keys borrowed from the nodes */
	struct diag_list *dl;        /* local: de-duplicated into the caller's at the end */
	int *seen;                   /* stamp per node, for de-duplicating deps */
	int stamp;
	const char **names;          /* scratch for did-you-mean */
	int nnames, anames;
	struct buf tmp;
};

/* did-you-mean among a runbook's step ids / an action's args, or NULL (plan.c) */
const char *plan_suggest_step(struct builder *b, const struct runbook *rb, const char *word);
const char *plan_suggest_args(struct builder *b, const struct action_arg *args, const char *word);
/* " (did you mean 'x'?)" or "", in b->tmp (plan.c) */
const char *plan_dym(struct builder *b, const char *s);
/* node of step `id` in scope sc, or -1 (plan.c) */
int plan_scope_lookup(struct builder *b, int sc, const char *id);

/* order.c: a topological order into p->order and each node's topo; returns how many
 * nodes were placed (fewer than p->n: a cycle, which plan_report_cycles() prints) */
int plan_topo_sort(struct plan *p);
void plan_report_cycles(struct builder *b);
int64_t plan_node_typical(const struct plan_node *nd);
/* levels, finish times and the critical path (an acyclic plan) */
void plan_estimate(struct plan *p);

/* ---- ancestry.c ---- */

/* ---- ancestry ----
 * Single-dependency links (a node with exactly one dep) form a forest; pre/post
 * numbers of a DFS over it answer "is b on x's single-dep chain" in O(1). Every
 * ancestor of x is on that chain or an ancestor of the chain's root (the first node
 * with zero or several deps), so the backward search jumps chain roots, and never
 * goes below b's topological position. A 100,000-step chain where every step reads
 * the first is then linear, not quadratic.
 * A search gives up after ANC_BUDGET nodes (a graph with many joins between a and b);
 * such queries are answered afterwards, grouped by target: one forward walk from b
 * over the nodes up to the latest asker marks b's descendants for all of them, so
 * "every step reads the first" stays linear on any shape. */
#define ANC_BUDGET 256

struct anc_query {
	int x, y, e;                 /* asking node, target node, expression */
	const struct rb_step *s;     /* the step (or rollback step) whose expression it is */
	const char *ref;             /* the id as written (owned by the exprset) */
};

struct anc {
	int *parent, *root, *pre, *post, *visit;
	char *hard;                  /* a search for this target gave up: queue the next ones */
	int stamp;
	struct ivec stack;
	struct anc_query *pend;      /* searches that gave up */
	int npend, apend;
};

/* every expression of a step (not of its rollback steps) */
struct expr_list {
	struct ivec v;
};

void plan_anc_init(struct anc *a, const struct plan *p);
void plan_anc_release(struct anc *a);
/* the references of step s (node x's step, or one of its rollback steps) */
void plan_check_step_refs(struct builder *b, struct anc *an, int x, const struct rb_step *s,
			  int is_rollback, struct expr_list *el);
/* the searches that gave up: one forward walk per target */
void plan_resolve_pending(struct builder *b, struct anc *an);
void plan_check_outputs_exist(struct builder *b, int sc);
void plan_check_tmpl_exists(struct builder *b, int sc, const char *what, const struct tmpl *t,
			    struct expr_list *el);
void plan_check_finally(struct builder *b, struct expr_list *el);

/* ---- actions.c ---- */

/* the constant args of a with: (for mutates() and typical() hooks) */
jv plan_const_args(const struct tmpl *with);
/* the action of step s (and of its rollback steps) checked with its with:; *out = the
 * step's descriptor when out is not NULL */
void plan_check_step_actions(struct builder *b, const struct rb_step *s, const struct action_desc **out);
void plan_check_connections(struct builder *b, const struct runbook *rb);
#endif
