/* order.c — topological order (Kahn, document order among ties), the cycle report,
 * levels, typical durations and the critical path. */
#include "plan_priv.h"
#include "../core/dur.h"
#include "../core/jvx.h"

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

int plan_topo_sort(struct plan *p)
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
void plan_report_cycles(struct builder *b)
{
	int berr = 0;
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
		berr |= buf_adds(&msg, "cycle: ");
		for (int i = 0; i < cyc.n; i++)
			berr |= buf_addf(&msg, "%s -> ", p->nodes[cyc.v[i]].step->id);
		berr |= buf_adds(&msg, p->nodes[cyc.v[0]].step->id);
		diag_error(b->dl, edge_loc(p, cyc.v[0], cyc.n > 1 ? cyc.v[1] : cyc.v[0]),
			   "%s", buf_str(&msg));
	}
	BUF_NOCAP(berr);
	free(mark);
	free(pos);
	free(path.v);
	free(cyc.v);
	buf_release(&msg);
}

/* ---- estimates ---- */

/* the descriptor's typical_ms, or what its typical() hook makes of the constant args */
static int64_t desc_typical(const struct action_desc *d, const struct tmpl *with)
{
	int64_t ms = -1;
	if (!d)
		return 0;
	if (d->typical) {
		jv args = plan_const_args(with);
		ms = d->typical(args);   /* borrows */
		jv_free(args);
	}
	return ms >= 0 ? ms : d->typical_ms;
}

int64_t plan_node_typical(const struct plan_node *nd)
{
	const struct rb_step *s = nd->step;
	switch (s->kind) {
	case STEP_ACTION:
		return desc_typical(nd->desc, s->with);
	case STEP_WAIT:
		if (s->wait.expect_ms)
			return s->wait.expect_ms;
		return nd->desc ? nd->desc->typical_ms : 0;
	default:
		return 0;
	}
}

void plan_estimate(struct plan *p)
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
