# lib.sh — shared by the k8s tests: a simulator with its Kubernetes API, and checks.
# Each test sources this with RUNBOOK (the binary) and SRC (the source tree) set.
set -euo pipefail
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
fails=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
contains() { # contains NAME NEEDLE HAYSTACK
	case "$3" in *"$2"*) pass "$1" ;; *) fail "$1: '$2' not in: $3" ;; esac
}
# start_sim NAME [sim serve options...]: the AWS endpoint in $T/NAME.out line 1, k8s line 2
start_sim() {
	local name=$1; shift
	"$RUNBOOK" sim serve --scenario "$SRC/examples/scenarios/k8s-ecommerce.yaml" --quiet "$@" \
		> "$T/$name.out" 2> "$T/$name.err" &
	PIDS+=($!)
	for _ in $(seq 50); do [ "$(wc -l < "$T/$name.out")" -ge 2 ] && return 0; sleep 0.1; done
	echo "simulator did not start:"; cat "$T/$name.err"; exit 1
}
finish() { echo "$fails failed"; [ "$fails" -eq 0 ]; }
