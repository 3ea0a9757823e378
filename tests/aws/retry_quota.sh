#!/bin/bash
# retry_quota.sh RUNBOOK DIR — issue 13: standard mode's retry quota (botocore
# retries/quota.py), shared by the calls of a run to one service: 500 tokens, 5 taken by
# each retry, given back on success. Under `rehearse` (the simulator in process, on the
# virtual clock: the backoff costs no time) answering every DescribeDBInstances with
# HTTP 500, one run of 60 calls one after the other, AWS_MAX_ATTEMPTS=3: the first 50
# calls retry twice each (100 retries, 500 tokens), then every call fails at its first
# attempt and says the quota is exhausted. legacy mode has no quota: every call retries.
. "$(dirname "$0")/../faults/lib.sh" "$@"
unset AWS_RETRY_MODE AWS_MAX_ATTEMPTS AWS_DEFAULT_PROFILE
export AWS_CONFIG_FILE=$TMP/config AWS_SHARED_CREDENTIALS_FILE=$TMP/credentials
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
N=60
{
	printf 'runbook: retry-quota\nconnections:\n  aws: {region: us-east-1}\nsteps:\n'
	for i in $(seq 1 $N); do
		printf '  - id: d%d\n    critical: false\n    action: rds.describe_instance\n' "$i"
		printf '    with: {instance: shop-prod}\n'
	done
} >"$TMP/many.yaml"
# rehearse NAME: the runbook under rehearse; sets RC, OUT, JOURNAL
rehearse() {
	mkdir -p "$TMP/$1"
	"$RUNBOOK" rehearse "$TMP/many.yaml" --scenario "$HERE/retry-5xx.yaml" --state-dir "$TMP/$1/state" \
		>"$TMP/$1/out" 2>&1
	RC=$?
	OUT=$TMP/$1/out
	JOURNAL=$(ls -d "$TMP/$1"/state/runs/*/journal.jsonl 2>/dev/null | head -n 1)
	[ -n "$JOURNAL" ] || JOURNAL=/dev/null
}
# attempt lines of the journal ending with WHAT ("retry in", "gave up", "retry quota exhausted")
ending() { jq -rs --arg w "$1" '[.[] | select(.event == "log") | .message | select(test("^attempt [0-9]+/[0-9]+: rds ")) | select(test("; " + $w))] | length' "$JOURNAL"; }

AWS_MAX_ATTEMPTS=3 rehearse standard
check "the rehearsal ends (the steps are not critical)" 0 "$RC"
check "50 calls x 3 attempts, then 10 x 1: requests" $((50 * 3 + 10)) "$(journal_attempts rds DescribeDBInstances)"
check "100 retries paid from the quota" 100 "$(ending 'retry in')"
check "the 50 calls that retried gave up after 3 attempts" 50 "$(ending 'gave up')"
check "then 10 not retried: the quota is exhausted" 10 "$(ending 'retry quota exhausted')"
check "the last 10 steps' errors say so" 10 "$(jq -r 'select(.event == "step_finished") | .error.message' "$JOURNAL" | grep -c 'not retried: the retry quota is exhausted (retry_mode standard)')"
check "every step ends with the service's error, transient" $N "$(jq -r 'select(.event == "step_finished") | .error | select(.code == "InternalFailure" and .transient == true) | .code' "$JOURNAL" | wc -l)"

AWS_MAX_ATTEMPTS=3 AWS_RETRY_MODE=legacy rehearse legacy
check "legacy mode has no quota: every call makes 3 attempts" $((N * 3)) "$(journal_attempts rds DescribeDBInstances)"
tap_done
