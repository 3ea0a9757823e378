/* expr_scan.c — is this jq expression certainly fine? (see expr_scan.h)
 *
 * A recursive-descent recogniser of jq 1.6's grammar (parser.y: precedences, the
 * non-associative `=` and comparison families, `if` with a mandatory `else`, object
 * values restricted to terms and pipes of terms, `?//` only between patterns) that keeps
 * the scopes of definitions, variables and labels. Calls are looked up by name and arity
 * in the table generated from the linked libjq at build time (jq_builtins.h), so no
 * jq_compile runs for an expression that passes. Every doubt answers 0.
 */
#include <stdlib.h>
#include <string.h>
#include "expr_scan.h"
#include "../core/bug.h"
#include "lang/jq_builtins.h"

#define MAX_DEPTH 200

enum tk {
	TK_EOF, TK_BAD, TK_DOT, TK_REC, TK_FIELD, TK_IDENT, TK_KW, TK_NUM, TK_QUOTE,
	TK_FORMAT, TK_VAR, TK_OP, TK_PUNCT,
};

struct tok {
	enum tk kind;
	const char *s;          /* the token's text (a variable's name without '$') */
	size_t len;
};

struct ent {
	char kind;              /* 'f' function, 'v' variable, 'l' label */
	const char *s;
	size_t len;
	int arity;
};

struct ents {
	struct ent *v;
	int n, alloc;
};

struct scan {
	const char *pos;        /* just after t */
	struct tok t;
	int bad, depth;
	struct ents sc;         /* innermost last */
	int (*forbidden)(const char *name, size_t len, int arity);
};

static const char *const keywords[] = {
	"as", "import", "include", "module", "def", "if", "then", "elif", "else", "end",
	"and", "or", "reduce", "foreach", "try", "catch", "label", "break", "__loc__",
};

/* longest first, as flex matches */
static const char *const ops[] = {
	"?//", "//=", "|=", "+=", "-=", "*=", "/=", "%=", "==", "!=", "<=", ">=", "//",
};

static int is_ident0(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident(char c)
{
	return is_ident0(c) || (c >= '0' && c <= '9');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t ident_len(const char *p)
{
	size_t n = 0;
	while (is_ident(p[n]))
		n++;
	return n;
}

/* digits with at most one '.', at least one digit, then an optional exponent */
static int number_ok(const char *p, size_t len)
{
	size_t i = 0, digits = 0;
	while (i < len && is_digit(p[i]))
		i++, digits++;
	if (i < len && p[i] == '.')
		for (i++; i < len && is_digit(p[i]); i++)
			digits++;
	if (digits && i < len && (p[i] == 'e' || p[i] == 'E'))
		return 1;   /* the lexer only takes a well-formed exponent */
	return digits && i == len;
}

static void next(struct scan *S)
{
	const char *p = S->pos;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p != '#')
			break;
		while (*p && *p != '\n')
			p++;
	}
	struct tok t = { TK_BAD, p, 1 };
	if (!*p) {
		t.kind = TK_EOF;
		t.len = 0;
	} else if (*p == '"') {
		t.kind = TK_QUOTE;
	} else if (is_digit(*p) || *p == '.') {
		/* jq 1.6 lexes a literal as [0-9.]+ with an exponent, longest match first,
		 * '.' and '..' winning ties; jv_parse then takes it or fails */
		size_t lit = 0, alt = 0;
		while (is_digit(p[lit]) || p[lit] == '.')
			lit++;
		if (p[lit] == 'e' || p[lit] == 'E') {
			size_t m = lit + 1 + (p[lit + 1] == '+' || p[lit + 1] == '-');
			if (is_digit(p[m])) {
				while (is_digit(p[m]))
					m++;
				lit = m;
			}
		}
		if (*p == '.') {
			t.kind = p[1] == '.' ? TK_REC : is_ident0(p[1]) ? TK_FIELD : TK_DOT;
			alt = t.kind == TK_REC ? 2 : t.kind == TK_FIELD ? 1 + ident_len(p + 1) : 1;
		}
		if (lit > alt) {
			t.kind = number_ok(p, lit) ? TK_NUM : TK_BAD;
		} else if (lit == alt && t.kind == TK_FIELD) {
			t.kind = TK_BAD;        /* `.e3`: which rule wins is jq's business */
		}
		t.len = t.kind == TK_NUM || t.kind == TK_BAD ? (lit > alt ? lit : alt) : alt;
	} else if (is_ident0(*p) || (*p == '$' && is_ident0(p[1]))) {
		const char *s = p + (*p == '$');
		size_t n = ident_len(s);
		if (s[n] == ':' && s[n + 1] == ':')
			t.kind = TK_BAD;     /* module-qualified: jq decides */
		else if (*p == '$')
			t.kind = TK_VAR;
		else
			t.kind = TK_IDENT;
		for (size_t i = 0; t.kind == TK_IDENT && i < sizeof(keywords) / sizeof(*keywords); i++)
			if (strlen(keywords[i]) == n && !strncmp(keywords[i], s, n))
				t.kind = TK_KW;
		t.s = s;
		t.len = n;
		p = s;
	} else if (*p == '@' && is_ident(p[1])) {
		t.kind = TK_FORMAT;
		t.len = 1 + ident_len(p + 1);
	} else {
		for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++)
			if (!strncmp(p, ops[i], strlen(ops[i]))) {
				t.kind = TK_OP;
				t.len = strlen(ops[i]);
				break;
			}
		if (t.kind == TK_BAD && strchr("|,+-*/%=<>()[]{};:?", *p))
			t.kind = TK_PUNCT;
	}
	S->t = t;
	S->pos = p + t.len;
	if (t.kind == TK_BAD)
		S->bad = 1;
}

static int is(const struct scan *S, const char *text)
{
	return (S->t.kind == TK_PUNCT || S->t.kind == TK_OP || S->t.kind == TK_KW) &&
	       S->t.len == strlen(text) && !strncmp(S->t.s, text, S->t.len);
}

static void expect(struct scan *S, const char *text)
{
	if (!is(S, text))
		S->bad = 1;
	else
		next(S);
}

/* binary operators: precedence (higher binds tighter), 'l'eft, 'r'ight or 'n'onassoc */
static const struct binop {
	const char *op;
	int prec;
	char assoc;
} binops[] = {
	{ ",", 2, 'l' }, { "//", 3, 'r' },
	{ "=", 4, 'n' }, { "|=", 4, 'n' }, { "+=", 4, 'n' }, { "-=", 4, 'n' }, { "*=", 4, 'n' },
	{ "/=", 4, 'n' }, { "%=", 4, 'n' }, { "//=", 4, 'n' },
	{ "or", 5, 'l' }, { "and", 6, 'l' },
	{ "==", 7, 'n' }, { "!=", 7, 'n' }, { "<", 7, 'n' }, { "<=", 7, 'n' }, { ">", 7, 'n' },
	{ ">=", 7, 'n' },
	{ "+", 8, 'l' }, { "-", 8, 'l' }, { "*", 9, 'l' }, { "/", 9, 'l' }, { "%", 9, 'l' },
};

static const struct binop *binop_of(const struct scan *S)
{
	for (size_t i = 0; i < sizeof(binops) / sizeof(*binops); i++)
		if (is(S, binops[i].op))
			return &binops[i];
	return NULL;
}

/* ---- scopes -------------------------------------------------------------------- */

static void push(struct ents *e, char kind, const char *s, size_t len, int arity)
{
	ALLOC_GROW(e->v, e->n + 1, e->alloc);
	e->v[e->n++] = (struct ent){ kind, s, len, arity };
}

static int bound(const struct scan *S, char kind, const char *s, size_t len, int arity)
{
	for (int i = S->sc.n - 1; i >= 0; i--) {
		const struct ent *e = &S->sc.v[i];
		if (e->kind == kind && e->len == len && e->arity == arity && !strncmp(e->s, s, len))
			return 1;
	}
	return 0;
}

static int builtin(const char *s, size_t len, int arity)
{
	size_t lo = 0, hi = sizeof(jq_builtins) / sizeof(*jq_builtins);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(jq_builtins[mid].name, s, len);
		if (!c)
			c = jq_builtins[mid].name[len] ? 1 : jq_builtins[mid].arity - arity;
		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void call(struct scan *S, const char *s, size_t len, int arity)
{
	/* jq's parser makes constants of these three names (without arguments) */
	if (arity == 0 && ((len == 4 && (!strncmp(s, "null", 4) || !strncmp(s, "true", 4))) ||
			   (len == 5 && !strncmp(s, "false", 5))))
		return;
	if (bound(S, 'f', s, len, arity))
		return;
	if (!builtin(s, len, arity) || S->forbidden(s, len, arity))
		S->bad = 1;
}

static void use_var(struct scan *S, const char *s, size_t len)
{
	if (!bound(S, 'v', s, len, 0) && !(len == 3 && !strncmp(s, "ENV", 3)))
		S->bad = 1;
}

/* ---- grammar ------------------------------------------------------------------- */

static void pipe_(struct scan *S);
static int term(struct scan *S);

static int enter(struct scan *S)
{
	if (S->bad || ++S->depth > MAX_DEPTH) {
		S->bad = 1;
		return 0;
	}
	return 1;
}

/* the body of a string after its opening quote (the current token) */
static void string(struct scan *S)
{
	const char *q = S->pos;
	for (;;) {
		char c = *q;
		if (!c) {
			S->bad = 1;
			return;
		}
		if (c == '"') {
			q++;
			break;
		}
		if (c != '\\') {
			q++;
			continue;
		}
		char e = q[1];
		if (e == '(') {
			S->pos = q + 2;
			next(S);
			pipe_(S);
			if (S->bad || !is(S, ")")) {
				S->bad = 1;
				return;
			}
			q = S->pos;
		} else if (e && strchr("\"\\/bfnrt", e)) {
			q += 2;
		} else if (e == 'u') {
			for (int i = 2; i < 6; i++)
				if (!strchr("0123456789abcdefABCDEF", q[i]) || !q[i]) {
					S->bad = 1;
					return;
				}
			if (strchr("dD", q[2]) && strchr("89abAB", q[3])) {
				S->bad = 1;     /* a lone surrogate */
				return;
			}
			q += 6;
		} else {
			S->bad = 1;
			return;
		}
	}
	S->pos = q;
	next(S);
}

static void pattern(struct scan *S, struct ents *out);

static void objpat(struct scan *S, struct ents *out)
{
	if (S->t.kind == TK_VAR) {
		push(out, 'v', S->t.s, S->t.len, 0);
		next(S);
		if (is(S, ":"))
			S->bad = 1;     /* `$name: pattern`: let jq say */
		return;
	}
	if (S->t.kind == TK_IDENT)
		next(S);
	else if (S->t.kind == TK_QUOTE)
		string(S);
	else if (is(S, "(")) {
		next(S);
		pipe_(S);
		expect(S, ")");
	} else
		S->bad = 1;
	expect(S, ":");
	pattern(S, out);
}

static void pattern(struct scan *S, struct ents *out)
{
	if (!enter(S))
		return;
	if (S->t.kind == TK_VAR) {
		push(out, 'v', S->t.s, S->t.len, 0);
		next(S);
	} else if (is(S, "[")) {
		do {
			next(S);
			pattern(S, out);
		} while (!S->bad && is(S, ","));
		expect(S, "]");
	} else if (is(S, "{")) {
		do {
			next(S);
			objpat(S, out);
		} while (!S->bad && is(S, ","));
		expect(S, "}");
	} else {
		S->bad = 1;
	}
	S->depth--;
}

static void patterns(struct scan *S, struct ents *out)
{
	pattern(S, out);
	while (!S->bad && S->t.kind == TK_OP && is(S, "?//")) {
		next(S);
		pattern(S, out);
	}
	for (int i = 0; i < out->n; i++)
		if (out->v[i].len == 7 && !strncmp(out->v[i].s, "__loc__", 7))
			S->bad = 1;
}

static void bind_all(struct scan *S, const struct ents *vars)
{
	for (int i = 0; i < vars->n; i++)
		push(&S->sc, 'v', vars->v[i].s, vars->v[i].len, 0);
}

/* ExpD of an object value: Term, '-' ExpD, ExpD '|' ExpD */
static void expd(struct scan *S)
{
	if (!enter(S))
		return;
	if (is(S, "-")) {
		next(S);
		expd(S);
	} else if (!term(S)) {
		S->bad = 1;
	}
	if (is(S, "|")) {
		next(S);
		expd(S);
	}
	S->depth--;
}

static void object(struct scan *S)
{
	next(S);
	while (!S->bad && !is(S, "}")) {
		if (S->t.kind == TK_VAR) {
			use_var(S, S->t.s, S->t.len);
			next(S);
		} else if (S->t.kind == TK_IDENT) {
			next(S);
			if (is(S, ":")) {
				next(S);
				expd(S);
			}
		} else if (S->t.kind == TK_QUOTE) {
			string(S);
			expect(S, ":");
			expd(S);
		} else if (is(S, "(")) {
			next(S);
			pipe_(S);
			expect(S, ")");
			expect(S, ":");
			expd(S);
		} else {
			S->bad = 1;
		}
		if (is(S, ",")) {
			next(S);
			if (is(S, "}"))
				S->bad = 1;    /* a trailing comma: let jq say */
		} else if (!is(S, "}")) {
			S->bad = 1;
		}
	}
	expect(S, "}");
}

/* a suffix that keeps a term a term: .name, ."name", [..]; each may end in '?' */
static void suffixes(struct scan *S)
{
	for (;;) {
		if (S->bad)
			return;
		if (S->t.kind == TK_FIELD) {
			next(S);
		} else if (S->t.kind == TK_DOT && *S->pos == '"') {
			next(S);
			string(S);
		} else if (is(S, "[")) {
			next(S);
			if (is(S, "]")) {
				next(S);
			} else if (is(S, ":")) {
				next(S);
				pipe_(S);
				expect(S, "]");
			} else {
				pipe_(S);
				if (is(S, ":")) {
					next(S);
					if (!is(S, "]"))
						pipe_(S);
				}
				expect(S, "]");
			}
		} else {
			return;
		}
		if (is(S, "?"))
			next(S);
	}
}

/* a Term; 0 if the current token cannot start one */
static int term(struct scan *S)
{
	if (!enter(S))
		return 1;
	struct tok t = S->t;
	switch (t.kind) {
	case TK_DOT:
		next(S);
		if (S->t.kind == TK_QUOTE) {
			string(S);
			if (is(S, "?"))
				next(S);
		}
		break;
	case TK_FIELD:
		next(S);
		if (is(S, "?"))
			next(S);
		break;
	case TK_REC:
	case TK_NUM:
		next(S);
		break;
	case TK_QUOTE:
		string(S);
		break;
	case TK_FORMAT:
		next(S);
		if (S->t.kind == TK_QUOTE)
			string(S);
		break;
	case TK_VAR:
		use_var(S, t.s, t.len);
		next(S);
		break;
	case TK_IDENT: {
		int arity = 0;
		next(S);
		if (is(S, "(")) {
			do {
				next(S);
				pipe_(S);
				arity++;
			} while (!S->bad && is(S, ";"));
			expect(S, ")");
		}
		call(S, t.s, t.len, arity);
		break;
	}
	case TK_KW:
		if (t.len == 5 && !strncmp(t.s, "break", 5)) {
			next(S);
			if (S->t.kind != TK_VAR || !bound(S, 'l', S->t.s, S->t.len, 0))
				S->bad = 1;
			next(S);
			break;
		}
		S->depth--;
		return 0;
	case TK_PUNCT:
		if (is(S, "(")) {
			next(S);
			pipe_(S);
			expect(S, ")");
		} else if (is(S, "[")) {
			next(S);
			if (!is(S, "]"))
				pipe_(S);
			expect(S, "]");
		} else if (is(S, "{")) {
			object(S);
		} else {
			S->depth--;
			return 0;
		}
		break;
	default:
		S->depth--;
		return 0;
	}
	suffixes(S);
	S->depth--;
	return 1;
}

static int kw(const struct scan *S, const char *word)
{
	return S->t.kind == TK_KW && S->t.len == strlen(word) && !strncmp(S->t.s, word, S->t.len);
}

static void funcdef(struct scan *S)
{
	next(S);
	if (S->t.kind != TK_IDENT) {
		S->bad = 1;
		return;
	}
	struct tok name = S->t;
	struct ents params = { 0 };
	next(S);
	if (is(S, "(")) {
		do {
			next(S);
			if (S->t.kind == TK_VAR) {
				push(&params, 'v', S->t.s, S->t.len, 0);
				push(&params, 'f', S->t.s, S->t.len, 0);
			} else if (S->t.kind == TK_IDENT) {
				push(&params, 'f', S->t.s, S->t.len, 0);
			} else {
				S->bad = 1;
			}
			next(S);
		} while (!S->bad && is(S, ";"));
		expect(S, ")");
	}
	int arity = 0;
	for (int i = 0; i < params.n; i++)
		arity += params.v[i].kind == 'f';
	expect(S, ":");
	push(&S->sc, 'f', name.s, name.len, arity);   /* visible to itself and after */
	int mark = S->sc.n;
	for (int i = 0; i < params.n; i++)
		push(&S->sc, params.v[i].kind, params.v[i].s, params.v[i].len, 0);
	pipe_(S);
	S->sc.n = mark;
	expect(S, ";");
	free(params.v);
}

/* an operand of a binary operator. OP_TOP: first of a pipe segment, where the forms
 * whose body runs to the end of the pipe (def, as, label) are sure to parse as such.
 * OP_NOQ: the body of `try`, which ends before a '?' (`try f? catch g` does not parse) */
enum { OP_TOP = 1, OP_NOQ = 2 };

static void operand(struct scan *S, int flags)
{
	int top = flags & OP_TOP;
	if (!enter(S))
		return;
	int mark = S->sc.n;
	if (is(S, "-")) {
		next(S);
		operand(S, 0);
	} else if (kw(S, "def")) {
		if (!top)
			S->bad = 1;
		funcdef(S);
		pipe_(S);
	} else if (kw(S, "reduce") || kw(S, "foreach")) {
		int each = kw(S, "foreach");
		next(S);
		if (!term(S))
			S->bad = 1;
		struct ents vars = { 0 };
		if (!kw(S, "as"))
			S->bad = 1;
		next(S);
		patterns(S, &vars);
		expect(S, "(");
		pipe_(S);
		expect(S, ";");
		bind_all(S, &vars);
		pipe_(S);
		if (each && is(S, ";")) {
			next(S);
			pipe_(S);
		}
		expect(S, ")");
		free(vars.v);
	} else if (kw(S, "if")) {
		next(S);
		pipe_(S);
		if (!kw(S, "then"))
			S->bad = 1;
		next(S);
		pipe_(S);
		while (!S->bad && kw(S, "elif")) {
			next(S);
			pipe_(S);
			if (!kw(S, "then"))
				S->bad = 1;
			next(S);
			pipe_(S);
		}
		if (!kw(S, "else"))
			S->bad = 1;
		next(S);
		pipe_(S);
		if (!kw(S, "end"))
			S->bad = 1;
		next(S);
	} else if (kw(S, "try")) {
		next(S);
		operand(S, OP_NOQ);
		if (kw(S, "catch")) {
			next(S);
			operand(S, 0);
		}
	} else if (kw(S, "label")) {
		next(S);
		if (!top || S->t.kind != TK_VAR)
			S->bad = 1;
		push(&S->sc, 'l', S->t.s, S->t.len, 0);
		next(S);
		expect(S, "|");
		pipe_(S);
	} else if (!term(S)) {
		S->bad = 1;
	} else if (kw(S, "as")) {
		struct ents vars = { 0 };
		if (!top)
			S->bad = 1;
		next(S);
		patterns(S, &vars);
		expect(S, "|");
		bind_all(S, &vars);
		pipe_(S);
		free(vars.v);
	}
	while (!S->bad && !(flags & OP_NOQ) && is(S, "?"))
		next(S);
	S->sc.n = mark;
	S->depth--;
}

static void binary(struct scan *S, int min, int top)
{
	if (!enter(S))
		return;
	operand(S, top ? OP_TOP : 0);
	const struct binop *op;
	while (!S->bad && (op = binop_of(S)) && op->prec >= min) {
		next(S);
		binary(S, op->assoc == 'r' ? op->prec : op->prec + 1, 0);
		const struct binop *after = binop_of(S);
		if (op->assoc == 'n' && after && after->prec == op->prec)
			S->bad = 1;
	}
	S->depth--;
}

/* Exp: segments joined by '|' */
static void pipe_(struct scan *S)
{
	if (!enter(S))
		return;
	binary(S, 2, 1);
	while (!S->bad && is(S, "|")) {
		next(S);
		binary(S, 2, 1);
	}
	S->depth--;
}

int expr_scan(const char *text, int (*forbidden)(const char *name, size_t len, int arity))
{
	struct scan S = { .pos = text, .forbidden = forbidden };
	next(&S);
	pipe_(&S);
	int ok = !S.bad && S.t.kind == TK_EOF;
	free(S.sc.v);
	return ok;
}
