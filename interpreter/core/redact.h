/* redact.h — secret taint by value.
 *
 * A tainted value is a string known to be secret: a param with `secret: true`, a
 * password in a conninfo, a Secrets Manager value, Kubernetes Secret data, a credential
 * in the environment, and every value an expression computes from one (lang/taint.c).
 * Every sink (terminal, journal, recording, report) passes its text or jv through a
 * redactor, which replaces every occurrence of every tainted string with "***". Values
 * shorter than REDACT_MIN bytes are not registered (masking "1" would destroy all
 * output); this is documented in runbook(5).
 *
 * The forms a secret takes on its way out are registered with it (redact_add):
 *   as is; JSON-escaped (once and twice, and with \uXXXX for non-ASCII); URL-encoded
 *   (%XX upper and lower case, and `+` for a space); base64 and base64url at the three
 *   alignments (the secret after a prefix of any length: `user:`+secret inside a Basic
 *   header: the groups of 3 bytes that lie wholly inside the secret); hex (lower and
 *   upper case: xxd, od, PostgreSQL bytea and digests print it).
 * Around a masked base64 middle, the group that straddles each end of the secret stays
 * (up to 4 characters, mixing the prefix or suffix with at most 2 of the secret's first
 * or last bytes): masking it would need the unknown neighbours.
 * Hex is registered because clients print it (xxd, od, PostgreSQL bytea); it costs two
 * strings per secret and, at twice the secret's length, does not collide with output.
 *
 * Thread-safe: actions on worker threads may add values. Strings given to redact_add
 * are copied.
 */
#ifndef RB_REDACT_H
#define RB_REDACT_H
#include <jv.h>

#define REDACT_MIN 3
#define REDACT_MASK "***"

struct redactor;
struct redactor *redact_new(void);
/* frees r; if r is the current redactor, there is none afterwards */
void redact_free(struct redactor *r);
void redact_add(struct redactor *r, const char *value);
/* add every string inside a jv (consumes v) */
void redact_add_jv(struct redactor *r, jv v);
/* number of registered strings (every form counts) */
int redact_count(struct redactor *r);
/* 1 if value was registered exactly (as a secret or one of its forms) */
int redact_has(struct redactor *r, const char *value);
/* a new malloc'd string with every secret masked (NULL r: a plain copy) */
char *redact_str(struct redactor *r, const char *s);
/* a copy of v with every string (keys too) masked; consumes v */
jv redact_jv(struct redactor *r, jv v);

/* Stable placeholders (tapes): a copy of v (consumed) with every form of every secret,
 * in strings and keys, replaced by "<secret:N>", where N numbers the secrets of this
 * redactor in the order they are first replaced here (the first secret a tape shows is
 * <secret:1>) and stays the same for the same secret every time after. A secret whose
 * value is itself "<secret:N>" (replay gives a tape's placeholders as params) keeps N,
 * so what an expression makes of it (@uri, @base64) maps back to it; numbers given out
 * later come after it. One pass, the longest form first at each position, so a
 * placeholder is never masked again. */
#define REDACT_PLACEHOLDER_FMT "<secret:%d>"
jv redact_jv_placeholder(struct redactor *r, jv v);

/* A copy of v (consumed) where every occurrence of every registered string, in
 * strings and keys, is replaced by its decoy: a string of the same length that differs
 * at every letter, digit and punctuation byte and in every multibyte character, and
 * keeps JSON's structural characters ({}[]":,\ and whitespace), so a JSON secret still
 * parses. *hits (may be NULL) gets the number of replacements. */
jv redact_decoy(struct redactor *r, jv v, int *hits);
/* quick test: does any string (or key) of v (borrowed) contain a registered string? */
int redact_touches(struct redactor *r, jv v);

/* The process's redactor for expressions (lang/taint.c reads it): set by the command
 * that owns it, before any expression runs. */
void redact_set_current(struct redactor *r);
struct redactor *redact_current(void);
#endif
