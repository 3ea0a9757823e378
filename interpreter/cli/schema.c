/* schema.c — `runbook schema [runbook|scenario]`: the JSON Schema (draft 2020-12) of a
 * runbook, generated from the language's key tables (lang/keys.h) and the action
 * descriptors (modules/registry.h), or of a scenario, from the scenario's rule tables
 * (sim/scenario_schema.h); for yaml-language-server and other editors. Hidden:
 * `runbook schema events [--format json|man]`, the journal's event table (core/events.h)
 * as a JSON Schema or as man/runbook-events.5. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "../core/bug.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../lang/keys.h"
#include "../modules/registry.h"
#include "../sim/scenario_schema.h"

static const char help[] =
	"Print the JSON Schema (draft 2020-12) of a runbook (the default) or of a simulator\n"
	"scenario, generated from the language's key tables and the action descriptors (or\n"
	"the scenario's rules). Editors use it, e.g. with yaml-language-server:\n"
	"    # yaml-language-server: $schema=runbook.schema.json\n";

const struct cli_opt cli_schema_opts[] = {
	{ "format", 0, "FORMAT", "json|man", 'f', NULL },   /* hidden: schema events --format man */
	CLI_OPT_END,
};

#define REF(d) "{\"$ref\":\"#/$defs/" d "\"}"
#define SCALAR REF("scalar")
#define DURATION REF("duration")
/* a step of steps: or finally: (a rollback step's id is generated) */
#define STEP_WITH_ID "{\"allOf\":[" REF("step") ",{\"required\":[\"id\"]}]}"

/* a fixed part of the schema, as JSON text */
static jv J(const char *text)
{
	jv v = jv_parse(text);
	BUG_ON(!jv_is_valid(v));
	return v;
}

/* each key of the language's tables: its value's schema. A key the loader learns without
 * a line here makes `runbook schema runbook` fail (tests/schema). */
static const struct key_schema {
	const struct key_desc *const *table;
	const char *key, *schema;
} key_schemas[] = {
	{ &lang_top_keys, "runbook", SCALAR },
	{ &lang_top_keys, "description", SCALAR },
	{ &lang_top_keys, "objectives", REF("objectives") },
	{ &lang_top_keys, "timeout", DURATION },
	{ &lang_top_keys, "params", "{\"type\":\"object\",\"additionalProperties\":" REF("param") "}" },
	{ &lang_top_keys, "connections", REF("connections") },
	{ &lang_top_keys, "steps", "{\"type\":\"array\",\"minItems\":1,\"items\":" STEP_WITH_ID "}" },
	{ &lang_top_keys, "outputs", REF("outputs") },
	{ &lang_top_keys, "finally", "{\"type\":\"array\",\"items\":" STEP_WITH_ID "}" },
	{ &lang_top_keys, "rollback_keeps", "{\"type\":\"array\",\"items\":" SCALAR "}" },
	{ &lang_top_keys, "lock", "{\"type\":\"string\",\"minLength\":1}" },

	{ &lang_step_keys, "id", SCALAR },
	{ &lang_step_keys, "name", SCALAR },
	{ &lang_step_keys, "action", REF("action") },
	{ &lang_step_keys, "with", "{\"type\":\"object\"}" },
	{ &lang_step_keys, "wait", REF("wait") },
	{ &lang_step_keys, "confirm", "{\"anyOf\":[" SCALAR "," REF("confirm") "]}" },
	{ &lang_step_keys, "assert", "{\"anyOf\":[" SCALAR "," REF("assertion") ",{\"type\":\"array\","
	  "\"minItems\":1,\"items\":{\"anyOf\":[" SCALAR "," REF("assertion") "]}}]}" },
	{ &lang_step_keys, "uses", SCALAR },
	{ &lang_step_keys, "needs", "{\"anyOf\":[" SCALAR ",{\"type\":\"array\",\"items\":" SCALAR "}]}" },
	{ &lang_step_keys, "when", SCALAR },
	{ &lang_step_keys, "for_each", "{\"type\":[\"string\",\"array\"]}" },
	{ &lang_step_keys, "concurrency", "{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000000}" },
	{ &lang_step_keys, "retry", "{\"anyOf\":[{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000},"
	  REF("retry") "]}" },
	{ &lang_step_keys, "timeout", DURATION },
	{ &lang_step_keys, "outputs", REF("outputs") },
	{ &lang_step_keys, "rollback", "{\"anyOf\":[" REF("step") ",{\"type\":\"array\",\"items\":"
	  REF("step") "}]}" },
	{ &lang_step_keys, "critical", "{\"type\":\"boolean\"}" },

	{ &lang_wait_keys, "action", REF("action") },
	{ &lang_wait_keys, "with", "{\"type\":\"object\"}" },
	{ &lang_wait_keys, "until", SCALAR },
	{ &lang_wait_keys, "fail_if", SCALAR },
	{ &lang_wait_keys, "timeout", DURATION },
	{ &lang_wait_keys, "interval", DURATION },
	{ &lang_wait_keys, "max_interval", DURATION },
	{ &lang_wait_keys, "expect", DURATION },

	{ &lang_confirm_keys, "prompt", SCALAR },
	{ &lang_confirm_keys, "phrase", SCALAR },

	{ &lang_assert_keys, "that", SCALAR },
	{ &lang_assert_keys, "message", SCALAR },

	{ &lang_retry_keys, "attempts", "{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000}" },
	{ &lang_retry_keys, "delay", DURATION },
	{ &lang_retry_keys, "backoff", "{\"type\":\"number\"}" },
	{ &lang_retry_keys, "max_delay", DURATION },

	{ &lang_param_keys, "type", "{\"enum\":[\"string\",\"int\",\"number\",\"bool\",\"duration\","
	  "\"timestamp\",\"list\",\"map\"]}" },
	{ &lang_param_keys, "required", "{\"type\":\"boolean\"}" },
	{ &lang_param_keys, "default", "true" },
	{ &lang_param_keys, "enum", "{\"type\":\"array\",\"minItems\":1}" },
	{ &lang_param_keys, "pattern", SCALAR },
	{ &lang_param_keys, "secret", "{\"type\":\"boolean\"}" },
	{ &lang_param_keys, "description", SCALAR },

	{ &lang_objective_keys, "rto", DURATION },
	{ &lang_objective_keys, "rpo", DURATION },
	{ &lang_objective_keys, "restored", SCALAR },
	{ &lang_objective_keys, "recovery_point", SCALAR },
	{ &lang_objective_keys, "incident_time", SCALAR },
};

/* {"type":"object","properties":{...},"additionalProperties":false} of a key table;
 * -1 (message printed) for a key without a schema */
static int table_object(const struct key_desc *const *tab, jv *out)
{
	jv props = jv_object();
	const char *k;
	for (int i = 0; (k = lang_key_name(*tab, i)); i++) {
		size_t j = 0;
		while (j < sizeof(key_schemas) / sizeof(*key_schemas) &&
		       (key_schemas[j].table != tab || strcmp(key_schemas[j].key, k)))
			j++;
		if (j == sizeof(key_schemas) / sizeof(*key_schemas)) {
			cli_error("key '%s' of the language has no schema (cli/schema.c)", k);
			jv_free(props);
			return -1;
		}
		props = jv_object_set(props, jv_string(k), J(key_schemas[j].schema));
	}
	*out = jv_object_set(jv_object_set(jv_object_set(jv_object(), jv_string("type"), jv_string("object")),
					   jv_string("properties"), props),
			     jv_string("additionalProperties"), jv_false());
	return 0;
}

/* one value of type t for an action arg a (its choices and range applied), a template
 * string allowed instead */
static jv value_schema(const struct action_arg *a, enum arg_type t)
{
	static const char *const types[] = {
		[ARG_ANY] = NULL, [ARG_STRING] = "\"string\"", [ARG_INT] = "\"integer\"",
		[ARG_NUMBER] = "\"number\"", [ARG_BOOL] = "\"boolean\"", [ARG_DURATION] = "\"string\"",
		[ARG_TIMESTAMP] = "\"string\"", [ARG_LIST] = "\"array\"", [ARG_MAP] = "\"object\"",
		[ARG_STRING_OR_LIST] = "[\"string\",\"array\"]",
		[ARG_SCALAR] = "[\"string\",\"number\",\"boolean\"]",
	};
	if (!types[t])
		return jv_object();
	char text[64];
	snprintf(text, sizeof(text), "{\"type\":%s}", types[t]);
	jv s = t == ARG_DURATION ? J(DURATION) : J(text);
	if (a->choices && (t == ARG_STRING || t == ARG_SCALAR)) {
		jv names = jv_array();
		char *all = xstrdup(a->choices), *save = NULL;
		for (char *w = strtok_r(all, "|", &save); w; w = strtok_r(NULL, "|", &save))
			names = jv_array_append(names, jv_string(w));
		free(all);
		s = jv_object_set(s, jv_string("enum"), names);
	}
	if ((a->flags & ARG_RANGE) && (t == ARG_INT || t == ARG_NUMBER)) {
		s = jv_object_set(s, jv_string("minimum"), jv_number(a->min));
		s = jv_object_set(s, jv_string("maximum"), jv_number(a->max));
	}
	if (t == ARG_LIST || t == ARG_STRING_OR_LIST)
		s = jv_object_set(s, jv_string("items"), value_schema(a, a->item));
	if (t == ARG_MAP) {
		jv v = value_schema(a, a->item);
		if (a->flags & ARG_NULL_ITEMS)
			v = JV_OBJECT(jv_string("anyOf"), JV_ARRAY(v, J("{\"type\":\"null\"}")));
		s = jv_object_set(s, jv_string("additionalProperties"), v);
	}
	return JV_OBJECT(jv_string("anyOf"), JV_ARRAY(s, J(REF("template"))));
}

/* the `with:` of an action (or the settings of a connection): its args */
static jv args_object(const struct action_arg *args)
{
	jv props = jv_object(), req = jv_array();
	for (const struct action_arg *a = args; a && a->name; a++) {
		jv s = value_schema(a, a->type);
		if (a->doc)
			s = jv_object_set(s, jv_string("description"), jv_string(a->doc));
		props = jv_object_set(props, jv_string(a->name), s);
		if ((a->flags & ARG_REQUIRED) && !a->defval && !a->required_when)
			req = jv_array_append(req, jv_string(a->name));
	}
	jv o = JV_OBJECT(jv_string("type"), jv_string("object"), jv_string("properties"), props,
			 jv_string("additionalProperties"), jv_false());
	if (jv_array_length(jv_copy(req)))
		return jv_object_set(o, jv_string("required"), req);
	jv_free(req);
	return o;
}

/* `action: NAME` picks the args of `with:` (a step's or a wait's) */
static jv action_rules(void)
{
	jv all = jv_array();
	const struct module_desc *m;
	for (int i = 0; (m = registry_module_at(i)); i++)
		for (const struct action_desc *d = m->actions; d && d->name; d++) {
			jv with = args_object(d->args);
			int required = jv_object_has(jv_copy(with), jv_string("required"));
			jv then = JV_OBJECT(jv_string("properties"), JV_OBJECT(jv_string("with"), with));
			if (required)
				then = jv_object_set(then, jv_string("required"), JV_ARRAY(jv_string("with")));
			jv cond = JV_OBJECT(jv_string("properties"),
					    JV_OBJECT(jv_string("action"), JV_OBJECT(jv_string("const"), jv_string(d->name))),
					    jv_string("required"), JV_ARRAY(jv_string("action")));
			all = jv_array_append(all, JV_OBJECT(jv_string("if"), cond, jv_string("then"), then));
		}
	return all;
}

static jv action_names(void)
{
	jv names = jv_array();
	const struct module_desc *m;
	for (int i = 0; (m = registry_module_at(i)); i++)
		for (const struct action_desc *d = m->actions; d && d->name; d++)
			names = jv_array_append(names, jv_string(d->name));
	return JV_OBJECT(jv_string("enum"), names);
}

/* connections.MODULE: its settings, or for pg and redis a map of named ones */
static jv connections(void)
{
	jv props = jv_object();
	const struct module_desc *m;
	for (int i = 0; (m = registry_module_at(i)); i++) {
		if (!m->conn_args)
			continue;
		jv o = args_object(m->conn_args);
		if (m->conn_named)
			o = JV_OBJECT(jv_string("type"), jv_string("object"), jv_string("additionalProperties"), o);
		props = jv_object_set(props, jv_string(m->name), o);
	}
	return JV_OBJECT(jv_string("type"), jv_string("object"), jv_string("properties"), props,
			 jv_string("additionalProperties"), jv_false());
}

static int runbook_schema(jv *out)
{
	static const struct { const char *name; const struct key_desc *const *tab; } objects[] = {
		{ "step", &lang_step_keys }, { "wait", &lang_wait_keys }, { "confirm", &lang_confirm_keys },
		{ "assertion", &lang_assert_keys }, { "retry", &lang_retry_keys },
		{ "param", &lang_param_keys }, { "objectives", &lang_objective_keys },
	};
	jv defs = jv_object(), top;
	for (size_t i = 0; i < sizeof(objects) / sizeof(*objects); i++) {
		jv o;
		if (table_object(objects[i].tab, &o) < 0) {
			jv_free(defs);
			return -1;
		}
		defs = jv_object_set(defs, jv_string(objects[i].name), o);
	}
	if (table_object(&lang_top_keys, &top) < 0) {
		jv_free(defs);
		return -1;
	}
	/* `x-...` keys at the top are the user's (anchors, notes) */
	top = jv_object_set(top, jv_string("patternProperties"), J("{\"^x-\":true}"));
	top = jv_object_set(top, jv_string("required"), JV_ARRAY(jv_string("steps")));
	jv rules = action_rules();
	jv step = jv_object_set(jvx_get(defs, "step"), jv_string("allOf"), jv_copy(rules));
	jv wait = jv_object_set(jvx_get(defs, "wait"), jv_string("allOf"), rules);
	defs = jv_object_set(defs, jv_string("step"), step);
	defs = jv_object_set(defs, jv_string("wait"), wait);
	defs = jv_object_set(defs, jv_string("confirm"), jv_object_set(jvx_get(defs, "confirm"),
			     jv_string("required"), JV_ARRAY(jv_string("prompt"))));
	defs = jv_object_set(defs, jv_string("assertion"), jv_object_set(jvx_get(defs, "assertion"),
			     jv_string("required"), JV_ARRAY(jv_string("that"))));
	defs = jv_object_set(defs, jv_string("action"), action_names());
	defs = jv_object_set(defs, jv_string("connections"), connections());
	defs = jv_object_set(defs, jv_string("outputs"),
			     J("{\"type\":\"object\",\"propertyNames\":{\"pattern\":\"^[A-Za-z_][A-Za-z0-9_]*$\"},"
			       "\"additionalProperties\":" SCALAR "}"));
	/* a YAML scalar: the loader reads a string key's value as text whatever it looks like */
	defs = jv_object_set(defs, jv_string("scalar"), J("{\"type\":[\"string\",\"number\",\"boolean\"]}"));
	defs = jv_object_set(defs, jv_string("duration"),
			     J("{\"type\":\"string\",\"description\":\"e.g. 90s, 15m, 1h30m, 250ms\","
			       "\"pattern\":\"^(?=[0-9])([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$\"}"));
	defs = jv_object_set(defs, jv_string("template"),
			     J("{\"type\":\"string\",\"description\":\"a value computed at run time\","
			       "\"pattern\":\"\\\\$\\\\{\\\\{\"}"));
	jv s = JV_OBJECT(jv_string("$schema"), jv_string("https://json-schema.org/draft/2020-12/schema"),
			 jv_string("$id"), jv_string("https://runbook.dev/schema/runbook.json"),
			 jv_string("title"), jv_string("runbook"),
			 jv_string("description"), jv_string("a runbook: see runbook(5)"));
	jv_object_foreach(top, k, v)
		s = jv_object_set(s, k, v);
	jv_free(top);
	*out = jv_object_set(s, jv_string("$defs"), defs);
	return 0;
}

static int events(const char *format)
{
	if (!strcmp(format, "json")) {
		char *s = jvx_dump(ev_schema());
		puts(s);
		free(s);
	} else if (!strcmp(format, "man")) {
		char *s = ev_man();
		if (!s) {
			cli_error("the man page is too large");
			return 1;
		}
		fputs(s, stdout);
		free(s);
	} else {
		cli_error("unknown format '%s' (json or man)", format);
		return 2;
	}
	return 0;
}

int cmd_schema(int argc, char **argv)
{
	const char *what = NULL, *format = "json";
	for (int i = 1; i < argc; i++) {
		const char *val;
		switch (cli_opt_match(cli_schema_opts, argc, argv, &i, &val)) {
		case 'h':
			cli_help(stdout, help, cli_schema_opts, "");
			return 0;
		case 'f':
			format = val;
			continue;
		case 0:
			if (argv[i][0] != '-' && !what) {
				what = argv[i];
				continue;
			}
			break;
		}
		cli_error("unknown argument '%s'", argv[i]);
		return cli_usage("schema");
	}
	if (what && !strcmp(what, "events"))
		return events(format);
	if (strcmp(format, "json")) {
		cli_error("unknown format '%s' (json)", format);
		return 2;
	}
	jv s;
	if (!what || !strcmp(what, "runbook")) {
		if (runbook_schema(&s) < 0)
			return 1;
	} else if (!strcmp(what, "scenario")) {
		s = sim_scenario_schema();
	} else {
		cli_error("unknown schema '%s' (runbook or scenario)", what);
		return 2;
	}
	char *text = jvx_dump(s);
	puts(text);
	free(text);
	return 0;
}
