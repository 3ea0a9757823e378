/* bug.h — invariants. BUG() reports file and line and aborts: for states that cannot happen. */
#ifndef RB_BUG_H
#define RB_BUG_H
#include <stdio.h>
#include <stdlib.h>

#define BUG(msg) \
	do { fprintf(stderr, "runbook: BUG at %s:%d: %s\n", __FILE__, __LINE__, (msg)); abort(); } while (0)
#define BUG_ON(cond) do { if (cond) BUG(#cond); } while (0)

/* allocation that never returns NULL (out of memory aborts, like git's xmalloc) */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* grow an array to hold at least n items (doubling): ALLOC_GROW(arr, n, alloc) like git */
#define ALLOC_GROW(arr, n, alloc) \
	do { if ((size_t)(n) > (size_t)(alloc)) { \
		(alloc) = (alloc) ? (alloc) * 2 : 8; \
		if ((size_t)(alloc) < (size_t)(n)) (alloc) = (n); \
		(arr) = xrealloc((arr), (size_t)(alloc) * sizeof(*(arr))); } } while (0)
#endif
