/* k8s_objects.c — the k8s actions on objects: get, list, apply (server-side, with
 * prune and recreate), patch, delete, scale and rollout restart. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "k8s_actions.h"
#include "../../core/buf.h"
#include "../../core/clock.h"
#include "../../core/fs.h"
#include "../../core/jvx.h"
#include "../../core/yamljv.h"
#include "../../core/caps.h"

static jv ref_of(jv obj)
{
	jv r = jv_object();
	r = k8s_set_if(r, "kind", jvx_get(obj, "kind"));
	jv m = jvx_get(obj, "metadata");
	r = k8s_set_if(r, "name", jvx_get(m, "name"));
	r = k8s_set_if(r, "namespace", jvx_get(m, "namespace"));
	r = k8s_set_if(r, "resourceVersion", jvx_get(m, "resourceVersion"));
	jv_free(m);
	return r;
}

/* ------------------------------------------------------------------ get, list */

int k8s_get(struct action_call *call, jv args, jv *out)
{
	struct k8s_call k;
	char *path = NULL;
	int rc = -1;
	if (k8s_call_open(&k, call, args, out) < 0)
		goto done;
	if (k8s_obj_path(&k, k8s_arg(&k, "kind"), k8s_arg(&k, "name"), &path, out) < 0)
		goto done;
	rc = k8s_request(call, &k.conn, "GET", path, jv_null(), NULL, jv_invalid(), out);
	if (rc == 0)
		k8s_taint_secret(call, *out);
done:
	return k8s_call_close(&k, path, args, rc);
}

int k8s_list(struct action_call *call, jv args, jv *out)
{
	struct k8s_call k;
	char *path = NULL;
	int rc = -1;
	if (k8s_call_open(&k, call, args, out) < 0)
		goto done;
	if (k8s_obj_path(&k, k8s_arg(&k, "kind"), NULL, &path, out) < 0)
		goto done;
	if (jvx_bool(args, "all_namespaces", 0)) {
		/* drop "/namespaces/NS" */
		char *ns = strstr(path, "/namespaces/");
		if (ns) {
			char *rest = strchr(ns + 12, '/');
			memmove(ns, rest, strlen(rest) + 1);
		}
	}
	jv q = jv_object();
	if (k8s_arg(&k, "label_selector"))
		q = jv_object_set(q, jv_string("labelSelector"), jv_string(k8s_arg(&k, "label_selector")));
	if (k8s_arg(&k, "field_selector"))
		q = jv_object_set(q, jv_string("fieldSelector"), jv_string(k8s_arg(&k, "field_selector")));
	jv list;
	if (k8s_request(call, &k.conn, "GET", path, q, NULL, jv_invalid(), &list) < 0) {
		*out = list;
		goto done;
	}
	jv items = jvx_get(list, "items");
	if (jv_get_kind(items) != JV_KIND_ARRAY) {
		jv_free(items);
		items = jv_array();
	}
	jv_array_foreach(items, i, it) {
		k8s_taint_secret(call, it);
		jv_free(it);
	}
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("count"), jv_number(jv_array_length(jv_copy(items))));
	*out = jv_object_set(*out, jv_string("items"), items);
	jv_free(list);
	rc = 0;
done:
	return k8s_call_close(&k, path, args, rc);
}

/* ------------------------------------------------------------------ apply */

static int read_docs(const char *path, jv *docs, jv *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		*err = jvx_error("BadArgs", "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **names;
		int n = scandir(path, &names, NULL, alphasort);
		if (n < 0) {
			*err = jvx_error("BadArgs", "cannot list '%s': %s", path, strerror(errno));
			return -1;
		}
		int rc = 0;
		for (int i = 0; i < n; i++) {
			const char *f = names[i]->d_name;
			size_t l = strlen(f);
			int ours = (l > 5 && !strcmp(f + l - 5, ".yaml")) || (l > 4 && !strcmp(f + l - 4, ".yml")) ||
				   (l > 5 && !strcmp(f + l - 5, ".json"));
			if (ours && rc == 0) {
				char sub[4096];
				snprintf(sub, sizeof(sub), "%s/%s", path, f);
				rc = read_docs(sub, docs, err);
			}
			free(names[i]);
		}
		free(names);
		return rc;
	}
	size_t n;
	char *text = fs_read(path, CAP_MANIFEST, &n);
	if (!text) {
		*err = errno == EFBIG ? jvx_error("BadArgs", "'%s' is over 16 MiB", path) :
				       jvx_error("BadArgs", "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	jv all = yamljv_parse(text, n, 1);
	free(text);
	if (!jv_is_valid(all)) {
		jv msg = jv_invalid_get_msg(all);
		*err = jvx_error("BadArgs", "'%s' is not valid YAML: %s", path,
				 jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
		jv_free(msg);
		return -1;
	}
	jv_array_foreach(all, i, d)
		*docs = jv_array_append(*docs, d);
	jv_free(all);
	return 0;
}

/* a List's items, or the doc itself */
static jv flatten(jv docs)
{
	jv out = jv_array();
	jv_array_foreach(docs, i, d) {
		const char *kind = jvx_str(d, "kind");
		jv items = jvx_get(d, "items");
		if (kind && !strcmp(kind, "List") && jv_get_kind(items) == JV_KIND_ARRAY) {
			jv_array_foreach(items, j, it)
				out = jv_array_append(out, it);
			jv_free(d);
		} else {
			out = jv_array_append(out, d);
		}
		jv_free(items);
	}
	jv_free(docs);
	return out;
}

/* DELETE path; 1 when it was already gone, 0 deleted, -1 error in *out */
static int delete_path(struct k8s_call *k, const char *path, jv *out)
{
	jv res;
	if (k8s_request(k->call, &k->conn, "DELETE", path, k8s_dry_query(k, jv_object()), NULL, jv_invalid(), &res) < 0) {
		const char *code = jvx_str(res, "code");
		if (code && !strcmp(code, "NotFound")) {
			jv_free(res);
			return 1;
		}
		*out = res;
		return -1;
	}
	jv_free(res);
	return 0;
}

static int same_ref(jv a, const char *kind, const char *name, const char *ns)
{
	const char *ak = jvx_str(a, "kind"), *an = jvx_str(a, "name"), *ans = jvx_str(a, "namespace");
	return ak && an && !strcmp(ak, kind) && !strcmp(an, name) && (!ans || !ns || !strcmp(ans, ns));
}

/* prune: delete each listed object that docs do not hold; the deleted ones go to *pruned */
static int apply_prune(struct k8s_call *k, jv prune, jv docs, jv *pruned, jv *out)
{
	int rc = 0;
	jv_array_foreach(prune, i, p) {
		const char *kind = jvx_str(p, "kind"), *name = jvx_str(p, "name"), *ns = jvx_str(p, "namespace");
		int held = 0;
		char *path = NULL;
		if (!kind || !name) {
			*out = jvx_error("BadArgs", "prune item %d has no kind or name", i);
			rc = -1;
		}
		jv_array_foreach(docs, j, d) {
			jv meta = jvx_get(d, "metadata");
			const char *dk = jvx_str(d, "kind"), *dn = jvx_str(meta, "name"), *dns = jvx_str(meta, "namespace");
			if (rc == 0 && dk && dn && same_ref(p, dk, dn, dns ? dns : k8s_arg(k, "namespace")))
				held = 1;
			jv_free(meta);
			jv_free(d);
		}
		if (rc == 0 && !held) {
			int r = k8s_path(k->call, &k->conn, NULL, kind, ns ? ns : k8s_arg(k, "namespace"), name, &path, out);
			if (r == 0)
				r = delete_path(k, path, out);
			if (r == 0)
				*pruned = jv_array_append(*pruned, jv_copy(p));
			if (r < 0)
				rc = -1;
		}
		free(path);
		jv_free(p);
		if (rc < 0)
			break;
	}
	jv_free(prune);
	jv_free(docs);
	return rc;
}

int k8s_apply(struct action_call *call, jv args, jv *out)
{
	struct k8s_call k;
	int rc = -1;
	jv docs = jv_array();
	jv applied = jv_array(), objects = jv_array(), pruned = jv_array();
	if (k8s_call_open(&k, call, args, out) < 0)
		goto done;
	jv man = jvx_get(args, "manifest");
	if (jv_get_kind(man) == JV_KIND_OBJECT)
		docs = jv_array_append(docs, man);
	else if (jv_get_kind(man) == JV_KIND_ARRAY) {
		jv_array_foreach(man, i, d)
			docs = jv_array_append(docs, d);
		jv_free(man);
	} else
		jv_free(man);
	if (k8s_arg(&k, "file") && read_docs(k8s_arg(&k, "file"), &docs, out) < 0)
		goto done;
	docs = flatten(docs);
	if (jv_array_length(jv_copy(docs)) == 0) {
		*out = jvx_error("BadArgs", "nothing to apply: give manifest or file");
		goto done;
	}
	jv_array_foreach(docs, i, d) {
		const char *api = jvx_str(d, "apiVersion"), *kind = jvx_str(d, "kind");
		jv meta = jvx_get(d, "metadata");
		const char *name = jvx_str(meta, "name"), *ns = jvx_str(meta, "namespace");
		char *path = NULL;
		if (!api || !kind || !name) {
			*out = jvx_error("BadArgs", "object %d has no apiVersion, kind or metadata.name", i);
			jv_free(meta);
			jv_free(d);
			break;
		}
		k8s_taint_secret(call, d);
		if (k8s_path(call, &k.conn, api, kind, ns ? ns : k8s_arg(&k, "namespace"), name, &path, out) < 0) {
			jv_free(meta);
			jv_free(d);
			break;
		}
		if (jvx_bool(args, "recreate", 0) && delete_path(&k, path, out) < 0) {
			free(path);
			jv_free(meta);
			jv_free(d);
			break;
		}
		jv q = jv_object();
		q = jv_object_set(q, jv_string("fieldManager"), jv_string(k8s_arg(&k, "field_manager")));
		if (jvx_bool(args, "force", 0))
			q = jv_object_set(q, jv_string("force"), jv_string("true"));
		q = k8s_dry_query(&k, q);
		jv res;
		int r = k8s_request(call, &k.conn, "PATCH", path, q, "application/apply-patch+yaml", jv_copy(d), &res);
		free(path);
		jv_free(meta);
		jv_free(d);
		if (r < 0) {
			*out = res;
			break;
		}
		applied = jv_array_append(applied, ref_of(res));
		objects = jv_array_append(objects, res);
		if (i == jv_array_length(jv_copy(docs)) - 1)
			rc = 0;
	}
	jv prune = jvx_get(args, "prune");
	if (rc == 0 && jv_get_kind(prune) == JV_KIND_ARRAY)
		rc = apply_prune(&k, jv_copy(prune), jv_copy(docs), &pruned, out);
	jv_free(prune);
	if (rc == 0) {
		*out = jv_object();
		*out = jv_object_set(*out, jv_string("applied"), applied);
		*out = jv_object_set(*out, jv_string("objects"), objects);
		*out = jv_object_set(*out, jv_string("pruned"), pruned);
		*out = jv_object_set(*out, jv_string("dry_run"), jv_bool(k.dry));
		applied = objects = pruned = jv_invalid();
	}
done:
	jv_free(docs);
	jv_free(applied);
	jv_free(objects);
	jv_free(pruned);
	k8s_conn_release(&k.conn);
	jv_free(args);
	return rc;
}

/* ------------------------------------------------------------------ patch, delete */

static const struct { const char *name, *ctype; } patch_types[] = {
	{ "merge", "application/merge-patch+json" },
	{ "strategic", "application/strategic-merge-patch+json" },
	{ "json", "application/json-patch+json" },
};

int k8s_patch(struct action_call *call, jv args, jv *out)
{
	struct k8s_call k;
	char *path = NULL;
	int rc = -1;
	const char *ct = NULL, *type = jvx_str(args, "type");
	for (size_t i = 0; i < sizeof(patch_types) / sizeof(patch_types[0]); i++)
		if (type && !strcmp(type, patch_types[i].name))
			ct = patch_types[i].ctype;
	k.conn = (struct k8s_conn){ 0 };
	if (!ct) {
		*out = jvx_error("BadArgs", "patch type '%s' is not merge, strategic or json", type ? type : "");
		goto done;
	}
	if (k8s_call_open(&k, call, args, out) < 0 || k8s_obj_path(&k, k8s_arg(&k, "kind"), k8s_arg(&k, "name"), &path, out) < 0)
		goto done;
	rc = k8s_request(call, &k.conn, "PATCH", path, k8s_dry_query(&k, jv_object()), ct, jvx_get(args, "patch"), out);
	if (rc == 0)
		k8s_taint_secret(call, *out);
done:
	return k8s_call_close(&k, path, args, rc);
}

int k8s_delete(struct action_call *call, jv args, jv *out)
{
	struct k8s_call k;
	char *path = NULL;
	int rc = -1;
	if (k8s_call_open(&k, call, args, out) < 0 || k8s_obj_path(&k, k8s_arg(&k, "kind"), k8s_arg(&k, "name"), &path, out) < 0)
		goto done;
	jv res;
	if (k8s_request(call, &k.conn, "DELETE", path, k8s_dry_query(&k, jv_object()), NULL, jv_invalid(), &res) < 0) {
		const char *code = jvx_str(res, "code");
		if (code && !strcmp(code, "NotFound") && jvx_bool(args, "ignore_missing", 0)) {
			jv_free(res);
			*out = jv_object_set(jv_object(), jv_string("deleted"), jv_false());
			rc = 0;
		} else {
			*out = res;
		}
		goto done;
	}
	jv_free(res);
	*out = jv_object_set(jv_object(), jv_string("deleted"), jv_true());
	rc = 0;
done:
	return k8s_call_close(&k, path, args, rc);
}

/* ------------------------------------------------------------------ scale, restart */

int k8s_scale(struct action_call *call, jv args, jv *out)
{
	int berr = 0;
	struct k8s_call k;
	char *path = NULL;
	int rc = -1;
	struct buf sp = BUF_INIT(0);
	if (k8s_call_open(&k, call, args, out) < 0 || k8s_obj_path(&k, k8s_arg(&k, "kind"), k8s_arg(&k, "name"), &path, out) < 0)
		goto done;
	berr |= buf_addf(&sp, "%s/scale", path);
	BUF_NOCAP(berr);
	jv cur;
	if (k8s_request(call, &k.conn, "GET", buf_str(&sp), jv_null(), NULL, jv_invalid(), &cur) < 0) {
		*out = cur;
		goto done;
	}
	jv spec = jvx_get(cur, "spec");
	int previous = (int)jvx_num(spec, "replicas", 0);
	jv_free(spec);
	jv_free(cur);
	int want = (int)jvx_num(args, "replicas", 0);
	if (want < 0) {
		*out = jvx_error("BadArgs", "replicas must be 0 or more, not %d", want);
		goto done;
	}
	jv body = jv_parse("{\"spec\":{}}");
	body = jv_setpath(body, jv_parse("[\"spec\",\"replicas\"]"), jv_number(want));
	jv res;
	if (k8s_request(call, &k.conn, "PATCH", buf_str(&sp), k8s_dry_query(&k, jv_object()), "application/merge-patch+json",
			body, &res) < 0) {
		*out = res;
		goto done;
	}
	jv_free(res);
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("previous"), jv_number(previous));
	*out = jv_object_set(*out, jv_string("replicas"), jv_number(want));
	rc = 0;
done:
	buf_release(&sp);
	free(path);
	k8s_conn_release(&k.conn);
	jv_free(args);
	return rc;
}

int k8s_rollout_restart(struct action_call *call, jv args, jv *out)
{
	struct k8s_call k;
	char *path = NULL, ts[40];
	int rc = -1;
	if (k8s_call_open(&k, call, args, out) < 0 || k8s_obj_path(&k, k8s_arg(&k, "kind"), k8s_arg(&k, "name"), &path, out) < 0)
		goto done;
	/* what kubectl rollout restart does: a new annotation on the pod template */
	clock_format(clock_now(call->clock), ts, sizeof(ts));
	memmove(ts + 19, ts + 23, strlen(ts + 23) + 1);      /* drop the milliseconds */
	jv patch = jv_setpath(jv_object(), jv_parse("[\"spec\",\"template\",\"metadata\",\"annotations\","
						   "\"kubectl.kubernetes.io/restartedAt\"]"), jv_string(ts));
	jv res;
	if (k8s_request(call, &k.conn, "PATCH", path, k8s_dry_query(&k, jv_object()),
			"application/strategic-merge-patch+json", patch, &res) < 0) {
		*out = res;
		goto done;
	}
	jv meta = jvx_get(res, "metadata");
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("restartedAt"), jv_string(ts));
	*out = k8s_set_if(*out, "generation", jvx_get(meta, "generation"));
	jv_free(meta);
	jv_free(res);
	rc = 0;
done:
	return k8s_call_close(&k, path, args, rc);
}
