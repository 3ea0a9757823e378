#!/usr/bin/env bash
# The journal's syncs (issue 14): read-only steps cost no fsync of their own, a mutating
# step one (its call's write-ahead line; its end rides on the next synced line or the
# lazy flush, at most STATE_SYNC_SOON_MS later), and a run killed -9 right after a
# mutating step finished resumes without sending that call again, even when the lines
# not yet synced are lost (a power cut: the journal cut back to its last synced line).
#   fsyncs.sh RUNBOOK
. "$(dirname "$0")/../lib/tap.sh"
RB=$(realpath "$1")
tap_tmpdir rb-fsyncs
cd "$T" || exit 1
export NO_COLOR=1
# LeakSanitizer cannot work under ptrace: no leak check in the traced runs
ST_ENV=(env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
command -v strace >/dev/null && strace -f -qq -e trace=none true 2>/dev/null ||
	skip_all "needs strace (and ptrace allowed)"

# gen KIND N: N steps of `log` or of a mutating `exec true`
gen() {
	echo "runbook: fsyncs-$1"
	echo "steps:"
	for ((i = 0; i < $2; i++)); do
		echo "  - id: s$i"
		if [ "$1" = log ]; then
			echo "    action: log"
			echo "    with: {message: step $i}"
		else
			echo "    action: exec"
			echo "    with: {argv: [\"true\"]}"
		fi
	done
}
# fsyncs FILE: the fsync calls of one run of FILE (every thread and child)
fsyncs() {
	rm -rf st
	"${ST_ENV[@]}" strace -f -qq -c -e trace=fsync,fdatasync -o trace.txt "$RB" run "$1" --yes --state-dir st >run.out 2>&1 ||
		{ diag_out run.out; echo -1; return; }
	awk '$NF == "fsync" || $NF == "fdatasync" { n += $4 } END { print n + 0 }' trace.txt
}

gen log 20 >log20.yaml; gen log 60 >log60.yaml
gen exec 20 >exec20.yaml; gen exec 60 >exec60.yaml
l20=$(fsyncs log20.yaml); l60=$(fsyncs log60.yaml)
e20=$(fsyncs exec20.yaml); e60=$(fsyncs exec60.yaml)
diag "fsyncs: log 20: $l20, log 60: $l60, exec 20: $e20, exec 60: $e60"
check_sh "read-only steps make O(1) fsyncs (40 more log steps: at most 2 more)" \
	"[ $l20 -gt 0 ] && [ $l60 -gt 0 ] && [ $((l60 - l20)) -le 2 ]"
check_sh "a mutating step makes one fsync, not two (40 more exec steps: at most 60 more; lazy flushes on a slow machine add some)" \
	"[ $e20 -gt 0 ] && [ $e60 -gt 0 ] && [ $((e60 - e20)) -le 60 ]"

# the lazy flush: a mutating step followed by a long read-only step is durable before
# that step ends (nothing else syncs in between)
cat >lazy.yaml <<'YAML'
runbook: fsyncs-lazy
steps:
  - id: change
    action: exec
    with: {argv: ["true"]}
  - id: slow
    needs: [change]
    action: exec
    with: {argv: [sleep, "1"], read_only: true}
YAML
rm -rf st
"${ST_ENV[@]}" strace -f -q -s 300 -e trace=fsync,write,execve -o lazy.txt "$RB" run lazy.yaml --yes --state-dir st >run.out 2>&1
# line numbers: change's step_finished in the journal, sleep's exit, any fsync between
fin=$(grep -n 'write(.*step_finished.*\\"step\\":\\"change\\"' lazy.txt | head -1 | cut -d: -f1)
spid=$(grep 'execve(".*sleep"' lazy.txt | head -1 | awk '{print $1}')
send=$(grep -n "^$spid  *+++ exited" lazy.txt | head -1 | cut -d: -f1)
diag "lazy: step_finished line ${fin:-none}, sleep pid ${spid:-none} exit line ${send:-none}"
flushed=$(awk -v a="${fin:-0}" -v b="${send:-0}" 'NR > a && NR < b && /fsync\(/ { n++ } END { print n + 0 }' lazy.txt)
check_sh "a mutating step's end is synced within the lazy flush, before a long read-only step ends" \
	"[ -n '$fin' ] && [ -n '$send' ] && [ $flushed -ge 1 ]"

# kill -9 right after a mutating step finished: resume does not send its call again
cat >kill.yaml <<'YAML'
runbook: fsyncs-kill
steps:
  - id: change
    action: exec
    with: {argv: [sh, -c, 'echo change >> count']}
  - id: crash
    needs: [change]
    action: exec
    with: {argv: [sh, -c, '[ -e crashed ] || { touch crashed; kill -9 $PPID; sleep 5; }'], read_only: true}
YAML
kill_run() {
	rm -rf st count crashed
	rc=0; "$RB" run kill.yaml --yes --state-dir st </dev/null >run.out 2>&1 || rc=$?
	RID=$(ls st/runs)
}
kill_run
check "the run is killed by its own step" 137 "$rc"
rc=0; "$RB" resume "$RID" --state-dir st </dev/null >resume.out 2>&1 || rc=$?
check "resume after the kill: exit 0" 0 "$rc"
check "the finished mutating call is not sent again" "change" "$(cat count)"

# a power cut inside the window: the lines after change's write-ahead call line (its
# result and step_finished, not synced yet) are lost; resume must not send it blindly
kill_run
J=st/runs/$RID/journal.jsonl
n=$(grep -n '"event":"call".*"step":"change"' "$J" | head -1 | cut -d: -f1)
head -n "$n" "$J" >j.cut && cat j.cut >"$J"
rc=0; "$RB" resume "$RID" --state-dir st </dev/null >resume.out 2>&1 || rc=$?
check "a call in flight with no terminal: resume refuses (exit 2)" 2 "$rc"
check_sh "it names the step and --done/--rerun" "grep -q \"change\" resume.out && grep -q -- '--done' resume.out"
check "nothing sent again" "change" "$(cat count)"
rc=0; "$RB" resume "$RID" --state-dir st --done change </dev/null >resume.out 2>&1 || rc=$?
check "resume --done change: exit 0" 0 "$rc"
check "still once" "change" "$(cat count)"
tap_done
