/* pg.h — internal to modules/pg: pieces pg.c assembles into pg_module (owner: pg/redis helper) */
#ifndef RB_MODULES_PG_H
#define RB_MODULES_PG_H
#include <jv.h>
#include "../../core/action.h"

extern const struct module_desc pg_module;
int pg_copy_table_run(struct action_call *call, jv args, jv *out);
int pg_copy_table_dry(struct action_call *call, jv args, jv *out);
#endif
