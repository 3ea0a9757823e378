/* yaml loader: marks, aliases, duplicate keys, syntax errors, core schema */
#include <jv.h>
#include "check.h"
#include "lang/yaml.h"

static struct ynode *parse(struct source_list *sl, struct ydoc *doc, const char *text, struct diag_list *dl)
{
	struct source *src = source_from_text(sl, "t.yaml", text, strlen(text));
	if (ydoc_parse(doc, src, dl) < 0)
		return NULL;
	return doc->root;
}

static void marks(void)
{
	struct source_list sl = { 0 };
	struct diag_list dl = { 0 };
	struct ydoc doc;
	struct ynode *r = parse(&sl, &doc, "a: 1\nb:\n  - x\n  - {c: \"q\", d: [1, 2]}\n", &dl);
	CHECK(r != NULL);
	CHECK_INT(dl.nerrors, 0);
	CHECK_INT(r->kind, Y_MAP);
	CHECK_INT(r->loc.line, 1);
	CHECK_INT(r->loc.col, 1);
	CHECK_INT(r->keys[1]->loc.line, 2);
	struct ynode *a = ynode_get(r, "a");
	CHECK_INT(a->loc.line, 1);
	CHECK_INT(a->loc.col, 4);
	struct ynode *b = ynode_get(r, "b");
	CHECK_INT(b->kind, Y_SEQ);
	CHECK_INT(b->loc.line, 3);
	CHECK_INT(b->loc.col, 3);
	CHECK_INT(b->items[0]->loc.col, 5);
	struct ynode *m = b->items[1];
	CHECK_INT(m->loc.line, 4);
	CHECK_INT(m->loc.col, 5);
	struct ynode *c = ynode_get(m, "c");
	CHECK_INT(c->loc.col, 9);
	CHECK(c->quoted);
	struct ynode *d = ynode_get(m, "d");
	CHECK_INT(d->items[1]->loc.col, 21);
	CHECK_STR(ynode_kind_name(d), "list");
	CHECK_STR(ynode_kind_name(m), "map");
	CHECK_STR(ynode_kind_name(c), "string");
	CHECK_STR(ynode_kind_name(a), "number");
	ydoc_free(&doc);
	source_list_release(&sl);
	diag_list_release(&dl);
}

static void aliases(void)
{
	struct source_list sl = { 0 };
	struct diag_list dl = { 0 };
	struct ydoc doc;
	struct ynode *r = parse(&sl, &doc, "x: &common {k: 1}\ny: *common\nz: &s hello\nw: *s\n", &dl);
	CHECK(r != NULL);
	CHECK(ynode_get(r, "x") == ynode_get(r, "y"));
	CHECK_STR(ynode_get(r, "w")->scalar, "hello");
	ydoc_free(&doc);
	r = parse(&sl, &doc, "x: *nope\n", &dl);
	CHECK(r == NULL);
	CHECK_INT(dl.nerrors, 1);
	CHECK(strstr(dl.items[0].msg, "nope") != NULL);
	ydoc_free(&doc);
	source_list_release(&sl);
	diag_list_release(&dl);
}

static void duplicates(void)
{
	struct source_list sl = { 0 };
	struct diag_list dl = { 0 };
	struct ydoc doc;
	struct ynode *r = parse(&sl, &doc, "a: 1\nb: 2\n  # c\na: 3\n", &dl);
	CHECK(r == NULL);
	CHECK_INT(dl.nerrors, 1);
	CHECK_STR(dl.items[0].msg, "duplicate key 'a'");
	CHECK_INT(dl.items[0].loc.line, 4);
	CHECK_INT(dl.items[0].loc.col, 1);
	CHECK_INT(dl.items[1].level, DIAG_NOTE);
	CHECK_INT(dl.items[1].loc.line, 1);
	ydoc_free(&doc);
	source_list_release(&sl);
	diag_list_release(&dl);
}

static void syntax(void)
{
	struct source_list sl = { 0 };
	struct diag_list dl = { 0 };
	struct ydoc doc;
	CHECK(parse(&sl, &doc, "a: [1, 2\nb: 3\n", &dl) == NULL);
	CHECK_INT(dl.nerrors, 1);
	CHECK(strncmp(dl.items[0].msg, "yaml syntax error: ", 19) == 0);
	CHECK(dl.items[0].loc.line >= 1);
	ydoc_free(&doc);
	diag_list_release(&dl);
	memset(&dl, 0, sizeof(dl));
	CHECK(parse(&sl, &doc, "a: 1\n\tb: 2\n", &dl) == NULL);
	CHECK_INT(dl.nerrors, 1);
	CHECK_INT(dl.items[0].loc.line, 2);
	ydoc_free(&doc);
	diag_list_release(&dl);
	memset(&dl, 0, sizeof(dl));
	CHECK(parse(&sl, &doc, "", &dl) == NULL);   /* empty: no root, no error */
	CHECK_INT(dl.nerrors, 0);
	ydoc_free(&doc);
	source_list_release(&sl);
	diag_list_release(&dl);
}

static void schema(void)
{
	struct source_list sl = { 0 };
	struct diag_list dl = { 0 };
	struct ydoc doc;
	struct ynode *r = parse(&sl, &doc,
		"[~, null, '', true, False, 0x1F, 0o17, -12, 1.5e3, .inf, '123', 12345678901234567890, 1.2.3, yes]\n", &dl);
	CHECK(r != NULL);
	jv v = ynode_to_jv(r);
	jv s = jv_dump_string(v, 0);
	CHECK_STR(jv_string_value(s),
		  "[null,null,\"\",true,false,31,15,-12,1500,1.7976931348623157e+308,\"123\",\"12345678901234567890\",\"1.2.3\",\"yes\"]");
	jv_free(s);
	ydoc_free(&doc);
	source_list_release(&sl);
	diag_list_release(&dl);
}

int main(void)
{
	marks();
	aliases();
	duplicates();
	syntax();
	schema();
	CHECK_DONE();
}
