/* options.h — a command's options as one table (git's parse-options): it drives
 * getopt_long, the usage lines and option lines of --help, the check of runbook(1)'s
 * synopsis (tests/cli/completion.sh) and `runbook completion bash|zsh`. */
#ifndef RB_CLI_OPTIONS_H
#define RB_CLI_OPTIONS_H
#include <stdio.h>

enum cli_opt_flags {
	CLI_OPT_MANY = 1 << 0,       /* repeatable: "[-p K=V]..." in the usage line */
	CLI_OPT_REQUIRED = 1 << 1,   /* needed: not in brackets */
	CLI_OPT_OR = 1 << 2,         /* needed, it or the next one: "(--scenario FILE | --live)" */
};

struct cli_opt {
	const char *long_name;   /* NULL: a short alias only */
	int short_name;          /* 0: none */
	const char *arg;         /* placeholder shown in --help; NULL: a flag */
	const char *values;      /* "text|json": what completion offers; NULL: see arg */
	int id;                  /* what cli_opt_next returns (the short letter if any) */
	const char *help;        /* --help text, '\n' before each continuation line;
	                          * NULL: hidden (not in --help, man or completion) */
	unsigned flags;          /* enum cli_opt_flags */
};
#define CLI_OPT_END { NULL, 0, NULL, NULL, 0, NULL, 0 }

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
/* --help: the usage lines of the command whose table is t, head (prose), the option
 * lines of t, tail */
void cli_help(FILE *f, const char *head, const struct cli_opt *t, const char *tail);
/* "usage: runbook NAME ARGS [OPTIONS]", wrapped at 80 columns under its arguments, from
 * the command's args and option table (cli.h), then its other usage line if any */
struct cli_command;
void cli_usage_lines(FILE *f, const struct cli_command *c);
#endif
