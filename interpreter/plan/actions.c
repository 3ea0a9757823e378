/* actions.c — each step's action and its `with:` against the descriptor (unknown
 * args, missing required ones, the type of constants), connections against conn_args. */
#include "plan_priv.h"
#include "../core/dur.h"
#include "../core/jvx.h"

/* the constant args of a with: (for action_is_mutating) */
jv plan_const_args(const struct tmpl *with)
{
	jv o = jv_object();
	for (int i = 0; with && with->kind == TMPL_MAP && i < with->n; i++)
		if (with->items[i]->kind == TMPL_CONST)
			o = jv_object_set(o, jv_string(with->keys[i]), jv_copy(with->items[i]->value));
	return o;
}

/* ---- actions and with: ---- */

static const char *kind_phrase(const struct tmpl *t)
{
	switch (t->kind) {
	case TMPL_INTERP: return "a string";
	case TMPL_LIST: return "a list";
	case TMPL_MAP: return "a map";
	case TMPL_CONST: return value_phrase(t->value);
	default:
		return "an expression";
	}
}

/* 1 if a template of this shape cannot have type t (only shapes known statically) */
static int shape_mismatch(enum arg_type t, const struct tmpl *v)
{
	switch (v->kind) {
	case TMPL_CONST:
		return arg_type_check(t, v->value) != 0;
	case TMPL_INTERP:
		return !(t == ARG_ANY || t == ARG_STRING || t == ARG_DURATION || t == ARG_TIMESTAMP ||
			 t == ARG_STRING_OR_LIST || t == ARG_SCALAR);
	case TMPL_LIST:
		return !(t == ARG_ANY || t == ARG_LIST || t == ARG_STRING_OR_LIST);
	case TMPL_MAP:
		return !(t == ARG_ANY || t == ARG_MAP);
	default:
		return 0;        /* TMPL_EXPR: known at run time */
	}
}

static void type_error(struct builder *b, const struct srcloc *loc, const char *what,
		       enum arg_type t, const struct tmpl *v)
{
	diag_error(b->dl, loc, "%s must be %s, not %s", what, arg_type_phrase(t), kind_phrase(v));
}

/* one item of a templated list or map (key NULL: item i) */
static void check_item(struct builder *b, const struct action_arg *a, const struct tmpl *it, int i,
		       const char *key, const char *what)
{
	char why[512];
	if (it->kind == TMPL_CONST) {
		if (action_item_check(a, it->value, i, key, why, sizeof(why)) < 0)
			diag_error(b->dl, &it->loc, "%s%s", what, why);
	} else if (shape_mismatch(a->item, it)) {
		if (key)
			diag_error(b->dl, &it->loc, "%s: '%s' must be %s, not %s", what, key,
				   arg_type_phrase(a->item), kind_phrase(it));
		else
			diag_error(b->dl, &it->loc, "%s: item %d must be %s, not %s", what, i,
				   arg_type_phrase(a->item), kind_phrase(it));
	}
}

/* a with: value against its arg: constants fully (action_arg_check), templates as far
 * as their shape tells; the engine checks the rest once they are resolved */
static void check_value(struct builder *b, const struct action_arg *a, const struct tmpl *v,
			const char *what)
{
	char why[512];
	if (v->kind != TMPL_CONST && shape_mismatch(a->type, v)) {
		type_error(b, &v->loc, what, a->type, v);
		return;
	}
	if ((a->flags & ARG_SHELL) && v->kind != TMPL_CONST) {
		/* -p name='x; rm -rf ~' would run: values go where the shell does not parse */
		diag_error(b->dl, &v->loc, "%s is run by a shell: a '${{ }}' in it is shell injection; "
			   "pass the value in 'argv' and write \"$1\", or in 'env:' and write \"$NAME\"", what);
		return;
	}
	switch (v->kind) {
	case TMPL_CONST:
		if (action_arg_check(a, v->value, why, sizeof(why)) < 0)
			diag_error(b->dl, &v->loc, "%s%s", what, why);
		break;
	case TMPL_LIST:
		for (int i = 0; a->item != ARG_ANY && i < v->n; i++)
			check_item(b, a, v->items[i], i, NULL, what);
		break;
	case TMPL_MAP:
		for (int i = 0; a->item != ARG_ANY && i < v->n; i++)
			check_item(b, a, v->items[i], -1, v->keys[i], what);
		break;
	default:
		break;
	}
}

static const struct action_arg *find_arg(const struct action_arg *args, const char *name)
{
	for (const struct action_arg *q = args; q && q->name; q++)
		if (!strcmp(q->name, name))
			return q;
	return NULL;
}

/* `needs`: an arg given with its bool not written true; `required_when`: an arg missing
 * that its bool's written (or default) value requires. A template decides at run time. */
static void check_needs(struct builder *b, const struct action_arg *args, const struct tmpl *with,
			int with_bad, const struct srcloc *loc, const char *what, const char *argword)
{
	for (const struct action_arg *a = args; !with_bad && a && a->name; a++) {
		const char *flag;
		if (!a->required_when || (with && tmpl_get(with, a->name)))
			continue;
		flag = a->required_when[0] == '!' ? a->required_when + 1 : a->required_when;
		/* already said otherwise: a key that looks like this arg ("argvv"), or an arg
		 * given that needs the flag on (command: without shell: true) */
		int said = 0;
		for (int i = 0; with && i < with->n; i++) {
			const char *one[] = { a->name, NULL };
			const struct action_arg *q = find_arg(args, with->keys[i]);
			said |= !q && diag_suggest(with->keys[i], one, -1) != NULL;
			said |= q && q->needs && !strcmp(q->needs, flag) && a->required_when[0] == '!';
		}
		if (said)
			continue;
		const struct tmpl *f = with ? tmpl_get(with, flag) : NULL;
		const struct action_arg *fa = find_arg(args, flag);
		if (f && f->kind != TMPL_CONST)
			continue;
		int on = f ? jv_get_kind(f->value) == JV_KIND_TRUE :
			     fa && fa->defval && !strcmp(fa->defval, "true");
		if (action_required_when(a, on, &flag))
			diag_error(b->dl, with ? &with->loc : loc, "%s requires %s '%s' %s '%s: true'", what,
				   argword, a->name, a->required_when[0] == '!' ? "unless" : "with", flag);
	}
	for (int i = 0; with && i < with->n; i++) {
		const struct action_arg *a = find_arg(args, with->keys[i]);
		if (!a || !a->needs)
			continue;
		const struct tmpl *on = tmpl_get(with, a->needs);
		if (on && on->kind != TMPL_CONST)
			continue;
		if (!on || jv_get_kind(on->value) != JV_KIND_TRUE)
			diag_error(b->dl, &with->key_locs[i], "%s '%s' of %s needs '%s: true'", argword,
				   a->name, what, a->needs);
	}
}

/* check a TMPL_MAP of settings against args; what = "action 'exec'" or
 * "connections.aws". loc: where a missing one is reported. */
static void check_args(struct builder *b, const struct action_arg *args, const struct tmpl *with,
		       int with_bad, const struct srcloc *loc, const char *what, const char *argword)
{
	struct buf name = BUF_INIT(0);
	if (with && with->kind != TMPL_MAP) {
		if (with->kind != TMPL_EXPR)
			diag_error(b->dl, &with->loc, "%s: settings must be a map, not %s", what,
				   kind_phrase(with));
		goto out;
	}
	for (int i = 0; with && i < with->n; i++) {
		const char *k = with->keys[i];
		const struct action_arg *a = find_arg(args, k);
		if (!a) {
			const char *sug = plan_suggest_args(b, args, k);
			diag_error(b->dl, &with->key_locs[i], "%s has no %s '%s'%s", what, argword, k,
				   plan_dym(b, sug));
			continue;
		}
		/* "%s '%s' of %s" (no printf: this runs for every argument of every step) */
		buf_reset(&name);
		if (buf_adds(&name, argword) < 0 || buf_adds(&name, " '") < 0 || buf_adds(&name, k) < 0 ||
		    buf_adds(&name, "' of ") < 0 || buf_adds(&name, what) < 0)
			continue;
		check_value(b, a, with->items[i], buf_str(&name));
	}
	check_needs(b, args, with, with_bad, loc, what, argword);
	for (const struct action_arg *q = args; q && q->name; q++) {
		const struct tmpl *v = with ? tmpl_get(with, q->name) : NULL;
		if (!(q->flags & ARG_REQUIRED) || q->defval)
			continue;
		if (!v)
			diag_error(b->dl, with ? &with->loc : loc, "%s requires %s '%s'", what, argword,
				   q->name);
		else if (v->kind == TMPL_CONST && jv_get_kind(v->value) == JV_KIND_NULL)
			diag_error(b->dl, &v->loc, "%s requires %s '%s': null given", what, argword, q->name);
	}
out:
	buf_release(&name);
}

static const struct action_desc *check_action(struct builder *b, const char *name,
					      const struct srcloc *loc, const struct tmpl *with, int with_bad)
{
	int berr = 0;
	const struct action_desc *d;
	struct buf what = BUF_INIT(0);
	if (!name)
		return NULL;
	d = registry_find(name);
	if (!d) {
		diag_error(b->dl, loc, "unknown action '%s'%s", name, plan_dym(b, registry_suggest(name)));
		return NULL;
	}
	berr |= buf_adds(&what, "action '");
	berr |= buf_adds(&what, name);
	berr |= buf_addc(&what, '\'');
	BUF_NOCAP(berr);
	check_args(b, d->args, with, with_bad, loc, buf_str(&what), "argument");
	if (d->validate && with && with->kind == TMPL_MAP) {
		/* constants as they are, expressions as null (given, value unknown) */
		jv args = jv_object();
		const char *arg = NULL;
		const struct srcloc *at = loc;
		char why[256];
		for (int i = 0; i < with->n; i++)
			args = jv_object_set(args, jv_string(with->keys[i]), with->items[i]->kind == TMPL_CONST ?
					     jv_copy(with->items[i]->value) : jv_null());
		if (d->validate(args, &arg, why, sizeof(why)) < 0) {
			for (int i = 0; arg && i < with->n; i++)
				if (!strcmp(with->keys[i], arg))
					at = &with->items[i]->loc;
			diag_error(b->dl, at, "%s", why);
		}
		jv_free(args);
	}
	buf_release(&what);
	return d;
}

void plan_check_step_actions(struct builder *b, const struct rb_step *s, const struct action_desc **out)
{
	const struct action_desc *d = NULL;
	switch (s->kind) {
	case STEP_ACTION:
		d = check_action(b, s->action, &s->action_loc, s->with, s->with_bad);
		break;
	case STEP_WAIT:
		d = check_action(b, s->wait.action, &s->wait.action_loc, s->wait.with, s->wait.with_bad);
		break;
	/* STEP_USES: its with: against the child's params is checked by lang */
	default:
		break;
	}
	if (out)
		*out = d;
	for (int i = 0; i < s->nrollback; i++)
		plan_check_step_actions(b, &s->rollback[i], NULL);
}

void plan_check_connections(struct builder *b, const struct runbook *rb)
{
	int berr = 0;
	const struct tmpl *c = rb->connections;
	struct buf what = BUF_INIT(0);
	if (!c || c->kind != TMPL_MAP)
		goto out;
	for (int i = 0; i < c->n; i++) {
		const char *mname = c->keys[i];
		const struct module_desc *m = registry_module(mname);
		const struct tmpl *v = c->items[i];
		if (!m) {
			const struct module_desc *q;
			b->nnames = 0;
			for (int k = 0; (q = registry_module_at(k)); k++) {
				ALLOC_GROW(b->names, b->nnames + 1, b->anames);
				b->names[b->nnames++] = q->name;
			}
			diag_error(b->dl, &c->key_locs[i], "unknown module '%s' in connections%s", mname,
				   plan_dym(b, diag_suggest(mname, b->names, b->nnames)));
			continue;
		}
		buf_reset(&what);
		if (!m->conn_named) {
			berr |= buf_addf(&what, "connections.%s", mname);
			check_args(b, m->conn_args, v, 0, &c->key_locs[i], buf_str(&what), "setting");
			continue;
		}
		if (v->kind != TMPL_MAP) {
			if (v->kind != TMPL_EXPR)
				diag_error(b->dl, &v->loc,
					   "connections.%s must be a map of named connections, not %s",
					   mname, kind_phrase(v));
			continue;
		}
		for (int k = 0; k < v->n; k++) {
			buf_reset(&what);
			berr |= buf_addf(&what, "connections.%s.%s", mname, v->keys[k]);
			check_args(b, m->conn_args, v->items[k], 0, &v->key_locs[k], buf_str(&what), "setting");
		}
	}
out:
	BUF_NOCAP(berr);
	buf_release(&what);
}
