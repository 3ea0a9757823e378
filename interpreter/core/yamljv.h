/* yamljv.h — YAML text to jv (libyaml).
 *
 * The reader of kubeconfigs and manifests (yamljv_parse: errors as one "LINE:COL:
 * PROBLEM") and of scenarios (yamljv_load, marks mode: located diagnostics, and every
 * map carries where it and its keys are). Runbooks go through lang/yaml.h, which keeps
 * a mark on every node. One rule for all: scalars are typed by yamljv_scalar (a scalar
 * tagged !!str counts as quoted), keys are their text, a key written twice or a list or
 * map as a key is an error, an undefined alias is an error, a later anchor shadows an
 * earlier one of the same name, and aliases are expanded within the caps below.
 */
#ifndef RB_YAMLJV_H
#define RB_YAMLJV_H
#include <stddef.h>
#include <stdint.h>
#include <jv.h>
#include "diag.h"

/* Alias bombs ("billion laughs"): a few lines whose aliases expand to billions of nodes.
 * Every YAML reader (this one and lang/yaml.c) counts what the document expands to as
 * it reads it and stops at the alias that goes past one of these caps: */
#define YAML_MAX_ALIASES      10000     /* alias expansions, nested ones counted */
#define YAML_EXPAND_NODES     100000    /* expanded nodes: this many ... */
#define YAML_EXPAND_NODES_X   10        /* ... plus this many times the nodes written */
#define YAML_EXPAND_BYTES     (16 << 20) /* expanded scalar bytes: this many ... */
#define YAML_EXPAND_BYTES_X   10        /* ... plus this many times the text's size */

/* what a document (or one anchored node) expands to */
struct yexpand {
	uint64_t nodes, bytes, aliases;
};
/* add one alias to an anchored node that expands to w, to total (own: nodes written so
 * far, len: the text's size). 0, or -1 with why = "would ..." when a cap is passed. */
int yexpand_add(struct yexpand *total, const struct yexpand *w, uint64_t own, size_t len,
		char *why, size_t whysize);

/* The one typing rule for a YAML scalar, for runbooks, scenarios, kubeconfigs and
 * manifests alike (runbook(5), "Values"): a quoted scalar (plain = 0) is a string; a
 * plain one is null (empty, ~, null, Null, NULL), a bool (true/True/TRUE, false/...),
 * a number (YAML 1.2 core schema: decimal, 0x hex, 0o octal, .inf, .nan; an integer
 * past 2^53 stays text so no digit is lost), else a string. New jv. */
jv yamljv_scalar(const char *s, size_t len, int plain);

/* the first non-empty document (multi = 0) or an array of every non-empty document
 * (multi = 1); invalid with the message "LINE:COL: PROBLEM" on a syntax error, a key
 * error, nesting deeper than YAMLJV_MAX_DEPTH or an alias bomb ("LINE:COL: too many
 * alias expansions: ...") */
#define YAMLJV_MAX_DEPTH 256
jv yamljv_parse(const char *text, size_t len, int multi);

/* Marks mode: one document of src, whose maps carry their location: "__line" and
 * "__col" (the map's first character) and "__loc" {key: [key line, key col, value line,
 * value col]} (1-based), for checks that point at a key or its value. Limits, with what
 * names the file in their messages ("the scenario"): */
struct yamljv_limits {
	const char *what;
	int max_depth;           /* maps and lists in maps and lists: "WHAT nests deeper than N levels" */
	long max_values;         /* values, aliases expanded, keys not counted (0: no cap): "WHAT
				  * expands to more than N values (YAML aliases?)" */
};
/* 0 and *out the document (null if empty); or -1 with located errors in dl: syntax
 * errors say "invalid YAML: PROBLEM", and "WHAT is one YAML document: a second one
 * starts here". Key errors (duplicate, not text) do not stop the reading: every one is
 * reported, the last value of a key stays, and *out is the document, for later checks
 * to report theirs too; after any other error *out is invalid. */
int yamljv_load(const struct source *src, const struct yamljv_limits *lim, jv *out,
		struct diag_list *dl);
/* v without the marks of yamljv_load (consumed) */
jv yamljv_strip_marks(jv v);
#endif
