/* core.h — internal to modules/core: the pieces core.c assembles into core_module,
 * and small helpers shared by exec, sleep, log and http.request.
 * Nothing outside modules/core includes this; the door is registry.h.
 */
#ifndef RB_MODULES_CORE_H
#define RB_MODULES_CORE_H
#include <jv.h>
#include <stdint.h>
#include "../../core/action.h"
#include "../../core/actarg.h"

/* cap on what an action keeps of a process's output or an HTTP reply (per stream) */

extern const struct action_arg core_exec_args[], core_sleep_args[], core_log_args[],
	core_http_args[];
int core_exec_run(struct action_call *call, jv args, jv *out);
int core_exec_mutates(jv args);
int core_exec_dry_run(struct action_call *call, jv args, jv *out);
int core_sleep_run(struct action_call *call, jv args, jv *out);
int64_t core_sleep_typical(jv args);
int core_log_run(struct action_call *call, jv args, jv *out);
int core_http_run(struct action_call *call, jv args, jv *out);
int core_http_mutates(jv args);
int core_http_dry_run(struct action_call *call, jv args, jv *out);
int core_http_init(void);
void core_http_cleanup(void);

#endif
