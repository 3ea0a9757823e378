/* yamljv: the YAML reader of kubeconfigs and manifests caps alias bombs and nesting
 * (the same caps as the runbook loader, core/yamljv.h) */
#include <stdlib.h>
#include "core/buf.h"
#include "core/yamljv.h"
#include "check.h"

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
	return check_done("yamljv");
}
