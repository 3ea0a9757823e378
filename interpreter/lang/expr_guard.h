/* expr_guard.h — the watchdog that stops a jq evaluation (internal to lang/).
 *
 * libjq 1.6 checks `jq->halted` at the top of its interpreter loop, and jq_halt() sets
 * it. One watchdog thread per process (started by the first guard_begin) polls every
 * ~10 ms the evaluations running on every thread and halts one that runs past its
 * limit, grows the process's resident memory past the cap, or saw expr_interrupt().
 *
 * Handshake: the watchdog calls jq_halt() only between guard_begin() and guard_end()
 * of that evaluation, under the guard's mutex, and at most once per evaluation (jq_halt
 * asserts the state is not halted: expressions cannot call halt themselves, expr.c
 * rejects it). The caller calls jq_start() before guard_begin(), stops calling
 * jq_next() before guard_end(), and jq_start() again (which resets the halt) before
 * any later jq_next().
 */
#ifndef RB_EXPR_GUARD_H
#define RB_EXPR_GUARD_H
#include <jq.h>

enum guard_stop {
	GUARD_NONE,
	GUARD_TIME,        /* past the limit for expressions */
	GUARD_STEP,        /* past the step's deadline (expr_deadline) */
	GUARD_MEMORY,      /* resident memory grew past the cap */
	GUARD_SIGNAL,      /* expr_interrupt() */
};

void guard_begin(jq_state *jq);
enum guard_stop guard_end(void);
/* the error for a stopped evaluation: "expression did not finish within 10s ..." */
jv guard_error(enum guard_stop why);
#endif
