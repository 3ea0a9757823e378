/* scenario_world.c — the AWS world of a scenario (rds, elasticache, s3, secrets,
 * faults), its exec: and http: rules and the scenario's top level, as rule tables (see
 * scenario_rules.h); then what spans objects (duplicates, references), and
 * sim_scenario_validate(), the one validator `sim check`, `sim serve` and `rehearse` use.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include "simint.h"
#include "scenario_rules.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/jvx.h"

/* ------------------------------------------------------------------ cross-key checks */

static void s3_object_check(struct vc *c, jv obj)
{
	if (sim_rules_has(obj, "versions")) {
		static const char *const single[] = { "body", "size", "version_id", "content_type", "modified", NULL };
		for (const char *const *k = single; *k; k++)
			if (sim_rules_has(obj, *k))
				sim_rules_err(c, sim_rules_at_key(c, obj, *k, 0), "an object with 'versions' has '%s' in each version, not beside them", *k);
	}
	if (sim_rules_has(obj, "body") && sim_rules_has(obj, "size"))
		sim_rules_err(c, sim_rules_at_key(c, obj, "size", 0), "an object has 'body' or 'size', not both");
}

static void s3_version_check(struct vc *c, jv v)
{
	if (jvx_bool(v, "delete_marker", 0)) {
		static const char *const content[] = { "body", "size", "content_type", NULL };
		for (const char *const *k = content; *k; k++)
			if (sim_rules_has(v, *k))
				sim_rules_err(c, sim_rules_at_key(c, v, *k, 0), "a delete marker has no '%s'", *k);
	} else if (sim_rules_has(v, "body") && sim_rules_has(v, "size")) {
		sim_rules_err(c, sim_rules_at_key(c, v, "size", 0), "a version has 'body' or 'size', not both");
	}
}

static void secret_check(struct vc *c, jv sec)
{
	jv vers = jvx_get(sec, "versions");
	if (sim_rules_has(sec, "value") && jv_get_kind(vers) == JV_KIND_ARRAY)
		sim_rules_err(c, sim_rules_at_key(c, sec, "value", 0), "a secret has 'value' (one version) or 'versions', not both");
	if (jv_get_kind(vers) == JV_KIND_ARRAY && jv_array_length(jv_copy(vers)) > 0) {
		int current = 0;
		jv ids = jv_object(), stages = jv_object();
		SIM_EACH(jv_copy(vers), i, v) {
			const char *id = jvx_str(v, "id");
			if (id && jv_object_has(jv_copy(ids), jv_string(id)))
				sim_rules_err(c, sim_rules_at_key(c, v, "id", 1), "duplicate version id '%s'", id);
			else if (id)
				ids = jv_object_set(ids, jv_string(id), jv_true());
			jv st = jvx_get(v, "stages");
			if (jv_get_kind(st) == JV_KIND_STRING)
				st = JV_ARRAY(st);
			if (jv_get_kind(st) == JV_KIND_ARRAY) {
				SIM_EACH(st, j, s) {
					if (jv_get_kind(s) == JV_KIND_STRING) {
						current += !strcmp(jv_string_value(s), "AWSCURRENT");
						if (jv_object_has(jv_copy(stages), jv_copy(s)))
							sim_rules_err(c, sim_rules_at_key(c, v, "stages", 1), "stage '%s' is on two versions",
							     jv_string_value(s));
						stages = jv_object_set(stages, jv_copy(s), jv_true());
					}
					jv_free(s);
				}
			} else {
				jv_free(st);
			}
			jv_free(v);
		}
		if (current != 1)
			sim_rules_err(c, sim_rules_at_key(c, sec, "versions", 1), "secret '%s' needs exactly one version with stage AWSCURRENT, "
			     "not %d", jvx_str(sec, "name") ? jvx_str(sec, "name") : "", current);
		jv_free(ids);
		jv_free(stages);
	}
	jv_free(vers);
	if (sim_rules_has(sec, "recovery_window_days") && !sim_rules_has(sec, "deleted"))
		sim_rules_err(c, sim_rules_at_key(c, sec, "recovery_window_days", 0), "'recovery_window_days' is for a secret with 'deleted'");
}

static const char *const services[] = { "rds", "elasticache", "s3", "route53", "secretsmanager", "sns", "sts",
					NULL };
static const struct sim_op *const service_ops[] = { sim_rds_ops, sim_elasticache_ops, sim_s3_ops, sim_route53_ops,
						    sim_secrets_ops, sim_sns_ops, sim_sts_ops };

static void fault_check(struct vc *c, jv f)
{
	const char *kind = jvx_str(f, "kind"), *svc = jvx_str(f, "service"), *op = jvx_str(f, "operation");
	if (sim_rules_has(f, "rate") && sim_rules_has(f, "count"))
		sim_rules_err(c, sim_rules_at_key(c, f, "count", 0), "a fault has either 'rate' or 'count', not both");
	if (kind && !strcmp(kind, "latency") && !sim_rules_has(f, "latency"))
		sim_rules_err(c, sim_rules_at_map(c, f), "a latency fault needs 'latency' (e.g. 2s)");
	if (kind && strcmp(kind, "latency") && sim_rules_has(f, "latency"))
		sim_rules_err(c, sim_rules_at_key(c, f, "latency", 0), "'latency' is for kind latency, not %s", kind);
	if (kind && strcmp(kind, "5xx") && sim_rules_has(f, "status"))
		sim_rules_err(c, sim_rules_at_key(c, f, "status", 0), "'status' is for kind 5xx, not %s", kind);
	if (!op || !strcmp(op, "*"))
		return;
	/* the operation must be one the service (or any service) serves */
	const char *names[256];
	int n = 0, found = 0;
	for (int i = 0; services[i]; i++) {
		if (svc && strcmp(svc, services[i]))
			continue;
		for (const struct sim_op *o = service_ops[i]; o->name && n < 255; o++) {
			names[n++] = o->name;
			found |= !strcmp(o->name, op);
		}
	}
	if (!found && n) {
		const char *sug = diag_suggest(op, names, n);
		sim_rules_err(c, sim_rules_at_key(c, f, "operation", 1), "%s%s%s has no operation '%s'%s%s%s", svc ? "service '" : "the simulator",
		     svc ? svc : "", svc ? "'" : "", op, sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
	}
}

/* ------------------------------------------------------------------ exec: and http: rules */

/* an exec rule: argv a non-empty list of scalars (numbers and booleans count as their
 * text, as exec passes them), and either run: true or a stub */
static void exec_rule_check(struct vc *c, jv r)
{
	char b[96];
	jv argv = jvx_get(r, "argv");
	if (jv_get_kind(argv) == JV_KIND_ARRAY) {
		if (jv_array_length(jv_copy(argv)) == 0)
			sim_rules_err(c, sim_rules_at_key(c, r, "argv", 1), "'argv' of an exec rule must not be empty");
		SIM_EACH(jv_copy(argv), i, x) {
			jv_kind k = jv_get_kind(x);
			if (k != JV_KIND_STRING && k != JV_KIND_NUMBER && k != JV_KIND_TRUE && k != JV_KIND_FALSE)
				sim_rules_err(c, sim_rules_at_key(c, r, "argv", 1), "item %d of 'argv' must be a string, not %s", i + 1,
				     sim_rules_show(x, b, sizeof(b)));
			jv_free(x);
		}
	} else if (jv_is_valid(argv) && jv_get_kind(argv) != JV_KIND_NULL) {
		sim_rules_err(c, sim_rules_at_key(c, r, "argv", 1), "'argv' must be a list (the program and its first arguments), not %s",
		     sim_rules_show(argv, b, sizeof(b)));
	}
	jv_free(argv);
	if (sim_rules_has(r, "run") && sim_rules_has(r, "stub"))
		sim_rules_err(c, sim_rules_at_key(c, r, "stub", 0), "an exec rule has either 'run: true' or 'stub', not both");
	else if (!sim_rules_has(r, "run") && !sim_rules_has(r, "stub"))
		sim_rules_err(c, sim_rules_at_map(c, r), "an exec rule needs 'run: true' or a 'stub' (what the step gets instead)");
	else if (sim_rules_has(r, "run") && !jvx_bool(r, "run", 1))
		sim_rules_err(c, sim_rules_at_key(c, r, "run", 1), "'run: false' says nothing: give a 'stub', or leave the rule out "
		     "(a mutating exec without a rule is refused)");
}

static int http_url_ok(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

static int http_method_ok(const char *s)
{
	size_t i = 0;
	while (s[i] && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
		i++;
	return i > 0 && !s[i];
}

static const struct strfmt
	sim_fmt_http_url = { "an http:// or https:// URL (a prefix of the URLs it answers)", http_url_ok },
	sim_fmt_http_method = { "an HTTP method like POST", http_method_ok };

static void http_reply_check(struct vc *c, jv r)
{
	if (sim_rules_has(r, "body") && sim_rules_has(r, "json"))
		sim_rules_err(c, sim_rules_at_key(c, r, "json", 0), "a reply has either 'body' or 'json', not both");
}

static const struct kind k_exec_stub = { "an exec stub", (const struct rule[]){
	R("exit_code", RT_INT, .min = 0, .max = 255),
	R("stdout", RT_STR),
	R("stderr", RT_STR),
	{ NULL } }, NULL };

static const struct kind k_exec_rule = { "an exec rule", (const struct rule[]){
	R("argv", RT_ANY, .flags = REQ),
	R("run", RT_BOOL),
	R("stub", RT_MAP, .kind = &k_exec_stub),
	{ NULL } }, exec_rule_check };

static const struct kind k_http_reply = { "an http reply", (const struct rule[]){
	R("status", RT_INT, .min = 100, .max = 599),
	R("headers", RT_STRMAP),
	R("body", RT_STR),
	R("json", RT_ANY),
	{ NULL } }, http_reply_check };

static const struct kind k_http_rule = { "an http rule", (const struct rule[]){
	R("url", RT_STR, .flags = REQ, .fmt = &sim_fmt_http_url),
	R("method", RT_STR, .fmt = &sim_fmt_http_method),
	R("reply", RT_MAP, .flags = REQ, .kind = &k_http_reply),
	{ NULL } }, NULL };

/* ------------------------------------------------------------------ the AWS world */

static const char *const rds_statuses[] = { "available", "backing-up", "configuring-enhanced-monitoring",
	"configuring-iam-database-auth", "configuring-log-exports", "converting-to-vpc", "creating",
	"delete-precheck", "deleting", "failed", "inaccessible-encryption-credentials",
	"inaccessible-encryption-credentials-recoverable", "incompatible-network", "incompatible-option-group",
	"incompatible-parameters", "incompatible-restore", "insufficient-capacity", "maintenance", "modifying",
	"moving-to-vpc", "rebooting", "resetting-master-credentials", "renaming", "restore-error", "starting",
	"stopped", "stopping", "storage-full", "storage-optimization", "upgrading", NULL };
static const char *const rds_engines[] = { "postgres", "mysql", "mariadb", "aurora-postgresql", "aurora-mysql",
	"oracle-ee", "oracle-ee-cdb", "oracle-se2", "oracle-se2-cdb", "sqlserver-ee", "sqlserver-se",
	"sqlserver-ex", "sqlserver-web", "db2-se", "db2-ae", NULL };
static const char *const snapshot_statuses[] = { "available", "creating", "copying", "deleting", "failed", NULL };
static const char *const snapshot_types[] = { "automated", "manual", NULL };
static const char *const ec_statuses[] = { "available", "creating", "modifying", "deleting", "create-failed",
	"snapshotting", NULL };
static const char *const ec_snapshot_statuses[] = { "available", "creating", "restoring", "copying", "deleting", NULL };
static const char *const versionings[] = { "Enabled", "Suspended", "none", "Disabled", NULL };
static const char *const fault_kinds[] = {
#define FK_NAME(e, n) n,
	SIM_FAULT_KINDS(FK_NAME)
#undef FK_NAME
	NULL };

static const struct kind k_endpoint = { "an endpoint", (const struct rule[]){
	R("address", RT_STR, .fmt = &sim_fmt_nonempty),
	R("port", RT_INT, .min = 1, .max = 65535),
	{ NULL } }, NULL };

static const struct kind k_rds_instance = { "an RDS instance", (const struct rule[]){
	R("id", RT_STR, .flags = REQ, .fmt = &sim_fmt_rds_id),
	R("status", RT_ENUM, .values = rds_statuses, .desc = "an RDS instance status (runbook-scenario(5))"),
	R("ready_in", RT_DUR, .min = 0, .max = 365 * DAY_MS),
	R("class", RT_STR, .fmt = &sim_fmt_db_class),
	R("engine", RT_ENUM, .values = rds_engines, .desc = "an RDS engine (postgres, mysql, mariadb, ...)"),
	R("engine_version", RT_STR, .fmt = &sim_fmt_nonempty),
	R("storage", RT_INT, .min = 1, .max = 65536),
	R("master_username", RT_STR, .fmt = &sim_fmt_nonempty),
	R("db_name", RT_STR, .fmt = &sim_fmt_nonempty),
	R("endpoint", RT_MAP, .kind = &k_endpoint),
	R("multi_az", RT_BOOL),
	R("backup_retention", RT_INT, .min = 0, .max = 35),
	R("earliest_restorable", RT_TIME),
	R("created", RT_TIME),
	R("read_replica_of", RT_STR, .fmt = &sim_fmt_rds_source),
	R("publicly_accessible", RT_BOOL),
	R("security_groups", RT_STRS),
	R("subnet_group", RT_STR, .fmt = &sim_fmt_nonempty),
	R("parameter_group", RT_STR, .fmt = &sim_fmt_nonempty),
	R("tags", RT_TAGS),
	R("availability_zone", RT_STR, .fmt = &sim_fmt_nonempty),
	R("storage_encrypted", RT_BOOL),
	R("deletion_protection", RT_BOOL),
	{ NULL } }, NULL };

static const struct kind k_rds_snapshot = { "an RDS snapshot", (const struct rule[]){
	R("id", RT_STR, .flags = REQ, .fmt = &sim_fmt_rds_snap),
	R("instance", RT_STR, .flags = REQ, .fmt = &sim_fmt_rds_id),
	R("source_deleted", RT_BOOL),
	R("type", RT_ENUM, .values = snapshot_types),
	R("created", RT_TIME),
	R("status", RT_ENUM, .values = snapshot_statuses),
	R("ready_in", RT_DUR, .min = 0, .max = 365 * DAY_MS),
	R("storage", RT_INT, .min = 1, .max = 65536),
	R("engine", RT_ENUM, .values = rds_engines, .desc = "an RDS engine (postgres, mysql, mariadb, ...)"),
	R("engine_version", RT_STR, .fmt = &sim_fmt_nonempty),
	R("master_username", RT_STR, .fmt = &sim_fmt_nonempty),
	R("tags", RT_TAGS),
	{ NULL } }, NULL };

static const struct kind k_rds_subnet_group = { "a DB subnet group", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &sim_fmt_nonempty),
	R("description", RT_STR),
	R("vpc", RT_STR, .fmt = &sim_fmt_nonempty),
	R("subnets", RT_STRS),
	{ NULL } }, NULL };

static const struct kind k_rds = { "'rds'", (const struct rule[]){
	R("endpoint", RT_MAP, .kind = &k_endpoint),
	R("subnet_groups", RT_LIST, .kind = &k_rds_subnet_group),
	R("parameter_groups", RT_STRS),
	R("security_groups", RT_STRS),
	R("instances", RT_LIST, .kind = &k_rds_instance),
	R("snapshots", RT_LIST, .kind = &k_rds_snapshot),
	{ NULL } }, NULL };

static const struct kind k_ec_group = { "a replication group", (const struct rule[]){
	R("id", RT_STR, .flags = REQ, .fmt = &sim_fmt_ec_id),
	R("description", RT_STR),
	R("status", RT_ENUM, .values = ec_statuses),
	R("ready_in", RT_DUR, .min = 0, .max = 365 * DAY_MS),
	R("node_type", RT_STR, .fmt = &sim_fmt_cache_node),
	R("engine_version", RT_STR, .fmt = &sim_fmt_nonempty),
	R("num_clusters", RT_INT, .min = 1, .max = 6),
	R("endpoint", RT_MAP, .kind = &k_endpoint),
	R("transit_encryption", RT_BOOL),
	R("created", RT_TIME),
	{ NULL } }, NULL };

static const struct kind k_ec_snapshot = { "an ElastiCache snapshot", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &sim_fmt_ec_snap),
	R("replication_group", RT_STR, .flags = REQ, .fmt = &sim_fmt_ec_id),
	R("source_deleted", RT_BOOL),
	R("source", RT_ENUM, .values = snapshot_types),
	R("status", RT_ENUM, .values = ec_snapshot_statuses),
	R("ready_in", RT_DUR, .min = 0, .max = 365 * DAY_MS),
	R("created", RT_TIME),
	R("node_type", RT_STR, .fmt = &sim_fmt_cache_node),
	R("engine_version", RT_STR, .fmt = &sim_fmt_nonempty),
	R("size_mb", RT_NUM, .min = 0, .max = 1e7),
	{ NULL } }, NULL };

static const struct kind k_ec = { "'elasticache'", (const struct rule[]){
	R("endpoint", RT_MAP, .kind = &k_endpoint),
	R("replication_groups", RT_LIST, .kind = &k_ec_group),
	R("snapshots", RT_LIST, .kind = &k_ec_snapshot),
	{ NULL } }, NULL };

static const struct kind k_s3_version = { "an object version", (const struct rule[]){
	R("body", RT_STR),
	R("size", RT_INT, .min = 0, .max = SIM_S3_OBJECT_MAX),
	R("content_type", RT_STR, .fmt = &sim_fmt_nonempty),
	R("modified", RT_TIME),
	R("version_id", RT_STR, .fmt = &sim_fmt_nonempty),
	R("delete_marker", RT_BOOL),
	{ NULL } }, s3_version_check };

static const struct kind k_s3_object = { "an object", (const struct rule[]){
	R("key", RT_STR, .flags = REQ, .fmt = &sim_fmt_key),
	R("body", RT_STR),
	R("size", RT_INT, .min = 0, .max = SIM_S3_OBJECT_MAX),
	R("content_type", RT_STR, .fmt = &sim_fmt_nonempty),
	R("modified", RT_TIME),
	R("version_id", RT_STR, .fmt = &sim_fmt_nonempty),
	R("versions", RT_LIST, .kind = &k_s3_version),
	{ NULL } }, s3_object_check };

static const struct kind k_bucket = { "a bucket", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &sim_fmt_bucket),
	R("versioning", RT_ENUM, .values = versionings),
	R("created", RT_TIME),
	R("objects", RT_LIST, .kind = &k_s3_object),
	{ NULL } }, NULL };

static const struct kind k_s3 = { "'s3'", (const struct rule[]){
	R("buckets", RT_LIST, .kind = &k_bucket),
	{ NULL } }, NULL };

static const struct kind k_secret_version = { "a secret version", (const struct rule[]){
	R("value", RT_STR, .flags = REQ),
	R("id", RT_STR, .fmt = &sim_fmt_nonempty),
	R("stages", RT_STRS),
	R("created", RT_TIME),
	{ NULL } }, NULL };

static const struct kind k_aws_secret = { "a secret", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &sim_fmt_nonempty),
	R("description", RT_STR),
	R("value", RT_STR),
	R("versions", RT_LIST, .kind = &k_secret_version),
	R("deleted", RT_TIME),
	R("recovery_window_days", RT_INT, .min = 7, .max = 30),
	R("tags", RT_TAGS),
	R("created", RT_TIME),
	{ NULL } }, secret_check };

static const struct kind k_fault = { "a fault", (const struct rule[]){
	R("service", RT_ENUM, .values = services),
	R("operation", RT_STR, .fmt = &sim_fmt_nonempty),
	R("kind", RT_ENUM, .flags = REQ, .values = fault_kinds),
	R("rate", RT_NUM, .min = 0, .max = 1),
	R("count", RT_INT, .min = 0, .max = 1e9),
	R("latency", RT_DUR, .min = 1, .max = 3600000),
	R("status", RT_INT, .min = 500, .max = 599),
	{ NULL } }, fault_check };

static const struct kind k_durations = { "'durations'", (const struct rule[]){
#define DUR_RULE(e, n, d) R(n, RT_DUR, .min = 0, .max = 365 * DAY_MS),
	SIM_DURATIONS(DUR_RULE)
#undef DUR_RULE
	{ NULL } }, NULL };

static int r53_name_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= 254 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._*") == n &&
	       s[0] != '.' && !strstr(s, "..");
}

static const struct strfmt sim_fmt_r53_name = { "a DNS name (letters, digits, '-', '_', '*' and '.')", r53_name_ok };

static const char *const r53_types[] = { "A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SOA",
	"SPF", "SRV", "TXT", NULL };

static const struct kind k_r53_alias = { "an alias target", (const struct rule[]){
	R("dns_name", RT_STR, .flags = REQ, .fmt = &sim_fmt_nonempty),
	R("hosted_zone_id", RT_STR, .flags = REQ, .fmt = &sim_fmt_nonempty),
	R("evaluate_target_health", RT_BOOL),
	{ NULL } }, NULL };

static void r53_record_check(struct vc *c, jv rr)
{
	if (sim_rules_has(rr, "alias") && (sim_rules_has(rr, "values") || sim_rules_has(rr, "ttl")))
		sim_rules_err(c, sim_rules_at_key(c, rr, "alias", 0), "a record has 'alias' or 'values' (and 'ttl'), not both");
	else if (!sim_rules_has(rr, "alias") && !sim_rules_has(rr, "values"))
		sim_rules_err(c, sim_rules_at_map(c, rr), "a record needs 'values' (or an 'alias')");
}

static const struct kind k_r53_record = { "a DNS record", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &sim_fmt_r53_name),
	R("type", RT_ENUM, .flags = REQ, .values = r53_types),
	R("ttl", RT_INT, .min = 0, .max = 2147483647),
	R("values", RT_STRS),
	R("set_identifier", RT_STR, .fmt = &sim_fmt_nonempty),
	R("weight", RT_INT, .min = 0, .max = 255),
	R("alias", RT_MAP, .kind = &k_r53_alias),
	{ NULL } }, r53_record_check };

static const struct kind k_r53_zone = { "a hosted zone", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &sim_fmt_r53_name),
	R("id", RT_STR, .fmt = &sim_fmt_nonempty),
	R("private", RT_BOOL),
	R("records", RT_LIST, .kind = &k_r53_record),
	{ NULL } }, NULL };

static const struct kind k_route53 = { "'route53'", (const struct rule[]){
	R("hosted_zones", RT_LIST, .kind = &k_r53_zone),
	{ NULL } }, NULL };

static const struct kind k_region = { "a region's world", (const struct rule[]){
	R("rds", RT_MAP, .kind = &k_rds),
	R("elasticache", RT_MAP, .kind = &k_ec),
	{ NULL } }, NULL };

static const struct kind k_scenario = { "the scenario", (const struct rule[]){
	R("scenario", RT_STR),
	R("description", RT_STR),
	R("account", RT_STR, .fmt = &sim_fmt_account),
	R("region", RT_STR, .fmt = &sim_fmt_region),
	R("seed", RT_INT, .min = 0, .max = 9007199254740991.0),
	R("durations", RT_MAP, .kind = &k_durations),
	R("regions", RT_MAPOF, .kind = &k_region),
	R("rds", RT_MAP, .kind = &k_rds),
	R("elasticache", RT_MAP, .kind = &k_ec),
	R("s3", RT_MAP, .kind = &k_s3),
	R("route53", RT_MAP, .kind = &k_route53),
	R("secrets", RT_LIST, .kind = &k_aws_secret),
	R("faults", RT_LIST, .kind = &k_fault),
	R("k8s", RT_MAP, .kind = &sim_rules_k8s),
	R("exec", RT_LIST, .kind = &k_exec_rule),
	R("http", RT_LIST, .kind = &k_http_rule),
	{ NULL } }, NULL };
const struct kind *const sim_rules_scenario = &k_scenario;   /* scenario_schema.c */

/* ------------------------------------------------------------------ across objects */

/* items of doc.a.b (b NULL: doc.a) that are maps; new array */
static jv maps_at(jv doc, const char *a, const char *b)
{
	jv v = jvx_get(doc, a);
	if (b) {
		jv w = jv_get_kind(v) == JV_KIND_OBJECT ? jvx_get(v, b) : jv_invalid();
		jv_free(v);
		v = w;
	}
	jv out = jv_array();
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		SIM_EACH(jv_copy(v), i, x) {
			if (jv_get_kind(x) == JV_KIND_OBJECT)
				out = jv_array_append(out, x);
			else
				jv_free(x);
		}
	}
	jv_free(v);
	return out;
}

/* the set {field value: true} of items; duplicates reported at the second one */
static jv ids_of(struct vc *c, jv items, const char *field, const char *what)
{
	jv seen = jv_object();
	SIM_EACH(jv_copy(items), i, x) {
		const char *id = jvx_str(x, field);
		if (id && jv_object_has(jv_copy(seen), jv_string(id)))
			sim_rules_err(c, sim_rules_at_key(c, x, field, 1), "duplicate %s '%s'", what, id);
		else if (id)
			seen = jv_object_set(seen, jv_string(id), jv_true());
		jv_free(x);
	}
	return seen;
}

/* items whose field names something not in ids (unless source_deleted: true) */
static void refs(struct vc *c, jv items, const char *field, jv ids, const char *what, const char *target,
		 const char *targets)
{
	SIM_EACH(jv_copy(items), i, x) {
		const char *ref = jvx_str(x, field);
		/* another region's instance, by ARN: that region's world is checked on its own */
		int other_region = ref && !strncmp(ref, "arn:aws:", 8);
		if (ref && !other_region && !jv_object_has(jv_copy(ids), jv_string(ref)) && !jvx_bool(x, "source_deleted", 0)) {
			const char *names[64];
			int n = 0;
			SIM_OBJ_EACH(jv_copy(ids), k, v) {
				if (n < 63)
					names[n++] = xstrdup(jv_string_value(k));
				jv_free(k);
				jv_free(v);
			}
			const char *sug = diag_suggest(ref, names, n);
			sim_rules_err(c, sim_rules_at_key(c, x, field, 1), "%s of unknown %s '%s'%s%s%s (declare it under %s%s)", what, target, ref,
			     sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "", targets,
			     strcmp(field, "read_replica_of") ? ", or say source_deleted: true" : "");
			for (int j = 0; j < n; j++)
				free((char *)names[j]);
		}
		jv_free(x);
	}
}

/* rds.GROUPS declared: each instance's KEY (a string or a list) names one of them;
 * "default" subnet groups and "default.*" parameter groups always exist */
static void group_refs(struct vc *c, jv doc, jv inst, const char *groups, const char *field, const char *key,
		       const char *what)
{
	jv rds = jvx_get(doc, "rds");
	jv declared = jv_get_kind(rds) == JV_KIND_OBJECT ? jvx_get(rds, groups) : jv_invalid();
	jv_free(rds);
	if (jv_get_kind(declared) != JV_KIND_ARRAY) {
		jv_free(declared);
		return;
	}
	jv names = jv_object();
	SIM_EACH(declared, i, d) {
		const char *n = field ? jvx_str(d, field) : jv_get_kind(d) == JV_KIND_STRING ? jv_string_value(d) : NULL;
		if (n)
			names = jv_object_set(names, jv_string(n), jv_true());
		jv_free(d);
	}
	SIM_EACH(jv_copy(inst), i, x) {
		jv v = jvx_get(x, key);
		if (jv_get_kind(v) == JV_KIND_STRING)
			v = JV_ARRAY(v);
		if (jv_get_kind(v) == JV_KIND_ARRAY) {
			SIM_EACH(v, j, n) {
				const char *ns = jv_get_kind(n) == JV_KIND_STRING ? jv_string_value(n) : NULL;
				if (ns && !jv_object_has(jv_copy(names), jv_string(ns)) && strcmp(ns, "default") &&
				    strncmp(ns, "default.", 8))
					sim_rules_err(c, sim_rules_at_key(c, x, key, 1), "%s '%s' is not declared (declare it under rds.%s)",
						      what, ns, groups);
				jv_free(n);
			}
		} else {
			jv_free(v);
		}
		jv_free(x);
	}
	jv_free(names);
}

static void check_world(struct vc *c, jv doc)
{
	jv inst = maps_at(doc, "rds", "instances"), snaps = maps_at(doc, "rds", "snapshots");
	jv ids = ids_of(c, inst, "id", "RDS instance");
	jv_free(ids_of(c, snaps, "id", "RDS snapshot"));
	refs(c, inst, "read_replica_of", ids, "a read replica", "instance", "rds.instances");
	refs(c, snaps, "instance", ids, "a snapshot", "instance", "rds.instances");
	group_refs(c, doc, inst, "subnet_groups", "name", "subnet_group", "DB subnet group");
	group_refs(c, doc, inst, "parameter_groups", NULL, "parameter_group", "DB parameter group");
	group_refs(c, doc, inst, "security_groups", NULL, "security_groups", "security group");
	SIM_EACH(jv_copy(inst), i, x) {
		const char *id = jvx_str(x, "id"), *src = jvx_str(x, "read_replica_of");
		if (id && src && !strcmp(id, src))
			sim_rules_err(c, sim_rules_at_key(c, x, "read_replica_of", 1), "instance '%s' cannot be a read replica of itself", id);
		jv_free(x);
	}
	jv_free(ids);
	jv_free(inst);
	jv_free(snaps);

	jv groups = maps_at(doc, "elasticache", "replication_groups");
	jv esnaps = maps_at(doc, "elasticache", "snapshots");
	ids = ids_of(c, groups, "id", "replication group");
	jv_free(ids_of(c, esnaps, "name", "ElastiCache snapshot"));
	refs(c, esnaps, "replication_group", ids, "a snapshot", "replication group", "elasticache.replication_groups");
	jv_free(ids);
	jv_free(groups);
	jv_free(esnaps);

	jv buckets = maps_at(doc, "s3", "buckets");
	jv_free(ids_of(c, buckets, "name", "bucket"));
	SIM_EACH(jv_copy(buckets), i, b) {
		jv objs = maps_at(b, "objects", NULL);
		jv_free(ids_of(c, objs, "key", "object key"));
		SIM_EACH(objs, j, o) {
			jv vers = maps_at(o, "versions", NULL);
			jv_free(ids_of(c, vers, "version_id", "version id"));
			jv_free(vers);
			jv_free(o);
		}
		jv_free(b);
	}
	jv_free(buckets);

	jv zones = maps_at(doc, "route53", "hosted_zones");
	jv_free(ids_of(c, zones, "id", "hosted zone id"));
	SIM_EACH(zones, i, z) {
		jv zn = jvx_str(z, "name") ? sim_r53_name(jvx_str(z, "name")) : jv_string(".");
		const char *zs = jv_string_value(zn);
		SIM_EACH(maps_at(z, "records", NULL), j, rr) {
			jv n = jvx_str(rr, "name") ? sim_r53_name(jvx_str(rr, "name")) : jv_null();
			const char *ns = jv_get_kind(n) == JV_KIND_STRING ? jv_string_value(n) : NULL;
			size_t nl = ns ? strlen(ns) : 0, zl = strlen(zs);
			if (ns && strcmp(ns, zs) && !(nl > zl && !strcmp(ns + nl - zl, zs) && ns[nl - zl - 1] == '.'))
				sim_rules_err(c, sim_rules_at_key(c, rr, "name", 1), "record '%s' is not in zone '%s'", ns, zs);
			jv_free(n);
			jv_free(rr);
		}
		jv_free(zn);
		jv_free(z);
	}

	jv secrets = maps_at(doc, "secrets", NULL);
	jv_free(ids_of(c, secrets, "name", "secret"));
	jv_free(secrets);

	/* Kubernetes objects: one per kind, namespace and name */
	jv k8s = jvx_get(doc, "k8s");
	const char *defns = jv_get_kind(k8s) == JV_KIND_OBJECT && jvx_str(k8s, "namespace") ? jvx_str(k8s, "namespace")
											      : "default";
	jv objs = jv_get_kind(k8s) == JV_KIND_OBJECT ? maps_at(k8s, "objects", NULL) : jv_array();
	jv seen = jv_object();
	SIM_EACH(objs, i, o) {
		jv meta = jvx_get(o, "metadata");
		const char *kind = jvx_str(o, "kind"), *name = jv_get_kind(meta) == JV_KIND_OBJECT ? jvx_str(meta, "name") : NULL;
		const char *ns = jv_get_kind(meta) == JV_KIND_OBJECT && jvx_str(meta, "namespace") ? jvx_str(meta, "namespace")
												   : defns;
		if (kind && name) {
			jv key = jv_string_fmt("%s %s/%s", kind, strcmp(kind, "Namespace") ? ns : "", name);
			if (jv_object_has(jv_copy(seen), jv_copy(key)))
				sim_rules_err(c, sim_rules_at_key(c, meta, "name", 1), "duplicate %s '%s'%s%s", kind, name,
				     strcmp(kind, "Namespace") ? " in namespace " : "", strcmp(kind, "Namespace") ? ns : "");
			seen = jv_object_set(seen, key, jv_true());
		}
		jv_free(meta);
		jv_free(o);
	}
	jv_free(seen);
	jv_free(k8s);
}

int sim_scenario_validate(const struct source *src, jv doc, struct diag_list *dl)
{
	struct vc c = { src, dl, 0 };
	sim_rules_check_map(&c, &k_scenario, doc);
	check_world(&c, doc);
	/* each region's world on its own (names are per region, as on AWS) */
	jv regions = jvx_get(doc, "regions");
	if (jv_get_kind(regions) == JV_KIND_OBJECT) {
		SIM_OBJ_EACH(jv_copy(regions), name, w) {
			if (jv_get_kind(w) == JV_KIND_OBJECT && strncmp(jv_string_value(name), "__", 2)) {
				if (!sim_fmt_region.ok(jv_string_value(name)))
					sim_rules_err(&c, sim_rules_at_key(&c, regions, jv_string_value(name), 0),
						      "'%s' is not %s", jv_string_value(name), sim_fmt_region.what);
				check_world(&c, w);
			}
			jv_free(name);
			jv_free(w);
		}
	}
	jv_free(regions);
	return c.errors ? -1 : 0;
}
