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
TMP=$(mktemp -d /tmp/rb-sim-test.XXXXXX)
SIM_PID=
FAILS=0

if ! command -v aws >/dev/null 2>&1; then
	echo "SKIP: no aws CLI on PATH (scripts/setup.sh installs Debian's awscli)"
	exit 77
fi
command -v jq >/dev/null 2>&1 || { echo "SKIP: no jq"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: no curl"; exit 77; }

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
		if [ $rc -ne 0 ]; then
			echo "not ok - the simulator exited $rc on SIGTERM:"
			tail -30 "$TMP/sim.err"
			FAILS=$((FAILS + 1))
		fi
	fi
}
cleanup() {
	local rc=$?
	sim_stop
	rm -rf "$TMP"
	[ "$FAILS" -ne 0 ] && exit 1
	exit $rc
}
trap cleanup EXIT

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
	echo "FAIL: the simulator did not start:"
	cat "$TMP/sim.err"
	exit 1
}

awsq() {
	aws --endpoint-url "$EP" "$@"
}

counters() {
	curl -sf "$EP/_sim/counters"
}

# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then
		echo "ok - $1"
	else
		echo "not ok - $1: expected '$2', got '$3'"
		FAILS=$((FAILS + 1))
	fi
}

# expect_error NAME CODE COMMAND...: the aws command fails with this error code
expect_error() {
	local name=$1 code=$2
	shift 2
	local err
	if err=$("$@" 2>&1 >/dev/null); then
		echo "not ok - $name: succeeded, expected $code"
		FAILS=$((FAILS + 1))
	elif printf '%s' "$err" | grep -q "($code)"; then
		echo "ok - $name ($code)"
	else
		echo "not ok - $name: expected $code, got: $err"
		FAILS=$((FAILS + 1))
	fi
}

finish() {
	sim_stop
	if [ "$FAILS" -ne 0 ]; then
		echo "$FAILS check(s) failed; simulator log:"
		cat "$SIM_LOG" 2>/dev/null | tail -40
		exit 1
	fi
	exit 0
}
