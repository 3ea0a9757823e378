#!/usr/bin/env bash
# pg_tls.sh DBDRV — issue 8, TLS: a PostgreSQL connection without TLS to a host that is
# not this machine is warned about, once per connection (a log event: dbdrv prints it on
# stderr); loopback and Unix-socket connections are not. Redis tls_insecure is covered
# in redis_actions.sh. The "remote" server is split_proxy.py on a non-loopback address
# of this machine (skipped when it has none).
set -u
DRV=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
createdb rbtls || bail_out "setup failed"
IP=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("192.0.2.1", 9)); print(s.getsockname()[0])' 2>/dev/null)
case $IP in ""|127.*) IP=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -v '^127\.' | grep -v ':' | head -n 1) ;; esac
WARN="no TLS to"
ERR=$RB_SERVERS_DIR/dbdrv.err
warnings() { grep -c "$WARN" "$ERR"; }

C=$(jq -cn --arg h "$PGHOST" --arg p "$PGPORT" '{pg: {
  sock: {conninfo: "host=\($h) port=\($p) dbname=rbtls"},
  lo: {conninfo: "host=127.0.0.1 port=\($p) dbname=rbtls sslmode=disable"},
  lo2: {conninfo: "host=localhost port=\($p) dbname=rbtls sslmode=disable"}
}}')
OUT=$("$DRV" --connections "$C" pg.compare '{"source": "sock", "target": "lo", "checksum": false}' 2>"$ERR")
check_jq "loopback and socket connections work" '.ok'
check_cmd "no warning for a Unix socket or 127.0.0.1" test "$(warnings)" = 0
OUT=$("$DRV" --connections "$C" pg.query '{"sql": "SELECT 1 AS one", "connection": "lo2"}' 2>"$ERR")
check_cmd "no warning for localhost" test "$(warnings)" = 0

if [ -z "$IP" ]; then
	skip "a connection to another machine is warned about" "no non-loopback address on this machine"
	tap_done
fi
"$HERE/split_proxy.py" "$PGPORT" 0 "$IP" >"$RB_SERVERS_DIR/remote.port" &
SPID=$!
tap_cleanup kill "$SPID"
for _ in $(seq 50); do [ -s "$RB_SERVERS_DIR/remote.port" ] && break; sleep 0.1; done
RP=$(cat "$RB_SERVERS_DIR/remote.port")
C=$(jq -cn --arg ip "$IP" --arg p "$RP" '{pg: {remote: {conninfo: "host=\($ip) port=\($p) dbname=rbtls sslmode=disable"}}}')
OUT=$("$DRV" --connections "$C" pg.query '{"sql": "SELECT 1 AS one", "connection": "remote"}' 2>"$ERR")
check_jq "a connection to $IP without TLS works" '.ok and .result.rows[0].one == 1'
check_cmd "and is warned about" test "$(warnings)" = 1
check_cmd "the warning names the connection and the fix" \
	grep -q "postgres (connection 'remote'): no TLS to $IP:$RP, not this machine: .*sslmode=verify-full" "$ERR"
OUT=$("$DRV" --connections "$C" pg.compare '{"source": "remote", "target": "remote", "checksum": false}' 2>"$ERR")
check_jq "two connections of one action" '.ok'
check_cmd "warn once: one warning for two connections to the same server" test "$(warnings)" = 1
tap_done
