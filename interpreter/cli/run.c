/* run.c — `runbook run FILE`: load, check, resolve params, run with the engine. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "display.h"
#include "../core/bug.h"
#include "../engine/engine.h"
#include "../state/state.h"

static const char help[] =
	"Validate FILE, then run it: independent steps in parallel, confirmations on the\n"
	"terminal, rollback of completed steps when one fails, a journal in\n"
	"DIR/runs/RUN-ID/ that `runbook resume` continues from.\n\n"
	;

const struct cli_opt cli_run_opts[] = {
	{ "param", 'p', "K=V", NULL, 'p',
	  "set a param (repeatable); K@FILE: the value is FILE's content", CLI_OPT_MANY },
	{ "params-file", 0, "F", NULL, 'f', "params from a YAML or JSON map (-p wins)" },
	{ "dry-run", 0, NULL, NULL, 'D',
	  "run read-only actions; describe every change instead of making it" },
	{ "yes", 0, NULL, NULL, 'y', "approve every confirmation" },
	{ NULL, 'y', NULL, NULL, 'y', NULL },
	{ "approve", 0, "STEP", NULL, 'a', "approve the confirmation STEP in advance (repeatable)", CLI_OPT_MANY },
	{ "max-parallel", 0, "N", NULL, 'm', "run at most N actions at once (default 4)" },
	{ "no-rollback", 0, NULL, NULL, 'n', "on failure, leave everything as it is for investigation" },
	{ "state-dir", 0, "DIR", NULL, 'd',
	  "the state store: a folder, or a postgresql:// URI (default\n$RUNBOOK_STATE_DIR or ./.runbook)" },
	{ "wait-lock", 0, "DURATION", NULL, 'W',
	  "when another run holds the runbook's lock:, wait for it up to\nDURATION (30s, 5m) instead of exiting 6" },
	{ "output", 0, "FORMAT", "text|json", 'o', "text (default) or json (one event per line)" },
	{ "record", 0, "TAPE", NULL, 'r', "record every action call and its answer to TAPE, a new file\n"
	  "(secrets as placeholders; runbook-tape(5)) for `runbook replay`" },
	CLI_OPT_COLOR,
	CLI_OPT_END,
};

static const char help_tail[] =
	"\n"
	"Secret params: -p K@FILE reads the value from FILE; RUNBOOK_PARAM_K (K in upper case)\n"
	"in the environment gives it too; a terminal prompts (without echo) for a required one\n"
	"still missing. With -p K=V every user of the machine sees it (ps): runbook warns.\n"
	"\n"
	"Ctrl-C once aborts and rolls back; Ctrl-C twice, SIGTERM or SIGHUP stop at once\n"
	"(running programs are stopped) and leave the run for `runbook resume`.\n\n"
	"A runbook with lock: holds that key for the whole run (dry runs take none): a second\n"
	"run of it exits 6, naming the run that holds it, its host and pid; nothing runs.\n\n"
	"exit: 0 succeeded, 1 failed (rolled back), 2 invalid input, 3 rollback incomplete\n"
	"      or stopped at once (resumable), 4 declined or aborted (rolled back),\n"
	"      6 not started: the runbook's lock is held by another run\n";

/* parse --max-parallel: a positive integer */
static int parse_parallel(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 1 || v > 1024)
		return -1;
	*out = (int)v;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	const char *state_opt = NULL, *output = "text", *record = NULL;
	int dry_run = 0, yes = 0, max_parallel = 0, no_rollback = 0, c, rc = EXIT_INVALID;
	int64_t wait_lock = 0;
	struct state *st = NULL;
	const char **approve = xcalloc((size_t)argc + 1, sizeof(*approve));
	int napprove = 0, mode;
	jv raw = jv_object();
	struct diag_list dl = { 0 };
	struct cli_setup su = CLI_SETUP_INIT;
	char *run_id = NULL;
	enum cli_color color = CLI_COLOR_AUTO;

	optind = 1;
	while ((c = cli_opt_next(cli_run_opts, argc, argv)) != -1) {
		switch (c) {
		case 'p':
			if (cli_param_add(&raw, optarg) < 0)
				goto out;
			break;
		case 'f':
			if (cli_params_file(&raw, optarg, &dl) < 0) {
				cli_print_diags(&dl);
				goto out;
			}
			break;
		case 'D': dry_run = 1; break;
		case 'y': yes = 1; break;
		case 'a': approve[napprove++] = optarg; break;
		case 'm':
			if (parse_parallel(optarg, &max_parallel) < 0) {
				cli_error("--max-parallel wants a positive number, not '%s'", optarg);
				goto out;
			}
			break;
		case 'n': no_rollback = 1; break;
		case 'd': state_opt = optarg; break;
		case 'W':
			if (cli_duration_opt("--wait-lock", optarg, &wait_lock) < 0)
				goto out;
			break;
		case 'o': output = optarg; break;
		case CLI_O_COLOR:
			if (cli_color_parse(optarg, &color) < 0)
				goto out;
			break;
		case 'r': record = optarg; break;
		case 'h':
			cli_help(stdout, help, cli_run_opts, help_tail);
			rc = 0;
			goto out;
		default:
			cli_help(stderr, help, cli_run_opts, help_tail);
			goto out;
		}
	}
	if (optind != argc - 1) {
		cli_error(optind >= argc ? "run needs a runbook FILE" : "run takes one runbook FILE");
		cli_help(stderr, help, cli_run_opts, help_tail);
		goto out;
	}
	if (cli_output_mode(output, 0, &mode) < 0)
		goto out;
	if (cli_setup_load(&su, argv[optind], &dl) < 0) {
		cli_print_diags(&dl);
		goto out;
	}
	for (int i = 0; i < napprove; i++) {
		int n = plan_find(&su.ld.plan, approve[i]);
		if (n < 0) {
			cli_error("--approve names unknown step '%s'", approve[i]);
			goto out;
		}
		if (su.ld.plan.nodes[n].step->kind != STEP_CONFIRM) {
			cli_error("--approve names step '%s', which is not a confirmation (it is a%s %s step)",
				  approve[i], su.ld.plan.nodes[n].step->kind == STEP_ACTION || su.ld.plan.nodes[n].step->kind ==
				  STEP_ASSERT ? "n" : "", step_kind_name(su.ld.plan.nodes[n].step->kind));
			goto out;
		}
	}
	if (cli_setup_params(&su, jv_copy(raw), &dl) < 0) {
		cli_print_diags(&dl);
		goto out;
	}
	if (!(st = cli_state_open(state_opt)))
		goto out;
	struct cli_run a = {
		.params = su.params,
		.approve = approve,
		.dry_run = dry_run,
		.yes = yes,
		.max_parallel = max_parallel,
		.no_rollback = no_rollback,
		.state = st,
		.lock_wait_ms = wait_lock,
		.record = record,
		.redact = su.redact,
		.mode = mode,
		.color = color,
	};
	rc = cli_run_engine(&su.ld, &a, &run_id, &dl);
	if (dl.n)
		cli_print_diags(&dl);
	if (run_id && mode != DISPLAY_JSON && rc != EXIT_OK && rc != EXIT_INVALID && rc != EXIT_LOCKED)
		fprintf(stderr, "runbook: run %s: see 'runbook show %s'%s\n", run_id, run_id,
			rc == EXIT_ROLLBACK_FAILED ? "; 'runbook resume' continues it" : "");
out:
	state_close(st);
	free(run_id);
	free(approve);
	jv_free(raw);
	cli_setup_release(&su);
	diag_list_release(&dl);
	return rc;
}
