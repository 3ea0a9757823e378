/* resume.c — `runbook resume RUN-ID`: finish an interrupted run from its journal. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../modules/registry.h"
#include "../engine/engine.h"
#include "../state/state.h"

static const char help[] =
	"Continue an interrupted run (killed, crashed, or stopped with a second Ctrl-C) from\n"
	"DIR/runs/RUN-ID/. Completed steps are not run again. A step that was running when\n"
	"the run stopped runs again only if no call reached its action or the action is\n"
	"idempotent. A call that may still be landing is never sent again: if its effect can\n"
	"be checked it is checked until it appears (up to --settle); otherwise you are asked\n"
	"on the terminal, and without one the resume refuses unless --rerun STEP says to run\n"
	"it again or --done STEP says it took effect. Rollback steps follow the same rules.\n\n"
	"A run belongs to the process running it (it holds the lock run:RUN-ID while it\n"
	"lives): resuming a live run is refused, naming its host and pid (exit 6). A run\n"
	"started on another host is continued here only with --take-over, once its owner\n"
	"is gone. The runbook's lock: is taken again as by run.\n\n"
	;

const struct cli_opt cli_resume_opts[] = {
	{ "param", 'p', "K=V", NULL, 'p',
	  "give a param again; K@FILE: the value is FILE's content\n"
	  "(secret params are never stored: give them again)", CLI_OPT_MANY },
	{ "yes", 0, NULL, NULL, 'y',
	  "approve every confirmation" },
	{ "approve", 0, "STEP", NULL, 'a',
	  "approve the confirmation STEP in advance (repeatable)", CLI_OPT_MANY },
	{ "rerun", 0, "STEP", NULL, 'R',
	  "run STEP again although it may have taken effect (repeatable)", CLI_OPT_MANY },
	{ "done", 0, "STEP", NULL, 'D',
	  "you checked that STEP took effect: it counts as succeeded\n"
	  "(without outputs) and does not run again (repeatable)", CLI_OPT_MANY },
	{ "settle", 0, "DURATION", NULL, 'S',
	  "how long to wait for the effect of a call that was in flight\n"
	  "to appear before asking (default 2m)" },
	{ "max-parallel", 0, "N", NULL, 'm',
	  "run at most N actions at once (default: as the run did)" },
	{ "no-rollback", 0, NULL, NULL, 'n',
	  "on failure, leave everything as it is" },
	{ "state-dir", 0, "DIR", NULL, 'd',
	  "the state store: a folder, or a postgresql:// URI (default\n$RUNBOOK_STATE_DIR or ./.runbook)" },
	{ "take-over", 0, NULL, NULL, 'T',
	  "continue a run started on another host whose process is gone\n"
	  "(refused while it still holds the run)" },
	{ "wait-lock", 0, "DURATION", NULL, 'W',
	  "when another run holds the runbook's lock:, wait for it up to\nDURATION instead of exiting 6" },
	{ "output", 0, "FORMAT", "text|json", 'o',
	  "text (default) or json" },
	{ "record", 0, "TAPE", NULL, 'r',
	  "record the calls on TAPE: the run's own tape (appended) or a\n"
	  "new file (runbook-tape(5))" },
	{ NULL, 'y', NULL, NULL, 'y', NULL },   /* hidden short */
	CLI_OPT_COLOR,
	CLI_OPT_END,
};

static const char help_tail[] =
	"\n"
	"Secret params: -p K@FILE reads the value from FILE; RUNBOOK_PARAM_K (K in upper case)\n"
	"in the environment gives it too; a terminal prompts (without echo) for a required one\n"
	"still missing. With -p K=V every user of the machine sees it (ps): runbook warns.\n\n"
	"exit: as run's; 2 also when the run was started on another host (use --take-over),\n"
	"      6 when its owner still runs it or another run holds the runbook's lock\n";

int cmd_resume(int argc, char **argv)
{
	const char *state_opt = NULL, *output = "text", *record = NULL;
	int yes = 0, max_parallel = 0, no_rollback = 0, c, rc = EXIT_INVALID;
	const char **approve = xcalloc((size_t)argc + 1, sizeof(*approve));
	const char **rerun = xcalloc((size_t)argc + 1, sizeof(*rerun));
	const char **done = xcalloc((size_t)argc + 1, sizeof(*done));
	int napprove = 0, nrerun = 0, ndone = 0;
	int64_t settle_ms = 0, wait_lock = 0;
	int take_over = 0;
	struct state *st = NULL;
	jv raw = jv_object();
	struct diag_list dl = { 0 };
	struct engine_resumable res;
	struct cli_setup su = CLI_SETUP_INIT;
	int opened = 0, mode;
	char *run_id = NULL;
	enum cli_color color = CLI_COLOR_AUTO;

	optind = 1;
	while ((c = cli_opt_next(cli_resume_opts, argc, argv)) != -1) {
		switch (c) {
		case 'p':
			if (cli_param_add(&raw, optarg) < 0)
				goto out;
			break;
		case 'y': yes = 1; break;
		case 'a': approve[napprove++] = optarg; break;
		case 'R': rerun[nrerun++] = optarg; break;
		case 'D': done[ndone++] = optarg; break;
		case 'S':
			if (dur_parse(optarg, &settle_ms) < 0 || settle_ms <= 0) {
				cli_error("--settle wants a duration such as 90s or 2m, not '%s'", optarg);
				goto out;
			}
			break;
		case 'm':
			max_parallel = atoi(optarg);
			if (max_parallel < 1) {
				cli_error("--max-parallel wants a positive number, not '%s'", optarg);
				goto out;
			}
			break;
		case 'n': no_rollback = 1; break;
		case 'd': state_opt = optarg; break;
		case 'T': take_over = 1; break;
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
			cli_help(stdout, help, cli_resume_opts, help_tail);
			rc = 0;
			goto out;
		default:
			cli_help(stderr, help, cli_resume_opts, help_tail);
			goto out;
		}
	}
	if (optind != argc - 1) {
		cli_error("resume needs one RUN-ID ('runbook history' lists them)");
		cli_help(stderr, help, cli_resume_opts, help_tail);
		goto out;
	}
	if (cli_output_mode(output, 0, &mode) < 0)
		goto out;
	if (run_id_check(argv[optind]) < 0) {
		cli_error("invalid RUN-ID '%s': a run id names a run in '%s' ('runbook history' lists them)",
			  argv[optind], cli_state_dir(state_opt));
		goto out;
	}
	if (!(st = cli_state_open(state_opt)))
		goto out;
	if (registry_init() < 0) {
		cli_error("cannot initialise the action modules");
		goto out;
	}
	/* the engine reads the run from the store; the runbook it names is loaded here,
	 * like run's */
	opened = 1;
	if (engine_resume_open(st, argv[optind], &res, &dl) < 0)
		goto out;
	if (cli_setup_load(&su, res.runbook, &dl) < 0)
		goto out;
	/* the recorded params (no secrets) with the ones given again over them */
	if (cli_setup_params(&su, jv_object_merge(jv_copy(res.params), jv_copy(raw)), &dl) < 0) {
		if (dl.nerrors)
			diag_note(&dl, NULL, "secret params are not kept in the run directory: give them again with -p");
		goto out;
	}
	struct cli_run a = {
		.params = su.params,
		.approve = approve,
		.yes = yes,
		.max_parallel = max_parallel,
		.no_rollback = no_rollback,
		.state = st,
		.lock_wait_ms = wait_lock,
		.take_over = take_over,
		.record = record,
		.redact = su.redact,
		.mode = mode,
		.color = color,
		.resume = &res,
		.rerun = rerun,
		.assume_done = done,
		.settle_ms = settle_ms,
	};
	rc = cli_run_engine(&su.ld, &a, &run_id, &dl);
out:
	if (dl.n)
		cli_print_diags(&dl);
	if (opened)
		engine_resumable_release(&res);
	cli_setup_release(&su);
	state_close(st);
	free(run_id);
	free(approve);
	free(rerun);
	free(done);
	jv_free(raw);
	diag_list_release(&dl);
	return rc;
}
