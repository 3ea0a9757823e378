/* expr_scan.h — a quick, conservative check of one jq expression without libjq.
 *
 * expr_scan() says 1 only when the text certainly compiles as a runbook expression:
 * jq 1.6's syntax, every function called defined (locally or a builtin of the libjq we
 * link, name and arity) and every variable bound, no forbidden builtin. Anything it does
 * not fully understand gets 0, and expr.c lets jq_compile decide and word the error, so
 * being stricter than jq costs time, never a wrong answer. Internal to lang/. */
#ifndef RB_EXPR_SCAN_H
#define RB_EXPR_SCAN_H
#include <stddef.h>

/* forbidden(name, len, arity): nonzero for a builtin the prelude takes away */
int expr_scan(const char *text, int (*forbidden)(const char *name, size_t len, int arity));
#endif
