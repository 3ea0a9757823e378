/* k8s_store.c — the simulated Kubernetes API's object store: the kinds it serves
 * (sim_k8s_resources[]), the objects by handle in creation order, resourceVersions and
 * the change log watchers read (see k8s_int.h).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include "k8s_int.h"
#include "../core/bug.h"

static const char *const cols_deploy[] = { "Ready", "Up-to-date", "Available", NULL };
static const char *const cols_sts[] = { "Ready", NULL };
static const char *const cols_pod[] = { "Ready", "Status", "Restarts", NULL };
static const char *const cols_cm[] = { "Data", NULL };
static const char *const cols_secret[] = { "Type", "Data", NULL };
static const char *const cols_svc[] = { "Type", "Cluster-IP", "External-IP", "Port(s)", NULL };
static const char *const cols_ns[] = { "Status", NULL };
static const char *const cols_rs[] = { "Desired", "Current", "Ready", NULL };

const struct k8s_res sim_k8s_resources[R__N] = {
	[R_NAMESPACE] = { "", "v1", "namespaces", "namespace", "Namespace", "ns", 0, 0, 0, 0, cols_ns, NULL },
	[R_CONFIGMAP] = { "", "v1", "configmaps", "configmap", "ConfigMap", "cm", 1, 0, 0, 0, cols_cm, NULL },
	[R_SECRET] = { "", "v1", "secrets", "secret", "Secret", "", 1, 0, 0, 0, cols_secret, NULL },
	[R_SERVICE] = { "", "v1", "services", "service", "Service", "svc", 1, 0, 0, 0, cols_svc, NULL },
	[R_POD] = { "", "v1", "pods", "pod", "Pod", "po", 1, 0, 0, 1, cols_pod, NULL },
	[R_EVENT] = { "", "v1", "events", "event", "Event", "ev", 1, 0, 0, 0, NULL, NULL },
	[R_DEPLOYMENT] = { "apps", "v1", "deployments", "deployment", "Deployment", "deploy", 1, 1, 1, 1,
			   cols_deploy, NULL },
	[R_STATEFULSET] = { "apps", "v1", "statefulsets", "statefulset", "StatefulSet", "sts", 1, 1, 1, 1,
			    cols_sts, NULL },
	[R_REPLICASET] = { "apps", "v1", "replicasets", "replicaset", "ReplicaSet", "rs", 1, 0, 0, 0, cols_rs, NULL },
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
