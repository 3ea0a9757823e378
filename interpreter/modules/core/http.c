/* http.c — the http.request action (libcurl easy handle, one per call).
 *
 * TLS peer and host verification are always on; only http and https are allowed (also
 * on redirects). The reply body is kept up to CAP_OUTPUT. Header names in the
 * result are lowercased; repeated headers are joined with ", ".
 * Transient failures (connection refused/reset, timeout, 429, 5xx) carry
 * transient: true; the engine's retry policy decides what to do with them.
 *
 * In a rehearsal (CALL_REHEARSAL) the call's connections carry the sandbox of
 * `runbook rehearse` (see exec.c): the first of its "http" rules whose url is a prefix
 * of the call's (and whose method, if any, is the call's) answers with its reply and
 * nothing is sent; otherwise only a loopback host is reached, and every connection
 * (redirects too) is checked to be to a loopback address before a byte is sent.
 */
#include <ctype.h>
#include <errno.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <string.h>
#include <stdlib.h>
#include <curl/curl.h>
#include "config.h"
#include "core.h"
#include "../../core/buf.h"
#include "../../core/bug.h"
#include "../../core/dur.h"
#include "../../core/jvx.h"
#include "../../core/caps.h"

#define HTTP_SNIPPET 300     /* bytes of a reply body quoted in an HttpStatus error */

const struct action_arg core_http_args[] = {
	{ "method", ARG_STRING, ARG_NONEMPTY, "\"GET\"", "HTTP method (GET, HEAD, OPTIONS are read-only; others mutate)" },
	{ "url", ARG_STRING, ARG_REQUIRED | ARG_NONEMPTY, NULL, "http:// or https:// URL" },
	{ "headers", ARG_MAP, 0, NULL, "request headers (name: value)", .item = ARG_SCALAR },
	{ "body", ARG_STRING, 0, NULL, "request body as text" },
	{ "json", ARG_ANY, 0, NULL, "request body sent as JSON, with content-type: application/json" },
	{ "timeout", ARG_DURATION, ARG_NONEMPTY, "\"30s\"", "give up after this long (a transient error)" },
	{ "expect_status", ARG_LIST, ARG_NONEMPTY | ARG_RANGE, "[200]", "statuses (100-599) that count as success",
	  .item = ARG_INT, .min = 100, .max = 599 },
	{ "follow_redirects", ARG_BOOL, 0, "false", "follow 3xx replies (at most 10)" },
	{ "ca_file", ARG_STRING, 0, NULL, "PEM file of CA certificates to trust instead of the system's (verification stays on)" },
	{ NULL, 0, 0, NULL, NULL },
};

/* how curl's failures map to error codes (the rest: HttpError, not transient) */
static const struct {
	CURLcode rc;
	const char *code;
	int transient;
} http_errors[] = {
	{ CURLE_COULDNT_CONNECT, "ConnectFailed", 1 },
	{ CURLE_OPERATION_TIMEDOUT, "Timeout", 1 },
	{ CURLE_SEND_ERROR, "ConnectionReset", 1 },
	{ CURLE_RECV_ERROR, "ConnectionReset", 1 },
	{ CURLE_GOT_NOTHING, "ConnectionReset", 1 },
	{ CURLE_PARTIAL_FILE, "ConnectionReset", 1 },
	{ CURLE_COULDNT_RESOLVE_HOST, "ResolveFailed", 0 },
	{ CURLE_PEER_FAILED_VERIFICATION, "TLSError", 0 },
	{ CURLE_SSL_CONNECT_ERROR, "TLSError", 0 },
	{ CURLE_SSL_CACERT_BADFILE, "TLSError", 0 },
	{ CURLE_UNSUPPORTED_PROTOCOL, "BadArgs", 0 },
	{ CURLE_URL_MALFORMAT, "BadArgs", 0 },
	{ CURLE_TOO_MANY_REDIRECTS, "TooManyRedirects", 0 },
	{ CURLE_ABORTED_BY_CALLBACK, "Cancelled", 0 },
};

static int http_inited;

int core_http_init(void)
{
	if (http_inited++)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		http_inited = 0;
		return -1;
	}
	return 0;
}

void core_http_cleanup(void)
{
	if (http_inited && !--http_inited)
		curl_global_cleanup();
}

/* whether the host of url (http:// or https://) is a loopback name or address */
static int url_loopback(const char *url)
{
	const char *h = strstr(url, "://"), *end, *at;
	char host[256];
	unsigned char addr[16];
	size_t len;

	if (!h)
		return 0;
	h += 3;
	end = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(end - h));
	if (at)
		h = at + 1;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		if (!close)
			return 0;
		h++;
		len = (size_t)(close - h);
	} else {
		len = strcspn(h, ":/?#");
	}
	if (!len || len >= sizeof(host))
		return 0;
	memcpy(host, h, len);
	host[len] = 0;
	if (!strcasecmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, addr) == 1)
		return addr[0] == 127;
	return inet_pton(AF_INET6, host, addr) == 1 && !memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
}

/* before each request curl sends (redirects too): only to a loopback address */
static int on_prereq(void *arg, char *ip, char *local_ip, int remote_port, int local_port)
{
	(void)arg;
	(void)local_ip;
	(void)remote_port;
	(void)local_port;
	if (strchr(ip, ':')) {
		unsigned char addr[16];
		return inet_pton(AF_INET6, ip, addr) == 1 &&
		       !memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) ?
		       CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
	}
	return !strncmp(ip, "127.", 4) ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

/* the first http rule of the sandbox for meth and url, or invalid; borrows sandbox */
static jv rule_find(jv sandbox, const char *meth, const char *url)
{
	jv rules = jvx_get(sandbox, "http"), found = jv_invalid();

	if (jv_get_kind(rules) == JV_KIND_ARRAY) {
		jv_array_foreach(rules, i, r) {
			const char *ru = jvx_str(r, "url"), *rm = jvx_str(r, "method");

			if (!jv_is_valid(found) && ru && !strncmp(url, ru, strlen(ru)) && (!rm || !strcasecmp(rm, meth)))
				found = r;
			else
				jv_free(r);
		}
	}
	jv_free(rules);
	return found;
}

static int method_is_safe(const char *m)
{
	return !strcasecmp(m, "GET") || !strcasecmp(m, "HEAD") || !strcasecmp(m, "OPTIONS");
}

int core_http_mutates(jv args)
{
	const char *m = jvx_str(args, "method");

	return m && !method_is_safe(m);
}

struct http_xfer {
	struct action_call *call;
	struct buf body;
	int too_large;
	jv headers;             /* of the last response (a redirect or 100 resets it) */
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;

	if (buf_add(&x->body, data, size * n) < 0) {
		x->too_large = 1;
		return 0;
	}
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;
	size_t len = size * n, i, vs;
	char *name;
	jv old;

	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		jv_free(x->headers);
		x->headers = jv_object();
		return len;
	}
	for (i = 0; i < len && data[i] != ':'; i++)
		;
	if (i == 0 || i == len)
		return len;             /* the blank line, or not a header */
	name = xstrndup(data, i);
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	vs = i + 1;
	while (vs < len && (data[vs] == ' ' || data[vs] == '\t'))
		vs++;
	while (len > vs && (data[len - 1] == '\r' || data[len - 1] == '\n' || data[len - 1] == ' '))
		len--;
	old = jv_object_get(jv_copy(x->headers), jv_string(name));
	if (jv_get_kind(old) == JV_KIND_STRING) {
		old = jv_string_append_str(old, ", ");
		old = jv_string_append_buf(old, data + vs, (int)(len - vs));
	} else {
		jv_free(old);
		old = jv_string_sized(data + vs, (int)(len - vs));
	}
	x->headers = jv_object_set(x->headers, jv_string(name), old);
	free(name);
	return size * n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct http_xfer *x = arg;

	return action_cancelled(x->call);
}

static int is_json_type(const char *ct)
{
	size_t n = strcspn(ct, ";");

	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (n == 16 && !strncasecmp(ct, "application/json", 16))
		return 1;
	return n > 5 && !strncasecmp(ct + n - 5, "+json", 5);
}

static jv curl_failure(CURLcode rc, const char *method, const char *url, const char *detail)
{
	size_t i;
	const char *code = "HttpError";
	int transient = 0;
	jv e;

	for (i = 0; i < sizeof(http_errors) / sizeof(http_errors[0]); i++) {
		if (http_errors[i].rc == rc) {
			code = http_errors[i].code;
			transient = http_errors[i].transient;
			break;
		}
	}
	e = jvx_error(code, "http.request: %s %s failed: %s", method, url,
		      detail && *detail ? detail : curl_easy_strerror(rc));
	if (transient)
		e = jv_object_set(e, jv_string("transient"), jv_true());
	return e;
}

/* a rule's reply as if it came over the wire: status (default 200), headers with
 * lowercased names, body (json: its text, content-type application/json). 0, or -1
 * when the body is too large. Borrows rule. */
static int stub_reply(jv rule, struct http_xfer *x, long *status)
{
	jv reply = jvx_get(rule, "reply"), headers = jvx_get(reply, "headers"), json = jvx_get(reply, "json");
	const char *body = jvx_str(reply, "body");
	int ret = -1;

	*status = (long)jvx_int(reply, "status", 200);
	if (jv_get_kind(headers) == JV_KIND_OBJECT) {
		jv_object_foreach(headers, k, v) {
			char name[256];
			size_t i;

			snprintf(name, sizeof(name), "%s", jv_string_value(k));
			for (i = 0; name[i]; i++)
				name[i] = (char)tolower((unsigned char)name[i]);
			x->headers = jv_object_set(x->headers, jv_string(name), v);
			jv_free(k);
		}
	}
	if (jv_is_valid(json) && jv_get_kind(json) != JV_KIND_NULL) {
		char *text = jvx_dump(jv_copy(json));
		if (!jvx_has(x->headers, "content-type"))
			x->headers = jv_object_set(x->headers, jv_string("content-type"), jv_string("application/json"));
		ret = buf_adds(&x->body, text);
		free(text);
	} else {
		ret = body ? buf_adds(&x->body, body) : 0;
	}
	jv_free(json);
	jv_free(headers);
	jv_free(reply);
	return ret < 0 ? -1 : 0;
}

int core_http_run(struct action_call *call, jv args, jv *out)
{
	int berr = 0;
	jv method = actarg_get(call, args, "method"), url = actarg_get(call, args, "url");
	jv headers = actarg_get(call, args, "headers"), body = actarg_get(call, args, "body");
	jv json = jvx_get(args, "json"), timeout = actarg_get(call, args, "timeout");
	jv expect = actarg_get(call, args, "expect_status");
	const char *ca_file = jvx_str(args, "ca_file");
	int follow = jvx_bool(args, "follow_redirects", 0);
	struct http_xfer x = { call, BUF_INIT(CAP_OUTPUT), 0, jv_object() };
	struct curl_slist *hl = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	char meth[32], tmp[32];
	const char *u;
	char *payload = NULL;
	size_t payload_len = 0;
	int64_t timeout_ms = 30000, left;
	int has_ctype = 0, ret = -1, i, n, ok;
	long status = 0;
	curl_off_t total_us = 0;
	CURL *h = NULL;
	CURLcode rc;
	jv res = jv_invalid(), sandbox = jv_invalid(), rule = jv_invalid();

	if (jv_is_valid(json) && jv_get_kind(json) == JV_KIND_NULL) {   /* absent */
		jv_free(json);
		json = jv_invalid();
	}
	if (!jv_is_valid(url) || jv_get_kind(url) != JV_KIND_STRING) {
		*out = jvx_error("BadArgs", "http.request: 'url' is required (a string)");
		goto out;
	}
	u = jv_string_value(url);
	if (strncasecmp(u, "http://", 7) && strncasecmp(u, "https://", 8)) {
		*out = jvx_error("BadArgs", "http.request: url '%s' is not http:// or https://", u);
		goto out;
	}
	snprintf(meth, sizeof(meth), "%s", jv_is_valid(method) && jv_get_kind(method) == JV_KIND_STRING ?
		 jv_string_value(method) : "GET");
	for (i = 0; meth[i]; i++) {
		if (!isalpha((unsigned char)meth[i]))
			break;
		meth[i] = (char)toupper((unsigned char)meth[i]);
	}
	if (!meth[0] || meth[i]) {
		*out = jvx_error("BadArgs", "http.request: method '%s' is not an HTTP method", meth);
		goto out;
	}
	if (jv_is_valid(body) && jv_is_valid(json)) {
		*out = jvx_error("BadArgs", "http.request: give 'body' or 'json', not both");
		goto out;
	}
	if (jv_is_valid(timeout) && actarg_dur(timeout, &timeout_ms) < 0) {
		*out = jvx_error("BadArgs", "http.request: 'timeout' is not a duration");
		goto out;
	}
	if (jv_get_kind(expect) == JV_KIND_NUMBER)
		expect = jv_array_append(jv_array(), expect);
	if (jv_is_valid(expect) && jv_get_kind(expect) != JV_KIND_ARRAY) {
		*out = jvx_error("BadArgs", "http.request: 'expect_status' must be a list of statuses");
		goto out;
	}
	if (jv_is_valid(headers)) {
		if (jv_get_kind(headers) != JV_KIND_OBJECT) {
			*out = jvx_error("BadArgs", "http.request: 'headers' must be a map");
			goto out;
		}
		jv_object_foreach(headers, key, val) {
			const char *k = jv_string_value(key);
			char *v = actarg_scalar_text(val);
			struct buf line = BUF_INIT(0);
			int bad = !v || !*k || strpbrk(k, ": \r\n") || strpbrk(v, "\r\n");

			if (!bad) {
				if (!strcasecmp(k, "content-type"))
					has_ctype = 1;
				/* "Name;" is curl's way to send a header with an empty value */
				if (*v)
					berr |= buf_addf(&line, "%s: %s", k, v);
				else
					berr |= buf_addf(&line, "%s;", k);
				BUF_NOCAP(berr);
				hl = curl_slist_append(hl, buf_str(&line));
			} else {
				*out = jvx_error("BadArgs", "http.request: header '%s' is not valid", k);
			}
			buf_release(&line);
			free(v);
			jv_free(key);
			jv_free(val);
			if (bad)
				goto out;
		}
	}
	if (jv_is_valid(json)) {
		payload = jvx_dump(jv_copy(json));
		payload_len = strlen(payload);
		if (!has_ctype)
			hl = curl_slist_append(hl, "Content-Type: application/json");
	} else if (jv_is_valid(body)) {
		if (jv_get_kind(body) != JV_KIND_STRING) {
			*out = jvx_error("BadArgs", "http.request: 'body' must be a string (use 'json' for values)");
			goto out;
		}
		payload_len = (size_t)jv_string_length_bytes(jv_copy(body));
		payload = xmalloc(payload_len + 1);
		memcpy(payload, jv_string_value(body), payload_len + 1);
	}
	hl = curl_slist_append(hl, "Expect:");
	if (ca_file && access(ca_file, R_OK) < 0) {
		*out = jvx_error("BadArgs", "http.request: cannot read ca_file '%s': %s", ca_file, strerror(errno));
		goto out;
	}

	if (call->flags & CALL_REHEARSAL) {
		sandbox = jvx_get(call->connections, "sandbox");
		if (jv_get_kind(sandbox) != JV_KIND_OBJECT) {
			*out = jvx_error("NoSandbox", "http.request: a rehearsal without its sandbox sends nothing (%s %s not sent)",
					 meth, u);
			goto out;
		}
		rule = rule_find(sandbox, meth, u);
		if (jv_is_valid(rule)) {
			if (stub_reply(rule, &x, &status) < 0) {
				*out = jvx_error("ResponseTooLarge", "http.request: the stubbed reply to %s %s is larger than %zu MiB",
						 meth, u, CAP_OUTPUT >> 20);
				goto out;
			}
			action_log(call, LOG_DEBUG, "http.request: %s %s answered by the scenario's http: rule", meth, u);
			goto reply;
		}
		if (!url_loopback(u)) {
			*out = jvx_error("NotInRehearsal", "http.request: %s %s is not to a loopback host and no http: rule of "
					 "the scenario answers it: a rehearsal does not send it (not sent)", meth, u);
			goto out;
		}
	}
	left = action_time_left(call, timeout_ms);
	if (left == 0) {
		*out = jvx_error("Timeout", "http.request: the step's deadline has passed");
		goto out;
	}
	h = curl_easy_init();
	if (!h) {
		*out = jvx_error("HttpError", "http.request: cannot create a curl handle");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, u);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "runbook/" RUNBOOK_VERSION);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
	if (left > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left);
	if (ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
	if (call->flags & CALL_REHEARSAL)
		curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
	if (follow) {
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	}
	if (!strcmp(meth, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (payload || !strcmp(meth, "POST")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)payload_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload ? payload : "");
		if (strcmp(meth, "POST"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, meth);
	} else if (strcmp(meth, "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, meth);

	action_log(call, LOG_DEBUG, "http.request: %s %s", meth, u);
	rc = curl_easy_perform(h);
	if (rc == CURLE_ABORTED_BY_CALLBACK && (call->flags & CALL_REHEARSAL) && !action_cancelled(call)) {
		*out = jvx_error("NotInRehearsal", "http.request: %s %s led to a host that is not loopback: a rehearsal "
				 "does not send it (stopped before sending)", meth, u);
		goto out;
	}
	if (rc == CURLE_WRITE_ERROR && x.too_large) {
		*out = jvx_error("ResponseTooLarge", "http.request: reply to %s %s is larger than %zu MiB",
				 meth, u, CAP_OUTPUT >> 20);
		goto out;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		*out = jvx_error("Timeout", "http.request: %s %s timed out after %s", meth, u,
				 dur_format(left, tmp, sizeof(tmp)));
		*out = jv_object_set(*out, jv_string("transient"), jv_true());
		goto out;
	}
	if (rc != CURLE_OK) {
		*out = curl_failure(rc, meth, u, errbuf);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);

reply:
	res = jv_object_set(jv_object(), jv_string("status"), jv_number((double)status));
	res = jv_object_set(res, jv_string("headers"), jv_copy(x.headers));
	res = jv_object_set(res, jv_string("body"), jv_string_sized(buf_str(&x.body), (int)x.body.len));
	if (h && curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK)
		res = jv_object_set(res, jv_string("duration_ms"), jv_number((double)(total_us / 1000)));
	{
		const char *ct = jvx_str(x.headers, "content-type");

		if (ct && is_json_type(ct) && x.body.len) {
			jv parsed = jvx_parse_sized(buf_str(&x.body), x.body.len);

			if (jv_is_valid(parsed))
				res = jv_object_set(res, jv_string("json"), parsed);
			else {
				jv_free(parsed);
				action_log(call, LOG_WARN, "http.request: %s %s: reply says %s but is not JSON",
					   meth, u, ct);
			}
		}
	}
	n = jv_is_valid(expect) ? jv_array_length(jv_copy(expect)) : 0;
	ok = !jv_is_valid(expect) ? status == 200 : 0;
	for (i = 0; i < n && !ok; i++) {
		jv c = jv_array_get(jv_copy(expect), i);
		ok = jv_get_kind(c) == JV_KIND_NUMBER && (long)jv_number_value(c) == status;
		jv_free(c);
	}
	if (!ok) {
		struct buf want = BUF_INIT(0), snip = BUF_INIT(0);
		jv e;

		for (i = 0; i < n; i++) {
			jv c = jv_array_get(jv_copy(expect), i);
			char *t = jvx_text(c);
			berr |= buf_addf(&want, "%s%s", i ? ", " : "", t);
			free(t);
		}
		berr |= buf_add(&snip, buf_str(&x.body), x.body.len < HTTP_SNIPPET ? x.body.len : HTTP_SNIPPET);
		BUF_NOCAP(berr);
		e = jvx_error("HttpStatus", "http.request: %s %s returned %ld (expected %s)%s%s", meth, u,
			      status, n ? buf_str(&want) : "200", snip.len ? ": " : "", buf_str(&snip));
		e = jv_object_set(e, jv_string("status"), jv_number((double)status));
		if (status == 429 || status >= 500)
			e = jv_object_set(e, jv_string("transient"), jv_true());
		buf_release(&want);
		buf_release(&snip);
		*out = e;
		goto out;
	}
	*out = res;
	res = jv_invalid();
	ret = 0;
out:
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(hl);
	free(payload);
	buf_release(&x.body);
	jv_free(x.headers);
	jv_free(res);
	jv_free(method);
	jv_free(url);
	jv_free(headers);
	jv_free(body);
	jv_free(json);
	jv_free(timeout);
	jv_free(expect);
	jv_free(rule);
	jv_free(sandbox);
	jv_free(args);
	return ret;
}

/* --dry-run: method and URL, the NAMES of headers (values such as tokens are not shown),
 * and the size of the body */
int core_http_dry_run(struct action_call *call, jv args, jv *out)
{
	int berr = 0;
	jv method = actarg_get(call, args, "method"), headers = actarg_get(call, args, "headers");
	jv body = actarg_get(call, args, "body"), json = jvx_get(args, "json");
	const char *u = jvx_str(args, "url");
	struct buf b = BUF_INIT(CAP_MESSAGE);
	char meth[32];
	int i;

	snprintf(meth, sizeof(meth), "%s", jv_get_kind(method) == JV_KIND_STRING ? jv_string_value(method) : "GET");
	for (i = 0; meth[i]; i++)
		meth[i] = (char)toupper((unsigned char)meth[i]);
	berr |= buf_addf(&b, "would send %s %s", meth, u ? u : "(no url)");
	if (jv_get_kind(headers) == JV_KIND_OBJECT && jv_object_length(jv_copy(headers)) > 0) {
		int first = 1;
		berr |= buf_adds(&b, " with headers");
		jv_object_foreach(headers, key, val) {
			berr |= buf_addf(&b, "%s%s", first ? " " : ",", jv_string_value(key));
			first = 0;
			jv_free(key);
			jv_free(val);
		}
	}
	if (jv_is_valid(json) && jv_get_kind(json) != JV_KIND_NULL) {
		char *text = jvx_dump(jv_copy(json));
		berr |= buf_addf(&b, ", a JSON body of %zu bytes", strlen(text));
		free(text);
	} else if (jv_get_kind(body) == JV_KIND_STRING) {
		berr |= buf_addf(&b, ", a body of %d bytes", jv_string_length_bytes(jv_copy(body)));
	}
	/* an add refused at the cap left what came before it */
	*out = berr ? jv_string_fmt("%s ... (cut at 64 KiB)", buf_str(&b)) : jv_string(buf_str(&b));
	buf_release(&b);
	jv_free(method);
	jv_free(headers);
	jv_free(body);
	jv_free(json);
	jv_free(args);
	return 0;
}
