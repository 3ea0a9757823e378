#!/usr/bin/env bash
# Wait detection: polls and lag when a restored instance becomes available after 1, 4, 12
# and 40 minutes, runbook against `aws rds wait db-instance-available` (30 s fixed delay,
# 60 attempts: it gives up at 30 minutes, so the 40-minute row runs it again, as a script
# would).
#   runbook: rehearsals on the virtual clock (tests/bench/wait-runbook.yaml, no `expect`:
#     polls aim at the restore's typical 20 minutes; and the same with `expect:` the right
#     duration); polls and lag from the journal's calls. Seconds.
#   aws CLI: real, against `runbook sim serve --speed S` (default 20), with an
#     AWS_DATA_PATH copy of botocore's RDS waiter whose delay is 30/S s; polls from the
#     simulator's request log; lag from its (simulated) times, each gap counted as at
#     most 30 s (a request takes S times longer in simulated time than for real). The
#     waiter is botocore's, which `aws rds wait` runs, from python3, so that the CLI's
#     start (seconds, S times longer here) does not delay its first poll. ~57/S minutes.
# Restores of whole minutes align with a 30 s schedule (a poll lands on the end); OFFSET=S
# adds S seconds to each restore (OFFSET=1: just after a poll, the worst case of both).
#   tests/bench/wait_lag.sh [RUNBOOK] [SPEED]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RUNBOOK=$(realpath "${1:-$SRC/build-bench/runbook}")
SPEED=${2:-20}
MINUTES=${MINUTES:-1 4 12 40}
OFFSET=${OFFSET:-0}
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
scenario() { # scenario MINUTES > file
	sed "s/^durations: .*/durations: {restore: ${1}m${OFFSET}s}/" "$SRC/tests/bench/wait-scenario.yaml"
}

# runbook, rehearsed: "polls lag_s" of the wait, the lag from the restore's call
rb_wait() { # rb_wait RUNBOOK-FILE MINUTES
	scenario "$2" > "$T/sc.yaml"
	rm -rf "$T/st"
	"$RUNBOOK" rehearse "$1" --scenario "$T/sc.yaml" -p target=rb-target --state-dir "$T/st" > /dev/null 2>&1
	jq -rs --argjson n "$((($2 * 60 + OFFSET) * 1000))" '
		def ms: (.[0:19] + "Z" | fromdateiso8601) * 1000 + ((capture("\\.(?<f>[0-9]{3})Z$").f // "0") | tonumber);
		(map(select(.event == "call" and .step == "restore"))[0].time | ms) as $t0 |
		(map(select(.event == "step_finished" and .step == "available"))[0]) as $f |
		"\($f.polls) \((($f.time | ms) - $t0 - $n) / 1000)"' "$T"/st/runs/*/journal.jsonl
}

# the AWS CLI's waiter, its delay scaled by SPEED
mkdir -p "$T/data/rds/2014-10-31"
BOTO=$(python3 -c 'import botocore, os; print(os.path.dirname(botocore.__file__))' 2>/dev/null || true)
if [ -n "$BOTO" ] && command -v aws > /dev/null; then
	jq --argjson d "$(awk -v s="$SPEED" 'BEGIN{print 30 / s}')" '.waiters.DBInstanceAvailable.delay = $d' \
		"$BOTO/data/rds/2014-10-31/waiters-2.json" > "$T/data/rds/2014-10-31/waiters-2.json"
	HAVE_CLI=1
else
	HAVE_CLI=0
fi
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
cli_wait() { # cli_wait MINUTES: "polls lag_s"
	scenario "$1" > "$T/sc.yaml"
	: > "$T/ep"
	: > "$T/log"
	"$RUNBOOK" sim serve --scenario "$T/sc.yaml" --speed "$SPEED" --log "$T/log" > "$T/ep" 2>/dev/null &
	local pid=$!
	for _ in $(seq 100); do [ -s "$T/ep" ] && break; sleep 0.1; done
	local ep
	ep=$(head -1 "$T/ep")
	# botocore, which `aws rds wait` runs, started before the restore so that its start
	# (seconds, S times longer in simulated time) is not counted as lag; it gives up
	# after 60 attempts (30 minutes) and is run again, as a script would
	AWS_DATA_PATH="$T/data" python3 - "$ep" <<'PY'
import sys, botocore.session, botocore.exceptions
rds = botocore.session.get_session().create_client("rds", endpoint_url=sys.argv[1])
rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="cli-target", DBSnapshotIdentifier="shop-prod-snap")
while True:
    try:
        rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="cli-target")
        break
    except botocore.exceptions.WaiterError as e:
        if "Max attempts" not in str(e):
            raise
PY
	kill "$pid"; wait "$pid" 2> /dev/null || true
	# the log's times are simulated: each gap counts as at most the 30 s delay (a
	# request, S times longer here than for real, is not the waiter's lag)
	grep ' DescribeDBInstances ' "$T/log" | cut -d' ' -f1 |
		jq -Rrs --argjson n "$(($1 * 60 + OFFSET))" '
			[split("\n")[] | select(length > 0) | (.[0:19] + "Z" | fromdateiso8601) + (.[20:23] | tonumber) / 1000] as $p |
			([range(1; $p | length) as $i | [$p[$i] - $p[$i - 1], 30] | min] | add // 0) as $last |
			"\($p | length) \(($last - $n) * 10 | round / 10)"'
}

sed 's/^      timeout: 60m$/      expect: EXPECT\n&/' "$SRC/tests/bench/wait-runbook.yaml" > "$T/expect.yaml"
printf '| restore | aws rds wait: polls | lag (s) | runbook (typical 20m): polls | lag (s) | runbook (expect: right): polls | lag (s) |\n'
printf '|---|---|---|---|---|---|---|\n'
for m in $MINUTES; do
	read -r rp rl <<< "$(rb_wait "$SRC/tests/bench/wait-runbook.yaml" "$m")"
	sed "s/EXPECT/${m}m${OFFSET}s/" "$T/expect.yaml" > "$T/expect-$m.yaml"
	read -r ep el <<< "$(rb_wait "$T/expect-$m.yaml" "$m")"
	if [ "$HAVE_CLI" = 1 ]; then read -r cp cl <<< "$(cli_wait "$m")"; else cp=-; cl=-; fi
	printf '| %d min%s | %s | %s | %s | %s | %s | %s |\n' "$m" "$([ "$OFFSET" = 0 ] || echo " ${OFFSET} s")" "$cp" "$cl" "$rp" "$rl" "$ep" "$el"
done
