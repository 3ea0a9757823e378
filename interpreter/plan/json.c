/* json.c — plan_to_json(): the plan as `runbook plan --format json` prints it. */
#include "plan_priv.h"
#include "../core/jvx.h"

/* ---- json ---- */

/* the keys of a step's object and the strings most steps repeat, made once per
 * plan_to_json: a key set is then a reference count bumped, not a string made,
 * checked and hashed again */
#define PJ_KEYS(X) X(id) X(step) X(scope) X(kind) X(name) X(action) X(uses) X(needs) \
	X(entry) X(level) X(mutating) X(idempotent) X(typical_ms) X(critical) X(when) \
	X(for_each) X(timeout_ms) X(retry_attempts) X(rollback) X(file) X(line)
enum pj_key {
#define X(k) PJ_##k,
	PJ_KEYS(X)
#undef X
	PJ__N
};

struct pj {
	jv key[PJ__N];
	jv kind[STEP_KIND__N];
	const char *action, *path;   /* the last action name and file made, and their strings */
	jv action_s, path_s;
};

#define PK(j, k) jv_copy((j)->key[PJ_##k])

static void pj_init(struct pj *j)
{
	static const char *const names[PJ__N] = {
#define X(k) #k,
		PJ_KEYS(X)
#undef X
	};
	for (int i = 0; i < PJ__N; i++)
		j->key[i] = jv_string(names[i]);
	for (int i = 0; i < STEP_KIND__N; i++)
		j->kind[i] = jv_string(step_kind_name((enum step_kind)i));
	j->action = j->path = NULL;
	j->action_s = j->path_s = jv_invalid();
}

static void pj_free(struct pj *j)
{
	for (int i = 0; i < PJ__N; i++)
		jv_free(j->key[i]);
	for (int i = 0; i < STEP_KIND__N; i++)
		jv_free(j->kind[i]);
	jv_free(j->action_s);
	jv_free(j->path_s);
}

/* text as a jv string, the one made last time when it is the same text */
static jv pj_same(const char **last, jv *last_s, const char *text)
{
	if (!*last || strcmp(*last, text)) {
		jv_free(*last_s);
		*last_s = jv_string(text);
		*last = text;
	}
	return jv_copy(*last_s);
}

static jv steps_brief_json(struct pj *j, const struct rb_step *list, int n)
{
	jv arr = jv_array();
	for (int i = 0; i < n; i++) {
		const struct rb_step *r = &list[i];
		jv o = jv_object();
		o = jv_object_set(o, PK(j, id), jv_string(r->id));
		o = jv_object_set(o, PK(j, kind), jv_copy(j->kind[r->kind]));
		if (r->kind == STEP_ACTION && r->action)
			o = jv_object_set(o, PK(j, action), pj_same(&j->action, &j->action_s, r->action));
		else if (r->kind == STEP_WAIT && r->wait.action)
			o = jv_object_set(o, PK(j, action), pj_same(&j->action, &j->action_s, r->wait.action));
		arr = jv_array_append(arr, o);
	}
	return arr;
}

static jv rollback_json(struct pj *j, const struct rb_step *s)
{
	return steps_brief_json(j, s->rollback, s->nrollback);
}

static jv node_json(struct pj *j, const struct plan *p, int x)
{
	const struct plan_node *nd = &p->nodes[x];
	const struct rb_step *s = nd->step;
	const struct plan_scope *sc = &p->scopes[nd->scope];
	struct exprset *set = p->loader ? p->loader->exprs : NULL;
	jv o = jv_object(), needs = jv_array();

	o = jv_object_set(o, PK(j, id), jv_string(nd->qid));
	o = jv_object_set(o, PK(j, step), jv_string(s->id));
	if (*sc->prefix)
		o = jv_object_set(o, PK(j, scope), jv_string_sized(sc->prefix, (int)strlen(sc->prefix) - 1));
	else
		o = jv_object_set(o, PK(j, scope), jv_null());
	o = jv_object_set(o, PK(j, kind), jv_copy(j->kind[s->kind]));
	if (s->name)
		o = jv_object_set(o, PK(j, name), jv_string(s->name));
	if (s->kind == STEP_ACTION && s->action)
		o = jv_object_set(o, PK(j, action), pj_same(&j->action, &j->action_s, s->action));
	if (s->kind == STEP_WAIT && s->wait.action)
		o = jv_object_set(o, PK(j, action), pj_same(&j->action, &j->action_s, s->wait.action));
	if (s->kind == STEP_USES && s->uses)
		o = jv_object_set(o, PK(j, uses), jv_string(s->uses));
	for (int k = 0; k < nd->ndeps; k++)
		needs = jv_array_append(needs, jv_string(p->nodes[nd->deps[k]].qid));
	o = jv_object_set(o, PK(j, needs), needs);
	if (s->kind == STEP_USES) {
		jv entry = jv_array();      /* what the step itself (and its child's roots) wait for */
		for (int k = 0; k < nd->nentry; k++)
			entry = jv_array_append(entry, jv_string(p->nodes[nd->entry[k]].qid));
		o = jv_object_set(o, PK(j, entry), entry);
	}
	o = jv_object_set(o, PK(j, level), nd->topo >= 0 ? jv_number(nd->level) : jv_null());
	o = jv_object_set(o, PK(j, mutating), jv_bool(nd->mutating));
	o = jv_object_set(o, PK(j, idempotent),
			  jv_bool(nd->desc && (nd->desc->flags & ACT_IDEMPOTENT)));
	o = jv_object_set(o, PK(j, typical_ms), jv_number((double)nd->typical_ms));
	o = jv_object_set(o, PK(j, critical), jv_bool(s->critical));
	if (set && s->when >= 0)
		o = jv_object_set(o, PK(j, when), jv_string(exprset_text(set, s->when)));
	if (set && s->for_each >= 0)
		o = jv_object_set(o, PK(j, for_each), jv_string(exprset_text(set, s->for_each)));
	if (s->timeout_ms)
		o = jv_object_set(o, PK(j, timeout_ms), jv_number((double)s->timeout_ms));
	if (s->retry.attempts > 1)
		o = jv_object_set(o, PK(j, retry_attempts), jv_number(s->retry.attempts));
	o = jv_object_set(o, PK(j, rollback), rollback_json(j, s));
	if (s->loc.src)
		o = jv_object_set(o, PK(j, file), pj_same(&j->path, &j->path_s, s->loc.src->path));
	o = jv_object_set(o, PK(j, line), jv_number(s->loc.line));
	return o;
}

static jv params_json(const struct runbook *rb)
{
	jv o = jv_object();
	for (int i = 0; i < rb->nparams; i++) {
		const struct rb_param *pm = &rb->params[i];
		jv d = jv_object();
		d = jv_object_set(d, jv_string("type"), jv_string(arg_type_name(pm->type)));
		d = jv_object_set(d, jv_string("required"), jv_bool(pm->flags & PARAM_REQUIRED));
		d = jv_object_set(d, jv_string("secret"), jv_bool(pm->flags & PARAM_SECRET));
		if (jv_is_valid(pm->def) && !(pm->flags & PARAM_SECRET))
			d = jv_object_set(d, jv_string("default"), jv_copy(pm->def));
		if (pm->description)
			d = jv_object_set(d, jv_string("description"), jv_string(pm->description));
		o = jv_object_set(o, jv_string(pm->name), d);
	}
	return o;
}

jv plan_to_json(const struct plan *p)
{
	jv o = jv_object(), steps = jv_array(), order = jv_array(), levels = jv_array();
	jv crit = jv_object(), cpath = jv_array();
	const struct runbook *rb = p->rb;
	int *path = NULL, npath;

	if (!rb)
		return jv_null();
	o = jv_object_set(o, jv_string("runbook"), rb->name ? jv_string(rb->name) : jv_null());
	if (rb->description)
		o = jv_object_set(o, jv_string("description"), jv_string(rb->description));
	if (rb->path)
		o = jv_object_set(o, jv_string("file"), jv_string(rb->path));
	if (rb->objectives.declared) {
		/* the targets as written (rpo: 0s is a target), what ends the RTO, and the
		 * expressions the RPO is measured with */
		const struct rb_objectives *ob = &rb->objectives;
		jv j = jv_object();
		if (ob->has & OBJ_RTO)
			j = jv_object_set(j, jv_string("rto_ms"), jv_number((double)ob->rto_ms));
		if (ob->has & OBJ_RPO)
			j = jv_object_set(j, jv_string("rpo_ms"), jv_number((double)ob->rpo_ms));
		j = jv_object_set(j, jv_string("restored"), ob->restored ? jv_string(ob->restored) : jv_null());
		j = jv_object_set(j, jv_string("recovery_point"), ob->recovery_point >= 0 ?
				  jv_string(exprset_text(p->loader->exprs, ob->recovery_point)) : jv_null());
		j = jv_object_set(j, jv_string("incident_time"), ob->incident_time >= 0 ?
				  jv_string(exprset_text(p->loader->exprs, ob->incident_time)) : jv_null());
		o = jv_object_set(o, jv_string("objectives"), j);
	}
	if (rb->lock) {
		/* the run lock's key as written; `plan` adds it rendered with the params */
		char *t = tmpl_source(rb->lock, p->loader->exprs);
		o = jv_object_set(o, jv_string("lock"), t ? jv_string(t) : jv_null());
		free(t);
	}
	o = jv_object_set(o, jv_string("params"), params_json(rb));
	struct pj j;
	pj_init(&j);
	for (int x = 0; x < p->n; x++)
		steps = jv_array_append(steps, node_json(&j, p, x));
	o = jv_object_set(o, jv_string("steps"), steps);
	for (int i = 0; i < p->n && p->order[i] >= 0; i++)
		order = jv_array_append(order, jv_string(p->nodes[p->order[i]].qid));
	o = jv_object_set(o, jv_string("order"), order);
	if (p->nlevels) {
		/* bucket the order by level (counting sort keeps the order within a level) */
		int *start = xcalloc((size_t)p->nlevels + 1, sizeof(int));
		int *by = xmalloc((size_t)p->n * sizeof(int));
		for (int x = 0; x < p->n; x++)
			start[p->nodes[x].level + 1]++;
		for (int l = 0; l < p->nlevels; l++)
			start[l + 1] += start[l];
		for (int i = 0; i < p->n; i++) {
			int x = p->order[i];
			by[start[p->nodes[x].level]++] = x;
		}
		for (int l = 0, i = 0; l < p->nlevels; l++) {
			jv lv = jv_array();
			for (; i < p->n && p->nodes[by[i]].level == l; i++)
				lv = jv_array_append(lv, jv_string(p->nodes[by[i]].qid));
			levels = jv_array_append(levels, lv);
		}
		free(start);
		free(by);
	}
	o = jv_object_set(o, jv_string("levels"), levels);
	npath = plan_critical_path(p, &path);
	for (int i = 0; i < npath; i++)
		cpath = jv_array_append(cpath, jv_string(p->nodes[path[i]].qid));
	free(path);
	crit = jv_object_set(crit, jv_string("steps"), cpath);
	crit = jv_object_set(crit, jv_string("typical_ms"), jv_number((double)p->critical_ms));
	o = jv_object_set(o, jv_string("critical_path"), crit);
	/* finally steps are not nodes: they run in order once the run has ended */
	if (rb->nfinally > 0)
		o = jv_object_set(o, jv_string("finally"), steps_brief_json(&j, rb->finally, rb->nfinally));
	pj_free(&j);
	return o;
}

jv plan_lock_key(const struct plan *p, jv params)
{
	if (!p->rb->lock)
		return jv_invalid();
	/* validation refuses a secret param in the key; what it cannot see (`${{ tojson }}`)
	 * finds no secret here either: the key is stored and shown */
	jv ctx = jv_object_set(jv_object(), jv_string("params"), params_public(p->rb, params));
	jv v = tmpl_eval(p->rb->lock, p->loader->exprs, ctx);
	jv_free(ctx);
	if (jv_is_valid(v) && (jv_get_kind(v) != JV_KIND_STRING || !jv_string_length_bytes(jv_copy(v)))) {
		jv_kind k = jv_get_kind(v);
		jv why = jv_string_fmt("it gives %s, not a non-empty string",
				       k == JV_KIND_STRING ? "an empty string" : k == JV_KIND_NULL ? "null" :
				       k == JV_KIND_NUMBER ? "a number" : k == JV_KIND_ARRAY ? "a list" :
				       k == JV_KIND_OBJECT ? "a map" : "a bool");
		jv_free(v);
		v = jv_invalid_with_msg(why);
	}
	return v;
}
