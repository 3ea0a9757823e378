/* sim.h — the simulated cloud (owner: sim). Embedding API for `runbook sim serve`,
 * `runbook rehearse` and tests.
 *
 * The simulator is an HTTP server (libmicrohttpd) on loopback speaking the real AWS wire
 * protocols: RDS and ElastiCache (Query), S3 and Route 53 (REST-XML, path style), Secrets
 * Manager (JSON 1.1), SNS Publish and STS (Query). Its world comes from a scenario file
 * (runbook-scenario(5)), one RDS/ElastiCache world per region (the SigV4 scope's). Every state machine is computed lazily from timestamps read
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

/* Kubernetes: start the API server of the scenario's `k8s:` world on listen ("HOST:PORT"
 * loopback, NULL = ephemeral): tls 1 (`sim serve`) HTTPS with its own CA, token or
 * client-certificate auth; tls 0 (a rehearsal, in this process) plain HTTP, token auth.
 * Idempotent. 0 / -1 with diagnostics. */
int sim_k8s_start(struct sim *s, const char *listen, int tls, struct diag_list *dl);
/* the scenario's Kubernetes world without its API (no TLS, no listener, no thread): for
 * sim_world() when nothing will talk to it; sim_k8s_start() may serve it later.
 * Idempotent. 0 / -1 with diagnostics. */
int sim_k8s_open(struct sim *s, struct diag_list *dl);
const char *sim_k8s_endpoint(struct sim *s);              /* NULL when not started */
/* write a kubeconfig (context "sim"); auth "token" or "cert" */
int sim_k8s_kubeconfig(struct sim *s, const char *path, const char *auth, struct diag_list *dl);
jv sim_k8s_state(struct sim *s);                          /* every object; new value */

/* the whole world, the document `sim serve --state-out` and `rehearse --world-out`
 * write: sim_state() plus "k8s" (sim_k8s_state()) when the Kubernetes world was built
 * (sim_k8s_open, sim_k8s_start or sim_k8s_handle);
 * new value owned by the caller */
jv sim_world(struct sim *s);
/* write a world (sim_world(), consumed) to path as JSON (one line, then a newline) by
 * sim_write_private's rules (it may hold Kubernetes Secret data). 0 / -1 + diagnostic */
int sim_world_write(const char *path, jv world, struct diag_list *dl);

/* write a file that holds secrets (state with Secret data, kubeconfigs): created 0600
 * beside path without following symlinks, then renamed over it. 0 / -1 with a diagnostic */
int sim_write_private(const char *path, const char *data, size_t len, struct diag_list *dl);

/* One request without HTTP (fuzzers, tests): the same parsing, dispatch, faults and
 * counters as over the wire. method "GET"...; path decoded, without the query; query
 * {name: value} and headers {name: value} are consumed (non-string values are
 * dropped, header names are matched case-insensitively); body of len bytes (any bytes).
 * Fills out (release with sim_reply_release); 0. A fault "reset" gives status 0 and
 * reset 1. Takes the simulator's lock like a server thread: callable beside one. */
struct sim_reply {
	int status;
	int reset;              /* the connection would be dropped */
	jv headers;             /* {name: value} */
	char *body;             /* NUL-terminated after len bytes */
	size_t len;
};
int sim_handle(struct sim *s, const char *method, const char *path, jv query, jv headers,
	       const char *body, size_t len, struct sim_reply *out);
void sim_reply_release(struct sim_reply *rep);
/* a simulator that does not listen (for sim_handle): sim_stop frees it */
struct sim *sim_open(const char *scenario_path, struct rb_clock *clock, const struct sim_options *opt,
		     struct diag_list *dl);
/* the same for the Kubernetes API (url is the path, decoded, without the query; auth by
 * the "authorization: Bearer TOKEN" header): its world is built at the first call
 * (-1 with diagnostics if it cannot be); a watch answers the events so far and ends */
int sim_k8s_handle(struct sim *s, const char *method, const char *url, jv query, jv headers,
		   const char *body, size_t len, struct sim_reply *out, struct diag_list *dl);

/* the scenario's rules for a rehearsal's exec and http.request steps (runbook-scenario(5)):
 * {"exec": [{argv: [TEXT...], run: true} | {argv, stub: {exit_code, stdout, stderr}}],
 *  "http": [{url, method?, reply: {status, headers, body | json}}]}, in file order; new value */
jv sim_rules(struct sim *s);
/* the scenario's region ("us-east-1" by default); valid until sim_stop */
const char *sim_region(struct sim *s);

/* parse a scenario file without serving (for validation and tests): 0 / -1 */
int sim_scenario_check(const char *path, struct diag_list *dl);
#endif
