/* plan.h — the DAG of a runbook.
 *
 * plan_build() checks what needs module knowledge or the whole graph: `needs` naming
 * unknown steps (did-you-mean), cycles (the cycle path is printed), `.steps.X`
 * references to steps that are not ancestors, unknown actions (did-you-mean), every
 * `with:` against the action's descriptor (unknown arg, missing required, wrong type of
 * a constant), connections against the module's conn_args. All errors at once.
 * (A `uses:` step's with: against the child's params is checked by lang.)
 *
 * Edges: a step without `needs` waits for the step before it in its runbook; `needs:
 * [a, b]` replaces that; `needs: []` makes a root. A `uses:` step's own deps are in
 * node->entry: the child's roots wait for them too.
 *
 * `uses:` steps are expanded: the child's steps become nodes of this plan in their own
 * scope (their ids shown as "USES_ID.CHILD_ID"); the uses node itself runs after the
 * child's last nodes and evaluates the child's outputs. Rollback steps are not nodes;
 * the engine runs them from the step that owns them.
 *
 * Node indexes are document order, a uses step's child nodes right after it. order[] is
 * a topological order taking document order among ties. Cost is linear in nodes +
 * edges (+ a pruned backward search per `.steps.X` reference), so 100,000 steps plan
 * in well under a second.
 *
 * The plan's files: see plan_priv.h.
 *
 * Ownership: a plan borrows the runbooks (and their loader) it was built from; they
 * must outlive it. plan_release() may be called on a plan whose build failed.
 */
#ifndef RB_PLAN_H
#define RB_PLAN_H
#include <stdint.h>
#include <jv.h>
#include "../lang/model.h"

struct plan_scope {
	const struct runbook *rb;        /* the runbook whose steps live in this scope */
	int parent;                      /* scope index, -1 for the top */
	int uses_node;                   /* node of the `uses:` step that opened it, -1 top */
	char *prefix;                    /* "" or "checks." */
};

struct plan_node {
	const struct rb_step *step;
	int scope;
	char *qid;                       /* qualified id: "restore", "checks.row_counts" */
	int *deps;                       /* node indexes this node waits for */
	int ndeps;
	int *rdeps;                      /* nodes waiting for this one */
	int nrdeps;
	int topo;                        /* position in order[] (-1: on or after a cycle) */
	const struct action_desc *desc;  /* STEP_ACTION: the action; STEP_WAIT: the polled one */
	/* added by plan */
	int *entry;                      /* STEP_USES: the step's own deps (before the child) */
	int nentry;                      /* (other kinds: same as deps) */
	int child_scope;                 /* STEP_USES: scope of the child's nodes, else -1 */
	int level;                       /* longest dependency chain from a root (0 = root) */
	int mutating;                    /* 1 mutates, 0 reads (constant args; see plan_build) */
	int64_t typical_ms;              /* static estimate: the descriptor's typical() hook on
	                                  * the constant args (sleep: its duration), else its
	                                  * typical_ms; a wait's expect */
	int64_t finish_ms;               /* projected finish, all deps first (critical path) */
};

struct plan {
	const struct runbook *rb;
	struct rb_loader *loader;
	struct plan_node *nodes;
	int n;
	int *order;                      /* a topological order (document order among ties) */
	struct plan_scope *scopes;
	int nscopes;
	/* added by plan */
	void *index;                     /* qid -> node (private) */
	int nlevels;                     /* 1 + highest level; 0 when empty or cyclic */
	int64_t critical_ms;             /* projected duration of the critical path */
	int critical_end;                /* last node of the critical path, -1 if none */
	int *crit_prev;                  /* node before each node on its longest path, or -1 */
};

int plan_build(struct plan *p, const struct runbook *rb, struct rb_loader *ld, struct diag_list *dl);
void plan_release(struct plan *p);
/* every static path an expression reads names something that exists (refcheck.c);
 * called by plan_build() once the nodes know their actions. Expressions with an error
 * in `before` (the loader's: jq syntax) are skipped. */
void plan_check_refs(const struct plan *p, const struct diag_list *before, struct diag_list *dl);
int plan_find(const struct plan *p, const char *qid);   /* node index or -1 */
/* the critical path as node indexes, first to last; returns the count, *out malloc'd */
int plan_critical_path(const struct plan *p, int **out);
/* {runbook, description, file, objectives, params: {NAME: {type, required, secret,
 *  default?}}, steps: [{id, step, scope, kind, name?, action?, uses?, needs, level,
 *  mutating, idempotent, typical_ms, critical, when?, for_each?, rollback: [{id, kind,
 *  action?}], file, line}], order: [qid], levels: [[qid]], critical_path: {steps,
 *  typical_ms}, finally?: [{id, kind, action?}]}. params are declarations; defaults of secret params are left out. */
jv plan_to_json(const struct plan *p);
/* the run lock's key (`lock:`) rendered over params without the secret ones (params
 * borrowed): a non-empty string, or invalid with why not; invalid without a message
 * when the runbook has no lock. What a run takes (engine/lock.c) and `plan` shows. */
jv plan_lock_key(const struct plan *p, jv params);
#endif
