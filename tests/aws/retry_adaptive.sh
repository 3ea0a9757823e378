#!/bin/bash
# retry_adaptive.sh RUNBOOK DIR — issue 13: retry_mode = adaptive is botocore's
# client-side rate limiter (a token bucket whose rate CUBIC cuts on throttling errors),
# shared by the calls of a run to one service. Against `runbook sim serve` and its
# request log:
#   - every DescribeDBInstances throttled, 8 calls at once, each until its step's 4 s
#     timeout: adaptive sends fewer requests than standard, and every call still ends
#     as in standard mode (Throttling, transient, not a timeout);
#   - the first 6 throttled, 4 calls at once: in both modes every call succeeds, with
#     the same 10 requests; adaptive waited for the limiter before some of them.
. "$(dirname "$0")/../faults/lib.sh" "$@"
unset AWS_RETRY_MODE AWS_MAX_ATTEMPTS AWS_DEFAULT_PROFILE
export AWS_CONFIG_FILE=$TMP/config AWS_SHARED_CREDENTIALS_FILE=$TMP/credentials
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"

# parallel RB N [TIMEOUT]: a runbook of N independent, non-critical DescribeDBInstances steps
parallel() {
	{
		printf 'runbook: retry-adaptive\nparams:\n  endpoint: {type: string, required: true}\n'
		printf 'connections:\n  aws:\n    endpoint: "${{ .params.endpoint }}"\n    region: us-east-1\n'
		printf '    credentials: {access_key_id: AKIDRETRY, secret_access_key: retry-secret-key}\nsteps:\n'
		for i in $(seq 1 "$2"); do
			printf '  - id: d%d\n    needs: []\n    critical: false\n' "$i"
			[ -z "${3:-}" ] || printf '    timeout: %s\n' "$3"
			printf '    action: rds.describe_instance\n    with: {instance: shop-prod}\n'
		done
	} >"$1"
}
# the steps' outcomes in a journal: "status code transient" per line, sorted, counted
outcomes() {
	jq -r 'select(.event == "step_finished") | "\(.status // (if .error then "failed" else "succeeded" end)) \(.error.code // "-") \(.error.transient // "-")"' "$JOURNAL" | sort | uniq -c | sed 's/^ *//'
}
SEEN=0
new_describes() {
	local n
	n=$(sim_requests rds DescribeDBInstances)
	D=$((n - SEEN))
	SEEN=$n
}
limited() { jq -rs '[.[] | select(.event == "log") | .message | select(startswith("rate limit (retry_mode adaptive)"))] | length' "$JOURNAL"; }

# 1. throttled throughout: 8 calls for 4 s each
parallel "$TMP/throttled.yaml" 8 4s
sim_start "$HERE/retry-throttled.yaml"
AWS_MAX_ATTEMPTS=50 rb_run standard "$TMP/throttled.yaml" --max-parallel 8
check "standard: the run ends (its steps are not critical)" 0 "$RC"
new_describes
STANDARD=$D
STANDARD_OUT=$(outcomes)
check "standard: every call ends throttled" "8 failed Throttling true" "$STANDARD_OUT"
AWS_MAX_ATTEMPTS=50 AWS_RETRY_MODE=adaptive rb_run adaptive "$TMP/throttled.yaml" --max-parallel 8
check "adaptive: the run ends" 0 "$RC"
new_describes
ADAPTIVE=$D
check "adaptive: every call ends as in standard mode" "$STANDARD_OUT" "$(outcomes)"
diag "requests in 4 s, throttled: standard $STANDARD, adaptive $ADAPTIVE"
check_sh "adaptive sends fewer requests than standard while throttled (at most 2/3)" "[ $((ADAPTIVE * 3)) -le $((STANDARD * 2)) ]"
check_sh "some sent, no more than the limiter lets through" "[ $ADAPTIVE -ge 1 ] && [ $ADAPTIVE -le 20 ]"
check_sh "the limiter made calls wait (journal)" "[ $(limited) -ge 1 ]"
check_sh "the journal says why a call stopped before its deadline" \
	"jq -r 'select(.event == \"log\") | .message' '$JOURNAL' | grep -q 'no request slot from the rate limiter before the step.s deadline\\|no retry past the step.s deadline'"
sim_stop

# 2. throttled for a while: the first 6 requests
parallel "$TMP/some.yaml" 4
for mode in standard adaptive; do
	sim_start "$HERE/retry-throttled-6.yaml"
	SEEN=0
	AWS_MAX_ATTEMPTS=10 AWS_RETRY_MODE=$mode rb_run "some-$mode" "$TMP/some.yaml" --max-parallel 4
	check "$mode: the run succeeds" 0 "$RC"
	check "$mode: every call succeeds after the throttling" "4 succeeded - -" "$(outcomes)"
	new_describes
	check "$mode: 6 throttled + 4 answered requests" 10 "$D"
	[ $mode = standard ] || check_sh "adaptive: the limiter made calls wait" "[ $(limited) -ge 1 ]"
	sim_stop
done
finish
