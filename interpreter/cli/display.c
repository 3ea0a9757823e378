/* display.c — terminal output sinks: live step list, plain lines, JSON events.
 * See display.h for the fields read from each event, display_int.h for the files. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "display_int.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"

static int env_utf8(void)
{
	const char *vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return 0;
}

enum display_mode display_resolve(FILE *out, enum display_mode mode)
{
	if (mode != DISPLAY_AUTO)
		return mode;
	const char *term = getenv("TERM");
	if (isatty(fileno(out)) && !(term && strcmp(term, "dumb") == 0))
		return DISPLAY_LIVE;
	return DISPLAY_PLAIN;
}

int display_mode_parse(const char *name, enum display_mode *mode)
{
	static const struct { const char *name; enum display_mode mode; } modes[] = {
		{ "text", DISPLAY_AUTO }, { "auto", DISPLAY_AUTO }, { "plain", DISPLAY_PLAIN },
		{ "live", DISPLAY_LIVE }, { "json", DISPLAY_JSON },
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(name, modes[i].name) == 0) {
			*mode = modes[i].mode;
			return 0;
		}
	return -1;
}

/* ---- the sink ---- */

/* an event's time (ts_parse); many events share a second: "2026-12-04T08:05:49.442Z"
 * after "2026-12-04T08:05:49.017Z" (the engine's clock_format) reads three digits */
static int time_of(struct display *d, const char *ts, int64_t *t)
{
	size_t tl = strlen(ts);
	if (tl == 24 && d->last_ts[0] && !memcmp(ts, d->last_ts, 20) && ts[19] == '.' &&
	    ts[20] >= '0' && ts[20] <= '9' && ts[21] >= '0' && ts[21] <= '9' &&
	    ts[22] >= '0' && ts[22] <= '9' && ts[23] == 'Z') {
		*t = d->last_sec_ms + (ts[20] - '0') * 100 + (ts[21] - '0') * 10 + (ts[22] - '0');
		return 0;
	}
	if (ts_parse(ts, t) < 0)
		return -1;
	d->last_ts[0] = '\0';
	if (tl == 24 && ts[19] == '.' && ts[23] == 'Z' && *t >= 0) {
		memcpy(d->last_ts, ts, 20);
		d->last_ts[20] = '\0';
		d->last_sec_ms = *t - *t % 1000;
	}
	return 0;
}

static void display_event(void *arg, jv ev)
{
	struct display *d = arg;
	if (jv_get_kind(ev) != JV_KIND_OBJECT) {
		jv_free(ev);
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (d->mode == DISPLAY_JSON) {
		char *s = jvx_dump(ev);
		fputs(s, d->out);
		fputc('\n', d->out);
		fflush(d->out);
		free(s);
		pthread_mutex_unlock(&d->lock);
		return;
	}
	int64_t t = -1;
	const char *ts = dsp_str(d, ev, "time");
	if (!ts || time_of(d, ts, &t) < 0)
		t = d->last_ev >= 0 ? d->last_ev : -1;
	if (t >= 0) {
		d->last_ev = t;
		d->last_ev_mono = dsp_mono_ms();
	}
	if (d->mode == DISPLAY_LIVE)
		dsp_live_event(d, ev, t);
	else
		dsp_plain_event(d, ev, t);
	jv_free(ev);
	pthread_mutex_unlock(&d->lock);
}

struct engine_sink display_sink_new(FILE *out, enum display_mode mode, int color)
{
	struct display *d = xcalloc(1, sizeof(*d));
	d->out = out;
	d->mode = display_resolve(out, mode);
	if (color < 0) {
		const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
		color = isatty(fileno(out)) && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
	}
	d->color = d->mode == DISPLAY_JSON ? 0 : color;
	d->utf8 = env_utf8();
	d->run_start_ev = -1;
	d->last_ev = -1;
	d->idw = ID_COL_MIN;
	d->clock_sec = -1;
	buf_init(&d->msgs, 0);
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (d->mode == DISPLAY_LIVE && pthread_create(&d->timer, NULL, dsp_live_timer, d) == 0)
		d->timer_running = 1;
	return (struct engine_sink){ .event = display_event, .arg = d };
}

void display_pause(struct engine_sink *sink, int on)
{
	struct display *d = sink->arg;
	if (!d || d->mode != DISPLAY_LIVE)
		return;
	pthread_mutex_lock(&d->lock);
	if (on && !d->paused) {
		dsp_live_redraw(d);      /* leave the list on screen above the prompt */
		d->drawn = 0;
		d->paused = 1;
	} else if (!on && d->paused) {
		d->paused = 0;       /* the answer's event draws a fresh list below it */
	}
	pthread_mutex_unlock(&d->lock);
}

void display_sink_free(struct engine_sink *sink)
{
	struct display *d = sink->arg;
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = 1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	if (d->timer_running)
		pthread_join(d->timer, NULL);
	if (d->mode == DISPLAY_LIVE && !d->finished && (d->n || d->msgs.len)) {
		d->paused = 0;
		dsp_live_redraw(d);     /* final state stays on screen */
	}
	for (int i = 0; i < d->n; i++) {
		free(d->steps[i].id);
		free(d->steps[i].name);
	}
	free(d->steps);
	strmap_release(&d->index);
	free(d->run_id);
	free(d->runbook);
	buf_release(&d->msgs);
	dsp_keys_free(d);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
	sink->arg = NULL;
	sink->event = NULL;
}
