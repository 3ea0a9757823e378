/* expr_path.c — plain paths read from a value as jq 1.6 reads them (see expr.h).
 *
 * Most expressions of real runbooks are plain paths (`.params.x`, `.steps.s.outputs.y`:
 * 320 of the 367 templates of the bundled runbooks and stdlib). A path needs no
 * jq_compile — which costs libjq 1.6 the parse and binding of its builtins, most of a
 * rehearsal's instructions and the peak of its heap — and its value is each key taken
 * by libjq's own jv_get, so values and errors are jq's, word for word.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "expr.h"

/* jq 1.6 reads `.if` as a syntax error: a keyword after "." is left to jq */
static int is_keyword(const char *k, size_t n)
{
	static const char *const kw[] = {"and", "or", "not", "if", "then", "elif", "else", "end", "as",
		"def", "reduce", "foreach", "try", "catch", "label", "import", "include", "__loc__", NULL};
	for (int i = 0; kw[i]; i++)
		if (strlen(kw[i]) == n && !memcmp(kw[i], k, n))
			return 1;
	return 0;
}

static int space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* the next key of the path at *sp, advanced past it: 0 and *key (a string or number;
 * not made when key is NULL), or -1 when what follows is not one */
static int next_key(const char **sp, int first, jv *key)
{
	const char *s = *sp;
	if (*s == '.' && (isalpha((unsigned char)s[1]) || s[1] == '_')) {
		const char *k = ++s;
		while (isalnum((unsigned char)*s) || *s == '_')
			s++;
		if (is_keyword(k, (size_t)(s - k)))
			return -1;
		if (key)
			*key = jv_string_sized(k, (int)(s - k));
		*sp = s;
		return 0;
	}
	s += *s == '.' && first;        /* `.[0]` first, `.a[0]` after (1.6 has no `.a.[0]`) */
	if (*s != '[')
		return -1;
	s++;
	if (*s == '"') {
		const char *k = ++s;
		while (*s && *s != '"' && *s != '\\')
			s++;
		if (*s != '"' || s[1] != ']')
			return -1;             /* escapes and interpolation: jq's */
		if (key)
			*key = jv_string_sized(k, (int)(s - k));
		*sp = s + 2;
		return 0;
	}
	char *end;
	long i = strtol(s, &end, 10);
	if (end == s || *end != ']' || !(isdigit((unsigned char)*s) || *s == '-') ||
	    i > 1000000000L || i < -1000000000L)
		return -1;
	if (key)
		*key = jv_number((double)i);
	*sp = end + 1;
	return 0;
}

/* text without the whitespace around it: [*s, *end) */
static int trimmed(const char *text, const char **s, const char **end)
{
	*s = text;
	*end = text + strlen(text);
	while (space(**s))
		(*s)++;
	while (*end > *s && space((*end)[-1]))
		(*end)--;
	return **s == '.' && *end - *s >= 2 ? 0 : -1;
}

/* walk the keys of text: 0 when it is a plain path (each key given to fn when fn is
 * set), -1 when it is not (fn may have been given some of its keys) */
static int walk(const char *text, void (*fn)(void *, jv), void *arg)
{
	const char *s, *end;
	if (trimmed(text, &s, &end) < 0)
		return -1;
	for (int first = 1; s < end; first = 0) {
		jv k;
		if (next_key(&s, first, fn ? &k : NULL) < 0)
			return -1;
		if (s > end) {
			if (fn)
				jv_free(k);
			return -1;
		}
		if (fn)
			fn(arg, k);
	}
	return 0;
}

int expr_is_path(const char *text)
{
	return walk(text, NULL, NULL) == 0;
}

/* jq's INDEX, key by key: null through null and missing keys, jv_get's error else */
static void index_by(void *arg, jv key)
{
	jv *v = arg;
	if (jv_is_valid(*v))
		*v = jv_get(*v, key);
	else
		jv_free(key);
}

int expr_path_get(const char *text, jv ctx, jv *out)
{
	jv v = jv_copy(ctx);
	if (walk(text, index_by, &v) < 0) {
		jv_free(v);        /* what a text that is no path read so far */
		return -1;
	}
	*out = v;
	return 0;
}
