#!/bin/bash
# The real AWS CLI against `runbook sim serve`: Secrets Manager and S3 per region. A secret
# lives in the region it was created in (its ARN says so; another region does not see
# it); an S3 bucket lives in its LocationConstraint's region: GetBucketLocation and
# HeadBucket name it, a request signed for another region gets S3's 301 PermanentRedirect
# (which the CLI follows by signing again for the bucket's region), another region's
# endpoint refuses a constraint that is not its own.
. "$(dirname "$0")/lib.sh"
sim_start "$SRCDIR/tests/sim/regions_data.yaml"
ACCT=123456789012
east() { awsq --region us-east-1 "$@"; }
west() { awsq --region us-west-2 "$@"; }

# Secrets Manager: one store per region
arn=$(west secretsmanager create-secret --name dr/db-password --secret-string s3cret --query ARN --output text)
check "the secret's ARN names us-west-2" "arn:aws:secretsmanager:us-west-2:$ACCT:secret:dr/db-password-" "${arn%??????}"
check "us-west-2 reads it" s3cret "$(west secretsmanager get-secret-value --secret-id dr/db-password \
	--query SecretString --output text)"
expect_error "us-east-1 does not see it" ResourceNotFoundException east secretsmanager get-secret-value \
	--secret-id dr/db-password
check "us-east-1's list does not have it" 0 "$(east secretsmanager list-secrets \
	--query "length(SecretList[?Name=='dr/db-password'])" --output text)"
east secretsmanager create-secret --name dr/db-password --secret-string primary >/dev/null
check "the same name in us-east-1 is another secret" primary "$(east secretsmanager get-secret-value \
	--secret-id dr/db-password --query SecretString --output text)"
check "us-west-2's is unchanged" s3cret "$(west secretsmanager get-secret-value --secret-id dr/db-password \
	--query SecretString --output text)"

# S3: each bucket in its region, one namespace
east s3api create-bucket --bucket east-bucket >/dev/null
check "create-bucket in us-west-2" 0 "$(west s3api create-bucket --bucket west-bucket \
	--create-bucket-configuration LocationConstraint=us-west-2 >/dev/null; echo $?)"
check "us-east-1's location is null" None "$(east s3api get-bucket-location --bucket east-bucket --output text)"
check "GetBucketLocation from any region" us-west-2 "$(east s3api get-bucket-location --bucket west-bucket --output text)"
check "HeadBucket names the region" us-west-2 "$(west s3api head-bucket --bucket west-bucket --query BucketRegion --output text)"
check "ListBuckets lists every region's" "east-bucket west-bucket" "$(east s3api list-buckets \
	--query 'Buckets[].Name' --output text | tr '\t' ' ')"
check "ListBuckets says where" us-west-2 "$(east s3api list-buckets \
	--query "Buckets[?Name=='west-bucket'].BucketRegion" --output text)"
expect_error "the name is taken in every region" BucketAlreadyOwnedByYou west s3api create-bucket \
	--bucket east-bucket --create-bucket-configuration LocationConstraint=us-west-2
expect_error "us-west-2 refuses an unspecified constraint" IllegalLocationConstraintException west s3api \
	create-bucket --bucket other-bucket
expect_error "us-west-2 refuses another region's constraint" IllegalLocationConstraintException west s3api \
	create-bucket --bucket other-bucket --create-bucket-configuration LocationConstraint=eu-west-1
expect_error "an explicit us-east-1 constraint is invalid" InvalidLocationConstraint east s3api \
	create-bucket --bucket other-bucket --create-bucket-configuration LocationConstraint=us-east-1

# a request signed for the wrong region: 301 PermanentRedirect, the CLI signs again
printf 'dr data\n' >"$TMP/obj"
cp "$SIM_LOG" "$SIM_LOG.before"
check "put through us-east-1 lands in the us-west-2 bucket" 0 "$(east s3api put-object --bucket west-bucket \
	--key k --body "$TMP/obj" >/dev/null; echo $?)"
check "the first answer was a redirect" 1 "$(diff "$SIM_LOG.before" "$SIM_LOG" | grep -c 'PutObject.*PermanentRedirect')"
check "read back through us-west-2" "dr data" "$(west s3 cp s3://west-bucket/k -)"
out=$(curl -s -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDSIMULATOR0000001/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0" \
	-D "$TMP/headers" "$EP/west-bucket?list-type=2")
check "raw: status 301" 301 "$(awk 'NR == 1 { print $2 }' "$TMP/headers")"
check "raw: x-amz-bucket-region" us-west-2 "$(tr -d '\r' <"$TMP/headers" | awk -F': ' 'tolower($1) == "x-amz-bucket-region" { print $2 }')"
check "raw: PermanentRedirect names the endpoint" west-bucket.s3.us-west-2.amazonaws.com \
	"$(sed -n 's:.*<Endpoint>\(.*\)</Endpoint>.*:\1:p' <<<"$out")"
finish
