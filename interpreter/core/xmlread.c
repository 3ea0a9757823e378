/* xmlread.c — the XML runbook reads, read without libxml2.
 *
 * AWS's Query and REST-XML replies, and the Route 53 requests the simulator reads, are
 * plain UTF-8: a declaration, elements, attributes, text, the five predefined entities
 * and character references. Loading libxml2 for them costs ~2.7 MB of peak RSS (libicu
 * and libstdc++ come with it). This reader builds the tree libxml2's xmlReadMemory would
 * (its xmlDoc/xmlNode, as far as runbook reads them: elements, their names and order, the
 * text under them) for such a document, and gives up (NULL) on anything else — a comment,
 * a processing instruction, CDATA, a DTD, another encoding, a prefixed name, a carriage
 * return, mixed content under XML_PARSE_NOBLANKS, a document libxml2 would refuse — so
 * core/xmllazy.c hands those to libxml2 and every caller gets what libxml2 gives.
 * tests/core/xmlread_test.c compares the two trees.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include "bug.h"
#include "utf8.h"
#include "xmlread.h"

#define MAX_DEPTH 200           /* libxml2 stops at 256 without XML_PARSE_HUGE */
#define MAX_LEN (8u << 20)      /* and at a 10 MB text node */
#define MAX_ATTRS 32
#define KNOWN_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS)

struct chunk {
	struct chunk *next;
	size_t used, size;
	char data[];
};

struct xrdoc {
	xmlDoc doc;
	struct chunk *chunks;
};

static char xmlread_tag;        /* doc->_private of this reader's documents */

struct rd {
	const unsigned char *p, *end;
	struct xrdoc *d;
	int noblanks;
};

static void *rd_alloc(struct rd *r, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	struct chunk *c = r->d->chunks;
	if (!c || c->size - c->used < n) {
		size_t size = n > 8192 ? n : 8192;
		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = r->d->chunks;
		r->d->chunks = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

static char *rd_strdup(struct rd *r, const void *s, size_t n)
{
	char *t = rd_alloc(r, n + 1);
	memcpy(t, s, n);
	t[n] = 0;
	return t;
}

/* a new last child of parent (NULL: the document's root) */
static xmlNode *rd_node(struct rd *r, xmlNode *parent, xmlElementType type, const char *name)
{
	xmlNode *n = rd_alloc(r, sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->name = (const xmlChar *)name;
	n->doc = &r->d->doc;
	if (!parent) {
		n->parent = (xmlNode *)&r->d->doc;
		r->d->doc.children = r->d->doc.last = n;
		return n;
	}
	n->parent = parent;
	n->prev = parent->last;
	if (parent->last)
		parent->last->next = n;
	else
		parent->children = n;
	parent->last = n;
	return n;
}

static int peek(const struct rd *r, size_t i)
{
	return r->p + i < r->end ? r->p[i] : -1;
}

/* S, without the carriage return (its line-end normalization is libxml2's) */
static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static int skip_blanks(struct rd *r)
{
	const unsigned char *s = r->p;
	while (r->p < r->end && is_blank(*r->p))
		r->p++;
	return r->p > s;
}

/* XML 1.0's Char (a carriage return only by reference) */
static int is_char(uint32_t c)
{
	return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
	       (c >= 0x10000 && c <= 0x10FFFF);
}

/* one UTF-8 encoded Char of 2 to 4 bytes at r->p: skipped; -1 if not well formed or not a Char */
static int skip_utf8(struct rd *r)
{
	const unsigned char *p = r->p;
	uint32_t c;
	int n;
	if (*p >= 0xC2 && *p <= 0xDF)
		c = *p & 0x1F, n = 2;
	else if (*p >= 0xE0 && *p <= 0xEF)
		c = *p & 0x0F, n = 3;
	else if (*p >= 0xF0 && *p <= 0xF4)
		c = *p & 0x07, n = 4;
	else
		return -1;
	if (r->end - p < n)
		return -1;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return -1;
		c = c << 6 | (p[i] & 0x3F);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || !is_char(c))
		return -1;
	r->p += n;
	return 0;
}

/* one character of text or of an attribute value, not markup: skipped; -1 if not a Char */
static int skip_char(struct rd *r)
{
	int c = *r->p;
	if (c >= 0x80)
		return skip_utf8(r);
	if (c < 0x20 && c != '\t' && c != '\n')
		return -1;
	r->p++;
	return 0;
}

static int name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int name_char(int c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* an ASCII name without a prefix at r->p: its length, skipped; 0 if none */
static size_t name(struct rd *r)
{
	const unsigned char *s = r->p;
	if (r->p >= r->end || !name_start(*r->p))
		return 0;
	while (r->p < r->end && name_char(*r->p))
		r->p++;
	return (size_t)(r->p - s);
}

/* a reference at r->p ('&'): skipped, its character's UTF-8 in out[4]; the length, or -1 */
static int reference(struct rd *r, char *out)
{
	static const struct { const char *ref; char c; } predefined[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' }, { "&apos;", '\'' },
	};
	const unsigned char *p = r->p + 1;
	uint32_t c = 0;
	if (p < r->end && *p == '#') {
		int hex = ++p < r->end && *p == 'x', digits = 0;
		p += hex;
		for (; p < r->end && *p != ';'; p++, digits++) {
			int d = *p >= '0' && *p <= '9' ? *p - '0'
				: hex && (*p | 32) >= 'a' && (*p | 32) <= 'f' ? (*p | 32) - 'a' + 10 : -1;
			if (d < 0 || c > 0x10FFFF)
				return -1;
			c = c * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (p >= r->end || !digits || !is_char(c))
			return -1;
		r->p = p + 1;
	} else {
		size_t i = 0, n = sizeof(predefined) / sizeof(predefined[0]);
		for (; i < n; i++) {
			size_t l = strlen(predefined[i].ref);
			if ((size_t)(r->end - r->p) >= l && !memcmp(r->p, predefined[i].ref, l))
				break;
		}
		if (i == n)
			return -1;
		r->p += strlen(predefined[i].ref);
		out[0] = predefined[i].c;
		return 1;
	}
	return utf8_put(out, c);
}

/* a quoted attribute value at r->p: skipped; -1 if not one */
static int att_value(struct rd *r)
{
	int q = peek(r, 0);
	if (q != '"' && q != '\'')
		return -1;
	r->p++;
	while (r->p < r->end && *r->p != q) {
		char u[4];
		if (*r->p == '<' || (*r->p == '&' ? reference(r, u) : skip_char(r)) < 0)
			return -1;
	}
	if (r->p >= r->end)
		return -1;
	r->p++;
	return 0;
}

/* Eq then a quoted value at r->p: the value's span */
static int eq_value(struct rd *r, const unsigned char **v, size_t *vlen)
{
	skip_blanks(r);
	if (peek(r, 0) != '=')
		return -1;
	r->p++;
	skip_blanks(r);
	const unsigned char *s = r->p + 1;
	if (att_value(r) < 0)
		return -1;
	*v = s;
	*vlen = (size_t)(r->p - 1 - s);
	return 0;
}

static int word(struct rd *r, const char *w)
{
	size_t l = strlen(w);
	if ((size_t)(r->end - r->p) < l || memcmp(r->p, w, l))
		return 0;
	r->p += l;
	return 1;
}

static int value_is(const unsigned char *v, size_t n, const char *s, int nocase)
{
	return n == strlen(s) && !(nocase ? strncasecmp((const char *)v, s, n) : memcmp(v, s, n));
}

/* <?xml version="1.0" encoding="UTF-8" standalone="yes"?>, each part but the version optional */
static int declaration(struct rd *r)
{
	const unsigned char *v;
	size_t n;
	if (!word(r, "<?xml") || !skip_blanks(r) || !word(r, "version") || eq_value(r, &v, &n) < 0 ||
	    !value_is(v, n, "1.0", 0))
		return -1;
	int ws = skip_blanks(r);
	if (ws && word(r, "encoding")) {
		if (eq_value(r, &v, &n) < 0 || !value_is(v, n, "UTF-8", 1))
			return -1;
		ws = skip_blanks(r);
	}
	if (ws && word(r, "standalone")) {
		if (eq_value(r, &v, &n) < 0 || !(value_is(v, n, "yes", 0) || value_is(v, n, "no", 0)))
			return -1;
		skip_blanks(r);
	}
	return word(r, "?>") ? 0 : -1;
}

/* a start tag at r->p ('<'): its element under parent; *open when it has content to come */
static xmlNode *start_tag(struct rd *r, xmlNode *parent, int *open)
{
	struct { const unsigned char *s; size_t n; } atts[MAX_ATTRS];
	int natts = 0;
	r->p++;
	const unsigned char *s = r->p;
	size_t n = name(r);
	if (!n)
		return NULL;
	const char *el_name = rd_strdup(r, s, n);
	for (;;) {
		int ws = skip_blanks(r);
		int c = peek(r, 0);
		if (c == '>' || (c == '/' && peek(r, 1) == '>')) {
			*open = c == '>';
			r->p += c == '>' ? 1 : 2;
			break;
		}
		const unsigned char *a = r->p;
		size_t an = ws ? name(r) : 0;
		if (!an || natts == MAX_ATTRS)
			return NULL;
		for (int i = 0; i < natts; i++)
			if (atts[i].n == an && !memcmp(atts[i].s, a, an))
				return NULL;   /* libxml2: attribute redefined */
		atts[natts].s = a;
		atts[natts++].n = an;
		const unsigned char *v;
		size_t vn;
		if (eq_value(r, &v, &vn) < 0)
			return NULL;
	}
	return rd_node(r, parent, XML_ELEMENT_NODE, el_name);
}

/* an end tag at r->p ("</") of el */
static int end_tag(struct rd *r, const xmlNode *el)
{
	r->p += 2;
	const unsigned char *s = r->p;
	size_t n = name(r);
	if (!n || strlen((const char *)el->name) != n || memcmp(s, el->name, n))
		return -1;
	skip_blanks(r);
	if (peek(r, 0) != '>')
		return -1;
	r->p++;
	return 0;
}

static int has_text(const xmlNode *el)
{
	for (const xmlNode *c = el->children; c; c = c->next)
		if (c->type == XML_TEXT_NODE)
			return 1;
	return 0;
}

/* character data and references at r->p, up to the next '<', as text nodes of el */
static int text(struct rd *r, xmlNode *el)
{
	while (r->p < r->end && *r->p != '<') {
		if (*r->p == '&') {
			char u[4];
			int n = reference(r, u);
			if (n < 0)
				return -1;
			rd_node(r, el, XML_TEXT_NODE, "text")->content = (xmlChar *)rd_strdup(r, u, (size_t)n);
			continue;
		}
		const unsigned char *s = r->p;
		int blank = 1;
		while (r->p < r->end && *r->p != '<' && *r->p != '&') {
			if (*r->p == ']' && peek(r, 1) == ']' && peek(r, 2) == '>')
				return -1;
			blank &= is_blank(*r->p);
			if (skip_char(r) < 0)
				return -1;
		}
		if (r->p >= r->end)
			return -1;
		if (blank && r->noblanks && *r->p == '<') {
			/* libxml2's areBlanks(): blanks before markup are dropped, but for the
			 * whole content of an element; its rules for mixed content are not ours */
			if (has_text(el))
				return -1;
			if (el->children || peek(r, 1) != '/')
				continue;
		}
		rd_node(r, el, XML_TEXT_NODE, "text")->content = (xmlChar *)rd_strdup(r, s, (size_t)(r->p - s));
	}
	return r->p < r->end ? 0 : -1;   /* an element's content ends with its end tag */
}

static int parse(struct rd *r)
{
	if (r->end - r->p >= 6 && !memcmp(r->p, "<?xml", 5) && is_blank(r->p[5]) && declaration(r) < 0)
		return -1;
	skip_blanks(r);
	xmlNode *el = NULL;
	int depth = 0;
	do {
		if (peek(r, 0) != '<') {
			if (!el || text(r, el) < 0)
				return -1;
			continue;
		}
		if (peek(r, 1) == '/') {
			if (!el || end_tag(r, el) < 0)
				return -1;
			el = --depth ? el->parent : NULL;
			continue;
		}
		int open;
		xmlNode *n = start_tag(r, el, &open);
		if (!n)
			return -1;
		if (open) {
			el = n;
			if (++depth > MAX_DEPTH)
				return -1;
		}
	} while (depth);
	skip_blanks(r);
	return r->p == r->end ? 0 : -1;
}

xmlDoc *xmlread_doc(const char *buf, size_t len, int options)
{
	if (!buf || len > MAX_LEN || (options & ~KNOWN_OPTIONS))
		return NULL;
	struct xrdoc *d = xcalloc(1, sizeof(*d));
	d->doc.type = XML_DOCUMENT_NODE;
	d->doc.doc = &d->doc;
	d->doc._private = &xmlread_tag;
	struct rd r = { (const unsigned char *)buf, (const unsigned char *)buf + len, d,
			!!(options & XML_PARSE_NOBLANKS) };
	if (parse(&r) < 0) {
		xmlread_free(&d->doc);
		return NULL;
	}
	return &d->doc;
}

int xmlread_owns(const xmlDoc *doc)
{
	return doc && doc->_private == &xmlread_tag;
}

void xmlread_free(xmlDoc *doc)
{
	struct xrdoc *d = (struct xrdoc *)doc;
	for (struct chunk *c = d->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(d);
}

/* the text under top in document order into out (when not NULL): its length */
static size_t gather(const xmlNode *top, char *out)
{
	size_t n = 0;
	for (const xmlNode *c = top->children; c;) {
		if (c->type == XML_TEXT_NODE) {
			size_t l = strlen((const char *)c->content);
			if (out)
				memcpy(out + n, c->content, l);
			n += l;
		}
		if (c->children) {
			c = c->children;
			continue;
		}
		while (c != top && !c->next)
			c = c->parent;
		c = c == top ? NULL : c->next;
	}
	return n;
}

xmlChar *xmlread_content(const xmlNode *node)
{
	if (node->type == XML_TEXT_NODE)
		return (xmlChar *)xstrdup((const char *)node->content);
	size_t n = gather(node, NULL);
	char *s = xmalloc(n + 1);
	gather(node, s);
	s[n] = 0;
	return (xmlChar *)s;
}
