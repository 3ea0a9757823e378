/* rollback.c — failing the run, the rollback (completed steps undone in reverse order,
 * each rollback step seeing the undone step's result and outputs) and the finally steps. */
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

void eng_task_finish(struct engine *e, struct task *t, enum step_state st, jv err, jv result, jv outputs)
{
	if (t->queued)
		eng_slot_remove(e, t);
	eng_task_unlink(e, t);
	if (t->step->kind == STEP_WAIT && !t->rb && t->polls > 0) {
		jv x = jv_object();
		x = jv_object_set(x, jv_string("polls"), jv_number(t->polls));
		if (st == ST_SUCCEEDED)
			x = jv_object_set(x, jv_string("detection_lag_ms"), jv_number((double)t->lag));
		x = jv_object_set(x, jv_string("waited_ms"), jv_number((double)(clock_now(e->clk) - t->started)));
		jv_free(e->ns[t->node].extra);
		e->ns[t->node].extra = x;
	}
	if (t->fin) {
		eng_finally_task_done(e, t, st, err, result, outputs);
	} else if (t->rb) {
		jv_free(result);
		jv_free(outputs);
		eng_rollback_task_done(e, t, st, err);
	} else {
		eng_node_item_done(e, t->node, t->item, st, err, result, outputs);
	}
	eng_task_free(t);
}
void eng_cancel_timers(struct engine *e, const char *why)
{
	struct task *t = e->tasks, *next;
	for (; t; t = next) {
		next = t->next;
		if (t->job)
			continue;
		if (t->wake_at || t->queued) {
			t->wake_at = 0;
			eng_task_finish(e, t, ST_FAILED, eng_err_obj("aborted", "%s", why), jv_null(), jv_null());
		}
	}
}
void eng_fail_run(struct engine *e, int outcome, jv reason)
{
	if (e->aborting) {
		jv_free(reason);
		return;
	}
	e->aborting = 1;
	e->outcome = outcome;
	if ((int)eng_signals != e->sig_seen && outcome == EXIT_FAILED)
		e->outcome = EXIT_ABORTED;   /* failed by the operator's signal (an interrupted expression) */
	jv_free(e->fail_reason);
	e->fail_reason = reason;
	/* journal only, synced: a resume of a run killed between this decision and its
	 * rollback_started still rolls back (and with the same exit code) */
	if (e->jopen) {
		jv ev = eng_ev_new(e, EV_RUN_FAILING, NULL);
		ev = jv_object_set(ev, jv_string("outcome"), jv_number(e->outcome));
		ev = jv_object_set(ev, jv_string("reason"), jv_copy(e->fail_reason));
		if (e->nsig > 0)
			ev = jv_object_set(ev, jv_string("operator"), jv_true());
		journal_append_redacted(&e->jn, redact_jv(e->o->redact, ev), STATE_SYNC);
	}
}
static void rollback_plan(struct engine *e)
{
	for (int k = e->ndone - 2; k >= 0; k -= 2) {
		int n = e->done_order[k], item = e->done_order[k + 1];
		const struct rb_step *st = e->p->nodes[n].step;
		for (int i = 0; i < st->nrollback; i++) {
			ALLOC_GROW(e->rbq, e->nrbq + 1, e->arbq);
			struct rb_entry *r = &e->rbq[e->nrbq++];
			r->node = n;
			r->item = item;
			r->index = i;
			r->pos = k;
			r->done = 0;
			r->bad = 0;
			if (e->resumed) {
				char key[1300];
				snprintf(key, sizeof(key), "%s#%d#%d", e->p->nodes[n].qid, item, i);
				jv d = jv_object_get(jv_copy(e->rb_done), jv_string(key));
				r->done = jv_is_valid(d) && jv_get_kind(d) == JV_KIND_TRUE;
				jv_free(d);
			}
		}
	}
}
void eng_rollback_start(struct engine *e)
{
	e->phase = PH_ROLLBACK;
	rollback_plan(e);
	jv ev = eng_ev_new(e, EV_ROLLBACK_STARTED, NULL);
	ev = jv_object_set(ev, jv_string("reason"), jv_copy(e->fail_reason));
	/* the exit code a successful rollback ends with: resume reads it, not the reason */
	ev = jv_object_set(ev, jv_string("outcome"), jv_number(e->outcome ? e->outcome : EXIT_FAILED));
	jv steps = jv_array();
	for (int i = 0; i < e->nrbq; i++) {
		const struct plan_node *pn = &e->p->nodes[e->rbq[i].node];
		steps = jv_array_append(steps, jv_string(pn->qid));
	}
	ev = jv_object_set(ev, jv_string("steps"), steps);
	eng_emit(e, ev, 1);
}
/* the value of item `item` of node n for its rollback steps (jv_invalid() without
 * for_each); after a resume it comes from the journal */
jv eng_rb_item_value(struct engine *e, int n, int item)
{
	const struct plan_node *pn = &e->p->nodes[n];
	struct node_st *s = &e->ns[n];
	jv v = item >= 0 && jv_is_valid(s->items) ? jv_array_get(jv_copy(s->items), item) : jv_invalid();
	if (item >= 0 && !jv_is_valid(v)) {
		/* resume: the item finished before the crash; its value is in the journal */
		char idx[32];
		snprintf(idx, sizeof(idx), "%d", item);
		jv done = jv_object_get(jv_copy(e->resume_items), jv_string(pn->qid));
		jv rec = jv_get_kind(done) == JV_KIND_OBJECT ? jv_object_get(done, jv_string(idx)) : (jv_free(done), jv_invalid());
		v = jv_is_valid(rec) ? jvx_get(rec, "value") : jv_invalid();
		jv_free(rec);
		if (!jv_is_valid(v)) {
			jv_free(v);
			v = jv_null();
		}
	}
	return v;
}
/* the result and outputs of what a rollback undoes: node n's (item's), taken from the
 * journal's item_finished after a resume; replaces *result and *outputs */
void eng_rb_undone(struct engine *e, int n, int item, jv *result, jv *outputs)
{
	struct node_st *s = &e->ns[n];
	jv r = jv_invalid(), o = jv_invalid();
	if (item >= 0 && s->results && item < s->nitems) {
		r = jv_copy(s->results[item]);
		o = jv_copy(s->outputs[item]);
	} else if (item >= 0) {
		char idx[32];
		snprintf(idx, sizeof(idx), "%d", item);
		jv done = jv_object_get(jv_copy(e->resume_items), jv_string(e->p->nodes[n].qid));
		jv rec = jv_get_kind(done) == JV_KIND_OBJECT ? jv_object_get(done, jv_string(idx)) : (jv_free(done), jv_invalid());
		if (jv_is_valid(rec)) {
			r = jvx_get(rec, "result");
			o = jvx_get(rec, "outputs");
		}
		jv_free(rec);
	} else if (s->results) {
		r = jv_copy(s->results[0]);
		o = jv_copy(s->outputs[0]);
	}
	if (!jv_is_valid(r) || jv_get_kind(r) == JV_KIND_INVALID) {
		jv_free(r);
		r = jv_null();
	}
	if (!jv_is_valid(o) || jv_get_kind(o) == JV_KIND_NULL) {
		jv_free(o);
		o = jv_object();
	}
	jv_free(*result);
	jv_free(*outputs);
	*result = r;
	*outputs = o;
}
void eng_rollback_next(struct engine *e)
{
	while (e->rbpos < e->nrbq && e->rbq[e->rbpos].done)
		e->rbpos++;
	if (e->rbpos >= e->nrbq)
		return;
	struct rb_entry *r = &e->rbq[e->rbpos++];
	const struct plan_node *pn = &e->p->nodes[r->node];
	const struct rb_step *st = &pn->step->rollback[r->index];
	char key[32];
	snprintf(key, sizeof(key), "%d", r->pos);
	jv snap = jv_object_get(jv_copy(e->rb_snap), jv_string(key));
	const char *owner = eng_qid_of(e, r->node);
	jv item;
	if (jv_is_valid(snap)) {
		/* a step of a for_each uses: child, run for an earlier item */
		jv_free(e->rb_result);
		jv_free(e->rb_outputs);
		jv_free(e->rb_ctx);
		e->rb_result = jvx_get(snap, "result");
		e->rb_outputs = jvx_get(snap, "outputs");
		e->rb_ctx = jvx_get(snap, "ctx");
		item = jvx_get(snap, "item");
		if (jv_get_kind(item) == JV_KIND_NULL)
			item = (jv_free(item), jv_invalid());
		owner = jvx_str(snap, "qid");
	} else {
		item = eng_rb_item_value(e, r->node, r->item);
		eng_rb_undone(e, r->node, r->item, &e->rb_result, &e->rb_outputs);
	}
	struct task *t = eng_task_new(e, r->node, pn->scope, st, r->item, item);
	char q[1400];
	if (r->item >= 0)
		snprintf(q, sizeof(q), "%s[%d].rollback.%d", owner, r->item, r->index + 1);
	else
		snprintf(q, sizeof(q), "%s.rollback.%d", owner, r->index + 1);
	t->qid = xstrdup(q);
	t->rb = 1;
	t->rb_entry = (int)(r - e->rbq);
	e->rb_scope = pn->scope;
	e->rb_unknown = e->ns[r->node].unknown;
	free(e->rb_owner);
	e->rb_owner = xstrdup(owner);
	e->rb_ran++;
	jv ev = eng_ev_new(e, EV_ROLLBACK_STEP, owner);
	ev = jv_object_set(ev, jv_string("rollback_step"), jv_string(q));
	ev = jv_object_set(ev, jv_string("item"), jv_number(r->item));
	ev = jv_object_set(ev, jv_string("index"), jv_number(r->index));
	ev = jv_object_set(ev, jv_string("status"), jv_string("running"));
	eng_emit(e, ev, 1);
	jv_free(snap);
	eng_task_start(e, t);
}
void eng_rollback_task_done(struct engine *e, struct task *t, enum step_state st, jv err)
{
	struct rb_entry *r = &e->rbq[t->rb_entry];
	const struct plan_node *pn = &e->p->nodes[r->node];
	e->rb_scope = -1;
	jv_free(e->rb_ctx);
	e->rb_ctx = jv_invalid();
	jv ev = eng_ev_new(e, EV_ROLLBACK_STEP, e->rb_owner ? e->rb_owner : pn->qid);
	ev = jv_object_set(ev, jv_string("rollback_step"), jv_string(t->qid));
	ev = jv_object_set(ev, jv_string("item"), jv_number(r->item));
	ev = jv_object_set(ev, jv_string("index"), jv_number(r->index));
	ev = jv_object_set(ev, jv_string("status"), jv_string(step_state_name(st)));
	if (st == ST_FAILED) {
		e->rb_failed++;
		for (int i = 0; i < e->nrbq; i++)
			if (e->rbq[i].node == r->node && e->rbq[i].item == r->item)
				e->rbq[i].bad = 1;
		ev = jv_object_set(ev, jv_string("error"), err);
	} else {
		jv_free(err);
	}
	eng_emit(e, ev, 1);
	/* the owner is rolled back when its last rollback step succeeded */
	if (st != ST_FAILED && r->index == pn->step->nrollback - 1 && !r->bad) {
		if (e->ns[r->node].st != ST_FAILED) {
			e->ns[r->node].st = ST_ROLLED_BACK;
			eng_ctx_update(e, r->node);
		}
	}
}
/* the context entry of a finally step (the top scope's .steps.ID) */
static void finally_ctx(struct engine *e, struct task *t, enum step_state st, jv result, jv outputs)
{
	char a[40], b[40];
	jv o = jv_object();
	o = jv_object_set(o, jv_string("status"), jv_string(step_state_name(st)));
	o = jv_object_set(o, jv_string("outputs"), outputs);
	o = jv_object_set(o, jv_string("result"), result);
	o = jv_object_set(o, jv_string("started_at"), jv_string(eng_time_str(t->started, a, sizeof(a))));
	o = jv_object_set(o, jv_string("finished_at"), st == ST_RUNNING ? jv_null() :
			  jv_string(eng_time_str(clock_now(e->clk), b, sizeof(b))));
	jv steps = jv_object_get(jv_copy(e->ctx[0]), jv_string("steps"));
	e->ctx[0] = jv_object_set(e->ctx[0], jv_string("steps"), jv_null());
	steps = jv_object_set(steps, jv_string(t->step->id), o);
	e->ctx[0] = jv_object_set(e->ctx[0], jv_string("steps"), steps);
}
void eng_finally_next(struct engine *e)
{
	const struct rb_step *st = &e->p->rb->finally[e->fpos++];
	struct task *t = eng_task_new(e, -1, 0, st, -1, jv_invalid());
	t->qid = xstrdup(st->id);
	t->rb = 1;
	t->fin = 1;
	t->started = clock_now(e->clk);
	finally_ctx(e, t, ST_RUNNING, jv_null(), jv_object());
	jv ev = eng_ev_new(e, EV_STEP_STARTED, t->qid);
	ev = jv_object_set(ev, jv_string("kind"), jv_string(step_kind_name(st->kind)));
	if (st->name)
		ev = jv_object_set(ev, jv_string("name"), jv_string(st->name));
	if (st->kind == STEP_ACTION)
		ev = jv_object_set(ev, jv_string("action"), jv_string(st->action));
	ev = jv_object_set(ev, jv_string("attempts"), jv_number(st->retry.attempts > 0 ? st->retry.attempts : 1));
	ev = jv_object_set(ev, jv_string("finally"), jv_true());
	eng_emit(e, ev, 1);
	eng_task_start(e, t);
}
void eng_finally_task_done(struct engine *e, struct task *t, enum step_state st, jv err, jv result, jv outputs)
{
	if (!jv_is_valid(result))
		result = (jv_free(result), jv_null());
	if (!jv_is_valid(outputs) || jv_get_kind(outputs) == JV_KIND_NULL)
		outputs = (jv_free(outputs), jv_object());
	finally_ctx(e, t, st, jv_copy(result), jv_copy(outputs));
	jv ev = eng_ev_new(e, EV_STEP_FINISHED, t->qid);
	ev = jv_object_set(ev, jv_string("status"), jv_string(step_state_name(st)));
	ev = jv_object_set(ev, jv_string("kind"), jv_string(step_kind_name(t->step->kind)));
	ev = jv_object_set(ev, jv_string("duration_ms"), jv_number((double)(clock_now(e->clk) - t->started)));
	ev = jv_object_set(ev, jv_string("finally"), jv_true());
	if (st == ST_FAILED) {
		if (jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL)
			ev = jv_object_set(ev, jv_string("error"), jv_copy(err));
		e->fin_failed = jv_array_append(e->fin_failed, jv_string(t->qid));
	}
	ev = jv_object_set(ev, jv_string("outputs"), outputs);
	ev = jv_object_set(ev, jv_string("result"), result);
	eng_emit(e, ev, 1);
	jv_free(err);
}
/* the run has ended (rc) and any rollback finished: .run.status and .run.error for
 * the finally steps */
void eng_finally_start(struct engine *e, int rc)
{
	const char *status = rc == EXIT_OK ? "succeeded" : rc == EXIT_ABORTED ? "aborted" : "failed";
	jv err = rc == EXIT_OK ? jv_null() : jv_copy(e->fail_reason);
	if (rc != EXIT_OK && rc != EXIT_ABORTED && rc != EXIT_FAILED && jv_get_kind(err) == JV_KIND_STRING)
		err = jv_string_fmt("%s (rollback incomplete)", (jv_free(err), jv_string_value(e->fail_reason)));
	jv run = jv_object_get(jv_copy(e->ctx[0]), jv_string("run"));
	run = jv_object_set(run, jv_string("status"), jv_string(status));
	run = jv_object_set(run, jv_string("error"), err);
	e->ctx[0] = jv_object_set(e->ctx[0], jv_string("run"), run);
	e->phase = PH_FINALLY;
	e->fpos = 0;
}
