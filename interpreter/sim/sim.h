/* sim.h — the simulated cloud (owner: sim). Embedding API for `runbook sim serve`,
 * `runbook rehearse` and tests.
 *
 * The simulator is an HTTP server (libmicrohttpd) on loopback speaking the real AWS wire
 * protocols: RDS and ElastiCache (Query), S3 (REST-XML, path style), Secrets Manager
 * (JSON 1.1), SNS Publish and STS (Query). Its world comes from a scenario file
 * (runbook-scenario(5)). Every state machine is computed lazily from timestamps read
 * from the given clock, so a virtual clock that jumps makes resources progress with no
 * background thread. Server threads only read the clock (clock_now): they never hold or
 * release busy tokens (the calling worker holds one during its HTTP call).
 *
 * Ownership: sim_start returns a struct sim the caller stops with sim_stop; the clock
 * must outlive it. Thread-safe: sim_counters may be called from any thread while the
 * server runs; the jv it returns belongs to the caller.
 */
#ifndef RB_SIM_H
#define RB_SIM_H
#include <jv.h>
#include <stdio.h>
#include "../core/clock.h"
#include "../core/diag.h"

struct sim;

struct sim_options {
	FILE *log;              /* request log, one line per request; NULL = none */
};

/* load the scenario and start serving. listen: "HOST:PORT" (loopback addresses only),
 * NULL = "127.0.0.1:0" (an ephemeral port). NULL and diagnostics in dl on failure. */
struct sim *sim_start(const char *scenario_path, const char *listen, struct rb_clock *clock,
		      struct diag_list *dl);
/* the same, with options (request log) */
struct sim *sim_start_opts(const char *scenario_path, const char *listen, struct rb_clock *clock,
			   const struct sim_options *opt, struct diag_list *dl);
/* "http://127.0.0.1:PORT"; valid until sim_stop */
const char *sim_endpoint(struct sim *s);
/* {"mutating": {OP: n}, "requests": {OP: n}, "faults": {OP: n}, "errors": {CODE: n},
 *  "published": n}. OP names are the AWS operation names (S3's too: GetObject, ...).
 * "mutating" counts calls of mutating operations that reached the service (after fault
 * injection), whether or not they succeeded. New value owned by the caller. */
jv sim_counters(struct sim *s);
/* the world as JSON (for --state-out and tests); new value owned by the caller */
jv sim_state(struct sim *s);
void sim_stop(struct sim *s);

/* Kubernetes: start the API server of the scenario's `k8s:` world (HTTPS with its own
 * CA; token or client-certificate auth) on listen ("HOST:PORT" loopback, NULL =
 * ephemeral). Idempotent. 0 / -1 with diagnostics. */
int sim_k8s_start(struct sim *s, const char *listen, struct diag_list *dl);
const char *sim_k8s_endpoint(struct sim *s);              /* NULL when not started */
/* write a kubeconfig (context "sim"); auth "token" or "cert" */
int sim_k8s_kubeconfig(struct sim *s, const char *path, const char *auth, struct diag_list *dl);
jv sim_k8s_state(struct sim *s);                          /* every object; new value */

/* write a file that holds secrets (state with Secret data, kubeconfigs): created 0600
 * beside path without following symlinks, then renamed over it. 0 / -1 with a diagnostic */
int sim_write_private(const char *path, const char *data, size_t len, struct diag_list *dl);

/* parse a scenario file without serving (for validation and tests): 0 / -1 */
int sim_scenario_check(const char *path, struct diag_list *dl);
#endif
