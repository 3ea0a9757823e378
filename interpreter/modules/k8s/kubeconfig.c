/* kubeconfig.c — where a call's cluster and credentials come from, in kubectl's order:
 * connections.k8s.kubeconfig, else KUBECONFIG (colon-separated files merged: the first
 * file that names a cluster, user or context wins, and the first current-context set),
 * else ~/.kube/config, else the in-cluster service account.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>
#include "k8s.h"
#include "../../core/b64.h"
#include "../../core/buf.h"
#include "../../core/bug.h"
#include "../../core/fs.h"
#include "../../core/jvx.h"
#include "../../core/redact.h"
#include "../../core/yamljv.h"
#include "../../core/caps.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

extern char **environ;

/* merge named entries of `list` (clusters/users/contexts) into the map `into`: first wins */
static jv merge_named(jv into, jv list)
{
	if (jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, i, e) {
			const char *name = jvx_str(e, "name");
			if (name && !jvx_has(into, name))
				into = jv_object_set(into, jv_string(name), jv_copy(e));
			jv_free(e);
		}
	}
	jv_free(list);
	return into;
}

/* {clusters: {name: …}, users: {…}, contexts: {…}, current: name, dirs: {…}} */
static int load_files(const char *paths, jv *cfg, jv *err)
{
	jv clusters = jv_object(), users = jv_object(), contexts = jv_object();
	char *current = NULL;
	char *copy = xstrdup(paths);
	int found = 0;
	for (char *save = NULL, *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		size_t len;
		char *text = fs_read(p, CAP_KUBE_FILE, &len);
		if (!text) {
			if (errno == ENOENT)
				continue;
			*err = jvx_error("KubeconfigError", "cannot read kubeconfig '%s': %s", p, strerror(errno));
			goto fail;
		}
		jv doc = yamljv_parse(text, len, 0);
		free(text);
		if (!jv_is_valid(doc)) {
			jv msg = jv_invalid_get_msg(doc);
			*err = jvx_error("KubeconfigError", "kubeconfig '%s' is not valid YAML: %s", p,
					 jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
			jv_free(msg);
			goto fail;
		}
		if (jv_get_kind(doc) != JV_KIND_OBJECT) {
			jv_free(doc);
			*err = jvx_error("KubeconfigError", "kubeconfig '%s' is not a map", p);
			goto fail;
		}
		found = 1;
		/* relative file names in a kubeconfig are relative to its folder */
		char *dir = xstrdup(p);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		else
			snprintf(dir, strlen(dir) + 1, ".");
		jv cl = jvx_get(doc, "clusters"), us = jvx_get(doc, "users"), cx = jvx_get(doc, "contexts");
		/* remember each entry's folder */
		jv fixed[2] = { cl, us };
		for (int k = 0; k < 2; k++) {
			if (jv_get_kind(fixed[k]) != JV_KIND_ARRAY)
				continue;
			jv out = jv_array();
			jv_array_foreach(fixed[k], i, e) {
				/* an entry that is not a map names nothing (merge_named skips it) */
				if (jv_get_kind(e) == JV_KIND_OBJECT)
					e = jv_object_set(e, jv_string("_dir"), jv_string(dir));
				out = jv_array_append(out, e);
			}
			jv_free(fixed[k]);
			fixed[k] = out;
		}
		clusters = merge_named(clusters, fixed[0]);
		users = merge_named(users, fixed[1]);
		contexts = merge_named(contexts, cx);
		const char *cur = jvx_str(doc, "current-context");
		if (!current && cur && *cur)
			current = xstrdup(cur);
		free(dir);
		jv_free(doc);
	}
	free(copy);
	if (!found) {
		*err = jvx_error("KubeconfigError", "no kubeconfig found (looked at '%s')", paths);
		goto fail2;
	}
	*cfg = jv_object();
	*cfg = jv_object_set(*cfg, jv_string("clusters"), clusters);
	*cfg = jv_object_set(*cfg, jv_string("users"), users);
	*cfg = jv_object_set(*cfg, jv_string("contexts"), contexts);
	*cfg = jv_object_set(*cfg, jv_string("current"), current ? jv_string(current) : jv_null());
	free(current);
	return 0;
fail:
	free(copy);
fail2:
	jv_free(clusters);
	jv_free(users);
	jv_free(contexts);
	free(current);
	return -1;
}

/* a PEM from "X-data" (base64) or "X" (a file name, relative to the entry's folder) */
static int pem_field(jv entry, const char *field, char **out, jv *err)
{
	char data_key[96];
	snprintf(data_key, sizeof(data_key), "%s-data", field);
	const char *data = jvx_str(entry, data_key), *file = jvx_str(entry, field), *dir = jvx_str(entry, "_dir");
	*out = NULL;
	if (data) {
		if (!(*out = (char *)b64_decode(data, strlen(data), NULL))) {
			*err = jvx_error("KubeconfigError", "%s is not valid base64", data_key);
			return -1;
		}
		return 0;
	}
	if (file) {
		char path[4096];
		snprintf(path, sizeof(path), "%s%s%s", file[0] == '/' || !dir ? "" : dir, file[0] == '/' || !dir ? "" : "/",
			 file);
		if (!(*out = fs_read(path, CAP_KUBE_FILE, NULL))) {
			*err = jvx_error("KubeconfigError", "cannot read %s '%s': %s", field, path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

#define EXEC_V1 "client.authentication.k8s.io/v1"
#define EXEC_V1BETA1 "client.authentication.k8s.io/v1beta1"
#define EXEC_CLUSTER_EXT "client.authentication.k8s.io/exec"

/* spec.cluster of the ExecCredential (provideClusterInfo: true), as client-go builds it
 * from the kubeconfig's cluster: the CA as base64 of its PEM, and the cluster's
 * extension named client.authentication.k8s.io/exec as config. Borrows clc. */
static jv exec_cluster_info(jv clc, const struct k8s_conn *c)
{
	jv cl = jv_object();
	cl = jv_object_set(cl, jv_string("server"), jv_string(c->server));
	static const char *const copied[] = {"tls-server-name", "proxy-url", NULL};
	for (int i = 0; copied[i]; i++)
		if (jvx_str(clc, copied[i]))
			cl = jv_object_set(cl, jv_string(copied[i]), jv_string(jvx_str(clc, copied[i])));
	if (c->ca_pem) {
		char *b = b64_encode(c->ca_pem, strlen(c->ca_pem), 0);
		cl = jv_object_set(cl, jv_string("certificate-authority-data"), jv_string(b));
		free(b);
	}
	if (jvx_bool(clc, "disable-compression", 0))
		cl = jv_object_set(cl, jv_string("disable-compression"), jv_true());
	jv exts = jvx_get(clc, "extensions");
	if (jv_get_kind(exts) == JV_KIND_ARRAY) {
		jv_array_foreach(exts, i, e) {
			const char *n = jvx_str(e, "name");
			if (n && !strcmp(n, EXEC_CLUSTER_EXT))
				cl = jv_object_set(cl, jv_string("config"), jvx_get(e, "extension"));
			jv_free(e);
		}
	}
	jv_free(exts);
	return cl;
}

/* spec.interactive from interactiveMode (kubectl: IfAvailable when v1beta1 leaves it
 * out; v1 must say it). -1 with *err: Always without a terminal, or a bad mode. */
static int exec_interactive(jv exec, const char *api, jv *err)
{
	const char *mode = jvx_str(exec, "interactiveMode");
	int tty = isatty(0);
	if (!mode && !strcmp(api, EXEC_V1)) {
		*err = jvx_error("KubeconfigError", "exec plugin: interactiveMode must be specified for %s", api);
		return -1;
	}
	if (!mode || !strcmp(mode, "IfAvailable"))
		return tty;
	if (!strcmp(mode, "Never"))
		return 0;
	if (!strcmp(mode, "Always")) {
		if (tty)
			return 1;
		*err = jvx_error("ExecPluginError", "exec plugin cannot support interactive mode: "
				 "standard input is not a terminal (interactiveMode: Always)");
		return -1;
	}
	*err = jvx_error("KubeconfigError", "exec plugin: invalid interactiveMode '%s' (Never, IfAvailable or Always)",
			 mode);
	return -1;
}

/* Run an exec credential plugin (argv, no shell) and read its ExecCredential.
 * KUBERNETES_EXEC_INFO is the ExecCredential request in the kubeconfig's apiVersion;
 * an interactive plugin gets our stdin, others /dev/null. clc: the cluster (borrowed). */
static int exec_plugin(struct action_call *call, jv exec, jv clc, struct k8s_conn *c, jv *err)
{
	const char *cmd = jvx_str(exec, "command");
	const char *api = jvx_str(exec, "apiVersion");
	if (!cmd) {
		*err = jvx_error("KubeconfigError", "the user's exec plugin has no command");
		return -1;
	}
	if (!api)
		api = EXEC_V1BETA1;
	if (strcmp(api, EXEC_V1BETA1) && strcmp(api, EXEC_V1)) {
		*err = jvx_error("KubeconfigError", "exec plugin apiVersion '%s' is not supported "
				 "(%s or %s)", api, EXEC_V1BETA1, EXEC_V1);
		return -1;
	}
	int interactive = exec_interactive(exec, api, err);
	if (interactive < 0)
		return -1;
	/* argv and environment: the plugin's env entries are added to ours */
	jv args = jvx_get(exec, "args");
	int nargs = jv_get_kind(args) == JV_KIND_ARRAY ? jv_array_length(jv_copy(args)) : 0;
	char **argv = xcalloc((size_t)nargs + 2, sizeof(char *));
	argv[0] = xstrdup(cmd);
	for (int i = 0; i < nargs; i++) {
		jv a = jv_array_get(jv_copy(args), i);
		argv[i + 1] = jvx_text(a);
	}
	jv_free(args);
	int nenv = 0;
	while (environ[nenv])
		nenv++;
	jv envs = jvx_get(exec, "env");
	int nextra = jv_get_kind(envs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(envs)) : 0;
	char **envp = xcalloc((size_t)(nenv + nextra + 2), sizeof(char *));
	int ne = 0;
	for (int i = 0; i < nenv; i++)
		envp[ne++] = xstrdup(environ[i]);
	for (int i = 0; i < nextra; i++) {
		jv e = jv_array_get(jv_copy(envs), i);
		const char *n = jvx_str(e, "name"), *v = jvx_str(e, "value");
		if (n) {
			size_t l = strlen(n) + strlen(v ? v : "") + 2;
			envp[ne] = xmalloc(l);
			snprintf(envp[ne++], l, "%s=%s", n, v ? v : "");
		}
		jv_free(e);
	}
	jv_free(envs);
	/* KUBERNETES_EXEC_INFO tells the plugin what we are */
	jv spec = jv_object_set(jv_object(), jv_string("interactive"), jv_bool(interactive));
	if (jvx_bool(exec, "provideClusterInfo", 0))
		spec = jv_object_set(spec, jv_string("cluster"), exec_cluster_info(clc, c));
	jv info = jv_object();
	info = jv_object_set(info, jv_string("kind"), jv_string("ExecCredential"));
	info = jv_object_set(info, jv_string("apiVersion"), jv_string(api));
	info = jv_object_set(info, jv_string("spec"), spec);
	char *infos = jvx_dump(info);
	size_t il = strlen("KUBERNETES_EXEC_INFO=") + strlen(infos) + 1;
	envp[ne] = xmalloc(il);
	snprintf(envp[ne++], il, "KUBERNETES_EXEC_INFO=%s", infos);
	free(infos);

	int out[2] = { -1, -1 }, rc = -1;
	pid_t pid = -1;
	struct buf b = BUF_INIT(CAP_PLUGIN_OUTPUT);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (pipe2(out, O_CLOEXEC) < 0)
		goto done;
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (!interactive)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	int serr = posix_spawnp(&pid, cmd, &fa, NULL, argv, envp);
	if (serr != 0) {
		*err = jvx_error("ExecPluginError", "cannot run the exec credential plugin '%s': %s", cmd, strerror(serr));
		pid = -1;
		goto done;
	}
	close(out[1]);
	out[1] = -1;
	/* bounded: a plugin gets 60 seconds */
	char chunk[4096];
	int waited = 0;
	for (;;) {
		struct pollfd p = { out[0], POLLIN, 0 };
		int pr = poll(&p, 1, 100);
		if (pr > 0) {
			ssize_t n = read(out[0], chunk, sizeof(chunk));
			if (n <= 0)
				break;
			if (buf_add(&b, chunk, (size_t)n) < 0)
				break;
		} else if (pr == 0 && ((waited += 100) > 60000 || action_cancelled(call))) {
			kill(pid, SIGKILL);
			*err = jvx_error("ExecPluginError", "the exec credential plugin '%s' did not answer in time", cmd);
			goto done;
		}
	}
	int status;
	waitpid(pid, &status, 0);
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*err = jvx_error("ExecPluginError", "the exec credential plugin '%s' failed (exit %d)", cmd,
				 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		goto done;
	}
	jv cred = jvx_parse_sized(buf_str(&b), b.len);
	jv st = jvx_get(cred, "status");
	const char *tok = jvx_str(st, "token"), *cd = jvx_str(st, "clientCertificateData"),
		   *kd = jvx_str(st, "clientKeyData");
	const char *rapi = jvx_str(cred, "apiVersion");
	if (jv_is_valid(cred) && rapi && strcmp(rapi, api)) {
		*err = jvx_error("ExecPluginError", "exec plugin '%s' is configured to use API version %s, "
				 "plugin returned version %s", cmd, api, rapi);
	} else if (!jv_is_valid(cred) || (!tok && !(cd && kd))) {
		*err = jvx_error("ExecPluginError", "the exec credential plugin '%s' printed no ExecCredential "
				 "with a token or a client certificate", cmd);
	} else {
		if (tok) {
			free(c->token);
			c->token = xstrdup(tok);
			redact_add(call->redact, tok);
		}
		if (cd && kd) {
			free(c->cert_pem);
			free(c->key_pem);
			c->cert_pem = xstrdup(cd);
			c->key_pem = xstrdup(kd);
			redact_add(call->redact, kd);
		}
		rc = 0;
	}
	jv_free(st);
	jv_free(cred);
done:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	posix_spawn_file_actions_destroy(&fa);
	buf_release(&b);
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	for (int i = 0; i < ne; i++)
		free(envp[i]);
	free(envp);
	return rc;
}

static int in_cluster(struct action_call *call, struct k8s_conn *c, jv *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	if (!host || !port)
		return 1;     /* not in a cluster */
	size_t n = strlen(host) + strlen(port) + 16;
	c->server = xmalloc(n);
	snprintf(c->server, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	c->token = fs_read(SA_DIR "/token", CAP_KUBE_FILE, NULL);
	c->ca_pem = fs_read(SA_DIR "/ca.crt", CAP_KUBE_FILE, NULL);
	char *ns = fs_read(SA_DIR "/namespace", CAP_KUBE_FILE, NULL);
	c->namespace = ns ? ns : xstrdup("default");
	c->context = xstrdup("in-cluster");
	if (!c->token) {
		*err = jvx_error("KubeconfigError", "in a cluster, but the service account token "
				 SA_DIR "/token cannot be read");
		return -1;
	}
	c->token[strcspn(c->token, "\r\n")] = 0;
	redact_add(call->redact, c->token);
	return 0;
}

/* A rehearsal's own simulated API is the one server spoken to over plain HTTP: in this
 * process, on loopback (where the simulator listens), with the simulator's token, as the
 * rehearsal's AWS endpoint is. Only the rehearsal sets connections.k8s.rehearsal (no key
 * a runbook may give, see k8s_conn_args), and even then only that address is taken. */
static int rehearsal_api(jv conn, const char *server)
{
	static const char loopback[] = "http://127.0.0.1:";
	return jvx_bool(conn, "rehearsal", 0) && !strncmp(server, loopback, sizeof(loopback) - 1);
}

int k8s_conn_load(struct action_call *call, struct k8s_conn *c, jv *err)
{
	int berr = 0;
	memset(c, 0, sizeof(*c));
	jv conn = jvx_get(call->connections, "k8s");
	const char *kc = jvx_str(conn, "kubeconfig"), *want_ctx = jvx_str(conn, "context"),
		   *want_ns = jvx_str(conn, "namespace");
	char home_cfg[4096];
	const char *paths = kc;
	if (!paths)
		paths = getenv("KUBECONFIG");
	if (!paths || !*paths) {
		const char *home = getenv("HOME");
		snprintf(home_cfg, sizeof(home_cfg), "%s/.kube/config", home ? home : "");
		paths = access(home_cfg, R_OK) == 0 ? home_cfg : NULL;
	}
	jv cfg = jv_invalid();
	int rc = -1;
	if (!paths) {
		int ic = in_cluster(call, c, err);
		if (ic == 1)
			*err = jvx_error("KubeconfigError", "no kubeconfig: set connections.k8s.kubeconfig or KUBECONFIG, "
					 "create ~/.kube/config, or run in a cluster");
		if (ic == 0 && want_ns) {
			free(c->namespace);
			c->namespace = xstrdup(want_ns);
		}
		rc = ic == 0 ? 0 : -1;
		goto out;
	}
	if (load_files(paths, &cfg, err) < 0)
		goto out;
	const char *ctxname = want_ctx ? want_ctx : jvx_str(cfg, "current");
	if (!ctxname) {
		*err = jvx_error("KubeconfigError", "the kubeconfig sets no current-context; name one in "
				 "connections.k8s.context");
		goto out;
	}
	jv contexts = jvx_get(cfg, "contexts");
	jv ctx = jvx_get(contexts, ctxname);
	if (!jv_is_valid(ctx)) {
		struct buf names = BUF_INIT(0);
		jv_object_foreach(contexts, k, v) {
			berr |= buf_addf(&names, "%s'%s'", names.len ? ", " : "", jv_string_value(k));
			jv_free(k);
			jv_free(v);
		}
		BUF_NOCAP(berr);
		*err = jvx_error("KubeconfigError", "context '%s' is not in the kubeconfig (it has %s)", ctxname,
				 names.len ? buf_str(&names) : "none");
		buf_release(&names);
		jv_free(contexts);
		goto out;
	}
	jv_free(contexts);
	jv cx = jvx_get(ctx, "context");
	const char *clname = jvx_str(cx, "cluster"), *uname = jvx_str(cx, "user"), *ns = jvx_str(cx, "namespace");
	jv clusters = jvx_get(cfg, "clusters"), users = jvx_get(cfg, "users");
	jv cl = clname ? jvx_get(clusters, clname) : jv_invalid();
	jv us = uname ? jvx_get(users, uname) : jv_invalid();
	jv clc = jvx_get(cl, "cluster"), usu = jvx_get(us, "user");
	c->context = xstrdup(ctxname);
	c->namespace = xstrdup(want_ns ? want_ns : ns ? ns : "default");
	const char *server = jvx_str(clc, "server");
	if (!server) {
		*err = jvx_error("KubeconfigError", "context '%s' names cluster '%s', which %s", ctxname,
				 clname ? clname : "(none)", jv_is_valid(cl) ? "has no server" : "is not in the kubeconfig");
		goto out2;
	}
	if (jvx_bool(clc, "insecure-skip-tls-verify", 0)) {
		*err = jvx_error("KubeconfigError", "cluster '%s' sets insecure-skip-tls-verify: runbook always "
				 "verifies TLS (give the cluster's certificate-authority instead)", clname);
		goto out2;
	}
	if (strncasecmp(server, "https://", 8) && !rehearsal_api(conn, server)) {
		/* a token or client key over plain HTTP is anyone's on the path */
		*err = jvx_error("KubeconfigError", "cluster '%s' has server '%s': runbook talks to a "
				 "Kubernetes API only over TLS, its credentials would cross the network in clear "
				 "(give the cluster's https:// address and certificate-authority)", clname, server);
		goto out2;
	}
	c->server = xstrdup(server);
	size_t sl = strlen(c->server);
	while (sl > 0 && c->server[sl - 1] == '/')
		c->server[--sl] = 0;
	/* pem_field reads "_dir" from the entry itself */
	jv clcd = jv_object_set(jv_copy(clc), jv_string("_dir"), jvx_get(cl, "_dir"));
	/* the user may be missing or not a map: reported below */
	jv usud = jv_get_kind(usu) == JV_KIND_OBJECT ?
		jv_object_set(jv_copy(usu), jv_string("_dir"), jvx_get(us, "_dir")) : jv_object();
	if (pem_field(clcd, "certificate-authority", &c->ca_pem, err) < 0 ||
	    pem_field(usud, "client-certificate", &c->cert_pem, err) < 0 ||
	    pem_field(usud, "client-key", &c->key_pem, err) < 0) {
		jv_free(clcd);
		jv_free(usud);
		goto out2;
	}
	jv_free(clcd);
	if (c->key_pem)
		redact_add(call->redact, c->key_pem);
	const char *tok = jvx_str(usu, "token"), *tokfile = jvx_str(usu, "tokenFile");
	if (tok) {
		c->token = xstrdup(tok);
	} else if (tokfile) {
		c->token = fs_read(tokfile, CAP_KUBE_FILE, NULL);
		if (!c->token) {
			*err = jvx_error("KubeconfigError", "cannot read tokenFile '%s': %s", tokfile, strerror(errno));
			jv_free(usud);
			goto out2;
		}
		c->token[strcspn(c->token, "\r\n")] = 0;
	}
	if (c->token)
		redact_add(call->redact, c->token);
	jv exec = jvx_get(usu, "exec");
	if (jv_get_kind(exec) == JV_KIND_OBJECT && exec_plugin(call, exec, clc, c, err) < 0) {
		jv_free(exec);
		jv_free(usud);
		goto out2;
	}
	jv_free(exec);
	jv_free(usud);
	if (!jv_is_valid(us) && uname) {
		*err = jvx_error("KubeconfigError", "context '%s' names user '%s', which is not in the kubeconfig",
				 ctxname, uname);
		goto out2;
	}
	if ((c->cert_pem != NULL) != (c->key_pem != NULL)) {
		*err = jvx_error("KubeconfigError", "user '%s' has a client certificate without its key (or the "
				 "reverse)", uname ? uname : "");
		goto out2;
	}
	rc = 0;
out2:
	jv_free(clc);
	jv_free(usu);
	jv_free(cl);
	jv_free(us);
	jv_free(clusters);
	jv_free(users);
	jv_free(cx);
	jv_free(ctx);
out:
	jv_free(cfg);
	jv_free(conn);
	if (rc < 0)
		k8s_conn_release(c);
	return rc;
}

jv k8s_rehearsal_conn(jv user, const struct rehearsal_env *env)
{
	(void)user;
	if (!env->kubeconfig)
		return jv_null();
	jv c = jv_object_set(jv_object(), jv_string("kubeconfig"), jv_string(env->kubeconfig));
	c = jv_object_set(c, jv_string("rehearsal"), jv_true());
	return jv_object_set(c, jv_string("context"), jv_string(env->kube_context));
}

void k8s_conn_release(struct k8s_conn *c)
{
	free(c->server);
	free(c->ca_pem);
	free(c->cert_pem);
	free(c->key_pem);
	free(c->token);
	free(c->namespace);
	free(c->context);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	memset(c, 0, sizeof(*c));
}
