#!/usr/bin/env bash
# validate.sh RUNBOOK — stdlib/pg/validate.yaml through `runbook run` on the generated
# e-commerce schema (tests/pg/ecommerce.sql): clean data passes, every kind of damage
# the seed checks for is reported, --dry-run runs it all (read only).
set -u
RUNBOOK=$1
HERE=$(cd "$(dirname "$0")" && pwd)
DRV=unused
. "$HERE/lib.sh"
ST=$RB_SERVERS_DIR/state
PSQL="psql -X -q -v ON_ERROR_STOP=1 -d shop"
createdb shop && $PSQL -f "$HERE/ecommerce.sql" >/dev/null || bail_out "setup failed"

rb() {
	"$RUNBOOK" run "$HERE/validate_test.yaml" --yes --state-dir "$ST" -p conninfo="dbname=shop" "$@" \
		>"$RB_SERVERS_DIR/rb.out" 2>&1
	RC=$?
	local run
	run=$(ls -t "$ST/runs" | head -1)
	# the uses step's outputs (the suite's outputs) and the run's end
	OUT=$(jq -cs '{rc: '"$RC"', checks: (map(select(.event == "step_finished" and .step == "checks")) | .[0].outputs),
		end: (map(select(.event == "run_finished")) | .[0])}' "$ST/runs/$run/journal.jsonl")
}

rb -p restore_time=2030-01-01T00:00:00Z
check_jq "clean data passes every check" '.rc == 0 and .checks.violations == 0 and .checks.findings == []'
check_jq "row counts and checksums are outputs" '.checks.row_counts["public.orders"] == 1000 and (.checks.checksums.orders | length) == 32 and (.checks.checksums | keys) == ["customers", "orders", "products"]'
check_jq "index health and table statistics are outputs" '(.checks.index_health | length) > 0 and (.checks.table_stats | length) > 0 and (.checks.table_stats[0] | has("dead_row_percent"))'

rb -p restore_time=2026-02-01T05:00:00Z
check_jq "rows newer than the restore time fail the suite" '.rc == 1 and (.end.error | contains("orders after the restore time"))'

rb -p min_orders=5000
check_jq "too few rows fail the suite" '.rc == 1 and (.end.error | contains("orders has 1000 rows, expected at least 5000"))'

"$RUNBOOK" run "$HERE/validate_test.yaml" --yes --dry-run --state-dir "$ST" -p conninfo="dbname=shop" >"$RB_SERVERS_DIR/rb.out" 2>&1
RC=$?; OUT="{\"rc\": $RC}"
check_jq "--dry-run runs the whole suite (it only reads)" '.rc == 0'

$PSQL <<'SQL'
ALTER TABLE order_items DISABLE TRIGGER ALL;
INSERT INTO order_items VALUES (424242, 1, 1, 1, 1.99);
ALTER TABLE order_items ENABLE TRIGGER ALL;
UPDATE products SET price = -5 WHERE id = 3;
UPDATE customers SET email = 'not-an-email' WHERE id = 7;
UPDATE customers SET phone = '12' WHERE id = 8;
UPDATE orders SET total_amount = total_amount + 10 WHERE id = 9;
UPDATE orders SET updated_at = created_at - interval '1 day' WHERE id = 10;
UPDATE payments SET created_at = created_at - interval '1 year' WHERE id = 11;
SQL
rb -p restore_time=2030-01-01T00:00:00Z
check_jq "damaged data fails the suite" '.rc == 1 and .checks == null'
for f in "orphaned row(s) in 'public.order_items' (foreign key 'order_items_order_id_fkey'" "rule 'orphaned order items' found 1" \
	"rule 'order total mismatches' found 1" "rule 'negative product prices' found 1" \
	"rule 'invalid email formats' found 1" "rule 'invalid phone numbers' found 1" \
	"rule 'orders updated before created' found 1" "rule 'payments before order creation' found 1"; do
	check_jq "reported: $f" ".end.error | contains(\"$f\")"
done

tap_done
