#!/bin/bash
# run_corpus.sh RUNBOOK SRCROOT — the validation corpus, run through the real binary.
#   tests/lang/invalid/NNN-name.yaml: `runbook validate` must exit 2 and print exactly
#     NNN-name.err on stderr (and nothing on stdout)
#   tests/lang/valid/*.yaml: must exit 0 and print "FILE: ok"
#   tests/lang/params/*.yaml: first line "# args: -p K=V ..."; `runbook plan FILE ARGS`
#     must exit 2 with exactly the .err on stderr
# Paths are relative to SRCROOT so the expected text is stable.
# RUNBOOK_BLESS=1 writes missing .err files instead of failing (read them before committing).
set -u
case $1 in
/*) exe=$1 ;;
*) exe=$PWD/$1 ;;
esac
cd "$2" || exit 2
export NO_COLOR=1
unset RUNBOOK_PATH
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check_err() {   # name expected-file actual-file rc
	local y=$1 exp=$2 act=$3 rc=$4
	if [ ! -f "$exp" ] && [ -n "${RUNBOOK_BLESS:-}" ]; then
		cp "$act" "$exp"
		echo "blessed $exp"
	fi
	if [ "$rc" -ne 2 ]; then
		echo "FAIL $y: exit $rc, expected 2"
		fail=$((fail + 1))
	elif [ -s "$tmp/out" ]; then
		echo "FAIL $y: printed on stdout:"; cat "$tmp/out"
		fail=$((fail + 1))
	elif ! diff -u "$exp" "$act" >"$tmp/diff" 2>&1; then
		echo "FAIL $y: stderr differs from $exp"; cat "$tmp/diff"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

for y in tests/lang/invalid/*.yaml; do
	"$exe" validate "$y" >"$tmp/out" 2>"$tmp/err"
	check_err "$y" "${y%.yaml}.err" "$tmp/err" $?
done

for y in tests/lang/params/*.yaml; do
	[ -e "$y" ] || continue
	read -r first <"$y"
	args=${first#\# args:}
	# shellcheck disable=SC2086  (the args are words on purpose; no values with spaces)
	"$exe" plan "$y" $args >"$tmp/out" 2>"$tmp/err"
	check_err "$y" "${y%.yaml}.err" "$tmp/err" $?
done

for y in tests/lang/valid/*.yaml; do
	out=$("$exe" validate "$y" 2>"$tmp/err")
	rc=$?
	if [ "$rc" -ne 0 ] || [ "$out" != "$y: ok" ] || [ -s "$tmp/err" ]; then
		echo "FAIL $y: exit $rc, stdout '$out', stderr:"; cat "$tmp/err"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done

# the command itself: several files, exit codes, usage
expect() {   # description, wanted exit code, actual exit code, condition (0 = holds)
	if [ "$3" -eq "$2" ] && [ "$4" -eq 0 ]; then
		pass=$((pass + 1))
	else
		echo "FAIL validate $1: exit $3 (wanted $2)"
		fail=$((fail + 1))
	fi
}
out=$("$exe" validate tests/lang/valid/anchors.yaml tests/lang/invalid/044-step-duplicate-id.yaml \
	tests/lang/valid/every-kind.yaml 2>"$tmp/err")
rc=$?
[ "$out" = "tests/lang/valid/anchors.yaml: ok
tests/lang/valid/every-kind.yaml: ok" ] && cmp -s "$tmp/err" tests/lang/invalid/044-step-duplicate-id.err
expect "of a valid, an invalid and a valid file" 2 $rc $?
"$exe" validate --help >"$tmp/out" 2>&1
rc=$?
grep -q '^usage: runbook validate FILE' "$tmp/out"
expect "--help" 0 $rc $?
"$exe" validate >"$tmp/out" 2>&1
rc=$?
grep -q 'usage: runbook validate' "$tmp/out"
expect "without a file" 2 $rc $?
"$exe" validate tests/lang/no-such-file.yaml >"$tmp/out" 2>&1
rc=$?
grep -q "cannot read 'tests/lang/no-such-file.yaml'" "$tmp/out"
expect "of a missing file" 2 $rc $?
"$exe" validate - <tests/lang/valid/anchors.yaml >"$tmp/out" 2>&1
rc=$?
[ "$(cat "$tmp/out")" = "-: ok" ]
expect "of stdin" 0 $rc $?

echo "corpus: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
