/* prompt.h — the engine's questions (engine.h struct engine_io) asked on the terminal.
 *
 * cli_prompt_io gives the io of a command that runs: when stdin and stderr are both a
 * terminal, questions are asked there (the live display on `display` is paused around
 * each, so its redraws do not cross the prompt); else a zeroed io (nobody to ask:
 * confirmations are declined unless approved, resume refuses). */
#ifndef RB_CLI_PROMPT_H
#define RB_CLI_PROMPT_H
#include <stdio.h>
#include "../engine/engine.h"

struct cli_prompt {
	FILE *in, *out;                 /* the terminal */
	struct engine_sink *display;    /* paused while asking; NULL = none */
};
/* fills p (borrowed by the io returned; it must outlive the run) */
struct engine_io cli_prompt_io(struct cli_prompt *p, struct engine_sink *display);
/* the callback itself, for other front ends (ctx is a struct cli_prompt) */
int cli_prompt_confirm(void *ctx, const struct engine_confirm_req *req, struct engine_confirm_ans *ans);
#endif
