#!/bin/bash
# The real AWS CLI against `runbook sim serve`: RDS read replicas (StatusInfos, the
# source's list), DB subnet groups (create/describe/delete), groups a scenario declares
# (others answer AWS's NotFound; a scenario without them accepts any name), the fields
# Ansible's rds_instance reads, and restores honouring Iops/StorageThroughput/log exports.
. "$(dirname "$0")/lib.sh"
sim_start "$SRCDIR/tests/sim/rds_groups.yaml"

out=$(awsq rds describe-db-instances --db-instance-identifier shop-prod --output json)
check "option group membership" default:postgres-15 "$(jq -r '.DBInstances[0].OptionGroupMemberships[0].OptionGroupName' <<<"$out")"
check "DB security groups (a list)" 0 "$(jq -r '.DBInstances[0].DBSecurityGroups | length' <<<"$out")"
check "IAM auth flag" false "$(jq -r '.DBInstances[0].IAMDatabaseAuthenticationEnabled' <<<"$out")"

out=$(awsq rds create-db-instance-read-replica --db-instance-identifier shop-replica \
	--source-db-instance-identifier shop-prod --output json)
check "replica available (restore: 0s)" available "$(jq -r .DBInstance.DBInstanceStatus <<<"$out")"
check "replica's source" shop-prod "$(jq -r .DBInstance.ReadReplicaSourceDBInstanceIdentifier <<<"$out")"
out=$(awsq rds describe-db-instances --db-instance-identifier shop-replica --output json)
check "replica status info" "read replication replicating true" "$(jq -r '.DBInstances[0].StatusInfos[0] |
	"\(.StatusType) \(.Status) \(.Normal)"' <<<"$out")"
check "replica listed on source" shop-replica "$(awsq rds describe-db-instances --db-instance-identifier shop-prod \
	--query 'DBInstances[0].ReadReplicaDBInstanceIdentifiers[0]' --output text)"
check "primary has no status infos" null "$(awsq rds describe-db-instances --db-instance-identifier shop-prod \
	--output json | jq -r '.DBInstances[0].StatusInfos')"
expect_error "replica of a missing instance" DBInstanceNotFound awsq rds create-db-instance-read-replica \
	--db-instance-identifier r2 --source-db-instance-identifier nope
expect_error "replica exists" DBInstanceAlreadyExists awsq rds create-db-instance-read-replica \
	--db-instance-identifier shop-replica --source-db-instance-identifier shop-prod
expect_error "source without backups" InvalidDBInstanceState awsq rds create-db-instance-read-replica \
	--db-instance-identifier r3 --source-db-instance-identifier shop-nobackup
awsq rds promote-read-replica --db-instance-identifier shop-replica >/dev/null
check "promoted replica leaves the source's list" 0 "$(awsq rds describe-db-instances \
	--db-instance-identifier shop-prod --query 'length(DBInstances[0].ReadReplicaDBInstanceIdentifiers)' --output text)"

# subnet groups
check "declared subnet group" "vpc-0abc 2" "$(awsq rds describe-db-subnet-groups --db-subnet-group-name shop-db-subnets \
	--query 'DBSubnetGroups[0].[VpcId, length(Subnets)]' --output text | tr '\t' ' ')"
expect_error "unknown subnet group" DBSubnetGroupNotFoundFault awsq rds describe-db-subnet-groups \
	--db-subnet-group-name nope
out=$(awsq rds create-db-subnet-group --db-subnet-group-name dr-subnets --db-subnet-group-description "DR" \
	--subnet-ids subnet-1 subnet-2 subnet-3 --output json)
check "created subnet group" "dr-subnets 3" "$(jq -r '"\(.DBSubnetGroup.DBSubnetGroupName) \(.DBSubnetGroup.Subnets | length)"' <<<"$out")"
expect_error "subnet group exists" DBSubnetGroupAlreadyExists awsq rds create-db-subnet-group \
	--db-subnet-group-name dr-subnets --db-subnet-group-description x --subnet-ids subnet-1
check "three subnet groups (with default)" 3 "$(awsq rds describe-db-subnet-groups --query 'length(DBSubnetGroups)' --output text)"
expect_error "in-use subnet group" InvalidDBSubnetGroupStateFault awsq rds delete-db-subnet-group \
	--db-subnet-group-name shop-db-subnets
awsq rds delete-db-subnet-group --db-subnet-group-name dr-subnets
check "deleted" 0 "$?"
expect_error "deleted subnet group" DBSubnetGroupNotFoundFault awsq rds describe-db-subnet-groups \
	--db-subnet-group-name dr-subnets

# restores: declared names only; the storage settings and log exports are kept
expect_error "restore into an unknown subnet group" DBSubnetGroupNotFoundFault \
	awsq rds restore-db-instance-from-db-snapshot --db-instance-identifier r4 \
	--db-snapshot-identifier shop-prod-manual --db-subnet-group-name nope
expect_error "restore with an unknown parameter group" DBParameterGroupNotFound \
	awsq rds restore-db-instance-from-db-snapshot --db-instance-identifier r4 \
	--db-snapshot-identifier shop-prod-manual --db-parameter-group-name nope
expect_error "restore with an unknown security group" InvalidParameterValue \
	awsq rds restore-db-instance-from-db-snapshot --db-instance-identifier r4 \
	--db-snapshot-identifier shop-prod-manual --vpc-security-group-ids sg-nope
out=$(awsq rds restore-db-instance-from-db-snapshot --db-instance-identifier r4 \
	--db-snapshot-identifier shop-prod-manual --db-subnet-group-name shop-db-subnets \
	--db-parameter-group-name shop-postgres15 --vpc-security-group-ids sg-2 \
	--storage-type io1 --iops 12000 --storage-throughput 500 \
	--enable-cloudwatch-logs-exports postgresql upgrade --output json)
check "restore honours Iops/StorageThroughput/log exports" "io1 12000 500 postgresql,upgrade" \
	"$(jq -r '.DBInstance | "\(.StorageType) \(.Iops) \(.StorageThroughput) \(.EnabledCloudwatchLogsExports | join(","))"' <<<"$out")"

# a scenario that declares no groups accepts the names it uses (and any other)
sim_stop
sim_start "$SCEN/rds-snapshot-restore.yaml"
check "the subnet groups its instances name" "default shop-db-subnets" "$(awsq rds describe-db-subnet-groups \
	--query 'DBSubnetGroups[].DBSubnetGroupName' --output text | tr '\t' ' ')"
out=$(awsq rds restore-db-instance-from-db-snapshot --db-instance-identifier r5 \
	--db-snapshot-identifier shop-prod-pre-deploy-202611211200 --db-subnet-group-name any-subnets \
	--db-parameter-group-name any-params --vpc-security-group-ids sg-any --output json)
check "undeclared names accepted" any-subnets "$(jq -r .DBInstance.DBSubnetGroup.DBSubnetGroupName <<<"$out")"
finish
