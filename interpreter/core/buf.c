/* buf.c — capped growable buffers (see buf.h) */
#include <stdio.h>
#include <string.h>
#include "buf.h"
#include "bug.h"

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

static int grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (b->max && b->len + extra > b->max)
		return -1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	if (grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	/* one pass when the text fits in the room there is (it usually does), else
	 * measured there, grown and written again */
	size_t room = b->data ? b->cap - b->len : 0;
	int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, cp);
	va_end(cp);
	if (n >= 0 && (size_t)n < room && !(b->max && b->len + (size_t)n > b->max)) {
		b->len += (size_t)n;
		return 0;
	}
	if (room)
		b->data[b->len] = '\0';    /* a refused or cut text leaves no trace */
	if (n < 0 || grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *buf_detach(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_cut(struct buf *b, size_t max, const char *mark)
{
	if (b->max)
		BUG("buf_cut on a buffer with a cap");
	if (b->len <= max)
		return;
	size_t n = max;
	while (n > 0 && ((unsigned char)b->data[n] & 0xC0) == 0x80)
		n--;              /* not inside a character */
	b->len = n;
	b->data[n] = '\0';
	if (buf_adds(b, mark) < 0)
		BUG("a buffer with no cap refused an add");
}

int buf_add_xml(struct buf *b, const char *s)
{
	static const struct { char c; const char *ref; } refs[] = {
		{ '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" }, { '"', "&quot;" },
		{ '\'', "&apos;" }, { '\n', "&#10;" }, { '\r', "&#13;" },
	};
	for (; s && *s; s++) {
		const char *ref = NULL;
		for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]) && !ref; i++)
			if (*s == refs[i].c)
				ref = refs[i].ref;
		if (ref ? buf_adds(b, ref) < 0 :
			  buf_addc(b, (unsigned char)*s < 0x20 && *s != '\t' ? '?' : *s) < 0)
			return -1;
	}
	return 0;
}
