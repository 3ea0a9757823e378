/* action.h — action descriptors (data) and the call handed to an action.
 *
 * Every module declares its actions as a table of struct action_desc (like Redis's
 * command table). The validator checks every `with:` against the args before anything
 * runs; `runbook actions`, runbook-actions(7) and --dry-run all read the same table.
 * This type lives in core/ so that plan/ can check `with:` without knowing modules.
 *
 * Threading: run() is called on a worker thread (an ACT_INSTANT action's on the engine's
 * own thread: it must return at once, never wait). It owns `args` (a deep copy made for
 * it) and must not touch any jv of the engine's. call->connections is the call's own
 * deep copy too.
 */
#ifndef RB_ACTION_H
#define RB_ACTION_H
#include <jv.h>
#include <stdint.h>

struct rb_clock;
struct redactor;

enum arg_type {
	ARG_ANY, ARG_STRING, ARG_INT, ARG_NUMBER, ARG_BOOL, ARG_DURATION, ARG_TIMESTAMP,
	ARG_LIST, ARG_MAP,
	ARG_STRING_OR_LIST,     /* e.g. a manifest given inline or a path */
	ARG_SCALAR,             /* a string, number or bool (written as text: argv, env) */
};
/* names of arg_type as written in params and docs: "string", "int", ... */
const char *arg_type_name(enum arg_type t);
int arg_type_parse(const char *name, enum arg_type *t);
/* "a string", "an int", "a list" ... for messages */
const char *arg_type_phrase(enum arg_type t);
/* what kind of value v is, as messages say it ("a list", "null"); borrows v */
const char *value_phrase(jv v);
/* 0 if v (borrowed) has type t. Durations are "90s"-style strings (a bare number is not
 * one); timestamps RFC 3339 strings; ints integral numbers. */
int arg_type_check(enum arg_type t, jv v);

enum arg_flags {
	ARG_REQUIRED = 1 << 0,
	ARG_SECRET   = 1 << 1,   /* value is tainted: redacted from every output */
	ARG_NONEMPTY = 1 << 2,   /* a string, list or map: not empty; a duration: not 0 */
	ARG_RANGE    = 1 << 3,   /* numbers (a list's items, a map's values): min..max */
	ARG_NULL_ITEMS = 1 << 4, /* a map's values may also be null (env: null removes one) */
	ARG_SHELL    = 1 << 5,   /* text run by a shell: no ${{ }} in it (injection) */
};

/* One parameter of an action or a connection: what `with:` may give. Validation checks
 * every constant against all of it; the engine checks the resolved values with the same
 * rules (action_arg_check) before the call. Fields after doc are optional (designated
 * initializers): zero means no constraint. */
struct action_arg {
	const char *name;
	enum arg_type type;
	unsigned flags;
	const char *defval;      /* JSON text of the default, or NULL */
	const char *doc;         /* one line for `runbook actions` and the man page */
	enum arg_type item;      /* ARG_LIST: each item's type, ARG_MAP: each value's; ARG_ANY: any */
	const char *choices;     /* "text|json|lines": the string (or each item) is one of these */
	double min, max;         /* with ARG_RANGE: the number (or each item) is within */
	const char *needs;       /* a bool arg that must be true when this one is given */
	const char *required_when; /* "shell": required when that bool arg is true; "!shell":
				    * when it is not (its default counts when it is not given) */
};

/* whether v (borrowed) fits a: type, items, range, choices, emptiness. 0, or -1 with
 * why = the rest of the sentence "argument 'x' of action 'exec'WHY": " must be an int,
 * not null", ": item 2 must be between 0 and 255, not 256", ": 'PATH' must be ..." */
int action_arg_check(const struct action_arg *a, jv v, char *why, size_t size);
/* a's item rules for one item (borrowed) of a list or map (i: its index, or -1 and
 * key: its key): 0, or -1 with why as above */
int action_item_check(const struct action_arg *a, jv item, int i, const char *key, char *why,
		      size_t size);

enum action_flags {
	ACT_MUTATING     = 1 << 0,   /* changes the world: skipped (described) in --dry-run */
	ACT_IDEMPOTENT   = 1 << 1,   /* safe to re-run after a crash mid-call */
	ACT_CHECKABLE    = 1 << 2,   /* effect can be checked after a crash (check()) */
	ACT_SECRET_RESULT = 1 << 3,  /* every string in the result is tainted */
	ACT_INSTANT      = 1 << 4,   /* never waits on anything (log): run on the engine's own
				      * thread, no hand-off to a worker and back */
};

/* One invocation. Filled by the engine; modules read it and call the helpers below. */
enum call_flags {
	CALL_DRY_RUN   = 1 << 0,
	CALL_REHEARSAL = 1 << 1,     /* against the simulator on the virtual clock */
};
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

struct action_call {
	const struct action_desc *desc;
	const char *step_id;         /* for messages */
	jv connections;              /* this call's own copy: {"aws": {...}, "pg": {"name": {...}}} */
	struct rb_clock *clock;
	struct redactor *redact;     /* taint new secrets with redact_add() */
	unsigned flags;              /* enum call_flags */
	int64_t deadline;            /* clock ms when the step times out; 0 = none */
	const volatile int *cancel;  /* non-zero: stop as soon as possible (abort) */
	const char *work_dir;        /* the run directory (files an action may keep); may be NULL */
	void (*log)(struct action_call *call, enum log_level lvl, const char *msg);
	void *priv;                  /* the engine's */
};

/* helpers for modules */
void action_log(struct action_call *call, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int action_cancelled(const struct action_call *call)
{
	return call->cancel && *call->cancel;
}

/* run: consumes args (every declared arg present, defaults filled, types checked).
 * Returns 0 with *out = result (usually an object), or -1 with *out = an error object
 * {code, message, request_id?, transient?} (see jvx_error). */
typedef int (*action_run_fn)(struct action_call *call, jv args, jv *out);
/* optional: whether this call mutates (exec's read_only, redis.command); borrows args */
typedef int (*action_mutates_fn)(jv args);
/* optional, for ACT_CHECKABLE: after a crash during run(), did the effect happen?
 * 1 yes (result in *out), 0 no, -1 cannot tell (error in *out). consumes args. */
typedef int (*action_check_fn)(struct action_call *call, jv args, jv *out);

/* One field of an action's result: what `.steps.X.result.NAME` (and `.result.NAME` in the
 * step's outputs, until, fail_if and rollback) may read. Validation checks every static
 * path against these. fields: the fields of this object (ARG_MAP) or of each item
 * (ARG_LIST), checked one level further; NULL: free-form below (exec's json). */
struct action_result {
	const char *name;
	enum arg_type type;
	const char *doc;             /* one line; NULL in generated AWS shapes */
	const struct action_result *fields;   /* terminated by {NULL}, or NULL */
};

/* optional: checks at validation that need the module's knowledge (aws.call: a service
 * the transport can speak). args (borrowed): the constant args of `with:`; an arg given
 * by an expression is present as null. 0, or -1 with why = a whole sentence and *arg =
 * the argument to point at. */
typedef int (*action_validate_fn)(jv args, const char **arg, char *why, size_t size);
/* optional: how long this call usually takes, from the args known before the run (the
 * constant ones; borrowed), in ms; < 0: typical_ms (e.g. sleep: its constant duration) */
typedef int64_t (*action_typical_fn)(jv args);

struct action_desc {
	const char *name;            /* "exec", "http.request", "rds.restore_from_snapshot" */
	const char *summary;         /* one line */
	const struct action_arg *args;   /* terminated by {NULL} */
	const char *result_doc;      /* e.g. "{exit_code, stdout, stderr, json, lines}" */
	unsigned flags;              /* enum action_flags */
	int64_t typical_ms;          /* how long it usually takes, including the work it starts */
	action_run_fn run;
	action_mutates_fn mutates;   /* NULL: ACT_MUTATING decides */
	/* optional: in --dry-run, called INSTEAD of run for a mutating call; it may read but
	 * must not change anything, and returns a description of what run would do (e.g. the
	 * plan of an s3.sync). NULL: the engine describes the resolved args. */
	action_run_fn dry_run;
	action_check_fn check;
	/* the result's fields, terminated by {NULL}; NULL: not declared (not checked) */
	const struct action_result *results;
	/* AWS: the result is this botocore output shape (fields generated in aws_shapes_results.c),
	 * plus the fields above */
	const struct action_result *result_shape;
	const char *result_shape_name;   /* "rds DBInstance", for the docs */
	action_validate_fn validate;
	action_typical_fn typical;       /* plan's estimate; NULL: typical_ms */
};

/* the result field `name` of d (its results, then its result_shape), or NULL */
const struct action_result *action_result_find(const struct action_desc *d, const char *name);
/* the field `name` in a {NULL}-terminated table, or NULL */
const struct action_result *action_result_field(const struct action_result *fields, const char *name);

/* whether this call mutates; borrows args */
int action_is_mutating(const struct action_desc *d, jv args);
/* the descriptor's arg by name, or NULL */
const struct action_arg *action_find_arg(const struct action_desc *d, const char *name);
/* the rules between args (`needs`, `required_when`) over resolved args (borrowed): 0, or
 * -1 with why = a whole sentence ("argument 'command' needs 'shell: true'") */
int action_args_check(const struct action_arg *args, jv with, char *why, size_t size);
/* whether a is required, its required_when flag being on (1) or off (0); *flag = the
 * flag's name. 0 for an arg without required_when. */
int action_required_when(const struct action_arg *a, int on, const char **flag);
/* ---- helpers for an action on its call (real time for I/O, the run's clock for
 * sleeping; cancel and the step's deadline honoured) ---- */
#define ACTION_SLICE_MS 100          /* how often waits look at cancel and the deadline */
/* ms left before the step's deadline (call->deadline on call->clock) combined with a
 * timeout of the action's own (-1 = none); -1 when neither applies, else >= 0 */
int64_t action_time_left(struct action_call *call, int64_t timeout_ms);
/* monotonic milliseconds (real time, for I/O timeouts) */
int64_t action_mono_ms(void);
/* a monotonic deadline for real I/O: now + timeout_ms, shortened by the step's deadline
 * when the run's clock is real (a virtual deadline cannot bound a real server) */
int64_t action_io_deadline(struct action_call *call, int64_t timeout_ms);
/* wait until fd is ready for events (POLLIN/POLLOUT): 1 ready, 0 deadline passed,
 * -1 cancelled, -2 poll error (errno) */
int action_wait_fd(struct action_call *call, int fd, short events, int64_t deadline);
/* sleep ms on the call's clock; -1 if cancelled */
int action_sleep(struct action_call *call, int64_t ms);
/* connections.MODULE.NAME of this call (new reference), jv_null() when the runbook has
 * no connections.MODULE at all, jv_invalid() when NAME is not among them */
jv action_connection(struct action_call *call, const char *module, const char *name);
/* the error for an unknown connection name, with a did-you-mean */
jv action_unknown_connection(struct action_call *call, const char *module, const char *name);
/* a warning (a log event of the call) once per process and key, e.g. "pg:NAME@HOST":
 * advice about an insecure connection is seen once, not at every step */
void action_warn_once(struct action_call *call, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#endif
