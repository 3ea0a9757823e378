/* aws.h — the AWS client shared by the files of the aws module (owner: AWS-CLIENT helper).
 *
 * Layers, bottom up:
 *   sigv4.c        SigV4 signing over OpenSSL HMAC (never CURLOPT_AWS_SIGV4, see DESIGN.md)
 *   credentials.c  credentials and region in the AWS CLI's order
 *   transport.c    endpoints, libcurl, retries with backoff + full jitter on the call's clock
 *   retry.c        retry modes: settings, the retry quota, adaptive mode's rate limiter
 *   query.c        query protocol (form POST, XML -> jv with a shape table)
 *   json11.c       JSON 1.1 protocol (Secrets Manager)
 *   restxml.c      S3 REST-XML
 *   rds.c elasticache.c s3.c secrets.c call.c   action descriptors
 *
 * Ownership: every char * in these structs is malloc'd and owned by the struct; the
 * *_release functions free them. jv follow jv.h (consumed unless "borrows").
 * Error convention: functions return 0, or -1 with *err = jvx_error(code, ...) object.
 * Secrets: credentials are never logged; nothing here prints a header or a body.
 */
#ifndef RB_AWS_H
#define RB_AWS_H
#include <jv.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "../../core/action.h"
#include "../../core/buf.h"
#include "../registry.h"

extern const struct module_desc aws_module;

/* ---- shape tables (aws_shapes_*.c are generated from botocore's models by gen_shapes.py) */
enum aws_scalar_kind { AWS_SCALAR_NUM = 1, AWS_SCALAR_BOOL };
struct aws_list_shape { const char *service, *wrapper, *item; };
struct aws_scalar_shape { const char *name; int kind; };
extern const struct aws_list_shape aws_list_shapes[];     /* sorted by wrapper */
extern const int aws_list_shapes_n;
extern const struct aws_scalar_shape aws_scalar_shapes[];   /* sorted by name */
extern const int aws_scalar_shapes_n;
/* botocore services aws.call cannot speak, with their protocol (generated; sorted) */
struct aws_foreign_service { const char *name, *protocol; };
extern const struct aws_foreign_service aws_foreign_services[];
/* result fields of botocore output shapes (generated), for the descriptors' result_shape */
extern const struct action_result aws_result_rds_DBInstance[], aws_result_rds_DBSnapshot[],
	aws_result_elasticache_ReplicationGroup[], aws_result_elasticache_Snapshot[];
/* the item name of a list wrapper in a service, or NULL if it is not a known list */
const char *aws_list_item(const char *service, const char *wrapper);
/* whether item is a list item name of wrapper in service */
int aws_list_has_item(const char *service, const char *wrapper, const char *item);
int aws_scalar_kind(const char *name);

/* ---- services */
enum aws_proto { AWS_QUERY, AWS_JSON11, AWS_RESTXML };
struct aws_service {
	const char *name;         /* signing name and shape-table key: "rds", "s3" */
	const char *prefix;       /* endpoint prefix: https://PREFIX.REGION.amazonaws.com */
	const char *env_id;       /* AWS_ENDPOINT_URL_<env_id> */
	const char *version;      /* API version (query) */
	enum aws_proto proto;
	const char *target;       /* JSON 1.1 X-Amz-Target prefix */
};
extern const struct aws_service aws_svc_rds, aws_svc_elasticache, aws_svc_sts, aws_svc_sns,
	aws_svc_s3, aws_svc_secrets, aws_svc_route53;
const struct aws_service *aws_service_find(const char *name);

struct aws_response;

/* ---- signing */
struct aws_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;      /* NULL when none */
	int64_t expires_ms;       /* real time; 0 = does not expire */
	const char *source;       /* "env", "profile", "assume-role", ... (static string) */
};
void aws_creds_release(struct aws_creds *c);

struct aws_header { char *name, *value; };
struct aws_sign_req {
	const char *method;
	const char *host;         /* as sent in Host: (with :port when not the default) */
	const char *path;         /* URI-encoded path as sent */
	const char *query;        /* encoded query as sent, "" for none */
	const struct aws_header *headers; int nheaders;   /* headers to sign besides host */
	const char *payload_hash; /* hex sha256 of the body (or the x-amz-content-sha256 value) */
	int s3;                   /* S3 rules: the path is not encoded a second time */
};
/* amz_date "YYYYMMDDTHHMMSSZ"; writes "AWS4-HMAC-SHA256 Credential=..." into out */
int aws_sigv4_authorization(const struct aws_sign_req *r, const struct aws_creds *cr,
			    const char *region, const char *service, const char *amz_date,
			    struct buf *out);
/* presigned query (SigV4 query auth): out = query + X-Amz-* params + X-Amz-Signature */
int aws_sigv4_presign(const char *host, const char *query, const struct aws_creds *cr,
		      const char *region, const char *service, const char *amz_date, int expires,
		      struct buf *out);
void aws_sha256_hex(const void *data, size_t len, char out[65]);
/* percent-encode everything but unreserved (A-Z a-z 0-9 - _ . ~); keep '/' if keep_slash */
int aws_uri_encode(struct buf *b, const char *s, size_t len, int keep_slash);

/* ---- client: one per action call (not shared between threads) */
enum aws_retry_mode { AWS_RETRY_STANDARD, AWS_RETRY_LEGACY, AWS_RETRY_ADAPTIVE };
struct aws_client {
	struct action_call *call;     /* clock, cancel, log; may be NULL (tests: real time) */
	char *region;
	char *profile;                /* NULL: default */
	char *endpoint;               /* connections.aws.endpoint or NULL */
	char *ca_bundle;              /* AWS_CA_BUNDLE / ca_bundle, or NULL */
	struct aws_creds creds;
	int have_creds;
	enum aws_retry_mode retry_mode;   /* standard (0) unless aws_retry_config says */
	int max_attempts;             /* retries: attempts in all, the first included */
	int64_t base_ms, cap_ms;      /* backoff of the retry mode (aws_retry_config) */
	int attempts_made;            /* for tests and logs: total HTTP attempts */
	void *curl;                   /* CURL *, created on first use */
};
/* retry settings as the AWS CLI reads them (retry.c): AWS_RETRY_MODE / retry_mode
 * (standard, the default: 3 attempts, waits in [0, min(2^n s, 20 s)), the retry quota;
 * legacy: 5 attempts, [0, 2^n s), no quota; adaptive: standard's and the client-side
 * rate limiter) and AWS_MAX_ATTEMPTS / max_attempts (attempts in all), the environment
 * before the profile. 0, or -1 with *err (InvalidConfiguration) for a value the CLI
 * refuses too. */
int aws_retry_config(struct aws_client *c, jv *err);

/* adaptive mode's rate limiter (botocore's ClientRateLimiter, TokenBucket,
 * CubicCalculator, RateClocker in one); times in seconds. Not locked: see retry state. */
struct aws_rate_limiter {
	int enabled;                  /* since the first throttling error */
	double fill_rate, max_capacity, capacity, last_refill;   /* the token bucket */
	int refilled;                 /* last_refill is set */
	double w_max, k, last_fail;   /* CUBIC */
	double measured, last_bucket; int count;   /* the measured send rate */
};
void aws_limiter_init(struct aws_rate_limiter *l, double now);
/* before a send: the seconds until the token of this send is due (0: now, or the limiter
 * is off). A token not due yet is reserved for the caller unless it is due later than
 * max_wait (then none is taken). */
double aws_limiter_take(struct aws_rate_limiter *l, double now, double max_wait);
/* after each attempt's outcome (throttled: a throttling error code); the new fill rate */
double aws_limiter_response(struct aws_rate_limiter *l, double now, int throttled);
/* CUBIC's time to get back to w_max */
double aws_cubic_k(double w_max);

/* what the calls of one run share per service, region and endpoint (retry.c) */
struct aws_retry_state {
	char *key;
	pthread_mutex_t lock;
	int quota;                    /* the retry quota's tokens (standard, adaptive) */
	struct aws_rate_limiter limiter;   /* adaptive */
	struct aws_retry_state *next;
};
/* the state for c's calls to svc (created on first use, kept for the process) */
struct aws_retry_state *aws_retry_state(struct aws_client *c, const struct aws_service *svc);
/* forget every state (tests) */
void aws_retry_states_clear(void);
/* the time the limiter reads: the call's clock, else real time; seconds */
double aws_retry_now(struct aws_client *c);
/* a retry's cost from the quota (timeout: a timed-out attempt): the tokens taken, or 0
 * when the quota cannot pay (exhausted) */
int aws_quota_take(struct aws_retry_state *s, int timeout);
/* a call that succeeded: give back what its last retry took (taken), or 1 (taken 0) */
void aws_quota_refund(struct aws_retry_state *s, int taken);
/* no attempt starts later than this before the step's deadline: it could not be
 * answered in time (the step would end as a timeout instead of the service's error) */
#define AWS_SEND_MARGIN_MS 250
/* adaptive: wait for a token before an attempt, on the call's clock. 0 (waited_ms: how
 * long), 1 when none is due before the step's deadline (less AWS_SEND_MARGIN_MS),
 * -1 cancelled */
int aws_limiter_acquire(struct aws_client *c, struct aws_retry_state *s, int64_t *waited_ms);
/* adaptive: an attempt's outcome */
void aws_limiter_record(struct aws_client *c, struct aws_retry_state *s, int throttled);
/* reads connections.aws (borrowed; may be jv_null) for region, profile, endpoint, credentials */
int aws_client_init(struct aws_client *c, struct action_call *call, jv conn, jv *err);
/* a client for the call: connections.aws of call->connections, region overridable */
int aws_client_for_call(struct aws_client *c, struct action_call *call, const char *region, jv *err);
void aws_client_release(struct aws_client *c);
/* credentials are resolved on first use */
int aws_client_creds(struct aws_client *c, jv *err);

/* resolution (credentials.c). All read the environment and ~/.aws files. */
char *aws_resolve_region(const char *conn_region, const char *profile);
/* KEY of the profile (NULL: AWS_PROFILE, else default) in the credentials, then the
 * config file; malloc'd, or NULL */
char *aws_profile_value(const char *profile, const char *key);
/* static creds from env / profile files only; 1 found, 0 not found (try the next source),
 * -1 error. *kind says which source produced them. */
int aws_resolve_credentials(struct aws_client *c, struct aws_creds *out, jv *err);
/* ini lookup: value of key in [section] of file, malloc'd or NULL */
char *aws_ini_get(const char *file, const char *section, const char *key);
char *aws_config_path(int credentials_file);
/* the endpoint the environment or the profile configures for a service, or NULL: as
 * the AWS CLI, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
 * `services` section, its endpoint_url; none of them when AWS_IGNORE_CONFIGURED_
 * ENDPOINT_URLS (or the profile's ignore_configured_endpoint_urls) is true */
char *aws_configured_endpoint(const char *profile, const struct aws_service *svc);
/* a key of a profile: ~/.aws/credentials [name], then ~/.aws/config [profile name] */
char *aws_profile_get(const char *profile, const char *key);
/* SSO profile credentials (sso.c): 1 found, -1 with *err */
int aws_sso_creds(struct aws_client *c, const char *profile, struct aws_creds *out, jv *err);
/* AWS_CA_BUNDLE, else the profile's ca_bundle, or NULL (the system's CAs) */
char *aws_resolve_ca_bundle(const char *profile);

/* plain HTTP for metadata services (container credentials, IMDS): no signing, no
 * retries, timeout_ms for the whole request. hdrs: name/value pairs, NULL-terminated.
 * ca_bundle: the CAs that verify an https URL (NULL: the system's). */
int aws_http_plain(const char *method, const char *url, const char *const *hdrs,
		   long timeout_ms, const char *ca_bundle, struct aws_response *resp);
/* drop cached assumed-role / container / IMDS credentials (tests) */
void aws_creds_cache_clear(void);

/* endpoint base URL for a service ("https://rds.us-east-1.amazonaws.com"); malloc'd */
char *aws_endpoint(struct aws_client *c, const struct aws_service *svc);

/* ---- transport */
struct aws_request {
	const struct aws_service *svc;
	const char *method;
	char *path;                   /* encoded; owned */
	struct buf query;             /* encoded "a=b&c"; owned */
	struct aws_header *headers; int nheaders, alloc;   /* owned */
	const char *body; size_t body_len;   /* borrowed */
	char *url;                    /* full URL instead of the service endpoint (owned) */
	int anonymous;                /* do not sign (AssumeRoleWithWebIdentity) */
	int no_retry;
};
void aws_request_init(struct aws_request *r, const struct aws_service *svc, const char *method);
void aws_request_header(struct aws_request *r, const char *name, const char *value);
void aws_request_release(struct aws_request *r);

struct aws_response {
	long status;
	struct buf body;
	jv headers;                   /* {lowercase-name: value} */
	char *request_id;
};
void aws_response_release(struct aws_response *r);
/* send with retries; 0 with a 2xx response, or -1 with *err (service code, message,
 * request id). parse errors with the protocol of r->svc. */
int aws_perform(struct aws_client *c, struct aws_request *r, struct aws_response *resp, jv *err);
/* error details from a non-2xx reply (protocol-specific); malloc'd strings */
void aws_parse_error(enum aws_proto proto, const struct aws_response *resp, char **code,
		     char **message, char **request_id);
int aws_code_is_transient(const char *code, long status);
/* a throttling error code (botocore's list): the rate limiter slows down on these */
int aws_code_is_throttling(const char *code);
/* delay before the n-th retry (n from 0): uniform in [0, min(cap, base*2^n)) (full
 * jitter, core/backoff.h; cap 0: none) */
int64_t aws_backoff_ms(int n, int64_t base_ms, int64_t cap_ms);

/* ---- query protocol */
/* form-encode params (object; nested lists/objects per the shape table) into b */
int aws_query_encode(struct buf *b, const struct aws_service *svc, const char *action, jv params);
/* XML reply -> jv: the <ActionResult> element as an object; *request_id set if found */
int aws_query_parse(const struct aws_service *svc, const char *xml, size_t len, jv *out,
		    char **request_id);
/* one call; consumes params */
int aws_query_call(struct aws_client *c, const struct aws_service *svc, const char *action,
		   jv params, jv *out, jv *err);
/* follow Marker (or NextToken) pages, concatenating result[list_key]; consumes params */
int aws_query_paginate(struct aws_client *c, const struct aws_service *svc, const char *action,
		       jv params, const char *list_key, jv *out, jv *err);
/* generic XML element -> jv (used by S3 too): flat lists of repeated children become
 * arrays under flat_names[i*2] -> flat_names[i*2+1] (NULL-terminated pairs) */
struct _xmlNode;
jv aws_xml_to_jv(const struct aws_service *svc, struct _xmlNode *node, const char *const *flat);

/* ---- JSON 1.1 */
int aws_json_call(struct aws_client *c, const struct aws_service *svc, const char *op,
		  jv params, jv *out, jv *err);

/* ---- S3 REST-XML */
struct s3_loc { char *bucket, *key; };
/* one S3 request: method, bucket, key (may be NULL), query (encoded, may be NULL),
 * extra headers (name/value pairs, NULL-terminated), body. Reply XML -> *out (object of
 * the root element's children, or {} for no body) plus headers in *headers if non-NULL. */
int aws_s3_request(struct aws_client *c, const char *method, const char *bucket,
		   const char *key, const char *query, const char *const *hdrs,
		   const char *body, size_t body_len, jv *out, jv *headers, struct buf *raw,
		   jv *err);
int aws_s3_parse(const char *xml, size_t len, jv *out);
/* "s3://bucket/prefix" or "bucket/prefix" -> parts */
int s3_loc_parse(const char *s, struct s3_loc *l);
void s3_loc_release(struct s3_loc *l);

/* ---- action tables per service (terminated by {NULL}) */
extern const struct action_desc aws_rds_actions[], aws_elasticache_actions[],
	aws_s3_actions[], aws_secrets_actions[], aws_call_actions[], aws_route53_actions[];
/* Route 53 (route53.c): one operation of the aws.call table by name; consumes params */
int aws_route53_call(struct aws_client *c, const char *op, jv params, jv *out, jv *err);

/* helpers for actions */
/* one query call on a fresh client for the call (region: override or NULL); consumes
 * params; pick: return result[pick] (error InvalidResponse if absent) or the whole result */
int aws_simple_query(struct action_call *call, const char *region, const struct aws_service *svc,
		     const char *op, jv params, const char *pick, jv *out);
/* result[list][0] or a not-found error with code */
int aws_first(jv res, const char *list, const char *code, const char *what, const char *id, jv *out);
/* the newest element of list (consumed) whose status_key is "available", by time_key
 * (RFC 3339 strings compare as text); null if none */
jv aws_latest_available(jv list, const char *status_key, const char *time_key);
/* the `region` arg when present (borrowed string) */
const char *aws_arg_region(jv args);
/* put args[argname] into params[field] if present and not null (borrows args) */
void aws_param(jv *params, jv args, const char *argname, const char *field);
/* {"k": "v"} -> [{"Key": "k", "Value": "v"}] (consumes map) */
jv aws_tags_list(jv map);
/* the message of an error object, for wrapping */
int aws_err_is(jv err, const char *code);   /* borrows */
#endif
