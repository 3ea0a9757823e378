#!/usr/bin/env bash
# pg_multihost.sh DBDRV — issue 13: libpq's multiple hosts (host=a,b port=1,2, a URI,
# PGHOST/PGPORT lists) with connect_timeout per host, as libpq's own blocking connect
# applies it: a first host that never accepts (blackhole.py: a loopback port whose
# accept queue is full) is given up after connect_timeout, and the connection is made
# to the second, the real PostgreSQL of servers.sh. Only lower bounds are timed (it did
# wait for the first host), plus an upper bound far above it (no fixed 10 s per host,
# no wait for the step's deadline).
set -u
DRV=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
tap_tmpdir rb-pgmh
"$HERE/blackhole.py" 120 >"$T/bh1" &
tap_cleanup kill $!
"$HERE/blackhole.py" 120 >"$T/bh2" &
tap_cleanup kill $!
for _ in $(seq 50); do [ -s "$T/bh1" ] && [ -s "$T/bh2" ] && break; sleep 0.1; done
B1=$(cat "$T/bh1") B2=$(cat "$T/bh2")
[ -n "$B1" ] && [ -n "$B2" ] || bail_out "blackhole.py gave no port"
H=${RB_PG_TCP_HOST:-127.0.0.1}

# query NAME CONNINFO [ENV...]: pg.query SELECT through connection "mh"; sets OUT, RC, MS
query() {
	local ci=$2 c t0
	shift 2
	c=$(jq -cn --arg ci "$ci" '{pg: {mh: {conninfo: $ci}}}')
	t0=$(ms_now)
	OUT=$(env "$@" "$DRV" --connections "$c" --deadline-ms 60000 pg.query \
		'{"sql": "SELECT inet_server_port() AS port", "connection": "mh"}' 2>"$DRV_ERR")
	RC=$?
	MS=$(( $(ms_now) - t0 ))
	[ -n "$OUT" ] || { OUT='{"ok":null}'; cat "$DRV_ERR" >&2; }
}
# reached NAME: connected to the real server after waiting out the first host (2 s)
reached() {
	check_jq "$1: connected to the second host" ".ok and .result.rows[0].port == $PGPORT"
	if [ "$MS" -ge 1900 ] && [ "$MS" -lt 9000 ]; then
		ok "$1: after the first host's connect_timeout ($MS ms)"
	else
		not_ok "$1: after the first host's connect_timeout ($MS ms, want 2 s to 9 s)"
	fi
}

query "conninfo" "host=$H,$H port=$B1,$PGPORT dbname=postgres sslmode=disable connect_timeout=2"
reached "host=a,b port=1,2"
query "uri" "postgresql://$H:$B1,$H:$PGPORT/postgres?sslmode=disable&connect_timeout=2"
reached "a URI with two hosts"
query "env" "dbname=postgres sslmode=disable" PGHOST="$H,$H" PGPORT="$B1,$PGPORT" PGCONNECT_TIMEOUT=2
reached "PGHOST and PGPORT lists, PGCONNECT_TIMEOUT"
# three hosts: two blackholes, each given its own 2 s
query "two-bh" "host=$H,$H,$H port=$B1,$B2,$PGPORT dbname=postgres sslmode=disable connect_timeout=2"
check_jq "two silent hosts, then the server: connected" ".ok and .result.rows[0].port == $PGPORT"
check_cmd "each silent host had its own 2 s ($MS ms)" test "$MS" -ge 3900 -a "$MS" -lt 15000
# none answers: a ConnectTimeout that names each host's wait
query "none" "host=$H,$H port=$B1,$B2 dbname=postgres sslmode=disable connect_timeout=1"
check_jq "no host answers: ConnectTimeout" '.ok == false and .error.code == "ConnectTimeout" and .error.transient'
check_jq "the message names both hosts' waits" "(.error.message | test(\"no connection within [0-9]+ ms \\\\(host $H, port $B1\\\\); no connection within [0-9]+ ms \\\\(host $H, port $B2\\\\)\"))"
check_cmd "after 1 s each ($MS ms)" test "$MS" -ge 1900
# a single host is as before: its connect_timeout, then ConnectTimeout
query "one" "host=$H port=$B1 dbname=postgres sslmode=disable connect_timeout=1"
check_jq "one silent host: ConnectTimeout" '.error.code == "ConnectTimeout"'
# a host that refuses is libpq's to skip (no wait)
query "refused" "host=$H,$H port=1,$PGPORT dbname=postgres sslmode=disable connect_timeout=5"
check_jq "a refusing first host: connected to the second" ".ok and .result.rows[0].port == $PGPORT"
check_cmd "without waiting for connect_timeout ($MS ms)" test "$MS" -lt 4000
# the step's deadline still bounds it all
c=$(jq -cn --arg ci "host=$H,$H port=$B1,$B2 dbname=postgres sslmode=disable connect_timeout=5" '{pg: {mh: {conninfo: $ci}}}')
OUT=$("$DRV" --connections "$c" --deadline-ms 1500 pg.query '{"sql": "SELECT 1", "connection": "mh"}' 2>"$DRV_ERR")
check_jq "the step's deadline ends the attempts" '.error.code == "ConnectTimeout" and (.error.message | test("port '"$B2"'") | not)'
tap_done
