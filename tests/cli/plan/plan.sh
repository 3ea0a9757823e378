#!/bin/bash
# plan.sh CASE RUNBOOK REPORT_TOOL SRCDIR — golden tests of `runbook plan`, `runbook graph`
# and run reports (report/report.c through report_tool). Each case runs one command in
# tests/cli/plan/ and compares stdout, stderr and the exit code with files in expected/.
set -u
case=$1 rb=$(realpath "$2") tool=$(realpath "$3") dir=$4/tests/cli/plan
export NO_COLOR=1
unset RUNBOOK_PATH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$dir" || exit 1
secret=s3cr3t-token
fail=0

# run CMD...: stdout, stderr and exit code into $tmp
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	echo $? >"$tmp/rc"
}
# expect RC [STDOUT-FILE] [STDERR-FILE]: missing files mean "empty"
expect() {
	local rc=$1 out=${2:-/dev/null} err=${3:-/dev/null}
	if [ "$(cat "$tmp/rc")" != "$rc" ]; then
		echo "FAIL $case: exit code $(cat "$tmp/rc"), expected $rc"; cat "$tmp/err"; fail=1
	fi
	diff -u "$out" "$tmp/out" || { echo "FAIL $case: stdout differs from $out"; fail=1; }
	diff -u "$err" "$tmp/err" || { echo "FAIL $case: stderr differs from $err"; fail=1; }
	if grep -q "$secret" "$tmp/out" "$tmp/err"; then
		echo "FAIL $case: the secret param's value leaked"; fail=1
	fi
}

P=(-p target=orders -p api_token=$secret)
case $case in
plan-text)        run "$rb" plan restore.yaml "${P[@]}"; expect 0 expected/restore.plan.txt ;;
plan-json)        run "$rb" plan restore.yaml "${P[@]}" --format json; expect 0 expected/restore.plan.json ;;
plan-params-file) # the file gives replicas 5 and the secret; -p wins over the file
                  run "$rb" plan restore.yaml --params-file params.yaml -p replicas=2 --format=text
                  expect 0 expected/restore.plan.txt ;;
plan-uses-text)   run "$rb" plan fanout.yaml; expect 0 expected/fanout.plan.txt ;;
plan-uses-json)   run "$rb" plan fanout.yaml --format json; expect 0 expected/fanout.plan.json ;;
plan-nested-json) run "$rb" plan nested.yaml --format json; expect 0 expected/nested.plan.json ;;
graph-nested-dot) run "$rb" graph nested.yaml; expect 0 expected/nested.dot ;;
plan-missing-param) run "$rb" plan restore.yaml -p api_token=$secret; expect 2 "" expected/missing-param.err ;;
plan-invalid)     run "$rb" plan invalid.yaml; expect 2 "" expected/invalid.err ;;
plan-bad-format)  run "$rb" plan restore.yaml "${P[@]}" --format xml; expect 2 "" expected/plan-bad-format.err ;;
plan-no-file)     run "$rb" plan; expect 2 "" expected/plan-usage.err ;;
graph-dot)        run "$rb" graph restore.yaml; expect 0 expected/restore.dot ;;
graph-mermaid)    run "$rb" graph restore.yaml --format mermaid; expect 0 expected/restore.mmd ;;
graph-uses-dot)   run "$rb" graph fanout.yaml --format dot; expect 0 expected/fanout.dot ;;
graph-uses-mermaid) run "$rb" graph fanout.yaml --format=mermaid; expect 0 expected/fanout.mmd ;;
graph-invalid)    run "$rb" graph invalid.yaml; expect 2 "" expected/invalid.err ;;
graph-bad-format) run "$rb" graph fanout.yaml --format png; expect 2 "" expected/graph-bad-format.err ;;
graph-dot-valid)  # Graphviz, when installed, must accept the output
                  if ! command -v dot >/dev/null; then echo "SKIP: no graphviz"; exit 77; fi
                  for y in restore.yaml fanout.yaml; do
                      "$rb" graph "$y" >"$tmp/g.dot" && dot -Tsvg "$tmp/g.dot" >"$tmp/g.svg" 2>"$tmp/g.err" &&
                          [ ! -s "$tmp/g.err" ] && grep -q '<svg' "$tmp/g.svg" ||
                          { echo "FAIL $case: dot rejects the graph of $y"; cat "$tmp/g.err"; fail=1; }
                  done ;;
report-e2e)       # a real run (exec, sleep, wait, retry, rollback), then `runbook show` in every
                  # format: facts checked with jq, the secret param never shown
                  "$rb" run e2e.yaml --state-dir "$tmp/state" --yes >"$tmp/run.out" 2>&1
                  rc=$?
                  [ $rc = 1 ] || { echo "FAIL $case: run exit $rc, expected 1"; cat "$tmp/run.out"; fail=1; }
                  id=$(ls "$tmp/state/runs" | head -1)
                  for f in text json markdown junit svg; do
                      "$rb" show "$id" --state-dir "$tmp/state" --format $f >"$tmp/show.$f" 2>&1 ||
                          { echo "FAIL $case: show --format $f failed"; cat "$tmp/show.$f"; fail=1; }
                      grep -q topsecret99 "$tmp/show.$f" && { echo "FAIL $case: secret in $f report"; fail=1; }
                  done
                  jq -e '.run != null and .status == "failed" and .exit_code == 1
                         and ([.steps[] | {(.id): .status}] | add) == {"a": "succeeded", "b": "succeeded", "w": "succeeded", "bad": "failed"}
                         and (.steps[] | select(.id == "bad") | .attempts == 2 and (.error | test("exited with 3")))
                         and (.steps[] | select(.id == "w") | .polls >= 1)
                         and (.steps[] | select(.id == "a") | .rollback.status == "succeeded")
                         and (.steps[] | select(.id == "b") | .duration_ms >= 200)
                         and [.rollback.steps[] | {step, rollback_step, status, error}] == [{"step": "a", "rollback_step": "a.rollback.1", "status": "succeeded", "error": null}]
                         and .rollback.actions == 1 and .rollback.succeeded == 1
                         and .totals.retries == 1 and .totals.rollback_steps == 1 and .totals.failed == 1' \
                      "$tmp/show.json" >/dev/null || { echo "FAIL $case: report facts"; cat "$tmp/show.json"; fail=1; }
                  grep -q '^bad  *failed  ' "$tmp/show.text" || { echo "FAIL $case: text row of 'bad'"; cat "$tmp/show.text"; fail=1; }
                  grep -q '<testcase classname="report-e2e" name="bad" time="[0-9.]*">' "$tmp/show.junit" &&
                      grep -q '<failure message=' "$tmp/show.junit" &&
                      python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$tmp/show.junit" ||
                      { echo "FAIL $case: junit"; cat "$tmp/show.junit"; fail=1; }
                  grep -q '^| `bad`\( ★\)\? | failed |' "$tmp/show.markdown" || { echo "FAIL $case: markdown"; fail=1; } ;;
report-*)         fmt=${case#report-}
                  for ev in quickstart restore; do
                      ext=$fmt; [ "$fmt" = markdown ] && ext=md; [ "$fmt" = junit ] && ext=xml
                      run "$tool" "events-$ev.jsonl" "$fmt"
                      expect 0 "expected/report-$ev.$ext"
                  done
                  if [ "$fmt" = junit ] || [ "$fmt" = svg ] && command -v python3 >/dev/null; then
                      python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$tmp/out" ||
                          { echo "FAIL $case: not well-formed XML"; fail=1; }
                  fi ;;
*) echo "unknown case $case"; exit 2 ;;
esac
exit $fail
