/* engine.c — the scheduler: runs a plan on the engine thread, actions on workers.
 *
 * One loop (run_loop) does everything on the engine thread: take messages from the
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

#define DEFAULT_PARALLEL 4
#define WAIT_FIRST_MS 1000
#define WAIT_MAX_MS 30000
#define WAIT_FAR_MS 60000     /* before the expected completion: at most this between polls */
#define WAIT_NEAR_MS 4000     /* closer than this to it: the next poll lands on it */
#define WAIT_BACKOFF 1.5
#define UNKNOWN_TEXT "(unknown)"
#define RESUME_CHECK_MS 30000 /* resume: at most this for one check() */

static volatile sig_atomic_t g_signals;   /* SIGINT adds 1, SIGTERM and SIGHUP add 2 */
static volatile sig_atomic_t g_last_sig;  /* the last one received */

struct node_st {
	enum step_state st;
	int deps_left;
	int64_t started, finished;
	jv items;                /* for_each values, or jv_invalid() */
	int nitems, next_item, running, ndone, nfailed;
	jv *results, *outputs;   /* per item ([0] without for_each) */
	enum step_state *item_st;
	int unknown;             /* dry-run: outputs not known */
	int unknown_anc;         /* dry-run: some ancestor's outputs not known */
	int rerun_allowed;       /* resume: may run again although it was running */
	int preset;              /* resume: finished in the earlier process */
	int replaying;           /* resume: handing back an item finished earlier */
	jv error;
	jv extra;                /* fields added to step_finished (polls, lag) */
};

struct task {
	struct task *next, *prev;
	const struct rb_step *step;
	int node, scope, item;
	jv item_v;
	int rb;                  /* a rollback step, or a finally step (fin): not a node's */
	int fin;                 /* a finally step */
	int rb_entry;
	char *qid;
	int attempt;
	int64_t started, deadline;
	int64_t wake_at;         /* retry delay or next poll; 0 = none */
	struct job *job;
	int queued;              /* waiting for a worker slot */
	int timed_out;
	const struct action_desc *desc;
	jv args;                 /* evaluated `with:` (kept for retries and polls) */
	int polls;
	int64_t interval, base_interval, max_interval, expect_at, last_false, wait_deadline;
	int past_expect;
	int64_t eta_at;             /* when the wait is expected to end (the ETA shown), 0 none */
	const char *eta_from;       /* "last_run", "expect" or "typical" */
	int64_t lag;             /* wait: last false poll to the true one */
	jv last_value;
};

struct rb_entry {
	int node, item, index;
	int pos;                 /* its place in done_order (key of rb_snap) */
	int done;                /* resume: already compensated */
	int bad;                 /* a rollback step of the same owner failed */
};

enum phase { PH_RUN, PH_ROLLBACK, PH_FINALLY, PH_END };

struct engine {
	const struct plan *p;
	const struct engine_opts *o;
	struct exprset *set;
	struct rb_clock *clk;
	struct journal jn;
	int jopen;
	struct pool pool;
	char *run_id, *run_dir;
	int64_t run_started, run_deadline;
	struct node_st *ns;
	jv *ctx;                 /* per scope: {params, steps, run, item, result} */
	int *scope_state;        /* 0 not prepared, 1 ready, 2 skipped, -1 failed */
	int *scope_of_uses;      /* node -> child scope or -1 */
	int max_parallel, inflight;
	struct task *tasks;
	struct task **slotq;
	int nslot, aslot;
	int *ready;
	int nready, aready;
	int *done_order;         /* node*65536+item would overflow: pairs */
	int ndone, adone;
	int aborting, outcome, stop_now;
	jv fail_reason;
	int sig_seen;            /* g_signals already acted on */
	int nsig;                /* signals received during this run */
	int stop_sig;            /* the signal that stopped the run at once */
	jv stopped_running;      /* qids running when it stopped (for the journal) */
	enum phase phase;
	struct rb_entry *rbq;
	int nrbq, arbq, rbpos, rb_failed, rb_ran;
	int failed_noncritical;
	jv noncritical;          /* qids of the non-critical steps that failed */
	/* Rollback context: rollback steps run one at a time; while one runs, expressions
	 * of its scope see the undone step's (item's) result and outputs as .result and
	 * .outputs (ctx_for) */
	int rb_scope;            /* scope of the running rollback step, or -1 */
	jv rb_result, rb_outputs;
	/* for_each on `uses:`: the child's nodes run once per item, one item after the
	 * other; between items they are reset (uses_next_item) */
	jv *scope_items;         /* per scope: the items of its for_each uses step, or invalid */
	int *scope_iter;         /* per scope: the item running */
	jv *scope_outs;          /* per scope: array of the child's outputs per item done */
	char **dqid;             /* per node: id shown (with "[i]" per for_each uses), or NULL */
	jv rb_snap;              /* "done_order position" -> {result, outputs, item, ctx, qid} of
	                          * a child node run for an earlier item */
	jv rb_ctx;               /* the running rollback step's context when snapshotted */
	char *rb_owner;          /* the id of the step the running rollback step undoes */
	int rb_unknown;          /* dry run: what it undoes was only described (its
	                          * .result and .outputs are unknown) */
	int fpos;                /* next finally step */
	jv fin_failed;           /* ids of the finally steps that failed */
	int resumed;
	jv rb_done;              /* resume: "owner#item#index" -> true */
	jv resume_items;         /* resume: qid -> {"N": {outputs, result}} finished items */
	int run_timed_out;
	char src_sha256[65];     /* of the top runbook file as loaded ("" unknown) */
	int copy_masked;         /* runbook.yaml in the run folder has secrets masked */
};

struct rb_clock *engine_clock(struct engine *e) { return e->clk; }
struct journal *engine_journal(struct engine *e) { return &e->jn; }
const struct engine_opts *engine_opts_of(struct engine *e) { return e->o; }
const char *engine_run_dir(struct engine *e) { return e->run_dir; }
const char *engine_run_id(struct engine *e) { return e->run_id; }
int64_t engine_run_started(struct engine *e) { return e->run_started; }
struct pool *engine_pool(struct engine *e) { return &e->pool; }

/* ---------------------------------------------------------------- events */

static char *time_str(int64_t ms, char *buf, size_t n)
{
	return clock_format(ms, buf, n);
}

/* a new event of the table (core/events.h): {"event", "v": 1, "time", "run", "step"?} */
static jv ev_new(struct engine *e, enum ev_kind k, const char *step)
{
	char ts[40];
	jv ev = ev_make(k, time_str(clock_now(e->clk), ts, sizeof(ts)));
	ev = jv_object_set(ev, jv_string("run"), jv_string(e->run_id));
	if (step)
		ev = jv_object_set(ev, jv_string("step"), jv_string(step));
	return ev;
}

/* journal (fsync when sync) and sink; consumes ev */
static void emit(struct engine *e, jv ev, int sync)
{
	ev = redact_jv(e->o->redact, ev);
	if (e->jopen)
		journal_append(&e->jn, jv_copy(ev), sync);
	if (e->o->sink.event)
		e->o->sink.event(e->o->sink.arg, ev);
	else
		jv_free(ev);
}

static jv err_obj(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static jv err_obj(const char *code, const char *fmt, ...)
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
static char *invalid_msg(jv v)
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

static jv err_from_invalid(const char *code, const char *what, jv v)
{
	char *m = invalid_msg(v);
	jv o = err_obj(code, "%s: %s", what, m);
	free(m);
	return o;
}

static const char *err_text(jv err, char *buf, size_t n)
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
static const char *qid_of(struct engine *e, int n)
{
	return e->dqid[n] ? e->dqid[n] : e->p->nodes[n].qid;
}

static void dqid_set(struct engine *e, int n)
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

static int expr_unknown(struct engine *e, int scope, int idx)
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
	if (expr_unknown(u->e, u->scope, expr))
		u->unknown = 1;
}

static int tmpl_unknown(struct engine *e, int scope, const struct tmpl *t)
{
	struct unk_arg u = {e, scope, 0};
	if (!t || !e->o->dry_run)
		return 0;
	tmpl_each_expr(t, unk_cb, &u);
	return u.unknown;
}

/* evaluate a template; in dry-run, parts over unknown outputs become "(unknown)" */
static jv tmpl_eval_dry(struct engine *e, int scope, const struct tmpl *t, jv ctx)
{
	if (!tmpl_unknown(e, scope, t))
		return tmpl_eval(t, e->set, ctx);
	if (t->kind == TMPL_MAP) {
		jv o = jv_object();
		for (int i = 0; i < t->n; i++) {
			jv v = tmpl_eval_dry(e, scope, t->items[i], ctx);
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
			jv v = tmpl_eval_dry(e, scope, t->items[i], ctx);
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

static jv ctx_for(struct engine *e, int scope, jv item, jv result)
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

static jv node_results(struct engine *e, int n);
static jv node_outputs(struct engine *e, int n);

static void ctx_update(struct engine *e, int n)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	char a[40], b[40];
	jv st = jv_object();
	st = jv_object_set(st, jv_string("status"), jv_string(step_state_name(s->st)));
	st = jv_object_set(st, jv_string("outputs"), node_outputs(e, n));
	st = jv_object_set(st, jv_string("result"), node_results(e, n));
	st = jv_object_set(st, jv_string("started_at"), s->started ? jv_string(time_str(s->started, a, sizeof(a))) : jv_null());
	st = jv_object_set(st, jv_string("finished_at"), s->finished ? jv_string(time_str(s->finished, b, sizeof(b))) : jv_null());
	jv steps = jv_object_get(jv_copy(e->ctx[pn->scope]), jv_string("steps"));
	/* drop the context's reference first so `steps` is updated in place, not copied */
	e->ctx[pn->scope] = jv_object_set(e->ctx[pn->scope], jv_string("steps"), jv_null());
	steps = jv_object_set(steps, jv_string(pn->step->id), st);
	e->ctx[pn->scope] = jv_object_set(e->ctx[pn->scope], jv_string("steps"), steps);
}

static jv node_outputs(struct engine *e, int n)
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

static jv node_results(struct engine *e, int n)
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
static jv eval_connections(struct engine *e, int scope, jv item, jv *err)
{
	jv conns = jv_object();
	int chain[16], nc = 0;
	for (int s = scope; s >= 0 && nc < 16; s = e->p->scopes[s].parent)
		chain[nc++] = s;
	for (int i = nc - 1; i >= 0; i--) {
		const struct runbook *rb = e->p->scopes[chain[i]].rb;
		if (!rb->connections)
			continue;
		jv c = ctx_for(e, chain[i], item, jv_invalid());
		jv v = tmpl_eval(rb->connections, e->set, c);
		jv_free(c);
		if (!jv_is_valid(v)) {
			*err = err_from_invalid("connections", "cannot evaluate connections", v);
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
static jv fill_args(const struct action_desc *d, jv args, jv *err)
{
	if (jv_get_kind(args) == JV_KIND_NULL) {
		jv_free(args);
		args = jv_object();
	}
	if (jv_get_kind(args) != JV_KIND_OBJECT) {
		jv_free(args);
		*err = err_obj("bad_args", "'with' of '%s' must be a map", d->name);
		return jv_invalid();
	}
	for (const struct action_arg *a = d->args; a && a->name; a++) {
		jv v = jv_object_get(jv_copy(args), jv_string(a->name));
		if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
			jv_free(v);
			if (a->defval) {
				v = jv_parse(a->defval);
				if (!jv_is_valid(v)) {
					jv_free(v);
					v = jv_null();
				}
			} else if (a->flags & ARG_REQUIRED) {
				jv_free(args);
				*err = err_obj("bad_args", "action '%s' needs argument '%s'", d->name, a->name);
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
			*err = err_obj("bad_args", "argument '%s' of '%s'%s", a->name, d->name, why);
			jv_free(v);
			jv_free(args);
			return jv_invalid();
		}
		jv_free(v);
	}
	char why[512];
	if (action_args_check(d->args, args, why, sizeof(why)) != 0) {
		*err = err_obj("bad_args", "'%s': %s", d->name, why);
		jv_free(args);
		return jv_invalid();
	}
	return args;
}

/* add the strings of every secret arg to the redactor; borrows args */
static void taint_args(struct engine *e, const struct action_desc *d, jv args)
{
	for (const struct action_arg *a = d->args; a && a->name; a++)
		if (a->flags & ARG_SECRET)
			redact_add_jv(e->o->redact, jv_object_get(jv_copy(args), jv_string(a->name)));
}

/* ---------------------------------------------------------------- tasks */

static void task_finish(struct engine *e, struct task *t, enum step_state st, jv err, jv result, jv outputs);
static void fail_run(struct engine *e, int outcome, jv reason);
static int scope_prepare(struct engine *e, int scope, jv *err);

static void task_link(struct engine *e, struct task *t)
{
	t->next = e->tasks;
	t->prev = NULL;
	if (e->tasks)
		e->tasks->prev = t;
	e->tasks = t;
}

static void task_unlink(struct engine *e, struct task *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		e->tasks = t->next;
	if (t->next)
		t->next->prev = t->prev;
}

static void task_free(struct task *t)
{
	jv_free(t->item_v);
	jv_free(t->args);
	jv_free(t->last_value);
	free(t->qid);
	free(t);
}

static void job_free(struct job *j)
{
	jv_free(j->args);
	jv_free(j->conns);
	jv_free(j->out);
	free(j->step);
	free(j);
}

static void emit_mutation(struct engine *e, struct task *t, jv description);

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

static void submit(struct engine *e, struct task *t, enum job_mode mode)
{
	jv err = jv_invalid();
	if (e->inflight >= e->max_parallel) {
		ALLOC_GROW(e->slotq, e->nslot + 1, e->aslot);
		e->slotq[e->nslot++] = t;
		t->queued = 1;
		return;
	}
	jv conns = eval_connections(e, t->scope, t->item_v, &err);
	if (!jv_is_valid(conns)) {
		jv_free(conns);
		task_finish(e, t, ST_FAILED, err, jv_null(), jv_null());
		return;
	}
	if (e->o->dry_run && conn_unknown(t->desc, conns)) {
		/* a read whose connection needs outputs a dry run does not have (an endpoint
		 * that was only described): not run, its outputs unknown */
		jv_free(conns);
		emit_mutation(e, t, jv_string("not run: its connection depends on outputs unknown in a dry run"));
		if (!t->rb)
			e->ns[t->node].unknown = 1;
		task_finish(e, t, ST_DRY_RUN, jv_null(), jv_null(), jv_object());
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
	pool_submit(&e->pool, j);
}

static void slot_freed(struct engine *e)
{
	while (e->nslot > 0 && e->inflight < e->max_parallel) {
		struct task *t = e->slotq[0];
		memmove(e->slotq, e->slotq + 1, (size_t)(e->nslot - 1) * sizeof(*e->slotq));
		e->nslot--;
		t->queued = 0;
		submit(e, t, (t->step->kind == STEP_ACTION && e->o->dry_run && t->desc->dry_run &&
			      action_is_mutating(t->desc, t->args)) ? JOB_DRY_RUN : JOB_RUN);
	}
}

static void slot_remove(struct engine *e, struct task *t)
{
	for (int i = 0; i < e->nslot; i++)
		if (e->slotq[i] == t) {
			memmove(e->slotq + i, e->slotq + i + 1, (size_t)(e->nslot - i - 1) * sizeof(*e->slotq));
			e->nslot--;
			break;
		}
	t->queued = 0;
}

static jv eval_outputs(struct engine *e, struct task *t, jv result, jv *err)
{
	const struct rb_step *st = t->step;
	if (st->noutputs == 0 && st->kind == STEP_USES)
		return jv_copy(result);
	jv outs = jv_object();
	jv c = ctx_for(e, t->scope, t->item_v, result);
	for (int i = 0; i < st->noutputs; i++) {
		if (expr_unknown(e, t->scope, st->outputs[i].expr)) {
			outs = jv_object_set(outs, jv_string(st->outputs[i].name), jv_string(UNKNOWN_TEXT));
			continue;
		}
		jv v = exprset_eval1(e->set, st->outputs[i].expr, jv_copy(c));
		if (!jv_is_valid(v)) {
			char what[300];
			snprintf(what, sizeof(what), "output '%s'", st->outputs[i].name);
			*err = err_from_invalid("output", what, v);
			jv_free(c);
			jv_free(outs);
			return jv_invalid();
		}
		outs = jv_object_set(outs, jv_string(st->outputs[i].name), v);
	}
	jv_free(c);
	return outs;
}

/* A number in [0, 1) that depends only on the run id, the step and the attempt (FNV-1a,
 * then a splitmix64 finalizer): two runs with the same id wait the same, whatever the
 * order in which parallel steps fail, and a resumed run keeps its waits. */
static double retry_jitter(const char *run_id, const char *qid, int attempt)
{
	uint64_t h = 1469598103934665603ULL;
	const char *parts[2] = {run_id ? run_id : "", qid};
	for (int p = 0; p < 2; p++) {
		for (const unsigned char *c = (const unsigned char *)parts[p]; *c; c++)
			h = (h ^ *c) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;   /* separator: "ab"+"c" != "a"+"bc" */
	}
	h ^= (uint64_t)(unsigned)attempt * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (double)(h >> 11) / 9007199254740992.0;   /* 53 bits / 2^53 */
}

/* The wait before try attempt+1 (runbook(5), "retry"): base = delay * backoff^(attempt-1),
 * wait = min(base * (1 + j), max_delay) with j = retry_jitter() in [0, 1). `delay` is the
 * floor of the first wait; jitter only adds (up to one more base). */
static int64_t retry_delay(const struct rb_retry *r, const char *run_id, const char *qid, int attempt)
{
	double d = (double)(r->delay_ms > 0 ? r->delay_ms : 1000);
	double b = r->backoff >= 1 ? r->backoff : 2;
	for (int i = 1; i < attempt && d < 1e15; i++)
		d *= b;
	d *= 1 + retry_jitter(run_id, qid, attempt);
	if (r->max_delay_ms > 0 && d > (double)r->max_delay_ms)
		d = (double)r->max_delay_ms;
	return (int64_t)d;
}

static void fail_or_retry(struct engine *e, struct task *t, jv err, jv result)
{
	const struct rb_retry *r = &t->step->retry;
	int attempts = r->attempts > 0 ? r->attempts : 1;
	int64_t now = clock_now(e->clk);
	if (t->attempt < attempts && !e->aborting && !t->timed_out &&
	    (!t->deadline || now < t->deadline)) {
		int64_t d = retry_delay(r, e->run_id, t->qid, t->attempt);
		jv ev = ev_new(e, EV_STEP_RETRY, t->qid);
		ev = jv_object_set(ev, jv_string("attempt"), jv_number(t->attempt));
		ev = jv_object_set(ev, jv_string("attempts"), jv_number(attempts));
		ev = jv_object_set(ev, jv_string("delay_ms"), jv_number((double)d));
		ev = jv_object_set(ev, jv_string("error"), err);
		emit(e, ev, 0);
		jv_free(result);
		t->attempt++;
		t->wake_at = now + d;
		if (t->wake_at <= now)
			t->wake_at = now + 1;
		return;
	}
	task_finish(e, t, ST_FAILED, err, result, jv_null());
}

/* nearest mutating ancestor action's expected end, or 0 */
static int64_t expected_end(struct engine *e, int node)
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
		    (pn->desc->flags & ACT_MUTATING) && pn->desc->typical_ms > 0 && e->ns[n].started) {
			res = e->ns[n].started + pn->desc->typical_ms;
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

/* How long until the next poll of a wait.
 *
 * Before the expected completion (wait.expect, or the typical duration of the mutating
 * step it follows) polls halve the remaining gap, at most WAIT_FAR_MS apart (or the
 * wait's own max_interval), at least WAIT_NEAR_MS, and the last one lands on the
 * expected time: sparse far from it, dense near it. A 20-minute restore is noticed
 * within a few seconds with ~25 polls; the AWS CLI's waiter makes 41 (30 s fixed) and
 * notices up to 30 s late. Once past the expected time, or with no expectation, polls
 * start short again and back off (x1.5) to max_interval. */
static int64_t next_poll_interval(struct task *t, int64_t now)
{
	int64_t iv;
	if (t->expect_at && now < t->expect_at) {
		int64_t gap = t->expect_at - now;
		int64_t cap = t->step->wait.max_interval_ms > 0 ? t->max_interval : WAIT_FAR_MS;
		iv = gap / 2;
		if (iv > cap)
			iv = cap;
		if (iv < WAIT_NEAR_MS)
			iv = gap < WAIT_NEAR_MS ? gap : WAIT_NEAR_MS;
		return iv < 1 ? 1 : iv;
	}
	if (t->expect_at && !t->past_expect) {
		/* late: short polls again, then back off */
		t->past_expect = 1;
		t->interval = t->base_interval;
	}
	iv = t->interval;
	t->interval = (int64_t)((double)t->interval * WAIT_BACKOFF);
	if (t->interval > t->max_interval)
		t->interval = t->max_interval;
	return iv < 1 ? 1 : iv;
}

static int ancestors_unknown(struct engine *e, int node)
{
	return e->ns[node].unknown_anc;
}

/* describe a mutation that --dry-run skips */
static void emit_mutation(struct engine *e, struct task *t, jv description)
{
	jv ev = ev_new(e, EV_MUTATION, t->qid);
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
	emit(e, ev, 1);
}

static const char *user_name(char *buf, size_t n)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];
	if (getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &res) == 0 && res && res->pw_name) {
		snprintf(buf, n, "%s", res->pw_name);
		return buf;
	}
	const char *u = getenv("USER");
	snprintf(buf, n, "%s", u && *u ? u : "unknown");
	return buf;
}

static int approved_in_advance(struct engine *e, struct task *t)
{
	for (int i = 0; e->o->approve && e->o->approve[i]; i++)
		if (!strcmp(e->o->approve[i], t->qid) || !strcmp(e->o->approve[i], t->step->id))
			return 1;
	return 0;
}

static int declined_in_rehearsal(struct engine *e, struct task *t)
{
	for (int i = 0; e->o->decline && e->o->decline[i]; i++)
		if (!strcmp(e->o->decline[i], t->qid) || !strcmp(e->o->decline[i], t->step->id))
			return 1;
	return 0;
}

#define CONFIRM_TRIES 3       /* a confirmation's phrase: tries before it declines */

static void confirm_run(struct engine *e, struct task *t)
{
	jv c = ctx_for(e, t->scope, t->item_v, jv_invalid());
	jv prompt = t->step->confirm.prompt ? tmpl_eval_dry(e, t->scope, t->step->confirm.prompt, c) : jv_string("Continue?");
	jv phrase = t->step->confirm.phrase ? tmpl_eval_dry(e, t->scope, t->step->confirm.phrase, c) : jv_null();
	jv_free(c);
	char by[256] = "", ts[40];
	const char *how = NULL;
	int ok = 0, tries = 0;
	if (!jv_is_valid(prompt) || !jv_is_valid(phrase)) {
		jv err = !jv_is_valid(prompt) ? err_from_invalid("expression", "prompt", prompt) :
			err_from_invalid("expression", "phrase", phrase);
		if (jv_is_valid(prompt))
			jv_free(prompt);
		if (jv_is_valid(phrase))
			jv_free(phrase);
		task_finish(e, t, ST_FAILED, err, jv_null(), jv_null());
		return;
	}
	char *ptext = jvx_text(jv_copy(prompt));
	char *phtext = jv_get_kind(phrase) == JV_KIND_NULL ? NULL : jvx_text(jv_copy(phrase));
	if (e->o->dry_run) {
		jv ev = ev_new(e, EV_CONFIRM, t->qid);
		ev = jv_object_set(ev, jv_string("status"), jv_string("not_asked"));
		ev = jv_object_set(ev, jv_string("prompt"), jv_copy(prompt));
		emit(e, ev, 1);
		task_finish(e, t, ST_DRY_RUN, jv_null(), jv_null(), jv_object());
		goto out;
	}
	if (e->o->rehearsal) {
		/* nobody is asked in a rehearsal (or a replay): approved by it, or declined
		 * by --decline */
		const char *who = e->o->replay.call ? "replay" : "rehearsal";
		ok = !declined_in_rehearsal(e, t);
		how = ok ? who : "--decline";
		snprintf(by, sizeof(by), "%s", who);
	} else if (e->o->yes) {
		ok = 1;
		how = "--yes";
		snprintf(by, sizeof(by), "--yes");
	} else if (approved_in_advance(e, t)) {
		ok = 1;
		how = "--approve";
		snprintf(by, sizeof(by), "--approve");
	} else if (e->o->tty_in && e->o->tty_out) {
		jv ev = ev_new(e, EV_CONFIRM, t->qid);
		ev = jv_object_set(ev, jv_string("status"), jv_string("prompt"));
		ev = jv_object_set(ev, jv_string("prompt"), jv_copy(prompt));
		emit(e, ev, 0);
		char *rp = redact_str(e->o->redact, ptext);
		char *rph = phtext ? redact_str(e->o->redact, phtext) : NULL;
		if (phtext)
			fprintf(e->o->tty_out, "%s\nType '%s' to continue: ", rp, rph);
		else
			fprintf(e->o->tty_out, "%s [y/N] ", rp);
		fflush(e->o->tty_out);
		/* a phrase is asked again after a mistyped one: CONFIRM_TRIES in all */
		for (tries = 1; ; tries++) {
			char line[1024];
			if (!fgets(line, sizeof(line), e->o->tty_in))
				break;
			line[strcspn(line, "\r\n")] = '\0';
			if (!phtext) {
				ok = !strcasecmp(line, "y") || !strcasecmp(line, "yes");
				break;
			}
			ok = !strcmp(line, phtext);
			if (ok || tries >= CONFIRM_TRIES)
				break;
			fprintf(e->o->tty_out, "That is not '%s' (%d %s left). Type '%s' to continue: ", rph,
				CONFIRM_TRIES - tries, CONFIRM_TRIES - tries == 1 ? "try" : "tries", rph);
			fflush(e->o->tty_out);
		}
		if (phtext && !ok && tries >= CONFIRM_TRIES) {
			fprintf(e->o->tty_out, "No match after %d tries: declined.\n", CONFIRM_TRIES);
			fflush(e->o->tty_out);
		}
		free(rp);
		free(rph);
		clearerr(e->o->tty_in);
		how = "terminal";
		user_name(by, sizeof(by));
	} else {
		how = "no terminal";
	}
	jv ev = ev_new(e, EV_CONFIRM, t->qid);
	ev = jv_object_set(ev, jv_string("status"), jv_string(ok ? "approved" : "declined"));
	ev = jv_object_set(ev, jv_string("prompt"), jv_copy(prompt));
	ev = jv_object_set(ev, jv_string("how"), jv_string(how));
	if (phtext && tries > 0)
		ev = jv_object_set(ev, jv_string("tries"), jv_number(tries));
	if (ok) {
		ev = jv_object_set(ev, jv_string("by"), jv_string(by));
		ev = jv_object_set(ev, jv_string("at"), jv_string(time_str(clock_now(e->clk), ts, sizeof(ts))));
	} else if (!strcmp(how, "--decline")) {
		ev = jv_object_set(ev, jv_string("by"), jv_string(by));
		ev = jv_object_set(ev, jv_string("message"), jv_string("--decline"));
	} else if (!strcmp(how, "no terminal")) {
		ev = jv_object_set(ev, jv_string("message"), jv_string_fmt(
			"confirmation '%s' needs a terminal; pass --yes or --approve %s", t->qid, t->qid));
	}
	emit(e, ev, 1);
	if (ok) {
		jv res = jv_object();
		res = jv_object_set(res, jv_string("approved_by"), jv_string(by));
		res = jv_object_set(res, jv_string("approved_at"), jv_string(time_str(clock_now(e->clk), ts, sizeof(ts))));
		task_finish(e, t, ST_SUCCEEDED, jv_null(), res, jv_object());
	} else {
		jv err = !strcmp(how, "no terminal") ?
			err_obj("declined", "confirmation '%s' needs a terminal; pass --yes or --approve %s", t->qid, t->qid) :
			!strcmp(how, "--decline") ?
			err_obj("declined", "confirmation '%s' declined (rehearse --decline)", t->qid) :
			phtext && tries >= CONFIRM_TRIES ?
			err_obj("declined", "confirmation '%s' declined: the phrase was mistyped %d times", t->qid, CONFIRM_TRIES) :
			err_obj("declined", "confirmation '%s' declined", t->qid);
		/* a declined confirmation is the operator's abort */
		if (!t->rb)
			fail_run(e, EXIT_ABORTED, jv_string_fmt("confirmation '%s' declined", t->qid));
		task_finish(e, t, ST_FAILED, err, jv_null(), jv_null());
	}
out:
	jv_free(prompt);
	jv_free(phrase);
	free(ptext);
	free(phtext);
}

static void assert_run(struct engine *e, struct task *t)
{
	jv c = ctx_for(e, t->scope, t->item_v, jv_invalid());
	jv failures = jv_array(), notes = jv_array();
	int nfail = 0;
	for (int i = 0; i < t->step->nasserts; i++) {
		const struct rb_assertion *a = &t->step->asserts[i];
		const char *text = exprset_text(e->set, a->that);
		if (expr_unknown(e, t->scope, a->that)) {
			notes = jv_array_append(notes, jv_string_fmt("not evaluated (depends on unknown outputs): %s", text));
			continue;
		}
		jv v = exprset_eval1(e->set, a->that, jv_copy(c));
		if (jv_is_valid(v) && jvx_truthy(v)) {
			jv_free(v);
			continue;
		}
		nfail++;
		struct buf b = BUF_INIT(1 << 16);
		if (a->message) {
			jv m = tmpl_eval_dry(e, t->scope, a->message, c);
			if (jv_is_valid(m)) {
				char *mt = jvx_text(m);
				buf_addf(&b, "%s: ", mt);
				free(mt);
			} else {
				jv_free(m);
			}
		}
		buf_addf(&b, "assertion failed: %s", text);
		if (!jv_is_valid(v)) {
			char *m = invalid_msg(v);
			buf_addf(&b, " (error: %s)", m);
			free(m);
		} else {
			char *ex = assert_explain(text, c);
			if (ex)
				buf_addf(&b, " (%s)", ex);
			else {
				char *vt = jvx_dump(jv_copy(v));
				buf_addf(&b, " (value: %s)", vt);
				free(vt);
			}
			free(ex);
			jv_free(v);
		}
		failures = jv_array_append(failures, jv_string(buf_str(&b)));
		buf_release(&b);
	}
	jv_free(c);
	/* each failed assertion is said once, in error.message: not again in a list of the
	 * error, nor in the result (the display, the journal and `show` print all three) */
	jv res = jv_object();
	res = jv_object_set(res, jv_string("failed"), jv_number(nfail));
	if (jv_array_length(jv_copy(notes)) > 0)
		res = jv_object_set(res, jv_string("not_evaluated"), jv_copy(notes));
	if (nfail) {
		struct buf b = BUF_INIT(1 << 20);
		jv_array_foreach(failures, i, f) {
			buf_addf(&b, "%s%s", i ? "; " : "", jv_string_value(f));
			jv_free(f);
		}
		jv err = err_obj("assert_failed", "%s", buf_str(&b));
		err = jv_object_set(err, jv_string("failed"), jv_number(nfail));
		buf_release(&b);
		jv_free(failures);
		jv_free(notes);
		task_finish(e, t, ST_FAILED, err, res, jv_null());
		return;
	}
	int nnotes = jv_array_length(jv_copy(notes));
	jv_free(failures);
	jv_free(notes);
	task_finish(e, t, nnotes ? ST_DRY_RUN : ST_SUCCEEDED, jv_null(), res, jv_object());
}

static void uses_run(struct engine *e, struct task *t)
{
	int cs = e->scope_of_uses[t->node];
	const struct runbook *child = cs >= 0 ? e->p->scopes[cs].rb : NULL;
	jv outs = jv_object();
	int unknown = 0;
	if (child && e->scope_state[cs] == 0) {
		/* resume: every child step finished before the crash */
		jv perr = jv_invalid();
		if (scope_prepare(e, cs, &perr) < 0) {
			jv_free(outs);
			task_finish(e, t, ST_FAILED, perr, jv_null(), jv_null());
			return;
		}
		jv_free(perr);
	}
	int recorded = cs >= 0 && t->item >= 0 ? jv_array_length(jv_copy(e->scope_outs[cs])) : 0;
	if (child && t->item >= 0 && t->item < recorded) {
		/* for_each: the child's outputs when it ran for this item */
		jv_free(outs);
		outs = jv_array_get(jv_copy(e->scope_outs[cs]), t->item);
	} else if (child && e->scope_state[cs] == 1) {
		jv c = ctx_for(e, cs, jv_invalid(), jv_invalid());
		for (int i = 0; i < child->noutputs; i++) {
			if (expr_unknown(e, cs, child->outputs[i].expr)) {
				unknown = 1;
				outs = jv_object_set(outs, jv_string(child->outputs[i].name), jv_string(UNKNOWN_TEXT));
				continue;
			}
			jv v = exprset_eval1(e->set, child->outputs[i].expr, jv_copy(c));
			if (!jv_is_valid(v)) {
				char what[300];
				snprintf(what, sizeof(what), "output '%s' of '%s'", child->outputs[i].name, t->step->uses);
				jv err = err_from_invalid("output", what, v);
				jv_free(c);
				jv_free(outs);
				task_finish(e, t, ST_FAILED, err, jv_null(), jv_null());
				return;
			}
			outs = jv_object_set(outs, jv_string(child->outputs[i].name), v);
		}
		jv_free(c);
	}
	jv err = jv_invalid();
	jv o = eval_outputs(e, t, outs, &err);
	if (!jv_is_valid(o)) {
		jv_free(o);
		task_finish(e, t, ST_FAILED, err, outs, jv_null());
		return;
	}
	if (unknown)
		e->ns[t->node].unknown = 1;
	task_finish(e, t, unknown ? ST_DRY_RUN : ST_SUCCEEDED, jv_null(), outs, o);
}

/* a step's expressions stop at its deadline too (lang/expr.h) */
static void expr_deadline_of(struct engine *e, const struct task *t)
{
	expr_deadline(t->deadline ? t->deadline - clock_now(e->clk) : EXPR_NO_DEADLINE);
}

static void task_start(struct engine *e, struct task *t)
{
	const struct rb_step *st = t->step;
	int64_t now = clock_now(e->clk);
	t->attempt = 1;
	t->started = now;
	t->deadline = st->timeout_ms ? now + st->timeout_ms : 0;
	expr_deadline_of(e, t);
	task_link(e, t);
	if (t->rb && st->when >= 0) {
		jv c = ctx_for(e, t->scope, t->item_v, jv_invalid());
		jv w = exprset_eval1(e->set, st->when, c);
		if (!jv_is_valid(w)) {
			task_finish(e, t, ST_FAILED, err_from_invalid("expression", "when", w), jv_null(), jv_null());
			return;
		}
		int go = jvx_truthy(w);
		jv_free(w);
		if (!go) {
			task_finish(e, t, ST_SKIPPED, jv_null(), jv_null(), jv_object());
			return;
		}
	}
	switch (st->kind) {
	case STEP_ACTION:
	case STEP_WAIT: {
		const struct tmpl *with = st->kind == STEP_ACTION ? st->with : st->wait.with;
		const char *aname = st->kind == STEP_ACTION ? st->action : st->wait.action;
		t->desc = (!t->rb && e->p->nodes[t->node].desc) ? e->p->nodes[t->node].desc : registry_find(aname);
		if (!t->desc) {
			task_finish(e, t, ST_FAILED, err_obj("unknown_action", "unknown action '%s'", aname), jv_null(), jv_null());
			return;
		}
		int unknown = tmpl_unknown(e, t->scope, with);
		jv c = ctx_for(e, t->scope, t->item_v, jv_invalid());
		jv args = with ? tmpl_eval_dry(e, t->scope, with, c) : jv_object();
		jv_free(c);
		if (!jv_is_valid(args)) {
			task_finish(e, t, ST_FAILED, err_from_invalid("expression", "with", args), jv_null(), jv_null());
			return;
		}
		jv err = jv_invalid();
		args = fill_args(t->desc, args, &err);
		if (!jv_is_valid(args)) {
			jv_free(args);
			task_finish(e, t, ST_FAILED, err, jv_null(), jv_null());
			return;
		}
		taint_args(e, t->desc, args);
		jv_free(t->args);
		t->args = args;
		int mut = action_is_mutating(t->desc, t->args);
		if (e->o->dry_run && st->kind == STEP_WAIT && (mut || unknown || (!t->rb && ancestors_unknown(e, t->node)))) {
			jv ev = ev_new(e, EV_MUTATION, t->qid);
			ev = jv_object_set(ev, jv_string("action"), jv_string(t->desc->name));
			ev = jv_object_set(ev, jv_string("args"), jv_copy(t->args));
			ev = jv_object_set(ev, jv_string("description"), jv_string_fmt(
				"would poll '%s' until %s", t->desc->name, exprset_text(e->set, st->wait.until)));
			emit(e, ev, 1);
			if (!t->rb)
				e->ns[t->node].unknown = 1;
			task_finish(e, t, ST_DRY_RUN, jv_null(), jv_null(), jv_object());
			return;
		}
		if (e->o->dry_run && (mut || unknown)) {
			if (mut && t->desc->dry_run && !unknown) {
				submit(e, t, JOB_DRY_RUN);
				return;
			}
			emit_mutation(e, t, unknown && !mut ? jv_string("not run: arguments depend on unknown outputs") : jv_invalid());
			if (!t->rb)
				e->ns[t->node].unknown = 1;
			task_finish(e, t, ST_DRY_RUN, jv_null(), jv_null(), jv_object());
			return;
		}
		if (st->kind == STEP_WAIT) {
			t->base_interval = st->wait.interval_ms > 0 ? st->wait.interval_ms : WAIT_FIRST_MS;
			t->max_interval = st->wait.max_interval_ms > 0 ? st->wait.max_interval_ms : WAIT_MAX_MS;
			if (t->max_interval < t->base_interval)
				t->max_interval = t->base_interval;
			t->interval = t->base_interval;
			if (st->wait.expect_ms > 0)
				t->expect_at = now + st->wait.expect_ms;
			else if (!t->rb)
				t->expect_at = expected_end(e, t->node);
			if (t->expect_at && t->expect_at <= now)
				t->past_expect = 0;
			/* the ETA shown while it waits: this step's duration in the last run of
			 * the runbook, else the expected end its polls aim at */
			int64_t last = jv_get_kind(e->o->last_durations) == JV_KIND_OBJECT ?
				jvx_int(e->o->last_durations, t->qid, -1) : -1;
			if (last > 0 && !t->rb) {
				t->eta_at = now + last;
				t->eta_from = "last_run";
			} else if (t->expect_at) {
				t->eta_at = t->expect_at;
				t->eta_from = st->wait.expect_ms > 0 ? "expect" : "typical";
			}
			t->wait_deadline = st->wait.timeout_ms ? now + st->wait.timeout_ms : 0;
		}
		submit(e, t, JOB_RUN);
		return;
	}
	case STEP_CONFIRM:
		confirm_run(e, t);
		return;
	case STEP_ASSERT:
		assert_run(e, t);
		return;
	case STEP_USES:
		uses_run(e, t);
		return;
	default:
		BUG("unknown step kind");
	}
}

/* for a wait that ends unfinished: "; last poll: .result.X was \"creating\"" (the
 * paths its `until` compares, on the last answered poll), or "" (caller frees) */
static char *wait_seen(struct engine *e, struct task *t)
{
	if (t->step->kind != STEP_WAIT || !jv_is_valid(t->last_value) || jv_get_kind(t->last_value) == JV_KIND_NULL)
		return xstrdup("");
	jv c = ctx_for(e, t->scope, t->item_v, t->last_value);
	char *seen = assert_seen(exprset_text(e->set, t->step->wait.until), c);
	jv_free(c);
	struct buf b = BUF_INIT(1 << 16);
	if (seen && buf_addf(&b, "; last poll: %s", seen) < 0)
		buf_reset(&b);
	free(seen);
	return buf_detach(&b);
}

/* a failed call that ran into the step's or the run's deadline is a timeout, whether
 * the engine or the action noticed first */
static jv timeout_error(struct engine *e, struct task *t)
{
	int64_t now = clock_now(e->clk);
	char d[64];
	jv res = jv_invalid();
	char *seen = wait_seen(e, t);
	if (t->deadline && now >= t->deadline) {
		dur_format(t->step->timeout_ms, d, sizeof(d));
		res = err_obj("timeout", "step '%s' timed out after %s%s", t->qid, d, seen);
	} else if (!t->rb && e->run_deadline && now >= e->run_deadline) {
		dur_format(e->run_deadline - e->run_started, d, sizeof(d));
		res = err_obj("timeout", "the run timed out after %s (step '%s' stopped)%s", d, t->qid, seen);
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
	jv ev = ev_new(e, EV_WAIT_POLL, t->qid);
	ev = jv_object_set(ev, jv_string("poll"), jv_number(t->polls));
	ev = jv_object_set(ev, jv_string("next_ms"), jv_number((double)iv));
	ev = jv_object_set(ev, jv_string("elapsed_ms"), jv_number((double)(now - t->started)));
	if (jv_is_valid(missed)) {
		ev = jv_object_set(ev, jv_string("missed"), jv_true());
		ev = jv_object_set(ev, jv_string("error"), missed);
	} else if (jv_is_valid(t->last_value) && jv_get_kind(t->last_value) != JV_KIND_NULL) {
		/* what the resource looks like now: the values its `until` compares */
		jv c = ctx_for(e, t->scope, t->item_v, t->last_value);
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
	emit(e, ev, 0);
	/* a rollback's own wait (a group still creating cannot be deleted yet) is the
	 * rollback at work: the abort stops only the run's waits */
	if (e->aborting && !t->rb) {
		task_finish(e, t, ST_FAILED, err_obj("aborted", "wait '%s' stopped by the abort after %d polls", t->qid, t->polls), jv_copy(j->out), jv_null());
		return;
	}
	if (limit && now >= limit) {
		char d[64];
		char *seen = wait_seen(e, t);
		dur_format(now - t->started, d, sizeof(d));
		task_finish(e, t, ST_FAILED, err_obj("timeout", "wait '%s' timed out after %s (%d polls): %s never held%s",
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
static void wait_result(struct engine *e, struct task *t, struct job *j)
{
	const struct rb_wait *w = &t->step->wait;
	int64_t now = clock_now(e->clk);
	t->polls++;
	if (t->timed_out || j->rc != 0) {
		jv te = timeout_error(e, t);
		if (jv_is_valid(te)) {
			task_finish(e, t, ST_FAILED, te, jv_copy(j->out), jv_null());
			return;
		}
	}
	if (j->rc != 0) {
		if (t->wait_deadline && now >= t->wait_deadline) {
			char d[64];
			char *seen = wait_seen(e, t);
			dur_format(now - t->started, d, sizeof(d));
			task_finish(e, t, ST_FAILED, err_obj("timeout", "wait '%s' timed out after %s (%d polls)%s", t->qid, d, t->polls, seen),
				    jv_copy(j->out), jv_null());
			free(seen);
			return;
		}
		if (jv_get_kind(j->out) == JV_KIND_OBJECT && jvx_bool(j->out, "transient", 0) && (!e->aborting || t->rb)) {
			wait_next_poll(e, t, j, now, jv_copy(j->out));
			return;
		}
		fail_or_retry(e, t, jv_copy(j->out), jv_null());
		return;
	}
	jv_free(t->last_value);          /* for the timeout's "last poll:" */
	t->last_value = jv_copy(j->out);
	jv c = ctx_for(e, t->scope, t->item_v, j->out);
	if (w->fail_if >= 0) {
		jv f = exprset_eval1(e->set, w->fail_if, jv_copy(c));
		if (!jv_is_valid(f) || jvx_truthy(f)) {
			jv err = !jv_is_valid(f) ? err_from_invalid("expression", "fail_if", f) :
				err_obj("fail_if", "fail_if held after %d poll%s: %s", t->polls, t->polls == 1 ? "" : "s", exprset_text(e->set, w->fail_if));
			if (jv_is_valid(f))
				jv_free(f);
			jv_free(c);
			task_finish(e, t, ST_FAILED, err, jv_copy(j->out), jv_null());
			return;
		}
		jv_free(f);
	}
	jv u = exprset_eval1(e->set, w->until, jv_copy(c));
	jv_free(c);
	if (!jv_is_valid(u)) {
		task_finish(e, t, ST_FAILED, err_from_invalid("expression", "until", u), jv_copy(j->out), jv_null());
		return;
	}
	int done = jvx_truthy(u);
	jv_free(u);
	if (done) {
		jv err = jv_invalid();
		jv outs = eval_outputs(e, t, j->out, &err);
		t->lag = t->last_false ? now - t->last_false : 0;
		if (!jv_is_valid(outs)) {
			jv_free(outs);
			task_finish(e, t, ST_FAILED, err, jv_copy(j->out), jv_null());
		} else {
			task_finish(e, t, ST_SUCCEEDED, jv_null(), jv_copy(j->out), outs);
		}
		return;
	}
	t->last_false = now;
	wait_next_poll(e, t, j, now, jv_invalid());
}

static void action_result(struct engine *e, struct task *t, struct job *j)
{
	if (t->timed_out || j->rc != 0) {
		jv te = timeout_error(e, t);
		if (jv_is_valid(te)) {
			task_finish(e, t, ST_FAILED, te, jv_copy(j->out), jv_null());
			return;
		}
	}
	if (j->mode == JOB_DRY_RUN) {
		emit_mutation(e, t, j->rc == 0 ? jv_copy(j->out) : jv_string("dry-run description failed"));
		if (!t->rb)
			e->ns[t->node].unknown = 1;
		task_finish(e, t, ST_DRY_RUN, jv_null(), jv_null(), jv_object());
		return;
	}
	if (j->rc != 0) {
		fail_or_retry(e, t, jv_copy(j->out), jv_null());
		return;
	}
	jv err = jv_invalid();
	jv outs = eval_outputs(e, t, j->out, &err);
	if (!jv_is_valid(outs)) {
		jv_free(outs);
		task_finish(e, t, ST_FAILED, err, jv_copy(j->out), jv_null());
		return;
	}
	task_finish(e, t, ST_SUCCEEDED, jv_null(), jv_copy(j->out), outs);
}

/* ---------------------------------------------------------------- nodes */

static void ready_push(struct engine *e, int n)
{
	int topo = e->p->nodes[n].topo, i;
	ALLOC_GROW(e->ready, e->nready + 1, e->aready);
	/* sorted by topological position, highest first: pop from the end */
	for (i = e->nready; i > 0 && e->p->nodes[e->ready[i - 1]].topo < topo; i--)
		e->ready[i] = e->ready[i - 1];
	e->ready[i] = n;
	e->nready++;
}


static void node_finish(struct engine *e, int n, enum step_state st)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	s->st = st;
	s->finished = clock_now(e->clk);
	ctx_update(e, n);
	jv ev = ev_new(e, EV_STEP_FINISHED, qid_of(e, n));
	ev = jv_object_set(ev, jv_string("status"), jv_string(step_state_name(st)));
	ev = jv_object_set(ev, jv_string("kind"), jv_string(step_kind_name(pn->step->kind)));
	ev = jv_object_set(ev, jv_string("duration_ms"), jv_number(s->started ? (double)(s->finished - s->started) : 0));
	if (jv_is_valid(s->error) && jv_get_kind(s->error) != JV_KIND_NULL)
		ev = jv_object_set(ev, jv_string("error"), jv_copy(s->error));
	if (st == ST_SKIPPED && jv_get_kind(s->extra) == JV_KIND_STRING)
		ev = jv_object_set(ev, jv_string("reason"), jv_copy(s->extra));
	else if (jv_get_kind(s->extra) == JV_KIND_OBJECT)
		ev = jv_object_merge(ev, jv_copy(s->extra));
	if (!pn->step->critical && st == ST_FAILED)
		ev = jv_object_set(ev, jv_string("critical"), jv_false());
	ev = jv_object_set(ev, jv_string("outputs"), node_outputs(e, n));
	ev = jv_object_set(ev, jv_string("result"), node_results(e, n));
	ev = jv_object_set(ev, jv_string("unknown"), jv_bool(s->unknown));
	emit(e, ev, 1);
	if (st == ST_FAILED) {
		if (pn->step->critical) {
			char buf[2048];
			fail_run(e, EXIT_FAILED, jv_string_fmt("step '%s' failed: %s", qid_of(e, n), err_text(s->error, buf, sizeof(buf))));
		} else {
			e->failed_noncritical++;
			e->noncritical = jv_array_append(e->noncritical, jv_string(qid_of(e, n)));
		}
	}
	for (int i = 0; i < pn->nrdeps; i++) {
		int r = pn->rdeps[i];
		if (--e->ns[r].deps_left == 0 && e->ns[r].st == ST_PENDING)
			ready_push(e, r);
	}
}

static void start_items(struct engine *e, int n);
static void rb_undone(struct engine *e, int n, int item, jv *result, jv *outputs);
static jv rb_item_value(struct engine *e, int n, int item);
static void rollback_task_done(struct engine *e, struct task *t, enum step_state st, jv err);
static int in_scope(struct engine *e, int sc, int top);

static void node_item_done(struct engine *e, int n, int item, enum step_state st, jv err, jv result, jv outputs)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	int idx = item < 0 ? 0 : item;
	jv_free(s->results[idx]);
	jv_free(s->outputs[idx]);
	s->results[idx] = result;
	s->outputs[idx] = outputs;
	s->item_st[idx] = st;
	s->running--;
	s->ndone++;
	if (st == ST_FAILED) {
		s->nfailed++;
		if (!jv_is_valid(s->error) || jv_get_kind(s->error) == JV_KIND_NULL) {
			jv_free(s->error);
			s->error = jv_copy(err);
		}
	}
	if ((st == ST_SUCCEEDED || st == ST_DRY_RUN) && pn->step->nrollback > 0 && !s->replaying) {
		ALLOC_GROW(e->done_order, e->ndone + 2, e->adone);
		e->done_order[e->ndone++] = n;
		e->done_order[e->ndone++] = item;
	}
	if (item >= 0 && !s->replaying) {
		jv ev = ev_new(e, EV_ITEM_FINISHED, qid_of(e, n));
		ev = jv_object_set(ev, jv_string("item"), jv_number(item));
		ev = jv_object_set(ev, jv_string("value"), jv_array_get(jv_copy(s->items), item));
		ev = jv_object_set(ev, jv_string("status"), jv_string(step_state_name(st)));
		if (jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL)
			ev = jv_object_set(ev, jv_string("error"), jv_copy(err));
		ev = jv_object_set(ev, jv_string("outputs"), jv_copy(s->outputs[idx]));
		ev = jv_object_set(ev, jv_string("result"), jv_copy(s->results[idx]));
		/* for resume and reports: journal only (the display shows the item's calls) */
		journal_append(&e->jn, redact_jv(e->o->redact, ev), 1);
	}
	jv_free(err);
	if (item >= 0 && !s->nfailed && !e->aborting)
		start_items(e, n);
	if (s->running > 0)
		return;
	if (item >= 0 && s->next_item < s->nitems && !s->nfailed && !e->aborting)
		return;
	/* items that finish at once (uses, assert) finish the node inside start_items'
	 * recursion: the outer calls find it finished already */
	if (s->st != ST_RUNNING)
		return;
	enum step_state fin;
	if (s->nfailed || (item >= 0 && s->next_item < s->nitems))
		fin = ST_FAILED;
	else if (item < 0)
		fin = st;
	else {
		fin = ST_SUCCEEDED;
		for (int i = 0; i < s->nitems; i++)
			if (s->item_st[i] == ST_DRY_RUN)
				fin = ST_DRY_RUN;
	}
	if (fin == ST_FAILED && (!jv_is_valid(s->error) || jv_get_kind(s->error) == JV_KIND_NULL)) {
		jv_free(s->error);
		s->error = err_obj("aborted", "not every item ran (the run was aborted)");
	}
	if (fin == ST_DRY_RUN)
		s->unknown = 1;
	node_finish(e, n, fin);
}

static struct task *task_new(struct engine *e, int node, int scope, const struct rb_step *st, int item, jv item_v)
{
	struct task *t = xcalloc(1, sizeof(*t));
	t->node = node;
	t->scope = scope;
	t->step = st;
	t->item = item;
	t->item_v = item_v;
	t->args = jv_null();
	t->last_value = jv_null();
	t->rb_entry = -1;
	(void)e;
	return t;
}

static void start_items(struct engine *e, int n)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	int limit = pn->step->concurrency > 0 ? pn->step->concurrency : e->max_parallel;
	while (s->next_item < s->nitems && s->running < limit && !e->aborting && !s->nfailed) {
		int i = s->next_item++;
		if (s->item_st[i] == ST_SUCCEEDED) {   /* resume: done before the crash */
			s->running++;
			s->replaying = 1;
			node_item_done(e, n, i, ST_SUCCEEDED, jv_null(), jv_copy(s->results[i]), jv_copy(s->outputs[i]));
			s->replaying = 0;
			continue;
		}
		char q[1200];
		snprintf(q, sizeof(q), "%s[%d]", qid_of(e, n), i);
		struct task *t = task_new(e, n, pn->scope, pn->step, i, jv_array_get(jv_copy(s->items), i));
		t->qid = xstrdup(q);
		s->running++;
		task_start(e, t);
	}
}

/* whether scope sc is scope top or inside it */
static int in_scope(struct engine *e, int sc, int top)
{
	for (; sc >= 0; sc = e->p->scopes[sc].parent)
		if (sc == top)
			return 1;
	return 0;
}

/* prepare a `uses:` scope: its params from the uses step's `with:` in the parent */
static int scope_prepare(struct engine *e, int scope, jv *err)
{
	if (scope == 0 || e->scope_state[scope] != 0)
		return e->scope_state[scope];
	const struct plan_scope *ps = &e->p->scopes[scope];
	int parent_state = scope_prepare(e, ps->parent, err);
	if (parent_state != 1) {
		e->scope_state[scope] = parent_state;
		return parent_state;
	}
	const struct rb_step *us = e->p->nodes[ps->uses_node].step;
	jv c = ctx_for(e, ps->parent, jv_invalid(), jv_invalid());
	if (us->when >= 0) {
		jv w = exprset_eval1(e->set, us->when, jv_copy(c));
		if (!jv_is_valid(w)) {
			*err = err_from_invalid("expression", "when", w);
			jv_free(c);
			return e->scope_state[scope] = -1;
		}
		int go = jvx_truthy(w);
		jv_free(w);
		if (!go) {
			jv_free(c);
			return e->scope_state[scope] = 2;
		}
	}
	if (us->for_each >= 0) {
		/* the child runs once per item (uses_next_item), .item in its with: */
		if (!jv_is_valid(e->scope_items[scope])) {
			if (expr_unknown(e, ps->parent, us->for_each)) {
				jv_free(c);
				return e->scope_state[scope] = 2;
			}
			jv items = exprset_eval1(e->set, us->for_each, jv_copy(c));
			if (!jv_is_valid(items) || jv_get_kind(items) != JV_KIND_ARRAY) {
				*err = !jv_is_valid(items) ? err_from_invalid("expression", "for_each", items) :
					err_obj("for_each", "for_each of '%s' must give a list, not %s",
						qid_of(e, ps->uses_node), jvx_kind_name(items));
				if (jv_is_valid(items))
					jv_free(items);
				jv_free(c);
				return e->scope_state[scope] = -1;
			}
			if (jv_array_length(jv_copy(items)) == 0) {
				jv_free(items);
				jv_free(c);
				return e->scope_state[scope] = 2;
			}
			e->scope_items[scope] = items;
			e->scope_iter[scope] = 0;
			for (int k = ps->uses_node + 1; k < e->p->n && in_scope(e, e->p->nodes[k].scope, scope); k++)
				dqid_set(e, k);
		}
		jv item = jv_array_get(jv_copy(e->scope_items[scope]), e->scope_iter[scope]);
		c = jv_object_set(c, jv_string("item"), item);
	}
	jv raw = us->with ? tmpl_eval_dry(e, ps->parent, us->with, c) : jv_object();
	jv_free(c);
	if (!jv_is_valid(raw)) {
		*err = err_from_invalid("expression", "with", raw);
		return e->scope_state[scope] = -1;
	}
	struct diag_list dl = {0};
	jv params = params_resolve(ps->rb, raw, e->o->redact, &dl);
	if (!jv_is_valid(params)) {
		jv_free(params);
		struct buf b = BUF_INIT(1 << 16);
		for (int i = 0; i < dl.n; i++) {
			char *l = diag_format_line(&dl.items[i]);
			buf_addf(&b, "%s%s", i ? "; " : "", l);
			free(l);
		}
		*err = err_obj("params", "params of '%s': %s", us->uses, buf_str(&b));
		buf_release(&b);
		diag_list_release(&dl);
		return e->scope_state[scope] = -1;
	}
	diag_list_release(&dl);
	e->ctx[scope] = jv_object_set(e->ctx[scope], jv_string("params"), params);
	return e->scope_state[scope] = 1;
}

/* the child outputs of uses node n's scope cs for the item that just ran, or invalid */
static jv child_outputs(struct engine *e, int cs)
{
	const struct runbook *child = e->p->scopes[cs].rb;
	jv outs = jv_object();
	jv c = ctx_for(e, cs, jv_invalid(), jv_invalid());
	for (int i = 0; i < child->noutputs; i++) {
		jv v = exprset_eval1(e->set, child->outputs[i].expr, jv_copy(c));
		if (!jv_is_valid(v)) {
			jv_free(c);
			jv_free(outs);
			return v;
		}
		outs = jv_object_set(outs, jv_string(child->outputs[i].name), v);
	}
	jv_free(c);
	return outs;
}

/* what a node's state owns */
static void node_release(struct node_st *s)
{
	int m = s->nitems > 0 ? s->nitems : 1;
	if (s->results)
		for (int i = 0; i < m; i++) {
			jv_free(s->results[i]);
			jv_free(s->outputs[i]);
		}
	free(s->results);
	free(s->outputs);
	free(s->item_st);
	jv_free(s->items);
	jv_free(s->error);
	jv_free(s->extra);
}

static void node_reset(struct engine *e, int k)
{
	struct node_st *s = &e->ns[k];
	node_release(s);
	memset(s, 0, sizeof(*s));
	s->st = ST_PENDING;
	s->items = jv_invalid();
	s->error = jv_null();
	s->extra = jv_null();
}

/* For_each on `uses:` (n the uses node, ready: the child ran for the current item).
 * Records the child's outputs for the item; when items are left, keeps what the
 * rollback needs of the child's completed steps (rb_snap), resets the child's nodes,
 * moves to the next item and returns 1 (n waits again). 0: every item ran, n runs. */
static int uses_next_item(struct engine *e, int n)
{
	int cs = e->scope_of_uses[n];
	if (cs < 0 || !jv_is_valid(e->scope_items[cs]) || e->scope_state[cs] != 1)
		return 0;
	int nitems = jv_array_length(jv_copy(e->scope_items[cs]));
	if (jv_array_length(jv_copy(e->scope_outs[cs])) > e->scope_iter[cs])
		return 0;
	jv outs = child_outputs(e, cs);
	if (!jv_is_valid(outs)) {
		jv_free(outs);       /* uses_run evaluates it again and fails the step */
		return 0;
	}
	e->scope_outs[cs] = jv_array_append(e->scope_outs[cs], outs);
	if (e->scope_iter[cs] + 1 >= nitems)
		return 0;
	int last = n;
	while (last + 1 < e->p->n && in_scope(e, e->p->nodes[last + 1].scope, cs))
		last++;
	for (int k = 0; k < e->ndone; k += 2) {
		int dn = e->done_order[k];
		if (dn <= n || dn > last)
			continue;
		char key[32];
		snprintf(key, sizeof(key), "%d", k);
		jv have = jv_object_get(jv_copy(e->rb_snap), jv_string(key));
		int had = jv_is_valid(have);
		jv_free(have);
		if (had)
			continue;
		jv snap = jv_object(), r = jv_null(), o = jv_object();
		rb_undone(e, dn, e->done_order[k + 1], &r, &o);
		jv item = rb_item_value(e, dn, e->done_order[k + 1]);
		snap = jv_object_set(snap, jv_string("result"), r);
		snap = jv_object_set(snap, jv_string("outputs"), o);
		snap = jv_object_set(snap, jv_string("item"), jv_is_valid(item) ? item : (jv_free(item), jv_null()));
		snap = jv_object_set(snap, jv_string("ctx"), jv_copy(e->ctx[e->p->nodes[dn].scope]));
		snap = jv_object_set(snap, jv_string("qid"), jv_string(qid_of(e, dn)));
		e->rb_snap = jv_object_set(e->rb_snap, jv_string(key), snap);
	}
	e->scope_iter[cs]++;
	for (int sc = 0; sc < e->p->nscopes; sc++) {
		if (!in_scope(e, sc, cs))
			continue;
		e->scope_state[sc] = 0;
		e->ctx[sc] = jv_object_set(e->ctx[sc], jv_string("steps"), jv_object());
		if (sc != cs) {
			jv_free(e->scope_items[sc]);
			jv_free(e->scope_outs[sc]);
			e->scope_items[sc] = jv_invalid();
			e->scope_outs[sc] = jv_array();
			e->scope_iter[sc] = 0;
		}
	}
	for (int k = n + 1; k <= last; k++) {
		node_reset(e, k);
		dqid_set(e, k);
		ctx_update(e, k);
	}
	for (int k = n + 1; k <= last; k++) {
		const struct plan_node *pk = &e->p->nodes[k];
		for (int i = 0; i < pk->ndeps; i++)
			if (e->ns[pk->deps[i]].st == ST_PENDING)
				e->ns[k].deps_left++;
	}
	e->ns[n].deps_left = e->p->nodes[n].ndeps;
	for (int k = last; k > n; k--)
		if (e->ns[k].deps_left == 0)
			ready_push(e, k);
	return 1;
}

static void node_start(struct engine *e, int n)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	const struct rb_step *st = pn->step;
	jv err = jv_invalid();
	if (uses_next_item(e, n))
		return;
	s->st = ST_RUNNING;
	s->started = clock_now(e->clk);
	for (int i = 0; i < pn->ndeps; i++)
		if (e->ns[pn->deps[i]].unknown || e->ns[pn->deps[i]].unknown_anc)
			s->unknown_anc = 1;
	int ss = scope_prepare(e, pn->scope, &err);
	if (ss == 2 || ss == -1) {
		s->results = xcalloc(1, sizeof(jv));
		s->outputs = xcalloc(1, sizeof(jv));
		s->item_st = xcalloc(1, sizeof(*s->item_st));
		s->results[0] = jv_null();
		s->outputs[0] = jv_object();
		if (ss == 2) {
			jv_free(s->extra);
			s->extra = jv_string("the uses step is skipped");
			node_finish(e, n, ST_SKIPPED);
		} else {
			jv_free(s->error);
			s->error = err;
			node_finish(e, n, ST_FAILED);
		}
		return;
	}
	ctx_update(e, n);
	jv ev = ev_new(e, EV_STEP_STARTED, qid_of(e, n));
	ev = jv_object_set(ev, jv_string("kind"), jv_string(step_kind_name(st->kind)));
	if (st->name)
		ev = jv_object_set(ev, jv_string("name"), jv_string(st->name));
	if (st->kind == STEP_ACTION)
		ev = jv_object_set(ev, jv_string("action"), jv_string(st->action));
	ev = jv_object_set(ev, jv_string("attempts"), jv_number(st->retry.attempts > 0 ? st->retry.attempts : 1));
	/* an action's start reaches the disk with its first mutating call (invoke.c
	 * syncs it ahead of the call); until then losing it changes nothing */
	emit(e, ev, st->kind != STEP_ACTION);

	jv c = ctx_for(e, pn->scope, jv_invalid(), jv_invalid());
	int skip = 0;
	expr_deadline(st->timeout_ms ? st->timeout_ms : EXPR_NO_DEADLINE);   /* when, for_each */
	if (st->when >= 0 && !expr_unknown(e, pn->scope, st->when)) {
		jv w = exprset_eval1(e->set, st->when, jv_copy(c));
		if (!jv_is_valid(w)) {
			err = err_from_invalid("expression", "when", w);
			goto fail;
		}
		skip = !jvx_truthy(w);
		jv_free(w);
	}
	int nitems = 1;
	if (!skip && st->for_each >= 0) {
		if (expr_unknown(e, pn->scope, st->for_each)) {
			s->results = xcalloc(1, sizeof(jv));
			s->outputs = xcalloc(1, sizeof(jv));
			s->item_st = xcalloc(1, sizeof(*s->item_st));
			s->results[0] = jv_null();
			s->outputs[0] = jv_object();
			s->unknown = 1;
			jv_free(s->extra);
			s->extra = jv_object_set(jv_object(), jv_string("note"), jv_string("for_each over unknown values: not evaluated"));
			jv_free(c);
			node_finish(e, n, ST_DRY_RUN);
			return;
		}
		jv items = exprset_eval1(e->set, st->for_each, jv_copy(c));
		if (!jv_is_valid(items)) {
			err = err_from_invalid("expression", "for_each", items);
			goto fail;
		}
		if (jv_get_kind(items) != JV_KIND_ARRAY) {
			err = err_obj("for_each", "for_each of '%s' must give a list, not %s", pn->qid, jvx_kind_name(items));
			jv_free(items);
			goto fail;
		}
		jv_free(s->items);
		s->items = items;
		nitems = jv_array_length(jv_copy(items));
	}
	jv_free(c);
	c = jv_invalid();
	if (!s->results) {
		s->nitems = nitems;
		int m = nitems > 0 ? nitems : 1;
		s->results = xcalloc((size_t)m, sizeof(jv));
		s->outputs = xcalloc((size_t)m, sizeof(jv));
		s->item_st = xcalloc((size_t)m, sizeof(*s->item_st));
		for (int i = 0; i < m; i++) {
			s->results[i] = jv_null();
			s->outputs[i] = jv_null();
			s->item_st[i] = ST_PENDING;
		}
	}
	if (e->resumed && jv_is_valid(s->items)) {
		/* items that finished before the crash are not run again */
		jv done = jv_object_get(jv_copy(e->resume_items), jv_string(pn->qid));
		if (jv_get_kind(done) == JV_KIND_OBJECT) {
			jv_object_foreach(done, k, rec) {
				int i = atoi(jv_string_value(k));
				if (i >= 0 && i < s->nitems) {
					jv_free(s->results[i]);
					jv_free(s->outputs[i]);
					s->results[i] = jvx_get(rec, "result");
					s->outputs[i] = jvx_get(rec, "outputs");
					s->item_st[i] = ST_SUCCEEDED;
				}
				jv_free(k);
				jv_free(rec);
			}
		}
		jv_free(done);
	}
	if (skip) {
		jv_free(s->outputs[0]);
		s->outputs[0] = jv_object();
		jv_free(s->extra);
		s->extra = jv_string_fmt("when is false: %s", exprset_text(e->set, st->when));
		node_finish(e, n, ST_SKIPPED);
		return;
	}
	if (jv_is_valid(s->items)) {
		if (s->nitems == 0) {
			node_finish(e, n, ST_SUCCEEDED);
			return;
		}
		start_items(e, n);
		return;
	}
	struct task *t = task_new(e, n, pn->scope, st, -1, jv_invalid());
	t->qid = xstrdup(qid_of(e, n));
	s->running++;
	task_start(e, t);
	return;
fail:
	if (jv_is_valid(c))
		jv_free(c);
	if (!s->results) {
		s->results = xcalloc(1, sizeof(jv));
		s->outputs = xcalloc(1, sizeof(jv));
		s->item_st = xcalloc(1, sizeof(*s->item_st));
		s->results[0] = jv_null();
		s->outputs[0] = jv_null();
	}
	jv_free(s->error);
	s->error = err;
	node_finish(e, n, ST_FAILED);
}

/* ---------------------------------------------------------------- rollback */

static void finally_task_done(struct engine *e, struct task *t, enum step_state st, jv err, jv result, jv outputs);

static void task_finish(struct engine *e, struct task *t, enum step_state st, jv err, jv result, jv outputs)
{
	if (t->queued)
		slot_remove(e, t);
	task_unlink(e, t);
	if (t->step->kind == STEP_WAIT && !t->rb && t->polls > 0) {
		jv x = jv_object();
		x = jv_object_set(x, jv_string("polls"), jv_number(t->polls));
		if (st == ST_SUCCEEDED)
			x = jv_object_set(x, jv_string("detection_lag_ms"), jv_number((double)t->lag));
		x = jv_object_set(x, jv_string("waited_ms"), jv_number((double)(clock_now(e->clk) - t->started)));
		jv_free(e->ns[t->node].extra);
		e->ns[t->node].extra = x;
	}
	if (t->fin) {
		finally_task_done(e, t, st, err, result, outputs);
	} else if (t->rb) {
		jv_free(result);
		jv_free(outputs);
		rollback_task_done(e, t, st, err);
	} else {
		node_item_done(e, t->node, t->item, st, err, result, outputs);
	}
	task_free(t);
}

static void cancel_timers(struct engine *e, const char *why)
{
	struct task *t = e->tasks, *next;
	for (; t; t = next) {
		next = t->next;
		if (t->job)
			continue;
		if (t->wake_at || t->queued) {
			t->wake_at = 0;
			task_finish(e, t, ST_FAILED, err_obj("aborted", "%s", why), jv_null(), jv_null());
		}
	}
}

static void fail_run(struct engine *e, int outcome, jv reason)
{
	if (e->aborting) {
		jv_free(reason);
		return;
	}
	e->aborting = 1;
	e->outcome = outcome;
	if ((int)g_signals != e->sig_seen && outcome == EXIT_FAILED)
		e->outcome = EXIT_ABORTED;   /* failed by the operator's signal (an interrupted expression) */
	jv_free(e->fail_reason);
	e->fail_reason = reason;
	/* journal only, synced: a resume of a run killed between this decision and its
	 * rollback_started still rolls back (and with the same exit code) */
	if (e->jopen) {
		jv ev = ev_new(e, EV_RUN_FAILING, NULL);
		ev = jv_object_set(ev, jv_string("outcome"), jv_number(e->outcome));
		ev = jv_object_set(ev, jv_string("reason"), jv_copy(e->fail_reason));
		if (e->nsig > 0)
			ev = jv_object_set(ev, jv_string("operator"), jv_true());
		journal_append(&e->jn, redact_jv(e->o->redact, ev), 1);
	}
}

static void rollback_plan(struct engine *e)
{
	for (int k = e->ndone - 2; k >= 0; k -= 2) {
		int n = e->done_order[k], item = e->done_order[k + 1];
		const struct rb_step *st = e->p->nodes[n].step;
		for (int i = 0; i < st->nrollback; i++) {
			ALLOC_GROW(e->rbq, e->nrbq + 1, e->arbq);
			struct rb_entry *r = &e->rbq[e->nrbq++];
			r->node = n;
			r->item = item;
			r->index = i;
			r->pos = k;
			r->done = 0;
			r->bad = 0;
			if (e->resumed) {
				char key[1300];
				snprintf(key, sizeof(key), "%s#%d#%d", e->p->nodes[n].qid, item, i);
				jv d = jv_object_get(jv_copy(e->rb_done), jv_string(key));
				r->done = jv_is_valid(d) && jv_get_kind(d) == JV_KIND_TRUE;
				jv_free(d);
			}
		}
	}
}

static void rollback_start(struct engine *e)
{
	e->phase = PH_ROLLBACK;
	rollback_plan(e);
	jv ev = ev_new(e, EV_ROLLBACK_STARTED, NULL);
	ev = jv_object_set(ev, jv_string("reason"), jv_copy(e->fail_reason));
	/* the exit code a successful rollback ends with: resume reads it, not the reason */
	ev = jv_object_set(ev, jv_string("outcome"), jv_number(e->outcome ? e->outcome : EXIT_FAILED));
	jv steps = jv_array();
	for (int i = 0; i < e->nrbq; i++) {
		const struct plan_node *pn = &e->p->nodes[e->rbq[i].node];
		steps = jv_array_append(steps, jv_string(pn->qid));
	}
	ev = jv_object_set(ev, jv_string("steps"), steps);
	emit(e, ev, 1);
}

/* the value of item `item` of node n for its rollback steps (jv_invalid() without
 * for_each); after a resume it comes from the journal */
static jv rb_item_value(struct engine *e, int n, int item)
{
	const struct plan_node *pn = &e->p->nodes[n];
	struct node_st *s = &e->ns[n];
	jv v = item >= 0 && jv_is_valid(s->items) ? jv_array_get(jv_copy(s->items), item) : jv_invalid();
	if (item >= 0 && !jv_is_valid(v)) {
		/* resume: the item finished before the crash; its value is in the journal */
		char idx[32];
		snprintf(idx, sizeof(idx), "%d", item);
		jv done = jv_object_get(jv_copy(e->resume_items), jv_string(pn->qid));
		jv rec = jv_get_kind(done) == JV_KIND_OBJECT ? jv_object_get(done, jv_string(idx)) : (jv_free(done), jv_invalid());
		v = jv_is_valid(rec) ? jvx_get(rec, "value") : jv_invalid();
		jv_free(rec);
		if (!jv_is_valid(v)) {
			jv_free(v);
			v = jv_null();
		}
	}
	return v;
}

/* the result and outputs of what a rollback undoes: node n's (item's), taken from the
 * journal's item_finished after a resume; replaces *result and *outputs */
static void rb_undone(struct engine *e, int n, int item, jv *result, jv *outputs)
{
	struct node_st *s = &e->ns[n];
	jv r = jv_invalid(), o = jv_invalid();
	if (item >= 0 && s->results && item < s->nitems) {
		r = jv_copy(s->results[item]);
		o = jv_copy(s->outputs[item]);
	} else if (item >= 0) {
		char idx[32];
		snprintf(idx, sizeof(idx), "%d", item);
		jv done = jv_object_get(jv_copy(e->resume_items), jv_string(e->p->nodes[n].qid));
		jv rec = jv_get_kind(done) == JV_KIND_OBJECT ? jv_object_get(done, jv_string(idx)) : (jv_free(done), jv_invalid());
		if (jv_is_valid(rec)) {
			r = jvx_get(rec, "result");
			o = jvx_get(rec, "outputs");
		}
		jv_free(rec);
	} else if (s->results) {
		r = jv_copy(s->results[0]);
		o = jv_copy(s->outputs[0]);
	}
	if (!jv_is_valid(r) || jv_get_kind(r) == JV_KIND_INVALID) {
		jv_free(r);
		r = jv_null();
	}
	if (!jv_is_valid(o) || jv_get_kind(o) == JV_KIND_NULL) {
		jv_free(o);
		o = jv_object();
	}
	jv_free(*result);
	jv_free(*outputs);
	*result = r;
	*outputs = o;
}

static void rollback_next(struct engine *e)
{
	while (e->rbpos < e->nrbq && e->rbq[e->rbpos].done)
		e->rbpos++;
	if (e->rbpos >= e->nrbq)
		return;
	struct rb_entry *r = &e->rbq[e->rbpos++];
	const struct plan_node *pn = &e->p->nodes[r->node];
	const struct rb_step *st = &pn->step->rollback[r->index];
	char key[32];
	snprintf(key, sizeof(key), "%d", r->pos);
	jv snap = jv_object_get(jv_copy(e->rb_snap), jv_string(key));
	const char *owner = qid_of(e, r->node);
	jv item;
	if (jv_is_valid(snap)) {
		/* a step of a for_each uses: child, run for an earlier item */
		jv_free(e->rb_result);
		jv_free(e->rb_outputs);
		jv_free(e->rb_ctx);
		e->rb_result = jvx_get(snap, "result");
		e->rb_outputs = jvx_get(snap, "outputs");
		e->rb_ctx = jvx_get(snap, "ctx");
		item = jvx_get(snap, "item");
		if (jv_get_kind(item) == JV_KIND_NULL)
			item = (jv_free(item), jv_invalid());
		owner = jvx_str(snap, "qid");
	} else {
		item = rb_item_value(e, r->node, r->item);
		rb_undone(e, r->node, r->item, &e->rb_result, &e->rb_outputs);
	}
	struct task *t = task_new(e, r->node, pn->scope, st, r->item, item);
	char q[1400];
	if (r->item >= 0)
		snprintf(q, sizeof(q), "%s[%d].rollback.%d", owner, r->item, r->index + 1);
	else
		snprintf(q, sizeof(q), "%s.rollback.%d", owner, r->index + 1);
	t->qid = xstrdup(q);
	t->rb = 1;
	t->rb_entry = (int)(r - e->rbq);
	e->rb_scope = pn->scope;
	e->rb_unknown = e->ns[r->node].unknown;
	free(e->rb_owner);
	e->rb_owner = xstrdup(owner);
	e->rb_ran++;
	jv ev = ev_new(e, EV_ROLLBACK_STEP, owner);
	ev = jv_object_set(ev, jv_string("rollback_step"), jv_string(q));
	ev = jv_object_set(ev, jv_string("item"), jv_number(r->item));
	ev = jv_object_set(ev, jv_string("index"), jv_number(r->index));
	ev = jv_object_set(ev, jv_string("status"), jv_string("running"));
	emit(e, ev, 1);
	jv_free(snap);
	task_start(e, t);
}

static void rollback_task_done(struct engine *e, struct task *t, enum step_state st, jv err)
{
	struct rb_entry *r = &e->rbq[t->rb_entry];
	const struct plan_node *pn = &e->p->nodes[r->node];
	e->rb_scope = -1;
	jv_free(e->rb_ctx);
	e->rb_ctx = jv_invalid();
	jv ev = ev_new(e, EV_ROLLBACK_STEP, e->rb_owner ? e->rb_owner : pn->qid);
	ev = jv_object_set(ev, jv_string("rollback_step"), jv_string(t->qid));
	ev = jv_object_set(ev, jv_string("item"), jv_number(r->item));
	ev = jv_object_set(ev, jv_string("index"), jv_number(r->index));
	ev = jv_object_set(ev, jv_string("status"), jv_string(step_state_name(st)));
	if (st == ST_FAILED) {
		e->rb_failed++;
		for (int i = 0; i < e->nrbq; i++)
			if (e->rbq[i].node == r->node && e->rbq[i].item == r->item)
				e->rbq[i].bad = 1;
		ev = jv_object_set(ev, jv_string("error"), err);
	} else {
		jv_free(err);
	}
	emit(e, ev, 1);
	/* the owner is rolled back when its last rollback step succeeded */
	if (st != ST_FAILED && r->index == pn->step->nrollback - 1 && !r->bad) {
		if (e->ns[r->node].st != ST_FAILED) {
			e->ns[r->node].st = ST_ROLLED_BACK;
			ctx_update(e, r->node);
		}
	}
}

/* ---------------------------------------------------------------- finally */

/* the context entry of a finally step (the top scope's .steps.ID) */
static void finally_ctx(struct engine *e, struct task *t, enum step_state st, jv result, jv outputs)
{
	char a[40], b[40];
	jv o = jv_object();
	o = jv_object_set(o, jv_string("status"), jv_string(step_state_name(st)));
	o = jv_object_set(o, jv_string("outputs"), outputs);
	o = jv_object_set(o, jv_string("result"), result);
	o = jv_object_set(o, jv_string("started_at"), jv_string(time_str(t->started, a, sizeof(a))));
	o = jv_object_set(o, jv_string("finished_at"), st == ST_RUNNING ? jv_null() :
			  jv_string(time_str(clock_now(e->clk), b, sizeof(b))));
	jv steps = jv_object_get(jv_copy(e->ctx[0]), jv_string("steps"));
	e->ctx[0] = jv_object_set(e->ctx[0], jv_string("steps"), jv_null());
	steps = jv_object_set(steps, jv_string(t->step->id), o);
	e->ctx[0] = jv_object_set(e->ctx[0], jv_string("steps"), steps);
}

static void finally_next(struct engine *e)
{
	const struct rb_step *st = &e->p->rb->finally[e->fpos++];
	struct task *t = task_new(e, -1, 0, st, -1, jv_invalid());
	t->qid = xstrdup(st->id);
	t->rb = 1;
	t->fin = 1;
	t->started = clock_now(e->clk);
	finally_ctx(e, t, ST_RUNNING, jv_null(), jv_object());
	jv ev = ev_new(e, EV_STEP_STARTED, t->qid);
	ev = jv_object_set(ev, jv_string("kind"), jv_string(step_kind_name(st->kind)));
	if (st->name)
		ev = jv_object_set(ev, jv_string("name"), jv_string(st->name));
	if (st->kind == STEP_ACTION)
		ev = jv_object_set(ev, jv_string("action"), jv_string(st->action));
	ev = jv_object_set(ev, jv_string("attempts"), jv_number(st->retry.attempts > 0 ? st->retry.attempts : 1));
	ev = jv_object_set(ev, jv_string("finally"), jv_true());
	emit(e, ev, 1);
	task_start(e, t);
}

static void finally_task_done(struct engine *e, struct task *t, enum step_state st, jv err, jv result, jv outputs)
{
	if (!jv_is_valid(result))
		result = (jv_free(result), jv_null());
	if (!jv_is_valid(outputs) || jv_get_kind(outputs) == JV_KIND_NULL)
		outputs = (jv_free(outputs), jv_object());
	finally_ctx(e, t, st, jv_copy(result), jv_copy(outputs));
	jv ev = ev_new(e, EV_STEP_FINISHED, t->qid);
	ev = jv_object_set(ev, jv_string("status"), jv_string(step_state_name(st)));
	ev = jv_object_set(ev, jv_string("kind"), jv_string(step_kind_name(t->step->kind)));
	ev = jv_object_set(ev, jv_string("duration_ms"), jv_number((double)(clock_now(e->clk) - t->started)));
	ev = jv_object_set(ev, jv_string("finally"), jv_true());
	if (st == ST_FAILED) {
		if (jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL)
			ev = jv_object_set(ev, jv_string("error"), jv_copy(err));
		e->fin_failed = jv_array_append(e->fin_failed, jv_string(t->qid));
	}
	ev = jv_object_set(ev, jv_string("outputs"), outputs);
	ev = jv_object_set(ev, jv_string("result"), result);
	emit(e, ev, 1);
	jv_free(err);
}

/* the run has ended (rc) and any rollback finished: .run.status and .run.error for
 * the finally steps */
static void finally_start(struct engine *e, int rc)
{
	const char *status = rc == EXIT_OK ? "succeeded" : rc == EXIT_ABORTED ? "aborted" : "failed";
	jv err = rc == EXIT_OK ? jv_null() : jv_copy(e->fail_reason);
	if (rc != EXIT_OK && rc != EXIT_ABORTED && rc != EXIT_FAILED && jv_get_kind(err) == JV_KIND_STRING)
		err = jv_string_fmt("%s (rollback incomplete)", (jv_free(err), jv_string_value(e->fail_reason)));
	jv run = jv_object_get(jv_copy(e->ctx[0]), jv_string("run"));
	run = jv_object_set(run, jv_string("status"), jv_string(status));
	run = jv_object_set(run, jv_string("error"), err);
	e->ctx[0] = jv_object_set(e->ctx[0], jv_string("run"), run);
	e->phase = PH_FINALLY;
	e->fpos = 0;
}

/* ---------------------------------------------------------------- the loop */


static int loop_ready(void *arg)
{
	struct engine *e = arg;
	return atomic_load(&e->pool.nmsg) > 0 || (int)g_signals != e->sig_seen;
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* an action's log line, on the engine thread (borrows text) */
void engine_job_log(struct engine *e, const char *step, enum log_level level, const char *text)
{
	jv ev = ev_new(e, EV_LOG, step);
	ev = jv_object_set(ev, jv_string("level"), jv_string(level_names[level <= LOG_ERROR ? level : LOG_INFO]));
	ev = jv_object_set(ev, jv_string("message"), jv_string(text));
	if (level == LOG_DEBUG)         /* journal only: too chatty for the terminal */
		journal_append(&e->jn, redact_jv(e->o->redact, ev), 0);
	else
		emit(e, ev, 0);
}

static void handle_msg(struct engine *e, struct msg *m)
{
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
	expr_deadline_of(e, t);
	if (e->stop_now) {
		/* stopped at once: the result is dropped, the step stays "running" in the
		 * journal and resume decides what to do with it */
		task_unlink(e, t);
		task_free(t);
	} else if (t->step->kind == STEP_WAIT) {
		wait_result(e, t, j);
	} else {
		action_result(e, t, j);
	}
	job_free(j);
	clock_release(e->clk);
	if (!e->stop_now)
		slot_freed(e);
}

static const char *sig_name(int sig)
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
	int g = (int)g_signals;
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
			e->stop_sig = (int)g_last_sig;
			for (struct task *t = e->tasks; t; t = t->next) {
				if (t->job)
					t->job->cancel = 1;
				e->stopped_running = jv_array_append(e->stopped_running, jv_string(t->qid));
			}
			jv ev = ev_new(e, EV_LOG, NULL);
			ev = jv_object_set(ev, jv_string("level"), jv_string("warn"));
			ev = jv_object_set(ev, jv_string("message"), jv_string_fmt("%s: stopping now; the run can be resumed",
				e->stop_sig == SIGINT ? "Ctrl-C again" : sig_name(e->stop_sig)));
			emit(e, ev, 1);
		}
		return;
	}
	if (e->phase == PH_FINALLY) {
		/* the run has ended: Ctrl-C skips what is left of finally */
		for (struct task *t = e->tasks; t; t = t->next)
			if (t->job)
				t->job->cancel = 1;
		e->fpos = e->p->rb->nfinally;
		jv ev = ev_new(e, EV_LOG, NULL);
		ev = jv_object_set(ev, jv_string("level"), jv_string("warn"));
		ev = jv_object_set(ev, jv_string("message"), jv_string("interrupted: the remaining finally steps are skipped"));
		emit(e, ev, 1);
		return;
	}
	if (e->aborting) {
		jv ev = ev_new(e, EV_LOG, NULL);
		ev = jv_object_set(ev, jv_string("level"), jv_string("warn"));
		ev = jv_object_set(ev, jv_string("message"), jv_string(e->phase == PH_ROLLBACK ?
			"rolling back; Ctrl-C again stops at once (the run stays resumable)" :
			"already stopping; Ctrl-C again stops at once (the run stays resumable)"));
		emit(e, ev, 0);
	} else {
		fail_run(e, EXIT_ABORTED, jv_string("interrupted by the operator"));
		jv ev = ev_new(e, EV_LOG, NULL);
		ev = jv_object_set(ev, jv_string("level"), jv_string("warn"));
		ev = jv_object_set(ev, jv_string("message"), jv_string(
			"interrupted: letting running steps finish, then rolling back (Ctrl-C again stops at once)"));
		emit(e, ev, 1);
	}
}

static void check_deadlines(struct engine *e, int64_t now)
{
	struct task *t, *next;
	if (e->phase == PH_RUN && e->run_deadline && now >= e->run_deadline && !e->run_timed_out) {
		char d[64];
		e->run_timed_out = 1;
		dur_format(e->run_deadline - e->run_started, d, sizeof(d));
		fail_run(e, EXIT_FAILED, jv_string_fmt("the run timed out after %s", d));
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
			task_finish(e, t, ST_FAILED, timeout_error(e, t), jv_null(), jv_null());
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
			task_finish(e, t, ST_FAILED, err_obj("aborted", "not retried: the run is aborting"), jv_null(), jv_null());
			continue;
		}
		submit(e, t, JOB_RUN);
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

static void run_loop(struct engine *e)
{
	for (;;) {
		struct msg *m;
		while ((m = pool_take(&e->pool)))
			handle_msg(e, m);
		expr_deadline(EXPR_NO_DEADLINE);   /* task_start() and handle_msg() set theirs */
		handle_signals(e);
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
				cancel_timers(e, "not retried: the run is aborting");
			while (!e->aborting && e->nready > 0)
				node_start(e, e->ready[--e->nready]);
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
				rollback_start(e);
			}
		}
		if (e->phase == PH_FINALLY && !e->tasks) {
			if (e->fpos >= e->p->rb->nfinally) {
				e->phase = PH_END;
				break;
			}
			finally_next(e);
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
			rollback_next(e);
			continue;
		}
		clock_wait(e->clk, next_deadline(e), loop_ready, e);
	}
}

/* ---------------------------------------------------------------- set-up */

static struct engine *engine_new(const struct plan *p, const struct engine_opts *o)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	e->p = p;
	e->o = o;
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
	e->sig_seen = (int)g_signals;
	srandom((unsigned)getpid() ^ (unsigned)clock_now(e->clk));
	return e;
}

static void engine_init_ctx(struct engine *e)
{
	char ts[40];
	jv run = jv_object();
	run = jv_object_set(run, jv_string("id"), jv_string(e->run_id));
	run = jv_object_set(run, jv_string("started_at"), jv_string(time_str(e->run_started, ts, sizeof(ts))));
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
		ctx_update(e, i);
	if (e->p->rb->timeout_ms > 0)
		e->run_deadline = e->run_started + e->p->rb->timeout_ms;
}

static void engine_free(struct engine *e)
{
	for (int i = 0; i < e->p->n; i++)
		node_release(&e->ns[i]);
	while (e->tasks) {
		struct task *t = e->tasks;
		task_unlink(e, t);
		task_free(t);
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
	free(e->run_id);
	free(e->run_dir);
	free(e);
}

static const char *outcome_status(int rc, struct engine *e)
{
	if (e->stop_now)
		return "interrupted";
	switch (rc) {
	case EXIT_OK: return "succeeded";
	case EXIT_FAILED: return "failed";
	case EXIT_ABORTED: return "aborted";
	case EXIT_ROLLBACK_FAILED: return "rollback_failed";
	default: return "failed";
	}
}

/* the top runbook's `outputs:` over the final context: {NAME: value}; one that cannot
 * be evaluated (a failed run's missing step) is null, its error in *errs ({NAME: text});
 * jv_invalid() when the runbook declares none */
static jv run_outputs(struct engine *e, jv *errs_out)
{
	const struct runbook *rb = e->p->rb;
	if (rb->noutputs == 0)
		return jv_invalid();
	jv outs = jv_object(), errs = jv_object();
	jv c = ctx_for(e, 0, jv_invalid(), jv_invalid());
	for (int i = 0; i < rb->noutputs; i++) {
		jv v;
		if (expr_unknown(e, 0, rb->outputs[i].expr))
			v = jv_string(UNKNOWN_TEXT);
		else
			v = exprset_eval1(e->set, rb->outputs[i].expr, jv_copy(c));
		if (!jv_is_valid(v)) {
			char *m = invalid_msg(v);
			errs = jv_object_set(errs, jv_string(rb->outputs[i].name), jv_string(m));
			free(m);
			v = jv_null();
		}
		outs = jv_object_set(outs, jv_string(rb->outputs[i].name), v);
	}
	jv_free(c);
	jv_free(*errs_out);
	*errs_out = errs;
	return outs;
}

/* an objective's instant: an RFC 3339 string or a number of epoch seconds. 0, or -1
 * with *why set (static) */
static int objective_instant(jv v, int64_t *ms, const char **why)
{
	int rc = -1;
	*why = "is not a time (an RFC 3339 string or a number of epoch seconds)";
	if (jv_get_kind(v) == JV_KIND_STRING)
		rc = ts_parse(jv_string_value(v), ms) < 0 ? -1 : 0;
	else if (jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= 0 && jv_number_value(v) < 1e12) {
		*ms = (int64_t)(jv_number_value(v) * 1000.0 + 0.5);
		rc = 0;
	} else if (jv_get_kind(v) == JV_KIND_NULL)
		*why = "is null";
	jv_free(v);
	return rc;
}

/* evaluate one of recovery_point / incident_time into o[name] (RFC 3339) and *ms;
 * 0, or -1 with errs[name] set */
static int objective_time(struct engine *e, jv c, int expr, const char *name, jv *o, jv *errs, int64_t *ms)
{
	char ts[40];
	const char *why;
	*o = jv_object_set(*o, jv_string(name), jv_null());
	if (expr < 0) {
		*errs = jv_object_set(*errs, jv_string(name), jv_string_fmt("the objectives declare no %s", name));
		return -1;
	}
	jv v = exprset_eval1(e->set, expr, jv_copy(c));
	if (!jv_is_valid(v)) {
		char *m = invalid_msg(v);
		*errs = jv_object_set(*errs, jv_string(name), jv_string(m));
		free(m);
		return -1;
	}
	jv shown = jv_dump_string(jv_copy(v), 0);
	if (objective_instant(v, ms, &why) < 0) {
		*errs = jv_object_set(*errs, jv_string(name), jv_string_fmt("%.200s %s", jv_string_value(shown), why));
		jv_free(shown);
		return -1;
	}
	jv_free(shown);
	*o = jv_object_set(*o, jv_string(name), jv_string(time_str(*ms, ts, sizeof(ts))));
	return 0;
}

/* met: achieved within the objective; null when either is unknown */
static jv objective_met(jv o, int64_t objective, int has, int64_t achieved, int measured)
{
	o = jv_object_set(o, jv_string("objective_ms"), has ? jv_number((double)objective) : jv_null());
	o = jv_object_set(o, jv_string("achieved_ms"), measured ? jv_number((double)achieved) : jv_null());
	return jv_object_set(o, jv_string("met"), has && measured ? jv_bool(achieved <= objective) : jv_null());
}

/* The top runbook's `objectives:` measured on the final context (run_finished's
 * "objectives"; runbook-events(5) says the shape): RTO from the run's start to the end
 * of step `restored` (or of the run, end_ms), RPO = incident_time - recovery_point.
 * What cannot be measured is null, with why in "errors". jv_invalid() when the runbook
 * declares no objectives or the run is a dry run (nothing was restored). */
static jv run_objectives(struct engine *e, int rc, int64_t end_ms)
{
	const struct rb_objectives *ob = &e->p->rb->objectives;
	if (!ob->declared || e->o->dry_run)
		return jv_invalid();
	jv errs = jv_object(), rto = jv_object(), rpo = jv_object();
	int64_t achieved = 0, rp = 0, it = 0;
	int measured = 0;
	/* RTO */
	rto = jv_object_set(rto, jv_string("restored"), ob->restored ? jv_string(ob->restored) : jv_null());
	if (ob->restored) {
		int n = plan_find(e->p, ob->restored);
		if (n >= 0 && (e->ns[n].st == ST_SUCCEEDED || e->ns[n].st == ST_SKIPPED) && e->ns[n].finished) {
			achieved = e->ns[n].finished - e->run_started;
			measured = 1;
		} else {
			errs = jv_object_set(errs, jv_string("restored"), jv_string_fmt("step '%s' %s", ob->restored,
				n < 0 ? "is not in the plan" : e->ns[n].st == ST_PENDING ? "never ran" :
				"did not succeed"));
		}
	} else if (rc == EXIT_OK) {
		achieved = end_ms - e->run_started;
		measured = 1;
	} else {
		errs = jv_object_set(errs, jv_string("rto"), jv_string("the run did not succeed (and the "
			"objectives name no 'restored' step)"));
	}
	rto = objective_met(rto, ob->rto_ms, (ob->has & OBJ_RTO) != 0, achieved, measured);
	/* RPO */
	jv c = ctx_for(e, 0, jv_invalid(), jv_invalid());
	int have = (ob->recovery_point >= 0 || ob->incident_time >= 0 || (ob->has & OBJ_RPO));
	measured = 0;
	if (have) {
		int a = objective_time(e, c, ob->recovery_point, "recovery_point", &rpo, &errs, &rp);
		int b = objective_time(e, c, ob->incident_time, "incident_time", &rpo, &errs, &it);
		if (a == 0 && b == 0 && it < rp)
			errs = jv_object_set(errs, jv_string("rpo"), jv_string("recovery_point is after incident_time"));
		else if (a == 0 && b == 0)
			measured = 1;
	} else {
		rpo = jv_object_set(rpo, jv_string("recovery_point"), jv_null());
		rpo = jv_object_set(rpo, jv_string("incident_time"), jv_null());
	}
	jv_free(c);
	rpo = objective_met(rpo, ob->rpo_ms, (ob->has & OBJ_RPO) != 0, it - rp, measured);
	/* the whole: missed if one is missed, unknown if one with a target is unknown */
	jv met = jv_invalid();
	jv parts[2] = { rto, rpo };
	int judged = 0, missed = 0, unknown = 0;
	static const unsigned bits[2] = { OBJ_RTO, OBJ_RPO };
	for (int i = 0; i < 2; i++) {
		if (!(ob->has & bits[i]))
			continue;
		judged++;
		jv m = jv_object_get(jv_copy(parts[i]), jv_string("met"));
		missed |= jv_get_kind(m) == JV_KIND_FALSE;
		unknown |= jv_get_kind(m) == JV_KIND_NULL;
		jv_free(m);
	}
	met = missed ? jv_false() : unknown || !judged ? jv_null() : jv_true();
	if (!judged)
		errs = jv_object_set(errs, jv_string("objectives"), jv_string("no 'rto' or 'rpo' target to measure against"));
	jv o = jv_object();
	o = jv_object_set(o, jv_string("rto"), rto);
	o = jv_object_set(o, jv_string("rpo"), rpo);
	o = jv_object_set(o, jv_string("met"), met);
	o = jv_object_set(o, jv_string("errors"), errs);
	return o;
}

/* run the loop on a prepared engine; returns the exit code */
static int engine_exec(struct engine *e)
{
	int rc;
	clock_hold(e->clk);                   /* the engine thread's token */
	if (pool_start(&e->pool, e, e->max_parallel) < 0) {
		clock_release(e->clk);
		return EXIT_FAILED;
	}
	for (int i = e->p->n - 1; i >= 0; i--)
		if (e->ns[i].st == ST_PENDING && e->ns[i].deps_left == 0)
			ready_push(e, i);
	run_loop(e);
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
	jv outputs = e->stop_now ? jv_invalid() : run_outputs(e, &out_errs);
	jv objectives = e->stop_now ? jv_invalid() : run_objectives(e, rc, clock_now(e->clk));
	if (!e->stop_now && e->p->rb->nfinally > 0) {
		finally_start(e, rc);
		run_loop(e);
	}
	clock_release(e->clk);
	pool_stop(&e->pool);
	int64_t now = clock_now(e->clk);
	jv ev = ev_new(e, e->stop_now ? EV_RUN_INTERRUPTED : EV_RUN_FINISHED, NULL);
	ev = jv_object_set(ev, jv_string("status"), jv_string(outcome_status(rc, e)));
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
		ev = jv_object_set(ev, jv_string("signal"), jv_string(sig_name(e->stop_sig)));
		ev = jv_object_set(ev, jv_string("running"), jv_copy(e->stopped_running));
		ev = redact_jv(e->o->redact, ev);
		journal_append(&e->jn, jv_copy(ev), 1);
		ev = jv_object_set(ev, jv_string("event"), jv_string(ev_kind_name(EV_RUN_FINISHED)));
		ev = jv_object_set(ev, jv_string("error"), jv_string_fmt("stopped at once by %s; 'runbook resume' continues the run",
			e->stop_sig == SIGINT ? "the operator (Ctrl-C twice)" : sig_name(e->stop_sig)));
		if (e->o->sink.event)
			e->o->sink.event(e->o->sink.arg, ev);
		else
			jv_free(ev);
	} else {
		emit(e, ev, 1);
	}
	return rc;
}

jv engine_steps_list(const struct plan *p)
{
	jv a = jv_array();
	for (int k = 0; k < p->n; k++) {
		const struct plan_node *pn = &p->nodes[p->order[k]];
		int per_item = 0;
		/* under a for_each uses: the steps show once per item, as ID[i].STEP */
		for (int sc = pn->scope; sc > 0 && !per_item; sc = p->scopes[sc].parent)
			per_item = p->nodes[p->scopes[sc].uses_node].step->for_each >= 0;
		if (per_item)
			continue;
		jv s = jv_object();
		s = jv_object_set(s, jv_string("id"), jv_string(pn->qid));
		if (pn->step->name)
			s = jv_object_set(s, jv_string("name"), jv_string(pn->step->name));
		s = jv_object_set(s, jv_string("kind"), jv_string(step_kind_name(pn->step->kind)));
		a = jv_array_append(a, s);
	}
	return a;
}

static int write_jv(const char *dir, const char *name, jv v, struct redactor *r)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	jv text = jv_dump_string(redact_jv(r, v), JV_PRINT_PRETTY | JV_PRINT_SPACE1);
	int rc = fs_write(path, jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)), 0600);
	jv_free(text);
	return rc;
}

/* params without the secret ones (they are never written) */
static jv params_public(const struct runbook *rb, jv params)
{
	jv out = jv_is_valid(params) && jv_get_kind(params) == JV_KIND_OBJECT ? jv_copy(params) : jv_object();
	for (int i = 0; i < rb->nparams; i++)
		if (rb->params[i].flags & PARAM_SECRET)
			out = jv_object_delete(out, jv_string(rb->params[i].name));
	return out;
}

/* ---- literal secrets of a runbook's connections (conninfo passwords, Redis
 * passwords, tokens): tainted before anything is written, so the copies of the
 * runbook kept in the run folder, the journal and the display mask them */

static const char *const secret_keys[] = {
	"password", "passwd", "auth", "token", "secret_access_key", "aws_secret_access_key",
	"session_token", "aws_session_token", "client_key_data", "api_key", NULL,
};

static int is_secret_key(const char *key)
{
	for (int i = 0; key && secret_keys[i]; i++)
		if (!strcasecmp(key, secret_keys[i]))
			return 1;
	return 0;
}

/* password=VALUE (libpq keyword form, quoted or not) and scheme://user:PASSWORD@ */
static void taint_conn_text(struct redactor *r, const char *s)
{
	for (const char *p = s; (p = strstr(p, "password")); p += 8) {
		const char *v = p + 8;
		while (*v == ' ')
			v++;
		if (*v != '=')
			continue;
		v++;
		while (*v == ' ')
			v++;
		struct buf b = BUF_INIT(4096);
		if (*v == '\'') {
			for (v++; *v && *v != '\''; v++) {
				if (*v == '\\' && v[1])
					v++;
				if (buf_add(&b, v, 1) < 0)
					break;
			}
		} else {
			size_t n = strcspn(v, " \t\n&");
			if (buf_add(&b, v, n) < 0)
				b.len = 0;
		}
		if (b.len)
			redact_add(r, buf_str(&b));
		buf_release(&b);
	}
	const char *sch = strstr(s, "://");
	if (sch) {
		const char *u = sch + 3, *end = u + strcspn(u, "/?# \t");
		const char *at = memchr(u, '@', (size_t)(end - u));
		const char *colon = at ? memchr(u, ':', (size_t)(at - u)) : NULL;
		if (colon && at - colon > 1) {
			char *pw = xmalloc((size_t)(at - colon));
			memcpy(pw, colon + 1, (size_t)(at - colon - 1));
			pw[at - colon - 1] = '\0';
			redact_add(r, pw);
			free(pw);
		}
	}
}

static void taint_literal_jv(struct redactor *r, jv v, const char *key)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		if (is_secret_key(key))
			redact_add(r, jv_string_value(v));
		else
			taint_conn_text(r, jv_string_value(v));
		break;
	case JV_KIND_ARRAY:
		jv_array_foreach(v, i, x) {
			taint_literal_jv(r, x, key);
			jv_free(x);
			(void)i;
		}
		break;
	case JV_KIND_OBJECT:
		jv_object_foreach(v, k, x) {
			taint_literal_jv(r, x, jv_string_value(k));
			jv_free(k);
			jv_free(x);
		}
		break;
	default:
		break;
	}
	jv_free(v);
}

static void taint_literal_tmpl(struct redactor *r, const struct tmpl *t, const char *key)
{
	if (!t)
		return;
	switch (t->kind) {
	case TMPL_CONST:
		taint_literal_jv(r, jv_copy(t->value), key);
		break;
	case TMPL_INTERP:
		for (int i = 0; i < t->nparts; i++)
			if (t->parts[i].text)
				taint_conn_text(r, t->parts[i].text);
		break;
	case TMPL_LIST:
	case TMPL_MAP:
		for (int i = 0; i < t->n; i++)
			taint_literal_tmpl(r, t->items[i], t->kind == TMPL_MAP ? t->keys[i] : key);
		break;
	default:
		break;
	}
}

/* a copy of a runbook file as it may be kept: secrets masked; *masked set if any was */
static char *source_redacted(struct engine *e, const struct source *src, int *masked)
{
	char *plain = xmalloc(src->len + 1);
	memcpy(plain, src->text, src->len);
	plain[src->len] = '\0';
	char *red = redact_str(e->o->redact, plain);
	if (strlen(plain) != src->len || strcmp(red, plain))
		*masked = 1;
	free(plain);
	return red;
}

/* the tape's header (tape.h): params with every secret, placeholders once written */
static jv tape_header_of(struct engine *e, const struct plan *p)
{
	char ts[40];
	char *abs = p->rb->path ? realpath(p->rb->path, NULL) : NULL;
	jv h = jv_object();
	h = jv_object_set(h, jv_string("runbook"), jv_string(p->rb->name ? p->rb->name : ""));
	h = jv_object_set(h, jv_string("path"), jv_string(abs ? abs : (p->rb->path ? p->rb->path : "")));
	h = jv_object_set(h, jv_string("sha256"), e->src_sha256[0] ? jv_string(e->src_sha256) : jv_null());
	h = jv_object_set(h, jv_string("params"), jv_get_kind(e->o->params) == JV_KIND_OBJECT ?
			  jv_copy(e->o->params) : jv_object());
	h = jv_object_set(h, jv_string("run_id"), jv_string(e->run_id));
	h = jv_object_set(h, jv_string("clock"), jv_string(clock_kind(e->clk) == CLOCK_REAL ? "real" : "virtual"));
	h = jv_object_set(h, jv_string("started"), jv_string(clock_format(e->run_started, ts, sizeof(ts))));
	h = jv_object_set(h, jv_string("rehearsal"), jv_bool(e->o->rehearsal));
	h = jv_object_set(h, jv_string("versions"), tape_versions());
	h = jv_object_set(h, jv_string("steps"), engine_steps_list(p));
	free(abs);
	return h;
}

static int run_dir_setup(struct engine *e, jv *err)
{
	char path[4096];
	const char *sd = e->o->state_dir ? e->o->state_dir : ".runbook";
	/* before anything is created: a run must not start without its recording, and a
	 * tape holds one run */
	if (e->o->record_path && tape_check(e->o->record_path, NULL, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/runs", sd);
	if (fs_mkdir_p(path, 0700) < 0) {
		*err = jv_string_fmt("cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	/* a new directory per run: never append to another run's journal. It is built
	 * as runs/.ID.tmp and renamed once run_started is on disk, so a run killed while
	 * starting leaves nothing that history or resume would take for a run */
	for (int tries = 0;; tries++) {
		char final[4096];
		snprintf(final, sizeof(final), "%s/runs/%s", sd, e->run_id);
		snprintf(path, sizeof(path), "%s/runs/.%s.tmp", sd, e->run_id);
		if (access(final, F_OK) != 0 && mkdir(path, 0700) == 0)
			break;
		if (errno == ENOENT)
			errno = EEXIST;
		if (errno != EEXIST || tries == 20) {
			*err = jv_string_fmt("cannot create run directory '%s': %s", path, strerror(errno));
			return -1;
		}
		free(e->run_id);
		e->run_id = run_id_new(clock_now(e->clk));
	}
	e->run_dir = xstrdup(path);
	write_jv(path, "plan.json", plan_to_json(e->p), e->o->redact);
	write_jv(path, "params.json", params_public(e->p->rb, e->o->params), e->o->redact);
	/* copies of every runbook file, so resume can reload what ran; with the literal
	 * secrets of connections masked (resume then needs the unchanged original, which
	 * it recognises by the sha256 in run_started) */
	const struct source_list *sl = &e->p->loader->sources;
	for (int s = 0; s < e->p->nscopes; s++)
		taint_literal_tmpl(e->o->redact, e->p->scopes[s].rb->connections, NULL);
	snprintf(path, sizeof(path), "%s/sources", e->run_dir);
	fs_mkdir_p(path, 0700);
	for (int i = 0; i < sl->n; i++) {
		const struct source *src = sl->items[i];
		const char *base = strrchr(src->path, '/');
		int masked = 0;
		base = base ? base + 1 : src->path;
		char *text = source_redacted(e, src, &masked);
		snprintf(path, sizeof(path), "%s/sources/%d-%s", e->run_dir, i, base);
		fs_write(path, text, strlen(text), 0600);
		if (e->p->rb->path && !strcmp(src->path, e->p->rb->path)) {
			snprintf(path, sizeof(path), "%s/runbook.yaml", e->run_dir);
			fs_write(path, text, strlen(text), 0600);
			sha256_hex(src->text, src->len, e->src_sha256);
			e->copy_masked = masked;
		}
		free(text);
	}
	if (journal_open(&e->jn, e->run_dir, e->o->record_path, e->o->redact) < 0) {
		if (e->jn.fd >= 0 && e->o->record_path)
			*err = jv_string_fmt("cannot open the recording '%s': %s", e->o->record_path, strerror(errno));
		else
			*err = jv_string_fmt("cannot open the journal in '%s': %s", e->run_dir, strerror(errno));
		if (e->jn.fd >= 0)
			journal_close(&e->jn);
		return -1;
	}
	e->jopen = 1;
	journal_tape_header(&e->jn, tape_header_of(e, e->p), e->run_started);
	return 0;
}

static void emit_setup_error(struct engine *e, jv msg)
{
	if (e->o->diags) {
		/* for stderr: nothing ran, nothing goes to the event stream */
		diag_error(e->o->diags, NULL, "%s", jv_string_value(msg));
		jv_free(msg);
		return;
	}
	jv ev = ev_new(e, EV_RUN_FINISHED, NULL);
	ev = jv_object_set(ev, jv_string("status"), jv_string("failed"));
	ev = jv_object_set(ev, jv_string("exit_code"), jv_number(EXIT_INVALID));
	ev = jv_object_set(ev, jv_string("error"), msg);
	emit(e, ev, 0);
}

int engine_run(const struct plan *p, const struct engine_opts *o, char **run_id)
{
	struct engine *e = engine_new(p, o);
	jv err = jv_invalid();
	int rc;
	e->run_started = clock_now(e->clk);
	e->run_id = run_id_new(e->run_started);
	if (run_dir_setup(e, &err) < 0) {
		emit_setup_error(e, err);
		engine_free(e);
		return EXIT_INVALID;
	}
	if (run_id)
		*run_id = xstrdup(e->run_id);
	engine_init_ctx(e);
	char *abs = p->rb->path ? realpath(p->rb->path, NULL) : NULL;
	jv ev = ev_new(e, EV_RUN_STARTED, NULL);
	ev = jv_object_set(ev, jv_string("runbook"), jv_string(p->rb->name ? p->rb->name : ""));
	ev = jv_object_set(ev, jv_string("path"), jv_string(abs ? abs : (p->rb->path ? p->rb->path : "")));
	ev = jv_object_set(ev, jv_string("dir"), jv_string_fmt("%s/runs/%s", o->state_dir ? o->state_dir : ".runbook", e->run_id));
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
	free(abs);
	emit(e, ev, 1);
	{
		char final[4096];
		const char *sd = o->state_dir ? o->state_dir : ".runbook";
		snprintf(final, sizeof(final), "%s/runs/%s", sd, e->run_id);
		if (rename(e->run_dir, final) < 0) {
			emit_setup_error(e, jv_string_fmt("cannot rename '%s' to '%s': %s", e->run_dir, final, strerror(errno)));
			engine_free(e);
			return EXIT_INVALID;
		}
		free(e->run_dir);
		e->run_dir = xstrdup(final);
		/* the rename itself reaches the disk with the parent directory */
		char parent[4096];
		snprintf(parent, sizeof(parent), "%s/runs", sd);
		int dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	rc = engine_exec(e);
	engine_free(e);
	return rc;
}

/* ---------------------------------------------------------------- signals */

static void on_signal(int sig)
{
	g_last_sig = sig;
	g_signals += sig == SIGINT ? 1 : 2;
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

/* ---------------------------------------------------------------- resume */

/* ---- what the journal says about the calls of one step, item or rollback step:
 * calls[QID] = {n: calls made (mode run), open: the last one has no result, last: mode
 * of the last call, unsure: a call may have taken effect (no result, a success, or an
 * error that does not show the service refused it)} */

/* errors that say the request was refused before it changed anything */
static const char *const refused_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "SlowDown",
	"TooManyRequestsException", "RequestThrottled", NULL,
};
/* errors that say nothing about whether it landed */
static const char *const unknown_codes[] = {
	"Cancelled", "RequestTimeout", "ConnectionError", "timeout", "Timeout", NULL,
};

static int code_in(const char *code, const char *const *list)
{
	for (int i = 0; code && list[i]; i++)
		if (!strcmp(code, list[i]))
			return 1;
	return 0;
}

/* borrows ev (a "result" event) */
static int result_unsure(jv ev)
{
	if ((int)jvx_num(ev, "rc", -1) == 0)
		return 1;                   /* it happened: the check must see it */
	jv err = jvx_get(ev, "result");
	int unsure = 1;
	if (jv_get_kind(err) == JV_KIND_OBJECT) {
		const char *code = jvx_str(err, "code");
		unsure = jvx_bool(err, "transient", 0);
		if (code_in(code, refused_codes))
			unsure = 0;
		if (code_in(code, unknown_codes))
			unsure = 1;
	}
	jv_free(err);
	return unsure;
}

/* note a "call" (result 0) or "result" (1) event; consumes calls, borrows ev */
static jv calls_note(jv calls, jv ev, int result)
{
	const char *step = jvx_str(ev, "step"), *mode = jvx_str(ev, "mode");
	int run = !mode || !strcmp(mode, "run");
	if (!step)
		return calls;
	jv rec = jv_object_get(jv_copy(calls), jv_string(step));
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		rec = jv_object();
	}
	const char *last = jvx_str(rec, "last");
	int last_run = last && !strcmp(last, "run"), open = jvx_bool(rec, "open", 0);
	if (!result) {
		if (run) {
			rec = jv_object_set(rec, jv_string("n"), jv_number(jvx_num(rec, "n", 0) + 1));
			rec = jv_object_set(rec, jv_string("open"), jv_true());
		}
		rec = jv_object_set(rec, jv_string("last"), jv_string(mode ? mode : "run"));
	} else if (run && last_run && open) {
		rec = jv_object_set(rec, jv_string("open"), jv_false());
		if (result_unsure(ev))
			rec = jv_object_set(rec, jv_string("unsure"), jv_true());
	}
	return jv_object_set(calls, jv_string(step), rec);
}

static void call_info(jv calls, const char *qid, int *n, int *unsure)
{
	jv rec = jv_object_get(jv_copy(calls), jv_string(qid));
	*n = 0;
	*unsure = 0;
	if (jv_get_kind(rec) == JV_KIND_OBJECT) {
		*n = (int)jvx_num(rec, "n", 0);
		*unsure = jvx_bool(rec, "unsure", 0) || jvx_bool(rec, "open", 0);
	}
	jv_free(rec);
}

static int named_in(const char **list, const char *qid)
{
	for (int i = 0; list && list[i]; i++)
		if (!strcmp(list[i], qid))
			return 1;
	return 0;
}

enum { RD_REFUSE = -1, RD_RUN = 0, RD_FOUND = 1, RD_DONE = 2 };

/* the operator decides about a call that may have taken effect: RD_RUN, RD_DONE (by
 * is who said so) or RD_REFUSE (dl says how to answer without a terminal) */
static int resume_ask(struct engine *e, const char *qid, const char *why, int allow_done, char *by, size_t nby,
		      struct diag_list *dl)
{
	if (e->o->tty_in && e->o->tty_out) {
		char line[256], ts[40];
		fprintf(e->o->tty_out, "step '%s' was running when the run stopped and %s.\n%s", qid, why,
			allow_done ? "[r]un it again, it is [d]one already (do not run it), or [s]top? " :
			"[r]un the unfinished items again, or [s]top? ");
		fflush(e->o->tty_out);
		int c = 's';
		if (fgets(line, sizeof(line), e->o->tty_in))
			c = line[0] == 'r' || line[0] == 'R' ? 'r' : (line[0] == 'd' || line[0] == 'D') && allow_done ? 'd' : 's';
		jv ev = ev_new(e, EV_CONFIRM, qid);
		ev = jv_object_set(ev, jv_string("status"), jv_string(c == 's' ? "declined" : "approved"));
		ev = jv_object_set(ev, jv_string("prompt"), jv_string(c == 'd' ? "counts as done after a crash" : "run again after a crash"));
		ev = jv_object_set(ev, jv_string("by"), jv_string(user_name(by, nby)));
		ev = jv_object_set(ev, jv_string("at"), jv_string(time_str(clock_now(e->clk), ts, sizeof(ts))));
		emit(e, ev, 1);
		if (c == 'r')
			return RD_RUN;
		if (c == 'd')
			return RD_DONE;
	}
	diag_error(dl, NULL, "step '%s' was running when run '%s' stopped and %s: check by hand, then resume "
		   "with --rerun %s (run it again)%s%s", qid, e->run_id, why, qid,
		   allow_done ? " or --done " : "", allow_done ? qid : "");
	if (allow_done)
		diag_note(dl, NULL, "--done %s: it took effect; it counts as succeeded%s and is not run again", qid,
			  strstr(qid, ".rollback.") ? "" : " without outputs");
	return RD_REFUSE;
}

/* one check() call, journaled like every call (mode "check"); borrows args and conns */
static int resume_check_once(struct engine *e, const char *qid, const struct action_desc *d, jv args, jv conns,
			     jv *out)
{
	struct job j = {0};
	j.e = e;
	j.desc = d;
	j.mode = JOB_CHECK;
	j.step = (char *)qid;
	j.item = -1;
	j.deadline = clock_now(e->clk) + RESUME_CHECK_MS;   /* a check that hangs is a failed check */
	j.args = jvx_deep_copy(args);
	j.conns = jvx_deep_copy(conns);
	j.out = jv_null();
	invoke(e, &j);
	jv_free(j.conns);
	*out = j.out;
	return j.rc;
}

/* a step, item or rollback step qid that was running when the process died: may it
 * run again? Consumes args (evaluated `with:`); borrows item and calls. RD_FOUND puts
 * the check's result in *out. Never re-sends a mutating call whose outcome is unknown:
 * a checkable one is checked until its effect appears (settle time), else asked. */
static int resume_decide(struct engine *e, const char *qid, const struct action_desc *d, jv args, int scope,
			 jv item, jv calls, int allow_done, jv *out, char *by, size_t nby, struct diag_list *dl)
{
	char why[2048], d1[64];
	int ncalls, unsure, ret;
	jv conns = jv_invalid();
	*out = jv_null();
	snprintf(by, nby, "--done");
	call_info(calls, qid, &ncalls, &unsure);
	/* no call reached the action: nothing can have happened. An idempotent action
	 * runs again, but not over a call that may still be landing when that can be
	 * checked (a second request would be a repeat even if harmless) */
	int idem = (d->flags & ACT_IDEMPOTENT) != 0, checkable = (d->flags & ACT_CHECKABLE) && d->check;
	if (ncalls == 0 || !action_is_mutating(d, args) || (idem && !(unsure && checkable)) ||
	    named_in(e->o->rerun, qid)) {
		ret = RD_RUN;
		goto out;
	}
	if (allow_done && named_in(e->o->assume_done, qid)) {
		ret = RD_DONE;
		goto out;
	}
	snprintf(why, sizeof(why), "action '%s' changes things, is not idempotent and its effect cannot be checked",
		 d->name);
	if (checkable) {
		jv err = jv_invalid();
		conns = eval_connections(e, scope, item, &err);
		if (!jv_is_valid(conns)) {
			char eb[1024];
			snprintf(why, sizeof(why), "action '%s' could not be checked (%s)", d->name, err_text(err, eb, sizeof(eb)));
			jv_free(err);
			goto ask;
		}
		int64_t settle = e->o->settle_ms > 0 ? e->o->settle_ms : RESUME_SETTLE_MS;
		int64_t start = clock_now(e->clk), iv = 500;
		int sig0 = (int)g_signals;
		for (int polls = 1;; polls++) {
			jv res;
			int rc = resume_check_once(e, qid, d, args, conns, &res);
			if (rc == 1) {
				*out = res;
				ret = RD_FOUND;
				goto out;
			}
			if (rc == 0 && !unsure) {
				/* the call is known to have failed and its effect is not there */
				jv_free(res);
				ret = RD_RUN;
				goto out;
			}
			int64_t now = clock_now(e->clk);
			dur_format(settle, d1, sizeof(d1));
			if (rc == 0)
				snprintf(why, sizeof(why), "its call of '%s' may still have been landing, but its effect did "
					 "not appear within %s (%d checks)", d->name, d1, polls);
			else {
				char eb[1024];
				snprintf(why, sizeof(why), "action '%s' could not be checked (%s)", d->name, err_text(res, eb, sizeof(eb)));
			}
			jv_free(res);
			if (rc < 0 || now - start >= settle)
				goto ask;
			if (polls == 1) {
				jv ev = ev_new(e, EV_LOG, qid);
				ev = jv_object_set(ev, jv_string("level"), jv_string("info"));
				ev = jv_object_set(ev, jv_string("message"), jv_string_fmt(
					"the call of '%s' was in flight when the run stopped: checking for its effect "
					"for up to %s before anything is sent again", d->name, d1));
				emit(e, ev, 0);
			}
			int64_t wake = now + iv < start + settle ? now + iv : start + settle;
			while (clock_now(e->clk) < wake) {
				if ((int)g_signals != sig0) {
					diag_error(dl, NULL, "resume stopped by %s while checking step '%s'; nothing was sent "
						   "again and the run can be resumed", sig_name((int)g_last_sig), qid);
					ret = RD_REFUSE;
					goto out;
				}
				int64_t left = wake - clock_now(e->clk);
				clock_sleep(e->clk, left < 200 ? left : 200, NULL);
			}
			iv = iv * 2 > 10000 ? 10000 : iv * 2;
		}
	}
ask:
	ret = idem ? RD_RUN : resume_ask(e, qid, why, allow_done, by, nby, dl);
out:
	jv_free(args);
	jv_free(conns);
	return ret;
}

/* a for_each step that was running at the crash: 0 go on, -1 refuse */
static int resume_items(struct engine *e, int n, const struct action_desc *d, jv calls, struct diag_list *dl)
{
	const struct plan_node *pn = &e->p->nodes[n];
	size_t ql = strlen(pn->qid);
	int called = 0;
	char by[256], why[512];
	jv done = jv_object_get(jv_copy(e->resume_items), jv_string(pn->qid));
	jv_object_foreach(calls, k, v) {
		const char *ks = jv_string_value(k);
		if (!strncmp(ks, pn->qid, ql) && ks[ql] == '[' && !strstr(ks, ".rollback.") && jvx_num(v, "n", 0) > 0) {
			char idx[32];
			snprintf(idx, sizeof(idx), "%d", atoi(ks + ql + 1));
			jv dd = jv_get_kind(done) == JV_KIND_OBJECT ? jv_object_get(jv_copy(done), jv_string(idx)) : jv_invalid();
			if (!jv_is_valid(dd))
				called = 1;
			jv_free(dd);
		}
		jv_free(k);
		jv_free(v);
	}
	jv_free(done);
	if (!called || !(d->flags & ACT_MUTATING) || (d->flags & ACT_IDEMPOTENT) || named_in(e->o->rerun, pn->qid))
		return 0;
	snprintf(why, sizeof(why), "action '%s' changes things and is not idempotent (items of a for_each are not "
		 "checked)", d->name);
	return resume_ask(e, pn->qid, why, 0, by, sizeof(by), dl) == RD_RUN ? 0 : -1;
}

/* the operator checked: the step took effect. It counts as succeeded (no outputs, no
 * result) and its rollback steps count, like any completed step's. */
/* a step a resume counts as done: succeeded with result and outputs (consumed), joins the
 * rollback order, journaled as finished; how = {"checked": true} or {"assumed_done": {...}}
 * (consumed), merged into the step_finished record */
static void resume_mark_done(struct engine *e, int n, jv result, jv outs, jv how)
{
	struct node_st *s = &e->ns[n];
	const struct plan_node *pn = &e->p->nodes[n];
	s->results = xcalloc(1, sizeof(jv));
	s->outputs = xcalloc(1, sizeof(jv));
	s->item_st = xcalloc(1, sizeof(*s->item_st));
	s->results[0] = jv_copy(result);
	s->outputs[0] = jv_copy(outs);
	s->item_st[0] = ST_SUCCEEDED;
	s->st = ST_SUCCEEDED;
	s->preset = 1;
	s->finished = clock_now(e->clk);
	if (pn->step->nrollback > 0) {
		ALLOC_GROW(e->done_order, e->ndone + 2, e->adone);
		e->done_order[e->ndone++] = n;
		e->done_order[e->ndone++] = -1;
	}
	jv ev = ev_new(e, EV_STEP_FINISHED, pn->qid);
	ev = jv_object_set(ev, jv_string("status"), jv_string("succeeded"));
	ev = jv_object_set(ev, jv_string("kind"), jv_string(step_kind_name(pn->step->kind)));
	ev = jv_object_set(ev, jv_string("duration_ms"), jv_number(0));
	ev = jv_object_merge(ev, how);
	ev = jv_object_set(ev, jv_string("outputs"), outs);
	ev = jv_object_set(ev, jv_string("result"), result);
	emit(e, ev, 1);
}

static void resume_assume_done(struct engine *e, int n, const char *by)
{
	char ts[40];
	jv how = jv_object_set(jv_object_set(jv_object(), jv_string("by"), jv_string(by)), jv_string("at"),
			       jv_string(time_str(clock_now(e->clk), ts, sizeof(ts))));
	resume_mark_done(e, n, jv_null(), jv_object(), jv_object_set(jv_object(), jv_string("assumed_done"), how));
}

/* the check found the step's effect: it succeeded with the check's result (consumed)
 * and its outputs, is journaled as finished, and is rolled back like any other */
static void resume_found(struct engine *e, int n, jv result)
{
	const struct plan_node *pn = &e->p->nodes[n];
	struct task tmp = {0};
	jv err = jv_invalid();
	tmp.step = pn->step;
	tmp.scope = pn->scope;
	tmp.item_v = jv_invalid();
	jv outs = eval_outputs(e, &tmp, result, &err);
	if (!jv_is_valid(outs)) {
		jv_free(outs);
		char eb[1024];
		jv ev = ev_new(e, EV_LOG, pn->qid);
		ev = jv_object_set(ev, jv_string("level"), jv_string("warn"));
		ev = jv_object_set(ev, jv_string("message"), jv_string_fmt(
			"step '%s' took effect (checked) but its outputs cannot be computed from the check's result: %s",
			pn->qid, err_text(err, eb, sizeof(eb))));
		emit(e, ev, 0);
		jv_free(err);
		outs = jv_object();
	}
	resume_mark_done(e, n, result, outs, jv_object_set(jv_object(), jv_string("checked"), jv_true()));
}

/* evaluated `with:` of an action step for a resume decision (an empty map if it cannot
 * be evaluated: the check then fails and the operator is asked) */
static jv resume_args(struct engine *e, const struct action_desc *d, const struct tmpl *with, int scope, jv item)
{
	jv c = ctx_for(e, scope, item, jv_invalid());
	jv args = with ? tmpl_eval(with, e->set, c) : jv_object();
	jv err = jv_invalid();
	jv_free(c);
	if (jv_is_valid(args))
		args = fill_args(d, args, &err);
	jv_free(err);
	if (!jv_is_valid(args)) {
		jv_free(args);
		return jv_object();
	}
	taint_args(e, d, args);
	return args;
}

/* a step that was running when the process died: 0 go on (it runs again, or counts
 * as done), -1 refuse (dl says why) */
static int resume_running_step(struct engine *e, int n, jv calls, struct diag_list *dl)
{
	const struct plan_node *pn = &e->p->nodes[n];
	const struct rb_step *st = pn->step;
	char by[256];
	if (st->kind != STEP_ACTION || e->o->dry_run)
		return 0;                    /* waits poll, asserts and confirmations re-ask */
	const struct action_desc *d = pn->desc ? pn->desc : registry_find(st->action);
	if (!d)
		return 0;
	if (st->for_each >= 0)
		return resume_items(e, n, d, calls, dl);
	jv out;
	jv args = resume_args(e, d, st->with, pn->scope, jv_invalid());
	switch (resume_decide(e, pn->qid, d, args, pn->scope, jv_invalid(), calls, 1, &out, by, sizeof(by), dl)) {
	case RD_FOUND:
		resume_found(e, n, out);
		return 0;
	case RD_DONE:
		jv_free(out);
		resume_assume_done(e, n, by);
		return 0;
	case RD_RUN:
		jv_free(out);
		return 0;
	default:
		jv_free(out);
		return -1;
	}
}

/* rollback steps whose call was made before the process died: the same rules as
 * forward steps (checked, never blindly re-sent). 0 go on, -1 refuse */
static int resume_rollback_calls(struct engine *e, jv calls, struct diag_list *dl)
{
	int rc = 0;
	jv_object_foreach(calls, k, v) {
		const char *q = jv_string_value(k);
		const char *rbp = strstr(q, ".rollback.");
		char owner[1024], key[1300], by[256];
		int item = -1, index, n;
		jv_free(v);
		if (rc < 0 || !rbp || (size_t)(rbp - q) >= sizeof(owner)) {
			jv_free(k);
			continue;
		}
		index = atoi(rbp + 10) - 1;
		snprintf(owner, sizeof(owner), "%.*s", (int)(rbp - q), q);
		char *br = strrchr(owner, '[');
		if (br && owner[strlen(owner) - 1] == ']') {
			item = atoi(br + 1);
			*br = '\0';
		}
		n = plan_find(e->p, owner);
		if (n < 0 || index < 0 || index >= e->p->nodes[n].step->nrollback) {
			jv_free(k);
			continue;
		}
		const struct plan_node *pn = &e->p->nodes[n];
		const struct rb_step *st = &pn->step->rollback[index];
		snprintf(key, sizeof(key), "%s#%d#%d", pn->qid, item, index);
		jv dn = jv_object_get(jv_copy(e->rb_done), jv_string(key));
		int already = jv_get_kind(dn) == JV_KIND_TRUE;
		jv_free(dn);
		const struct action_desc *d = st->kind == STEP_ACTION ? registry_find(st->action) : NULL;
		if (already || !d) {
			jv_free(k);
			continue;
		}
		jv item_v = rb_item_value(e, n, item), out;
		jv args = resume_args(e, d, st->with, pn->scope, item_v);
		int r = resume_decide(e, q, d, args, pn->scope, item_v, calls, 1, &out, by, sizeof(by), dl);
		jv_free(item_v);
		if (r == RD_FOUND || r == RD_DONE) {
			e->rb_done = jv_object_set(e->rb_done, jv_string(key), jv_true());
			jv ev = ev_new(e, EV_ROLLBACK_STEP, pn->qid);
			ev = jv_object_set(ev, jv_string("rollback_step"), jv_string(q));
			ev = jv_object_set(ev, jv_string("item"), jv_number(item));
			ev = jv_object_set(ev, jv_string("index"), jv_number(index));
			ev = jv_object_set(ev, jv_string("status"), jv_string("succeeded"));
			if (r == RD_FOUND)
				ev = jv_object_set(ev, jv_string("checked"), jv_true());
			else
				ev = jv_object_set(ev, jv_string("assumed_done"), jv_object_set(jv_object(), jv_string("by"), jv_string(by)));
			emit(e, ev, 1);
		} else if (r == RD_REFUSE) {
			rc = -1;
		}
		jv_free(out);
		jv_free(k);
	}
	return rc;
}

int engine_resume(const char *run_id, const struct engine_opts *o, struct diag_list *dl)
{
	char path[4096], jpath[4096];
	const char *sd = o->state_dir ? o->state_dir : ".runbook";
	struct rb_loader ld;
	struct plan plan;
	int have_plan = 0, rc = EXIT_INVALID;
	struct runbook *rb = NULL;
	struct engine *e = NULL;
	jv journal = jv_invalid(), started = jv_invalid(), calls = jv_object(), params = jv_invalid();
	jv running = jv_object();
	jv fe_uses = jv_object();        /* for_each uses: steps whose child steps ran */
	char **approve = NULL;
	int op_abort = 0, rb_seen = 0;   /* the abort was only the operator's Ctrl-C; rollback began */
	struct run_fold fold;

	run_fold_init(&fold);
	loader_init(&ld, o->search_path);
	if (run_id_check(run_id) < 0) {
		diag_error(dl, NULL, "invalid RUN-ID '%s': a run id names a folder in '%s/runs' ('runbook history' "
			   "lists them)", run_id, sd);
		goto out;
	}
	snprintf(jpath, sizeof(jpath), "%s/runs/%s/journal.jsonl", sd, run_id);
	journal = journal_read(jpath);
	if (!jv_is_valid(journal)) {
		char *m = invalid_msg(journal);
		journal = jv_invalid();
		diag_error(dl, NULL, "no run '%s' in '%s' (%s)", run_id, sd, m);
		free(m);
		goto out;
	}
	run_fold_journal(&fold, journal);
	if (fold.end == EV_RUN_FINISHED) {
		diag_error(dl, NULL, "run '%s' already finished (%s); nothing to resume", run_id,
			   run_fold_status(&fold));
		goto out;
	}
	jv_free(started);
	started = jv_copy(fold.started);
	if (!jv_is_valid(started)) {
		diag_error(dl, NULL, "the journal of run '%s' has no run_started record", run_id);
		goto out;
	}
	if (jvx_bool(started, "rehearsal", 0)) {
		/* its simulated world ended with the rehearsal; resuming would run it for real */
		diag_error(dl, NULL, "run '%s' was a rehearsal: it cannot be resumed (its simulated world is gone); "
			   "rehearse the runbook again", run_id);
		goto out;
	}
	/* reload the runbook: the original when it is unchanged (its `uses:` resolve),
	 * else the copy kept in the run directory, unless that copy has secrets masked */
	snprintf(path, sizeof(path), "%s/runs/%s/runbook.yaml", sd, run_id);
	{
		size_t clen, olen;
		char *copy = fs_read(path, JOURNAL_MAX, &clen);
		const char *orig = jvx_str(started, "path"), *sha = jvx_str(started, "sha256");
		char *otext = orig && *orig ? fs_read(orig, JOURNAL_MAX, &olen) : NULL;
		const char *load_path = path;
		int same = 0;
		if (otext && sha) {
			char h[65];
			sha256_hex(otext, olen, h);
			same = !strcmp(h, sha);
		} else if (otext && copy) {
			same = olen == clen && !memcmp(otext, copy, clen);
		}
		free(otext);
		free(copy);
		if (same)
			load_path = orig;
		else if (jvx_bool(started, "copy_redacted", 0)) {
			diag_error(dl, NULL, "runbook '%s' changed since run '%s' started, and the copy kept in the run "
				   "folder has its secrets masked: put the original back (sha256 %s) to resume",
				   orig ? orig : "?", run_id, sha ? sha : "?");
			goto out;
		}
		rb = runbook_load(&ld, load_path, dl);
	}
	if (!rb || dl->nerrors)
		goto out;
	if (plan_build(&plan, rb, &ld, dl) < 0) {
		have_plan = 1;
		goto out;
	}
	have_plan = 1;
	if (exprset_compile(ld.exprs, dl) < 0)
		goto out;
	/* params: the recorded ones (no secrets) with the ones given again over them */
	snprintf(path, sizeof(path), "%s/runs/%s/params.json", sd, run_id);
	char *ptext = fs_read(path, JOURNAL_MAX, NULL);
	jv raw = ptext ? jv_parse(ptext) : jv_object();
	free(ptext);
	if (!jv_is_valid(raw) || jv_get_kind(raw) != JV_KIND_OBJECT) {
		jv_free(raw);
		raw = jv_object();
	}
	if (jv_get_kind(o->params) == JV_KIND_OBJECT)
		raw = jv_object_merge(raw, jv_copy(o->params));
	params = params_resolve(rb, raw, o->redact, dl);
	if (!jv_is_valid(params)) {
		diag_note(dl, NULL, "secret params are not kept in the run directory: give them again with -p");
		goto out;
	}

	struct engine_opts eo = *o;
	eo.params = params;
	eo.yes = o->yes || jvx_bool(started, "yes", 0);
	{
		jv appr = jvx_get(started, "approve");
		int n = 0, m = jv_get_kind(appr) == JV_KIND_ARRAY ? jv_array_length(jv_copy(appr)) : 0;
		for (int i = 0; o->approve && o->approve[i]; i++)
			n++;
		approve = xcalloc((size_t)(n + m + 1), sizeof(*approve));
		for (int i = 0; i < n; i++)
			approve[i] = xstrdup(o->approve[i]);
		for (int i = 0; i < m; i++) {
			jv a = jv_array_get(jv_copy(appr), i);
			approve[n + i] = xstrdup(jv_get_kind(a) == JV_KIND_STRING ? jv_string_value(a) : "");
			jv_free(a);
		}
		jv_free(appr);
		eo.approve = (const char **)approve;
	}
	eo.dry_run = jvx_bool(started, "dry_run", 0);
	eo.no_rollback = o->no_rollback || jvx_bool(started, "no_rollback", 0);
	if (!o->max_parallel)
		eo.max_parallel = (int)jvx_num(started, "max_parallel", 0);
	e = engine_new(&plan, &eo);
	e->resumed = 1;
	e->run_id = xstrdup(run_id);
	{
		int64_t t0 = 0;
		const char *ts = jvx_str(started, "time");
		if (!ts || ts_parse(ts, &t0) < 0)
			t0 = clock_now(e->clk);
		e->run_started = t0;
	}
	engine_init_ctx(e);
	/* the whole-run timeout counts again from the resume: the time the run spent
	 * stopped is not the procedure's */
	if (rb->timeout_ms > 0)
		e->run_deadline = clock_now(e->clk) + rb->timeout_ms;
	snprintf(path, sizeof(path), "%s/runs/%s", sd, run_id);
	e->run_dir = xstrdup(path);
	if (o->record_path) {
		jv terr = jv_invalid();
		if (tape_check(o->record_path, run_id, &terr) < 0) {
			diag_error(dl, NULL, "%s", jv_string_value(terr));
			jv_free(terr);
			goto out;
		}
	}
	if (journal_open(&e->jn, e->run_dir, o->record_path, o->redact) < 0) {
		diag_error(dl, NULL, "cannot open the journal of run '%s': %s", run_id, strerror(errno));
		goto out;
	}
	e->jopen = 1;
	journal_tape_header(&e->jn, tape_header_of(e, &plan), e->run_started);
	journal_tape_seed(&e->jn, journal);

	/* replay the journal into the state */
	jv_array_foreach(journal, i, ev) {
		enum ev_kind kind = ev_kind_of(ev);
		const char *step = jvx_str(ev, "step");
		int n = step ? plan_find(&plan, step) : -1;
		if (kind == EV_UNKNOWN) {
			jv_free(ev);
			continue;
		}
		if (n < 0 && step && strchr(step, '[') && kind == EV_STEP_STARTED) {
			/* a step of a for_each uses: child ("each[1].say") */
			char u[1024];
			snprintf(u, sizeof(u), "%.*s", (int)(strchr(step, '[') - step), step);
			int un = plan_find(&plan, u);
			if (un >= 0 && plan.nodes[un].step->kind == STEP_USES && plan.nodes[un].step->for_each >= 0)
				fe_uses = jv_object_set(fe_uses, jv_string(u), jv_true());
		}
		if (kind == EV_CALL || kind == EV_RESULT) {
			/* keyed as journaled: "qid", "qid[3]", "qid.rollback.1" */
			calls = calls_note(calls, ev, kind == EV_RESULT);
		} else if (kind == EV_RUN_INTERRUPTED) {
			/* Ctrl-C, then Ctrl-C again (or TERM, HUP) before the rollback began:
			 * stopped, not failed; the resume goes on with the run */
			if (e->aborting && op_abort && !rb_seen) {
				e->aborting = 0;
				e->outcome = 0;
				jv_free(e->fail_reason);
				e->fail_reason = jv_null();
			}
		} else if (kind == EV_RUN_FAILING) {
			if (!e->aborting)
				op_abort = jvx_bool(ev, "operator", 0);
			e->aborting = 1;
			e->outcome = (int)jvx_num(ev, "outcome", EXIT_FAILED);
			jv_free(e->fail_reason);
			e->fail_reason = jvx_get(ev, "reason");
			if (!jv_is_valid(e->fail_reason))
				e->fail_reason = jv_null();
		} else if (kind == EV_STEP_STARTED && n >= 0) {
			running = jv_object_set(running, jv_string(step), jv_true());
		} else if (kind == EV_ITEM_FINISHED && n >= 0) {
			const char *sts = jvx_str(ev, "status");
			if (sts && (!strcmp(sts, "succeeded") || !strcmp(sts, "dry_run"))) {
				int item = (int)jvx_num(ev, "item", -1);
				jv it = jv_object_get(jv_copy(e->resume_items), jv_string(step));
				if (!jv_is_valid(it))
					it = jv_object();
				jv rec = jv_object();
				rec = jv_object_set(rec, jv_string("outputs"), jvx_get(ev, "outputs"));
				rec = jv_object_set(rec, jv_string("result"), jvx_get(ev, "result"));
				rec = jv_object_set(rec, jv_string("value"), jvx_get(ev, "value"));
				it = jv_object_set(it, jv_string_fmt("%d", item), rec);
				e->resume_items = jv_object_set(e->resume_items, jv_string(step), it);
				if (e->p->nodes[n].step->nrollback > 0) {
					ALLOC_GROW(e->done_order, e->ndone + 2, e->adone);
					e->done_order[e->ndone++] = n;
					e->done_order[e->ndone++] = item;
				}
			}
		} else if (kind == EV_STEP_FINISHED && n >= 0) {
			struct node_st *s = &e->ns[n];
			enum step_state st = ST_FAILED;
			const char *sts = jvx_str(ev, "status");
			if (sts)
				step_state_parse(sts, &st);
			running = jv_object_delete(running, jv_string(step));
			jv ferr = jvx_get(ev, "error");
			int by_abort = st == ST_FAILED && jv_get_kind(ferr) == JV_KIND_OBJECT && jvx_str(ferr, "code") &&
				       !strcmp(jvx_str(ferr, "code"), "aborted");
			jv_free(ferr);
			if (by_abort && op_abort && !rb_seen) {
				/* stopped by the operator's abort, not failed: if the run goes on
				 * it runs again (a retry or poll it was waiting for) */
				jv_free(ev);
				continue;
			}
			s->st = st;
			s->preset = 1;
			if (!s->results) {
				s->results = xcalloc(1, sizeof(jv));
				s->outputs = xcalloc(1, sizeof(jv));
				s->item_st = xcalloc(1, sizeof(*s->item_st));
			} else {
				jv_free(s->results[0]);
				jv_free(s->outputs[0]);
			}
			s->results[0] = jvx_get(ev, "result");
			s->outputs[0] = jvx_get(ev, "outputs");
			if (!jv_is_valid(s->results[0]))
				s->results[0] = jv_null();
			if (!jv_is_valid(s->outputs[0]))
				s->outputs[0] = jv_object();
			s->item_st[0] = st;
			s->unknown = jvx_bool(ev, "unknown", 0);
			int64_t t;
			const char *ts = jvx_str(ev, "time");
			if (ts && ts_parse(ts, &t) == 0) {
				s->finished = t;
				s->started = t - (int64_t)jvx_num(ev, "duration_ms", 0);
			}
			if (st == ST_SUCCEEDED && e->p->nodes[n].step->nrollback > 0 && e->p->nodes[n].step->for_each < 0) {
				ALLOC_GROW(e->done_order, e->ndone + 2, e->adone);
				e->done_order[e->ndone++] = n;
				e->done_order[e->ndone++] = -1;
			}
			if (st == ST_FAILED && !e->p->nodes[n].step->critical) {
				e->failed_noncritical++;
				e->noncritical = jv_array_append(e->noncritical, jv_string(step));
			}
			if (st == ST_FAILED && e->p->nodes[n].step->critical && !by_abort)
				op_abort = 0;
			if (st == ST_FAILED && e->p->nodes[n].step->critical && !e->aborting) {
				/* killed before its run_failing reached the disk: the run fails */
				e->aborting = 1;
				e->outcome = EXIT_FAILED;
				jv_free(e->fail_reason);
				e->fail_reason = jv_string_fmt("step '%s' failed", step);
			}
		} else if (kind == EV_ROLLBACK_STARTED) {
			int had = e->aborting;
			rb_seen = 1;
			e->aborting = 1;
			if (!had)
				e->outcome = EXIT_FAILED;
			jv_free(e->fail_reason);
			e->fail_reason = jvx_get(ev, "reason");
			if (!jv_is_valid(e->fail_reason))
				e->fail_reason = jv_null();
			/* the outcome it recorded (a declined confirmation, the operator's
			 * abort: 4); a journal older than the field: run_failing's, else 1 */
			if (jvx_has(ev, "outcome"))
				e->outcome = (int)jvx_int(ev, "outcome", EXIT_FAILED);
		} else if (kind == EV_ROLLBACK_STEP && step) {
			const char *sts = jvx_str(ev, "status");
			if (sts && strcmp(sts, "running") && strcmp(sts, "failed")) {
				char key[1300];
				snprintf(key, sizeof(key), "%s#%d#%d", step, (int)jvx_num(ev, "item", -1),
					 (int)jvx_num(ev, "index", 0));
				e->rb_done = jv_object_set(e->rb_done, jv_string(key), jv_true());
			}
		}
		jv_free(ev);
	}
	jv_free(journal);
	journal = jv_invalid();
	/* for_each on uses: a finished one's child steps do not run again; one stopped
	 * between its items cannot be continued (its items would run again) */
	jv_object_foreach(fe_uses, k, v) {
		int un = plan_find(&plan, jv_string_value(k));
		jv_free(v);
		if (!e->ns[un].preset) {
			diag_error(dl, NULL, "run '%s' stopped inside '%s' (for_each on uses:), which resume "
				   "cannot continue: its items would run again; look at 'runbook show %s'",
				   run_id, jv_string_value(k), run_id);
			jv_free(k);
			rc = EXIT_INVALID;
			goto out;
		}
		for (int x = un + 1; x < plan.n && in_scope(e, plan.nodes[x].scope, e->scope_of_uses[un]); x++) {
			struct node_st *cs = &e->ns[x];
			if (cs->preset)
				continue;
			cs->st = ST_SUCCEEDED;
			cs->preset = 1;
		}
		jv_free(k);
	}
	/* what finished is in the context before anything is evaluated again */
	for (int n = 0; n < plan.n; n++)
		if (e->ns[n].preset)
			ctx_update(e, n);
	/* steps running at the crash (also when the run was failing: one that took
	 * effect must be rolled back) */
	jv_object_foreach(running, k, v) {
		int n = plan_find(&plan, jv_string_value(k));
		jv_free(v);
		if (n >= 0 && !e->ns[n].preset && resume_running_step(e, n, calls, dl) < 0) {
			jv_free(k);
			rc = EXIT_INVALID;
			goto out;
		}
		jv_free(k);
	}
	/* finished nodes: their state in the context, their dependants' counts */
	for (int n = 0; n < plan.n; n++) {
		if (!e->ns[n].preset)
			continue;
		ctx_update(e, n);
		for (int i = 0; i < plan.nodes[n].nrdeps; i++)
			e->ns[plan.nodes[n].rdeps[i]].deps_left--;
	}
	/* rollback steps that were running at the crash */
	if (e->aborting && resume_rollback_calls(e, calls, dl) < 0) {
		rc = EXIT_INVALID;
		goto out;
	}
	{
		jv ev = ev_new(e, EV_RUN_RESUMED, NULL);
		ev = jv_object_set(ev, jv_string("runbook"), jv_string(rb->name ? rb->name : ""));
		ev = jv_object_set(ev, jv_string("steps"), engine_steps_list(&plan));
		int npre = 0;
		jv done = jv_array();
		for (int n = 0; n < plan.n; n++)
			if (e->ns[n].preset) {
				npre++;
				done = jv_array_append(done, jv_string(plan.nodes[n].qid));
			}
		ev = jv_object_set(ev, jv_string("finished_before"), jv_number(npre));
		ev = jv_object_set(ev, jv_string("done"), done);
		if (e->aborting)
			ev = jv_object_set(ev, jv_string("rolling_back"), jv_true());
		ev = redact_jv(o->redact, ev);
		journal_append(&e->jn, jv_copy(ev), 1);
		/* displays start from a run_started: give them one (the journal keeps
		 * the first run's run_started and this run_resumed) */
		ev = jv_object_set(ev, jv_string("event"), jv_string(ev_kind_name(EV_RUN_STARTED)));
		ev = jv_object_set(ev, jv_string("resumed"), jv_true());
		if (o->sink.event)
			o->sink.event(o->sink.arg, ev);
		else
			jv_free(ev);
	}
	rc = engine_exec(e);
out:
	if (e)
		engine_free(e);
	for (int i = 0; approve && approve[i]; i++)
		free(approve[i]);
	free(approve);
	run_fold_release(&fold);
	jv_free(journal);
	jv_free(started);
	jv_free(calls);
	jv_free(running);
	jv_free(fe_uses);
	jv_free(params);
	if (have_plan)
		plan_release(&plan);
	if (rb)
		runbook_free(rb);
	loader_release(&ld);
	return rc;
}
