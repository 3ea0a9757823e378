/* tape.c — the --record tape v1: writer (under the journal's lock) and reader (see tape.h) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <yaml.h>
#include "config.h"
#include "../core/bug.h"
#include "../core/caps.h"
#include "../core/events.h"
#include "../core/fs.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "engine_int.h"
#include "tape.h"

struct tape {
	int fd;
	int seq;                 /* the last seq written */
	int has_header;
	int64_t t0;              /* the run's start: `at` counts from here */
	jv steps;                /* qid -> status, for the end line */
	jv rollback;             /* qid -> rollback status (a failure sticks) */
};

/* one line, one write: a crash leaves at worst a cut last line (readers skip it) */
static void put_line(struct tape *t, jv v)
{
	char *s = jvx_dump(v);
	size_t n = strlen(s);
	char *line = xmalloc(n + 2);
	memcpy(line, s, n);
	line[n] = '\n';
	/* like the journal's, a failed write is not retried (the disk is full or gone) */
	(void)fs_write_all(t->fd, line, n + 1);
	free(line);
	free(s);
}

/* the first line of a file and the number of call lines; -1 unreadable */
static int scan_existing(const char *path, jv *first, int *last_seq, size_t *size)
{
	size_t len = 0;
	char *text = fs_read(path, CAP_JOURNAL, &len);
	*first = jv_invalid();
	*last_seq = 0;
	*size = 0;
	if (!text)
		return errno == ENOENT ? 0 : -1;
	*size = len;
	char *line = text, *nl;
	int n = 0;
	while (line < text + len && (nl = memchr(line, '\n', len - (size_t)(line - text)))) {
		jv v = jvx_parse_sized(line, (size_t)(nl - line));
		if (n++ == 0) {
			*first = jv_copy(v);
		}
		if (jv_get_kind(v) == JV_KIND_OBJECT && jvx_has(v, "seq")) {
			int s = (int)jvx_int(v, "seq", 0);
			if (s > *last_seq)
				*last_seq = s;
		}
		jv_free(v);
		line = nl + 1;
	}
	if (n == 0 && len > 0)
		*first = jvx_parse_sized(text, len);
	free(text);
	return 0;
}

int tape_check(const char *path, const char *run_id, jv *err)
{
	jv first;
	int last;
	size_t size;
	if (scan_existing(path, &first, &last, &size) < 0) {
		*err = jv_string_fmt("cannot read the tape '%s': %s", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	if (size == 0)
		goto out;
	if (jv_get_kind(first) != JV_KIND_OBJECT || !jvx_has(first, "tape")) {
		*err = jv_string_fmt("'%s' is not empty and is not a tape: --record wants a new or empty file", path);
		rc = -1;
	} else if (!run_id || !jvx_str(first, "run_id") || strcmp(run_id, jvx_str(first, "run_id"))) {
		*err = jv_string_fmt("the tape '%s' already holds the recording of run '%s': a tape holds one "
				     "run, record to a new file", path,
				     jvx_str(first, "run_id") ? jvx_str(first, "run_id") : "?");
		rc = -1;
	}
out:
	jv_free(first);
	return rc;
}

struct tape *tape_open(const char *path)
{
	jv first;
	int last;
	size_t size;
	if (scan_existing(path, &first, &last, &size) < 0)
		return NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		jv_free(first);
		return NULL;
	}
	struct tape *t = xcalloc(1, sizeof(*t));
	t->fd = fd;
	t->seq = last;
	t->has_header = jv_get_kind(first) == JV_KIND_OBJECT && jvx_has(first, "tape");
	t->steps = jv_object();
	t->rollback = jv_object();
	jv_free(first);
	return t;
}

void tape_close(struct tape *t)
{
	if (!t)
		return;
	fsync(t->fd);
	close(t->fd);
	jv_free(t->steps);
	jv_free(t->rollback);
	free(t);
}

void tape_header(struct tape *t, jv header, int64_t t0, struct redactor *r)
{
	t->t0 = t0;
	if (t->has_header) {
		jv_free(header);
		return;
	}
	t->has_header = 1;
	jv h = jv_object_set(jv_object(), jv_string("tape"), jv_number(TAPE_VERSION));
	jv_object_foreach(header, k, v)
		h = jv_object_set(h, k, v);
	jv_free(header);
	put_line(t, redact_jv_placeholder(r, h));
}

void tape_call(struct tape *t, jv rec, int64_t started, struct redactor *r)
{
	jv line = jv_object_set(jv_object(), jv_string("seq"), jv_number(++t->seq));
	jv_object_foreach(rec, k, v)
		line = jv_object_set(line, k, v);
	jv_free(rec);
	line = jv_object_set(line, jv_string("at"), jv_number((double)(started - t->t0)));
	put_line(t, redact_jv_placeholder(r, line));
}

void tape_event(struct tape *t, jv ev)
{
	const char *step = jvx_str(ev, "step"), *st = jvx_str(ev, "status");
	switch (ev_kind_of(ev)) {
	case EV_STEP_FINISHED:
		if (step && st)
			t->steps = jv_object_set(t->steps, jv_string(step), jv_string(st));
		break;
	case EV_ROLLBACK_STEP: {
		if (!step || !st || !strcmp(st, "running"))
			break;
		const char *was = jvx_str(t->rollback, step);
		if (!was || strcmp(was, "failed"))
			t->rollback = jv_object_set(t->rollback, jv_string(step), jv_string(st));
		break;
	}
	case EV_RUN_FINISHED: {
		jv end = jv_object_set(jv_object(), jv_string("end"), jv_true());
		end = jv_object_set(end, jv_string("status"), jv_string(st ? st : "?"));
		end = jv_object_set(end, jv_string("exit_code"), jv_number((double)jvx_int(ev, "exit_code", -1)));
		end = jv_object_set(end, jv_string("steps"), jv_copy(t->steps));
		end = jv_object_set(end, jv_string("rollback"), jv_copy(t->rollback));
		put_line(t, end);
		break;
	}
	default:
		break;
	}
}

jv tape_versions(void)
{
	jv v = jv_object_set(jv_object(), jv_string("runbook"), jv_string(RUNBOOK_VERSION));
	v = jv_object_set(v, jv_string("libyaml"), jv_string(yaml_get_version_string()));
	v = jv_object_set(v, jv_string("libcurl"), jv_string(curl_version_info(CURLVERSION_NOW)->version));
	v = jv_object_set(v, jv_string("openssl"), jv_string(OpenSSL_version(OPENSSL_VERSION)));
	return v;
}

/* ---- reading ------------------------------------------------------------------ */

static const char *const call_fields[] = { "step", "action", NULL };

int tape_read(const char *path, struct source_list *sl, struct tape_data *td, struct diag_list *dl)
{
	int nerr = dl->nerrors;
	td->header = jv_invalid();
	td->calls = jv_array();
	td->end = jv_null();
	struct source *src = source_load(sl, path, dl);
	if (!src)
		goto out;
	const char *p = src->text, *end = src->text + src->len;
	for (int ln = 1; p < end; ln++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct srcloc loc = { src, ln, 1 };
		jv v = n ? jvx_parse_sized(p, n) : jv_invalid();
		p = nl ? nl + 1 : end;
		if (!n) {
			jv_free(v);
			continue;
		}
		if (!nl && !jv_is_valid(v)) {
			/* a last line cut by a crash: the calls before it still count */
			jv_free(v);
			break;
		}
		if (!jv_is_valid(v) || jv_get_kind(v) != JV_KIND_OBJECT) {
			jv msg = jv_is_valid(v) ? jv_string("not a JSON object") : jv_invalid_get_msg(jv_copy(v));
			diag_error(dl, &loc, "a tape line must be a JSON object: %s",
				   jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "invalid JSON");
			jv_free(msg);
			jv_free(v);
			continue;
		}
		if (ln == 1) {
			jv ver = jvx_get(v, "tape");
			if (jv_get_kind(ver) != JV_KIND_NUMBER) {
				diag_error(dl, &loc, "'%s' is not a tape: its first line has no \"tape\" version", path);
			} else if (jv_number_value(ver) != TAPE_VERSION) {
				diag_error(dl, &loc, "tape version %g is not supported (this runbook reads version %d)",
					   jv_number_value(ver), TAPE_VERSION);
			} else {
				td->header = jv_copy(v);
			}
			jv_free(ver);
			jv_free(v);
			if (dl->nerrors > nerr)
				goto out;
			continue;
		}
		if (jvx_bool(v, "end", 0)) {
			jv_free(td->end);
			td->end = v;
			continue;
		}
		if (!jvx_has(v, "seq")) {     /* a line of a later kind: ignored */
			jv_free(v);
			continue;
		}
		int bad = 0;
		for (int i = 0; call_fields[i]; i++)
			if (!jvx_str(v, call_fields[i])) {
				diag_error(dl, &loc, "tape call line has no \"%s\" string", call_fields[i]);
				bad = 1;
			}
		{
			jv ok = jvx_get(v, "ok");
			if (jv_get_kind(ok) != JV_KIND_TRUE && jv_get_kind(ok) != JV_KIND_FALSE) {
				diag_error(dl, &loc, "tape call line has no \"ok\" boolean");
				bad = 1;
			}
			jv_free(ok);
		}
		if (bad) {
			jv_free(v);
			continue;
		}
		v = jv_object_set(v, jv_string("line"), jv_number(ln));
		td->calls = jv_array_append(td->calls, v);
	}
	if (dl->nerrors == nerr && !jv_is_valid(td->header)) {
		struct srcloc loc = { src, 1, 1 };
		diag_error(dl, &loc, "'%s' is empty: not a tape", path);
	}
out:
	return dl->nerrors > nerr ? -1 : 0;
}

void tape_data_release(struct tape_data *td)
{
	jv_free(td->header);
	jv_free(td->calls);
	jv_free(td->end);
	td->header = td->calls = td->end = jv_invalid();
}
