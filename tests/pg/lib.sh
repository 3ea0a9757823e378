# lib.sh — helpers for the pg/redis integration scripts (sourced), on tests/lib/tap.sh
# (TAP on stdout). Run under tests/integration/servers.sh, which exports PGHOST, PGPORT,
# REDIS_PORT, ...
#   drv ARGS...               run the driver; sets OUT (its JSON) and RC (exit status)
#   check_jq NAME JQ-EXPR     JQ-EXPR must be true of OUT
#   check_cmd NAME CMD...     CMD must succeed (tap.sh)
#   tap_cleanup kill PID      stop a helper server at exit (tap.sh)
#   tap_done                  the plan; exit 1 if anything failed (tap.sh)
DRV=${DRV:?DRV must name the dbdrv binary}
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
DRV_ERR=$(mktemp "${TMPDIR:-/tmp}/dbdrv.XXXXXX") || bail_out "mktemp failed"
tap_cleanup rm -f "$DRV_ERR"

drv() {
	OUT=$("$DRV" "$@" 2>"$DRV_ERR")
	RC=$?
	if [ -z "$OUT" ]; then
		OUT='{"ok":null}'
		cat "$DRV_ERR" >&2
	fi
}

check_jq() {
	if printf '%s' "$OUT" | jq -e "$2" >/dev/null 2>&1; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected: $2" "got (rc $RC): $(printf '%s' "$OUT" | cut -c1-1500)"
	fi
}

ms_now() { date +%s%3N; }
