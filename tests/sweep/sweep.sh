#!/usr/bin/env bash
# `runbook rehearse`: --decline rehearses a refusal; confirmations say "approved:
# rehearsal"; --world-out writes the document of `sim serve --state-out`; the timeline
# has rollback rows; --sweep passes a runbook whose rollbacks are right, fails one with
# an unprotected mutation (naming the position and the world diff), and rollback_keeps
# leaves a kept resource out. Small runbooks and a scenario written here, plus a
# bundled runbook.
set -uo pipefail
RUNBOOK=$(realpath "$1") SRC=$2
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-sweep
SIM=
stop_sim() { [ -n "$SIM" ] && kill "$SIM" 2>/dev/null; wait 2>/dev/null; }
tap_cleanup stop_sim
R() { "$RUNBOOK" rehearse "$@" --state-dir "$T/state" < /dev/null; }
# the run of a rehearsal, from its output (two runs in one second do not sort by time)
run_of() { sed -n 's/.* started .*(run \([^)]*\)).*/\1/p' "$1" | head -1; }

cat > "$T/world.yaml" <<'Y'
scenario: sweep-small
rds:
  instances:
    - {id: db1, class: db.t3.micro, engine: postgres, storage: 20, master_username: admin, db_name: app}
k8s:
  namespace: shop
  objects:
    - {apiVersion: v1, kind: Namespace, metadata: {name: shop}}
    - apiVersion: v1
      kind: ConfigMap
      metadata: {name: cfg, namespace: shop}
      data: {MODE: normal}
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: shop}
      spec:
        replicas: 3
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: web, image: "web:1"}]}
Y
# every mutation undone, but the safety snapshot, which rollback_keeps names
cat > "$T/good.yaml" <<'Y'
runbook: sweep-good
rollback_keeps: ["rds-snapshot safety-*"]
steps:
  - id: safety
    action: rds.create_snapshot
    with: {instance: db1, snapshot: safety-1}
  - id: config
    action: k8s.configmap_set
    with: {name: cfg, data: {MODE: maintenance}}
    rollback:
      - action: k8s.configmap_set
        with: {name: cfg, data: {MODE: normal}}
  - id: go
    confirm: {prompt: "Stop web?"}
  - id: down
    action: k8s.scale
    with: {name: web, replicas: 0}
    rollback:
      - action: k8s.scale
        with: {name: web, replicas: "${{ .result.previous }}"}
  - id: done
    action: log
    with: {message: "web is in maintenance"}
Y
# the same without rollback_keeps, and with a config change nothing undoes: a failure
# of the step after it (down) must show it
sed -e '/^rollback_keeps/d' -e 's/^runbook: sweep-good/runbook: sweep-bad/' \
	-e '/id: config/,/id: go/{/rollback:/d;/      - action: k8s.configmap_set/d;/MODE: normal/d}' \
	"$T/good.yaml" > "$T/bad.yaml"
"$RUNBOOK" validate "$T/good.yaml" "$T/bad.yaml" > "$T/validate.out" 2>&1 \
	&& ok "the test runbooks validate" || bad "the test runbooks do not validate" "$T/validate.out"
[ "$(grep -c 'rollback:' "$T/bad.yaml")" = 1 ] || bad "bad.yaml: the config rollback is still there" "$T/bad.yaml"

# 1. a plain rehearsal: approved by the rehearsal, the world written
R "$T/good.yaml" --scenario "$T/world.yaml" --world-out "$T/world.json" > "$T/plain.out" 2>&1
rc=$?
[ $rc = 0 ] && ok "rehearsal exits 0" || bad "rehearsal exits $rc" "$T/plain.out"
grep -q 'go .*approved: rehearsal' "$T/plain.out" && ! grep -q -- '--yes' "$T/plain.out" \
	&& ok "the confirmation says approved: rehearsal" || bad "no 'approved: rehearsal' line" "$T/plain.out"
run=$(run_of "$T/plain.out")
[ "$(jq -c 'select(.event == "confirm") | [.status, .by]' "$T/state/runs/$run/journal.jsonl")" = '["approved","rehearsal"]' ] \
	&& ok "the journal's confirm event is by rehearsal" || bad "journal: confirm not by rehearsal"
[ "$(stat -c %a "$T/world.json")" = 600 ] && ok "--world-out is private (0600)" || bad "--world-out mode $(stat -c %a "$T/world.json")"
jq -e '.rds.snapshots | map(.DBSnapshotIdentifier) | index("safety-1")' "$T/world.json" > /dev/null &&
jq -e '.k8s[] | select(.kind == "Deployment" and .metadata.name == "web") | .spec.replicas == 0' "$T/world.json" > /dev/null &&
jq -e '.k8s[] | select(.kind == "ConfigMap" and .metadata.name == "cfg") | .data.MODE == "maintenance"' "$T/world.json" > /dev/null \
	&& ok "--world-out holds the final AWS and Kubernetes world" || bad "--world-out lacks the run's changes" "$T/world.json"

# the same document as sim serve --state-out: same keys at the top, same shapes
"$RUNBOOK" sim serve --scenario "$T/world.yaml" --kubeconfig-out "$T/kc" --state-out "$T/state-out.json" --quiet \
	> "$T/sim.out" 2>&1 &
SIM=$!
for _ in $(seq 50); do [ -s "$T/kc" ] && break; sleep 0.1; done
kill -TERM "$SIM"; wait "$SIM"; SIM=
shape() { jq -S '{top: keys, rds: (.rds | keys), db1: (.rds.instances[0] | keys), k8s: (.k8s | map(.kind) | unique - ["Pod"])}' "$1"; }
if [ -s "$T/state-out.json" ] && diff <(shape "$T/state-out.json") <(shape "$T/world.json") > "$T/shape.diff"; then
	ok "--world-out is the document of sim serve --state-out"
else
	bad "--world-out and sim serve --state-out differ" "$T/shape.diff"
fi

# 2. --decline: a refusal, rehearsed: config was set, its rollback puts it back
R "$T/good.yaml" --scenario "$T/world.yaml" --decline go --world-out "$T/declined.json" > "$T/decline.out" 2>&1
rc=$?
[ $rc = 4 ] && ok "--decline exits 4" || bad "--decline exits $rc" "$T/decline.out"
run=$(run_of "$T/decline.out")
J=$T/state/runs/$run/journal.jsonl
[ "$(jq -c 'select(.event == "confirm" and .step == "go") | [.status, .by]' "$J")" = '["declined","rehearsal"]' ] \
	&& ok "the journal shows go declined by the rehearsal" || bad "the journal has no declined confirm" "$J"
[ "$(jq -r 'select(.event == "rollback_step" and .status == "succeeded") | .rollback_step' "$J")" = config.rollback.1 ] &&
jq -e '.k8s[] | select(.kind == "ConfigMap" and .metadata.name == "cfg") | .data.MODE == "normal"' "$T/declined.json" > /dev/null \
	&& ok "the rollback ran after the refusal (config put back)" || bad "no rollback after --decline" "$T/decline.out"
grep -q 'go .*declined: rehearsal (--decline)' "$T/decline.out" \
	&& ok "the display says declined: rehearsal" || bad "no declined line" "$T/decline.out"
n=$(ls "$T/state/runs" | wc -l)
R "$T/good.yaml" --scenario "$T/world.yaml" --decline nosuch > "$T/d2.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "unknown step 'nosuch'" "$T/d2.out" && [ "$(ls "$T/state/runs" | wc -l)" = "$n" ] \
	&& ok "--decline of an unknown step: exit 2" || bad "--decline nosuch: exit $rc" "$T/d2.out"
n=$(ls "$T/state/runs" | wc -l)
R "$T/good.yaml" --scenario "$T/world.yaml" --decline down > "$T/d3.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "not a confirmation" "$T/d3.out" && [ "$(ls "$T/state/runs" | wc -l)" = "$n" ] \
	&& ok "--decline of an action step: exit 2, nothing ran" || bad "--decline down: exit $rc" "$T/d3.out"

# 3. rollback rows in the timeline: the check fails, down rolls back
cat > "$T/fails.yaml" <<'Y'
runbook: sweep-fails
steps:
  - id: down
    action: k8s.scale
    with: {name: web, replicas: 0}
    rollback:
      - action: k8s.scale
        with: {name: web, replicas: "${{ .result.previous }}"}
  - id: check
    assert:
      - that: "false"
        message: "the check fails"
Y
R "$T/fails.yaml" --scenario "$T/world.yaml" > "$T/fails.out" 2>&1
rc=$?
sed -n '/simulated timeline/,$p' "$T/fails.out" > "$T/timeline"
[ $rc = 1 ] && grep -Eq '^  \+[^ ]+ +down\.rollback\.1 +[^ ]+ +rollback succeeded' "$T/timeline" \
	&& ok "the timeline shows the rollback row" || bad "no rollback row in the timeline (exit $rc)" "$T/fails.out"

# 4. --sweep: every position rolls back completely
R "$T/good.yaml" --scenario "$T/world.yaml" --sweep > "$T/sweep.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q '^sweep: 3 mutating steps' "$T/sweep.out" &&
   grep -Eq '^ +1  safety +exit 1  rollback complete +world: =$' "$T/sweep.out" &&
   grep -Eq '^ +2  config +exit 1  rollback complete +world: =$' "$T/sweep.out" &&
   grep -Eq '^ +3  down +exit 1  rollback complete +world: =$' "$T/sweep.out" &&
   grep -q '^3 positions, 3 roll back completely$' "$T/sweep.out"; then
	ok "--sweep of a runbook that rolls back: exit 0, a line per position"
else
	bad "--sweep good: exit $rc" "$T/sweep.out"
fi

# NEGATIVE: the unprotected config change is named, with its world diff
R "$T/bad.yaml" --scenario "$T/world.yaml" --sweep > "$T/bad.out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -Eq '^ +3  down +exit 1  rollback incomplete +world: .*~ configmap shop/cfg data.MODE normal->maintenance' "$T/bad.out" &&
   grep -q '^3 positions, 1 rolls back completely$' "$T/bad.out"; then
	ok "--sweep of an unprotected mutation: exit 1, position and diff named"
else
	bad "--sweep bad: exit $rc" "$T/bad.out"
fi
# without rollback_keeps the safety snapshot counts
grep -Eq '^ +2  config .*world: \+ rds-snapshot safety-1' "$T/bad.out" \
	&& ok "a snapshot not in rollback_keeps is a difference" || bad "the kept snapshot is not reported" "$T/bad.out"

# a field kept on purpose ("KIND NAME FIELD") does not count either
sed 's/^runbook: sweep-bad/runbook: sweep-bad\nrollback_keeps: ["rds-snapshot safety-*", "configmap shop\/cfg data.MODE"]/' \
	"$T/bad.yaml" > "$T/bad-kept.yaml"
R "$T/bad-kept.yaml" --scenario "$T/world.yaml" --sweep > "$T/bad-kept.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q '^3 positions, 3 roll back completely$' "$T/bad-kept.out" \
	&& ok "rollback_keeps with a FIELD leaves that field out" || bad "rollback_keeps FIELD: exit $rc" "$T/bad-kept.out"
# a kind alone, as DESIGN.md writes it ("rds.snapshot"): every resource of that kind
sed 's/^runbook: sweep-bad/runbook: sweep-bad\nrollback_keeps: [rds.snapshot, "configmap shop\/cfg data.MODE"]/' \
	"$T/bad.yaml" > "$T/bad-kind.yaml"
R "$T/bad-kind.yaml" --scenario "$T/world.yaml" --sweep > "$T/bad-kind.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q '^3 positions, 3 roll back completely$' "$T/bad-kind.out" \
	&& ok "rollback_keeps with a KIND alone (rds.snapshot) keeps every one of that kind" || bad "rollback_keeps KIND: exit $rc" "$T/bad-kind.out"

# a secret's new value that nothing undoes (compared by its AWSCURRENT version), and a
# mutating step that never runs in a rehearsal: named, not complete
cat > "$T/secret-world.yaml" <<'Y'
scenario: sweep-secret
secrets:
  - {name: app/key, value: "old"}
Y
cat > "$T/secret.yaml" <<'Y'
runbook: sweep-secret
steps:
  - id: rotate
    action: secrets.put_value
    with: {secret: app/key, value: "new"}
  - id: again
    action: secrets.put_value
    with: {secret: app/key, value: "newer"}
  - id: never
    when: .run.rehearsal | not
    action: secrets.put_value
    with: {secret: app/key, value: "never"}
Y
R "$T/secret.yaml" --scenario "$T/secret-world.yaml" --sweep > "$T/secret.out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -Eq '^ +1  rotate +exit 1  rollback complete +world: =$' "$T/secret.out" &&
   grep -Eq '^ +2  again +exit 1  rollback incomplete +world: ~ secretsmanager app/key AWSCURRENT [^ ]+->[^ ]+' "$T/secret.out" &&
   grep -Eq '^ +3  never +exit 0  not reached: skipped' "$T/secret.out" &&
   grep -q '^3 positions, 1 rolls back completely, 1 not reached with these params$' "$T/secret.out"; then
	ok "--sweep: a secret's value change is not complete; a step these params skip is not reached"
else
	bad "--sweep secret: exit $rc" "$T/secret.out"
fi

# a position these params skip is not reached: said and counted apart, not a failure...
cp "$T/secret.yaml" "$T/secret2.yaml"
sed -i '/^  - id: again$/,+2d' "$T/secret2.yaml"
R "$T/secret2.yaml" --scenario "$T/secret-world.yaml" --sweep > "$T/secret2.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q '^2 positions, 1 rolls back completely, 1 not reached with these params$' "$T/secret2.out"; then
	ok "--sweep: every reached position complete, one skipped by these params: exit 0, the skipped one counted apart"
else
	bad "--sweep secret2: exit $rc" "$T/secret2.out"
fi
# ...but a sweep that reaches no position at all proves nothing: exit 1
printf 'runbook: sweep-none\nsteps:\n  - id: never\n    when: .run.rehearsal | not\n    action: secrets.put_value\n    with: {secret: app/key, value: "never"}\n' > "$T/secret3.yaml"
R "$T/secret3.yaml" --scenario "$T/secret-world.yaml" --sweep > "$T/secret3.out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q '^1 position, 0 roll back completely, 1 not reached with these params$' "$T/secret3.out"; then
	ok "--sweep: no position reached is exit 1"
else
	bad "--sweep secret3: exit $rc" "$T/secret3.out"
fi

# a runbook the sandbox refuses (a mutating exec with no scenario rule) is refused once,
# before anything runs: exit 2, every such step named
printf 'runbook: sweep-refused\nsteps:\n  - id: a\n    action: exec\n    with: {argv: [touch, "%s/made-a"]}\n  - id: b\n    action: exec\n    with: {argv: [touch, "%s/made-b"]}\n' "$T" "$T" > "$T/refused.yaml"
R "$T/refused.yaml" --scenario "$T/secret-world.yaml" --sweep > "$T/refused.out" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q "refused.yaml:5:.*step 'a' runs a mutating exec" "$T/refused.out" &&
   grep -q "refused.yaml:8:.*step 'b' runs a mutating exec" "$T/refused.out" &&
   [ ! -e "$T/made-a" ] && [ ! -e "$T/made-b" ] && ! grep -q "positions" "$T/refused.out"; then
	ok "--sweep of a runbook the sandbox refuses: exit 2 before anything runs, every step named"
else
	bad "--sweep refused: exit $rc" "$T/refused.out"
fi

# a bad rollback_keeps is an error with its place
printf 'runbook: k\nrollback_keeps: ["rds-snapshot a b c"]\nsteps:\n  - id: a\n    action: log\n    with: {message: x}\n' > "$T/keeps.yaml"
"$RUNBOOK" validate "$T/keeps.yaml" > "$T/keeps.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "keeps.yaml:2:18: error: rollback_keeps entry 'rds-snapshot a b c' must be \"KIND\", \"KIND NAME\"" "$T/keeps.out" \
	&& ok "a malformed rollback_keeps entry is a located error" || bad "rollback_keeps error: exit $rc" "$T/keeps.out"

# 5. a bundled runbook whose rollbacks are right
cd "$SRC"
R runbooks/rds-snapshot-restore.yaml --scenario examples/scenarios/rds-snapshot-restore.yaml \
	-p source_instance=shop-prod --sweep > "$T/bundled.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -Eq '^[0-9]+ positions, ([0-9]+) roll back completely$' "$T/bundled.out" \
	&& ok "rds-snapshot-restore passes --sweep" || bad "rds-snapshot-restore --sweep: exit $rc" "$T/bundled.out"

tap_done
