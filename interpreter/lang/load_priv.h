/* load_priv.h — what the files of the loader share (YAML tree -> struct runbook):
 *   load.c         small checks, the key-table walker, the top-level keys, load_doc(), the
 *                  public functions (runbook_load(), runbook_free() ...)
 *   load_steps.c   a step's keys (action, wait, confirm, assert, uses, needs, retry ...)
 *   load_params.c  a param's declaration (type, required, secret, default, enum, pattern)
 *   uses.c         `uses:`: finding, loading and checking the used runbook, the bounds
 * Every check here needs no module knowledge; plan/ does the rest. */
#ifndef RB_LOAD_PRIV_H
#define RB_LOAD_PRIV_H
#include <stdint.h>
#include "model.h"
#include "yaml.h"

struct lctx {
	struct rb_loader *ld;
	struct diag_list *dl;
	struct runbook *rb;
	const char *where;        /* "step 'x'" etc. for messages */
	int in_finally;           /* parsing the steps of `finally:` */
};

typedef void (*key_fn)(struct lctx *c, const struct ynode *key, const struct ynode *val, void *obj);

struct key_desc {
	const char *name;
	key_fn fn;
};

/* load.c: names, scalars and typed values, each reporting its own error */
int load_valid_step_id(const char *s);
int load_valid_ident(const char *s);
int load_is_scalar(const struct ynode *n);
const char *load_kind_phrase(const struct ynode *n);
void load_type_error(struct lctx *c, const struct ynode *n, const char *key, const char *want);
int load_misspelt(const struct ynode *map, const char *const *names, const char *wanted);
int load_get_str(struct lctx *c, const struct ynode *n, const char *key, char **out);
int load_get_bool(struct lctx *c, const struct ynode *n, const char *key, int *out);
int load_get_int(struct lctx *c, const struct ynode *n, const char *key, int min, int max, int *out);
int load_get_dur(struct lctx *c, const struct ynode *n, const char *key, const char *omit, int64_t *out);
int load_get_expr(struct lctx *c, const struct ynode *n, const char *key, int *out);
int load_get_tmpl(struct lctx *c, const struct ynode *n, struct tmpl **out);
/* every key of map through its entry in tab (unknown keys: did-you-mean) */
void load_walk_keys(struct lctx *c, const struct ynode *map, const struct key_desc *tab, void *obj);
const char **load_table_names(const struct key_desc *tab);   /* static array, NULL-terminated */
int load_want_map(struct lctx *c, const struct ynode *n, const char *key);
void load_parse_outputs(struct lctx *c, const struct ynode *n, struct rb_output **out, int *nout);
/* load.c: a runbook file (the top one, or one a `uses:` brings in) */
struct runbook *load_runbook_file(struct rb_loader *ld, const char *path, const struct srcloc *from,
				  struct diag_list *dl);

/* load_steps.c: parent is NULL for a step of the runbook, else the step whose rollback this is */
void load_parse_step(struct lctx *c, const struct ynode *n, struct rb_step *s, const char *parent,
		     int index);
/* load_params.c */
void load_parse_param(struct lctx *c, const struct ynode *key, const struct ynode *v, struct rb_param *p);
/* uses.c: load s->uses into s->child and check its with: against the child's params */
void load_uses_child(struct lctx *c, struct rb_step *s, int bad_with);
#endif
