#!/bin/bash
# The real AWS CLI against `runbook sim serve`: S3 versioning with delete markers
# (seed 004's undelete), restoring an old version with copy-object, high-level cp/ls/sync.
. "$(dirname "$0")/lib.sh"
sim_start "$SCEN/s3-versioned-restore.yaml"
B=lomash-wood-media-prod
K=products/kitchen/abc123/hero.jpg

out=$(awsq s3api list-object-versions --bucket $B --prefix "$K" --output json)
check "versions of the deleted key" 2 "$(jq '.Versions | length' <<<"$out")"
check "delete marker is latest" true "$(jq '.DeleteMarkers[0].IsLatest' <<<"$out")"
check "newest version first" "hero image v2" "$(awsq s3api get-object --bucket $B --key "$K" \
	--version-id "$(jq -r '.Versions[0].VersionId' <<<"$out")" "$TMP/v" >/dev/null; cat "$TMP/v")"
check "old versions are not latest" "false false" "$(jq -r '[.Versions[].IsLatest] | map(tostring) | join(" ")' <<<"$out")"
out=$(awsq s3api list-object-versions --bucket $B --output json)
check "whole bucket: versions" 7 "$(jq '.Versions | length' <<<"$out")"
check "whole bucket: delete markers" 2 "$(jq '.DeleteMarkers | length' <<<"$out")"
out=$(awsq s3api list-object-versions --bucket $B --prefix products/ --delimiter / --output json)
check "common prefixes" "products/bath/ products/kitchen/" "$(jq -r '[.CommonPrefixes[].Prefix] | join(" ")' <<<"$out")"
out=$(awsq s3api list-object-versions --bucket $B --max-items 3 --page-size 2 --output json)
check "paginated listing" 3 "$(jq '[.Versions[]?, .DeleteMarkers[]?] | length' <<<"$out")"

expect_error "deleted object" 404 awsq s3api head-object --bucket $B --key "$K"
expect_error "get deleted object" NoSuchKey awsq s3api get-object --bucket $B --key "$K" "$TMP/x"
expect_error "no such bucket" NoSuchBucket awsq s3api list-objects-v2 --bucket nope
DM=$(awsq s3api list-object-versions --bucket $B --prefix "$K" --query 'DeleteMarkers[?IsLatest].VersionId' --output text)
out=$(awsq s3api delete-object --bucket $B --key "$K" --version-id "$DM" --output json)
check "removing the delete marker" true "$(jq .DeleteMarker <<<"$out")"
check "object is back (seed step 3)" 13 "$(awsq s3api head-object --bucket $B --key "$K" --query ContentLength --output text)"

# restore an overwritten object from its previous version
K2=products/bath/def456/hero.jpg
OLD=$(awsq s3api list-object-versions --bucket $B --prefix $K2 --query 'Versions[?IsLatest==`false`].VersionId' --output text)
out=$(awsq s3api copy-object --bucket $B --key $K2 --copy-source "$B/$K2?versionId=$OLD" --output json)
check "copy reports its source version" "$OLD" "$(jq -r .CopySourceVersionId <<<"$out")"
awsq s3 cp "s3://$B/$K2" "$TMP/bath" >/dev/null
check "old version restored" "good bath hero" "$(cat "$TMP/bath")"
check "three versions now" 3 "$(awsq s3api list-object-versions --bucket $B --prefix $K2 --query 'length(Versions)' --output text)"

# put, delete (marker), get by version
printf 'hello\n' > "$TMP/up.txt"
V=$(awsq s3api put-object --bucket $B --key new/up.txt --body "$TMP/up.txt" --query VersionId --output text)
check "put returns a version" true "$([ -n "$V" ] && [ "$V" != None ] && echo true)"
out=$(awsq s3api delete-object --bucket $B --key new/up.txt --output json)
check "delete makes a marker" true "$(jq .DeleteMarker <<<"$out")"
awsq s3api get-object --bucket $B --key new/up.txt --version-id "$V" "$TMP/up2" >/dev/null
check "get by version after delete" hello "$(cat "$TMP/up2")"
expect_error "get a delete marker by version" MethodNotAllowed awsq s3api get-object --bucket $B --key new/up.txt \
	--version-id "$(jq -r .VersionId <<<"$out")" "$TMP/x"

# high-level commands (aws s3 cp/ls/sync/rm)
head -c 3000000 /dev/urandom > "$TMP/big.bin"
awsq s3 cp "$TMP/big.bin" s3://lomash-wood-backups/big.bin >/dev/null
awsq s3 cp s3://lomash-wood-backups/big.bin "$TMP/big2.bin" >/dev/null
check "3 MB round trip" same "$(cmp -s "$TMP/big.bin" "$TMP/big2.bin" && echo same)"
check "s3 ls --recursive" 3 "$(awsq s3 ls s3://lomash-wood-backups --recursive | wc -l)"
awsq s3 sync s3://lomash-wood-media-prod-replica s3://lomash-wood-media-prod >/dev/null
check "sync restored the deleted thumb" "thumb v1" "$(awsq s3 cp s3://$B/products/kitchen/abc123/thumb.jpg -)"
check "replica and source agree" "$(awsq s3 ls s3://lomash-wood-media-prod-replica --recursive | awk '{print $3, $4}' | sort)" \
	"$(awsq s3 ls s3://$B --recursive | awk '{print $3, $4}' | grep -v -e assets/ -e new/ | sort)"
awsq s3 rm s3://lomash-wood-backups/big.bin >/dev/null
check "unversioned delete removes" 2 "$(awsq s3 ls s3://lomash-wood-backups --recursive | wc -l)"
awsq s3api put-bucket-versioning --bucket lomash-wood-backups --versioning-configuration Status=Enabled
check "versioning enabled" Enabled "$(awsq s3api get-bucket-versioning --bucket lomash-wood-backups --query Status --output text)"

c=$(counters)
check "copies counted" true "$(jq '.mutating.CopyObject >= 3' <<<"$c")"
check "reads not mutating" null "$(jq '.mutating.GetObject' <<<"$c")"
finish
