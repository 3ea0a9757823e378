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

# runbook | scenario | params (- none) | failing step | rollback order (undone steps, in order;
#   a,b: undone in any order, having run in parallel; - none; "X or Y": either order (the
#   second for full-environment-restore: k8s-config-restore as i10c changes it)
#   | jq over the world of --world-out (true = as expected)
cases=$(cat <<'EOF'
backup-verification | rds-restore-never-available | source_instance=shop-prod | ready | restore | [.rds.instances[].DBInstanceIdentifier] == ["shop-prod","shop-prod-replica"]
rds-pitr-restore | rds-restore-never-available | source_instance=shop-prod restore_time=@2h | available | restore | [.rds.instances[].DBInstanceIdentifier] == ["shop-prod","shop-prod-replica"]
rds-promote-restored | rds-promote-rename-stuck | instance=shop-prod restored=shop-prod-restored | old_settled | rename_old stop | ([.rds.instances[] | {(.DBInstanceIdentifier): .DBInstanceStatus}] | add) == {"shop-prod": "available", "shop-prod-restored": "available"} and ([.k8s[] | select(.kind == "Deployment" or .kind == "StatefulSet") | {(.metadata.name): .spec.replicas}] | add) == {"order-service": 3, "api-gateway": 2, "indexer": 2}
s3-restore-deleted | s3-copy-throttled | bucket=lomash-wood-media-prod prefix=products/ revert=["products/bath/def456/hero.jpg"] | revert | undelete | ([.s3[] | select(.Name == "lomash-wood-media-prod") | .Versions | group_by(.Key)[] | max_by(.LastModified) | {(.Key): (if .DeleteMarker then "deleted" else .Size end)}] | add) == {"products/kitchen/abc123/hero.jpg": "deleted", "products/kitchen/abc123/thumb.jpg": "deleted", "products/bath/def456/hero.jpg": 19, "config/site.json": 16, "assets/logo.png": 2048}
s3-bulk-restore | s3-copy-throttled | source=s3://lomash-wood-media-prod-replica/ destination=s3://lomash-wood-media-prod/ | copy | - | ([.s3[] | select(.Name == "lomash-wood-media-prod") | .Versions | group_by(.Key)[] | max_by(.LastModified) | {(.Key): (if .DeleteMarker then "deleted" else .Size end)}] | add) == {"products/kitchen/abc123/hero.jpg": "deleted", "products/kitchen/abc123/thumb.jpg": "deleted", "products/bath/def456/hero.jpg": 19, "config/site.json": 16, "assets/logo.png": 2048}
secrets-restore | secrets-rollout-fails | secret=lomash-wood/production/jwt-secret backup=s3://lomash-wood-backups/secrets/20261121/jwt-secret-value.json k8s_secret=lomash-wood-secrets k8s_key=JWT_SECRET deployments=["auth-service"] | k8s | k8s.restart k8s.set put | (.secrets[0].Versions | map({(.VersionId): .VersionStages}) | add | .["0b1e7c0e-0000-4000-8000-000000000002"] == ["AWSPREVIOUS"] and .["0b1e7c0e-0000-4000-8000-000000000003"] == ["AWSCURRENT"]) and ([.k8s[] | select(.kind == "Secret" and .metadata.name == "lomash-wood-secrets") | .data.JWT_SECRET | @base64d] == ["jwt-bad-rotation"])
redis-rdb-pod-restore | redis-rdb-pod-empty | key=redis/redis-dump-20261121.rdb workdir=@tmp | enough | restart copy no_save stop_clients | ([.k8s[] | select(.kind == "Deployment" or .kind == "StatefulSet") | {(.metadata.name): .spec.replicas}] | add) == {"redis": 1, "auth-service": 2, "order-payment-service": 3}
full-environment-restore | full-environment-db-stuck | - | database | database.restore,cache.create,media.copy secrets.previous config.restart config.apply or database.restore,cache.create,media.copy secrets.previous config.apply config.workloads | ([.rds.instances[] | select(.DBInstanceStatus != "deleting") | .DBInstanceIdentifier] | sort) == ["shop-prod","shop-prod-replica"] and ([.elasticache.replication_groups[] | select(.ReplicationGroupId == "sessions-prod-restored") | .Status] | all(. == "deleting")) and (.secrets[0].Versions | map(select(.VersionStages | index("AWSCURRENT"))) | .[0].VersionId) == "0b1e7c0e-0000-4000-8000-000000000003" and ([.k8s[] | select(.kind == "ConfigMap" and .metadata.name == "app-config") | .data] == [{"LOG_LEVEL": "debug", "FEATURE_FLAGS": "checkout-v3-broken"}])
EOF
)

# whether the undone steps $1 follow the expected order $2: "a,b,c" are steps that ran in
# parallel, undone in any order; "X or Y": either order
order_ok() {
	local got=$1 alt tok k
	local -a norm rest exp
	while read -r alt; do
		norm=() exp=() rest=($got)
		for tok in $alt; do
			k=$(tr ',' '\n' <<< "$tok" | wc -l)
			norm+=("$(printf '%s\n' "${rest[@]:0:$k}" | sort | paste -sd,)")
			rest=("${rest[@]:$k}")
			exp+=("$(tr ',' '\n' <<< "$tok" | sort | paste -sd,)")
		done
		[ "${norm[*]} ${rest[*]}" = "${exp[*]} " ] && return 0
	done < <(sed 's/ or /\n/g' <<< "$2")
	return 1
}

world_out=0
"$RUNBOOK" rehearse --help 2>&1 | grep -q -- --world-out && world_out=1

while IFS='|' read -r name scenario params failing order world; do
	name=$(echo "$name" | xargs)
	case "$name" in ''|'#'*) continue ;; esac
	scenario=$(echo "$scenario" | xargs) failing=$(echo "$failing" | xargs) order=$(echo "$order" | xargs)
	[ "$order" = - ] && order=
	args=()
	for p in $params; do
		[ "$p" = - ] && continue
		case "$p" in
		*=@2h) p="${p%=@2h}=$two_hours_ago" ;;
		*=@tmp) p="${p%=@tmp}=$T" ;;        # files the runbook keeps: in the test's folder
		esac
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
	# the undone steps, in the order their first rollback completed (for_each items folded)
	got_order=$(jq -r 'select(.event == "rollback_step" and .status == "succeeded") | .step' "$j" | awk '!seen[$0]++' | xargs)
	bad=$(jq -r 'select(.event == "rollback_step" and .status != "succeeded" and .status != "running") | "\(.rollback_step): \(.status)"' "$j")
	ok=1
	[ "$got_failing" = "$failing" ] || { ok=0; echo "FAIL: $what: step '$got_failing' failed, expected '$failing'"; }
	order_ok "$got_order" "$order" || { ok=0; echo "FAIL: $what: rollback order '$got_order', expected '$order'"; }
	[ -z "$bad" ] || { ok=0; echo "FAIL: $what: rollback steps not done: $bad"; }
	if [ $world_out = 1 ]; then
		w=$T/$name-$scenario.world.json
		if ! [ -s "$w" ] || [ "$(jq "$world" "$w")" != true ]; then
			ok=0; echo "FAIL: $what: the world after is not as expected ($world)"; jq -c . "$w" | cut -c1-2000
		fi
	fi
	if [ $ok = 1 ]; then echo "ok: $what: exit 1, '$failing' failed, rolled back: $order"; pass=$((pass + 1)); else fail=$((fail + 1)); fi
done <<< "$cases"

# --sweep: every mutating step, failing at its first call, rolls back completely. A runbook
# with exclusive modes (secrets-restore: previous | backup | undelete) is swept once per
# mode; a position its params skip must be complete in another of its sweeps.
# runbook | scenario | params
sweeps=$(cat <<'EOF'
backup-verification | rds-snapshot-restore | source_instance=shop-prod
rds-pitr-restore | rds-snapshot-restore | source_instance=shop-prod restore_time=@2h
s3-bulk-restore | s3-versioned-restore | source=s3://lomash-wood-media-prod-replica/ destination=s3://lomash-wood-media-prod/
s3-restore-deleted | s3-versioned-restore | bucket=lomash-wood-media-prod prefix=products/ revert=["products/bath/def456/hero.jpg"]
secrets-restore | secrets-backup-restore | secret=lomash-wood/production/jwt-secret backup=s3://lomash-wood-backups/secrets/20261121/jwt-secret-value.json k8s_secret=lomash-wood-secrets k8s_key=JWT_SECRET deployments=["auth-service"]
secrets-restore | secrets-backup-restore | secret=lomash-wood/production/jwt-secret deployments=["auth-service"]
secrets-restore | secrets-rotation-rollback | secret=lomash-wood/production/stripe-key undelete=true
rds-promote-restored | rds-promote-restored | instance=shop-prod restored=shop-prod-restored
redis-rdb-pod-restore | redis-rdb-pod | key=redis/redis-dump-20261121.rdb workdir=@tmp
full-environment-restore | full-environment | -
EOF
)
# positions a runbook never reaches in its rehearsal: the modes of the runbooks it uses
# that it does not use (each is swept in its own runbook's sweeps) and dry-run-only steps
declare -A unused=(
	[full-environment-restore]="config.preview secrets.undelete secrets.put secrets.k8s.set secrets.k8s.restart secrets.restart cache.warm.warm cache.cutover.set cache.cutover.restart"
)
declare -A positions complete
while IFS='|' read -r name scenario params; do
	name=$(echo "$name" | xargs)
	case "$name" in ''|'#'*) continue ;; esac
	scenario=$(echo "$scenario" | xargs)
	args=()
	for p in $params; do
		[ "$p" = - ] && continue
		case "$p" in
		*=@2h) p="${p%=@2h}=$two_hours_ago" ;;
		*=@tmp) p="${p%=@tmp}=$T" ;;        # files the runbook keeps: in the test's folder
		esac
		args+=(-p "$p")
	done
	out=$T/sweep-$name-$scenario.out
	"$RUNBOOK" rehearse "runbooks/$name.yaml" --scenario "examples/scenarios/$scenario.yaml" \
		"${args[@]}" --sweep --state-dir "$T/sweep-state" > "$out" 2>&1
	rc=$?
	n=0
	while read -r _ step rest; do
		n=$((n + 1))
		positions[$name]+=" $step"
		if [[ "$rest" =~ ^exit\ 1\ +rollback\ complete\ +world:\ =$ ]]; then
			complete[$name]+=" $step"
		elif ! [[ "$rest" =~ "not reached:" ]]; then
			echo "FAIL: $name on $scenario: sweep position '$step': $rest"; fail=$((fail + 1))
		fi
	done < <(grep -E '^ +[0-9]+ ' "$out")
	if [ $n = 0 ] || [ $rc = 2 ]; then
		echo "FAIL: $name on $scenario: sweep exit $rc, no positions"; tail -5 "$out"; fail=$((fail + 1))
	fi
	echo "sweep: $name on $scenario: $(tail -1 "$out")"
done <<< "$sweeps"
for name in "${!positions[@]}"; do
	ok=1
	for step in ${positions[$name]}; do
		[[ " ${complete[$name]:-} " == *" $step "* ]] && continue
		[[ " ${unused[$name]:-} " == *" $step "* ]] && continue
		echo "FAIL: $name: no sweep rolls back position '$step' completely"; ok=0; break
	done
	if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
