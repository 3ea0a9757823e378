/* k8s_patch.c — the four ways Kubernetes changes an object: JSON merge patch (RFC 7386),
 * JSON patch (RFC 6902), strategic merge patch (lists merged by key), and the merge
 * half of server-side apply.
 *
 * Written by hand: no library in Debian implements Kubernetes' strategic merge, and
 * RFC 6902/7386 are a page each over jv. The strategic-merge keys are the subset of
 * the Kubernetes schemas that restore runbooks and kubectl touch (containers, env,
 * ports, volumes, ...); other lists are replaced, as the API does for atomic lists.
 */
#include <stdlib.h>
#include <string.h>
#include "k8s.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/jvx.h"
#include "../core/caps.h"

/* list field name -> merge key (patchMergeKey in the Kubernetes API schemas) */
static const struct { const char *field, *key; } merge_keys[] = {
	{ "containers", "name" },
	{ "initContainers", "name" },
	{ "ephemeralContainers", "name" },
	{ "env", "name" },
	{ "ports", "containerPort" },
	{ "volumes", "name" },
	{ "volumeMounts", "mountPath" },
	{ "volumeDevices", "devicePath" },
	{ "imagePullSecrets", "name" },
	{ "tolerations", "key" },
	{ "hostAliases", "ip" },
	{ "conditions", "type" },
	{ "finalizers", NULL },     /* a set of strings: merged, no duplicates */
};

static int merge_key(const char *field, const char **key)
{
	for (size_t i = 0; i < sizeof(merge_keys) / sizeof(merge_keys[0]); i++)
		if (!strcmp(merge_keys[i].field, field)) {
			*key = merge_keys[i].key;
			return 1;
		}
	return 0;
}

jv sim_k8s_merge_patch(jv target, jv patch)
{
	if (jv_get_kind(patch) != JV_KIND_OBJECT) {
		jv_free(target);
		return patch;
	}
	if (jv_get_kind(target) != JV_KIND_OBJECT) {
		jv_free(target);
		target = jv_object();
	}
	jv_object_foreach(patch, k, v) {
		if (jv_get_kind(v) == JV_KIND_NULL) {
			target = jv_object_delete(target, k);
			jv_free(v);
		} else {
			jv cur = jv_object_get(jv_copy(target), jv_copy(k));
			if (!jv_is_valid(cur)) {
				jv_free(cur);
				cur = jv_null();
			}
			target = jv_object_set(target, k, sim_k8s_merge_patch(cur, v));
		}
	}
	jv_free(patch);
	return target;
}

/* the element of list whose [key] equals v's, or -1 */
static int find_by_key(jv list, const char *key, jv item)
{
	jv want = jvx_get(item, key);
	int found = -1;
	if (jv_is_valid(want)) {
		jv_array_foreach(list, i, x) {
			jv have = jvx_get(x, key);
			if (found < 0 && jv_is_valid(have) && jv_equal(jv_copy(have), jv_copy(want)))
				found = i;
			jv_free(have);
			jv_free(x);
		}
	}
	jv_free(want);
	return found;
}

static jv strategic(jv target, jv patch);

static jv strategic_list(const char *field, jv target, jv patch)
{
	const char *key = NULL;
	if (!merge_key(field, &key) || jv_get_kind(target) != JV_KIND_ARRAY) {
		jv_free(target);
		return patch;          /* atomic list: replaced */
	}
	if (!key) {                    /* a set of scalars */
		jv_array_foreach(patch, i, x) {
			int dup = 0;
			jv_array_foreach(target, j, y) {
				if (jv_equal(jv_copy(x), y))
					dup = 1;
			}
			target = dup ? (jv_free(x), target) : jv_array_append(target, x);
		}
		jv_free(patch);
		return target;
	}
	jv_array_foreach(patch, i, item) {
		const char *directive = jv_get_kind(item) == JV_KIND_OBJECT ? jvx_str(item, "$patch") : NULL;
		int at = jv_get_kind(item) == JV_KIND_OBJECT ? find_by_key(target, key, item) : -1;
		if (directive && !strcmp(directive, "delete")) {
			if (at >= 0) {
				jv out = jv_array();
				jv_array_foreach(target, j, y)
					out = j == at ? (jv_free(y), out) : jv_array_append(out, y);
				jv_free(target);
				target = out;
			}
			jv_free(item);
		} else if (at >= 0) {
			jv cur = jv_array_get(jv_copy(target), at);
			target = jv_array_set(target, at, strategic(cur, item));
		} else {
			target = jv_array_append(target, strategic(jv_object(), item));
		}
	}
	jv_free(patch);
	return target;
}

/* Strategic merge: maps merge, lists with a merge key merge by key, `$patch: delete`
 * removes an element, `$patch: replace` replaces a map; other `$` directives
 * ($setElementOrder/…, $retainKeys, $deleteFromPrimitiveList/…) carry ordering or
 * pruning hints that do not change the merged content for the fields we keep: they are
 * dropped. */
static jv strategic(jv target, jv patch)
{
	if (jv_get_kind(patch) != JV_KIND_OBJECT) {
		jv_free(target);
		return patch;
	}
	const char *d = jvx_str(patch, "$patch");
	if (d && !strcmp(d, "replace")) {
		jv_free(target);
		return jv_object_delete(patch, jv_string("$patch"));
	}
	if (jv_get_kind(target) != JV_KIND_OBJECT) {
		jv_free(target);
		target = jv_object();
	}
	jv_object_foreach(patch, k, v) {
		const char *name = jv_string_value(k);
		if (name[0] == '$') {
			if (!strncmp(name, "$deleteFromPrimitiveList/", 25) && jv_get_kind(v) == JV_KIND_ARRAY) {
				jv field = jv_string(name + 25);
				jv cur = jv_object_get(jv_copy(target), jv_copy(field));
				if (jv_get_kind(cur) == JV_KIND_ARRAY) {
					jv out = jv_array();
					jv_array_foreach(cur, i, x) {
						int drop = 0;
						jv_array_foreach(v, j, y) {
							if (jv_equal(jv_copy(x), y))
								drop = 1;
						}
						out = drop ? (jv_free(x), out) : jv_array_append(out, x);
					}
					target = jv_object_set(target, field, out);
				} else {
					jv_free(field);
				}
				jv_free(cur);
			}
			jv_free(k);
			jv_free(v);
			continue;
		}
		jv cur = jv_object_get(jv_copy(target), jv_copy(k));
		if (!jv_is_valid(cur)) {
			jv_free(cur);
			cur = jv_null();
		}
		if (jv_get_kind(v) == JV_KIND_NULL) {
			jv_free(cur);
			jv_free(v);
			target = jv_object_delete(target, k);
		} else if (jv_get_kind(v) == JV_KIND_ARRAY) {
			target = jv_object_set(target, k, strategic_list(name, cur, v));
		} else {
			target = jv_object_set(target, k, strategic(cur, v));
		}
	}
	jv_free(patch);
	return target;
}

jv sim_k8s_strategic_patch(jv target, jv patch)
{
	return strategic(target, patch);
}

/* RFC 6901 pointer -> path array; "~1" is "/", "~0" is "~" */
static jv pointer_path(const char *p)
{
	int berr = 0;
	const char *all = p;
	jv path = jv_array();
	if (!*p)
		return path;
	if (*p != '/') {
		jv_free(path);
		return jv_invalid_with_msg(jv_string_fmt("bad JSON pointer '%s'", p));
	}
	p++;
	for (;;) {
		struct buf b = BUF_INIT(CAP_POINTER_PART);
		while (*p && *p != '/') {
			if (p[0] == '~' && p[1] == '1') {
				berr |= buf_addc(&b, '/');
				p += 2;
			} else if (p[0] == '~' && p[1] == '0') {
				berr |= buf_addc(&b, '~');
				p += 2;
			} else {
				berr |= buf_addc(&b, *p++);
			}
		}
		if (berr) {
			buf_release(&b);
			jv_free(path);
			return jv_invalid_with_msg(jv_string_fmt("JSON pointer '%.64s...' has a part over 4 KiB", all));
		}
		path = jv_array_append(path, jv_string(buf_str(&b)));
		buf_release(&b);
		if (!*p)
			break;
		p++;
	}
	return path;
}

/* the container at path[0..n-1] exists; returns the index/key for the last segment
 * typed for that container, or invalid. Borrows doc, consumes path. */
static jv segment_for(jv doc, jv path, int add)
{
	int n = jv_array_length(jv_copy(path));
	jv parent_path = jv_array_slice(jv_copy(path), 0, n - 1);
	jv parent = jv_getpath(jv_copy(doc), parent_path);
	jv last = jv_array_get(jv_copy(path), n - 1);
	jv out;
	if (jv_get_kind(parent) == JV_KIND_ARRAY) {
		const char *s = jv_string_value(last);
		int len = jv_array_length(jv_copy(parent));
		if (add && !strcmp(s, "-")) {
			out = jv_number(len);
		} else {
			char *end;
			long i = strtol(s, &end, 10);
			if (*s && !*end && i >= 0 && i < len + (add ? 1 : 0))
				out = jv_number((double)i);
			else
				out = jv_invalid_with_msg(jv_string_fmt("index '%s' out of range", s));
		}
		jv_free(last);
	} else if (jv_get_kind(parent) == JV_KIND_OBJECT) {
		out = last;
	} else {
		jv_free(last);
		out = jv_invalid_with_msg(jv_string("path's parent does not exist"));
	}
	jv_free(parent);
	jv_free(path);
	return out;
}

static jv path_with(jv path, jv seg)
{
	int n = jv_array_length(jv_copy(path));
	return jv_array_set(path, n - 1, seg);
}

static jv op_remove(jv doc, jv path)
{
	jv seg = segment_for(doc, jv_copy(path), 0);
	if (!jv_is_valid(seg)) {
		jv_free(doc);
		jv_free(path);
		return seg;
	}
	jv full = path_with(path, seg);
	jv cur = jv_getpath(jv_copy(doc), jv_copy(full));
	if (jv_get_kind(cur) == JV_KIND_NULL) {
		/* a member that is absent (null values do not occur in API objects) */
		jv_free(cur);
		jv_free(doc);
		jv_free(full);
		return jv_invalid_with_msg(jv_string("path does not exist"));
	}
	jv_free(cur);
	return jv_delpaths(doc, jv_array_append(jv_array(), full));
}

static jv op_add(jv doc, jv path, jv value)
{
	if (jv_array_length(jv_copy(path)) == 0) {
		jv_free(doc);
		jv_free(path);
		return value;
	}
	jv seg = segment_for(doc, jv_copy(path), 1);
	if (!jv_is_valid(seg)) {
		jv_free(doc);
		jv_free(path);
		jv_free(value);
		return seg;
	}
	int n = jv_array_length(jv_copy(path));
	jv parent_path = jv_array_slice(jv_copy(path), 0, n - 1);
	jv parent = jv_getpath(jv_copy(doc), jv_copy(parent_path));
	if (jv_get_kind(parent) == JV_KIND_ARRAY) {
		int at = (int)jv_number_value(seg);
		jv out = jv_array();
		int len = jv_array_length(jv_copy(parent));
		for (int i = 0; i <= len; i++) {
			if (i == at)
				out = jv_array_append(out, jv_copy(value));
			if (i < len)
				out = jv_array_append(out, jv_array_get(jv_copy(parent), i));
		}
		jv_free(value);
		jv_free(seg);
		jv_free(path);
		jv_free(parent);
		return jv_setpath(doc, parent_path, out);
	}
	jv_free(parent);
	jv_free(parent_path);
	return jv_setpath(doc, path_with(path, seg), value);
}

jv sim_k8s_json_patch(jv doc, jv ops)
{
	if (jv_get_kind(ops) != JV_KIND_ARRAY) {
		jv_free(doc);
		jv_free(ops);
		return jv_invalid_with_msg(jv_string("a JSON patch is a list of operations"));
	}
	jv_array_foreach(ops, i, op) {
		const char *name = jvx_str(op, "op"), *p = jvx_str(op, "path"), *from = jvx_str(op, "from");
		jv path = p ? pointer_path(p) : jv_invalid_with_msg(jv_string("operation without path"));
		jv value = jvx_get(op, "value");
		if (!name || !jv_is_valid(path)) {
			jv_free(doc);
			doc = jv_is_valid(path) ? jv_invalid_with_msg(jv_string_fmt("operation %d has no op", i))
						: path;
			jv_free(value);
			jv_free(op);
			break;
		}
		if (!strcmp(name, "add")) {
			doc = op_add(doc, path, jv_is_valid(value) ? value : jv_null());
			value = jv_invalid();
		} else if (!strcmp(name, "remove")) {
			doc = op_remove(doc, path);
		} else if (!strcmp(name, "replace")) {
			doc = op_remove(doc, jv_copy(path));
			doc = jv_is_valid(doc) ? op_add(doc, path, value) : (jv_free(path), jv_free(value), doc);
			value = jv_invalid();
		} else if ((!strcmp(name, "move") || !strcmp(name, "copy")) && from) {
			jv fpath = pointer_path(from);
			jv v = jv_getpath(jv_copy(doc), jv_copy(fpath));
			if (!strcmp(name, "move"))
				doc = op_remove(doc, fpath);
			else
				jv_free(fpath);
			doc = jv_is_valid(doc) ? op_add(doc, path, v) : (jv_free(path), jv_free(v), doc);
		} else if (!strcmp(name, "test")) {
			jv v = jv_getpath(jv_copy(doc), path);
			if (!jv_equal(v, jv_copy(value))) {
				jv_free(doc);
				doc = jv_invalid_with_msg(jv_string_fmt("test operation %d failed", i));
			}
		} else {
			jv_free(path);
			jv_free(doc);
			doc = jv_invalid_with_msg(jv_string_fmt("unknown operation '%s'", name));
		}
		jv_free(value);
		jv_free(op);
		if (!jv_is_valid(doc))
			break;
	}
	jv_free(ops);
	return doc;
}
