/* dbdrv.c — test driver for the pg and redis modules: calls one action's run() (or
 * dry_run()) with a real struct action_call (real clock, real redactor), as the engine
 * would on a worker thread, and prints {"ok": bool, "result"|"error": ...} redacted.
 *
 *   dbdrv [--dry-run] [--connections JSON] [--deadline-ms N] [--cancel-after-ms N]
 *         [--secret S]... [--raw] ACTION ARGS-JSON
 *
 * Like the validator, it rejects unknown args and wrong types, and fills defaults.
 * Exit: 0 the action succeeded, 1 it failed, 2 usage or validation.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/action.h"
#include "core/clock.h"
#include "core/jvx.h"
#include "core/redact.h"
#include "modules/registry.h"

extern const struct module_desc pg_module, redis_module;
static const struct module_desc *const drv_modules[] = { &pg_module, &redis_module, NULL };

static volatile int drv_cancel;
static int drv_cancel_after = -1;

static void *drv_canceller(void *arg)
{
	(void)arg;
	struct timespec ts = { drv_cancel_after / 1000, (long)(drv_cancel_after % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	drv_cancel = 1;
	return NULL;
}

static void drv_log(struct action_call *call, enum log_level lvl, const char *msg)
{
	char *m = redact_str(call->redact, msg);
	fprintf(stderr, "dbdrv: log[%d]: %s\n", (int)lvl, m);
	free(m);
}

static const struct action_desc *drv_find(const char *name)
{
	for (int m = 0; drv_modules[m]; m++)
		for (const struct action_desc *d = drv_modules[m]->actions; d->name; d++)
			if (!strcmp(d->name, name))
				return d;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *conns = "{}";
	int dry = 0, raw = 0, i, rc;
	long deadline_ms = 0;
	struct redactor *red = redact_new();
	struct action_call call;
	const struct action_desc *d;
	jv args, out = jv_invalid(), doc;
	pthread_t th;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry = 1;
		else if (!strcmp(argv[i], "--raw"))
			raw = 1;
		else if (!strcmp(argv[i], "--connections") && i + 1 < argc)
			conns = argv[++i];
		else if (!strcmp(argv[i], "--deadline-ms") && i + 1 < argc)
			deadline_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--cancel-after-ms") && i + 1 < argc)
			drv_cancel_after = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--secret") && i + 1 < argc)
			redact_add(red, argv[++i]);
		else {
			fprintf(stderr, "dbdrv: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: dbdrv [options] ACTION ARGS-JSON\n");
		return 2;
	}
	d = drv_find(argv[i]);
	if (!d) {
		fprintf(stderr, "dbdrv: unknown action '%s'\n", argv[i]);
		return 2;
	}
	args = jv_parse(argv[i + 1]);
	if (jv_get_kind(args) != JV_KIND_OBJECT) {
		fprintf(stderr, "dbdrv: args must be a JSON object\n");
		return 2;
	}
	/* what the validator and engine do before run(): names, types, required, defaults */
	jv_object_foreach(args, k, v) {
		const struct action_arg *a = action_find_arg(d, jv_string_value(k));
		if (!a) {
			fprintf(stderr, "dbdrv: %s has no arg '%s'\n", d->name, jv_string_value(k));
			return 2;
		}
		if (arg_type_check(a->type, v) != 0) {
			fprintf(stderr, "dbdrv: arg '%s' must be %s\n", a->name, arg_type_name(a->type));
			return 2;
		}
		if (a->flags & ARG_SECRET && jv_get_kind(v) == JV_KIND_STRING)
			redact_add(red, jv_string_value(v));
		jv_free(k);
		jv_free(v);
	}
	for (const struct action_arg *a = d->args; a->name; a++) {
		if (jvx_has(args, a->name))
			continue;
		if (a->flags & ARG_REQUIRED) {
			fprintf(stderr, "dbdrv: %s needs arg '%s'\n", d->name, a->name);
			return 2;
		}
		if (a->defval)
			args = jv_object_set(args, jv_string(a->name), jv_parse(a->defval));
	}
	for (int m = 0; drv_modules[m]; m++)
		if (drv_modules[m]->init && drv_modules[m]->init() < 0)
			return 2;

	memset(&call, 0, sizeof(call));
	call.desc = d;
	call.step_id = "test";
	call.connections = jv_parse(conns);
	call.clock = clock_new(CLOCK_REAL, 0, 0);
	call.redact = red;
	call.flags = dry ? CALL_DRY_RUN : 0;
	call.deadline = deadline_ms > 0 ? clock_now(call.clock) + deadline_ms : 0;
	call.cancel = &drv_cancel;
	call.log = drv_log;
	if (drv_cancel_after >= 0)
		pthread_create(&th, NULL, drv_canceller, NULL);
	if (dry && action_is_mutating(d, args)) {
		if (d->dry_run) {
			rc = d->dry_run(&call, args, &out);
		} else {
			out = jv_object_set(jv_object(), jv_string("dry_run"), jv_true());
			out = jv_object_set(out, jv_string("would_run"), args);
			rc = 0;
		}
	} else {
		rc = d->run(&call, args, &out);
	}
	doc = jv_object_set(jv_object(), jv_string("ok"), jv_bool(rc == 0));
	doc = jv_object_set(doc, jv_string(rc == 0 ? "result" : "error"), out);
	doc = jv_object_set(doc, jv_string("redactions"), jv_number(redact_count(red)));
	if (!raw)
		doc = redact_jv(red, doc);
	{
		char *s = jvx_dump(doc);
		printf("%s\n", s);
		free(s);
	}
	if (drv_cancel_after >= 0)
		pthread_join(th, NULL);
	jv_free(call.connections);
	for (int m = 0; drv_modules[m]; m++)
		if (drv_modules[m]->cleanup)
			drv_modules[m]->cleanup();
	clock_free(call.clock);
	redact_free(red);
	return rc == 0 ? 0 : 1;
}
