#!/usr/bin/env bash
# drill.sh RUNBOOK SRCROOT CASE — `runbook drill` and `runbook drills` on rehearsals of the
# bundled restore runbooks (embedded simulator, virtual clock) and on small live runs.
#   met-missed  RTO met (exit 0), slower (flagged), missed (exit 5): both figures in the
#               summary, in every --report-dir file, in the register; `drills` trend
#   rpo         RPO from recovery_point/incident_time: met (0), missed (5); an objective
#               that cannot be measured (exit 5, says why)
#   failed      a failing rehearsal (fault scenario) exits with the run's code, registered
#   live        --live: a local runbook (exec, log), a confirmation refused without a
#               terminal (exit 4, registered), --yes refused, usage errors
#   secrets     no secret value (nor its base64) in the register, reports or output
#   register    `drills` on an empty register, a corrupt line, a filter
set -uo pipefail
RB=$(realpath "$1") SRC=$(realpath "$2") CASE=$3
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-drill
export NO_COLOR=1
unset RUNBOOK_STATE_DIR RUNBOOK_PATH
SCEN=$SRC/examples/scenarios
cd "$T" || exit 1

# drill NAME EXPECTED-EXIT ARGS...: output in NAME.out, exit checked
drill() {
	local name=$1 want=$2
	shift 2
	"$RB" drill "$@" >"$name.out" 2>"$name.err"
	local got=$?
	if [ "$got" -eq "$want" ]; then ok "$name: exit $got"; else
		bad "$name: exit $got, expected $want" "$name.out"; diag_out "$name.err"; fi
}

# the drill register's records as a JSON array
register() { jq -s . "${1:-state}/drills.jsonl"; }

case $CASE in
met-missed)
	# the snapshot restore: 20m without the safety snapshot, 30m with it (objective 45m)
	drill fast 0 "$SRC/runbooks/rds-snapshot-restore.yaml" --scenario "$SCEN/rds-snapshot-restore.yaml" \
		-p source_instance=shop-prod -p safety_snapshot=false --state-dir state
	check_sh "fast: RTO 20m against 45m, met" "grep -Eq '^  RTO  achieved 20m +objective 45m +met' fast.out"
	drill slow 0 "$SRC/runbooks/rds-snapshot-restore.yaml" --scenario "$SCEN/rds-snapshot-restore.yaml" \
		-p source_instance=shop-prod --state-dir state --report-dir rep-met
	check_sh "slow: RTO 30m against 45m, met" "grep -Eq '^  RTO  achieved 30m +objective 45m +met' slow.out"
	check_sh "slow: per-step durations" "grep -Eq '^  available.available +succeeded +20m +attempts 1, polls [0-9]+' slow.out"
	check_sh "slow: the critical path as it ran" "grep -q '^critical path: .*safety_available.available -> .*available.available -> available -> restored -> healthy -> tag -> protect (30m)' slow.out"
	check_sh "slow: polls, retries, rollbacks" "grep -Eq '^polls [1-9][0-9]*, retries 0, rollback actions 0 \\(0 failed\\)' slow.out"
	# the same runbook with a tighter objective: missed, exit 5
	sed 's/objectives: {rto: 45m,/objectives: {rto: 25m,/' "$SRC/runbooks/rds-snapshot-restore.yaml" > tight.yaml
	grep -q 'rto: 25m' tight.yaml || bad "could not tighten the objective"
	drill missed 5 tight.yaml --scenario "$SCEN/rds-snapshot-restore.yaml" -p source_instance=shop-prod \
		--state-dir state --report-dir rep-missed
	check_sh "missed: RTO 30m against 25m, MISSED" "grep -Eq '^  RTO  achieved 30m +objective 25m +MISSED' missed.out"
	check_sh "missed: the result line" "grep -q '^result: objective missed (exit 5)' missed.out"
	# every --report-dir file carries both figures
	for d in rep-met:2700000:true rep-missed:1500000:false; do
		dir=${d%%:*} rest=${d#*:} obj=${rest%%:*} met=${rest#*:}
		check_sh "$dir: report.json has the achieved and objective RTO" \
			"jq -e '.drill.objectives.rto.achieved_ms == 1800000 and .drill.objectives.rto.objective_ms == $obj and .drill.objectives.rto.met == $met' $dir/report.json >/dev/null"
		check_sh "$dir: report.json has the run's steps" "jq -e '.steps | length > 10' $dir/report.json >/dev/null"
		check_sh "$dir: report.md has both figures" \
			"grep -Eq '^- RTO  achieved 30m +objective $( [ "$obj" = 2700000 ] && echo 45m || echo 25m)' $dir/report.md"
		check_sh "$dir: report.xml is well-formed XML" \
			"python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' $dir/report.xml"
		check_sh "$dir: files 0600" "[ \"\$(stat -c %a $dir/report.md $dir/report.json | sort -u)\" = 600 ]"
		if [ -f "$dir/timeline.svg" ]; then
			check_sh "$dir: timeline.svg is well-formed XML" \
				"python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' $dir/timeline.svg"
		else
			check_sh "$dir: timeline.svg missing is said" "grep -q 'timeline.svg: not written' slow.err missed.err"
		fi
	done
	check_sh "report dir created 0700" "[ \"\$(stat -c %a rep-met)\" = 700 ]"
	check_sh "the run folder has report.md and report.json" \
		"[ -s state/runs/\$(jq -r .run <(tail -1 state/drills.jsonl))/report.md ] && [ -s state/runs/\$(jq -r .run <(tail -1 state/drills.jsonl))/report.json ]"
	# the register: three drills, the figures of each
	check_sh "register: three lines, 0600" "[ \$(wc -l < state/drills.jsonl) = 3 ] && [ \$(stat -c %a state/drills.jsonl) = 600 ]"
	check_sh "register: the figures and results" \
		"register | jq -e 'map([.rto.achieved_ms, .rto.objective_ms, .met, .exit_code, .mode]) == [[1200000,2700000,true,0,\"scenario\"],[1800000,2700000,true,0,\"scenario\"],[1800000,1500000,false,5,\"scenario\"]]' >/dev/null"
	check_sh "register: v, run, sha256, path, scenario, report_dir" \
		"register | jq -e 'all(.v == 1 and (.run|test(\"^[0-9]{8}T\")) and (.sha256|length) == 64 and (.path|startswith(\"/\")) and (.scenario|endswith(\"rds-snapshot-restore.yaml\")) and (.started < .finished)) and .[1].report_dir == \"$T/rep-met\" and .[0].report_dir == null' >/dev/null"
	"$RB" drills --state-dir state > drills.out 2>&1
	check_sh "drills: exit 0, three rows" "[ \$(grep -c '^20[0-9][0-9]-' drills.out) = 3 ]"
	check_sh "drills: first drill" "sed -n 2p drills.out | grep -Eq 'rds-snapshot-restore +scenario rds-snapshot-restore +20m / 45m .* met +first\$'"
	check_sh "drills: the slower drill flagged" "sed -n 3p drills.out | grep -Eq '30m / 45m .* met +\\+10m slower !\$'"
	check_sh "drills: the missed drill flagged over its objective" "sed -n 4p drills.out | grep -Eq '30m / 25m .* missed +same ! over objective\$'"
	"$RB" drills --state-dir state --format json > drills.json
	check_sh "drills --format json: the trend" \
		"jq -e 'map(.trend | [.delta_ms, .slower, .over_objective]) == [[null,false,false],[600000,true,false],[0,false,true]]' drills.json >/dev/null"
	;;
rpo)
	# one instant for all three: the figures do not depend on when a second ticks
	now=$(date -u +%s)
	two_h=$(date -u -d "@$((now - 7200))" +%Y-%m-%dT%H:%M:%SZ)
	inc_ok=$(date -u -d "@$((now - 7080))" +%Y-%m-%dT%H:%M:%SZ)
	inc_late=$(date -u -d "@$((now - 3600))" +%Y-%m-%dT%H:%M:%S.250+00:00)
	drill rpo-met 0 "$SRC/runbooks/rds-pitr-restore.yaml" --scenario "$SCEN/rds-snapshot-restore.yaml" \
		-p source_instance=shop-prod -p restore_time="$two_h" -p incident_time="$inc_ok" --state-dir state
	check_sh "rpo-met: 2m against 5m" "grep -Eq '^  RPO  achieved 2m +objective 5m +met \\(recovery point ' rpo-met.out"
	drill rpo-missed 5 "$SRC/runbooks/rds-pitr-restore.yaml" --scenario "$SCEN/rds-snapshot-restore.yaml" \
		-p source_instance=shop-prod -p restore_time="$two_h" -p incident_time="$inc_late" --state-dir state \
		--report-dir rep
	check_sh "rpo-missed: 1h against 5m, MISSED; RTO met" \
		"grep -Eq '^  RPO  achieved 1h0(\\.[0-9]+)?s +objective 5m +MISSED' rpo-missed.out && grep -Eq '^  RTO  achieved 20m +objective 1h +met' rpo-missed.out"
	check_sh "rpo-missed: report.json's rpo" \
		"jq -e '.drill.objectives.rpo | .achieved_ms == 3600250 and .objective_ms == 300000 and .met == false and (.recovery_point|endswith(\"Z\"))' rep/report.json >/dev/null"
	check_sh "rpo-missed: run_finished's objectives" \
		"jq -e 'select(.event == \"run_finished\") | .objectives | .met == false and .rto.met == true and .rto.restored == \"checks\" and .errors == {}' state/runs/\$(jq -r .run <(tail -1 state/drills.jsonl))/journal.jsonl >/dev/null"
	check_sh "register: RPO figures" \
		"register | jq -e 'map([.rpo.achieved_ms, .rpo.met, .exit_code]) == [[120000,true,0],[3600250,false,5]]' >/dev/null"
	# an incident time that is not a time: RPO cannot be measured -> 5, and says why
	sed 's|incident_time: .params.incident_time // .run.started_at}|incident_time: .params.source_instance}|' \
		"$SRC/runbooks/rds-pitr-restore.yaml" > bad-incident.yaml
	grep -q 'incident_time: .params.source_instance}' bad-incident.yaml || bad "could not edit incident_time"
	drill unmeasured 5 bad-incident.yaml --scenario "$SCEN/rds-snapshot-restore.yaml" \
		-p source_instance=shop-prod -p restore_time="$two_h" --state-dir state
	check_sh "unmeasured: RPO not measured, why" \
		"grep -Eq '^  RPO  achieved - +objective 5m +not measured' unmeasured.out && grep -q '^  not measured: incident_time: \"shop-prod\" is not a time' unmeasured.out"
	check_sh "unmeasured: the result line" "grep -q '^result: objective not measured (exit 5)' unmeasured.out"
	check_sh "unmeasured: registered with met null" "register | jq -e '.[2] | .met == null and .rpo.met == null and .exit_code == 5' >/dev/null"
	# a jq error in recovery_point: the same, with jq's message
	sed 's|recovery_point: .params.restore_time,|recovery_point: (.params.restore_time \| error("no backup")),|' \
		"$SRC/runbooks/rds-pitr-restore.yaml" > bad-point.yaml
	drill jq-error 5 bad-point.yaml --scenario "$SCEN/rds-snapshot-restore.yaml" \
		-p source_instance=shop-prod -p restore_time="$two_h" --state-dir state
	check_sh "jq-error: recovery_point's error said" "grep -q '^  not measured: recovery_point: no backup' jq-error.out"
	# RTO ends with the step `restored`, not with the run; a recovery point after the
	# incident cannot be an RPO
	cat > restored.yaml <<'EOF2'
runbook: restored-early
objectives: {rto: 10m, rpo: 1h, restored: restore, recovery_point: '"2026-11-22T02:00:00+01:00"',
             incident_time: '"2026-11-22T00:30:00Z"'}
steps:
  - {id: restore, action: sleep, with: {duration: 5m}}
  - {id: cleanup, action: sleep, with: {duration: 20m}}
EOF2
	drill restored 5 restored.yaml --scenario "$SCEN/rds-snapshot-restore.yaml" --state-dir state
	check_sh "restored: RTO to the end of step 'restore' (5m), not of the run (25m)" \
		"grep -Eq \"^  RTO  achieved 5m +objective 10m +met \\(restored: step 'restore'\\)\" restored.out"
	check_sh "restored: a recovery point after the incident is not measured" \
		"grep -q '^  not measured: rpo: recovery_point is after incident_time' restored.out"
	;;
failed)
	drill stuck 1 "$SRC/runbooks/rds-snapshot-restore.yaml" --scenario "$SCEN/rds-restore-stuck.yaml" \
		-p source_instance=shop-prod --state-dir state
	check_sh "stuck: RTO not measured (the restored step did not succeed)" \
		"grep -q \"^  not measured: restored: step 'checks' \" stuck.out"
	check_sh "stuck: rollback actions counted" "grep -Eq '^polls [0-9]+, retries [0-9]+, rollback actions [1-9][0-9]* \\(0 failed\\)' stuck.out"
	check_sh "stuck: the result line" "grep -q '^result: the run did not succeed (exit 1)' stuck.out"
	check_sh "stuck: registered with the run's exit code" \
		"register | jq -e 'length == 1 and .[0].exit_code == 1 and .[0].status != \"succeeded\" and .[0].met == null' >/dev/null"
	"$RB" drills --state-dir state > drills.out
	check_sh "drills: the failed drill" "grep -Eq '^20.* rds-snapshot-restore +scenario rds-restore-stuck +- / 45m .* run failed +first' drills.out"
	;;
live)
	cat > local.yaml <<'EOF'
runbook: local-restore
objectives: {rto: 10m, restored: restore}
params: {dir: {type: string, required: true}}
steps:
  - id: restore
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/restored"]}
  - id: note
    action: log
    with: {message: restored}
EOF
	cat > confirm.yaml <<'EOF'
runbook: local-confirm
objectives: {rto: 10m}
params: {dir: {type: string, required: true}}
steps:
  - id: prepare
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/prepared"]}
    rollback:
      - action: exec
        with: {argv: [touch, "${{ .params.dir }}/undone"]}
  - id: go
    confirm: {prompt: "Switch over?"}
  - id: after
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/after"]}
EOF
	drill live-ok 0 local.yaml --live -p dir="$T" --state-dir state </dev/null
	check_sh "live-ok: the step ran for real" "[ -f restored ]"
	check_sh "live-ok: RTO measured on the real clock, met" "grep -Eq '^  RTO  achieved [0-9.]+m?s +objective 10m +met' live-ok.out"
	check_sh "live-ok: registered as live" "register | jq -e '.[0] | .mode == \"live\" and .scenario == null and .met == true and .exit_code == 0' >/dev/null"
	drill live-declined 4 confirm.yaml --live -p dir="$T" --state-dir state </dev/null
	check_sh "live-declined: the confirmation was not approved without a terminal" "[ -f prepared ] && [ -f undone ] && [ ! -f after ]"
	check_sh "live-declined: registered with exit 4" "register | jq -e '.[1] | .exit_code == 4 and .mode == \"live\"' >/dev/null"
	"$RB" drill confirm.yaml --live --yes -p dir="$T" --state-dir state >yes.out 2>&1
	check_sh "--yes refused (exit 2)" "[ $? -eq 2 ] && grep -q 'drill takes no --yes' yes.out && [ ! -f after ]"
	"$RB" drill confirm.yaml -p dir="$T" --state-dir state >none.out 2>&1
	check_sh "neither --scenario nor --live: exit 2" "[ $? -eq 2 ] && grep -q 'drill needs --scenario SCENARIO (a rehearsal) or --live' none.out"
	"$RB" drill confirm.yaml --live --scenario "$SCEN/rds-snapshot-restore.yaml" -p dir="$T" >both.out 2>&1
	check_sh "both: exit 2" "[ $? -eq 2 ] && grep -q 'not both' both.out"
	printf 'runbook: no-obj\nsteps:\n  - {id: a, action: log, with: {message: hi}}\n' > noobj.yaml
	"$RB" drill noobj.yaml --live --state-dir state >noobj.out 2>&1
	check_sh "no objectives: exit 2, nothing ran" "[ $? -eq 2 ] && grep -q \"declares no objectives\" noobj.out"
	check_sh "register: only the two drills that ran" "[ \$(wc -l < state/drills.jsonl) = 2 ]"
	# a pty answers the confirmation: approved, the run goes on
	if python3 "$SRC/tests/drill/confirm_pty.py" "$RB" confirm.yaml "$T/pty" > pty.out 2>&1; then
		ok "pty: the confirmation asked on the terminal and approved; exit 0"
	else
		bad "pty: $(tail -5 pty.out)"
	fi
	;;
secrets)
	SECRET='Hunter2-drill-SeCrEt-77'
	cat > secret.yaml <<'EOF'
runbook: secret-drill
objectives: {rto: 10m, rpo: 5m, recovery_point: .params.point, incident_time: .params.token}
params:
  token: {type: string, secret: true, required: true}
  point: {type: timestamp, default: "2026-11-22T01:00:00Z"}
steps:
  - id: restore
    action: log
    with: {message: "token ${{ .params.token }}"}
    outputs: {token: .params.token}
outputs: {token: .steps.restore.outputs.token}
EOF
	RUNBOOK_PARAM_TOKEN=$SECRET "$RB" drill secret.yaml --scenario "$SCEN/rds-snapshot-restore.yaml" \
		--state-dir state --report-dir rep >s1.out 2>&1
	check_sh "scenario: exit 5 (the token is not a time)" "[ $? -eq 5 ]"
	RUNBOOK_PARAM_TOKEN=$SECRET "$RB" drill secret.yaml --live --state-dir state --report-dir rep2 \
		--output json >s2.out 2>&1 </dev/null
	check_sh "live, json: exit 5" "[ $? -eq 5 ]"
	check_sh "json: the last line is the drill" "tail -1 s2.out | jq -e '.drill.objectives.errors.incident_time' >/dev/null"
	check_sh "the error is there, redacted" "grep -q 'not measured: incident_time: \"\\*\\*\\*\" is not a time' s1.out"
	b64=$(printf %s "$SECRET" | base64)
	check_sh "no secret value anywhere" "! grep -rqF -- '$SECRET' state rep rep2 s1.out s2.out"
	check_sh "no secret in base64 anywhere" "! grep -rqF -- '$b64' state rep rep2 s1.out s2.out"
	check_sh "the register has both drills" "[ \$(wc -l < state/drills.jsonl) = 2 ]"
	;;
register)
	"$RB" drills --state-dir empty > empty.out 2>&1
	check_sh "empty register: exit 0, a clear line" "[ $? -eq 0 ] && grep -q '^no drills recorded in empty/drills.jsonl' empty.out"
	mkdir -p st
	cat > st/drills.jsonl <<'EOF'
{"v":1,"run":"r2","runbook":"b","path":"/x/b.yaml","mode":"live","scenario":null,"started":"2026-11-22T03:00:00.000Z","finished":"2026-11-22T03:20:00.000Z","status":"succeeded","exit_code":0,"rto":{"objective_ms":1800000,"achieved_ms":1200000,"met":true},"rpo":{"objective_ms":null,"achieved_ms":null,"met":null},"met":true,"report_dir":null}
not json
{"v":1,"run":"r1","runbook":"b","path":"/x/b.yaml","mode":"live","scenario":null,"started":"2026-11-21T03:00:00.000Z","finished":"2026-11-21T03:25:00.000Z","status":"succeeded","exit_code":0,"rto":{"objective_ms":1800000,"achieved_ms":1500000,"met":true},"rpo":{"objective_ms":null,"achieved_ms":null,"met":null},"met":true,"report_dir":null}
{"v":2,"run":"r3"}
{"v":1,"run":"r4","runbook":"c","path":"/x/c.yaml","mode":"live","scenario":null,"started":"2026-11-23T03:00:00.000Z","finished":"2026-11-23T03:20:00.000Z","status":"succeeded","exit_code":0,"rto":{"objective_ms":1800000,"achieved_ms":1200000,"met":true},"rpo":{"objective_ms":null,"achieved_ms":null,"met":null},"met":true,"report_dir":null}
EOF
	"$RB" drills --state-dir st > t.out 2> t.err
	check_sh "corrupt lines: exit 0" "[ $? -eq 0 ]"
	check_sh "corrupt lines: located warnings" \
		"grep -q '^st/drills.jsonl:2: warning: not a JSON object' t.err && grep -q '^st/drills.jsonl:4: warning: not a version 1 drill record' t.err"
	check_sh "time order, trend against the previous drill" \
		"sed -n 2p t.out | grep -q ' 25m / 30m .* first\$' && sed -n 3p t.out | grep -q ' 20m / 30m .* -5m faster\$'"
	"$RB" drills b --state-dir st > b.out 2>/dev/null
	check_sh "filter by name" "[ \$(grep -c '^2026' b.out) = 2 ] && ! grep -q ' c  ' b.out"
	"$RB" drills /x/c.yaml --state-dir st > c.out 2>/dev/null
	check_sh "filter by file" "[ \$(grep -c '^2026' c.out) = 1 ]"
	"$RB" drills nope --state-dir st > n.out 2>/dev/null
	check_sh "filter matching nothing" "grep -q \"^no drills of 'nope'\" n.out"
	"$RB" drills --format xml --state-dir st > x.out 2>&1
	check_sh "bad --format: exit 2" "[ $? -eq 2 ]"
	;;
*)
	bail_out "unknown case $CASE" ;;
esac
tap_done
