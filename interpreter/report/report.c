/* report.c — run reports (text, json, markdown, junit) from journal events.
 *
 * report_build() folds the events into one report object; every format renders that
 * object, so the formats cannot disagree.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/events.h"
#include "../core/jvx.h"

int report_format_parse(const char *name, enum report_format *f)
{
#define X(e, s) if (!strcmp(name, s)) { *f = e; return 0; }
	REPORT_FORMATS(X)
#undef X
	if (!strcmp(name, "md")) {
		*f = REPORT_MARKDOWN;
		return 0;
	}
	return -1;
}

/* ---- folding events ---- */

struct rstep {
	char *id;
	char *kind;
	char *status;            /* NULL: never started */
	char *started, *finished;    /* RFC 3339 as journaled */
	int64_t t_start, t_end;  /* ms since epoch, -1 unknown */
	int64_t dur_field;       /* step_finished duration_ms, -1 */
	int starts, attempt, retries, polls, items;
	char *error;
	char *approved_by;
	char *rb_status, *rb_error;
};

struct fold {
	struct rstep *steps;
	int n, alloc;
	jv index;                /* id -> position */
};

static void set_str(char **dst, const char *s)
{
	if (!s)
		return;
	free(*dst);
	*dst = xstrdup(s);
}

static struct rstep *step_get(struct fold *f, const char *id)
{
	jv pos = jv_object_get(jv_copy(f->index), jv_string(id));
	struct rstep *s;
	if (jv_is_valid(pos)) {
		int i = (int)jv_number_value(pos);
		jv_free(pos);
		return &f->steps[i];
	}
	jv_free(pos);
	ALLOC_GROW(f->steps, f->n + 1, f->alloc);
	s = &f->steps[f->n];
	memset(s, 0, sizeof(*s));
	s->id = xstrdup(id);
	s->t_start = s->t_end = s->dur_field = -1;
	f->index = jv_object_set(f->index, jv_string(id), jv_number(f->n));
	f->n++;
	return s;
}

/* "code: message", a string as is, anything else as compact JSON; NULL if absent */
static char *err_text(jv ev, const char *key)
{
	jv e = jvx_get(ev, key);
	struct buf b = BUF_INIT(0);
	if (!jv_is_valid(e) || jv_get_kind(e) == JV_KIND_NULL) {
		jv_free(e);
		return NULL;
	}
	if (jv_get_kind(e) == JV_KIND_STRING) {
		buf_adds(&b, jv_string_value(e));
	} else if (jv_get_kind(e) == JV_KIND_OBJECT && (jvx_str(e, "code") || jvx_str(e, "message"))) {
		const char *code = jvx_str(e, "code"), *msg = jvx_str(e, "message");
		if (code && msg)
			buf_addf(&b, "%s: %s", code, msg);
		else
			buf_adds(&b, code ? code : msg);
	} else {
		char *t = jvx_dump(jv_copy(e));
		buf_adds(&b, t);
		free(t);
	}
	jv_free(e);
	return buf_detach(&b);
}

static int64_t ev_time(jv ev)
{
	const char *t = jvx_str(ev, "time");
	int64_t ms;
	if (t && !ts_parse(t, &ms))
		return ms;
	return -1;
}

static jv str_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

static jv ms_or_null(int64_t ms)
{
	return ms >= 0 ? jv_number((double)ms) : jv_null();
}

/* events that describe a step of the plan (log, call, result, mutation... may name
 * rollback steps or for_each items: they are not rows of the report) */
static int is_step_event(enum ev_kind k)
{
	switch (k) {
	case EV_STEP_STARTED: case EV_STEP_RETRY: case EV_WAIT_POLL: case EV_ITEM_FINISHED:
	case EV_CONFIRM: case EV_STEP_FINISHED: case EV_ROLLBACK_STEP:
		return 1;
	default:
		return 0;
	}
}

jv report_build(jv events)
{
	struct fold f = { NULL, 0, 0, jv_object() };
	jv rep = jv_object(), steps = jv_array(), rollback = jv_null(), rbsteps = jv_array();
	const char *run = NULL, *runbook = NULL, *status = NULL, *started = NULL, *finished = NULL;
	int64_t t0 = -1, t1 = -1, run_dur = -1, exit_code = -1;
	int dry_run = 0, rehearsal = 0, n;
	char *run_error = NULL;
	struct { int steps, succeeded, failed, skipped, rolled_back, pending, running, dry_run,
		 retries, polls, rollback_steps, rollback_failed; } tot = {0};

	n = jv_get_kind(events) == JV_KIND_ARRAY ? jv_array_length(jv_copy(events)) : 0;
	for (int i = 0; i < n; i++) {
		jv ev = jv_array_get(jv_copy(events), i);
		enum ev_kind e = ev_kind_of(ev);
		const char *sid = e != EV_UNKNOWN ? jvx_str(ev, "step") : NULL;
		int64_t t = e != EV_UNKNOWN ? ev_time(ev) : -1;
		struct rstep *s = NULL;
		if (e == EV_UNKNOWN)
			goto next;
		if (!run && jvx_str(ev, "run"))
			run = jvx_str(ev, "run");
		if (e == EV_RUN_STARTED || e == EV_RUN_RESUMED) {
			jv list = jvx_get(ev, "steps");
			if (!runbook)
				runbook = jvx_str(ev, "runbook");
			if (e == EV_RUN_STARTED) {
				started = jvx_str(ev, "time");
				t0 = t;
				dry_run = jvx_bool(ev, "dry_run", 0);
				rehearsal = jvx_bool(ev, "rehearsal", 0);
			}
			/* the plan's steps first, in its order */
			if (jv_get_kind(list) == JV_KIND_ARRAY) {
				int m = jv_array_length(jv_copy(list));
				for (int k = 0; k < m; k++) {
					jv it = jv_array_get(jv_copy(list), k);
					const char *id = NULL;
					if (jv_get_kind(it) == JV_KIND_STRING)
						id = jv_string_value(it);
					else if (jv_get_kind(it) == JV_KIND_OBJECT)
						id = jvx_str(it, "qid") ? jvx_str(it, "qid") : jvx_str(it, "id");
					if (id) {
						struct rstep *st = step_get(&f, id);
						if (jv_get_kind(it) == JV_KIND_OBJECT)
							set_str(&st->kind, jvx_str(it, "kind"));
					}
					jv_free(it);
				}
			}
			jv_free(list);
		} else if (e == EV_RUN_FINISHED) {
			status = jvx_str(ev, "status");
			finished = jvx_str(ev, "time");
			t1 = t;
			run_dur = jvx_int(ev, "duration_ms", -1);
			exit_code = jvx_int(ev, "exit_code", -1);
			free(run_error);
			run_error = err_text(ev, "error");
		} else if (e == EV_ROLLBACK_STARTED) {
			jv r = jv_object();
			r = jv_object_set(r, jv_string("reason"), str_or_null(jvx_str(ev, "reason")));
			r = jv_object_set(r, jv_string("started_at"), str_or_null(jvx_str(ev, "time")));
			jv_free(rollback);
			rollback = r;
		} else if (sid && is_step_event(e)) {
			s = step_get(&f, sid);
			if (e == EV_STEP_STARTED) {
				int a = (int)jvx_int(ev, "attempt", 0);
				set_str(&s->kind, jvx_str(ev, "kind"));
				if (!s->started) {
					set_str(&s->started, jvx_str(ev, "time"));
					s->t_start = t;
				}
				s->starts++;
				if (a > s->attempt)
					s->attempt = a;
				set_str(&s->status, "running");
			} else if (e == EV_STEP_RETRY) {
				int a = (int)jvx_int(ev, "attempt", 0);
				s->retries++;
				if (a > s->attempt)
					s->attempt = a;
			} else if (e == EV_WAIT_POLL) {
				int p = (int)jvx_int(ev, "poll", 0);
				s->polls = p > s->polls ? p : s->polls + 1;
			} else if (e == EV_ITEM_FINISHED) {
				s->items++;
			} else if (e == EV_CONFIRM) {
				const char *st = jvx_str(ev, "status");
				if (st && strcmp(st, "prompt") && jvx_str(ev, "by"))
					set_str(&s->approved_by, jvx_str(ev, "by"));
			} else if (e == EV_STEP_FINISHED) {
				char *err = err_text(ev, "error");
				int p = (int)jvx_int(ev, "polls", -1);
				set_str(&s->status, jvx_str(ev, "status") ? jvx_str(ev, "status") : "succeeded");
				set_str(&s->finished, jvx_str(ev, "time"));
				s->t_end = t;
				s->dur_field = jvx_int(ev, "duration_ms", -1);
				if (p > s->polls)
					s->polls = p;
				if (!err && jvx_str(ev, "reason"))
					err = xstrdup(jvx_str(ev, "reason"));
				if (err) {
					free(s->error);
					s->error = err;
				}
			} else if (e == EV_ROLLBACK_STEP) {
				const char *st = jvx_str(ev, "status");
				if (st && (!strcmp(st, "running") || !strcmp(st, "started")))
					goto next;
				/* several rollback steps per step: a failure sticks */
				if (s->rb_status && !strcmp(s->rb_status, "failed"))
					goto next;
				set_str(&s->rb_status, st ? st : "succeeded");
				free(s->rb_error);
				s->rb_error = err_text(ev, "error");
			}
		}
next:
		jv_free(ev);
	}

	for (int i = 0; i < f.n; i++) {
		struct rstep *s = &f.steps[i];
		jv o = jv_object();
		int64_t dur = -1;
		const char *st = s->status ? s->status : "pending";
		int attempts = s->starts;
		if (s->attempt > attempts)
			attempts = s->attempt;
		if (s->retries + (s->status ? 1 : 0) > attempts)
			attempts = s->retries + 1;
		if (s->t_start >= 0 && s->t_end >= s->t_start)
			dur = s->t_end - s->t_start;
		else if (s->dur_field >= 0)
			dur = s->dur_field;
		o = jv_object_set(o, jv_string("id"), jv_string(s->id));
		o = jv_object_set(o, jv_string("kind"), str_or_null(s->kind));
		o = jv_object_set(o, jv_string("status"), jv_string(st));
		o = jv_object_set(o, jv_string("started_at"), str_or_null(s->started));
		o = jv_object_set(o, jv_string("finished_at"), str_or_null(s->finished));
		o = jv_object_set(o, jv_string("offset_ms"),
				  ms_or_null(t0 >= 0 && s->t_start >= t0 ? s->t_start - t0 : -1));
		o = jv_object_set(o, jv_string("duration_ms"), ms_or_null(dur));
		o = jv_object_set(o, jv_string("attempts"), jv_number(attempts));
		o = jv_object_set(o, jv_string("polls"), jv_number(s->polls));
		if (s->items)
			o = jv_object_set(o, jv_string("items"), jv_number(s->items));
		o = jv_object_set(o, jv_string("error"), str_or_null(s->error));
		if (s->approved_by)
			o = jv_object_set(o, jv_string("approved_by"), jv_string(s->approved_by));
		if (s->rb_status) {
			jv r = jv_object();
			r = jv_object_set(r, jv_string("status"), jv_string(s->rb_status));
			r = jv_object_set(r, jv_string("error"), str_or_null(s->rb_error));
			o = jv_object_set(o, jv_string("rollback"), r);
			tot.rollback_steps++;
			if (!strcmp(s->rb_status, "failed"))
				tot.rollback_failed++;
			jv rs = jv_object();
			rs = jv_object_set(rs, jv_string("step"), jv_string(s->id));
			rs = jv_object_set(rs, jv_string("status"), jv_string(s->rb_status));
			rs = jv_object_set(rs, jv_string("error"), str_or_null(s->rb_error));
			rbsteps = jv_array_append(rbsteps, rs);
		} else {
			o = jv_object_set(o, jv_string("rollback"), jv_null());
		}
		steps = jv_array_append(steps, o);

		tot.steps++;
		tot.retries += s->retries > attempts - 1 ? s->retries : attempts - 1;
		tot.polls += s->polls;
		if (!strcmp(st, "succeeded")) tot.succeeded++;
		else if (!strcmp(st, "failed")) tot.failed++;
		else if (!strcmp(st, "skipped")) tot.skipped++;
		else if (!strcmp(st, "rolled_back")) tot.rolled_back++;
		else if (!strcmp(st, "running")) tot.running++;
		else if (!strcmp(st, "dry_run")) tot.dry_run++;
		else tot.pending++;
	}
	/* rollback steps in the order they ran: rbsteps follows step order; rebuild from
	 * events so the report shows reverse completion order as it happened */
	jv_free(rbsteps);
	rbsteps = jv_array();
	for (int i = 0; i < n; i++) {
		jv ev = jv_array_get(jv_copy(events), i);
		enum ev_kind e = ev_kind_of(ev);
		const char *st = e != EV_UNKNOWN ? jvx_str(ev, "status") : NULL;
		if (e == EV_ROLLBACK_STEP && jvx_str(ev, "step") &&
		    !(st && (!strcmp(st, "running") || !strcmp(st, "started")))) {
			jv rs = jv_object();
			char *err = err_text(ev, "error");
			rs = jv_object_set(rs, jv_string("step"), jv_string(jvx_str(ev, "step")));
			if (jvx_str(ev, "rollback_step"))
				rs = jv_object_set(rs, jv_string("rollback_step"), jv_string(jvx_str(ev, "rollback_step")));
			rs = jv_object_set(rs, jv_string("status"), jv_string(st ? st : "succeeded"));
			rs = jv_object_set(rs, jv_string("error"), str_or_null(err));
			free(err);
			rbsteps = jv_array_append(rbsteps, rs);
		}
		jv_free(ev);
	}
	if (jv_get_kind(rollback) == JV_KIND_OBJECT || jv_array_length(jv_copy(rbsteps)) > 0) {
		if (jv_get_kind(rollback) != JV_KIND_OBJECT) {
			jv_free(rollback);
			rollback = jv_object_set(jv_object(), jv_string("reason"), jv_null());
		}
		rollback = jv_object_set(rollback, jv_string("steps"), rbsteps);
	} else {
		jv_free(rbsteps);
	}

	if (run_dur < 0 && t0 >= 0 && t1 >= t0)
		run_dur = t1 - t0;
	rep = jv_object_set(rep, jv_string("run"), str_or_null(run));
	rep = jv_object_set(rep, jv_string("runbook"), str_or_null(runbook));
	rep = jv_object_set(rep, jv_string("status"), jv_string(status ? status : "incomplete"));
	rep = jv_object_set(rep, jv_string("exit_code"), exit_code >= 0 ? jv_number((double)exit_code) : jv_null());
	rep = jv_object_set(rep, jv_string("dry_run"), jv_bool(dry_run));
	rep = jv_object_set(rep, jv_string("rehearsal"), jv_bool(rehearsal));
	rep = jv_object_set(rep, jv_string("started_at"), str_or_null(started));
	rep = jv_object_set(rep, jv_string("finished_at"), str_or_null(finished));
	rep = jv_object_set(rep, jv_string("duration_ms"), ms_or_null(run_dur));
	rep = jv_object_set(rep, jv_string("error"), str_or_null(run_error));
	rep = jv_object_set(rep, jv_string("steps"), steps);
	rep = jv_object_set(rep, jv_string("rollback"), rollback);
	{
		jv t = jv_object();
#define T(name) t = jv_object_set(t, jv_string(#name), jv_number(tot.name))
		T(steps); T(succeeded); T(failed); T(skipped); T(rolled_back); T(pending);
		T(running); T(dry_run); T(retries); T(polls); T(rollback_steps); T(rollback_failed);
#undef T
		rep = jv_object_set(rep, jv_string("totals"), t);
	}

	for (int i = 0; i < f.n; i++) {
		struct rstep *s = &f.steps[i];
		free(s->id); free(s->kind); free(s->status); free(s->started); free(s->finished);
		free(s->error); free(s->approved_by); free(s->rb_status); free(s->rb_error);
	}
	free(f.steps);
	free(run_error);
	jv_free(f.index);
	return rep;
}

/* ---- helpers for rendering ---- */

static const char *rstr(jv o, const char *key, const char *def)
{
	const char *s = jvx_str(o, key);
	return s ? s : def;
}

static void fmt_ms(struct buf *b, jv o, const char *key)
{
	char d[64];
	jv v = jvx_get(o, key);
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		buf_adds(b, dur_format((int64_t)jv_number_value(v), d, sizeof(d)));
	else
		buf_adds(b, "-");
	jv_free(v);
}

static void totals_line(struct buf *b, jv rep)
{
	jv t = jvx_get(rep, "totals");
	static const char *const parts[][2] = { {"succeeded", "succeeded"}, {"failed", "failed"},
		{"skipped", "skipped"}, {"rolled_back", "rolled back"}, {"dry_run", "dry run"},
		{"running", "running"}, {"pending", "not run"} };
	int first = 1;
	int64_t steps = jvx_int(t, "steps", 0), retries = jvx_int(t, "retries", 0),
		polls = jvx_int(t, "polls", 0), rbs = jvx_int(t, "rollback_steps", 0),
		rbf = jvx_int(t, "rollback_failed", 0);
	buf_addf(b, "%" PRId64 " step%s", steps, steps == 1 ? "" : "s");
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int64_t k = jvx_int(t, parts[i][0], 0);
		if (!k)
			continue;
		buf_addf(b, "%s %" PRId64 " %s", first ? ":" : ",", k, parts[i][1]);
		first = 0;
	}
	buf_addf(b, "; %" PRId64 " retr%s; %" PRId64 " poll%s", retries, retries == 1 ? "y" : "ies",
		 polls, polls == 1 ? "" : "s");
	if (rbs)
		buf_addf(b, "; rollback: %" PRId64 " of %" PRId64 " succeeded", rbs - rbf, rbs);
	jv_free(t);
}

static void run_head(struct buf *b, jv rep)
{
	jv ec = jvx_get(rep, "exit_code");
	buf_addf(b, "%s", rstr(rep, "status", "incomplete"));
	if (jv_get_kind(ec) == JV_KIND_NUMBER)
		buf_addf(b, " (exit %d)", (int)jv_number_value(ec));
	jv_free(ec);
	if (jvx_bool(rep, "dry_run", 0))
		buf_adds(b, ", dry run");
	if (jvx_bool(rep, "rehearsal", 0))
		buf_adds(b, ", rehearsal");
}

/* ---- text ---- */

static int text_width(jv steps, const char *key, int min)
{
	int n = jv_array_length(jv_copy(steps)), w = min;
	for (int i = 0; i < n; i++) {
		jv s = jv_array_get(jv_copy(steps), i);
		const char *v = jvx_str(s, key);
		if (v && (int)strlen(v) > w)
			w = (int)strlen(v);
		jv_free(s);
	}
	return w;
}

/* "step 'x' failed: <its error>": the length of "step 'x' failed", or 0 */
int report_failed_step_len(const char *reason)
{
	const char *cut = reason && !strncmp(reason, "step '", 6) ? strstr(reason, "' failed: ") : NULL;
	return cut ? (int)(cut - reason) + (int)strlen("' failed") : 0;
}

static void render_text(struct buf *b, jv rep)
{
	jv steps = jvx_get(rep, "steps"), rb = jvx_get(rep, "rollback");
	int n = jv_array_length(jv_copy(steps));
	int wid = text_width(steps, "id", 4), wst = text_width(steps, "status", 6);
	struct buf cell = BUF_INIT(0);
	int nerr = 0, k;
	const char *why;

	buf_addf(b, "run %s", rstr(rep, "run", "?"));
	if (jvx_str(rep, "runbook"))
		buf_addf(b, " (%s)", jvx_str(rep, "runbook"));
	buf_adds(b, ": ");
	run_head(b, rep);
	buf_addc(b, '\n');
	buf_addf(b, "started %s, took ", rstr(rep, "started_at", "?"));
	fmt_ms(b, rep, "duration_ms");
	buf_adds(b, "\n\n");

	buf_addf(b, "%-*s  %-*s  %-9s  %-9s  %8s  %5s  %s\n", wid, "STEP", wst, "STATUS", "START",
		 "DURATION", "ATTEMPTS", "POLLS", "ROLLBACK");
	for (int i = 0; i < n; i++) {
		jv s = jv_array_get(jv_copy(steps), i);
		jv off = jvx_get(s, "offset_ms"), rbo = jvx_get(s, "rollback");
		char start[32], dur[32], polls[32];
		buf_reset(&cell);
		if (jv_get_kind(off) == JV_KIND_NUMBER) {
			buf_adds(&cell, "+");
			fmt_ms(&cell, s, "offset_ms");
		} else {
			buf_adds(&cell, "-");
		}
		jv_free(off);
		snprintf(start, sizeof(start), "%s", buf_str(&cell));
		buf_reset(&cell);
		fmt_ms(&cell, s, "duration_ms");
		snprintf(dur, sizeof(dur), "%s", buf_str(&cell));
		if (jvx_int(s, "polls", 0))
			snprintf(polls, sizeof(polls), "%" PRId64, jvx_int(s, "polls", 0));
		else
			snprintf(polls, sizeof(polls), "-");
		buf_addf(b, "%-*s  %-*s  %-9s  %-9s  %8" PRId64 "  %5s  %s\n", wid, rstr(s, "id", "?"), wst,
			 rstr(s, "status", "?"), start, dur, jvx_int(s, "attempts", 0), polls,
			 jv_get_kind(rbo) == JV_KIND_OBJECT ? rstr(rbo, "status", "?") : "-");
		jv_free(rbo);
		if (jvx_str(s, "error"))
			nerr++;
		jv_free(s);
	}
	if (nerr) {
		buf_adds(b, "\nerrors:\n");
		for (int i = 0; i < n; i++) {
			jv s = jv_array_get(jv_copy(steps), i);
			const char *e = jvx_str(s, "error");
			if (e) {
				buf_addf(b, "  %s: ", rstr(s, "id", "?"));
				for (const char *p = e; *p; p++) {
					buf_addc(b, *p);
					if (*p == '\n')
						buf_adds(b, "    ");
				}
				buf_addc(b, '\n');
			}
			jv_free(s);
		}
	}
	if (jv_get_kind(rb) == JV_KIND_OBJECT) {
		jv rsteps = jvx_get(rb, "steps");
		int m = jv_get_kind(rsteps) == JV_KIND_ARRAY ? jv_array_length(jv_copy(rsteps)) : 0;
		buf_adds(b, "\nrollback");
		if ((why = jvx_str(rb, "reason")) && (k = report_failed_step_len(why)))
			buf_addf(b, " (%.*s)", k, why);      /* the error is listed above */
		else if (why)
			buf_addf(b, " (%s)", why);
		buf_adds(b, ":\n");
		if (!m)
			buf_adds(b, "  nothing to undo\n");
		for (int i = 0; i < m; i++) {
			jv r = jv_array_get(jv_copy(rsteps), i);
			buf_addf(b, "  %-*s  %s", wid, rstr(r, "step", "?"), rstr(r, "status", "?"));
			if (jvx_str(r, "rollback_step"))
				buf_addf(b, " (%s)", jvx_str(r, "rollback_step"));
			if (jvx_str(r, "error")) {
				buf_adds(b, ": ");
				for (const char *q = jvx_str(r, "error"); *q; q++) {
					buf_addc(b, *q);
					if (*q == '\n')
						buf_adds(b, "    ");
				}
			}
			buf_addc(b, '\n');
			jv_free(r);
		}
		jv_free(rsteps);
	}
	if ((why = jvx_str(rep, "error")) && nerr && (k = report_failed_step_len(why)))
		buf_addf(b, "\nrun error: %.*s (see errors)\n", k, why);
	else if (why)
		buf_addf(b, "\nrun error: %s\n", why);
	buf_adds(b, "\ntotals: ");
	totals_line(b, rep);
	buf_addc(b, '\n');
	buf_release(&cell);
	jv_free(steps);
	jv_free(rb);
}

/* ---- markdown ---- */

static void md_cell(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			buf_adds(b, "\\|");
		else if (*s == '\n')
			buf_adds(b, "<br>");
		else if (*s == '<')
			buf_adds(b, "&lt;");
		else
			buf_addc(b, *s);
	}
}

static void render_md(struct buf *b, jv rep)
{
	jv steps = jvx_get(rep, "steps"), rb = jvx_get(rep, "rollback");
	int n = jv_array_length(jv_copy(steps));

	buf_adds(b, "# Run ");
	md_cell(b, rstr(rep, "run", "?"));
	if (jvx_str(rep, "runbook")) {
		buf_adds(b, " (");
		md_cell(b, jvx_str(rep, "runbook"));
		buf_adds(b, ")");
	}
	buf_adds(b, "\n\n**Status:** ");
	run_head(b, rep);
	buf_adds(b, "  \n**Started:** ");
	md_cell(b, rstr(rep, "started_at", "?"));
	buf_adds(b, "  \n**Duration:** ");
	fmt_ms(b, rep, "duration_ms");
	buf_adds(b, "\n\n## Steps\n\n| Step | Status | Start | Duration | Attempts | Polls | Rollback | Error |\n"
		    "|---|---|---|---|---:|---:|---|---|\n");
	for (int i = 0; i < n; i++) {
		jv s = jv_array_get(jv_copy(steps), i);
		jv off = jvx_get(s, "offset_ms");
		buf_adds(b, "| `");
		md_cell(b, rstr(s, "id", "?"));
		buf_adds(b, "` | ");
		md_cell(b, rstr(s, "status", "?"));
		buf_adds(b, " | ");
		if (jv_get_kind(off) == JV_KIND_NUMBER) {
			buf_adds(b, "+");
			fmt_ms(b, s, "offset_ms");
		} else {
			buf_adds(b, "-");
		}
		jv_free(off);
		buf_adds(b, " | ");
		fmt_ms(b, s, "duration_ms");
		buf_addf(b, " | %" PRId64 " | %" PRId64 " | ", jvx_int(s, "attempts", 0), jvx_int(s, "polls", 0));
		{
			jv rbo = jvx_get(s, "rollback");
			md_cell(b, jv_get_kind(rbo) == JV_KIND_OBJECT ? rstr(rbo, "status", "?") : "-");
			jv_free(rbo);
		}
		buf_adds(b, " | ");
		md_cell(b, jvx_str(s, "error"));
		buf_adds(b, " |\n");
		jv_free(s);
	}
	if (jv_get_kind(rb) == JV_KIND_OBJECT) {
		jv rsteps = jvx_get(rb, "steps");
		int m = jv_get_kind(rsteps) == JV_KIND_ARRAY ? jv_array_length(jv_copy(rsteps)) : 0;
		buf_adds(b, "\n## Rollback\n\n");
		if (jvx_str(rb, "reason")) {
			buf_adds(b, "Reason: ");
			md_cell(b, jvx_str(rb, "reason"));
			buf_adds(b, "\n\n");
		}
		buf_adds(b, "| Step | Outcome | Error |\n|---|---|---|\n");
		for (int i = 0; i < m; i++) {
			jv r = jv_array_get(jv_copy(rsteps), i);
			buf_adds(b, "| `");
			md_cell(b, rstr(r, "step", "?"));
			buf_adds(b, "` | ");
			md_cell(b, rstr(r, "status", "?"));
			if (jvx_str(r, "rollback_step")) {
				buf_adds(b, " (`");
				md_cell(b, jvx_str(r, "rollback_step"));
				buf_adds(b, "`)");
			}
			buf_adds(b, " | ");
			md_cell(b, jvx_str(r, "error"));
			buf_adds(b, " |\n");
			jv_free(r);
		}
		jv_free(rsteps);
	}
	buf_adds(b, "\n## Totals\n\n");
	totals_line(b, rep);
	buf_addc(b, '\n');
	jv_free(steps);
	jv_free(rb);
}

/* ---- junit ---- */

static void xml_esc(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\n': buf_adds(b, "&#10;"); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t')
				buf_adds(b, "?");     /* not allowed in XML 1.0 */
			else
				buf_addc(b, *s);
		}
	}
}

static void secs(struct buf *b, jv o, const char *key)
{
	jv v = jvx_get(o, key);
	double ms = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;
	jv_free(v);
	buf_addf(b, "%.3f", ms / 1000.0);
}

static void render_junit(struct buf *b, jv rep)
{
	jv steps = jvx_get(rep, "steps"), t = jvx_get(rep, "totals");
	int n = jv_array_length(jv_copy(steps));
	const char *suite = rstr(rep, "runbook", "runbook");
	int64_t failures = jvx_int(t, "failed", 0);
	int64_t skipped = jvx_int(t, "skipped", 0) + jvx_int(t, "pending", 0);
	int64_t errors = jvx_int(t, "running", 0);

	buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"runbook\" tests=\"");
	buf_addf(b, "%d\" failures=\"%" PRId64 "\" errors=\"%" PRId64 "\" skipped=\"%" PRId64 "\" time=\"",
		 n, failures, errors, skipped);
	secs(b, rep, "duration_ms");
	buf_adds(b, "\">\n  <testsuite name=\"");
	xml_esc(b, suite);
	buf_addf(b, "\" id=\"");
	xml_esc(b, rstr(rep, "run", ""));
	buf_addf(b, "\" tests=\"%d\" failures=\"%" PRId64 "\" errors=\"%" PRId64 "\" skipped=\"%" PRId64
		 "\" time=\"", n, failures, errors, skipped);
	secs(b, rep, "duration_ms");
	buf_adds(b, "\"");
	if (jvx_str(rep, "started_at")) {
		buf_adds(b, " timestamp=\"");
		xml_esc(b, jvx_str(rep, "started_at"));
		buf_adds(b, "\"");
	}
	buf_adds(b, ">\n");
	for (int i = 0; i < n; i++) {
		jv s = jv_array_get(jv_copy(steps), i);
		const char *st = rstr(s, "status", "pending");
		const char *err = jvx_str(s, "error");
		jv rb = jvx_get(s, "rollback");
		struct buf out = BUF_INIT(0);
		buf_adds(b, "    <testcase classname=\"");
		xml_esc(b, suite);
		buf_adds(b, "\" name=\"");
		xml_esc(b, rstr(s, "id", "?"));
		buf_adds(b, "\" time=\"");
		secs(b, s, "duration_ms");
		buf_adds(b, "\"");
		buf_addf(&out, "status: %s; attempts: %" PRId64 "; polls: %" PRId64, st,
			 jvx_int(s, "attempts", 0), jvx_int(s, "polls", 0));
		if (jv_get_kind(rb) == JV_KIND_OBJECT) {
			buf_addf(&out, "; rollback: %s", rstr(rb, "status", "?"));
			if (jvx_str(rb, "error"))
				buf_addf(&out, " (%s)", jvx_str(rb, "error"));
		}
		buf_adds(b, ">\n");
		if (!strcmp(st, "failed")) {
			buf_adds(b, "      <failure message=\"");
			xml_esc(b, err ? err : "failed");
			buf_adds(b, "\" type=\"step_failed\">");
			xml_esc(b, err ? err : "failed");
			buf_adds(b, "</failure>\n");
		} else if (!strcmp(st, "skipped") || !strcmp(st, "pending")) {
			buf_adds(b, "      <skipped message=\"");
			xml_esc(b, err ? err : !strcmp(st, "pending") ? "not run" : "skipped");
			buf_adds(b, "\"/>\n");
		} else if (!strcmp(st, "running")) {
			buf_adds(b, "      <error message=\"interrupted while running\" type=\"interrupted\"/>\n");
		}
		buf_adds(b, "      <system-out>");
		xml_esc(b, buf_str(&out));
		buf_adds(b, "</system-out>\n    </testcase>\n");
		buf_release(&out);
		jv_free(rb);
		jv_free(s);
	}
	buf_adds(b, "  </testsuite>\n</testsuites>\n");
	jv_free(steps);
	jv_free(t);
}

int report_render(jv events, enum report_format fmt, FILE *out)
{
	jv rep = report_build(events);
	struct buf b = BUF_INIT(0);
	int rc = 0;
	switch (fmt) {
	case REPORT_TEXT:
		render_text(&b, rep);
		break;
	case REPORT_JSON: {
		jv txt = jv_dump_string(jv_copy(rep), JV_PRINT_PRETTY | JV_PRINT_SPACE1);
		buf_adds(&b, jv_string_value(txt));
		buf_addc(&b, '\n');
		jv_free(txt);
		break;
	}
	case REPORT_MARKDOWN:
		render_md(&b, rep);
		break;
	case REPORT_JUNIT:
		render_junit(&b, rep);
		break;
	default:
		BUG("unknown report format");
	}
	if (b.len && fwrite(b.data, 1, b.len, out) != b.len)
		rc = -1;
	buf_release(&b);
	jv_free(rep);
	return rc;
}
