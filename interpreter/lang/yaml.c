/* yaml.c — libyaml event parser -> ynode tree with source marks (see yaml.h). */
#include <yaml.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../core/yamljv.h"
#include "yaml.h"
#include "../core/bug.h"

/* every node and string of a document, freed together (aliases share nodes). Nodes
 * and scalars are cut from blocks (a malloc and a free each cost as much as parsing
 * a node); the lists of a sequence or map grow, so they are malloc'd and kept. */
#define ARENA_BLOCK ((size_t)64 << 10)

struct arena {
	void **ptrs;              /* blocks and kept allocations */
	int n, alloc;
	char *cur;                /* the free end of the newest block */
	size_t left;
};

static void *arena_keep(struct arena *a, void *p)
{
	ALLOC_GROW(a->ptrs, a->n + 1, a->alloc);
	a->ptrs[a->n++] = p;
	return p;
}

/* size zeroed bytes, aligned for any node */
static void *arena_alloc(struct arena *a, size_t size)
{
	const size_t align = sizeof(void *) * 2;
	size = (size + align - 1) & ~(align - 1);
	if (size > a->left) {
		size_t bsize = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK;
		char *blk = arena_keep(a, xcalloc(1, bsize));
		if (size > ARENA_BLOCK / 4)
			return blk;   /* big: a block of its own, the current one stays */
		a->cur = blk;
		a->left = bsize;
	}
	void *p = a->cur;
	a->cur += size;
	a->left -= size;
	return p;
}

static char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);
	memcpy(p, s, len);
	return p;
}

/* an anchored node and what one alias to it expands to */
struct anchor {
	char *name;
	struct ynode *node;
	struct yexpand w;
};

struct yparser {
	yaml_parser_t p;
	const struct source *src;
	struct diag_list *dl;
	struct arena *arena;
	struct anchor *anchors;
	int nanchors, aanchors;
	int depth;
	uint64_t own;            /* nodes written in the text */
	struct yexpand total;    /* the document as its readers will see it, aliases expanded */
};

#define YAML_MAX_DEPTH 256

static struct srcloc mark_loc(const struct yparser *yp, yaml_mark_t m)
{
	struct srcloc l = { yp->src, (int)m.line + 1, (int)m.column + 1 };
	return l;
}

static struct ynode *node_new(struct yparser *yp, enum ynode_kind kind, yaml_mark_t m)
{
	struct ynode *n = arena_alloc(yp->arena, sizeof(*n));
	n->kind = kind;
	n->loc = mark_loc(yp, m);
	yp->own++;
	yp->total.nodes++;
	return n;
}

static void syntax_error(struct yparser *yp)
{
	struct srcloc l = mark_loc(yp, yp->p.problem_mark);
	const char *problem = yp->p.problem ? yp->p.problem : "invalid document";
	if (yp->p.error == YAML_MEMORY_ERROR) {
		diag_error(yp->dl, &l, "yaml: out of memory");
		return;
	}
	if (yp->p.context) {
		struct srcloc c = mark_loc(yp, yp->p.context_mark);
		diag_error(yp->dl, &l, "yaml syntax error: %s (%s at line %d)", problem,
			   yp->p.context, c.line);
	} else {
		diag_error(yp->dl, &l, "yaml syntax error: %s", problem);
	}
}

/* 0 ok, -1 syntax error (reported) */
static int next_event(struct yparser *yp, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&yp->p, ev)) {
		syntax_error(yp);
		return -1;
	}
	return 0;
}

/* w0: the totals before n was read; n expands to what was added since */
static void add_anchor(struct yparser *yp, const yaml_char_t *name, struct ynode *n,
		       const struct yexpand *w0)
{
	if (!name)
		return;
	/* a later anchor of the same name shadows the earlier one (YAML spec) */
	ALLOC_GROW(yp->anchors, yp->nanchors + 1, yp->aanchors);
	struct anchor *a = &yp->anchors[yp->nanchors++];
	a->name = arena_strndup(yp->arena, (const char *)name, strlen((const char *)name));
	a->node = n;
	a->w.nodes = yp->total.nodes - w0->nodes;
	a->w.bytes = yp->total.bytes - w0->bytes;
	a->w.aliases = yp->total.aliases - w0->aliases;
}

/* yexpand_add() with yp's own node count and source size */
static int expand_alias(struct yparser *yp, const struct anchor *a, yaml_mark_t m)
{
	char why[160];
	if (yexpand_add(&yp->total, &a->w, yp->own, yp->src->len, why, sizeof(why)) == 0)
		return 0;
	struct srcloc l = mark_loc(yp, m);
	diag_error(yp->dl, &l, "too many alias expansions: '*%s' %s", a->name, why);
	return -1;
}

static struct ynode *parse_node(struct yparser *yp, yaml_event_t *ev);

static int parse_seq(struct yparser *yp, struct ynode *n)
{
	int alloc = 0;
	for (;;) {
		yaml_event_t ev;
		if (next_event(yp, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		struct ynode *item = parse_node(yp, &ev);
		yaml_event_delete(&ev);
		if (!item)
			return -1;
		ALLOC_GROW(n->items, n->n + 1, alloc);
		n->items[n->n++] = item;
	}
}

static int parse_map(struct yparser *yp, struct ynode *n)
{
	int alloc = 0;
	for (;;) {
		yaml_event_t ev;
		if (next_event(yp, &ev) < 0)
			return -1;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		struct ynode *key = parse_node(yp, &ev);
		yaml_event_delete(&ev);
		if (!key)
			return -1;
		if (next_event(yp, &ev) < 0)
			return -1;
		struct ynode *val = parse_node(yp, &ev);
		yaml_event_delete(&ev);
		if (!val)
			return -1;
		if (key->kind != Y_SCALAR) {
			/* `<<` merge keys and complex keys are not part of the language */
			diag_error(yp->dl, &key->loc, "mapping keys must be plain strings, not a %s",
				   ynode_kind_name(key));
			continue;
		}
		if (!key->quoted && !strcmp(key->scalar, "<<")) {
			diag_error(yp->dl, &key->loc, "merge keys ('<<') are not supported");
			continue;
		}
		int dup = -1;
		for (int i = 0; i < n->n; i++)
			if (!strcmp(n->keys[i]->scalar, key->scalar)) {
				dup = i;
				break;
			}
		if (dup >= 0) {
			diag_error(yp->dl, &key->loc, "duplicate key '%s'", key->scalar);
			diag_note(yp->dl, &n->keys[dup]->loc, "'%s' first appears here", key->scalar);
			continue;
		}
		if (n->n + 1 > alloc) {
			ALLOC_GROW(n->keys, n->n + 1, alloc);
			n->vals = xrealloc(n->vals, (size_t)alloc * sizeof(*n->vals));
		}
		n->keys[n->n] = key;
		n->vals[n->n] = val;
		n->n++;
	}
}

/* build the node starting with ev (not consumed); NULL after a syntax error */
static struct ynode *parse_node(struct yparser *yp, yaml_event_t *ev)
{
	struct ynode *n = NULL;
	struct yexpand w0 = yp->total;
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		const char *text = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;
		n = node_new(yp, Y_SCALAR, ev->start_mark);
		n->scalar = arena_strndup(yp->arena, text, len);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (ev->data.scalar.tag && !strcmp((const char *)ev->data.scalar.tag, YAML_STR_TAG))
			n->quoted = 1;
		yp->total.bytes += len;
		/* a "\0" escape would cut every C string made of it short */
		if (memchr(text, '\0', len)) {
			diag_error(yp->dl, &n->loc, "a string holds a NUL character ('\\0'), "
				   "which is not allowed");
			return NULL;
		}
		add_anchor(yp, ev->data.scalar.anchor, n, &w0);
		return n;
	}
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		for (int i = yp->nanchors - 1; i >= 0; i--)
			if (!strcmp(yp->anchors[i].name, name))
				return expand_alias(yp, &yp->anchors[i], ev->start_mark) < 0 ?
					NULL : yp->anchors[i].node;
		struct srcloc l = mark_loc(yp, ev->start_mark);
		diag_error(yp->dl, &l, "unknown alias '*%s'", name);
		return NULL;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int seq = ev->type == YAML_SEQUENCE_START_EVENT;
		if (++yp->depth > YAML_MAX_DEPTH) {
			struct srcloc l = mark_loc(yp, ev->start_mark);
			diag_error(yp->dl, &l, "yaml: nesting deeper than %d levels", YAML_MAX_DEPTH);
			return NULL;
		}
		n = node_new(yp, seq ? Y_SEQ : Y_MAP, ev->start_mark);
		/* the anchor is known before the content: an alias inside refers to a node
		 * being built, which would make a cycle; register it after */
		int rc = seq ? parse_seq(yp, n) : parse_map(yp, n);
		if (n->items) arena_keep(yp->arena, n->items);
		if (n->keys) arena_keep(yp->arena, n->keys);
		if (n->vals) arena_keep(yp->arena, n->vals);
		yp->depth--;
		if (rc < 0)
			return NULL;
		add_anchor(yp, seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor, n,
			   &w0);
		return n;
	}
	default: {
		struct srcloc l = mark_loc(yp, ev->start_mark);
		diag_error(yp->dl, &l, "yaml: unexpected event %d", (int)ev->type);
		return NULL;
	}
	}
}

/* length of the UTF-8 sequence at p (at most n bytes), 0 if it is not one */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t c;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		len = 2, c = p[0] & 0x1F;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		len = 3, c = p[0] & 0x0F;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3F);
	}
	/* overlong forms, surrogates and past U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	return len;
}

int ydoc_check_text(const struct source *src, struct srcloc *bad, const char **why)
{
	const unsigned char *p = (const unsigned char *)src->text;
	size_t i = 0;
	int line = 1, col = 1;
	while (i < src->len) {
		size_t l = p[i] ? utf8_len(p + i, src->len - i) : 0;
		if (!l) {
			bad->src = src;
			bad->line = line;
			bad->col = col;
			*why = p[i] ? "is not UTF-8 text" : "holds a NUL byte (binary data)";
			return -1;
		}
		if (p[i] == '\n')
			line++, col = 1;
		else
			col++;
		i += l;
	}
	return 0;
}

int ydoc_parse(struct ydoc *doc, const struct source *src, struct diag_list *dl)
{
	struct yparser yp = { .src = src, .dl = dl };
	struct arena *a = xcalloc(1, sizeof(*a));
	int nerr0 = dl->nerrors, rc = -1;
	yaml_event_t ev;

	doc->root = NULL;
	doc->arena = a;
	yp.arena = a;
	if (!yaml_parser_initialize(&yp.p))
		BUG("yaml_parser_initialize");
	/* libyaml reports bad bytes at offset 0: find them first, with their place */
	struct srcloc bad;
	const char *why;
	if (ydoc_check_text(src, &bad, &why) < 0) {
		diag_error(dl, &bad, "the file %s", why);
		goto out;
	}
	yaml_parser_set_input_string(&yp.p, (const unsigned char *)src->text, src->len);

	if (next_event(&yp, &ev) < 0)   /* STREAM_START */
		goto out;
	yaml_event_delete(&ev);
	if (next_event(&yp, &ev) < 0)
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		rc = 0;  /* empty file */
		goto out;
	}
	yaml_event_delete(&ev);          /* DOCUMENT_START */
	if (next_event(&yp, &ev) < 0)
		goto out;
	doc->root = parse_node(&yp, &ev);
	yaml_event_delete(&ev);
	if (!doc->root)
		goto out;
	if (next_event(&yp, &ev) < 0)    /* DOCUMENT_END */
		goto out;
	yaml_event_delete(&ev);
	if (next_event(&yp, &ev) < 0)
		goto out;
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		struct srcloc l = mark_loc(&yp, ev.start_mark);
		diag_error(dl, &l, "a runbook file holds one yaml document, found a second one");
	}
	yaml_event_delete(&ev);
	rc = dl->nerrors > nerr0 ? -1 : 0;
out:
	yaml_parser_delete(&yp.p);
	free(yp.anchors);
	if (rc < 0 && dl->nerrors == nerr0)
		diag_error(dl, NULL, "%s: cannot parse yaml", src->path);
	return rc;
}

void ydoc_free(struct ydoc *doc)
{
	struct arena *a = doc->arena;
	if (a) {
		for (int i = 0; i < a->n; i++)
			free(a->ptrs[i]);
		free(a->ptrs);
		free(a);
	}
	doc->arena = NULL;
	doc->root = NULL;
}

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != Y_MAP)
		return NULL;
	for (int i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i]->scalar, key))
			return map->vals[i];
	return NULL;
}

jv ynode_to_jv(const struct ynode *n)
{
	if (!n)
		return jv_null();
	switch (n->kind) {
	case Y_SCALAR:
		return yamljv_scalar(n->scalar, strlen(n->scalar), !n->quoted);
	case Y_SEQ: {
		jv a = jv_array();
		for (int i = 0; i < n->n; i++)
			a = jv_array_append(a, ynode_to_jv(n->items[i]));
		return a;
	}
	case Y_MAP: {
		jv o = jv_object();
		for (int i = 0; i < n->n; i++)
			o = jv_object_set(o, jv_string(n->keys[i]->scalar), ynode_to_jv(n->vals[i]));
		return o;
	}
	}
	BUG("ynode kind");
}

const char *ynode_kind_name(const struct ynode *n)
{
	if (!n)
		return "null";
	switch (n->kind) {
	case Y_SEQ:
		return "list";
	case Y_MAP:
		return "map";
	case Y_SCALAR:
		break;
	}
	jv v = yamljv_scalar(n->scalar, strlen(n->scalar), !n->quoted);
	jv_kind k = jv_get_kind(v);
	jv_free(v);
	return k == JV_KIND_NULL ? "null" : k == JV_KIND_TRUE || k == JV_KIND_FALSE ? "bool" :
	       k == JV_KIND_NUMBER ? "number" : "string";
}
