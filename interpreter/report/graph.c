/* graph.c — Graphviz dot and Mermaid output of a plan (see graph.h). */
#include <string.h>
#include "graph.h"
#include "../core/buf.h"
#include "../core/bug.h"

int graph_format_parse(const char *name, enum graph_format *f)
{
#define X(e, s) if (!strcmp(name, s)) { *f = e; return 0; }
	GRAPH_FORMATS(X)
#undef X
	return -1;
}

/* second line of a node's label: its action, or its kind */
static int step_what(struct buf *o, const struct rb_step *s)
{
	int berr = 0;
	switch (s->kind) {
	case STEP_ACTION:
		berr |= buf_adds(o, s->action ? s->action : "action");
		break;
	case STEP_WAIT:
		berr |= buf_addf(o, "wait: %s", s->wait.action ? s->wait.action : "?");
		break;
	case STEP_USES:
		berr |= buf_addf(o, "uses: %s", s->uses ? s->uses : "?");
		break;
	default:
		berr |= buf_adds(o, step_kind_name(s->kind));
		break;
	}
	return berr;
}

/* ---- dot ---- */

static int dot_str(struct buf *o, const char *s)
{
	int berr = 0;
	berr |= buf_addc(o, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			berr |= buf_addc(o, '\\');
		if (*s == '\n') {
			berr |= buf_adds(o, "\\n");
			continue;
		}
		berr |= buf_addc(o, *s);
	}
	berr |= buf_addc(o, '"');
	return berr;
}

static const char *dot_shape(enum step_kind k)
{
	static const char *const shapes[STEP_KIND__N] = {
		[STEP_ACTION] = "shape=box",
		[STEP_WAIT] = "shape=box, style=rounded",
		[STEP_CONFIRM] = "shape=hexagon",
		[STEP_ASSERT] = "shape=octagon",
		[STEP_USES] = "shape=box3d",
	};
	return shapes[k] ? shapes[k] : "shape=box";
}

static int dot_label(struct buf *o, const char *id, const struct rb_step *s)
{
	int berr = 0;
	struct buf l = BUF_INIT(0);
	berr |= buf_adds(&l, id);
	berr |= buf_addc(&l, '\n');
	berr |= step_what(&l, s);
	berr |= dot_str(o, buf_str(&l));
	buf_release(&l);
	return berr;
}

static int indent(struct buf *o, int depth)
{
	int berr = 0;
	for (int i = 0; i < depth; i++)
		berr |= buf_adds(o, "  ");
	return berr;
}

/* rollback steps of s (owner node id `owner`), chained with dashed edges */
static int dot_rollback(struct buf *o, const char *owner, const char *prefix,
			 const struct rb_step *s, int depth)
{
	int berr = 0;
	const char *prev = owner;
	struct buf ids = BUF_INIT(0);
	char **names = s->nrollback ? xcalloc((size_t)s->nrollback, sizeof(char *)) : NULL;
	for (int i = 0; i < s->nrollback; i++) {
		const struct rb_step *r = &s->rollback[i];
		buf_reset(&ids);
		berr |= buf_addf(&ids, "%s%s", prefix, r->id);
		names[i] = buf_detach(&ids);
		berr |= indent(o, depth);
		berr |= dot_str(o, names[i]);
		berr |= buf_adds(o, " [label=");
		berr |= dot_label(o, names[i], r);
		berr |= buf_addf(o, ", %s, color=gray40, fontcolor=gray40];\n", "shape=box, style=dashed");
		berr |= indent(o, depth);
		berr |= dot_str(o, prev);
		berr |= buf_adds(o, " -> ");
		berr |= dot_str(o, names[i]);
		berr |= buf_adds(o, i ? " [style=dashed, color=gray40];\n" :
				 " [style=dashed, color=gray40, label=\"rollback\"];\n");
		berr |= dot_rollback(o, names[i], prefix, r, depth);
		prev = names[i];
	}
	for (int i = 0; i < s->nrollback; i++)
		free(names[i]);
	free(names);
	buf_release(&ids);
	return berr;
}

/* a scope's nodes are contiguous in document order, each uses node followed by its
 * child's; returns the first node past the scope */
static int dot_scope(struct buf *o, const struct plan *p, int sc, int x, int depth, int *berrp)
{
	int berr = 0;
	while (x < p->n && p->nodes[x].scope == sc) {
		const struct plan_node *nd = &p->nodes[x];
		int next = x + 1;
		berr |= indent(o, depth);
		berr |= dot_str(o, nd->qid);
		berr |= buf_adds(o, " [label=");
		berr |= dot_label(o, nd->qid, nd->step);
		berr |= buf_addf(o, ", %s];\n", dot_shape(nd->step->kind));
		berr |= dot_rollback(o, nd->qid, p->scopes[sc].prefix, nd->step, depth);
		if (nd->child_scope >= 0) {
			struct buf name = BUF_INIT(0);
			berr |= buf_addf(&name, "cluster_%s", nd->qid);
			berr |= indent(o, depth);
			berr |= buf_adds(o, "subgraph ");
			berr |= dot_str(o, buf_str(&name));
			berr |= buf_adds(o, " {\n");
			berr |= indent(o, depth + 1);
			berr |= buf_adds(o, "label=");
			buf_reset(&name);
			berr |= buf_addf(&name, "%s (%s)", nd->qid, nd->step->uses ? nd->step->uses : "?");
			berr |= dot_str(o, buf_str(&name));
			berr |= buf_adds(o, ";\n");
			berr |= indent(o, depth + 1);
			berr |= buf_adds(o, "style=rounded;\n");
			next = dot_scope(o, p, nd->child_scope, x + 1, depth + 1, &berr);
			berr |= indent(o, depth);
			berr |= buf_adds(o, "}\n");
			buf_release(&name);
		}
		x = next;
	}
	*berrp |= berr;
	return x;
}

static int dot_render(struct buf *o, const struct plan *p)
{
	int berr = 0;
	berr |= buf_adds(o, "digraph ");
	berr |= dot_str(o, p->rb && p->rb->name ? p->rb->name : "runbook");
	berr |= buf_adds(o, " {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
		    "  edge [fontname=\"Helvetica\", fontsize=9];\n");
	if (p->nscopes)
		dot_scope(o, p, 0, 0, 1, &berr);
	for (int x = 0; x < p->n; x++) {
		const struct plan_node *nd = &p->nodes[x];
		for (int k = 0; k < nd->ndeps; k++) {
			berr |= buf_adds(o, "  ");
			berr |= dot_str(o, p->nodes[nd->deps[k]].qid);
			berr |= buf_adds(o, " -> ");
			berr |= dot_str(o, nd->qid);
			berr |= buf_adds(o, ";\n");
		}
	}
	berr |= buf_adds(o, "}\n");
	return berr;
}

/* ---- mermaid ---- */

static int mm_str(struct buf *o, const char *s)
{
	int berr = 0;
	berr |= buf_addc(o, '"');
	for (; *s; s++) {
		switch (*s) {
		case '"': berr |= buf_adds(o, "#quot;"); break;
		case '<': berr |= buf_adds(o, "#lt;"); break;
		case '>': berr |= buf_adds(o, "#gt;"); break;
		case '\n': berr |= buf_adds(o, "<br/>"); break;
		default: berr |= buf_addc(o, *s); break;
		}
	}
	berr |= buf_addc(o, '"');
	return berr;
}

static int mm_node(struct buf *o, const char *name, const char *id, const struct rb_step *s, int depth)
{
	int berr = 0;
	static const char *const open[STEP_KIND__N] = {
		[STEP_ACTION] = "[", [STEP_WAIT] = "([", [STEP_CONFIRM] = "{{",
		[STEP_ASSERT] = "{", [STEP_USES] = "[[",
	};
	static const char *const close[STEP_KIND__N] = {
		[STEP_ACTION] = "]", [STEP_WAIT] = "])", [STEP_CONFIRM] = "}}",
		[STEP_ASSERT] = "}", [STEP_USES] = "]]",
	};
	struct buf l = BUF_INIT(0);
	berr |= buf_adds(&l, id);
	berr |= buf_addc(&l, '\n');
	berr |= step_what(&l, s);
	berr |= indent(o, depth);
	berr |= buf_addf(o, "%s%s", name, open[s->kind]);
	berr |= mm_str(o, buf_str(&l));
	berr |= buf_addf(o, "%s\n", close[s->kind]);
	buf_release(&l);
	return berr;
}

static int mm_rollback(struct buf *o, const char *owner, const char *prefix,
			const struct rb_step *s, struct buf *edges, int depth)
{
	int berr = 0;
	struct buf name = BUF_INIT(0), id = BUF_INIT(0);
	char *prev = xstrdup(owner);
	for (int i = 0; i < s->nrollback; i++) {
		const struct rb_step *r = &s->rollback[i];
		buf_reset(&name);
		berr |= buf_addf(&name, "%s_r%d", owner, i + 1);
		buf_reset(&id);
		berr |= buf_addf(&id, "%s%s", prefix, r->id);
		berr |= mm_node(o, buf_str(&name), buf_str(&id), r, depth);
		berr |= buf_addf(edges, "  %s -. %s .-> %s\n", prev, i ? "then" : "rollback", buf_str(&name));
		berr |= mm_rollback(o, buf_str(&name), prefix, r, edges, depth);
		free(prev);
		prev = xstrdup(buf_str(&name));
	}
	free(prev);
	buf_release(&name);
	buf_release(&id);
	return berr;
}

static int mm_scope(struct buf *o, const struct plan *p, int sc, int x, struct buf *edges, int depth, int *berrp)
{
	int berr = 0;
	while (x < p->n && p->nodes[x].scope == sc) {
		const struct plan_node *nd = &p->nodes[x];
		int next = x + 1;
		char name[32];
		snprintf(name, sizeof(name), "n%d", x);
		berr |= mm_node(o, name, nd->qid, nd->step, depth);
		berr |= mm_rollback(o, name, p->scopes[sc].prefix, nd->step, edges, depth);
		if (nd->child_scope >= 0) {
			struct buf label = BUF_INIT(0);
			berr |= buf_addf(&label, "%s (%s)", nd->qid, nd->step->uses ? nd->step->uses : "?");
			berr |= indent(o, depth);
			berr |= buf_addf(o, "subgraph s%d [", nd->child_scope);
			berr |= mm_str(o, buf_str(&label));
			berr |= buf_adds(o, "]\n");
			next = mm_scope(o, p, nd->child_scope, x + 1, edges, depth + 1, &berr);
			berr |= indent(o, depth);
			berr |= buf_adds(o, "end\n");
			buf_release(&label);
		}
		x = next;
	}
	*berrp |= berr;
	return x;
}

static int mm_render(struct buf *o, const struct plan *p)
{
	int berr = 0;
	struct buf edges = BUF_INIT(0);
	berr |= buf_adds(o, "flowchart TD\n");
	if (p->nscopes)
		mm_scope(o, p, 0, 0, &edges, 1, &berr);
	for (int x = 0; x < p->n; x++) {
		const struct plan_node *nd = &p->nodes[x];
		for (int k = 0; k < nd->ndeps; k++)
			berr |= buf_addf(o, "  n%d --> n%d\n", nd->deps[k], x);
	}
	berr |= buf_adds(o, buf_str(&edges));
	buf_release(&edges);
	return berr;
}

int graph_render(const struct plan *p, enum graph_format f, FILE *out)
{
	int berr = 0;
	struct buf o = BUF_INIT(0);
	int rc = 0;
	switch (f) {
	case GRAPH_DOT:
		berr |= dot_render(&o, p);
		break;
	case GRAPH_MERMAID:
		berr |= mm_render(&o, p);
		break;
	default:
		BUG("unknown graph format");
	}
	if (berr || (o.len && fwrite(o.data, 1, o.len, out) != o.len))
		rc = -1;
	buf_release(&o);
	return rc;
}
