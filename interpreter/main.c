/* main.c — argv -> command table (git's commands[] pattern). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "cli/cli.h"

/* name, function, arguments (the usage line's options come from the table), summary,
 * option table (options.h), another usage line */
const struct cli_command cli_commands[] = {
	{ "validate", cmd_validate, "FILE...", "check runbooks; all errors at once", cli_validate_opts },
	{ "plan", cmd_plan, "FILE", "show the steps, their order and what they would change",
	  cli_plan_opts },
	{ "run", cmd_run, "FILE", "run a runbook", cli_run_opts },
	{ "resume", cmd_resume, "RUN-ID", "finish an interrupted run from its journal", cli_resume_opts },
	{ "rehearse", cmd_rehearse, "FILE", "run against the embedded simulator on a virtual clock",
	  cli_rehearse_opts },
	{ "sim", cmd_sim, "serve", "serve the simulated cloud for aws, kubectl and scripts",
	  cli_sim_opts, "check --scenario FILE" },
	{ "replay", cmd_replay, "TAPE [FILE]", "replay a recorded run offline and report what drifted",
	  cli_replay_opts },
	{ "drill", cmd_drill, "FILE", "a DR drill: RTO/RPO achieved against the objectives",
	  cli_drill_opts },
	{ "drills", cmd_drills, "[RUNBOOK]", "the drill register: RTO/RPO per drill, trend",
	  cli_drills_opts },
	{ "graph", cmd_graph, "FILE", "print the DAG", cli_graph_opts },
	{ "actions", cmd_actions, "[NAME]", "the catalogue of actions", cli_actions_opts },
	{ "history", cmd_history, "", "list past runs", cli_history_opts },
	{ "show", cmd_show, "RUN-ID", "report of one run", cli_show_opts },
	{ "schema", cmd_schema, "[runbook|scenario]",
	  "print the JSON Schema of a runbook or a scenario, for editors", cli_schema_opts },
	{ "completion", cmd_completion, "bash|zsh", "print a shell completion script",
	  cli_completion_opts },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: runbook COMMAND [ARGS]\n\n"
		     "A declarative runbook interpreter: validate, plan, run, rehearse and drill\n"
		     "restore procedures written in YAML.\n\ncommands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\n'runbook COMMAND --help' shows a command's options; runbook(1) and runbook(5)"
		     " say the rest.\n");
}

/* One malloc arena for every thread: glibc gives each new thread its own arena (up to
 * 8 per core), which cost ~2 MB of peak RSS in a rehearsal and saved no time
 * (BENCHMARKS.md, "peak RSS"). MALLOC_ARENA_MAX in the environment still decides. */
static void malloc_setup(void)
{
#ifdef M_ARENA_MAX
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, 1);
#endif
}

int main(int argc, char **argv)
{
	malloc_setup();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		if (argc > 2 && strcmp(name, "help") == 0) {
			for (const struct cli_command *c = cli_commands; c->name; c++)
				if (!strcmp(c->name, argv[2])) {
					char *sub[] = { argv[2], (char *)"--help", NULL };
					return c->fn(2, sub);
				}
		}
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("runbook %s\n", RUNBOOK_VERSION);
		return 0;
	}
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c->fn(argc - 1, argv + 1);

	const char *names[64];
	int n = 0;
	for (const struct cli_command *c = cli_commands; c->name && n < 64; c++)
		names[n++] = c->name;
	const char *s = diag_suggest(name, names, n);
	cli_error("unknown command '%s'%s%s%s", name, s ? " (did you mean '" : "", s ? s : "",
		  s ? "'?)" : "");
	fprintf(stderr, "run 'runbook --help' for the list of commands\n");
	return 2;
}
