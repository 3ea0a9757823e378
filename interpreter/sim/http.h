/* http.h — the simulator's one HTTP front end (owner: sim; private to interpreter/sim/),
 * shared by the AWS server (server.c) and the Kubernetes API server (k8s.c): a
 * libmicrohttpd daemon on a loopback address (plain or TLS, one thread per connection),
 * request bodies accumulated up to a cap (a declared Content-Length over it is refused
 * before the body is read), headers and query collected as jv maps, and the reply
 * turned into a response (a buffer, a stream, or a reset connection).
 */
#ifndef RB_SIM_HTTP_H
#define RB_SIM_HTTP_H
#include <netinet/in.h>
#include <stdint.h>
#include <sys/types.h>
#include <jv.h>
#include "../core/diag.h"

struct MHD_Connection;

struct sim_http_req {
	struct MHD_Connection *conn;
	const char *method;
	const char *url;         /* decoded path, no query */
	jv query;                /* {name: value} (owned by the front end) */
	jv headers;              /* lower-case name -> value (owned by the front end) */
	const char *body;        /* NUL-terminated after len bytes */
	size_t len;
	int too_big;             /* the body was over the cap (and is empty) */
};

struct sim_http_reply {
	int status;
	int reset;               /* drop the connection instead (RST) */
	const char *ctype;       /* Content-Type, NULL = none */
	jv headers;              /* more headers {name: value}; consumed (invalid = none) */
	char *body;              /* malloc'd, taken */
	size_t len;
	/* a streamed body instead: read until it returns -1 (end), free(cls) after */
	ssize_t (*read)(void *cls, uint64_t pos, char *buf, size_t max);
	void (*free)(void *cls);
	void *cls;
};

/* serve one request: fill rep (zeroed, headers invalid) */
typedef void (*sim_http_fn)(void *cls, struct sim_http_req *req, struct sim_http_reply *rep);

struct sim_http_opts {
	const char *what;        /* the server in messages: "the simulator" */
	const char *log_prefix;  /* libmicrohttpd's messages on stderr: "runbook: sim: " */
	const char *const *quiet;  /* ...except those containing one of these (NULL-terminated) */
	size_t body_max;
	unsigned timeout_s;      /* idle connections are closed after this */
	/* TLS when key and cert are set (PEM): trust, the CA whose client certificates
	 * are asked for */
	const char *tls_key, *tls_cert, *tls_trust;
};

struct sim_http;

/* "HOST:PORT" (localhost = 127.0.0.1) into sa: loopback IPv4 only. 0 / -1 + diagnostic
 * naming what (the server) */
int sim_http_parse_listen(const char *listen, const char *what, struct sockaddr_in *sa, struct diag_list *dl);
/* start serving on sa; listen is the address as given, for messages. NULL with a
 * diagnostic when the daemon cannot start. */
struct sim_http *sim_http_start(const struct sim_http_opts *opt, const struct sockaddr_in *sa, const char *listen,
				sim_http_fn fn, void *cls, struct diag_list *dl);
/* the bound port (the ephemeral one when asked for 0) */
unsigned sim_http_port(struct sim_http *h);
/* connections accepted since the start: what /_sim/counters reports as "connections" */
unsigned long sim_http_connections(struct sim_http *h);
/* stop accepting and wait for the connections' threads; NULL is fine */
void sim_http_stop(struct sim_http *h);

/* a jv object of strings, whatever was given (consumed): other values are dropped,
 * names lower-cased when asked. For requests that arrive without HTTP. */
jv sim_http_string_map(jv v, int lower);
#endif
