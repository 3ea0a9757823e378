/* rundir.c — the run folder: plan.json, params.json (no secrets), the runbook's copy
 * with literal secrets masked, the tape header, set-up errors; read back for a resume
 * (engine_resume_open). */
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
#include "../core/caps.h"

static const char *const secret_keys[] = {
	"password", "passwd", "auth", "token", "secret_access_key", "aws_secret_access_key",
	"session_token", "aws_session_token", "client_key_data", "api_key", NULL,
};

jv engine_steps_list(const struct plan *p)
{
	jv a = jv_array();
	for (int k = 0; k < p->n; k++) {
		const struct plan_node *pn = &p->nodes[p->order[k]];
		int per_item = 0;
		/* under a for_each uses: the steps show once per item, as ID[i].STEP */
		for (int sc = pn->scope; sc > 0 && !per_item; sc = p->scopes[sc].parent)
			per_item = p->nodes[p->scopes[sc].uses_node].step->for_each >= 0;
		if (per_item)
			continue;
		jv s = jv_object();
		s = jv_object_set(s, jv_string("id"), jv_string(pn->qid));
		if (pn->step->name)
			s = jv_object_set(s, jv_string("name"), jv_string(pn->step->name));
		s = jv_object_set(s, jv_string("kind"), jv_string(step_kind_name(pn->step->kind)));
		a = jv_array_append(a, s);
	}
	return a;
}
static int put_jv(struct engine *e, const char *name, jv v, jv *err)
{
	/* nothing to mask before a secret is known (redact_jv copies every string) */
	if (e->o->redact && redact_count(e->o->redact) > 0)
		v = redact_jv(e->o->redact, v);
	char *text = jvx_dump_pretty(v);
	int rc = state_run_put(e->o->state, e->run_id, name, text, strlen(text), err);
	free(text);
	return rc;
}
static int is_secret_key(const char *key)
{
	for (int i = 0; key && secret_keys[i]; i++)
		if (!strcasecmp(key, secret_keys[i]))
			return 1;
	return 0;
}
/* password=VALUE (libpq keyword form, quoted or not) and scheme://user:PASSWORD@ */
static void taint_conn_text(struct redactor *r, const char *s)
{
	for (const char *p = s; (p = strstr(p, "password")); p += 8) {
		const char *v = p + 8;
		while (*v == ' ')
			v++;
		if (*v != '=')
			continue;
		v++;
		while (*v == ' ')
			v++;
		struct buf b = BUF_INIT(CAP_JOURNAL_VALUE);
		if (*v == '\'') {
			for (v++; *v && *v != '\''; v++) {
				if (*v == '\\' && v[1])
					v++;
				if (buf_add(&b, v, 1) < 0)
					break;
			}
		} else {
			size_t n = strcspn(v, " \t\n&");
			if (buf_add(&b, v, n) < 0)
				b.len = 0;
		}
		if (b.len)
			redact_add(r, buf_str(&b));
		buf_release(&b);
	}
	const char *sch = strstr(s, "://");
	if (sch) {
		const char *u = sch + 3, *end = u + strcspn(u, "/?# \t");
		const char *at = memchr(u, '@', (size_t)(end - u));
		const char *colon = at ? memchr(u, ':', (size_t)(at - u)) : NULL;
		if (colon && at - colon > 1) {
			char *pw = xmalloc((size_t)(at - colon));
			memcpy(pw, colon + 1, (size_t)(at - colon - 1));
			pw[at - colon - 1] = '\0';
			redact_add(r, pw);
			free(pw);
		}
	}
}
static void taint_literal_jv(struct redactor *r, jv v, const char *key)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		if (is_secret_key(key))
			redact_add(r, jv_string_value(v));
		else
			taint_conn_text(r, jv_string_value(v));
		break;
	case JV_KIND_ARRAY:
		jv_array_foreach(v, i, x) {
			taint_literal_jv(r, x, key);
			jv_free(x);
			(void)i;
		}
		break;
	case JV_KIND_OBJECT:
		jv_object_foreach(v, k, x) {
			taint_literal_jv(r, x, jv_string_value(k));
			jv_free(k);
			jv_free(x);
		}
		break;
	default:
		break;
	}
	jv_free(v);
}
static void taint_literal_tmpl(struct redactor *r, const struct tmpl *t, const char *key)
{
	if (!t)
		return;
	switch (t->kind) {
	case TMPL_CONST:
		taint_literal_jv(r, jv_copy(t->value), key);
		break;
	case TMPL_INTERP:
		for (int i = 0; i < t->nparts; i++)
			if (t->parts[i].text)
				taint_conn_text(r, t->parts[i].text);
		break;
	case TMPL_LIST:
	case TMPL_MAP:
		for (int i = 0; i < t->n; i++)
			taint_literal_tmpl(r, t->items[i], t->kind == TMPL_MAP ? t->keys[i] : key);
		break;
	default:
		break;
	}
}
/* a copy of a runbook file as it may be kept: secrets masked; *masked set if any was */
static char *source_redacted(struct engine *e, const struct source *src, int *masked)
{
	char *plain = xmalloc(src->len + 1);
	memcpy(plain, src->text, src->len);
	plain[src->len] = '\0';
	char *red = redact_str(e->o->redact, plain);
	if (strlen(plain) != src->len || strcmp(red, plain))
		*masked = 1;
	free(plain);
	return red;
}
/* the tape's header (tape.h): params with every secret, placeholders once written */
jv eng_tape_header_of(struct engine *e, const struct plan *p)
{
	char ts[40];
	char *abs = p->rb->path ? realpath(p->rb->path, NULL) : NULL;
	jv h = jv_object();
	h = jv_object_set(h, jv_string("runbook"), jv_string(p->rb->name ? p->rb->name : ""));
	h = jv_object_set(h, jv_string("path"), jv_string(abs ? abs : (p->rb->path ? p->rb->path : "")));
	h = jv_object_set(h, jv_string("sha256"), e->src_sha256[0] ? jv_string(e->src_sha256) : jv_null());
	h = jv_object_set(h, jv_string("params"), jv_get_kind(e->o->params) == JV_KIND_OBJECT ?
			  jv_copy(e->o->params) : jv_object());
	h = jv_object_set(h, jv_string("run_id"), jv_string(e->run_id));
	h = jv_object_set(h, jv_string("clock"), jv_string(clock_kind(e->clk) == CLOCK_REAL ? "real" : "virtual"));
	h = jv_object_set(h, jv_string("started"), jv_string(clock_format(e->run_started, ts, sizeof(ts))));
	h = jv_object_set(h, jv_string("rehearsal"), jv_bool(e->o->rehearsal));
	h = jv_object_set(h, jv_string("versions"), tape_versions());
	h = jv_object_set(h, jv_string("steps"), engine_steps_list(p));
	free(abs);
	return h;
}
int eng_run_dir_setup(struct engine *e, jv *err)
{
	char name[4096];
	struct state *st = e->o->state;
	/* before anything is created: a run must not start without its recording, and a
	 * tape holds one run */
	if (e->o->record_path && tape_check(e->o->record_path, NULL, err) < 0)
		return -1;
	/* a new run in the store (a new id if this one is taken), invisible until
	 * state_run_publish: a run killed while starting leaves nothing that history or
	 * resume would take for a run */
	if (state_run_create(st, &e->run_id, clock_now(e->clk), err) < 0)
		return -1;
	if (put_jv(e, "plan.json", plan_to_json(e->p), err) < 0 ||
	    put_jv(e, "params.json", params_public(e->p->rb, e->o->params), err) < 0)
		return -1;
	/* copies of every runbook file, so resume can reload what ran; with the literal
	 * secrets of connections masked (resume then needs the unchanged original, which
	 * it recognises by the sha256 in run_started) */
	const struct source_list *sl = &e->p->loader->sources;
	for (int s = 0; s < e->p->nscopes; s++)
		taint_literal_tmpl(e->o->redact, e->p->scopes[s].rb->connections, NULL);
	for (int i = 0; i < sl->n; i++) {
		const struct source *src = sl->items[i];
		const char *base = strrchr(src->path, '/');
		int masked = 0, rc;
		base = base ? base + 1 : src->path;
		char *text = source_redacted(e, src, &masked);
		snprintf(name, sizeof(name), "sources/%d-%s", i, base);
		rc = state_run_put(st, e->run_id, name, text, strlen(text), err);
		if (rc == 0 && e->p->rb->path && !strcmp(src->path, e->p->rb->path)) {
			rc = state_run_put(st, e->run_id, "runbook.yaml", text, strlen(text), err);
			sha256_hex(src->text, src->len, e->src_sha256);
			e->copy_masked = masked;
		}
		free(text);
		if (rc < 0)
			return -1;
	}
	if (journal_open(&e->jn, st, e->run_id, e->o->record_path, e->o->redact, err) < 0)
		return -1;
	e->jopen = 1;
	if (e->o->record_path)     /* the header is for a tape only */
		journal_tape_header(&e->jn, eng_tape_header_of(e, e->p), e->run_started);
	return 0;
}
void eng_emit_setup_error(struct engine *e, jv msg, int code)
{
	if (e->o->diags) {
		/* for stderr: nothing ran, nothing goes to the event stream */
		diag_error(e->o->diags, NULL, "%s", jv_string_value(msg));
		jv_free(msg);
		return;
	}
	jv ev = eng_ev_new(e, EV_RUN_FINISHED, NULL);
	ev = jv_object_set(ev, jv_string("status"), jv_string("failed"));
	ev = jv_object_set(ev, jv_string("exit_code"), jv_number(code));
	ev = jv_object_set(ev, jv_string("error"), msg);
	eng_emit(e, ev, 0);
}

/* ---- read back for a resume ---- */

/* the runbook copy kept with the run, as a local file resume can load: the run's work
 * folder holds runbook.yaml and sources/ (the folder store keeps them there already;
 * another store's are written there first) */
static char *local_copy(struct state *st, const char *run_id, struct diag_list *dl)
{
	jv err = jv_invalid();
	char *dir = state_run_workdir(st, run_id, &err), *path = NULL;
	if (!dir) {
		diag_error(dl, NULL, "%s", jv_string_value(err));
		goto out;
	}
	jv p = jv_string_fmt("%s/runbook.yaml", dir);
	path = xstrdup(jv_string_value(p));
	jv_free(p);
	if (state_kind_of(st) != STATE_FOLDER) {
		size_t len;
		char *text = state_run_get(st, run_id, "runbook.yaml", &len);
		if (!text || fs_write_atomic(path, text, len, 0600) < 0) {
			diag_error(dl, NULL, "cannot keep the copy of the runbook of run '%s' in '%s': %s", run_id, dir,
				   strerror(errno));
			free(path);
			path = NULL;
		}
		free(text);
	}
out:
	jv_free(err);
	free(dir);
	return path;
}

int engine_resume_open(struct state *st, const char *run_id, struct engine_resumable *r,
		       struct diag_list *dl)
{
	const char *sd = state_name(st);
	struct run_fold fold;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->journal = jv_invalid();
	r->started = jv_invalid();
	r->params = jv_invalid();
	run_fold_init(&fold);
	if (run_id_check(run_id) < 0) {
		diag_error(dl, NULL, "invalid RUN-ID '%s': a run id names a run in '%s' ('runbook history' "
			   "lists them)", run_id, sd);
		goto out;
	}
	r->run_id = xstrdup(run_id);
	r->journal = state_run_events(st, run_id);
	if (!jv_is_valid(r->journal)) {
		char *m = eng_invalid_msg(r->journal);
		r->journal = jv_invalid();
		diag_error(dl, NULL, "no run '%s' in '%s' (%s)", run_id, sd, m);
		free(m);
		goto out;
	}
	run_fold_journal(&fold, r->journal);
	if (fold.end == EV_RUN_FINISHED) {
		diag_error(dl, NULL, "run '%s' already finished (%s); nothing to resume", run_id,
			   run_fold_status(&fold));
		goto out;
	}
	r->started = jv_copy(fold.started);
	if (!jv_is_valid(r->started)) {
		diag_error(dl, NULL, "the journal of run '%s' has no run_started record", run_id);
		goto out;
	}
	if (jvx_bool(r->started, "rehearsal", 0)) {
		/* its simulated world ended with the rehearsal; resuming would run it for real */
		diag_error(dl, NULL, "run '%s' was a rehearsal: it cannot be resumed (its simulated world is gone); "
			   "rehearse the runbook again", run_id);
		goto out;
	}
	/* the runbook to load: the original when it is unchanged (its `uses:` resolve),
	 * else the copy kept with the run, unless that copy has secrets masked */
	{
		size_t clen, olen;
		char *copy = state_run_get(st, run_id, "runbook.yaml", &clen);
		const char *orig = jvx_str(r->started, "path"), *sha = jvx_str(r->started, "sha256");
		char *otext = orig && *orig ? fs_read(orig, CAP_JOURNAL, &olen) : NULL;
		int same = 0;
		if (otext && sha) {
			char h[65];
			sha256_hex(otext, olen, h);
			same = !strcmp(h, sha);
		} else if (otext && copy) {
			same = olen == clen && !memcmp(otext, copy, clen);
		}
		free(otext);
		free(copy);
		if (same) {
			r->runbook = xstrdup(orig);
		} else if (jvx_bool(r->started, "copy_redacted", 0)) {
			diag_error(dl, NULL, "runbook '%s' changed since run '%s' started, and the copy kept in the run "
				   "folder has its secrets masked: put the original back (sha256 %s) to resume",
				   orig ? orig : "?", run_id, sha ? sha : "?");
			goto out;
		} else if (!(r->runbook = local_copy(st, run_id, dl))) {
			goto out;
		}
	}
	/* the params recorded (no secrets) */
	char *ptext = state_run_get(st, run_id, "params.json", NULL);
	r->params = ptext ? jv_parse(ptext) : jv_object();
	free(ptext);
	if (!jv_is_valid(r->params) || jv_get_kind(r->params) != JV_KIND_OBJECT) {
		jv_free(r->params);
		r->params = jv_object();
	}
	rc = 0;
out:
	run_fold_release(&fold);
	return rc;
}

void engine_resumable_release(struct engine_resumable *r)
{
	free(r->run_id);
	free(r->runbook);
	jv_free(r->journal);
	jv_free(r->started);
	jv_free(r->params);
	memset(r, 0, sizeof(*r));
	r->journal = r->started = r->params = jv_invalid();
}
