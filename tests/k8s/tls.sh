#!/usr/bin/env bash
# tls.sh RUNBOOK SRC — issue 8, TLS: a kubeconfig whose server is http:// would send the
# bearer token in clear; it is refused with a clear error before anything is sent, as
# insecure-skip-tls-verify is. A listener on the http:// port proves nothing arrived.
# The one exception, a rehearsal's own simulated API on loopback, cannot be claimed by a
# runbook nor carried out of the rehearsal by its kubeconfig.
RUNBOOK=$1 SRC=$2
. "$(dirname "$0")/lib.sh"

# a plain TCP listener that writes whatever reaches it to a file
python3 - "$T/got" "$T/port" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[2], "w").write(str(s.getsockname()[1]))
with open(sys.argv[1], "ab") as out:
    while True:
        c, _ = s.accept()
        c.settimeout(2)
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                out.write(d)
                out.flush()
        except OSError:
            pass
        c.close()
PY
PIDS+=($!)
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
: >>"$T/got"
P=$(cat "$T/port")

# kubeconfig SERVER [EXTRA-CLUSTER-LINE]
kubeconfig() {
	cat <<YAML
apiVersion: v1
kind: Config
current-context: plain
clusters:
- name: plain
  cluster:
    server: $1
${2:+    $2}
contexts:
- name: plain
  context: {cluster: plain, user: admin, namespace: default}
users:
- name: admin
  user:
    token: tls-test-token-5f1e2d
YAML
}
cat > "$T/rb.yaml" <<'YAML'
runbook: k8s-tls
params:
  kubeconfig: {type: string, required: true}
connections:
  k8s: {kubeconfig: "${{ .params.kubeconfig }}"}
steps:
  - id: get
    action: k8s.get
    with: {kind: ConfigMap, name: app-config}
YAML
run_rb() { "$RUNBOOK" run "$1" -p kubeconfig="$2" --state-dir "$T/st" >"$T/out" 2>&1; echo $?; }
run() { run_rb "$T/rb.yaml" "$1"; }

kubeconfig "http://127.0.0.1:$P" >"$T/kc-http"
check "an http:// server is refused (exit 1)" 1 "$(run "$T/kc-http")"
contains "the error says why" "cluster 'plain' has server 'http://127.0.0.1:$P': runbook talks to a Kubernetes API only over TLS" "$(cat "$T/out")"
kubeconfig "HTTP://127.0.0.1:$P/" >"$T/kc-http2"
check "any case of http:// is refused" 1 "$(run "$T/kc-http2")"
contains "it is the same error" "only over TLS" "$(cat "$T/out")"
kubeconfig "127.0.0.1:$P" >"$T/kc-noscheme"
check "a server without a scheme is refused" 1 "$(run "$T/kc-noscheme")"
sleep 0.3
check "nothing reached the http:// port (no token in clear)" 0 "$(wc -c <"$T/got")"
kubeconfig "https://127.0.0.1:$P" "insecure-skip-tls-verify: true" >"$T/kc-skip"
check "insecure-skip-tls-verify is refused" 1 "$(run "$T/kc-skip")"
contains "it says so" "sets insecure-skip-tls-verify" "$(cat "$T/out")"

# The one API spoken to over plain HTTP is a rehearsal's own, in its process on loopback
# (as its AWS endpoint is): the rehearsal marks its connection, which no runbook can do.
sed 's/^  k8s: {kubeconfig: "${{ .params.kubeconfig }}"}$/  k8s: {kubeconfig: "${{ .params.kubeconfig }}", rehearsal: true}/' \
	"$T/rb.yaml" >"$T/rb-marked.yaml"
grep -q "rehearsal: true" "$T/rb-marked.yaml" || bail_out "rb-marked.yaml was not made"
check "a runbook cannot mark its connection as a rehearsal's (exit 2)" 2 "$(run_rb "$T/rb-marked.yaml" "$T/kc-http")"
contains "it is told the key does not exist" "connections.k8s has no setting 'rehearsal'" "$(cat "$T/out")"
rehearse() { "$RUNBOOK" rehearse "$T/rb.yaml" -p kubeconfig=/nonexistent \
	--scenario "$SRC/examples/scenarios/k8s-ecommerce.yaml" --state-dir "$T/rst" >"$T/out" 2>&1; echo $?; }
check "a rehearsal talks to its simulated API (exit 0)" 0 "$(rehearse)"
check "the step read the scenario's ConfigMap from it" info \
	"$(jq -r 'select(.event == "step_finished" and .step == "get") | .result.data.LOG_LEVEL' "$T"/rst/runs/*/journal.jsonl)"
server=$(awk '/server:/ { print $2 }' "$T/rst/rehearsal.kubeconfig")
case "$server" in http://127.0.0.1:*) ok "that API is plain HTTP on loopback ($server)" ;;
	*) not_ok "that API is plain HTTP on loopback"; diag "server: $server" ;; esac
# with an exec step, HTTPS: kubectl in the sandbox sends its token over TLS alone
{ cat "$SRC/examples/scenarios/k8s-ecommerce.yaml"; printf 'exec:\n  - {argv: [true], stub: {exit_code: 0}}\n'; } >"$T/exec-scenario.yaml"
{ cat "$T/rb.yaml"; printf '  - id: probe\n    action: exec\n    with: {argv: ["true"]}\n'; } >"$T/rb-exec.yaml"
rc=0
"$RUNBOOK" rehearse "$T/rb-exec.yaml" -p kubeconfig=/nonexistent --scenario "$T/exec-scenario.yaml" \
	--state-dir "$T/rst-exec" >"$T/out-exec" 2>&1 || rc=$?
check "a rehearsal with an exec step succeeds (exit 0)" 0 "$rc"
server=$(awk '/server:/ { print $2 }' "$T/rst-exec/rehearsal.kubeconfig")
case "$server" in https://127.0.0.1:*) ok "its API is HTTPS, for kubectl ($server)" ;;
	*) not_ok "its API is HTTPS, for kubectl"; diag "server: $server" ;; esac
check "its kubeconfig carries the simulator's CA" 1 "$(grep -c certificate-authority-data "$T/rst-exec/rehearsal.kubeconfig")"
check "the k8s step read the ConfigMap over TLS" info \
	"$(jq -r 'select(.event == "step_finished" and .step == "get") | .result.data.LOG_LEVEL' "$T"/rst-exec/runs/*/journal.jsonl)"
# the rehearsal's kubeconfig is of no use to a run: the mark is the rehearsal's alone
check "a run with the rehearsal's kubeconfig is refused (exit 1)" 1 "$(run "$T/rst/rehearsal.kubeconfig")"
contains "for the same reason" "runbook talks to a Kubernetes API only over TLS" "$(cat "$T/out")"
sleep 0.3
check "still nothing reached the http:// port" 0 "$(wc -c <"$T/got")"
finish
