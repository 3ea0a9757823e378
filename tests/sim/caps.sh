#!/bin/bash
# The caps of core/caps.h that refuse or mark instead of cutting, reached through the
# real binary (rehearsals against the in-process simulator), each at its boundary:
# - k8s.apply of a manifest over 16 MiB (CAP_MANIFEST) is refused by its size, not
#   parsed cut; at exactly 16 MiB it is read whole (and parsed)
# - a display line over 1 MiB (CAP_LINE: a run output of 1.1 MB) is replaced by the
#   display's notice, the journal keeps the whole value; under the cap it is shown
# - a JSON pointer part over 4 KiB (CAP_POINTER_PART) in the simulated Kubernetes API
#   fails the patch with a message that names the pointer; 4096 bytes still apply
# - s3.put_object of a file over 5 GiB (CAP_S3_PUT) fails with EntityTooLarge before
#   the file is read or anything is sent: sparse files, no disk space used
set -u
RUNBOOK=${1:?}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-sim-caps
export NO_COLOR=1

# rehearse RUNBOOK SCENARIO NAME [ARGS...]: events in $T/NAME.events, world in
# $T/NAME.world, the largest resident size it reached (KiB) in $T/NAME.rss
rehearse() {
	local rb=$1 sc=$2 name=$3
	shift 3
	python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
		"$T/$name.rss" timeout 120 "$RUNBOOK" rehearse "$rb" --scenario "$sc" --state-dir "$T/state" \
		--output json --world-out "$T/$name.world" "$@" >"$T/$name.events" 2>"$T/$name.err"
}
# the step's status and error message
step_end() { jq -r 'select(.event == "step_finished") | "\(.status) \(.error.message // "")"' "$T/$1.events"; }

cat >"$T/k8s.yaml" <<'YAML'
scenario: caps
k8s:
  namespace: default
  objects:
    - {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {a: b}}
YAML

# ---- k8s.apply: CAP_MANIFEST
cat >"$T/apply.yaml" <<'YAML'
runbook: apply-cap
params:
  file: {type: string, required: true}
steps:
  - id: apply
    action: k8s.apply
    with: {file: "${{ .params.file }}"}
YAML
head='apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {a: b}\n'
printf "$head" >"$T/m16.yaml"
truncate -s $((16 << 20)) "$T/m16.yaml"          # the rest is NUL bytes: not YAML
printf "$head" >"$T/m16+1.yaml"
truncate -s $(((16 << 20) + 1)) "$T/m16+1.yaml"
rehearse "$T/apply.yaml" "$T/k8s.yaml" m16 -p file="$T/m16.yaml"
check "a 16 MiB manifest is read whole, then parsed" \
	"failed '$T/m16.yaml' is not valid YAML: 1:1: control characters are not allowed" "$(step_end m16)"
rehearse "$T/apply.yaml" "$T/k8s.yaml" m17 -p file="$T/m16+1.yaml"
check "a manifest over 16 MiB is refused by its size" "failed '$T/m16+1.yaml' is over 16 MiB" "$(step_end m17)"
check "nothing applied" "" "$(jq -r '.. | objects | select(.kind? == "ConfigMap" and .metadata.name == "big") | .metadata.name' "$T/m17.world")"

# ---- the display: CAP_LINE
cat >"$T/out.yaml" <<'YAML'
runbook: output-cap
params:
  n: {type: int, required: true}
steps:
  - id: hello
    action: log
    with: {message: hi}
outputs:
  big: '"0123456789" * .params.n'
YAML
"$RUNBOOK" run "$T/out.yaml" -p n=110000 --state-dir "$T/run" >"$T/big.out" 2>&1
check "a run whose output is 1.1 MB: exit 0" 0 $?
check_cmd "its line is over the display's limit: the notice says so" \
	grep -q "run          (this event's text is over the display's limit: see the journal)" "$T/big.out"
check "the output line is not shown cut" 0 "$(grep -c 0123456789 "$T/big.out")"
check "the journal keeps the whole output" 1100000 \
	"$(jq -r 'select(.event == "run_finished") | .outputs.big | length' "$T"/run/runs/*/journal.jsonl)"
"$RUNBOOK" run "$T/out.yaml" -p n=100000 --state-dir "$T/run2" >"$T/ok.out" 2>&1
check "a 1 MB output is shown whole" 1000000 "$(sed -n 's/^ *big: //p' "$T/ok.out" | tr -d '\n' | wc -c)"

# ---- the simulator's JSON pointers: CAP_POINTER_PART
cat >"$T/patch.yaml" <<'YAML'
runbook: pointer-cap
params:
  n: {type: int, required: true}
steps:
  - id: patch
    action: k8s.patch
    with:
      kind: ConfigMap
      name: cfg
      type: json
      patch:
        - {op: add, path: "${{ \"/data/\" + (\"k\" * .params.n) }}", value: v}
YAML
rehearse "$T/patch.yaml" "$T/k8s.yaml" p4096 -p n=4096
check "a pointer part of 4096 bytes applies" "succeeded " "$(step_end p4096)"
check "the key is there" 4096 "$(jq -r '.. | objects | select(.kind? == "ConfigMap" and .metadata.name == "cfg") | .data | keys | map(length) | max' "$T/p4096.world")"
rehearse "$T/patch.yaml" "$T/k8s.yaml" p4097 -p n=4097
k64=$(printf 'k%.0s' $(seq 58))
check "a pointer part over 4 KiB is refused, naming the pointer" \
	"failed the patch cannot be applied: JSON pointer '/data/$k64...' has a part over 4 KiB" "$(step_end p4097)"
check "nothing patched" 1 "$(jq -r '.. | objects | select(.kind? == "ConfigMap" and .metadata.name == "cfg") | .data | length' "$T/p4097.world")"

# ---- s3.put_object: CAP_S3_PUT
cat >"$T/s3.yaml" <<'YAML'
scenario: caps
s3:
  buckets:
    - name: media
YAML
cat >"$T/put.yaml" <<'YAML'
runbook: put-cap
params:
  file: {type: string, required: true}
steps:
  - id: put
    action: s3.put_object
    with: {bucket: media, key: big, file: "${{ .params.file }}"}
YAML
truncate -s $(((5 << 30) + 1)) "$T/5g+1"
check "the sparse file takes no disk space" 0 "$(du -k "$T/5g+1" | cut -f1)"
rehearse "$T/put.yaml" "$T/s3.yaml" s3big -p file="$T/5g+1"
check "a file over 5 GiB: EntityTooLarge" \
	"failed the object is over 5 GiB, the most one PUT can upload" "$(step_end s3big)"
rss=$(cat "$T/s3big.rss")
check_sh "refused before reading it (largest resident size $rss KiB, under 1 GiB)" "[ $rss -lt 1048576 ]"
check "nothing uploaded" 0 "$(jq '[.. | objects | select(.Key? == "big")] | length' "$T/s3big.world")"
tap_done
