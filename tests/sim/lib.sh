# lib.sh — shared by the simulator's shell tests (sourced). Starts `runbook sim serve`
# on an ephemeral loopback port and drives the real AWS CLI (whatever `aws` is on PATH)
# against it with dummy credentials. Usage in a test:
#   . "$(dirname "$0")/lib.sh" "$1"     # $1 = the runbook binary
#   sim_start SCENARIO [--speed N]      # sets EP, SIM_PID, SIM_LOG; stopped at exit
#   awsq rds describe-db-instances ...  # aws --endpoint-url $EP ...
set -u
RUNBOOK=${1:?usage: test RUNBOOK_BINARY SOURCE_DIR}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
SRCDIR=${2:?usage: test RUNBOOK_BINARY SOURCE_DIR}
SCEN=$SRCDIR/examples/scenarios
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
command -v aws >/dev/null 2>&1 || skip_all "no aws CLI on PATH (scripts/setup.sh installs Debian's awscli)"
command -v jq >/dev/null 2>&1 || skip_all "no jq"
command -v curl >/dev/null 2>&1 || skip_all "no curl"
tap_tmpdir rb-sim-test
TMP=$T
SIM_PID=

export AWS_ACCESS_KEY_ID=AKIDSIMULATOR0000001 AWS_SECRET_ACCESS_KEY=dummy-secret-key
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_PAGER=""
export AWS_CONFIG_FILE=$TMP/aws-config AWS_SHARED_CREDENTIALS_FILE=$TMP/aws-credentials
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
: > "$AWS_CONFIG_FILE"
: > "$AWS_SHARED_CREDENTIALS_FILE"

# stop the simulator; it must exit 0 on SIGTERM (a sanitizer report would make it fail)
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
	"$RUNBOOK" sim serve --scenario "$scenario" --listen 127.0.0.1:0 --log "$SIM_LOG" "$@" \
		>"$TMP/sim.out" 2>"$TMP/sim.err" &
	SIM_PID=$!
	local i
	for i in $(seq 1 100); do
		EP=$(head -n 1 "$TMP/sim.out" 2>/dev/null)
		[ -n "$EP" ] && return 0
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	bad "the simulator did not start" "$TMP/sim.err"
	bail_out "no simulator"
}

awsq() {
	aws --endpoint-url "$EP" "$@"
}

counters() {
	curl -sf "$EP/_sim/counters"
}

# check NAME EXPECTED ACTUAL
# expect_error NAME CODE COMMAND...: the aws command fails with this error code
expect_error() {
	local name=$1 code=$2
	shift 2
	local err
	if err=$("$@" 2>&1 >/dev/null); then
		not_ok "$name: succeeded, expected $code"
	elif printf '%s' "$err" | grep -q "($code)"; then
		ok "$name ($code)"
	else
		not_ok "$name: expected $code"
		diag "got: $err"
	fi
}

finish() {
	sim_stop
	[ "$TAP_FAILED" = 0 ] || diag_out "${SIM_LOG:-}"
	tap_done
}
