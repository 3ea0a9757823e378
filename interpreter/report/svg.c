/* svg.c — the run's timeline as an SVG Gantt chart.
 *
 * One row per step of the plan (a bar from its start to its end, coloured by status;
 * never-run steps without a bar), then one per rollback action in its own colour, then
 * the finally steps. Waits show their polls as ticks, retries as red marks; the
 * critical path is underlined; the RTO objective is a vertical line. A time axis with
 * round s/m/h labels; a legend. Fixed width, every name escaped, and deterministic:
 * the same report gives the same bytes.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "report_int.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"

#define W          1000     /* the picture's width */
#define LABEL_X    12       /* step names start here */
#define LABEL_CHARS 32      /* longer names are cut with an ellipsis */
#define X0         250      /* the chart's left edge (time 0) */
#define X1         (W - 40) /* its right edge */
#define ROW        22       /* row height */
#define BAR        14       /* bar height */
#define TOP        70       /* the first row */

struct colour { const char *status, *fill, *label, *stroke; };

/* step states, in the legend's order */
static const struct colour step_colours[] = {
	{ "succeeded",   "#43a047", "succeeded" },
	{ "failed",      "#e53935", "failed" },
	{ "skipped",     "#bdbdbd", "skipped" },
	{ "dry_run",     "#90a4ae", "dry run" },
	{ "rolled_back", "#8d6e63", "rolled back" },
	{ "running",     "#fb8c00", "running (stopped)" },
};
static const struct colour rollback_colours[] = {
	{ "succeeded", "#7e57c2", "rollback action" },
	{ "failed",    "#c62828", "rollback action failed", "#7e57c2" },
	{ "skipped",   "#d1c4e9", "rollback action skipped" },
	{ "running",   "#b39ddb", "rollback action unfinished" },
};

#define NCOLOURS(t) (sizeof(t) / sizeof((t)[0]))

static const struct colour *colour_of(const struct colour *t, size_t n, const char *status)
{
	for (size_t i = 0; i < n; i++)
		if (status && !strcmp(t[i].status, status))
			return &t[i];
	return &t[n - 1];
}

struct chart {
	struct buf *b;
	double span;                 /* ms shown across X0..X1 */
	int y;                       /* the next row's top */
	unsigned used_step, used_rb; /* colours used: bit i of step_colours / rollback_colours */
	int polls, retries, critical, rto;
	int berr;                    /* an append failed (legend) */
};

static double xof(const struct chart *c, double ms)
{
	if (ms < 0)
		ms = 0;
	return X0 + ms * (X1 - X0) / c->span;
}

/* a name for the label column, cut on a UTF-8 boundary */
static int label(struct buf *b, const char *s)
{
	int berr = 0;
	size_t n = 0;
	const char *p = s;
	for (; *p && n < LABEL_CHARS; p++)
		if (((unsigned char)*p & 0xC0) != 0x80)
			n++;
	while (*p && ((unsigned char)*p & 0xC0) == 0x80)
		p++;
	struct buf cut = BUF_INIT(0);
	berr |= buf_add(&cut, s, (size_t)(p - s));
	if (*p)
		berr |= buf_adds(&cut, "…");
	berr |= rep_add_xml(b, buf_str(&cut));
	buf_release(&cut);
	return berr;
}

/* a round step for about 8 ticks across span, from the s/m/h scale */
static int64_t tick_step(double span)
{
	static const int64_t steps[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000,
		30000, 60000, 120000, 300000, 600000, 900000, 1800000, 3600000, 7200000, 10800000,
		21600000, 43200000, 86400000 };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / (double)steps[i] <= 8)
			return steps[i];
	return (int64_t)(span / 8 / 86400000 + 1) * 86400000;
}

static int axis(struct chart *c, int bottom)
{
	int berr = 0;
	int64_t step = tick_step(c->span);
	char d[32];
	berr |= rep_addf(c->b, "<g class=\"axis\" font-size=\"11\" fill=\"#555\">\n");
	for (int64_t t = 0; (double)t <= c->span + 0.5; t += step) {
		double x = xof(c, (double)t);
		berr |= rep_addf(c->b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e0e0e0\"/>\n", x, TOP - 4, x,
			 bottom);
		berr |= rep_addf(c->b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, TOP - 9,
			 t ? dur_format(t, d, sizeof(d)) : "0");
	}
	berr |= buf_adds(c->b, "</g>\n");
	return berr;
}

/* "+1m30s, took 20m; 12 polls" for a bar's tooltip (off, dur: the row's offset_ms
 * and duration_ms) */
static int when(struct buf *b, jv off, jv dur)
{
	int berr = 0;
	berr |= buf_adds(b, "+");
	berr |= rep_vms(b, off);
	berr |= buf_adds(b, ", took ");
	berr |= rep_vms(b, dur);
	return berr;
}

/* a: the row's offset_ms, d: its duration_ms (0 when not numbers) */
static int bar(struct chart *c, const char *cls, const struct colour *col, double a, double d, int critical,
	       const char *tip)
{
	int berr = 0;
	double x = xof(c, a), w = xof(c, a + d) - x;
	int top = c->y + (ROW - BAR) / 2;
	if (w < 2)
		w = 2;
	berr |= rep_addf(c->b, "<rect class=\"bar %s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"2\" fill=\"%s\"",
		 cls, x, top, w, BAR, col->fill);
	if (col->stroke)
		berr |= rep_addf(c->b, " stroke=\"%s\" stroke-width=\"2\"", col->stroke);
	berr |= buf_adds(c->b, "><title>");
	berr |= rep_add_xml(c->b, tip);
	berr |= buf_adds(c->b, "</title></rect>\n");
	/* the critical path: a dark line under the bar (an outline would hide a thin bar's colour) */
	if (critical)
		berr |= rep_addf(c->b, "<rect class=\"critical\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"3\" fill=\"#212121\"/>\n",
			 x, top + BAR + 1, w < 4 ? 4 : w);
	/* the duration after the bar; at the right edge inside a long bar, else before it */
	char dd[32];
	if (d <= 0)
		return berr;
	dur_format((int64_t)d, dd, sizeof(dd));
	if (x + w + 4 + 7 * (double)strlen(dd) < W)
		berr |= rep_addf(c->b, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#616161\">%s</text>\n", x + w + 4,
			 c->y + ROW / 2 + 4, dd);
	else if (w > 12 + 7 * (double)strlen(dd))
		berr |= rep_addf(c->b, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#fff\" font-weight=\"bold\" "
			 "text-anchor=\"end\">%s</text>\n", x + w - 4, c->y + ROW / 2 + 4, dd);
	else
		berr |= rep_addf(c->b, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#616161\" text-anchor=\"end\">%s</text>\n",
			 x - 4, c->y + ROW / 2 + 4, dd);
	return berr;
}

static int marks(struct chart *c, const struct rep_row *s)
{
	int berr = 0;
	jv polls = jv_get_kind(s->poll_offsets_ms) == JV_KIND_ARRAY ? jv_copy(s->poll_offsets_ms) : jv_array();
	jv retries = jv_get_kind(s->retry_offsets_ms) == JV_KIND_ARRAY ? jv_copy(s->retry_offsets_ms) : jv_array();
	int top = c->y + (ROW - BAR) / 2;
	jv_array_foreach(polls, i, t) {
		double x = xof(c, jv_number_value(t));
		berr |= rep_addf(c->b, "<line class=\"poll\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#1b5e20\" "
			 "stroke-width=\"1\"/>\n", x, top + 2, x, top + BAR - 2);
		c->polls = 1;
		jv_free(t);
		(void)i;
	}
	jv_array_foreach(retries, i, t) {
		double x = xof(c, jv_number_value(t));
		berr |= rep_addf(c->b, "<path class=\"retry\" d=\"M%.1f %d l-4 -6 h8 z\" fill=\"#d32f2f\"><title>attempt %d "
			 "failed, retried</title></path>\n", x, top, i + 1);
		c->retries = 1;
		jv_free(t);
	}
	jv_free(polls);
	jv_free(retries);
	return berr;
}

static int stripe(struct chart *c, int row)
{
	int berr = 0;
	if (row % 2)
		berr |= rep_addf(c->b, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#000\" fill-opacity=\"0.035\"/>\n", c->y, W, ROW);
	return berr;
}

static int step_row(struct chart *c, const struct rep_row *s, int row)
{
	int berr = 0;
	const char *st = rep_vstr(s->status, "pending"), *id = rep_vstr(s->id, "?");
	int crit = rep_vbool(s->on_critical_path, 0);
	jv off = s->offset_ms;
	int64_t polls = llround(rep_vnum(s->polls, 0)), retries = llround(rep_vnum(s->retries, 0)),
		items = llround(rep_vnum(s->items, 0));
	struct buf tip = BUF_INIT(0);
	berr |= stripe(c, row);
	berr |= rep_addf(c->b, "<text x=\"%d\" y=\"%d\"%s%s>", LABEL_X, c->y + ROW / 2 + 4,
		 crit ? " font-weight=\"bold\"" : "", !strcmp(st, "pending") ? " fill=\"#9e9e9e\"" : "");
	berr |= label(c->b, id);
	berr |= buf_adds(c->b, "</text>\n");
	if (strcmp(st, "pending") && jv_get_kind(off) == JV_KIND_NUMBER) {
		size_t k = (size_t)(colour_of(step_colours, NCOLOURS(step_colours), st) - step_colours);
		c->used_step |= 1u << k;
		c->critical |= crit;
		berr |= rep_addf(&tip, "%s", id);
		if (rep_vstr(s->name, NULL))
			berr |= rep_addf(&tip, " (%s)", rep_vstr(s->name, NULL));
		berr |= rep_addf(&tip, ": %s, ", st);
		berr |= when(&tip, s->offset_ms, s->duration_ms);
		if (polls)
			berr |= rep_addf(&tip, ", %" PRId64 " polls", polls);
		if (retries)
			berr |= rep_addf(&tip, ", %" PRId64 " retries", retries);
		if (items)
			berr |= rep_addf(&tip, ", %" PRId64 " items", items);
		if (crit)
			berr |= buf_adds(&tip, "; on the critical path");
		berr |= bar(c, "step", &step_colours[k], rep_vnum(s->offset_ms, 0), rep_vnum(s->duration_ms, 0), crit,
			    buf_str(&tip));
		berr |= marks(c, s);
	} else {
		berr |= rep_addf(c->b, "<text x=\"%d\" y=\"%d\" font-size=\"10\" font-style=\"italic\" fill=\"#9e9e9e\">not run</text>\n",
			 X0 + 4, c->y + ROW / 2 + 4);
	}
	buf_release(&tip);
	c->y += ROW;
	return berr;
}

static int section(struct chart *c, const char *name)
{
	int berr = 0;
	berr |= rep_addf(c->b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#9e9e9e\" stroke-dasharray=\"3 3\"/>\n",
		 LABEL_X, c->y + 4, X1, c->y + 4);
	berr |= rep_addf(c->b, "<text x=\"%d\" y=\"%d\" font-size=\"11\" font-weight=\"bold\" fill=\"#616161\">%s</text>\n",
		 LABEL_X, c->y + 17, name);
	c->y += ROW;
	return berr;
}

static int rollback_row(struct chart *c, jv r, int row)
{
	int berr = 0;
	const char *st = rep_str(r, "status", "succeeded");
	jv off = RGET(r, "offset_ms");
	struct buf name = BUF_INIT(0), tip = BUF_INIT(0);
	size_t k = (size_t)(colour_of(rollback_colours, NCOLOURS(rollback_colours), st) - rollback_colours);
	berr |= stripe(c, row);
	berr |= rep_addf(&name, "↶ %s", rep_str(r, "rollback_step", rep_str(r, "step", "?")));
	berr |= rep_addf(c->b, "<text x=\"%d\" y=\"%d\" fill=\"#4527a0\">", LABEL_X, c->y + ROW / 2 + 4);
	berr |= label(c->b, buf_str(&name));
	berr |= buf_adds(c->b, "</text>\n");
	if (jv_get_kind(off) == JV_KIND_NUMBER) {
		c->used_rb |= 1u << k;
		berr |= rep_addf(&tip, "rollback %s of %s: %s, ", rep_str(r, "rollback_step", "?"), rep_str(r, "step", "?"), st);
		jv o = RGET(r, "offset_ms"), d = RGET(r, "duration_ms");
		berr |= when(&tip, o, d);
		jv_free(o);
		jv_free(d);
		if (RSTR(r, "error")) {
			const char *e = RSTR(r, "error"), *nl = strchr(e, '\n');
			berr |= rep_addf(&tip, "; %.*s", nl ? (int)(nl - e) : (int)strlen(e), e);
		}
		berr |= bar(c, "rollback", &rollback_colours[k], RNUM(r, "offset_ms", 0), RNUM(r, "duration_ms", 0), 0,
			    buf_str(&tip));
	}
	jv_free(off);
	buf_release(&name);
	buf_release(&tip);
	c->y += ROW;
	return berr;
}

/* the RTO objective (and what was achieved) as vertical lines over the rows */
static int rto(struct chart *c, jv rep, int bottom)
{
	int berr = 0;
	jv ob = RGET(rep, "objectives"), o = RGET(ob, "rto");
	jv target = RGET(o, "objective_ms"), got = RGET(o, "achieved_ms");
	const char *v = rep_objective_verdict(rep, "rto");
	char d[32];
	if (jv_get_kind(target) == JV_KIND_NUMBER) {
		double t = jv_number_value(target);
		int off = t > c->span;
		double x = off ? X1 : xof(c, t);
		c->rto = 1;
		berr |= rep_addf(c->b, "<g class=\"rto\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d81b60\" "
			 "stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n", x, TOP - 4, x, bottom);
		berr |= rep_addf(c->b, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#d81b60\" text-anchor=\"end\">RTO %s%s</text></g>\n",
			 x - 3, bottom + 13, dur_format((int64_t)t, d, sizeof(d)), off ? " (beyond the chart) →" : "");
	}
	if (jv_get_kind(got) == JV_KIND_NUMBER && jv_get_kind(target) == JV_KIND_NUMBER) {
		double x = xof(c, jv_number_value(got));
		berr |= rep_addf(c->b, "<g class=\"rto-achieved\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d81b60\" "
			 "stroke-width=\"1\"/>\n", x, TOP - 4, x, bottom);
		berr |= rep_addf(c->b, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#d81b60\"%s>restored %s: %s</text></g>\n",
			 x + (x > X1 - 150 ? -3 : 3), bottom + 26, x > X1 - 150 ? " text-anchor=\"end\"" : "",
			 dur_format((int64_t)jv_number_value(got), d, sizeof(d)), v ? v : "");
	}
	jv_free(target);
	jv_free(got);
	jv_free(o);
	jv_free(ob);
	return berr;
}

static int legend_item(struct chart *c, int x, int y, const char *swatch, const char *text)
{
	c->berr |= rep_addf(c->b, "%s<text x=\"%d\" y=\"%d\">%s</text>\n", swatch, x + 18, y + 10, text);
	return x + 18 + 7 * (int)strlen(text) + 16;
}

static int legend(struct chart *c, int y)
{
	int x = LABEL_X;
	char sw[256];
	c->berr |= rep_addf(c->b, "<g class=\"legend\" font-size=\"11\" fill=\"#424242\">\n");
	for (size_t i = 0; i < NCOLOURS(step_colours); i++)
		if (c->used_step & (1u << i)) {
			snprintf(sw, sizeof(sw), "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"12\" rx=\"2\" fill=\"%s\"/>", x, y,
				 step_colours[i].fill);
			x = legend_item(c, x, y, sw, step_colours[i].label);
		}
	for (size_t i = 0; i < NCOLOURS(rollback_colours); i++)
		if (c->used_rb & (1u << i)) {
			if (x > W - 220) {
				x = LABEL_X;
				y += 18;
			}
			snprintf(sw, sizeof(sw), "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"12\" rx=\"2\" fill=\"%s\"%s%s%s/>",
				 x, y, rollback_colours[i].fill, rollback_colours[i].stroke ? " stroke=\"" : "",
				 rollback_colours[i].stroke ? rollback_colours[i].stroke : "",
				 rollback_colours[i].stroke ? "\" stroke-width=\"2\"" : "");
			x = legend_item(c, x, y, sw, rollback_colours[i].label);
		}
	if (x > W - 400) {
		x = LABEL_X;
		y += 18;
	}
	if (c->critical) {
		snprintf(sw, sizeof(sw), "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"8\" rx=\"2\" fill=\"#bdbdbd\"/>"
			 "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"3\" fill=\"#212121\"/>", x, y, x, y + 9);
		x = legend_item(c, x, y, sw, "critical path");
	}
	if (c->polls) {
		snprintf(sw, sizeof(sw), "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"12\" fill=\"#43a047\"/><line x1=\"%d\" "
			 "y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1b5e20\"/>", x, y, x + 7, y + 2, x + 7, y + 10);
		x = legend_item(c, x, y, sw, "poll");
	}
	if (c->rto) {
		snprintf(sw, sizeof(sw), "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d81b60\" stroke-width=\"2\" "
			 "stroke-dasharray=\"4 2\"/>", x + 7, y, x + 7, y + 12);
		x = legend_item(c, x, y, sw, "RTO objective");
	}
	if (c->retries) {
		snprintf(sw, sizeof(sw), "<path d=\"M%d %d l-4 -6 h8 z\" fill=\"#d32f2f\"/>", x + 7, y + 10);
		x = legend_item(c, x, y, sw, "retry");
	}
	c->berr |= buf_adds(c->b, "</g>\n");
	return y + 18;
}

int report_svg(struct buf *b, jv rep)
{
	int berr = 0;
	jv steps = rep_list(rep, "steps"), rb = RGET(rep, "rollback"), rows = rep_list(rb, "steps");
	jv ob = RGET(rep, "objectives"), o = RGET(ob, "rto"), target = RGET(o, "objective_ms");
	struct chart c = { .b = b };
	struct buf body = BUF_INIT(0), head = BUF_INIT(0);
	int nrows = 0, nfin = 0, nrb = jv_get_kind(rows) == JV_KIND_ARRAY ? jv_array_length(jv_copy(rows)) : 0;
	int nsteps = jv_array_length(jv_copy(steps));
	double end = RNUM(rep, "duration_ms", 0);
	struct rep_row *sr = xcalloc((size_t)nsteps + 1, sizeof(*sr));   /* borrowed from steps */

	/* the span: the run, every bar, and the RTO objective when it is not far beyond */
	jv_array_foreach(steps, i, s) {
		rep_row_of(s, &sr[i]);
		double e = rep_vnum(sr[i].offset_ms, 0) + rep_vnum(sr[i].duration_ms, 0);
		if (e > end)
			end = e;
		nfin += rep_vbool(sr[i].finally, 0);
		jv_free(s);
	}
	jv_array_foreach(rows, i, r) {
		double e = RNUM(r, "offset_ms", 0) + RNUM(r, "duration_ms", 0);
		if (e > end)
			end = e;
		jv_free(r);
		(void)i;
	}
	if (jv_get_kind(target) == JV_KIND_NUMBER && jv_number_value(target) > end &&
	    jv_number_value(target) <= 3 * end)
		end = jv_number_value(target);
	c.span = end > 0 ? end : 1000;

	/* rows first (into body), so the head knows the height */
	c.b = &body;
	c.y = TOP;
	for (int i = 0; i < nsteps; i++)
		if (!rep_vbool(sr[i].finally, 0))
			berr |= step_row(&c, &sr[i], nrows++);
	if (nrb) {
		berr |= section(&c, "rollback");
		jv_array_foreach(rows, i, r) {
			berr |= rollback_row(&c, r, nrows++);
			jv_free(r);
			(void)i;
		}
	}
	if (nfin) {
		berr |= section(&c, "finally");
		for (int i = 0; i < nsteps; i++)
			if (rep_vbool(sr[i].finally, 0))
				berr |= step_row(&c, &sr[i], nrows++);
	}
	int bottom = c.y + 4;
	berr |= rto(&c, rep, bottom);
	int ly = legend(&c, bottom + 36);
	berr |= buf_adds(&body, "<text x=\"12\" y=\"");
	berr |= rep_addf(&body, "%d\" font-size=\"11\" fill=\"#616161\">", ly + 12);
	{
		struct buf t = BUF_INIT(0);
		berr |= rep_totals(&t, rep);
		berr |= rep_add_xml(&body, buf_str(&t));
		buf_release(&t);
	}
	berr |= buf_adds(&body, "</text>\n");
	int height = ly + 24;

	/* the head: size, title, the run's line, the axis */
	c.b = &head;
	berr |= rep_addf(&head, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		 "font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"12\">\n<title>", W, height, W, height);
	berr |= rep_add_xml(&head, rep_str(rep, "runbook", "runbook"));
	berr |= buf_adds(&head, " run ");
	berr |= rep_add_xml(&head, rep_str(rep, "run", "?"));
	berr |= rep_addf(&head, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", W, height);
	berr |= rep_addf(&head, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">", LABEL_X);
	berr |= rep_add_xml(&head, rep_str(rep, "runbook", "?"));
	berr |= buf_adds(&head, " — ");
	{
		struct buf t = BUF_INIT(0);
		berr |= rep_head(&t, rep);
		berr |= rep_add_xml(&head, buf_str(&t));
		buf_reset(&t);
		berr |= buf_adds(&t, "run ");
		berr |= buf_adds(&t, rep_str(rep, "run", "?"));
		berr |= buf_adds(&t, ", started ");
		berr |= buf_adds(&t, rep_str(rep, "started_at", "?"));
		berr |= buf_adds(&t, ", took ");
		berr |= rep_ms(&t, rep, "duration_ms");
		berr |= rep_addf(&head, "</text>\n<text x=\"%d\" y=\"40\" font-size=\"11\" fill=\"#616161\">", LABEL_X);
		berr |= rep_add_xml(&head, buf_str(&t));
		berr |= buf_adds(&head, "</text>\n");
		buf_release(&t);
	}
	berr |= axis(&c, bottom);

	berr |= buf_add(b, head.data ? head.data : "", head.len);
	berr |= buf_add(b, body.data ? body.data : "", body.len);
	berr |= buf_adds(b, "</svg>\n");
	buf_release(&head);
	buf_release(&body);
	free(sr);
	jv_free(steps);
	jv_free(rb);
	jv_free(rows);
	jv_free(target);
	jv_free(o);
	jv_free(ob);
	return berr | c.berr;
}
