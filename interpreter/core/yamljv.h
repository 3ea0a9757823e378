/* yamljv.h — YAML text to jv, without source marks (libyaml).
 *
 * For files read by modules and the simulator (kubeconfigs, manifests), where a
 * located diagnostic is not needed: runbooks themselves go through lang/yaml.h, which
 * keeps marks. Scalars are typed by yamljv_scalar, the rule lang/yaml.c and the
 * scenario loader use too; aliases are expanded, within the caps below.
 */
#ifndef RB_YAMLJV_H
#define RB_YAMLJV_H
#include <stddef.h>
#include <stdint.h>
#include <jv.h>

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

/* the first document (multi = 0) or an array of every non-empty document (multi = 1);
 * invalid with the message "LINE:COL: PROBLEM" on a syntax error or an alias bomb
 * ("LINE:COL: too many alias expansions: ...") */
jv yamljv_parse(const char *text, size_t len, int multi);
#endif
