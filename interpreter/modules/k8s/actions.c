/* actions.c — the k8s module's actions: what the seeds do with kubectl (get, apply,
 * patch, scale writers down and back, set env, patch secrets, restart, wait for
 * rollouts, back objects up for rollback), as descriptors over the API client.
 *
 * Pod exec and cp need streaming protocols (SPDY / WebSocket) and are not actions:
 * use the exec action with kubectl for them (runbook-actions(7) says so).
 *
 * This file holds the descriptor table (arguments, results); the actions are in
 * k8s_objects.c, k8s_wait.c, k8s_config.c and k8s_backup.c, their shared helpers in k8s_call.c.
 */
#include "k8s_actions.h"
#include "../../core/bug.h"

static const struct action_arg get_args[] = {
	{ "kind", ARG_STRING, ARG_REQUIRED, NULL, "object kind: Deployment, Secret, ConfigMap, ... (or its plural or short name)" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ "api_version", ARG_STRING, 0, NULL, "apiVersion, needed only for kinds runbook does not know (found by discovery)" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg list_args[] = {
	{ "kind", ARG_STRING, ARG_REQUIRED, NULL, "object kind" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ "all_namespaces", ARG_BOOL, 0, "false", "list in every namespace" },
	{ "label_selector", ARG_STRING, 0, NULL, "e.g. app=orders,tier!=cache" },
	{ "field_selector", ARG_STRING, 0, NULL, "e.g. metadata.name=orders" },
	{ "api_version", ARG_STRING, 0, NULL, "apiVersion for kinds found by discovery" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg apply_args[] = {
	{ "manifest", ARG_ANY, 0, NULL, "objects inline: a map, a list of maps, or a List" },
	{ "file", ARG_STRING, 0, NULL, "a YAML/JSON file (several documents allowed) or a folder of them" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace for objects that name none (default: the context's)" },
	{ "force", ARG_BOOL, 0, "false", "take fields owned by other managers (--force-conflicts)" },
	{ "field_manager", ARG_STRING, 0, "\"" FIELD_MANAGER "\"", "server-side apply field manager" },
	{ "recreate", ARG_BOOL, 0, "false", "delete each object first, so it becomes exactly what is given (apply merges keys)" },
	{ "prune", ARG_LIST, 0, NULL, "objects [{kind, name, namespace}] to delete unless the manifests hold them (e.g. an earlier apply's result.applied, to undo it)" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg patch_args[] = {
	{ "kind", ARG_STRING, ARG_REQUIRED, NULL, "object kind" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "patch", ARG_ANY, ARG_REQUIRED, NULL, "the patch: a map (merge, strategic) or a list of operations (json)" },
	{ "type", ARG_STRING, 0, "\"strategic\"", "merge, strategic or json",
	  .choices = "merge|strategic|json" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ "api_version", ARG_STRING, 0, NULL, "apiVersion for kinds found by discovery" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg delete_args[] = {
	{ "kind", ARG_STRING, ARG_REQUIRED, NULL, "object kind" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ "ignore_missing", ARG_BOOL, 0, "false", "an object that is already gone is not an error" },
	{ "api_version", ARG_STRING, 0, NULL, "apiVersion for kinds found by discovery" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg scale_args[] = {
	{ "kind", ARG_STRING, 0, "\"Deployment\"", "Deployment or StatefulSet" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "replicas", ARG_INT, ARG_REQUIRED | ARG_RANGE, NULL, "replicas wanted (0 stops every pod)",
	  .min = 0, .max = 100000 },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg restart_args[] = {
	{ "kind", ARG_STRING, 0, "\"Deployment\"", "Deployment, StatefulSet or DaemonSet" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg status_args[] = {
	{ "kind", ARG_STRING, 0, "\"Deployment\"", "Deployment or StatefulSet" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ "timeout", ARG_DURATION, ARG_NONEMPTY, "\"10m\"", "give up after this long" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg wait_args[] = {
	{ "kind", ARG_STRING, ARG_REQUIRED, NULL, "object kind" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "condition", ARG_STRING, 0, NULL, "a status condition type, e.g. Available, Ready, Complete" },
	{ "status", ARG_STRING, 0, "\"True\"", "the condition's status to wait for" },
	{ "deleted", ARG_BOOL, 0, "false", "wait until the object is gone instead" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ "timeout", ARG_DURATION, ARG_NONEMPTY, "\"5m\"", "give up after this long" },
	{ "api_version", ARG_STRING, 0, NULL, "apiVersion for kinds found by discovery" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg env_args[] = {
	{ "kind", ARG_STRING, 0, "\"Deployment\"", "Deployment, StatefulSet or DaemonSet" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "env", ARG_MAP, ARG_REQUIRED, NULL, "variables to set (name: value); a null value removes the variable" },
	{ "container", ARG_STRING, 0, NULL, "only this container (default: every container)" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg secret_args[] = {
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "Secret name" },
	{ "data", ARG_MAP, ARG_REQUIRED | ARG_SECRET, NULL, "keys to set, values as plain text (base64 is handled); every value is tainted" },
	{ "type", ARG_STRING, 0, "\"Opaque\"", "Secret type when it is created" },
	{ "create", ARG_BOOL, 0, "true", "create the Secret when it does not exist" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg cm_args[] = {
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "ConfigMap name" },
	{ "data", ARG_MAP, ARG_REQUIRED, NULL, "keys to set (values as text)" },
	{ "create", ARG_BOOL, 0, "true", "create the ConfigMap when it does not exist" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct action_arg backup_args[] = {
	{ "kinds", ARG_LIST, ARG_REQUIRED, NULL, "kinds to export, e.g. [Deployment, ConfigMap, Secret]" },
	{ "dir", ARG_STRING, 0, NULL, "folder to write the objects to, created 0700 and refused if it exists "
	  "with another owner or group/other access; files 0600, never through a symlink "
	  "(default: k8s-backup-STEP in the run's folder); k8s.apply file: takes it back" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ "names", ARG_LIST, 0, NULL, "only objects with these names" },
	{ "label_selector", ARG_STRING, 0, NULL, "only objects matching this selector" },
	{ NULL, 0, 0, NULL, NULL },
};

/* In --dry-run, writes go to the API server with dryRun=All: it validates and answers
 * as if it had written, and changes nothing. */
static int dry_via_api(struct action_call *call, jv args, jv *out, action_run_fn run)
{
	BUG_ON(!(call->flags & CALL_DRY_RUN));
	return run(call, args, out);
}
#define DRY(fn) static int fn##_dry(struct action_call *call, jv args, jv *out) { return dry_via_api(call, args, out, fn); }
DRY(k8s_apply)
DRY(k8s_patch)
DRY(k8s_delete)
DRY(k8s_scale)
DRY(k8s_rollout_restart)
DRY(k8s_set_env)
DRY(k8s_secret_set)
DRY(k8s_configmap_set)

/* ------------------------------------------------------------------ table */

/* result fields (what `.steps.X.result.F` may read; checked at validation) */
static const struct action_result res_object[] = {
	{"*", ARG_ANY, "the object as the API server returns it (apiVersion, kind, metadata, spec, status, data, ...); free-form", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_list[] = {
	{"count", ARG_INT, "how many objects", NULL},
	{"items", ARG_LIST, "the objects", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_applied[] = {
	{"kind", ARG_STRING, "kind", NULL},
	{"name", ARG_STRING, "name", NULL},
	{"namespace", ARG_STRING, "namespace", NULL},
	{"resourceVersion", ARG_STRING, "resourceVersion after the apply", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_apply[] = {
	{"applied", ARG_LIST, "one entry per object", res_applied},
	{"objects", ARG_INT, "how many objects", NULL},
	{"pruned", ARG_LIST, "objects pruned (prune: true)", NULL},
	{"dry_run", ARG_BOOL, "server-side dry run", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_delete[] = {
	{"deleted", ARG_BOOL, "the object existed and was deleted", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_scale[] = {
	{"previous", ARG_INT, "replicas before (for a rollback)", NULL},
	{"replicas", ARG_INT, "replicas now", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_restart[] = {
	{"restartedAt", ARG_STRING, "the restartedAt annotation set", NULL},
	{"generation", ARG_INT, "the workload generation after the patch", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_status[] = {
	{"status", ARG_STRING, "the final status", NULL},
	{"polls", ARG_INT, "how many polls", NULL},
	{"waited_ms", ARG_INT, "time waited", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_env[] = {
	{"containers", ARG_LIST, "containers changed", NULL},
	{"generation", ARG_INT, "the workload generation after the patch", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_keys[] = {
	{"name", ARG_STRING, "object name", NULL},
	{"keys", ARG_LIST, "keys set", NULL},
	{"created", ARG_BOOL, "the object was created", NULL},
	{"resourceVersion", ARG_STRING, "resourceVersion after the change", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_wait[] = {
	{"status", ARG_STRING, "the condition status seen", NULL},
	{"polls", ARG_INT, "how many polls", NULL},
	{"waited_ms", ARG_INT, "time waited", NULL},
	{"deleted", ARG_BOOL, "for: delete: the object is gone", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_backup[] = {
	{"dir", ARG_STRING, "the private folder written", NULL},
	{"count", ARG_INT, "objects exported", NULL},
	{"files", ARG_LIST, "files written", NULL},
	{NULL, 0, NULL, NULL},
};

static const struct action_desc k8s_actions[] = {
	{ "k8s.get", "one object (Secret values are tainted)", get_args, "the object", ACT_IDEMPOTENT, 300,
	  k8s_get, NULL, NULL, NULL,
	  .results = res_object },
	{ "k8s.list", "objects of a kind, by namespace, label and field selectors", list_args, "{count, items}",
	  ACT_IDEMPOTENT, 500, k8s_list, NULL, NULL, NULL,
	  .results = res_list },
	{ "k8s.apply", "server-side apply of manifests inline, from a file or a folder (fieldManager runbook)",
	  apply_args, "{applied: [{kind, name, namespace, resourceVersion}], objects, pruned, dry_run}",
	  ACT_MUTATING | ACT_IDEMPOTENT, 1000, k8s_apply, NULL, k8s_apply_dry, NULL,
	  .results = res_apply },
	{ "k8s.patch", "merge, strategic-merge or JSON patch of one object", patch_args, "the patched object",
	  ACT_MUTATING, 300, k8s_patch, NULL, k8s_patch_dry, NULL,
	  .results = res_object },
	{ "k8s.delete", "delete one object", delete_args, "{deleted}", ACT_MUTATING | ACT_IDEMPOTENT, 500,
	  k8s_delete, NULL, k8s_delete_dry, NULL,
	  .results = res_delete },
	{ "k8s.scale", "set replicas through the scale subresource; returns the previous count for a rollback",
	  scale_args, "{previous, replicas}", ACT_MUTATING | ACT_IDEMPOTENT, 300, k8s_scale, NULL, k8s_scale_dry, NULL,
	  .results = res_scale },
	{ "k8s.rollout_restart", "restart a workload's pods (kubectl rollout restart)", restart_args,
	  "{restartedAt, generation}", ACT_MUTATING, 300, k8s_rollout_restart, NULL, k8s_rollout_restart_dry, NULL,
	  .results = res_restart },
	{ "k8s.rollout_status", "wait until a rollout is complete (kubectl's rule; fails on ProgressDeadlineExceeded)",
	  status_args, "{status, polls, waited_ms}", ACT_IDEMPOTENT, 60000, k8s_rollout_status, NULL, NULL, NULL,
	  .results = res_status },
	{ "k8s.set_env", "set or remove container environment variables (kubectl set env)", env_args,
	  "{containers, generation}", ACT_MUTATING | ACT_IDEMPOTENT, 300, k8s_set_env, NULL, k8s_set_env_dry, NULL,
	  .results = res_env },
	{ "k8s.secret_set", "set keys of a Secret (base64 handled; values tainted), creating it if needed",
	  secret_args, "{name, keys, created, resourceVersion}", ACT_MUTATING | ACT_IDEMPOTENT, 300, k8s_secret_set,
	  NULL, k8s_secret_set_dry, NULL,
	  .results = res_keys },
	{ "k8s.configmap_set", "set keys of a ConfigMap, creating it if needed", cm_args,
	  "{name, keys, created, resourceVersion}", ACT_MUTATING | ACT_IDEMPOTENT, 300, k8s_configmap_set, NULL,
	  k8s_configmap_set_dry, NULL,
	  .results = res_keys },
	{ "k8s.wait", "wait for a status condition on any object, or for its deletion", wait_args,
	  "{status, polls, waited_ms} or {deleted, polls}", ACT_IDEMPOTENT, 30000, k8s_wait, NULL, NULL, NULL,
	  .results = res_wait },
	{ "k8s.backup", "export objects (minus managedFields, resourceVersion, uid, status) to a private folder (0700, files 0600), for rollback",
	  backup_args, "{dir, count, files}", ACT_IDEMPOTENT, 1000, k8s_backup, NULL, NULL, NULL,
	  .results = res_backup },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const struct action_arg k8s_conn_args[] = {
	{ "kubeconfig", ARG_STRING, 0, NULL, "kubeconfig file(s), colon-separated (default: KUBECONFIG, ~/.kube/config, in-cluster); servers must be https://, insecure-skip-tls-verify is refused" },
	{ "context", ARG_STRING, 0, NULL, "context (default: the kubeconfig's current-context)" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's, else default)" },
	{ NULL, 0, 0, NULL, NULL },
};

const struct module_desc k8s_module = {
	"k8s", "Kubernetes: get, apply, patch, scale, restart and wait for workloads, secrets and config maps",
	k8s_actions, k8s_conn_args, 0, NULL, NULL, k8s_rehearsal_conn,
};
