/* taint.h — taint propagation through expressions (differential evaluation).
 *
 * A value computed from a tainted value is tainted: `.params.pw | @uri`,
 * `"root:" + .params.pw | @base64`, `ascii_downcase`, a slice, `tojson` are secrets too.
 * When the context of an expression holds a registered secret (redact_current()), the
 * expression is evaluated a second time on a decoy context, where every occurrence of
 * every secret is replaced by a decoy of the same length that differs at every byte
 * (redact_decoy). Whatever differs between the two results depends on a secret and is
 * registered with redact_add: a string that differs (whole, and its differing span), a
 * number that differs (its text), every string and number of a subtree whose shape
 * differs (another kind, length or key set), a differing error message. jq functions
 * are pure here, so the second run has no effect; it doubles the cost of the
 * expressions that see a secret, and only those. A plain path (expr.h) returns a piece
 * of the context chosen by its text alone: it runs twice only when that piece, or a
 * name in its text, holds a secret (the rest of the context is not looked at).
 *
 * The environment (`$ENV`, `env`) is not part of the input: its credentials are
 * registered at startup (cli_redactor_new), and an expression that names `$ENV` or
 * `env` gets its decoy run from a program of its own (compiled once, ~40 ms) where
 * both are the environment with every secret replaced by its decoy.
 */
#ifndef RB_TAINT_H
#define RB_TAINT_H
#include <jv.h>

struct exprset;
struct redactor;
typedef jv (*taint_eval_fn)(struct exprset *set, int idx, jv ctx);

/* eval(set, idx, ctx) (consumes ctx), registering what its result takes from a secret */
jv taint_eval(struct exprset *set, int idx, jv ctx, taint_eval_fn eval);

/* register every string and number inside v (borrowed) that differs from decoy
 * (borrowed); exposed for tests */
void taint_diff(struct redactor *r, jv real, jv decoy);
#endif
