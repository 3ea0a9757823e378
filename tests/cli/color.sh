#!/usr/bin/env bash
# color.sh — --color=auto|always|never and TERM=dumb (issue 13): TERM=dumb on a terminal
# means plain lines without colors; --color=always colors a pipe; a bad word is exit 2.
#   color.sh RUNBOOK
. "$(dirname "$0")/../lib/tap.sh"
rb=$(realpath "$1")
tap_tmpdir rb-color
cd "$T" || fail "cd $T"
cat > ok.yaml <<'YAML'
runbook: colors
steps:
  - id: hello
    action: log
    with: {message: hello}
YAML
esc=$'\033'

# on_pty OUT ARGS...: runbook ARGS on a pseudo-terminal (stdin, stdout, stderr), all it
# printed in OUT
on_pty() {
	local out=$1; shift
	python3 - "$rb" "$@" > "$out" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
}

# a terminal colors and draws the live list: the harness sees escapes at all
TERM=xterm NO_COLOR= on_pty tty.out run ok.yaml --state-dir sd
check "run on a terminal exits 0" 0 $?
check_sh "a terminal (TERM=xterm) shows ANSI escapes" 'grep -q "$esc\[" tty.out'

# TERM=dumb: no live display, no colors
TERM=dumb NO_COLOR= on_pty dumb.out run ok.yaml --state-dir sd
check "run with TERM=dumb exits 0" 0 $?
check_sh "TERM=dumb on a terminal shows no ANSI escape" '! grep -q "$esc" dumb.out'
check_sh "TERM=dumb prints plain lines" 'grep -q "hello" dumb.out && grep -q "succeeded" dumb.out'
# --color=never on a terminal that would color
TERM=xterm NO_COLOR= on_pty never.out run ok.yaml --state-dir sd --color=never --output plain
check_sh "--color=never on a terminal shows no ANSI escape" '! grep -q "$esc" never.out'

# a pipe: no colors unless --color=always
"$rb" run ok.yaml --state-dir sd > pipe.out 2>&1
check "run in a pipe exits 0" 0 $?
check_sh "a pipe shows no ANSI escape" '! grep -q "$esc" pipe.out'
"$rb" run ok.yaml --state-dir sd --color=always > always.out 2>&1
check "run --color=always exits 0" 0 $?
check_sh "--color=always in a pipe shows ANSI colors" 'grep -q "$esc\[[0-9;]*m" always.out'
NO_COLOR=1 TERM=dumb "$rb" run ok.yaml --state-dir sd --color always > always2.out 2>&1
check_sh "--color always wins over NO_COLOR and TERM=dumb" 'grep -q "$esc\[[0-9;]*m" always2.out'

# a bad word: exit 2 with the words it takes, for every command that has --color
for cmd in "run ok.yaml" "resume 20260101-aaaa" "rehearse ok.yaml --scenario none.yaml" "drill ok.yaml --live"; do
	# shellcheck disable=SC2086
	"$rb" $cmd --state-dir sd --color=bogus > bogus.out 2>&1
	check "${cmd%% *} --color=bogus exits 2" 2 $?
	check_sh "${cmd%% *} --color=bogus says what it takes" \
		'grep -q "unknown --color .bogus. (auto, always or never)" bogus.out'
done
tap_done
