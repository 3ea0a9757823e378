#!/bin/bash
# journal.sh CASE RUNBOOK SRCDIR — the journal's events (runbook-events(5)).
#   schema:          real journals (a success, a failure with its rollback, retries and
#                    for_each, a dry run, outputs/finally/non-critical/skipped steps, a run stopped by SIGTERM and resumed, a rehearsal
#                    with waits and polls) are valid against `runbook schema events`
#                    (python3-jsonschema), and every event of the table occurs in them
#   resume-outcome:  resume takes the exit code of a rollback from the outcome its
#                    rollback_started recorded, not from the words of its reason
#   fold:            history and show (run_fold) on a run stopped, resumed, finished
#   man-fresh:       man/runbook-events.5 equals `runbook schema events --format man`
set -u
CASE=$1
RB=$(realpath "$2")
SRC=$(realpath "$3")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-journal
TAP_OUT=$T/out
cd "$T" || exit 1
export NO_COLOR=1

# wait until the journals under state dir $1 match $2 (5 s at most)
wait_for() {
	for _ in $(seq 250); do
		cat "$1"/runs/*/journal.jsonl 2>/dev/null | grep -q "$2" && return 0
		sleep 0.02
	done
	return 1
}

case $CASE in

schema)
	python3 -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema missing (scripts/setup.sh installs it)"
	"$RB" schema events >schema.json || fail "runbook schema events failed"
	qs=$SRC/examples/quickstart.yaml
	"$RB" run --state-dir st/ok "$qs" --yes -p workdir="$T/ok" </dev/null >out 2>&1; expect_rc 0 $? "success"
	"$RB" run --state-dir st/fail "$qs" --yes -p workdir="$T/fail" -p fail=true </dev/null >out 2>&1; expect_rc 1 $? "failure"
	"$RB" run --state-dir st/retry "$SRC/examples/retry.yaml" -p workdir="$T/retry" </dev/null >out 2>&1; expect_rc 0 $? "retry"
	"$RB" run --state-dir st/dry "$qs" --dry-run --yes -p workdir="$T/dry" </dev/null >out 2>&1; expect_rc 0 $? "dry run"
	# stopped at once by SIGTERM during a sleep (run_interrupted), then resumed (run_resumed)
	cat >stop.yaml <<'YAML'
runbook: stop
steps:
  - id: one
    action: log
    with: {message: one}
  - id: pause
    needs: [one]
    action: sleep
    with: {duration: 5s}
  - id: two
    needs: [pause]
    action: log
    with: {message: two}
YAML
	"$RB" run --state-dir st/stop stop.yaml </dev/null >out 2>&1 &
	pid=$!
	wait_for st/stop '"step_started".*"step":"pause"' || fail "pause never started"
	kill -TERM $pid; wait $pid; expect_rc 3 $? "stopped by SIGTERM"
	"$RB" resume --state-dir st/stop "$(ls st/stop/runs)" </dev/null >out 2>&1; expect_rc 0 $? "resume"
	# corners: outputs (one that fails), a skipped step, non-critical failures, for_each,
	# finally steps (one failing)
	cat >corners.yaml <<'YAML'
runbook: corners
params: {dir: {type: string}}
outputs:
  greeting: '.steps.a.outputs.text'
  broken: '.steps.a.outputs.text | error("no")'
steps:
  - id: a
    action: exec
    with: {argv: [echo, hello]}
    outputs: {text: '.result.stdout | rtrimstr("\n")'}
  - id: never
    when: 'false'
    action: exec
    with: {argv: ["true"]}
  - id: opt
    critical: false
    action: exec
    with: {argv: ["false"]}
  - id: each
    for_each: '["x", "y"]'
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/${{ .item }}"]}
finally:
  - id: broken
    action: exec
    with: {argv: ["false"]}
YAML
	mkdir corners
	"$RB" run --state-dir st/corners corners.yaml -p dir="$T/corners" </dev/null >out 2>&1; expect_rc 0 $? "corners"
	# a rehearsal: the simulated RDS, a wait with its polls, action calls
	"$RB" rehearse "$SRC/runbooks/rds-snapshot-restore.yaml" \
		--scenario "$SRC/examples/scenarios/rds-snapshot-restore.yaml" -p source_instance=shop-prod \
		--state-dir st/rehearse </dev/null >out 2>&1; expect_rc 0 $? "rehearsal"
	SEEN=$T/seen python3 "$SRC/tests/journal/check_schema.py" schema.json st/*/runs/*/journal.jsonl >out 2>&1 ||
		{ cat out; fail "journals do not match the schema"; }
	tail -1 out
	"$RB" schema events | jq -r '.properties.event.enum[]' | sort >kinds
	missing=$(sort seen | comm -23 kinds -)
	[ -z "$missing" ] || fail "events of the table in none of the journals: $(echo $missing)"
	ok "every event of the table seen, every journal line valid"
	;;

resume-outcome)
	# a declined confirmation aborts (exit 4); killed during the rollback, the resume
	# ends with 4 even when the reason says nothing of it and no run_failing survived
	cat >rb.yaml <<'YAML'
runbook: declined
params: {dir: {type: string}}
steps:
  - id: a
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/a"]}
    rollback:
      - action: sleep
        with: {duration: 2s}
      - action: exec
        with: {argv: [rm, "${{ .params.dir }}/a"]}
  - id: go
    needs: [a]
    confirm: {prompt: "go on?"}
YAML
	mkdir d
	"$RB" run --state-dir st rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	pid=$!
	wait_for st '"rollback_step".*"status":"running"' || fail "the rollback never began"
	kill -9 $pid; wait $pid 2>/dev/null
	j=$(echo st/runs/*/journal.jsonl)
	grep -q '"rollback_started".*"outcome":4' "$j" || fail "rollback_started does not record outcome 4: $(grep rollback_started "$j")"
	sed -i '/"run_failing"/d; /"rollback_started"/s/declined/refused/g' "$j"
	"$RB" resume --state-dir st "$(ls st/runs)" </dev/null >out 2>&1; expect_rc 4 $? "resume of a declined run"
	[ ! -e d/a ] || fail "the resume did not finish the rollback"
	ok "resume ends an aborted run's rollback with 4, from the recorded outcome"
	;;

fold)
	# history and show read a journal through run_fold: a run stopped by SIGTERM is
	# interrupted; once a resume began (run_resumed) it is unfinished; resumed to the
	# end it succeeded, and show reports every step with the run's status
	cat >stop.yaml <<'YAML'
runbook: fold
steps:
  - id: one
    action: log
    with: {message: one}
  - id: pause
    needs: [one]
    action: sleep
    with: {duration: 5s}
  - id: two
    needs: [pause]
    action: log
    with: {message: two}
YAML
	"$RB" run --state-dir st stop.yaml </dev/null >out 2>&1 &
	pid=$!
	wait_for st '"step_started".*"step":"pause"' || fail "pause never started"
	kill -TERM $pid; wait $pid; expect_rc 3 $? "stopped by SIGTERM"
	id=$(ls st/runs)
	status() { "$RB" history --state-dir st --format json | jq -r .status; }
	[ "$(status)" = interrupted ] || fail "history after SIGTERM: $(status)"
	j=st/runs/$id/journal.jsonl
	cp "$j" saved
	echo '{"event":"run_resumed","v":1,"time":"2026-01-01T00:00:00.000Z","run":"'"$id"'","runbook":"fold","steps":[],"finished_before":1}' >>"$j"
	[ "$(status)" = unfinished ] || fail "history after run_resumed: $(status)"
	cp saved "$j"
	"$RB" resume --state-dir st "$id" </dev/null >out 2>&1; expect_rc 0 $? "resume"
	[ "$(status)" = succeeded ] || fail "history after the resume: $(status)"
	"$RB" show --state-dir st "$id" --format json >show.json || fail "show failed"
	got=$(jq -r '[.status, .exit_code, (.steps | map(.id + "=" + .status) | join(","))] | join(" ")' show.json)
	[ "$got" = "succeeded 0 one=succeeded,pause=succeeded,two=succeeded" ] || fail "show: $got"
	ok "history: interrupted, unfinished, succeeded; show: $got"
	;;

man-fresh)
	page=$SRC/man/runbook-events.5
	"$RB" schema events --format man >page || fail "runbook schema events --format man failed"
	diff -u "$page" page || fail "man/runbook-events.5 is stale: run 'ninja -C BUILD update-events-man' and commit it"
	if command -v groff >/dev/null 2>&1; then
		warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
		[ -z "$warn" ] || fail "groff warnings: $warn"
	fi
	ok "man page fresh ($(wc -l <"$page") lines)"
	;;

*)
	fail "unknown case"
	;;
esac
tap_done
