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
static void step_what(struct buf *o, const struct rb_step *s)
{
	switch (s->kind) {
	case STEP_ACTION:
		buf_adds(o, s->action ? s->action : "action");
		break;
	case STEP_WAIT:
		buf_addf(o, "wait: %s", s->wait.action ? s->wait.action : "?");
		break;
	case STEP_USES:
		buf_addf(o, "uses: %s", s->uses ? s->uses : "?");
		break;
	default:
		buf_adds(o, step_kind_name(s->kind));
		break;
	}
}

/* ---- dot ---- */

static void dot_str(struct buf *o, const char *s)
{
	buf_addc(o, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(o, '\\');
		if (*s == '\n') {
			buf_adds(o, "\\n");
			continue;
		}
		buf_addc(o, *s);
	}
	buf_addc(o, '"');
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

static void dot_label(struct buf *o, const char *id, const struct rb_step *s)
{
	struct buf l = BUF_INIT(0);
	buf_adds(&l, id);
	buf_addc(&l, '\n');
	step_what(&l, s);
	dot_str(o, buf_str(&l));
	buf_release(&l);
}

static void indent(struct buf *o, int depth)
{
	for (int i = 0; i < depth; i++)
		buf_adds(o, "  ");
}

/* rollback steps of s (owner node id `owner`), chained with dashed edges */
static void dot_rollback(struct buf *o, const char *owner, const char *prefix,
			 const struct rb_step *s, int depth)
{
	const char *prev = owner;
	struct buf ids = BUF_INIT(0);
	char **names = s->nrollback ? xcalloc((size_t)s->nrollback, sizeof(char *)) : NULL;
	for (int i = 0; i < s->nrollback; i++) {
		const struct rb_step *r = &s->rollback[i];
		buf_reset(&ids);
		buf_addf(&ids, "%s%s", prefix, r->id);
		names[i] = buf_detach(&ids);
		indent(o, depth);
		dot_str(o, names[i]);
		buf_adds(o, " [label=");
		dot_label(o, names[i], r);
		buf_addf(o, ", %s, color=gray40, fontcolor=gray40];\n", "shape=box, style=dashed");
		indent(o, depth);
		dot_str(o, prev);
		buf_adds(o, " -> ");
		dot_str(o, names[i]);
		buf_adds(o, i ? " [style=dashed, color=gray40];\n" :
				 " [style=dashed, color=gray40, label=\"rollback\"];\n");
		dot_rollback(o, names[i], prefix, r, depth);
		prev = names[i];
	}
	for (int i = 0; i < s->nrollback; i++)
		free(names[i]);
	free(names);
	buf_release(&ids);
}

/* a scope's nodes are contiguous in document order, each uses node followed by its
 * child's; returns the first node past the scope */
static int dot_scope(struct buf *o, const struct plan *p, int sc, int x, int depth)
{
	while (x < p->n && p->nodes[x].scope == sc) {
		const struct plan_node *nd = &p->nodes[x];
		int next = x + 1;
		indent(o, depth);
		dot_str(o, nd->qid);
		buf_adds(o, " [label=");
		dot_label(o, nd->qid, nd->step);
		buf_addf(o, ", %s];\n", dot_shape(nd->step->kind));
		dot_rollback(o, nd->qid, p->scopes[sc].prefix, nd->step, depth);
		if (nd->child_scope >= 0) {
			struct buf name = BUF_INIT(0);
			buf_addf(&name, "cluster_%s", nd->qid);
			indent(o, depth);
			buf_adds(o, "subgraph ");
			dot_str(o, buf_str(&name));
			buf_adds(o, " {\n");
			indent(o, depth + 1);
			buf_adds(o, "label=");
			buf_reset(&name);
			buf_addf(&name, "%s (%s)", nd->qid, nd->step->uses ? nd->step->uses : "?");
			dot_str(o, buf_str(&name));
			buf_adds(o, ";\n");
			indent(o, depth + 1);
			buf_adds(o, "style=rounded;\n");
			next = dot_scope(o, p, nd->child_scope, x + 1, depth + 1);
			indent(o, depth);
			buf_adds(o, "}\n");
			buf_release(&name);
		}
		x = next;
	}
	return x;
}

static void dot_render(struct buf *o, const struct plan *p)
{
	buf_adds(o, "digraph ");
	dot_str(o, p->rb && p->rb->name ? p->rb->name : "runbook");
	buf_adds(o, " {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
		    "  edge [fontname=\"Helvetica\", fontsize=9];\n");
	if (p->nscopes)
		dot_scope(o, p, 0, 0, 1);
	for (int x = 0; x < p->n; x++) {
		const struct plan_node *nd = &p->nodes[x];
		for (int k = 0; k < nd->ndeps; k++) {
			buf_adds(o, "  ");
			dot_str(o, p->nodes[nd->deps[k]].qid);
			buf_adds(o, " -> ");
			dot_str(o, nd->qid);
			buf_adds(o, ";\n");
		}
	}
	buf_adds(o, "}\n");
}

/* ---- mermaid ---- */

static void mm_str(struct buf *o, const char *s)
{
	buf_addc(o, '"');
	for (; *s; s++) {
		switch (*s) {
		case '"': buf_adds(o, "#quot;"); break;
		case '<': buf_adds(o, "#lt;"); break;
		case '>': buf_adds(o, "#gt;"); break;
		case '\n': buf_adds(o, "<br/>"); break;
		default: buf_addc(o, *s); break;
		}
	}
	buf_addc(o, '"');
}

static void mm_node(struct buf *o, const char *name, const char *id, const struct rb_step *s, int depth)
{
	static const char *const open[STEP_KIND__N] = {
		[STEP_ACTION] = "[", [STEP_WAIT] = "([", [STEP_CONFIRM] = "{{",
		[STEP_ASSERT] = "{", [STEP_USES] = "[[",
	};
	static const char *const close[STEP_KIND__N] = {
		[STEP_ACTION] = "]", [STEP_WAIT] = "])", [STEP_CONFIRM] = "}}",
		[STEP_ASSERT] = "}", [STEP_USES] = "]]",
	};
	struct buf l = BUF_INIT(0);
	buf_adds(&l, id);
	buf_addc(&l, '\n');
	step_what(&l, s);
	indent(o, depth);
	buf_addf(o, "%s%s", name, open[s->kind]);
	mm_str(o, buf_str(&l));
	buf_addf(o, "%s\n", close[s->kind]);
	buf_release(&l);
}

static void mm_rollback(struct buf *o, const char *owner, const char *prefix,
			const struct rb_step *s, struct buf *edges, int depth)
{
	struct buf name = BUF_INIT(0), id = BUF_INIT(0);
	char *prev = xstrdup(owner);
	for (int i = 0; i < s->nrollback; i++) {
		const struct rb_step *r = &s->rollback[i];
		buf_reset(&name);
		buf_addf(&name, "%s_r%d", owner, i + 1);
		buf_reset(&id);
		buf_addf(&id, "%s%s", prefix, r->id);
		mm_node(o, buf_str(&name), buf_str(&id), r, depth);
		buf_addf(edges, "  %s -. %s .-> %s\n", prev, i ? "then" : "rollback", buf_str(&name));
		mm_rollback(o, buf_str(&name), prefix, r, edges, depth);
		free(prev);
		prev = xstrdup(buf_str(&name));
	}
	free(prev);
	buf_release(&name);
	buf_release(&id);
}

static int mm_scope(struct buf *o, const struct plan *p, int sc, int x, struct buf *edges, int depth)
{
	while (x < p->n && p->nodes[x].scope == sc) {
		const struct plan_node *nd = &p->nodes[x];
		int next = x + 1;
		char name[32];
		snprintf(name, sizeof(name), "n%d", x);
		mm_node(o, name, nd->qid, nd->step, depth);
		mm_rollback(o, name, p->scopes[sc].prefix, nd->step, edges, depth);
		if (nd->child_scope >= 0) {
			struct buf label = BUF_INIT(0);
			buf_addf(&label, "%s (%s)", nd->qid, nd->step->uses ? nd->step->uses : "?");
			indent(o, depth);
			buf_addf(o, "subgraph s%d [", nd->child_scope);
			mm_str(o, buf_str(&label));
			buf_adds(o, "]\n");
			next = mm_scope(o, p, nd->child_scope, x + 1, edges, depth + 1);
			indent(o, depth);
			buf_adds(o, "end\n");
			buf_release(&label);
		}
		x = next;
	}
	return x;
}

static void mm_render(struct buf *o, const struct plan *p)
{
	struct buf edges = BUF_INIT(0);
	buf_adds(o, "flowchart TD\n");
	if (p->nscopes)
		mm_scope(o, p, 0, 0, &edges, 1);
	for (int x = 0; x < p->n; x++) {
		const struct plan_node *nd = &p->nodes[x];
		for (int k = 0; k < nd->ndeps; k++)
			buf_addf(o, "  n%d --> n%d\n", nd->deps[k], x);
	}
	buf_adds(o, buf_str(&edges));
	buf_release(&edges);
}

int graph_render(const struct plan *p, enum graph_format f, FILE *out)
{
	struct buf o = BUF_INIT(0);
	int rc = 0;
	switch (f) {
	case GRAPH_DOT:
		dot_render(&o, p);
		break;
	case GRAPH_MERMAID:
		mm_render(&o, p);
		break;
	default:
		BUG("unknown graph format");
	}
	if (o.len && fwrite(o.data, 1, o.len, out) != o.len)
		rc = -1;
	buf_release(&o);
	return rc;
}
