#!/bin/bash
# journal_lines.sh RUNBOOK — issue 14: the journal lines the engine prints from the
# fields of an event as they were set (step_started, log, step_finished: struct evl)
# are what libjq prints for the same value, with the fields in the order they were
# set; a step_finished with fields merged in (a wait's polls) and a redacted event
# take the object's printer, and read the same.
set -u
RB=$(realpath "$1")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-journal-lines
cd "$T" || exit 1
export NO_COLOR=1
journal() { cat "$T"/state/runs/*/journal.jsonl; }

cat >rb.yaml <<'EOF'
runbook: journal-lines
params:
  token: {type: string, secret: true}
  dir: {type: string}
steps:
  - id: hello
    name: "Say \"hello\" \\ é"
    action: log
    with: {message: "quote \" backslash \\ tab \t newline \n del \x7f é ☃ \U0001F600"}
  - id: warn
    action: log
    with: {message: "careful", level: warn}
    retry: {attempts: 2, delay: 10ms}
  - id: broken
    action: exec
    with: {argv: [sh, -c, 'echo "it broke: \"x\"" >&2; exit 3']}
    critical: false
  - id: skipped
    action: log
    when: "false"
    with: {message: never}
  - id: secret
    action: log
    with: {message: "the token is ${{ .params.token }}"}
  - id: file
    wait:
      action: exec
      with: {argv: [test, -e, "${{ .params.dir }}/there"], expect_exit: [0, 1], read_only: true}
      until: .result.exit_code == 0
      interval: 100ms
      timeout: 10s
EOF
mkdir d && touch d/there
"$RB" run rb.yaml --yes --state-dir state -p dir="$T/d" -p token=s3cr3t-t0ken </dev/null >out 2>&1
check "exit 0 (a non-critical step failed)" 0 $?
[ -s "$(ls state/runs/*/journal.jsonl)" ] || fail "no journal"

# every line is what libjq prints for its value (jq -c reads and prints it again)
n=0 bad=0
while IFS= read -r line; do
	n=$((n + 1))
	again=$(jq -c . <<<"$line")
	[ "$again" = "$line" ] || { bad=$((bad + 1)); diag "line $n: $line" "jq -c: $again"; }
done < <(journal)
check "every journal line reads back the same ($n lines)" 0 "$bad"

keys() { journal | jq -c "select($1) | keys_unsorted"; }
check "step_started: fields in the order set" \
	'["event","v","time","run","step","kind","name","action","attempts"]' \
	"$(keys '.event == "step_started" and .step == "hello"')"
check "log: fields in the order set" '["event","v","time","run","step","level","message"]' \
	"$(keys '.event == "log" and .step == "warn"')"
check "step_finished: fields in the order set" \
	'["event","v","time","run","step","status","kind","duration_ms","outputs","result","unknown"]' \
	"$(keys '.event == "step_finished" and .step == "hello"')"
check "a failed non-critical step_finished: error and critical in place" \
	'["event","v","time","run","step","status","kind","duration_ms","error","critical","outputs","result","unknown"]' \
	"$(keys '.event == "step_finished" and .step == "broken"')"
check "a skipped step_finished: its reason" \
	'["event","v","time","run","step","status","kind","duration_ms","reason","outputs","result","unknown"]' \
	"$(keys '.event == "step_finished" and .step == "skipped"')"
check "a wait's step_finished: its polls merged after the duration" 1 \
	"$(keys '.event == "step_finished" and .step == "file"' | grep -c '"duration_ms","polls"')"
check "the log line keeps every byte of the message" \
	"$(printf 'quote " backslash \\ tab \t newline \n del \177 é ☃ \360\237\230\200')" \
	"$(journal | jq -j 'select(.event == "log" and .step == "hello") | .message')"
check "the secret is masked in the journal" 0 "$(journal | grep -c 's3cr3t-t0ken')"
check "its log line is masked" 1 \
	"$(journal | jq -r 'select(.event == "log" and .step == "secret") | .message' | grep -c '^the token is \*\*\*')"
tap_done
