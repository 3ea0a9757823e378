#!/usr/bin/env bash
# Wait detection: polls and lag of `aws rds wait db-instance-available` (30 s fixed, the
# baseline) against runbook's adaptive wait, when a restored instance becomes available
# after 4 minutes. Real time (the AWS CLI sleeps real seconds): about 9 minutes.
#   tests/bench/wait_lag.sh [RUNBOOK]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RUNBOOK=${1:-$SRC/build-bench/runbook}
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
"$RUNBOOK" sim serve --scenario "$SRC/tests/bench/wait-scenario.yaml" --quiet > "$T/ep" 2>/dev/null &
for _ in $(seq 50); do [ -s "$T/ep" ] && break; sleep 0.1; done
EP=$(head -1 "$T/ep")
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
describes() { curl -s "$EP/_sim/counters" | jq '.requests.DescribeDBInstances // 0'; }
now() { date +%s.%N; }

# the AWS CLI waiter
aws --endpoint-url "$EP" rds restore-db-instance-from-db-snapshot --db-instance-identifier cli-target \
	--db-snapshot-identifier shop-prod-snap > /dev/null
t0=$(now); d0=$(describes)
aws --endpoint-url "$EP" rds wait db-instance-available --db-instance-identifier cli-target
t1=$(now); d1=$(describes)
cli_polls=$((d1 - d0)); cli_lag=$(awk -v a="$t0" -v b="$t1" "BEGIN{print b - a - 240}")

# runbook
d0=$(describes)
AWS_ENDPOINT_URL="$EP" "$RUNBOOK" run "$SRC/tests/bench/wait-runbook.yaml" -p target=rb-target \
	--state-dir "$T/st" --output json > "$T/run.json"
d1=$(describes)
rb=$(jq -c 'select(.event=="step_finished" and .step=="available") | {polls, detection_lag_ms, duration_ms}' "$T/run.json")
rb_polls=$((d1 - d0))
rb_lag=$(echo "$rb" | jq '(.duration_ms - 240000) / 1000')
printf '%-28s %8s %14s\n' "wait for 4 min restore" polls "lag (s)"
printf '%-28s %8s %14.1f\n' "aws rds wait (30 s fixed)" "$cli_polls" "$cli_lag"
printf '%-28s %8s %14.1f\n' "runbook wait (expect: 4m)" "$rb_polls" "$rb_lag"
echo "runbook's own report: $rb"
