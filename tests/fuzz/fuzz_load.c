/* fuzz_load.c — YAML bytes -> runbook_load + plan_build + exprset_compile, as
 * `runbook validate FILE` does (cli_load), then the diagnostics printed with their
 * source lines. Seeds: tests/lang/{valid,invalid,params}, runbooks/, tests/invalid. */
#include "config.h"
#include "fuzz.h"
#include "core/diag.h"
#include "lang/expr.h"
#include "lang/model.h"
#include "modules/registry.h"
#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	static const char *search[] = { NULL, NULL };
	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		if (!devnull || registry_init() < 0)
			abort();
		search[0] = RUNBOOK_SRCDIR;    /* stdlib/ for `uses: stdlib/...` */
	}
	if (fuzz_names_device(data, size))
		return -1;
	const char *path = fuzz_scratch(".yaml");
	if (fuzz_write(path, data, size) < 0)
		abort();

	struct rb_loader ld;
	struct diag_list dl = { 0 };
	struct plan plan;
	int have_plan = 0;
	memset(&plan, 0, sizeof(plan));
	loader_init(&ld, search);
	struct runbook *rb = runbook_load(&ld, path, &dl);
	if (rb) {
		have_plan = plan_build(&plan, rb, &ld, &dl) == 0 || plan.nodes;
		if (dl.nerrors == 0)
			exprset_compile(ld.exprs, &dl);
	}
	diag_sort(&dl);
	diag_print(&dl, devnull, 0);
	diag_print(&dl, devnull, 1);
	diag_list_release(&dl);
	if (have_plan || plan.nodes)
		plan_release(&plan);
	if (rb)
		runbook_free(rb);
	loader_release(&ld);
	return 0;
}
