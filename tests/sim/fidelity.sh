#!/bin/bash
# Issue 13's simulator fixes, with the real aws CLI and kubectl against `runbook sim serve`:
# S3 replication configuration, user metadata and SSE-KMS kept; errors of services not
# simulated in each protocol's own shape (the CLI names the code); kubectl apply of a
# `kind: List` (validated through /openapi/v2); LoadBalancer ingress; Kubernetes lines in
# the request log.
. "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null 2>&1 || skip_all "no kubectl"
sim_start "$SRCDIR/tests/sim/fidelity.yaml" --k8s-listen 127.0.0.1:0 --kubeconfig-out "$TMP/kubeconfig"
for _ in $(seq 100); do [ -s "$TMP/kubeconfig" ] && break; sleep 0.05; done
export KUBECONFIG=$TMP/kubeconfig

# S3: replication (was routed to CreateBucket / ListObjects)
cat >"$TMP/rep.json" <<'J'
{"Role": "arn:aws:iam::123456789012:role/s3-replication", "Rules": [{"ID": "dr", "Status": "Enabled",
 "Priority": 1, "Filter": {"Prefix": ""}, "DeleteMarkerReplication": {"Status": "Disabled"},
 "Destination": {"Bucket": "arn:aws:s3:::backups-west", "StorageClass": "STANDARD_IA"}}]}
J
expect_error "no replication configuration yet" ReplicationConfigurationNotFoundError \
	awsq s3api get-bucket-replication --bucket backups-east
expect_error "replication needs versioning" InvalidRequest \
	awsq s3api put-bucket-replication --bucket plain --replication-configuration "file://$TMP/rep.json"
check_cmd "put-bucket-replication" awsq s3api put-bucket-replication --bucket backups-east \
	--replication-configuration "file://$TMP/rep.json"
check "get-bucket-replication gives it back" "arn:aws:s3:::backups-west STANDARD_IA" \
	"$(awsq s3api get-bucket-replication --bucket backups-east --output text \
		--query 'ReplicationConfiguration.Rules[0].Destination.[Bucket,StorageClass]' | tr '\t' ' ')"
check "no bucket was created by it" 2 "$(awsq s3api list-buckets --query 'length(Buckets)' --output text)"
expect_error "a subresource not simulated" NotImplemented awsq s3api get-bucket-policy --bucket backups-east

# S3: user metadata and SSE-KMS, through PUT, HEAD, GET and copy
echo payload >"$TMP/f"
KEY=arn:aws:kms:us-east-1:123456789012:key/backup-key
check "put-object answers its encryption" "aws:kms $KEY" "$(awsq s3api put-object --bucket backups-east \
	--key dump.sql --body "$TMP/f" --metadata md5=abc123,source=pg_dump --server-side-encryption aws:kms \
	--ssekms-key-id "$KEY" --output text --query '[ServerSideEncryption,SSEKMSKeyId]' | tr '\t' ' ')"
out=$(awsq s3api head-object --bucket backups-east --key dump.sql --output json)
check "head-object: user metadata" "abc123 pg_dump" "$(jq -r '"\(.Metadata.md5) \(.Metadata.source)"' <<<"$out")"
check "head-object: SSE-KMS" "aws:kms $KEY" "$(jq -r '"\(.ServerSideEncryption) \(.SSEKMSKeyId)"' <<<"$out")"
check "get-object: user metadata" abc123 "$(awsq s3api get-object --bucket backups-east --key dump.sql \
	"$TMP/g" --query Metadata.md5 --output text)"
awsq s3 cp s3://backups-east/dump.sql s3://backups-east/copy.sql >/dev/null 2>&1
check "a copy keeps the metadata" abc123 "$(awsq s3api head-object --bucket backups-east --key copy.sql \
	--query Metadata.md5 --output text)"
check "an object put without SSE is SSE-S3" AES256 "$(awsq s3api put-object --bucket plain --key x \
	--body "$TMP/f" --query ServerSideEncryption --output text)"

# services not simulated: each protocol's own error shape, read by the CLI
expect_error "ec2 (EC2 query)" InvalidAction awsq ec2 describe-security-groups
expect_error "cloudwatch (rpc-v2-cbor)" UnknownOperationException awsq cloudwatch list-metrics
expect_error "health (JSON 1.1)" UnknownOperationException awsq health describe-events
expect_error "eks (rest-json)" UnknownOperationException awsq eks list-clusters
err=$(awsq ec2 describe-security-groups 2>&1 >/dev/null)
case $err in
*"ec2:DescribeSecurityGroups is not simulated"*) ok "the message names service and operation" ;;
*) not_ok "the message names service and operation"; diag "got: $err" ;;
esac

# Kubernetes: kubectl apply of `kubectl get -o yaml` (a kind: List), validated
kubectl get configmap,secret -n shop -o yaml >"$TMP/list.yaml" 2>>"$TMP/kerr"
check "the saved configuration is a List" "kind: List" "$(grep -m1 '^kind:' "$TMP/list.yaml")"
if kubectl apply -f "$TMP/list.yaml" >"$TMP/apply" 2>&1; then
	ok "kubectl apply of a List validates and applies"
else
	bad "kubectl apply of a List" "$TMP/apply"
fi
check "the List's ConfigMap was applied" "configmap/app-config configured" "$(grep '^configmap' "$TMP/apply")"
check "LoadBalancer ingress hostname" elb.amazonaws.com "$(kubectl get svc ingress -n shop \
	-o jsonpath='{.status.loadBalancer.ingress[0].hostname}' 2>>"$TMP/kerr" | grep -o 'elb\.amazonaws\.com$')"
check "kubectl shows it as EXTERNAL-IP" 1 "$(kubectl get svc ingress -n shop --no-headers 2>>"$TMP/kerr" |
	grep -c 'LoadBalancer .* a[0-9a-f]*-[0-9]*\.us-east-1\.elb\.amazonaws\.com')"
check "a ClusterIP Service has none" "" "$(kubectl get svc internal -n shop \
	-o jsonpath='{.status.loadBalancer.ingress}' 2>>"$TMP/kerr")"
check "Kubernetes requests in the request log" 2 \
	"$(grep -c ' k8s GET /api/v1/namespaces/shop/services/ingress - 200$' "$SIM_LOG")"
check "a write among them" 1 "$(grep -c ' k8s PATCH /api/v1/namespaces/shop/configmaps/app-config - 200$' "$SIM_LOG")"
check "with the reason of an error" 1 "$(kubectl get svc nope -n shop >/dev/null 2>&1
	grep -c ' k8s GET /api/v1/namespaces/shop/services/nope - 404 NotFound$' "$SIM_LOG")"
finish
