/* drills.c — `runbook drills [RUNBOOK]`: the drill register (state_drills: a folder's
 * DIR/drills.jsonl, written by drill.c) as a table in time order, with the trend: each drill's RTO
 * against the previous drill of the same runbook and mode, flagged when it is slower
 * than that one or than its objective. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"
#include "../state/state.h"

static const char help[] =
	"The drill register (DIR/drills.jsonl, default $RUNBOOK_STATE_DIR or ./.runbook) in\n"
	"time order: date, runbook, scenario or live, RTO and RPO achieved against their\n"
	"objectives, the result, and the trend: each drill against the previous drill of the\n"
	"same runbook and mode (slower or faster), flagged with '!' when it is slower than\n"
	"that one or than its objective. RUNBOOK: only the drills of that runbook (its name\n"
	"or its file).\n\n";

const struct cli_opt cli_drills_opts[] = {
	{ "state-dir", 0, "DIR", NULL, 'd',
	  "the state store: a folder, or a postgresql:// URI (default\n$RUNBOOK_STATE_DIR or ./.runbook)" },
	{ "format", 0, "FORMAT", "text|json", 'f', "text (default) or json" },
	CLI_OPT_END,
};

static const char help_tail[] =
	"";

/* the register's records in the order appended, each with "line" (its number, from
 * 1); corrupt ones are warned about (WHERE:LINE) and skipped. An absent register is
 * empty. */
static jv read_register(struct state *st, const char *where)
{
	jv all = state_drills(st), out = jv_array();
	if (!jv_is_valid(all)) {
		jv m = jv_invalid_get_msg(all);
		cli_error("%s", jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "cannot read the drill register");
		jv_free(m);
		return out;
	}
	jv_array_foreach(all, i, v) {
		int ln = i + 1;
		const char *why = NULL;
		if (jv_get_kind(v) != JV_KIND_OBJECT)
			why = "not a JSON object";
		else if (jvx_int(v, "v", 0) != 1)
			why = "not a version 1 drill record";
		else if (!jvx_str(v, "runbook") || !jvx_str(v, "started") || !jvx_str(v, "mode"))
			why = "a drill record needs runbook, mode and started";
		if (why) {
			fprintf(stderr, "%s:%d: warning: %s: line skipped\n", where, ln, why);
			jv_free(v);
			continue;
		}
		out = jv_array_append(out, jv_object_set(v, jv_string("line"), jv_number(ln)));
	}
	jv_free(all);
	return out;
}

/* started, then file order: a stable time order */
static int by_time(const void *a, const void *b)
{
	const jv *x = a, *y = b;
	int c = strcmp(jvx_str(*x, "started"), jvx_str(*y, "started"));
	return c ? c : (int)(jvx_int(*x, "line", 0) - jvx_int(*y, "line", 0));
}

/* whether record r is of the runbook named (by name or by file) */
static int matches(jv r, const char *want, const char *want_real)
{
	const char *name = jvx_str(r, "runbook"), *path = jvx_str(r, "path");
	return (name && !strcmp(name, want)) || (path && !strcmp(path, want)) ||
	       (path && want_real && !strcmp(path, want_real));
}

static int64_t ms_of(jv r, const char *obj, const char *key)
{
	jv o = jvx_get(r, obj);
	int64_t v = jvx_int(o, key, -1);
	jv_free(o);
	return v;
}

/* the trend of r against prev (or invalid): {previous_run, delta_ms, slower, over_objective} */
static jv trend_of(jv r, jv prev)
{
	jv t = jv_object();
	int64_t a = ms_of(r, "rto", "achieved_ms"), o = ms_of(r, "rto", "objective_ms");
	int64_t p = jv_is_valid(prev) ? ms_of(prev, "rto", "achieved_ms") : -1;
	t = jv_object_set(t, jv_string("previous_run"), jv_is_valid(prev) && jvx_str(prev, "run") ?
			  jv_string(jvx_str(prev, "run")) : jv_null());
	t = jv_object_set(t, jv_string("delta_ms"), a >= 0 && p >= 0 ? jv_number((double)(a - p)) : jv_null());
	t = jv_object_set(t, jv_string("slower"), jv_bool(a >= 0 && p >= 0 && a > p));
	t = jv_object_set(t, jv_string("over_objective"), jv_bool(a >= 0 && o >= 0 && a > o));
	return t;
}

/* "40m / 30m", "- / 5m" */
static void pair(char *out, size_t n, jv r, const char *obj)
{
	char a[32] = "-", o[32] = "-";
	int64_t x = ms_of(r, obj, "achieved_ms"), y = ms_of(r, obj, "objective_ms");
	if (x >= 0)
		dur_format(x, a, sizeof(a));
	if (y >= 0)
		dur_format(y, o, sizeof(o));
	snprintf(out, n, "%s / %s", a, o);
}

static const char *result_word(jv r)
{
	int64_t code = jvx_int(r, "exit_code", -1);
	jv m = jvx_get(r, "met");
	int k = jv_get_kind(m);
	jv_free(m);
	if (code != 0 && code != 5)
		return "run failed";
	return k == JV_KIND_TRUE ? "met" : k == JV_KIND_FALSE ? "missed" : "not measured";
}

static void print_table(jv rows, FILE *out)
{
	fprintf(out, "%-16s  %-22s %-30s %-20s %-20s %-12s %s\n", "DATE (UTC)", "RUNBOOK", "MODE", "RTO / OBJECTIVE",
		"RPO / OBJECTIVE", "RESULT", "TREND");
	jv_array_foreach(rows, i, r) {
		char date[20], rto[48], rpo[48], mode[64], trend[96], d[32];
		const char *st = jvx_str(r, "started"), *scen = jvx_str(r, "scenario");
		/* 2026-11-22T03:18:43.123Z -> 2026-11-22 03:18 */
		snprintf(date, sizeof(date), "%.10s %.5s", st, strlen(st) > 11 ? st + 11 : "");
		if (scen) {
			const char *b = strrchr(scen, '/');
			b = b ? b + 1 : scen;
			size_t l = strlen(b);
			if (l > 5 && !strcmp(b + l - 5, ".yaml"))
				l -= 5;
			snprintf(mode, sizeof(mode), "scenario %.*s", (int)l, b);
		} else {
			snprintf(mode, sizeof(mode), "%s", jvx_str(r, "mode"));
		}
		pair(rto, sizeof(rto), r, "rto");
		pair(rpo, sizeof(rpo), r, "rpo");
		jv t = jvx_get(r, "trend");
		int64_t delta = jvx_int(t, "delta_ms", INT64_MIN);
		int slower = jvx_bool(t, "slower", 0), over = jvx_bool(t, "over_objective", 0);
		if (delta == INT64_MIN)
			snprintf(trend, sizeof(trend), "%s", jvx_str(t, "previous_run") ? "-" : "first");
		else if (delta == 0)
			snprintf(trend, sizeof(trend), "same");
		else
			snprintf(trend, sizeof(trend), "%s%s %s", delta > 0 ? "+" : "-",
				 dur_format(delta > 0 ? delta : -delta, d, sizeof(d)), delta > 0 ? "slower" : "faster");
		if (slower || over) {
			size_t l = strlen(trend);
			snprintf(trend + l, sizeof(trend) - l, " !%s", over ? " over objective" : "");
		}
		jv_free(t);
		fprintf(out, "%-16s  %-22s %-30s %-20s %-20s %-12s %s\n", date, jvx_str(r, "runbook"), mode, rto, rpo,
			result_word(r), trend);
		jv_free(r);
		(void)i;
	}
}

int cmd_drills(int argc, char **argv)
{
	const char *state_opt = NULL, *format = "text", *want = NULL;
	char path[PATH_MAX];
	char *want_real = NULL;
	int c;
	optind = 1;
	while ((c = cli_opt_next(cli_drills_opts, argc, argv)) != -1) {
		switch (c) {
		case 'd': state_opt = optarg; break;
		case 'f': format = optarg; break;
		case 'h': cli_help(stdout, help, cli_drills_opts, help_tail); return 0;
		default: cli_help(stderr, help, cli_drills_opts, help_tail); return 2;
		}
	}
	if (argc - optind > 1) {
		cli_error("drills takes at most one RUNBOOK");
		cli_help(stderr, help, cli_drills_opts, help_tail);
		return 2;
	}
	if (strcmp(format, "text") && strcmp(format, "json")) {
		cli_error("unknown --format '%s' (text or json)", format);
		return 2;
	}
	if (optind < argc) {
		want = argv[optind];
		want_real = realpath(want, NULL);
	}
	struct state *st = cli_state_open(state_opt);
	if (!st) {
		free(want_real);
		return 2;
	}
	if (state_kind_of(st) == STATE_FOLDER)
		snprintf(path, sizeof(path), "%s/drills.jsonl", state_name(st));
	else
		snprintf(path, sizeof(path), "%s", state_name(st));
	jv all = read_register(st, path);
	state_close(st);
	int n = jv_array_length(jv_copy(all));
	jv *recs = xcalloc((size_t)(n ? n : 1), sizeof(*recs));
	for (int i = 0; i < n; i++)
		recs[i] = jv_array_get(jv_copy(all), i);
	jv_free(all);
	qsort(recs, (size_t)n, sizeof(*recs), by_time);
	/* the trend over every drill (a filter only hides rows) */
	jv rows = jv_array();
	for (int i = 0; i < n; i++) {
		jv prev = jv_invalid();
		for (int k = i - 1; k >= 0 && !jv_is_valid(prev); k--)
			if (!strcmp(jvx_str(recs[k], "runbook"), jvx_str(recs[i], "runbook")) &&
			    !strcmp(jvx_str(recs[k], "mode"), jvx_str(recs[i], "mode")))
				prev = jv_copy(recs[k]);
		jv r = jv_object_set(jv_copy(recs[i]), jv_string("trend"), trend_of(recs[i], prev));
		jv_free(prev);
		r = jv_object_delete(r, jv_string("line"));
		if (!want || matches(r, want, want_real))
			rows = jv_array_append(rows, r);
		else
			jv_free(r);
	}
	for (int i = 0; i < n; i++)
		jv_free(recs[i]);
	free(recs);
	if (!strcmp(format, "json")) {
		char *t = jvx_dump_pretty(rows);
		printf("%s\n", t);
		free(t);
	} else if (jv_array_length(jv_copy(rows)) == 0) {
		if (want)
			printf("no drills of '%s' in %s\n", want, path);
		else
			printf("no drills recorded in %s (runbook drill FILE --scenario S adds one)\n", path);
		jv_free(rows);
	} else {
		print_table(rows, stdout);
		jv_free(rows);
	}
	free(want_real);
	return 0;
}
