#!/usr/bin/env bash
# redis_actions.sh DBDRV — every redis action against real redis-servers (servers.sh plus
# a TLS one and a slow-loading one started here), bad input included: wrong password,
# unreachable host, unknown commands, LOADING after a restart, certificate checks.
set -u
DRV=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
R="redis-cli -h 127.0.0.1 -p $REDIS_PORT"
W=$RB_SERVERS_DIR/redis-extra
mkdir -p "$W"
EXTRA_PIDS=()
cleanup() { for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
tap_cleanup cleanup
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

"$HERE/blackhole.py" 300 >"$W/blackhole.port" &
EXTRA_PIDS+=($!)
for _ in $(seq 50); do [ -s "$W/blackhole.port" ] && break; sleep 0.1; done
BP=$(cat "$W/blackhole.port")
SECRET=rb-secret-$RANDOM$RANDOM
BADPW=wrong-redis-pw-4711
$R ACL SETUSER rbuser on ">$SECRET" '~*' '&*' '+@all' >/dev/null || bail_out "setup failed"
C=$(jq -cn --arg p "$REDIS_PORT" --arg s "$SECRET" --arg bad "$BADPW" --arg bp "$BP" '{redis: {
  default: {host: "127.0.0.1", port: ($p | tonumber)},
  db1: {host: "127.0.0.1", port: ($p | tonumber), db: 1},
  db2: {host: "127.0.0.1", port: ($p | tonumber), db: 2},
  acl: {host: "127.0.0.1", port: ($p | tonumber), username: "rbuser", password: $s},
  badpw: {host: "127.0.0.1", port: ($p | tonumber), username: "rbuser", password: $bad},
  refused: {host: "127.0.0.1", port: 1},
  blackhole: {host: "127.0.0.1", port: ($bp | tonumber), connect_timeout: "2s"}
}, pg: {shop: {conninfo: "dbname=rbshop"}}}')
d() { drv --connections "$C" "$@"; }

# ---- ping, dbsize, info
d redis.ping '{}'
check_jq "ping" '.ok and .result.pong == "PONG"'
$R -n 0 SET seed:1 a >/dev/null; $R -n 0 SET seed:2 b EX 100 >/dev/null
d redis.dbsize '{}'
check_jq "dbsize" '.ok and .result.keys == 2'
d redis.info '{}'
check_jq "info parsed by section" '.ok and .result.server.redis_version == "7.0.15" and (.result.server.tcp_port == '"$REDIS_PORT"') and .result.keyspace.db0.keys == 2 and .result.keyspace.db0.expires == 1'
d redis.info '{"section": "memory"}'
check_jq "info of one section" '.ok and (.result | keys) == ["memory"] and (.result.memory.used_memory | type) == "number"'

# ---- warm from PostgreSQL rows (the seed's product cache), count, sample
createdb rbshop && psql -X -q -d rbshop -f "$HERE/ecommerce.sql" >/dev/null || bail_out "setup failed"
ROWS=$("$DRV" --connections '{"pg": {"default": {"conninfo": "dbname=rbshop"}}}' pg.query '{"sql": "SELECT id, name, price, attributes FROM products ORDER BY id"}' | jq -c .result.rows)
check_cmd "pg.query gave 50 products" test "$(jq length <<<"$ROWS")" = 50
d redis.warm "$(jq -cn --argjson rows "$ROWS" '{rows: $rows, key: "product:{id}", value: "{\"name\":\"{name}\",\"price\":{price}}", ttl: "1h", batch: 7}')"
check_jq "warm 50 products with a value template" '.ok and .result.keys_written == 50 and .result.round_trips == 8'
check_cmd "a warmed value is what the seed wrote" test "$($R GET product:3)" = '{"name":"Product 3","price":3.99}'
TTL=$($R TTL product:3)
check_cmd "warmed keys carry the TTL" test "$TTL" -gt 3500 -a "$TTL" -le 3600
d redis.warm "$(jq -cn --argjson rows "$ROWS" '{rows: $rows, key: "p:{id}", type: "hash", fields: ["name", "price", "attributes"]}')"
check_jq "warm hashes" '.ok and .result.keys_written == 50'
check_cmd "hash fields (maps as JSON)" test "$($R HGET p:4 attributes)" = '{"color":"green","weight":4}'
check_cmd "hash without TTL" test "$($R TTL p:4)" = -1
d redis.warm "$(jq -cn --argjson rows "$ROWS" '{rows: $rows, key: "j:{id}"}')"
check_cmd "the default value is the row as JSON" test "$($R GET j:1 | jq -c .)" = '{"id":1,"name":"Product 1","price":1.99,"attributes":{"color":"green","weight":1}}'
d redis.warm '{"rows": [{"id": 1}], "key": "bad:{idd}"}'
check_jq "a template naming a missing field fails" '.ok == false and (.error.message | contains("idd"))'
check_cmd "and wrote nothing" test "$($R EXISTS bad:1)" = 0
d --dry-run redis.warm "$(jq -cn --argjson rows "$ROWS" '{rows: $rows, key: "dry:{id}"}')"
check_jq "dry-run warm describes" '.ok and .result.dry_run and .result.would_write == 50 and .result.sample_keys[0] == "dry:1"'
check_cmd "dry-run warm wrote nothing" test "$($R --scan --pattern 'dry:*' | wc -l)" = 0
d redis.warm '{"sql": "SELECT id, name FROM products WHERE id <= $1 ORDER BY id", "params": [20], "pg_connection": "shop", "key": "sq:{id}", "value": "{name}", "batch": 3}'
check_jq "warm streamed from a PostgreSQL query" '.ok and .result.keys_written == 20 and .result.round_trips == 7'
check_cmd "a streamed value" test "$($R GET sq:20)" = "Product 20"
d --dry-run redis.warm '{"sql": "SELECT id FROM products", "pg_connection": "shop", "key": "sq2:{id}"}'
check_jq "dry-run streamed warm counts and renders" '.ok and .result.would_write == 50 and .result.sample_keys == ["sq2:1", "sq2:2", "sq2:3", "sq2:4", "sq2:5"]'
check_cmd "dry-run streamed warm wrote nothing" test "$($R EXISTS sq2:1)" = 0
d redis.warm '{"sql": "SELECT id FROM products ORDER BY id", "pg_connection": "shop", "key": "sq3:{id}", "value": "{price}", "batch": 10}'
check_jq "a template naming a column the query lacks fails" '.ok == false and (.error.message | contains("price"))'
d redis.warm '{"sql": "SELECT 1", "rows": [], "key": "x"}'
check_jq "rows and sql together are refused" '.error.code == "InvalidArgument"'
d redis.warm '{"sql": "SELECT * FROM missing_table", "pg_connection": "shop", "key": "x:{id}"}'
check_jq "a failing query fails the warm-up" '.error.code == "UndefinedTable"'
d redis.count '{"pattern": "product:*"}'
check_jq "count by SCAN" '.ok and .result.count == 50 and .result.round_trips >= 1'
d redis.count '{"pattern": "p:*", "type": "hash", "count": 10}'
check_jq "count by SCAN with TYPE" '.ok and .result.count == 50 and .result.round_trips > 1'
d redis.count '{"pattern": "p:*", "type": "string"}'
check_jq "count by TYPE excludes others" '.ok and .result.count == 0'
d redis.sample '{"n": 20}'
check_jq "sample: random keys with type and TTL" '.ok and (.result.keys | length) > 0 and (.result.keys | all(.type == "string" or .type == "hash")) and ([.result.keys[] | select(.key | startswith("product:")) | .ttl_ms > 0] | all) and .result.dbsize == 172'

# ---- command
d redis.command '{"argv": ["HGET", "p:7", "name"], "read_only": true}'
check_jq "read-only command" '.ok and .result.reply == "Product 7"'
d redis.command '{"argv": ["SET", "counter", 41]}'
check_jq "numbers in argv are text" '.ok and .result.reply == "OK"'
d redis.command '{"argv": ["INCR", "counter"]}'
check_jq "integer reply" '.result.reply == 42'
d redis.command '{"argv": ["LPUSH", "lst", "a", "b"]}'
d redis.command '{"argv": ["LRANGE", "lst", 0, -1], "read_only": true}'
check_jq "array reply" '.result.reply == ["b", "a"]'
d redis.command '{"argv": ["GET", "no-such-key"], "read_only": true}'
check_jq "nil reply" '.ok and .result.reply == null'
d redis.command '{"argv": ["INCR", "lst"]}'
check_jq "error reply fails the action" '.ok == false and .error.code == "RedisError" and (.error.message | contains("WRONGTYPE"))'
d redis.command '{"argv": ["NOSUCHCMD", "x"]}'
check_jq "unknown command" '.ok == false and (.error.message | contains("unknown command"))'
d --dry-run redis.command '{"argv": ["DEL", "counter"]}'
check_jq "dry-run mutating command describes" '.ok and .result.dry_run and .result.would_run == ["DEL", "counter"] and (.result.command_flags | index("write"))'
check_cmd "dry-run deleted nothing" test "$($R GET counter)" = 42
d --dry-run redis.command '{"argv": ["GET", "counter"], "read_only": true}'
check_jq "dry-run read-only command runs" '.ok and .result.reply == "42"'
d --dry-run redis.command '{"argv": ["FLUSHEVERYTHING"]}'
check_jq "dry-run catches an unknown command" '.error.code == "UnknownCommand"'

# ---- databases, compare
d redis.warm '{"rows": [{"k": "a"}, {"k": "b"}, {"k": "c"}], "key": "s:{k}", "connection": "db1"}'
d redis.warm '{"rows": [{"k": "a"}, {"k": "b"}, {"k": "c"}], "key": "s:{k}", "connection": "db2"}'
d redis.dbsize '{"connection": "db1"}'
check_jq "db selects the database" '.result.keys == 3'
d redis.compare '{"source": "db1", "target": "db2", "patterns": ["s:*", "x:*"]}'
check_jq "compare equal instances" '.ok and .result.match and .result.patterns["s:*"] == {source: 3, target: 3, match: true} and .result.dbsize == {source: 3, target: 3}'
$R -n 2 DEL s:c >/dev/null
d redis.compare '{"source": "db1", "target": "db2", "patterns": ["s:*"]}'
check_jq "compare finds a difference" '.ok and .result.match == false and .result.mismatches == ["s:*"]'
d redis.compare '{"source": "db1", "target": "db2", "patterns": ["s:*"], "tolerance": 0.5}'
check_jq "compare within tolerance" '.ok and .result.match'
d redis.compare '{"source": "db1", "target": "db2", "patterns": ["s:*"], "fail_on_mismatch": true}'
check_jq "compare can fail the step" '.ok == false and .error.code == "Mismatch"'

# ---- bgsave
d redis.bgsave '{"interval": "200ms"}'
check_jq "bgsave waits for the snapshot" '.ok and .result.lastsave >= .result.lastsave_before'
check_cmd "the snapshot exists" test -s "$RB_SERVERS_DIR/dump.rdb"
d redis.bgsave '{"interval": "200ms"}'
check_jq "a second bgsave in the same second also waits for its own save" '.ok'
d --dry-run redis.bgsave '{}'
check_jq "dry-run bgsave describes" '.ok and .result.dry_run and .result.would_run == "BGSAVE"'

# ---- authentication, reachability
d redis.ping '{"connection": "acl"}'
check_jq "ACL user with password" '.ok and .redactions >= 1'
d redis.ping '{"connection": "badpw"}'
check_jq "wrong password fails clearly" '.ok == false and .error.code == "AuthenticationFailed"'
check_cmd "wrong password never printed" bash -c "! grep -q '$BADPW' <<<'$OUT'"
d redis.info '{"connection": "acl"}'
check_cmd "the password is not in the output" bash -c "! grep -q '$SECRET' <<<'$OUT'"
d redis.ping '{"connection": "refused"}'
check_jq "refused port" '.ok == false and .error.code == "ConnectionFailed" and (.error.message | contains("refused"))'
t0=$(ms_now); d redis.ping '{"connection": "blackhole"}'; t1=$(ms_now)
check_jq "unreachable host fails clearly" '.ok == false and .error.code == "ConnectTimeout" and (.error.message | contains("2000 ms"))'
check_cmd "unreachable host: bounded wait" test $((t1 - t0)) -ge 1900 -a $((t1 - t0)) -lt 4000
t0=$(ms_now); d redis.wait_ready '{"connection": "refused", "timeout": "2s", "interval": "300ms"}'; t1=$(ms_now)
check_jq "wait_ready times out" '.error.code == "Timeout" and (.error.message | contains("refused"))'
check_cmd "wait_ready bounded" test $((t1 - t0)) -lt 4000
d redis.ping '{"connection": "nope"}'
check_jq "unknown connection" '.error.code == "UnknownConnection"'
t0=$(ms_now); d --deadline-ms 700 redis.command '{"argv": ["BLPOP", "never", 30], "read_only": true}'; t1=$(ms_now)
check_jq "a blocked command stops at the step deadline" '.error.code == "Timeout"'
check_cmd "deadline honoured" test $((t1 - t0)) -lt 2500
t0=$(ms_now); d --cancel-after-ms 500 redis.command '{"argv": ["BLPOP", "never", 30], "read_only": true}'; t1=$(ms_now)
check_jq "Ctrl-C cancels a blocked command" '.error.code == "Cancelled"'
check_cmd "cancel honoured" test $((t1 - t0)) -lt 2500

# ---- LOADING: a restarted server loading a dataset slowly (requirepass = AUTH without user)
LP=$(free_port)
LPASS=rb-load-$RANDOM$RANDOM
mkdir -p "$W/load"
redis-server --port "$LP" --bind 127.0.0.1 --save '' --dir "$W/load" --daemonize yes --pidfile "$W/load/pid" --logfile "$W/load/log" --requirepass "$LPASS" >/dev/null
for _ in $(seq 50); do redis-cli -p "$LP" -a "$LPASS" --no-auth-warning ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
EXTRA_PIDS+=("$(cat "$W/load/pid")")
LC=$(jq -cn --arg p "$LP" --arg pw "$LPASS" '{redis: {default: {host: "127.0.0.1", port: ($p | tonumber), password: $pw}}}')
drv --connections "$LC" redis.warm "$(jq -cn '{rows: [range(3000) | {id: .}], key: "k:{id}", value: "v{id}", batch: 500}')"
check_jq "warm 3000 keys (AUTH with requirepass)" '.ok and .result.keys_written == 3000'
redis-cli -p "$LP" -a "$LPASS" --no-auth-warning SAVE >/dev/null
redis-cli -p "$LP" -a "$LPASS" --no-auth-warning SHUTDOWN NOSAVE >/dev/null 2>&1
sleep 0.3
# not daemonized: a daemonized redis-server returns only once loading is done. Small
# event intervals make it answer (LOADING) while it loads, as a big dataset would.
redis-server --port "$LP" --bind 127.0.0.1 --save '' --dir "$W/load" --logfile "$W/load/log" --requirepass "$LPASS" \
	--key-load-delay 700 --loading-process-events-interval-bytes 1024 &
EXTRA_PIDS+=($!)
sleep 0.2
SAW=$(redis-cli -p "$LP" -a "$LPASS" --no-auth-warning ping 2>&1)
drv --connections "$LC" redis.wait_ready '{"interval": "200ms", "timeout": "60s"}'
check_jq "wait_ready waits out LOADING" '.ok and .result.ready and .result.attempts > 1'
check_cmd "the server was really loading (PING said: $SAW)" grep -q LOADING <<<"$SAW"
drv --connections "$LC" redis.dbsize '{}'
check_jq "the whole dataset is there when ready" '.result.keys == 3000'

# ---- TLS (ElastiCache in-transit encryption) through OpenSSL
T=$W/tls
mkdir -p "$T"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" -days 2 -subj "/CN=rb-test-ca" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -out "$T/srv.crt" -days 2 -extfile "$T/ext" 2>/dev/null
TP=$(free_port)
redis-server --port 0 --tls-port "$TP" --bind 127.0.0.1 --tls-cert-file "$T/srv.crt" --tls-key-file "$T/srv.key" \
	--tls-ca-cert-file "$T/ca.crt" --tls-auth-clients no --save '' --dir "$T" --daemonize yes --pidfile "$T/pid" --logfile "$T/log" >/dev/null
for _ in $(seq 50); do redis-cli --tls --cacert "$T/ca.crt" -p "$TP" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
EXTRA_PIDS+=("$(cat "$T/pid")")
TC=$(jq -cn --arg p "$TP" --arg ca "$T/ca.crt" '{redis: {
  tls: {host: "127.0.0.1", port: ($p | tonumber), tls: true, tls_ca: $ca},
  tlsname: {host: "127.0.0.1", port: ($p | tonumber), tls: true, tls_ca: $ca, tls_server_name: "localhost"},
  wrongname: {host: "127.0.0.1", port: ($p | tonumber), tls: true, tls_ca: $ca, tls_server_name: "cache.example.com"},
  untrusted: {host: "127.0.0.1", port: ($p | tonumber), tls: true},
  insecure: {host: "127.0.0.1", port: ($p | tonumber), tls: true, tls_insecure: true},
  plain: {host: "127.0.0.1", port: ($p | tonumber)}
}}')
drv --connections "$TC" redis.ping '{"connection": "tls"}'
check_jq "TLS with a CA bundle (IP SAN checked)" '.ok and .result.pong == "PONG"'
drv --connections "$TC" redis.warm "$(jq -cn '{rows: [range(2000) | {id: .}], key: "t:{id}", batch: 300, connection: "tlsname"}')"
check_jq "pipelined writes over TLS (SNI and DNS name checked)" '.ok and .result.keys_written == 2000'
drv --connections "$TC" redis.count '{"pattern": "t:*", "connection": "tls"}'
check_jq "SCAN over TLS" '.result.count == 2000'
drv --connections "$TC" redis.ping '{"connection": "wrongname"}'
check_jq "TLS refuses a certificate for another name" '.ok == false and .error.code == "TlsError"'
drv --connections "$TC" redis.ping '{"connection": "untrusted"}'
check_jq "TLS refuses an untrusted certificate" '.ok == false and .error.code == "TlsError" and (.error.message | contains("certificate"))'
drv --connections "$TC" redis.ping '{"connection": "insecure"}'
check_jq "tls_insecure skips verification" '.ok'
check_cmd "tls_insecure is warned about (a log event)" \
	grep -q "redis (connection 'insecure', 127.0.0.1:$TP): tls_insecure: the server's certificate is not checked" "$DRV_ERR"
drv --connections "$TC" redis.compare '{"source": "insecure", "target": "insecure"}'
check_cmd "warn once: one warning for two tls_insecure connections" \
	test "$(grep -c 'tls_insecure: the server' "$DRV_ERR")" = 1
drv --connections "$TC" redis.ping '{"connection": "tls"}'
check_cmd "no warning when the certificate is checked" \
	test "$(grep -c 'tls_insecure' "$DRV_ERR")" = 0
drv --connections "$TC" --deadline-ms 3000 redis.ping '{"connection": "plain"}'
check_jq "plain text to a TLS port fails within the deadline" '.ok == false'

tap_done
