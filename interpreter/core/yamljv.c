/* yamljv.c — YAML text to jv (see yamljv.h) */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "yamljv.h"

/* core schema typing of a plain scalar */
static jv scalar(const yaml_event_t *e)
{
	const char *s = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return jv_string_sized(s, (int)n);
	if (n == 0 || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return jv_null();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return jv_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return jv_false();
	char *end;
	double d = strtod(s, &end);
	if (*end == '\0' && end != s && (s[0] == '-' || s[0] == '+' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9')) &&
	    strncmp(s, "0x", 2) && !strchr(s, '_'))
		return jv_number(d);
	return jv_string_sized(s, (int)n);
}

/* Aliases share the anchored jv, but whoever walks or prints the result pays for every
 * copy: a billion-laughs file of 1 KB stands for 10^9 nodes. Count nodes as expanded
 * (an alias counts what its anchor holds) and refuse past this many. */
#define YAMLJV_MAX_NODES 1000000

struct anchor { char *name; jv v; long size; };

struct ctx {
	yaml_parser_t p;
	struct anchor *anchors;
	int n, alloc;
	int failed;
	long nodes;              /* expanded so far */
	const char *problem;     /* our own error (else the parser's) */
	yaml_mark_t mark;
};

static jv node(struct ctx *c, yaml_event_t *e);

static void remember(struct ctx *c, const yaml_char_t *name, jv v, long size)
{
	if (!name)
		return;
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 8;
		c->anchors = realloc(c->anchors, sizeof(*c->anchors) * (size_t)c->alloc);
	}
	c->anchors[c->n].name = strdup((const char *)name);
	c->anchors[c->n].v = jv_copy(v);
	c->anchors[c->n].size = size;
	c->n++;
}

static int next(struct ctx *c, yaml_event_t *e)
{
	if (!yaml_parser_parse(&c->p, e)) {
		c->failed = 1;
		return -1;
	}
	return 0;
}

/* add n expanded nodes; -1 (and c->failed) past the cap */
static int count(struct ctx *c, long n, const yaml_event_t *e)
{
	c->nodes += n;
	if (c->nodes <= YAMLJV_MAX_NODES)
		return 0;
	if (!c->failed) {
		c->failed = 1;
		c->problem = "aliases expand to more than 1000000 nodes";
		c->mark = e->start_mark;
	}
	return -1;
}

static jv node(struct ctx *c, yaml_event_t *e)
{
	jv v;
	yaml_event_t ev;
	long start = c->nodes;
	if (count(c, 1, e) < 0)
		return jv_null();
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		v = scalar(e);
		remember(c, e->data.scalar.anchor, v, 1);
		return v;
	case YAML_ALIAS_EVENT:
		for (int i = c->n - 1; i >= 0; i--)
			if (!strcmp(c->anchors[i].name, (const char *)e->data.alias.anchor))
				return count(c, c->anchors[i].size - 1, e) < 0 ? jv_null() : jv_copy(c->anchors[i].v);
		return jv_null();
	case YAML_SEQUENCE_START_EVENT: {
		const yaml_char_t *anchor = e->data.sequence_start.anchor;
		v = jv_array();
		for (;;) {
			if (next(c, &ev) < 0)
				break;
			if (ev.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&ev);
				break;
			}
			v = jv_array_append(v, node(c, &ev));
			yaml_event_delete(&ev);
			if (c->failed)
				break;
		}
		remember(c, anchor, v, c->nodes - start);
		return v;
	}
	case YAML_MAPPING_START_EVENT: {
		const yaml_char_t *anchor = e->data.mapping_start.anchor;
		v = jv_object();
		for (;;) {
			if (next(c, &ev) < 0)
				break;
			if (ev.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&ev);
				break;
			}
			jv key = node(c, &ev);
			yaml_event_delete(&ev);
			if (c->failed || next(c, &ev) < 0) {
				jv_free(key);
				break;
			}
			jv val = node(c, &ev);
			yaml_event_delete(&ev);
			if (jv_get_kind(key) != JV_KIND_STRING) {
				jv s = jv_dump_string(key, 0);
				key = s;
			}
			v = jv_object_set(v, key, val);
			if (c->failed)
				break;
		}
		remember(c, anchor, v, c->nodes - start);
		return v;
	}
	default:
		return jv_null();
	}
}

jv yamljv_parse(const char *text, size_t len, int multi)
{
	struct ctx c = { 0 };
	yaml_event_t ev;
	jv docs = jv_array();
	yaml_parser_initialize(&c.p);
	yaml_parser_set_input_string(&c.p, (const unsigned char *)text, len);
	for (;;) {
		if (next(&c, &ev) < 0)
			break;
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (t == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			if (next(&c, &ev) < 0)
				break;
			if (ev.type == YAML_DOCUMENT_END_EVENT) {
				yaml_event_delete(&ev);
				continue;
			}
			jv d = node(&c, &ev);
			yaml_event_delete(&ev);
			if (c.failed) {
				jv_free(d);
				break;
			}
			if (jv_get_kind(d) != JV_KIND_NULL)
				docs = jv_array_append(docs, d);
			else
				jv_free(d);
			continue;
		}
		yaml_event_delete(&ev);
	}
	jv out;
	if (c.failed) {
		yaml_mark_t m = c.problem ? c.mark : c.p.problem_mark;
		out = jv_invalid_with_msg(jv_string_fmt("%d:%d: %s", (int)m.line + 1, (int)m.column + 1,
							c.problem ? c.problem : c.p.problem ? c.p.problem : "invalid YAML"));
		jv_free(docs);
	} else if (multi) {
		out = docs;
	} else {
		out = jv_array_length(jv_copy(docs)) ? jv_array_get(jv_copy(docs), 0) : jv_null();
		jv_free(docs);
	}
	for (int i = 0; i < c.n; i++) {
		free(c.anchors[i].name);
		jv_free(c.anchors[i].v);
	}
	free(c.anchors);
	yaml_parser_delete(&c.p);
	return out;
}
