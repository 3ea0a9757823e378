#!/bin/bash
# One YAML reader (core/yamljv) for runbooks and scenarios: the same scalars and keys come
# out the same. A runbook logs a value written in its `with:` (rehearse --output json); the
# scenario holds the same text under a container's `resources` (kept as written), read
# back from --world-out. Then the reader's limits for scenarios: a key written twice does
# not hide the validator's errors, and more than 1000000 values is refused.
set -u
RUNBOOK=${1:?}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-sim-yaml
export NO_COLOR=1

# every kind of plain scalar of runbook(5) "Values", quoted ones, !!str, and keys
VALUE='{list: [0x1F, NULL, Null, ~, "", 1e3, .inf, -.Inf, .nan, yes, no, True, FALSE, 0o17, "0x1F", !!str 12, 12345678901234567890, 1_000, 0x, +12, 1.5e-3, -0, 0x1f, on], keys: {0x1F: a, ~: b, 1.0: c, null: d, "q": e, yes: f}}'
cat >"$T/rb.yaml" <<YAML
runbook: typing
description: logs a value written in YAML
steps:
  - id: show
    action: log
    with:
      message: $VALUE
YAML
cat >"$T/sc.yaml" <<YAML
scenario: typing
k8s:
  namespace: default
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, labels: {app: web}}
      spec:
        replicas: 1
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers:
              - name: app
                image: web:1
                resources: $VALUE
YAML
"$RUNBOOK" sim check --scenario "$T/sc.yaml" >"$T/check.out" 2>&1
TAP_OUT=$T/check.out expect_rc 0 $? "sim check of the scenario"
"$RUNBOOK" rehearse "$T/rb.yaml" --scenario "$T/sc.yaml" --state-dir "$T/state" \
	--world-out "$T/world.json" --output json >"$T/events" 2>"$T/err"
TAP_OUT=$T/err expect_rc 0 $? "rehearse"
rb=$(jq -r 'select(.event == "log" and .step == "show") | .message' "$T/events")
sc=$(jq -c '.. | objects | select(.kind? == "Deployment") | .spec.template.spec.containers[0].resources' "$T/world.json")
check "the runbook's value is typed as runbook(5) says" \
	'{"list":[31,null,null,null,"",1000,1.7976931348623157e+308,-1.7976931348623157e+308,null,"yes","no",true,false,15,"0x1F","12","12345678901234567890","1_000","0x",12,0.0015,-0,31,"on"],"keys":{"0x1F":"a","~":"b","1.0":"c","null":"d","q":"e","yes":"f"}}' \
	"$rb"
check "the scenario's value is the same" "$rb" "$sc"

# a key written twice: reported, and the validator's errors are reported too
cat >"$T/dup.yaml" <<'YAML'
scenario: dup
rds:
  instances:
    - {id: db1, id: db2, status: exploding}
YAML
"$RUNBOOK" sim check --scenario "$T/dup.yaml" >"$T/dup.out" 2>&1
check "a duplicate key: exit 2" 2 $?
check_cmd "the duplicate key is located" grep -q "dup.yaml:4:17: error: duplicate key 'id'" "$T/dup.out"
check_cmd "the validator still runs" grep -q "dup.yaml:4:34: error: 'status' must be" "$T/dup.out"

# more than 1000000 values (no alias: the alias caps do not apply), refused at the one
# that passes the cap; exactly 1000000 (the map, "big", the list and 999997 items) read
{ printf 'scenario: big\nx: ['; for _ in $(seq 99999); do printf '0,0,0,0,0,0,0,0,0,0,'; done; printf '0,0,0,0,0,0,0]\n'; } >"$T/max.yaml"
"$RUNBOOK" sim check --scenario "$T/max.yaml" >"$T/max.out" 2>&1
check_cmd "1000000 values: read (then x is an unknown key)" \
	grep -q "^$T/max.yaml:2:1: error: unknown key 'x' in the scenario" "$T/max.out"
sed 's/]$/,0]/' "$T/max.yaml" >"$T/big.yaml"
"$RUNBOOK" sim check --scenario "$T/big.yaml" >"$T/big.out" 2>&1
check "1000001 values: exit 2" 2 $?
check "1000001 values: the value past the cap is the error" \
	"$T/big.yaml:2:1999999: error: the scenario expands to more than 1000000 values (YAML aliases?)" \
	"$(head -1 "$T/big.out")"
tap_done
