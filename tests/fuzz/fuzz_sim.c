/* fuzz_sim.c — requests to the AWS simulator (sim/server.c and the service files):
 * signature scope, protocol detection, form and JSON bodies, S3 routes, every
 * operation's parameters. The simulator runs in this process on an ephemeral
 * loopback port with tests/fuzz/world.yaml; each input is one request:
 *
 *   METHOD TARGET
 *   Header: value
 *   ...
 *   (empty line)
 *   BODY
 *
 * Content-Length and Connection are set here (framing is libmicrohttpd's, not ours).
 * The world changes from input to input, as it does under a real client. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include "config.h"
#include "fuzz.h"
#include "core/buf.h"
#include "core/clock.h"
#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sockaddr_in addr;

static int start(void)
{
	struct diag_list dl = { 0 };
	struct rb_clock *clk = clock_new(CLOCK_REAL, 0, 1);
	struct sim *s = sim_start(RUNBOOK_SRCDIR "/tests/fuzz/world.yaml", NULL, clk, &dl);
	if (!s) {
		diag_print(&dl, stderr, 0);
		return -1;
	}
	/* never stopped: the simulator lives as long as the fuzzer */
	unsigned port = 0;
	if (sscanf(sim_endpoint(s), "http://127.0.0.1:%u", &port) != 1)
		return -1;
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return 0;
}

static int header_dropped(const char *line, size_t len)
{
	static const char *const drop[] = { "content-length:", "transfer-encoding:", "connection:",
		"expect:", NULL };
	for (int i = 0; drop[i]; i++)
		if (len >= strlen(drop[i]) && !strncasecmp(line, drop[i], strlen(drop[i])))
			return 1;
	return 0;
}

/* the input as an HTTP/1.1 request; returns where the body starts in d, NULL when
 * out of memory */
static const uint8_t *build(struct buf *req, const char *d, size_t n)
{
	const char *end = d + n, *body = end;
	const char *nl = memchr(d, '\n', n);
	size_t l = nl ? (size_t)(nl - d) : n;
	if (l && d[l - 1] == '\r')
		l--;
	if (buf_add(req, d, l) < 0 || buf_adds(req, " HTTP/1.1\r\nHost: 127.0.0.1\r\n") < 0)
		return NULL;
	const char *p = nl ? nl + 1 : end;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l && p[l - 1] == '\r')
			l--;
		if (l == 0) {
			body = nl ? nl + 1 : end;
			break;
		}
		if (!header_dropped(p, l) && (buf_add(req, p, l) < 0 || buf_adds(req, "\r\n") < 0))
			return NULL;
		p = nl ? nl + 1 : end;
	}
	if (buf_addf(req, "Content-Length: %zu\r\nConnection: close\r\n\r\n", (size_t)(end - body)) < 0 ||
	    buf_add(req, body, (size_t)(end - body)) < 0)
		return NULL;
	return (const uint8_t *)body;
}

/* connect to the simulator, through the signals libFuzzer's timer sends (SIGALRM
 * every few seconds, not SA_RESTART): an interrupted connect goes on in the
 * background, so wait for it and read its result, rather than abort (CI once did) */
static int connect_now(int fd)
{
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return 0;
	if (errno != EINTR)
		return -1;
	for (;;) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		int pr = poll(&pfd, 1, 20000);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			errno = pr == 0 ? ETIMEDOUT : errno;
			return -1;
		}
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return -1;
		errno = err;
		return err ? -1 : 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int started;
	if (!started) {
		if (start() < 0)
			abort();
		started = 1;
	}
	if (size > (256u << 10))
		return -1;
	struct buf req = BUF_INIT(0);
	const uint8_t *body = build(&req, (const char *)data, size);
	if (!body)
		abort();    /* out of memory */
	if (fuzz_json_adjacent(body, size - (size_t)(body - data))) {
		buf_release(&req);
		return -1;    /* libjq 1.6 leaks on it (fuzz.h) */
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect_now(fd) < 0) {
		fprintf(stderr, "fuzz_sim: %s: %s\n", fd < 0 ? "socket" : "connect", strerror(errno));
		abort();
	}
	size_t off = 0;
	while (off < req.len) {
		ssize_t w = send(fd, req.data + off, req.len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;    /* the server may answer and close before reading it all */
		off += (size_t)w;
	}
	/* The answer is read to its end, never less: a client gone early leaves the server
	 * mid-request when the next input runs, and LeakSanitizer then reported that
	 * request's half-built values as leaks. The server closes first (Connection:
	 * close), so its side, not ours, waits out TIME_WAIT (a client that shuts its side
	 * at once holds ~600 loopback ports a second there). Ours is shut only when the
	 * server waits for more: an input whose headers end early, as MHD reads them,
	 * leaves a keep-alive connection open. */
	char chunk[65536];
	int waited = 0, shut = 0;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, 1000);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			if (!shut) {
				shutdown(fd, SHUT_WR);
				shut = 1;
			}
			if (++waited == 20) {
				fprintf(stderr, "fuzz_sim: no answer in 20 s\n");
				abort();    /* the simulator hangs on this request */
			}
			continue;
		}
		ssize_t got = pr < 0 ? -1 : recv(fd, chunk, sizeof(chunk), 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;    /* the end, or a reset (a fault the world injects) */
	}
	struct linger lg = { 1, 0 };    /* and ours closes with a reset, leaving nothing */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	buf_release(&req);
	return 0;
}
