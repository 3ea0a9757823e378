/* options.c — a command's option table turned into getopt_long's, into its usage lines
 * and into the option lines of --help. */
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "options.h"
#include "../core/bug.h"

enum { OPTS_MAX = 32, HELP_WIDTH = 19, USAGE_WIDTH = 80 };

int cli_opt_next(const struct cli_opt *t, int argc, char **argv)
{
	struct option lo[OPTS_MAX + 2];
	char shorts[2 * OPTS_MAX + 3], *s = shorts;
	int n = 0;

	*s++ = 'h';   /* -h: help */
	for (; t->long_name || t->short_name; t++) {
		BUG_ON(n == OPTS_MAX);   /* a table longer than OPTS_MAX */
		if (t->short_name) {
			*s++ = (char)t->short_name;
			if (t->arg)
				*s++ = ':';
		}
		if (t->long_name)
			lo[n++] = (struct option){ t->long_name, t->arg ? required_argument : no_argument,
						   NULL, t->id };
	}
	*s = 0;
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	return getopt_long(argc, argv, shorts, lo, NULL);
}

void cli_opt_help(FILE *f, const struct cli_opt *t)
{
	for (; t->long_name || t->short_name; t++) {
		if (!t->help || !t->long_name)
			continue;
		char lhs[96];
		int w = t->short_name
			? snprintf(lhs, sizeof(lhs), "-%c, --%s%s%s", t->short_name, t->long_name,
				   t->arg ? " " : "", t->arg ? t->arg : "")
			: snprintf(lhs, sizeof(lhs), "--%s%s%s", t->long_name, t->arg ? " " : "",
				   t->arg ? t->arg : "");
		fprintf(f, "  %-*s%s", HELP_WIDTH, lhs, w < HELP_WIDTH ? " " : "  ");
		for (const char *h = t->help, *nl; h; h = nl ? nl + 1 : NULL) {
			nl = strchr(h, '\n');
			if (h != t->help)
				fprintf(f, "%*s", 2 + HELP_WIDTH + 1, "");
			fprintf(f, "%.*s\n", nl ? (int)(nl - h) : (int)strlen(h), h);
		}
	}
}

/* the usage line being written: its column, and where continuation lines start */
struct uline {
	FILE *f;
	int col, indent;
};

static void uword(struct uline *u, const char *w)
{
	int n = (int)strlen(w);
	if (u->col > u->indent && u->col + 1 + n > USAGE_WIDTH) {
		u->col = fprintf(u->f, "\n%*s", u->indent, "") - 1;
	} else {
		fputc(' ', u->f);
		u->col++;
	}
	fputs(w, u->f);
	u->col += n;
}

static int visible(const struct cli_opt *o) { return o->help && o->long_name; }

/* "-p K=V", "--state-dir DIR", "--format text|json", "--live" */
static void opt_words(char *buf, size_t size, const struct cli_opt *o)
{
	const char *arg = o->values ? o->values : o->arg;
	char name[64];
	if (o->short_name)
		snprintf(name, sizeof(name), "-%c", o->short_name);
	else
		snprintf(name, sizeof(name), "--%s", o->long_name);
	snprintf(buf, size, "%s%s%s", name, arg ? " " : "", arg ? arg : "");
}

void cli_usage_lines(FILE *f, const struct cli_command *c)
{
	struct uline u = { f, 0, 0 };
	char w[256], one[128];
	u.col = fprintf(f, "usage: runbook %s", c->name);
	u.indent = u.col + 1;
	if (c->args && *c->args)
		uword(&u, c->args);
	if (c->more)   /* "sim serve": under the options of the subcommand */
		u.indent = u.col + 1;
	/* what is needed first, then the options in the table's order */
	for (int pass = 0; pass < 2; pass++) {
		for (const struct cli_opt *o = c->opts; o && (o->long_name || o->short_name); o++) {
			if (!visible(o))
				continue;
			int needed = o->flags & (CLI_OPT_REQUIRED | CLI_OPT_OR);
			if (pass == 0 && (o->flags & CLI_OPT_OR)) {
				size_t n = 0;
				w[n++] = '(';
				for (;; o++) {
					opt_words(one, sizeof(one), o);
					n += (size_t)snprintf(w + n, sizeof(w) - n, "%s%s", one,
							      (o->flags & CLI_OPT_OR) ? " | " : ")");
					BUG_ON(n >= sizeof(w) || !o[1].long_name);
					if (!(o->flags & CLI_OPT_OR))
						break;
				}
				uword(&u, w);
			} else if (pass == 0 && needed) {
				opt_words(w, sizeof(w), o);
				uword(&u, w);
			} else if (pass == 1 && !needed && !(o != c->opts && (o[-1].flags & CLI_OPT_OR))) {
				opt_words(one, sizeof(one), o);
				snprintf(w, sizeof(w), "[%s]%s", one, (o->flags & CLI_OPT_MANY) ? "..." : "");
				uword(&u, w);
			}
		}
	}
	fputc('\n', f);
	if (c->more)
		fprintf(f, "       runbook %s %s\n", c->name, c->more);
}

void cli_help(FILE *f, const char *head, const struct cli_opt *t, const char *tail)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (c->opts == t) {
			cli_usage_lines(f, c);
			fputc('\n', f);
			break;
		}
	fputs(head, f);
	cli_opt_help(f, t);
	fputs(tail, f);
}

int cli_opt_match(const struct cli_opt *t, int argc, char **argv, int *i, const char **val)
{
	const char *a = argv[*i];
	*val = NULL;
	if (!strcmp(a, "--help") || !strcmp(a, "-h"))
		return 'h';
	if (a[0] != '-' || !a[1])
		return 0;
	for (; t->long_name || t->short_name; t++) {
		const char *rest = NULL;
		size_t n = t->long_name ? strlen(t->long_name) : 0;
		if (t->long_name && a[1] == '-' && !strncmp(a + 2, t->long_name, n)
		    && (!a[2 + n] || (a[2 + n] == '=' && t->arg)))
			rest = a[2 + n] ? a + 3 + n : NULL;
		else if (t->short_name && a[1] == t->short_name && a[1] != '-' && (!a[2] || t->arg))
			rest = a[2] ? a + 2 : NULL;
		else
			continue;
		if (!t->arg)
			return t->id;
		if (!rest) {
			if (*i + 1 >= argc)
				return '?';
			rest = argv[++*i];
		}
		*val = rest;
		return t->id;
	}
	return 0;
}
