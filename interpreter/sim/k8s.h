/* k8s.h — the simulated Kubernetes API server (owner: lead; private to interpreter/sim/).
 *
 * A second HTTP listener (libmicrohttpd) beside the AWS one, speaking the Kubernetes
 * REST API well enough for kubectl (1.20 to 1.32) and the k8s module: discovery, CRUD
 * of Namespaces, ConfigMaps, Secrets, Services, Pods, Deployments, StatefulSets and
 * ReplicaSets, the scale subresource, label and field selectors, merge / JSON /
 * strategic-merge / apply patches, dryRun=All, watch, Tables for kubectl get, and
 * resourceVersion conflicts. Rollouts progress on the simulator's clock: the world is
 * "ticked" lazily (at every request and while a watch waits), and every change of a
 * computed status bumps the resourceVersion and is seen by watchers.
 *
 * Security: TLS (a CA and a server certificate made at start with OpenSSL) when
 * asked, and authentication by bearer token (scenario k8s.tokens; a generated one by
 * default) or client certificate signed by the simulator's CA.
 *
 * Files: k8s.c (this interface: the server's life), k8s_store.c (objects by stable
 * handle, the kinds' table with their hooks, change log), k8s_workload.c (Deployments,
 * StatefulSets, their pods), k8s_api.c (routes and verbs), k8s_fields.c (selectors,
 * field ownership), k8s_output.c (Status, lists, Tables, discovery), k8s_watch.c,
 * k8s_patch.c, k8s_tls.c; their shared internals in k8s_int.h; HTTP through http.c.
 *
 * Ownership: sim_k8s_server_new copies what it needs from the scenario's k8s map; the clock
 * must outlive the k8s_sim. Thread-safe (one lock around the world).
 */
#ifndef RB_SIM_K8S_H
#define RB_SIM_K8S_H
#include <stdio.h>
#include <jv.h>
#include "../core/clock.h"
#include "../core/diag.h"

struct k8s_sim;

/* config: the scenario's `k8s:` map ({objects, durations, tokens}) or jv_null(); consumed */
struct k8s_sim *sim_k8s_server_new(struct rb_clock *clock, jv config, struct diag_list *dl);
/* listen on "HOST:PORT" (loopback; NULL = ephemeral); tls: serve HTTPS */
int sim_k8s_server_listen(struct k8s_sim *k, const char *listen, int tls, struct diag_list *dl);
const char *sim_k8s_server_endpoint(struct k8s_sim *k);     /* "https://127.0.0.1:PORT" */
/* write a kubeconfig for kubectl and the k8s module: context "sim", namespace from the
 * scenario (default "default"), the CA, and the token (auth "token") or a client
 * certificate (auth "cert") */
int sim_k8s_server_kubeconfig(struct k8s_sim *k, const char *path, const char *auth,
			     struct diag_list *dl);
/* the request log (sim serve --log): one line per request served over HTTP; NULL none.
 * Not owned; must outlive the k8s_sim's listening */
void sim_k8s_server_set_log(struct k8s_sim *k, FILE *log);
/* every object, for --state-out and tests; new value */
jv sim_k8s_server_state(struct k8s_sim *k);
/* {"requests": {VERB: n}, "mutating": {VERB KIND: n}} ; new value */
jv sim_k8s_server_counters(struct k8s_sim *k);
void sim_k8s_server_free(struct k8s_sim *k);
/* one request without HTTP (see sim_k8s_handle in sim.h); query and headers consumed */
struct sim_reply;
int sim_k8s_server_handle(struct k8s_sim *k, const char *method, const char *url, jv query, jv headers,
		   const char *body, size_t len, struct sim_reply *out);

/* patches (k8s_patch.c): consume both, return the result or invalid with a message */
jv sim_k8s_merge_patch(jv target, jv patch);
jv sim_k8s_strategic_patch(jv target, jv patch);
jv sim_k8s_json_patch(jv target, jv ops);

/* certificates (k8s_tls.c): PEM strings, malloc'd */
struct k8s_pki {
	char *ca_cert, *ca_key;
	char *server_cert, *server_key;
	char *client_cert, *client_key;
};
int sim_k8s_pki_make(struct k8s_pki *p, const char *client_cn, struct diag_list *dl);
void sim_k8s_pki_free(struct k8s_pki *p);
/* the common name of a DER client certificate if it was signed by ca_pem, else NULL
 * (malloc'd) */
char *sim_k8s_pki_verify_client(const char *ca_pem, const unsigned char *der, size_t len);
#endif
