/* k8s.h — the Kubernetes client shared by the files of the k8s module (owner: lead).
 *
 *   kubeconfig.c  KUBECONFIG (several files, merged as kubectl does) or ~/.kube/config,
 *                 contexts and their namespace, CA / client certificate / key as data or
 *                 files, token and tokenFile, exec credential plugins
 *                 (client.authentication.k8s.io/v1beta1 and v1), in-cluster service account
 *   client.c      libcurl requests with TLS verified, Status errors, kinds -> REST paths
 *   actions.c     the action descriptors
 *
 * Ownership: every char * in struct k8s_conn is malloc'd and owned by it, as is its curl
 * handle; k8s_conn_release frees them. Secrets (tokens, keys) are tainted in the call's
 * redactor when loaded and never put in a result or a message. Errors are jvx_error
 * objects; Kubernetes' own reasons (NotFound, Conflict, Unauthorized, ...) are the codes.
 */
#ifndef RB_K8S_H
#define RB_K8S_H
#include <jv.h>
#include "../../core/action.h"
#include "../registry.h"

extern const struct module_desc k8s_module;

struct k8s_conn {
	char *server;            /* https://host:port, no trailing slash */
	char *ca_pem;            /* CA bundle (PEM) or NULL: the system's */
	char *cert_pem, *key_pem;    /* client certificate and key, or NULL */
	char *token;             /* bearer token, or NULL */
	char *namespace;         /* the context's, else "default" */
	char *context;           /* its name ("in-cluster" for a service account) */
	void *curl;              /* CURL *: made on the first request, kept so the
				  * requests of one call share its TLS connection */
};

/* resolve the connection for a call: connections.k8s {kubeconfig, context, namespace}
 * over KUBECONFIG / ~/.kube/config / in-cluster. 0, or -1 with *err. */
int k8s_conn_load(struct action_call *call, struct k8s_conn *c, jv *err);
void k8s_conn_release(struct k8s_conn *c);
/* a rehearsal's connections.k8s: the simulator's kubeconfig and context (the module's
 * rehearsal_conn hook) */
jv k8s_rehearsal_conn(jv user, const struct rehearsal_env *env);

/* one request: path begins with "/"; query is an object of strings or null; body is
 * sent as JSON when valid (content_type defaults to application/json). On 2xx: 0 and
 * *out = the reply (JSON). Otherwise -1 and *out = error {code: Status.reason, message,
 * status}. Transport failures are transient errors. Consumes query and body. */
int k8s_request(struct action_call *call, struct k8s_conn *c, const char *method, const char *path,
		jv query, const char *content_type, jv body, jv *out);

/* a kind's REST path: "/apis/apps/v1/namespaces/NS/deployments[/NAME]"; api_version may
 * be NULL (the kind's usual group). Unknown kinds are looked up by discovery.
 * 0, or -1 with *err (UnknownKind). */
int k8s_path(struct action_call *call, struct k8s_conn *c, const char *api_version, const char *kind,
	     const char *ns, const char *name, char **path, jv *err);
#endif
