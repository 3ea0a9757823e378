#!/bin/bash
# Fault injection seen by the real AWS CLI: connection resets, 503s and 20% throttling
# are retried by the CLI; the counters record every injected fault.
. "$(dirname "$0")/lib.sh"
sim_start "$SCEN/rds-faults.yaml" --speed 600

check "describe survives two resets" available "$(awsq rds describe-db-instances --db-instance-identifier shop-prod \
	--query 'DBInstances[0].DBInstanceStatus' --output text)"
check "describe snapshots survives a 503" 2 "$(awsq rds describe-db-snapshots --db-instance-identifier shop-prod \
	--query 'length(DBSnapshots)' --output text)"
for i in 1 2 3 4 5 6; do
	check "call $i under 20% throttling" 1 "$(awsq rds describe-db-instances --query 'length(DBInstances)' --output text)"
done
c=$(counters)
check "resets injected" 2 "$(grep -c 'fault=reset' "$SIM_LOG")"
check "503 injected" 1 "$(grep -c 'fault=5xx' "$SIM_LOG")"
check "throttles injected and counted" "$(grep -c 'fault=throttle' "$SIM_LOG")" \
	"$(( $(jq '[.faults[]] | add' <<<"$c") - 3 ))"
check "some throttling happened" true "$(jq '.errors.Throttling >= 1' <<<"$c")"
check "fault count is in the counters" true "$(jq '.faults.DescribeDBInstances >= 2' <<<"$c")"

# the same requests in the same order get the same faults
first=$(grep -o 'fault=[a-z0-9]*' "$SIM_LOG" | tr '\n' ' ')
sim_stop
sim_start "$SCEN/rds-faults.yaml" --speed 600
awsq rds describe-db-instances --db-instance-identifier shop-prod >/dev/null
awsq rds describe-db-snapshots --db-instance-identifier shop-prod >/dev/null
for i in 1 2 3 4 5 6; do awsq rds describe-db-instances >/dev/null; done
check "faults are deterministic (seeded)" "$first" "$(grep -o 'fault=[a-z0-9]*' "$SIM_LOG" | tr '\n' ' ')"
finish
