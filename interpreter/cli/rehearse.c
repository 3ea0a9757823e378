/* rehearse.c — `runbook rehearse FILE --scenario SCENARIO`: the runbook against the
 * embedded simulator on a virtual clock, then the simulated timeline.
 *
 * The simulator listens on ephemeral loopback ports in this process (AWS and the
 * scenario's Kubernetes API); the run's aws connection is pointed at it (endpoint,
 * dummy credentials) and its k8s connection at a kubeconfig written beside the runs,
 * so modules take the same code path as against the real services. Confirmations are approved (a rehearsal changes nothing
 * real) and journaled as such.
 */
#include <getopt.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "display.h"
#include "sandbox.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/clock.h"
#include "../core/dur.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "../sim/sim.h"

static const char help[] =
	"usage: runbook rehearse FILE --scenario SCENARIO [-p K=V]... [--params-file F]\n"
	"                        [--max-parallel N] [--no-rollback] [--state-dir DIR]\n"
	"                        [--output text|json]\n\n"
	"Run FILE against the embedded simulated cloud on a virtual clock and print the\n"
	"simulated timeline: each step's simulated start and duration, and the total.\n\n"
	"  --scenario FILE     the simulated world (runbook-scenario(5))\n"
	"  -p, --param K=V     set a param (repeatable); K@FILE: the value is FILE's content\n"
	"  --params-file F     params from a YAML or JSON map\n"
	"  --max-parallel N    run at most N steps at once (default 4)\n"
	"  --no-rollback       leave everything as it is when a step fails\n"
	"  --state-dir DIR     where the run is journaled (default ./.runbook)\n"
	"  --output FORMAT     text (default) or json events\n\n"
	"Secret params: -p K@FILE reads the value from FILE; RUNBOOK_PARAM_K (K in upper case)\n"
	"in the environment gives it too; a terminal prompts (without echo) for a required one\n"
	"still missing. With -p K=V every user of the machine sees it (ps): runbook warns.\n";

static int64_t wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* the simulator's endpoints and dummy credentials, over whatever the runbook says */
static jv sim_connections(const struct runbook *rb, const char *endpoint, const char *kubeconfig)
{
	jv aws = jv_object();
	aws = jv_object_set(aws, jv_string("endpoint"), jv_string(endpoint));
	jv cred = jv_object();
	cred = jv_object_set(cred, jv_string("access_key_id"), jv_string(SANDBOX_ACCESS_KEY_ID));
	cred = jv_object_set(cred, jv_string("secret_access_key"), jv_string(SANDBOX_SECRET_ACCESS_KEY));
	aws = jv_object_set(aws, jv_string("credentials"), cred);
	const struct tmpl *a = rb->connections ? tmpl_get(rb->connections, "aws") : NULL;
	if ((!a || !tmpl_get(a, "region")) && !getenv("AWS_REGION") && !getenv("AWS_DEFAULT_REGION"))
		aws = jv_object_set(aws, jv_string("region"), jv_string("us-east-1"));
	jv conns = jv_object_set(jv_object(), jv_string("aws"), aws);
	if (kubeconfig) {
		jv k8s = jv_object_set(jv_object(), jv_string("kubeconfig"), jv_string(kubeconfig));
		k8s = jv_object_set(k8s, jv_string("context"), jv_string("sim"));
		conns = jv_object_set(conns, jv_string("k8s"), k8s);
	}
	return conns;
}

/* the timeline from the run's journal: step starts relative to the run's start */
static void print_timeline(FILE *out, const char *state_dir, const char *run_id, int64_t real_ms)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/runs/%s/journal.jsonl", state_dir, run_id);
	FILE *f = fopen(path, "r");
	if (!f) {
		cli_error("cannot read the journal '%s'", path);
		return;
	}
	char *line = NULL;
	size_t cap = 0;
	int64_t t0 = -1, total = 0;
	char b1[32], b2[32], ts[40];
	fprintf(out, "\nsimulated timeline (virtual clock)\n");
	while (getline(&line, &cap, f) > 0) {
		jv ev = jvx_parse_sized(line, strlen(line));
		const char *kind = jv_is_valid(ev) ? jvx_str(ev, "event") : NULL;
		const char *time = kind ? jvx_str(ev, "time") : NULL;
		int64_t t = 0;
		if (!kind || !time || ts_parse(time, &t) < 0) {
			jv_free(ev);
			continue;
		}
		if (!strcmp(kind, "run_started"))
			t0 = t;
		if (!strcmp(kind, "step_finished") && t0 >= 0) {
			int64_t d = jvx_int(ev, "duration_ms", 0);
			const char *st = jvx_str(ev, "status");
			fprintf(out, "  +%-9s %-28s %-10s %s\n", dur_format(t - d - t0, b1, sizeof(b1)),
				jvx_str(ev, "step") ? jvx_str(ev, "step") : "?",
				dur_format(d, b2, sizeof(b2)), st ? st : "");
		}
		if (!strcmp(kind, "run_finished") && t0 >= 0)
			total = t - t0;
		jv_free(ev);
	}
	free(line);
	fclose(f);
	fprintf(out, "total %s simulated in %s (started %s)\n", dur_format(total, b1, sizeof(b1)),
		dur_format(real_ms, b2, sizeof(b2)), clock_format(t0 > 0 ? t0 : 0, ts, sizeof(ts)));
}

/* "N mutating calls (Op n, ...)" for AWS and for Kubernetes */
static void print_mutating(FILE *out, const char *what, jv m)
{
	int total = 0;
	struct buf b = BUF_INIT(0);
	if (jv_get_kind(m) == JV_KIND_OBJECT) {
		/* by name: parallel steps make the simulator's first-call order vary */
		jv keys = jv_keys(jv_copy(m));
		jv_array_foreach(keys, i, k) {
			int n = (int)jvx_num(m, jv_string_value(k), 0);
			total += n;
			buf_addf(&b, "%s%s %d", b.len ? ", " : "", jv_string_value(k), n);
			jv_free(k);
		}
		jv_free(keys);
	}
	fprintf(out, "simulator: %d mutating %s call%s%s%s%s\n", total, what, total == 1 ? "" : "s",
		b.len ? " (" : "", buf_str(&b), b.len ? ")" : "");
	buf_release(&b);
	jv_free(m);
}

static void print_counters(FILE *out, jv counters)
{
	print_mutating(out, "AWS", jvx_get(counters, "mutating"));
	jv k8s = jvx_get(counters, "k8s");
	jv req = jvx_get(k8s, "requests");
	/* only when the runbook talked to the Kubernetes API at all */
	if (jv_get_kind(req) == JV_KIND_OBJECT && jv_object_length(jv_copy(req)) > 0)
		print_mutating(out, "Kubernetes", jvx_get(k8s, "mutating"));
	jv_free(req);
	jv_free(k8s);
	jv_free(counters);
}

int cmd_rehearse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "param", required_argument, NULL, 'p' },
		{ "params-file", required_argument, NULL, 'f' },
		{ "max-parallel", required_argument, NULL, 'm' },
		{ "no-rollback", no_argument, NULL, 'n' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *scenario = NULL, *state_opt = NULL, *output = "text";
	int max_parallel = 0, no_rollback = 0, c, rc = 2;
	jv raw = jv_object();
	struct diag_list dl = { 0 };
	struct cli_loaded ld;
	struct rb_clock *clock = NULL;
	struct sim *sim = NULL;
	struct redactor *redact = NULL;
	jv params = jv_invalid(), conns = jv_invalid();
	char *run_id = NULL, *sandbox_home = NULL;
	int loaded = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': scenario = optarg; break;
		case 'p':
			if (cli_param_add(&raw, optarg) < 0)
				goto out;
			break;
		case 'f':
			if (cli_params_file(&raw, optarg, &dl) < 0)
				goto out;
			break;
		case 'm': max_parallel = atoi(optarg); break;
		case 'n': no_rollback = 1; break;
		case 'd': state_opt = optarg; break;
		case 'o': output = optarg; break;
		case 'h':
			fputs(help, stdout);
			rc = 0;
			goto out;
		default:
			fputs(help, stderr);
			goto out;
		}
	}
	if (optind != argc - 1 || !scenario) {
		cli_error(!scenario ? "rehearse needs --scenario SCENARIO" : "rehearse takes one runbook FILE");
		fputs(help, stderr);
		goto out;
	}
	enum display_mode mode;
	if (!strcmp(output, "text"))
		mode = DISPLAY_AUTO;
	else if (display_mode_parse(output, &mode) < 0) {
		cli_error("unknown --output '%s' (text or json)", output);
		goto out;
	}
	if (max_parallel < 0) {
		cli_error("--max-parallel wants a positive number");
		goto out;
	}

	loaded = 1;
	if (cli_load(argv[optind], &ld, &dl) < 0) {
		cli_print_diags(&dl);
		goto out;
	}
	redact = cli_redactor_new();
	if (cli_params_secret(&raw, ld.rb, CLI_SECRET_WARN | CLI_SECRET_PROMPT) < 0)
		goto out;
	params = params_resolve(ld.rb, jv_copy(raw), redact, &dl);
	if (!jv_is_valid(params)) {
		cli_print_diags(&dl);
		goto out;
	}
	clock = clock_new(CLOCK_VIRTUAL, 0, 0);
	sim = sim_start(scenario, NULL, clock, &dl);
	if (!sim) {
		cli_print_diags(&dl);
		goto out;
	}
	/* the scenario's Kubernetes API too, with a kubeconfig kept beside the runs */
	const char *state_dir = cli_state_dir(state_opt);
	char kubeconfig[4096];
	snprintf(kubeconfig, sizeof(kubeconfig), "%s/rehearsal.kubeconfig", state_dir);
	mkdir(state_dir, 0700);
	if (sim_k8s_start(sim, NULL, &dl) < 0 || sim_k8s_kubeconfig(sim, kubeconfig, "token", &dl) < 0) {
		cli_print_diags(&dl);
		goto out;
	}
	conns = sim_connections(ld.rb, sim_endpoint(sim), kubeconfig);
	/* exec and http.request: refused before anything runs, else sandboxed */
	jv rules = sim_rules(sim), sb;
	int refused = sandbox_check(&ld.plan, params, rules, &dl) < 0 ||
		      sandbox_make(state_dir, sim_endpoint(sim), sim_region(sim), kubeconfig, rules, &sb, &sandbox_home, &dl) < 0;
	jv_free(rules);
	if (refused) {
		cli_print_diags(&dl);
		goto out;
	}
	conns = jv_object_set(conns, jv_string("sandbox"), sb);

	struct engine_opts o = {
		.params = params,
		.connections = conns,
		.yes = 1,
		.max_parallel = max_parallel,
		.no_rollback = no_rollback,
		.state_dir = state_dir,
		.clock = clock,
		.rehearsal = 1,
		.redact = redact,
	};
	o.sink = display_sink_new(stdout, mode, -1);
	engine_install_signals();
	int64_t t0 = wall_ms();
	rc = engine_run(&ld.plan, &o, &run_id);
	int64_t real = wall_ms() - t0;
	display_sink_free(&o.sink);
	if (run_id && mode != DISPLAY_JSON) {
		print_timeline(stdout, o.state_dir, run_id, real);
		print_counters(stdout, sim_counters(sim));
	}
out:
	sandbox_remove(sandbox_home);
	free(sandbox_home);
	if (sim)
		sim_stop(sim);
	clock_free(clock);
	free(run_id);
	jv_free(params);
	jv_free(conns);
	jv_free(raw);
	if (loaded)
		cli_unload(&ld);
	redact_free(redact);
	diag_list_release(&dl);
	return rc;
}
