/* strmap.h — a small string -> int hash map (open addressing, FNV-1a): the one used by the
 * loader, the expressions, the plan's qid index and the display.
 * Keys are borrowed: they must outlive the map. A zeroed struct is an empty map. */
#ifndef RB_STRMAP_H
#define RB_STRMAP_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../core/bug.h"

struct strmap {
	const char **keys;
	int *vals;
	size_t cap, n;       /* cap: power of two */
};

static inline uint64_t strmap_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static inline void strmap_release(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* the value stored for key, or -1 */
static inline int strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return -1;
	for (size_t i = strmap_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return -1;
		if (!strcmp(m->keys[i], key))
			return m->vals[i];
	}
}

/* store key -> val unless present; returns the value now stored */
static inline int strmap_put(struct strmap *m, const char *key, int val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct strmap g = { 0 };
		g.cap = m->cap ? m->cap * 2 : 64;
		g.keys = xcalloc(g.cap, sizeof(*g.keys));
		g.vals = xcalloc(g.cap, sizeof(*g.vals));
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i])
				strmap_put(&g, m->keys[i], m->vals[i]);
		strmap_release(m);
		*m = g;
	}
	size_t i = strmap_hash(key) & (m->cap - 1);
	for (; m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (!strcmp(m->keys[i], key))
			return m->vals[i];
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return val;
}
#endif
