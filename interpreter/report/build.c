/* build.c — report_build: a run's events (through the journal's fold), its plan.json
 * and params.json, into the one report object every format renders.
 *
 * The fold (core/events.h) gives the run and its steps; one pass beside it keeps what
 * only the report needs: step names and `needs`, poll and retry times, approvals with
 * how and when, and each rollback action with its item and times (the fold keeps
 * rollback actions without times, and per step only the worst outcome).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "report_int.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/events.h"
#include "../core/jvx.h"

#define KEY_LINES 4          /* lines of an error shown where it is listed */
#define KEY_LINE_MAX 240     /* bytes of one such line */

static jv str_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

static jv ms_or_null(int64_t ms)
{
	return ms >= 0 ? jv_number((double)ms) : jv_null();
}

/* what the pass beside the fold keeps */
struct extra {
	jv info;        /* step id -> {name, finally, noncritical, needs, polls: [ms], retries: [ms]} */
	jv approvals;   /* [{step, status, how, by, at, prompt, message}] */
	jv rb_rows;     /* rollback actions: [{step, rollback_step, item, status, error, t0, t1}] */
	jv rb_open;     /* "rollback_step#item" -> its row's index while it runs */
	char *rb_reason;
	char *mode;         /* run_started's mode, when a writer gives one */
};

static jv info_get(struct extra *x, const char *id)
{
	jv o = jv_object_get(jv_copy(x->info), jv_string(id));
	if (!jv_is_valid(o)) {
		jv_free(o);
		o = jv_object();
	}
	return o;
}

static void info_set(struct extra *x, const char *id, const char *key, jv v)
{
	jv o = info_get(x, id);
	o = jv_object_set(o, jv_string(key), v);
	x->info = jv_object_set(x->info, jv_string(id), o);
}

static void info_append(struct extra *x, const char *id, const char *key, int64_t t)
{
	jv o = info_get(x, id), a = jvx_get(o, key);
	if (jv_get_kind(a) != JV_KIND_ARRAY) {
		jv_free(a);
		a = jv_array();
	}
	a = jv_array_append(a, jv_number((double)t));
	o = jv_object_set(o, jv_string(key), a);
	x->info = jv_object_set(x->info, jv_string(id), o);
}

/* the plan's steps of run_started: names, and `needs` where the journal has them */
static void extra_plan(struct extra *x, jv ev)
{
	jv list = RGET(ev, "steps");
	if (jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, i, it) {
			const char *id = jv_get_kind(it) == JV_KIND_OBJECT ?
				(RSTR(it, "id") ? RSTR(it, "id") : RSTR(it, "qid")) : NULL;
			jv needs = id ? RGET(it, "needs") : jv_invalid();
			if (id && RSTR(it, "name"))
				info_set(x, id, "name", jv_string(RSTR(it, "name")));
			if (jv_get_kind(needs) == JV_KIND_ARRAY)
				info_set(x, id, "needs", needs);
			else
				jv_free(needs);
			jv_free(it);
			(void)i;
		}
	}
	jv_free(list);
}

static void extra_rollback_step(struct extra *x, jv ev, int64_t t)
{
	const char *st = RSTR(ev, "status"), *rs = RSTR(ev, "rollback_step");
	int64_t item = RINT(ev, "item", -1);
	jv key = jv_string_fmt("%s#%" PRId64, rs ? rs : "?", item);
	jv open = jv_object_get(jv_copy(x->rb_open), jv_copy(key));
	int running = st && (!strcmp(st, "running") || !strcmp(st, "started"));
	jv row;
	int at = -1;

	if (jv_is_valid(open)) {
		at = (int)jv_number_value(open);
		row = jv_array_get(jv_copy(x->rb_rows), at);
	} else {
		row = jv_object();
		row = jv_object_set(row, RK("step"), str_or_null(RSTR(ev, "step")));
		row = jv_object_set(row, RK("rollback_step"), str_or_null(rs));
		row = jv_object_set(row, RK("item"), item >= 0 ? jv_number((double)item) : jv_null());
		row = jv_object_set(row, RK("t0"), jv_number((double)t));
	}
	jv_free(open);
	row = jv_object_set(row, RK("status"), jv_string(st ? st : "succeeded"));
	if (running) {
		row = jv_object_set(row, RK("error"), jv_null());
		row = jv_object_set(row, RK("t1"), jv_number(-1));
	} else {
		char *err = ev_err_text(ev, "error");
		row = jv_object_set(row, RK("error"), str_or_null(err));
		row = jv_object_set(row, RK("t1"), jv_number((double)t));
		free(err);
	}
	if (at >= 0) {
		x->rb_rows = jv_array_set(x->rb_rows, at, row);
	} else {
		at = jv_array_length(jv_copy(x->rb_rows));
		x->rb_rows = jv_array_append(x->rb_rows, row);
	}
	if (running)
		x->rb_open = jv_object_set(x->rb_open, key, jv_number(at));
	else
		x->rb_open = jv_object_delete(x->rb_open, key);
}

static void extra_event(struct extra *x, jv ev, const struct ev_view *v)
{
	const char *sid = ev_view_str(v->step);
	int64_t t = v->ms;
	switch (v->k) {
	case EV_RUN_STARTED:
		if (!x->mode && ev_view_str(v->mode))
			x->mode = xstrdup(ev_view_str(v->mode));
		extra_plan(x, ev);
		break;
	case EV_STEP_STARTED:
	case EV_STEP_FINISHED:
		if (!sid)
			break;
		if (ev_view_str(v->name))
			info_set(x, sid, "name", jv_string(ev_view_str(v->name)));
		if (ev_view_bool(v->finally, 0))
			info_set(x, sid, "finally", jv_true());
		if (v->k == EV_STEP_FINISHED && ev_view_has(v->critical) && !ev_view_bool(v->critical, 1))
			info_set(x, sid, "noncritical", jv_true());
		break;
	case EV_WAIT_POLL:
		if (sid && t >= 0)
			info_append(x, sid, "polls", t);
		break;
	case EV_STEP_RETRY:
		if (sid && t >= 0)
			info_append(x, sid, "retries", t);
		break;
	case EV_CONFIRM: {
		const char *st = RSTR(ev, "status");
		if (!sid || !st || !strcmp(st, "prompt"))
			break;
		jv a = jv_object();
		jv prompt = RGET(ev, "prompt");
		a = jv_object_set(a, RK("step"), jv_string(sid));
		a = jv_object_set(a, RK("status"), jv_string(st));
		a = jv_object_set(a, RK("how"), str_or_null(RSTR(ev, "how")));
		a = jv_object_set(a, RK("by"), str_or_null(RSTR(ev, "by")));
		a = jv_object_set(a, RK("at"), str_or_null(RSTR(ev, "at") ? RSTR(ev, "at") :
								 RSTR(ev, "time")));
		a = jv_object_set(a, RK("prompt"), jv_get_kind(prompt) == JV_KIND_STRING ? prompt :
				  (jv_free(prompt), jv_null()));
		a = jv_object_set(a, RK("message"), str_or_null(RSTR(ev, "message")));
		x->approvals = jv_array_append(x->approvals, a);
		break;
	}
	case EV_ROLLBACK_STARTED:
		free(x->rb_reason);
		x->rb_reason = ev_err_text(ev, "reason");
		break;
	case EV_ROLLBACK_STEP:
		extra_rollback_step(x, ev, t);
		break;
	default:
		break;
	}
}

/* the first lines of an error, each cut to KEY_LINE_MAX bytes (on a UTF-8 boundary) */
static jv key_lines(const char *text, int *more)
{
	jv lines = jv_array();
	int n = 0;
	*more = 0;
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (n < KEY_LINES) {
			size_t cut = len;
			if (cut > KEY_LINE_MAX) {
				cut = KEY_LINE_MAX;
				while (cut > 0 && ((unsigned char)p[cut] & 0xC0) == 0x80)
					cut--;
			}
			lines = jv_array_append(lines, cut < len ? jv_string_fmt("%.*s…", (int)cut, p) :
							     jv_string_sized(p, (int)cut));
			n++;
		} else {
			(*more)++;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return lines;
}

static jv error_entry(const char *step, const char *rollback_step, const char *text)
{
	int more;
	jv e = jv_object();
	e = jv_object_set(e, RK("step"), jv_string(step));
	if (rollback_step)
		e = jv_object_set(e, RK("rollback_step"), jv_string(rollback_step));
	e = jv_object_set(e, RK("error"), jv_string(text));
	e = jv_object_set(e, RK("lines"), key_lines(text, &more));
	e = jv_object_set(e, RK("more_lines"), jv_number(more));
	return e;
}

static const struct jkeep keep_action[] = { { "kind", NULL }, { "action", NULL }, { NULL, NULL } };
static const struct jkeep keep_step[] = {
	{ "id", NULL }, { "needs", NULL }, { "entry", NULL }, { "rollback", keep_action }, { NULL, NULL },
};
static const struct jkeep keep_param[] = { { "secret", NULL }, { NULL, NULL } };
static const struct jkeep keep_params[] = { { "*", keep_param }, { NULL, NULL } };
/* plan_steps, report_undo and params_shown read these */
const struct jkeep report_plan_keep[] = { { "steps", keep_step }, { "params", keep_params }, { NULL, NULL } };

/* plan.json's steps by id: {needs, rollback} */
static jv plan_steps(jv plan)
{
	jv by = jv_object(), steps = RGET(plan, "steps");
	if (jv_get_kind(steps) == JV_KIND_ARRAY) {
		jv_array_foreach(steps, i, s) {
			if (jv_get_kind(s) == JV_KIND_OBJECT && RSTR(s, "id"))
				by = jv_object_set(by, jv_string(RSTR(s, "id")), jv_copy(s));
			jv_free(s);
			(void)i;
		}
	}
	jv_free(steps);
	return by;
}

/* params.json, with the secret params of plan.json as "***" (their values are never
 * written anywhere); null when the run folder has neither */
static jv params_shown(jv plan, jv params)
{
	jv out = jv_get_kind(params) == JV_KIND_OBJECT ? jv_copy(params) : jv_null();
	jv decl = RGET(plan, "params");
	if (jv_get_kind(decl) == JV_KIND_OBJECT) {
		if (jv_get_kind(out) != JV_KIND_OBJECT) {
			jv_free(out);
			out = jv_object();
		}
		jv_object_foreach(decl, k, d) {
			if (RBOOL(d, "secret", 0))
				out = jv_object_set(out, jv_copy(k), RK("***"));
			jv_free(k);
			jv_free(d);
		}
	}
	jv_free(decl);
	return out;
}

/* the run's mode: what run_started says, else from its flags */
static const char *run_mode(const struct run_fold *f, const struct extra *x)
{
	if (x->mode)
		return x->mode;
	if (!jv_is_valid(f->started))
		return NULL;
	if (RBOOL(f->started, "drill", 0))
		return "drill";
	if (RBOOL(f->started, "replay", 0))
		return "replay";
	if (RBOOL(f->started, "rehearsal", 0))
		return "rehearsal";
	if (RBOOL(f->started, "dry_run", 0))
		return "dry-run";
	return "run";
}

static jv list_or_empty(jv fin, const char *key)
{
	jv a = jv_is_valid(fin) ? jvx_get(fin, key) : jv_invalid();
	if (jv_get_kind(a) != JV_KIND_ARRAY) {
		jv_free(a);
		a = jv_array();
	}
	return a;
}

static jv offsets(jv times, int64_t t0)
{
	jv out = jv_array();
	if (jv_get_kind(times) == JV_KIND_ARRAY && t0 >= 0) {
		jv_array_foreach(times, i, t) {
			out = jv_array_append(out, jv_number(jv_number_value(t) - (double)t0));
			jv_free(t);
			(void)i;
		}
	}
	jv_free(times);
	return out;
}

/* what build() reads: a journal as a jv array of events, or as its text */
struct source {
	jv events;
	const char *text;
	size_t len;
};

static jv build(const struct source *src, jv plan, jv params);

static jv build_held(const struct source *src, jv plan, jv params)
{
	struct rep_keys *keys = xmalloc(sizeof(*keys));
	rep_keys_hold(keys);
	jv rep = build(src, plan, params);
	rep_keys_drop(keys);
	free(keys);
	return rep;
}

jv report_build(jv events, jv plan, jv params)
{
	struct source src = { events, NULL, 0 };
	return build_held(&src, plan, params);
}

jv report_build_journal(const char *text, size_t len, jv plan, jv params)
{
	struct source src = { jv_invalid(), text, len };
	return build_held(&src, plan, params);
}

/* every event through the fold and the pass beside it (which reads no call, result,
 * log or mutation) */
static void take_view(void *ctx, jv ev, const struct ev_view *v)
{
	extra_event(ctx, ev, v);
}

/* every event of the source through the fold and the pass beside it: a journal's text
 * as run_fold_text reads it, or its events */
static void feed(const struct source *src, struct run_fold *f, struct extra *x)
{
	if (src->text) {
		run_fold_text(f, src->text, src->len, take_view, x);
		return;
	}
	if (jv_get_kind(src->events) != JV_KIND_ARRAY)
		return;
	jv_array_foreach(src->events, i, ev) {
		struct ev_view v;
		ev_view_of(ev, &v);
		run_fold_view(f, ev, &v);
		extra_event(x, ev, &v);
		jv_free(ev);
		(void)i;
	}
}

/* a step's row with every key it always has, in their order, with the most common
 * values: filling a copy of it costs one copy and no growth of the object per step,
 * and no set of a value it has already (row_set) */
static jv step_proto(void)
{
	jv o = jv_object();
	o = jv_object_set(o, RK("id"), jv_null());
	o = jv_object_set(o, RK("name"), jv_null());
	o = jv_object_set(o, RK("kind"), jv_null());
	o = jv_object_set(o, RK("status"), jv_null());
	o = jv_object_set(o, RK("finally"), jv_false());
	o = jv_object_set(o, RK("critical"), jv_true());
	o = jv_object_set(o, RK("needs"), jv_null());
	o = jv_object_set(o, RK("on_critical_path"), jv_null());
	o = jv_object_set(o, RK("started_at"), jv_null());
	o = jv_object_set(o, RK("finished_at"), jv_null());
	o = jv_object_set(o, RK("offset_ms"), jv_null());
	o = jv_object_set(o, RK("duration_ms"), jv_null());
	o = jv_object_set(o, RK("attempts"), jv_number(1));
	o = jv_object_set(o, RK("retries"), jv_number(0));
	o = jv_object_set(o, RK("polls"), jv_number(0));
	o = jv_object_set(o, RK("error"), jv_null());
	o = jv_object_set(o, RK("rollback"), jv_null());
	o = jv_object_set(o, RK("poll_offsets_ms"), jv_array());
	o = jv_object_set(o, RK("retry_offsets_ms"), jv_array());
	return o;
}

/* o[key] = v, unless o is a copy of the prototype row (fp) and v is what it has there
 * (same) */
static jv row_set(jv o, int fp, int same, jv key, jv v)
{
	if (fp && same) {
		jv_free(key);
		jv_free(v);
		return o;
	}
	return jv_object_set(o, key, v);
}

static jv build(const struct source *src, jv plan, jv params)
{
	struct run_fold f;
	struct extra x = { jv_object(), jv_array(), jv_array(), jv_object(), NULL, NULL };
	jv rep = jv_object(), steps = jv_array(), errors = jv_array(), fin = jv_invalid();
	jv by_id = plan_steps(plan), rbrows = jv_array(), rollback = jv_null();
	const char *status;
	int64_t t0, t1 = -1, run_dur = -1, exit_code = -1;
	char *run_error = NULL;
	int *isfin = NULL, *on = NULL, *order = NULL, *pos = NULL;
	jv *infos = NULL;     /* step i's entry of x.info (its name, needs...) */
	struct { int steps, succeeded, failed, skipped, rolled_back, pending, running, dry_run,
		 retries, polls, rollback_steps, rollback_failed; } tot = {0};
	int nact = 0, nok = 0, nfail = 0, nskip = 0;

	run_fold_init(&f);
	f.no_timeline = 1;
	feed(src, &f, &x);
	/* needs from the plan where the journal has none; a uses step waits for what it
	 * needs (entry) and for its child's last steps (needs) */
	jv_object_foreach(by_id, k, ps) {
		jv inf = info_get(&x, jv_string_value(k)), nd = RGET(ps, "needs"), entry = RGET(ps, "entry");
		if (jv_get_kind(nd) == JV_KIND_ARRAY && jv_get_kind(entry) == JV_KIND_ARRAY)
			nd = jv_array_concat(nd, jv_copy(entry));
		if (!RHAS(inf, "needs") && jv_get_kind(nd) == JV_KIND_ARRAY) {
			inf = jv_object_set(inf, RK("needs"), jv_copy(nd));     /* info_set, by the entry at hand */
			x.info = jv_object_set(x.info, jv_copy(k), inf);
		} else {
			jv_free(inf);
		}
		jv_free(entry);
		jv_free(nd);
		jv_free(k);
		jv_free(ps);
	}
	t0 = f.t_start;
	if (f.end != EV_UNKNOWN && jv_is_valid(f.finished)) {
		fin = jv_copy(f.finished);
		t1 = f.t_end;
		run_dur = RINT(fin, "duration_ms", -1);
		exit_code = RINT(fin, "exit_code", -1);
		run_error = ev_err_text(fin, "error");
	}
	status = f.end == EV_RUN_INTERRUPTED ? "interrupted" : run_fold_status(&f);

	isfin = xcalloc((size_t)f.nsteps + 1, sizeof(int));
	on = xcalloc((size_t)f.nsteps + 1, sizeof(int));
	order = xcalloc((size_t)f.nsteps + 1, sizeof(int));
	pos = xcalloc((size_t)f.nsteps + 1, sizeof(int));
	infos = xcalloc((size_t)f.nsteps + 1, sizeof(jv));
	for (int i = 0; i < f.nsteps; i++) {
		infos[i] = info_get(&x, f.steps[i].id);
		isfin[i] = RBOOL(infos[i], "finally", 0);
	}
	report_uses_envelope(&f);
	report_uses_order(&f, order);
	for (int k = 0; k < f.nsteps; k++)
		pos[order[k]] = k;
	jv cpath = report_critical_path(&f, infos, isfin, pos, on);
	jv proto = step_proto();

	for (int k = 0; k < f.nsteps; k++) {
		int i = order[k];
		const struct run_fold_step *s = &f.steps[i];
		/* the common row fills a copy of proto in place; one with items or
		 * approved_by is built key by key (keys keep the order they were set in) */
		int fp = !(s->items || s->approved_by);
		jv o = fp ? jv_copy(proto) : jv_object(), polls, retries;
		jv inf = infos[i], needs = RGET(inf, "needs");
		int64_t dur = -1, off = -1;
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
		else if (s->t_start >= 0 && !strcmp(st, "running") && t1 >= s->t_start)
			dur = t1 - s->t_start;       /* stopped while running: until the run's end */
		if (t0 >= 0 && s->t_start >= t0)
			off = s->t_start - t0;
		o = jv_object_set(o, RK("id"), jv_string(s->id));
		o = row_set(o, fp, !RSTR(inf, "name"), RK("name"), str_or_null(RSTR(inf, "name")));
		o = jv_object_set(o, RK("kind"), str_or_null(s->kind));
		o = jv_object_set(o, RK("status"), jv_string(st));
		o = row_set(o, fp, !isfin[i], RK("finally"), jv_bool(isfin[i]));
		o = row_set(o, fp, !RBOOL(inf, "noncritical", 0), RK("critical"), jv_bool(!RBOOL(inf, "noncritical", 0)));
		o = jv_object_set(o, RK("needs"), jv_get_kind(needs) == JV_KIND_ARRAY ? needs :
				  (jv_free(needs), jv_null()));
		o = jv_object_set(o, RK("on_critical_path"), jv_bool(on[i]));
		o = jv_object_set(o, RK("started_at"), str_or_null(s->started));
		o = jv_object_set(o, RK("finished_at"), str_or_null(s->finished));
		/* a step that never began (skipped) sits where it ended */
		if (off < 0 && t0 >= 0 && s->t_end >= t0)
			off = s->t_end - t0 - (dur > 0 ? dur : 0);
		o = jv_object_set(o, RK("offset_ms"), ms_or_null(off));
		o = jv_object_set(o, RK("duration_ms"), ms_or_null(dur));
		{
			int r = s->retries > attempts - 1 ? s->retries : attempts - 1;
			o = row_set(o, fp, attempts == 1, RK("attempts"), jv_number(attempts));
			o = row_set(o, fp, r == 0, RK("retries"), jv_number(r));
			o = row_set(o, fp, s->polls == 0, RK("polls"), jv_number(s->polls));
		}
		if (s->items)
			o = jv_object_set(o, RK("items"), jv_number(s->items));
		o = row_set(o, fp, !s->error, RK("error"), str_or_null(s->error));
		if (s->approved_by)
			o = jv_object_set(o, RK("approved_by"), jv_string(s->approved_by));
		if (s->rb_status) {
			jv r = jv_object();
			r = jv_object_set(r, RK("status"), jv_string(s->rb_status));
			r = jv_object_set(r, RK("error"), str_or_null(s->rb_error));
			o = jv_object_set(o, RK("rollback"), r);
			tot.rollback_steps++;
			if (!strcmp(s->rb_status, "failed"))
				tot.rollback_failed++;
		} else {
			o = row_set(o, fp, 1, RK("rollback"), jv_null());
		}
		polls = offsets(RGET(inf, "polls"), t0);
		retries = offsets(RGET(inf, "retries"), t0);
		o = row_set(o, fp, jv_array_length(jv_copy(polls)) == 0, RK("poll_offsets_ms"), polls);
		o = row_set(o, fp, jv_array_length(jv_copy(retries)) == 0, RK("retry_offsets_ms"), retries);
		if (!strcmp(st, "failed") && s->error)
			errors = jv_array_append(errors, error_entry(s->id, NULL, s->error));
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

	/* each rollback action, in the order they began */
	jv_array_foreach(x.rb_rows, i, r) {
		const char *st = rep_str(r, "status", "succeeded");
		int64_t a = RINT(r, "t0", -1), b = RINT(r, "t1", -1);
		jv o = jv_object();
		if (b < 0 && !strcmp(st, "running"))
			b = t1;                           /* still running when the run ended */
		o = jv_object_set(o, RK("step"), rep_get(r, "step"));
		o = jv_object_set(o, RK("rollback_step"), rep_get(r, "rollback_step"));
		o = jv_object_set(o, RK("item"), rep_get(r, "item"));
		o = jv_object_set(o, RK("status"), jv_string(st));
		o = jv_object_set(o, RK("error"), rep_get(r, "error"));
		o = jv_object_set(o, RK("offset_ms"), ms_or_null(t0 >= 0 && a >= t0 ? a - t0 : -1));
		o = jv_object_set(o, RK("duration_ms"), ms_or_null(a >= 0 && b >= a ? b - a : -1));
		nact++;
		if (!strcmp(st, "succeeded")) nok++;
		else if (!strcmp(st, "skipped")) nskip++;
		else nfail++;                             /* failed, or never finished */
		if (RSTR(r, "error"))
			errors = jv_array_append(errors, error_entry(rep_str(r, "step", "?"),
								     rep_str(r, "rollback_step", "?"), RSTR(r, "error")));
		rbrows = jv_array_append(rbrows, o);
		jv_free(r);
		(void)i;
	}
	if (f.rollback_seen || nact > 0) {
		const char *rbo = jv_is_valid(fin) ? RSTR(fin, "rollback") : NULL;
		rollback = jv_object();
		rollback = jv_object_set(rollback, RK("reason"), str_or_null(x.rb_reason));
		rollback = jv_object_set(rollback, RK("started_at"), rep_get(f.rollback, "started_at"));
		rollback = jv_object_set(rollback, RK("outcome"), str_or_null(rbo ? rbo : nfail ? "incomplete" :
						f.end == EV_RUN_FINISHED ? "complete" : "unfinished"));
		rollback = jv_object_set(rollback, RK("actions"), jv_number(nact));
		rollback = jv_object_set(rollback, RK("succeeded"), jv_number(nok));
		rollback = jv_object_set(rollback, RK("failed"), jv_number(nfail));
		rollback = jv_object_set(rollback, RK("skipped"), jv_number(nskip));
		rollback = jv_object_set(rollback, RK("steps"), rbrows);
	} else {
		jv_free(rbrows);
	}

	if (run_dur < 0 && t0 >= 0 && t1 >= t0)
		run_dur = t1 - t0;
	rep = jv_object_set(rep, RK("run"), str_or_null(f.run));
	rep = jv_object_set(rep, RK("runbook"), str_or_null(f.runbook));
	rep = jv_object_set(rep, RK("path"), rep_get(f.started, "path"));
	rep = jv_object_set(rep, RK("sha256"), rep_get(f.started, "sha256"));
	rep = jv_object_set(rep, RK("mode"), str_or_null(run_mode(&f, &x)));
	rep = jv_object_set(rep, RK("status"), jv_string(status));
	rep = jv_object_set(rep, RK("exit_code"), exit_code >= 0 ? jv_number((double)exit_code) : jv_null());
	rep = jv_object_set(rep, RK("dry_run"), jv_bool(jv_is_valid(f.started) && RBOOL(f.started, "dry_run", 0)));
	rep = jv_object_set(rep, RK("rehearsal"), jv_bool(jv_is_valid(f.started) && RBOOL(f.started, "rehearsal", 0)));
	rep = jv_object_set(rep, RK("started_at"), rep_get(f.started, "time"));
	rep = jv_object_set(rep, RK("finished_at"), rep_get(fin, "time"));
	rep = jv_object_set(rep, RK("duration_ms"), ms_or_null(run_dur));
	rep = jv_object_set(rep, RK("error"), str_or_null(run_error));
	if (f.end == EV_RUN_INTERRUPTED)
		rep = jv_object_set(rep, RK("signal"), rep_get(fin, "signal"));
	rep = jv_object_set(rep, RK("rollback_outcome"), rep_get(fin, "rollback"));
	rep = jv_object_set(rep, RK("params"), params_shown(plan, params));
	rep = jv_object_set(rep, RK("approvals"), jv_copy(x.approvals));
	{
		static const char *const passed[] = { "outputs", "output_errors", "objectives" };
		for (size_t k = 0; k < sizeof(passed) / sizeof(passed[0]); k++) {
			jv v = jv_is_valid(fin) ? jvx_get(fin, passed[k]) : jv_invalid();
			rep = jv_object_set(rep, jv_string(passed[k]), jv_get_kind(v) == JV_KIND_OBJECT ? v :
					    (jv_free(v), jv_null()));
		}
	}
	rep = jv_object_set(rep, RK("steps"), steps);
	rep = jv_object_set(rep, RK("critical_path"), cpath);
	rep = jv_object_set(rep, RK("rollback"), rollback);
	rep = jv_object_set(rep, RK("errors"), errors);
	rep = jv_object_set(rep, RK("noncritical_failed"), list_or_empty(fin, "noncritical_failed"));
	rep = jv_object_set(rep, RK("finally_failed"), list_or_empty(fin, "finally_failed"));
	rep = jv_object_set(rep, RK("undo"), report_undo(&f, by_id, isfin));
	{
		jv t = jv_object();
#define T(name) t = jv_object_set(t, jv_string(#name), jv_number(tot.name))
		T(steps); T(succeeded); T(failed); T(skipped); T(rolled_back); T(pending);
		T(running); T(dry_run); T(retries); T(polls); T(rollback_steps); T(rollback_failed);
#undef T
		t = jv_object_set(t, RK("rollback_actions"), jv_number(nact));
		t = jv_object_set(t, RK("rollback_actions_succeeded"), jv_number(nok));
		rep = jv_object_set(rep, RK("totals"), t);
	}
	rep = jv_object_set(rep, RK("next_steps"), report_next_steps(rep));

	jv_free(proto);
	free(isfin);
	free(on);
	free(order);
	free(pos);
	free(run_error);
	free(x.rb_reason);
	free(x.mode);
	for (int i = 0; infos && i < f.nsteps; i++)
		jv_free(infos[i]);
	free(infos);
	jv_free(x.info);
	jv_free(x.approvals);
	jv_free(x.rb_rows);
	jv_free(x.rb_open);
	jv_free(fin);
	jv_free(by_id);
	run_fold_release(&f);
	return rep;
}
