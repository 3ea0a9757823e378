/* sim.c — `runbook sim serve`: the simulated cloud as a standalone server for the AWS
 * CLI, scripts and tests (owner: sim); `runbook sim check` validates a scenario.
 *
 * The endpoint URL is printed alone on the first line of stdout once the server
 * listens (scripts read it); the request log goes to stderr or --log FILE. SIGINT or
 * SIGTERM stops the server, writes --state-out and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "../core/clock.h"
#include "../core/jvx.h"
#include "../sim/sim.h"

static const char help[] =
	"Serve the simulated AWS services (RDS, ElastiCache, S3, Secrets Manager, SNS, STS)\n"
	"over HTTP on loopback, for the AWS CLI (--endpoint-url), scripts and tests.\n\n"
	;

enum { O_SCENARIO = 256, O_LISTEN, O_SPEED, O_STATE_OUT, O_LOG, O_QUIET, O_K8S, O_KCFG, O_KAUTH };

const struct cli_opt cli_sim_opts[] = {
	{ "scenario", 0, "FILE", NULL, O_SCENARIO,
	  "the starting world, durations and faults (runbook-scenario(5))", CLI_OPT_REQUIRED },
	{ "listen", 0, "HOST:PORT", NULL, O_LISTEN,
	  "loopback address (default 127.0.0.1:0, an ephemeral port);\n"
	  "the endpoint URL is printed on the first line of stdout" },
	{ "speed", 0, "N", NULL, O_SPEED,
	  "run simulated time N times faster than real time" },
	{ "state-out", 0, "FILE", NULL, O_STATE_OUT,
	  "write the final world as JSON when stopped" },
	{ "log", 0, "FILE", NULL, O_LOG,
	  "request log (default stderr; '-' for stdout)" },
	{ "quiet", 0, NULL, NULL, O_QUIET,
	  "no request log" },
	{ "k8s-listen", 0, "HOST:PORT", NULL, O_K8S,
	  "also serve the scenario's Kubernetes API (HTTPS, its own CA)\n"
	  "on this loopback address; its URL is the second line of stdout" },
	{ "kubeconfig-out", 0, "FILE", NULL, O_KCFG,
	  "write a kubeconfig for kubectl and the k8s module (context\n"
	  "\"sim\"); starts the Kubernetes API on an ephemeral port if needed" },
	{ "kubeconfig-auth", 0, "A", "token|cert", O_KAUTH,
	  "token (default) or cert: how that kubeconfig authenticates" },
	CLI_OPT_END,
};

static const char help_tail[] =
	"\n"
	"Admin endpoints: GET /_sim/counters, /_sim/state, /_sim/published (JSON).\n";

static int sim_check(const char *scenario)
{
	struct diag_list dl = { 0 };
	int rc = sim_scenario_check(scenario, &dl);
	if (dl.n)
		cli_print_diags(&dl);
	diag_list_release(&dl);
	if (rc == 0)
		printf("%s: ok\n", scenario);
	return rc ? 2 : 0;
}

int cmd_sim(int argc, char **argv)
{
	const char *scenario = NULL, *listen = "127.0.0.1:0", *state_out = NULL, *logpath = NULL;
	const char *k8s_listen = NULL, *kubeconfig = NULL, *kauth = "token";
	double speed = 0;
	int quiet = 0, c;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_help(stdout, help, cli_sim_opts, help_tail);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "serve") && strcmp(argv[1], "check"))) {
		cli_error("sim wants a subcommand: 'serve' or 'check'");
		cli_help(stderr, help, cli_sim_opts, help_tail);
		return 2;
	}
	int check = !strcmp(argv[1], "check");
	optind = 1;
	argc--;
	argv++;
	while ((c = cli_opt_next(cli_sim_opts, argc, argv)) != -1) {
		switch (c) {
		case O_SCENARIO: scenario = optarg; break;
		case O_LISTEN: listen = optarg; break;
		case O_SPEED: {
			char *end;
			speed = strtod(optarg, &end);
			if (*end || !(speed > 0)) {
				cli_error("--speed wants a positive number, got '%s'", optarg);
				return 2;
			}
			break;
		}
		case O_STATE_OUT: state_out = optarg; break;
		case O_LOG: logpath = optarg; break;
		case O_QUIET: quiet = 1; break;
		case O_K8S: k8s_listen = optarg; break;
		case O_KCFG: kubeconfig = optarg; break;
		case O_KAUTH:
			if (strcmp(optarg, "token") && strcmp(optarg, "cert")) {
				cli_error("--kubeconfig-auth is token or cert, not '%s'", optarg);
				return 2;
			}
			kauth = optarg;
			break;
		case 'h':
			cli_help(stdout, help, cli_sim_opts, help_tail);
			return 0;
		default:
			cli_help(stderr, help, cli_sim_opts, help_tail);
			return 2;
		}
	}
	if (optind < argc) {
		cli_error("sim %s: unexpected argument '%s'", check ? "check" : "serve", argv[optind]);
		return 2;
	}
	if (!scenario) {
		cli_error("sim %s needs --scenario FILE", check ? "check" : "serve");
		return 2;
	}
	if (check)
		return sim_check(scenario);

	FILE *log = NULL;
	if (!quiet) {
		if (!logpath)
			log = stderr;
		else if (!strcmp(logpath, "-"))
			log = stdout;
		else if (!(log = fopen(logpath, "a"))) {
			cli_error("cannot open log '%s': %s", logpath, strerror(errno));
			return 2;
		}
	}

	/* block the stop signals in every thread; this one waits for them */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct rb_clock *clock = clock_new(speed > 0 ? CLOCK_SCALED : CLOCK_REAL, 0, speed > 0 ? speed : 1);
	struct diag_list dl = { 0 };
	struct sim_options so = { log };
	struct sim *s = sim_start_opts(scenario, listen, clock, &so, &dl);
	if (!s) {
		cli_print_diags(&dl);
		diag_list_release(&dl);
		clock_free(clock);
		if (log && log != stderr && log != stdout)
			fclose(log);
		return 2;
	}
	if ((k8s_listen || kubeconfig) &&
	    (sim_k8s_start(s, k8s_listen, 1, &dl) < 0 || (kubeconfig && sim_k8s_kubeconfig(s, kubeconfig, kauth, &dl) < 0))) {
		cli_print_diags(&dl);
		diag_list_release(&dl);
		sim_stop(s);
		clock_free(clock);
		if (log && log != stderr && log != stdout)
			fclose(log);
		return 2;
	}
	diag_list_release(&dl);
	printf("%s\n", sim_endpoint(s));
	if (sim_k8s_endpoint(s))
		printf("%s\n", sim_k8s_endpoint(s));
	fflush(stdout);
	if (log != stdout)
		fprintf(stderr, "runbook: simulator serving %s (scenario %s%s)\n", sim_endpoint(s), scenario,
			speed > 0 ? ", scaled time" : "");

	int sig = 0;
	sigwait(&set, &sig);

	int rc = 0;
	/* the world holds Secret data: the file is private (0600, no symlinks, atomic) */
	if (state_out && sim_world_write(state_out, sim_world(s), &dl) < 0) {
		cli_print_diags(&dl);
		rc = 1;
	}
	diag_list_release(&dl);
	sim_stop(s);
	clock_free(clock);
	if (log && log != stderr && log != stdout)
		fclose(log);
	return rc;
}
