/* plan.c — the DAG of a runbook: nodes, scopes and edges; plan_build() runs the passes.
 *
 * plan_build() in passes, every one linear in nodes + edges:
 *   1. count nodes (uses: children included), give every node its index in document
 *      order and its qid; index qids in a hash map
 *   2. resolve edges scope by scope (needs / previous step / the uses entry); a uses
 *      node waits for its child's sinks
 *   3. topological order (Kahn, min-heap on the node index = document order); nodes
 *      left over sit on or after a cycle: walk them and print each cycle's path (order.c)
 *   4. `.steps.X` references: X must be an ancestor (backward search, ancestry.c)
 *   5. actions, `with:` against descriptors, connections against the modules' conn_args
 *      (actions.c); a uses step's with: against the child's params is lang's (uses.c)
 *   6. levels, typical durations, critical path (order.c)
 * Diagnostics of a child runbook used twice would repeat: they are de-duplicated.
 */
#include <limits.h>
#include "plan_priv.h"
#include "../core/jvx.h"


/* ---- builder ---- */

static int count_nodes(const struct runbook *rb, int depth)
{
	int n = 0;
	if (!rb || depth > RB_USES_MAX_DEPTH)
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
const char *plan_suggest_step(struct builder *b, const struct runbook *rb, const char *word)
{
	b->nnames = 0;
	for (int i = 0; i < rb->nsteps; i++) {
		ALLOC_GROW(b->names, b->nnames + 1, b->anames);
		b->names[b->nnames++] = rb->steps[i].id;
	}
	return diag_suggest(word, b->names, b->nnames);
}

const char *plan_suggest_args(struct builder *b, const struct action_arg *args, const char *word)
{
	b->nnames = 0;
	for (; args && args->name; args++) {
		ALLOC_GROW(b->names, b->nnames + 1, b->anames);
		b->names[b->nnames++] = args->name;
	}
	return diag_suggest(word, b->names, b->nnames);
}

/* " (did you mean 'x'?)" or "" in b->tmp */
const char *plan_dym(struct builder *b, const char *s)
{
	int berr = 0;
	buf_reset(&b->tmp);
	if (s)
		berr |= buf_addf(&b->tmp, " (did you mean '%s'?)", s);
	BUF_NOCAP(berr);
	return buf_str(&b->tmp);
}

/* node of step `id` in scope sc, or -1 */
int plan_scope_lookup(struct builder *b, int sc, const char *id)
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
		if (s->kind == STEP_USES && s->child && depth < RB_USES_MAX_DEPTH)
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
				int y = plan_scope_lookup(b, sc, s->needs[k]);
				if (y < 0) {
					const char *sug = plan_suggest_step(b, rb, s->needs[k]);
					diag_error(b->dl, &s->needs_locs[k],
						   "step '%s' needs unknown step '%s'%s",
						   s->id, s->needs[k], plan_dym(b, sug));
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
			if (depth >= RB_USES_MAX_DEPTH) {
				diag_error(b->dl, &s->uses_loc,
					   "'uses' nested deeper than %d runbooks", RB_USES_MAX_DEPTH);
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

/* ---- the public functions ---- */

/* move diagnostics from src to dst, dropping repeats (a child used twice) */
static int take_unique(struct diag_list *dst, struct diag_list *src)
{
	int berr = 0;
	struct strmap seen = { 0 };
	struct buf key = BUF_INIT(0);
	char **keys = xcalloc((size_t)src->n + 1, sizeof(char *));
	struct diag_list uniq = {0};
	for (int i = 0; i < src->n; i++) {
		const struct diag *d = &src->items[i];
		buf_reset(&key);
		berr |= buf_addf(&key, "%p:%d:%d:%d:%s", (const void *)d->loc.src, d->loc.line, d->loc.col,
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
	return berr;
}

int plan_build(struct plan *p, const struct runbook *rb, struct rb_loader *ld, struct diag_list *dl)
{
	int berr = 0;
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

	placed = plan_topo_sort(p);
	if (placed < p->n)
		plan_report_cycles(&b);

	/* references */
	plan_anc_init(&an, p);
	for (int x = 0; x < p->n; x++)
		plan_check_step_refs(&b, &an, x, p->nodes[x].step, 0, &el);
	plan_resolve_pending(&b, &an);
	for (int sc = 0; sc < p->nscopes; sc++) {
		plan_check_outputs_exist(&b, sc);
		plan_check_tmpl_exists(&b, sc, "a connection", p->scopes[sc].rb->connections, &el);
	}
	plan_anc_release(&an);

	/* actions, with:, connections */
	for (int x = 0; x < p->n; x++) {
		struct plan_node *nd = &p->nodes[x];
		plan_check_step_actions(&b, nd->step, &nd->desc);
		if (nd->desc) {
			const struct tmpl *w = nd->step->kind == STEP_WAIT ? nd->step->wait.with : nd->step->with;
			/* only a mutates() hook needs the args: skip building them otherwise */
			if (nd->desc->mutates) {
				jv args = plan_const_args(w);
				nd->mutating = action_is_mutating(nd->desc, args) ? 1 : 0;   /* borrows */
				jv_free(args);
			} else
				nd->mutating = (nd->desc->flags & ACT_MUTATING) ? 1 : 0;
		}
		nd->typical_ms = plan_node_typical(nd);
	}
	for (int sc = 0; sc < p->nscopes; sc++)
		plan_check_connections(&b, p->scopes[sc].rb);
	plan_check_refs(p, dl, b.dl);    /* every name an expression reads (refcheck.c) */
	plan_check_finally(&b, &el);

	if (placed == p->n)
		plan_estimate(p);

	ret = local.nerrors ? -1 : 0;
	berr |= take_unique(dl, &local);
	BUF_NOCAP(berr);
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
