/* options.h — a command's options as one table (git's parse-options): it drives
 * getopt_long, the option lines of --help and `runbook completion bash|zsh`. */
#ifndef RB_CLI_OPTIONS_H
#define RB_CLI_OPTIONS_H
#include <stdio.h>

struct cli_opt {
	const char *long_name;   /* NULL: a short alias only */
	int short_name;          /* 0: none */
	const char *arg;         /* placeholder shown in --help; NULL: a flag */
	const char *values;      /* "text|json": what completion offers; NULL: see arg */
	int id;                  /* what cli_opt_next returns (the short letter if any) */
	const char *help;        /* --help text, '\n' before each continuation line;
	                          * NULL: hidden (not in --help, man or completion) */
};
#define CLI_OPT_END { NULL, 0, NULL, NULL, 0, NULL }

/* getopt_long over a table plus --help/-h (returned as 'h'): the next option's id,
 * -1 at the end of the options, '?' on a bad one (getopt printed why). optarg and
 * optind as getopt leaves them; call with the same table until -1. */
int cli_opt_next(const struct cli_opt *t, int argc, char **argv);
/* the option lines of --help: "  -p, --param K=V" padded to width, the help */
void cli_opt_help(FILE *f, const struct cli_opt *t);
/* for commands that parse by hand (options between positional arguments): is
 * argv[*i] an option of t (--name, --name=V, -x, -xV, or --help/-h: 'h')? Its id, with
 * its value in *val (*i moves past a separate value); 0 when it is not one (a positional
 * argument or an unknown option: a[0] == '-' tells), '?' when its value is missing. */
int cli_opt_match(const struct cli_opt *t, int argc, char **argv, int *i, const char **val);
/* --help: head (usage and prose), the option lines of t, tail */
void cli_help(FILE *f, const char *head, const struct cli_opt *t, const char *tail);
#endif
