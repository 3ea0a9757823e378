/* taint propagation through expressions (lang/taint.c): whatever an expression
 * computes from a secret is masked wherever it goes; what it computes from other
 * values is not. Prints the cost of the second (decoy) evaluation. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/redact.h"
#include "core/jvx.h"
#include "lang/expr.h"
#include "../corelib/check.h"

#define PW "Sup3r/S3cret+Pass word&x"

/* expression -> must its every output be masked (1), or stay as is (0) */
static const struct { const char *expr; int tainted; } cases[] = {
	{ ".params.pw | @uri", 1 },
	{ "\"root:\" + .params.pw | @base64", 1 },
	{ "\"bob:\" + .params.pw | @base64", 1 },
	{ ".params.pw | @sh", 1 },
	{ ".params.pw | ascii_downcase", 1 },
	{ ".params.pw | ascii_upcase", 1 },
	{ ".params.pw[2:9]", 1 },
	{ ".params.pw | .[3:]", 1 },
	{ "{p: .params.pw} | tojson", 1 },
	{ "{p: .params.pw} | tojson | tojson", 1 },
	{ ".params.pw | explode | map(. + 1) | implode", 1 },
	{ ".params.pw | split(\"/\") | .[1]", 1 },
	{ ".params.pw | ltrimstr(\"Sup\")", 1 },
	{ ".params.pw | @html", 1 },
	{ ".params.pw | @base64 | @base64", 1 },
	{ ".params.pw | [., .] | join(\"--\")", 1 },
	{ "{(.params.pw): 1} | keys[0]", 1 },
	{ ".steps.get.result.data.token | @base64d", 1 },
	{ ".steps.get.result.json | fromjson | .password", 1 },
	{ ".steps.get.result.json | fromjson | .password | ascii_downcase", 1 },
	{ ".params.pin | tonumber * 7", 1 },
	{ ".params.pw | sub(\"S3cret\"; \"XX\")", 1 },
	{ ".params.pw | gsub(\"[0-9]\"; \"#\")", 1 },
	{ ".params.user", 0 },
	{ ".params.user + \"@db\"", 0 },
	{ ".params.pw | length | tostring + \" chars\"", 0 },
	{ ".params.region | ascii_upcase", 0 },
	/* the environment's credentials (not in the context) */
	{ "$ENV.PGPASSWORD | ascii_downcase", 1 },
	{ "env.PGPASSWORD | .[2:] | ascii_upcase", 1 },
	{ "\"x:\" + $ENV.PGPASSWORD | @base64", 1 },
	{ "$ENV.PATH", 0 },
	/* a value inside a secret JSON is part of the secret (its decoy has other keys) */
	{ ".steps.get.result.json | fromjson | .username", 1 },
	/* plain paths (read, not compiled: taint.c looks at the piece they return) */
	{ ".params.pw", 1 },
	{ ".steps.get.result.json", 1 },
	{ ".steps.get.result.data", 1 },
	{ ".steps.get.result.data.token", 1 },
	/* a value chosen by a name that is a secret depends on it */
	{ ".byname[\"" PW "\"]", 1 },
	{ ".byname.plain", 0 },
	/* an object whose key is a secret: its shape differs from its decoy's, so all of it
	 * is tainted (checked below: the value under that key) */
	{ ".bykey", 1 },
};

/* the plain paths above: expr.h's fast path must take them */
static const char *const paths[] = { ".params.pw", ".params.user", ".byname[\"" PW "\"]", ".byname.plain", ".bykey" };

/* jq's error message carries the secret's derivative */
static const char *const failing[] = {
	"error(.params.pw | ascii_downcase)",
	".params.pw | ascii_downcase | tonumber",
};

static jv context(void)
{
	jv ctx = jv_parse("{\"params\": {\"user\": \"appuser\", \"region\": \"eu-west-1\"}, \"steps\": {\"get\": {\"result\": {\"data\": {}}}}}");
	jv p = jv_object_get(jv_copy(ctx), jv_string("params"));
	p = jv_object_set(p, jv_string("pw"), jv_string(PW));
	p = jv_object_set(p, jv_string("pin"), jv_string("987654"));
	ctx = jv_object_set(ctx, jv_string("params"), p);
	/* a Kubernetes Secret's data (base64) and a Secrets Manager JSON value */
	jv res = jv_parse("{\"data\": {\"token\": \"dG9rLXNlY3JldC12YWx1ZS0xMjM=\"}, "
			  "\"json\": \"{\\\"username\\\":\\\"appuser\\\",\\\"password\\\":\\\"Js0n-Pa55.word\\\"}\"}");
	ctx = jv_object_set(ctx, jv_string("steps"),
			    jv_object_set(jv_object(), jv_string("get"), jv_object_set(jv_object(), jv_string("result"), res)));
	jv byname = jv_object_set(jv_object(), jv_string(PW), jv_string("chosen-by-the-secret"));
	byname = jv_object_set(byname, jv_string("plain"), jv_string("nothing-secret-here"));
	ctx = jv_object_set(ctx, jv_string("bykey"),
			    jv_object_set(jv_object(), jv_string(PW), jv_string("under-a-secret-key")));
	return jv_object_set(ctx, jv_string("byname"), byname);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(void)
{
	setenv("PGPASSWORD", "Env-Pg-Secret-77", 1);   /* $ENV is bound at compile time */
	struct exprset *set = exprset_new();
	struct diag_list dl = { 0 };
	int n = (int)(sizeof(cases) / sizeof(*cases)), nf = (int)(sizeof(failing) / sizeof(*failing));
	int ids[64], fids[8];
	for (int i = 0; i < n; i++)
		ids[i] = exprset_add(set, cases[i].expr, NULL);
	for (int i = 0; i < nf; i++)
		fids[i] = exprset_add(set, failing[i], NULL);
	int bench = exprset_add(set, "[.params.user, .steps.get.result.data] | tojson", NULL);
	CHECK(exprset_compile(set, &dl) == 0);
	for (size_t k = 0; k < sizeof(paths) / sizeof(*paths); k++)
		for (int i = 0; i < n; i++)
			if (!strcmp(cases[i].expr, paths[k]))
				CHECK(exprset_is_path(set, ids[i]));

	struct redactor *r = redact_new();
	redact_set_current(r);
	/* what the engine registers: the secret params, the Secret data, the secret value */
	redact_add(r, PW);
	redact_add(r, "987654");
	redact_add(r, "tok-secret-value-123");
	redact_add(r, "{\"username\":\"appuser\",\"password\":\"Js0n-Pa55.word\"}");
	redact_add(r, "Js0n-Pa55.word");
	redact_add(r, "Env-Pg-Secret-77");   /* as cli_redactor_new does */

	for (int i = 0; i < n; i++) {
		jv out = exprset_eval(set, ids[i], context());
		if (!jv_is_valid(out)) {
			jv msg = jv_invalid_get_msg(out);
			fprintf(stderr, "%s: %s\n", cases[i].expr, jv_string_value(msg));
			jv_free(msg);
			CHECK(!"evaluates");
			continue;
		}
		CHECK(jv_array_length(jv_copy(out)) > 0);
		jv_array_foreach(out, k, v) {
			char *text = jv_get_kind(v) == JV_KIND_STRING ? strdup(jv_string_value(v)) : jvx_dump(jv_copy(v));
			char *m = redact_str(r, text);
			if (cases[i].tainted && strstr(m, text)) {
				fprintf(stderr, "not tainted: %s -> %s\n", cases[i].expr, m);
				CHECK(!"tainted");
			}
			if (!cases[i].tainted && strcmp(m, text)) {
				fprintf(stderr, "tainted wrongly: %s -> %s\n", cases[i].expr, m);
				CHECK(!"not tainted");
			}
			free(m);
			free(text);
			jv_free(v);
		}
		jv_free(out);
	}
	CHECK(redact_has(r, "under-a-secret-key"));
	for (int i = 0; i < nf; i++) {
		jv out = exprset_eval(set, fids[i], context());
		CHECK(!jv_is_valid(out));
		jv msg = jv_invalid_get_msg(out);
		char *m = redact_str(r, jv_string_value(msg));
		CHECK(!strstr(m, "sup3r/s3cret"));
		if (strstr(m, "sup3r/s3cret"))
			fprintf(stderr, "error message not tainted: %s\n", m);
		free(m);
		jv_free(msg);
	}

	/* the cost: an expression over a context with a secret (evaluated twice) and
	 * without one (once, after a scan of the context) */
	int iters = 300;
	jv plain = jv_parse("{\"params\": {\"user\": \"someone\"}, \"steps\": {\"get\": {\"result\": {\"data\": {\"a\": 1}}}}}");
	double t0 = now_us();
	for (int i = 0; i < iters; i++)
		jv_free(exprset_eval(set, bench, context()));
	double t1 = now_us();
	for (int i = 0; i < iters; i++)
		jv_free(exprset_eval(set, bench, jv_copy(plain)));
	double t2 = now_us();
	redact_set_current(NULL);
	for (int i = 0; i < iters; i++)
		jv_free(exprset_eval(set, bench, context()));
	double t3 = now_us();
	printf("eval: %.1f us with a secret in the context, %.1f us without, %.1f us with no redactor "
	       "(%d strings registered)\n", (t1 - t0) / iters, (t2 - t1) / iters, (t3 - t2) / iters, redact_count(r));
	jv_free(plain);

	redact_free(r);
	exprset_free(set);
	diag_list_release(&dl);
	return check_done("taint");
}
