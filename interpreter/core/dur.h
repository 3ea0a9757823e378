/* dur.h — durations ("90s", "15m", "1h30m", "250ms", "2d") and RFC 3339 timestamps. */
#ifndef RB_DUR_H
#define RB_DUR_H
#include <stdint.h>
#include <stddef.h>

/* 0 and *ms set, or -1 if s is not a duration: whole numbers each followed by a unit,
 * units from the largest to the smallest (d h m s ms), each at most once ("1h30m",
 * not "30m1h", "1h1h" or "1.5h"). A bare number is not a duration. */
int dur_parse(const char *s, int64_t *ms);
/* "1h30m", "90s", "250ms", "0s" */
char *dur_format(int64_t ms, char *buf, size_t size);
/* RFC 3339 ("2026-11-22T03:18:43Z", fractions and offsets allowed) -> ms since epoch */
int ts_parse(const char *s, int64_t *ms);
#endif
