#!/bin/bash
# runbook actions: list, one action, formats, unknown names (did-you-mean, exit 2)
set -u
rb=$1
fail=0
t() { # t NAME EXPECTED-EXIT COMMAND...: run, keep stdout/stderr in $out/$err
	local name=$1 want=$2; shift 2
	out=$("$@" 2>/tmp/actions_cli_err.$$); rc=$?
	err=$(cat /tmp/actions_cli_err.$$)
	if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, expected $want"; echo "$err"; fail=1; fi
}
has() { # has NAME TEXT PATTERN
	if ! grep -qE -- "$3" <<<"$2"; then echo "FAIL $1: no /$3/ in:"; echo "$2" | head -20; fail=1; fi
}

t list 0 "$rb" actions
has list "$out" '^core: '
has list "$out" '^  exec +depends +run a program'
has list "$out" '^  sleep +read-only '
has list "$out" '^  http\.request +depends '

t one 0 "$rb" actions exec
has one "$out" '^exec - run a program'
has one "$out" '^  argv +list +optional '
has one "$out" '^  expect_exit +list +default \[0\] '
has one "$out" 'mutating +depends on its arguments \(with the defaults: yes\)'
has one "$out" 'idempotent +no'

t http 0 "$rb" actions http.request
has http "$out" '^  url +string +required '
has http "$out" 'with the defaults: no'

t module 0 "$rb" actions core
has module "$out" '^  log '

t prefix 0 "$rb" actions http
has prefix "$out" '^http\.request +depends '

t typo 2 "$rb" actions exce
has typo "$err" "unknown action 'exce' \(did you mean 'exec'\?\)"
t typo2 2 "$rb" actions http.requst
has typo2 "$err" "did you mean 'http.request'"
t nothing-like-it 2 "$rb" actions zzzzzzzzzzzz
has nothing-like-it "$err" "unknown action 'zzzzzzzzzzzz'$"

t badformat 2 "$rb" actions --format yaml
has badformat "$err" "unknown format 'yaml'"
t badopt 2 "$rb" actions --frmat json
t two 2 "$rb" actions exec sleep
t man-one 2 "$rb" actions exec --format man
t help 0 "$rb" actions --help
has help "$out" 'usage: runbook actions'

if command -v jq >/dev/null 2>&1; then
	t json 0 "$rb" actions --format json
	v=$(jq -r '.modules[0].name + " " + (.modules[0].actions | map(.name) | join(","))' <<<"$out")
	[ "$v" = "core exec,sleep,log,http.request" ] || { echo "FAIL json: $v"; fail=1; }
	t json-one 0 "$rb" actions sleep --format=json
	v=$(jq -c '[.mutating, .idempotent, .args[0].name, .args[0].type, .args[0].required]' <<<"$out")
	[ "$v" = '[false,true,"duration","duration",true]' ] || { echo "FAIL json-one: $v"; fail=1; }
	t json-default 0 "$rb" actions http.request --format json
	v=$(jq -c '[.mutating, .mutating_by_default, (.args[] | select(.name == "expect_status") | .default)]' <<<"$out")
	[ "$v" = '["depends",false,[200]]' ] || { echo "FAIL json-default: $v"; fail=1; }
fi
rm -f /tmp/actions_cli_err.$$
[ $fail = 0 ] && echo "actions cli: all passed"
exit $fail
