/* graph.c — `runbook graph FILE [--format dot|mermaid]`: the plan's DAG for Graphviz
 * or Mermaid (report/graph.c). The runbook must be valid. Exit 0, or 2 on invalid
 * input or usage. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "../report/graph.h"

static const char usage[] =
	"Validate FILE and print its DAG: one node per step (id and action or kind), an edge\n"
	"from each step to the steps that wait for it, the steps of a 'uses:' runbook in a\n"
	"cluster (dot) or subgraph (mermaid), and rollback steps on dashed edges from the\n"
	"step they undo. Default format: dot (render with 'dot -Tsvg').\n"
	"\n";

const struct cli_opt cli_graph_opts[] = {
	{ "format", 0, "dot|mermaid", NULL, 'F', "output format (default dot)" },
	{ "state-dir", 0, "DIR", NULL, 'd', NULL },   /* accepted, unused */
	CLI_OPT_END,
};

static const char usage_tail[] =
	"\nExit status: 0, or 2 on invalid input or usage.\n";

int cmd_graph(int argc, char **argv)
{
	const char *file = NULL, *fmt_name = "dot";
	enum graph_format fmt;
	struct diag_list dl = { 0 };
	struct cli_loaded l;
	int rc = 2;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		switch (cli_opt_match(cli_graph_opts, argc, argv, &i, &v)) {
		case 'h':
			cli_help(stdout, usage, cli_graph_opts, usage_tail);
			return 0;
		case '?': return cli_usage("graph");
		case 'F': fmt_name = v; continue;
		case 'd': continue;
		}
		if (a[0] == '-' && a[1]) {
			cli_error("graph: unknown option '%s'", a);
			return cli_usage("graph");
		} else if (file) {
			cli_error("graph: one FILE at a time");
			return cli_usage("graph");
		} else {
			file = a;
		}
	}
	if (!file)
		return cli_usage("graph");
	if (graph_format_parse(fmt_name, &fmt) < 0) {
		cli_error("graph: unknown format '%s' (dot or mermaid)", fmt_name);
		return cli_usage("graph");
	}
	if (cli_load(file, &l, &dl) < 0 || dl.nerrors) {
		cli_print_diags(&dl);
		goto out;
	}
	if (graph_render(&l.plan, fmt, stdout) < 0 || fflush(stdout)) {
		cli_error("graph: cannot write the graph");
		rc = 1;
		goto out;
	}
	rc = 0;
out:
	cli_unload(&l);
	diag_list_release(&dl);
	return rc;
}
