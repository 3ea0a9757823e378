/* redis_command.c — redis.command (any argv, dry-run aware) and redis.bgsave (BGSAVE,
 * then wait for the snapshot). */
#include <stdlib.h>
#include <string.h>
#include "redis_priv.h"
#include "../../core/actarg.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"

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

int redis_command_mutates(jv args)
{
	jv ro = jvx_get(args, "read_only");
	int mut = jv_get_kind(ro) != JV_KIND_TRUE;
	jv_free(ro);
	return mut;
}

int redis_command_run(struct action_call *call, jv args, jv *out)
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
int redis_command_dry(struct action_call *call, jv args, jv *out)
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

int redis_bgsave_run(struct action_call *call, jv args, jv *out)
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

int redis_bgsave_dry(struct action_call *call, jv args, jv *out)
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
