/* journal.c — run directories, the append-only journal, the --record tape, run ids,
 * and step state names.
 *
 * The journal's lines go to the state store (state/state.h), which makes a synced line
 * durable with group commit: a caller of journal_append(.., STATE_SYNC) returns only
 * once its line is durable (the write-ahead rule: the intent is durable before the call
 * it announces), and parallel workers share syncs instead of queueing behind each
 * other's. What is synced: a mutating call's line and a confirm's answer (at once), a
 * mutating step's end (soon: with the next synced line, or within STATE_SYNC_SOON_MS),
 * the run's start and end; a read-only step's lines are not (node.c node_end_sync). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/sha.h>
#include "../core/fs.h"
#include "../core/caps.h"
#include "../core/bug.h"
#include "../core/buf.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "engine_int.h"
#include "tape.h"


static const char *const state_names[] = {
#define X(e, s) s,
	STEP_STATES(X)
#undef X
};

const char *step_state_name(enum step_state s)
{
	BUG_ON((unsigned)s >= ST__N);
	return state_names[s];
}

int step_state_parse(const char *name, enum step_state *s)
{
	for (int i = 0; i < ST__N; i++)
		if (!strcmp(state_names[i], name)) {
			*s = (enum step_state)i;
			return 0;
		}
	return -1;
}

void sha256_hex(const char *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)data, len, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

static int journal_write(struct journal *j, jv ev, int sync);

int journal_open(struct journal *j, struct state *s, const char *run_id, const char *tape,
		 struct redactor *r, jv *err)
{
	memset(j, 0, sizeof(*j));
	pthread_mutex_init(&j->lock, NULL);
	j->redact = r;
	if (!(j->sj = state_journal_open(s, run_id, err)))
		goto fail;
	if (tape && !(j->tape = tape_open(tape))) {
		*err = jv_string_fmt("cannot open the recording '%s': %s", tape, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	state_journal_close(j->sj);
	j->sj = NULL;
	pthread_mutex_destroy(&j->lock);
	return -1;
}

void journal_close(struct journal *j)
{
	state_journal_close(j->sj);
	j->sj = NULL;
	tape_close(j->tape);
	j->tape = NULL;
	pthread_mutex_destroy(&j->lock);
}

int journal_append(struct journal *j, jv ev, int sync)
{
	if (j->tape) {
		/* the tape sees the event as given (it writes placeholders of its own) */
		pthread_mutex_lock(&j->lock);
		tape_event(j->tape, ev);    /* borrows */
		pthread_mutex_unlock(&j->lock);
	}
	return journal_write(j, redact_jv(j->redact, ev), sync);
}

int journal_append_redacted(struct journal *j, jv ev, int sync)
{
	if (j->tape) {
		/* the tape's end line follows the run's outcome */
		pthread_mutex_lock(&j->lock);
		tape_event(j->tape, ev);    /* borrows */
		pthread_mutex_unlock(&j->lock);
	}
	return journal_write(j, ev, sync);
}

int journal_append_line(struct journal *j, jv ev, const char *line, size_t len, int sync)
{
	if (j->tape) {
		pthread_mutex_lock(&j->lock);
		tape_event(j->tape, ev);    /* borrows */
		pthread_mutex_unlock(&j->lock);
	}
	return state_journal_append(j->sj, line, len, sync);
}

/* one redacted line to the store; consumes ev */
static int journal_write(struct journal *j, jv ev, int sync)
{
	char *s = jvx_dump(ev);
	/* the store writes the line whole (a crash leaves at worst a cut last line) and,
	 * with sync, returns once it is durable: the write-ahead rule */
	int rc = state_journal_append(j->sj, s, strlen(s), sync);
	free(s);
	return rc;
}

const char *journal_error(struct journal *j)
{
	return j->sj ? state_journal_error(j->sj) : NULL;
}

void journal_tape_header(struct journal *j, jv header, int64_t t0)
{
	if (!j->tape) {
		jv_free(header);
		return;
	}
	pthread_mutex_lock(&j->lock);
	tape_header(j->tape, header, t0, j->redact);
	pthread_mutex_unlock(&j->lock);
}

void journal_tape_seed(struct journal *j, jv events)
{
	if (!j->tape || jv_get_kind(events) != JV_KIND_ARRAY)
		return;
	pthread_mutex_lock(&j->lock);
	jv_array_foreach(events, i, ev) {
		if (ev_kind_of(ev) != EV_RUN_FINISHED)
			tape_event(j->tape, ev);
		jv_free(ev);
	}
	pthread_mutex_unlock(&j->lock);
}

void journal_tape(struct journal *j, jv rec, int64_t started)
{
	if (!j->tape) {
		jv_free(rec);
		return;
	}
	/* under the lock: seq numbers the lines in the order they are written */
	pthread_mutex_lock(&j->lock);
	tape_call(j->tape, rec, started, j->redact);
	pthread_mutex_unlock(&j->lock);
}
