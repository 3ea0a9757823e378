#!/usr/bin/env bash
# pg_connect_timeout.sh DBDRV — connect_timeout is libpq's: from the conninfo, a URI, a
# service file or PGCONNECT_TIMEOUT, instead of our fixed 10 s. Against a loopback port
# that never accepts (blackhole.py), each way gives up after about 1 s; the message
# names the elapsed time, so a 10 s wait fails the check whatever the machine's load.
set -u
DRV=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"
tap_tmpdir rb-pgct
"$HERE/blackhole.py" 60 >"$T/port" &
BH=$!
tap_cleanup kill "$BH"
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
P=$(cat "$T/port")
[ -n "$P" ] || bail_out "blackhole.py gave no port"

# gave_up NAME CONNINFO [ENV...]: the connection fails with ConnectTimeout after 1-9 s
gave_up() {
	local name=$1 ci=$2
	shift 2
	local c
	c=$(jq -cn --arg ci "$ci" '{pg: {bh: {conninfo: $ci}}}')
	env "$@" "$DRV" --connections "$c" --deadline-ms 30000 pg.query \
		'{"sql": "SELECT 1", "connection": "bh"}' >"$T/out" 2>"$T/err"
	local ms
	ms=$(jq -r 'select(.error.code == "ConnectTimeout") | .error.message
		| capture("within (?<ms>[0-9]+) ms").ms' "$T/out" 2>/dev/null)
	if [ -n "$ms" ] && [ "$ms" -ge 900 ] && [ "$ms" -lt 9000 ]; then
		ok "$name: gave up after $ms ms"
	else
		bad "$name: ConnectTimeout after about 1 s" "$T/out"
		diag_out "$T/err"
	fi
}

gave_up "connect_timeout in the conninfo" "host=127.0.0.1 port=$P sslmode=disable connect_timeout=1"
gave_up "connect_timeout in a URI" "postgresql://127.0.0.1:$P/x?sslmode=disable&connect_timeout=1"
gave_up "PGCONNECT_TIMEOUT" "host=127.0.0.1 port=$P sslmode=disable" PGCONNECT_TIMEOUT=1
printf '[bh]\nhost=127.0.0.1\nport=%s\nsslmode=disable\nconnect_timeout=1\n' "$P" >"$T/pg_service.conf"
gave_up "connect_timeout in a service file" "service=bh" PGSERVICEFILE="$T/pg_service.conf"
tap_done
