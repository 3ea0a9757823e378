/* display_text.c — the pieces both text outputs (plain lines, live list) are made of. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "display_int.h"
#include "../core/bug.h"
#include "../core/jvx.h"

/* step states by name, from the X-macro shared with the engine and the journal */
#define X(e, s) s,
const char *const dsp_state_names[ST__N] = { STEP_STATES(X) };
#undef X

/* the same states as the terminal shows them */
const char *const dsp_state_label[ST__N] = {
	[ST_PENDING] = "pending", [ST_RUNNING] = "running", [ST_SUCCEEDED] = "succeeded",
	[ST_FAILED] = "failed", [ST_SKIPPED] = "skipped", [ST_ROLLED_BACK] = "rolled back",
	[ST_DRY_RUN] = "dry run",
};

/* ANSI colors per state (index = enum step_state) */
const char *const dsp_state_color[ST__N] = {
	[ST_PENDING] = "2", [ST_RUNNING] = "36", [ST_SUCCEEDED] = "32", [ST_FAILED] = "31",
	[ST_SKIPPED] = "33", [ST_ROLLED_BACK] = "35", [ST_DRY_RUN] = "34",
};

/* ---- fields of events: jvx_get, with the key string made once per display ---- */

static jv key_of(struct display *d, const char *name)
{
	for (int i = 0; i < d->nkeys; i++)
		if (d->keys[i].name == name)
			return jv_copy(d->keys[i].key);
	for (int i = 0; i < d->nkeys; i++)
		if (!strcmp(jv_string_value(d->keys[i].key), name)) {
			/* the same name at another address: remembered for next time too */
			if (d->nkeys < DSP_KEYS_MAX) {
				d->keys[d->nkeys].name = name;
				d->keys[d->nkeys++].key = jv_copy(d->keys[i].key);
			}
			return jv_copy(d->keys[i].key);
		}
	jv k = jv_string(name);
	if (d->nkeys < DSP_KEYS_MAX) {
		d->keys[d->nkeys].name = name;
		d->keys[d->nkeys++].key = jv_copy(k);
	}
	return k;
}

void dsp_keys_free(struct display *d)
{
	for (int i = 0; i < d->nkeys; i++)
		jv_free(d->keys[i].key);
	d->nkeys = 0;
}

jv dsp_get(struct display *d, jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(obj), key_of(d, key));
}

const char *dsp_str(struct display *d, jv obj, const char *key)
{
	jv v = dsp_get(d, obj, key);
	const char *s = NULL;
	if (jv_get_kind(v) == JV_KIND_STRING)
		s = jv_string_value(v);   /* still referenced by obj */
	jv_free(v);
	return s;
}

int64_t dsp_int(struct display *d, jv obj, const char *key, int64_t def)
{
	jv v = dsp_get(d, obj, key);
	int64_t r = jv_get_kind(v) == JV_KIND_NUMBER ? (int64_t)llround(jv_number_value(v)) : def;
	jv_free(v);
	return r;
}

int dsp_bool(struct display *d, jv obj, const char *key, int def)
{
	return jvx_truth(dsp_get(d, obj, key), def);
}

int64_t dsp_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- formatting helpers ---- */

void dsp_fmt_dur(int64_t ms, char *b, size_t size)
{
	if (ms < 0)
		snprintf(b, size, "-");
	else if (ms < 1000 && size >= 6) {
		/* most steps: no printf */
		char *p = b;
		if (ms >= 100)
			*p++ = (char)('0' + ms / 100);
		if (ms >= 10)
			*p++ = (char)('0' + ms / 10 % 10);
		*p++ = (char)('0' + ms % 10);
		memcpy(p, "ms", 3);
	} else if (ms < 1000)
		snprintf(b, size, "%" PRId64 "ms", ms);
	else if (ms < 60000)
		snprintf(b, size, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(b, size, "%" PRId64 "m%02" PRId64 "s", ms / 60000, (ms / 1000) % 60);
	else
		snprintf(b, size, "%" PRId64 "h%02" PRId64 "m", ms / 3600000, (ms / 60000) % 60);
}

/* HH:MM:SS of an event time in local time (TZ honoured); the text of the last second
 * shown is kept (events come many to a second) */
static const char *fmt_clock(struct display *d, int64_t ms)
{
	if (ms < 0)
		return "--:--:--";
	if (ms / 1000 != d->clock_sec) {
		time_t t = (time_t)(ms / 1000);
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(d->clock_text, sizeof(d->clock_text), "%H:%M:%S", &tm);
		d->clock_sec = ms / 1000;
	}
	return d->clock_text;
}

int dsp_state_parse(const char *s, enum step_state *st)
{
	for (int i = 0; s && i < ST__N; i++)
		if (strcmp(s, dsp_state_names[i]) == 0) {
			*st = (enum step_state)i;
			return 0;
		}
	return -1;
}

/* text of an error field: {code, message} -> "code: message"; strings as is */
int dsp_err_text(struct display *d, jv ev, const char *key, struct buf *b)
{
	int berr = 0;
	jv e = dsp_get(d, ev, key);
	if (!jv_is_valid(e))
		return berr;
	if (jv_get_kind(e) == JV_KIND_OBJECT) {
		const char *code = dsp_str(d, e, "code");
		const char *msg = dsp_str(d, e, "message");
		if (code && msg)
			berr |= buf_addf(b, "%s: %s", code, msg);
		else if (msg || code)
			berr |= buf_adds(b, msg ? msg : code);
		else {
			char *t = jvx_dump(jv_copy(e));
			berr |= buf_adds(b, t);
			free(t);
		}
		jv_free(e);
		return berr;
	}
	char *t = jvx_text(e);
	berr |= buf_adds(b, t);
	free(t);
	return berr;
}

void dsp_set_note(struct dstep *s, const char *text)
{
	size_t n = text ? strnlen(text, sizeof(s->note) - 1) : 0;
	memcpy(s->note, text ? text : "", n);
	s->note[n] = '\0';
	for (char *p = s->note; *p; p++)  /* one line in the list */
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

/* ---- step index ---- */

int dsp_step_find(struct display *d, const char *id)
{
	return strmap_get(&d->index, id);
}

int dsp_step_get(struct display *d, const char *id)
{
	int i = dsp_step_find(d, id);
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

void dsp_step_set_state(struct display *d, struct dstep *s, enum step_state st)
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

int dsp_color_on(const struct display *d, struct buf *b, const char *code)
{
	int berr = 0;
	if (d->color && code)
		berr |= buf_addf(b, "\033[%sm", code);
	return berr;
}

int dsp_color_off(const struct display *d, struct buf *b)
{
	int berr = 0;
	if (d->color)
		berr |= buf_adds(b, "\033[0m");
	return berr;
}

static int add_padded(struct buf *b, const char *s, int width)
{
	static const char spaces[] = "                                ";
	int berr = 0;
	int len = (int)strlen(s);
	berr |= buf_add(b, s, (size_t)len);
	while (len < width) {
		int k = width - len < (int)sizeof(spaces) - 1 ? width - len : (int)sizeof(spaces) - 1;
		berr |= buf_add(b, spaces, (size_t)k);
		len += k;
	}
	return berr;
}

/* plain line prefix: "03:18:43 restore      " */
int dsp_plain_prefix(struct display *d, struct buf *b, int64_t t, const char *who)
{
	int berr = 0;
	berr |= dsp_color_on(d, b, "2");
	berr |= buf_adds(b, fmt_clock(d, t));
	berr |= dsp_color_off(d, b);
	berr |= buf_addc(b, ' ');
	berr |= add_padded(b, who, d->idw > ID_COL_MIN ? d->idw : ID_COL_MIN);
	berr |= buf_addc(b, ' ');
	return berr;
}

/* indent continuation lines of a multi-line message to the text column */
int dsp_add_indented(struct display *d, struct buf *b, const char *text)
{
	int berr = 0;
	int indent = 9 + (d->idw > ID_COL_MIN ? d->idw : ID_COL_MIN) + 1;
	if (!strpbrk(text, "\r\n"))
		berr |= buf_adds(b, text);      /* one line: as it is */
	else for (const char *p = text; *p; p++) {
		if (*p == '\r')
			continue;
		berr |= buf_addc(b, *p);
		if (*p == '\n' && p[1])
			for (int i = 0; i < indent; i++)
				berr |= buf_addc(b, ' ');
	}
	if (b->len && b->data[b->len - 1] == '\n')
		b->len--, b->data[b->len] = '\0';
	return berr;
}
