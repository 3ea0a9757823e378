/* outcome.c — the end of a run: its status, its top-level outputs, and the objectives
 * (RTO, RPO) measured on the final context. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../core/fs.h"
#include "../core/bug.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/dur.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "../modules/registry.h"
#include "engine_int.h"
#include "tape.h"

const char *eng_outcome_status(int rc, struct engine *e)
{
	if (e->stop_now)
		return "interrupted";
	switch (rc) {
	case EXIT_OK: return "succeeded";
	case EXIT_FAILED: return "failed";
	case EXIT_ABORTED: return "aborted";
	case EXIT_ROLLBACK_FAILED: return "rollback_failed";
	default: return "failed";
	}
}
/* the top runbook's `outputs:` over the final context: {NAME: value}; one that cannot
 * be evaluated (a failed run's missing step) is null, its error in *errs ({NAME: text});
 * jv_invalid() when the runbook declares none */
jv eng_run_outputs(struct engine *e, jv *errs_out)
{
	const struct runbook *rb = e->p->rb;
	if (rb->noutputs == 0)
		return jv_invalid();
	jv outs = jv_object(), errs = jv_object();
	jv c = eng_ctx_for(e, 0, jv_invalid(), jv_invalid());
	for (int i = 0; i < rb->noutputs; i++) {
		jv v;
		if (eng_expr_unknown(e, 0, rb->outputs[i].expr))
			v = jv_string(UNKNOWN_TEXT);
		else
			v = exprset_eval1(e->set, rb->outputs[i].expr, jv_copy(c));
		if (!jv_is_valid(v)) {
			char *m = eng_invalid_msg(v);
			errs = jv_object_set(errs, jv_string(rb->outputs[i].name), jv_string(m));
			free(m);
			v = jv_null();
		}
		outs = jv_object_set(outs, jv_string(rb->outputs[i].name), v);
	}
	jv_free(c);
	jv_free(*errs_out);
	*errs_out = errs;
	return outs;
}
/* an objective's instant: an RFC 3339 string or a number of epoch seconds. 0, or -1
 * with *why set (static) */
static int objective_instant(jv v, int64_t *ms, const char **why)
{
	int rc = -1;
	*why = "is not a time (an RFC 3339 string or a number of epoch seconds)";
	if (jv_get_kind(v) == JV_KIND_STRING)
		rc = ts_parse(jv_string_value(v), ms) < 0 ? -1 : 0;
	else if (jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= 0 && jv_number_value(v) < 1e12) {
		*ms = (int64_t)(jv_number_value(v) * 1000.0 + 0.5);
		rc = 0;
	} else if (jv_get_kind(v) == JV_KIND_NULL)
		*why = "is null";
	jv_free(v);
	return rc;
}
/* evaluate one of recovery_point / incident_time into o[name] (RFC 3339) and *ms;
 * 0, or -1 with errs[name] set */
static int objective_time(struct engine *e, jv c, int expr, const char *name, jv *o, jv *errs, int64_t *ms)
{
	char ts[40];
	const char *why;
	*o = jv_object_set(*o, jv_string(name), jv_null());
	if (expr < 0) {
		*errs = jv_object_set(*errs, jv_string(name), jv_string_fmt("the objectives declare no %s", name));
		return -1;
	}
	jv v = exprset_eval1(e->set, expr, jv_copy(c));
	if (!jv_is_valid(v)) {
		char *m = eng_invalid_msg(v);
		*errs = jv_object_set(*errs, jv_string(name), jv_string(m));
		free(m);
		return -1;
	}
	jv shown = jvx_dump_string(jv_copy(v), 0);
	if (objective_instant(v, ms, &why) < 0) {
		*errs = jv_object_set(*errs, jv_string(name), jv_string_fmt("%.200s %s", jv_string_value(shown), why));
		jv_free(shown);
		return -1;
	}
	jv_free(shown);
	*o = jv_object_set(*o, jv_string(name), jv_string(eng_time_str(*ms, ts, sizeof(ts))));
	return 0;
}
/* met: achieved within the objective; null when either is unknown */
static jv objective_met(jv o, int64_t objective, int has, int64_t achieved, int measured)
{
	o = jv_object_set(o, jv_string("objective_ms"), has ? jv_number((double)objective) : jv_null());
	o = jv_object_set(o, jv_string("achieved_ms"), measured ? jv_number((double)achieved) : jv_null());
	return jv_object_set(o, jv_string("met"), has && measured ? jv_bool(achieved <= objective) : jv_null());
}
/* The top runbook's `objectives:` measured on the final context (run_finished's
 * "objectives"; runbook-events(5) says the shape): RTO from the run's start to the end
 * of step `restored` (or of the run, end_ms), RPO = incident_time - recovery_point.
 * What cannot be measured is null, with why in "errors". jv_invalid() when the runbook
 * declares no objectives or the run is a dry run (nothing was restored). */
jv eng_run_objectives(struct engine *e, int rc, int64_t end_ms)
{
	const struct rb_objectives *ob = &e->p->rb->objectives;
	if (!ob->declared || e->o->dry_run)
		return jv_invalid();
	jv errs = jv_object(), rto = jv_object(), rpo = jv_object();
	int64_t achieved = 0, rp = 0, it = 0;
	int measured = 0;
	/* RTO */
	rto = jv_object_set(rto, jv_string("restored"), ob->restored ? jv_string(ob->restored) : jv_null());
	if (ob->restored) {
		int n = plan_find(e->p, ob->restored);
		if (n >= 0 && (e->ns[n].st == ST_SUCCEEDED || e->ns[n].st == ST_SKIPPED) && e->ns[n].finished) {
			achieved = e->ns[n].finished - e->run_started;
			measured = 1;
		} else {
			errs = jv_object_set(errs, jv_string("restored"), jv_string_fmt("step '%s' %s", ob->restored,
				n < 0 ? "is not in the plan" : e->ns[n].st == ST_PENDING ? "never ran" :
				"did not succeed"));
		}
	} else if (rc == EXIT_OK) {
		achieved = end_ms - e->run_started;
		measured = 1;
	} else {
		errs = jv_object_set(errs, jv_string("rto"), jv_string("the run did not succeed (and the "
			"objectives name no 'restored' step)"));
	}
	rto = objective_met(rto, ob->rto_ms, (ob->has & OBJ_RTO) != 0, achieved, measured);
	/* RPO */
	jv c = eng_ctx_for(e, 0, jv_invalid(), jv_invalid());
	int have = (ob->recovery_point >= 0 || ob->incident_time >= 0 || (ob->has & OBJ_RPO));
	measured = 0;
	if (have) {
		int a = objective_time(e, c, ob->recovery_point, "recovery_point", &rpo, &errs, &rp);
		int b = objective_time(e, c, ob->incident_time, "incident_time", &rpo, &errs, &it);
		if (a == 0 && b == 0 && it < rp)
			errs = jv_object_set(errs, jv_string("rpo"), jv_string("recovery_point is after incident_time"));
		else if (a == 0 && b == 0)
			measured = 1;
	} else {
		rpo = jv_object_set(rpo, jv_string("recovery_point"), jv_null());
		rpo = jv_object_set(rpo, jv_string("incident_time"), jv_null());
	}
	jv_free(c);
	rpo = objective_met(rpo, ob->rpo_ms, (ob->has & OBJ_RPO) != 0, it - rp, measured);
	/* the whole: missed if one is missed, unknown if one with a target is unknown */
	jv met = jv_invalid();
	jv parts[2] = { rto, rpo };
	int judged = 0, missed = 0, unknown = 0;
	static const unsigned bits[2] = { OBJ_RTO, OBJ_RPO };
	for (int i = 0; i < 2; i++) {
		if (!(ob->has & bits[i]))
			continue;
		judged++;
		jv m = jv_object_get(jv_copy(parts[i]), jv_string("met"));
		missed |= jv_get_kind(m) == JV_KIND_FALSE;
		unknown |= jv_get_kind(m) == JV_KIND_NULL;
		jv_free(m);
	}
	met = missed ? jv_false() : unknown || !judged ? jv_null() : jv_true();
	if (!judged)
		errs = jv_object_set(errs, jv_string("objectives"), jv_string("no 'rto' or 'rpo' target to measure against"));
	jv o = jv_object();
	o = jv_object_set(o, jv_string("rto"), rto);
	o = jv_object_set(o, jv_string("rpo"), rpo);
	o = jv_object_set(o, jv_string("met"), met);
	o = jv_object_set(o, jv_string("errors"), errs);
	return o;
}
