/* k8s_api.c — the simulated Kubernetes API's requests: authentication, the routes
 * (resource paths and verbs, as tables), and what each verb does to the store: create,
 * get, list, replace, patch (merge, JSON, strategic, server-side apply with conflicts),
 * delete with what goes with it, the scale subresource, dryRun=All.
 */
#include <ctype.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/rand.h>
#include "k8s_int.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/jvx.h"

/* ------------------------------------------------------------------ writes */

static const char *manager_of(struct kreq *r, char *buf, size_t size)
{
	const char *fm = qarg(r, "fieldManager");
	if (fm && *fm)
		return fm;
	const char *ua = hdr(r, "user-agent");
	size_t n = ua ? strcspn(ua, "/ ") : 0;
	snprintf(buf, size, "%.*s", (int)(n ? n : 7), n ? ua : "unknown");
	return buf;
}

/* what the API server does to every object written: its kind's defaults and derived
 * fields. Returns 0, or -1 with o filled (invalid object). */
static int normalize(struct k8s_sim *k, int res, jv *obj, struct kreq *r, struct kresp *o)
{
	return kres(res)->normalize ? kres(res)->normalize(k, res, obj, r, o) : 0;
}

int sim_k8s_namespace_exists(struct k8s_sim *k, const char *ns)
{
	return sim_k8s_find(k, R_NAMESPACE, NULL, ns) != 0;
}

/* metadata.name as the API server takes it: a lowercase RFC 1123 subdomain */
static int name_ok(jv obj)
{
	jv n = jget(obj, "metadata.name");
	int ok = jv_get_kind(n) == JV_KIND_STRING;
	const char *s = ok ? jv_string_value(n) : "";
	size_t len = ok ? (size_t)jv_string_length_bytes(jv_copy(n)) : 0;
	ok = ok && len >= 1 && len <= 253 && strlen(s) == len && isalnum((unsigned char)s[0]) &&
	     isalnum((unsigned char)s[len - 1]);
	for (size_t i = 0; ok && i < len; i++)
		ok = (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' || s[i] == '.');
	jv_free(n);
	return ok;
}

/* create obj (consumed) in r->ns; the new object's handle, or 0 with o filled */
kh sim_k8s_create(struct k8s_sim *k, struct kreq *r, jv obj, struct kresp *o, const char *manager)
{
	char name[256], q[64], b[256];
	int res = r->res;
	if (jv_get_kind(obj) != JV_KIND_OBJECT) {
		jv_free(obj);
		sim_k8s_fail(o, 400, "BadRequest", r, jv_invalid(), "the body is not a JSON object");
		return 0;
	}
	const char *kind = sget(obj, "kind", b, sizeof(b));
	if (kind && strcmp(kind, kres(res)->kind)) {
		sim_k8s_fail(o, 400, "BadRequest", r, jv_invalid(), "the kind '%s' does not belong to %s", kind,
		     sim_k8s_qual(res, q, sizeof(q)));
		jv_free(obj);
		return 0;
	}
	if (!sget(obj, "metadata.name", name, sizeof(name))) {
		const char *gen = sget(obj, "metadata.generateName", b, sizeof(b));
		if (!gen) {
			jv_free(obj);
			sim_k8s_fail(o, 422, "Invalid", r, jv_invalid(), "%s \"\" is invalid: metadata.name: Required value: "
			     "name or generateName is required", kres(res)->kind);
			return 0;
		}
		unsigned char rnd[5];
		RAND_bytes(rnd, sizeof(rnd));
		snprintf(name, sizeof(name), "%.200s%c%c%c%c%c", gen, 'a' + rnd[0] % 26, '0' + rnd[1] % 10,
			 'a' + rnd[2] % 26, 'a' + rnd[3] % 26, '0' + rnd[4] % 10);
		obj = jset(obj, "metadata.name", jv_string(name));
	}
	if (!name_ok(obj)) {
		jv_free(obj);
		sim_k8s_fail(o, 422, "Invalid", r, jv_invalid(), "%s \"%s\" is invalid: metadata.name: Invalid value: a lowercase "
		     "RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
		     "and end with an alphanumeric character", kres(res)->kind, name);
		return 0;
	}
	if (kres(res)->namespaced) {
		const char *ons = sget(obj, "metadata.namespace", b, sizeof(b));
		if (ons && r->ns && strcmp(ons, r->ns)) {
			jv_free(obj);
			sim_k8s_fail(o, 400, "BadRequest", r, jv_invalid(), "the namespace of the provided object does not "
			     "match the namespace sent on the request");
			return 0;
		}
		if (!r->ns) {
			jv_free(obj);
			sim_k8s_fail(o, 400, "BadRequest", r, jv_invalid(), "a namespace is needed to create %s",
			     sim_k8s_qual(res, q, sizeof(q)));
			return 0;
		}
		if (!sim_k8s_namespace_exists(k, r->ns)) {
			jv_free(obj);
			sim_k8s_fail(o, 404, "NotFound", r, jv_invalid(), "namespaces \"%s\" not found", r->ns);
			return 0;
		}
		obj = jset(obj, "metadata.namespace", jv_string(r->ns));
	}
	if (sim_k8s_find(k, res, r->ns, name)) {
		jv_free(obj);
		sim_k8s_fail(o, 409, "AlreadyExists", r, jv_invalid(), "%s \"%s\" already exists", sim_k8s_qual(res, q, sizeof(q)), name);
		return 0;
	}
	const char *saved = r->name;
	r->name = name;
	if (normalize(k, res, &obj, r, o) < 0) {
		r->name = saved;
		jv_free(obj);
		return 0;
	}
	r->name = saved;
	obj = jv_object_set(obj, jv_string("apiVersion"), jv_string(sim_k8s_api_version(res)));
	obj = jv_object_set(obj, jv_string("kind"), jv_string(kres(res)->kind));
	obj = jv_object_delete(obj, jv_string("status"));
	jv meta = jget(obj, "metadata");
	meta = jv_object_delete(meta, jv_string("managedFields"));
	meta = jv_object_delete(meta, jv_string("resourceVersion"));
	obj = jv_object_set(obj, jv_string("metadata"), meta);
	sim_k8s_new_meta(k, &obj, r->now);
	kh id = sim_k8s_add(k, res, obj);
	struct kobj *no = sim_k8s_at(k, id);
	if (kres(res)->written)
		kres(res)->written(k, no, jv_invalid(), r->now);
	jv none = jv_object();
	sim_k8s_own_changed(no, none, manager);
	jv_free(none);
	sim_k8s_touch(k, no, 0);
	return id;
}

/* replace o's object with nobj (consumed) after a write; workloads roll */
static void store(struct k8s_sim *k, struct kobj *ko, jv nobj, const char *manager, int64_t now)
{
	jv old = ko->obj;
	/* the server owns these */
	jv meta = jget(old, "metadata");
	jv nmeta = jget(nobj, "metadata");
	if (jv_get_kind(nmeta) != JV_KIND_OBJECT) {
		jv_free(nmeta);
		nmeta = jv_object();
	}
	static const char *const kept[] = { "uid", "creationTimestamp", "resourceVersion", "generation",
					    "name", "namespace", NULL };
	for (const char *const *f = kept; *f; f++) {
		jv v = jv_object_get(jv_copy(meta), jv_string(*f));
		nmeta = jv_is_valid(v) ? jv_object_set(nmeta, jv_string(*f), v)
				       : (jv_free(v), jv_object_delete(nmeta, jv_string(*f)));
	}
	nmeta = jv_object_delete(nmeta, jv_string("managedFields"));
	jv_free(meta);
	nobj = jv_object_set(nobj, jv_string("metadata"), nmeta);
	jv st = jget(old, "status");
	if (jv_get_kind(st) == JV_KIND_NULL)
		nobj = (jv_free(st), jv_object_delete(nobj, jv_string("status")));
	else
		nobj = jv_object_set(nobj, jv_string("status"), st);
	ko->obj = nobj;
	if (kres(ko->res)->written)
		kres(ko->res)->written(k, ko, old, now);
	sim_k8s_own_changed(ko, old, manager);
	if (!jv_equal(jv_copy(old), jv_copy(ko->obj)))
		sim_k8s_touch(k, ko, 1);
	jv_free(old);
}

static void write_reply(struct k8s_sim *k, struct kreq *r, struct kresp *o, kh id, jv obj,
			const char *manager)
{
	store(k, sim_k8s_at(k, id), obj, manager, r->now);
	sim_k8s_tick(k, r->now);                /* adds pods: pointers are stale after it */
	sim_k8s_reply(o, 200, sim_k8s_served(k, sim_k8s_at(k, id), r->now));
}

/* the end of a write through the scale subresource (nothing stored in a dry run) */
static void scale_reply(struct k8s_sim *k, struct kreq *r, struct kresp *o, kh id, int replicas,
			const char *manager)
{
	struct kobj *ko = sim_k8s_at(k, id);
	if (!r->dry_run)
		store(k, ko, jset(jv_copy(ko->obj), "spec.replicas", jv_number(replicas)), manager, r->now);
	sim_k8s_tick(k, r->now);                /* adds pods: ko is stale after it */
	sim_k8s_reply(o, 200, sim_k8s_scale_obj(sim_k8s_at(k, id)));
}

static jv parse_body(struct kreq *r)
{
	if (!r->body_len)
		return jv_invalid_with_msg(jv_string("the request has no body"));
	return jvx_parse_sized(r->body, r->body_len);
}

/* ObjectMeta's labels and annotations are omitempty: a patch that removes their last key
 * leaves no empty map behind, as on a real API server (consumes and returns obj) */
static jv drop_empty_meta(jv obj)
{
	static const char *const paths[][4] = {
		{"metadata", "annotations"}, {"metadata", "labels"},
		{"spec", "template", "metadata", "annotations"}, {"spec", "template", "metadata", "labels"},
	};
	if (!jv_is_valid(obj))
		return obj;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		jv path = jv_array();
		for (int j = 0; j < 4 && paths[i][j]; j++)
			path = jv_array_append(path, jv_string(paths[i][j]));
		jv v = jv_getpath(jv_copy(obj), jv_copy(path));
		if (jv_get_kind(v) == JV_KIND_OBJECT && jv_object_length(jv_copy(v)) == 0)
			obj = jv_delpaths(obj, jv_array_append(jv_array(), jv_copy(path)));
		jv_free(v);
		jv_free(path);
	}
	return obj;
}

/* apply a patch of the request's content type to `target` (consumed) */
static jv patch_by_type(struct kreq *r, jv target, jv patch, int *apply)
{
	const char *ct = hdr(r, "content-type");
	*apply = 0;
	if (!ct)
		ct = "application/merge-patch+json";
	if (!strncmp(ct, "application/json-patch+json", 27))
		return drop_empty_meta(sim_k8s_json_patch(target, patch));
	if (!strncmp(ct, "application/merge-patch+json", 28))
		return drop_empty_meta(sim_k8s_merge_patch(target, patch));
	if (!strncmp(ct, "application/strategic-merge-patch+json", 38))
		return drop_empty_meta(sim_k8s_strategic_patch(target, patch));
	if (!strncmp(ct, "application/apply-patch+yaml", 28) || !strncmp(ct, "application/apply-patch+json", 28)) {
		*apply = 1;
		return sim_k8s_strategic_patch(target, patch);
	}
	jv_free(target);
	jv_free(patch);
	return jv_invalid_with_msg(jv_string_fmt("unsupported patch type '%s'", ct));
}

static void do_patch(struct k8s_sim *k, struct kreq *r, struct kresp *o)
{
	int berr = 0;
	char q[64], mb[64];
	const char *manager = manager_of(r, mb, sizeof(mb));
	jv patch = parse_body(r);
	if (!jv_is_valid(patch)) {
		jv msg = jv_invalid_get_msg(patch);
		sim_k8s_fail(o, 400, "BadRequest", r, jv_invalid(), "the patch is not JSON: %s",
		     jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "empty body");
		jv_free(msg);
		BUF_NOCAP(berr);
		return;
	}
	kh id = sim_k8s_find(k, r->res, r->ns, r->name);
	struct kobj *ko = sim_k8s_at(k, id);
	const char *ct = hdr(r, "content-type");
	int is_apply = ct && !strncmp(ct, "application/apply-patch", 23);
	if (!ko && is_apply && !r->sub) {
		if (!qarg(r, "fieldManager")) {
			jv_free(patch);
			sim_k8s_fail(o, 422, "Invalid", r, jv_invalid(), "PatchOptions.meta.k8s.io \"\" is invalid: "
			     "fieldManager: Required value: is required for apply patch");
			BUF_NOCAP(berr);
			return;
		}
		if (r->dry_run) {
			jv obj = jset(patch, "metadata.namespace", jv_string(r->ns ? r->ns : ""));
			sim_k8s_reply(o, 201, obj);
			BUF_NOCAP(berr);
			return;
		}
		kh nid = sim_k8s_create(k, r, patch, o, manager);
		if (nid) {
			sim_k8s_tick(k, r->now);
			sim_k8s_reply(o, 201, sim_k8s_served(k, sim_k8s_at(k, nid), r->now));
		}
		BUF_NOCAP(berr);
		return;
	}
	if (!ko) {
		jv_free(patch);
		sim_k8s_not_found(o, r, r->res, r->name);
		BUF_NOCAP(berr);
		return;
	}
	if (r->sub && !strcmp(r->sub, "scale")) {
		if (!kres(r->res)->scale) {
			jv_free(patch);
			sim_k8s_fail(o, 404, "NotFound", r, jv_invalid(), "%s has no scale subresource", sim_k8s_qual(r->res, q, sizeof(q)));
			BUF_NOCAP(berr);
			return;
		}
		int ap;
		jv s = patch_by_type(r, sim_k8s_scale_obj(ko), patch, &ap);
		jv rep = jv_is_valid(s) ? jget(s, "spec.replicas") : jv_null();
		if (!jv_is_valid(s) || !sim_k8s_replicas_ok(jv_copy(rep))) {
			jv_free(rep);
			jv_free(s);
			sim_k8s_fail(o, 422, "Invalid", r, jv_invalid(), "Scale.autoscaling \"%s\" is invalid: spec.replicas: "
			     "Invalid value: must be an integer from 0 to %d", r->name, REPLICAS_MAX);
			BUF_NOCAP(berr);
			return;
		}
		int want = (int)jv_number_value(rep);
		jv_free(rep);
		jv_free(s);
		scale_reply(k, r, o, id, want, manager);
		BUF_NOCAP(berr);
		return;
	}
	int ap = 0;
	jv cur = jv_copy(ko->obj);
	cur = jv_object_delete(cur, jv_string("status"));
	if (is_apply) {
		/* conflicts: fields another manager owns and this apply would change */
		const char *force = qarg(r, "force");
		if (!qarg(r, "fieldManager")) {
			jv_free(cur);
			jv_free(patch);
			sim_k8s_fail(o, 422, "Invalid", r, jv_invalid(), "PatchOptions.meta.k8s.io \"\" is invalid: "
			     "fieldManager: Required value: is required for apply patch");
			BUF_NOCAP(berr);
			return;
		}
		if (!force || strcmp(force, "true")) {
			jv conflicts = sim_k8s_apply_conflicts(ko, patch, manager);
			int nc = jv_array_length(jv_copy(conflicts));
			if (nc > 0) {
				struct buf m = BUF_INIT(0);
				berr |= buf_addf(&m, "Apply failed with %d conflict%s:", nc, nc == 1 ? "" : "s");
				jv_array_foreach(conflicts, i, c) {
					berr |= buf_addf(&m, " %s using %s: %s", jvx_str(c, "message"), sim_k8s_api_version(ko->res),
						 jvx_str(c, "field"));
					jv_free(c);
				}
				sim_k8s_fail(o, 409, "Conflict", r, conflicts, "%s", buf_str(&m));
				buf_release(&m);
				jv_free(cur);
				jv_free(patch);
				BUF_NOCAP(berr);
				return;
			}
			jv_free(conflicts);
		}
		/* the applier now owns every field it set */
		if (!r->dry_run)
			sim_k8s_own_applied(ko, patch, manager);
	}
	jv next = patch_by_type(r, cur, patch, &ap);
	if (!jv_is_valid(next)) {
		jv msg = jv_invalid_get_msg(next);
		sim_k8s_fail(o, 422, "Invalid", r, jv_invalid(), "the patch cannot be applied: %s",
		     jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "invalid patch");
		jv_free(msg);
		BUF_NOCAP(berr);
		return;
	}
	if (normalize(k, r->res, &next, r, o) < 0) {
		jv_free(next);
		BUF_NOCAP(berr);
		return;
	}
	if (r->dry_run) {
		sim_k8s_reply(o, 200, next);
		BUF_NOCAP(berr);
		return;
	}
	write_reply(k, r, o, id, next, manager);
	BUF_NOCAP(berr);
}

static void do_replace(struct k8s_sim *k, struct kreq *r, struct kresp *o)
{
	char q[64], mb[64], b[64], cur_rv[64];
	const char *manager = manager_of(r, mb, sizeof(mb));
	jv obj = parse_body(r);
	kh id = sim_k8s_find(k, r->res, r->ns, r->name);
	struct kobj *ko = sim_k8s_at(k, id);
	if (!jv_is_valid(obj) || jv_get_kind(obj) != JV_KIND_OBJECT) {
		jv_free(obj);
		sim_k8s_fail(o, 400, "BadRequest", r, jv_invalid(), "the body is not a JSON object");
		return;
	}
	if (!ko) {
		jv_free(obj);
		sim_k8s_not_found(o, r, r->res, r->name);
		return;
	}
	const char *rv = r->sub && !strcmp(r->sub, "scale") ? NULL : sget(obj, "metadata.resourceVersion", b, sizeof(b));
	sget(ko->obj, "metadata.resourceVersion", cur_rv, sizeof(cur_rv));
	if (rv && strcmp(rv, cur_rv)) {
		jv_free(obj);
		sim_k8s_fail(o, 409, "Conflict", r, jv_invalid(), "Operation cannot be fulfilled on %s \"%s\": the object "
		     "has been modified; please apply your changes to the latest version and try again",
		     sim_k8s_qual(r->res, q, sizeof(q)), r->name);
		return;
	}
	if (r->sub && !strcmp(r->sub, "scale")) {
		jv rv2 = jget(obj, "spec.replicas");
		int ok = sim_k8s_replicas_ok(jv_copy(rv2));
		int rep = ok ? (int)jv_number_value(rv2) : -1;
		jv_free(rv2);
		jv_free(obj);
		if (!ok) {
			sim_k8s_fail(o, 422, "Invalid", r, jv_invalid(), "Scale.autoscaling \"%s\" is invalid: spec.replicas: "
			     "Invalid value: must be an integer from 0 to %d", r->name, REPLICAS_MAX);
			return;
		}
		scale_reply(k, r, o, id, rep, manager);
		return;
	}
	if (normalize(k, r->res, &obj, r, o) < 0) {
		jv_free(obj);
		return;
	}
	if (r->dry_run) {
		sim_k8s_reply(o, 200, obj);
		return;
	}
	write_reply(k, r, o, id, obj, manager);
}

static void do_delete(struct k8s_sim *k, struct kreq *r, struct kresp *o)
{
	kh id = sim_k8s_find(k, r->res, r->ns, r->name);
	struct kobj *ko = sim_k8s_at(k, id);
	if (!ko) {
		sim_k8s_not_found(o, r, r->res, r->name);
		return;
	}
	jv last = sim_k8s_served(k, ko, r->now);
	const struct k8s_res *res = kres(ko->res);
	ko = NULL;
	if (!r->dry_run) {
		/* what goes with it first (deleting leaves the other objects where they are) */
		for (kh h = sim_k8s_first(k), next; h; h = next) {
			next = sim_k8s_next(k, h);
			if (h != id && res->owns && res->owns(k, sim_k8s_at(k, id), sim_k8s_at(k, h)))
				sim_k8s_del(k, h);
		}
		sim_k8s_del(k, id);
	}
	sim_k8s_deleted(o, r, jget(last, "metadata.uid"));
	jv_free(last);
}

static void do_list(struct k8s_sim *k, struct kreq *r, struct kresp *o)
{
	jv items = jv_array();
	for (kh h = sim_k8s_first(k); h; h = sim_k8s_next(k, h)) {
		struct kobj *ko = sim_k8s_at(k, h);
		if (ko->res == r->res && sim_k8s_selected(r, ko->obj))
			items = jv_array_append(items, sim_k8s_served(k, ko, r->now));
	}
	if (sim_k8s_wants_table(r)) {
		sim_k8s_reply(o, 200, sim_k8s_table(k, r->res, items, r->now, hdr(r, "accept")));
		return;
	}
	sim_k8s_reply(o, 200, sim_k8s_list(k, r->res, items));
}

static void do_get(struct k8s_sim *k, struct kreq *r, struct kresp *o)
{
	struct kobj *ko = sim_k8s_at(k, sim_k8s_find(k, r->res, r->ns, r->name));
	if (!ko) {
		sim_k8s_not_found(o, r, r->res, r->name);
		return;
	}
	if (r->sub && !strcmp(r->sub, "scale")) {
		if (!kres(r->res)->scale) {
			sim_k8s_not_found(o, r, r->res, r->name);
			return;
		}
		sim_k8s_reply(o, 200, sim_k8s_scale_obj(ko));
		return;
	}
	if (sim_k8s_wants_table(r)) {
		sim_k8s_reply(o, 200, sim_k8s_table(k, r->res, jv_array_append(jv_array(), sim_k8s_served(k, ko, r->now)), r->now,
				    hdr(r, "accept")));
		return;
	}
	sim_k8s_reply(o, 200, sim_k8s_served(k, ko, r->now));
}


static void do_create(struct k8s_sim *k, struct kreq *r, struct kresp *o)
{
	char mb[64];
	jv obj = parse_body(r);
	if (!jv_is_valid(obj)) {
		jv_free(obj);
		sim_k8s_fail(o, 400, "BadRequest", r, jv_invalid(), "the body is not JSON");
	} else if (r->dry_run) {
		sim_k8s_reply(o, 201, obj);
	} else {
		kh id = sim_k8s_create(k, r, obj, o, manager_of(r, mb, sizeof(mb)));
		if (id) {
			sim_k8s_tick(k, r->now);
			sim_k8s_reply(o, 201, sim_k8s_served(k, sim_k8s_at(k, id), r->now));
		}
	}
}

/* ------------------------------------------------------------------ routes */

/* The paths of resources, after the group's prefix, first match wins: literal
 * segments, {ns} {res} {name} {sub} bound in the request, and a final "**" for any
 * more segments (ignored). res: the resource when no {res} names it. */
static const struct path_route {
	const char *prefix;      /* NULL: both groups */
	const char *pattern;
	const char *res;
} path_routes[] = {
	{ "/api/v1/", "namespaces", "namespaces" },
	{ "/api/v1/", "namespaces/{name}", "namespaces" },
	{ "/api/v1/", "namespaces/{name}/status/**", "namespaces" },
	{ "/api/v1/", "namespaces/{name}/finalize/**", "namespaces" },
	{ NULL, "namespaces/{ns}/{res}", NULL },
	{ NULL, "namespaces/{ns}/{res}/{name}", NULL },
	{ NULL, "namespaces/{ns}/{res}/{name}/{sub}/**", NULL },
	{ NULL, "{res}", NULL },
	{ NULL, "{res}/{name}", NULL },
	{ NULL, "{res}/{name}/{sub}/**", NULL },
};

static const struct group_route {
	const char *prefix;
	const char *group;
} group_routes[] = {
	{ "/api/v1/", "" },
	{ "/apis/apps/v1/", "apps" },
};

/* a method on a collection or a named object -> its handler */
static const struct verb_route {
	const char *method;
	int named;               /* the path names an object */
	int watch;               /* ?watch=true: 1 wanted, 0 not, -1 either */
	void (*fn)(struct k8s_sim *k, struct kreq *r, struct kresp *o);
} verb_routes[] = {
	{ "GET", 0, 1, sim_k8s_watch_start },
	{ "GET", 0, 0, do_list },
	{ "GET", 1, -1, do_get },
	{ "POST", 0, -1, do_create },
	{ "PUT", 1, -1, do_replace },
	{ "PATCH", 1, -1, do_patch },
	{ "DELETE", 1, -1, do_delete },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define SEGS_MAX 8

static int seg_is(const char *p, size_t len, const char *lit)
{
	return strlen(lit) == len && !strncmp(p, lit, len);
}

/* segs against a pattern: 1 and the bindings in r (and *res) when it matches */
static int path_match(const char *pattern, char **seg, int n, struct kreq *r, const char **res)
{
	const char *p = pattern;
	const char *ns = NULL, *name = NULL, *sub = NULL, *rs = NULL;
	int i = 0;
	while (*p) {
		size_t len = strcspn(p, "/");
		if (seg_is(p, len, "**")) {
			i = n;
			break;
		}
		if (i >= n)
			return 0;
		if (seg_is(p, len, "{ns}"))
			ns = seg[i];
		else if (seg_is(p, len, "{res}"))
			rs = seg[i];
		else if (seg_is(p, len, "{name}"))
			name = seg[i];
		else if (seg_is(p, len, "{sub}"))
			sub = seg[i];
		else if (strlen(seg[i]) != len || strncmp(seg[i], p, len))
			return 0;
		i++;
		p += len + (p[len] == '/');
	}
	if (i != n)
		return 0;
	r->ns = ns;
	r->name = name;
	r->sub = sub;
	if (rs)
		*res = rs;
	return 1;
}

/* r's resource, namespace, name and subresource from path (cut in place); 0, or -1
 * with o filled when it names no resource of ours */
static int route(struct kreq *r, char *path, struct kresp *o)
{
	const struct group_route *g = NULL;
	for (size_t i = 0; i < NELEM(group_routes) && !g; i++)
		if (!strncmp(path, group_routes[i].prefix, strlen(group_routes[i].prefix)))
			g = &group_routes[i];
	r->ns = r->name = r->sub = NULL;
	r->res = -1;
	if (!g) {
		sim_k8s_fail(o, 404, "NotFound", NULL, jv_invalid(), "the server could not find the requested resource");
		return -1;
	}
	char *seg[SEGS_MAX];
	int n = 0;
	for (char *save = NULL, *p = strtok_r(path + strlen(g->prefix), "/", &save); p && n < SEGS_MAX;
	     p = strtok_r(NULL, "/", &save))
		seg[n++] = p;
	const char *res = NULL;
	for (size_t i = 0; i < NELEM(path_routes); i++) {
		const struct path_route *pr = &path_routes[i];
		if (pr->prefix && strcmp(pr->prefix, g->prefix))
			continue;
		res = pr->res;
		if (path_match(pr->pattern, seg, n, r, &res))
			break;
		res = NULL;
	}
	for (int i = 0; res && i < R__N; i++)
		if (!strcmp(kres(i)->name, res) && !strcmp(kres(i)->group, g->group))
			r->res = i;
	if (r->res < 0) {
		sim_k8s_fail(o, 404, "NotFound", NULL, jv_invalid(), "the server could not find the requested resource");
		return -1;
	}
	if (r->sub && strcmp(r->sub, "scale") && strcmp(r->sub, "status") &&
	    !(r->res == R_POD && (!strcmp(r->sub, "log") || !strcmp(r->sub, "attach") || !strcmp(r->sub, "exec")))) {
		sim_k8s_fail(o, 404, "NotFound", r, jv_invalid(), "the server could not find the requested resource");
		return -1;
	}
	return 0;
}

static int is_mutating(const char *m)
{
	return strcmp(m, "GET") && strcmp(m, "HEAD");
}

static void count_mutation(struct k8s_sim *k, struct kreq *r)
{
	char key[96];
	snprintf(key, sizeof(key), "%s %s", r->method, kres(r->res)->kind);
	jv c = jv_object_get(jv_copy(k->c_mutating), jv_string(key));
	int n = jv_is_valid(c) ? (int)jv_number_value(c) : 0;
	jv_free(c);
	k->c_mutating = jv_object_set(k->c_mutating, jv_string(key), jv_number(n + 1));
}

static void handle(struct k8s_sim *k, struct kreq *r, const char *url, struct kresp *o)
{
	char *path = xstrdup(url);
	if (sim_k8s_discovery(k, path, o))
		goto out;
	if (!strncmp(path, "/openapi/v3", 11)) {
		sim_k8s_openapi_v3(k, path + 11, o);
		goto out;
	}
	if (!strcmp(path, "/openapi/v2")) {
		sim_k8s_openapi_v2(k, r, o);
		goto out;
	}
	if (!strncmp(path, "/openapi/", 9)) {
		sim_k8s_fail(o, 404, "NotFound", NULL, jv_invalid(), "the server could not find the requested resource");
		goto out;
	}
	if (route(r, path, o) < 0)
		goto out;
	const char *dr = qarg(r, "dryRun");
	r->dry_run = dr && !strcmp(dr, "All");
	if (dr && strcmp(dr, "All")) {
		sim_k8s_fail(o, 400, "BadRequest", r, jv_invalid(), "invalid dry run value '%s' (only All)", dr);
		goto out;
	}
	/* every request sees the world as of now */
	sim_k8s_tick(k, r->now);
	if (r->res == R_POD && r->sub && strcmp(r->sub, "status") && r->name) {
		sim_k8s_pod_sub(k, r, o);   /* log, attach, exec */
		goto out;
	}
	const char *w = qarg(r, "watch");
	int watching = w && (!strcmp(w, "true") || !strcmp(w, "1"));
	const struct verb_route *v = NULL;
	for (size_t i = 0; i < NELEM(verb_routes) && !v; i++)
		if (!strcmp(verb_routes[i].method, r->method) && verb_routes[i].named == (r->name != NULL) &&
		    (verb_routes[i].watch < 0 || verb_routes[i].watch == watching))
			v = &verb_routes[i];
	if (v)
		v->fn(k, r, o);
	else
		sim_k8s_fail(o, 405, "MethodNotAllowed", r, jv_invalid(), "the server does not allow this method on the "
			     "requested resource");
	if (is_mutating(r->method) && o->status < 300 && !r->dry_run)
		count_mutation(k, r);
out:
	free(path);
}

/* who is calling: a bearer token or a client certificate from our CA */
static int authenticate(struct k8s_sim *k, struct MHD_Connection *c, struct kreq *r, struct kresp *o)
{
	const char *auth = hdr(r, "authorization");
	if (auth && !strncasecmp(auth, "Bearer ", 7)) {
		jv who = jv_object_get(jv_copy(k->tokens), jv_string(auth + 7));
		int ok = jv_is_valid(who) && !jvx_bool(who, "expired", 0);
		int expired = jv_is_valid(who) && jvx_bool(who, "expired", 0);
		jv_free(who);
		if (ok)
			return 0;
		sim_k8s_fail(o, 401, "Unauthorized", NULL, jv_invalid(), expired ? "Unauthorized: the token has expired"
									 : "Unauthorized");
		return -1;
	}
	if (k->tls && c) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ci && ci->tls_session) {
			unsigned int n = 0;
			const gnutls_datum_t *certs = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
			if (certs && n > 0) {
				char *cn = sim_k8s_pki_verify_client(k->pki.ca_cert, certs[0].data, certs[0].size);
				if (cn) {
					free(cn);
					return 0;
				}
			}
		}
	}
	sim_k8s_fail(o, 401, "Unauthorized", NULL, jv_invalid(), "Unauthorized");
	return -1;
}

/* one request, however it arrived (c: its connection, NULL without HTTP): r's method,
 * query, headers and body set (body NUL-terminated); o filled */
void sim_k8s_run_request(struct k8s_sim *k, struct MHD_Connection *c, struct kreq *r, const char *url,
			struct kresp *o, int too_big)
{
	r->k = k;
	r->res = -1;
	buf_init(&o->body, 0);
	int open = !strcmp(url, "/version") || !strcmp(url, "/healthz") || !strcmp(url, "/readyz") ||
		   !strcmp(url, "/livez");
	pthread_mutex_lock(&k->lock);
	r->now = clock_now(k->clock);
	{
		char key[16];
		snprintf(key, sizeof(key), "%s", r->method);
		jv cnt = jv_object_get(jv_copy(k->c_requests), jv_string(key));
		int n = jv_is_valid(cnt) ? (int)jv_number_value(cnt) : 0;
		jv_free(cnt);
		k->c_requests = jv_object_set(k->c_requests, jv_string(key), jv_number(n + 1));
	}
	if (too_big)
		sim_k8s_fail(o, 413, "RequestEntityTooLarge", NULL, jv_invalid(), "the request body is too large");
	else if (open || authenticate(k, c, r, o) == 0)
		handle(k, r, url, o);
	pthread_mutex_unlock(&k->lock);
}

