#!/usr/bin/env bash
# rss.sh — peak RSS of every bundled rehearsal, as tests/runbooks/rehearse.sh runs them
# (each line of tests/runbooks/cases.txt: runbooks/NAME.yaml against its scenario).
#   tests/bench/rss.sh RUNBOOK [RUNS]
# Prints "| runbook | scenario | peak RSS MB (min / median / max) |" rows (markdown),
# RSS from /usr/bin/time -v. Environment: ONLY=NAME runs the cases of one runbook;
# RB_ARGS adds options to rehearse (e.g. "--max-parallel 1"); INSTR=1 adds a column:
# the instructions of one more run under callgrind (the simulator's threads included);
# what runbook reads (MALLOC_ARENA_MAX...) passes through.
set -uo pipefail
RUNBOOK=$(realpath "$1")
RUNS=${2:-3}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC" || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
while IFS='|' read -r name scenario params _; do
	name=$(echo "$name" | xargs)
	case "$name" in ''|'#'*) continue ;; esac
	[ -n "${ONLY:-}" ] && [ "$name" != "$ONLY" ] && continue
	scenario=$(echo "$scenario" | xargs)
	args=(rehearse "runbooks/$name.yaml" --scenario "examples/scenarios/$scenario.yaml")
	for p in $params; do
		case "$p" in *=@2h) p="${p%=@2h}=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)" ;; esac
		args+=(-p "$p")
	done
	: > "$T/kb"
	for _ in $(seq "$RUNS"); do
		rm -rf "$T/state"
		if ! /usr/bin/time -v -o "$T/time" "$RUNBOOK" "${args[@]}" --state-dir "$T/state" \
			${RB_ARGS:-} > "$T/out" 2>&1; then
			echo "rss.sh: $name on $scenario failed:" >&2
			tail -5 "$T/out" >&2
			exit 1
		fi
		awk -F': ' '/Maximum resident set size/ { print $2 }' "$T/time" >> "$T/kb"
	done
	instr=""
	if [ "${INSTR:-0}" = 1 ]; then
		rm -rf "$T/state"
		valgrind --tool=callgrind --callgrind-out-file="$T/cg" "$RUNBOOK" "${args[@]}" \
			--state-dir "$T/state" ${RB_ARGS:-} > /dev/null 2> "$T/vg" || true
		instr=" $(awk '/Collected :/ { printf "%.2f G", $4 / 1e9 }' "$T/vg") |"
	fi
	printf '| %s | %s | %s |%s\n' "$name" "$scenario" \
		"$(sort -n "$T/kb" | awk '{ v[NR] = $1 / 1024 } END { printf "%.1f / %.1f / %.1f", v[1], v[int((NR + 1) / 2)], v[NR] }')" "$instr"
done < tests/runbooks/cases.txt
