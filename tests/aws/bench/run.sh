#!/bin/bash
# run.sh RUNBOOK [ROUNDS] — benchmark (not a test): the snapshot restore as a runbook vs
# bash + the AWS CLI on PATH, against the same `runbook sim serve` (zero durations).
# Prints wall time and CPU (user+sys, children included) per restore for each.
set -u
rb=$1 rounds=${2:-5}
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret AWS_EC2_METADATA_DISABLED=true
"$rb" sim serve --scenario "$dir/zero.yaml" --quiet >"$tmp/sim.out" 2>"$tmp/sim.err" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/sim.out" ] && break; sleep 0.05; done
ep=$(head -n1 "$tmp/sim.out" | grep -o 'http://127\.0\.0\.1:[0-9]*')
TIMEFORMAT='%U %S'
rbrun() { "$rb" run "$dir/restore.yaml" --yes --state-dir "$tmp/state" -p "endpoint=$ep" -p "n=$1"; }
clirun() { bash "$dir/restore.sh" "$ep" "$1"; }
report() {
	local name=$1 fn=$2 t0 t1
	t0=$(date +%s.%N)
	{ time for i in $(seq "$rounds"); do
		$fn "$name$i" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; echo "$name failed" >&2; exit 1; }
	done; } 2>"$tmp/cpu"
	t1=$(date +%s.%N)
	awk -v n="$name" -v r="$rounds" -v t0="$t0" -v t1="$t1" '{
		printf "%-8s wall %.3f s/restore  cpu %.3f s/restore (user+sys incl. children, %d rounds)\n", n, (t1-t0)/r, ($1+$2)/r, r }' "$tmp/cpu"
}
report runbook rbrun
report awscli clirun
