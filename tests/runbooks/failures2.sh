#!/usr/bin/env bash
# Bundled failure scenarios (second set: backup-verification, rds-pitr-restore,
# s3-bulk-restore, s3-restore-deleted, secrets-restore, rds-promote-restored,
# redis-rdb-pod-restore, full-environment-restore): each rehearses to exit 1 (failed,
# rollback complete), the named step is the one that failed, the journal shows the
# rollbacks in the expected order, and the final world (--world-out) is as expected.
# With --sweep supported, each of those runbooks also rolls back completely at every
# position on its green scenario.
set -uo pipefail
RUNBOOK=$(realpath "$1") SRC=$2
cd "$SRC"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
two_hours_ago=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)

# runbook | scenario | params | failing step | rollback order (undone steps, in order; - none)
#   | jq over the world of --world-out (true = as expected)
cases=$(cat <<'EOF'
backup-verification | rds-restore-never-available | source_instance=shop-prod | ready | restore | [.rds.instances[].DBInstanceIdentifier] == ["shop-prod","shop-prod-replica"]
rds-pitr-restore | rds-restore-never-available | source_instance=shop-prod restore_time=@2h | available | restore | [.rds.instances[].DBInstanceIdentifier] == ["shop-prod","shop-prod-replica"]
rds-promote-restored | rds-promote-rename-stuck | instance=shop-prod restored=shop-prod-restored | old_settled | rename_old stop | ([.rds.instances[] | {(.DBInstanceIdentifier): .DBInstanceStatus}] | add) == {"shop-prod": "available", "shop-prod-restored": "available"} and ([.k8s[] | select(.kind == "Deployment" or .kind == "StatefulSet") | {(.metadata.name): .spec.replicas}] | add) == {"order-service": 3, "api-gateway": 2, "indexer": 2}
s3-restore-deleted | s3-copy-throttled | bucket=lomash-wood-media-prod prefix=products/ revert=["products/bath/def456/hero.jpg"] | revert | undelete | ([.s3[] | select(.Name == "lomash-wood-media-prod") | .Versions | group_by(.Key)[] | max_by(.LastModified) | {(.Key): (if .DeleteMarker then "deleted" else .Size end)}] | add) == {"products/kitchen/abc123/hero.jpg": "deleted", "products/kitchen/abc123/thumb.jpg": "deleted", "products/bath/def456/hero.jpg": 19, "config/site.json": 16, "assets/logo.png": 2048}
s3-bulk-restore | s3-copy-throttled | source=s3://lomash-wood-media-prod-replica/ destination=s3://lomash-wood-media-prod/ | copy | - | ([.s3[] | select(.Name == "lomash-wood-media-prod") | .Versions | group_by(.Key)[] | max_by(.LastModified) | {(.Key): (if .DeleteMarker then "deleted" else .Size end)}] | add) == {"products/kitchen/abc123/hero.jpg": "deleted", "products/kitchen/abc123/thumb.jpg": "deleted", "products/bath/def456/hero.jpg": 19, "config/site.json": 16, "assets/logo.png": 2048}
EOF
)

world_out=0
"$RUNBOOK" rehearse --help 2>&1 | grep -q -- --world-out && world_out=1

while IFS='|' read -r name scenario params failing order world; do
	name=$(echo "$name" | xargs)
	case "$name" in ''|'#'*) continue ;; esac
	scenario=$(echo "$scenario" | xargs) failing=$(echo "$failing" | xargs) order=$(echo "$order" | xargs)
	[ "$order" = - ] && order=
	args=()
	for p in $params; do
		case "$p" in *=@2h) p="${p%=@2h}=$two_hours_ago" ;; esac
		args+=(-p "$p")
	done
	wargs=()
	[ $world_out = 1 ] && wargs=(--world-out "$T/$name-$scenario.world.json")
	sd=$T/state-$name-$scenario out=$T/$name-$scenario.out
	"$RUNBOOK" rehearse "runbooks/$name.yaml" --scenario "examples/scenarios/$scenario.yaml" \
		"${args[@]}" "${wargs[@]}" --state-dir "$sd" > "$out" 2>&1
	rc=$?
	what="$name on $scenario"
	if [ $rc != 1 ]; then
		echo "FAIL: $what: exit $rc, expected 1 (failed, rollback complete)"; grep -v ' poll ' "$out" | tail -15
		fail=$((fail + 1)); continue
	fi
	j=$(ls "$sd"/runs/*/journal.jsonl)
	# the step that failed first, as the rollback's reason names it
	got_failing=$(jq -r 'select(.event == "rollback_started") | .reason' "$j" | sed -n "s/^step '\([^'.]*\).*/\1/p" | head -1)
	# the undone steps, in the order their rollbacks completed (for_each items folded)
	got_order=$(jq -r 'select(.event == "rollback_step" and .status == "succeeded") | .step' "$j" | uniq | xargs)
	bad=$(jq -r 'select(.event == "rollback_step" and .status != "succeeded" and .status != "running") | "\(.rollback_step): \(.status)"' "$j")
	ok=1
	[ "$got_failing" = "$failing" ] || { ok=0; echo "FAIL: $what: step '$got_failing' failed, expected '$failing'"; }
	[ "$got_order" = "$order" ] || { ok=0; echo "FAIL: $what: rollback order '$got_order', expected '$order'"; }
	[ -z "$bad" ] || { ok=0; echo "FAIL: $what: rollback steps not done: $bad"; }
	if [ $world_out = 1 ]; then
		w=$T/$name-$scenario.world.json
		if ! [ -s "$w" ] || [ "$(jq "$world" "$w")" != true ]; then
			ok=0; echo "FAIL: $what: the world after is not as expected ($world)"; jq -c . "$w" | cut -c1-2000
		fi
	fi
	if [ $ok = 1 ]; then echo "ok: $what: exit 1, '$failing' failed, rolled back: $order"; pass=$((pass + 1)); else fail=$((fail + 1)); fi
done <<< "$cases"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
