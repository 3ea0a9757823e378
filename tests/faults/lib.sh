# lib.sh — shared by the fault tests (sourced): `runbook sim serve` on an ephemeral
# loopback port with a request log, `runbook run` against it, and the two counts every
# fault test compares: requests the simulator received (its log) and attempts the run
# journaled (the AWS transport logs each one at debug level, journal only:
# "attempt N/M: SERVICE OPERATION: OUTCOME", "[sent K times ...]" when libcurl re-sent
# a read itself, "[not sent]" when nothing reached the server).
#   . "$(dirname "$0")/lib.sh" "$@"    # $1 the runbook binary, $2 this folder
#   sim_start SCENARIO                 # sets EP, SIM_LOG; stopped at exit (tests/lib/sim.sh)
#   rb_run NAME RUNBOOK [ARGS...]      # sets RC, OUT, JOURNAL
#   sim_requests SERVICE [OP]          # requests in the simulator's log
#   journal_attempts SERVICE [OP]      # requests sent, by the journal
#   journal_decided SERVICE [OP]       # attempts the retry loop made (one line each)
# OP is an extended regular expression matched against the whole operation name (the
# simulator names S3 operations, the journal says METHOD /PATH).
#   check NAME EXPECTED ACTUAL; finish
set -u
RUNBOOK=${1:?usage: test RUNBOOK_BINARY TEST_DIR}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
HERE=${2:?usage: test RUNBOOK_BINARY TEST_DIR}
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY AWS_ENDPOINT_URL AWS_PROFILE
command -v jq >/dev/null 2>&1 || skip_all "no jq"
command -v curl >/dev/null 2>&1 || skip_all "no curl"
if [ -n "${KEEP:-}" ]; then TMP=$(mktemp -d /tmp/rb-faults.XXXXXX); diag "kept $TMP"; else tap_tmpdir rb-faults; TMP=$T; fi

. "$(dirname "${BASH_SOURCE[0]}")/../lib/sim.sh"

# the world as the simulator sees it now
sim_state() { curl -sf "$EP/_sim/state" || echo '{"error": "the simulator did not answer /_sim/state"}'; }

# rb_run NAME RUNBOOK [ARGS...]: runbook run against the simulator
rb_run() {
	local name=$1 file=$2
	shift 2
	mkdir -p "$TMP/$name"
	"$RUNBOOK" run "$file" -p "endpoint=$EP" --yes --state-dir "$TMP/$name/state" "$@" \
		>"$TMP/$name/out" 2>"$TMP/$name/err"
	RC=$?
	OUT=$TMP/$name/out
	JOURNAL=$(ls -d "$TMP/$name"/state/runs/*/journal.jsonl 2>/dev/null | head -n 1)
	[ -n "$JOURNAL" ] || JOURNAL=/dev/null
}

# requests the simulator logged: "TIME SERVICE OP REQUEST-ID STATUS [CODE] [fault=K]"
sim_requests() {
	awk -v s="$1" -v o="^(${2:-.*})$" '$2 == s && $3 ~ o { n++ } END { print n + 0 }' "$SIM_LOG"
}

# attempts journaled by the AWS transport
journal_attempts() {
	jq -rs --arg s "$1" --arg o "${2:-.*}" '
		[.[] | select(.event == "log") | .message
		 | capture("^attempt [0-9]+/[0-9]+: (?<svc>[^ ]+) (?<op>[^:]+): ") as $a
		 | select($a.svc == $s and ($a.op | test("^(" + $o + ")$")))
		 | if test("\\[not sent\\]") then 0
		   elif test("\\[sent [0-9]+ times") then (capture("\\[sent (?<k>[0-9]+) times").k | tonumber)
		   else 1 end] | add // 0' "$JOURNAL"
}

# attempts the transport's retry loop decided (a libcurl re-send is not one)
journal_decided() {
	jq -rs --arg s "$1" --arg o "${2:-.*}" '
		[.[] | select(.event == "log") | .message
		 | capture("^attempt [0-9]+/[0-9]+: (?<svc>[^ ]+) (?<op>[^:]+): ") as $a
		 | select($a.svc == $s and ($a.op | test("^(" + $o + ")$")))] | length' "$JOURNAL"
}
