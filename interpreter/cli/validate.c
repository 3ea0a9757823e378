/* validate.c — `runbook validate FILE...`: load, plan and compile each file; print
 * every diagnostic; exit 2 if any file has an error. Nothing runs. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char usage[] =
	"Check runbooks without running anything: YAML syntax, keys and types, step ids,\n"
	"needs and cycles, step references, actions and their 'with:' arguments, params,\n"
	"durations, timestamps and every jq expression (also in the runbooks they use).\n"
	"Prints every error as FILE:LINE:COL with the source line, and 'FILE: ok' on\n"
	"stdout for each valid file. Exit status: 0 all valid, 2 any error.\n";

const struct cli_opt cli_validate_opts[] = { CLI_OPT_END };

int cmd_validate(int argc, char **argv)
{
	int nfiles = 0, bad = 0, dashdash = 0;
	for (int i = 1; i < argc; i++) {
		if (!dashdash && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
			cli_help(stdout, usage, cli_validate_opts, "");
			return 0;
		}
		if (!dashdash && !strcmp(argv[i], "--")) {
			dashdash = 1;
			continue;
		}
		if (!dashdash && argv[i][0] == '-' && argv[i][1]) {
			cli_error("validate: unknown option '%s'", argv[i]);
			return cli_usage("validate");
		}
		nfiles++;
	}
	if (!nfiles)
		return cli_usage("validate");
	dashdash = 0;
	for (int i = 1; i < argc; i++) {
		if (!dashdash && !strcmp(argv[i], "--")) {
			dashdash = 1;
			continue;
		}
		struct diag_list dl = { 0 };
		struct cli_loaded l;
		int rc = cli_load(argv[i], &l, &dl);
		cli_print_diags(&dl);
		if (rc < 0 || dl.nerrors)
			bad = 1;
		else
			printf("%s: ok\n", argv[i]);
		fflush(stdout);
		cli_unload(&l);
		diag_list_release(&dl);
	}
	return bad ? 2 : 0;
}
