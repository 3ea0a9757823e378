/* aws.c — the aws module: connection settings and the action table (RDS, ElastiCache,
 * S3, Secrets Manager, aws.call). The per-service tables live in their files and are
 * joined here once, before main() runs, into the one table registry.c sees. */
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <libxml/parser.h>
#include "aws.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"

static const struct action_arg conn_args[] = {
	{"region", ARG_STRING, 0, NULL,
	 "AWS region; else AWS_REGION, AWS_DEFAULT_REGION, the profile's region, the instance's (IMDSv2)"},
	{"profile", ARG_STRING, 0, NULL,
	 "profile in ~/.aws/credentials and ~/.aws/config (environment keys are then ignored, like aws --profile)"},
	{"endpoint", ARG_STRING, 0, NULL,
	 "endpoint URL for every service (e.g. a simulator); else AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's services section, its endpoint_url (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)"},
	{"credentials", ARG_MAP, ARG_SECRET, NULL,
	 "{access_key_id, secret_access_key, session_token}: explicit keys, for simulators and rehearsals (runbook rehearse passes dummy ones); real runs should use the environment or a profile"},
	{NULL},
};

#define MAX_ACTIONS 64
static struct action_desc all_actions[MAX_ACTIONS + 1];

__attribute__((constructor)) static void aws_join_tables(void)
{
	const struct action_desc *tables[] = {
		aws_rds_actions, aws_elasticache_actions, aws_s3_actions, aws_secrets_actions,
		aws_call_actions, aws_route53_actions,
	};
	int n = 0;
	for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
		for (const struct action_desc *d = tables[t]; d->name; d++) {
			if (n >= MAX_ACTIONS)
				BUG("aws: more actions than MAX_ACTIONS");
			all_actions[n++] = *d;
		}
	memset(&all_actions[n], 0, sizeof all_actions[n]);
}

static int aws_init(void)
{
	xmlInitParser();
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static void aws_cleanup(void)
{
	aws_creds_cache_clear();
}

/* a rehearsal: the simulator's endpoint and dummy keys; a region when none is set */
static jv aws_rehearsal_conn(jv user, const struct rehearsal_env *env)
{
	if (!env->aws_endpoint)
		return jv_null();
	jv c = jv_object_set(jv_object(), jv_string("endpoint"), jv_string(env->aws_endpoint));
	jv cred = jv_object();
	cred = jv_object_set(cred, jv_string("access_key_id"), jv_string(env->access_key_id));
	cred = jv_object_set(cred, jv_string("secret_access_key"), jv_string(env->secret_access_key));
	c = jv_object_set(c, jv_string("credentials"), cred);
	if (!jv_object_has(jv_copy(user), jv_string("region")) && !getenv("AWS_REGION") &&
	    !getenv("AWS_DEFAULT_REGION"))
		c = jv_object_set(c, jv_string("region"), jv_string("us-east-1"));
	return c;
}

const struct module_desc aws_module = {
	.name = "aws",
	.summary = "AWS RDS, ElastiCache, S3, Secrets Manager and any query / JSON 1.1 operation",
	.actions = all_actions,
	.conn_args = conn_args,
	.conn_named = 0,
	.init = aws_init,
	.cleanup = aws_cleanup,
	.rehearsal_conn = aws_rehearsal_conn,
};

/* ---- helpers shared by the action files */
void aws_param(jv *params, jv args, const char *argname, const char *field)
{
	jv v = jv_object_get(jv_copy(args), jv_string(argname));
	if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		return;
	}
	*params = jv_object_set(*params, jv_string(field), v);
}

jv aws_tags_list(jv map)
{
	jv out = jv_array();
	if (jv_get_kind(map) != JV_KIND_OBJECT) {
		jv_free(map);
		return out;
	}
	jv_object_foreach(map, k, v) {
		jv t = jv_object();
		t = jv_object_set(t, jv_string("Key"), k);
		if (jv_get_kind(v) == JV_KIND_STRING)
			t = jv_object_set(t, jv_string("Value"), v);
		else
			t = jv_object_set(t, jv_string("Value"), jvx_dump_string(v, 0));
		out = jv_array_append(out, t);
	}
	jv_free(map);
	return out;
}

int aws_err_is(jv err, const char *code)
{
	if (jv_get_kind(err) != JV_KIND_OBJECT)
		return 0;
	jv c = jv_object_get(jv_copy(err), jv_string("code"));
	int r = jv_get_kind(c) == JV_KIND_STRING && !strcmp(jv_string_value(c), code);
	jv_free(c);
	return r;
}

int aws_simple_query(struct action_call *call, const char *region, const struct aws_service *svc,
		     const char *op, jv params, const char *pick, jv *out)
{
	struct aws_client c;
	jv res;
	if (aws_client_for_call(&c, call, region, out) < 0) {
		jv_free(params);
		return -1;
	}
	int r = aws_query_call(&c, svc, op, params, &res, out);
	aws_client_release(&c);
	if (r < 0)
		return -1;
	if (!pick) {
		*out = res;
		return 0;
	}
	jv v = jv_object_get(res, jv_string(pick));
	if (!jv_is_valid(v)) {
		jv_free(v);
		*out = jvx_error("InvalidResponse", "%s: reply has no %s", op, pick);
		return -1;
	}
	*out = v;
	return 0;
}

int aws_first(jv res, const char *list, const char *code, const char *what, const char *id, jv *out)
{
	jv l = jv_object_get(res, jv_string(list));
	if (jv_get_kind(l) == JV_KIND_ARRAY && jv_array_length(jv_copy(l)) > 0) {
		*out = jv_array_get(l, 0);
		return 0;
	}
	jv_free(l);
	*out = jvx_error(code, "%s '%s' not found", what, id ? id : "");
	return -1;
}

const char *aws_arg_region(jv args)
{
	return jvx_str(args, "region");
}
