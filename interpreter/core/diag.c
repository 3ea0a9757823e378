/* diag.c — sources, locations and diagnostics (see diag.h) */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "bug.h"
#include "diag.h"
#include "caps.h"


static struct source *source_add(struct source_list *sl, const char *path, char *text, size_t len)
{
	struct source *s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	s->text = text;
	s->len = len;
	ALLOC_GROW(sl->items, sl->n + 1, sl->alloc);
	sl->items[sl->n++] = s;
	return s;
}

struct source *source_load(struct source_list *sl, const char *path, struct diag_list *dl)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	struct buf b = BUF_INIT(CAP_SOURCE);
	char chunk[65536];
	size_t n;

	if (!f) {
		diag_error(dl, NULL, "cannot read '%s': %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n) < 0) {
			diag_error(dl, NULL, "'%s' is larger than %u MiB", path, CAP_SOURCE >> 20);
			goto fail;
		}
	}
	if (ferror(f)) {
		diag_error(dl, NULL, "cannot read '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	size_t len = b.len;
	return source_add(sl, path, buf_detach(&b), len);
fail:
	if (f != stdin)
		fclose(f);
	buf_release(&b);
	return NULL;
}

struct source *source_from_text(struct source_list *sl, const char *name, const char *text, size_t len)
{
	return source_add(sl, name, xstrndup(text, len), len);
}

void source_list_release(struct source_list *sl)
{
	for (int i = 0; i < sl->n; i++) {
		free(sl->items[i]->path);
		free(sl->items[i]->text);
		free(sl->items[i]->lines);
		free(sl->items[i]);
	}
	free(sl->items);
	sl->items = NULL;
	sl->n = sl->alloc = 0;
}

const char *source_line(const struct source *csrc, int line, size_t *len)
{
	/* the line table is a cache: filling it does not change what the source says */
	struct source *src = (struct source *)csrc;
	if (!src->lines) {
		size_t alloc = 0;
		int n = 0;
		ALLOC_GROW(src->lines, 1, alloc);
		src->lines[n++] = 0;
		for (size_t i = 0; i < src->len; i++)
			if (src->text[i] == '\n' && i + 1 <= src->len) {
				ALLOC_GROW(src->lines, (size_t)n + 1, alloc);
				src->lines[n++] = i + 1;
			}
		src->nlines = n;
	}
	if (line < 1 || line > src->nlines)
		return NULL;
	size_t start = src->lines[line - 1];
	if (start > src->len)
		return NULL;
	size_t end = start;
	while (end < src->len && src->text[end] != '\n')
		end++;
	if (end > start && src->text[end - 1] == '\r')
		end--;
	*len = end - start;
	return src->text + start;
}

void diag_add(struct diag_list *dl, enum diag_level lvl, const struct srcloc *loc, const char *fmt, ...)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	va_list ap;
	va_start(ap, fmt);
	berr |= buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ALLOC_GROW(dl->items, dl->n + 1, dl->alloc);
	struct diag *d = &dl->items[dl->n++];
	d->level = lvl;
	if (loc)
		d->loc = *loc;
	else
		memset(&d->loc, 0, sizeof(d->loc));
	/* vsnprintf can refuse a format (an encoding error): keep a diagnostic anyway */
	d->msg = berr ? xstrdup("(a message that could not be formatted)") : buf_detach(&b);
	buf_release(&b);
	if (lvl == DIAG_ERROR)
		dl->nerrors++;
}

/* Notes belong to the diagnostic before them: sort groups (a diagnostic and its notes)
 * by the location of their head, stable. */
struct group { int start, len; };

static int locs_cmp(const struct srcloc *a, const struct srcloc *b)
{
	if (!a->src != !b->src)
		return a->src ? 1 : -1;   /* unlocated (command line) first */
	if (a->src && a->src != b->src) {
		int c = strcmp(a->src->path, b->src->path);
		if (c)
			return c;
	}
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

static const struct diag *sort_base;
static int group_cmp(const void *x, const void *y)
{
	const struct group *a = x, *b = y;
	int c = locs_cmp(&sort_base[a->start].loc, &sort_base[b->start].loc);
	if (c)
		return c;
	return a->start < b->start ? -1 : a->start > b->start;
}

void diag_sort(struct diag_list *dl)
{
	if (dl->n < 2)
		return;
	struct group *g = xmalloc(sizeof(*g) * (size_t)dl->n);
	int ng = 0;
	for (int i = 0; i < dl->n; i++) {
		if (dl->items[i].level == DIAG_NOTE && ng > 0) {
			g[ng - 1].len++;
			continue;
		}
		g[ng].start = i;
		g[ng].len = 1;
		ng++;
	}
	sort_base = dl->items;
	qsort(g, (size_t)ng, sizeof(*g), group_cmp);
	struct diag *out = xmalloc(sizeof(*out) * (size_t)dl->n);
	int k = 0;
	for (int i = 0; i < ng; i++)
		for (int j = 0; j < g[i].len; j++)
			out[k++] = dl->items[g[i].start + j];
	free(dl->items);
	dl->items = out;
	dl->alloc = dl->n;
	free(g);
}

static const char *level_name[] = { "error", "warning", "note" };
static const char *level_color[] = { "\033[1;31m", "\033[1;35m", "\033[1;36m" };

static void print_one(const struct diag *d, FILE *out, int color)
{
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	if (d->loc.src && d->loc.line > 0)
		fprintf(out, "%s%s:%d:%d:%s ", bold, d->loc.src->path, d->loc.line, d->loc.col, reset);
	else if (d->loc.src)
		fprintf(out, "%s%s:%s ", bold, d->loc.src->path, reset);
	else
		fprintf(out, "%srunbook:%s ", bold, reset);
	fprintf(out, "%s%s:%s %s\n", color ? level_color[d->level] : "", level_name[d->level], reset, d->msg);

	size_t len;
	const char *line = d->loc.src && d->loc.line > 0 ? source_line(d->loc.src, d->loc.line, &len) : NULL;
	if (!line)
		return;
	fprintf(out, "%5d | %.*s\n      | ", d->loc.line, (int)len, line);
	/* pad to the column counting characters (UTF-8 lead bytes), keeping tabs as tabs */
	int col = 1;
	for (size_t i = 0; i < len && col < d->loc.col; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c & 0xC0) == 0x80)
			continue;
		fputc(c == '\t' ? '\t' : ' ', out);
		col++;
	}
	fprintf(out, "%s^%s\n", color ? "\033[1;32m" : "", reset);
}

void diag_print(const struct diag_list *dl, FILE *out, int color)
{
	for (int i = 0; i < dl->n; i++)
		print_one(&dl->items[i], out, color);
}

char *diag_format_line(const struct diag *d)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	if (d->loc.src && d->loc.line > 0)
		berr |= buf_addf(&b, "%s:%d:%d: ", d->loc.src->path, d->loc.line, d->loc.col);
	else if (d->loc.src)
		berr |= buf_addf(&b, "%s: ", d->loc.src->path);
	berr |= buf_addf(&b, "%s: %s", level_name[d->level], d->msg);
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

void diag_list_release(struct diag_list *dl)
{
	for (int i = 0; i < dl->n; i++)
		free(dl->items[i].msg);
	free(dl->items);
	memset(dl, 0, sizeof(*dl));
}

void diag_list_take(struct diag_list *dst, struct diag_list *src)
{
	for (int i = 0; i < src->n; i++) {
		ALLOC_GROW(dst->items, dst->n + 1, dst->alloc);
		dst->items[dst->n++] = src->items[i];
		if (src->items[i].level == DIAG_ERROR)
			dst->nerrors++;
	}
	free(src->items);
	memset(src, 0, sizeof(*src));
}

/* Damerau-free Levenshtein distance, bounded rows on the stack for short words */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	int row[65], prev;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j];
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

const char *diag_suggest(const char *word, const char *const *names, int n)
{
	const char *best = NULL;
	int best_d = 99;
	int limit = (int)strlen(word) / 3;
	if (limit < 2)
		limit = 2;
	for (int i = 0; n < 0 ? names[i] != NULL : i < n; i++) {
		if (!names[i])
			continue;
		int d = distance(word, names[i]);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best_d <= limit && best_d > 0 ? best : NULL;
}
