/* k8s_int.h — the simulated Kubernetes API's internals (owner: sim; private to the
 * k8s_*.c files of interpreter/sim/; the rest of the simulator uses k8s.h).
 *
 * The world is an object store (k8s_store.c) of struct kobj, each named by a handle:
 * a slot index and that slot's generation. A pointer from sim_k8s_at() is valid only
 * until the next sim_k8s_add() (the slots may move) or the deletion of that object;
 * anything kept across an insertion is a handle, resolved again after it (NULL once the
 * object is gone). Lists are served in creation order, which the store keeps.
 *
 * Every kind the simulator serves is a row of sim_k8s_resources[]: its names, its table
 * columns, and hooks for what differs between kinds (defaults on write, a computed
 * status and pods for workloads, what a deletion takes with it, table cells).
 * Threading: everything here runs with k->lock held.
 */
#ifndef RB_SIM_K8S_INT_H
#define RB_SIM_K8S_INT_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <jv.h>
#include "k8s.h"
#include "../core/buf.h"
#include "../core/jvx.h"

#define REPLICAS_MAX 1000         /* pods are objects in memory: runbook-scenario(5) */
#define EVENTS_KEPT 4096          /* watch history; older resourceVersions get 410 Gone */
#define WATCH_TICK_MS 100         /* how often a waiting watch looks at the world */

struct k8s_sim;
struct kobj;
struct kreq;
struct kresp;
struct MHD_Connection;

/* ------------------------------------------------------------------ resources */

enum { R_NAMESPACE, R_CONFIGMAP, R_SECRET, R_SERVICE, R_POD, R_EVENT, R_DEPLOYMENT,
       R_STATEFULSET, R_REPLICASET, R__N };

/* a handle: (generation << 32) | (slot + 1); 0 = none */
typedef uint64_t kh;

struct k8s_res {
	const char *group, *version, *name, *singular, *kind, *shorts;
	int namespaced;
	int scale;               /* has the scale subresource */
	int all;                 /* in the "all" category */
	int ordinals;            /* its pods are named NAME-0, NAME-1, ... (StatefulSet) */
	const char *const *columns;  /* Table columns after Name; NULL = none (Age only) */

	/* hooks: what differs between kinds (NULL: nothing to do) */
	/* what the API server does to every object written (create, replace, patch):
	 * defaults and derived fields; 0, or -1 with o filled (invalid object) */
	int (*normalize)(struct k8s_sim *k, int res, jv *obj, struct kreq *r, struct kresp *o);
	/* the object was stored (old: what it replaced, invalid when created) */
	void (*written)(struct k8s_sim *k, struct kobj *o, jv old, int64_t now);
	/* the status the server computes (and a status subresource) */
	jv (*status)(struct k8s_sim *k, struct kobj *o, int64_t now);
	/* bring what is computed (status, pods) up to now; may add and delete objects */
	void (*tick)(struct k8s_sim *k, kh h, int64_t now);
	/* o goes when owner goes: a namespace's objects, a workload's pods */
	int (*owns)(struct k8s_sim *k, const struct kobj *owner, const struct kobj *o);
	/* a scenario's object at start: settled as if created long ago */
	void (*settle)(struct k8s_sim *k, struct kobj *o, int64_t now);
	/* Table cells after Name (c consumed and returned) */
	jv (*cells)(jv c, jv obj);
};

extern const struct k8s_res sim_k8s_resources[R__N];
static inline const struct k8s_res *kres(int r)
{
	return &sim_k8s_resources[r];
}

/* "v1" or "apps/v1" */
const char *sim_k8s_api_version(int r);
/* the resource of a kind ("Deployment", api NULL = any), or -1 */
int sim_k8s_res_by_kind(const char *api, const char *kind);

/* ------------------------------------------------------------------ workloads (k8s_workload.c) */

/* spec.replicas is an integer 0..REPLICAS_MAX (v consumed) */
int sim_k8s_replicas_ok(jv v);
int sim_k8s_deployment_normalize(struct k8s_sim *k, int res, jv *obj, struct kreq *r, struct kresp *o);
int sim_k8s_statefulset_normalize(struct k8s_sim *k, int res, jv *obj, struct kreq *r, struct kresp *o);
void sim_k8s_workload_written(struct k8s_sim *k, struct kobj *o, jv old, int64_t now);
jv sim_k8s_deployment_status(struct k8s_sim *k, struct kobj *o, int64_t now);
jv sim_k8s_statefulset_status(struct k8s_sim *k, struct kobj *o, int64_t now);
void sim_k8s_workload_tick(struct k8s_sim *k, kh h, int64_t now);
int sim_k8s_workload_owns(struct k8s_sim *k, const struct kobj *w, const struct kobj *o);
void sim_k8s_workload_settle(struct k8s_sim *k, struct kobj *o, int64_t now);

/* bare pods: the scenario's k8s.run rules, their log, attach and exec (k8s_run.c) */
void sim_k8s_pod_written(struct k8s_sim *k, struct kobj *o, jv old, int64_t now);
void sim_k8s_pod_sub(struct k8s_sim *k, struct kreq *r, struct kresp *o);

/* Table cells of the kinds (k8s_output.c) */
jv sim_k8s_namespace_cells(jv c, jv obj);
jv sim_k8s_configmap_cells(jv c, jv obj);
jv sim_k8s_secret_cells(jv c, jv obj);
jv sim_k8s_service_cells(jv c, jv obj);
jv sim_k8s_pod_cells(jv c, jv obj);
jv sim_k8s_deployment_cells(jv c, jv obj);
jv sim_k8s_statefulset_cells(jv c, jv obj);
jv sim_k8s_replicaset_cells(jv c, jv obj);

/* ------------------------------------------------------------------ the store */

struct kobj {
	int res;
	jv obj;                  /* the API object as served */
	int64_t t_roll;          /* workloads: when the current rollout started */
	int64_t t_scale;         /* when replicas last changed */
	int from_ready;          /* ready replicas when replicas last changed */
	char hash[16];           /* template hash of the current revision */
	char old_hash[16];       /* of the revision being replaced ("" none) */
	jv owners;               /* {"<kpath json>": manager} field ownership */
	char owner_kind[16];     /* pods: owning workload */
	char owner[512];         /* "namespace/name" of that workload */
};

struct kslot {
	struct kobj o;
	uint32_t gen;            /* bumped when the slot is freed: old handles miss */
	int live;
	int prev, next;          /* creation order among live slots; free list when not live */
};

struct kev {
	uint64_t rv;
	int type;                /* 0 ADDED 1 MODIFIED 2 DELETED */
	int res;
	jv obj;
};

struct k8s_sim {
	pthread_mutex_t lock;
	struct rb_clock *clock;
	struct kslot *slots;     /* see kh */
	int nslots, aslots;
	int head, tail;          /* oldest and newest live slot, -1 none */
	int free_slot;           /* first free slot, -1 none */
	int n;                   /* live objects */
	uint64_t rv;
	struct kev ev[EVENTS_KEPT];
	int ev_head, ev_n;       /* ring */
	int64_t rollout_ms;
	int64_t deadline_ms;     /* progressDeadlineSeconds default */
	jv tokens;               /* {token: {user, expired}} */
	char *namespace;         /* the kubeconfig's namespace */
	struct k8s_pki pki;
	int tls;
	struct sim_http *http;   /* the HTTP front end (http.c), NULL without one */
	char endpoint[80];
	atomic_int stopping;
	jv c_requests, c_mutating;
	uint64_t uid_seq;
	FILE *log;               /* the request log, NULL none (not owned) */
	int started;             /* the scenario's objects are in: pods run (k8s_run.c) */
	jv run_rules;            /* the scenario's k8s.run: [{image, run | stub}] */
	jv pod_logs;             /* {"ns/name": what a finished bare pod printed} */
};

/* a new object (obj consumed) at the end of the creation order; its handle */
kh sim_k8s_add(struct k8s_sim *k, int res, jv obj);
/* delete the object of h (a DELETED event first); nothing when it is gone */
void sim_k8s_del(struct k8s_sim *k, kh h);
/* the object of h, or NULL when it was deleted; valid until the next add or delete */
struct kobj *sim_k8s_at(struct k8s_sim *k, kh h);
/* creation order: the first object, the one after h (0 at the end) */
kh sim_k8s_first(struct k8s_sim *k);
kh sim_k8s_next(struct k8s_sim *k, kh h);
/* the object of a kind by namespace (ignored for cluster-wide kinds) and name, or 0 */
kh sim_k8s_find(struct k8s_sim *k, int res, const char *ns, const char *name);
/* a new resourceVersion on o's object, and an event (type 0 1 2) for watchers */
void sim_k8s_touch(struct k8s_sim *k, struct kobj *o, int type);
/* bring every computed status up to now (the kinds' tick hooks) */
void sim_k8s_tick(struct k8s_sim *k, int64_t now);
/* uid and creationTimestamp of a new object */
void sim_k8s_new_meta(struct k8s_sim *k, jv *obj, int64_t now);
void sim_k8s_store_release(struct k8s_sim *k);

/* ------------------------------------------------------------------ requests */

struct kreq {
	struct k8s_sim *k;
	const char *method;
	jv query;                /* {name: value} */
	jv headers;              /* lower-case name -> value */
	const char *body;
	size_t body_len;
	int64_t now;
	int res;                 /* resource, -1 none */
	const char *ns, *name, *sub;
	int dry_run;
};

struct kresp {
	int status;
	struct buf body;
	const char *ctype;
	struct watch *watch;     /* a streaming reply */
};

static inline const char *qarg(struct kreq *r, const char *name)
{
	return jvx_str(r->query, name);
}

static inline const char *hdr(struct kreq *r, const char *name)
{
	return jvx_str(r->headers, name);
}

/* ------------------------------------------------------------------ fields (k8s_fields.c) */

/* the object is in the request's namespace and matches its label and field selectors */
int sim_k8s_selected(struct kreq *r, jv obj);
/* fields of o->obj that differ from before (borrowed) become the manager's */
void sim_k8s_own_changed(struct kobj *o, jv before, const char *manager);
/* the fields an apply of patch (borrowed) would take from another manager: a list of
 * causes {reason, message, field}, empty when none */
jv sim_k8s_apply_conflicts(struct kobj *o, jv patch, const char *manager);
/* every field an apply of patch (borrowed) sets becomes the manager's */
void sim_k8s_own_applied(struct kobj *o, jv patch, const char *manager);
/* metadata.managedFields as served (one entry per manager) */
jv sim_k8s_managed_fields(struct kobj *o, int64_t now);

/* ------------------------------------------------------------------ output (k8s_output.c) */

/* o answers v (consumed) as JSON */
void sim_k8s_reply(struct kresp *o, int status, jv v);
/* o answers a Status error as the API server sends it (causes consumed; invalid: none) */
void sim_k8s_fail(struct kresp *o, int code, const char *reason, struct kreq *r, jv causes,
		  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* "deployments.apps" / "secrets" as the API names a resource in messages */
const char *sim_k8s_qual(int res, char *buf, size_t size);
void sim_k8s_not_found(struct kresp *o, struct kreq *r, int res, const char *name);
/* the object as served (apiVersion, kind, managedFields); new value */
jv sim_k8s_served(struct k8s_sim *k, struct kobj *o, int64_t now);
/* the Status of a deletion (uid of the object consumed) */
void sim_k8s_deleted(struct kresp *o, struct kreq *r, jv uid);
/* a KIND"List" of items (consumed) */
jv sim_k8s_list(struct k8s_sim *k, int res, jv items);
/* a Table of items (consumed) for kubectl get */
jv sim_k8s_table(struct k8s_sim *k, int res, jv items, int64_t now, const char *accept);
int sim_k8s_wants_table(struct kreq *r);
/* a workload's Scale (autoscaling/v1) */
jv sim_k8s_scale_obj(struct kobj *ko);
/* discovery documents (/version, /api, /apis/apps/v1, ...): 1 when path is one */
int sim_k8s_discovery(struct k8s_sim *k, const char *path, struct kresp *o);
/* /openapi/v3 + rest */
void sim_k8s_openapi_v3(struct k8s_sim *k, const char *rest, struct kresp *o);
/* /openapi/v2 (kubectl's validation of a List): an empty document, protobuf or JSON */
void sim_k8s_openapi_v2(struct k8s_sim *k, struct kreq *r, struct kresp *o);

/* ------------------------------------------------------------------ requests (k8s_api.c) */

/* one request, however it arrived (c: its connection, NULL without HTTP): r's method,
 * query, headers and body set (body NUL-terminated); o filled. Takes the lock. */
void sim_k8s_run_request(struct k8s_sim *k, struct MHD_Connection *c, struct kreq *r, const char *url,
			 struct kresp *o, int too_big);
/* create obj (consumed) in r->ns as manager; the new object's handle, or 0 with o filled */
kh sim_k8s_create(struct k8s_sim *k, struct kreq *r, jv obj, struct kresp *o, const char *manager);
int sim_k8s_namespace_exists(struct k8s_sim *k, const char *ns);

/* ------------------------------------------------------------------ watch (k8s_watch.c) */

struct watch;
/* a watch of the request's resource, namespace and selectors: o->watch set (lock held) */
void sim_k8s_watch_start(struct k8s_sim *k, struct kreq *r, struct kresp *o);
/* libmicrohttpd's content reader and its free callback (cls: the watch) */
ssize_t sim_k8s_watch_read(void *cls, uint64_t pos, char *buf, size_t max);
void sim_k8s_watch_free(void *cls);
/* without a connection: the events so far appended to out, then the watch freed (takes
 * the lock) */
void sim_k8s_watch_drain(struct k8s_sim *k, struct watch *w, struct buf *out);

/* ------------------------------------------------------------------ jv helpers */

static inline char *iso(int64_t ms, char *buf, size_t size)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* the value at a dotted path of object keys, or null */
static inline jv jget(jv obj, const char *dotted)
{
	jv cur = jv_copy(obj);
	char key[128];
	const char *p = dotted;
	while (*p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(key))
			n = sizeof(key) - 1;
		memcpy(key, p, n);
		key[n] = 0;
		p += n + (p[n] == '.');
		if (jv_get_kind(cur) != JV_KIND_OBJECT) {
			jv_free(cur);
			return jv_null();
		}
		jv next = jv_object_get(cur, jv_string(key));
		cur = jv_is_valid(next) ? next : (jv_free(next), jv_null());
	}
	return cur;
}

/* obj (consumed) with v (consumed) at a dotted path */
static inline jv jset(jv obj, const char *dotted, jv v)
{
	jv path = jv_array();
	char key[128];
	const char *p = dotted;
	while (*p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(key))
			n = sizeof(key) - 1;
		memcpy(key, p, n);
		key[n] = 0;
		p += n + (p[n] == '.');
		path = jv_array_append(path, jv_string(key));
	}
	return jv_setpath(obj, path, v);
}

/* the string at a dotted path copied into buf, or NULL */
static inline const char *sget(jv obj, const char *dotted, char *buf, size_t size)
{
	jv v = jget(obj, dotted);
	const char *r = NULL;
	if (jv_get_kind(v) == JV_KIND_STRING) {
		snprintf(buf, size, "%s", jv_string_value(v));
		r = buf;
	}
	jv_free(v);
	return r;
}

/* the integer at a dotted path, or def */
static inline int iget(jv obj, const char *dotted, int def)
{
	jv v = jget(obj, dotted);
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : def;
	int r = d >= -2147483648.0 && d <= 2147483647.0 ? (int)d : def;
	jv_free(v);
	return r;
}
#endif
