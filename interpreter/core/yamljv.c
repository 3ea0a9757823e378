/* yamljv.c — YAML text to jv (see yamljv.h) */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "yamljv.h"

static int is_null(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int bool_value(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

/* YAML 1.2 core schema numbers; 1 and *d set if s is one */
static int number_value(const char *s, double *d, int *integral)
{
	const char *p = s;
	char *end;
	*integral = 0;
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") || !strcmp(s, "+.inf")) {
		*d = INFINITY;
		return 1;
	}
	if (!strcmp(s, "-.inf") || !strcmp(s, "-.Inf") || !strcmp(s, "-.INF")) {
		*d = -INFINITY;
		return 1;
	}
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		*d = NAN;
		return 1;
	}
	if (!strncmp(s, "0x", 2) || !strncmp(s, "0o", 2)) {
		int base = s[1] == 'x' ? 16 : 8;
		if (!s[2])
			return 0;
		errno = 0;
		unsigned long long v = strtoull(s + 2, &end, base);
		if (*end || errno)
			return 0;
		*d = (double)v;
		*integral = 1;
		return 1;
	}
	if (*p == '+' || *p == '-')
		p++;
	int digits = 0, dot = 0, exp = 0;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.' && !dot && !exp)
			dot = 1;
		else if ((*p == 'e' || *p == 'E') && digits && !exp) {
			exp = 1;
			if (p[1] == '+' || p[1] == '-')
				p++;
			if (!p[1])
				return 0;
		} else
			return 0;
	}
	if (!digits)
		return 0;
	errno = 0;
	*d = strtod(s, &end);
	if (*end)
		return 0;
	*integral = !dot && !exp;
	return 1;
}

jv yamljv_scalar(const char *s, size_t len, int plain)
{
	if (!plain)
		return jv_string_sized(s, (int)len);
	if (is_null(s))
		return jv_null();
	int b = bool_value(s);
	if (b >= 0)
		return jv_bool(b);
	double d;
	int integral;
	if (number_value(s, &d, &integral)) {
		/* integers past 2^53 would lose digits as doubles: keep their text */
		if (integral && fabs(d) >= 9007199254740992.0)
			return jv_string_sized(s, (int)len);
		return jv_number(d);
	}
	return jv_string_sized(s, (int)len);
}

static jv scalar(const yaml_event_t *e)
{
	return yamljv_scalar((const char *)e->data.scalar.value, e->data.scalar.length,
			     e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
}

int yexpand_add(struct yexpand *total, const struct yexpand *w, uint64_t own, size_t len,
		char *why, size_t whysize)
{
	uint64_t max_nodes = YAML_EXPAND_NODES + YAML_EXPAND_NODES_X * own;
	uint64_t max_bytes = YAML_EXPAND_BYTES + YAML_EXPAND_BYTES_X * (uint64_t)len;
	total->aliases += 1 + w->aliases;
	total->nodes += w->nodes;
	total->bytes += w->bytes;
	if (total->aliases > YAML_MAX_ALIASES)
		snprintf(why, whysize, "would make more than %d of them (nested ones counted)",
			 YAML_MAX_ALIASES);
	else if (total->nodes > max_nodes)
		snprintf(why, whysize, "would expand the document past %" PRIu64 " nodes", max_nodes);
	else if (total->bytes > max_bytes)
		snprintf(why, whysize, "would expand the document past %" PRIu64 " bytes of text",
			 max_bytes);
	else
		return 0;
	return -1;
}

struct anchor { char *name; jv v; struct yexpand w; };

struct ctx {
	yaml_parser_t p;
	struct anchor *anchors;
	int n, alloc;
	int failed;
	size_t len;              /* of the text */
	uint64_t own;            /* nodes written */
	struct yexpand total;    /* aliases expanded */
	char *bomb;              /* "LINE:COL: too many alias expansions ..." (or too deep) */
	int depth;
};

#define YAMLJV_MAX_DEPTH 256

/* fail with "LINE:COL: MESSAGE" at mark m */
static void fail_at(struct ctx *c, yaml_mark_t m, const char *msg)
{
	size_t n = strlen(msg) + 48;
	c->bomb = malloc(n);
	if (!c->bomb)
		abort();
	snprintf(c->bomb, n, "%d:%d: %s", (int)m.line + 1, (int)m.column + 1, msg);
	c->failed = 1;
}

static jv node(struct ctx *c, yaml_event_t *e);

/* w0: the totals before v was read */
static void remember(struct ctx *c, const yaml_char_t *name, jv v, const struct yexpand *w0)
{
	if (!name)
		return;
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 8;
		c->anchors = realloc(c->anchors, sizeof(*c->anchors) * (size_t)c->alloc);
		if (!c->anchors)
			abort();
	}
	c->anchors[c->n].name = strdup((const char *)name);
	c->anchors[c->n].v = jv_copy(v);
	c->anchors[c->n].w.nodes = c->total.nodes - w0->nodes;
	c->anchors[c->n].w.bytes = c->total.bytes - w0->bytes;
	c->anchors[c->n].w.aliases = c->total.aliases - w0->aliases;
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

static jv node(struct ctx *c, yaml_event_t *e)
{
	jv v;
	yaml_event_t ev;
	struct yexpand w0 = c->total;
	if (e->type == YAML_SCALAR_EVENT || e->type == YAML_SEQUENCE_START_EVENT ||
	    e->type == YAML_MAPPING_START_EVENT) {
		c->own++;
		c->total.nodes++;
	}
	if ((e->type == YAML_SEQUENCE_START_EVENT || e->type == YAML_MAPPING_START_EVENT) &&
	    c->depth >= YAMLJV_MAX_DEPTH) {
		char msg[64];
		snprintf(msg, sizeof(msg), "nesting deeper than %d levels", YAMLJV_MAX_DEPTH);
		fail_at(c, e->start_mark, msg);
		return jv_null();
	}
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		v = scalar(e);
		c->total.bytes += e->data.scalar.length;
		remember(c, e->data.scalar.anchor, v, &w0);
		return v;
	case YAML_ALIAS_EVENT:
		for (int i = c->n - 1; i >= 0; i--) {
			char why[160];
			if (strcmp(c->anchors[i].name, (const char *)e->data.alias.anchor))
				continue;
			if (yexpand_add(&c->total, &c->anchors[i].w, c->own, c->len, why, sizeof(why)) < 0) {
				char msg[400];
				snprintf(msg, sizeof(msg), "too many alias expansions: '*%.100s' %s",
					 c->anchors[i].name, why);
				fail_at(c, e->start_mark, msg);
				return jv_null();
			}
			return jv_copy(c->anchors[i].v);
		}
		return jv_null();
	case YAML_SEQUENCE_START_EVENT: {
		const yaml_char_t *anchor = e->data.sequence_start.anchor;
		v = jv_array();
		c->depth++;
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
		c->depth--;
		remember(c, anchor, v, &w0);
		return v;
	}
	case YAML_MAPPING_START_EVENT: {
		const yaml_char_t *anchor = e->data.mapping_start.anchor;
		v = jv_object();
		c->depth++;
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
		c->depth--;
		remember(c, anchor, v, &w0);
		return v;
	}
	default:
		return jv_null();
	}
}

jv yamljv_parse(const char *text, size_t len, int multi)
{
	struct ctx c = { .len = len };
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
	if (c.bomb) {
		out = jv_invalid_with_msg(jv_string(c.bomb));
		jv_free(docs);
	} else if (c.failed) {
		out = jv_invalid_with_msg(jv_string_fmt("%d:%d: %s", (int)c.p.problem_mark.line + 1,
							(int)c.p.problem_mark.column + 1,
							c.p.problem ? c.p.problem : "invalid YAML"));
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
	free(c.bomb);
	yaml_parser_delete(&c.p);
	return out;
}
