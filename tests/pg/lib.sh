# lib.sh — helpers for the pg/redis integration scripts (sourced). Run under
# tests/integration/servers.sh, which exports PGHOST, PGPORT, REDIS_PORT, ...
#   drv ARGS...           run the driver; sets OUT (its JSON) and RC (exit status)
#   check NAME JQ-EXPR    JQ-EXPR must be true of OUT
#   check_sh NAME CMD...  CMD must succeed
#   finish                exit 1 if anything failed
DRV=${DRV:?DRV must name the dbdrv binary}
FAILS=0
PASSES=0

drv() {
	OUT=$("$DRV" "$@" 2>"${TMPDIR:-/tmp}/dbdrv.$$.err")
	RC=$?
	if [ -z "$OUT" ]; then
		OUT='{"ok":null}'
		cat "${TMPDIR:-/tmp}/dbdrv.$$.err" >&2
	fi
}

check() {
	if printf '%s' "$OUT" | jq -e "$2" >/dev/null 2>&1; then
		PASSES=$((PASSES + 1))
		echo "ok - $1"
	else
		FAILS=$((FAILS + 1))
		echo "FAIL - $1"
		echo "   expected: $2"
		echo "   got (rc $RC): $(printf '%s' "$OUT" | cut -c1-1500)"
	fi
}

check_sh() {
	local name=$1
	shift
	if "$@"; then
		PASSES=$((PASSES + 1))
		echo "ok - $name"
	else
		FAILS=$((FAILS + 1))
		echo "FAIL - $name: $*"
	fi
}

finish() {
	rm -f "${TMPDIR:-/tmp}/dbdrv.$$.err"
	echo "# $PASSES passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}

ms_now() { date +%s%3N; }
