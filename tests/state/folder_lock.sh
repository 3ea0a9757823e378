#!/usr/bin/env bash
# The folder store's locks (state/state_folder.c, engine/lock.c): a runbook's `lock:` is
# held for the whole run by flock(2); a second run exits 6 naming the holder and nothing
# of it runs; kill -9 of the holder releases it; --wait-lock waits for it; a live run
# cannot be resumed (exit 6); a run "from another host" needs --take-over, which then
# finishes it with every effect exactly once.
#   folder_lock.sh RUNBOOK
. "$(dirname "$0")/../lib/tap.sh"
RB=$(realpath "$1")
tap_tmpdir rb-state-lock
# a failed check must not leave runs waiting for their go file
tap_cleanup 'for d in "$T"/*/; do touch "$d/go"; done 2>/dev/null; sleep 0.3'
cd "$T" || exit 1
S=$T/st
HOST=$(hostname)

# first appends to DIR/count; hold waits for DIR/go; last appends to DIR/count
cat > locked.yaml <<'YAML'
runbook: locked
params:
  target: {type: string, default: main}
  dir: {type: string}
lock: "db/${{ .params.target }}"
steps:
  - id: first
    action: exec
    with: {argv: [sh, -c, 'echo first >> "$1/count"', sh, "${{ .params.dir }}"]}
  - id: hold
    needs: [first]
    action: exec
    with: {argv: [sh, -c, 'while [ ! -f "$1/go" ]; do sleep 0.05; done', sh, "${{ .params.dir }}"]}
  - id: last
    needs: [hold]
    action: exec
    with: {argv: [sh, -c, 'echo last >> "$1/count"', sh, "${{ .params.dir }}"]}
YAML

nruns() { ls "$S/runs" 2>/dev/null | grep -vc '^\.' ; }
# start a run in the background: runbook itself is the background job (kill -9 reaches it)
start() { # start NAME [ARGS...]: pid in PID, its events in NAME.json
	local n=$1; shift
	mkdir -p "$T/$n"
	"$RB" run locked.yaml -p dir="$T/$n" --state-dir "$S" --output json "$@" > "$n.json" 2> "$n.err" &
	PID=$!
}
# wait until run NAME's step hold started; its run id in RID
wait_hold() {
	for _ in $(seq 600); do
		grep -q '"event":"step_started".*"step":"hold"' "$1.json" 2>/dev/null && break
		sleep 0.05
	done
	grep -q '"event":"step_started".*"step":"hold"' "$1.json" || fail "run $1 never reached hold: $(cat "$1.err")"
	RID=$(sed -n 's/.*"event":"run_started".*"run":"\([^"]*\)".*/\1/p' "$1.json" | head -1)
}

# ---- a run holds db/main; a second one is refused
start a
APID=$PID
wait_hold a
ARID=$RID
before=$(nruns)
mkdir -p b; touch b/go     # so that a broken lock shows as a run, not a hang
rc=0; "$RB" run locked.yaml -p dir="$T/b" --state-dir "$S" > b.out 2> b.err || rc=$?
check "second run while held: exit 6" 6 "$rc"
check_sh "the message names the holder, its host, pid and the way to wait" \
	"grep -q \"error: lock 'db/main' is held by run $ARID on $HOST (pid $APID) since .*; wait with --wait-lock DURATION\" b.err"
check "nothing created" "$before" "$(nruns)"
check_sh "nothing ran" "[ ! -e b/count ]"
check_sh "no temporary run folder either" "[ -z \"\$(ls -A $S/runs | grep '^\\.')\" ]"
check_sh "the lock file: 0600, the holder's record in it" \
	"[ \"\$(stat -c %a $S/locks/db%2Fmain.lock)\" = 600 ] && grep -q '\"run\":\"$ARID\"' $S/locks/db%2Fmain.lock"

# another key is another lock; a dry run takes none
mkdir -p c
rc=0; "$RB" run locked.yaml -p dir="$T/c" -p target=other --state-dir "$S" > c.out 2> c.err < /dev/null &
CPID=$!
rc=0; "$RB" run locked.yaml -p dir="$T/c" --dry-run --state-dir "$S" > dry.out 2> dry.err || rc=$?
check "a dry run while held: exit 0" 0 "$rc"

# ---- resume of the live run: refused, naming its owner
rc=0; "$RB" resume "$ARID" --state-dir "$S" > r.out 2> r.err || rc=$?
check "resume of a live run: exit 6" 6 "$rc"
check_sh "resume names the owner's host and pid" "grep -q 'run $ARID is still running: held by run $ARID on $HOST (pid $APID)' r.err"
rc=0; "$RB" resume --take-over "$ARID" --state-dir "$S" > r2.out 2> r2.err || rc=$?
check "resume --take-over of a live run: exit 6" 6 "$rc"

# ---- --wait-lock waits for the holder, then runs
start w --wait-lock 60s
WPID=$PID
sleep 0.5
check_sh "the waiting run has not started" "! grep -q run_started w.json"
touch a/go w/go c/go
wait "$APID"; check "the holder finished" 0 "$?"
wait "$WPID"; check "the waiting run ran once the lock was free" 0 "$?"
wait "$CPID"; check "the run of another key ran meanwhile" 0 "$?"
check "the waiting run's effects" "first last" "$(tr '\n' ' ' < w/count | sed 's/ $//')"

# ---- kill -9 of the holder releases it; resume --take-over finishes its run
start k
KPID=$PID
wait_hold k
KRID=$RID
kill -9 "$KPID"
wait "$KPID" 2>/dev/null
mkdir -p n; touch n/go
rc=0; "$RB" run locked.yaml -p dir="$T/n" --state-dir "$S" > n.out 2> n.err || rc=$?
check "after kill -9 of the holder, the next run starts: exit 0" 0 "$rc"
# the killed run as if started on another machine sharing the store
J=$S/runs/$KRID/journal.jsonl
sed -i '1s/"host":"[^"]*"/"host":"elsewhere.example"/' "$J"
rc=0; "$RB" resume "$KRID" --rerun hold --state-dir "$S" > t1.out 2> t1.err || rc=$?
check "plain resume of a run from another host: exit 2" 2 "$rc"
check_sh "it says to use --take-over" \
	"grep -q 'run $KRID was started on elsewhere.example: continue it here with \`runbook resume --take-over $KRID\`' t1.err"
touch k/go
rc=0; "$RB" resume --take-over "$KRID" --rerun hold --state-dir "$S" > t2.out 2> t2.err || rc=$?
check "resume --take-over after kill -9: exit 0" 0 "$rc"
check "every effect exactly once" "first last" "$(tr '\n' ' ' < k/count | sed 's/ $//')"
check_sh "run_resumed names this host and the take-over" \
	"grep '\"event\":\"run_resumed\"' $J | grep -q '\"host\":\"$HOST\".*\"take_over\":true'"

# ---- a key that reads the whole context never carries a secret param (validation
# cannot see inside `tojson`): the lock file's name and record hold none
cat > secret.yaml <<'YAML'
runbook: secret-lock
params:
  token: {type: string, secret: true}
  sd: {type: string}
lock: "k/${{ tojson }}"
steps:
  - id: look
    action: exec
    with: {argv: [sh, -c, 'ls "$0/locks" > "$1"; cat "$0"/locks/* >> "$1"', "${{ .params.sd }}", "${{ .params.sd }}.seen"]}
YAML
rc=0; "$RB" run secret.yaml -p token=SEKRET-tok-1 -p sd="$S" --state-dir "$S" --output json > sl.out 2> sl.err || rc=$?
check "a run with a lock over the whole context: exit 0" 0 "$rc"
check_sh "its lock file was there while it ran" "grep -q '^k%2F' '$S.seen'"
check_sh "no secret in the lock's name, record or the store" "! grep -rq SEKRET sl.out sl.err '$S.seen' $S"

# ---- released locks leave no file behind
check "locks/ is empty once every run ended" "" "$(ls -A $S/locks)"
tap_done
