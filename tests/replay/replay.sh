#!/usr/bin/env bash
# Tapes and `runbook replay`: a rehearsal of a bundled runbook recorded and replayed
# unchanged (exit 0, the wait's polls as recorded); edited runbooks (an argument
# changed, a step added, a step removed) replay with exit 5 and each drift named, in
# text and JSON; a tape whose recorded answer was a failure replays to the same
# outcome, and to a changed one that is reported; `run --record` of an exec replays
# without running the exec; --record refuses a tape of another run; bad tapes are
# located errors (exit 2).
set -uo pipefail
RUNBOOK=$(realpath "$1") SRC=$(realpath "$2")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-replay
S=$T/state
RB=$SRC/runbooks/rds-snapshot-restore.yaml
SC=$SRC/examples/scenarios/rds-snapshot-restore.yaml
rehearse() { "$RUNBOOK" rehearse "$@" --state-dir "$S" < /dev/null; }
replay() { "$RUNBOOK" replay "$@" --state-dir "$S" < /dev/null; }
# jq-free JSON checks
py() { python3 -c "$@"; }
polls() { grep -c '"event":"wait_poll"' "$S/runs/$1/journal.jsonl"; }

# ---- 1. a rehearsal recorded, replayed unchanged ----------------------------------
rehearse "$RB" --scenario "$SC" -p source_instance=shop-prod --record "$T/t1.tape" > "$T/r1.out" 2>&1
rc=$?
[ $rc = 0 ] && ok "rehearsal with --record exits 0" || bad "rehearsal with --record: exit $rc" "$T/r1.out"
if py '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
h, calls, end = lines[0], [l for l in lines if "seq" in l], lines[-1]
assert h["tape"] == 1 and h["clock"] == "virtual" and h["runbook"] == "rds-snapshot-restore", h
for k in ("path", "sha256", "params", "run_id", "started", "versions", "steps"):
    assert k in h, k
assert h["versions"]["runbook"], h["versions"]
assert [c["seq"] for c in calls] == list(range(1, len(calls) + 1)), "seq"
for c in calls:
    for k in ("step", "item", "attempt", "action", "args", "ok", "at", "duration_ms", "mutating"):
        assert k in c, (k, c)
    assert ("result" in c) == c["ok"] and ("error" in c) != c["ok"], c
assert any(c["mutating"] for c in calls) and any(not c["mutating"] for c in calls)
assert max(c["at"] for c in calls) >= 20 * 60 * 1000, "virtual times of the calls"
assert end.get("end") is True and end["status"] == "succeeded" and end["exit_code"] == 0, end
' "$T/t1.tape" 2> "$T/py1.err"; then ok "tape v1: header, call lines (seq, at on the virtual clock, mutating), end line"
else bad "tape v1 format" "$T/py1.err"; fi
REC=$(py 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["run_id"])' "$T/t1.tape")

replay "$T/t1.tape" > "$T/p1.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q '^no drift$' "$T/p1.out" && ok "replay of the unchanged runbook: exit 0, no drift" \
	|| bad "replay unchanged: exit $rc" "$T/p1.out"
replay "$T/t1.tape" --format json > "$T/p1.json" 2> "$T/p1.err"
rc=$?
RUN=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$T/p1.json" 2>/dev/null)
if [ $rc = 0 ] && py '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["drift"] is False, r
for k in ("arguments", "unanswered", "never_made", "steps_added", "steps_removed", "steps_changed"):
    assert r[k] == [], (k, r[k])
assert r["outcome"]["changed"] is False and r["calls"] > 0
' "$T/p1.json"; then ok "replay --format json: drift false, every list empty"
else bad "replay json unchanged: exit $rc" "$T/p1.json"; fi
# the waits replayed their recorded timeline: as many polls, at the same virtual times
if [ -n "$RUN" ] && [ "$(polls "$REC")" -gt 5 ] && [ "$(polls "$REC")" = "$(polls "$RUN")" ] &&
   [ "$(grep '"event":"wait_poll"' "$S/runs/$REC/journal.jsonl" | sed 's/.*"time":"\([^"]*\)".*/\1/')" = \
     "$(grep '"event":"wait_poll"' "$S/runs/$RUN/journal.jsonl" | sed 's/.*"time":"\([^"]*\)".*/\1/')" ]; then
	ok "the replay's waits polled the recorded timeline ($(polls "$RUN") polls, same virtual times)"
else bad "polls: recorded $(polls "$REC"), replayed $( [ -n "$RUN" ] && polls "$RUN")"; fi
grep -q '"replay":true' "$S/runs/$RUN/journal.jsonl" && grep -q '"how":"replay"' "$S/runs/$RUN/journal.jsonl" &&
	ok "the replay's run is journaled as a replay, confirmations approved by replay" ||
	bad "replay journal marks" "$S/runs/$RUN/journal.jsonl"
"$RUNBOOK" resume "$RUN" --state-dir "$S" > "$T/res.out" 2>&1 < /dev/null
[ $? = 2 ] && ok "a replay cannot be resumed (exit 2)" || bad "resume of a replay" "$T/res.out"

# ---- 2. edited runbooks: each drift named ---------------------------------------
mkdir -p "$T/ed"
sed 's/      storage_type: gp3/      storage_type: io1/' "$RB" > "$T/ed/arg.yaml"
awk '/^  - id: tag$/ { print "  - id: announce"; print "    action: log"; print "    with: {message: restored}"; print "" } { print }' \
	"$RB" > "$T/ed/added.yaml"
awk '/^  - id: protect$/ { skip = 1 } /^# once the run has ended/ { skip = 0 } !skip' "$RB" > "$T/ed/removed.yaml"
for f in arg added removed; do cmp -s "$RB" "$T/ed/$f.yaml" && bad "edit '$f' changed nothing"; done
export RUNBOOK_PATH=$SRC

replay "$T/t1.tape" "$T/ed/arg.yaml" > "$T/p2.out" 2>&1
rc=$?
[ $rc = 5 ] && grep -qF "argument: step 'restore' action 'rds.restore_from_snapshot': storage_type: \"gp3\" -> \"io1\"" "$T/p2.out" &&
	grep -q "^note: .* is not the file recorded" "$T/p2.out" &&
	ok "argument changed: exit 5, 'storage_type: \"gp3\" -> \"io1\"' named, the file's change noted" ||
	bad "argument changed: exit $rc" "$T/p2.out"
replay "$T/t1.tape" "$T/ed/arg.yaml" --format json > "$T/p2.json" 2>/dev/null
py '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["drift"] is True
a = r["arguments"]
assert {"step": "restore", "action": "rds.restore_from_snapshot", "field": "storage_type", "recorded": "gp3", "now": "io1"} in a, a
assert r["unanswered"] == [] and r["steps_added"] == [] and r["steps_removed"] == [], r
' "$T/p2.json" && ok "argument changed, json: {field: storage_type, recorded: gp3, now: io1}" || bad "argument changed json" "$T/p2.json"

replay "$T/t1.tape" "$T/ed/added.yaml" > "$T/p3.out" 2>&1
rc=$?
[ $rc = 5 ] && grep -qF "step added: 'announce'" "$T/p3.out" && ! grep -q "^argument:" "$T/p3.out" &&
	ok "step added: exit 5, 'announce' named" || bad "step added: exit $rc" "$T/p3.out"
replay "$T/t1.tape" "$T/ed/added.yaml" --format json > "$T/p3.json" 2>/dev/null
py 'import json,sys; r=json.load(open(sys.argv[1])); assert r["steps_added"] == ["announce"] and r["steps_removed"] == [], r' "$T/p3.json" &&
	ok "step added, json: steps_added [announce]" || bad "step added json" "$T/p3.json"

replay "$T/t1.tape" "$T/ed/removed.yaml" > "$T/p4.out" 2>&1
rc=$?
[ $rc = 5 ] && grep -qF "step removed: 'protect'" "$T/p4.out" &&
	grep -qF "never made: step 'protect' action 'rds.modify_instance' (mutating)" "$T/p4.out" &&
	ok "step removed: exit 5, 'protect' named, its recorded call never made" || bad "step removed: exit $rc" "$T/p4.out"
replay "$T/t1.tape" "$T/ed/removed.yaml" --format json > "$T/p4.json" 2>/dev/null
py '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["steps_removed"] == ["protect"], r["steps_removed"]
assert [(m["step"], m["action"]) for m in r["never_made"]] == [("protect", "rds.modify_instance")], r["never_made"]
' "$T/p4.json" && ok "step removed, json: steps_removed [protect], never_made names its call" || bad "step removed json" "$T/p4.json"

# ---- 3. a recorded failure --------------------------------------------------------
cp "$SC" "$T/fail.yaml"
printf 'faults:\n  - {service: rds, operation: ModifyDBInstance, kind: 5xx, count: 1000}\n' >> "$T/fail.yaml"
rehearse "$RB" --scenario "$T/fail.yaml" -p source_instance=shop-prod --record "$T/t3.tape" > "$T/r3.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q '"step":"protect".*"ok":false' "$T/t3.tape" && grep -q '"rollback":true' "$T/t3.tape" &&
	ok "a failing rehearsal recorded: exit 1, the failed call and the rollback's calls on the tape" ||
	bad "failing rehearsal: exit $rc" "$T/r3.out"
replay "$T/t3.tape" > "$T/p5.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q "recorded run failed (exit 1), replay failed (exit 1)" "$T/p5.out" &&
	ok "the failure replays: same outcome (failed, exit 1), exit 0" || bad "failure replay: exit $rc" "$T/p5.out"
# the runbook now tolerates the failure: the outcome changes
awk '/^  - id: protect$/ { print; print "    critical: false"; next } { print }' "$RB" > "$T/ed/tolerant.yaml"
replay "$T/t3.tape" "$T/ed/tolerant.yaml" > "$T/p6.out" 2>&1
rc=$?
[ $rc = 5 ] && grep -q "^outcome changed: failed (exit 1) -> succeeded (exit 0)" "$T/p6.out" &&
	ok "outcome changed reported (failed exit 1 -> succeeded exit 0), exit 5" || bad "outcome change: exit $rc" "$T/p6.out"
replay "$T/t3.tape" "$T/ed/tolerant.yaml" --format json > "$T/p6.json" 2>/dev/null
py '
import json, sys
r = json.load(open(sys.argv[1]))
o = r["outcome"]
assert o["changed"] and o["recorded"] == {"status": "failed", "exit_code": 1} and o["now"] == {"status": "succeeded", "exit_code": 0}, o
assert any(c["step"] == "restore" for c in r["steps_changed"]), r["steps_changed"]
' "$T/p6.json" && ok "outcome changed, json: recorded/now and the steps whose outcome changed" || bad "outcome json" "$T/p6.json"

# ---- 4. run --record on the real clock: the exec is never run again ---------------
cat > "$T/small.yaml" <<Y
runbook: small
params:
  marker: {type: string, required: true}
steps:
  - id: touch
    action: exec
    with: {argv: [touch, "\${{ .params.marker }}"]}
  - id: say
    needs: [touch]
    action: log
    with: {message: "touched \${{ .params.marker }}"}
  - id: nap
    needs: [say]
    action: sleep
    with: {duration: 1s}
Y
"$RUNBOOK" run "$T/small.yaml" -p marker="$T/marker" --state-dir "$S" --record "$T/t4.tape" > "$T/r4.out" 2>&1 < /dev/null
rc=$?
[ $rc = 0 ] && [ -f "$T/marker" ] && grep -q '"clock":"real"' "$T/t4.tape" && ok "run --record: exit 0, real clock" ||
	bad "run --record: exit $rc" "$T/r4.out"
rm -f "$T/marker"
replay "$T/t4.tape" > "$T/p7.out" 2>&1
rc=$?
[ $rc = 0 ] && [ ! -e "$T/marker" ] && ok "replay of a real run: exit 0, the exec not run again (its file not re-created)" ||
	bad "replay of the exec: exit $rc, marker $( [ -e "$T/marker" ] && echo re-created || echo absent)" "$T/p7.out"

# ---- 5. one run per tape; bad tapes -----------------------------------------------
n=$(ls "$S/runs" | wc -l)
"$RUNBOOK" run "$T/small.yaml" -p marker="$T/marker" --state-dir "$S" --record "$T/t4.tape" > "$T/r5.out" 2>&1 < /dev/null
rc=$?
[ $rc = 2 ] && grep -q "already holds the recording of run" "$T/r5.out" && [ ! -e "$T/marker" ] &&
	[ "$(ls "$S/runs" | wc -l)" = "$n" ] && ok "--record to another run's tape: exit 2, nothing ran" ||
	bad "--record to a used tape: exit $rc" "$T/r5.out"
echo 'not a tape' > "$T/junk.tape"
"$RUNBOOK" run "$T/small.yaml" -p marker="$T/marker" --state-dir "$S" --record "$T/junk.tape" > "$T/r6.out" 2>&1 < /dev/null
[ $? = 2 ] && grep -q "is not a tape" "$T/r6.out" && [ ! -e "$T/marker" ] && ok "--record to a non-tape file: exit 2, nothing ran" ||
	bad "--record to a non-tape" "$T/r6.out"

badtape() { # name, expected message (grep -E), file content
	printf '%s' "$3" > "$T/$1.tape"
	replay "$T/$1.tape" > "$T/$1.out" 2>&1
	local rc=$?
	[ $rc = 2 ] && grep -qE "$2" "$T/$1.out" && ok "bad tape '$1': exit 2, $(grep -m1 -oE "$2" "$T/$1.out")" ||
		bad "bad tape '$1': exit $rc" "$T/$1.out"
}
H=$(head -1 "$T/t1.tape")
badtape v2 "v2.tape:1:1: error: tape version 2 is not supported" "$(printf '%s\n' "$H" | sed 's/^{"tape":1,/{"tape":2,/')
"
badtape notjson "notjson.tape:3:1: error: a tape line must be a JSON object" "$(sed -n 1,2p "$T/t1.tape")
{\"seq\": oops
$(sed -n 3p "$T/t1.tape")
"
badtape nook "nook.tape:2:1: error: tape call line has no \"ok\" boolean" "$H
{\"seq\":1,\"step\":\"snapshots\",\"action\":\"rds.describe_snapshots\",\"args\":{}}
"
badtape noheader "noheader.tape:1:1: error: .* is not a tape" "$(sed -n 2p "$T/t1.tape")
"
badtape empty "empty.tape:1:1: error: .* is empty" ""
replay "$T/nonexistent.tape" > "$T/ne.out" 2>&1
[ $? = 2 ] && grep -q "nonexistent.tape" "$T/ne.out" && ok "a missing tape: exit 2" || bad "missing tape" "$T/ne.out"
# a tape from a later runbook with fields this one does not know still replays
py '
import json, sys
out = open(sys.argv[2], "w")
for l in open(sys.argv[1]):
    v = json.loads(l)
    v["future_field"] = {"x": 1}
    out.write(json.dumps(v) + "\n")
out.write(json.dumps({"future_line": True}) + "\n")
' "$T/t1.tape" "$T/future.tape"
replay "$T/future.tape" > "$T/p8.out" 2>&1
[ $? = 0 ] && ok "unknown fields and lines are ignored (forward-compatible): exit 0" || bad "future tape" "$T/p8.out"

# ---- 6. a run killed and resumed onto its own tape -------------------------------
cat > "$T/resumable.yaml" <<'Y'
runbook: resumable
steps:
  - id: one
    action: log
    with: {message: one}
  - id: nap
    needs: [one]
    action: sleep
    with: {duration: 2s}
  - id: two
    needs: [nap]
    action: log
    with: {message: two}
Y
S2=$T/state2
"$RUNBOOK" run "$T/resumable.yaml" --state-dir "$S2" --record "$T/t6.tape" > "$T/r7.out" 2>&1 < /dev/null &
P=$!
for _ in $(seq 200); do grep -q '"step":"one"' "$T/t6.tape" 2>/dev/null && break; sleep 0.05; done
kill -TERM $P; wait $P
rc=$?
ID=$(ls "$S2/runs")
"$RUNBOOK" resume "$ID" --state-dir "$S2" --record "$T/t4.tape" > "$T/r8.out" 2>&1 < /dev/null
rc2=$?
"$RUNBOOK" resume "$ID" --state-dir "$S2" --record "$T/t6.tape" > "$T/r9.out" 2>&1 < /dev/null
rc3=$?
if [ $rc = 3 ] && [ $rc2 = 2 ] && [ $rc3 = 0 ] && py '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert sum("tape" in l for l in lines) == 1, "one header"
seqs = [l["seq"] for l in lines if "seq" in l]
assert seqs == list(range(1, len(seqs) + 1)), seqs
end = lines[-1]
assert end.get("end") and end["status"] == "succeeded" and set(end["steps"]) == {"one", "nap", "two"}, end
' "$T/t6.tape" 2> "$T/py6.err"; then
	ok "resume --record appends to its run's tape (one header, seq goes on, the end line knows every step); another run's tape refused"
else bad "resume --record: run $rc, other tape $rc2, own tape $rc3" "$T/py6.err"; cat "$T/r8.out" "$T/r9.out"; fi
replay "$T/t6.tape" > "$T/p9.out" 2>&1
[ $? = 0 ] && ok "the resumed run's tape replays with exit 0" || bad "replay resumed tape" "$T/p9.out"

# ---- 7. a declined confirmation is declined again -----------------------------------
rehearse "$RB" --scenario "$SC" -p source_instance=shop-prod --decline go --record "$T/t7.tape" > "$T/r10.out" 2>&1
rc=$?
replay "$T/t7.tape" > "$T/p10.out" 2>&1
rc2=$?
[ $rc = 4 ] && [ $rc2 = 0 ] && grep -q "recorded run aborted (exit 4), replay aborted (exit 4)" "$T/p10.out" &&
	ok "a confirmation the recorded run declined is declined in the replay (aborted, exit 4 both; no drift)" ||
	bad "declined replay: rehearse $rc, replay $rc2" "$T/p10.out"

tap_done
