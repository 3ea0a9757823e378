#!/usr/bin/env bash
# tls.sh RUNBOOK SRC — issue 8, TLS: a kubeconfig whose server is http:// would send the
# bearer token in clear; it is refused with a clear error before anything is sent, as
# insecure-skip-tls-verify is. A listener on the http:// port proves nothing arrived.
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
run() { "$RUNBOOK" run "$T/rb.yaml" -p kubeconfig="$1" --state-dir "$T/st" >"$T/out" 2>&1; echo $?; }

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
finish
