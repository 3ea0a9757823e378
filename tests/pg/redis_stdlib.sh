#!/usr/bin/env bash
# redis_stdlib.sh RUNBOOK — stdlib/redis/warm-from-pg.yaml and stdlib/redis/validate.yaml
# through `runbook run` against real PostgreSQL and Redis servers (servers.sh).
set -u
RUNBOOK=$1
HERE=$(cd "$(dirname "$0")" && pwd)
DRV=unused
. "$HERE/lib.sh"
ST=$RB_SERVERS_DIR/state
R="redis-cli -h 127.0.0.1 -p $REDIS_PORT"
createdb shop && psql -X -q -d shop -f "$HERE/ecommerce.sql" >/dev/null || bail_out "setup failed"

rb() {
	"$RUNBOOK" run "$HERE/redis_stdlib_test.yaml" --yes --state-dir "$ST" -p pgconn="dbname=shop" \
		-p redis_port="$REDIS_PORT" "$@" >"$RB_SERVERS_DIR/rb.out" 2>&1
	RC=$?
	local run
	run=$(ls -t "$ST/runs" | head -1)
	OUT=$(jq -cs '{rc: '"$RC"', checks: (map(select(.event == "step_finished" and .step == "checks")) | .[0].outputs),
		warm: (map(select(.event == "step_finished" and .step == "warm")) | .[0].outputs),
		end: (map(select(.event == "run_finished")) | .[0])}' "$ST/runs/$run/journal.jsonl")
}

rb -p min_keys=0 -p min_products=0 --dry-run
check_jq "dry-run: the warm-up is only described" '.rc == 0'
check_cmd "dry-run wrote nothing" test "$($R DBSIZE)" = 0

rb
check_jq "warm from PostgreSQL then validate" '.rc == 0 and .warm.keys_written == 50 and .checks.keys == 50 and .checks.counts["product:*"] == 50 and .checks.role == "master" and (.checks.sample | length) == 3'
check_cmd "the seed's value format" test "$($R GET product:3)" = '{"name":"Product 3","price":3.99}'
TTL=$($R TTL product:3)
check_cmd "the TTL param reached the keys" test "$TTL" -gt 3500 -a "$TTL" -le 3600

rb -p min_products=60
check_jq "too few keys for a pattern fails" '.rc == 1 and (.end.error | contains("too few keys: product:*: 50 < 60"))'
rb -p min_keys=1000
check_jq "too few keys in total fails" '.rc == 1 and (.end.error | contains("50 keys, expected at least 1000"))'
rb -p role=slave
check_jq "a wrong role fails" '.rc == 1 and (.end.error | contains("role is master, expected slave"))'

tap_done
