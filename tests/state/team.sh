#!/usr/bin/env bash
# team.sh — one state store in PostgreSQL shared by two "machines" (two working folders,
# the second with its own host name where unshare allows it): history, show and drills seen
# from both; a runbook `lock:` held across them (exit 6) and released by kill -9 of its
# holder; kill -9 of a run on one and `resume --take-over` on the other, every effect exactly
# once; the store restarted in the middle of a run (the run stops, then resumes).
# Run under tests/integration/servers.sh (PGHOST, PGPORT...).  usage: team.sh RUNBOOK-BINARY
RB=$(realpath "$1")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-team
PSQL=/usr/lib/postgresql/15/bin/psql
"$PSQL" -X -q -c "CREATE DATABASE rbstate" >/dev/null || bail_out "cannot create the database"
export RUNBOOK_STATE_DIR="postgresql://postgres@127.0.0.1:$PGPORT/rbstate"
A=$T/machine-a B=$T/machine-b
mkdir -p "$A" "$B"
EFF=$T/effects           # what the runbooks' mutating steps did, one line per effect
: >"$EFF"

# on machine B: its own host name when this user may unshare a UTS namespace
if unshare -u true 2>/dev/null; then
	on_b() { (cd "$B" && exec unshare -u bash -c 'hostname machine-b && exec "$@"' on_b "$@"); }
	OTHER_HOST=1
else
	on_b() { (cd "$B" && exec "$@"); }
	OTHER_HOST=0
fi
on_a() { (cd "$A" && exec "$@"); }
# bg_a|bg_b OUT CMD...: in the background, BG = runbook's own pid (what kill -9 and the
# messages name: the subshell execs it)
bg_a() { local out=$1; shift; (cd "$A" && exec "$@" >"$out" 2>&1) & BG=$!; }
bg_b() { local out=$1; shift; (cd "$B" && exec "$@" >"$out" 2>&1) & BG=$!; }

cat >"$T/hello.yaml" <<YAML
runbook: hello
objectives: {rto: 30m}
steps:
  - id: say
    action: exec
    with: {argv: [sh, -c, 'echo hello >> "\$0"', "$EFF"]}
YAML
cat >"$T/empty.scenario.yaml" <<YAML
scenario: empty
exec:
  - {argv: [sh, -c], run: true}
YAML

# ---- history, show, drills from both machines
on_a "$RB" run "$T/hello.yaml" --yes >"$T/a1.out" 2>&1
expect_rc 0 $? "run on machine A"
ID1=$(on_a "$RB" history --format json 2>/dev/null | jq -rs '.[-1].run // empty')
[ -n "$ID1" ] || ID1=$(grep -o '[0-9]\{8\}T[0-9]\{6\}Z-[0-9a-f]\{4\}' "$T/a1.out" | head -1)
check_sh "machine A names its run" '[ -n "$ID1" ]'
on_b "$RB" history >"$T/b-hist.out" 2>&1
check_sh "machine B's history lists A's run" 'grep -q "$ID1" "$T/b-hist.out"'
on_b "$RB" show "$ID1" --format json >"$T/b-show.json" 2>"$T/b-show.err"
check_cmd "machine B shows A's run (status succeeded)" jq -e '.status == "succeeded"' "$T/b-show.json"
check_sh "no run folder written on either machine" '[ ! -e "$A/.runbook" ] && [ ! -e "$B/.runbook" ]'
on_a "$RB" drill "$T/hello.yaml" --scenario "$T/empty.scenario.yaml" >"$T/drill.out" 2>&1
DRC=$?
check_sh "a drill on machine A ends (0 or 5)" '[ $DRC = 0 ] || [ $DRC = 5 ]' || diag_out "$T/drill.out"
on_b "$RB" drills --format json >"$T/b-drills.json" 2>&1
check_cmd "machine B's drills show A's drill" jq -e 'length >= 1 and (.[0].runbook == "hello")' "$T/b-drills.json"

# ---- a lock held across machines
cat >"$T/locked.yaml" <<YAML
runbook: locked
params:
  target: {type: string}
lock: "db/\${{ .params.target }}"
steps:
  - id: mark
    action: exec
    with: {argv: [sh, -c, 'echo "locked \$1" >> "\$0"', "$EFF", "\${{ .params.target }}"]}
  - id: hold
    action: exec
    needs: [mark]
    with: {argv: [sleep, "60"]}
YAML
wait_for() { # wait_for PATTERN FILE: up to 30 s
	for _ in $(seq 300); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
bg_a "$T/holder.out" "$RB" run "$T/locked.yaml" -p target=db1 --yes
HOLDER=$BG
tap_cleanup kill -9 "$HOLDER"
wait_for "locked db1" "$EFF" || fail "the holder did not start"
NRUNS=$(on_b "$RB" history --format json 2>/dev/null | jq -s length)
on_b "$RB" run "$T/locked.yaml" -p target=db1 --yes >"$T/second.out" 2>&1
expect_rc 6 $? "a second run of lock db/db1 from machine B"
check_sh "the refusal names the lock and the holder's pid" \
	'grep -q "db/db1" "$T/second.out" && grep -q "$HOLDER" "$T/second.out"'
check "nothing ran: one 'locked db1' effect" 1 "$(grep -c 'locked db1' "$EFF")"
check "nothing ran: no new run in the store" "$NRUNS" "$(on_b "$RB" history --format json 2>/dev/null | jq -s length)"
bg_b "$T/other.out" "$RB" run "$T/locked.yaml" -p target=db2 --yes --wait-lock 1s
OTHER=$BG
wait_for "locked db2" "$EFF"
check "another key is not held: db2 starts" 1 "$(grep -c 'locked db2' "$EFF")"
kill -9 "$OTHER" 2>/dev/null
kill -9 "$HOLDER"
wait "$HOLDER" 2>/dev/null
bg_b "$T/after.out" "$RB" run "$T/locked.yaml" -p target=db1 --yes --wait-lock 20s
AFTER=$BG
for _ in $(seq 300); do [ "$(grep -c 'locked db1' "$EFF")" = 2 ] && break; sleep 0.1; done
check "kill -9 of the holder released the lock: B's run started" 2 "$(grep -c 'locked db1' "$EFF")"
kill -9 "$AFTER" 2>/dev/null
wait "$AFTER" 2>/dev/null

# ---- kill -9 on machine A, resume --take-over on machine B
cat >"$T/takeover.yaml" <<YAML
runbook: takeover
steps:
  - id: one
    action: exec
    with: {argv: [sh, -c, 'echo one >> "\$0"', "$EFF"]}
  - id: pause
    action: sleep
    needs: [one]
    with: {duration: 60s}
  - id: two
    action: exec
    needs: [pause]
    with: {argv: [sh, -c, 'echo two >> "\$0"', "$EFF"]}
YAML
bg_a "$T/t-a.out" "$RB" run "$T/takeover.yaml" --yes
TA=$BG
tap_cleanup kill -9 "$TA"
for _ in $(seq 300); do grep -qx one "$EFF" && break; sleep 0.1; done
sleep 0.5
TID=$(on_b "$RB" history --format json 2>/dev/null | jq -rs '[.[] | select(.runbook == "takeover")][-1].run')
check_sh "machine B sees the running run" '[ -n "$TID" ] && [ "$TID" != null ]'
on_b "$RB" resume --take-over "$TID" >"$T/t-live.out" 2>&1
expect_rc 6 $? "take-over refused while its owner lives"
check_sh "the refusal names the owner's pid" 'grep -q "$TA" "$T/t-live.out"'
if [ $OTHER_HOST = 1 ]; then
	kill -9 "$TA"; wait "$TA" 2>/dev/null
	on_b "$RB" resume "$TID" >"$T/t-plain.out" 2>&1
	PRC=$?
	check_sh "plain resume of a run started elsewhere says --take-over (exit $PRC)" \
		'[ $PRC != 0 ] && grep -q -- "--take-over" "$T/t-plain.out"'
else
	kill -9 "$TA"; wait "$TA" 2>/dev/null
	skip "plain resume of a run started elsewhere" "unshare -u not permitted"
fi
# the pause was running when its owner died: --done says it is over (a sleep would
# otherwise run again in full)
on_b "$RB" resume --take-over "$TID" --done pause >"$T/t-b.out" 2>&1
expect_rc 0 $? "resume --take-over on machine B"
check "step one ran exactly once" 1 "$(grep -cx one "$EFF")"
check "step two ran exactly once" 1 "$(grep -cx two "$EFF")"
on_a "$RB" show "$TID" --format json >"$T/t-show.json" 2>&1
check_cmd "machine A sees the run succeeded" jq -e '.status == "succeeded"' "$T/t-show.json"

# ---- the store restarted in the middle of a run
cat >"$T/restart.yaml" <<YAML
runbook: restart
steps:
  - id: first
    action: exec
    with: {argv: [sh, -c, 'echo first >> "\$0"', "$EFF"]}
  - id: gap
    action: exec
    needs: [first]
    with: {argv: [sleep, "3"], read_only: true}
  - id: last
    action: exec
    needs: [gap]
    with: {argv: [sh, -c, 'echo last >> "\$0"', "$EFF"]}
YAML
bg_a "$T/r-a.out" "$RB" run "$T/restart.yaml" --yes
RA=$BG
for _ in $(seq 300); do grep -qx first "$EFF" && break; sleep 0.1; done
# as the cluster's owner (servers.sh runs it as postgres when we are root)
PGOWNER=$(stat -c %U "$RB_SERVERS_DIR/pg")
as_owner() { if [ "$(id -un)" = "$PGOWNER" ]; then "$@"; else runuser -u "$PGOWNER" -- "$@"; fi; }
as_owner /usr/lib/postgresql/15/bin/pg_ctl -D "$RB_SERVERS_DIR/pg" -m fast -w restart -l "$RB_SERVERS_DIR/log/pg.log" >"$T/restart.log" 2>&1 ||
	fail "cannot restart PostgreSQL"
wait "$RA"
RRC=$?
check_sh "the run stopped when its journal could not be written (exit $RRC)" '[ $RRC != 0 ]'
check "the step after the store went away did not run" 0 "$(grep -cx last "$EFF")"
check_sh "it says the state store failed" 'grep -qi "state\|journal" "$T/r-a.out"'
RID=$(on_a "$RB" history --format json 2>/dev/null | jq -rs '[.[] | select(.runbook == "restart")][-1].run')
on_a "$RB" resume "$RID" >"$T/r-resume.out" 2>&1
expect_rc 0 $? "resume once the store is back"
check "first ran exactly once" 1 "$(grep -cx first "$EFF")"
check "last ran exactly once" 1 "$(grep -cx last "$EFF")"
tap_done
