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

/* o[key], or null when o has none (jv_object_set takes no invalid value) */
static jv get_or_null(jv o, const char *key)
{
	jv v = jvx_get(o, key);
	return jv_is_valid(v) ? v : (jv_free(v), jv_null());
}

static int64_t ev_time(jv ev)
{
	int64_t ms;
	const char *t = jvx_str(ev, "time");
	return t && !ts_parse(t, &ms) ? ms : -1;
}

/* what the pass beside the fold keeps */
struct extra {
	jv info;        /* step id -> {name, finally, noncritical, needs, polls: [ms], retries: [ms]} */
	jv approvals;   /* [{step, status, how, by, at, prompt, message}] */
	jv rb_rows;     /* rollback actions: [{step, rollback_step, item, status, error, t0, t1}] */
	jv rb_open;     /* "rollback_step#item" -> its row's index while it runs */
	char *rb_reason;
	const char *mode;   /* run_started's mode, when a writer gives one */
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
	jv list = jvx_get(ev, "steps");
	if (jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, i, it) {
			const char *id = jv_get_kind(it) == JV_KIND_OBJECT ?
				(jvx_str(it, "id") ? jvx_str(it, "id") : jvx_str(it, "qid")) : NULL;
			jv needs = id ? jvx_get(it, "needs") : jv_invalid();
			if (id && jvx_str(it, "name"))
				info_set(x, id, "name", jv_string(jvx_str(it, "name")));
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
	const char *st = jvx_str(ev, "status"), *rs = jvx_str(ev, "rollback_step");
	int64_t item = jvx_int(ev, "item", -1);
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
		row = jv_object_set(row, jv_string("step"), str_or_null(jvx_str(ev, "step")));
		row = jv_object_set(row, jv_string("rollback_step"), str_or_null(rs));
		row = jv_object_set(row, jv_string("item"), item >= 0 ? jv_number((double)item) : jv_null());
		row = jv_object_set(row, jv_string("t0"), jv_number((double)t));
	}
	jv_free(open);
	row = jv_object_set(row, jv_string("status"), jv_string(st ? st : "succeeded"));
	if (running) {
		row = jv_object_set(row, jv_string("error"), jv_null());
		row = jv_object_set(row, jv_string("t1"), jv_number(-1));
	} else {
		char *err = ev_err_text(ev, "error");
		row = jv_object_set(row, jv_string("error"), str_or_null(err));
		row = jv_object_set(row, jv_string("t1"), jv_number((double)t));
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

static void extra_event(struct extra *x, jv ev)
{
	enum ev_kind k = ev_kind_of(ev);
	const char *sid = jvx_str(ev, "step");
	int64_t t = ev_time(ev);
	switch (k) {
	case EV_RUN_STARTED:
		if (!x->mode && jvx_str(ev, "mode"))
			x->mode = jvx_str(ev, "mode");      /* valid while events live */
		extra_plan(x, ev);
		break;
	case EV_STEP_STARTED:
	case EV_STEP_FINISHED:
		if (!sid)
			break;
		if (jvx_str(ev, "name"))
			info_set(x, sid, "name", jv_string(jvx_str(ev, "name")));
		if (jvx_bool(ev, "finally", 0))
			info_set(x, sid, "finally", jv_true());
		if (k == EV_STEP_FINISHED && jvx_has(ev, "critical") && !jvx_bool(ev, "critical", 1))
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
		const char *st = jvx_str(ev, "status");
		if (!sid || !st || !strcmp(st, "prompt"))
			break;
		jv a = jv_object();
		jv prompt = jvx_get(ev, "prompt");
		a = jv_object_set(a, jv_string("step"), jv_string(sid));
		a = jv_object_set(a, jv_string("status"), jv_string(st));
		a = jv_object_set(a, jv_string("how"), str_or_null(jvx_str(ev, "how")));
		a = jv_object_set(a, jv_string("by"), str_or_null(jvx_str(ev, "by")));
		a = jv_object_set(a, jv_string("at"), str_or_null(jvx_str(ev, "at") ? jvx_str(ev, "at") :
								 jvx_str(ev, "time")));
		a = jv_object_set(a, jv_string("prompt"), jv_get_kind(prompt) == JV_KIND_STRING ? prompt :
				  (jv_free(prompt), jv_null()));
		a = jv_object_set(a, jv_string("message"), str_or_null(jvx_str(ev, "message")));
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
	e = jv_object_set(e, jv_string("step"), jv_string(step));
	if (rollback_step)
		e = jv_object_set(e, jv_string("rollback_step"), jv_string(rollback_step));
	e = jv_object_set(e, jv_string("error"), jv_string(text));
	e = jv_object_set(e, jv_string("lines"), key_lines(text, &more));
	e = jv_object_set(e, jv_string("more_lines"), jv_number(more));
	return e;
}

static int skipped(const struct run_fold_step *s)
{
	return s->status && !strcmp(s->status, "skipped");
}

/* id is tmpl with item indexes: "deploy[3].rolled_out" for "deploy.rolled_out" */
static int same_but_items(const char *id, const char *tmpl)
{
	int items = 0;
	while (*id && *tmpl) {
		if (*id == '[' && (*tmpl == '.' || *tmpl == '[')) {
			const char *e = strchr(id, ']');
			if (!e)
				return 0;
			id = e + 1;
			items++;
			continue;
		}
		if (*id++ != *tmpl++)
			return 0;
	}
	if (*id == '[') {
		const char *e = strchr(id, ']');
		id = e ? e + 1 : id;
		items++;
	}
	return items > 0 && !*id && !*tmpl;
}

/* the need of step i that ended last (ties: the later in the plan), looking through
 * skipped needs to what they needed; -1 none */
static int last_need(const struct run_fold *f, struct extra *x, int i, const int *on, const int *pos, int depth)
{
	jv inf = info_get(x, f->steps[i].id), needs = jvx_get(inf, "needs");
	int best = -1;
	if (jv_get_kind(needs) == JV_KIND_ARRAY && depth < 64) {
		jv_array_foreach(needs, k, n) {
			jv at = jv_get_kind(n) == JV_KIND_STRING ? jv_object_get(jv_copy(f->index), jv_copy(n)) : jv_invalid();
			int j = jv_is_valid(at) ? (int)jv_number_value(at) : -1;
			/* a step of a for_each uses step's child (P.S) ran once per item (P[i].S) */
			for (int m = 0; j < 0 && jv_get_kind(n) == JV_KIND_STRING && m < f->nsteps; m++)
				if (same_but_items(f->steps[m].id, jv_string_value(n)) && f->steps[m].t_end >= 0 &&
				    (best < 0 || f->steps[m].t_end > f->steps[best].t_end) && !on[m])
					best = m;
			if (j >= 0 && skipped(&f->steps[j]))
				j = last_need(f, x, j, on, pos, depth + 1);
			if (j >= 0 && !on[j] && f->steps[j].t_end >= 0 &&
			    (best < 0 || f->steps[j].t_end > f->steps[best].t_end ||
			     (f->steps[j].t_end == f->steps[best].t_end && pos[j] > pos[best])))
				best = j;
			jv_free(at);
			jv_free(n);
			(void)k;
		}
	}
	jv_free(needs);
	jv_free(inf);
	return best;
}

/* the chain of steps, through their needs, that ended last: from the step that ended
 * last, back through the need that ended last, to a step that needed nothing. Where
 * the needs of a step are unknown (no plan), the step that ended last before it began
 * stands for its need. Skipped steps (they took no time) and finally steps are not
 * part of it. */
static jv critical_path(const struct run_fold *f, struct extra *x, const int *fin, const int *pos, int *on)
{
	jv rev = jv_array(), path = jv_array();
	int cur = -1;
	for (int i = 0; i < f->nsteps; i++)
		if (!fin[i] && !skipped(&f->steps[i]) && f->steps[i].t_end >= 0 &&
		    (cur < 0 || f->steps[i].t_end > f->steps[cur].t_end ||
		     (f->steps[i].t_end == f->steps[cur].t_end && pos[i] > pos[cur])))
			cur = i;     /* ties: the later in the plan's (topological) order */
	while (cur >= 0 && !on[cur]) {
		const struct run_fold_step *s = &f->steps[cur];
		jv inf = info_get(x, s->id);
		int next = -1;
		on[cur] = 1;
		rev = jv_array_append(rev, jv_string(s->id));
		if (jvx_has(inf, "needs")) {
			next = last_need(f, x, cur, on, pos, 0);
		} else if (s->t_start >= 0) {
			for (int j = 0; j < f->nsteps; j++)
				if (!on[j] && !fin[j] && !skipped(&f->steps[j]) && f->steps[j].t_end >= 0 &&
				    f->steps[j].t_end <= s->t_start &&
				    (next < 0 || f->steps[j].t_end > f->steps[next].t_end ||
				     (f->steps[j].t_end == f->steps[next].t_end && pos[j] > pos[next])))
					next = j;
		}
		jv_free(inf);
		cur = next;
	}
	for (int i = jv_array_length(jv_copy(rev)) - 1; i >= 0; i--)
		path = jv_array_append(path, jv_array_get(jv_copy(rev), i));
	jv_free(rev);
	return path;
}

static int is_uses(const struct run_fold_step *s)
{
	return s->kind && !strcmp(s->kind, "uses");
}

/* child is a step of the runbook that step parent uses: PARENT.STEP or PARENT[i].STEP */
static int child_of(const char *child, const char *parent)
{
	size_t n = strlen(parent);
	return !strncmp(child, parent, n) && (child[n] == '.' || child[n] == '[');
}

/* a uses step spans its child steps (a for_each one journals its start only when its
 * items are done) */
static void uses_envelope(struct run_fold *f)
{
	for (int i = 0; i < f->nsteps; i++) {
		struct run_fold_step *p = &f->steps[i];
		if (!is_uses(p))
			continue;
		for (int j = 0; j < f->nsteps; j++) {
			const struct run_fold_step *c = &f->steps[j];
			if (j == i || !child_of(c->id, p->id))
				continue;
			if (c->t_start >= 0 && (p->t_start < 0 || c->t_start < p->t_start))
				p->t_start = c->t_start;
			if (c->t_end > p->t_end && p->t_end >= 0)
				p->t_end = c->t_end;
		}
	}
}

/* the steps in the plan's order, the items' steps of a for_each uses step (not in the
 * plan: seen in the journal) just before it, as the plan puts a child's steps */
static void uses_order(const struct run_fold *f, int *order)
{
	int n = 0;
	char *placed = xcalloc((size_t)f->nsteps + 1, 1);
	for (int i = 0; i < f->nsteps; i++) {
		if (placed[i])
			continue;
		if (is_uses(&f->steps[i]))
			for (int j = i + 1; j < f->nsteps; j++)
				if (!placed[j] && child_of(f->steps[j].id, f->steps[i].id)) {
					placed[j] = 1;
					order[n++] = j;
				}
		placed[i] = 1;
		order[n++] = i;
	}
	free(placed);
}

/* plan.json's steps by id: {needs, rollback} */
static jv plan_steps(jv plan)
{
	jv by = jv_object(), steps = jvx_get(plan, "steps");
	if (jv_get_kind(steps) == JV_KIND_ARRAY) {
		jv_array_foreach(steps, i, s) {
			if (jv_get_kind(s) == JV_KIND_OBJECT && jvx_str(s, "id"))
				by = jv_object_set(by, jv_string(jvx_str(s, "id")), jv_copy(s));
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
	jv decl = jvx_get(plan, "params");
	if (jv_get_kind(decl) == JV_KIND_OBJECT) {
		if (jv_get_kind(out) != JV_KIND_OBJECT) {
			jv_free(out);
			out = jv_object();
		}
		jv_object_foreach(decl, k, d) {
			if (jvx_bool(d, "secret", 0))
				out = jv_object_set(out, jv_copy(k), jv_string("***"));
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
	if (jvx_bool(f->started, "drill", 0))
		return "drill";
	if (jvx_bool(f->started, "replay", 0))
		return "replay";
	if (jvx_bool(f->started, "rehearsal", 0))
		return "rehearsal";
	if (jvx_bool(f->started, "dry_run", 0))
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

/* one sentence of a list of names: "a, b and c" */
static void names(struct buf *b, jv list, const char *key)
{
	int n = jv_array_length(jv_copy(list));
	for (int i = 0; i < n; i++) {
		jv it = jv_array_get(jv_copy(list), i);
		const char *s = key ? jvx_str(it, key) : jv_get_kind(it) == JV_KIND_STRING ? jv_string_value(it) : NULL;
		buf_addf(b, "%s'%s'", i == 0 ? "" : i == n - 1 ? " and " : ", ", s ? s : "?");
		jv_free(it);
	}
}

/* what to do after this outcome: short sentences, the errors themselves are listed
 * elsewhere (never repeated here) */
static jv next_steps(jv rep)
{
	jv out = jv_array(), rb = jvx_get(rep, "rollback"), undo = jvx_get(rep, "undo");
	jv ncf = jvx_get(rep, "noncritical_failed"), ff = jvx_get(rep, "finally_failed");
	jv outs = jvx_get(rep, "outputs"), oerr = jvx_get(rep, "output_errors");
	jv steps = jvx_get(rep, "steps"), failed = jv_array();
	const char *status = rep_str(rep, "status", "unfinished"), *mode = rep_str(rep, "mode", "run");
	const char *run = rep_str(rep, "run", "RUN-ID"), *path = jvx_str(rep, "path");
	const char *rbo = jvx_str(rep, "rollback_outcome");
	int rehearsal = !strcmp(mode, "rehearsal") || jvx_bool(rep, "rehearsal", 0);
	int64_t nact = jvx_int(rb, "actions", 0), nok = jvx_int(rb, "succeeded", 0);
	struct buf b = BUF_INIT(0);
#define SAY() (out = jv_array_append(out, jv_string(buf_str(&b))), buf_reset(&b))

	jv_array_foreach(steps, i, s) {
		if (!strcmp(rep_str(s, "status", ""), "failed") && !jvx_bool(s, "finally", 0) &&
		    jvx_bool(s, "critical", 1))
			failed = jv_array_append(failed, jv_copy(s));
		jv_free(s);
		(void)i;
	}
	if (!strcmp(status, "succeeded") || !strcmp(status, "dry_run")) {
		if (!strcmp(mode, "dry-run")) {
			buf_addf(&b, "This was a dry run: reads ran for real, nothing was changed (the changes it would make "
				 "are the journal's mutation events). Run it for real with `runbook run %s`.", path ? path : "FILE");
			SAY();
		} else if (rehearsal) {
			buf_addf(&b, "The rehearsal passed against its scenario. Run it for real with `runbook run %s`, "
				 "or as a drill with `runbook drill`.", path ? path : "FILE");
			SAY();
		} else if (jv_get_kind(outs) == JV_KIND_OBJECT && jv_object_length(jv_copy(outs)) > 0) {
			buf_adds(&b, "Verify the result before switching traffic to it: ");
			jv keys = jv_keys(jv_copy(outs));
			names(&b, keys, NULL);
			jv_free(keys);
			buf_adds(&b, " (under outputs): smoke tests, data checks with the business team.");
			SAY();
		} else {
			buf_adds(&b, "Verify the result before switching traffic to it (smoke tests, data checks): "
				 "the runbook declares no outputs.");
			SAY();
		}
		if (jv_get_kind(oerr) == JV_KIND_OBJECT && jv_object_length(jv_copy(oerr)) > 0) {
			jv keys = jv_keys(jv_copy(oerr));
			buf_adds(&b, "The outputs ");
			names(&b, keys, NULL);
			buf_adds(&b, " could not be evaluated: find their values by hand.");
			jv_free(keys);
			SAY();
		}
		if (jv_array_length(jv_copy(ncf)) > 0) {
			buf_adds(&b, "Look at the non-critical steps that failed: ");
			names(&b, ncf, NULL);
			buf_adds(&b, " (the run went on without them).");
			SAY();
		}
		if (!rehearsal && strcmp(mode, "dry-run")) {
			if (jv_array_length(jv_copy(undo)) > 0)
				buf_adds(&b, "If problems appear, undo the run with the rollback steps under \"how to roll back\", in that order.");
			else if (jv_get_kind(undo) == JV_KIND_ARRAY)
				buf_adds(&b, "No step of this run has a rollback: undoing it is a manual procedure.");
			else
				buf_adds(&b, "If problems appear, undo the run with its steps' rollback blocks, last step first.");
			SAY();
		}
	} else if (!strcmp(status, "interrupted")) {
		buf_adds(&b, "The run was stopped at once");
		if (jvx_str(rep, "signal"))
			buf_addf(&b, " by %s", jvx_str(rep, "signal"));
		buf_adds(&b, "; nothing was rolled back and what ran is as it was left.");
		SAY();
		if (rehearsal)
			buf_adds(&b, "A rehearsal cannot be resumed: rehearse it again.");
		else
			buf_addf(&b, "Continue it with `runbook resume %s` (the same --state-dir): completed steps "
				 "do not run again.", run);
		SAY();
	} else if (!strcmp(status, "unfinished")) {
		buf_addf(&b, "The run has not finished: it is still running, or its process died. "
			 "`runbook resume %s` continues a run whose process is gone.", run);
		SAY();
	} else {
		/* failed, aborted, rollback_failed */
		int incomplete = (rbo && !strcmp(rbo, "incomplete")) || jvx_int(rb, "failed", 0) > 0;
		if (jv_array_length(jv_copy(failed)) > 0) {
			buf_adds(&b, jv_array_length(jv_copy(failed)) == 1 ? "The run failed at step " : "The run failed at steps ");
			names(&b, failed, "id");
			buf_adds(&b, ": fix the cause (under errors) before running it again.");
			SAY();
		} else if (!strcmp(status, "aborted")) {
			buf_adds(&b, "The run was declined or aborted by the operator");
			if (jvx_str(rep, "error"))
				buf_addf(&b, " (%s)", jvx_str(rep, "error"));
			buf_adds(&b, ".");
			SAY();
		} else if (jvx_str(rep, "error")) {
			buf_adds(&b, "The run failed: see the run error; fix its cause before running it again.");
			SAY();
		}
		if (rbo && !strncmp(rbo, "skipped", 7)) {
			buf_adds(&b, "Nothing was rolled back (--no-rollback): everything is left as it was for investigation; "
				 "undo it by hand with the rollback steps under \"how to roll back\", in that order.");
			SAY();
		} else if (incomplete) {
			jv bad = jv_array(), rows = jvx_get(rb, "steps");
			jv_array_foreach(rows, i, r) {
				if (!strcmp(rep_str(r, "status", ""), "failed") || !strcmp(rep_str(r, "status", ""), "running"))
					bad = jv_array_append(bad, jv_copy(r));
				jv_free(r);
				(void)i;
			}
			buf_addf(&b, "The rollback is incomplete: %" PRId64 " of %" PRId64 " rollback actions succeeded; ",
				 nok, nact);
			int nbad = jv_array_length(jv_copy(bad));
			if (nbad) {
				buf_adds(&b, nbad == 1 ? "this one did not: " : "these did not: ");
				names(&b, bad, "rollback_step");
				buf_adds(&b, ".");
			}
			SAY();
			buf_adds(&b, "A human must finish it: do by hand what each of them would have undone (their errors "
				 "are listed), then check that nothing the run created or changed is left behind.");
			SAY();
			buf_addf(&b, "A finished run is not resumed; `runbook resume %s` continues only a run that was "
				 "stopped before its end. Once the world is clean, run the runbook again.", run);
			SAY();
			jv_free(bad);
			jv_free(rows);
		} else if (jv_get_kind(rb) == JV_KIND_OBJECT) {
			if (nact > 0) {
				jv undone = jv_array(), rows = jvx_get(rb, "steps");
				jv seen = jv_object();
				jv_array_foreach(rows, i, r) {
					const char *st = jvx_str(r, "step");
					if (st && !jvx_has(seen, st)) {
						seen = jv_object_set(seen, jv_string(st), jv_true());
						undone = jv_array_append(undone, jv_string(st));
					}
					jv_free(r);
					(void)i;
				}
				buf_addf(&b, "The rollback undid what the run had done: %" PRId64 " of %" PRId64
					 " rollback actions succeeded (undoing ", nok, nact);
				names(&b, undone, NULL);
				buf_adds(&b, ").");
				jv_free(undone);
				jv_free(rows);
				jv_free(seen);
			} else {
				buf_adds(&b, "Nothing had to be undone: no step with a rollback had completed.");
			}
			SAY();
		}
		if (rehearsal && !incomplete)
			buf_adds(&b, "Rehearse it again once the runbook or the scenario is fixed.");
		else if (!incomplete)
			buf_adds(&b, "Run it again once the cause is fixed.");
		if (b.len)
			SAY();
	}
	for (size_t w = 0; w < 2; w++) {
		static const char *const which[] = { "rto", "rpo" };
		static const char *const advice[] = {
			"shorten the critical path (the steps marked on it) or raise the objective",
			"the recovery point is older than allowed: back up more often, or restore to a later point",
		};
		const char *v = rep_objective_verdict(rep, which[w]);
		if (v && strcmp(v, "met")) {
			jv ob = jvx_get(rep, "objectives"), o = jvx_get(ob, which[w]), target = jvx_get(o, "objective_ms");
			if (!strcmp(v, "MISSED")) {
				buf_addf(&b, "The %s objective was missed (", w ? "RPO" : "RTO");
				rep_objective_phrase(&b, rep, which[w]);
				buf_addf(&b, "): %s.", advice[w]);
				SAY();
			} else if (jv_get_kind(target) == JV_KIND_NUMBER) {
				buf_addf(&b, "The %s could not be measured (", w ? "RPO" : "RTO");
				rep_objective_phrase(&b, rep, which[w]);
				buf_adds(&b, "): check the runbook's objectives (restored, recovery_point, incident_time).");
				SAY();
			}
			jv_free(target);
			jv_free(o);
			jv_free(ob);
		}
	}
	if (jv_array_length(jv_copy(ff)) > 0) {
		buf_adds(&b, "The finally steps ");
		names(&b, ff, NULL);
		buf_adds(&b, " failed: do by hand what they do (notify, publish the report).");
		SAY();
	}
#undef SAY
	buf_release(&b);
	jv_free(rb); jv_free(undo); jv_free(ncf); jv_free(ff); jv_free(outs); jv_free(oerr);
	jv_free(steps); jv_free(failed);
	return out;
}

/* how to undo a run that kept its changes: the completed steps with a rollback block,
 * last finished first (the order a rollback takes), with the block's actions;
 * null without a plan */
static jv undo_list(const struct run_fold *f, jv by_id, const int *fin)
{
	int *order, n = 0;
	jv out;
	if (jv_get_kind(by_id) != JV_KIND_OBJECT || jv_object_length(jv_copy(by_id)) == 0)
		return jv_null();
	out = jv_array();
	order = xcalloc((size_t)f->nsteps + 1, sizeof(int));
	for (int i = 0; i < f->nsteps; i++)
		if (!fin[i] && f->steps[i].status && !strcmp(f->steps[i].status, "succeeded"))
			order[n++] = i;
	/* by end time, latest first; a stable insertion sort keeps ties in reverse plan order */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && f->steps[order[j]].t_end >= f->steps[order[j - 1]].t_end; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		const char *id = f->steps[order[i]].id;
		jv ps = jv_object_get(jv_copy(by_id), jv_string(id));
		jv acts = jv_is_valid(ps) ? jvx_get(ps, "rollback") : jv_invalid();
		if (jv_get_kind(acts) == JV_KIND_ARRAY && jv_array_length(jv_copy(acts)) > 0) {
			jv u = jv_object_set(jv_object(), jv_string("step"), jv_string(id));
			u = jv_object_set(u, jv_string("actions"), acts);
			out = jv_array_append(out, u);
		} else {
			jv_free(acts);
		}
		jv_free(ps);
	}
	free(order);
	return out;
}

jv report_build(jv events, jv plan, jv params)
{
	struct run_fold f;
	struct extra x = { jv_object(), jv_array(), jv_array(), jv_object(), NULL, NULL };
	jv rep = jv_object(), steps = jv_array(), errors = jv_array(), fin = jv_invalid();
	jv by_id = plan_steps(plan), rbrows = jv_array(), rollback = jv_null();
	const char *status;
	int64_t t0, t1 = -1, run_dur = -1, exit_code = -1;
	char *run_error = NULL;
	int *isfin = NULL, *on = NULL, *order = NULL, *pos = NULL;
	struct { int steps, succeeded, failed, skipped, rolled_back, pending, running, dry_run,
		 retries, polls, rollback_steps, rollback_failed; } tot = {0};
	int nact = 0, nok = 0, nfail = 0, nskip = 0;

	run_fold_init(&f);
	if (jv_get_kind(events) == JV_KIND_ARRAY) {
		jv_array_foreach(events, i, ev) {
			run_fold_event(&f, ev);
			extra_event(&x, ev);
			jv_free(ev);
			(void)i;
		}
	}
	/* needs from the plan where the journal has none; a uses step waits for what it
	 * needs (entry) and for its child's last steps (needs) */
	jv_object_foreach(by_id, k, ps) {
		jv inf = info_get(&x, jv_string_value(k)), nd = jvx_get(ps, "needs"), entry = jvx_get(ps, "entry");
		if (jv_get_kind(nd) == JV_KIND_ARRAY && jv_get_kind(entry) == JV_KIND_ARRAY)
			nd = jv_array_concat(nd, jv_copy(entry));
		if (!jvx_has(inf, "needs") && jv_get_kind(nd) == JV_KIND_ARRAY)
			info_set(&x, jv_string_value(k), "needs", jv_copy(nd));
		jv_free(entry);
		jv_free(nd);
		jv_free(inf);
		jv_free(k);
		jv_free(ps);
	}
	t0 = f.t_start;
	if (f.end != EV_UNKNOWN && jv_is_valid(f.finished)) {
		fin = jv_copy(f.finished);
		t1 = f.t_end;
		run_dur = jvx_int(fin, "duration_ms", -1);
		exit_code = jvx_int(fin, "exit_code", -1);
		run_error = ev_err_text(fin, "error");
	}
	status = f.end == EV_RUN_INTERRUPTED ? "interrupted" : run_fold_status(&f);

	isfin = xcalloc((size_t)f.nsteps + 1, sizeof(int));
	on = xcalloc((size_t)f.nsteps + 1, sizeof(int));
	order = xcalloc((size_t)f.nsteps + 1, sizeof(int));
	pos = xcalloc((size_t)f.nsteps + 1, sizeof(int));
	for (int i = 0; i < f.nsteps; i++) {
		jv inf = info_get(&x, f.steps[i].id);
		isfin[i] = jvx_bool(inf, "finally", 0);
		jv_free(inf);
	}
	uses_envelope(&f);
	uses_order(&f, order);
	for (int k = 0; k < f.nsteps; k++)
		pos[order[k]] = k;
	jv cpath = critical_path(&f, &x, isfin, pos, on);

	for (int k = 0; k < f.nsteps; k++) {
		int i = order[k];
		const struct run_fold_step *s = &f.steps[i];
		jv o = jv_object(), inf = info_get(&x, s->id), needs = jvx_get(inf, "needs");
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
		o = jv_object_set(o, jv_string("id"), jv_string(s->id));
		o = jv_object_set(o, jv_string("name"), str_or_null(jvx_str(inf, "name")));
		o = jv_object_set(o, jv_string("kind"), str_or_null(s->kind));
		o = jv_object_set(o, jv_string("status"), jv_string(st));
		o = jv_object_set(o, jv_string("finally"), jv_bool(isfin[i]));
		o = jv_object_set(o, jv_string("critical"), jv_bool(!jvx_bool(inf, "noncritical", 0)));
		o = jv_object_set(o, jv_string("needs"), jv_get_kind(needs) == JV_KIND_ARRAY ? needs :
				  (jv_free(needs), jv_null()));
		o = jv_object_set(o, jv_string("on_critical_path"), jv_bool(on[i]));
		o = jv_object_set(o, jv_string("started_at"), str_or_null(s->started));
		o = jv_object_set(o, jv_string("finished_at"), str_or_null(s->finished));
		/* a step that never began (skipped) sits where it ended */
		if (off < 0 && t0 >= 0 && s->t_end >= t0)
			off = s->t_end - t0 - (dur > 0 ? dur : 0);
		o = jv_object_set(o, jv_string("offset_ms"), ms_or_null(off));
		o = jv_object_set(o, jv_string("duration_ms"), ms_or_null(dur));
		o = jv_object_set(o, jv_string("attempts"), jv_number(attempts));
		o = jv_object_set(o, jv_string("retries"), jv_number(s->retries > attempts - 1 ? s->retries : attempts - 1));
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
		} else {
			o = jv_object_set(o, jv_string("rollback"), jv_null());
		}
		o = jv_object_set(o, jv_string("poll_offsets_ms"), offsets(jvx_get(inf, "polls"), t0));
		o = jv_object_set(o, jv_string("retry_offsets_ms"), offsets(jvx_get(inf, "retries"), t0));
		if (!strcmp(st, "failed") && s->error)
			errors = jv_array_append(errors, error_entry(s->id, NULL, s->error));
		steps = jv_array_append(steps, o);
		jv_free(inf);

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
		int64_t a = jvx_int(r, "t0", -1), b = jvx_int(r, "t1", -1);
		jv o = jv_object();
		if (b < 0 && !strcmp(st, "running"))
			b = t1;                           /* still running when the run ended */
		o = jv_object_set(o, jv_string("step"), get_or_null(r, "step"));
		o = jv_object_set(o, jv_string("rollback_step"), get_or_null(r, "rollback_step"));
		o = jv_object_set(o, jv_string("item"), get_or_null(r, "item"));
		o = jv_object_set(o, jv_string("status"), jv_string(st));
		o = jv_object_set(o, jv_string("error"), get_or_null(r, "error"));
		o = jv_object_set(o, jv_string("offset_ms"), ms_or_null(t0 >= 0 && a >= t0 ? a - t0 : -1));
		o = jv_object_set(o, jv_string("duration_ms"), ms_or_null(a >= 0 && b >= a ? b - a : -1));
		nact++;
		if (!strcmp(st, "succeeded")) nok++;
		else if (!strcmp(st, "skipped")) nskip++;
		else nfail++;                             /* failed, or never finished */
		if (jvx_str(r, "error"))
			errors = jv_array_append(errors, error_entry(rep_str(r, "step", "?"),
								     rep_str(r, "rollback_step", "?"), jvx_str(r, "error")));
		rbrows = jv_array_append(rbrows, o);
		jv_free(r);
		(void)i;
	}
	if (f.rollback_seen || nact > 0) {
		const char *rbo = jv_is_valid(fin) ? jvx_str(fin, "rollback") : NULL;
		rollback = jv_object();
		rollback = jv_object_set(rollback, jv_string("reason"), str_or_null(x.rb_reason));
		rollback = jv_object_set(rollback, jv_string("started_at"), get_or_null(f.rollback, "started_at"));
		rollback = jv_object_set(rollback, jv_string("outcome"), str_or_null(rbo ? rbo : nfail ? "incomplete" :
						f.end == EV_RUN_FINISHED ? "complete" : "unfinished"));
		rollback = jv_object_set(rollback, jv_string("actions"), jv_number(nact));
		rollback = jv_object_set(rollback, jv_string("succeeded"), jv_number(nok));
		rollback = jv_object_set(rollback, jv_string("failed"), jv_number(nfail));
		rollback = jv_object_set(rollback, jv_string("skipped"), jv_number(nskip));
		rollback = jv_object_set(rollback, jv_string("steps"), rbrows);
	} else {
		jv_free(rbrows);
	}

	if (run_dur < 0 && t0 >= 0 && t1 >= t0)
		run_dur = t1 - t0;
	rep = jv_object_set(rep, jv_string("run"), str_or_null(f.run));
	rep = jv_object_set(rep, jv_string("runbook"), str_or_null(f.runbook));
	rep = jv_object_set(rep, jv_string("path"), get_or_null(f.started, "path"));
	rep = jv_object_set(rep, jv_string("sha256"), get_or_null(f.started, "sha256"));
	rep = jv_object_set(rep, jv_string("mode"), str_or_null(run_mode(&f, &x)));
	rep = jv_object_set(rep, jv_string("status"), jv_string(status));
	rep = jv_object_set(rep, jv_string("exit_code"), exit_code >= 0 ? jv_number((double)exit_code) : jv_null());
	rep = jv_object_set(rep, jv_string("dry_run"), jv_bool(jv_is_valid(f.started) && jvx_bool(f.started, "dry_run", 0)));
	rep = jv_object_set(rep, jv_string("rehearsal"), jv_bool(jv_is_valid(f.started) && jvx_bool(f.started, "rehearsal", 0)));
	rep = jv_object_set(rep, jv_string("started_at"), get_or_null(f.started, "time"));
	rep = jv_object_set(rep, jv_string("finished_at"), get_or_null(fin, "time"));
	rep = jv_object_set(rep, jv_string("duration_ms"), ms_or_null(run_dur));
	rep = jv_object_set(rep, jv_string("error"), str_or_null(run_error));
	if (f.end == EV_RUN_INTERRUPTED)
		rep = jv_object_set(rep, jv_string("signal"), get_or_null(fin, "signal"));
	rep = jv_object_set(rep, jv_string("rollback_outcome"), get_or_null(fin, "rollback"));
	rep = jv_object_set(rep, jv_string("params"), params_shown(plan, params));
	rep = jv_object_set(rep, jv_string("approvals"), jv_copy(x.approvals));
	{
		static const char *const passed[] = { "outputs", "output_errors", "objectives" };
		for (size_t k = 0; k < sizeof(passed) / sizeof(passed[0]); k++) {
			jv v = jv_is_valid(fin) ? jvx_get(fin, passed[k]) : jv_invalid();
			rep = jv_object_set(rep, jv_string(passed[k]), jv_get_kind(v) == JV_KIND_OBJECT ? v :
					    (jv_free(v), jv_null()));
		}
	}
	rep = jv_object_set(rep, jv_string("steps"), steps);
	rep = jv_object_set(rep, jv_string("critical_path"), cpath);
	rep = jv_object_set(rep, jv_string("rollback"), rollback);
	rep = jv_object_set(rep, jv_string("errors"), errors);
	rep = jv_object_set(rep, jv_string("noncritical_failed"), list_or_empty(fin, "noncritical_failed"));
	rep = jv_object_set(rep, jv_string("finally_failed"), list_or_empty(fin, "finally_failed"));
	rep = jv_object_set(rep, jv_string("undo"), undo_list(&f, by_id, isfin));
	{
		jv t = jv_object();
#define T(name) t = jv_object_set(t, jv_string(#name), jv_number(tot.name))
		T(steps); T(succeeded); T(failed); T(skipped); T(rolled_back); T(pending);
		T(running); T(dry_run); T(retries); T(polls); T(rollback_steps); T(rollback_failed);
#undef T
		t = jv_object_set(t, jv_string("rollback_actions"), jv_number(nact));
		t = jv_object_set(t, jv_string("rollback_actions_succeeded"), jv_number(nok));
		rep = jv_object_set(rep, jv_string("totals"), t);
	}
	rep = jv_object_set(rep, jv_string("next_steps"), next_steps(rep));

	free(isfin);
	free(on);
	free(order);
	free(pos);
	free(run_error);
	free(x.rb_reason);
	jv_free(x.info);
	jv_free(x.approvals);
	jv_free(x.rb_rows);
	jv_free(x.rb_open);
	jv_free(fin);
	jv_free(by_id);
	run_fold_release(&f);
	return rep;
}
