/* display_events.c — one handler per event kind (a descriptor table): the words of
 * every event for the plain lines and the live display's message lines. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "display_int.h"
#include "../core/bug.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../modules/registry.h"
#include "../report/report.h"
#include "../core/caps.h"

/* ---- events: one handler per event kind (a descriptor table, not an if-chain) ---- */

struct evctx {
	struct display *d;
	jv ev;                   /* borrowed */
	int64_t t;               /* event time, ms; -1 unknown */
	struct dstep *s;         /* the step, when the event names a known one */
	const char *who;         /* second column: step id, "run", "rollback" */
	const char *color;
	struct buf *line;        /* the text after the step column */
	struct buf err;          /* scratch: error text */
	int berr;                /* an add to line or err was refused (the cap) */
};

/* drop null args and args equal to the action's default: what the step actually says */
static jv args_shown(const char *action, jv args)
{
	const struct action_desc *desc = action ? registry_find(action) : NULL;
	if (jv_get_kind(args) != JV_KIND_OBJECT)
		return args;
	jv out = jv_object();
	jv_object_foreach(args, k, v) {
		int keep = jv_get_kind(v) != JV_KIND_NULL;
		const struct action_arg *a = desc ? action_find_arg(desc, jv_string_value(k)) : NULL;
		if (keep && a && a->defval) {
			jv def = jv_parse(a->defval);
			keep = !(jv_is_valid(def) && jv_equal(jv_copy(v), jv_copy(def)));
			jv_free(def);
		}
		if (keep)
			out = jv_object_set(out, k, v);
		else
			jv_free(k), jv_free(v);
	}
	jv_free(args);
	return out;
}

static int add_status(struct evctx *c, const char *status, enum step_state st)
{
	c->berr |= buf_adds(c->line, dsp_state_parse(status, &st) == 0 ? dsp_state_label[st] : status);
	return c->berr;
}

static int ev_run_started(struct evctx *c)
{
	struct display *d = c->d;
	const char *id = dsp_str(c->d, c->ev, "run");
	const char *rb = dsp_str(c->d, c->ev, "runbook");
	free(d->run_id);
	free(d->runbook);
	d->run_id = id ? xstrdup(id) : NULL;
	d->runbook = rb ? xstrdup(rb) : NULL;
	d->dry_run = dsp_bool(c->d, c->ev, "dry_run", 0);
	d->rehearsal = dsp_bool(c->d, c->ev, "rehearsal", 0);
	d->run_start_ev = c->t;
	jv steps = dsp_get(c->d, c->ev, "steps");
	if (jv_get_kind(steps) == JV_KIND_ARRAY) {
		jv_array_foreach(steps, i, it) {
			const char *sid = NULL, *nm = NULL;
			if (jv_get_kind(it) == JV_KIND_STRING) {
				sid = jv_string_value(it);
			} else if (jv_get_kind(it) == JV_KIND_OBJECT) {
				sid = dsp_str(c->d, it, "qid") ? dsp_str(c->d, it, "qid") : dsp_str(c->d, it, "id");
				nm = dsp_str(c->d, it, "name");
			}
			if (sid) {
				int k = dsp_step_get(d, sid);   /* may grow d->steps: index first */
				struct dstep *ns = &d->steps[k];
				if (nm && !ns->name)
					ns->name = xstrdup(nm);
			}
			jv_free(it);
		}
	}
	jv_free(steps);
	int resumed = dsp_bool(c->d, c->ev, "resumed", 0);
	jv done = dsp_get(c->d, c->ev, "done");
	if (resumed && jv_get_kind(done) == JV_KIND_ARRAY) {
		/* what the first process finished: shown done, not run again */
		jv_array_foreach(done, i, it) {
			if (jv_get_kind(it) == JV_KIND_STRING) {
				int k = dsp_step_get(d, jv_string_value(it));
				dsp_step_set_state(d, &d->steps[k], ST_SUCCEEDED);
				dsp_set_note(&d->steps[k], "done before the resume");
			}
			jv_free(it);
		}
	}
	jv_free(done);
	c->who = "run";
	c->berr |= buf_addf(c->line, "%s %s%s%s%s", resumed ? "resuming" : "started", rb ? rb : "",
		 id ? " (run " : "", id ? id : "", id ? ")" : "");
	if (resumed) {
		int64_t before = dsp_int(c->d, c->ev, "finished_before", -1);
		if (before >= 0)
			c->berr |= buf_addf(c->line, ": %" PRId64 " step%s done before, not run again", before, before == 1 ? "" : "s");
		if (dsp_bool(c->d, c->ev, "rolling_back", 0))
			c->berr |= buf_adds(c->line, "; continuing its rollback");
	}
	if (d->dry_run)
		c->berr |= buf_adds(c->line, " [dry run]");
	if (d->rehearsal)
		c->berr |= buf_adds(c->line, " [rehearsal]");
	return 1;
}

static int ev_step_started(struct evctx *c)
{
	struct dstep *s = c->s;
	const char *nm = dsp_str(c->d, c->ev, "name");
	if (nm && !s->name)
		s->name = xstrdup(nm);
	s->attempt = (int)dsp_int(c->d, c->ev, "attempt", 0);
	s->attempts = (int)dsp_int(c->d, c->ev, "attempts", 0);
	if (s->state != ST_RUNNING || s->start_ev < 0)
		s->start_ev = c->t;
	dsp_step_set_state(c->d, s, ST_RUNNING);
	s->dur_ms = -1;
	s->polls = 0;
	s->note[0] = '\0';
	c->berr |= buf_adds(c->line, "started");
	if (s->attempt > 1) {
		c->berr |= buf_addf(c->line, " (attempt %d", s->attempt);
		if (s->attempts)
			c->berr |= buf_addf(c->line, "/%d", s->attempts);
		c->berr |= buf_addc(c->line, ')');
	}
	c->color = "36";
	return 1;
}

static int ev_step_finished(struct evctx *c)
{
	struct dstep *s = c->s;
	char dur[32];
	const char *status = dsp_str(c->d, c->ev, "status");
	enum step_state st = ST_SUCCEEDED;
	if (!status || dsp_state_parse(status, &st) < 0)
		st = status ? ST_FAILED : ST_SUCCEEDED;
	s->dur_ms = dsp_int(c->d, c->ev, "duration_ms", -1);
	if (s->dur_ms < 0 && s->start_ev >= 0 && c->t >= s->start_ev)
		s->dur_ms = c->t - s->start_ev;
	dsp_step_set_state(c->d, s, st);
	c->berr |= dsp_err_text(c->d, c->ev, "error", &c->err);
	if (!c->err.len) {
		const char *reason = dsp_str(c->d, c->ev, "reason");
		if (reason)
			c->berr |= buf_adds(&c->err, reason);
	}
	dsp_set_note(s, buf_str(&c->err));
	c->berr |= add_status(c, status ? status : dsp_state_names[st], st);
	if (s->dur_ms >= 0 && st != ST_SKIPPED && st != ST_DRY_RUN) {
		dsp_fmt_dur(s->dur_ms, dur, sizeof(dur));
		c->berr |= buf_addf(c->line, " %s", dur);
	}
	/* a wait reports how many polls it made and how late it noticed */
	int64_t polls = dsp_int(c->d, c->ev, "polls", -1);
	if (polls >= 0) {
		c->berr |= buf_addf(c->line, " (%" PRId64 " poll%s", polls, polls == 1 ? "" : "s");
		int64_t lag = dsp_int(c->d, c->ev, "detection_lag_ms", -1);
		if (lag >= 0) {
			dsp_fmt_dur(lag, dur, sizeof(dur));
			c->berr |= buf_addf(c->line, ", noticed within %s", dur);
		}
		c->berr |= buf_addc(c->line, ')');
	}
	/* assertions a dry run could not evaluate say so */
	jv result = dsp_get(c->d, c->ev, "result");
	jv ne = jv_get_kind(result) == JV_KIND_OBJECT ? dsp_get(c->d, result, "not_evaluated") : jv_invalid();
	if (jv_get_kind(ne) == JV_KIND_ARRAY && !c->err.len) {
		jv_array_foreach(ne, i, it) {
			if (jv_get_kind(it) == JV_KIND_STRING)
				c->berr |= buf_addf(&c->err, "%s%s", i ? "; " : "", jv_string_value(it));
			jv_free(it);
		}
	}
	jv_free(ne);
	jv_free(result);
	if (c->err.len) {
		c->berr |= buf_adds(c->line, st == ST_SKIPPED ? " (" : ": ");
		c->berr |= buf_adds(c->line, buf_str(&c->err));
		if (st == ST_SKIPPED)
			c->berr |= buf_addc(c->line, ')');
	}
	c->color = dsp_state_color[st];
	return 1;
}

static int ev_step_retry(struct evctx *c)
{
	char dur[32];
	int attempt = (int)dsp_int(c->d, c->ev, "attempt", 0);
	int attempts = (int)dsp_int(c->d, c->ev, "attempts", 0);
	int64_t delay = dsp_int(c->d, c->ev, "delay_ms", -1);
	c->berr |= dsp_err_text(c->d, c->ev, "error", &c->err);
	c->berr |= buf_adds(c->line, "attempt");
	if (attempt > 0)
		c->berr |= buf_addf(c->line, " %d", attempt);
	if (attempts > 0)
		c->berr |= buf_addf(c->line, "/%d", attempts);
	c->berr |= buf_adds(c->line, " failed");
	if (c->err.len)
		c->berr |= buf_addf(c->line, ": %s", buf_str(&c->err));
	if (delay >= 0) {
		dsp_fmt_dur(delay, dur, sizeof(dur));
		c->berr |= buf_addf(c->line, "; retrying in %s", dur);
	}
	c->s->attempt = attempt;
	c->s->attempts = attempts;
	dsp_set_note(c->s, buf_str(c->line));
	c->color = "33";
	return 1;
}

static int ev_wait_poll(struct evctx *c)
{
	char dur[32];
	int poll = (int)dsp_int(c->d, c->ev, "poll", 0);
	int64_t next = dsp_int(c->d, c->ev, "next_ms", -1);
	c->s->polls = poll ? poll : c->s->polls + 1;
	c->berr |= buf_addf(c->line, "poll %d", c->s->polls);
	/* the resource as the poll saw it, else why the poll missed */
	const char *saw = dsp_str(c->d, c->ev, "saw");
	if (saw) {
		c->berr |= buf_addf(c->line, ": %s", saw);
	} else if (dsp_bool(c->d, c->ev, "missed", 0)) {
		c->berr |= dsp_err_text(c->d, c->ev, "error", &c->err);
		c->berr |= buf_addf(c->line, ": missed (%s)", c->err.len ? buf_str(&c->err) : "no answer");
	}
	if (next >= 0) {
		dsp_fmt_dur(next, dur, sizeof(dur));
		c->berr |= buf_addf(c->line, ", next in %s", dur);
	}
	/* ETA: from the last run of this runbook, else the expected duration */
	int64_t eta = dsp_int(c->d, c->ev, "eta_ms", -1), over = dsp_int(c->d, c->ev, "overdue_ms", 0);
	const char *from = dsp_str(c->d, c->ev, "eta_from");
	if (over > 0) {
		dsp_fmt_dur(over, dur, sizeof(dur));
		c->berr |= buf_addf(c->line, ", %s past its ETA", dur);
	} else if (eta >= 0) {
		dsp_fmt_dur(eta, dur, sizeof(dur));
		c->berr |= buf_addf(c->line, ", ETA %s%s", dur, from && !strcmp(from, "last_run") ? " (as the last run)" : "");
	}
	dsp_set_note(c->s, buf_str(c->line));
	return 1;
}

static int ev_confirm(struct evctx *c)
{
	const char *status = dsp_str(c->d, c->ev, "status");
	const char *by = dsp_str(c->d, c->ev, "by");
	if (status && strcmp(status, "prompt") == 0)
		return 0;    /* the engine prints the prompt itself */
	for (const char *p = status ? status : "confirmed"; *p; p++)
		c->berr |= buf_addc(c->line, *p == '_' ? ' ' : *p);
	const char *msg = dsp_str(c->d, c->ev, "message");
	if (by && !strcmp(by, "rehearsal")) {
		/* nobody approved it (or declined it): a rehearsal did, say so */
		c->berr |= buf_adds(c->line, ": rehearsal");
		if (msg)
			c->berr |= buf_addf(c->line, " (%s)", msg);
		msg = NULL;
	} else if (by) {
		c->berr |= buf_addf(c->line, " by %s", by);
	}
	if (msg)
		c->berr |= buf_addf(c->line, ": %s", msg);
	c->color = status && strcmp(status, "declined") == 0 ? "31" : "32";
	return 1;
}

static int ev_mutation(struct evctx *c)
{
	const char *action = dsp_str(c->d, c->ev, "action");
	const char *desc = dsp_str(c->d, c->ev, "description");
	if (desc) {
		c->berr |= buf_adds(c->line, desc);
	} else {
		c->berr |= buf_addf(c->line, "%s %s", c->d->dry_run ? "would call" : "calls",
			 action ? action : "an action");
		jv args = dsp_get(c->d, c->ev, "args");
		if (jv_is_valid(args)) {
			char *a = jvx_dump(args_shown(action, args));
			c->berr |= buf_addf(c->line, " %s", a);
			free(a);
		} else {
			jv_free(args);
		}
	}
	c->color = "34";
	return 1;
}

static int ev_rollback_started(struct evctx *c)
{
	const char *reason = dsp_str(c->d, c->ev, "reason");
	jv steps = dsp_get(c->d, c->ev, "steps");
	c->who = "rollback";
	c->berr |= buf_adds(c->line, "started");
	if (jv_get_kind(steps) == JV_KIND_ARRAY) {
		int n = jv_array_length(jv_copy(steps));
		c->berr |= buf_addf(c->line, ": %d step%s to undo", n, n == 1 ? "" : "s");
	}
	jv_free(steps);
	/* the step's error is on its own line and again on the run's last one: here only
	 * which step failed ("step 'x' failed: <error>" -> "step 'x' failed") */
	int cut = report_failed_step_len(reason);
	if (cut)
		c->berr |= buf_addf(c->line, " (%.*s)", cut, reason);
	else if (reason)
		c->berr |= buf_addf(c->line, " (%s)", reason);
	c->color = "35";
	return 1;
}

static int ev_rollback_step(struct evctx *c)
{
	const char *status = dsp_str(c->d, c->ev, "status");
	enum step_state st = ST_SUCCEEDED;
	if (status && dsp_state_parse(status, &st) < 0)
		st = ST_FAILED;
	c->berr |= dsp_err_text(c->d, c->ev, "error", &c->err);
	c->color = "35";
	switch (st) {
	case ST_PENDING:
	case ST_RUNNING:
		c->berr |= buf_adds(c->line, "rolling back");
		if (c->s)
			dsp_set_note(c->s, "rolling back");
		break;
	case ST_SUCCEEDED:
	case ST_ROLLED_BACK:
		c->berr |= buf_adds(c->line, "rolled back");
		if (c->s) {
			if (c->s->state != ST_PENDING && c->s->state != ST_RUNNING)
				dsp_step_set_state(c->d, c->s, ST_ROLLED_BACK);
			dsp_set_note(c->s, "");
		}
		break;
	case ST_DRY_RUN:
		c->berr |= buf_adds(c->line, "rollback described (dry run)");
		if (c->s)
			dsp_set_note(c->s, "");
		break;
	case ST_SKIPPED:
		c->berr |= buf_adds(c->line, "rollback skipped");
		if (c->s)
			dsp_set_note(c->s, "");
		break;
	default:
		c->berr |= buf_addf(c->line, "rollback %s", status ? status : "failed");
		if (c->err.len)
			c->berr |= buf_addf(c->line, ": %s", buf_str(&c->err));
		if (c->s)
			dsp_set_note(c->s, buf_str(c->line));
		c->color = "31";
		break;
	}
	return 1;
}

/* ", "-separated strings of array key of ev after "\nHEAD", if any */
static int add_name_list(struct evctx *c, const char *key, const char *head)
{
	int berr = 0;
	jv a = dsp_get(c->d, c->ev, key);
	if (jv_get_kind(a) == JV_KIND_ARRAY && jv_array_length(jv_copy(a)) > 0) {
		berr |= buf_addf(c->line, "\n%s", head);
		jv_array_foreach(a, i, it) {
			if (jv_get_kind(it) == JV_KIND_STRING)
				berr |= buf_addf(c->line, "%s%s", i ? ", " : "", jv_string_value(it));
			jv_free(it);
		}
	}
	jv_free(a);
	return berr;
}

/* below the run's last line: the non-critical steps that failed, the finally steps
 * that failed, the run's outputs (one per line, JSON values) */
static int run_finished_lists(struct evctx *c)
{
	int berr = 0;
	berr |= add_name_list(c, "noncritical_failed", "non-critical steps failed: ");
	berr |= add_name_list(c, "finally_failed", "finally steps failed (the exit code is unchanged): ");
	jv outs = dsp_get(c->d, c->ev, "outputs");
	jv errs = dsp_get(c->d, c->ev, "output_errors");
	if (jv_get_kind(outs) == JV_KIND_OBJECT && jv_object_length(jv_copy(outs)) > 0) {
		berr |= buf_adds(c->line, "\noutputs:");
		jv_object_foreach(outs, k, v) {
			char *text = jv_get_kind(v) == JV_KIND_STRING ? xstrdup(jv_string_value(v)) : jvx_dump(jv_copy(v));
			berr |= buf_addf(c->line, "\n  %s: %s", jv_string_value(k), text);
			free(text);
			jv e = jv_get_kind(errs) == JV_KIND_OBJECT ? jv_object_get(jv_copy(errs), jv_copy(k)) : jv_invalid();
			if (jv_get_kind(e) == JV_KIND_STRING)
				berr |= buf_addf(c->line, " (%s)", jv_string_value(e));
			jv_free(e);
			jv_free(k);
			jv_free(v);
		}
	}
	jv_free(outs);
	jv_free(errs);
	return berr;
}

static int ev_run_finished(struct evctx *c)
{
	struct display *d = c->d;
	char dur[32];
	const char *status = dsp_str(c->d, c->ev, "status");
	const char *rollback = dsp_str(c->d, c->ev, "rollback");
	int64_t total = dsp_int(c->d, c->ev, "duration_ms", -1);
	if (total < 0 && d->run_start_ev >= 0 && c->t >= d->run_start_ev)
		total = c->t - d->run_start_ev;
	c->who = "run";
	for (const char *p = status ? status : "finished"; *p; p++)
		c->berr |= buf_addc(c->line, *p == '_' ? ' ' : *p);
	if (total >= 0) {
		dsp_fmt_dur(total, dur, sizeof(dur));
		c->berr |= buf_addf(c->line, " in %s", dur);
	}
	if (jvx_has(c->ev, "exit_code") || rollback) {
		c->berr |= buf_adds(c->line, " (");
		if (jvx_has(c->ev, "exit_code"))
			c->berr |= buf_addf(c->line, "exit %" PRId64 "%s", dsp_int(c->d, c->ev, "exit_code", 0),
				 rollback ? ", " : "");
		if (rollback)
			c->berr |= buf_addf(c->line, "rollback %s", rollback);
		c->berr |= buf_addc(c->line, ')');
	}
	c->berr |= dsp_err_text(c->d, c->ev, "error", &c->err);
	if (c->err.len)
		c->berr |= buf_addf(c->line, ": %s", buf_str(&c->err));
	enum step_state st;
	if (status && dsp_state_parse(status, &st) == 0)
		c->color = dsp_state_color[st];
	else if (status)
		c->color = "31";
	c->berr |= run_finished_lists(c);
	d->finished = 1;
	return 1;
}

static int ev_log(struct evctx *c)
{
	const char *level = dsp_str(c->d, c->ev, "level");
	const char *msg = dsp_str(c->d, c->ev, "message");
	if (level && strcmp(level, "info") != 0)
		c->berr |= buf_addf(c->line, "%s: ", level);
	c->berr |= buf_adds(c->line, msg ? msg : "");
	c->color = level && strcmp(level, "error") == 0 ? "31" :
		   level && strcmp(level, "warn") == 0 ? "33" : NULL;
	return 1;
}

enum ev_step { EV_NO_STEP, EV_FIND_STEP, EV_MAKE_STEP };
/* the list shows steps' progress; lines above it are for what must stay readable */
enum live_line { LIVE_LINE, LIVE_LIST_ONLY, LIVE_IF_FAILED, LIVE_IF_RESUMED };

/* what the display does with each event of the table (core/events.h), by its kind;
 * an event without a handler here is shown as it is */
static const struct disp_ev {
	int (*fn)(struct evctx *c);
	enum ev_step step;       /* whether the event's step joins the list */
	enum live_line live;     /* whether the live display prints a line above its list */
} disp_events[EV__N] = {
	[EV_RUN_STARTED]      = { ev_run_started,      EV_NO_STEP,   LIVE_IF_RESUMED },
	[EV_STEP_STARTED]     = { ev_step_started,     EV_MAKE_STEP, LIVE_LIST_ONLY },
	[EV_STEP_FINISHED]    = { ev_step_finished,    EV_MAKE_STEP, LIVE_IF_FAILED },
	[EV_STEP_RETRY]       = { ev_step_retry,       EV_MAKE_STEP, LIVE_LINE },
	[EV_WAIT_POLL]        = { ev_wait_poll,        EV_MAKE_STEP, LIVE_LIST_ONLY },
	[EV_CONFIRM]          = { ev_confirm,          EV_MAKE_STEP, LIVE_LINE },
	[EV_MUTATION]         = { ev_mutation,         EV_FIND_STEP, LIVE_LINE },
	[EV_ROLLBACK_STARTED] = { ev_rollback_started, EV_NO_STEP,   LIVE_LINE },
	[EV_ROLLBACK_STEP]    = { ev_rollback_step,    EV_FIND_STEP, LIVE_IF_FAILED },
	[EV_RUN_FINISHED]     = { ev_run_finished,     EV_NO_STEP,   LIVE_LINE },
	[EV_LOG]              = { ev_log,              EV_FIND_STEP, LIVE_LINE },
};

static const struct disp_ev *ev_find(const char *event)
{
	enum ev_kind k = ev_kind_parse(event);
	return k != EV_UNKNOWN && disp_events[k].fn ? &disp_events[k] : NULL;
}

/* Build the human text for one event into `line` (without time/step prefix). The same
 * words serve the plain lines and the live display's message lines. Returns 1 if the
 * event produces a line. Updates step state. Called with the lock held. */
int dsp_event_apply(struct display *d, jv ev, int64_t t, const char **who, struct buf *line,
		       const char **color)
{
	int berr = 0;
	const char *event = dsp_str(d, ev, "event");
	const char *step = dsp_str(d, ev, "step");
	const struct disp_ev *e = ev_find(event);
	struct evctx c = { .d = d, .ev = ev, .t = t, .who = step ? step : "run", .line = line };
	int out = 1;

	buf_init(&c.err, CAP_DISPLAY_ERROR);
	if (!e) {
		/* an event this display does not know: show it rather than hide it */
		char *all = jvx_dump(jv_copy(ev));
		berr |= buf_addf(line, "%s %s", event ? event : "event", all);
		free(all);
		goto done;
	}
	if (step && e->step == EV_MAKE_STEP) {
		int k = dsp_step_get(d, step);   /* may grow d->steps: index first */
		c.s = &d->steps[k];
	} else if (step && e->step == EV_FIND_STEP) {
		int i = dsp_step_find(d, step);
		c.s = i >= 0 ? &d->steps[i] : NULL;
	}
	if (e->step == EV_MAKE_STEP && !c.s) {
		berr |= buf_addf(line, "%s without a step", event);
		goto done;
	}
	out = e->fn(&c);
done:
	if (berr || c.berr) {
		/* line is at its cap: say so rather than show a cut line */
		buf_reset(line);
		if (buf_adds(line, "(this event's text is over the display's limit: see the journal)") < 0)
			BUG("a display line cannot hold its own notice");
	}
	*who = c.who;
	*color = c.color;
	buf_release(&c.err);
	return out;
}

/* whether the live display prints this event as a line above its list */
int dsp_event_live_line(struct display *d, jv ev)
{
	const struct disp_ev *e = ev_find(dsp_str(d, ev, "event"));
	enum step_state st;
	const char *status;
	if (!e)
		return 1;
	switch (e->live) {
	case LIVE_LIST_ONLY:
		return 0;
	case LIVE_IF_RESUMED:    /* the operator must see that this continues a run */
		return dsp_bool(d, ev, "resumed", 0);
	case LIVE_IF_FAILED:
		status = dsp_str(d, ev, "status");
		return status && (dsp_state_parse(status, &st) < 0 || st == ST_FAILED);
	default:
		return 1;
	}
}

/* ---- plain ---- */

void dsp_plain_event(struct display *d, jv ev, int64_t t)
{
	int berr = 0;
	struct buf line = BUF_INIT(CAP_LINE);
	struct buf b = BUF_INIT(0);        /* line holds the cap */
	const char *who, *color;
	if (dsp_event_apply(d, ev, t, &who, &line, &color)) {
		berr |= dsp_plain_prefix(d, &b, t, who);
		berr |= dsp_color_on(d, &b, color);
		berr |= dsp_add_indented(d, &b, buf_str(&line));
		berr |= dsp_color_off(d, &b);
		berr |= buf_addc(&b, '\n');
		BUF_NOCAP(berr);
		fwrite(b.data, 1, b.len, d->out);
		fflush(d->out);
	}
	buf_release(&line);
	buf_release(&b);
}
