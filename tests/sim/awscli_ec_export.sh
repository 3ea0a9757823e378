#!/bin/bash
# The real AWS CLI against `runbook sim serve`: ElastiCache's export of a snapshot to S3
# (`copy-snapshot --target-bucket`, seed 003's Redis archive) and the `--snapshot-source
# user|system` filter of describe-snapshots.
. "$(dirname "$0")/lib.sh"
sim_start "$SCEN/elasticache-restore.yaml"
SNAP=sessions-prod-2026-11-21

check "user = manual snapshots" sessions-prod-before-migration "$(awsq elasticache describe-snapshots \
	--snapshot-source user --query 'Snapshots[].SnapshotName' --output text)"
check "system = automated snapshots" 2 "$(awsq elasticache describe-snapshots \
	--snapshot-source system --query 'length(Snapshots)' --output text)"
expect_error "snapshot source is user or system" InvalidParameterValue awsq elasticache describe-snapshots \
	--snapshot-source manual

awsq s3api create-bucket --bucket redis-archive >/dev/null
out=$(awsq elasticache copy-snapshot --source-snapshot-name $SNAP --target-snapshot-name sessions-archive \
	--target-bucket redis-archive --output json)
check "export reply is the source snapshot" $SNAP "$(jq -r .Snapshot.SnapshotName <<<"$out")"
check "source snapshot exporting" exporting "$(jq -r .Snapshot.SnapshotStatus <<<"$out")"
check "the export landed in the bucket" sessions-archive-0001.rdb "$(awsq s3api list-objects-v2 \
	--bucket redis-archive --query 'Contents[].Key' --output text)"
awsq s3 cp s3://redis-archive/sessions-archive-0001.rdb "$TMP/export.rdb" >/dev/null
check "an RDB file" REDIS "$(head -c 5 "$TMP/export.rdb")"
check "no cache snapshot is made" SnapshotNotFoundFault "$(awsq elasticache describe-snapshots \
	--snapshot-name sessions-archive 2>&1 | grep -o SnapshotNotFoundFault)"
# as on AWS: the bucket's name only, and an existing bucket
expect_error "s3:// URL as bucket" InvalidParameterValue awsq elasticache copy-snapshot \
	--source-snapshot-name sessions-prod-before-migration --target-snapshot-name x --target-bucket s3://redis-archive/redis/
expect_error "missing bucket" InvalidParameterValue awsq elasticache copy-snapshot \
	--source-snapshot-name sessions-prod-before-migration --target-snapshot-name x --target-bucket no-such-bucket
finish
