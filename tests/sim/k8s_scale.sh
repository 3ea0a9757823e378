#!/bin/bash
# The simulated Kubernetes API under scaling: a scenario's 12-replica Deployment, then
# kubectl scale to 40, 400, 1 and 40 again (each past the object array's growth), with
# the pod counts checked each time and a same-named Deployment in another namespace
# left alone; then k8s.scale to 400 in a rehearsal. Under ASan a stale pointer into the array aborts the server.
set -u
RUNBOOK=${1:?}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
SRCDIR=${2:?}
. "$(dirname "$0")/../lib/tap.sh"
command -v kubectl >/dev/null 2>&1 || skip_all "no kubectl"
tap_tmpdir rb-sim-k8s
pid=
stop_sim() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; }
tap_cleanup stop_sim
"$RUNBOOK" sim serve --scenario "$SRCDIR/tests/sim/k8s_scale.yaml" --quiet \
	--kubeconfig-out "$T/kubeconfig" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 100); do [ "$(wc -l <"$T/out")" -ge 2 ] && break; sleep 0.1; done
export KUBECONFIG=$T/kubeconfig
pods() { kubectl get pods -n "$1" -l "$2" --no-headers 2>>"$T/kerr" | wc -l; }
check "12 pods of the scenario's Deployment" 12 "$(pods shop app=web)"
check "9 pods of the scenario's StatefulSet" 9 "$(pods shop app=db)"
check "3 pods of the other namespace's Deployment" 3 "$(pods other app=web)"
for n in 40 400 1 40; do
	kubectl scale deploy web -n shop --replicas=$n >>"$T/kout" 2>>"$T/kerr"
	check "kubectl scale --replicas=$n" $n "$(pods shop app=web)"
	check "the StatefulSet after scaling web to $n" 9 "$(pods shop app=db)"
	check "the other namespace's web after scaling to $n" 3 "$(pods other app=web)"
done
kubectl scale sts db -n shop --replicas=100 >>"$T/kout" 2>>"$T/kerr"
check "StatefulSet scaled to 100" 100 "$(pods shop app=db)"
check "its last pod is db-99" db-99 "$(kubectl get pod db-99 -n shop -o name 2>>"$T/kerr" | sed 's|pod/||')"
# the simulator's cap: more than 1000 replicas is refused, not allocated
if kubectl scale deploy web -n shop --replicas=100000 >>"$T/kout" 2>"$T/cap"; then
	not_ok "100000 replicas accepted"
else
	grep -q "is invalid" "$T/cap" && ok "100000 replicas refused" || bad "refusal message" "$T/cap"
fi
kubectl delete deploy web -n shop >>"$T/kout" 2>>"$T/kerr"
check "deleting web deletes its pods" 0 "$(pods shop app=web)"
check "and not the other namespace's" 3 "$(pods other app=web)"
kill "$pid"
wait "$pid"
rc=$?
pid=
# the same in a rehearsal: k8s.scale against the in-process simulator
if "$RUNBOOK" rehearse "$SRCDIR/tests/sim/k8s_scale_rb.yaml" --scenario "$SRCDIR/tests/sim/k8s_scale.yaml" \
	--state-dir "$T/state" >"$T/rh" 2>&1; then
	ok "rehearsal: k8s.scale to 400, 1 and 40 with the pod counts asserted"
else
	bad "rehearsal of k8s.scale" "$T/rh"
fi
check "the simulator exits 0 on SIGTERM" 0 $rc
[ $rc -eq 0 ] || diag_out "$T/err"
[ "$TAP_FAILED" = 0 ] || diag_out "$T/kerr"
tap_done
