/* k8s_call.c — what every k8s action shares: the call's connection (k8s_call_open /
 * k8s_call_close), object paths, dryRun=All, tainting a Secret's values. */
#include <stdlib.h>
#include <string.h>
#include "k8s_actions.h"
#include "../../core/b64.h"
#include "../../core/jvx.h"
#include "../../core/redact.h"

int k8s_call_open(struct k8s_call *k, struct action_call *call, jv args, jv *out)
{
	k->call = call;
	k->args = args;
	k->dry = (call->flags & CALL_DRY_RUN) != 0;
	return k8s_conn_load(call, &k->conn, out);
}

/* every action ends here: frees what k8s_call_open and k8s_obj_path made, and the args */
int k8s_call_close(struct k8s_call *k, char *path, jv args, int rc)
{
	free(path);
	k8s_conn_release(&k->conn);
	jv_free(args);
	return rc;
}

const char *k8s_arg(struct k8s_call *k, const char *name)
{
	return jvx_str(k->args, name);
}

jv k8s_dry_query(struct k8s_call *k, jv q)
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
int k8s_obj_path(struct k8s_call *k, const char *kind, const char *name, char **path, jv *out)
{
	return k8s_path(k->call, &k->conn, k8s_arg(k, "api_version"), kind, k8s_arg(k, "namespace"), name, path, out);
}

/* every value of a Secret (data base64-decoded, stringData) is tainted */
void k8s_taint_secret(struct action_call *call, jv obj)
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
jv k8s_set_if(jv obj, const char *key, jv v)
{
	if (!jv_is_valid(v)) {
		jv_free(v);
		return obj;
	}
	return jv_object_set(obj, jv_string(key), v);
}
