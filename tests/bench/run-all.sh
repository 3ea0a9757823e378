#!/usr/bin/env bash
# run-all.sh — every benchmark in one command; writes BENCHMARKS.md (issue 14).
#   tests/bench/run-all.sh [RUNBOOK_EXE] [OUT.md]
# Default binary: builds build-bench (release) and uses it; default output: BENCHMARKS.md
# at the top of the source tree. Runs are interleaved (A, B, A, B, ...) so a busy
# machine slows both sides alike; each row gives min / median / max and the ratio of
# the medians. Instructions come from `valgrind --tool=callgrind` (steady on a loaded
# machine), peak RSS from /usr/bin/time -v.
# Environment: SIZES (default "1000 10000 100000"), RUNS (default 5), STEPS (engine
# steps, default 1000), SMOKE=1 (smallest sizes, one run, no callgrind: the meson smoke
# test), INSTR=0 (skip callgrind).
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
out=${2:-$root/BENCHMARKS.md}
if [ "${SMOKE:-0}" = 1 ]; then
	sizes=${SIZES:-100}; runs=1; steps=${STEPS:-20}; instr=0
else
	sizes=${SIZES:-1000 10000 100000}; runs=${RUNS:-5}; steps=${STEPS:-1000}; instr=${INSTR:-1}
fi
command -v valgrind >/dev/null || instr=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NO_COLOR=1

# ms of one run of "$@" (stdout, stderr discarded; a failure stops the benchmark)
ms() {
	local t0 t1
	t0=$(date +%s%N)
	if ! "$@" >/dev/null 2>"$work/err"; then
		echo "run-all.sh: failed: $*" >&2
		cat "$work/err" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# "min / median / max" of numbers on stdin
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%d / %d / %d", v[1], v[int((NR + 1) / 2)], v[NR] }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

instructions() {
	[ "$instr" = 1 ] || { echo "-"; return; }
	valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$@" >/dev/null 2>"$work/vg" || true
	awk '/Collected :/ { printf "%.2f G", $4 / 1e9 }' "$work/vg"
}

peak_rss() {
	/usr/bin/time -v "$@" >/dev/null 2>"$work/time" || true
	awk -F': ' '/Maximum resident set size/ { printf "%.1f MB", $2 / 1024 }' "$work/time"
}

{
echo "# Benchmarks"
echo
echo "Written by \`tests/bench/run-all.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs,"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; binary \`$rb\`."
echo "Wall times in ms as min / median / max of $runs interleaved runs; instructions from"
echo "callgrind (one run). Figures from a loaded machine vary: compare ratios and instructions."
echo
echo "## validate and plan (tests/bench/gen.py mix N)"
echo
echo "| steps | validate ms | validate instructions | plan ms | plan instructions | peak RSS (validate) |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in $sizes; do
	python3 "$here/gen.py" mix "$n" > "$work/mix.yaml"
	: > "$work/v"; : > "$work/p"
	for _ in $(seq "$runs"); do
		ms "$rb" validate "$work/mix.yaml" >> "$work/v"
		ms "$rb" plan "$work/mix.yaml" >> "$work/p"
	done
	echo "| $n | $(stats < "$work/v") | $(instructions "$rb" validate "$work/mix.yaml") |" \
	     "$(stats < "$work/p") | $(instructions "$rb" plan "$work/mix.yaml") |" \
	     "$(peak_rss "$rb" validate "$work/mix.yaml") |"
done
echo
echo "## bundled runbooks: validate"
echo
echo "| runbook | validate ms | instructions |"
echo "|---|---:|---:|"
for f in "$root"/runbooks/*.yaml; do
	[ -f "$f" ] || continue
	: > "$work/b"
	for _ in $(seq "$runs"); do ms "$rb" validate "$f" >> "$work/b"; done
	echo "| $(basename "$f") | $(stats < "$work/b") | $(instructions "$rb" validate "$f") |"
	[ "${SMOKE:-0}" = 1 ] && break
done
echo
echo "## engine overhead ($steps steps, run one after another)"
echo
python3 "$here/gen.py" true "$steps" > "$work/true.yaml"
python3 "$here/gen.py" log "$steps" > "$work/log.yaml"
: > "$work/rt"; : > "$work/bt"; : > "$work/rl"; : > "$work/bl"
for _ in $(seq "$runs"); do
	rm -rf "$work/state"
	ms "$rb" run "$work/true.yaml" --yes --state-dir "$work/state" >> "$work/rt"
	ms bash -c 'for ((i = 0; i < $1; i++)); do /bin/true; done' bash "$steps" >> "$work/bt"
	rm -rf "$work/state"
	ms "$rb" run "$work/log.yaml" --yes --state-dir "$work/state" >> "$work/rl"
	ms bash -c 'for ((i = 0; i < $1; i++)); do echo "step $i" >> "$2"; done' bash "$steps" "$work/echo.log" >> "$work/bl"
done
rm -rf "$work/state"
fsyncs="-"
if command -v strace >/dev/null; then
	strace -f -c -e trace=fsync -o "$work/st" "$rb" run "$work/true.yaml" --yes --state-dir "$work/state" >/dev/null 2>&1 || true
	fsyncs=$(awk '$NF == "fsync" { print $4 }' "$work/st")
	rm -rf "$work/state"
fi
echo "| what | ms | ratio (medians) |"
echo "|---|---:|---:|"
echo "| runbook: exec true | $(stats < "$work/rt") | $(ratio "$(median < "$work/rt")" "$(median < "$work/bt")") of bash |"
echo "| bash loop: /bin/true | $(stats < "$work/bt") | 1 |"
echo "| runbook: log | $(stats < "$work/rl") | $(ratio "$(median < "$work/rl")" "$(median < "$work/bl")") of bash |"
echo "| bash loop: echo >> file | $(stats < "$work/bl") | 1 |"
echo
echo "fsync calls for the $steps exec steps: $fsyncs (strace -f -c)."
echo
echo "## orchestration: the same snapshot restore"
echo
echo "| tool | status |"
echo "|---|---|"
echo "| runbook | see tests/bench/wait_lag.sh (real-time waits, ~9 minutes): not run here yet |"
echo "| bash + AWS CLI | $(command -v aws >/dev/null && echo "installed; see tests/bench/wait_lag.sh" || echo "not installed") |"
if command -v ansible-playbook >/dev/null && ansible-galaxy collection list amazon.aws >/dev/null 2>&1; then
	echo "| Ansible (amazon.aws) | installed; not run by this script yet |"
else
	echo "| Ansible (amazon.aws) | not installed |"
fi
} > "$work/out.md"
mv "$work/out.md" "$out"
echo "run-all.sh: wrote $out"
