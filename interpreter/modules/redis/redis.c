/* redis.c — the redis module: Redis / ElastiCache actions (issue 4). The descriptor
 * table below is the contract; `runbook actions` and runbook-actions(7) print it.
 *
 * Each action opens its own connection (redis_conn.c: plain or TLS, AUTH, SELECT) on
 * the worker thread. Key counts use SCAN (never KEYS); writes are pipelined.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "redis_priv.h"
#include "../../core/actarg.h"
#include "../pg/pg_cursor.h"
#include "../registry.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"

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

static int redis_ping_run(struct action_call *call, jv args, jv *out);
static int redis_wait_ready_run(struct action_call *call, jv args, jv *out);
static int redis_dbsize_run(struct action_call *call, jv args, jv *out);
static int redis_info_run(struct action_call *call, jv args, jv *out);
static int redis_count_run(struct action_call *call, jv args, jv *out);
static int redis_sample_run(struct action_call *call, jv args, jv *out);
static int redis_command_run(struct action_call *call, jv args, jv *out);
static int redis_command_mutates(jv args);
static int redis_command_dry(struct action_call *call, jv args, jv *out);
static int redis_bgsave_run(struct action_call *call, jv args, jv *out);
static int redis_bgsave_dry(struct action_call *call, jv args, jv *out);
static int redis_warm_run(struct action_call *call, jv args, jv *out);
static int redis_warm_dry(struct action_call *call, jv args, jv *out);
static int redis_compare_run(struct action_call *call, jv args, jv *out);

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

static const char *redis_conn_name(struct action_call *call, jv args, const char *arg, jv *hold)
{
	const char *s = actarg_str(call, args, arg, hold);
	return s ? s : "default";
}

/* a one-command action: open, run, convert */
static int redis_simple(struct action_call *call, jv args, jv *out, const char *cmd, redisReply **rep)
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

static int redis_ping_run(struct action_call *call, jv args, jv *out)
{
	redisReply *r = NULL;
	int64_t t0 = action_mono_ms();
	int rc = redis_simple(call, args, out, "PING", &r);

	if (rc == 0) {
		*out = jv_object_set(jv_object(), jv_string("pong"), rconn_reply_jv(r));
		*out = jv_object_set(*out, jv_string("latency_ms"), jv_number((double)(action_mono_ms() - t0)));
		freeReplyObject(r);
	}
	jv_free(args);
	return rc;
}

static int redis_dbsize_run(struct action_call *call, jv args, jv *out)
{
	redisReply *r = NULL;
	int rc = redis_simple(call, args, out, "DBSIZE", &r);

	if (rc == 0) {
		*out = jv_object_set(jv_object(), jv_string("keys"), rconn_reply_jv(r));
		freeReplyObject(r);
	}
	jv_free(args);
	return rc;
}

/* INFO text -> {section: {field: value}} */
static jv redis_info_parse(const char *s, size_t len)
{
	jv res = jv_object(), sec = jv_invalid();
	char secname[64] = "default";
	const char *end = s + len;

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		size_t n = eol ? (size_t)(eol - s) : (size_t)(end - s);
		char line[4096];
		if (n && s[n - 1] == '\r')
			n--;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, s, n);
		line[n] = 0;
		s = eol ? eol + 1 : end;
		if (!n)
			continue;
		if (line[0] == '#') {
			if (jv_is_valid(sec))
				res = jv_object_set(res, jv_string(secname), sec);
			sec = jv_object();
			const char *p = line + 1;
			while (*p == ' ')
				p++;
			snprintf(secname, sizeof(secname), "%.63s", p);
			for (char *q = secname; *q; q++)
				*q = (char)tolower((unsigned char)*q);
			continue;
		}
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		const char *val = colon + 1;
		jv v;
		char *e;
		double d = strtod(val, &e);
		if (*val && *e == 0 && !isspace((unsigned char)*val) && isfinite(d)) {
			v = jv_number(d);
		} else if (strchr(val, '=')) {
			/* "keys=1,expires=0,avg_ttl=0" */
			char tmp[4096];
			int all = 1;
			snprintf(tmp, sizeof(tmp), "%s", val);
			v = jv_object();
			for (char *part = tmp, *next; part; part = next) {
				char *comma = strchr(part, ',');
				next = comma ? comma + 1 : NULL;
				if (comma)
					*comma = 0;
				char *eq = strchr(part, '=');
				if (!eq) {
					all = 0;
					break;
				}
				*eq = 0;
				double pd = strtod(eq + 1, &e);
				v = jv_object_set(v, jv_string(part), eq[1] && *e == 0 ? jv_number(pd) : jv_string(eq + 1));
			}
			if (!all) {
				jv_free(v);
				v = jv_string(val);
			}
		} else {
			v = jv_string(val);
		}
		if (!jv_is_valid(sec))
			sec = jv_object();
		sec = jv_object_set(sec, jv_string(line), v);
	}
	if (jv_is_valid(sec))
		res = jv_object_set(res, jv_string(secname), sec);
	return res;
}

static int redis_info_get(struct rconn *c, const char *section, jv *info, jv *err)
{
	redisReply *r = NULL;

	if ((section ? rconn_call(c, &r, err, "INFO", section, NULL) : rconn_call(c, &r, err, "INFO", NULL)) < 0)
		return -1;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		*err = jvx_error("ProtocolError", "redis: INFO did not return text");
		return -1;
	}
	*info = redis_info_parse(r->str, r->len);
	freeReplyObject(r);
	return 0;
}

static int redis_info_run(struct action_call *call, jv args, jv *out)
{
	struct rconn c;
	jv hold, hs, err = jv_invalid();
	const char *section = actarg_str(call, args, "section", &hs);
	int rc = -1;

	if (rconn_open(&c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0)
		goto out;
	if (redis_info_get(&c, section, out, &err) < 0)
		goto out;
	rc = 0;
out:
	rconn_close(&c);
	jv_free(hold);
	jv_free(hs);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

static int redis_wait_ready_run(struct action_call *call, jv args, jv *out)
{
	jv hold, err = jv_invalid(), last = jv_null();
	const char *name = redis_conn_name(call, args, "connection", &hold);
	int64_t timeout = actarg_ms(call, args, "timeout", 300000), interval = actarg_ms(call, args, "interval", 1000);
	int64_t start = action_mono_ms(), deadline;
	int attempts = 0, rc = -1;

	if (timeout < 0 || interval < 0) {
		err = jvx_error("InvalidArgument", "timeout and interval must be durations");
		goto out;
	}
	deadline = action_io_deadline(call, timeout);
	for (;;) {
		struct rconn c;
		redisReply *r = NULL;
		jv e = jv_invalid();
		attempts++;
		if (rconn_open(&c, call, name, &e) == 0 && rconn_call(&c, &r, &e, "PING", NULL) == 0) {
			freeReplyObject(r);
			jv info = jv_invalid();
			/* PING can answer while a replica syncs; loading:1 means not ready */
			if (redis_info_get(&c, "persistence", &info, &e) == 0) {
				jv p = jvx_get(info, "persistence");
				double loading = jvx_num(p, "loading", 0);
				jv_free(p);
				jv_free(info);
				if (loading == 0) {
					rconn_close(&c);
					break;
				}
				e = jvx_error("Loading", "redis is loading its dataset");
			}
		}
		rconn_close(&c);
		const char *code = jvx_str(e, "code");
		if (code && (!strcmp(code, "AuthenticationFailed") || !strcmp(code, "UnknownConnection") ||
			     !strcmp(code, "Cancelled") || !strcmp(code, "TlsError"))) {
			err = e;
			goto out;
		}
		jv_free(last);
		last = e;
		if (action_mono_ms() + interval > deadline) {
			jv lm = jvx_get(last, "message");
			err = jvx_error("Timeout", "redis (connection '%s') not ready after %lld ms and %d attempts; last: %s",
					name, (long long)(action_mono_ms() - start), attempts,
					jv_get_kind(lm) == JV_KIND_STRING ? jv_string_value(lm) : "?");
			jv_free(lm);
			goto out;
		}
		if (action_sleep(call, interval) < 0) {
			err = jvx_error("Cancelled", "waiting for redis was cancelled");
			goto out;
		}
	}
	*out = jv_object_set(jv_object(), jv_string("ready"), jv_true());
	*out = jv_object_set(*out, jv_string("attempts"), jv_number(attempts));
	*out = jv_object_set(*out, jv_string("waited_ms"), jv_number((double)(action_mono_ms() - start)));
	rc = 0;
out:
	jv_free(last);
	jv_free(hold);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

/* SCAN MATCH count (DBSIZE for "*" without a type: exact and O(1)) */
static int redis_scan_count(struct rconn *c, const char *pattern, const char *type, int64_t hint,
			    double *count, int *trips, jv *err)
{
	char cursor[32] = "0", hs[32];
	redisReply *r = NULL;

	*count = 0;
	*trips = 0;
	if (!strcmp(pattern, "*") && !type) {
		if (rconn_call(c, &r, err, "DBSIZE", NULL) < 0)
			return -1;
		*count = (double)r->integer;
		*trips = 1;
		freeReplyObject(r);
		return 0;
	}
	snprintf(hs, sizeof(hs), "%lld", (long long)(hint > 0 ? hint : 1000));
	do {
		int rc = type ? rconn_call(c, &r, err, "SCAN", cursor, "MATCH", pattern, "COUNT", hs, "TYPE", type, NULL)
			      : rconn_call(c, &r, err, "SCAN", cursor, "MATCH", pattern, "COUNT", hs, NULL);
		if (rc < 0)
			return -1;
		(*trips)++;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING) {
			freeReplyObject(r);
			*err = jvx_error("ProtocolError", "redis: unexpected SCAN reply");
			return -1;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		*count += (double)r->element[1]->elements;
		freeReplyObject(r);
		r = NULL;
		if (action_cancelled(c->call)) {
			*err = jvx_error("Cancelled", "redis SCAN cancelled");
			return -1;
		}
	} while (strcmp(cursor, "0"));
	return 0;
}

static int redis_count_run(struct action_call *call, jv args, jv *out)
{
	struct rconn c;
	jv hold, hp, ht, err = jv_invalid();
	const char *pattern = actarg_str(call, args, "pattern", &hp), *type = actarg_str(call, args, "type", &ht);
	double n = 0;
	int trips = 0, rc = -1;

	if (!pattern)
		pattern = "*";
	if (rconn_open(&c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0)
		goto out;
	if (redis_scan_count(&c, pattern, type, actarg_int(call, args, "count", 1000), &n, &trips, &err) < 0)
		goto out;
	*out = jv_object_set(jv_object(), jv_string("pattern"), jv_string(pattern));
	*out = jv_object_set(*out, jv_string("count"), jv_number(n));
	*out = jv_object_set(*out, jv_string("round_trips"), jv_number(trips));
	rc = 0;
out:
	rconn_close(&c);
	jv_free(hold);
	jv_free(hp);
	jv_free(ht);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

static int redis_sample_run(struct action_call *call, jv args, jv *out)
{
	struct rconn c;
	jv hold, err = jv_invalid(), keys = jv_array(), seen = jv_object(), list = jv_array();
	int64_t n = actarg_int(call, args, "n", 10);
	redisReply *r = NULL;
	int rc = -1, nk;

	if (n < 0 || n > 100000) {
		err = jvx_error("InvalidArgument", "n must be between 0 and 100000");
		goto out;
	}
	if (rconn_open(&c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0)
		goto out;
	/* RANDOMKEY repeats itself: a few rounds for n distinct keys (fewer when the
	 * database is small) */
	for (int round = 0; round < 5; round++) {
		int64_t want = n - jv_array_length(jv_copy(keys));
		if (want <= 0)
			break;
		for (int64_t i = 0; i < want; i++) {
			const char *a[] = { "RANDOMKEY" };
			rconn_append(&c, 1, a, NULL);
		}
		for (int64_t i = 0; i < want; i++) {
			if (rconn_read(&c, &r, &err) < 0)
				goto out;
			if (r->type == REDIS_REPLY_STRING) {
				jv k = jv_string_sized(r->str, (int)r->len);
				if (!jvx_has(seen, jv_string_value(k))) {
					seen = jv_object_set(seen, jv_copy(k), jv_true());
					keys = jv_array_append(keys, jv_copy(k));
				}
				jv_free(k);
			}
			freeReplyObject(r);
			r = NULL;
		}
	}
	nk = jv_array_length(jv_copy(keys));
	for (int i = 0; i < nk; i++) {
		jv k = jv_array_get(jv_copy(keys), i);
		const char *ta[] = { "TYPE", jv_string_value(k) }, *pa[] = { "PTTL", jv_string_value(k) };
		size_t lens[] = { 4, (size_t)jv_string_length_bytes(jv_copy(k)) };
		rconn_append(&c, 2, ta, lens);
		rconn_append(&c, 2, pa, lens);
		jv_free(k);
	}
	for (int i = 0; i < nk; i++) {
		jv e = jv_object_set(jv_object(), jv_string("key"), jv_array_get(jv_copy(keys), i));
		if (rconn_read(&c, &r, &err) < 0) {
			jv_free(e);
			goto out;
		}
		e = jv_object_set(e, jv_string("type"), rconn_reply_jv(r));
		freeReplyObject(r);
		if (rconn_read(&c, &r, &err) < 0) {
			r = NULL;
			jv_free(e);
			goto out;
		}
		/* PTTL: -1 no expiry, -2 gone since RANDOMKEY */
		e = jv_object_set(e, jv_string("ttl_ms"), r->type == REDIS_REPLY_INTEGER && r->integer >= 0
				  ? jv_number((double)r->integer) : jv_null());
		if (r->type == REDIS_REPLY_INTEGER && r->integer == -2)
			e = jv_object_set(e, jv_string("gone"), jv_true());
		freeReplyObject(r);
		r = NULL;
		list = jv_array_append(list, e);
	}
	if (rconn_call(&c, &r, &err, "DBSIZE", NULL) < 0)
		goto out;
	*out = jv_object_set(jv_object(), jv_string("keys"), list);
	*out = jv_object_set(*out, jv_string("dbsize"), rconn_reply_jv(r));
	list = jv_invalid();
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	rconn_close(&c);
	jv_free(list);
	jv_free(keys);
	jv_free(seen);
	jv_free(hold);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

/* text of an argv item or a template value: strings as is, numbers without exponent
 * when integral, booleans as words, null as "", lists/maps as JSON. malloc'd. */
static char *redis_text(jv v)
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

static int redis_argv(jv list, char ***argv, size_t **lens, int *argc, jv *err)
{
	int n = jv_get_kind(list) == JV_KIND_ARRAY ? jv_array_length(jv_copy(list)) : 0;

	if (n == 0) {
		*err = jvx_error("InvalidArgument", "argv must be a non-empty list");
		return -1;
	}
	*argv = xcalloc((size_t)n, sizeof(char *));
	*lens = xcalloc((size_t)n, sizeof(size_t));
	for (int i = 0; i < n; i++) {
		jv v = jv_array_get(jv_copy(list), i);
		if (jv_get_kind(v) == JV_KIND_STRING) {
			int l = jv_string_length_bytes(jv_copy(v));
			(*argv)[i] = xmalloc((size_t)l + 1);
			memcpy((*argv)[i], jv_string_value(v), (size_t)l + 1);
			(*lens)[i] = (size_t)l;
		} else if (jv_get_kind(v) == JV_KIND_ARRAY || jv_get_kind(v) == JV_KIND_OBJECT || jv_get_kind(v) == JV_KIND_NULL) {
			jv_free(v);
			*argc = i;
			*err = jvx_error("InvalidArgument", "argv item %d must be a string, number or boolean", i + 1);
			return -1;
		} else {
			(*argv)[i] = redis_text(v);
			(*lens)[i] = strlen((*argv)[i]);
		}
		jv_free(v);
	}
	*argc = n;
	return 0;
}

static void redis_argv_free(char **argv, size_t *lens, int argc)
{
	for (int i = 0; argv && i < argc; i++)
		free(argv[i]);
	free(argv);
	free(lens);
}

static int redis_command_mutates(jv args)
{
	jv ro = jvx_get(args, "read_only");
	int mut = jv_get_kind(ro) != JV_KIND_TRUE;
	jv_free(ro);
	return mut;
}

static int redis_command_run(struct action_call *call, jv args, jv *out)
{
	struct rconn c;
	jv hold, err = jv_invalid(), list = actarg_get(call, args, "argv");
	char **argv = NULL;
	size_t *lens = NULL;
	int argc = 0, rc = -1;
	redisReply *r = NULL;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	if (redis_argv(list, &argv, &lens, &argc, &err) < 0)
		goto out;
	if (rconn_open(&c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0)
		goto out;
	rconn_append(&c, argc, (const char **)argv, lens);
	if (rconn_read(&c, &r, &err) < 0)
		goto out;
	if (r->type == REDIS_REPLY_ERROR) {
		err = rconn_reply_error(&c, r);
		goto out;
	}
	*out = jv_object_set(jv_object(), jv_string("reply"), rconn_reply_jv(r));
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	rconn_close(&c);
	redis_argv_free(argv, lens, argc);
	jv_free(list);
	if (rc < 0 || jv_is_valid(hold))
		jv_free(hold);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

/* dry-run: the command is looked up (COMMAND INFO) but not run */
static int redis_command_dry(struct action_call *call, jv args, jv *out)
{
	struct rconn c;
	jv hold = jv_invalid(), err = jv_invalid(), list = actarg_get(call, args, "argv"), info = jv_null();
	redisReply *r = NULL;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	jv name = jv_get_kind(list) == JV_KIND_ARRAY ? jv_array_get(jv_copy(list), 0) : jv_invalid();
	if (jv_get_kind(name) != JV_KIND_STRING) {
		err = jvx_error("InvalidArgument", "argv must start with a command name");
		jv_free(name);
		goto out;
	}
	if (rconn_open(&c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0) {
		jv_free(name);
		goto out;
	}
	if (rconn_call(&c, &r, &err, "COMMAND", "INFO", jv_string_value(name), NULL) == 0) {
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_NIL) {
			err = jvx_error("UnknownCommand", "redis (connection '%s'): unknown command '%s'", c.name,
					jv_string_value(name));
			jv_free(name);
			goto out;
		}
		jv ci = rconn_reply_jv(r);
		info = jv_array_get(jv_array_get(ci, 0), 2);   /* flags */
	} else {
		jv_free(err);   /* COMMAND may be renamed or forbidden (ElastiCache): describe anyway */
		err = jv_invalid();
	}
	jv_free(name);
	*out = jv_object_set(jv_object(), jv_string("dry_run"), jv_true());
	*out = jv_object_set(*out, jv_string("would_run"), jv_copy(list));
	*out = jv_object_set(*out, jv_string("command_flags"), info);
	info = jv_null();
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	rconn_close(&c);
	jv_free(info);
	jv_free(list);
	jv_free(hold);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

/* rdb_saves (Redis 7+) counts finished saves; LASTSAVE (seconds) is the fallback */
static int redis_persistence(struct rconn *c, double *saves, double *in_progress, jv *status, jv *err)
{
	jv info = jv_invalid(), p;

	if (redis_info_get(c, "persistence", &info, err) < 0)
		return -1;
	p = jvx_get(info, "persistence");
	*saves = jvx_num(p, "rdb_saves", -1);
	*in_progress = jvx_num(p, "rdb_bgsave_in_progress", 0);
	*status = jvx_get(p, "rdb_last_bgsave_status");
	jv_free(p);
	jv_free(info);
	return 0;
}

static int redis_bgsave_run(struct action_call *call, jv args, jv *out)
{
	struct rconn c;
	jv hold, err = jv_invalid(), status = jv_null();
	int64_t timeout = actarg_ms(call, args, "timeout", 600000), interval = actarg_ms(call, args, "interval", 1000);
	int64_t start = action_mono_ms(), deadline, before, now_save = 0;
	double saves0, saves, inprog;
	redisReply *r = NULL;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	if (timeout < 0 || interval < 0) {
		err = jvx_error("InvalidArgument", "timeout and interval must be durations");
		goto out;
	}
	deadline = action_io_deadline(call, timeout);
	if (rconn_open(&c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0)
		goto out;
	if (rconn_call(&c, &r, &err, "LASTSAVE", NULL) < 0)
		goto out;
	before = r->integer;
	freeReplyObject(r);
	r = NULL;
	if (redis_persistence(&c, &saves0, &inprog, &status, &err) < 0)
		goto out;
	jv_free(status);
	status = jv_null();
	if (rconn_call(&c, &r, &err, "BGSAVE", NULL) < 0) {
		const char *m = jvx_str(err, "message");
		if (!m || !strstr(m, "already in progress"))
			goto out;
		/* a save running now may have started before our writes: schedule one after it */
		jv_free(err);
		err = jv_invalid();
		if (rconn_call(&c, &r, &err, "BGSAVE", "SCHEDULE", NULL) < 0)
			goto out;
		saves0 += 1;   /* the running one does not count */
	}
	if (r)
		freeReplyObject(r);
	r = NULL;
	for (;;) {
		if (action_sleep(call, interval < 100 ? interval : 100) < 0) {
			err = jvx_error("Cancelled", "waiting for BGSAVE was cancelled");
			goto out;
		}
		jv_free(status);
		status = jv_null();
		if (redis_persistence(&c, &saves, &inprog, &status, &err) < 0)
			goto out;
		if (rconn_call(&c, &r, &err, "LASTSAVE", NULL) < 0)
			goto out;
		now_save = r->integer;
		freeReplyObject(r);
		r = NULL;
		if (!inprog && (saves0 >= 0 ? saves > saves0 : now_save != before))
			break;
		if (!inprog && jv_get_kind(status) == JV_KIND_STRING && !strcmp(jv_string_value(status), "err")) {
			err = jvx_error("BgsaveFailed", "redis (connection '%s'): BGSAVE failed (rdb_last_bgsave_status:err; see the server log)", c.name);
			goto out;
		}
		if (action_mono_ms() > deadline) {
			err = jvx_error("Timeout", "redis (connection '%s'): BGSAVE not finished after %lld ms", c.name,
					(long long)(action_mono_ms() - start));
			goto out;
		}
		if (interval > 100 && action_sleep(call, interval - 100) < 0) {
			err = jvx_error("Cancelled", "waiting for BGSAVE was cancelled");
			goto out;
		}
	}
	if (jv_get_kind(status) == JV_KIND_STRING && !strcmp(jv_string_value(status), "err")) {
		err = jvx_error("BgsaveFailed", "redis (connection '%s'): BGSAVE failed", c.name);
		goto out;
	}
	*out = jv_object_set(jv_object(), jv_string("lastsave_before"), jv_number((double)before));
	*out = jv_object_set(*out, jv_string("lastsave"), jv_number((double)now_save));
	*out = jv_object_set(*out, jv_string("waited_ms"), jv_number((double)(action_mono_ms() - start)));
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	rconn_close(&c);
	jv_free(status);
	jv_free(hold);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

static int redis_bgsave_dry(struct action_call *call, jv args, jv *out)
{
	redisReply *r = NULL;
	int rc = redis_simple(call, args, out, "LASTSAVE", &r);

	if (rc == 0) {
		*out = jv_object_set(jv_object(), jv_string("dry_run"), jv_true());
		*out = jv_object_set(*out, jv_string("would_run"), jv_string("BGSAVE"));
		*out = jv_object_set(*out, jv_string("lastsave"), rconn_reply_jv(r));
		freeReplyObject(r);
	}
	jv_free(args);
	return rc;
}

/* ---- redis.warm ---- */

/* "{field}" -> the row's field as text; other braces are literal. Unknown fields fail. */
static int warm_render(const char *tmpl, jv row, int rowno, struct buf *out, jv *err)
{
	buf_reset(out);
	for (const char *p = tmpl; *p;) {
		if (*p == '{' && (isalpha((unsigned char)p[1]) || p[1] == '_')) {
			const char *q = p + 1;
			while (isalnum((unsigned char)*q) || *q == '_')
				q++;
			if (*q == '}') {
				char name[256];
				size_t n = (size_t)(q - p - 1);
				if (n >= sizeof(name))
					n = sizeof(name) - 1;
				memcpy(name, p + 1, n);
				name[n] = 0;
				jv v = jvx_get(row, name);
				if (!jv_is_valid(v)) {
					*err = jvx_error("InvalidArgument", "row %d has no field '%s' (used in template '%s')",
							 rowno, name, tmpl);
					return -1;
				}
				char *t = redis_text(v);
				buf_adds(out, t);
				free(t);
				jv_free(v);
				p = q + 1;
				continue;
			}
		}
		buf_addc(out, *p++);
	}
	return 0;
}

/* one warm-up: rows (from the rows arg or streamed from PostgreSQL) become pipelined
 * SET / HSET (+ PEXPIRE) commands, read back a batch at a time */
struct warm {
	struct action_call *call;
	struct rconn c;
	const char *key, *value;
	int hash, dry;
	jv fields;                  /* hash: names to store, or null = every field */
	int64_t ttl, batch, pending, written;
	int64_t inflight;           /* sent, replies not read yet */
	int trips;
	char ttls[32];
	struct buf kb, vb;
	jv sample;                  /* dry-run: the first keys */
};

struct tseg {                   /* a compiled template for query rows */
	const char *lit;            /* literal text before the field */
	size_t litlen;
	int col;                    /* column index, -1: literal only */
};

static int warm_send(struct warm *w, jv *err);

/* replies of everything sent; keeps at most two batches in flight */
static int warm_read(struct warm *w, int64_t n, jv *err)
{
	jv first = jv_invalid();

	if (n <= 0)
		return 0;
	w->trips++;
	if (rconn_read_simple(&w->c, n, &first, err) < 0)
		return -1;
	if (jv_is_valid(first)) {
		*err = jvx_error("RedisError", "redis (connection '%s'): %s", w->c.name, jv_string_value(first));
		*err = jv_object_set(*err, jv_string("rows_before_batch"), jv_number((double)w->written));
		jv_free(first);
		return -1;
	}
	if (action_cancelled(w->call)) {
		*err = jvx_error("Cancelled", "redis.warm cancelled after %lld rows", (long long)w->written);
		return -1;
	}
	return 0;
}

/* a full batch: send it, then read the previous batch's replies (the server works on
 * this one meanwhile) */
static int warm_send(struct warm *w, jv *err)
{
	int64_t prev = w->inflight;

	if (rconn_flush(&w->c, err) < 0)
		return -1;
	w->inflight = w->pending;
	w->pending = 0;
	return warm_read(w, prev, err);
}

static int warm_finish(struct warm *w, jv *err)
{
	if (w->pending && warm_send(w, err) < 0)
		return -1;
	int64_t last = w->inflight;
	w->inflight = 0;
	return warm_read(w, last, err);
}

static void warm_set(struct warm *w, const char *val, size_t vlen)
{
	rconn_resp_begin(&w->c, w->ttl > 0 ? 5 : 3);
	rconn_resp_arg(&w->c, "SET", 3);
	rconn_resp_arg(&w->c, w->kb.data, w->kb.len);
	rconn_resp_arg(&w->c, val, vlen);
	if (w->ttl > 0) {
		rconn_resp_arg(&w->c, "PX", 2);
		rconn_resp_arg(&w->c, w->ttls, strlen(w->ttls));
	}
	w->pending++;
}

static void warm_expire(struct warm *w)
{
	if (w->ttl <= 0)
		return;
	rconn_resp_begin(&w->c, 3);
	rconn_resp_arg(&w->c, "PEXPIRE", 7);
	rconn_resp_arg(&w->c, w->kb.data, w->kb.len);
	rconn_resp_arg(&w->c, w->ttls, strlen(w->ttls));
	w->pending++;
}

/* a row given as JSON (rows arg); borrows row */
static int warm_row(struct warm *w, jv row, int64_t rowno, jv *err)
{
	if (jv_get_kind(row) != JV_KIND_OBJECT) {
		*err = jvx_error("InvalidArgument", "row %lld is not an object", (long long)rowno);
		return -1;
	}
	if (warm_render(w->key, row, (int)rowno, &w->kb, err) < 0)
		return -1;
	if (w->dry) {
		if (jv_array_length(jv_copy(w->sample)) < 5)
			w->sample = jv_array_append(w->sample, jv_string(w->kb.data));
		w->written++;
		return 0;
	}
	if (!w->hash) {
		if (w->value) {
			if (warm_render(w->value, row, (int)rowno, &w->vb, err) < 0)
				return -1;
		} else {
			char *js = jvx_dump(jv_copy(row));
			buf_reset(&w->vb);
			buf_adds(&w->vb, js);
			free(js);
		}
		warm_set(w, w->vb.data, w->vb.len);
	} else {
		jv names = jv_get_kind(w->fields) == JV_KIND_ARRAY ? jv_copy(w->fields) : jv_keys(jv_copy(row));
		int nf = jv_array_length(jv_copy(names)), argc = 2;
		char **texts = xcalloc((size_t)(nf ? nf : 1), sizeof(char *));
		jv *fnames = xcalloc((size_t)(nf ? nf : 1), sizeof(jv));
		for (int f = 0; f < nf; f++) {
			jv fn = jv_array_get(jv_copy(names), f);
			jv fv = jv_get_kind(fn) == JV_KIND_STRING ? jvx_get(row, jv_string_value(fn)) : jv_invalid();
			fnames[f] = jv_invalid();
			if (!jv_is_valid(fv)) {
				jv_free(fn);
				continue;    /* a listed field absent from this row is skipped */
			}
			texts[f] = redis_text(fv);
			jv_free(fv);
			fnames[f] = fn;
			argc += 2;
		}
		if (argc > 2) {
			rconn_resp_begin(&w->c, argc);
			rconn_resp_arg(&w->c, "HSET", 4);
			rconn_resp_arg(&w->c, w->kb.data, w->kb.len);
			for (int f = 0; f < nf; f++) {
				if (!texts[f])
					continue;
				rconn_resp_arg(&w->c, jv_string_value(fnames[f]), strlen(jv_string_value(fnames[f])));
				rconn_resp_arg(&w->c, texts[f], strlen(texts[f]));
			}
			w->pending++;
			warm_expire(w);
		}
		for (int f = 0; f < nf; f++) {
			free(texts[f]);
			jv_free(fnames[f]);
		}
		free(texts);
		free(fnames);
		jv_free(names);
	}
	w->written++;
	if (w->pending >= w->batch)
		return warm_send(w, err);
	return 0;
}

/* text of a query cell as a template sees it: PostgreSQL's text form, booleans as
 * true/false, NULL as "" */
static const char *warm_cell(const PGresult *r, int row, int col, size_t *len)
{
	if (PQgetisnull(r, row, col)) {
		*len = 0;
		return "";
	}
	if (PQftype(r, col) == 16) {
		int t = PQgetvalue(r, row, col)[0] == 't';
		*len = t ? 4 : 5;
		return t ? "true" : "false";
	}
	*len = (size_t)PQgetlength(r, row, col);
	return PQgetvalue(r, row, col);
}

static int warm_compile(const char *tmpl, const PGresult *r, struct tseg **segs, int *nsegs, jv *err)
{
	int n = 0, alloc = 0;
	const char *lit = tmpl;

	*segs = NULL;
	for (const char *p = tmpl; *p;) {
		if (*p == '{' && (isalpha((unsigned char)p[1]) || p[1] == '_')) {
			const char *q = p + 1;
			while (isalnum((unsigned char)*q) || *q == '_')
				q++;
			if (*q == '}') {
				int col = -1;
				for (int c = 0; c < PQnfields(r); c++) {
					const char *fn = PQfname(r, c);
					if (strlen(fn) == (size_t)(q - p - 1) && !memcmp(fn, p + 1, (size_t)(q - p - 1)))
						col = c;
				}
				if (col < 0) {
					*err = jvx_error("InvalidArgument", "the query has no column '%.*s' (used in template '%s')",
							 (int)(q - p - 1), p + 1, tmpl);
					free(*segs);
					*segs = NULL;
					return -1;
				}
				ALLOC_GROW(*segs, n + 1, alloc);
				(*segs)[n++] = (struct tseg){ lit, (size_t)(p - lit), col };
				p = q + 1;
				lit = p;
				continue;
			}
		}
		p++;
	}
	ALLOC_GROW(*segs, n + 1, alloc);
	(*segs)[n++] = (struct tseg){ lit, strlen(lit), -1 };
	*nsegs = n;
	return 0;
}

static void warm_fill(struct buf *b, const struct tseg *segs, int n, const PGresult *r, int row)
{
	buf_reset(b);
	for (int i = 0; i < n; i++) {
		buf_add(b, segs[i].lit, segs[i].litlen);
		if (segs[i].col >= 0) {
			size_t len;
			const char *v = warm_cell(r, row, segs[i].col, &len);
			buf_add(b, v, len);
		}
	}
}

/* the rows of one FETCH */
static int warm_result(struct warm *w, const PGresult *r, struct tseg *ks, int nks, struct tseg *vs, int nvs,
		       const int *hcols, int nh, jv *err)
{
	for (int i = 0; i < PQntuples(r); i++) {
		warm_fill(&w->kb, ks, nks, r, i);
		w->written++;
		if (w->dry) {
			if (jv_array_length(jv_copy(w->sample)) < 5)
				w->sample = jv_array_append(w->sample, jv_string(w->kb.data));
			continue;
		}
		if (w->hash) {
			rconn_resp_begin(&w->c, 2 + 2 * nh);
			rconn_resp_arg(&w->c, "HSET", 4);
			rconn_resp_arg(&w->c, w->kb.data, w->kb.len);
			for (int h = 0; h < nh; h++) {
				size_t len;
				const char *v = warm_cell(r, i, hcols[h], &len);
				rconn_resp_arg(&w->c, PQfname(r, hcols[h]), strlen(PQfname(r, hcols[h])));
				rconn_resp_arg(&w->c, v, len);
			}
			w->pending++;
			warm_expire(w);
		} else if (vs) {
			warm_fill(&w->vb, vs, nvs, r, i);
			warm_set(w, w->vb.data, w->vb.len);
		} else {
			jv row = jv_object();
			for (int c = 0; c < PQnfields(r); c++)
				row = jv_object_set(row, jv_string(PQfname(r, c)), pgx_value(r, i, c));
			char *js = jvx_dump(row);
			warm_set(w, js, strlen(js));
			free(js);
		}
		if (w->pending >= w->batch && warm_send(w, err) < 0)
			return -1;
	}
	return 0;
}

#define WARM_FETCH 10000

/* stream the rows of a query (a cursor, FETCH WARM_FETCH at a time, one snapshot) */
static int warm_from_pg(struct warm *w, jv args, jv *err)
{
	struct pgx x;
	jv hc, hs, plist = actarg_get(w->call, args, "params");
	const char *sql = actarg_str(w->call, args, "sql", &hs);
	struct buf decl = BUF_INIT(0);
	struct tseg *ks = NULL, *vs = NULL;
	int nks = 0, nvs = 0, nh = 0, *hcols = NULL;
	char **vals = NULL, fetch[64];
	int n = 0, rc = -1;
	PGresult *r = NULL;

	memset(&x, 0, sizeof(x));
	if (pgx_params(plist, &vals, &n, err) < 0)
		goto out;
	if (pgx_open(&x, w->call, pg_connection_arg(w->call, args, "pg_connection", &hc), err) < 0)
		goto out;
	if (pgx_do(&x, "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", err) < 0)
		goto out;
	buf_addf(&decl, "DECLARE runbook_warm NO SCROLL CURSOR FOR %s", sql);
	if (pgx_exec(&x, buf_str(&decl), n, (const char *const *)vals, &r, err) < 0)
		goto out;
	PQclear(r);
	r = NULL;
	snprintf(fetch, sizeof(fetch), "FETCH FORWARD %d FROM runbook_warm", WARM_FETCH);
	/* the next FETCH is sent before this one's rows are written: the server reads
	 * while we format and Redis stores */
	if (!PQsendQuery(x.conn, fetch)) {
		*err = pgx_error(&x, NULL);
		goto out;
	}
	for (;;) {
		if (pgx_collect(&x, &r, err) < 0)
			goto out;
		if (!r) {
			*err = jvx_error("PostgresError", "postgres: FETCH returned nothing");
			goto out;
		}
		if (PQntuples(r) > 0 && !PQsendQuery(x.conn, fetch)) {
			*err = pgx_error(&x, NULL);
			goto out;
		}
		if (!ks) {
			/* templates are checked against the columns before anything is written */
			if (warm_compile(w->key, r, &ks, &nks, err) < 0)
				goto out;
			if (!w->hash && w->value && warm_compile(w->value, r, &vs, &nvs, err) < 0)
				goto out;
			if (w->hash) {
				hcols = xcalloc((size_t)PQnfields(r) + 1, sizeof(int));
				for (int c = 0; c < PQnfields(r); c++) {
					int want = 1;
					if (jv_get_kind(w->fields) == JV_KIND_ARRAY) {
						want = 0;
						jv_array_foreach(w->fields, i, f) {
							if (jv_get_kind(f) == JV_KIND_STRING && !strcmp(jv_string_value(f), PQfname(r, c)))
								want = 1;
							jv_free(f);
						}
					}
					if (want)
						hcols[nh++] = c;
				}
				if (!nh) {
					*err = jvx_error("InvalidArgument", "none of the fields is a column of the query");
					goto out;
				}
			}
		}
		if (PQntuples(r) == 0)
			break;
		if (warm_result(w, r, ks, nks, vs, nvs, hcols, nh, err) < 0)
			goto out;
		PQclear(r);
		r = NULL;
	}
	rc = 0;
out:
	PQclear(r);
	pgx_close(&x);
	pgx_params_free(vals, n);
	free(ks);
	free(vs);
	free(hcols);
	buf_release(&decl);
	jv_free(plist);
	jv_free(hc);
	jv_free(hs);
	return rc;
}

static int redis_warm_common(struct action_call *call, jv args, jv *out, int dry)
{
	struct warm w;
	jv hold = jv_invalid(), hk, hv, ht, rows = actarg_get(call, args, "rows"), sqlv = actarg_get(call, args, "sql");
	jv err = jv_invalid();
	const char *type;
	int rc = -1;
	int64_t t0 = action_mono_ms();

	memset(&w, 0, sizeof(w));
	w.call = call;
	w.c.fd = -1;
	w.dry = dry;
	buf_init(&w.kb, 0);
	buf_init(&w.vb, 0);
	w.sample = jv_array();
	w.fields = actarg_get(call, args, "fields");
	w.key = actarg_str(call, args, "key", &hk);
	w.value = actarg_str(call, args, "value", &hv);
	type = actarg_str(call, args, "type", &ht);
	w.ttl = actarg_ms(call, args, "ttl", 0);
	w.batch = actarg_int(call, args, "batch", 1000);
	if (w.batch < 1)
		w.batch = 1;
	snprintf(w.ttls, sizeof(w.ttls), "%lld", (long long)w.ttl);
	w.hash = type && !strcmp(type, "hash");
	if (!w.key) {
		err = jvx_error("InvalidArgument", "key is required");
		goto out;
	}
	if ((jv_get_kind(rows) == JV_KIND_ARRAY) == (jv_get_kind(sqlv) == JV_KIND_STRING)) {
		err = jvx_error("InvalidArgument", "give either rows (a list) or sql (a query streamed from pg_connection)");
		goto out;
	}
	if (type && !w.hash && strcmp(type, "string")) {
		err = jvx_error("InvalidArgument", "type must be string or hash, not '%s'", type);
		goto out;
	}
	if (w.hash && w.value) {
		err = jvx_error("InvalidArgument", "value is for type string; type hash stores fields");
		goto out;
	}
	if (w.ttl < 0) {
		err = jvx_error("InvalidArgument", "ttl must be a duration");
		goto out;
	}
	/* dry-run: rows are rendered (unknown fields are caught), the query runs read only,
	 * nothing is written; the connection is still checked */
	if (rconn_open(&w.c, call, redis_conn_name(call, args, "connection", &hold), &err) < 0)
		goto out;
	if (jv_get_kind(rows) == JV_KIND_ARRAY) {
		int nrows = jv_array_length(jv_copy(rows));
		for (int i = 0; i < nrows; i++) {
			jv row = jv_array_get(jv_copy(rows), i);
			int wr = warm_row(&w, row, i + 1, &err);
			jv_free(row);
			if (wr < 0)
				goto out;
		}
	} else if (warm_from_pg(&w, args, &err) < 0) {
		goto out;
	}
	if (!dry && warm_finish(&w, &err) < 0)
		goto out;
	if (dry) {
		*out = jv_object_set(jv_object(), jv_string("dry_run"), jv_true());
		*out = jv_object_set(*out, jv_string("would_write"), jv_number((double)w.written));
		*out = jv_object_set(*out, jv_string("type"), jv_string(w.hash ? "hash" : "string"));
		*out = jv_object_set(*out, jv_string("sample_keys"), w.sample);
		w.sample = jv_invalid();
	} else {
		*out = jv_object_set(jv_object(), jv_string("keys_written"), jv_number((double)w.written));
		*out = jv_object_set(*out, jv_string("round_trips"), jv_number(w.trips));
		*out = jv_object_set(*out, jv_string("ms"), jv_number((double)(action_mono_ms() - t0)));
	}
	rc = 0;
out:
	rconn_close(&w.c);
	buf_release(&w.kb);
	buf_release(&w.vb);
	jv_free(w.sample);
	jv_free(w.fields);
	jv_free(rows);
	jv_free(sqlv);
	jv_free(hk);
	jv_free(hv);
	jv_free(ht);
	jv_free(hold);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}

static int redis_warm_run(struct action_call *call, jv args, jv *out)
{
	return redis_warm_common(call, args, out, 0);
}

static int redis_warm_dry(struct action_call *call, jv args, jv *out)
{
	return redis_warm_common(call, args, out, 1);
}

/* ---- redis.compare ---- */

static int redis_compare_run(struct action_call *call, jv args, jv *out)
{
	struct rconn a, b;
	jv hs, ht, err = jv_invalid(), pats = actarg_get(call, args, "patterns"), res = jv_object(), mism = jv_array();
	const char *src = redis_conn_name(call, args, "source", &hs), *tgt = actarg_str(call, args, "target", &ht);
	jv tolv = actarg_get(call, args, "tolerance");
	double tol = jv_get_kind(tolv) == JV_KIND_NUMBER ? jv_number_value(tolv) : 0;
	int rc = -1, trips;
	double da = 0, db = 0;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.fd = b.fd = -1;
	jv_free(tolv);
	if (!tgt) {
		err = jvx_error("InvalidArgument", "target is required");
		goto out;
	}
	if (jv_get_kind(pats) != JV_KIND_ARRAY)
		pats = jv_array_append(jv_array(), jv_string("*"));
	if (rconn_open(&a, call, src, &err) < 0 || rconn_open(&b, call, tgt, &err) < 0)
		goto out;
	if (redis_scan_count(&a, "*", NULL, 0, &da, &trips, &err) < 0 || redis_scan_count(&b, "*", NULL, 0, &db, &trips, &err) < 0)
		goto out;
	jv_array_foreach(pats, i, p) {
		double na = 0, nb = 0;
		if (jv_get_kind(p) != JV_KIND_STRING) {
			jv_free(p);
			err = jvx_error("InvalidArgument", "patterns must be strings");
			goto out;
		}
		if (redis_scan_count(&a, jv_string_value(p), NULL, 1000, &na, &trips, &err) < 0 ||
		    redis_scan_count(&b, jv_string_value(p), NULL, 1000, &nb, &trips, &err) < 0) {
			jv_free(p);
			goto out;
		}
		double base = na > nb ? na : nb;
		int match = base == 0 || fabs(na - nb) <= tol * base;
		jv e = jv_object_set(jv_object(), jv_string("source"), jv_number(na));
		e = jv_object_set(e, jv_string("target"), jv_number(nb));
		e = jv_object_set(e, jv_string("match"), jv_bool(match));
		if (!match)
			mism = jv_array_append(mism, jv_copy(p));
		res = jv_object_set(res, p, e);
	}
	{
		int n = jv_array_length(jv_copy(mism));
		jv dbs = jv_object_set(jv_object_set(jv_object(), jv_string("source"), jv_number(da)),
				       jv_string("target"), jv_number(db));
		*out = jv_object_set(jv_object(), jv_string("match"), jv_bool(n == 0));
		*out = jv_object_set(*out, jv_string("patterns"), res);
		*out = jv_object_set(*out, jv_string("dbsize"), dbs);
		*out = jv_object_set(*out, jv_string("mismatches"), jv_copy(mism));
		res = jv_invalid();
		if (n && actarg_bool(call, args, "fail_on_mismatch", 0)) {
			char *list = jvx_dump(jv_copy(mism));
			err = jvx_error("Mismatch", "key counts differ between '%s' and '%s' for %s", src, tgt, list);
			err = jv_object_set(err, jv_string("details"), *out);
			free(list);
			goto out;
		}
	}
	rc = 0;
out:
	rconn_close(&a);
	rconn_close(&b);
	jv_free(res);
	jv_free(mism);
	jv_free(pats);
	jv_free(hs);
	jv_free(ht);
	jv_free(args);
	if (rc < 0)
		*out = err;
	return rc;
}
