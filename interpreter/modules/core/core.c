/* core.c — the core module: exec, sleep, log, http.request (DESIGN.md "Core actions").
 * The table below is the contract; runbook actions and runbook-actions(7) print it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core.h"
#include "../registry.h"
#include "../../core/bug.h"
#include "../../core/clock.h"
#include "../../core/dur.h"
#include "../../core/jvx.h"

/* result fields (what `.steps.X.result.F` may read; checked at validation) */
static const struct action_result exec_result[] = {
	{ "exit_code", ARG_INT, "the program's exit status", NULL },
	{ "stdout", ARG_STRING, "standard output (up to 16 MiB)", NULL },
	{ "stderr", ARG_STRING, "standard error (up to 16 MiB)", NULL },
	{ "json", ARG_ANY, "stdout parsed as JSON (parse: json); free-form below", NULL },
	{ "lines", ARG_LIST, "stdout split into lines (parse: lines)", NULL },
	{ "duration_ms", ARG_INT, "how long the program ran", NULL },
	{ NULL, 0, NULL, NULL },
};
static const struct action_result sleep_result[] = {
	{ "slept_ms", ARG_INT, "how long it slept on the run's clock", NULL },
	{ NULL, 0, NULL, NULL },
};
static const struct action_result log_result[] = {
	{ "level", ARG_STRING, "the level written", NULL },
	{ "message", ARG_STRING, "the message written", NULL },
	{ NULL, 0, NULL, NULL },
};
static const struct action_result http_result[] = {
	{ "status", ARG_INT, "the HTTP status code", NULL },
	{ "headers", ARG_MAP, "reply headers, names lowercased", NULL },
	{ "body", ARG_STRING, "the reply body (up to 16 MiB)", NULL },
	{ "json", ARG_ANY, "the body parsed, when the content-type is JSON; free-form below", NULL },
	{ "duration_ms", ARG_INT, "how long the request took", NULL },
	{ NULL, 0, NULL, NULL },
};

static const struct action_desc core_actions[] = {
	{ "exec",
	  "run a program (never through a shell unless shell: true); mutating unless read_only: true",
	  core_exec_args,
	  "{exit_code, stdout, stderr, json (parse: json), lines (parse: lines), duration_ms}; "
	  "stdout and stderr are kept up to 16 MiB each; errors: ExitCode (with exit_code and the "
	  "end of stderr), Signal, Timeout, Cancelled, OutputTooLarge, ParseError, CommandNotFound",
	  ACT_MUTATING, 1000, core_exec_run, core_exec_mutates, core_exec_dry_run, NULL,
	  .results = exec_result },
	{ "sleep",
	  "wait for a duration on the run's clock (virtual in rehearsals)",
	  core_sleep_args,
	  "{slept_ms}; errors: Timeout (the step's deadline came first), Cancelled",
	  ACT_IDEMPOTENT, 0, core_sleep_run, NULL, NULL, NULL,
	  .results = sleep_result, .typical = core_sleep_typical },
	{ "log",
	  "write a message to the run's output and journal",
	  core_log_args,
	  "{level, message}",
	  ACT_IDEMPOTENT | ACT_INSTANT, 0, core_log_run, NULL, NULL, NULL,
	  .results = log_result },
	{ "http.request",
	  "send an HTTP(S) request (libcurl, TLS verified); mutating unless the method is GET, HEAD or OPTIONS",
	  core_http_args,
	  "{status, headers (names lowercased), body, json (when the reply's content-type is JSON), "
	  "duration_ms}; the body is kept up to 16 MiB; errors: HttpStatus (with status; transient for "
	  "429 and 5xx), ConnectFailed, ConnectionReset, Timeout (transient), TLSError, ResolveFailed, "
	  "ResponseTooLarge",
	  0, 500, core_http_run, core_http_mutates, core_http_dry_run, NULL,
	  .results = http_result },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int core_init(void)
{
	return core_http_init();
}

static void core_cleanup(void)
{
	core_http_cleanup();
}

const struct module_desc core_module = {
	"core",
	"built-in actions: run programs, sleep, log, HTTP requests",
	core_actions,
	NULL, 0,
	core_init, core_cleanup,
};




