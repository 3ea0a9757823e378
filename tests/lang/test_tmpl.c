/* templates: type preservation, interpolation, constants, locations, errors */
#include <jv.h>
#include <stdlib.h>
#include "check.h"
#include "lang/expr.h"
#include "lang/yaml.h"

static struct source_list sl;
static struct exprset *set;
static struct diag_list dl;

static struct tmpl *build(const char *text, struct ydoc *doc)
{
	struct source *src = source_from_text(&sl, "t.yaml", text, strlen(text));
	if (ydoc_parse(doc, src, &dl) < 0)
		return NULL;
	return tmpl_from_ynode(ynode_get(doc->root, "v"), set, &dl);
}

static void eval_is(const char *yaml, const char *ctx, const char *want, enum tmpl_kind kind)
{
	struct ydoc doc;
	struct tmpl *t = build(yaml, &doc);
	CHECK(t != NULL);
	if (!t) {
		ydoc_free(&doc);
		return;
	}
	CHECK_INT(t->kind, kind);
	CHECK_INT(exprset_compile(set, &dl), 0);
	jv c = jv_parse(ctx);
	jv r = tmpl_eval(t, set, c);
	jv s = jv_is_valid(r) ? jv_dump_string(r, 0) : jv_invalid_get_msg(r);
	if (strcmp(jv_string_value(s), want))
		fprintf(stderr, "  for %s", yaml);
	CHECK_STR(jv_string_value(s), want);
	jv_free(s);
	jv_free(c);
	tmpl_free(t);
	ydoc_free(&doc);
}

static void values(void)
{
	const char *ctx = "{\"n\": 5, \"o\": {\"a\": [1, 2]}, \"s\": \"x\", \"z\": null, \"b\": true}";
	eval_is("v: ${{ .n }}\n", ctx, "5", TMPL_EXPR);
	eval_is("v: \"${{ .o }}\"\n", ctx, "{\"a\":[1,2]}", TMPL_EXPR);
	eval_is("v: '${{.b}}'\n", ctx, "true", TMPL_EXPR);
	eval_is("v: n=${{ .n }}\n", ctx, "\"n=5\"", TMPL_INTERP);
	eval_is("v: \"${{ .s }}-${{ .o.a }}-${{ .z }}-${{ .b }}\"\n", ctx, "\"x-[1,2]-null-true\"", TMPL_INTERP);
	eval_is("v: plain 42\n", ctx, "\"plain 42\"", TMPL_CONST);
	eval_is("v: 42\n", ctx, "42", TMPL_CONST);
	eval_is("v: [1, a, true]\n", ctx, "[1,\"a\",true]", TMPL_CONST);
	eval_is("v: [1, \"${{ .n + 1 }}\"]\n", ctx, "[1,6]", TMPL_LIST);
	eval_is("v: {a: 1, b: {c: \"${{ .s }}\"}}\n", ctx, "{\"a\":1,\"b\":{\"c\":\"x\"}}", TMPL_MAP);
	/* braces and strings inside the expression do not end it */
	eval_is("v: \"${{ {a: {b: .n}} | .a.b }}\"\n", ctx, "5", TMPL_EXPR);
	eval_is("v: '${{ \"}}\" + .s }}'\n", ctx, "\"}}x\"", TMPL_EXPR);
	eval_is("v: '${{ \"a\\(.n | tostring)}}\" }}'\n", ctx, "\"a5}}\"", TMPL_EXPR);
	/* runtime errors carry the expression's location */
	eval_is("v: \"x ${{ .s + 1 }}\"\n", ctx, "t.yaml:1:7: string (\"x\") and number (1) cannot be added", TMPL_INTERP);
}

static void count_one(int e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
}

static void locations(void)
{
	struct ydoc doc;
	int n0 = exprset_count(set);
	struct tmpl *t = build("k: 1\nv: {a: \"one ${{ .x }} two ${{ .y }}\",\n    b: \"${{ .z }}\"}\n", &doc);
	CHECK(t != NULL);
	CHECK_INT(exprset_count(set), n0 + 3);
	const struct srcloc *l = exprset_loc(set, n0);
	CHECK_INT(l->line, 2);
	CHECK_INT(l->col, 13);
	l = exprset_loc(set, n0 + 1);
	CHECK_INT(l->col, 27);
	l = exprset_loc(set, n0 + 2);
	CHECK_INT(l->line, 3);
	CHECK_INT(l->col, 9);
	CHECK_STR(exprset_text(set, n0 + 2), " .z ");
	CHECK_STR(tmpl_get(t, "b") ? "yes" : "no", "yes");
	CHECK(tmpl_get(t, "c") == NULL);
	int count = 0;
	tmpl_each_expr(t, count_one, &count);
	CHECK_INT(count, 3);
	tmpl_free(t);
	ydoc_free(&doc);
}

static void unterminated(void)
{
	struct ydoc doc;
	int e0 = dl.nerrors;
	struct tmpl *t = build("v:\n  - \"ok ${{ .a }} and ${{ .b \"\n", &doc);
	CHECK(t != NULL);   /* reported, and the rest kept as text so later checks see the key */
	CHECK_INT(dl.nerrors, e0 + 1);
	struct diag *d = &dl.items[dl.n - 1];
	CHECK_STR(d->msg, "unterminated '${{' (no matching '}}')");
	CHECK_INT(d->loc.line, 2);
	CHECK_INT(d->loc.col, 23);
	tmpl_free(t);
	ydoc_free(&doc);
}

int main(void)
{
	set = exprset_new();
	values();
	locations();
	unterminated();
	exprset_free(set);
	source_list_release(&sl);
	diag_list_release(&dl);
	CHECK_DONE();
}
