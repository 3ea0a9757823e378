/* exec_test.c — the exec action against real processes. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "coretest.h"

static struct rb_clock *clk;

/* run exec with JSON args; returns run()'s value; *out is the result or error */
static int ex(const char *args, jv *out, struct tcall *t)
{
	tcall_init(t, "exec", clk);
	return tcall_run(t, args, out);
}

static void test_argv(void)
{
	struct tcall t;
	jv r;

	CHECK(ex("{\"argv\": [\"printf\", \"%s|%s|%s|%s|%s\", \"hello world\", 42, true, 1.5, 1700000000]}", &r, &t) == 0);
	CHECK_STR(tstr(r, "stdout"), "hello world|42|true|1.5|1700000000");
	CHECK(jvx_int(r, "exit_code", -1) == 0);
	CHECK_STR(tstr(r, "stderr"), "");
	CHECK(!jvx_has(r, "json") && !jvx_has(r, "lines"));
	jv_free(r);
	tcall_release(&t);

	/* no shell: metacharacters reach the program untouched */
	CHECK(ex("{\"argv\": [\"echo\", \"$HOME;\", \"`id`\", \"a|b\"]}", &r, &t) == 0);
	CHECK_STR(tstr(r, "stdout"), "$HOME; `id` a|b\n");
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"argv\": [\"/nonexistent/prog\"]}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "CommandNotFound");
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"argv\": []}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "BadArgs");
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"argv\": [\"echo\", {\"a\": 1}]}", &r, &t) == -1);
	CHECK(tcontains(tstr(r, "message"), "argv[1]"));
	jv_free(r);
	tcall_release(&t);
}

static void test_env(void)
{
	struct tcall t;
	jv r;

	setenv("RB_EXEC_DROP", "present", 1);
	setenv("RB_EXEC_KEEP", "kept", 1);
	CHECK(ex("{\"argv\": [\"sh\", \"-c\", \"printf '%s,%s,%s,%s' \\\"$RB_EXEC_X\\\" \\\"${RB_EXEC_DROP-unset}\\\" \\\"$RB_EXEC_KEEP\\\" \\\"$RB_EXEC_N\\\"\"],"
		 " \"env\": {\"RB_EXEC_X\": \"s3cr3t-value-77\", \"RB_EXEC_DROP\": null, \"RB_EXEC_N\": 5}}", &r, &t) == 0);
	CHECK_STR(tstr(r, "stdout"), "s3cr3t-value-77,unset,kept,5");
	/* env values never reach the log */
	CHECK(!tcontains(buf_str(&t.log), "s3cr3t"));
	jv_free(r);
	tcall_release(&t);

	/* a replaced variable appears once */
	CHECK(ex("{\"argv\": [\"sh\", \"-c\", \"env | grep -c '^RB_EXEC_KEEP='\"], \"env\": {\"RB_EXEC_KEEP\": \"new\"}}", &r, &t) == 0);
	CHECK_STR(tstr(r, "stdout"), "1\n");
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"argv\": [\"true\"], \"env\": {\"A=B\": \"x\"}}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "BadArgs");
	jv_free(r);
	tcall_release(&t);
}

static void test_cwd(void)
{
	struct tcall t;
	char tmpl[] = "/tmp/rb-exec-XXXXXX", real[PATH_MAX], want[PATH_MAX + 2], args[PATH_MAX + 100], *dir;
	jv r;

	dir = mkdtemp(tmpl);
	CHECK(dir != NULL);
	CHECK(realpath(dir, real) != NULL);
	snprintf(args, sizeof(args), "{\"argv\": [\"pwd\", \"-P\"], \"cwd\": \"%s\"}", dir);
	CHECK(ex(args, &r, &t) == 0);
	snprintf(want, sizeof(want), "%s\n", real);
	CHECK_STR(tstr(r, "stdout"), want);
	jv_free(r);
	tcall_release(&t);

	/* a relative program path resolves in cwd */
	snprintf(args, sizeof(args), "%s/hello.sh", dir);
	FILE *f = fopen(args, "w");
	CHECK(f != NULL);
	fputs("#!/bin/sh\necho from-script\n", f);
	fclose(f);
	chmod(args, 0755);
	snprintf(args, sizeof(args), "{\"argv\": [\"./hello.sh\"], \"cwd\": \"%s\"}", dir);
	CHECK(ex(args, &r, &t) == 0);
	CHECK_STR(tstr(r, "stdout"), "from-script\n");
	jv_free(r);
	tcall_release(&t);
	snprintf(args, sizeof(args), "%s/hello.sh", dir);
	unlink(args);
	rmdir(dir);

	CHECK(ex("{\"argv\": [\"pwd\"], \"cwd\": \"/nonexistent/dir\"}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "BadArgs");
	CHECK(tcontains(tstr(r, "message"), "/nonexistent/dir"));
	jv_free(r);
	tcall_release(&t);
}

static int test_stdin(void)
{
	int berr = 0;
	struct tcall t;
	struct buf big = BUF_INIT(0);
	jv r, args;

	CHECK(ex("{\"argv\": [\"cat\"], \"stdin\": \"line1\\nline2\\n\"}", &r, &t) == 0);
	CHECK_STR(tstr(r, "stdout"), "line1\nline2\n");
	jv_free(r);
	tcall_release(&t);

	/* without stdin the program reads /dev/null, not the terminal */
	CHECK(ex("{\"argv\": [\"cat\"]}", &r, &t) == 0);
	CHECK_STR(tstr(r, "stdout"), "");
	jv_free(r);
	tcall_release(&t);

	/* 2 MiB through the pipe (more than a pipe buffer) while stdout is read */
	for (int i = 0; i < (2 << 20) / 16; i++)
		berr |= buf_adds(&big, "0123456789abcde\n");
	args = jv_object_set(jv_parse("{\"argv\": [\"wc\", \"-c\"]}"), jv_string("stdin"), jv_string(buf_str(&big)));
	tcall_init(&t, "exec", clk);
	r = jv_null();
	CHECK(t.call.desc->run(&t.call, tcall_defaults(t.call.desc, args), &r) == 0);
	CHECK(atoi(tstr(r, "stdout")) == 2 << 20);
	jv_free(r);
	tcall_release(&t);

	/* a program that does not read its stdin: no SIGPIPE death of the interpreter */
	args = jv_object_set(jv_parse("{\"argv\": [\"true\"]}"), jv_string("stdin"), jv_string(buf_str(&big)));
	tcall_init(&t, "exec", clk);
	r = jv_null();
	CHECK(t.call.desc->run(&t.call, tcall_defaults(t.call.desc, args), &r) == 0);
	CHECK(jvx_int(r, "exit_code", -1) == 0);
	jv_free(r);
	tcall_release(&t);
	buf_release(&big);
	return berr;
}

/* 1 if pid is gone or a zombie (the container's init may not reap) */
static int pid_dead(pid_t pid)
{
	char path[64], stat[256];
	FILE *f;
	int dead = 1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	if (fgets(stat, sizeof(stat), f)) {
		char *p = strrchr(stat, ')');
		dead = p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
	}
	fclose(f);
	return dead;
}

static void test_timeout(void)
{
	struct tcall t;
	int64_t t0;
	jv r;
	char pidfile[] = "/tmp/rb-exec-pid-XXXXXX", args[512];
	int fd, gone = 0;
	pid_t bg = 0;
	FILE *f;

	t0 = test_now_ms();
	CHECK(ex("{\"argv\": [\"sleep\", \"30\"], \"timeout\": \"300ms\"}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "Timeout");
	CHECK(test_now_ms() - t0 < 3000);
	jv_free(r);
	tcall_release(&t);

	/* a timeout given as a number of seconds */
	t0 = test_now_ms();
	CHECK(ex("{\"argv\": [\"sleep\", \"30\"], \"timeout\": 0.2}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "Timeout");
	CHECK(test_now_ms() - t0 < 3000);
	jv_free(r);
	tcall_release(&t);

	/* the whole process group dies: a background grandchild too */
	fd = mkstemp(pidfile);
	CHECK(fd >= 0);
	close(fd);
	snprintf(args, sizeof(args), "{\"argv\": [\"sh\", \"-c\", \"sleep 60 & echo $! > %s; wait\"], \"timeout\": \"500ms\"}",
		 pidfile);
	CHECK(ex(args, &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "Timeout");
	jv_free(r);
	tcall_release(&t);
	f = fopen(pidfile, "r");
	CHECK(f && fscanf(f, "%d", &bg) == 1 && bg > 0);
	if (f)
		fclose(f);
	unlink(pidfile);
	for (int i = 0; i < 50 && bg > 0 && !(gone = pid_dead(bg)); i++)
		usleep(20000);
	CHECK(gone);

	/* SIGTERM ignored: SIGKILL follows after the grace period */
	t0 = test_now_ms();
	CHECK(ex("{\"argv\": [\"sh\", \"-c\", \"trap '' TERM; sleep 30\"], \"timeout\": \"200ms\"}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "Timeout");
	CHECK(test_now_ms() - t0 >= 2000 && test_now_ms() - t0 < 6000);
	jv_free(r);
	tcall_release(&t);

	/* the step's deadline bounds exec too */
	tcall_init(&t, "exec", clk);
	t.call.deadline = clock_now(clk) + 300;
	t0 = test_now_ms();
	CHECK(tcall_run(&t, "{\"argv\": [\"sleep\", \"30\"]}", &r) == -1);
	CHECK_STR(tstr(r, "code"), "Timeout");
	CHECK(test_now_ms() - t0 < 3000);
	jv_free(r);
	tcall_release(&t);
}

static void *cancel_later(void *arg)
{
	usleep(300000);
	*(volatile int *)arg = 1;
	return NULL;
}

static void test_cancel(void)
{
	struct tcall t;
	pthread_t th;
	int64_t t0 = test_now_ms();
	jv r;
	char path[64];

	tcall_init(&t, "exec", clk);
	pthread_create(&th, NULL, cancel_later, (void *)&t.cancel);
	CHECK(tcall_run(&t, "{\"argv\": [\"sleep\", \"30\"]}", &r) == -1);
	pthread_join(th, NULL);
	CHECK_STR(tstr(r, "code"), "Cancelled");
	CHECK(test_now_ms() - t0 < 3000);
	jv_free(r);
	tcall_release(&t);

	/* cancelled before it starts: nothing runs */
	tcall_init(&t, "exec", clk);
	t.cancel = 1;
	{
		char a[128];
		snprintf(path, sizeof(path), "/tmp/rb-exec-cancelled-%d", (int)getpid());
		snprintf(a, sizeof(a), "{\"argv\": [\"touch\", \"%s\"]}", path);
		CHECK(tcall_run(&t, a, &r) == -1);
	}
	CHECK_STR(tstr(r, "code"), "Cancelled");
	CHECK(access(path, F_OK) != 0);
	jv_free(r);
	tcall_release(&t);
}

static void test_exit_codes(void)
{
	struct tcall t;
	jv r;

	CHECK(ex("{\"argv\": [\"sh\", \"-c\", \"echo first >&2; echo oops-detail >&2; exit 3\"]}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "ExitCode");
	CHECK(tcontains(tstr(r, "message"), "exited with 3"));
	CHECK(tcontains(tstr(r, "message"), "oops-detail"));
	CHECK(jvx_int(r, "exit_code", -1) == 3);
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"argv\": [\"sh\", \"-c\", \"exit 3\"], \"expect_exit\": [0, 3]}", &r, &t) == 0);
	CHECK(jvx_int(r, "exit_code", -1) == 3);
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"argv\": [\"true\"], \"expect_exit\": [1]}", &r, &t) == -1);
	CHECK(tcontains(tstr(r, "message"), "exited with 0 (expected 1)"));
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"argv\": [\"sh\", \"-c\", \"kill -SEGV $$\"]}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "Signal");
	CHECK(tcontains(tstr(r, "message"), "SIGSEGV"));
	jv_free(r);
	tcall_release(&t);

	/* only the last lines of a long stderr are quoted */
	CHECK(ex("{\"argv\": [\"sh\", \"-c\", \"seq 1 1000 >&2; exit 1\"]}", &r, &t) == -1);
	CHECK(tcontains(tstr(r, "message"), "1000"));
	CHECK(!tcontains(tstr(r, "message"), "\n990\n"));
	CHECK(strlen(tstr(r, "message")) < 1200);
	jv_free(r);
	tcall_release(&t);
}

static void test_parse(void)
{
	struct tcall t;
	jv r, v;

	CHECK(ex("{\"argv\": [\"echo\", \"{\\\"a\\\": [1, 2], \\\"id\\\": \\\"i-123\\\"}\"], \"parse\": \"json\"}", &r, &t) == 0);
	v = jv_getpath(jv_copy(r), jv_parse("[\"json\", \"a\", 1]"));
	CHECK(jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) == 2);
	jv_free(v);
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"argv\": [\"echo\", \"not json\"], \"parse\": \"json\"}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "ParseError");
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"argv\": [\"printf\", \"a\\nb\\r\\n\\nc\"], \"parse\": \"lines\"}", &r, &t) == 0);
	v = jvx_get(r, "lines");
	{
		char *s = jvx_dump(v);
		CHECK_STR(s, "[\"a\",\"b\",\"\",\"c\"]");
		free(s);
	}
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"argv\": [\"printf\", \"x\\ny\\n\"], \"parse\": \"lines\"}", &r, &t) == 0);
	CHECK(jv_array_length(jvx_get(r, "lines")) == 2);
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"argv\": [\"true\"], \"parse\": \"yaml\"}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "BadArgs");
	jv_free(r);
	tcall_release(&t);
}

static void test_shell(void)
{
	struct tcall t;
	jv r;

	/* a command string without shell: true is refused, and nothing runs */
	char path[64], a[128];

	snprintf(path, sizeof(path), "/tmp/rb-exec-must-not-exist-%d", (int)getpid());
	snprintf(a, sizeof(a), "{\"command\": \"touch %s\"}", path);
	CHECK(ex(a, &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "BadArgs");
	CHECK(tcontains(tstr(r, "message"), "shell: true"));
	CHECK(access(path, F_OK) != 0);
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"shell\": true, \"command\": \"echo \\\"$1-$2\\\" | tr a-z A-Z\", \"argv\": [\"ab; rm -rf /\", 7]}", &r, &t) == 0);
	CHECK_STR(tstr(r, "stdout"), "AB; RM -RF /-7\n");
	jv_free(r);
	tcall_release(&t);

	CHECK(ex("{\"shell\": true, \"argv\": [\"echo\"]}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "BadArgs");
	jv_free(r);
	tcall_release(&t);
}

static void test_output_cap(void)
{
	struct tcall t;
	int64_t t0 = test_now_ms();
	jv r;

	CHECK(ex("{\"argv\": [\"head\", \"-c\", \"20000000\", \"/dev/zero\"]}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "OutputTooLarge");
	CHECK(tcontains(tstr(r, "message"), "stdout"));
	jv_free(r);
	tcall_release(&t);

	/* an endless writer is stopped too */
	CHECK(ex("{\"argv\": [\"sh\", \"-c\", \"yes error >&2\"]}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "OutputTooLarge");
	CHECK(tcontains(tstr(r, "message"), "stderr"));
	CHECK(test_now_ms() - t0 < 20000);
	jv_free(r);
	tcall_release(&t);

	/* just under the cap is kept whole */
	CHECK(ex("{\"argv\": [\"head\", \"-c\", \"16000000\", \"/dev/zero\"]}", &r, &t) == 0);
	CHECK(jv_string_length_bytes(jvx_get(r, "stdout")) == 16000000);
	jv_free(r);
	tcall_release(&t);
}

static void test_background_holder(void)
{
	struct tcall t;
	int64_t t0 = test_now_ms();
	jv r;

	/* the program exits but a background child keeps stdout open: exec returns soon */
	CHECK(ex("{\"argv\": [\"sh\", \"-c\", \"sleep 5 & echo done\"]}", &r, &t) == 0);
	CHECK_STR(tstr(r, "stdout"), "done\n");
	CHECK(test_now_ms() - t0 < 4000);
	jv_free(r);
	tcall_release(&t);
}

static void test_mutates(void)
{
	const struct action_desc *d = registry_find("exec");
	jv a = jv_parse("{\"argv\": [\"true\"]}");

	CHECK(action_is_mutating(d, a) == 1);
	a = jv_object_set(a, jv_string("read_only"), jv_true());
	CHECK(action_is_mutating(d, a) == 0);
	jv_free(a);
	CHECK(!(d->flags & ACT_IDEMPOTENT));
}

static void test_dry_run(void)
{
	struct tcall t;
	char path[64], a[512];
	jv r;

	snprintf(path, sizeof(path), "/tmp/rb-exec-dry-%d", (int)getpid());
	unlink(path);
	tcall_init(&t, "exec", clk);
	CHECK(t.call.desc->dry_run != NULL);
	snprintf(a, sizeof(a), "{\"argv\": [\"touch\", \"%s\", \"it's\"], \"env\": {\"PGPASSWORD\": \"pw-value-123\"},"
		 " \"stdin\": \"abc\", \"timeout\": \"90s\"}", path);
	CHECK(t.call.desc->dry_run(&t.call, tcall_defaults(t.call.desc, jv_parse(a)), &r) == 0);
	CHECK(jv_get_kind(r) == JV_KIND_STRING);
	if (jv_get_kind(r) == JV_KIND_STRING) {
		const char *d = jv_string_value(r);
		CHECK(tcontains(d, "would run /"));              /* resolved on PATH */
		CHECK(tcontains(d, "bin/touch "));
		CHECK(tcontains(d, "'it'\\''s'"));              /* quoted as a shell would read it */
		CHECK(tcontains(d, "with env PGPASSWORD"));
		CHECK(!tcontains(d, "pw-value-123"));            /* names, never values */
		CHECK(tcontains(d, "3 bytes on stdin") && tcontains(d, "timeout 1m30s"));
	}
	CHECK(access(path, F_OK) != 0);                      /* nothing ran */
	jv_free(r);

	CHECK(t.call.desc->dry_run(&t.call, jv_parse("{\"argv\": [\"no-such-program-xyz\"]}"), &r) == 0);
	CHECK(tcontains(jv_string_value(r), "cannot start now: 'no-such-program-xyz' is not found on PATH"));
	jv_free(r);
	CHECK(t.call.desc->dry_run(&t.call, jv_parse("{\"command\": \"true\"}"), &r) == 0);
	CHECK(tcontains(jv_string_value(r), "cannot start now") && tcontains(jv_string_value(r), "shell: true"));
	jv_free(r);
	tcall_release(&t);
}

static void test_many(void)
{
	struct tcall t;
	int64_t t0 = test_now_ms();
	jv r;
	int ok = 0;

	for (int i = 0; i < 200; i++) {
		if (ex("{\"argv\": [\"true\"]}", &r, &t) == 0)
			ok++;
		jv_free(r);
		tcall_release(&t);
	}
	CHECK(ok == 200);
	printf("exec true x200: %lld ms\n", (long long)(test_now_ms() - t0));
}

int main(void)
{
	int berr = 0;
	clk = clock_new(CLOCK_REAL, 0, 0);
	test_argv();
	test_env();
	test_cwd();
	berr |= test_stdin();
	BUF_NOCAP(berr);
	test_timeout();
	test_cancel();
	test_exit_codes();
	test_parse();
	test_shell();
	test_output_cap();
	test_background_holder();
	test_mutates();
	test_dry_run();
	test_many();
	clock_free(clk);
	return check_done("exec");
}
