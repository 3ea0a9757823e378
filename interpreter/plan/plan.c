/* plan.c — the DAG of a runbook: nodes, edges, checks, topological order.
 *
 * plan_build() in passes, every one linear in nodes + edges:
 *   1. count nodes (uses: children included), give every node its index in document
 *      order and its qid; index qids in a hash map
 *   2. resolve edges scope by scope (needs / previous step / the uses entry); a uses
 *      node waits for its child's sinks
 *   3. topological order (Kahn, min-heap on the node index = document order); nodes
 *      left over sit on or after a cycle: walk them and print each cycle's path
 *   4. `.steps.X` references: X must be an ancestor (backward search, see ancestor())
 *   5. actions, `with:` against descriptors, uses with: against the child's params,
 *      connections against the modules' conn_args
 *   6. levels, typical durations, critical path
 * Diagnostics of a child runbook used twice would repeat: they are de-duplicated.
 */
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include "plan.h"
#include "../core/bug.h"
#include "../core/buf.h"
#include "../core/dur.h"
#include "../core/jvx.h"
#include "../core/strmap.h"
#include "../modules/registry.h"

#define PLAN_MAX_DEPTH 32        /* uses: nesting; the loader bounds it first */

/* ---- int vectors ---- */

struct ivec {
	int *v;
	int n, alloc;
};

static void ivec_push(struct ivec *iv, int x)
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

static int count_nodes(const struct runbook *rb, int depth)
{
	int n = 0;
	if (!rb || depth > PLAN_MAX_DEPTH)
		return 0;
	for (int i = 0; i < rb->nsteps; i++) {
		const struct rb_step *s = &rb->steps[i];
		n++;
		if (s->kind == STEP_USES && s->child)
			n += count_nodes(s->child, depth + 1);
	}
	return n;
}

static char *str_cat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xmalloc(la + lb + 1);
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

/* the ids of a scope's runbook, for did-you-mean */
static const char *suggest_step(struct builder *b, const struct runbook *rb, const char *word)
{
	b->nnames = 0;
	for (int i = 0; i < rb->nsteps; i++) {
		ALLOC_GROW(b->names, b->nnames + 1, b->anames);
		b->names[b->nnames++] = rb->steps[i].id;
	}
	return diag_suggest(word, b->names, b->nnames);
}

static const char *suggest_args(struct builder *b, const struct action_arg *args, const char *word)
{
	b->nnames = 0;
	for (; args && args->name; args++) {
		ALLOC_GROW(b->names, b->nnames + 1, b->anames);
		b->names[b->nnames++] = args->name;
	}
	return diag_suggest(word, b->names, b->nnames);
}

/* " (did you mean 'x'?)" or "" in b->tmp */
static const char *dym(struct builder *b, const char *s)
{
	buf_reset(&b->tmp);
	if (s)
		buf_addf(&b->tmp, " (did you mean '%s'?)", s);
	return buf_str(&b->tmp);
}

/* node of step `id` in scope sc, or -1 */
static int scope_lookup(struct builder *b, int sc, const char *id)
{
	struct plan *p = b->p;
	const char *prefix = p->scopes[sc].prefix;
	int x;
	if (!*prefix) {
		x = strmap_get(b->map, id);
	} else {
		char *q = str_cat(prefix, id);
		x = strmap_get(b->map, q);
		free(q);
	}
	if (x >= 0 && p->nodes[x].scope != sc)
		return -1;
	return x;
}

static void set_deps(struct builder *b, struct plan_node *nd, const int *deps, int n)
{
	free(nd->deps);
	nd->deps = n ? xmalloc((size_t)n * sizeof(int)) : NULL;
	nd->ndeps = 0;
	b->stamp++;
	for (int i = 0; i < n; i++) {
		if (b->seen[deps[i]] == b->stamp)
			continue;
		b->seen[deps[i]] = b->stamp;
		nd->deps[nd->ndeps++] = deps[i];
	}
}

/* Create the nodes of rb's steps at [base, ...) in a new scope, recursively.
 * entry: what the scope's roots wait for. *sinks gets the scope's nodes nothing in
 * the scope waits for. */
static int build_scope(struct builder *b, const struct runbook *rb, int parent, int uses_node,
		       const char *prefix, int base, const int *entry, int nentry, int depth,
		       struct ivec *sinks)
{
	struct plan *p = b->p;
	int sc = p->nscopes++;
	int *idx = rb->nsteps ? xmalloc((size_t)rb->nsteps * sizeof(int)) : NULL;
	int next = base;
	struct ivec own = {0};

	p->scopes[sc].rb = rb;
	p->scopes[sc].parent = parent;
	p->scopes[sc].uses_node = uses_node;
	p->scopes[sc].prefix = xstrdup(prefix);

	/* pass 1: indexes and qids (a uses step's children follow it) */
	for (int i = 0; i < rb->nsteps; i++) {
		const struct rb_step *s = &rb->steps[i];
		struct plan_node *nd = &p->nodes[next];
		idx[i] = next;
		nd->step = s;
		nd->scope = sc;
		nd->qid = str_cat(prefix, s->id);
		nd->topo = -1;
		nd->child_scope = -1;
		/* a duplicate id: lang reports it; the first one keeps the name */
		(void)strmap_put(b->map, nd->qid, next);
		next++;
		if (s->kind == STEP_USES && s->child && depth < PLAN_MAX_DEPTH)
			next += count_nodes(s->child, depth + 1);
	}

	/* pass 2: edges */
	for (int i = 0; i < rb->nsteps; i++) {
		const struct rb_step *s = &rb->steps[i];
		int x = idx[i];
		struct plan_node *nd = &p->nodes[x];
		own.n = 0;
		if (s->has_needs && s->nneeds > 0) {
			for (int k = 0; k < s->nneeds; k++) {
				int y = scope_lookup(b, sc, s->needs[k]);
				if (y < 0) {
					const char *sug = suggest_step(b, rb, s->needs[k]);
					diag_error(b->dl, &s->needs_locs[k],
						   "step '%s' needs unknown step '%s'%s",
						   s->id, s->needs[k], dym(b, sug));
					continue;
				}
				ivec_push(&own, y);
			}
		} else if (!s->has_needs && i > 0) {
			ivec_push(&own, idx[i - 1]);
		} else {
			for (int k = 0; k < nentry; k++)
				ivec_push(&own, entry[k]);
		}
		set_deps(b, nd, own.v, own.n);
		nd->entry = nd->ndeps ? xmalloc((size_t)nd->ndeps * sizeof(int)) : NULL;
		if (nd->ndeps)
			memcpy(nd->entry, nd->deps, (size_t)nd->ndeps * sizeof(int));
		nd->nentry = nd->ndeps;

		if (s->kind == STEP_USES && s->child) {
			if (depth >= PLAN_MAX_DEPTH) {
				diag_error(b->dl, &s->uses_loc,
					   "uses: nested deeper than %d runbooks", PLAN_MAX_DEPTH);
				continue;
			}
			struct ivec csinks = {0};
			char *cprefix = str_cat(nd->qid, ".");
			int entry_copy_n = nd->nentry;
			int *entry_copy = entry_copy_n ? xmalloc((size_t)entry_copy_n * sizeof(int)) : NULL;
			if (entry_copy_n)
				memcpy(entry_copy, nd->entry, (size_t)entry_copy_n * sizeof(int));
			nd->child_scope = build_scope(b, s->child, sc, x, cprefix, x + 1,
						      entry_copy, entry_copy_n, depth + 1, &csinks);
			nd = &p->nodes[x];
			if (csinks.n)
				set_deps(b, nd, csinks.v, csinks.n);
			free(entry_copy);
			free(cprefix);
			free(csinks.v);
		}
	}

	/* sinks: nodes of this scope no node of this scope waits for (a uses node waits
	 * for its own deps through its child: look at its entry) */
	b->stamp++;
	for (int i = 0; i < rb->nsteps; i++) {
		const struct plan_node *nd = &p->nodes[idx[i]];
		for (int k = 0; k < nd->nentry; k++)
			if (p->nodes[nd->entry[k]].scope == sc)
				b->seen[nd->entry[k]] = b->stamp;
	}
	for (int i = 0; i < rb->nsteps; i++)
		if (b->seen[idx[i]] != b->stamp)
			ivec_push(sinks, idx[i]);

	free(own.v);
	free(idx);
	return sc;
}

/* ---- topological order ---- */

static void heap_push(int *h, int *n, int x)
{
	int i = (*n)++;
	while (i > 0) {
		int up = (i - 1) / 2;
		if (h[up] <= x)
			break;
		h[i] = h[up];
		i = up;
	}
	h[i] = x;
}

static int heap_pop(int *h, int *n)
{
	int top = h[0], x = h[--(*n)], i = 0;
	for (;;) {
		int c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] < h[c])
			c++;
		if (x <= h[c])
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = x;
	return top;
}

static int topo_sort(struct plan *p)
{
	int *indeg = xcalloc((size_t)p->n + 1, sizeof(int));
	int *heap = xmalloc(((size_t)p->n + 1) * sizeof(int));
	int nh = 0, done = 0;
	for (int x = 0; x < p->n; x++) {
		indeg[x] = p->nodes[x].ndeps;
		if (!indeg[x])
			heap_push(heap, &nh, x);
	}
	while (nh) {
		int x = heap_pop(heap, &nh);
		p->nodes[x].topo = done;
		p->order[done++] = x;
		for (int k = 0; k < p->nodes[x].nrdeps; k++) {
			int y = p->nodes[x].rdeps[k];
			if (--indeg[y] == 0)
				heap_push(heap, &nh, y);
		}
	}
	free(indeg);
	free(heap);
	return done;
}

/* the location of x's edge to y: its needs entry, else the step */
static const struct srcloc *edge_loc(const struct plan *p, int x, int y)
{
	const struct rb_step *s = p->nodes[x].step;
	const struct rb_step *t = p->nodes[y].step;
	for (int k = 0; k < s->nneeds; k++)
		if (!strcmp(s->needs[k], t->id))
			return &s->needs_locs[k];
	return &s->id_loc;
}

static int scope_depth(const struct plan *p, int sc)
{
	int d = 0;
	for (; sc >= 0; sc = p->scopes[sc].parent)
		d++;
	return d;
}

/* Every node without a topo position waits (transitively) on a cycle; following any
 * unplaced dep always finds another unplaced node, so a walk from each unvisited node
 * ends on its own path (a new cycle) or on an earlier walk (nothing new). */
static void report_cycles(struct builder *b)
{
	struct plan *p = b->p;
	int *mark = xcalloc((size_t)p->n, sizeof(int));   /* 0 new, walk id + 1 */
	int *pos = xmalloc((size_t)p->n * sizeof(int));
	struct ivec path = {0}, cyc = {0};
	struct buf msg = BUF_INIT(0);
	int walk = 0;

	for (int s0 = 0; s0 < p->n; s0++) {
		int x = s0;
		if (p->nodes[s0].topo >= 0 || mark[s0])
			continue;
		walk++;
		path.n = 0;
		while (!mark[x]) {
			int nx = -1;
			mark[x] = walk;
			pos[x] = path.n;
			ivec_push(&path, x);
			for (int k = 0; k < p->nodes[x].ndeps; k++)
				if (p->nodes[p->nodes[x].deps[k]].topo < 0) {
					nx = p->nodes[x].deps[k];
					break;
				}
			BUG_ON(nx < 0);
			x = nx;
		}
		if (mark[x] != walk)
			continue;
		/* the cycle is path[pos[x]..]; start it at its shallowest, first node and
		 * print only the nodes of that node's scope (a uses node stands for its child) */
		int start = pos[x], len = path.n - start, best = start;
		for (int i = start; i < path.n; i++) {
			int di = scope_depth(p, p->nodes[path.v[i]].scope);
			int db = scope_depth(p, p->nodes[path.v[best]].scope);
			if (di < db || (di == db && path.v[i] < path.v[best]))
				best = i;
		}
		int sc = p->nodes[path.v[best]].scope;
		cyc.n = 0;
		for (int i = 0; i < len; i++) {
			int y = path.v[start + (best - start + i) % len];
			if (p->nodes[y].scope == sc)
				ivec_push(&cyc, y);
		}
		buf_reset(&msg);
		buf_adds(&msg, "cycle: ");
		for (int i = 0; i < cyc.n; i++)
			buf_addf(&msg, "%s -> ", p->nodes[cyc.v[i]].step->id);
		buf_adds(&msg, p->nodes[cyc.v[0]].step->id);
		diag_error(b->dl, edge_loc(p, cyc.v[0], cyc.n > 1 ? cyc.v[1] : cyc.v[0]),
			   "%s", buf_str(&msg));
	}
	free(mark);
	free(pos);
	free(path.v);
	free(cyc.v);
	buf_release(&msg);
}

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

static void anc_init(struct anc *a, const struct plan *p)
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

static void anc_release(struct anc *a)
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

/* every expression of a step (not of its rollback steps) */
struct expr_list {
	struct ivec v;
};

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
static void resolve_pending(struct builder *b, struct anc *an)
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
static void check_step_refs(struct builder *b, struct anc *an, int x, const struct rb_step *s,
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
			y = scope_lookup(b, nd->scope, r);
			if (y < 0) {
				const char *sug = suggest_step(b, p->scopes[nd->scope].rb, r);
				diag_error(b->dl, exprset_loc(set, e),
					   "step '%s' reads '.steps.%s' but there is no step '%s'%s",
					   s->id, r, r, dym(b, sug));
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
		check_step_refs(b, an, x, &s->rollback[i], 1, el);
}

static void check_step_actions(struct builder *b, const struct rb_step *s, const struct action_desc **out);

/* finally steps: not nodes (the engine runs them in order after the run); they may
 * read `.steps.X` of any step of the top runbook and of the finally steps before them */
static void check_finally(struct builder *b, struct expr_list *el)
{
	const struct runbook *rb = b->p->rb;
	struct exprset *set = b->p->loader ? b->p->loader->exprs : NULL;
	for (int i = 0; i < rb->nfinally; i++) {
		const struct rb_step *s = &rb->finally[i];
		check_step_actions(b, s, NULL);
		if (!set)
			continue;
		step_exprs(s, el);
		for (int k = 0; k < el->v.n; k++) {
			int e = el->v.v[k];
			for (char *const *refs = exprset_refs(set, e); refs && *refs; refs++) {
				const char *r = *refs;
				int j;
				if (scope_lookup(b, 0, r) >= 0)
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
				const char *sug = suggest_step(b, rb, r);
				diag_error(b->dl, exprset_loc(set, e),
					   "finally step '%s' reads '.steps.%s' but there is no step '%s'%s",
					   s->id, r, r, dym(b, sug));
			}
		}
	}
}

/* `.steps.X` in a runbook's outputs and connections: X must exist in the scope */
static void check_tmpl_exists(struct builder *b, int sc, const char *what, const struct tmpl *t,
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
			if (scope_lookup(b, sc, *refs) < 0) {
				const char *sug = suggest_step(b, b->p->scopes[sc].rb, *refs);
				diag_error(b->dl, exprset_loc(set, el->v.v[i]),
					   "%s reads '.steps.%s' but there is no step '%s'%s",
					   what, *refs, *refs, dym(b, sug));
			}
	}
}

static void check_outputs_exist(struct builder *b, int sc)
{
	struct exprset *set = b->p->loader ? b->p->loader->exprs : NULL;
	const struct runbook *rb = b->p->scopes[sc].rb;
	if (!set)
		return;
	for (int i = 0; i < rb->noutputs; i++) {
		char *const *refs = exprset_refs(set, rb->outputs[i].expr);
		for (; refs && *refs; refs++)
			if (scope_lookup(b, sc, *refs) < 0) {
				const char *sug = suggest_step(b, rb, *refs);
				diag_error(b->dl, &rb->outputs[i].loc,
					   "output '%s' reads '.steps.%s' but there is no step '%s'%s",
					   rb->outputs[i].name, *refs, *refs, dym(b, sug));
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
			if (scope_lookup(b, sc, *refs) < 0) {
				const char *sug = suggest_step(b, rb, *refs);
				diag_error(b->dl, exprset_loc(set, oe[i]),
					   "objective '%s' reads '.steps.%s' but there is no step '%s'%s",
					   on[i], *refs, *refs, dym(b, sug));
			}
	}
}

/* ---- actions and with: ---- */

static const char *kind_phrase(const struct tmpl *t)
{
	switch (t->kind) {
	case TMPL_INTERP: return "a string";
	case TMPL_LIST: return "a list";
	case TMPL_MAP: return "a map";
	case TMPL_CONST: return value_phrase(t->value);
	default:
		return "an expression";
	}
}

/* 1 if a template of this shape cannot have type t (only shapes known statically) */
static int shape_mismatch(enum arg_type t, const struct tmpl *v)
{
	switch (v->kind) {
	case TMPL_CONST:
		return arg_type_check(t, v->value) != 0;
	case TMPL_INTERP:
		return !(t == ARG_ANY || t == ARG_STRING || t == ARG_DURATION || t == ARG_TIMESTAMP ||
			 t == ARG_STRING_OR_LIST || t == ARG_SCALAR);
	case TMPL_LIST:
		return !(t == ARG_ANY || t == ARG_LIST || t == ARG_STRING_OR_LIST);
	case TMPL_MAP:
		return !(t == ARG_ANY || t == ARG_MAP);
	default:
		return 0;        /* TMPL_EXPR: known at run time */
	}
}

static void type_error(struct builder *b, const struct srcloc *loc, const char *what,
		       enum arg_type t, const struct tmpl *v)
{
	diag_error(b->dl, loc, "%s must be %s, not %s", what, arg_type_phrase(t), kind_phrase(v));
}

/* one item of a templated list or map (key NULL: item i) */
static void check_item(struct builder *b, const struct action_arg *a, const struct tmpl *it, int i,
		       const char *key, const char *what)
{
	char why[512];
	if (it->kind == TMPL_CONST) {
		if (action_item_check(a, it->value, i, key, why, sizeof(why)) < 0)
			diag_error(b->dl, &it->loc, "%s%s", what, why);
	} else if (shape_mismatch(a->item, it)) {
		if (key)
			diag_error(b->dl, &it->loc, "%s: '%s' must be %s, not %s", what, key,
				   arg_type_phrase(a->item), kind_phrase(it));
		else
			diag_error(b->dl, &it->loc, "%s: item %d must be %s, not %s", what, i,
				   arg_type_phrase(a->item), kind_phrase(it));
	}
}

/* a with: value against its arg: constants fully (action_arg_check), templates as far
 * as their shape tells; the engine checks the rest once they are resolved */
static void check_value(struct builder *b, const struct action_arg *a, const struct tmpl *v,
			const char *what)
{
	char why[512];
	if (v->kind != TMPL_CONST && shape_mismatch(a->type, v)) {
		type_error(b, &v->loc, what, a->type, v);
		return;
	}
	if ((a->flags & ARG_SHELL) && v->kind != TMPL_CONST) {
		/* -p name='x; rm -rf ~' would run: values go where the shell does not parse */
		diag_error(b->dl, &v->loc, "%s is run by a shell: a '${{ }}' in it is shell injection; "
			   "pass the value in 'argv' and write \"$1\", or in 'env:' and write \"$NAME\"", what);
		return;
	}
	switch (v->kind) {
	case TMPL_CONST:
		if (action_arg_check(a, v->value, why, sizeof(why)) < 0)
			diag_error(b->dl, &v->loc, "%s%s", what, why);
		break;
	case TMPL_LIST:
		for (int i = 0; a->item != ARG_ANY && i < v->n; i++)
			check_item(b, a, v->items[i], i, NULL, what);
		break;
	case TMPL_MAP:
		for (int i = 0; a->item != ARG_ANY && i < v->n; i++)
			check_item(b, a, v->items[i], -1, v->keys[i], what);
		break;
	default:
		break;
	}
}

static const struct action_arg *find_arg(const struct action_arg *args, const char *name)
{
	for (const struct action_arg *q = args; q && q->name; q++)
		if (!strcmp(q->name, name))
			return q;
	return NULL;
}

/* `needs`: an arg given with its bool not written true; `required_when`: an arg missing
 * that its bool's written (or default) value requires. A template decides at run time. */
static void check_needs(struct builder *b, const struct action_arg *args, const struct tmpl *with,
			int with_bad, const struct srcloc *loc, const char *what, const char *argword)
{
	for (const struct action_arg *a = args; !with_bad && a && a->name; a++) {
		const char *flag;
		if (!a->required_when || (with && tmpl_get(with, a->name)))
			continue;
		flag = a->required_when[0] == '!' ? a->required_when + 1 : a->required_when;
		/* already said otherwise: a key that looks like this arg ("argvv"), or an arg
		 * given that needs the flag on (command: without shell: true) */
		int said = 0;
		for (int i = 0; with && i < with->n; i++) {
			const char *one[] = { a->name, NULL };
			const struct action_arg *q = find_arg(args, with->keys[i]);
			said |= !q && diag_suggest(with->keys[i], one, -1) != NULL;
			said |= q && q->needs && !strcmp(q->needs, flag) && a->required_when[0] == '!';
		}
		if (said)
			continue;
		const struct tmpl *f = with ? tmpl_get(with, flag) : NULL;
		const struct action_arg *fa = find_arg(args, flag);
		if (f && f->kind != TMPL_CONST)
			continue;
		int on = f ? jv_get_kind(f->value) == JV_KIND_TRUE :
			     fa && fa->defval && !strcmp(fa->defval, "true");
		if (action_required_when(a, on, &flag))
			diag_error(b->dl, with ? &with->loc : loc, "%s requires %s '%s' %s '%s: true'", what,
				   argword, a->name, a->required_when[0] == '!' ? "unless" : "with", flag);
	}
	for (int i = 0; with && i < with->n; i++) {
		const struct action_arg *a = NULL;
		for (const struct action_arg *q = args; q && q->name; q++)
			if (!strcmp(q->name, with->keys[i]))
				a = q;
		if (!a || !a->needs)
			continue;
		const struct tmpl *on = tmpl_get(with, a->needs);
		if (on && on->kind != TMPL_CONST)
			continue;
		if (!on || jv_get_kind(on->value) != JV_KIND_TRUE)
			diag_error(b->dl, &with->key_locs[i], "%s '%s' of %s needs '%s: true'", argword,
				   a->name, what, a->needs);
	}
}

/* check a TMPL_MAP of settings against args; what = "action 'exec'" or
 * "connections.aws". loc: where a missing one is reported. */
static void check_args(struct builder *b, const struct action_arg *args, const struct tmpl *with,
		       int with_bad, const struct srcloc *loc, const char *what, const char *argword)
{
	struct buf name = BUF_INIT(0);
	if (with && with->kind != TMPL_MAP) {
		if (with->kind != TMPL_EXPR)
			diag_error(b->dl, &with->loc, "%s: settings must be a map, not %s", what,
				   kind_phrase(with));
		goto out;
	}
	for (int i = 0; with && i < with->n; i++) {
		const char *k = with->keys[i];
		const struct action_arg *a = NULL;
		for (const struct action_arg *q = args; q && q->name; q++)
			if (!strcmp(q->name, k))
				a = q;
		if (!a) {
			const char *sug = suggest_args(b, args, k);
			diag_error(b->dl, &with->key_locs[i], "%s has no %s '%s'%s", what, argword, k,
				   dym(b, sug));
			continue;
		}
		buf_reset(&name);
		if (buf_addf(&name, "%s '%s' of %s", argword, k, what) < 0)
			continue;
		check_value(b, a, with->items[i], buf_str(&name));
	}
	check_needs(b, args, with, with_bad, loc, what, argword);
	for (const struct action_arg *q = args; q && q->name; q++) {
		const struct tmpl *v = with ? tmpl_get(with, q->name) : NULL;
		if (!(q->flags & ARG_REQUIRED) || q->defval)
			continue;
		if (!v)
			diag_error(b->dl, with ? &with->loc : loc, "%s requires %s '%s'", what, argword,
				   q->name);
		else if (v->kind == TMPL_CONST && jv_get_kind(v->value) == JV_KIND_NULL)
			diag_error(b->dl, &v->loc, "%s requires %s '%s': null given", what, argword, q->name);
	}
out:
	buf_release(&name);
}

/* the constant args of a with: (for action_is_mutating) */
static jv const_args(const struct tmpl *with)
{
	jv o = jv_object();
	for (int i = 0; with && with->kind == TMPL_MAP && i < with->n; i++)
		if (with->items[i]->kind == TMPL_CONST)
			o = jv_object_set(o, jv_string(with->keys[i]), jv_copy(with->items[i]->value));
	return o;
}

static const struct action_desc *check_action(struct builder *b, const char *name,
					      const struct srcloc *loc, const struct tmpl *with, int with_bad)
{
	const struct action_desc *d;
	struct buf what = BUF_INIT(0);
	if (!name)
		return NULL;
	d = registry_find(name);
	if (!d) {
		diag_error(b->dl, loc, "unknown action '%s'%s", name, dym(b, registry_suggest(name)));
		return NULL;
	}
	buf_addf(&what, "action '%s'", name);
	check_args(b, d->args, with, with_bad, loc, buf_str(&what), "argument");
	if (d->validate && with && with->kind == TMPL_MAP) {
		/* constants as they are, expressions as null (given, value unknown) */
		jv args = jv_object();
		const char *arg = NULL;
		const struct srcloc *at = loc;
		char why[256];
		for (int i = 0; i < with->n; i++)
			args = jv_object_set(args, jv_string(with->keys[i]), with->items[i]->kind == TMPL_CONST ?
					     jv_copy(with->items[i]->value) : jv_null());
		if (d->validate(args, &arg, why, sizeof(why)) < 0) {
			for (int i = 0; arg && i < with->n; i++)
				if (!strcmp(with->keys[i], arg))
					at = &with->items[i]->loc;
			diag_error(b->dl, at, "%s", why);
		}
		jv_free(args);
	}
	buf_release(&what);
	return d;
}

static void check_step_actions(struct builder *b, const struct rb_step *s, const struct action_desc **out)
{
	const struct action_desc *d = NULL;
	switch (s->kind) {
	case STEP_ACTION:
		d = check_action(b, s->action, &s->action_loc, s->with, s->with_bad);
		break;
	case STEP_WAIT:
		d = check_action(b, s->wait.action, &s->wait.action_loc, s->wait.with, s->wait.with_bad);
		break;
	/* STEP_USES: its with: against the child's params is checked by lang */
	default:
		break;
	}
	if (out)
		*out = d;
	for (int i = 0; i < s->nrollback; i++)
		check_step_actions(b, &s->rollback[i], NULL);
}

static void check_connections(struct builder *b, const struct runbook *rb)
{
	const struct tmpl *c = rb->connections;
	struct buf what = BUF_INIT(0);
	if (!c || c->kind != TMPL_MAP)
		goto out;
	for (int i = 0; i < c->n; i++) {
		const char *mname = c->keys[i];
		const struct module_desc *m = registry_module(mname);
		const struct tmpl *v = c->items[i];
		if (!m) {
			const struct module_desc *q;
			b->nnames = 0;
			for (int k = 0; (q = registry_module_at(k)); k++) {
				ALLOC_GROW(b->names, b->nnames + 1, b->anames);
				b->names[b->nnames++] = q->name;
			}
			diag_error(b->dl, &c->key_locs[i], "unknown module '%s' in connections%s", mname,
				   dym(b, diag_suggest(mname, b->names, b->nnames)));
			continue;
		}
		buf_reset(&what);
		if (!m->conn_named) {
			buf_addf(&what, "connections.%s", mname);
			check_args(b, m->conn_args, v, 0, &c->key_locs[i], buf_str(&what), "setting");
			continue;
		}
		if (v->kind != TMPL_MAP) {
			if (v->kind != TMPL_EXPR)
				diag_error(b->dl, &v->loc,
					   "connections.%s must be a map of named connections, not %s",
					   mname, kind_phrase(v));
			continue;
		}
		for (int k = 0; k < v->n; k++) {
			buf_reset(&what);
			buf_addf(&what, "connections.%s.%s", mname, v->keys[k]);
			check_args(b, m->conn_args, v->items[k], 0, &v->key_locs[k], buf_str(&what), "setting");
		}
	}
out:
	buf_release(&what);
}

/* ---- estimates ---- */

static int64_t node_typical(const struct plan_node *nd)
{
	const struct rb_step *s = nd->step;
	switch (s->kind) {
	case STEP_ACTION:
		if (nd->desc && !strcmp(nd->desc->name, "sleep") && s->with) {
			const struct tmpl *d = tmpl_get(s->with, "duration");
			int64_t ms;
			if (d && d->kind == TMPL_CONST) {
				if (jv_get_kind(d->value) == JV_KIND_STRING &&
				    !dur_parse(jv_string_value(d->value), &ms))
					return ms;
				if (jv_get_kind(d->value) == JV_KIND_NUMBER)
					return (int64_t)(jv_number_value(d->value) * 1000);
			}
		}
		return nd->desc ? nd->desc->typical_ms : 0;
	case STEP_WAIT:
		if (s->wait.expect_ms)
			return s->wait.expect_ms;
		return nd->desc ? nd->desc->typical_ms : 0;
	default:
		return 0;
	}
}

static void estimate(struct plan *p)
{
	int64_t best = -1;
	p->critical_end = -1;
	p->nlevels = 0;
	for (int i = 0; i < p->n; i++) {
		int x = p->order[i];
		struct plan_node *nd = &p->nodes[x];
		int64_t start = 0;
		int lvl = 0;
		if (x < 0)
			break;
		p->crit_prev[x] = -1;
		for (int k = 0; k < nd->ndeps; k++) {
			const struct plan_node *d = &p->nodes[nd->deps[k]];
			if (d->level + 1 > lvl)
				lvl = d->level + 1;
			if (p->crit_prev[x] < 0 || d->finish_ms > start) {
				start = d->finish_ms;
				p->crit_prev[x] = nd->deps[k];
			}
		}
		nd->level = lvl;
		nd->finish_ms = start + nd->typical_ms;
		if (lvl + 1 > p->nlevels)
			p->nlevels = lvl + 1;
		if (nd->finish_ms >= best) {
			best = nd->finish_ms;
			p->critical_end = x;
		}
	}
	p->critical_ms = best < 0 ? 0 : best;
}

/* ---- the public functions ---- */

/* move diagnostics from src to dst, dropping repeats (a child used twice) */
static void take_unique(struct diag_list *dst, struct diag_list *src)
{
	struct strmap seen = { 0 };
	struct buf key = BUF_INIT(0);
	char **keys = xcalloc((size_t)src->n + 1, sizeof(char *));
	struct diag_list uniq = {0};
	for (int i = 0; i < src->n; i++) {
		const struct diag *d = &src->items[i];
		buf_reset(&key);
		buf_addf(&key, "%p:%d:%d:%d:%s", (const void *)d->loc.src, d->loc.line, d->loc.col,
			 (int)d->level, d->msg);
		keys[i] = xstrdup(buf_str(&key));
		if (strmap_put(&seen, keys[i], i) != i)
			continue;
		diag_add(&uniq, d->level, &d->loc, "%s", d->msg);
	}
	diag_list_take(dst, &uniq);
	diag_list_release(&uniq);
	for (int i = 0; i < src->n; i++)
		free(keys[i]);
	free(keys);
	strmap_release(&seen);
	buf_release(&key);
}

int plan_build(struct plan *p, const struct runbook *rb, struct rb_loader *ld, struct diag_list *dl)
{
	struct builder b = {0};
	struct diag_list local = {0};
	struct ivec sinks = {0};
	struct expr_list el = {0};
	struct anc an;
	int total, placed, ret = -1;

	memset(p, 0, sizeof(*p));
	p->rb = rb;
	p->loader = ld;
	p->critical_end = -1;
	if (!rb)
		return -1;

	total = count_nodes(rb, 0);
	p->nodes = xcalloc((size_t)total + 1, sizeof(*p->nodes));
	p->order = xmalloc(((size_t)total + 1) * sizeof(int));
	for (int i = 0; i <= total; i++)
		p->order[i] = -1;
	p->crit_prev = xmalloc(((size_t)total + 1) * sizeof(int));
	/* at most one scope per uses step + the top */
	p->scopes = xcalloc((size_t)total + 1, sizeof(*p->scopes));
	p->n = total;

	b.p = p;
	b.dl = &local;
	b.map = xcalloc(1, sizeof(*b.map));
	p->index = b.map;
	b.seen = xcalloc((size_t)total + 1, sizeof(int));
	buf_init(&b.tmp, 0);

	build_scope(&b, rb, -1, -1, "", 0, NULL, 0, 0, &sinks);
	if (p->nscopes < total + 1)
		p->scopes = xrealloc(p->scopes, (size_t)(p->nscopes ? p->nscopes : 1) * sizeof(*p->scopes));

	/* reverse edges */
	for (int x = 0; x < p->n; x++)
		for (int k = 0; k < p->nodes[x].ndeps; k++)
			p->nodes[p->nodes[x].deps[k]].nrdeps++;
	for (int x = 0; x < p->n; x++) {
		p->nodes[x].rdeps = p->nodes[x].nrdeps ? xmalloc((size_t)p->nodes[x].nrdeps * sizeof(int)) : NULL;
		p->nodes[x].nrdeps = 0;
	}
	for (int x = 0; x < p->n; x++)
		for (int k = 0; k < p->nodes[x].ndeps; k++) {
			struct plan_node *d = &p->nodes[p->nodes[x].deps[k]];
			d->rdeps[d->nrdeps++] = x;
		}

	placed = topo_sort(p);
	if (placed < p->n)
		report_cycles(&b);

	/* references */
	anc_init(&an, p);
	for (int x = 0; x < p->n; x++)
		check_step_refs(&b, &an, x, p->nodes[x].step, 0, &el);
	resolve_pending(&b, &an);
	for (int sc = 0; sc < p->nscopes; sc++) {
		check_outputs_exist(&b, sc);
		check_tmpl_exists(&b, sc, "a connection", p->scopes[sc].rb->connections, &el);
	}
	anc_release(&an);

	/* actions, with:, connections */
	for (int x = 0; x < p->n; x++) {
		struct plan_node *nd = &p->nodes[x];
		check_step_actions(&b, nd->step, &nd->desc);
		if (nd->desc) {
			const struct tmpl *w = nd->step->kind == STEP_WAIT ? nd->step->wait.with : nd->step->with;
			/* only a mutates() hook needs the args: skip building them otherwise */
			if (nd->desc->mutates) {
				jv args = const_args(w);
				nd->mutating = action_is_mutating(nd->desc, args) ? 1 : 0;   /* borrows */
				jv_free(args);
			} else
				nd->mutating = (nd->desc->flags & ACT_MUTATING) ? 1 : 0;
		}
		nd->typical_ms = node_typical(nd);
	}
	for (int sc = 0; sc < p->nscopes; sc++)
		check_connections(&b, p->scopes[sc].rb);
	plan_check_refs(p, dl, b.dl);    /* every name an expression reads (refcheck.c) */
	check_finally(&b, &el);

	if (placed == p->n)
		estimate(p);

	ret = local.nerrors ? -1 : 0;
	take_unique(dl, &local);
	diag_list_release(&local);
	free(sinks.v);
	free(el.v.v);
	free(b.seen);
	free(b.names);
	buf_release(&b.tmp);
	return ret;
}

void plan_release(struct plan *p)
{
	if (!p)
		return;
	for (int x = 0; x < p->n; x++) {
		free(p->nodes[x].qid);
		free(p->nodes[x].deps);
		free(p->nodes[x].rdeps);
		free(p->nodes[x].entry);
	}
	for (int i = 0; i < p->nscopes; i++)
		free(p->scopes[i].prefix);
	free(p->nodes);
	free(p->order);
	free(p->scopes);
	free(p->crit_prev);
	if (p->index) {
		strmap_release(p->index);
		free(p->index);
	}
	memset(p, 0, sizeof(*p));
	p->critical_end = -1;
}

int plan_find(const struct plan *p, const char *qid)
{
	return p->index ? strmap_get(p->index, qid) : -1;
}

int plan_critical_path(const struct plan *p, int **out)
{
	int n = 0, x;
	*out = NULL;
	if (p->critical_end < 0)
		return 0;
	for (x = p->critical_end; x >= 0; x = p->crit_prev[x])
		n++;
	*out = xmalloc((size_t)n * sizeof(int));
	x = p->critical_end;
	for (int i = n - 1; i >= 0; i--, x = p->crit_prev[x])
		(*out)[i] = x;
	return n;
}

/* ---- json ---- */

static jv steps_brief_json(const struct rb_step *list, int n)
{
	jv arr = jv_array();
	for (int i = 0; i < n; i++) {
		const struct rb_step *r = &list[i];
		jv o = jv_object();
		o = jv_object_set(o, jv_string("id"), jv_string(r->id));
		o = jv_object_set(o, jv_string("kind"), jv_string(step_kind_name(r->kind)));
		if (r->kind == STEP_ACTION && r->action)
			o = jv_object_set(o, jv_string("action"), jv_string(r->action));
		else if (r->kind == STEP_WAIT && r->wait.action)
			o = jv_object_set(o, jv_string("action"), jv_string(r->wait.action));
		arr = jv_array_append(arr, o);
	}
	return arr;
}

static jv rollback_json(const struct rb_step *s)
{
	return steps_brief_json(s->rollback, s->nrollback);
}

static jv node_json(const struct plan *p, int x)
{
	const struct plan_node *nd = &p->nodes[x];
	const struct rb_step *s = nd->step;
	const struct plan_scope *sc = &p->scopes[nd->scope];
	struct exprset *set = p->loader ? p->loader->exprs : NULL;
	jv o = jv_object(), needs = jv_array();

	o = jv_object_set(o, jv_string("id"), jv_string(nd->qid));
	o = jv_object_set(o, jv_string("step"), jv_string(s->id));
	if (*sc->prefix)
		o = jv_object_set(o, jv_string("scope"), jv_string_sized(sc->prefix, (int)strlen(sc->prefix) - 1));
	else
		o = jv_object_set(o, jv_string("scope"), jv_null());
	o = jv_object_set(o, jv_string("kind"), jv_string(step_kind_name(s->kind)));
	if (s->name)
		o = jv_object_set(o, jv_string("name"), jv_string(s->name));
	if (s->kind == STEP_ACTION && s->action)
		o = jv_object_set(o, jv_string("action"), jv_string(s->action));
	if (s->kind == STEP_WAIT && s->wait.action)
		o = jv_object_set(o, jv_string("action"), jv_string(s->wait.action));
	if (s->kind == STEP_USES && s->uses)
		o = jv_object_set(o, jv_string("uses"), jv_string(s->uses));
	for (int k = 0; k < nd->ndeps; k++)
		needs = jv_array_append(needs, jv_string(p->nodes[nd->deps[k]].qid));
	o = jv_object_set(o, jv_string("needs"), needs);
	if (s->kind == STEP_USES) {
		jv entry = jv_array();      /* what the step itself (and its child's roots) wait for */
		for (int k = 0; k < nd->nentry; k++)
			entry = jv_array_append(entry, jv_string(p->nodes[nd->entry[k]].qid));
		o = jv_object_set(o, jv_string("entry"), entry);
	}
	o = jv_object_set(o, jv_string("level"), nd->topo >= 0 ? jv_number(nd->level) : jv_null());
	o = jv_object_set(o, jv_string("mutating"), jv_bool(nd->mutating));
	o = jv_object_set(o, jv_string("idempotent"),
			  jv_bool(nd->desc && (nd->desc->flags & ACT_IDEMPOTENT)));
	o = jv_object_set(o, jv_string("typical_ms"), jv_number((double)nd->typical_ms));
	o = jv_object_set(o, jv_string("critical"), jv_bool(s->critical));
	if (set && s->when >= 0)
		o = jv_object_set(o, jv_string("when"), jv_string(exprset_text(set, s->when)));
	if (set && s->for_each >= 0)
		o = jv_object_set(o, jv_string("for_each"), jv_string(exprset_text(set, s->for_each)));
	if (s->timeout_ms)
		o = jv_object_set(o, jv_string("timeout_ms"), jv_number((double)s->timeout_ms));
	if (s->retry.attempts > 1)
		o = jv_object_set(o, jv_string("retry_attempts"), jv_number(s->retry.attempts));
	o = jv_object_set(o, jv_string("rollback"), rollback_json(s));
	if (s->loc.src)
		o = jv_object_set(o, jv_string("file"), jv_string(s->loc.src->path));
	o = jv_object_set(o, jv_string("line"), jv_number(s->loc.line));
	return o;
}

static jv params_json(const struct runbook *rb)
{
	jv o = jv_object();
	for (int i = 0; i < rb->nparams; i++) {
		const struct rb_param *pm = &rb->params[i];
		jv d = jv_object();
		d = jv_object_set(d, jv_string("type"), jv_string(arg_type_name(pm->type)));
		d = jv_object_set(d, jv_string("required"), jv_bool(pm->flags & PARAM_REQUIRED));
		d = jv_object_set(d, jv_string("secret"), jv_bool(pm->flags & PARAM_SECRET));
		if (jv_is_valid(pm->def) && !(pm->flags & PARAM_SECRET))
			d = jv_object_set(d, jv_string("default"), jv_copy(pm->def));
		if (pm->description)
			d = jv_object_set(d, jv_string("description"), jv_string(pm->description));
		o = jv_object_set(o, jv_string(pm->name), d);
	}
	return o;
}

jv plan_to_json(const struct plan *p)
{
	jv o = jv_object(), steps = jv_array(), order = jv_array(), levels = jv_array();
	jv crit = jv_object(), cpath = jv_array();
	const struct runbook *rb = p->rb;
	int *path = NULL, npath;

	if (!rb)
		return jv_null();
	o = jv_object_set(o, jv_string("runbook"), rb->name ? jv_string(rb->name) : jv_null());
	if (rb->description)
		o = jv_object_set(o, jv_string("description"), jv_string(rb->description));
	if (rb->path)
		o = jv_object_set(o, jv_string("file"), jv_string(rb->path));
	if (rb->objectives.declared) {
		/* the targets as written (rpo: 0s is a target), what ends the RTO, and the
		 * expressions the RPO is measured with */
		const struct rb_objectives *ob = &rb->objectives;
		jv j = jv_object();
		if (ob->has & OBJ_RTO)
			j = jv_object_set(j, jv_string("rto_ms"), jv_number((double)ob->rto_ms));
		if (ob->has & OBJ_RPO)
			j = jv_object_set(j, jv_string("rpo_ms"), jv_number((double)ob->rpo_ms));
		j = jv_object_set(j, jv_string("restored"), ob->restored ? jv_string(ob->restored) : jv_null());
		j = jv_object_set(j, jv_string("recovery_point"), ob->recovery_point >= 0 ?
				  jv_string(exprset_text(p->loader->exprs, ob->recovery_point)) : jv_null());
		j = jv_object_set(j, jv_string("incident_time"), ob->incident_time >= 0 ?
				  jv_string(exprset_text(p->loader->exprs, ob->incident_time)) : jv_null());
		o = jv_object_set(o, jv_string("objectives"), j);
	}
	o = jv_object_set(o, jv_string("params"), params_json(rb));
	for (int x = 0; x < p->n; x++)
		steps = jv_array_append(steps, node_json(p, x));
	o = jv_object_set(o, jv_string("steps"), steps);
	for (int i = 0; i < p->n && p->order[i] >= 0; i++)
		order = jv_array_append(order, jv_string(p->nodes[p->order[i]].qid));
	o = jv_object_set(o, jv_string("order"), order);
	if (p->nlevels) {
		/* bucket the order by level (counting sort keeps the order within a level) */
		int *start = xcalloc((size_t)p->nlevels + 1, sizeof(int));
		int *by = xmalloc((size_t)p->n * sizeof(int));
		for (int x = 0; x < p->n; x++)
			start[p->nodes[x].level + 1]++;
		for (int l = 0; l < p->nlevels; l++)
			start[l + 1] += start[l];
		for (int i = 0; i < p->n; i++) {
			int x = p->order[i];
			by[start[p->nodes[x].level]++] = x;
		}
		for (int l = 0, i = 0; l < p->nlevels; l++) {
			jv lv = jv_array();
			for (; i < p->n && p->nodes[by[i]].level == l; i++)
				lv = jv_array_append(lv, jv_string(p->nodes[by[i]].qid));
			levels = jv_array_append(levels, lv);
		}
		free(start);
		free(by);
	}
	o = jv_object_set(o, jv_string("levels"), levels);
	npath = plan_critical_path(p, &path);
	for (int i = 0; i < npath; i++)
		cpath = jv_array_append(cpath, jv_string(p->nodes[path[i]].qid));
	free(path);
	crit = jv_object_set(crit, jv_string("steps"), cpath);
	crit = jv_object_set(crit, jv_string("typical_ms"), jv_number((double)p->critical_ms));
	o = jv_object_set(o, jv_string("critical_path"), crit);
	/* finally steps are not nodes: they run in order once the run has ended */
	if (rb->nfinally > 0)
		o = jv_object_set(o, jv_string("finally"), steps_brief_json(rb->finally, rb->nfinally));
	return o;
}
