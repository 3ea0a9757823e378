#!/bin/bash
# The core actions through the whole interpreter: a runbook that calls http.request
# (against python3's http.server on a free loopback port), exec (argv, shell: true,
# parse: lines), sleep and log; the files the exec steps write prove what ran. Then
# --dry-run (mutating exec described, not run; GET still runs) and validation errors
# against the descriptors (exit 2, nothing runs).
set -u
rb=$1
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

mkdir -p "$tmp/www" "$tmp/out"
printf '{"status": "ok", "version": 7}\n' >"$tmp/www/health.json"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$tmp/www" >"$tmp/http.log" 2>&1 &
pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$tmp/http.log" | head -1)
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "cannot start python3 http.server"; cat "$tmp/http.log"; exit 1; }

cat >"$tmp/smoke.yaml" <<'YAML'
runbook: core-smoke
description: the core actions end to end
params:
  base: {type: string, required: true}
  dir:  {type: string, required: true}
steps:
  - id: health
    action: http.request
    with: {url: "${{ .params.base }}/health.json", timeout: 5s}
    outputs:
      version: .result.json.version
      status: .result.status
  - id: write
    action: exec
    with:
      argv: [sh, -c, 'printf "%s" "$1" > "$2"', sh, "${{ .steps.health.outputs.version }}", "${{ .params.dir }}/version.txt"]
  - id: append
    action: exec
    with:
      shell: true
      command: 'printf "%s\n" "$1" >> "$2"'
      argv: ["a b; not a command", "${{ .params.dir }}/shell.txt"]
  - id: nap
    action: sleep
    with: {duration: 100ms}
  - id: note
    action: log
    with: {message: "version ${{ .steps.health.outputs.version }}", level: warn}
  - id: listing
    action: exec
    with: {argv: [ls, "${{ .params.dir }}"], parse: lines, read_only: true}
    outputs:
      files: .result.lines
  - id: missing
    action: http.request
    with: {url: "${{ .params.base }}/nope.json", expect_status: [404]}
  - id: check
    assert:
      - that: .steps.listing.outputs.files == ["shell.txt", "version.txt"]
        message: "unexpected files ${{ .steps.listing.outputs.files }}"
      - that: .steps.health.outputs.status == 200
YAML

"$rb" run "$tmp/smoke.yaml" -p "base=http://127.0.0.1:$port" -p "dir=$tmp/out" \
	--state-dir "$tmp/state" --yes >"$tmp/run.out" 2>&1
rc=$?
[ $rc = 0 ] || { no "run exit $rc"; cat "$tmp/run.out"; }
[ "$(cat "$tmp/out/version.txt" 2>/dev/null)" = 7 ] || no "version.txt: $(cat "$tmp/out/version.txt" 2>&1)"
[ "$(cat "$tmp/out/shell.txt" 2>/dev/null)" = "a b; not a command" ] || no "shell.txt: $(cat "$tmp/out/shell.txt" 2>&1)"
grep -q "version 7" "$tmp/run.out" || { no "log line missing"; cat "$tmp/run.out"; }

# dry run: the GET runs, the mutating exec steps are only described
rm -f "$tmp/out/"*
"$rb" run "$tmp/smoke.yaml" -p "base=http://127.0.0.1:$port" -p "dir=$tmp/out" \
	--state-dir "$tmp/state" --dry-run >"$tmp/dry.out" 2>&1
[ -e "$tmp/out/version.txt" ] && no "dry run wrote version.txt"
[ -e "$tmp/out/shell.txt" ] && no "dry run wrote shell.txt"
[ "$(grep -c 'GET /health.json' "$tmp/http.log")" -ge 2 ] || no "dry run did not run the GET"
[ "$(grep -c 'would run /[^ ]*sh -c ' "$tmp/dry.out")" = 2 ] || { no "dry run did not describe both exec writes"; cat "$tmp/dry.out"; }

# the validator checks with: against the descriptors; nothing runs
cat >"$tmp/bad.yaml" <<YAML
runbook: core-bad
steps:
  - id: one
    action: exec
    with: {argvv: [touch, "$tmp/out/bad.txt"]}
  - id: two
    action: http.request
    with: {method: GET}
  - id: three
    action: sleep
    with: {duration: [1]}
  - id: four
    action: exce
    with: {argv: [true]}
YAML
"$rb" validate "$tmp/bad.yaml" >"$tmp/bad.out" 2>&1
rc=$?
[ $rc = 2 ] || no "validate bad.yaml exit $rc"
grep -q "argvv" "$tmp/bad.out" || no "no error for argvv"
grep -q "'argv'" "$tmp/bad.out" || no "no did-you-mean argv"
grep -q "url" "$tmp/bad.out" || no "no error for the missing url"
grep -q "duration" "$tmp/bad.out" || no "no error for the bad duration"
grep -q "did you mean 'exec'" "$tmp/bad.out" || no "no did-you-mean exec"
[ $fail = 0 ] || cat "$tmp/bad.out"
"$rb" run "$tmp/bad.yaml" --state-dir "$tmp/state" --yes >/dev/null 2>&1
rc=$?
[ $rc = 2 ] || no "run bad.yaml exit $rc"
[ -e "$tmp/out/bad.txt" ] && no "an invalid runbook ran a step"

[ $fail = 0 ] && echo "core actions through runbook run: all passed"
exit $fail
