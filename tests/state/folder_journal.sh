#!/usr/bin/env bash
# A journal the folder store cannot take (here: a file size limit, as a full disk would
# refuse it) stops the run before its next mutating call: exit 3 naming the store's
# error, the later step not run; resume, once the store takes lines again, finishes the
# run with every effect exactly once.
#   folder_journal.sh RUNBOOK
. "$(dirname "$0")/../lib/tap.sh"
RB=$(realpath "$1")
tap_tmpdir rb-state-journal
cd "$T" || exit 1

# pad's result (6000 bytes, twice in the journal) takes the journal past 12 KiB
cat > j.yaml <<'YAML'
runbook: jfail
params:
  dir: {type: string}
steps:
  - id: first
    action: exec
    with: {argv: [sh, -c, 'echo first >> "$1/count"', sh, "${{ .params.dir }}"]}
  - id: pad
    needs: [first]
    action: exec
    with: {argv: [sh, -c, 'head -c 6000 /dev/zero | tr "\0" x'], read_only: true}
  - id: last
    needs: [pad]
    action: exec
    with: {argv: [sh, -c, 'echo last >> "$1/count"', sh, "${{ .params.dir }}"]}
YAML

# writes past 12 KiB fail with EFBIG (SIGXFSZ ignored, as exec keeps it)
rc=0; (trap '' XFSZ; ulimit -f 12; exec "$RB" run j.yaml -p dir="$T" --state-dir st) > run.out 2> run.err || rc=$?
check "a journal that cannot be written: exit 3" 3 "$rc"
check_sh "the message names the store's error and resume" \
	"grep -q 'cannot write the journal: File too large: stopping now, before the next change' run.out"
check "the step after the failure did not run" "first" "$(tr '\n' ' ' < count | sed 's/ $//')"
RID=$(ls st/runs)
rc=0; "$RB" resume "$RID" --state-dir st > resume.out 2> resume.err || rc=$?
check "resume once the store is back: exit 0" 0 "$rc"
check "every effect exactly once" "first last" "$(tr '\n' ' ' < count | sed 's/ $//')"
check_sh "the resumed journal ends with run_finished succeeded" \
	"tail -1 st/runs/$RID/journal.jsonl | grep -q '\"event\":\"run_finished\".*\"status\":\"succeeded\"'"
tap_done
