#!/usr/bin/env bash
# bench.sh — benchmarks (not timed tests; see README.md here).
#   (a) validate and plan of generated 1,000 / 10,000 / 100,000-step runbooks:
#       median wall time and ms per step (linear growth shows as a flat ms/step)
#   (b) engine overhead per step: `runbook run` of 1,000 exec `true` steps against a
#       bash loop of 1,000 /bin/true invocations (fork + exec each, like the engine)
# Usage: bench.sh [RUNBOOK_EXE]     default: builds build-bench (release) and uses it
# Needs bash, awk and python3 (gen.py generates the runbooks, timeit.py times the runs).
# Environment: SIZES (default "1000 10000 100000"), RUNS (default 5; 3 for >= 100000),
#              STEPS_TRUE (default 1000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ $# -ge 1 ]; then
	rb=$(realpath "$1")
else
	build=$root/build-bench
	[ -f "$build/build.ninja" ] || meson setup "$build" "$root" -Dbuildtype=release >/dev/null
	ninja -C "$build" -j "${JOBS:-2}" runbook >/dev/null
	rb=$build/runbook
fi
sizes=${SIZES:-1000 10000 100000}
steps_true=${STEPS_TRUE:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NO_COLOR=1

div() { awk -v a="$1" -v b="$2" -v f="${3:-%.4f}" 'BEGIN { printf f, a / b }'; }

# "WALL_MS CPU_MS": medians over RUNS runs (timeit.py; CPU = user + system)
measure() {
	local runs=$1
	shift
	python3 "$here/timeit.py" "$runs" "$@"
}

echo "runbook benchmarks: $("$rb" --version), $(nproc) CPUs, $(uname -sr)"
echo "binary: $rb"
if command -v hyperfine >/dev/null; then
	echo "(hyperfine is installed: run 'hyperfine \"$rb validate FILE\"' for its statistics)"
fi
echo

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (wall times suffer on a busy machine; CPU times less)"
echo

echo "(a) validate and plan: medians of RUNS runs; ms/step from CPU time"
printf '%-8s %-5s %10s %9s %10s | %10s %9s %10s\n' steps runs "validate" "cpu ms" "cpu ms/st" \
	"plan" "cpu ms" "cpu ms/st"
for n in $sizes; do
	f=$work/mix-$n.yaml
	python3 "$here/gen.py" mix "$n" > "$f"
	runs=${RUNS:-5}
	[ "$n" -ge 100000 ] && runs=${RUNS:-3}
	read -r vw vc < <(measure "$runs" "$rb" validate "$f")
	read -r pw pc < <(measure "$runs" "$rb" plan "$f")
	printf '%-8s %-5s %8sms %9s %10s | %8sms %9s %10s\n' "$n" "$runs" "$vw" "$vc" "$(div "$vc" "$n")" \
		"$pw" "$pc" "$(div "$pc" "$n")"
done
echo

runs=${RUNS:-5}
echo "(b) engine overhead: $steps_true exec 'true' steps, medians of $runs runs"
python3 "$here/gen.py" true "$steps_true" > "$work/true.yaml"
python3 "$here/gen.py" true-par "$steps_true" > "$work/true-par.yaml"
read -r sw sc < <(measure "$runs" "$rb" run "$work/true.yaml" --yes --state-dir "$work/state" --output json)
read -r pw pc < <(measure "$runs" "$rb" run "$work/true-par.yaml" --yes --state-dir "$work/state" \
	--output json --max-parallel 4)
read -r bw bc < <(measure "$runs" bash -c 'for ((i = 0; i < $1; i++)); do /bin/true; done' bash "$steps_true")
printf '%-52s %9s %9s %12s\n' "" "wall ms" "cpu ms" "wall ms/step"
printf '%-52s %9s %9s %12s\n' "runbook run, $steps_true steps in order" "$sw" "$sc" "$(div "$sw" "$steps_true" %.3f)"
printf '%-52s %9s %9s %12s\n' "runbook run, $steps_true independent, --max-parallel 4" "$pw" "$pc" "$(div "$pw" "$steps_true" %.3f)"
printf '%-52s %9s %9s %12s\n' "bash loop, $steps_true x /bin/true" "$bw" "$bc" "$(div "$bw" "$steps_true" %.3f)"
echo "ratio runbook (in order) / bash loop: wall $(div "$sw" "$bw" %.2f)x, cpu $(div "$sc" "$bc" %.2f)x;" \
	"engine overhead per step: $(awk -v s="$sw" -v b="$bw" -v n="$steps_true" 'BEGIN { printf "%.3f", (s - b) / n }') ms wall"
