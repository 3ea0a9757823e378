/* expr.c — batches of jq expressions compiled by libjq 1.6 (see expr.h).
 *
 * Costs measured on libjq 1.6 (tests/lang/expr_bench.c prints them): every jq_compile
 * re-parses the builtins (~36 ms); definitions that are never referenced are only
 * parsed (~7 us each) and their unbound names are not reported; binding costs
 * ~0.2-0.4 ms per referenced definition (growing with the program); bison's stack runs
 * out at ~10000 pending definitions ("memory exhausted"); one function compiled past
 * 64 KB fails. Hence:
 *   compile:         chunks of COMPILE_CHUNK `def _eN: (\nX\n);` definitions, then
 *                    `.i as $i | .c | <balanced if-tree on $i calling _eN>`
 *   syntax check:    the same definitions unreferenced, then `.` (parsed, not bound)
 * exprset_check compiles what it has to check; only a chunk that does not compile is
 * syntax-checked there, and its binding errors are reported by exprset_compile.
 * Each definition spans its own lines (header, text, `);`), so jq's "line N" maps back
 * to one expression; when it cannot (or a syntax error surfaces after its cause), the
 * chunk is bisected. Identical texts are compiled once.
 *
 * Compiled chunks start with the prelude: the jq builtins an expression may not call,
 * each shadowed by a definition that names an unbound variable. An expression that calls
 * one binds it, and its compile fails; an unreferenced definition costs a parse only.
 *
 * Most expressions never reach jq_compile before they run: expr_scan.c recognises jq's
 * grammar and checks every name against the builtins of the linked libjq (a table made
 * at build time), and what it vouches for is EXPR_SCANNED, valid. jq checks (and words
 * the error of) only what the scan doubts. The scanned expressions of a set are compiled
 * together, in chunks, at the first evaluation of one of them. Plain paths (most of a
 * runbook's expressions) are EXPR_PATH: read from the value (expr_path.c), never compiled.
 *
 * Evaluation runs under the watchdog of expr_guard.c (time, memory, signals).
 */
#include <jq.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "expr.h"
#include "expr_guard.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/strmap.h"
#include "expr_scan.h"
#include "taint.h"

#define COMPILE_CHUNK 200
#define SHOW_MAX 40

enum expr_state {
	EXPR_CHECKED  = 1 << 0,   /* parses */
	EXPR_BAD      = 1 << 1,   /* an error was reported; never compiled */
	EXPR_COMPILED = 1 << 2,
	EXPR_SCANNED  = 1 << 3,   /* expr_scan() vouches for it: compiled at first use */
	EXPR_PATH     = 1 << 4,   /* a plain path: read by expr_path_get, never compiled */
};

struct expr {
	char *text;
	struct srcloc loc;
	char **refs;              /* NULL-terminated */
	unsigned state;
	int chunk, slot;          /* where it was compiled */
};

struct chunk {
	jq_state *jq;             /* NULL after a halt, until compiled again */
	int *ids;                 /* the expressions in it, by slot */
	int n;
};

struct exprset {
	struct expr *e;
	int n, alloc;
	struct chunk *chunks;
	int nchunks, achunks;
};

struct exprset *exprset_new(void)
{
	return xcalloc(1, sizeof(struct exprset));
}

void exprset_free(struct exprset *set)
{
	if (!set)
		return;
	for (int i = 0; i < set->n; i++) {
		free(set->e[i].text);
		for (char **r = set->e[i].refs; r && *r; r++)
			free(*r);
		free(set->e[i].refs);
	}
	for (int i = 0; i < set->nchunks; i++) {
		jq_teardown(&set->chunks[i].jq);
		free(set->chunks[i].ids);
	}
	free(set->chunks);
	free(set->e);
	free(set);
}

static int ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void add_ref(char ***refs, int *n, const char *s, size_t len)
{
	for (int i = 0; i < *n; i++)
		if (strlen((*refs)[i]) == len && !strncmp((*refs)[i], s, len))
			return;
	*refs = xrealloc(*refs, (size_t)(*n + 2) * sizeof(**refs));
	(*refs)[(*n)++] = xstrndup(s, len);
	(*refs)[*n] = NULL;
}

/* `.steps.ID`, `.steps["ID"]`, `.steps."ID"` where `.steps` starts a path (not `.x.steps`) */
static char **scan_refs(const char *t)
{
	char **refs = xcalloc(1, sizeof(*refs));
	int n = 0;
	for (const char *p = t; (p = strstr(p, ".steps")); p += 6) {
		if (p > t && (ident_char(p[-1]) || p[-1] == ']' || p[-1] == ')' || p[-1] == '"'))
			continue;
		const char *q = p + 6;
		if (ident_char(*q))
			continue;
		while (*q == ' ')
			q++;
		if (*q == '.' && (ident_char(q[1]) && !(q[1] >= '0' && q[1] <= '9'))) {
			const char *s = q + 1, *e = s;
			while (ident_char(*e))
				e++;
			add_ref(&refs, &n, s, (size_t)(e - s));
		} else if ((q[0] == '[' && q[1] == '"') || (q[0] == '.' && q[1] == '"')) {
			const char *s = q + 2, *e = s;
			while (*e && *e != '"' && *e != '\\')
				e++;
			if (*e == '"')
				add_ref(&refs, &n, s, (size_t)(e - s));
		}
	}
	return refs;
}

int exprset_add(struct exprset *set, const char *text, const struct srcloc *loc)
{
	ALLOC_GROW(set->e, set->n + 1, set->alloc);
	struct expr *e = &set->e[set->n];
	memset(e, 0, sizeof(*e));
	e->text = xstrdup(text);
	if (loc)
		e->loc = *loc;
	e->refs = scan_refs(text);
	e->chunk = -1;
	return set->n++;
}

int exprset_count(const struct exprset *set)
{
	return set->n;
}

const char *exprset_text(const struct exprset *set, int idx)
{
	BUG_ON(idx < 0 || idx >= set->n);
	return set->e[idx].text;
}

const struct srcloc *exprset_loc(const struct exprset *set, int idx)
{
	BUG_ON(idx < 0 || idx >= set->n);
	return &set->e[idx].loc;
}

char *const *exprset_refs(const struct exprset *set, int idx)
{
	BUG_ON(idx < 0 || idx >= set->n);
	return set->e[idx].refs;
}

/* ---- compiling ---------------------------------------------------------------- */

#define FORBIDDEN_VAR "__runbook_forbidden_"
#define NO_INPUT "there is no input stream: an expression reads only its context"
#define NO_TERM "expressions do not write to the terminal: use a 'log' step"
#define NO_HALT "use error(\"...\") to fail the step"
#define NO_FILES "expressions do not read modules or files"

/* jq builtins that read stdin or files, write to stderr, or halt jq (the watchdog's
 * job): libjq without a jq program around it crashes or leaks through them */
static const struct forbidden {
	const char *name;
	const char *params;       /* as written after the name in a def */
	const char *why;
} forbidden[] = {
	{ "input", "", NO_INPUT },
	{ "inputs", "", NO_INPUT },
	{ "_input", "", NO_INPUT },
	{ "input_filename", "", NO_INPUT },
	{ "input_line_number", "", NO_INPUT },
	{ "debug", "", NO_TERM },
	{ "stderr", "", NO_TERM },
	{ "halt", "", NO_HALT },
	{ "halt_error", "", NO_HALT },
	{ "halt_error", "(m)", NO_HALT },
	{ "get_search_list", "", NO_FILES },
	{ "get_prog_origin", "", NO_FILES },
	{ "get_jq_origin", "", NO_FILES },
	{ "modulemeta", "", NO_FILES },
};
#define NFORBIDDEN (int)(sizeof(forbidden) / sizeof(forbidden[0]))

/* `a * b` calls `_multiply` by name: a string repeated N times is one C loop of N appends
 * inside libjq that the watchdog cannot stop (`"x" * 1e9` runs for minutes), so the
 * prelude puts a bound in front of the builtin (bound first, as _rb_mul). Same outputs in
 * the same order (b outer, a inner, as the builtin's). One line each. */
#define REPEAT_MAX "10000000"
static const char *const shadows[] = {
	"def _rb_mul(a; b): a * b;",
	"def _multiply(a; b): b as $b | a as $a | if (($a | type) == \"string\" and ($b | type) == \"number\""
	" and $b > " REPEAT_MAX ") or (($b | type) == \"string\" and ($a | type) == \"number\" and $a > "
	REPEAT_MAX ") then error(\"a string repeated more than " REPEAT_MAX " times is not allowed in"
	" runbook expressions\") else _rb_mul($a; $b) end;",
};
#define NSHADOWS (int)(sizeof(shadows) / sizeof(shadows[0]))

/* one line per definition, so the prelude shifts the program by NFORBIDDEN + NSHADOWS lines */
static int add_prelude(struct buf *b)
{
	int berr = 0;
	for (int i = 0; i < NFORBIDDEN; i++)
		berr |= buf_addf(b, "def %s%s: $" FORBIDDEN_VAR "%d;\n", forbidden[i].name, forbidden[i].params, i);
	for (int i = 0; i < NSHADOWS; i++)
		berr |= buf_addf(b, "%s\n", shadows[i]);
	return berr;
}

/* expr_scan's question: does the prelude take name/arity away? */
static int forbidden_call(const char *name, size_t len, int arity)
{
	for (int i = 0; i < NFORBIDDEN; i++) {
		const char *p = forbidden[i].params;
		int n = *p ? 1 : 0;
		for (; *p; p++)
			n += *p == ';';
		if (n == arity && strlen(forbidden[i].name) == len && !strncmp(forbidden[i].name, name, len))
			return 1;
	}
	return 0;
}

/* the forbidden[] entry behind a jq compile error, or -1 */
static int forbidden_of(const char *msg)
{
	const char *p = strstr(msg, "$" FORBIDDEN_VAR);
	if (!p || strcmp(p + strcspn(p, " "), " is not defined"))
		return -1;
	int i = atoi(p + 1 + strlen(FORBIDDEN_VAR));
	return i >= 0 && i < NFORBIDDEN ? i : -1;
}

struct jq_err {
	int line;                 /* in the program, 0 if unknown */
	char *msg;                /* without "jq: error: " and location */
};

struct errs {
	struct jq_err *v;
	int n, alloc;
};

/* jq reports "jq: error: MSG at <top-level>, line N:\nPROGRAM LINE" and then
 * "jq: N compile errors" */
static void on_jq_error(void *data, jv msg)
{
	struct errs *errs = data;
	if (jv_get_kind(msg) != JV_KIND_STRING) {
		jv_free(msg);
		return;
	}
	const char *s = jv_string_value(msg);
	if (!strncmp(s, "jq: error: ", 11)) {
		s += 11;
		const char *at = strstr(s, " at <top-level>, line ");
		size_t len = at ? (size_t)(at - s) : strcspn(s, "\n");
		const char *hint = " (Unix shell quoting issues?)";
		size_t hl = strlen(hint);
		if (len >= hl && !strncmp(s + len - hl, hint, hl))
			len -= hl;
		ALLOC_GROW(errs->v, errs->n + 1, errs->alloc);
		errs->v[errs->n].line = at ? atoi(at + 22) : 0;
		errs->v[errs->n].msg = xstrndup(s, len);
		errs->n++;
	}
	jv_free(msg);
}

static void errs_clear(struct errs *errs)
{
	for (int i = 0; i < errs->n; i++)
		free(errs->v[i].msg);
	errs->n = 0;
}

enum mode { MODE_CHECK, MODE_COMPILE };

static int dispatch(struct buf *b, int lo, int hi)
{
	int berr = 0;
	if (hi - lo == 1) {
		berr |= buf_addf(b, "_e%d", lo);
		return berr;
	}
	int mid = lo + (hi - lo) / 2;
	berr |= buf_addf(b, "if $i < %d then ", mid);
	berr |= dispatch(b, lo, mid);
	berr |= buf_adds(b, " else ");
	berr |= dispatch(b, mid, hi);
	berr |= buf_adds(b, " end");
	return berr;
}

static int count_lines(const char *s)
{
	int n = 1;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* compile ids[0..n) as one program; the state on success (MODE_COMPILE), else NULL with
 * errs filled. starts[k] = first program line of ids[k] */
static jq_state *compile_ids(struct exprset *set, const int *ids, int n, enum mode mode,
			     struct errs *errs, int *starts, int *ok)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	int line = 1;
	if (mode == MODE_COMPILE) {
		berr |= add_prelude(&b);
		line += NFORBIDDEN + NSHADOWS;
	}
	for (int k = 0; k < n; k++) {
		const char *t = set->e[ids[k]].text;
		starts[k] = line;
		berr |= buf_addf(&b, "def _e%d: (\n%s\n);\n", k, t);
		line += count_lines(t) + 2;
	}
	if (mode == MODE_CHECK) {
		berr |= buf_adds(&b, ".");
	} else {
		berr |= buf_adds(&b, ".i as $i | .c | ");
		berr |= dispatch(&b, 0, n);
	}
	BUF_NOCAP(berr);
	jq_state *jq = jq_init();
	if (!jq)
		BUG("jq_init");
	jq_set_error_cb(jq, on_jq_error, errs);
	*ok = jq_compile(jq, buf_str(&b));
	buf_release(&b);
	if (!*ok || mode == MODE_CHECK) {
		jq_teardown(&jq);
		return NULL;
	}
	return jq;
}

static int map_line(const int *starts, int n, int line)
{
	if (line < 1 || n == 0 || line < starts[0])
		return -1;
	int lo = 0, hi = n - 1;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if (starts[mid] <= line)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* an error on line `rel` (0-based) of an expression written as a literal block scalar
 * (`that: |`) points at that line of the file */
static struct srcloc line_loc(const struct expr *e, int rel)
{
	struct srcloc l = e->loc;
	size_t len;
	const char *p;
	if (rel < 0 || rel >= count_lines(e->text) || !l.src || l.line < 1 ||
	    !(p = source_line(l.src, l.line, &len)) || (size_t)l.col > len || p[l.col - 1] != '|' ||
	    !(p = source_line(l.src, l.line + 1 + rel, &len)))
		return l;
	size_t ind = 0;
	while (ind < len && p[ind] == ' ')
		ind++;
	l.line += 1 + rel;
	l.col = (int)ind + 1;
	return l;
}

static int report_at(struct exprset *set, int idx, const char *msg, int rel, struct diag_list *dl)
{
	int berr = 0;
	struct expr *e = &set->e[idx];
	struct srcloc where = line_loc(e, rel);
	int f = forbidden_of(msg);
	if (f >= 0) {
		diag_error(dl, &e->loc, "jq function '%s' is not available in runbook expressions (%s)",
			   forbidden[f].name, forbidden[f].why);
		e->state |= EXPR_BAD;
		return berr;
	}
	const char *kw = strstr(msg, "unexpected import") ? "import" :
			 strstr(msg, "unexpected include") ? "include" : NULL;
	if (kw) {
		diag_error(dl, &where, "jq '%s' directives are not available in runbook expressions (%s)",
			   kw, NO_FILES);
		e->state |= EXPR_BAD;
		return berr;
	}
	struct buf show = BUF_INIT(0);
	const char *t = e->text;
	while (*t == ' ' || *t == '\n' || *t == '\t')
		t++;
	size_t len = strlen(t);
	while (len && (t[len - 1] == ' ' || t[len - 1] == '\n' || t[len - 1] == '\t'))
		len--;
	size_t i = 0;
	for (; i < len && show.len < SHOW_MAX; i++) {
		int space = t[i] == ' ' || t[i] == '\n' || t[i] == '\t';
		if (space && show.len && show.data[show.len - 1] == ' ')
			continue;   /* one space for a line break and its indentation */
		berr |= buf_addc(&show, space ? ' ' : t[i]);
	}
	if (i < len)
		berr |= buf_adds(&show, "...");
	diag_error(dl, &where, "invalid expression '%s': %s", buf_str(&show), msg);
	buf_release(&show);
	e->state |= EXPR_BAD;
	return berr;
}

static int report(struct exprset *set, int idx, const char *msg, struct diag_list *dl)
{
	int berr = 0;
	berr |= report_at(set, idx, msg, -1, dl);
	return berr;
}

/* brackets opened minus closed, outside jq strings (roughly: for messages only) */
static int balance(const char *t)
{
	int b = 0, in_str = 0;
	for (; *t; t++) {
		if (in_str) {
			if (*t == '\\' && t[1])
				t++;
			else if (*t == '"')
				in_str = 0;
			continue;
		}
		if (*t == '"')
			in_str = 1;
		else if (*t == '(' || *t == '[' || *t == '{')
			b++;
		else if (*t == ')' || *t == ']' || *t == '}')
			b--;
	}
	return b;
}

/* jq trips over our closing `)` when the expression ends too early or closes too much */
static const char *end_msg(const struct jq_err *err, const char *text, int start)
{
	if (err->line != start + count_lines(text) + 1 || !strstr(err->msg, "syntax error"))
		return err->msg;
	if (balance(text) < 0)
		return "syntax error, unmatched closing bracket";
	return "syntax error, unexpected end of expression";
}

static void add_chunk(struct exprset *set, jq_state *jq, const int *ids, int n)
{
	ALLOC_GROW(set->chunks, set->nchunks + 1, set->achunks);
	set->chunks[set->nchunks].jq = jq;
	set->chunks[set->nchunks].n = n;
	set->chunks[set->nchunks].ids = xmalloc(sizeof(int) * (size_t)n);
	memcpy(set->chunks[set->nchunks].ids, ids, sizeof(int) * (size_t)n);
	for (int k = 0; k < n; k++) {
		set->e[ids[k]].chunk = set->nchunks;
		set->e[ids[k]].slot = k;
		set->e[ids[k]].state |= EXPR_COMPILED;
	}
	set->nchunks++;
}

static int process(struct exprset *set, const int *ids0, int n, enum mode mode,
		    struct diag_list *dl)
{
	int berr = 0;
	int *ids = xmalloc(sizeof(int) * (size_t)(n ? n : 1));
	int *starts = xmalloc(sizeof(int) * (size_t)(n ? n : 1));
	int *bad = xmalloc(sizeof(int) * (size_t)(n ? n : 1));
	struct errs errs = { 0 };
	memcpy(ids, ids0, sizeof(int) * (size_t)n);

	while (n > 0) {
		int ok;
		errs_clear(&errs);
		jq_state *jq = compile_ids(set, ids, n, mode, &errs, starts, &ok);
		if (ok) {
			if (mode == MODE_COMPILE)
				add_chunk(set, jq, ids, n);
			else
				for (int k = 0; k < n; k++)
					set->e[ids[k]].state |= EXPR_CHECKED;
			break;
		}
		/* which expressions failed, by jq's line numbers */
		memset(bad, 0, sizeof(int) * (size_t)n);
		int nbad = 0;
		for (int i = 0; i < errs.n; i++) {
			int k = map_line(starts, n, errs.v[i].line);
			if (k < 0 && n == 1 && forbidden_of(errs.v[i].msg) >= 0)
				k = 0;    /* a call of a prelude definition */
			if (k < 0)
				continue;
			if (mode == MODE_CHECK && n > 1) {
				/* a syntax error may surface after its cause: confirm alone */
				struct errs one = { 0 };
				int ok1, start1;
				compile_ids(set, &ids[k], 1, MODE_CHECK, &one, &start1, &ok1);
				if (!ok1 && !(set->e[ids[k]].state & EXPR_BAD))
					berr |= report_at(set, ids[k], one.n ? end_msg(&one.v[0], set->e[ids[k]].text, start1)
								      : "syntax error",
						  one.n ? one.v[0].line - start1 - 1 : -1, dl);
				errs_clear(&one);
				free(one.v);
				if (!ok1) {
					bad[k] = 1;
					nbad++;
				}
				break;   /* parsing stopped at the first error */
			}
			if (!bad[k])
				nbad++;
			bad[k] = 1;
			berr |= report_at(set, ids[k], end_msg(&errs.v[i], set->e[ids[k]].text, starts[k]),
				  errs.v[i].line - starts[k] - 1, dl);
		}
		if (!nbad) {
			if (n == 1) {
				berr |= report(set, ids[0], errs.n ? errs.v[0].msg : "does not compile", dl);
				break;
			}
			/* cannot tell which one: bisect */
			int half = n / 2;
			berr |= process(set, ids, half, mode, dl);
			berr |= process(set, ids + half, n - half, mode, dl);
			break;
		}
		int m = 0;
		for (int k = 0; k < n; k++)
			if (!bad[k])
				ids[m++] = ids[k];
		n = m;
	}
	errs_clear(&errs);
	free(errs.v);
	free(ids);
	free(starts);
	free(bad);
	return berr;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* What the scan doubts is usually fine: the check pass compiles it for good at once
 * (one jq_compile, not a parse now and a compile later), and only a chunk that does not
 * compile is checked for syntax errors (which the compile could pin on the wrong
 * expression), its binding errors left to exprset_compile. */
static int check_list(struct exprset *set, const int *list, int n, struct diag_list *dl)
{
	int berr = 0;
	int *starts = xmalloc(sizeof(int) * (size_t)(n ? n : 1));
	struct errs errs = { 0 };
	for (int i = 0; i < n; i += COMPILE_CHUNK) {
		int m = n - i < COMPILE_CHUNK ? n - i : COMPILE_CHUNK, ok;
		jq_state *jq = compile_ids(set, list + i, m, MODE_COMPILE, &errs, starts, &ok);
		errs_clear(&errs);
		if (ok) {
			add_chunk(set, jq, list + i, m);
			for (int k = 0; k < m; k++)
				set->e[list[i + k]].state |= EXPR_CHECKED;
		} else {
			berr |= process(set, list + i, m, MODE_CHECK, dl);
		}
	}
	free(errs.v);
	free(starts);
	return berr;
}

static int run_list(struct exprset *set, const int *list, int n, enum mode mode, struct diag_list *dl)
{
	int berr = 0;
	if (mode == MODE_CHECK)
		return check_list(set, list, n, dl);
	for (int i = 0; i < n; i += COMPILE_CHUNK)
		berr |= process(set, list + i, n - i < COMPILE_CHUNK ? n - i : COMPILE_CHUNK, mode, dl);
	return berr;
}

/* Identical texts are compiled once: real runbooks repeat `.params.x` a lot. A copy of a
 * text that failed is processed on its own afterwards, so it is reported where it is. */
static int run_mode(struct exprset *set, enum mode mode, int lazy, struct diag_list *dl)
{
	int berr = 0;
	int nerr0 = dl->nerrors;
	unsigned done = mode == MODE_CHECK ? EXPR_CHECKED : EXPR_COMPILED;
	int *uniq = xmalloc(sizeof(int) * (size_t)(set->n + 1));
	int *dups = xmalloc(sizeof(int) * (size_t)(set->n + 1));
	int *canon = xmalloc(sizeof(int) * (size_t)(set->n + 1));
	int nuniq = 0, ndups = 0, nretry = 0;
	struct strmap seen = { 0 }, scanned = { 0 };
	for (int i = 0; i < set->n; i++) {
		struct expr *e = &set->e[i];
		if (e->state & (EXPR_BAD | done))
			continue;
		if (mode == MODE_CHECK && blank(e->text)) {
			diag_error(dl, &e->loc, "empty expression");
			e->state |= EXPR_BAD;
			continue;
		}
		if (e->state & EXPR_PATH)
			continue;
		if (mode == MODE_CHECK) {
			/* one look per text (`.params.x` is everywhere): a plain path, or what
			 * the scan vouches for */
			int first = strmap_put(&scanned, e->text, i);
			unsigned got = first != i ? set->e[first].state & (EXPR_SCANNED | EXPR_PATH) :
				       expr_is_path(e->text) ? EXPR_SCANNED | EXPR_PATH :
				       expr_scan(e->text, forbidden_call) ? EXPR_SCANNED : 0;
			if (got) {
				e->state |= EXPR_CHECKED | got;
				continue;
			}
		}
		if (mode == MODE_COMPILE && (lazy ? !(e->state & EXPR_SCANNED) : (e->state & EXPR_SCANNED)))
			continue;   /* compiled now: only what the scan doubts; at first use: the rest */
		int c = strmap_put(&seen, e->text, i);
		if (c == i)
			uniq[nuniq++] = i;
		else {
			canon[ndups] = c;
			dups[ndups++] = i;
		}
	}
	berr |= run_list(set, uniq, nuniq, mode, dl);
	for (int k = 0; k < ndups; k++) {
		struct expr *c = &set->e[canon[k]], *e = &set->e[dups[k]];
		if ((c->state & done) && !(c->state & EXPR_BAD)) {
			e->state |= c->state & (EXPR_CHECKED | EXPR_COMPILED);
			e->chunk = c->chunk;
			e->slot = c->slot;
		} else {
			dups[nretry++] = dups[k];
		}
	}
	berr |= run_list(set, dups, nretry, mode, dl);
	BUF_NOCAP(berr);
	strmap_release(&seen);
	strmap_release(&scanned);
	free(uniq);
	free(dups);
	free(canon);
	return dl->nerrors > nerr0 ? -1 : 0;
}

int exprset_check(struct exprset *set, struct diag_list *dl)
{
	return run_mode(set, MODE_CHECK, 0, dl);
}

int exprset_compile(struct exprset *set, struct diag_list *dl)
{
	int rc = run_mode(set, MODE_CHECK, 0, dl);
	if (run_mode(set, MODE_COMPILE, 0, dl) < 0)
		rc = -1;
	/* an expression that failed earlier is still an error now */
	for (int i = 0; i < set->n; i++)
		if (set->e[i].state & EXPR_BAD)
			rc = -1;
	return rc;
}

/* ---- evaluating --------------------------------------------------------------- */

static jv error_jv(jv msg)
{
	char *text;
	if (jv_get_kind(msg) == JV_KIND_STRING) {
		text = xstrdup(jv_string_value(msg));
		jv_free(msg);
	} else {
		jv d = jv_dump_string(msg, 0);
		size_t len = strlen(jv_string_value(d)) + 16;
		text = xmalloc(len);
		snprintf(text, len, "%s (not a string)", jv_string_value(d));
		jv_free(d);
	}
	jv r = jv_invalid_with_msg(jv_string(text));
	free(text);
	return r;
}

/* A halted evaluation is unwound on a thread of its own with a 1 GB stack (reserved,
 * touched only as deep as needed): libjq 1.6 frees nested values recursively, ~32 bytes
 * of C stack per level, and a runaway expression (`def f: [., .] | f; f`) nests millions
 * of levels (each >= 48 bytes of heap, so the memory cap bounds the depth) — freed on the
 * engine thread they overflow its stack. If that thread cannot start, the state is kept,
 * reachable, until the process ends. */
#define REAP_STACK ((size_t)1 << 30)

static struct {
	pthread_mutex_t mu;
	jq_state **v;
	int n, alloc;
} graveyard = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void *reap_main(void *arg)
{
	jq_state *jq = arg;
	jq_teardown(&jq);
	return NULL;
}

static void reap(jq_state *jq)
{
	pthread_attr_t a;
	pthread_t tid;
	int ok = pthread_attr_init(&a) == 0;
	if (ok) {
		ok = pthread_attr_setstacksize(&a, REAP_STACK) == 0 &&
		     pthread_create(&tid, &a, reap_main, jq) == 0;
		pthread_attr_destroy(&a);
	}
	if (ok) {
		pthread_join(tid, NULL);
		return;
	}
	pthread_mutex_lock(&graveyard.mu);
	ALLOC_GROW(graveyard.v, graveyard.n + 1, graveyard.alloc);
	graveyard.v[graveyard.n++] = jq;
	pthread_mutex_unlock(&graveyard.mu);
}

static jq_state *chunk_state(struct exprset *set, struct chunk *c)
{
	if (c->jq)
		return c->jq;
	struct errs errs = { 0 };
	int *starts = xmalloc(sizeof(int) * (size_t)c->n), ok;
	c->jq = compile_ids(set, c->ids, c->n, MODE_COMPILE, &errs, starts, &ok);
	if (!c->jq)
		BUG("a compiled chunk does not compile again");
	errs_clear(&errs);
	free(errs.v);
	free(starts);
	return c->jq;
}

jv expr_run(jq_state **jqp, jv input)
{
	jq_state *jq = *jqp;
	jq_start(jq, input, 0);
	guard_begin(jq);
	jv out = jv_array();
	for (;;) {
		jv v = jq_next(jq);
		if (jv_is_valid(v)) {
			out = jv_array_append(out, v);
			continue;
		}
		if (jv_invalid_has_msg(jv_copy(v))) {
			jv_free(out);
			out = error_jv(jv_invalid_get_msg(v));
		} else {
			jv_free(v);
		}
		break;   /* an error, the end of outputs or a halt: never call jq_next again */
	}
	enum guard_stop stop = guard_end();
	if (stop == GUARD_NONE && jq_halted(jq))
		BUG("jq halted on its own");   /* halt and halt_error do not compile */
	if (stop != GUARD_NONE) {
		jv_free(out);
		reap(jq);
		*jqp = NULL;
		return guard_error(stop);
	}
	return out;
}

/* the evaluation itself (exprset_eval may wrap it) */
static jv eval_raw(struct exprset *set, int idx, jv ctx)
{
	BUG_ON(idx < 0 || idx >= set->n);
	struct expr *e = &set->e[idx];
	if (e->state & EXPR_PATH) {
		jv v;
		if (expr_path_get(e->text, ctx, &v) < 0)
			BUG("a plain path is no longer one");
		jv_free(ctx);
		return jv_is_valid(v) ? jv_array_append(jv_array(), v) : error_jv(jv_invalid_get_msg(v));
	}
	if ((e->state & (EXPR_SCANNED | EXPR_COMPILED | EXPR_BAD)) == EXPR_SCANNED) {
		/* every scanned expression of the set, in as few jq_compiles as possible */
		struct diag_list dl = { 0 };
		run_mode(set, MODE_COMPILE, 1, &dl);
		if (!(e->state & EXPR_COMPILED)) {
			jv err = jv_string(dl.n ? dl.items[0].msg : "expression does not compile");
			diag_list_release(&dl);
			jv_free(ctx);
			return jv_invalid_with_msg(err);
		}
		diag_list_release(&dl);
	}
	if (!(e->state & EXPR_COMPILED)) {
		jv_free(ctx);
		return jv_invalid_with_msg(jv_string("expression was not compiled"));
	}
	struct chunk *c = &set->chunks[e->chunk];
	chunk_state(set, c);
	jv input = jv_object_set(jv_object(), jv_string("i"), jv_number(e->slot));
	input = jv_object_set(input, jv_string("c"), ctx);
	return expr_run(&c->jq, input);
}

int exprset_is_path(const struct exprset *set, int idx)
{
	return idx >= 0 && idx < set->n && (set->e[idx].state & EXPR_PATH);
}

/* what the result takes from a secret is tainted too (taint.c) */
jv exprset_eval(struct exprset *set, int idx, jv ctx)
{
	return taint_eval(set, idx, ctx, eval_raw);
}

jv exprset_eval1(struct exprset *set, int idx, jv ctx)
{
	jv all = exprset_eval(set, idx, ctx);
	if (!jv_is_valid(all))
		return all;
	if (jv_array_length(jv_copy(all)) == 0) {
		jv_free(all);
		return jv_null();
	}
	return jv_array_get(all, 0);
}
