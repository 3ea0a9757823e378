/* scenario_schema.c — a scenario's rule tables (scenario_rules.h) as a JSON Schema.
 * What the tables cannot say (a name's syntax, a check across keys, a list item checked
 * by a function) the schema leaves open: the validator says it at load. */
#include <string.h>
#include "scenario_schema.h"
#include "scenario_rules.h"

static jv kind_schema(const struct kind *k);

static jv typed(const char *type)
{
	return JV_OBJECT(jv_string("type"), jv_string(type));
}

static jv rule_schema(const struct rule *r)
{
	jv s;
	switch (r->type) {
	case RT_STR:
		s = typed("string");
		break;
	case RT_INT:
	case RT_NUM:
		s = JV_OBJECT(jv_string("type"), jv_string(r->type == RT_INT ? "integer" : "number"),
			      jv_string("minimum"), jv_number(r->min), jv_string("maximum"), jv_number(r->max));
		break;
	case RT_BOOL:
		s = typed("boolean");
		break;
	case RT_DUR:
		s = JV_OBJECT(jv_string("type"), jv_string("string"),
			      jv_string("description"), jv_string("a duration, e.g. 90s, 15m, 1h30m"));
		break;
	case RT_TIME:
		s = JV_OBJECT(jv_string("type"), jv_string("string"),
			      jv_string("description"), jv_string("RFC 3339, \"now\", or \"-2h\" from the start"));
		break;
	case RT_ENUM: {
		jv vals = jv_array();
		for (int i = 0; r->values[i]; i++)
			vals = jv_array_append(vals, jv_string(r->values[i]));
		s = JV_OBJECT(jv_string("enum"), vals);
		break;
	}
	case RT_STRS:
		s = JV_OBJECT(jv_string("anyOf"), JV_ARRAY(typed("string"),
			      JV_OBJECT(jv_string("type"), jv_string("array"), jv_string("items"), typed("string"))));
		break;
	case RT_STRMAP:
	case RT_B64MAP:
		s = JV_OBJECT(jv_string("type"), jv_string("object"), jv_string("additionalProperties"),
			      typed("string"));
		break;
	case RT_TAGS:
		s = JV_OBJECT(jv_string("type"), jv_string("object"), jv_string("additionalProperties"),
			      JV_OBJECT(jv_string("type"), JV_ARRAY(jv_string("string"), jv_string("number"),
								    jv_string("boolean"), jv_string("null"))));
		break;
	case RT_MAP:
		s = kind_schema(r->kind);
		break;
	case RT_MAPOF:
		s = JV_OBJECT(jv_string("type"), jv_string("object"), jv_string("additionalProperties"),
			      kind_schema(r->kind));
		break;
	case RT_LIST:
		s = JV_OBJECT(jv_string("type"), jv_string("array"));
		if (r->kind)
			s = jv_object_set(s, jv_string("items"), kind_schema(r->kind));
		break;
	case RT_INTSTR:
		s = JV_OBJECT(jv_string("anyOf"), JV_ARRAY(typed("string"),
			      JV_OBJECT(jv_string("type"), jv_string("integer"), jv_string("minimum"),
					jv_number(r->min), jv_string("maximum"), jv_number(r->max))));
		break;
	case RT_ANY:
	default:
		return jv_true();
	}
	/* null is the key left out */
	return JV_OBJECT(jv_string("anyOf"), JV_ARRAY(s, typed("null")));
}

static jv kind_schema(const struct kind *k)
{
	jv props = jv_object(), req = jv_array();
	for (const struct rule *r = k->rules; r->key; r++) {
		props = jv_object_set(props, jv_string(r->key), rule_schema(r));
		if (r->flags & REQ)
			req = jv_array_append(req, jv_string(r->key));
	}
	jv s = JV_OBJECT(jv_string("type"), jv_string("object"), jv_string("description"), jv_string(k->what),
			 jv_string("properties"), props, jv_string("additionalProperties"), jv_false());
	if (jv_array_length(jv_copy(req)))
		return jv_object_set(s, jv_string("required"), req);
	jv_free(req);
	return s;
}

jv sim_scenario_schema(void)
{
	jv s = kind_schema(sim_rules_scenario);
	s = jv_object_set(s, jv_string("$schema"), jv_string("https://json-schema.org/draft/2020-12/schema"));
	s = jv_object_set(s, jv_string("$id"), jv_string("https://runbook.dev/schema/scenario.json"));
	s = jv_object_set(s, jv_string("title"), jv_string("runbook simulator scenario"));
	return jv_object_set(s, jv_string("description"), jv_string("a scenario: see runbook-scenario(5)"));
}
