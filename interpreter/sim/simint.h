/* simint.h — the simulator's internals (owner: sim; private to interpreter/sim/).
 *
 * Threading: libmicrohttpd runs one thread per connection; every handler runs with
 * sim->lock held, so the world (jv values and C structs) is only ever touched by one
 * thread at a time. Nothing from the world leaves the lock without a deep copy.
 * Time: handlers read req->now (clock_now once per request); status is computed from
 * stored timestamps ("_tl" timelines), never advanced by a background thread.
 */
#ifndef RB_SIMINT_H
#define RB_SIMINT_H
#include <pthread.h>
#include <stdint.h>
#include <jv.h>
#include "sim.h"
#include "k8s.h"
#include "../core/buf.h"

/* Iteration that consumes its container expression (evaluated once), unlike jv.h's
 * jv_array_foreach/jv_object_foreach, which borrow and re-evaluate it. The element
 * (and key) given to the body are new references the body must free or consume.
 * Do not `return` from inside (the container would leak); break is fine. */
#define SIM_CAT_(a, b) a##b
#define SIM_CAT(a, b) SIM_CAT_(a, b)
#define SIM_EACH(expr, i, x) SIM_EACH_((expr), i, x, SIM_CAT(sim_a_, __LINE__), SIM_CAT(sim_p_, __LINE__))
#define SIM_EACH_(expr, i, x, A, P) \
	for (jv A = expr, *P = &A; P; jv_free(A), P = NULL) jv_array_foreach(A, i, x)
#define SIM_OBJ_EACH(expr, k, v) SIM_OBJ_EACH_((expr), k, v, SIM_CAT(sim_o_, __LINE__), SIM_CAT(sim_q_, __LINE__))
#define SIM_OBJ_EACH_(expr, k, v, A, P) \
	for (jv A = expr, *P = &A; P; jv_free(A), P = NULL) jv_object_foreach(A, k, v)

/* operation durations: enum, scenario key, default */
#define SIM_DURATIONS(X) \
	X(DUR_RESTORE, "restore", 20 * 60000) \
	X(DUR_SNAPSHOT, "snapshot", 10 * 60000) \
	X(DUR_COPY_SNAPSHOT, "copy_snapshot", 10 * 60000) \
	X(DUR_MODIFY, "modify", 2 * 60000) \
	X(DUR_DELETE, "delete", 5 * 60000) \
	X(DUR_PROMOTE, "promote", 5 * 60000) \
	X(DUR_REPLICATION_GROUP, "replication_group", 15 * 60000) \
	X(DUR_CACHE_SNAPSHOT, "cache_snapshot", 5 * 60000) \
	X(DUR_REPLICATION_GROUP_DELETE, "replication_group_delete", 5 * 60000) \
	X(DUR_DNS_CHANGE, "dns_change", 60000) \
	X(DUR_EXPORT, "export", 30 * 60000)
#define SIM_DUR_ENUM(e, n, d) e,
enum sim_dur { SIM_DURATIONS(SIM_DUR_ENUM) SIM_DUR_N };
#undef SIM_DUR_ENUM

#define SIM_FAULT_KINDS(X) \
	X(FAULT_THROTTLE, "throttle") \
	X(FAULT_5XX, "5xx") \
	X(FAULT_RESET, "reset") \
	X(FAULT_LATENCY, "latency")
#define SIM_FAULT_ENUM(e, n) e,
enum sim_fault_kind { SIM_FAULT_KINDS(SIM_FAULT_ENUM) SIM_FAULT_N };
#undef SIM_FAULT_ENUM

struct sim_fault {
	char *service;          /* NULL = any */
	char *op;               /* NULL or "*" = any */
	enum sim_fault_kind kind;
	double rate;            /* 0..1 (seeded RNG), used when count < 0 */
	int count;              /* first N matching calls; -1 = by rate */
	int64_t latency_ms;     /* FAULT_LATENCY */
	int status;             /* FAULT_5XX: 500 or 503 (default 500) */
	int seen;               /* matching calls so far */
};

struct s3_ver {
	char *key;
	char *vid;              /* "null" when versioning was never enabled */
	int dm;                 /* delete marker */
	char *body;
	size_t len;
	char etag[40];          /* "\"<md5 hex>\"" */
	char *ctype;
	int64_t mtime;
	jv meta;                /* {header: value}: x-amz-meta-*, SSE, as PUT/COPY gave them */
};

struct s3_bucket {
	char *name;
	int64_t created;
	int versioning;         /* 0 never enabled, 1 Enabled, 2 Suspended */
	struct s3_ver *v;       /* every version, oldest first */
	int n, alloc;
	char *replication;      /* the ReplicationConfiguration XML as put, NULL none */
	char region[32];        /* where it lives: the region it was created in */
};

/* a region's world while another region is being answered (region.c) */
#define SIM_REGIONAL_N 8
struct sim_region_world {
	char name[32];
	jv w[SIM_REGIONAL_N];   /* rds_instances ... secrets, in region.c's order */
};

struct sim {
	pthread_mutex_t lock;
	struct rb_clock *clock;
	struct sim_http *http;  /* the HTTP front end (http.c), NULL without one */
	char endpoint[64];
	FILE *log;
	int64_t start_ms;       /* clock at scenario load: relative times count from here */
	char account[16];
	char region[32];        /* the region whose world the fields below hold */
	char home[32];          /* the scenario's region: the world outside requests */
	struct sim_region_world *regions;   /* the other regions' worlds */
	int nregions, aregions;
	int64_t dur[SIM_DUR_N];
	uint64_t rng;
	uint64_t seq;           /* request ids, version ids */

	/* world */
	jv rds_instances;       /* [DBInstance + "_" internals] */
	jv rds_snapshots;       /* [DBSnapshot + internals] */
	jv rds_subnet_groups;   /* [DBSubnetGroup]: "default", declared, created */
	jv rds_export_tasks;    /* [ExportTask + internals], every region's ("_region") */
	/* the names a scenario declared ({name: true}); null: any name is accepted */
	jv rds_known_subnet_groups, rds_known_param_groups, rds_known_security_groups;
	jv ec_groups;
	jv ec_snapshots;
	jv secrets;
	jv r53_zones;           /* [HostedZone + "_records"] (Route 53 is global) */
	jv r53_changes;         /* [ChangeInfo + timeline] */
	jv published;           /* SNS messages */
	jv new_endpoint;        /* {address: "{id}.…", port} for new RDS instances */
	jv new_cache_endpoint;
	struct s3_bucket *buckets;
	int nbuckets, abuckets;

	struct sim_fault *faults;
	int nfaults, afaults;

	/* counters */
	jv c_requests, c_mutating, c_faults, c_errors;

	/* Kubernetes (k8s.c): the scenario's k8s map until the API starts */
	jv k8s_config;
	struct k8s_sim *k8s;

	jv rules;               /* the scenario's exec: and http: rules (sim_rules) */
};

/* the wire protocols; the last three only for errors of services that are not simulated */
enum sim_proto { PROTO_QUERY, PROTO_JSON, PROTO_REST_XML, PROTO_EC2, PROTO_REST_JSON, PROTO_CBOR };

struct sim_req {
	const char *method;
	const char *path;       /* decoded */
	jv query;               /* URL query args {name: value ("" when none)} */
	jv form;                /* Query protocol: form body merged over query args */
	jv json;                /* JSON protocol body (object) */
	jv headers;             /* lower-case name -> value */
	const char *body;
	size_t body_len;
	const char *service;
	const char *op;
	enum sim_proto proto;
	const char *xmlns;
	char request_id[40];
	int64_t now;
	char unknown[32];       /* the service a request not simulated is for (the log's) */
	char unknown_op[64];    /* and its operation, when the request names it */
};

struct sim_resp {
	int status;
	struct buf body;
	const char *ctype;
	jv headers;             /* extra response headers */
	int reset;              /* drop the connection (fault) */
	int errored;
	const char *fault;      /* name of the injected fault, for the log */
	char code[64];          /* error code when errored */
};

typedef int (*sim_handler)(struct sim *s, struct sim_req *r, struct sim_resp *o);
struct sim_op {
	const char *name;
	int mutating;
	sim_handler fn;
};

/* service operation tables (one per service file) */
extern const struct sim_op sim_rds_ops[];
extern const struct sim_op sim_elasticache_ops[];
extern const struct sim_op sim_s3_ops[];
extern const struct sim_op sim_secrets_ops[];
extern const struct sim_op sim_sns_ops[];
extern const struct sim_op sim_sts_ops[];
extern const struct sim_op sim_route53_ops[];
/* Route 53 (route53.c): the operation of a REST request (NULL if no route); a name
 * made absolute and lower-case (new jv); a hosted zone (id NULL: a generated one; records
 * [record set] consumed) */
const char *sim_r53_route(struct sim_req *r);
jv sim_r53_name(const char *name);
jv sim_r53_zone_new(struct sim *s, const char *id, const char *name, int private_zone, jv records);
/* S3: the operation name of a REST request (NULL if no route) */
const char *sim_s3_route(struct sim_req *r);

/* ---- responses (server.c) ---- */
/* an error in the request's protocol shape; returns 0 (the handler's result) */
int sim_error(struct sim_req *r, struct sim_resp *o, int status, const char *code,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Query protocol: open "<OpResponse xmlns><OpResult>" and close it with metadata */
void sim_q_begin(struct sim_req *r, struct sim_resp *o);
void sim_q_end(struct sim_req *r, struct sim_resp *o);
/* JSON protocol: the reply is v (consumed) */
int sim_json_reply(struct sim_resp *o, jv v);
void sim_header(struct sim_resp *o, const char *name, const char *value);

/* ---- XML (server.c) ---- */
void sim_xml_esc(struct buf *b, const char *s);
void sim_xml_elem(struct buf *b, const char *name, const char *text);
void sim_xml_elemf(struct buf *b, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* render v as <name>…</name>; arrays use item names from the shape table; keys starting
 * with '_' are internal and skipped; booleans true/false; integers without ".0" */
void sim_xml_jv(struct buf *b, const char *name, jv v);   /* borrows v */

/* ---- Query params (server.c) ---- */
const char *sim_q_str(struct sim_req *r, const char *name);
int sim_q_bool(struct sim_req *r, const char *name, int def);
/* "Name.<member>.N" (or "Name.N") values in N order; new array */
jv sim_q_list(struct sim_req *r, const char *name);
/* "Name.<member>.N.Key/Value" -> [{Key, Value}] */
jv sim_q_tags(struct sim_req *r, const char *name);
/* MissingParameter (Query) / ValidationException if absent: NULL and o filled */
const char *sim_q_need(struct sim_req *r, struct sim_resp *o, const char *name);

/* ---- time and status (scenario.c) ---- */
char *sim_iso(int64_t ms, char *buf, size_t size);    /* "2026-11-22T03:18:43.120Z" */
/* status of a resource with a "_tl" timeline [[until_ms, status]...] and "_final" */
const char *sim_status(jv obj, int64_t now);           /* borrows; string valid while obj lives */
/* obj with a new timeline: phases (NULL-terminated pairs status, duration) then final */
jv sim_set_timeline(jv obj, int64_t now, const char *final, ...);
/* drop resources whose "_gone_at" has passed (deleted ones); arr consumed */
jv sim_gc(jv arr, int64_t now);
/* index of the element whose field equals value, or -1 (borrows arr) */
int sim_find(jv arr, const char *field, const char *value);
void sim_new_id(struct sim *s, char *buf, size_t size);    /* uuid-shaped, deterministic */
double sim_rand(struct sim *s);                             /* [0, 1) seeded */
/* load a scenario into s (world, durations, faults); validated first (every error) */
int sim_scenario_load(struct sim *s, const char *path, struct diag_list *dl);
/* scenario_rules.c: the one validator of a parsed scenario (maps with "__line", "__col",
 * "__loc" marks; borrows doc): every error located in dl; 0 / -1 */
int sim_scenario_validate(const struct source *src, jv doc, struct diag_list *dl);
/* the largest generated S3 object (size:) in a scenario: contents live in memory */
#define SIM_S3_OBJECT_MAX (64.0 * 1024 * 1024)
void sim_world_release(struct sim *s);
/* an endpoint {Address, Port} for a new resource: template with {id} */
jv sim_endpoint_for(jv tmpl, const char *id, const char *deflt_domain, int port);

/* ---- regions (region.c) ---- */
/* answer from region name's world (made empty at first use); NULL or "" = stay */
void sim_region_enter(struct sim *s, const char *name);
void sim_region_leave(struct sim *s);   /* back to the home region */
/* the field at offsetof(struct sim, F) of region name's world (the active one's is s->F) */
jv *sim_region_field(struct sim *s, const char *name, size_t off);
/* the REGION of "arn:aws:SERVICE:REGION:..." / of a request's SigV4 scope, in buf; or NULL */
const char *sim_arn_region(const char *arn, char *buf, size_t size);
const char *sim_scope_region(jv headers, jv query, char *buf, size_t size);
/* {region: world(s)} of every region but the home one (world is called inside it) */
jv sim_regions_state(struct sim *s, jv (*world)(struct sim *s));
void sim_regions_release(struct sim *s);

/* ---- faults (faults.c) ---- */
/* the fault to apply to this request, or NULL; counts */
struct sim_fault *sim_fault_pick(struct sim *s, const char *service, const char *op);
/* fill o with the fault's response (throttle, 5xx) or mark reset */
void sim_fault_apply(struct sim *s, struct sim_fault *f, struct sim_req *r, struct sim_resp *o);
const char *sim_fault_kind_name(enum sim_fault_kind k);
int sim_fault_kind_parse(const char *name);

/* RDS (rds.c): the objects of export tasks that completed by now land in their bucket */
void sim_rds_exports_land(struct sim *s, int64_t now);

/* S3 world (s3.c) */
struct s3_bucket *sim_s3_bucket_add(struct sim *s, const char *name, int64_t created);
/* the bucket named name, or NULL */
struct s3_bucket *sim_s3_bucket(struct sim *s, const char *name);
/* rds.c, shared with rds_export.c: drop what was deleted long enough ago; arr[ix] (new);
 * an id or an ARN "arn:aws:rds:REGION:ACCT:TYPE:NAME" -> NAME; a snapshot's index, -1 */
void sim_rds_gc(struct sim *s, int64_t now);
jv sim_rds_get(jv arr, int ix);
const char *sim_rds_arn_name(const char *id, const char *type);
int sim_rds_snap_find(struct sim *s, const char *id);
int sim_rds_not_found_snap(struct sim_req *r, struct sim_resp *o, const char *id);
/* rds_export.c */
int sim_rds_op_start_export(struct sim *s, struct sim_req *r, struct sim_resp *o);
int sim_rds_op_describe_exports(struct sim *s, struct sim_req *r, struct sim_resp *o);
int sim_rds_op_cancel_export(struct sim *s, struct sim_req *r, struct sim_resp *o);
struct s3_ver *sim_s3_put(struct sim *s, struct s3_bucket *b, const char *key, const char *body,
		      size_t len, const char *ctype, int dm, const char *vid, int64_t mtime);
/* removes version i of the bucket (freed), keeping the order of the others */
void sim_s3_ver_remove(struct s3_bucket *b, int i);
void sim_s3_world_release(struct sim *s);
jv sim_s3_state(struct sim *s);
#endif
