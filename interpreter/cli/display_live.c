/* display_live.c — the live step list: redrawn in place (ANSI cursor movement), with
 * message lines scrolling above it and a timer thread turning the spinner. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include "display_int.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../core/caps.h"

enum sym { SYM_PENDING, SYM_DONE, SYM_FAIL, SYM_SKIP, SYM_BACK, SYM_DRY, SYM_BULLET, SYM__N };
static const char *const sym_utf8[SYM__N] = { "·", "✓", "✗", "-", "↺", "~", "·" };
static const char *const sym_ascii[SYM__N] = { ".", "+", "x", "-", "<", "~", "*" };
static const char *const spin_utf8[] = { "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏" };
static const char *const spin_ascii[] = { "|", "/", "-", "\\" };

static const enum sym state_sym[ST__N] = {
	[ST_PENDING] = SYM_PENDING, [ST_RUNNING] = SYM_PENDING, [ST_SUCCEEDED] = SYM_DONE,
	[ST_FAILED] = SYM_FAIL, [ST_SKIPPED] = SYM_SKIP, [ST_ROLLED_BACK] = SYM_BACK,
	[ST_DRY_RUN] = SYM_DRY,
};

static void term_size(FILE *out, int *rows, int *cols)
{
	struct winsize ws;
	*rows = 24;
	*cols = 80;
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

static const char *sym(const struct display *d, enum sym s)
{
	return d->utf8 ? sym_utf8[s] : sym_ascii[s];
}

/* ---- live ---- */

/* append s to b, at most `*room` display columns (UTF-8 aware), minus what was used */
static int add_cols(struct buf *b, const char *s, int *room)
{
	int berr = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && *room > 0; ) {
		int n = 1;
		if (*p >= 0xf0) n = 4;
		else if (*p >= 0xe0) n = 3;
		else if (*p >= 0xc0) n = 2;
		for (int k = 1; k < n; k++)
			if (!p[k]) { n = k; break; }
		if (*p < 0x20) {
			berr |= buf_addc(b, ' ');
		} else {
			berr |= buf_add(b, p, (size_t)n);
		}
		p += n;
		(*room)--;
	}
	return berr;
}

static int add_cols_padded(struct buf *b, const char *s, int width, int *room)
{
	int berr = 0;
	int before = *room;
	berr |= add_cols(b, s, room);
	int used = before - *room;
	for (; used < width && *room > 0; used++, (*room)--)
		berr |= buf_addc(b, ' ');
	return berr;
}

static int64_t live_elapsed(struct display *d, const struct dstep *s)
{
	if (s->state != ST_RUNNING)
		return s->dur_ms;
	if (s->start_ev < 0 || d->last_ev < 0)
		return -1;
	/* time line of the events (virtual in a rehearsal) plus real time since the last */
	return d->last_ev - s->start_ev + (dsp_mono_ms() - d->last_ev_mono);
}

static int live_line(struct display *d, struct buf *b, const struct dstep *s, int cols)
{
	int berr = 0;
	int room = cols - 1;
	char dur[32];
	berr |= add_cols(b, " ", &room);
	if (s->state == ST_RUNNING) {
		berr |= dsp_color_on(d, b, dsp_state_color[ST_RUNNING]);
		berr |= add_cols(b, d->utf8 ? spin_utf8[d->spin % 10] : spin_ascii[d->spin % 4], &room);
	} else {
		berr |= dsp_color_on(d, b, dsp_state_color[s->state]);
		berr |= add_cols(b, sym(d, state_sym[s->state]), &room);
	}
	berr |= add_cols(b, " ", &room);
	berr |= dsp_color_off(d, b);
	berr |= add_cols_padded(b, s->id, d->idw > ID_COL_MIN ? d->idw : ID_COL_MIN, &room);
	berr |= add_cols(b, " ", &room);
	berr |= dsp_color_on(d, b, dsp_state_color[s->state]);
	berr |= add_cols_padded(b, strcmp(s->note, "rolling back") == 0 ?
			"rolling back" : dsp_state_label[s->state], 12, &room);
	berr |= dsp_color_off(d, b);
	int64_t el = live_elapsed(d, s);
	dsp_fmt_dur(el, dur, sizeof(dur));
	berr |= add_cols_padded(b, el >= 0 ? dur : "", 8, &room);
	if (s->note[0] && strcmp(s->note, "rolling back") != 0) {
		berr |= add_cols(b, " ", &room);
		berr |= dsp_color_on(d, b, "2");
		berr |= add_cols(b, s->note, &room);
		berr |= dsp_color_off(d, b);
	} else if (s->name) {
		berr |= add_cols(b, " ", &room);
		berr |= dsp_color_on(d, b, "2");
		berr |= add_cols(b, s->name, &room);
		berr |= dsp_color_off(d, b);
	}
	berr |= buf_adds(b, "\033[K\n");
	return berr;
}

/* Which steps fit on the screen: all of them when they fit; otherwise every running
 * step, every failed one, the most recent finished ones, and the next pending ones,
 * shown in document order. */
static int live_select(struct display *d, int rows, char *show)
{
	memset(show, 0, (size_t)d->n);
	if (d->n <= rows) {
		memset(show, 1, (size_t)d->n);
		return d->n;
	}
	int k = 0;
	for (int i = 0; i < d->n && k < rows; i++)
		if (d->steps[i].state == ST_RUNNING)
			show[i] = 1, k++;
	for (int i = 0; i < d->n && k < rows; i++)
		if (d->steps[i].state == ST_FAILED && !show[i])
			show[i] = 1, k++;
	int want_recent = (rows - k) / 2;
	for (int j = 0; j < d->nrecent && k < rows && want_recent > 0; j++) {
		int i = d->recent[(d->recent_head - 1 - j + RECENT_MAX) % RECENT_MAX];
		if (!show[i] && d->steps[i].state != ST_RUNNING)
			show[i] = 1, k++, want_recent--;
	}
	for (int i = 0; i < d->n && k < rows; i++)
		if (d->steps[i].state == ST_PENDING && !show[i])
			show[i] = 1, k++;
	for (int j = 0; j < d->nrecent && k < rows; j++) {
		int i = d->recent[(d->recent_head - 1 - j + RECENT_MAX) % RECENT_MAX];
		if (!show[i])
			show[i] = 1, k++;
	}
	return k;
}

/* Redraw: erase the list, print pending message lines, draw the list again. */
void dsp_live_redraw(struct display *d)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	int rows, cols;
	char dur[32];
	term_size(d->out, &rows, &cols);
	if (d->drawn > 0)
		berr |= buf_addf(&b, "\033[%dA\r\033[J", d->drawn);
	if (d->msgs.len) {
		berr |= buf_add(&b, d->msgs.data, d->msgs.len);
		buf_reset(&d->msgs);
	}
	if (d->paused) {
		d->drawn = 0;
		goto flush;
	}
	int drawn = 0;
	int room = cols - 1;
	/* header */
	berr |= buf_addc(&b, ' ');
	berr |= dsp_color_on(d, &b, "1");
	berr |= add_cols(&b, d->runbook ? d->runbook : "runbook", &room);
	berr |= dsp_color_off(d, &b);
	if (d->run_id) {
		berr |= add_cols(&b, d->utf8 ? " · run " : " | run ", &room);
		berr |= add_cols(&b, d->run_id, &room);
	}
	if (d->dry_run)
		berr |= add_cols(&b, " [dry run]", &room);
	if (d->rehearsal)
		berr |= add_cols(&b, " [rehearsal]", &room);
	berr |= buf_adds(&b, "\033[K\n");
	drawn++;

	int avail = rows - 3;
	if (avail < 3)
		avail = 3;
	char *show = xmalloc((size_t)d->n + 1);
	int nshow = live_select(d, avail, show);
	for (int i = 0; i < d->n; i++)
		if (show[i]) {
			berr |= live_line(d, &b, &d->steps[i], cols);
			drawn++;
		}
	free(show);

	/* summary */
	room = cols - 1;
	char sum[160];
	int64_t total = d->run_start_ev >= 0 && d->last_ev >= 0 ?
		d->last_ev - d->run_start_ev + (d->finished ? 0 : dsp_mono_ms() - d->last_ev_mono) : -1;
	dsp_fmt_dur(total, dur, sizeof(dur));
	const char *sep = d->utf8 ? " · " : " | ";
	snprintf(sum, sizeof(sum), " %d/%d done%s%d running%s%d failed%s%s", d->nfinished, d->n,
		 sep, d->nrunning, sep, d->nfailed, total >= 0 ? sep : "", total >= 0 ? dur : "");
	berr |= dsp_color_on(d, &b, "2");
	berr |= add_cols(&b, sum, &room);
	if (nshow < d->n) {
		char more[48];
		snprintf(more, sizeof(more), " (%d not shown)", d->n - nshow);
		berr |= add_cols(&b, more, &room);
	}
	berr |= dsp_color_off(d, &b);
	berr |= buf_adds(&b, "\033[K\n");
	drawn++;
	d->drawn = drawn;
flush:
	d->dirty = 0;
	d->last_draw = dsp_mono_ms();
	BUF_NOCAP(berr);
	fwrite(b.data ? b.data : "", 1, b.len, d->out);
	fflush(d->out);
	buf_release(&b);
}

void dsp_live_event(struct display *d, jv ev, int64_t t)
{
	int berr = 0;
	struct buf line = BUF_INIT(CAP_LINE);
	const char *who, *color;
	enum ev_kind kind = ev_kind_of(ev);
	int keep = dsp_event_live_line(d, ev);   /* before dsp_event_apply changes the state */
	int finish = kind == EV_RUN_FINISHED;
	if (dsp_event_apply(d, ev, t, &who, &line, &color) && (keep || finish)) {
		if (finish) {
			/* the run's last word goes below the final list, which stays */
			dsp_live_redraw(d);
			d->drawn = 0;
		}
		if (keep) {
			berr |= dsp_plain_prefix(d, &d->msgs, t, who);
			berr |= dsp_color_on(d, &d->msgs, color);
			berr |= dsp_add_indented(d, &d->msgs, buf_str(&line));
			berr |= dsp_color_off(d, &d->msgs);
			berr |= buf_addc(&d->msgs, '\n');
			BUF_NOCAP(berr);
		}
		if (finish) {
			fwrite(d->msgs.data ? d->msgs.data : "", 1, d->msgs.len, d->out);
			fflush(d->out);
			buf_reset(&d->msgs);
			goto out;
		}
	}
	buf_release(&line);
	if (!d->paused) {
		/* a redraw scans every step: with thousands of steps and events, redraw at
		 * most every MIN_REDRAW_MS unless there are lines to print; the timer thread
		 * catches up with what was skipped */
		if (d->msgs.len || dsp_mono_ms() - d->last_draw >= MIN_REDRAW_MS)
			dsp_live_redraw(d);
		else
			d->dirty = 1;
	}
	return;
out:
	buf_release(&line);
}

void *dsp_live_timer(void *arg)
{
	struct display *d = arg;
	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += REFRESH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		int rc = pthread_cond_timedwait(&d->cond, &d->lock, &ts);
		if (d->stop)
			break;
		if (rc == ETIMEDOUT && !d->paused && !d->finished && (d->nrunning > 0 || d->dirty) &&
		    (d->drawn > 0 || d->dirty)) {
			d->spin++;
			dsp_live_redraw(d);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}
