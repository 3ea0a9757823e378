#!/bin/bash
# issue9.sh CASE RUNBOOK — issue 9, engine: the rollback context, for_each on uses:,
# finally:, the run's outputs and failed non-critical steps at its end. Real binary,
# real exec steps writing files; order checked from the journal.
set -u
CASE=$1
RB=$(realpath "$2")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-issue9
TAP_OUT=$T/out
ST=$T/state
cd "$T" || exit 1
export NO_COLOR=1

journal() { cat "$ST"/runs/*/journal.jsonl; }
run_id() { ls "$ST/runs" | head -1; }
run() { "$RB" run --state-dir "$ST" "$@" </dev/null >"$T/out" 2>&1; }
# jq over the journal's events, one per line
jj() { journal | jq -c "$1"; }

# a for_each step whose items each write a file; its rollback's with: reads the item's
# .result, .outputs and .item
foreach_rb() {
	cat >rb.yaml <<'EOF'
runbook: rollback-context
params: {dir: {type: string}, fail: {type: string, default: "yes"}}
steps:
  - id: mk
    for_each: '["a", "b"]'
    action: exec
    with: {argv: [sh, -c, 'echo "made-$1"; touch "$2/$1"', sh, "${{ .item }}", "${{ .params.dir }}"]}
    outputs: {name: '.result.stdout | rtrimstr("\n")'}
    rollback:
      - action: exec
        with:
          argv: [sh, -c, 'echo "$1 $2 $3" >"$4/undo-$3"', sh,
                 '${{ .result.stdout | rtrimstr("\n") }}', "${{ .outputs.name }}", "${{ .item }}",
                 "${{ .params.dir }}"]
  - id: single
    action: exec
    with: {argv: [echo, one]}
    outputs: {word: '.result.stdout | rtrimstr("\n")'}
    rollback:
      - action: exec
        with: {argv: [sh, -c, 'echo "$1 $2" >"$3/undo-single"', sh, "${{ .outputs.word }}", "${{ .result.exit_code }}", "${{ .params.dir }}"]}
  - id: boom
    action: exec
    with: {argv: [sh, -c, 'test -f "$1/go" && exit 1; touch "$1/started"; test "$2" = yes && exit 1; sleep 30', sh, "${{ .params.dir }}", "${{ .params.fail }}"]}
EOF
}

case $CASE in

rollback-context)
	foreach_rb
	mkdir d
	run rb.yaml -p dir="$T/d"; expect_rc 1 $? "failing run"
	[ "$(cat d/undo-a)" = "made-a made-a a" ] || fail "item a's rollback saw: '$(cat d/undo-a 2>/dev/null)'"
	[ "$(cat d/undo-b)" = "made-b made-b b" ] || fail "item b's rollback saw: '$(cat d/undo-b 2>/dev/null)'"
	[ "$(cat d/undo-single)" = "one 0" ] || fail "single's rollback saw: '$(cat d/undo-single 2>/dev/null)'"
	ok "each item's rollback sees that item's .result, .outputs and .item"
	;;

rollback-context-resume)
	# stopped at once (SIGTERM) while 'boom' runs; the resume re-runs it, it fails,
	# and the rollback of mk's items takes their results from the journal
	foreach_rb
	mkdir d
	"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" -p fail=no </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 500); do [ -f d/started ] && break; sleep 0.02; done
	[ -f d/started ] || fail "boom never started: $(cat out)"
	kill -TERM $pid; wait $pid; expect_rc 3 $? "stopped at once"
	[ -e d/undo-a ] && fail "rolled back before the resume"
	touch d/go
	"$RB" resume --state-dir "$ST" "$(run_id)" --rerun boom </dev/null >out 2>&1; expect_rc 1 $? "resume"
	[ "$(cat d/undo-a)" = "made-a made-a a" ] || fail "item a's rollback after resume saw: '$(cat d/undo-a 2>/dev/null)'"
	[ "$(cat d/undo-b)" = "made-b made-b b" ] || fail "item b's rollback after resume saw: '$(cat d/undo-b 2>/dev/null)'"
	[ "$(cat d/undo-single)" = "one 0" ] || fail "single's rollback after resume saw: '$(cat d/undo-single 2>/dev/null)'"
	ok "after a resume the rollback context comes from the journal"
	;;

foreach-uses)
	mkdir lib d
	cat >lib/child.yaml <<'EOF'
runbook: child
params:
  name: {type: string, required: true}
  dir: {type: string, required: true}
outputs:
  said: .steps.say.outputs.text
steps:
  - id: say
    action: exec
    with: {argv: [sh, -c, 'echo "hi-$1"; echo "$1" >>"$2/order"', sh, "${{ .params.name }}", "${{ .params.dir }}"]}
    outputs: {text: '.result.stdout | rtrimstr("\n")'}
    rollback:
      - action: exec
        with: {argv: [sh, -c, 'echo "$1" >>"$2/undo"', sh, "${{ .outputs.text }}", "${{ .params.dir }}"]}
  - id: check
    action: exec
    with: {argv: ["true"]}
EOF
	cat >rb.yaml <<'EOF'
runbook: foreach-uses
params: {dir: {type: string}, fail: {type: bool, default: false}}
steps:
  - id: each
    for_each: '["x", "y", "z"]'
    uses: lib/child.yaml
    with: {name: "${{ .item }}", dir: "${{ .params.dir }}"}
  - id: after
    action: exec
    with: {argv: [sh, -c, 'echo "$1" >"$2/after"; test "$3" = false', sh, '${{ .steps.each.outputs.said | join(",") }}', "${{ .params.dir }}", "${{ .params.fail }}"]}
EOF
	run rb.yaml -p dir="$T/d"; expect_rc 0 $? "for_each uses"
	[ "$(tr '\n' ' ' <d/order)" = "x y z " ] || fail "child ran for: $(tr '\n' ' ' <d/order 2>/dev/null)"
	[ "$(cat d/after)" = "hi-x,hi-y,hi-z" ] || fail "outputs: $(cat d/after)"
	[ "$(jj 'select(.event=="step_finished" and .step=="each[1].say") | .status')" = '"succeeded"' ] ||
		fail "no step_finished for each[1].say in the journal"
	grep -q "each\[2\].check" out || fail "the display does not show each[2].check: $(cat out)"
	ok "the child ran once per item with .item; outputs are arrays; steps shown as ID[i].STEP"
	rm -rf d "$ST"; mkdir d
	run rb.yaml -p dir="$T/d" -p fail=true; expect_rc 1 $? "failing after"
	[ "$(tr '\n' ' ' <d/undo)" = "hi-z hi-y hi-x " ] || fail "rollback of the items: $(tr '\n' ' ' <d/undo 2>/dev/null)"
	ok "every item's child steps are rolled back, each with its own outputs"
	;;

foreach-uses-resume)
	# stopped at once after the for_each uses: step finished: the resume does not run
	# its items again; stopped between its items: the resume refuses (they would)
	mkdir lib d
	cat >lib/child.yaml <<'EOF'
runbook: child
params:
  name: {type: string, required: true}
  dir: {type: string, required: true}
steps:
  - id: say
    action: exec
    with: {argv: [sh, -c, 'echo "$1" >>"$2/order"; if [ "$1" = y ] && [ ! -f "$2/go" ]; then touch "$2/in-y"; sleep 30; fi', sh, "${{ .params.name }}", "${{ .params.dir }}"]}
EOF
	cat >rb.yaml <<'EOF'
runbook: foreach-uses-resume
params: {dir: {type: string}}
steps:
  - id: each
    for_each: '["x", "y"]'
    uses: lib/child.yaml
    with: {name: "${{ .item }}", dir: "${{ .params.dir }}"}
  - id: after
    action: exec
    with: {argv: [sh, -c, 'touch "$1/in-after"; test -f "$1/go2" || sleep 30', sh, "${{ .params.dir }}"]}
EOF
	touch d/go
	"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 500); do [ -f d/in-after ] && break; sleep 0.02; done
	[ -f d/in-after ] || fail "never reached 'after': $(cat out)"
	kill -TERM $pid; wait $pid
	touch d/go2
	"$RB" resume --state-dir "$ST" "$(run_id)" --rerun after </dev/null >out 2>&1; rc=$?
	[ "$(tr '\n' ' ' <d/order)" = "x y " ] || fail "items ran again after the resume: $(tr '\n' ' ' <d/order)"
	expect_rc 0 $rc "resume after the loop"
	ok "a finished for_each uses: step does not run again on resume"
	rm -rf d "$ST"; mkdir d
	"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 500); do [ -f d/in-y ] && break; sleep 0.02; done
	[ -f d/in-y ] || fail "item y never started: $(cat out)"
	kill -TERM $pid; wait $pid
	touch d/go
	"$RB" resume --state-dir "$ST" "$(run_id)" --rerun each.say </dev/null >out 2>&1; expect_rc 2 $? "resume between items"
	grep -q "stopped inside 'each' (for_each on uses:)" out || fail "message: $(cat out)"
	[ "$(tr '\n' ' ' <d/order)" = "x y " ] || fail "items ran again: $(tr '\n' ' ' <d/order)"
	ok "a run stopped between the items of a for_each uses: is not resumed (they would run again)"
	;;

finally-failed)
	mkdir d
	cat >rb.yaml <<'EOF'
runbook: finally-failed
params: {dir: {type: string}}
steps:
  - id: a
    action: exec
    with: {argv: ["true"]}
    rollback:
      - action: exec
        with: {argv: [sh, -c, 'sleep 0.05; date +%s%N >"$1/undone"', sh, "${{ .params.dir }}"]}
  - id: boom
    action: exec
    with: {argv: ["false"]}
finally:
  - id: notify
    action: exec
    with: {argv: [sh, -c, 'date +%s%N >"$3/notified"; echo "$1|$2" >"$3/final"', sh, "${{ .run.status }}", "${{ .run.error // \"\" }}", "${{ .params.dir }}"]}
  - id: broken
    action: exec
    with: {argv: ["false"]}
  - id: seen
    action: exec
    with: {argv: [sh, -c, 'echo "$1" >"$2/seen"', sh, "${{ .steps.broken.status }}/${{ .steps.notify.status }}/${{ .steps.a.status }}", "${{ .params.dir }}"]}
EOF
	run rb.yaml -p dir="$T/d"; expect_rc 1 $? "a failing finally step keeps the exit code"
	case "$(cat d/final)" in
	"failed|step 'boom' failed"*) ;;
	*) fail ".run.status|.run.error: $(cat d/final)" ;;
	esac
	[ "$(cat d/undone)" -lt "$(cat d/notified)" ] || fail "finally ran before the rollback ended"
	order=$(jj 'select(.event=="rollback_step" or (.event=="step_started" and .finally) or .event=="run_finished") | .event' | tr -d '"' | tr '\n' ' ')
	[ "$order" = "rollback_step rollback_step step_started step_started step_started run_finished " ] ||
		fail "journal order: $order"
	[ "$(cat d/seen)" = "failed/succeeded/rolled_back" ] || fail "finally steps' context: $(cat d/seen)"
	[ "$(jj 'select(.event=="run_finished") | .finally_failed')" = '["broken"]' ] || fail "run_finished: no finally_failed"
	grep -q "finally steps failed (the exit code is unchanged): broken" out || fail "not reported: $(cat out)"
	ok "finally runs after the rollback with .run.status failed and .run.error; its failure is reported, exit 1 kept"
	;;

finally-success)
	mkdir d
	cat >rb.yaml <<'EOF'
runbook: finally-success
params: {dir: {type: string}}
steps:
  - id: a
    action: exec
    with: {argv: ["true"]}
finally:
  - id: notify
    action: exec
    with: {argv: [sh, -c, 'echo "$1|$2" >"$3/final"', sh, "${{ .run.status }}", "${{ .run.error // \"\" }}", "${{ .params.dir }}"]}
  - id: broken
    action: exec
    with: {argv: ["false"]}
EOF
	run rb.yaml -p dir="$T/d"; expect_rc 0 $? "a failing finally step after a success"
	[ "$(cat d/final)" = "succeeded|" ] || fail ".run.status|.run.error: $(cat d/final)"
	grep -q "run *succeeded" out || fail "the run does not say succeeded: $(cat out)"
	ok "finally after success: .run.status succeeded, exit 0 although a finally step failed"
	cat >bad.yaml <<'EOF'
runbook: finally-bad
steps:
  - id: a
    action: exec
    with: {argv: ["true"]}
finally:
  - id: first
    action: log
    with: {message: "${{ .steps.second.status }}"}
  - id: second
    action: log
    with: {message: "${{ .steps.a.status }}"}
EOF
	"$RB" validate bad.yaml >out 2>&1; expect_rc 2 $? "finally reading a later finally step"
	grep -q "finally step 'first' reads '.steps.second' but 'second' runs after it" out || fail "message: $(cat out)"
	ok "validation: a finally step may read main steps and earlier finally steps only"
	;;

outputs)
	cat >rb.yaml <<'EOF'
runbook: outputs
outputs:
  greeting: '.steps.a.outputs.text'
  code: .steps.a.result.exit_code
steps:
  - id: a
    action: exec
    with: {argv: [echo, hello]}
    outputs: {text: '.result.stdout | rtrimstr("\n")'}
EOF
	run rb.yaml; expect_rc 0 $? "run"
	grep -q "^ *outputs:" out && grep -q "^ *greeting: hello$" out && grep -q "^ *code: 0$" out ||
		fail "text display: $(cat out)"
	"$RB" run --state-dir "$ST" rb.yaml --output json </dev/null >json 2>&1; expect_rc 0 $? "json run"
	[ "$(jq -c 'select(.event=="run_finished") | .outputs' json)" = '{"greeting":"hello","code":0}' ] ||
		fail "json event: $(tail -1 json)"
	id=$(ls "$ST/runs" | tail -1)
	[ "$(jq -c 'select(.event=="run_finished") | .outputs' "$ST/runs/$id/journal.jsonl")" = '{"greeting":"hello","code":0}' ] ||
		fail "journal"
	"$RB" show --state-dir "$ST" "$id" >show 2>&1
	grep -q "^ *greeting: hello$" show || fail "show: $(cat show)"
	ok "outputs printed at the end (text, json), journaled, shown by show"
	;;

noncritical)
	cat >rb.yaml <<'EOF'
runbook: noncritical
steps:
  - id: opt1
    critical: false
    action: exec
    with: {argv: ["false"]}
  - id: fine
    action: exec
    with: {argv: ["true"]}
  - id: opt2
    critical: false
    action: exec
    with: {argv: ["false"]}
EOF
	run rb.yaml; expect_rc 0 $? "run with failed non-critical steps"
	grep -q "run *succeeded" out || fail "not succeeded: $(cat out)"
	grep -q "non-critical steps failed: opt1, opt2" out || fail "not listed: $(cat out)"
	[ "$(jj 'select(.event=="run_finished") | .noncritical_failed')" = '["opt1","opt2"]' ] || fail "journal"
	ok "failed non-critical steps listed at the end; the run succeeded"
	;;

*)
	fail "unknown case"
	;;
esac
tap_done
