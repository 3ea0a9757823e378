/* state_priv.h — private to state/: the operations one store implements (state.c
 * dispatches through them; each store keeps its own data behind `impl`). */
#ifndef RB_STATE_PRIV_H
#define RB_STATE_PRIV_H
#include "state.h"

struct state_ops {
	const char *name;                                   /* "folder", "postgresql" */
	int (*open)(struct state *s, const char *where, jv *err);  /* fills s->impl, s->name */
	void (*close)(struct state *s);
	int (*run_create)(struct state *s, char **id, int64_t now_ms, jv *err);
	int (*run_publish)(struct state *s, const char *id, jv *err);
	int (*run_put)(struct state *s, const char *id, const char *name, const char *data, size_t len, jv *err);
	char *(*run_get)(struct state *s, const char *id, const char *name, size_t *len);
	jv (*run_events)(struct state *s, const char *id);
	char *(*run_journal)(struct state *s, const char *id, size_t *len);   /* NULL: none */
	jv (*runs)(struct state *s);
	char *(*run_workdir)(struct state *s, const char *id, jv *err);
	struct state_journal *(*journal_open)(struct state *s, const char *id, jv *err);
	int (*journal_append)(struct state_journal *j, const char *line, size_t len, int sync);
	const char *(*journal_error)(struct state_journal *j);
	void (*journal_close)(struct state_journal *j);
	int (*drill_append)(struct state *s, jv record, jv *err);
	jv (*drills)(struct state *s);
	int (*lock)(struct state *s, const char *key, jv me, int64_t wait_ms, struct state_lock **lk, jv *who,
		    jv *err);
	void (*unlock)(struct state_lock *lk);
	int (*lock_probe)(struct state *s, const char *key, jv *who, jv *err);
};

/* every store's struct state_journal and struct state_lock begin with `struct state *s;` */
struct state {
	const struct state_ops *ops;
	char *name;          /* state_name(): set by ops->open (malloc'd, freed by state_close) */
	void *impl;
};

extern const struct state_ops state_folder_ops, state_pg_ops;
#endif
