/* load.c — YAML tree -> struct runbook, with every check that needs no module
 * knowledge (keys, types, ids, durations, expressions' syntax, params, uses:).
 * All errors are reported at once; each key is handled by a descriptor table. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "model.h"
#include "yaml.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/strmap.h"

#define USES_MAX_DEPTH 16
/* `uses:` loads its file again at every use: a fan-out (10 uses of a file that makes 10
 * uses ...) grows exponentially. Bounds on what one runbook may bring in, in all: */
#define USES_MAX_RUNBOOKS 1000     /* used runbooks, each use counted */
#define USES_MAX_STEPS    20000    /* their steps */

#define X(e, s) s,
static const char *const step_kind_names[] = { STEP_KINDS(X) NULL };
#undef X

const char *step_kind_name(enum step_kind k)
{
	BUG_ON(k < 0 || k >= STEP_KIND__N);
	return step_kind_names[k];
}

struct lctx {
	struct rb_loader *ld;
	struct diag_list *dl;
	struct runbook *rb;
	const char *where;        /* "step 'x'" etc. for messages */
	int in_finally;           /* parsing the steps of `finally:` */
};

/* ---- small checks ------------------------------------------------------------- */

static int match_name(const char *s, int first_digit_ok, int dash_ok, int upper_ok)
{
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9') ||
			 (dash_ok && c == '-') || (upper_ok && c >= 'A' && c <= 'Z');
		if (p == s && ((c >= '0' && c <= '9' && !first_digit_ok) || c == '-'))
			ok = 0;
		if (dash_ok && c == '_')
			ok = 0;
		if (!ok)
			return 0;
	}
	return 1;
}

static int valid_runbook_name(const char *s) { return match_name(s, 1, 1, 0); }
static int valid_step_id(const char *s) { return match_name(s, 0, 0, 0); }
static int valid_ident(const char *s) { return match_name(s, 0, 0, 1); }

static int is_scalar(const struct ynode *n)
{
	return n && n->kind == Y_SCALAR && strcmp(ynode_kind_name(n), "null");
}

/* "a list", "a string", "empty" ... for messages */
static const char *kind_phrase(const struct ynode *n)
{
	static const struct { const char *kind, *phrase; } tab[] = {
		{ "list", "a list" }, { "map", "a map" }, { "string", "a string" },
		{ "number", "a number" }, { "bool", "a bool" }, { "null", "empty" },
	};
	const char *k = ynode_kind_name(n);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].kind, k))
			return tab[i].phrase;
	return k;
}

/* wrong type: "'KEY' must be WANT, not KIND" */
static void type_error(struct lctx *c, const struct ynode *n, const char *key, const char *want)
{
	diag_error(c->dl, &n->loc, "'%s' must be %s, not %s", key, want, kind_phrase(n));
}

/* a key of map that is not in names but looks like `wanted` (its did-you-mean was
 * reported already: do not also say that `wanted` is missing) */
static int misspelt(const struct ynode *map, const char *const *names, const char *wanted)
{
	const char *one[] = { wanted, NULL };
	for (int i = 0; i < map->n; i++) {
		const char *k = map->keys[i]->scalar;
		int known = 0;
		for (const char *const *n = names; *n; n++)
			known |= !strcmp(*n, k);
		if (!known && diag_suggest(k, one, -1))
			return 1;
	}
	return 0;
}

/* strings: any non-null scalar, as written */
static int get_str(struct lctx *c, const struct ynode *n, const char *key, char **out)
{
	if (!is_scalar(n)) {
		type_error(c, n, key, "a string");
		return -1;
	}
	free(*out);
	*out = xstrdup(n->scalar);
	return 0;
}

static int get_bool(struct lctx *c, const struct ynode *n, const char *key, int *out)
{
	jv v = ynode_to_jv(n);
	int rc = -1;
	if (n->kind == Y_SCALAR && !n->quoted && jv_get_kind(v) == JV_KIND_TRUE) {
		*out = 1;
		rc = 0;
	} else if (n->kind == Y_SCALAR && !n->quoted && jv_get_kind(v) == JV_KIND_FALSE) {
		*out = 0;
		rc = 0;
	} else if (n->kind == Y_SCALAR) {
		diag_error(c->dl, &n->loc, "'%s' must be true or false, not '%s'", key, n->scalar);
	} else {
		type_error(c, n, key, "true or false");
	}
	jv_free(v);
	return rc;
}

static int get_int(struct lctx *c, const struct ynode *n, const char *key, int min, int max, int *out)
{
	jv v = ynode_to_jv(n);
	int rc = -1;
	if (n->kind == Y_SCALAR && !n->quoted && jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		if (d != floor(d))
			diag_error(c->dl, &n->loc, "'%s' must be a whole number, not %s", key, n->scalar);
		else if (d < min || d > max)
			diag_error(c->dl, &n->loc, "'%s' must be between %d and %d, not %s", key, min, max,
				   n->scalar);
		else {
			*out = (int)d;
			rc = 0;
		}
	} else if (n->kind == Y_SCALAR && strcmp(ynode_kind_name(n), "null")) {
		diag_error(c->dl, &n->loc, "'%s' must be a number, not '%s'", key, n->scalar);
	} else {
		type_error(c, n, key, "a number");
	}
	jv_free(v);
	return rc;
}

/* omit: what leaving the key out means ("no timeout"), when 0 would mean the same and is
 * therefore an error; NULL when 0 is a duration like any other */
static int get_dur(struct lctx *c, const struct ynode *n, const char *key, const char *omit, int64_t *out)
{
	if (n->kind != Y_SCALAR || !strcmp(ynode_kind_name(n), "null")) {
		type_error(c, n, key, "a duration");
		return -1;
	}
	if (dur_parse(n->scalar, out) < 0) {
		if (n->scalar[0] && strspn(n->scalar, "0123456789") == strlen(n->scalar))
			diag_error(c->dl, &n->loc, "invalid duration '%s' for '%s': a bare number is not a "
				   "duration (write '%ss' or '%sm')", n->scalar, key, n->scalar, n->scalar);
		else if (isdigit((unsigned char)n->scalar[0]) &&
			 strspn(n->scalar, "0123456789.dhmse") == strlen(n->scalar))
			diag_error(c->dl, &n->loc, "invalid duration '%s' for '%s': write whole numbers, "
				   "units from the largest down, each once (e.g. '1h30m', '90s', '250ms')",
				   n->scalar, key);
		else
			diag_error(c->dl, &n->loc, "invalid duration '%s' for '%s' (write e.g. '90s', '15m', "
				   "'1h30m')", n->scalar, key);
		return -1;
	}
	if (omit && *out == 0) {
		diag_error(c->dl, &n->loc, "'%s' must be longer than 0 (omit it for %s)", key, omit);
		return -1;
	}
	return 0;
}

/* bare jq (when, until, that, for_each, outputs): an expression index or -1 */
static int get_expr(struct lctx *c, const struct ynode *n, const char *key, int *out)
{
	if (!is_scalar(n)) {
		type_error(c, n, key, "a jq expression");
		return -1;
	}
	if (strstr(n->scalar, "${{")) {
		diag_error(c->dl, &n->loc, "'%s' is a bare jq expression: write it without '${{ }}'", key);
		return -1;
	}
	*out = exprset_add(c->ld->exprs, n->scalar, &n->loc);
	return 0;
}

static int get_tmpl(struct lctx *c, const struct ynode *n, struct tmpl **out)
{
	tmpl_free(*out);
	*out = tmpl_from_ynode(n, c->ld->exprs, c->dl);
	return *out ? 0 : -1;
}

/* ---- key tables --------------------------------------------------------------- */

typedef void (*key_fn)(struct lctx *c, const struct ynode *key, const struct ynode *val, void *obj);

struct key_desc {
	const char *name;
	key_fn fn;
};
static const struct key_desc top_keys[];

static void walk_keys(struct lctx *c, const struct ynode *map, const struct key_desc *tab, void *obj)
{
	const char *names[64];
	int nn = 0;
	for (const struct key_desc *k = tab; k->name && nn < 63; k++)
		names[nn++] = k->name;
	names[nn] = NULL;
	for (int i = 0; i < map->n; i++) {
		const struct ynode *key = map->keys[i];
		const struct key_desc *k;
		for (k = tab; k->name; k++)
			if (!strcmp(k->name, key->scalar))
				break;
		if (k->name) {
			if (k->fn)
				k->fn(c, key, map->vals[i], obj);
			continue;
		}
		/* `x-...` keys at the top are free for the user (anchors, notes) */
		if (tab == top_keys && !strncmp(key->scalar, "x-", 2))
			continue;
		const char *s = diag_suggest(key->scalar, names, -1);
		if (!*key->scalar)
			diag_error(c->dl, &key->loc, "empty key in %s", c->where);
		else if (s)
			diag_error(c->dl, &key->loc, "unknown key '%s' in %s (did you mean '%s'?)",
				   key->scalar, c->where, s);
		else
			diag_error(c->dl, &key->loc, "unknown key '%s' in %s", key->scalar, c->where);
	}
}

static const char **table_names(const struct key_desc *tab)
{
	static const char *names[64];
	int n = 0;
	for (; tab->name && n < 63; tab++)
		names[n++] = tab->name;
	names[n] = NULL;
	return names;
}

static int want_map(struct lctx *c, const struct ynode *n, const char *key)
{
	if (n && n->kind == Y_MAP)
		return 0;
	type_error(c, n, key, "a map");
	return -1;
}

/* ---- outputs ------------------------------------------------------------------ */

static void parse_outputs(struct lctx *c, const struct ynode *n, struct rb_output **out, int *nout)
{
	if (want_map(c, n, "outputs") < 0)
		return;
	*out = xcalloc((size_t)(n->n ? n->n : 1), sizeof(**out));
	for (int i = 0; i < n->n; i++) {
		const struct ynode *k = n->keys[i];
		int e = -1;
		if (!valid_ident(k->scalar)) {
			diag_error(c->dl, &k->loc, "invalid output name '%s': use letters, digits and '_'",
				   k->scalar);
			continue;
		}
		if (get_expr(c, n->vals[i], k->scalar, &e) < 0)
			continue;
		struct rb_output *o = &(*out)[(*nout)++];
		o->name = xstrdup(k->scalar);
		o->loc = n->vals[i]->loc;
		o->expr = e;
	}
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

static void parse_step(struct lctx *c, const struct ynode *n, struct rb_step *s, const char *parent,
		       int index);

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
	get_str(c, v, "name", &sp->s->name);
}

static void k_action(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	set_kind(c, sp, key, STEP_ACTION);
	if (get_str(c, v, "action", &sp->s->action) == 0)
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
	if (want_map(c, v, "wait") < 0)
		return;
	char where[160];
	snprintf(where, sizeof(where), "'wait' of step '%s'", sp->s->id);
	const char *saved = c->where;
	c->where = where;
	walk_keys(c, v, wait_keys, w);
	c->where = saved;
	if (!ynode_get(v, "action") && !misspelt(v, table_names(wait_keys), "action"))
		diag_error(c->dl, &v->loc, "'wait' of step '%s' has no 'action' to poll", sp->s->id);
	if (!ynode_get(v, "until") && !misspelt(v, table_names(wait_keys), "until"))
		diag_error(c->dl, &v->loc, "'wait' of step '%s' has no 'until' condition", sp->s->id);
}

static void w_action(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_wait *w = o;
	if (get_str(c, v, "action", &w->action) == 0)
		w->action_loc = v->loc;
}
static void w_with(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_wait *w = o;
	if (want_map(c, v, "with") == 0)
		get_tmpl(c, v, &w->with);
	w->with_bad = !w->with;
}
static void w_until(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_expr(c, v, "until", &((struct rb_wait *)o)->until);
}
static void w_fail_if(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_expr(c, v, "fail_if", &((struct rb_wait *)o)->fail_if);
}
static void w_timeout(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_dur(c, v, "timeout", "the step's timeout", &((struct rb_wait *)o)->timeout_ms);
}
static void w_interval(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_dur(c, v, "interval", "the default", &((struct rb_wait *)o)->interval_ms);
}
static void w_max_interval(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_dur(c, v, "max_interval", "the default", &((struct rb_wait *)o)->max_interval_ms);
}
static void w_expect(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_dur(c, v, "expect", "the action's typical duration", &((struct rb_wait *)o)->expect_ms);
}

static const struct key_desc wait_keys[] = {
	{ "action", w_action }, { "with", w_with }, { "until", w_until }, { "fail_if", w_fail_if },
	{ "timeout", w_timeout }, { "interval", w_interval }, { "max_interval", w_max_interval },
	{ "expect", w_expect }, { NULL, NULL },
};

static void c_prompt(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_confirm *cf = o;
	if (is_scalar(v))
		get_tmpl(c, v, &cf->prompt);
	else
		type_error(c, v, "prompt", "a string");
}
static void c_phrase(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_confirm *cf = o;
	if (is_scalar(v))
		get_tmpl(c, v, &cf->phrase);
	else
		type_error(c, v, "phrase", "a string");
}
static const struct key_desc confirm_keys[] = {
	{ "prompt", c_prompt }, { "phrase", c_phrase }, { NULL, NULL },
};

static void k_confirm(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	set_kind(c, sp, key, STEP_CONFIRM);
	if (is_scalar(v)) {
		get_tmpl(c, v, &sp->s->confirm.prompt);
		return;
	}
	if (v->kind != Y_MAP) {
		type_error(c, v, "confirm", "a prompt string or a map with 'prompt'");
		return;
	}
	char where[160];
	snprintf(where, sizeof(where), "'confirm' of step '%s'", sp->s->id);
	const char *saved = c->where;
	c->where = where;
	walk_keys(c, v, confirm_keys, &sp->s->confirm);
	c->where = saved;
	if (!ynode_get(v, "prompt") && !misspelt(v, table_names(confirm_keys), "prompt"))
		diag_error(c->dl, &v->loc, "'confirm' of step '%s' has no 'prompt'", sp->s->id);
}

static void a_that(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_expr(c, v, "that", &((struct rb_assertion *)o)->that);
}
static void a_message(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_assertion *a = o;
	if (is_scalar(v))
		get_tmpl(c, v, &a->message);
	else
		type_error(c, v, "message", "a string");
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
	if (is_scalar(n)) {
		if (get_expr(c, n, "that", &a->that) == 0)
			s->nasserts++;
		return;
	}
	if (n->kind != Y_MAP) {
		type_error(c, n, "assert", "a map with 'that' or a jq expression");
		return;
	}
	char where[160];
	snprintf(where, sizeof(where), "'assert' of step '%s'", s->id);
	const char *saved = c->where;
	c->where = where;
	walk_keys(c, n, assert_keys, a);
	c->where = saved;
	if (!ynode_get(n, "that") && !misspelt(n, table_names(assert_keys), "that"))
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
	if (get_str(c, v, "uses", &sp->s->uses) == 0)
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
	if (is_scalar(v)) {   /* needs: a   ==  needs: [a] */
		s->needs = xcalloc(1, sizeof(*s->needs));
		s->needs_locs = xcalloc(1, sizeof(*s->needs_locs));
		s->needs[0] = xstrdup(v->scalar);
		s->needs_locs[0] = v->loc;
		s->nneeds = 1;
		return;
	}
	if (v->kind != Y_SEQ) {
		type_error(c, v, "needs", "a list of step ids");
		return;
	}
	s->needs = xcalloc((size_t)(v->n ? v->n : 1), sizeof(*s->needs));
	s->needs_locs = xcalloc((size_t)(v->n ? v->n : 1), sizeof(*s->needs_locs));
	for (int i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i];
		if (!is_scalar(it)) {
			type_error(c, it, "needs", "a list of step ids");
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
	get_expr(c, v, "when", &((struct step_parse *)o)->s->when);
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
		type_error(c, v, "for_each", "a list or a jq expression producing one");
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
	get_expr(c, v, "for_each", &s->for_each);
}

static void k_concurrency(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct step_parse *sp = o;
	sp->conc_key = key;
	get_int(c, v, "concurrency", 1, 1000000, &sp->s->concurrency);
}

static void r_attempts(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_int(c, v, "attempts", 1, 1000, &((struct rb_retry *)o)->attempts);
}
static void r_delay(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_dur(c, v, "delay", NULL, &((struct rb_retry *)o)->delay_ms);
}
static void r_max_delay(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_dur(c, v, "max_delay", "no bound", &((struct rb_retry *)o)->max_delay_ms);
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
		type_error(c, v, "backoff", "a number");
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
		get_int(c, v, "retry", 1, 1000, &s->retry.attempts);
		return;
	}
	if (want_map(c, v, "retry") < 0)
		return;
	char where[160];
	snprintf(where, sizeof(where), "'retry' of step '%s'", s->id);
	const char *saved = c->where;
	c->where = where;
	walk_keys(c, v, retry_keys, &s->retry);
	c->where = saved;
	if (s->retry.max_delay_ms && s->retry.max_delay_ms < s->retry.delay_ms)
		diag_error(c->dl, &ynode_get(v, "max_delay")->loc,
			   "'max_delay' is shorter than 'delay' in step '%s'", s->id);
}

static void k_timeout(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_dur(c, v, "timeout", "none", &((struct step_parse *)o)->s->timeout_ms);
}

static void k_outputs(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_step *s = ((struct step_parse *)o)->s;
	parse_outputs(c, v, &s->outputs, &s->noutputs);
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
		parse_step(c, v, &s->rollback[0], s->id, 0);
		return;
	}
	if (v->kind != Y_SEQ) {
		type_error(c, v, "rollback", "a list of steps");
		return;
	}
	s->rollback = xcalloc((size_t)(v->n ? v->n : 1), sizeof(*s->rollback));
	s->nrollback = v->n;
	for (int i = 0; i < v->n; i++)
		parse_step(c, v->items[i], &s->rollback[i], s->id, i);
}

static void k_critical(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_bool(c, v, "critical", &((struct step_parse *)o)->s->critical);
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

static void load_child(struct lctx *c, struct rb_step *s, int bad_with);

/* parent: NULL for a step of the runbook, else the step whose rollback this is */
static void parse_step(struct lctx *c, const struct ynode *n, struct rb_step *s, const char *parent,
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
			   "'confirm', 'assert', 'uses', not %s", kind_phrase(n));
		s->id = xstrdup("");
		return;
	}
	const struct ynode *id = ynode_get(n, "id");
	if (id) {
		s->id_loc = id->loc;
		if (get_str(c, id, "id", &s->id) == 0 && !valid_step_id(s->id))
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
	walk_keys(c, n, step_keys, &sp);
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
			if (want_map(c, sp.with_val, "with") == 0)
				get_tmpl(c, sp.with_val, &s->with);
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
		load_child(c, s, sp.with_key && !s->with);
	if (!sp.kind_key)
		s->kind = STEP_ACTION;   /* keep the model well-formed after the error */
	c->where = saved_where;
}

/* ---- params ------------------------------------------------------------------- */

static const char *const param_type_names[] = {
	"string", "int", "number", "bool", "duration", "timestamp", "list", "map", NULL,
};

struct param_parse {
	struct rb_param *p;
	const struct ynode *def, *choices, *pattern;
};

static void p_type(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_param *p = ((struct param_parse *)o)->p;
	if (!is_scalar(v)) {
		type_error(c, v, "type", "a type name");
		return;
	}
	enum arg_type t;
	int known = 0;
	for (int i = 0; param_type_names[i]; i++)
		known |= !strcmp(param_type_names[i], v->scalar);
	if (!known || arg_type_parse(v->scalar, &t) < 0) {
		const char *s = diag_suggest(v->scalar, param_type_names, -1);
		if (s)
			diag_error(c->dl, &v->loc, "unknown param type '%s' (did you mean '%s'?)", v->scalar, s);
		else
			diag_error(c->dl, &v->loc, "unknown param type '%s' (one of string, int, number, bool, "
				   "duration, timestamp, list, map)", v->scalar);
		return;
	}
	p->type = t;
}
static void p_required(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_param *p = ((struct param_parse *)o)->p;
	int b = 0;
	if (get_bool(c, v, "required", &b) == 0 && b)
		p->flags |= PARAM_REQUIRED;
}
static void p_secret(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_param *p = ((struct param_parse *)o)->p;
	int b = 0;
	if (get_bool(c, v, "secret", &b) == 0 && b)
		p->flags |= PARAM_SECRET;
}
static void p_default(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	((struct param_parse *)o)->def = v;
}
static void p_enum(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (v->kind != Y_SEQ || !v->n) {
		type_error(c, v, "enum", "a non-empty list");
		return;
	}
	((struct param_parse *)o)->choices = v;
}
static void p_pattern(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct param_parse *pp = o;
	if (get_str(c, v, "pattern", &pp->p->pattern) == 0)
		pp->pattern = v;
}
static void p_description(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_str(c, v, "description", &((struct param_parse *)o)->p->description);
}
static const struct key_desc param_keys[] = {
	{ "type", p_type }, { "required", p_required }, { "default", p_default }, { "enum", p_enum },
	{ "pattern", p_pattern }, { "secret", p_secret }, { "description", p_description },
	{ NULL, NULL },
};

/* a YAML default/enum value as the param's type: strings accept any scalar's text */
static jv param_value(const struct rb_param *p, const struct ynode *v)
{
	if (p->type == ARG_STRING && v->kind == Y_SCALAR && strcmp(ynode_kind_name(v), "null"))
		return jv_string(v->scalar);
	return ynode_to_jv(v);
}

static void parse_param(struct lctx *c, const struct ynode *key, const struct ynode *v, struct rb_param *p)
{
	struct param_parse pp = { .p = p };
	char where[160];
	const char *saved_where = c->where;
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(key->scalar);
	p->loc = key->loc;
	p->type = ARG_STRING;
	p->def = jv_invalid();
	p->choices = jv_invalid();
	if (!valid_ident(key->scalar))
		diag_error(c->dl, &key->loc, "invalid param name '%s': use letters, digits and '_'",
			   key->scalar);
	if (v->kind != Y_MAP) {
		diag_error(c->dl, &v->loc, "param '%s' must be a map like {type: string}, not %s", p->name,
			   kind_phrase(v));
		return;
	}
	snprintf(where, sizeof(where), "param '%s'", p->name);
	c->where = where;
	walk_keys(c, v, param_keys, &pp);
	c->where = saved_where;
	if (pp.pattern) {
		if (p->type != ARG_STRING) {
			diag_error(c->dl, &pp.pattern->loc, "'pattern' applies to string params, param '%s' is %s",
				   p->name, arg_type_name(p->type));
		} else {
			int err;
			PCRE2_SIZE off;
			p->re = pcre2_compile((PCRE2_SPTR)p->pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &off,
					      NULL);
			if (!p->re) {
				PCRE2_UCHAR msg[256];
				pcre2_get_error_message(err, msg, sizeof(msg));
				diag_error(c->dl, &pp.pattern->loc, "invalid pattern for param '%s': %s at offset %zu",
					   p->name, (char *)msg, (size_t)off);
			}
		}
	}
	if (pp.choices) {
		jv choices = jv_array();
		for (int i = 0; i < pp.choices->n; i++) {
			const struct ynode *it = pp.choices->items[i];
			jv val = param_value(p, it);
			const char *why;
			if (param_check_value(p, jv_copy(val), &why) < 0)
				diag_error(c->dl, &it->loc, "enum value of param '%s' %s", p->name, why);
			choices = jv_array_append(choices, val);
		}
		p->choices = choices;
	}
	if (pp.def) {
		jv val = param_value(p, pp.def);
		const char *why;
		/* the enum is checked separately below, so a bad default says why once */
		jv saved = p->choices;
		p->choices = jv_invalid();
		int bad = param_check_value(p, jv_copy(val), &why) < 0;
		p->choices = saved;
		if (bad) {
			diag_error(c->dl, &pp.def->loc, "default of param '%s' %s", p->name, why);
		} else if (jv_is_valid(p->choices)) {
			int found = 0;
			jv_array_foreach(p->choices, i, ch) {
				found |= jv_equal(ch, jv_copy(val));
			}
			if (!found)
				diag_error(c->dl, &pp.def->loc, "default of param '%s' is not one of its 'enum' values",
					   p->name);
		}
		p->def = val;
	}
}

/* ---- uses: -------------------------------------------------------------------- */

static int file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static char *join(const char *dir, const char *rel)
{
	struct buf b = BUF_INIT(0);
	if (rel[0] == '/' || !strcmp(dir, "."))
		buf_adds(&b, rel);
	else
		buf_addf(&b, "%s/%s", dir, rel);
	return buf_detach(&b);
}

static struct runbook *load_file(struct rb_loader *ld, const char *path, const struct srcloc *from,
				 struct diag_list *dl);

/* the param the caller gives must exist, required ones must be given, constants typed */
static void check_uses_with(struct lctx *c, struct rb_step *s, int bad_with)
{
	const struct runbook *child = s->child;
	const char *names[256];
	int nn = 0;
	for (int i = 0; i < child->nparams && nn < 255; i++)
		names[nn++] = child->params[i].name;
	names[nn] = NULL;
	if (s->with) {
		for (int i = 0; i < s->with->n; i++) {
			const char *k = s->with->keys[i];
			const struct rb_param *p = NULL;
			for (int j = 0; j < child->nparams; j++)
				if (!strcmp(child->params[j].name, k))
					p = &child->params[j];
			if (!p) {
				const char *sg = diag_suggest(k, names, -1);
				diag_error(c->dl, &s->with->key_locs[i], "runbook '%s' has no param '%s'%s%s%s",
					   s->uses, k, sg ? " (did you mean '" : "", sg ? sg : "", sg ? "'?)" : "");
				continue;
			}
			const struct tmpl *t = s->with->items[i];
			const char *why;
			if (t->kind == TMPL_CONST && param_check_value(p, jv_copy(t->value), &why) < 0)
				diag_error(c->dl, &t->loc, "param '%s' of '%s' %s", k, s->uses, why);
		}
	}
	for (int j = 0; j < child->nparams; j++) {
		const struct rb_param *p = &child->params[j];
		if ((p->flags & PARAM_REQUIRED) && !jv_is_valid(p->def) && !bad_with && !tmpl_get(s->with, p->name))
			diag_error(c->dl, &s->uses_loc, "step '%s' does not give required param '%s' of '%s'",
				   s->id, p->name, s->uses);
	}
}

static void load_child(struct lctx *c, struct rb_step *s, int bad_with)
{
	struct rb_loader *ld = c->ld;
	char *dir = dir_of(c->rb->path);
	char *path = join(dir, s->uses);
	free(dir);
	if (s->uses[0] != '/' && !file_exists(path)) {
		for (const char **sp = ld->search_path; sp && *sp; sp++) {
			char *cand = join(*sp, s->uses);
			if (file_exists(cand)) {
				free(path);
				path = cand;
				break;
			}
			free(cand);
		}
	}
	if (!file_exists(path)) {
		diag_error(c->dl, &s->uses_loc, "cannot find runbook '%s' (looked next to '%s' and in the "
			   "search path)", s->uses, c->rb->path);
		free(path);
		return;
	}
	if (ld->depth >= USES_MAX_DEPTH) {
		diag_error(c->dl, &s->uses_loc, "'uses' nested deeper than %d runbooks", USES_MAX_DEPTH);
		free(path);
		return;
	}
	if (ld->nloaded >= USES_MAX_RUNBOOKS || ld->nsteps >= USES_MAX_STEPS) {
		/* once: every later use would say the same */
		if (!ld->too_many++)
			diag_error(c->dl, &s->uses_loc, "too many runbooks through 'uses': loading '%s' "
				   "would pass %d runbooks or %d steps in all", s->uses, USES_MAX_RUNBOOKS,
				   USES_MAX_STEPS);
		free(path);
		return;
	}
	char real[PATH_MAX];
	if (realpath(path, real)) {
		for (int i = 0; i < ld->nstack; i++) {
			if (strcmp(ld->stack[i], real))
				continue;
			struct buf b = BUF_INIT(0);
			for (int j = i; j < ld->nstack; j++)
				buf_addf(&b, "%s -> ", ld->stack_names[j]);
			buf_adds(&b, path);
			diag_error(c->dl, &s->uses_loc, "'uses' cycle: %s", buf_str(&b));
			buf_release(&b);
			free(path);
			return;
		}
	}
	const char *saved = c->where;
	int n0 = c->dl->n, inside = 0;
	ld->depth++;
	s->child = load_file(ld, path, &s->uses_loc, c->dl);
	ld->depth--;
	c->where = saved;
	/* errors in the child (not those said at this uses:) are told where they come from */
	for (int i = n0; i < c->dl->n; i++)
		inside |= c->dl->items[i].level == DIAG_ERROR && c->dl->items[i].loc.src != s->uses_loc.src;
	if (inside)
		diag_note(c->dl, &s->uses_loc, "in '%s', used by step '%s'", path, s->id);
	free(path);
	if (s->child)
		check_uses_with(c, s, bad_with);
}

/* ---- top level ---------------------------------------------------------------- */

static void t_runbook(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (get_str(c, v, "runbook", &c->rb->name) < 0)
		return;
	c->rb->loc = v->loc;
	if (!valid_runbook_name(c->rb->name))
		diag_error(c->dl, &v->loc, "invalid runbook name '%s': use lowercase letters, digits and '-'",
			   c->rb->name);
}
static void t_description(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_str(c, v, "description", &c->rb->description);
}
static void o_rto(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (get_dur(c, v, "rto", NULL, &c->rb->objectives.rto_ms) == 0)
		c->rb->objectives.has |= OBJ_RTO;
}
static void o_rpo(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (get_dur(c, v, "rpo", NULL, &c->rb->objectives.rpo_ms) == 0)
		c->rb->objectives.has |= OBJ_RPO;
}
/* the step is looked up once the steps are known (check_objectives) */
static void o_restored(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (get_str(c, v, "restored", &c->rb->objectives.restored) == 0)
		c->rb->objectives.restored_loc = v->loc;
}
static void o_recovery_point(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_expr(c, v, "recovery_point", &c->rb->objectives.recovery_point);
}
static void o_incident_time(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_expr(c, v, "incident_time", &c->rb->objectives.incident_time);
}
static const struct key_desc objective_keys[] = {
	{ "rto", o_rto }, { "rpo", o_rpo }, { "restored", o_restored },
	{ "recovery_point", o_recovery_point }, { "incident_time", o_incident_time }, { NULL, NULL },
};
static void t_objectives(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (want_map(c, v, "objectives") < 0)
		return;
	c->rb->objectives.declared = 1;
	c->where = "'objectives'";
	walk_keys(c, v, objective_keys, NULL);
}
static void t_timeout(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	get_dur(c, v, "timeout", "none", &c->rb->timeout_ms);
}
static void t_params(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (want_map(c, v, "params") < 0)
		return;
	c->rb->params = xcalloc((size_t)(v->n ? v->n : 1), sizeof(*c->rb->params));
	for (int i = 0; i < v->n; i++)
		parse_param(c, v->keys[i], v->vals[i], &c->rb->params[c->rb->nparams++]);
}
static void t_connections(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (want_map(c, v, "connections") < 0)
		return;
	int bad = 0;
	for (int i = 0; i < v->n; i++) {
		if (v->vals[i]->kind != Y_MAP) {
			diag_error(c->dl, &v->vals[i]->loc, "settings of connection '%s' must be a map, not %s",
				   v->keys[i]->scalar, kind_phrase(v->vals[i]));
			bad = 1;
		}
	}
	if (!bad)
		get_tmpl(c, v, &c->rb->connections);
}
static void t_steps(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (v->kind != Y_SEQ) {
		type_error(c, v, "steps", "a list of steps");
		return;
	}
	if (!v->n) {
		diag_error(c->dl, &v->loc, "'steps' is empty: a runbook needs at least one step");
		return;
	}
	c->rb->steps = xcalloc((size_t)v->n, sizeof(*c->rb->steps));
	if (c->ld->depth > 0)    /* the bound is on what uses: brings in */
		c->ld->nsteps += v->n;
	for (int i = 0; i < v->n; i++)
		parse_step(c, v->items[i], &c->rb->steps[c->rb->nsteps++], NULL, i);
}
/* finally: steps parsed like steps:, with what cannot apply after the run refused */
static void t_finally(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (v->kind != Y_SEQ) {
		type_error(c, v, "finally", "a list of steps");
		return;
	}
	c->rb->finally = xcalloc((size_t)(v->n ? v->n : 1), sizeof(*c->rb->finally));
	if (c->ld->depth > 0)
		c->ld->nsteps += v->n;
	c->in_finally = 1;
	for (int i = 0; i < v->n; i++)
		parse_step(c, v->items[i], &c->rb->finally[c->rb->nfinally++], NULL, i);
	c->in_finally = 0;
}
static void t_outputs(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	c->where = "the runbook";
	parse_outputs(c, v, &c->rb->outputs, &c->rb->noutputs);
}
/* rollback_keeps: ["KIND", "KIND NAME", "KIND NAME FIELD", ...]: globs, as `rehearse
 * --sweep` names a resource and a field of it (KIND alone: every one of that kind) */
static void t_rollback_keeps(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (v->kind != Y_SEQ) {
		type_error(c, v, "rollback_keeps", "a list of \"KIND NAME\" patterns");
		return;
	}
	c->rb->rollback_keeps = xcalloc((size_t)(v->n ? v->n : 1), sizeof(char *));
	for (int i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i];
		if (it->kind != Y_SCALAR) {
			type_error(c, it, "rollback_keeps", "a list of \"KIND NAME\" patterns");
			continue;
		}
		/* one to three words, one space apart */
		int words = 0, ok = it->scalar[0] != ' ';
		for (const char *p = it->scalar; *p && ok; p++) {
			if (*p == ' ') {
				words++;
				ok = p[1] && p[1] != ' ';
			}
		}
		if (!ok || !it->scalar[0] || words > 2) {
			diag_error(c->dl, &it->loc, "rollback_keeps entry '%s' must be \"KIND\", \"KIND NAME\" or "
				   "\"KIND NAME FIELD\" (e.g. \"rds.snapshot\", \"rds-snapshot pre-restore-*\")",
				   it->scalar);
			continue;
		}
		c->rb->rollback_keeps[c->rb->nrollback_keeps++] = xstrdup(it->scalar);
	}
}
static const struct key_desc top_keys[] = {
	{ "runbook", t_runbook }, { "description", t_description }, { "objectives", t_objectives },
	{ "timeout", t_timeout }, { "params", t_params }, { "connections", t_connections },
	{ "steps", t_steps }, { "outputs", t_outputs }, { "finally", t_finally },
	{ "rollback_keeps", t_rollback_keeps }, { NULL, NULL },
};

/* one namespace per runbook: its steps, their rollback steps and its finally steps */
struct id_seen {
	struct strmap map;
	const struct rb_step **all;
	int n, alloc;
};

static void id_once(struct lctx *c, struct id_seen *ids, const struct rb_step *t)
{
	if (!*t->id)
		return;
	int k = strmap_put(&ids->map, t->id, ids->n);
	if (k != ids->n) {
		diag_error(c->dl, &t->id_loc, "duplicate step id '%s'", t->id);
		diag_note(c->dl, &ids->all[k]->id_loc, "'%s' is first defined here", t->id);
		return;
	}
	ALLOC_GROW(ids->all, ids->n + 1, ids->alloc);
	ids->all[ids->n++] = t;
}

static void check_ids(struct lctx *c)
{
	struct id_seen ids = { 0 };
	for (int i = 0; i < c->rb->nsteps; i++) {
		const struct rb_step *s = &c->rb->steps[i];
		for (int j = -1; j < s->nrollback; j++)
			id_once(c, &ids, j < 0 ? s : &s->rollback[j]);
	}
	for (int i = 0; i < c->rb->nfinally; i++)
		id_once(c, &ids, &c->rb->finally[i]);
	strmap_release(&ids.map);
	free(ids.all);
}

static void check_outputs_unique(struct lctx *c, const struct rb_output *o, int n)
{
	(void)c; (void)o; (void)n;   /* a YAML map cannot hold a name twice (duplicate key) */
}

/* objectives.restored names one of the runbook's steps (not a rollback or finally
 * step: the restore is done when that step of the procedure is) */
static void check_restored(struct lctx *c)
{
	const struct runbook *rb = c->rb;
	const char *r = rb->objectives.restored, **names;
	if (!r || !rb->nsteps)
		return;
	for (int i = 0; i < rb->nsteps; i++)
		if (!strcmp(rb->steps[i].id, r))
			return;
	for (int i = 0; i < rb->nsteps + rb->nfinally; i++) {
		const struct rb_step *t = i < rb->nsteps ? &rb->steps[i] : &rb->finally[i - rb->nsteps];
		for (int j = i < rb->nsteps ? 0 : -1; j < (i < rb->nsteps ? t->nrollback : 0); j++) {
			const struct rb_step *u = j < 0 ? t : &t->rollback[j];
			if (strcmp(u->id, r))
				continue;
			diag_error(c->dl, &rb->objectives.restored_loc, "objective 'restored' names %s step '%s': "
				   "name a step of the procedure (the restore is done when it ends)",
				   j < 0 ? "finally" : "rollback", r);
			return;
		}
	}
	names = xcalloc((size_t)rb->nsteps, sizeof(*names));
	for (int i = 0; i < rb->nsteps; i++)
		names[i] = rb->steps[i].id;
	const char *s = diag_suggest(r, names, rb->nsteps);
	diag_error(c->dl, &rb->objectives.restored_loc, "objective 'restored' names unknown step '%s'%s%s%s",
		   r, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
	free(names);
}

/* whether text has a line "runbook:" (maybe quoted): a runbook whose YAML is broken */
static int names_runbook(const struct source *src)
{
	static const char *const keys[] = { "runbook", "\"runbook\"", "'runbook'" };
	for (const char *p = src->text; p && p < src->text + src->len; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t l = strlen(keys[i]);
			if (!strncmp(p, keys[i], l) && p[l + strspn(p + l, " \t")] == ':')
				return 1;
		}
	}
	return 0;
}

/* A file that is not a runbook (`uses: /etc/shadow`) is named, never quoted: no
 * diagnostic points into it. from: the `uses:` that named it, or NULL. */
static void not_a_runbook(const struct source *src, const struct srcloc *from, struct diag_list *dl,
			  const char *why)
{
	struct srcloc file = { src, 0, 0 };
	if (from)
		diag_error(dl, from, "'%s' is not a runbook: %s", src->path, why);
	else
		diag_error(dl, &file, "not a runbook: %s", why);
}

static struct runbook *load_doc(struct rb_loader *ld, const struct source *src, const struct srcloc *from,
				struct diag_list *dl)
{
	struct ydoc doc = { 0 };
	struct diag_list pdl = { 0 };
	struct runbook *rb = NULL;
	struct srcloc bad;
	const char *why;
	int named = names_runbook(src);
	if (!named && ydoc_check_text(src, &bad, &why) < 0) {
		not_a_runbook(src, from, dl, !strcmp(why, "is not UTF-8 text") ?
			      "it is not UTF-8 text" : "it holds binary data (a NUL byte)");
		goto out;
	}
	if (ydoc_parse(&doc, src, &pdl) < 0) {
		if (named)
			diag_list_take(dl, &pdl);
		else
			not_a_runbook(src, from, dl, "it is not YAML with a top-level 'runbook:' key");
		goto out;
	}
	if (!doc.root) {
		not_a_runbook(src, from, dl, "it is empty (a runbook needs at least 'runbook' and 'steps')");
		goto out;
	}
	if (doc.root->kind != Y_MAP) {
		char what[96];
		snprintf(what, sizeof(what), "it is %s, not a map with 'runbook' and 'steps'",
			 kind_phrase(doc.root));
		not_a_runbook(src, from, dl, what);
		goto out;
	}
	if (!ynode_get(doc.root, "runbook")) {
		not_a_runbook(src, from, dl, "it has no top-level 'runbook:' key (add 'runbook: NAME' "
			      "at the top)");
		goto out;
	}
	rb = xcalloc(1, sizeof(*rb));
	rb->path = xstrdup(src->path);
	rb->objectives.recovery_point = rb->objectives.incident_time = -1;
	ld->nloaded++;
	struct lctx c = { .ld = ld, .dl = dl, .rb = rb, .where = "the runbook" };
	struct srcloc top = doc.root->loc;
	walk_keys(&c, doc.root, top_keys, NULL);
	if (!ynode_get(doc.root, "steps") && !misspelt(doc.root, table_names(top_keys), "steps"))
		diag_error(dl, &top, "the runbook has no 'steps'");
	check_ids(&c);
	check_outputs_unique(&c, rb->outputs, rb->noutputs);
	check_restored(&c);
	if (!rb->name)
		rb->name = xstrdup("");
out:
	diag_list_release(&pdl);
	ydoc_free(&doc);
	return rb;
}

static struct runbook *load_file(struct rb_loader *ld, const char *path, const struct srcloc *from,
				 struct diag_list *dl)
{
	struct source *src = source_load(&ld->sources, path, dl);
	if (!src)
		return NULL;
	char real[PATH_MAX];
	int pushed = 0;
	if (realpath(path, real)) {
		ALLOC_GROW(ld->stack, ld->nstack + 1, ld->astack);
		ld->stack_names = xrealloc(ld->stack_names, sizeof(*ld->stack_names) * (size_t)ld->astack);
		ld->stack[ld->nstack] = xstrdup(real);
		ld->stack_names[ld->nstack] = xstrdup(path);
		ld->nstack++;
		pushed = 1;
	}
	struct runbook *rb = load_doc(ld, src, from, dl);
	if (pushed) {
		ld->nstack--;
		free(ld->stack[ld->nstack]);
		free(ld->stack_names[ld->nstack]);
	}
	return rb;
}

void loader_init(struct rb_loader *ld, const char **search_path)
{
	memset(ld, 0, sizeof(*ld));
	ld->exprs = exprset_new();
	ld->search_path = search_path;
}

void loader_release(struct rb_loader *ld)
{
	source_list_release(&ld->sources);
	exprset_free(ld->exprs);
	for (int i = 0; i < ld->nstack; i++) {
		free(ld->stack[i]);
		free(ld->stack_names[i]);
	}
	free(ld->stack);
	free(ld->stack_names);
	memset(ld, 0, sizeof(*ld));
}

struct runbook *runbook_load(struct rb_loader *ld, const char *path, struct diag_list *dl)
{
	struct runbook *rb = load_file(ld, path, NULL, dl);
	if (rb && ld->depth == 0)
		exprset_check(ld->exprs, dl);
	return rb;
}

struct runbook *runbook_load_text(struct rb_loader *ld, const char *name, const char *text,
				  struct diag_list *dl)
{
	struct source *src = source_from_text(&ld->sources, name, text, strlen(text));
	struct runbook *rb = load_doc(ld, src, NULL, dl);
	if (rb && ld->depth == 0)
		exprset_check(ld->exprs, dl);
	return rb;
}

static void step_free(struct rb_step *s)
{
	free(s->id);
	free(s->name);
	free(s->action);
	tmpl_free(s->with);
	free(s->wait.action);
	tmpl_free(s->wait.with);
	tmpl_free(s->confirm.prompt);
	tmpl_free(s->confirm.phrase);
	for (int i = 0; i < s->nasserts; i++)
		tmpl_free(s->asserts[i].message);
	free(s->asserts);
	free(s->uses);
	runbook_free(s->child);
	for (int i = 0; i < s->nneeds; i++)
		free(s->needs[i]);
	free(s->needs);
	free(s->needs_locs);
	for (int i = 0; i < s->noutputs; i++)
		free(s->outputs[i].name);
	free(s->outputs);
	for (int i = 0; i < s->nrollback; i++)
		step_free(&s->rollback[i]);
	free(s->rollback);
}

void runbook_free(struct runbook *rb)
{
	if (!rb)
		return;
	free(rb->name);
	free(rb->path);
	free(rb->description);
	for (int i = 0; i < rb->nparams; i++) {
		struct rb_param *p = &rb->params[i];
		free(p->name);
		jv_free(p->def);
		jv_free(p->choices);
		free(p->pattern);
		pcre2_code_free(p->re);
		free(p->description);
	}
	free(rb->params);
	tmpl_free(rb->connections);
	for (int i = 0; i < rb->nsteps; i++)
		step_free(&rb->steps[i]);
	free(rb->steps);
	for (int i = 0; i < rb->nfinally; i++)
		step_free(&rb->finally[i]);
	free(rb->finally);
	for (int i = 0; i < rb->nrollback_keeps; i++)
		free(rb->rollback_keeps[i]);
	free(rb->rollback_keeps);
	for (int i = 0; i < rb->noutputs; i++)
		free(rb->outputs[i].name);
	free(rb->outputs);
	free(rb->objectives.restored);
	free(rb);
}

const struct rb_step *runbook_find_step(const struct runbook *rb, const char *id)
{
	for (int i = 0; i < rb->nsteps; i++) {
		const struct rb_step *s = &rb->steps[i];
		if (!strcmp(s->id, id))
			return s;
		for (int j = 0; j < s->nrollback; j++)
			if (!strcmp(s->rollback[j].id, id))
				return &s->rollback[j];
	}
	for (int i = 0; i < rb->nfinally; i++)
		if (!strcmp(rb->finally[i].id, id))
			return &rb->finally[i];
	return NULL;
}

/* ---- the key tables, readable by name (keys.h: `runbook schema`) ---- */
#include "keys.h"
const struct key_desc *const lang_top_keys = top_keys, *const lang_step_keys = step_keys,
	*const lang_wait_keys = wait_keys, *const lang_confirm_keys = confirm_keys,
	*const lang_assert_keys = assert_keys, *const lang_retry_keys = retry_keys,
	*const lang_param_keys = param_keys, *const lang_objective_keys = objective_keys;
const char *lang_key_name(const struct key_desc *tab, int i) { return tab[i].name; }
