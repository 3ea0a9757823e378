/* check.h — the smallest test harness: CHECK(cond) counts and reports failures. */
#ifndef RB_CHECK_H
#define RB_CHECK_H
#include <stdio.h>
#include <string.h>
static int check_failed, check_run;
#define CHECK(cond) do { check_run++; if (!(cond)) { check_failed++; \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); check_run++; \
	if (!a_ || !b_ || strcmp(a_, b_)) { check_failed++; \
	fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__, \
		b_ ? b_ : "(null)", a_ ? a_ : "(null)"); } } while (0)
static inline int check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_run, check_failed);
	return check_failed ? 1 : 0;
}
#endif
