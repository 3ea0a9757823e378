/* sweep.h — one rehearsal (rehearse.c) and the failure sweep over it (sweep.c).
 *
 * A rehearsal: a fresh simulator from the scenario on its own virtual clock, the plan
 * run against it, the world (sim_world(), the `--world-out` document) taken before
 * and after when asked (worlds; see settle). rehearsal_run() may be called again on the same struct (the sweep does,
 * once per position); the out fields of the previous call are released first.
 *
 * Ownership: the in fields are borrowed and must outlive the call; the out fields
 * belong to the struct until rehearsal_release().
 */
#ifndef RB_CLI_SWEEP_H
#define RB_CLI_SWEEP_H
#include <stdio.h>
#include <jv.h>
#include "cli.h"
#include "display.h"
#include "../engine/engine.h"

struct rehearsal {
	/* in */
	const char *scenario;
	struct state *state;        /* the store the run goes to (cli_state_open) */
	const char *state_dir;      /* a local folder for the rehearsal's kubeconfig and
	                             * sandbox (cli_scratch_dir) */
	const struct cli_loaded *ld;
	jv params;                  /* typed; borrowed */
	struct redactor *redact;
	int max_parallel, no_rollback;
	const char **decline;       /* NULL-terminated or NULL */
	struct engine_fault fault;  /* the sweep's injected failure, or none */
	FILE *out;                  /* live display and timeline; NULL = sink below */
	enum display_mode mode;
	enum cli_color color;       /* --color (zero: auto) */
	struct engine_sink sink;    /* events when out is NULL */
	int settle;                 /* compare settled worlds (below) */
	int worlds;                 /* take before and after (settle implies it): each is a
	                             * copy of the world, held to the end of the run */
	const char *record;         /* --record TAPE (rehearse, drill), or NULL */
	/* out */
	char *run_id;               /* NULL when the run did not start */
	jv before, after;           /* with worlds, sim_world() at the start and at the end
	                             * (else invalid); with settle,
	                             * both a day of virtual time after the end: after is
	                             * what the run leaves once in-flight changes complete,
	                             * before is the scenario's own world then, untouched */
	int64_t real_ms;
};

/* 0..4 (enum run_exit) once the run happened, -1 with diagnostics when the simulator
 * could not be set up (nothing ran) */
int rehearsal_run(struct rehearsal *r, struct diag_list *dl);
void rehearsal_release(struct rehearsal *r);

/* rehearse --sweep: every mutating step fails in turn; one line per position and a
 * summary on out. 0 when every position rolls back completely, 1 otherwise, 2 when
 * nothing could be swept (diagnostics printed). r->fault and r->out are set per
 * position. */
int sweep_run(struct rehearsal *r, FILE *out);

/* the world as "KIND NAME" -> comparable fields (volatile ones dropped), and the one
 * line diff of two of them ("=" when equal) leaving out what keeps matches; new values
 * and a malloc'd string */
jv sweep_world_view(jv world);
char *sweep_world_diff(jv before_view, jv after_view, char *const *keeps, int nkeeps);
#endif
