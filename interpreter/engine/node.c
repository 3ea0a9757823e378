/* node.c — nodes of the plan: ready queue, start, finish, for_each items, scopes (uses:)
 * and their reset between items. */
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
#include "../core/caps.h"

void eng_ready_push(struct engine *e, int n)
{
	int topo = e->p->nodes[n].topo, i;
	ALLOC_GROW(e->ready, e->nready + 1, e->aready);
	/* sorted by topological position, highest first: pop from the end */
	for (i = e->nready; i > 0 && e->p->nodes[e->ready[i - 1]].topo < topo; i--)
		e->ready[i] = e->ready[i - 1];
	e->ready[i] = n;
	e->nready++;
}
/* How durable a step's (or item's) end must be. A step that made a mutating call: soon
 * (STATE_SYNC_SOON: with the next write-ahead line, at the end of the run, or within
 * STATE_SYNC_SOON_MS); lost in a crash before that, resume finds its call's intent
 * durable and no end, and treats the call as in flight (checked or asked, never sent
 * again blindly). An action or assert step that made none: not synced; lost, it runs
 * again on resume and changes nothing. Waits, confirms and uses: soon. */
static int node_end_sync(struct engine *e, int n)
{
	enum step_kind k = e->p->nodes[n].step->kind;
	if (e->ns[n].mutated || (k != STEP_ACTION && k != STEP_ASSERT))
		return STATE_SYNC_SOON;
	return STATE_SYNC_NONE;
}

static void node_finish(struct engine *e, int n, enum step_state st)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	s->st = st;
	s->finished = clock_now(e->clk);
	eng_ctx_update(e, n);
	struct evl l;
	eng_evl_start(e, &l, EV_STEP_FINISHED, eng_qid_of(e, n));
	eng_evl_set(e, &l, EK_status, eng_str_state(e, st));
	eng_evl_set(e, &l, EK_kind, eng_str_kind(e, pn->step->kind));
	eng_evl_set(e, &l, EK_duration_ms, jv_number(s->started ? (double)(s->finished - s->started) : 0));
	if (jv_is_valid(s->error) && jv_get_kind(s->error) != JV_KIND_NULL)
		eng_evl_set(e, &l, EK_error, jv_copy(s->error));
	if (st == ST_SKIPPED && jv_get_kind(s->extra) == JV_KIND_STRING)
		eng_evl_set(e, &l, EK_reason, jv_copy(s->extra));
	else if (jv_get_kind(s->extra) == JV_KIND_OBJECT)
		eng_evl_merge(&l, jv_copy(s->extra));
	if (!pn->step->critical && st == ST_FAILED)
		eng_evl_set(e, &l, EK_critical, jv_false());
	eng_evl_set(e, &l, EK_outputs, eng_node_outputs(e, n));
	eng_evl_set(e, &l, EK_result, eng_node_results(e, n));
	eng_evl_set(e, &l, EK_unknown, jv_bool(s->unknown));
	eng_evl_emit(e, &l, node_end_sync(e, n));
	if (st == ST_FAILED) {
		if (pn->step->critical) {
			char buf[2048];
			eng_fail_run(e, EXIT_FAILED, jv_string_fmt("step '%s' failed: %s", eng_qid_of(e, n), eng_err_text(s->error, buf, sizeof(buf))));
		} else {
			e->failed_noncritical++;
			e->noncritical = jv_array_append(e->noncritical, jv_string(eng_qid_of(e, n)));
		}
	}
	for (int i = 0; i < pn->nrdeps; i++) {
		int r = pn->rdeps[i];
		if (--e->ns[r].deps_left == 0 && e->ns[r].st == ST_PENDING)
			eng_ready_push(e, r);
	}
}
void eng_node_item_done(struct engine *e, int n, int item, enum step_state st, jv err, jv result, jv outputs)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	int idx = item < 0 ? 0 : item;
	jv_free(s->results[idx]);
	jv_free(s->outputs[idx]);
	s->results[idx] = result;
	s->outputs[idx] = outputs;
	s->item_st[idx] = st;
	s->running--;
	s->ndone++;
	if (st == ST_FAILED) {
		s->nfailed++;
		if (!jv_is_valid(s->error) || jv_get_kind(s->error) == JV_KIND_NULL) {
			jv_free(s->error);
			s->error = jv_copy(err);
		}
	}
	if ((st == ST_SUCCEEDED || st == ST_DRY_RUN) && pn->step->nrollback > 0 && !s->replaying) {
		ALLOC_GROW(e->done_order, e->ndone + 2, e->adone);
		e->done_order[e->ndone++] = n;
		e->done_order[e->ndone++] = item;
	}
	if (item >= 0 && !s->replaying) {
		jv ev = eng_ev_new(e, EV_ITEM_FINISHED, eng_qid_of(e, n));
		ev = jv_object_set(ev, jv_string("item"), jv_number(item));
		ev = jv_object_set(ev, jv_string("value"), jv_array_get(jv_copy(s->items), item));
		ev = jv_object_set(ev, jv_string("status"), jv_string(step_state_name(st)));
		if (jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL)
			ev = jv_object_set(ev, jv_string("error"), jv_copy(err));
		ev = jv_object_set(ev, jv_string("outputs"), jv_copy(s->outputs[idx]));
		ev = jv_object_set(ev, jv_string("result"), jv_copy(s->results[idx]));
		/* for resume and reports: journal only (the display shows the item's calls) */
		journal_append_redacted(&e->jn, redact_jv(e->o->redact, ev), node_end_sync(e, n));
	}
	jv_free(err);
	if (item >= 0 && !s->nfailed && !e->aborting)
		eng_start_items(e, n);
	if (s->running > 0)
		return;
	if (item >= 0 && s->next_item < s->nitems && !s->nfailed && !e->aborting)
		return;
	/* items that finish at once (uses, assert) finish the node inside eng_start_items'
	 * recursion: the outer calls find it finished already */
	if (s->st != ST_RUNNING)
		return;
	enum step_state fin;
	if (s->nfailed || (item >= 0 && s->next_item < s->nitems))
		fin = ST_FAILED;
	else if (item < 0)
		fin = st;
	else {
		fin = ST_SUCCEEDED;
		for (int i = 0; i < s->nitems; i++)
			if (s->item_st[i] == ST_DRY_RUN)
				fin = ST_DRY_RUN;
	}
	if (fin == ST_FAILED && (!jv_is_valid(s->error) || jv_get_kind(s->error) == JV_KIND_NULL)) {
		jv_free(s->error);
		s->error = eng_err_obj("aborted", "not every item ran (the run was aborted)");
	}
	if (fin == ST_DRY_RUN)
		s->unknown = 1;
	node_finish(e, n, fin);
}
struct task *eng_task_new(struct engine *e, int node, int scope, const struct rb_step *st, int item, jv item_v)
{
	struct task *t = xcalloc(1, sizeof(*t));
	t->node = node;
	t->scope = scope;
	t->step = st;
	t->item = item;
	t->item_v = item_v;
	t->args = jv_null();
	t->last_value = jv_null();
	t->rb_entry = -1;
	(void)e;
	return t;
}
void eng_start_items(struct engine *e, int n)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	int limit = pn->step->concurrency > 0 ? pn->step->concurrency : e->max_parallel;
	while (s->next_item < s->nitems && s->running < limit && !e->aborting && !s->nfailed) {
		int i = s->next_item++;
		if (s->item_st[i] == ST_SUCCEEDED) {   /* resume: done before the crash */
			s->running++;
			s->replaying = 1;
			eng_node_item_done(e, n, i, ST_SUCCEEDED, jv_null(), jv_copy(s->results[i]), jv_copy(s->outputs[i]));
			s->replaying = 0;
			continue;
		}
		char q[1200];
		snprintf(q, sizeof(q), "%s[%d]", eng_qid_of(e, n), i);
		struct task *t = eng_task_new(e, n, pn->scope, pn->step, i, jv_array_get(jv_copy(s->items), i));
		t->qid = xstrdup(q);
		s->running++;
		eng_task_start(e, t);
	}
}
/* whether scope sc is scope top or inside it */
int eng_in_scope(struct engine *e, int sc, int top)
{
	for (; sc >= 0; sc = e->p->scopes[sc].parent)
		if (sc == top)
			return 1;
	return 0;
}
/* prepare a `uses:` scope: its params from the uses step's `with:` in the parent */
int eng_scope_prepare(struct engine *e, int scope, jv *err)
{
	int berr = 0;
	if (scope == 0 || e->scope_state[scope] != 0)
		return e->scope_state[scope];
	const struct plan_scope *ps = &e->p->scopes[scope];
	int parent_state = eng_scope_prepare(e, ps->parent, err);
	if (parent_state != 1) {
		e->scope_state[scope] = parent_state;
		return parent_state;
	}
	const struct rb_step *us = e->p->nodes[ps->uses_node].step;
	jv c = eng_ctx_for(e, ps->parent, jv_invalid(), jv_invalid());
	if (us->when >= 0) {
		jv w = exprset_eval1(e->set, us->when, jv_copy(c));
		if (!jv_is_valid(w)) {
			*err = eng_err_from_invalid("expression", "when", w);
			jv_free(c);
			return e->scope_state[scope] = -1;
		}
		int go = jvx_truthy(w);
		jv_free(w);
		if (!go) {
			jv_free(c);
			return e->scope_state[scope] = 2;
		}
	}
	if (us->for_each >= 0) {
		/* the child runs once per item (eng_uses_next_item), .item in its with: */
		if (!jv_is_valid(e->scope_items[scope])) {
			if (eng_expr_unknown(e, ps->parent, us->for_each)) {
				jv_free(c);
				return e->scope_state[scope] = 2;
			}
			jv items = exprset_eval1(e->set, us->for_each, jv_copy(c));
			if (!jv_is_valid(items) || jv_get_kind(items) != JV_KIND_ARRAY) {
				*err = !jv_is_valid(items) ? eng_err_from_invalid("expression", "for_each", items) :
					eng_err_obj("for_each", "for_each of '%s' must give a list, not %s",
						eng_qid_of(e, ps->uses_node), jvx_kind_name(items));
				if (jv_is_valid(items))
					jv_free(items);
				jv_free(c);
				return e->scope_state[scope] = -1;
			}
			if (jv_array_length(jv_copy(items)) == 0) {
				jv_free(items);
				jv_free(c);
				return e->scope_state[scope] = 2;
			}
			e->scope_items[scope] = items;
			e->scope_iter[scope] = 0;
			for (int k = ps->uses_node + 1; k < e->p->n && eng_in_scope(e, e->p->nodes[k].scope, scope); k++)
				eng_dqid_set(e, k);
		}
		jv item = jv_array_get(jv_copy(e->scope_items[scope]), e->scope_iter[scope]);
		c = jv_object_set(c, jv_string("item"), item);
	}
	jv raw = us->with ? eng_tmpl_eval_dry(e, ps->parent, us->with, c) : jv_object();
	jv_free(c);
	if (!jv_is_valid(raw)) {
		*err = eng_err_from_invalid("expression", "with", raw);
		return e->scope_state[scope] = -1;
	}
	struct diag_list dl = {0};
	jv params = params_resolve(ps->rb, raw, e->o->redact, &dl);
	if (!jv_is_valid(params)) {
		jv_free(params);
		struct buf b = BUF_INIT(CAP_MESSAGE);
		for (int i = 0; i < dl.n && !berr; i++) {
			char *l = diag_format_line(&dl.items[i]);
			berr |= buf_addf(&b, "%s%s", i ? "; " : "", l);
			free(l);
		}
		/* at the cap the list stops and says so */
		*err = eng_err_obj("params", "params of '%s': %s%s", us->uses, buf_str(&b), berr ? "; ..." : "");
		buf_release(&b);
		diag_list_release(&dl);
		return e->scope_state[scope] = -1;
	}
	diag_list_release(&dl);
	e->ctx[scope] = jv_object_set(e->ctx[scope], jv_string("params"), params);
	return e->scope_state[scope] = 1;
}
/* what a node's state owns */
void eng_node_release(struct node_st *s)
{
	int m = s->nitems > 0 ? s->nitems : 1;
	if (s->results)
		for (int i = 0; i < m; i++) {
			jv_free(s->results[i]);
			jv_free(s->outputs[i]);
		}
	free(s->results);
	free(s->outputs);
	free(s->item_st);
	jv_free(s->items);
	jv_free(s->error);
	jv_free(s->extra);
}
void eng_node_reset(struct engine *e, int k)
{
	struct node_st *s = &e->ns[k];
	eng_node_release(s);
	memset(s, 0, sizeof(*s));
	s->st = ST_PENDING;
	s->items = jv_invalid();
	s->error = jv_null();
	s->extra = jv_null();
}
void eng_node_start(struct engine *e, int n)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	const struct rb_step *st = pn->step;
	jv err = jv_invalid();
	if (eng_uses_next_item(e, n))
		return;
	s->st = ST_RUNNING;
	s->started = clock_now(e->clk);
	for (int i = 0; i < pn->ndeps; i++)
		if (e->ns[pn->deps[i]].unknown || e->ns[pn->deps[i]].unknown_anc)
			s->unknown_anc = 1;
	int ss = eng_scope_prepare(e, pn->scope, &err);
	if (ss == 2 || ss == -1) {
		s->results = xcalloc(1, sizeof(jv));
		s->outputs = xcalloc(1, sizeof(jv));
		s->item_st = xcalloc(1, sizeof(*s->item_st));
		s->results[0] = jv_null();
		s->outputs[0] = jv_object();
		if (ss == 2) {
			jv_free(s->extra);
			s->extra = jv_string("the uses step is skipped");
			node_finish(e, n, ST_SKIPPED);
		} else {
			jv_free(s->error);
			s->error = err;
			node_finish(e, n, ST_FAILED);
		}
		return;
	}
	eng_ctx_update(e, n);
	struct evl l;
	eng_evl_start(e, &l, EV_STEP_STARTED, eng_qid_of(e, n));
	eng_evl_set(e, &l, EK_kind, eng_str_kind(e, st->kind));
	if (st->name)
		eng_evl_set(e, &l, EK_name, jv_string(st->name));
	if (st->kind == STEP_ACTION)
		eng_evl_set(e, &l, EK_action, jv_string(st->action));
	eng_evl_set(e, &l, EK_attempts, jv_number(st->retry.attempts > 0 ? st->retry.attempts : 1));
	/* an action's start reaches the disk with its first mutating call (invoke.c
	 * syncs it ahead of the call); until then losing it changes nothing. An assert
	 * only reads: lost, it runs again */
	eng_evl_emit(e, &l, st->kind != STEP_ACTION && st->kind != STEP_ASSERT ? STATE_SYNC : STATE_SYNC_NONE);

	jv c = eng_ctx_for(e, pn->scope, jv_invalid(), jv_invalid());
	int skip = 0;
	expr_deadline(st->timeout_ms ? st->timeout_ms : EXPR_NO_DEADLINE);   /* when, for_each */
	if (st->when >= 0 && !eng_expr_unknown(e, pn->scope, st->when)) {
		jv w = exprset_eval1(e->set, st->when, jv_copy(c));
		if (!jv_is_valid(w)) {
			err = eng_err_from_invalid("expression", "when", w);
			goto fail;
		}
		skip = !jvx_truthy(w);
		jv_free(w);
	}
	int nitems = 1;
	if (!skip && st->for_each >= 0) {
		if (eng_expr_unknown(e, pn->scope, st->for_each)) {
			s->results = xcalloc(1, sizeof(jv));
			s->outputs = xcalloc(1, sizeof(jv));
			s->item_st = xcalloc(1, sizeof(*s->item_st));
			s->results[0] = jv_null();
			s->outputs[0] = jv_object();
			s->unknown = 1;
			jv_free(s->extra);
			s->extra = jv_object_set(jv_object(), jv_string("note"), jv_string("for_each over unknown values: not evaluated"));
			jv_free(c);
			node_finish(e, n, ST_DRY_RUN);
			return;
		}
		jv items = exprset_eval1(e->set, st->for_each, jv_copy(c));
		if (!jv_is_valid(items)) {
			err = eng_err_from_invalid("expression", "for_each", items);
			goto fail;
		}
		if (jv_get_kind(items) != JV_KIND_ARRAY) {
			err = eng_err_obj("for_each", "for_each of '%s' must give a list, not %s", pn->qid, jvx_kind_name(items));
			jv_free(items);
			goto fail;
		}
		jv_free(s->items);
		s->items = items;
		nitems = jv_array_length(jv_copy(items));
	}
	jv_free(c);
	c = jv_invalid();
	if (!s->results) {
		s->nitems = nitems;
		int m = nitems > 0 ? nitems : 1;
		s->results = xcalloc((size_t)m, sizeof(jv));
		s->outputs = xcalloc((size_t)m, sizeof(jv));
		s->item_st = xcalloc((size_t)m, sizeof(*s->item_st));
		for (int i = 0; i < m; i++) {
			s->results[i] = jv_null();
			s->outputs[i] = jv_null();
			s->item_st[i] = ST_PENDING;
		}
	}
	if (e->resumed && jv_is_valid(s->items)) {
		/* items that finished before the crash are not run again */
		jv done = jv_object_get(jv_copy(e->resume_items), jv_string(pn->qid));
		if (jv_get_kind(done) == JV_KIND_OBJECT) {
			jv_object_foreach(done, k, rec) {
				int i = atoi(jv_string_value(k));
				if (i >= 0 && i < s->nitems) {
					jv_free(s->results[i]);
					jv_free(s->outputs[i]);
					s->results[i] = jvx_get(rec, "result");
					s->outputs[i] = jvx_get(rec, "outputs");
					s->item_st[i] = ST_SUCCEEDED;
				}
				jv_free(k);
				jv_free(rec);
			}
		}
		jv_free(done);
	}
	if (skip) {
		jv_free(s->outputs[0]);
		s->outputs[0] = jv_object();
		jv_free(s->extra);
		s->extra = jv_string_fmt("when is false: %s", exprset_text(e->set, st->when));
		node_finish(e, n, ST_SKIPPED);
		return;
	}
	if (jv_is_valid(s->items)) {
		if (s->nitems == 0) {
			node_finish(e, n, ST_SUCCEEDED);
			return;
		}
		eng_start_items(e, n);
		return;
	}
	struct task *t = eng_task_new(e, n, pn->scope, st, -1, jv_invalid());
	t->qid = xstrdup(eng_qid_of(e, n));
	s->running++;
	eng_task_start(e, t);
	return;
fail:
	if (jv_is_valid(c))
		jv_free(c);
	if (!s->results) {
		s->results = xcalloc(1, sizeof(jv));
		s->outputs = xcalloc(1, sizeof(jv));
		s->item_st = xcalloc(1, sizeof(*s->item_st));
		s->results[0] = jv_null();
		s->outputs[0] = jv_null();
	}
	jv_free(s->error);
	s->error = err;
	node_finish(e, n, ST_FAILED);
}
