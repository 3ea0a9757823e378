/* pg_conn.c — libpq connections and queries with bounded waits, cancel, typed values
 * (see pg_priv.h). Every wait polls in slices so a step's deadline and Ctrl-C are
 * honoured; a query past its deadline is cancelled on the server (PQcancel).
 */
#include <arpa/inet.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "pg_priv.h"
#include "../../core/actarg.h"
#include "../../core/bug.h"
#include "../../core/caps.h"
#include "../../core/jvx.h"
#include "../../core/redact.h"

/* well-known SQLSTATEs as error codes; everything else is PostgresError */
static const struct { const char *state, *code; } pg_states[] = {
	{ "42P01", "UndefinedTable" },  { "42703", "UndefinedColumn" },
	{ "42601", "SyntaxError" },     { "25006", "ReadOnlyTransaction" },
	{ "23505", "UniqueViolation" }, { "23503", "ForeignKeyViolation" },
	{ "23502", "NotNullViolation" }, { "57014", "QueryCanceled" },
	{ "28P01", "AuthenticationFailed" }, { "28000", "AuthenticationFailed" },
	{ "3D000", "UndefinedDatabase" }, { "42501", "InsufficientPrivilege" },
	{ "42P07", "DuplicateTable" },  { "40001", "SerializationFailure" },
	{ "40P01", "DeadlockDetected" }, { "57P03", "CannotConnectNow" },
	{ NULL, NULL },
};

static void pg_chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
}

jv pgx_error(struct pgx *x, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *code = "PostgresError";
	char *text;
	jv err;

	if (!msg)
		msg = r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r)
			: x->conn ? PQerrorMessage(x->conn) : "unknown error";
	for (int i = 0; state && pg_states[i].state; i++)
		if (!strcmp(state, pg_states[i].state))
			code = pg_states[i].code;
	text = xstrdup(msg);
	pg_chomp(text);
	err = jvx_error(code, "postgres (connection '%s'): %s%s%s", x->name, text,
			detail ? ": " : "", detail ? detail : "");
	if (state)
		err = jv_object_set(err, jv_string("sqlstate"), jv_string(state));
	if (state && (!strncmp(state, "40", 2) || !strcmp(state, "57P03") || !strncmp(state, "08", 2)))
		err = jv_object_set(err, jv_string("transient"), jv_true());
	free(text);
	return err;
}

/* whether the connection goes to this machine: a Unix socket or a loopback address */
static int pg_conn_is_local(PGconn *conn)
{
	const char *a = PQhostaddr(conn), *h = PQhost(conn);
	unsigned char ip[16];

	if (a && *a) {
		if (inet_pton(AF_INET, a, ip) == 1)
			return ip[0] == 127;
		if (inet_pton(AF_INET6, a, ip) == 1)
			return !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) ||
			       (!memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) && ip[12] == 127);
		return 0;
	}
	return !h || !*h || h[0] == '/' || h[0] == '@' || !strcmp(h, "localhost");
}

/* connect_timeout as libpq resolved it (conninfo or URI, the service file, then
 * PGCONNECT_TIMEOUT): the asynchronous connect does not enforce it, so we do. Unset:
 * PG_CONNECT_TIMEOUT_MS; zero or negative: no limit but the step's deadline, as libpq. */
static int64_t pg_connect_timeout_ms(PGconn *conn)
{
	PQconninfoOption *eff = PQconninfo(conn);
	int64_t ms = PG_CONNECT_TIMEOUT_MS;
	for (PQconninfoOption *o = eff; o && o->keyword; o++)
		if (!strcmp(o->keyword, "connect_timeout") && o->val && *o->val) {
			long v = strtol(o->val, NULL, 10);
			ms = v > 0 ? (int64_t)v * 1000 : INT64_MAX / 2;
		}
	if (eff)
		PQconninfoFree(eff);
	return ms;
}

/* libpq's host list (host=a,b hostaddr=... port=1,2: the resolved options, from the
 * conninfo, the environment or a service file). A list of one port applies to all. */
struct pg_hosts {
	char *host, *addr, *port;
	int n;
};

/* item i of a comma-separated list, or of every one for a list of one; malloc'd */
static char *pg_item(const char *list, int i)
{
	const char *p = list;
	if (!strchr(list, ','))
		return xstrdup(list);
	while (i-- > 0 && p)
		p = (p = strchr(p, ',')) ? p + 1 : NULL;
	return p ? xstrndup(p, strcspn(p, ",")) : xstrdup("");
}

/* items from..end of a list joined again (a list of one: itself) */
static char *pg_items_from(const char *list, int from)
{
	const char *p = list;
	if (!strchr(list, ','))
		return xstrdup(list);
	while (from-- > 0 && p)
		p = (p = strchr(p, ',')) ? p + 1 : NULL;
	return xstrdup(p ? p : "");
}

static void pg_hosts_read(PGconn *conn, struct pg_hosts *h)
{
	PQconninfoOption *eff = PQconninfo(conn);
	memset(h, 0, sizeof(*h));
	for (PQconninfoOption *o = eff; o && o->keyword; o++) {
		char **to = !strcmp(o->keyword, "host") ? &h->host : !strcmp(o->keyword, "hostaddr") ? &h->addr
			    : !strcmp(o->keyword, "port") ? &h->port : NULL;
		if (to)
			*to = xstrdup(o->val ? o->val : "");
	}
	if (eff)
		PQconninfoFree(eff);
	if (!h->host)
		h->host = xstrdup("");
	if (!h->addr)
		h->addr = xstrdup("");
	if (!h->port)
		h->port = xstrdup("");
	h->n = 1;
	for (const char *c = *h->host ? h->host : h->addr; *c; c++)
		h->n += *c == ',';
}

static void pg_hosts_release(struct pg_hosts *h)
{
	free(h->host);
	free(h->addr);
	free(h->port);
}

/* the index (from `from` on) of the host conn is connecting to, or -1 */
static int pg_hosts_current(const struct pg_hosts *h, PGconn *conn, int from)
{
	const char *ch = PQhost(conn), *cp = PQport(conn);
	for (int i = from; i < h->n; i++) {
		char *hi = pg_item(*h->host ? h->host : h->addr, i), *pi = pg_item(h->port, i);
		int same = ch && cp && !strcmp(hi, ch) && (!*pi || !strcmp(pi, cp));
		free(hi);
		free(pi);
		if (same)
			return i;
	}
	return -1;
}

/* the error of a failed connection; earlier: what the hosts before it said, or "" */
static jv pg_connect_error(struct pgx *x, const char *earlier)
{
	char *m = xstrdup(PQerrorMessage(x->conn));
	pg_chomp(m);
	jv e = jvx_error(strstr(m, "password") || strstr(m, "authentication") ? "AuthenticationFailed" : "ConnectionFailed",
			 "postgres (connection '%s'): %s%s", x->name, earlier, m);
	free(m);
	return e;
}

/* Connect with connect_timeout per host, as libpq's blocking connect does (its
 * asynchronous one has no timeout): the limit starts again whenever libpq moves on to
 * another host or address. When one runs out, a new connection starts with the hosts
 * after that one (libpq cannot be told to move on); libpq itself moves on after a
 * refusal, a server that does not fit target_session_attrs, and stops at an
 * authentication failure. Another address of the same host name is not tried after a
 * timeout. */
static int pg_connect(struct pgx *x, const char *conninfo, jv *err)
{
	struct action_call *call = x->call;
	const char *kw[] = { "dbname", "fallback_application_name", "host", "hostaddr", "port", NULL };
	const char *val[] = { conninfo, "runbook", NULL, NULL, NULL, NULL };
	struct pg_hosts h;
	struct buf earlier = BUF_INIT(CAP_MESSAGE);    /* "host A port P: no connection within N ms; " */
	char *rest[3] = { NULL, NULL, NULL };
	int64_t connect_ms, start, deadline;
	int from = 0, rc = -1, berr = 0;

	x->conn = PQconnectStartParams(kw, val, 1);
	if (!x->conn)
		BUG("PQconnectStartParams: out of memory");
	pg_hosts_read(x->conn, &h);
	connect_ms = pg_connect_timeout_ms(x->conn);
	for (;;) {
		PostgresPollingStatusType st = PQstatus(x->conn) == CONNECTION_BAD ? PGRES_POLLING_FAILED
										: PGRES_POLLING_WRITING;
		char *at = NULL;    /* the host, port and address being tried */
		start = action_mono_ms();
		deadline = start + connect_ms < x->deadline ? start + connect_ms : x->deadline;
		while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
			struct buf now = BUF_INIT(0);
			BUF_NOCAP(buf_addf(&now, "%s\n%s\n%s", PQhost(x->conn) ? PQhost(x->conn) : "",
					   PQport(x->conn) ? PQport(x->conn) : "", PQhostaddr(x->conn) ? PQhostaddr(x->conn) : ""));
			if (!at || strcmp(at, now.data)) {
				/* another host or address: its own connect_timeout */
				free(at);
				at = buf_detach(&now);
				start = action_mono_ms();
				deadline = start + connect_ms < x->deadline ? start + connect_ms : x->deadline;
			}
			buf_release(&now);
			int w = action_wait_fd(call, PQsocket(x->conn), st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
					       deadline);
			if (w == -1) {
				*err = jvx_error("Cancelled", "connecting to postgres (connection '%s') was cancelled", x->name);
				free(at);
				goto out;
			}
			if (w == 0)
				break;
			st = PQconnectPoll(x->conn);
		}
		free(at);
		if (st == PGRES_POLLING_OK && PQstatus(x->conn) == CONNECTION_OK) {
			rc = 0;
			goto out;
		}
		if (st == PGRES_POLLING_FAILED || PQstatus(x->conn) == CONNECTION_BAD) {
			*err = pg_connect_error(x, buf_str(&earlier));
			goto out;
		}
		/* timed out: the next host, if any and the step has time left */
		int cur = pg_hosts_current(&h, x->conn, from);
		char ms[160];
		snprintf(ms, sizeof(ms), "no connection within %lld ms (host %s, port %s)", (long long)(deadline - start),
			 PQhost(x->conn) ? PQhost(x->conn) : "?", PQport(x->conn) ? PQport(x->conn) : "?");
		if (cur < 0 || cur + 1 >= h.n || deadline >= x->deadline) {
			*err = jvx_error("ConnectTimeout", "postgres (connection '%s'): %s%s", x->name, buf_str(&earlier), ms);
			*err = jv_object_set(*err, jv_string("transient"), jv_true());
			goto out;
		}
		berr |= buf_addf(&earlier, "%s; ", ms);
		if (berr)
			buf_reset(&earlier);     /* past its cap: the last host's error only */
		berr = 0;
		from = cur + 1;
		for (int i = 0; i < 3; i++)
			free(rest[i]);
		rest[0] = pg_items_from(h.host, from);
		rest[1] = pg_items_from(h.addr, from);
		rest[2] = pg_items_from(h.port, from);
		if (!*rest[0] && !*rest[1]) {
			/* an empty item alone cannot override the list: stop here */
			*err = jvx_error("ConnectTimeout", "postgres (connection '%s'): %s", x->name, ms);
			*err = jv_object_set(*err, jv_string("transient"), jv_true());
			goto out;
		}
		for (int i = 0; i < 3; i++)
			val[2 + i] = *rest[i] ? rest[i] : NULL;
		pgx_close(x);
		x->conn = PQconnectStartParams(kw, val, 1);
		if (!x->conn)
			BUG("PQconnectStartParams: out of memory");
	}
out:
	if (rc < 0)
		pgx_close(x);
	for (int i = 0; i < 3; i++)
		free(rest[i]);
	pg_hosts_release(&h);
	buf_release(&earlier);
	return rc;
}

int pgx_open(struct pgx *x, struct action_call *call, const char *name, jv *err)
{
	jv conf;
	const char *conninfo = "";
	PQconninfoOption *opts = NULL;
	char *perr = NULL;
	int rc = -1;

	memset(x, 0, sizeof(*x));
	x->call = call;
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->deadline = action_io_deadline(call, -1);

	conf = action_connection(call, "pg", name);
	if (!jv_is_valid(conf) || (jv_get_kind(conf) == JV_KIND_NULL && strcmp(name, "default"))) {
		*err = action_unknown_connection(call, "pg", name);
		goto out;
	}
	if (jv_get_kind(conf) == JV_KIND_OBJECT) {
		conninfo = jvx_str(conf, "conninfo");
		if (!conninfo) {
			*err = jvx_error("InvalidConnection", "pg connection '%s' has no conninfo", name);
			goto out;
		}
	}
	opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		if (perr)
			pg_chomp(perr);
		*err = jvx_error("InvalidConnection", "pg connection '%s': invalid conninfo: %s", name,
				 perr ? perr : "out of memory");
		goto out;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (!strcmp(o->keyword, "password") && call->redact)
			redact_add(call->redact, o->val);
	}
	if (pg_connect(x, conninfo, err) < 0)
		goto out;
	if (call->redact && PQpass(x->conn) && *PQpass(x->conn))
		redact_add(call->redact, PQpass(x->conn));
	if (!PQsslInUse(x->conn) && !pg_conn_is_local(x->conn)) {
		char key[512];
		snprintf(key, sizeof(key), "pg:%s@%s:%s", name, PQhost(x->conn), PQport(x->conn));
		action_warn_once(call, key, "postgres (connection '%s'): no TLS to %s:%s, not this machine: "
				"passwords and data cross the network readable by anyone on the path; "
				"set sslmode=verify-full (with sslrootcert) in its conninfo",
				name, PQhost(x->conn), PQport(x->conn));
	}
	if (pgx_do(x, "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';"
		   " SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET bytea_output = 'hex'", err) < 0)
		goto out;
	if ((call->flags & CALL_DRY_RUN) && pgx_do(x, "SET default_transaction_read_only = on", err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		pgx_close(x);
	if (opts)
		PQconninfoFree(opts);
	PQfreemem(perr);
	jv_free(conf);
	return rc;
}

void pgx_close(struct pgx *x)
{
	if (x->conn)
		PQfinish(x->conn);
	x->conn = NULL;
}

/* wait until a result can be read without blocking; on cancel or deadline ask the
 * server to cancel once, then allow it PG_CANCEL_GRACE_MS. 0 ok, -1 error in *err.
 *
 * The grace deadline replaces x->deadline: the server answers a cancel with an error
 * result and then, in a separate write, ReadyForQuery, so the caller may come back for
 * the rest after the step's deadline has passed. With the old deadline that second
 * wait failed at once with "did not stop the query" (and the caller's first error was
 * overwritten and leaked). */
int pgx_wait(struct pgx *x, int *stopped, jv *err)
{
	int64_t deadline = x->deadline;

	while (PQflush(x->conn) == 1) {
		int w = action_wait_fd(x->call, PQsocket(x->conn), POLLOUT | POLLIN, deadline);
		if (w <= 0)
			break;
		if (PQconsumeInput(x->conn) == 0)
			break;
	}
	while (PQisBusy(x->conn)) {
		int w = action_wait_fd(*stopped ? NULL : x->call, PQsocket(x->conn), POLLIN, deadline);
		if (w == 1) {
			if (PQconsumeInput(x->conn) == 0) {
				*err = pgx_error(x, NULL);
				return -1;
			}
			continue;
		}
		if (w == -2 || *stopped) {
			*err = jvx_error(*stopped == 1 ? "Cancelled" : "Timeout",
					 "postgres (connection '%s'): the server did not stop the query", x->name);
			return -1;
		}
		/* first stop: ask the server to cancel, then wait a little for it */
		*stopped = w == -1 ? 1 : 2;
		{
			PGcancel *c = PQgetCancel(x->conn);
			char eb[256];
			if (c) {
				PQcancel(c, eb, sizeof(eb));
				PQfreeCancel(c);
			}
		}
		deadline = x->deadline = action_mono_ms() + PG_CANCEL_GRACE_MS;
	}
	return 0;
}

jv pgx_stop_error(struct pgx *x, int stopped)
{
	if (stopped == 1)
		return jvx_error("Cancelled", "postgres (connection '%s'): query cancelled", x->name);
	return jvx_error("Timeout", "postgres (connection '%s'): query cancelled at the step's deadline", x->name);
}

int pgx_collect(struct pgx *x, PGresult **res, jv *err)
{
	PGresult *last = NULL, *bad = NULL, *r;
	int stopped = 0;

	*res = NULL;
	for (;;) {
		if (pgx_wait(x, &stopped, err) < 0)
			goto fail;
		r = PQgetResult(x->conn);
		if (!r)
			break;
		switch (PQresultStatus(r)) {
		case PGRES_COPY_OUT:
		case PGRES_COPY_IN:
			PQclear(last);
			PQclear(bad);
			*res = r;
			return 0;
		case PGRES_FATAL_ERROR:
		case PGRES_BAD_RESPONSE:
			if (!bad)
				bad = r;
			else
				PQclear(r);
			break;
		default:
			PQclear(last);
			last = r;
		}
	}
	if (bad) {
		*err = stopped ? pgx_stop_error(x, stopped) : pgx_error(x, bad);
		goto fail;
	}
	if (stopped) {
		*err = pgx_stop_error(x, stopped);
		goto fail;
	}
	*res = last;
	return 0;
fail:
	PQclear(last);
	PQclear(bad);
	return -1;
}

int pgx_exec(struct pgx *x, const char *sql, int nparams, const char *const *params,
	     PGresult **res, jv *err)
{
	int ok;

	*res = NULL;
	ok = nparams >= 0 ? PQsendQueryParams(x->conn, sql, nparams, NULL, params, NULL, NULL, 0)
			  : PQsendQuery(x->conn, sql);
	if (!ok) {
		*err = pgx_error(x, NULL);
		return -1;
	}
	return pgx_collect(x, res, err);
}

int pgx_do(struct pgx *x, const char *sql, jv *err)
{
	PGresult *r = NULL;
	int rc = pgx_exec(x, sql, -1, NULL, &r, err);
	PQclear(r);
	return rc;
}

/* numeric text that a double holds exactly enough: at most 15 significant digits */
static int pg_numeric_safe(const char *s)
{
	int digits = 0, leading = 1;

	for (const char *p = s; *p; p++) {
		if (*p == '-' || *p == '+' || *p == '.')
			continue;
		if (*p < '0' || *p > '9')
			return 0;          /* NaN, Infinity, exponent */
		if (*p == '0' && leading)
			continue;
		leading = 0;
		digits++;
	}
	return digits <= 15;
}

jv pgx_value(const PGresult *r, int row, int col)
{
	const char *s;
	Oid t;

	if (PQgetisnull(r, row, col))
		return jv_null();
	s = PQgetvalue(r, row, col);
	t = PQftype(r, col);
	switch (t) {
	case 16:                    /* bool */
		return s[0] == 't' ? jv_true() : jv_false();
	case 20: case 21: case 23: case 26: {   /* int8, int2, int4, oid */
		char *end;
		long long v = strtoll(s, &end, 10);
		if (*end == 0 && v <= (1LL << 53) && v >= -(1LL << 53))
			return jv_number((double)v);
		return jv_string(s);   /* big ids stay exact as strings */
	}
	case 700: case 701: {       /* float4, float8 */
		double d = strtod(s, NULL);
		return isfinite(d) ? jv_number(d) : jv_string(s);
	}
	case 1700:                  /* numeric */
		if (pg_numeric_safe(s))
			return jv_number(strtod(s, NULL));
		return jv_string(s);
	case 114: case 3802: {      /* json, jsonb */
		jv v = jv_parse(s);
		if (jv_is_valid(v))
			return v;
		jv_free(v);
		return jv_string(s);
	}
	default:
		return jv_string(s);
	}
}

static const char *pg_type_name(Oid t)
{
	switch (t) {
	case 16: return "bool";
	case 20: return "int8";
	case 21: return "int2";
	case 23: return "int4";
	case 26: return "oid";
	case 700: return "float4";
	case 701: return "float8";
	case 1700: return "numeric";
	case 114: return "json";
	case 3802: return "jsonb";
	case 25: return "text";
	case 1043: return "varchar";
	case 1042: return "bpchar";
	case 1082: return "date";
	case 1114: return "timestamp";
	case 1184: return "timestamptz";
	case 2950: return "uuid";
	case 17: return "bytea";
	default: return NULL;
	}
}

int pgx_query_json(struct pgx *x, const char *sql, int nparams, const char *const *params,
		   int64_t limit, jv *out, jv *err)
{
	jv rows = jv_array(), cols = jv_null();
	int64_t n = 0;
	int truncated = 0, stopped = 0, cancel_sent = 0;
	char *status = NULL, *affected = NULL;
	PGresult *r;

	*err = jv_invalid();

	if (!PQsendQueryParams(x->conn, sql, nparams < 0 ? 0 : nparams, NULL, params, NULL, NULL, 0)) {
		*err = pgx_error(x, NULL);
		goto fail;
	}
	PQsetSingleRowMode(x->conn);
	for (;;) {
		jv werr = jv_invalid();
		if (pgx_wait(x, &stopped, &werr) < 0) {
			/* the first error (e.g. the cancel's) is the one to report */
			if (jv_is_valid(*err))
				jv_free(werr);
			else
				*err = werr;
			goto fail;
		}
		r = PQgetResult(x->conn);
		if (!r)
			break;
		ExecStatusType st = PQresultStatus(r);
		if (jv_get_kind(cols) == JV_KIND_NULL && (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK)) {
			cols = jv_array();
			for (int c = 0; c < PQnfields(r); c++) {
				const char *tn = pg_type_name(PQftype(r, c));
				jv col = jv_object_set(jv_object(), jv_string("name"), jv_string(PQfname(r, c)));
				col = jv_object_set(col, jv_string("type"), tn ? jv_string(tn) : jv_number(PQftype(r, c)));
				cols = jv_array_append(cols, col);
			}
		}
		if (st == PGRES_SINGLE_TUPLE) {
			if (limit >= 0 && n >= limit) {
				truncated = 1;
				if (!cancel_sent) {
					PGcancel *c = PQgetCancel(x->conn);
					char eb[256];
					if (c) {
						PQcancel(c, eb, sizeof(eb));
						PQfreeCancel(c);
					}
					cancel_sent = 1;
				}
			} else {
				jv row = jv_object();
				for (int c = 0; c < PQnfields(r); c++)
					row = jv_object_set(row, jv_string(PQfname(r, c)), pgx_value(r, 0, c));
				rows = jv_array_append(rows, row);
				n++;
			}
		} else if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) {
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			if (!(cancel_sent && state && !strcmp(state, "57014")) && !jv_is_valid(*err)) {
				*err = stopped ? pgx_stop_error(x, stopped) : pgx_error(x, r);
			}
		} else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			free(status);
			free(affected);
			status = xstrdup(PQcmdStatus(r));
			affected = xstrdup(PQcmdTuples(r));
		} else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
			PQclear(r);
			*err = jvx_error("InvalidArgument", "COPY is not supported in a query; use pg.copy_table");
			pgx_close(x);
			goto fail;
		}
		PQclear(r);
	}
	if (jv_is_valid(*err))
		goto fail;
	if (stopped) {
		*err = pgx_stop_error(x, stopped);
		goto fail;
	}
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("columns"), jv_get_kind(cols) == JV_KIND_NULL ? jv_array() : cols);
	*out = jv_object_set(*out, jv_string("rows"), rows);
	*out = jv_object_set(*out, jv_string("row_count"), jv_number((double)n));
	*out = jv_object_set(*out, jv_string("truncated"), jv_bool(truncated));
	if (status)
		*out = jv_object_set(*out, jv_string("command"), jv_string(status));
	if (affected && *affected && (!status || strncmp(status, "SELECT", 6)))
		*out = jv_object_set(*out, jv_string("rows_affected"), jv_number(atof(affected)));
	free(status);
	free(affected);
	return 0;
fail:
	jv_free(rows);
	jv_free(cols);
	free(status);
	free(affected);
	return -1;
}

int pgx_scalar(struct pgx *x, const char *sql, int nparams, const char *const *params,
	       jv *out, jv *err)
{
	PGresult *r = NULL;

	if (pgx_exec(x, sql, nparams, params, &r, err) < 0)
		return -1;
	if (r && PQntuples(r) > 0 && PQnfields(r) > 0)
		*out = pgx_value(r, 0, 0);
	else
		*out = jv_null();
	PQclear(r);
	return 0;
}

int pgx_quote_ident(struct pgx *x, const char *name, struct buf *out, jv *err)
{
	int berr = 0;
	char *q;

	if (!*name) {
		*err = jvx_error("InvalidArgument", "empty identifier");
		return -1;
	}
	q = PQescapeIdentifier(x->conn, name, strlen(name));
	if (!q) {
		*err = pgx_error(x, NULL);
		return -1;
	}
	berr |= buf_adds(out, q);
	PQfreemem(q);
	if (berr) {
		*err = jvx_error("InvalidArgument", "the statement is too long with identifier '%s'", name);
		return -1;
	}
	return 0;
}

int pgx_quote_table(struct pgx *x, const char *name, struct buf *out, jv *err)
{
	const char *dot = strchr(name, '.');

	if (dot && strchr(dot + 1, '.')) {
		*err = jvx_error("InvalidArgument", "table name '%s' has more than one '.' (use schema.table)", name);
		return -1;
	}
	if (dot) {
		char *schema = xstrndup(name, (size_t)(dot - name));
		int rc = pgx_quote_ident(x, schema, out, err);
		free(schema);
		if (rc < 0)
			return -1;
		if (buf_addc(out, '.') < 0) {
			*err = jvx_error("InvalidArgument", "the statement is too long with table '%s'", name);
			return -1;
		}
		name = dot + 1;
	}
	return pgx_quote_ident(x, name, out, err);
}

int pgx_table_exists(struct pgx *x, const char *name, jv *err)
{
	struct buf q = BUF_INIT(0);
	jv v = jv_null();
	int rc = -1;

	if (pgx_quote_table(x, name, &q, err) < 0)
		goto out;
	{
		const char *p[] = { buf_str(&q) };
		if (pgx_scalar(x, "SELECT to_regclass($1) IS NOT NULL", 1, p, &v, err) < 0)
			goto out;
	}
	if (jv_get_kind(v) == JV_KIND_TRUE) {
		rc = 1;
	} else {
		*err = jvx_error("UndefinedTable", "postgres (connection '%s'): table '%s' does not exist",
				 x->name, name);
		rc = 0;
	}
out:
	jv_free(v);
	buf_release(&q);
	return rc;
}

int pgx_user_tables(struct pgx *x, jv *tables, jv *err)
{
	PGresult *r = NULL;

	if (pgx_exec(x,
		     "SELECT n.nspname || '.' || c.relname FROM pg_class c"
		     " JOIN pg_namespace n ON n.oid = c.relnamespace"
		     " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
		     " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
		     " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
		     " ORDER BY n.nspname, c.relname", 0, NULL, &r, err) < 0)
		return -1;
	*tables = jv_array();
	for (int i = 0; i < PQntuples(r); i++)
		*tables = jv_array_append(*tables, jv_string(PQgetvalue(r, i, 0)));
	PQclear(r);
	return 0;
}

int pgx_count(struct pgx *x, const char *table, int exact, int64_t *n, jv *err)
{
	int berr = 0;
	struct buf q = BUF_INIT(0), sql = BUF_INIT(0);
	jv v = jv_null();
	int rc = -1;

	if (pgx_table_exists(x, table, err) != 1)
		goto out;
	if (pgx_quote_table(x, table, &q, err) < 0)
		goto out;
	if (exact) {
		berr |= buf_addf(&sql, "SELECT count(*) FROM %s", buf_str(&q));
		BUF_NOCAP(berr);
		if (pgx_scalar(x, buf_str(&sql), 0, NULL, &v, err) < 0)
			goto out;
	} else {
		const char *p[] = { buf_str(&q) };
		/* reltuples is -1 for a never-analysed table (PostgreSQL 14+) */
		if (pgx_scalar(x, "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass($1)",
			       1, p, &v, err) < 0)
			goto out;
	}
	*n = jv_get_kind(v) == JV_KIND_NUMBER ? (int64_t)jv_number_value(v)
		: jv_get_kind(v) == JV_KIND_STRING ? strtoll(jv_string_value(v), NULL, 10) : 0;
	rc = 0;
out:
	jv_free(v);
	buf_release(&q);
	buf_release(&sql);
	return rc;
}

/* names of key columns: the primary key in index order; none: empty array */
int pgx_primary_key(struct pgx *x, const char *qtable, jv *key, jv *err)
{
	PGresult *r = NULL;
	const char *p[] = { qtable };

	if (pgx_exec(x, "SELECT a.attname FROM pg_index i"
		     " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
		     " WHERE i.indrelid = to_regclass($1) AND i.indisprimary"
		     " ORDER BY array_position(i.indkey::int2[], a.attnum)", 1, p, &r, err) < 0)
		return -1;
	*key = jv_array();
	for (int i = 0; i < PQntuples(r); i++)
		*key = jv_array_append(*key, jv_string(PQgetvalue(r, i, 0)));
	PQclear(r);
	return 0;
}

int pgx_ident_list(struct pgx *x, jv names, struct buf *out, jv *err)
{
	int first = 1;

	jv_array_foreach(names, i, nm) {
		if (jv_get_kind(nm) != JV_KIND_STRING) {
			jv_free(nm);
			*err = jvx_error("InvalidArgument", "column names must be strings");
			return -1;
		}
		if (!first && buf_adds(out, ", ") < 0) {
			jv_free(nm);
			*err = jvx_error("InvalidArgument", "the statement is too long with %d columns", jv_array_length(jv_copy(names)));
			return -1;
		}
		first = 0;
		if (pgx_quote_ident(x, jv_string_value(nm), out, err) < 0) {
			jv_free(nm);
			return -1;
		}
		jv_free(nm);
	}
	return 0;
}

int pgx_checksum(struct pgx *x, const char *table, jv columns, jv key, const char *where,
		 jv *out, jv *err)
{
	int berr = 0;
	struct buf qt = BUF_INIT(0), sql = BUF_INIT(0);
	jv pk = jv_invalid();
	PGresult *r = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	int64_t rows = 0;
	int rc = -1, stopped = 0, ncols = jv_get_kind(columns) == JV_KIND_ARRAY ? jv_array_length(jv_copy(columns)) : 0;

	*err = jv_invalid();
	if (pgx_table_exists(x, table, err) != 1)
		goto out;
	if (pgx_quote_table(x, table, &qt, err) < 0)
		goto out;
	if (jv_get_kind(key) == JV_KIND_ARRAY && jv_array_length(jv_copy(key)) > 0) {
		pk = jv_copy(key);
	} else if (pgx_primary_key(x, buf_str(&qt), &pk, err) < 0) {
		goto out;
	}
	berr |= buf_adds(&sql, "COPY (SELECT ");
	if (ncols > 0) {
		if (pgx_ident_list(x, columns, &sql, err) < 0)
			goto out;
	} else {
		berr |= buf_adds(&sql, "*");
	}
	berr |= buf_addf(&sql, " FROM %s t", buf_str(&qt));
	if (where && *where)
		berr |= buf_addf(&sql, " WHERE (%s)", where);
	berr |= buf_adds(&sql, " ORDER BY ");
	if (jv_array_length(jv_copy(pk)) > 0) {
		if (pgx_ident_list(x, pk, &sql, err) < 0)
			goto out;
	} else if (ncols > 0) {
		/* no key: every selected column, in order */
		for (int i = 1; i <= ncols; i++)
			berr |= buf_addf(&sql, "%s%d", i > 1 ? ", " : "", i);
	} else {
		berr |= buf_adds(&sql, "t::text");
	}
	berr |= buf_adds(&sql, ") TO STDOUT");
	BUF_NOCAP(berr);
	if (pgx_exec(x, buf_str(&sql), -1, NULL, &r, err) < 0)
		goto out;
	if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
		*err = jvx_error("PostgresError", "postgres (connection '%s'): COPY did not start", x->name);
		goto out;
	}
	PQclear(r);
	r = NULL;
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_md5(), NULL))
		BUG("EVP md5 unavailable");
	for (;;) {
		char *line = NULL;
		int n = PQgetCopyData(x->conn, &line, 1);
		if (n > 0) {
			EVP_DigestUpdate(md, line, (size_t)n);
			rows++;
			PQfreemem(line);
			continue;
		}
		if (n == 0) {
			int w = action_wait_fd(x->call, PQsocket(x->conn), POLLIN, x->deadline);
			if (w <= 0) {
				*err = w == -1 ? pgx_stop_error(x, 1) : pgx_stop_error(x, 2);
				pgx_close(x);   /* mid-COPY: the connection is unusable */
				goto out;
			}
			if (!PQconsumeInput(x->conn)) {
				*err = pgx_error(x, NULL);
				goto out;
			}
			continue;
		}
		if (n == -2) {
			*err = pgx_error(x, NULL);
			goto out;
		}
		break;
	}
	if (pgx_wait(x, &stopped, err) < 0)
		goto out;
	while ((r = PQgetResult(x->conn))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && !jv_is_valid(*err))
			*err = pgx_error(x, r);
		PQclear(r);
		r = NULL;
	}
	if (jv_is_valid(*err))
		goto out;
	EVP_DigestFinal_ex(md, digest, &dlen);
	for (unsigned i = 0; i < dlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	hex[2 * dlen] = 0;
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("table"), jv_string(table));
	*out = jv_object_set(*out, jv_string("digest"), jv_string(hex));
	*out = jv_object_set(*out, jv_string("algorithm"), jv_string("md5"));
	*out = jv_object_set(*out, jv_string("rows"), jv_number((double)rows));
	*out = jv_object_set(*out, jv_string("key"), jv_copy(pk));
	*out = jv_object_set(*out, jv_string("columns"), ncols > 0 ? jv_copy(columns) : jv_string("*"));
	rc = 0;
out:
	if (md)
		EVP_MD_CTX_free(md);
	PQclear(r);
	jv_free(pk);
	buf_release(&qt);
	buf_release(&sql);
	return rc;
}

int pgx_params(jv list, char ***vals, int *n, jv *err)
{
	*vals = NULL;
	*n = 0;
	if (!jv_is_valid(list) || jv_get_kind(list) == JV_KIND_NULL)
		return 0;
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		*err = jvx_error("InvalidArgument", "params must be a list");
		return -1;
	}
	int len = jv_array_length(jv_copy(list));
	*vals = xcalloc(len ? (size_t)len : 1, sizeof(char *));
	for (int i = 0; i < len; i++) {
		jv v = jv_array_get(jv_copy(list), i);
		switch (jv_get_kind(v)) {
		case JV_KIND_NULL:
			(*vals)[i] = NULL;          /* SQL NULL */
			break;
		case JV_KIND_STRING:
			(*vals)[i] = xstrdup(jv_string_value(v));
			break;
		case JV_KIND_NUMBER: {
			char tmp[64];
			(*vals)[i] = xstrdup(actarg_num_text(jv_number_value(v), tmp, sizeof(tmp)));
			break;
		}
		case JV_KIND_TRUE:
			(*vals)[i] = xstrdup("true");
			break;
		case JV_KIND_FALSE:
			(*vals)[i] = xstrdup("false");
			break;
		default:            /* arrays and objects as JSON (json/jsonb params) */
			(*vals)[i] = jvx_dump(jv_copy(v));
		}
		jv_free(v);
	}
	*n = len;
	return 0;
}

void pgx_params_free(char **vals, int n)
{
	for (int i = 0; i < n; i++)
		free(vals[i]);
	free(vals);
}
