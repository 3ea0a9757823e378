#!/bin/bash
# wait_throttle.sh RUNBOOK DIR — issue 8, item 5, under `rehearse` (virtual clock): a
# poll whose transport retries were all throttled is a missed poll (a wait_poll event
# with the error); the wait goes on and the 20-minute restore succeeds, with no
# rollback. Only the wait's own timeout, or an error that is not transient, fails it.
. "$(dirname "$0")/lib.sh" "$@"

# rehearse NAME RUNBOOK SCENARIO [ARGS...]: sets RC, OUT, JOURNAL
rehearse() {
	local name=$1 file=$2 scen=$3
	shift 3
	mkdir -p "$TMP/$name"
	"$RUNBOOK" rehearse "$file" --scenario "$scen" --state-dir "$TMP/$name/state" "$@" \
		>"$TMP/$name/out" 2>&1
	RC=$?
	OUT=$TMP/$name/out
	JOURNAL=$(ls -d "$TMP/$name"/state/runs/*/journal.jsonl 2>/dev/null | head -n 1)
	[ -n "$JOURNAL" ] || JOURNAL=/dev/null
}
missed() { jq -s '[.[] | select(.event == "wait_poll" and .missed)] | length' "$JOURNAL"; }
polls() { jq -s '[.[] | select(.event == "wait_poll")] | length' "$JOURNAL"; }

rehearse restore "$HERE/rds-restore.yaml" "$HERE/wait-throttle.yaml"
check "a 20-minute restore under 70% throttling succeeds" 0 "$RC"
[ "$RC" = 0 ] || tail -30 "$OUT"
m=$(missed)
check "some polls were missed (the case under test happened)" true "$([ "$m" -ge 1 ] && echo true || echo "false ($m)")"
check "each missed poll is journaled with its transient error" "$m" \
	"$(jq -s '[.[] | select(.event == "wait_poll" and .missed and .error.code == "Throttling" and .error.transient)] | length' "$JOURNAL")"
check "nothing was rolled back" 0 "$(grep -c 'DeleteDBInstance' "$OUT")"
check "retries bounded: no attempt past 5/5" true \
	"$(jq -rs '[.[] | select(.event == "log") | .message | capture("^attempt (?<n>[0-9]+)/(?<m>[0-9]+):") | (.n | tonumber) <= (.m | tonumber) and (.m | tonumber) <= 5] | all' "$JOURNAL")"

rehearse timeout "$HERE/wait-only.yaml" "$HERE/wait-always-throttled.yaml" -p instance=shop-prod
check "every poll missed: the wait's own timeout fails it" 1 "$RC"
check "it failed as a timeout" 1 "$(jq -s '[.[] | select(.event == "step_finished" and .step == "available" and .status == "failed" and .error.code == "timeout")] | length' "$JOURNAL")"
check "it kept polling until then" true "$([ "$(missed)" -ge 3 ] && echo true || echo "false ($(missed))")"

rehearse missing "$HERE/wait-only.yaml" "$HERE/reset-resend.yaml" -p instance=no-such-db
check "an instance that is not there fails the wait at once" 1 "$RC"
check "after one poll, with the service's error" "1 DBInstanceNotFound" \
	"$(jq -rs '[.[] | select(.event == "step_finished" and .step == "available")][0] | "\(.polls // 1) \(.error.code)"' "$JOURNAL")"
finish
