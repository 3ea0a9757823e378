/* redis.c — the redis module: Redis / ElastiCache actions (issue 4). The descriptor
 * table below is the contract; `runbook actions` and runbook-actions(7) print it.
 *
 * Each action opens its own connection (redis_conn.c: plain or TLS, AUTH, SELECT) on
 * the worker thread. Key counts use SCAN (never KEYS); writes are pipelined.
 *
 * This file holds the table and the helpers the actions share; the actions are in
 * redis_inspect.c (read-only), redis_command.c (command, bgsave) and redis_warm.c.
 */
#include <stdlib.h>
#include <string.h>
#include "redis_priv.h"
#include "../../core/actarg.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"
#include "../registry.h"

#define RCONN_ARG { "connection", ARG_STRING, 0, "\"default\"", \
	"named connection (connections.redis.NAME); with no connections.redis, REDIS_HOST / REDIS_PORT or 127.0.0.1:6379" }
#define R_ARGS_END { NULL, 0, 0, NULL, NULL }

static const struct action_arg redis_ping_args[] = { RCONN_ARG, R_ARGS_END };
static const struct action_arg redis_wait_ready_args[] = {
	{ "timeout", ARG_DURATION, ARG_NONEMPTY, "\"5m\"", "give up after this long" },
	{ "interval", ARG_DURATION, ARG_NONEMPTY, "\"1s\"", "between attempts" },
	RCONN_ARG, R_ARGS_END,
};
static const struct action_arg redis_dbsize_args[] = { RCONN_ARG, R_ARGS_END };
static const struct action_arg redis_info_args[] = {
	{ "section", ARG_STRING, 0, NULL, "one INFO section (server, memory, persistence, keyspace, ...); default: all" },
	RCONN_ARG, R_ARGS_END,
};
static const struct action_arg redis_count_args[] = {
	{ "pattern", ARG_STRING, 0, "\"*\"", "glob of keys to count (SCAN MATCH)" },
	{ "type", ARG_STRING, 0, NULL, "only keys of this type (string, hash, list, set, zset, stream)" },
	{ "count", ARG_INT, ARG_RANGE, "1000", "SCAN COUNT hint per round trip", .min = 1, .max = 1000000 },
	RCONN_ARG, R_ARGS_END,
};
static const struct action_arg redis_sample_args[] = {
	{ "n", ARG_INT, ARG_RANGE, "10", "how many random keys (RANDOMKEY)", .min = 0, .max = 100000 },
	RCONN_ARG, R_ARGS_END,
};
static const struct action_arg redis_command_args[] = {
	{ "argv", ARG_LIST, ARG_REQUIRED, NULL, "the command and its arguments (numbers and booleans as text)" },
	{ "read_only", ARG_BOOL, 0, "false", "declares the command read-only (it then runs in --dry-run)" },
	RCONN_ARG, R_ARGS_END,
};
static const struct action_arg redis_bgsave_args[] = {
	{ "timeout", ARG_DURATION, ARG_NONEMPTY, "\"10m\"", "how long to wait for the save to finish" },
	{ "interval", ARG_DURATION, ARG_NONEMPTY, "\"1s\"", "between checks" },
	RCONN_ARG, R_ARGS_END,
};
static const struct action_arg redis_warm_args[] = {
	{ "rows", ARG_LIST, 0, NULL, "objects to load, e.g. ${{ .steps.q.result.rows }} of a pg.query (or sql)" },
	{ "sql", ARG_STRING, 0, NULL, "instead of rows: a query streamed from pg_connection (one row at a time, one snapshot)" },
	{ "params", ARG_LIST, 0, NULL, "values bound to $1, ... of sql" },
	{ "pg_connection", ARG_STRING, 0, "\"default\"", "connections.pg entry that sql runs on" },
	{ "key", ARG_STRING, ARG_REQUIRED, NULL, "key template: {field} is replaced by the row's field, e.g. \"product:{id}\"" },
	{ "value", ARG_STRING, 0, NULL, "value template for type string (default: the row as JSON)" },
	{ "type", ARG_STRING, 0, "\"string\"", "string (SET) or hash (HSET)", .choices = "string|hash" },
	{ "fields", ARG_LIST, 0, NULL, "for type hash: the row fields stored (default: all)" },
	{ "ttl", ARG_DURATION, ARG_NONEMPTY, NULL, "expiry of every key (PX / PEXPIRE)" },
	{ "batch", ARG_INT, ARG_RANGE, "1000", "commands per pipelined round trip (two batches in flight)",
	  .min = 1, .max = 1000000 },
	RCONN_ARG, R_ARGS_END,
};
static const struct action_arg redis_compare_args[] = {
	{ "source", ARG_STRING, 0, "\"default\"", "first connection" },
	{ "target", ARG_STRING, ARG_REQUIRED, NULL, "second connection" },
	{ "patterns", ARG_LIST, 0, "[\"*\"]", "key globs counted on both sides" },
	{ "tolerance", ARG_NUMBER, ARG_RANGE, "0", "allowed relative difference per pattern (0.01 = 1%)",
	  .min = 0, .max = 1 },
	{ "fail_on_mismatch", ARG_BOOL, 0, "false", "fail the step when a count differs beyond tolerance" },
	R_ARGS_END,
};

/* result fields (what `.steps.X.result.F` may read; checked at validation) */
static const struct action_result res_ping[] = {
	{"pong", ARG_STRING, "the reply", NULL},
	{"latency_ms", ARG_NUMBER, "round trip", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_ready[] = {
	{"ready", ARG_BOOL, "the dataset is loaded", NULL},
	{"attempts", ARG_INT, "tries", NULL},
	{"waited_ms", ARG_INT, "time waited", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_dbsize[] = {
	{"keys", ARG_INT, "keys in the database", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_info[] = {
	{"*", ARG_ANY, "one object per INFO section (server, clients, memory, persistence, stats, replication, cpu, keyspace, ...); free-form", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_count[] = {
	{"pattern", ARG_STRING, "the pattern", NULL},
	{"count", ARG_INT, "keys matching", NULL},
	{"round_trips", ARG_INT, "SCAN calls", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_sample_key[] = {
	{"key", ARG_STRING, "key", NULL},
	{"type", ARG_STRING, "its type", NULL},
	{"ttl_ms", ARG_INT, "its TTL, -1 none", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_sample[] = {
	{"keys", ARG_LIST, "the sampled keys", res_sample_key},
	{"dbsize", ARG_INT, "keys in the database", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_command[] = {
	{"reply", ARG_ANY, "the reply as JSON; free-form below", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_bgsave[] = {
	{"lastsave_before", ARG_INT, "LASTSAVE before", NULL},
	{"lastsave", ARG_INT, "LASTSAVE after", NULL},
	{"waited_ms", ARG_INT, "time waited", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_warm[] = {
	{"keys_written", ARG_INT, "keys written", NULL},
	{"round_trips", ARG_INT, "pipelines sent", NULL},
	{"ms", ARG_INT, "time taken", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result res_compare[] = {
	{"match", ARG_BOOL, "every pattern matches", NULL},
	{"patterns", ARG_MAP, "pattern -> {source, target, match}", NULL},
	{"dbsize", ARG_MAP, "{source, target}", NULL},
	{"mismatches", ARG_LIST, "patterns that differ", NULL},
	{NULL, 0, NULL, NULL},
};

static const struct action_desc redis_actions[] = {
	{ "redis.ping", "PING the server", redis_ping_args, "{pong, latency_ms}",
	  ACT_IDEMPOTENT, 5, redis_ping_run, NULL, NULL, NULL,
	  .results = res_ping },
	{ "redis.wait_ready", "wait until the server answers and has finished loading its dataset (LOADING)",
	  redis_wait_ready_args, "{ready, attempts, waited_ms}",
	  ACT_IDEMPOTENT, 2000, redis_wait_ready_run, NULL, NULL, NULL,
	  .results = res_ready },
	{ "redis.dbsize", "number of keys in the connection's database", redis_dbsize_args, "{keys}",
	  ACT_IDEMPOTENT, 5, redis_dbsize_run, NULL, NULL, NULL,
	  .results = res_dbsize },
	{ "redis.info", "INFO parsed into {section: {field: value}} (keyspace lines as objects)",
	  redis_info_args, "{server: {...}, memory: {...}, keyspace: {db0: {keys, expires, avg_ttl}}, ...}",
	  ACT_IDEMPOTENT, 5, redis_info_run, NULL, NULL, NULL,
	  .results = res_info },
	{ "redis.count", "count keys matching a pattern with SCAN (never KEYS)", redis_count_args,
	  "{pattern, count, round_trips}", ACT_IDEMPOTENT, 500, redis_count_run, NULL, NULL, NULL,
	  .results = res_count },
	{ "redis.sample", "random keys with their type and TTL", redis_sample_args,
	  "{keys: [{key, type, ttl_ms}], dbsize}", ACT_IDEMPOTENT, 20, redis_sample_run, NULL, NULL, NULL,
	  .results = res_sample },
	{ "redis.command", "any command (argv); mutating unless read_only: true", redis_command_args,
	  "{reply}", ACT_MUTATING, 5, redis_command_run, redis_command_mutates, redis_command_dry, NULL,
	  .results = res_command },
	{ "redis.bgsave", "BGSAVE and wait until the snapshot is written (LASTSAVE changes)",
	  redis_bgsave_args, "{lastsave_before, lastsave, waited_ms}",
	  ACT_MUTATING | ACT_IDEMPOTENT, 5000, redis_bgsave_run, NULL, redis_bgsave_dry, NULL,
	  .results = res_bgsave },
	{ "redis.warm", "load keys from rows (a pg.query result, or a query streamed from PostgreSQL): pipelined SET or HSET, optional TTL",
	  redis_warm_args, "{keys_written, round_trips, ms}",
	  ACT_MUTATING | ACT_IDEMPOTENT, 1000, redis_warm_run, NULL, redis_warm_dry, NULL,
	  .results = res_warm },
	{ "redis.compare", "key counts per pattern in two instances", redis_compare_args,
	  "{match, patterns: {pattern: {source, target, match}}, dbsize: {source, target}}",
	  ACT_IDEMPOTENT, 1000, redis_compare_run, NULL, NULL, NULL,
	  .results = res_compare },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const struct action_arg redis_conn_args[] = {
	{ "host", ARG_STRING, 0, "\"127.0.0.1\"", "server name or address" },
	{ "port", ARG_INT, ARG_RANGE, "6379", "TCP port", .min = 1, .max = 65535 },
	{ "username", ARG_STRING, 0, NULL, "ACL user (AUTH username password)" },
	{ "password", ARG_STRING, ARG_SECRET, NULL, "AUTH password (redacted everywhere)" },
	{ "db", ARG_INT, ARG_RANGE, "0", "database number (SELECT)", .min = 0, .max = 2147483647 },
	{ "tls", ARG_BOOL, 0, "false", "TLS (ElastiCache in-transit encryption), through OpenSSL" },
	{ "tls_ca", ARG_STRING, 0, NULL, "CA bundle file (default: the system store)" },
	{ "tls_server_name", ARG_STRING, 0, NULL, "name checked in the certificate and sent as SNI (default: host)" },
	{ "tls_cert", ARG_STRING, 0, NULL, "client certificate file (PEM), when the server asks for one" },
	{ "tls_key", ARG_STRING, 0, NULL, "client key file (PEM)" },
	{ "tls_insecure", ARG_BOOL, 0, "false", "do not verify the server certificate (warned about once; give tls_ca instead)" },
	{ "connect_timeout", ARG_DURATION, ARG_NONEMPTY, "\"10s\"", "bound on connecting" },
	R_ARGS_END,
};

const struct module_desc redis_module = {
	"redis",
	"Redis / ElastiCache: readiness, key counts, INFO, cache warm-up, snapshots (RESP, optional TLS)",
	redis_actions,
	redis_conn_args, 1,
	NULL, NULL,
};

const char *redis_conn_name(struct action_call *call, jv args, const char *arg, jv *hold)
{
	const char *s = actarg_str(call, args, arg, hold);
	return s ? s : "default";
}

/* a one-command action: open, run, convert */
int redis_simple(struct action_call *call, jv args, jv *out, const char *cmd, redisReply **rep)
{
	struct rconn c;
	jv hold, err = jv_invalid();
	int rc = -1;

	if (rconn_open(&c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0)
		goto out;
	if (rconn_call(&c, rep, &err, cmd, NULL) < 0)
		goto out;
	rc = 0;
out:
	rconn_close(&c);
	jv_free(hold);
	if (rc < 0)
		*out = err;
	return rc;
}

/* text of an argv item or a template value: strings as is, numbers without exponent
 * when integral, booleans as words, null as "", lists/maps as JSON. malloc'd. */
char *redis_text(jv v)
{
	char tmp[64];

	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return xstrdup(jv_string_value(v));
	case JV_KIND_NUMBER:
		return xstrdup(actarg_num_text(jv_number_value(v), tmp, sizeof(tmp)));
	case JV_KIND_TRUE:
		return xstrdup("true");
	case JV_KIND_FALSE:
		return xstrdup("false");
	case JV_KIND_NULL:
		return xstrdup("");
	default:
		return jvx_dump(jv_copy(v));
	}
}
