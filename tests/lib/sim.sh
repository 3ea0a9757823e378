# tests/lib/sim.sh — `runbook sim serve` for the shell tests (sourced after tap.sh, with
# RUNBOOK the binary and TMP a temp dir set): one simulator at a time, on an ephemeral
# loopback port, with a request log.
#   sim_start SCENARIO [ARGS...]   sets EP, SIM_PID, SIM_LOG; stopped at exit
#   sim_stop                       SIGTERM; it must exit 0 (a sanitizer report fails it)
#   finish                         sim_stop, the request log if a check failed, tap_done
SIM_PID=

sim_stop() {
	if [ -n "$SIM_PID" ]; then
		kill "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
		local rc=$?
		SIM_PID=
		[ $rc -eq 0 ] || bad "the simulator exited $rc on SIGTERM" "$TMP/sim.err"
	fi
}
tap_cleanup sim_stop

sim_start() {
	local scenario=$1
	shift
	SIM_STARTS=$(( ${SIM_STARTS:-0} + 1 ))
	SIM_LOG=$TMP/sim-$SIM_STARTS.log
	# a file per start: reading a reused one could find the last simulator's address
	# before the new process has truncated it
	local so=$TMP/sim-$SIM_STARTS.out
	"$RUNBOOK" sim serve --scenario "$scenario" --listen 127.0.0.1:0 --log "$SIM_LOG" "$@" \
		>"$so" 2>"$TMP/sim.err" &
	SIM_PID=$!
	local i
	for i in $(seq 1 200); do
		EP=$(head -n 1 "$so" 2>/dev/null | grep -o 'http://127\.0\.0\.1:[0-9]*')
		[ -n "$EP" ] && return 0
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	bad "the simulator did not start" "$TMP/sim.err"
	bail_out "no simulator"
}

finish() {
	sim_stop
	[ "$TAP_FAILED" = 0 ] || diag_out "${SIM_LOG:-}"
	tap_done
}
