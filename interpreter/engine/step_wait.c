/* step_wait.c — the wait step: polls spaced towards the expected completion, missed
 * polls tolerated, timeouts that say what the last poll saw. */
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
#include "../core/backoff.h"
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

/* nearest mutating ancestor action's expected end (its start plus its typical duration:
 * the descriptor's typical() hook on the constant args, else its typical_ms), or 0 */
int64_t eng_expected_end(struct engine *e, int node)
{
	int *queue = xmalloc(sizeof(int) * (size_t)(e->p->n + 1));
	char *seen = xcalloc((size_t)e->p->n, 1);
	int qh = 0, qt = 0;
	int64_t res = 0;
	queue[qt++] = node;
	seen[node] = 1;
	while (qh < qt) {
		int n = queue[qh++];
		const struct plan_node *pn = &e->p->nodes[n];
		if (n != node && pn->step->kind == STEP_ACTION && pn->desc &&
		    (pn->desc->flags & ACT_MUTATING) && pn->typical_ms > 0 && e->ns[n].started) {
			res = e->ns[n].started + pn->typical_ms;
			break;
		}
		for (int i = 0; i < pn->ndeps; i++)
			if (!seen[pn->deps[i]]) {
				seen[pn->deps[i]] = 1;
				queue[qt++] = pn->deps[i];
			}
	}
	free(queue);
	free(seen);
	return res;
}
/* How long until the next poll of a wait (one policy, core/backoff.h).
 *
 * Before the expected completion, polls land on it: with `expect` (what the operator
 * knows) they halve the remaining gap, at most WAIT_FAR_MS apart (or max_interval), at
 * least WAIT_NEAR_MS: a 20-minute restore noticed within seconds with ~25 polls. With
 * only the typical duration of the mutating step it follows, they are evenly spaced at
 * most max_interval apart (30 s): never later than the AWS CLI's waiter (30 s fixed)
 * and, when the typical duration is right, no more polls (the last lands on the end).
 * Past the expected time polls start short again and back off (x1.5) to WAIT_NEAR_MS
 * for WAIT_DENSE_MS (an end a little late is noticed within 5 s), then to
 * max_interval; with no expectation, from the first interval to max_interval. */
static int64_t next_poll_interval(struct task *t, int64_t now)
{
	int64_t iv, cap = t->max_interval;
	if (t->expect_at && now < t->expect_at) {
		int expect = t->step->wait.expect_ms > 0;
		int64_t far = expect && t->step->wait.max_interval_ms <= 0 ? WAIT_FAR_MS : t->max_interval;
		return backoff_toward(t->expect_at - now, far, WAIT_NEAR_MS, expect);
	}
	if (t->expect_at && !t->past_expect) {
		/* late: short polls again, then back off */
		t->past_expect = 1;
		t->interval = t->base_interval;
	}
	if (t->expect_at && now < t->expect_at + WAIT_DENSE_MS && cap > WAIT_NEAR_MS)
		cap = WAIT_NEAR_MS;
	iv = t->interval < cap ? t->interval : cap;
	t->interval = backoff_next(&(struct backoff){ t->base_interval, WAIT_BACKOFF, t->max_interval }, iv);
	return iv < 1 ? 1 : iv;
}
/* for a wait that ends unfinished: "; last poll: .result.X was \"creating\"" (the
 * paths its `until` compares, on the last answered poll), or "" (caller frees) */
static char *wait_seen(struct engine *e, struct task *t)
{
	if (t->step->kind != STEP_WAIT || !jv_is_valid(t->last_value) || jv_get_kind(t->last_value) == JV_KIND_NULL)
		return xstrdup("");
	jv c = eng_ctx_for(e, t->scope, t->item_v, t->last_value);
	char *seen = assert_seen(exprset_text(e->set, t->step->wait.until), c);
	jv_free(c);
	struct buf b = BUF_INIT(CAP_MESSAGE);
	if (seen && buf_addf(&b, "; last poll: %s", seen) < 0)
		buf_reset(&b);
	free(seen);
	return buf_detach(&b);
}
/* a failed call that ran into the step's or the run's deadline is a timeout, whether
 * the engine or the action noticed first */
jv eng_timeout_error(struct engine *e, struct task *t)
{
	int64_t now = clock_now(e->clk);
	char d[64];
	jv res = jv_invalid();
	char *seen = wait_seen(e, t);
	if (t->deadline && now >= t->deadline) {
		dur_format(t->step->timeout_ms, d, sizeof(d));
		res = eng_err_obj("timeout", "step '%s' timed out after %s%s", t->qid, d, seen);
	} else if (!t->rb && e->run_deadline && now >= e->run_deadline) {
		dur_format(e->run_deadline - e->run_started, d, sizeof(d));
		res = eng_err_obj("timeout", "the run timed out after %s (step '%s' stopped)%s", d, t->qid, seen);
	}
	free(seen);
	return res;
}
/* The next poll of a wait whose last poll did not end it: a wait_poll event (with the
 * error when the poll was missed), then the wake-up, or the failure when the run
 * aborts or the wait's or step's time is up. missed: the poll's error (consumed), or
 * jv_invalid() when the poll answered and `until` was false. */
static void wait_next_poll(struct engine *e, struct task *t, struct job *j, int64_t now, jv missed)
{
	const struct rb_wait *w = &t->step->wait;
	int64_t limit = t->wait_deadline;
	if (t->deadline && (!limit || t->deadline < limit))
		limit = t->deadline;
	int64_t iv = next_poll_interval(t, now);
	jv ev = eng_ev_new(e, EV_WAIT_POLL, t->qid);
	ev = jv_object_set(ev, jv_string("poll"), jv_number(t->polls));
	ev = jv_object_set(ev, jv_string("next_ms"), jv_number((double)iv));
	ev = jv_object_set(ev, jv_string("elapsed_ms"), jv_number((double)(now - t->started)));
	if (jv_is_valid(missed)) {
		ev = jv_object_set(ev, jv_string("missed"), jv_true());
		ev = jv_object_set(ev, jv_string("error"), missed);
	} else if (jv_is_valid(t->last_value) && jv_get_kind(t->last_value) != JV_KIND_NULL) {
		/* what the resource looks like now: the values its `until` compares */
		jv c = eng_ctx_for(e, t->scope, t->item_v, t->last_value);
		char *saw = assert_seen_values(exprset_text(e->set, w->until), c);
		jv_free(c);
		if (saw)
			ev = jv_object_set(ev, jv_string("saw"), jv_string(saw));
		free(saw);
	}
	if (t->eta_at) {
		ev = jv_object_set(ev, jv_string("eta_ms"), jv_number((double)(t->eta_at > now ? t->eta_at - now : 0)));
		ev = jv_object_set(ev, jv_string("eta_from"), jv_string(t->eta_from));
		if (now > t->eta_at)
			ev = jv_object_set(ev, jv_string("overdue_ms"), jv_number((double)(now - t->eta_at)));
	}
	eng_emit(e, ev, 0);
	/* a rollback's own wait (a group still creating cannot be deleted yet) is the
	 * rollback at work: the abort stops only the run's waits */
	if (e->aborting && !t->rb) {
		eng_task_finish(e, t, ST_FAILED, eng_err_obj("aborted", "wait '%s' stopped by the abort after %d polls", t->qid, t->polls), jv_copy(j->out), jv_null());
		return;
	}
	if (limit && now >= limit) {
		char d[64];
		char *seen = wait_seen(e, t);
		dur_format(now - t->started, d, sizeof(d));
		eng_task_finish(e, t, ST_FAILED, eng_err_obj("timeout", "wait '%s' timed out after %s (%d polls): %s never held%s",
						      t->qid, d, t->polls, exprset_text(e->set, w->until), seen), jv_copy(j->out), jv_null());
		free(seen);
		return;
	}
	t->wake_at = now + iv;
	if (limit && t->wake_at > limit)
		t->wake_at = limit;
}
/* A poll that failed transiently (throttled, 5xx, reset, timed out: the action says
 * `transient` once its own retries are spent) is a missed poll, not the wait's end:
 * a long restore must not be rolled back because its API was busy for a minute. Only
 * the wait's timeout, the step's, fail_if, or an error that is not transient (access
 * denied, not found) fail it. */
void eng_wait_result(struct engine *e, struct task *t, struct job *j)
{
	const struct rb_wait *w = &t->step->wait;
	int64_t now = clock_now(e->clk);
	t->polls++;
	if (t->timed_out || j->rc != 0) {
		jv te = eng_timeout_error(e, t);
		if (jv_is_valid(te)) {
			eng_task_finish(e, t, ST_FAILED, te, jv_copy(j->out), jv_null());
			return;
		}
	}
	if (j->rc != 0) {
		if (t->wait_deadline && now >= t->wait_deadline) {
			char d[64];
			char *seen = wait_seen(e, t);
			dur_format(now - t->started, d, sizeof(d));
			eng_task_finish(e, t, ST_FAILED, eng_err_obj("timeout", "wait '%s' timed out after %s (%d polls)%s", t->qid, d, t->polls, seen),
				    jv_copy(j->out), jv_null());
			free(seen);
			return;
		}
		if (jv_get_kind(j->out) == JV_KIND_OBJECT && jvx_bool(j->out, "transient", 0) && (!e->aborting || t->rb)) {
			wait_next_poll(e, t, j, now, jv_copy(j->out));
			return;
		}
		eng_fail_or_retry(e, t, jv_copy(j->out), jv_null());
		return;
	}
	jv_free(t->last_value);          /* for the timeout's "last poll:" */
	t->last_value = jv_copy(j->out);
	jv c = eng_ctx_for(e, t->scope, t->item_v, j->out);
	if (w->fail_if >= 0) {
		jv f = exprset_eval1(e->set, w->fail_if, jv_copy(c));
		if (!jv_is_valid(f) || jvx_truthy(f)) {
			jv err = !jv_is_valid(f) ? eng_err_from_invalid("expression", "fail_if", f) :
				eng_err_obj("fail_if", "fail_if held after %d poll%s: %s", t->polls, t->polls == 1 ? "" : "s", exprset_text(e->set, w->fail_if));
			if (jv_is_valid(f))
				jv_free(f);
			jv_free(c);
			eng_task_finish(e, t, ST_FAILED, err, jv_copy(j->out), jv_null());
			return;
		}
		jv_free(f);
	}
	jv u = exprset_eval1(e->set, w->until, jv_copy(c));
	jv_free(c);
	if (!jv_is_valid(u)) {
		eng_task_finish(e, t, ST_FAILED, eng_err_from_invalid("expression", "until", u), jv_copy(j->out), jv_null());
		return;
	}
	int done = jvx_truthy(u);
	jv_free(u);
	if (done) {
		jv err = jv_invalid();
		jv outs = eng_eval_outputs(e, t, j->out, &err);
		t->lag = t->last_false ? now - t->last_false : 0;
		if (!jv_is_valid(outs)) {
			jv_free(outs);
			eng_task_finish(e, t, ST_FAILED, err, jv_copy(j->out), jv_null());
		} else {
			eng_task_finish(e, t, ST_SUCCEEDED, jv_null(), jv_copy(j->out), outs);
		}
		return;
	}
	t->last_false = now;
	wait_next_poll(e, t, j, now, jv_invalid());
}
