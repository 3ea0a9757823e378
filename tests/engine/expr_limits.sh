#!/bin/bash
# expr_limits.sh RUNBOOK — jq expressions that never end or eat memory, through `runbook run`:
# the step fails within bounded time, the rollback of an earlier step runs, exit 1; a step's
# timeout bounds its expressions; SIGINT and SIGTERM stop a hanging evaluation.
# Small limits for speed: RUNBOOK_EXPR_TIMEOUT=1s, RUNBOOK_EXPR_MEM_MB=64 (runbook(1)).
set -u
RB=$(realpath "$1")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-exprlim
TAP_OUT=$T/out
cd "$T" || exit 1
export NO_COLOR=1 RUNBOOK_EXPR_TIMEOUT=1s RUNBOOK_EXPR_MEM_MB=64
BOUND=120   # seconds: a run still going by then hangs (kill -9 by timeout)

# runbook LOCATION EXPR: step `first` creates a file (its rollback removes it), step
# `spin` evaluates EXPR at LOCATION, step `after` would create another file
runbook() {
	local loc=$1 ex=$2
	cat <<EOF
runbook: limits
params: {dir: {type: string}}
steps:
  - id: first
    action: exec
    with: {argv: [touch, "\${{ .params.dir }}/first"]}
    rollback:
      - action: exec
        with: {argv: [rm, "\${{ .params.dir }}/first"]}
EOF
	case $loc in
	when) printf '  - id: spin\n    when: %s\n    action: log\n    with: {message: never}\n' "'$ex'" ;;
	that) printf '  - id: spin\n    assert:\n      - that: %s\n' "'$ex'" ;;
	outputs) printf '  - id: spin\n    action: log\n    with: {message: x}\n    outputs: {x: %s}\n' "'$ex'" ;;
	template) printf '  - id: spin\n    action: log\n    with: {message: "a ${{ %s }}"}\n' "$ex" ;;
	until) printf '  - id: spin\n    wait:\n      action: log\n      with: {message: poll}\n      until: %s\n      timeout: 10m\n' "'$ex'" ;;
	step-timeout) printf '  - id: spin\n    timeout: 2s\n    when: %s\n    action: log\n    with: {message: never}\n' "'$ex'" ;;
	esac
	cat <<'EOF'
  - id: after
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/after"]}
EOF
}

# check_limit LOCATION EXPR MESSAGE [ENV...]: the run fails step spin with MESSAGE, rolls back, exit 1
check_limit() {
	local loc=$1 ex=$2 msg=$3
	shift 3
	rm -rf st d && mkdir d
	runbook "$loc" "$ex" >rb.yaml
	env "$@" timeout -s KILL $BOUND "$RB" run --state-dir st rb.yaml -p dir="$T/d" </dev/null >out 2>&1
	local rc=$?
	[ $rc = 1 ] || fail "$loc '$ex': exit $rc, want 1"
	[ ! -e d/first ] || fail "$loc '$ex': step first was not rolled back"
	[ ! -e d/after ] || fail "$loc '$ex': step after ran"
	grep -q "\"step\":\"spin\".*\"status\":\"failed\".*$msg" st/runs/*/journal.jsonl ||
		fail "$loc '$ex': the journal does not say spin failed with '$msg'"
	grep -q "spin .*failed.*$msg" out || fail "$loc '$ex': the output does not say '$msg'"
	ok "$loc: '$ex' fails the step ($msg), rollback ran, exit 1"
}

TIME="expression did not finish within 1s"
MEM="expression used more than 64 MB of memory"
EITHER="expression \(did not finish within 1s\|used more than 64 MB\)"

# every runaway expression, in a `when`
check_limit when 'def f: f; f' "$TIME"
check_limit when 'repeat(1)' "$EITHER"   # every output is kept: memory or time
check_limit when '[range(1e18)] | length' "$EITHER"
check_limit when 'until(false; .)' "$TIME"
check_limit when '[limit(1e9; repeat(1))] | length' "$EITHER"
check_limit when 'def f: [., .] | f; f' "$EITHER"
check_limit when 'last(range(1e18))' "$TIME"
# memory: deep recursion stops at the cap long before the time limit
check_limit when 'def f: 1 + f; f' "$MEM" RUNBOOK_EXPR_TIMEOUT=5m
# string repetition: one C call inside libjq, refused before it starts
check_limit when '("x" * 1e9) | length > 0' "a string repeated more than 10000000 times"
# every place an expression is evaluated
for loc in that outputs template until; do
	check_limit $loc 'def f: f; f' "$TIME"
	check_limit $loc 'def f: 1 + f; f' "$MEM" RUNBOOK_EXPR_TIMEOUT=5m
done
check_limit template 'def f: [., .] | f; f' "$EITHER"
# a step's timeout applies to its expressions (its `when` too)
check_limit step-timeout 'def f: f; f' "expression did not finish before the step's timeout" RUNBOOK_EXPR_TIMEOUT=5m
# an expression that reads the environment while a secret is in it is evaluated twice (the
# second time on decoy values, to taint what it takes from the secret: taint.c); the decoy
# evaluation is held to the same limits (it once ran unguarded and hung the run)
rm -rf st d && mkdir d
runbook when 'env.RB_TOKEN as $t | def f: f; f' | sed 's/^params: {dir: {type: string}}$/params: {dir: {type: string}, token: {type: string, secret: true}}/' >rb.yaml
RUNBOOK_PARAM_TOKEN=s3cr3t-t0ken-value RB_TOKEN=s3cr3t-t0ken-value timeout -s KILL $BOUND \
	"$RB" run --state-dir st rb.yaml -p dir="$T/d" </dev/null >out 2>&1
rc=$?
[ $rc = 1 ] || fail "env decoy: exit $rc, want 1"
[ ! -e d/first ] || fail "env decoy: step first was not rolled back"
grep -q "spin .*failed.*$TIME" out || fail "env decoy: the output does not say '$TIME'"
ok "an expression reading env with a secret in it: the decoy evaluation is stopped too, exit 1"

# signals during a hanging evaluation: SIGINT aborts (rollback, exit 4); SIGTERM stops at
# once (exit 3, resumable), and resume completes the rollback
signal() {
	local sig=$1 want=$2
	rm -rf st d && mkdir d
	runbook when 'def f: f; f' >rb.yaml
	# --foreground: without it timeout forwards a signal to runbook and then to its whole
	# process group, so runbook could see one Ctrl-C twice ("stopping now", exit 3)
	RUNBOOK_EXPR_TIMEOUT=5m timeout --foreground -s KILL $BOUND "$RB" run --state-dir st rb.yaml -p dir="$T/d" </dev/null >out 2>&1 &
	local pid=$! i
	for i in $(seq 400); do grep -q '"step_started".*"step":"spin"' st/runs/*/journal.jsonl 2>/dev/null && break; sleep 0.05; done
	sleep 0.3
	kill -"$sig" $pid
	wait $pid
	local rc=$?
	[ $rc = "$want" ] || fail "SIG$sig: exit $rc, want $want"
	grep -q "expression interrupted by a signal" st/runs/*/journal.jsonl || fail "SIG$sig: the journal does not say the expression was interrupted"
	[ ! -e d/after ] || fail "SIG$sig: step after ran"
}
signal INT 4
[ ! -e d/first ] || fail "SIGINT: step first was not rolled back"
ok "SIGINT during a hanging evaluation: step fails, rollback, exit 4"
signal TERM 3
grep -q '"event":"run_interrupted"' st/runs/*/journal.jsonl || fail "SIGTERM: the journal does not say the run stopped"
timeout -s KILL $BOUND "$RB" resume --state-dir st "$(ls st/runs | head -1)" </dev/null >out 2>&1
rc=$?
[ $rc = 4 ] || fail "resume after SIGTERM: exit $rc, want 4"
[ ! -e d/first ] && [ ! -e d/after ] || fail "resume after SIGTERM left $(ls d)"
ok "SIGTERM during a hanging evaluation: stopped at once (exit 3), resume rolls back (exit 4)"
tap_done
