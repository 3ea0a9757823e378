#!/usr/bin/env bash
# tests/engine/waits.sh CASE RUNBOOK — when a wait notices a restore (issue 14), rehearsed
# on the virtual clock: a restore of N minutes, then a wait on the instance with no
# `expect` (so its polls aim at rds.restore_from_snapshot's typical 20 minutes).
#   late       restores of 12m1s and 40 minutes (the typical duration wrong both ways):
#              polls never more than 30 s apart (the AWS CLI waiter's delay), the end
#              noticed within 30 s of it
#   typical    a 20-minute restore (the typical duration right): noticed within 5 s with
#              no more polls than the CLI's waiter (41); 25 s late: still within 5 s
set -u
CASE=$1
RB=$(realpath "$2")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-waits
cd "$T" || exit 1
cat >rb.yaml <<'EOF'
runbook: waits
connections:
  aws: {region: us-east-1}
steps:
  - id: restore
    action: rds.restore_from_snapshot
    with: {snapshot: nightly, target: shop-restored}
  - id: up
    needs: [restore]
    wait:
      action: rds.describe_instance
      with: {instance: shop-restored}
      until: .result.DBInstanceStatus == "available"
      timeout: 1h
EOF
# rehearse DURATION: prints "polls lag_ms max_gap_ms" of the wait
rehearse() {
	rm -rf state
	cat >scenario.yaml <<EOF
scenario: waits
rds:
  instances:
    - {id: shop-prod, class: db.r6g.large, engine: postgres, storage: 100,
       backup_retention: 7, master_username: shop_admin, db_name: shop}
  snapshots:
    - {id: nightly, instance: shop-prod, type: manual, created: -1h}
durations:
  restore: $1
EOF
	"$RB" rehearse rb.yaml --scenario scenario.yaml --state-dir state >out 2>&1 || { cat out; return 1; }
	# the restore's clock starts with its call; the wait's polls give the rest
	jq -rs --argjson n "$2" '
		def ms: sub("\\.(?<f>[0-9]+)Z$"; "Z") as $s | (.[0:19] + "Z" | fromdateiso8601) * 1000 + ((capture("\\.(?<f>[0-9]{3})Z$").f // "0") | tonumber);
		(map(select(.event == "call" and .step == "restore"))[0].time | ms) as $t0 |
		(map(select(.event == "step_finished" and .step == "up"))[0]) as $f |
		[map(select(.event == "call" and .step == "up")) | .[].time | ms] as $p |
		"\($f.polls) \(($f.time | ms) - $t0 - $n) \([range(1; $p | length) as $i | $p[$i] - $p[$i - 1]] | max)"
	' state/runs/*/journal.jsonl
}

case $CASE in
late)
	for m in 12m1s:721000 40m:2400000; do
		r=$(rehearse "${m%:*}" "${m#*:}")
		m=${m%:*}
		expect_rc 0 $? "rehearsal of a $m restore"
		read -r polls lag gap <<<"$r"
		echo "# $m: $polls polls, lag $lag ms, longest gap $gap ms" >&3
		check_sh "$m: noticed within 30 s ($lag ms)" "[ $lag -ge 0 ] && [ $lag -le 30000 ]"
		check_sh "$m: polls at most 30 s apart ($gap ms)" "[ $gap -le 30000 ]"
	done
	;;
typical)
	r=$(rehearse 20m 1200000)
	expect_rc 0 $? "rehearsal of a 20-minute restore"
	read -r polls lag gap <<<"$r"
	echo "# 20 minutes: $polls polls, lag $lag ms, longest gap $gap ms" >&3
	check_sh "20 min: noticed within 5 s ($lag ms)" "[ $lag -ge 0 ] && [ $lag -le 5000 ]"
	check_sh "20 min: no more polls than the CLI's waiter ($polls <= 41)" "[ $polls -le 41 ]"
	r=$(rehearse 20m25s 1225000)
	expect_rc 0 $? "rehearsal of a 20m25s restore"
	read -r polls lag gap <<<"$r"
	echo "# 20m25s: $polls polls, lag $lag ms" >&3
	check_sh "25 s past the typical: noticed within 5 s ($lag ms)" "[ $lag -ge 0 ] && [ $lag -le 5000 ]"
	;;
*)
	fail "unknown case $CASE"
	;;
esac
tap_done
