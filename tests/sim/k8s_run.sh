#!/bin/bash
# kubectl run --rm -i against `runbook sim serve`: a k8s.run rule runs the container's
# command here with the pod's env (run: true) or answers a stub; kubectl prints the
# finished pod's log, exits with the container's code and deletes the pod. With no rule,
# attach (and exec) answer a Status that says the simulator runs no containers, and the
# attached pod ends Failed (ContainerCannotRun), so kubectl run does not wait for it.
set -u
RUNBOOK=${1:?}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
SRCDIR=${2:?}
. "$(dirname "$0")/../lib/tap.sh"
command -v kubectl >/dev/null 2>&1 || skip_all "no kubectl"
tap_tmpdir rb-sim-k8s-run
pid=
stop_sim() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; }
tap_cleanup stop_sim
SIM_ONLY_SECRET=host-value "$RUNBOOK" sim serve --scenario "$SRCDIR/tests/sim/k8s_run.yaml" --quiet \
	--kubeconfig-out "$T/kubeconfig" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 100); do [ "$(wc -l <"$T/out")" -ge 2 ] && break; sleep 0.1; done
export KUBECONFIG=$T/kubeconfig
krun() { timeout 60 kubectl run "$@" </dev/null >"$T/kout" 2>"$T/kerr"; }

krun greet --rm -i --restart=Never --image=alpine:3.19 --env=GREETING=hello-from-env \
	--command -- sh -c 'echo "$GREETING"; echo "host:${SIM_ONLY_SECRET:-none}"; echo "name:$HOSTNAME"; echo to-stderr >&2'
check "run: exit 0" 0 "$?"
check_sh "run: none of the simulator's environment" "grep -qx host:none '$T/kout'"
check_sh "run: HOSTNAME is the pod's name" "grep -qx name:greet '$T/kout'"
check_sh "run: the command's output, with the pod's env" "grep -qx hello-from-env '$T/kout'"
check_sh "run: stderr is in the log too" "grep -qx to-stderr '$T/kout'"
check_sh "--rm deleted the pod" "! kubectl get pod greet -n shop >/dev/null 2>&1"

krun failing --rm -i --restart=Never --image=alpine:3.19 --command -- sh -c 'echo failing; exit 7'
check "run: kubectl exits with the container's code" 7 "$?"
check_sh "run: a failing command's output" "grep -qx failing '$T/kout'"

krun stubbed --rm -i --restart=Never --image=busybox:1.36 -- anything
check "stub: exit code" 3 "$?"
check_sh "stub: stdout" "grep -qx 'stubbed output' '$T/kout'"

krun kept --restart=Never --image=alpine:3.19 --command -- echo kept-output
check "without --rm: created" 0 "$?"
check "the finished pod's phase" Succeeded "$(kubectl get pod kept -o jsonpath='{.status.phase}')"
check "its container's exit code" 0 "$(kubectl get pod kept -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')"
check "kubectl logs" kept-output "$(kubectl logs kept)"

krun nothing --rm -i --restart=Never --image=nginx:1.27 -- true
rc=$?
check "no rule: the container could not run (exit 128)" 128 "$rc"
check_sh "no rule: the Status says why" "grep -q 'the simulator runs no containers: add a k8s run rule to the scenario' '$T/kerr'"
check_sh "no rule: --rm deleted the pod" "! kubectl get pod nothing -n shop >/dev/null 2>&1"
kubectl run idle --restart=Never --image=nginx:1.27 >/dev/null 2>&1
check "no rule: the pod is Running" Running "$(kubectl get pod idle -o jsonpath='{.status.phase}')"
timeout 60 kubectl exec idle -- true </dev/null >"$T/kout" 2>"$T/kerr"
rc=$?
check_sh "exec: fails" "[ $rc -ne 0 ]"
check_sh "exec: the Status says why" "grep -q 'the simulator runs no containers' '$T/kerr'"
tap_done
