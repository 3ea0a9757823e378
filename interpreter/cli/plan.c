/* plan.c — `runbook plan FILE [-p K=V]... [--params-file F] [--format text|json]`:
 * check the runbook and its params, then print what a run would do: the steps in
 * order with their kind, action, dependencies, parallel level, whether they change
 * anything and how long they usually take, and the projected critical path.
 * Nothing runs. Exit 0, or 2 on invalid input or usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"
#include "../core/redact.h"

static const char usage[] =
	"Validate FILE and its params and print the plan of a run without running anything:\n"
	"every step in execution order with its kind, action, dependencies, parallel level,\n"
	"whether it changes anything (mutates) and its typical duration; the groups of steps\n"
	"that can run in parallel; the steps that would change something; and the projected\n"
	"duration of the critical path (from the actions' typical durations).\n"
	"\n"
	;

const struct cli_opt cli_plan_opts[] = {
	{ "param", 'p', "K=V", NULL, 'p', "a param value (repeatable; wins over --params-file);\n"
	  "K@FILE: the value is FILE's content", CLI_OPT_MANY },
	{ "params-file", 0, "F", NULL, 'f', "params from a YAML or JSON map" },
	{ "format", 0, "text|json", NULL, 'F', "output format (default text); json is the plan as data" },
	{ "state-dir", 0, "DIR", NULL, 'd', "accepted for symmetry with the other commands (unused)" },
	CLI_OPT_END,
};

static const char usage_tail[] =
	"\n"
	"Secret params are shown as ***; -p K@FILE reads one from FILE, RUNBOOK_PARAM_K (K in\n"
	"upper case) gives one from the environment. Exit status: 0, or 2 on invalid input or usage.\n";

enum plan_fmt { FMT_TEXT, FMT_JSON };

static char *ms_text(int64_t ms, char *b, size_t n)
{
	if (ms <= 0) {
		snprintf(b, n, "-");
		return b;
	}
	return dur_format(ms, b, n);
}

/* value of param i, "***" for secrets; malloc'd */
static char *param_text(const struct rb_param *pm, jv values, struct redactor *rd)
{
	jv v;
	char *t, *r;
	if (pm->flags & PARAM_SECRET)
		return xstrdup(REDACT_MASK);
	v = jvx_get(values, pm->name);
	if (!jv_is_valid(v)) {
		jv_free(v);
		return xstrdup("(unset)");
	}
	t = jvx_text(v);
	r = redact_str(rd, t);
	free(t);
	return r;
}

static jv params_values(const struct runbook *rb, jv values, struct redactor *rd)
{
	jv o = jv_object();
	for (int i = 0; i < rb->nparams; i++) {
		const struct rb_param *pm = &rb->params[i];
		jv v = jvx_get(values, pm->name);
		if (!jv_is_valid(v)) {
			jv_free(v);
			continue;
		}
		if (pm->flags & PARAM_SECRET) {
			jv_free(v);
			v = jv_string(REDACT_MASK);
		}
		o = jv_object_set(o, jv_string(pm->name), v);
	}
	return redact_jv(rd, o);
}

static const char *node_action(const struct plan_node *nd)
{
	const struct rb_step *s = nd->step;
	if (s->kind == STEP_ACTION && s->action)
		return s->action;
	if (s->kind == STEP_WAIT && s->wait.action)
		return s->wait.action;
	if (s->kind == STEP_USES && s->uses)
		return s->uses;
	return "-";
}

static int needs_text(struct buf *b, const struct plan *p, const struct plan_node *nd)
{
	int berr = 0;
	if (!nd->ndeps) {
		berr |= buf_adds(b, "-");
		return berr;
	}
	for (int k = 0; k < nd->ndeps; k++) {
		if (k)
			berr |= buf_addc(b, ',');
		berr |= buf_adds(b, p->nodes[nd->deps[k]].qid);
	}
	return berr;
}

/* The table has a row per step: printf's "%-*s" costs ~3 K instructions a row, a third
 * of `plan` on 10,000 steps; these append the same text directly. */
static int add_spaces(struct buf *b, int n)
{
	static const char sp[] = "                                ";
	int berr = 0;
	for (; n > 0; n -= (int)sizeof(sp) - 1)
		berr |= buf_add(b, sp, n < (int)sizeof(sp) - 1 ? (size_t)n : sizeof(sp) - 1);
	return berr;
}

/* s padded to w bytes: on the right (printf's "%-*s"), or on the left ("%*s") */
static int add_cell(struct buf *b, const char *s, int w, int right)
{
	int berr = 0, pad = w - (int)strlen(s);
	if (right)
		berr |= add_spaces(b, pad);
	berr |= buf_adds(b, s);
	if (!right)
		berr |= add_spaces(b, pad);
	return berr;
}

/* "%*d" */
static int add_int(struct buf *b, int v, int w)
{
	char d[16], *q = d + sizeof(d);
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
	*--q = '\0';
	do
		*--q = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--q = '-';
	return add_cell(b, q, w, 1);
}

static int width(int w, const char *s)
{
	int l = (int)strlen(s);
	return l > w ? l : w;
}

static int print_text(FILE *out, const struct plan *p, jv values, struct redactor *rd)
{
	int berr = 0;
	const struct runbook *rb = p->rb;
	struct exprset *set = p->loader->exprs;
	struct buf b = BUF_INIT(0), cell = BUF_INIT(0);
	int wid = 4, wkind = 4, wact = 6, wneeds = 5, nmut = 0;
	int *path = NULL, npath;
	char d[64], typical[64];
	int64_t last_ms = -1;

	berr |= buf_addf(&b, "runbook %s (%s)\n", rb->name ? rb->name : "?", rb->path ? rb->path : "?");
	if (rb->description)
		berr |= buf_addf(&b, "%s\n", rb->description);
	if (rb->nparams) {
		berr |= buf_adds(&b, "params:");
		for (int i = 0; i < rb->nparams; i++) {
			char *t = param_text(&rb->params[i], values, rd);
			berr |= buf_addf(&b, " %s=%s", rb->params[i].name, t);
			free(t);
		}
		berr |= buf_addc(&b, '\n');
	}
	if (rb->lock) {
		char *t = tmpl_source(rb->lock, set);
		jv key = plan_lock_key(p, values);
		berr |= buf_addf(&b, "lock: %s", t ? t : "?");
		if (jv_is_valid(key) && (!t || strcmp(t, jv_string_value(key)))) {
			berr |= buf_addf(&b, " (key '%s')", jv_string_value(key));
		} else if (!jv_is_valid(key)) {
			jv m = jv_invalid_get_msg(key);
			key = jv_null();
			berr |= buf_addf(&b, " (a run would refuse it: %s)", jv_get_kind(m) == JV_KIND_STRING ?
					 jv_string_value(m) : "?");
			jv_free(m);
		}
		berr |= buf_addc(&b, '\n');
		jv_free(key);
		free(t);
	}

	for (int x = 0; x < p->n; x++) {
		const struct plan_node *nd = &p->nodes[x];
		wid = width(wid, nd->qid);
		wkind = width(wkind, step_kind_name(nd->step->kind));
		wact = width(wact, node_action(nd));
		buf_reset(&cell);
		berr |= needs_text(&cell, p, nd);
		wneeds = width(wneeds, buf_str(&cell));
		nmut += nd->mutating;
	}
	if (wneeds > 40)
		wneeds = 40;
	berr |= buf_addf(&b, "\n%d step%s in %d level%s, %d mutating\n\n", p->n, p->n == 1 ? "" : "s",
		 p->nlevels, p->nlevels == 1 ? "" : "s", nmut);
	berr |= buf_addf(&b, "  %4s  %5s  %-*s  %-*s  %-*s  %-*s  %-7s  %s\n", "#", "LEVEL", wid, "STEP",
		 wkind, "KIND", wact, "ACTION", wneeds, "NEEDS", "MUTATES", "TYPICAL");
	for (int i = 0; i < p->n; i++) {
		const struct plan_node *nd = &p->nodes[p->order[i]];
		const struct rb_step *s = nd->step;
		buf_reset(&cell);
		berr |= needs_text(&cell, p, nd);
		if (nd->typical_ms != last_ms) {
			last_ms = nd->typical_ms;
			ms_text(last_ms, typical, sizeof(typical));
		}
		/* "  %4d  %5d  %-*s  %-*s  %-*s  %-*s  %-7s  %s\n" */
		berr |= buf_adds(&b, "  ");
		berr |= add_int(&b, i + 1, 4);
		berr |= buf_adds(&b, "  ");
		berr |= add_int(&b, nd->level, 5);
		berr |= buf_adds(&b, "  ");
		berr |= add_cell(&b, nd->qid, wid, 0);
		berr |= buf_adds(&b, "  ");
		berr |= add_cell(&b, step_kind_name(s->kind), wkind, 0);
		berr |= buf_adds(&b, "  ");
		berr |= add_cell(&b, node_action(nd), wact, 0);
		berr |= buf_adds(&b, "  ");
		berr |= add_cell(&b, buf_str(&cell), wneeds, 0);
		berr |= buf_adds(&b, "  ");
		berr |= add_cell(&b, nd->mutating ? "yes" : "no", 7, 0);
		berr |= buf_adds(&b, "  ");
		berr |= buf_adds(&b, typical);
		berr |= buf_addc(&b, '\n');
		if (s->when >= 0)
			berr |= buf_addf(&b, "        when: %s\n", exprset_text(set, s->when));
		if (s->for_each >= 0)
			berr |= buf_addf(&b, "        for each: %s\n", exprset_text(set, s->for_each));
		if (!s->critical)
			berr |= buf_adds(&b, "        not critical: a failure is recorded and the run goes on\n");
		for (int k = 0; k < s->nrollback; k++) {
			const struct rb_step *r = &s->rollback[k];
			berr |= buf_addf(&b, "        rollback %d: %s", k + 1, step_kind_name(r->kind));
			if (r->kind == STEP_ACTION && r->action)
				berr |= buf_addf(&b, " %s", r->action);
			else if (r->kind == STEP_WAIT && r->wait.action)
				berr |= buf_addf(&b, " %s", r->wait.action);
			berr |= buf_addc(&b, '\n');
		}
	}

	berr |= buf_adds(&b, "\nparallel groups:\n");
	{
		/* bucket the order by level (counting sort: linear, keeps the order) */
		int *start = xcalloc((size_t)p->nlevels + 1, sizeof(int));
		int *by = xmalloc(((size_t)p->n + 1) * sizeof(int));
		for (int x = 0; x < p->n; x++)
			start[p->nodes[x].level + 1]++;
		for (int l = 0; l < p->nlevels; l++)
			start[l + 1] += start[l];
		for (int i = 0; i < p->n; i++)
			by[start[p->nodes[p->order[i]].level]++] = p->order[i];
		for (int l = 0, i = 0; l < p->nlevels; l++) {
			int cnt = 0;
			buf_reset(&cell);
			for (; i < p->n && p->nodes[by[i]].level == l; i++, cnt++) {
				if (cnt)
					berr |= buf_adds(&cell, ", ");
				berr |= buf_adds(&cell, p->nodes[by[i]].qid);
			}
			berr |= buf_adds(&b, "  level ");
			berr |= add_int(&b, l, 0);
			berr |= buf_adds(&b, ": ");
			berr |= buf_adds(&b, buf_str(&cell));
			berr |= buf_adds(&b, cnt > 1 ? "  (in parallel)\n" : "\n");
		}
		free(start);
		free(by);
	}

	berr |= buf_addf(&b, "\nmutating steps (%d):", nmut);
	if (!nmut)
		berr |= buf_adds(&b, " none");
	for (int i = 0, c = 0; i < p->n; i++) {
		const struct plan_node *nd = &p->nodes[p->order[i]];
		if (nd->mutating) {
			berr |= buf_adds(&b, c++ ? ", " : " ");
			berr |= buf_adds(&b, nd->qid);
		}
	}
	berr |= buf_addc(&b, '\n');

	npath = plan_critical_path(p, &path);
	berr |= buf_adds(&b, "critical path:");
	for (int i = 0; i < npath; i++) {
		berr |= buf_adds(&b, i ? " -> " : " ");
		berr |= buf_adds(&b, p->nodes[path[i]].qid);
	}
	berr |= buf_addf(&b, "%s(projected %s", npath ? " " : " none ",
		 dur_format(p->critical_ms, d, sizeof(d)));
	for (int i = 0; i < npath; i++)
		if (p->nodes[path[i]].step->for_each >= 0) {
			berr |= buf_adds(&b, "; for_each steps counted once");
			break;
		}
	berr |= buf_adds(&b, ")\n");
	free(path);
	if (rb->objectives.has & OBJ_RTO) {
		berr |= buf_addf(&b, "objective: rto %s", dur_format(rb->objectives.rto_ms, d, sizeof(d)));
		berr |= buf_addf(&b, " (projected %s)", p->critical_ms <= rb->objectives.rto_ms ?
			 "within it" : "OVER it");
		if (rb->objectives.restored)
			berr |= buf_addf(&b, ", measured to the end of step '%s'", rb->objectives.restored);
		berr |= buf_addc(&b, '\n');
	}
	if (rb->objectives.has & OBJ_RPO) {
		berr |= buf_addf(&b, "objective: rpo %s", dur_format(rb->objectives.rpo_ms, d, sizeof(d)));
		if (rb->objectives.recovery_point >= 0 && rb->objectives.incident_time >= 0)
			berr |= buf_addf(&b, " (measured: %s - %s)", exprset_text(p->loader->exprs, rb->objectives.incident_time),
				 exprset_text(p->loader->exprs, rb->objectives.recovery_point));
		berr |= buf_addc(&b, '\n');
	}
	if (!berr && redact_count(rd) == 0) {
		fwrite(buf_str(&b), 1, b.len, out);    /* nothing to mask */
	} else if (!berr) {
		char *safe = redact_str(rd, buf_str(&b));
		fputs(safe, out);
		free(safe);
	}
	buf_release(&b);
	buf_release(&cell);
	return berr;
}

int cmd_plan(int argc, char **argv)
{
	int berr = 0;
	const char *file = NULL, *fmt_name = "text";
	enum plan_fmt fmt = FMT_TEXT;
	jv raw = jv_object(), values = jv_invalid();
	struct diag_list dl = { 0 };
	struct cli_loaded l;
	struct redactor *rd = NULL;
	const char **files = xcalloc((size_t)argc + 1, sizeof(char *));
	int nfiles = 0, loaded = 0, rc = 2;

	memset(&l, 0, sizeof(l));
	/* first pass: options (the params file is read after the -p values) */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		switch (cli_opt_match(cli_plan_opts, argc, argv, &i, &v)) {
		case 'h':
			cli_help(stdout, usage, cli_plan_opts, usage_tail);
			rc = 0;
			goto out;
		case '?': goto usage;
		case 'p':
			if (cli_param_add(&raw, v) < 0)
				goto out;
			continue;
		case 'f': files[nfiles++] = v; continue;
		case 'F': fmt_name = v; continue;
		case 'd': continue;
		}
		if (a[0] == '-' && a[1]) {
			cli_error("plan: unknown option '%s'", a);
			goto usage;
		} else if (file) {
			cli_error("plan: one FILE at a time");
			goto usage;
		} else {
			file = a;
		}
	}
	if (!file)
		goto usage;
	if (!strcmp(fmt_name, "text"))
		fmt = FMT_TEXT;
	else if (!strcmp(fmt_name, "json"))
		fmt = FMT_JSON;
	else {
		cli_error("plan: unknown format '%s' (text or json)", fmt_name);
		goto usage;
	}
	for (int i = 0; i < nfiles; i++)
		if (cli_params_file(&raw, files[i], &dl) < 0)
			goto out;    /* printed by cli_params_file */

	loaded = 1;
	if (cli_load(file, &l, &dl) < 0 || dl.nerrors) {
		cli_print_diags(&dl);
		goto out;
	}
	if (dl.n) {
		/* warnings (a used runbook's lock:): said once, before anything else */
		cli_print_diags(&dl);
		diag_list_release(&dl);
	}
	rd = cli_redactor_new();
	if (cli_params_secret(&raw, l.rb, 0) < 0)
		goto out;
	values = params_resolve(l.rb, jv_copy(raw), rd, &dl);
	if (!jv_is_valid(values) || dl.nerrors) {
		cli_print_diags(&dl);
		goto out;
	}
	if (fmt == FMT_JSON) {
		jv j = plan_to_json(&l.plan);
		j = jv_object_set(j, jv_string("values"), params_values(l.rb, values, rd));
		jv key = plan_lock_key(&l.plan, values);
		if (jv_is_valid(key))
			j = jv_object_set(j, jv_string("lock_key"), key);
		else
			jv_free(key);
		/* secret params are masked by name above; any secret value written elsewhere
		 * in the runbook is masked here (nothing to do without secrets) */
		if (redact_count(rd) > 0)
			j = redact_jv(rd, j);
		char *text = jvx_dump_pretty(j);
		fputs(text, stdout);
		fputc('\n', stdout);
		free(text);
	} else {
		berr |= print_text(stdout, &l.plan, values, rd);
	}
	if (berr)
		cli_error("cannot print the plan: a line is too long");
	rc = berr || fflush(stdout) ? 1 : 0;
	goto out;
usage:
	rc = cli_usage("plan");
out:
	if (loaded)
		cli_unload(&l);
	diag_list_release(&dl);
	jv_free(raw);
	jv_free(values);
	if (rd)
		redact_free(rd);
	free(files);
	return rc;
}
