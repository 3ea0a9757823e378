/* model.h — the runbook model: what a runbook file says, with source locations.
 *
 * Built by runbook_load() (load.c) from the YAML tree; checked there for everything that
 * needs no module knowledge (keys, types, ids, durations, expressions' syntax, params).
 * plan/ checks the rest (needs, cycles, ancestry, actions and their `with:`).
 *
 * Ownership: a struct runbook owns its steps, params and templates; the exprset and
 * the sources are owned by the struct rb_loader that loaded it (shared with the
 * runbooks it uses). Free the runbook before the loader.
 */
#ifndef RB_MODEL_H
#define RB_MODEL_H
#include <stdint.h>
#include <jv.h>
#include "../core/diag.h"
#include "../core/action.h"
#include "expr.h"

/* X-macro: step kinds, their YAML key and name */
#define STEP_KINDS(X) \
	X(STEP_ACTION,  "action")  \
	X(STEP_WAIT,    "wait")    \
	X(STEP_CONFIRM, "confirm") \
	X(STEP_ASSERT,  "assert")  \
	X(STEP_USES,    "uses")
#define X(e, s) e,
enum step_kind { STEP_KINDS(X) STEP_KIND__N };
#undef X
const char *step_kind_name(enum step_kind k);

enum param_flags {
	PARAM_REQUIRED = 1 << 0,
	PARAM_SECRET   = 1 << 1,
};

struct rb_param {
	char *name;
	struct srcloc loc;
	enum arg_type type;      /* string int number bool duration timestamp list map */
	unsigned flags;
	jv def;                  /* default, or jv_invalid() */
	jv choices;              /* enum: array, or jv_invalid() */
	char *pattern;           /* PCRE2 source, or NULL */
	void *re;                /* compiled pcre2_code */
	char *description;
};

struct rb_retry {
	int attempts;            /* total tries; 1 = no retry */
	int64_t delay_ms;        /* first delay */
	double backoff;          /* multiplier, >= 1 */
	int64_t max_delay_ms;    /* 0 = none */
};

struct rb_assertion {
	struct srcloc loc;
	int that;                /* expression index */
	struct tmpl *message;    /* may be NULL */
};

struct rb_output {
	char *name;
	struct srcloc loc;
	int expr;                /* bare jq over the context (+ .result) */
};

struct rb_wait {
	char *action;            /* action to poll */
	struct srcloc action_loc;
	struct tmpl *with;       /* may be NULL */
	int with_bad;            /* `with:` written but unusable (reported): nothing is missing */
	int until;               /* expression, required */
	int fail_if;             /* expression or -1 */
	int64_t timeout_ms;      /* 0 = none (the step's timeout applies) */
	int64_t interval_ms;     /* first poll interval; 0 = engine default */
	int64_t max_interval_ms; /* 0 = engine default */
	int64_t expect_ms;       /* expected time to completion; 0 = from the descriptor */
};

struct rb_confirm {
	struct tmpl *prompt;
	struct tmpl *phrase;     /* may be NULL: a yes/no question */
};

struct runbook;

struct rb_step {
	char *id;                /* unique within its runbook; rollback steps without one get "PARENT_rollback_N" */
	struct srcloc loc;       /* of the step's mapping */
	struct srcloc id_loc;
	char *name;              /* display name or NULL */
	enum step_kind kind;

	/* STEP_ACTION */
	char *action;
	struct srcloc action_loc;
	struct tmpl *with;       /* TMPL_MAP or NULL; also STEP_USES */
	int with_bad;            /* `with:` written but unusable (reported): nothing is missing */
	/* STEP_WAIT */
	struct rb_wait wait;
	/* STEP_CONFIRM */
	struct rb_confirm confirm;
	/* STEP_ASSERT */
	struct rb_assertion *asserts;
	int nasserts;
	/* STEP_USES */
	char *uses;              /* as written */
	struct srcloc uses_loc;
	struct runbook *child;   /* loaded, or NULL after an error */

	/* common */
	char **needs;            /* ids */
	struct srcloc *needs_locs;
	int nneeds;
	int has_needs;           /* `needs:` written (even empty) */
	int when;                /* expression or -1 */
	int for_each;            /* expression or -1 */
	int has_for_each;        /* `for_each:` written (even unusable, reported) */
	int concurrency;         /* for_each; 0 = --max-parallel */
	struct rb_retry retry;
	int64_t timeout_ms;      /* 0 = none */
	struct rb_output *outputs;
	int noutputs;
	struct rb_step *rollback;    /* steps run when compensating this one */
	int nrollback;
	int critical;            /* default 1 */
};

/* objectives: what a drill measures against (runbook drill, run_finished's
 * "objectives"); RTO = run start to the end of step `restored` (or of the run), RPO =
 * incident_time - recovery_point, both expressions over the final context */
enum { OBJ_RTO = 1 << 0, OBJ_RPO = 1 << 1 };
struct rb_objectives {
	int64_t rto_ms, rpo_ms;  /* 0 = not set (see has: rpo 0s is a target) */
	unsigned has;            /* OBJ_RTO | OBJ_RPO: which targets were written */
	int declared;            /* `objectives:` written */
	char *restored;          /* step id, or NULL: the end of the run */
	struct srcloc restored_loc;
	int recovery_point;      /* expression or -1 */
	int incident_time;       /* expression or -1 */
};

struct runbook {
	char *name;
	struct srcloc loc;
	char *path;              /* file it came from */
	char *description;
	struct rb_objectives objectives;
	int64_t timeout_ms;      /* whole run; 0 = none */
	struct rb_param *params;
	int nparams;
	struct tmpl *connections;    /* TMPL_MAP module -> settings, or NULL */
	struct rb_step *steps;
	int nsteps;
	struct rb_output *outputs;   /* exposed to a `uses:` caller as its step outputs */
	int noutputs;
	struct rb_step *finally;     /* top-level `finally:`: run in order once the run has
	                              * ended (after any rollback), whatever happened; no
	                              * needs, for_each, uses or rollback of their own */
	int nfinally;
	char **rollback_keeps;       /* `rollback_keeps:` "KIND NAME" glob patterns of what its
	                              * rollback leaves on purpose (rehearse --sweep) */
	int nrollback_keeps;
	struct tmpl *lock;           /* top-level `lock:` (a string template over .params), the
	                              * run lock key held for the whole run; NULL: none */
};

/* `uses:` nesting: the loader (lang/uses.c) refuses to load deeper; plan/ expands what
 * was loaded and relies on the same bound. The one limit, in one place. */
#define RB_USES_MAX_DEPTH 16

struct rb_loader {
	struct source_list sources;
	struct exprset *exprs;
	const char **search_path;    /* NULL-terminated: where `uses: stdlib/...` is looked up */
	int depth;                   /* uses: nesting, bounded */
	int nloaded;                 /* runbooks loaded, uses: counted at every use; bounded */
	int nsteps;                  /* steps of the used ones; bounded */
	int too_many;                /* the bound was reported */
	char **stack;                /* realpaths of the files being loaded (cycle check) */
	char **stack_names;          /* the same files as named, for messages */
	int nstack, astack;
};

void loader_init(struct rb_loader *ld, const char **search_path);
void loader_release(struct rb_loader *ld);
/* load and check a runbook file and every runbook it uses. Returns the runbook even when
 * errors were found (so later checks can report more); callers test dl->nerrors. NULL
 * only when nothing could be read or parsed. */
struct runbook *runbook_load(struct rb_loader *ld, const char *path, struct diag_list *dl);
struct runbook *runbook_load_text(struct rb_loader *ld, const char *name, const char *text,
				  struct diag_list *dl);
void runbook_free(struct runbook *rb);
const struct rb_step *runbook_find_step(const struct runbook *rb, const char *id);

/* Params given on the command line (-p K=V, --params-file): raw is an object of
 * strings (from -p) or typed values (from a params file). Returns the typed params
 * object (defaults filled) or jv_invalid() with diagnostics: undeclared, missing
 * required, wrong type, pattern or enum mismatch. Secret params' values are added to
 * the redactor when it is not NULL. */
struct redactor;
jv params_resolve(const struct runbook *rb, jv raw, struct redactor *redact, struct diag_list *dl);
/* the params without the secret ones (a copy; params borrowed; not an object: {}): what
 * is written to a run folder or rendered into a lock key */
jv params_public(const struct runbook *rb, jv params);
/* whether v (consumed) fits param p: type, enum, pattern. 0, or -1 with *why set to a
 * static phrase like "must be an int" (for messages "param 'x' %s") */
int param_check_value(const struct rb_param *p, jv v, const char **why);
#endif
