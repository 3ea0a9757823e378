/* yamljv: the YAML reader of kubeconfigs and manifests caps alias bombs and nesting
 * (the same caps as the runbook loader, core/yamljv.h); its marks mode (scenarios)
 * locates maps, keys, values and errors; and the three readers (yamljv_parse,
 * yamljv_load, the runbook loader lang/yaml.c) make the same jv of the same text */
#include <stdlib.h>
#include "core/buf.h"
#include "core/yamljv.h"
#include "lang/yaml.h"
#include "check.h"

static struct source_list sources;

/* yamljv_load of text: its result (the marks kept), rc in *rc, the diagnostics as
 * "L:C: msg\n" lines in *errs (static) */
static jv load(const char *text, int *rc, const char **errs)
{
	static const struct yamljv_limits lim = { .what = "the file", .max_depth = 8, .max_values = 50 };
	static char out[2048];
	struct diag_list dl = { 0 };
	const struct source *src = source_from_text(&sources, "t.yaml", text, strlen(text));
	jv v;
	*rc = yamljv_load(src, &lim, &v, &dl);
	out[0] = 0;
	for (int i = 0; i < dl.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%d:%d: %s\n", dl.items[i].loc.line,
			 dl.items[i].loc.col, dl.items[i].msg);
	*errs = out;
	diag_list_release(&dl);
	return v;
}

/* the same jv from the three readers (marks stripped), as JSON */
static void same_everywhere(const char *text, const char *want)
{
	struct diag_list dl = { 0 };
	struct ydoc doc;
	const char *errs;
	int rc;
	jv a = yamljv_parse(text, strlen(text), 0);
	jv b = yamljv_strip_marks(load(text, &rc, &errs));
	CHECK(rc == 0);
	CHECK_STR(errs, "");
	const struct source *src = source_from_text(&sources, "rb.yaml", text, strlen(text));
	CHECK(ydoc_parse(&doc, src, &dl) == 0);
	jv c = ynode_to_jv(doc.root);
	ydoc_free(&doc);
	diag_list_release(&dl);
	jv ja = jv_dump_string(a, 0), jb = jv_dump_string(b, 0), jc = jv_dump_string(c, 0);
	CHECK_STR(jv_string_value(ja), want);
	CHECK_STR(jv_string_value(jb), want);
	CHECK_STR(jv_string_value(jc), want);
	jv_free(ja);
	jv_free(jb);
	jv_free(jc);
}

/* the message of an invalid result ("" if valid); frees v */
static char *msg_of(jv v)
{
	static char out[512];
	out[0] = 0;
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);
		if (jv_get_kind(m) == JV_KIND_STRING)
			snprintf(out, sizeof(out), "%s", jv_string_value(m));
		jv_free(m);
	} else {
		jv_free(v);
	}
	return out;
}

/* "a0: &a0 [x, x, ...10]" then levels of 10 aliases to the level before */
static char *laughs(int levels)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	berr |= buf_adds(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < levels; i++) {
		berr |= buf_addf(&b, "a%d: &a%d [", i, i);
		for (int k = 0; k < 10; k++)
			berr |= buf_addf(&b, "%s*a%d", k ? ", " : "", i - 1);
		berr |= buf_adds(&b, "]\n");
	}
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

int main(void)
{
	int berr = 0;
	/* a few aliases are fine and shared */
	const char *ok = "base: &b {server: https://k:6443}\nclusters:\n- cluster: *b\n- cluster: *b\n";
	jv v = yamljv_parse(ok, strlen(ok), 0);
	CHECK(jv_is_valid(v));
	jv_free(v);

	/* three levels: 1110 nodes, under the caps */
	char *t = laughs(3);
	v = yamljv_parse(t, strlen(t), 0);
	CHECK(jv_is_valid(v));
	jv_free(v);
	free(t);

	/* nine levels: a billion laughs, stopped at the alias that passes the cap */
	t = laughs(9);
	char *m = msg_of(yamljv_parse(t, strlen(t), 0));
	CHECK(strstr(m, "too many alias expansions: '*a3'") != NULL);
	CHECK(!strncmp(m, "5:", 2));
	free(t);

	/* the same in a multi-document stream (manifests) */
	t = laughs(9);
	struct buf b = BUF_INIT(0);
	berr |= buf_adds(&b, "kind: ConfigMap\n---\n");
	berr |= buf_adds(&b, t);
	m = msg_of(yamljv_parse(buf_str(&b), b.len, 1));
	CHECK(strstr(m, "too many alias expansions") != NULL);
	buf_release(&b);
	free(t);

	/* big scalars aliased: the byte cap */
	b = (struct buf)BUF_INIT(0);
	berr |= buf_adds(&b, "s: &s \"");
	for (int i = 0; i < 100000; i++)
		berr |= buf_addc(&b, 'x');
	berr |= buf_adds(&b, "\"\nl:\n");
	for (int i = 0; i < 200; i++)
		berr |= buf_adds(&b, "- *s\n");
	m = msg_of(yamljv_parse(buf_str(&b), b.len, 0));
	CHECK(strstr(m, "bytes of text") != NULL);
	buf_release(&b);

	/* deep nesting fails instead of exhausting the stack */
	b = (struct buf)BUF_INIT(0);
	for (int i = 0; i < 100000; i++)
		berr |= buf_addc(&b, '[');
	BUF_NOCAP(berr);
	m = msg_of(yamljv_parse(buf_str(&b), b.len, 0));
	CHECK(strstr(m, "nesting deeper than") != NULL);
	buf_release(&b);

	/* one typing rule: runbooks, scenarios, kubeconfigs */
	same_everywhere("v: [0x1F, NULL, ~, '', 1e3, .inf, yes, 0o17, \"0x1F\", !!str 12, True, 1_000, +12, -0]\n"
			"k: {0x1F: a, ~: b, 1.0: c, !!str 3: d}\n",
			"{\"v\":[31,null,null,\"\",1000,1.7976931348623157e+308,\"yes\",15,\"0x1F\",\"12\",true,"
			"\"1_000\",12,-0],\"k\":{\"0x1F\":\"a\",\"~\":\"b\",\"1.0\":\"c\",\"3\":\"d\"}}");
	/* an alias as a key is the anchored scalar's text; a later anchor shadows */
	same_everywhere("a: &k 0x10\nb: {*k: x}\nc: &k 2\nd: *k\n",
			"{\"a\":16,\"b\":{\"0x10\":\"x\"},\"c\":2,\"d\":2}");

	/* marks: maps carry their place, each key its own and its value's */
	int rc;
	const char *errs;
	v = load("top: 1\nm:\n  k: [a]\n  j: {x: 1}\n", &rc, &errs);
	CHECK(rc == 0);
	CHECK_STR(errs, "");
	jv d = jv_dump_string(jv_copy(v), 0);
	CHECK_STR(jv_string_value(d), "{\"__line\":1,\"__col\":1,\"top\":1,\"m\":{\"__line\":3,\"__col\":3,"
		  "\"k\":[\"a\"],\"j\":{\"__line\":4,\"__col\":6,\"x\":1,\"__loc\":{\"x\":[4,7,4,10]}},"
		  "\"__loc\":{\"k\":[3,3,3,6],\"j\":[4,3,4,6]}},\"__loc\":{\"top\":[1,1,1,6],\"m\":[2,1,3,3]}}");
	jv_free(d);
	jv_free(v);

	/* key errors do not stop the reading: every one, and the document */
	v = load("a: 1\nb: {x: 1, x: 2}\na: 3\n[l]: 4\n", &rc, &errs);
	CHECK(rc == -1);
	CHECK_STR(errs, "2:11: duplicate key 'x'\n3:1: duplicate key 'a'\n"
		  "4:1: mapping keys must be plain strings, not a list\n");
	CHECK(jv_is_valid(v) && jv_get_kind(v) == JV_KIND_OBJECT);
	v = yamljv_strip_marks(v);
	d = jv_dump_string(v, 0);
	CHECK_STR(jv_string_value(d), "{\"a\":3,\"b\":{\"x\":2}}");
	jv_free(d);
	/* plain mode: the first key error is the error */
	CHECK_STR(msg_of(yamljv_parse("b: {x: 1, x: 2}\n", 15, 0)), "1:11: duplicate key 'x'");

	/* errors that stop: syntax, undefined alias, depth, values, a second document;
	 * key errors read before are not reported then */
	struct { const char *text, *errs; } stops[] = {
		{ "a: 1\na: 2\nb: [\n", "4:1: invalid YAML: did not find expected node content\n" },
		{ "a: *nothing\n", "1:4: invalid YAML: found undefined alias\n" },
		{ "a: &x [*x]\n", "1:8: invalid YAML: found undefined alias\n" },
		{ "a: [[[[[[[[1]]]]]]]]\n", "1:11: the file nests deeper than 8 levels\n" },
		{ "a: [[[[[[[1]]]]]]]\n", "" },
		{ "a: &l [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*l, *l, *l, *l]\n", "2:17: the file expands to more than 50 values (YAML aliases?)\n" },
		{ "a: &l [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*l, *l, *l]\n", "" },
		{ "a: 1\n---\nb: 2\n", "3:1: the file is one YAML document: a second one starts here\n" },
	};
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		v = load(stops[i].text, &rc, &errs);
		CHECK_STR(errs, stops[i].errs);
		CHECK(rc == (*stops[i].errs ? -1 : 0));
		CHECK(jv_is_valid(v) == !*stops[i].errs);
		jv_free(v);
	}
	/* an empty file is null */
	v = load("# nothing\n", &rc, &errs);
	CHECK(rc == 0 && jv_get_kind(v) == JV_KIND_NULL);
	jv_free(v);
	CHECK_STR(msg_of(yamljv_parse("a: *nothing\n", 12, 0)), "1:4: found undefined alias");
	source_list_release(&sources);
	return check_done("yamljv");
}
