/* state_folder.c — the folder store (state.h): today's layout, unchanged on disk.
 *
 *   DIR/runs/.ID.tmp/      a run being created (renamed to DIR/runs/ID/ at publish)
 *   DIR/runs/ID/           journal.jsonl, plan.json, params.json, runbook.yaml,
 *                          sources/N-NAME, report.md, report.json, timeline.svg
 *   DIR/drills.jsonl       the drill register, one JSON object per line
 *   DIR/locks/KEY.lock     flock(2) locks; the holder's record is the file's content;
 *                          removed by the holder as it lets go
 *
 * Folders 0700, files 0600.
 *
 * Group commit (the journal): a line is appended under the lock, and a writer that
 * needs it durable waits until `durable` covers its offset. One of the waiting writers
 * (the first to find nobody syncing) runs fsync with the lock released, covering
 * everything written so far; the others wait on `synced` and return when it covers
 * their line. A failed write or fsync makes the journal fail for good (sticky): every
 * waiter and every later append gets -1 and state_journal_error() says why.
 *
 * Sync soon (STATE_SYNC_SOON): the line is written and the append returns; a flusher
 * thread, started on the first such line, makes it durable at most STATE_SYNC_SOON_MS
 * later unless a synced line or the close covers it first (the usual case: the next
 * write-ahead line's fsync covers every line before it). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "../core/bug.h"
#include "../core/buf.h"
#include "../core/caps.h"
#include "../core/fs.h"
#include "../core/jparse.h"
#include "../core/jvx.h"
#include "../core/runid.h"
#include "state_priv.h"

#define LOCK_POLL_MS 100

struct folder {
	char *dir;
};

struct state_journal {
	struct state *s;             /* first: state.c dispatches through it */
	pthread_mutex_t lock;
	pthread_cond_t synced;       /* durable moved, the syncer left, or the journal failed */
	uint64_t written, durable;   /* bytes appended; bytes known on disk */
	int syncing;                 /* a writer is in fsync, outside the lock */
	int fd;                      /* journal.jsonl, O_APPEND */
	char *err;                   /* sticky failure, or NULL */
	/* sync soon: the flusher makes `soon` bytes durable by `soon_by` */
	pthread_t flusher;
	int has_flusher, stop;
	pthread_cond_t kick;         /* the flusher: soon moved past durable, or stop */
	uint64_t soon;
	struct timespec soon_by;     /* CLOCK_MONOTONIC */
};

struct state_lock {
	struct state *s;             /* first */
	int fd;                      /* holds the flock until closed */
	char *path;                  /* removed when released */
};

static const char *dir_of(struct state *s)
{
	return ((struct folder *)s->impl)->dir;
}


/* a run's file name: relative, no "..", no empty part */
static int name_ok(const char *name)
{
	return name && *name && name[0] != '/' && !strstr(name, "..") && !strstr(name, "//") &&
	       name[strlen(name) - 1] != '/';
}

/* DIR/runs/ID when published, else DIR/runs/.ID.tmp when it is being created; 0 or
 * -1 (ENOENT) */
static int run_path(struct state *s, const char *id, char *path, size_t n)
{
	struct stat st;
	if (run_id_check(id)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, n, "%s/runs/%s", dir_of(s), id);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	snprintf(path, n, "%s/runs/.%s.tmp", dir_of(s), id);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	errno = ENOENT;
	return -1;
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int f_open(struct state *s, const char *where, jv *err)
{
	struct folder *f;
	if (!where || !*where) {
		*err = jv_string("cannot open the state folder: no folder named");
		return -1;
	}
	f = xcalloc(1, sizeof(*f));
	f->dir = xstrdup(where);
	s->impl = f;
	s->name = xstrdup(where);
	return 0;
}

static void f_close(struct state *s)
{
	struct folder *f = s->impl;
	if (f)
		free(f->dir);
	free(f);
	s->impl = NULL;
}

/* ---- runs ---- */

/* another id for the same second: the candidate's random suffix (after its last '-')
 * replaced */

static int f_run_create(struct state *s, char **id, int64_t now_ms, jv *err)
{
	char path[4096], final[4096];
	(void)now_ms;
	snprintf(path, sizeof(path), "%s/runs", dir_of(s));
	if (fs_mkdir_p(path, 0700) < 0) {
		*err = jv_string_fmt("cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	/* a new folder per run: never append to another run's journal */
	for (int tries = 0;; tries++) {
		if (run_id_check(*id)) {
			*err = jv_string_fmt("cannot create run '%s': not a valid run id", *id);
			return -1;
		}
		snprintf(final, sizeof(final), "%s/runs/%s", dir_of(s), *id);
		snprintf(path, sizeof(path), "%s/runs/.%s.tmp", dir_of(s), *id);
		if (access(final, F_OK) != 0 && mkdir(path, 0700) == 0)
			return 0;
		if (errno == ENOENT)
			errno = EEXIST;
		if (errno != EEXIST || tries == 20) {
			*err = jv_string_fmt("cannot create run directory '%s': %s", path, strerror(errno));
			return -1;
		}
		char *again = run_id_again(*id);
		free(*id);
		*id = again;
	}
}

static int f_run_publish(struct state *s, const char *id, jv *err)
{
	char tmp[4096], final[4096], parent[4096];
	snprintf(tmp, sizeof(tmp), "%s/runs/.%s.tmp", dir_of(s), id);
	snprintf(final, sizeof(final), "%s/runs/%s", dir_of(s), id);
	snprintf(parent, sizeof(parent), "%s/runs", dir_of(s));
	if (run_id_check(id) || rename(tmp, final) < 0) {
		*err = jv_string_fmt("cannot rename '%s' to '%s': %s", tmp, final, strerror(!run_id_check(id) ? errno : EINVAL));
		return -1;
	}
	/* the rename itself reaches the disk with the parent folder */
	fsync_dir(parent);
	return 0;
}

static int f_run_put(struct state *s, const char *id, const char *name, const char *data, size_t len, jv *err)
{
	char path[4096];
	if (!name_ok(name)) {
		*err = jv_string_fmt("cannot write '%s' of run '%s': not a run file name", name ? name : "", id);
		return -1;
	}
	if (run_path(s, id, path, sizeof(path)) < 0) {
		*err = jv_string_fmt("cannot write '%s': no run '%s' in '%s'", name, id, dir_of(s));
		return -1;
	}
	size_t l = strlen(path);
	snprintf(path + l, sizeof(path) - l, "/%s", name);
	const char *slash = strrchr(path + l + 1, '/');
	if (slash) {
		char sub[4096];
		snprintf(sub, sizeof(sub), "%.*s", (int)(slash - path), path);
		if (fs_mkdir_p(sub, 0700) < 0) {
			*err = jv_string_fmt("cannot create '%s': %s", sub, strerror(errno));
			return -1;
		}
	}
	if (fs_write_atomic(path, data, len, 0600) < 0) {
		*err = jv_string_fmt("cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static char *f_run_get(struct state *s, const char *id, const char *name, size_t *len)
{
	char path[4096];
	if (!name_ok(name)) {
		errno = EINVAL;
		return NULL;
	}
	if (run_path(s, id, path, sizeof(path)) < 0)
		return NULL;
	size_t l = strlen(path);
	snprintf(path + l, sizeof(path) - l, "/%s", name);
	return fs_read(path, CAP_JOURNAL, len);
}

/* every complete JSON object line; a last line without newline was cut by a crash */
static jv parse_lines(char *text, size_t len, int objects_only)
{
	jv out = jv_array();
	char *line = text, *nl;
	struct jparser *jp = xmalloc(sizeof(*jp));
	jparser_init(jp);
	while ((nl = memchr(line, '\n', len - (size_t)(line - text)))) {
		size_t n = (size_t)(nl - line);
		while (n && line[n - 1] == '\r')
			n--;
		if (n) {
			jv v = jparser_parse(jp, line, n);
			if (jv_is_valid(v) && jv_get_kind(v) == JV_KIND_OBJECT)
				out = jv_array_append(out, v);
			else if (objects_only)
				jv_free(v);
			else
				out = jv_array_append(out, (jv_free(v), jv_null()));
		}
		line = nl + 1;
	}
	jparser_release(jp);
	free(jp);
	return out;
}

static char *f_run_journal(struct state *s, const char *id, size_t *len)
{
	char path[4096];
	if (run_id_check(id)) {
		errno = EINVAL;
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/runs/%s/journal.jsonl", dir_of(s), id);
	return fs_read(path, CAP_JOURNAL, len);
}

static jv f_run_events(struct state *s, const char *id)
{
	char path[4096];
	size_t len;
	if (run_id_check(id))
		return jv_invalid_with_msg(jv_string_fmt("invalid run id '%s'", id ? id : ""));
	snprintf(path, sizeof(path), "%s/runs/%s/journal.jsonl", dir_of(s), id);
	char *text = fs_read(path, CAP_JOURNAL, &len);
	if (!text)
		return jv_invalid_with_msg(jv_string_fmt("cannot read '%s': %s", path, strerror(errno)));
	jv out = parse_lines(text, len, 1);
	free(text);
	return out;
}

static int cmp_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

static jv f_runs(struct state *s)
{
	char path[4096];
	char **ids = NULL;
	int n = 0, alloc = 0;
	jv out = jv_array();
	snprintf(path, sizeof(path), "%s/runs", dir_of(s));
	DIR *d = opendir(path);
	if (!d)
		return out;
	struct dirent *de;
	while ((de = readdir(d)))
		if (!run_id_check(de->d_name)) {
			ALLOC_GROW(ids, n + 1, alloc);
			ids[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	if (n > 1)
		qsort(ids, (size_t)n, sizeof(*ids), cmp_desc);
	for (int i = 0; i < n; i++) {
		out = jv_array_append(out, jv_string(ids[i]));
		free(ids[i]);
	}
	free(ids);
	return out;
}

static char *f_run_workdir(struct state *s, const char *id, jv *err)
{
	char path[4096];
	if (run_path(s, id, path, sizeof(path)) < 0) {
		*err = jv_string_fmt("no run '%s' in '%s'", id ? id : "", dir_of(s));
		return NULL;
	}
	return xstrdup(path);
}

/* ---- the journal ---- */

static struct state_journal *f_journal_open(struct state *s, const char *id, jv *err)
{
	char path[4096];
	struct state_journal *j;
	if (run_path(s, id, path, sizeof(path)) < 0) {
		*err = jv_string_fmt("cannot open the journal: no run '%s' in '%s'", id ? id : "", dir_of(s));
		return NULL;
	}
	size_t l = strlen(path);
	snprintf(path + l, sizeof(path) - l, "/journal.jsonl");
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = jv_string_fmt("cannot open the journal '%s': %s", path, strerror(errno));
		return NULL;
	}
	/* a line cut by a crash or a failed write stays a line of its own (readers skip
	 * it): the next one must not be glued to it */
	struct stat st;
	char last;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n' &&
	    fs_write_all(fd, "\n", 1) < 0) {
		*err = jv_string_fmt("cannot write the journal '%s': %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->fd = fd;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->synced, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->kick, &ca);
	pthread_condattr_destroy(&ca);
	return j;
}

/* with the lock held: the journal fails for good, waiters wake */
static void j_fail(struct state_journal *j, const char *what, int e)
{
	if (!j->err) {
		jv m = jv_string_fmt("cannot %s the journal: %s", what, strerror(e));
		j->err = xstrdup(jv_string_value(m));
		jv_free(m);
	}
	pthread_cond_broadcast(&j->synced);
}

/* with the lock held: 0 once the first `upto` bytes are on disk, -1 if they cannot be */
static int wait_durable(struct state_journal *j, uint64_t upto)
{
	while (j->durable < upto && !j->err) {
		if (j->syncing) {
			pthread_cond_wait(&j->synced, &j->lock);
			continue;
		}
		uint64_t target = j->written;
		j->syncing = 1;
		pthread_mutex_unlock(&j->lock);
		int rc = fsync(j->fd), e = errno;
		pthread_mutex_lock(&j->lock);
		j->syncing = 0;
		if (rc < 0) {
			/* after a failed fsync the kernel may have dropped the pages: what
			 * was written is not known to be on disk, now or later */
			j_fail(j, "sync", e);
			break;
		}
		if (target > j->durable)
			j->durable = target;
		pthread_cond_broadcast(&j->synced);
	}
	return j->durable >= upto ? 0 : -1;
}

/* the flusher (sync soon): waits for lines to make durable, then until their deadline
 * (a synced line or the close may cover them first), then syncs what is left */
static void *f_flusher(void *arg)
{
	struct state_journal *j = arg;
	pthread_mutex_lock(&j->lock);
	while (!j->stop && !j->err) {
		if (j->soon <= j->durable) {
			pthread_cond_wait(&j->kick, &j->lock);
			continue;
		}
		if (pthread_cond_timedwait(&j->kick, &j->lock, &j->soon_by) != ETIMEDOUT)
			continue;
		wait_durable(j, j->soon);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* with the lock held: the first `written` bytes durable within STATE_SYNC_SOON_MS */
static int sync_soon(struct state_journal *j)
{
	if (j->soon > j->durable) {
		j->soon = j->written;        /* the deadline already set covers these too */
		return 0;
	}
	j->soon = j->written;
	clock_gettime(CLOCK_MONOTONIC, &j->soon_by);
	j->soon_by.tv_nsec += (long)STATE_SYNC_SOON_MS * 1000000L;
	j->soon_by.tv_sec += j->soon_by.tv_nsec / 1000000000L;
	j->soon_by.tv_nsec %= 1000000000L;
	if (!j->has_flusher) {
		if (pthread_create(&j->flusher, NULL, f_flusher, j))
			return wait_durable(j, j->written);   /* no thread: sync now */
		j->has_flusher = 1;
	}
	pthread_cond_signal(&j->kick);
	return 0;
}

static int f_journal_append(struct state_journal *j, const char *line, size_t len, int sync)
{
	int rc = -1;
	/* one write per line so a crash leaves at worst a truncated last line */
	char *buf = xmalloc(len + 1);
	memcpy(buf, line, len);
	buf[len] = '\n';
	pthread_mutex_lock(&j->lock);
	if (j->err)
		goto out;
	if (fs_write_all(j->fd, buf, len + 1) < 0) {
		j_fail(j, "write", errno);
		goto out;
	}
	j->written += len + 1;
	if (sync == STATE_SYNC_SOON)
		rc = sync_soon(j);
	else
		rc = sync ? wait_durable(j, j->written) : 0;
out:
	pthread_mutex_unlock(&j->lock);
	free(buf);
	return rc;
}

static const char *f_journal_error(struct state_journal *j)
{
	pthread_mutex_lock(&j->lock);
	const char *e = j->err;
	pthread_mutex_unlock(&j->lock);
	return e;
}

static void f_journal_close(struct state_journal *j)
{
	if (j->has_flusher) {
		pthread_mutex_lock(&j->lock);
		j->stop = 1;
		pthread_cond_signal(&j->kick);
		pthread_mutex_unlock(&j->lock);
		pthread_join(j->flusher, NULL);
	}
	if (j->fd >= 0) {
		fsync(j->fd);
		close(j->fd);
	}
	pthread_cond_destroy(&j->synced);
	pthread_cond_destroy(&j->kick);
	pthread_mutex_destroy(&j->lock);
	free(j->err);
	free(j);
}

/* ---- the drill register ---- */

static int f_drill_append(struct state *s, jv record, jv *err)
{
	char path[4096];
	struct buf b = BUF_INIT(0);
	int rc = -1, fd = -1;
	char *text = jvx_dump(record);
	if (fs_mkdir_p(dir_of(s), 0700) < 0) {
		*err = jv_string_fmt("cannot create '%s': %s", dir_of(s), strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/drills.jsonl", dir_of(s));
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = jv_string_fmt("cannot open the drill register '%s': %s", path, strerror(errno));
		goto out;
	}
	if (buf_adds(&b, text) < 0 || buf_addc(&b, '\n') < 0) {
		*err = jv_string_fmt("cannot write the drill register '%s': the record is too large", path);
		goto out;
	}
	/* one write: appends of concurrent drills do not interleave */
	if (write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) < 0) {
		*err = jv_string_fmt("cannot write the drill register '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	free(text);
	return rc;
}

/* every line in order; a line that is not a JSON object is null (the reader warns,
 * numbering records from 1) */
static jv f_drills(struct state *s)
{
	char path[4096];
	size_t len;
	snprintf(path, sizeof(path), "%s/drills.jsonl", dir_of(s));
	char *text = fs_read(path, CAP_JOURNAL, &len);
	if (!text)
		return errno == ENOENT ? jv_array() :
		       jv_invalid_with_msg(jv_string_fmt("cannot read the drill register '%s': %s", path, strerror(errno)));
	/* a last line without newline still counts: the register is written whole */
	if (len && text[len - 1] != '\n') {
		char *t = xmalloc(len + 1);
		memcpy(t, text, len);
		t[len++] = '\n';
		free(text);
		text = t;
	}
	jv out = parse_lines(text, len, 0);
	free(text);
	return out;
}

/* ---- locks ---- */

/* DIR/locks/KEY.lock with KEY escaped: [A-Za-z0-9_-] and inner '.' kept, others %XX;
 * a long key keeps its start and a hash of the whole */
static void lock_path(struct state *s, const char *key, char *path, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char name[256];
	size_t k = 0;
	for (const unsigned char *p = (const unsigned char *)key; *p && k + 4 < 160; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '-' || (*p == '.' && k > 0)) {
			name[k++] = (char)*p;
		} else {
			name[k++] = '%';
			name[k++] = hex[*p >> 4];
			name[k++] = hex[*p & 15];
		}
	}
	name[k] = '\0';
	if (strlen(key) * 3 >= 156) {
		uint64_t h = 1469598103934665603ull;     /* FNV-1a */
		for (const unsigned char *p = (const unsigned char *)key; *p; p++)
			h = (h ^ *p) * 1099511628211ull;
		snprintf(name + k, sizeof(name) - k, "~%016llx", (unsigned long long)h);
	}
	snprintf(path, n, "%s/locks/%s.lock", dir_of(s), name);
}

/* the holder's record, or null (not written yet, or unreadable) */
static jv lock_who(int fd)
{
	char buf[4096];
	for (int tries = 0; tries < 3; tries++) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
				n--;
			jv v = jvx_parse_sized(buf, (size_t)n);
			if (jv_get_kind(v) == JV_KIND_OBJECT)
				return v;
			jv_free(v);
		}
		/* the holder writes its record just after taking the lock */
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return jv_null();
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int f_lock(struct state *s, const char *key, jv me, int64_t wait_ms, struct state_lock **lk, jv *who,
		  jv *err)
{
	char path[4096], dir[4096];
	int fd = -1, rc = -1;
	char *text = NULL;
	int64_t until = mono_ms() + (wait_ms > 0 ? wait_ms : 0);
	*lk = NULL;
	snprintf(dir, sizeof(dir), "%s/locks", dir_of(s));
	if (fs_mkdir_p(dir, 0700) < 0) {
		*err = jv_string_fmt("cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	lock_path(s, key, path, sizeof(path));
	for (;;) {
		struct stat a, b;
		/* O_CLOEXEC: an exec'd child must not keep the lock after this process dies */
		if (fd < 0 && (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
			*err = jv_string_fmt("cannot open the lock file '%s': %s", path, strerror(errno));
			goto out;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* still the file the path names? a holder removes it as it lets go, and
			 * then the lock is the new file's */
			if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
				break;
			close(fd);
			fd = -1;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			*err = jv_string_fmt("cannot lock '%s': %s", path, strerror(errno));
			goto out;
		}
		if (mono_ms() >= until) {
			*who = lock_who(fd);
			rc = 1;
			goto out;
		}
		struct timespec ts = {0, LOCK_POLL_MS * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	/* the holder's record, for the message a refused caller gets */
	text = jvx_dump(me);
	me = jv_invalid();
	size_t n = strlen(text);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, n, 0) != (ssize_t)n || pwrite(fd, "\n", 1, (off_t)n) != 1) {
		*err = jv_string_fmt("cannot write the lock file '%s': %s", path, strerror(errno));
		goto out;
	}
	*lk = xcalloc(1, sizeof(**lk));
	(*lk)->s = s;
	(*lk)->fd = fd;
	(*lk)->path = xstrdup(path);
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	jv_free(me);
	free(text);
	return rc;
}

static void f_unlock(struct state_lock *lk)
{
	/* removed while still held, so that locks/ keeps only the locks held (and those of
	 * processes that died); a taker that opened this file meanwhile sees it gone once
	 * it gets the flock and takes the new one (f_lock). Emptied first: a reader of the
	 * old file knows its holder left. */
	if (ftruncate(lk->fd, 0) < 0 || unlink(lk->path) < 0) {
		/* the lock goes all the same when the file is closed */
	}
	close(lk->fd);
	free(lk->path);
	free(lk);
}

static int f_lock_probe(struct state *s, const char *key, jv *who, jv *err)
{
	char path[4096];
	lock_path(s, key, path, sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*err = jv_string_fmt("cannot open the lock file '%s': %s", path, strerror(errno));
		return -1;
	}
	int rc;
	while ((rc = flock(fd, LOCK_SH | LOCK_NB)) < 0 && errno == EINTR)
		;
	if (rc == 0) {
		close(fd);          /* free (and released again) */
		return 0;
	}
	if (errno != EWOULDBLOCK) {
		*err = jv_string_fmt("cannot lock '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	*who = lock_who(fd);
	close(fd);
	return 1;
}

const struct state_ops state_folder_ops = {
	.name = "folder",
	.open = f_open,
	.close = f_close,
	.run_create = f_run_create,
	.run_publish = f_run_publish,
	.run_put = f_run_put,
	.run_get = f_run_get,
	.run_events = f_run_events,
	.run_journal = f_run_journal,
	.runs = f_runs,
	.run_workdir = f_run_workdir,
	.journal_open = f_journal_open,
	.journal_append = f_journal_append,
	.journal_error = f_journal_error,
	.journal_close = f_journal_close,
	.drill_append = f_drill_append,
	.drills = f_drills,
	.lock = f_lock,
	.unlock = f_unlock,
	.lock_probe = f_lock_probe,
};
