/* jvx.h — small helpers over libjq's jv, the one value type.
 *
 * jv rule (jv.h): every jv_* call consumes its jv arguments except jv_copy; jv_copy only
 * bumps a NON-ATOMIC reference count. A jv belongs to one thread: to hand a value to
 * another thread, pass jvx_deep_copy() of it and keep nothing shared.
 * Functions here follow the same rule unless they say "borrows".
 */
#ifndef RB_JVX_H
#define RB_JVX_H
#include <jv.h>
#include <stddef.h>
#include <stdint.h>

jv jvx_deep_copy(jv v);                      /* borrows v; result shares nothing with it */
/* borrowed lookups: return a NEW reference (caller frees) or jv_invalid() if absent */
jv jvx_get(jv obj, const char *key);         /* borrows obj */
/* borrowed string view of obj[key] valid while obj lives; NULL if absent or not a string */
const char *jvx_str(jv obj, const char *key);
int jvx_bool(jv obj, const char *key, int def);      /* borrows obj */
int jvx_truth(jv v, int def);                 /* true 1, false 0, else def; consumes v */
double jvx_num(jv obj, const char *key, double def); /* borrows obj */
int64_t jvx_int(jv obj, const char *key, int64_t def);
int jvx_has(jv obj, const char *key);        /* borrows obj */
/* error objects used by actions: {code, message} (+ request_id, transient) */
jv jvx_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* JSON text, byte for byte what libjq 1.6's jv_dump_string prints: flags 0 (compact)
 * or JVX_PRETTY (JV_PRINT_PRETTY | JV_PRINT_SPACE1: two spaces a level); consumes v.
 * Written by hand because libjq's printer costs ~50 K instructions a journal line (a
 * jv_string append per character, a dtoa context with mallocs per number) and has no
 * faster entry. jvx_dump_buf appends to b, -1 when b's cap refused an add (b then
 * holds part of the text). */
#define JVX_PRETTY (JV_PRINT_PRETTY | JV_PRINT_SPACE1)
struct buf;
int jvx_dump_buf(struct buf *b, jv v, int flags) __attribute__((warn_unused_result));
/* the same, compact, for a value printed as a member of an object or array (one level
 * down: where libjq's depth limit falls) */
int jvx_dump_member(struct buf *b, jv v) __attribute__((warn_unused_result));
char *jvx_dump(jv v);                        /* compact, malloc'd */
char *jvx_dump_pretty(jv v);                 /* JVX_PRETTY, malloc'd */
jv jvx_dump_string(jv v, int flags);         /* as a jv string, like jv_dump_string */
/* text for display: strings as is, everything else as compact JSON; consumes v */
char *jvx_text(jv v);
/* jq truthiness: false and null are false; invalid is false; borrows v */
int jvx_truthy(jv v);
const char *jvx_kind_name(jv v);             /* borrows */
/* jv_parse_sized for bytes from outside (replies, bodies, files): the same result, but
 * input with two values and no separator ('{"a" "b"}') is refused before libjq 1.6's
 * parser sees it, since that parser leaks the second value on that error */
jv jvx_parse_sized(const char *text, size_t len);
#endif
