#!/bin/bash
# terminal.sh CASE RUNBOOK — issue 11 (the terminal): what an operator sees while it runs.
#   wait-eta     a wait's polls show what they saw ("creating") and an ETA: from the
#                action's typical duration, then from the last run of the same runbook
#                (a rehearsal's from the last rehearsal, a real run's from the last real run)
#   resume-says  a resume says it resumes, how many steps were done before, and
#                shows them done; --output json carries resumed, done
set -u
CASE=$1
RB=$(realpath "$2")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-terminal
cd "$T" || exit 1
export NO_COLOR=1
polls() { # polls RUN-ID: the wait_poll events of the wait step as compact JSON lines
	jq -c 'select(.event == "wait_poll" and .step == "up")' state/runs/"$1"/journal.jsonl
}

case $CASE in
wait-eta)
	cat >scenario.yaml <<'EOF'
scenario: eta
rds:
  instances:
    - {id: shop-prod, class: db.r6g.large, engine: postgres, storage: 100,
       backup_retention: 7, master_username: shop_admin, db_name: shop}
  snapshots:
    - {id: nightly, instance: shop-prod, type: manual, created: -1h}
durations:
  restore: 17m
EOF
	cat >rb.yaml <<'EOF'
runbook: eta
connections:
  aws: {region: us-east-1}
steps:
  - id: restore
    action: rds.restore_from_snapshot
    with: {snapshot: nightly, target: shop-restored}
  - id: up
    needs: [restore]
    wait:
      action: rds.describe_instance
      with: {instance: shop-restored}
      until: .result.DBInstanceStatus == "available"
      timeout: 1h
EOF
	"$RB" validate rb.yaml >/dev/null 2>&1 || { "$RB" validate rb.yaml; exit 1; }
	"$RB" rehearse rb.yaml --scenario scenario.yaml --state-dir state >out1 2>&1
	check "first rehearsal exit 0" 0 $?
	id1=$(jq -r 'select(.event == "run_started") | .run' state/runs/*/journal.jsonl)
	first=$(polls "$id1" | head -1)
	check "a poll says what it saw" 'DBInstanceStatus "creating"' "$(jq -r .saw <<<"$first")"
	check "the first rehearsal's ETA: the typical duration" typical "$(jq -r .eta_from <<<"$first")"
	check "the terminal line shows it" 1 "$(grep -cE ' up +poll 1: DBInstanceStatus "creating", next in .*, ETA 20m00s$' out1)"
	took=$(jq -r 'select(.event == "step_finished" and .step == "up") | .duration_ms' state/runs/"$id1"/journal.jsonl)
	"$RB" rehearse rb.yaml --scenario scenario.yaml --state-dir state >out2 2>&1
	check "second rehearsal exit 0" 0 $?
	id2=$(ls state/runs | grep -v "$id1")
	first=$(polls "$id2" | head -1)
	check "the second's ETA: the last run" last_run "$(jq -r .eta_from <<<"$first")"
	check "ETA = the last run's duration less the time waited" \
		"$((took - $(jq -r .elapsed_ms <<<"$first")))" "$(jq -r .eta_ms <<<"$first")"
	check "the terminal says so" 1 "$(grep -cE ' up +poll 1: DBInstanceStatus "creating", .*ETA .* \(as the last run\)$' out2)"
	# a wait past its ETA says by how much
	sed -i 's/restore: 17m/restore: 40m/' scenario.yaml
	"$RB" rehearse rb.yaml --scenario scenario.yaml --state-dir state >out3 2>&1
	check "third rehearsal exit 0" 0 $?
	check "overdue polls say so" 1 "$(grep -c 'past its ETA' out3 | sed 's/^[1-9][0-9]*$/1/')"
	# a real run of the same file never takes a rehearsal's virtual minutes for its ETA
	cat >real.yaml <<'EOF'
runbook: eta-real
steps:
  - id: up
    wait:
      action: exec
      with: {argv: [sh, -c, 'test -e flag && echo ready || echo starting'], read_only: true}
      until: .result.stdout == "ready\n"
      interval: 1s
      timeout: 1m
EOF
	( sleep 1.5; touch flag ) &
	"$RB" run real.yaml --state-dir state </dev/null >out4 2>&1
	check "real run exit 0" 0 $?
	wait
	id4=$(grep -l '"runbook":"eta-real"' state/runs/*/journal.jsonl | head -1)
	check "the real run's wait polled" 1 "$(jq -s '[.[] | select(.event == "wait_poll")] | length > 0' "$id4" | sed 's/true/1/')"
	check "a real run without an expectation shows no ETA" 0 "$(grep -c '"eta_ms"' "$id4")"
	# the next real run of it takes the last real run's duration
	rm -f flag
	( sleep 1.5; touch flag ) &
	"$RB" run real.yaml --state-dir state </dev/null >out5 2>&1
	check "second real run exit 0" 0 $?
	wait
	id5=$(grep -l '"runbook":"eta-real"' state/runs/*/journal.jsonl | grep -v "$id4")
	check "its ETA comes from the last real run" last_run \
		"$(jq -r 'select(.event == "wait_poll") | .eta_from' "$id5" | head -1)"
	;;
resume-says)
	cat >rb.yaml <<'EOF'
runbook: resume-says
params: {dir: {type: string}}
steps:
  - id: one
    action: exec
    with: {argv: [sh, -c, 'echo one >>"$1/count"', sh, "${{ .params.dir }}"]}
  - id: pause
    action: sleep
    with: {duration: 3s}
  - id: two
    action: exec
    with: {argv: [sh, -c, 'echo two >>"$1/count"', sh, "${{ .params.dir }}"]}
EOF
	mkdir d
	"$RB" run --state-dir state rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		grep -qs '"step_started".*"step":"pause"' state/runs/*/journal.jsonl && break
		sleep 0.05
	done
	kill -9 $pid
	wait $pid 2>/dev/null
	id=$(ls state/runs)
	"$RB" resume --state-dir state "$id" </dev/null >out 2>&1
	check "resume exit 0" 0 $?
	check "it says it resumes, and what was done before" 1 \
		"$(grep -c "resuming resume-says (run $id): 1 step done before, not run again" out)"
	check "it does not say it started" 0 "$(grep -c 'run started resume-says' out)"
	check "the done step is not run again" "one two" "$(tr '\n' ' ' <d/count | sed 's/ $//')"
	check "the journal's run_resumed names it" '["one"]' \
		"$(jq -c 'select(.event == "run_resumed") | .done' state/runs/"$id"/journal.jsonl)"
	;;
*)
	bail_out "unknown case $CASE" ;;
esac
tap_done
