#!/bin/bash
# The real AWS CLI against `runbook sim serve`: RDS snapshot export to S3 (seed 003's
# `aws rds start-export-task`): the task goes STARTING, IN_PROGRESS, COMPLETE, and only
# then its objects are in the bucket; describe and cancel; AWS's errors.
. "$(dirname "$0")/lib.sh"
# speed 60: STARTING 2 s, IN_PROGRESS 18 s, then COMPLETE (polls a second or two apart)
sim_start "$SRCDIR/tests/sim/export.yaml" --speed 60
ARN=arn:aws:rds:us-east-1:123456789012:snapshot:shop-prod-2026-11-21
ROLE=arn:aws:iam::123456789012:role/rds-s3-export-role
KMS=arn:aws:kms:us-east-1:123456789012:key/backup-key

start() {   # start ID [ARGS...]: an export of the snapshot to shop-archive
	local id=$1
	shift
	awsq rds start-export-task --export-task-identifier "$id" --source-arn "$ARN" \
		--s3-bucket-name shop-archive --iam-role-arn "$ROLE" --kms-key-id "$KMS" "$@"
}

out=$(start shop-export-1 --s3-prefix exports/2026/11/ --export-only '["shop.public.orders", "shop.public.users"]' \
	--output json)
# no prefix, no export-only: one object per database (the snapshot's)
start shop-export-3 >/dev/null
check "the reply is the task" shop-export-1 "$(jq -r .ExportTaskIdentifier <<<"$out")"
check "starting" STARTING "$(jq -r .Status <<<"$out")"
check "source type" SNAPSHOT "$(jq -r .SourceType <<<"$out")"
check "export-only kept" "shop.public.orders shop.public.users" "$(jq -r '.ExportOnly | join(" ")' <<<"$out")"
check "prefix kept" exports/2026/11/ "$(jq -r .S3Prefix <<<"$out")"
check "nothing in the bucket while it runs" "" "$(awsq s3api list-objects-v2 --bucket shop-archive \
	--query 'Contents[].Key' --output text | sed 's/^None$//')"
check "described by id" shop-export-1 "$(awsq rds describe-export-tasks --export-task-identifier shop-export-1 \
	--query 'ExportTasks[].ExportTaskIdentifier' --output text)"

start shop-export-2 >/dev/null
awsq rds cancel-export-task --export-task-identifier shop-export-2 --query Status --output text >"$TMP/cancel"
check "cancel: canceling" CANCELING "$(cat "$TMP/cancel")"
expect_error "cancel twice" InvalidExportTaskStateFault awsq rds cancel-export-task --export-task-identifier shop-export-2

seen=
for _ in $(seq 100); do
	st=$(awsq rds describe-export-tasks --export-task-identifier shop-export-1 \
		--query 'ExportTasks[0].Status' --output text)
	case " $seen " in *" $st "*) ;; *) seen="$seen $st" ;; esac
	[ "$st" = COMPLETE ] && break
	sleep 0.3
done
check "in progress, then complete" "IN_PROGRESS COMPLETE" "$(sed 's/^ *STARTING //; s/^ *//' <<<"$seen")"
done_json=$(awsq rds describe-export-tasks --source-arn "$ARN" --output json)
check "complete at 100%" 100 "$(jq -r '.ExportTasks[0].PercentProgress' <<<"$done_json")"
check "end time once complete" true "$(jq -r '.ExportTasks[0].TaskEndTime != null' <<<"$done_json")"
check "the objects under PREFIX/ID/" "exports/2026/11/shop-export-1/export_info_shop-export-1.json
exports/2026/11/shop-export-1/shop/public.orders/part-00000.gz.parquet
exports/2026/11/shop-export-1/shop/public.users/part-00000.gz.parquet" \
	"$(awsq s3 ls --recursive s3://shop-archive/exports/ | awk '{print $4}' | sort)"
awsq s3 cp s3://shop-archive/exports/2026/11/shop-export-1/export_info_shop-export-1.json "$TMP/info.json" >/dev/null
check "export_info names the source" "$ARN COMPLETE" "$(jq -r '"\(.SourceArn) \(.Status)"' "$TMP/info.json")"
awsq s3 cp s3://shop-archive/exports/2026/11/shop-export-1/shop/public.orders/part-00000.gz.parquet "$TMP/p" >/dev/null
check "a placeholder framed as Parquet" "PAR1 PAR1" "$(head -c 4 "$TMP/p") $(tail -c 4 "$TMP/p")"

for _ in $(seq 100); do
	[ "$(awsq rds describe-export-tasks --export-task-identifier shop-export-3 \
		--query 'ExportTasks[0].Status' --output text)" = COMPLETE ] && break
	sleep 0.3
done
check "whole snapshot: one object per database" "shop-export-3/export_info_shop-export-3.json
shop-export-3/shop/part-00000.gz.parquet" \
	"$(awsq s3 ls --recursive s3://shop-archive/shop-export-3/ | awk '{print $4}' | sort)"
check "a canceled export writes nothing" "" "$(awsq s3 ls --recursive s3://shop-archive/shop-export-2/)"
check "three tasks described" 3 "$(awsq rds describe-export-tasks --query 'length(ExportTasks)' --output text)"
expect_error "cancel a complete task" InvalidExportTaskStateFault awsq rds cancel-export-task \
	--export-task-identifier shop-export-1

# AWS's errors
expect_error "duplicate id" ExportTaskAlreadyExists start shop-export-1
expect_error "unknown task" ExportTaskNotFound awsq rds describe-export-tasks --export-task-identifier nope
expect_error "cancel unknown task" ExportTaskNotFound awsq rds cancel-export-task --export-task-identifier nope
expect_error "missing bucket" InvalidS3BucketFault awsq rds start-export-task --export-task-identifier e4 \
	--source-arn "$ARN" --s3-bucket-name no-such-bucket --iam-role-arn "$ROLE" --kms-key-id "$KMS"
expect_error "s3:// URL as bucket" InvalidS3BucketFault awsq rds start-export-task --export-task-identifier e4 \
	--source-arn "$ARN" --s3-bucket-name s3://shop-archive/x --iam-role-arn "$ROLE" --kms-key-id "$KMS"
expect_error "missing snapshot" DBSnapshotNotFound awsq rds start-export-task --export-task-identifier e4 \
	--source-arn "${ARN%:*}:nope" --s3-bucket-name shop-archive --iam-role-arn "$ROLE" --kms-key-id "$KMS"
expect_error "a name, not an ARN" InvalidParameterValue awsq rds start-export-task --export-task-identifier e4 \
	--source-arn shop-prod-2026-11-21 --s3-bucket-name shop-archive --iam-role-arn "$ROLE" --kms-key-id "$KMS"
expect_error "bad identifier" InvalidParameterValue start 4-starts-with-a-digit
awsq rds create-db-snapshot --db-instance-identifier shop-prod --db-snapshot-identifier shop-new >/dev/null
expect_error "snapshot still creating" InvalidExportSourceState awsq rds start-export-task --export-task-identifier e5 \
	--source-arn "${ARN%:*}:shop-new" --s3-bucket-name shop-archive --iam-role-arn "$ROLE" --kms-key-id "$KMS"
# the role and the key are required: the CLI refuses before sending, the server too
check "no KMS key (CLI)" --kms-key-id "$(awsq rds start-export-task --export-task-identifier e6 \
	--source-arn "$ARN" --s3-bucket-name shop-archive --iam-role-arn "$ROLE" 2>&1 | grep -o -- --kms-key-id)"
check "no KMS key (server)" MissingParameter "$(curl -s -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=0' \
	--data-urlencode Action=StartExportTask --data-urlencode Version=2014-10-31 \
	--data-urlencode ExportTaskIdentifier=e6 --data-urlencode "SourceArn=$ARN" \
	--data-urlencode S3BucketName=shop-archive --data-urlencode "IamRoleArn=$ROLE" "$EP/" | grep -o MissingParameter)"
finish
