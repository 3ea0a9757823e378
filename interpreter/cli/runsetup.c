/* runsetup.c — what every command that runs a runbook (run, resume, rehearse, drill)
 * sets up the same way: --output, the runbook loaded, the redactor and the params, and
 * the real run on the engine with the display and the terminal's answers. */
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "display.h"
#include "prompt.h"
#include "../core/bug.h"
#include "../core/clock.h"
#include "../core/redact.h"
#include "../engine/engine.h"

int cli_output_mode(const char *output, int json_only, int *mode)
{
	enum display_mode m;
	if (!strcmp(output, "text"))
		m = DISPLAY_AUTO;
	else if (display_mode_parse(output, &m) < 0 || (json_only && m != DISPLAY_JSON)) {
		cli_error("unknown --output '%s' (text or json)", output);
		return -1;
	}
	*mode = m;
	return 0;
}

int cli_color_parse(const char *when, enum cli_color *color)
{
	static const struct { const char *name; enum cli_color color; } words[] = {
		{ "auto", CLI_COLOR_AUTO }, { "always", CLI_COLOR_ALWAYS }, { "never", CLI_COLOR_NEVER },
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(when, words[i].name)) {
			*color = words[i].color;
			return 0;
		}
	cli_error("unknown --color '%s' (auto, always or never)", when);
	return -1;
}

int cli_color_sink(enum cli_color color)
{
	return color == CLI_COLOR_ALWAYS ? 1 : color == CLI_COLOR_NEVER ? 0 : -1;
}

int cli_setup_load(struct cli_setup *s, const char *file, struct diag_list *dl)
{
	s->loaded = 1;
	return cli_load(file, &s->ld, dl);
}

int cli_setup_params(struct cli_setup *s, jv raw, struct diag_list *dl)
{
	if (!s->redact)
		s->redact = cli_redactor_new();
	if (cli_params_secret(&raw, s->ld.rb, CLI_SECRET_WARN | CLI_SECRET_PROMPT) < 0) {
		jv_free(raw);
		return -1;
	}
	jv_free(s->params);
	s->params = params_resolve(s->ld.rb, raw, s->redact, dl);
	return jv_is_valid(s->params) ? 0 : -1;
}

void cli_setup_release(struct cli_setup *s)
{
	jv_free(s->params);
	s->params = jv_invalid();
	if (s->loaded)
		cli_unload(&s->ld);
	s->loaded = 0;
	redact_free(s->redact);
	s->redact = NULL;
}

int cli_run_engine(const struct cli_loaded *ld, const struct cli_run *a, char **run_id, struct diag_list *dl)
{
	struct rb_clock *clock = clock_new(CLOCK_REAL, 0, 0);
	struct cli_prompt prompt;
	int rc;
	/* the ETA its waits show: the last real run's durations (not for a resume) */
	jv last = a->dry_run || a->resume ? jv_null() : cli_last_durations(a->state, ld->rb->path, 0);
	struct engine_opts o = {
		.params = a->params,
		.connections = jv_null(),
		.dry_run = a->dry_run,
		.yes = a->yes,
		.approve = a->approve,
		.rerun = a->rerun,
		.assume_done = a->assume_done,
		.settle_ms = a->settle_ms,
		.max_parallel = a->max_parallel,
		.no_rollback = a->no_rollback,
		.state = a->state,
		.lock_wait_ms = a->lock_wait_ms,
		.take_over = a->take_over,
		.record_path = a->record,
		.clock = clock,
		.redact = a->redact,
		.last_durations = last,
		.diags = dl,
	};
	o.sink = display_sink_new(stdout, (enum display_mode)a->mode, cli_color_sink(a->color));
	o.io = cli_prompt_io(&prompt, &o.sink);
	engine_install_signals();
	if (a->resume) {
		rc = engine_resume(&ld->plan, a->resume, &o, dl);
		/* nothing ran when the resume refused: the report stays as it was */
		*run_id = rc != EXIT_INVALID && rc != EXIT_LOCKED ? xstrdup(a->resume->run_id) : NULL;
	} else {
		rc = engine_run(&ld->plan, &o, run_id);
	}
	display_sink_free(&o.sink);
	if (*run_id)
		cli_write_run_reports(o.state, *run_id);
	clock_free(clock);
	jv_free(last);
	return rc;
}
