/* assert.c — show the values a failing `that` compared.
 *
 * For an expression whose top level is one comparison `A OP B` (==, !=, <, <=, >, >=,
 * not inside parentheses, brackets, braces or strings, and with no top-level `|`, `,`,
 * `and`, `or`, `//`), A and B are evaluated separately with their own jq_state so the
 * report can say `left: X, right: Y`. Only for failures, so compile cost does not matter.
 * assert_seen() does the same for a wait that timed out: the paths its `until` looked
 * at, with the values they had in the last poll. Engine thread only.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jq.h>
#include "../core/bug.h"
#include "../core/buf.h"
#include "../core/jvx.h"
#include "engine_int.h"
#include "../core/caps.h"
#include "../lang/expr.h"

#define SEEN_MAX 200          /* assert_seen: longer values are cut */

static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">", NULL};

/* find the single top-level comparison; 0 and *pos, *oplen set, or -1 */
static int split_cmp(const char *s, size_t *pos, size_t *oplen)
{
	int depth = 0, found = 0;
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '"') {
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			continue;
		}
		if (c == '#')
			return -1;               /* comments: do not guess */
		if (c == '(' || c == '[' || c == '{') {
			depth++;
			continue;
		}
		if (c == ')' || c == ']' || c == '}') {
			depth--;
			continue;
		}
		if (depth)
			continue;
		if (c == '|' || c == ',')
			return -1;
		if (c == '/' && s[i + 1] == '/')
			return -1;
		if (isalpha((unsigned char)c) && (i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_' || s[i - 1] == '.' || s[i - 1] == '$'))) {
			size_t k = i;
			while (k < n && (isalnum((unsigned char)s[k]) || s[k] == '_'))
				k++;
			if ((k - i == 3 && !strncmp(s + i, "and", 3)) || (k - i == 2 && !strncmp(s + i, "or", 2)))
				return -1;
			i = k - 1;
			continue;
		}
		for (int o = 0; ops[o]; o++) {
			size_t l = strlen(ops[o]);
			if (strncmp(s + i, ops[o], l))
				continue;
			/* "<" or ">" followed by "=" was matched as "<=" / ">=" first;
			 * "=" alone (assignment) or "|=" etc. are not comparisons */
			if (found)
				return -1;
			found = 1;
			*pos = i;
			*oplen = l;
			i += l - 1;
			break;
		}
		if (c == '=' && !found)
			return -1;
	}
	return found ? 0 : -1;
}

/* s[i], or '\\0' at the end */
static char s_at(const char *s, size_t i, size_t n)
{
	return i < n ? s[i] : '\0';
}

static void silent_err(void *data, jv msg)
{
	(void)data;
	jv_free(msg);
}

/* A plain path (expr_path.c): its value as jq gives it, in *out ("(error)" where jq
 * stops with an error), and 0; -1 for any other text (jq then decides). A wait shows
 * what its `until` looked at after every poll: one jq_compile per poll and path was most
 * of a rehearsal's instructions (rds-snapshot-restore: 10.9 G of 11.5 G). */
static int path_value(const char *s, jv ctx, char **out)
{
	jv v;
	if (expr_path_get(s, ctx, &v) < 0)
		return -1;
	if (jv_is_valid(v)) {
		*out = jvx_dump(v);
	} else {
		jv_free(v);
		*out = xstrdup("(error)");
	}
	return 0;
}

/* evaluate text against ctx (borrowed): a plain path by path_value, else with a fresh
 * jq_state; compact JSON or NULL */
char *assert_eval(const char *text, jv ctx)
{
	char *res;
	if (path_value(text, ctx, &res) == 0)
		return res;
	return assert_eval_jq(text, ctx);
}

/* evaluate text against ctx (borrowed) with a fresh jq_state; compact JSON or NULL */
char *assert_eval_jq(const char *text, jv ctx)
{
	jq_state *jq = jq_init();
	char *res = NULL;
	if (!jq)
		return NULL;
	jq_set_error_cb(jq, silent_err, NULL);
	if (!jq_compile(jq, text))
		goto out;
	jq_start(jq, jvx_deep_copy(ctx), 0);
	jv v = jq_next(jq);
	if (jv_is_valid(v)) {
		res = jvx_dump(v);
	} else {
		jv msg = jv_invalid_has_msg(jv_copy(v)) ? jv_invalid_get_msg(jv_copy(v)) : jv_null();
		jv_free(v);
		if (jv_get_kind(msg) == JV_KIND_STRING)
			res = xstrdup("(error)");
		else
			res = xstrdup("(no value)");
		jv_free(msg);
	}
out:
	jq_teardown(&jq);
	return res;
}

char *assert_explain(const char *expr, jv ctx)
{
	int berr = 0;
	size_t pos, oplen;
	if (split_cmp(expr, &pos, &oplen) < 0)
		return NULL;
	char *left = xstrndup(expr, pos);
	char *right = xstrdup(expr + pos + oplen);
	char *op = xstrndup(expr + pos, oplen);
	char *lv = NULL, *rv = NULL, *res = NULL;
	lv = assert_eval(left, ctx);
	rv = assert_eval(right, ctx);
	if (lv && rv) {
		struct buf b = BUF_INIT(CAP_MESSAGE);
		berr |= buf_addf(&b, "left: %s, right: %s", lv, rv);
		if (berr) {    /* at the cap: each side cut to a part of it, marked */
			buf_reset(&b);
			if (buf_addf(&b, "left: %.16000s..., right: %.16000s...", lv, rv) < 0)
				BUG("two cut sides over the explanation's cap");
		}
		res = buf_detach(&b);
	}
	free(left);
	free(right);
	free(op);
	free(lv);
	free(rv);
	return res;
}

/* copy of s[0..n) without surrounding blanks and one pair of enclosing parentheses */
static char *clause_dup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '(' && s[n - 1] == ')') {
		int depth = 0;
		size_t i;
		for (i = 0; i < n - 1; i++) {
			depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
			if (!depth)
				break;          /* "(a) == (b)": the first ( closes early */
		}
		if (i == n - 1)
			return clause_dup(s + 1, n - 2);
	}
	return xstrndup(s, n);
}

/* one clause `A OP B` (or a bare path): "A was V" into b, for the side that is a path
 * (values_only: "V") */
static int seen_clause(struct buf *b, char *clause, jv ctx, int values_only)
{
	size_t pos, oplen;
	char *path, *v;
	int rc = 0;
	if (split_cmp(clause, &pos, &oplen) == 0) {
		char *l = clause_dup(clause, pos);
		char *r = clause_dup(clause + pos + oplen, strlen(clause + pos + oplen));
		int left = l[0] == '.' || l[0] == '$' || r[0] != '.';
		path = left ? l : r;
		free(left ? r : l);
		if (!strpbrk(path, ".$")) {     /* `"x" == "y"`: nothing was looked at */
			free(path);
			return 0;
		}
	} else if (clause[0] == '.') {
		path = xstrdup(clause);
	} else {
		return 0;
	}
	v = assert_eval(path, ctx);
	if (v) {
		int cut = strlen(v) > SEEN_MAX;    /* long values end in "..." */
		/* values_only: the path's last name is enough to tell what it is */
		const char *name = path;
		for (const char *q = path; *q; q++)
			if (*q == '.' && isalpha((unsigned char)q[1]))
				name = q + 1;
		size_t nlen = strcspn(name, "[ ");
		if (values_only)
			rc = buf_addf(b, "%s%.*s %.*s%s", b->len ? ", " : "", (int)nlen, name,
				      cut ? SEEN_MAX - 3 : (int)strlen(v), v, cut ? "..." : "");
		else
			rc = buf_addf(b, "%s%s was %.*s%s", b->len ? ", " : "", path,
				      cut ? SEEN_MAX - 3 : (int)strlen(v), v, cut ? "..." : "");
	}
	free(v);
	free(path);
	return rc;
}

static char *seen(const char *expr, jv ctx, int values_only)
{
	struct buf b = BUF_INIT(CAP_MESSAGE);
	size_t n = strlen(expr), start = 0;
	int depth = 0;
	char *res = NULL;
	/* split at top-level `and` / `or`; anything else at the top (`|`, `,`, `//`,
	 * comments) is too clever to guess at */
	for (size_t i = 0; i <= n; i++) {
		char c = s_at(expr, i, n);
		size_t w = 0;
		if (c == '"') {
			for (i++; i < n && expr[i] != '"'; i++)
				if (expr[i] == '\\')
					i++;
			continue;
		}
		if (c == '(' || c == '[' || c == '{')
			depth++;
		else if (c == ')' || c == ']' || c == '}')
			depth--;
		if (depth)
			continue;
		if (c == '#' || c == '|' || c == ',' || (c == '/' && expr[i + 1] == '/'))
			goto out;
		if (c && isalpha((unsigned char)c) && (i == 0 || !(isalnum((unsigned char)expr[i - 1]) ||
		    expr[i - 1] == '_' || expr[i - 1] == '.' || expr[i - 1] == '$'))) {
			size_t k = i;
			while (k < n && (isalnum((unsigned char)expr[k]) || expr[k] == '_'))
				k++;
			if ((k - i == 3 && !strncmp(expr + i, "and", 3)) || (k - i == 2 && !strncmp(expr + i, "or", 2)))
				w = k - i;
			else {
				i = k - 1;
				continue;
			}
		}
		if (c && !w)
			continue;
		char *clause = clause_dup(expr + start, i - start);
		int rc = seen_clause(&b, clause, ctx, values_only);
		free(clause);
		if (rc < 0)
			goto out;
		start = i + w;
		if (w)
			i += w - 1;
	}
	if (b.len)
		res = buf_detach(&b);
out:
	buf_release(&b);
	return res;
}

char *assert_seen(const char *expr, jv ctx)
{
	return seen(expr, ctx, 0);
}

char *assert_seen_values(const char *expr, jv ctx)
{
	return seen(expr, ctx, 1);
}
