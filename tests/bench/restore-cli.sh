#!/usr/bin/env bash
# The orchestration benchmark's bash + AWS CLI script (run-all.sh): the same restore as
# restore.yaml, as a shell script would do it.
#   restore-cli.sh ENDPOINT TARGET
set -euo pipefail
aws rds restore-db-instance-from-db-snapshot --endpoint-url "$1" \
	--db-instance-identifier "$2" --db-snapshot-identifier shop-prod-snap > /dev/null
aws rds wait db-instance-available --endpoint-url "$1" --db-instance-identifier "$2"
