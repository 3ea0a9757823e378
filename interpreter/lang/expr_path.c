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

/* the next key of the path at *s (advanced past it): a string or number jv, or invalid
 * when what follows is not one */
static jv next_key(const char **sp, int first)
{
	const char *s = *sp;
	if (*s == '.' && (isalpha((unsigned char)s[1]) || s[1] == '_')) {
		const char *k = ++s;
		while (isalnum((unsigned char)*s) || *s == '_')
			s++;
		if (is_keyword(k, (size_t)(s - k)))
			return jv_invalid();
		*sp = s;
		return jv_string_sized(k, (int)(s - k));
	}
	s += *s == '.' && first;        /* `.[0]` first, `.a[0]` after (1.6 has no `.a.[0]`) */
	if (*s != '[')
		return jv_invalid();
	s++;
	if (*s == '"') {
		const char *k = ++s;
		while (*s && *s != '"' && *s != '\\')
			s++;
		if (*s != '"' || s[1] != ']')
			return jv_invalid();   /* escapes and interpolation: jq's */
		*sp = s + 2;
		return jv_string_sized(k, (int)(s - k));
	}
	char *end;
	long i = strtol(s, &end, 10);
	if (end == s || *end != ']' || !(isdigit((unsigned char)*s) || *s == '-') ||
	    i > 1000000000L || i < -1000000000L)
		return jv_invalid();
	*sp = end + 1;
	return jv_number((double)i);
}

/* the keys of text when it is a plain path, else invalid */
static jv path_keys(const char *text)
{
	const char *s = text, *end = text + strlen(text);
	while (space(*s))
		s++;
	while (end > s && space(end[-1]))
		end--;
	if (*s != '.' || end - s < 2)
		return jv_invalid();
	jv keys = jv_array();
	for (int first = 1; s < end; first = 0) {
		jv k = next_key(&s, first);
		if (!jv_is_valid(k) || s > end) {
			jv_free(k);
			jv_free(keys);
			return jv_invalid();
		}
		keys = jv_array_append(keys, k);
	}
	return keys;
}

int expr_is_path(const char *text)
{
	jv keys = path_keys(text);
	int ok = jv_is_valid(keys);
	jv_free(keys);
	return ok;
}

int expr_path_get(const char *text, jv ctx, jv *out)
{
	jv keys = path_keys(text);
	if (!jv_is_valid(keys)) {
		jv_free(keys);
		return -1;
	}
	jv v = jv_copy(ctx);
	jv_array_foreach(keys, i, k) {
		if (jv_is_valid(v))
			v = jv_get(v, k);       /* jq's INDEX: null through null and missing keys */
		else
			jv_free(k);
	}
	jv_free(keys);
	*out = v;
	return 0;
}
