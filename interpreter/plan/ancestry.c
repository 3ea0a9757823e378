/* ancestry.c — `.steps.X` references: X must be an ancestor of the step that reads it;
 * outputs, connections and objectives must name steps that exist. */
#include "plan_priv.h"
#include "../core/jvx.h"

void plan_anc_init(struct anc *a, const struct plan *p)
{
	int n = p->n;
	int *first = xmalloc(((size_t)n + 1) * sizeof(int));
	int *kids, *cursor, t = 0;
	struct ivec st = {0};

	a->parent = xmalloc((size_t)n * sizeof(int));
	a->root = xmalloc((size_t)n * sizeof(int));
	a->pre = xcalloc((size_t)n, sizeof(int));
	a->post = xcalloc((size_t)n, sizeof(int));
	a->visit = xcalloc((size_t)n, sizeof(int));
	a->hard = xcalloc((size_t)n + 1, 1);
	a->stamp = 0;
	memset(&a->stack, 0, sizeof(a->stack));
	a->pend = NULL;
	a->npend = a->apend = 0;

	for (int x = 0; x < n; x++) {
		const struct plan_node *nd = &p->nodes[x];
		a->parent[x] = (nd->topo >= 0 && nd->ndeps == 1) ? nd->deps[0] : -1;
	}
	for (int i = 0; i < n; i++) {           /* roots, in topological order */
		int x = p->order[i];
		if (x < 0)
			continue;
		a->root[x] = a->parent[x] < 0 ? x : a->root[a->parent[x]];
	}
	/* children lists (CSR) */
	memset(first, 0, ((size_t)n + 1) * sizeof(int));
	for (int x = 0; x < n; x++)
		if (a->parent[x] >= 0)
			first[a->parent[x] + 1]++;
	for (int x = 0; x < n; x++)
		first[x + 1] += first[x];
	kids = xmalloc(((size_t)first[n] + 1) * sizeof(int));
	cursor = xmalloc(((size_t)n + 1) * sizeof(int));
	memcpy(cursor, first, ((size_t)n + 1) * sizeof(int));
	for (int x = 0; x < n; x++)
		if (a->parent[x] >= 0)
			kids[cursor[a->parent[x]]++] = x;
	/* iterative DFS: pre on entry, post on exit; cursor reused as child position */
	memcpy(cursor, first, ((size_t)n + 1) * sizeof(int));
	for (int r = 0; r < n; r++) {
		if (a->parent[r] >= 0 || p->nodes[r].topo < 0)
			continue;
		a->pre[r] = ++t;
		ivec_push(&st, r);
		while (st.n) {
			int x = st.v[st.n - 1];
			if (cursor[x] < first[x + 1]) {
				int c = kids[cursor[x]++];
				a->pre[c] = ++t;
				ivec_push(&st, c);
			} else {
				a->post[x] = ++t;
				st.n--;
			}
		}
	}
	free(st.v);
	free(first);
	free(kids);
	free(cursor);
}

void plan_anc_release(struct anc *a)
{
	free(a->parent);
	free(a->root);
	free(a->pre);
	free(a->post);
	free(a->visit);
	free(a->hard);
	free(a->stack.v);
	free(a->pend);
}

/* 1 if b is an ancestor of x on x's single-dependency chain (or x itself) */
static int chain_has(const struct anc *a, int b, int x)
{
	return a->pre[b] && a->pre[b] <= a->pre[x] && a->post[x] <= a->post[b];
}

/* 1 if node b is a (strict) ancestor of node a, 0 if not, -1 if the search gave up;
 * a is placed in the order */
static int ancestor(struct anc *an, const struct plan *p, int a, int b)
{
	int tb = p->nodes[b].topo, budget = ANC_BUDGET;
	if (tb < 0 || p->nodes[a].topo <= tb)
		return 0;
	for (int k = 0; k < p->nodes[a].ndeps; k++)
		if (p->nodes[a].deps[k] == b)
			return 1;
	if (an->hard[b])
		return -1;
	an->stamp++;
	an->stack.n = 0;
	an->visit[a] = an->stamp;
	for (int k = 0; k < p->nodes[a].ndeps; k++)
		ivec_push(&an->stack, p->nodes[a].deps[k]);
	while (an->stack.n) {
		int x = an->stack.v[--an->stack.n], r;
		if (x == b)
			return 1;
		if (an->visit[x] == an->stamp || p->nodes[x].topo < tb)
			continue;
		an->visit[x] = an->stamp;
		if (chain_has(an, b, x))
			return 1;
		if (--budget <= 0) {
			an->hard[b] = 1;
			return -1;
		}
		r = an->root[x];
		if (r != x) {
			if (an->visit[r] == an->stamp || p->nodes[r].topo < tb)
				continue;
			an->visit[r] = an->stamp;
		}
		for (int k = 0; k < p->nodes[r].ndeps; k++)
			ivec_push(&an->stack, p->nodes[r].deps[k]);
	}
	return 0;
}

static void collect_one(int e, void *arg)
{
	if (e >= 0)
		ivec_push(&((struct expr_list *)arg)->v, e);
}

static void collect_tmpl(const struct tmpl *t, struct expr_list *el)
{
	if (t)
		tmpl_each_expr(t, collect_one, el);
}

static void step_exprs(const struct rb_step *s, struct expr_list *el)
{
	el->v.n = 0;
	collect_tmpl(s->with, el);
	collect_one(s->when, el);
	collect_one(s->for_each, el);
	for (int i = 0; i < s->noutputs; i++)
		collect_one(s->outputs[i].expr, el);
	switch (s->kind) {
	case STEP_WAIT:
		collect_tmpl(s->wait.with, el);
		collect_one(s->wait.until, el);
		collect_one(s->wait.fail_if, el);
		break;
	case STEP_ASSERT:
		for (int i = 0; i < s->nasserts; i++) {
			collect_one(s->asserts[i].that, el);
			collect_tmpl(s->asserts[i].message, el);
		}
		break;
	case STEP_CONFIRM:
		collect_tmpl(s->confirm.prompt, el);
		collect_tmpl(s->confirm.phrase, el);
		break;
	default:
		break;
	}
}

static void not_ancestor(struct builder *b, const struct rb_step *s, int e, const char *r)
{
	diag_error(b->dl, exprset_loc(b->p->loader->exprs, e),
		   "step '%s' reads '.steps.%s' but '%s' is not one of its ancestors (add it to needs)",
		   s->id, r, r);
}

static int query_cmp(const void *a, const void *b)
{
	const struct anc_query *p = a, *q = b;
	if (p->y != q->y)
		return p->y < q->y ? -1 : 1;
	return p->x < q->x ? -1 : p->x > q->x;
}

/* the searches that gave up: one forward walk per target (see struct anc) */
void plan_resolve_pending(struct builder *b, struct anc *an)
{
	const struct plan *p = b->p;
	if (!an->npend)
		return;
	qsort(an->pend, (size_t)an->npend, sizeof(*an->pend), query_cmp);
	for (int i = 0, j; i < an->npend; i = j) {
		int y = an->pend[i].y, maxt = 0;
		for (j = i; j < an->npend && an->pend[j].y == y; j++)
			if (p->nodes[an->pend[j].x].topo > maxt)
				maxt = p->nodes[an->pend[j].x].topo;
		an->stamp++;
		an->stack.n = 0;
		for (int k = 0; k < p->nodes[y].nrdeps; k++)
			ivec_push(&an->stack, p->nodes[y].rdeps[k]);
		while (an->stack.n) {
			int x = an->stack.v[--an->stack.n];
			if (an->visit[x] == an->stamp || p->nodes[x].topo < 0 || p->nodes[x].topo > maxt)
				continue;
			an->visit[x] = an->stamp;
			for (int k = 0; k < p->nodes[x].nrdeps; k++)
				ivec_push(&an->stack, p->nodes[x].rdeps[k]);
		}
		for (int k = i; k < j; k++)
			if (an->visit[an->pend[k].x] != an->stamp)
				not_ancestor(b, an->pend[k].s, an->pend[k].e, an->pend[k].ref);
	}
	an->npend = 0;
}

/* check the references of step s (node x's step, or one of its rollback steps) */
void plan_check_step_refs(struct builder *b, struct anc *an, int x, const struct rb_step *s,
			    int is_rollback, struct expr_list *el)
{
	struct plan *p = b->p;
	struct exprset *set = p->loader ? p->loader->exprs : NULL;
	const struct plan_node *nd = &p->nodes[x];
	const char *seen_names[64];
	int nseen = 0;

	if (!set)
		return;
	step_exprs(s, el);
	for (int i = 0; i < el->v.n; i++) {
		int e = el->v.v[i];
		char *const *refs = exprset_refs(set, e);
		for (; refs && *refs; refs++) {
			const char *r = *refs;
			int dup = 0, y;
			for (int k = 0; k < nseen; k++)
				if (!strcmp(seen_names[k], r))
					dup = 1;
			if (dup)
				continue;
			if (nseen < 64)
				seen_names[nseen++] = r;
			y = plan_scope_lookup(b, nd->scope, r);
			if (y < 0) {
				const char *sug = plan_suggest_step(b, p->scopes[nd->scope].rb, r);
				diag_error(b->dl, exprset_loc(set, e),
					   "step '%s' reads '.steps.%s' but there is no step '%s'%s",
					   s->id, r, r, plan_dym(b, sug));
				continue;
			}
			if (is_rollback && y == x)
				continue;
			if (nd->topo < 0)      /* on or after a cycle: already reported */
				continue;
			switch (ancestor(an, p, x, y)) {
			case 1:
				break;
			case 0:
				not_ancestor(b, s, e, r);
				break;
			default:
				ALLOC_GROW(an->pend, an->npend + 1, an->apend);
				an->pend[an->npend++] = (struct anc_query){ x, y, e, s, r };
				break;
			}
		}
	}
	for (int i = 0; i < s->nrollback; i++)
		plan_check_step_refs(b, an, x, &s->rollback[i], 1, el);
}

/* finally steps: not nodes (the engine runs them in order after the run); they may
 * read `.steps.X` of any step of the top runbook and of the finally steps before them */
void plan_check_finally(struct builder *b, struct expr_list *el)
{
	const struct runbook *rb = b->p->rb;
	struct exprset *set = b->p->loader ? b->p->loader->exprs : NULL;
	for (int i = 0; i < rb->nfinally; i++) {
		const struct rb_step *s = &rb->finally[i];
		plan_check_step_actions(b, s, NULL);
		if (!set)
			continue;
		step_exprs(s, el);
		for (int k = 0; k < el->v.n; k++) {
			int e = el->v.v[k];
			for (char *const *refs = exprset_refs(set, e); refs && *refs; refs++) {
				const char *r = *refs;
				int j;
				if (plan_scope_lookup(b, 0, r) >= 0)
					continue;
				for (j = 0; j < rb->nfinally && strcmp(rb->finally[j].id, r); j++)
					;
				if (j < i)
					continue;
				if (j < rb->nfinally) {
					diag_error(b->dl, exprset_loc(set, e),
						   "finally step '%s' reads '.steps.%s' but '%s' runs after it",
						   s->id, r, r);
					continue;
				}
				const char *sug = plan_suggest_step(b, rb, r);
				diag_error(b->dl, exprset_loc(set, e),
					   "finally step '%s' reads '.steps.%s' but there is no step '%s'%s",
					   s->id, r, r, plan_dym(b, sug));
			}
		}
	}
}

/* `.steps.X` in a runbook's outputs and connections: X must exist in the scope */
void plan_check_tmpl_exists(struct builder *b, int sc, const char *what, const struct tmpl *t,
			      struct expr_list *el)
{
	struct exprset *set = b->p->loader ? b->p->loader->exprs : NULL;
	if (!t || !set)
		return;
	el->v.n = 0;
	collect_tmpl(t, el);
	for (int i = 0; i < el->v.n; i++) {
		char *const *refs = exprset_refs(set, el->v.v[i]);
		for (; refs && *refs; refs++)
			if (plan_scope_lookup(b, sc, *refs) < 0) {
				const char *sug = plan_suggest_step(b, b->p->scopes[sc].rb, *refs);
				diag_error(b->dl, exprset_loc(set, el->v.v[i]),
					   "%s reads '.steps.%s' but there is no step '%s'%s",
					   what, *refs, *refs, plan_dym(b, sug));
			}
	}
}

void plan_check_outputs_exist(struct builder *b, int sc)
{
	struct exprset *set = b->p->loader ? b->p->loader->exprs : NULL;
	const struct runbook *rb = b->p->scopes[sc].rb;
	if (!set)
		return;
	for (int i = 0; i < rb->noutputs; i++) {
		char *const *refs = exprset_refs(set, rb->outputs[i].expr);
		for (; refs && *refs; refs++)
			if (plan_scope_lookup(b, sc, *refs) < 0) {
				const char *sug = plan_suggest_step(b, rb, *refs);
				diag_error(b->dl, &rb->outputs[i].loc,
					   "output '%s' reads '.steps.%s' but there is no step '%s'%s",
					   rb->outputs[i].name, *refs, *refs, plan_dym(b, sug));
			}
	}
	/* the objectives' expressions read the same final context */
	const int oe[2] = { rb->objectives.recovery_point, rb->objectives.incident_time };
	static const char *const on[2] = { "recovery_point", "incident_time" };
	for (int i = 0; i < 2; i++) {
		if (oe[i] < 0)
			continue;
		char *const *refs = exprset_refs(set, oe[i]);
		for (; refs && *refs; refs++)
			if (plan_scope_lookup(b, sc, *refs) < 0) {
				const char *sug = plan_suggest_step(b, rb, *refs);
				diag_error(b->dl, exprset_loc(set, oe[i]),
					   "objective '%s' reads '.steps.%s' but there is no step '%s'%s",
					   on[i], *refs, *refs, plan_dym(b, sug));
			}
	}
}
