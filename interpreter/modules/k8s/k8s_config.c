/* k8s_config.c — the k8s actions on configuration: set_env on a workload's containers,
 * secret_set and configmap_set (keys set, object created if allowed). */
#include <stdlib.h>
#include <string.h>
#include "k8s_actions.h"
#include "../../core/b64.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"
#include "../../core/redact.h"

/* ------------------------------------------------------------------ env, secrets, config */

int k8s_set_env(struct action_call *call, jv args, jv *out)
{
	struct k8s_call k;
	char *path = NULL;
	int rc = -1;
	if (k8s_call_open(&k, call, args, out) < 0 || k8s_obj_path(&k, k8s_arg(&k, "kind"), k8s_arg(&k, "name"), &path, out) < 0)
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
		*out = only ? jvx_error("NotFound", "no container '%s' in %s '%s'", only, k8s_arg(&k, "kind"), k8s_arg(&k, "name"))
			    : jvx_error("NotFound", "%s '%s' has no containers", k8s_arg(&k, "kind"), k8s_arg(&k, "name"));
		jv_free(list);
		jv_free(names);
		goto done;
	}
	jv patch = jv_setpath(jv_object(), jv_parse("[\"spec\",\"template\",\"spec\",\"containers\"]"), list);
	jv res;
	if (k8s_request(call, &k.conn, "PATCH", path, k8s_dry_query(&k, jv_object()),
			"application/strategic-merge-patch+json", patch, &res) < 0) {
		*out = res;
		jv_free(names);
		goto done;
	}
	jv meta = jvx_get(res, "metadata");
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("containers"), names);
	*out = k8s_set_if(*out, "generation", jvx_get(meta, "generation"));
	jv_free(meta);
	jv_free(res);
	rc = 0;
done:
	return k8s_call_close(&k, path, args, rc);
}

/* set keys of a Secret (base64) or ConfigMap (text), creating it if allowed */
static int set_keys(struct action_call *call, jv args, jv *out, int secret)
{
	struct k8s_call k;
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
	if (k8s_call_open(&k, call, args, out) < 0 || k8s_obj_path(&k, kind, k8s_arg(&k, "name"), &path, out) < 0 ||
	    k8s_obj_path(&k, kind, NULL, &cpath, out) < 0)
		goto done;
	jv patch = jv_object_set(jv_object(), jv_string("data"), jv_copy(data));
	jv res;
	int created = 0;
	if (k8s_request(call, &k.conn, "PATCH", path, k8s_dry_query(&k, jv_object()), "application/merge-patch+json", patch,
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
		obj = jv_setpath(obj, jv_parse("[\"metadata\",\"name\"]"), jv_string(k8s_arg(&k, "name")));
		if (secret)
			obj = jv_object_set(obj, jv_string("type"), jv_string(jvx_str(args, "type") ? jvx_str(args, "type") : "Opaque"));
		obj = jv_object_set(obj, jv_string("data"), jv_copy(data));
		if (k8s_request(call, &k.conn, "POST", cpath, k8s_dry_query(&k, jv_object()), NULL, obj, &res) < 0) {
			*out = res;
			goto done;
		}
		created = 1;
	}
	jv meta = jvx_get(res, "metadata");
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("name"), jv_string(k8s_arg(&k, "name")));
	*out = jv_object_set(*out, jv_string("keys"), keys);
	*out = jv_object_set(*out, jv_string("created"), jv_bool(created));
	*out = k8s_set_if(*out, "resourceVersion", jvx_get(meta, "resourceVersion"));
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

int k8s_secret_set(struct action_call *call, jv args, jv *out)
{
	return set_keys(call, args, out, 1);
}

int k8s_configmap_set(struct action_call *call, jv args, jv *out)
{
	return set_keys(call, args, out, 0);
}
