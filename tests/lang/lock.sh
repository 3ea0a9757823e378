#!/bin/bash
# lock.sh RUNBOOK SRCROOT — `lock:` in validate and plan (runbook(5), lock): the example
# examples/lock-demo.yaml validates, plan shows its template and the key these params
# render (text and json), a key a run would refuse is said so, and a used runbook's lock
# is a warning (exit 0), not an error. The refused keys are corpus cases (invalid/99x-lock-*).
. "$(dirname "$0")/../lib/tap.sh"
rb=$(realpath "$1")
cd "$2" || fail "no source root $2"
export NO_COLOR=1
unset RUNBOOK_PATH RUNBOOK_STATE_DIR
tap_tmpdir rb-lang-lock

"$rb" validate examples/lock-demo.yaml >"$T/out" 2>"$T/err"
check "validate lock-demo: exit" 0 $?
check "validate lock-demo: ok" "examples/lock-demo.yaml: ok" "$(cat "$T/out")"
check_sh "validate lock-demo: nothing on stderr" "[ ! -s '$T/err' ]"

"$rb" plan examples/lock-demo.yaml -p target=orders >"$T/out" 2>"$T/err"
check "plan text: exit" 0 $?
check "plan text: the lock line" "lock: restore/\${{ .params.target }} (key 'restore/orders')" \
	"$(grep '^lock: ' "$T/out")"

"$rb" plan examples/lock-demo.yaml -p target=billing --format json >"$T/out" 2>"$T/err"
check "plan json: exit" 0 $?
check "plan json: lock and lock_key" '["restore/${{ .params.target }}","restore/billing"]' \
	"$(jq -c '[.lock, .lock_key]' "$T/out")"

# a runbook without lock: has neither
"$rb" plan tests/lang/valid/anchors.yaml --format json >"$T/out" 2>"$T/err"
check "plan json without lock: exit" 0 $?
check "plan json without lock: no keys" '[false,false]' "$(jq -c '[has("lock"), has("lock_key")]' "$T/out")"

# a key that is one ${{ }} giving a number: plan says a run would refuse it
cat >"$T/num.yaml" <<'YAML'
runbook: num
params:
  n: {type: int, default: 3}
lock: "${{ .params.n }}"
steps:
  - id: a
    action: log
    with: {message: hi}
YAML
"$rb" plan "$T/num.yaml" >"$T/out" 2>"$T/err"
check "plan of a number key: exit" 0 $?
check "plan of a number key: said" \
	"lock: \${{ .params.n }} (a run would refuse it: it gives a number, not a non-empty string)" \
	"$(grep '^lock: ' "$T/out")"

# what validation cannot see (the whole context) renders without the secret params
cat >"$T/whole.yaml" <<'YAML'
runbook: whole
params:
  t: {type: string, default: a}
  pw: {type: string, secret: true}
lock: "k/${{ tojson }}"
steps:
  - id: a
    action: log
    with: {message: hi}
YAML
"$rb" plan "$T/whole.yaml" -p pw=hunter2-hunter2 --format json >"$T/out" 2>"$T/err"
check "plan of a whole-context key: exit" 0 $?
check "plan of a whole-context key: no secret param" 'k/{"params":{"t":"a"}}' "$(jq -r .lock_key "$T/out")"

# a used runbook's lock: a warning at the uses:, validate still succeeds
"$rb" validate tests/lang/lock/uses-locked.yaml >"$T/out" 2>"$T/err"
check "validate with a used runbook's lock: exit" 0 $?
check "validate with a used runbook's lock: ok" "tests/lang/lock/uses-locked.yaml: ok" "$(cat "$T/out")"
check "the warning" "tests/lang/lock/uses-locked.yaml:6:11: warning: step 'restore' uses 'locked-child.yaml', whose lock is not taken: a run holds only the lock of the runbook it runs (declare one here that covers it)" \
	"$(head -1 "$T/err")"
# plan says it too, once, and plans
"$rb" plan tests/lang/lock/uses-locked.yaml -p target=x >"$T/out" 2>"$T/err"
check "plan with a used runbook's lock: exit" 0 $?
check "plan with a used runbook's lock: one warning" 1 "$(grep -c ': warning: ' "$T/err")"
check_sh "plan with a used runbook's lock: no lock line" "! grep -q '^lock: ' '$T/out'"
# run alone, the used runbook validates without a word
"$rb" validate tests/lang/lock/locked-child.yaml >"$T/out" 2>"$T/err"
check "the used runbook alone: exit" 0 $?
check_sh "the used runbook alone: nothing on stderr" "[ ! -s '$T/err' ]"
tap_done
