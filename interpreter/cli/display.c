/* display.c — terminal output sinks: live step list, plain lines, JSON events.
 * See display.h for the fields read from each event. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "display.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../core/strmap.h"
#include "../modules/registry.h"
#include "../report/report.h"

#define ID_COL_MIN 12
#define ID_COL_MAX 28
#define REFRESH_MS 100
#define MIN_REDRAW_MS 40
#define RECENT_MAX 64       /* finished steps remembered for the live window */
#define NOTE_MAX 200        /* bytes of a step's note kept */

/* step states by name, from the X-macro shared with the engine and the journal */
#define X(e, s) s,
static const char *const state_names[] = { STEP_STATES(X) };
#undef X

/* the same states as the terminal shows them */
static const char *const state_label[ST__N] = {
	[ST_PENDING] = "pending", [ST_RUNNING] = "running", [ST_SUCCEEDED] = "succeeded",
	[ST_FAILED] = "failed", [ST_SKIPPED] = "skipped", [ST_ROLLED_BACK] = "rolled back",
	[ST_DRY_RUN] = "dry run",
};

enum sym { SYM_PENDING, SYM_DONE, SYM_FAIL, SYM_SKIP, SYM_BACK, SYM_DRY, SYM_BULLET, SYM__N };
static const char *const sym_utf8[SYM__N] = { "·", "✓", "✗", "-", "↺", "~", "·" };
static const char *const sym_ascii[SYM__N] = { ".", "+", "x", "-", "<", "~", "*" };
static const char *const spin_utf8[] = { "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏" };
static const char *const spin_ascii[] = { "|", "/", "-", "\\" };

/* ANSI colors per state (index = enum step_state) */
static const char *const state_color[ST__N] = {
	[ST_PENDING] = "2", [ST_RUNNING] = "36", [ST_SUCCEEDED] = "32", [ST_FAILED] = "31",
	[ST_SKIPPED] = "33", [ST_ROLLED_BACK] = "35", [ST_DRY_RUN] = "34",
};
static const enum sym state_sym[ST__N] = {
	[ST_PENDING] = SYM_PENDING, [ST_RUNNING] = SYM_PENDING, [ST_SUCCEEDED] = SYM_DONE,
	[ST_FAILED] = SYM_FAIL, [ST_SKIPPED] = SYM_SKIP, [ST_ROLLED_BACK] = SYM_BACK,
	[ST_DRY_RUN] = SYM_DRY,
};

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
	int paused;              /* a confirmation is prompting */
	int dirty;               /* changed since the last redraw */
	int64_t last_draw;       /* monotonic ms of the last redraw */
	unsigned spin;
	struct buf msgs;         /* message lines waiting to be printed above the list */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* ---- formatting helpers ---- */

static void fmt_dur(int64_t ms, char *b, size_t size)
{
	if (ms < 0)
		snprintf(b, size, "-");
	else if (ms < 1000)
		snprintf(b, size, "%" PRId64 "ms", ms);
	else if (ms < 60000)
		snprintf(b, size, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(b, size, "%" PRId64 "m%02" PRId64 "s", ms / 60000, (ms / 1000) % 60);
	else
		snprintf(b, size, "%" PRId64 "h%02" PRId64 "m", ms / 3600000, (ms / 60000) % 60);
}

/* HH:MM:SS of an event time in local time (TZ honoured) */
static void fmt_clock(int64_t ms, char *b, size_t size)
{
	if (ms < 0) {
		snprintf(b, size, "--:--:--");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(b, size, "%H:%M:%S", &tm);
}

static int state_parse(const char *s, enum step_state *st)
{
	for (int i = 0; s && i < ST__N; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*st = (enum step_state)i;
			return 0;
		}
	return -1;
}

/* text of an error field: {code, message} -> "code: message"; strings as is */
static void err_text(jv ev, const char *key, struct buf *b)
{
	jv e = jvx_get(ev, key);
	if (!jv_is_valid(e))
		return;
	if (jv_get_kind(e) == JV_KIND_OBJECT) {
		const char *code = jvx_str(e, "code");
		const char *msg = jvx_str(e, "message");
		if (code && msg)
			buf_addf(b, "%s: %s", code, msg);
		else if (msg || code)
			buf_adds(b, msg ? msg : code);
		else {
			char *t = jvx_dump(jv_copy(e));
			buf_adds(b, t);
			free(t);
		}
		jv_free(e);
		return;
	}
	char *t = jvx_text(e);
	buf_adds(b, t);
	free(t);
}

static void set_note(struct dstep *s, const char *text)
{
	snprintf(s->note, sizeof(s->note), "%s", text ? text : "");
	for (char *p = s->note; *p; p++)  /* one line in the list */
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

/* ---- step index ---- */

static int step_find(struct display *d, const char *id)
{
	return strmap_get(&d->index, id);
}

static int step_get(struct display *d, const char *id)
{
	int i = step_find(d, id);
	if (i >= 0)
		return i;
	ALLOC_GROW(d->steps, d->n + 1, d->alloc);
	struct dstep *s = &d->steps[d->n];
	memset(s, 0, sizeof(*s));
	s->id = xstrdup(id);
	s->state = ST_PENDING;
	s->start_ev = -1;
	s->dur_ms = -1;
	int w = (int)strlen(id);
	if (w > d->idw)
		d->idw = w > ID_COL_MAX ? ID_COL_MAX : w;
	strmap_put(&d->index, s->id, d->n);
	return d->n++;
}

static void step_set_state(struct display *d, struct dstep *s, enum step_state st)
{
	int idx = (int)(s - d->steps);
	if (s->state == ST_RUNNING)
		d->nrunning--;
	if (st == ST_RUNNING)
		d->nrunning++;
	int was_done = s->state != ST_PENDING && s->state != ST_RUNNING;
	int done = st != ST_PENDING && st != ST_RUNNING;
	if (done && !was_done)
		d->nfinished++;
	if (!done && was_done)
		d->nfinished--;
	if (st == ST_FAILED && s->state != ST_FAILED)
		d->nfailed++;
	if (st != ST_FAILED && s->state == ST_FAILED)
		d->nfailed--;
	s->state = st;
	if (done) {
		d->recent[d->recent_head] = idx;
		d->recent_head = (d->recent_head + 1) % RECENT_MAX;
		if (d->nrecent < RECENT_MAX)
			d->nrecent++;
	}
}

/* ---- output pieces ---- */

static const char *sym(const struct display *d, enum sym s)
{
	return d->utf8 ? sym_utf8[s] : sym_ascii[s];
}

static void color_on(const struct display *d, struct buf *b, const char *code)
{
	if (d->color && code)
		buf_addf(b, "\033[%sm", code);
}

static void color_off(const struct display *d, struct buf *b)
{
	if (d->color)
		buf_adds(b, "\033[0m");
}

static void add_padded(struct buf *b, const char *s, int width)
{
	int len = (int)strlen(s);
	buf_adds(b, s);
	for (; len < width; len++)
		buf_addc(b, ' ');
}

/* plain line prefix: "03:18:43 restore      " */
static void plain_prefix(struct display *d, struct buf *b, int64_t t, const char *who)
{
	char clk[16];
	fmt_clock(t, clk, sizeof(clk));
	color_on(d, b, "2");
	buf_adds(b, clk);
	color_off(d, b);
	buf_addc(b, ' ');
	add_padded(b, who, d->idw > ID_COL_MIN ? d->idw : ID_COL_MIN);
	buf_addc(b, ' ');
}

/* indent continuation lines of a multi-line message to the text column */
static void add_indented(struct display *d, struct buf *b, const char *text)
{
	int indent = 9 + (d->idw > ID_COL_MIN ? d->idw : ID_COL_MIN) + 1;
	for (const char *p = text; *p; p++) {
		if (*p == '\r')
			continue;
		buf_addc(b, *p);
		if (*p == '\n' && p[1])
			for (int i = 0; i < indent; i++)
				buf_addc(b, ' ');
	}
	if (b->len && b->data[b->len - 1] == '\n')
		b->len--, b->data[b->len] = '\0';
}

/* ---- events: one handler per event kind (a descriptor table, not an if-chain) ---- */

struct evctx {
	struct display *d;
	jv ev;                   /* borrowed */
	int64_t t;               /* event time, ms; -1 unknown */
	struct dstep *s;         /* the step, when the event names a known one */
	const char *who;         /* second column: step id, "run", "rollback" */
	const char *color;
	struct buf *line;        /* the text after the step column */
	struct buf err;          /* scratch: error text */
};

/* drop null args and args equal to the action's default: what the step actually says */
static jv args_shown(const char *action, jv args)
{
	const struct action_desc *desc = action ? registry_find(action) : NULL;
	if (jv_get_kind(args) != JV_KIND_OBJECT)
		return args;
	jv out = jv_object();
	jv_object_foreach(args, k, v) {
		int keep = jv_get_kind(v) != JV_KIND_NULL;
		const struct action_arg *a = desc ? action_find_arg(desc, jv_string_value(k)) : NULL;
		if (keep && a && a->defval) {
			jv def = jv_parse(a->defval);
			keep = !(jv_is_valid(def) && jv_equal(jv_copy(v), jv_copy(def)));
			jv_free(def);
		}
		if (keep)
			out = jv_object_set(out, k, v);
		else
			jv_free(k), jv_free(v);
	}
	jv_free(args);
	return out;
}

static void add_status(struct evctx *c, const char *status, enum step_state st)
{
	buf_adds(c->line, state_parse(status, &st) == 0 ? state_label[st] : status);
}

static int ev_run_started(struct evctx *c)
{
	struct display *d = c->d;
	const char *id = jvx_str(c->ev, "run");
	const char *rb = jvx_str(c->ev, "runbook");
	free(d->run_id);
	free(d->runbook);
	d->run_id = id ? xstrdup(id) : NULL;
	d->runbook = rb ? xstrdup(rb) : NULL;
	d->dry_run = jvx_bool(c->ev, "dry_run", 0);
	d->rehearsal = jvx_bool(c->ev, "rehearsal", 0);
	d->run_start_ev = c->t;
	jv steps = jvx_get(c->ev, "steps");
	if (jv_get_kind(steps) == JV_KIND_ARRAY) {
		jv_array_foreach(steps, i, it) {
			const char *sid = NULL, *nm = NULL;
			if (jv_get_kind(it) == JV_KIND_STRING) {
				sid = jv_string_value(it);
			} else if (jv_get_kind(it) == JV_KIND_OBJECT) {
				sid = jvx_str(it, "qid") ? jvx_str(it, "qid") : jvx_str(it, "id");
				nm = jvx_str(it, "name");
			}
			if (sid) {
				int k = step_get(d, sid);   /* may grow d->steps: index first */
				struct dstep *ns = &d->steps[k];
				if (nm && !ns->name)
					ns->name = xstrdup(nm);
			}
			jv_free(it);
		}
	}
	jv_free(steps);
	int resumed = jvx_bool(c->ev, "resumed", 0);
	jv done = jvx_get(c->ev, "done");
	if (resumed && jv_get_kind(done) == JV_KIND_ARRAY) {
		/* what the first process finished: shown done, not run again */
		jv_array_foreach(done, i, it) {
			if (jv_get_kind(it) == JV_KIND_STRING) {
				int k = step_get(d, jv_string_value(it));
				step_set_state(d, &d->steps[k], ST_SUCCEEDED);
				set_note(&d->steps[k], "done before the resume");
			}
			jv_free(it);
		}
	}
	jv_free(done);
	c->who = "run";
	buf_addf(c->line, "%s %s%s%s%s", resumed ? "resuming" : "started", rb ? rb : "",
		 id ? " (run " : "", id ? id : "", id ? ")" : "");
	if (resumed) {
		int64_t before = jvx_int(c->ev, "finished_before", -1);
		if (before >= 0)
			buf_addf(c->line, ": %" PRId64 " step%s done before, not run again", before, before == 1 ? "" : "s");
		if (jvx_bool(c->ev, "rolling_back", 0))
			buf_adds(c->line, "; continuing its rollback");
	}
	if (d->dry_run)
		buf_adds(c->line, " [dry run]");
	if (d->rehearsal)
		buf_adds(c->line, " [rehearsal]");
	return 1;
}

static int ev_step_started(struct evctx *c)
{
	struct dstep *s = c->s;
	const char *nm = jvx_str(c->ev, "name");
	if (nm && !s->name)
		s->name = xstrdup(nm);
	s->attempt = (int)jvx_int(c->ev, "attempt", 0);
	s->attempts = (int)jvx_int(c->ev, "attempts", 0);
	if (s->state != ST_RUNNING || s->start_ev < 0)
		s->start_ev = c->t;
	step_set_state(c->d, s, ST_RUNNING);
	s->dur_ms = -1;
	s->polls = 0;
	s->note[0] = '\0';
	buf_adds(c->line, "started");
	if (s->attempt > 1) {
		buf_addf(c->line, " (attempt %d", s->attempt);
		if (s->attempts)
			buf_addf(c->line, "/%d", s->attempts);
		buf_addc(c->line, ')');
	}
	c->color = "36";
	return 1;
}

static int ev_step_finished(struct evctx *c)
{
	struct dstep *s = c->s;
	char dur[32];
	const char *status = jvx_str(c->ev, "status");
	enum step_state st = ST_SUCCEEDED;
	if (!status || state_parse(status, &st) < 0)
		st = status ? ST_FAILED : ST_SUCCEEDED;
	s->dur_ms = jvx_int(c->ev, "duration_ms", -1);
	if (s->dur_ms < 0 && s->start_ev >= 0 && c->t >= s->start_ev)
		s->dur_ms = c->t - s->start_ev;
	step_set_state(c->d, s, st);
	err_text(c->ev, "error", &c->err);
	if (!c->err.len) {
		const char *reason = jvx_str(c->ev, "reason");
		if (reason)
			buf_adds(&c->err, reason);
	}
	set_note(s, buf_str(&c->err));
	add_status(c, status ? status : state_names[st], st);
	if (s->dur_ms >= 0 && st != ST_SKIPPED && st != ST_DRY_RUN) {
		fmt_dur(s->dur_ms, dur, sizeof(dur));
		buf_addf(c->line, " %s", dur);
	}
	/* a wait reports how many polls it made and how late it noticed */
	int64_t polls = jvx_int(c->ev, "polls", -1);
	if (polls >= 0) {
		buf_addf(c->line, " (%" PRId64 " poll%s", polls, polls == 1 ? "" : "s");
		int64_t lag = jvx_int(c->ev, "detection_lag_ms", -1);
		if (lag >= 0) {
			fmt_dur(lag, dur, sizeof(dur));
			buf_addf(c->line, ", noticed within %s", dur);
		}
		buf_addc(c->line, ')');
	}
	/* assertions a dry run could not evaluate say so */
	jv result = jvx_get(c->ev, "result");
	jv ne = jv_get_kind(result) == JV_KIND_OBJECT ? jvx_get(result, "not_evaluated") : jv_invalid();
	if (jv_get_kind(ne) == JV_KIND_ARRAY && !c->err.len) {
		jv_array_foreach(ne, i, it) {
			if (jv_get_kind(it) == JV_KIND_STRING)
				buf_addf(&c->err, "%s%s", i ? "; " : "", jv_string_value(it));
			jv_free(it);
		}
	}
	jv_free(ne);
	jv_free(result);
	if (c->err.len) {
		buf_adds(c->line, st == ST_SKIPPED ? " (" : ": ");
		buf_adds(c->line, buf_str(&c->err));
		if (st == ST_SKIPPED)
			buf_addc(c->line, ')');
	}
	c->color = state_color[st];
	return 1;
}

static int ev_step_retry(struct evctx *c)
{
	char dur[32];
	int attempt = (int)jvx_int(c->ev, "attempt", 0);
	int attempts = (int)jvx_int(c->ev, "attempts", 0);
	int64_t delay = jvx_int(c->ev, "delay_ms", -1);
	err_text(c->ev, "error", &c->err);
	buf_adds(c->line, "attempt");
	if (attempt > 0)
		buf_addf(c->line, " %d", attempt);
	if (attempts > 0)
		buf_addf(c->line, "/%d", attempts);
	buf_adds(c->line, " failed");
	if (c->err.len)
		buf_addf(c->line, ": %s", buf_str(&c->err));
	if (delay >= 0) {
		fmt_dur(delay, dur, sizeof(dur));
		buf_addf(c->line, "; retrying in %s", dur);
	}
	c->s->attempt = attempt;
	c->s->attempts = attempts;
	set_note(c->s, buf_str(c->line));
	c->color = "33";
	return 1;
}

static int ev_wait_poll(struct evctx *c)
{
	char dur[32];
	int poll = (int)jvx_int(c->ev, "poll", 0);
	int64_t next = jvx_int(c->ev, "next_ms", -1);
	c->s->polls = poll ? poll : c->s->polls + 1;
	buf_addf(c->line, "poll %d", c->s->polls);
	/* the resource as the poll saw it, else why the poll missed */
	const char *saw = jvx_str(c->ev, "saw");
	if (saw) {
		buf_addf(c->line, ": %s", saw);
	} else if (jvx_bool(c->ev, "missed", 0)) {
		err_text(c->ev, "error", &c->err);
		buf_addf(c->line, ": missed (%s)", c->err.len ? buf_str(&c->err) : "no answer");
	}
	if (next >= 0) {
		fmt_dur(next, dur, sizeof(dur));
		buf_addf(c->line, ", next in %s", dur);
	}
	/* ETA: from the last run of this runbook, else the expected duration */
	int64_t eta = jvx_int(c->ev, "eta_ms", -1), over = jvx_int(c->ev, "overdue_ms", 0);
	const char *from = jvx_str(c->ev, "eta_from");
	if (over > 0) {
		fmt_dur(over, dur, sizeof(dur));
		buf_addf(c->line, ", %s past its ETA", dur);
	} else if (eta >= 0) {
		fmt_dur(eta, dur, sizeof(dur));
		buf_addf(c->line, ", ETA %s%s", dur, from && !strcmp(from, "last_run") ? " (as the last run)" : "");
	}
	set_note(c->s, buf_str(c->line));
	return 1;
}

static int ev_confirm(struct evctx *c)
{
	const char *status = jvx_str(c->ev, "status");
	const char *by = jvx_str(c->ev, "by");
	if (status && strcmp(status, "prompt") == 0)
		return 0;    /* the engine prints the prompt itself */
	for (const char *p = status ? status : "confirmed"; *p; p++)
		buf_addc(c->line, *p == '_' ? ' ' : *p);
	const char *msg = jvx_str(c->ev, "message");
	if (by && !strcmp(by, "rehearsal")) {
		/* nobody approved it (or declined it): a rehearsal did, say so */
		buf_adds(c->line, ": rehearsal");
		if (msg)
			buf_addf(c->line, " (%s)", msg);
		msg = NULL;
	} else if (by) {
		buf_addf(c->line, " by %s", by);
	}
	if (msg)
		buf_addf(c->line, ": %s", msg);
	c->color = status && strcmp(status, "declined") == 0 ? "31" : "32";
	return 1;
}

static int ev_mutation(struct evctx *c)
{
	const char *action = jvx_str(c->ev, "action");
	const char *desc = jvx_str(c->ev, "description");
	if (desc) {
		buf_adds(c->line, desc);
	} else {
		buf_addf(c->line, "%s %s", c->d->dry_run ? "would call" : "calls",
			 action ? action : "an action");
		jv args = jvx_get(c->ev, "args");
		if (jv_is_valid(args)) {
			char *a = jvx_dump(args_shown(action, args));
			buf_addf(c->line, " %s", a);
			free(a);
		} else {
			jv_free(args);
		}
	}
	c->color = "34";
	return 1;
}

static int ev_rollback_started(struct evctx *c)
{
	const char *reason = jvx_str(c->ev, "reason");
	jv steps = jvx_get(c->ev, "steps");
	c->who = "rollback";
	buf_adds(c->line, "started");
	if (jv_get_kind(steps) == JV_KIND_ARRAY) {
		int n = jv_array_length(jv_copy(steps));
		buf_addf(c->line, ": %d step%s to undo", n, n == 1 ? "" : "s");
	}
	jv_free(steps);
	/* the step's error is on its own line and again on the run's last one: here only
	 * which step failed ("step 'x' failed: <error>" -> "step 'x' failed") */
	int cut = report_failed_step_len(reason);
	if (cut)
		buf_addf(c->line, " (%.*s)", cut, reason);
	else if (reason)
		buf_addf(c->line, " (%s)", reason);
	c->color = "35";
	return 1;
}

static int ev_rollback_step(struct evctx *c)
{
	const char *status = jvx_str(c->ev, "status");
	enum step_state st = ST_SUCCEEDED;
	if (status && state_parse(status, &st) < 0)
		st = ST_FAILED;
	err_text(c->ev, "error", &c->err);
	c->color = "35";
	switch (st) {
	case ST_PENDING:
	case ST_RUNNING:
		buf_adds(c->line, "rolling back");
		if (c->s)
			set_note(c->s, "rolling back");
		break;
	case ST_SUCCEEDED:
	case ST_ROLLED_BACK:
		buf_adds(c->line, "rolled back");
		if (c->s) {
			if (c->s->state != ST_PENDING && c->s->state != ST_RUNNING)
				step_set_state(c->d, c->s, ST_ROLLED_BACK);
			set_note(c->s, "");
		}
		break;
	case ST_DRY_RUN:
		buf_adds(c->line, "rollback described (dry run)");
		if (c->s)
			set_note(c->s, "");
		break;
	case ST_SKIPPED:
		buf_adds(c->line, "rollback skipped");
		if (c->s)
			set_note(c->s, "");
		break;
	default:
		buf_addf(c->line, "rollback %s", status ? status : "failed");
		if (c->err.len)
			buf_addf(c->line, ": %s", buf_str(&c->err));
		if (c->s)
			set_note(c->s, buf_str(c->line));
		c->color = "31";
		break;
	}
	return 1;
}

/* ", "-separated strings of array key of ev after "\nHEAD", if any */
static void add_name_list(struct evctx *c, const char *key, const char *head)
{
	jv a = jvx_get(c->ev, key);
	if (jv_get_kind(a) == JV_KIND_ARRAY && jv_array_length(jv_copy(a)) > 0) {
		buf_addf(c->line, "\n%s", head);
		jv_array_foreach(a, i, it) {
			if (jv_get_kind(it) == JV_KIND_STRING)
				buf_addf(c->line, "%s%s", i ? ", " : "", jv_string_value(it));
			jv_free(it);
		}
	}
	jv_free(a);
}

/* below the run's last line: the non-critical steps that failed, the finally steps
 * that failed, the run's outputs (one per line, JSON values) */
static void run_finished_lists(struct evctx *c)
{
	add_name_list(c, "noncritical_failed", "non-critical steps failed: ");
	add_name_list(c, "finally_failed", "finally steps failed (the exit code is unchanged): ");
	jv outs = jvx_get(c->ev, "outputs");
	jv errs = jvx_get(c->ev, "output_errors");
	if (jv_get_kind(outs) == JV_KIND_OBJECT && jv_object_length(jv_copy(outs)) > 0) {
		buf_adds(c->line, "\noutputs:");
		jv_object_foreach(outs, k, v) {
			char *text = jv_get_kind(v) == JV_KIND_STRING ? xstrdup(jv_string_value(v)) : jvx_dump(jv_copy(v));
			buf_addf(c->line, "\n  %s: %s", jv_string_value(k), text);
			free(text);
			jv e = jv_get_kind(errs) == JV_KIND_OBJECT ? jv_object_get(jv_copy(errs), jv_copy(k)) : jv_invalid();
			if (jv_get_kind(e) == JV_KIND_STRING)
				buf_addf(c->line, " (%s)", jv_string_value(e));
			jv_free(e);
			jv_free(k);
			jv_free(v);
		}
	}
	jv_free(outs);
	jv_free(errs);
}

static int ev_run_finished(struct evctx *c)
{
	struct display *d = c->d;
	char dur[32];
	const char *status = jvx_str(c->ev, "status");
	const char *rollback = jvx_str(c->ev, "rollback");
	int64_t total = jvx_int(c->ev, "duration_ms", -1);
	if (total < 0 && d->run_start_ev >= 0 && c->t >= d->run_start_ev)
		total = c->t - d->run_start_ev;
	c->who = "run";
	for (const char *p = status ? status : "finished"; *p; p++)
		buf_addc(c->line, *p == '_' ? ' ' : *p);
	if (total >= 0) {
		fmt_dur(total, dur, sizeof(dur));
		buf_addf(c->line, " in %s", dur);
	}
	if (jvx_has(c->ev, "exit_code") || rollback) {
		buf_adds(c->line, " (");
		if (jvx_has(c->ev, "exit_code"))
			buf_addf(c->line, "exit %" PRId64 "%s", jvx_int(c->ev, "exit_code", 0),
				 rollback ? ", " : "");
		if (rollback)
			buf_addf(c->line, "rollback %s", rollback);
		buf_addc(c->line, ')');
	}
	err_text(c->ev, "error", &c->err);
	if (c->err.len)
		buf_addf(c->line, ": %s", buf_str(&c->err));
	enum step_state st;
	if (status && state_parse(status, &st) == 0)
		c->color = state_color[st];
	else if (status)
		c->color = "31";
	run_finished_lists(c);
	d->finished = 1;
	return 1;
}

static int ev_log(struct evctx *c)
{
	const char *level = jvx_str(c->ev, "level");
	const char *msg = jvx_str(c->ev, "message");
	if (level && strcmp(level, "info") != 0)
		buf_addf(c->line, "%s: ", level);
	buf_adds(c->line, msg ? msg : "");
	c->color = level && strcmp(level, "error") == 0 ? "31" :
		   level && strcmp(level, "warn") == 0 ? "33" : NULL;
	return 1;
}

enum ev_step { EV_NO_STEP, EV_FIND_STEP, EV_MAKE_STEP };
/* the list shows steps' progress; lines above it are for what must stay readable */
enum live_line { LIVE_LINE, LIVE_LIST_ONLY, LIVE_IF_FAILED, LIVE_IF_RESUMED };

/* what the display does with each event of the table (core/events.h), by its kind;
 * an event without a handler here is shown as it is */
static const struct disp_ev {
	int (*fn)(struct evctx *c);
	enum ev_step step;       /* whether the event's step joins the list */
	enum live_line live;     /* whether the live display prints a line above its list */
} disp_events[EV__N] = {
	[EV_RUN_STARTED]      = { ev_run_started,      EV_NO_STEP,   LIVE_IF_RESUMED },
	[EV_STEP_STARTED]     = { ev_step_started,     EV_MAKE_STEP, LIVE_LIST_ONLY },
	[EV_STEP_FINISHED]    = { ev_step_finished,    EV_MAKE_STEP, LIVE_IF_FAILED },
	[EV_STEP_RETRY]       = { ev_step_retry,       EV_MAKE_STEP, LIVE_LINE },
	[EV_WAIT_POLL]        = { ev_wait_poll,        EV_MAKE_STEP, LIVE_LIST_ONLY },
	[EV_CONFIRM]          = { ev_confirm,          EV_MAKE_STEP, LIVE_LINE },
	[EV_MUTATION]         = { ev_mutation,         EV_FIND_STEP, LIVE_LINE },
	[EV_ROLLBACK_STARTED] = { ev_rollback_started, EV_NO_STEP,   LIVE_LINE },
	[EV_ROLLBACK_STEP]    = { ev_rollback_step,    EV_FIND_STEP, LIVE_IF_FAILED },
	[EV_RUN_FINISHED]     = { ev_run_finished,     EV_NO_STEP,   LIVE_LINE },
	[EV_LOG]              = { ev_log,              EV_FIND_STEP, LIVE_LINE },
};

static const struct disp_ev *ev_find(jv ev)
{
	enum ev_kind k = ev_kind_of(ev);
	return k != EV_UNKNOWN && disp_events[k].fn ? &disp_events[k] : NULL;
}

/* Build the human text for one event into `line` (without time/step prefix). The same
 * words serve the plain lines and the live display's message lines. Returns 1 if the
 * event produces a line. Updates step state. Called with the lock held. */
static int event_apply(struct display *d, jv ev, int64_t t, const char **who, struct buf *line,
		       const char **color)
{
	const char *event = jvx_str(ev, "event");
	const char *step = jvx_str(ev, "step");
	const struct disp_ev *e = ev_find(ev);
	struct evctx c = { .d = d, .ev = ev, .t = t, .who = step ? step : "run", .line = line };
	int out = 1;

	buf_init(&c.err, 4096);
	if (!e) {
		/* an event this display does not know: show it rather than hide it */
		char *all = jvx_dump(jv_copy(ev));
		buf_addf(line, "%s %s", event ? event : "event", all);
		free(all);
		goto done;
	}
	if (step && e->step == EV_MAKE_STEP) {
		int k = step_get(d, step);   /* may grow d->steps: index first */
		c.s = &d->steps[k];
	} else if (step && e->step == EV_FIND_STEP) {
		int i = step_find(d, step);
		c.s = i >= 0 ? &d->steps[i] : NULL;
	}
	if (e->step == EV_MAKE_STEP && !c.s) {
		buf_addf(line, "%s without a step", event);
		goto done;
	}
	out = e->fn(&c);
done:
	*who = c.who;
	*color = c.color;
	buf_release(&c.err);
	return out;
}

/* whether the live display prints this event as a line above its list */
static int event_live_line(jv ev)
{
	const struct disp_ev *e = ev_find(ev);
	enum step_state st;
	const char *status;
	if (!e)
		return 1;
	switch (e->live) {
	case LIVE_LIST_ONLY:
		return 0;
	case LIVE_IF_RESUMED:    /* the operator must see that this continues a run */
		return jvx_bool(ev, "resumed", 0);
	case LIVE_IF_FAILED:
		status = jvx_str(ev, "status");
		return status && (state_parse(status, &st) < 0 || st == ST_FAILED);
	default:
		return 1;
	}
}

/* ---- plain ---- */

static void plain_event(struct display *d, jv ev, int64_t t)
{
	struct buf line = BUF_INIT(1 << 20);
	struct buf b = BUF_INIT(1 << 20);
	const char *who, *color;
	if (event_apply(d, ev, t, &who, &line, &color)) {
		plain_prefix(d, &b, t, who);
		color_on(d, &b, color);
		add_indented(d, &b, buf_str(&line));
		color_off(d, &b);
		buf_addc(&b, '\n');
		fwrite(b.data, 1, b.len, d->out);
		fflush(d->out);
	}
	buf_release(&line);
	buf_release(&b);
}

/* ---- live ---- */

/* append s to b, at most `*room` display columns (UTF-8 aware), minus what was used */
static void add_cols(struct buf *b, const char *s, int *room)
{
	for (const unsigned char *p = (const unsigned char *)s; *p && *room > 0; ) {
		int n = 1;
		if (*p >= 0xf0) n = 4;
		else if (*p >= 0xe0) n = 3;
		else if (*p >= 0xc0) n = 2;
		for (int k = 1; k < n; k++)
			if (!p[k]) { n = k; break; }
		if (*p < 0x20) {
			buf_addc(b, ' ');
		} else {
			buf_add(b, p, (size_t)n);
		}
		p += n;
		(*room)--;
	}
}

static void add_cols_padded(struct buf *b, const char *s, int width, int *room)
{
	int before = *room;
	add_cols(b, s, room);
	int used = before - *room;
	for (; used < width && *room > 0; used++, (*room)--)
		buf_addc(b, ' ');
}

static int64_t live_elapsed(struct display *d, const struct dstep *s)
{
	if (s->state != ST_RUNNING)
		return s->dur_ms;
	if (s->start_ev < 0 || d->last_ev < 0)
		return -1;
	/* time line of the events (virtual in a rehearsal) plus real time since the last */
	return d->last_ev - s->start_ev + (mono_ms() - d->last_ev_mono);
}

static void live_line(struct display *d, struct buf *b, const struct dstep *s, int cols)
{
	int room = cols - 1;
	char dur[32];
	add_cols(b, " ", &room);
	if (s->state == ST_RUNNING) {
		color_on(d, b, state_color[ST_RUNNING]);
		add_cols(b, d->utf8 ? spin_utf8[d->spin % 10] : spin_ascii[d->spin % 4], &room);
	} else {
		color_on(d, b, state_color[s->state]);
		add_cols(b, sym(d, state_sym[s->state]), &room);
	}
	add_cols(b, " ", &room);
	color_off(d, b);
	add_cols_padded(b, s->id, d->idw > ID_COL_MIN ? d->idw : ID_COL_MIN, &room);
	add_cols(b, " ", &room);
	color_on(d, b, state_color[s->state]);
	add_cols_padded(b, strcmp(s->note, "rolling back") == 0 ?
			"rolling back" : state_label[s->state], 12, &room);
	color_off(d, b);
	int64_t el = live_elapsed(d, s);
	fmt_dur(el, dur, sizeof(dur));
	add_cols_padded(b, el >= 0 ? dur : "", 8, &room);
	if (s->note[0] && strcmp(s->note, "rolling back") != 0) {
		add_cols(b, " ", &room);
		color_on(d, b, "2");
		add_cols(b, s->note, &room);
		color_off(d, b);
	} else if (s->name) {
		add_cols(b, " ", &room);
		color_on(d, b, "2");
		add_cols(b, s->name, &room);
		color_off(d, b);
	}
	buf_adds(b, "\033[K\n");
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
static void live_redraw(struct display *d)
{
	struct buf b = BUF_INIT(0);
	int rows, cols;
	char dur[32];
	term_size(d->out, &rows, &cols);
	if (d->drawn > 0)
		buf_addf(&b, "\033[%dA\r\033[J", d->drawn);
	if (d->msgs.len) {
		buf_add(&b, d->msgs.data, d->msgs.len);
		buf_reset(&d->msgs);
	}
	if (d->paused) {
		d->drawn = 0;
		goto flush;
	}
	int drawn = 0;
	int room = cols - 1;
	/* header */
	buf_addc(&b, ' ');
	color_on(d, &b, "1");
	add_cols(&b, d->runbook ? d->runbook : "runbook", &room);
	color_off(d, &b);
	if (d->run_id) {
		add_cols(&b, d->utf8 ? " · run " : " | run ", &room);
		add_cols(&b, d->run_id, &room);
	}
	if (d->dry_run)
		add_cols(&b, " [dry run]", &room);
	if (d->rehearsal)
		add_cols(&b, " [rehearsal]", &room);
	buf_adds(&b, "\033[K\n");
	drawn++;

	int avail = rows - 3;
	if (avail < 3)
		avail = 3;
	char *show = xmalloc((size_t)d->n + 1);
	int nshow = live_select(d, avail, show);
	for (int i = 0; i < d->n; i++)
		if (show[i]) {
			live_line(d, &b, &d->steps[i], cols);
			drawn++;
		}
	free(show);

	/* summary */
	room = cols - 1;
	char sum[160];
	int64_t total = d->run_start_ev >= 0 && d->last_ev >= 0 ?
		d->last_ev - d->run_start_ev + (d->finished ? 0 : mono_ms() - d->last_ev_mono) : -1;
	fmt_dur(total, dur, sizeof(dur));
	const char *sep = d->utf8 ? " · " : " | ";
	snprintf(sum, sizeof(sum), " %d/%d done%s%d running%s%d failed%s%s", d->nfinished, d->n,
		 sep, d->nrunning, sep, d->nfailed, total >= 0 ? sep : "", total >= 0 ? dur : "");
	color_on(d, &b, "2");
	add_cols(&b, sum, &room);
	if (nshow < d->n) {
		char more[48];
		snprintf(more, sizeof(more), " (%d not shown)", d->n - nshow);
		add_cols(&b, more, &room);
	}
	color_off(d, &b);
	buf_adds(&b, "\033[K\n");
	drawn++;
	d->drawn = drawn;
flush:
	d->dirty = 0;
	d->last_draw = mono_ms();
	fwrite(b.data ? b.data : "", 1, b.len, d->out);
	fflush(d->out);
	buf_release(&b);
}

static void live_event(struct display *d, jv ev, int64_t t)
{
	struct buf line = BUF_INIT(1 << 20);
	const char *who, *color;
	enum ev_kind kind = ev_kind_of(ev);
	int keep = event_live_line(ev);   /* before event_apply changes the state */
	int finish = kind == EV_RUN_FINISHED;
	if (event_apply(d, ev, t, &who, &line, &color) && (keep || finish)) {
		if (finish) {
			/* the run's last word goes below the final list, which stays */
			live_redraw(d);
			d->drawn = 0;
		}
		if (keep) {
			plain_prefix(d, &d->msgs, t, who);
			color_on(d, &d->msgs, color);
			add_indented(d, &d->msgs, buf_str(&line));
			color_off(d, &d->msgs);
			buf_addc(&d->msgs, '\n');
		}
		if (finish) {
			fwrite(d->msgs.data ? d->msgs.data : "", 1, d->msgs.len, d->out);
			fflush(d->out);
			buf_reset(&d->msgs);
			goto out;
		}
	}
	buf_release(&line);
	/* between a confirmation's "prompt" and its answer the engine owns the terminal */
	int pause = d->paused;
	if (kind == EV_CONFIRM) {
		const char *status = jvx_str(ev, "status");
		pause = status && strcmp(status, "prompt") == 0;
	}
	if (pause && !d->paused) {
		live_redraw(d);      /* leave the list on screen above the prompt */
		d->drawn = 0;
		d->paused = 1;
	} else if (!pause && d->paused) {
		d->paused = 0;
		live_redraw(d);
	} else if (!d->paused) {
		/* a redraw scans every step: with thousands of steps and events, redraw at
		 * most every MIN_REDRAW_MS unless there are lines to print; the timer thread
		 * catches up with what was skipped */
		if (d->msgs.len || mono_ms() - d->last_draw >= MIN_REDRAW_MS)
			live_redraw(d);
		else
			d->dirty = 1;
	}
	return;
out:
	buf_release(&line);
}

static void *live_timer(void *arg)
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
			live_redraw(d);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* ---- the sink ---- */

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
	const char *ts = jvx_str(ev, "time");
	if (!ts || ts_parse(ts, &t) < 0)
		t = d->last_ev >= 0 ? d->last_ev : -1;
	if (t >= 0) {
		d->last_ev = t;
		d->last_ev_mono = mono_ms();
	}
	if (d->mode == DISPLAY_LIVE)
		live_event(d, ev, t);
	else
		plain_event(d, ev, t);
	jv_free(ev);
	pthread_mutex_unlock(&d->lock);
}

struct engine_sink display_sink_new(FILE *out, enum display_mode mode, int color)
{
	struct display *d = xcalloc(1, sizeof(*d));
	d->out = out;
	d->mode = display_resolve(out, mode);
	if (color < 0) {
		const char *nc = getenv("NO_COLOR");
		color = isatty(fileno(out)) && !(nc && *nc);
	}
	d->color = d->mode == DISPLAY_JSON ? 0 : color;
	d->utf8 = env_utf8();
	d->run_start_ev = -1;
	d->last_ev = -1;
	d->idw = ID_COL_MIN;
	buf_init(&d->msgs, 0);
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (d->mode == DISPLAY_LIVE && pthread_create(&d->timer, NULL, live_timer, d) == 0)
		d->timer_running = 1;
	return (struct engine_sink){ .event = display_event, .arg = d };
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
		live_redraw(d);     /* final state stays on screen */
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
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
	sink->arg = NULL;
	sink->event = NULL;
}
