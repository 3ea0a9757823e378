/* resume.c — engine_resume: the journal read back, finished steps kept, steps running at
 * the crash re-run, checked or asked about, the rollback resumed. */
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

/* errors that say the request was refused before it changed anything */
static const char *const refused_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "SlowDown",
	"TooManyRequestsException", "RequestThrottled", NULL,
};
/* errors that say nothing about whether it landed */
static const char *const unknown_codes[] = {
	"Cancelled", "RequestTimeout", "ConnectionError", "timeout", "Timeout", NULL,
};
enum { RD_REFUSE = -1, RD_RUN = 0, RD_FOUND = 1, RD_DONE = 2 };

static int code_in(const char *code, const char *const *list)
{
	for (int i = 0; code && list[i]; i++)
		if (!strcmp(code, list[i]))
			return 1;
	return 0;
}
/* borrows ev (a "result" event) */
static int result_unsure(jv ev)
{
	if ((int)jvx_num(ev, "rc", -1) == 0)
		return 1;                   /* it happened: the check must see it */
	jv err = jvx_get(ev, "result");
	int unsure = 1;
	if (jv_get_kind(err) == JV_KIND_OBJECT) {
		const char *code = jvx_str(err, "code");
		unsure = jvx_bool(err, "transient", 0);
		if (code_in(code, refused_codes))
			unsure = 0;
		if (code_in(code, unknown_codes))
			unsure = 1;
	}
	jv_free(err);
	return unsure;
}
/* note a "call" (result 0) or "result" (1) event; consumes calls, borrows ev */
static jv calls_note(jv calls, jv ev, int result)
{
	const char *step = jvx_str(ev, "step"), *mode = jvx_str(ev, "mode");
	int run = !mode || !strcmp(mode, "run");
	if (!step)
		return calls;
	jv rec = jv_object_get(jv_copy(calls), jv_string(step));
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		rec = jv_object();
	}
	const char *last = jvx_str(rec, "last");
	int last_run = last && !strcmp(last, "run"), open = jvx_bool(rec, "open", 0);
	if (!result) {
		if (run) {
			rec = jv_object_set(rec, jv_string("n"), jv_number(jvx_num(rec, "n", 0) + 1));
			rec = jv_object_set(rec, jv_string("open"), jv_true());
		}
		rec = jv_object_set(rec, jv_string("last"), jv_string(mode ? mode : "run"));
	} else if (run && last_run && open) {
		rec = jv_object_set(rec, jv_string("open"), jv_false());
		if (result_unsure(ev))
			rec = jv_object_set(rec, jv_string("unsure"), jv_true());
	}
	return jv_object_set(calls, jv_string(step), rec);
}
static void call_info(jv calls, const char *qid, int *n, int *unsure)
{
	jv rec = jv_object_get(jv_copy(calls), jv_string(qid));
	*n = 0;
	*unsure = 0;
	if (jv_get_kind(rec) == JV_KIND_OBJECT) {
		*n = (int)jvx_num(rec, "n", 0);
		*unsure = jvx_bool(rec, "unsure", 0) || jvx_bool(rec, "open", 0);
	}
	jv_free(rec);
}
static int named_in(const char **list, const char *qid)
{
	for (int i = 0; list && list[i]; i++)
		if (!strcmp(list[i], qid))
			return 1;
	return 0;
}
/* the operator decides about a call that may have taken effect: RD_RUN, RD_DONE (by
 * is who said so) or RD_REFUSE (dl says how to answer without a terminal) */
static int resume_ask(struct engine *e, const char *qid, const char *why, int allow_done, char *by, size_t nby,
		      struct diag_list *dl)
{
	if (e->o->io.confirm) {
		char ts[40];
		struct engine_confirm_req req = {
			.kind = ENGINE_ASK_RESUME, .step = qid, .why = why, .allow_done = allow_done,
		};
		struct engine_confirm_ans ans = { ENGINE_ANS_NO, 0 };
		e->o->io.confirm(e->o->io.ctx, &req, &ans);
		if (ans.answer == ENGINE_ANS_DONE && !allow_done)
			ans.answer = ENGINE_ANS_NO;
		jv ev = eng_ev_new(e, EV_CONFIRM, qid);
		ev = jv_object_set(ev, jv_string("status"), jv_string(ans.answer == ENGINE_ANS_NO ? "declined" : "approved"));
		ev = jv_object_set(ev, jv_string("prompt"), jv_string(ans.answer == ENGINE_ANS_DONE ?
			"counts as done after a crash" : "run again after a crash"));
		ev = jv_object_set(ev, jv_string("by"), jv_string(eng_user_name(by, nby)));
		ev = jv_object_set(ev, jv_string("at"), jv_string(eng_time_str(clock_now(e->clk), ts, sizeof(ts))));
		eng_emit(e, ev, 1);
		if (ans.answer == ENGINE_ANS_YES)
			return RD_RUN;
		if (ans.answer == ENGINE_ANS_DONE)
			return RD_DONE;
	}
	diag_error(dl, NULL, "step '%s' was running when run '%s' stopped and %s: check by hand, then resume "
		   "with --rerun %s (run it again)%s%s", qid, e->run_id, why, qid,
		   allow_done ? " or --done " : "", allow_done ? qid : "");
	if (allow_done)
		diag_note(dl, NULL, "--done %s: it took effect; it counts as succeeded%s and is not run again", qid,
			  strstr(qid, ".rollback.") ? "" : " without outputs");
	return RD_REFUSE;
}
/* one check() call, journaled like every call (mode "check"); borrows args and conns */
static int resume_check_once(struct engine *e, const char *qid, const struct action_desc *d, jv args, jv conns,
			     jv *out)
{
	struct job j = {0};
	j.e = e;
	j.desc = d;
	j.mode = JOB_CHECK;
	j.step = (char *)qid;
	j.item = -1;
	j.deadline = clock_now(e->clk) + RESUME_CHECK_MS;   /* a check that hangs is a failed check */
	j.args = jvx_deep_copy(args);
	j.conns = jvx_deep_copy(conns);
	j.out = jv_null();
	invoke(e, &j);
	jv_free(j.conns);
	*out = j.out;
	return j.rc;
}
/* a step, item or rollback step qid that was running when the process died: may it
 * run again? Consumes args (evaluated `with:`); borrows item and calls. RD_FOUND puts
 * the check's result in *out. Never re-sends a mutating call whose outcome is unknown:
 * a checkable one is checked until its effect appears (settle time), else asked. */
static int resume_decide(struct engine *e, const char *qid, const struct action_desc *d, jv args, int scope,
			 jv item, jv calls, int allow_done, jv *out, char *by, size_t nby, struct diag_list *dl)
{
	char why[2048], d1[64];
	int ncalls, unsure, ret;
	jv conns = jv_invalid();
	*out = jv_null();
	snprintf(by, nby, "--done");
	call_info(calls, qid, &ncalls, &unsure);
	/* no call reached the action: nothing can have happened. An idempotent action
	 * runs again, but not over a call that may still be landing when that can be
	 * checked (a second request would be a repeat even if harmless) */
	int idem = (d->flags & ACT_IDEMPOTENT) != 0, checkable = (d->flags & ACT_CHECKABLE) && d->check;
	if (ncalls == 0 || !action_is_mutating(d, args) || (idem && !(unsure && checkable)) ||
	    named_in(e->o->rerun, qid)) {
		ret = RD_RUN;
		goto out;
	}
	if (allow_done && named_in(e->o->assume_done, qid)) {
		ret = RD_DONE;
		goto out;
	}
	snprintf(why, sizeof(why), "action '%s' changes things, is not idempotent and its effect cannot be checked",
		 d->name);
	if (checkable) {
		jv err = jv_invalid();
		conns = eng_eval_connections(e, scope, item, &err);
		if (!jv_is_valid(conns)) {
			char eb[1024];
			snprintf(why, sizeof(why), "action '%s' could not be checked (%s)", d->name, eng_err_text(err, eb, sizeof(eb)));
			jv_free(err);
			goto ask;
		}
		int64_t settle = e->o->settle_ms > 0 ? e->o->settle_ms : RESUME_SETTLE_MS;
		int64_t start = clock_now(e->clk), iv = 500;
		int sig0 = (int)eng_signals;
		for (int polls = 1;; polls++) {
			jv res;
			int rc = resume_check_once(e, qid, d, args, conns, &res);
			if (rc == 1) {
				*out = res;
				ret = RD_FOUND;
				goto out;
			}
			if (rc == 0 && !unsure) {
				/* the call is known to have failed and its effect is not there */
				jv_free(res);
				ret = RD_RUN;
				goto out;
			}
			int64_t now = clock_now(e->clk);
			dur_format(settle, d1, sizeof(d1));
			if (rc == 0)
				snprintf(why, sizeof(why), "its call of '%s' may still have been landing, but its effect did "
					 "not appear within %s (%d checks)", d->name, d1, polls);
			else {
				char eb[1024];
				snprintf(why, sizeof(why), "action '%s' could not be checked (%s)", d->name, eng_err_text(res, eb, sizeof(eb)));
			}
			jv_free(res);
			if (rc < 0 || now - start >= settle)
				goto ask;
			if (polls == 1) {
				jv ev = eng_ev_new(e, EV_LOG, qid);
				ev = jv_object_set(ev, jv_string("level"), jv_string("info"));
				ev = jv_object_set(ev, jv_string("message"), jv_string_fmt(
					"the call of '%s' was in flight when the run stopped: checking for its effect "
					"for up to %s before anything is sent again", d->name, d1));
				eng_emit(e, ev, 0);
			}
			int64_t wake = now + iv < start + settle ? now + iv : start + settle;
			while (clock_now(e->clk) < wake) {
				if ((int)eng_signals != sig0) {
					diag_error(dl, NULL, "resume stopped by %s while checking step '%s'; nothing was sent "
						   "again and the run can be resumed", eng_sig_name((int)eng_last_sig), qid);
					ret = RD_REFUSE;
					goto out;
				}
				int64_t left = wake - clock_now(e->clk);
				clock_sleep(e->clk, left < 200 ? left : 200, NULL);
			}
			iv = iv * 2 > 10000 ? 10000 : iv * 2;
		}
	}
ask:
	ret = idem ? RD_RUN : resume_ask(e, qid, why, allow_done, by, nby, dl);
out:
	jv_free(args);
	jv_free(conns);
	return ret;
}
/* a for_each step that was running at the crash: 0 go on, -1 refuse */
int eng_resume_items(struct engine *e, int n, const struct action_desc *d, jv calls, struct diag_list *dl)
{
	const struct plan_node *pn = &e->p->nodes[n];
	size_t ql = strlen(pn->qid);
	int called = 0;
	char by[256], why[512];
	jv done = jv_object_get(jv_copy(e->resume_items), jv_string(pn->qid));
	jv_object_foreach(calls, k, v) {
		const char *ks = jv_string_value(k);
		if (!strncmp(ks, pn->qid, ql) && ks[ql] == '[' && !strstr(ks, ".rollback.") && jvx_num(v, "n", 0) > 0) {
			char idx[32];
			snprintf(idx, sizeof(idx), "%d", atoi(ks + ql + 1));
			jv dd = jv_get_kind(done) == JV_KIND_OBJECT ? jv_object_get(jv_copy(done), jv_string(idx)) : jv_invalid();
			if (!jv_is_valid(dd))
				called = 1;
			jv_free(dd);
		}
		jv_free(k);
		jv_free(v);
	}
	jv_free(done);
	if (!called || !(d->flags & ACT_MUTATING) || (d->flags & ACT_IDEMPOTENT) || named_in(e->o->rerun, pn->qid))
		return 0;
	snprintf(why, sizeof(why), "action '%s' changes things and is not idempotent (items of a for_each are not "
		 "checked)", d->name);
	return resume_ask(e, pn->qid, why, 0, by, sizeof(by), dl) == RD_RUN ? 0 : -1;
}
/* the operator checked: the step took effect. It counts as succeeded (no outputs, no
 * result) and its rollback steps count, like any completed step's. */
/* a step a resume counts as done: succeeded with result and outputs (consumed), joins the
 * rollback order, journaled as finished; how = {"checked": true} or {"assumed_done": {...}}
 * (consumed), merged into the step_finished record */
static void resume_mark_done(struct engine *e, int n, jv result, jv outs, jv how)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	s->results = xcalloc(1, sizeof(jv));
	s->outputs = xcalloc(1, sizeof(jv));
	s->item_st = xcalloc(1, sizeof(*s->item_st));
	s->results[0] = jv_copy(result);
	s->outputs[0] = jv_copy(outs);
	s->item_st[0] = ST_SUCCEEDED;
	s->st = ST_SUCCEEDED;
	s->preset = 1;
	s->finished = clock_now(e->clk);
	if (pn->step->nrollback > 0) {
		ALLOC_GROW(e->done_order, e->ndone + 2, e->adone);
		e->done_order[e->ndone++] = n;
		e->done_order[e->ndone++] = -1;
	}
	jv ev = eng_ev_new(e, EV_STEP_FINISHED, pn->qid);
	ev = jv_object_set(ev, jv_string("status"), jv_string("succeeded"));
	ev = jv_object_set(ev, jv_string("kind"), jv_string(step_kind_name(pn->step->kind)));
	ev = jv_object_set(ev, jv_string("duration_ms"), jv_number(0));
	ev = jv_object_merge(ev, how);
	ev = jv_object_set(ev, jv_string("outputs"), outs);
	ev = jv_object_set(ev, jv_string("result"), result);
	eng_emit(e, ev, 1);
}
static void resume_assume_done(struct engine *e, int n, const char *by)
{
	char ts[40];
	jv how = jv_object_set(jv_object_set(jv_object(), jv_string("by"), jv_string(by)), jv_string("at"),
			       jv_string(eng_time_str(clock_now(e->clk), ts, sizeof(ts))));
	resume_mark_done(e, n, jv_null(), jv_object(), jv_object_set(jv_object(), jv_string("assumed_done"), how));
}
/* the check found the step's effect: it succeeded with the check's result (consumed)
 * and its outputs, is journaled as finished, and is rolled back like any other */
static void resume_found(struct engine *e, int n, jv result)
{
	const struct plan_node *pn = &e->p->nodes[n];
	struct task tmp = {0};
	jv err = jv_invalid();
	tmp.step = pn->step;
	tmp.scope = pn->scope;
	tmp.item_v = jv_invalid();
	jv outs = eng_eval_outputs(e, &tmp, result, &err);
	if (!jv_is_valid(outs)) {
		jv_free(outs);
		char eb[1024];
		jv ev = eng_ev_new(e, EV_LOG, pn->qid);
		ev = jv_object_set(ev, jv_string("level"), jv_string("warn"));
		ev = jv_object_set(ev, jv_string("message"), jv_string_fmt(
			"step '%s' took effect (checked) but its outputs cannot be computed from the check's result: %s",
			pn->qid, eng_err_text(err, eb, sizeof(eb))));
		eng_emit(e, ev, 0);
		jv_free(err);
		outs = jv_object();
	}
	resume_mark_done(e, n, result, outs, jv_object_set(jv_object(), jv_string("checked"), jv_true()));
}
/* evaluated `with:` of an action step for a resume decision (an empty map if it cannot
 * be evaluated: the check then fails and the operator is asked) */
static jv resume_args(struct engine *e, const struct action_desc *d, const struct tmpl *with, int scope, jv item)
{
	jv c = eng_ctx_for(e, scope, item, jv_invalid());
	jv args = with ? tmpl_eval(with, e->set, c) : jv_object();
	jv err = jv_invalid();
	jv_free(c);
	if (jv_is_valid(args))
		args = eng_fill_args(e, d, args, &err);
	jv_free(err);
	if (!jv_is_valid(args)) {
		jv_free(args);
		return jv_object();
	}
	eng_taint_args(e, d, args);
	return args;
}
/* a step that was running when the process died: 0 go on (it runs again, or counts
 * as done), -1 refuse (dl says why) */
static int resume_running_step(struct engine *e, int n, jv calls, struct diag_list *dl)
{
	const struct plan_node *pn = &e->p->nodes[n];
	const struct rb_step *st = pn->step;
	char by[256];
	if (st->kind != STEP_ACTION || e->o->dry_run)
		return 0;                    /* waits poll, asserts and confirmations re-ask */
	const struct action_desc *d = pn->desc ? pn->desc : registry_find(st->action);
	if (!d)
		return 0;
	if (st->for_each >= 0)
		return eng_resume_items(e, n, d, calls, dl);
	jv out;
	jv args = resume_args(e, d, st->with, pn->scope, jv_invalid());
	switch (resume_decide(e, pn->qid, d, args, pn->scope, jv_invalid(), calls, 1, &out, by, sizeof(by), dl)) {
	case RD_FOUND:
		resume_found(e, n, out);
		return 0;
	case RD_DONE:
		jv_free(out);
		resume_assume_done(e, n, by);
		return 0;
	case RD_RUN:
		jv_free(out);
		return 0;
	default:
		jv_free(out);
		return -1;
	}
}
/* rollback steps whose call was made before the process died: the same rules as
 * forward steps (checked, never blindly re-sent). 0 go on, -1 refuse */
static int resume_rollback_calls(struct engine *e, jv calls, struct diag_list *dl)
{
	int rc = 0;
	jv_object_foreach(calls, k, v) {
		const char *q = jv_string_value(k);
		const char *rbp = strstr(q, ".rollback.");
		char owner[1024], key[1300], by[256];
		int item = -1, index, n;
		jv_free(v);
		if (rc < 0 || !rbp || (size_t)(rbp - q) >= sizeof(owner)) {
			jv_free(k);
			continue;
		}
		index = atoi(rbp + 10) - 1;
		snprintf(owner, sizeof(owner), "%.*s", (int)(rbp - q), q);
		char *br = strrchr(owner, '[');
		if (br && owner[strlen(owner) - 1] == ']') {
			item = atoi(br + 1);
			*br = '\0';
		}
		n = plan_find(e->p, owner);
		if (n < 0 || index < 0 || index >= e->p->nodes[n].step->nrollback) {
			jv_free(k);
			continue;
		}
		const struct plan_node *pn = &e->p->nodes[n];
		const struct rb_step *st = &pn->step->rollback[index];
		snprintf(key, sizeof(key), "%s#%d#%d", pn->qid, item, index);
		jv dn = jv_object_get(jv_copy(e->rb_done), jv_string(key));
		int already = jv_get_kind(dn) == JV_KIND_TRUE;
		jv_free(dn);
		const struct action_desc *d = st->kind == STEP_ACTION ? registry_find(st->action) : NULL;
		if (already || !d) {
			jv_free(k);
			continue;
		}
		jv item_v = eng_rb_item_value(e, n, item), out;
		jv args = resume_args(e, d, st->with, pn->scope, item_v);
		int r = resume_decide(e, q, d, args, pn->scope, item_v, calls, 1, &out, by, sizeof(by), dl);
		jv_free(item_v);
		if (r == RD_FOUND || r == RD_DONE) {
			e->rb_done = jv_object_set(e->rb_done, jv_string(key), jv_true());
			jv ev = eng_ev_new(e, EV_ROLLBACK_STEP, pn->qid);
			ev = jv_object_set(ev, jv_string("rollback_step"), jv_string(q));
			ev = jv_object_set(ev, jv_string("item"), jv_number(item));
			ev = jv_object_set(ev, jv_string("index"), jv_number(index));
			ev = jv_object_set(ev, jv_string("status"), jv_string("succeeded"));
			if (r == RD_FOUND)
				ev = jv_object_set(ev, jv_string("checked"), jv_true());
			else
				ev = jv_object_set(ev, jv_string("assumed_done"), jv_object_set(jv_object(), jv_string("by"), jv_string(by)));
			eng_emit(e, ev, 1);
		} else if (r == RD_REFUSE) {
			rc = -1;
		}
		jv_free(out);
		jv_free(k);
	}
	return rc;
}
int engine_resume(const struct plan *plan, const struct engine_resumable *r, const struct engine_opts *o,
		  struct diag_list *dl)
{
	const char *run_id = r->run_id;
	int rc = EXIT_INVALID;
	struct engine *e = NULL;
	jv journal = jv_copy(r->journal), started = r->started, calls = jv_object();
	jv running = jv_object();
	jv fe_uses = jv_object();        /* for_each uses: steps whose child steps ran */
	char **approve = NULL;
	int op_abort = 0, rb_seen = 0;   /* the abort was only the operator's Ctrl-C; rollback began */

	struct engine_opts eo = *o;
	eo.yes = o->yes || jvx_bool(started, "yes", 0);
	{
		jv appr = jvx_get(started, "approve");
		int n = 0, m = jv_get_kind(appr) == JV_KIND_ARRAY ? jv_array_length(jv_copy(appr)) : 0;
		for (int i = 0; o->approve && o->approve[i]; i++)
			n++;
		approve = xcalloc((size_t)(n + m + 1), sizeof(*approve));
		for (int i = 0; i < n; i++)
			approve[i] = xstrdup(o->approve[i]);
		for (int i = 0; i < m; i++) {
			jv a = jv_array_get(jv_copy(appr), i);
			approve[n + i] = xstrdup(jv_get_kind(a) == JV_KIND_STRING ? jv_string_value(a) : "");
			jv_free(a);
		}
		jv_free(appr);
		eo.approve = (const char **)approve;
	}
	eo.dry_run = jvx_bool(started, "dry_run", 0);
	eo.no_rollback = o->no_rollback || jvx_bool(started, "no_rollback", 0);
	if (!o->max_parallel)
		eo.max_parallel = (int)jvx_num(started, "max_parallel", 0);
	e = engine_new(plan, &eo);
	e->resumed = 1;
	e->run_id = xstrdup(run_id);
	{
		int64_t t0 = 0;
		const char *ts = jvx_str(started, "time");
		if (!ts || ts_parse(ts, &t0) < 0)
			t0 = clock_now(e->clk);
		e->run_started = t0;
	}
	engine_init_ctx(e);
	/* the whole-run timeout counts again from the resume: the time the run spent
	 * stopped is not the procedure's */
	if (plan->rb->timeout_ms > 0)
		e->run_deadline = clock_now(e->clk) + plan->rb->timeout_ms;
	{
		/* the run's lock (refused while its owner lives), its owner's host, the
		 * runbook's lock; then the journal again: what the owner wrote last is in */
		jv lerr = jv_invalid();
		int lrc = eng_lock_resume(e, journal, &lerr);
		if (lrc != EXIT_OK) {
			diag_error(dl, NULL, "%s", jv_string_value(lerr));
			jv_free(lerr);
			rc = lrc;
			goto out;
		}
		jv again = state_run_events(o->state, run_id);
		if (jv_is_valid(again)) {
			jv_free(journal);
			journal = again;
		} else {
			jv_free(again);
		}
		int n = jv_array_length(jv_copy(journal));
		jv last = n > 0 ? jv_array_get(jv_copy(journal), n - 1) : jv_null();
		int finished = ev_kind_of(last) == EV_RUN_FINISHED;
		jv_free(last);
		if (finished) {
			diag_error(dl, NULL, "run '%s' already finished; nothing to resume", run_id);
			goto out;
		}
		if (!(e->run_dir = state_run_workdir(o->state, run_id, &lerr))) {
			diag_error(dl, NULL, "%s", jv_string_value(lerr));
			jv_free(lerr);
			goto out;
		}
	}
	if (o->record_path) {
		jv terr = jv_invalid();
		if (tape_check(o->record_path, run_id, &terr) < 0) {
			diag_error(dl, NULL, "%s", jv_string_value(terr));
			jv_free(terr);
			goto out;
		}
	}
	{
		jv jerr = jv_invalid();
		if (journal_open(&e->jn, o->state, run_id, o->record_path, o->redact, &jerr) < 0) {
			diag_error(dl, NULL, "cannot open the journal of run '%s': %s", run_id, jv_string_value(jerr));
			jv_free(jerr);
			goto out;
		}
	}
	e->jopen = 1;
	journal_tape_header(&e->jn, eng_tape_header_of(e, plan), e->run_started);
	journal_tape_seed(&e->jn, journal);

	/* replay the journal into the state */
	jv_array_foreach(journal, i, ev) {
		enum ev_kind kind = ev_kind_of(ev);
		const char *step = jvx_str(ev, "step");
		int n = step ? plan_find(plan, step) : -1;
		if (kind == EV_UNKNOWN) {
			jv_free(ev);
			continue;
		}
		if (n < 0 && step && strchr(step, '[') && kind == EV_STEP_STARTED) {
			/* a step of a for_each uses: child ("each[1].say") */
			char u[1024];
			snprintf(u, sizeof(u), "%.*s", (int)(strchr(step, '[') - step), step);
			int un = plan_find(plan, u);
			if (un >= 0 && plan->nodes[un].step->kind == STEP_USES && plan->nodes[un].step->for_each >= 0)
				fe_uses = jv_object_set(fe_uses, jv_string(u), jv_true());
		}
		if (kind == EV_CALL || kind == EV_RESULT) {
			/* keyed as journaled: "qid", "qid[3]", "qid.rollback.1" */
			calls = calls_note(calls, ev, kind == EV_RESULT);
		} else if (kind == EV_RUN_INTERRUPTED) {
			/* Ctrl-C, then Ctrl-C again (or TERM, HUP) before the rollback began:
			 * stopped, not failed; the resume goes on with the run */
			if (e->aborting && op_abort && !rb_seen) {
				e->aborting = 0;
				e->outcome = 0;
				jv_free(e->fail_reason);
				e->fail_reason = jv_null();
			}
		} else if (kind == EV_RUN_FAILING) {
			if (!e->aborting)
				op_abort = jvx_bool(ev, "operator", 0);
			e->aborting = 1;
			e->outcome = (int)jvx_num(ev, "outcome", EXIT_FAILED);
			jv_free(e->fail_reason);
			e->fail_reason = jvx_get(ev, "reason");
			if (!jv_is_valid(e->fail_reason))
				e->fail_reason = jv_null();
		} else if (kind == EV_STEP_STARTED && n >= 0) {
			running = jv_object_set(running, jv_string(step), jv_true());
		} else if (kind == EV_ITEM_FINISHED && n >= 0) {
			const char *sts = jvx_str(ev, "status");
			if (sts && (!strcmp(sts, "succeeded") || !strcmp(sts, "dry_run"))) {
				int item = (int)jvx_num(ev, "item", -1);
				jv it = jv_object_get(jv_copy(e->resume_items), jv_string(step));
				if (!jv_is_valid(it))
					it = jv_object();
				jv rec = jv_object();
				rec = jv_object_set(rec, jv_string("outputs"), jvx_get(ev, "outputs"));
				rec = jv_object_set(rec, jv_string("result"), jvx_get(ev, "result"));
				rec = jv_object_set(rec, jv_string("value"), jvx_get(ev, "value"));
				it = jv_object_set(it, jv_string_fmt("%d", item), rec);
				e->resume_items = jv_object_set(e->resume_items, jv_string(step), it);
				if (e->p->nodes[n].step->nrollback > 0) {
					ALLOC_GROW(e->done_order, e->ndone + 2, e->adone);
					e->done_order[e->ndone++] = n;
					e->done_order[e->ndone++] = item;
				}
			}
		} else if (kind == EV_STEP_FINISHED && n >= 0) {
			struct node_st *s = &e->ns[n];
			enum step_state st = ST_FAILED;
			const char *sts = jvx_str(ev, "status");
			if (sts)
				step_state_parse(sts, &st);
			running = jv_object_delete(running, jv_string(step));
			jv ferr = jvx_get(ev, "error");
			int by_abort = st == ST_FAILED && jv_get_kind(ferr) == JV_KIND_OBJECT && jvx_str(ferr, "code") &&
				       !strcmp(jvx_str(ferr, "code"), "aborted");
			jv_free(ferr);
			if (by_abort && op_abort && !rb_seen) {
				/* stopped by the operator's abort, not failed: if the run goes on
				 * it runs again (a retry or poll it was waiting for) */
				jv_free(ev);
				continue;
			}
			s->st = st;
			s->preset = 1;
			if (!s->results) {
				s->results = xcalloc(1, sizeof(jv));
				s->outputs = xcalloc(1, sizeof(jv));
				s->item_st = xcalloc(1, sizeof(*s->item_st));
			} else {
				jv_free(s->results[0]);
				jv_free(s->outputs[0]);
			}
			s->results[0] = jvx_get(ev, "result");
			s->outputs[0] = jvx_get(ev, "outputs");
			if (!jv_is_valid(s->results[0]))
				s->results[0] = jv_null();
			if (!jv_is_valid(s->outputs[0]))
				s->outputs[0] = jv_object();
			s->item_st[0] = st;
			s->unknown = jvx_bool(ev, "unknown", 0);
			int64_t t;
			const char *ts = jvx_str(ev, "time");
			if (ts && ts_parse(ts, &t) == 0) {
				s->finished = t;
				s->started = t - (int64_t)jvx_num(ev, "duration_ms", 0);
			}
			if (st == ST_SUCCEEDED && e->p->nodes[n].step->nrollback > 0 && e->p->nodes[n].step->for_each < 0) {
				ALLOC_GROW(e->done_order, e->ndone + 2, e->adone);
				e->done_order[e->ndone++] = n;
				e->done_order[e->ndone++] = -1;
			}
			if (st == ST_FAILED && !e->p->nodes[n].step->critical) {
				e->failed_noncritical++;
				e->noncritical = jv_array_append(e->noncritical, jv_string(step));
			}
			if (st == ST_FAILED && e->p->nodes[n].step->critical && !by_abort)
				op_abort = 0;
			if (st == ST_FAILED && e->p->nodes[n].step->critical && !e->aborting) {
				/* killed before its run_failing reached the disk: the run fails */
				e->aborting = 1;
				e->outcome = EXIT_FAILED;
				jv_free(e->fail_reason);
				e->fail_reason = jv_string_fmt("step '%s' failed", step);
			}
		} else if (kind == EV_ROLLBACK_STARTED) {
			int had = e->aborting;
			rb_seen = 1;
			e->aborting = 1;
			if (!had)
				e->outcome = EXIT_FAILED;
			jv_free(e->fail_reason);
			e->fail_reason = jvx_get(ev, "reason");
			if (!jv_is_valid(e->fail_reason))
				e->fail_reason = jv_null();
			/* the outcome it recorded (a declined confirmation, the operator's
			 * abort: 4); a journal older than the field: run_failing's, else 1 */
			if (jvx_has(ev, "outcome"))
				e->outcome = (int)jvx_int(ev, "outcome", EXIT_FAILED);
		} else if (kind == EV_ROLLBACK_STEP && step) {
			const char *sts = jvx_str(ev, "status");
			if (sts && strcmp(sts, "running") && strcmp(sts, "failed")) {
				char key[1300];
				snprintf(key, sizeof(key), "%s#%d#%d", step, (int)jvx_num(ev, "item", -1),
					 (int)jvx_num(ev, "index", 0));
				e->rb_done = jv_object_set(e->rb_done, jv_string(key), jv_true());
			}
		}
		jv_free(ev);
	}
	jv_free(journal);
	journal = jv_invalid();
	/* for_each on uses: a finished one's child steps do not run again; one stopped
	 * between its items cannot be continued (its items would run again) */
	jv_object_foreach(fe_uses, k, v) {
		int un = plan_find(plan, jv_string_value(k));
		jv_free(v);
		if (!e->ns[un].preset) {
			diag_error(dl, NULL, "run '%s' stopped inside '%s' (for_each on uses:), which resume "
				   "cannot continue: its items would run again; look at 'runbook show %s'",
				   run_id, jv_string_value(k), run_id);
			jv_free(k);
			rc = EXIT_INVALID;
			goto out;
		}
		for (int x = un + 1; x < plan->n && eng_in_scope(e, plan->nodes[x].scope, e->scope_of_uses[un]); x++) {
			struct node_st *cs = &e->ns[x];
			if (cs->preset)
				continue;
			cs->st = ST_SUCCEEDED;
			cs->preset = 1;
		}
		jv_free(k);
	}
	/* what finished is in the context before anything is evaluated again */
	for (int n = 0; n < plan->n; n++)
		if (e->ns[n].preset)
			eng_ctx_update(e, n);
	/* steps running at the crash (also when the run was failing: one that took
	 * effect must be rolled back) */
	jv_object_foreach(running, k, v) {
		int n = plan_find(plan, jv_string_value(k));
		jv_free(v);
		if (n >= 0 && !e->ns[n].preset && resume_running_step(e, n, calls, dl) < 0) {
			jv_free(k);
			rc = EXIT_INVALID;
			goto out;
		}
		jv_free(k);
	}
	/* finished nodes: their state in the context, their dependants' counts */
	for (int n = 0; n < plan->n; n++) {
		if (!e->ns[n].preset)
			continue;
		eng_ctx_update(e, n);
		for (int i = 0; i < plan->nodes[n].nrdeps; i++)
			e->ns[plan->nodes[n].rdeps[i]].deps_left--;
	}
	/* rollback steps that were running at the crash */
	if (e->aborting && resume_rollback_calls(e, calls, dl) < 0) {
		rc = EXIT_INVALID;
		goto out;
	}
	{
		jv ev = eng_ev_new(e, EV_RUN_RESUMED, NULL);
		ev = jv_object_set(ev, jv_string("runbook"), jv_string(plan->rb->name ? plan->rb->name : ""));
		ev = jv_object_set(ev, jv_string("steps"), engine_steps_list(plan));
		int npre = 0;
		jv done = jv_array();
		for (int n = 0; n < plan->n; n++)
			if (e->ns[n].preset) {
				npre++;
				done = jv_array_append(done, jv_string(plan->nodes[n].qid));
			}
		ev = jv_object_set(ev, jv_string("finished_before"), jv_number(npre));
		ev = jv_object_set(ev, jv_string("done"), done);
		if (e->aborting)
			ev = jv_object_set(ev, jv_string("rolling_back"), jv_true());
		jv me = eng_lock_me(e);
		ev = jv_object_set(ev, jv_string("host"), jvx_get(me, "host"));
		ev = jv_object_set(ev, jv_string("pid"), jvx_get(me, "pid"));
		jv_free(me);
		if (o->take_over)
			ev = jv_object_set(ev, jv_string("take_over"), jv_true());
		ev = redact_jv(o->redact, ev);
		journal_append(&e->jn, jv_copy(ev), 1);
		/* displays start from a run_started: give them one (the journal keeps
		 * the first run's run_started and this run_resumed) */
		ev = jv_object_set(ev, jv_string("event"), jv_string(ev_kind_name(EV_RUN_STARTED)));
		ev = jv_object_set(ev, jv_string("resumed"), jv_true());
		if (o->sink.event)
			o->sink.event(o->sink.arg, ev);
		else
			jv_free(ev);
	}
	rc = engine_exec(e);
out:
	if (e)
		engine_free(e);
	for (int i = 0; approve && approve[i]; i++)
		free(approve[i]);
	free(approve);
	jv_free(journal);
	jv_free(calls);
	jv_free(running);
	jv_free(fe_uses);
	return rc;
}
