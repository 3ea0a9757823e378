/* common.c — what the subcommands share: errors, state dir, search path, loading. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "cli.h"
#include "../core/bug.h"
#include "../lang/yaml.h"
#include "../modules/registry.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("runbook: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const char *cmd)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (!strcmp(c->name, cmd)) {
			fprintf(stderr, "usage: %s\n", c->usage);
			return 2;
		}
	fprintf(stderr, "usage: runbook COMMAND [ARGS]\n");
	return 2;
}

int cli_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return 0;
	return isatty(fileno(f));
}

const char *cli_state_dir(const char *opt)
{
	const char *env = getenv("RUNBOOK_STATE_DIR");
	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return ".runbook";
}

const char **cli_search_path(void)
{
	static const char *path[64];
	static char *copy;
	int n = 0;
	if (path[0])
		return path;
	const char *env = getenv("RUNBOOK_PATH");
	if (env && *env) {
		copy = xstrdup(env);
		for (char *save = NULL, *p = strtok_r(copy, ":", &save); p && n < 60;
		     p = strtok_r(NULL, ":", &save))
			path[n++] = p;
	}
	/* the source tree (uninstalled use) and the installed data folder hold stdlib/ */
	path[n++] = RUNBOOK_SRCDIR;
	path[n++] = RUNBOOK_DATADIR;
	path[n] = NULL;
	return path;
}

int cli_load(const char *path, struct cli_loaded *out, struct diag_list *dl)
{
	memset(out, 0, sizeof(*out));
	loader_init(&out->loader, cli_search_path());
	if (registry_init() < 0) {
		diag_error(dl, NULL, "cannot initialise the action modules");
		return -1;
	}
	out->rb = runbook_load(&out->loader, path, dl);
	if (!out->rb)
		return -1;
	out->have_plan = plan_build(&out->plan, out->rb, &out->loader, dl) == 0 || out->plan.nodes;
	/* binding errors (unknown functions, variables) only once the syntax is clean,
	 * so one mistake is reported once */
	if (dl->nerrors == 0)
		exprset_compile(out->loader.exprs, dl);
	return dl->nerrors ? -1 : 0;
}

void cli_unload(struct cli_loaded *l)
{
	if (l->have_plan || l->plan.nodes)
		plan_release(&l->plan);
	if (l->rb)
		runbook_free(l->rb);
	loader_release(&l->loader);
	memset(l, 0, sizeof(*l));
}

void cli_print_diags(struct diag_list *dl)
{
	diag_sort(dl);
	diag_print(dl, stderr, cli_color(stderr));
}

int cli_param_add(jv *raw, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		cli_error("-p wants KEY=VALUE, got '%s'", kv);
		return -1;
	}
	if (jv_get_kind(*raw) != JV_KIND_OBJECT) {
		jv_free(*raw);
		*raw = jv_object();
	}
	*raw = jv_object_set(*raw, jv_string_sized(kv, (int)(eq - kv)), jv_string(eq + 1));
	return 0;
}

/* A params file holds values, secrets among them: its diagnostics name the place
 * (line, column) but never quote its lines; a file that is not a map of params
 * (--params-file /etc/shadow) is named only. */
int cli_params_file(jv *raw, const char *path, struct diag_list *dl)
{
	struct source_list sl = { 0 };
	struct ydoc doc = { 0 };
	struct diag_list pdl = { 0 };
	int rc = -1;
	const struct source *src = source_load(&sl, path, dl);
	if (!src)
		goto out;
	struct srcloc file = { src, 0, 0 }, bad;
	const char *why;
	if (ydoc_check_text(src, &bad, &why) < 0) {
		diag_error(dl, &file, "not a params file: it %s", !strcmp(why, "is not UTF-8 text") ?
			   "is not UTF-8 text" : "holds binary data (a NUL byte)");
		goto out;
	}
	if (ydoc_parse(&doc, src, &pdl) < 0) {
		for (int i = 0; i < pdl.n; i++) {
			const struct diag *d = &pdl.items[i];
			if (d->loc.line > 0)
				diag_add(dl, d->level, &file, "%s (line %d, column %d)", d->msg, d->loc.line,
					 d->loc.col);
			else
				diag_add(dl, d->level, &file, "%s", d->msg);
		}
		goto out;
	}
	if (!doc.root || doc.root->kind != Y_MAP) {
		diag_error(dl, &file, "not a params file: it must be a map of names to values, not %s",
			   !doc.root ? "empty" : doc.root->kind == Y_SEQ ? "a list" : "a single value");
		goto out;
	}
	if (jv_get_kind(*raw) != JV_KIND_OBJECT) {
		jv_free(*raw);
		*raw = jv_object();
	}
	/* -p given on the command line wins over the file */
	jv vals = ynode_to_jv(doc.root);
	*raw = jv_object_merge(vals, *raw);
	rc = 0;
out:
	diag_list_release(&pdl);
	ydoc_free(&doc);
	if (rc < 0) {
		/* diagnostics point into sl: print them before the source goes away */
		cli_print_diags(dl);
		diag_list_release(dl);
	}
	source_list_release(&sl);
	return rc;
}
