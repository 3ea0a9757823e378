/* http.c — the simulator's HTTP front end (see http.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "http.h"
#include "../core/buf.h"
#include "../core/bug.h"

struct sim_http {
	struct MHD_Daemon *mhd;
	struct sim_http_opts opt;
	sim_http_fn fn;
	void *cls;
	atomic_ulong connections;    /* accepted so far (TLS or not) */
};

/* a request's body as it arrives */
struct conn {
	struct buf body;
	int too_big;
};

int sim_http_parse_listen(const char *listen, const char *what, struct sockaddr_in *sa, struct diag_list *dl)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
		diag_error(dl, NULL, "invalid listen address '%s' (expected HOST:PORT)", listen);
		return -1;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = 0;
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || colon[1] == 0) {
		diag_error(dl, NULL, "invalid port in listen address '%s'", listen);
		return -1;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		diag_error(dl, NULL, "invalid listen address '%s' (an IPv4 loopback address is needed)", listen);
		return -1;
	}
	if ((ntohl(sa->sin_addr.s_addr) >> 24) != 127) {
		diag_error(dl, NULL, "%s listens on loopback only, not '%s'", what, host);
		return -1;
	}
	return 0;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	jv *obj = cls;
	char name[256];
	size_t i;
	for (i = 0; key[i] && i + 1 < sizeof(name); i++)
		name[i] = (char)tolower((unsigned char)key[i]);
	name[i] = 0;
	*obj = jv_object_set(*obj, jv_string(name), jv_string(value ? value : ""));
	return MHD_YES;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	jv *obj = cls;
	*obj = jv_object_set(*obj, jv_string(key), jv_string(value ? value : ""));
	return MHD_YES;
}

static void conn_reset(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci) {
		struct linger l = { 1, 0 };   /* close with RST */
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct sim_http *h = cls;
	struct conn *cn = *con_cls;
	if (!cn) {
		cn = xcalloc(1, sizeof(*cn));
		buf_init(&cn->body, h->opt.body_max);
		*con_cls = cn;
		/* a declared body over the cap is refused before it is read */
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (!cl || strtoull(cl, NULL, 10) <= h->opt.body_max)
			return MHD_YES;
		cn->too_big = 1;
	} else if (*upload_size) {
		if (buf_add(&cn->body, upload, *upload_size) < 0)
			cn->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	struct sim_http_req req = { .conn = c, .method = method, .url = url, .query = jv_object(),
				    .headers = jv_object(), .body = buf_str(&cn->body), .len = cn->body.len,
				    .too_big = cn->too_big };
	struct sim_http_reply rep = { .headers = jv_invalid() };
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &req.headers);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query, &req.query);
	h->fn(h->cls, &req, &rep);
	jv_free(req.query);
	jv_free(req.headers);

	enum MHD_Result ret = MHD_NO;
	struct MHD_Response *resp = NULL;
	if (rep.reset)
		conn_reset(c);
	else if (rep.read)
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, rep.read, rep.cls, rep.free);
	else
		resp = MHD_create_response_from_buffer(rep.len, rep.body, MHD_RESPMEM_MUST_FREE);
	if (resp) {
		rep.body = NULL;     /* the response owns it */
		if (rep.ctype)
			MHD_add_response_header(resp, "Content-Type", rep.ctype);
		if (jv_get_kind(rep.headers) == JV_KIND_OBJECT) {
			jv_object_foreach(rep.headers, k, v) {
				if (jv_get_kind(v) == JV_KIND_STRING)
					MHD_add_response_header(resp, jv_string_value(k), jv_string_value(v));
				jv_free(k);
				jv_free(v);
			}
		}
		ret = MHD_queue_response(c, (unsigned)rep.status, resp);
		MHD_destroy_response(resp);
	} else if (rep.read && rep.free) {
		rep.free(rep.cls);
	}
	free(rep.body);
	jv_free(rep.headers);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;
	if (cn) {
		buf_release(&cn->body);
		free(cn);
		*con_cls = NULL;
	}
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct sim_http *h = cls;
	(void)c;
	(void)socket_context;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&h->connections, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct sim_http *h = cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (const char *const *q = h->opt.quiet; q && *q; q++)
		if (strstr(msg, *q))
			return;
	fprintf(stderr, "%s%s", h->opt.log_prefix, msg);
}

struct sim_http *sim_http_start(const struct sim_http_opts *opt, const struct sockaddr_in *sa, const char *listen,
				sim_http_fn fn, void *cls, struct diag_list *dl)
{
	struct sim_http *h = xcalloc(1, sizeof(*h));
	h->opt = *opt;
	h->fn = fn;
	h->cls = cls;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	if (opt->tls_key && opt->tls_cert)
		h->mhd = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, on_request, h,
					  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
					  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)sa,
					  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
					  MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
					  MHD_OPTION_HTTPS_MEM_KEY, opt->tls_key,
					  MHD_OPTION_HTTPS_MEM_CERT, opt->tls_cert,
					  MHD_OPTION_HTTPS_MEM_TRUST, opt->tls_trust,
					  MHD_OPTION_CONNECTION_TIMEOUT, opt->timeout_s,
					  MHD_OPTION_END);
	else
		h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
					  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
					  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)sa,
					  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
					  MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
					  MHD_OPTION_CONNECTION_TIMEOUT, opt->timeout_s,
					  MHD_OPTION_END);
	if (!h->mhd) {
		diag_error(dl, NULL, "cannot listen on '%s' for %s: %s", listen, opt->what,
			   strerror(errno ? errno : EADDRINUSE));
		free(h);
		return NULL;
	}
	return h;
}

unsigned sim_http_port(struct sim_http *h)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	return di ? (unsigned)di->port : 0;
}

unsigned long sim_http_connections(struct sim_http *h)
{
	return h ? atomic_load(&h->connections) : 0;
}

void sim_http_stop(struct sim_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}

jv sim_http_string_map(jv v, int lower)
{
	jv out = jv_object();
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv_object_foreach(v, key, x) {
			if (jv_get_kind(x) == JV_KIND_STRING) {
				char *name = xstrdup(jv_string_value(key));
				for (char *p = name; lower && *p; p++)
					*p = (char)tolower((unsigned char)*p);
				out = jv_object_set(out, jv_string(name), x);
				free(name);
			} else {
				jv_free(x);
			}
			jv_free(key);
		}
	}
	jv_free(v);
	return out;
}
