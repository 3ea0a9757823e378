/* step_confirm.c — the confirm step: --yes, --approve, the terminal (a phrase asked up
 * to three times), rehearsal approvals and --decline. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../core/fs.h"
#include "../core/bug.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/dur.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "../modules/registry.h"
#include "engine_int.h"
#include "tape.h"

const char *eng_user_name(char *buf, size_t n)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];
	if (getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &res) == 0 && res && res->pw_name) {
		snprintf(buf, n, "%s", res->pw_name);
		return buf;
	}
	const char *u = getenv("USER");
	snprintf(buf, n, "%s", u && *u ? u : "unknown");
	return buf;
}
static int approved_in_advance(struct engine *e, struct task *t)
{
	for (int i = 0; e->o->approve && e->o->approve[i]; i++)
		if (!strcmp(e->o->approve[i], t->qid) || !strcmp(e->o->approve[i], t->step->id))
			return 1;
	return 0;
}
static int declined_in_rehearsal(struct engine *e, struct task *t)
{
	for (int i = 0; e->o->decline && e->o->decline[i]; i++)
		if (!strcmp(e->o->decline[i], t->qid) || !strcmp(e->o->decline[i], t->step->id))
			return 1;
	return 0;
}
void eng_confirm_run(struct engine *e, struct task *t)
{
	jv c = eng_ctx_for(e, t->scope, t->item_v, jv_invalid());
	jv prompt = t->step->confirm.prompt ? eng_tmpl_eval_dry(e, t->scope, t->step->confirm.prompt, c) : jv_string("Continue?");
	jv phrase = t->step->confirm.phrase ? eng_tmpl_eval_dry(e, t->scope, t->step->confirm.phrase, c) : jv_null();
	jv_free(c);
	char by[256] = "", ts[40];
	const char *how = NULL;
	int ok = 0, tries = 0;
	if (!jv_is_valid(prompt) || !jv_is_valid(phrase)) {
		jv err = !jv_is_valid(prompt) ? eng_err_from_invalid("expression", "prompt", prompt) :
			eng_err_from_invalid("expression", "phrase", phrase);
		if (jv_is_valid(prompt))
			jv_free(prompt);
		if (jv_is_valid(phrase))
			jv_free(phrase);
		eng_task_finish(e, t, ST_FAILED, err, jv_null(), jv_null());
		return;
	}
	char *ptext = jvx_text(jv_copy(prompt));
	char *phtext = jv_get_kind(phrase) == JV_KIND_NULL ? NULL : jvx_text(jv_copy(phrase));
	if (e->o->dry_run) {
		jv ev = eng_ev_new(e, EV_CONFIRM, t->qid);
		ev = jv_object_set(ev, jv_string("status"), jv_string("not_asked"));
		ev = jv_object_set(ev, jv_string("prompt"), jv_copy(prompt));
		eng_emit(e, ev, 1);
		eng_task_finish(e, t, ST_DRY_RUN, jv_null(), jv_null(), jv_object());
		goto out;
	}
	if (e->o->rehearsal) {
		/* nobody is asked in a rehearsal (or a replay): approved by it, or declined
		 * by --decline */
		const char *who = e->o->replay.call ? "replay" : "rehearsal";
		ok = !declined_in_rehearsal(e, t);
		how = ok ? who : "--decline";
		snprintf(by, sizeof(by), "%s", who);
	} else if (e->o->yes) {
		ok = 1;
		how = "--yes";
		snprintf(by, sizeof(by), "--yes");
	} else if (approved_in_advance(e, t)) {
		ok = 1;
		how = "--approve";
		snprintf(by, sizeof(by), "--approve");
	} else if (e->o->io.confirm) {
		jv ev = eng_ev_new(e, EV_CONFIRM, t->qid);
		ev = jv_object_set(ev, jv_string("status"), jv_string("prompt"));
		ev = jv_object_set(ev, jv_string("prompt"), jv_copy(prompt));
		eng_emit(e, ev, 0);
		char *rp = redact_str(e->o->redact, ptext);
		char *rph = phtext ? redact_str(e->o->redact, phtext) : NULL;
		struct engine_confirm_req req = {
			.kind = ENGINE_ASK_CONFIRM, .step = t->qid, .prompt = rp,
			.phrase = phtext, .phrase_shown = rph, .tries = CONFIRM_TRIES,
		};
		struct engine_confirm_ans ans = { ENGINE_ANS_NO, 0 };
		e->o->io.confirm(e->o->io.ctx, &req, &ans);
		ok = ans.answer == ENGINE_ANS_YES;
		tries = ans.tries;
		free(rp);
		free(rph);
		how = "terminal";
		eng_user_name(by, sizeof(by));
	} else {
		how = "no terminal";
	}
	jv ev = eng_ev_new(e, EV_CONFIRM, t->qid);
	ev = jv_object_set(ev, jv_string("status"), jv_string(ok ? "approved" : "declined"));
	ev = jv_object_set(ev, jv_string("prompt"), jv_copy(prompt));
	ev = jv_object_set(ev, jv_string("how"), jv_string(how));
	if (phtext && tries > 0)
		ev = jv_object_set(ev, jv_string("tries"), jv_number(tries));
	if (ok) {
		ev = jv_object_set(ev, jv_string("by"), jv_string(by));
		ev = jv_object_set(ev, jv_string("at"), jv_string(eng_time_str(clock_now(e->clk), ts, sizeof(ts))));
	} else if (!strcmp(how, "--decline")) {
		ev = jv_object_set(ev, jv_string("by"), jv_string(by));
		ev = jv_object_set(ev, jv_string("message"), jv_string("--decline"));
	} else if (!strcmp(how, "no terminal")) {
		ev = jv_object_set(ev, jv_string("message"), jv_string_fmt(
			"confirmation '%s' needs a terminal; pass --yes or --approve %s", t->qid, t->qid));
	}
	eng_emit(e, ev, 1);
	if (ok) {
		jv res = jv_object();
		res = jv_object_set(res, jv_string("approved_by"), jv_string(by));
		res = jv_object_set(res, jv_string("approved_at"), jv_string(eng_time_str(clock_now(e->clk), ts, sizeof(ts))));
		eng_task_finish(e, t, ST_SUCCEEDED, jv_null(), res, jv_object());
	} else {
		jv err = !strcmp(how, "no terminal") ?
			eng_err_obj("declined", "confirmation '%s' needs a terminal; pass --yes or --approve %s", t->qid, t->qid) :
			!strcmp(how, "--decline") ?
			eng_err_obj("declined", "confirmation '%s' declined (rehearse --decline)", t->qid) :
			phtext && tries >= CONFIRM_TRIES ?
			eng_err_obj("declined", "confirmation '%s' declined: the phrase was mistyped %d times", t->qid, CONFIRM_TRIES) :
			eng_err_obj("declined", "confirmation '%s' declined", t->qid);
		/* a declined confirmation is the operator's abort */
		if (!t->rb)
			eng_fail_run(e, EXIT_ABORTED, jv_string_fmt("confirmation '%s' declined", t->qid));
		eng_task_finish(e, t, ST_FAILED, err, jv_null(), jv_null());
	}
out:
	jv_free(prompt);
	jv_free(phrase);
	free(ptext);
	free(phtext);
}
