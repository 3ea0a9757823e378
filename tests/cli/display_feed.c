/* display_feed.c — feeds a synthetic event stream (one JSON event per line on stdin)
 * through a display sink, so the output modes are testable without the engine.
 *   display_feed plain|json|live [--color] [--delay MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jv.h>
#include "cli/display.h"

int main(int argc, char **argv)
{
	enum display_mode mode;
	int color = 0;
	long delay = 0;
	if (argc < 2 || display_mode_parse(argv[1], &mode) < 0) {
		fprintf(stderr, "usage: display_feed plain|json|live|text [--color] [--delay MS]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--color"))
			color = 1;
		else if (!strcmp(argv[i], "--auto-color"))
			color = -1;
		else if (!strcmp(argv[i], "--delay") && i + 1 < argc)
			delay = atol(argv[++i]);
	}
	struct engine_sink sink = display_sink_new(stdout, mode, color);
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	while (getline(&line, &cap, stdin) > 0) {
		if (line[0] == '\n' || line[0] == '#')
			continue;
		jv ev = jv_parse(line);
		if (!jv_is_valid(ev)) {
			jv msg = jv_invalid_get_msg(ev);
			fprintf(stderr, "display_feed: bad event: %.200s\n",
				jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
			jv_free(msg);
			rc = 1;
			continue;
		}
		sink.event(sink.arg, ev);
		if (delay > 0) {
			struct timespec ts = { delay / 1000, (delay % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	free(line);
	display_sink_free(&sink);
	return rc;
}
