/* clock.h — the one clock: real, or virtual (rehearsals), or real scaled (sim serve --speed).
 *
 * All sleeping and all timestamps go through a struct rb_clock. Times are milliseconds
 * since the Unix epoch (int64_t) on the clock's own time line.
 *
 * Virtual time is a discrete-event clock shared by threads. Each thread that can make
 * progress holds a "busy token"; virtual time jumps to the earliest wake-up only when
 * no token is held, i.e. when every participant is waiting. Protocol:
 *   - the engine thread holds one token while it works (clock_hold at start);
 *   - dispatching work to another thread takes a token for it (clock_hold); the worker
 *     hands it back (clock_release) or passes it on (e.g. the engine consumes a
 *     completion event, then releases the worker's token);
 *   - clock_sleep_until() and clock_wait() give the caller's token back while they
 *     wait and take it again before returning.
 * A real clock ignores tokens. Thread-safe.
 */
#ifndef RB_CLOCK_H
#define RB_CLOCK_H
#include <stdint.h>
#include <pthread.h>

enum clock_kind { CLOCK_REAL, CLOCK_VIRTUAL, CLOCK_SCALED };

struct rb_clock;

/* start_ms: where virtual time starts (0 = the real time now). speed: only for
 * CLOCK_SCALED (virtual ms per real ms, e.g. 60 = a minute per second). */
struct rb_clock *clock_new(enum clock_kind kind, int64_t start_ms, double speed);
void clock_free(struct rb_clock *c);
enum clock_kind clock_kind(const struct rb_clock *c);

int64_t clock_now(struct rb_clock *c);
void clock_hold(struct rb_clock *c);        /* take a busy token */
void clock_release(struct rb_clock *c);     /* give one back; may advance virtual time */

/* sleep until the clock reads `when` (the caller holds a token). Returns 0, or -1 if
 * *cancel became non-zero (checked at least every 100 ms of real time). cancel may be NULL. */
int clock_sleep_until(struct rb_clock *c, int64_t when, const volatile int *cancel);
int clock_sleep(struct rb_clock *c, int64_t ms, const volatile int *cancel);

/* wait until ready(arg) returns non-zero or the clock reaches deadline (INT64_MAX = none).
 * ready() is called with the clock's lock held and must not block. Returns 1 if ready,
 * 0 on deadline. Other threads make ready() true and then call clock_notify(). */
int clock_wait(struct rb_clock *c, int64_t deadline, int (*ready)(void *), void *arg);
void clock_notify(struct rb_clock *c);

/* RFC 3339 UTC with milliseconds: "2026-11-22T03:18:43.120Z"; buf >= 32 bytes */
char *clock_format(int64_t ms, char *buf, size_t size);
#endif
