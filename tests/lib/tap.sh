# tests/lib/tap.sh — the one harness of the shell tests: TAP 13 on stdout, which meson
# parses (`protocol : 'tap'`), so every check shows in the test log.
#
#   . "$(dirname "$0")/../lib/tap.sh"
#   tap_tmpdir rb-engine          # T=fresh temp dir, removed at exit
#   check "exit code" 0 "$rc"     # equal, or "not ok" with want/got; goes on
#   check_cmd "journal valid" jq -e . j.json
#   check_sh "mode 600" '[ "$(stat -c %a f)" = 600 ]'
#   bad "no tape" "$T/out"        # not ok, with the end of a file; goes on
#   expect_rc 0 $? "success"      # a wrong exit code stops the script (what follows needs it)
#   fail "no report"              # "not ok" and stop
#   tap_done                      # prints the plan 1..N; exit 1 if any check failed
#
# The TAP stream is fd 3 (the script's stdout when sourced); the script's own stdout goes
# to stderr, so a stray echo or a command's output lands in the log, not in the TAP.
# If the script ends without tap_done (exit, set -e, a signal), the EXIT trap still
# prints the plan, and a non-zero exit with no failed check counts as one.
# The sanitizer settings are meson's; these defaults are CI's, for a run by hand.

: "${ASAN_OPTIONS:=halt_on_error=1:abort_on_error=1:print_summary=1:detect_leaks=1}"
: "${UBSAN_OPTIONS:=halt_on_error=1:abort_on_error=1:print_summary=1:print_stacktrace=1}"
export ASAN_OPTIONS UBSAN_OPTIONS

exec 3>&1 1>&2
echo "TAP version 13" >&3

TAP_N=0           # checks so far
TAP_FAILED=0      # of which failed
TAP_PLANNED=0     # the plan is printed
TAP_OUT=          # a file whose content explains a failure (diag'd by expect_rc and fail)
TAP_CLEANUP=()    # commands run at exit, last registered first
TAP_NAME=${CASE:+[$CASE] }  # prefix of every message

# one line of the TAP stream; a message cannot contain '#' unescaped nor a newline
_tap_line() { # _tap_line ok|"not ok" MESSAGE [DIRECTIVE]
	local msg=${2//$'\n'/ }
	msg=${msg//\#/\\#}
	TAP_N=$((TAP_N + 1))
	echo "$1 $TAP_N - $TAP_NAME$msg${3:+ # $3}" >&3
}

ok() { _tap_line ok "$*"; }
not_ok() { TAP_FAILED=$((TAP_FAILED + 1)); _tap_line "not ok" "$*"; }
# bad WHAT [FILE]: not ok, with the end of the file that explains it; goes on
bad() { not_ok "$1"; [ -z "${2:-}" ] || diag_out "$2"; }
# skip WHAT WHY: a check that could not run here
skip() { _tap_line ok "$1" "SKIP ${2:-}"; }
# comment lines (each argument or line prefixed with "# ")
diag() { printf '%s\n' "$@" | sed 's/^/# /' >&3; }
# diag the file TAP_OUT (or $1), if any
diag_out() {
	local f=${1:-$TAP_OUT}
	[ -n "$f" ] && [ -e "$f" ] || return 0
	diag "--- $f (end):"
	tail -60 "$f" | sed 's/^/# /' >&3
}

# not ok, with the output that explains it (TAP_OUT, then the function named by
# TAP_ON_FAIL if set), then stop: what follows depends on it
fail() { not_ok "$*"; diag_out; [ -z "${TAP_ON_FAIL:-}" ] || "$TAP_ON_FAIL"; tap_done; }
# the whole script cannot go on (a missing server, a broken setup)
bail_out() { echo "Bail out! $*" >&3; TAP_PLANNED=1; exit 1; }
# the whole script does not apply here: meson counts it as skipped
skip_all() { echo "1..0 # SKIP $*" >&3; TAP_PLANNED=1; exit 0; }

# check WHAT WANT GOT: equal strings
check() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "want: $2" "got:  $3"
	fi
}
# check_cmd WHAT CMD...: the command succeeds (its output is in the log)
check_cmd() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; diag "failed: $*"; fi
}
# check_sh WHAT SHELL-EXPR: the expression (eval'd) is true
check_sh() { if eval "$2"; then ok "$1"; else not_ok "$1"; diag "false: $2"; fi; }
# expect_rc WANT GOT WHAT: the exit code; a wrong one stops the script
expect_rc() {
	if [ "$1" = "$2" ]; then
		ok "$3: exit $1"
	else
		fail "$3: exit $2, want $1"
	fi
}

# the plan; exit status 1 if any check failed
tap_done() {
	if [ "$TAP_PLANNED" = 0 ]; then
		echo "1..$TAP_N" >&3
		TAP_PLANNED=1
	fi
	[ "$TAP_FAILED" = 0 ] && exit 0
	exit 1
}

# tap_cleanup CMD...: run CMD at exit (kill a server, remove a file)
tap_cleanup() { TAP_CLEANUP+=("$(printf '%q ' "$@")"); }
# tap_tmpdir NAME: T=a fresh temp dir, removed at exit
tap_tmpdir() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || bail_out "mktemp failed"
	tap_cleanup rm -rf "$T"
}

_tap_exit() {
	local rc=$? i
	trap - EXIT
	for ((i = ${#TAP_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${TAP_CLEANUP[i]}"; done
	if [ "$TAP_PLANNED" = 0 ]; then
		[ "$rc" != 0 ] && [ "$TAP_FAILED" = 0 ] && not_ok "script exited with status $rc"
		echo "1..$TAP_N" >&3
	fi
	[ "$TAP_FAILED" != 0 ] && [ "$rc" = 0 ] && rc=1
	exit "$rc"
}
trap _tap_exit EXIT
