#!/usr/bin/env bash
# stdlib/k8s fragments against the simulator: stop the writers (and their rollback),
# cut over to a restored endpoint, restart and wait.
RUNBOOK=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
start_sim a --speed 30 --kubeconfig-out "$T/kc"
cat > "$T/rb.yaml" <<YAML
runbook: k8s-stdlib
params:
  fail: {type: bool, default: false}
connections:
  k8s: {kubeconfig: "$T/kc"}
steps:
  - id: writers
    uses: stdlib/k8s/stop-writers.yaml
  - id: cutover
    uses: stdlib/k8s/cutover.yaml
    with: {secret: db-credentials, value: shop-prod-restored.db, deployments: [api-gateway]}
  - id: restart
    uses: stdlib/k8s/restart.yaml
    with: {name: indexer, kind: StatefulSet}
  - id: boom
    when: .params.fail
    action: exec
    with: {argv: ["false"]}
YAML
replicas() { curl -s "$(sed -n 1p "$T/a.out")/_sim/counters" >/dev/null; KUBECONFIG=$T/kc kubectl get deploy "$1" -o jsonpath='{.spec.replicas}'; }
secret() { KUBECONFIG=$T/kc kubectl get secret db-credentials -o jsonpath='{.data.DATABASE_HOST}' | base64 -d; }
command -v kubectl >/dev/null || skip_all "no kubectl on PATH"

"$RUNBOOK" run "$T/rb.yaml" -p fail=true --state-dir "$T/st" --output json > "$T/fail.json" 2> "$T/fail.err" && rc=0 || rc=$?
check "failed run rolls back (exit 1)" 1 "$rc"
check "writers scaled back" "3 2" "$(replicas order-service) $(replicas payment-service)"
check "the writer StatefulSet scaled back" 1 "$(KUBECONFIG=$T/kc kubectl get statefulset indexer -o jsonpath='{.spec.replicas}')"
check "secret put back" shop-prod.c9akciq32x1e.us-east-1.rds.amazonaws.com "$(secret)"
check "stop-writers outputs" '{"order-service":3,"payment-service":2,"indexer":1}' \
	"$(jq -c 'select(.event=="step_finished" and .step=="writers") | .outputs.replicas' "$T/fail.json")"

"$RUNBOOK" run "$T/rb.yaml" --state-dir "$T/st" > "$T/ok.out" 2>&1 && rc=0 || rc=$?
check "successful run" 0 "$rc"
check "writers stopped" "0 0" "$(replicas order-service) $(replicas payment-service)"
check "the writer StatefulSet stopped too" 0 "$(KUBECONFIG=$T/kc kubectl get statefulset indexer -o jsonpath='{.spec.replicas}')"
check "secret cut over" shop-prod-restored.db "$(secret)"
[ "$rc" -eq 0 ] || tail -20 "$T/ok.out"
finish
