/* core.h — internal to modules/core: the pieces core.c assembles into core_module,
 * and small helpers shared by exec, sleep, log and http.request.
 * Nothing outside modules/core includes this; the door is registry.h.
 */
#ifndef RB_MODULES_CORE_H
#define RB_MODULES_CORE_H
#include <jv.h>
#include <stdint.h>
#include "../../core/action.h"

/* cap on what an action keeps of a process's output or an HTTP reply (per stream) */
#define CORE_OUTPUT_MAX ((size_t)16 << 20)

extern const struct action_arg core_exec_args[], core_sleep_args[], core_log_args[],
	core_http_args[];
int core_exec_run(struct action_call *call, jv args, jv *out);
int core_exec_mutates(jv args);
int core_exec_dry_run(struct action_call *call, jv args, jv *out);
int core_sleep_run(struct action_call *call, jv args, jv *out);
int core_log_run(struct action_call *call, jv args, jv *out);
int core_http_run(struct action_call *call, jv args, jv *out);
int core_http_mutates(jv args);
int core_http_dry_run(struct action_call *call, jv args, jv *out);
int core_http_init(void);
void core_http_cleanup(void);

/* args[name] when present and not null, else the descriptor's default (parsed), else
 * jv_invalid(). Borrows args; returns a new reference. */
jv core_arg(const struct action_call *call, jv args, const char *name);
/* a duration given as "90s"-style text or a number of seconds, to ms. Borrows v.
 * 0 ok, -1 not a duration. */
int core_duration_ms(jv v, int64_t *ms);
/* ms left before the step's deadline (call->deadline on call->clock) combined with a
 * timeout of the action's own (-1 = none); -1 when neither applies, else >= 0 */
int64_t core_time_left(struct action_call *call, int64_t timeout_ms);
/* text of a scalar for argv / env / headers: strings as is, numbers and booleans as
 * their JSON text; NULL for anything else. Borrows v; malloc'd result. */
char *core_scalar_text(jv v);
#endif
