/* scenario_schema.h — the JSON Schema (draft 2020-12) of a simulator scenario, generated
 * from the rule tables its validator checks (scenario_rules.h): `runbook schema scenario`. */
#ifndef RB_SIM_SCENARIO_SCHEMA_H
#define RB_SIM_SCENARIO_SCHEMA_H
#include <jv.h>

jv sim_scenario_schema(void);
#endif
