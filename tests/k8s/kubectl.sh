#!/usr/bin/env bash
# The real kubectl (whichever is on PATH) against `runbook sim serve`: get, describe,
# scale, rollout restart, rollout status, set env, patch secret, server-side apply,
# delete, wait; and its errors for an expired token and a conflict.
RUNBOOK=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null || skip_all "no kubectl on PATH"
start_sim a --speed 20 --kubeconfig-out "$T/kc"
export KUBECONFIG=$T/kc
k() { kubectl --request-timeout=20s "$@"; }

check "get deployments" "api-gateway order-service payment-service" \
	"$(k get deploy -o jsonpath='{.items[*].metadata.name}' | tr ' ' '\n' | sort | xargs)"
contains "get shows READY" "3/3" "$(k get deploy order-service)"
contains "describe shows the image" "shop/order-service:1.14.2" "$(k describe deployment order-service)"
check "pods derived from the deployment" 3 "$(k get pods -l app=order-service -o name | wc -l)"

k scale deployment order-service --replicas=0 >/dev/null
check "scale to 0" 0 "$(k get deploy order-service -o jsonpath='{.spec.replicas}')"
k scale deployment order-service --replicas=3 >/dev/null
k rollout status deployment/order-service --timeout=60s >/dev/null && ok "rollout status after scale" || not_ok "rollout status after scale"

k set env deployment/order-service DATABASE_HOST=shop-prod-restored.example >/dev/null
check "set env" shop-prod-restored.example \
	"$(k get deploy order-service -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="DATABASE_HOST")].value}')"
gen=$(k get deploy order-service -o jsonpath='{.metadata.generation}')
k rollout restart deployment/order-service >/dev/null
contains "rollout restart annotates the template" restartedAt "$(k get deploy order-service -o jsonpath='{.spec.template.metadata.annotations}')"
[ "$(k get deploy order-service -o jsonpath='{.metadata.generation}')" -gt "$gen" ] && ok "restart bumps generation" || not_ok "restart bumps generation"
out=$(k rollout status deployment/order-service --timeout=60s)
contains "rollout status waits for the rollout" "successfully rolled out" "$out"

new=$(printf 'restored.db' | base64)
k patch secret db-credentials -p "{\"data\":{\"DATABASE_HOST\":\"$new\"}}" >/dev/null
check "patch secret" restored.db "$(k get secret db-credentials -o jsonpath='{.data.DATABASE_HOST}' | base64 -d)"
out=$(k patch secret db-credentials -p '{"data":{"DATABASE_HOST":"not base64!"}}' 2>&1 || true)
contains "invalid secret data refused" "illegal base64" "$out"

cat > "$T/cm.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: restore-flags, namespace: shop}
data: {READ_ONLY: "true"}
YAML
contains "server-side apply" "serverside-applied" "$(k apply --server-side -f "$T/cm.yaml")"
check "applied data" true "$(k get cm restore-flags -o jsonpath='{.data.READ_ONLY}')"
sed 's/"true"/"false"/' "$T/cm.yaml" > "$T/cm2.yaml"
out=$(k apply --server-side --field-manager=other -f "$T/cm2.yaml" 2>&1 || true)
contains "apply conflict" "conflict" "$out"
k apply --server-side --field-manager=other --force-conflicts -f "$T/cm2.yaml" >/dev/null
check "forced apply" false "$(k get cm restore-flags -o jsonpath='{.data.READ_ONLY}')"
k apply --server-side --force-conflicts --dry-run=server -f "$T/cm.yaml" >/dev/null
check "dry-run=server changes nothing" false "$(k get cm restore-flags -o jsonpath='{.data.READ_ONLY}')"

contains "wait for a condition" "condition met" "$(k wait --for=condition=Available deployment/payment-service --timeout=30s)"
k delete configmap restore-flags >/dev/null
out=$(k get configmap restore-flags 2>&1 || true)
contains "delete" "NotFound" "$out"
out=$(k --token=stale-token get pods 2>&1 || true)
contains "expired token refused" "expired" "$out"
finish
