/* secret taint by value: every form of a secret is masked, short values are not */
#include <stdlib.h>
#include "core/redact.h"
#include "core/jvx.h"
#include "check.h"

int main(void)
{
	struct redactor *r = redact_new();
	redact_add(r, "hunter2");
	redact_add(r, "ab");                 /* below REDACT_MIN: ignored */
	redact_add(r, "pa\"ss\\word");       /* JSON-escaped form registered too */
	char *s = redact_str(r, "user=admin pw=hunter2 again hunter2 ab");
	CHECK_STR(s, "user=admin pw=*** again *** ab");
	free(s);
	s = redact_str(r, "aHVudGVyMg== is base64");   /* base64 of hunter2 */
	CHECK_STR(s, "*** is base64");
	free(s);
	jv v = jv_parse("{\"a\":[\"x hunter2\", 1], \"hunter2\": \"pa\\\"ss\\\\word\"}");
	char *d = jvx_dump(redact_jv(r, v));
	CHECK_STR(d, "{\"a\":[\"x ***\",1],\"***\":\"***\"}");
	free(d);
	/* a dump of the raw value, redacted as text, hides the escaped form */
	char *dump = jvx_dump(jv_string("pa\"ss\\word"));
	s = redact_str(r, dump);
	CHECK_STR(s, "\"***\"");
	free(s);
	free(dump);
	/* the longer secret wins over one it contains */
	redact_add(r, "hunter22222");
	s = redact_str(r, "hunter22222");
	CHECK_STR(s, "***");
	free(s);
	redact_add_jv(r, jv_parse("{\"k\":[\"tok-abc\"]}"));
	s = redact_str(r, "Bearer tok-abc");
	CHECK_STR(s, "Bearer ***");
	free(s);
	s = redact_str(NULL, "plain");
	CHECK_STR(s, "plain");
	free(s);
	redact_free(r);
	return check_done("redact");
}
