/* k8s_output.c — what the simulated Kubernetes API answers with: objects as served,
 * Status objects (errors and deletions), lists, Tables for kubectl get, Scale objects,
 * discovery documents and OpenAPI v3.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "k8s_int.h"
#include "../core/buf.h"
#include "../core/dur.h"
#include "../core/jvx.h"

void sim_k8s_reply(struct kresp *o, int status, jv v)
{
	int berr = 0;
	o->status = status;
	o->ctype = "application/json";
	char *s = jvx_dump(v);
	berr |= buf_adds(&o->body, s);
	BUF_NOCAP(berr);
	free(s);
}

void sim_k8s_fail(struct kresp *o, int code, const char *reason, struct kreq *r, jv causes,
		  const char *fmt, ...)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	va_list ap;
	va_start(ap, fmt);
	berr |= buf_vaddf(&b, fmt, ap);
	BUF_NOCAP(berr);
	va_end(ap);
	jv st = jv_object();
	st = jv_object_set(st, jv_string("kind"), jv_string("Status"));
	st = jv_object_set(st, jv_string("apiVersion"), jv_string("v1"));
	st = jv_object_set(st, jv_string("metadata"), jv_object());
	st = jv_object_set(st, jv_string("status"), jv_string("Failure"));
	st = jv_object_set(st, jv_string("message"), jv_string(buf_str(&b)));
	st = jv_object_set(st, jv_string("reason"), jv_string(reason));
	jv det = jv_object();
	if (r && r->name)
		det = jv_object_set(det, jv_string("name"), jv_string(r->name));
	if (r && r->res >= 0) {
		det = jv_object_set(det, jv_string("group"), jv_string(kres(r->res)->group));
		det = jv_object_set(det, jv_string("kind"), jv_string(code == 422 ? kres(r->res)->kind
										   : kres(r->res)->name));
	}
	if (jv_is_valid(causes))
		det = jv_object_set(det, jv_string("causes"), causes);
	else
		jv_free(causes);
	st = jv_object_set(st, jv_string("details"), det);
	st = jv_object_set(st, jv_string("code"), jv_number(code));
	sim_k8s_reply(o, code, st);
	buf_release(&b);
}

/* "deployments.apps" / "secrets" as the API names a resource in messages */
const char *sim_k8s_qual(int res, char *buf, size_t size)
{
	if (kres(res)->group[0])
		snprintf(buf, size, "%s.%s", kres(res)->name, kres(res)->group);
	else
		snprintf(buf, size, "%s", kres(res)->name);
	return buf;
}

void sim_k8s_not_found(struct kresp *o, struct kreq *r, int res, const char *name)
{
	char q[64];
	sim_k8s_fail(o, 404, "NotFound", r, jv_invalid(), "%s \"%s\" not found", sim_k8s_qual(res, q, sizeof(q)), name);
}

/* ------------------------------------------------------------------ output */

jv sim_k8s_served(struct k8s_sim *k, struct kobj *o, int64_t now)
{
	jv v = jv_copy(o->obj);
	v = jv_object_set(v, jv_string("apiVersion"), jv_string(sim_k8s_api_version(o->res)));
	v = jv_object_set(v, jv_string("kind"), jv_string(kres(o->res)->kind));
	if (jv_object_length(jv_copy(o->owners)) > 0)
		v = jset(v, "metadata.managedFields", sim_k8s_managed_fields(o, now));
	return v;
}

static void age(int64_t now, jv obj, char *buf, size_t size)
{
	char b[64];
	int64_t t = 0, d;
	const char *c = sget(obj, "metadata.creationTimestamp", b, sizeof(b));
	if (!c || ts_parse(c, &t) < 0) {
		snprintf(buf, size, "<unknown>");
		return;
	}
	d = (now - t) / 1000;
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(buf, size, "%llds", (long long)d);
	else if (d < 3 * 3600)
		snprintf(buf, size, "%lldm", (long long)(d / 60));
	else if (d < 48 * 3600)
		snprintf(buf, size, "%lldh", (long long)(d / 3600));
	else
		snprintf(buf, size, "%lldd", (long long)(d / 86400));
}

/* a DeleteOptions' answer: the Status of a deletion (uid consumed) */
void sim_k8s_deleted(struct kresp *o, struct kreq *r, jv uid)
{
	jv st = jv_object();
	st = jv_object_set(st, jv_string("kind"), jv_string("Status"));
	st = jv_object_set(st, jv_string("apiVersion"), jv_string("v1"));
	st = jv_object_set(st, jv_string("metadata"), jv_object());
	st = jv_object_set(st, jv_string("status"), jv_string("Success"));
	jv det = jv_object();
	det = jv_object_set(det, jv_string("name"), jv_string(r->name));
	det = jv_object_set(det, jv_string("group"), jv_string(kres(r->res)->group));
	det = jv_object_set(det, jv_string("kind"), jv_string(kres(r->res)->name));
	det = jv_object_set(det, jv_string("uid"), uid);
	st = jv_object_set(st, jv_string("details"), det);
	sim_k8s_reply(o, 200, st);
}

jv sim_k8s_list(struct k8s_sim *k, int res, jv items)
{
	jv l = jv_object();
	l = jv_object_set(l, jv_string("kind"), jv_string_fmt("%sList", kres(res)->kind));
	l = jv_object_set(l, jv_string("apiVersion"), jv_string(sim_k8s_api_version(res)));
	jv m = jv_object();
	m = jv_object_set(m, jv_string("resourceVersion"), jv_string_fmt("%llu", (unsigned long long)k->rv));
	l = jv_object_set(l, jv_string("metadata"), m);
	return jv_object_set(l, jv_string("items"), items);
}

/* ------------------------------------------------------------------ table cells */

jv sim_k8s_deployment_cells(jv c, jv obj)
{
	char t[64];
	snprintf(t, sizeof(t), "%d/%d", iget(obj, "status.readyReplicas", 0), iget(obj, "spec.replicas", 1));
	c = jv_array_append(c, jv_string(t));
	c = jv_array_append(c, jv_number(iget(obj, "status.updatedReplicas", 0)));
	return jv_array_append(c, jv_number(iget(obj, "status.availableReplicas", 0)));
}

jv sim_k8s_statefulset_cells(jv c, jv obj)
{
	char t[64];
	snprintf(t, sizeof(t), "%d/%d", iget(obj, "status.readyReplicas", 0), iget(obj, "spec.replicas", 1));
	return jv_array_append(c, jv_string(t));
}

jv sim_k8s_replicaset_cells(jv c, jv obj)
{
	int R = iget(obj, "spec.replicas", 1);
	c = jv_array_append(c, jv_number(R));
	c = jv_array_append(c, jv_number(R));
	return jv_array_append(c, jv_number(R));
}

jv sim_k8s_pod_cells(jv c, jv obj)
{
	char b[256];
	c = jv_array_append(c, jv_string("1/1"));
	c = jv_array_append(c, jv_string(sget(obj, "status.phase", b, sizeof(b)) ? b : "Pending"));
	return jv_array_append(c, jv_number(0));
}

jv sim_k8s_configmap_cells(jv c, jv obj)
{
	jv d = jget(obj, "data");
	c = jv_array_append(c, jv_number(jv_get_kind(d) == JV_KIND_OBJECT ? jv_object_length(jv_copy(d)) : 0));
	jv_free(d);
	return c;
}

jv sim_k8s_secret_cells(jv c, jv obj)
{
	char b[256];
	c = jv_array_append(c, jv_string(sget(obj, "type", b, sizeof(b)) ? b : "Opaque"));
	return sim_k8s_configmap_cells(c, obj);
}

jv sim_k8s_service_cells(jv c, jv obj)
{
	int berr = 0;
	char b[256];
	c = jv_array_append(c, jv_string(sget(obj, "spec.type", b, sizeof(b)) ? b : "ClusterIP"));
	c = jv_array_append(c, jv_string(sget(obj, "spec.clusterIP", b, sizeof(b)) ? b : "None"));
	/* EXTERNAL-IP: the load balancer's address, "<pending>" until it has one */
	char type[32];
	const char *ext = sget(obj, "spec.type", type, sizeof(type)) && !strcmp(type, "LoadBalancer") ? "<pending>"
													: "<none>";
	jv ing = jget(obj, "status.loadBalancer.ingress");
	if (jv_get_kind(ing) == JV_KIND_ARRAY && jv_array_length(jv_copy(ing)) > 0) {
		jv first = jv_array_get(jv_copy(ing), 0);
		if (sget(first, "hostname", b, sizeof(b)) || sget(first, "ip", b, sizeof(b)))
			ext = b;
		jv_free(first);
	}
	jv_free(ing);
	c = jv_array_append(c, jv_string(ext));
	struct buf pb = BUF_INIT(0);
	jv ports = jget(obj, "spec.ports");
	if (jv_get_kind(ports) == JV_KIND_ARRAY) {
		jv_array_foreach(ports, i, p) {
			berr |= buf_addf(&pb, "%s%d/%s", i ? "," : "", (int)jvx_num(p, "port", 0),
				 jvx_str(p, "protocol") ? jvx_str(p, "protocol") : "TCP");
			jv_free(p);
		}
	}
	BUF_NOCAP(berr);
	jv_free(ports);
	c = jv_array_append(c, jv_string(pb.len ? buf_str(&pb) : "<none>"));
	buf_release(&pb);
	return c;
}

jv sim_k8s_namespace_cells(jv c, jv obj)
{
	char b[256];
	return jv_array_append(c, jv_string(sget(obj, "status.phase", b, sizeof(b)) ? b : "Active"));
}

/* Name, the kind's cells, Age */
static jv cells(int res, jv obj, int64_t now)
{
	char b[256], a[32];
	jv c = jv_array();
	c = jv_array_append(c, jv_string(sget(obj, "metadata.name", b, sizeof(b)) ? b : ""));
	if (kres(res)->cells)
		c = kres(res)->cells(c, obj);
	age(now, obj, a, sizeof(a));
	return jv_array_append(c, jv_string(a));
}

jv sim_k8s_table(struct k8s_sim *k, int res, jv items, int64_t now, const char *accept)
{
	jv cols = jv_array();
	jv col = jv_object();
	col = jv_object_set(col, jv_string("name"), jv_string("Name"));
	col = jv_object_set(col, jv_string("type"), jv_string("string"));
	col = jv_object_set(col, jv_string("format"), jv_string("name"));
	col = jv_object_set(col, jv_string("description"), jv_string("Name must be unique within a namespace."));
	col = jv_object_set(col, jv_string("priority"), jv_number(0));
	cols = jv_array_append(cols, col);
	for (const char *const *c = kres(res)->columns; c && *c; c++) {
		jv cd = jv_object();
		cd = jv_object_set(cd, jv_string("name"), jv_string(*c));
		cd = jv_object_set(cd, jv_string("type"), jv_string("string"));
		cd = jv_object_set(cd, jv_string("format"), jv_string(""));
		cd = jv_object_set(cd, jv_string("description"), jv_string(""));
		cd = jv_object_set(cd, jv_string("priority"), jv_number(0));
		cols = jv_array_append(cols, cd);
	}
	jv ac = jv_object();
	ac = jv_object_set(ac, jv_string("name"), jv_string("Age"));
	ac = jv_object_set(ac, jv_string("type"), jv_string("string"));
	ac = jv_object_set(ac, jv_string("format"), jv_string(""));
	ac = jv_object_set(ac, jv_string("description"), jv_string("CreationTimestamp"));
	ac = jv_object_set(ac, jv_string("priority"), jv_number(0));
	cols = jv_array_append(cols, ac);
	jv rows = jv_array();
	jv_array_foreach(items, i, it) {
		jv row = jv_object();
		row = jv_object_set(row, jv_string("cells"), cells(res, it, now));
		/* includeObject=Metadata (kubectl's default): the object's metadata only */
		jv meta = jv_object();
		meta = jv_object_set(meta, jv_string("kind"), jv_string("PartialObjectMetadata"));
		meta = jv_object_set(meta, jv_string("apiVersion"), jv_string("meta.k8s.io/v1"));
		meta = jv_object_set(meta, jv_string("metadata"), jget(it, "metadata"));
		row = jv_object_set(row, jv_string("object"), meta);
		rows = jv_array_append(rows, row);
		jv_free(it);
	}
	jv_free(items);
	jv t = jv_object();
	t = jv_object_set(t, jv_string("kind"), jv_string("Table"));
	t = jv_object_set(t, jv_string("apiVersion"),
			  jv_string(strstr(accept, "v=v1beta1") && !strstr(accept, "v=v1;") ? "meta.k8s.io/v1beta1"
										    : "meta.k8s.io/v1"));
	jv m = jv_object();
	m = jv_object_set(m, jv_string("resourceVersion"), jv_string_fmt("%llu", (unsigned long long)k->rv));
	t = jv_object_set(t, jv_string("metadata"), m);
	t = jv_object_set(t, jv_string("columnDefinitions"), cols);
	t = jv_object_set(t, jv_string("rows"), rows);
	return t;
}

int sim_k8s_wants_table(struct kreq *r)
{
	const char *a = hdr(r, "accept");
	return a && strstr(a, "as=Table");
}

/* ------------------------------------------------------------------ discovery */

static jv resource_list(const char *group, const char *version)
{
	static const char *const verbs_rw[] = { "create", "delete", "deletecollection", "get", "list",
						"patch", "update", "watch", NULL };
	jv list = jv_array();
	for (int i = 0; i < R__N; i++) {
		if (strcmp(kres(i)->group, group))
			continue;
		jv r = jv_object();
		r = jv_object_set(r, jv_string("name"), jv_string(kres(i)->name));
		r = jv_object_set(r, jv_string("singularName"), jv_string(kres(i)->singular));
		r = jv_object_set(r, jv_string("namespaced"), jv_bool(kres(i)->namespaced));
		r = jv_object_set(r, jv_string("kind"), jv_string(kres(i)->kind));
		jv verbs = jv_array();
		for (const char *const *v = verbs_rw; *v; v++)
			verbs = jv_array_append(verbs, jv_string(*v));
		r = jv_object_set(r, jv_string("verbs"), verbs);
		if (kres(i)->shorts[0])
			r = jv_object_set(r, jv_string("shortNames"),
					  jv_array_append(jv_array(), jv_string(kres(i)->shorts)));
		if (kres(i)->all)
			r = jv_object_set(r, jv_string("categories"), jv_array_append(jv_array(), jv_string("all")));
		list = jv_array_append(list, r);
		if (kres(i)->scale) {
			jv s = jv_object();
			s = jv_object_set(s, jv_string("name"), jv_string_fmt("%s/scale", kres(i)->name));
			s = jv_object_set(s, jv_string("singularName"), jv_string(""));
			s = jv_object_set(s, jv_string("namespaced"), jv_true());
			s = jv_object_set(s, jv_string("group"), jv_string("autoscaling"));
			s = jv_object_set(s, jv_string("version"), jv_string("v1"));
			s = jv_object_set(s, jv_string("kind"), jv_string("Scale"));
			jv sv = jv_array();
			sv = jv_array_append(sv, jv_string("get"));
			sv = jv_array_append(sv, jv_string("patch"));
			sv = jv_array_append(sv, jv_string("update"));
			s = jv_object_set(s, jv_string("verbs"), sv);
			list = jv_array_append(list, s);
		}
		if (kres(i)->status) {
			jv s = jv_object();
			s = jv_object_set(s, jv_string("name"), jv_string_fmt("%s/status", kres(i)->name));
			s = jv_object_set(s, jv_string("singularName"), jv_string(""));
			s = jv_object_set(s, jv_string("namespaced"), jv_true());
			s = jv_object_set(s, jv_string("kind"), jv_string(kres(i)->kind));
			jv sv = jv_array();
			sv = jv_array_append(sv, jv_string("get"));
			s = jv_object_set(s, jv_string("verbs"), sv);
			list = jv_array_append(list, s);
		}
	}
	jv out = jv_object();
	out = jv_object_set(out, jv_string("kind"), jv_string("APIResourceList"));
	out = jv_object_set(out, jv_string("apiVersion"), jv_string("v1"));
	out = jv_object_set(out, jv_string("groupVersion"),
			    group[0] ? jv_string_fmt("%s/%s", group, version) : jv_string(version));
	out = jv_object_set(out, jv_string("resources"), list);
	return out;
}

int sim_k8s_discovery(struct k8s_sim *k, const char *path, struct kresp *o)
{
	int berr = 0;
	if (!strcmp(path, "/version") || !strcmp(path, "/version/")) {
		sim_k8s_reply(o, 200, jv_parse("{\"major\":\"1\",\"minor\":\"29\",\"gitVersion\":\"v1.29.0-runbook-sim\","
				       "\"gitCommit\":\"0000000000000000000000000000000000000000\","
				       "\"gitTreeState\":\"clean\",\"buildDate\":\"2026-01-01T00:00:00Z\","
				       "\"goVersion\":\"go1.21\",\"compiler\":\"gc\",\"platform\":\"linux/amd64\"}"));
		return 1;
	}
	if (!strcmp(path, "/healthz") || !strcmp(path, "/readyz") || !strcmp(path, "/livez")) {
		o->status = 200;
		o->ctype = "text/plain";
		berr |= buf_adds(&o->body, "ok");
		return 1;
	}
	BUF_NOCAP(berr);
	if (!strcmp(path, "/api") || !strcmp(path, "/api/")) {
		jv v = jv_object();
		v = jv_object_set(v, jv_string("kind"), jv_string("APIVersions"));
		v = jv_object_set(v, jv_string("versions"), jv_array_append(jv_array(), jv_string("v1")));
		jv cidr = jv_object();
		cidr = jv_object_set(cidr, jv_string("clientCIDR"), jv_string("0.0.0.0/0"));
		cidr = jv_object_set(cidr, jv_string("serverAddress"), jv_string(strchr(k->endpoint + 8, '/') ?
									       "127.0.0.1" : k->endpoint + 8));
		v = jv_object_set(v, jv_string("serverAddressByClientCIDRs"), jv_array_append(jv_array(), cidr));
		sim_k8s_reply(o, 200, v);
		return 1;
	}
	if (!strcmp(path, "/apis") || !strcmp(path, "/apis/")) {
		sim_k8s_reply(o, 200, jv_parse("{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[{\"name\":\"apps\","
				       "\"versions\":[{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}],"
				       "\"preferredVersion\":{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}}]}"));
		return 1;
	}
	if (!strcmp(path, "/api/v1") || !strcmp(path, "/api/v1/")) {
		sim_k8s_reply(o, 200, resource_list("", "v1"));
		return 1;
	}
	if (!strcmp(path, "/apis/apps") || !strcmp(path, "/apis/apps/")) {
		sim_k8s_reply(o, 200, jv_parse("{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"apps\","
				       "\"versions\":[{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}],"
				       "\"preferredVersion\":{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}}"));
		return 1;
	}
	if (!strcmp(path, "/apis/apps/v1") || !strcmp(path, "/apis/apps/v1/")) {
		sim_k8s_reply(o, 200, resource_list("apps", "v1"));
		return 1;
	}
	return 0;
}


jv sim_k8s_scale_obj(struct kobj *ko)
{
	int berr = 0;
	char b[256];
	jv s = jv_object();
	s = jv_object_set(s, jv_string("kind"), jv_string("Scale"));
	s = jv_object_set(s, jv_string("apiVersion"), jv_string("autoscaling/v1"));
	jv m = jv_object();
	static const char *const f[] = { "name", "namespace", "uid", "resourceVersion", "creationTimestamp", NULL };
	for (const char *const *p = f; *p; p++) {
		char path[64];
		snprintf(path, sizeof(path), "metadata.%s", *p);
		if (sget(ko->obj, path, b, sizeof(b)))
			m = jv_object_set(m, jv_string(*p), jv_string(b));
	}
	s = jv_object_set(s, jv_string("metadata"), m);
	s = jset(s, "spec.replicas", jv_number(iget(ko->obj, "spec.replicas", 1)));
	s = jset(s, "status.replicas", jv_number(iget(ko->obj, "status.replicas", 0)));
	struct buf sel = BUF_INIT(0);
	jv ml = jget(ko->obj, "spec.selector.matchLabels");
	if (jv_get_kind(ml) == JV_KIND_OBJECT) {
		jv_object_foreach(ml, key, v) {
			berr |= buf_addf(&sel, "%s%s=%s", sel.len ? "," : "", jv_string_value(key),
				 jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "");
			jv_free(key);
			jv_free(v);
		}
	}
	BUF_NOCAP(berr);
	jv_free(ml);
	s = jset(s, "status.selector", jv_string(buf_str(&sel)));
	buf_release(&sel);
	return s;
}

/* the end of every write: store obj (consumed), bring statuses up to now, answer with
 * the object as served */

/* OpenAPI v3, only as much as kubectl reads: the root lists the group versions; each
 * group version's document has the PATCH operations with their GVK and the
 * fieldValidation parameter, which tells kubectl to let the server validate (so it needs
 * no schemas). */
void sim_k8s_openapi_v3(struct k8s_sim *k, const char *rest, struct kresp *o)
{
	(void)k;
	if (!*rest || !strcmp(rest, "/")) {
		sim_k8s_reply(o, 200, jv_parse("{\"paths\":{\"api/v1\":{\"serverRelativeURL\":\"/openapi/v3/api/v1?hash=SIM1\"},"
				       "\"apis/apps/v1\":{\"serverRelativeURL\":\"/openapi/v3/apis/apps/v1?hash=SIM1\"}}}"));
		return;
	}
	const char *group = !strcmp(rest, "/api/v1") ? "" : !strcmp(rest, "/apis/apps/v1") ? "apps" : NULL;
	if (!group) {
		sim_k8s_fail(o, 404, "NotFound", NULL, jv_invalid(), "the server could not find the requested resource");
		return;
	}
	jv paths = jv_object();
	for (int i = 0; i < R__N; i++) {
		if (strcmp(kres(i)->group, group))
			continue;
		jv gvk = jv_object();
		gvk = jv_object_set(gvk, jv_string("group"), jv_string(group));
		gvk = jv_object_set(gvk, jv_string("version"), jv_string("v1"));
		gvk = jv_object_set(gvk, jv_string("kind"), jv_string(kres(i)->kind));
		jv params = jv_array();
		static const char *const qp[] = { "dryRun", "fieldManager", "fieldValidation", "force", NULL };
		for (const char *const *p = qp; *p; p++) {
			jv pm = jv_object();
			pm = jv_object_set(pm, jv_string("name"), jv_string(*p));
			pm = jv_object_set(pm, jv_string("in"), jv_string("query"));
			pm = jv_object_set(pm, jv_string("schema"), jv_parse("{\"type\":\"string\"}"));
			params = jv_array_append(params, pm);
		}
		jv op = jv_object();
		op = jv_object_set(op, jv_string("operationId"), jv_string_fmt("patch%s", kres(i)->kind));
		op = jv_object_set(op, jv_string("parameters"), params);
		op = jv_object_set(op, jv_string("x-kubernetes-group-version-kind"), gvk);
		op = jv_object_set(op, jv_string("responses"), jv_parse("{\"200\":{\"description\":\"OK\"}}"));
		jv item = jv_object_set(jv_object(), jv_string("patch"), op);
		const char *prefix = group[0] ? "/apis/apps/v1" : "/api/v1";
		jv key = kres(i)->namespaced
			? jv_string_fmt("%s/namespaces/{namespace}/%s/{name}", prefix, kres(i)->name)
			: jv_string_fmt("%s/%s/{name}", prefix, kres(i)->name);
		paths = jv_object_set(paths, key, item);
	}
	jv doc = jv_object();
	doc = jv_object_set(doc, jv_string("openapi"), jv_string("3.0.0"));
	doc = jv_object_set(doc, jv_string("info"), jv_parse("{\"title\":\"Kubernetes\",\"version\":\"v1.29.0\"}"));
	doc = jv_object_set(doc, jv_string("paths"), paths);
	doc = jv_object_set(doc, jv_string("components"), jv_parse("{\"schemas\":{}}"));
	sim_k8s_reply(o, 200, doc);
}

/* /openapi/v2: kubectl's client-side validation reads it (a `kind: List`, as `kubectl get
 * -o yaml` writes, is validated item by item against it). A document with no
 * definitions: kubectl skips the schema check of a kind it does not find there, and the
 * server still checks every field (fieldValidation). Protobuf when asked, as kubectl does. */
void sim_k8s_openapi_v2(struct k8s_sim *k, struct kreq *r, struct kresp *o)
{
	(void)k;
	const char *accept = hdr(r, "accept");
	if (accept && strstr(accept, "protobuf")) {
		/* openapi_v2.Document{swagger: "2.0", info: {title: "Kubernetes", version: "v1.29.0"}} */
		static const char doc[] = "\x0a\x03" "2.0" "\x12\x15" "\x0a\x0a" "Kubernetes" "\x12\x07" "v1.29.0";
		o->status = 200;
		o->ctype = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
		if (buf_add(&o->body, doc, sizeof(doc) - 1) < 0)
			sim_k8s_fail(o, 500, "InternalError", NULL, jv_invalid(), "out of memory");
		return;
	}
	sim_k8s_reply(o, 200, jv_parse("{\"swagger\":\"2.0\",\"info\":{\"title\":\"Kubernetes\",\"version\":\"v1.29.0\"},"
				       "\"paths\":{},\"definitions\":{}}"));
}
