/* replay.c — answers a run's action calls from a tape, and the drift report (replay.h)
 *
 * Reads are answered by time: the latest recorded answer for the same step, action
 * and arguments at or before the call's `at` (within REPLAY_SLACK_MS on a tape of the
 * real clock, whose calls carry the engine's own overhead), else the earliest; so a
 * wait polls through its recorded timeline. A mutating call takes the first recorded
 * call of the same step, item, action and arguments not used yet. When no recorded
 * call has these arguments, one of the same step and action answers and the
 * arguments are reported as drift (field by field); with none at all, the call fails
 * with "no recorded answer", as it would have to in reality. Every answer takes its
 * recorded duration on the virtual clock. Arguments are compared after placeholder
 * redaction (a tape's secrets are placeholders; a replay's secret params are those
 * placeholders, which keep their numbers) and with the run id (and the forms
 * expressions make of it) normalised, since a replay is another run.
 *
 * `sleep` and `log` run themselves: they touch only the (virtual) clock and the
 * display, so their recorded lines are not matched.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "../core/fs.h"
#include "../core/caps.h"
#include "../core/bug.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "engine_int.h"
#include "replay.h"

#define REPLAY_SLACK_MS 500
#define RUN_MARK "<run>"

static const char *const local_actions[] = { "sleep", "log", NULL };

struct rec {
	char *step, *action;
	int item, mutating, ok, used, line, seq;
	int64_t at, dur;
	jv args;                 /* as recorded */
	jv norm;                 /* args with the run id normalised */
	jv answer;               /* result or error */
};

struct replay {
	pthread_mutex_t lock;
	struct rec *recs;
	int n;
	int64_t slack;
	char *tape_run;
	struct redactor *redact; /* the replay's: its secrets compared as placeholders */
	jv args_differ;          /* [{step, action, field, recorded?, now?}] */
	jv unanswered;           /* [{step, action, args}] */
	jv seen;                 /* dedupe keys of the two lists above */
	int calls;
};

static int is_local(const char *action)
{
	for (int i = 0; local_actions[i]; i++)
		if (!strcmp(local_actions[i], action))
			return 1;
	return 0;
}

/* ---- the run id, normalised ---------------------------------------------------- */

static char *replace_all(const char *s, const char *what, const char *with)
{
	size_t wl = strlen(what);
	if (!wl || !strstr(s, what))
		return NULL;
	struct buf b = BUF_INIT(0);
	const char *p = s, *hit;
	while ((hit = strstr(p, what))) {
		if (buf_add(&b, p, (size_t)(hit - p)) < 0 || buf_adds(&b, with) < 0)
			BUG("uncapped buffer refused an add");
		p = hit + wl;
	}
	if (buf_adds(&b, p) < 0)
		BUG("uncapped buffer refused an add");
	return buf_detach(&b);
}

/* the id, in lower case, and in lower case letters and digits only */
static void id_forms(const char *id, char forms[3][160])
{
	snprintf(forms[0], 160, "%s", id);
	size_t k = 0;
	for (size_t i = 0; id[i] && i < 159; i++)
		forms[1][i] = (char)tolower((unsigned char)id[i]), forms[1][i + 1] = 0;
	if (!id[0])
		forms[1][0] = 0;
	for (size_t i = 0; id[i] && k < 159; i++)
		if (isalnum((unsigned char)id[i]))
			forms[2][k++] = (char)tolower((unsigned char)id[i]);
	forms[2][k] = 0;
}

static jv norm_id(jv v, const char *id)
{
	if (!id || !*id)
		return v;
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING: {
		char forms[3][160];
		id_forms(id, forms);
		char *cur = xstrdup(jv_string_value(v));
		for (int i = 0; i < 3; i++) {
			char *r = strlen(forms[i]) >= 8 ? replace_all(cur, forms[i], RUN_MARK) : NULL;
			if (r) {
				free(cur);
				cur = r;
			}
		}
		jv out = jv_string(cur);
		free(cur);
		jv_free(v);
		return out;
	}
	case JV_KIND_ARRAY: {
		jv out = jv_array();
		jv_array_foreach(v, i, x)
			out = jv_array_append(out, norm_id(x, id));
		jv_free(v);
		return out;
	}
	case JV_KIND_OBJECT: {
		jv out = jv_object();
		jv_object_foreach(v, k, x)
			out = jv_object_set(out, k, norm_id(x, id));
		jv_free(v);
		return out;
	}
	default:
		return v;
	}
}

/* ---- set up -------------------------------------------------------------------- */

struct replay *replay_new(const struct tape_data *td, struct redactor *redact)
{
	struct replay *rp = xcalloc(1, sizeof(*rp));
	rp->redact = redact;
	pthread_mutex_init(&rp->lock, NULL);
	const char *clk = jvx_str(td->header, "clock");
	rp->slack = clk && !strcmp(clk, "real") ? REPLAY_SLACK_MS : 0;
	rp->tape_run = xstrdup(jvx_str(td->header, "run_id") ? jvx_str(td->header, "run_id") : "");
	rp->n = jv_array_length(jv_copy(td->calls));
	rp->recs = xcalloc((size_t)(rp->n ? rp->n : 1), sizeof(*rp->recs));
	for (int i = 0; i < rp->n; i++) {
		jv c = jv_array_get(jv_copy(td->calls), i);
		struct rec *r = &rp->recs[i];
		jv item = jvx_get(c, "item");
		r->step = xstrdup(jvx_str(c, "step"));
		r->action = xstrdup(jvx_str(c, "action"));
		r->item = jv_get_kind(item) == JV_KIND_NUMBER ? (int)jv_number_value(item) : -1;
		jv_free(item);
		r->ok = jvx_bool(c, "ok", 0);
		r->mutating = jvx_bool(c, "mutating", 0);
		r->at = jvx_int(c, "at", 0);
		r->dur = jvx_int(c, "duration_ms", 0);
		r->line = (int)jvx_int(c, "line", 0);
		r->seq = (int)jvx_int(c, "seq", 0);
		r->args = jvx_has(c, "args") ? jvx_get(c, "args") : jv_null();
		r->norm = norm_id(jvx_deep_copy(r->args), rp->tape_run);
		r->answer = jvx_get(c, r->ok ? "result" : "error");
		if (!jv_is_valid(r->answer))
			r->answer = (jv_free(r->answer), jv_null());
		jv_free(c);
	}
	rp->args_differ = jv_array();
	rp->unanswered = jv_array();
	rp->seen = jv_object();
	return rp;
}

void replay_free(struct replay *rp)
{
	if (!rp)
		return;
	for (int i = 0; i < rp->n; i++) {
		free(rp->recs[i].step);
		free(rp->recs[i].action);
		jv_free(rp->recs[i].args);
		jv_free(rp->recs[i].norm);
		jv_free(rp->recs[i].answer);
	}
	free(rp->recs);
	free(rp->tape_run);
	jv_free(rp->args_differ);
	jv_free(rp->unanswered);
	jv_free(rp->seen);
	pthread_mutex_destroy(&rp->lock);
	free(rp);
}

/* ---- field paths that differ ----------------------------------------------------- */

static void differ_add(jv *out, const char *step, const char *action, const char *path, jv was, jv now)
{
	jv d = jv_object();
	d = jv_object_set(d, jv_string("step"), jv_string(step));
	d = jv_object_set(d, jv_string("action"), jv_string(action));
	d = jv_object_set(d, jv_string("field"), jv_string(path && *path ? path : "(arguments)"));
	if (jv_is_valid(was))
		d = jv_object_set(d, jv_string("recorded"), was);
	else
		jv_free(was);
	if (jv_is_valid(now))
		d = jv_object_set(d, jv_string("now"), now);
	else
		jv_free(now);
	*out = jv_array_append(*out, d);
}

/* every field path where was and now differ (both borrowed; invalid = absent) */
static void diff_fields(jv *out, const char *step, const char *action, const char *path, jv was, jv now)
{
	jv_kind kw = jv_get_kind(was), kn = jv_get_kind(now);
	if (kw == JV_KIND_OBJECT && kn == JV_KIND_OBJECT) {
		jv keys = jv_keys(jv_copy(was));
		jv nkeys = jv_keys(jv_copy(now));
		jv_array_foreach(nkeys, i, k) {
			if (!jv_object_has(jv_copy(was), jv_copy(k)))
				keys = jv_array_append(keys, jv_copy(k));
			jv_free(k);
		}
		jv_free(nkeys);
		jv_array_foreach(keys, i, k) {
			char sub[1024];
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", jv_string_value(k));
			jv a = jv_object_has(jv_copy(was), jv_copy(k)) ? jv_object_get(jv_copy(was), jv_copy(k)) : jv_invalid();
			jv b = jv_object_has(jv_copy(now), jv_copy(k)) ? jv_object_get(jv_copy(now), jv_copy(k)) : jv_invalid();
			diff_fields(out, step, action, sub, a, b);
			jv_free(a);
			jv_free(b);
			jv_free(k);
		}
		jv_free(keys);
		return;
	}
	if (kw == JV_KIND_ARRAY && kn == JV_KIND_ARRAY &&
	    jv_array_length(jv_copy(was)) == jv_array_length(jv_copy(now))) {
		int n = jv_array_length(jv_copy(was));
		for (int i = 0; i < n; i++) {
			char sub[1024];
			snprintf(sub, sizeof(sub), "%s[%d]", path, i);
			jv a = jv_array_get(jv_copy(was), i), b = jv_array_get(jv_copy(now), i);
			diff_fields(out, step, action, sub, a, b);
			jv_free(a);
			jv_free(b);
		}
		return;
	}
	if (jv_is_valid(was) && jv_is_valid(now) && jv_equal(jv_copy(was), jv_copy(now)))
		return;
	differ_add(out, step, action, path, jv_is_valid(was) ? jv_copy(was) : jv_invalid(),
		   jv_is_valid(now) ? jv_copy(now) : jv_invalid());
}

/* lock held: 1 the first time this key is seen */
static int first_time(struct replay *rp, const char *kind, const char *step, const char *action, jv a, jv b)
{
	char *ta = jvx_dump(jv_copy(a)), *tb = jvx_dump(jv_copy(b));
	jv key = jv_string_fmt("%s\x1f%s\x1f%s\x1f%s\x1f%s", kind, step, action, ta, tb);
	free(ta);
	free(tb);
	int seen = jv_object_has(jv_copy(rp->seen), jv_copy(key));
	if (!seen)
		rp->seen = jv_object_set(rp->seen, key, jv_true());
	else
		jv_free(key);
	return !seen;
}

/* ---- answering ----------------------------------------------------------------- */

static int same_call(const struct rec *r, const struct replay_call *c)
{
	return !strcmp(r->step, c->step) && !strcmp(r->action, c->desc->name) && r->item == c->item;
}

/* lock held: the record that answers c, or -1; exact: compare arguments too */
static int pick(struct replay *rp, const struct replay_call *c, jv norm, int exact)
{
	int best = -1, earliest = -1;
	for (int i = 0; i < rp->n; i++) {
		struct rec *r = &rp->recs[i];
		if (!same_call(r, c) || (exact && !jv_equal(jv_copy(r->norm), jv_copy(norm))))
			continue;
		if (c->mutating) {
			if (!r->used)
				return i;
			continue;
		}
		if (earliest < 0 || r->at < rp->recs[earliest].at)
			earliest = i;
		if (r->at <= c->at + rp->slack && (best < 0 || r->at >= rp->recs[best].at))
			best = i;
	}
	return best >= 0 ? best : earliest;
}

int replay_answer(void *arg, const struct replay_call *c, jv args, jv *out)
{
	struct replay *rp = arg;
	if (is_local(c->desc->name))
		return 1;
	jv norm = norm_id(redact_jv_placeholder(rp->redact, jvx_deep_copy(args)), c->run_id);
	int64_t at = -1, dur = 0;
	int rc;
	pthread_mutex_lock(&rp->lock);
	rp->calls++;
	int i = pick(rp, c, norm, 1);
	if (i < 0 && (i = pick(rp, c, norm, 0)) >= 0) {
		/* the same call with other arguments: answered as it was, and reported */
		struct rec *r = &rp->recs[i];
		if (first_time(rp, "args", c->step, r->action, r->norm, norm))
			diff_fields(&rp->args_differ, c->step, r->action, "", r->norm, norm);
	}
	if (i >= 0) {
		struct rec *r = &rp->recs[i];
		/* a read answered marks every recorded read of the same call: they were made */
		for (int k = 0; k < rp->n; k++)
			if (k == i || (!c->mutating && !rp->recs[k].mutating && same_call(&rp->recs[k], c) &&
				       jv_equal(jv_copy(rp->recs[k].norm), jv_copy(r->norm))))
				rp->recs[k].used = 1;
		*out = jvx_deep_copy(r->answer);
		rc = r->ok ? 0 : -1;
		at = r->at;
		dur = r->dur;
	} else {
		if (first_time(rp, "none", c->step, c->desc->name, norm, jv_null())) {
			jv u = jv_object();
			u = jv_object_set(u, jv_string("step"), jv_string(c->step));
			u = jv_object_set(u, jv_string("action"), jv_string(c->desc->name));
			u = jv_object_set(u, jv_string("args"), jv_copy(norm));
			rp->unanswered = jv_array_append(rp->unanswered, u);
		}
		*out = jvx_error("ReplayNoAnswer", "no recorded answer: the tape has no call of action '%s' "
				 "by step '%s'", c->desc->name, c->step);
		rc = -1;
	}
	pthread_mutex_unlock(&rp->lock);
	jv_free(norm);
	jv_free(args);
	/* the recorded time: catch up with a call the recording made a little later,
	 * then take as long as it took */
	if (at > c->at && at - c->at <= rp->slack)
		clock_sleep(c->clock, at - c->at, c->cancel);
	if (dur > 0)
		clock_sleep(c->clock, dur, c->cancel);
	return rc;
}

/* ---- the report ------------------------------------------------------------------- */

static jv ids_of(jv steps)
{
	jv ids = jv_object();
	if (jv_get_kind(steps) == JV_KIND_ARRAY)
		jv_array_foreach(steps, i, s) {
			if (jvx_str(s, "id"))
				ids = jv_object_set(ids, jv_string(jvx_str(s, "id")), jv_true());
			jv_free(s);
		}
	jv_free(steps);
	return ids;
}

static jv missing_from(jv steps, jv other_ids)
{
	jv out = jv_array();
	if (jv_get_kind(steps) == JV_KIND_ARRAY)
		jv_array_foreach(steps, i, s) {
			const char *id = jvx_str(s, "id");
			if (id && !jv_object_has(jv_copy(other_ids), jv_string(id)))
				out = jv_array_append(out, jv_string(id));
			jv_free(s);
		}
	jv_free(steps);
	jv_free(other_ids);
	return out;
}

static jv status_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

int replay_sha256_file(const char *path, char out[65])
{
	size_t len;
	char *text = fs_read(path, CAP_JOURNAL, &len);
	if (!text)
		return -1;
	sha256_hex(text, len, out);
	free(text);
	return 0;
}

jv replay_report(struct replay *rp, const struct tape_data *td, jv plan_steps, struct state *st,
		 const char *run_id)
{
	jv journal = run_id ? state_run_events(st, run_id) : jv_array();
	jv rep = jv_object();
	struct run_fold f;
	run_fold_init(&f);
	run_fold_journal(&f, journal);
	pthread_mutex_lock(&rp->lock);
	rep = jv_object_set(rep, jv_string("arguments"), jv_copy(rp->args_differ));
	rep = jv_object_set(rep, jv_string("unanswered"), jv_copy(rp->unanswered));
	jv never = jv_array();
	for (int i = 0; i < rp->n; i++) {
		struct rec *r = &rp->recs[i];
		if (r->used || is_local(r->action))
			continue;
		int dup = 0;  /* a read's polls: once per call */
		for (int k = 0; k < i && !r->mutating && !dup; k++)
			dup = !rp->recs[k].used && !rp->recs[k].mutating && !strcmp(rp->recs[k].step, r->step) &&
			      !strcmp(rp->recs[k].action, r->action) && rp->recs[k].item == r->item &&
			      jv_equal(jv_copy(rp->recs[k].norm), jv_copy(r->norm));
		if (dup)
			continue;
		jv m = jv_object();
		m = jv_object_set(m, jv_string("seq"), jv_number(r->seq));
		m = jv_object_set(m, jv_string("line"), jv_number(r->line));
		m = jv_object_set(m, jv_string("step"), jv_string(r->step));
		m = jv_object_set(m, jv_string("action"), jv_string(r->action));
		m = jv_object_set(m, jv_string("mutating"), jv_bool(r->mutating));
		never = jv_array_append(never, m);
	}
	rep = jv_object_set(rep, jv_string("never_made"), never);
	rep = jv_object_set(rep, jv_string("calls"), jv_number(rp->calls));
	pthread_mutex_unlock(&rp->lock);

	jv tsteps = jvx_get(td->header, "steps");
	rep = jv_object_set(rep, jv_string("steps_added"), missing_from(jv_copy(plan_steps), ids_of(jv_copy(tsteps))));
	rep = jv_object_set(rep, jv_string("steps_removed"), missing_from(tsteps, ids_of(jv_copy(plan_steps))));
	jv_free(plan_steps);

	/* outcomes: the run's, and each step's in both runs */
	jv was = jv_object(), now = jv_object();
	int changed = 0;
	if (jv_get_kind(td->end) == JV_KIND_OBJECT) {
		was = jv_object_set(was, jv_string("status"), status_or_null(jvx_str(td->end, "status")));
		was = jv_object_set(was, jv_string("exit_code"), jv_number((double)jvx_int(td->end, "exit_code", -1)));
	} else {
		was = jv_object_set(was, jv_string("status"), jv_string("unfinished"));
		was = jv_object_set(was, jv_string("exit_code"), jv_null());
	}
	now = jv_object_set(now, jv_string("status"), jv_string(run_fold_status(&f)));
	now = jv_object_set(now, jv_string("exit_code"),
			    jv_is_valid(f.finished) ? jv_number((double)jvx_int(f.finished, "exit_code", -1)) : jv_null());
	changed = !jv_equal(jv_copy(was), jv_copy(now));
	jv outcome = jv_object_set(jv_object(), jv_string("recorded"), was);
	outcome = jv_object_set(outcome, jv_string("now"), now);
	outcome = jv_object_set(outcome, jv_string("changed"), jv_bool(changed));
	rep = jv_object_set(rep, jv_string("outcome"), outcome);

	jv steps_changed = jv_array();
	jv rsteps = jvx_get(td->end, "steps"), rrb = jvx_get(td->end, "rollback");
	if (jv_get_kind(rsteps) == JV_KIND_OBJECT) {
		for (int i = 0; i < f.nsteps; i++) {
			const struct run_fold_step *s = &f.steps[i];
			const char *rs = jvx_str(rsteps, s->id);
			const char *rb = jv_get_kind(rrb) == JV_KIND_OBJECT ? jvx_str(rrb, s->id) : NULL;
			const char *ns = s->status && strcmp(s->status, "running") ? s->status : NULL;
			/* a step only one of the runs has is a step added or removed */
			if (!rs && !ns)
				continue;
			if (!rs || !ns || strcmp(rs, ns) || ((rb || s->rb_status) && (!rb || !s->rb_status ||
											    strcmp(rb, s->rb_status)))) {
				jv c = jv_object_set(jv_object(), jv_string("step"), jv_string(s->id));
				c = jv_object_set(c, jv_string("recorded"), status_or_null(rs));
				c = jv_object_set(c, jv_string("now"), status_or_null(ns));
				if (rb || s->rb_status) {
					c = jv_object_set(c, jv_string("recorded_rollback"), status_or_null(rb));
					c = jv_object_set(c, jv_string("now_rollback"), status_or_null(s->rb_status));
				}
				steps_changed = jv_array_append(steps_changed, c);
			}
		}
	}
	jv_free(rsteps);
	jv_free(rrb);
	rep = jv_object_set(rep, jv_string("steps_changed"), steps_changed);
	run_fold_release(&f);

	static const char *const lists[] = { "arguments", "unanswered", "never_made", "steps_added",
					     "steps_removed", "steps_changed", NULL };
	int drift = changed;
	for (int i = 0; lists[i]; i++) {
		jv l = jvx_get(rep, lists[i]);
		if (jv_array_length(l) > 0)     /* consumes l */
			drift = 1;
	}
	rep = jv_object_set(rep, jv_string("drift"), jv_bool(drift));
	jv_free(journal);
	return rep;
}
