/* taint.c — taint propagation through expressions by differential evaluation
 * (see taint.h) */
#include <jq.h>
#include <string.h>
#include "taint.h"
#include "expr.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/redact.h"

extern char **environ;

static void taint_number(struct redactor *r, jv n)
{
	jv text = jv_dump_string(n, 0);
	redact_add(r, jv_string_value(text));
	jv_free(text);
}

/* everything in v (borrowed) is tainted */
static void taint_all(struct redactor *r, jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		redact_add(r, jv_string_value(v));
		break;
	case JV_KIND_NUMBER:
		taint_number(r, jv_copy(v));
		break;
	case JV_KIND_ARRAY:
		jv_array_foreach(v, i, x) {
			taint_all(r, x);
			jv_free(x);
		}
		break;
	case JV_KIND_OBJECT:
		jv_object_foreach(v, k, x) {
			taint_all(r, k);
			taint_all(r, x);
			jv_free(k);
			jv_free(x);
		}
		break;
	default:
		break;
	}
}

/* the bytes of a that differ from b, from the first differing byte to the last: what
 * survives of the secret around it (a prefix, a suffix) is not secret */
static void taint_span(struct redactor *r, const char *a, int alen, const char *b, int blen)
{
	int pre = 0, suf = 0;
	while (pre < alen && pre < blen && a[pre] == b[pre])
		pre++;
	while (suf < alen - pre && suf < blen - pre && a[alen - 1 - suf] == b[blen - 1 - suf])
		suf++;
	int len = alen - pre - suf;
	if (len < REDACT_MIN)
		return;
	char *span = xstrndup(a + pre, (size_t)len);
	if (!redact_has(r, span))
		redact_add(r, span);
	free(span);
}

static int same_number(jv a, jv b)
{
	double x = jv_number_value(a), y = jv_number_value(b);
	return x == y || (x != x && y != y);
}

void taint_diff(struct redactor *r, jv real, jv decoy)
{
	jv_kind k = jv_get_kind(real);
	if (k != jv_get_kind(decoy)) {
		taint_all(r, real);
		return;
	}
	switch (k) {
	case JV_KIND_STRING:
		if (!jv_equal(jv_copy(real), jv_copy(decoy)))
			taint_span(r, jv_string_value(real), jv_string_length_bytes(jv_copy(real)),
				   jv_string_value(decoy), jv_string_length_bytes(jv_copy(decoy)));
		break;
	case JV_KIND_NUMBER:
		if (!same_number(real, decoy))
			taint_number(r, jv_copy(real));
		break;
	case JV_KIND_ARRAY:
		if (jv_array_length(jv_copy(real)) != jv_array_length(jv_copy(decoy))) {
			taint_all(r, real);
			break;
		}
		jv_array_foreach(real, i, x) {
			jv y = jv_array_get(jv_copy(decoy), i);
			taint_diff(r, x, y);
			jv_free(x);
			jv_free(y);
		}
		break;
	case JV_KIND_OBJECT:
		jv_object_foreach(real, key, x) {
			jv y = jv_object_get(jv_copy(decoy), jv_copy(key));
			if (jv_is_valid(y)) {
				taint_diff(r, x, y);
			} else {
				/* a key made from a secret: the key and what it holds */
				taint_all(r, key);
				taint_all(r, x);
			}
			jv_free(key);
			jv_free(x);
			jv_free(y);
		}
		break;
	default:
		break;
	}
}

/* real and decoy are what eval returned: an array of outputs, or an error */
static void taint_result(struct redactor *r, jv real, jv decoy)
{
	int rv = jv_is_valid(real), dv = jv_is_valid(decoy);
	if (rv && dv) {
		taint_diff(r, real, decoy);
		return;
	}
	if (rv) {
		taint_all(r, real);
		return;
	}
	jv msg = jv_invalid_get_msg(jv_copy(real));
	jv dmsg = dv ? jv_invalid() : jv_invalid_get_msg(jv_copy(decoy));
	if (jv_is_valid(dmsg))
		taint_diff(r, msg, dmsg);
	else
		taint_all(r, msg);
	jv_free(msg);
	jv_free(dmsg);
}

/* ---- the environment ----------------------------------------------------------
 * `$ENV` (bound when the program is compiled) and `env` (read when called) are not in
 * the context: an expression that names them is evaluated, for its decoy run, by a
 * program of its own where both are the environment with its secrets replaced by decoys.
 * Compiled once per expression text (libjq: ~40 ms), again if the decoys change. */

struct env_prog {
	char *text;
	jv env;                 /* the decoy environment it was compiled with */
	jq_state *jq;
};
static struct env_prog *env_progs;
static int nenv_progs, aenv_progs;

static int ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* `$ENV` or the function `env` (roughly: a string literal that says env counts too,
 * which only costs a compile) */
static int names_env(const char *t)
{
	if (strstr(t, "$ENV"))
		return 1;
	for (const char *p = t; (p = strstr(p, "env")); p += 3)
		if ((p == t || (!ident(p[-1]) && p[-1] != '.' && p[-1] != '$')) && !ident(p[3]))
			return 1;
	return 0;
}

static jv environment(void)
{
	jv env = jv_object();
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (eq)
			env = jv_object_set(env, jv_string_sized(*e, (int)(eq - *e)), jv_string(eq + 1));
	}
	return env;
}

static void env_progs_free(void)
{
	for (int i = 0; i < nenv_progs; i++) {
		free(env_progs[i].text);
		jv_free(env_progs[i].env);
		jq_teardown(&env_progs[i].jq);
	}
	free(env_progs);
	env_progs = NULL;
	nenv_progs = aenv_progs = 0;
}

static void quiet(void *data, jv msg)
{
	(void)data;
	jv_free(msg);
}

/* the decoy program of text with env as its $ENV and env; NULL if it would not compile */
static jq_state **env_prog(const char *text, jv denv)
{
	struct env_prog *p = NULL;
	for (int i = 0; i < nenv_progs && !p; i++)
		if (!strcmp(env_progs[i].text, text))
			p = &env_progs[i];
	if (p && p->jq && jv_equal(jv_copy(p->env), jv_copy(denv))) {
		jv_free(denv);
		return &p->jq;
	}
	if (!p) {
		if (!nenv_progs)
			atexit(env_progs_free);
		ALLOC_GROW(env_progs, nenv_progs + 1, aenv_progs);
		p = &env_progs[nenv_progs++];
		p->text = xstrdup(text);
		p->env = jv_null();
		p->jq = NULL;
	} else {
		jq_teardown(&p->jq);
	}
	jv lit = jv_dump_string(jv_copy(denv), 0);
	struct buf b = BUF_INIT(0);
	if (buf_addf(&b, "def env: %s; %s as $ENV | (\n%s\n)", jv_string_value(lit), jv_string_value(lit), text) < 0)
		BUG("uncapped buffer refused an add");
	jv_free(lit);
	jv_free(p->env);
	p->env = denv;
	p->jq = jq_init();
	if (p->jq)
		jq_set_error_cb(p->jq, quiet, NULL);
	if (!p->jq || !jq_compile(p->jq, buf_str(&b)))
		jq_teardown(&p->jq);   /* compiled once already by the set: not expected */
	buf_release(&b);
	return p->jq ? &p->jq : NULL;
}

/* a name in a path's text is a secret (its decoy run would look elsewhere) */
static int path_names_secret(struct redactor *r, const char *text)
{
	jv t = jv_string(text);
	int hit = redact_touches(r, t);
	jv_free(t);
	return hit;
}

jv taint_eval(struct exprset *set, int idx, jv ctx, taint_eval_fn eval)
{
	struct redactor *r = redact_current();
	if (!r || !redact_count(r))
		return eval(set, idx, ctx);
	if (exprset_is_path(set, idx) && !path_names_secret(r, exprset_text(set, idx))) {
		/* A plain path returns a piece of ctx as it is, chosen by the names and
		 * indexes of its text alone, and its decoy run the decoy of that piece: only a
		 * secret inside the piece, or in a name of the text, can make them differ.
		 * Looking at the piece, not at every string of the context (every step's
		 * results), at each evaluation. */
		jv real = eval(set, idx, jv_copy(ctx));
		if (jv_is_valid(real) && !redact_touches(r, real)) {
			jv_free(ctx);
			return real;
		}
		jv_free(real);       /* the differential run below, as for any expression */
	}
	jv env = jv_invalid();
	if (names_env(exprset_text(set, idx))) {
		env = environment();
		if (!redact_touches(r, env)) {
			jv_free(env);
			env = jv_invalid();
		}
	}
	if (!jv_is_valid(env) && !redact_touches(r, ctx))
		return eval(set, idx, ctx);
	jv dctx = redact_decoy(r, jv_copy(ctx), NULL);
	jv real = eval(set, idx, ctx);
	jv decoy;
	jq_state **jq = jv_is_valid(env) ? env_prog(exprset_text(set, idx), redact_decoy(r, env, NULL)) : NULL;
	if (jq)
		decoy = expr_run(jq, dctx);   /* under the same limits as the real one */
	else if (jv_is_valid(env))
		decoy = (jv_free(dctx), jv_invalid_with_msg(jv_string("no decoy program")));
	else
		decoy = eval(set, idx, dctx);
	taint_result(r, real, decoy);
	jv_free(decoy);
	return real;
}
