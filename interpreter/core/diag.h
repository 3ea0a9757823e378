/* diag.h — sources, locations and diagnostics.
 *
 * Every model node keeps a struct srcloc. Diagnostics print like jq's and git's:
 *   restore.yaml:14:17: error: step 'migrate' needs unknown step 'bakup' (did you mean 'backup'?)
 *      14 |     needs: [bakup]
 *         |             ^
 * Messages are lowercase, no full stop, the problem first, names quoted.
 *
 * Ownership: a struct source owns its path and text; sources live in a source_list
 * that outlives every srcloc pointing at them. A diag_list owns its messages.
 * Functions elsewhere return 0 / -1 and append to a diag_list; only cli/ prints
 * and exits.
 */
#ifndef RB_DIAG_H
#define RB_DIAG_H
#include <stdio.h>
#include <stddef.h>

struct source {
	char *path;             /* as the user named it */
	char *text;             /* whole file, NUL-terminated */
	size_t len;
	size_t *lines;          /* offsets of line starts, filled lazily */
	int nlines;
};

struct source_list {
	struct source **items;
	int n, alloc;
};

struct srcloc {
	const struct source *src;   /* NULL: no location (command line, environment) */
	int line, col;              /* 1-based; 0 when unknown */
};

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

struct diag {
	enum diag_level level;
	struct srcloc loc;
	char *msg;
};

struct diag_list {
	struct diag *items;
	int n, alloc;
	int nerrors;
};

/* read a file (or "-" for stdin) into a new source added to the list; NULL and a
 * diagnostic without location on failure */
struct source *source_load(struct source_list *sl, const char *path, struct diag_list *dl);
/* a source from memory (tests, command line); text is copied */
struct source *source_from_text(struct source_list *sl, const char *name, const char *text, size_t len);
void source_list_release(struct source_list *sl);
/* the text of line n (1-based) without its newline; *len set; NULL if out of range */
const char *source_line(const struct source *src, int line, size_t *len);

void diag_add(struct diag_list *dl, enum diag_level lvl, const struct srcloc *loc,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define diag_error(dl, loc, ...) diag_add((dl), DIAG_ERROR, (loc), __VA_ARGS__)
#define diag_warn(dl, loc, ...) diag_add((dl), DIAG_WARNING, (loc), __VA_ARGS__)
#define diag_note(dl, loc, ...) diag_add((dl), DIAG_NOTE, (loc), __VA_ARGS__)
/* sort by file, line, column (stable), so "all errors at once" read top to bottom */
void diag_sort(struct diag_list *dl);
/* print every diagnostic: "path:line:col: error: msg", then the line and a caret.
 * color: 1 = ANSI colors (caller decides from isatty and NO_COLOR) */
void diag_print(const struct diag_list *dl, FILE *out, int color);
/* one diagnostic as a single line without the source excerpt (for journals, json) */
char *diag_format_line(const struct diag *d);
void diag_list_release(struct diag_list *dl);
/* move all diagnostics from src into dst */
void diag_list_take(struct diag_list *dst, struct diag_list *src);

/* the closest candidate within edit distance 2 (or a third of the length), or NULL:
 * for "did you mean" notes. names has n entries, or is NULL-terminated when n < 0. */
const char *diag_suggest(const char *word, const char *const *names, int n);
#endif
