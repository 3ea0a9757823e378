#!/usr/bin/env bash
# Every k8s action through `runbook run` against the simulator, with a token, a client
# certificate and an exec-plugin kubeconfig; rollback restores replicas; dry-run changes
# nothing; bad input (unknown context, expired token, missing object, conflict) fails
# with the API's reason. Secret values never reach the journal.
RUNBOOK=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
start_sim tok --speed 30 --kubeconfig-out "$T/kc-token"
start_sim crt --speed 30 --kubeconfig-out "$T/kc-cert" --kubeconfig-auth cert
grep -q client-certificate-data "$T/kc-cert" && ok "cert kubeconfig" || not_ok "cert kubeconfig"

# an exec plugin that prints an ExecCredential with the token (how EKS does it)
tok=$(awk '/token:/ {print $2}' "$T/kc-token")
cat > "$T/plugin" <<SH
#!/bin/sh
echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"$tok"}}'
SH
chmod +x "$T/plugin"
sed '/^users:/,$d' "$T/kc-token" > "$T/kc-exec"
cat >> "$T/kc-exec" <<YAML
users:
- name: sim-admin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: $T/plugin
      args: []
YAML

cat > "$T/rb.yaml" <<'YAML'
runbook: k8s-actions
params:
  kubeconfig: {type: string, required: true}
  backup_dir: {type: string, required: true}
  fail_at_end: {type: bool, default: false}
connections:
  k8s: {kubeconfig: "${{ .params.kubeconfig }}"}
steps:
  - id: backup
    action: k8s.backup
    with: {kinds: [Deployment, Secret, ConfigMap], dir: "${{ .params.backup_dir }}"}
  - id: writers
    action: k8s.list
    with: {kind: Deployment, label_selector: writes=true}
    outputs: {names: "[.result.items[].metadata.name] | sort"}
  - id: stop
    action: k8s.scale
    with: {name: order-service, replicas: 0}
    rollback:
      - action: k8s.scale
        with: {name: order-service, replicas: "${{ .steps.stop.result.previous }}"}
  - id: secret
    action: k8s.secret_set
    with: {name: db-credentials, data: {DATABASE_PASSWORD: n3w-pa55word-xyz}}
  - id: config
    action: k8s.configmap_set
    with: {name: app-config, data: {LOG_LEVEL: debug}}
  - id: env
    action: k8s.set_env
    with: {name: payment-service, env: {DATABASE_HOST: restored.db}}
  - id: restart
    action: k8s.rollout_restart
    with: {name: payment-service}
  - id: rolled
    action: k8s.rollout_status
    with: {name: payment-service, timeout: 5m}
  - id: marker
    action: k8s.apply
    with:
      manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: restore-marker}, data: {run: "${{ .run.id }}"}}
  - id: patch
    action: k8s.patch
    with: {kind: ConfigMap, name: restore-marker, type: merge, patch: {data: {patched: "yes"}}}
  - id: available
    action: k8s.wait
    with: {kind: Deployment, name: api-gateway, condition: Available, timeout: 1m}
  - id: got
    action: k8s.get
    with: {kind: configmap, name: restore-marker}
    outputs: {patched: .result.data.patched}
  - id: drop
    action: k8s.delete
    with: {kind: ConfigMap, name: restore-marker}
  - id: gone
    action: k8s.wait
    with: {kind: ConfigMap, name: restore-marker, deleted: true, timeout: 30s}
  - id: boom
    when: .params.fail_at_end
    action: exec
    with: {argv: ["false"]}
YAML
for auth in token cert exec; do
	kc=$T/kc-$auth
	rm -rf "$T/bk"
	if "$RUNBOOK" run "$T/rb.yaml" -p kubeconfig="$kc" -p backup_dir="$T/bk" --state-dir "$T/st" --output json > "$T/out-$auth.json" 2> "$T/err-$auth"; then
		ok "run with a $auth kubeconfig"
	else
		not_ok "run with a $auth kubeconfig: $(tail -3 "$T/err-$auth") $(grep -o '"error":{[^}]*}' "$T/out-$auth.json" | head -2)"
	fi
done
j=$T/out-token.json
check "writers found by label" '["order-service","payment-service"]' \
	"$(jq -c 'select(.event=="step_finished" and .step=="writers") | .outputs.names' "$j")"
check "scale returns the previous count" 3 "$(jq -c 'select(.event=="step_finished" and .step=="stop") | .result.previous' "$j")"
check "patched" '"yes"' "$(jq -c 'select(.event=="step_finished" and .step=="got") | .outputs.patched' "$j")"
ls "$T/bk" | grep -q 'shop.Secret.db-credentials.json' && ok "backup files" || not_ok "backup files: $(ls "$T/bk")"
jq -e '.metadata.managedFields == null and .metadata.resourceVersion == null and .status == null' \
	"$T/bk/shop.Deployment.order-service.json" >/dev/null && ok "backup strips server fields" || not_ok "backup strips server fields"
if grep -rl 'n3w-pa55word-xyz\|correct-horse-battery' "$T"/st/runs/*/journal.jsonl "$T"/out-*.json; then
	not_ok "a secret value reached the journal or output"
	grep -rho '.\{100\}\(n3w-pa55word-xyz\|correct-horse-battery\).\{20\}' "$T"/st/runs/*/journal.jsonl "$T"/out-*.json | head -3
else
	ok "secrets redacted"
fi
export KUBECONFIG=$T/kc-token
if command -v kubectl >/dev/null; then
	check "order-service left at 0 (no rollback on success)" 0 "$(kubectl get deploy order-service -o jsonpath='{.spec.replicas}')"
	kubectl scale deploy order-service --replicas=3 >/dev/null
fi

# a failure at the end rolls the scale back to the previous count
rm -rf "$T/st"
"$RUNBOOK" run "$T/rb.yaml" -p kubeconfig="$T/kc-token" -p backup_dir="$T/bk2" -p fail_at_end=true --state-dir "$T/st" > "$T/fail.out" 2>&1 && rc=0 || rc=$?
check "failed run exits 1 after rollback" 1 "$rc"
if command -v kubectl >/dev/null; then
	check "rollback restored replicas" 3 "$(kubectl get deploy order-service -o jsonpath='{.spec.replicas}')"
fi

# dry-run: the API's dryRun=All, nothing changes
before=$(curl -s "$(sed -n 1p "$T/tok.out")/_sim/counters" | jq -c '.k8s.mutating')
rm -rf "$T/st"
"$RUNBOOK" run "$T/rb.yaml" -p kubeconfig="$T/kc-token" -p backup_dir="$T/bk3" --dry-run --state-dir "$T/st" > "$T/dry.out" 2>&1 || true
after=$(curl -s "$(sed -n 1p "$T/tok.out")/_sim/counters" | jq -c '.k8s.mutating')
check "dry-run makes no change" "$before" "$after"

# bad input
cat > "$T/bad.yaml" <<'YAML'
runbook: k8s-bad
params:
  kubeconfig: {type: string, required: true}
  context: {type: string, default: sim}
  name: {type: string, default: order-service}
connections:
  k8s: {kubeconfig: "${{ .params.kubeconfig }}", context: "${{ .params.context }}"}
steps:
  - id: get
    action: k8s.get
    with: {kind: Deployment, name: "${{ .params.name }}"}
YAML
run_bad() { "$RUNBOOK" run "$T/bad.yaml" --state-dir "$T/st" "$@" 2>&1 || true; }
contains "unknown context" "context 'prod' is not in the kubeconfig" "$(run_bad -p kubeconfig="$T/kc-token" -p context=prod)"
sed "s/token: .*/token: stale-token/" "$T/kc-token" > "$T/kc-stale"
contains "expired token" "Unauthorized" "$(run_bad -p kubeconfig="$T/kc-stale")"
contains "missing object" "NotFound" "$(run_bad -p kubeconfig="$T/kc-token" -p name=nope)"
sed "s/certificate-authority-data: .*/certificate-authority-data: $(sed -n 's/.*certificate-authority-data: //p' "$T/kc-cert")/" "$T/kc-token" > "$T/kc-wrongca"
contains "wrong CA refused" "TLSError" "$(run_bad -p kubeconfig="$T/kc-wrongca")"
cat > "$T/conflict.yaml" <<'YAML'
runbook: k8s-conflict
params:
  kubeconfig: {type: string, required: true}
connections:
  k8s: {kubeconfig: "${{ .params.kubeconfig }}"}
steps:
  - id: one
    action: k8s.apply
    with: {field_manager: team-a, manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: owned}, data: {k: a}}}
  - id: two
    action: k8s.apply
    with: {field_manager: team-b, manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: owned}, data: {k: b}}}
YAML
contains "apply conflict" "Conflict" "$("$RUNBOOK" run "$T/conflict.yaml" -p kubeconfig="$T/kc-token" --state-dir "$T/st" 2>&1 || true)"
finish
