/* actarg.h — reading an action's arguments: the one set of helpers every module uses
 * (exec, http, pg, redis, k8s), with the descriptor's defaults.
 *
 * Ownership (jv.h's rule): `args` is borrowed; functions returning jv return a new
 * reference; a `hold` out-parameter keeps alive the jv a returned string view borrows
 * from (the caller frees *hold).
 */
#ifndef RB_CORE_ACTARG_H
#define RB_CORE_ACTARG_H
#include <jv.h>
#include <stddef.h>
#include <stdint.h>
#include "action.h"

/* args[name] when present and not null, else the descriptor's default (parsed), else
 * jv_invalid(). call may be NULL (no defaults). */
jv actarg_get(const struct action_call *call, jv args, const char *name);
/* string view of an arg (or its default string); NULL if absent or not a string */
const char *actarg_str(const struct action_call *call, jv args, const char *name, jv *hold);
int actarg_bool(const struct action_call *call, jv args, const char *name, int def);
int64_t actarg_int(const struct action_call *call, jv args, const char *name, int64_t def);
/* a duration arg ("90s" or seconds) in ms; def when absent; -1 when not a duration */
int64_t actarg_ms(const struct action_call *call, jv args, const char *name, int64_t def);
/* a duration value ("90s"-style text, or a number of seconds) to ms; borrows v;
 * 0 ok, -1 not a duration */
int actarg_dur(jv v, int64_t *ms);

/* list of strings arg (a single string is a one-item list); *n items, caller frees the
 * array (not the strings, which borrow from v); -1 when an item is not a string */
int actarg_str_list(jv v, const char ***items, int *n);
/* shortest text of a number that reads back as the same double; integral values
 * without exponent ("3", "1700000000", "3.99") */
char *actarg_num_text(double d, char *buf, size_t size);
/* text of a scalar for argv / env / headers / SQL: strings as is, numbers as
 * actarg_num_text, booleans "true"/"false"; NULL for anything else. Borrows v;
 * malloc'd result. */
char *actarg_scalar_text(jv v);
#endif
