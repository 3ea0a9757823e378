# lib.sh — shared by the k8s tests: a simulator with its Kubernetes API, and checks.
# Each test sources this with RUNBOOK (the binary) and SRC (the source tree) set.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
tap_tmpdir rb-k8s
PIDS=()
stop_sims() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
tap_cleanup stop_sims
contains() { # contains NAME NEEDLE HAYSTACK
	case "$3" in *"$2"*) ok "$1" ;; *) not_ok "$1"; diag "'$2' not in: $3" ;; esac
}
# start_sim NAME [sim serve options...]: the AWS endpoint in $T/NAME.out line 1, k8s line 2
start_sim() {
	local name=$1; shift
	"$RUNBOOK" sim serve --scenario "$SRC/examples/scenarios/k8s-ecommerce.yaml" --quiet "$@" \
		> "$T/$name.out" 2> "$T/$name.err" &
	PIDS+=($!)
	for _ in $(seq 50); do [ "$(wc -l < "$T/$name.out")" -ge 2 ] && return 0; sleep 0.1; done
	bad "simulator $name did not start" "$T/$name.err"; bail_out "no simulator"
}
finish() { tap_done; }
