/* k8s.c — the simulated Kubernetes API server (see k8s.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "k8s_int.h"
#include "sim.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"


struct kconn {
	struct buf body;
	int too_big;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	jv *obj = cls;
	char name[128];
	size_t i;
	(void)kind;
	for (i = 0; key[i] && i + 1 < sizeof(name); i++)
		name[i] = (char)tolower((unsigned char)key[i]);
	name[i] = 0;
	*obj = jv_object_set(*obj, jv_string(name), jv_string(value ? value : ""));
	return MHD_YES;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	jv *obj = cls;
	(void)kind;
	*obj = jv_object_set(*obj, jv_string(key), jv_string(value ? value : ""));
	return MHD_YES;
}

/* a jv object of strings (consumed); names lower-cased when asked */
static jv string_map(jv v, int lower)
{
	jv out = jv_object();
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv_object_foreach(v, key, x) {
			if (jv_get_kind(x) == JV_KIND_STRING) {
				char *name = xstrdup(jv_string_value(key));
				for (char *p = name; lower && *p; p++)
					*p = (char)tolower((unsigned char)*p);
				out = jv_object_set(out, jv_string(name), x);
				free(name);
			} else {
				jv_free(x);
			}
			jv_free(key);
		}
	}
	jv_free(v);
	return out;
}

int sim_k8s_server_handle(struct k8s_sim *k, const char *method, const char *url, jv query, jv headers,
		   const char *body, size_t len, struct sim_reply *out)
{
	struct buf b = BUF_INIT(K8S_BODY_MAX);
	int too_big = len && buf_add(&b, body, len) < 0;
	struct kreq r = { 0 };
	struct kresp o = { 0 };
	r.method = method ? method : "GET";
	r.query = string_map(query, 0);
	r.headers = string_map(headers, 1);
	r.body = buf_str(&b);
	r.body_len = too_big ? 0 : b.len;
	sim_k8s_run_request(k, NULL, &r, url ? url : "/", &o, too_big);
	if (o.watch) {
		/* no stream without a connection: the events so far */
		sim_k8s_watch_drain(k, o.watch, &o.body);
	}
	memset(out, 0, sizeof(*out));
	out->status = o.status ? o.status : 200;
	out->headers = jv_object_set(jv_object(), jv_string("Content-Type"),
				     jv_string(o.ctype ? o.ctype : "application/json"));
	out->len = o.body.len;
	out->body = buf_detach(&o.body);
	jv_free(r.query);
	jv_free(r.headers);
	buf_release(&b);
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct k8s_sim *k = cls;
	struct kconn *cn = *con_cls;
	(void)version;
	if (!cn) {
		cn = xcalloc(1, sizeof(*cn));
		buf_init(&cn->body, K8S_BODY_MAX);
		*con_cls = cn;
		/* a declared body over the cap is refused before it is read */
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (!cl || strtoull(cl, NULL, 10) <= K8S_BODY_MAX)
			return MHD_YES;
		cn->too_big = 1;
	} else if (*upload_size) {
		if (buf_add(&cn->body, upload, *upload_size) < 0)
			cn->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	struct kreq r = { 0 };
	struct kresp o = { 0 };
	r.method = method;
	r.query = jv_object();
	r.headers = jv_object();
	r.body = buf_str(&cn->body);
	r.body_len = cn->body.len;
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect, &r.headers);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query, &r.query);
	sim_k8s_run_request(k, c, &r, url, &o, cn->too_big);

	struct MHD_Response *resp;
	if (o.watch) {
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sim_k8s_watch_read, o.watch, sim_k8s_watch_free);
	} else {
		size_t len = o.body.len;
		resp = MHD_create_response_from_buffer(len, buf_detach(&o.body), MHD_RESPMEM_MUST_FREE);
	}
	MHD_add_response_header(resp, "Content-Type", o.ctype ? o.ctype : "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)(o.status ? o.status : 200), resp);
	MHD_destroy_response(resp);
	buf_release(&o.body);
	jv_free(r.query);
	jv_free(r.headers);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct kconn *cn = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (cn) {
		buf_release(&cn->body);
		free(cn);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* clients that hang up on a watch are normal; so is GnuTLS's complaint when kubectl's
	 * Go TLS stack hangs up after its request was served ("received handshake message
	 * out of context") */
	if (strstr(msg, "closed") || strstr(msg, "reset") || strstr(msg, "Application reported") ||
	    strstr(msg, "out of context"))
		return;
	fprintf(stderr, "runbook: sim k8s: %s", msg);
}

/* ------------------------------------------------------------------ API */

static void random_token(char *out, size_t size)
{
	unsigned char r[16];
	RAND_bytes(r, sizeof(r));
	int n = snprintf(out, size, "sim-");
	for (int i = 0; i < 16 && (size_t)n + 2 < size; i++)
		n += snprintf(out + n, size - (size_t)n, "%02x", r[i]);
}

struct k8s_sim *sim_k8s_server_new(struct rb_clock *clock, jv config, struct diag_list *dl)
{
	struct k8s_sim *k = xcalloc(1, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->clock = clock;
	k->head = k->tail = k->free_slot = -1;
	k->rollout_ms = 30000;
	k->deadline_ms = 600000;
	k->c_requests = jv_object();
	k->c_mutating = jv_object();
	k->tokens = jv_object();
	int64_t ms;
	const char *ns = jv_get_kind(config) == JV_KIND_OBJECT ? jvx_str(config, "namespace") : NULL;
	k->namespace = xstrdup(ns ? ns : "default");
	jv durs = jvx_get(config, "durations");
	const char *ro = jv_get_kind(durs) == JV_KIND_OBJECT ? jvx_str(durs, "rollout") : NULL;
	const char *pd = jv_get_kind(durs) == JV_KIND_OBJECT ? jvx_str(durs, "progress_deadline") : NULL;
	if (ro && dur_parse(ro, &ms) == 0)
		k->rollout_ms = ms;
	else if (ro)
		diag_error(dl, NULL, "k8s.durations.rollout: '%s' is not a duration", ro);
	if (pd && dur_parse(pd, &ms) == 0)
		k->deadline_ms = ms;
	jv_free(durs);
	jv toks = jvx_get(config, "tokens");
	if (jv_get_kind(toks) == JV_KIND_OBJECT) {
		jv_object_foreach(toks, t, v) {
			jv who = jv_object();
			who = jv_object_set(who, jv_string("user"),
					    jv_string(jvx_str(v, "user") ? jvx_str(v, "user") : "admin"));
			who = jv_object_set(who, jv_string("expired"), jv_bool(jvx_bool(v, "expired", 0)));
			k->tokens = jv_object_set(k->tokens, t, who);
			jv_free(v);
		}
	}
	jv_free(toks);
	if (jv_object_length(jv_copy(k->tokens)) == 0) {
		char t[48];
		random_token(t, sizeof(t));
		k->tokens = jv_object_set(k->tokens, jv_string(t), jv_parse("{\"user\":\"admin\",\"expired\":false}"));
	}

	int64_t now = clock_now(clock);
	static const char *const base_ns[] = { "default", "kube-system", NULL };
	for (const char *const *p = base_ns; *p; p++) {
		jv o = jset(jv_object(), "metadata.name", jv_string(*p));
		struct kreq r = { .k = k, .res = R_NAMESPACE, .now = now, .query = jv_object(), .headers = jv_object() };
		struct kresp resp = { 0 };
		buf_init(&resp.body, 0);
		sim_k8s_create(k, &r, o, &resp, "scenario");
		buf_release(&resp.body);
		jv_free(r.query);
		jv_free(r.headers);
	}
	jv objs = jvx_get(config, "objects");
	if (jv_get_kind(objs) == JV_KIND_ARRAY) {
		/* namespaces first, so objects can be created in them */
		for (int pass = 0; pass < 2; pass++) {
			jv_array_foreach(objs, i, obj) {
				char b1[128], b2[128], b3[256], ns2[256];
				const char *api = sget(obj, "apiVersion", b1, sizeof(b1));
				const char *kind = sget(obj, "kind", b2, sizeof(b2));
				int res = kind ? sim_k8s_res_by_kind(api, kind) : -1;
				if (res < 0) {
					if (pass == 0)
						diag_error(dl, NULL, "k8s.objects[%d]: the simulator has no kind '%s%s%s'", i,
							   api ? api : "", api ? "/" : "", kind ? kind : "(none)");
					jv_free(obj);
					continue;
				}
				if ((pass == 0) != (res == R_NAMESPACE) ||
				    (res == R_NAMESPACE && sim_k8s_namespace_exists(k, sget(obj, "metadata.name", b3, sizeof(b3)) ?
									     b3 : ""))) {
					/* default and kube-system exist already */
					jv_free(obj);
					continue;
				}
				const char *ons = sget(obj, "metadata.namespace", ns2, sizeof(ns2));
				if (kres(res)->namespaced && !ons)
					ons = k->namespace;
				if (kres(res)->namespaced && !sim_k8s_namespace_exists(k, ons)) {
					jv nso = jset(jv_object(), "metadata.name", jv_string(ons));
					struct kreq r = { .k = k, .res = R_NAMESPACE, .now = now, .query = jv_object(),
							  .headers = jv_object() };
					struct kresp resp = { 0 };
					buf_init(&resp.body, 0);
					sim_k8s_create(k, &r, nso, &resp, "scenario");
					buf_release(&resp.body);
					jv_free(r.query);
					jv_free(r.headers);
				}
				struct kreq r = { .k = k, .res = res, .now = now, .query = jv_object(), .headers = jv_object(),
						  .ns = kres(res)->namespaced ? ons : NULL,
						  .name = sget(obj, "metadata.name", b3, sizeof(b3)) };
				struct kresp resp = { 0 };
				buf_init(&resp.body, 0);
				if (!sim_k8s_create(k, &r, obj, &resp, "scenario")) {
					jv st = jvx_parse_sized(buf_str(&resp.body), resp.body.len);
					diag_error(dl, NULL, "k8s.objects[%d]: %s", i,
						   jvx_str(st, "message") ? jvx_str(st, "message") : buf_str(&resp.body));
					jv_free(st);
				}
				buf_release(&resp.body);
				jv_free(r.query);
				jv_free(r.headers);
			}
		}
	}
	jv_free(objs);
	/* a scenario's objects start settled (workloads: their rollouts happened long ago) */
	for (kh h = sim_k8s_first(k); h; h = sim_k8s_next(k, h)) {
		struct kobj *o = sim_k8s_at(k, h);
		if (kres(o->res)->settle)
			kres(o->res)->settle(k, o, now);
	}
	sim_k8s_tick(k, now);
	jv_free(config);
	if (dl->nerrors) {
		sim_k8s_server_free(k);
		return NULL;
	}
	return k;
}

int sim_k8s_server_listen(struct k8s_sim *k, const char *listen, int tls, struct diag_list *dl)
{
	char host[64] = "127.0.0.1";
	long port = 0;
	if (listen) {
		const char *colon = strrchr(listen, ':');
		char *end;
		if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
			diag_error(dl, NULL, "invalid listen address '%s' (expected HOST:PORT)", listen);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
		if (!strcmp(host, "localhost"))
			snprintf(host, sizeof(host), "127.0.0.1");
		port = strtol(colon + 1, &end, 10);
		if (*end || port < 0 || port > 65535) {
			diag_error(dl, NULL, "invalid port in listen address '%s'", listen);
			return -1;
		}
	}
	struct sockaddr_in sa = { 0 };
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		diag_error(dl, NULL, "the Kubernetes simulator listens on loopback only, not '%s'", host);
		return -1;
	}
	k->tls = tls;
	if (tls && sim_k8s_pki_make(&k->pki, "runbook-sim-user", dl) < 0)
		return -1;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	if (tls)
		k->mhd = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, on_request, k,
					  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, k,
					  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
					  MHD_OPTION_NOTIFY_COMPLETED, on_completed, k,
					  MHD_OPTION_HTTPS_MEM_KEY, k->pki.server_key,
					  MHD_OPTION_HTTPS_MEM_CERT, k->pki.server_cert,
					  MHD_OPTION_HTTPS_MEM_TRUST, k->pki.ca_cert,
					  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)3700,
					  MHD_OPTION_END);
	else
		k->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, k,
					  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, k,
					  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
					  MHD_OPTION_NOTIFY_COMPLETED, on_completed, k,
					  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)3700,
					  MHD_OPTION_END);
	if (!k->mhd) {
		diag_error(dl, NULL, "cannot listen on '%s:%ld' for the Kubernetes simulator: %s", host, port,
			   strerror(errno ? errno : EADDRINUSE));
		return -1;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(k->mhd, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(k->endpoint, sizeof(k->endpoint), "%s://%s:%u", tls ? "https" : "http", host,
		 di ? (unsigned)di->port : (unsigned)port);
	return 0;
}

const char *sim_k8s_server_endpoint(struct k8s_sim *k)
{
	return k->endpoint;
}

static char *b64(const char *s)
{
	size_t len = strlen(s);
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
	return out;
}

int sim_k8s_server_kubeconfig(struct k8s_sim *k, const char *path, const char *auth, struct diag_list *dl)
{
	struct buf b = BUF_INIT(0);
	buf_addf(&b, "apiVersion: v1\nkind: Config\nclusters:\n- name: runbook-sim\n  cluster:\n    server: %s\n",
		 k->endpoint);
	if (k->tls) {
		char *ca = b64(k->pki.ca_cert);
		buf_addf(&b, "    certificate-authority-data: %s\n", ca);
		free(ca);
	}
	buf_addf(&b, "contexts:\n- name: sim\n  context:\n    cluster: runbook-sim\n    user: sim-admin\n"
		     "    namespace: %s\ncurrent-context: sim\nusers:\n- name: sim-admin\n  user:\n", k->namespace);
	if (auth && !strcmp(auth, "cert") && k->tls) {
		char *c = b64(k->pki.client_cert), *key = b64(k->pki.client_key);
		buf_addf(&b, "    client-certificate-data: %s\n    client-key-data: %s\n", c, key);
		free(c);
		free(key);
	} else {
		const char *tok = NULL;
		pthread_mutex_lock(&k->lock);
		jv_object_foreach(k->tokens, t, v) {
			if (!tok && !jvx_bool(v, "expired", 0))
				tok = xstrdup(jv_string_value(t));
			jv_free(t);
			jv_free(v);
		}
		pthread_mutex_unlock(&k->lock);
		buf_addf(&b, "    token: %s\n", tok ? tok : "");
		free((char *)tok);
	}
	/* it holds the token or the client key */
	int rc = sim_write_private(path, buf_str(&b), b.len, dl);
	buf_release(&b);
	return rc;
}

jv sim_k8s_server_state(struct k8s_sim *k)
{
	pthread_mutex_lock(&k->lock);
	sim_k8s_tick(k, clock_now(k->clock));
	jv out = jv_array();
	for (kh h = sim_k8s_first(k); h; h = sim_k8s_next(k, h))
		out = jv_array_append(out, jvx_deep_copy(sim_k8s_at(k, h)->obj));
	pthread_mutex_unlock(&k->lock);
	return out;
}

jv sim_k8s_server_counters(struct k8s_sim *k)
{
	pthread_mutex_lock(&k->lock);
	jv v = jv_object();
	v = jv_object_set(v, jv_string("requests"), jvx_deep_copy(k->c_requests));
	v = jv_object_set(v, jv_string("mutating"), jvx_deep_copy(k->c_mutating));
	pthread_mutex_unlock(&k->lock);
	return v;
}

void sim_k8s_server_free(struct k8s_sim *k)
{
	if (!k)
		return;
	atomic_store(&k->stopping, 1);
	if (k->mhd)
		MHD_stop_daemon(k->mhd);
	sim_k8s_store_release(k);
	jv_free(k->tokens);
	jv_free(k->c_requests);
	jv_free(k->c_mutating);
	sim_k8s_pki_free(&k->pki);
	free(k->namespace);
	pthread_mutex_destroy(&k->lock);
	free(k);
}
