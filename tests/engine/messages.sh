#!/bin/bash
# messages.sh CASE RUNBOOK — issue 9: error messages keep the line that matters, and
# retry waits follow runbook(5) "retry" (delay is the floor; jitter seeded by the run id).
#   exec-stderr  a failed exec quotes stderr's ERROR/FATAL/error: lines, not only the tail
#   wait-seen    a wait that times out says what its `until` saw in the last poll
#   assert-once  a failed assertion's expression is said once per event and per line
#   retry-delay  retry waits: delay * backoff^(n-1) * (1 + j), capped; j from the run id
set -u
CASE=$1
RB=$(realpath "$2")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-messages
cd "$T" || exit 1
export NO_COLOR=1
journal() { cat "$T"/state/runs/*/journal.jsonl; }
printf 'scenario: messages\n' >scenario.yaml

case $CASE in
exec-stderr)
	# pg_restore's shape: the error early, then many lines of progress and a summary
	cat >rb.yaml <<'EOF'
runbook: exec-stderr
steps:
  - id: restore
    action: exec
    with:
      argv: [sh, -c, 'echo "pg_restore: error: could not execute query: ERROR:  relation \"orders\" already exists" >&2;
                      for i in 1 2 3 4 5 6 7 8; do echo "pg_restore: processing item $i" >&2; done;
                      echo "pg_restore: warning: errors ignored on restore: 1" >&2; exit 1']
EOF
	"$RB" run rb.yaml --state-dir state </dev/null >out 2>&1
	check "exit 1" 1 $?
	msg=$(journal | jq -r 'select(.event == "step_finished" and .step == "restore") | .error.message')
	check "the journaled error keeps the ERROR line" 1 "$(grep -c 'ERROR:  relation "orders" already exists' <<<"$msg")"
	check "and the tail" 1 "$(grep -c 'errors ignored on restore' <<<"$msg")"
	check "and says lines were left out" 1 "$(grep -cx '\.\.\.' <<<"$msg")"
	check "the terminal's step line shows the ERROR line" 1 \
		"$(grep 'restore .*failed' out | grep -c 'relation "orders" already exists')"
	;;
wait-seen)
	cat >>scenario.yaml <<'EOF'
rds:
  instances:
    - {id: shop-prod, class: db.r6g.large, engine: postgres, storage: 100,
       backup_retention: 7, master_username: shop_admin, db_name: shop}
EOF
	cat >rb.yaml <<'EOF'
runbook: wait-seen
connections:
  aws: {region: us-east-1}
steps:
  - id: gone
    wait:
      action: rds.describe_instance
      with: {instance: shop-prod}
      until: .result.DBInstanceStatus == "deleting" and (.result.Engine == "mysql")
      timeout: 2m
    critical: false
  - id: stepto
    timeout: 1m
    wait:
      action: rds.describe_instance
      with: {instance: shop-prod}
      until: '"creating" == .result.DBInstanceStatus'
EOF
	"$RB" rehearse rb.yaml --scenario scenario.yaml --state-dir state >out 2>&1
	check "exit 1" 1 $?
	msg=$(journal | jq -r 'select(.event == "step_finished" and .step == "gone") | .error.message')
	check "wait timeout: the paths of until, with their last values" 1 \
		"$(grep -c 'never held; last poll: .result.DBInstanceStatus was "available", .result.Engine was "postgres"$' <<<"$msg")"
	msg=$(journal | jq -r 'select(.event == "step_finished" and .step == "stepto") | .error.message')
	check "step timeout during a wait: the same, for the path on the right" \
		"step 'stepto' timed out after 1m; last poll: .result.DBInstanceStatus was \"available\"" "$msg"
	;;
assert-once)
	cat >rb.yaml <<'EOF'
runbook: assert-once
steps:
  - id: check
    assert:
      - that: 1 + 1 == 3
        message: "math is broken"
EOF
	"$RB" run rb.yaml --state-dir state --output json </dev/null >out 2>&1
	check "exit 1" 1 $?
	check "the step_finished event says the expression once" 1 \
		"$(grep '"step_finished"' out | grep -o '1 + 1 == 3' | wc -l)"
	check "so does its journal record" 1 \
		"$(journal | grep '"step_finished"' | grep -o '1 + 1 == 3' | wc -l)"
	check "with its values" 1 "$(journal | grep '"step_finished"' | grep -c 'left: 2, right: 3')"
	check "and the count of failed assertions" 1 "$(journal | jq 'select(.event == "step_finished") | .error.failed')"
	# with a step to undo: the rollback line names the failed step only; the step's line
	# and the run's last line carry the error; show lists it once, under errors
	cat >rb2.yaml <<'EOF'
runbook: assert-once-rollback
steps:
  - id: a
    action: log
    with: {message: "a"}
    rollback:
      - {id: undo, action: log, with: {message: "undo a"}}
  - id: check
    needs: [a]
    assert:
      - that: 1 + 1 == 3
        message: "math is broken"
EOF
	rm -rf state
	"$RB" run rb2.yaml --state-dir state </dev/null >text 2>&1
	check "exit 1 with a rollback" 1 $?
	check "the rollback line names the failed step only" "rollback     started: 1 step to undo (step 'check' failed)" \
		"$(grep -o "rollback     started.*" text)"
	check "the text output says the expression on the step's and the run's line" 2 "$(grep -c '1 + 1 == 3' text)"
	run=$(ls state/runs)
	"$RB" show "$run" --state-dir state >shown 2>&1
	check "show says the expression once" 1 "$(grep -c '1 + 1 == 3' shown)"
	check "show's run error points at the errors" "run error: step 'check' failed (see errors)" "$(grep '^run error' shown)"
	;;
retry-delay)
	cat >rb.yaml <<'EOF'
runbook: retry-delay
steps:
  - id: flaky
    action: exec
    with: {argv: [sh, -c, 'exit 3']}
    retry: {attempts: 4, delay: 5s, backoff: 2, max_delay: 15s}
EOF
	# a mutating exec runs in a rehearsal only by a rule of the scenario (runbook-scenario(5))
	printf 'exec:\n  - {argv: [sh, -c, "exit 3"], run: true}\n' >>scenario.yaml
	"$RB" rehearse rb.yaml --scenario scenario.yaml --state-dir state >out 2>&1
	check "exit 1" 1 $?
	journal | jq -c 'select(.event == "step_retry") | [.attempt, .delay_ms, .time, .run, .step]' >retries
	check "three retries" 3 "$(wc -l <retries)"
	# the rule of runbook(5), computed independently from the run id
	check_cmd "retry waits follow runbook(5)'s rule" python3 - retries <<'EOF'
import json, sys
from datetime import datetime
M = (1 << 64) - 1
def jitter(run, qid, attempt):
    h = 1469598103934665603
    for part in (run, qid):
        for c in part.encode():
            h = ((h ^ c) * 1099511628211) & M
        h = ((h ^ 0xff) * 1099511628211) & M
    h ^= (attempt * 0x9e3779b97f4a7c15) & M
    h ^= h >> 30; h = (h * 0xbf58476d1ce4e5b9) & M
    h ^= h >> 27; h = (h * 0x94d049bb133111eb) & M
    h ^= h >> 31
    return (h >> 11) / 2.0 ** 53
rows = [json.loads(l) for l in open(sys.argv[1])]
bad = 0
for (n, d, _, run, step) in rows:
    base = 5000 * 2 ** (n - 1)
    want = int(min(base * (1 + jitter(run, step, n)), 15000))
    lo = min(base, 15000)
    ok = d == want and lo <= d <= 15000
    print(("ok   " if ok else "FAIL ") + "retry %d waits %d ms (rule: %d, floor %d)" % (n, d, want, lo))
    bad += not ok
t = [datetime.fromisoformat(r[2].replace("Z", "+00:00")).timestamp() * 1000 for r in rows]
for i in range(1, len(rows)):
    ok = t[i] - t[i - 1] >= rows[i - 1][1]
    print(("ok   " if ok else "FAIL ") + "retry %d came %d ms after the previous one" % (i + 1, t[i] - t[i - 1]))
    bad += not ok
sys.exit(1 if bad else 0)
EOF
	;;
*)
	bail_out "unknown case $CASE"
	;;
esac
tap_done
