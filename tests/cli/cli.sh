#!/usr/bin/env bash
# cli.sh — golden tests of the command line (git's t/ style): help, usage, errors, man
# pages, and the output modes of the display and of a small run. TAP (tests/lib/tap.sh).
#   cli.sh CASE RUNBOOK_EXE SRCDIR [FEED_EXE] [VERSION]
# Golden files live in tests/cli/golden/; UPDATE_GOLDEN=1 rewrites them from the
# actual output (review the diff before committing).
set -uo pipefail
case_=$1 rb=$(realpath "$2") src=$(realpath "$3") feed=${4:+$(realpath "$4")} version=${5:-}
golden=$src/tests/cli/golden
CASE=$case_ . "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-cli
tmp=$T
export TZ=UTC LC_ALL=C.UTF-8 NO_COLOR= TERM=dumb
unset RUNBOOK_STATE_DIR RUNBOOK_PATH
cd "$tmp"

# fail WHY: not ok, and the case stops (tap.sh)

# compare actual with a golden file (or write it with UPDATE_GOLDEN=1)
check_golden() {   # name actual-file
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		cp "$2" "$golden/$1"
		skip "golden/$1" "updated (UPDATE_GOLDEN=1)"
		return 0
	fi
	[ -f "$golden/$1" ] || fail "no golden file $golden/$1 (run with UPDATE_GOLDEN=1)"
	diff -u "$golden/$1" "$2" >&2 || fail "output differs from $golden/$1"
	ok "the output matches golden/$1"
}

# run and check the exit status; stdout and stderr go to files; stdin is the caller's
expect() {   # status out err cmd...
	local want=$1 out=$2 err=$3
	shift 3
	"$@" >"$out" 2>"$err"
	local got=$?
	[ "$got" -eq "$want" ] || { cat "$out" "$err" >&2; fail "'$*' exited $got, expected $want"; }
	ok "'$*' exits $want"
}

commands() {   # the command names `runbook --help` lists
	"$rb" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'
}

# times, durations and run ids vary: replace them for golden comparison
normalize() {
	sed -E -e 's/^[0-9]{2}:[0-9]{2}:[0-9]{2} /HH:MM:SS /' \
	       -e 's/[0-9]+(\.[0-9]+)?(ms|s)\b/DUR/g' -e 's/[0-9]+m[0-9]{2}s\b/DUR/g' \
	       -e 's/[0-9]{8}T?-?[0-9]{6}Z?-[0-9a-f]+/RUN-ID/g' "$@"
}

# man's text without formatting (man strips it when piped; col -b where installed)
man_text() {
	if command -v col >/dev/null; then
		MANWIDTH=1000 man -l "$1" 2>/dev/null | col -b
	else
		MANWIDTH=1000 man -l "$1" 2>/dev/null
	fi
}

case $case_ in
help)
	expect 0 out err "$rb" --help </dev/null
	[ -s err ] && fail "--help wrote to stderr"
	check_golden help.out out
	expect 0 out2 err "$rb" -h </dev/null
	cmp -s out out2 || fail "-h and --help differ"
	;;
version)
	expect 0 out err "$rb" --version </dev/null
	echo "runbook $version" > want
	diff -u want out || fail "--version"
	;;
no-args)
	expect 2 out err "$rb" </dev/null
	[ -s out ] && fail "usage error wrote to stdout"
	grep -q '^usage: runbook COMMAND' err || fail "no usage line on stderr"
	;;
unknown)
	expect 2 out err "$rb" frobnicate </dev/null
	[ -s out ] && fail "unknown command wrote to stdout"
	check_golden unknown.err err
	expect 2 out err "$rb" valdate x.yaml </dev/null
	check_golden unknown-suggest.err err
	;;
bad-option)
	# every command rejects an unknown option with exit 2, a message and its usage
	for c in $(commands); do
		"$rb" "$c" --no-such-option >out 2>err </dev/null
		got=$?
		[ "$got" -eq 2 ] || fail "'runbook $c --no-such-option' exited $got, expected 2"
		[ -s err ] || fail "'runbook $c --no-such-option' printed nothing on stderr"
	done
	;;
command-help)
	# each command's --help: exit 0, golden text (stdout and stderr together)
	n=0
	for c in $(commands); do
		"$rb" "$c" --help >out 2>&1 </dev/null
		got=$?
		[ "$got" -eq 0 ] || { cat out >&2; fail "'runbook $c --help' exited $got"; }
		cat out >> all
		echo "----" >> all
		"$rb" help "$c" >out2 2>&1 </dev/null
		cmp -s out out2 || fail "'runbook help $c' differs from 'runbook $c --help'"
		n=$((n + 1))
	done
	[ "$n" -ge 10 ] || fail "only $n commands listed by --help"
	check_golden command-help.out all
	;;
help-man)
	# --help and runbook(1) say the same thing: every command is documented, and every
	# option a command's --help names appears in the man page
	command -v man >/dev/null || skip_all "man not installed"
	man_text "$src/man/runbook.1" > man.txt
	[ -s man.txt ] || fail "man could not render runbook.1"
	missing=0
	for c in $(commands); do
		grep -qE "^ +runbook $c\b" man.txt || { echo "runbook.1 lacks command '$c'" >&2; missing=1; }
		"$rb" "$c" --help >out 2>&1 </dev/null
		# options are named in the usage lines (up to the first blank line) and at the
		# start of the option list's lines; prose may mention other programs' options
		{ awk '/^usage:/ { u = 1 } u && /^$/ { u = 0 } u' out
		  grep -E '^ +-' out | sed -E 's/  .*//; s/^ +//'; } > opts
		for o in $(grep -oE '(^|[^a-zA-Z0-9-])--?[a-zA-Z][a-zA-Z0-9-]*' opts | sed -E 's/^[^-]//' | sort -u); do
			grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|\$)" man.txt || { echo "runbook $c --help names '$o', runbook.1 does not" >&2; missing=1; }
		done
	done
	[ "$missing" -eq 0 ] || fail "runbook.1 and --help disagree"
	;;
man)
	command -v man >/dev/null || skip_all "man not installed"
	for page in runbook.1 runbook.5; do
		man --warnings -l "$src/man/$page" >out 2>err
		[ -s err ] && { cat err >&2; fail "man --warnings reports problems in $page"; }
		[ -s out ] || fail "$page renders empty"
	done
	# runbook(5) keeps the REDACT_MIN rule in step with core/redact.h
	min=$(sed -nE 's/^#define REDACT_MIN ([0-9]+).*/\1/p' "$src/interpreter/core/redact.h")
	man_text "$src/man/runbook.5" > man5.txt
	grep -q "shorter than $min bytes (REDACT_MIN)" man5.txt ||
		fail "runbook.5 does not state REDACT_MIN = $min"
	# every exit code of DESIGN.md is documented
	man_text "$src/man/runbook.1" | sed -n '/^EXIT STATUS/,/^[A-Z]/p' > exits
	for code in 0 1 2 3 4; do
		grep -qE "^ +$code\b" exits || fail "runbook.1 lacks exit status $code"
	done
	;;
display-plain)
	expect 0 out err "$feed" plain < "$golden/events.jsonl"
	check_golden display-plain.out out
	# colors only when asked for, and NO_COLOR wins over "auto"
	grep -q $'\033' out && fail "plain output without --color has escape codes"
	expect 0 out err "$feed" plain --color < "$golden/events.jsonl"
	grep -q $'\033\\[32m' out || fail "--color gives no green for succeeded"
	NO_COLOR=1 "$feed" plain --auto-color < "$golden/events.jsonl" > out
	grep -q $'\033' out && fail "NO_COLOR ignored"
	;;
display-json)
	expect 0 out err "$feed" json < "$golden/events.jsonl"
	# one event per line, the same events as given, nothing else
	[ "$(wc -l < out)" -eq "$(grep -c . "$golden/events.jsonl")" ] || fail "not one line per event"
	jq -c . "$golden/events.jsonl" > want
	diff -u want out || fail "json events differ from the input"
	;;
display-live)
	# the live display under a real terminal (tmux): redrawn in place, final state kept
	command -v tmux >/dev/null || skip_all "tmux not installed"
	sock=$tmp/tmux.sock
	cat > live.sh <<LIVE
export TZ=UTC LC_ALL=C.UTF-8 TERM=screen NO_COLOR=\${1:-}
"$feed" text --auto-color --delay 50 < "$golden/events.jsonl" > /dev/tty
echo "exit=\$?" > "$tmp/live.rc"
sleep 30
LIVE
	for nc in "" 1; do
		rm -f live.rc
		tmux -S "$sock" new-session -d -x 100 -y 30 -s live "bash $tmp/live.sh '$nc'"
		for _ in $(seq 100); do [ -f live.rc ] && break; sleep 0.1; done
		[ -f live.rc ] || fail "live display did not finish"
		tmux -S "$sock" capture-pane -p -t live > screen
		tmux -S "$sock" capture-pane -p -e -t live > screen.e
		tmux -S "$sock" kill-server
		grep -q 'exit=0' live.rc || fail "display_feed failed in tmux"
		# the list appears once (redrawn in place, not appended) and ends in its final state
		[ "$(grep -c ' quickstart · run 20261122-031840-a1b2' screen)" -eq 1 ] ||
			{ cat screen >&2; fail "live list not redrawn in place"; }
		grep -q '✗ publish      failed' screen || { cat screen >&2; fail "no failed step in the final list"; }
		grep -q '↺ workdir      rolled back' screen || { cat screen >&2; fail "no rolled back step"; }
		grep -q '6/6 done · 0 running · 1 failed' screen || { cat screen >&2; fail "no summary line"; }
		grep -q 'prepare_b    attempt 1/3 failed' screen || { cat screen >&2; fail "retry not shown above the list"; }
		grep -q 'run          failed in 4.8s (exit 1)' screen || { cat screen >&2; fail "no final line"; }
		if [ -z "$nc" ]; then
			grep -q $'\033\\[3[0-9]m' screen.e || fail "no colors on a terminal"
		else
			grep -q $'\033\\[3[0-9]m' screen.e && fail "NO_COLOR=1 still colored"
		fi
	done
	;;
run-live)
	# a real run on a real terminal (tmux): the live list ends in its final state
	command -v tmux >/dev/null || skip_all "tmux not installed"
	sock=$tmp/tmux.sock
	cat > live.sh <<LIVE
export LC_ALL=C.UTF-8 TERM=screen NO_COLOR=1
"$rb" run "$src/tests/cli/small.yaml" --yes --state-dir "$tmp/state" -p dir="$tmp/w"
echo "exit=\$?" > "$tmp/live.rc"
sleep 30
LIVE
	tmux -S "$sock" new-session -d -x 100 -y 30 -s live "bash $tmp/live.sh"
	for _ in $(seq 150); do [ -f live.rc ] && break; sleep 0.1; done
	[ -f live.rc ] || fail "run did not finish"
	tmux -S "$sock" capture-pane -p -t live > screen
	tmux -S "$sock" kill-server
	grep -q 'exit=1' live.rc || { cat live.rc screen >&2; fail "run did not exit 1"; }
	[ "$(grep -c '^ small · run ' screen)" -eq 1 ] || { cat screen >&2; fail "live list not redrawn in place"; }
	for want in '✗ broken       failed' '↺ left         rolled back' '↺ right        rolled back' \
		    '↺ make_dir     rolled back' '4/4 done · 0 running · 1 failed' 'run          failed in'; do
		grep -qF "$want" screen || { cat screen >&2; fail "no '$want' on the screen"; }
	done
	[ -e "$tmp/w" ] && fail "rollback left $tmp/w"
	;;
run-plain|run-json)
	# a small real run, in both output modes (stdout is a file: plain lines)
	mode=${case_#run-}
	out_opt=()
	[ "$mode" = json ] && out_opt=(--output json)
	"$rb" run "$src/tests/cli/small.yaml" --yes --state-dir "$tmp/state" -p dir="$tmp/w" \
		"${out_opt[@]}" >out 2>err </dev/null
	got=$?
	[ "$got" -eq 1 ] || { cat out err >&2; fail "run exited $got, expected 1 (failed, rolled back)"; }
	[ -e "$tmp/w" ] && fail "rollback left $tmp/w"
	if [ "$mode" = plain ]; then
		normalize out > out.n
		check_golden run-plain.out out.n
	else
		jq -e . out >/dev/null || fail "--output json is not JSON lines"
		# the sequence of events and states, without times
		jq -r '[.event, (.step // "-"), (.status // "-")] | join(" ")' out > seq
		check_golden run-json.seq seq
		# every event carries time and run
		jq -e 'select(.time == null or .run == null)' out >/dev/null &&
			fail "an event lacks time or run"
		# the journal holds the same events (plus action calls, results and debug logs)
		j=$(ls "$tmp"/state/runs/*/journal.jsonl)
		jq -r 'select(.event | IN("call", "result", "log", "run_failing") | not) |
		       [.event, (.step // "-"), (.status // "-")] | join(" ")' "$j" > jseq
		grep -v '^log ' seq > seq.nolog
		diff -u seq.nolog jseq || fail "--output json and the journal differ"
	fi
	;;
*)
	fail "unknown case $case_"
	;;
esac
ok "$case_"
tap_done
