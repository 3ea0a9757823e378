/* faults.c — fault injection: throttling, 5xx, connection resets and latency, per
 * service and operation, by rate (seeded RNG: the same requests in the same order get
 * the same faults) or by count (the first N matching calls). Rules are tried in scenario
 * order; the first that fires wins. Called with sim->lock held.
 */
#include <string.h>
#include "simint.h"

#define FAULT_NAME(e, n) n,
static const char *const fault_names[] = { SIM_FAULT_KINDS(FAULT_NAME) };
#undef FAULT_NAME

const char *sim_fault_kind_name(enum sim_fault_kind k)
{
	return (unsigned)k < SIM_FAULT_N ? fault_names[k] : "?";
}

int sim_fault_kind_parse(const char *name)
{
	for (int i = 0; i < SIM_FAULT_N; i++)
		if (!strcmp(fault_names[i], name))
			return i;
	return -1;
}

double sim_rand(struct sim *s)
{
	/* splitmix64: well mixed even from small seeds */
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

static int rule_matches(const struct sim_fault *f, const char *service, const char *op)
{
	if (f->service && strcmp(f->service, service))
		return 0;
	if (f->op && strcmp(f->op, "*") && strcmp(f->op, op))
		return 0;
	return 1;
}

struct sim_fault *sim_fault_pick(struct sim *s, const char *service, const char *op)
{
	for (int i = 0; i < s->nfaults; i++) {
		struct sim_fault *f = &s->faults[i];
		if (!rule_matches(f, service, op))
			continue;
		f->seen++;
		if (f->count >= 0) {
			if (f->seen <= f->count)
				return f;
		} else if (sim_rand(s) < f->rate) {
			return f;
		}
	}
	return NULL;
}

void sim_fault_apply(struct sim *s, struct sim_fault *f, struct sim_req *r, struct sim_resp *o)
{
	switch (f->kind) {
	case FAULT_THROTTLE:
		if (r->proto == PROTO_REST_XML)
			sim_error(r, o, 503, "SlowDown", "Please reduce your request rate. (injected fault)");
		else if (r->proto == PROTO_JSON)
			sim_error(r, o, 400, "ThrottlingException", "Rate exceeded (injected fault)");
		else
			sim_error(r, o, 400, "Throttling", "Rate exceeded (injected fault)");
		break;
	case FAULT_5XX: {
		int st = f->status ? f->status : 500;
		const char *code = st == 503 ? "ServiceUnavailable" :
				   r->proto == PROTO_REST_XML ? "InternalError" :
				   r->proto == PROTO_JSON ? "InternalServiceError" : "InternalFailure";
		sim_error(r, o, st, code, "We encountered an internal error. Please try again. (injected fault)");
		break;
	}
	case FAULT_RESET:
		o->reset = 1;
		break;
	case FAULT_LATENCY:
	case SIM_FAULT_N:
		break;
	}
}
