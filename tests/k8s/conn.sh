#!/usr/bin/env bash
# The k8s module keeps its TLS connection for the requests of one call (a rollout's
# polls) and sends every write on a connection of its own, never on a kept one (curl
# would re-send it silently if the server had closed that connection). Counted by the
# simulator: /_sim/counters .k8s.connections (TLS connections accepted) and .requests.
RUNBOOK=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
start_sim s --speed 30 --kubeconfig-out "$T/kc"
ep=$(sed -n 1p "$T/s.out")
counters() { curl -sf "$ep/_sim/counters" | jq -c '.k8s | {c: .connections, get: (.requests.GET // 0), patch: (.requests.PATCH // 0)}'; }
delta() { # delta BEFORE AFTER FIELD
	jq -n --argjson a "$1" --argjson b "$2" --arg f "$3" '$b[$f] - $a[$f]'
}
mk() { # mk NAME ACTION WITH
	cat > "$T/$1.yaml" <<YAML
runbook: k8s-$1
params:
  kubeconfig: {type: string, required: true}
connections:
  k8s: {kubeconfig: "\${{ .params.kubeconfig }}"}
steps:
  - id: $1
    action: $2
    with: $3
YAML
}
run() { # run NAME: one run of $T/NAME.yaml
	rm -rf "$T/st"
	"$RUNBOOK" run "$T/$1.yaml" -p kubeconfig="$T/kc" --state-dir "$T/st" --yes > "$T/$1.out" 2>&1
}

mk restart k8s.rollout_restart '{name: payment-service}'
mk rolled k8s.rollout_status '{name: payment-service, timeout: 5m}'
mk scale k8s.scale '{name: order-service, replicas: 2}'

run restart || bad "rollout_restart" "$T/restart.out"

# a rollout in progress: rollout_status polls until it is done, on one connection
a=$(counters)
run rolled && ok "rollout_status" || bad "rollout_status" "$T/rolled.out"
b=$(counters)
gets=$(delta "$a" "$b" get) conns=$(delta "$a" "$b" c)
check_sh "rollout_status polled more than once ($gets GETs)" '[ "$gets" -ge 2 ]'
check "the polls shared one TLS connection ($gets GETs)" 1 "$conns"

# a write after a read in one call: the PATCH does not ride the kept connection
a=$(counters)
run scale && ok "scale" || bad "scale" "$T/scale.out"
b=$(counters)
patches=$(delta "$a" "$b" patch) gets=$(delta "$a" "$b" get) conns=$(delta "$a" "$b" c)
check "scale patched once" 1 "$patches"
check "each write on a connection of its own ($gets GET, $patches PATCH)" \
	$(( (gets > 0 ? 1 : 0) + patches )) "$conns"
finish
