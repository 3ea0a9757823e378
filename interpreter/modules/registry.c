/* registry.c — the table of modules, and lookups of actions by name.
 *
 * Action names are unique across modules (checked when the index is built: a clash is
 * a BUG). Lookups go through a sorted index built once, so validating a 100,000-step
 * runbook costs a binary search per step.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "registry.h"
#include "../core/bug.h"
#include "../core/diag.h"

extern const struct module_desc core_module;
extern const struct module_desc aws_module;
extern const struct module_desc pg_module;
extern const struct module_desc redis_module;
extern const struct module_desc k8s_module;
/* other modules declare theirs here, next to their line in the table below */

/*
 * THE MODULE TABLE. One line per module; runbook actions and runbook-actions(7) list
 * them in this order. To add a module: declare `extern const struct module_desc
 * X_module;` above and add `&X_module,` here (aws, pg, redis, k8s).
 */
static const struct module_desc *const registry_modules[] = {
	&core_module,
	&aws_module,
	&pg_module,
	&redis_module,
	&k8s_module,
	NULL
};

struct registry_entry {
	const char *name;
	const struct action_desc *desc;
};

static struct registry_entry *registry_index;   /* sorted by name */
static const char **registry_names;             /* same order, for diag_suggest */
static int registry_count;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;
static int registry_inited;                     /* modules whose init() succeeded */

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct registry_entry *)a)->name,
		      ((const struct registry_entry *)b)->name);
}

static void registry_build(void)
{
	int alloc = 0, i;
	const struct module_desc *const *m;
	const struct action_desc *d;

	for (m = registry_modules; *m; m++) {
		for (d = (*m)->actions; d && d->name; d++) {
			ALLOC_GROW(registry_index, registry_count + 1, alloc);
			registry_index[registry_count].name = d->name;
			registry_index[registry_count].desc = d;
			registry_count++;
		}
	}
	if (registry_count)
		qsort(registry_index, (size_t)registry_count, sizeof(*registry_index), entry_cmp);
	registry_names = xcalloc((size_t)registry_count + 1, sizeof(char *));
	for (i = 0; i < registry_count; i++) {
		if (i && !strcmp(registry_index[i - 1].name, registry_index[i].name))
			BUG("two modules declare the same action name");
		registry_names[i] = registry_index[i].name;
	}
}

static void registry_ensure(void)
{
	pthread_once(&registry_once, registry_build);
}

int registry_init(void)
{
	int n;

	registry_ensure();
	for (n = registry_inited; registry_modules[n]; n++) {
		if (registry_modules[n]->init && registry_modules[n]->init() < 0) {
			registry_cleanup();
			return -1;
		}
		registry_inited = n + 1;
	}
	return 0;
}

void registry_cleanup(void)
{
	while (registry_inited > 0) {
		const struct module_desc *m = registry_modules[--registry_inited];
		if (m->cleanup)
			m->cleanup();
	}
}

const struct action_desc *registry_find(const char *name)
{
	struct registry_entry key = { name, NULL }, *e;

	if (!name)
		return NULL;
	registry_ensure();
	if (!registry_count)
		return NULL;
	e = bsearch(&key, registry_index, (size_t)registry_count, sizeof(*registry_index), entry_cmp);
	return e ? e->desc : NULL;
}

const struct module_desc *registry_module(const char *name)
{
	int i;

	for (i = 0; name && registry_modules[i]; i++)
		if (!strcmp(registry_modules[i]->name, name))
			return registry_modules[i];
	return NULL;
}

const char *registry_suggest(const char *name)
{
	if (!name)
		return NULL;
	registry_ensure();
	return diag_suggest(name, registry_names, registry_count);
}

const struct module_desc *registry_module_at(int i)
{
	int n = 0;

	while (registry_modules[n])
		n++;
	return i >= 0 && i < n ? registry_modules[i] : NULL;
}

const struct module_desc *registry_module_of(const struct action_desc *d)
{
	const struct module_desc *const *m;

	for (m = registry_modules; d && *m; m++)
		if ((*m)->actions && d >= (*m)->actions) {
			const struct action_desc *a;
			for (a = (*m)->actions; a->name; a++)
				if (a == d)
					return *m;
		}
	return NULL;
}
