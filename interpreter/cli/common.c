/* common.c — what the subcommands share: errors, state dir, search path, loading. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "config.h"
#include "cli.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "../engine/engine.h"
#include "../lang/yaml.h"
#include "../modules/registry.h"
#include "../core/caps.h"
#include "../core/dur.h"
#include "../state/state.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("runbook: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const char *cmd)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (!strcmp(c->name, cmd)) {
			cli_usage_lines(stderr, c);
			return 2;
		}
	fprintf(stderr, "usage: runbook COMMAND [ARGS]\n");
	return 2;
}

int cli_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	if ((nc && *nc) || (term && !strcmp(term, "dumb")))
		return 0;
	return isatty(fileno(f));
}

const char *cli_state_dir(const char *opt)
{
	const char *env = getenv("RUNBOOK_STATE_DIR");
	return opt && *opt ? opt : env && *env ? env : ".runbook";
}

struct state *cli_state_open(const char *opt)
{
	jv err = jv_invalid();
	struct state *st = state_open(cli_state_dir(opt), &err);
	if (!st) {
		/* the store's message never holds a password (state.h) */
		cli_error("%s: %s", opt && *opt ? "--state-dir" : getenv("RUNBOOK_STATE_DIR") &&
			  *getenv("RUNBOOK_STATE_DIR") ? "RUNBOOK_STATE_DIR" : "the state store",
			  jv_is_valid(err) ? jv_string_value(err) : "cannot open it");
		jv_free(err);
	}
	return st;
}

const char *cli_scratch_dir(struct state *st)
{
	return state_kind_of(st) == STATE_FOLDER ? state_name(st) : ".runbook";
}

int cli_duration_opt(const char *flag, const char *arg, int64_t *ms)
{
	if (dur_parse(arg, ms) < 0 || *ms <= 0) {
		cli_error("%s wants a duration such as 30s or 5m, not '%s'", flag, arg);
		return -1;
	}
	return 0;
}

/* PREFIX/DATADIR/runbook when this binary runs from PREFIX/BINDIR and that folder has
 * a stdlib/ (the layout `meson install` makes); -1 otherwise (build tree) */
static int installed_datadir(char *out, size_t len)
{
	char exe[4096];
	ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
	const char *bindir = RUNBOOK_BINDIR_REL, *datadir = RUNBOOK_DATADIR_REL;
	if (l <= 0 || !*bindir || bindir[0] == '/' || !*datadir || datadir[0] == '/')
		return -1;
	exe[l] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = 0;   /* exe is now the binary's folder: PREFIX/BINDIR */
	size_t el = strlen(exe), bl = strlen(bindir);
	if (el <= bl || exe[el - bl - 1] != '/' || strcmp(exe + el - bl, bindir))
		return -1;
	exe[el - bl - 1] = 0;
	int w = snprintf(out, len, "%s/%s/runbook", exe, datadir);
	if (w < 0 || (size_t)w >= len)
		return -1;
	char probe[4096 + 16];
	snprintf(probe, sizeof probe, "%s/stdlib", out);
	return access(probe, R_OK | X_OK) == 0 ? 0 : -1;
}

const char **cli_search_path(void)
{
	static const char *path[64];
	static char *copy;
	int n = 0;
	if (path[0])
		return path;
	const char *env = getenv("RUNBOOK_PATH");
	if (env && *env) {
		copy = xstrdup(env);
		for (char *save = NULL, *p = strtok_r(copy, ":", &save); p && n < 60;
		     p = strtok_r(NULL, ":", &save))
			path[n++] = p;
	}
	/* an installed binary uses its own data folder (found from where the binary is, so
	 * a DESTDIR or moved prefix works too), then the configured one; a binary in the
	 * build tree uses the source tree first */
	static char own[4096];
	if (installed_datadir(own, sizeof own) == 0) {
		path[n++] = own;
		path[n++] = RUNBOOK_DATADIR;
	} else {
		path[n++] = RUNBOOK_SRCDIR;
		path[n++] = RUNBOOK_DATADIR;
	}
	path[n] = NULL;
	return path;
}

int cli_load(const char *path, struct cli_loaded *out, struct diag_list *dl)
{
	memset(out, 0, sizeof(*out));
	loader_init(&out->loader, cli_search_path());
	if (registry_init() < 0) {
		diag_error(dl, NULL, "cannot initialise the action modules");
		return -1;
	}
	out->rb = runbook_load(&out->loader, path, dl);
	if (!out->rb)
		return -1;
	out->have_plan = plan_build(&out->plan, out->rb, &out->loader, dl) == 0 || out->plan.nodes;
	/* binding errors (unknown functions, variables) only once the syntax is clean,
	 * so one mistake is reported once */
	if (dl->nerrors == 0)
		exprset_compile(out->loader.exprs, dl);
	return dl->nerrors ? -1 : 0;
}

void cli_unload(struct cli_loaded *l)
{
	if (l->have_plan || l->plan.nodes)
		plan_release(&l->plan);
	if (l->rb)
		runbook_free(l->rb);
	loader_release(&l->loader);
	memset(l, 0, sizeof(*l));
}

void cli_print_diags(struct diag_list *dl)
{
	diag_sort(dl);
	diag_print(dl, stderr, cli_color(stderr));
}

/* the params given as K=V on the command line (a secret there is visible to every
 * user of the machine: cli_params_secret warns) */
static char **cmdline_keys;
static int ncmdline_keys, acmdline_keys;


/* NAME@FILE: the file's content, less one trailing newline */
static int param_from_file(jv *raw, const char *name, size_t nlen, const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b = BUF_INIT(CAP_SECRET_FILE);
	char chunk[4096];
	size_t got;
	int rc = -1;
	if (!f) {
		cli_error("cannot read '%s' for param '%.*s': %s", path, (int)nlen, name, strerror(errno));
		return -1;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&b, chunk, got) < 0) {
			cli_error("'%s' for param '%.*s' is larger than %d bytes", path, (int)nlen, name, CAP_SECRET_FILE);
			goto out;
		}
	if (ferror(f)) {
		cli_error("cannot read '%s' for param '%.*s': %s", path, (int)nlen, name, strerror(errno));
		goto out;
	}
	if (memchr(buf_str(&b), 0, b.len)) {
		cli_error("'%s' for param '%.*s' holds a NUL byte", path, (int)nlen, name);
		goto out;
	}
	size_t len = b.len;
	if (len && b.data[len - 1] == '\n')
		len--;
	if (len && b.data[len - 1] == '\r')
		len--;
	if (jv_get_kind(*raw) != JV_KIND_OBJECT) {
		jv_free(*raw);
		*raw = jv_object();
	}
	*raw = jv_object_set(*raw, jv_string_sized(name, (int)nlen), jv_string_sized(buf_str(&b), (int)len));
	rc = 0;
out:
	/* the bytes were a secret: do not leave them in freed memory */
	if (b.data)
		memset(b.data, 0, b.cap);
	buf_release(&b);
	fclose(f);
	return rc;
}

int cli_param_add(jv *raw, const char *kv)
{
	const char *eq = strchr(kv, '='), *at = strchr(kv, '@');
	if (at && at != kv && (!eq || at < eq) && at[1])
		return param_from_file(raw, kv, (size_t)(at - kv), at + 1);
	if (!eq || eq == kv) {
		cli_error("-p wants KEY=VALUE or KEY@FILE, got '%s'", kv);
		return -1;
	}
	if (jv_get_kind(*raw) != JV_KIND_OBJECT) {
		jv_free(*raw);
		*raw = jv_object();
	}
	*raw = jv_object_set(*raw, jv_string_sized(kv, (int)(eq - kv)), jv_string(eq + 1));
	ALLOC_GROW(cmdline_keys, ncmdline_keys + 1, acmdline_keys);
	cmdline_keys[ncmdline_keys++] = xstrndup(kv, (size_t)(eq - kv));
	return 0;
}

/* RUNBOOK_PARAM_ + the name in upper case */
static char *param_env_name(const char *name)
{
	size_t n = strlen(name);
	char *e = xmalloc(n + sizeof("RUNBOOK_PARAM_"));
	memcpy(e, "RUNBOOK_PARAM_", 14);
	for (size_t i = 0; i <= n; i++)
		e[14 + i] = (char)toupper((unsigned char)name[i]);
	return e;
}

/* a line from the terminal without echo; NULL on end of input */
static char *prompt_secret(const char *name)
{
	struct termios old, quiet;
	int have = tcgetattr(STDIN_FILENO, &old) == 0;
	char *line = NULL;
	size_t cap = 0;
	/* echo off before the prompt shows: what is typed after it is never echoed */
	if (have) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	fprintf(stderr, "runbook: secret param '%s' (not echoed): ", name);
	fflush(stderr);
	ssize_t n = getline(&line, &cap, stdin);
	if (have)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	if (n < 0) {
		fputc('\n', stderr);
		free(line);
		return NULL;
	}
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	return line;
}

int cli_params_secret(jv *raw, const struct runbook *rb, unsigned flags)
{
	if (jv_get_kind(*raw) != JV_KIND_OBJECT) {
		jv_free(*raw);
		*raw = jv_object();
	}
	for (int i = 0; i < rb->nparams; i++) {
		const struct rb_param *p = &rb->params[i];
		if (!(p->flags & PARAM_SECRET))
			continue;
		char *env = param_env_name(p->name);
		for (int k = 0; (flags & CLI_SECRET_WARN) && k < ncmdline_keys; k++)
			if (!strcmp(cmdline_keys[k], p->name)) {
				fprintf(stderr, "runbook: warning: secret param '%s' given on the command line, where "
					"other users see it (ps, /proc); use %s, -p %s@FILE or the prompt\n",
					p->name, env, p->name);
				break;
			}
		const char *v = getenv(env);
		if (!jvx_has(*raw, p->name) && v && *v)
			*raw = jv_object_set(*raw, jv_string(p->name), jv_string(v));
		free(env);
		if (jvx_has(*raw, p->name) || !(p->flags & PARAM_REQUIRED) || jv_is_valid(p->def) ||
		    !(flags & CLI_SECRET_PROMPT) || !isatty(STDIN_FILENO))
			continue;
		char *line = prompt_secret(p->name);
		if (!line) {
			cli_error("no value given for secret param '%s'", p->name);
			return -1;
		}
		*raw = jv_object_set(*raw, jv_string(p->name), jv_string(line));
		memset(line, 0, strlen(line));
		free(line);
	}
	return 0;
}

/* Credentials the modules (and the clients an exec step runs) read from the
 * environment: expressions see them through $ENV and env, so they are secrets. */
static const char *const credential_env[] = {
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "PGPASSWORD", "REDISCLI_AUTH", "REDIS_PASSWORD",
	"KUBE_TOKEN", "KUBERNETES_TOKEN", NULL,
};

struct redactor *cli_redactor_new(void)
{
	extern char **environ;
	struct redactor *r = redact_new();
	for (const char *const *n = credential_env; *n; n++)
		redact_add(r, getenv(*n));
	/* RUNBOOK_PARAM_*: secret params (only secret ones are read from there) */
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (eq && !strncmp(*e, "RUNBOOK_PARAM_", 14))
			redact_add(r, eq + 1);
	}
	redact_set_current(r);
	return r;
}

/* A params file holds values, secrets among them: its diagnostics name the place
 * (line, column) but never quote its lines; a file that is not a map of params
 * (--params-file /etc/shadow) is named only. */
int cli_params_file(jv *raw, const char *path, struct diag_list *dl)
{
	struct source_list sl = { 0 };
	struct ydoc doc = { 0 };
	struct diag_list pdl = { 0 };
	int rc = -1;
	const struct source *src = source_load(&sl, path, dl);
	if (!src)
		goto out;
	struct srcloc file = { src, 0, 0 }, bad;
	const char *why;
	if (ydoc_check_text(src, &bad, &why) < 0) {
		diag_error(dl, &file, "not a params file: it %s", !strcmp(why, "is not UTF-8 text") ?
			   "is not UTF-8 text" : "holds binary data (a NUL byte)");
		goto out;
	}
	if (ydoc_parse(&doc, src, &pdl) < 0) {
		for (int i = 0; i < pdl.n; i++) {
			const struct diag *d = &pdl.items[i];
			if (d->loc.line > 0)
				diag_add(dl, d->level, &file, "%s (line %d, column %d)", d->msg, d->loc.line,
					 d->loc.col);
			else
				diag_add(dl, d->level, &file, "%s", d->msg);
		}
		goto out;
	}
	if (!doc.root || doc.root->kind != Y_MAP) {
		diag_error(dl, &file, "not a params file: it must be a map of names to values, not %s",
			   !doc.root ? "empty" : doc.root->kind == Y_SEQ ? "a list" : "a single value");
		goto out;
	}
	if (jv_get_kind(*raw) != JV_KIND_OBJECT) {
		jv_free(*raw);
		*raw = jv_object();
	}
	/* -p given on the command line wins over the file */
	jv vals = ynode_to_jv(doc.root);
	*raw = jv_object_merge(vals, *raw);
	rc = 0;
out:
	diag_list_release(&pdl);
	ydoc_free(&doc);
	if (rc < 0) {
		/* diagnostics point into sl: print them before the source goes away */
		cli_print_diags(dl);
		diag_list_release(dl);
	}
	source_list_release(&sl);
	return rc;
}
