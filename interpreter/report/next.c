/* next.c — what to do after the run's outcome, and how to undo a run that kept its
 * changes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report_int.h"
#include "../core/bug.h"
#include "../core/events.h"
#include "../core/jvx.h"

/* one sentence of a list of names: "a, b and c" */
static int names(struct buf *b, jv list, const char *key)
{
	int berr = 0;
	int n = jv_array_length(jv_copy(list));
	for (int i = 0; i < n; i++) {
		jv it = jv_array_get(jv_copy(list), i);
		const char *s = key ? jvx_str(it, key) : jv_get_kind(it) == JV_KIND_STRING ? jv_string_value(it) : NULL;
		berr |= buf_addf(b, "%s'%s'", i == 0 ? "" : i == n - 1 ? " and " : ", ", s ? s : "?");
		jv_free(it);
	}
	return berr;
}

/* what to do after this outcome: short sentences, the errors themselves are listed
 * elsewhere (never repeated here) */
jv report_next_steps(jv rep)
{
	int berr = 0;
	jv out = jv_array(), rb = RGET(rep, "rollback"), undo = RGET(rep, "undo");
	jv ncf = RGET(rep, "noncritical_failed"), ff = RGET(rep, "finally_failed");
	jv outs = RGET(rep, "outputs"), oerr = RGET(rep, "output_errors");
	jv steps = RGET(rep, "steps"), failed = jv_array();
	const char *status = rep_str(rep, "status", "unfinished"), *mode = rep_str(rep, "mode", "run");
	const char *run = rep_str(rep, "run", "RUN-ID"), *path = RSTR(rep, "path");
	const char *rbo = RSTR(rep, "rollback_outcome");
	int rehearsal = !strcmp(mode, "rehearsal") || RBOOL(rep, "rehearsal", 0);
	int64_t nact = RINT(rb, "actions", 0), nok = RINT(rb, "succeeded", 0);
	struct buf b = BUF_INIT(0);
#define SAY() (out = jv_array_append(out, jv_string(buf_str(&b))), buf_reset(&b))

	jv_array_foreach(steps, i, s) {
		if (!strcmp(rep_str(s, "status", ""), "failed") && !RBOOL(s, "finally", 0) &&
		    RBOOL(s, "critical", 1))
			failed = jv_array_append(failed, jv_copy(s));
		jv_free(s);
		(void)i;
	}
	if (!strcmp(status, "succeeded") || !strcmp(status, "dry_run")) {
		if (!strcmp(mode, "dry-run")) {
			berr |= buf_addf(&b, "This was a dry run: reads ran for real, nothing was changed (the changes it would make "
				 "are the journal's mutation events). Run it for real with `runbook run %s`.", path ? path : "FILE");
			SAY();
		} else if (rehearsal) {
			berr |= buf_addf(&b, "The rehearsal passed against its scenario. Run it for real with `runbook run %s`, "
				 "or as a drill with `runbook drill`.", path ? path : "FILE");
			SAY();
		} else if (jv_get_kind(outs) == JV_KIND_OBJECT && jv_object_length(jv_copy(outs)) > 0) {
			berr |= buf_adds(&b, "Verify the result before switching traffic to it: ");
			jv keys = jv_keys(jv_copy(outs));
			berr |= names(&b, keys, NULL);
			jv_free(keys);
			berr |= buf_adds(&b, " (under outputs): smoke tests, data checks with the business team.");
			SAY();
		} else {
			berr |= buf_adds(&b, "Verify the result before switching traffic to it (smoke tests, data checks): "
				 "the runbook declares no outputs.");
			SAY();
		}
		if (jv_get_kind(oerr) == JV_KIND_OBJECT && jv_object_length(jv_copy(oerr)) > 0) {
			jv keys = jv_keys(jv_copy(oerr));
			berr |= buf_adds(&b, "The outputs ");
			berr |= names(&b, keys, NULL);
			berr |= buf_adds(&b, " could not be evaluated: find their values by hand.");
			jv_free(keys);
			SAY();
		}
		if (jv_array_length(jv_copy(ncf)) > 0) {
			berr |= buf_adds(&b, "Look at the non-critical steps that failed: ");
			berr |= names(&b, ncf, NULL);
			berr |= buf_adds(&b, " (the run went on without them).");
			SAY();
		}
		if (!rehearsal && strcmp(mode, "dry-run")) {
			if (jv_array_length(jv_copy(undo)) > 0)
				berr |= buf_adds(&b, "If problems appear, undo the run with the rollback steps under \"how to roll back\", in that order.");
			else if (jv_get_kind(undo) == JV_KIND_ARRAY)
				berr |= buf_adds(&b, "No step of this run has a rollback: undoing it is a manual procedure.");
			else
				berr |= buf_adds(&b, "If problems appear, undo the run with its steps' rollback blocks, last step first.");
			SAY();
		}
	} else if (!strcmp(status, "interrupted")) {
		berr |= buf_adds(&b, "The run was stopped at once");
		if (RSTR(rep, "signal"))
			berr |= buf_addf(&b, " by %s", RSTR(rep, "signal"));
		berr |= buf_adds(&b, "; nothing was rolled back and what ran is as it was left.");
		SAY();
		if (rehearsal)
			berr |= buf_adds(&b, "A rehearsal cannot be resumed: rehearse it again.");
		else
			berr |= buf_addf(&b, "Continue it with `runbook resume %s` (the same --state-dir): completed steps "
				 "do not run again.", run);
		SAY();
	} else if (!strcmp(status, "unfinished")) {
		berr |= buf_addf(&b, "The run has not finished: it is still running, or its process died. "
			 "`runbook resume %s` continues a run whose process is gone.", run);
		SAY();
	} else {
		/* failed, aborted, rollback_failed */
		int incomplete = (rbo && !strcmp(rbo, "incomplete")) || RINT(rb, "failed", 0) > 0;
		if (jv_array_length(jv_copy(failed)) > 0) {
			berr |= buf_adds(&b, jv_array_length(jv_copy(failed)) == 1 ? "The run failed at step " : "The run failed at steps ");
			berr |= names(&b, failed, "id");
			berr |= buf_adds(&b, ": fix the cause (under errors) before running it again.");
			SAY();
		} else if (!strcmp(status, "aborted")) {
			berr |= buf_adds(&b, "The run was declined or aborted by the operator");
			if (RSTR(rep, "error"))
				berr |= buf_addf(&b, " (%s)", RSTR(rep, "error"));
			berr |= buf_adds(&b, ".");
			SAY();
		} else if (RSTR(rep, "error")) {
			berr |= buf_adds(&b, "The run failed: see the run error; fix its cause before running it again.");
			SAY();
		}
		if (rbo && !strncmp(rbo, "skipped", 7)) {
			berr |= buf_adds(&b, "Nothing was rolled back (--no-rollback): everything is left as it was for investigation; "
				 "undo it by hand with the rollback steps under \"how to roll back\", in that order.");
			SAY();
		} else if (incomplete) {
			jv bad = jv_array(), rows = RGET(rb, "steps");
			jv_array_foreach(rows, i, r) {
				if (!strcmp(rep_str(r, "status", ""), "failed") || !strcmp(rep_str(r, "status", ""), "running"))
					bad = jv_array_append(bad, jv_copy(r));
				jv_free(r);
				(void)i;
			}
			berr |= buf_addf(&b, "The rollback is incomplete: %" PRId64 " of %" PRId64 " rollback actions succeeded; ",
				 nok, nact);
			int nbad = jv_array_length(jv_copy(bad));
			if (nbad) {
				berr |= buf_adds(&b, nbad == 1 ? "this one did not: " : "these did not: ");
				berr |= names(&b, bad, "rollback_step");
				berr |= buf_adds(&b, ".");
			}
			SAY();
			berr |= buf_adds(&b, "A human must finish it: do by hand what each of them would have undone (their errors "
				 "are listed), then check that nothing the run created or changed is left behind.");
			SAY();
			berr |= buf_adds(&b, "`runbook resume` cannot retry this rollback (it continues only a run stopped before "
				 "its end): once the world is clean, run the runbook again.");
			SAY();
			jv_free(bad);
			jv_free(rows);
		} else if (jv_get_kind(rb) == JV_KIND_OBJECT) {
			if (nact > 0) {
				jv undone = jv_array(), rows = RGET(rb, "steps");
				jv seen = jv_object();
				jv_array_foreach(rows, i, r) {
					const char *st = RSTR(r, "step");
					if (st && !jvx_has(seen, st)) {
						seen = jv_object_set(seen, jv_string(st), jv_true());
						undone = jv_array_append(undone, jv_string(st));
					}
					jv_free(r);
					(void)i;
				}
				berr |= buf_addf(&b, "The rollback undid what the run had done: %" PRId64 " of %" PRId64
					 " rollback actions succeeded (undoing ", nok, nact);
				berr |= names(&b, undone, NULL);
				berr |= buf_adds(&b, ").");
				jv_free(undone);
				jv_free(rows);
				jv_free(seen);
			} else {
				berr |= buf_adds(&b, "Nothing had to be undone: no step with a rollback had completed.");
			}
			SAY();
		}
		if (rehearsal && !incomplete)
			berr |= buf_adds(&b, "Rehearse it again once the runbook or the scenario is fixed.");
		else if (!incomplete)
			berr |= buf_adds(&b, "Run it again once the cause is fixed.");
		if (b.len)
			SAY();
	}
	for (size_t w = 0; w < 2; w++) {
		static const char *const which[] = { "rto", "rpo" };
		static const char *const advice[] = {
			"shorten the critical path (the steps marked on it) or raise the objective",
			"the recovery point is older than allowed: back up more often, or restore to a later point",
		};
		const char *v = rep_objective_verdict(rep, which[w]);
		if (v && strcmp(v, "met")) {
			jv ob = RGET(rep, "objectives"), o = jvx_get(ob, which[w]), target = RGET(o, "objective_ms");
			if (!strcmp(v, "MISSED")) {
				berr |= buf_addf(&b, "The %s objective was missed (", w ? "RPO" : "RTO");
				berr |= rep_objective_phrase(&b, rep, which[w]) < 0 ? -1 : 0;
				berr |= buf_addf(&b, "): %s.", advice[w]);
				SAY();
			} else if (jv_get_kind(target) == JV_KIND_NUMBER) {
				berr |= buf_addf(&b, "The %s could not be measured (", w ? "RPO" : "RTO");
				berr |= rep_objective_phrase(&b, rep, which[w]) < 0 ? -1 : 0;
				berr |= buf_adds(&b, "): check the runbook's objectives (restored, recovery_point, incident_time).");
				SAY();
			}
			jv_free(target);
			jv_free(o);
			jv_free(ob);
		}
	}
	if (jv_array_length(jv_copy(ff)) > 0) {
		berr |= buf_adds(&b, "The finally steps ");
		berr |= names(&b, ff, NULL);
		berr |= buf_adds(&b, " failed: do by hand what they do (notify, publish the report).");
		SAY();
	}
#undef SAY
	if (berr)    /* b has no cap: only a broken invariant gets here */
		BUG("next steps: an uncapped buffer refused an append");
	buf_release(&b);
	jv_free(rb); jv_free(undo); jv_free(ncf); jv_free(ff); jv_free(outs); jv_free(oerr);
	jv_free(steps); jv_free(failed);
	return out;
}

/* how to undo a run that kept its changes: the completed steps with a rollback block
 * that no rollback undid, last finished first (the order a rollback takes), with the
 * block's actions as the journal names them (STEP.rollback.N); null without a plan */
struct ended { int64_t t_end; int i; };

/* latest end first; ties in reverse plan order */
static int by_end_desc(const void *a, const void *b)
{
	const struct ended *x = a, *y = b;
	if (x->t_end != y->t_end)
		return x->t_end < y->t_end ? 1 : -1;
	return x->i < y->i ? 1 : x->i > y->i ? -1 : 0;
}

jv report_undo(const struct run_fold *f, jv by_id, const int *fin)
{
	int *order, n = 0;
	jv out;
	if (jv_get_kind(by_id) != JV_KIND_OBJECT || jv_object_length(jv_copy(by_id)) == 0)
		return jv_null();
	out = jv_array();
	order = xcalloc((size_t)f->nsteps + 1, sizeof(int));
	/* what is still done: completed, and not undone by a rollback */
	for (int i = 0; i < f->nsteps; i++)
		if (!fin[i] && f->steps[i].status && !strcmp(f->steps[i].status, "succeeded") &&
		    !(f->steps[i].rb_status && !strcmp(f->steps[i].rb_status, "succeeded")))
			order[n++] = i;
	/* by end time, latest first; ties in reverse plan order */
	struct ended *e = xcalloc((size_t)n + 1, sizeof(*e));
	for (int i = 0; i < n; i++)
		e[i] = (struct ended){ f->steps[order[i]].t_end, order[i] };
	qsort(e, (size_t)n, sizeof(*e), by_end_desc);
	for (int i = 0; i < n; i++)
		order[i] = e[i].i;
	free(e);
	for (int i = 0; i < n; i++) {
		const char *id = f->steps[order[i]].id;
		jv ps = jv_object_get(jv_copy(by_id), jv_string(id));
		jv acts = jv_is_valid(ps) ? RGET(ps, "rollback") : jv_invalid();
		if (jv_get_kind(acts) == JV_KIND_ARRAY && jv_array_length(jv_copy(acts)) > 0) {
			jv u = jv_object_set(jv_object(), RK("step"), jv_string(id)), named = jv_array();
			jv_array_foreach(acts, k, a) {
				jv o = jv_object_set(jv_object(), RK("id"), jv_string_fmt("%s.rollback.%d", id, k + 1));
				o = jv_object_set(o, RK("kind"), rep_get(a, "kind"));
				o = jv_object_set(o, RK("action"), rep_get(a, "action"));
				named = jv_array_append(named, o);
				jv_free(a);
			}
			u = jv_object_set(u, RK("actions"), named);
			out = jv_array_append(out, u);
		}
		jv_free(acts);
		jv_free(ps);
	}
	free(order);
	return out;
}
