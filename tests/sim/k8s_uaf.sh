#!/bin/bash
# `kubectl scale deploy web --replicas=40` against `runbook sim serve` was a heap
# use-after-free under ASan: syncing a Deployment's pods held a pointer into the object
# array while adding pods grew it. Scale 1 -> 40 -> 3 -> 80 -> 0 -> 2: after each, the
# pods are exactly the replicas (names unique, all of this Deployment's current
# template), the ones scaled away are gone, a pod that survives a scale-down keeps its
# name, and the simulator answers and exits 0 on SIGTERM (a sanitizer report aborts it).
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
"$RUNBOOK" sim serve --scenario "$SRCDIR/tests/sim/k8s_uaf.yaml" --quiet \
	--listen 127.0.0.1:0 --k8s-listen 127.0.0.1:0 --kubeconfig-out "$T/kubeconfig" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 100); do [ "$(wc -l <"$T/out")" -ge 2 ] && break; sleep 0.1; done
[ "$(wc -l <"$T/out")" -ge 2 ] || { bad "the simulator did not start" "$T/err"; bail_out "no simulator"; }
export KUBECONFIG=$T/kubeconfig
k() { kubectl --request-timeout=20s "$@"; }
names() { k get pods -n shop -l app=web -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' 2>>"$T/kerr" | sort; }
check "the scenario's one pod" 1 "$(names | wc -l)"
names >"$T/prev"
for n in 40 3 80 0 2; do
	if ! k scale deploy web -n shop --replicas=$n >>"$T/kout" 2>>"$T/kerr"; then
		not_ok "kubectl scale --replicas=$n failed"
	fi
	names >"$T/now"
	check "$n pods after scaling to $n" $n "$(wc -l <"$T/now")"
	check "their names are unique at $n" $n "$(sort -u "$T/now" | wc -l)"
	want=$(k get deploy web -n shop -o jsonpath='{.spec.replicas}' 2>>"$T/kerr")
	check "the Deployment says $n" $n "$want"
	# a scale-down keeps pods that were there and creates none; a scale-up keeps them all
	kept=$(comm -12 "$T/prev" "$T/now" | wc -l)
	prev=$(wc -l <"$T/prev")
	check "pods kept from $prev when scaling to $n" $((prev < n ? prev : n)) "$kept"
	gone=$(comm -23 "$T/prev" "$T/now" | head -1)
	if [ -n "$gone" ]; then
		out=$(k get pod "$gone" -n shop 2>&1)
		case $out in *NotFound*) ok "a pod scaled away ($gone) is gone" ;;
		*) not_ok "$gone still there"; diag "$out" ;; esac
	fi
	cp "$T/now" "$T/prev"
done
# the pods belong to the Deployment's template (same pod-template-hash, label app=web)
hashes=$(k get pods -n shop -l app=web -o jsonpath='{range .items[*]}{.metadata.labels.pod-template-hash}{"\n"}{end}' \
	2>>"$T/kerr" | sort -u | wc -l)
check "one template hash among the pods" 1 "$hashes"
k delete deploy web -n shop >>"$T/kout" 2>>"$T/kerr"
check "deleting the Deployment deletes its pods" 0 "$(names | wc -l)"
# what a deletion takes with it is its kind's: a namespace's objects, not another's
k create ns gone >>"$T/kout" 2>>"$T/kerr"
k create configmap c1 -n gone --from-literal=a=b >>"$T/kout" 2>>"$T/kerr"
k create configmap c1 -n shop --from-literal=a=b >>"$T/kout" 2>>"$T/kerr"
check "a ConfigMap in the new namespace" 1 "$(k get cm -n gone --no-headers 2>>"$T/kerr" | wc -l)"
k delete ns gone >>"$T/kout" 2>>"$T/kerr"
check "deleting the namespace deletes its ConfigMap" 0 "$(k get cm -n gone --no-headers 2>>"$T/kerr" | wc -l)"
check "and not the same-named one elsewhere" 1 "$(k get cm c1 -n shop --no-headers 2>>"$T/kerr" | wc -l)"
kill "$pid"
wait "$pid"
rc=$?
pid=
check "the simulator exits 0 on SIGTERM (no sanitizer report)" 0 $rc
[ $rc -eq 0 ] || diag_out "$T/err"
[ "$TAP_FAILED" = 0 ] || diag_out "$T/kerr"
tap_done
