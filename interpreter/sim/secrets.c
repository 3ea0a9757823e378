/* secrets.c — simulated Secrets Manager (JSON 1.1, X-Amz-Target secretsmanager.*):
 * secrets with versions and staging labels (AWSCURRENT, AWSPREVIOUS, custom), scheduled
 * deletion with a recovery window, restore. Dates are epoch seconds, as on the wire.
 */
#include <stdlib.h>
#include <string.h>
#include "simint.h"
#include "../core/jvx.h"

static const char *js(struct sim_req *r, const char *key)
{
	return jvx_str(r->json, key);
}

static double secs(int64_t ms)
{
	return (double)ms / 1000.0;
}

/* by name, full ARN, or ARN without the random suffix; -1 if none */
static int secret_find(struct sim *s, const char *id)
{
	int found = -1;
	SIM_EACH(jv_copy(s->secrets), i, sec) {
		const char *name = jvx_str(sec, "Name"), *arn = jvx_str(sec, "ARN");
		if (found < 0 && (!strcmp(name, id) || !strcmp(arn, id) ||
				  (!strncmp(id, "arn:", 4) && !strncmp(arn, id, strlen(id)) &&
				   arn[strlen(id)] == '-' && strlen(arn) == strlen(id) + 7)))
			found = i;
		jv_free(sec);
	}
	return found;
}

static int not_found(struct sim_req *r, struct sim_resp *o)
{
	return sim_error(r, o, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
}

/* the secret named by SecretId into *sec (new ref) and its index; -1 with the error set.
 * live: refuse secrets scheduled for deletion */
static int lookup(struct sim *s, struct sim_req *r, struct sim_resp *o, jv *sec, int live)
{
	s->secrets = sim_gc(s->secrets, r->now);
	const char *id = sim_q_need(r, o, "SecretId");
	if (!id)
		return -1;
	int ix = secret_find(s, id);
	if (ix < 0) {
		not_found(r, o);
		return -1;
	}
	*sec = jv_array_get(jv_copy(s->secrets), ix);
	if (live && jvx_has(*sec, "DeletedDate")) {
		sim_error(r, o, 400, "InvalidRequestException",
			  "You can't perform this operation on the secret because it was marked for deletion.");
		jv_free(*sec);
		return -1;
	}
	return ix;
}

static int has_stage(jv ver, const char *stage)
{
	int yes = 0;
	SIM_EACH(jv_object_get(jv_copy(ver), jv_string("VersionStages")), i, st) {
		yes |= !strcmp(jv_string_value(st), stage);
		jv_free(st);
	}
	return yes;
}

static jv stages_without(jv ver, const char *stage)
{
	jv out = jv_array();
	SIM_EACH(jv_object_get(jv_copy(ver), jv_string("VersionStages")), i, st) {
		if (strcmp(jv_string_value(st), stage))
			out = jv_array_append(out, st);
		else
			jv_free(st);
	}
	return jv_object_set(ver, jv_string("VersionStages"), out);
}

static jv stages_with(jv ver, const char *stage)
{
	if (has_stage(ver, stage))
		return ver;
	jv l = jv_object_get(jv_copy(ver), jv_string("VersionStages"));
	return jv_object_set(ver, jv_string("VersionStages"), jv_array_append(l, jv_string(stage)));
}

/* index of the version with this id or stage, -1 if none (borrows vers) */
static int version_find(jv vers, const char *vid, const char *stage)
{
	int found = -1;
	SIM_EACH(jv_copy(vers), i, v) {
		if (found < 0 && ((vid && !strcmp(jvx_str(v, "VersionId"), vid)) || (!vid && has_stage(v, stage))))
			found = i;
		jv_free(v);
	}
	return found;
}

/* move stage to version index `to` (-1: just remove it); moving AWSCURRENT gives the
 * version that had it AWSPREVIOUS, as AWS does */
static jv move_stage(jv vers, const char *stage, int to)
{
	int from = version_find(vers, NULL, stage);
	if (from == to)
		return vers;
	int give_previous = !strcmp(stage, "AWSCURRENT") && from >= 0 && to >= 0;
	jv out = jv_array();
	SIM_EACH(vers, i, v) {
		v = stages_without(v, stage);
		if (i == to)
			v = stages_with(v, stage);
		if (give_previous) {
			v = stages_without(v, "AWSPREVIOUS");
			if (i == from)
				v = stages_with(v, "AWSPREVIOUS");
		}
		out = jv_array_append(out, v);
	}
	return out;
}

static jv base(jv sec)
{
	return JV_OBJECT(jv_string("ARN"), jvx_get(sec, "ARN"), jv_string("Name"), jvx_get(sec, "Name"));
}

static jv stages_map(jv sec)
{
	jv m = jv_object();
	SIM_EACH(jv_object_get(jv_copy(sec), jv_string("_versions")), i, v) {
		jv st = jv_object_get(jv_copy(v), jv_string("VersionStages"));
		if (jv_array_length(jv_copy(st)) > 0)
			m = jv_object_set(m, jvx_get(v, "VersionId"), st);
		else
			jv_free(st);
		jv_free(v);
	}
	return m;
}

static jv describe(jv sec, const char *map_key)
{
	jv o = base(sec);
	static const char *const keys[] = { "Description", "CreatedDate", "LastChangedDate",
		"LastAccessedDate", "DeletedDate", "Tags", NULL };
	for (int i = 0; keys[i]; i++)
		if (jvx_has(sec, keys[i]))
			o = jv_object_set(o, jv_string(keys[i]), jvx_get(sec, keys[i]));
	return jv_object_set(o, jv_string(map_key), stages_map(sec));
}

static int op_describe(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	jv sec;
	if (lookup(s, r, o, &sec, 0) < 0)
		return 0;
	sim_json_reply(o, describe(sec, "VersionIdsToStages"));
	jv_free(sec);
	return 0;
}

static int op_list_secrets(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	s->secrets = sim_gc(s->secrets, r->now);
	int planned = jvx_bool(r->json, "IncludePlannedDeletion", 0);
	jv list = jv_array();
	SIM_EACH(jv_copy(s->secrets), i, sec) {
		if (planned || !jvx_has(sec, "DeletedDate"))
			list = jv_array_append(list, describe(sec, "SecretVersionsToStages"));
		jv_free(sec);
	}
	return sim_json_reply(o, JV_OBJECT(jv_string("SecretList"), list));
}

static int op_list_versions(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	jv sec;
	if (lookup(s, r, o, &sec, 0) < 0)
		return 0;
	int deprecated = jvx_bool(r->json, "IncludeDeprecated", 0);
	jv list = jv_array();
	SIM_EACH(jv_object_get(jv_copy(sec), jv_string("_versions")), i, v) {
		jv st = jv_object_get(jv_copy(v), jv_string("VersionStages"));
		if (deprecated || jv_array_length(jv_copy(st)) > 0)
			list = jv_array_append(list, JV_OBJECT(jv_string("VersionId"), jvx_get(v, "VersionId"),
							       jv_string("VersionStages"), st,
							       jv_string("CreatedDate"), jvx_get(v, "CreatedDate")));
		else
			jv_free(st);
		jv_free(v);
	}
	jv out = base(sec);
	out = jv_object_set(out, jv_string("Versions"), list);
	jv_free(sec);
	return sim_json_reply(o, out);
}

static int op_get_value(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	jv sec;
	int ix = lookup(s, r, o, &sec, 1);
	if (ix < 0)
		return 0;
	const char *vid = js(r, "VersionId"), *stage = js(r, "VersionStage");
	jv vers = jv_object_get(jv_copy(sec), jv_string("_versions"));
	int vx = version_find(vers, vid, stage ? stage : "AWSCURRENT");
	jv v = vx >= 0 ? jv_array_get(jv_copy(vers), vx) : jv_invalid();
	if (vx < 0 || (vid && stage && !has_stage(v, stage))) {
		if (vid)
			sim_error(r, o, 400, "ResourceNotFoundException",
				  "Secrets Manager can't find the specified secret value for VersionId: %s", vid);
		else
			sim_error(r, o, 400, "ResourceNotFoundException",
				  "Secrets Manager can't find the specified secret value for staging label: %s",
				  stage ? stage : "AWSCURRENT");
	} else {
		jv out = base(sec);
		out = jv_object_set(out, jv_string("VersionId"), jvx_get(v, "VersionId"));
		out = jv_object_set(out, jv_string("SecretString"), jvx_get(v, "SecretString"));
		out = jv_object_set(out, jv_string("VersionStages"), jvx_get(v, "VersionStages"));
		out = jv_object_set(out, jv_string("CreatedDate"), jvx_get(v, "CreatedDate"));
		sim_json_reply(o, out);
		sec = jv_object_set(sec, jv_string("LastAccessedDate"), jv_number((double)(r->now / 86400000 * 86400)));
		s->secrets = jv_array_set(s->secrets, ix, jv_copy(sec));
	}
	jv_free(v);
	jv_free(vers);
	jv_free(sec);
	return 0;
}

/* a new version with the given stages (default AWSCURRENT); idempotent by token */
static int add_version(struct sim *s, struct sim_req *r, struct sim_resp *o, jv *sec, jv *out)
{
	const char *token = js(r, "ClientRequestToken");
	const char *value = js(r, "SecretString");
	char vid[48];
	if (!value && !js(r, "SecretBinary"))
		value = "";
	if (!value)
		value = js(r, "SecretBinary");   /* base64 text; kept as given */
	if (token)
		snprintf(vid, sizeof(vid), "%s", token);
	else
		sim_new_id(s, vid, sizeof(vid));
	jv vers = jv_object_get(jv_copy(*sec), jv_string("_versions"));
	int existing = version_find(vers, vid, NULL);
	if (existing >= 0) {
		jv v = jv_array_get(jv_copy(vers), existing);
		int same = !strcmp(jvx_str(v, "SecretString"), value);
		if (same)
			*out = JV_OBJECT(jv_string("VersionId"), jv_string(vid),
					 jv_string("VersionStages"), jvx_get(v, "VersionStages"));
		jv_free(v);
		jv_free(vers);
		if (!same)
			return sim_error(r, o, 400, "ResourceExistsException",
					 "A resource with the ID you requested already exists."), -1;
		return 0;
	}
	jv stages = jv_object_get(jv_copy(r->json), jv_string("VersionStages"));
	if (jv_get_kind(stages) != JV_KIND_ARRAY) {
		jv_free(stages);
		stages = JV_ARRAY(jv_string("AWSCURRENT"));
	}
	vers = jv_array_append(vers, JV_OBJECT(jv_string("VersionId"), jv_string(vid),
					       jv_string("SecretString"), jv_string(value),
					       jv_string("VersionStages"), jv_array(),
					       jv_string("CreatedDate"), jv_number(secs(r->now))));
	int to = jv_array_length(jv_copy(vers)) - 1;
	SIM_EACH(jv_copy(stages), i, st) {
		vers = move_stage(vers, jv_string_value(st), to);
		jv_free(st);
	}
	*out = JV_OBJECT(jv_string("VersionId"), jv_string(vid), jv_string("VersionStages"), stages);
	*sec = jv_object_set(*sec, jv_string("_versions"), vers);
	*sec = jv_object_set(*sec, jv_string("LastChangedDate"), jv_number(secs(r->now)));
	return 0;
}

static int op_put_value(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	jv sec, out = jv_null();
	int ix = lookup(s, r, o, &sec, 1);
	if (ix < 0)
		return 0;
	if (add_version(s, r, o, &sec, &out) == 0) {
		s->secrets = jv_array_set(s->secrets, ix, jv_copy(sec));
		jv reply = base(sec);
		reply = jv_object_set(reply, jv_string("VersionId"), jvx_get(out, "VersionId"));
		reply = jv_object_set(reply, jv_string("VersionStages"), jvx_get(out, "VersionStages"));
		sim_json_reply(o, reply);
	}
	jv_free(out);
	jv_free(sec);
	return 0;
}

static int op_update_stage(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	jv sec;
	int ix = lookup(s, r, o, &sec, 1);
	if (ix < 0)
		return 0;
	const char *stage = sim_q_need(r, o, "VersionStage");
	const char *to = js(r, "MoveToVersionId"), *from = js(r, "RemoveFromVersionId");
	jv vers = jv_object_get(jv_copy(sec), jv_string("_versions"));
	int tx = to ? version_find(vers, to, NULL) : -1;
	int cur = stage ? version_find(vers, NULL, stage) : -1;
	if (!stage)
		goto out;
	if (to && tx < 0) {
		sim_error(r, o, 400, "ResourceNotFoundException",
			  "Secrets Manager can't find the specified secret value for VersionId: %s", to);
		goto out;
	}
	if (from && (cur < 0 || version_find(vers, from, NULL) != cur)) {
		sim_error(r, o, 400, "InvalidParameterException",
			  "The staging label %s is not attached to version %s.", stage, from);
		goto out;
	}
	if (to && cur >= 0 && cur != tx && !from) {
		jv cv = jv_array_get(jv_copy(vers), cur);
		sim_error(r, o, 400, "InvalidParameterException",
			  "The parameter RemoveFromVersionId can't be empty. Staging label %s is currently "
			  "attached to version %s, so you must explicitly reference that version in "
			  "RemoveFromVersionId.", stage, jvx_str(cv, "VersionId"));
		jv_free(cv);
		goto out;
	}
	if (!to && !strcmp(stage, "AWSCURRENT")) {
		sim_error(r, o, 400, "InvalidParameterException",
			  "You can't remove the staging label AWSCURRENT without moving it to another version.");
		goto out;
	}
	vers = move_stage(vers, stage, tx);
	sec = jv_object_set(sec, jv_string("_versions"), jv_copy(vers));
	sec = jv_object_set(sec, jv_string("LastChangedDate"), jv_number(secs(r->now)));
	s->secrets = jv_array_set(s->secrets, ix, jv_copy(sec));
	sim_json_reply(o, base(sec));
out:
	jv_free(vers);
	jv_free(sec);
	return 0;
}

static int op_create(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	s->secrets = sim_gc(s->secrets, r->now);
	const char *name = sim_q_need(r, o, "Name");
	if (!name)
		return 0;
	int ix = secret_find(s, name);
	if (ix >= 0) {
		jv old = jv_array_get(jv_copy(s->secrets), ix);
		int deleted = jvx_has(old, "DeletedDate");
		jv_free(old);
		if (deleted)
			return sim_error(r, o, 400, "InvalidRequestException",
					 "You can't create this secret because a secret with this name is already scheduled for deletion.");
		return sim_error(r, o, 400, "ResourceExistsException",
				 "The operation failed because the secret %s already exists.", name);
	}
	char arn[512];
	snprintf(arn, sizeof(arn), "arn:aws:secretsmanager:%s:%s:secret:%s-%06llx", s->region, s->account,
		 name, (unsigned long long)(jv_string_hash(jv_string(name)) & 0xffffff));
	jv sec = jv_object();
	sec = jv_object_set(sec, jv_string("ARN"), jv_string(arn));
	sec = jv_object_set(sec, jv_string("Name"), jv_string(name));
	if (js(r, "Description"))
		sec = jv_object_set(sec, jv_string("Description"), jv_string(js(r, "Description")));
	sec = jv_object_set(sec, jv_string("CreatedDate"), jv_number(secs(r->now)));
	jv tags = jv_object_get(jv_copy(r->json), jv_string("Tags"));
	sec = jv_object_set(sec, jv_string("Tags"), jv_get_kind(tags) == JV_KIND_ARRAY ? tags : jv_array());
	if (jv_get_kind(tags) != JV_KIND_ARRAY)
		jv_free(tags);
	sec = jv_object_set(sec, jv_string("_versions"), jv_array());
	jv out = jv_null();
	if (js(r, "SecretString") || js(r, "SecretBinary")) {
		if (add_version(s, r, o, &sec, &out) < 0) {
			jv_free(sec);
			return 0;
		}
	} else {
		sec = jv_object_set(sec, jv_string("LastChangedDate"), jv_number(secs(r->now)));
	}
	s->secrets = jv_array_append(s->secrets, jv_copy(sec));
	jv reply = base(sec);
	if (jvx_has(out, "VersionId"))
		reply = jv_object_set(reply, jv_string("VersionId"), jvx_get(out, "VersionId"));
	jv_free(out);
	jv_free(sec);
	return sim_json_reply(o, reply);
}

static int op_delete(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	jv sec;
	int ix = lookup(s, r, o, &sec, 0);
	if (ix < 0)
		return 0;
	if (jvx_has(sec, "DeletedDate")) {
		jv_free(sec);
		return sim_error(r, o, 400, "InvalidRequestException",
				 "You can't perform this operation on the secret because it was already scheduled for deletion.");
	}
	int force = jvx_bool(r->json, "ForceDeleteWithoutRecovery", 0);
	int days = (int)jvx_num(r->json, "RecoveryWindowInDays", 30);
	if (force && jvx_has(r->json, "RecoveryWindowInDays")) {
		jv_free(sec);
		return sim_error(r, o, 400, "InvalidParameterException",
				 "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
	}
	if (!force && (days < 7 || days > 30)) {
		jv_free(sec);
		return sim_error(r, o, 400, "InvalidParameterException",
				 "RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
	}
	int64_t gone = force ? r->now : r->now + (int64_t)days * 86400000;
	sec = jv_object_set(sec, jv_string("DeletedDate"), jv_number(secs(r->now)));
	sec = jv_object_set(sec, jv_string("_gone_at"), jv_number((double)(force ? r->now + 1 : gone)));
	s->secrets = jv_array_set(s->secrets, ix, jv_copy(sec));
	jv reply = base(sec);
	reply = jv_object_set(reply, jv_string("DeletionDate"), jv_number(secs(gone)));
	jv_free(sec);
	return sim_json_reply(o, reply);
}

static int op_restore(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	jv sec;
	int ix = lookup(s, r, o, &sec, 0);
	if (ix < 0)
		return 0;
	sec = jv_object_delete(sec, jv_string("DeletedDate"));
	sec = jv_object_delete(sec, jv_string("_gone_at"));
	s->secrets = jv_array_set(s->secrets, ix, jv_copy(sec));
	sim_json_reply(o, base(sec));
	jv_free(sec);
	return 0;
}

const struct sim_op sim_secrets_ops[] = {
	{ "DescribeSecret", 0, op_describe },
	{ "ListSecrets", 0, op_list_secrets },
	{ "ListSecretVersionIds", 0, op_list_versions },
	{ "GetSecretValue", 0, op_get_value },
	{ "PutSecretValue", 1, op_put_value },
	{ "UpdateSecretVersionStage", 1, op_update_stage },
	{ "CreateSecret", 1, op_create },
	{ "DeleteSecret", 1, op_delete },
	{ "RestoreSecret", 1, op_restore },
	{ NULL, 0, NULL },
};
