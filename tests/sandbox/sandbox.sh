#!/bin/bash
# The rehearsal sandbox (DESIGN.md "Rehearsals you can trust", runbook-scenario(5) EXEC
# AND HTTP IN REHEARSALS): a mutating exec with no scenario rule is refused before
# anything runs (exit 2, every such step named, located, nothing ran), a stub answers
# without running, run: true runs; every exec sees the simulator's environment and
# none of the operator's (AWS_PROFILE, endpoint, keys, HOME, ~/.aws, KUBECONFIG,
# PGPASSWORD); `aws rds` (the CLI v1 sends it to rds.amazonaws.com in us-east-1 whatever
# AWS_ENDPOINT_URL says) and kubectl in an exec step reach the simulator; http.request to
# a host that is not loopback is refused without an http: rule and stubbed with one,
# a loopback one is sent, and a redirect away from loopback is stopped; `sim check`
# reports mistakes in the rules, located.
set -u
RUNBOOK=${1:?}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
SRCDIR=${2:?}
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-sandbox
srv=
stop_srv() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; }
tap_cleanup stop_srv

# the operator's world: credentials, profile, endpoint, kubeconfig, a HOME with ~/.aws
mkdir -p "$T/operator/.aws" "$T/operator/.kube"
printf '[default]\naws_access_key_id = AKIAOPERATORFILE\naws_secret_access_key = operator-file-secret\n' \
	>"$T/operator/.aws/credentials"
echo 'apiVersion: v1' >"$T/operator/.kube/config"
echo '*:*:*:*:operator-pg-secret' >"$T/operator/.pgpass"
chmod 600 "$T/operator/.pgpass"
operator_env=(HOME="$T/operator" AWS_PROFILE=operator-prod AWS_DEFAULT_PROFILE=operator-prod
	AWS_ENDPOINT_URL=http://prod.invalid:1 AWS_ENDPOINT_URL_RDS=http://prod.invalid:2
	AWS_ACCESS_KEY_ID=AKIAOPERATOR AWS_SECRET_ACCESS_KEY=operator-secret AWS_SESSION_TOKEN=operator-token
	AWS_CONFIG_FILE="$T/operator/.aws/config" AWS_SHARED_CREDENTIALS_FILE="$T/operator/.aws/credentials"
	AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.2/creds AWS_WEB_IDENTITY_TOKEN_FILE=/operator/token
	AWS_ROLE_ARN=arn:aws:iam::111111111111:role/prod AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1
	KUBECONFIG="$T/operator/.kube/config" PGPASSWORD=operator-pg-secret PGHOST=prod-db.invalid)

cat >"$T/world.yaml" <<'EOF'
scenario: sandbox
rds:
  instances:
    - {id: sandbox-db, engine: postgres}
k8s:
  namespace: shop
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: sandbox-web, namespace: shop, labels: {app: web}}
      spec:
        replicas: 1
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: web, image: "nginx:1.25"}]}
EOF
# world.yaml plus rules (the rest of the file is given)
scenario() { cat "$T/world.yaml" - >"$T/$1"; }
rehearse() {   # rehearse NAME RUNBOOK SCENARIO: exit code in $rc, json events in $T/NAME.out
	env "${operator_env[@]}" "$RUNBOOK" rehearse "$T/$2" --scenario "$T/$3" --state-dir "$T/state-$1" \
		--output json >"$T/$1.out" 2>"$T/$1.err"
	rc=$?
}
output() { jq -r "select(.event == \"run_finished\") | .outputs.$2" "$T/$1.out"; }

# ---- a mutating exec without a rule: refused before anything runs, every step named
cat >"$T/mutating.yaml" <<EOF
runbook: sandbox-mutating
steps:
  - id: first
    action: exec
    with: {argv: [touch, "$T/marker-first"]}
  - id: copy
    action: exec
    with: {argv: [kubectl, cp, /etc/hostname, "shop/web-0:/tmp/x"]}
    rollback:
      - id: uncopy
        action: exec
        with: {argv: [rm, -f, "$T/marker-rollback"]}
  - id: child
    uses: $T/child.yaml
  - id: templated
    action: exec
    with: {argv: ["\${{ .steps.first.result.stdout }}"]}
EOF
cat >"$T/child.yaml" <<EOF
runbook: sandbox-child
steps:
  - id: inner
    action: exec
    with: {argv: [touch, "$T/marker-child"]}
EOF
scenario none.yaml </dev/null
rehearse refused mutating.yaml none.yaml
check "a mutating exec with no rule: exit 2" 2 $rc
for step in "step 'first'" "step 'copy'" "rollback step 'uncopy' of 'copy'" "step 'child.inner'" "step 'templated'"; do
	grep -q "error: $step runs a mutating exec" "$T/refused.err" && ok "refusal names $step" ||
		bad "refusal does not name $step: $(cat "$T/refused.err")"
done
grep -q "^$T/mutating.yaml:5:18: error: step 'first'" "$T/refused.err" && ok "the refusal is located (file:line:col)" ||
	bad "refusal not located: $(head -3 "$T/refused.err")"
grep -q "only known when it runs" "$T/refused.err" && ok "a templated program: says why" || bad "templated argv[0] reason missing"
[ ! -e "$T/marker-first" ] && [ ! -e "$T/marker-child" ] && ok "nothing ran" || bad "a refused rehearsal ran a step"
[ ! -s "$T/refused.out" ] && ok "no run was started" || bad "events were written: $(head -2 "$T/refused.out")"

# ---- rules: stub answers without running, run: true runs, read-only runs
cat >"$T/rules.yaml" <<EOF
runbook: sandbox-rules
steps:
  - id: stubbed
    action: exec
    with: {argv: [touch, "$T/marker-stub"], expect_exit: [3], parse: json}
  - id: ran
    action: exec
    with: {argv: [sh, -c, 'echo ran >"\$1"; echo done', sh, "$T/marker-run"]}
  - id: looked
    action: exec
    with: {argv: [cat, "$T/marker-run"], read_only: true}
outputs:
  stub_stdout: .steps.stubbed.result.json.copied
  stub_stderr: .steps.stubbed.result.stderr
  stub_exit: .steps.stubbed.result.exit_code
  ran: .steps.ran.result.stdout
  looked: .steps.looked.result.stdout
EOF
scenario rules-world.yaml <<EOF
exec:
  - argv: [touch]
    stub: {exit_code: 3, stdout: '{"copied": 42}', stderr: "stubbed"}
  - {argv: [sh, -c], run: true}
EOF
rehearse rules rules.yaml rules-world.yaml
check "rules: the rehearsal succeeds" 0 $rc
check "a stub's stdout is the result (parsed)" 42 "$(output rules stub_stdout)"
check "a stub's stderr" stubbed "$(output rules stub_stderr)"
check "a stub's exit code (expect_exit applies)" 3 "$(output rules stub_exit)"
[ ! -e "$T/marker-stub" ] && ok "a stubbed exec did not run" || bad "the stubbed touch ran"
check "run: true runs" "ran" "$(cat "$T/marker-run" 2>/dev/null)"
check "a read-only exec runs" "ran" "$(output rules looked | tr -d '\n')"
[ $rc -eq 0 ] || cat "$T/rules.err"

# ---- the environment of an exec step: the simulator's, none of the operator's
cat >"$T/env.yaml" <<'EOF'
runbook: sandbox-env
steps:
  - id: env
    action: exec
    with: {argv: [env], read_only: true, parse: lines}
  - id: forced
    action: exec
    with:
      argv: [env]
      read_only: true
      parse: lines
      env: {AWS_PROFILE: from-step, HOME: /root, KUBECONFIG: /root/.kube/config, AWS_ENDPOINT_URL: "http://prod.invalid:3", STEP_VAR: kept}
  - id: home
    action: exec
    with: {argv: [sh, -c, 'ls -A "$HOME"; test ! -e "$HOME/.aws/credentials" && test ! -e "$HOME/.pgpass" && test ! -e "$HOME/.kube/config" && echo clean'], read_only: true}
outputs:
  env: .steps.env.result.lines
  forced: .steps.forced.result.lines
  home: .steps.home.result.stdout
EOF
rehearse env env.yaml none.yaml
check "env: the rehearsal succeeds" 0 $rc
jq -r 'select(.event == "run_finished") | .outputs.env[]' "$T/env.out" >"$T/env.txt"
jq -r 'select(.event == "run_finished") | .outputs.forced[]' "$T/env.out" >"$T/forced.txt"
val() { sed -n "s|^$1=||p" "$2"; }
for v in AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_CONTAINER_CREDENTIALS_FULL_URI \
	AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN PGPASSWORD PGHOST; do
	[ -z "$(val $v "$T/env.txt")" ] && ok "the operator's $v is not visible" || bad "$v visible: $(val $v "$T/env.txt")"
done
grep -q "operator\|AKIAOPERATOR\|prod.invalid" "$T/env.txt" && bad "something of the operator's is visible: $(grep "operator\|prod.invalid" "$T/env.txt")" ||
	ok "no value of the operator's is visible"
case $(val AWS_ENDPOINT_URL "$T/env.txt") in http://127.0.0.1:*) ok "AWS_ENDPOINT_URL is the simulator's" ;;
	*) bad "AWS_ENDPOINT_URL: $(val AWS_ENDPOINT_URL "$T/env.txt")" ;; esac
check "AWS_ENDPOINT_URL_RDS too" "$(val AWS_ENDPOINT_URL "$T/env.txt")" "$(val AWS_ENDPOINT_URL_RDS "$T/env.txt")"
check "AWS_ENDPOINT_URL_SECRETS_MANAGER too" "$(val AWS_ENDPOINT_URL "$T/env.txt")" "$(val AWS_ENDPOINT_URL_SECRETS_MANAGER "$T/env.txt")"
check "the simulator's access key" AKIDREHEARSAL "$(val AWS_ACCESS_KEY_ID "$T/env.txt")"
check "the scenario's region" us-east-1 "$(val AWS_REGION "$T/env.txt")"
check "AWS_EC2_METADATA_DISABLED" true "$(val AWS_EC2_METADATA_DISABLED "$T/env.txt")"
check "RUNBOOK_REHEARSAL" 1 "$(val RUNBOOK_REHEARSAL "$T/env.txt")"
home=$(val HOME "$T/env.txt")
[ -n "$home" ] && [ "$home" != "$T/operator" ] && ok "HOME is not the operator's" || bad "HOME: $home"
case $home in "$T/state-env/"*) ok "HOME is under the run's state" ;; *) bad "HOME not under the state dir: $home" ;; esac
[ ! -e "$home" ] && ok "the sandbox HOME is removed after the rehearsal" || bad "sandbox HOME left behind"
check "KUBECONFIG is the simulated API's" "$T/state-env/rehearsal.kubeconfig" "$(val KUBECONFIG "$T/env.txt")"
case $(val PGPASSFILE "$T/env.txt") in "$home"/*) ok "PGPASSFILE points into the empty HOME" ;; *) bad "PGPASSFILE: $(val PGPASSFILE "$T/env.txt")" ;; esac
check "the operator's ~/.aws, ~/.pgpass, ~/.kube are not in HOME" clean "$(output env home | grep -x clean)"
check "a step's env cannot set AWS_PROFILE" "" "$(val AWS_PROFILE "$T/forced.txt")"
check "a step's env cannot set HOME" "$home" "$(val HOME "$T/forced.txt")"
check "a step's env cannot set KUBECONFIG" "$T/state-env/rehearsal.kubeconfig" "$(val KUBECONFIG "$T/forced.txt")"
check "a step's env cannot set AWS_ENDPOINT_URL" "$(val AWS_ENDPOINT_URL "$T/env.txt")" "$(val AWS_ENDPOINT_URL "$T/forced.txt")"
check "a step's other variables are kept" kept "$(val STEP_VAR "$T/forced.txt")"
[ $rc -eq 0 ] || cat "$T/env.err"

# ---- the real AWS CLI and kubectl in exec steps reach the simulator
if command -v aws >/dev/null 2>&1; then
	cat >"$T/aws.yaml" <<'EOF'
runbook: sandbox-aws
steps:
  - id: rds
    action: exec
    with: {argv: [aws, rds, describe-db-instances], read_only: true, parse: json, timeout: 2m}
  - id: region
    action: exec
    with: {argv: [aws, --region, us-east-1, rds, describe-db-instances, --db-instance-identifier, sandbox-db], read_only: true, parse: json, timeout: 2m}
outputs:
  ids: .steps.rds.result.json.DBInstances | map(.DBInstanceIdentifier) | join(",")
  one: .steps.region.result.json.DBInstances[0].DBInstanceIdentifier
EOF
	rehearse aws aws.yaml none.yaml
	check "aws rds describe-db-instances (us-east-1) reaches the simulator" sandbox-db "$(output aws ids)"
	check "aws --region us-east-1 rds ... too" sandbox-db "$(output aws one)"
	[ $rc -eq 0 ] || tail -20 "$T/aws.err"
else
	# CI installs it (scripts/setup.sh): there, its absence is a failure, not a skip
	if [ -n "${CI:-}" ]; then check "aws CLI on PATH (CI)" present missing; else skip "aws CLI on PATH" "no aws CLI on PATH"; fi
fi
if command -v kubectl >/dev/null 2>&1; then
	cat >"$T/kubectl.yaml" <<'EOF'
runbook: sandbox-kubectl
steps:
  - id: get
    action: exec
    with: {argv: [kubectl, get, deployments, -n, shop, -o, json], read_only: true, parse: json, timeout: 2m}
outputs:
  names: .steps.get.result.json.items | map(.metadata.name) | join(",")
EOF
	rehearse kubectl kubectl.yaml none.yaml
	check "kubectl get deployments reaches the simulated API" sandbox-web "$(output kubectl names)"
	[ $rc -eq 0 ] || tail -20 "$T/kubectl.err"
else
	# CI installs it (scripts/setup.sh): there, its absence is a failure, not a skip
	if [ -n "${CI:-}" ]; then check "kubectl on PATH (CI)" present missing; else skip "kubectl on PATH" "no kubectl on PATH"; fi
fi

# ---- http.request: refused without a rule, stubbed with one, loopback sent
cat >"$T/http.yaml" <<'EOF'
runbook: sandbox-http
params:
  hook: {type: string, default: "https://hooks.slack.invalid/services/T0/B0"}
steps:
  - id: notify
    action: http.request
    with: {method: POST, url: "${{ .params.hook }}", json: {text: restored}}
  - id: status
    action: http.request
    with: {url: "https://status.invalid/api/v1/health"}
outputs:
  body: .steps.notify.result.body
  status: .steps.notify.result.status
  json: .steps.status.result.json.ok
EOF
rehearse http-refused http.yaml none.yaml
check "http.request to a host that is not loopback, no rule: exit 2" 2 $rc
grep -q "step 'notify' sends POST https://hooks.slack.invalid/services/T0/B0, not to a loopback host" "$T/http-refused.err" &&
	grep -q "step 'status' sends GET https://status.invalid" "$T/http-refused.err" && ok "the refusal names both steps" ||
	bad "http refusal: $(cat "$T/http-refused.err")"
scenario http-world.yaml <<'EOF'
http:
  - {url: "https://hooks.slack.invalid/", method: POST, reply: {status: 201, body: "ok"}}
  - {url: "https://status.invalid/api/", reply: {json: {ok: true}}}
EOF
sed -i 's/  - id: status/  - id: status\n    needs: []/' "$T/http.yaml"
sed -i 's|with: {method: POST, url: "\${{ .params.hook }}", json: {text: restored}}|with: {method: POST, url: "${{ .params.hook }}", json: {text: restored}, expect_status: [201]}|' "$T/http.yaml"
rehearse http http.yaml http-world.yaml
check "http: stubbed replies: exit 0" 0 $rc
check "the stub's body" ok "$(output http body)"
check "the stub's status" 201 "$(output http status)"
check "a stub's json reply is parsed" true "$(output http json)"
[ $rc -eq 0 ] || cat "$T/http.err"

# a loopback server: sent; one that redirects to a host that is not loopback: stopped
ip=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -v '^127\.' | grep '^[0-9.]*$' | head -1)
python3 - "$T/port" "${ip:-127.0.0.1}" <<'EOF' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", "http://%s:%d/hit-away" % (sys.argv[2], self.server.server_port))
            self.end_headers()
            return
        if self.path == "/hit-away":
            open(sys.argv[1] + ".away", "w").write("reached")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"local")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("0.0.0.0", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_port))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
EOF
srv=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(cat "$T/port" 2>/dev/null)
cat >"$T/local.yaml" <<EOF
runbook: sandbox-local
steps:
  - id: local
    action: http.request
    with: {url: "http://127.0.0.1:$port/hello"}
  - id: away
    critical: false
    action: http.request
    with: {url: "http://127.0.0.1:$port/away", follow_redirects: true}
outputs:
  body: .steps.local.result.body
EOF
rehearse local local.yaml none.yaml
check "a loopback http.request is sent" local "$(output local body)"
if [ -n "$ip" ]; then
	jq -r 'select(.event == "step_finished" and .step == "away") | .error.message // .error' "$T/local.out" >"$T/away.txt"
	grep -q "not loopback" "$T/away.txt" && ok "a redirect to $ip (not loopback) is stopped" || bad "redirect: $(cat "$T/away.txt")"
	[ ! -e "$T/port.away" ] && ok "nothing reached the host that is not loopback" || bad "the redirect reached $ip"
fi

# ---- sim check: mistakes in the rules, located
cat >"$T/bad-rules.yaml" <<'EOF'
scenario: bad-rules
exec:
  - {argv: kubectl, run: true}
  - {argv: [kubectl, cp], run: true, stub: {exit_code: 0}}
  - {argv: [pg_restore]}
  - {argv: [rm], run: false}
  - {argv: [tar], stub: {exit_code: 300, stdot: x}}
  - {argv: [], run: true}
http:
  - {url: "hooks.slack.com", reply: {status: 200}}
  - {url: "https://a.invalid/", method: "PO ST", reply: {status: 99, body: x, json: {}}}
  - {url: "https://b.invalid/"}
  - {url: "https://c.invalid/", reply: {}, methd: GET}
EOF
"$RUNBOOK" sim check --scenario "$T/bad-rules.yaml" >"$T/check.out" 2>&1
check "sim check: bad rules exit 2" 2 $?
while IFS= read -r want; do
	grep -qF "$want" "$T/check.out" && ok "sim check says: $want" || bad "sim check does not say: $want"
done <<EOF
bad-rules.yaml:3:12: error: 'argv' must be a list (the program and its first arguments), not 'kubectl'
bad-rules.yaml:4:38: error: an exec rule has either 'run: true' or 'stub', not both
bad-rules.yaml:5:5: error: an exec rule needs 'run: true' or a 'stub' (what the step gets instead)
bad-rules.yaml:6:23: error: 'run: false' says nothing
bad-rules.yaml:7:37: error: 'exit_code' must be an integer from 0 to 255, not 300
bad-rules.yaml:7:42: error: unknown key 'stdot' in an exec stub (did you mean 'stdout'?)
bad-rules.yaml:8:12: error: 'argv' of an exec rule must not be empty
bad-rules.yaml:10:11: error: 'url' must be an http:// or https:// URL (a prefix of the URLs it answers), not 'hooks.slack.com'
bad-rules.yaml:11:41: error: 'method' must be an HTTP method like POST, not 'PO ST'
bad-rules.yaml:11:66: error: 'status' must be an integer from 100 to 599, not 99
bad-rules.yaml:11:79: error: a reply has either 'body' or 'json', not both
bad-rules.yaml:12:5: error: missing 'reply' in an http rule
bad-rules.yaml:13:44: error: unknown key 'methd' in an http rule (did you mean 'method'?)
EOF
"$RUNBOOK" sim check --scenario "$T/rules-world.yaml" >"$T/check-ok.out" 2>&1 && ok "sim check: good rules pass" ||
	bad "sim check of good rules: $(cat "$T/check-ok.out")"

tap_done
