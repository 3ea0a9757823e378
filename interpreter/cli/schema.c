/* schema.c — runbook schema events [--format json|man]: the journal's event table
 * (core/events.h) as a JSON Schema or as man/runbook-events.5. Hidden: a tool for
 * the build (the committed man page) and for checking journals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "../core/events.h"
#include "../core/jvx.h"

static void usage_help(FILE *out)
{
	fprintf(out, "usage: runbook schema events [--format json|man]\n\n"
		     "Print the JSON Schema (draft 2020-12) of a journal event, or the man page\n"
		     "runbook-events(5), both generated from the event table.\n");
}

int cmd_schema(int argc, char **argv)
{
	const char *what = NULL, *format = "json";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage_help(stdout);
			return 0;
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			format = argv[++i];
		} else if (!strncmp(a, "--format=", 9)) {
			format = a + 9;
		} else if (a[0] != '-' && !what) {
			what = a;
		} else {
			cli_error("unknown argument '%s'", a);
			usage_help(stderr);
			return 2;
		}
	}
	if (!what || strcmp(what, "events")) {
		if (what)
			cli_error("unknown schema '%s' (there is 'events')", what);
		else
			cli_error("a schema name is needed ('events')");
		return 2;
	}
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
