/* sandbox.c — the rehearsal sandbox for exec and http.request (see sandbox.h).
 *
 * A rehearsal must never reach the real world. Endpoint variables alone do not hold
 * (the AWS CLI v1 sends `aws rds` in us-east-1 to rds.amazonaws.com whatever
 * AWS_ENDPOINT_URL says: a built-in customization sets --endpoint-url), so the sandbox
 * does two things: it points every client at the simulator (endpoint variables, AWS CLI
 * aliases that add --endpoint-url to each service, the simulated kubeconfig), and it
 * takes the operator's credentials out of reach, so that a call that escapes cannot
 * authenticate (a HOME of its own, no AWS_* variable of the operator's, no instance
 * metadata). The variables are the table below.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sandbox.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/jvx.h"
#include "../lang/expr.h"
#include "../modules/registry.h"
#include "../core/caps.h"

/* ------------------------------------------------------------------ the environment */

enum sb_how {
	SB_SET,         /* the sandbox's value, whatever the operator or the step's env say */
	SB_DROP,        /* removed: neither the operator's environment nor a step's env gives it */
	SB_DROP_HOST,   /* removed from the operator's environment; a step's env may give it */
};

enum sb_value {
	SV_NONE,
	SV_ENDPOINT,    /* the simulator's AWS endpoint */
	SV_KEY_ID,      /* the simulator's credentials */
	SV_SECRET,
	SV_REGION,      /* the scenario's region */
	SV_HOME,        /* the sandbox's HOME */
	SV_HOME_PATH,   /* HOME/text: files the sandbox wrote, or that do not exist */
	SV_KUBECONFIG,  /* the simulated Kubernetes API's kubeconfig */
	SV_TEXT,        /* text as is */
};

struct sb_var {
	const char *name;       /* a name, or a prefix ending in '*' */
	enum sb_how how;
	enum sb_value value;
	const char *text;       /* SV_TEXT: the value; SV_HOME_PATH: the path under HOME */
};

static const struct sb_var sb_vars[] = {
	/* every AWS variable of the operator: keys, session tokens, profiles, config and
	 * credential files, SSO, container and web-identity credentials, endpoints */
	{ "AWS_*", SB_DROP, SV_NONE, NULL },
	{ "AWS_ENDPOINT_URL", SB_SET, SV_ENDPOINT, NULL },
	{ "AWS_ENDPOINT_URL_RDS", SB_SET, SV_ENDPOINT, NULL },
	{ "AWS_ENDPOINT_URL_ELASTICACHE", SB_SET, SV_ENDPOINT, NULL },
	{ "AWS_ENDPOINT_URL_S3", SB_SET, SV_ENDPOINT, NULL },
	{ "AWS_ENDPOINT_URL_SECRETS_MANAGER", SB_SET, SV_ENDPOINT, NULL },
	{ "AWS_ENDPOINT_URL_SNS", SB_SET, SV_ENDPOINT, NULL },
	{ "AWS_ENDPOINT_URL_STS", SB_SET, SV_ENDPOINT, NULL },
	{ "AWS_ACCESS_KEY_ID", SB_SET, SV_KEY_ID, NULL },
	{ "AWS_SECRET_ACCESS_KEY", SB_SET, SV_SECRET, NULL },
	{ "AWS_REGION", SB_SET, SV_REGION, NULL },
	{ "AWS_DEFAULT_REGION", SB_SET, SV_REGION, NULL },
	{ "AWS_EC2_METADATA_DISABLED", SB_SET, SV_TEXT, "true" },
	{ "AWS_CONFIG_FILE", SB_SET, SV_HOME_PATH, ".aws/config" },
	{ "AWS_SHARED_CREDENTIALS_FILE", SB_SET, SV_HOME_PATH, ".aws/credentials" },
	{ "HOME", SB_SET, SV_HOME, NULL },
	{ "XDG_CONFIG_HOME", SB_SET, SV_HOME_PATH, ".config" },
	{ "KUBECONFIG", SB_SET, SV_KUBECONFIG, NULL },
	/* libpq: the operator's host, user, password, service; no password file */
	{ "PG*", SB_DROP_HOST, SV_NONE, NULL },
	{ "PGPASSFILE", SB_SET, SV_HOME_PATH, ".pgpass" },
	{ "PGSERVICEFILE", SB_SET, SV_HOME_PATH, ".pg_service.conf" },
	{ "REDISCLI_AUTH", SB_DROP_HOST, SV_NONE, NULL },
	{ "GOOGLE_APPLICATION_CREDENTIALS", SB_DROP_HOST, SV_NONE, NULL },
	{ "AZURE_*", SB_DROP_HOST, SV_NONE, NULL },
	{ "VAULT_TOKEN", SB_DROP_HOST, SV_NONE, NULL },
	{ "SSH_AUTH_SOCK", SB_DROP_HOST, SV_NONE, NULL },
	{ "RUNBOOK_PARAM_*", SB_DROP_HOST, SV_NONE, NULL },
	{ "RUNBOOK_REHEARSAL", SB_SET, SV_TEXT, "1" },
};

/* the AWS CLI commands an alias points at the simulator (v1 and v2 read
 * ~/.aws/cli/alias; an alias named like a command wraps it) */
static const char *const sb_aws_commands[] = {
	"rds", "elasticache", "s3", "s3api", "secretsmanager", "sns", "sts", NULL,
};

struct sb_values {
	const char *endpoint, *region, *kubeconfig, *home;
};

static jv sb_value(const struct sb_var *v, const struct sb_values *sv)
{
	switch (v->value) {
	case SV_ENDPOINT: return jv_string(sv->endpoint);
	case SV_KEY_ID: return jv_string(SANDBOX_ACCESS_KEY_ID);
	case SV_SECRET: return jv_string(SANDBOX_SECRET_ACCESS_KEY);
	case SV_REGION: return jv_string(sv->region);
	case SV_HOME: return jv_string(sv->home);
	case SV_HOME_PATH: return jv_string_fmt("%s/%s", sv->home, v->text);
	/* none when the rehearsal serves no Kubernetes API: a file that does not exist */
	case SV_KUBECONFIG: return sv->kubeconfig ? jv_string(sv->kubeconfig) : jv_string_fmt("%s/.kube/config", sv->home);
	case SV_TEXT: return jv_string(v->text);
	case SV_NONE: break;
	}
	BUG("a variable to set without a value");
}

/* {"set": {NAME: VALUE}, "drop": [PATTERN], "drop_host": [PATTERN]} */
static jv sb_env(const struct sb_values *sv)
{
	jv set = jv_object(), drop = jv_array(), host = jv_array();

	for (size_t i = 0; i < sizeof(sb_vars) / sizeof(sb_vars[0]); i++) {
		const struct sb_var *v = &sb_vars[i];
		switch (v->how) {
		case SB_SET:
			set = jv_object_set(set, jv_string(v->name), sb_value(v, sv));
			break;
		case SB_DROP:
			drop = jv_array_append(drop, jv_string(v->name));
			break;
		case SB_DROP_HOST:
			host = jv_array_append(host, jv_string(v->name));
			break;
		}
	}
	jv env = jv_object_set(jv_object(), jv_string("set"), set);
	env = jv_object_set(env, jv_string("drop"), drop);
	return jv_object_set(env, jv_string("drop_host"), host);
}

/* ------------------------------------------------------------------ the HOME */

static int write_file(const char *path, const char *text, struct diag_list *dl)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t len = strlen(text), off = 0;
	int ret = -1;

	if (fd < 0)
		goto out;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	ret = 0;
out:
	if (ret < 0)
		diag_error(dl, NULL, "cannot write the rehearsal sandbox's '%s': %s", path, strerror(errno));
	if (fd >= 0 && close(fd) < 0 && ret == 0) {
		diag_error(dl, NULL, "cannot write the rehearsal sandbox's '%s': %s", path, strerror(errno));
		ret = -1;
	}
	return ret;
}

static int make_dir(const char *path, struct diag_list *dl)
{
	if (mkdir(path, 0700) == 0)
		return 0;
	diag_error(dl, NULL, "cannot create the rehearsal sandbox's '%s': %s", path, strerror(errno));
	return -1;
}

/* HOME/.aws/config (region) and HOME/.aws/cli/alias (every service at the simulator) */
static int write_home(const struct sb_values *sv, struct diag_list *dl)
{
	struct buf path = BUF_INIT(0), text = BUF_INIT(CAP_SANDBOX_FILE);
	int ret = -1;

	if (buf_addf(&path, "%s/.aws", sv->home) < 0 || make_dir(buf_str(&path), dl) < 0)
		goto out;
	buf_reset(&path);
	if (buf_addf(&path, "%s/.aws/cli", sv->home) < 0 || make_dir(buf_str(&path), dl) < 0)
		goto out;
	buf_reset(&path);
	if (buf_addf(&path, "%s/.aws/config", sv->home) < 0 ||
	    buf_addf(&text, "[default]\nregion = %s\noutput = json\n", sv->region) < 0 ||
	    write_file(buf_str(&path), buf_str(&text), dl) < 0)
		goto out;
	buf_reset(&path);
	buf_reset(&text);
	if (buf_addf(&path, "%s/.aws/cli/alias", sv->home) < 0 || buf_adds(&text, "[toplevel]\n") < 0)
		goto out;
	for (int i = 0; sb_aws_commands[i]; i++)
		if (buf_addf(&text, "%s = %s --endpoint-url %s\n", sb_aws_commands[i], sb_aws_commands[i],
			     sv->endpoint) < 0)
			goto out;
	if (write_file(buf_str(&path), buf_str(&text), dl) < 0)
		goto out;
	ret = 0;
out:
	buf_release(&path);
	buf_release(&text);
	return ret;
}

int sandbox_make(const char *dir, const char *endpoint, const char *region, const char *kubeconfig,
		 jv rules, jv *out, char **home, struct diag_list *dl)
{
	struct buf tmpl = BUF_INIT(0);
	struct sb_values sv = { endpoint, region, NULL, NULL };
	char *h = NULL, *absdir = realpath(dir, NULL), *kc = kubeconfig ? realpath(kubeconfig, NULL) : NULL;
	int ret = -1;

	*out = jv_invalid();
	*home = NULL;
	/* absolute: a step's cwd must not change where they point */
	if (!absdir || (kubeconfig && !kc)) {
		diag_error(dl, NULL, "cannot find '%s': %s", !absdir ? dir : kubeconfig, strerror(errno));
		goto out;
	}
	sv.kubeconfig = kc;
	if (buf_addf(&tmpl, "%s/rehearsal-home.XXXXXX", absdir) < 0)
		goto out;
	h = buf_detach(&tmpl);
	if (!mkdtemp(h)) {
		diag_error(dl, NULL, "cannot create the rehearsal's HOME under '%s': %s", dir, strerror(errno));
		free(h);
		h = NULL;
		goto out;
	}
	sv.home = h;
	if (write_home(&sv, dl) < 0)
		goto out;
	jv sb = jv_object_set(jv_object(), jv_string("env"), sb_env(&sv));
	sb = jv_object_set(sb, jv_string("exec"), jvx_get(rules, "exec"));
	*out = jv_object_set(sb, jv_string("http"), jvx_get(rules, "http"));
	*home = h;
	h = NULL;
	ret = 0;
out:
	if (h) {
		sandbox_remove(h);
		free(h);
	}
	free(absdir);
	free(kc);
	buf_release(&tmpl);
	return ret;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void sandbox_remove(const char *home)
{
	if (home)
		nftw(home, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------------ the check */

struct sb_check {
	jv rules;               /* borrowed */
	struct diag_list *dl;
	int refused;
	struct exprset *set;    /* the plan's expressions (compiled) */
	jv ctx;                 /* {params, run: {rehearsal: true, dry_run: false}} of the top runbook */
	int top;                /* the step being checked is the top runbook's (its .params are ctx's) */
};

/* Before the run only the top runbook's params are known. An expression that reads
 * nothing else (no steps, item, result or outputs) is evaluated here; anything else is
 * unknown. Evaluating one wrongly is harmless: exec and http.request check the rule
 * again on the values of the run, and refuse there. */
static void expr_static(int expr, void *arg)
{
	struct sb_check *c = arg;
	const char *t = exprset_text(c->set, expr);
	static const char *const dynamic[] = { "steps", "item", "result", "outputs", "$__loc__", NULL };

	for (int i = 0; dynamic[i]; i++)
		if (strstr(t, dynamic[i]))
			c->top = 0;
}

/* the value of t when it can be known before the run (see above), else invalid */
static jv tmpl_static(struct sb_check *c, const struct tmpl *t)
{
	int top = c->top;

	if (!t || !c->top)
		return jv_invalid();
	tmpl_each_expr(t, expr_static, c);
	jv v = c->top ? tmpl_eval(t, c->set, c->ctx) : jv_invalid();
	c->top = top;
	return v;
}

/* whether the step's `when:` is known to be false in a rehearsal */
static int when_false(struct sb_check *c, const struct rb_step *st)
{
	int top = c->top, no = 0;

	if (st->when < 0 || !c->top)
		return 0;
	expr_static(st->when, c);
	if (c->top) {
		jv v = exprset_eval1(c->set, st->when, jv_copy(c->ctx));
		no = jv_get_kind(v) == JV_KIND_FALSE || jv_get_kind(v) == JV_KIND_NULL;
		jv_free(v);
	}
	c->top = top;
	return no;
}

/* the text of a literal argv item (numbers and booleans as exec passes them), or NULL */
static char *item_text(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING: return xstrdup(jv_string_value(v));
	case JV_KIND_NUMBER:
	case JV_KIND_TRUE:
	case JV_KIND_FALSE: return jvx_dump(jv_copy(v));
	default: return NULL;
	}
}

/* What a rule can see of an exec step before it runs: the literal items of its argv as
 * exec.c's rule_argv makes them ([sh, -c, COMMAND, ARGV...] for shell: true), up to the
 * first one given by ${{ }}. *whole: every item is literal. New array. */
static jv known_argv(struct sb_check *c, const struct tmpl *with, int *whole)
{
	const struct tmpl *argv = tmpl_get(with, "argv"), *shell = tmpl_get(with, "shell");
	const struct tmpl *cmd = tmpl_get(with, "command");
	jv known = jv_array();

	*whole = 0;
	if (shell && shell->kind != TMPL_CONST)
		return known;
	if (shell && jv_get_kind(shell->value) == JV_KIND_TRUE) {
		known = jv_array_append(jv_array_append(known, jv_string("sh")), jv_string("-c"));
		if (!cmd || cmd->kind != TMPL_CONST || jv_get_kind(cmd->value) != JV_KIND_STRING)
			return known;
		known = jv_array_append(known, jv_copy(cmd->value));
		if (!argv) {
			*whole = 1;
			return known;
		}
	}
	if (!argv)
		return known;
	if (argv->kind == TMPL_CONST && jv_get_kind(argv->value) == JV_KIND_ARRAY) {
		jv_array_foreach(argv->value, i, x) {
			char *t = item_text(x);
			if (t)
				known = jv_array_append(known, jv_string(t));
			free(t);
			jv_free(x);
		}
		*whole = 1;
		return known;
	}
	if (argv->kind != TMPL_LIST)
		return known;
	for (int i = 0; i < argv->n; i++) {
		jv v = argv->items[i]->kind == TMPL_CONST ? jv_copy(argv->items[i]->value) : tmpl_static(c, argv->items[i]);
		char *t = jv_is_valid(v) ? item_text(v) : NULL;
		jv_free(v);
		if (!t)
			return known;
		known = jv_array_append(known, jv_string(t));
		free(t);
	}
	*whole = 1;
	return known;
}

/* whether a rule's argv is a prefix of known; borrows both */
static int argv_prefix(jv rule, jv known)
{
	jv argv = jvx_get(rule, "argv");
	int k = jv_get_kind(argv) == JV_KIND_ARRAY ? jv_array_length(jv_copy(argv)) : 0;
	int match = k > 0 && k <= jv_array_length(jv_copy(known));

	for (int i = 0; match && i < k; i++) {
		jv a = jv_array_get(jv_copy(argv), i), b = jv_array_get(jv_copy(known), i);
		match = jv_get_kind(a) == JV_KIND_STRING && !strcmp(jv_string_value(a), jv_string_value(b));
		jv_free(a);
		jv_free(b);
	}
	jv_free(argv);
	return match;
}

/* the constant args of a with: (for action_is_mutating) */
static jv const_args(const struct tmpl *with)
{
	jv o = jv_object();
	for (int i = 0; with && with->kind == TMPL_MAP && i < with->n; i++)
		if (with->items[i]->kind == TMPL_CONST)
			o = jv_object_set(o, jv_string(with->keys[i]), jv_copy(with->items[i]->value));
	return o;
}

static const struct srcloc *loc_of(const struct tmpl *with, const char *key, const struct rb_step *st)
{
	const struct tmpl *t = tmpl_get(with, key);
	return t ? &t->loc : &st->loc;
}

static int check_exec(struct sb_check *c, const char *who, const struct rb_step *st, const struct tmpl *with,
		       int mutating)
{
	int berr = 0;
	int whole, matched = 0;
	jv known = known_argv(c, with, &whole), rules = jvx_get(c->rules, "exec");
	struct buf b = BUF_INIT(0), shown = BUF_INIT(0);

	if (jv_get_kind(rules) == JV_KIND_ARRAY) {
		jv_array_foreach(rules, i, r) {
			matched |= argv_prefix(r, known);
			jv_free(r);
		}
	}
	if (matched || !mutating)
		goto out;
	c->refused++;
	if (jv_array_length(jv_copy(known)) == 0) {
		diag_error(c->dl, loc_of(with, "argv", st),
			   "%s runs a mutating exec whose program is only known when it runs (${{ }} in argv[0]): "
			   "no exec: rule of the scenario can match it before the rehearsal starts; "
			   "write the program literally", who);
		goto out;
	}
	jv_array_foreach(known, i, x) {
		if (i < 4)
			berr |= buf_addf(&shown, "%s%s", i ? " " : "", jv_string_value(x));
		if (i < 2)
			berr |= buf_addf(&b, "%s%s", i ? ", " : "", jv_string_value(x));
		jv_free(x);
	}
	diag_error(c->dl, loc_of(with, "argv", st),
		   "%s runs a mutating exec ('%s%s') that no exec: rule of the scenario runs or stubs: "
		   "a rehearsal does not run it; add {argv: [%s], run: true} or a stub to the scenario's "
		   "exec:, or say read_only: true if it changes nothing%s", who, buf_str(&shown),
		   jv_array_length(jv_copy(known)) > 4 || !whole ? " ..." : "", buf_str(&b),
		   whole ? "" : " (a rule can match only the literal items before the first ${{ }})");
out:
	buf_release(&shown);
	buf_release(&b);
	jv_free(rules);
	jv_free(known);
	return berr;
}

/* whether the host of a url (or of its literal start: the host must be complete in it)
 * is a loopback name or address */
static int url_loopback(const char *url, int whole)
{
	const char *h = strstr(url, "://"), *end;
	char host[256];
	size_t len;

	if (!h)
		return 0;
	h += 3;
	end = h + strcspn(h, "/?#");
	if (!*end && !whole)
		return 0;
	const char *at = memchr(h, '@', (size_t)(end - h));
	if (at)
		h = at + 1;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		return close && (size_t)(close - h) == 4 && !strncmp(h, "[::1", 4);
	}
	len = strcspn(h, ":/?#");
	if (!len || len >= sizeof(host))
		return 0;
	memcpy(host, h, len);
	host[len] = 0;
	if (!strcasecmp(host, "localhost"))
		return 1;
	/* 127.0.0.0/8, written as a dotted quad */
	unsigned a, b2, c2, d;
	char tail;
	return sscanf(host, "%u.%u.%u.%u%c", &a, &b2, &c2, &d, &tail) == 4 && a == 127 && b2 < 256 && c2 < 256 &&
	       d < 256;
}

static void check_http(struct sb_check *c, const char *who, const struct rb_step *st, const struct tmpl *with)
{
	const struct tmpl *url = tmpl_get(with, "url"), *method = tmpl_get(with, "method");
	const char *known = "", *meth = "GET";
	int whole = 0, matched = 0;
	jv value = url && url->kind != TMPL_CONST ? tmpl_static(c, url) : jv_invalid();

	if (url && url->kind == TMPL_CONST && jv_get_kind(url->value) == JV_KIND_STRING) {
		known = jv_string_value(url->value);
		whole = 1;
	} else if (jv_get_kind(value) == JV_KIND_STRING) {
		known = jv_string_value(value);
		whole = 1;
	} else if (url && url->kind == TMPL_INTERP && url->nparts > 0 && url->parts[0].text) {
		known = url->parts[0].text;
	}
	if (method)
		meth = method->kind == TMPL_CONST && jv_get_kind(method->value) == JV_KIND_STRING ?
		       jv_string_value(method->value) : NULL;
	jv rules = jvx_get(c->rules, "http");
	if (jv_get_kind(rules) == JV_KIND_ARRAY) {
		jv_array_foreach(rules, i, r) {
			const char *ru = jvx_str(r, "url"), *rm = jvx_str(r, "method");
			matched |= ru && !strncmp(known, ru, strlen(ru)) && (!rm || (meth && !strcasecmp(rm, meth)));
			jv_free(r);
		}
	}
	jv_free(rules);
	if (matched || url_loopback(known, whole))
		goto out;
	c->refused++;
	if (!*known)
		diag_error(c->dl, loc_of(with, "url", st),
			   "%s sends an http.request whose url is only known when it runs (${{ }}): a rehearsal "
			   "sends only to loopback hosts, and no http: rule of the scenario can match it before the "
			   "rehearsal starts; begin the url with its literal scheme and host", who);
	else
		diag_error(c->dl, loc_of(with, "url", st),
			   "%s sends %s %s%s, not to a loopback host, and no http: rule of the scenario answers it: "
			   "a rehearsal does not send it; add {url: \"%s\", %s%s%sreply: {status: 200}} to the "
			   "scenario's http:", who, meth ? meth : "an http.request to", known, whole ? "" : "...", known,
			   meth ? "method: " : "", meth ? meth : "", meth ? ", " : "");
out:
	jv_free(value);
}

static int check_step(struct sb_check *c, const char *who, const struct rb_step *st)
{
	int berr = 0;
	const char *action = st->kind == STEP_WAIT ? st->wait.action : st->action;
	const struct tmpl *with = st->kind == STEP_WAIT ? st->wait.with : st->with;
	const struct action_desc *d;

	if ((st->kind != STEP_ACTION && st->kind != STEP_WAIT) || !action || !(d = registry_find(action)) ||
	    when_false(c, st))
		return berr;
	if (!strcmp(d->name, "exec")) {
		jv args = const_args(with);
		berr |= check_exec(c, who, st, with, action_is_mutating(d, args));
		jv_free(args);
	} else if (!strcmp(d->name, "http.request")) {
		check_http(c, who, st, with);
	}
	return berr;
}

int sandbox_check(const struct plan *p, jv params, jv rules, struct diag_list *dl)
{
	int berr = 0;
	struct sb_check c = { rules, dl, 0, p->loader ? p->loader->exprs : NULL, jv_invalid(), 0 };
	struct buf who = BUF_INIT(0);
	jv run = jv_object_set(jv_object(), jv_string("rehearsal"), jv_true());

	run = jv_object_set(run, jv_string("dry_run"), jv_false());
	c.ctx = jv_object_set(jv_object_set(jv_object(), jv_string("params"), jv_copy(params)), jv_string("run"), run);
	for (int i = 0; i < p->n; i++) {
		const struct plan_node *nd = &p->nodes[i];
		c.top = c.set && nd->scope == 0;
		buf_reset(&who);
		berr |= buf_addf(&who, "step '%s'", nd->qid);
		berr |= check_step(&c, buf_str(&who), nd->step);
		for (int r = 0; r < nd->step->nrollback; r++) {
			buf_reset(&who);
			berr |= buf_addf(&who, "rollback step '%s' of '%s'", nd->step->rollback[r].id, nd->qid);
			berr |= check_step(&c, buf_str(&who), &nd->step->rollback[r]);
		}
	}
	for (int i = 0; p->rb && i < p->rb->nfinally; i++) {
		c.top = c.set != NULL;
		buf_reset(&who);
		berr |= buf_addf(&who, "finally step '%s'", p->rb->finally[i].id);
		berr |= check_step(&c, buf_str(&who), &p->rb->finally[i]);
	}
	BUF_NOCAP(berr);
	buf_release(&who);
	jv_free(c.ctx);
	return c.refused ? -1 : 0;
}
