#!/bin/bash
# The real AWS CLI against `runbook sim serve`: ElastiCache snapshots and replication
# groups (seed 002's Redis restore), the CLI waiter, SNS publish and STS identity.
. "$(dirname "$0")/lib.sh"
# speed 60: the 15-minute replication group takes 15 s real; the CLI waiter polls every 15 s.
# A cache snapshot of 60 minutes (1 min real): the group must still be snapshotting when
# the next CLI call asks, however slow a busy machine makes that call
sed 's/^  cache_snapshot: .*/  cache_snapshot: 60m/' "$SCEN/elasticache-restore.yaml" >"$TMP/elasticache.yaml"
grep -q '^  cache_snapshot: 60m' "$TMP/elasticache.yaml" || fail "the scenario has no cache_snapshot duration"
sim_start "$TMP/elasticache.yaml" --speed 60
SNAP=sessions-prod-2026-11-21

check "snapshot available (seed query)" available "$(awsq elasticache describe-snapshots --snapshot-name $SNAP \
	--query 'Snapshots[0].SnapshotStatus' --output text)"
check "snapshots of the group" 3 "$(awsq elasticache describe-snapshots --replication-group-id sessions-prod \
	--query 'length(Snapshots)' --output text)"
check "manual snapshots" sessions-prod-before-migration "$(awsq elasticache describe-snapshots \
	--snapshot-source user --query 'Snapshots[0].SnapshotName' --output text)"
expect_error "unknown snapshot" SnapshotNotFoundFault awsq elasticache describe-snapshots --snapshot-name nope
expect_error "unknown group" ReplicationGroupNotFoundFault awsq elasticache describe-replication-groups \
	--replication-group-id nope

out=$(awsq elasticache create-replication-group --replication-group-id sessions-restored \
	--replication-group-description "Restored from $SNAP" --snapshot-name $SNAP \
	--cache-node-type cache.r5.large --engine redis --engine-version 7.0 --num-cache-clusters 2 --output json)
check "group creating" creating "$(jq -r .ReplicationGroup.Status <<<"$out")"
check "member clusters" 2 "$(jq '.ReplicationGroup.MemberClusters | length' <<<"$out")"
expect_error "group exists" ReplicationGroupAlreadyExists awsq elasticache create-replication-group \
	--replication-group-id sessions-restored --replication-group-description x --snapshot-name $SNAP
expect_error "from a missing snapshot" SnapshotNotFoundFault awsq elasticache create-replication-group \
	--replication-group-id other --replication-group-description x --snapshot-name nope
awsq elasticache wait replication-group-available --replication-group-id sessions-restored
check "waiter" 0 "$?"
check "primary endpoint (seed query)" master.sessions-restored.x1y2z3.use1.cache.amazonaws.com \
	"$(awsq elasticache describe-replication-groups --replication-group-id sessions-restored \
	--query 'ReplicationGroups[0].NodeGroups[0].PrimaryEndpoint.Address' --output text)"

out=$(awsq elasticache create-snapshot --replication-group-id sessions-prod --snapshot-name sessions-prod-pre-restore --output json)
check "snapshot creating" creating "$(jq -r .Snapshot.SnapshotStatus <<<"$out")"
check "group snapshotting" snapshotting "$(awsq elasticache describe-replication-groups --replication-group-id sessions-prod \
	--query 'ReplicationGroups[0].Status' --output text)"
expect_error "snapshot exists" SnapshotAlreadyExistsFault awsq elasticache create-snapshot \
	--replication-group-id sessions-restored --snapshot-name sessions-prod-pre-restore
out=$(awsq elasticache copy-snapshot --source-snapshot-name $SNAP --target-snapshot-name sessions-dr-copy --output json)
check "copy" copying "$(jq -r .Snapshot.SnapshotStatus <<<"$out")"
out=$(awsq elasticache delete-replication-group --replication-group-id sessions-restored --output json)
check "group deleting" deleting "$(jq -r .ReplicationGroup.Status <<<"$out")"
# a group still creating (15 s of real time at this speed) cannot be deleted
awsq elasticache create-replication-group --replication-group-id sessions-second \
	--replication-group-description second --snapshot-name $SNAP >/dev/null
expect_error "delete while creating" InvalidReplicationGroupState awsq elasticache delete-replication-group \
	--replication-group-id sessions-second

# SNS and STS
out=$(awsq sns publish --topic-arn arn:aws:sns:us-east-1:123456789012:database-operations \
	--subject "Restore completed" --message "sessions-restored is available" --output json)
check "publish returns a message id" true "$(jq '.MessageId | length > 0' <<<"$out")"
check "publish recorded" "Restore completed" "$(curl -sf "$EP/_sim/published" | jq -r '.[0].Subject')"
check "caller identity" 123456789012 "$(awsq sts get-caller-identity --query Account --output text)"

c=$(counters)
check "creates counted" 4 "$(jq '.mutating.CreateReplicationGroup' <<<"$c")"
check "publish counted" 1 "$(jq '.published' <<<"$c")"
finish
