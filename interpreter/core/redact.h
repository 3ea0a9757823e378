/* redact.h — secret taint by value.
 *
 * A tainted value is a string known to be secret: a param with `secret: true`, a
 * password in a conninfo, a Secrets Manager value, Kubernetes Secret data. Every sink
 * (terminal, journal, recording, report) passes its text or jv through a redactor,
 * which replaces every occurrence of every tainted string with "***". Values shorter
 * than REDACT_MIN bytes are not registered (masking "1" would destroy all output);
 * this is documented in runbook(5).
 *
 * Thread-safe: actions on worker threads may add values. Strings given to redact_add
 * are copied. The secret's JSON-escaped and base64 forms are registered as well, so a
 * value still cannot leak through a JSON dump or a Kubernetes Secret manifest.
 */
#ifndef RB_REDACT_H
#define RB_REDACT_H
#include <jv.h>

#define REDACT_MIN 3
#define REDACT_MASK "***"

struct redactor;
struct redactor *redact_new(void);
void redact_free(struct redactor *r);
void redact_add(struct redactor *r, const char *value);
/* add every string inside a jv (consumes v) */
void redact_add_jv(struct redactor *r, jv v);
int redact_count(struct redactor *r);
/* a new malloc'd string with every secret masked (NULL r: a plain copy) */
char *redact_str(struct redactor *r, const char *s);
/* a copy of v with every string (keys too) masked; consumes v */
jv redact_jv(struct redactor *r, jv v);
#endif
