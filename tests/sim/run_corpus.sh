#!/bin/bash
# run_corpus.sh RUNBOOK SRCROOT — the scenario corpus, through the real binary.
#   tests/sim/invalid/NNN-name.yaml: `runbook sim check --scenario` must exit 2 and print
#     exactly NNN-name.err on stderr (nothing on stdout); `sim serve` and `rehearse` of a
#     trivial runbook must refuse the same scenario with the same diagnostics (one
#     validator for all three).
#   Every scenario the repository ships (examples/scenarios, tests/*) and tests/sim/valid/*.yaml
#   (every documented key; edge cases) must pass `sim check`.
# Paths are relative to SRCROOT so the expected text is stable.
# RUNBOOK_BLESS=1 writes missing .err files instead of failing (read them before committing).
set -u
case $1 in
/*) exe=$1 ;;
*) exe=$PWD/$1 ;;
esac
cd "$2" || exit 2
export NO_COLOR=1
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/noop.yaml" <<'YAML'
runbook: noop
description: a runbook that needs nothing from its scenario
steps:
  - id: hello
    action: log
    with: {message: hi}
YAML

same() {   # name what rc expected-file actual-file
	if [ "$3" -ne 2 ]; then
		echo "FAIL $1 ($2): exit $3, expected 2"
		fail=$((fail + 1))
	elif ! diff -u "$4" "$5" >"$tmp/diff" 2>&1; then
		echo "FAIL $1 ($2): stderr differs from $4"; cat "$tmp/diff"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

n=0
for y in tests/sim/invalid/*.yaml; do
	n=$((n + 1))
	exp=${y%.yaml}.err
	"$exe" sim check --scenario "$y" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ ! -f "$exp" ] && [ -n "${RUNBOOK_BLESS:-}" ]; then
		cp "$tmp/err" "$exp"
		echo "blessed $exp"
	fi
	if [ -s "$tmp/out" ]; then
		echo "FAIL $y: printed on stdout:"; cat "$tmp/out"
		fail=$((fail + 1))
		continue
	fi
	same "$y" "sim check" $rc "$exp" "$tmp/err"
	timeout 30 "$exe" sim serve --quiet --scenario "$y" >"$tmp/out" 2>"$tmp/err"
	same "$y" "sim serve" $? "$exp" "$tmp/err"
	timeout 30 "$exe" rehearse "$tmp/noop.yaml" --scenario "$y" --state-dir "$tmp/state" >"$tmp/out" 2>"$tmp/err"
	same "$y" "rehearse" $? "$exp" "$tmp/err"
done

for y in examples/scenarios/*.yaml tests/sim/*.yaml tests/sim/valid/*.yaml tests/aws/sim_world.yaml tests/aws/sim_faults.yaml \
	tests/aws/bench/zero.yaml tests/bench/wait-scenario.yaml; do
	case $y in tests/sim/bad-scenario.yaml | tests/sim/*_rb.yaml) continue ;; esac
	out=$("$exe" sim check --scenario "$y" 2>"$tmp/err")
	rc=$?
	if [ $rc -ne 0 ] || [ "$out" != "$y: ok" ] || [ -s "$tmp/err" ]; then
		echo "FAIL $y: exit $rc, stdout '$out', stderr:"; cat "$tmp/err"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done

echo "scenario corpus: $n invalid cases; $pass checks passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$n" -ge 40 ]
