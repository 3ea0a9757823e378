/* secrets.c — Secrets Manager actions (JSON 1.1). Secret values read are tainted with
 * redact_add() before they are returned: only the value fields (SecretString, its
 * parsed JSON, SecretBinary), so the name, ARN and version id stay readable. Values
 * written are ARG_SECRET. Writes carry a ClientRequestToken derived from the secret, the
 * value and the step, so re-running after a crash is idempotent on AWS's side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aws.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"
#include "../../core/redact.h"

static int sm_call(struct action_call *call, jv args, const char *op, jv params, jv *out)
{
	struct aws_client c;
	if (aws_client_for_call(&c, call, aws_arg_region(args), out) < 0) {
		jv_free(params);
		return -1;
	}
	int r = aws_json_call(&c, &aws_svc_secrets, op, params, out, out);
	aws_client_release(&c);
	return r;
}

/* a UUID-shaped token from sha256(parts...) */
static jv request_token(const char *a, const char *b, const char *d)
{
	int berr = 0;
	struct buf s = BUF_INIT(0);
	char h[65];
	berr |= buf_addf(&s, "%s\n%s\n%s", a ? a : "", b ? b : "", d ? d : "");
	BUF_NOCAP(berr);
	aws_sha256_hex(s.data, s.len, h);
	memset(s.data, 0, s.len);
	buf_release(&s);
	char u[37];
	snprintf(u, sizeof u, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
	return jv_string(u);
}

static int run_describe(struct action_call *call, jv args, jv *out)
{
	jv p = jv_object();
	aws_param(&p, args, "secret", "SecretId");
	int r = sm_call(call, args, "DescribeSecret", p, out);
	jv_free(args);
	return r;
}

static int list_versions(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	jv all = jv_array(), last = jv_null();
	char *tok = NULL;
	int r = -1;
	if (aws_client_for_call(&c, call, aws_arg_region(args), out) < 0)
		return -1;
	for (int page = 0; page < 1000; page++) {
		jv p = jv_object();
		aws_param(&p, args, "secret", "SecretId");
		aws_param(&p, args, "include_deprecated", "IncludeDeprecated");
		if (tok)
			p = jv_object_set(p, jv_string("NextToken"), jv_string(tok));
		free(tok);
		tok = NULL;
		jv res;
		if (aws_json_call(&c, &aws_svc_secrets, "ListSecretVersionIds", p, &res, out) < 0)
			goto out;
		jv v = jvx_get(res, "Versions");
		if (jv_get_kind(v) == JV_KIND_ARRAY)
			all = jv_array_concat(all, v);
		else
			jv_free(v);
		if (jvx_str(res, "NextToken") && *jvx_str(res, "NextToken"))
			tok = xstrdup(jvx_str(res, "NextToken"));
		jv_free(last);
		last = res;
		if (!tok)
			break;
	}
	last = jv_object_delete(last, jv_string("NextToken"));
	*out = jv_object_set(last, jv_string("Versions"), all);
	last = all = jv_invalid();
	r = 0;
out:
	jv_free(all);
	jv_free(last);
	free(tok);
	aws_client_release(&c);
	return r;
}

static int run_list_versions(struct action_call *call, jv args, jv *out)
{
	int r = list_versions(call, args, out);
	jv_free(args);
	return r;
}

static void taint(struct action_call *call, jv v)
{
	if (call->redact)
		redact_add_jv(call->redact, v);
	else
		jv_free(v);
}

static int run_get_value(struct action_call *call, jv args, jv *out)
{
	jv p = jv_object();
	aws_param(&p, args, "secret", "SecretId");
	aws_param(&p, args, "stage", "VersionStage");
	aws_param(&p, args, "version_id", "VersionId");
	int r = sm_call(call, args, "GetSecretValue", p, out);
	if (r == 0) {
		/* taint first, before anything else can see the value */
		jv s = jvx_get(*out, "SecretString");
		if (jv_get_kind(s) == JV_KIND_STRING) {
			taint(call, jv_copy(s));
			if (jvx_bool(args, "json", 0)) {
				jv parsed = jvx_parse_sized(jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
				if (!jv_is_valid(parsed)) {
					jv_free(parsed);
					jv_free(*out);
					*out = jvx_error("InvalidSecretJson", "secret '%s' is not JSON (json: true)",
							 jvx_str(args, "secret"));
					r = -1;
				} else {
					taint(call, jv_copy(parsed));
					*out = jv_object_set(*out, jv_string("json"), parsed);
				}
			}
		}
		jv_free(s);
		jv b = jvx_get(r == 0 ? *out : jv_null(), "SecretBinary");
		if (jv_get_kind(b) == JV_KIND_STRING)
			taint(call, jv_copy(b));
		jv_free(b);
	}
	jv_free(args);
	return r;
}

static int run_put_value(struct action_call *call, jv args, jv *out)
{
	jv p = jv_object();
	aws_param(&p, args, "secret", "SecretId");
	aws_param(&p, args, "value", "SecretString");
	aws_param(&p, args, "stages", "VersionStages");
	p = jv_object_set(p, jv_string("ClientRequestToken"),
			  request_token(jvx_str(args, "secret"), jvx_str(args, "value"), call->step_id));
	int r = sm_call(call, args, "PutSecretValue", p, out);
	jv_free(args);
	return r;
}

static int run_create(struct action_call *call, jv args, jv *out)
{
	jv p = jv_object();
	aws_param(&p, args, "name", "Name");
	aws_param(&p, args, "value", "SecretString");
	aws_param(&p, args, "description", "Description");
	aws_param(&p, args, "kms_key_id", "KmsKeyId");
	jv tags = jvx_get(args, "tags");
	if (jv_get_kind(tags) == JV_KIND_OBJECT && jv_object_length(jv_copy(tags)) > 0)
		p = jv_object_set(p, jv_string("Tags"), aws_tags_list(jv_copy(tags)));
	jv_free(tags);
	p = jv_object_set(p, jv_string("ClientRequestToken"),
			  request_token(jvx_str(args, "name"), jvx_str(args, "value"), call->step_id));
	int r = sm_call(call, args, "CreateSecret", p, out);
	jv_free(args);
	return r;
}

static int run_restore_secret(struct action_call *call, jv args, jv *out)
{
	jv p = jv_object();
	aws_param(&p, args, "secret", "SecretId");
	int r = sm_call(call, args, "RestoreSecret", p, out);
	jv_free(args);
	return r;
}

/* the version ids holding a stage in DescribeSecret's VersionIdsToStages; borrows d */
static char *version_with_stage(jv d, const char *stage)
{
	jv m = jvx_get(d, "VersionIdsToStages");
	char *found = NULL;
	if (jv_get_kind(m) == JV_KIND_OBJECT) {
		jv_object_foreach(m, k, stages) {
			if (!found && jv_get_kind(stages) == JV_KIND_ARRAY) {
				jv_array_foreach(stages, i, s) {
					if (jv_get_kind(s) == JV_KIND_STRING && !strcmp(jv_string_value(s), stage) && !found)
						found = xstrdup(jv_string_value(k));
					jv_free(s);
				}
			}
			jv_free(k);
			jv_free(stages);
		}
	}
	jv_free(m);
	return found;
}

static int run_restore_previous(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	char *cur = NULL, *prev = NULL;
	jv d = jv_null();
	int r = -1;
	const char *secret = jvx_str(args, "secret");
	if (aws_client_for_call(&c, call, aws_arg_region(args), out) < 0)
		goto done;
	jv p = jv_object_set(jv_object(), jv_string("SecretId"), jv_string(secret));
	if (aws_json_call(&c, &aws_svc_secrets, "DescribeSecret", p, &d, out) < 0) {
		d = jv_null();
		goto out;
	}
	cur = version_with_stage(d, "AWSCURRENT");
	prev = version_with_stage(d, "AWSPREVIOUS");
	if (!prev || !cur) {
		*out = jvx_error("ResourceNotFoundException", "secret '%s' has no %s version", secret,
				 !prev ? "AWSPREVIOUS" : "AWSCURRENT");
		goto out;
	}
	/* one call: AWSCURRENT moves to the previous version; AWS then labels the version
	 * that was current AWSPREVIOUS */
	p = jv_object();
	p = jv_object_set(p, jv_string("SecretId"), jv_string(secret));
	p = jv_object_set(p, jv_string("VersionStage"), jv_string("AWSCURRENT"));
	p = jv_object_set(p, jv_string("MoveToVersionId"), jv_string(prev));
	p = jv_object_set(p, jv_string("RemoveFromVersionId"), jv_string(cur));
	jv res;
	if (aws_json_call(&c, &aws_svc_secrets, "UpdateSecretVersionStage", p, &res, out) < 0)
		goto out;
	res = jv_object_set(res, jv_string("VersionId"), jv_string(prev));
	res = jv_object_set(res, jv_string("PreviousVersionId"), jv_string(cur));
	*out = res;
	r = 0;
out:
	jv_free(d);
	free(cur);
	free(prev);
	aws_client_release(&c);
done:
	jv_free(args);
	return r;
}

#define REGION_ARG {"region", ARG_STRING, 0, NULL, "region for this call (default: the connection's)"}
static const struct action_arg a_secret[] = {
	{"secret", ARG_STRING, ARG_REQUIRED, NULL, "secret name or ARN"}, REGION_ARG, {NULL}};
static const struct action_arg a_list[] = {
	{"secret", ARG_STRING, ARG_REQUIRED, NULL, "secret name or ARN"},
	{"include_deprecated", ARG_BOOL, 0, NULL, "IncludeDeprecated"}, REGION_ARG, {NULL}};
static const struct action_arg a_get[] = {
	{"secret", ARG_STRING, ARG_REQUIRED, NULL, "secret name or ARN"},
	{"stage", ARG_STRING, 0, NULL, "VersionStage, e.g. AWSPREVIOUS (default AWSCURRENT)"},
	{"version_id", ARG_STRING, 0, NULL, "VersionId"},
	{"json", ARG_BOOL, 0, "false", "also parse SecretString as JSON into .json"}, REGION_ARG, {NULL}};
static const struct action_arg a_put[] = {
	{"secret", ARG_STRING, ARG_REQUIRED, NULL, "secret name or ARN"},
	{"value", ARG_STRING, ARG_REQUIRED | ARG_SECRET, NULL, "SecretString"},
	{"stages", ARG_LIST, 0, NULL, "VersionStages (default AWSCURRENT)"}, REGION_ARG, {NULL}};
static const struct action_arg a_create[] = {
	{"name", ARG_STRING, ARG_REQUIRED, NULL, "Name"},
	{"value", ARG_STRING, ARG_REQUIRED | ARG_SECRET, NULL, "SecretString"},
	{"description", ARG_STRING, 0, NULL, "Description"},
	{"kms_key_id", ARG_STRING, 0, NULL, "KmsKeyId"},
	{"tags", ARG_MAP, 0, NULL, "tags {key: value}"}, REGION_ARG, {NULL}};

static const struct action_result r_version[] = {
	{"VersionId", ARG_STRING, "version id", NULL},
	{"VersionStages", ARG_LIST, "its stages (AWSCURRENT, AWSPREVIOUS, ...)", NULL},
	{"CreatedDate", ARG_TIMESTAMP, "when it was created", NULL},
	{"LastAccessedDate", ARG_TIMESTAMP, "last read (day)", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_describe[] = {
	{"ARN", ARG_STRING, "secret ARN", NULL},
	{"Name", ARG_STRING, "secret name", NULL},
	{"Description", ARG_STRING, "description", NULL},
	{"KmsKeyId", ARG_STRING, "KMS key", NULL},
	{"RotationEnabled", ARG_BOOL, "rotation on", NULL},
	{"RotationLambdaARN", ARG_STRING, "rotation function", NULL},
	{"RotationRules", ARG_MAP, "rotation rules", NULL},
	{"LastRotatedDate", ARG_TIMESTAMP, "last rotation", NULL},
	{"LastChangedDate", ARG_TIMESTAMP, "last change", NULL},
	{"LastAccessedDate", ARG_TIMESTAMP, "last read", NULL},
	{"DeletedDate", ARG_TIMESTAMP, "scheduled deletion, when set", NULL},
	{"NextRotationDate", ARG_TIMESTAMP, "next rotation", NULL},
	{"Tags", ARG_LIST, "tags [{Key, Value}]", NULL},
	{"VersionIdsToStages", ARG_MAP, "version id -> stages", NULL},
	{"OwningService", ARG_STRING, "owning service", NULL},
	{"CreatedDate", ARG_TIMESTAMP, "creation", NULL},
	{"PrimaryRegion", ARG_STRING, "primary region", NULL},
	{"ReplicationStatus", ARG_LIST, "replicas", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_list[] = {
	{"ARN", ARG_STRING, "secret ARN", NULL},
	{"Name", ARG_STRING, "secret name", NULL},
	{"Versions", ARG_LIST, "every version", r_version},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_get[] = {
	{"ARN", ARG_STRING, "secret ARN", NULL},
	{"Name", ARG_STRING, "secret name", NULL},
	{"VersionId", ARG_STRING, "version read", NULL},
	{"VersionStages", ARG_LIST, "its stages", NULL},
	{"SecretString", ARG_STRING, "the value (tainted)", NULL},
	{"SecretBinary", ARG_STRING, "a binary value, base64 (tainted)", NULL},
	{"CreatedDate", ARG_TIMESTAMP, "when the version was created", NULL},
	{"json", ARG_ANY, "SecretString parsed as JSON when it is JSON (tainted); free-form below", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_put[] = {
	{"ARN", ARG_STRING, "secret ARN", NULL},
	{"Name", ARG_STRING, "secret name", NULL},
	{"VersionId", ARG_STRING, "the new version", NULL},
	{"VersionStages", ARG_LIST, "its stages", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_restore_previous[] = {
	{"ARN", ARG_STRING, "secret ARN", NULL},
	{"Name", ARG_STRING, "secret name", NULL},
	{"VersionId", ARG_STRING, "the version now AWSCURRENT", NULL},
	{"PreviousVersionId", ARG_STRING, "the version it replaced", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_create[] = {
	{"ARN", ARG_STRING, "secret ARN", NULL},
	{"Name", ARG_STRING, "secret name", NULL},
	{"VersionId", ARG_STRING, "its first version", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_name[] = {
	{"ARN", ARG_STRING, "secret ARN", NULL},
	{"Name", ARG_STRING, "secret name", NULL},
	{NULL, 0, NULL, NULL},
};

const struct action_desc aws_secrets_actions[] = {
	{"secrets.describe_secret", "a secret's metadata and version stages (DescribeSecret)", a_secret,
	 "{ARN, Name, Description, VersionIdsToStages, DeletedDate, RotationEnabled, ...}", ACT_IDEMPOTENT, 300,
	 run_describe, NULL, NULL, NULL,
	  .results = r_describe},
	{"secrets.list_versions", "a secret's versions (ListSecretVersionIds, all pages)", a_list,
	 "{ARN, Name, Versions: [{VersionId, VersionStages, CreatedDate}]}", ACT_IDEMPOTENT, 300,
	 run_list_versions, NULL, NULL, NULL,
	  .results = r_list},
	{"secrets.get_value", "a secret's value by stage or version id; the value is tainted (redacted everywhere)",
	 a_get, "{ARN, Name, VersionId, VersionStages, SecretString, CreatedDate, json}",
	 ACT_IDEMPOTENT, 300, run_get_value, NULL, NULL, NULL,
	  .results = r_get},
	{"secrets.put_value", "store a new value as AWSCURRENT (PutSecretValue, idempotent token)", a_put,
	 "{ARN, Name, VersionId, VersionStages}", ACT_MUTATING | ACT_IDEMPOTENT, 500, run_put_value, NULL, NULL,
	 NULL,
	  .results = r_put},
	{"secrets.restore_previous", "make the AWSPREVIOUS version current again, in one UpdateSecretVersionStage",
	 a_secret, "{ARN, Name, VersionId (now current), PreviousVersionId}", ACT_MUTATING, 500,
	 run_restore_previous, NULL, NULL, NULL,
	  .results = r_restore_previous},
	{"secrets.create_secret", "create a secret with a value (CreateSecret, idempotent token)", a_create,
	 "{ARN, Name, VersionId}", ACT_MUTATING | ACT_IDEMPOTENT, 500, run_create, NULL, NULL, NULL,
	  .results = r_create},
	{"secrets.restore_secret", "cancel a scheduled deletion (RestoreSecret)", a_secret, "{ARN, Name}",
	 ACT_MUTATING | ACT_IDEMPOTENT, 300, run_restore_secret, NULL, NULL, NULL,
	  .results = r_name},
	{NULL},
};
