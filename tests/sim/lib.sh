# lib.sh — shared by the simulator's shell tests (sourced). Starts `runbook sim serve`
# on an ephemeral loopback port and drives the real AWS CLI (whatever `aws` is on PATH)
# against it with dummy credentials. Usage in a test:
#   . "$(dirname "$0")/lib.sh" "$1"     # $1 = the runbook binary
#   sim_start SCENARIO [--speed N]      # sets EP, SIM_PID, SIM_LOG; stopped at exit
#                                       # (tests/lib/sim.sh, shared with tests/faults/)
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

export AWS_ACCESS_KEY_ID=AKIDSIMULATOR0000001 AWS_SECRET_ACCESS_KEY=dummy-secret-key
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_PAGER=""
export AWS_CONFIG_FILE=$TMP/aws-config AWS_SHARED_CREDENTIALS_FILE=$TMP/aws-credentials
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
: > "$AWS_CONFIG_FILE"
: > "$AWS_SHARED_CREDENTIALS_FILE"

. "$(dirname "${BASH_SOURCE[0]}")/../lib/sim.sh"

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
