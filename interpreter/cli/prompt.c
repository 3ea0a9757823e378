/* prompt.c — the engine's questions asked on the terminal (engine.h struct engine_io). */
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "prompt.h"
#include "display.h"

static void ask_confirm(struct cli_prompt *p, const struct engine_confirm_req *req, struct engine_confirm_ans *ans)
{
	char line[1024];
	if (req->phrase)
		fprintf(p->out, "%s\nType '%s' to continue: ", req->prompt, req->phrase_shown);
	else
		fprintf(p->out, "%s [y/N] ", req->prompt);
	fflush(p->out);
	/* a phrase is asked again after a mistyped one: req->tries in all */
	for (ans->tries = 1; ; ans->tries++) {
		if (!fgets(line, sizeof(line), p->in))
			break;
		line[strcspn(line, "\r\n")] = '\0';
		if (!req->phrase) {
			if (!strcasecmp(line, "y") || !strcasecmp(line, "yes"))
				ans->answer = ENGINE_ANS_YES;
			break;
		}
		if (!strcmp(line, req->phrase)) {
			ans->answer = ENGINE_ANS_YES;
			break;
		}
		if (ans->tries >= req->tries)
			break;
		fprintf(p->out, "That is not '%s' (%d %s left). Type '%s' to continue: ", req->phrase_shown,
			req->tries - ans->tries, req->tries - ans->tries == 1 ? "try" : "tries", req->phrase_shown);
		fflush(p->out);
	}
	if (req->phrase && ans->answer != ENGINE_ANS_YES && ans->tries >= req->tries) {
		fprintf(p->out, "No match after %d tries: declined.\n", req->tries);
		fflush(p->out);
	}
}

static void ask_resume(struct cli_prompt *p, const struct engine_confirm_req *req, struct engine_confirm_ans *ans)
{
	char line[256];
	fprintf(p->out, "step '%s' was running when the run stopped and %s.\n%s", req->step, req->why,
		req->allow_done ? "[r]un it again, it is [d]one already (do not run it), or [s]top? " :
		"[r]un the unfinished items again, or [s]top? ");
	fflush(p->out);
	if (!fgets(line, sizeof(line), p->in))
		return;
	if (line[0] == 'r' || line[0] == 'R')
		ans->answer = ENGINE_ANS_YES;
	else if ((line[0] == 'd' || line[0] == 'D') && req->allow_done)
		ans->answer = ENGINE_ANS_DONE;
}

int cli_prompt_confirm(void *ctx, const struct engine_confirm_req *req, struct engine_confirm_ans *ans)
{
	struct cli_prompt *p = ctx;
	ans->answer = ENGINE_ANS_NO;
	ans->tries = 0;
	if (p->display)
		display_pause(p->display, 1);
	if (req->kind == ENGINE_ASK_RESUME)
		ask_resume(p, req, ans);
	else
		ask_confirm(p, req, ans);
	clearerr(p->in);
	if (p->display)
		display_pause(p->display, 0);
	return 0;
}

struct engine_io cli_prompt_io(struct cli_prompt *p, struct engine_sink *display)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return (struct engine_io){ 0 };
	p->in = stdin;
	p->out = stderr;
	p->display = display;
	return (struct engine_io){ .confirm = cli_prompt_confirm, .ctx = p };
}
