/* params_resolve: -p strings to typed values, and every kind of param error */
#include <jv.h>
#include <stdlib.h>
#include "check.h"
#include "core/redact.h"
#include "lang/model.h"

static const char *rb_text =
	"runbook: p\n"
	"params:\n"
	"  name:    {type: string, required: true, pattern: '^[a-z][a-z0-9-]*$'}\n"
	"  count:   {type: int, default: 3}\n"
	"  ratio:   {type: number}\n"
	"  force:   {type: bool, default: false}\n"
	"  wait:    {type: duration, default: 5m}\n"
	"  at:      {type: timestamp}\n"
	"  tables:  {type: list}\n"
	"  labels:  {type: map}\n"
	"  mode:    {type: string, enum: [fast, safe], default: safe}\n"
	"  password: {type: string, secret: true, pattern: '^.{8,}$'}\n"
	"  port:    {type: string, default: 5432}\n"
	"steps:\n"
	"  - {id: a, action: log, with: {message: hi}}\n";

static struct rb_loader ld;
static struct runbook *rb;

/* resolve "k=v" pairs; returns the dump of the result or the diagnostics joined by '|' */
static char *resolve(const char *const *kv, struct redactor *r)
{
	jv raw = jv_object();
	for (; *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		raw = jv_object_set(raw, jv_string_sized(*kv, (int)(eq - *kv)), jv_string(eq + 1));
	}
	struct diag_list dl = { 0 };
	jv out = params_resolve(rb, raw, r, &dl);
	char *s;
	if (jv_is_valid(out)) {
		jv d = jv_dump_string(out, JV_PRINT_SORTED);
		s = strdup(jv_string_value(d));
		jv_free(d);
	} else {
		char buf[4096] = "";
		size_t o = 0;
		for (int i = 0; i < dl.n; i++)
			if (dl.items[i].level == DIAG_ERROR)
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? "|" : "", dl.items[i].msg);
		s = strdup(buf);
		jv_free(out);
	}
	diag_list_release(&dl);
	return s;
}

#define RESOLVE_IS(want, ...) do { const char *kv[] = { __VA_ARGS__, NULL }; char *got = resolve(kv, NULL); CHECK_STR(got, want); free(got); } while (0)

int main(void)
{
	struct diag_list dl = { 0 };
	loader_init(&ld, NULL);
	rb = runbook_load_text(&ld, "p.yaml", rb_text, &dl);
	CHECK(rb != NULL);
	CHECK_INT(dl.nerrors, 0);
	for (int i = 0; i < dl.n; i++)
		fprintf(stderr, "unexpected: %s\n", dl.items[i].msg);

	RESOLVE_IS("{\"count\":3,\"force\":false,\"mode\":\"safe\",\"name\":\"orders-db\",\"port\":\"5432\",\"wait\":\"5m\"}",
		   "name=orders-db");
	RESOLVE_IS("{\"at\":\"2026-11-22T03:00:00Z\",\"count\":12,\"force\":true,\"labels\":{\"a\":1},\"mode\":\"fast\","
		   "\"name\":\"x\",\"port\":\"5432\",\"ratio\":0.5,\"tables\":[\"orders\",\"items\"],\"wait\":\"1h30m\"}",
		   "name=x", "count=12", "ratio=0.5", "force=yes", "wait=1h30m", "at=2026-11-22T03:00:00Z",
		   "tables=orders, items", "labels={\"a\": 1}", "mode=fast");
	RESOLVE_IS("{\"count\":3,\"force\":false,\"mode\":\"safe\",\"name\":\"x\",\"port\":\"5432\",\"tables\":[1,\"b\"],\"wait\":\"5m\"}",
		   "name=x", "tables=[1, \"b\"]");
	RESOLVE_IS("missing required param 'name' (give it with -p name=VALUE)", "count=1");
	RESOLVE_IS("runbook 'p' has no param 'cuont' (did you mean 'count'?)", "name=x", "cuont=1");
	RESOLVE_IS("param 'name' does not match pattern '^[a-z][a-z0-9-]*$': \"Orders\"", "name=Orders");
	RESOLVE_IS("param 'count' must be an int, not \"1.5\"", "name=x", "count=1.5");
	RESOLVE_IS("param 'ratio' must be a number, not \"fast\"", "name=x", "ratio=fast");
	RESOLVE_IS("param 'force' must be a bool, not \"maybe\"", "name=x", "force=maybe");
	RESOLVE_IS("param 'wait' must be a duration like '90s' or '1h30m', not \"5 minutes\"", "name=x", "wait=5 minutes");
	RESOLVE_IS("param 'at' must be an RFC 3339 timestamp like '2026-11-22T03:00:00Z', not \"yesterday\"",
		   "name=x", "at=yesterday");
	RESOLVE_IS("param 'labels' must be a map, not \"a=1\"", "name=x", "labels=a=1");
	RESOLVE_IS("param 'mode' must be one of \"fast\", \"safe\", not \"quick\"", "name=x", "mode=quick");
	RESOLVE_IS("param 'password' is not valid (value hidden: the param is secret)", "name=x", "password=short");
	/* all errors at once */
	RESOLVE_IS("param 'count' must be an int, not \"x\"|runbook 'p' has no param 'nope' (did you mean 'name'?)|missing required param 'name' (give it with -p name=VALUE)",
		   "nope=1", "count=x");

	/* secrets are registered with the redactor */
	struct redactor *r = redact_new();
	const char *kv[] = { "name=x", "password=hunter22", NULL };
	char *got = resolve(kv, r);
	CHECK(strstr(got, "hunter22") != NULL);   /* the value itself is kept for actions */
	char *masked = redact_str(r, "pw is hunter22");
	CHECK_STR(masked, "pw is ***");
	free(masked);
	free(got);
	redact_free(r);

	/* typed values from a params file are checked as they are */
	jv raw = jv_parse("{\"name\": \"x\", \"count\": \"7\", \"force\": 1}");
	jv out = params_resolve(rb, raw, NULL, &dl);
	CHECK(!jv_is_valid(out));
	CHECK_INT(dl.nerrors, 1);   /* "7" from -p text is converted; force 1 (number) is not a bool */
	jv_free(out);

	runbook_free(rb);
	loader_release(&ld);
	diag_list_release(&dl);
	CHECK_DONE();
}
