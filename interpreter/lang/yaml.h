/* yaml.h — libyaml loader that keeps source marks.
 *
 * A YAML document becomes a tree of ynodes; every node keeps the location of its first
 * character. Anchors and aliases are resolved (an alias shares the anchored node; the
 * tree is freed through the arena) within the caps of core/yamljv.h (alias bombs are
 * errors at the alias that passes one). Duplicate mapping keys and strings holding a NUL
 * ("\0") are errors. Plain scalars
 * follow the YAML 1.2 core schema when converted to jv (null ~ true false, ints,
 * floats); quoted scalars are always strings.
 *
 * Ownership: all nodes of one document live in its struct ydoc; ydoc_free() frees them.
 */
#ifndef RB_YAML_H
#define RB_YAML_H
#include <jv.h>
#include "../core/diag.h"
#include "../core/yamljv.h"

enum ynode_kind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_kind kind;
	struct srcloc loc;
	char *scalar;            /* Y_SCALAR: the text */
	int quoted;              /* Y_SCALAR: single, double, literal or folded style */
	int n;                   /* Y_SEQ: items; Y_MAP: pairs */
	struct ynode **items;    /* Y_SEQ */
	struct ynode **keys;     /* Y_MAP: keys[i] (scalars) -> vals[i] */
	struct ynode **vals;
};

struct ydoc {
	struct ynode *root;      /* NULL for an empty document */
	void *arena;             /* private */
};

/* parse src; -1 with located diagnostics (YAML syntax) on failure */
int ydoc_parse(struct ydoc *doc, const struct source *src, struct diag_list *dl);
void ydoc_free(struct ydoc *doc);
/* 0 if src is UTF-8 text without NUL bytes (what ydoc_parse checks first); else -1 with
 * *bad = the first bad character and *why = "is not UTF-8 text" or "holds a NUL byte ..." */
int ydoc_check_text(const struct source *src, struct srcloc *bad, const char **why);

/* value of key in a Y_MAP, or NULL */
struct ynode *ynode_get(const struct ynode *map, const char *key);
/* the node as a jv (core schema for plain scalars) */
jv ynode_to_jv(const struct ynode *n);
const char *ynode_kind_name(const struct ynode *n);  /* "string", "list", "map", ... */
#endif
