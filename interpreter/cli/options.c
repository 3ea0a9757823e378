/* options.c — a command's option table turned into getopt_long's and into --help. */
#include <getopt.h>
#include <string.h>
#include "options.h"
#include "../core/bug.h"

enum { OPTS_MAX = 32, HELP_WIDTH = 19 };

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

void cli_help(FILE *f, const char *head, const struct cli_opt *t, const char *tail)
{
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
