/* k8s_run.c — what a bare Pod (kubectl run) does in a simulator that runs no containers.
 * The scenario's k8s.run rules, first match by image (a glob), say:
 *   {image: "postgres:*", run: true}    run the container's command here, with its env
 *   {image: "busybox:*", stub: {exit_code: 0, stdout: "..."}}
 * The Pod is created finished: phase Succeeded (exit 0) or Failed, the container
 * terminated with the exit code, and its output served as the Pod's log, so
 * `kubectl run --rm -i` prints it, exits with the code and deletes the Pod (kubectl reads
 * a finished Pod's log instead of attaching). A command runs while the API waits (the
 * rehearsal's own clock; at most 60 s). Endpoints need no mapping: the env holds what the
 * scenario answered (an RDS endpoint it maps to a local server resolves as the scenario
 * says). A bare Pod no rule matches is Running; attach and exec into any Pod answer a
 * Status that says the simulator runs no containers, and an attach (kubectl run's)
 * finishes the Pod as Failed (exit 128, ContainerCannotRun), so kubectl does not wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "k8s_int.h"
#include "../core/jvx.h"

#define RUN_LOG_CAP (1 << 20)
#define RUN_TIMEOUT_MS 60000
#define NO_CONTAINERS "the simulator runs no containers: add a k8s run rule to the scenario " \
	"(k8s.run: [{image: \"...\", run: true}] or a stub)"

/* the first rule whose image glob matches image (a new value), or null */
static jv rule_for(struct k8s_sim *k, const char *image)
{
	jv found = jv_null();
	if (jv_get_kind(k->run_rules) != JV_KIND_ARRAY || !image)
		return found;
	jv_array_foreach(k->run_rules, i, rule) {
		const char *g = jvx_str(rule, "image");
		if (jv_get_kind(found) == JV_KIND_NULL && g && fnmatch(g, image, 0) == 0) {
			jv_free(found);
			found = jv_copy(rule);
		}
		jv_free(rule);
	}
	return found;
}

/* argv of the container (command then args), NULL-terminated; NULL when it has none */
static char **container_argv(jv c)
{
	jv cmd = jvx_get(c, "command"), args = jvx_get(c, "args");
	int n = 0, i = 0;
	n += jv_get_kind(cmd) == JV_KIND_ARRAY ? jv_array_length(jv_copy(cmd)) : 0;
	n += jv_get_kind(args) == JV_KIND_ARRAY ? jv_array_length(jv_copy(args)) : 0;
	char **argv = NULL;
	if (n > 0) {
		argv = xcalloc((size_t)n + 1, sizeof(*argv));
		jv parts[2] = { cmd, args };
		for (int p = 0; p < 2; p++) {
			if (jv_get_kind(parts[p]) != JV_KIND_ARRAY)
				continue;
			jv_array_foreach(parts[p], j, a) {
				if (jv_get_kind(a) == JV_KIND_STRING)
					argv[i++] = xstrdup(jv_string_value(a));
				jv_free(a);
			}
		}
		argv[i] = NULL;
	}
	jv_free(cmd);
	jv_free(args);
	if (argv && !argv[0]) {
		free(argv);
		argv = NULL;
	}
	return argv;
}

/* what a command needs of the simulator's environment to run here (a container gets
 * nothing else of its host's: no PGPORT, no AWS credentials) */
static const char *const host_env[] = { "PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", NULL };

/* the container's environment: host_env, HOSTNAME (the pod's name), then its env
 * (name/value pairs; valueFrom is not resolved) over them */
static char **container_envp(jv c, const char *hostname)
{
	int n = 0;
	while (host_env[n])
		n++;
	jv env = jvx_get(c, "env");
	int ne = jv_get_kind(env) == JV_KIND_ARRAY ? jv_array_length(jv_copy(env)) : 0;
	char **envp = xcalloc((size_t)(n + ne) + 2, sizeof(*envp));
	int m = 0;
	for (int i = 0; i < n; i++) {
		const char *v = getenv(host_env[i]);
		if (v) {
			size_t len = strlen(host_env[i]) + strlen(v) + 2;
			envp[m] = xmalloc(len);
			snprintf(envp[m++], len, "%s=%s", host_env[i], v);
		}
	}
	size_t hl = strlen(hostname) + 10;
	envp[m] = xmalloc(hl);
	snprintf(envp[m++], hl, "HOSTNAME=%s", hostname);
	for (int i = 0; i < ne; i++) {
		jv e = jv_array_get(jv_copy(env), i);
		const char *name = jvx_str(e, "name"), *value = jvx_str(e, "value");
		if (name && name[0] && !strchr(name, '=')) {
			size_t nl = strlen(name);
			for (int j = 0; j < m; j++)     /* the container's value wins */
				if (!strncmp(envp[j], name, nl) && envp[j][nl] == '=') {
					free(envp[j]);
					envp[j] = envp[--m];
					break;
				}
			size_t len = nl + strlen(value ? value : "") + 2;
			envp[m] = xmalloc(len);
			snprintf(envp[m++], len, "%s=%s", name, value ? value : "");
		}
		jv_free(e);
	}
	envp[m] = NULL;
	jv_free(env);
	return envp;
}

static void strv_free(char **v)
{
	for (int i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* run argv with envp, stdin /dev/null, stdout and stderr into log; the exit code (128 +
 * signal, 124 after the time limit, 127 when it cannot start: as a container runtime) */
static int run_command(char **argv, char **envp, struct buf *log)
{
	int out[2] = { -1, -1 }, code = 127, berr = 0;
	pid_t pid = -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (pipe2(out, O_CLOEXEC) < 0) {
		berr |= buf_addf(log, "cannot run %s: %s\n", argv[0], strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	int serr = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
	close(out[1]);
	out[1] = -1;
	if (serr) {
		berr |= buf_addf(log, "exec: \"%s\": %s\n", argv[0], strerror(serr));
		pid = -1;
		goto out;
	}
	char chunk[4096];
	int waited = 0, killed = 0;
	for (;;) {
		struct pollfd p = { out[0], POLLIN, 0 };
		int pr = poll(&p, 1, 100);
		if (pr > 0) {
			ssize_t n = read(out[0], chunk, sizeof(chunk));
			if (n <= 0)
				break;
			if (log->len + (size_t)n <= RUN_LOG_CAP)
				berr |= buf_add(log, chunk, (size_t)n);
		} else if (pr == 0 && (waited += 100) > RUN_TIMEOUT_MS && !killed) {
			kill(pid, SIGKILL);
			killed = 1;
		}
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	code = killed ? 124 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	BUF_NOCAP(berr);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	posix_spawn_file_actions_destroy(&fa);
	return code;
}

static const char *pod_key(jv obj, char *buf, size_t size)
{
	char nb[256], b[256];
	const char *ns = sget(obj, "metadata.namespace", nb, sizeof(nb));
	const char *name = sget(obj, "metadata.name", b, sizeof(b));
	snprintf(buf, size, "%s/%s", ns ? ns : "", name ? name : "");
	return buf;
}

/* the status of a pod whose container c ran (exit code; started and finished at now;
 * reason NULL: Completed or Error; message NULL: none) */
static jv finished_status(jv c, int code, const char *reason, const char *message, int64_t now)
{
	char t[40];
	iso(now, t, sizeof(t));
	jv term = JV_OBJECT(jv_string("exitCode"), jv_number(code),
			    jv_string("reason"), jv_string(reason ? reason : code ? "Error" : "Completed"),
			    jv_string("startedAt"), jv_string(t), jv_string("finishedAt"), jv_string(t));
	if (message)
		term = jv_object_set(term, jv_string("message"), jv_string(message));
	jv cs = JV_OBJECT(jv_string("name"), jv_string(jvx_str(c, "name") ? jvx_str(c, "name") : "app"),
			  jv_string("image"), jv_string(jvx_str(c, "image") ? jvx_str(c, "image") : ""),
			  jv_string("ready"), jv_false(), jv_string("restartCount"), jv_number(0),
			  jv_string("state"), JV_OBJECT(jv_string("terminated"), term));
	jv cond = JV_OBJECT(jv_string("type"), jv_string("Ready"), jv_string("status"), jv_string("False"),
			    jv_string("reason"), jv_string("PodCompleted"));
	return JV_OBJECT(jv_string("phase"), jv_string(code ? "Failed" : "Succeeded"),
			 jv_string("startTime"), jv_string(t),
			 jv_string("conditions"), JV_ARRAY(cond),
			 jv_string("containerStatuses"), JV_ARRAY(cs));
}

static jv running_status(jv c, int64_t now)
{
	char t[40];
	iso(now, t, sizeof(t));
	jv cs = JV_OBJECT(jv_string("name"), jv_string(jvx_str(c, "name") ? jvx_str(c, "name") : "app"),
			  jv_string("image"), jv_string(jvx_str(c, "image") ? jvx_str(c, "image") : ""),
			  jv_string("ready"), jv_true(), jv_string("restartCount"), jv_number(0), jv_string("started"), jv_true(),
			  jv_string("state"), JV_OBJECT(jv_string("running"), JV_OBJECT(jv_string("startedAt"), jv_string(t))));
	jv cond = JV_OBJECT(jv_string("type"), jv_string("Ready"), jv_string("status"), jv_string("True"));
	return JV_OBJECT(jv_string("phase"), jv_string("Running"), jv_string("startTime"), jv_string(t),
			 jv_string("conditions"), JV_ARRAY(cond), jv_string("containerStatuses"), JV_ARRAY(cs));
}

void sim_k8s_pod_written(struct k8s_sim *k, struct kobj *o, jv old, int64_t now)
{
	int created = !jv_is_valid(old);
	jv_free(old);
	jv owners = jget(o->obj, "metadata.ownerReferences");
	int bare = jv_get_kind(owners) != JV_KIND_ARRAY || jv_array_length(jv_copy(owners)) == 0;
	jv_free(owners);
	if (!created || !bare || !k->started)
		return;
	jv cs = jget(o->obj, "spec.containers");
	jv c = jv_get_kind(cs) == JV_KIND_ARRAY ? jv_array_get(jv_copy(cs), 0) : jv_object();
	jv_free(cs);
	if (!jv_is_valid(c))
		c = jv_object();
	jv rule = rule_for(k, jvx_str(c, "image"));
	char key[520];
	pod_key(o->obj, key, sizeof(key));
	k->pod_logs = jv_object_delete(k->pod_logs, jv_string(key));   /* an earlier pod's */
	if (jv_get_kind(rule) == JV_KIND_NULL) {
		o->obj = jv_object_set(o->obj, jv_string("status"), running_status(c, now));
		goto out;
	}
	int code = 0, berr = 0;
	struct buf log = BUF_INIT(0);
	jv stub = jvx_get(rule, "stub");
	if (jv_get_kind(stub) == JV_KIND_OBJECT) {
		code = (int)jvx_num(stub, "exit_code", 0);
		berr |= buf_adds(&log, jvx_str(stub, "stdout") ? jvx_str(stub, "stdout") : "");
	} else if (jvx_bool(rule, "run", 0)) {
		char **argv = container_argv(c);
		if (!argv) {
			/* the image's own entrypoint is not known here */
			berr |= buf_adds(&log, "the simulator does not know the image's entrypoint: give the pod a command\n");
			code = 128;
		} else {
			char nb[256];
			const char *pod = sget(o->obj, "metadata.name", nb, sizeof(nb));
			char **envp = container_envp(c, pod ? pod : "");
			code = run_command(argv, envp, &log);
			strv_free(envp);
		}
		strv_free(argv);
	}
	jv_free(stub);
	BUF_NOCAP(berr);
	k->pod_logs = jv_object_set(k->pod_logs, jv_string(key), jv_string_sized(buf_str(&log), (int)log.len));
	buf_release(&log);
	o->obj = jv_object_set(o->obj, jv_string("status"), finished_status(c, code, NULL, NULL, now));
out:
	jv_free(rule);
	jv_free(c);
}

/* GET pods/NAME/log, and attach / exec (websocket GET or SPDY POST) */
void sim_k8s_pod_sub(struct k8s_sim *k, struct kreq *r, struct kresp *o)
{
	struct kobj *ko = sim_k8s_at(k, sim_k8s_find(k, R_POD, r->ns, r->name));
	if (!ko) {
		sim_k8s_not_found(o, r, R_POD, r->name);
		return;
	}
	if (strcmp(r->sub, "log")) {
		/* kubectl run then waits for the pod to finish: it does, its process never ran */
		char ph[32];
		const char *phase = sget(ko->obj, "status.phase", ph, sizeof(ph));
		if (!strcmp(r->sub, "attach") && phase && !strcmp(phase, "Running")) {
			jv cs = jget(ko->obj, "spec.containers");
			jv c = jv_get_kind(cs) == JV_KIND_ARRAY ? jv_array_get(jv_copy(cs), 0) : jv_object();
			if (!jv_is_valid(c))
				c = (jv_free(c), jv_object());
			jv st = finished_status(c, 128, "ContainerCannotRun", NO_CONTAINERS, r->now);
			jv_free(cs);
			jv_free(c);
			ko->obj = jv_object_set(ko->obj, jv_string("status"), st);
			sim_k8s_touch(k, ko, 1);
		}
		sim_k8s_fail(o, 400, "BadRequest", r, jv_invalid(), "%s", NO_CONTAINERS);
		return;
	}
	if (strcmp(r->method, "GET")) {
		sim_k8s_fail(o, 405, "MethodNotAllowed", r, jv_invalid(), "the server does not allow this method on the "
			     "requested resource");
		return;
	}
	char key[520];
	jv log = jv_object_get(jv_copy(k->pod_logs), jv_string(pod_key(ko->obj, key, sizeof(key))));
	int berr = 0;
	o->status = 200;
	o->ctype = "text/plain";
	if (jv_get_kind(log) == JV_KIND_STRING)
		berr |= buf_add(&o->body, jv_string_value(log), (size_t)jv_string_length_bytes(jv_copy(log)));
	BUF_NOCAP(berr);
	jv_free(log);
}
