/* refcheck.c — every name an expression reads exists (DESIGN.md, "The language, v1.1").
 *
 * For each expression, the static paths from its input (lang/refs.c) are checked
 * against the model: the context's keys {params, steps, run, item, result}; `.params.N`
 * declared; `.steps.X.K` with K a step's context field; `.steps.X.outputs.N` declared by
 * X (a `uses:` step: the child's top-level outputs); `.steps.X.result.F...` and
 * `.result.F...` against the action's declared result fields (AWS: its botocore shape);
 * `.item` only in a for_each step and its rollback; `.result` only in outputs,
 * until/fail_if and rollback steps; `.outputs` (the undone step's) only in rollback steps;
 * `.run.status`/`.run.error` only in finally steps; the `lock:` key only `.params.N`, N not
 * secret (it is taken before anything runs, and written in the lock record and in messages).
 * `.steps.X` naming no step or a non-ancestor is plan.c's check. Paths reached dynamically
 * (`.steps[$x]`) are not checked.
 * Errors point into the expression at the bad name when its column can be computed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "plan.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/strmap.h"
#include "../lang/refs.h"
#include "../modules/registry.h"

struct site {
	const char *what;                    /* "step 'x'", "output 'o'", "a connection" */
	int item_ok;                         /* inside a for_each step or its rollback */
	int result_ok;                       /* outputs, until, fail_if, rollback */
	const struct action_desc *result;    /* what `.result` is, or NULL: unchecked */
	const struct rb_step *undone;        /* in a rollback step: the step it undoes (`.outputs`) */
	int finally;                         /* a `finally:` step: `.run.status`, `.run.error` */
	int lock;                            /* the `lock:` key: named params only, none secret */
};

struct checker {
	const struct plan *p;
	struct exprset *set;
	struct diag_list *dl;
	const struct diag_list *before;      /* the loader's errors: bad expressions */
	const struct runbook *rb;            /* the runbook being checked */
	int sc;                              /* its scope */
	struct strmap ids;                   /* its step ids -> index in steps (no scan per reference) */
	const struct rb_step **steps;
	int nsteps, asteps;
	struct buf path, msg;
	const char **names;
	int nnames, anames;
};

static const char *const ctx_keys[] = { "params", "steps", "run", "item", "result", "outputs", NULL };
static const char *const run_keys[] = {
	"id", "started_at", "dry_run", "rehearsal", "status", "error", NULL
};
static const char *const step_keys[] = {
	"status", "outputs", "result", "started_at", "finished_at", "duration_ms", NULL
};

/* ---- locations ---- */

/* the location of byte `off` of expression e: its text is found in the source after
 * the `${{`, the opening quote, or on the lines of a `|` block; when the source does
 * not spell the text the same way (escapes, folding), the expression's own location */
static struct srcloc loc_at(const struct exprset *set, int e, int off)
{
	const struct srcloc *l = exprset_loc(set, e);
	const char *text = exprset_text(set, e);
	struct srcloc r = *l;
	size_t len;
	const char *line, *p;
	int ln = l->line, col = l->col, block = -1;

	if (!l->src || ln < 1 || col < 1 || !(line = source_line(l->src, ln, &len)) || (size_t)col > len)
		return r;
	p = line + col - 1;
	if (p[0] == '$' && p[1] == '{' && p[2] == '{') {
		p += 3;
		col += 3;
	} else if (*p == '"' || *p == '\'') {
		p++;
		col++;
	} else if (*p == '|') {
		if (!(line = source_line(l->src, ++ln, &len)))
			return r;
		for (block = 0; (size_t)block < len && line[block] == ' '; block++)
			;
		p = line + block;
		col = block + 1;
	} else if (*p == '>') {
		return r;
	}
	for (int k = 0; k < off; k++) {
		if (text[k] == '\n') {
			if (block < 0 || !(line = source_line(l->src, ++ln, &len)))
				return r;
			size_t ind = (size_t)block < len ? (size_t)block : len;
			p = line + ind;
			col = (int)ind + 1;
			continue;
		}
		if (*p != text[k])
			return r;
		if (((unsigned char)*p & 0xC0) != 0x80)
			col++;
		p++;
	}
	if (*p != text[off])
		return r;
	r.line = ln;
	r.col = col;
	return r;
}

/* ---- messages ---- */

static void names_reset(struct checker *c)
{
	c->nnames = 0;
}

static void names_add(struct checker *c, const char *n)
{
	ALLOC_GROW(c->names, c->nnames + 1, c->anames);
	c->names[c->nnames++] = n;
}

/* ".steps.a.outputs.x" up to and including component k */
static const char *show_path(struct checker *c, const struct ref_path *rp, int k)
{
	int berr = 0;
	buf_reset(&c->path);
	for (int i = 0; i <= k && i < rp->n; i++) {
		const struct ref_comp *cp = &rp->c[i];
		if (cp->kind == REF_FIELD)
			berr |= buf_addf(&c->path, ".%s", cp->name);
		else if (cp->kind == REF_INDEX)
			berr |= buf_addf(&c->path, "[%s]", cp->name);
		else
			berr |= buf_adds(&c->path, "[]");
	}
	BUF_NOCAP(berr);
	return buf_str(&c->path);
}

/* the closest name: diag_suggest's edit distance, else the shortest name that ends with
 * the word, ignoring case (`Status` -> `DBInstanceStatus`, AWS names carry prefixes) */
static const char *suggest(struct checker *c, const char *word)
{
	const char *best = diag_suggest(word, c->names, c->nnames);
	size_t wl = strlen(word);
	if (best || wl < 3)
		return best;
	for (int i = 0; i < c->nnames; i++) {
		size_t nl = strlen(c->names[i]);
		if (nl > wl && !strcasecmp(c->names[i] + nl - wl, word) && (!best || nl < strlen(best)))
			best = c->names[i];
	}
	return best;
}

/* an error at component k of rp: "WHAT reads 'PATH' but PROBLEM (did you mean 'x'?)";
 * the suggestion is among c->names */
static void fail(struct checker *c, const struct site *st, int e, const struct ref_path *rp, int k,
		 const char *problem)
{
	const char *word = rp->c[k].kind == REF_FIELD ? rp->c[k].name : NULL;
	const char *sug = word && c->nnames ? suggest(c, word) : NULL;
	struct srcloc at = loc_at(c->set, e, rp->c[k].off);
	diag_error(c->dl, &at, "%s reads '%s' but %s%s%s%s", st->what, show_path(c, rp, k), problem,
		   sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
}

/* ---- checks ---- */

/* rp's components from k on, against an action's result */
static int check_result(struct checker *c, const struct site *st, int e, const struct ref_path *rp, int k,
			 const struct action_desc *d)
{
	int berr = 0;
	const struct action_result *f, *fields;
	if (!d || (!d->results && !d->result_shape) || k >= rp->n || rp->c[k].kind != REF_FIELD)
		return berr;
	if (action_result_find(d, "*"))
		return berr;                      /* free-form (k8s objects, aws.call) */
	f = action_result_find(d, rp->c[k].name);
	if (!f) {
		names_reset(c);
		for (const struct action_result *r = d->results; r && r->name; r++)
			names_add(c, r->name);
		for (const struct action_result *r = d->result_shape; r && r->name; r++)
			names_add(c, r->name);
		buf_reset(&c->msg);
		berr |= buf_addf(&c->msg, "the result of '%s' has no field '%s'", d->name, rp->c[k].name);
		fail(c, st, e, rp, k, buf_str(&c->msg));
		return berr;
	}
	/* nested: objects by name, lists through one [N] or [] */
	for (k++; f && (fields = f->fields) && k < rp->n; k++) {
		if (f->type == ARG_LIST) {
			if (rp->c[k].kind == REF_FIELD)
				return berr;              /* a list has no fields: jq's error at run time */
			if (++k >= rp->n)
				return berr;
		}
		if (rp->c[k].kind != REF_FIELD)
			return berr;
		const struct action_result *g = action_result_field(fields, rp->c[k].name);
		if (!g) {
			names_reset(c);
			for (const struct action_result *r = fields; r->name; r++)
				names_add(c, r->name);
			buf_reset(&c->msg);
			berr |= buf_addf(&c->msg, "'%s' has no field '%s'", f->name, rp->c[k].name);
			fail(c, st, e, rp, k, buf_str(&c->msg));
			return berr;
		}
		f = g;
	}
	return berr;
}

static const struct action_desc *step_desc(const struct rb_step *s)
{
	switch (s->kind) {
	case STEP_ACTION: return s->action ? registry_find(s->action) : NULL;
	case STEP_WAIT: return s->wait.action ? registry_find(s->wait.action) : NULL;
	default: return NULL;
	}
}

/* rp->c[k], when a field, must be an output x declares */
static int check_outputs(struct checker *c, const struct site *st, int e, const struct ref_path *rp,
			  int k, const struct rb_step *x)
{
	int berr = 0;
	const char *o;
	if (rp->n <= k || rp->c[k].kind != REF_FIELD)
		return berr;
	o = rp->c[k].name;
	if (x->kind == STEP_USES && !x->child)
		return berr;              /* the child did not load: reported */
	names_reset(c);
	for (int i = 0; i < x->noutputs; i++)
		names_add(c, x->outputs[i].name);
	for (int i = 0; x->kind == STEP_USES && i < x->child->noutputs; i++)
		names_add(c, x->child->outputs[i].name);
	for (int i = 0; i < c->nnames; i++)
		if (!strcmp(c->names[i], o))
			return berr;
	buf_reset(&c->msg);
	if (x->kind == STEP_USES)
		berr |= buf_addf(&c->msg, "'%s' (uses %s) declares no output '%s'", x->id, x->uses, o);
	else
		berr |= buf_addf(&c->msg, "step '%s' declares no output '%s'", x->id, o);
	fail(c, st, e, rp, k, buf_str(&c->msg));
	return berr;
}

/* `.run.K`: status and error exist only in finally steps */
static int check_run(struct checker *c, const struct site *st, int e, const struct ref_path *rp)
{
	int berr = 0;
	const char *k;
	if (rp->n < 2 || rp->c[1].kind != REF_FIELD)
		return berr;
	k = rp->c[1].name;
	names_reset(c);
	for (const char *const *n = run_keys; *n; n++) {
		int late = !strcmp(*n, "status") || !strcmp(*n, "error");
		if (!strcmp(*n, k)) {
			if (late && !st->finally)
				fail(c, st, e, rp, 1, "'.run.status' and '.run.error' exist only in finally steps");
			return berr;
		}
		if (!late || st->finally)
			names_add(c, *n);
	}
	buf_reset(&c->msg);
	berr |= buf_addf(&c->msg, "the run has no field '%s' (it has id, started_at, dry_run, rehearsal%s)", k,
		 st->finally ? ", status and error" : "");
	fail(c, st, e, rp, 1, buf_str(&c->msg));
	return berr;
}

static int check_steps(struct checker *c, const struct site *st, int e, const struct ref_path *rp)
{
	int berr = 0;
	int i;
	if (rp->n < 2 || rp->c[1].kind != REF_FIELD || (i = strmap_get(&c->ids, rp->c[1].name)) < 0)
		return berr;                      /* unknown steps: plan.c says so */
	const struct rb_step *x = c->steps[i];
	if (rp->n < 3 || rp->c[2].kind != REF_FIELD)
		return berr;
	const char *k = rp->c[2].name;
	int known = 0;
	for (const char *const *n = step_keys; *n; n++)
		known |= !strcmp(*n, k);
	if (!known) {
		names_reset(c);
		for (const char *const *n = step_keys; *n; n++)
			names_add(c, *n);
		fail(c, st, e, rp, 2, x->kind == STEP_USES && !strcmp(k, "steps") ?
		     "a step has only status, outputs, result, started_at, finished_at and duration_ms "
		     "(a used runbook's steps are reached through its top-level outputs)" :
		     "a step has only status, outputs, result, started_at, finished_at and duration_ms");
		return berr;
	}
	if (!strcmp(k, "outputs")) {
		berr |= check_outputs(c, st, e, rp, 3, x);
	} else if (!strcmp(k, "result")) {
		berr |= check_result(c, st, e, rp, 3, step_desc(x));
	}
	return berr;
}

/* the `lock:` key is rendered from the params alone before the run exists, and its text is
 * stored in the lock record and shown to whoever waits for it: `.params.N`, N declared and
 * not secret (whether N is declared is check_path's). -1: reported, the path is done */
static int check_lock(struct checker *c, const struct site *st, int e, const struct ref_path *rp)
{
	int berr = 0;
	const char *top = rp->c[0].name;
	names_reset(c);
	if (strcmp(top, "params")) {
		int known = 0;
		for (const char *const *n = ctx_keys; *n; n++)
			known |= !strcmp(*n, top);
		if (!known)
			names_add(c, "params");
		fail(c, st, e, rp, 0, "a lock key may read only params ('.params.NAME'): it is taken "
		     "before anything runs");
		return -1;
	}
	if (rp->n < 2 || rp->c[1].kind != REF_FIELD) {
		fail(c, st, e, rp, 0, "a lock key may read only named params ('.params.NAME'), not the "
		     "whole of '.params'");
		return -1;
	}
	for (int i = 0; i < c->rb->nparams; i++)
		if (!strcmp(c->rb->params[i].name, rp->c[1].name) && (c->rb->params[i].flags & PARAM_SECRET)) {
			buf_reset(&c->msg);
			berr |= buf_addf(&c->msg, "param '%s' is secret (a lock key is written in the lock "
					 "record and shown in messages)", rp->c[1].name);
			BUF_NOCAP(berr);
			fail(c, st, e, rp, 1, buf_str(&c->msg));
			return -1;
		}
	return 0;
}

static int check_path(struct checker *c, const struct site *st, int e, const struct ref_path *rp)
{
	int berr = 0;
	const char *top;
	if (rp->c[0].kind != REF_FIELD)
		return berr;
	top = rp->c[0].name;
	if (st->lock && check_lock(c, st, e, rp) < 0)
		return berr;
	if (!strcmp(top, "params")) {
		if (rp->n < 2 || rp->c[1].kind != REF_FIELD)
			return berr;
		names_reset(c);
		for (int i = 0; i < c->rb->nparams; i++) {
			if (!strcmp(c->rb->params[i].name, rp->c[1].name))
				return berr;
			names_add(c, c->rb->params[i].name);
		}
		buf_reset(&c->msg);
		berr |= buf_addf(&c->msg, "there is no param '%s'", rp->c[1].name);
		fail(c, st, e, rp, 1, buf_str(&c->msg));
	} else if (!strcmp(top, "steps")) {
		berr |= check_steps(c, st, e, rp);
	} else if (!strcmp(top, "item")) {
		if (!st->item_ok) {
			names_reset(c);
			fail(c, st, e, rp, 0, "'.item' exists only in a for_each step and its rollback");
		}
	} else if (!strcmp(top, "result")) {
		if (!st->result_ok) {
			names_reset(c);
			fail(c, st, e, rp, 0,
			     "'.result' exists only in outputs, until, fail_if and rollback steps");
		} else {
			berr |= check_result(c, st, e, rp, 1, st->result);
		}
	} else if (!strcmp(top, "outputs") && st->undone) {
		berr |= check_outputs(c, st, e, rp, 1, st->undone);
	} else if (!strcmp(top, "outputs")) {
		names_reset(c);
		fail(c, st, e, rp, 0, "'.outputs' exists only in rollback steps (the undone step's outputs)");
	} else if (!strcmp(top, "run")) {
		berr |= check_run(c, st, e, rp);
	} else {
		names_reset(c);
		for (const char *const *n = ctx_keys; *n; n++)
			names_add(c, *n);
		fail(c, st, e, rp, 0, "the context has only params, steps, run, item and result "
		     "(and outputs in a rollback step)");
	}
	return berr;
}

/* whether an error was already reported inside expression e (jq's syntax errors):
 * its names are not checked, as jq did not understand it either */
static int reported(const struct checker *c, int e)
{
	const struct srcloc *l = exprset_loc(c->set, e);
	int lines = 1;
	for (const char *t = exprset_text(c->set, e); *t; t++)
		lines += *t == '\n';
	for (int i = 0; c->before && i < c->before->n; i++) {
		const struct diag *d = &c->before->items[i];
		if (d->level == DIAG_ERROR && d->loc.src == l->src && d->loc.line >= l->line &&
		    d->loc.line <= l->line + lines && (d->loc.line > l->line || d->loc.col >= l->col) &&
		    strstr(d->msg, "expression"))
			return 1;
	}
	return 0;
}

static int check_expr(struct checker *c, const struct site *st, int e)
{
	int berr = 0;
	struct ref_path *rp = NULL;
	int n;
	if (e < 0 || reported(c, e))
		return berr;
	n = refs_extract(exprset_text(c->set, e), &rp);
	for (int i = 0; i < n; i++)
		berr |= check_path(c, st, e, &rp[i]);
	refs_free(rp, n);
	return berr;
}

struct tmpl_arg {
	struct checker *c;
	const struct site *st;
};

static void tmpl_one(int e, void *arg)
{
	int berr = 0;
	struct tmpl_arg *a = arg;
	berr |= check_expr(a->c, a->st, e);
	BUF_NOCAP(berr);
}

static void check_tmpl(struct checker *c, const struct site *st, const struct tmpl *t)
{
	struct tmpl_arg a = { c, st };
	if (t)
		tmpl_each_expr(t, tmpl_one, &a);
}

/* a step's expressions; undone: the step a rollback step undoes, or NULL;
 * fin: a top-level finally step */
static int check_step(struct checker *c, const struct rb_step *s, const struct rb_step *undone, int fin)
{
	int berr = 0;
	char what[160];
	const struct action_desc *d = step_desc(s);
	int in_each = undone ? undone->has_for_each : s->has_for_each;
	struct site plain = { what, in_each, undone != NULL, undone ? step_desc(undone) : NULL, undone, fin };
	struct site outs = { what, in_each, 1, undone ? NULL : d, undone, fin };
	struct site each = { what, 0, undone != NULL, plain.result, undone, fin };

	if (undone)
		snprintf(what, sizeof(what), "rollback step '%s' of '%s'", s->id, undone->id);
	else if (fin)
		snprintf(what, sizeof(what), "finally step '%s'", s->id);
	else
		snprintf(what, sizeof(what), "step '%s'", s->id);
	check_tmpl(c, &plain, s->with);
	berr |= check_expr(c, &plain, s->when);
	berr |= check_expr(c, undone ? &plain : &each, s->for_each);
	for (int i = 0; i < s->noutputs; i++)
		berr |= check_expr(c, &outs, s->outputs[i].expr);
	switch (s->kind) {
	case STEP_WAIT:
		check_tmpl(c, &plain, s->wait.with);
		berr |= check_expr(c, &outs, s->wait.until);
		berr |= check_expr(c, &outs, s->wait.fail_if);
		break;
	case STEP_ASSERT:
		for (int i = 0; i < s->nasserts; i++) {
			berr |= check_expr(c, &plain, s->asserts[i].that);
			check_tmpl(c, &plain, s->asserts[i].message);
		}
		break;
	case STEP_CONFIRM:
		check_tmpl(c, &plain, s->confirm.prompt);
		check_tmpl(c, &plain, s->confirm.phrase);
		break;
	default:
		break;
	}
	for (int i = 0; !undone && i < s->nrollback; i++)
		berr |= check_step(c, &s->rollback[i], s, 0);
	return berr;
}

void plan_check_refs(const struct plan *p, const struct diag_list *before, struct diag_list *dl)
{
	int berr = 0;
	struct checker c = { .p = p, .dl = dl, .before = before };
	char what[160];
	if (!p->loader || !(c.set = p->loader->exprs))
		return;
	buf_init(&c.path, 0);
	buf_init(&c.msg, 0);
	for (int sc = 0; sc < p->nscopes; sc++) {
		const struct runbook *rb = p->scopes[sc].rb;
		int dup = 0;
		/* a runbook used twice is one text: check it once */
		for (int k = 0; k < sc && !dup; k++)
			dup = p->scopes[k].rb == rb ||
			      (rb->path && p->scopes[k].rb->path && !strcmp(rb->path, p->scopes[k].rb->path));
		if (dup)
			continue;
		c.rb = rb;
		c.sc = sc;
		strmap_release(&c.ids);
		c.nsteps = 0;
		for (int i = 0; i < rb->nsteps + rb->nfinally; i++)
			for (int j = -1; j < (i < rb->nsteps ? rb->steps[i].nrollback : 0); j++) {
				const struct rb_step *x = i >= rb->nsteps ? &rb->finally[i - rb->nsteps] :
							  j < 0 ? &rb->steps[i] : &rb->steps[i].rollback[j];
				ALLOC_GROW(c.steps, c.nsteps + 1, c.asteps);
				c.steps[c.nsteps] = x;
				if (strmap_put(&c.ids, x->id, c.nsteps) == c.nsteps)
					c.nsteps++;   /* the first of a duplicate id, as runbook_find_step */
			}
		for (int i = 0; i < rb->nsteps; i++)
			berr |= check_step(&c, &rb->steps[i], NULL, 0);
		for (int i = 0; i < rb->nfinally; i++)
			berr |= check_step(&c, &rb->finally[i], NULL, 1);
		for (int i = 0; i < rb->noutputs; i++) {
			snprintf(what, sizeof(what), "output '%s'", rb->outputs[i].name);
			struct site st = { what, 0, 0, NULL, NULL, 0 };
			berr |= check_expr(&c, &st, rb->outputs[i].expr);
		}
		/* objectives: over the final context, like outputs */
		struct site orp = { "objective 'recovery_point'", 0, 0, NULL, NULL, 0 };
		struct site oit = { "objective 'incident_time'", 0, 0, NULL, NULL, 0 };
		berr |= check_expr(&c, &orp, rb->objectives.recovery_point);
		berr |= check_expr(&c, &oit, rb->objectives.incident_time);
		struct site conn = { "a connection", 0, 0, NULL, NULL, 0 };
		check_tmpl(&c, &conn, rb->connections);
		/* a used runbook's lock is checked too: it is a runbook of its own elsewhere */
		struct site lock = { "lock", 0, 0, NULL, NULL, 0, 1 };
		check_tmpl(&c, &lock, rb->lock);
	}
	BUF_NOCAP(berr);
	free(c.names);
	strmap_release(&c.ids);
	free(c.steps);
	buf_release(&c.path);
	buf_release(&c.msg);
}
