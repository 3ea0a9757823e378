#!/bin/bash
# bench: the same snapshot restore as restore.yaml, the way the seeds do it (bash + AWS CLI)
set -euo pipefail
ep=$1 n=$2
a() { aws --endpoint-url "$ep" --region us-east-1 --output text "$@"; }
snap=$(a rds describe-db-snapshots --db-instance-identifier shop-prod --snapshot-type automated \
	--query 'reverse(sort_by(DBSnapshots,&SnapshotCreateTime))[0].DBSnapshotIdentifier')
a rds restore-db-instance-from-db-snapshot --db-instance-identifier "tmp-$n" --db-snapshot-identifier "$snap" >/dev/null
a rds wait db-instance-available --db-instance-identifier "tmp-$n"
a rds modify-db-instance --db-instance-identifier "tmp-$n" --new-db-instance-identifier "restored-$n" --apply-immediately >/dev/null
a rds wait db-instance-available --db-instance-identifier "restored-$n"
arn=$(a rds describe-db-instances --db-instance-identifier "restored-$n" --query 'DBInstances[0].DBInstanceArn')
a rds add-tags-to-resource --resource-name "$arn" --tags Key=restored-by,Value=bash
