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

static int namespace_exists(struct k8s_sim *k, const char *ns)
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
static kh create(struct k8s_sim *k, struct kreq *r, jv obj, struct kresp *o, const char *manager)
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
		if (!namespace_exists(k, r->ns)) {
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
		return drop_empty_meta(k8s_json_patch(target, patch));
	if (!strncmp(ct, "application/merge-patch+json", 28))
		return drop_empty_meta(k8s_merge_patch(target, patch));
	if (!strncmp(ct, "application/strategic-merge-patch+json", 38))
		return drop_empty_meta(k8s_strategic_patch(target, patch));
	if (!strncmp(ct, "application/apply-patch+yaml", 28) || !strncmp(ct, "application/apply-patch+json", 28)) {
		*apply = 1;
		return k8s_strategic_patch(target, patch);
	}
	jv_free(target);
	jv_free(patch);
	return jv_invalid_with_msg(jv_string_fmt("unsupported patch type '%s'", ct));
}

static void do_patch(struct k8s_sim *k, struct kreq *r, struct kresp *o)
{
	char q[64], mb[64];
	const char *manager = manager_of(r, mb, sizeof(mb));
	jv patch = parse_body(r);
	if (!jv_is_valid(patch)) {
		jv msg = jv_invalid_get_msg(patch);
		sim_k8s_fail(o, 400, "BadRequest", r, jv_invalid(), "the patch is not JSON: %s",
		     jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "empty body");
		jv_free(msg);
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
			return;
		}
		if (r->dry_run) {
			jv obj = jset(patch, "metadata.namespace", jv_string(r->ns ? r->ns : ""));
			sim_k8s_reply(o, 201, obj);
			return;
		}
		kh nid = create(k, r, patch, o, manager);
		if (nid) {
			sim_k8s_tick(k, r->now);
			sim_k8s_reply(o, 201, sim_k8s_served(k, sim_k8s_at(k, nid), r->now));
		}
		return;
	}
	if (!ko) {
		jv_free(patch);
		sim_k8s_not_found(o, r, r->res, r->name);
		return;
	}
	if (r->sub && !strcmp(r->sub, "scale")) {
		if (!kres(r->res)->scale) {
			jv_free(patch);
			sim_k8s_fail(o, 404, "NotFound", r, jv_invalid(), "%s has no scale subresource", sim_k8s_qual(r->res, q, sizeof(q)));
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
			return;
		}
		int want = (int)jv_number_value(rep);
		jv_free(rep);
		jv_free(s);
		scale_reply(k, r, o, id, want, manager);
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
			return;
		}
		if (!force || strcmp(force, "true")) {
			jv conflicts = sim_k8s_apply_conflicts(ko, patch, manager);
			int nc = jv_array_length(jv_copy(conflicts));
			if (nc > 0) {
				struct buf m = BUF_INIT(0);
				buf_addf(&m, "Apply failed with %d conflict%s:", nc, nc == 1 ? "" : "s");
				jv_array_foreach(conflicts, i, c) {
					buf_addf(&m, " %s using %s: %s", jvx_str(c, "message"), sim_k8s_api_version(ko->res),
						 jvx_str(c, "field"));
					jv_free(c);
				}
				sim_k8s_fail(o, 409, "Conflict", r, conflicts, "%s", buf_str(&m));
				buf_release(&m);
				jv_free(cur);
				jv_free(patch);
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
		return;
	}
	if (normalize(k, r->res, &next, r, o) < 0) {
		jv_free(next);
		return;
	}
	if (r->dry_run) {
		sim_k8s_reply(o, 200, next);
		return;
	}
	write_reply(k, r, o, id, next, manager);
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


/* ------------------------------------------------------------------ routing */

static int is_mutating(const char *m)
{
	return strcmp(m, "GET") && strcmp(m, "HEAD");
}

/* split the path; 0 when it names a resource of ours */
static int route(struct kreq *r, char *path, struct kresp *o)
{
	char *seg[8];
	int n = 0;
	const char *group;
	if (!strncmp(path, "/api/v1/", 8)) {
		group = "";
		path += 8;
	} else if (!strncmp(path, "/apis/apps/v1/", 14)) {
		group = "apps";
		path += 14;
	} else {
		sim_k8s_fail(o, 404, "NotFound", NULL, jv_invalid(), "the server could not find the requested resource");
		return -1;
	}
	for (char *save = NULL, *p = strtok_r(path, "/", &save); p && n < 8; p = strtok_r(NULL, "/", &save))
		seg[n++] = p;
	const char *res = NULL;
	r->ns = r->name = r->sub = NULL;
	if (n >= 1 && !strcmp(seg[0], "namespaces") && !group[0]) {
		if (n <= 2 || strcmp(seg[2], "status") == 0 || strcmp(seg[2], "finalize") == 0) {
			res = "namespaces";
			r->name = n >= 2 ? seg[1] : NULL;
		} else {
			r->ns = seg[1];
			res = seg[2];
			r->name = n >= 4 ? seg[3] : NULL;
			r->sub = n >= 5 ? seg[4] : NULL;
		}
	} else if (n >= 1 && !strcmp(seg[0], "namespaces") && n >= 3) {
		r->ns = seg[1];
		res = seg[2];
		r->name = n >= 4 ? seg[3] : NULL;
		r->sub = n >= 5 ? seg[4] : NULL;
	} else if (n >= 1) {
		res = seg[0];
		r->name = n >= 2 ? seg[1] : NULL;
		r->sub = n >= 3 ? seg[2] : NULL;
	}
	r->res = -1;
	for (int i = 0; res && i < R__N; i++)
		if (!strcmp(kres(i)->name, res) && !strcmp(kres(i)->group, group))
			r->res = i;
	if (r->res < 0) {
		sim_k8s_fail(o, 404, "NotFound", NULL, jv_invalid(), "the server could not find the requested resource");
		return -1;
	}
	if (r->sub && strcmp(r->sub, "scale") && strcmp(r->sub, "status")) {
		sim_k8s_fail(o, 404, "NotFound", r, jv_invalid(), "the server could not find the requested resource");
		return -1;
	}
	return 0;
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
	if (!strncmp(path, "/openapi/", 9)) {
		sim_k8s_fail(o, 404, "NotFound", NULL, jv_invalid(), "the simulator serves OpenAPI v3 only");
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
	const char *m = r->method;
	const char *watch = qarg(r, "watch");
	int watching = watch && (!strcmp(watch, "true") || !strcmp(watch, "1"));
	if (!strcmp(m, "GET") && !r->name && watching)
		sim_k8s_watch_start(k, r, o);
	else if (!strcmp(m, "GET") && !r->name)
		do_list(k, r, o);
	else if (!strcmp(m, "GET"))
		do_get(k, r, o);
	else if (!strcmp(m, "POST") && !r->name) {
		char mb[64];
		jv obj = parse_body(r);
		if (!jv_is_valid(obj)) {
			jv_free(obj);
			sim_k8s_fail(o, 400, "BadRequest", r, jv_invalid(), "the body is not JSON");
		} else if (r->dry_run) {
			sim_k8s_reply(o, 201, obj);
		} else {
			kh id = create(k, r, obj, o, manager_of(r, mb, sizeof(mb)));
			if (id) {
				sim_k8s_tick(k, r->now);
				sim_k8s_reply(o, 201, sim_k8s_served(k, sim_k8s_at(k, id), r->now));
			}
		}
	} else if (!strcmp(m, "PUT") && r->name)
		do_replace(k, r, o);
	else if (!strcmp(m, "PATCH") && r->name)
		do_patch(k, r, o);
	else if (!strcmp(m, "DELETE") && r->name)
		do_delete(k, r, o);
	else
		sim_k8s_fail(o, 405, "MethodNotAllowed", r, jv_invalid(), "the server does not allow this method on the "
		     "requested resource");
	if (is_mutating(m) && o->status < 300 && r->res >= 0) {
		char key[96];
		snprintf(key, sizeof(key), "%s %s", m, kres(r->res)->kind);
		jv c = jv_object_get(jv_copy(k->c_mutating), jv_string(key));
		int n = jv_is_valid(c) ? (int)jv_number_value(c) : 0;
		jv_free(c);
		if (!r->dry_run)
			k->c_mutating = jv_object_set(k->c_mutating, jv_string(key), jv_number(n + 1));
	}
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
				char *cn = k8s_pki_verify_client(k->pki.ca_cert, certs[0].data, certs[0].size);
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

/* one request, however it arrived (c: its connection, NULL without HTTP): r's method,
 * query, headers and body set (body NUL-terminated); o filled */
static void run_request(struct k8s_sim *k, struct MHD_Connection *c, struct kreq *r, const char *url,
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

int k8s_sim_handle(struct k8s_sim *k, const char *method, const char *url, jv query, jv headers,
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
	run_request(k, NULL, &r, url ? url : "/", &o, too_big);
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
	run_request(k, c, &r, url, &o, cn->too_big);

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

struct k8s_sim *k8s_sim_new(struct rb_clock *clock, jv config, struct diag_list *dl)
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
		create(k, &r, o, &resp, "scenario");
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
				    (res == R_NAMESPACE && namespace_exists(k, sget(obj, "metadata.name", b3, sizeof(b3)) ?
									     b3 : ""))) {
					/* default and kube-system exist already */
					jv_free(obj);
					continue;
				}
				const char *ons = sget(obj, "metadata.namespace", ns2, sizeof(ns2));
				if (kres(res)->namespaced && !ons)
					ons = k->namespace;
				if (kres(res)->namespaced && !namespace_exists(k, ons)) {
					jv nso = jset(jv_object(), "metadata.name", jv_string(ons));
					struct kreq r = { .k = k, .res = R_NAMESPACE, .now = now, .query = jv_object(),
							  .headers = jv_object() };
					struct kresp resp = { 0 };
					buf_init(&resp.body, 0);
					create(k, &r, nso, &resp, "scenario");
					buf_release(&resp.body);
					jv_free(r.query);
					jv_free(r.headers);
				}
				struct kreq r = { .k = k, .res = res, .now = now, .query = jv_object(), .headers = jv_object(),
						  .ns = kres(res)->namespaced ? ons : NULL,
						  .name = sget(obj, "metadata.name", b3, sizeof(b3)) };
				struct kresp resp = { 0 };
				buf_init(&resp.body, 0);
				if (!create(k, &r, obj, &resp, "scenario")) {
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
		k8s_sim_free(k);
		return NULL;
	}
	return k;
}

int k8s_sim_listen(struct k8s_sim *k, const char *listen, int tls, struct diag_list *dl)
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
	if (tls && k8s_pki_make(&k->pki, "runbook-sim-user", dl) < 0)
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

const char *k8s_sim_endpoint(struct k8s_sim *k)
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

int k8s_sim_write_kubeconfig(struct k8s_sim *k, const char *path, const char *auth, struct diag_list *dl)
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

jv k8s_sim_state(struct k8s_sim *k)
{
	pthread_mutex_lock(&k->lock);
	sim_k8s_tick(k, clock_now(k->clock));
	jv out = jv_array();
	for (kh h = sim_k8s_first(k); h; h = sim_k8s_next(k, h))
		out = jv_array_append(out, jvx_deep_copy(sim_k8s_at(k, h)->obj));
	pthread_mutex_unlock(&k->lock);
	return out;
}

jv k8s_sim_counters(struct k8s_sim *k)
{
	pthread_mutex_lock(&k->lock);
	jv v = jv_object();
	v = jv_object_set(v, jv_string("requests"), jvx_deep_copy(k->c_requests));
	v = jv_object_set(v, jv_string("mutating"), jvx_deep_copy(k->c_mutating));
	pthread_mutex_unlock(&k->lock);
	return v;
}

void k8s_sim_free(struct k8s_sim *k)
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
	k8s_pki_free(&k->pki);
	free(k->namespace);
	pthread_mutex_destroy(&k->lock);
	free(k);
}
