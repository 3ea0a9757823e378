/* k8s_actions.h — internal to the k8s module's action files: the per-call state and
 * helpers (k8s_call.c) and the action functions the descriptor table (actions.c) names.
 */
#ifndef RB_K8S_ACTIONS_H
#define RB_K8S_ACTIONS_H
#include "k8s.h"

#define FIELD_MANAGER "runbook"

struct k8s_call {
	struct action_call *call;
	struct k8s_conn conn;
	jv args;                 /* borrowed */
	int dry;                 /* send dryRun=All */
};

int k8s_call_open(struct k8s_call *k, struct action_call *call, jv args, jv *out);
/* every action ends here: frees what k8s_call_open and k8s_obj_path made, and the args */
int k8s_call_close(struct k8s_call *k, char *path, jv args, int rc);
/* a string argument (borrowed from the args), or NULL */
const char *k8s_arg(struct k8s_call *k, const char *name);
/* q (an object, else a new one) plus dryRun=All in --dry-run */
jv k8s_dry_query(struct k8s_call *k, jv q);
/* the path of args' kind/name (name may be NULL: the collection) */
int k8s_obj_path(struct k8s_call *k, const char *kind, const char *name, char **path, jv *out);
/* every value of a Secret (data base64-decoded, stringData) is tainted */
void k8s_taint_secret(struct action_call *call, jv obj);
/* obj[key] = v, unless v is absent (a dry-run reply may lack server-set fields) */
jv k8s_set_if(jv obj, const char *key, jv v);

/* the actions (descriptor table in actions.c) */
int k8s_get(struct action_call *call, jv args, jv *out);
int k8s_list(struct action_call *call, jv args, jv *out);
int k8s_apply(struct action_call *call, jv args, jv *out);
int k8s_patch(struct action_call *call, jv args, jv *out);
int k8s_delete(struct action_call *call, jv args, jv *out);
int k8s_scale(struct action_call *call, jv args, jv *out);
int k8s_rollout_restart(struct action_call *call, jv args, jv *out);
int k8s_rollout_status(struct action_call *call, jv args, jv *out);
int k8s_wait(struct action_call *call, jv args, jv *out);
int k8s_set_env(struct action_call *call, jv args, jv *out);
int k8s_secret_set(struct action_call *call, jv args, jv *out);
int k8s_configmap_set(struct action_call *call, jv args, jv *out);
int k8s_backup(struct action_call *call, jv args, jv *out);
#endif
