/* tmpl.c — YAML values whose strings may hold ${{ jq }} (see expr.h). */
#include <stdlib.h>
#include <string.h>
#include "expr.h"
#include "yaml.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/jvx.h"

static const char *skip_string(const char *p);

/* p just after "\(": the matching ")" or NULL */
static const char *skip_interp(const char *p)
{
	int depth = 0;
	while (*p) {
		if (*p == '"') {
			p = skip_string(p);
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')') {
			if (!depth)
				return p + 1;
			depth--;
		}
		p++;
	}
	return NULL;
}

/* p at a jq string's opening quote: just past its closing quote, or NULL */
static const char *skip_string(const char *p)
{
	for (p++; *p; ) {
		if (*p == '\\') {
			if (p[1] == '(') {
				p = skip_interp(p + 2);
				if (!p)
					return NULL;
				continue;
			}
			if (!p[1])
				return NULL;
			p += 2;
			continue;
		}
		if (*p == '"')
			return p + 1;
		p++;
	}
	return NULL;
}

/* p just after "${{": the "}}" that closes it (brackets and jq strings skipped), or NULL.
 * With unbalanced brackets (a syntax error jq will report), the first "}}" outside
 * strings ends it, so the error lands on that expression alone. */
static const char *expr_end(const char *p)
{
	int depth = 0;
	const char *first = NULL;
	while (*p) {
		if (*p == '"') {
			p = skip_string(p);
			if (!p)
				return first;
			continue;
		}
		if (*p == '}' && p[1] == '}') {
			if (!depth)
				return p;
			if (!first)
				first = p;
		}
		if (*p == '{' || *p == '(' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ')' || *p == ']') && depth)
			depth--;
		p++;
	}
	return first;
}

/* location of the k-th (0-based) "${{" of the scalar in its source text */
static struct srcloc open_loc(const struct ynode *n, int k)
{
	struct srcloc l = n->loc;
	size_t len;
	if (!l.src || l.line < 1)
		return l;
	const char *p = source_line(l.src, l.line, &len);
	if (!p)
		return l;
	p += l.col - 1;
	int line = l.line, col = l.col, seen = 0;
	const char *end = l.src->text + l.src->len;
	for (; p < end; p++) {
		if (p[0] == '$' && p + 2 < end && p[1] == '{' && p[2] == '{') {
			if (seen++ == k) {
				struct srcloc r = { l.src, line, col };
				return r;
			}
		}
		if (*p == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)*p & 0xC0) != 0x80) {
			col++;
		}
	}
	return l;
}

static struct tmpl *tmpl_new(enum tmpl_kind kind, const struct srcloc *loc)
{
	struct tmpl *t = xcalloc(1, sizeof(*t));
	t->kind = kind;
	if (loc)
		t->loc = *loc;
	t->expr = -1;
	t->value = jv_invalid();
	return t;
}

struct tmpl *tmpl_const(jv v, const struct srcloc *loc)
{
	struct tmpl *t = tmpl_new(TMPL_CONST, loc);
	t->value = v;
	return t;
}

static void add_part(struct tmpl *t, char *text, int expr)
{
	t->parts = xrealloc(t->parts, sizeof(*t->parts) * (size_t)(t->nparts + 1));
	t->parts[t->nparts].text = text;
	t->parts[t->nparts].expr = expr;
	t->nparts++;
}

static struct tmpl *from_scalar(const struct ynode *n, struct exprset *set, struct diag_list *dl)
{
	const char *s = n->scalar;
	if (!strstr(s, "${{"))
		return tmpl_const(ynode_to_jv(n), &n->loc);

	struct tmpl *t = tmpl_new(TMPL_INTERP, &n->loc);
	int k = 0, nexpr = 0, ntext = 0;
	const char *p = s;
	while (*p) {
		const char *o = strstr(p, "${{");
		if (!o) {
			add_part(t, xstrdup(p), -1);
			ntext++;
			break;
		}
		if (o > p) {
			add_part(t, xstrndup(p, (size_t)(o - p)), -1);
			ntext++;
		}
		struct srcloc l = open_loc(n, k++);
		const char *e = expr_end(o + 3);
		if (!e) {
			/* reported; the rest stays text so later checks still see the value */
			diag_error(dl, &l, "unterminated '${{' (no matching '}}')");
			add_part(t, xstrdup(o), -1);
			ntext++;
			break;
		}
		char *text = xstrndup(o + 3, (size_t)(e - o - 3));
		add_part(t, NULL, exprset_add(set, text, &l));
		free(text);
		nexpr++;
		p = e + 2;
	}
	if (nexpr == 1 && ntext == 0) {
		/* exactly one ${{ }}: keeps the value's JSON type */
		t->kind = TMPL_EXPR;
		t->expr = t->parts[0].expr;
		t->loc = open_loc(n, 0);
		free(t->parts);
		t->parts = NULL;
		t->nparts = 0;
	}
	return t;
}

struct tmpl *tmpl_from_ynode(const struct ynode *node, struct exprset *set, struct diag_list *dl)
{
	if (!node)
		return tmpl_const(jv_null(), NULL);
	if (node->kind == Y_SCALAR)
		return from_scalar(node, set, dl);

	struct tmpl *t = tmpl_new(node->kind == Y_SEQ ? TMPL_LIST : TMPL_MAP, &node->loc);
	int all_const = 1, bad = 0;
	t->n = node->n;
	t->items = xcalloc((size_t)(node->n ? node->n : 1), sizeof(*t->items));
	if (node->kind == Y_MAP) {
		t->keys = xcalloc((size_t)(node->n ? node->n : 1), sizeof(*t->keys));
		t->key_locs = xcalloc((size_t)(node->n ? node->n : 1), sizeof(*t->key_locs));
	}
	for (int i = 0; i < node->n; i++) {
		const struct ynode *child = node->kind == Y_SEQ ? node->items[i] : node->vals[i];
		if (node->kind == Y_MAP) {
			t->keys[i] = xstrdup(node->keys[i]->scalar);
			t->key_locs[i] = node->keys[i]->loc;
		}
		t->items[i] = tmpl_from_ynode(child, set, dl);
		if (!t->items[i])
			bad = 1;
		else if (t->items[i]->kind != TMPL_CONST)
			all_const = 0;
	}
	if (bad) {
		tmpl_free(t);
		return NULL;
	}
	if (all_const && node->kind == Y_SEQ) {
		/* constant lists become one value, so checks see a plain jv */
		struct tmpl *c = tmpl_const(ynode_to_jv(node), &node->loc);
		tmpl_free(t);
		return c;
	}
	return t;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	jv_free(t->value);
	for (int i = 0; i < t->nparts; i++)
		free(t->parts[i].text);
	free(t->parts);
	for (int i = 0; i < t->n; i++) {
		tmpl_free(t->items[i]);
		if (t->keys)
			free(t->keys[i]);
	}
	free(t->items);
	free(t->keys);
	free(t->key_locs);
	free(t);
}

const struct tmpl *tmpl_get(const struct tmpl *map, const char *key)
{
	if (!map || map->kind != TMPL_MAP)
		return NULL;
	for (int i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i], key))
			return map->items[i];
	return NULL;
}

static jv located(const struct srcloc *l, jv err)
{
	jv msg = jv_invalid_get_msg(err);
	const char *m = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "error";
	jv r;
	if (l->src)
		r = jv_invalid_with_msg(jv_string_fmt("%s:%d:%d: %s", l->src->path, l->line, l->col, m));
	else
		r = jv_invalid_with_msg(jv_string(m));
	jv_free(msg);
	return r;
}

jv tmpl_eval(const struct tmpl *t, struct exprset *set, jv ctx)
{
	int berr = 0;
	switch (t->kind) {
	case TMPL_CONST:
		return jv_copy(t->value);
	case TMPL_EXPR: {
		jv v = exprset_eval1(set, t->expr, jv_copy(ctx));
		return jv_is_valid(v) ? v : located(exprset_loc(set, t->expr), v);
	}
	case TMPL_INTERP: {
		struct buf b = BUF_INIT(0);
		for (int i = 0; i < t->nparts; i++) {
			if (t->parts[i].text) {
				berr |= buf_adds(&b, t->parts[i].text);
				continue;
			}
			jv v = exprset_eval1(set, t->parts[i].expr, jv_copy(ctx));
			if (!jv_is_valid(v)) {
				buf_release(&b);
				return located(exprset_loc(set, t->parts[i].expr), v);
			}
			char *s = jvx_text(v);
			berr |= buf_adds(&b, s);
			free(s);
		}
		BUF_NOCAP(berr);
		jv r = jv_string_sized(buf_str(&b), (int)b.len);
		buf_release(&b);
		return r;
	}
	case TMPL_LIST:
	case TMPL_MAP: {
		jv out = t->kind == TMPL_LIST ? jv_array() : jv_object();
		for (int i = 0; i < t->n; i++) {
			jv v = tmpl_eval(t->items[i], set, ctx);
			if (!jv_is_valid(v)) {
				jv_free(out);
				return v;
			}
			out = t->kind == TMPL_LIST ? jv_array_append(out, v)
						   : jv_object_set(out, jv_string(t->keys[i]), v);
		}
		return out;
	}
	}
	BUG("tmpl kind");
}

char *tmpl_source(const struct tmpl *t, const struct exprset *set)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	switch (t->kind) {
	case TMPL_CONST:
		return jvx_text(jv_copy(t->value));
	case TMPL_EXPR:
		berr |= buf_addf(&b, "${{%s}}", exprset_text(set, t->expr));
		break;
	case TMPL_INTERP:
		for (int i = 0; i < t->nparts; i++)
			berr |= t->parts[i].text ? buf_adds(&b, t->parts[i].text) :
				buf_addf(&b, "${{%s}}", exprset_text(set, t->parts[i].expr));
		break;
	case TMPL_LIST:
	case TMPL_MAP:
		return NULL;
	}
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

void tmpl_each_expr(const struct tmpl *t, void (*fn)(int expr, void *arg), void *arg)
{
	if (!t)
		return;
	switch (t->kind) {
	case TMPL_CONST:
		return;
	case TMPL_EXPR:
		fn(t->expr, arg);
		return;
	case TMPL_INTERP:
		for (int i = 0; i < t->nparts; i++)
			if (!t->parts[i].text)
				fn(t->parts[i].expr, arg);
		return;
	case TMPL_LIST:
	case TMPL_MAP:
		for (int i = 0; i < t->n; i++)
			tmpl_each_expr(t->items[i], fn, arg);
		return;
	}
}
