/* cli.h — subcommands (git's commands[] pattern) and what they share.
 *
 * main.c holds the table; each subcommand lives in its own file as
 *   int cmd_NAME(int argc, char **argv);   argv[0] is the subcommand name
 * and returns the process exit code (DESIGN.md: 0 ok, 1 failed, 2 invalid input or
 * usage, 3 rollback incomplete, 4 declined/aborted). Only cli/ exits.
 */
#ifndef RB_CLI_H
#define RB_CLI_H
#include <stdio.h>
#include <jv.h>
#include "../core/diag.h"
#include "../lang/model.h"
#include "../plan/plan.h"
#include "options.h"

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;        /* its arguments in the usage line ("FILE", "RUN-ID"); the
				  * options follow, from opts (options.h: cli_usage_lines) */
	const char *summary;
	const struct cli_opt *opts;   /* its options (options.h) */
	const char *more;        /* another usage line, after "runbook NAME " (sim check) */
};
extern const struct cli_command cli_commands[];

int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_rehearse(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_drill(int argc, char **argv);
int cmd_drills(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_actions(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_completion(int argc, char **argv);

/* each command's option table (options.h), in its own file */
extern const struct cli_opt cli_run_opts[], cli_resume_opts[], cli_rehearse_opts[],
	cli_sim_opts[], cli_replay_opts[], cli_drill_opts[], cli_drills_opts[],
	cli_history_opts[], cli_show_opts[], cli_plan_opts[], cli_graph_opts[],
	cli_actions_opts[], cli_schema_opts[], cli_completion_opts[], cli_validate_opts[];

/* "runbook: " + message on stderr */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* usage error for a subcommand: prints its usage line, returns 2 */
int cli_usage(const char *cmd);
/* 1 if diagnostics/colors should be colored on this stream (isatty, NO_COLOR unset or
 * empty, TERM not "dumb") */
int cli_color(FILE *f);

/* --state-dir DIR, else RUNBOOK_STATE_DIR, else ./.runbook */
const char *cli_state_dir(const char *opt);
/* the command's state store (state/state.h), opened from cli_state_dir(opt): a folder or
 * a postgresql:// URI. NULL once the error is printed (exit 2). One per command,
 * state_close() it at the end. */
struct state;
struct state *cli_state_open(const char *opt);
/* a local folder for scratch files beside the runs (a rehearsal's kubeconfig and
 * sandbox): the store's folder, or ./.runbook when the store is not a folder */
const char *cli_scratch_dir(struct state *st);
/* where `uses:` looks: RUNBOOK_PATH (colon-separated), the source tree's and the
 * installed stdlib's parent folders; NULL-terminated, static */
const char **cli_search_path(void);

/* A loaded runbook with its plan, ready to run. */
struct cli_loaded {
	struct rb_loader loader;
	struct runbook *rb;
	struct plan plan;
	int have_plan;
};
/* load FILE, build the plan, compile every expression; all diagnostics go to dl.
 * 0 ok, -1 errors (dl holds them). Always call cli_unload. */
int cli_load(const char *path, struct cli_loaded *out, struct diag_list *dl);
void cli_unload(struct cli_loaded *l);
/* print diagnostics to stderr (sorted, colored if a tty) */
void cli_print_diags(struct diag_list *dl);

/* runsetup.c: what run, resume, rehearse and drill set up the same way.
 * --output FORMAT: "text" (DISPLAY_AUTO) or a display mode name (json_only: text or
 * json only) into *mode (an enum display_mode); -1 with the message printed. */
int cli_output_mode(const char *output, int json_only, int *mode);
/* --color WHEN: auto (a terminal, NO_COLOR unset or empty, TERM not "dumb"), always,
 * never. cli_color_parse: -1 with the message printed for another word. cli_color_sink:
 * the color argument of display_sink_new (-1 decide, 1, 0). CLI_OPT_COLOR: the
 * option's line in a command's table (its id is CLI_O_COLOR). */
enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };
int cli_color_parse(const char *when, enum cli_color *color);
int cli_color_sink(enum cli_color color);
enum { CLI_O_COLOR = 0x4000 };
#define CLI_OPT_COLOR { "color", 0, "WHEN", "auto|always|never", CLI_O_COLOR, \
	"colors: auto (default: a terminal, NO_COLOR unset,\n" \
	"TERM not dumb), always or never" }
/* The runbook loaded (cli_load), then its params: the redactor (cli_redactor_new, made
 * the current one), the secret params (cli_params_secret, warning and prompting), the
 * params resolved (raw consumed). 0 / -1 (dl holds the errors; not printed). Always
 * cli_setup_release a struct set up with CLI_SETUP_INIT. */
struct redactor;
struct cli_setup {
	struct cli_loaded ld;
	int loaded;
	struct redactor *redact;
	jv params;               /* typed, once cli_setup_params succeeded */
};
#define CLI_SETUP_INIT { .loaded = 0 }   /* params zeroed: jv_invalid() */
int cli_setup_load(struct cli_setup *s, const char *file, struct diag_list *dl);
int cli_setup_params(struct cli_setup *s, jv raw, struct diag_list *dl);
void cli_setup_release(struct cli_setup *s);

/* A real run of a loaded runbook (`run`, `resume`, `drill --live`): the engine on the
 * real clock, questions asked on the terminal (cli/prompt.c: when stdin and stderr are
 * one; else declined unless approved), the display on stdout, the reports written.
 * Returns the exit code (0..4); *run_id is set (malloc'd) once the run started. With
 * resume set, the interrupted run it names is resumed (engine_resume). Everything in a
 * is borrowed. */
struct engine_resumable;
struct cli_run {
	jv params;               /* typed */
	const char **approve;    /* NULL-terminated, or NULL */
	int dry_run, yes, max_parallel, no_rollback;
	struct state *state;     /* the store (cli_state_open) */
	int64_t lock_wait_ms;    /* --wait-lock, 0 = refuse at once when the runbook's lock is held */
	int take_over;           /* resume --take-over */
	const char *record;      /* --record TAPE, or NULL */
	struct redactor *redact;
	int mode;                /* enum display_mode (display.h) */
	enum cli_color color;    /* --color (zero: auto) */
	const struct engine_resumable *resume;   /* resume: the run (engine_resume_open) */
	const char **rerun, **assume_done;       /* resume: --rerun, --done; or NULL */
	int64_t settle_ms;                       /* resume: --settle, 0 = default */
};
int cli_run_engine(const struct cli_loaded *ld, const struct cli_run *a, char **run_id, struct diag_list *dl);

/* params: -p K=V (repeatable) and --params-file F (YAML or JSON map) merged into a
 * raw object (strings from -p override the file). 0 / -1 (message printed). */
int cli_param_add(jv *raw, const char *kv);
int cli_params_file(jv *raw, const char *path, struct diag_list *dl);
/* Secret params without the command line (where every user sees them): -p NAME@FILE
 * (cli_param_add: the file's content less one trailing newline), then for each secret
 * param of rb still missing: RUNBOOK_PARAM_<NAME in upper case>, then, for a required
 * one without a default, a prompt without echo when stdin is a terminal
 * (CLI_SECRET_PROMPT). CLI_SECRET_WARN: warn about a secret given as -p K=V (the
 * commands that run; `plan` only previews). 0 / -1 (no answer at the prompt). */
enum { CLI_SECRET_WARN = 1 << 0, CLI_SECRET_PROMPT = 1 << 1 };
int cli_params_secret(jv *raw, const struct runbook *rb, unsigned flags);
/* a redactor holding the credentials of the environment (RUNBOOK_PARAM_*,
 * AWS_SECRET_ACCESS_KEY, PGPASSWORD, ...), made the current one for expressions
 * (redact_set_current); redact_free() it */
struct redactor *cli_redactor_new(void);

/* runs.c: a run in the store (DIR/runs/RUN-ID/ for a folder). The journal as an array of
 * events (complete lines only), or jv_invalid() when the run has none */
jv cli_run_journal(struct state *st, const char *run_id);
/* a JSON file of the run (plan.json, params.json), or null */
jv cli_run_file(struct state *st, const char *run_id, const char *name);
/* run_fold_journal of the run's journal, from its text where the store has it (no jv
 * for the lines the fold only counts): 0, or -1 when the run cannot be read (errno;
 * ENOENT: no journal) */
struct run_fold;
int cli_run_fold(struct state *st, const char *run_id, struct run_fold *f);
/* the run's report (report_build of its journal, plan.json, params.json), or
 * jv_invalid() when the run has no journal */
jv cli_run_report(struct state *st, const char *run_id);
/* report.md, report.json and timeline.svg kept with the run (0600, atomically); called
 * at the end of every run. A failure is a warning on stderr and changes nothing else. */
void cli_write_run_reports(struct state *st, const char *run_id);
/* {qid: duration_ms} of the steps that succeeded in the last finished run of the
 * runbook file (its realpath, as run_started records it) that ran the same way
 * (rehearsal or real; dry runs never count), or jv_null() when there is none */
jv cli_last_durations(struct state *st, const char *file, int rehearsal);
/* a duration option (--wait-lock): 0 and *ms, or -1 with the error printed */
int cli_duration_opt(const char *flag, const char *arg, int64_t *ms);
#endif
