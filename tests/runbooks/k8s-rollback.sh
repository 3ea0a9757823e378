#!/usr/bin/env bash
# k8s-config-restore's rollback puts the configuration back exactly: when the restart
# fails after the apply, the ConfigMap the apply created is gone again and the keys it
# added are removed (checked with the real kubectl against `runbook sim serve`).
set -uo pipefail
RUNBOOK=$(realpath "$1") SRC=$2
cd "$SRC"
T=$(mktemp -d)
SIM=
trap '[ -n "$SIM" ] && kill "$SIM" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
command -v kubectl >/dev/null || { echo "kubectl not on PATH"; exit 1; }
"$RUNBOOK" sim serve --scenario examples/scenarios/k8s-ecommerce.yaml --kubeconfig-out "$T/kc" --quiet \
	> "$T/sim.out" 2>&1 &
SIM=$!
for _ in $(seq 50); do [ -s "$T/kc" ] && break; sleep 0.1; done
export KUBECONFIG=$T/kc
fail=0
before=$(kubectl get configmap app-config -o jsonpath='{.data}')
"$RUNBOOK" run runbooks/k8s-config-restore.yaml --yes --state-dir "$T/state" -p backup_dir="$T/backup" \
	-p manifests=examples/k8s/config-known-good -p 'deployments=["no-such-deployment"]' > "$T/run.out" 2>&1
rc=$?
[ $rc = 1 ] || { echo "FAIL: exit $rc, expected 1 (failed, rollback complete)"; cat "$T/run.out"; fail=1; }
after=$(kubectl get configmap app-config -o jsonpath='{.data}')
[ "$before" = "$after" ] || { echo "FAIL: app-config not restored: before $before, after $after"; fail=1; }
if kubectl get configmap order-service-config >/dev/null 2>&1; then
	echo "FAIL: order-service-config (created by the apply) still exists after the rollback"; fail=1
fi
kubectl get secret db-credentials >/dev/null 2>&1 || { echo "FAIL: db-credentials gone after the rollback"; fail=1; }
[ $fail = 0 ] && echo "ok: k8s-config-restore rollback restores the exact configuration"
exit $fail
