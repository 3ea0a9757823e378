#!/bin/bash
# crash.sh CASE RUNBOOK SRCDIR — kill -9 at chosen or random moments of RDS and S3
# restores running against `runbook sim serve` (latency faults keep calls in flight:
# the simulator applies a call after its delay, so a call can land after its client
# died), resume, then read the simulator's counters and world: every mutating call
# made once per intended effect, nothing left behind after a rollback, exit codes true.
#   CASE: inflight never-lands checked-rollback rollback-inflight modify-extra harness
#   CRASH_N=100 (env): kills in the harness (default 12)
set -u
CASE=$1
RB=$(realpath "$2")
SRC=$(realpath "$3")
HERE=$SRC/tests/crash
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-crash
TAP_OUT=$T/out TAP_ON_FAIL=sim_diag
ST=$T/state
SIM_PID=
export NO_COLOR=1 AWS_ACCESS_KEY_ID=AKIDSIMULATOR0000001 AWS_SECRET_ACCESS_KEY=dummy-secret-key
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_CONFIG_FILE=$T/none AWS_SHARED_CREDENTIALS_FILE=$T/none
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL http_proxy HTTP_PROXY all_proxy ALL_PROXY
command -v curl >/dev/null && command -v jq >/dev/null || skip_all "needs curl and jq"
tap_cleanup sim_stop
cd "$T" || exit 1

# after a failure: the simulator's stderr, and whether it died
sim_diag() {
	[ -s "$T/sim.err" ] && diag_out "$T/sim.err"
	[ -n "$SIM_PID" ] && ! kill -0 "$SIM_PID" 2>/dev/null && { wait "$SIM_PID"; diag "the simulator died (exit $?)"; }
	return 0
}

sim_stop() {
	[ -n "$SIM_PID" ] && { kill -9 "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; }
	SIM_PID=
}
# a fresh simulator (fresh world and counters) on an ephemeral port: sets EP
# (slow: mutating calls take 3 s to land, so a resume surely starts before they do)
sim_start() {
	local world=$HERE/world.yaml
	if [ "${1:-}" = slow ]; then
		sed -E '/(Restore|Modify|Delete)DBInstance/s/latency: [0-9]+ms/latency: 3s/' "$HERE/world.yaml" >"$T/world-slow.yaml"
		world=$T/world-slow.yaml
	fi
	sim_stop
	"$RB" sim serve --scenario "$world" --listen 127.0.0.1:0 --quiet >"$T/sim.out" 2>"$T/sim.err" &
	SIM_PID=$!
	EP=
	for _ in $(seq 200); do
		EP=$(head -n1 "$T/sim.out" 2>/dev/null | grep -o 'http://127\.0\.0\.1:[0-9]*')
		[ -n "$EP" ] && return 0
		sleep 0.02
	done
	fail "sim serve did not start: $(cat "$T/sim.err")"
}
counters() { curl -sf "$EP/_sim/counters"; }
mutating() { counters | jq -r --arg op "$1" '.mutating[$op] // 0'; }
requests() { counters | jq -r --arg op "$1" '.requests[$op] // 0'; }
# status of an RDS instance in the simulator's world, "absent" if there is none
inst_status() {
	local s
	s=$(curl -sf "$EP/_sim/state" | jq -r --arg id "$1" \
		'[.rds.instances[] | select(.DBInstanceIdentifier == $id) | .DBInstanceStatus][0] // "absent"')
	echo "${s:-absent}"
}
run_id() { ls "$ST/runs" 2>/dev/null | head -1; }
journal() { cat "$ST"/runs/*/journal.jsonl 2>/dev/null; }
# start runbook FILE in the background with the endpoint: sets PID
start_run() {
	local f=$1; shift
	rm -rf "$ST"
	"$RB" run "$HERE/$f" -p endpoint="$EP" --state-dir "$ST" "$@" </dev/null >"$T/out" 2>&1 &
	PID=$!
}
start_resume() {
	"$RB" resume "$(run_id)" -p endpoint="$EP" --state-dir "$ST" "$@" </dev/null >"$T/out" 2>&1 &
	PID=$!
}
# kill -9 PID once the simulator has received (not yet applied) a request of OP
kill_in_flight() {
	local op=$1 n=${2:-1}
	for _ in $(seq 500); do
		[ "$(requests "$op")" -ge "$n" ] && break
		kill -0 "$PID" 2>/dev/null || fail "the run ended before $op was sent"
		sleep 0.01
	done
	[ "$(requests "$op")" -ge "$n" ] || fail "$op never sent"
	[ "$(mutating "$op")" -lt "$n" ] || fail "$op landed before the kill (latency too short for this machine?)"
	kill -9 "$PID"
	wait "$PID" 2>/dev/null
}

case $CASE in

inflight)
	# item 1: killed while RestoreDBInstanceFromDBSnapshot is in flight; an immediate
	# resume must not send it again: it checks until the instance appears
	sim_start slow
	start_run rds.yaml
	kill_in_flight RestoreDBInstanceFromDBSnapshot
	[ "$(inst_status shop-restored)" = absent ] || fail "the restore landed before the resume"
	"$RB" resume "$(run_id)" --state-dir "$ST" </dev/null >out 2>&1; expect_rc 0 $? "resume"
	[ -z "${SHOW_OUT:-}" ] || cat out
	[ "$(mutating RestoreDBInstanceFromDBSnapshot)" = 1 ] || fail "restore sent $(mutating RestoreDBInstanceFromDBSnapshot) times"
	journal | jq -e -s 'any(.[]; .event == "step_finished" and .step == "restore" and .checked == true)' >/dev/null ||
		fail "the journal does not say the restore was found by its check"
	ok "restore in flight at the kill: resumed without a second RestoreDBInstanceFromDBSnapshot"
	;;

never-lands)
	# item 1: the call never lands (the service lost it): after the settle time the
	# resume refuses with --rerun/--done (exit 2) and sends nothing; --rerun runs it
	sim_start slow
	start_run rds.yaml
	kill_in_flight RestoreDBInstanceFromDBSnapshot
	sim_start                   # the old simulator dies with the request
	"$RB" resume "$(run_id)" -p endpoint="$EP" --settle 1s --state-dir "$ST" </dev/null >out 2>&1
	expect_rc 2 $? "resume of a call that never landed"
	grep -q -- "--rerun restore" out && grep -q -- "--done restore" out || fail "no --rerun/--done message: $(cat out)"
	grep -q "did not appear within 1s" out || fail "the message does not say why: $(cat out)"
	[ "$(mutating RestoreDBInstanceFromDBSnapshot)" = 0 ] || fail "the refusing resume sent the restore"
	"$RB" resume "$(run_id)" -p endpoint="$EP" --rerun restore --state-dir "$ST" </dev/null >out 2>&1
	expect_rc 0 $? "resume --rerun restore"
	[ "$(mutating RestoreDBInstanceFromDBSnapshot)" = 1 ] || fail "restore sent $(mutating RestoreDBInstanceFromDBSnapshot) times"
	ok "a call that never landed: refused after the settle time, then run on --rerun"
	;;

checked-rollback)
	# item 2: the restore found done by the resume's check is rolled back when a later
	# step fails, like a step that completed before the crash
	sim_start slow
	start_run rds.yaml -p fail=true
	kill_in_flight RestoreDBInstanceFromDBSnapshot
	"$RB" resume "$(run_id)" --state-dir "$ST" </dev/null >out 2>&1; expect_rc 1 $? "resume (verify fails, rollback)"
	[ "$(mutating DeleteDBInstance)" = 1 ] || fail "DeleteDBInstance sent $(mutating DeleteDBInstance) times"
	st=$(inst_status shop-restored)
	case $st in absent|deleting|deleted) ;; *) false ;; esac || fail "shop-restored left behind ($st)"
	ok "checked restore rolled back (1 DeleteDBInstance, instance $st)"
	;;

rollback-inflight)
	# item 3: killed while the rollback's DeleteDBInstance is in flight; the resume
	# checks it (deleting counts as done) instead of sending it again: exit 1, not 3
	sim_start slow
	start_run rds.yaml -p fail=true
	kill_in_flight DeleteDBInstance
	"$RB" resume "$(run_id)" --state-dir "$ST" </dev/null >out 2>&1; expect_rc 1 $? "resume of the rollback"
	[ "$(mutating DeleteDBInstance)" = 1 ] || fail "DeleteDBInstance sent $(mutating DeleteDBInstance) times"
	journal | jq -e -s 'any(.[]; .event == "rollback_step" and .checked == true)' >/dev/null ||
		fail "the journal does not say the rollback step was found by its check"
	ok "rollback call in flight: checked, not re-sent, exit 1"
	;;

modify-extra)
	# item 7: modify_instance with extra: is checked against the instance, so a
	# resume without a terminal goes on instead of asking
	sim_start slow
	start_run rds.yaml
	kill_in_flight ModifyDBInstance
	"$RB" resume "$(run_id)" --state-dir "$ST" </dev/null >out 2>&1; expect_rc 0 $? "resume"
	[ "$(mutating ModifyDBInstance)" = 1 ] || fail "ModifyDBInstance sent $(mutating ModifyDBInstance) times"
	ok "modify_instance with extra: checked after a kill, sent once"
	;;

harness)
	# random kills in flight and between steps, forward and during the rollback, of
	# an RDS restore, an RDS restore that fails and rolls back, and an S3 restore
	N=${CRASH_N:-12}
	RANDOM=${CRASH_SEED:-$$}
	kills=0 inflight=0 rbkills=0 asked=0 resumes=0 runs=0
	declare -A repeated=()
	kinds=(rds rds-fail s3)
	# the operator's answer when a resume asks: look at the world
	answer() {
		local step=$1
		case $step in
		restore) [ "$(inst_status shop-restored)" = absent ] && echo --rerun || echo --done ;;
		restore.rollback.1) case $(inst_status shop-restored) in absent|deleting|deleted) echo --done ;; *) echo --rerun ;; esac ;;
		*) echo --rerun ;;
		esac
	}
	# kill the running process after a random delay; counts kills and in-flight ones
	random_kill() {
		local max=$1
		sleep "$((RANDOM % max / 1000)).$(printf %03d $((RANDOM % max % 1000)))"
		local c
		c=$(counters)
		if kill -9 "$PID" 2>/dev/null; then
			kills=$((kills + 1))
			journal | grep -q '"event":"rollback_started"' && rbkills=$((rbkills + 1))
			# a request received but not applied yet is in flight
			jq -e '[.requests | to_entries[] | select(.key | test("^(Restore|Modify|Delete|Copy)"))] as $r |
				any($r[]; .value > ($c.mutating[.key] // 0))' --argjson c "$c" <<<"$c" >/dev/null && inflight=$((inflight + 1))
		fi
		wait "$PID" 2>/dev/null
		LAST_RC=$?
	}
	while [ "$kills" -lt "$N" ]; do
		kind=${kinds[$((runs % 3))]}
		runs=$((runs + 1))
		sim_start
		case $kind in
		rds) f=rds.yaml args=() want=0 max=4000 ;;
		rds-fail) f=rds.yaml args=(-p fail=true) want=1 max=5000 ;;
		s3) f=s3.yaml args=() want=0 max=1800 ;;
		esac
		start_run "$f" "${args[@]}"
		random_kill $max
		opts=()
		for round in $(seq 30); do
			[ -n "$(run_id)" ] || { start_run "$f" "${args[@]}"; random_kill $max; continue; }
			journal | grep -q '"event":"run_finished"' && break
			resumes=$((resumes + 1))
			start_resume --settle 3s "${opts[@]}"
			opts=()
			if [ "$kills" -lt "$N" ] && [ $((RANDOM % 4)) != 0 ]; then
				random_kill $max
			else
				wait "$PID"; LAST_RC=$?
			fi
			if [ "$LAST_RC" = 2 ] && step=$(grep -o 'resume with --rerun [a-z0-9_.]*' "$T/out" | head -1 | awk '{print $4}') && [ -n "$step" ]; then
				asked=$((asked + 1))
				opts=("$(answer "$step")" "$step")
			elif [ "$LAST_RC" = 3 ]; then
				fail "$kind: exit 3 (rollback incomplete) after a resume"
			fi
		done
		journal | grep -q '"event":"run_finished"' || fail "$kind: never finished"
		rc=$(journal | jq -s '[.[] | select(.event == "run_finished")][0].exit_code')
		[ "$rc" = "$want" ] || fail "$kind: exit code $rc, want $want"
		c=$(counters)
		check_calls() { # check_calls OP WANT: the simulator saw OP WANT times
			local got
			got=$(jq -r --arg op "$1" '.mutating[$op] // 0' <<<"$c")
			[ "$got" = "$2" ] || { repeated[$kind.$1]=$got; fail "$kind: $1 made $got times, want $2 ($kills kills so far)"; }
		}
		case $kind in
		rds) check_calls RestoreDBInstanceFromDBSnapshot 1; check_calls ModifyDBInstance 1; check_calls DeleteDBInstance 0
		     [ "$(inst_status shop-restored)" != absent ] || fail "rds: no restored instance" ;;
		rds-fail) check_calls RestoreDBInstanceFromDBSnapshot 1; check_calls DeleteDBInstance 1
		     st=$(inst_status shop-restored)
		     case $st in absent|deleting|deleted) ;; *) false ;; esac || fail "rds-fail: shop-restored left behind ($st)" ;;
		s3) check_calls DeleteObject 2; check_calls CopyObject 1
		    n=$(curl -sf "$EP/_sim/state" | jq '[.s3[] | select(.Name == "media") | .Versions[] | select(.Key == "c.json")] | length')
		    [ "$n" = 3 ] || fail "s3: c.json has $n versions, want 3 (one restore)" ;;
		esac
	done
	ok "$runs runs, $kills kills ($inflight with a mutating call in flight, $rbkills during a rollback), $resumes resumes, $asked operator answers: 0 repeated calls, 0 left behind, exit codes true"
	;;

*) fail "unknown case" ;;
esac
tap_done
