/* buf.h — growable byte buffers with a size cap (curl's dynbuf).
 *
 * Ownership: a struct buf owns its data. buf_detach() hands the bytes to the caller
 * (free() them) and leaves the buffer empty. The data is always NUL-terminated, so
 * b->data can be used as a C string when the content has no NUL bytes.
 * Every add fails with -1 (and leaves the buffer unchanged) when the result would
 * exceed the cap given to buf_init(); 0 means no cap.
 */
#ifndef RB_BUF_H
#define RB_BUF_H
#include <stddef.h>
#include <stdarg.h>
#include "bug.h"

struct buf {
	char *data;     /* NUL-terminated; NULL until the first add */
	size_t len;     /* bytes used, excluding the NUL */
	size_t cap;     /* bytes allocated */
	size_t max;     /* size cap; 0 = none */
};
/* Every add can fail (the cap): its result must be used. */
#define BUF_MUST_CHECK __attribute__((warn_unused_result))
/* For a buffer with no cap an add fails only if xrealloc() returned NULL, which it
 * never does (it dies): BUF_NOCAP(berr) says so where such a buffer's adds were
 * collected in berr, instead of an error path that cannot run. */
#define BUF_NOCAP(berr) do { if (berr) BUG("an add to a buffer with no cap failed"); } while (0)
#define BUF_INIT(max) { NULL, 0, 0, (max) }

void buf_init(struct buf *b, size_t max);
int buf_add(struct buf *b, const void *data, size_t len) BUF_MUST_CHECK;
int buf_adds(struct buf *b, const char *s) BUF_MUST_CHECK;
int buf_addc(struct buf *b, char c) BUF_MUST_CHECK;
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3))) BUF_MUST_CHECK;
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) BUF_MUST_CHECK;
/* s (NULL: nothing) as XML text or attribute value: & < > " ' as entities, LF and CR as
 * character references (kept in attributes), other C0 controls (not allowed in XML 1.0)
 * as '?' (git's strbuf_addstr_xml_quoted) */
int buf_add_xml(struct buf *b, const char *s) BUF_MUST_CHECK;
/* a text shown to people, bounded: cut b (which has no cap) to at most max bytes at a
 * UTF-8 character boundary and end it with mark, when it is longer */
void buf_cut(struct buf *b, size_t max, const char *mark);
const char *buf_str(const struct buf *b);     /* "" when empty, never NULL */
void buf_reset(struct buf *b);                /* len = 0, keeps memory */
char *buf_detach(struct buf *b);              /* caller frees; never NULL */
void buf_release(struct buf *b);
#endif
