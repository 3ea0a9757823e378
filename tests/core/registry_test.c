/* registry_test.c — every module's descriptors are well formed (this checks the other
 * modules' tables as they are added), and lookups work. */
#include "coretest.h"

int main(void)
{
	const struct module_desc *m;
	int nmod = 0, nact = 0;

	for (int i = 0; (m = registry_module_at(i)); i++, nmod++) {
		CHECK(m->name && m->summary && m->actions);
		CHECK(registry_module(m->name) == m);
		for (const struct action_desc *d = m->actions; d && d->name; d++, nact++) {
			CHECK(registry_find(d->name) == d);
			CHECK(registry_module_of(d) == m);
			CHECK(d->summary && *d->summary && d->result_doc && d->run);
			CHECK(d->typical_ms >= 0);
			for (const struct action_arg *a = d->args; a && a->name; a++) {
				CHECK(action_find_arg(d, a->name) == a);
				if (!a->doc || !*a->doc)
					fprintf(stderr, "%s.%s: no doc\n", d->name, a->name);
				CHECK(a->doc && *a->doc);
				if (a->defval) {
					jv v = jv_parse(a->defval);
					if (!jv_is_valid(v) || arg_type_check(a->type, v) < 0)
						fprintf(stderr, "%s.%s: default %s is not a valid %s\n", d->name,
							a->name, a->defval, arg_type_name(a->type));
					CHECK(jv_is_valid(v) && arg_type_check(a->type, v) == 0);
					jv_free(v);
					CHECK(!(a->flags & ARG_REQUIRED));
				}
				for (const struct action_arg *b = a + 1; b->name; b++)
					CHECK(strcmp(a->name, b->name) != 0);
			}
		}
	}
	CHECK(nmod >= 1 && nact >= 4);
	CHECK_STR(registry_module_at(0)->name, "core");
	CHECK(registry_module_at(nmod) == NULL && registry_module_at(-1) == NULL);
	CHECK(registry_find("exec") && registry_find("http.request") && registry_find("sleep") &&
	      registry_find("log"));
	CHECK(registry_find("nope") == NULL && registry_find("") == NULL && registry_find(NULL) == NULL);
	CHECK_STR(registry_suggest("exce"), "exec");
	CHECK_STR(registry_suggest("http.requst"), "http.request");
	CHECK(registry_suggest("zzzzzzzzzzzz") == NULL);
	CHECK(registry_module("nope") == NULL);
	CHECK(registry_init() == 0);
	CHECK(registry_init() == 0);   /* twice is harmless */
	registry_cleanup();
	printf("%d modules, %d actions\n", nmod, nact);
	return check_done("registry");
}
