#!/bin/bash
# `runbook sim check` accepts every bundled scenario and reports every error of a broken
# one at once, with locations; `sim serve` usage errors exit 2; --state-out.
RUNBOOK=${1:?}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
SRCDIR=${2:?}
fails=0
for f in "$SRCDIR"/examples/scenarios/*.yaml "$SRCDIR"/tests/aws/sim_world.yaml "$SRCDIR"/tests/aws/sim_faults.yaml; do
	[ -e "$f" ] || continue
	if "$RUNBOOK" sim check --scenario "$f" >/dev/null; then
		echo "ok - $f"
	else
		echo "not ok - $f"
		fails=$((fails + 1))
	fi
done
cd "$SRCDIR/tests/sim" || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
NO_COLOR=1 "$RUNBOOK" sim check --scenario bad-scenario.yaml >/dev/null 2>"$T/actual"
rc=$?
grep ': error: ' "$T/actual" > "$T/errors"
if [ $rc -eq 2 ] && diff -u bad-scenario.expected "$T/errors"; then
	echo "ok - broken scenario: all errors, located"
else
	echo "not ok - broken scenario (exit $rc)"
	cat "$T/actual"
	fails=$((fails + 1))
fi
"$RUNBOOK" sim serve >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && echo "ok - serve without --scenario exits 2" || { echo "not ok - serve without --scenario: $rc"; fails=$((fails + 1)); }
out=$("$RUNBOOK" sim serve --scenario "$SRCDIR/examples/scenarios/rds-snapshot-restore.yaml" --listen 0.0.0.0:0 2>&1)
rc=$?
if [ $rc -eq 2 ] && printf '%s' "$out" | grep -q 'loopback only'; then
	echo "ok - refuses non-loopback addresses"
else
	echo "not ok - non-loopback: exit $rc: $out"
	fails=$((fails + 1))
fi
# --state-out: the world as JSON when the server stops, secret values left out
"$RUNBOOK" sim serve --scenario "$SRCDIR/examples/scenarios/secrets-rotation-rollback.yaml" --quiet \
	--state-out "$T/state.json" >"$T/ep" 2>"$T/err" &
pid=$!
for i in $(seq 1 100); do [ -s "$T/ep" ] && break; sleep 0.05; done
ep=$(head -n 1 "$T/ep")
code=$(curl -s -o "$T/counters" -w '%{http_code}' "$ep/_sim/counters")
kill "$pid"
wait "$pid"
rc=$?
if [ "$code" = 200 ] && [ $rc -eq 0 ] && grep -q '"lomash-wood/production/jwt-secret"' "$T/state.json" &&
   grep -q AWSPREVIOUS "$T/state.json" && ! grep -q jwt-good "$T/state.json"; then
	echo "ok - --state-out written on SIGTERM, without secret values"
else
	echo "not ok - --state-out (http $code, exit $rc)"
	cat "$T/err"
	fails=$((fails + 1))
fi
# --state-out and --kubeconfig-out hold Secret data and tokens: created 0600 whatever the
# umask, and a symlink planted at the path is replaced, not written through
echo "do not touch" >"$T/victim"
ln -s "$T/victim" "$T/state-k8s.json"
ln -s "$T/victim" "$T/kubeconfig"
(umask 000; exec "$RUNBOOK" sim serve --scenario "$SRCDIR/examples/scenarios/k8s-ecommerce.yaml" --quiet \
	--kubeconfig-out "$T/kubeconfig" --state-out "$T/state-k8s.json" >"$T/ep2" 2>"$T/err2") &
pid=$!
for i in $(seq 1 100); do [ "$(wc -l <"$T/ep2")" -ge 2 ] && break; sleep 0.05; done
kill "$pid"
wait "$pid"
rc=$?
smode=$(stat -c '%a %F' "$T/state-k8s.json")
kmode=$(stat -c '%a %F' "$T/kubeconfig")
if [ $rc -eq 0 ] && [ "$smode" = "600 regular file" ] && [ "$kmode" = "600 regular file" ] &&
   [ "$(cat "$T/victim")" = "do not touch" ] && grep -q db-credentials "$T/state-k8s.json" &&
   [ -z "$(find "$T" -name 'state-k8s.json.*' -o -name 'kubeconfig.*')" ]; then
	echo "ok - --state-out and --kubeconfig-out are 0600 under umask 000, symlinks not followed"
else
	echo "not ok - private files: exit $rc, state '$smode', kubeconfig '$kmode', victim '$(cat "$T/victim")'"
	cat "$T/err2"
	fails=$((fails + 1))
fi
# a declared body over the cap is refused before it is read, by both servers
"$RUNBOOK" sim serve --scenario "$SRCDIR/examples/scenarios/k8s-ecommerce.yaml" --quiet \
	--k8s-listen 127.0.0.1:0 >"$T/ep3" 2>"$T/err3" &
pid=$!
for i in $(seq 1 100); do [ "$(wc -l <"$T/ep3")" -ge 2 ] && break; sleep 0.05; done
aws_ep=$(sed -n 1p "$T/ep3")
k8s_ep=$(sed -n 2p "$T/ep3")
a=$(curl -s --max-time 20 -o "$T/big" -w '%{http_code}' -X PUT -H 'Content-Length: 100000000000' \
	-H 'Authorization: AWS4-HMAC-SHA256 Credential=A/20261122/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=1' \
	--data-binary abc "$aws_ep/media/x")
k=$(curl -sk --max-time 20 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Length: 100000000000' \
	-H 'Authorization: Bearer ops-token' -H 'Content-Type: application/json' --data-binary '{}' \
	"$k8s_ep/api/v1/namespaces/shop/configmaps")
kill "$pid"
wait "$pid"
rc=$?
if [ "$a" = 400 ] && grep -q EntityTooLarge "$T/big" && [ "$k" = 413 ] && [ $rc -eq 0 ]; then
	echo "ok - a 100 GB Content-Length is refused at once (AWS 400 EntityTooLarge, Kubernetes 413)"
else
	echo "not ok - huge Content-Length: AWS $a, Kubernetes $k, exit $rc"
	cat "$T/err3"
	fails=$((fails + 1))
fi
exit $((fails > 0))
