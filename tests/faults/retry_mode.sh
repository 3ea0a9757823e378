#!/bin/bash
# retry_mode.sh RUNBOOK DIR — issue 13: the AWS module honours the AWS CLI's retry
# settings, AWS_RETRY_MODE / retry_mode and AWS_MAX_ATTEMPTS / max_attempts, the
# environment before the profile in ~/.aws/config. Against `runbook sim serve` answering
# every DescribeDBInstances with Throttling: the requests in the simulator's log are the
# attempts the settings allow.
. "$(dirname "$0")/lib.sh" "$@"
unset AWS_RETRY_MODE AWS_MAX_ATTEMPTS AWS_DEFAULT_PROFILE
export AWS_CONFIG_FILE=$TMP/config AWS_SHARED_CREDENTIALS_FILE=$TMP/credentials
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
sim_start "$HERE/retry-mode.yaml"
RB=$HERE/retry-mode-runbook.yaml

# new_describes: D = DescribeDBInstances requests the simulator received since the last call
SEEN=0
new_describes() {
	local n
	n=$(sim_requests rds DescribeDBInstances)
	D=$((n - SEEN))
	SEEN=$n
}
# the M of the journal's "attempt N/M" lines
declared() {
	jq -rs '[.[] | select(.event == "log") | .message | capture("^attempt [0-9]+/(?<m>[0-9]+):").m] | unique | join(",")' "$JOURNAL"
}

rb_run standard "$RB"
check "throttled to the end: the step fails" 1 "$RC"
new_describes
check "standard mode by default: 3 attempts" 3 "$D"
check "the journal says so" 3 "$(declared)"
check "the error counts them" 1 "$(grep -c 'gave up after 3 attempts' "$TMP/standard/err" "$OUT" | awk -F: '{ n += $2 } END { print (n > 0) }')"

AWS_MAX_ATTEMPTS=2 rb_run env "$RB"
new_describes
check "AWS_MAX_ATTEMPTS=2: 2 attempts" 2 "$D"

printf '[default]\nmax_attempts = 4\n' >"$AWS_CONFIG_FILE"
rb_run profile "$RB"
new_describes
check "max_attempts = 4 in the profile: 4 attempts" 4 "$D"

AWS_MAX_ATTEMPTS=1 rb_run env-first "$RB"
new_describes
check "the environment before the profile: 1 attempt" 1 "$D"

printf '[default]\nmax_attempts = 4\n[profile slow]\nretry_mode = legacy\nmax_attempts = 1\n' >"$AWS_CONFIG_FILE"
AWS_PROFILE=slow rb_run named "$RB"
new_describes
check "the named profile's settings: 1 attempt" 1 "$D"
printf '[default]\nretry_mode = legacy\n' >"$AWS_CONFIG_FILE"
AWS_MAX_ATTEMPTS=1 rb_run legacy "$RB"
new_describes
check "retry_mode = legacy read (attempts from the environment)" 1 "$D"
# legacy's 5 attempts, as the journal declares them (a 1 s step timeout cuts the waits)
rb_run legacy-short "$HERE/retry-mode-short.yaml"
new_describes
check "retry_mode = legacy in the profile: 5 attempts declared" 5 "$(declared)"
AWS_RETRY_MODE=adaptive rb_run adaptive-short "$HERE/retry-mode-short.yaml"
new_describes
check "AWS_RETRY_MODE before the profile: adaptive, 3 attempts declared" 3 "$(declared)"
: >"$AWS_CONFIG_FILE"

AWS_RETRY_MODE=bogus rb_run bad-mode "$RB"
check "an unknown retry mode fails the step" 1 "$RC"
new_describes
check "before any request" 0 "$D"
check_sh "the message names the variable" "grep -q \"invalid retry mode 'bogus' in AWS_RETRY_MODE\" '$OUT' '$TMP/bad-mode/err'"

AWS_MAX_ATTEMPTS=0 rb_run bad-max "$RB"
check "AWS_MAX_ATTEMPTS=0 fails the step" 1 "$RC"
new_describes
check "before any request" 0 "$D"
check_sh "the message names the variable" "grep -q \"invalid max attempts '0' in AWS_MAX_ATTEMPTS\" '$OUT' '$TMP/bad-max/err'"
finish
