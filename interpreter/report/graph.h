/* graph.h — a plan as a graph: Graphviz dot or Mermaid flowchart.
 *
 * Nodes are labelled with their id and their action (or kind); edges go from a step
 * to the steps waiting for it; the steps of a `uses:` runbook are a cluster (dot) or a
 * subgraph (mermaid); rollback steps hang off their owner with dashed edges.
 * Output is deterministic: nodes in document order, edges in order of their target.
 */
#ifndef RB_GRAPH_H
#define RB_GRAPH_H
#include <stdio.h>
#include "../plan/plan.h"

#define GRAPH_FORMATS(X) \
	X(GRAPH_DOT,     "dot")     \
	X(GRAPH_MERMAID, "mermaid")
#define X(e, s) e,
enum graph_format { GRAPH_FORMATS(X) GRAPH_FORMAT__N };
#undef X

/* 0 and *f set, or -1 for an unknown name */
int graph_format_parse(const char *name, enum graph_format *f);
/* write the graph; 0, or -1 on a write error */
int graph_render(const struct plan *p, enum graph_format f, FILE *out);
#endif
