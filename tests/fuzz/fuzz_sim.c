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

/* the input as an HTTP/1.1 request; returns where the body starts in d */
static const uint8_t *build(struct buf *req, const char *d, size_t n)
{
	const char *end = d + n, *body = end;
	const char *nl = memchr(d, '\n', n);
	size_t l = nl ? (size_t)(nl - d) : n;
	if (l && d[l - 1] == '\r')
		l--;
	buf_add(req, d, l);
	buf_adds(req, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
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
		if (!header_dropped(p, l)) {
			buf_add(req, p, l);
			buf_adds(req, "\r\n");
		}
		p = nl ? nl + 1 : end;
	}
	buf_addf(req, "Content-Length: %zu\r\nConnection: close\r\n\r\n", (size_t)(end - body));
	buf_add(req, body, (size_t)(end - body));
	return (const uint8_t *)body;
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
	if (fuzz_json_adjacent(body, size - (size_t)(body - data))) {
		buf_release(&req);
		return -1;    /* libjq 1.6 leaks on it (fuzz.h) */
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		abort();
	size_t off = 0;
	while (off < req.len) {
		ssize_t w = send(fd, req.data + off, req.len - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;    /* the server may answer and close before reading it all */
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	char chunk[65536];
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, 20000);
		if (pr == 0) {
			fprintf(stderr, "fuzz_sim: no answer in 20 s\n");
			abort();    /* the simulator hangs on this request */
		}
		if (pr < 0 || recv(fd, chunk, sizeof(chunk), 0) <= 0)
			break;
	}
	close(fd);
	buf_release(&req);
	return 0;
}
