/* load.c — YAML tree -> struct runbook, with every check that needs no module knowledge
 * (keys, types, ids, durations, expressions' syntax, params, uses:). This file: the
 * entry points, the key walker, typed getters, the top-level keys; the rest is listed in
 * load_priv.h.
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
#include "load_priv.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/strmap.h"

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
int load_valid_step_id(const char *s) { return match_name(s, 0, 0, 0); }
int load_valid_ident(const char *s) { return match_name(s, 0, 0, 1); }

int load_is_scalar(const struct ynode *n)
{
	if (!n || n->kind != Y_SCALAR)
		return 0;
	/* YAML's nulls ("", ~, null, Null, NULL) are plain and start so: the others are
	 * not converted (this runs for every key of every step) */
	char c = n->scalar[0];
	if (n->quoted || !(c == '\0' || c == '~' || c == 'n' || c == 'N'))
		return 1;
	return strcmp(ynode_kind_name(n), "null") != 0;
}

/* "a list", "a string", "empty" ... for messages */
const char *load_kind_phrase(const struct ynode *n)
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
void load_type_error(struct lctx *c, const struct ynode *n, const char *key, const char *want)
{
	diag_error(c->dl, &n->loc, "'%s' must be %s, not %s", key, want, load_kind_phrase(n));
}

/* a key of map that is not in names but looks like `wanted` (its did-you-mean was
 * reported already: do not also say that `wanted` is missing) */
int load_misspelt(const struct ynode *map, const char *const *names, const char *wanted)
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
int load_get_str(struct lctx *c, const struct ynode *n, const char *key, char **out)
{
	if (!load_is_scalar(n)) {
		load_type_error(c, n, key, "a string");
		return -1;
	}
	free(*out);
	*out = xstrdup(n->scalar);
	return 0;
}

int load_get_bool(struct lctx *c, const struct ynode *n, const char *key, int *out)
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
		load_type_error(c, n, key, "true or false");
	}
	jv_free(v);
	return rc;
}

int load_get_int(struct lctx *c, const struct ynode *n, const char *key, int min, int max, int *out)
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
		load_type_error(c, n, key, "a number");
	}
	jv_free(v);
	return rc;
}

/* omit: what leaving the key out means ("no timeout"), when 0 would mean the same and is
 * therefore an error; NULL when 0 is a duration like any other */
int load_get_dur(struct lctx *c, const struct ynode *n, const char *key, const char *omit, int64_t *out)
{
	if (n->kind != Y_SCALAR || !strcmp(ynode_kind_name(n), "null")) {
		load_type_error(c, n, key, "a duration");
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
int load_get_expr(struct lctx *c, const struct ynode *n, const char *key, int *out)
{
	if (!load_is_scalar(n)) {
		load_type_error(c, n, key, "a jq expression");
		return -1;
	}
	if (strstr(n->scalar, "${{")) {
		diag_error(c->dl, &n->loc, "'%s' is a bare jq expression: write it without '${{ }}'", key);
		return -1;
	}
	*out = exprset_add(c->ld->exprs, n->scalar, &n->loc);
	return 0;
}

int load_get_tmpl(struct lctx *c, const struct ynode *n, struct tmpl **out)
{
	tmpl_free(*out);
	*out = tmpl_from_ynode(n, c->ld->exprs, c->dl);
	return *out ? 0 : -1;
}

/* ---- key tables --------------------------------------------------------------- */

static const struct key_desc top_keys[];

void load_walk_keys(struct lctx *c, const struct ynode *map, const struct key_desc *tab, void *obj)
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

const char **load_table_names(const struct key_desc *tab)
{
	static const char *names[64];
	int n = 0;
	for (; tab->name && n < 63; tab++)
		names[n++] = tab->name;
	names[n] = NULL;
	return names;
}

int load_want_map(struct lctx *c, const struct ynode *n, const char *key)
{
	if (n && n->kind == Y_MAP)
		return 0;
	load_type_error(c, n, key, "a map");
	return -1;
}

/* ---- outputs ------------------------------------------------------------------ */

void load_parse_outputs(struct lctx *c, const struct ynode *n, struct rb_output **out, int *nout)
{
	if (load_want_map(c, n, "outputs") < 0)
		return;
	*out = xcalloc((size_t)(n->n ? n->n : 1), sizeof(**out));
	for (int i = 0; i < n->n; i++) {
		const struct ynode *k = n->keys[i];
		int e = -1;
		if (!load_valid_ident(k->scalar)) {
			diag_error(c->dl, &k->loc, "invalid output name '%s': use letters, digits and '_'",
				   k->scalar);
			continue;
		}
		if (load_get_expr(c, n->vals[i], k->scalar, &e) < 0)
			continue;
		struct rb_output *o = &(*out)[(*nout)++];
		o->name = xstrdup(k->scalar);
		o->loc = n->vals[i]->loc;
		o->expr = e;
	}
}

/* ---- top level ---------------------------------------------------------------- */

static void t_runbook(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (load_get_str(c, v, "runbook", &c->rb->name) < 0)
		return;
	c->rb->loc = v->loc;
	if (!valid_runbook_name(c->rb->name))
		diag_error(c->dl, &v->loc, "invalid runbook name '%s': use lowercase letters, digits and '-'",
			   c->rb->name);
}
static void t_description(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_str(c, v, "description", &c->rb->description);
}
static void o_rto(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (load_get_dur(c, v, "rto", NULL, &c->rb->objectives.rto_ms) == 0)
		c->rb->objectives.has |= OBJ_RTO;
}
static void o_rpo(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (load_get_dur(c, v, "rpo", NULL, &c->rb->objectives.rpo_ms) == 0)
		c->rb->objectives.has |= OBJ_RPO;
}
/* the step is looked up once the steps are known (check_objectives) */
static void o_restored(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (load_get_str(c, v, "restored", &c->rb->objectives.restored) == 0)
		c->rb->objectives.restored_loc = v->loc;
}
static void o_recovery_point(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_expr(c, v, "recovery_point", &c->rb->objectives.recovery_point);
}
static void o_incident_time(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_expr(c, v, "incident_time", &c->rb->objectives.incident_time);
}
static const struct key_desc objective_keys[] = {
	{ "rto", o_rto }, { "rpo", o_rpo }, { "restored", o_restored },
	{ "recovery_point", o_recovery_point }, { "incident_time", o_incident_time }, { NULL, NULL },
};
static void t_objectives(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (load_want_map(c, v, "objectives") < 0)
		return;
	c->rb->objectives.declared = 1;
	c->where = "'objectives'";
	load_walk_keys(c, v, objective_keys, NULL);
}
static void t_timeout(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	load_get_dur(c, v, "timeout", "none", &c->rb->timeout_ms);
}
static void t_params(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (load_want_map(c, v, "params") < 0)
		return;
	c->rb->params = xcalloc((size_t)(v->n ? v->n : 1), sizeof(*c->rb->params));
	for (int i = 0; i < v->n; i++)
		load_parse_param(c, v->keys[i], v->vals[i], &c->rb->params[c->rb->nparams++]);
}
static void t_connections(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (load_want_map(c, v, "connections") < 0)
		return;
	int bad = 0;
	for (int i = 0; i < v->n; i++) {
		if (v->vals[i]->kind != Y_MAP) {
			diag_error(c->dl, &v->vals[i]->loc, "settings of connection '%s' must be a map, not %s",
				   v->keys[i]->scalar, load_kind_phrase(v->vals[i]));
			bad = 1;
		}
	}
	if (!bad)
		load_get_tmpl(c, v, &c->rb->connections);
}
static void t_steps(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (v->kind != Y_SEQ) {
		load_type_error(c, v, "steps", "a list of steps");
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
		load_parse_step(c, v->items[i], &c->rb->steps[c->rb->nsteps++], NULL, i);
}
/* finally: steps parsed like steps:, with what cannot apply after the run refused */
static void t_finally(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (v->kind != Y_SEQ) {
		load_type_error(c, v, "finally", "a list of steps");
		return;
	}
	c->rb->finally = xcalloc((size_t)(v->n ? v->n : 1), sizeof(*c->rb->finally));
	if (c->ld->depth > 0)
		c->ld->nsteps += v->n;
	c->in_finally = 1;
	for (int i = 0; i < v->n; i++)
		load_parse_step(c, v->items[i], &c->rb->finally[c->rb->nfinally++], NULL, i);
	c->in_finally = 0;
}
static void t_outputs(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	c->where = "the runbook";
	load_parse_outputs(c, v, &c->rb->outputs, &c->rb->noutputs);
}
/* rollback_keeps: ["KIND", "KIND NAME", "KIND NAME FIELD", ...]: globs, as `rehearse
 * --sweep` names a resource and a field of it (KIND alone: every one of that kind) */
static void t_rollback_keeps(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	if (v->kind != Y_SEQ) {
		load_type_error(c, v, "rollback_keeps", "a list of \"KIND NAME\" patterns");
		return;
	}
	c->rb->rollback_keeps = xcalloc((size_t)(v->n ? v->n : 1), sizeof(char *));
	for (int i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i];
		if (it->kind != Y_SCALAR) {
			load_type_error(c, it, "rollback_keeps", "a list of \"KIND NAME\" patterns");
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
/* lock: "rds/${{ .params.target }}": the run lock's key (DESIGN.md v1.1), a string */
static void t_lock(struct lctx *c, const struct ynode *key, const struct ynode *v, void *o)
{
	const char *k = ynode_kind_name(v);
	if (v->kind != Y_SCALAR || !v->scalar || (strcmp(k, "string") && strcmp(k, "null"))) {
		/* a plain 42 or true is not a key a run would take: quote it */
		load_type_error(c, v, "lock", "a string (a template over .params)");
		return;
	}
	if (!v->scalar[strspn(v->scalar, " \t")]) {
		diag_error(c->dl, &v->loc, "'lock' is empty: it is the key of the run lock, e.g. "
			   "\"rds/${{ .params.target }}\"");
		return;
	}
	load_get_tmpl(c, v, &c->rb->lock);
}
static const struct key_desc top_keys[] = {
	{ "runbook", t_runbook }, { "description", t_description }, { "objectives", t_objectives },
	{ "timeout", t_timeout }, { "params", t_params }, { "connections", t_connections },
	{ "steps", t_steps }, { "outputs", t_outputs }, { "finally", t_finally },
	{ "rollback_keeps", t_rollback_keeps }, { "lock", t_lock }, { NULL, NULL },
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
			 load_kind_phrase(doc.root));
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
	load_walk_keys(&c, doc.root, top_keys, NULL);
	if (!ynode_get(doc.root, "steps") && !load_misspelt(doc.root, load_table_names(top_keys), "steps"))
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

struct runbook *load_runbook_file(struct rb_loader *ld, const char *path, const struct srcloc *from,
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
	struct runbook *rb = load_runbook_file(ld, path, NULL, dl);
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
	tmpl_free(rb->lock);
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
const struct key_desc *const lang_top_keys = top_keys, *const lang_objective_keys = objective_keys;
const char *lang_key_name(const struct key_desc *tab, int i) { return tab[i].name; }
