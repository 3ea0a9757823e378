/* lock.c — the locks a run holds (engine.h "Locks"): the runbook's `lock:` key, taken
 * before the run is created, and "run:ID", taken once it is, both until the process
 * ends; resume takes them again and checks the run's owner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../core/clock.h"
#include "../core/dur.h"
#include "../core/jvx.h"
#include "engine_int.h"

/* {run, host, pid, since}: the record a refused caller reads */
jv eng_lock_me(struct engine *e)
{
	char host[256], ts[40];
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	jv me = jv_object();
	me = jv_object_set(me, jv_string("run"), jv_string(e->run_id ? e->run_id : ""));
	me = jv_object_set(me, jv_string("host"), jv_string(host));
	me = jv_object_set(me, jv_string("pid"), jv_number((double)getpid()));
	me = jv_object_set(me, jv_string("since"), jv_string(clock_format(clock_now(e->clk), ts, sizeof(ts))));
	return me;
}

/* "run ID on HOST (pid N) since TIME", or that the holder is unknown; consumes who */
static jv holder_text(jv who)
{
	jv t;
	if (jv_get_kind(who) != JV_KIND_OBJECT) {
		t = jv_string("a holder that is not known (it left no record)");
	} else {
		const char *run = jvx_str(who, "run"), *host = jvx_str(who, "host"), *since = jvx_str(who, "since");
		t = jv_string_fmt("run %s on %s (pid %lld) since %s", run && *run ? run : "?", host ? host : "?",
				  (long long)jvx_int(who, "pid", 0), since ? since : "?");
	}
	jv_free(who);
	return t;
}

int eng_lock_book(struct engine *e, jv *err)
{
	const struct runbook *rb = e->p->rb;
	jv who = jv_null();
	int rc;
	/* rehearsals and dry runs change nothing: they take no runbook lock */
	if (!rb->lock || e->o->rehearsal || e->o->dry_run)
		return EXIT_OK;
	jv key = plan_lock_key(e->p, e->o->params);
	if (!jv_is_valid(key)) {
		char *m = eng_invalid_msg(key);
		*err = jv_string_fmt("the runbook's lock cannot be taken: %s", m);
		free(m);
		return EXIT_INVALID;
	}
	rc = state_lock(e->o->state, jv_string_value(key), eng_lock_me(e), e->o->lock_wait_ms, &e->lk_book, &who, err);
	if (rc == 1) {
		jv h = holder_text(who);
		who = jv_null();
		if (e->o->lock_wait_ms > 0) {
			char d[64];
			dur_format(e->o->lock_wait_ms, d, sizeof(d));
			*err = jv_string_fmt("lock '%s' is still held by %s after waiting %s", jv_string_value(key),
					     jv_string_value(h), d);
		} else {
			*err = jv_string_fmt("lock '%s' is held by %s; wait with --wait-lock DURATION",
					     jv_string_value(key), jv_string_value(h));
		}
		jv_free(h);
	}
	jv_free(who);
	jv_free(key);
	return rc == 0 ? EXIT_OK : rc == 1 ? EXIT_LOCKED : EXIT_INVALID;
}

/* the host that owns the run: the last run_started or run_resumed naming one */
static const char *owner_host(jv journal)
{
	const char *host = NULL;
	if (jv_get_kind(journal) != JV_KIND_ARRAY)
		return NULL;
	int n = jv_array_length(jv_copy(journal));
	for (int i = 0; i < n; i++) {
		jv ev = jv_array_get(jv_copy(journal), i);
		enum ev_kind k = ev_kind_of(ev);
		if ((k == EV_RUN_STARTED || k == EV_RUN_RESUMED) && jvx_str(ev, "host"))
			host = jvx_str(ev, "host");   /* the array keeps the string alive */
		jv_free(ev);
	}
	return host;
}

int eng_lock_run(struct engine *e, int resume, jv *err)
{
	char key[256];
	jv who = jv_null();
	snprintf(key, sizeof(key), "run:%s", e->run_id);
	int rc = state_lock(e->o->state, key, eng_lock_me(e), 0, &e->lk_run, &who, err);
	if (rc == 1) {
		jv h = holder_text(who);
		who = jv_null();
		*err = resume ? jv_string_fmt("run %s is still running: held by %s%s", e->run_id, jv_string_value(h),
					      e->o->take_over ? "; --take-over continues a run only once its owner is gone" : "") :
				jv_string_fmt("run %s is held by %s", e->run_id, jv_string_value(h));
		jv_free(h);
	}
	jv_free(who);
	return rc == 0 ? EXIT_OK : rc == 1 ? EXIT_LOCKED : EXIT_INVALID;
}

/* resume: the run's lock, its owner's host, then the runbook's lock */
int eng_lock_resume(struct engine *e, jv journal, jv *err)
{
	int rc = eng_lock_run(e, 1, err);
	if (rc != EXIT_OK)
		return rc;
	const char *host = owner_host(journal);
	jv me = eng_lock_me(e);
	const char *here = jvx_str(me, "host");
	if (host && here && strcmp(host, here) && !e->o->take_over) {
		*err = jv_string_fmt("run %s was started on %s: continue it here with `runbook resume --take-over %s`",
				     e->run_id, host, e->run_id);
		jv_free(me);
		return EXIT_INVALID;
	}
	jv_free(me);
	return eng_lock_book(e, err);
}

void eng_locks_release(struct engine *e)
{
	state_unlock(e->lk_book);
	state_unlock(e->lk_run);
	e->lk_book = e->lk_run = NULL;
}
