#!/usr/bin/env bash
# No secret on a tape: a real run (`run --record`) with a secret param, an exec that
# prints it (as is, base64, hex) from its environment and a credential of the
# environment, and a rehearsal that reads a Secrets Manager value and writes it back
# (a mutating call whose arguments hold it). The tapes, the replays' reports and every
# run folder are scanned for every seeded value in every encoding (tests/secrets/scan.py):
# 0 hits. Each secret is a stable placeholder (the same one every time it appears), and
# the tapes replay with exit 0: placeholders compare equal.
set -uo pipefail
RUNBOOK=$(realpath "$1") SRC=$(realpath "$2")
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-replay-secrets
S=$T/state
seed() { awk -v n="$1" '$1 == n { sub(/^[^ ]+ /, ""); print; exit }' "$SRC/tests/secrets/seeds.txt"; }
mkdir -p "$T/out"

# ---- a real run: secret param, exec output, environment credential -------------
export RUNBOOK_PARAM_PW=$(seed PARAM_PW) AWS_SECRET_ACCESS_KEY=$(seed ENV_AWS)
cat > "$T/real.yaml" <<'Y'
runbook: tape-secrets
params:
  pw: {type: string, secret: true, required: true}
steps:
  - id: show
    action: exec
    with:
      argv: [sh, -c, 'printf "%s\n" "$S"; printf "%s" "$S" | base64; printf "%s" "$S" | od -An -tx1 | tr -d " \n"; echo; printf "%s\n" "$AWS_SECRET_ACCESS_KEY"']
      env: {S: "${{ .params.pw }}"}
  - id: again
    needs: [show]
    action: exec
    with:
      argv: [echo, "${{ .params.pw }}", "${{ .params.pw | @uri }}", "${{ .params.pw | @base64 }}"]
  - id: say
    needs: [again]
    action: log
    with: {message: "pw=${{ .params.pw }} out=${{ .steps.show.result.stdout }}"}
Y
"$RUNBOOK" run "$T/real.yaml" --state-dir "$S" --record "$T/out/real.tape" > "$T/out/run.out" 2>&1 < /dev/null
rc=$?
[ $rc = 0 ] && ok "run --record with secrets: exit 0" || bad "run --record: exit $rc" "$T/out/run.out"
# the exec saw the real value (the redaction is the tape's, not the run's)
grep -q '"step":"show"' "$T/out/real.tape" && ok "the exec's call is on the tape" || bad "exec call missing" "$T/out/real.tape"
python3 - "$T/out/real.tape" <<'P' > "$T/ph.err" 2>&1 && ok "secrets are stable placeholders: the param's placeholder is the same in the header and in every argument" || bad "placeholders" "$T/ph.err"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ph = lines[0]["params"]["pw"]
assert re.fullmatch(r"<secret:\d+>", ph), ph
calls = {c["step"]: c for c in lines if "seq" in c}
assert calls["show"]["args"]["env"]["S"] == ph, calls["show"]["args"]
assert calls["again"]["args"]["argv"][1] == ph, calls["again"]["args"]
out = calls["show"]["result"]["stdout"]
assert out.count("<secret:") >= 3, out        # as is, base64, hex
assert ph in out, out
P
unset RUNBOOK_PARAM_PW AWS_SECRET_ACCESS_KEY
"$RUNBOOK" replay "$T/out/real.tape" --state-dir "$S" > "$T/out/replay-real.txt" 2>&1 < /dev/null
rc=$?
[ $rc = 0 ] && ok "the real run's tape replays with exit 0 (placeholders compare equal)" || bad "replay real: exit $rc" "$T/out/replay-real.txt"
"$RUNBOOK" replay "$T/out/real.tape" --state-dir "$S" --format json > "$T/out/replay-real.json" 2>&1 < /dev/null

# ---- a rehearsal: a Secrets Manager value read and written back ----------------
cat > "$T/world.yaml" <<Y
scenario: tape-secrets
secrets:
  - name: app/db
    value: '$(seed SM_SECRET)'
  - name: app/copy
    value: 'old-value'
Y
cat > "$T/sm.yaml" <<'Y'
runbook: tape-sm
steps:
  - id: read
    action: secrets.get_value
    with: {secret: app/db}
  - id: copy
    needs: [read]
    action: secrets.put_value
    with: {secret: app/copy, value: "${{ .steps.read.result.SecretString }}"}
  - id: say
    needs: [copy]
    action: log
    with: {message: "b64=${{ .steps.read.result.SecretString | @base64 }} uri=${{ .steps.read.result.SecretString | @uri }}"}
Y
"$RUNBOOK" rehearse "$T/sm.yaml" --scenario "$T/world.yaml" --state-dir "$S" --record "$T/out/sm.tape" > "$T/out/rehearse.out" 2>&1 < /dev/null
rc=$?
[ $rc = 0 ] && ok "rehearse --record with a Secrets Manager value: exit 0" || bad "rehearse: exit $rc" "$T/out/rehearse.out"
python3 - "$T/out/sm.tape" <<'P' > "$T/ph2.err" 2>&1 && ok "the Secrets Manager value is one placeholder, in the read's answer and the write's arguments" || bad "sm placeholders" "$T/ph2.err"
import json, re, sys
calls = {c["step"]: c for c in map(json.loads, open(sys.argv[1])) if "seq" in c}
v = calls["read"]["result"]["SecretString"]
assert re.fullmatch(r"<secret:\d+>", v), v
assert calls["copy"]["args"]["value"] == v, calls["copy"]["args"]
P
"$RUNBOOK" replay "$T/out/sm.tape" --state-dir "$S" > "$T/out/replay-sm.txt" 2>&1 < /dev/null
rc=$?
[ $rc = 0 ] && ok "the rehearsal's tape replays with exit 0" || bad "replay sm: exit $rc" "$T/out/replay-sm.txt"

# ---- the scan: tapes, reports, run folders ---------------------------------------
cp -r "$S" "$T/out/state"
if python3 "$SRC/tests/secrets/scan.py" "$SRC/tests/secrets/seeds.txt" "$T/out" > "$T/scan.out" 2>&1; then
	ok "no seeded secret, in any encoding, in the tapes, the replays' reports or the run folders ($(find "$T/out" -type f | wc -l) files)"
else
	bad "secrets found" "$T/scan.out"
fi
# the scan sees them when they are there (a tape written without placeholders)
printf '%s %s\n' "$(seed SM_SECRET)" "$(printf '%s' "$(seed SM_SECRET)" | base64)" > "$T/leak.tape"
python3 "$SRC/tests/secrets/scan.py" "$SRC/tests/secrets/seeds.txt" "$T/leak.tape" > /dev/null 2>&1 &&
	bad "the scan misses a leaked value" || ok "the scan finds a value written in clear"

tap_done
