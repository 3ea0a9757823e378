/* pending.c — commands whose issue has not landed yet say so clearly (exit 2). */
#include <string.h>
#include "cli.h"

static int pending(int argc, char **argv, const char *what)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_usage(argv[0]);
		return 0;
	}
	cli_error("'%s' is not built yet: %s", argv[0], what);
	return 2;
}

int cmd_replay(int argc, char **argv)
{
	return pending(argc, argv, "recording works (run --record TAPE); offline replay comes with its own issue");
}
