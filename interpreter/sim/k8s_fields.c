/* k8s_fields.c — the simulated Kubernetes API's fields: label and field selectors, and
 * field ownership (which manager set which field, for server-side apply's conflicts and
 * metadata.managedFields). A field is named by a kpath: its keys from the object's root,
 * with list elements that have a merge key named "key=value".
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "k8s_int.h"
#include "../core/buf.h"
#include "../core/jvx.h"

/* ------------------------------------------------------------------ selectors */

/* label selector terms: k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b) */
static int labels_match(jv labels, const char *sel)
{
	if (!sel || !*sel)
		return 1;
	char term[512];
	const char *p = sel;
	while (*p) {
		size_t n = 0;
		int depth = 0;
		while (p[n] && (depth || p[n] != ',')) {
			depth += p[n] == '(' ? 1 : p[n] == ')' ? -1 : 0;
			n++;
		}
		snprintf(term, sizeof(term), "%.*s", (int)n, p);
		p += n + (p[n] == ',');
		char *t = term;
		while (isspace((unsigned char)*t))
			t++;
		int ok;
		char *in = strstr(t, " notin "), *in2 = in ? NULL : strstr(t, " in ");
		char *ne = strstr(t, "!="), *eq = strchr(t, '=');
		if (in || in2) {
			int neg = in != NULL;
			char *sp = neg ? in : in2;
			*sp = 0;
			const char *have = jvx_str(labels, t);
			char *lp = strchr(sp + 1, '('), *rp = strrchr(sp + 1, ')');
			int found = 0;
			if (lp && rp && have) {
				*rp = 0;
				for (char *save = NULL, *v = strtok_r(lp + 1, ", ", &save); v; v = strtok_r(NULL, ", ", &save))
					if (!strcmp(v, have))
						found = 1;
			}
			ok = neg ? !found : found;
		} else if (ne) {
			*ne = 0;
			const char *have = jvx_str(labels, t);
			ok = !have || strcmp(have, ne + 2);
		} else if (eq) {
			*eq = 0;
			const char *v = eq[1] == '=' ? eq + 2 : eq + 1;
			const char *have = jvx_str(labels, t);
			ok = have && !strcmp(have, v);
		} else if (*t == '!') {
			ok = !jvx_str(labels, t + 1);
		} else {
			ok = jvx_str(labels, t) != NULL;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

static int fields_match(jv obj, const char *sel)
{
	if (!sel || !*sel)
		return 1;
	char term[512], b[256];
	const char *p = sel;
	while (*p) {
		size_t n = strcspn(p, ",");
		snprintf(term, sizeof(term), "%.*s", (int)n, p);
		p += n + (p[n] == ',');
		char *ne = strstr(term, "!="), *eq = strchr(term, '=');
		int neg = ne != NULL;
		char *val = ne ? ne + 2 : eq ? (eq[1] == '=' ? eq + 2 : eq + 1) : NULL;
		if (!val)
			return 0;
		*(ne ? ne : eq) = 0;
		const char *have = sget(obj, term, b, sizeof(b));
		int same = have && !strcmp(have, val);
		if (neg ? same : !same)
			return 0;
	}
	return 1;
}

int sim_k8s_selected(struct kreq *r, jv obj)
{
	char b[256];
	const char *ns = sget(obj, "metadata.namespace", b, sizeof(b));
	if (r->ns && kres(r->res)->namespaced && (!ns || strcmp(ns, r->ns)))
		return 0;
	jv labels = jget(obj, "metadata.labels");
	int ok = labels_match(labels, qarg(r, "labelSelector")) && fields_match(obj, qarg(r, "fieldSelector"));
	jv_free(labels);
	return ok;
}

/* ------------------------------------------------------------------ field ownership */

/* kpath: a path where list elements with a merge key are named "key=value" */
static const char *list_key(const char *field)
{
	static const struct { const char *f, *k; } keys[] = {
		{ "containers", "name" }, { "initContainers", "name" }, { "env", "name" },
		{ "ports", "containerPort" }, { "volumes", "name" }, { "volumeMounts", "mountPath" },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].f, field))
			return keys[i].k;
	return NULL;
}

static int skip_field(jv path)
{
	int n = jv_array_length(jv_copy(path));
	jv a = n > 0 ? jv_array_get(jv_copy(path), 0) : jv_null();
	jv b = n > 1 ? jv_array_get(jv_copy(path), 1) : jv_null();
	int skip = 0;
	if (jv_get_kind(a) == JV_KIND_STRING) {
		const char *s = jv_string_value(a);
		if (!strcmp(s, "status") || !strcmp(s, "apiVersion") || !strcmp(s, "kind"))
			skip = 1;
		if (!strcmp(s, "metadata") && jv_get_kind(b) == JV_KIND_STRING) {
			const char *t = jv_string_value(b);
			skip = strcmp(t, "labels") && strcmp(t, "annotations");
		}
	}
	jv_free(a);
	jv_free(b);
	return skip;
}

/* call fn for each leaf of v (kpaths) */
static void leaves(jv v, jv path, void (*fn)(jv kpath, jv leaf, void *), void *arg)
{
	if (skip_field(path)) {
		jv_free(path);
		jv_free(v);
		return;
	}
	if (jv_get_kind(v) == JV_KIND_OBJECT && jv_object_length(jv_copy(v)) > 0) {
		jv_object_foreach(v, key, x)
			leaves(x, jv_array_append(jv_copy(path), key), fn, arg);
	} else if (jv_get_kind(v) == JV_KIND_ARRAY && jv_array_length(jv_copy(path)) > 0) {
		jv last = jv_array_get(jv_copy(path), jv_array_length(jv_copy(path)) - 1);
		const char *key = jv_get_kind(last) == JV_KIND_STRING ? list_key(jv_string_value(last)) : NULL;
		int keyed = key != NULL;
		if (keyed) {
			jv_array_foreach(v, i, x) {
				const char *kv = jvx_str(x, key);
				jv kvn = jvx_get(x, key);
				if (!kv && jv_get_kind(kvn) != JV_KIND_NUMBER)
					keyed = 0;
				jv_free(kvn);
				jv_free(x);
			}
		}
		if (keyed) {
			jv_array_foreach(v, i, x) {
				jv kvv = jvx_get(x, key);
				char *kvs = jvx_text(kvv);
				jv seg = jv_string_fmt("%s=%s", key, kvs);
				free(kvs);
				leaves(x, jv_array_append(jv_copy(path), seg), fn, arg);
			}
		} else {
			fn(jv_copy(path), jv_copy(v), arg);
		}
		jv_free(last);
	} else {
		fn(jv_copy(path), jv_copy(v), arg);
	}
	jv_free(path);
	jv_free(v);
}

/* the value at a kpath, or invalid */
static jv kget(jv obj, jv kpath)
{
	jv cur = jv_copy(obj);
	jv_array_foreach(kpath, i, seg) {
		const char *s = jv_string_value(seg);
		const char *eq = strchr(s, '=');
		if (jv_get_kind(cur) == JV_KIND_ARRAY && eq) {
			char key[128];
			snprintf(key, sizeof(key), "%.*s", (int)(eq - s), s);
			jv found = jv_invalid();
			jv_array_foreach(cur, j, x) {
				jv kv = jvx_get(x, key);
				char *t = jv_is_valid(kv) ? jvx_text(kv) : (jv_free(kv), NULL);
				if (t && !strcmp(t, eq + 1) && !jv_is_valid(found))
					found = jv_copy(x);
				free(t);
				jv_free(x);
			}
			jv_free(cur);
			cur = found;
		} else if (jv_get_kind(cur) == JV_KIND_OBJECT) {
			cur = jv_object_get(cur, jv_copy(seg));
		} else {
			jv_free(cur);
			cur = jv_invalid();
		}
		jv_free(seg);
		if (!jv_is_valid(cur))
			break;
	}
	jv_free(kpath);
	return cur;
}

static char *kpath_text(jv kpath)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	jv_array_foreach(kpath, i, seg) {
		const char *s = jv_string_value(seg);
		const char *eq = strchr(s, '=');
		if (eq)
			berr |= buf_addf(&b, "[%.*s=\"%s\"]", (int)(eq - s), s, eq + 1);
		else
			berr |= buf_addf(&b, ".%s", s);
		jv_free(seg);
	}
	BUF_NOCAP(berr);
	jv_free(kpath);
	return buf_detach(&b);
}

struct own_ctx {
	struct kobj *o;
	jv live;                 /* borrowed */
	const char *manager;
	int check;               /* apply without force: collect conflicts */
	jv conflicts;
};

static void own_leaf(jv kpath, jv leaf, void *arg)
{
	struct own_ctx *c = arg;
	char *key = jvx_dump(jv_copy(kpath));
	jv owner = jv_object_get(jv_copy(c->o->owners), jv_string(key));
	if (c->check) {
		jv live = kget(c->live, jv_copy(kpath));
		if (jv_is_valid(owner) && strcmp(jv_string_value(owner), c->manager) &&
		    jv_is_valid(live) && !jv_equal(jv_copy(live), jv_copy(leaf))) {
			char *t = kpath_text(jv_copy(kpath));
			jv cause = jv_object();
			cause = jv_object_set(cause, jv_string("reason"), jv_string("FieldManagerConflict"));
			cause = jv_object_set(cause, jv_string("message"),
					      jv_string_fmt("conflict with \"%s\"", jv_string_value(owner)));
			cause = jv_object_set(cause, jv_string("field"), jv_string(t));
			c->conflicts = jv_array_append(c->conflicts, cause);
			free(t);
		}
		jv_free(live);
	} else {
		c->o->owners = jv_object_set(c->o->owners, jv_string(key), jv_string(c->manager));
	}
	jv_free(owner);
	free(key);
	jv_free(kpath);
	jv_free(leaf);
}

/* leaves of `changed` that differ from `before` become the manager's */
struct diff_ctx {
	struct kobj *o;
	jv before;
	const char *manager;
};

static void diff_leaf(jv kpath, jv leaf, void *arg)
{
	struct diff_ctx *c = arg;
	jv old = kget(c->before, jv_copy(kpath));
	if (!jv_is_valid(old) || !jv_equal(jv_copy(old), jv_copy(leaf))) {
		char *key = jvx_dump(jv_copy(kpath));
		c->o->owners = jv_object_set(c->o->owners, jv_string(key), jv_string(c->manager));
		free(key);
	}
	jv_free(old);
	jv_free(kpath);
	jv_free(leaf);
}

jv sim_k8s_managed_fields(struct kobj *o, int64_t now)
{
	jv seen = jv_object();
	jv_object_foreach(o->owners, key, m) {
		seen = jv_object_set(seen, m, jv_true());
		jv_free(key);
	}
	jv out = jv_array();
	char ts[32];
	jv_object_foreach(seen, m, t) {
		jv e = jv_object();
		e = jv_object_set(e, jv_string("manager"), jv_copy(m));
		e = jv_object_set(e, jv_string("operation"), jv_string("Update"));
		e = jv_object_set(e, jv_string("apiVersion"), jv_string(sim_k8s_api_version(o->res)));
		e = jv_object_set(e, jv_string("time"), jv_string(iso(now, ts, sizeof(ts))));
		e = jv_object_set(e, jv_string("fieldsType"), jv_string("FieldsV1"));
		e = jv_object_set(e, jv_string("fieldsV1"), jv_object());
		out = jv_array_append(out, e);
		jv_free(m);
		jv_free(t);
	}
	jv_free(seen);
	return out;
}

void sim_k8s_own_changed(struct kobj *o, jv before, const char *manager)
{
	struct diff_ctx dc = { o, before, manager };
	leaves(jv_copy(o->obj), jv_array(), diff_leaf, &dc);
}

jv sim_k8s_apply_conflicts(struct kobj *o, jv patch, const char *manager)
{
	struct own_ctx oc = { o, o->obj, manager, 1, jv_array() };
	leaves(jv_copy(patch), jv_array(), own_leaf, &oc);
	return oc.conflicts;
}

void sim_k8s_own_applied(struct kobj *o, jv patch, const char *manager)
{
	struct own_ctx oc = { o, o->obj, manager, 0, jv_null() };
	leaves(jv_copy(patch), jv_array(), own_leaf, &oc);
}
