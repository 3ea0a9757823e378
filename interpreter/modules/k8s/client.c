/* client.c — requests to the Kubernetes API (libcurl, TLS always verified) and the
 * mapping from kinds to REST paths. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include "k8s.h"
#include "../../core/buf.h"
#include "../../core/bug.h"
#include "../../core/clock.h"
#include "../../core/jvx.h"
#include "../../core/caps.h"

#define REQUEST_TIMEOUT_MS 60000

/* the kinds restore runbooks touch; others are found by discovery */
static const struct kind {
	const char *kind, *api, *plural, *shorts;
	int namespaced;
} kinds[] = {
	{ "Deployment", "apps/v1", "deployments", "deploy", 1 },
	{ "StatefulSet", "apps/v1", "statefulsets", "sts", 1 },
	{ "DaemonSet", "apps/v1", "daemonsets", "ds", 1 },
	{ "ReplicaSet", "apps/v1", "replicasets", "rs", 1 },
	{ "ConfigMap", "v1", "configmaps", "cm", 1 },
	{ "Secret", "v1", "secrets", "", 1 },
	{ "Service", "v1", "services", "svc", 1 },
	{ "Pod", "v1", "pods", "po", 1 },
	{ "ServiceAccount", "v1", "serviceaccounts", "sa", 1 },
	{ "PersistentVolumeClaim", "v1", "persistentvolumeclaims", "pvc", 1 },
	{ "Event", "v1", "events", "ev", 1 },
	{ "Namespace", "v1", "namespaces", "ns", 0 },
	{ "Job", "batch/v1", "jobs", "", 1 },
	{ "CronJob", "batch/v1", "cronjobs", "cj", 1 },
	{ "Ingress", "networking.k8s.io/v1", "ingresses", "ing", 1 },
	{ "HorizontalPodAutoscaler", "autoscaling/v2", "horizontalpodautoscalers", "hpa", 1 },
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	return buf_add(b, p, size * n) < 0 ? 0 : size * n;
}

static int transient_status(long st)
{
	return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

static int add_query(struct buf *url, CURL *h, jv query)
{
	int berr = 0;
	int first = !strchr(buf_str(url), '?');
	if (jv_get_kind(query) != JV_KIND_OBJECT)
		return berr;
	jv_object_foreach(query, k, v) {
		char *val = jvx_text(v);
		char *ek = curl_easy_escape(h, jv_string_value(k), 0), *ev = curl_easy_escape(h, val, 0);
		berr |= buf_addf(url, "%c%s=%s", first ? '?' : '&', ek, ev);
		first = 0;
		curl_free(ek);
		curl_free(ev);
		free(val);
		jv_free(k);
	}
	return berr;
}

int k8s_request(struct action_call *call, struct k8s_conn *c, const char *method, const char *path,
		jv query, const char *content_type, jv body, jv *out)
{
	int berr = 0;
	CURL *h = c->curl ? c->curl : (c->curl = curl_easy_init());
	struct buf url = BUF_INIT(0), reply = BUF_INIT(CAP_K8S_REPLY), hdr = BUF_INIT(0);
	struct curl_slist *sl = NULL;
	char *payload = NULL, errbuf[CURL_ERROR_SIZE] = "";
	int rc = -1;
	if (!h) {
		*out = jvx_error("HttpError", "cannot start a request");
		goto out;
	}
	berr |= buf_addf(&url, "%s%s", c->server, path);
	berr |= add_query(&url, h, query);
	BUF_NOCAP(berr);
	curl_easy_setopt(h, CURLOPT_URL, buf_str(&url));
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (strcmp(method, "GET")) {
		/* a write is never re-sent by curl on a kept connection the server closed
		 * (the AWS transport's rule): it goes on a connection of its own */
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	}
	struct curl_blob ca = { 0 }, cert = { 0 }, key = { 0 };
	if (c->ca_pem) {
		ca = (struct curl_blob){ c->ca_pem, strlen(c->ca_pem), CURL_BLOB_NOCOPY };
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
	}
	if (c->cert_pem && c->key_pem) {
		cert = (struct curl_blob){ c->cert_pem, strlen(c->cert_pem), CURL_BLOB_NOCOPY };
		key = (struct curl_blob){ c->key_pem, strlen(c->key_pem), CURL_BLOB_NOCOPY };
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	sl = curl_slist_append(sl, "Accept: application/json");
	sl = curl_slist_append(sl, "User-Agent: runbook");
	if (c->token) {
		berr |= buf_addf(&hdr, "Authorization: Bearer %s", c->token);
		BUF_NOCAP(berr);
		sl = curl_slist_append(sl, buf_str(&hdr));
	}
	if (jv_is_valid(body)) {
		payload = jvx_dump(jv_copy(body));
		char ct[160];
		snprintf(ct, sizeof(ct), "Content-Type: %s", content_type ? content_type : "application/json");
		sl = curl_slist_append(sl, ct);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
	CURLcode cr = curl_easy_perform(h);
	if (cr != CURLE_OK) {
		int transient = cr == CURLE_COULDNT_CONNECT || cr == CURLE_OPERATION_TIMEDOUT || cr == CURLE_SEND_ERROR ||
				cr == CURLE_RECV_ERROR || cr == CURLE_GOT_NOTHING;
		const char *code = cr == CURLE_PEER_FAILED_VERIFICATION || cr == CURLE_SSL_CONNECT_ERROR ||
				   cr == CURLE_SSL_CERTPROBLEM ? "TLSError" : transient ? "ConnectFailed" : "HttpError";
		*out = jvx_error(code, "%s %s: %s", method, c->server, errbuf[0] ? errbuf : curl_easy_strerror(cr));
		if (transient)
			*out = jv_object_set(*out, jv_string("transient"), jv_true());
		goto out;
	}
	long st = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
	jv r = reply.len ? jvx_parse_sized(reply.data, reply.len) : jv_null();
	if (st >= 200 && st < 300) {
		*out = jv_is_valid(r) ? r : (jv_free(r), jv_null());
		rc = 0;
		goto out;
	}
	/* a Status: its reason is the code, its message the message */
	const char *reason = jv_is_valid(r) ? jvx_str(r, "reason") : NULL;
	const char *msg = jv_is_valid(r) ? jvx_str(r, "message") : NULL;
	*out = jvx_error(reason && *reason ? reason : "HttpStatus", "%s", msg ? msg : "the API server answered an error");
	*out = jv_object_set(*out, jv_string("status"), jv_number((double)st));
	if (jv_is_valid(r)) {
		jv det = jvx_get(r, "details");
		if (jv_is_valid(det))
			*out = jv_object_set(*out, jv_string("details"), det);
		else
			jv_free(det);
	}
	if (transient_status(st))
		*out = jv_object_set(*out, jv_string("transient"), jv_true());
	jv_free(r);
out:
	/* the handle is kept for the call's next request (a rollout's polls): its
	 * connection cache saves a TLS handshake per request. Reset drops the options,
	 * which point into this frame, and keeps the connections. */
	if (h)
		curl_easy_reset(h);
	curl_slist_free_all(sl);
	free(payload);
	buf_release(&url);
	buf_release(&reply);
	/* the header held the token */
	if (hdr.data)
		memset(hdr.data, 0, hdr.len);
	buf_release(&hdr);
	jv_free(query);
	jv_free(body);
	return rc;
}

static const struct kind *kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind *k = &kinds[i];
		if (!strcasecmp(k->kind, name) || !strcasecmp(k->plural, name) || (*k->shorts && !strcasecmp(k->shorts, name)))
			return k;
	}
	return NULL;
}

static int append_path(struct buf *b, const char *api, const char *plural, int namespaced, const char *ns,
			const char *name)
{
	int berr = 0;
	berr |= buf_addf(b, strchr(api, '/') ? "/apis/%s" : "/api/%s", api);
	if (namespaced)
		berr |= buf_addf(b, "/namespaces/%s", ns);
	berr |= buf_addf(b, "/%s", plural);
	if (name)
		berr |= buf_addf(b, "/%s", name);
	return berr;
}

int k8s_path(struct action_call *call, struct k8s_conn *c, const char *api_version, const char *kind,
	     const char *ns, const char *name, char **path, jv *err)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	const struct kind *k = kind_find(kind);
	if (!ns)
		ns = c->namespace;
	if (name && (!*name || strchr(name, '/'))) {
		*err = jvx_error("BadArgs", "'%s' is not an object name", name);
		return -1;
	}
	if (k && (!api_version || !strcmp(api_version, k->api))) {
		berr |= append_path(&b, k->api, k->plural, k->namespaced, ns, name);
		BUF_NOCAP(berr);
		*path = buf_detach(&b);
		return 0;
	}
	if (!api_version) {
		*err = jvx_error("UnknownKind", "kind '%s' is not one runbook knows by itself: give its api_version "
				 "(e.g. apps/v1) so it can be found by discovery", kind);
		return -1;
	}
	/* discovery: the group version's resource list */
	berr |= buf_addf(&b, strchr(api_version, '/') ? "/apis/%s" : "/api/%s", api_version);
	BUF_NOCAP(berr);
	jv list;
	if (k8s_request(call, c, "GET", buf_str(&b), jv_null(), NULL, jv_invalid(), &list) < 0) {
		*err = list;
		buf_release(&b);
		return -1;
	}
	buf_reset(&b);
	jv res = jvx_get(list, "resources");
	int found = 0;
	if (jv_get_kind(res) == JV_KIND_ARRAY) {
		jv_array_foreach(res, i, r) {
			const char *rn = jvx_str(r, "name"), *rk = jvx_str(r, "kind");
			if (!found && rn && rk && !strchr(rn, '/') && (!strcasecmp(rk, kind) || !strcasecmp(rn, kind))) {
				berr |= append_path(&b, api_version, rn, jvx_bool(r, "namespaced", 1), ns, name);
				found = 1;
			}
			jv_free(r);
		}
	}
	jv_free(res);
	jv_free(list);
	if (!found) {
		*err = jvx_error("UnknownKind", "the API server has no kind '%s' in %s", kind, api_version);
		buf_release(&b);
		return -1;
	}
	BUF_NOCAP(berr);
	*path = buf_detach(&b);
	return 0;
}
