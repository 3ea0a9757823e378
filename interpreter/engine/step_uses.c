/* step_uses.c — the uses step: a child runbook's steps as a scope, for_each items one
 * after the other, its outputs. */
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

void eng_uses_run(struct engine *e, struct task *t)
{
	int cs = e->scope_of_uses[t->node];
	const struct runbook *child = cs >= 0 ? e->p->scopes[cs].rb : NULL;
	jv outs = jv_object();
	int unknown = 0;
	if (child && e->scope_state[cs] == 0) {
		/* resume: every child step finished before the crash */
		jv perr = jv_invalid();
		if (eng_scope_prepare(e, cs, &perr) < 0) {
			jv_free(outs);
			eng_task_finish(e, t, ST_FAILED, perr, jv_null(), jv_null());
			return;
		}
		jv_free(perr);
	}
	int recorded = cs >= 0 && t->item >= 0 ? jv_array_length(jv_copy(e->scope_outs[cs])) : 0;
	if (child && t->item >= 0 && t->item < recorded) {
		/* for_each: the child's outputs when it ran for this item */
		jv_free(outs);
		outs = jv_array_get(jv_copy(e->scope_outs[cs]), t->item);
	} else if (child && e->scope_state[cs] == 1) {
		jv c = eng_ctx_for(e, cs, jv_invalid(), jv_invalid());
		for (int i = 0; i < child->noutputs; i++) {
			if (eng_expr_unknown(e, cs, child->outputs[i].expr)) {
				unknown = 1;
				outs = jv_object_set(outs, jv_string(child->outputs[i].name), jv_string(UNKNOWN_TEXT));
				continue;
			}
			jv v = exprset_eval1(e->set, child->outputs[i].expr, jv_copy(c));
			if (!jv_is_valid(v)) {
				char what[300];
				snprintf(what, sizeof(what), "output '%s' of '%s'", child->outputs[i].name, t->step->uses);
				jv err = eng_err_from_invalid("output", what, v);
				jv_free(c);
				jv_free(outs);
				eng_task_finish(e, t, ST_FAILED, err, jv_null(), jv_null());
				return;
			}
			outs = jv_object_set(outs, jv_string(child->outputs[i].name), v);
		}
		jv_free(c);
	}
	jv err = jv_invalid();
	jv o = eng_eval_outputs(e, t, outs, &err);
	if (!jv_is_valid(o)) {
		jv_free(o);
		eng_task_finish(e, t, ST_FAILED, err, outs, jv_null());
		return;
	}
	if (unknown)
		e->ns[t->node].unknown = 1;
	eng_task_finish(e, t, unknown ? ST_DRY_RUN : ST_SUCCEEDED, jv_null(), outs, o);
}
/* the child outputs of uses node n's scope cs for the item that just ran, or invalid */
static jv child_outputs(struct engine *e, int cs)
{
	const struct runbook *child = e->p->scopes[cs].rb;
	jv outs = jv_object();
	jv c = eng_ctx_for(e, cs, jv_invalid(), jv_invalid());
	for (int i = 0; i < child->noutputs; i++) {
		jv v = exprset_eval1(e->set, child->outputs[i].expr, jv_copy(c));
		if (!jv_is_valid(v)) {
			jv_free(c);
			jv_free(outs);
			return v;
		}
		outs = jv_object_set(outs, jv_string(child->outputs[i].name), v);
	}
	jv_free(c);
	return outs;
}
/* For_each on `uses:` (n the uses node, ready: the child ran for the current item).
 * Records the child's outputs for the item; when items are left, keeps what the
 * rollback needs of the child's completed steps (rb_snap), resets the child's nodes,
 * moves to the next item and returns 1 (n waits again). 0: every item ran, n runs. */
int eng_uses_next_item(struct engine *e, int n)
{
	int cs = e->scope_of_uses[n];
	if (cs < 0 || !jv_is_valid(e->scope_items[cs]) || e->scope_state[cs] != 1)
		return 0;
	int nitems = jv_array_length(jv_copy(e->scope_items[cs]));
	if (jv_array_length(jv_copy(e->scope_outs[cs])) > e->scope_iter[cs])
		return 0;
	jv outs = child_outputs(e, cs);
	if (!jv_is_valid(outs)) {
		jv_free(outs);       /* eng_uses_run evaluates it again and fails the step */
		return 0;
	}
	e->scope_outs[cs] = jv_array_append(e->scope_outs[cs], outs);
	if (e->scope_iter[cs] + 1 >= nitems)
		return 0;
	int last = n;
	while (last + 1 < e->p->n && eng_in_scope(e, e->p->nodes[last + 1].scope, cs))
		last++;
	for (int k = 0; k < e->ndone; k += 2) {
		int dn = e->done_order[k];
		if (dn <= n || dn > last)
			continue;
		char key[32];
		snprintf(key, sizeof(key), "%d", k);
		jv have = jv_object_get(jv_copy(e->rb_snap), jv_string(key));
		int had = jv_is_valid(have);
		jv_free(have);
		if (had)
			continue;
		jv snap = jv_object(), r = jv_null(), o = jv_object();
		eng_rb_undone(e, dn, e->done_order[k + 1], &r, &o);
		jv item = eng_rb_item_value(e, dn, e->done_order[k + 1]);
		snap = jv_object_set(snap, jv_string("result"), r);
		snap = jv_object_set(snap, jv_string("outputs"), o);
		snap = jv_object_set(snap, jv_string("item"), jv_is_valid(item) ? item : (jv_free(item), jv_null()));
		snap = jv_object_set(snap, jv_string("ctx"), jv_copy(e->ctx[e->p->nodes[dn].scope]));
		snap = jv_object_set(snap, jv_string("qid"), jv_string(eng_qid_of(e, dn)));
		e->rb_snap = jv_object_set(e->rb_snap, jv_string(key), snap);
	}
	e->scope_iter[cs]++;
	for (int sc = 0; sc < e->p->nscopes; sc++) {
		if (!eng_in_scope(e, sc, cs))
			continue;
		e->scope_state[sc] = 0;
		e->ctx[sc] = jv_object_set(e->ctx[sc], jv_string("steps"), jv_object());
		if (sc != cs) {
			jv_free(e->scope_items[sc]);
			jv_free(e->scope_outs[sc]);
			e->scope_items[sc] = jv_invalid();
			e->scope_outs[sc] = jv_array();
			e->scope_iter[sc] = 0;
		}
	}
	for (int k = n + 1; k <= last; k++) {
		eng_node_reset(e, k);
		eng_dqid_set(e, k);
		eng_ctx_update(e, k);
	}
	for (int k = n + 1; k <= last; k++) {
		const struct plan_node *pk = &e->p->nodes[k];
		for (int i = 0; i < pk->ndeps; i++)
			if (e->ns[pk->deps[i]].st == ST_PENDING)
				e->ns[k].deps_left++;
	}
	e->ns[n].deps_left = e->p->nodes[n].ndeps;
	for (int k = last; k > n; k--)
		if (e->ns[k].deps_left == 0)
			eng_ready_push(e, k);
	return 1;
}
