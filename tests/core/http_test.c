/* http_test.c — http.request against a real HTTP server (libmicrohttpd, started here on
 * an ephemeral loopback port): GET json, POST json, headers, expected statuses,
 * timeouts, size cap, refused connections (transient). */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "coretest.h"

#define BIG_SIZE ((size_t)17 << 20)
static char *big_body;
static volatile int deletes;      /* DELETE requests seen: a dry run must send none */

struct upload {
	struct buf body;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
			     const char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
	enum MHD_Result ret;

	if (ctype)
		MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "X-Multi", "a");
	MHD_add_response_header(r, "X-Multi", "b");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_size, void **con_cls)
{
	int berr = 0;
	struct upload *u = *con_cls;

	if (!u) {
		u = calloc(1, sizeof(*u));
		buf_init(&u->body, 0);
		*con_cls = u;
		return MHD_YES;
	}
	if (!strcmp(method, "DELETE"))
		__atomic_add_fetch(&deletes, 1, __ATOMIC_SEQ_CST);
	if (*upload_size) {
		berr |= buf_add(&u->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	BUF_NOCAP(berr);
	if (!strcmp(url, "/json"))
		return reply(c, 200, "application/json; charset=utf-8", "{\"ok\": true, \"n\": 3}", 20,
			     MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/problem"))
		return reply(c, 200, "application/problem+json", "{\"title\": \"x\"}", 14, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/badjson"))
		return reply(c, 200, "application/json", "{oops", 5, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/text"))
		return reply(c, 200, "text/plain", "hello", 5, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/big"))
		return reply(c, 200, "application/octet-stream", big_body, BIG_SIZE, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/slow")) {
		sleep(2);
		return reply(c, 200, "text/plain", "late", 4, MHD_RESPMEM_PERSISTENT);
	}
	if (!strncmp(url, "/status/", 8))
		return reply(c, (unsigned)atoi(url + 8), "text/plain", "down for maintenance", 20,
			     MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/redirect")) {
		struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		enum MHD_Result ret;
		MHD_add_response_header(r, "Location", "/json");
		ret = MHD_queue_response(c, 302, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!strcmp(url, "/echo")) {
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		const char *xt = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Test");
		const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
		jv o = jv_object();
		char *s;

		o = jv_object_set(o, jv_string("method"), jv_string(method));
		o = jv_object_set(o, jv_string("body"), jv_string_sized(buf_str(&u->body), (int)u->body.len));
		o = jv_object_set(o, jv_string("content_type"), ct ? jv_string(ct) : jv_null());
		o = jv_object_set(o, jv_string("x_test"), xt ? jv_string(xt) : jv_null());
		o = jv_object_set(o, jv_string("user_agent"), ua ? jv_string(ua) : jv_null());
		s = jvx_dump(o);
		return reply(c, 200, "application/json", s, strlen(s), MHD_RESPMEM_MUST_FREE);
	}
	return reply(c, 404, "text/plain", "no such page", 12, MHD_RESPMEM_PERSISTENT);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
	struct upload *u = *con_cls;

	if (u) {
		buf_release(&u->body);
		free(u);
	}
	*con_cls = NULL;
}

/* a self-signed certificate for the name localhost only: key and cert as PEM strings */
static void make_cert(char **key_pem, char **cert_pem)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	BIO *b;
	char *p;
	long n;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:localhost");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, pkey, EVP_sha256());

	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, pkey, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	*key_pem = strndup(p, (size_t)n);
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &p);
	*cert_pem = strndup(p, (size_t)n);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(pkey);
}

static struct rb_clock *clk;
static char base[64];

static int req(const char *fmt_args, jv *out, struct tcall *t)
{
	char args[1024];

	tcall_init(t, "http.request", clk);
	/* %s in the args is replaced by the server's base URL */
	snprintf(args, sizeof(args), fmt_args, base);
	return tcall_run(t, args, out);
}

/* a loopback port nobody listens on */
static int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int main(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct tcall t;
	char url[128];
	int64_t t0;
	jv r, v;

	big_body = malloc(BIG_SIZE);
	memset(big_body, 'x', BIG_SIZE);
	CHECK(registry_init() == 0);
	clk = clock_new(CLOCK_REAL, 0, 0);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
			     handler, NULL, MHD_OPTION_SOCK_ADDR, &addr,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "cannot start the test HTTP server\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", (unsigned)info->port);

	/* GET json */
	CHECK(req("{\"url\": \"%s/json\"}", &r, &t) == 0);
	CHECK(jvx_int(r, "status", 0) == 200);
	v = jv_getpath(jv_copy(r), jv_parse("[\"json\", \"n\"]"));
	CHECK(jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) == 3);
	jv_free(v);
	v = jvx_get(r, "headers");
	CHECK_STR(jvx_str(v, "content-type"), "application/json; charset=utf-8");
	CHECK_STR(jvx_str(v, "x-multi"), "a, b");
	jv_free(v);
	jv_free(r);
	tcall_release(&t);

	/* +json types are JSON too; a broken JSON reply has no json but is not an error */
	CHECK(req("{\"url\": \"%s/problem\"}", &r, &t) == 0 && jvx_has(r, "json"));
	jv_free(r);
	tcall_release(&t);
	CHECK(req("{\"url\": \"%s/badjson\"}", &r, &t) == 0 && !jvx_has(r, "json"));
	CHECK_STR(tstr(r, "body"), "{oops");
	CHECK(tcontains(buf_str(&t.log), "not JSON"));
	jv_free(r);
	tcall_release(&t);
	CHECK(req("{\"url\": \"%s/text\"}", &r, &t) == 0 && !jvx_has(r, "json"));
	CHECK_STR(tstr(r, "body"), "hello");
	jv_free(r);
	tcall_release(&t);

	/* POST json: body, content-type, method */
	CHECK(req("{\"url\": \"%s/echo\", \"method\": \"post\", \"json\": {\"a\": [1, \"two\"]},"
		  " \"headers\": {\"X-Test\": \"v1\"}}", &r, &t) == 0);
	v = jvx_get(r, "json");
	CHECK_STR(jvx_str(v, "method"), "POST");
	CHECK_STR(jvx_str(v, "body"), "{\"a\":[1,\"two\"]}");
	CHECK_STR(jvx_str(v, "content_type"), "application/json");
	CHECK_STR(jvx_str(v, "x_test"), "v1");
	CHECK(tcontains(jvx_str(v, "user_agent"), "runbook/"));
	jv_free(v);
	jv_free(r);
	tcall_release(&t);

	/* PUT with a text body and our own content-type */
	CHECK(req("{\"url\": \"%s/echo\", \"method\": \"PUT\", \"body\": \"k=v\","
		  " \"headers\": {\"Content-Type\": \"text/plain\"}}", &r, &t) == 0);
	v = jvx_get(r, "json");
	CHECK_STR(jvx_str(v, "method"), "PUT");
	CHECK_STR(jvx_str(v, "body"), "k=v");
	CHECK_STR(jvx_str(v, "content_type"), "text/plain");
	jv_free(v);
	jv_free(r);
	tcall_release(&t);

	CHECK(req("{\"url\": \"%s/echo\", \"body\": \"x\", \"json\": 1}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "BadArgs");
	jv_free(r);
	tcall_release(&t);

	/* expect_status: mismatch is an error; 5xx and 429 are transient, 404 is not */
	CHECK(req("{\"url\": \"%s/status/503\"}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "HttpStatus");
	CHECK(jvx_int(r, "status", 0) == 503);
	CHECK(jvx_bool(r, "transient", 0) == 1);
	CHECK(tcontains(tstr(r, "message"), "returned 503 (expected 200)"));
	CHECK(tcontains(tstr(r, "message"), "down for maintenance"));
	jv_free(r);
	tcall_release(&t);
	CHECK(req("{\"url\": \"%s/status/429\"}", &r, &t) == -1);
	CHECK(jvx_bool(r, "transient", 0) == 1);
	jv_free(r);
	tcall_release(&t);
	CHECK(req("{\"url\": \"%s/status/404\"}", &r, &t) == -1);
	CHECK(jvx_bool(r, "transient", 0) == 0);
	jv_free(r);
	tcall_release(&t);
	CHECK(req("{\"url\": \"%s/status/404\", \"expect_status\": [200, 404]}", &r, &t) == 0);
	CHECK(jvx_int(r, "status", 0) == 404);
	jv_free(r);
	tcall_release(&t);

	/* redirects: not followed unless asked */
	CHECK(req("{\"url\": \"%s/redirect\"}", &r, &t) == -1);
	CHECK(jvx_int(r, "status", 0) == 302);
	jv_free(r);
	tcall_release(&t);
	CHECK(req("{\"url\": \"%s/redirect\", \"follow_redirects\": true}", &r, &t) == 0);
	CHECK(jvx_has(r, "json"));
	jv_free(r);
	tcall_release(&t);

	/* HEAD: no body */
	CHECK(req("{\"url\": \"%s/text\", \"method\": \"HEAD\"}", &r, &t) == 0);
	CHECK_STR(tstr(r, "body"), "");
	jv_free(r);
	tcall_release(&t);

	/* timeout: transient */
	t0 = test_now_ms();
	CHECK(req("{\"url\": \"%s/slow\", \"timeout\": \"300ms\"}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "Timeout");
	CHECK(jvx_bool(r, "transient", 0) == 1);
	CHECK(test_now_ms() - t0 < 1500);
	jv_free(r);
	tcall_release(&t);

	/* a reply beyond the cap */
	CHECK(req("{\"url\": \"%s/big\"}", &r, &t) == -1);
	CHECK_STR(tstr(r, "code"), "ResponseTooLarge");
	jv_free(r);
	tcall_release(&t);

	/* connection refused: transient */
	snprintf(url, sizeof(url), "{\"url\": \"http://127.0.0.1:%d/x\"}", closed_port());
	tcall_init(&t, "http.request", clk);
	CHECK(tcall_run(&t, url, &r) == -1);
	CHECK_STR(tstr(r, "code"), "ConnectFailed");
	CHECK(jvx_bool(r, "transient", 0) == 1);
	jv_free(r);
	tcall_release(&t);

	/* only http and https */
	tcall_init(&t, "http.request", clk);
	CHECK(tcall_run(&t, "{\"url\": \"file:///etc/passwd\"}", &r) == -1);
	CHECK_STR(tstr(r, "code"), "BadArgs");
	jv_free(r);
	tcall_release(&t);

	/* TLS verification is on: a plain-HTTP server spoken to as https fails, not transient */
	snprintf(url, sizeof(url), "{\"url\": \"https://127.0.0.1:%u/json\"}", (unsigned)info->port);
	tcall_init(&t, "http.request", clk);
	CHECK(tcall_run(&t, url, &r) == -1);
	CHECK(jvx_bool(r, "transient", 0) == 0);
	jv_free(r);
	tcall_release(&t);

	/* TLS: a self-signed server is refused (verification is always on), and accepted
	 * when its certificate is given as ca_file */
	{
		char *key, *cert, capath[] = "/tmp/rb-http-ca-XXXXXX";
		struct MHD_Daemon *td;
		int fd;

		make_cert(&key, &cert);
		fd = mkstemp(capath);
		CHECK(fd >= 0 && write(fd, cert, strlen(cert)) == (ssize_t)strlen(cert));
		close(fd);
		td = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS,
				      0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &addr,
				      MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT, cert,
				      MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
		CHECK(td != NULL);
		if (td) {
			unsigned port = MHD_get_daemon_info(td, MHD_DAEMON_INFO_BIND_PORT)->port;
			char a[512];

			snprintf(a, sizeof(a), "{\"url\": \"https://localhost:%u/json\"}", port);
			tcall_init(&t, "http.request", clk);
			CHECK(tcall_run(&t, a, &r) == -1);
			CHECK_STR(tstr(r, "code"), "TLSError");
			CHECK(jvx_bool(r, "transient", 0) == 0);
			jv_free(r);
			tcall_release(&t);

			snprintf(a, sizeof(a), "{\"url\": \"https://localhost:%u/json\", \"ca_file\": \"%s\"}", port, capath);
			tcall_init(&t, "http.request", clk);
			CHECK(tcall_run(&t, a, &r) == 0);
			CHECK(jvx_int(r, "status", 0) == 200 && jvx_has(r, "json"));
			CHECK(jvx_has(r, "duration_ms"));
			jv_free(r);
			tcall_release(&t);

			/* the right CA but not the certificate's name (127.0.0.1): still refused */
			snprintf(a, sizeof(a), "{\"url\": \"https://127.0.0.1:%u/json\", \"ca_file\": \"%s\"}", port, capath);
			tcall_init(&t, "http.request", clk);
			CHECK(tcall_run(&t, a, &r) == -1);
			CHECK_STR(tstr(r, "code"), "TLSError");
			CHECK(tcontains(tstr(r, "message"), "127.0.0.1"));
			jv_free(r);
			tcall_release(&t);
			MHD_stop_daemon(td);
		}
		tcall_init(&t, "http.request", clk);
		CHECK(tcall_run(&t, "{\"url\": \"https://localhost/\", \"ca_file\": \"/nonexistent.pem\"}", &r) == -1);
		CHECK_STR(tstr(r, "code"), "BadArgs");
		jv_free(r);
		tcall_release(&t);
		unlink(capath);
		free(key);
		free(cert);
	}

	/* --dry-run description: header names, never their values; nothing is sent */
	{
		const struct action_desc *hd = registry_find("http.request");
		char a[512];

		snprintf(a, sizeof(a), "{\"url\": \"%s/echo\", \"method\": \"delete\", \"json\": {\"k\": 1},"
			 " \"headers\": {\"Authorization\": \"Bearer tok-9876\"}}", base);
		tcall_init(&t, "http.request", clk);
		CHECK(hd->dry_run && hd->dry_run(&t.call, tcall_defaults(hd, jv_parse(a)), &r) == 0);
		CHECK(jv_get_kind(r) == JV_KIND_STRING);
		if (jv_get_kind(r) == JV_KIND_STRING) {
			CHECK(tcontains(jv_string_value(r), "would send DELETE http://127.0.0.1:"));
			CHECK(tcontains(jv_string_value(r), "with headers Authorization, a JSON body of 7 bytes"));
			CHECK(!tcontains(jv_string_value(r), "tok-9876"));
		}
		CHECK(deletes == 0);
		jv_free(r);
		tcall_release(&t);
	}

	/* read-only iff GET/HEAD/OPTIONS */
	{
		const struct action_desc *hd = registry_find("http.request");
		jv a = jv_parse("{\"url\": \"http://x\", \"method\": \"GET\"}");
		CHECK(action_is_mutating(hd, a) == 0);
		a = jv_object_set(a, jv_string("method"), jv_string("options"));
		CHECK(action_is_mutating(hd, a) == 0);
		a = jv_object_set(a, jv_string("method"), jv_string("POST"));
		CHECK(action_is_mutating(hd, a) == 1);
		a = jv_object_set(a, jv_string("method"), jv_string("DELETE"));
		CHECK(action_is_mutating(hd, a) == 1);
		jv_free(a);
	}

	MHD_stop_daemon(d);
	clock_free(clk);
	registry_cleanup();
	free(big_body);
	return check_done("http.request");
}
