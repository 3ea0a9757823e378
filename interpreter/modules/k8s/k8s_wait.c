/* k8s_wait.c — the waiting k8s actions: rollout_status (kubectl's rollout rule) and wait
 * (a status condition, or deletion), polling on the call's clock. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "k8s_actions.h"
#include "../../core/actarg.h"
#include "../../core/backoff.h"
#include "../../core/clock.h"
#include "../../core/dur.h"
#include "../../core/jvx.h"

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

/* poll on the call's clock (core/backoff.h) */
static int poll_object(struct k8s_call *k, const char *path, enum wait_for what, const char *cond, const char *want,
		       int64_t timeout, jv *out)
{
	struct action_call *call = k->call;
	const struct backoff poll = { 500, 1.5, 5000 };   /* short at first, backing off to 5 s */
	int64_t start = clock_now(call->clock), interval = poll.base_ms;
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
		interval = backoff_next(&poll, interval);
	}
}

int k8s_rollout_status(struct action_call *call, jv args, jv *out)
{
	struct k8s_call k;
	char *path = NULL;
	int rc = -1;
	if (k8s_call_open(&k, call, args, out) < 0 || k8s_obj_path(&k, k8s_arg(&k, "kind"), k8s_arg(&k, "name"), &path, out) < 0)
		goto done;
	rc = poll_object(&k, path, WAIT_ROLLOUT, NULL, NULL, actarg_ms(call, args, "timeout", 600000), out);
done:
	return k8s_call_close(&k, path, args, rc);
}

int k8s_wait(struct action_call *call, jv args, jv *out)
{
	struct k8s_call k;
	char *path = NULL;
	int rc = -1;
	int deleted = jvx_bool(args, "deleted", 0);
	const char *cond = jvx_str(args, "condition");
	k.conn = (struct k8s_conn){ 0 };
	if (!deleted && !cond) {
		*out = jvx_error("BadArgs", "k8s.wait needs a condition, or deleted: true");
		goto done;
	}
	if (k8s_call_open(&k, call, args, out) < 0 || k8s_obj_path(&k, k8s_arg(&k, "kind"), k8s_arg(&k, "name"), &path, out) < 0)
		goto done;
	rc = poll_object(&k, path, deleted ? WAIT_DELETED : WAIT_CONDITION, cond, jvx_str(args, "status"),
			 actarg_ms(call, args, "timeout", 300000), out);
done:
	return k8s_call_close(&k, path, args, rc);
}
