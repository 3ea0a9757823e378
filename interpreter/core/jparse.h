/* jparse.h — JSON text to jv, fast, with libjq's result.
 *
 * libjq 1.6's parser costs ~170 instructions a byte (a function call and a token
 * buffer per character); reading a run's journal and plan.json back for its reports
 * spent more on that than on the reports. jparse reads strict JSON (RFC 8259: the
 * literals, numbers in JSON's grammar, strings with no raw control character and no
 * \u escape of a surrogate half) itself, building the value with the jv calls libjq's
 * parser makes (jv_string_sized, jv_number of the correctly rounded double,
 * jv_object_set in text order, jv_array_append), so the value is the same; any other
 * text (an error, a BOM, a lone surrogate, nesting deeper than 200) goes to
 * jvx_parse_sized, which answers as libjq does.
 */
#ifndef RB_JPARSE_H
#define RB_JPARSE_H
#include <stddef.h>
#include <jv.h>

/* the one value of text[0..len) (whitespace around it), or jv_invalid_with_msg: what
 * jvx_parse_sized(text, len) returns */
jv jparse(const char *text, size_t len);

/* A parser for many texts (a journal's lines): a short string it has read before
 * (keys, step ids, statuses) is the same jv string again (jv_copy; a jv string is never
 * changed in place), not a new one. Its values belong to the calling thread, like any
 * jv. Release it when done; the values it returned live on. */
#define JPARSE_CACHE 512
#define JPARSE_SHORT 22      /* run ids (21 bytes) are short; timestamps (24) are not */
struct jparser_seen {
	jv s;
	unsigned char len;
	char bytes[JPARSE_SHORT];
};
struct jparser {
	struct jparser_seen cache[JPARSE_CACHE];
};
void jparser_init(struct jparser *p);
jv jparser_parse(struct jparser *p, const char *text, size_t len);
void jparser_release(struct jparser *p);
/* Only the parts of a value a reader uses: keep lists the members kept of every object
 * it applies to (key "*": any), each with what to keep of its value (sub; NULL: all of
 * it); arrays pass keep on to their elements; other members are checked and skipped,
 * never made jv. The value is jparser_parse's but for the members left out; text that
 * is not strict JSON gives jparser_parse's whole value. */
struct jkeep {
	const char *key;              /* NULL ends a list */
	const struct jkeep *sub;
};
jv jparser_parse_keep(struct jparser *p, const char *text, size_t len, const struct jkeep *keep);
/* Only some members of an object's text: out[i] the value of the member named names[i]
 * (a new reference, as jparser_parse would give it; invalid when absent; the last when
 * repeated), every other member checked and passed over without a jv. 0, or -1 (out
 * all invalid) when text is not an object jparse reads itself (then jparser_parse it:
 * that answers as libjq does), or a key has an escape. */
int jparser_fields(struct jparser *p, const char *text, size_t len, const char *const *names, size_t n,
		   jv *out);
#endif
