/* redis_priv.h — internal to modules/redis: our own connection (plain TCP or OpenSSL TLS)
 * speaking RESP through hiredis's formatter (redisFormatCommandArgv) and reader
 * (redisReader). Debian's hiredis 0.14 has no TLS and its blocking context cannot honour
 * a cancel flag, so one code path serves both (ElastiCache in-transit encryption).
 *
 * Ownership: a struct rconn owns its socket, SSL objects, reader and output buffer
 * (rconn_close). Replies are hiredis redisReply trees (freeReplyObject). Functions
 * returning -1 set *err to a new error object ({code, message}).
 */
#ifndef RB_MODULES_REDIS_PRIV_H
#define RB_MODULES_REDIS_PRIV_H
#include <hiredis/hiredis.h>
#include <openssl/ssl.h>
#include <jv.h>
#include "../../core/action.h"
#include "../../core/buf.h"

#define REDIS_CONNECT_TIMEOUT_MS 10000
#define REDIS_IO_TIMEOUT_MS 60000     /* one reply, unless the step's deadline is sooner */

struct rconn {
	struct action_call *call;
	char name[128];                   /* connection name, for messages */
	char where[300];                  /* host:port */
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	redisReader *reader;
	struct buf out;                   /* formatted commands not yet written */
	struct buf rest;                  /* rconn_read_simple: bytes read past its last reply */
	int64_t deadline;                 /* monotonic ms: the step's deadline */
};

/* open connection NAME of connections.redis (none configured and NAME "default":
 * REDIS_HOST / REDIS_PORT from the environment, else 127.0.0.1:6379); AUTH and SELECT.
 * Taints the password. */
int rconn_open(struct rconn *c, struct action_call *call, const char *name, jv *err);
void rconn_close(struct rconn *c);
/* queue a command (pipelining); lens NULL: strlen */
void rconn_append(struct rconn *c, int argc, const char **argv, const size_t *lens);
int rconn_flush(struct rconn *c, jv *err);
/* hot path (redis.warm): write a command's RESP straight into the output buffer */
void rconn_resp_begin(struct rconn *c, int argc);
void rconn_resp_arg(struct rconn *c, const char *data, size_t len);
/* hot path: read n one-line replies (status, integer or error: what SET, HSET and
 * PEXPIRE answer) without building reply objects; the first error reply's text goes to
 * *first_error (jv_invalid() if none). Only when the hiredis reader holds nothing. */
int rconn_read_simple(struct rconn *c, int64_t n, jv *first_error, jv *err);
/* the next reply (flushes first); error replies are returned as replies */
int rconn_read(struct rconn *c, redisReply **reply, jv *err);
/* one command from NULL-terminated strings; an error reply becomes -1 */
int rconn_call(struct rconn *c, redisReply **reply, jv *err, const char *arg0, ...)
	__attribute__((sentinel));
/* error object for an error reply */
jv rconn_reply_error(struct rconn *c, const redisReply *r);
/* a reply as JSON: strings, numbers (big ones as strings), null, arrays; error replies
 * as {"error": text} */
jv rconn_reply_jv(const redisReply *r);

/* ---- shared by the action files (redis.c holds the descriptor table) ---- */
/* the connection name in argument ARG, "default" when absent (*hold keeps it alive) */
const char *redis_conn_name(struct action_call *call, jv args, const char *arg, jv *hold);
/* a one-command action: open, run CMD, hand back the reply */
int redis_simple(struct action_call *call, jv args, jv *out, const char *cmd, redisReply **rep);
/* text of an argv item or template value (malloc'd) */
char *redis_text(jv v);
/* INFO [section] parsed into {section: {field: value}} */
int redis_info_get(struct rconn *c, const char *section, jv *info, jv *err);
/* keys matching PATTERN (and TYPE) by SCAN; DBSIZE for "*" without a type */
int redis_scan_count(struct rconn *c, const char *pattern, const char *type, int64_t hint,
		     double *count, int *trips, jv *err);

/* actions: redis_inspect.c */
int redis_ping_run(struct action_call *call, jv args, jv *out);
int redis_wait_ready_run(struct action_call *call, jv args, jv *out);
int redis_dbsize_run(struct action_call *call, jv args, jv *out);
int redis_info_run(struct action_call *call, jv args, jv *out);
int redis_count_run(struct action_call *call, jv args, jv *out);
int redis_sample_run(struct action_call *call, jv args, jv *out);
int redis_compare_run(struct action_call *call, jv args, jv *out);
/* redis_command.c */
int redis_command_run(struct action_call *call, jv args, jv *out);
int redis_command_mutates(jv args);
int redis_command_dry(struct action_call *call, jv args, jv *out);
int redis_bgsave_run(struct action_call *call, jv args, jv *out);
int redis_bgsave_dry(struct action_call *call, jv args, jv *out);
/* redis_warm.c */
int redis_warm_run(struct action_call *call, jv args, jv *out);
int redis_warm_dry(struct action_call *call, jv args, jv *out);
#endif
