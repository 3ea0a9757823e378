/* log.c — the log action: one message at a level, through action_log (the engine's
 * sinks redact it and write it to the terminal and the journal). */
#include <string.h>
#include <stdlib.h>
#include "core.h"
#include "../../core/jvx.h"

const struct action_arg core_log_args[] = {
	{ "message", ARG_ANY, ARG_REQUIRED, NULL, "what to log (text; other values are shown as JSON)" },
	{ "level", ARG_STRING, 0, "\"info\"", "info, warn or error", .choices = "info|warn|error" },
	{ NULL, 0, 0, NULL, NULL },
};

/* level names as written in runbooks */
static const struct { const char *name; enum log_level lvl; } log_levels[] = {
	{ "info", LOG_INFO }, { "warn", LOG_WARN }, { "error", LOG_ERROR },
};

int core_log_run(struct action_call *call, jv args, jv *out)
{
	jv msg = actarg_get(call, args, "message");
	jv level = actarg_get(call, args, "level");
	const char *lname = jv_is_valid(level) && jv_get_kind(level) == JV_KIND_STRING ?
		jv_string_value(level) : "info";
	char *text = NULL;
	size_t i;
	int ret = -1;

	for (i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (!strcmp(log_levels[i].name, lname))
			break;
	if (i == sizeof(log_levels) / sizeof(log_levels[0])) {
		*out = jvx_error("BadArgs", "log: unknown level '%s' (use info, warn or error)", lname);
		goto out;
	}
	if (!jv_is_valid(msg)) {
		*out = jvx_error("BadArgs", "log: 'message' is required");
		goto out;
	}
	text = jvx_text(jv_copy(msg));
	action_log(call, log_levels[i].lvl, "%s", text);
	*out = jv_object_set(jv_object_set(jv_object(), jv_string("level"), jv_string(lname)),
			     jv_string("message"), jv_string(text));
	ret = 0;
out:
	free(text);
	jv_free(msg);
	jv_free(level);
	jv_free(args);
	return ret;
}
