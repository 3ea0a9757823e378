/* events.c — the journal event table (events.h), its JSON Schema and man page, and
 * the fold every reader of a journal goes through. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bug.h"
#include "buf.h"
#include "dur.h"
#include "jparse.h"
#include "jvx.h"
#include "events.h"
#include "caps.h"

const struct ev_desc ev_table[EV__N] = {
#define X(e, n, d) { e, n, d },
	RB_EVENTS(X)
#undef X
};

const struct ev_field ev_fields[] = {
#define F(k, n, t, r, d) { k, n, t, r, d },
	RB_EVENT_FIELDS(F)
#undef F
	{ EV__N, NULL, 0, EV_OPT, NULL },
};

const struct ev_field ev_common[] = {
#define F(n, t, r, d) { EV__N, n, t, r, d },
	RB_EVENT_COMMON(F)
#undef F
	{ EV__N, NULL, 0, EV_OPT, NULL },
};

const char *ev_kind_name(enum ev_kind k)
{
	BUG_ON((unsigned)k >= EV__N);
	return ev_table[k].name;
}

enum ev_kind ev_kind_parse(const char *name)
{
	if (!name)
		return EV_UNKNOWN;
	for (int i = 0; i < EV__N; i++)
		if (!strcmp(ev_table[i].name, name))
			return (enum ev_kind)i;
	return EV_UNKNOWN;
}

enum ev_kind ev_kind_of(jv ev)
{
	if (jv_get_kind(ev) != JV_KIND_OBJECT)
		return EV_UNKNOWN;
	return ev_kind_parse(jvx_str(ev, "event"));
}

jv ev_make(enum ev_kind k, const char *time)
{
	jv ev = jv_object();
	ev = jv_object_set(ev, jv_string("event"), jv_string(ev_kind_name(k)));
	ev = jv_object_set(ev, jv_string("v"), jv_number(RB_EVENTS_VERSION));
	if (time)
		ev = jv_object_set(ev, jv_string("time"), jv_string(time));
	return ev;
}

/* ---- JSON Schema ---- */

static const struct { unsigned bit; const char *name; } type_names[] = {
	{ EVT_STRING, "string" }, { EVT_NUMBER, "number" }, { EVT_INTEGER, "integer" },
	{ EVT_BOOLEAN, "boolean" }, { EVT_OBJECT, "object" }, { EVT_ARRAY, "array" },
	{ EVT_NULL, "null" },
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

static jv field_schema(const struct ev_field *f)
{
	jv s = jv_object();
	s = jv_object_set(s, jv_string("description"), jv_string(f->doc));
	if (f->type == EVT_ANY)
		return s;
	jv types = jv_array();
	for (size_t i = 0; i < NTYPES; i++)
		if (f->type & type_names[i].bit)
			types = jv_array_append(types, jv_string(type_names[i].name));
	if (jv_array_length(jv_copy(types)) == 1)
		types = jv_array_get(types, 0);
	return jv_object_set(s, jv_string("type"), types);
}

static jv event_schema(enum ev_kind k)
{
	jv props = jv_object(), req = jv_array();
	for (const struct ev_field *f = ev_common; f->name; f++) {
		jv fs = field_schema(f);
		if (!strcmp(f->name, "event"))
			fs = jv_object_set(fs, jv_string("const"), jv_string(ev_kind_name(k)));
		else if (!strcmp(f->name, "v"))
			fs = jv_object_set(fs, jv_string("const"), jv_number(RB_EVENTS_VERSION));
		props = jv_object_set(props, jv_string(f->name), fs);
		if (f->need == EV_REQ)
			req = jv_array_append(req, jv_string(f->name));
	}
	for (const struct ev_field *f = ev_fields; f->name; f++) {
		if (f->kind != k)
			continue;
		props = jv_object_set(props, jv_string(f->name), field_schema(f));
		if (f->need == EV_REQ)
			req = jv_array_append(req, jv_string(f->name));
	}
	jv s = jv_object();
	s = jv_object_set(s, jv_string("description"), jv_string(ev_table[k].doc));
	s = jv_object_set(s, jv_string("type"), jv_string("object"));
	s = jv_object_set(s, jv_string("properties"), props);
	s = jv_object_set(s, jv_string("required"), req);
	/* a field not in the table is an error: the table is the documentation */
	return jv_object_set(s, jv_string("additionalProperties"), jv_false());
}

jv ev_schema(void)
{
	jv defs = jv_object(), names = jv_array(), all = jv_array();
	for (int k = 0; k < EV__N; k++) {
		const char *n = ev_table[k].name;
		defs = jv_object_set(defs, jv_string(n), event_schema((enum ev_kind)k));
		names = jv_array_append(names, jv_string(n));
		jv cond = jv_object_set(jv_object(), jv_string("properties"),
			jv_object_set(jv_object(), jv_string("event"),
				jv_object_set(jv_object(), jv_string("const"), jv_string(n))));
		jv then = jv_object_set(jv_object(), jv_string("$ref"), jv_string_fmt("#/$defs/%s", n));
		jv rule = jv_object_set(jv_object(), jv_string("if"), cond);
		all = jv_array_append(all, jv_object_set(rule, jv_string("then"), then));
	}
	jv ev = jv_object_set(jv_object(), jv_string("enum"), names);
	jv s = jv_object();
	s = jv_object_set(s, jv_string("$schema"), jv_string("https://json-schema.org/draft/2020-12/schema"));
	s = jv_object_set(s, jv_string("title"), jv_string("runbook journal event, version 1"));
	s = jv_object_set(s, jv_string("description"),
		jv_string("one line of DIR/runs/ID/journal.jsonl; see runbook-events(5)"));
	s = jv_object_set(s, jv_string("type"), jv_string("object"));
	s = jv_object_set(s, jv_string("required"),
		JV_ARRAY(jv_string("event"), jv_string("v"), jv_string("time")));
	s = jv_object_set(s, jv_string("properties"), jv_object_set(jv_object(), jv_string("event"), ev));
	s = jv_object_set(s, jv_string("allOf"), all);
	return jv_object_set(s, jv_string("$defs"), defs);
}

/* ---- man page ---- */

/* roff text: backslashes doubled, a leading dot or quote escaped */
static int roff_add(struct buf *b, const char *s)
{
	if (*s == '.' || *s == '\'')
		if (buf_adds(b, "\\&") < 0)
			return -1;
	for (; *s; s++)
		if ((*s == '\\' ? buf_adds(b, "\\e") : *s == '-' ? buf_adds(b, "\\-") : buf_addc(b, *s)) < 0)
			return -1;
	return 0;
}

static int type_text(struct buf *b, unsigned type)
{
	if (type == EVT_ANY)
		return buf_adds(b, "any");
	int first = 1;
	for (size_t i = 0; i < NTYPES; i++)
		if (type & type_names[i].bit) {
			if (buf_addf(b, "%s%s", first ? "" : "|", type_names[i].name) < 0)
				return -1;
			first = 0;
		}
	return 0;
}

static int field_lines(struct buf *b, const struct ev_field *f)
{
	if (buf_addf(b, ".TP\n.B %s\n(", f->name) < 0 || type_text(b, f->type) < 0 ||
	    buf_addf(b, ", %s) ", f->need == EV_REQ ? "required" : "optional") < 0 ||
	    roff_add(b, f->doc) < 0 || buf_addc(b, '\n') < 0)
		return -1;
	return 0;
}

char *ev_man(void)
{
	struct buf b = BUF_INIT(CAP_LINE);
	int rc = buf_adds(&b,
		".\\\" generated from interpreter/core/events.h by `runbook schema events --format man`;\n"
		".\\\" do not edit: run 'ninja -C BUILD update-events-man'\n"
		".TH RUNBOOK-EVENTS 5 \"\" runbook \"File Formats\"\n"
		".SH NAME\nrunbook-events \\- the events of a runbook journal, version 1\n"
		".SH DESCRIPTION\n"
		"Every run writes\n.IR DIR/runs/ID/journal.jsonl :\n"
		"one JSON object per line, appended as the run goes and synced at every step\n"
		"transition, with secrets masked.\n"
		".BR \"runbook resume\" ,\n.BR show ,\n.B history\n"
		"and the reports read it back. Each line is an event: its name in\n.BR event ,\n"
		"the format's version in\n.B v\n(1), and the fields below. A reader ignores an event\n"
		"or a field it does not know; a writer adds one to the table first.\n"
		"A last line without a newline was cut by a crash and is ignored.\n"
		".PP\n"
		"The JSON Schema of an event is printed by\n.BR \"runbook schema events\" .\n"
		".SH FIELDS OF EVERY EVENT\n") < 0 ? -1 : 0;
	for (const struct ev_field *f = ev_common; !rc && f->name; f++)
		rc = field_lines(&b, f);
	if (!rc)
		rc = buf_adds(&b, ".SH EVENTS\n");
	for (int k = 0; !rc && k < EV__N; k++) {
		rc = buf_addf(&b, ".SS %s\n", ev_table[k].name) < 0 || roff_add(&b, ev_table[k].doc) < 0 ||
		     buf_adds(&b, ".\n") < 0 ? -1 : 0;
		for (const struct ev_field *f = ev_fields; !rc && f->name; f++)
			if (f->kind == (enum ev_kind)k)
				rc = field_lines(&b, f);
	}
	if (!rc)
		rc = buf_adds(&b, ".SH SEE ALSO\n.BR runbook (1),\n.BR runbook (5)\n") < 0 ? -1 : 0;
	if (rc) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* ---- the fold ---- */

void run_fold_init(struct run_fold *f)
{
	memset(f, 0, sizeof(*f));
	f->index = jv_object();
	f->rollback = jv_null();
	f->rollback_steps = jv_array();
	f->timeline = jv_array();
	f->rb_t = -1;
	f->started = jv_invalid();
	f->finished = jv_invalid();
	f->fail_reason = jv_null();
	f->end = EV_UNKNOWN;
	f->t_start = f->t_end = -1;
}

void run_fold_release(struct run_fold *f)
{
	for (int i = 0; i < f->nsteps; i++) {
		struct run_fold_step *s = &f->steps[i];
		free(s->id); free(s->kind); free(s->status); free(s->started); free(s->finished);
		free(s->error); free(s->approved_by); free(s->rb_status); free(s->rb_error);
	}
	free(f->steps);
	free(f->run);
	free(f->runbook);
	jv_free(f->index);
	jv_free(f->rollback);
	jv_free(f->rollback_steps);
	jv_free(f->timeline);
	jv_free(f->started);
	jv_free(f->finished);
	jv_free(f->fail_reason);
	memset(f, 0, sizeof(*f));
	f->index = f->rollback = f->rollback_steps = f->timeline = jv_invalid();
	f->started = f->finished = f->fail_reason = jv_invalid();
}

/* ---- the view of an event ---- */

static const struct { const char *name; size_t off; } view_fields[] = {
#define X(n) { #n, offsetof(struct ev_view, n) },
	EV_VIEW_FIELDS(X)
#undef X
};

void ev_view_of(jv ev, struct ev_view *v)
{
	const char *t;
#define X(n) v->n = jv_invalid();
	EV_VIEW_FIELDS(X)
#undef X
	v->k = EV_UNKNOWN;
	v->owned = 0;
	v->ms = -1;
	if (jv_get_kind(ev) != JV_KIND_OBJECT)
		return;
	jv_object_foreach(ev, key, val) {
		const char *ks = jv_string_value(key);
		for (size_t i = 0; i < sizeof(view_fields) / sizeof(view_fields[0]); i++)
			if (*ks == *view_fields[i].name && !strcmp(ks, view_fields[i].name)) {
				*(jv *)((char *)v + view_fields[i].off) = val;   /* ev holds it */
				break;
			}
		jv_free(key);
		jv_free(val);
	}
	v->k = ev_kind_parse(ev_view_str(v->event));
	if ((t = ev_view_str(v->time)) && ts_parse(t, &v->ms))
		v->ms = -1;
}

static const char *const view_names[] = {
#define X(n) #n,
	EV_VIEW_FIELDS(X)
#undef X
};
#define NVIEW (sizeof(view_names) / sizeof(view_names[0]))

int ev_view_text(struct jparser *jp, const char *text, size_t len, struct ev_view *v)
{
	jv vals[NVIEW];
	const char *t;
	size_t i = 0;
	if (jparser_fields(jp, text, len, view_names, NVIEW, vals) < 0)
		return -1;
#define X(n) v->n = vals[i++];
	EV_VIEW_FIELDS(X)
#undef X
	v->owned = 1;
	v->k = ev_kind_parse(ev_view_str(v->event));
	v->ms = -1;
	if ((t = ev_view_str(v->time)) && ts_parse(t, &v->ms))
		v->ms = -1;
	return 0;
}

void ev_view_release(struct ev_view *v)
{
	if (!v->owned)
		return;
#define X(n) jv_free(v->n); v->n = jv_invalid();
	EV_VIEW_FIELDS(X)
#undef X
	v->owned = 0;
}

const char *ev_view_str(jv v)
{
	return jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;
}

int64_t ev_view_int(jv v, int64_t def)
{
	return (int64_t)llround(jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : (double)def);
}

int ev_view_bool(jv v, int def)
{
	return jv_get_kind(v) == JV_KIND_TRUE ? 1 : jv_get_kind(v) == JV_KIND_FALSE ? 0 : def;
}

int ev_view_has(jv v)
{
	return jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL;
}

#define VS(f) ev_view_str(v->f)
#define VI(f, d) ev_view_int(v->f, (d))

static void set_str(char **dst, const char *s)
{
	if (!s)
		return;
	free(*dst);
	*dst = xstrdup(s);
}

static jv str_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

char *ev_err_text_of(jv e)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	if (!jv_is_valid(e) || jv_get_kind(e) == JV_KIND_NULL)
		return NULL;
	if (jv_get_kind(e) == JV_KIND_STRING) {
		berr |= buf_adds(&b, jv_string_value(e));
	} else if (jv_get_kind(e) == JV_KIND_OBJECT && (jvx_str(e, "code") || jvx_str(e, "message"))) {
		const char *code = jvx_str(e, "code"), *msg = jvx_str(e, "message");
		if (code && msg)
			berr |= buf_addf(&b, "%s: %s", code, msg);
		else
			berr |= buf_adds(&b, code ? code : msg);
	} else {
		char *t = jvx_dump(jv_copy(e));
		berr |= buf_adds(&b, t);
		free(t);
	}
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

char *ev_err_text(jv ev, const char *key)
{
	jv e = jvx_get(ev, key);
	char *t = ev_err_text_of(e);
	jv_free(e);
	return t;
}

static struct run_fold_step *step_get(struct run_fold *f, const char *id)
{
	jv pos = jv_object_get(jv_copy(f->index), jv_string(id));
	struct run_fold_step *s;
	if (jv_is_valid(pos)) {
		int i = (int)jv_number_value(pos);
		jv_free(pos);
		return &f->steps[i];
	}
	jv_free(pos);
	ALLOC_GROW(f->steps, f->nsteps + 1, f->asteps);
	s = &f->steps[f->nsteps];
	memset(s, 0, sizeof(*s));
	s->id = xstrdup(id);
	s->t_start = s->t_end = s->dur_field = -1;
	f->index = jv_object_set(f->index, jv_string(id), jv_number(f->nsteps));
	f->nsteps++;
	return s;
}

/* the plan's steps of run_started or run_resumed, in its order */
static void fold_plan(struct run_fold *f, jv ev)
{
	jv list = jvx_get(ev, "steps");
	if (jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, k, it) {
			const char *id = NULL, *qid = NULL, *kind = NULL;
			if (jv_get_kind(it) == JV_KIND_STRING) {
				id = jv_string_value(it);
			} else if (jv_get_kind(it) == JV_KIND_OBJECT) {
				/* qid, id and kind in one pass (it holds the strings) */
				jv_object_foreach(it, key, val) {
					const char *ks = jv_string_value(key);
					const char **to = !strcmp(ks, "qid") ? &qid : !strcmp(ks, "id") ? &id :
							  !strcmp(ks, "kind") ? &kind : NULL;
					if (to)
						*to = ev_view_str(val);
					jv_free(key);
					jv_free(val);
				}
				if (qid)
					id = qid;
			}
			if (id) {
				struct run_fold_step *st = step_get(f, id);
				if (jv_get_kind(it) == JV_KIND_OBJECT)
					set_str(&st->kind, kind);
			}
			jv_free(it);
			(void)k;
		}
	}
	jv_free(list);
}

static int rb_running(const char *st)
{
	return st && (!strcmp(st, "running") || !strcmp(st, "started"));
}

static void timeline_row(struct run_fold *f, const char *id, int rollback, int64_t start, int64_t dur,
			 const char *status)
{
	if (f->no_timeline)
		return;
	jv r = jv_object();
	r = jv_object_set(r, jv_string("id"), jv_string(id ? id : "?"));
	r = jv_object_set(r, jv_string("rollback"), jv_bool(rollback));
	r = jv_object_set(r, jv_string("start_ms"), jv_number((double)start));
	r = jv_object_set(r, jv_string("duration_ms"), jv_number((double)dur));
	r = jv_object_set(r, jv_string("status"), jv_string(status ? status : ""));
	f->timeline = jv_array_append(f->timeline, r);
}

/* the events that describe a step of the plan (log, call, result, mutation... may
 * name rollback steps or for_each items: they are not rows of the fold) */
static void fold_step(struct run_fold *f, const struct ev_view *v, const char *sid, int64_t t)
{
	struct run_fold_step *s = step_get(f, sid);
	const char *st = VS(status);
	switch (v->k) {
	case EV_STEP_STARTED: {
		int a = (int)VI(attempt, 0);
		set_str(&s->kind, VS(kind));
		if (!s->started) {
			set_str(&s->started, VS(time));
			s->t_start = t;
		}
		s->starts++;
		if (a > s->attempt)
			s->attempt = a;
		set_str(&s->status, "running");
		break;
	}
	case EV_STEP_RETRY: {
		int a = (int)VI(attempt, 0);
		s->retries++;
		if (a > s->attempt)
			s->attempt = a;
		break;
	}
	case EV_WAIT_POLL: {
		int p = (int)VI(poll, 0);
		s->polls = p > s->polls ? p : s->polls + 1;
		break;
	}
	case EV_ITEM_FINISHED:
		s->items++;
		break;
	case EV_CONFIRM:
		if (st && strcmp(st, "prompt") && VS(by))
			set_str(&s->approved_by, VS(by));
		break;
	case EV_STEP_FINISHED: {
		char *err = ev_err_text_of(v->error);
		int p = (int)VI(polls, -1);
		if (t >= 0)
			timeline_row(f, sid, 0, t - VI(duration_ms, 0), VI(duration_ms, 0), st);
		set_str(&s->status, st ? st : "succeeded");
		set_str(&s->finished, VS(time));
		s->t_end = t;
		s->dur_field = VI(duration_ms, -1);
		if (p > s->polls)
			s->polls = p;
		if (!err && VS(reason))
			err = xstrdup(VS(reason));
		if (err) {
			free(s->error);
			s->error = err;
		}
		break;
	}
	case EV_ROLLBACK_STEP: {
		if (st && !strcmp(st, "running"))
			f->rb_t = t;
		else if (st && t >= 0) {
			int64_t from = f->rb_t >= 0 ? f->rb_t : t;
			timeline_row(f, VS(rollback_step), 1, from, t - from, st);
			f->rb_t = -1;
		}
		if (rb_running(st))
			break;
		char *err = ev_err_text_of(v->error);
		jv rs = jv_object();
		rs = jv_object_set(rs, jv_string("step"), jv_string(sid));
		if (VS(rollback_step))
			rs = jv_object_set(rs, jv_string("rollback_step"), jv_string(VS(rollback_step)));
		rs = jv_object_set(rs, jv_string("status"), jv_string(st ? st : "succeeded"));
		rs = jv_object_set(rs, jv_string("error"), str_or_null(err));
		f->rollback_steps = jv_array_append(f->rollback_steps, rs);
		/* several rollback steps per step: a failure sticks */
		if (s->rb_status && !strcmp(s->rb_status, "failed")) {
			free(err);
			break;
		}
		set_str(&s->rb_status, st ? st : "succeeded");
		free(s->rb_error);
		s->rb_error = err;
		break;
	}
	default:
		break;
	}
}

static void set_reason(struct run_fold *f, const struct ev_view *v)
{
	jv_free(f->fail_reason);
	f->fail_reason = jv_is_valid(v->reason) ? jv_copy(v->reason) : jv_null();
}

void run_fold_event(struct run_fold *f, jv ev)
{
	struct ev_view v;
	enum ev_kind k = ev_kind_of(ev);
	/* counted, and maybe the run id: two lookups, not a pass over every field */
	if (k == EV_UNKNOWN || k == EV_CALL || k == EV_RESULT || k == EV_LOG || k == EV_MUTATION) {
		f->nevents++;
		if (k == EV_UNKNOWN)
			f->nunknown++;
		else if (!f->run && jvx_str(ev, "run"))
			f->run = xstrdup(jvx_str(ev, "run"));
		return;
	}
	ev_view_of(ev, &v);
	run_fold_view(f, ev, &v);
}

void run_fold_view(struct run_fold *f, jv ev, const struct ev_view *v)
{
	enum ev_kind k = v->k;
	const char *sid;
	f->nevents++;
	if (k == EV_UNKNOWN) {
		f->nunknown++;
		return;
	}
	sid = VS(step);
	if (!f->run && VS(run))
		f->run = xstrdup(VS(run));
	switch (k) {
	case EV_RUN_STARTED:
		if (!jv_is_valid(f->started)) {
			jv_free(f->started);
			f->started = jv_copy(ev);
			f->t_start = v->ms;
		}
		if (!f->runbook && VS(runbook))
			f->runbook = xstrdup(VS(runbook));
		fold_plan(f, ev);
		break;
	case EV_RUN_RESUMED:
		f->resumed = 1;
		f->end = EV_UNKNOWN;
		if (!f->runbook && VS(runbook))
			f->runbook = xstrdup(VS(runbook));
		fold_plan(f, ev);
		break;
	case EV_RUN_FINISHED:
	case EV_RUN_INTERRUPTED:
		jv_free(f->finished);
		f->finished = jv_copy(ev);
		f->end = k;
		f->resumed = 0;
		f->t_end = v->ms;
		break;
	case EV_RUN_FAILING:
		if (!f->failing)
			f->operator_abort = ev_view_bool(v->operator, 0);
		f->failing = 1;
		f->outcome = (int)VI(outcome, 1);
		set_reason(f, v);
		break;
	case EV_ROLLBACK_STARTED: {
		f->rollback_seen = 1;
		/* the recorded outcome; without one (a journal older than the field) the
		 * run_failing before it said it, else the run failed */
		if (ev_view_has(v->outcome))
			f->outcome = (int)VI(outcome, 1);
		else if (!f->failing)
			f->outcome = 1;
		f->failing = 1;
		set_reason(f, v);
		jv r = jv_object();
		r = jv_object_set(r, jv_string("reason"), str_or_null(VS(reason)));
		r = jv_object_set(r, jv_string("started_at"), str_or_null(VS(time)));
		jv_free(f->rollback);
		f->rollback = r;
		break;
	}
	case EV_STEP_STARTED: case EV_STEP_RETRY: case EV_WAIT_POLL: case EV_ITEM_FINISHED:
	case EV_CONFIRM: case EV_STEP_FINISHED: case EV_ROLLBACK_STEP:
		if (sid)
			fold_step(f, v, sid, v->ms);
		break;
	default:
		break;
	}
}

void run_fold_journal(struct run_fold *f, jv events)
{
	if (jv_get_kind(events) != JV_KIND_ARRAY)
		return;
	int n = jv_array_length(jv_copy(events));
	for (int i = 0; i < n; i++) {
		jv ev = jv_array_get(jv_copy(events), i);
		run_fold_event(f, ev);
		jv_free(ev);
	}
}

/* a line as the engine writes it, {"event":"NAME",... with NAME one of heads */
static int line_is(const char *line, size_t n, const char *const *heads)
{
	if (n < 16 || memcmp(line, "{\"event\":\"", 10))
		return 0;
	for (; *heads; heads++) {
		size_t hl = strlen(*heads);
		if (n > 12 + hl && !memcmp(line + 10, *heads, hl) && line[10 + hl] == '"' && line[11 + hl] == ',')
			return 1;
	}
	return 0;
}

/* the events of a step whose fold reads the view alone */
static int view_only(enum ev_kind k)
{
	return k == EV_STEP_STARTED || k == EV_STEP_FINISHED || k == EV_STEP_RETRY || k == EV_WAIT_POLL ||
	       k == EV_ITEM_FINISHED;
}

void run_fold_text(struct run_fold *f, const char *text, size_t len,
		   void (*fn)(void *ctx, jv ev, const struct ev_view *v), void *ctx)
{
	static const char *const counted[] = { "call", "result", "log", "mutation", NULL };
	static const char *const viewed[] = { "step_started", "step_finished", "step_retry", "wait_poll",
		"item_finished", NULL };
	const char *line = text, *nl;
	struct jparser *jp = xmalloc(sizeof(*jp));
	jparser_init(jp);
	while ((nl = memchr(line, '\n', len - (size_t)(line - text)))) {
		size_t n = (size_t)(nl - line);
		struct ev_view v = { .owned = 0 };
		while (n && line[n - 1] == '\r')
			n--;
		if (n && f->run && line_is(line, n, counted)) {
			f->nevents++;         /* all the fold does with it once the run id is known */
		} else if (n && line_is(line, n, viewed) && !ev_view_text(jp, line, n, &v) && view_only(v.k)) {
			run_fold_view(f, jv_null(), &v);
			if (fn)
				fn(ctx, jv_null(), &v);
			ev_view_release(&v);
		} else if (n) {
			ev_view_release(&v);
			jv ev = jparser_parse(jp, line, n);
			if (jv_get_kind(ev) == JV_KIND_OBJECT) {
				ev_view_of(ev, &v);
				run_fold_view(f, ev, &v);
				if (fn)
					fn(ctx, ev, &v);
			}
			jv_free(ev);
		}
		line = nl + 1;
	}
	jparser_release(jp);
	free(jp);
}

const char *run_fold_status(const struct run_fold *f)
{
	if (f->end == EV_UNKNOWN || !jv_is_valid(f->finished))
		return "unfinished";
	const char *s = jvx_str(f->finished, "status");
	return s ? s : "?";
}
