/* k8s_store.c — the simulated Kubernetes API's object store: the kinds it serves
 * (sim_k8s_resources[]), the objects by handle in creation order, resourceVersions and
 * the change log watchers read (see k8s_int.h).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "k8s_int.h"
#include "../core/b64.h"
#include "../core/bug.h"
#include "../core/jvx.h"

/* ------------------------------------------------------------------ kinds */

/* stringData folded into data (base64), data checked, type defaulted */
static int secret_normalize(struct k8s_sim *k, int res, jv *obj, struct kreq *r, struct kresp *o)
{
	jv sd = jget(*obj, "stringData");
	if (jv_get_kind(sd) == JV_KIND_OBJECT) {
		jv data = jget(*obj, "data");
		if (jv_get_kind(data) != JV_KIND_OBJECT) {
			jv_free(data);
			data = jv_object();
		}
		jv_object_foreach(sd, key, v) {
			const char *s = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "";
			char *b64 = b64_encode(s, strlen(s), 0);
			data = jv_object_set(data, key, jv_string(b64));
			free(b64);
			jv_free(v);
		}
		*obj = jv_object_set(*obj, jv_string("data"), data);
	}
	jv_free(sd);
	*obj = jv_object_delete(*obj, jv_string("stringData"));
	jv data = jget(*obj, "data");
	if (jv_get_kind(data) == JV_KIND_OBJECT) {
		int bad = 0;
		jv_object_foreach(data, key, v) {
			const char *s = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;
			unsigned char *tmp = s ? b64_decode(s, strlen(s), NULL) : NULL;
			if (!tmp) {
				if (!bad) {
					jv cause = jv_object();
					cause = jv_object_set(cause, jv_string("reason"), jv_string("FieldValueInvalid"));
					cause = jv_object_set(cause, jv_string("message"),
							      jv_string("Invalid value: illegal base64 data"));
					cause = jv_object_set(cause, jv_string("field"),
							      jv_string_fmt("data[%s]", jv_string_value(key)));
					sim_k8s_fail(o, 422, "Invalid", r, jv_array_append(jv_array(), cause),
					     "Secret \"%s\" is invalid: data[%s]: Invalid value: "
					     "illegal base64 data", r->name ? r->name : "",
					     jv_string_value(key));
				}
				bad = 1;
			}
			free(tmp);
			jv_free(key);
			jv_free(v);
		}
		if (bad) {
			jv_free(data);
			return -1;
		}
	}
	jv_free(data);
	jv ty = jget(*obj, "type");
	if (jv_get_kind(ty) != JV_KIND_STRING)
		*obj = jv_object_set(*obj, jv_string("type"), jv_string("Opaque"));
	jv_free(ty);
	return 0;
}

/* a cluster IP and a type */
static int service_normalize(struct k8s_sim *k, int res, jv *obj, struct kreq *r, struct kresp *o)
{
	jv ip = jget(*obj, "spec.clusterIP");
	if (jv_get_kind(ip) != JV_KIND_STRING)
		*obj = jset(*obj, "spec.clusterIP", jv_string_fmt("10.96.%d.%d", (int)(k->uid_seq / 250) % 250,
								  (int)(k->uid_seq % 250) + 2));
	jv_free(ip);
	jv ty = jget(*obj, "spec.type");
	if (jv_get_kind(ty) != JV_KIND_STRING)
		*obj = jset(*obj, "spec.type", jv_string("ClusterIP"));
	jv_free(ty);
	return 0;
}

/* a LoadBalancer Service gets its load balancer's address, as the cloud controller
 * writes it (an ELB hostname, AWS style); other types have an empty status */
static void service_written(struct k8s_sim *k, struct kobj *o, jv old, int64_t now)
{
	char type[32], name[256], ns[256];
	if (!sget(o->obj, "spec.type", type, sizeof(type)) || strcmp(type, "LoadBalancer")) {
		o->obj = jset(o->obj, "status", jv_parse("{\"loadBalancer\":{}}"));
		return;
	}
	if (!sget(o->obj, "metadata.name", name, sizeof(name)) || !sget(o->obj, "metadata.namespace", ns, sizeof(ns)))
		return;
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a of "namespace/name": stable across runs */
	for (const char *p = ns; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	jv ing = jv_object_set(jv_object(), jv_string("hostname"),
			       jv_string_fmt("a%016llx-%u.us-east-1.elb.amazonaws.com", (unsigned long long)h,
					     (unsigned)(h % 1000000000u)));
	o->obj = jset(o->obj, "status.loadBalancer.ingress", jv_array_append(jv_array(), ing));
}

static int namespace_normalize(struct k8s_sim *k, int res, jv *obj, struct kreq *r, struct kresp *o)
{
	*obj = jset(*obj, "status.phase", jv_string("Active"));
	return 0;
}

/* a namespace is Active (its status is the server's: set again once stored) */
static void namespace_written(struct k8s_sim *k, struct kobj *o, jv old, int64_t now)
{
	o->obj = jset(o->obj, "status.phase", jv_string("Active"));
}

/* a namespace's objects go with it */
static int namespace_owns(struct k8s_sim *k, const struct kobj *ns, const struct kobj *o)
{
	char b[256], name[256];
	const char *ons = sget(o->obj, "metadata.namespace", b, sizeof(b));
	const char *n = sget(ns->obj, "metadata.name", name, sizeof(name));
	return kres(o->res)->namespaced && ons && n && !strcmp(ons, n);
}

static const char *const cols_deploy[] = { "Ready", "Up-to-date", "Available", NULL };
static const char *const cols_sts[] = { "Ready", NULL };
static const char *const cols_pod[] = { "Ready", "Status", "Restarts", NULL };
static const char *const cols_cm[] = { "Data", NULL };
static const char *const cols_secret[] = { "Type", "Data", NULL };
static const char *const cols_svc[] = { "Type", "Cluster-IP", "External-IP", "Port(s)", NULL };
static const char *const cols_ns[] = { "Status", NULL };
static const char *const cols_rs[] = { "Desired", "Current", "Ready", NULL };

const struct k8s_res sim_k8s_resources[R__N] = {
	[R_NAMESPACE] = { "", "v1", "namespaces", "namespace", "Namespace", "ns", .columns = cols_ns,
			  .normalize = namespace_normalize, .written = namespace_written, .owns = namespace_owns,
			  .cells = sim_k8s_namespace_cells },
	[R_CONFIGMAP] = { "", "v1", "configmaps", "configmap", "ConfigMap", "cm", .namespaced = 1, .columns = cols_cm,
			  .cells = sim_k8s_configmap_cells },
	[R_SECRET] = { "", "v1", "secrets", "secret", "Secret", "", .namespaced = 1, .columns = cols_secret,
		       .normalize = secret_normalize, .cells = sim_k8s_secret_cells },
	[R_SERVICE] = { "", "v1", "services", "service", "Service", "svc", .namespaced = 1, .columns = cols_svc,
			.normalize = service_normalize, .written = service_written, .cells = sim_k8s_service_cells },
	[R_POD] = { "", "v1", "pods", "pod", "Pod", "po", .namespaced = 1, .all = 1, .columns = cols_pod,
		    .written = sim_k8s_pod_written, .cells = sim_k8s_pod_cells },
	[R_EVENT] = { "", "v1", "events", "event", "Event", "ev", .namespaced = 1 },
	[R_DEPLOYMENT] = { "apps", "v1", "deployments", "deployment", "Deployment", "deploy", .namespaced = 1,
			   .scale = 1, .all = 1, .columns = cols_deploy,
			   .normalize = sim_k8s_deployment_normalize, .written = sim_k8s_workload_written,
			   .status = sim_k8s_deployment_status, .tick = sim_k8s_workload_tick,
			   .owns = sim_k8s_workload_owns, .settle = sim_k8s_workload_settle,
			   .cells = sim_k8s_deployment_cells },
	[R_STATEFULSET] = { "apps", "v1", "statefulsets", "statefulset", "StatefulSet", "sts", .namespaced = 1,
			    .scale = 1, .all = 1, .ordinals = 1, .columns = cols_sts,
			    .normalize = sim_k8s_statefulset_normalize, .written = sim_k8s_workload_written,
			    .status = sim_k8s_statefulset_status, .tick = sim_k8s_workload_tick,
			    .owns = sim_k8s_workload_owns, .settle = sim_k8s_workload_settle,
			    .cells = sim_k8s_statefulset_cells },
	[R_REPLICASET] = { "apps", "v1", "replicasets", "replicaset", "ReplicaSet", "rs", .namespaced = 1,
			   .columns = cols_rs, .cells = sim_k8s_replicaset_cells },
};

const char *sim_k8s_api_version(int r)
{
	return kres(r)->group[0] ? "apps/v1" : "v1";
}

int sim_k8s_res_by_kind(const char *api, const char *kind)
{
	for (int i = 0; i < R__N; i++)
		if (!strcmp(kres(i)->kind, kind) && (!api || !strcmp(api, sim_k8s_api_version(i))))
			return i;
	return -1;
}

/* ------------------------------------------------------------------ handles */

static kh handle_of(struct k8s_sim *k, int slot)
{
	return ((uint64_t)k->slots[slot].gen << 32) | (uint64_t)(slot + 1);
}

/* the live slot of h, or -1 */
static int slot_of(struct k8s_sim *k, kh h)
{
	uint64_t i = h & 0xffffffffu;
	if (!i || i > (uint64_t)k->nslots)
		return -1;
	struct kslot *s = &k->slots[i - 1];
	return s->live && s->gen == (uint32_t)(h >> 32) ? (int)(i - 1) : -1;
}

kh sim_k8s_add(struct k8s_sim *k, int res, jv obj)
{
	int i = k->free_slot;
	if (i >= 0) {
		k->free_slot = k->slots[i].next;
	} else {
		ALLOC_GROW(k->slots, k->nslots + 1, k->aslots);
		i = k->nslots++;
		k->slots[i].gen = 0;
	}
	struct kslot *s = &k->slots[i];
	memset(&s->o, 0, sizeof(s->o));
	s->o.res = res;
	s->o.obj = obj;
	s->o.owners = jv_object();
	s->live = 1;
	s->prev = k->tail;
	s->next = -1;
	if (k->tail >= 0)
		k->slots[k->tail].next = i;
	else
		k->head = i;
	k->tail = i;
	k->n++;
	return handle_of(k, i);
}

void sim_k8s_del(struct k8s_sim *k, kh h)
{
	int i = slot_of(k, h);
	if (i < 0)
		return;
	struct kslot *s = &k->slots[i];
	sim_k8s_touch(k, &s->o, 2);
	jv_free(s->o.obj);
	jv_free(s->o.owners);
	if (s->prev >= 0)
		k->slots[s->prev].next = s->next;
	else
		k->head = s->next;
	if (s->next >= 0)
		k->slots[s->next].prev = s->prev;
	else
		k->tail = s->prev;
	s->live = 0;
	s->gen++;
	s->prev = -1;
	s->next = k->free_slot;
	k->free_slot = i;
	k->n--;
}

struct kobj *sim_k8s_at(struct k8s_sim *k, kh h)
{
	int i = slot_of(k, h);
	return i < 0 ? NULL : &k->slots[i].o;
}

kh sim_k8s_first(struct k8s_sim *k)
{
	return k->head >= 0 ? handle_of(k, k->head) : 0;
}

kh sim_k8s_next(struct k8s_sim *k, kh h)
{
	int i = slot_of(k, h);
	if (i < 0)
		BUG("the next object after a deleted one");
	return k->slots[i].next >= 0 ? handle_of(k, k->slots[i].next) : 0;
}

kh sim_k8s_find(struct k8s_sim *k, int res, const char *ns, const char *name)
{
	char b1[256], b2[256];
	for (kh h = sim_k8s_first(k); h; h = sim_k8s_next(k, h)) {
		struct kobj *o = sim_k8s_at(k, h);
		if (o->res != res)
			continue;
		const char *on = sget(o->obj, "metadata.name", b1, sizeof(b1));
		const char *ons = sget(o->obj, "metadata.namespace", b2, sizeof(b2));
		if (on && !strcmp(on, name) && (!kres(res)->namespaced || (ons && ns && !strcmp(ons, ns))))
			return h;
	}
	return 0;
}

void sim_k8s_store_release(struct k8s_sim *k)
{
	for (int i = 0; i < k->nslots; i++) {
		if (!k->slots[i].live)
			continue;
		jv_free(k->slots[i].o.obj);
		jv_free(k->slots[i].o.owners);
	}
	free(k->slots);
	k->slots = NULL;
	k->nslots = k->aslots = k->n = 0;
	k->head = k->tail = k->free_slot = -1;
	for (int j = 0; j < k->ev_n; j++)
		jv_free(k->ev[(k->ev_head + j) % EVENTS_KEPT].obj);
	k->ev_n = 0;
}

void sim_k8s_tick(struct k8s_sim *k, int64_t now)
{
	/* a tick may add and delete objects: walk by handle, not by pointer */
	for (kh h = sim_k8s_first(k); h; h = sim_k8s_next(k, h)) {
		const struct k8s_res *res = kres(sim_k8s_at(k, h)->res);
		if (!res->tick)
			continue;
		res->tick(k, h, now);
		if (!sim_k8s_at(k, h))
			BUG("an object vanished while its computed status was brought up to now");
	}
}

/* ------------------------------------------------------------------ changes */

static void log_event(struct k8s_sim *k, int type, struct kobj *o)
{
	int slot;
	if (k->ev_n < EVENTS_KEPT) {
		slot = (k->ev_head + k->ev_n) % EVENTS_KEPT;
		k->ev_n++;
	} else {
		slot = k->ev_head;
		jv_free(k->ev[slot].obj);
		k->ev_head = (k->ev_head + 1) % EVENTS_KEPT;
	}
	k->ev[slot].rv = k->rv;
	k->ev[slot].type = type;
	k->ev[slot].res = o->res;
	k->ev[slot].obj = jv_copy(o->obj);
}

void sim_k8s_touch(struct k8s_sim *k, struct kobj *o, int type)
{
	char b[32];
	k->rv++;
	snprintf(b, sizeof(b), "%llu", (unsigned long long)k->rv);
	o->obj = jset(o->obj, "metadata.resourceVersion", jv_string(b));
	log_event(k, type, o);
}

void sim_k8s_new_meta(struct k8s_sim *k, jv *obj, int64_t now)
{
	char ts[32], uid[48];
	unsigned char r[16];
	RAND_bytes(r, sizeof(r));
	snprintf(uid, sizeof(uid), "%02x%02x%02x%02x-%02x%02x-4%x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6] & 15, r[7], (r[8] & 0x3f) | 0x80, r[9], r[10],
		 r[11], r[12], r[13], r[14], r[15]);
	*obj = jset(*obj, "metadata.uid", jv_string(uid));
	*obj = jset(*obj, "metadata.creationTimestamp", jv_string(iso(now, ts, sizeof(ts))));
	k->uid_seq++;
}
