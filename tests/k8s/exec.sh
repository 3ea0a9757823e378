#!/usr/bin/env bash
# Exec credential plugins get what kubectl gives them: KUBERNETES_EXEC_INFO is an
# ExecCredential in the kubeconfig's apiVersion (v1 or v1beta1), with spec.cluster (the
# server, the CA as base64 data, the client.authentication.k8s.io/exec extension as
# config) only when provideClusterInfo is true, and spec.interactive per interactiveMode
# (stdin is not a terminal here: IfAvailable is false, Always is an error, v1 without a
# mode is an error). A reply in another apiVersion is refused, as kubectl does.
RUNBOOK=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
start_sim tok --speed 30 --kubeconfig-out "$T/kc-token"
tok=$(awk '/token:/ {print $2}' "$T/kc-token")
server=$(awk '/server:/ {print $2}' "$T/kc-token")
cadata=$(awk '/certificate-authority-data:/ {print $2}' "$T/kc-token")

# the plugin saves what it was given and answers in REPLY_API (default: the request's)
cat > "$T/plugin" <<SH
#!/bin/sh
printf '%s' "\$KUBERNETES_EXEC_INFO" > "\$1"
api=\${REPLY_API:-\$(printf '%s' "\$KUBERNETES_EXEC_INFO" | jq -r .apiVersion)}
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"$tok"}}\n' "\$api"
SH
chmod +x "$T/plugin"

# kubeconfig NAME "exec fields" ["cluster extras"]: kc-NAME with that exec user
kubeconfig() {
	sed -e '/^users:/,$d' "$T/kc-token" > "$T/kc-$1"
	if [ -n "${3:-}" ]; then
		awk -v extra="$3" '{print} /server:/ {print extra}' "$T/kc-$1" > "$T/kc-$1.tmp"
		mv "$T/kc-$1.tmp" "$T/kc-$1"
	fi
	cat >> "$T/kc-$1" <<YAML
users:
- name: sim-admin
  user:
    exec:
      command: $T/plugin
      args: ["$T/info-$1.json"]
$(printf '%s\n' "$2" | sed 's/^/      /')
YAML
}
cat > "$T/rb.yaml" <<'YAML'
runbook: k8s-exec
params:
  kubeconfig: {type: string, required: true}
connections:
  k8s: {kubeconfig: "${{ .params.kubeconfig }}"}
steps:
  - id: get
    action: k8s.get
    with: {kind: Deployment, name: order-service}
YAML
run() { "$RUNBOOK" run "$T/rb.yaml" -p kubeconfig="$T/kc-$1" --state-dir "$T/st" > "$T/out-$1" 2>&1; }
info() { jq -c "$2" "$T/info-$1.json" 2>&1; }

kubeconfig v1 'apiVersion: client.authentication.k8s.io/v1
interactiveMode: Never
provideClusterInfo: true' '    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {audience: sim, region: eu-west-1}
    - name: other
      extension: {x: 1}'
run v1 && ok "v1 plugin with cluster info: run" || bad "v1 plugin with cluster info: run" "$T/out-v1"
check "v1: request apiVersion and kind" '"client.authentication.k8s.io/v1 ExecCredential"' \
	"$(info v1 '"\(.apiVersion) \(.kind)"')"
check "v1: spec.interactive false (Never)" false "$(info v1 .spec.interactive)"
check "v1: spec.cluster.server" "\"$server\"" "$(info v1 .spec.cluster.server)"
check "v1: spec.cluster.certificate-authority-data" "\"$cadata\"" "$(info v1 '.spec.cluster["certificate-authority-data"]')"
check "v1: spec.cluster.config is the exec extension" '{"audience":"sim","region":"eu-west-1"}' \
	"$(info v1 .spec.cluster.config)"

kubeconfig beta 'apiVersion: client.authentication.k8s.io/v1beta1'
run beta && ok "v1beta1 plugin: run" || bad "v1beta1 plugin: run" "$T/out-beta"
check "v1beta1: request apiVersion" '"client.authentication.k8s.io/v1beta1"' "$(info beta .apiVersion)"
check "v1beta1: no spec.cluster without provideClusterInfo" false "$(info beta '.spec | has("cluster")')"
check "v1beta1: IfAvailable (the default) without a terminal is not interactive" false "$(info beta .spec.interactive)"

kubeconfig always 'apiVersion: client.authentication.k8s.io/v1
interactiveMode: Always'
run always && bad "interactiveMode Always without a terminal fails" "$T/out-always" ||
	contains "interactiveMode Always without a terminal fails" "standard input is not a terminal" "$(cat "$T/out-always")"
[ ! -e "$T/info-always.json" ] && ok "Always: the plugin was not run" || not_ok "Always: the plugin was not run"

kubeconfig nomode 'apiVersion: client.authentication.k8s.io/v1'
run nomode && bad "v1 without interactiveMode fails" "$T/out-nomode" ||
	contains "v1 without interactiveMode fails" "interactiveMode must be specified" "$(cat "$T/out-nomode")"

kubeconfig mismatch 'apiVersion: client.authentication.k8s.io/v1
interactiveMode: IfAvailable'
REPLY_API=client.authentication.k8s.io/v1beta1 run mismatch && bad "a reply in another apiVersion is refused" "$T/out-mismatch" ||
	contains "a reply in another apiVersion is refused" "plugin returned version client.authentication.k8s.io/v1beta1" \
	"$(cat "$T/out-mismatch")"
# with a terminal (script(1) gives runbook a pty): IfAvailable and Always are interactive
if command -v script >/dev/null; then
	kubeconfig tty-ifavail 'apiVersion: client.authentication.k8s.io/v1
interactiveMode: IfAvailable'
	kubeconfig tty-always 'apiVersion: client.authentication.k8s.io/v1
interactiveMode: Always'
	for k in tty-ifavail tty-always; do
		script -qec "$(printf '%q ' "$RUNBOOK" run "$T/rb.yaml" -p kubeconfig="$T/kc-$k" --state-dir "$T/st")" \
			/dev/null < /dev/null > "$T/out-$k" 2>&1
		check "$k: spec.interactive true on a terminal" true "$(info "$k" .spec.interactive)"
	done
else
	skip "interactive plugins on a terminal" "no script(1)"
fi
finish
