/* actions.c — the k8s module's actions: what the seeds do with kubectl (get, apply,
 * patch, scale writers down and back, set env, patch secrets, restart, wait for
 * rollouts, back objects up for rollback), as descriptors over the API client.
 *
 * Pod exec and cp need streaming protocols (SPDY / WebSocket) and are not actions:
 * use the exec action with kubectl for them (runbook-actions(7) says so).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "k8s.h"
#include "../../core/actarg.h"
#include "../../core/b64.h"
#include "../../core/buf.h"
#include "../../core/bug.h"
#include "../../core/clock.h"
#include "../../core/dur.h"
#include "../../core/jvx.h"
#include "../../core/redact.h"
#include "../../core/yamljv.h"

#define FIELD_MANAGER "runbook"

/* ------------------------------------------------------------------ helpers */

struct kc {
	struct action_call *call;
	struct k8s_conn conn;
	jv args;                 /* borrowed */
	int dry;                 /* send dryRun=All */
};

static int kc_open(struct kc *k, struct action_call *call, jv args, jv *out)
{
	k->call = call;
	k->args = args;
	k->dry = (call->flags & CALL_DRY_RUN) != 0;
	return k8s_conn_load(call, &k->conn, out);
}

/* every action ends here: frees what kc_open and obj_path made, and the args */
static int kc_close(struct kc *k, char *path, jv args, int rc)
{
	free(path);
	k8s_conn_release(&k->conn);
	jv_free(args);
	return rc;
}

static const char *arg_s(struct kc *k, const char *name)
{
	return jvx_str(k->args, name);
}

static jv dry_query(struct kc *k, jv q)
{
	if (jv_get_kind(q) != JV_KIND_OBJECT) {
		jv_free(q);
		q = jv_object();
	}
	if (k->dry)
		q = jv_object_set(q, jv_string("dryRun"), jv_string("All"));
	return q;
}

/* the path of args' kind/name (name may be NULL: the collection) */
static int obj_path(struct kc *k, const char *kind, const char *name, char **path, jv *out)
{
	return k8s_path(k->call, &k->conn, arg_s(k, "api_version"), kind, arg_s(k, "namespace"), name, path, out);
}

/* every value of a Secret (data base64-decoded, stringData) is tainted */
static void taint_secret(struct action_call *call, jv obj)
{
	const char *kind = jvx_str(obj, "kind");
	if (!kind || strcmp(kind, "Secret"))
		return;
	jv data = jvx_get(obj, "data");
	if (jv_get_kind(data) == JV_KIND_OBJECT) {
		jv_object_foreach(data, key, v) {
			if (jv_get_kind(v) == JV_KIND_STRING) {
				const char *s = jv_string_value(v);
				unsigned char *dec = b64_decode(s, strlen(s), NULL);
				if (dec && *dec)
					redact_add(call->redact, (char *)dec);
				free(dec);
				redact_add(call->redact, s);
			}
			jv_free(key);
			jv_free(v);
		}
	}
	jv_free(data);
	jv sd = jvx_get(obj, "stringData");
	if (jv_get_kind(sd) == JV_KIND_OBJECT)
		redact_add_jv(call->redact, sd);
	else
		jv_free(sd);
}

/* obj[key] = v, unless v is absent (a dry-run reply may lack server-set fields) */
static jv set_if(jv obj, const char *key, jv v)
{
	if (!jv_is_valid(v)) {
		jv_free(v);
		return obj;
	}
	return jv_object_set(obj, jv_string(key), v);
}

static jv ref_of(jv obj)
{
	jv r = jv_object();
	r = set_if(r, "kind", jvx_get(obj, "kind"));
	jv m = jvx_get(obj, "metadata");
	r = set_if(r, "name", jvx_get(m, "name"));
	r = set_if(r, "namespace", jvx_get(m, "namespace"));
	r = set_if(r, "resourceVersion", jvx_get(m, "resourceVersion"));
	jv_free(m);
	return r;
}

/* ------------------------------------------------------------------ get, list */

static const struct action_arg get_args[] = {
	{ "kind", ARG_STRING, ARG_REQUIRED, NULL, "object kind: Deployment, Secret, ConfigMap, ... (or its plural or short name)" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ "api_version", ARG_STRING, 0, NULL, "apiVersion, needed only for kinds runbook does not know (found by discovery)" },
	{ NULL, 0, 0, NULL, NULL },
};

static int k8s_get(struct action_call *call, jv args, jv *out)
{
	struct kc k;
	char *path = NULL;
	int rc = -1;
	if (kc_open(&k, call, args, out) < 0)
		goto done;
	if (obj_path(&k, arg_s(&k, "kind"), arg_s(&k, "name"), &path, out) < 0)
		goto done;
	rc = k8s_request(call, &k.conn, "GET", path, jv_null(), NULL, jv_invalid(), out);
	if (rc == 0)
		taint_secret(call, *out);
done:
	return kc_close(&k, path, args, rc);
}

static const struct action_arg list_args[] = {
	{ "kind", ARG_STRING, ARG_REQUIRED, NULL, "object kind" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ "all_namespaces", ARG_BOOL, 0, "false", "list in every namespace" },
	{ "label_selector", ARG_STRING, 0, NULL, "e.g. app=orders,tier!=cache" },
	{ "field_selector", ARG_STRING, 0, NULL, "e.g. metadata.name=orders" },
	{ "api_version", ARG_STRING, 0, NULL, "apiVersion for kinds found by discovery" },
	{ NULL, 0, 0, NULL, NULL },
};

static int k8s_list(struct action_call *call, jv args, jv *out)
{
	struct kc k;
	char *path = NULL;
	int rc = -1;
	if (kc_open(&k, call, args, out) < 0)
		goto done;
	if (obj_path(&k, arg_s(&k, "kind"), NULL, &path, out) < 0)
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
	if (arg_s(&k, "label_selector"))
		q = jv_object_set(q, jv_string("labelSelector"), jv_string(arg_s(&k, "label_selector")));
	if (arg_s(&k, "field_selector"))
		q = jv_object_set(q, jv_string("fieldSelector"), jv_string(arg_s(&k, "field_selector")));
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
		taint_secret(call, it);
		jv_free(it);
	}
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("count"), jv_number(jv_array_length(jv_copy(items))));
	*out = jv_object_set(*out, jv_string("items"), items);
	jv_free(list);
	rc = 0;
done:
	return kc_close(&k, path, args, rc);
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
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT(16u << 20);
	char chunk[8192];
	size_t n;
	if (!f) {
		*err = jvx_error("BadArgs", "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	jv all = yamljv_parse(buf_str(&b), b.len, 1);
	buf_release(&b);
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

/* DELETE path; 1 when it was already gone, 0 deleted, -1 error in *out */
static int delete_path(struct kc *k, const char *path, jv *out)
{
	jv res;
	if (k8s_request(k->call, &k->conn, "DELETE", path, dry_query(k, jv_object()), NULL, jv_invalid(), &res) < 0) {
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
static int apply_prune(struct kc *k, jv prune, jv docs, jv *pruned, jv *out)
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
			if (rc == 0 && dk && dn && same_ref(p, dk, dn, dns ? dns : arg_s(k, "namespace")))
				held = 1;
			jv_free(meta);
			jv_free(d);
		}
		if (rc == 0 && !held) {
			int r = k8s_path(k->call, &k->conn, NULL, kind, ns ? ns : arg_s(k, "namespace"), name, &path, out);
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

static int k8s_apply(struct action_call *call, jv args, jv *out)
{
	struct kc k;
	int rc = -1;
	jv docs = jv_array();
	jv applied = jv_array(), objects = jv_array(), pruned = jv_array();
	if (kc_open(&k, call, args, out) < 0)
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
	if (arg_s(&k, "file") && read_docs(arg_s(&k, "file"), &docs, out) < 0)
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
		taint_secret(call, d);
		if (k8s_path(call, &k.conn, api, kind, ns ? ns : arg_s(&k, "namespace"), name, &path, out) < 0) {
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
		q = jv_object_set(q, jv_string("fieldManager"), jv_string(arg_s(&k, "field_manager")));
		if (jvx_bool(args, "force", 0))
			q = jv_object_set(q, jv_string("force"), jv_string("true"));
		q = dry_query(&k, q);
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

static const struct { const char *name, *ctype; } patch_types[] = {
	{ "merge", "application/merge-patch+json" },
	{ "strategic", "application/strategic-merge-patch+json" },
	{ "json", "application/json-patch+json" },
};

static int k8s_patch(struct action_call *call, jv args, jv *out)
{
	struct kc k;
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
	if (kc_open(&k, call, args, out) < 0 || obj_path(&k, arg_s(&k, "kind"), arg_s(&k, "name"), &path, out) < 0)
		goto done;
	rc = k8s_request(call, &k.conn, "PATCH", path, dry_query(&k, jv_object()), ct, jvx_get(args, "patch"), out);
	if (rc == 0)
		taint_secret(call, *out);
done:
	return kc_close(&k, path, args, rc);
}

static const struct action_arg delete_args[] = {
	{ "kind", ARG_STRING, ARG_REQUIRED, NULL, "object kind" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ "ignore_missing", ARG_BOOL, 0, "false", "an object that is already gone is not an error" },
	{ "api_version", ARG_STRING, 0, NULL, "apiVersion for kinds found by discovery" },
	{ NULL, 0, 0, NULL, NULL },
};

static int k8s_delete(struct action_call *call, jv args, jv *out)
{
	struct kc k;
	char *path = NULL;
	int rc = -1;
	if (kc_open(&k, call, args, out) < 0 || obj_path(&k, arg_s(&k, "kind"), arg_s(&k, "name"), &path, out) < 0)
		goto done;
	jv res;
	if (k8s_request(call, &k.conn, "DELETE", path, dry_query(&k, jv_object()), NULL, jv_invalid(), &res) < 0) {
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
	return kc_close(&k, path, args, rc);
}

/* ------------------------------------------------------------------ scale, restart */

static const struct action_arg scale_args[] = {
	{ "kind", ARG_STRING, 0, "\"Deployment\"", "Deployment or StatefulSet" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "replicas", ARG_INT, ARG_REQUIRED | ARG_RANGE, NULL, "replicas wanted (0 stops every pod)",
	  .min = 0, .max = 100000 },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ NULL, 0, 0, NULL, NULL },
};

static int k8s_scale(struct action_call *call, jv args, jv *out)
{
	struct kc k;
	char *path = NULL;
	int rc = -1;
	struct buf sp = BUF_INIT(0);
	if (kc_open(&k, call, args, out) < 0 || obj_path(&k, arg_s(&k, "kind"), arg_s(&k, "name"), &path, out) < 0)
		goto done;
	buf_addf(&sp, "%s/scale", path);
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
	if (k8s_request(call, &k.conn, "PATCH", buf_str(&sp), dry_query(&k, jv_object()), "application/merge-patch+json",
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

static const struct action_arg restart_args[] = {
	{ "kind", ARG_STRING, 0, "\"Deployment\"", "Deployment, StatefulSet or DaemonSet" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ NULL, 0, 0, NULL, NULL },
};

static int k8s_rollout_restart(struct action_call *call, jv args, jv *out)
{
	struct kc k;
	char *path = NULL, ts[40];
	int rc = -1;
	if (kc_open(&k, call, args, out) < 0 || obj_path(&k, arg_s(&k, "kind"), arg_s(&k, "name"), &path, out) < 0)
		goto done;
	/* what kubectl rollout restart does: a new annotation on the pod template */
	clock_format(clock_now(call->clock), ts, sizeof(ts));
	memmove(ts + 19, ts + 23, strlen(ts + 23) + 1);      /* drop the milliseconds */
	jv patch = jv_setpath(jv_object(), jv_parse("[\"spec\",\"template\",\"metadata\",\"annotations\","
						   "\"kubectl.kubernetes.io/restartedAt\"]"), jv_string(ts));
	jv res;
	if (k8s_request(call, &k.conn, "PATCH", path, dry_query(&k, jv_object()),
			"application/strategic-merge-patch+json", patch, &res) < 0) {
		*out = res;
		goto done;
	}
	jv meta = jvx_get(res, "metadata");
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("restartedAt"), jv_string(ts));
	*out = set_if(*out, "generation", jvx_get(meta, "generation"));
	jv_free(meta);
	jv_free(res);
	rc = 0;
done:
	return kc_close(&k, path, args, rc);
}

/* ------------------------------------------------------------------ waiting */

/* kubectl's rollout rule (DESIGN.md); 1 done, 0 not yet (*why set), -1 failed */
static int rollout_done(jv obj, char *why, size_t size)
{
	const char *kind = jvx_str(obj, "kind");
	jv meta = jvx_get(obj, "metadata"), spec = jvx_get(obj, "spec"), st = jvx_get(obj, "status");
	int gen = (int)jvx_num(meta, "generation", 0), obs = (int)jvx_num(st, "observedGeneration", 0);
	int want = (int)jvx_num(spec, "replicas", 1), updated = (int)jvx_num(st, "updatedReplicas", 0);
	int replicas = (int)jvx_num(st, "replicas", 0), available = (int)jvx_num(st, "availableReplicas", 0);
	int ready = (int)jvx_num(st, "readyReplicas", 0);
	int r = 0;
	if (gen > obs) {
		snprintf(why, size, "waiting for the rollout to be observed");
		goto out;
	}
	if (kind && !strcmp(kind, "StatefulSet")) {
		const char *cur = jvx_str(st, "currentRevision"), *upd = jvx_str(st, "updateRevision");
		if (ready < want)
			snprintf(why, size, "%d of %d pods ready", ready, want);
		else if (cur && upd && strcmp(cur, upd))
			snprintf(why, size, "%d of %d pods updated", updated, want);
		else
			r = 1;
		goto out;
	}
	jv conds = jvx_get(st, "conditions");
	if (jv_get_kind(conds) == JV_KIND_ARRAY) {
		jv_array_foreach(conds, i, c) {
			const char *t = jvx_str(c, "type"), *reason = jvx_str(c, "reason");
			if (t && !strcmp(t, "Progressing") && reason && !strcmp(reason, "ProgressDeadlineExceeded")) {
				snprintf(why, size, "%s", jvx_str(c, "message") ? jvx_str(c, "message") : "progress deadline exceeded");
				r = -1;
			}
			jv_free(c);
		}
	}
	jv_free(conds);
	if (r < 0)
		goto out;
	if (updated < want)
		snprintf(why, size, "%d of %d new replicas updated", updated, want);
	else if (replicas > updated)
		snprintf(why, size, "%d old replicas pending termination", replicas - updated);
	else if (available < updated)
		snprintf(why, size, "%d of %d updated replicas available", available, updated);
	else
		r = 1;
out:
	jv_free(meta);
	jv_free(spec);
	jv_free(st);
	return r;
}

/* a condition of type `cond` with status `want` */
static int has_condition(jv obj, const char *cond, const char *want)
{
	jv st = jvx_get(obj, "status");
	jv conds = jvx_get(st, "conditions");
	int ok = 0;
	if (jv_get_kind(conds) == JV_KIND_ARRAY) {
		jv_array_foreach(conds, i, c) {
			const char *t = jvx_str(c, "type"), *s = jvx_str(c, "status");
			if (t && s && !strcasecmp(t, cond) && !strcasecmp(s, want))
				ok = 1;
			jv_free(c);
		}
	}
	jv_free(conds);
	jv_free(st);
	return ok;
}

enum wait_for { WAIT_ROLLOUT, WAIT_CONDITION, WAIT_DELETED };

/* poll on the call's clock: short at first, backing off to 5 s */
static int poll_object(struct kc *k, const char *path, enum wait_for what, const char *cond, const char *want,
		       int64_t timeout, jv *out)
{
	struct action_call *call = k->call;
	int64_t start = clock_now(call->clock), interval = 500;
	int polls = 0;
	char why[512] = "";
	for (;;) {
		jv obj;
		polls++;
		int r = k8s_request(call, &k->conn, "GET", path, jv_null(), NULL, jv_invalid(), &obj);
		if (r < 0) {
			const char *code = jvx_str(obj, "code");
			if (what == WAIT_DELETED && code && !strcmp(code, "NotFound")) {
				jv_free(obj);
				*out = jv_object_set(jv_object(), jv_string("deleted"), jv_true());
				*out = jv_object_set(*out, jv_string("polls"), jv_number(polls));
				return 0;
			}
			if (!jvx_bool(obj, "transient", 0)) {
				*out = obj;
				return -1;
			}
			jv_free(obj);
		} else {
			int done = what == WAIT_ROLLOUT ? rollout_done(obj, why, sizeof(why))
				 : what == WAIT_CONDITION ? has_condition(obj, cond, want) : 0;
			if (done < 0) {
				jv_free(obj);
				*out = jvx_error("ProgressDeadlineExceeded", "%s", why);
				return -1;
			}
			if (done) {
				jv st = jvx_get(obj, "status");
				*out = jv_object();
				*out = jv_object_set(*out, jv_string("status"), st);
				*out = jv_object_set(*out, jv_string("polls"), jv_number(polls));
				*out = jv_object_set(*out, jv_string("waited_ms"), jv_number((double)(clock_now(call->clock) - start)));
				jv_free(obj);
				return 0;
			}
			if (what == WAIT_CONDITION)
				snprintf(why, sizeof(why), "condition %s is not %s", cond, want);
			if (what == WAIT_DELETED)
				snprintf(why, sizeof(why), "the object still exists");
			jv_free(obj);
		}
		int64_t now = clock_now(call->clock);
		if (now - start >= timeout) {
			char b[32];
			*out = jvx_error("Timeout", "gave up after %s: %s", dur_format(timeout, b, sizeof(b)), why);
			return -1;
		}
		if (call->deadline && now >= call->deadline) {
			*out = jvx_error("Timeout", "the step's timeout passed: %s", why);
			return -1;
		}
		int64_t sleep = interval < timeout - (now - start) ? interval : timeout - (now - start);
		if (clock_sleep(call->clock, sleep, call->cancel) < 0) {
			*out = jvx_error("Cancelled", "cancelled while waiting: %s", why);
			return -1;
		}
		interval = interval * 3 / 2 > 5000 ? 5000 : interval * 3 / 2;
	}
}

static const struct action_arg status_args[] = {
	{ "kind", ARG_STRING, 0, "\"Deployment\"", "Deployment or StatefulSet" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ "timeout", ARG_DURATION, ARG_NONEMPTY, "\"10m\"", "give up after this long" },
	{ NULL, 0, 0, NULL, NULL },
};

static int k8s_rollout_status(struct action_call *call, jv args, jv *out)
{
	struct kc k;
	char *path = NULL;
	int rc = -1;
	if (kc_open(&k, call, args, out) < 0 || obj_path(&k, arg_s(&k, "kind"), arg_s(&k, "name"), &path, out) < 0)
		goto done;
	rc = poll_object(&k, path, WAIT_ROLLOUT, NULL, NULL, actarg_ms(call, args, "timeout", 600000), out);
done:
	return kc_close(&k, path, args, rc);
}

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

static int k8s_wait(struct action_call *call, jv args, jv *out)
{
	struct kc k;
	char *path = NULL;
	int rc = -1;
	int deleted = jvx_bool(args, "deleted", 0);
	const char *cond = jvx_str(args, "condition");
	k.conn = (struct k8s_conn){ 0 };
	if (!deleted && !cond) {
		*out = jvx_error("BadArgs", "k8s.wait needs a condition, or deleted: true");
		goto done;
	}
	if (kc_open(&k, call, args, out) < 0 || obj_path(&k, arg_s(&k, "kind"), arg_s(&k, "name"), &path, out) < 0)
		goto done;
	rc = poll_object(&k, path, deleted ? WAIT_DELETED : WAIT_CONDITION, cond, jvx_str(args, "status"),
			 actarg_ms(call, args, "timeout", 300000), out);
done:
	return kc_close(&k, path, args, rc);
}

/* ------------------------------------------------------------------ env, secrets, config */

static const struct action_arg env_args[] = {
	{ "kind", ARG_STRING, 0, "\"Deployment\"", "Deployment, StatefulSet or DaemonSet" },
	{ "name", ARG_STRING, ARG_REQUIRED, NULL, "object name" },
	{ "env", ARG_MAP, ARG_REQUIRED, NULL, "variables to set (name: value); a null value removes the variable" },
	{ "container", ARG_STRING, 0, NULL, "only this container (default: every container)" },
	{ "namespace", ARG_STRING, 0, NULL, "namespace (default: the context's)" },
	{ NULL, 0, 0, NULL, NULL },
};

static int k8s_set_env(struct action_call *call, jv args, jv *out)
{
	struct kc k;
	char *path = NULL;
	int rc = -1;
	if (kc_open(&k, call, args, out) < 0 || obj_path(&k, arg_s(&k, "kind"), arg_s(&k, "name"), &path, out) < 0)
		goto done;
	jv obj;
	if (k8s_request(call, &k.conn, "GET", path, jv_null(), NULL, jv_invalid(), &obj) < 0) {
		*out = obj;
		goto done;
	}
	jv containers = jv_getpath(jv_copy(obj), jv_parse("[\"spec\",\"template\",\"spec\",\"containers\"]"));
	jv_free(obj);
	const char *only = jvx_str(args, "container");
	jv env = jvx_get(args, "env");
	jv list = jv_array(), names = jv_array();
	jv_array_foreach(containers, i, c) {
		const char *cn = jvx_str(c, "name");
		if (cn && (!only || !strcmp(only, cn))) {
			jv e = jv_array();
			jv_object_foreach(env, key, v) {
				jv item = jv_object_set(jv_object(), jv_string("name"), jv_copy(key));
				if (jv_get_kind(v) == JV_KIND_NULL)
					item = jv_object_set(item, jv_string("$patch"), jv_string("delete"));
				else if (jv_get_kind(v) == JV_KIND_STRING)
					item = jv_object_set(item, jv_string("value"), jv_copy(v));
				else {
					char *t = jvx_text(jv_copy(v));
					item = jv_object_set(item, jv_string("value"), jv_string(t));
					free(t);
				}
				e = jv_array_append(e, item);
				jv_free(key);
				jv_free(v);
			}
			jv pc = jv_object_set(jv_object(), jv_string("name"), jv_string(cn));
			pc = jv_object_set(pc, jv_string("env"), e);
			list = jv_array_append(list, pc);
			names = jv_array_append(names, jv_string(cn));
		}
		jv_free(c);
	}
	jv_free(containers);
	jv_free(env);
	if (jv_array_length(jv_copy(list)) == 0) {
		*out = only ? jvx_error("NotFound", "no container '%s' in %s '%s'", only, arg_s(&k, "kind"), arg_s(&k, "name"))
			    : jvx_error("NotFound", "%s '%s' has no containers", arg_s(&k, "kind"), arg_s(&k, "name"));
		jv_free(list);
		jv_free(names);
		goto done;
	}
	jv patch = jv_setpath(jv_object(), jv_parse("[\"spec\",\"template\",\"spec\",\"containers\"]"), list);
	jv res;
	if (k8s_request(call, &k.conn, "PATCH", path, dry_query(&k, jv_object()),
			"application/strategic-merge-patch+json", patch, &res) < 0) {
		*out = res;
		jv_free(names);
		goto done;
	}
	jv meta = jvx_get(res, "metadata");
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("containers"), names);
	*out = set_if(*out, "generation", jvx_get(meta, "generation"));
	jv_free(meta);
	jv_free(res);
	rc = 0;
done:
	return kc_close(&k, path, args, rc);
}

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

/* set keys of a Secret (base64) or ConfigMap (text), creating it if allowed */
static int set_keys(struct action_call *call, jv args, jv *out, int secret)
{
	struct kc k;
	char *path = NULL, *cpath = NULL;
	const char *kind = secret ? "Secret" : "ConfigMap";
	int rc = -1;
	jv data = jv_object(), keys = jv_array();
	jv in = jvx_get(args, "data");
	jv_object_foreach(in, key, v) {
		char *text = jv_get_kind(v) == JV_KIND_STRING ? xstrdup(jv_string_value(v)) : jvx_text(jv_copy(v));
		if (secret) {
			redact_add(call->redact, text);
			char *enc = b64_encode(text, strlen(text), 0);
			redact_add(call->redact, enc);
			data = jv_object_set(data, jv_copy(key), jv_string(enc));
			free(enc);
		} else {
			data = jv_object_set(data, jv_copy(key), jv_string(text));
		}
		keys = jv_array_append(keys, key);
		free(text);
		jv_free(v);
	}
	jv_free(in);
	if (kc_open(&k, call, args, out) < 0 || obj_path(&k, kind, arg_s(&k, "name"), &path, out) < 0 ||
	    obj_path(&k, kind, NULL, &cpath, out) < 0)
		goto done;
	jv patch = jv_object_set(jv_object(), jv_string("data"), jv_copy(data));
	jv res;
	int created = 0;
	if (k8s_request(call, &k.conn, "PATCH", path, dry_query(&k, jv_object()), "application/merge-patch+json", patch,
			&res) < 0) {
		const char *code = jvx_str(res, "code");
		if (!(code && !strcmp(code, "NotFound") && jvx_bool(args, "create", 1))) {
			*out = res;
			goto done;
		}
		jv_free(res);
		jv obj = jv_object();
		obj = jv_object_set(obj, jv_string("apiVersion"), jv_string("v1"));
		obj = jv_object_set(obj, jv_string("kind"), jv_string(kind));
		obj = jv_setpath(obj, jv_parse("[\"metadata\",\"name\"]"), jv_string(arg_s(&k, "name")));
		if (secret)
			obj = jv_object_set(obj, jv_string("type"), jv_string(jvx_str(args, "type") ? jvx_str(args, "type") : "Opaque"));
		obj = jv_object_set(obj, jv_string("data"), jv_copy(data));
		if (k8s_request(call, &k.conn, "POST", cpath, dry_query(&k, jv_object()), NULL, obj, &res) < 0) {
			*out = res;
			goto done;
		}
		created = 1;
	}
	jv meta = jvx_get(res, "metadata");
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("name"), jv_string(arg_s(&k, "name")));
	*out = jv_object_set(*out, jv_string("keys"), keys);
	*out = jv_object_set(*out, jv_string("created"), jv_bool(created));
	*out = set_if(*out, "resourceVersion", jvx_get(meta, "resourceVersion"));
	keys = jv_invalid();
	jv_free(meta);
	jv_free(res);
	rc = 0;
done:
	jv_free(data);
	jv_free(keys);
	free(path);
	free(cpath);
	k8s_conn_release(&k.conn);
	jv_free(args);
	return rc;
}

static int k8s_secret_set(struct action_call *call, jv args, jv *out)
{
	return set_keys(call, args, out, 1);
}

static int k8s_configmap_set(struct action_call *call, jv args, jv *out)
{
	return set_keys(call, args, out, 0);
}

/* ------------------------------------------------------------------ backup */

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

/* what a restore must not carry back: server-set fields */
static jv strip(jv obj)
{
	static const char *const meta_fields[] = { "managedFields", "resourceVersion", "uid", "creationTimestamp",
						   "generation", "selfLink", "deletionTimestamp", NULL };
	jv meta = jvx_get(obj, "metadata");
	for (const char *const *f = meta_fields; *f; f++)
		meta = jv_object_delete(meta, jv_string(*f));
	jv ann = jvx_get(meta, "annotations");
	if (jv_get_kind(ann) == JV_KIND_OBJECT) {
		ann = jv_object_delete(ann, jv_string("kubectl.kubernetes.io/last-applied-configuration"));
		ann = jv_object_delete(ann, jv_string("deployment.kubernetes.io/revision"));
		meta = jv_object_length(jv_copy(ann)) ? jv_object_set(meta, jv_string("annotations"), ann)
						     : (jv_free(ann), jv_object_delete(meta, jv_string("annotations")));
	} else {
		jv_free(ann);
	}
	obj = jv_object_set(obj, jv_string("metadata"), meta);
	return jv_object_delete(obj, jv_string("status"));
}

/* Backups hold Secret data: the folder is ours alone. Parents are created 0700 as
 * needed; the folder itself is created 0700, or, when it exists, must be a real
 * directory (not a symlink) owned by us with no group or other access. The returned
 * descriptor is the one the files are created through (openat), so the folder checked
 * is the folder written. -1 with *out set. */
static int backup_dir_open(const char *dir, jv *out)
{
	char tmp[4096];
	struct stat st;
	int fd;
	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp) || !*dir) {
		*out = jvx_error("BadArgs", "backup folder '%s' is not a usable path", dir);
		return -1;
	}
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/' && p[1]) {
			*p = 0;
			if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
				goto fail;
			*p = '/';
		}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR) {
			*out = jvx_error("BadArgs", "backup folder '%s' is a symlink or not a folder: refused", dir);
			return -1;
		}
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		goto fail;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		*out = jvx_error("BadArgs", "backup folder '%s' exists with owner uid %ld and mode %04o: refused "
				 "(it would hold Secret data; give a new folder, or one of yours with mode 0700)",
				 dir, (long)st.st_uid, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	return fd;
fail:
	*out = jvx_error("BadArgs", "cannot create '%s': %s", dir, strerror(errno));
	return -1;
}

/* 0600, created here: never through a symlink, never into a file someone else made
 * (an earlier attempt of this step left one: replaced) */
static int backup_write(int dfd, const char *name, const char *text)
{
	int fd = -1;
	for (int tries = 0; fd < 0 && tries < 2; tries++) {
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && (errno != EEXIST || unlinkat(dfd, name, 0) < 0))
			return -1;
	}
	if (fd < 0)
		return -1;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (write(fd, "\n", 1) != 1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* k8s-backup-STEP in the run's folder (a `uses:` step's qualified id: / becomes -) */
static char *default_backup_dir(struct action_call *call)
{
	if (!call->work_dir)
		return NULL;
	struct buf b = BUF_INIT(0);
	if (buf_addf(&b, "%s/k8s-backup-%s", call->work_dir, call->step_id ? call->step_id : "step") < 0)
		BUG("uncapped buffer refused an add");
	for (char *p = b.data + strlen(call->work_dir) + 1; *p; p++)
		if (*p == '/')
			*p = '-';
	return buf_detach(&b);
}

static int k8s_backup(struct action_call *call, jv args, jv *out)
{
	struct kc k;
	int rc = -1;
	jv files = jv_array();
	char *dir = jvx_str(args, "dir") ? xstrdup(jvx_str(args, "dir")) : default_backup_dir(call);
	jv only = jvx_get(args, "names");
	int dfd = -1;
	if (kc_open(&k, call, args, out) < 0)
		goto done;
	if (!dir) {
		*out = jvx_error("BadArgs", "k8s.backup needs dir: here (no run folder to keep the backup in)");
		goto done;
	}
	if ((dfd = backup_dir_open(dir, out)) < 0)
		goto done;
	jv kinds = jvx_get(args, "kinds");
	int failed = 0;
	jv_array_foreach(kinds, i, kv) {
		char *path = NULL;
		const char *kind = jv_get_kind(kv) == JV_KIND_STRING ? jv_string_value(kv) : "";
		if (failed || k8s_path(call, &k.conn, NULL, kind, arg_s(&k, "namespace"), NULL, &path, out) < 0) {
			failed = 1;
			jv_free(kv);
			continue;
		}
		jv q = jv_object();
		if (arg_s(&k, "label_selector"))
			q = jv_object_set(q, jv_string("labelSelector"), jv_string(arg_s(&k, "label_selector")));
		jv list;
		if (k8s_request(call, &k.conn, "GET", path, q, NULL, jv_invalid(), &list) < 0) {
			*out = list;
			failed = 1;
			free(path);
			jv_free(kv);
			continue;
		}
		free(path);
		jv items = jvx_get(list, "items");
		jv_free(list);
		jv_array_foreach(items, j, it) {
			jv meta = jvx_get(it, "metadata");
			const char *name = jvx_str(meta, "name"), *ns = jvx_str(meta, "namespace");
			int wanted = jv_get_kind(only) != JV_KIND_ARRAY;
			if (!wanted && name) {
				jv_array_foreach(only, n, nm) {
					if (jv_get_kind(nm) == JV_KIND_STRING && !strcmp(jv_string_value(nm), name))
						wanted = 1;
					jv_free(nm);
				}
			}
			if (wanted && name && !failed) {
				jv obj = strip(jv_copy(it));
				/* lists leave kind/apiVersion out of their items; a backup needs them */
				if (!jvx_has(obj, "kind"))
					obj = jv_object_set(obj, jv_string("kind"), jv_string(kind));
				taint_secret(call, obj);
				char base[1024], file[4096];
				snprintf(base, sizeof(base), "%s.%s.%s.json", ns ? ns : "_cluster", kind, name);
				snprintf(file, sizeof(file), "%s/%s", dir, base);
				char *text = jvx_dump(jv_copy(obj));
				if (strchr(base, '/') || base[0] == '.') {
					*out = jvx_error("BadArgs", "object name '%s' cannot be a file name", name);
					failed = 1;
				} else if (backup_write(dfd, base, text) < 0) {
					*out = jvx_error("IOError", "cannot write '%s': %s", file, strerror(errno));
					failed = 1;
				} else {
					files = jv_array_append(files, jv_string(file));
				}
				free(text);
				jv_free(obj);
			}
			jv_free(meta);
			jv_free(it);
		}
		jv_free(items);
		jv_free(kv);
	}
	jv_free(kinds);
	if (!failed) {
		*out = jv_object();
		*out = jv_object_set(*out, jv_string("dir"), jv_string(dir));
		*out = jv_object_set(*out, jv_string("count"), jv_number(jv_array_length(jv_copy(files))));
		*out = jv_object_set(*out, jv_string("files"), files);
		files = jv_invalid();
		rc = 0;
	}
done:
	if (dfd >= 0)
		close(dfd);
	free(dir);
	jv_free(files);
	jv_free(only);
	k8s_conn_release(&k.conn);
	jv_free(args);
	return rc;
}

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
