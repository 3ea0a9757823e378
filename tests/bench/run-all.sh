#!/usr/bin/env bash
# run-all.sh — every benchmark in one command; writes BENCHMARKS.md (issue 14).
#   tests/bench/run-all.sh [RUNBOOK_EXE] [OUT.md]
# Default binary: builds build-bench (release) and uses it; default output: BENCHMARKS.md
# at the top of the source tree. Runs are interleaved (A, B, A, B, ...) so a busy
# machine slows both sides alike; each row gives min / median / max and the ratio of
# the medians. Instructions come from `valgrind --tool=callgrind` (steady on a loaded
# machine), peak RSS from /usr/bin/time -v. Sections: validate/plan scale, bundled
# runbooks, engine overhead (and where the instructions of 1,000 log steps go), peak RSS
# of every bundled rehearsal (rss.sh), the same restore by runbook / bash + AWS CLI /
# Ansible (orchestration.sh), pg/redis/s3 against their tools (data.sh, under
# tests/integration/servers.sh), and the waits table (a kept block: see below).
# Environment: SIZES (default "1000 10000 100000"), RUNS (default 5), STEPS (engine
# steps, default 1000), ROWS (pg/redis rows, default 100000), OBJECTS (s3, default 200),
# SMOKE=1 (smallest sizes, one run, no callgrind, no Ansible: the meson smoke test),
# INSTR=0 (skip callgrind), ANSIBLE=0 (leave Ansible out), WAITS=1 (run wait_lag.sh,
# ~6 minutes, and put its tables in the waits block instead of copying the block).
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
	sizes=${SIZES:-100}; runs=1; steps=${STEPS:-20}; instr=0; rows=${ROWS:-1000}; objects=${OBJECTS:-20}
	export ANSIBLE=${SMOKE_ANSIBLE:-0} ONLY=${ONLY:-rds-snapshot-restore}
else
	sizes=${SIZES:-1000 10000 100000}; runs=${RUNS:-5}; steps=${STEPS:-1000}; instr=${INSTR:-1}
	rows=${ROWS:-100000}; objects=${OBJECTS:-200}
fi
# the waits section is written by hand from wait_lag.sh (or by it with WAITS=1): the
# block between these markers is copied from the last BENCHMARKS.md
kept_from=${KEPT_FROM:-$root/BENCHMARKS.md}
[ -f "$out" ] && kept_from=${KEPT_FROM:-$out}
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
: > "$work/rt"; : > "$work/bt"; : > "$work/rl"; : > "$work/bl"; : > "$work/rs"
# the same run with its state dir on tmpfs, where a sync costs nothing: the engine's
# overhead without the device flush each write-ahead line needs
shm=""
[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && shm=$(mktemp -d -p /dev/shm 2>/dev/null) || shm=""
[ -z "$shm" ] || trap 'rm -rf "$work" "$shm"' EXIT
for _ in $(seq "$runs"); do
	rm -rf "$work/state"
	ms "$rb" run "$work/true.yaml" --yes --state-dir "$work/state" >> "$work/rt"
	if [ -n "$shm" ]; then
		rm -rf "$shm/state"
		ms "$rb" run "$work/true.yaml" --yes --state-dir "$shm/state" >> "$work/rs"
		rm -rf "$shm/state"
	fi
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
bash_ms=$(median < "$work/bt")   # the bash loop's median, the yardstick below
echo "| what | ms | ratio (medians) |"
echo "|---|---:|---:|"
echo "| runbook: exec true | $(stats < "$work/rt") | $(ratio "$(median < "$work/rt")" "$bash_ms") of bash |"
[ -z "$shm" ] || echo "| runbook: exec true, state dir on tmpfs | $(stats < "$work/rs") | $(ratio "$(median < "$work/rs")" "$bash_ms") of bash |"
echo "| bash loop: /bin/true | $(stats < "$work/bt") | 1 |"
echo "| runbook: log | $(stats < "$work/rl") | $(ratio "$(median < "$work/rl")" "$(median < "$work/bl")") of bash |"
echo "| bash loop: echo >> file | $(stats < "$work/bl") | 1 |"
echo
echo "fsync calls for the $steps exec steps: $fsyncs (strace -f -c); per step over the bash loop:"
echo "$(awk -v r="$(median < "$work/rt")" -v b="$bash_ms" -v n="$steps" 'BEGIN { printf "%.3f", (r - b) / n }') ms" \
	"(medians)${shm:+, $(awk -v r="$(median < "$work/rs")" -v b="$bash_ms" -v n="$steps" 'BEGIN { printf "%.3f", (r - b) / n }') ms with the state on tmpfs}."
rm -rf "$work/state"
echo "Instructions of the runbook process for the $steps exec steps (callgrind, children not"
echo "traced): $(instructions "$rb" run "$work/true.yaml" --yes --state-dir "$work/state")."
rm -rf "$work/state"
echo
# what one write-ahead sync costs here: the floor of a mutating step's overhead
fs_type=$(findmnt -n -o FSTYPE --target "$work" 2>/dev/null || stat -f -c %T "$work" 2>/dev/null || echo "?")
fc_rounds=$([ "${SMOKE:-0}" = 1 ] && echo 2 || echo 15)
python3 "$here/fsync_cost.py" "$fc_rounds" "$work" ${shm:+"$shm"} > "$work/fc"
fc() { awk -v d="$1" -v w="$2" '$1 == d && $2 == w { printf "%s / %s / %s", $3, $4, $5 }' "$work/fc"; }
echo "One write-ahead sync (a 270-byte line appended, then synced; ms per line, min / median / max"
echo "of $fc_rounds interleaved rounds of 20 lines, tests/bench/fsync_cost.py):"
echo
echo "| way | state dir's filesystem ($fs_type) |${shm:+ tmpfs |}"
echo "|---|---:|${shm:+---:|}"
for w in fsync fdatasync O_DSYNC; do
	echo "| $w | $(fc "$work" $w) |${shm:+ $(fc "$shm" $w) |}"
done
echo
# the floor the write-ahead rule sets: the bash loop plus one sync per step, each sync
# timed inside the run (strace -T on fsync alone: their mean, since the run pays their
# sum) and alone (fsync_cost.py's median)
if command -v strace >/dev/null; then
	rm -rf "$work/state"
	strace -f --seccomp-bpf -e trace=fsync -T -o "$work/sT" "$rb" run "$work/true.yaml" --yes \
		--state-dir "$work/state" >/dev/null 2>&1 || true
	rm -rf "$work/state"
	in_run=$(grep -o '<[0-9.]*>' "$work/sT" | tr -d '<>' | awk '{ t += $1 * 1000 }
		END { if (NR) printf "%.3f", t / NR }')
	alone=$(awk -v d="$work" '$1 == d && $2 == "fsync" { print $4 }' "$work/fc")
	[ -z "$in_run" ] || awk -v b="$bash_ms" -v n="$steps" -v s="$in_run" -v a="$alone" 'BEGIN {
		printf "The floor the write-ahead rule sets: a mutating step cannot start its program before its\n"
		printf "line is synced, so the bash loop plus one sync per step is %.0f ms, %.2fx of the bash loop,\n", b + n * s, (b + n * s) / b
		printf "a sync taking the mean of those inside the run (strace -T: %s ms; alone, above, the\n", s
		printf "median: %s ms).\n", a
		r = 0.3 * b / n - s
		if (r > 0) printf "A ratio of 1.3x leaves %.3f ms per step for all the engine does besides that sync.\n\n", r
		else printf "A ratio of 1.3x is below that floor: it would need the sync itself to take less.\n\n" }'
fi
# where the wall time of the exec run goes: before its first event (load, plan, run
# directory), from the first event to the last (the steps), after the last (reports);
# the steps' span against the bash loop is the cost per step, the rest is paid once
phases() { # DIR: one run with its state under DIR; prints "whole before span after" in ms
	rm -rf "$1/state"
	local s e
	s=$(date +%s%3N)
	"$rb" run "$work/true.yaml" --yes --state-dir "$1/state" --output json > "$work/ev.jsonl" 2>/dev/null || true
	e=$(date +%s%3N)
	rm -rf "$1/state"
	python3 - "$s" "$e" "$work/ev.jsonl" <<'PY'
import datetime, json, sys
s, e = int(sys.argv[1]), int(sys.argv[2])
t = [int(datetime.datetime.fromisoformat(v["time"].replace("Z", "+00:00")).timestamp() * 1000)
     for v in (json.loads(l) for l in open(sys.argv[3]) if l.startswith("{")) if "time" in v]
print(e - s, t[0] - s, t[-1] - t[0], e - t[-1]) if t else print("- - - -")
PY
}
: > "$work/ph"; : > "$work/phs"
for _ in $(seq "$runs"); do
	phases "$work" >> "$work/ph"
	[ -z "$shm" ] || phases "$shm" >> "$work/phs"
done
col() { awk -v c="$1" '{ print $c }' "$2" | median; }
echo "Where the exec run's time goes (medians of $runs runs, --output json; ms; \"per step\" is the"
echo "span of the events less the bash loop, over the $steps steps):"
echo
echo "| state dir | whole run | before the first event | first to last event | per step over bash | after the last event |"
echo "|---|---:|---:|---:|---:|---:|"
for f in ph phs; do
	[ -s "$work/$f" ] || continue
	span=$(col 3 "$work/$f")
	echo "| $([ $f = ph ] && echo "$fs_type" || echo tmpfs) | $(col 1 "$work/$f") | $(col 2 "$work/$f") | $span |" \
	     "$(awk -v s="$span" -v b="$bash_ms" -v n="$steps" 'BEGIN { printf "%.3f", (s - b) / n }') | $(col 4 "$work/$f") |"
done
echo
if [ "$instr" = 1 ] && command -v callgrind_annotate >/dev/null; then
	echo "### where the instructions of $steps log steps go"
	echo
	echo "callgrind, inclusive instructions of the whole \`runbook run\` (one run; a function's"
	echo "figure includes what it calls, so rows overlap; file in parentheses):"
	echo
	rm -rf "$work/state"
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.log" "$rb" run "$work/log.yaml" --yes \
		--state-dir "$work/state" >/dev/null 2>&1 || true
	rm -rf "$work/state"
	callgrind_annotate --inclusive=yes --threshold=100 "$work/cg.log" 2>/dev/null > "$work/cg.txt" || true
	total=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }' "$work/cg.txt")
	echo "| function | instructions | share | per step |"
	echo "|---|---:|---:|---:|"
	echo "| whole run | $(awk -v t="$total" 'BEGIN { printf "%.0f M", t / 1e6 }') | 100% | $(awk -v t="$total" -v n="$steps" 'BEGIN { printf "%.0f K", t / n / 1e3 }') |"
	while IFS='|' read -r fn what; do
		awk -v fn="$fn" -v what="$what" -v t="$total" -v n="$steps" '
			{ f = $0; sub(/^ *[0-9,]+ \([ 0-9.]+%\) +/, "", f); sub(/ \[.*$/, "", f); sub(/^.*:/, "", f) }
			f == fn { v = $1; gsub(",", "", v); printf "| %s (%s) | %.0f M | %.1f%% | %.0f K |\n", fn, what, v / 1e6, 100 * v / t, v / n / 1e3; exit }' "$work/cg.txt"
	done <<'FNS'
engine_run|engine/engine.c: the run
journal_append|engine/journal.c: redact + serialize + write each journal line
redact_jv|core/redact.c: every redaction; an event is redacted once, for the display and its journal line
jvx_dump|core/jvx.c: JSON serialization, jv_dump_string
eng_run_dir_setup|engine/rundir.c: plan.json, runbook copy, tape header
cli_write_run_reports|cli/runs.c: report.json, report.md, timeline.svg at the end
cli_run_journal|cli/runs.c: the journal parsed back for the reports
report_build|report/: the report from the journal
report_format|report/: report.json + report.md + timeline.svg
display_event|cli/display.c: the terminal display, plain, to /dev/null
core_log_run|modules/core/log.c: the log action itself
cli_setup_load|cli/runsetup.c: load and plan the runbook
FNS
	echo
	rm -rf "$work/state"
	if command -v strace >/dev/null; then
		strace -f -c -e trace=fsync,write -o "$work/st" "$rb" run "$work/log.yaml" --yes --state-dir "$work/state" >/dev/null 2>&1 || true
		echo "System calls of the $steps log steps: $(awk '$NF == "fsync" { print $4 }' "$work/st") fsync," \
		     "$(awk '$NF == "write" { print $4 }' "$work/st") write (strace -f -c): a log step mutates nothing: its lines are not synced one by one, but with the next synced line or at the end of the run."
		rm -rf "$work/state"
		echo
	fi
fi
echo "## peak RSS of the bundled rehearsals"
echo
echo "Every case of tests/runbooks/cases.txt (\`runbook rehearse runbooks/NAME.yaml --scenario"
echo "examples/scenarios/SCENARIO.yaml\`, as tests/runbooks/rehearse.sh runs them), /usr/bin/time -v,"
echo "MB min / median / max of $runs runs. \"one arena\" is the binary as it is (main.c: mallopt"
echo "M_ARENA_MAX 1); \"glibc arenas\" the same with MALLOC_ARENA_MAX=0 (glibc's default: an"
echo "arena per thread, up to 8 per core); \"one worker\" adds --max-parallel 1. Instructions: one"
echo "more run under callgrind (the process, the simulator's threads included)."
echo
INSTR=$instr "$here/rss.sh" "$rb" "$runs" > "$work/rss1"
MALLOC_ARENA_MAX=0 "$here/rss.sh" "$rb" "$runs" > "$work/rss0"
RB_ARGS="--max-parallel 1" "$here/rss.sh" "$rb" "$runs" > "$work/rssp"
echo "| runbook | scenario | one arena | glibc arenas | one arena, one worker | instructions |"
echo "|---|---|---:|---:|---:|---:|"
# rss1 has one more column when instructions are counted
paste -d'|' "$work/rss1" "$work/rss0" "$work/rssp" | awk -F'|' -v i="$instr" '{
	if (i == 1) printf "|%s|%s|%s|%s|%s|%s|\n", $2, $3, $4, $10, $15, $5
	else printf "|%s|%s|%s|%s|%s| - |\n", $2, $3, $4, $9, $14 }'
echo
echo "Floor: \`runbook --version\` $(peak_rss "$rb" --version) (the $(ldd "$rb" | grep -c '=>') shared libraries"
echo "mapped before main: libcrypto, gnutls via libmicrohttpd's constructor, curl's...; libxml2,"
echo "libicu and libstdc++ are loaded only for XML core/xmlread.c gives up on, core/xmllazy.c: AWS's"
echo "replies never); \`runbook validate\` of a bundled runbook $(peak_rss "$rb" validate "$root/runbooks/rds-snapshot-restore.yaml")."
echo "A rehearsal serves its Kubernetes API over plain HTTP on loopback unless the runbook has"
echo "exec steps (kubectl sends its token over TLS only: redis-rdb-pod-restore, pg-dump-restore);"
echo "over HTTPS, a CA, three keys and GnuTLS's server beside OpenSSL's client cost"
echo "full-environment-restore 2.4 MB and 0.59 G instructions (19.2 MB, 1.97 G)."
echo
echo "## orchestration: the same snapshot restore"
echo
echo "Restore an RDS snapshot into a new instance and wait until it is available, against one"
echo "\`runbook sim serve --speed 600\` (tests/bench/restore-scenario.yaml: the restore takes no"
echo "time, so every tool's first poll finds it available and the figures are the"
echo "orchestration's own cost). $runs interleaved runs; calls from the simulator's request log."
echo
ANSIBLE=${ANSIBLE:-1} "$here/orchestration.sh" "$rb" "$runs"
echo
echo "## data: pg.copy_table, redis.warm, s3.sync against their tools"
echo
if [ -x /usr/lib/postgresql/15/bin/initdb ] && command -v redis-server >/dev/null; then
	echo "tests/bench/data.sh: PostgreSQL 15 and Redis from tests/integration/servers.sh (one server,"
	echo "two databases), the simulator for S3; $runs interleaved runs, each copy checked complete."
	echo
	"$here/data.sh" "$rb" "$rows" "$runs" "$objects"
else
	echo "Not measured: PostgreSQL 15 or redis-server is not installed."
fi
echo
echo "## Waits"
echo
if [ "${WAITS:-0}" = 1 ]; then
	echo "<!-- kept: waits (tests/bench/run-all.sh copies this block; WAITS=1 rewrites it) -->"
	echo "tests/bench/wait_lag.sh $rb 20, written by run-all.sh (WAITS=1) on $(date -u '+%Y-%m-%d'):"
	echo
	"$here/wait_lag.sh" "$rb" 20
	echo
	echo "One second later (OFFSET=1):"
	echo
	OFFSET=1 "$here/wait_lag.sh" "$rb" 20
	echo "<!-- end kept: waits -->"
elif [ -f "$kept_from" ] && grep -q '^<!-- kept: waits' "$kept_from"; then
	sed -n '/^<!-- kept: waits/,/^<!-- end kept: waits -->/p' "$kept_from"
else
	echo "(no waits block in $kept_from: run with WAITS=1)"
fi
} > "$work/out.md"
mv "$work/out.md" "$out"
echo "run-all.sh: wrote $out"
