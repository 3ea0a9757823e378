/* yamljv.h — YAML text to jv, without source marks (libyaml).
 *
 * For files read by modules and the simulator (kubeconfigs, manifests), where a
 * located diagnostic is not needed: runbooks themselves go through lang/yaml.h, which
 * keeps marks. Plain scalars follow the YAML 1.2 core schema (null ~ true false, ints,
 * floats); quoted scalars are strings; aliases are expanded.
 */
#ifndef RB_YAMLJV_H
#define RB_YAMLJV_H
#include <stddef.h>
#include <jv.h>

/* the first document (multi = 0) or an array of every non-empty document (multi = 1);
 * invalid with the message "LINE:COL: PROBLEM" on a syntax error */
jv yamljv_parse(const char *text, size_t len, int multi);
#endif
