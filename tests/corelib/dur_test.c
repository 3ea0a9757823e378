/* durations and timestamps */
#include "core/dur.h"
#include "check.h"

int main(void)
{
	int64_t ms = -1;
	char b[64];
	CHECK(dur_parse("90s", &ms) == 0 && ms == 90000);
	CHECK(dur_parse("15m", &ms) == 0 && ms == 900000);
	CHECK(dur_parse("1h30m", &ms) == 0 && ms == 5400000);
	CHECK(dur_parse("250ms", &ms) == 0 && ms == 250);
	CHECK(dur_parse("1500ms", &ms) == 0 && ms == 1500);
	CHECK(dur_parse("2d3h4m5s6ms", &ms) == 0 && ms == 183845006);
	CHECK(dur_parse("0s", &ms) == 0 && ms == 0);
	/* the grammar is strict: integers, units largest first, each once */
	CHECK(dur_parse("1.5s", &ms) < 0);
	CHECK(dur_parse("1e3s", &ms) < 0);
	CHECK(dur_parse("1h1h", &ms) < 0);
	CHECK(dur_parse("1s1m", &ms) < 0);
	CHECK(dur_parse("30m1h", &ms) < 0);
	CHECK(dur_parse("1ms1s", &ms) < 0);
	CHECK(dur_parse("1s1s", &ms) < 0);
	CHECK(dur_parse("0x10s", &ms) < 0);
	CHECK(dur_parse("+5s", &ms) < 0);
	CHECK(dur_parse("5s ", &ms) < 0);
	CHECK(dur_parse("99999999999999999999s", &ms) < 0);
	CHECK(dur_parse("9000000000000000ms", &ms) == 0);
	CHECK(dur_parse("9000000000000001ms", &ms) < 0);
	CHECK(dur_parse("104166666667d", &ms) < 0);
	CHECK(dur_parse("2d", &ms) == 0 && ms == 172800000);
	CHECK(dur_parse("1m30s", &ms) == 0 && ms == 90000);
	CHECK(dur_parse("15", &ms) < 0);
	CHECK(dur_parse("", &ms) < 0);
	CHECK(dur_parse("-5s", &ms) < 0);
	CHECK(dur_parse("5 s", &ms) < 0);
	CHECK(dur_parse("5x", &ms) < 0);
	CHECK(dur_parse("m", &ms) < 0);
	CHECK_STR(dur_format(5400000, b, sizeof(b)), "1h30m");
	CHECK_STR(dur_format(90000, b, sizeof(b)), "1m30s");
	CHECK_STR(dur_format(250, b, sizeof(b)), "250ms");
	CHECK_STR(dur_format(0, b, sizeof(b)), "0s");
	CHECK_STR(dur_format(1500, b, sizeof(b)), "1.5s");

	CHECK(ts_parse("1970-01-01T00:00:00Z", &ms) == 0 && ms == 0);
	CHECK(ts_parse("2026-11-22T03:18:43Z", &ms) == 0 && ms == 1795317523000LL);
	CHECK(ts_parse("2026-11-22T03:18:43.5Z", &ms) == 0 && ms == 1795317523500LL);
	CHECK(ts_parse("2026-11-22T05:18:43+02:00", &ms) == 0 && ms == 1795317523000LL);
	CHECK(ts_parse("2026-11-22", &ms) < 0);
	CHECK(ts_parse("2026-02-30T00:00:00Z", &ms) < 0);
	CHECK(ts_parse("2025-02-29T00:00:00Z", &ms) < 0);
	CHECK(ts_parse("2024-02-29T00:00:00Z", &ms) == 0);
	CHECK(ts_parse("2026-11-22T03:18:43", &ms) < 0);
	CHECK(ts_parse("2026-11-22T25:00:00Z", &ms) < 0);
	return check_done("dur");
}
