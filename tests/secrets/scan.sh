#!/usr/bin/env bash
# The secret scan: every path that writes something (run --output json and text,
# --record, a failing run with its rollback, a killed run and its resume, show in every
# format, history, plan, rehearse, sim serve --state-out with a Kubernetes Secret,
# k8s.backup, exec printing encoded secrets, http.request with a secret header, the
# prompt) runs with the seeded values of seeds.txt, given as secret params (from the
# environment, a file, the prompt and, once, the command line), as credentials in the
# environment, as a Kubernetes Secret and a Secrets Manager value. Then scan.py looks
# for every seed, in every encoding, in every file written: 0 hits. The only files that
# may hold a seed are the secret's own stores (backups, the simulator's world), 0600.
RUNBOOK=$1 SRC=$2
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"
if [ -n "${SCAN_KEEP:-}" ]; then T=$(mktemp -d); diag "kept $T"; else tap_tmpdir rb-scan; fi
PIDS=()
stop_sims() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
tap_cleanup stop_sims
seed() { awk -v n="$1" '$1 == n { sub(/^[^ ]+ /, ""); print; exit }' "$HERE/seeds.txt"; }
O=$T/out S=$T/state
mkdir -p "$O"
umask 022

# credentials of the environment: expressions see them through $ENV and env
export AWS_SECRET_ACCESS_KEY=$(seed ENV_AWS) AWS_SESSION_TOKEN=$(seed ENV_TOKEN) PGPASSWORD=$(seed ENV_PG)
export AWS_ACCESS_KEY_ID=AKIDSCANTEST AWS_REGION=us-east-1
# secret params: from the environment and from a file (never the command line)
export RUNBOOK_PARAM_PW=$(seed PARAM_PW) RUNBOOK_PARAM_API_KEY=$(seed PARAM_API)
printf '%s\n' "$(seed PARAM_FILE)" > "$T/file_pw"
chmod 600 "$T/file_pw"

# the simulator: a Kubernetes Secret and a Secrets Manager value with seeded values
sed "s/correct-horse-battery/$(seed K8S_SECRET)/" "$SRC/examples/scenarios/k8s-ecommerce.yaml" > "$T/k8s.yaml"
cat >> "$T/k8s.yaml" <<YAML
secrets:
  - name: app/db
    value: '{"username": "app", "password": "$(seed SM_SECRET)"}'
YAML
"$RUNBOOK" sim serve --scenario "$T/k8s.yaml" --speed 30 --kubeconfig-out "$T/kc" \
	--state-out "$O/world.json" > "$T/sim.out" 2> "$O/sim.log" &
SIM=$!
PIDS+=($SIM)
for _ in $(seq 100); do [ "$(cat "$T/sim.out" 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1; done
AWS=$(head -1 "$T/sim.out")
[ -n "$AWS" ] || { bad "simulator did not start" "$O/sim.log"; bail_out "no simulator"; }
export AWS_ENDPOINT_URL=$AWS

cat > "$T/main.yaml" <<'YAML'
runbook: secret-scan
params:
  pw: {type: string, secret: true, required: true}
  api_key: {type: string, secret: true, required: true}
  file_pw: {type: string, secret: true, required: true}
  user: {type: string, default: appuser}
  url: {type: string, required: true}
  fail: {type: bool, default: false}
  nap: {type: duration, default: 0s}
steps:
  - id: from_file
    assert:
      - that: (.params.file_pw | test("\n") | not) and (.params.file_pw | length) == 21
        message: "-p NAME@FILE keeps the trailing newline"
  - id: encodings
    action: log
    with:
      message: >-
        uri=${{ .params.pw | @uri }} basic=${{ "root:" + .params.pw | @base64 }}
        bob=${{ "bob:" + .params.pw | @base64 }} user=${{ .params.user + ":" + .params.pw | @base64 }}
        json=${{ {p: .params.pw} | tojson }} low=${{ .params.pw | ascii_downcase }}
        slice=${{ .params.pw[3:] }} sh=${{ .params.pw | @sh }} file=${{ .params.file_pw | @uri }}
        url64=${{ .params.pw | @base64 | gsub("\\+"; "-") | gsub("/"; "_") }}
  - id: env
    action: log
    with:
      message: >-
        aws=${{ $ENV.AWS_SECRET_ACCESS_KEY | @base64 }} tok=${{ env.AWS_SESSION_TOKEN | @uri }}
        pg=${{ env.PGPASSWORD }} ${{ $ENV.PGPASSWORD | tojson }} ${{ "x:" + env.PGPASSWORD | @base64 }}
  - id: echo
    action: exec
    with:
      argv:
        - sh
        - -c
        - >-
          printf "root:%s" "$PW" | base64; printf "bob:%s" "$PW" | base64;
          printf "%s" "$PW" | base64; printf "%s\n" "$PW";
          printf "%s" "$PW" | od -An -tx1 | tr -d " \n"; echo;
          printf "%s" "$PW" | jq -sRr @uri; echo "$AWS_SECRET_ACCESS_KEY";
          printf "x:%s" "$PGPASSWORD" | base64; printf "%s" "$FILEPW" | base64
      env: {PW: "${{ .params.pw }}", FILEPW: "${{ .params.file_pw }}"}
    outputs:
      first: .result.stdout | split("\n") | .[0]
      upper: .result.stdout | ascii_upcase
  - id: call
    action: http.request
    with:
      url: "${{ .params.url }}"
      headers:
        Authorization: "Bearer ${{ .params.api_key }}"
        X-Basic: "Basic ${{ \"user:\" + .params.api_key | @base64 }}"
  - id: mark
    action: exec
    with: {argv: ["true"]}
    rollback:
      - action: log
        with: {message: "undo with ${{ .params.pw | @uri }} and ${{ \"admin:\" + .params.pw | @base64 }}"}
  - id: nap
    action: sleep
    with: {duration: "${{ .params.nap }}"}
  - id: boom
    when: .params.fail
    action: exec
    with:
      argv: [sh, -c, 'echo "failing with $PW" >&2; exit 3']
      env: {PW: "${{ .params.pw }}"}
outputs:
  enc: .params.pw | @uri
  b64: '"root:" + .params.pw | @base64'
  low: .steps.echo.outputs.upper
YAML

rb() { "$RUNBOOK" "$@" --state-dir "$S"; }
common=(-p file_pw@"$T/file_pw" -p url="$AWS/_sim/counters")

# run: json and text, recorded
rb run "$T/main.yaml" "${common[@]}" --output json --record "$O/tape.jsonl" > "$O/run.json" 2> "$O/run.json.err" \
	&& ok "run (json)" || not_ok "run (json) exit $?: $(tail -3 "$O/run.json.err")"
rb run "$T/main.yaml" "${common[@]}" > "$O/run.txt" 2> "$O/run.txt.err" \
	&& ok "run (text)" || not_ok "run (text) exit $?: $(tail -3 "$O/run.txt.err")"
grep -q '\*\*\*' "$O/run.txt" && ok "masks shown" || not_ok "no mask in the text output"

# a failing run: its rollback uses the secret too
rc=0; rb run "$T/main.yaml" "${common[@]}" -p fail=true > "$O/fail.txt" 2> "$O/fail.err" || rc=$?
[ "$rc" = 1 ] && ok "failing run rolled back" || not_ok "failing run: exit $rc: $(tail -3 "$O/fail.err")"

# a secret on the command line: works, with a warning that does not repeat it
rc=0; rb run "$T/main.yaml" "${common[@]}" -p "pw=$RUNBOOK_PARAM_PW" > "$O/cmdline.txt" 2> "$O/cmdline.err" || rc=$?
[ "$rc" = 0 ] && grep -q "warning: secret param 'pw' given on the command line" "$O/cmdline.err" \
	&& ok "warning for -p pw=..." || not_ok "no warning for a secret on the command line (exit $rc): $(cat "$O/cmdline.err")"

# killed in the middle (kill -9), resumed with the secrets from the environment again
# runbook itself in the background (not the rb function's subshell): kill -9 must reach it
"$RUNBOOK" run "$T/main.yaml" "${common[@]}" -p nap=2s --output json --state-dir "$S" > "$O/killed.json" 2> "$O/killed.err" &
KP=$!
for _ in $(seq 200); do grep -q '"step":"nap"' "$O/killed.json" 2>/dev/null && break; sleep 0.05; done
kill -9 $KP 2>/dev/null || true
wait $KP 2>/dev/null || true
RID=$(sed -n 's/.*"event":"run_started"[^}]*"run":"\([^"]*\)".*/\1/p' "$O/killed.json" | head -1)
if [ -z "$RID" ]; then
	not_ok "no run id for the killed run"
else
	rc=0; rb resume "$RID" -p file_pw@"$T/file_pw" --output json > "$O/resume.json" 2> "$O/resume.err" || rc=$?
	[ "$rc" = 0 ] && ok "resume" || not_ok "resume: exit $rc: $(tail -3 "$O/resume.err")"
fi

# the prompt: a required secret param with nothing given, stdin a terminal
env -u RUNBOOK_PARAM_PW python3 - "$RUNBOOK" "$T/main.yaml" "$S" "$(seed PARAM_PROMPT)" "$O/prompt.tty" \
	"$T/file_pw" "$AWS/_sim/counters" <<'PY' && ok "prompt without echo" || not_ok "prompt"
import os, pty, sys, time
rb, main, state, secret, out, fpw, url = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(rb, [rb, "run", main, "--state-dir", state, "-p", "file_pw@" + fpw, "-p", "url=" + url])
buf = b""
def read_until(token, limit=20):
    global buf
    end = time.time() + limit
    while token not in buf and time.time() < end:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        buf += data
    return token in buf
ok = read_until(b"secret param 'pw'")
os.write(fd, secret.encode() + b"\n")
read_until(b"\x00never")
_, status = os.waitpid(pid, 0)
open(out, "wb").write(buf)
code = os.waitstatus_to_exitcode(status)
if not ok or code != 0:
    sys.stderr.write("prompt run: exit %d, prompt seen %s\n%s\n" % (code, ok, buf.decode(errors="replace")[-500:]))
    sys.exit(1)
PY

# rehearse: Secrets Manager and Kubernetes values, an assert that fails and rolls back
cat > "$T/reh.yaml" <<'YAML'
runbook: scan-rehearse
params:
  pw: {type: string, secret: true, required: true}
steps:
  - id: sm
    action: secrets.get_value
    with: {secret: app/db}
    outputs:
      pw: .result.SecretString | fromjson | .password
  - id: k
    action: k8s.get
    with: {kind: Secret, name: db-credentials, namespace: shop}
    outputs:
      pw: .result.data.DATABASE_PASSWORD | @base64d | ascii_downcase
  - id: say
    action: log
    with: {message: "sm=${{ .steps.sm.outputs.pw | @uri }} ${{ \"bob:\" + .steps.sm.outputs.pw | @base64 }} k=${{ .steps.k.outputs.pw }} p=${{ .params.pw | ascii_upcase }}"}
    rollback:
      - action: log
        with: {message: "undo ${{ .steps.sm.outputs.pw | tojson }}"}
  - id: check
    assert:
      - that: .steps.sm.outputs.pw == "x"
        message: "the password ${{ .steps.sm.outputs.pw | @uri }} is not x"
YAML
for fmt in text json; do
	rc=0; rb rehearse "$T/reh.yaml" --scenario "$T/k8s.yaml" --output $fmt > "$O/rehearse.$fmt" 2> "$O/rehearse.$fmt.err" || rc=$?
	[ "$rc" = 1 ] && ok "rehearse $fmt (assert fails, rolled back)" || not_ok "rehearse: exit $rc: $(tail -3 "$O/rehearse.$fmt.err")"
done

# Kubernetes against sim serve: a Secret read, backed up, overwritten
cat > "$T/k8s-rb.yaml" <<'YAML'
runbook: scan-k8s
params:
  kubeconfig: {type: string, required: true}
  newpw: {type: string, secret: true, required: true}
  bdir: {type: string, required: true}
connections:
  k8s: {kubeconfig: "${{ .params.kubeconfig }}", namespace: shop}
steps:
  - id: get
    action: k8s.get
    with: {kind: Secret, name: db-credentials}
    outputs:
      pw: .result.data.DATABASE_PASSWORD | @base64d
  - id: backup
    action: k8s.backup
    with: {kinds: [Secret, ConfigMap]}
  - id: backup2
    action: k8s.backup
    with: {kinds: [Secret], dir: "${{ .params.bdir }}"}
  - id: set
    action: k8s.secret_set
    with: {name: db-credentials, data: {DATABASE_PASSWORD: "${{ .params.newpw }}"}}
  - id: say
    action: log
    with: {message: "old=${{ .steps.get.outputs.pw | @uri }} ${{ \"bob:\" + .steps.get.outputs.pw | @base64 }}"}
YAML
RUNBOOK_PARAM_NEWPW=$(seed K8S_SET) rb run "$T/k8s-rb.yaml" -p kubeconfig="$T/kc" -p bdir="$T/bk" --output json \
	> "$O/k8s.json" 2> "$O/k8s.err" && ok "k8s run" || not_ok "k8s run: $(tail -3 "$O/k8s.err")"
kill -TERM $SIM; wait $SIM 2>/dev/null || true
[ -s "$O/world.json" ] && ok "world written" || not_ok "no world from sim serve --state-out"

# plan, history, show in every format for every run
rb plan "$T/main.yaml" "${common[@]}" > "$O/plan.txt" 2>&1 || not_ok "plan"
rb plan "$T/main.yaml" "${common[@]}" --format json > "$O/plan.json" 2>&1 || not_ok "plan json"
rb history > "$O/history.txt" 2>&1 || not_ok "history"
rb history --format json > "$O/history.json" 2>&1 || not_ok "history json"
# every format for the failing, resumed and Kubernetes runs (the richest), json for all
n=0
for d in "$S"/runs/*/; do
	id=$(basename "$d")
	formats=json
	grep -q '"status":"failed"\|"event":"run_resumed"\|k8s\.backup' "$d/journal.jsonl" 2>/dev/null \
		&& formats="text json markdown junit"
	for f in $formats; do
		rb show "$id" --format "$f" > "$O/show-$id.$f" 2>&1 || not_ok "show $id --format $f"
	done
	n=$((n + 1))
done
[ "$n" -ge 7 ] && ok "$n runs shown" || not_ok "only $n runs"

# the scan: every file written, the backups and the world allowed (0600) as the stores
allow=()
while IFS= read -r f; do allow+=(--allow "$f"); done < <(find "$S" "$T/bk" -path '*k8s-backup*' -type f -o -path "$T/bk/*" -type f)
allow+=(--allow "$O/world.json")
for f in "${allow[@]}"; do
	[ "$f" = --allow ] && continue
	m=$(stat -c %a "$f")
	[ "$m" = 600 ] || not_ok "$f holds Secret data with mode $m"
done
[ "$(stat -c %a "$T/bk")" = 700 ] || not_ok "backup folder mode $(stat -c %a "$T/bk")"
if python3 "$HERE/scan.py" "${allow[@]}" "$HERE/seeds.txt" "$O" "$S"; then
	ok "0 hits"
else
	not_ok "secrets found (above)"
fi
tap_done
