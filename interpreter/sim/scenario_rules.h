/* scenario_rules.h — the scenario validator's rule tables (owner: sim; private to the
 * scenario_*.c files of interpreter/sim/).
 *
 * Every object kind of a scenario is a table of rules: key, type, range or enum or name
 * syntax, required. sim_rules_check_map() walks a map against its kind's table (unknown
 * keys get a "did you mean"), then the kind's own cross-key check. The engine and the
 * name syntaxes are in scenario_rules.c, the Kubernetes kinds in scenario_k8s.c, the
 * AWS world, exec: and http: rules and the whole scenario in scenario_world.c.
 */
#ifndef RB_SIM_SCENARIO_RULES_H
#define RB_SIM_SCENARIO_RULES_H
#include <jv.h>
#include "../core/diag.h"

#define DAY_MS 86400000.0

struct vc {
	const struct source *src;
	struct diag_list *dl;
	int errors;
};

enum rtype {
	RT_STR,      /* a string; with fmt, of that syntax */
	RT_INT,      /* an integer in [min, max] */
	RT_NUM,      /* a number in [min, max] */
	RT_BOOL,
	RT_DUR,      /* "90s", "1h30m": milliseconds in [min, max] */
	RT_TIME,     /* RFC 3339, "now", "-2h", "+10m" */
	RT_ENUM,     /* one of values */
	RT_STRS,     /* a string or a list of strings */
	RT_STRMAP,   /* a map of strings (labels, ConfigMap data) */
	RT_TAGS,     /* a map of scalars */
	RT_B64MAP,   /* a map of base64 strings (Secret data) */
	RT_MAP,      /* a map of kind */
	RT_MAPOF,    /* a map whose every value is a map of kind */
	RT_LIST,     /* a list of maps of kind, or of values checked by fn */
	RT_INTSTR,   /* an integer in [min, max] or a name (a Service's targetPort) */
	RT_ANY,
};

enum { REQ = 1 << 0 };

struct strfmt {
	const char *what;                /* "an RDS identifier (...)" for messages */
	int (*ok)(const char *s);
};

struct kind;
struct rule {
	const char *key;
	enum rtype type;
	unsigned flags;
	double min, max;                 /* RT_INT, RT_NUM, RT_DUR (ms), RT_INTSTR */
	const char *const *values;       /* RT_ENUM, NULL-terminated */
	const char *desc;                /* RT_ENUM: what the values are, when too many to list */
	const struct strfmt *fmt;        /* RT_STR: syntax; NULL = any string */
	const struct kind *kind;         /* RT_MAP, RT_MAPOF, RT_LIST */
	void (*fn)(struct vc *c, jv v, struct srcloc at);   /* RT_LIST of non-kind items */
};

/* a rule: key, type, then designated fields (.flags, .min, .max, .values, ...) */
#define R(k, t, ...) { .key = (k), .type = (t), __VA_ARGS__ }

struct kind {
	const char *what;                /* "an RDS instance" */
	const struct rule *rules;        /* {NULL}-terminated */
	void (*check)(struct vc *c, jv obj);   /* rules across keys, or NULL */
};

/* an error at a location (counted in c) */
void sim_rules_err(struct vc *c, struct srcloc at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* where a map is; where a key of it is (value: its value rather than the key) */
struct srcloc sim_rules_at_map(struct vc *c, jv obj);
struct srcloc sim_rules_at_key(struct vc *c, jv obj, const char *key, int value);
/* a value as a message shows it (borrows v) */
const char *sim_rules_show(jv v, char *buf, size_t size);
/* obj (borrowed) against a kind: every rule, unknown keys, then the kind's check */
void sim_rules_check_map(struct vc *c, const struct kind *k, jv obj);
/* the key is there and not null */
int sim_rules_has(jv obj, const char *key);

/* name syntaxes */
extern const struct strfmt sim_fmt_rds_id, sim_fmt_rds_source, sim_fmt_rds_snap, sim_fmt_ec_id, sim_fmt_ec_snap, sim_fmt_bucket,
	sim_fmt_key, sim_fmt_nonempty, sim_fmt_account, sim_fmt_region, sim_fmt_dns_label, sim_fmt_dns_name,
	sim_fmt_cache_node, sim_fmt_db_class;

/* the scenario's k8s: map (scenario_k8s.c) */
extern const struct kind sim_rules_k8s;
/* the whole scenario (scenario_world.c), for its JSON Schema (scenario_schema.c) */
extern const struct kind *const sim_rules_scenario;
#endif
