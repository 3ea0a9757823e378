/* loop.c — the engine thread's loop: worker messages, signals, deadlines, timers, the
 * clock; the signal handlers. */
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

static const char *const level_names[] = {"debug", "info", "warn", "error"};

volatile sig_atomic_t eng_signals;
volatile sig_atomic_t eng_last_sig;

static int loop_ready(void *arg)
{
	struct engine *e = arg;
	return atomic_load(&e->pool.nmsg) > 0 || (int)eng_signals != e->sig_seen;
}
/* an action's log line, on the engine thread; a debug line on any thread (it goes
 * to the journal only) (borrows text) */
void engine_job_log(struct engine *e, const char *step, enum log_level level, const char *text)
{
	const char *lv = level_names[level <= LOG_ERROR ? level : LOG_INFO];
	if (level == LOG_DEBUG) {
		/* journal only (too chatty for the terminal), from any thread: strings of
		 * its own, not the engine's (struct eng_strs) */
		char ts[40];
		jv ev = ev_make(EV_LOG, eng_time_str(clock_now(e->clk), ts, sizeof(ts)));
		ev = jv_object_set(ev, jv_string("run"), jv_string(e->run_id));
		if (step)
			ev = jv_object_set(ev, jv_string("step"), jv_string(step));
		ev = jv_object_set(ev, jv_string("level"), jv_string(lv));
		ev = jv_object_set(ev, jv_string("message"), jv_string(text));
		journal_append_redacted(&e->jn, redact_jv(e->o->redact, ev), STATE_SYNC_NONE);
		return;
	}
	struct evl l;
	eng_evl_start(e, &l, EV_LOG, step);
	eng_evl_set(e, &l, EK_level, jv_string(lv));
	eng_evl_set(e, &l, EK_message, jv_string(text));
	eng_evl_emit(e, &l, 0);
}
void eng_journal_check(struct engine *e)
{
	const char *why = e->jopen ? journal_error(&e->jn) : NULL;
	if (!why || e->stop_now)
		return;
	/* what is not durable is not acknowledged: stop at once, as a second Ctrl-C does
	 * (running calls cancelled, nothing else started); invoke() makes no mutating
	 * call the journal could not take, and resume goes on from what is durable */
	e->stop_now = 1;
	e->journal_lost = 1;
	e->stop_sig = 0;
	for (struct task *t = e->tasks; t; t = t->next) {
		if (t->job)
			t->job->cancel = 1;
		e->stopped_running = jv_array_append(e->stopped_running, jv_string(t->qid));
	}
	jv ev = eng_ev_new(e, EV_LOG, NULL);
	ev = jv_object_set(ev, jv_string("level"), jv_string("error"));
	ev = jv_object_set(ev, jv_string("message"), jv_string_fmt("%s: stopping now, before the next change; "
		"'runbook resume %s' continues the run once the state store is back", why, e->run_id));
	eng_emit(e, ev, 0);
}
static void handle_msg(struct engine *e, struct msg *m)
{
	/* before a result is acted on: a call whose journal line was lost stops the run */
	eng_journal_check(e);
	if (m->kind == MSG_LOG) {
		engine_job_log(e, m->job->step, m->level, m->text);
		free(m->text);
		free(m);
		return;
	}
	struct job *j = m->job;
	struct task *t = j->task;
	free(m);
	e->inflight--;
	t->job = NULL;
	if (j->mutated && !t->rb)
		e->ns[t->node].mutated = 1;
	eng_expr_deadline_of(e, t);
	if (e->stop_now) {
		/* stopped at once: the result is dropped, the step stays "running" in the
		 * journal and resume decides what to do with it */
		eng_task_unlink(e, t);
		eng_task_free(t);
	} else {
		if (!eng_step_ops[t->step->kind].result)
			BUG("a job of a step kind that submits none");
		eng_step_ops[t->step->kind].result(e, t, j);
	}
	eng_job_free(j);
	clock_release(e->clk);
	if (!e->stop_now)
		eng_slot_freed(e);
}
const char *eng_sig_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return "a signal";
	}
}
static void handle_signals(struct engine *e)
{
	int g = (int)eng_signals;
	if (g == e->sig_seen)
		return;
	e->nsig += g - e->sig_seen;
	e->sig_seen = g;
	if (e->nsig >= 2) {
		if (!e->stop_now) {
			/* a second Ctrl-C, SIGTERM or SIGHUP (a dropped ssh session): cancel
			 * what runs (exec kills its children's process groups and reaps them),
			 * wait for the workers, leave the run resumable */
			e->stop_now = 1;
			e->stop_sig = (int)eng_last_sig;
			for (struct task *t = e->tasks; t; t = t->next) {
				if (t->job)
					t->job->cancel = 1;
				e->stopped_running = jv_array_append(e->stopped_running, jv_string(t->qid));
			}
			jv ev = eng_ev_new(e, EV_LOG, NULL);
			ev = jv_object_set(ev, jv_string("level"), jv_string("warn"));
			ev = jv_object_set(ev, jv_string("message"), jv_string_fmt("%s: stopping now; the run can be resumed",
				e->stop_sig == SIGINT ? "Ctrl-C again" : eng_sig_name(e->stop_sig)));
			eng_emit(e, ev, 1);
		}
		return;
	}
	if (e->phase == PH_FINALLY) {
		/* the run has ended: Ctrl-C skips what is left of finally */
		for (struct task *t = e->tasks; t; t = t->next)
			if (t->job)
				t->job->cancel = 1;
		e->fpos = e->p->rb->nfinally;
		jv ev = eng_ev_new(e, EV_LOG, NULL);
		ev = jv_object_set(ev, jv_string("level"), jv_string("warn"));
		ev = jv_object_set(ev, jv_string("message"), jv_string("interrupted: the remaining finally steps are skipped"));
		eng_emit(e, ev, 1);
		return;
	}
	if (e->aborting) {
		jv ev = eng_ev_new(e, EV_LOG, NULL);
		ev = jv_object_set(ev, jv_string("level"), jv_string("warn"));
		ev = jv_object_set(ev, jv_string("message"), jv_string(e->phase == PH_ROLLBACK ?
			"rolling back; Ctrl-C again stops at once (the run stays resumable)" :
			"already stopping; Ctrl-C again stops at once (the run stays resumable)"));
		eng_emit(e, ev, 0);
	} else {
		eng_fail_run(e, EXIT_ABORTED, jv_string("interrupted by the operator"));
		jv ev = eng_ev_new(e, EV_LOG, NULL);
		ev = jv_object_set(ev, jv_string("level"), jv_string("warn"));
		ev = jv_object_set(ev, jv_string("message"), jv_string(
			"interrupted: letting running steps finish, then rolling back (Ctrl-C again stops at once)"));
		eng_emit(e, ev, 1);
	}
}
static void check_deadlines(struct engine *e, int64_t now)
{
	struct task *t, *next;
	if (e->phase == PH_RUN && e->run_deadline && now >= e->run_deadline && !e->run_timed_out) {
		char d[64];
		e->run_timed_out = 1;
		dur_format(e->run_deadline - e->run_started, d, sizeof(d));
		eng_fail_run(e, EXIT_FAILED, jv_string_fmt("the run timed out after %s", d));
		for (t = e->tasks; t; t = t->next)
			if (t->job && !t->rb) {
				t->job->cancel = 1;
				t->timed_out = 1;
			}
	}
	for (t = e->tasks; t; t = next) {
		next = t->next;
		if (!t->deadline || now < t->deadline || t->timed_out)
			continue;
		t->timed_out = 1;
		if (t->job) {
			t->job->cancel = 1;
		} else if (t->wake_at || t->queued) {
			t->wake_at = 0;
			eng_task_finish(e, t, ST_FAILED, eng_timeout_error(e, t), jv_null(), jv_null());
		}
	}
}
static void fire_timers(struct engine *e, int64_t now)
{
	struct task *t, *next;
	for (t = e->tasks; t; t = next) {
		next = t->next;
		if (!t->wake_at || t->wake_at > now || t->job || t->queued)
			continue;
		t->wake_at = 0;
		if (e->aborting && !t->rb) {
			eng_task_finish(e, t, ST_FAILED, eng_err_obj("aborted", "not retried: the run is aborting"), jv_null(), jv_null());
			continue;
		}
		eng_submit(e, t, JOB_RUN);
	}
}
static int64_t next_deadline(struct engine *e)
{
	int64_t d = INT64_MAX;
	for (struct task *t = e->tasks; t; t = t->next) {
		if (t->wake_at && t->wake_at < d)
			d = t->wake_at;
		if (t->deadline && !t->timed_out && t->deadline < d)
			d = t->deadline;
	}
	if (e->phase == PH_RUN && e->run_deadline && !e->run_timed_out && e->run_deadline < d)
		d = e->run_deadline;
	return d;
}
void eng_run_loop(struct engine *e)
{
	for (;;) {
		struct msg *m;
		while ((m = pool_take(&e->pool)))
			handle_msg(e, m);
		expr_deadline(EXPR_NO_DEADLINE);   /* eng_task_start() and handle_msg() set theirs */
		handle_signals(e);
		eng_journal_check(e);
		if (e->stop_now) {
			if (e->inflight == 0)
				break;
			clock_wait(e->clk, INT64_MAX, loop_ready, e);
			continue;
		}
		int64_t now = clock_now(e->clk);
		check_deadlines(e, now);
		fire_timers(e, now);
		if (e->phase == PH_RUN) {
			if (e->aborting)
				eng_cancel_timers(e, "not retried: the run is aborting");
			while (!e->aborting && e->nready > 0)
				eng_node_start(e, e->ready[--e->nready]);
			if (!e->tasks) {
				if (!e->aborting) {
					if (e->nready > 0)
						continue;
					e->phase = PH_END;
					break;
				}
				if (e->o->no_rollback) {
					e->phase = PH_END;
					break;
				}
				/* a stop-at-once signal that came with the failure (an interrupted
				 * expression) is acted on before any rollback call is made */
				handle_signals(e);
				if (e->stop_now)
					continue;
				eng_rollback_start(e);
			}
		}
		if (e->phase == PH_FINALLY && !e->tasks) {
			if (e->fpos >= e->p->rb->nfinally) {
				e->phase = PH_END;
				break;
			}
			eng_finally_next(e);
			continue;
		}
		if (e->phase == PH_ROLLBACK && !e->tasks) {
			while (e->rbpos < e->nrbq && e->rbq[e->rbpos].done)
				e->rbpos++;
			if (e->rbpos >= e->nrbq) {
				e->phase = PH_END;
				break;
			}
			handle_signals(e);
			if (e->stop_now)
				continue;
			eng_rollback_next(e);
			continue;
		}
		clock_wait(e->clk, next_deadline(e), loop_ready, e);
	}
}
static void on_signal(int sig)
{
	eng_last_sig = sig;
	eng_signals += sig == SIGINT ? 1 : 2;
	expr_interrupt();   /* a running jq evaluation stops */
}
void engine_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;            /* no SA_RESTART: a prompt's read returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}
