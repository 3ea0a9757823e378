/* server.c — the simulated AWS services' server (HTTP through http.c): SigV4-shaped
 * authorization check, service and operation dispatch, faults, counters, request log,
 * admin endpoints (/_sim/counters, /_sim/state, /_sim/published) and the protocol
 * helpers the service files share (XML writer, Query params, error shapes).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "simint.h"
#include "http.h"
#include "../core/bug.h"
#include "../core/jvx.h"
#include "../core/caps.h"


/* ------------------------------------------------------------------ XML writer */

void sim_xml_esc(struct buf *b, const char *s)
{
	BUF_NOCAP(buf_add_xml(b, s));
}

void sim_xml_elem(struct buf *b, const char *name, const char *text)
{
	int berr = 0;
	berr |= buf_addf(b, "<%s>", name);
	sim_xml_esc(b, text ? text : "");
	berr |= buf_addf(b, "</%s>", name);
	BUF_NOCAP(berr);
}

void sim_xml_elemf(struct buf *b, const char *name, const char *fmt, ...)
{
	int berr = 0;
	struct buf t = BUF_INIT(0);
	va_list ap;
	va_start(ap, fmt);
	berr |= buf_vaddf(&t, fmt, ap);
	BUF_NOCAP(berr);
	va_end(ap);
	sim_xml_elem(b, name, buf_str(&t));
	buf_release(&t);
}

/* list field -> item element name (AWS shapes' locationName); default "member" */
static const struct { const char *list, *item; } xml_items[] = {
	{ "DBInstances", "DBInstance" },
	{ "DBSnapshots", "DBSnapshot" },
	{ "VpcSecurityGroups", "VpcSecurityGroupMembership" },
	{ "DBParameterGroups", "DBParameterGroup" },
	{ "DBSecurityGroups", "DBSecurityGroup" },
	{ "OptionGroupMemberships", "OptionGroupMembership" },
	{ "ReadReplicaDBInstanceIdentifiers", "ReadReplicaDBInstanceIdentifier" },
	{ "StatusInfos", "DBInstanceStatusInfo" },
	{ "Subnets", "Subnet" },
	{ "DBSubnetGroups", "DBSubnetGroup" },
	{ "TagList", "Tag" },
	{ "ResourceRecords", "ResourceRecord" },
	{ "ReplicationGroups", "ReplicationGroup" },
	{ "MemberClusters", "ClusterId" },
	{ "NodeGroups", "NodeGroup" },
	{ "NodeGroupMembers", "NodeGroupMember" },
	{ "Snapshots", "Snapshot" },
	{ "NodeSnapshots", "NodeSnapshot" },
	{ "ExportTasks", "ExportTask" },
};

static const char *xml_item_name(const char *list)
{
	for (size_t i = 0; i < sizeof(xml_items) / sizeof(xml_items[0]); i++)
		if (!strcmp(xml_items[i].list, list))
			return xml_items[i].item;
	return "member";
}

static int xml_scalar(struct buf *b, jv v)
{
	int berr = 0;
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING: sim_xml_esc(b, jv_string_value(v)); break;
	case JV_KIND_TRUE: berr |= buf_adds(b, "true"); break;
	case JV_KIND_FALSE: berr |= buf_adds(b, "false"); break;
	case JV_KIND_NUMBER: {
		double d = jv_number_value(v);
		if (d == (double)(long long)d)
			berr |= buf_addf(b, "%lld", (long long)d);
		else
			berr |= buf_addf(b, "%.17g", d);
		break;
	}
	default: break;
	}
	return berr;
}

void sim_xml_jv(struct buf *b, const char *name, jv v)
{
	int berr = 0;
	jv_kind k = jv_get_kind(v);
	if (k == JV_KIND_NULL || k == JV_KIND_INVALID)
		return;
	berr |= buf_addf(b, "<%s>", name);
	if (k == JV_KIND_OBJECT) {
		SIM_OBJ_EACH(jv_copy(v), key, val) {
			const char *ks = jv_string_value(key);
			if (ks[0] != '_')
				sim_xml_jv(b, ks, val);
			jv_free(key);
			jv_free(val);
		}
	} else if (k == JV_KIND_ARRAY) {
		const char *item = xml_item_name(name);
		SIM_EACH(jv_copy(v), i, el) {
			sim_xml_jv(b, item, el);
			jv_free(el);
		}
	} else {
		berr |= xml_scalar(b, v);
	}
	berr |= buf_addf(b, "</%s>", name);
	BUF_NOCAP(berr);
}

/* ------------------------------------------------------------------ Query params */

const char *sim_q_str(struct sim_req *r, const char *name)
{
	const char *v = jvx_str(r->form, name);
	return v;
}

int sim_q_bool(struct sim_req *r, const char *name, int def)
{
	const char *v = sim_q_str(r, name);
	if (!v)
		return def;
	return !strcasecmp(v, "true") || !strcmp(v, "1");
}

const char *sim_q_need(struct sim_req *r, struct sim_resp *o, const char *name)
{
	const char *v = r->proto == PROTO_JSON ? jvx_str(r->json, name) : sim_q_str(r, name);
	if (v && *v)
		return v;
	if (r->proto == PROTO_JSON)
		sim_error(r, o, 400, "ValidationException",
			  "1 validation error detected: Value null at '%c%s' failed to satisfy "
			  "constraint: Member must not be null", tolower((unsigned char)name[0]), name + 1);
	else
		sim_error(r, o, 400, "MissingParameter",
			  "The request must contain the parameter %s", name);
	return NULL;
}

/* "Name.<member>.N[.Field]" or "Name.N[.Field]": the N, and *rest at ".Field" or "" */
static long q_index(const char *key, const char *name, const char **rest)
{
	size_t nl = strlen(name);
	if (strncmp(key, name, nl) || key[nl] != '.')
		return -1;
	const char *p = key + nl + 1;
	if (!isdigit((unsigned char)*p)) {
		while (*p && *p != '.')
			p++;
		if (*p != '.')
			return -1;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	char *end;
	long n = strtol(p, &end, 10);
	*rest = end;
	return n;
}

static int cmp_pair(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

jv sim_q_list(struct sim_req *r, const char *name)
{
	long (*idx)[2] = NULL;   /* [N, position in keys] */
	int n = 0, alloc = 0;
	jv keys = jv_keys(jv_copy(r->form));
	SIM_EACH(jv_copy(keys), i, k) {
		const char *rest;
		long ix = q_index(jv_string_value(k), name, &rest);
		if (ix >= 0 && !*rest) {
			ALLOC_GROW(idx, n + 1, alloc);
			idx[n][0] = ix;
			idx[n][1] = i;
			n++;
		}
		jv_free(k);
	}
	if (n > 1)   /* idx is NULL when nothing matched: qsort wants a real pointer */
		qsort(idx, n, sizeof(*idx), cmp_pair);
	jv out = jv_array();
	for (int i = 0; i < n; i++) {
		jv k = jv_array_get(jv_copy(keys), (int)idx[i][1]);
		out = jv_array_append(out, jv_object_get(jv_copy(r->form), k));
	}
	free(idx);
	jv_free(keys);
	return out;
}

jv sim_q_tags(struct sim_req *r, const char *name)
{
	jv byn = jv_object();  /* "N" -> {Key, Value} */
	long *ns = NULL;       /* the Ns seen (any size: walked sorted, never counted up to) */
	int nn = 0, alloc = 0;
	SIM_OBJ_EACH(jv_copy(r->form), k, v) {
		const char *rest;
		long ix = q_index(jv_string_value(k), name, &rest);
		if (ix >= 0 && (!strcmp(rest, ".Key") || !strcmp(rest, ".Value"))) {
			char nb[24];
			snprintf(nb, sizeof(nb), "%ld", ix);
			jv t = jv_object_get(jv_copy(byn), jv_string(nb));
			if (!jv_is_valid(t)) {
				jv_free(t);
				t = jv_object();
			}
			if (!jv_object_length(jv_copy(t))) {
				ALLOC_GROW(ns, nn + 1, alloc);
				ns[nn++] = ix;
			}
			t = jv_object_set(t, jv_string(rest + 1), jv_copy(v));
			byn = jv_object_set(byn, jv_string(nb), t);
		}
		jv_free(k);
		jv_free(v);
	}
	if (nn > 1)
		qsort(ns, (size_t)nn, sizeof(*ns), cmp_pair);
	jv out = jv_array();
	for (int i = 0; i < nn; i++) {
		char nb[24];
		snprintf(nb, sizeof(nb), "%ld", ns[i]);
		jv t = jv_object_get(jv_copy(byn), jv_string(nb));
		if (jv_is_valid(t) && jvx_has(t, "Key")) {
			if (!jvx_has(t, "Value"))
				t = jv_object_set(t, jv_string("Value"), jv_string(""));
			out = jv_array_append(out, t);
		} else {
			jv_free(t);
		}
	}
	jv_free(byn);
	free(ns);
	return out;
}

/* ------------------------------------------------------------------ replies */

void sim_header(struct sim_resp *o, const char *name, const char *value)
{
	o->headers = jv_object_set(o->headers, jv_string(name), jv_string(value));
}

/* a CBOR text string (major type 3) */
static int cbor_text(struct buf *b, const char *s)
{
	int berr = 0;
	size_t n = strlen(s);
	if (n < 24) {
		berr |= buf_addc(b, (char)(0x60 | n));
	} else if (n < 256) {
		berr |= buf_addc(b, 0x78);
		berr |= buf_addc(b, (char)n);
	} else {
		n = n > 0xffff ? 0xffff : n;
		berr |= buf_addc(b, 0x79);
		berr |= buf_addc(b, (char)(n >> 8));
		berr |= buf_addc(b, (char)(n & 0xff));
	}
	berr |= buf_add(b, s, n);
	return berr;
}

int sim_error(struct sim_req *r, struct sim_resp *o, int status, const char *code,
	      const char *fmt, ...)
{
	int berr = 0;
	struct buf msg = BUF_INIT(0);
	va_list ap;
	va_start(ap, fmt);
	berr |= buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	o->status = status;
	o->errored = 1;
	snprintf(o->code, sizeof(o->code), "%s", code);
	buf_reset(&o->body);
	switch (r->proto) {
	case PROTO_QUERY:
		o->ctype = "text/xml";
		berr |= buf_addf(&o->body, "<ErrorResponse xmlns=\"%s\"><Error><Type>%s</Type>",
			 r->xmlns ? r->xmlns : "", status >= 500 ? "Receiver" : "Sender");
		sim_xml_elem(&o->body, "Code", code);
		sim_xml_elem(&o->body, "Message", buf_str(&msg));
		berr |= buf_adds(&o->body, "</Error>");
		sim_xml_elem(&o->body, "RequestId", r->request_id);
		berr |= buf_adds(&o->body, "</ErrorResponse>");
		break;
	case PROTO_JSON: {
		/* the JSON version the client spoke (1.0 or 1.1) */
		const char *ct = jvx_str(r->headers, "content-type");
		o->ctype = ct && !strcmp(ct, "application/x-amz-json-1.0") ? "application/x-amz-json-1.0"
									 : "application/x-amz-json-1.1";
		jv e = jv_object_set(jv_object(), jv_string("__type"), jv_string(code));
		e = jv_object_set(e, jv_string("Message"), jv_string(buf_str(&msg)));
		char *t = jvx_dump(e);
		berr |= buf_adds(&o->body, t);
		free(t);
		break;
	}
	case PROTO_REST_XML:
		o->ctype = "application/xml";
		berr |= buf_adds(&o->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
		sim_xml_elem(&o->body, "Code", code);
		sim_xml_elem(&o->body, "Message", buf_str(&msg));
		sim_xml_elem(&o->body, "RequestId", r->request_id);
		sim_xml_elem(&o->body, "HostId", "runbook-sim");
		berr |= buf_adds(&o->body, "</Error>");
		break;
	case PROTO_EC2:
		o->ctype = "text/xml";
		berr |= buf_adds(&o->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>");
		sim_xml_elem(&o->body, "Code", code);
		sim_xml_elem(&o->body, "Message", buf_str(&msg));
		berr |= buf_adds(&o->body, "</Error></Errors>");
		sim_xml_elem(&o->body, "RequestID", r->request_id);
		berr |= buf_adds(&o->body, "</Response>");
		break;
	case PROTO_REST_JSON: {
		o->ctype = "application/json";
		sim_header(o, "x-amzn-ErrorType", code);
		jv e = jv_object_set(jv_object(), jv_string("message"), jv_string(buf_str(&msg)));
		char *t = jvx_dump(e);
		berr |= buf_adds(&o->body, t);
		free(t);
		break;
	}
	case PROTO_CBOR:
		o->ctype = "application/cbor";
		sim_header(o, "smithy-protocol", "rpc-v2-cbor");
		berr |= buf_addc(&o->body, (char)0xa2);   /* a map of two text pairs */
		berr |= cbor_text(&o->body, "__type");
		berr |= cbor_text(&o->body, code);
		berr |= cbor_text(&o->body, "message");
		berr |= cbor_text(&o->body, buf_str(&msg));
		break;
	}
	BUF_NOCAP(berr);
	buf_release(&msg);
	return 0;
}

void sim_q_begin(struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	o->ctype = "text/xml";
	berr |= buf_addf(&o->body, "<%sResponse xmlns=\"%s\"><%sResult>", r->op, r->xmlns, r->op);
	BUF_NOCAP(berr);
}

void sim_q_end(struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	berr |= buf_addf(&o->body, "</%sResult><ResponseMetadata>", r->op);
	sim_xml_elem(&o->body, "RequestId", r->request_id);
	berr |= buf_addf(&o->body, "</ResponseMetadata></%sResponse>", r->op);
	BUF_NOCAP(berr);
}

int sim_json_reply(struct sim_resp *o, jv v)
{
	int berr = 0;
	o->ctype = "application/x-amz-json-1.1";
	char *t = jvx_dump(v);
	berr |= buf_adds(&o->body, t);
	BUF_NOCAP(berr);
	free(t);
	return 0;
}

/* ------------------------------------------------------------------ services */

struct sim_service {
	const char *name;           /* SigV4 scope service */
	const char *version;        /* Query API version (fallback detection) */
	enum sim_proto proto;
	const char *xmlns;
	const struct sim_op *ops;
	const char *(*route)(struct sim_req *r);   /* REST: the request's operation */
};

static const struct sim_service sim_services[] = {
	{ "rds", "2014-10-31", PROTO_QUERY, "http://rds.amazonaws.com/doc/2014-10-31/", sim_rds_ops },
	{ "elasticache", "2015-02-02", PROTO_QUERY,
	  "http://elasticache.amazonaws.com/doc/2015-02-02/", sim_elasticache_ops },
	{ "s3", NULL, PROTO_REST_XML, "http://s3.amazonaws.com/doc/2006-03-01/", sim_s3_ops, sim_s3_route },
	{ "route53", NULL, PROTO_REST_XML, "https://route53.amazonaws.com/doc/2013-04-01/", sim_route53_ops,
	  sim_r53_route },
	{ "secretsmanager", NULL, PROTO_JSON, NULL, sim_secrets_ops },
	{ "sns", "2010-03-31", PROTO_QUERY, "http://sns.amazonaws.com/doc/2010-03-31/", sim_sns_ops },
	{ "sts", "2011-06-15", PROTO_QUERY, "https://sts.amazonaws.com/doc/2011-06-15/", sim_sts_ops },
};
#define SIM_NSERVICES (sizeof(sim_services) / sizeof(sim_services[0]))

static const struct sim_service *service_named(const char *name, size_t len)
{
	for (size_t i = 0; i < SIM_NSERVICES; i++)
		if (strlen(sim_services[i].name) == len && !strncmp(sim_services[i].name, name, len))
			return &sim_services[i];
	return NULL;
}

/* "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=…,
 * Signature=…" (or the same in X-Amz-* query args): 0 and the scope's service, or -1 */
static int auth_scope(struct sim_req *r, const char **svc, size_t *svclen)
{
	const char *a = jvx_str(r->headers, "authorization");
	const char *cred = NULL;
	if (a) {
		if (strncmp(a, "AWS4-HMAC-SHA256 ", 17) || !strstr(a, "SignedHeaders=") ||
		    !strstr(a, "Signature="))
			return -1;
		cred = strstr(a, "Credential=");
		if (!cred)
			return -1;
		cred += 11;
	} else {
		const char *alg = jvx_str(r->query, "X-Amz-Algorithm");
		if (!alg || strcmp(alg, "AWS4-HMAC-SHA256") || !jvx_str(r->query, "X-Amz-Signature"))
			return -1;
		cred = jvx_str(r->query, "X-Amz-Credential");
		if (!cred)
			return -1;
	}
	/* AKID/DATE/REGION/SERVICE/aws4_request */
	const char *p = cred;
	for (int i = 0; i < 3; i++) {
		p = strchr(p, '/');
		if (!p)
			return -1;
		p++;
	}
	const char *e = strchr(p, '/');
	if (!e || strncmp(e, "/aws4_request", 13))
		return -1;
	*svc = p;
	*svclen = (size_t)(e - p);
	return 0;
}

/* ------------------------------------------------------------------ form bodies */

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static jv url_decode(const char *s, size_t n)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			berr |= buf_addc(&b, ' ');
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			berr |= buf_addc(&b, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
		} else {
			berr |= buf_addc(&b, s[i]);
		}
	}
	BUF_NOCAP(berr);
	jv v = jv_string_sized(buf_str(&b), (int)b.len);
	buf_release(&b);
	return v;
}

static jv form_parse(jv into, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '&')
			j++;
		size_t eq = i;
		while (eq < j && s[eq] != '=')
			eq++;
		if (j > i) {
			jv k = url_decode(s + i, eq - i);
			jv v = eq < j ? url_decode(s + eq + 1, j - eq - 1) : jv_string("");
			into = jv_object_set(into, k, v);
		}
		i = j + 1;
	}
	return into;
}

/* ------------------------------------------------------------------ dispatch */

static void count(jv *ctr, const char *name)
{
	jv n = jv_object_get(jv_copy(*ctr), jv_string(name));
	double v = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : 0;
	jv_free(n);
	*ctr = jv_object_set(*ctr, jv_string(name), jv_number(v + 1));
}

static const struct sim_op *op_find(const struct sim_op *ops, const char *name)
{
	for (; ops->name; ops++)
		if (!strcmp(ops->name, name))
			return ops;
	return NULL;
}

static int admin(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	jv v;
	if (!strcmp(r->path, "/_sim/counters"))
		v = sim_counters(s);
	else if (!strcmp(r->path, "/_sim/state"))
		v = sim_state(s);
	else if (!strcmp(r->path, "/_sim/published")) {
		pthread_mutex_lock(&s->lock);
		v = jvx_deep_copy(s->published);
		pthread_mutex_unlock(&s->lock);
	} else {
		o->status = 404;
		v = jv_object_set(jv_object(), jv_string("error"), jv_string("no such admin endpoint"));
	}
	o->ctype = "application/json";
	char *t = jvx_dump(v);
	berr |= buf_adds(&o->body, t);
	berr |= buf_addc(&o->body, '\n');
	free(t);
	return berr;
}

static void sleep_clock(struct sim *s, int64_t ms)
{
	/* real sleeping only: a server thread never takes clock tokens, so under a
	 * virtual clock injected latency cannot pass (documented in runbook-scenario(5)) */
	if (clock_kind(s->clock) == CLOCK_VIRTUAL || ms <= 0)
		return;
	int64_t until = clock_now(s->clock) + ms;
	while (clock_now(s->clock) < until) {
		struct timespec ts = { 0, 5 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* services whose protocol is rest-xml (the rest of the REST ones are rest-json) */
static const char *const rest_xml_services[] = { "route53", "cloudfront", "s3control", NULL };

/* a request for a service the simulator does not serve: an error in that service's own
 * protocol (the client's parser must read it), code UnknownOperationException (InvalidAction
 * for the XML query protocols), naming the service and operation */
static void not_simulated(struct sim_req *r, struct sim_resp *o)
{
	const char *scope, *target = jvx_str(r->headers, "x-amz-target");
	size_t scopelen = 0;
	const char *smithy = jvx_str(r->headers, "smithy-protocol");
	if (auth_scope(r, &scope, &scopelen) == 0)
		snprintf(r->unknown, sizeof(r->unknown), "%.*s", (int)(scopelen < 31 ? scopelen : 31), scope);
	else
		snprintf(r->unknown, sizeof(r->unknown), "unknown");
	r->service = r->unknown;
	const char *op = NULL;
	if (smithy && !strcmp(smithy, "rpc-v2-cbor")) {
		r->proto = PROTO_CBOR;   /* POST /service/<Service>/operation/<Op> */
		const char *p = strstr(r->path, "/operation/");
		op = p ? p + 11 : NULL;
	} else if (target) {
		r->proto = PROTO_JSON;   /* X-Amz-Target: <Prefix>.<Op> */
		op = strchr(target, '.') ? strchr(target, '.') + 1 : target;
	} else if (sim_q_str(r, "Action")) {
		r->proto = !strcmp(r->unknown, "ec2") ? PROTO_EC2 : PROTO_QUERY;
		op = sim_q_str(r, "Action");
		r->xmlns = "";
	} else {
		r->proto = PROTO_REST_JSON;
		for (const char *const *x = rest_xml_services; *x; x++)
			if (!strcmp(*x, r->unknown))
				r->proto = PROTO_REST_XML;
	}
	snprintf(r->unknown_op, sizeof(r->unknown_op), "%s", op ? op : "unknown");
	r->op = r->unknown_op;
	if (!jvx_str(r->headers, "authorization") && !jvx_str(r->query, "X-Amz-Signature")) {
		sim_error(r, o, 403, r->proto == PROTO_REST_XML || r->proto == PROTO_QUERY || r->proto == PROTO_EC2
				     ? "MissingAuthenticationToken" : "MissingAuthenticationTokenException",
			  "Request is missing Authentication Token");
		return;
	}
	int query = r->proto == PROTO_QUERY || r->proto == PROTO_EC2;
	sim_error(r, o, 400, query ? "InvalidAction" : "UnknownOperationException",
		  "%s%s%s is not simulated: runbook's simulator serves rds, elasticache, s3, secretsmanager, sns "
		  "and sts", r->unknown, op ? ":" : "", op ? op : "");
}

static int dispatch(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	const char *scope;
	size_t scopelen;
	const struct sim_service *svc = NULL;
	const char *target = jvx_str(r->headers, "x-amz-target");

	if (!strncmp(r->path, "/_sim/", 6)) {
		berr |= admin(s, r, o);
		return berr;
	}
	r->now = clock_now(s->clock);
	const char *ctype = jvx_str(r->headers, "content-type");
	if (ctype && !strncmp(ctype, "application/x-www-form-urlencoded", 33))
		r->form = form_parse(r->form, r->body, r->body_len);

	if (auth_scope(r, &scope, &scopelen) == 0)
		svc = service_named(scope, scopelen);
	if (!svc && target && !strncmp(target, "secretsmanager.", 15))
		svc = service_named("secretsmanager", 14);
	if (!svc) {
		const char *ver = sim_q_str(r, "Version");
		for (size_t i = 0; ver && i < SIM_NSERVICES; i++)
			if (sim_services[i].version && !strcmp(sim_services[i].version, ver))
				svc = &sim_services[i];
	}
	if (!svc) {
		not_simulated(r, o);
		return berr;
	}
	r->service = svc->name;
	r->proto = svc->proto;
	r->xmlns = svc->xmlns;

	switch (svc->proto) {
	case PROTO_QUERY:
		r->op = sim_q_str(r, "Action");
		break;
	case PROTO_JSON:
		r->op = target && strchr(target, '.') ? strchr(target, '.') + 1 : NULL;
		if (r->body_len) {
			jv j = jvx_parse_sized(r->body, r->body_len);
			if (jv_get_kind(j) == JV_KIND_OBJECT) {
				jv_free(r->json);
				r->json = j;
			} else {
				jv_free(j);
				r->op = r->op ? r->op : "unknown";
				sim_error(r, o, 400, "SerializationException", "the body is not a JSON object");
				return berr;
			}
		}
		break;
	case PROTO_REST_XML:
		r->op = svc->route(r);
		break;
	case PROTO_EC2:
	case PROTO_REST_JSON:
	case PROTO_CBOR:   /* no simulated service speaks these */
		r->op = NULL;
		break;
	}
	if (!r->op) {
		r->op = "unknown";
		if (svc->proto == PROTO_REST_XML)
			sim_error(r, o, 501, "NotImplemented", "the simulator does not implement this request");
		else
			sim_error(r, o, 400, svc->proto == PROTO_JSON ? "UnknownOperationException" : "MissingAction",
				  "no operation named in the request");
		return berr;
	}
	if (auth_scope(r, &scope, &scopelen) != 0) {
		sim_error(r, o, 403, svc->proto == PROTO_JSON ? "IncompleteSignatureException" :
			  svc->proto == PROTO_REST_XML ? "AccessDenied" : "IncompleteSignature",
			  "the request needs an AWS4-HMAC-SHA256 Authorization header "
			  "(Credential=…/SignedHeaders=…/Signature=…)");
		return berr;
	}

	char opkey[128];
	snprintf(opkey, sizeof(opkey), "%s", r->op);
	pthread_mutex_lock(&s->lock);
	count(&s->c_requests, opkey);
	struct sim_fault *f = sim_fault_pick(s, svc->name, opkey);
	int64_t latency = 0;
	if (f) {
		count(&s->c_faults, opkey);
		o->fault = sim_fault_kind_name(f->kind);
		if (f->kind == FAULT_LATENCY)
			latency = f->latency_ms;
		else
			sim_fault_apply(s, f, r, o);
		if (o->errored)
			count(&s->c_errors, o->code);
	}
	pthread_mutex_unlock(&s->lock);
	if (f && f->kind != FAULT_LATENCY)
		return berr;
	if (latency) {
		sleep_clock(s, latency);
		r->now = clock_now(s->clock);
	}

	const struct sim_op *op = op_find(svc->ops, r->op);
	if (!op) {
		if (svc->proto == PROTO_REST_XML)
			sim_error(r, o, 501, "NotImplemented", "the simulator does not implement %s", r->op);
		else if (svc->proto == PROTO_JSON)
			sim_error(r, o, 400, "UnknownOperationException", "operation %s is not simulated", r->op);
		else
			sim_error(r, o, 400, "InvalidAction",
				  "Could not find operation %s for version %s (not simulated)", r->op,
				  svc->version);
		return berr;
	}
	pthread_mutex_lock(&s->lock);
	if (op->mutating)
		count(&s->c_mutating, op->name);
	char region[32];
	sim_region_enter(s, sim_scope_region(r->headers, r->query, region, sizeof(region)));
	sim_rds_exports_land(s, r->now);   /* S3 sees what an export wrote by now */
	op->fn(s, r, o);
	sim_region_leave(s);
	if (o->errored)
		count(&s->c_errors, o->code);
	pthread_mutex_unlock(&s->lock);
	return berr;
}

/* ------------------------------------------------------------------ MHD glue */

/* a request's word for the log: one line whatever was sent (control bytes become '?') */
static const char *log_word(const char *s, char *buf, size_t size)
{
	size_t i = 0;
	for (; s && s[i] && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == ' ' ? '?' : s[i];
	buf[i] = 0;
	return i ? buf : "-";
}

static void log_request(struct sim *s, struct sim_req *r, struct sim_resp *o, const char *fault)
{
	if (!s->log || !strncmp(r->path, "/_sim/", 6))
		return;
	char ts[40], op[128];
	sim_iso(clock_now(s->clock), ts, sizeof(ts));
	flockfile(s->log);
	fprintf(s->log, "%s %s %s %s %d%s%s%s%s\n", ts, r->service ? r->service : "-",
		log_word(r->op, op, sizeof(op)), r->request_id, o->reset ? 0 : o->status,
		o->errored ? " " : "", o->errored ? o->code : "", fault ? " fault=" : "",
		fault ? fault : "");
	fflush(s->log);
	funlockfile(s->log);
}

/* one request, however it arrived: r's method, path, query, headers and body are set
 * (body NUL-terminated); o is filled. The request log gets its line. */
static int run_request(struct sim *s, struct sim_req *r, struct sim_resp *o, int too_big)
{
	int berr = 0;
	r->json = jv_object();
	r->form = jv_copy(r->query);
	o->status = 200;
	buf_init(&o->body, 0);
	o->headers = jv_object();
	pthread_mutex_lock(&s->lock);
	sim_new_id(s, r->request_id, sizeof(r->request_id));
	pthread_mutex_unlock(&s->lock);
	if (too_big) {
		r->proto = PROTO_REST_XML;
		sim_error(r, o, 400, "EntityTooLarge", "the simulator takes bodies up to 64 MiB");
	} else {
		berr |= dispatch(s, r, o);
	}
	log_request(s, r, o, o->fault);
	return berr;
}

int sim_handle(struct sim *s, const char *method, const char *path, jv query, jv headers,
	       const char *body, size_t len, struct sim_reply *out)
{
	int berr = 0;
	struct buf b = BUF_INIT(CAP_SIM_BODY);
	int too_big = len && buf_add(&b, body, len) < 0;
	struct sim_req r = { 0 };
	struct sim_resp o = { 0 };
	r.method = method ? method : "GET";
	r.path = path ? path : "/";
	r.query = sim_http_string_map(query, 0);
	r.headers = sim_http_string_map(headers, 1);
	r.body = buf_str(&b);
	r.body_len = too_big ? 0 : b.len;
	berr |= run_request(s, &r, &o, too_big);
	BUF_NOCAP(berr);
	memset(out, 0, sizeof(*out));
	out->status = o.reset ? 0 : o.status;
	out->reset = o.reset;
	out->headers = jv_object_set(o.headers, jv_string("x-amzn-RequestId"), jv_string(r.request_id));
	out->len = o.body.len;
	out->body = buf_detach(&o.body);
	jv_free(r.query);
	jv_free(r.form);
	jv_free(r.json);
	jv_free(r.headers);
	buf_release(&b);
	return 0;
}

void sim_reply_release(struct sim_reply *rep)
{
	free(rep->body);
	jv_free(rep->headers);
	memset(rep, 0, sizeof(*rep));
}

/* a request from the HTTP front end */
static void serve(void *cls, struct sim_http_req *q, struct sim_http_reply *rep)
{
	int berr = 0;
	struct sim *s = cls;
	struct sim_req r = { 0 };
	struct sim_resp o = { 0 };
	r.method = q->method;
	r.path = q->url;
	r.query = jv_copy(q->query);
	r.headers = jv_copy(q->headers);
	r.body = q->body;
	r.body_len = q->len;
	berr |= run_request(s, &r, &o, q->too_big);
	rep->reset = o.reset;
	rep->status = o.status;
	rep->ctype = o.ctype;
	jv h = jv_object_set(jv_object(), jv_string("x-amzn-RequestId"), jv_string(r.request_id));
	if (r.proto == PROTO_REST_XML)
		h = jv_object_set(h, jv_string("x-amz-request-id"), jv_string(r.request_id));
	SIM_OBJ_EACH(o.headers, k, v)
		h = jv_object_set(h, k, v);
	rep->headers = h;
	rep->len = o.body.len;
	rep->body = buf_detach(&o.body);
	jv_free(r.query);
	jv_free(r.form);
	jv_free(r.json);
	jv_free(r.headers);
	BUF_NOCAP(berr);
}

/* ------------------------------------------------------------------ API */

struct sim *sim_open(const char *scenario_path, struct rb_clock *clock, const struct sim_options *opt,
		     struct diag_list *dl)
{
	struct sim *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->clock = clock;
	s->log = opt ? opt->log : NULL;
	s->c_requests = jv_object();
	s->c_mutating = jv_object();
	s->c_faults = jv_object();
	s->c_errors = jv_object();
	if (sim_scenario_load(s, scenario_path, dl) < 0) {
		sim_stop(s);
		return NULL;
	}
	return s;
}

struct sim *sim_start_opts(const char *scenario_path, const char *listen, struct rb_clock *clock,
			   const struct sim_options *opt, struct diag_list *dl)
{
	struct sockaddr_in sa;
	const char *addr = listen ? listen : "127.0.0.1:0";
	if (sim_http_parse_listen(addr, "the simulator", &sa, dl) < 0)
		return NULL;
	struct sim *s = sim_open(scenario_path, clock, opt, dl);
	if (!s)
		return NULL;
	static const char *const quiet[] = { "Application reported internal error", NULL };
	const struct sim_http_opts ho = { .what = "the simulator", .log_prefix = "runbook: sim: ", .quiet = quiet,
					  .body_max = CAP_SIM_BODY, .timeout_s = 120 };
	s->http = sim_http_start(&ho, &sa, addr, serve, s, dl);
	if (!s->http)
		goto fail;
	unsigned port = sim_http_port(s->http);
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
	snprintf(s->endpoint, sizeof(s->endpoint), "http://%s:%u", host, port ? port : (unsigned)ntohs(sa.sin_port));
	return s;
fail:
	sim_stop(s);
	return NULL;
}

struct sim *sim_start(const char *scenario_path, const char *listen, struct rb_clock *clock,
		      struct diag_list *dl)
{
	return sim_start_opts(scenario_path, listen, clock, NULL, dl);
}

const char *sim_endpoint(struct sim *s)
{
	return s->endpoint;
}

jv sim_counters(struct sim *s)
{
	pthread_mutex_lock(&s->lock);
	jv v = jv_object();
	v = jv_object_set(v, jv_string("requests"), jvx_deep_copy(s->c_requests));
	v = jv_object_set(v, jv_string("mutating"), jvx_deep_copy(s->c_mutating));
	v = jv_object_set(v, jv_string("faults"), jvx_deep_copy(s->c_faults));
	v = jv_object_set(v, jv_string("errors"), jvx_deep_copy(s->c_errors));
	v = jv_object_set(v, jv_string("published"),
			  jv_number(jv_array_length(jv_copy(s->published))));
	pthread_mutex_unlock(&s->lock);
	v = jv_object_set(v, jv_string("connections"), jv_number((double)sim_http_connections(s->http)));
	if (s->k8s)
		v = jv_object_set(v, jv_string("k8s"), sim_k8s_server_counters(s->k8s));
	return v;
}

int sim_k8s_open(struct sim *s, struct diag_list *dl)
{
	if (s->k8s)
		return 0;
	jv cfg = jv_get_kind(s->k8s_config) == JV_KIND_OBJECT ? jv_copy(s->k8s_config) : jv_null();
	s->k8s = sim_k8s_server_new(s->clock, cfg, dl);
	if (!s->k8s)
		return -1;
	sim_k8s_server_set_log(s->k8s, s->log);
	return 0;
}

int sim_k8s_start(struct sim *s, const char *listen, int tls, struct diag_list *dl)
{
	if (s->k8s && *sim_k8s_server_endpoint(s->k8s))
		return 0;
	int fresh = !s->k8s;
	if (sim_k8s_open(s, dl) < 0)
		return -1;
	if (sim_k8s_server_listen(s->k8s, listen, tls, dl) < 0) {
		if (fresh) {
			sim_k8s_server_free(s->k8s);
			s->k8s = NULL;
		}
		return -1;
	}
	return 0;
}

int sim_k8s_handle(struct sim *s, const char *method, const char *url, jv query, jv headers,
		   const char *body, size_t len, struct sim_reply *out, struct diag_list *dl)
{
	if (sim_k8s_open(s, dl) < 0) {
		jv_free(query);
		jv_free(headers);
		return -1;
	}
	return sim_k8s_server_handle(s->k8s, method, url, query, headers, body, len, out);
}

const char *sim_k8s_endpoint(struct sim *s)
{
	return s->k8s && *sim_k8s_server_endpoint(s->k8s) ? sim_k8s_server_endpoint(s->k8s) : NULL;
}

int sim_k8s_kubeconfig(struct sim *s, const char *path, const char *auth, struct diag_list *dl)
{
	if (!s->k8s) {
		diag_error(dl, NULL, "the Kubernetes simulator is not running");
		return -1;
	}
	return sim_k8s_server_kubeconfig(s->k8s, path, auth, dl);
}

jv sim_k8s_state(struct sim *s)
{
	return s->k8s ? sim_k8s_server_state(s->k8s) : jv_array();
}

jv sim_world(struct sim *s)
{
	jv world = sim_state(s);
	if (s->k8s)
		world = jv_object_set(world, jv_string("k8s"), sim_k8s_state(s));
	return world;
}

int sim_world_write(const char *path, jv world, struct diag_list *dl)
{
	char *t = jvx_dump(world);
	size_t len = strlen(t);
	t[len] = '\n';          /* jvx_dump's NUL becomes the final newline */
	int rc = sim_write_private(path, t, len + 1, dl);
	free(t);
	return rc;
}

void sim_stop(struct sim *s)
{
	if (!s)
		return;
	sim_k8s_server_free(s->k8s);
	s->k8s = NULL;
	sim_http_stop(s->http);
	sim_world_release(s);
	jv_free(s->c_requests);
	jv_free(s->c_mutating);
	jv_free(s->c_faults);
	jv_free(s->c_errors);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
