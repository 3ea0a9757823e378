/* refs.c — the context paths a jq expression reads (see refs.h).
 *
 * Hand-written because libjq 1.6 exposes no syntax tree: jq_compile() goes straight from
 * its parser to bytecode, and the bytecode has lost which `.` was the program's input.
 * So this is a small lexer of jq's tokens (strings with escapes and `\( )`, comments,
 * numbers, `.a`, `."a"`, `.["a"]`, `.[0]`, `.[]`, `?`) with a stack of groups, each
 * knowing whether `.` there still is the program's input. It is conservative: when in
 * doubt a group is marked "not the input" and its paths are not listed, because a path
 * listed by mistake would be a false error on a valid runbook. Expressions are checked
 * by jq's own parser before this runs; on anything it does not understand it stops.
 */
#include <stdlib.h>
#include <string.h>
#include "refs.h"
#include "../core/bug.h"

struct frame {
	char close;              /* ')' ']' '}' */
	int input;               /* `.` here is the program's input */
	int interp;              /* a `\(` of a string: resume the string at its ')' */
};

struct lexer {
	const char *t;
	size_t i;
	struct frame *st;
	int n, alloc;
	int term;                /* the last token ends a term (a `.x` after it is a postfix) */
	struct ref_path *out;
	int nout, aout;
};

static int id_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int id_char(char c)
{
	return id_start(c) || (c >= '0' && c <= '9');
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

static void push(struct lexer *lx, char close, int input, int interp)
{
	ALLOC_GROW(lx->st, lx->n + 1, lx->alloc);
	lx->st[lx->n++] = (struct frame){ close, input, interp };
	lx->term = 0;
}

/* a string literal at t[i] == '"' without interpolation: its unescaped text and the
 * index after the closing quote, or NULL (interpolated, unterminated, \u escapes) */
static char *plain_string(const char *t, size_t i, size_t *end)
{
	size_t j = i + 1, n = 0;
	char *s = xmalloc(strlen(t + i) + 1);
	for (; t[j] && t[j] != '"'; j++) {
		if (t[j] == '\\') {
			char c = t[j + 1];
			const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
			const char *k = c ? strchr(from, c) : NULL;
			if (!k)
				goto bad;     /* \( or \u: not a static name */
			s[n++] = to[k - from];
			j++;
			continue;
		}
		s[n++] = t[j];
	}
	if (t[j] != '"')
		goto bad;
	s[n] = 0;
	*end = j + 1;
	return s;
bad:
	free(s);
	return NULL;
}

static void add_comp(struct ref_path *p, enum ref_comp_kind k, char *name, size_t off)
{
	p->c = xrealloc(p->c, (size_t)(p->n + 1) * sizeof(*p->c));
	p->c[p->n++] = (struct ref_comp){ k, name, (int)off };
}

/* `[...]` of a path at t[i] == '[': a component, or 0 when it is not static */
static int bracket(const char *t, size_t i, struct ref_path *p, size_t *end)
{
	size_t j = i + 1;
	while (t[j] == ' ')
		j++;
	if (t[j] == ']') {
		add_comp(p, REF_ITER, NULL, i);
		*end = j + 1;
		return 1;
	}
	if (t[j] == '"') {
		size_t k;
		char *s = plain_string(t, j, &k);
		if (!s)
			return 0;
		while (t[k] == ' ')
			k++;
		if (t[k] != ']') {
			free(s);
			return 0;
		}
		add_comp(p, REF_FIELD, s, j + 1);
		*end = k + 1;
		return 1;
	}
	if (digit(t[j])) {
		size_t k = j, d;
		while (digit(t[k]))
			k++;
		d = k;
		while (t[k] == ' ')
			k++;
		if (t[k] != ']')
			return 0;
		add_comp(p, REF_INDEX, xstrndup(t + j, d - j), i);
		*end = k + 1;
		return 1;
	}
	return 0;
}

static void path_clear(struct ref_path *p)
{
	for (int k = 0; k < p->n; k++)
		free(p->c[k].name);
	free(p->c);
}

/* a path starting at t[i] == '.'; returns the index after it */
static size_t path(struct lexer *lx, size_t i, int record)
{
	const char *t = lx->t;
	struct ref_path p = { (int)i, NULL, 0, 0 };
	size_t j = i;
	for (;;) {
		size_t e;
		if (t[j] == '.' && id_start(t[j + 1])) {
			size_t k = j + 1;
			while (id_char(t[k]))
				k++;
			add_comp(&p, REF_FIELD, xstrndup(t + j + 1, k - j - 1), j + 1);
			j = k;
		} else if (t[j] == '.' && t[j + 1] == '"') {
			char *s = plain_string(t, j + 1, &e);
			if (!s) {
				p.dynamic = 1;
				j++;             /* the string is lexed by the caller */
				break;
			}
			add_comp(&p, REF_FIELD, s, j + 2);
			j = e;
		} else if (t[j] == '.' && t[j + 1] == '[' && bracket(t, j + 1, &p, &e)) {
			j = e;
		} else if (t[j] == '[' && p.n && bracket(t, j, &p, &e)) {
			j = e;
		} else if (t[j] == '?' && p.n) {
			j++;
		} else {
			if (t[j] == '[' || (t[j] == '.' && (t[j + 1] == '[' || t[j + 1] == '.')))
				p.dynamic = 1;
			if (t[j] == '.' && j == i)
				j++;             /* a bare `.` */
			break;
		}
	}
	if (record && p.n) {
		ALLOC_GROW(lx->out, lx->nout + 1, lx->aout);
		lx->out[lx->nout++] = p;
	} else {
		path_clear(&p);
	}
	lx->term = 1;
	return j;
}

/* the rest of a string from t[i] (inside the quotes): returns the index after it, or
 * after a `\(` (a frame is pushed), or 0 if unterminated */
static size_t string_rest(struct lexer *lx, size_t i)
{
	const char *t = lx->t;
	for (; t[i]; i++) {
		if (t[i] == '\\' && t[i + 1] == '(') {
			push(lx, ')', lx->n ? lx->st[lx->n - 1].input : 0, 1);
			return i + 2;
		}
		if (t[i] == '\\' && t[i + 1]) {
			i++;
			continue;
		}
		if (t[i] == '"') {
			lx->term = 1;
			return i + 1;
		}
	}
	return 0;
}

static const char *const no_input_after[] = {
	"as", "def", "catch", "label", "reduce", "foreach", "import", "include", NULL
};

int refs_extract(const char *text, struct ref_path **out)
{
	struct lexer lx = { .t = text };
	const char *t = text;
	size_t i = 0;
	push(&lx, 0, 1, 0);
	while (t[i]) {
		char c = t[i];
		struct frame *f = &lx.st[lx.n - 1];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
		} else if (c == '#') {
			while (t[i] && t[i] != '\n')
				i++;
		} else if (c == '"') {
			if (!(i = string_rest(&lx, i + 1)))
				goto stop;
		} else if (c == '.' && digit(t[i + 1])) {
			i++;
			while (digit(t[i]) || id_char(t[i]))
				i++;
			lx.term = 1;
		} else if (c == '.' && t[i + 1] == '.') {
			i += 2;
			lx.term = 1;
		} else if (c == '.') {
			i = path(&lx, i, f->input && !lx.term);
		} else if (digit(c)) {
			while (digit(t[i]) || t[i] == '.' || id_char(t[i]) ||
			       ((t[i] == '+' || t[i] == '-') && (t[i - 1] == 'e' || t[i - 1] == 'E')))
				i++;
			lx.term = 1;
		} else if (c == '$' || c == '@' || id_start(c)) {
			size_t s = i;
			i++;
			while (id_char(t[i]) || (t[i] == ':' && t[i + 1] == ':' && (i += 1)))
				i++;
			size_t len = i - s, k = i;
			while (t[k] == ' ' || t[k] == '\t' || t[k] == '\n')
				k++;
			if (c == '$' || c == '@') {
				lx.term = c == '$';
				continue;
			}
			int kw = 0;
			for (const char *const *w = no_input_after; *w; w++)
				if (strlen(*w) == len && !strncmp(*w, t + s, len)) {
					f->input = 0;
					kw = 1;
				}
			if (kw || (len == 2 && (!strncmp(t + s, "if", 2) || !strncmp(t + s, "or", 2))) ||
			    (len == 3 && !strncmp(t + s, "and", 3)) || (len == 3 && !strncmp(t + s, "try", 3)) ||
			    (len == 4 && (!strncmp(t + s, "then", 4) || !strncmp(t + s, "elif", 4) ||
					  !strncmp(t + s, "else", 4)))) {
				lx.term = 0;
			} else if (t[k] == '(') {
				/* a call: its arguments see whatever the function gives them */
				push(&lx, ')', 0, 0);
				i = k + 1;
			} else {
				lx.term = 1;
			}
		} else if (c == '(' || c == '[' || c == '{') {
			push(&lx, c == '(' ? ')' : c == '[' ? ']' : '}', f->input, 0);
			i++;
		} else if (c == ')' || c == ']' || c == '}') {
			if (lx.n < 2 || f->close != c)
				goto stop;
			int interp = f->interp;
			lx.n--;
			i++;
			lx.term = 1;
			if (interp && !(i = string_rest(&lx, i)))
				goto stop;
		} else if (c == '|') {
			f->input = 0;    /* `|` and `|=`: what follows reads the left side's output */
			lx.term = 0;
			i++;
		} else if (c == '?') {
			i++;
		} else {
			lx.term = 0;
			i++;
		}
	}
stop:
	free(lx.st);
	*out = lx.out;
	return lx.nout;
}

void refs_free(struct ref_path *p, int n)
{
	for (int i = 0; p && i < n; i++)
		path_clear(&p[i]);
	free(p);
}
