/* engine_test.h — what the engine's C tests share: CHECK (counts failures and goes on),
 * the events a run sent to its sink, a plan built from runbook text, and the temp dir
 * removed when every check passed. */
#ifndef RB_TEST_ENGINE_TEST_H
#define RB_TEST_ENGINE_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "core/diag.h"
#include "lang/model.h"
#include "modules/registry.h"
#include "plan/plan.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* every event of the run, in order (set events = jv_array() first) */
static jv events;
static inline void sink(void *arg, jv ev)
{
	(void)arg;
	events = jv_array_append(events, ev);
}

struct test_book {
	struct rb_loader ld;
	struct diag_list dl;
	struct runbook *rb;
	struct plan p;
};
/* text loaded, planned and compiled; on an error the diagnostics are printed and the
 * test exits 1 */
static inline void test_book_load(struct test_book *b, const char *name, const char *text)
{
	*b = (struct test_book){ 0 };
	loader_init(&b->ld, NULL);
	b->rb = runbook_load_text(&b->ld, name, text, &b->dl);
	if (!b->rb || b->dl.nerrors || plan_build(&b->p, b->rb, &b->ld, &b->dl) < 0 ||
	    exprset_compile(b->ld.exprs, &b->dl) < 0) {
		diag_print(&b->dl, stderr, 0);
		exit(1);
	}
}
static inline void test_book_free(struct test_book *b)
{
	plan_release(&b->p);
	runbook_free(b->rb);
	loader_release(&b->ld);
	diag_list_release(&b->dl);
}
/* the end of a test: events, the book and the modules freed, the temp dir removed
 * unless a check failed (left for inspection); the exit code */
static inline int test_finish(struct test_book *b, const char *dir)
{
	jv_free(events);
	test_book_free(b);
	registry_cleanup();
	if (!failures && fork() == 0) {
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
		_exit(127);
	}
	return failures ? 1 : 0;
}
#endif
