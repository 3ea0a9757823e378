#!/usr/bin/env bash
# bench.sh — benchmarks (not timed tests; see README.md here).
#   (a) validate and plan of generated 1,000 / 10,000 / 100,000-step runbooks:
#       median wall time and ms per step (linear growth shows as a flat ms/step)
#   (b) engine overhead per step: `runbook run` of 1,000 exec `true` steps against a
#       bash loop of 1,000 /bin/true invocations (fork + exec each, like the engine)
# Usage: bench.sh [RUNBOOK_EXE]     default: builds build-bench (release) and uses it
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

now_ns() { date +%s%N; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.4f}" 'BEGIN { printf f, a / b }'; }

# median of the wall times (ms) of running "$@" RUNS times; fails if a run fails
median_ms() {
	local runs=$1 i t0 t1
	shift
	local times=()
	for ((i = 0; i < runs; i++)); do
		t0=$(now_ns)
		"$@" >/dev/null 2>"$work/err" </dev/null || {
			echo "bench: '$*' failed:" >&2
			head -20 "$work/err" >&2
			return 1
		}
		t1=$(now_ns)
		times+=($(((t1 - t0) / 1000)))   # microseconds
	done
	printf '%s\n' "${times[@]}" | sort -n |
		awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000 }'
}

echo "runbook benchmarks: $("$rb" --version), $(nproc) CPUs, $(uname -sr)"
echo "binary: $rb"
if command -v hyperfine >/dev/null; then
	echo "(hyperfine is installed: run 'hyperfine \"$rb validate FILE\"' for its statistics)"
fi
echo

echo "(a) validate and plan, median of RUNS runs"
printf '%-8s %-6s %12s %10s %12s %10s\n' steps runs "validate ms" "ms/step" "plan ms" "ms/step"
for n in $sizes; do
	f=$work/mix-$n.yaml
	python3 "$here/gen.py" mix "$n" > "$f"
	runs=${RUNS:-5}
	[ "$n" -ge 100000 ] && runs=${RUNS:-3}
	v=$(median_ms "$runs" "$rb" validate "$f")
	p=$(median_ms "$runs" "$rb" plan "$f")
	printf '%-8s %-6s %12s %10s %12s %10s\n' "$n" "$runs" "$v" "$(div "$v" "$n")" \
		"$p" "$(div "$p" "$n")"
done
echo

echo "(b) engine overhead: $steps_true exec 'true' steps, median of ${RUNS:-5} runs"
python3 "$here/gen.py" true "$steps_true" > "$work/true.yaml"
python3 "$here/gen.py" true-par "$steps_true" > "$work/true-par.yaml"
run_seq() { "$rb" run "$work/true.yaml" --yes --state-dir "$work/state" --output json; }
run_par() { "$rb" run "$work/true-par.yaml" --yes --state-dir "$work/state" --output json --max-parallel 4; }
bash_loop() { local i; for ((i = 0; i < steps_true; i++)); do /bin/true; done; }
s=$(median_ms "${RUNS:-5}" run_seq)
pa=$(median_ms "${RUNS:-5}" run_par)
b=$(median_ms "${RUNS:-5}" bash_loop)
printf '%-50s %10s %12s\n' "" "total ms" "ms per step"
printf '%-50s %10s %12s\n' "runbook run, $steps_true steps in order" "$s" "$(div "$s" "$steps_true" %.3f)"
printf '%-50s %10s %12s\n' "runbook run, $steps_true independent, --max-parallel 4" "$pa" "$(div "$pa" "$steps_true" %.3f)"
printf '%-50s %10s %12s\n' "bash loop, $steps_true x /bin/true" "$b" "$(div "$b" "$steps_true" %.3f)"
echo "ratio runbook (in order) / bash: $(div "$s" "$b" %.2f)x;" \
	"engine overhead per step: $(awk -v s="$s" -v b="$b" -v n="$steps_true" 'BEGIN { printf "%.3f", (s - b) / n }') ms"
