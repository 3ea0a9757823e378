/* load_steps.c — a step's keys, each by its entry in a descriptor table: the kind
 * (action, wait, confirm, assert, uses), needs, when, for_each, retry, timeout, outputs,
 * rollback, critical. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "load_priv.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"

#define X(e, s) s,
static const char *const step_kind_names[] = { STEP_KINDS(X) NULL };
#undef X

const char *step_kind_name(enum step_kind k)
{
	BUG_ON(k < 0 || k >= STEP_KIND__N);
	return step_kind_names[k];
}

/* ---- steps -------------------------------------------------------------------- */

struct step_parse {
	struct rb_step *s;
	const char *what;                 /* "step 'x'" or "rollback step 'x'" */
	const struct ynode *kind_key;     /* first kind key seen */
	const struct ynode *with_key, *with_val;
	const struct ynode *conc_key;
	int in_rollback;
};

static void set_kind(struct lctx *c, struct step_parse *sp, const struct ynode *key, enum step_kind k)
{
	if (sp->kind_key) {
		diag_error(c->dl, &key->loc, "%s has both '%s' and '%s': a step does exactly one thing",
			   sp->what, sp->kind_key->scalar, key->scalar);
		return;
	}
	sp->kind_key = key;
	sp->s->kind = k;
}

static void k_id(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o) { }

static void k_name(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	load_get_str(c, v, "name", &sp->s->name);
}

static void k_action(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	set_kind(c, sp, key, STEP_ACTION);
	if (load_get_str(c, v, "action", &sp->s->action) == 0)
		sp->s->action_loc = v->loc;
}

static void k_with(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	sp->with_key = key;
	sp->with_val = v;
}

static const struct key_desc wait_keys[];
static void k_wait(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	struct rb_wait *w = &sp->s->wait;
	set_kind(c, sp, key, STEP_WAIT);
	if (load_want_map(c, v, "wait") < 0)
		return;
	char where[160];
	snprintf(where, sizeof(where), "'wait' of step '%s'", sp->s->id);
	const char *saved = c->where;
	c->where = where;
	load_walk_keys(c, v, wait_keys, w);
	c->where = saved;
	if (!ynode_get(v, "action") && !load_misspelt(v, load_table_names(wait_keys), "action"))
		diag_error(c->dl, &v->loc, "'wait' of step '%s' has no 'action' to poll", sp->s->id);
	if (!ynode_get(v, "until") && !load_misspelt(v, load_table_names(wait_keys), "until"))
		diag_error(c->dl, &v->loc, "'wait' of step '%s' has no 'until' condition", sp->s->id);
}

static void w_action(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_wait *w = o;
	if (load_get_str(c, v, "action", &w->action) == 0)
		w->action_loc = v->loc;
}
static void w_with(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_wait *w = o;
	if (load_want_map(c, v, "with") == 0)
		load_get_tmpl(c, v, &w->with);
	w->with_bad = !w->with;
}
static void w_until(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_expr(c, v, "until", &((struct rb_wait *)o)->until);
}
static void w_fail_if(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_expr(c, v, "fail_if", &((struct rb_wait *)o)->fail_if);
}
static void w_timeout(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_dur(c, v, "timeout", "the step's timeout", &((struct rb_wait *)o)->timeout_ms);
}
static void w_interval(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_dur(c, v, "interval", "the default", &((struct rb_wait *)o)->interval_ms);
}
static void w_max_interval(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_dur(c, v, "max_interval", "the default", &((struct rb_wait *)o)->max_interval_ms);
}
static void w_expect(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_dur(c, v, "expect", "the action's typical duration", &((struct rb_wait *)o)->expect_ms);
}

static const struct key_desc wait_keys[] = {
	{ "action", w_action }, { "with", w_with }, { "until", w_until }, { "fail_if", w_fail_if },
	{ "timeout", w_timeout }, { "interval", w_interval }, { "max_interval", w_max_interval },
	{ "expect", w_expect }, { NULL, NULL },
};

static void c_prompt(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_confirm *cf = o;
	if (load_is_scalar(v))
		load_get_tmpl(c, v, &cf->prompt);
	else
		load_type_error(c, v, "prompt", "a string");
}
static void c_phrase(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_confirm *cf = o;
	if (load_is_scalar(v))
		load_get_tmpl(c, v, &cf->phrase);
	else
		load_type_error(c, v, "phrase", "a string");
}
static const struct key_desc confirm_keys[] = {
	{ "prompt", c_prompt }, { "phrase", c_phrase }, { NULL, NULL },
};

static void k_confirm(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	set_kind(c, sp, key, STEP_CONFIRM);
	if (load_is_scalar(v)) {
		load_get_tmpl(c, v, &sp->s->confirm.prompt);
		return;
	}
	if (v->kind != Y_MAP) {
		load_type_error(c, v, "confirm", "a prompt string or a map with 'prompt'");
		return;
	}
	char where[160];
	snprintf(where, sizeof(where), "'confirm' of step '%s'", sp->s->id);
	const char *saved = c->where;
	c->where = where;
	load_walk_keys(c, v, confirm_keys, &sp->s->confirm);
	c->where = saved;
	if (!ynode_get(v, "prompt") && !load_misspelt(v, load_table_names(confirm_keys), "prompt"))
		diag_error(c->dl, &v->loc, "'confirm' of step '%s' has no 'prompt'", sp->s->id);
}

static void a_that(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_expr(c, v, "that", &((struct rb_assertion *)o)->that);
}
static void a_message(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_assertion *a = o;
	if (load_is_scalar(v))
		load_get_tmpl(c, v, &a->message);
	else
		load_type_error(c, v, "message", "a string");
}
static const struct key_desc assert_keys[] = {
	{ "that", a_that }, { "message", a_message }, { NULL, NULL },
};

static void parse_assertion(struct lctx *c, struct step_parse *sp, const struct ynode *n)
{
	struct rb_step *s = sp->s;
	struct rb_assertion *a = &s->asserts[s->nasserts];
	memset(a, 0, sizeof(*a));
	a->that = -1;
	a->loc = n->loc;
	if (load_is_scalar(n)) {
		if (load_get_expr(c, n, "that", &a->that) == 0)
			s->nasserts++;
		return;
	}
	if (n->kind != Y_MAP) {
		load_type_error(c, n, "assert", "a map with 'that' or a jq expression");
		return;
	}
	char where[160];
	snprintf(where, sizeof(where), "'assert' of step '%s'", s->id);
	const char *saved = c->where;
	c->where = where;
	load_walk_keys(c, n, assert_keys, a);
	c->where = saved;
	if (!ynode_get(n, "that") && !load_misspelt(n, load_table_names(assert_keys), "that"))
		diag_error(c->dl, &n->loc, "assertion of step '%s' has no 'that'", s->id);
	if (a->that >= 0)
		s->nasserts++;
	else
		tmpl_free(a->message);
}

static void k_assert(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	set_kind(c, sp, key, STEP_ASSERT);
	if (v->kind == Y_SEQ) {
		if (!v->n) {
			diag_error(c->dl, &v->loc, "'assert' of step '%s' is empty", sp->s->id);
			return;
		}
		sp->s->asserts = xcalloc((size_t)v->n, sizeof(*sp->s->asserts));
		for (int i = 0; i < v->n; i++)
			parse_assertion(c, sp, v->items[i]);
		return;
	}
	sp->s->asserts = xcalloc(1, sizeof(*sp->s->asserts));
	parse_assertion(c, sp, v);
}

static void k_uses(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	set_kind(c, sp, key, STEP_USES);
	if (sp->in_rollback) {
		diag_error(c->dl, &key->loc, "a rollback step cannot use another runbook");
		return;
	}
	if (c->in_finally) {
		diag_error(c->dl, &key->loc, "a finally step cannot use another runbook");
		return;
	}
	if (load_get_str(c, v, "uses", &sp->s->uses) == 0)
		sp->s->uses_loc = v->loc;
}

static void k_needs(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_step *s = ((struct step_parse *)o)->s;
	s->has_for_each = 1;     /* even when unusable (reported): .item is no second error */
	if (((struct step_parse *)o)->in_rollback) {
		diag_error(c->dl, &key->loc, "'needs' is not allowed in a rollback step (rollback steps run in reverse order of completion)");
		return;
	}
	if (c->in_finally) {
		diag_error(c->dl, &key->loc, "'needs' is not allowed in a finally step (finally steps run one after the other, in order)");
		return;
	}
	s->has_needs = 1;
	if (load_is_scalar(v)) {   /* needs: a   ==  needs: [a] */
		s->needs = xcalloc(1, sizeof(*s->needs));
		s->needs_locs = xcalloc(1, sizeof(*s->needs_locs));
		s->needs[0] = xstrdup(v->scalar);
		s->needs_locs[0] = v->loc;
		s->nneeds = 1;
		return;
	}
	if (v->kind != Y_SEQ) {
		load_type_error(c, v, "needs", "a list of step ids");
		return;
	}
	s->needs = xcalloc((size_t)(v->n ? v->n : 1), sizeof(*s->needs));
	s->needs_locs = xcalloc((size_t)(v->n ? v->n : 1), sizeof(*s->needs_locs));
	for (int i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i];
		if (!load_is_scalar(it)) {
			load_type_error(c, it, "needs", "a list of step ids");
			continue;
		}
		int dup = 0;
		for (int j = 0; j < s->nneeds; j++)
			dup |= !strcmp(s->needs[j], it->scalar);
		if (dup) {
			diag_error(c->dl, &it->loc, "step '%s' needs '%s' twice", s->id, it->scalar);
			continue;
		}
		s->needs[s->nneeds] = xstrdup(it->scalar);
		s->needs_locs[s->nneeds++] = it->loc;
	}
}

static void k_when(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_expr(c, v, "when", &((struct step_parse *)o)->s->when);
}

static void k_for_each(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_step *s = ((struct step_parse *)o)->s;
	s->has_for_each = 1;     /* even when unusable (reported): .item is no second error */
	if (((struct step_parse *)o)->in_rollback) {
		/* the engine runs a rollback once per item of the step it undoes (.item is
		 * that item): a loop of its own would be ignored */
		diag_error(c->dl, &key->loc, "'for_each' is not allowed in a rollback step (it already runs "
			   "once per item of the step it undoes, with that item as .item)");
		return;
	}
	if (c->in_finally) {
		diag_error(c->dl, &key->loc, "'for_each' is not allowed in a finally step");
		return;
	}
	if (v->kind == Y_SCALAR && !v->quoted && strcmp(ynode_kind_name(v), "string")) {
		/* for_each: 12345 (or true, or empty) would fail only when the step runs */
		load_type_error(c, v, "for_each", "a list or a jq expression producing one");
		return;
	}
	if (v->kind == Y_SCALAR && v->scalar[strspn(v->scalar, " \t\n")] &&
	    strchr("\"{-0123456789", v->scalar[strspn(v->scalar, " \t\n")])) {
		/* a jq literal that is not a list: "for_each: '{}'", "for_each: '\"a\"'" */
		jv lit = jv_parse(v->scalar);
		int bad = jv_is_valid(lit) && jv_get_kind(lit) != JV_KIND_ARRAY;
		const char *k = bad ? (jv_get_kind(lit) == JV_KIND_OBJECT ? "a map" :
				       jv_get_kind(lit) == JV_KIND_STRING ? "a string" : "a number") : NULL;
		jv_free(lit);
		if (bad) {
			diag_error(c->dl, &v->loc, "'for_each' must be a list or a jq expression producing "
				   "one, not %s", k);
			return;
		}
	}
	if (v->kind == Y_SEQ) {
		/* a literal YAML list: its JSON text is a jq expression producing it */
		jv j = ynode_to_jv(v);
		jv t = jv_dump_string(j, 0);
		s->for_each = exprset_add(c->ld->exprs, jv_string_value(t), &v->loc);
		jv_free(t);
		return;
	}
	load_get_expr(c, v, "for_each", &s->for_each);
}

static void k_concurrency(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	sp->conc_key = key;
	load_get_int(c, v, "concurrency", 1, 1000000, &sp->s->concurrency);
}

static void r_attempts(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_int(c, v, "attempts", 1, 1000, &((struct rb_retry *)o)->attempts);
}
static void r_delay(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_dur(c, v, "delay", NULL, &((struct rb_retry *)o)->delay_ms);
}
static void r_max_delay(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_dur(c, v, "max_delay", "no bound", &((struct rb_retry *)o)->max_delay_ms);
}
static void r_backoff(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	jv j = ynode_to_jv(v);
	if (v->kind == Y_SCALAR && !v->quoted && jv_get_kind(j) == JV_KIND_NUMBER &&
	    jv_number_value(j) >= 1 && jv_number_value(j) <= 100)
		((struct rb_retry *)o)->backoff = jv_number_value(j);
	else if (v->kind == Y_SCALAR)
		diag_error(c->dl, &v->loc, "'backoff' must be a number from 1 to 100, not '%s'", v->scalar);
	else
		load_type_error(c, v, "backoff", "a number");
	jv_free(j);
}
static const struct key_desc retry_keys[] = {
	{ "attempts", r_attempts }, { "delay", r_delay }, { "backoff", r_backoff },
	{ "max_delay", r_max_delay }, { NULL, NULL },
};

static void k_retry(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_step *s = ((struct step_parse *)o)->s;
	/* retry: N  ==  retry: {attempts: N}; a map starts from 3 attempts, 5s, x2 */
	s->retry.attempts = 3;
	s->retry.delay_ms = 5000;
	s->retry.backoff = 2;
	if (v->kind == Y_SCALAR) {
		load_get_int(c, v, "retry", 1, 1000, &s->retry.attempts);
		return;
	}
	if (load_want_map(c, v, "retry") < 0)
		return;
	char where[160];
	snprintf(where, sizeof(where), "'retry' of step '%s'", s->id);
	const char *saved = c->where;
	c->where = where;
	load_walk_keys(c, v, retry_keys, &s->retry);
	c->where = saved;
	if (s->retry.max_delay_ms && s->retry.max_delay_ms < s->retry.delay_ms)
		diag_error(c->dl, &ynode_get(v, "max_delay")->loc,
			   "'max_delay' is shorter than 'delay' in step '%s'", s->id);
}

static void k_timeout(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_dur(c, v, "timeout", "none", &((struct step_parse *)o)->s->timeout_ms);
}

static void k_outputs(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_step *s = ((struct step_parse *)o)->s;
	load_parse_outputs(c, v, &s->outputs, &s->noutputs);
}

static void k_rollback(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	struct rb_step *s = sp->s;
	if (sp->in_rollback) {
		diag_error(c->dl, &key->loc, "a rollback step cannot have its own 'rollback'");
		return;
	}
	if (c->in_finally) {
		diag_error(c->dl, &key->loc, "a finally step cannot have a 'rollback' (it runs after the run has ended)");
		return;
	}
	if (v->kind == Y_MAP) {   /* one step */
		s->rollback = xcalloc(1, sizeof(*s->rollback));
		s->nrollback = 1;
		load_parse_step(c, v, &s->rollback[0], s->id, 0);
		return;
	}
	if (v->kind != Y_SEQ) {
		load_type_error(c, v, "rollback", "a list of steps");
		return;
	}
	s->rollback = xcalloc((size_t)(v->n ? v->n : 1), sizeof(*s->rollback));
	s->nrollback = v->n;
	for (int i = 0; i < v->n; i++)
		load_parse_step(c, v->items[i], &s->rollback[i], s->id, i);
}

static void k_critical(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_bool(c, v, "critical", &((struct step_parse *)o)->s->critical);
}

static const struct key_desc step_keys[] = {
	{ "id", k_id }, { "name", k_name },
	{ "action", k_action }, { "with", k_with }, { "wait", k_wait }, { "confirm", k_confirm },
	{ "assert", k_assert }, { "uses", k_uses },
	{ "needs", k_needs }, { "when", k_when }, { "for_each", k_for_each },
	{ "concurrency", k_concurrency }, { "retry", k_retry }, { "timeout", k_timeout },
	{ "outputs", k_outputs }, { "rollback", k_rollback }, { "critical", k_critical },
	{ NULL, NULL },
};

static void step_init(struct rb_step *s)
{
	memset(s, 0, sizeof(*s));
	s->when = -1;
	s->for_each = -1;
	s->wait.until = -1;
	s->wait.fail_if = -1;
	s->retry.attempts = 1;
	s->retry.backoff = 2;
	s->critical = 1;
	s->kind = STEP_KIND__N;
}

/* parent: NULL for a step of the runbook, else the step whose rollback this is */
void load_parse_step(struct lctx *c, const struct ynode *n, struct rb_step *s, const char *parent,
		       int index)
{
	struct step_parse sp = { .s = s, .in_rollback = parent != NULL };
	char where[160];
	const char *saved_where = c->where;
	step_init(s);
	s->loc = n->loc;
	s->id_loc = n->loc;
	if (n->kind != Y_MAP) {
		diag_error(c->dl, &n->loc, "a step must be a map with 'id' and one of 'action', 'wait', "
			   "'confirm', 'assert', 'uses', not %s", load_kind_phrase(n));
		s->id = xstrdup("");
		return;
	}
	const struct ynode *id = ynode_get(n, "id");
	if (id) {
		s->id_loc = id->loc;
		if (load_get_str(c, id, "id", &s->id) == 0 && !load_valid_step_id(s->id))
			diag_error(c->dl, &id->loc, "invalid step id '%s': use lowercase letters, digits and "
				   "'_', starting with a letter or '_'", s->id);
	}
	if (!s->id) {
		char gen[256];
		if (parent || id) {   /* generated, or already reported as invalid */
			snprintf(gen, sizeof(gen), "%s_rollback_%d", parent, index + 1);
		} else {
			diag_error(c->dl, &n->loc, "step %d has no 'id'", index + 1);
			snprintf(gen, sizeof(gen), "step_%d", index + 1);
		}
		s->id = xstrdup(gen);
	}
	if (parent)
		snprintf(where, sizeof(where), "rollback step '%s'", s->id);
	else
		snprintf(where, sizeof(where), "step '%s'", s->id);
	c->where = where;
	sp.what = where;
	load_walk_keys(c, n, step_keys, &sp);
	c->where = where;   /* nested tables point elsewhere while they run */

	/* a misspelt kind key already has its did-you-mean: say it once */
	int kind_typo = 0;
	for (int i = 0; i < n->n && !sp.kind_key; i++) {
		const struct key_desc *k;
		for (k = step_keys; k->name && strcmp(k->name, n->keys[i]->scalar); k++)
			;
		if (!k->name && diag_suggest(n->keys[i]->scalar, step_kind_names, -1))
			kind_typo = 1;
	}
	if (!sp.kind_key && !kind_typo)
		diag_error(c->dl, &n->loc, "%s does nothing: add one of 'action', 'wait', 'confirm', "
			   "'assert' or 'uses'", where);
	if (sp.with_key) {
		if (sp.kind_key && (s->kind == STEP_ACTION || s->kind == STEP_USES)) {
			if (load_want_map(c, sp.with_val, "with") == 0)
				load_get_tmpl(c, sp.with_val, &s->with);
			s->with_bad = !s->with;
		} else if (sp.kind_key && s->kind == STEP_WAIT) {
			diag_error(c->dl, &sp.with_key->loc, "'with' of a wait goes inside 'wait:' in %s", where);
		} else if (sp.kind_key) {
			diag_error(c->dl, &sp.with_key->loc, "'with' needs 'action' or 'uses' in %s", where);
		}
	}
	if (sp.conc_key && s->for_each < 0)
		diag_error(c->dl, &sp.conc_key->loc, "'concurrency' needs 'for_each' in %s", where);
	if (sp.kind_key && s->kind == STEP_USES && s->uses)
		load_uses_child(c, s, sp.with_key && !s->with);
	if (!sp.kind_key)
		s->kind = STEP_ACTION;   /* keep the model well-formed after the error */
	c->where = saved_where;
}

/* the step tables, readable by name (keys.h: `runbook schema`) */
#include "keys.h"
const struct key_desc *const lang_step_keys = step_keys, *const lang_wait_keys = wait_keys,
	*const lang_confirm_keys = confirm_keys, *const lang_assert_keys = assert_keys,
	*const lang_retry_keys = retry_keys;
