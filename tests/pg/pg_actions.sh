#!/usr/bin/env bash
# pg_actions.sh DBDRV — every pg action against a real PostgreSQL 15 (servers.sh), bad
# input included: wrong password, unreachable host, missing table, injection in names.
set -u
DRV=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PSQL="psql -X -q -v ON_ERROR_STOP=1"

createdb rbsrc && createdb rbdst || bail_out "setup failed"
$PSQL -d rbsrc -f "$HERE/ecommerce.sql" >/dev/null || bail_out "setup failed"
$PSQL -d rbsrc -c "CREATE TABLE x (id int); INSERT INTO x VALUES (1)" || bail_out "setup failed"
$PSQL -d rbdst -c "CREATE TABLE x (id int); INSERT INTO x VALUES (1)" || bail_out "setup failed"
$PSQL -d rbsrc -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $RB_PG_PW_USER" || bail_out "setup failed"

BADPW=wrong-password-4711
# an unreachable host without a network: a port whose accept queue is full
"$HERE/blackhole.py" 300 >"$RB_SERVERS_DIR/blackhole.port" &
BHPID=$!
tap_cleanup kill "$BHPID"
for _ in $(seq 50); do [ -s "$RB_SERVERS_DIR/blackhole.port" ] && break; sleep 0.1; done
BP=$(cat "$RB_SERVERS_DIR/blackhole.port")
C=$(jq -cn --arg h "$PGHOST" --arg p "$PGPORT" --arg pw "$RB_PG_PW_PASSWORD" --arg u "$RB_PG_PW_USER" --arg bad "$BADPW" --arg bp "$BP" '{pg: {
  default: {conninfo: "host=\($h) port=\($p) dbname=rbsrc"},
  src: {conninfo: "host=\($h) port=\($p) dbname=rbsrc"},
  dst: {conninfo: "postgresql:///rbdst?host=\($h)&port=\($p)"},
  pw: {conninfo: "host=127.0.0.1 port=\($p) dbname=rbsrc user=\($u) password=\($pw)"},
  badpw: {conninfo: "host=127.0.0.1 port=\($p) dbname=rbsrc user=\($u) password=\($bad)"},
  pwuri: {conninfo: "postgresql://\($u):\($pw)@127.0.0.1:\($p)/rbsrc?sslmode=disable"},
  badpwuri: {conninfo: "postgresql://\($u):\($bad)@127.0.0.1:\($p)/rbsrc"},
  pgpass: {conninfo: "host=127.0.0.1 port=\($p) dbname=rbsrc user=\($u)"},
  refused: {conninfo: "host=127.0.0.1 port=1 dbname=rbsrc"},
  blackhole: {conninfo: "host=127.0.0.1 port=\($bp) dbname=rbsrc connect_timeout=2"}
}}')
d() { drv --connections "$C" "$@"; }

# ---- pg.query: typed values, bound params, limits
d pg.query '{"sql": "SELECT id, email, phone, created_at FROM customers WHERE id = $1", "params": [5]}'
check_jq "query binds \$1" '.ok and .result.row_count == 1 and .result.rows[0].id == 5 and .result.rows[0].phone == null'
d pg.query '{"sql": "SELECT 42::int2 AS a, 9007199254740993::int8 AS big, 1.25::numeric AS n, 12345678901234567890.5::numeric AS bign, true AS t, 0.5::float8 AS f, '"'"'{\"a\": [1, 2]}'"'"'::jsonb AS j, NULL::text AS nothing, '"'"'NaN'"'"'::float8 AS nan"}'
check_jq "query types values by column type" '.result.rows[0] == {a: 42, big: "9007199254740993", n: 1.25, bign: "12345678901234567890.5", t: true, f: 0.5, j: {a: [1, 2]}, nothing: null, nan: "NaN"}'
check_jq "query reports column types" '[.result.columns[].type] == ["int2", "int8", "numeric", "numeric", "bool", "float8", "jsonb", "text", "float8"]'
d pg.query '{"sql": "SELECT $1::text AS v", "params": ["x'"'"'; DROP TABLE x; --"]}'
check_jq "a value is bound, never spliced" '.result.rows[0].v == "x'"'"'; DROP TABLE x; --"'
d pg.query '{"sql": "SELECT * FROM orders ORDER BY id", "limit": 10}'
check_jq "query row limit truncates" '.ok and .result.row_count == 10 and .result.truncated == true and .result.rows[9].id == 10'
d pg.query '{"sql": "SELECT * FROM orders ORDER BY id", "limit": 5000}'
check_jq "query under the limit is complete" '.result.row_count == 1000 and .result.truncated == false'
d pg.query '{"sql": "SELECT * FROM no_such_table"}'
check_jq "query on a missing table fails cleanly" '.ok == false and .error.code == "UndefinedTable" and .error.sqlstate == "42P01"'
d pg.query '{"sql": "SELEC 1"}'
check_jq "syntax error" '.error.code == "SyntaxError"'
d pg.query '{"sql": "SELECT 1", "connection": "dts"}'
check_jq "unknown connection names a near one" '.error.code == "UnknownConnection" and (.error.message | contains("did you mean '"'"'dst'"'"'"))'

# ---- bounded waits: deadline and cancel
t0=$(ms_now); d --deadline-ms 800 pg.query '{"sql": "SELECT pg_sleep(20)"}'; t1=$(ms_now)
check_jq "a query past the step deadline is cancelled" '.error.code == "Timeout"'
check_cmd "deadline honoured within 3s" test $((t1 - t0)) -lt 3000
t0=$(ms_now); d --cancel-after-ms 500 pg.query '{"sql": "SELECT pg_sleep(20)"}'; t1=$(ms_now)
check_jq "Ctrl-C cancels a running query" '.error.code == "Cancelled"'
check_cmd "cancel honoured within 3s" test $((t1 - t0)) -lt 3000
check_cmd "the server has no leftover sleeping query" \
	test "$(psql -XAt -d rbsrc -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%'")" = 0

# ---- authentication and reachability
d pg.query '{"sql": "SELECT current_user AS u", "connection": "pw"}'
check_jq "password (scram) connection works" '.ok and .result.rows[0].u == "rb_pw"'
check_jq "the password was tainted" '.redactions >= 1'
d pg.query '{"sql": "SELECT 1", "connection": "badpw"}'
check_jq "wrong password fails clearly" '.ok == false and .error.code == "AuthenticationFailed" and (.error.message | contains("password authentication failed"))'
check_cmd "wrong password never printed" bash -c "! grep -q '$BADPW' <<<'$OUT'"
d pg.query '{"sql": "SELECT current_user AS u", "connection": "pwuri"}'
check_jq "a URI with a password works and taints it" '.ok and .result.rows[0].u == "rb_pw" and .redactions >= 1'
d pg.query '{"sql": "SELECT 1", "connection": "badpwuri"}'
check_jq "a URI with a wrong password fails clearly" '.error.code == "AuthenticationFailed"'
check_cmd "the URI's wrong password is never printed" bash -c "! grep -q '$BADPW' <<<'$OUT'"
printf '127.0.0.1:%s:rbsrc:%s:%s\n' "$PGPORT" "$RB_PG_PW_USER" "$RB_PG_PW_PASSWORD" >"$RB_SERVERS_DIR/pgpass"
chmod 600 "$RB_SERVERS_DIR/pgpass"
OUT=$(PGPASSFILE="$RB_SERVERS_DIR/pgpass" "$DRV" --connections "$C" pg.query '{"sql": "SELECT current_user AS u", "connection": "pgpass"}' 2>/dev/null)
check_jq "libpq's password file works, and its password is tainted" '.ok and .result.rows[0].u == "rb_pw" and .redactions >= 1'
check_cmd "the password from the file is not printed" bash -c "! grep -q '$RB_PG_PW_PASSWORD' <<<'$OUT'"
printf '[shop]\nhost=%s\nport=%s\ndbname=rbsrc\n' "$PGHOST" "$PGPORT" >"$RB_SERVERS_DIR/pg_service.conf"
OUT=$(PGSERVICEFILE="$RB_SERVERS_DIR/pg_service.conf" "$DRV" --connections '{"pg": {"svc": {"conninfo": "service=shop"}}}' pg.query '{"sql": "SELECT current_database() AS db", "connection": "svc"}' 2>/dev/null)
check_jq "libpq's service file works" '.ok and .result.rows[0].db == "rbsrc"'
OUT=$(PGDATABASE=rbdst "$DRV" pg.query '{"sql": "SELECT current_database() AS db"}' 2>/dev/null)
check_jq "no connections.pg: libpq's environment" '.ok and .result.rows[0].db == "rbdst"'
# sslmode is libpq's: turn TLS on in the server (reload) and check verify-full both ways
T=$RB_SERVERS_DIR/tls
mkdir -p "$T"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" -days 2 -subj "/CN=rb-pg-ca" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -out "$T/srv.crt" -days 2 -extfile "$T/ext" 2>/dev/null
DATA=$(psql -XAt -c "SHOW data_directory")
OWNER=$(stat -c %U "$DATA")
install -m 600 -o "$OWNER" "$T/srv.key" "$DATA/rb-server.key"
install -m 644 -o "$OWNER" "$T/srv.crt" "$DATA/rb-server.crt"
$PSQL -c "ALTER SYSTEM SET ssl_cert_file = 'rb-server.crt'" -c "ALTER SYSTEM SET ssl_key_file = 'rb-server.key'" \
	-c "ALTER SYSTEM SET ssl = on" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
TLS=$(jq -cn --arg p "$PGPORT" --arg ca "$T/ca.crt" '{pg: {
  full: {conninfo: "host=localhost hostaddr=127.0.0.1 port=\($p) dbname=rbsrc sslmode=verify-full sslrootcert=\($ca)"},
  wrongca: {conninfo: "host=localhost hostaddr=127.0.0.1 port=\($p) dbname=rbsrc sslmode=verify-full sslrootcert=/etc/ssl/certs/ca-certificates.crt"},
  plainonly: {conninfo: "host=127.0.0.1 port=\($p) dbname=rbsrc sslmode=disable"}}}')
drv --connections "$TLS" pg.query '{"sql": "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", "connection": "full"}'
check_jq "sslmode=verify-full with the right CA: an encrypted session" '.ok and .result.rows[0].ssl == true'
drv --connections "$TLS" pg.query '{"sql": "SELECT 1", "connection": "wrongca"}'
check_jq "sslmode=verify-full refuses a certificate the CA did not sign" '.ok == false and (.error.message | test("certificate"))'
drv --connections "$TLS" pg.query '{"sql": "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", "connection": "plainonly"}'
check_jq "sslmode=disable stays plain" '.ok and .result.rows[0].ssl == false'
t0=$(ms_now); d pg.query '{"sql": "SELECT 1", "connection": "refused"}'; t1=$(ms_now)
check_jq "refused port fails clearly" '.ok == false and .error.code == "ConnectionFailed" and (.error.message | test("refused|connect"))'
t0=$(ms_now); d pg.query '{"sql": "SELECT 1", "connection": "blackhole"}'; t1=$(ms_now)
check_jq "unreachable host fails clearly" '.ok == false and .error.code == "ConnectTimeout" and (.error.message | contains("2000 ms"))'
check_cmd "unreachable host: bounded wait (connect_timeout 2s)" test $((t1 - t0)) -ge 1900 -a $((t1 - t0)) -lt 4000
t0=$(ms_now); d --deadline-ms 700 pg.query '{"sql": "SELECT 1", "connection": "blackhole"}'; t1=$(ms_now)
check_jq "connecting stops at the step deadline" '.error.code == "ConnectTimeout"'
check_cmd "step deadline bounds connecting" test $((t1 - t0)) -lt 1500
t0=$(ms_now); d pg.wait_ready '{"connection": "refused", "timeout": "2s", "interval": "500ms"}'; t1=$(ms_now)
check_jq "wait_ready times out on a dead server" '.error.code == "Timeout" and (.error.message | contains("attempts"))'
check_cmd "wait_ready bounded by its timeout" test $((t1 - t0)) -lt 4000
d pg.wait_ready '{"connection": "src"}'
check_jq "wait_ready on a live server" '.ok and .result.ready and .result.attempts == 1'
d pg.wait_ready '{"connection": "badpw", "timeout": "10s"}'
check_jq "wait_ready stops at once on a wrong password" '.error.code == "AuthenticationFailed"'

# ---- pg.exec: one transaction unless told otherwise
d pg.exec '{"sql": ["INSERT INTO x VALUES (2)", "INSERT INTO x VALUES (3)"]}'
check_jq "exec runs statements" '.ok and .result.statements == 2 and .result.results[1].rows_affected == 1'
d pg.exec '{"sql": ["INSERT INTO x VALUES (4)", "INSERT INTO nope VALUES (5)"]}'
check_jq "exec fails on the bad statement" '.ok == false and .error.statement == 2 and .error.rolled_back == true'
check_cmd "the transaction was rolled back" test "$(psql -XAt -d rbsrc -c 'SELECT count(*) FROM x WHERE id = 4')" = 0
d pg.exec '{"sql": ["INSERT INTO x VALUES (4)", "INSERT INTO nope VALUES (5)"], "transaction": false}'
check_cmd "transaction: false keeps the first statement" test "$(psql -XAt -d rbsrc -c 'SELECT count(*) FROM x WHERE id = 4')" = 1
d pg.exec '{"sql": "UPDATE x SET id = id + $1 WHERE id = $2", "params": [100, 4]}'
check_jq "exec binds params" '.ok and .result.results[0].rows_affected == 1'
d --dry-run pg.exec '{"sql": "DROP TABLE x"}'
check_jq "dry-run exec only describes" '.ok and .result.dry_run and .result.would_execute == "DROP TABLE x"'
check_cmd "dry-run exec dropped nothing" test "$(psql -XAt -d rbsrc -c 'SELECT count(*) FROM x')" -ge 1
d --dry-run pg.query '{"sql": "DELETE FROM x RETURNING id"}'
check_jq "dry-run queries are read only" '.error.code == "ReadOnlyTransaction"'
d --dry-run pg.query '{"sql": "SELECT count(*) AS n FROM x"}'
check_jq "dry-run reads run" '.ok and .result.rows[0].n >= 1'

# ---- pg.assert
d pg.assert '{"sql": "SELECT count(*) FROM orders", "equals": 1000}'
check_jq "assert equals passes" '.ok and .result.actual == 1000 and .result.passed'
d pg.assert '{"sql": "SELECT count(*) FROM orders", "equals": 999, "message": "order count"}'
check_jq "assert equals fails with the actual value" '.ok == false and .error.code == "AssertionFailed" and .error.actual == 1000 and (.error.message | contains("order count")) and (.error.message | contains("1000"))'
d pg.assert '{"sql": "SELECT count(*) FROM payments", "min": 1, "max": 750}'
check_jq "assert min/max passes" '.ok and .result.actual == 750'
d pg.assert '{"sql": "SELECT count(*) FROM payments", "max": 700}'
check_jq "assert max fails" '.error.code == "AssertionFailed" and .error.actual == 750'
d pg.assert '{"sql": "SELECT id FROM orders WHERE total_amount < 0", "empty": true}'
check_jq "assert empty passes" '.ok and .result.actual == 0'
d pg.assert '{"sql": "SELECT id FROM orders WHERE id <= 3", "empty": true}'
check_jq "assert empty fails with the row count" '.error.code == "AssertionFailed" and .error.actual == 3'
d pg.assert '{"sql": "SELECT max(created_at) FROM orders WHERE created_at > $1", "params": ["2030-01-01T00:00:00Z"], "equals": null}'
check_jq "assert no rows after a restore time" '.ok and .result.actual == null'

# ---- pg.row_counts
d pg.row_counts '{}'
check_jq "row_counts of every user table" '.ok and .result.counts["public.orders"] == 1000 and .result.counts["public.order_items"] == 3000 and .result.exact'
d pg.row_counts '{"tables": ["orders", "public.customers"], "exact": false}'
check_jq "estimated row counts" '.ok and .result.counts.orders == 1000 and .result.counts["public.customers"] == 200 and .result.exact == false'
d pg.row_counts '{"tables": ["orders", "missing_table"]}'
check_jq "row_counts of a missing table fails" '.error.code == "UndefinedTable" and (.error.message | contains("missing_table"))'
d pg.row_counts '{"tables": ["orders\"; DROP TABLE x; --"]}'
check_jq "injection in a table name fails cleanly" '.ok == false and .error.code == "UndefinedTable"'
check_cmd "and dropped nothing" test "$(psql -XAt -d rbsrc -c 'SELECT count(*) FROM x')" -ge 1
d pg.row_counts '{"tables": ["a.b.c"]}'
check_jq "three-part names are refused" '.error.code == "InvalidArgument"'

# ---- pg.copy_table
d --dry-run pg.copy_table '{"table": "customers", "target": "dst", "create": true}'
check_jq "dry-run copy describes" '.ok and .result.would_copy_rows == 200 and .result.would_create and .result.target_exists == false'
check_cmd "dry-run copy created nothing" test "$(psql -XAt -d rbdst -c "SELECT to_regclass('customers') IS NULL")" = t
d pg.copy_table '{"table": "customers", "target": "dst"}'
check_jq "copy into a missing table without create fails" '.error.code == "UndefinedTable"'
for t in customers products orders order_items payments; do
	d pg.copy_table "{\"table\": \"$t\", \"source\": \"src\", \"target\": \"dst\", \"create\": true}"
	check_jq "copy_table $t (create)" ".ok and .result.created and .result.rows == $(psql -XAt -d rbsrc -c "SELECT count(*) FROM $t")"
done
d pg.copy_table '{"table": "orders", "target": "dst", "truncate": true}'
check_jq "copy again with truncate (idempotent)" '.ok and .result.rows == 1000 and .result.truncated'
check_cmd "target holds one copy" test "$(psql -XAt -d rbdst -c 'SELECT count(*) FROM orders')" = 1000
d pg.copy_table '{"table": "orders", "target": "src", "target_table": "orders_window", "create": true, "time_column": "created_at", "since": "2026-02-01T01:00:00Z", "until": "2026-02-01T02:00:00Z"}'
check_jq "copy a time range into a new table (LIKE)" '.ok and .result.rows == 9 and .result.created'
check_cmd "LIKE copied the primary key" test "$(psql -XAt -d rbsrc -c "SELECT count(*) FROM pg_index WHERE indrelid = 'orders_window'::regclass AND indisprimary")" = 1
d pg.copy_table '{"table": "orders", "target": "dst", "target_table": "orders_paid", "create": true, "where": "status = '"'"'paid'"'"'", "columns": ["id", "status", "total_amount"]}'
check_jq "copy with where and columns" '.ok and .result.rows == 250'
check_cmd "columns were copied only" test "$(psql -XAt -d rbdst -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders_paid'")" = 3
$PSQL -d rbdst -c "CREATE TABLE orders_bad (id bigint PRIMARY KEY, customer_id bigint, status int, total_amount numeric, created_at timestamptz, updated_at timestamptz); INSERT INTO orders_bad VALUES (-1, 0, 0, 0, now(), now())"
d pg.copy_table '{"table": "orders", "target": "dst", "target_table": "orders_bad", "truncate": true}'
check_jq "copy into an incompatible table fails and rolls back" '.ok == false and .error.rolled_back == true'
check_cmd "the failed copy left the target as it was" test "$(psql -XAt -d rbdst -c 'SELECT count(*) FROM orders_bad WHERE id = -1')$(psql -XAt -d rbdst -c 'SELECT count(*) FROM orders_bad')" = 11
d pg.copy_table '{"table": "orders\"; DROP TABLE x; --", "target": "dst"}'
check_jq "copy with an injected name fails cleanly" '.error.code == "UndefinedTable"'
d pg.copy_table '{"table": "orders", "target": "dst", "target_table": "orders_bin", "create": true, "format": "binary"}'
check_jq "binary copy" '.ok and .result.rows == 1000'

# ---- pg.checksum and pg.compare
d pg.checksum '{"table": "orders", "connection": "src"}'
S1=$(jq -r .result.digest <<<"$OUT")
check_jq "checksum in primary key order" '.ok and .result.rows == 1000 and .result.key == ["id"] and (.result.digest | length) == 32'
d pg.checksum '{"table": "orders", "connection": "dst"}'
check_jq "the copy has the same checksum" ".result.digest == \"$S1\""
d pg.checksum '{"table": "orders", "connection": "src", "columns": ["id", "status"], "key": ["id"]}'
check_jq "checksum of key columns differs from the full row" ".ok and .result.digest != \"$S1\" and .result.columns == [\"id\", \"status\"]"
d pg.checksum '{"table": "nope"}'
check_jq "checksum of a missing table" '.error.code == "UndefinedTable"'
d pg.compare '{"source": "src", "target": "dst", "tables": ["customers", "products", "orders", "order_items", "payments"]}'
check_jq "compare after the copy matches" '.ok and .result.match and (.result.tables.orders.source_digest == .result.tables.orders.target_digest)'
$PSQL -d rbdst -c "UPDATE orders SET status = 'lost' WHERE id = 17"
d pg.compare '{"source": "src", "target": "dst", "tables": ["customers", "orders"]}'
check_jq "compare finds a changed row with equal counts" '.ok and .result.match == false and .result.mismatches == ["orders"] and .result.tables.orders.source_rows == .result.tables.orders.target_rows'
d pg.compare '{"source": "src", "target": "dst", "tables": ["orders"], "fail_on_mismatch": true}'
check_jq "compare can fail the step" '.ok == false and .error.code == "Mismatch"'
d pg.compare '{"source": "src", "target": "dst", "tables": ["orders_window"], "checksum": false}'
check_jq "compare reports a table missing on one side" '.result.tables.orders_window.target_exists == false and .result.match == false'

# ---- pg.integrity
d pg.integrity '{"connection": "dst", "schemas": ["public"]}'
check_jq "integrity of a clean copy (no foreign keys in copies)" '.ok and .result.ok'
d pg.integrity '{"connection": "src"}'
check_jq "integrity finds every foreign key" '.ok and .result.ok and (.result.foreign_keys | length) == 4 and (.result.foreign_keys | map(.orphans) | add) == 0'
check_jq "integrity lists tables without a primary key" '.result.tables_without_primary_key == ["public.x"]'
$PSQL -d rbsrc -c "ALTER TABLE order_items DISABLE TRIGGER ALL; INSERT INTO order_items VALUES (999999, 1, 1, 1, 1), (999999, 2, 1, 1, 1); ALTER TABLE order_items ENABLE TRIGGER ALL"
d pg.integrity '{"connection": "src"}'
check_jq "integrity counts orphans and fails" '.ok == false and .error.code == "IntegrityViolation" and (.error.details.foreign_keys[] | select(.table == "public.order_items" and .references == "public.orders") | .orphans) == 2'
d pg.integrity '{"connection": "src", "fail": false, "rules": [{"name": "negative totals", "sql": "SELECT count(*) FROM orders WHERE total_amount < 0"}, {"name": "future orders", "sql": "SELECT count(*) FROM orders WHERE created_at > now() + interval '"'"'10 years'"'"'"}]}'
check_jq "integrity with rules, not failing" '.ok and .result.ok == false and .result.problems == 2 and (.result.rules | map(.value)) == [0, 0]'
$PSQL -d rbsrc -c "DELETE FROM order_items WHERE order_id = 999999"

# ---- pg.terminate_connections
psql -X -d rbdst -c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
SLEEPER=$!
for _ in $(seq 50); do
	[ "$(psql -XAt -d rbsrc -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'rbdst' AND query LIKE 'SELECT pg_sleep%'")" = 1 ] && break
	sleep 0.1
done
d --dry-run pg.terminate_connections '{"connection": "src", "database": "rbdst"}'
check_jq "dry-run terminate lists sessions" '.ok and .result.dry_run and .result.count == 1 and .result.would_terminate[0].state == "active"'
check_cmd "dry-run terminate ended nothing" kill -0 $SLEEPER
d pg.terminate_connections '{"connection": "src", "database": "rbdst"}'
check_jq "terminate ends the other sessions" '.ok and .result.count == 1 and .result.terminated[0].terminated == true'
wait $SLEEPER
check_cmd "the session is gone" test "$(psql -XAt -d rbsrc -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'rbdst'")" = 0
d pg.terminate_connections '{"connection": "src"}'
check_jq "terminate never ends its own session" '.ok and ([.result.terminated[] | select(.application == "runbook")] | length) == 0'

tap_done
