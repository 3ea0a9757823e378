#!/usr/bin/env bash
# Failure rehearsals of the bundled runbooks: a named step fails for a reason the seeds
# name (a restore that never becomes available, a failed rollout, a validation that finds
# orphans, a key already in production), and each run must end with exit 1 (rollback
# complete), its rollback steps in the expected order (read from the journal), and the
# world after as expected. Runbooks whose SQL and Redis steps reach a real server are
# rehearsed against the PostgreSQL and Redis of tests/integration/servers.sh (scenario
# copies with the servers' ports): green runs, and failures whose rollback is checked in
# the database itself.
#
#   failures.sh RUNBOOK SRC        (TAP: tests/lib/tap.sh; ok and bad are its)
set -uo pipefail
RUNBOOK=$(realpath "$1") SRC=$(realpath "$2")
cd "$SRC"
# shellcheck source=../integration/servers.sh
source tests/integration/servers.sh >&2 || exit 1
set +e
# after servers.sh: the harness's EXIT trap replaces its, and stops them
. tests/lib/tap.sh
tap_cleanup servers_stop
tap_tmpdir rb-failures
PSQL=${PG_BIN:-/usr/lib/postgresql/15/bin}/psql
sql() { "$PSQL" -X -q -At -h 127.0.0.1 -p "$PGPORT" -U postgres "$@"; }

# rehearse NAME RC RUNBOOK SCENARIO ARGS...: rehearse into $T/NAME (state) and
# $T/NAME.out; 0 when the exit status is RC
rehearse() {
	local name=$1 want=$2 rb=$3 sc=$4
	shift 4
	"$RUNBOOK" rehearse "$rb" --scenario "$sc" --state-dir "$T/$name" --world-out "$T/$name.world" "$@" \
		> "$T/$name.out" 2>&1
	local rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$name: exit $rc, expected $want"; grep -v ' poll ' "$T/$name.out" | tail -15; return 1
	fi
}
# the rollback steps that succeeded, in the order the journal has them, without their
# for_each item index (the items of one step are undone in reverse order of completion,
# which parallel items do not fix)
rollback_order() {
	jq -r 'select(.event == "rollback_step" and .status == "succeeded") | .rollback_step' \
		"$T/$1"/runs/*/journal.jsonl | sed 's/\[[0-9]*\]//' | tr '\n' ' ' | sed 's/ $//'
}
# expect_order NAME "STEP STEP ...": the rollback ran exactly these, in this order
expect_order() {
	local got; got=$(rollback_order "$1")
	[ "$got" = "$2" ] || { bad "$1: rollback order '$got', expected '$2'"; return 1; }
}
# expect_line NAME TEXT: the rehearsal's output has this line (fixed string)
expect_line() {
	grep -qF -- "$2" "$T/$1.out" || { bad "$1: no '$2' in its output"; grep 'simulator:\|failed' "$T/$1.out" | tail -5; return 1; }
}

# expect_world NAME JQ: the world the rehearsal left (--world-out) satisfies JQ
expect_world() {
	jq -e "$2" "$T/$1.world" > /dev/null || { bad "$1: the world after does not hold: $2"; return 1; }
}
# the instances, groups and objects of a world, by name
RDS='def inst($id): [.rds.instances[] | select(.DBInstanceIdentifier == $id)];'
EC='def group($id): [.elasticache.replication_groups[] | select(.ReplicationGroupId == $id)];'
K8S='def obj($k; $n): [.k8s[] | select(.kind == $k and .metadata.name == $n)];'

# --- a restore that never becomes available --------------------------------------
# ElastiCache: the group is still `creating` when the wait gives up; the rollback waits
# until it may be deleted (deleting a creating group is refused: exit 3 before)
if rehearse redis-stuck 1 runbooks/redis-restore.yaml examples/scenarios/elasticache-restore-stuck.yaml \
	-p source_group=sessions-prod &&
	expect_order redis-stuck "create.rollback.1 create.rollback.2" &&
	expect_line redis-stuck "2 mutating AWS calls (CreateReplicationGroup 1, DeleteReplicationGroup 1)" &&
	expect_world redis-stuck "$EC"' group("sessions-prod-restored") | map(.Status) == ["deleting"]'; then
	ok "redis-restore: a restore that never becomes available is deleted once it may be"
fi
# RDS: the instance is deleted; the pre-restore safety snapshot stays
if rehearse rds-stuck 1 runbooks/rds-snapshot-restore.yaml examples/scenarios/rds-restore-stuck.yaml \
	-p source_instance=shop-prod &&
	expect_order rds-stuck "restore.rollback.1" &&
	expect_line rds-stuck "4 mutating AWS calls (CreateDBSnapshot 1, DeleteDBInstance 1, Publish 1, RestoreDBInstanceFromDBSnapshot 1)" &&
	expect_world rds-stuck "$RDS"' (inst("shop-prod-restored") | map(.DBInstanceStatus) == ["deleting"])
		and ([.rds.snapshots[] | select(.DBSnapshotIdentifier | startswith("shop-prod-pre-restore-")) | .Status] == ["available"])'; then
	ok "rds-snapshot-restore: a restore that never becomes available is deleted, the safety snapshot kept"
fi
if rehearse partial-stuck 1 runbooks/partial-table-restore.yaml examples/scenarios/rds-restore-stuck.yaml \
	-p source_instance=shop-prod -p 'tables=["orders"]' -p since=2026-11-21T00:00:00Z &&
	expect_order partial-stuck "restore_temp.rollback.1" &&
	expect_line partial-stuck "2 mutating AWS calls (DeleteDBInstance 1, RestoreDBInstanceFromDBSnapshot 1)" &&
	expect_world partial-stuck '[.rds.instances[] | select(.DBInstanceIdentifier | contains("-partial-")) | .DBInstanceStatus] == ["deleting"]'; then
	ok "partial-table-restore: a temporary instance that never becomes available is deleted"
fi

# composed into a bigger runbook that fails later: deletion protection (on by then) is
# switched off by the rollback, so the restored instance can still be deleted
if rehearse rds-composed 1 tests/runbooks/composed-restore.yaml examples/scenarios/rds-snapshot-restore.yaml &&
	expect_order rds-composed "restore.protect.rollback.1 restore.protect.rollback.2 restore.restore.rollback.1" &&
	expect_world rds-composed "$RDS"' inst("shop-prod-restored") | map([.DBInstanceStatus, .DeletionProtection]) == [["deleting", false]]'; then
	ok "rds-snapshot-restore: composed, a later failure still deletes the protected instance"
fi

# --- a failed rollout -------------------------------------------------------------
# the configuration goes back first, then the pods restart onto it
K8S_FAIL=examples/scenarios/k8s-ecommerce-failed-rollout.yaml
if rehearse k8s-rollout 1 runbooks/k8s-config-restore.yaml $K8S_FAIL \
	-p manifests=examples/k8s/config-known-good -p 'deployments=["order-service","payment-service"]' &&
	expect_order k8s-rollout "apply.rollback.1 workloads.rollback.1 workloads.rollback.1" &&
	expect_world k8s-rollout "$K8S"' (obj("ConfigMap"; "app-config")[0].data == {LOG_LEVEL: "info", FEATURE_FLAGS: "checkout-v2"})
		and (obj("ConfigMap"; "order-service-config") == [])
		and ([obj("Deployment"; "order-service", "payment-service")[].spec.template.metadata.annotations] == [null, null])'; then
	ok "k8s-config-restore: a failed rollout puts the configuration back, then restarts"
fi
# dr-failover: the writers (the StatefulSet indexer too) are scaled back up and waited
# for; payment-service cannot roll out: the cutover is undone, the writers scaled back
if rehearse dr-rollout 1 runbooks/dr-failover.yaml $K8S_FAIL \
	-p replica=shop-prod-replica -p 'deployments=["order-service","payment-service"]' &&
	expect_order dr-rollout "cutover.restart.rollback.1 cutover.restart.rollback.2 cutover.restart.rollback.1 cutover.restart.rollback.2 cutover.set.rollback.1 writers.scale_down.rollback.1 writers.scale_down.rollback.1 writers.scale_down.rollback.1" &&
	expect_line dr-rollout "started                      10m        failed" &&
	expect_line dr-rollout "PATCH StatefulSet 3" &&
	expect_world dr-rollout "$K8S"' ([obj("Deployment"; "order-service", "payment-service")[].spec.replicas] == [3, 2])
		and (obj("StatefulSet"; "indexer")[0].spec.replicas == 1)
		and (obj("Secret"; "db-credentials")[0].data.DATABASE_HOST | @base64d) == "shop-prod.c9akciq32x1e.us-east-1.rds.amazonaws.com"'; then
	ok "dr-failover: a writer that does not roll out after the failover fails it; the cutover is undone"
fi

# --- real servers -----------------------------------------------------------------
# shop_snapshot stands for the restored database, shop for production (orders 4 and 5
# and their items lost)
for db in shop_snapshot shop; do
	sql -c "CREATE DATABASE $db" && sql -d $db -f tests/runbooks/shop.sql >/dev/null || bail_out "fixture $db"
done
sql -d shop -c "DELETE FROM order_items WHERE order_id >= 4; DELETE FROM orders WHERE id >= 4"
sed "s/port: 5432}/port: $PGPORT}/" examples/scenarios/rds-restore-local.yaml > "$T/rds-local.yaml"
sed "s/port: 6379}/port: $REDIS_PORT}/" examples/scenarios/elasticache-restore-local.yaml > "$T/ec-local.yaml"
PROD="host=127.0.0.1 port=$PGPORT user=postgres dbname=shop sslmode=disable"

# the ten checks run on the restored database, at its endpoint
if rehearse rds-local 0 runbooks/rds-snapshot-restore.yaml "$T/rds-local.yaml" \
	-p source_instance=shop-prod -p sslmode=disable &&
	expect_line rds-local "violations: 0" &&
	expect_line rds-local "checks.checksums"; then
	ok "rds-snapshot-restore: the seed's checks ran on the restored database (real PostgreSQL)"
fi
# backup-verification and rds-pitr-restore check their restored instance at its endpoint too
if rehearse bv-local 0 runbooks/backup-verification.yaml "$T/rds-local.yaml" \
	-p source_instance=shop-prod -p sslmode=disable &&
	expect_line bv-local "checks.checksums" &&
	grep -Eq '^ +\+[0-9a-z]+ +checks\.summary +[0-9a-z]+ +succeeded$' "$T/bv-local.out"; then
	ok "backup-verification: the seed's checks ran on the test instance (real PostgreSQL)"
fi
if rehearse pitr-local 0 runbooks/rds-pitr-restore.yaml "$T/rds-local.yaml" \
	-p source_instance=shop-prod -p sslmode=disable -p "restore_time=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)" &&
	expect_line pitr-local "checks.checksums" &&
	grep -Eq '^ +\+[0-9a-z]+ +checks\.summary +[0-9a-z]+ +succeeded$' "$T/pitr-local.out"; then
	ok "rds-pitr-restore: the seed's checks ran on the restored database (real PostgreSQL)"
fi
# a validation that finds orphans: the restored instance is deleted again
sql -d shop_snapshot -c "INSERT INTO order_items VALUES (99, 42, 1, 1, 450.00, '2026-11-20T00:00:00Z')"
if rehearse rds-orphans 1 runbooks/rds-snapshot-restore.yaml "$T/rds-local.yaml" \
	-p source_instance=shop-prod -p sslmode=disable &&
	expect_order rds-orphans "restore.rollback.1" &&
	expect_line rds-orphans "orphaned order items" &&
	expect_line rds-orphans "DeleteDBInstance 1" &&
	expect_world rds-orphans "$RDS"' inst("shop-prod-restored") | map(.DBInstanceStatus) == ["deleting"]'; then
	ok "rds-snapshot-restore: a validation that finds orphans deletes the restored instance"
fi
sql -d shop_snapshot -c "DELETE FROM order_items WHERE id = 99"

# partial restore: the lost rows come back, in one transaction
PARTIAL=(-p source_instance=shop-prod -p sslmode=disable -p 'tables=["orders","order_items"]'
	-p since=2026-11-21T00:00:00Z -p "prod_conninfo=$PROD")
if rehearse partial-local 0 runbooks/partial-table-restore.yaml "$T/rds-local.yaml" "${PARTIAL[@]}" &&
	expect_line partial-local 'inserted: {"orders":2,"order_items":3}'; then
	got=$(sql -d shop -c "SELECT count(*) FROM orders" -c "SELECT count(*) FROM order_items" -c \
		"SELECT count(*) FROM pg_tables WHERE tablename LIKE 'restore\_%'" | tr '\n' ' ')
	[ "$got" = "5 6 0 " ] && ok "partial-table-restore: rows back in production, staging dropped (real PostgreSQL)" ||
		bad "partial-local: orders, order_items, staging tables: $got, expected 5 6 0"
fi
# the second table fails (a key already there): nothing of the first is committed
sql -d shop -c "DELETE FROM order_items WHERE order_id >= 4; DELETE FROM orders WHERE id >= 4" \
	-c "INSERT INTO order_items VALUES (6, 3, 3, 1, 35.00, '2026-11-22T00:00:00Z')"
if rehearse partial-conflict 1 runbooks/partial-table-restore.yaml "$T/rds-local.yaml" "${PARTIAL[@]}" &&
	expect_order partial-conflict "restore_temp.rollback.1" &&
	expect_line partial-conflict "duplicate key"; then
	got=$(sql -d shop -c "SELECT count(*) FROM orders" -c "SELECT count(*) FROM order_items" -c \
		"SELECT count(*) FROM pg_tables WHERE tablename LIKE 'restore\_%'" | tr '\n' ' ')
	[ "$got" = "3 4 0 " ] && ok "partial-table-restore: a conflict on the second table commits nothing of the first" ||
		bad "partial-conflict: orders, order_items, staging tables: $got, expected 3 4 0"
fi

# redis: the checks and the warm-up (S8) reach the restored endpoint
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" SET session:restored 1 >/dev/null
REDIS=(-p source_group=sessions-prod -p transit_encryption=false)
if rehearse redis-local 0 runbooks/redis-restore.yaml "$T/ec-local.yaml" "${REDIS[@]}" \
	-p "warm_conninfo=$PROD" && expect_line redis-local "warmed: 3"; then
	got=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" GET product:2)
	[ "$got" = '{"name":"bath cabinet","price":120.50}' ] &&
		ok "redis-restore: checked and warmed from PostgreSQL (real Redis)" || bad "redis-local: product:2 is '$got'"
fi
# too few keys in the restored cache: the group is deleted
if rehearse redis-keys 1 runbooks/redis-restore.yaml "$T/ec-local.yaml" "${REDIS[@]}" -p min_keys=1000 &&
	expect_order redis-keys "create.rollback.1 create.rollback.2" &&
	expect_line redis-keys "expected at least 1000" &&
	expect_world redis-keys "$EC"' group("sessions-prod-restored") | map(.Status) == ["deleting"]'; then
	ok "redis-restore: a cache with too few keys is deleted again"
fi

# pg-dump-restore: the dump is cut short (pg_restore refuses it); the new database is dropped, the
# download removed
WORK=$(mktemp -d "$T/work.XXXXXX")
if rehearse dump-bad 1 runbooks/pg-dump-restore.yaml examples/scenarios/s3-pg-dump-corrupt.yaml \
	-p bucket=lomash-wood-backups -p key=pg-logical/lomash_orders/lomash_orders_20261121.dump \
	-p "target_conninfo=host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres sslmode=disable" \
	-p database=restored_orders -p workdir="$WORK" &&
	expect_order dump-bad "create_db.rollback.1 fetch.rollback.1" &&
	expect_line dump-bad "pg_restore: error: could not read from input file"; then
	left=$(sql -c "SELECT count(*) FROM pg_database WHERE datname = 'restored_orders'")
	if [ "$left" = 0 ] && [ -z "$(ls -A "$WORK")" ]; then
		ok "pg-dump-restore: a failed pg_restore drops the database it created (real PostgreSQL)"
	else
		bad "dump-bad: database left: $left, files left: $(ls -A "$WORK")"
	fi
fi

# --- sweeps: every mutating step fails in turn; every position must roll back completely
# (exit 1, the world as it was but for rollback_keeps). The SQL and Redis steps run
# against the servers above, so that every position is reached.
sql -d shop -c "DELETE FROM order_items WHERE order_id >= 3 AND id = 6"
sed 's/{argv: \[pg_restore\], run: true}/{argv: [pg_restore], stub: {exit_code: 0}}/' \
	examples/scenarios/s3-versioned-restore.yaml > "$T/s3-stub.yaml"
grep -q 'stub: {exit_code: 0}' "$T/s3-stub.yaml" || bad "s3-stub: the pg_restore rule was not replaced"
export RUNBOOK_PARAM_WARM_CONNINFO=$PROD RUNBOOK_PARAM_PROD_CONNINFO=$PROD
export RUNBOOK_PARAM_TARGET_CONNINFO="host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres sslmode=disable"
# sweep NAME POSITIONS RUNBOOK SCENARIO ARGS...
sweep() {
	local name=$1 n=$2 rb=$3 sc=$4
	shift 4
	"$RUNBOOK" rehearse "$rb" --scenario "$sc" --sweep --state-dir "$T/$name" "$@" > "$T/$name.out" 2>&1
	local rc=$?
	if [ $rc = 0 ] && grep -qx "$n positions, $n roll back completely" "$T/$name.out"; then
		ok "$name: $n positions, all roll back completely"
	else
		bad "$name: exit $rc"; cat "$T/$name.out"
	fi
}
sweep sweep-rds-snapshot-restore 4 runbooks/rds-snapshot-restore.yaml examples/scenarios/rds-snapshot-restore.yaml \
	-p source_instance=shop-prod
sweep sweep-k8s-config-restore 2 runbooks/k8s-config-restore.yaml examples/scenarios/k8s-ecommerce.yaml \
	-p manifests=examples/k8s/config-known-good -p 'deployments=["order-service","payment-service"]'
sweep sweep-dr-failover 5 runbooks/dr-failover.yaml examples/scenarios/k8s-ecommerce.yaml \
	-p replica=shop-prod-replica -p 'deployments=["order-service","payment-service"]'
sweep sweep-redis-restore 4 runbooks/redis-restore.yaml "$T/ec-local.yaml" "${REDIS[@]}" \
	-p k8s_secret=cache-config -p 'deployments=["storefront"]'
sweep sweep-partial-table-restore 4 runbooks/partial-table-restore.yaml "$T/rds-local.yaml" \
	-p source_instance=shop-prod -p sslmode=disable -p 'tables=["orders","order_items"]' -p since=2026-11-21T00:00:00Z
sweep sweep-pg-dump-restore 3 runbooks/pg-dump-restore.yaml "$T/s3-stub.yaml" -p validate=false \
	-p bucket=lomash-wood-backups -p key=pg-logical/lomash_orders/lomash_orders_20261121.dump \
	-p database=restored_orders -p workdir="$WORK"
got=$(sql -d shop -c "SELECT count(*) FROM orders" -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'restore\_%'" \
	-c "SELECT count(*) FROM pg_database WHERE datname = 'restored_orders'" | tr '\n' ' ')
[ "$got" = "3 0 0 " ] && ok "sweeps: production rows, staging tables and the new database as before" ||
	bad "sweeps left orders, staging tables, databases: $got, expected 3 0 0"

tap_done
