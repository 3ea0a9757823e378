/* scenario_k8s.c — the Kubernetes objects of a scenario (its k8s: map), as rule tables
 * (see scenario_rules.h): what `sim serve` and `rehearse` can serve.
 */
#include <stdlib.h>
#include <string.h>
#include "simint.h"
#include "scenario_rules.h"
#include "../core/jvx.h"

#define K8S_REPLICAS_MAX 1000      /* as k8s_workload.c serves: pods are objects in memory */

/* ------------------------------------------------------------------ Kubernetes objects */

static void k8s_object(struct vc *c, jv obj, struct srcloc at);

static const char *const pull_policies[] = { "Always", "IfNotPresent", "Never", NULL };
static const char *const protocols[] = { "TCP", "UDP", "SCTP", NULL };
static const char *const svc_types[] = { "ClusterIP", "NodePort", "LoadBalancer", "ExternalName", NULL };
static const char *const pod_policies[] = { "OrderedReady", "Parallel", NULL };
static const char *const restart_policies[] = { "Always", "OnFailure", "Never", NULL };

static const struct kind k_selector = { "a label selector", (const struct rule[]){
	R("matchLabels", RT_STRMAP),
	R("matchExpressions", RT_ANY),
	{ NULL } }, NULL };

static const struct kind k_cport = { "a container port", (const struct rule[]){
	R("containerPort", RT_INT, .flags = REQ, .min = 1, .max = 65535),
	R("name", RT_STR, .fmt = &sim_fmt_dns_label),
	R("protocol", RT_ENUM, .values = protocols),
	R("hostPort", RT_INT, .min = 1, .max = 65535),
	R("hostIP", RT_STR),
	{ NULL } }, NULL };

static const struct kind k_env = { "an environment variable", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &sim_fmt_nonempty),
	R("value", RT_STR),
	R("valueFrom", RT_ANY),
	{ NULL } }, NULL };

static const struct kind k_container = { "a container", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &sim_fmt_dns_label),
	R("image", RT_STR, .flags = REQ, .fmt = &sim_fmt_nonempty),
	R("imagePullPolicy", RT_ENUM, .values = pull_policies),
	R("command", RT_STRS),
	R("args", RT_STRS),
	R("env", RT_LIST, .kind = &k_env),
	R("ports", RT_LIST, .kind = &k_cport),
	R("workingDir", RT_STR),
	R("envFrom", RT_ANY),
	R("resources", RT_ANY),
	R("volumeMounts", RT_ANY),
	R("volumeDevices", RT_ANY),
	R("livenessProbe", RT_ANY),
	R("readinessProbe", RT_ANY),
	R("startupProbe", RT_ANY),
	R("lifecycle", RT_ANY),
	R("securityContext", RT_ANY),
	R("stdin", RT_BOOL),
	R("stdinOnce", RT_BOOL),
	R("tty", RT_BOOL),
	R("terminationMessagePath", RT_STR),
	R("terminationMessagePolicy", RT_STR),
	R("resizePolicy", RT_ANY),
	R("restartPolicy", RT_STR),
	{ NULL } }, NULL };

static void podspec_check(struct vc *c, jv spec)
{
	jv cs = jvx_get(spec, "containers");
	if (jv_get_kind(cs) == JV_KIND_ARRAY && jv_array_length(jv_copy(cs)) == 0)
		sim_rules_err(c, sim_rules_at_key(c, spec, "containers", 1), "a pod needs at least one container");
	jv_free(cs);
}

static const struct kind k_podspec = { "a pod spec", (const struct rule[]){
	R("containers", RT_LIST, .flags = REQ, .kind = &k_container),
	R("initContainers", RT_LIST, .kind = &k_container),
	R("restartPolicy", RT_ENUM, .values = restart_policies),
	R("terminationGracePeriodSeconds", RT_INT, .min = 0, .max = 1e9),
	R("activeDeadlineSeconds", RT_INT, .min = 1, .max = 1e12),
	R("serviceAccountName", RT_STR, .fmt = &sim_fmt_dns_name),
	R("serviceAccount", RT_STR),
	R("nodeSelector", RT_STRMAP),
	R("nodeName", RT_STR),
	R("hostname", RT_STR),
	R("subdomain", RT_STR),
	R("volumes", RT_ANY),
	R("affinity", RT_ANY),
	R("tolerations", RT_ANY),
	R("securityContext", RT_ANY),
	R("imagePullSecrets", RT_ANY),
	R("dnsPolicy", RT_STR),
	R("dnsConfig", RT_ANY),
	R("priorityClassName", RT_STR),
	R("priority", RT_INT, .min = -2147483648.0, .max = 2147483647.0),
	R("topologySpreadConstraints", RT_ANY),
	R("automountServiceAccountToken", RT_BOOL),
	R("enableServiceLinks", RT_BOOL),
	R("hostNetwork", RT_BOOL),
	R("hostPID", RT_BOOL),
	R("hostIPC", RT_BOOL),
	R("shareProcessNamespace", RT_BOOL),
	R("schedulerName", RT_STR),
	R("runtimeClassName", RT_STR),
	R("hostAliases", RT_ANY),
	R("readinessGates", RT_ANY),
	R("overhead", RT_ANY),
	R("preemptionPolicy", RT_STR),
	R("setHostnameAsFQDN", RT_BOOL),
	R("os", RT_ANY),
	R("ephemeralContainers", RT_ANY),
	{ NULL } }, podspec_check };

static const struct kind k_tmeta = { "a template's metadata", (const struct rule[]){
	R("labels", RT_STRMAP),
	R("annotations", RT_STRMAP),
	R("name", RT_STR),
	R("namespace", RT_STR),
	{ NULL } }, NULL };

static const struct kind k_template = { "a pod template", (const struct rule[]){
	R("metadata", RT_MAP, .kind = &k_tmeta),
	R("spec", RT_MAP, .flags = REQ, .kind = &k_podspec),
	{ NULL } }, NULL };

/* the selector must select the template's pods, as the API server insists */
static void workload_check(struct vc *c, jv spec)
{
	jv sel = jvx_get(spec, "selector"), ml = jvx_get(sel, "matchLabels");
	jv tl = jvx_get(spec, "template"), tm = jvx_get(tl, "metadata"), labels = jvx_get(tm, "labels");
	if (jv_get_kind(ml) == JV_KIND_OBJECT) {
		SIM_OBJ_EACH(jv_copy(ml), k, v) {
			const char *ks = jv_string_value(k), *have = jvx_str(labels, ks);
			if (strncmp(ks, "__", 2) && jv_get_kind(v) == JV_KIND_STRING && (!have || strcmp(have, jv_string_value(v))))
				sim_rules_err(c, sim_rules_at_key(c, ml, ks, 1), "the selector's '%s: %s' does not match the template's labels",
				     ks, jv_string_value(v));
			jv_free(k);
			jv_free(v);
		}
	}
	jv_free(sel);
	jv_free(ml);
	jv_free(tl);
	jv_free(tm);
	jv_free(labels);
}

static const struct kind k_workload_spec = { "a workload spec", (const struct rule[]){
	R("replicas", RT_INT, .min = 0, .max = K8S_REPLICAS_MAX),
	R("selector", RT_MAP, .kind = &k_selector),
	R("template", RT_MAP, .flags = REQ, .kind = &k_template),
	R("strategy", RT_ANY),
	R("updateStrategy", RT_ANY),
	R("minReadySeconds", RT_INT, .min = 0, .max = 1e9),
	R("revisionHistoryLimit", RT_INT, .min = 0, .max = 1e9),
	R("progressDeadlineSeconds", RT_INT, .min = 1, .max = 1e9),
	R("paused", RT_BOOL),
	R("serviceName", RT_STR),
	R("podManagementPolicy", RT_ENUM, .values = pod_policies),
	R("volumeClaimTemplates", RT_ANY),
	R("persistentVolumeClaimRetentionPolicy", RT_ANY),
	R("ordinals", RT_ANY),
	{ NULL } }, workload_check };

static const struct kind k_sport = { "a service port", (const struct rule[]){
	R("port", RT_INT, .flags = REQ, .min = 1, .max = 65535),
	R("targetPort", RT_INTSTR, .min = 1, .max = 65535),
	R("protocol", RT_ENUM, .values = protocols),
	R("name", RT_STR, .fmt = &sim_fmt_dns_label),
	R("nodePort", RT_INT, .min = 30000, .max = 32767),
	R("appProtocol", RT_STR),
	{ NULL } }, NULL };

static const struct kind k_svc_spec = { "a service spec", (const struct rule[]){
	R("ports", RT_LIST, .kind = &k_sport),
	R("selector", RT_STRMAP),
	R("type", RT_ENUM, .values = svc_types),
	R("clusterIP", RT_STR),
	R("clusterIPs", RT_STRS),
	R("externalName", RT_STR),
	R("externalIPs", RT_STRS),
	R("sessionAffinity", RT_STR),
	R("sessionAffinityConfig", RT_ANY),
	R("externalTrafficPolicy", RT_STR),
	R("internalTrafficPolicy", RT_STR),
	R("ipFamilies", RT_STRS),
	R("ipFamilyPolicy", RT_STR),
	R("loadBalancerIP", RT_STR),
	R("loadBalancerSourceRanges", RT_STRS),
	R("loadBalancerClass", RT_STR),
	R("publishNotReadyAddresses", RT_BOOL),
	R("allocateLoadBalancerNodePorts", RT_BOOL),
	R("healthCheckNodePort", RT_INT, .min = 1, .max = 65535),
	{ NULL } }, NULL };

static const struct kind k_meta = { "metadata", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &sim_fmt_dns_name),
	R("namespace", RT_STR, .fmt = &sim_fmt_dns_label),
	R("labels", RT_STRMAP),
	R("annotations", RT_STRMAP),
	{ NULL } }, NULL };

#define K8S_HEAD R("apiVersion", RT_STR, .flags = REQ), R("kind", RT_STR, .flags = REQ), \
	R("metadata", RT_MAP, .flags = REQ, .kind = &k_meta)

static const struct kind k_ns = { "a Namespace", (const struct rule[]){
	K8S_HEAD, R("spec", RT_ANY), { NULL } }, NULL };
static const struct kind k_cm = { "a ConfigMap", (const struct rule[]){
	K8S_HEAD, R("data", RT_STRMAP), R("binaryData", RT_B64MAP), R("immutable", RT_BOOL), { NULL } }, NULL };
static const struct kind k_secret = { "a Secret", (const struct rule[]){
	K8S_HEAD, R("data", RT_B64MAP), R("stringData", RT_STRMAP), R("type", RT_STR, .fmt = &sim_fmt_nonempty),
	R("immutable", RT_BOOL), { NULL } }, NULL };
static const struct kind k_svc = { "a Service", (const struct rule[]){
	K8S_HEAD, R("spec", RT_MAP, .kind = &k_svc_spec), { NULL } }, NULL };
static const struct kind k_pod = { "a Pod", (const struct rule[]){
	K8S_HEAD, R("spec", RT_MAP, .flags = REQ, .kind = &k_podspec), { NULL } }, NULL };
static const struct kind k_deploy = { "a Deployment", (const struct rule[]){
	K8S_HEAD, R("spec", RT_MAP, .flags = REQ, .kind = &k_workload_spec), { NULL } }, NULL };
static const struct kind k_sts = { "a StatefulSet", (const struct rule[]){
	K8S_HEAD, R("spec", RT_MAP, .flags = REQ, .kind = &k_workload_spec), { NULL } }, NULL };
static const struct kind k_rs = { "a ReplicaSet", (const struct rule[]){
	K8S_HEAD, R("spec", RT_MAP, .flags = REQ, .kind = &k_workload_spec), { NULL } }, NULL };

/* the kinds the simulated API server serves (k8s.c's resources) */
static const struct k8s_kind {
	const char *api, *kind;
	const struct kind *body;
	int dns_label;           /* the name is a DNS label, not a subdomain */
} k8s_kinds[] = {
	{ "v1", "Namespace", &k_ns, 1 },
	{ "v1", "ConfigMap", &k_cm, 0 },
	{ "v1", "Secret", &k_secret, 0 },
	{ "v1", "Service", &k_svc, 1 },
	{ "v1", "Pod", &k_pod, 0 },
	{ "apps/v1", "Deployment", &k_deploy, 0 },
	{ "apps/v1", "StatefulSet", &k_sts, 0 },
	{ "apps/v1", "ReplicaSet", &k_rs, 0 },
};
#define K8S_NKINDS ((int)(sizeof(k8s_kinds) / sizeof(k8s_kinds[0])))

static void k8s_object(struct vc *c, jv obj, struct srcloc at)
{
	char b[96];
	if (jv_get_kind(obj) != JV_KIND_OBJECT) {
		sim_rules_err(c, at, "a Kubernetes object must be a map, not %s", sim_rules_show(obj, b, sizeof(b)));
		return;
	}
	const char *api = jvx_str(obj, "apiVersion"), *kind = jvx_str(obj, "kind");
	if (!kind || !api) {
		sim_rules_err(c, sim_rules_at_map(c, obj), "missing '%s' in a Kubernetes object", kind ? "apiVersion" : "kind");
		return;
	}
	const struct k8s_kind *kk = NULL;
	const char *names[K8S_NKINDS + 1];
	for (int i = 0; i < K8S_NKINDS; i++) {
		names[i] = k8s_kinds[i].kind;
		if (!strcmp(k8s_kinds[i].kind, kind))
			kk = &k8s_kinds[i];
	}
	names[K8S_NKINDS] = NULL;
	if (!kk) {
		const char *sug = diag_suggest(kind, names, K8S_NKINDS);
		sim_rules_err(c, sim_rules_at_key(c, obj, "kind", 1), "the simulator has no kind '%s'%s%s%s (Namespace, ConfigMap, Secret, "
		     "Service, Pod, Deployment, StatefulSet, ReplicaSet)", kind, sug ? " (did you mean '" : "",
		     sug ? sug : "", sug ? "'?)" : "");
		return;
	}
	if (strcmp(api, kk->api))
		sim_rules_err(c, sim_rules_at_key(c, obj, "apiVersion", 1), "a %s is apiVersion '%s', not '%s'", kk->kind, kk->api, api);
	sim_rules_check_map(c, kk->body, obj);
	jv meta = jvx_get(obj, "metadata");
	const char *name = jvx_str(meta, "name");
	if (kk->dns_label && name && sim_fmt_dns_name.ok(name) && !sim_fmt_dns_label.ok(name))
		sim_rules_err(c, sim_rules_at_key(c, meta, "name", 1), "'name' of a %s must be %s, not '%s'", kk->kind,
			      sim_fmt_dns_label.what, name);
	jv_free(meta);
}

static const struct kind k_token = { "a token", (const struct rule[]){
	R("user", RT_STR, .fmt = &sim_fmt_nonempty),
	R("expired", RT_BOOL),
	{ NULL } }, NULL };

static const struct kind k_k8s_durations = { "'k8s.durations'", (const struct rule[]){
	R("rollout", RT_DUR, .min = 0, .max = 24 * 3600000.0),
	R("progress_deadline", RT_DUR, .min = 1000, .max = 24 * 3600000.0),
	{ NULL } }, NULL };

static const struct kind k_run_stub = { "a run rule's stub", (const struct rule[]){
	R("exit_code", RT_INT, .min = 0, .max = 255),
	R("stdout", RT_STR),
	{ NULL } }, NULL };

/* what a bare pod of an image does (k8s_run.c): run its command here, or a stub */
static const struct kind k_run_rule = { "a k8s run rule", (const struct rule[]){
	R("image", RT_STR, .flags = REQ, .fmt = &sim_fmt_nonempty),
	R("run", RT_BOOL),
	R("stub", RT_MAP, .kind = &k_run_stub),
	{ NULL } }, NULL };

const struct kind sim_rules_k8s = { "'k8s'", (const struct rule[]){
	R("namespace", RT_STR, .fmt = &sim_fmt_dns_label),
	R("durations", RT_MAP, .kind = &k_k8s_durations),
	R("tokens", RT_MAPOF, .kind = &k_token),
	R("objects", RT_LIST, .fn = k8s_object),
	R("run", RT_LIST, .kind = &k_run_rule),
	{ NULL } }, NULL };
