#!/usr/bin/env bash
# pg_cancel.sh DBDRV [N] — a query past the step's deadline is cancelled cleanly, every
# time (issue 8: it aborted now and then under the sanitizer build with a leak from the
# cancel path). Through split_proxy.py the cancel's error result always arrives before
# its ReadyForQuery (the interleaving that broke it); then N plain runs (default 20) in a
# row. Each run must print its JSON and exit 1 (the action failed) with no sanitizer
# report, naming the step's deadline.
set -u
DRV=$1
N=${2:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
createdb rbcancel || bail_out "setup failed"
"$HERE/split_proxy.py" "$PGPORT" 300 >"$RB_SERVERS_DIR/split.port" &
SPID=$!
tap_cleanup kill "$SPID"
for _ in $(seq 50); do [ -s "$RB_SERVERS_DIR/split.port" ] && break; sleep 0.1; done
SP=$(cat "$RB_SERVERS_DIR/split.port")
C=$(jq -cn --arg h "$PGHOST" --arg p "$PGPORT" --arg sp "$SP" '{pg: {
  sock: {conninfo: "host=\($h) port=\($p) dbname=rbcancel"},
  split: {conninfo: "host=127.0.0.1 port=\($sp) dbname=rbcancel sslmode=disable"}
}}')
ERR=$RB_SERVERS_DIR/dbdrv.err

# once: one run, then the exit status, the JSON and the sanitizer's silence
once() {
	local name=$1 conn=$2
	OUT=$("$DRV" --connections "$C" --deadline-ms 800 pg.query \
		"{\"sql\": \"SELECT pg_sleep(20)\", \"connection\": \"$conn\"}" 2>"$ERR")
	RC=$?
	[ -n "$OUT" ] || OUT='{"ok":null}'
	check_jq "$name: cancelled at the step's deadline" \
		'.ok == false and .error.code == "Timeout" and (.error.message | contains("cancelled at the step'"'"'s deadline"))'
	check_cmd "$name: exit 1, no sanitizer report" test "$RC" = 1 -a ! -s "$ERR"
	[ -s "$ERR" ] && head -20 "$ERR"
}

for i in 1 2 3; do
	once "error and ReadyForQuery apart, run $i" split
done
for i in $(seq "$N"); do
	once "run $i of $N" sock
done
check_cmd "no query left sleeping on the server" \
	test "$(psql -XAt -d rbcancel -c "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(20)%'")" = 0
tap_done
