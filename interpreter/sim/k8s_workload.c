/* k8s_workload.c — Deployments and StatefulSets of the simulated Kubernetes API: a
 * rollout or a scale starts when a spec is written and progresses on the simulator's
 * clock (a rollout takes k->rollout_ms; new pods become ready over half of it); their
 * status is computed from those timestamps, and their pods are derived objects kept at
 * what the status says. A workload annotated sim.runbook/fail-rollout: "true" never
 * finishes a rollout.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include "k8s_int.h"
#include "../core/bug.h"
#include "../core/jvx.h"

static void template_hash(jv obj, char out[16])
{
	jv t = jget(obj, "spec.template");
	char *s = jvx_dump(t);
	uint32_t h = 2166136261u;
	for (const char *p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	free(s);
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";   /* like the API's */
	for (int i = 0; i < 10; i++) {
		out[i] = alnum[h % (sizeof(alnum) - 1)];
		h = h / (sizeof(alnum) - 1) + (uint32_t)i * 2654435761u;
	}
	out[10] = 0;
}

struct wstatus {
	int replicas, updated, ready, old, rolling, failed;
};

static struct wstatus workload_status(struct k8s_sim *k, struct kobj *o, int64_t now)
{
	struct wstatus w = { 0 };
	int R = iget(o->obj, "spec.replicas", 1);
	int64_t D = k->rollout_ms;
	/* a scenario marks a workload whose rollouts never finish with this annotation */
	jv ann = jget(o->obj, "metadata.annotations");
	const char *f2 = jvx_str(ann, "sim.runbook/fail-rollout");
	w.failed = f2 && !strcmp(f2, "true");
	jv_free(ann);
	w.replicas = R;
	w.rolling = o->old_hash[0] && (w.failed || now < o->t_roll + D);
	if (w.rolling) {
		double p = w.failed ? 0 : (double)(now - o->t_roll) / (double)(D ? D : 1);
		w.updated = (int)(R * p);
		if (w.updated >= R)
			w.updated = R > 0 ? R - 1 : 0;
		w.old = R - w.updated;
		w.ready = R > 0 ? R - (w.updated < R ? 1 : 0) : 0;
		if (w.failed)
			w.ready = R > 0 ? R - 1 : 0;
	} else {
		w.updated = R;
		/* replicas changed: new pods become ready over half a rollout */
		int64_t half = D / 2 ? D / 2 : 1;
		if (R > o->from_ready && now < o->t_scale + half)
			w.ready = o->from_ready + (int)((R - o->from_ready) * (double)(now - o->t_scale) / (double)half);
		else
			w.ready = R;
	}
	return w;
}

static jv condition(const char *type, const char *status, const char *reason, const char *msg, int64_t t)
{
	char ts[32];
	jv c = jv_object();
	c = jv_object_set(c, jv_string("type"), jv_string(type));
	c = jv_object_set(c, jv_string("status"), jv_string(status));
	c = jv_object_set(c, jv_string("reason"), jv_string(reason));
	c = jv_object_set(c, jv_string("message"), jv_string(msg));
	c = jv_object_set(c, jv_string("lastUpdateTime"), jv_string(iso(t, ts, sizeof(ts))));
	c = jv_object_set(c, jv_string("lastTransitionTime"), jv_string(iso(t, ts, sizeof(ts))));
	return c;
}

/* what the status of every workload says */
static jv common_status(struct kobj *o, struct wstatus *w)
{
	jv st = jv_object();
	int gen = iget(o->obj, "metadata.generation", 1);
	st = jv_object_set(st, jv_string("observedGeneration"), jv_number(gen));
	st = jv_object_set(st, jv_string("replicas"), jv_number(w->updated + (w->rolling ? w->old : 0)));
	st = jv_object_set(st, jv_string("updatedReplicas"), jv_number(w->updated));
	st = jv_object_set(st, jv_string("readyReplicas"), jv_number(w->ready));
	st = jv_object_set(st, jv_string("availableReplicas"), jv_number(w->ready));
	return st;
}

jv sim_k8s_deployment_status(struct k8s_sim *k, struct kobj *o, int64_t now)
{
	struct wstatus w = workload_status(k, o, now);
	char name[256], msg[512];
	sget(o->obj, "metadata.name", name, sizeof(name));
	jv st = common_status(o, &w);
	if (w.replicas - w.ready > 0)
		st = jv_object_set(st, jv_string("unavailableReplicas"), jv_number(w.replicas - w.ready));
	jv conds = jv_array();
	conds = jv_array_append(conds, w.ready >= w.replicas || w.ready > 0
		? condition("Available", "True", "MinimumReplicasAvailable",
			    "Deployment has minimum availability.", o->t_scale)
		: condition("Available", "False", "MinimumReplicasUnavailable",
			    "Deployment does not have minimum availability.", o->t_scale));
	int64_t deadline = (int64_t)iget(o->obj, "spec.progressDeadlineSeconds",
					 (int)(k->deadline_ms / 1000)) * 1000;
	if (w.failed && w.rolling && now >= o->t_roll + deadline) {
		snprintf(msg, sizeof(msg), "ReplicaSet \"%s-%s\" has timed out progressing.", name, o->hash);
		conds = jv_array_append(conds, condition("Progressing", "False", "ProgressDeadlineExceeded",
							 msg, o->t_roll + deadline));
	} else if (w.rolling) {
		snprintf(msg, sizeof(msg), "ReplicaSet \"%s-%s\" is progressing.", name, o->hash);
		conds = jv_array_append(conds, condition("Progressing", "True", "ReplicaSetUpdated", msg, o->t_roll));
	} else {
		snprintf(msg, sizeof(msg), "ReplicaSet \"%s-%s\" has successfully progressed.", name, o->hash);
		conds = jv_array_append(conds, condition("Progressing", "True", "NewReplicaSetAvailable", msg,
							 o->t_roll));
	}
	st = jv_object_set(st, jv_string("conditions"), conds);
	return st;
}

jv sim_k8s_statefulset_status(struct k8s_sim *k, struct kobj *o, int64_t now)
{
	struct wstatus w = workload_status(k, o, now);
	char name[256];
	sget(o->obj, "metadata.name", name, sizeof(name));
	jv st = common_status(o, &w);
	char cur[300], upd[300];
	snprintf(upd, sizeof(upd), "%s-%s", name, o->hash);
	snprintf(cur, sizeof(cur), "%s-%s", name, w.rolling ? o->old_hash : o->hash);
	st = jv_object_set(st, jv_string("currentReplicas"), jv_number(w.rolling ? w.old : w.replicas));
	st = jv_object_set(st, jv_string("currentRevision"), jv_string(cur));
	st = jv_object_set(st, jv_string("updateRevision"), jv_string(upd));
	st = jv_object_set(st, jv_string("collisionCount"), jv_number(0));
	return st;
}

/* desired pods of a workload; add and remove pods to match (pods are derived). Adding
 * may move the objects, so everything needed from the workload is copied first. */
static void sync_pods(struct k8s_sim *k, kh wid, struct wstatus *st, int64_t now)
{
	char wname[256] = "", ns[256] = "", pname[300], b[300], whash[16], wold[16], owner[512];
	struct kobj *w = sim_k8s_at(k, wid);
	if (!w)
		return;
	sget(w->obj, "metadata.name", wname, sizeof(wname));
	sget(w->obj, "metadata.namespace", ns, sizeof(ns));
	const char *kind = kres(w->res)->kind;
	int ordinals = kres(w->res)->ordinals;
	snprintf(owner, sizeof(owner), "%s/%s", ns, wname);
	memcpy(whash, w->hash, sizeof(whash));
	memcpy(wold, w->old_hash, sizeof(wold));
	jv tlabels = jget(w->obj, "spec.template.metadata.labels");
	jv tspec = jget(w->obj, "spec.template.spec");
	w = NULL;                /* stale after the first add */
	if (jv_get_kind(tlabels) != JV_KIND_OBJECT) {
		jv_free(tlabels);
		tlabels = jv_object();
	}
	int want_new = st->updated, want_old = st->rolling ? st->old : 0;
	/* existing pods of this workload */
	for (kh ph = sim_k8s_first(k), next; ph; ph = next) {
		struct kobj *p = sim_k8s_at(k, ph);
		next = sim_k8s_next(k, ph);
		if (p->res != R_POD || strcmp(p->owner_kind, kind) || strcmp(p->owner, owner))
			continue;
		const char *h = sget(p->obj, "metadata.labels.pod-template-hash", b, sizeof(b));
		int is_new = h && !strcmp(h, whash), is_old = h && st->rolling && !strcmp(h, wold);
		if (is_new && want_new > 0)
			want_new--;
		else if (is_old && want_old > 0)
			want_old--;
		else
			sim_k8s_del(k, ph);
	}
	for (int pass = 0; pass < 2; pass++) {
		int want = pass ? want_old : want_new;
		const char *hash = pass ? wold : whash;
		for (int j = 0; j < want; j++) {
			unsigned char r[3];
			RAND_bytes(r, sizeof(r));
			if (ordinals)
				snprintf(pname, sizeof(pname), "%s-%d", wname, st->replicas - want + j);
			else
				snprintf(pname, sizeof(pname), "%s-%s-%c%c%c%c%c", wname, hash, 'a' + r[0] % 26,
					 '0' + r[1] % 10, 'a' + r[2] % 26, 'b' + r[0] % 24, '2' + r[1] % 8);
			jv pod = jv_object();
			pod = jv_object_set(pod, jv_string("apiVersion"), jv_string("v1"));
			pod = jv_object_set(pod, jv_string("kind"), jv_string("Pod"));
			jv labels = jv_object_set(jv_copy(tlabels), jv_string("pod-template-hash"), jv_string(hash));
			pod = jset(pod, "metadata.name", jv_string(pname));
			pod = jset(pod, "metadata.namespace", jv_string(ns));
			pod = jset(pod, "metadata.labels", labels);
			pod = jset(pod, "spec", jv_copy(tspec));
			pod = jset(pod, "status.phase", jv_string("Running"));
			jv cs = jv_array();
			cs = jv_array_append(cs, condition("Ready", "True", "", "", now));
			pod = jset(pod, "status.conditions", cs);
			sim_k8s_new_meta(k, &pod, now);
			struct kobj *p = sim_k8s_at(k, sim_k8s_add(k, R_POD, pod));
			snprintf(p->owner_kind, sizeof(p->owner_kind), "%s", kind);
			snprintf(p->owner, sizeof(p->owner), "%s", owner);
			sim_k8s_touch(k, p, 0);
		}
	}
	jv_free(tlabels);
	jv_free(tspec);
}

/* a workload's status up to the clock (a change is a watch event), then its pods */
void sim_k8s_workload_tick(struct k8s_sim *k, kh h, int64_t now)
{
	struct kobj *o = sim_k8s_at(k, h);
	if (o->old_hash[0] && now >= o->t_roll + k->rollout_ms) {
		struct wstatus w0 = workload_status(k, o, now);
		if (!w0.rolling)
			o->old_hash[0] = 0;       /* rollout finished */
	}
	jv st = kres(o->res)->status(k, o, now);
	jv cur = jget(o->obj, "status");
	if (!jv_equal(cur, jv_copy(st))) {
		o->obj = jv_object_set(o->obj, jv_string("status"), st);
		sim_k8s_touch(k, o, 1);
	} else {
		jv_free(st);
	}
	struct wstatus w = workload_status(k, o, now);
	sync_pods(k, h, &w, now);       /* o is stale after it */
}

/* a workload's spec was written: new generation, maybe a rollout or a scale */
void sim_k8s_workload_written(struct k8s_sim *k, struct kobj *o, jv old, int64_t now)
{
	char h[16];
	template_hash(o->obj, h);
	int gen = iget(old, "metadata.generation", 0);
	jv os = jget(old, "spec"), ns = jget(o->obj, "spec");
	int changed = !jv_equal(os, ns) || !jv_is_valid(old) || gen == 0;
	o->obj = jset(o->obj, "metadata.generation", jv_number(changed ? gen + 1 : (gen ? gen : 1)));
	if (!o->hash[0]) {                       /* created */
		memcpy(o->hash, h, sizeof(h));
		o->t_roll = o->t_scale = now;
		o->from_ready = 0;
		return;
	}
	int R_old = iget(old, "spec.replicas", 1), R = iget(o->obj, "spec.replicas", 1);
	if (strcmp(h, o->hash)) {
		memcpy(o->old_hash, o->hash, sizeof(o->old_hash));
		memcpy(o->hash, h, sizeof(o->hash));
		o->t_roll = now;
	}
	if (R != R_old) {
		/* new pods become ready from what was ready before the change */
		int ready = iget(old, "status.readyReplicas", 0);
		o->from_ready = ready < R ? ready : R;
		o->t_scale = now;
	}
}

/* spec.replicas: an integer 0..REPLICAS_MAX (the simulator's cap); v consumed */
int sim_k8s_replicas_ok(jv v)
{
	int ok = jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= 0 &&
		 jv_number_value(v) <= REPLICAS_MAX && jv_number_value(v) == (int)jv_number_value(v);
	jv_free(v);
	return ok;
}

/* spec.replicas defaulted to 1 and checked */
static int replicas_normalize(int res, jv *obj, struct kreq *r, struct kresp *o)
{
	jv rep = jget(*obj, "spec.replicas");
	if (jv_get_kind(rep) == JV_KIND_NULL)
		*obj = jset(*obj, "spec.replicas", jv_number(1));
	else if (!sim_k8s_replicas_ok(jv_copy(rep))) {
		jv_free(rep);
		sim_k8s_fail(o, 422, "Invalid", r, jv_invalid(), "%s.apps \"%s\" is invalid: spec.replicas: Invalid "
			     "value: must be an integer from 0 to %d", kres(res)->kind, r->name ? r->name : "",
			     REPLICAS_MAX);
		return -1;
	}
	jv_free(rep);
	return 0;
}

/* spec.selector.matchLabels defaults to the template's labels */
static void selector_normalize(jv *obj)
{
	jv tl = jget(*obj, "spec.template.metadata.labels"), sel = jget(*obj, "spec.selector.matchLabels");
	if (jv_get_kind(sel) != JV_KIND_OBJECT && jv_get_kind(tl) == JV_KIND_OBJECT)
		*obj = jset(*obj, "spec.selector.matchLabels", jv_copy(tl));
	jv_free(tl);
	jv_free(sel);
}

int sim_k8s_deployment_normalize(struct k8s_sim *k, int res, jv *obj, struct kreq *r, struct kresp *o)
{
	if (replicas_normalize(res, obj, r, o) < 0)
		return -1;
	jv strat = jget(*obj, "spec.strategy.type");
	if (jv_get_kind(strat) != JV_KIND_STRING)
		*obj = jset(*obj, "spec.strategy", jv_parse("{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
							   "{\"maxSurge\":\"25%\",\"maxUnavailable\":\"25%\"}}"));
	jv_free(strat);
	selector_normalize(obj);
	return 0;
}

int sim_k8s_statefulset_normalize(struct k8s_sim *k, int res, jv *obj, struct kreq *r, struct kresp *o)
{
	if (replicas_normalize(res, obj, r, o) < 0)
		return -1;
	selector_normalize(obj);
	return 0;
}

/* a workload's pods go with it */
int sim_k8s_workload_owns(struct k8s_sim *k, const struct kobj *w, const struct kobj *o)
{
	char name[256] = "", ns[256] = "", owner[512];
	sget(w->obj, "metadata.name", name, sizeof(name));
	sget(w->obj, "metadata.namespace", ns, sizeof(ns));
	snprintf(owner, sizeof(owner), "%s/%s", ns, name);
	return o->res == R_POD && !strcmp(o->owner_kind, kres(w->res)->kind) && !strcmp(o->owner, owner);
}

/* a scenario's workloads start finished: their rollouts happened long ago */
void sim_k8s_workload_settle(struct k8s_sim *k, struct kobj *o, int64_t now)
{
	o->t_roll = o->t_scale = now - 86400000;
	o->from_ready = iget(o->obj, "spec.replicas", 1);
}
