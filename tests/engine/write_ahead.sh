#!/usr/bin/env bash
# The write-ahead rule (issue 14): a mutating call's journal line is on disk before the
# call is sent. Under strace -f, for every mutating exec step, an fsync of the journal
# starts after the write of the step's {"event":"call"} line has returned and returns
# before the step's program is exec'd; in order and with parallel workers sharing
# syncs (group commit). A read-only step needs none (not checked).
#   write_ahead.sh RUNBOOK
. "$(dirname "$0")/../lib/tap.sh"
RB=$(realpath "$1")
tap_tmpdir rb-write-ahead
cd "$T" || exit 1
export NO_COLOR=1
# LeakSanitizer cannot work under ptrace: no leak check in the traced runs
ST_ENV=(env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
command -v strace >/dev/null && strace -f -qq -e trace=none true 2>/dev/null ||
	skip_all "needs strace (and ptrace allowed)"
command -v python3 >/dev/null || skip_all "needs python3"

# gen PARALLEL N: N mutating exec steps, each running `true wa-sI` (a mark to find its
# execve by); PARALLEL=1: all independent
gen() {
	echo "runbook: write-ahead"
	echo "steps:"
	for ((i = 0; i < $2; i++)); do
		echo "  - id: s$i"
		[ "$1" = 1 ] && echo "    needs: []"
		echo "    action: exec"
		echo "    with: {argv: [\"true\", \"wa-s$i\"]}"
	done
}

# check TRACE N: "ok" when every step s0..sN-1 had its call line synced before its exec,
# else what went wrong
cat >check.py <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
n = int(sys.argv[2])
ev = []            # [name, pid, start index, end index, text]
pending = {}
for i, l in enumerate(lines):
    m = re.match(r'^(\d+)\s+(.*)$', l)
    if not m:
        continue
    pid, rest = m.group(1), m.group(2)
    r = re.match(r'^<\.\.\. (\w+) resumed>', rest)
    if r:
        e = pending.pop(pid, None)
        if e:
            e[3] = i
            e[4] += rest
        continue
    c = re.match(r'^(\w+)\(', rest)
    if not c:
        continue
    e = [c.group(1), pid, i, i, rest]
    if rest.endswith('<unfinished ...>'):
        pending[pid] = e
    ev.append(e)
bad = []
for s in range(n):
    call = [e for e in ev if e[0] == 'write' and '\\"event\\":\\"call\\"' in e[4]
            and '\\"step\\":\\"s%d\\"' % s in e[4]]
    run = [e for e in ev if e[0] == 'execve' and '"wa-s%d"' % s in e[4]]
    if not call or not run:
        bad.append('s%d: no call line or no exec in the trace' % s)
        continue
    fd = re.match(r'write\((\d+),', call[0][4]).group(1)
    wend, xstart = call[0][3], run[0][2]
    if wend > xstart:
        bad.append('s%d: exec before its call line was written' % s)
        continue
    if not any(e[0] in ('fsync', 'fdatasync') and re.match(r'^\w+\(%s[) ]' % fd, e[4]) and
               e[2] > wend and e[3] < xstart for e in ev):
        bad.append('s%d: no sync of the journal between its call line and its exec' % s)
print('ok' if not bad else '; '.join(bad))
PY

traced() { # traced FILE [OPTIONS]: one run under strace into trace.txt
	local f=$1
	shift
	rm -rf st
	"${ST_ENV[@]}" strace -f -qq -s 4000 -e trace=write,fsync,fdatasync,execve -o trace.txt \
		"$RB" run "$f" --yes --state-dir st "$@" >run.out 2>&1
}

gen 0 8 >seq.yaml
rc=0; traced seq.yaml || rc=$?
check "steps in order: the run succeeds" 0 "$rc"
check "steps in order: each call line is synced before its program runs" ok "$(python3 check.py trace.txt 8)"

gen 1 8 >par.yaml
rc=0; traced par.yaml --max-parallel 4 || rc=$?
check "parallel steps: the run succeeds" 0 "$rc"
check "parallel steps (shared syncs): each call line is synced before its program runs" ok \
	"$(python3 check.py trace.txt 8)"
tap_done
