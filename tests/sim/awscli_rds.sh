#!/bin/bash
# The real AWS CLI against `runbook sim serve`: every RDS operation the seeds use, AWS's
# errors, `aws rds wait` polling a real state machine, and the mutation counters.
. "$(dirname "$0")/lib.sh"
# speed 60: the 20-minute restore takes 20 s of real time, so the CLI waiter (30 s delay)
# sees "creating" first and polls again. The deletion takes 20 virtual minutes here (5 in
# the example) so that "delete twice" still finds it deleting on a busy machine.
sed 's/^  delete: 5m$/  delete: 20m/' "$SCEN/rds-snapshot-restore.yaml" >"$TMP/rds-snapshot-restore.yaml"
grep -q '^  delete: 20m$' "$TMP/rds-snapshot-restore.yaml" || bail_out "the example scenario has no 'delete: 5m' to lengthen"
sim_start "$TMP/rds-snapshot-restore.yaml" --speed 60

out=$(awsq rds describe-db-instances --db-instance-identifier shop-prod --output json)
check "prod is available" available "$(jq -r '.DBInstances[0].DBInstanceStatus' <<<"$out")"
check "prod endpoint" shop-prod.c9akciq32x1e.us-east-1.rds.amazonaws.com \
	"$(jq -r '.DBInstances[0].Endpoint.Address' <<<"$out")"
check "one-element lists stay lists" 1 "$(jq -r '.DBInstances[0].VpcSecurityGroups | length' <<<"$out")"
check "latest restorable time" true "$(jq -r '.DBInstances[0].LatestRestorableTime != null' <<<"$out")"
check "replica listed on source" shop-prod-replica \
	"$(jq -r '.DBInstances[0].ReadReplicaDBInstanceIdentifiers[0]' <<<"$out")"

out=$(awsq rds describe-db-snapshots --db-instance-identifier shop-prod --output json)
check "snapshots of prod" 7 "$(jq '.DBSnapshots | length' <<<"$out")"
check "automated snapshots" 6 "$(awsq rds describe-db-snapshots --db-instance-identifier shop-prod \
	--snapshot-type automated --query 'length(DBSnapshots)' --output text)"
SNAP=shop-prod-pre-deploy-202611211200
check "snapshot by id (seed query)" available "$(awsq rds describe-db-snapshots \
	--db-snapshot-identifier "$SNAP" --query 'DBSnapshots[0].Status' --output text)"
expect_error "unknown snapshot" DBSnapshotNotFound awsq rds describe-db-snapshots --db-snapshot-identifier nope
expect_error "unknown instance" DBInstanceNotFound awsq rds describe-db-instances --db-instance-identifier nope

out=$(awsq rds restore-db-instance-from-db-snapshot --db-instance-identifier shop-restored \
	--db-snapshot-identifier "$SNAP" --db-instance-class db.r6g.large \
	--db-subnet-group-name shop-db-subnets --vpc-security-group-ids sg-1 sg-2 \
	--no-multi-az --no-publicly-accessible --tags Key=Purpose,Value=restore --output json)
check "restore starts creating" creating "$(jq -r .DBInstance.DBInstanceStatus <<<"$out")"
check "restore class" db.r6g.large "$(jq -r .DBInstance.DBInstanceClass <<<"$out")"
check "restore security groups" "sg-1 sg-2" "$(jq -r '[.DBInstance.VpcSecurityGroups[].VpcSecurityGroupId] | join(" ")' <<<"$out")"
check "restore engine from snapshot" postgres "$(jq -r .DBInstance.Engine <<<"$out")"
expect_error "restore twice" DBInstanceAlreadyExists awsq rds restore-db-instance-from-db-snapshot \
	--db-instance-identifier shop-restored --db-snapshot-identifier "$SNAP"
expect_error "restore from a missing snapshot" DBSnapshotNotFound awsq rds restore-db-instance-from-db-snapshot \
	--db-instance-identifier other --db-snapshot-identifier missing-snap

start=$(date +%s)
awsq rds wait db-instance-available --db-instance-identifier shop-restored
check "waiter succeeds" 0 "$?"
took=$(( $(date +%s) - start ))
diag "aws rds wait took ${took}s"
check "waiter polled more than once" 2 "$(grep -c 'DescribeDBInstances' "$SIM_LOG" | awk '{print ($1 >= 4) ? 2 : $1}')"
out=$(awsq rds describe-db-instances --db-instance-identifier shop-restored --output json)
check "restored available" available "$(jq -r '.DBInstances[0].DBInstanceStatus' <<<"$out")"
check "restored endpoint" shop-restored.c9akciq32x1e.us-east-1.rds.amazonaws.com \
	"$(jq -r '.DBInstances[0].Endpoint.Address' <<<"$out")"

# cut over: rename prod away, rename the restore into place (seed 004)
out=$(awsq rds modify-db-instance --db-instance-identifier shop-prod \
	--new-db-instance-identifier shop-prod-old --apply-immediately --output json)
check "rename is renaming" renaming "$(jq -r .DBInstance.DBInstanceStatus <<<"$out")"
check "rename moves the endpoint" shop-prod-old.c9akciq32x1e.us-east-1.rds.amazonaws.com \
	"$(jq -r .DBInstance.Endpoint.Address <<<"$out")"
awsq rds modify-db-instance --db-instance-identifier shop-restored \
	--new-db-instance-identifier shop-prod --apply-immediately >/dev/null
check "renamed restore" 0 "$?"
awsq rds wait db-instance-available --db-instance-identifier shop-prod
check "renamed restore available" Purpose "$(awsq rds describe-db-instances --db-instance-identifier shop-prod \
	--query 'DBInstances[0].TagList[0].Key' --output text)"
expect_error "old name is gone" DBInstanceNotFound awsq rds describe-db-instances --db-instance-identifier shop-restored
out=$(awsq rds modify-db-instance --db-instance-identifier shop-prod --db-instance-class db.r6g.2xlarge --output json)
check "class change without apply-immediately is pending" db.r6g.2xlarge \
	"$(jq -r .DBInstance.PendingModifiedValues.DBInstanceClass <<<"$out")"

awsq rds add-tags-to-resource --resource-name arn:aws:rds:us-east-1:123456789012:db:shop-prod \
	--tags Key=Status,Value=restored Key=DeleteAfter,Value=2026-12-01
check "add tags" 0 "$?"
check "list tags" "DeleteAfter=2026-12-01 Purpose=restore Status=restored" "$(awsq rds list-tags-for-resource \
	--resource-name arn:aws:rds:us-east-1:123456789012:db:shop-prod --output json |
	jq -r '[.TagList[] | "\(.Key)=\(.Value)"] | sort | join(" ")')"

# snapshots
awsq rds wait db-instance-available --db-instance-identifier shop-prod-old
out=$(awsq rds create-db-snapshot --db-instance-identifier shop-prod-old \
	--db-snapshot-identifier shop-prod-old-manual --output json)
check "snapshot creating" creating "$(jq -r .DBSnapshot.Status <<<"$out")"
check "instance backing up" backing-up "$(awsq rds describe-db-instances --db-instance-identifier shop-prod-old \
	--query 'DBInstances[0].DBInstanceStatus' --output text)"
expect_error "snapshot name taken" DBSnapshotAlreadyExists awsq rds create-db-snapshot \
	--db-instance-identifier shop-prod --db-snapshot-identifier shop-prod-old-manual
awsq rds wait db-snapshot-available --db-snapshot-identifier shop-prod-old-manual
check "snapshot waiter" 0 "$?"
out=$(awsq rds copy-db-snapshot --source-db-snapshot-identifier \
	"arn:aws:rds:us-east-1:123456789012:snapshot:rds:shop-prod-2026-11-21-03-05" \
	--target-db-snapshot-identifier shop-prod-dr-copy --copy-tags --output json)
check "copy snapshot" manual "$(jq -r .DBSnapshot.SnapshotType <<<"$out")"

# point in time
expect_error "restore time before the window" InvalidRestoreFault awsq rds restore-db-instance-to-point-in-time \
	--source-db-instance-identifier shop-prod-old --target-db-instance-identifier shop-pitr \
	--restore-time 2020-01-01T00:00:00Z
expect_error "no automated backups" PointInTimeRestoreNotEnabled awsq rds restore-db-instance-to-point-in-time \
	--source-db-instance-identifier shop-prod-replica --target-db-instance-identifier shop-pitr \
	--use-latest-restorable-time
expect_error "pitr target exists" DBInstanceAlreadyExists awsq rds restore-db-instance-to-point-in-time \
	--source-db-instance-identifier shop-prod-old --target-db-instance-identifier shop-prod \
	--use-latest-restorable-time
RT=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
out=$(awsq rds restore-db-instance-to-point-in-time --source-db-instance-identifier shop-prod-old \
	--target-db-instance-identifier shop-pitr --restore-time "$RT" --db-instance-class db.r5.2xlarge \
	--multi-az --no-publicly-accessible --output json)
check "pitr creating" creating "$(jq -r .DBInstance.DBInstanceStatus <<<"$out")"
check "pitr class" db.r5.2xlarge "$(jq -r .DBInstance.DBInstanceClass <<<"$out")"

# promote, delete
expect_error "promote a primary" InvalidDBInstanceState awsq rds promote-read-replica --db-instance-identifier shop-prod-old
check "promote replica" modifying "$(awsq rds promote-read-replica --db-instance-identifier shop-prod-replica \
	--query DBInstance.DBInstanceStatus --output text)"
expect_error "delete needs a final snapshot decision" InvalidParameterCombination \
	awsq rds delete-db-instance --db-instance-identifier shop-prod-old
check "delete with final snapshot" deleting "$(awsq rds delete-db-instance --db-instance-identifier shop-prod-old \
	--final-db-snapshot-identifier shop-prod-old-final-snapshot --query DBInstance.DBInstanceStatus --output text)"
expect_error "delete twice" InvalidDBInstanceState awsq rds delete-db-instance --db-instance-identifier shop-prod-old \
	--skip-final-snapshot
check "final snapshot exists" shop-prod-old-final-snapshot "$(awsq rds describe-db-snapshots \
	--db-snapshot-identifier shop-prod-old-final-snapshot --query 'DBSnapshots[0].DBSnapshotIdentifier' --output text)"
awsq rds wait db-instance-deleted --db-instance-identifier shop-prod-old
check "deleted waiter" 0 "$?"

# the wire below the CLI: unsigned requests and missing parameters
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -d 'Action=DescribeDBInstances&Version=2014-10-31' "$EP/")
check "unsigned request refused" 403 "$code"
AUTH='Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/rds/aws4_request, SignedHeaders=host;x-amz-date, Signature=00'
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "$AUTH" \
	-d 'Action=RestoreDBInstanceFromDBSnapshot&Version=2014-10-31&DBInstanceIdentifier=x' "$EP/")
check "missing parameter status" 400 "$code"
check "missing parameter code" 1 "$(grep -c '<Code>MissingParameter</Code>' "$TMP/body")"
check "error has a request id" 1 "$(grep -c '<RequestId>5e3a' "$TMP/body")"

c=$(counters)
check "restore calls counted (attempts that reached the service)" 4 "$(jq '.mutating.RestoreDBInstanceFromDBSnapshot' <<<"$c")"
check "renames counted" 3 "$(jq '.mutating.ModifyDBInstance' <<<"$c")"
check "describes are not mutating" null "$(jq '.mutating.DescribeDBInstances' <<<"$c")"
check "error codes counted" true "$(jq '.errors.DBInstanceAlreadyExists >= 2' <<<"$c")"
finish
