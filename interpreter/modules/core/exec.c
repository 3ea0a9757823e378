/* exec.c — the exec action: run a program, collect its output, check its exit code.
 *
 * Never through a shell unless `shell: true` (then /bin/sh -c COMMAND sh ARGV...).
 * The child runs in its own process group with stdin from the `stdin` arg (or
 * /dev/null), stdout and stderr on pipes read by a poll() loop into capped buffers.
 * On timeout, cancel, or output beyond CAP_OUTPUT the whole group gets SIGTERM,
 * then SIGKILL after EXEC_KILL_GRACE_MS. Values of `env` are never logged.
 *
 * In a rehearsal (CALL_REHEARSAL) the call's connections carry the sandbox that
 * `runbook rehearse` made (cli/sandbox.c): {"env": {"set": {NAME: VALUE}, "drop":
 * [PATTERN], "drop_host": [PATTERN]}, "exec": [RULE], "http": [RULE]}; a PATTERN is a
 * name or a prefix ending in '*'. The child's environment is the operator's without
 * drop, drop_host and set names, then the step's env, then without drop and set names
 * again, then set: the step cannot give back what the sandbox took away. The first
 * rule whose argv is a prefix of the step's decides: a stub is the result and nothing
 * runs; run: true runs. With no rule, a read-only exec runs and a mutating one fails
 * (the rehearsal's pre-run check refuses such steps before anything runs). Without a
 * sandbox nothing runs at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core.h"
#include "../../core/buf.h"
#include "../../core/bug.h"
#include "../../core/dur.h"
#include "../../core/jvx.h"
#include "../../core/caps.h"

extern char **environ;

#define EXEC_KILL_GRACE_MS 2000   /* SIGTERM, then SIGKILL this much later */
#define EXEC_DRAIN_MS 1000        /* after exit, how long descendants may hold the pipes */
#define EXEC_TAIL_LINES 5         /* stderr lines quoted in an ExitCode error */
#define EXEC_KEY_LINES 5          /* and at most this many ERROR/FATAL/error: lines before them */

const struct action_arg core_exec_args[] = {
	{ "argv", ARG_LIST, ARG_NONEMPTY, NULL,
	  "program and arguments, no shell; numbers and booleans are passed as their text "
	  "(with shell: true, the script's arguments $1, $2, ...)", .item = ARG_SCALAR,
	  .required_when = "!shell" },
	{ "command", ARG_STRING, ARG_NONEMPTY | ARG_SHELL, NULL,
	  "a shell command line; only together with shell: true, and without ${{ }} (pass values "
	  "in argv as \"$1\" ... or in env as \"$NAME\")", .needs = "shell",
	  .required_when = "shell" },
	{ "env", ARG_MAP, ARG_NULL_ITEMS, NULL,
	  "variables added to the environment (null removes one); values are never logged",
	  .item = ARG_SCALAR },
	{ "cwd", ARG_STRING, ARG_NONEMPTY, NULL, "working directory" },
	{ "stdin", ARG_STRING, 0, NULL, "text written to standard input (default: none, /dev/null)" },
	{ "timeout", ARG_DURATION, ARG_NONEMPTY, NULL, "kill the process group after this long" },
	{ "expect_exit", ARG_LIST, ARG_NONEMPTY | ARG_RANGE, "[0]", "exit codes (0-255) that count as success",
	  .item = ARG_INT, .min = 0, .max = 255 },
	{ "parse", ARG_STRING, 0, "\"text\"", "how to read stdout: text, json (result.json) or lines (result.lines)",
	  .choices = "text|json|lines" },
	{ "shell", ARG_BOOL, 0, "false", "run command through /bin/sh -c" },
	{ "read_only", ARG_BOOL, 0, "false", "the program changes nothing: it then runs in --dry-run" },
	{ NULL, 0, 0, NULL, NULL },
};

enum exec_parse { PARSE_TEXT, PARSE_JSON, PARSE_LINES };
static const char *const exec_parse_names[] = { "text", "json", "lines" };

struct exec_spec {
	char **argv;            /* NULL-terminated, owned */
	int argc;
	char **envp;            /* NULL-terminated, owned; NULL: environ as it is */
	int envc;
	char *cwd;
	char *input;            /* stdin text or NULL */
	size_t input_len;
	int64_t timeout_ms;     /* -1: none */
	int *expect;
	int nexpect;
	enum exec_parse parse;
	const char *name;       /* for messages: argv[0], or "sh" */
};

static void spec_release(struct exec_spec *s)
{
	int i;

	for (i = 0; i < s->argc; i++)
		free(s->argv[i]);
	free(s->argv);
	for (i = 0; i < s->envc; i++)
		free(s->envp[i]);
	free(s->envp);
	free(s->cwd);
	free(s->input);
	free(s->expect);
}

static void argv_push(struct exec_spec *s, char *arg, int *alloc)
{
	ALLOC_GROW(s->argv, s->argc + 2, *alloc);
	s->argv[s->argc++] = arg;
	s->argv[s->argc] = NULL;
}

/* whether the variable of entry ("NAME=VALUE") is named in names: an array of names
 * and "PREFIX*" patterns, or an object whose keys are names. Borrows names. */
static int env_named(const char *entry, jv names)
{
	size_t len = strcspn(entry, "=");
	int found = 0;

	if (jv_get_kind(names) == JV_KIND_OBJECT) {
		jv_object_foreach(names, k, v) {
			found |= strlen(jv_string_value(k)) == len && !strncmp(jv_string_value(k), entry, len);
			jv_free(k);
			jv_free(v);
		}
		return found;
	}
	if (jv_get_kind(names) != JV_KIND_ARRAY)
		return 0;
	jv_array_foreach(names, i, n) {
		const char *p = jv_get_kind(n) == JV_KIND_STRING ? jv_string_value(n) : "";
		size_t plen = strlen(p);

		if (plen && p[plen - 1] == '*')
			found |= len >= plen - 1 && !strncmp(p, entry, plen - 1);
		else
			found |= plen && plen == len && !strncmp(p, entry, len);
		jv_free(n);
	}
	return found;
}

/* remove the entries named in a or b (see env_named); borrows both */
static void env_drop(struct exec_spec *s, jv a, jv b)
{
	int i;

	for (i = 0; i < s->envc; i++) {
		if (env_named(s->envp[i], a) || env_named(s->envp[i], b)) {
			free(s->envp[i]);
			s->envp[i--] = s->envp[--s->envc];
		}
	}
	s->envp[s->envc] = NULL;
}

static int spec_env_map(struct exec_spec *s, jv env, int *allocp, jv *err);

/* environ plus the `env` map: a string replaces, null removes; in a rehearsal, under
 * the sandbox's env (see the top of this file). Borrows env and sandbox. */
static int spec_env(struct exec_spec *s, jv env, jv sandbox, jv *err)
{
	jv set = jvx_get(sandbox, "set"), drop = jvx_get(sandbox, "drop");
	jv host = jvx_get(sandbox, "drop_host");
	int alloc = 0, ret = -1;
	char **e;

	if (!jv_is_valid(env) && jv_get_kind(sandbox) != JV_KIND_OBJECT) {
		ret = 0;                /* nothing to change: the child gets environ itself */
		goto out;
	}
	for (e = environ; e && *e; e++) {
		if (env_named(*e, drop) || env_named(*e, host) || env_named(*e, set))
			continue;
		ALLOC_GROW(s->envp, s->envc + 2, alloc);
		s->envp[s->envc++] = xstrdup(*e);
	}
	ALLOC_GROW(s->envp, s->envc + 1, alloc);
	s->envp[s->envc] = NULL;
	if (jv_is_valid(env) && spec_env_map(s, env, &alloc, err) < 0)
		goto out;
	if (jv_get_kind(set) == JV_KIND_OBJECT) {
		env_drop(s, drop, set);
		jv_object_foreach(set, key, val) {
			struct buf b = BUF_INIT(0);

			if (jv_get_kind(val) == JV_KIND_STRING &&
			    buf_addf(&b, "%s=%s", jv_string_value(key), jv_string_value(val)) == 0) {
				ALLOC_GROW(s->envp, s->envc + 2, alloc);
				s->envp[s->envc++] = buf_detach(&b);
				s->envp[s->envc] = NULL;
			}
			buf_release(&b);
			jv_free(key);
			jv_free(val);
		}
	}
	ret = 0;
out:
	jv_free(set);
	jv_free(drop);
	jv_free(host);
	return ret;
}

/* the step's `env` map over s->envp; borrows env */
static int spec_env_map(struct exec_spec *s, jv env, int *allocp, jv *err)
{
	int berr = 0;
	int alloc = *allocp, i;

	jv_object_foreach(env, key, val) {
		const char *k = jv_string_value(key);
		size_t klen = strlen(k);
		char *text = NULL;
		struct buf b = BUF_INIT(0);
		int bad = !klen || strchr(k, '=') != NULL;

		if (!bad && jv_get_kind(val) != JV_KIND_NULL && !(text = actarg_scalar_text(val)))
			bad = 2;
		if (bad) {
			if (bad == 1)
				*err = jvx_error("BadArgs", "exec: environment variable name '%s' is not valid", k);
			else
				*err = jvx_error("BadArgs", "exec: env '%s' must be a string, number or boolean, not %s",
						 k, jvx_kind_name(val));
			jv_free(key);
			jv_free(val);
			return -1;
		}
		for (i = 0; i < s->envc; i++) {
			if (!strncmp(s->envp[i], k, klen) && s->envp[i][klen] == '=') {
				free(s->envp[i]);
				s->envp[i--] = s->envp[--s->envc];
			}
		}
		if (text) {
			berr |= buf_addf(&b, "%s=%s", k, text);
			BUF_NOCAP(berr);
			free(text);
			ALLOC_GROW(s->envp, s->envc + 2, alloc);
			s->envp[s->envc++] = buf_detach(&b);
		}
		s->envp[s->envc] = NULL;
		jv_free(key);
		jv_free(val);
	}
	*allocp = alloc;
	return 0;
}

/* fill s from the args (sandbox: the rehearsal's env rules, or invalid); on error *err
 * is the error object. Borrows args and sandbox. */
static int spec_parse(struct action_call *call, jv args, jv sandbox, struct exec_spec *s, jv *err)
{
	jv argv = actarg_get(call, args, "argv"), command = actarg_get(call, args, "command");
	jv env = actarg_get(call, args, "env"), cwd = actarg_get(call, args, "cwd");
	jv input = actarg_get(call, args, "stdin"), timeout = actarg_get(call, args, "timeout");
	jv expect = actarg_get(call, args, "expect_exit"), parse = actarg_get(call, args, "parse");
	int shell = jvx_bool(args, "shell", 0);
	int alloc = 0, ret = -1, i, n;
	size_t k;

	memset(s, 0, sizeof(*s));
	s->timeout_ms = -1;
	if (jv_is_valid(argv) && jv_get_kind(argv) != JV_KIND_ARRAY) {
		*err = jvx_error("BadArgs", "exec: 'argv' must be a list");
		goto out;
	}
	if (shell) {
		if (!jv_is_valid(command) || jv_get_kind(command) != JV_KIND_STRING) {
			*err = jvx_error("BadArgs", "exec: shell: true needs 'command' (a string)");
			goto out;
		}
		argv_push(s, xstrdup("/bin/sh"), &alloc);
		argv_push(s, xstrdup("-c"), &alloc);
		argv_push(s, xstrdup(jv_string_value(command)), &alloc);
		argv_push(s, xstrdup("sh"), &alloc);   /* $0 */
		s->name = "sh";
	} else {
		if (jv_is_valid(command)) {
			*err = jvx_error("BadArgs", "exec: 'command' runs through a shell and needs shell: true; "
					 "use 'argv' to run a program directly");
			goto out;
		}
		if (!jv_is_valid(argv) || jv_array_length(jv_copy(argv)) == 0) {
			*err = jvx_error("BadArgs", "exec: 'argv' is required (a non-empty list)");
			goto out;
		}
	}
	n = jv_is_valid(argv) ? jv_array_length(jv_copy(argv)) : 0;
	for (i = 0; i < n; i++) {
		jv item = jv_array_get(jv_copy(argv), i);
		char *text = actarg_scalar_text(item);

		if (!text) {
			*err = jvx_error("BadArgs", "exec: argv[%d] must be a string, number or boolean, not %s",
					 i, jvx_kind_name(item));
			jv_free(item);
			goto out;
		}
		if (jv_get_kind(item) == JV_KIND_STRING &&
		    strlen(text) != (size_t)jv_string_length_bytes(jv_copy(item))) {
			*err = jvx_error("BadArgs", "exec: argv[%d] contains a NUL byte", i);
			free(text);
			jv_free(item);
			goto out;
		}
		jv_free(item);
		argv_push(s, text, &alloc);
	}
	if (!shell)
		s->name = s->argv[0];
	if (!shell && !s->argv[0][0]) {
		*err = jvx_error("BadArgs", "exec: argv[0] is empty");
		goto out;
	}
	if (jv_is_valid(env) && jv_get_kind(env) != JV_KIND_OBJECT) {
		*err = jvx_error("BadArgs", "exec: 'env' must be a map");
		goto out;
	}
	if (spec_env(s, env, sandbox, err) < 0)
		goto out;
	if (jv_is_valid(cwd)) {
		struct stat st;

		if (jv_get_kind(cwd) != JV_KIND_STRING) {
			*err = jvx_error("BadArgs", "exec: 'cwd' must be a string");
			goto out;
		}
		if (stat(jv_string_value(cwd), &st) < 0 || !S_ISDIR(st.st_mode)) {
			*err = jvx_error("BadArgs", "exec: cwd '%s' is not a directory", jv_string_value(cwd));
			goto out;
		}
		s->cwd = xstrdup(jv_string_value(cwd));
	}
	if (jv_is_valid(input)) {
		if (jv_get_kind(input) != JV_KIND_STRING) {
			*err = jvx_error("BadArgs", "exec: 'stdin' must be a string");
			goto out;
		}
		s->input_len = (size_t)jv_string_length_bytes(jv_copy(input));
		s->input = xmalloc(s->input_len + 1);
		memcpy(s->input, jv_string_value(input), s->input_len + 1);
	}
	if (jv_is_valid(timeout) && actarg_dur(timeout, &s->timeout_ms) < 0) {
		*err = jvx_error("BadArgs", "exec: 'timeout' is not a duration");
		goto out;
	}
	if (jv_is_valid(expect)) {
		if (jv_get_kind(expect) == JV_KIND_NUMBER)
			expect = jv_array_append(jv_array(), expect);
		if (jv_get_kind(expect) != JV_KIND_ARRAY) {
			*err = jvx_error("BadArgs", "exec: 'expect_exit' must be a list of exit codes");
			goto out;
		}
		s->nexpect = jv_array_length(jv_copy(expect));
		s->expect = xcalloc((size_t)s->nexpect + 1, sizeof(int));
		for (i = 0; i < s->nexpect; i++) {
			jv c = jv_array_get(jv_copy(expect), i);
			double d = jv_get_kind(c) == JV_KIND_NUMBER ? jv_number_value(c) : -1;

			jv_free(c);
			if (d < 0 || d > 255 || d != (int)d) {
				*err = jvx_error("BadArgs", "exec: expect_exit[%d] is not an exit code (0-255)", i);
				goto out;
			}
			s->expect[i] = (int)d;
		}
	} else {
		s->expect = xcalloc(1, sizeof(int));
		s->nexpect = 1;
	}
	s->parse = PARSE_TEXT;
	if (jv_is_valid(parse)) {
		const char *p = jv_get_kind(parse) == JV_KIND_STRING ? jv_string_value(parse) : "";

		for (k = 0; k < sizeof(exec_parse_names) / sizeof(exec_parse_names[0]); k++)
			if (!strcmp(p, exec_parse_names[k]))
				break;
		if (k == sizeof(exec_parse_names) / sizeof(exec_parse_names[0])) {
			*err = jvx_error("BadArgs", "exec: parse must be text, json or lines, not '%s'", p);
			goto out;
		}
		s->parse = (enum exec_parse)k;
	}
	ret = 0;
out:
	jv_free(argv);
	jv_free(command);
	jv_free(env);
	jv_free(cwd);
	jv_free(input);
	jv_free(timeout);
	jv_free(expect);
	jv_free(parse);
	return ret;
}

int core_exec_mutates(jv args)
{
	return !jvx_bool(args, "read_only", 0);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static const char *sig_name(int sig, char *tmp, size_t size)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(tmp, size, "SIG%s", abbrev);
	else
		snprintf(tmp, size, "signal %d", sig);
	return tmp;
}

/* a stderr line that says what went wrong, wherever it is (pg_restore's "ERROR:
 * relation ... already exists" comes long before its summary) */
static int key_line(const char *s, size_t n)
{
	static const char *const marks[] = {"ERROR", "FATAL", "error:", "fatal:", "panic:", NULL};
	for (int m = 0; marks[m]; m++) {
		size_t l = strlen(marks[m]);
		for (size_t i = 0; i + l <= n; i++)
			if (!memcmp(s + i, marks[m], l))
				return 1;
	}
	return 0;
}

/* For error messages: the first EXEC_KEY_LINES key lines of stderr that are not in
 * its tail, "..." where lines were left out, then the last EXEC_TAIL_LINES lines
 * (CAP_EXEC_TAIL at most), in their order. */
static char *stderr_tail(const struct buf *b)
{
	const char *s = buf_str(b);
	size_t end = b->len, start, nkey = 0, key_bytes = 0, prev = 0;
	int lines = 0;
	struct buf out = BUF_INIT(CAP_EXEC_TAIL * 3);

	while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == ' ' || s[end - 1] == '\r' || s[end - 1] == '\t'))
		end--;
	start = end;
	while (start > 0 && end - start < CAP_EXEC_TAIL) {
		if (s[start - 1] == '\n' && ++lines >= EXEC_TAIL_LINES)
			break;
		start--;
	}
	for (size_t i = 0; i < start && nkey < EXEC_KEY_LINES && key_bytes < CAP_EXEC_TAIL; ) {
		const char *nl = memchr(s + i, '\n', start - i);
		size_t len = (nl ? (size_t)(nl - s) : start) - i;
		if (len && key_line(s + i, len)) {
			if (len > CAP_EXEC_TAIL / 2)
				len = CAP_EXEC_TAIL / 2;
			if ((i > prev && buf_adds(&out, "...\n") < 0) || buf_add(&out, s + i, len) < 0 ||
			    buf_addc(&out, '\n') < 0)
				break;
			nkey++;
			key_bytes += len;
			prev = nl ? (size_t)(nl - s) + 1 : start;
		}
		i = nl ? (size_t)(nl - s) + 1 : start;
	}
	if (nkey && start > prev && buf_adds(&out, "...\n") < 0)
		buf_reset(&out);
	if (buf_add(&out, s + start, end - start) < 0) {
		buf_release(&out);
		return xstrndup(s + start, end - start);
	}
	return buf_detach(&out);
}

enum exec_stop { STOP_NONE, STOP_TIMEOUT, STOP_CANCEL, STOP_TOO_LARGE };

struct exec_proc {
	pid_t pid;
	int pidfd;
	int in, out, err;            /* our ends; -1 once closed */
	size_t in_off;
	struct buf obuf, ebuf;
	int exited, status;
	enum exec_stop stop;
	const char *too_large;       /* "stdout" or "stderr" */
	int64_t term_at, exit_at;    /* monotonic ms */
	int killed;                  /* SIGKILL sent */
};

static void proc_signal(struct exec_proc *p, int sig)
{
	if (p->exited)
		return;
	/* the group first (descendants); the process itself in case it left the group */
	kill(-p->pid, sig);
	kill(p->pid, sig);
}

static void proc_stop(struct exec_proc *p, enum exec_stop why, int64_t now)
{
	if (p->stop != STOP_NONE)
		return;
	p->stop = why;
	p->term_at = now;
	if (why == STOP_TOO_LARGE) {
		proc_signal(p, SIGKILL);
		p->killed = 1;
	} else {
		proc_signal(p, SIGTERM);
	}
}

/* read what is there; 1 at EOF. Beyond the cap the rest is discarded and the
 * process stopped. */
static int proc_read(struct exec_proc *p, int fd, struct buf *b, const char *what)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n == 0)
			return 1;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return 1;
		}
		if (p->stop == STOP_TOO_LARGE)
			continue;
		if (buf_add(b, chunk, (size_t)n) < 0) {
			p->too_large = what;
			proc_stop(p, STOP_TOO_LARGE, mono_ms());
		}
	}
}

static void proc_write(struct exec_proc *p, const char *data, size_t len)
{
	while (p->in_off < len) {
		ssize_t n = write(p->in, data + p->in_off, len - p->in_off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			break;           /* EPIPE: the program does not read it all; fine */
		}
		p->in_off += (size_t)n;
	}
	close_fd(&p->in);
}

static void proc_reap(struct exec_proc *p, int flags)
{
	pid_t r;

	if (p->exited)
		return;
	do
		r = waitpid(p->pid, &p->status, flags);
	while (r < 0 && errno == EINTR);
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->exited = 1;
		p->exit_at = mono_ms();
	}
}

/* the poll loop: until the process has exited and its pipes are closed (or drained
 * for EXEC_DRAIN_MS after exit), stopping it on timeout / cancel / output cap */
static void proc_run(struct action_call *call, struct exec_proc *p, const struct exec_spec *s,
		     int64_t timeout_ms)
{
	int64_t start = mono_ms();
	int64_t deadline = timeout_ms >= 0 ? start + timeout_ms : -1;

	for (;;) {
		struct pollfd fds[4];
		int nfds = 0, iout = -1, ierr = -1, iin = -1, ipid = -1;
		int64_t now = mono_ms(), wait = 100;

		if (!p->exited && action_cancelled(call))
			proc_stop(p, STOP_CANCEL, now);
		if (!p->exited && deadline >= 0 && now >= deadline)
			proc_stop(p, STOP_TIMEOUT, now);
		if (!p->exited && p->stop != STOP_NONE && !p->killed &&
		    now - p->term_at >= EXEC_KILL_GRACE_MS) {
			proc_signal(p, SIGKILL);
			p->killed = 1;
		}
		if (p->exited && p->out < 0 && p->err < 0)
			break;
		if (p->exited && (now - p->exit_at >= EXEC_DRAIN_MS || p->stop != STOP_NONE))
			break;

		if (p->out >= 0) {
			iout = nfds;
			fds[nfds++] = (struct pollfd){ p->out, POLLIN, 0 };
		}
		if (p->err >= 0) {
			ierr = nfds;
			fds[nfds++] = (struct pollfd){ p->err, POLLIN, 0 };
		}
		if (p->in >= 0) {
			iin = nfds;
			fds[nfds++] = (struct pollfd){ p->in, POLLOUT, 0 };
		}
		if (!p->exited && p->pidfd >= 0) {
			ipid = nfds;
			fds[nfds++] = (struct pollfd){ p->pidfd, POLLIN, 0 };
		}
		if (!p->exited && p->pidfd < 0)
			wait = 10;            /* no pidfd: notice the exit by polling waitpid */
		if (deadline >= 0 && !p->exited && p->stop == STOP_NONE && deadline - now < wait)
			wait = deadline - now;
		if (p->exited && EXEC_DRAIN_MS - (now - p->exit_at) < wait)
			wait = EXEC_DRAIN_MS - (now - p->exit_at);
		if (wait < 0)
			wait = 0;
		if (poll(fds, (nfds_t)nfds, (int)wait) < 0 && errno != EINTR)
			BUG("poll failed");
		if (iout >= 0 && fds[iout].revents && proc_read(p, p->out, &p->obuf, "stdout"))
			close_fd(&p->out);
		if (ierr >= 0 && fds[ierr].revents && proc_read(p, p->err, &p->ebuf, "stderr"))
			close_fd(&p->err);
		if (iin >= 0 && fds[iin].revents)
			proc_write(p, s->input, s->input_len);
		if (ipid >= 0 && fds[ipid].revents)
			proc_reap(p, 0);
		else
			proc_reap(p, WNOHANG);
	}
	if (!p->exited) {
		proc_signal(p, SIGKILL);
		proc_reap(p, 0);
	}
}

static int spawn(struct exec_proc *p, const struct exec_spec *s, jv *err)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t mask, def;
	static const int defsigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD,
				       SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2, SIGALRM };
	size_t i;
	int rc, ret = -1;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if ((s->input && pipe2(in, O_CLOEXEC) < 0) || pipe2(outp, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0) {
		*err = jvx_error("SpawnFailed", "exec: cannot create pipes: %s", strerror(errno));
		goto out;
	}
	if (s->input)
		posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	if (s->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, s->cwd);
	sigemptyset(&mask);
	sigemptyset(&def);
	for (i = 0; i < sizeof(defsigs) / sizeof(defsigs[0]); i++)
		sigaddset(&def, defsigs[i]);
	posix_spawnattr_setsigmask(&at, &mask);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&p->pid, s->argv[0], &fa, &at, s->argv, s->envp ? s->envp : environ);
	if (rc) {
		*err = jvx_error(rc == ENOENT ? "CommandNotFound" : "SpawnFailed",
				 "exec: cannot run '%s': %s", s->argv[0], strerror(rc));
		goto out;
	}
	p->out = outp[0];
	p->err = errp[0];
	p->in = in[1];
	outp[0] = errp[0] = in[1] = -1;
	fcntl(p->out, F_SETFL, O_NONBLOCK);
	fcntl(p->err, F_SETFL, O_NONBLOCK);
	if (p->in >= 0)
		fcntl(p->in, F_SETFL, O_NONBLOCK);
	p->pidfd = pidfd_open(p->pid, 0);
	ret = 0;
out:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return ret;
}

static jv split_lines(const struct buf *b)
{
	jv lines = jv_array();
	const char *s = buf_str(b), *end = s + b->len;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		size_t len = (size_t)(e - s);

		if (len && s[len - 1] == '\r')
			len--;
		lines = jv_array_append(lines, jv_string_sized(s, (int)len));
		s = nl ? nl + 1 : end;
	}
	return lines;
}

static int expected(const struct exec_spec *s, int code)
{
	int i;

	for (i = 0; i < s->nexpect; i++)
		if (s->expect[i] == code)
			return 1;
	return 0;
}

static jv with_output(jv e, int code, const struct buf *ebuf)
{
	char *tail = stderr_tail(ebuf);

	if (code >= 0)
		e = jv_object_set(e, jv_string("exit_code"), jv_number(code));
	e = jv_object_set(e, jv_string("stderr"), jv_string(tail));
	free(tail);
	return e;
}

/* the argv a rule sees: the program and its arguments, or for shell: true
 * [sh, -c, COMMAND, ARGV...] (without the $0 that exec adds) */
static int rule_argv(const struct exec_spec *s, const char ***v)
{
	int shell = s->name && !strcmp(s->name, "sh") && s->argc >= 4 && !strcmp(s->argv[0], "/bin/sh");
	int n = shell ? s->argc - 1 : s->argc, i, j = 0;

	*v = xcalloc((size_t)n + 1, sizeof(**v));
	for (i = 0; i < s->argc; i++) {
		if (shell && i == 3)
			continue;               /* $0 */
		(*v)[j++] = shell && i == 0 ? "sh" : s->argv[i];
	}
	return j;
}

/* the first of the sandbox's exec rules whose argv is a prefix of the call's, or
 * invalid; borrows sandbox */
static jv rule_find(jv sandbox, const struct exec_spec *s)
{
	jv rules = jvx_get(sandbox, "exec"), found = jv_invalid();
	const char **v;
	int n = rule_argv(s, &v);

	if (jv_get_kind(rules) == JV_KIND_ARRAY) {
		jv_array_foreach(rules, i, r) {
			jv argv = jvx_get(r, "argv");
			int k = jv_get_kind(argv) == JV_KIND_ARRAY ? jv_array_length(jv_copy(argv)) : 0;
			int match = !jv_is_valid(found) && k > 0 && k <= n;

			for (int j = 0; match && j < k; j++) {
				jv a = jv_array_get(jv_copy(argv), j);
				match = jv_get_kind(a) == JV_KIND_STRING && !strcmp(jv_string_value(a), v[j]);
				jv_free(a);
			}
			jv_free(argv);
			if (match)
				found = r;
			else
				jv_free(r);
		}
	}
	jv_free(rules);
	free(v);
	return found;
}

/* "kubectl cp a b" for messages: at most the first four words */
static int argv_text(const struct exec_spec *s, struct buf *b)
{
	int berr = 0;
	const char **v;
	int n = rule_argv(s, &v);

	for (int i = 0; i < n && i < 4; i++)
		berr |= buf_addf(b, "%s%s", i ? " " : "", v[i]);
	if (n > 4)
		berr |= buf_adds(b, " ...");
	free(v);
	return berr;
}

/* the journal's debug line for the call (before its error when it does not start) */
static void log_start(struct action_call *call, const struct exec_spec *s, int stub)
{
	action_log(call, LOG_DEBUG, "exec: %s '%s' (%d args%s%s)", stub ? "stubbed" : "running", s->name, s->argc,
		   s->cwd ? ", cwd " : "", s->cwd ? s->cwd : "");
}

int core_exec_run(struct action_call *call, jv args, jv *out)
{
	int berr = 0;
	struct exec_spec s;
	struct exec_proc p;
	sigset_t pipeset, oldset;
	struct timespec zero = { 0, 0 };
	jv res = jv_invalid(), err = jv_invalid(), sandbox = jv_invalid(), rule = jv_invalid();
	jv senv = jv_invalid();
	int64_t left, t0;
	int ret = -1, code = -1, sig = 0, stub = 0, rc;
	char tmp[32], tmp2[32];
	char *tail = NULL;

	memset(&p, 0, sizeof(p));
	memset(&s, 0, sizeof(s));
	p.pid = -1;
	p.pidfd = p.in = p.out = p.err = -1;
	buf_init(&p.obuf, CAP_OUTPUT);
	buf_init(&p.ebuf, CAP_OUTPUT);
	if (call->flags & CALL_REHEARSAL) {
		sandbox = jvx_get(call->connections, "sandbox");
		if (jv_get_kind(sandbox) != JV_KIND_OBJECT) {
			*out = jvx_error("NoSandbox", "exec: a rehearsal without its sandbox runs nothing (not started)");
			goto out_spec;
		}
		senv = jvx_get(sandbox, "env");
		if (jv_get_kind(senv) != JV_KIND_OBJECT) {
			*out = jvx_error("NoSandbox", "exec: the rehearsal's sandbox has no environment (not started)");
			goto out_spec;
		}
	}
	if (spec_parse(call, args, senv, &s, &err) < 0) {
		*out = err;
		goto out_spec;
	}
	if (jv_is_valid(sandbox)) {
		rule = rule_find(sandbox, &s);
		stub = jv_is_valid(rule) && jvx_has(rule, "stub");
		if (!jv_is_valid(rule) && core_exec_mutates(args)) {
			struct buf b = BUF_INIT(0);

			berr |= argv_text(&s, &b);
			BUF_NOCAP(berr);
			*out = jvx_error("NotInRehearsal", "exec: '%s' mutates and no exec: rule of the scenario runs or "
					 "stubs it: a rehearsal does not run it (not started)", buf_str(&b));
			buf_release(&b);
			goto out_spec;
		}
	}
	if (action_cancelled(call)) {
		log_start(call, &s, stub);
		*out = jvx_error("Cancelled", "exec: cancelled; '%s' not started", s.name);
		goto out_spec;
	}
	left = action_time_left(call, s.timeout_ms);
	if (left == 0) {
		log_start(call, &s, stub);
		*out = jvx_error("Timeout", "exec: the step's deadline has passed; '%s' not started", s.name);
		goto out_spec;
	}
	/* writing to a closed stdin pipe must not kill the interpreter: block SIGPIPE in
	 * this thread, take any pending one afterwards */
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &oldset);
	t0 = mono_ms();
	if (stub) {
		/* the scenario's answer is the result: nothing runs */
		jv st = jvx_get(rule, "stub");
		const char *o = jvx_str(st, "stdout"), *e = jvx_str(st, "stderr");

		log_start(call, &s, stub);
		code = (int)jvx_int(st, "exit_code", 0);
		if ((o && buf_adds(&p.obuf, o) < 0) || (e && buf_adds(&p.ebuf, e) < 0)) {
			jv_free(st);
			*out = jvx_error("OutputTooLarge", "exec: the stub of '%s' is larger than %zu MiB",
					 s.name, CAP_OUTPUT >> 20);
			goto out_mask;
		}
		jv_free(st);
		goto result;
	}
	rc = spawn(&p, &s, &err);
	/* logged once the program is on its way: the line is not between the write-ahead
	 * sync and the program's start */
	log_start(call, &s, 0);
	if (rc < 0) {
		*out = err;
		goto out_mask;
	}
	if (p.in >= 0)
		proc_write(&p, s.input, s.input_len);
	proc_run(call, &p, &s, left);
	while (sigtimedwait(&pipeset, NULL, &zero) == SIGPIPE)
		;

	if (WIFEXITED(p.status))
		code = WEXITSTATUS(p.status);
	else if (WIFSIGNALED(p.status)) {
		sig = WTERMSIG(p.status);
		code = 128 + sig;
	}
	switch (p.stop) {
	case STOP_TOO_LARGE:
		*out = jvx_error("OutputTooLarge", "exec: '%s' wrote more than %zu MiB to %s (stopped)",
				 s.name, CAP_OUTPUT >> 20, p.too_large);
		goto out_mask;
	case STOP_CANCEL:
		*out = jvx_error("Cancelled", "exec: '%s' cancelled (process group killed)", s.name);
		goto out_mask;
	case STOP_TIMEOUT:
		*out = with_output(jvx_error("Timeout", "exec: '%s' timed out after %s (process group killed)",
					     s.name, dur_format(left, tmp, sizeof(tmp))), -1, &p.ebuf);
		goto out_mask;
	case STOP_NONE:
		break;
	}
result:
	tail = stderr_tail(&p.ebuf);
	if (sig) {
		*out = with_output(jvx_error("Signal", "exec: '%s' was killed by %s%s%s", s.name,
					     sig_name(sig, tmp2, sizeof(tmp2)), *tail ? ": " : "", tail),
				   code, &p.ebuf);
		goto out_mask;
	}
	if (!expected(&s, code)) {
		struct buf want = BUF_INIT(0);
		int i;

		for (i = 0; i < s.nexpect; i++)
			berr |= buf_addf(&want, "%s%d", i ? ", " : "", s.expect[i]);
		BUF_NOCAP(berr);
		*out = with_output(jvx_error("ExitCode", "exec: '%s' exited with %d (expected %s)%s%s",
					     s.name, code, buf_str(&want), *tail ? ": " : "", tail),
				   code, &p.ebuf);
		buf_release(&want);
		goto out_mask;
	}
	res = jv_object();
	res = jv_object_set(res, jv_string("exit_code"), jv_number(code));
	res = jv_object_set(res, jv_string("stdout"), jv_string_sized(buf_str(&p.obuf), (int)p.obuf.len));
	res = jv_object_set(res, jv_string("stderr"), jv_string_sized(buf_str(&p.ebuf), (int)p.ebuf.len));
	res = jv_object_set(res, jv_string("duration_ms"), jv_number((double)(mono_ms() - t0)));
	if (s.parse == PARSE_JSON) {
		jv parsed = jvx_parse_sized(buf_str(&p.obuf), p.obuf.len);

		if (!jv_is_valid(parsed)) {
			jv msg = jv_invalid_get_msg(parsed);
			*out = jvx_error("ParseError", "exec: stdout of '%s' is not JSON: %s", s.name,
					 jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "no value");
			jv_free(msg);
			goto out_mask;
		}
		res = jv_object_set(res, jv_string("json"), parsed);
	} else if (s.parse == PARSE_LINES) {
		res = jv_object_set(res, jv_string("lines"), split_lines(&p.obuf));
	}
	*out = res;
	res = jv_invalid();
	ret = 0;
out_mask:
	pthread_sigmask(SIG_SETMASK, &oldset, NULL);
out_spec:
	free(tail);
	jv_free(res);
	close_fd(&p.in);
	close_fd(&p.out);
	close_fd(&p.err);
	close_fd(&p.pidfd);
	buf_release(&p.obuf);
	buf_release(&p.ebuf);
	spec_release(&s);
	jv_free(rule);
	jv_free(senv);
	jv_free(sandbox);
	jv_free(args);
	return ret;
}

/* ---- --dry-run: describe, never run ---- */

/* where posix_spawnp would find the program, or NULL (malloc'd) */
static char *exec_resolve(const struct exec_spec *s)
{
	int berr = 0;
	const char *prog = s->argv[0], *path, *p, *end;
	struct buf b = BUF_INIT(0);

	if (strchr(prog, '/')) {
		if (prog[0] != '/' && s->cwd)
			berr |= buf_addf(&b, "%s/%s", s->cwd, prog);
		else
			berr |= buf_adds(&b, prog);
		BUF_NOCAP(berr);
		if (access(buf_str(&b), X_OK) == 0)
			return buf_detach(&b);
		buf_release(&b);
		return NULL;
	}
	path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	for (p = path; ; p = end + 1) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		buf_reset(&b);
		if (end == p)            /* an empty PATH element is the current directory */
			berr |= buf_addf(&b, "./%s", prog);
		else
			berr |= buf_addf(&b, "%.*s/%s", (int)(end - p), p, prog);
		BUF_NOCAP(berr);
		if (access(buf_str(&b), X_OK) == 0) {
			struct stat st;
			if (stat(buf_str(&b), &st) == 0 && S_ISREG(st.st_mode))
				return buf_detach(&b);
		}
		if (!*end)
			break;
	}
	buf_release(&b);
	return NULL;
}

/* an argv item as a shell would need it to read it back (display only) */
static int quote_arg(struct buf *b, const char *a)
{
	int berr = 0;
	const char *c;

	if (*a && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-") == strlen(a)) {
		berr |= buf_adds(b, a);
		return berr;
	}
	berr |= buf_addc(b, '\'');
	for (c = a; *c; c++) {
		if (*c == '\'')
			berr |= buf_adds(b, "'\\''");
		else
			berr |= buf_addc(b, *c);
	}
	berr |= buf_addc(b, '\'');
	return berr;
}

/* The description shown instead of the call: the program as it would be found, its
 * arguments, cwd, the NAMES of env variables (never their values), stdin size; or
 * "... cannot start now: ..." when it could not start as things are (bad args, program
 * missing; an earlier step that was only described might have created it). */
int core_exec_dry_run(struct action_call *call, jv args, jv *out)
{
	int berr = 0;
	struct exec_spec s;
	jv err = jv_invalid(), env = actarg_get(call, args, "env");
	struct buf b = BUF_INIT(CAP_MESSAGE);
	char *prog = NULL, tmp[32];
	int i;

	if (spec_parse(call, args, jv_invalid(), &s, &err) < 0) {
		const char *m = jvx_str(err, "message");
		berr |= buf_addf(&b, "would call exec, but it cannot start now: %s", m ? m : "bad arguments");
		goto done;
	}
	prog = exec_resolve(&s);
	if (!prog) {
		berr |= buf_addf(&b, "would call exec, but it cannot start now: '%s' %s", s.argv[0],
			 strchr(s.argv[0], '/') ? "is not an executable file" : "is not found on PATH");
		goto done;
	}
	berr |= buf_adds(&b, "would run ");
	berr |= quote_arg(&b, prog);
	for (i = 1; i < s.argc; i++) {
		berr |= buf_addc(&b, ' ');
		berr |= quote_arg(&b, s.argv[i]);
	}
	if (s.cwd) {
		berr |= buf_adds(&b, " in ");
		berr |= quote_arg(&b, s.cwd);
	}
	if (jv_get_kind(env) == JV_KIND_OBJECT && jv_object_length(jv_copy(env)) > 0) {
		int first = 1;
		berr |= buf_adds(&b, " with env");
		jv_object_foreach(env, key, val) {
			berr |= buf_addf(&b, "%s%s", first ? " " : ",", jv_string_value(key));
			first = 0;
			jv_free(key);
			jv_free(val);
		}
	}
	if (s.input)
		berr |= buf_addf(&b, ", %zu bytes on stdin", s.input_len);
	if (s.timeout_ms >= 0)
		berr |= buf_addf(&b, ", timeout %s", dur_format(s.timeout_ms, tmp, sizeof(tmp)));
done:
	/* an add refused at the cap left what came before it */
	*out = berr ? jv_string_fmt("%s ... (cut at 64 KiB)", buf_str(&b)) : jv_string(buf_str(&b));
	buf_release(&b);
	free(prog);
	jv_free(err);
	jv_free(env);
	spec_release(&s);
	jv_free(args);
	return 0;
}
