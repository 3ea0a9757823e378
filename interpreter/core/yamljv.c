/* yamljv.c — YAML text to jv (see yamljv.h) */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "bug.h"
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

/* one YAML scalar event as a jv: quoted or tagged !!str is text (as in lang/yaml.c) */
static jv scalar(const yaml_event_t *e)
{
	const char *tag = (const char *)e->data.scalar.tag;
	int plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !(tag && !strcmp(tag, YAML_STR_TAG));
	return yamljv_scalar((const char *)e->data.scalar.value, e->data.scalar.length, plain);
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

/* an anchored value (text: a scalar's own text, for an alias used as a key), and what
 * one alias to it expands to */
struct anchor {
	char *name;
	jv v, text;
	struct yexpand w;
	long values;
};

struct ctx {
	yaml_parser_t p;
	struct anchor *anchors;
	int n, alloc;
	size_t len;              /* of the text */
	uint64_t own;            /* nodes written */
	struct yexpand total;    /* aliases expanded */
	long values;             /* values made, aliases expanded, keys not counted */
	int depth, max_depth;
	/* the error that stops the reading: at, msg; syntax: libyaml's own (or an
	 * undefined alias), which marks mode prefixes with "invalid YAML: " */
	int failed, syntax;
	yaml_mark_t at;
	char msg[512];
	/* marks mode (yamljv_load) */
	const struct source *src;
	const struct yamljv_limits *lim;
	struct diag_list soft;   /* key errors: reported if the document reads through */
};

static void fail(struct ctx *c, yaml_mark_t m, int syntax, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct ctx *c, yaml_mark_t m, int syntax, const char *fmt, ...)
{
	va_list ap;
	if (c->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	c->at = m;
	c->syntax = syntax;
	c->failed = 1;
}

/* an error about one key: in marks mode it does not stop the reading */
static void key_error(struct ctx *c, yaml_mark_t m, const char *msg)
{
	if (c->src) {
		struct srcloc l = { c->src, (int)m.line + 1, (int)m.column + 1 };
		diag_error(&c->soft, &l, "%s", msg);
	} else {
		fail(c, m, 0, "%s", msg);
	}
}

static jv node(struct ctx *c, yaml_event_t *e, int key);

/* w0, v0: the totals before v was read; text: see struct anchor (consumed) */
static void remember(struct ctx *c, const yaml_char_t *name, jv v, jv text,
		     const struct yexpand *w0, long v0)
{
	if (!name) {
		jv_free(text);
		return;
	}
	/* a later anchor of the same name shadows the earlier one (YAML spec) */
	ALLOC_GROW(c->anchors, c->n + 1, c->alloc);
	struct anchor *a = &c->anchors[c->n++];
	a->name = xstrdup((const char *)name);
	a->v = jv_copy(v);
	a->text = text;
	a->w.nodes = c->total.nodes - w0->nodes;
	a->w.bytes = c->total.bytes - w0->bytes;
	a->w.aliases = c->total.aliases - w0->aliases;
	a->values = c->values - v0;
}

static int next(struct ctx *c, yaml_event_t *e)
{
	if (!yaml_parser_parse(&c->p, e)) {
		fail(c, c->p.problem_mark, 1, "%s", c->p.problem ? c->p.problem : "invalid YAML");
		return -1;
	}
	return 0;
}

/* one more value (not a key): the marks mode's cap */
static void count_value(struct ctx *c, long n, yaml_mark_t m)
{
	c->values += n;
	if (c->lim && c->lim->max_values && c->values > c->lim->max_values)
		fail(c, m, 0, "%s expands to more than %ld values (YAML aliases?)", c->lim->what,
		     c->lim->max_values);
}

static jv alias(struct ctx *c, yaml_event_t *e, int key)
{
	for (int i = c->n - 1; i >= 0; i--) {
		struct anchor *a = &c->anchors[i];
		char why[160];
		if (strcmp(a->name, (const char *)e->data.alias.anchor))
			continue;
		if (yexpand_add(&c->total, &a->w, c->own, c->len, why, sizeof(why)) < 0) {
			fail(c, e->start_mark, 0, "too many alias expansions: '*%.100s' %s", a->name, why);
			return jv_null();
		}
		if (key)
			return jv_get_kind(a->text) == JV_KIND_STRING ? jv_copy(a->text) : jv_copy(a->v);
		count_value(c, a->values, e->start_mark);
		return jv_copy(a->v);
	}
	fail(c, e->start_mark, 1, "found undefined alias");
	return jv_null();
}

static jv seq(struct ctx *c)
{
	jv v = jv_array();
	yaml_event_t ev;
	while (!c->failed && next(c, &ev) == 0) {
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		v = jv_array_append(v, node(c, &ev, 0));
		yaml_event_delete(&ev);
	}
	return v;
}

/* Keys are their text. Marks mode: the map carries "__line", "__col" (set by node())
 * and "__loc" {key: [key line, key col, value line, value col]}, and a key written
 * twice is an error (the last value stays, so that later checks still run). */
static jv map(struct ctx *c, jv v)
{
	jv loc = jv_object(), seen = jv_object();
	yaml_event_t ev;
	while (!c->failed && next(c, &ev) == 0) {
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_mark_t km = ev.start_mark;
		jv key = node(c, &ev, 1);
		yaml_event_delete(&ev);
		if (c->failed || next(c, &ev) < 0) {
			jv_free(key);
			break;
		}
		yaml_mark_t vm = ev.start_mark;
		jv val = node(c, &ev, 0);
		yaml_event_delete(&ev);
		if (c->failed) {
			jv_free(key);
			jv_free(val);
			break;
		}
		if (jv_get_kind(key) != JV_KIND_STRING) {
			/* a complex key (? [a, b]), or an alias to a list or map */
			key_error(c, km, jv_get_kind(key) == JV_KIND_ARRAY ?
				  "mapping keys must be plain strings, not a list" :
				  "mapping keys must be plain strings, not a map");
			jv_free(key);
			jv_free(val);
			continue;
		}
		if (jv_object_has(jv_copy(seen), jv_copy(key))) {
			char msg[300];
			snprintf(msg, sizeof(msg), "duplicate key '%.256s'", jv_string_value(key));
			key_error(c, km, msg);
		}
		seen = jv_object_set(seen, jv_copy(key), jv_true());
		if (c->src)
			loc = jv_object_set(loc, jv_copy(key),
					    JV_ARRAY(jv_number(km.line + 1), jv_number(km.column + 1),
						     jv_number(vm.line + 1), jv_number(vm.column + 1)));
		v = jv_object_set(v, key, val);
	}
	jv_free(seen);
	if (c->src)
		return jv_object_set(v, jv_string("__loc"), loc);
	jv_free(loc);
	return v;
}

static jv node(struct ctx *c, yaml_event_t *e, int key)
{
	jv v;
	struct yexpand w0 = c->total;
	long v0 = c->values;
	const yaml_char_t *anchor;
	if (e->type == YAML_ALIAS_EVENT)
		return alias(c, e, key);
	if (e->type != YAML_SCALAR_EVENT && e->type != YAML_SEQUENCE_START_EVENT &&
	    e->type != YAML_MAPPING_START_EVENT)
		return jv_null();
	c->own++;
	c->total.nodes++;
	if (!key)
		count_value(c, 1, e->start_mark);
	if (e->type == YAML_SCALAR_EVENT) {
		const char *s = (const char *)e->data.scalar.value;
		int n = (int)e->data.scalar.length;
		v = key ? jv_string_sized(s, n) : scalar(e);   /* a key is its text */
		c->total.bytes += (uint64_t)n;
		remember(c, e->data.scalar.anchor, v, e->data.scalar.anchor ? jv_string_sized(s, n) : jv_null(),
			 &w0, v0);
		return v;
	}
	if (c->depth >= c->max_depth) {
		if (c->lim)
			fail(c, e->start_mark, 0, "%s nests deeper than %d levels", c->lim->what, c->max_depth);
		else
			fail(c, e->start_mark, 0, "nesting deeper than %d levels", c->max_depth);
	}
	if (c->failed)
		return jv_null();
	c->depth++;
	if (e->type == YAML_SEQUENCE_START_EVENT) {
		anchor = e->data.sequence_start.anchor;
		v = seq(c);
	} else {
		anchor = e->data.mapping_start.anchor;
		v = jv_object();
		if (c->src)
			v = jv_object_set(jv_object_set(v, jv_string("__line"), jv_number(e->start_mark.line + 1)),
					  jv_string("__col"), jv_number(e->start_mark.column + 1));
		v = map(c, v);
	}
	c->depth--;
	/* registered when complete: an alias inside it is undefined (no cycles) */
	remember(c, anchor, v, jv_null(), &w0, v0);
	return v;
}

/* the next document of the stream into *doc (jv_null() if empty); 1 read, 0 at the
 * end of the stream, -1 failed. *start: where the document's content begins. */
static int document(struct ctx *c, jv *doc, yaml_mark_t *start)
{
	yaml_event_t ev;
	for (;;) {
		if (next(c, &ev) < 0)
			return -1;
		yaml_event_type_t t = ev.type;
		yaml_event_delete(&ev);
		/* after the end libyaml gives YAML_NO_EVENT forever */
		if (t == YAML_STREAM_END_EVENT || t == YAML_NO_EVENT)
			return 0;
		if (t == YAML_DOCUMENT_START_EVENT)
			break;
	}
	if (next(c, &ev) < 0)
		return -1;
	*start = ev.start_mark;
	*doc = ev.type == YAML_DOCUMENT_END_EVENT ? jv_null() : node(c, &ev, 0);
	yaml_event_delete(&ev);
	if (c->failed) {
		jv_free(*doc);
		*doc = jv_invalid();
		return -1;
	}
	return 1;
}

static void ctx_init(struct ctx *c, const char *text, size_t len, int max_depth)
{
	memset(c, 0, sizeof(*c));
	c->len = len;
	c->max_depth = max_depth;
	if (!yaml_parser_initialize(&c->p))
		BUG("yaml_parser_initialize");
	yaml_parser_set_input_string(&c->p, (const unsigned char *)text, len);
}

static void ctx_release(struct ctx *c)
{
	for (int i = 0; i < c->n; i++) {
		free(c->anchors[i].name);
		jv_free(c->anchors[i].v);
		jv_free(c->anchors[i].text);
	}
	free(c->anchors);
	diag_list_release(&c->soft);
	yaml_parser_delete(&c->p);
}

jv yamljv_parse(const char *text, size_t len, int multi)
{
	struct ctx c;
	jv docs = jv_array(), d, out;
	yaml_mark_t start;
	ctx_init(&c, text, len, YAMLJV_MAX_DEPTH);
	while (document(&c, &d, &start) > 0) {
		if (jv_get_kind(d) != JV_KIND_NULL)
			docs = jv_array_append(docs, d);
		else
			jv_free(d);
	}
	if (c.failed) {
		out = jv_invalid_with_msg(jv_string_fmt("%d:%d: %s", (int)c.at.line + 1,
							(int)c.at.column + 1, c.msg));
		jv_free(docs);
	} else if (multi) {
		out = docs;
	} else {
		out = jv_array_length(jv_copy(docs)) ? jv_array_get(jv_copy(docs), 0) : jv_null();
		jv_free(docs);
	}
	ctx_release(&c);
	return out;
}

int yamljv_load(const struct source *src, const struct yamljv_limits *lim, jv *out,
		struct diag_list *dl)
{
	struct ctx c;
	jv more = jv_invalid();
	yaml_mark_t start;
	int rc = -1;
	ctx_init(&c, src->text, src->len, lim->max_depth);
	c.src = src;
	c.lim = lim;
	*out = jv_null();
	if (document(&c, out, &start) < 0)
		goto out;
	/* one document: a second one would be ignored without a word */
	int second = document(&c, &more, &start);
	if (second > 0) {
		struct srcloc l = { src, (int)start.line + 1, (int)start.column + 1 };
		diag_error(dl, &l, "%s is one YAML document: a second one starts here", lim->what);
		goto out;
	}
	if (second < 0)
		goto out;
	rc = c.soft.nerrors ? -1 : 0;
	diag_list_take(dl, &c.soft);
	ctx_release(&c);
	return rc;
out:
	jv_free(more);
	if (c.failed) {
		struct srcloc l = { src, (int)c.at.line + 1, (int)c.at.column + 1 };
		diag_error(dl, &l, "%s%s", c.syntax ? "invalid YAML: " : "", c.msg);
	}
	jv_free(*out);
	*out = jv_invalid();
	ctx_release(&c);
	return rc;
}

jv yamljv_strip_marks(jv v)
{
	jv_kind k = jv_get_kind(v);
	if (k == JV_KIND_ARRAY) {
		jv out = jv_array();
		jv_array_foreach(v, i, x)
			out = jv_array_append(out, yamljv_strip_marks(x));
		jv_free(v);
		return out;
	}
	if (k != JV_KIND_OBJECT)
		return v;
	jv out = jv_object();
	jv_object_foreach(v, key, x) {
		const char *s = jv_string_value(key);
		if (!strcmp(s, "__line") || !strcmp(s, "__col") || !strcmp(s, "__loc")) {
			jv_free(key);
			jv_free(x);
		} else {
			out = jv_object_set(out, key, yamljv_strip_marks(x));
		}
	}
	jv_free(v);
	return out;
}
