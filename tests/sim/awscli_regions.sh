#!/bin/bash
# The real AWS CLI against `runbook sim serve`: one world per region (the SigV4 scope's
# region picks it), region-specific ARNs and endpoints, cross-region snapshot copy and
# read replica (seed 003's DR failover), an undeclared region's empty world.
. "$(dirname "$0")/lib.sh"
sim_start "$SRCDIR/tests/sim/regions.yaml"
ACCT=123456789012
east() { awsq --region us-east-1 "$@"; }
west() { awsq --region us-west-2 "$@"; }

check "us-east-1's world" shop-prod "$(east rds describe-db-instances --query 'DBInstances[].DBInstanceIdentifier' --output text)"
check "us-west-2's world" "shop-dr-idle shop-dr-declared" "$(west rds describe-db-instances --query 'DBInstances[].DBInstanceIdentifier' --output text | tr '\t' ' ')"
check "an undeclared region is empty" 0 "$(awsq --region eu-west-1 rds describe-db-instances --query 'length(DBInstances)' --output text)"
out=$(west rds describe-db-instances --output json)
check "ARN carries the region" arn:aws:rds:us-west-2:$ACCT:db:shop-dr-idle "$(jq -r '.DBInstances[0].DBInstanceArn' <<<"$out")"
check "endpoint carries the region" shop-dr-idle.c9akciq32x1e.us-west-2.rds.amazonaws.com \
	"$(jq -r '.DBInstances[0].Endpoint.Address' <<<"$out")"
expect_error "the primary's snapshot is not in us-west-2" DBSnapshotNotFound west rds describe-db-snapshots \
	--db-snapshot-identifier shop-prod-manual

# cross-region snapshot copy: the source named by its ARN
out=$(west rds copy-db-snapshot --source-region us-east-1 \
	--source-db-snapshot-identifier arn:aws:rds:us-east-1:$ACCT:snapshot:shop-prod-manual \
	--target-db-snapshot-identifier shop-prod-dr --output json)
check "copy's ARN in the target region" arn:aws:rds:us-west-2:$ACCT:snapshot:shop-prod-dr \
	"$(jq -r .DBSnapshot.DBSnapshotArn <<<"$out")"
check "copy's source region" us-east-1 "$(jq -r .DBSnapshot.SourceRegion <<<"$out")"
check "the copy is in us-west-2" 1 "$(west rds describe-db-snapshots --db-snapshot-identifier shop-prod-dr \
	--query 'length(DBSnapshots)' --output text)"
expect_error "not in us-east-1" DBSnapshotNotFound east rds describe-db-snapshots --db-snapshot-identifier shop-prod-dr
expect_error "a missing source" DBSnapshotNotFound west rds copy-db-snapshot --source-region us-east-1 \
	--source-db-snapshot-identifier arn:aws:rds:us-east-1:$ACCT:snapshot:nope --target-db-snapshot-identifier x

# cross-region read replica, then the DR failover: promote it
out=$(west rds create-db-instance-read-replica --db-instance-identifier shop-dr --source-region us-east-1 \
	--source-db-instance-identifier arn:aws:rds:us-east-1:$ACCT:db:shop-prod --output json)
check "replica names its source by ARN" arn:aws:rds:us-east-1:$ACCT:db:shop-prod \
	"$(jq -r .DBInstance.ReadReplicaSourceDBInstanceIdentifier <<<"$out")"
check "replica in us-west-2" us-west-2a "$(jq -r .DBInstance.AvailabilityZone <<<"$out")"
check "the source lists the replica's ARN" arn:aws:rds:us-west-2:$ACCT:db:shop-dr \
	"$(east rds describe-db-instances --db-instance-identifier shop-prod \
	--query 'DBInstances[0].ReadReplicaDBInstanceIdentifiers[0]' --output text)"
check "replicating" replicating "$(west rds describe-db-instances --db-instance-identifier shop-dr \
	--query 'DBInstances[0].StatusInfos[0].Status' --output text)"
west rds promote-read-replica --db-instance-identifier shop-dr >/dev/null
check "promoted" 0 "$?"
check "the source's list is empty" 0 "$(east rds describe-db-instances --db-instance-identifier shop-prod \
	--query 'length(DBInstances[0].ReadReplicaDBInstanceIdentifiers)' --output text)"
check "a declared cross-region replica names its source" arn:aws:rds:us-east-1:$ACCT:db:shop-prod \
	"$(west rds describe-db-instances --db-instance-identifier shop-dr-declared \
	--query 'DBInstances[0].ReadReplicaSourceDBInstanceIdentifier' --output text)"
west rds promote-read-replica --db-instance-identifier shop-dr-declared >/dev/null
check "a declared cross-region replica is promoted" 0 "$?"
check "world dump has the region" shop-dr "$(curl -sf "$EP/_sim/state" | jq -r '.regions["us-west-2"].rds.instances[] |
	select(.DBInstanceIdentifier == "shop-dr") | .DBInstanceIdentifier')"
finish
