/* display_int.h — what the display's files share (private to cli/display*.c).
 *
 * display.c         the sink: mode, locking, JSON lines, display_pause
 * display_text.c    the words and pieces both text outputs use: durations, clock,
 *                   error text, colors, the step index
 * display_events.c  one handler per event kind: the line it prints, the step state
 *                   it changes; the plain output
 * display_live.c    the live step list redrawn in place, its timer thread
 */
#ifndef RB_CLI_DISPLAY_INT_H
#define RB_CLI_DISPLAY_INT_H
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include "display.h"
#include "../core/buf.h"
#include "../core/strmap.h"

#define ID_COL_MIN 12
#define ID_COL_MAX 28
#define REFRESH_MS 100
#define MIN_REDRAW_MS 40
#define RECENT_MAX 64       /* finished steps remembered for the live window */
#define NOTE_MAX 200        /* bytes of a step's note kept */

/* the states as the terminal shows them, and their ANSI colors (index: enum step_state) */
extern const char *const dsp_state_names[ST__N];   /* by name, as events carry them */
extern const char *const dsp_state_label[ST__N];
extern const char *const dsp_state_color[ST__N];

struct dstep {
	char *id;
	char *name;              /* display name or NULL */
	enum step_state state;
	int64_t start_ev;        /* event time (ms) it started */
	int64_t dur_ms;          /* final duration; -1 unknown */
	int attempt, attempts;   /* 0 = not reported */
	int polls;
	char note[NOTE_MAX];     /* short detail: last error, poll, retry */
};

#define DSP_KEYS_MAX 64      /* distinct field names the handlers read */

struct display {
	FILE *out;
	enum display_mode mode;
	int color;
	int utf8;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t timer;
	int timer_running;
	int stop;

	/* steps in order of first appearance, and an open-addressing index by id */
	struct dstep *steps;
	int n, alloc;
	struct strmap index;     /* step id -> position in steps (keys: the steps' ids) */
	int recent[RECENT_MAX];  /* ring of recently finished step indexes */
	int nrecent, recent_head;

	char *run_id, *runbook;
	int dry_run, rehearsal;
	int64_t run_start_ev;    /* -1 until run_started */
	int64_t last_ev;         /* time of the latest event (ms), -1 none */
	int64_t last_ev_mono;    /* monotonic ms when it arrived */
	int idw;                 /* id column width */
	int nrunning, nfinished, nfailed;
	int finished;            /* run_finished seen */

	/* live */
	int drawn;               /* list lines on screen below the messages */
	int paused;              /* a question is asked on the terminal (display_pause) */
	int dirty;               /* changed since the last redraw */
	int64_t last_draw;       /* monotonic ms of the last redraw */
	unsigned spin;
	struct buf msgs;         /* message lines waiting to be printed above the list */

	/* the field names the handlers read, made once (dsp_get; under the lock: libjq's
	 * reference counts are not atomic), by the address of the name's text */
	struct { const char *name; jv key; } keys[DSP_KEYS_MAX];
	int nkeys;
	/* the second of the last event time read ("...T08:05:49.", "" none) and the
	 * clock text of the last second shown */
	char last_ts[24];
	int64_t last_sec_ms;
	int64_t clock_sec;
	char clock_text[16];
};

/* display_text.c */
jv dsp_get(struct display *d, jv obj, const char *key);
const char *dsp_str(struct display *d, jv obj, const char *key);
int64_t dsp_int(struct display *d, jv obj, const char *key, int64_t def);
int dsp_bool(struct display *d, jv obj, const char *key, int def);
void dsp_keys_free(struct display *d);
int64_t dsp_mono_ms(void);
void dsp_fmt_dur(int64_t ms, char *b, size_t size);
int dsp_state_parse(const char *s, enum step_state *st);
int dsp_err_text(struct display *d, jv ev, const char *key, struct buf *b);
void dsp_set_note(struct dstep *s, const char *text);
int dsp_step_find(struct display *d, const char *id);
int dsp_step_get(struct display *d, const char *id);
void dsp_step_set_state(struct display *d, struct dstep *s, enum step_state st);
int dsp_color_on(const struct display *d, struct buf *b, const char *code);
int dsp_color_off(const struct display *d, struct buf *b);
int dsp_plain_prefix(struct display *d, struct buf *b, int64_t t, const char *who);
int dsp_add_indented(struct display *d, struct buf *b, const char *text);

/* display_events.c: the text of one event into line (1 if it prints one), the step
 * state updated; whether the live display prints it above its list; a plain line */
int dsp_event_apply(struct display *d, jv ev, int64_t t, const char **who, struct buf *line,
		    const char **color);
int dsp_event_live_line(struct display *d, jv ev);
void dsp_plain_event(struct display *d, jv ev, int64_t t);

/* display_live.c (called with d->lock held, except the timer thread's function) */
void dsp_live_redraw(struct display *d);
void dsp_live_event(struct display *d, jv ev, int64_t t);
void *dsp_live_timer(void *arg);
#endif
