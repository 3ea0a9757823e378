/* state.c — state_open picks the store by the name's scheme; every other call
 * dispatches to it (state_priv.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../core/bug.h"
#include "state_priv.h"

int state_is_pg_uri(const char *where)
{
	return where && (!strncasecmp(where, "postgresql://", 13) || !strncasecmp(where, "postgres://", 11));
}

struct state *state_open(const char *where, jv *err)
{
	struct state *s = xcalloc(1, sizeof(*s));
	s->ops = state_is_pg_uri(where) ? &state_pg_ops : &state_folder_ops;
	if (s->ops->open(s, where, err) < 0) {
		free(s->name);
		free(s);
		return NULL;
	}
	return s;
}

void state_close(struct state *s)
{
	if (!s)
		return;
	s->ops->close(s);
	free(s->name);
	free(s);
}

enum state_kind state_kind_of(const struct state *s)
{
	return s->ops == &state_pg_ops ? STATE_PG : STATE_FOLDER;
}
const char *state_name(const struct state *s) { return s->name; }

int state_run_create(struct state *s, char **id, int64_t now_ms, jv *err)
{
	return s->ops->run_create(s, id, now_ms, err);
}
int state_run_publish(struct state *s, const char *id, jv *err) { return s->ops->run_publish(s, id, err); }
int state_run_put(struct state *s, const char *id, const char *name, const char *data, size_t len, jv *err)
{
	return s->ops->run_put(s, id, name, data, len, err);
}
char *state_run_get(struct state *s, const char *id, const char *name, size_t *len)
{
	return s->ops->run_get(s, id, name, len);
}
jv state_run_events(struct state *s, const char *id) { return s->ops->run_events(s, id); }
char *state_run_journal(struct state *s, const char *id, size_t *len)
{
	if (!s->ops->run_journal) {
		errno = ENOSYS;
		return NULL;
	}
	return s->ops->run_journal(s, id, len);
}
jv state_runs(struct state *s) { return s->ops->runs(s); }
char *state_run_workdir(struct state *s, const char *id, jv *err) { return s->ops->run_workdir(s, id, err); }

/* a journal handle begins with its store's ops (each store's struct state_journal
 * starts with `struct state *s`), so the calls below dispatch without knowing it */
struct state_journal_head { struct state *s; };

struct state_journal *state_journal_open(struct state *s, const char *id, jv *err)
{
	return s->ops->journal_open(s, id, err);
}
int state_journal_append(struct state_journal *j, const char *line, size_t len, int sync)
{
	return ((struct state_journal_head *)j)->s->ops->journal_append(j, line, len, sync);
}
const char *state_journal_error(struct state_journal *j)
{
	return ((struct state_journal_head *)j)->s->ops->journal_error(j);
}
void state_journal_close(struct state_journal *j)
{
	if (j)
		((struct state_journal_head *)j)->s->ops->journal_close(j);
}

int state_drill_append(struct state *s, jv record, jv *err) { return s->ops->drill_append(s, record, err); }
jv state_drills(struct state *s) { return s->ops->drills(s); }

/* a lock handle likewise begins with `struct state *s` */
int state_lock(struct state *s, const char *key, jv me, int64_t wait_ms, struct state_lock **lk, jv *who,
	       jv *err)
{
	return s->ops->lock(s, key, me, wait_ms, lk, who, err);
}
void state_unlock(struct state_lock *lk)
{
	if (lk)
		((struct state_journal_head *)lk)->s->ops->unlock(lk);
}
int state_lock_probe(struct state *s, const char *key, jv *who, jv *err)
{
	return s->ops->lock_probe(s, key, who, err);
}
