#!/bin/bash
# What a rehearsal sets up only when the runbook needs it (each costs peak RSS):
# - the simulated Kubernetes API (a CA, certificates, a TLS server and the kubeconfig
#   beside the runs) only when the runbook can talk to it: a k8s action in a step, a
#   rollback, a finally step or a `uses:` runbook, or an exec (kubectl in the sandbox
#   reads KUBECONFIG). Any other runbook gets no TLS set-up at all, and its --world-out
#   still holds the Kubernetes world, as before.
# - libxml2 (with libicu and libstdc++) only at the first XML parsed that core/xmlread.c
#   gives up on (core/xmllazy.c): runbook is not linked with it, and the simulator's AWS
#   Query replies are plain XML the reader takes (tests/core/xmlread_test.c: the same tree).
set -u
RUNBOOK=${1:?}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-sim-lazy
export NO_COLOR=1

cat >"$T/world.yaml" <<'YAML'
scenario: k8s-serve
k8s:
  namespace: default
  objects:
    - {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {MODE: normal}}
YAML

# rehearse NAME: runbook $T/NAME.yaml in its own state dir; $T/NAME.rc, .out, .world
rehearse() {
	"$RUNBOOK" rehearse "$T/$1.yaml" --scenario "$T/world.yaml" --state-dir "$T/$1.state" \
		--world-out "$T/$1.world" >"$T/$1.out" 2>&1
	echo $? >"$T/$1.rc"
}
served() { [ -s "$T/$1.state/rehearsal.kubeconfig" ]; }

# no k8s action, no exec: no API served, the world still has its Kubernetes part
cat >"$T/plain.yaml" <<'YAML'
runbook: plain
steps:
  - id: say
    action: log
    with: {message: hello}
YAML
rehearse plain
check "a runbook without k8s or exec rehearses" 0 "$(cat "$T/plain.rc")"
check_sh "no Kubernetes API served for it (no kubeconfig)" "! served plain"
check_sh "its --world-out holds the Kubernetes world" \
	"jq -e '.k8s[] | select(.kind == \"ConfigMap\" and .metadata.name == \"cfg\") | .data.MODE == \"normal\"' '$T/plain.world' >/dev/null"

# each way of reaching the API: served, and the call works
cat >"$T/action.yaml" <<'YAML'
runbook: action
steps:
  - id: cfg
    action: k8s.get
    with: {kind: ConfigMap, name: cfg}
  - id: check
    assert:
      - that: .steps.cfg.result.data.MODE == "normal"
YAML
cat >"$T/finally.yaml" <<'YAML'
runbook: finally
steps:
  - id: say
    action: log
    with: {message: hello}
finally:
  - id: cfg
    action: k8s.get
    with: {kind: ConfigMap, name: cfg}
YAML
cat >"$T/parent.yaml" <<'YAML'
runbook: parent
steps:
  - id: child
    uses: action.yaml
YAML
cat >"$T/exec.yaml" <<'YAML'
runbook: exec
steps:
  - id: kubeconfig
    action: exec
    with: {argv: [sh, -c, 'grep -q "server: https://127.0.0.1:" "$KUBECONFIG"'], read_only: true}
YAML
for n in action finally parent exec; do
	rehearse $n
	check "$n: the rehearsal succeeds" 0 "$(cat "$T/$n.rc")"
	check_sh "$n: the Kubernetes API is served" "served $n"
done

# libxml2: not linked, not loaded by a rehearsal without XML, nor by one reading RDS replies
check_sh "runbook is not linked with libxml2" "! ldd '$RUNBOOK' | grep -q libxml2"
LD_DEBUG=files "$RUNBOOK" rehearse "$T/plain.yaml" --scenario "$T/world.yaml" --state-dir "$T/plain2.state" \
	>"$T/plain2.out" 2>"$T/plain2.ld"
check_sh "a rehearsal that parses no XML does not load libxml2" "! grep -q 'file=libxml2' '$T/plain2.ld'"
cat >"$T/rds.yaml" <<'YAML'
runbook: rds
steps:
  - id: db
    action: rds.describe_instance
    with: {instance: shop, restore_window: false}
  - id: check
    assert:
      - that: .steps.db.result.DBInstanceStatus == "available"
YAML
cat >"$T/rds-world.yaml" <<'YAML'
scenario: lazy-xml
rds:
  instances:
    - {id: shop}
YAML
LD_DEBUG=files "$RUNBOOK" rehearse "$T/rds.yaml" --scenario "$T/rds-world.yaml" --state-dir "$T/rds.state" \
	>"$T/rds.out" 2>"$T/rds.ld"
check "an RDS call's XML reply is read" 0 "$?"
check_sh "it did not load libxml2 (core/xmlread.c read it)" "! grep -q 'file=libxml2' '$T/rds.ld'"
tap_done
