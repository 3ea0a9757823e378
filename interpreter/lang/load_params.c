/* load_params.c — a param's declaration: type, required, secret, default, enum,
 * pattern (compiled once here to report a bad one), description. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "load_priv.h"
#include "../core/buf.h"
#include "../core/bug.h"

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
	if (!load_is_scalar(v)) {
		load_type_error(c, v, "type", "a type name");
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
	if (load_get_bool(c, v, "required", &b) == 0 && b)
		p->flags |= PARAM_REQUIRED;
}
static void p_secret(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct rb_param *p = ((struct param_parse *)o)->p;
	int b = 0;
	if (load_get_bool(c, v, "secret", &b) == 0 && b)
		p->flags |= PARAM_SECRET;
}
static void p_default(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	((struct param_parse *)o)->def = v;
}
static void p_enum(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (v->kind != Y_SEQ || !v->n) {
		load_type_error(c, v, "enum", "a non-empty list");
		return;
	}
	((struct param_parse *)o)->choices = v;
}
static void p_pattern(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	struct param_parse *pp = o;
	if (load_get_str(c, v, "pattern", &pp->p->pattern) == 0)
		pp->pattern = v;
}
static void p_description(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_str(c, v, "description", &((struct param_parse *)o)->p->description);
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

void load_parse_param(struct lctx *c, const struct ynode *key, const struct ynode *v, struct rb_param *p)
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
	if (!load_valid_ident(key->scalar))
		diag_error(c->dl, &key->loc, "invalid param name '%s': use letters, digits and '_'",
			   key->scalar);
	if (v->kind != Y_MAP) {
		diag_error(c->dl, &v->loc, "param '%s' must be a map like {type: string}, not %s", p->name,
			   load_kind_phrase(v));
		return;
	}
	snprintf(where, sizeof(where), "param '%s'", p->name);
	c->where = where;
	load_walk_keys(c, v, param_keys, &pp);
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

/* the param table, readable by name (keys.h: `runbook schema`) */
#include "keys.h"
const struct key_desc *const lang_param_keys = param_keys;
