/* k8s.c — the simulated Kubernetes API server's life (see k8s.h): its world from a
 * scenario, listening (through http.c), kubeconfigs, state, counters. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "k8s_int.h"
#include "http.h"
#include "sim.h"
#include "../core/b64.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"
#include "../core/caps.h"

int sim_k8s_server_handle(struct k8s_sim *k, const char *method, const char *url, jv query, jv headers,
		   const char *body, size_t len, struct sim_reply *out)
{
	struct buf b = BUF_INIT(CAP_SIM_K8S_BODY);
	int too_big = len && buf_add(&b, body, len) < 0;
	struct kreq r = { 0 };
	struct kresp o = { 0 };
	r.method = method ? method : "GET";
	r.query = sim_http_string_map(query, 0);
	r.headers = sim_http_string_map(headers, 1);
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

void sim_k8s_server_set_log(struct k8s_sim *k, FILE *log)
{
	k->log = log;
}

/* the request log's line, as the AWS side's: simulated time, "k8s", the method, the path
 * (no query; control bytes and spaces become '?'), "-" for the request id, the status and
 * the Status reason of an error */
static void log_request(struct k8s_sim *k, struct kreq *r, const char *url, struct kresp *o)
{
	if (!k->log)
		return;
	char ts[40], path[512], reason[64] = "";
	size_t i = 0;
	for (; url[i] && url[i] != '?' && i + 1 < sizeof(path); i++)
		path[i] = (unsigned char)url[i] <= 0x20 || url[i] == 0x7f ? '?' : url[i];
	path[i] = 0;
	int status = o->status ? o->status : 200;
	if (status >= 400 && !o->watch && o->body.data) {
		jv st = jvx_parse_sized(o->body.data, o->body.len);
		const char *why = jv_get_kind(st) == JV_KIND_OBJECT ? jvx_str(st, "reason") : NULL;
		if (why)
			snprintf(reason, sizeof(reason), " %s", why);
		jv_free(st);
	}
	iso(r->now, ts, sizeof(ts));
	ts[strcspn(ts, "Z")] = 0;   /* with milliseconds, as the AWS side's lines */
	flockfile(k->log);
	fprintf(k->log, "%s.%03dZ k8s %s %s - %d%s\n", ts, (int)(r->now % 1000), r->method, path, status, reason);
	fflush(k->log);
	funlockfile(k->log);
}

/* a request from the HTTP front end */
static void serve(void *cls, struct sim_http_req *q, struct sim_http_reply *rep)
{
	struct k8s_sim *k = cls;
	struct kreq r = { 0 };
	struct kresp o = { 0 };
	r.method = q->method;
	r.query = jv_copy(q->query);
	r.headers = jv_copy(q->headers);
	r.body = q->body;
	r.body_len = q->len;
	sim_k8s_run_request(k, q->conn, &r, q->url, &o, q->too_big);
	log_request(k, &r, q->url, &o);
	rep->status = o.status ? o.status : 200;
	rep->ctype = o.ctype ? o.ctype : "application/json";
	rep->headers = jv_object_set(jv_object(), jv_string("Cache-Control"), jv_string("no-cache, private"));
	if (o.watch) {
		rep->read = sim_k8s_watch_read;
		rep->free = sim_k8s_watch_free;
		rep->cls = o.watch;
	} else {
		rep->len = o.body.len;
		rep->body = buf_detach(&o.body);
	}
	buf_release(&o.body);
	jv_free(r.query);
	jv_free(r.headers);
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
	k->pod_logs = jv_object();
	k->run_rules = jvx_get(config, "run");
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
	k->started = 1;
	jv_free(config);
	if (dl->nerrors) {
		sim_k8s_server_free(k);
		return NULL;
	}
	return k;
}

int sim_k8s_server_listen(struct k8s_sim *k, const char *listen, int tls, struct diag_list *dl)
{
	const char *addr = listen ? listen : "127.0.0.1:0";
	struct sockaddr_in sa;
	if (sim_http_parse_listen(addr, "the Kubernetes simulator", &sa, dl) < 0)
		return -1;
	k->tls = tls;
	if (tls && sim_k8s_pki_make(&k->pki, "runbook-sim-user", dl) < 0)
		return -1;
	/* clients that hang up on a watch are normal; so is GnuTLS's complaint when kubectl's
	 * Go TLS stack hangs up after its request was served ("received handshake message
	 * out of context") */
	static const char *const quiet[] = { "closed", "reset", "Application reported", "out of context", NULL };
	struct sim_http_opts ho = { .what = "the Kubernetes simulator", .log_prefix = "runbook: sim k8s: ",
				    .quiet = quiet, .body_max = CAP_SIM_K8S_BODY, .timeout_s = 3700 };
	if (tls) {
		ho.tls_key = k->pki.server_key;
		ho.tls_cert = k->pki.server_cert;
		ho.tls_trust = k->pki.ca_cert;
	}
	k->http = sim_http_start(&ho, &sa, addr, serve, k, dl);
	if (!k->http)
		return -1;
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
	unsigned port = sim_http_port(k->http);
	snprintf(k->endpoint, sizeof(k->endpoint), "%s://%s:%u", tls ? "https" : "http", host,
		 port ? port : (unsigned)ntohs(sa.sin_port));
	return 0;
}

const char *sim_k8s_server_endpoint(struct k8s_sim *k)
{
	return k->endpoint;
}

int sim_k8s_server_kubeconfig(struct k8s_sim *k, const char *path, const char *auth, struct diag_list *dl)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	berr |= buf_addf(&b, "apiVersion: v1\nkind: Config\nclusters:\n- name: runbook-sim\n  cluster:\n    server: %s\n",
		 k->endpoint);
	if (k->tls) {
		char *ca = b64_encode(k->pki.ca_cert, strlen(k->pki.ca_cert), 0);
		berr |= buf_addf(&b, "    certificate-authority-data: %s\n", ca);
		free(ca);
	}
	berr |= buf_addf(&b, "contexts:\n- name: sim\n  context:\n    cluster: runbook-sim\n    user: sim-admin\n"
		     "    namespace: %s\ncurrent-context: sim\nusers:\n- name: sim-admin\n  user:\n", k->namespace);
	if (auth && !strcmp(auth, "cert") && k->tls) {
		char *c = b64_encode(k->pki.client_cert, strlen(k->pki.client_cert), 0);
		char *key = b64_encode(k->pki.client_key, strlen(k->pki.client_key), 0);
		berr |= buf_addf(&b, "    client-certificate-data: %s\n    client-key-data: %s\n", c, key);
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
		berr |= buf_addf(&b, "    token: %s\n", tok ? tok : "");
		free((char *)tok);
	}
	BUF_NOCAP(berr);
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
	v = jv_object_set(v, jv_string("connections"), jv_number((double)sim_http_connections(k->http)));
	return v;
}

void sim_k8s_server_free(struct k8s_sim *k)
{
	if (!k)
		return;
	atomic_store(&k->stopping, 1);
	sim_http_stop(k->http);
	sim_k8s_store_release(k);
	jv_free(k->tokens);
	jv_free(k->run_rules);
	jv_free(k->pod_logs);
	jv_free(k->c_requests);
	jv_free(k->c_mutating);
	sim_k8s_pki_free(&k->pki);
	free(k->namespace);
	pthread_mutex_destroy(&k->lock);
	free(k);
}
