/* test_refs.c — the paths refs_extract() lists, and the ones it must not (lang/refs.c).
 * Each case: an expression and its paths as "OFFSET:PATH" joined by spaces, `!` after a
 * path that ends at a dynamic access. A path listed by mistake is a false error on a
 * valid runbook, so most cases here are about what is NOT listed. */
#include <stdlib.h>
#include "check.h"
#include "../../interpreter/core/buf.h"
#include "../../interpreter/lang/refs.h"

static char *paths(const char *text)
{
	int berr = 0;
	struct ref_path *p = NULL;
	struct buf b = BUF_INIT(0);
	int n = refs_extract(text, &p);
	for (int i = 0; i < n; i++) {
		berr |= buf_addf(&b, "%s%d:", i ? " " : "", p[i].off);
		for (int k = 0; k < p[i].n; k++) {
			const struct ref_comp *c = &p[i].c[k];
			if (c->kind == REF_FIELD)
				berr |= buf_addf(&b, ".%s", c->name);
			else if (c->kind == REF_INDEX)
				berr |= buf_addf(&b, "[%s]", c->name);
			else
				berr |= buf_adds(&b, "[]");
		}
		if (p[i].dynamic)
			berr |= buf_addc(&b, '!');
	}
	BUF_NOCAP(berr);
	refs_free(p, n);
	char *s = strdup(buf_str(&b));
	buf_release(&b);
	return s;
}

#define CASE(text, want) do { char *_s = paths(text); CHECK_STR(_s, want); free(_s); } while (0)

int main(void)
{
	/* plain paths, quoted keys, brackets, optional */
	CASE(".params.target", "0:.params.target");
	CASE(" .steps.a.outputs.text == 1", "1:.steps.a.outputs.text");
	CASE(".steps[\"a\"].result.rows[0].x", "0:.steps.a.result.rows[0].x");
	CASE(".steps.\"a\".status", "0:.steps.a.status");
	CASE(".result.Items[]?.Id", "0:.result.Items[].Id");
	CASE(".a? and .b", "0:.a 8:.b");
	/* dynamic access ends the path; what is inside the brackets is the input again */
	CASE(".steps[$x].status", "0:.steps!");
	CASE(".params[.steps.a.outputs.k]", "0:.params! 8:.steps.a.outputs.k");
	CASE(".steps[]", "0:.steps[]");
	CASE("..|.a", "");
	/* after a pipe, `.` is the left side's output */
	CASE(".steps.a.outputs | .nope", "0:.steps.a.outputs");
	CASE("(.a | .b), .c", "1:.a 11:.c");
	CASE(".a | .b, .c", "0:.a");
	CASE("(.a | .b) and .c", "1:.a 14:.c");
	CASE(".params | keys", "0:.params");
	/* function arguments, as, reduce, def, catch */
	CASE("map(.x) | length", "");
	CASE("[.steps.a.outputs.l[] | select(.ok)]", "1:.steps.a.outputs.l[]");
	CASE("any(.params.t[]; . == 1)", "");
	CASE(".params.t as $t | .x", "0:.params.t");
	CASE("reduce .params.t[] as $x (0; . + .y)", "");
	CASE("def f: .z; .a", "");
	CASE("try .a catch .b", "4:.a");
	CASE("if .a then .b elif .c then .d else .e end", "3:.a 11:.b 19:.c 27:.d 35:.e");
	/* strings: text is not a path; interpolation is the input */
	CASE("\"x .params.no \\(.params.yes) y\"", "16:.params.yes");
	CASE("\"\\\"\\(.a)\\\\\" + .b", "5:.a 14:.b");
	CASE("@base64 \"\\(.params.x)\"", "11:.params.x");
	CASE("\"\\(.a | .b)\" + .c", "3:.a 15:.c");
	/* comments, numbers, variables, object construction */
	CASE("# .params.no\n.params.yes", "13:.params.yes");
	CASE(".5 + 1.5 + .params.n", "11:.params.n");
	CASE("$x.foo + $__loc__.line", "");
	CASE("{a: .params.x, \"b\": .params.y}", "4:.params.x 20:.params.y");
	CASE("(.a).b", "1:.a");
	/* update-assignment: the right side sees the value at the left path */
	CASE(".params |= .x", "0:.params");
	/* broken text: no crash, and nothing after the break */
	CASE("\"unterminated .a", "");
	CASE(".a ) .b", "0:.a");
	CASE(".a[\"x", "0:.a!");
	CHECK_DONE();
}
