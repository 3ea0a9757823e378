#!/bin/bash
# engine.sh CASE RUNBOOK — engine tests against the real binary (owner: engine helper).
# Each case writes its runbook into a temp dir, runs it with --state-dir there, and checks
# real effects: files and timestamps written by exec steps, the journal, exit codes.
set -u
CASE=$1
RB=$(realpath "$2")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-engine
TAP_OUT=$T/out
ST=$T/state
cd "$T" || exit 1
export NO_COLOR=1

journal() { cat "$ST"/runs/*/journal.jsonl; }
# the only run's id
run_id() { ls "$ST/runs" | head -1; }
# run quietly (no terminal on stdin), output to $T/out
run() { "$RB" run --state-dir "$ST" "$@" </dev/null >"$T/out" 2>&1; }
now_ms() { date +%s%3N; }

case $CASE in

parallel)
	# two branches each sleeping 1 s: with the default pool they overlap;
	# with --max-parallel 1 they do not
	cat >rb.yaml <<'EOF'
runbook: parallel
params: {dir: {type: string}}
steps:
  - id: a
    needs: []
    action: exec
    with: {argv: [sh, -c, 'date +%s%N >"$1/a.start"; sleep 1; date +%s%N >"$1/a.end"', sh, "${{ .params.dir }}"]}
  - id: b
    needs: []
    action: exec
    with: {argv: [sh, -c, 'date +%s%N >"$1/b.start"; sleep 1; date +%s%N >"$1/b.end"', sh, "${{ .params.dir }}"]}
EOF
	mkdir p1 p2
	t0=$(now_ms)
	run rb.yaml -p dir="$T/p1"; expect_rc 0 $? "parallel run"
	t1=$(now_ms)
	as=$(cat p1/a.start) ae=$(cat p1/a.end) bs=$(cat p1/b.start) be=$(cat p1/b.end)
	[ "$as" -lt "$be" ] && [ "$bs" -lt "$ae" ] || fail "branches did not overlap: a=[$as,$ae] b=[$bs,$be]"
	ok "branches overlap; wall time $((t1 - t0)) ms"
	run rb.yaml -p dir="$T/p2" --max-parallel 1; expect_rc 0 $? "serial run"
	as=$(cat p2/a.start) ae=$(cat p2/a.end) bs=$(cat p2/b.start) be=$(cat p2/b.end)
	[ "$ae" -le "$bs" ] || [ "$be" -le "$as" ] || fail "--max-parallel 1 overlapped: a=[$as,$ae] b=[$bs,$be]"
	ok "--max-parallel 1 serialises"
	;;

rollback-order)
	# a, then b (slow) and c (fast) in parallel, then d fails: the rollback steps run
	# in reverse order of completion: b, c, a
	cat >rb.yaml <<'EOF'
runbook: rollback-order
params: {log: {type: string}}
steps:
  - id: a
    action: exec
    with: {argv: [sh, -c, 'echo do-a >>"$1"', sh, "${{ .params.log }}"]}
    rollback:
      - action: exec
        with: {argv: [sh, -c, 'echo undo-a >>"$1"', sh, "${{ .params.log }}"]}
  - id: b
    needs: [a]
    action: exec
    with: {argv: [sh, -c, 'sleep 0.5; echo do-b >>"$1"', sh, "${{ .params.log }}"]}
    rollback:
      - action: exec
        with: {argv: [sh, -c, 'echo undo-b >>"$1"', sh, "${{ .params.log }}"]}
  - id: c
    needs: [a]
    action: exec
    with: {argv: [sh, -c, 'echo do-c >>"$1"', sh, "${{ .params.log }}"]}
    rollback:
      - action: exec
        with: {argv: [sh, -c, 'echo undo-c1 >>"$1"', sh, "${{ .params.log }}"]}
      - action: exec
        with: {argv: [sh, -c, 'echo undo-c2 >>"$1"', sh, "${{ .params.log }}"]}
  - id: d
    needs: [b, c]
    action: exec
    with: {argv: ["false"]}
EOF
	run rb.yaml -p log="$T/log"; expect_rc 1 $? "failing run"
	got=$(tr '\n' ' ' <log)
	want="do-a do-c do-b undo-b undo-c1 undo-c2 undo-a "
	[ "$got" = "$want" ] || fail "order: got '$got', want '$want'"
	# the journal agrees: rollback_step records, and the steps end rolled_back
	n=$(journal | jq -s '[.[] | select(.event=="rollback_step" and .status=="succeeded")] | length')
	[ "$n" = 4 ] || fail "journal has $n succeeded rollback steps, want 4"
	st=$(journal | jq -r -s '[.[] | select(.event=="run_finished")][0].status')
	[ "$st" = failed ] || fail "run status '$st'"
	ok "reverse completion order: $got"
	;;

exit-codes)
	cat >ok.yaml <<'EOF'
runbook: ok
steps:
  - id: one
    action: exec
    with: {argv: ["true"]}
EOF
	cat >fail.yaml <<'EOF'
runbook: fails
params: {dir: {type: string}}
steps:
  - id: made
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/made"]}
    rollback:
      - action: exec
        with: {argv: [rm, "${{ .params.dir }}/made"]}
  - id: boom
    action: exec
    with: {argv: ["false"]}
EOF
	cat >rbfail.yaml <<'EOF'
runbook: rollback-fails
steps:
  - id: made
    action: exec
    with: {argv: ["true"]}
    rollback:
      - action: exec
        with: {argv: ["false"]}
  - id: boom
    action: exec
    with: {argv: ["false"]}
EOF
	cat >declined.yaml <<'EOF'
runbook: declined
params: {dir: {type: string}}
steps:
  - id: made
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/made"]}
    rollback:
      - action: exec
        with: {argv: [rm, "${{ .params.dir }}/made"]}
  - id: go
    confirm: {prompt: "Go?"}
  - id: after
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/after"]}
EOF
	cat >bad.yaml <<'EOF'
runbook: bad
steps:
  - id: one
    action: exce
EOF
	run ok.yaml; expect_rc 0 $? "ok.yaml"
	mkdir d1 d2 d3
	run fail.yaml -p dir="$T/d1"; expect_rc 1 $? "fail.yaml"
	[ ! -e d1/made ] || fail "rollback did not remove d1/made"
	run rbfail.yaml; expect_rc 3 $? "rbfail.yaml (rollback step fails)"
	run declined.yaml -p dir="$T/d2"; expect_rc 4 $? "declined.yaml (no terminal)"
	[ ! -e d2/made ] && [ ! -e d2/after ] || fail "declined run left files"
	run fail.yaml -p dir="$T/d3" --no-rollback; expect_rc 3 $? "fail.yaml --no-rollback"
	[ -e d3/made ] || fail "--no-rollback removed d3/made"
	run bad.yaml; expect_rc 2 $? "bad.yaml"
	[ ! -d "$ST/runs" ] || [ "$(ls "$ST/runs" | wc -l)" = 5 ] || fail "an invalid runbook created a run"
	ok "0 1 3 4 3 2"
	;;

retry)
	cat >rb.yaml <<'EOF'
runbook: retry
params: {dir: {type: string}}
steps:
  - id: flaky
    action: exec
    with: {argv: [sh, -c, 'echo x >>"$1/count"; [ $(wc -l <"$1/count") -ge 3 ]', sh, "${{ .params.dir }}"]}
    retry: {attempts: 5, delay: 50ms, backoff: 2}
  - id: hopeless
    action: exec
    with: {argv: [sh, -c, 'echo x >>"$1/count2"; exit 1', sh, "${{ .params.dir }}"]}
    retry: {attempts: 2, delay: 10ms}
    critical: false
  - id: last
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/last"]}
EOF
	mkdir d
	run rb.yaml -p dir="$T/d"; expect_rc 0 $? "retry run"
	[ "$(wc -l <d/count)" = 3 ] || fail "flaky ran $(wc -l <d/count) times, want 3"
	[ "$(wc -l <d/count2)" = 2 ] || fail "hopeless ran $(wc -l <d/count2) times, want 2"
	[ -e d/last ] || fail "critical: false did not let the run go on"
	n=$(journal | jq -s '[.[] | select(.event=="step_retry" and .step=="flaky")] | length')
	[ "$n" = 2 ] || fail "journal has $n retries of flaky"
	st=$(journal | jq -r -s '[.[] | select(.event=="step_finished" and .step=="hopeless")][0].status')
	[ "$st" = failed ] || fail "hopeless status $st"
	ok "3 attempts, 2 attempts, non-critical failure recorded"
	;;

when)
	cat >rb.yaml <<'EOF'
runbook: when
params: {dir: {type: string}, on: {type: bool, default: false}}
steps:
  - id: maybe
    when: .params.on
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/maybe"]}
  - id: after
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/after-${{ .steps.maybe.status }}"]}
EOF
	mkdir d e
	run rb.yaml -p dir="$T/d"; expect_rc 0 $? "when false"
	[ ! -e d/maybe ] || fail "skipped step ran"
	[ -e d/after-skipped ] || fail "dependant of a skipped step did not run (or status wrong): $(ls d)"
	run rb.yaml -p dir="$T/e" -p on=true; expect_rc 0 $? "when true"
	[ -e e/maybe ] && [ -e e/after-succeeded ] || fail "when true: $(ls e)"
	ok "skipped, dependants run"
	;;

for-each)
	cat >rb.yaml <<'EOF'
runbook: for-each
params: {dir: {type: string}}
steps:
  - id: each
    for_each: '["a", "b", "c", "d", "e"]'
    concurrency: 2
    action: exec
    with:
      argv: [sh, -c, 'echo "start $(date +%s%N)" >>"$1/$2.t"; sleep 0.3; echo "end $(date +%s%N)" >>"$1/$2.t"; echo "item-$2"', sh, "${{ .params.dir }}", "${{ .item }}"]
    outputs:
      out: .result.stdout | rtrimstr("\n")
      item: .item
  - id: check
    assert:
      - that: .steps.each.outputs.out == ["item-a", "item-b", "item-c", "item-d", "item-e"]
      - that: .steps.each.outputs.item == ["a", "b", "c", "d", "e"]
EOF
	mkdir d
	run rb.yaml -p dir="$T/d"; expect_rc 0 $? "for_each run"
	# no more than 2 items at once: sweep the start/end events
	max=$(cat d/*.t | sort -k2 -n | awk '$1=="start"{n++; if(n>m)m=n} $1=="end"{n--} END{print m}')
	[ "$max" = 2 ] || fail "concurrency: $max items at once, want 2"
	n=$(journal | jq -s '[.[] | select(.event=="item_finished" and .step=="each")] | length')
	[ "$n" = 5 ] || fail "$n item_finished events"
	out=$(journal | jq -c -s '[.[] | select(.event=="step_finished" and .step=="each")][0].outputs.out')
	[ "$out" = '["item-a","item-b","item-c","item-d","item-e"]' ] || fail "outputs $out"
	ok "outputs in item order, at most 2 at once"
	;;

wait-file)
	cat >rb.yaml <<'EOF'
runbook: wait-file
params: {file: {type: string}}
steps:
  - id: appear
    wait:
      action: exec
      with: {argv: [test, -e, "${{ .params.file }}"], expect_exit: [0, 1], read_only: true}
      until: .result.exit_code == 0
      interval: 200ms
      timeout: 20s
  - id: broken
    critical: false
    wait:
      action: exec
      with: {argv: [echo, '{"state": "failed"}'], parse: json, read_only: true}
      until: .result.json.state == "available"
      fail_if: .result.json.state == "failed"
  - id: gone
    wait:
      action: exec
      with: {argv: [test, -e, "${{ .params.file }}.never"], expect_exit: [0, 1], read_only: true}
      until: .result.exit_code == 0
      interval: 100ms
      timeout: 1s
    critical: false
EOF
	(sleep 1.5; touch "$T/flag") &
	run rb.yaml -p file="$T/flag" --output json; expect_rc 0 $? "wait run"
	polls=$(journal | jq -s '[.[] | select(.event=="step_finished" and .step=="appear")][0].polls')
	lag=$(journal | jq -s '[.[] | select(.event=="step_finished" and .step=="appear")][0].detection_lag_ms')
	[ "$polls" -ge 3 ] || fail "appear: $polls polls"
	[ "$lag" -gt 0 ] && [ "$lag" -le 2000 ] || fail "detection lag $lag"
	np=$(grep -c '"event":"wait_poll"' out)
	[ "$np" -ge 2 ] || fail "$np wait_poll events in the output"
	err=$(journal | jq -r -s '[.[] | select(.event=="step_finished" and .step=="broken")][0].error.message')
	case $err in *"fail_if held after 1 poll:"*) ;; *) fail "broken: error '$err'";; esac
	err=$(journal | jq -r -s '[.[] | select(.event=="step_finished" and .step=="gone")][0].error.message')
	case $err in *"timed out"*) ;; *) fail "gone: error '$err'";; esac
	ok "$polls polls, detection lag <= $lag ms; timeout reported"
	;;

confirm)
	cat >rb.yaml <<'EOF'
runbook: confirm
params: {dir: {type: string}}
steps:
  - id: go
    confirm: {prompt: "Really?", phrase: "yes-really"}
  - id: do
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/done"]}
EOF
	mkdir d1 d2 d3
	run rb.yaml -p dir="$T/d1"; expect_rc 4 $? "no terminal"
	[ ! -e d1/done ] || fail "ran without approval"
	grep -q -- "--approve go" out || fail "no hint about --approve: $(cat out)"
	st=$(journal | jq -r -s '[.[] | select(.event=="confirm")][0].status')
	[ "$st" = declined ] || fail "journal: $st"
	rm -rf "$ST"
	run rb.yaml -p dir="$T/d2" --yes; expect_rc 0 $? "--yes"
	by=$(journal | jq -r -s '[.[] | select(.event=="confirm" and .status=="approved")][0] | "\(.by) \(.at)"')
	case $by in "--yes 20"*) ;; *) fail "approval journaled as '$by'";; esac
	rm -rf "$ST"
	run rb.yaml -p dir="$T/d3" --approve go; expect_rc 0 $? "--approve go"
	by=$(journal | jq -r -s '[.[] | select(.event=="confirm" and .status=="approved")][0].by')
	[ "$by" = "--approve" ] || fail "approval journaled as '$by'"
	[ -e d2/done ] && [ -e d3/done ] || fail "approved runs did not run the step"
	# --approve of a step that is not a confirmation is a usage error: nothing runs
	rm -rf "$ST"; mkdir d5
	run rb.yaml -p dir="$T/d5" --approve do; expect_rc 2 $? "--approve of an action step"
	[ ! -e d5/done ] || fail "ran after a bad --approve"
	grep -q "not a confirmation" out || fail "no message for a bad --approve: $(cat out)"
	# on a terminal (script(1) gives one) the typed phrase approves
	if command -v script >/dev/null; then
		rm -rf "$ST"; mkdir d4
		printf 'yes-really\n' | script -qec "$RB run --state-dir $ST rb.yaml -p dir=$T/d4" /dev/null >out 2>&1
		rc=$?
		expect_rc 0 $rc "typed phrase on a terminal"
		by=$(journal | jq -r -s '[.[] | select(.event=="confirm" and .status=="approved")][0].by')
		[ -n "$by" ] && [ "$by" != "--yes" ] || fail "terminal approval by '$by'"
		[ -e d4/done ] || fail "terminal-approved run did not run the step"
		ok "typed phrase on a terminal, approved by $by"
	fi
	ok "refused without terminal; --yes and --approve journaled"
	;;

assert)
	cat >rb.yaml <<'EOF'
runbook: assert
params: {n: {type: int}, name: {type: string}}
steps:
  - id: count
    action: exec
    with: {argv: [echo, "${{ .params.n }}"], read_only: true}
    outputs: {rows: .result.stdout | rtrimstr("\n") | tonumber}
  - id: check
    assert:
      - that: .steps.count.outputs.rows == 3
        message: "expected 3 rows"
      - that: .params.name == "orders"
      - that: .steps.count.outputs.rows > 0
EOF
	run rb.yaml -p n=2 -p name=custs; expect_rc 1 $? "failing assert"
	grep -q 'expected 3 rows' out || fail "message missing: $(cat out)"
	grep -q 'left: 2, right: 3' out || fail "values of the first comparison missing: $(cat out)"
	grep -q 'left: "custs", right: "orders"' out || fail "values of the second comparison missing: $(cat out)"
	n=$(journal | jq -s '[.[] | select(.event=="step_finished" and .step=="check")][0].error.failed')
	[ "$n" = 2 ] || fail "$n failures journaled, want 2"
	rm -rf "$ST"
	run rb.yaml -p n=3 -p name=orders; expect_rc 0 $? "passing assert"
	ok "both failing comparisons shown with their values"
	;;

dry-run)
	cat >rb.yaml <<'EOF'
runbook: dry-run
params: {dir: {type: string}}
steps:
  - id: look
    action: exec
    with: {argv: [echo, "hello"], read_only: true}
    outputs: {word: .result.stdout | rtrimstr("\n")}
  - id: make
    action: exec
    with: {argv: [sh, -c, 'touch "$1/made"; echo made', sh, "${{ .params.dir }}"]}
    outputs: {what: .result.stdout}
    rollback:
      - action: exec
        with: {argv: [rm, "${{ .params.dir }}/made"]}
  - id: each
    for_each: '[1, 2, 3]'
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/item-${{ .item }}"]}
  - id: use
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/${{ .steps.make.outputs.what }}", "${{ .params.dir }}/${{ .steps.look.outputs.word }}"]}
  - id: check
    assert:
      - that: .steps.look.outputs.word == "hello"
      - that: .steps.make.outputs.what == "made\n"
  - id: wait_made
    wait:
      action: exec
      with: {argv: [test, -e, "${{ .params.dir }}/made"], expect_exit: [0, 1], read_only: true}
      until: .result.exit_code == 0
      timeout: 2s
  - id: go
    confirm: {prompt: "publish?"}
  - id: publish
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/published"]}
EOF
	mkdir d
	run rb.yaml -p dir="$T/d" --dry-run --output json; expect_rc 0 $? "dry run"
	[ -z "$(ls -A d)" ] || fail "dry run created: $(ls d)"
	n=$(grep -c '"event":"mutation"' out)
	[ "$n" -ge 6 ] || fail "$n mutation events, want >= 6 (make, 3 items, use, wait, publish)"
	grep '"event":"mutation"' out | grep '"step":"use"' | grep -q '(unknown)' || fail "unknown output not shown as (unknown)"
	grep '"event":"mutation"' out | grep '"step":"use"' | grep -q 'hello' || fail "known read-only output not resolved"
	grep -q 'not evaluated' out || fail "assert over unknown output not marked 'not evaluated'"
	n=$(journal | jq -s '[.[] | select(.event=="call" and .mode=="run")] | length')
	[ "$n" = 1 ] || fail "$n real calls in dry run, want 1 (the read-only one)"
	ok "nothing created; $n read-only call; mutations described"
	;;

secret)
	cat >rb.yaml <<'EOF'
runbook: secret
params:
  password: {type: string, secret: true}
  dir: {type: string}
steps:
  - id: use
    action: exec
    with: {argv: [sh, -c, 'echo "pw=$1"; echo "$1" >"$2/pw"', sh, "${{ .params.password }}", "${{ .params.dir }}"]}
    outputs: {said: .result.stdout}
  - id: show
    action: log
    with: {message: "the password is ${{ .params.password }}"}
  - id: fail
    assert:
      - that: .params.password == "other"
EOF
	mkdir d
	run rb.yaml -p password=Sup3rS3cretValue -p dir="$T/d" --output json --record "$T/tape"; expect_rc 1 $? "secret run"
	[ "$(cat d/pw)" = Sup3rS3cretValue ] || fail "the action did not get the secret"
	if grep -rl Sup3rS3cretValue "$ST" out tape; then fail "secret leaked into the files above"; fi
	grep -q '\*\*\*' out || fail "no masked value in the output"
	[ -s tape ] || fail "empty tape"
	ok "secret only in the file the action wrote"
	;;

resume)
	# kill -9 while a step runs; resume finishes without repeating completed steps
	cat >rb.yaml <<'EOF'
runbook: resume
params: {dir: {type: string}}
steps:
  - id: one
    action: exec
    with: {argv: [sh, -c, 'echo one >>"$1/count"', sh, "${{ .params.dir }}"]}
  - id: pause
    action: sleep
    with: {duration: 3s}
  - id: go
    confirm: {prompt: "go on?"}
  - id: two
    action: exec
    with: {argv: [sh, -c, 'echo two >>"$1/count"', sh, "${{ .params.dir }}"]}
EOF
	mkdir d
	# approved in advance: the approval holds for the resume
	"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" --approve go </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -n "$(ls "$ST/runs" 2>/dev/null)" ] && journal | grep -q '"step_started".*"step":"pause"' && break
		sleep 0.05
	done
	journal | grep -q '"step_started".*"step":"pause"' || fail "pause never started"
	kill -9 $pid; wait $pid 2>/dev/null
	[ "$(cat d/count)" = one ] || fail "before resume: $(cat d/count)"
	id=$(run_id)
	"$RB" resume --state-dir "$ST" "$id" </dev/null >out 2>&1; expect_rc 0 $? "resume"
	[ "$(tr '\n' ' ' <d/count)" = "one two " ] || fail "after resume: $(tr '\n' ' ' <d/count)"
	"$RB" resume --state-dir "$ST" "$id" </dev/null >out 2>&1; expect_rc 2 $? "resume of a finished run"
	by=$(journal | jq -r -s '[.[] | select(.event=="confirm")][0].by')
	[ "$by" = "--approve" ] || fail "approval after resume: '$by'"
	ok "completed step not repeated; sleep re-run; --approve held"

	# a mutating, non-idempotent step running at the crash: refuse without a terminal
	cat >rb2.yaml <<'EOF'
runbook: resume2
params: {dir: {type: string}}
steps:
  - id: one
    action: exec
    with: {argv: [sh, -c, 'echo one >>"$1/count"', sh, "${{ .params.dir }}"]}
  - id: slow
    action: exec
    with: {argv: [sh, -c, 'echo slow >>"$1/count"; sleep 3', sh, "${{ .params.dir }}"]}
  - id: two
    action: exec
    with: {argv: [sh, -c, 'echo two >>"$1/count"', sh, "${{ .params.dir }}"]}
EOF
	rm -rf "$ST" d; mkdir d
	"$RB" run --state-dir "$ST" rb2.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ "$(cat d/count 2>/dev/null | wc -l)" = 2 ] && break
		sleep 0.05
	done
	sleep 0.2
	kill -9 $pid; wait $pid 2>/dev/null
	id=$(run_id)
	"$RB" resume --state-dir "$ST" "$id" </dev/null >out 2>&1; expect_rc 2 $? "resume with an uncertain step"
	grep -q -- "--rerun slow" out || fail "no clear message: $(cat out)"
	[ "$(tr '\n' ' ' <d/count)" = "one slow " ] || fail "refusing resume ran something: $(cat d/count)"
	"$RB" resume --state-dir "$ST" "$id" --rerun slow </dev/null >out 2>&1; expect_rc 0 $? "resume --rerun slow"
	[ "$(tr '\n' ' ' <d/count)" = "one slow slow two " ] || fail "after --rerun: $(tr '\n' ' ' <d/count)"
	ok "uncertain step: refused, then re-run on request"
	;;

interrupt)
	cat >rb.yaml <<'EOF'
runbook: interrupt
params: {dir: {type: string}}
steps:
  - id: one
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/one"]}
    rollback:
      - action: exec
        with: {argv: [rm, "${{ .params.dir }}/one"]}
  - id: pause
    action: sleep
    with: {duration: 2s}
  - id: two
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/two"]}
EOF
	mkdir d
	"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ -e d/one ] && break; sleep 0.05; done
	sleep 0.3
	kill -INT $pid
	wait $pid; rc=$?
	expect_rc 4 $rc "one Ctrl-C"
	[ ! -e d/one ] && [ ! -e d/two ] || fail "graceful abort left $(ls d)"
	ok "Ctrl-C once: running step finished, rolled back, exit 4"
	rm -rf "$ST" d; mkdir d
	"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ -e d/one ] && break; sleep 0.05; done
	sleep 0.3
	kill -INT $pid; sleep 0.3; kill -INT $pid
	wait $pid; rc=$?
	expect_rc 3 $rc "two Ctrl-C"
	[ -e d/one ] || fail "stop-now rolled back"
	"$RB" resume --state-dir "$ST" "$(run_id)" </dev/null >out 2>&1; expect_rc 0 $? "resume after stop"
	[ -e d/two ] || fail "resume did not finish"
	ok "Ctrl-C twice: stopped at once (exit 3), resumable"
	rm -rf "$ST" d; mkdir d
	"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ -e d/one ] && break; sleep 0.05; done
	sleep 0.3
	kill -TERM $pid
	wait $pid; rc=$?
	expect_rc 3 $rc "SIGTERM"
	[ -e d/one ] && [ ! -e d/two ] || fail "SIGTERM: $(ls d)"
	journal | grep -q '"event":"run_interrupted"' || fail "no run_interrupted in the journal"
	"$RB" resume --state-dir "$ST" "$(run_id)" </dev/null >out 2>&1; expect_rc 0 $? "resume after SIGTERM"
	[ -e d/two ] || fail "resume after SIGTERM did not finish"
	ok "SIGTERM: stopped at once (exit 3), resumable"
	;;

timeouts)
	cat >rb.yaml <<'EOF'
runbook: timeouts
steps:
  - id: slow
    action: exec
    with: {argv: [sleep, "10"]}
    timeout: 500ms
EOF
	cat >rb2.yaml <<'EOF'
runbook: run-timeout
timeout: 700ms
steps:
  - id: slow
    action: sleep
    with: {duration: 10s}
EOF
	t0=$(now_ms)
	run rb.yaml; expect_rc 1 $? "step timeout"
	run rb2.yaml; expect_rc 1 $? "run timeout"
	t1=$(now_ms)
	[ $((t1 - t0)) -lt 5000 ] || fail "timeouts took $((t1 - t0)) ms"
	grep -q 'timed out' out || fail "no timeout message: $(cat out)"
	ok "step and run timeouts in $((t1 - t0)) ms"
	;;

history)
	cat >rb.yaml <<'EOF'
runbook: hist
steps:
  - id: one
    action: exec
    with: {argv: ["true"]}
EOF
	run rb.yaml; expect_rc 0 $? run1
	sleep 1.1
	run rb.yaml --dry-run; expect_rc 0 $? run2
	"$RB" history --state-dir "$ST" >out 2>&1 || fail "history failed"
	[ "$(grep -c '^20.*hist' out)" = 2 ] || fail "history: $(cat out)"
	grep -q succeeded out || fail "history without status: $(cat out)"
	"$RB" show --state-dir "$ST" "$(run_id)" >out 2>&1 || fail "show failed: $(cat out)"
	grep -q one out || fail "show without the step: $(cat out)"
	"$RB" show --state-dir "$ST" "$(run_id)" --format json | jq -e '.status == "succeeded"' >/dev/null || fail "show --format json"
	[ -s "$ST/runs/$(run_id)/plan.json" ] && [ -s "$ST/runs/$(run_id)/params.json" ] && [ -s "$ST/runs/$(run_id)/runbook.yaml" ] || fail "run directory incomplete: $(ls "$ST/runs/$(run_id)")"
	ok "history lists 2 runs; show renders"
	;;

uses)
	# a `uses:` step runs another runbook in its own scope: params in, outputs out,
	# and its steps are compensated like the caller's own
	cat >child.yaml <<'EOF'
runbook: child
params:
  dir: {type: string, required: true}
  name: {type: string, default: x}
outputs:
  made: .steps.make.outputs.file
steps:
  - id: make
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/${{ .params.name }}"]}
    outputs: {file: '"\(.params.dir)/\(.params.name)"'}
    rollback:
      - action: exec
        with: {argv: [rm, "${{ .params.dir }}/${{ .params.name }}"]}
EOF
	cat >parent.yaml <<'EOF'
runbook: parent
params: {dir: {type: string}, fail: {type: bool, default: false}}
steps:
  - id: first
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/first"]}
  - id: sub
    uses: ./child.yaml
    with: {dir: "${{ .params.dir }}", name: child-file}
  - id: after
    action: exec
    with: {argv: [sh, -c, 'echo "$1" >"$2/after"; test "$3" = false', sh, "${{ .steps.sub.outputs.made }}", "${{ .params.dir }}", "${{ .params.fail }}"]}
EOF
	mkdir d e
	run parent.yaml -p dir="$T/d"; expect_rc 0 $? "uses run"
	[ -e d/child-file ] || fail "child step did not run"
	[ "$(cat d/after)" = "$T/d/child-file" ] || fail "child output: '$(cat d/after)'"
	run parent.yaml -p dir="$T/e" -p fail=true; expect_rc 1 $? "uses run, failing"
	[ ! -e e/child-file ] || fail "child step not rolled back"
	ok "params in, outputs out, child step rolled back"
	;;

foreach-rollback)
	# each completed item is compensated with its own .item, newest first
	cat >rb.yaml <<'EOF'
runbook: foreach-rollback
params: {dir: {type: string}}
steps:
  - id: each
    for_each: '[3, 1, 2]'
    concurrency: 1
    action: exec
    with: {argv: [sh, -c, 'sleep 0.$2; touch "$1/item-$2"', sh, "${{ .params.dir }}", "${{ .item }}"]}
    rollback:
      - action: exec
        with: {argv: [sh, -c, 'rm "$1/item-$2"; echo "undo-$2" >>"$1/log"', sh, "${{ .params.dir }}", "${{ .item }}"]}
  - id: boom
    action: exec
    with: {argv: ["false"]}
EOF
	mkdir d
	run rb.yaml -p dir="$T/d"; expect_rc 1 $? "failing run"
	[ "$(tr '\n' ' ' <d/log)" = "undo-2 undo-1 undo-3 " ] || fail "order: $(tr '\n' ' ' <d/log)"
	[ -z "$(ls d | grep item)" ] || fail "items left: $(ls d)"
	ok "items undone newest first"
	;;

record)
	cat >rb.yaml <<'EOF'
runbook: record
steps:
  - id: hello
    action: exec
    with: {argv: [echo, hello], read_only: true}
  - id: bye
    action: log
    with: {message: bye}
EOF
	run rb.yaml --record "$T/tape"; expect_rc 0 $? "recorded run"
	# tape v1 (runbook-tape(5)): a header, one line per call, the end line
	[ "$(wc -l <tape)" = 4 ] || fail "tape has $(wc -l <tape) lines"
	jq -s -e '.[0].tape==1 and .[0].runbook=="record" and .[-1].end==true and .[-1].status=="succeeded"' tape >/dev/null || fail "tape header/end: $(head -1 tape)"
	jq -s -e '[.[] | select(.step=="hello")][0] | .action=="exec" and .args.argv==["echo","hello"] and .result.stdout=="hello\n" and .ok and (.duration_ms|type)=="number" and (.at|type)=="number" and (.seq|type)=="number"' tape >/dev/null || fail "tape line: $(sed -n 2p tape)"
	ok "one line per call with args, result, timing"
	;;

resume-foreach)
	# kill -9 in the middle of a for_each: finished items are not run again, the one
	# that was running is uncertain (exec changes things) and runs again only on request
	cat >rb.yaml <<'EOF'
runbook: resume-foreach
params: {dir: {type: string}}
steps:
  - id: each
    for_each: '[1, 2, 3, 4, 5]'
    concurrency: 1
    action: exec
    with: {argv: [sh, -c, 'echo "$2" >>"$1/count"; sleep 0.4', sh, "${{ .params.dir }}", "${{ .item }}"]}
    outputs: {n: .item}
  - id: check
    assert:
      - that: .steps.each.outputs.n == [1, 2, 3, 4, 5]
EOF
	mkdir d
	"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		[ "$(cat d/count 2>/dev/null | wc -l)" = 3 ] && break
		sleep 0.02
	done
	kill -9 $pid; wait $pid 2>/dev/null
	[ "$(tr '\n' ' ' <d/count)" = "1 2 3 " ] || fail "before resume: $(tr '\n' ' ' <d/count)"
	id=$(run_id)
	"$RB" resume --state-dir "$ST" "$id" </dev/null >out 2>&1; expect_rc 2 $? "resume with an uncertain item"
	grep -q -- "--rerun each" out || fail "no clear message: $(cat out)"
	"$RB" resume --state-dir "$ST" "$id" --rerun each </dev/null >out 2>&1; expect_rc 0 $? "resume --rerun each"
	[ "$(tr '\n' ' ' <d/count)" = "1 2 3 3 4 5 " ] || fail "after resume: $(tr '\n' ' ' <d/count)"
	ok "items 1 and 2 not repeated; outputs complete in item order"
	;;

interrupt-rollback)
	# Ctrl-C twice during the rollback stops at once; resume finishes the rollback
	cat >rb.yaml <<'EOF'
runbook: interrupt-rollback
params: {dir: {type: string}}
steps:
  - id: a
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/a"]}
    rollback:
      - action: exec
        with: {argv: [sh, -c, 'rm "$1/a"; echo undo-a >>"$1/log"', sh, "${{ .params.dir }}"]}
  - id: b
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/b"]}
    rollback:
      - action: exec
        with: {argv: [sh, -c, 'echo undo-b-start >>"$1/log"; sleep 3; rm "$1/b"; echo undo-b >>"$1/log"', sh, "${{ .params.dir }}"]}
  - id: boom
    action: exec
    with: {argv: ["false"]}
EOF
	mkdir d
	"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 200); do grep -q undo-b-start d/log 2>/dev/null && break; sleep 0.02; done
	kill -INT $pid; sleep 0.3; kill -INT $pid
	wait $pid; rc=$?
	expect_rc 3 $rc "two Ctrl-C during the rollback"
	[ -e d/a ] && [ -e d/b ] || fail "rollback not stopped at once: $(ls d)"
	# the rollback step was in flight (its call journaled) and exec cannot be checked:
	# the same rule as forward steps, the operator says whether to run it again
	"$RB" resume --state-dir "$ST" "$(run_id)" </dev/null >out 2>&1; expect_rc 2 $? "resume with a rollback call in flight"
	grep -q -- "--rerun b.rollback.1" out || fail "no --rerun for the rollback step: $(cat out)"
	[ "$(grep -c '^undo-b-start' d/log)" = 1 ] || fail "the refusing resume ran the rollback step again"
	"$RB" resume --state-dir "$ST" "$(run_id)" --rerun b.rollback.1 </dev/null >out 2>&1; expect_rc 1 $? "resume finishes the rollback"
	[ ! -e d/a ] && [ ! -e d/b ] || fail "after resume: $(ls d)"
	[ "$(grep -c '^undo-a' d/log)" = 1 ] || fail "undo-a ran $(grep -c '^undo-a' d/log) times"
	ok "rollback stopped at once, resumed to completion (exit 1)"
	;;

signals)
	# SIGHUP (a dropped ssh session) and SIGTERM stop at once like a second Ctrl-C: the
	# exec child (its own process group) is stopped and reaped, the journal says where
	# the run stopped and by what, exit 3, and the run resumes
	cat >rb.yaml <<'EOF'
runbook: signals
params: {dir: {type: string}}
steps:
  - id: one
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/one"]}
  - id: slow
    action: exec
    with: {argv: [sh, -c, 'touch "$1/slow.started"; sleep 2; touch "$1/late"', sh, "${{ .params.dir }}"]}
  - id: two
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/two"]}
EOF
	for sig in HUP TERM; do
		rm -rf "$ST" d; mkdir d
		"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
		pid=$!
		for _ in $(seq 200); do [ -e d/slow.started ] && break; sleep 0.02; done
		[ -e d/slow.started ] || fail "$sig: slow never started"
		kill -$sig $pid
		wait $pid; rc=$?
		expect_rc 3 $rc "SIG$sig"
		sleep 2.5
		[ ! -e d/late ] || fail "SIG$sig: the exec child went on after runbook stopped"
		journal | jq -e -s --arg s "SIG$sig" 'any(.[]; .event == "run_interrupted" and .signal == $s and
			.running == ["slow"] and .exit_code == 3)' >/dev/null ||
			fail "SIG$sig: no run_interrupted naming the signal and the running step: $(journal | grep interrupted)"
		# slow's call was made and exec cannot be checked: the operator decides
		"$RB" resume --state-dir "$ST" "$(run_id)" </dev/null >out 2>&1; expect_rc 2 $? "resume after SIG$sig"
		"$RB" resume --state-dir "$ST" "$(run_id)" --rerun slow </dev/null >out 2>&1; expect_rc 0 $? "resume --rerun slow"
		[ -e d/late ] && [ -e d/two ] || fail "SIG$sig: resume did not finish: $(ls d)"
	done
	ok "SIGHUP and SIGTERM: child stopped, journal says where, exit 3, resumable"
	;;
run-ids)
	# RUN-IDs name folders in DIR/runs and nothing else
	mkdir -p outside "$ST/runs"
	printf '%s\n' '{"event":"run_started","time":"2026-01-01T00:00:00Z","run":"x","runbook":"leak","steps":[]}' \
		'{"event":"run_finished","time":"2026-01-01T00:00:01Z","run":"x","status":"succeeded","exit_code":0}' \
		>outside/journal.jsonl
	for id in ../../outside ../outside /etc .. . a/b "" -x .hidden; do
		"$RB" show --state-dir "$ST" -- "$id" </dev/null >out 2>err; rc=$?
		expect_rc 2 $rc "show '$id'"
		grep -q "invalid RUN-ID" err || fail "show '$id': $(cat err)"
		grep -q leak out && fail "show '$id' read a journal outside the state folder"
		"$RB" resume --state-dir "$ST" -- "$id" </dev/null >out 2>err; rc=$?
		expect_rc 2 $rc "resume '$id'"
		grep -q "invalid RUN-ID" err || fail "resume '$id': $(cat err)"
	done
	ok "resume and show reject ids outside the state folder (exit 2)"
	;;
setup-errors)
	# a run that cannot start says why on stderr, not as an event on stdout
	printf 'runbook: x\nsteps:\n  - id: a\n    action: log\n    with: {message: hi}\n' >rb.yaml
	for o in text json; do
		"$RB" run rb.yaml --state-dir /proc/nope --output $o </dev/null >out 2>err; rc=$?
		expect_rc 2 $rc "--output $o"
		grep -q "cannot create '/proc/nope/runs'" err || fail "--output $o: no message on stderr: $(cat err)"
		grep -q "cannot create" out && fail "--output $o: the error went to stdout: $(cat out)"
	done
	ok "set-up errors on stderr, exit 2"
	;;
redacted-copy)
	# the run folder keeps the runbook with literal connection secrets masked, 0700/0600;
	# resume reloads the original when its sha256 matches and refuses a masked copy
	cat >rb.yaml <<'EOF'
runbook: redacted
params: {dir: {type: string}}
connections:
  pg: {main: {conninfo: "host=db.internal dbname=app user=app password=Hunter2-conn-Secret"}}
  redis: {cache: {host: cache.internal, password: "R3dis-Literal-Pass"}}
steps:
  - id: one
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/one"]}
  - id: pause
    action: sleep
    with: {duration: 3s}
  - id: two
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/two"]}
EOF
	mkdir d
	start_kill() {
		"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
		pid=$!
		for _ in $(seq 200); do journal 2>/dev/null | grep -q '"step_started".*"step":"pause"' && break; sleep 0.02; done
		kill -9 $pid; wait $pid 2>/dev/null
	}
	start_kill
	grep -rl -e Hunter2-conn-Secret -e R3dis-Literal-Pass "$ST" && fail "a literal secret is in the run folder"
	grep -q 'password=\*\*\*' "$ST/runs/$(run_id)/runbook.yaml" || fail "runbook.yaml not kept: $(ls "$ST/runs/$(run_id)")"
	[ "$(stat -c %a "$ST/runs/$(run_id)")" = 700 ] || fail "run folder mode $(stat -c %a "$ST/runs/$(run_id)")"
	bad=$(find "$ST/runs/$(run_id)" -type f ! -perm 600; find "$ST/runs/$(run_id)" -type d ! -perm 700)
	[ -z "$bad" ] || fail "not 0600/0700: $bad"
	"$RB" resume --state-dir "$ST" "$(run_id)" </dev/null >out 2>&1; expect_rc 0 $? "resume with the original unchanged"
	[ -e d/two ] || fail "resume did not finish"
	rm -rf "$ST" d; mkdir d
	start_kill
	echo "# edited" >>rb.yaml
	"$RB" resume --state-dir "$ST" "$(run_id)" </dev/null >out 2>&1; expect_rc 2 $? "resume with the original changed"
	grep -q "secrets masked" out || fail "no clear message: $(cat out)"
	[ ! -e d/two ] || fail "a refused resume ran"
	ok "copies masked, 0700/0600; resume uses the original by sha256, refuses a masked copy"
	;;
resume-rehearsal)
	# a rehearsal stopped before its end cannot be resumed: its simulated world is gone, and
	# a resume would run the steps for real (it did: the real clock, real connections)
	cat >rb.yaml <<'EOF'
runbook: resume-rehearsal
params: {dir: {type: string}}
steps:
  - id: a
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/a"], read_only: true}
  - id: later
    needs: [a]
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/later"], read_only: true}
EOF
	echo "scenario: resume-rehearsal" >sc.yaml
	mkdir d
	"$RB" rehearse rb.yaml --scenario sc.yaml -p dir="$T/d" --state-dir "$ST" </dev/null >out 2>&1
	expect_rc 0 $? "rehearsal"
	# as if stopped after step a: its journal up to a's end
	j=$ST/runs/$(run_id)/journal.jsonl
	sed -i '/"step":"later"/d; /"run_finished"/d' "$j"
	rm -f d/a d/later
	"$RB" resume --state-dir "$ST" "$(run_id)" </dev/null >out 2>&1; expect_rc 2 $? "resume of a rehearsal"
	grep -q "was a rehearsal: it cannot be resumed" out || fail "no reason given: $(cat out)"
	[ ! -e d/later ] || fail "the resume ran a rehearsal's step for real"
	ok "a rehearsal is not resumed (exit 2), nothing ran"
	;;
resume-failing)
	# killed after a step failed but before the rollback began (a parallel branch was
	# still running): the resume rolls back; it does not go on with the failed run
	cat >rb.yaml <<'EOF'
runbook: resume-failing
params: {dir: {type: string}}
steps:
  - id: a
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/a"]}
    rollback:
      - action: exec
        with: {argv: [rm, "${{ .params.dir }}/a"]}
  - id: boom
    needs: [a]
    action: exec
    with: {argv: ["false"]}
  - id: slow
    needs: [a]
    action: sleep
    with: {duration: 3s}
  - id: after
    needs: [boom]
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/after"]}
EOF
	mkdir d
	"$RB" run --state-dir "$ST" rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 200); do journal 2>/dev/null | grep -q '"step_finished".*"step":"boom"' && break; sleep 0.02; done
	kill -9 $pid; wait $pid 2>/dev/null
	journal | grep -q '"rollback_started"' && fail "the rollback began before the kill"
	"$RB" resume --state-dir "$ST" "$(run_id)" </dev/null >out 2>&1; expect_rc 1 $? "resume of a failing run"
	[ ! -e d/after ] || fail "the resume ran a step after the failed one"
	[ ! -e d/a ] || fail "the resume did not roll back"
	ok "killed between a failure and its rollback: the resume rolls back (exit 1)"
	;;
kill-anywhere)
	# kill -9 at random moments, resume each time (acting as the operator when asked
	# about a step that was running: --done if its line is in the log, else --rerun);
	# in the end every step's effect happened exactly once
	{
		echo "runbook: kill-anywhere"
		echo "params: {log: {type: string}}"
		echo "steps:"
		for i in 1 2 3 4 5 6 7 8; do
			echo "  - id: s$i"
			echo "    action: exec"
			echo "    with: {argv: [sh, -c, 'echo s$i >>\"\$1\"; sleep 0.0$i', sh, \"\${{ .params.log }}\"]}"
		done
	} >rb.yaml
	RANDOM=$$
	kills=0 asked=0 rc=1
	for round in $(seq 25); do
		opts=()
		if [ -n "$(ls "$ST/runs" 2>/dev/null)" ]; then
			"$RB" resume --state-dir "$ST" "$(run_id)" </dev/null >out 2>&1
			r=$?
			if [ $r = 2 ] && step=$(grep -o 'resume with --rerun [a-z0-9_]*' out | head -1 | awk '{print $4}') && [ -n "$step" ]; then
				asked=$((asked + 1))
				if grep -qx "$step" log 2>/dev/null; then opts=(--done "$step"); else opts=(--rerun "$step"); fi
			elif [ $r = 2 ] && grep -q "already finished" out; then
				rc=0; break
			fi
			cmd=("$RB" resume --state-dir "$ST" "$(run_id)" "${opts[@]}")
		else
			cmd=("$RB" run --state-dir "$ST" rb.yaml -p log="$T/log")
		fi
		"${cmd[@]}" </dev/null >out 2>&1 &
		pid=$!
		sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
		if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
		wait $pid 2>/dev/null
		r=$?
		[ $r = 0 ] && { rc=0; break; }
		[ $r = 137 ] || [ $r = 2 ] || { cat out; fail "round $round: exit $r"; }
	done
	if [ $rc != 0 ] && [ -z "$(ls "$ST/runs" 2>/dev/null)" ]; then
		# every kill came before a run had started: run it without killing
		run rb.yaml -p log="$T/log"; expect_rc 0 $? "run without kills"
		rc=0
	fi
	if [ $rc != 0 ]; then
		# stop killing: finish it
		"$RB" resume --state-dir "$ST" "$(run_id)" </dev/null >out 2>&1; r=$?
		if [ $r = 2 ] && step=$(grep -o 'resume with --rerun [a-z0-9_]*' out | head -1 | awk '{print $4}') && [ -n "$step" ]; then
			if grep -qx "$step" log; then opts=(--done "$step"); else opts=(--rerun "$step"); fi
			"$RB" resume --state-dir "$ST" "$(run_id)" "${opts[@]}" </dev/null >out 2>&1; r=$?
		fi
		[ $r = 0 ] || [ $r = 2 ] && grep -q "already finished" out || [ $r = 0 ] || { cat out; fail "final resume: exit $r"; }
	fi
	for i in 1 2 3 4 5 6 7 8; do
		n=$(grep -cx "s$i" log)
		[ "$n" = 1 ] || fail "s$i happened $n times ($kills kills, $asked questions): $(tr '\n' ' ' <log)"
	done
	ok "8 steps, $kills kills, $asked operator answers: every effect exactly once"
	;;

*)
	fail "unknown case"
	;;
esac
tap_done
