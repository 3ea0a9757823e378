#!/bin/bash
# report.sh CASE RUNBOOK REPORT_TOOL SRCDIR — run reports (report/, `runbook show`).
#   files:       run, a failing run, rehearse and resume each write report.md,
#                report.json and timeline.svg (0600) into the run folder: outputs,
#                approvals with who and when, each rollback action counted (as many as
#                the journal's finished rollback_step events), what was undone; a report
#                that cannot be written is a warning and the exit code stays
#   xml:         show --format svg and junit are well-formed XML (xmllint) for a
#                succeeded, a failed and rolled-back, and a for_each/parallel rehearsal;
#                the SVG has one bar per step that ran and per rollback action; the same
#                journal gives the same bytes
#   objectives:  RTO/RPO of run_finished (met, missed, not measured) in every format
#   secrets:     a rehearsal with a secret param: neither the value nor its base64 in
#                any report (files and every show format)
#   golden:      the run folders of runs/ (failed rehearsals with rollbacks, approvals
#                and for_each items, a succeeded one with steps to undo, as a release
#                wrote them): `show --format json|markdown|svg` of each, read back
#                from the journal, plan.json and params.json, is its report.json,
#                report.md and timeline.svg byte for byte
set -u
CASE=$1
RB=$(realpath "$2")
TOOL=$(realpath "$3")
SRC=$(realpath "$4")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-report
TAP_OUT=$T/out
cd "$T" || exit 1
export NO_COLOR=1
unset RUNBOOK_STATE_DIR

# the one run of state dir $1
run_dir() { echo "$1/runs/$(ls "$1/runs")"; }
# the reports of the run folder $1 exist, private
has_reports() {
	local f
	for f in report.md report.json timeline.svg; do
		[ -s "$1/$f" ] || fail "$1/$f missing (folder: $(ls "$1"))"
		[ "$(stat -c %a "$1/$f")" = 600 ] || fail "$1/$f has mode $(stat -c %a "$1/$f"), want 600"
	done
	ls "$1" | grep -q '\.XXXXXX\|report\.md\.' && fail "a temporary file is left in $1: $(ls "$1")"
	return 0
}
# finished rollback actions in a journal
rb_done() { grep -c '"event":"rollback_step".*"status":"\(succeeded\|failed\|skipped\)"' "$1/journal.jsonl"; }
xml_ok() { xmllint --noout "$1" 2>xml.err || fail "$2 is not well-formed XML: $(head -5 xml.err)"; }
need_xmllint() {
	command -v xmllint >/dev/null || skip_all "xmllint missing (Debian libxml2-utils; scripts/setup.sh installs it)"
}
rehearse() { # rehearse STATE RUNBOOK SCENARIO [ARGS...]
	local st=$1 rb=$2 sc=$3
	shift 3
	mkdir -p "$T/$st"
	(cd "$SRC" && "$RB" rehearse "runbooks/$rb.yaml" --scenario "examples/scenarios/$sc.yaml" --state-dir "$T/$st" "$@") \
		</dev/null >"$T/out" 2>&1
}

case $CASE in

files)
	qs=$SRC/examples/quickstart.yaml
	# a run that succeeds
	"$RB" run --state-dir st/ok "$qs" --yes -p workdir="$T/ok" </dev/null >out 2>&1; expect_rc 0 $? "run"
	d=$(run_dir st/ok); has_reports "$d"
	jq -e '.status == "succeeded" and .mode == "run" and .exit_code == 0
	       and (.approvals | length) >= 1 and all(.approvals[]; .by != null and .at != null and .how == "--yes")
	       and (.steps | length) > 5 and (.critical_path | length) > 1
	       and (.undo | length) >= 1 and (.next_steps | length) >= 1' "$d/report.json" >/dev/null ||
		fail "report.json of a run: $(jq -c '{status, mode, approvals, critical_path, undo}' "$d/report.json")"
	grep -q '^## How to roll back' "$d/report.md" || fail "report.md of a succeeded run says nothing of how to roll back"
	grep -q '^| `go` | approved | ' "$d/report.md" || fail "report.md: no approval row: $(grep -A4 Approvals "$d/report.md")"
	# a run that fails and rolls back: every rollback action counted
	"$RB" run --state-dir st/fail "$qs" --yes -p workdir="$T/fail" -p fail=true </dev/null >out 2>&1; expect_rc 1 $? "failing run"
	d=$(run_dir st/fail); has_reports "$d"
	n=$(rb_done "$d")
	[ "$n" -ge 4 ] || fail "the failing quickstart ran only $n rollback actions"
	jq -e --argjson n "$n" '.status == "failed" and .rollback.actions == $n and .rollback.succeeded == $n
	       and (.rollback.steps | length) == $n and .totals.rollback_actions == $n
	       and any(.next_steps[]; test("undid what the run had done: \($n) of \($n) rollback actions"))
	       and any(.errors[]; .step == "verify" and (.lines | length) >= 1)' "$d/report.json" >/dev/null ||
		fail "report.json of a rolled-back run ($n actions): $(jq -c '{rollback: (.rollback | del(.steps)), next_steps, errors}' "$d/report.json")"
	grep -q "^\*\*$n of $n rollback actions succeeded\*\*" "$d/report.md" || fail "report.md: no '$n of $n rollback actions succeeded'"
	jq -e '.undo == []' "$d/report.json" >/dev/null || fail "a rolled-back run still has steps to undo: $(jq -c .undo "$d/report.json")"
	grep -q '^## How to roll back' "$d/report.md" && fail "report.md of a rolled-back run says how to roll it back"
	# a rehearsal: outputs (the restored endpoint), approvals by the rehearsal
	rehearse st/rh rds-snapshot-restore rds-snapshot-restore -p source_instance=shop-prod; expect_rc 0 $? "rehearsal"
	d=$(run_dir st/rh); has_reports "$d"
	jq -e '.mode == "rehearsal" and (.outputs.endpoint | test("rds.amazonaws.com"))
	       and any(.approvals[]; .step == "go" and .status == "approved" and .by != null and .at != null)' \
		"$d/report.json" >/dev/null || fail "report.json of a rehearsal: $(jq -c '{mode, outputs, approvals}' "$d/report.json")"
	grep -q '^| `endpoint` | shop-prod-restored\.' "$d/report.md" || fail "report.md without the restored endpoint"
	# a failed rehearsal with rollback: what was undone
	rehearse st/rhf full-environment-restore full-environment-db-stuck; expect_rc 1 $? "failed rehearsal"
	d=$(run_dir st/rhf); has_reports "$d"
	n=$(rb_done "$d")
	jq -e --argjson n "$n" '$n > 5 and .rollback.actions == $n and .rollback.succeeded == $n
	       and any(.next_steps[]; test("rollback undid .*: \($n) of \($n) rollback actions succeeded \\(undoing .*database.restore"))' \
		"$d/report.json" >/dev/null || fail "failed rehearsal ($n actions): $(jq -c '{r: (.rollback | del(.steps)), next_steps}' "$d/report.json")"
	# stopped at once, then resumed: the report follows; one that cannot be written warns
	cat >stop.yaml <<'YAML'
runbook: stop
steps:
  - id: one
    action: log
    with: {message: one}
  - id: pause
    needs: [one]
    action: sleep
    with: {duration: 5s}
  - id: two
    needs: [pause]
    action: log
    with: {message: two}
YAML
	"$RB" run --state-dir st/stop stop.yaml </dev/null >out 2>&1 &
	pid=$!
	for _ in $(seq 250); do grep -qs '"step_started".*"step":"pause"' st/stop/runs/*/journal.jsonl && break; sleep 0.02; done
	kill -TERM $pid; wait $pid; expect_rc 3 $? "stopped by SIGTERM"
	d=$(run_dir st/stop); has_reports "$d"
	jq -e '.status == "interrupted" and .signal == "SIGTERM" and any(.next_steps[]; test("runbook resume"))' \
		"$d/report.json" >/dev/null || fail "report of a stopped run: $(jq -c '{status, signal, next_steps}' "$d/report.json")"
	rm "$d/report.md"; mkdir "$d/report.md"     # cannot be replaced by a file
	"$RB" resume --state-dir st/stop "$(basename "$d")" </dev/null >out 2>err; expect_rc 0 $? "resume"
	grep -q "^runbook: warning: cannot write '.*report.md'" err || fail "no warning for the report that cannot be written: $(cat err)"
	jq -e '.status == "succeeded" and ([.steps[].status] | unique) == ["succeeded"]' "$d/report.json" >/dev/null ||
		fail "report.json after the resume: $(jq -c '{status, steps: [.steps[].status]}' "$d/report.json")"
	ok "run, failing run ($n rollback actions), rehearsals and resume write their reports"
	;;

xml)
	need_xmllint
	rehearse st/ok rds-snapshot-restore rds-snapshot-restore -p source_instance=shop-prod; expect_rc 0 $? "rehearsal"
	rehearse st/fail full-environment-restore full-environment-db-stuck; expect_rc 1 $? "failed rehearsal"
	rehearse st/each full-environment-restore full-environment; expect_rc 0 $? "for_each rehearsal"
	for st in ok fail each; do
		d=$(run_dir st/$st) id=$(basename "$(run_dir st/$st)")
		"$RB" show --state-dir st/$st "$id" --format svg >$st.svg || fail "show --format svg ($st)"
		"$RB" show --state-dir st/$st "$id" --format junit >$st.xml || fail "show --format junit ($st)"
		xml_ok $st.svg "the $st SVG"; xml_ok $st.xml "the $st JUnit"
		cmp -s $st.svg "$d/timeline.svg" || fail "show --format svg differs from the run folder's timeline.svg ($st)"
		"$RB" show --state-dir st/$st "$id" --format svg | cmp -s - $st.svg || fail "the SVG is not deterministic ($st)"
		ran=$(jq '[.steps[] | select(.status != "pending")] | length' "$d/report.json")
		bars=$(grep -c '<rect class="bar step"' $st.svg)
		[ "$bars" = "$ran" ] || fail "$st: $bars step bars for $ran steps that ran"
		rbars=$(grep -c '<rect class="bar rollback"' $st.svg)
		[ "$rbars" = "$(rb_done "$d")" ] || fail "$st: $rbars rollback bars for $(rb_done "$d") rollback actions"
		# one testcase per step, and rto and rpo when the runbook declares objectives
		tests=$(jq '(.steps | length) + (if .objectives then 2 else 0 end)' "$d/report.json")
		[ "$(grep -c '<testcase ' $st.xml)" = "$tests" ] || fail "$st: $(grep -c '<testcase ' $st.xml) testcases for $tests steps"
		# a failure per failed step, and per objective with a target not met (missed or
		# not measured)
		want=$(jq '([.steps[] | select(.status == "failed")] | length) +
			([.objectives | objects | .rto, .rpo | select(.objective_ms != null and .met != true)] | length)' "$d/report.json")
		[ "$(grep -c '<failure ' $st.xml)" = "$want" ] ||
			fail "$st: failures in the JUnit do not match the failed steps and objectives ($(grep -c '<failure ' $st.xml), want $want)"
		echo "$st: $bars step bars, $rbars rollback bars, $tests testcases"
	done
	grep -q 'class="poll"' ok.svg || fail "the waits' polls are not drawn"
	grep -q '<rect class="critical"' each.svg || fail "no critical path in the SVG"
	[ "$(grep -c '<rect class="bar rollback"' fail.svg)" -gt 5 ] || fail "the failed rehearsal's rollback is not drawn"
	# names are escaped: a journal whose names hold < & " (report_tool renders it)
	"$TOOL" "$SRC/tests/report/drill-objectives.jsonl" svg >names.svg || fail "report_tool svg"
	xml_ok names.svg "the SVG of names with < & \""
	grep -q 'find the snapshot &lt;latest&gt;' names.svg || fail "a step name is not escaped in the SVG"
	ok "SVG and JUnit well-formed, one bar per step and rollback action, deterministic"
	;;

objectives)
	need_xmllint
	j=$SRC/tests/report/drill-objectives.jsonl u=$SRC/tests/report/drill-unmeasured.jsonl
	for f in text json markdown junit svg; do
		"$TOOL" "$j" $f >met.$f || fail "report_tool $f"
		"$TOOL" "$u" $f >unm.$f || fail "report_tool $f (unmeasured)"
	done
	grep -q '^  rto: 12m49.0s achieved, objective 15m: met$' met.text || fail "text: rto: $(grep -A3 '^objectives' met.text)"
	grep -q '^  rpo: 23m achieved, objective 5m: MISSED$' met.text || fail "text: rpo"
	grep -q 'The RPO objective was missed' met.text || fail "text: the next steps say nothing of the missed RPO"
	grep -q "^  rto: - achieved, objective 15m: not measured (step 'promote' did not run)$" unm.text || fail "text: unmeasured rto: $(cat unm.text)"
	jq -e '.objectives.rto.met == true and .objectives.rto.achieved_ms == 769010 and .objectives.rpo.met == false
	       and .objectives.rpo.objective_ms == 300000' met.json >/dev/null || fail "json: $(jq -c .objectives met.json)"
	grep -q '^| RTO | 15m | 12m49.0s | met | restored: available |$' met.markdown || fail "markdown: RTO row: $(grep -A4 Objectives met.markdown)"
	grep -q '^| RPO | 5m | 23m | \*\*MISSED\*\* | ' met.markdown || fail "markdown: RPO row"
	grep -q '^| RTO | 15m | - | \*\*not measured\*\* | ' unm.markdown || fail "markdown: unmeasured RTO"
	xml_ok met.junit "JUnit"; xml_ok unm.junit "JUnit (unmeasured)"
	python3 - met.junit unm.junit <<'PY' || fail "junit objectives"
import sys, xml.etree.ElementTree as E
def cases(f):
    return {c.get("name"): c for c in E.parse(f).iter("testcase")}
m, u = cases(sys.argv[1]), cases(sys.argv[2])
assert m["rto"].get("classname") == "db-drill", "classname"
assert m["rto"].find("failure") is None, "met rto fails"
f = m["rpo"].find("failure")
assert f is not None and f.get("type") == "objective_missed" and "23m" in f.get("message") and "5m" in f.get("message"), "missed rpo"
f = u["rto"].find("failure")
assert f is not None and f.get("type") == "objective_not_measured", "unmeasured rto"
assert u["rpo"].find("skipped") is not None, "rpo without objective"
assert len(m) == 9, "7 steps and 2 objectives"
PY
	xml_ok met.svg "SVG"
	grep -q '<g class="rto">' met.svg && grep -q '>RTO 15m<' met.svg && grep -q 'restored 12m49.0s: met' met.svg ||
		fail "the SVG does not mark the RTO"
	ok "objectives met, missed and not measured in text, json, markdown, junit and svg"
	;;

secrets)
	need_xmllint
	secret='S3cr3t-Pa55word-x9'
	b64=$(printf %s "$secret" | base64)
	b64b=$(printf %s "$secret" | base64 | tr -d '=')
	rehearse st rds-snapshot-restore rds-snapshot-restore -p source_instance=shop-prod -p "db_password=$secret"
	expect_rc 0 $? "rehearsal with a secret"
	d=$(run_dir st) id=$(basename "$(run_dir st)")
	jq -e '.params.db_password == "***"' "$d/report.json" >/dev/null || fail "the secret param is not shown as ***"
	# a runbook that puts the secret everywhere a report reads: a log, an output, a
	# failing step's error (its stderr), a rollback's error
	cat >leaky.yaml <<'YAML'
runbook: leaky
params:
  pw: {type: string, secret: true}
outputs:
  token: .params.pw
  encoded: .params.pw | @base64
steps:
  - id: say
    action: log
    with: {message: "the password is ${{ .params.pw }}"}
    rollback:
      - action: exec
        with: {argv: [sh, -c, 'echo "undo with $1" >&2; exit 4', sh, "${{ .params.pw }}"], read_only: true}
  - id: fail
    needs: [say]
    action: exec
    with: {argv: [sh, -c, 'echo "bad password $1" >&2; exit 3', sh, "${{ .params.pw }}"], read_only: true}
YAML
	mkdir -p st2
	(cd "$SRC" && RUNBOOK_PARAM_PW=$secret "$RB" rehearse "$T/leaky.yaml" --scenario examples/scenarios/rds-snapshot-restore.yaml \
		--state-dir "$T/st2") </dev/null >out 2>&1
	expect_rc 3 $? "the leaky rehearsal (its rollback fails)"
	d2=$(run_dir st2) id2=$(basename "$(run_dir st2)")
	jq -e '.errors | length >= 2' "$d2/report.json" >/dev/null || fail "the leaky rehearsal has no errors to show"
	for f in text json markdown junit svg; do
		"$RB" show --state-dir st "$id" --format $f >show.$f || fail "show --format $f"
		"$RB" show --state-dir st2 "$id2" --format $f >show2.$f || fail "show --format $f (leaky)"
	done
	for f in "$d/report.md" "$d/report.json" "$d/timeline.svg" "$d2/report.md" "$d2/report.json" "$d2/timeline.svg" show.* show2.*; do
		grep -qF -e "$secret" -e "$b64" -e "$b64b" "$f" && fail "the secret (or its base64) is in $f"
	done
	ok "no secret value in report.md, report.json, timeline.svg or any show format"
	;;

golden)
	mkdir -p st/runs
	for d in "$SRC"/tests/report/runs/*/; do
		id=$(basename "$d")
		mkdir st/runs/"$id"
		cp "$d"/journal.jsonl "$d"/plan.json "$d"/params.json st/runs/"$id"/
		for p in json:report.json markdown:report.md svg:timeline.svg; do
			"$RB" show "$id" --format "${p%%:*}" --state-dir st >out 2>&1 ||
				fail "show $id --format ${p%%:*} failed"
			cmp -s out "$d/${p#*:}" || fail "show $id --format ${p%%:*} is not $id/${p#*:}: $(diff "$d/${p#*:}" out | head -5)"
		done
	done
	[ -n "${id:-}" ] || fail "no run folder in $SRC/tests/report/runs"
	ok "show of each stored run gives its report.json, report.md and timeline.svg byte for byte"
	;;

*)
	fail "unknown case"
	;;
esac
tap_done
