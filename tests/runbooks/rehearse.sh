#!/usr/bin/env bash
# Every runbook in runbooks/ rehearsed against a bundled scenario: it must succeed, and
# the simulator must have seen exactly the mutating calls the procedure makes (cases.txt).
# A runbook without a case fails this test: every seed procedure stays rehearsable.
set -uo pipefail
RUNBOOK=$(realpath "$1") SRC=$2
cd "$SRC"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
for rb in runbooks/*.yaml; do
	name=$(basename "$rb" .yaml)
	grep -q "^$name |" tests/runbooks/cases.txt || { echo "FAIL: $name has no rehearsal case"; fail=$((fail + 1)); }
done
while IFS='|' read -r name scenario params expect; do
	name=$(echo "$name" | xargs)
	case "$name" in ''|'#'*) continue ;; esac
	scenario=$(echo "$scenario" | xargs)
	args=()
	for p in $params; do
		# @2h: a timestamp two hours ago (inside the scenario's restorable window)
		case "$p" in *=@2h) p="${p%=@2h}=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)" ;; esac
		args+=(-p "$p")
	done
	out=$T/$name.out
	if ! "$RUNBOOK" rehearse "runbooks/$name.yaml" --scenario "examples/scenarios/$scenario.yaml" \
		"${args[@]}" --state-dir "$T/state" > "$out" 2>&1; then
		echo "FAIL: $name on $scenario: exit $?"; tail -5 "$out"; fail=$((fail + 1)); continue
	fi
	ok=1
	IFS=';' read -ra lines <<< "$expect"
	for l in "${lines[@]}"; do
		l=$(echo "$l" | xargs -0 | sed 's/^ *//; s/ *$//')
		grep -qF "$l" "$out" || { ok=0; echo "FAIL: $name on $scenario: no '$l' in:"; grep simulator: "$out"; }
	done
	if [ $ok = 1 ]; then echo "ok: $name on $scenario"; pass=$((pass + 1)); else fail=$((fail + 1)); fi
done < tests/runbooks/cases.txt
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
