/* step_action.c — the action step (and the call a wait step polls with): its action
 * found, arguments evaluated and checked, a dry run's description, the job for the
 * workers, and the result it returns. */
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

/* an action or wait step begins: its action found, its arguments evaluated and
 * checked; in a dry run a mutation is described instead; else a job for the workers */
void eng_action_start(struct engine *e, struct task *t)
{
	const struct rb_step *st = t->step;
	int64_t now = clock_now(e->clk);
	const struct tmpl *with = st->kind == STEP_ACTION ? st->with : st->wait.with;
	const char *aname = st->kind == STEP_ACTION ? st->action : st->wait.action;
	t->desc = (!t->rb && e->p->nodes[t->node].desc) ? e->p->nodes[t->node].desc : registry_find(aname);
	if (!t->desc) {
		eng_task_finish(e, t, ST_FAILED, eng_err_obj("unknown_action", "unknown action '%s'", aname), jv_null(), jv_null());
		return;
	}
	int unknown = eng_tmpl_unknown(e, t->scope, with);
	jv c = eng_ctx_for(e, t->scope, t->item_v, jv_invalid());
	jv args = with ? eng_tmpl_eval_dry(e, t->scope, with, c) : jv_object();
	jv_free(c);
	if (!jv_is_valid(args)) {
		eng_task_finish(e, t, ST_FAILED, eng_err_from_invalid("expression", "with", args), jv_null(), jv_null());
		return;
	}
	jv err = jv_invalid();
	args = eng_fill_args(e, t->desc, args, &err);
	if (!jv_is_valid(args)) {
		jv_free(args);
		eng_task_finish(e, t, ST_FAILED, err, jv_null(), jv_null());
		return;
	}
	eng_taint_args(e, t->desc, args);
	jv_free(t->args);
	t->args = args;
	int mut = action_is_mutating(t->desc, t->args);
	if (e->o->dry_run && st->kind == STEP_WAIT && (mut || unknown || (!t->rb && eng_ancestors_unknown(e, t->node)))) {
		jv ev = eng_ev_new(e, EV_MUTATION, t->qid);
		ev = jv_object_set(ev, jv_string("action"), jv_string(t->desc->name));
		ev = jv_object_set(ev, jv_string("args"), jv_copy(t->args));
		ev = jv_object_set(ev, jv_string("description"), jv_string_fmt(
			"would poll '%s' until %s", t->desc->name, exprset_text(e->set, st->wait.until)));
		eng_emit(e, ev, 1);
		if (!t->rb)
			e->ns[t->node].unknown = 1;
		eng_task_finish(e, t, ST_DRY_RUN, jv_null(), jv_null(), jv_object());
		return;
	}
	if (e->o->dry_run && (mut || unknown)) {
		if (mut && t->desc->dry_run && !unknown) {
			eng_submit(e, t, JOB_DRY_RUN);
			return;
		}
		eng_emit_mutation(e, t, unknown && !mut ? jv_string("not run: arguments depend on unknown outputs") : jv_invalid());
		if (!t->rb)
			e->ns[t->node].unknown = 1;
		eng_task_finish(e, t, ST_DRY_RUN, jv_null(), jv_null(), jv_object());
		return;
	}
	if (st->kind == STEP_WAIT) {
		t->base_interval = st->wait.interval_ms > 0 ? st->wait.interval_ms : WAIT_FIRST_MS;
		t->max_interval = st->wait.max_interval_ms > 0 ? st->wait.max_interval_ms : WAIT_MAX_MS;
		if (t->max_interval < t->base_interval)
			t->max_interval = t->base_interval;
		t->interval = t->base_interval;
		if (st->wait.expect_ms > 0)
			t->expect_at = now + st->wait.expect_ms;
		else if (!t->rb)
			t->expect_at = eng_expected_end(e, t->node);
		if (t->expect_at && t->expect_at <= now)
			t->past_expect = 0;
		/* the ETA shown while it waits: this step's duration in the last run of
		 * the runbook, else the expected end its polls aim at */
		int64_t last = jv_get_kind(e->o->last_durations) == JV_KIND_OBJECT ?
			jvx_int(e->o->last_durations, t->qid, -1) : -1;
		if (last > 0 && !t->rb) {
			t->eta_at = now + last;
			t->eta_from = "last_run";
		} else if (t->expect_at) {
			t->eta_at = t->expect_at;
			t->eta_from = st->wait.expect_ms > 0 ? "expect" : "typical";
		}
		t->wait_deadline = st->wait.timeout_ms ? now + st->wait.timeout_ms : 0;
	}
	eng_submit(e, t, JOB_RUN);
	return;
}

void eng_action_result(struct engine *e, struct task *t, struct job *j)
{
	if (t->timed_out || j->rc != 0) {
		jv te = eng_timeout_error(e, t);
		if (jv_is_valid(te)) {
			eng_task_finish(e, t, ST_FAILED, te, jv_copy(j->out), jv_null());
			return;
		}
	}
	if (j->mode == JOB_DRY_RUN) {
		eng_emit_mutation(e, t, j->rc == 0 ? jv_copy(j->out) : jv_string("dry-run description failed"));
		if (!t->rb)
			e->ns[t->node].unknown = 1;
		eng_task_finish(e, t, ST_DRY_RUN, jv_null(), jv_null(), jv_object());
		return;
	}
	if (j->rc != 0) {
		eng_fail_or_retry(e, t, jv_copy(j->out), jv_null());
		return;
	}
	jv err = jv_invalid();
	jv outs = eng_eval_outputs(e, t, j->out, &err);
	if (!jv_is_valid(outs)) {
		jv_free(outs);
		eng_task_finish(e, t, ST_FAILED, err, jv_copy(j->out), jv_null());
		return;
	}
	eng_task_finish(e, t, ST_SUCCEEDED, jv_null(), jv_copy(j->out), outs);
}
