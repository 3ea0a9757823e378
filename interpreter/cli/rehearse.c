/* rehearse.c — `runbook rehearse FILE --scenario SCENARIO`: the runbook against the
 * embedded simulator on a virtual clock, then the simulated timeline.
 *
 * The simulator listens on ephemeral loopback ports in this process (AWS and the
 * scenario's Kubernetes API, both plain HTTP); the run's aws connection is pointed at it
 * (endpoint, dummy credentials) and its k8s connection at a kubeconfig written beside
 * the runs, so modules take the same code path as against the real services, TLS
 * aside: nothing of a rehearsal's TLS would be the user's (its CA, certificates and
 * kubeconfig are the simulator's), and serving it cost a CA, three keys and a second TLS
 * stack (GnuTLS, libmicrohttpd's): 2.4 MB of peak RSS and a quarter of the
 * full-environment rehearsal's instructions. Only a runbook with exec steps gets HTTPS:
 * kubectl sends its token over TLS alone. `sim serve` always speaks HTTPS; the k8s
 * module takes plain HTTP from a rehearsal's connection only
 * (connections.k8s.rehearsal, kubeconfig.c). Confirmations are
 * approved "by rehearsal" (journaled as such), or declined with --decline STEP.
 * --world-out writes the final world (sim_world()); --sweep is in sweep.c.
 */
#include <errno.h>
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
#include "../core/events.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "../modules/registry.h"
#include "../sim/sim.h"
#include "sweep.h"
#include "../state/state.h"

static const char help[] =
	"Run FILE against the embedded simulated cloud on a virtual clock and print the\n"
	"simulated timeline: each step's simulated start and duration, the rollback, and\n"
	"the total. Confirmations are approved by the rehearsal.\n\n"
	;

enum { O_DECLINE = 256, O_WORLD_OUT, O_SWEEP, O_RECORD };

const struct cli_opt cli_rehearse_opts[] = {
	{ "scenario", 0, "FILE", NULL, 's',
	  "the simulated world (runbook-scenario(5))", CLI_OPT_REQUIRED },
	{ "decline", 0, "STEP", NULL, O_DECLINE,
	  "decline the confirmation STEP: rehearse a refusal (repeatable)", CLI_OPT_MANY },
	{ "world-out", 0, "FILE", NULL, O_WORLD_OUT,
	  "write the final simulated world (AWS and Kubernetes) as JSON,\n"
	  "the document of `runbook sim serve --state-out`" },
	{ "sweep", 0, NULL, NULL, O_SWEEP,
	  "one rehearsal per mutating step, that step failing at its first\n"
	  "call: each must exit 1 and leave the world as it found it\n"
	  "(but for the runbook's rollback_keeps); exit 0 if all do" },
	{ "param", 'p', "K=V", NULL, 'p',
	  "set a param (repeatable); K@FILE: the value is FILE's content", CLI_OPT_MANY },
	{ "params-file", 0, "F", NULL, 'f',
	  "params from a YAML or JSON map" },
	{ "max-parallel", 0, "N", NULL, 'm',
	  "run at most N steps at once (default 4)" },
	{ "no-rollback", 0, NULL, NULL, 'n',
	  "leave everything as it is when a step fails" },
	{ "state-dir", 0, "DIR", NULL, 'd',
	  "the state store: a folder, or a postgresql:// URI (default\n$RUNBOOK_STATE_DIR or ./.runbook)" },
	{ "output", 0, "FORMAT", "text|json", 'o',
	  "text (default) or json events" },
	{ "record", 0, "TAPE", NULL, O_RECORD,
	  "record every action call and its answer to TAPE, a new file\n"
	  "(runbook-tape(5)); `runbook replay TAPE` replays it" },
	CLI_OPT_COLOR,
	CLI_OPT_END,
};

static const char help_tail[] =
	"\n"
	"Secret params: -p K@FILE reads the value from FILE; RUNBOOK_PARAM_K (K in upper case)\n"
	"in the environment gives it too; a terminal prompts (without echo) for a required one\n"
	"still missing. With -p K=V every user of the machine sees it (ps): runbook warns.\n\n"
	"A rehearsal takes no runbook lock: (it changes nothing real), so it runs while a\n"
	"real run of the same runbook holds it.\n";

static int64_t wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* the simulator's endpoints and dummy credentials, over whatever the runbook says */
static jv sim_connections(const struct runbook *rb, const struct rehearsal_env *env)
{
	jv conns = jv_object();
	const struct module_desc *m;
	for (int i = 0; (m = registry_module_at(i)); i++) {
		if (!m->rehearsal_conn)
			continue;
		/* the runbook's own keys: constants as given, computed ones null */
		const struct tmpl *t = rb->connections ? tmpl_get(rb->connections, m->name) : NULL;
		jv user = jv_object();
		for (int k = 0; t && t->kind == TMPL_MAP && k < t->n; k++)
			user = jv_object_set(user, jv_string(t->keys[k]), t->items[k]->kind == TMPL_CONST ?
					     jv_copy(t->items[k]->value) : jv_null());
		jv c = m->rehearsal_conn(user, env);   /* borrows user */
		jv_free(user);
		if (jv_get_kind(c) == JV_KIND_OBJECT)
			conns = jv_object_set(conns, jv_string(m->name), c);
		else
			jv_free(c);
	}
	return conns;
}

/* the timeline from the run's journal: step starts relative to the run's start */
static void print_timeline(FILE *out, struct state *store, const char *run_id, int64_t real_ms)
{
	int64_t t0, total = 0;
	char b1[32], b2[32], ts[40];
	struct run_fold fold;
	run_fold_init(&fold);
	if (cli_run_fold(store, run_id, &fold) < 0) {
		cli_error("cannot read the journal of run '%s': %s", run_id,
			  errno == ENOENT ? "no such run" : strerror(errno));
		run_fold_release(&fold);
		return;
	}
	fprintf(out, "\nsimulated timeline (virtual clock)\n");
	t0 = fold.t_start;
	/* steps and rollback actions as they ended, from the fold */
	jv_array_foreach(fold.timeline, i, r) {
		const char *id = jvx_str(r, "id"), *st = jvx_str(r, "status");
		int64_t start = jvx_int(r, "start_ms", 0), d = jvx_int(r, "duration_ms", 0);
		if (t0 >= 0)
			fprintf(out, "  +%-9s %-28s %-10s %s%s\n", dur_format(start - t0, b1, sizeof(b1)),
				id ? id : "?", dur_format(d, b2, sizeof(b2)),
				jvx_bool(r, "rollback", 0) ? "rollback " : "", st ? st : "");
		jv_free(r);
		(void)i;
	}
	if (fold.end == EV_RUN_FINISHED && t0 >= 0 && fold.t_end >= 0)
		total = fold.t_end - t0;
	run_fold_release(&fold);
	fprintf(out, "total %s simulated in %s (started %s)\n", dur_format(total, b1, sizeof(b1)),
		dur_format(real_ms, b2, sizeof(b2)), clock_format(t0 > 0 ? t0 : 0, ts, sizeof(ts)));
}

/* "N mutating calls (Op n, ...)" for AWS and for Kubernetes */
static int print_mutating(FILE *out, const char *what, jv m)
{
	int berr = 0;
	int total = 0;
	struct buf b = BUF_INIT(0);
	if (jv_get_kind(m) == JV_KIND_OBJECT) {
		/* by name: parallel steps make the simulator's first-call order vary */
		jv keys = jv_keys(jv_copy(m));
		jv_array_foreach(keys, i, k) {
			int n = (int)jvx_num(m, jv_string_value(k), 0);
			total += n;
			berr |= buf_addf(&b, "%s%s %d", b.len ? ", " : "", jv_string_value(k), n);
			jv_free(k);
		}
		jv_free(keys);
	}
	fprintf(out, "simulator: %d mutating %s call%s%s%s%s\n", total, what, total == 1 ? "" : "s",
		b.len ? " (" : "", buf_str(&b), b.len ? ")" : "");
	buf_release(&b);
	jv_free(m);
	return berr;
}

static int print_counters(FILE *out, jv counters)
{
	int berr = 0;
	berr |= print_mutating(out, "AWS", jvx_get(counters, "mutating"));
	jv k8s = jvx_get(counters, "k8s");
	jv req = jvx_get(k8s, "requests");
	/* only when the runbook talked to the Kubernetes API at all */
	if (jv_get_kind(req) == JV_KIND_OBJECT && jv_object_length(jv_copy(req)) > 0)
		berr |= print_mutating(out, "Kubernetes", jvx_get(k8s, "mutating"));
	jv_free(req);
	jv_free(k8s);
	jv_free(counters);
	return berr;
}

void rehearsal_release(struct rehearsal *r)
{
	free(r->run_id);
	r->run_id = NULL;
	jv_free(r->before);
	jv_free(r->after);
	r->before = jv_invalid();
	r->after = jv_invalid();
}

#define SETTLE_MS (24 * 3600 * 1000LL)   /* long enough for every simulated operation */

/* move a virtual clock on by ms (no one else holds a token once the run is over) */
static void clock_advance(struct rb_clock *c, int64_t ms)
{
	clock_hold(c);
	clock_sleep(c, ms, NULL);
	clock_release(c);
}

/* the scenario's world at time `at`, nothing having touched it (its Kubernetes world
 * unserved: nothing calls it) */
static jv untouched_world(const char *scenario, int64_t start, int64_t at, struct diag_list *dl)
{
	struct rb_clock *clock = clock_new(CLOCK_VIRTUAL, start, 0);
	struct sim *sim = sim_start(scenario, NULL, clock, dl);
	jv w = jv_invalid();
	if (sim && sim_k8s_open(sim, dl) == 0) {
		clock_advance(clock, at - start);
		w = sim_world(sim);
	}
	sim_stop(sim);
	clock_free(clock);
	return w;
}

/* how a step can reach the Kubernetes API: TALKS_MODULE for a k8s action (or a wait
 * polling one), TALKS_EXEC for an exec (kubectl in the sandbox reads its KUBECONFIG, and
 * sends no token but over TLS), 0 for neither */
enum { TALKS_MODULE = 1, TALKS_EXEC = 2 };

static int step_talks_k8s(const struct rb_step *st)
{
	const char *action = st->kind == STEP_WAIT ? st->wait.action : st->action;
	const struct action_desc *d;
	const struct module_desc *m;

	if ((st->kind != STEP_ACTION && st->kind != STEP_WAIT) || !action || !(d = registry_find(action)))
		return 0;
	m = registry_module_of(d);
	if (!strcmp(d->name, "exec"))
		return TALKS_EXEC;
	return m && !strcmp(m->name, "k8s") ? TALKS_MODULE : 0;
}

/* how the run can talk to the simulated Kubernetes API (TALKS_* of any step of the plan
 * (the steps of `uses:` runbooks are in it), rollback or finally step). Serving it costs
 * a listener and its threads: a runbook that cannot reach it gets its world only
 * (sim_k8s_open), for --world-out and the sweep. */
static int plan_talks_k8s(const struct plan *p)
{
	int how = 0;
	for (int i = 0; i < p->n; i++) {
		const struct rb_step *st = p->nodes[i].step;
		how |= step_talks_k8s(st);
		for (int k = 0; k < st->nrollback; k++)
			how |= step_talks_k8s(&st->rollback[k]);
	}
	for (int i = 0; p->rb && i < p->rb->nfinally; i++)
		how |= step_talks_k8s(&p->rb->finally[i]);
	return how;
}

int rehearsal_run(struct rehearsal *r, struct diag_list *dl)
{
	int berr = 0;
	struct rb_clock *clock = clock_new(CLOCK_VIRTUAL, 0, 0);
	struct sim *sim = NULL;
	jv conns = jv_invalid(), last = jv_null(), counters = jv_invalid();
	char *sandbox_home = NULL;
	int rc = -1;
	int64_t start = clock_now(clock);

	rehearsal_release(r);
	sim = sim_start(r->scenario, NULL, clock, dl);
	if (!sim)
		goto out;
	/* the scenario's Kubernetes API too when the runbook can talk to it, with a
	 * kubeconfig kept beside the runs; else its world only */
	char kubeconfig[4096];
	int k8s = plan_talks_k8s(&r->ld->plan);
	snprintf(kubeconfig, sizeof(kubeconfig), "%s/rehearsal.kubeconfig", r->state_dir);
	mkdir(r->state_dir, 0700);
	if (k8s ? sim_k8s_start(sim, NULL, !!(k8s & TALKS_EXEC), dl) < 0 ||
			  sim_k8s_kubeconfig(sim, kubeconfig, "token", dl) < 0 :
		  sim_k8s_open(sim, dl) < 0)
		goto out;
	struct rehearsal_env env = {
		.aws_endpoint = sim_endpoint(sim),
		.access_key_id = SANDBOX_ACCESS_KEY_ID, .secret_access_key = SANDBOX_SECRET_ACCESS_KEY,
		.kubeconfig = k8s ? kubeconfig : NULL, .kube_context = "sim",
	};
	conns = sim_connections(r->ld->rb, &env);
	/* exec and http.request: refused before anything runs, else sandboxed */
	jv rules = sim_rules(sim), sb;
	int refused = sandbox_check(&r->ld->plan, r->params, rules, dl) < 0 ||
		      sandbox_make(r->state_dir, sim_endpoint(sim), sim_region(sim), env.kubeconfig, rules, &sb,
				   &sandbox_home, dl) < 0;
	jv_free(rules);
	if (refused)
		goto out;
	conns = jv_object_set(conns, jv_string("sandbox"), sb);
	if (r->worlds && !r->settle)   /* settled, it is taken after the run */
		r->before = sim_world(sim);

	/* the ETA its waits show: the last rehearsal's durations (a sweep needs none) */
	if (!r->fault.call)
		last = cli_last_durations(r->state, r->ld->rb->path, 1);
	struct engine_opts o = {
		.params = r->params,
		.connections = conns,
		.last_durations = last,
		.max_parallel = r->max_parallel,
		.no_rollback = r->no_rollback,
		.state = r->state,
		.clock = clock,
		.rehearsal = 1,
		.decline = r->decline,
		.fault = r->fault,
		.redact = r->redact,
		.record_path = r->record,
	};
	o.sink = r->out ? display_sink_new(r->out, r->mode, cli_color_sink(r->color)) : r->sink;
	int64_t t0 = wall_ms();
	rc = engine_run(&r->ld->plan, &o, &r->run_id);
	r->real_ms = wall_ms() - t0;
	if (r->out)
		display_sink_free(&o.sink);
	/* printed once the simulator is gone: the journal's fold then reuses its memory
	 * (the peak RSS of a rehearsal was the world and the parsed journal together) */
	if (r->out && r->run_id && r->mode != DISPLAY_JSON)
		counters = sim_counters(sim);
	if (r->settle) {
		clock_advance(clock, SETTLE_MS);
		jv_free(r->before);
		r->before = untouched_world(r->scenario, start, clock_now(clock), dl);
		if (!jv_is_valid(r->before))
			rc = -1;
	}
	if (r->worlds || r->settle)
		r->after = sim_world(sim);
out:
	sandbox_remove(sandbox_home);
	free(sandbox_home);
	if (sim)
		sim_stop(sim);
	if (jv_is_valid(counters)) {
		print_timeline(r->out, r->state, r->run_id, r->real_ms);
		berr |= print_counters(r->out, counters);
		BUF_NOCAP(berr);
	}
	clock_free(clock);
	jv_free(conns);
	jv_free(last);
	return rc;
}

/* --decline names confirmation steps of the plan: 0, or -1 with the message printed */
static int check_declines(const struct plan *p, const char **decline, int n)
{
	for (int i = 0; i < n; i++) {
		int k = plan_find(p, decline[i]);
		if (k < 0) {
			cli_error("--decline names unknown step '%s'", decline[i]);
			return -1;
		}
		enum step_kind sk = p->nodes[k].step->kind;
		if (sk != STEP_CONFIRM) {
			cli_error("--decline names step '%s', which is not a confirmation (it is a%s %s step)",
				  decline[i], sk == STEP_ACTION || sk == STEP_ASSERT ? "n" : "", step_kind_name(sk));
			return -1;
		}
	}
	return 0;
}

int cmd_rehearse(int argc, char **argv)
{
	const char *scenario = NULL, *state_opt = NULL, *output = "text", *world_out = NULL, *record = NULL;
	int max_parallel = 0, no_rollback = 0, sweep = 0, c, rc = 2, ndecline = 0;
	const char **decline = xcalloc((size_t)argc + 1, sizeof(*decline));
	jv raw = jv_object();
	struct diag_list dl = { 0 };
	struct cli_setup su = CLI_SETUP_INIT;
	struct rehearsal r = { .before = jv_invalid(), .after = jv_invalid() };
	struct state *st = NULL;
	int mode;
	enum cli_color color = CLI_COLOR_AUTO;

	optind = 1;
	while ((c = cli_opt_next(cli_rehearse_opts, argc, argv)) != -1) {
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
		case CLI_O_COLOR:
			if (cli_color_parse(optarg, &color) < 0)
				goto out;
			break;
		case O_DECLINE: decline[ndecline++] = optarg; break;
		case O_WORLD_OUT: world_out = optarg; break;
		case O_SWEEP: sweep = 1; break;
		case O_RECORD: record = optarg; break;
		case 'h':
			cli_help(stdout, help, cli_rehearse_opts, help_tail);
			rc = 0;
			goto out;
		default:
			cli_help(stderr, help, cli_rehearse_opts, help_tail);
			goto out;
		}
	}
	if (optind != argc - 1 || !scenario) {
		cli_error(!scenario ? "rehearse needs --scenario SCENARIO" : "rehearse takes one runbook FILE");
		cli_help(stderr, help, cli_rehearse_opts, help_tail);
		goto out;
	}
	if (cli_output_mode(output, 0, &mode) < 0)
		goto out;
	if (max_parallel < 0) {
		cli_error("--max-parallel wants a positive number");
		goto out;
	}
	if (sweep && (ndecline || world_out || no_rollback || record || mode != DISPLAY_AUTO)) {
		cli_error("--sweep rehearses every failure itself and prints its table: it takes no %s",
			  ndecline ? "--decline" : world_out ? "--world-out" : no_rollback ? "--no-rollback" :
			  record ? "--record" : "--output json");
		goto out;
	}

	if (cli_setup_load(&su, argv[optind], &dl) < 0) {
		cli_print_diags(&dl);
		goto out;
	}
	if (check_declines(&su.ld.plan, decline, ndecline) < 0)
		goto out;
	if (cli_setup_params(&su, jv_copy(raw), &dl) < 0) {
		cli_print_diags(&dl);
		goto out;
	}
	if (!(st = cli_state_open(state_opt)))
		goto out;
	r.scenario = scenario;
	r.state = st;
	r.state_dir = cli_scratch_dir(st);
	r.ld = &su.ld;
	r.params = su.params;
	r.redact = su.redact;
	r.max_parallel = max_parallel;
	r.no_rollback = no_rollback;
	r.decline = decline;
	r.mode = mode;
	r.color = color;
	r.record = record;
	r.worlds = world_out != NULL;
	engine_install_signals();
	if (sweep) {
		rc = sweep_run(&r, stdout);
		goto out;
	}
	r.out = stdout;
	rc = rehearsal_run(&r, &dl);
	cli_write_run_reports(st, r.run_id);
	if (rc < 0) {
		cli_print_diags(&dl);
		rc = 2;
		goto out;
	}
	if (world_out && sim_world_write(world_out, jv_copy(r.after), &dl) < 0) {
		cli_print_diags(&dl);
		if (rc == EXIT_OK)
			rc = EXIT_FAILED;
	}
out:
	rehearsal_release(&r);
	free(decline);
	jv_free(raw);
	cli_setup_release(&su);
	state_close(st);
	diag_list_release(&dl);
	return rc;
}
