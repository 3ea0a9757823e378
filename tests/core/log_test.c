/* log_test.c — log emits one line through action_log at the right level. */
#include "coretest.h"

int main(void)
{
	struct rb_clock *rc = clock_new(CLOCK_REAL, 0, 0);
	struct tcall t;
	jv r;

	tcall_init(&t, "log", rc);
	CHECK(tcall_run(&t, "{\"message\": \"restore started\"}", &r) == 0);
	CHECK_STR(buf_str(&t.log), "info restore started\n");
	CHECK_STR(tstr(r, "level"), "info");
	jv_free(r);
	buf_reset(&t.log);
	CHECK(tcall_run(&t, "{\"message\": \"lag high\", \"level\": \"warn\"}", &r) == 0);
	CHECK_STR(buf_str(&t.log), "warn lag high\n");
	jv_free(r);
	buf_reset(&t.log);
	CHECK(tcall_run(&t, "{\"message\": {\"rows\": 3}, \"level\": \"error\"}", &r) == 0);
	CHECK_STR(buf_str(&t.log), "error {\"rows\":3}\n");
	jv_free(r);
	buf_reset(&t.log);
	CHECK(tcall_run(&t, "{\"message\": \"x\", \"level\": \"loud\"}", &r) == -1);
	CHECK_STR(tstr(r, "code"), "BadArgs");
	CHECK(t.log.len == 0);
	jv_free(r);
	tcall_release(&t);
	CHECK(!action_is_mutating(registry_find("log"), jv_null()));
	clock_free(rc);
	return check_done("log");
}
