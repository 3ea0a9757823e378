/* registry.h — the table of modules and their actions. The only door from plan/ and
 * engine/ into modules/.
 *
 * Each module folder exports one `const struct module_desc NAME_module` (modules/core
 * exports core_module, and so on); registry.c lists them in one table. Adding a module
 * is one line there.
 *
 * Connections: `connections.MODULE` in a runbook is checked against the module's
 * conn_args. A module with conn_named = 1 (pg, redis) takes a map of named connections,
 * each checked against conn_args; actions pick one with their `connection` arg.
 */
#ifndef RB_REGISTRY_H
#define RB_REGISTRY_H
#include "../core/action.h"

/* what a rehearsal gives the modules (cli/rehearse.c fills it): the simulator's endpoints
 * and the dummy credentials it accepts */
struct rehearsal_env {
	const char *aws_endpoint;            /* the simulated AWS endpoint URL */
	const char *access_key_id;
	const char *secret_access_key;
	const char *kubeconfig;              /* a kubeconfig for the simulated Kubernetes API, or NULL */
	const char *kube_context;            /* its context */
};

struct module_desc {
	const char *name;                    /* "core", "aws", "k8s", "pg", "redis" */
	const char *summary;
	const struct action_desc *actions;   /* terminated by {NULL} */
	const struct action_arg *conn_args;  /* keys allowed under connections.NAME; NULL: none */
	int conn_named;                      /* connections.NAME is a map of named connections */
	int (*init)(void);                   /* once, before any action runs (e.g. curl_global_init) */
	void (*cleanup)(void);
	/* optional: the connections.NAME settings a rehearsal injects, pointing the module at
	 * the simulator. user: the keys the runbook sets under connections.NAME (constant
	 * values; null for computed ones), borrowed. Returns an object, or jv_null(): none. */
	jv (*rehearsal_conn)(jv user, const struct rehearsal_env *env);
};

int registry_init(void);                 /* calls every module's init; 0 / -1 */
void registry_cleanup(void);
const struct action_desc *registry_find(const char *name);
const struct module_desc *registry_module(const char *name);
/* the closest known action name to a misspelt one, or NULL */
const char *registry_suggest(const char *name);
/* iterate: returns the i-th module, NULL past the end */
const struct module_desc *registry_module_at(int i);
/* the module that declares d, or NULL */
const struct module_desc *registry_module_of(const struct action_desc *d);
#endif
