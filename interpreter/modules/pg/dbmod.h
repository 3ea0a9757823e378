/* dbmod.h — helpers shared by the pg and redis modules (owner: pg/redis helper).
 * Internal to modules/pg and modules/redis; nothing else includes it.
 */
#ifndef RB_MODULES_DBMOD_H
#define RB_MODULES_DBMOD_H
#include <jv.h>
#include <stddef.h>
#include <stdint.h>
#include "../../core/action.h"

#define DBMOD_SLICE_MS 100          /* how often waits look at cancel and the deadline */

/* args[name] when present and not null, else the descriptor's default (parsed), else
 * jv_invalid(). Borrows args; returns a new reference. */
jv dbmod_arg(const struct action_call *call, jv args, const char *name);
/* borrowed string view of an arg (or its default string); NULL if absent */
const char *dbmod_str(const struct action_call *call, jv args, const char *name, jv *hold);
int dbmod_bool(const struct action_call *call, jv args, const char *name, int def);
int64_t dbmod_int(const struct action_call *call, jv args, const char *name, int64_t def);
/* a duration arg ("90s" or seconds) in ms; def when absent; -1 when not a duration */
int64_t dbmod_ms(const struct action_call *call, jv args, const char *name, int64_t def);

/* monotonic milliseconds (real time, for I/O timeouts) */
int64_t dbmod_mono_ms(void);
/* a monotonic deadline: now + timeout_ms, shortened by the step's deadline */
int64_t dbmod_deadline(struct action_call *call, int64_t timeout_ms);
/* wait until fd is ready for events (POLLIN/POLLOUT): 1 ready, 0 deadline passed,
 * -1 cancelled, -2 poll error (errno) */
int dbmod_wait_fd(struct action_call *call, int fd, short events, int64_t deadline);
/* sleep ms on the call's clock; -1 if cancelled */
int dbmod_sleep(struct action_call *call, int64_t ms);

/* connections.MODULE.NAME of this call (new reference), jv_null() when the runbook has
 * no connections.MODULE at all, jv_invalid() when NAME is not among them */
jv dbmod_connection(struct action_call *call, const char *module, const char *name);
/* the error for an unknown connection name, with a did-you-mean */
jv dbmod_unknown_connection(struct action_call *call, const char *module, const char *name);

/* a warning (a log event of the call) once per process and key, e.g. "pg:NAME@HOST":
 * advice about an insecure connection is seen once, not at every step */
void dbmod_warn_once(struct action_call *call, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* shortest text of a number that reads back as the same double; integral values
 * without exponent ("3", "1700000000", "3.99") */
char *dbmod_num_text(double d, char *buf, size_t size);

/* list of strings arg (a single string is a one-item list); *n items, caller frees the
 * array (not the strings, which borrow from *hold); -1 when an item is not a string */
int dbmod_str_list(jv v, const char ***items, int *n);
#endif
