/* io_test.c — the engine asks its questions through engine_io, never the terminal.
 *
 * A run with two confirmations (a phrase, then y/N) and a callback that records each
 * request and answers yes, then no. stdin is a pipe holding "yes" lines and stdout and
 * stderr are pipes: the engine must read nothing from stdin and write nothing to either
 * (the answers come from the callback alone), the requests must carry the step, the
 * prompt and the phrase, and the answers must decide: approved by "terminal", then
 * declined, the run exiting 4 (declined by the operator).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/jvx.h"
#include "core/redact.h"
#include "engine/engine.h"
#include "state/state.h"
#include "lang/model.h"
#include "modules/registry.h"
#include "plan/plan.h"
#include "engine_test.h"


struct asked {
	int n;
	char step[2][64], prompt[2][64], phrase[2][64];
	int kind[2], tries[2];
};

static int confirm(void *ctx, const struct engine_confirm_req *req, struct engine_confirm_ans *ans)
{
	struct asked *a = ctx;
	if (a->n < 2) {
		snprintf(a->step[a->n], 64, "%s", req->step ? req->step : "");
		snprintf(a->prompt[a->n], 64, "%s", req->prompt ? req->prompt : "");
		snprintf(a->phrase[a->n], 64, "%s", req->phrase ? req->phrase : "");
		a->kind[a->n] = req->kind;
		a->tries[a->n] = req->tries;
	}
	ans->answer = a->n++ == 0 ? ENGINE_ANS_YES : ENGINE_ANS_NO;
	ans->tries = req->phrase ? 1 : 0;
	return 0;
}

static const char text[] =
	"runbook: io\n"
	"steps:\n"
	"  - id: first\n"
	"    confirm:\n"
	"      prompt: Drop the old table?\n"
	"      phrase: drop it\n"
	"  - id: second\n"
	"    needs: [first]\n"
	"    confirm:\n"
	"      prompt: Go on?\n"
	"  - id: after\n"
	"    needs: [second]\n"
	"    action: log\n"
	"    with: {message: never}\n";

static jv confirm_ev(const char *step)
{
	jv_array_foreach(events, i, ev) {
		const char *n = jvx_str(ev, "event"), *s = jvx_str(ev, "step"), *st = jvx_str(ev, "status");
		if (n && !strcmp(n, "confirm") && s && !strcmp(s, step) && st && strcmp(st, "prompt"))
			return ev;
		jv_free(ev);
	}
	return jv_invalid();
}

/* a pipe whose read end replaces fd; returns the other end */
static int pipe_over(int fd, int write_end)
{
	int p[2];
	if (pipe(p) < 0)
		exit(1);
	dup2(p[write_end ? 0 : 1], fd);
	close(p[write_end ? 0 : 1]);
	return p[write_end ? 1 : 0];
}

int main(void)
{
	struct test_book b;
	struct asked a = {0};
	char dir[] = "/tmp/rb-io.XXXXXX", buf[4096];
	if (!mkdtemp(dir))
		return 1;
	if (registry_init() < 0)
		return 1;
	test_book_load(&b, "io.yaml", text);
	/* stdin: a pipe full of "yes" the engine must not read; stdout, stderr: pipes it
	 * must not write (the test's own messages go to the saved stderr) */
	int saved_err = dup(2);
	int in_w = pipe_over(0, 1);
	if (write(in_w, "yes\ndrop it\nyes\n", 16) != 16)
		return 1;
	close(in_w);
	int out_r = pipe_over(1, 0), err_r = pipe_over(2, 0);
	fcntl(out_r, F_SETFL, O_NONBLOCK);
	fcntl(err_r, F_SETFL, O_NONBLOCK);

	struct redactor *r = redact_new();
	struct rb_clock *c = clock_new(CLOCK_VIRTUAL, 0, 0);
	events = jv_array();
	jv serr = jv_invalid();
	struct state *store = state_open(dir, &serr);   /* a folder: never fails */
	struct engine_opts o = {
		.params = jv_object(),
		.connections = jv_null(),
		.state = store,
		.clock = c,
		.redact = r,
		.sink = { sink, NULL },
		.io = { confirm, &a },
	};
	char *id = NULL;
	int rc = engine_run(&b.p, &o, &id);
	fflush(stdout);
	fflush(stderr);
	ssize_t nin = read(0, buf, sizeof(buf)), nout = read(out_r, buf, sizeof(buf)),
		nerr = read(err_r, buf, sizeof(buf));
	dup2(saved_err, 2);

	CHECK(rc == EXIT_ABORTED, "exit %d, want 4 (declined)", rc);
	CHECK(nin == 16, "the engine read stdin (%zd of 16 bytes left)", nin);
	CHECK(nout <= 0, "the engine wrote %zd bytes to stdout", nout);
	CHECK(nerr <= 0, "the engine wrote %zd bytes to stderr: %.*s", nerr, (int)(nerr > 0 ? nerr : 0), buf);
	CHECK(a.n == 2, "%d questions asked, want 2", a.n);
	CHECK(a.kind[0] == ENGINE_ASK_CONFIRM && !strcmp(a.step[0], "first") &&
	      !strcmp(a.prompt[0], "Drop the old table?") && !strcmp(a.phrase[0], "drop it") && a.tries[0] == 3,
	      "first question: kind %d step '%s' prompt '%s' phrase '%s' tries %d", a.kind[0], a.step[0],
	      a.prompt[0], a.phrase[0], a.tries[0]);
	CHECK(!strcmp(a.step[1], "second") && !strcmp(a.prompt[1], "Go on?") && !a.phrase[1][0],
	      "second question: step '%s' prompt '%s' phrase '%s'", a.step[1], a.prompt[1], a.phrase[1]);
	jv e1 = confirm_ev("first"), e2 = confirm_ev("second");
	CHECK(jv_is_valid(e1) && !strcmp(jvx_str(e1, "status"), "approved") && !strcmp(jvx_str(e1, "how"), "terminal"),
	      "first: not approved by the terminal");
	CHECK(jv_is_valid(e2) && !strcmp(jvx_str(e2, "status"), "declined"), "second: not declined");
	jv_free(e1);
	jv_free(e2);
	free(id);
	jv_free(o.params);
	clock_free(c);
	state_close(store);
	redact_free(r);
	return test_finish(&b, dir);
}
