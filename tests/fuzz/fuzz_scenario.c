/* fuzz_scenario.c — scenario bytes -> sim_scenario_check (what `runbook sim check
 * --scenario F` runs: the world, durations, faults and the Kubernetes world), then the
 * diagnostics printed with their source lines. Seeds: tests/sim, tests/aws, tests/k8s,
 * examples and tests/invalid scenarios. */
#include "fuzz.h"
#include "core/diag.h"
#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	if (size > (64u << 10))
		return -1;
	const char *path = fuzz_scratch(".scenario.yaml");
	if (fuzz_write(path, data, size) < 0)
		abort();
	struct diag_list dl = { 0 };
	int rc = sim_scenario_check(path, &dl);
	if (rc < 0 && dl.nerrors == 0)
		abort();    /* a rejected scenario says why */
	diag_sort(&dl);
	diag_print(&dl, devnull, 0);
	diag_list_release(&dl);
	return 0;
}
