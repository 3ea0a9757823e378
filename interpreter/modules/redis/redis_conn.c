/* redis_conn.c — RESP over a plain or TLS socket with bounded, cancellable waits (see
 * redis_priv.h). Commands are formatted by hiredis and parsed by hiredis's reader; the
 * socket is non-blocking and every wait polls in ACTION_SLICE_MS slices.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include "redis_priv.h"
#include "../../core/actarg.h"
#include "../../core/bug.h"
#include "../../core/dur.h"
#include "../../core/jvx.h"
#include "../../core/redact.h"
#include "../../core/caps.h"

static jv rconn_ssl_error(struct rconn *c, const char *what)
{
	char eb[256] = "";
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, eb, sizeof(eb));
	if (c->ssl && SSL_get_verify_result(c->ssl) != X509_V_OK)
		snprintf(eb, sizeof(eb), "certificate verification failed: %s",
			 X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
	ERR_clear_error();
	return jvx_error("TlsError", "redis (connection '%s', %s): %s: %s", c->name, c->where, what,
			 *eb ? eb : "TLS failure");
}

static jv rconn_stop_error(struct rconn *c, int w, const char *what)
{
	if (w == -1)
		return jvx_error("Cancelled", "redis (connection '%s'): %s cancelled", c->name, what);
	if (w == 0) {
		jv e = jvx_error("Timeout", "redis (connection '%s', %s): no answer while %s", c->name, c->where, what);
		return jv_object_set(e, jv_string("transient"), jv_true());
	}
	return jvx_error("ConnectionFailed", "redis (connection '%s', %s): %s: %s", c->name, c->where, what,
			 strerror(errno));
}

static int64_t rconn_io_deadline(struct rconn *c)
{
	int64_t d = action_mono_ms() + REDIS_IO_TIMEOUT_MS;
	return d < c->deadline ? d : c->deadline;
}

/* TCP connect to one address before deadline: fd or -1 (errno) / -2 cancelled / -3 timeout */
static int rconn_tcp(struct rconn *c, const struct addrinfo *ai, int64_t deadline)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	int one = 1, w, soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	w = action_wait_fd(c->call, fd, POLLOUT, deadline);
	if (w <= 0) {
		close(fd);
		return w == -1 ? -2 : w == 0 ? -3 : -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		close(fd);
		errno = soerr ? soerr : errno;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int rconn_tls(struct rconn *c, jv conf, const char *host, int64_t deadline, jv *err)
{
	const char *ca = jvx_str(conf, "tls_ca"), *sni = jvx_str(conf, "tls_server_name");
	const char *cert = jvx_str(conf, "tls_cert"), *key = jvx_str(conf, "tls_key");
	int insecure = jvx_bool(conf, "tls_insecure", 0);

	if (!sni)
		sni = host;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		*err = rconn_ssl_error(c, "SSL_CTX_new");
		return -1;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	if (insecure) {
		char once[512];
		snprintf(once, sizeof(once), "redis:%s@%s", c->name, c->where);
		action_warn_once(c->call, once, "redis (connection '%s', %s): tls_insecure: the server's "
				"certificate is not checked, so anyone on the path can read and change the "
				"traffic, the password included; give tls_ca instead", c->name, c->where);
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		if (ca ? SSL_CTX_load_verify_locations(c->ctx, ca, NULL) != 1
		       : SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
			*err = rconn_ssl_error(c, ca ? "loading tls_ca" : "loading the system CA store");
			return -1;
		}
	}
	if (cert && (SSL_CTX_use_certificate_chain_file(c->ctx, cert) != 1 ||
		     SSL_CTX_use_PrivateKey_file(c->ctx, key ? key : cert, SSL_FILETYPE_PEM) != 1)) {
		*err = rconn_ssl_error(c, "loading tls_cert / tls_key");
		return -1;
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
		*err = rconn_ssl_error(c, "SSL_new");
		return -1;
	}
	{
		/* an address is checked against the certificate's IP SANs and sent as no SNI */
		unsigned char addr[16];
		int is_ip = inet_pton(AF_INET, sni, addr) == 1 || inet_pton(AF_INET6, sni, addr) == 1;
		if (!is_ip)
			SSL_set_tlsext_host_name(c->ssl, sni);
		if (!insecure && (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), sni)
					: SSL_set1_host(c->ssl, sni)) != 1) {
			*err = rconn_ssl_error(c, "setting the expected server name");
			return -1;
		}
	}
	for (;;) {
		int r = SSL_connect(c->ssl), e, w;
		if (r == 1)
			return 0;
		e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			*err = rconn_ssl_error(c, "TLS handshake");
			return -1;
		}
		w = action_wait_fd(c->call, c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
		if (w <= 0) {
			*err = rconn_stop_error(c, w, "in the TLS handshake");
			return -1;
		}
	}
}

int rconn_open(struct rconn *c, struct action_call *call, const char *name, jv *err)
{
	jv conf;
	const char *host, *user, *pass;
	char port[16];
	int64_t connect_ms = REDIS_CONNECT_TIMEOUT_MS, deadline;
	struct addrinfo hints, *res = NULL;
	int rc = -1, gai, fd = -1, db;
	redisReply *r = NULL;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->call = call;
	buf_init(&c->out, 0);
	buf_init(&c->rest, 0);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->deadline = action_io_deadline(call, -1);
	conf = action_connection(call, "redis", name);
	if (!jv_is_valid(conf) || (jv_get_kind(conf) == JV_KIND_NULL && strcmp(name, "default"))) {
		*err = action_unknown_connection(call, "redis", name);
		goto out;
	}
	if (jv_get_kind(conf) == JV_KIND_NULL) {
		const char *eh = getenv("REDIS_HOST"), *ep = getenv("REDIS_PORT");
		jv_free(conf);
		conf = jv_object();
		conf = jv_object_set(conf, jv_string("host"), jv_string(eh && *eh ? eh : "127.0.0.1"));
		conf = jv_object_set(conf, jv_string("port"), jv_number(ep && *ep ? atoi(ep) : 6379));
	}
	host = jvx_str(conf, "host");
	if (!host)
		host = "127.0.0.1";
	{
		jv p = jvx_get(conf, "port");
		if (jv_get_kind(p) == JV_KIND_STRING)
			snprintf(port, sizeof(port), "%s", jv_string_value(p));
		else
			snprintf(port, sizeof(port), "%d", jv_get_kind(p) == JV_KIND_NUMBER ? (int)jv_number_value(p) : 6379);
		jv_free(p);
	}
	snprintf(c->where, sizeof(c->where), "%s:%s", host, port);
	user = jvx_str(conf, "username");
	pass = jvx_str(conf, "password");
	if (pass && call->redact)
		redact_add(call->redact, pass);
	db = (int)jvx_int(conf, "db", 0);
	{
		jv t = jvx_get(conf, "connect_timeout");
		int64_t ms;
		if (jv_get_kind(t) == JV_KIND_NUMBER)
			connect_ms = (int64_t)(jv_number_value(t) * 1000);
		else if (jv_get_kind(t) == JV_KIND_STRING && dur_parse(jv_string_value(t), &ms) == 0)
			connect_ms = ms;
		jv_free(t);
	}
	deadline = action_mono_ms() + connect_ms;
	if (deadline > c->deadline)
		deadline = c->deadline;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		*err = jvx_error("ConnectionFailed", "redis (connection '%s'): cannot resolve '%s': %s", name, host,
				 gai_strerror(gai));
		goto out;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = rconn_tcp(c, ai, deadline);
		if (fd >= 0 || fd == -2 || fd == -3)
			break;
	}
	if (fd < 0) {
		if (fd == -2)
			*err = jvx_error("Cancelled", "connecting to redis (connection '%s') was cancelled", name);
		else if (fd == -3)
			*err = jv_object_set(jvx_error("ConnectTimeout", "redis (connection '%s'): no connection to %s after %lld ms",
					      name, c->where, (long long)connect_ms), jv_string("transient"), jv_true());
		else
			*err = jvx_error("ConnectionFailed", "redis (connection '%s'): cannot connect to %s: %s", name,
					 c->where, strerror(errno));
		goto out;
	}
	c->fd = fd;
	if (jvx_bool(conf, "tls", 0) && rconn_tls(c, conf, host, deadline, err) < 0)
		goto out;
	c->reader = redisReaderCreate();
	if (!c->reader)
		BUG("redisReaderCreate: out of memory");
	if (pass) {
		if ((user ? rconn_call(c, &r, err, "AUTH", user, pass, NULL)
			  : rconn_call(c, &r, err, "AUTH", pass, NULL)) < 0)
			goto out;
		freeReplyObject(r);
		r = NULL;
	}
	if (db) {
		char dbs[16];
		snprintf(dbs, sizeof(dbs), "%d", db);
		if (rconn_call(c, &r, err, "SELECT", dbs, NULL) < 0)
			goto out;
		freeReplyObject(r);
		r = NULL;
	}
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	if (res)
		freeaddrinfo(res);
	if (rc < 0)
		rconn_close(c);
	jv_free(conf);
	return rc;
}

void rconn_close(struct rconn *c)
{
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->ctx) {
		SSL_CTX_free(c->ctx);
		c->ctx = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->reader)
		redisReaderFree(c->reader);
	c->reader = NULL;
	buf_release(&c->out);
	buf_release(&c->rest);
}

void rconn_append(struct rconn *c, int argc, const char **argv, const size_t *lens)
{
	char *cmd = NULL;
	int n = redisFormatCommandArgv(&cmd, argc, argv, lens);

	if (n < 0 || !cmd)
		BUG("redisFormatCommandArgv failed");
	if (buf_add(&c->out, cmd, (size_t)n) < 0)
		BUG("redis output buffer");
	redisFreeCommand(cmd);
}

int rconn_flush(struct rconn *c, jv *err)
{
	size_t off = 0;
	int64_t deadline = rconn_io_deadline(c);

	if (c->fd < 0) {
		*err = jvx_error("ConnectionFailed", "redis (connection '%s'): not connected", c->name);
		return -1;
	}
	while (off < c->out.len) {
		ssize_t n;
		short ev = POLLOUT;
		if (c->ssl) {
			int r = SSL_write(c->ssl, c->out.data + off, (int)(c->out.len - off));
			if (r > 0) {
				off += (size_t)r;
				continue;
			}
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				ev = POLLIN;
			else if (e != SSL_ERROR_WANT_WRITE) {
				*err = rconn_ssl_error(c, "write");
				return -1;
			}
		} else {
			n = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
			if (n > 0) {
				off += (size_t)n;
				continue;
			}
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				*err = rconn_stop_error(c, -2, "writing");
				return -1;
			}
		}
		int w = action_wait_fd(c->call, c->fd, ev, deadline);
		if (w <= 0) {
			*err = rconn_stop_error(c, w, "writing");
			return -1;
		}
		deadline = rconn_io_deadline(c);
	}
	buf_reset(&c->out);
	return 0;
}

int rconn_read(struct rconn *c, redisReply **reply, jv *err)
{
	char in[16384];
	int64_t deadline;

	*reply = NULL;
	if (c->out.len && rconn_flush(c, err) < 0)
		return -1;
	deadline = rconn_io_deadline(c);
	for (;;) {
		void *r = NULL;
		ssize_t n;
		short ev = POLLIN;
		if (redisReaderGetReply(c->reader, &r) != REDIS_OK) {
			*err = jvx_error("ProtocolError", "redis (connection '%s'): bad reply: %s", c->name, c->reader->errstr);
			return -1;
		}
		if (r) {
			*reply = r;
			return 0;
		}
		if (c->ssl) {
			int k = SSL_read(c->ssl, in, sizeof(in));
			if (k > 0) {
				redisReaderFeed(c->reader, in, (size_t)k);
				continue;
			}
			int e = SSL_get_error(c->ssl, k);
			if (e == SSL_ERROR_WANT_WRITE)
				ev = POLLOUT;
			else if (e == SSL_ERROR_ZERO_RETURN) {
				*err = jvx_error("ConnectionFailed", "redis (connection '%s'): server closed the connection", c->name);
				return -1;
			} else if (e != SSL_ERROR_WANT_READ) {
				*err = rconn_ssl_error(c, "read");
				return -1;
			}
		} else {
			n = recv(c->fd, in, sizeof(in), 0);
			if (n > 0) {
				redisReaderFeed(c->reader, in, (size_t)n);
				continue;
			}
			if (n == 0) {
				*err = jvx_error("ConnectionFailed", "redis (connection '%s', %s): server closed the connection",
						 c->name, c->where);
				return -1;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				*err = rconn_stop_error(c, -2, "reading");
				return -1;
			}
		}
		int w = action_wait_fd(c->call, c->fd, ev, deadline);
		if (w <= 0) {
			*err = rconn_stop_error(c, w, "waiting for a reply");
			return -1;
		}
	}
}

jv rconn_reply_error(struct rconn *c, const redisReply *r)
{
	const char *s = r->str ? r->str : "";
	const char *code = "RedisError";
	jv e;

	if (!strncmp(s, "LOADING", 7))
		code = "Loading";
	else if (!strncmp(s, "NOAUTH", 6) || !strncmp(s, "WRONGPASS", 9) || strstr(s, "invalid password") ||
		 strstr(s, "invalid username-password"))
		code = "AuthenticationFailed";
	else if (!strncmp(s, "NOPERM", 6))
		code = "PermissionDenied";
	else if (!strncmp(s, "BUSY", 4) || !strncmp(s, "TRYAGAIN", 8) || !strncmp(s, "MASTERDOWN", 10))
		code = "Busy";
	e = jvx_error(code, "redis (connection '%s'): %s", c->name, s);
	if (!strcmp(code, "Loading") || !strcmp(code, "Busy"))
		e = jv_object_set(e, jv_string("transient"), jv_true());
	return e;
}

int rconn_call(struct rconn *c, redisReply **reply, jv *err, const char *arg0, ...)
{
	const char *argv[16];
	int argc = 0;
	va_list ap;

	argv[argc++] = arg0;
	va_start(ap, arg0);
	for (const char *a; argc < 16 && (a = va_arg(ap, const char *));)
		argv[argc++] = a;
	va_end(ap);
	rconn_append(c, argc, argv, NULL);
	if (rconn_read(c, reply, err) < 0)
		return -1;
	if ((*reply)->type == REDIS_REPLY_ERROR) {
		*err = rconn_reply_error(c, *reply);
		freeReplyObject(*reply);
		*reply = NULL;
		return -1;
	}
	return 0;
}

jv rconn_reply_jv(const redisReply *r)
{
	switch (r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		return jv_string_sized(r->str, (int)r->len);
	case REDIS_REPLY_INTEGER:
		if (r->integer > (1LL << 53) || r->integer < -(1LL << 53)) {
			char t[32];
			snprintf(t, sizeof(t), "%lld", r->integer);
			return jv_string(t);
		}
		return jv_number((double)r->integer);
	case REDIS_REPLY_NIL:
		return jv_null();
	case REDIS_REPLY_ERROR:
		return jv_object_set(jv_object(), jv_string("error"), jv_string_sized(r->str, (int)r->len));
	case REDIS_REPLY_ARRAY: {
		jv a = jv_array();
		for (size_t i = 0; i < r->elements; i++)
			a = jv_array_append(a, rconn_reply_jv(r->element[i]));
		return a;
	}
	default:
		return jv_null();
	}
}

static void rconn_add_len(struct buf *b, char tag, size_t n)
{
	char tmp[24];
	int i = (int)sizeof(tmp);

	tmp[--i] = '\n';
	tmp[--i] = '\r';
	do {
		tmp[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	tmp[--i] = tag;
	if (buf_add(b, tmp + i, sizeof(tmp) - (size_t)i) < 0)
		BUG("redis output buffer");
}

void rconn_resp_begin(struct rconn *c, int argc)
{
	rconn_add_len(&c->out, '*', (size_t)argc);
}

void rconn_resp_arg(struct rconn *c, const char *data, size_t len)
{
	rconn_add_len(&c->out, '$', len);
	if (buf_add(&c->out, data, len) < 0 || buf_add(&c->out, "\r\n", 2) < 0)
		BUG("redis output buffer");
}

struct simple_state {
	int at_start, in_error, cut;
	struct buf line;                 /* the error line being read, capped (cut: it was) */
};

/* consume one-line replies from data until n reach 0; returns bytes used or -1 */
static ssize_t rconn_simple_scan(struct rconn *c, struct simple_state *st, const char *data, size_t len,
				 int64_t *n, jv *first_error, jv *err)
{
	size_t i;

	for (i = 0; i < len && *n > 0; i++) {
		char ch = data[i];
		if (st->at_start) {
			if (ch != '+' && ch != ':' && ch != '-') {
				*err = jvx_error("ProtocolError", "redis (connection '%s'): unexpected reply type '%c' in a pipeline",
						 c->name, ch);
				return -1;
			}
			st->in_error = ch == '-' && !jv_is_valid(*first_error);
			st->at_start = 0;
			if (st->in_error) {
				buf_reset(&st->line);
				st->cut = 0;
			}
			continue;
		}
		if (ch == '\n') {
			if (st->in_error) {
				if (st->line.len && st->line.data[st->line.len - 1] == '\r')
					st->line.data[--st->line.len] = 0;
				*first_error = jv_string_fmt("%s%s", buf_str(&st->line), st->cut ? "..." : "");
			}
			st->at_start = 1;
			(*n)--;
		} else if (st->in_error && buf_addc(&st->line, ch) < 0) {
			st->cut = 1;    /* past the cap the text is cut, and says so */
		}
	}
	return (ssize_t)i;
}

int rconn_read_simple(struct rconn *c, int64_t n, jv *first_error, jv *err)
{
	int berr = 0;
	char in[65536];
	struct simple_state st = { 1, 0, 0, BUF_INIT(CAP_REDIS_ERROR) };
	int64_t deadline;
	ssize_t used;

	*first_error = jv_invalid();
	if (c->out.len && rconn_flush(c, err) < 0)
		return -1;
	if (c->rest.len) {
		/* replies that came with the previous batch's */
		struct buf old = c->rest;
		buf_init(&c->rest, 0);
		used = rconn_simple_scan(c, &st, old.data, old.len, &n, first_error, err);
		if (used >= 0 && (size_t)used < old.len)
			berr |= buf_add(&c->rest, old.data + used, old.len - (size_t)used);
		buf_release(&old);
		if (used < 0)
			goto fail;
	}
	deadline = rconn_io_deadline(c);
	while (n > 0) {
		ssize_t got;
		short ev = POLLIN;
		if (c->ssl) {
			int k = SSL_read(c->ssl, in, sizeof(in));
			got = k;
			if (k <= 0) {
				int e = SSL_get_error(c->ssl, k);
				if (e == SSL_ERROR_WANT_WRITE)
					ev = POLLOUT;
				else if (e != SSL_ERROR_WANT_READ) {
					*err = e == SSL_ERROR_ZERO_RETURN
						? jvx_error("ConnectionFailed", "redis (connection '%s'): server closed the connection", c->name)
						: rconn_ssl_error(c, "read");
					goto fail;
				}
			}
		} else {
			got = recv(c->fd, in, sizeof(in), 0);
			if (got == 0) {
				*err = jvx_error("ConnectionFailed", "redis (connection '%s', %s): server closed the connection",
						 c->name, c->where);
				goto fail;
			}
			if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				*err = rconn_stop_error(c, -2, "reading");
				goto fail;
			}
		}
		if (got > 0) {
			used = rconn_simple_scan(c, &st, in, (size_t)got, &n, first_error, err);
			if (used < 0)
				goto fail;
			if (used < got)
				berr |= buf_add(&c->rest, in + used, (size_t)(got - used));
			deadline = rconn_io_deadline(c);
			continue;
		}
		int w = action_wait_fd(c->call, c->fd, ev, deadline);
		if (w <= 0) {
			*err = rconn_stop_error(c, w, "waiting for replies");
			goto fail;
		}
	}
	BUF_NOCAP(berr);
	buf_release(&st.line);
	return 0;
fail:
	buf_release(&st.line);
	jv_free(*first_error);
	*first_error = jv_invalid();
	return -1;
}
