/* invoke.c — the one function every action call passes through, and the worker pool.
 *
 * invoke() times the call on the run's clock, writes {"event":"call"} and
 * {"event":"result"} to the journal and, with --record, one call line to the tape
 * (tape.h). When opts->replay.call is set, it answers instead of the action (replay
 * substitutes recorded results there). Runs on a worker thread: it touches only the job.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/bug.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "engine_int.h"

static void pool_post(struct pool *p, struct msg *m, struct rb_clock *c)
{
	pthread_mutex_lock(&p->lock);
	if (p->mtail)
		p->mtail->next = m;
	else
		p->mhead = m;
	p->mtail = m;
	atomic_fetch_add(&p->nmsg, 1);
	pthread_mutex_unlock(&p->lock);
	clock_notify(c);
}

#define pool_of(e) engine_pool(e)

static void call_log(struct action_call *call, enum log_level lvl, const char *text)
{
	struct job *j = call->priv;
	if (!j->task || lvl == LOG_DEBUG) {
		/* a call made on the engine thread itself (resume's checks, before the
		 * loop and the pool run), or a debug line (journal only, which any thread
		 * may write): logged at once, nothing queued, the engine not woken */
		char *t = redact_str(call->redact, text);
		engine_job_log(j->e, j->step, lvl, t);
		free(t);
		return;
	}
	struct msg *m = xcalloc(1, sizeof(*m));
	m->kind = MSG_LOG;
	m->job = j;
	m->level = lvl;
	m->text = redact_str(call->redact, text);
	pool_post(pool_of(j->e), m, call->clock);
}

static const char *const mode_names[] = {"run", "dry_run", "check"};

void invoke(struct engine *e, struct job *j)
{
	const struct engine_opts *o = engine_opts_of(e);
	struct rb_clock *clk = engine_clock(e);
	struct journal *jn = engine_journal(e);
	char ts[40];
	struct action_call call = {
		.desc = j->desc,
		.step_id = j->step,
		.connections = j->conns,
		.clock = clk,
		.redact = o->redact,
		.flags = (o->dry_run ? CALL_DRY_RUN : 0) | (o->rehearsal ? CALL_REHEARSAL : 0),
		.deadline = j->deadline,
		.cancel = &j->cancel,
		.work_dir = engine_run_dir(e),
		.log = call_log,
		.priv = j,
	};
	/* the call line and the tape share the worker's own copy of the args (eng_submit
	 * made it): every reference is dropped before MSG_DONE hands j->out to the engine */
	jv args_copy = jv_copy(j->args);

	j->started = clock_now(clk);
	jv ev = ev_make(EV_CALL, clock_format(j->started, ts, sizeof(ts)));
	ev = jv_object_set(ev, jv_string("step"), jv_string(j->step));
	ev = jv_object_set(ev, jv_string("action"), jv_string(j->desc->name));
	ev = jv_object_set(ev, jv_string("mode"), jv_string(mode_names[j->mode]));
	ev = jv_object_set(ev, jv_string("attempt"), jv_number(j->attempt));
	ev = jv_object_set(ev, jv_string("args"), jv_copy(args_copy));
	/* write-ahead: a mutating call is durable before it happens, so resume never
	 * mistakes a step that may have taken effect for one that never started; when the
	 * journal cannot take it, the call is not made (the engine stops the run) */
	int mutating = action_is_mutating(j->desc, args_copy);
	int wal = journal_append(jn, ev, j->mode == JOB_RUN && mutating ? STATE_SYNC : STATE_SYNC_NONE);
	j->mutated = j->mode == JOB_RUN && mutating;

	jv out = jv_null();
	int rc = 1;
	if (j->mode == JOB_RUN && mutating && (wal < 0 || journal_error(jn))) {
		rc = -1;
		out = jvx_error("journal", "not called: %s", journal_error(jn) ? journal_error(jn) : "the journal failed");
		jv_free(j->args);
	} else if (o->fault.call && j->mode == JOB_RUN && !j->rb &&
	    o->fault.call(o->fault.arg, j->step, j->desc, &out)) {
		rc = -1;              /* injected: the action is not called */
		jv_free(j->args);
	} else if (o->replay.call && j->mode == JOB_RUN) {
		struct replay_call rcall = {
			.step = j->step, .item = j->item, .attempt = j->attempt, .rollback = j->rb,
			.mutating = mutating, .desc = j->desc, .at = j->started - engine_run_started(j->e),
			.run_id = engine_run_id(j->e), .clock = clk, .cancel = &j->cancel,
		};
		rc = o->replay.call(o->replay.arg, &rcall, j->args, &out);
	}
	if (rc != 1) {
		/* answered above */
	} else {
		switch (j->mode) {
		case JOB_DRY_RUN:
			rc = j->desc->dry_run(&call, j->args, &out);
			break;
		case JOB_CHECK:
			rc = j->desc->check(&call, j->args, &out);
			break;
		default:
			rc = j->desc->run(&call, j->args, &out);
			break;
		}
	}
	j->args = jv_invalid();   /* consumed */
	if (!jv_is_valid(out))
		out = jv_null();
	if (rc == 0 && (j->desc->flags & ACT_SECRET_RESULT))
		redact_add_jv(o->redact, jv_copy(out));
	j->duration = clock_now(clk) - j->started;
	j->rc = rc;
	j->out = out;

	ev = ev_make(EV_RESULT, clock_format(j->started + j->duration, ts, sizeof(ts)));
	ev = jv_object_set(ev, jv_string("step"), jv_string(j->step));
	ev = jv_object_set(ev, jv_string("action"), jv_string(j->desc->name));
	ev = jv_object_set(ev, jv_string("mode"), jv_string(mode_names[j->mode]));
	ev = jv_object_set(ev, jv_string("rc"), jv_number(rc));
	ev = jv_object_set(ev, jv_string("duration_ms"), jv_number((double)j->duration));
	ev = jv_object_set(ev, jv_string("result"), jv_copy(out));
	/* durable with the step's end (node.c) or the next write-ahead line */
	journal_append(jn, ev, STATE_SYNC_NONE);

	if (j->mode == JOB_RUN && o->record_path) {
		/* the tape's call line (tape.h); seq and at are added under the journal's lock */
		jv rec = jv_object();
		rec = jv_object_set(rec, jv_string("step"), jv_string(j->step));
		rec = jv_object_set(rec, jv_string("item"), j->item >= 0 ? jv_number(j->item) : jv_null());
		rec = jv_object_set(rec, jv_string("attempt"), jv_number(j->attempt));
		rec = jv_object_set(rec, jv_string("action"), jv_string(j->desc->name));
		rec = jv_object_set(rec, jv_string("args"), args_copy);
		rec = jv_object_set(rec, jv_string("ok"), jv_bool(rc == 0));
		rec = jv_object_set(rec, jv_string(rc == 0 ? "result" : "error"), jv_copy(out));
		rec = jv_object_set(rec, jv_string("duration_ms"), jv_number((double)j->duration));
		if (j->rb)
			rec = jv_object_set(rec, jv_string(j->rb == 2 ? "finally" : "rollback"), jv_true());
		rec = jv_object_set(rec, jv_string("mutating"), jv_bool(mutating));
		journal_tape(jn, rec, j->started);
	} else {
		jv_free(args_copy);
	}
}

/* ---- the pool ---- */

struct worker_arg {
	struct pool *p;
	struct engine *e;
};

/* the job's clock token passes to the engine with the message */
static void job_done(struct pool *p, struct engine *e, struct job *j)
{
	struct msg *m = xcalloc(1, sizeof(*m));
	m->kind = MSG_DONE;
	m->job = j;
	pool_post(p, m, engine_clock(e));
}

void pool_run_here(struct pool *p, struct engine *e, struct job *j)
{
	invoke(e, j);
	job_done(p, e, j);
}

static void *worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct pool *p = wa->p;
	struct engine *e = wa->e;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->stop && p->qlen == 0)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->qlen == 0) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		struct job *j = p->queue[p->qhead];
		p->qhead = (p->qhead + 1) % p->qalloc;
		p->qlen--;
		pthread_mutex_unlock(&p->lock);

		invoke(e, j);
		job_done(p, e, j);
	}
	free(wa);
	return NULL;
}

int pool_start(struct pool *p, struct engine *e, int n)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	atomic_init(&p->nmsg, 0);
	p->qalloc = 64;
	p->queue = xcalloc((size_t)p->qalloc, sizeof(*p->queue));
	p->threads = xcalloc((size_t)n, sizeof(*p->threads));
	for (int i = 0; i < n; i++) {
		struct worker_arg *wa = xmalloc(sizeof(*wa));
		wa->p = p;
		wa->e = e;
		if (pthread_create(&p->threads[i], NULL, worker_main, wa) != 0) {
			free(wa);
			break;
		}
		p->n++;
	}
	return p->n > 0 ? 0 : -1;
}

void pool_submit(struct pool *p, struct job *j)
{
	pthread_mutex_lock(&p->lock);
	if (p->qlen == p->qalloc) {
		int na = p->qalloc * 2;
		struct job **q = xcalloc((size_t)na, sizeof(*q));
		for (int i = 0; i < p->qlen; i++)
			q[i] = p->queue[(p->qhead + i) % p->qalloc];
		free(p->queue);
		p->queue = q;
		p->qhead = 0;
		p->qalloc = na;
	}
	p->queue[(p->qhead + p->qlen) % p->qalloc] = j;
	p->qlen++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

struct msg *pool_take(struct pool *p)
{
	struct msg *m;
	pthread_mutex_lock(&p->lock);
	m = p->mhead;
	if (m) {
		p->mhead = m->next;
		if (!p->mhead)
			p->mtail = NULL;
		atomic_fetch_sub(&p->nmsg, 1);
		m->next = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	return m;
}

void pool_stop(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	free(p->queue);
	struct msg *m;
	while ((m = pool_take(p))) {
		free(m->text);
		free(m);
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

