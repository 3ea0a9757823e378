/* state_pg.c — the PostgreSQL state store: connecting, the schema (created on first
 * use, versioned, upgraded in place), runs and their files, the drill register.
 * The journal is state_pg_journal.c, locks state_pg_lock.c; the tables are listed in
 * state_pg.h. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/fs.h"
#include "../core/jvx.h"
#include "../core/runid.h"
#include "state_pg.h"

/* ---- connections ---- */

char *pg_message(PGconn *c, const PGresult *r)
{
	/* the server's primary message, without "ERROR:" and the statement's LINE/caret;
	 * libpq's own (connection lost) has no fields: its whole text */
	const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char *out, *w;
	if ((!m || !*m) && r)
		m = PQresultErrorMessage(r);
	if (!m || !*m)
		m = c ? PQerrorMessage(c) : NULL;
	if (!m || !*m)
		m = "unknown error";
	/* libpq's messages span lines ("server closed the connection unexpectedly\n\tThis
	 * probably means ..."): one line, single spaces, no trailing newline */
	out = w = xmalloc(strlen(m) + 1);
	for (const char *p = m; *p; p++) {
		char ch = (*p == '\n' || *p == '\t' || *p == '\r') ? ' ' : *p;
		if (ch == ' ' && (w == out || w[-1] == ' '))
			continue;
		*w++ = ch;
	}
	while (w > out && w[-1] == ' ')
		w--;
	*w = '\0';
	return out;
}

int pg_fail(PGconn *c, const PGresult *r, jv *err, const char *what)
{
	char *m = pg_message(c, r);
	*err = jv_string_fmt("cannot %s: %s", what, m);
	free(m);
	return -1;
}

PGresult *pg_exec(PGconn *c, const char *sql, int n, const char *const *vals)
{
	return PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
}

/* the server drops a session whose machine stopped answering after about a minute
 * (30 s idle, then 3 probes 10 s apart), and with it the session's advisory locks; over
 * a unix socket these read 0 and do nothing */
static const char pg_session_sql[] =
	"SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3";

/* the server's notices ("relation ... already exists, skipping") are not for people */
static void pg_no_notice(void *arg, const char *message) {}

PGconn *pg_connect(const char *uri, const char *name, jv *err)
{
	/* settings before dbname are defaults the URI may override; client_encoding after
	 * it is ours (journal lines are UTF-8 JSON). The client's keepalives and
	 * tcp_user_timeout make a call to a vanished server fail within about a minute. */
	const char *kw[] = { "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
			     "keepalives_count", "tcp_user_timeout", "dbname", "client_encoding", NULL, NULL };
	const char *val[] = { "runbook", "1", "30", "10", "3", "60000", uri, "UTF8", NULL, NULL };
	PGconn *c;
	/* an unreachable host fails in 10 s, not after the system's SYN retries (minutes),
	 * unless the URI, PGCONNECT_TIMEOUT or a service file says how long to wait: a
	 * setting given here would win over the last two */
	if (!getenv("PGCONNECT_TIMEOUT") && !getenv("PGSERVICE") && !strstr(uri, "service=") &&
	    !strstr(uri, "connect_timeout=")) {
		memmove(kw + 1, kw, 8 * sizeof(*kw));
		memmove(val + 1, val, 8 * sizeof(*val));
		kw[0] = "connect_timeout";
		val[0] = "10";
	}
	c = PQconnectdbParams(kw, val, 1);
	PGresult *r = NULL;
	char what[1024];

	snprintf(what, sizeof(what), "connect to the state store %s", name);
	if (!c)
		BUG("PQconnectdbParams: out of memory");
	if (PQstatus(c) != CONNECTION_OK) {
		pg_fail(c, NULL, err, what);
		goto fail;
	}
	PQsetNoticeProcessor(c, pg_no_notice, NULL);
	r = PQexec(c, pg_session_sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_fail(c, r, err, what);
		goto fail;
	}
	PQclear(r);
	return c;
fail:
	PQclear(r);
	PQfinish(c);
	return NULL;
}

/* ---- the name: the URI rebuilt from its parsed options, without any password ---- */

static int pg_name_add(struct buf *b, const char *v, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	int berr = 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p) || (*p && strchr(keep, *p)))
			berr |= buf_addc(b, (char)*p);
		else
			berr |= buf_addf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
	return berr;
}

static const char *pg_opt(const PQconninfoOption *opts, const char *kw)
{
	for (const PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, kw))
			return o->val && *o->val ? o->val : NULL;
	return NULL;
}

/* postgresql://[user@][host][:port]/[dbname][?k=v&...]: a host that is a socket folder,
 * a list or an IPv6 address, and every other option, go to the query; options libpq
 * marks as passwords (dispchar "*": password, sslpassword) are left out */
static char *pg_name(const PQconninfoOption *opts)
{
	struct buf b = BUF_INIT(0);
	const char *user = pg_opt(opts, "user"), *host = pg_opt(opts, "host"), *port = pg_opt(opts, "port");
	const char *db = pg_opt(opts, "dbname");
	int host_in_query = host && strpbrk(host, "/,:"), port_in_query = port && (host_in_query || strchr(port, ','));
	int berr = 0, q = 0;

	berr |= buf_adds(&b, "postgresql://");
	if (user) {
		berr |= pg_name_add(&b, user, "");
		berr |= buf_addc(&b, '@');
	}
	if (host && !host_in_query)
		berr |= pg_name_add(&b, host, "");
	if (port && !port_in_query) {
		berr |= buf_addc(&b, ':');
		berr |= pg_name_add(&b, port, "");
	}
	berr |= buf_addc(&b, '/');
	if (db)
		berr |= pg_name_add(&b, db, "");
	for (const PQconninfoOption *o = opts; o->keyword; o++) {
		const char *k = o->keyword;
		if (!o->val || !*o->val || o->dispchar[0] == '*' || !strcmp(k, "password"))
			continue;
		if (!strcmp(k, "user") || !strcmp(k, "dbname") || (!strcmp(k, "host") && !host_in_query) ||
		    (!strcmp(k, "port") && !port_in_query))
			continue;
		berr |= buf_addc(&b, q++ ? '&' : '?');
		berr |= pg_name_add(&b, k, "");
		berr |= buf_addc(&b, '=');
		berr |= pg_name_add(&b, o->val, "/,:");
	}
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

/* ---- the schema ----
 * Version N's step turns a version N-1 schema into version N; a store is brought from
 * the version it has to the last one here in one transaction, under a transaction-level
 * advisory lock (two processes creating it at once: the second waits, then finds it
 * done). Version 2 is one more entry. The lock's key is the pair ('runb', 'ook1') in
 * the (int, int) space, apart from the (bigint) space of runbook's locks. */
static const struct pg_upgrade {
	int version;
	const char *sql;
} pg_upgrades[] = {
	{ 1,
	  "CREATE TABLE runbook_runs ("
	  " id text PRIMARY KEY,"
	  " published boolean NOT NULL DEFAULT false,"
	  " created timestamptz NOT NULL DEFAULT now(),"
	  " published_at timestamptz);"
	  "CREATE TABLE runbook_run_files ("
	  " run_id text NOT NULL REFERENCES runbook_runs (id) ON DELETE CASCADE,"
	  " name text NOT NULL,"
	  " data bytea NOT NULL,"
	  " updated timestamptz NOT NULL DEFAULT now(),"
	  " PRIMARY KEY (run_id, name));"
	  "CREATE TABLE runbook_events ("
	  " run_id text NOT NULL REFERENCES runbook_runs (id) ON DELETE CASCADE,"
	  " seq bigint NOT NULL,"
	  " line text NOT NULL,"
	  " PRIMARY KEY (run_id, seq));"
	  "CREATE TABLE runbook_drills ("
	  " seq bigserial PRIMARY KEY,"
	  " record text NOT NULL,"
	  " created timestamptz NOT NULL DEFAULT now());"
	  "CREATE TABLE runbook_locks ("
	  " key text PRIMARY KEY,"
	  " run text,"
	  " host text,"
	  " pid integer,"
	  " since timestamptz NOT NULL DEFAULT now(),"
	  " backend_pid integer NOT NULL,"
	  " record text NOT NULL)" },
};
#define PG_SCHEMA_VERSION 1
#define PG_SCHEMA_LOCK "SELECT pg_advisory_xact_lock(1920298594, 1869573937)"

/* the version the store has: 0 when it has no runbook_schema, -1 on error */
static int pg_schema_version(PGconn *c, int for_update, jv *err)
{
	PGresult *r = PQexec(c, "SELECT to_regclass('runbook_schema') IS NOT NULL");
	int v = -1;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(c, r, err, "read the state store's schema version");
		goto out;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t")) {
		v = 0;
		goto out;
	}
	PQclear(r);
	r = PQexec(c, for_update ? "SELECT version FROM runbook_schema FOR UPDATE" : "SELECT version FROM runbook_schema");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(c, r, err, "read the state store's schema version");
		goto out;
	}
	v = PQntuples(r) ? atoi(PQgetvalue(r, 0, 0)) : 0;
out:
	PQclear(r);
	return v;
}

static int pg_cmd(PGconn *c, const char *sql, jv *err, const char *what)
{
	PGresult *r = PQexec(c, sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? 0
		 : pg_fail(c, r, err, what);
	PQclear(r);
	return rc;
}

static int pg_schema(PGconn *c, const char *name, jv *err)
{
	char what[1024], ver[16];
	int v = pg_schema_version(c, 0, err), rc = -1;

	if (v < 0)
		return -1;
	if (v == PG_SCHEMA_VERSION)
		return 0;
	if (v > PG_SCHEMA_VERSION) {
		*err = jv_string_fmt("cannot use the state store %s: its tables are version %d, newer than this "
				     "runbook's (%d): upgrade runbook", name, v, PG_SCHEMA_VERSION);
		return -1;
	}
	snprintf(what, sizeof(what), "create the state store's tables in %s", name);
	if (pg_cmd(c, "BEGIN", err, what) < 0)
		return -1;
	if (pg_cmd(c, PG_SCHEMA_LOCK, err, what) < 0 ||
	    pg_cmd(c, "CREATE TABLE IF NOT EXISTS runbook_schema (version integer NOT NULL)", err, what) < 0)
		goto out;
	if ((v = pg_schema_version(c, 1, err)) < 0)
		goto out;
	if (v == 0 && pg_cmd(c, "INSERT INTO runbook_schema (version) SELECT 0 WHERE NOT EXISTS "
			       "(SELECT 1 FROM runbook_schema)", err, what) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(pg_upgrades) / sizeof(pg_upgrades[0]); i++) {
		const char *vals[1] = { ver };
		PGresult *r;
		if (pg_upgrades[i].version <= v)
			continue;
		snprintf(what, sizeof(what), "upgrade the state store's tables in %s to version %d", name,
			 pg_upgrades[i].version);
		if (pg_cmd(c, pg_upgrades[i].sql, err, what) < 0)
			goto out;
		snprintf(ver, sizeof(ver), "%d", pg_upgrades[i].version);
		r = pg_exec(c, "UPDATE runbook_schema SET version = $1", 1, vals);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			pg_fail(c, r, err, what);
			PQclear(r);
			goto out;
		}
		PQclear(r);
	}
	rc = pg_cmd(c, "COMMIT", err, what);
out:
	if (rc < 0) {
		PQclear(PQexec(c, "ROLLBACK"));
		if (jv_get_kind(*err) == JV_KIND_STRING && strstr(jv_string_value(*err), "permission denied")) {
			jv m = *err;
			*err = jv_string_fmt("%s (the first use needs CREATE on the schema, or a DBA creates the "
					     "tables and grants their use)", jv_string_value(m));
			jv_free(m);
		}
	}
	return rc;
}

/* ---- open, close ---- */

static int pg_open(struct state *s, const char *where, jv *err)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(where, &perr);
	struct pg_state *p;

	if (!opts) {
		/* libpq quotes the URI (or a part of it) after ": \"": never shown, it may hold
		 * a password */
		char *m = xstrdup(perr ? perr : "out of memory"), *cut;
		if ((cut = strstr(m, ": \"")))
			*cut = '\0';
		m[strcspn(m, "\n")] = '\0';
		*err = jv_string_fmt("cannot open the state store: invalid postgresql URI (%s)", m);
		free(m);
		PQfreemem(perr);
		return -1;
	}
	s->name = pg_name(opts);
	PQconninfoFree(opts);
	p = xcalloc(1, sizeof(*p));
	p->uri = xstrdup(where);
	s->impl = p;
	if (!(p->conn = pg_connect(where, s->name, err)) || pg_schema(p->conn, s->name, err) < 0) {
		PQfinish(p->conn);
		free(p->uri);
		free(p);
		s->impl = NULL;
		return -1;
	}
	return 0;
}

static void pg_close(struct state *s)
{
	struct pg_state *p = pg_of(s);
	if (!p)
		return;
	pg_unlock_all(s);
	PQfinish(p->conn);
	free(p->uri);
	free(p);
	s->impl = NULL;
}

/* ---- runs ---- */


static int pg_run_create(struct state *s, char **id, int64_t now_ms, jv *err)
{
	char ms[32];
	snprintf(ms, sizeof(ms), "%lld", (long long)now_ms);
	for (int tries = 0; tries < 100; tries++) {
		const char *vals[2] = { *id, ms };
		PGresult *r = pg_exec(pg_of(s)->conn,
				      "INSERT INTO runbook_runs (id, created) VALUES ($1, to_timestamp($2::bigint / 1000.0)) "
				      "ON CONFLICT (id) DO NOTHING", 2, vals);
		int made;
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			char what[512];
			snprintf(what, sizeof(what), "create run '%s' in %s", *id, s->name);
			pg_fail(pg_of(s)->conn, r, err, what);
			PQclear(r);
			return -1;
		}
		made = !strcmp(PQcmdTuples(r), "1");
		PQclear(r);
		if (made)
			return 0;
		char *again = run_id_again(*id);
		free(*id);
		*id = again;
	}
	*err = jv_string_fmt("cannot create a run in %s: no free run id after 100 tries", s->name);
	return -1;
}

static int pg_run_publish(struct state *s, const char *id, jv *err)
{
	const char *vals[1] = { id };
	PGresult *r = pg_exec(pg_of(s)->conn, "UPDATE runbook_runs SET published = true, published_at = now() "
			      "WHERE id = $1", 1, vals);
	char what[512];
	int rc = 0;

	snprintf(what, sizeof(what), "publish run '%s' in %s", id, s->name);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(pg_of(s)->conn, r, err, what);
	else if (strcmp(PQcmdTuples(r), "1")) {
		*err = jv_string_fmt("cannot %s: no such run", what);
		rc = -1;
	}
	PQclear(r);
	return rc;
}

static int pg_run_put(struct state *s, const char *id, const char *name, const char *data, size_t len, jv *err)
{
	const char *vals[3] = { id, name, data ? data : "" };
	int lens[3] = { 0, 0, (int)len }, fmts[3] = { 0, 0, 1 };
	PGresult *r;
	int rc = 0;

	if (len > 0x3fffffff) {
		*err = jv_string_fmt("cannot store '%s' of run '%s' in %s: %zu bytes is more than 1 GiB", name, id,
				     s->name, len);
		return -1;
	}
	r = PQexecParams(pg_of(s)->conn,
			 "INSERT INTO runbook_run_files (run_id, name, data) VALUES ($1, $2, $3) "
			 "ON CONFLICT (run_id, name) DO UPDATE SET data = excluded.data, updated = now()",
			 3, NULL, vals, lens, fmts, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		char what[1024];
		snprintf(what, sizeof(what), "store '%s' of run '%s' in %s", name, id, s->name);
		rc = pg_fail(pg_of(s)->conn, r, err, what);
	}
	PQclear(r);
	return rc;
}

static char *pg_run_get(struct state *s, const char *id, const char *name, size_t *len)
{
	const char *vals[2] = { id, name };
	PGresult *r = PQexecParams(pg_of(s)->conn, "SELECT data FROM runbook_run_files WHERE run_id = $1 AND name = $2",
				   2, NULL, vals, NULL, NULL, 1);
	char *out = NULL;
	size_t n;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		errno = EIO;
		goto out;
	}
	if (PQntuples(r) == 0) {
		errno = ENOENT;
		goto out;
	}
	n = (size_t)PQgetlength(r, 0, 0);
	out = xmalloc(n + 1);
	memcpy(out, PQgetvalue(r, 0, 0), n);
	out[n] = '\0';
	if (len)
		*len = n;
out:
	PQclear(r);
	return out;
}

/* the rows' first column, each a JSON text, parsed: an array (lines that do not parse
 * to an object are skipped, as the folder's reader does) */
static jv pg_json_rows(PGresult *r)
{
	jv out = jv_array();
	for (int i = 0; i < PQntuples(r); i++) {
		jv v = jvx_parse_sized(PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
		if (jv_is_valid(v) && jv_get_kind(v) == JV_KIND_OBJECT)
			out = jv_array_append(out, v);
		else
			jv_free(v);
	}
	return out;
}

static jv pg_invalid(PGconn *c, PGresult *r, const char *fmt, const char *a, const char *b)
{
	char what[1024];
	jv err;
	snprintf(what, sizeof(what), fmt, a, b);
	pg_fail(c, r, &err, what);
	return jv_invalid_with_msg(err);
}

static jv pg_run_events(struct state *s, const char *id)
{
	const char *vals[1] = { id };
	PGconn *c = pg_of(s)->conn;
	PGresult *r = pg_exec(c, "SELECT published FROM runbook_runs WHERE id = $1", 1, vals);
	jv out;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		out = pg_invalid(c, r, "read run '%s' in %s", id, s->name);
		goto out;
	}
	if (PQntuples(r) == 0 || strcmp(PQgetvalue(r, 0, 0), "t")) {
		out = jv_invalid_with_msg(jv_string_fmt("cannot read run '%s' in %s: no such run", id, s->name));
		goto out;
	}
	PQclear(r);
	r = pg_exec(c, "SELECT line FROM runbook_events WHERE run_id = $1 ORDER BY seq", 1, vals);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		out = pg_invalid(c, r, "read the journal of run '%s' in %s", id, s->name);
	else
		out = pg_json_rows(r);
out:
	PQclear(r);
	return out;
}

static jv pg_runs(struct state *s)
{
	PGconn *c = pg_of(s)->conn;
	PGresult *r = PQexec(c, "SELECT id FROM runbook_runs WHERE published ORDER BY id COLLATE \"C\" DESC");
	jv out;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		out = pg_invalid(c, r, "list the runs in %s%s", s->name, "");
	} else {
		out = jv_array();
		for (int i = 0; i < PQntuples(r); i++)
			out = jv_array_append(out, jv_string(PQgetvalue(r, i, 0)));
	}
	PQclear(r);
	return out;
}

/* ($XDG_STATE_HOME or ~/.local/state)/runbook/work/ID, 0700 */
static char *pg_run_workdir(struct state *s, const char *id, jv *err)
{
	const char *base = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct buf b = BUF_INIT(0);
	int berr = 0;

	if (run_id_check(id) < 0) {
		*err = jv_string_fmt("cannot make a work folder for run '%s': not a run id", id);
		return NULL;
	}
	if (base && base[0] == '/') {
		berr |= buf_adds(&b, base);
	} else {
		if (!home || home[0] != '/') {
			struct passwd *pw = getpwuid(getuid());
			home = pw && pw->pw_dir ? pw->pw_dir : NULL;
		}
		if (!home) {
			*err = jv_string_fmt("cannot make a work folder for run '%s': neither XDG_STATE_HOME nor HOME "
					     "is set", id);
			return NULL;
		}
		berr |= buf_addf(&b, "%s/.local/state", home);
	}
	berr |= buf_addf(&b, "/runbook/work/%s", id);
	BUF_NOCAP(berr);
	if (fs_mkdir_p(b.data, 0700) < 0) {
		*err = jv_string_fmt("cannot create the work folder '%s': %s", b.data, strerror(errno));
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* ---- the drill register ---- */

static int pg_drill_append(struct state *s, jv record, jv *err)
{
	char *text = jvx_dump(record);
	const char *vals[1] = { text };
	PGresult *r = pg_exec(pg_of(s)->conn, "INSERT INTO runbook_drills (record) VALUES ($1)", 1, vals);
	int rc = 0;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		char what[512];
		snprintf(what, sizeof(what), "append to the drill register in %s", s->name);
		rc = pg_fail(pg_of(s)->conn, r, err, what);
	}
	PQclear(r);
	free(text);
	return rc;
}

static jv pg_drills(struct state *s)
{
	PGconn *c = pg_of(s)->conn;
	PGresult *r = PQexec(c, "SELECT record FROM runbook_drills ORDER BY seq");
	jv out = PQresultStatus(r) == PGRES_TUPLES_OK ? pg_json_rows(r)
		 : pg_invalid(c, r, "read the drill register in %s%s", s->name, "");
	PQclear(r);
	return out;
}

const struct state_ops state_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.run_create = pg_run_create,
	.run_publish = pg_run_publish,
	.run_put = pg_run_put,
	.run_get = pg_run_get,
	.run_events = pg_run_events,
	.runs = pg_runs,
	.run_workdir = pg_run_workdir,
	.journal_open = pg_journal_open,
	.journal_append = pg_journal_append,
	.journal_error = pg_journal_error,
	.journal_close = pg_journal_close,
	.drill_append = pg_drill_append,
	.drills = pg_drills,
	.lock = pg_lock,
	.unlock = pg_unlock,
	.lock_probe = pg_lock_probe,
};
