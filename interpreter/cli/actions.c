/* actions.c — `runbook actions [NAME] [--format text|json|man]`: the catalogue of
 * actions, printed from the descriptor tables in modules/ (registry.h). The man format
 * is the whole runbook-actions(7) page; man/runbook-actions.7 is its committed output
 * (tests/core checks that it is fresh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "cli.h"
#include "../core/dur.h"
#include "../core/jvx.h"
#include "../modules/registry.h"

enum actions_format { FMT_TEXT, FMT_JSON, FMT_MAN };
static const char *const format_names[] = { "text", "json", "man" };

/* args object with every default filled in: what a call with no `with:` would get */
static jv defaults_of(const struct action_desc *d)
{
	jv args = jv_object();

	for (const struct action_arg *a = d->args; a && a->name; a++)
		if (a->defval)
			args = jv_object_set(args, jv_string(a->name), jv_parse(a->defval));
	return args;
}

/* 1 mutating, 0 read-only, whatever its args; -1 depends on them */
static int mutating_kind(const struct action_desc *d)
{
	if (d->mutates)
		return -1;
	return (d->flags & ACT_MUTATING) ? 1 : 0;
}

static int mutating_by_default(const struct action_desc *d)
{
	jv args = defaults_of(d);
	int m = action_is_mutating(d, args);

	jv_free(args);
	return m;
}

static const char *mutating_label(const struct action_desc *d)
{
	switch (mutating_kind(d)) {
	case 1: return "mutating";
	case 0: return "read-only";
	default: return "depends";
	}
}

static char *typical_text(const struct action_desc *d, char *tmp, size_t size)
{
	if (d->typical_ms <= 0)
		snprintf(tmp, size, "instant or as asked");
	else
		dur_format(d->typical_ms, tmp, size);
	return tmp;
}

static jv arg_json(const struct action_arg *a)
{
	jv o = jv_object();

	o = jv_object_set(o, jv_string("name"), jv_string(a->name));
	o = jv_object_set(o, jv_string("type"), jv_string(arg_type_name(a->type)));
	o = jv_object_set(o, jv_string("required"), jv_bool(a->flags & ARG_REQUIRED));
	o = jv_object_set(o, jv_string("secret"), jv_bool(a->flags & ARG_SECRET));
	if (a->defval)
		o = jv_object_set(o, jv_string("default"), jv_parse(a->defval));
	o = jv_object_set(o, jv_string("doc"), jv_string(a->doc ? a->doc : ""));
	return o;
}

static jv args_json(const struct action_arg *args)
{
	jv list = jv_array();

	for (const struct action_arg *a = args; a && a->name; a++)
		list = jv_array_append(list, arg_json(a));
	return list;
}

/* [{name, type, doc, fields?}] of a result table (nested tables one level per object) */
static jv results_json(const struct action_result *r, int depth)
{
	jv list = jv_array();

	for (; r && r->name; r++) {
		jv o = jv_object();
		o = jv_object_set(o, jv_string("name"), jv_string(r->name));
		o = jv_object_set(o, jv_string("type"), jv_string(arg_type_name(r->type)));
		if (r->doc)
			o = jv_object_set(o, jv_string("doc"), jv_string(r->doc));
		if (r->fields && depth < 4)
			o = jv_object_set(o, jv_string("fields"), results_json(r->fields, depth + 1));
		list = jv_array_append(list, o);
	}
	return list;
}

static jv action_json(const struct module_desc *m, const struct action_desc *d)
{
	jv o = jv_object();
	int kind = mutating_kind(d);
	char tmp[32];

	o = jv_object_set(o, jv_string("name"), jv_string(d->name));
	o = jv_object_set(o, jv_string("module"), jv_string(m ? m->name : ""));
	o = jv_object_set(o, jv_string("summary"), jv_string(d->summary ? d->summary : ""));
	o = jv_object_set(o, jv_string("mutating"), kind < 0 ? jv_string("depends") : jv_bool(kind));
	o = jv_object_set(o, jv_string("mutating_by_default"), jv_bool(mutating_by_default(d)));
	o = jv_object_set(o, jv_string("idempotent"), jv_bool(d->flags & ACT_IDEMPOTENT));
	o = jv_object_set(o, jv_string("checkable"), jv_bool(d->flags & ACT_CHECKABLE));
	o = jv_object_set(o, jv_string("secret_result"), jv_bool(d->flags & ACT_SECRET_RESULT));
	o = jv_object_set(o, jv_string("typical_ms"), jv_number((double)d->typical_ms));
	o = jv_object_set(o, jv_string("typical"), jv_string(typical_text(d, tmp, sizeof(tmp))));
	o = jv_object_set(o, jv_string("args"), args_json(d->args));
	o = jv_object_set(o, jv_string("result"), jv_string(d->result_doc ? d->result_doc : ""));
	o = jv_object_set(o, jv_string("result_fields"), results_json(d->results, 0));
	if (d->result_shape) {
		jv names = jv_array();
		for (const struct action_result *r = d->result_shape; r->name; r++)
			names = jv_array_append(names, jv_string(r->name));
		o = jv_object_set(o, jv_string("result_shape"), jv_string(d->result_shape_name ? d->result_shape_name : ""));
		o = jv_object_set(o, jv_string("result_shape_fields"), names);
	}
	return o;
}

static jv module_json(const struct module_desc *m)
{
	jv o = jv_object(), acts = jv_array();

	o = jv_object_set(o, jv_string("name"), jv_string(m->name));
	o = jv_object_set(o, jv_string("summary"), jv_string(m->summary ? m->summary : ""));
	if (m->conn_args) {
		o = jv_object_set(o, jv_string("connection_args"), args_json(m->conn_args));
		o = jv_object_set(o, jv_string("named_connections"), jv_bool(m->conn_named));
	}
	for (const struct action_desc *d = m->actions; d && d->name; d++)
		acts = jv_array_append(acts, action_json(m, d));
	return jv_object_set(o, jv_string("actions"), acts);
}

static void print_json(jv v)
{
	char *text = jvx_dump_pretty(v);

	fputs(text, stdout);
	fputc('\n', stdout);
	free(text);
}

/* ---- text ---- */

static void text_arg(const struct action_arg *a, int width)
{
	char tmp[256] = "";
	size_t n = 0;

	if (a->flags & ARG_REQUIRED)
		n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "required");
	else if (a->defval)
		n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "default %s", a->defval);
	else
		n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "optional");
	if (a->flags & ARG_SECRET && n < sizeof(tmp))
		snprintf(tmp + n, sizeof(tmp) - n, ", secret");
	printf("  %-*s %-9s %-20s %s\n", width, a->name, arg_type_name(a->type), tmp, a->doc ? a->doc : "");
}

static int arg_width(const struct action_arg *args)
{
	int w = 4;

	for (const struct action_arg *a = args; a && a->name; a++)
		if ((int)strlen(a->name) > w)
			w = (int)strlen(a->name);
	return w;
}

static void text_results(const struct action_result *r, int indent)
{
	for (; r && r->name; r++) {
		printf("  %*s%-*s %-9s %s\n", indent, "", 24 - indent, r->name, arg_type_name(r->type),
		       r->doc ? r->doc : "");
		if (r->fields && indent < 4)
			text_results(r->fields, indent + 2);
	}
}

/* the field names of an AWS shape, wrapped */
static void text_shape(const struct action_desc *d)
{
	int col = 2;

	printf("  and every field of the AWS shape %s (botocore):\n ", d->result_shape_name ? d->result_shape_name : "");
	for (const struct action_result *r = d->result_shape; r->name; r++) {
		int w = (int)strlen(r->name) + 1;
		if (col + w > 90) {
			printf("\n ");
			col = 2;
		}
		printf(" %s", r->name);
		col += w;
	}
	printf("\n");
}

static void text_action(const struct module_desc *m, const struct action_desc *d)
{
	char tmp[32];
	int kind = mutating_kind(d);

	printf("%s - %s\n\n", d->name, d->summary);
	printf("  module      %s\n", m ? m->name : "?");
	if (kind < 0)
		printf("  mutating    depends on its arguments (with the defaults: %s)\n",
		       mutating_by_default(d) ? "yes" : "no");
	else
		printf("  mutating    %s\n", kind ? "yes (described, not run, in --dry-run)" : "no (runs in --dry-run)");
	printf("  idempotent  %s\n", d->flags & ACT_IDEMPOTENT ? "yes" : "no");
	if (d->flags & ACT_CHECKABLE)
		printf("  checkable   yes (after a crash its effect is checked, not repeated)\n");
	if (d->flags & ACT_SECRET_RESULT)
		printf("  secret      every string in the result is a secret\n");
	printf("  typical     %s\n", typical_text(d, tmp, sizeof(tmp)));
	printf("  result      %s\n", d->result_doc ? d->result_doc : "");
	printf("\narguments (with:):\n");
	if (!d->args || !d->args->name)
		printf("  none\n");
	for (const struct action_arg *a = d->args; a && a->name; a++)
		text_arg(a, arg_width(d->args));
	printf("\nresult fields (.steps.ID.result.FIELD, checked at validation):\n");
	if (!d->results && !d->result_shape)
		printf("  not declared\n");
	text_results(d->results, 0);
	if (d->result_shape)
		text_shape(d);
}

static void text_module(const struct module_desc *m, int width)
{
	printf("%s: %s\n", m->name, m->summary ? m->summary : "");
	if (m->conn_args) {
		printf("  connections.%s%s:", m->name, m->conn_named ? ".NAME" : "");
		for (const struct action_arg *a = m->conn_args; a->name; a++)
			printf(" %s", a->name);
		printf("\n");
	}
	for (const struct action_desc *d = m->actions; d && d->name; d++)
		printf("  %-*s %-9s  %s\n", width, d->name, mutating_label(d), d->summary ? d->summary : "");
}

/* actions named PREFIX.something ("rds" -> rds.*); 0 if none */
static int has_prefix(const char *d, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(d, prefix, n) && d[n] == '.';
}

static int group_count(const char *prefix)
{
	const struct module_desc *m;
	int n = 0;

	for (int i = 0; (m = registry_module_at(i)); i++)
		for (const struct action_desc *d = m->actions; d && d->name; d++)
			n += has_prefix(d->name, prefix);
	return n;
}

static void group_print(const char *prefix, enum actions_format fmt, int width)
{
	const struct module_desc *m;
	jv list = jv_array();

	for (int i = 0; (m = registry_module_at(i)); i++)
		for (const struct action_desc *d = m->actions; d && d->name; d++) {
			if (!has_prefix(d->name, prefix))
				continue;
			if (fmt == FMT_JSON)
				list = jv_array_append(list, action_json(m, d));
			else
				printf("%-*s %-9s  %s\n", width, d->name, mutating_label(d),
				       d->summary ? d->summary : "");
		}
	if (fmt == FMT_JSON)
		print_json(jv_object_set(jv_object(), jv_string("actions"), list));
	else
		jv_free(list);
}

static int name_width(void)
{
	const struct module_desc *m;
	int w = 8;

	for (int i = 0; (m = registry_module_at(i)); i++)
		for (const struct action_desc *d = m->actions; d && d->name; d++)
			if ((int)strlen(d->name) > w)
				w = (int)strlen(d->name);
	return w;
}

/* ---- man (roff) ---- */

/* text for roff: backslashes escaped, hyphens as \- in names and values (ROFF_HYPHENS),
 * double quotes as \(dq inside a quoted macro argument (ROFF_QUOTED), a leading
 * control character neutralised */
enum { ROFF_HYPHENS = 1 << 0, ROFF_QUOTED = 1 << 1 };
static void roff(FILE *out, const char *s, unsigned how)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-' && (how & ROFF_HYPHENS))
			fputs("\\-", out);
		else if (*s == '"' && (how & ROFF_QUOTED))
			fputs("\\(dq", out);
		else
			fputc(*s, out);
	}
}

static void man_args(FILE *out, const struct action_arg *args)
{
	for (const struct action_arg *a = args; a && a->name; a++) {
		fputs(".TP\n.BR ", out);
		roff(out, a->name, 1);
		fprintf(out, " \" (%s", arg_type_name(a->type));
		if (a->flags & ARG_REQUIRED)
			fputs(", required", out);
		if (a->defval) {
			fputs(", default ", out);
			roff(out, a->defval, ROFF_HYPHENS | ROFF_QUOTED);
		}
		if (a->flags & ARG_SECRET)
			fputs(", secret", out);
		fputs(")\"\n", out);
		roff(out, a->doc ? a->doc : "", 0);
		fputc('\n', out);
	}
}

static void man_results(FILE *out, const struct action_result *r, const char *prefix)
{
	char name[256];

	for (; r && r->name; r++) {
		snprintf(name, sizeof(name), "%s%s", prefix, r->name);
		fputs(".TP\n.BR ", out);
		roff(out, name, 1);
		fprintf(out, " \" (%s)\"\n", arg_type_name(r->type));
		roff(out, r->doc ? r->doc : "", 0);
		fputc('\n', out);
		if (r->fields && r->doc && !*prefix) {
			snprintf(name, sizeof(name), "%s%s%s.", prefix, r->name, r->type == ARG_LIST ? "[]" : "");
			man_results(out, r->fields, name);
		}
	}
}

static void man_page(FILE *out)
{
	const struct module_desc *m;
	char tmp[32];

	fprintf(out, ".\\\" generated by: runbook actions --format man; do not edit\n");
	fprintf(out, ".TH RUNBOOK\\-ACTIONS 7 \"\" \"runbook %s\" \"Runbook Manual\"\n", RUNBOOK_VERSION);
	fputs(".SH NAME\nrunbook\\-actions \\- the actions a runbook step can call\n", out);
	fputs(".SH SYNOPSIS\n.nf\nsteps:\n  \\- id: STEP\n    action: NAME\n"
	      "    with: {ARG: VALUE, ...}\n.fi\n", out);
	fputs(".SH DESCRIPTION\n"
	      "Every action is declared by a descriptor: its arguments (name, type, whether required,\n"
	      "default, whether secret), its result, whether it mutates, whether it is idempotent, and how\n"
	      "long it typically takes.\n"
	      ".B runbook validate\n"
	      "checks every\n"
	      ".B with:\n"
	      "against these descriptors before anything runs;\n"
	      ".B runbook actions\n"
	      "prints them, and this page is generated from the same tables.\n"
	      ".PP\n"
	      "The result fields are what\n.B .steps.ID.result.FIELD\n"
	      "(and\n.B .result.FIELD\n"
	      "in a step's outputs, a wait's until and fail_if, and rollback steps) may read;\n"
	      ".B runbook validate\n"
	      "checks every such path, and nested fields where the result's shape is known (AWS shapes\n"
	      "from botocore). A field documented as free-form (exec's and http.request's json,\n"
	      "aws.call, Kubernetes objects) is not checked below its name.\n"
	      ".PP\n"
	      "A\n.I mutating\n"
	      "action changes the world: under\n.B \\-\\-dry\\-run\n"
	      "it is described with its resolved arguments instead of being run.\n"
	      "A\n.I read\\-only\n"
	      "action runs in a dry run too. Some actions mutate depending on their arguments\n"
	      "(exec with read_only, http.request by method).\n"
	      "An\n.I idempotent\n"
	      "action may be repeated safely after a crash; others are checked or confirmed by the\n"
	      "operator on\n.BR resume .\n"
	      ".PP\n"
	      "Durations are written like 90s, 15m, 1h30m (a bare number is not one). Arguments marked\n"
	      ".I secret\n"
	      "are redacted from all output, journals and reports. An action that fails returns an error\n"
	      "with a code and a message; errors marked transient (throttling, HTTP 429 and 5xx,\n"
	      "connection resets, timeouts) are retried by a step's\n.B retry\npolicy.\n", out);
	for (int i = 0; (m = registry_module_at(i)); i++) {
		fputs(".SH MODULE ", out);
		roff(out, m->name, 1);
		fputc('\n', out);
		roff(out, m->summary ? m->summary : "", 0);
		fputc('\n', out);
		if (m->conn_args) {
			fprintf(out, ".PP\nSettings under\n.B connections.%s%s\n%s\n", m->name,
				m->conn_named ? ".NAME" : "",
				m->conn_named ? "(a map of named connections; actions choose one with their connection argument):" : ":");
			fputs(".RS\n", out);
			man_args(out, m->conn_args);
			fputs(".RE\n", out);
		}
		for (const struct action_desc *d = m->actions; d && d->name; d++) {
			int kind = mutating_kind(d);

			fputs(".SS ", out);
			roff(out, d->name, 1);
			fputc('\n', out);
			roff(out, d->summary ? d->summary : "", 0);
			fputc('\n', out);
			man_args(out, d->args);
			fputs(".PP\n.B Result:\n", out);
			roff(out, d->result_doc ? d->result_doc : "", 0);
			fputs("\n", out);
			if (d->results && d->results->name) {
				fputs(".PP\nResult fields:\n", out);
				man_results(out, d->results, "");
			}
			if (d->result_shape) {
				fputs(".PP\nThe fields of the AWS shape\n.B ", out);
				roff(out, d->result_shape_name ? d->result_shape_name : "", 1);
				fputs("\n(botocore):\n", out);
				for (const struct action_result *r = d->result_shape; r->name; r++) {
					roff(out, r->name, 1);
					fputs(r[1].name ? ",\n" : ".\n", out);
				}
			}
			fputs(".PP\n", out);
			if (kind < 0)
				fprintf(out, ".B Mutating:\ndepends on the arguments (with the defaults: %s).\n",
					mutating_by_default(d) ? "yes" : "no");
			else
				fprintf(out, ".B Mutating:\n%s.\n", kind ? "yes" : "no");
			fprintf(out, ".br\n.B Idempotent:\n%s.\n", d->flags & ACT_IDEMPOTENT ? "yes" : "no");
			if (d->flags & ACT_CHECKABLE)
				fputs(".br\n.B Checkable:\nyes, its effect is checked after a crash.\n", out);
			if (d->flags & ACT_SECRET_RESULT)
				fputs(".br\n.B Secret result:\nevery string in the result is redacted.\n", out);
			fprintf(out, ".br\n.B Typical duration:\n%s.\n", typical_text(d, tmp, sizeof(tmp)));
		}
	}
	fputs(".SH SEE ALSO\n.BR runbook (1),\n.BR runbook (5)\n", out);
}

static const char help[] =
	"Without NAME, lists every action by module (mutating, read-only, or depends on\n"
	"its arguments). NAME is an action (shows its arguments, result, whether it\n"
	"mutates, is idempotent, its typical duration), a module (lists its actions)\n"
	"or a name prefix such as rds (lists rds.*).\n\n";

const struct cli_opt cli_actions_opts[] = {
	{ "format", 0, "text|json|man", NULL, 'F',
	  "text (default), json, or man (all of runbook-actions(7))" },
	CLI_OPT_END,
};

int cmd_actions(int argc, char **argv)
{
	enum actions_format fmt = FMT_TEXT;
	const char *name = NULL, *f;
	const struct action_desc *d = NULL;
	const struct module_desc *m = NULL;
	size_t k;
	jv out;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		switch (cli_opt_match(cli_actions_opts, argc, argv, &i, &f)) {
		case 'h':
			cli_help(stdout, help, cli_actions_opts, "");
			return 0;
		case '?':
			cli_error("--format needs a value: text, json or man");
			return cli_usage("actions");
		case 'F':
			for (k = 0; k < sizeof(format_names) / sizeof(format_names[0]); k++)
				if (!strcmp(f, format_names[k]))
					break;
			if (k == sizeof(format_names) / sizeof(format_names[0])) {
				cli_error("unknown format '%s' (use text, json or man)", f);
				return 2;
			}
			fmt = (enum actions_format)k;
			continue;
		}
		if (a[0] == '-' && a[1]) {
			cli_error("unknown option '%s'", a);
			return cli_usage("actions");
		}
		if (name) {
			cli_error("one NAME at most ('%s' and '%s')", name, a);
			return cli_usage("actions");
		}
		name = a;
	}

	if (name) {
		d = registry_find(name);
		if (!d)
			m = registry_module(name);
		if (!d && !m && fmt != FMT_MAN && group_count(name)) {
			group_print(name, fmt, name_width());
			return fflush(stdout) == 0 ? 0 : 1;
		}
		if (!d && !m) {
			const char *s = registry_suggest(name);

			if (!s) {
				const char *mods[64];
				int n = 0;
				for (const struct module_desc *x; n < 64 && (x = registry_module_at(n)); n++)
					mods[n] = x->name;
				s = diag_suggest(name, mods, n);
			}
			cli_error("unknown action '%s'%s%s%s", name, s ? " (did you mean '" : "", s ? s : "",
				  s ? "'?)" : "");
			fprintf(stderr, "run 'runbook actions' for the list\n");
			return 2;
		}
		if (fmt == FMT_MAN) {
			cli_error("--format man prints the whole page; leave out NAME");
			return 2;
		}
	}

	switch (fmt) {
	case FMT_MAN:
		man_page(stdout);
		break;
	case FMT_JSON:
		if (d)
			out = action_json(registry_module_of(d), d);
		else if (m)
			out = module_json(m);
		else {
			jv mods = jv_array();
			for (int i = 0; (m = registry_module_at(i)); i++)
				mods = jv_array_append(mods, module_json(m));
			out = jv_object_set(jv_object(), jv_string("modules"), mods);
		}
		print_json(out);
		break;
	case FMT_TEXT:
		if (d)
			text_action(registry_module_of(d), d);
		else if (m)
			text_module(m, name_width());
		else {
			for (int i = 0; (m = registry_module_at(i)); i++) {
				if (i)
					printf("\n");
				text_module(m, name_width());
			}
			printf("\n'runbook actions NAME' shows an action's arguments and result.\n");
		}
		break;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
