#!/bin/bash
# The real AWS CLI against `runbook sim serve`: Route 53 hosted zones declared in the
# scenario, ChangeResourceRecordSets (all or nothing; AWS's InvalidChangeBatch),
# ListResourceRecordSets in AWS's order, GetChange PENDING then INSYNC (the CLI waiter).
. "$(dirname "$0")/lib.sh"
sim_start "$SRCDIR/tests/sim/route53.yaml"
Z=Z0SHOPEXAMPLE1

check "hosted zones" "internal.example. shop.example.com." "$(awsq route53 list-hosted-zones \
	--query 'HostedZones[].Name' --output text | tr '\t' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
check "zone by name" /hostedzone/$Z "$(awsq route53 list-hosted-zones-by-name --dns-name shop.example.com \
	--query 'HostedZones[0].Id' --output text)"
check "private zone" true "$(awsq route53 get-hosted-zone --id Z0INTERNAL2 --output json | jq .HostedZone.Config.PrivateZone)"
check "records with SOA and NS, in AWS's order" "shop.example.com. NS,shop.example.com. SOA,shop.example.com. TXT,api.shop.example.com. CNAME" \
	"$(awsq route53 list-resource-record-sets --hosted-zone-id $Z --output json |
	jq -r '[.ResourceRecordSets[] | "\(.Name) \(.Type)"] | join(",")')"
expect_error "unknown zone" NoSuchHostedZone awsq route53 list-resource-record-sets --hosted-zone-id ZNOPE

cat >"$TMP/failover.json" <<'J'
{"Comment": "fail over to us-west-2", "Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
  "Name": "api.shop.example.com", "Type": "CNAME", "TTL": 60,
  "ResourceRecords": [{"Value": "api-usw2.shop.example.com"}]}}]}
J
out=$(awsq route53 change-resource-record-sets --hosted-zone-id /hostedzone/$Z --change-batch file://"$TMP/failover.json" --output json)
check "change pending" PENDING "$(jq -r .ChangeInfo.Status <<<"$out")"
CH=$(jq -r .ChangeInfo.Id <<<"$out")
check "the record points at us-west-2" api-usw2.shop.example.com "$(awsq route53 list-resource-record-sets \
	--hosted-zone-id $Z --query "ResourceRecordSets[?Name=='api.shop.example.com.'].ResourceRecords[0].Value" --output text)"
awsq route53 wait resource-record-sets-changed --id "$CH"
check "waiter: in sync" INSYNC "$(awsq route53 get-change --id "$CH" --query ChangeInfo.Status --output text)"
expect_error "unknown change" NoSuchChange awsq route53 get-change --id CNOPE

# AWS's checks: create over an existing record, delete with other values, a name outside the zone;
# a batch with one bad change changes nothing
cat >"$TMP/bad.json" <<'J'
{"Changes": [
 {"Action": "CREATE", "ResourceRecordSet": {"Name": "www.shop.example.com", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.10"}]}},
 {"Action": "CREATE", "ResourceRecordSet": {"Name": "api.shop.example.com", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "x"}]}}]}
J
expect_error "create an existing record" InvalidChangeBatch awsq route53 change-resource-record-sets \
	--hosted-zone-id $Z --change-batch file://"$TMP/bad.json"
check "all or nothing" 0 "$(awsq route53 list-resource-record-sets --hosted-zone-id $Z \
	--query "length(ResourceRecordSets[?Name=='www.shop.example.com.'])" --output text)"
cat >"$TMP/del.json" <<'J'
{"Changes": [{"Action": "DELETE", "ResourceRecordSet": {"Name": "api.shop.example.com", "Type": "CNAME", "TTL": 60,
  "ResourceRecords": [{"Value": "api-use1.shop.example.com"}]}}]}
J
expect_error "delete with stale values" InvalidChangeBatch awsq route53 change-resource-record-sets \
	--hosted-zone-id $Z --change-batch file://"$TMP/del.json"
sed -i 's/api-use1/api-usw2/' "$TMP/del.json"
awsq route53 change-resource-record-sets --hosted-zone-id $Z --change-batch file://"$TMP/del.json" >/dev/null
check "delete with the current values" 0 "$?"
cat >"$TMP/out.json" <<'J'
{"Changes": [{"Action": "CREATE", "ResourceRecordSet": {"Name": "api.other.example", "Type": "A", "TTL": 60,
  "ResourceRecords": [{"Value": "192.0.2.1"}]}}]}
J
expect_error "a name outside the zone" InvalidChangeBatch awsq route53 change-resource-record-sets \
	--hosted-zone-id $Z --change-batch file://"$TMP/out.json"
check "changes counted (failed ones too)" 5 "$(counters | jq '.mutating.ChangeResourceRecordSets')"
finish
