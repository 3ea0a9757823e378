/* engine.c — a run of a plan: its set-up (engine_new, engine_run), events, the
 * expression context, tasks (one per running step, item or rollback step: start,
 * submit to the workers, retry) and the action step's result.
 *
 * The rest of the engine, by what it holds: node.c (the plan's nodes, for_each items,
 * scopes), step_wait.c, step_confirm.c, step_assert.c, step_uses.c (the other step
 * kinds), rollback.c (failing, rollback, finally), loop.c (the engine thread's loop,
 * signals), outcome.c (status, outputs, objectives), rundir.c (the run folder),
 * resume.c (engine_resume), invoke.c (the one door to actions, the worker pool),
 * journal.c and tape.c (what is written), replay.c (answers from a tape). Their shared
 * state, struct engine, is in engine_int.h.
 *
 * One loop (loop.c) does everything on the engine thread: take messages from the
 * workers (results, logs), look at signals, deadlines and timers (retry delays, wait
 * polls), start ready nodes in topological order, and, after a failure, run the
 * rollback steps of completed steps in reverse order of completion. Between rounds it
 * waits on the run's clock (clock_wait), so a virtual clock jumps to the next timer
 * when every worker is waiting too.
 *
 * Invariant (clock tokens): the engine thread holds one token for the whole run; every
 * submitted job holds one more, taken at submission and given back by the engine after
 * it has consumed the job's MSG_DONE.
 */
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


struct rb_clock *engine_clock(struct engine *e) { return e->clk; }
struct journal *engine_journal(struct engine *e) { return &e->jn; }
const struct engine_opts *engine_opts_of(struct engine *e) { return e->o; }
const char *engine_run_dir(struct engine *e) { return e->run_dir; }
const char *engine_run_id(struct engine *e) { return e->run_id; }
int64_t engine_run_started(struct engine *e) { return e->run_started; }
struct pool *engine_pool(struct engine *e) { return &e->pool; }

/* ---------------------------------------------------------------- events */

char *eng_time_str(int64_t ms, char *buf, size_t n)
{
	return clock_format(ms, buf, n);
}

static void strs_init(struct eng_strs *s)
{
	static const char *const keys[EK__N] = {
#define X(k) #k,
		ENG_KEYS(X)
#undef X
	};
	for (int i = 0; i < EK__N; i++) {
		s->key[i] = jv_string(keys[i]);
		size_t n = strlen(keys[i]);
		s->keytext[i] = xmalloc(n + 4);      /* the names need no escapes */
		s->keytext[i][0] = '"';
		memcpy(s->keytext[i] + 1, keys[i], n);
		memcpy(s->keytext[i] + 1 + n, "\":", 3);
	}
	for (int i = 0; i < EV__N; i++)
		s->ev[i] = jv_string(ev_kind_name((enum ev_kind)i));
	for (int i = 0; i < ST__N; i++)
		s->st[i] = jv_string(step_state_name((enum step_state)i));
	for (int i = 0; i < STEP_KIND__N; i++)
		s->kind[i] = jv_string(step_kind_name((enum step_kind)i));
	s->run_id = jv_invalid();
}

static void strs_free(struct eng_strs *s)
{
	for (int i = 0; i < EK__N; i++) {
		jv_free(s->key[i]);
		free(s->keytext[i]);
	}
	for (int i = 0; i < EV__N; i++)
		jv_free(s->ev[i]);
	for (int i = 0; i < ST__N; i++)
		jv_free(s->st[i]);
	for (int i = 0; i < STEP_KIND__N; i++)
		jv_free(s->kind[i]);
	jv_free(s->run_id);
}

jv eng_str_ev(struct engine *e, enum ev_kind k)
{
	return jv_copy(e->strs.ev[k]);
}

jv eng_str_state(struct engine *e, enum step_state st)
{
	BUG_ON((unsigned)st >= ST__N);
	return jv_copy(e->strs.st[st]);
}

jv eng_str_kind(struct engine *e, enum step_kind k)
{
	BUG_ON((unsigned)k >= STEP_KIND__N);
	return jv_copy(e->strs.kind[k]);
}

static jv run_id_str(struct engine *e)
{
	jv *r = &e->strs.run_id;
	if (jv_get_kind(*r) != JV_KIND_STRING || strcmp(jv_string_value(*r), e->run_id)) {
		jv_free(*r);
		*r = jv_string(e->run_id);
	}
	return jv_copy(*r);
}

void eng_evl_set(struct engine *e, struct evl *l, enum eng_key k, jv v)
{
	int i;
	for (i = 0; i < l->n && l->key[i] != k; i++)
		;
	if (i < l->n) {
		jv_free(l->val[i]);              /* set again: libjq keeps its place */
		l->val[i] = jv_copy(v);
	} else if (l->n < EVL_MAX) {
		l->key[l->n] = (unsigned char)k;
		l->val[l->n++] = jv_copy(v);
	} else {
		l->off = 1;
	}
	l->ev = jv_object_set(l->ev, jv_copy(e->strs.key[k]), v);
}

void eng_evl_merge(struct evl *l, jv extra)
{
	l->off = 1;
	l->ev = jv_object_merge(l->ev, extra);
}

static void evl_release(struct evl *l)
{
	for (int i = 0; i < l->n; i++)
		jv_free(l->val[i]);
	l->n = 0;
}

/* a new event of the table (core/events.h): {"event", "v": 1, "time", "run", "step"?}
 * (ev_make's fields, with the engine's strings); engine thread only */
void eng_evl_start(struct engine *e, struct evl *l, enum ev_kind k, const char *step)
{
	char ts[40];
	BUG_ON((unsigned)k >= EV__N);
	l->ev = jv_object();
	l->n = l->off = 0;
	eng_evl_set(e, l, EK_event, eng_str_ev(e, k));
	eng_evl_set(e, l, EK_v, jv_number(RB_EVENTS_VERSION));
	eng_evl_set(e, l, EK_time, jv_string(eng_time_str(clock_now(e->clk), ts, sizeof(ts))));
	eng_evl_set(e, l, EK_run, run_id_str(e));
	if (step)
		eng_evl_set(e, l, EK_step, jv_string(step));
}

jv eng_ev_new(struct engine *e, enum ev_kind k, const char *step)
{
	struct evl l;
	eng_evl_start(e, &l, k, step);
	evl_release(&l);
	return l.ev;
}

/* the journal line of the fields listed: what jvx_dump prints for the object */
static char *evl_line(struct engine *e, struct evl *l, size_t *len)
{
	struct buf b = { xmalloc(512), 0, 512, 0 };
	int berr = 0;
	b.data[0] = '\0';
	berr |= buf_addc(&b, '{');
	for (int i = 0; i < l->n; i++) {
		if (i)
			berr |= buf_addc(&b, ',');
		berr |= buf_adds(&b, e->strs.keytext[l->key[i]]);
		berr |= jvx_dump_member(&b, jv_copy(l->val[i]));
	}
	berr |= buf_addc(&b, '}');
	BUF_NOCAP(berr);
	*len = b.len;
	return buf_detach(&b);
}

void eng_evl_emit(struct engine *e, struct evl *l, int sync)
{
	jv ev = redact_jv(e->o->redact, jv_copy(l->ev));
	/* redacted, it is another object: its line is printed from it */
	int same = !l->off && jv_identical(jv_copy(ev), jv_copy(l->ev));
	if (e->jopen) {
		if (same) {
			size_t len;
			char *line = evl_line(e, l, &len);
			journal_append_line(&e->jn, ev, line, len, sync);
			free(line);
		} else {
			journal_append_redacted(&e->jn, jv_copy(ev), sync);
		}
	}
	evl_release(l);
	jv_free(l->ev);
	l->ev = jv_invalid();
	if (e->o->sink.event)
		e->o->sink.event(e->o->sink.arg, ev);
	else
		jv_free(ev);
}

/* journal (fsync when sync) and sink; consumes ev */
void eng_emit(struct engine *e, jv ev, int sync)
{
	ev = redact_jv(e->o->redact, ev);
	/* a failed append is acted on by eng_journal_check (the loop) and invoke(): the
	 * run stops before its next mutating call */
	if (e->jopen)
		journal_append_redacted(&e->jn, jv_copy(ev), sync);
	if (e->o->sink.event)
		e->o->sink.event(e->o->sink.arg, ev);
	else
		jv_free(ev);
}

jv eng_err_obj(const char *code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jv o = jv_object();
	o = jv_object_set(o, jv_string("code"), jv_string(code));
	o = jv_object_set(o, jv_string("message"), jv_string(msg));
	return o;
}

/* message of an invalid jv (consumes v) */
char *eng_invalid_msg(jv v)
{
	char *s;
	if (jv_invalid_has_msg(jv_copy(v))) {
		jv m = jv_invalid_get_msg(v);
		s = jvx_text(m);
	} else {
		jv_free(v);
		s = xstrdup("no value");
	}
	return s;
}

jv eng_err_from_invalid(const char *code, const char *what, jv v)
{
	char *m = eng_invalid_msg(v);
	jv o = eng_err_obj(code, "%s: %s", what, m);
	free(m);
	return o;
}

const char *eng_err_text(jv err, char *buf, size_t n)
{
	const char *m = jvx_str(err, "message");
	const char *c = jvx_str(err, "code");
	if (m && c)
		snprintf(buf, n, "%s: %s", c, m);
	else if (m)
		snprintf(buf, n, "%s", m);
	else {
		char *t = jvx_dump(jv_copy(err));
		snprintf(buf, n, "%s", t);
		free(t);
	}
	return buf;
}

/* ---------------------------------------------------------------- context */

static const char *scope_prefix(struct engine *e, int scope)
{
	return e->p->scopes[scope].prefix ? e->p->scopes[scope].prefix : "";
}

/* the id node n shows (events, journal): its plan qid, with "[i]" after every
 * for_each `uses:` step it runs under */
const char *eng_qid_of(struct engine *e, int n)
{
	return e->dqid[n] ? e->dqid[n] : e->p->nodes[n].qid;
}

void eng_dqid_set(struct engine *e, int n)
{
	const struct plan *p = e->p;
	char q[2048];
	int changed = 0;
	snprintf(q, sizeof(q), "%s", p->nodes[n].qid);
	/* innermost first: an outer uses qid is a prefix of the inner one */
	for (int sc = p->nodes[n].scope; sc > 0; sc = p->scopes[sc].parent) {
		if (!jv_is_valid(e->scope_items[sc]))
			continue;
		size_t at = strlen(p->nodes[p->scopes[sc].uses_node].qid);
		char tail[2048];
		snprintf(tail, sizeof(tail), "%s", q + at);
		snprintf(q + at, sizeof(q) - at, "[%d]%s", e->scope_iter[sc], tail);
		changed = 1;
	}
	free(e->dqid[n]);
	e->dqid[n] = changed ? xstrdup(q) : NULL;
}

static int node_of_ref(struct engine *e, int scope, const char *id)
{
	char q[1024];
	snprintf(q, sizeof(q), "%s%s", scope_prefix(e, scope), id);
	return plan_find(e->p, q);
}

int eng_expr_unknown(struct engine *e, int scope, int idx)
{
	if (!e->o->dry_run || idx < 0)
		return 0;
	if (scope == e->rb_scope && e->rb_unknown)
		return 1;
	char *const *refs = exprset_refs(e->set, idx);
	for (int i = 0; refs && refs[i]; i++) {
		int n = node_of_ref(e, scope, refs[i]);
		if (n >= 0 && e->ns[n].unknown)
			return 1;
	}
	return 0;
}

struct unk_arg {
	struct engine *e;
	int scope, unknown;
};

static void unk_cb(int expr, void *arg)
{
	struct unk_arg *u = arg;
	if (eng_expr_unknown(u->e, u->scope, expr))
		u->unknown = 1;
}

int eng_tmpl_unknown(struct engine *e, int scope, const struct tmpl *t)
{
	struct unk_arg u = {e, scope, 0};
	if (!t || !e->o->dry_run)
		return 0;
	tmpl_each_expr(t, unk_cb, &u);
	return u.unknown;
}

/* evaluate a template; in dry-run, parts over unknown outputs become "(unknown)" */
jv eng_tmpl_eval_dry(struct engine *e, int scope, const struct tmpl *t, jv ctx)
{
	if (!eng_tmpl_unknown(e, scope, t))
		return tmpl_eval(t, e->set, ctx);
	if (t->kind == TMPL_MAP) {
		jv o = jv_object();
		for (int i = 0; i < t->n; i++) {
			jv v = eng_tmpl_eval_dry(e, scope, t->items[i], ctx);
			if (!jv_is_valid(v)) {
				jv_free(o);
				return v;
			}
			o = jv_object_set(o, jv_string(t->keys[i]), v);
		}
		return o;
	}
	if (t->kind == TMPL_LIST) {
		jv a = jv_array();
		for (int i = 0; i < t->n; i++) {
			jv v = eng_tmpl_eval_dry(e, scope, t->items[i], ctx);
			if (!jv_is_valid(v)) {
				jv_free(a);
				return v;
			}
			a = jv_array_append(a, v);
		}
		return a;
	}
	return jv_string(UNKNOWN_TEXT);
}

jv eng_ctx_for(struct engine *e, int scope, jv item, jv result)
{
	jv c = scope == e->rb_scope && jv_is_valid(e->rb_ctx) ? jv_copy(e->rb_ctx) : jv_copy(e->ctx[scope]);
	if (scope == e->rb_scope) {
		c = jv_object_set(c, jv_string("result"), jv_copy(e->rb_result));
		c = jv_object_set(c, jv_string("outputs"), jv_copy(e->rb_outputs));
	}
	if (jv_is_valid(item))
		c = jv_object_set(c, jv_string("item"), jv_copy(item));
	if (jv_is_valid(result))
		c = jv_object_set(c, jv_string("result"), jv_copy(result));
	return c;
}

void eng_ctx_update(struct engine *e, int n)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	struct ctx_node *cn = &e->cn[n];
	char a[40], b[40];
	if (s->started && (!jv_is_valid(cn->started) || cn->started_ms != s->started)) {
		jv_free(cn->started);
		cn->started = jv_string(eng_time_str(s->started, a, sizeof(a)));
		cn->started_ms = s->started;
	}
	if (!jv_is_valid(cn->key))
		cn->key = jv_string(pn->step->id);
	jv st = jv_object();
	st = jv_object_set(st, EKEY(e, status), eng_str_state(e, s->st));
	st = jv_object_set(st, EKEY(e, outputs), eng_node_outputs(e, n));
	st = jv_object_set(st, EKEY(e, result), eng_node_results(e, n));
	st = jv_object_set(st, EKEY(e, started_at), s->started ? jv_copy(cn->started) : jv_null());
	st = jv_object_set(st, EKEY(e, finished_at), s->finished ? jv_string(eng_time_str(s->finished, b, sizeof(b))) : jv_null());
	jv steps = jv_object_get(jv_copy(e->ctx[pn->scope]), EKEY(e, steps));
	/* drop the context's reference first so `steps` is updated in place, not copied */
	e->ctx[pn->scope] = jv_object_set(e->ctx[pn->scope], EKEY(e, steps), jv_null());
	steps = jv_object_set(steps, jv_copy(cn->key), st);
	e->ctx[pn->scope] = jv_object_set(e->ctx[pn->scope], EKEY(e, steps), steps);
}

jv eng_node_outputs(struct engine *e, int n)
{
	struct node_st *s = &e->ns[n];
	const struct rb_step *st = e->p->nodes[n].step;
	if (!s->outputs)
		return jv_object();
	if (!jv_is_valid(s->items))
		return jv_is_valid(s->outputs[0]) ? jv_copy(s->outputs[0]) : jv_object();
	/* for_each: every output becomes an array in item order */
	jv o = jv_object();
	jv names = jv_array();
	for (int k = 0; k < st->noutputs; k++)
		names = jv_array_append(names, jv_string(st->outputs[k].name));
	if (st->kind == STEP_USES || st->noutputs == 0) {
		jv_free(names);
		names = jv_array();
		for (int i = 0; i < s->nitems; i++)
			if (jv_get_kind(s->outputs[i]) == JV_KIND_OBJECT) {
				jv_free(names);
				names = jv_keys(jv_copy(s->outputs[i]));
				break;
			}
	}
	jv_array_foreach(names, k, name) {
		jv arr = jv_array();
		for (int i = 0; i < s->nitems; i++) {
			jv v = jv_get_kind(s->outputs[i]) == JV_KIND_OBJECT ?
				jv_object_get(jv_copy(s->outputs[i]), jv_copy(name)) : jv_null();
			arr = jv_array_append(arr, jv_is_valid(v) ? v : jv_null());
		}
		o = jv_object_set(o, name, arr);
		(void)k;
	}
	jv_free(names);
	return o;
}

jv eng_node_results(struct engine *e, int n)
{
	struct node_st *s = &e->ns[n];
	if (!s->results)
		return jv_null();
	if (!jv_is_valid(s->items))
		return jv_is_valid(s->results[0]) ? jv_copy(s->results[0]) : jv_null();
	jv a = jv_array();
	for (int i = 0; i < s->nitems; i++)
		a = jv_array_append(a, jv_is_valid(s->results[i]) ? jv_copy(s->results[i]) : jv_null());
	return a;
}

/* connections for a call: the top runbook's, the scope's own, then opts overrides */
jv eng_eval_connections(struct engine *e, int scope, jv item, jv *err)
{
	jv conns = jv_object();
	int chain[16], nc = 0;
	for (int s = scope; s >= 0 && nc < 16; s = e->p->scopes[s].parent)
		chain[nc++] = s;
	for (int i = nc - 1; i >= 0; i--) {
		const struct runbook *rb = e->p->scopes[chain[i]].rb;
		if (!rb->connections)
			continue;
		jv c = eng_ctx_for(e, chain[i], item, jv_invalid());
		jv v = tmpl_eval(rb->connections, e->set, c);
		jv_free(c);
		if (!jv_is_valid(v)) {
			*err = eng_err_from_invalid("connections", "cannot evaluate connections", v);
			jv_free(conns);
			return jv_invalid();
		}
		if (jv_get_kind(v) == JV_KIND_OBJECT)
			conns = jv_object_merge_recursive(conns, v);
		else
			jv_free(v);
	}
	if (jv_get_kind(e->o->connections) == JV_KIND_OBJECT)
		conns = jv_object_merge_recursive(conns, jv_copy(e->o->connections));
	return conns;
}

/* every declared arg present, defaults filled, types checked; consumes args */
/* an argument's default, parsed once per engine */
static jv arg_default(struct engine *e, const struct action_arg *a)
{
	for (int i = 0; i < e->ndefs; i++)
		if (e->defs[i].arg == a)
			return jv_copy(e->defs[i].v);
	jv v = jv_parse(a->defval);
	if (!jv_is_valid(v)) {
		jv_free(v);
		v = jv_null();
	}
	ALLOC_GROW(e->defs, e->ndefs + 1, e->adefs);
	e->defs[e->ndefs].arg = a;
	e->defs[e->ndefs++].v = jv_copy(v);
	return v;
}

jv eng_fill_args(struct engine *e, const struct action_desc *d, jv args, jv *err)
{
	if (jv_get_kind(args) == JV_KIND_NULL) {
		jv_free(args);
		args = jv_object();
	}
	if (jv_get_kind(args) != JV_KIND_OBJECT) {
		jv_free(args);
		*err = eng_err_obj("bad_args", "'with' of '%s' must be a map", d->name);
		return jv_invalid();
	}
	for (const struct action_arg *a = d->args; a && a->name; a++) {
		jv v = jv_object_get(jv_copy(args), jv_string(a->name));
		if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
			jv_free(v);
			if (a->defval) {
				v = arg_default(e, a);
			} else if (a->flags & ARG_REQUIRED) {
				jv_free(args);
				*err = eng_err_obj("bad_args", "action '%s' needs argument '%s'", d->name, a->name);
				return jv_invalid();
			} else {
				v = jv_null();
			}
			args = jv_object_set(args, jv_string(a->name), v);
			continue;
		}
		if (strcmp(jvx_kind_name(v), "string") == 0 && !strcmp(jv_string_value(v), UNKNOWN_TEXT)) {
			jv_free(v);
			continue;
		}
		char why[512];
		if (action_arg_check(a, v, why, sizeof(why)) != 0) {
			*err = eng_err_obj("bad_args", "argument '%s' of '%s'%s", a->name, d->name, why);
			jv_free(v);
			jv_free(args);
			return jv_invalid();
		}
		jv_free(v);
	}
	char why[512];
	if (action_args_check(d->args, args, why, sizeof(why)) != 0) {
		*err = eng_err_obj("bad_args", "'%s': %s", d->name, why);
		jv_free(args);
		return jv_invalid();
	}
	return args;
}

/* add the strings of every secret arg to the redactor; borrows args */
void eng_taint_args(struct engine *e, const struct action_desc *d, jv args)
{
	for (const struct action_arg *a = d->args; a && a->name; a++)
		if (a->flags & ARG_SECRET)
			redact_add_jv(e->o->redact, jv_object_get(jv_copy(args), jv_string(a->name)));
}

/* ---------------------------------------------------------------- tasks */

static void task_link(struct engine *e, struct task *t)
{
	t->next = e->tasks;
	t->prev = NULL;
	if (e->tasks)
		e->tasks->prev = t;
	e->tasks = t;
}

void eng_task_unlink(struct engine *e, struct task *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		e->tasks = t->next;
	if (t->next)
		t->next->prev = t->prev;
}

void eng_task_free(struct task *t)
{
	jv_free(t->item_v);
	jv_free(t->args);
	jv_free(t->last_value);
	free(t->qid);
	free(t);
}

void eng_job_free(struct job *j)
{
	jv_free(j->args);
	jv_free(j->conns);
	jv_free(j->out);
	free(j->step);
	free(j);
}

/* whether the connection of d's module (connections.MODULE, MODULE = the action's
 * prefix) holds a value a dry run could not know; borrows conns */
static int conn_unknown(const struct action_desc *d, jv conns)
{
	const char *dot = strchr(d->name, '.');
	char mod[64];
	if (!dot || (size_t)(dot - d->name) >= sizeof(mod))
		return 0;
	snprintf(mod, sizeof(mod), "%.*s", (int)(dot - d->name), d->name);
	jv c = jvx_get(conns, mod);
	int unknown = 0;
	if (jv_is_valid(c)) {
		char *text = jvx_dump(c);
		unknown = strstr(text, UNKNOWN_TEXT) != NULL;
		free(text);
	} else {
		jv_free(c);
	}
	return unknown;
}

void eng_submit(struct engine *e, struct task *t, enum job_mode mode)
{
	jv err = jv_invalid();
	if (e->inflight >= e->max_parallel) {
		ALLOC_GROW(e->slotq, e->nslot + 1, e->aslot);
		e->slotq[e->nslot++] = t;
		t->queued = 1;
		return;
	}
	jv conns = eng_eval_connections(e, t->scope, t->item_v, &err);
	if (!jv_is_valid(conns)) {
		jv_free(conns);
		eng_task_finish(e, t, ST_FAILED, err, jv_null(), jv_null());
		return;
	}
	if (e->o->dry_run && conn_unknown(t->desc, conns)) {
		/* a read whose connection needs outputs a dry run does not have (an endpoint
		 * that was only described): not run, its outputs unknown */
		jv_free(conns);
		eng_emit_mutation(e, t, jv_string("not run: its connection depends on outputs unknown in a dry run"));
		if (!t->rb)
			e->ns[t->node].unknown = 1;
		eng_task_finish(e, t, ST_DRY_RUN, jv_null(), jv_null(), jv_object());
		return;
	}
	struct job *j = xcalloc(1, sizeof(*j));
	j->e = e;
	j->task = t;
	j->desc = t->desc;
	j->mode = mode;
	j->step = xstrdup(t->qid);
	j->item = t->item;
	j->attempt = t->attempt;
	j->rb = t->fin ? 2 : t->rb;   /* 2: a finally step's call (the tape tells them apart) */
	j->args = jvx_deep_copy(t->args);
	j->conns = jvx_deep_copy(conns);
	jv_free(conns);
	j->out = jv_null();
	j->deadline = t->deadline;
	/* finally steps run after the run, its timeout included */
	if (e->run_deadline && !t->fin && (!j->deadline || e->run_deadline < j->deadline))
		j->deadline = e->run_deadline;
	t->job = j;
	t->queued = 0;
	e->inflight++;
	clock_hold(e->clk);          /* the job's token; released after its MSG_DONE */
	if (j->desc->flags & ACT_INSTANT)
		pool_run_here(&e->pool, e, j);
	else
		pool_submit(&e->pool, j);
}

void eng_slot_freed(struct engine *e)
{
	while (e->nslot > 0 && e->inflight < e->max_parallel) {
		struct task *t = e->slotq[0];
		memmove(e->slotq, e->slotq + 1, (size_t)(e->nslot - 1) * sizeof(*e->slotq));
		e->nslot--;
		t->queued = 0;
		eng_submit(e, t, (t->step->kind == STEP_ACTION && e->o->dry_run && t->desc->dry_run &&
			      action_is_mutating(t->desc, t->args)) ? JOB_DRY_RUN : JOB_RUN);
	}
}

void eng_slot_remove(struct engine *e, struct task *t)
{
	for (int i = 0; i < e->nslot; i++)
		if (e->slotq[i] == t) {
			memmove(e->slotq + i, e->slotq + i + 1, (size_t)(e->nslot - i - 1) * sizeof(*e->slotq));
			e->nslot--;
			break;
		}
	t->queued = 0;
}

jv eng_eval_outputs(struct engine *e, struct task *t, jv result, jv *err)
{
	const struct rb_step *st = t->step;
	if (st->noutputs == 0 && st->kind == STEP_USES)
		return jv_copy(result);
	jv outs = jv_object();
	jv c = eng_ctx_for(e, t->scope, t->item_v, result);
	for (int i = 0; i < st->noutputs; i++) {
		if (eng_expr_unknown(e, t->scope, st->outputs[i].expr)) {
			outs = jv_object_set(outs, jv_string(st->outputs[i].name), jv_string(UNKNOWN_TEXT));
			continue;
		}
		jv v = exprset_eval1(e->set, st->outputs[i].expr, jv_copy(c));
		if (!jv_is_valid(v)) {
			char what[300];
			snprintf(what, sizeof(what), "output '%s'", st->outputs[i].name);
			*err = eng_err_from_invalid("output", what, v);
			jv_free(c);
			jv_free(outs);
			return jv_invalid();
		}
		outs = jv_object_set(outs, jv_string(st->outputs[i].name), v);
	}
	jv_free(c);
	return outs;
}

/* The wait before try attempt+1 (runbook(5), "retry"): min(delay * backoff^(attempt-1) *
 * (1 + r), max_delay), r in [0, 1) seeded by the run id, the step and the attempt: two
 * runs with the same id wait the same, whatever the order in which parallel steps fail,
 * and a resumed run keeps its waits. `delay` is the floor of the first wait; jitter only
 * adds (core/backoff.h). */
static int64_t retry_delay(const struct rb_retry *r, const char *run_id, const char *qid, int attempt)
{
	struct backoff b = { r->delay_ms > 0 ? r->delay_ms : 1000, r->backoff, r->max_delay_ms };

	return backoff_added(&b, attempt - 1, backoff_seeded(run_id, qid, attempt));
}

void eng_fail_or_retry(struct engine *e, struct task *t, jv err, jv result)
{
	const struct rb_retry *r = &t->step->retry;
	int attempts = r->attempts > 0 ? r->attempts : 1;
	int64_t now = clock_now(e->clk);
	if (t->attempt < attempts && !e->aborting && !t->timed_out &&
	    (!t->deadline || now < t->deadline)) {
		int64_t d = retry_delay(r, e->run_id, t->qid, t->attempt);
		jv ev = eng_ev_new(e, EV_STEP_RETRY, t->qid);
		ev = jv_object_set(ev, jv_string("attempt"), jv_number(t->attempt));
		ev = jv_object_set(ev, jv_string("attempts"), jv_number(attempts));
		ev = jv_object_set(ev, jv_string("delay_ms"), jv_number((double)d));
		ev = jv_object_set(ev, jv_string("error"), err);
		eng_emit(e, ev, 0);
		jv_free(result);
		t->attempt++;
		t->wake_at = now + d;
		if (t->wake_at <= now)
			t->wake_at = now + 1;
		return;
	}
	eng_task_finish(e, t, ST_FAILED, err, result, jv_null());
}

int eng_ancestors_unknown(struct engine *e, int node)
{
	return e->ns[node].unknown_anc;
}

/* describe a mutation that --dry-run skips */
void eng_emit_mutation(struct engine *e, struct task *t, jv description)
{
	jv ev = eng_ev_new(e, EV_MUTATION, t->qid);
	ev = jv_object_set(ev, jv_string("action"), jv_string(t->desc->name));
	ev = jv_object_set(ev, jv_string("args"), jv_copy(t->args));
	if (jv_is_valid(description))
		ev = jv_object_set(ev, jv_string("description"), description);
	else
		jv_free(description);
	if (t->fin)
		ev = jv_object_set(ev, jv_string("finally"), jv_true());
	else if (t->rb)
		ev = jv_object_set(ev, jv_string("rollback"), jv_true());
	eng_emit(e, ev, 1);
}

const struct step_ops eng_step_ops[STEP_KIND__N] = {
	[STEP_ACTION]  = { eng_action_start, eng_action_result },   /* step_action.c */
	[STEP_WAIT]    = { eng_action_start, eng_wait_result },     /* step_wait.c */
	[STEP_CONFIRM] = { eng_confirm_run, NULL },                 /* step_confirm.c */
	[STEP_ASSERT]  = { eng_assert_run, NULL },                  /* step_assert.c */
	[STEP_USES]    = { eng_uses_run, NULL },                    /* step_uses.c */
};

/* a step's expressions stop at its deadline too (lang/expr.h) */
void eng_expr_deadline_of(struct engine *e, const struct task *t)
{
	expr_deadline(t->deadline ? t->deadline - clock_now(e->clk) : EXPR_NO_DEADLINE);
}

void eng_task_start(struct engine *e, struct task *t)
{
	const struct rb_step *st = t->step;
	int64_t now = clock_now(e->clk);
	t->attempt = 1;
	t->started = now;
	t->deadline = st->timeout_ms ? now + st->timeout_ms : 0;
	eng_expr_deadline_of(e, t);
	task_link(e, t);
	if (t->rb && st->when >= 0) {
		jv c = eng_ctx_for(e, t->scope, t->item_v, jv_invalid());
		jv w = exprset_eval1(e->set, st->when, c);
		if (!jv_is_valid(w)) {
			eng_task_finish(e, t, ST_FAILED, eng_err_from_invalid("expression", "when", w), jv_null(), jv_null());
			return;
		}
		int go = jvx_truthy(w);
		jv_free(w);
		if (!go) {
			eng_task_finish(e, t, ST_SKIPPED, jv_null(), jv_null(), jv_object());
			return;
		}
	}
	eng_step_ops[st->kind].start(e, t);
}


/* ---------------------------------------------------------------- set-up */

struct engine *engine_new(const struct plan *p, const struct engine_opts *o)
{
	for (int k = 0; k < STEP_KIND__N; k++)
		if (!eng_step_ops[k].start)
			BUG("a step kind without a start in eng_step_ops");
	struct engine *e = xcalloc(1, sizeof(*e));
	e->p = p;
	e->o = o;
	strs_init(&e->strs);
	e->set = p->loader->exprs;
	e->clk = o->clock;
	e->max_parallel = o->max_parallel > 0 ? o->max_parallel : DEFAULT_PARALLEL;
	e->fail_reason = jv_null();
	e->stopped_running = jv_array();
	e->rb_done = jv_object();
	e->resume_items = jv_object();
	e->noncritical = jv_array();
	e->rb_scope = -1;
	e->rb_result = jv_null();
	e->rb_outputs = jv_object();
	e->fin_failed = jv_array();
	e->rb_snap = jv_object();
	e->rb_ctx = jv_invalid();
	e->scope_items = xcalloc((size_t)p->nscopes, sizeof(jv));
	e->scope_outs = xcalloc((size_t)p->nscopes, sizeof(jv));
	e->scope_iter = xcalloc((size_t)p->nscopes, sizeof(int));
	for (int i = 0; i < p->nscopes; i++) {
		e->scope_items[i] = jv_invalid();
		e->scope_outs[i] = jv_array();
	}
	e->dqid = xcalloc((size_t)(p->n ? p->n : 1), sizeof(char *));
	e->ns = xcalloc((size_t)(p->n ? p->n : 1), sizeof(*e->ns));
	e->cn = xcalloc((size_t)(p->n ? p->n : 1), sizeof(*e->cn));
	for (int i = 0; i < p->n; i++)
		e->cn[i].key = e->cn[i].started = jv_invalid();
	for (int i = 0; i < p->n; i++) {
		e->ns[i].st = ST_PENDING;
		e->ns[i].items = jv_invalid();
		e->ns[i].error = jv_null();
		e->ns[i].extra = jv_null();
		e->ns[i].deps_left = p->nodes[i].ndeps;
	}
	e->ctx = xcalloc((size_t)p->nscopes, sizeof(jv));
	e->scope_state = xcalloc((size_t)p->nscopes, sizeof(int));
	e->scope_of_uses = xmalloc(sizeof(int) * (size_t)(p->n ? p->n : 1));
	for (int i = 0; i < p->n; i++)
		e->scope_of_uses[i] = -1;
	for (int s = 0; s < p->nscopes; s++)
		if (p->scopes[s].uses_node >= 0)
			e->scope_of_uses[p->scopes[s].uses_node] = s;
	e->sig_seen = (int)eng_signals;
	srandom((unsigned)getpid() ^ (unsigned)clock_now(e->clk));
	return e;
}

void engine_init_ctx(struct engine *e)
{
	char ts[40];
	jv run = jv_object();
	run = jv_object_set(run, jv_string("id"), jv_string(e->run_id));
	run = jv_object_set(run, jv_string("started_at"), jv_string(eng_time_str(e->run_started, ts, sizeof(ts))));
	run = jv_object_set(run, jv_string("dry_run"), jv_bool(e->o->dry_run));
	run = jv_object_set(run, jv_string("rehearsal"), jv_bool(e->o->rehearsal));
	for (int s = 0; s < e->p->nscopes; s++) {
		jv c = jv_object();
		c = jv_object_set(c, jv_string("params"), s == 0 && jv_is_valid(e->o->params) ? jv_copy(e->o->params) : jv_object());
		c = jv_object_set(c, jv_string("steps"), jv_object());
		c = jv_object_set(c, jv_string("run"), jv_copy(run));
		c = jv_object_set(c, jv_string("item"), jv_null());
		c = jv_object_set(c, jv_string("result"), jv_null());
		e->ctx[s] = c;
	}
	e->scope_state[0] = 1;
	jv_free(run);
	for (int i = 0; i < e->p->n; i++)
		eng_ctx_update(e, i);
	if (e->p->rb->timeout_ms > 0)
		e->run_deadline = e->run_started + e->p->rb->timeout_ms;
}

void engine_free(struct engine *e)
{
	for (int i = 0; i < e->p->n; i++)
		eng_node_release(&e->ns[i]);
	while (e->tasks) {
		struct task *t = e->tasks;
		eng_task_unlink(e, t);
		eng_task_free(t);
	}
	for (int s = 0; s < e->p->nscopes; s++)
		jv_free(e->ctx[s]);
	free(e->ctx);
	free(e->ns);
	free(e->scope_state);
	free(e->scope_of_uses);
	free(e->slotq);
	free(e->ready);
	free(e->done_order);
	free(e->rbq);
	jv_free(e->fail_reason);
	jv_free(e->stopped_running);
	jv_free(e->rb_done);
	jv_free(e->resume_items);
	jv_free(e->noncritical);
	jv_free(e->rb_result);
	jv_free(e->rb_outputs);
	jv_free(e->fin_failed);
	jv_free(e->rb_snap);
	jv_free(e->rb_ctx);
	free(e->rb_owner);
	for (int i = 0; i < e->p->nscopes; i++) {
		jv_free(e->scope_items[i]);
		jv_free(e->scope_outs[i]);
	}
	free(e->scope_items);
	free(e->scope_outs);
	free(e->scope_iter);
	for (int i = 0; i < e->p->n; i++)
		free(e->dqid[i]);
	free(e->dqid);
	if (e->jopen)
		journal_close(&e->jn);
	eng_locks_release(e);
	strs_free(&e->strs);
	for (int i = 0; i < e->p->n; i++) {
		jv_free(e->cn[i].key);
		jv_free(e->cn[i].started);
	}
	free(e->cn);
	for (int i = 0; i < e->ndefs; i++)
		jv_free(e->defs[i].v);
	free(e->defs);
	free(e->run_id);
	free(e->run_dir);
	free(e);
}

/* run the loop on a prepared engine; returns the exit code */
int engine_exec(struct engine *e)
{
	int rc;
	clock_hold(e->clk);                   /* the engine thread's token */
	if (pool_start(&e->pool, e, e->max_parallel) < 0) {
		clock_release(e->clk);
		return EXIT_FAILED;
	}
	for (int i = e->p->n - 1; i >= 0; i--)
		if (e->ns[i].st == ST_PENDING && e->ns[i].deps_left == 0)
			eng_ready_push(e, i);
	eng_run_loop(e);
	if (e->stop_now)
		rc = EXIT_ROLLBACK_FAILED;
	else if (!e->aborting)
		rc = EXIT_OK;
	else if (e->o->no_rollback)
		rc = e->ndone > 0 ? EXIT_ROLLBACK_FAILED : e->outcome;
	else if (e->rb_failed)
		rc = EXIT_ROLLBACK_FAILED;
	else
		rc = e->outcome;
	jv out_errs = jv_object();
	jv outputs = e->stop_now ? jv_invalid() : eng_run_outputs(e, &out_errs);
	jv objectives = e->stop_now ? jv_invalid() : eng_run_objectives(e, rc, clock_now(e->clk));
	if (!e->stop_now && e->p->rb->nfinally > 0) {
		eng_finally_start(e, rc);
		eng_run_loop(e);
	}
	clock_release(e->clk);
	pool_stop(&e->pool);
	int64_t now = clock_now(e->clk);
	jv ev = eng_ev_new(e, e->stop_now ? EV_RUN_INTERRUPTED : EV_RUN_FINISHED, NULL);
	ev = jv_object_set(ev, jv_string("status"), jv_string(eng_outcome_status(rc, e)));
	ev = jv_object_set(ev, jv_string("exit_code"), jv_number(rc));
	ev = jv_object_set(ev, jv_string("duration_ms"), jv_number((double)(now - e->run_started)));
	if (e->aborting)
		ev = jv_object_set(ev, jv_string("error"), jv_copy(e->fail_reason));
	if (e->failed_noncritical) {
		ev = jv_object_set(ev, jv_string("noncritical_failures"), jv_number(e->failed_noncritical));
		ev = jv_object_set(ev, jv_string("noncritical_failed"), jv_copy(e->noncritical));
	}
	if (jv_is_valid(outputs))
		ev = jv_object_set(ev, jv_string("outputs"), outputs);
	else
		jv_free(outputs);
	if (jv_object_length(jv_copy(out_errs)) > 0)
		ev = jv_object_set(ev, jv_string("output_errors"), out_errs);
	else
		jv_free(out_errs);
	if (jv_is_valid(objectives))
		ev = jv_object_set(ev, jv_string("objectives"), objectives);
	else
		jv_free(objectives);
	if (jv_array_length(jv_copy(e->fin_failed)) > 0)
		ev = jv_object_set(ev, jv_string("finally_failed"), jv_copy(e->fin_failed));
	if (e->o->no_rollback && e->aborting)
		ev = jv_object_set(ev, jv_string("rollback"), jv_string("skipped (--no-rollback)"));
	else if (e->phase == PH_END && e->aborting)
		ev = jv_object_set(ev, jv_string("rollback"), jv_string(e->rb_failed ? "incomplete" : "complete"));
	if (e->stop_now) {
		/* the journal says run_interrupted, by what and where (resume continues it);
		 * displays know the end of a run as run_finished */
		if (e->journal_lost)
			ev = jv_object_set(ev, jv_string("journal_error"), jv_string(journal_error(&e->jn)));
		else
			ev = jv_object_set(ev, jv_string("signal"), jv_string(eng_sig_name(e->stop_sig)));
		ev = jv_object_set(ev, jv_string("running"), jv_copy(e->stopped_running));
		ev = redact_jv(e->o->redact, ev);
		journal_append_redacted(&e->jn, jv_copy(ev), STATE_SYNC);
		ev = jv_object_set(ev, jv_string("event"), jv_string(ev_kind_name(EV_RUN_FINISHED)));
		if (e->journal_lost)
			ev = jv_object_set(ev, jv_string("error"), jv_string_fmt("stopped at once: %s; 'runbook resume' "
				"continues the run once the state store is back", journal_error(&e->jn)));
		else
			ev = jv_object_set(ev, jv_string("error"), jv_string_fmt("stopped at once by %s; 'runbook resume' continues the run",
				e->stop_sig == SIGINT ? "the operator (Ctrl-C twice)" : eng_sig_name(e->stop_sig)));
		if (e->o->sink.event)
			e->o->sink.event(e->o->sink.arg, ev);
		else
			jv_free(ev);
	} else {
		eng_emit(e, ev, 1);
	}
	return rc;
}

/* ---- literal secrets of a runbook's connections (conninfo passwords, Redis
 * passwords, tokens): tainted before anything is written, so the copies of the
 * runbook kept in the run folder, the journal and the display mask them */

int engine_run(const struct plan *p, const struct engine_opts *o, char **run_id)
{
	struct engine *e = engine_new(p, o);
	jv err = jv_invalid();
	int rc;
	e->run_started = clock_now(e->clk);
	e->run_id = run_id_new(e->run_started);
	/* the runbook's `lock:` before anything is created: held, nothing starts */
	if ((rc = eng_lock_book(e, &err)) != EXIT_OK || (rc = EXIT_INVALID, eng_run_dir_setup(e, &err) < 0) ||
	    (rc = eng_lock_run(e, 0, &err)) != EXIT_OK) {
		eng_emit_setup_error(e, err, rc);
		engine_free(e);
		return rc;
	}
	if (run_id)
		*run_id = xstrdup(e->run_id);
	engine_init_ctx(e);
	char *abs = p->rb->path ? realpath(p->rb->path, NULL) : NULL;
	jv ev = eng_ev_new(e, EV_RUN_STARTED, NULL);
	ev = jv_object_set(ev, jv_string("runbook"), jv_string(p->rb->name ? p->rb->name : ""));
	ev = jv_object_set(ev, jv_string("path"), jv_string(abs ? abs : (p->rb->path ? p->rb->path : "")));
	ev = jv_object_set(ev, jv_string("dir"), state_kind_of(o->state) == STATE_FOLDER ?
			   jv_string_fmt("%s/runs/%s", state_name(o->state), e->run_id) :
			   jv_string_fmt("%s#%s", state_name(o->state), e->run_id));
	ev = jv_object_set(ev, jv_string("dry_run"), jv_bool(o->dry_run));
	ev = jv_object_set(ev, jv_string("rehearsal"), jv_bool(o->rehearsal));
	if (o->replay.call)
		ev = jv_object_set(ev, jv_string("replay"), jv_true());
	ev = jv_object_set(ev, jv_string("max_parallel"), jv_number(e->max_parallel));
	ev = jv_object_set(ev, jv_string("no_rollback"), jv_bool(o->no_rollback));
	/* approvals given for this run hold for its resume too */
	ev = jv_object_set(ev, jv_string("yes"), jv_bool(o->yes));
	jv appr = jv_array();
	for (int i = 0; o->approve && o->approve[i]; i++)
		appr = jv_array_append(appr, jv_string(o->approve[i]));
	ev = jv_object_set(ev, jv_string("approve"), appr);
	ev = jv_object_set(ev, jv_string("steps"), engine_steps_list(p));
	if (e->src_sha256[0])
		ev = jv_object_set(ev, jv_string("sha256"), jv_string(e->src_sha256));
	ev = jv_object_set(ev, jv_string("copy_redacted"), jv_bool(e->copy_masked));
	/* who runs it: resume on another host needs --take-over */
	jv me = eng_lock_me(e);
	ev = jv_object_set(ev, jv_string("host"), jvx_get(me, "host"));
	ev = jv_object_set(ev, jv_string("pid"), jvx_get(me, "pid"));
	jv_free(me);
	free(abs);
	eng_emit(e, ev, 1);
	/* published once run_started is durable; not when it could not be made so */
	if (journal_error(&e->jn)) {
		eng_emit_setup_error(e, jv_string_fmt("the run did not start: %s", journal_error(&e->jn)), EXIT_INVALID);
		engine_free(e);
		return EXIT_INVALID;
	}
	if (state_run_publish(o->state, e->run_id, &err) < 0 ||
	    !(e->run_dir = state_run_workdir(o->state, e->run_id, &err))) {
		eng_emit_setup_error(e, err, EXIT_INVALID);
		engine_free(e);
		return EXIT_INVALID;
	}
	rc = engine_exec(e);
	engine_free(e);
	return rc;
}

/* ---------------------------------------------------------------- signals */

/* ---------------------------------------------------------------- resume */

/* ---- what the journal says about the calls of one step, item or rollback step:
 * calls[QID] = {n: calls made (mode run), open: the last one has no result, last: mode
 * of the last call, unsure: a call may have taken effect (no result, a success, or an
 * error that does not show the service refused it)} */

