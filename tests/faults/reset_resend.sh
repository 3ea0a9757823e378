#!/bin/bash
# reset_resend.sh RUNBOOK DIR — issue 8, item 4: libcurl re-sent a POST by itself when the
# reused connection it went out on was reset, so 2 resets reached the simulator as 3
# requests while 1 retry was journaled. Now every request the simulator receives is an
# attempt the run journaled, and the restore happened once.
. "$(dirname "$0")/lib.sh" "$@"
sim_start "$HERE/reset-resend.yaml"
rb_run pitr "$HERE/reset-resend-runbook.yaml"
check "the restore succeeds through two resets" 0 "$RC"
[ "$RC" = 0 ] || cat "$OUT" "$TMP/pitr/err"
check "two resets were injected" 2 "$(grep -c 'RestoreDBInstanceToPointInTime .*fault=reset' "$SIM_LOG")"
check "restore requests received = restore attempts journaled" \
	"$(sim_requests rds RestoreDBInstanceToPointInTime)" "$(journal_attempts rds RestoreDBInstanceToPointInTime)"
check "three restore attempts (two reset, one answered)" 3 "$(journal_attempts rds RestoreDBInstanceToPointInTime)"
check "each restore request was the retry loop's decision (no libcurl re-send)" \
	"$(sim_requests rds RestoreDBInstanceToPointInTime)" "$(journal_decided rds RestoreDBInstanceToPointInTime)"
check "every RDS request received was journaled" "$(sim_requests rds)" "$(journal_attempts rds)"
check "one restore reached the service" 1 "$(curl -sf "$EP/_sim/counters" | jq '.mutating.RestoreDBInstanceToPointInTime')"
check "the instance exists once" 1 "$(sim_state | jq '[.. | objects | select(.DBInstanceIdentifier? == "shop-pitr")] | length')"
finish
