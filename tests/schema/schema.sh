#!/bin/bash
# schema.sh RUNBOOK SRCROOT — `runbook schema runbook|scenario` against the tree: every
# runbook that `runbook validate` accepts (runbooks/, stdlib/, examples/, tests/) is valid
# under the runbook schema, every scenario that `runbook sim check` accepts under the
# scenario schema (python3-jsonschema, draft 2020-12), and a few wrong ones are refused
# by both the schema and runbook.
. "$(dirname "$0")/../lib/tap.sh"
RB=$(realpath "$1") ROOT=$(realpath "$2")
CHECK=$(cd "$(dirname "$0")" && pwd)/check.py
python3 -c 'import jsonschema, yaml' 2>/dev/null || skip_all "python3-jsonschema or python3-yaml missing"
command -v jq >/dev/null || skip_all "no jq"
tap_tmpdir rb-schema

"$RB" schema runbook >"$T/runbook.json" 2>"$T/err"
TAP_OUT=$T/err expect_rc 0 $? "runbook schema runbook"
"$RB" schema >"$T/default.json"
check_cmd "the default schema is the runbook's" cmp -s "$T/runbook.json" "$T/default.json"
"$RB" schema scenario >"$T/scenario.json" 2>"$T/err"
TAP_OUT=$T/err expect_rc 0 $? "runbook schema scenario"
"$RB" schema nonsense >/dev/null 2>&1
check "an unknown schema is a usage error" 2 $?

# sort the tree's YAML files: runbooks (validate says "FILE: ok"), scenarios (sim check,
# of the files with a scenario's top-level key and none of a runbook, outside the corpora
# of invalid ones), the rest
cd "$ROOT" || bail_out "no $ROOT"
mapfile -t all < <(find runbooks stdlib examples tests \( -name '*.yaml' -o -name '*.yml' \) | sort)
"$RB" validate "${all[@]}" 2>/dev/null | sed -n 's/: ok$//p' >"$T/runbooks"
: >"$T/scenarios"
keys=$(jq -r '.properties | keys | join("|")' "$T/scenario.json")
for f in "${all[@]}"; do
	case $f in */invalid/*) continue ;; esac
	grep -q '^runbook:' "$f" && continue
	grep -qE "^($keys):" "$f" || continue
	"$RB" sim check --scenario "$f" >/dev/null 2>&1 && echo "$f" >>"$T/scenarios"
done
nr=$(wc -l <"$T/runbooks") ns=$(wc -l <"$T/scenarios")
diag "$nr valid runbooks, $ns valid scenarios in the tree"
check_sh "the tree has runbooks ($nr) and scenarios ($ns)" '[ "$nr" -ge 30 ] && [ "$ns" -ge 20 ]'

# one TAP line per file
validate() { # validate SCHEMA LIST WHAT
	local line
	mapfile -t files <"$2"
	python3 "$CHECK" "$1" "${files[@]}" >"$T/out" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$3 ${line#ok }" ;;
		"bad "*) not_ok "$3 ${line#bad }" ;;
		*) diag "$line" ;;
		esac
	done <"$T/out"
}
validate "$T/runbook.json" "$T/runbooks" "runbook schema accepts"
validate "$T/scenario.json" "$T/scenarios" "scenario schema accepts"

# wrong ones: runbook refuses them, and so does the schema
mkdir "$T/bad"
wrong() { # wrong NAME runbook|scenario YAML (after its runbook: or scenario: line)
	printf '%s: t\n%s\n' "$2" "$3" >"$T/bad/$1.yaml"
	if [ "$2" = runbook ]; then
		"$RB" validate "$T/bad/$1.yaml" >"$T/out" 2>&1
	else
		"$RB" sim check --scenario "$T/bad/$1.yaml" >"$T/out" 2>&1
	fi
	check "$2 refuses $1" 2 $?
	diag "$(grep error: "$T/out" | head -1)"
	python3 "$CHECK" "$T/$2.json" "$T/bad/$1.yaml" >"$T/out" 2>&1
	if [ $? = 1 ] && grep -q '^bad ' "$T/out"; then
		ok "the $2 schema refuses $1: $(cut -d: -f2- "$T/out")"
	else
		bad "the $2 schema refuses $1" "$T/out"
	fi
}
STEP='steps:
  - id: a
    action: exec
    with: {argv: [echo, hi]}'
wrong unknown-top-key runbook "stepz: []
$STEP"
wrong unknown-step-key runbook 'steps:
  - id: a
    action: exec
    with: {argv: [echo, hi]}
    retries: 3'
wrong critical-not-bool runbook "$STEP
    critical: maybe"
wrong bad-duration runbook "$STEP
    timeout: 90"
wrong unknown-action runbook 'steps:
  - id: a
    action: exec.run
    with: {argv: [echo]}'
wrong unknown-arg runbook 'steps:
  - id: a
    action: exec
    with: {argv: [echo], shel: true}'
wrong arg-type runbook 'steps:
  - id: a
    action: exec
    with: {argv: echo}'
wrong param-type runbook "params:
  n: {type: integer}
$STEP"
wrong unknown-scenario-key scenario 'rdss: {}'
wrong seed-not-int scenario 'seed: many'
wrong bad-status scenario 'rds:
  instances:
    - {id: db1, status: sleeping}'

# templates stand wherever a value may be computed; x- keys are free at the top
cat >"$T/good.yaml" <<'YAML'
runbook: good
x-note: free
params:
  n: {type: int, default: 2}
steps:
  - id: a
    action: exec
    with: {argv: ["echo", "${{ .params.n }}"], timeout: "${{ .params.n }}s"}
YAML
"$RB" validate "$T/good.yaml" >"$T/out" 2>&1
TAP_OUT=$T/out expect_rc 0 $? "runbook accepts templates"
check_cmd "the schema accepts templates and x- keys" python3 "$CHECK" "$T/runbook.json" "$T/good.yaml"

# how much of the invalid corpus the schema alone catches (a figure, not a check)
mapfile -t inv < <(find tests/lang/invalid tests/invalid/runbooks -maxdepth 1 -name '*.yaml' | sort)
python3 "$CHECK" "$T/runbook.json" "${inv[@]}" >"$T/out" 2>&1
diag "the runbook schema refuses $(grep -c '^bad ' "$T/out") of ${#inv[@]} invalid runbooks (the rest need the validator)"
tap_done
