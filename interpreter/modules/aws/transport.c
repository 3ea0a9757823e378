/* transport.c — endpoints, libcurl, signing at send time, retries.
 *
 * Retry policy (DESIGN.md "Retries"): throttling codes, HTTP 429/500/502/503/504,
 * connection resets and timeouts are transient and retried up to max_attempts with
 * exponential backoff and full jitter (delay uniform in [0, min(cap, base * 2^n))); the
 * attempts and the backoff are the AWS CLI's retry mode (retry.c: with its retry quota, and
 * adaptive mode's rate limiter before each attempt),
 * sleeping on the call's clock so rehearsals run on virtual time. Everything else fails
 * at once as {code, message: "message (request id X)", request_id}.
 * TLS verification is always on (CURLOPT_SSL_VERIFYPEER/HOST are never turned off).
 *
 * Every attempt is ours and is journaled. libcurl re-sends a request by itself when a
 * reused connection dies before any reply byte (Curl_retry_request): harmless for a
 * read, a second restore for a write. So a request that may change something (anything
 * but GET/HEAD and the Describe/List/Get... operations) goes on a fresh connection that
 * is closed after it, where libcurl never re-sends; a reset then reaches the retry loop
 * below as a transient error. Each attempt is logged at debug level (the journal only)
 * as "attempt N/M: SERVICE OPERATION: OUTCOME"; a read that libcurl did re-send says
 * "[sent K times ...]", counted from the request lines libcurl hands its debug callback.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "aws.h"
#include "../../core/backoff.h"
#include "../../core/bug.h"
#include "../../core/clock.h"
#include "../../core/jvx.h"
#include "../../core/caps.h"


const struct aws_service aws_svc_rds = {"rds", "rds", "RDS", "2014-10-31", AWS_QUERY, NULL};
const struct aws_service aws_svc_elasticache = {"elasticache", "elasticache", "ELASTICACHE", "2015-02-02", AWS_QUERY, NULL};
const struct aws_service aws_svc_sts = {"sts", "sts", "STS", "2011-06-15", AWS_QUERY, NULL};
const struct aws_service aws_svc_sns = {"sns", "sns", "SNS", "2010-03-31", AWS_QUERY, NULL};
const struct aws_service aws_svc_s3 = {"s3", "s3", "S3", "2006-03-01", AWS_RESTXML, NULL};
const struct aws_service aws_svc_secrets = {"secretsmanager", "secretsmanager", "SECRETS_MANAGER", "2017-10-17", AWS_JSON11, "secretsmanager"};
static const struct aws_service svc_cloudwatch = {"monitoring", "monitoring", "CLOUDWATCH", "2010-08-01", AWS_QUERY, NULL};
static const struct aws_service svc_iam = {"iam", "iam", "IAM", "2010-05-08", AWS_QUERY, NULL};

static const struct {
	const char *name;
	const struct aws_service *svc;
} services[] = {
	{"rds", &aws_svc_rds}, {"elasticache", &aws_svc_elasticache}, {"sts", &aws_svc_sts},
	{"sns", &aws_svc_sns}, {"s3", &aws_svc_s3}, {"secretsmanager", &aws_svc_secrets},
	{"cloudwatch", &svc_cloudwatch}, {"monitoring", &svc_cloudwatch}, {"iam", &svc_iam},
	{"route53", &aws_svc_route53},
	{NULL, NULL},
};

const struct aws_service *aws_service_find(const char *name)
{
	for (int i = 0; services[i].name; i++)
		if (!strcmp(services[i].name, name))
			return services[i].svc;
	return NULL;
}

/* the item name of (service, wrapper); with item: only that one. The same wrapper can
 * have two item names in one service (ElastiCache ReplicationGroups: ReplicationGroup in
 * replies, member elsewhere); entries are sorted so the first is the capitalized one. */
static const char *list_lookup(const char *service, const char *wrapper, const char *item)
{
	/* shape tables key cloudwatch as "cloudwatch" while it signs as "monitoring" */
	if (!strcmp(service, "monitoring"))
		service = "cloudwatch";
	/* binary search for the first entry of this wrapper, then its services */
	int lo = 0, hi = aws_list_shapes_n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (strcmp(aws_list_shapes[mid].wrapper, wrapper) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int i = lo; i < aws_list_shapes_n && !strcmp(aws_list_shapes[i].wrapper, wrapper); i++)
		if (!strcmp(aws_list_shapes[i].service, service) && (!item || !strcmp(aws_list_shapes[i].item, item)))
			return aws_list_shapes[i].item;
	return NULL;
}

const char *aws_list_item(const char *service, const char *wrapper)
{
	return list_lookup(service, wrapper, NULL);
}

int aws_list_has_item(const char *service, const char *wrapper, const char *item)
{
	return list_lookup(service, wrapper, item) != NULL;
}

int aws_scalar_kind(const char *name)
{
	/* binary search: the generated table is sorted */
	int lo = 0, hi = aws_scalar_shapes_n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2, c = strcmp(aws_scalar_shapes[mid].name, name);
		if (!c)
			return aws_scalar_shapes[mid].kind;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0;
}

/* ---- client */
static char *conn_str(jv conn, const char *key)
{
	if (jv_get_kind(conn) != JV_KIND_OBJECT)
		return NULL;
	const char *s = jvx_str(conn, key);
	return s && *s ? xstrdup(s) : NULL;
}

int aws_client_init(struct aws_client *c, struct action_call *call, jv conn, jv *err)
{
	memset(c, 0, sizeof *c);
	c->call = call;
	c->profile = conn_str(conn, "profile");
	if (aws_retry_config(c, err) < 0) {
		aws_client_release(c);
		return -1;
	}
	c->endpoint = conn_str(conn, "endpoint");
	c->ca_bundle = aws_resolve_ca_bundle(c->profile);
	char *r = conn_str(conn, "region");
	c->region = aws_resolve_region(r, c->profile);
	free(r);
	if (!c->region) {
		*err = jvx_error("NoRegion",
				 "no AWS region: set connections.aws.region, AWS_REGION, AWS_DEFAULT_REGION or the profile's region");
		aws_client_release(c);
		return -1;
	}
	if (jv_get_kind(conn) == JV_KIND_OBJECT && jvx_has(conn, "credentials")) {
		jv cr = jvx_get(conn, "credentials");
		const char *ak = jvx_str(cr, "access_key_id"), *sk = jvx_str(cr, "secret_access_key");
		const char *tok = jvx_str(cr, "session_token");
		if (!ak || !sk) {
			jv_free(cr);
			*err = jvx_error("InvalidConfiguration",
					 "connections.aws.credentials needs access_key_id and secret_access_key");
			aws_client_release(c);
			return -1;
		}
		c->creds.access_key_id = xstrdup(ak);
		c->creds.secret_access_key = xstrdup(sk);
		c->creds.session_token = tok && *tok ? xstrdup(tok) : NULL;
		c->creds.source = "connection";
		c->have_creds = 1;
		jv_free(cr);
	}
	return 0;
}

int aws_client_for_call(struct aws_client *c, struct action_call *call, const char *region, jv *err)
{
	jv conn = jv_get_kind(call->connections) == JV_KIND_OBJECT ? jvx_get(call->connections, "aws")
								    : jv_invalid();
	if (!jv_is_valid(conn))
		conn = jv_null();
	int r = aws_client_init(c, call, conn, err);
	jv_free(conn);
	if (r == 0 && region && *region) {
		free(c->region);
		c->region = xstrdup(region);
	}
	return r;
}

void aws_client_release(struct aws_client *c)
{
	free(c->region);
	free(c->profile);
	free(c->endpoint);
	free(c->ca_bundle);
	aws_creds_release(&c->creds);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	memset(c, 0, sizeof *c);
}

int aws_client_creds(struct aws_client *c, jv *err)
{
	if (c->have_creds)
		return 0;
	int r = aws_resolve_credentials(c, &c->creds, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		*err = jvx_error("NoCredentials",
				 "no AWS credentials found (environment, profile '%s', web identity, container, instance metadata)",
				 c->profile ? c->profile : (getenv("AWS_PROFILE") ? getenv("AWS_PROFILE") : "default"));
		return -1;
	}
	c->have_creds = 1;
	return 0;
}

char *aws_endpoint(struct aws_client *c, const struct aws_service *svc)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	char *conf = c->endpoint ? NULL : aws_configured_endpoint(c->profile, svc);
	if (c->endpoint)
		berr |= buf_adds(&b, c->endpoint);
	else if (conf)
		berr |= buf_adds(&b, conf);
	else if (!strcmp(svc->name, "iam") || !strcmp(svc->name, "route53"))   /* global services */
		berr |= buf_addf(&b, "https://%s.amazonaws.com", svc->prefix);
	else
		berr |= buf_addf(&b, "https://%s.%s.amazonaws.com", svc->prefix, c->region);
	BUF_NOCAP(berr);
	free(conf);
	while (b.len > 8 && b.data[b.len - 1] == '/')
		b.data[--b.len] = 0;
	return buf_detach(&b);
}

/* ---- requests */
void aws_request_init(struct aws_request *r, const struct aws_service *svc, const char *method)
{
	memset(r, 0, sizeof *r);
	r->svc = svc;
	r->method = method;
	r->path = xstrdup("/");
	buf_init(&r->query, CAP_AWS_QUERY);
}

void aws_request_header(struct aws_request *r, const char *name, const char *value)
{
	ALLOC_GROW(r->headers, r->nheaders + 1, r->alloc);
	r->headers[r->nheaders].name = xstrdup(name);
	r->headers[r->nheaders].value = xstrdup(value ? value : "");
	r->nheaders++;
}

void aws_request_release(struct aws_request *r)
{
	for (int i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->path);
	free(r->url);
	buf_release(&r->query);
	memset(r, 0, sizeof *r);
}

void aws_response_release(struct aws_response *r)
{
	buf_release(&r->body);
	jv_free(r->headers);
	free(r->request_id);
	memset(r, 0, sizeof *r);
	r->headers = jv_null();
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct buf *b = ud;
	return buf_add(b, p, sz * n) < 0 ? 0 : sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	jv *h = ud;
	size_t len = sz * n;
	const char *colon = memchr(p, ':', len);
	if (len >= 5 && !memcmp(p, "HTTP/", 5)) {
		/* a new response (after 100-continue or a redirect): forget earlier headers */
		jv_free(*h);
		*h = jv_object();
		return len;
	}
	if (!colon)
		return len;
	char name[256];
	size_t nl = (size_t)(colon - p);
	if (nl >= sizeof name)
		return len;
	for (size_t i = 0; i < nl; i++)
		name[i] = (char)tolower((unsigned char)p[i]);
	name[nl] = 0;
	const char *v = colon + 1, *e = p + len;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
		e--;
	*h = jv_object_set(*h, jv_string(name), jv_string_sized(v, (int)(e - v)));
	return len;
}

struct progress { const volatile int *cancel; };

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const struct progress *p = ud;
	return p->cancel && *p->cancel ? 1 : 0;
}

int aws_http_plain(const char *method, const char *url, const char *const *hdrs,
		   long timeout_ms, const char *ca_bundle, struct aws_response *resp)
{
	int berr = 0;
	memset(resp, 0, sizeof *resp);
	buf_init(&resp->body, CAP_AWS_PLAIN_REPLY);
	resp->headers = jv_object();
	CURL *h = curl_easy_init();
	if (!h)
		return -1;
	struct curl_slist *sl = NULL;
	for (int i = 0; hdrs && hdrs[i]; i += 2) {
		struct buf l = BUF_INIT(0);
		berr |= buf_addf(&l, "%s: %s", hdrs[i], hdrs[i + 1] ? hdrs[i + 1] : "");
		sl = curl_slist_append(sl, l.data);
		buf_release(&l);
	}
	BUF_NOCAP(berr);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "169.254.169.254,169.254.170.2");
	if (ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_bundle);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_slist_free_all(sl);
	curl_easy_cleanup(h);
	return rc == CURLE_OK ? 0 : -1;
}

/* ---- errors */
static char *xml_child_text(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name)) {
			xmlChar *t = xmlNodeGetContent(c);
			char *s = xstrdup(t ? (const char *)t : "");
			xmlFree(t);
			return s;
		}
	return NULL;
}

void aws_parse_error(enum aws_proto proto, const struct aws_response *resp, char **code,
		     char **message, char **request_id)
{
	*code = *message = *request_id = NULL;
	const char *rid = jvx_str(resp->headers, "x-amzn-requestid");
	if (!rid)
		rid = jvx_str(resp->headers, "x-amz-request-id");
	if (rid)
		*request_id = xstrdup(rid);
	if (resp->body.len && (proto == AWS_JSON11 || resp->body.data[0] == '{')) {
		jv j = jvx_parse_sized(resp->body.data, resp->body.len);
		if (jv_get_kind(j) == JV_KIND_OBJECT) {
			const char *t = jvx_str(j, "__type");
			if (!t)
				t = jvx_str(j, "code");
			const char *m = jvx_str(j, "Message");
			if (!m)
				m = jvx_str(j, "message");
			if (t) {
				const char *hash = strrchr(t, '#');
				*code = xstrdup(hash ? hash + 1 : t);
				size_t l = strcspn(*code, ":");
				(*code)[l] = 0;
			}
			if (m)
				*message = xstrdup(m);
		}
		jv_free(j);
	} else if (resp->body.len) {
		xmlDoc *doc = xmlReadMemory(resp->body.data, (int)resp->body.len, NULL, NULL,
					    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
		xmlNode *e = NULL;
		if (root && !strcmp((const char *)root->name, "ErrorResponse")) {
			for (xmlNode *c = root->children; c; c = c->next)
				if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "Error"))
					e = c;
		} else if (root && !strcmp((const char *)root->name, "Response")) {
			/* EC2 style: <Response><Errors><Error> */
			for (xmlNode *c = root->children; c; c = c->next)
				if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "Errors"))
					for (xmlNode *d = c->children; d; d = d->next)
						if (d->type == XML_ELEMENT_NODE)
							e = d;
		} else if (root && !strcmp((const char *)root->name, "Error")) {
			e = root;
		}
		if (e) {
			*code = xml_child_text(e, "Code");
			*message = xml_child_text(e, "Message");
			char *r = xml_child_text(root, "RequestId");
			if (!r)
				r = xml_child_text(e, "RequestId");
			if (!r)
				r = xml_child_text(root, "RequestID");
			if (r) {
				free(*request_id);
				*request_id = r;
			}
		}
		if (doc)
			xmlFreeDoc(doc);
	}
	if (!*code && jvx_str(resp->headers, "x-amzn-errortype")) {
		/* REST-JSON services (SSO, SSO OIDC) name the error in a header */
		const char *t = jvx_str(resp->headers, "x-amzn-errortype");
		*code = xstrndup(t, strcspn(t, ":"));
	}
	if (!*code) {
		/* S3 HEAD errors have no body */
		const char *c = resp->status == 404 ? "NotFound" : resp->status == 403 ? "Forbidden"
			: resp->status == 429 ? "TooManyRequests" : resp->status >= 500 ? "InternalError" : "HttpError";
		*code = xstrdup(c);
	}
	if (!*message) {
		char b[64];
		snprintf(b, sizeof b, "HTTP %ld", resp->status);
		*message = xstrdup(b);
	}
}

static const char *const throttling_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
	"LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException", NULL,
};

static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException",
	"InternalError", "InternalFailure", "ServiceUnavailable", "InternalServiceError",
	NULL,
};

static int code_in(const char *code, const char *const *codes)
{
	for (int i = 0; code && codes[i]; i++)
		if (!strcmp(code, codes[i]))
			return 1;
	return 0;
}

int aws_code_is_throttling(const char *code)
{
	return code_in(code, throttling_codes);
}

int aws_code_is_transient(const char *code, long status)
{
	if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504)
		return 1;
	return code_in(code, throttling_codes) || code_in(code, transient_codes);
}

int64_t aws_backoff_ms(int n, int64_t base_ms, int64_t cap_ms)
{
	struct backoff b = { base_ms, 2, cap_ms };

	return backoff_full(&b, n, backoff_random());
}

static int curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_COULDNT_RESOLVE_HOST:
		return 1;
	default:
		return 0;
	}
}

static void amz_date_now(char out[17])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* split "scheme://host[:port][/base]" -> host for the Host: header (default port
 * dropped) and the base path */
static int url_host(const char *url, struct buf *host, struct buf *base)
{
	int berr = 0;
	const char *p = strstr(url, "://");
	int https = !strncmp(url, "https", 5);
	p = p ? p + 3 : url;
	size_t l = strcspn(p, "/");
	const char *colon = memchr(p, ':', l);
	if (colon && ((https && !strncmp(colon, ":443", 4) && colon + 4 == p + l) ||
		      (!https && !strncmp(colon, ":80", 3) && colon + 3 == p + l)))
		berr |= buf_add(host, p, (size_t)(colon - p));
	else
		berr |= buf_add(host, p, l);
	if (p[l])
		berr |= buf_adds(base, p + l);
	return berr;
}

static void logf_call(struct aws_client *c, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void logf_call(struct aws_client *c, enum log_level lvl, const char *fmt, ...)
{
	int berr = 0;
	if (!c->call || !c->call->log)
		return;
	struct buf b = BUF_INIT(0);
	va_list ap;
	va_start(ap, fmt);
	berr |= buf_vaddf(&b, fmt, ap);
	va_end(ap);
	BUF_NOCAP(berr);
	c->call->log(c->call, lvl, buf_str(&b));
	buf_release(&b);
}

/* operations that only read (as aws.call's read_only guess) */
static const char *const read_prefixes[] = {
	"Describe", "List", "Get", "Head", "Search", "Lookup", "Check", "Validate", "Estimate", NULL,
};

/* the operation a request performs, for logs: the query Action, the JSON target's
 * operation, or S3's method and path. Writes into out. */
static const char *request_op(const struct aws_request *r, char *out, size_t len)
{
	const char *v = NULL;
	size_t n = 0;
	if (r->svc->proto == AWS_QUERY && r->body && r->body_len > 7 && !strncmp(r->body, "Action=", 7)) {
		v = r->body + 7;
		n = strcspn(v, "&");
		if (v + n > r->body + r->body_len)
			n = (size_t)(r->body + r->body_len - v);
	} else if (r->svc->proto == AWS_JSON11) {
		for (int i = 0; i < r->nheaders; i++)
			if (!strcasecmp(r->headers[i].name, "X-Amz-Target")) {
				v = strchr(r->headers[i].value, '.');
				v = v ? v + 1 : r->headers[i].value;
				n = strlen(v);
			}
	}
	if (v && n)
		snprintf(out, len, "%.*s", (int)n, v);
	else
		snprintf(out, len, "%s %s", r->method, r->path ? r->path : "/");
	return out;
}

/* whether a request only reads: sending it twice changes nothing */
static int request_is_read(const struct aws_request *r)
{
	const char *op = NULL;
	char buf[128];
	if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"))
		return 1;
	if (r->svc->proto == AWS_RESTXML)
		return 0;
	op = request_op(r, buf, sizeof buf);
	for (int i = 0; read_prefixes[i]; i++)
		if (!strncmp(op, read_prefixes[i], strlen(read_prefixes[i])))
			return 1;
	return 0;
}

/* counts the requests libcurl puts on the wire in one perform: the header blocks that
 * start with the request line */
struct wire {
	const char *method;
	int sends;
};

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
	struct wire *w = ud;
	size_t ml = strlen(w->method);
	(void)h;
	if (type == CURLINFO_HEADER_OUT && size > ml && !memcmp(data, w->method, ml) && data[ml] == ' ')
		w->sends++;
	return 0;
}

/* libcurl takes https_proxy / HTTPS_PROXY, no_proxy / NO_PROXY and all_proxy itself,
 * but for http:// only the lower-case http_proxy (CGI's HTTP_PROXY header); the AWS CLI
 * takes HTTP_PROXY too, outside CGI. NO_PROXY still applies to a proxy set here. */
static void set_http_proxy(CURL *h, const char *url)
{
	const char *up = getenv("HTTP_PROXY");
	if (strncasecmp(url, "http://", 7) || getenv("http_proxy") || !up || !*up || getenv("REQUEST_METHOD"))
		return;
	curl_easy_setopt(h, CURLOPT_PROXY, up);
}

/* one attempt. returns 0 when an HTTP reply arrived (any status), or the CURLcode;
 * *sends: how many times libcurl sent it */
static CURLcode send_once(struct aws_client *c, struct aws_request *r, struct aws_response *resp,
			  char **errtext, int *sends)
{
	int berr = 0;
	char *base = r->url ? xstrdup(r->url) : aws_endpoint(c, r->svc);
	struct buf host = BUF_INIT(0), basepath = BUF_INIT(0), path = BUF_INIT(0), url = BUF_INIT(0);
	struct buf auth = BUF_INIT(0);
	struct curl_slist *sl = NULL;
	char amz_date[17], phash[65];
	CURLcode rc = CURLE_OK;

	berr |= url_host(base, &host, &basepath);
	if (r->url) {
		berr |= buf_adds(&url, base);
		berr |= buf_adds(&path, buf_str(&basepath));
	} else {
		/* endpoint with a base path (rare): prefix it */
		berr |= buf_adds(&path, basepath.len ? basepath.data : "");
		if (basepath.len && path.data[path.len - 1] == '/' && r->path[0] == '/')
			berr |= buf_adds(&path, r->path + 1);
		else
			berr |= buf_adds(&path, r->path);
		size_t schemelen = (size_t)(strstr(base, "://") ? strstr(base, "://") - base + 3 : 0);
		berr |= buf_add(&url, base, schemelen);
		berr |= buf_add(&url, strstr(base, "://") ? strstr(base, "://") + 3 : base,
			strcspn(strstr(base, "://") ? strstr(base, "://") + 3 : base, "/"));
		berr |= buf_adds(&url, path.data);
		if (r->query.len) {
			berr |= buf_addc(&url, '?');
			berr |= buf_adds(&url, r->query.data);
		}
	}
	BUF_NOCAP(berr);

	aws_sha256_hex(r->body, r->body_len, phash);
	amz_date_now(amz_date);
	/* headers sent = request headers + x-amz-date (+ token, + content sha for s3) */
	struct aws_header *hs = xcalloc((size_t)r->nheaders + 4, sizeof *hs);
	int nh = 0;
	for (int i = 0; i < r->nheaders; i++)
		hs[nh++] = r->headers[i];
	if (r->anonymous == 0) {
		hs[nh].name = "X-Amz-Date";
		hs[nh++].value = amz_date;
		if (c->creds.session_token) {
			hs[nh].name = "X-Amz-Security-Token";
			hs[nh++].value = c->creds.session_token;
		}
	}
	if (!strcmp(r->svc->name, "s3")) {
		hs[nh].name = "x-amz-content-sha256";
		hs[nh++].value = phash;
	}
	if (!r->anonymous) {
		struct aws_sign_req sr = {
			.method = r->method, .host = host.data, .path = path.data,
			.query = r->url ? "" : buf_str(&r->query), .headers = hs, .nheaders = nh,
			.payload_hash = phash, .s3 = !strcmp(r->svc->name, "s3"),
		};
		if (aws_sigv4_authorization(&sr, &c->creds, c->region, r->svc->name, amz_date, &auth) < 0) {
			*errtext = xstrdup("cannot sign the request (incomplete credentials)");
			rc = CURLE_ABORTED_BY_CALLBACK;
			free(hs);
			goto out;
		}
	}
	{
		struct buf l = BUF_INIT(0);
		berr |= buf_addf(&l, "Host: %s", host.data);
		sl = curl_slist_append(sl, l.data);
		for (int i = 0; i < nh; i++) {
			buf_reset(&l);
			if (hs[i].value[0])
				berr |= buf_addf(&l, "%s: %s", hs[i].name, hs[i].value);
			else
				berr |= buf_addf(&l, "%s;", hs[i].name);   /* curl: send an empty header */
			sl = curl_slist_append(sl, l.data);
		}
		if (auth.len) {
			buf_reset(&l);
			berr |= buf_addf(&l, "Authorization: %s", auth.data);
			sl = curl_slist_append(sl, l.data);
		}
		BUF_NOCAP(berr);
		sl = curl_slist_append(sl, "Expect:");
		sl = curl_slist_append(sl, "User-Agent: runbook/0.1 (aws)");
		buf_release(&l);
	}
	free(hs);

	if (!c->curl)
		c->curl = curl_easy_init();
	CURL *h = c->curl;
	if (!h) {
		*errtext = xstrdup("cannot create a curl handle");
		rc = CURLE_FAILED_INIT;
		goto out;
	}
	curl_easy_reset(h);
	memset(resp, 0, sizeof *resp);
	buf_init(&resp->body, CAP_AWS_REPLY);
	resp->headers = jv_object();
	char errbuf[CURL_ERROR_SIZE] = "";
	struct progress pg = {c->call ? c->call->cancel : NULL};
	struct wire wire = {r->method, 0};
	curl_easy_setopt(h, CURLOPT_URL, url.data);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);
	set_http_proxy(h, url.data);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp->headers);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &pg);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	/* the debug callback sees what is sent; nothing is printed */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &wire);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	if (!request_is_read(r)) {
		/* no silent re-send of a write: see the top of this file */
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	}
	if (!strcmp(r->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(r->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	rc = curl_easy_perform(h);
	*sends = wire.sends;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	} else {
		*errtext = xstrdup(errbuf[0] ? errbuf : curl_easy_strerror(rc));
	}
out:
	curl_slist_free_all(sl);
	if (auth.data)
		memset(auth.data, 0, auth.len);
	buf_release(&auth);
	buf_release(&host);
	buf_release(&basepath);
	buf_release(&path);
	buf_release(&url);
	free(base);
	return rc;
}

/* sleep ms on the call's clock (real time without a call); -1 when cancelled */
static int retry_sleep(struct aws_client *c, int64_t ms)
{
	if (c->call && c->call->clock)
		return clock_sleep(c->call->clock, ms, c->call->cancel);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
	return 0;
}

/* adaptive mode: a token from the rate limiter before attempt n. 0, 1 when none is due
 * before the step's deadline, -1 cancelled */
static int rate_limit(struct aws_client *c, struct aws_retry_state *rs, const struct aws_request *r,
		      const char *op, int n)
{
	int64_t waited;
	int w;

	if (!rs || c->retry_mode != AWS_RETRY_ADAPTIVE)
		return 0;
	w = aws_limiter_acquire(c, rs, &waited);
	if (waited && w == 0)
		logf_call(c, LOG_DEBUG, "rate limit (retry_mode adaptive): %s %s waited %lld ms before attempt %d",
			  r->svc->name, op, (long long)waited, n);
	return w;
}

/* the error of a call's last attempt: "MESSAGE (request id X[; WHY])" */
static jv attempt_error(const char *code, const char *msg, const char *rid, const char *why,
			int transient, long status)
{
	jv e = why ? jvx_error(code, "%s (request id %s; %s)", msg, rid ? rid : "none", why)
		   : jvx_error(code, "%s (request id %s)", msg, rid ? rid : "none");
	if (rid)
		e = jv_object_set(e, jv_string("request_id"), jv_string(rid));
	e = jv_object_set(e, jv_string("transient"), jv_bool(transient));
	return jv_object_set(e, jv_string("status"), jv_number((double)status));
}

int aws_perform(struct aws_client *c, struct aws_request *r, struct aws_response *resp, jv *err)
{
	int attempts = r->no_retry ? 1 : (c->max_attempts > 0 ? c->max_attempts : 3);
	/* the quota and the rate limiter this call shares with the run's others (not legacy) */
	struct aws_retry_state *rs = c->retry_mode == AWS_RETRY_LEGACY ? NULL : aws_retry_state(c, r->svc);
	int adaptive = rs && c->retry_mode == AWS_RETRY_ADAPTIVE;
	int quota_taken = 0;      /* what this call's last retry took from the quota */
	char op[128];

	memset(resp, 0, sizeof *resp);
	resp->headers = jv_null();
	if (!r->anonymous && c->have_creds >= 0 && aws_client_creds(c, err) < 0)
		return -1;
	if (c->have_creds < 0)
		r->anonymous = 1;
	request_op(r, op, sizeof op);
	int w = rate_limit(c, rs, r, op, 1);
	if (w < 0) {
		*err = jvx_error("Cancelled", "%s request cancelled", r->svc->name);
		return -1;
	}
	if (w > 0) {
		*err = jvx_error("Throttling", "%s %s: no request slot from the client-side rate limiter (retry_mode adaptive) before the step's deadline",
				 r->svc->name, op);
		*err = jv_object_set(*err, jv_string("transient"), jv_true());
		return -1;
	}
	for (int attempt = 1;; attempt++) {
		char *errtext = NULL, *code = NULL, *msg = NULL, *rid = NULL, why[160] = "";
		int transient, sends = 0, timeout = 0;
		c->attempts_made++;
		aws_response_release(resp);
		CURLcode rc = send_once(c, r, resp, &errtext, &sends);
		char sent[96] = "";
		if (sends > 1)
			snprintf(sent, sizeof sent, " [sent %d times: libcurl re-sent it after a reused connection closed]", sends);
		else if (sends == 0)
			snprintf(sent, sizeof sent, " [not sent]");
		if (rc == CURLE_OK && resp->status >= 200 && resp->status < 300) {
			const char *h = jvx_str(resp->headers, "x-amzn-requestid");
			if (!h)
				h = jvx_str(resp->headers, "x-amz-request-id");
			if (h)
				resp->request_id = xstrdup(h);
			logf_call(c, LOG_DEBUG, "attempt %d/%d: %s %s: HTTP %ld (request id %s)%s", attempt, attempts,
				  r->svc->name, op, resp->status, h ? h : "none", sent);
			if (rs)
				aws_quota_refund(rs, quota_taken);
			if (adaptive)
				aws_limiter_record(c, rs, 0);
			return 0;
		}
		if (rc != CURLE_OK) {
			if (c->call && action_cancelled(c->call)) {
				logf_call(c, LOG_DEBUG, "attempt %d/%d: %s %s: cancelled%s", attempt, attempts,
					  r->svc->name, op, sent);
				*err = jvx_error("Cancelled", "%s %s cancelled", r->svc->name, r->method);
				free(errtext);
				return -1;
			}
			transient = curl_transient(rc);
			timeout = rc == CURLE_OPERATION_TIMEDOUT;
			code = xstrdup(timeout ? "RequestTimeout" : "ConnectionError");
			msg = errtext;
			errtext = NULL;
		} else {
			aws_parse_error(r->svc->proto, resp, &code, &msg, &rid);
			transient = aws_code_is_transient(code, resp->status);
		}
		if (adaptive)
			aws_limiter_record(c, rs, rc == CURLE_OK && aws_code_is_throttling(code));
		int64_t delay = transient ? aws_backoff_ms(attempt - 1, c->base_ms, c->cap_ms) : 0;
		const char *stop = NULL;    /* why the loop ends here */
		if (!transient)
			stop = "not retried";
		else if (attempt >= attempts)
			stop = "gave up";
		else if (c->call && c->call->clock && c->call->deadline > 0 &&
			 clock_now(c->call->clock) + delay + AWS_SEND_MARGIN_MS >= c->call->deadline)
			stop = "no retry past the step's deadline";    /* nor one too late to be answered */
		else if (rs && !(quota_taken = aws_quota_take(rs, timeout)))
			stop = "retry quota exhausted";
		if (!stop) {
			logf_call(c, LOG_DEBUG, "attempt %d/%d: %s %s: %s: %s (request id %s)%s; retry in %lld ms", attempt,
				  attempts, r->svc->name, op, code, msg, rid ? rid : "none", sent, (long long)delay);
			w = retry_sleep(c, delay) < 0 ? -1 : rate_limit(c, rs, r, op, attempt + 1);
			if (w > 0) {
				logf_call(c, LOG_DEBUG, "%s %s: no request slot from the rate limiter before the step's deadline; gave up",
					  r->svc->name, op);
				snprintf(why, sizeof why, "gave up after %d attempts: no request slot from the client-side rate limiter before the step's deadline",
					 attempt);
			}
		} else {
			logf_call(c, LOG_DEBUG, "attempt %d/%d: %s %s: %s: %s (request id %s)%s; %s", attempt, attempts,
				  r->svc->name, op, code, msg, rid ? rid : "none", sent, stop);
			if (!strcmp(stop, "retry quota exhausted"))
				snprintf(why, sizeof why, "not retried: the retry quota is exhausted (retry_mode %s)",
					 c->retry_mode == AWS_RETRY_ADAPTIVE ? "adaptive" : "standard");
			else if (transient)
				snprintf(why, sizeof why, "gave up after %d attempts", attempt);
		}
		if (w < 0)
			*err = jvx_error("Cancelled", "%s request cancelled", r->svc->name);
		else if (stop || w > 0)
			*err = attempt_error(code, msg, rid, why[0] ? why : NULL, transient, resp->status);
		free(code);
		free(msg);
		free(rid);
		free(errtext);
		if (stop || w != 0)
			return -1;
	}
}
