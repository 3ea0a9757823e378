#!/usr/bin/env bash
# data.sh — runbook's data actions against the tools a script would use, interleaved
# (runbook, tool A, tool B, runbook, ...), markdown rows on stdout for run-all.sh:
#   pg.copy_table (runbook run)  vs  pg_dump -Fc | pg_restore  and  psql COPY | psql COPY
#   redis.warm from a query       vs  psql (RESP) | redis-cli --pipe
#   s3.sync                       vs  aws s3 sync (the same simulator, `sim serve`)
# Each cell: wall ms min / median / max, and the peak RSS (max over the runs; for a
# pipeline, the largest process of it: /usr/bin/time reports the biggest child).
#   tests/bench/data.sh RUNBOOK [ROWS] [RUNS] [OBJECTS]
# PostgreSQL and Redis come from tests/integration/servers.sh (started here); rows
# default 100000, objects (S3) 200. Every copy is checked complete after each run.
set -euo pipefail
RB=$(realpath "$1")
ROWS=${2:-100000}
RUNS=${3:-3}
OBJECTS=${4:-200}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ -z "${RB_SERVERS_DIR:-}" ]; then
	exec "$root/tests/integration/servers.sh" "$0" "$@"
fi
W=$RB_SERVERS_DIR/bench
mkdir -p "$W"
export NO_COLOR=1 AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
export AWS_CONFIG_FILE=$W/none AWS_SHARED_CREDENTIALS_FILE=$W/none
PSQL="psql -X -q -v ON_ERROR_STOP=1"
R="redis-cli -h 127.0.0.1 -p $REDIS_PORT"

# timed NAME CMD...: appends "ms kb" to $W/NAME (a failure stops the benchmark)
timed() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	if ! /usr/bin/time -o "$W/time" -f %M "$@" > /dev/null 2> "$W/err"; then
		echo "data.sh: $name failed: $*" >&2
		cat "$W/err" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $(tail -1 "$W/time")" >> "$W/$name"
}
cell() { # cell NAME: "min / median / max | RSS MB"
	sort -n "$W/$1" | awk '{ v[NR] = $1; if ($2 > m) m = $2 }
		END { printf "%d / %d / %d | %.1f MB", v[1], v[int((NR + 1) / 2)], v[NR], m / 1024 }'
}
med() { sort -n "$W/$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN { printf "%.2fx", a / b }'; }
want() { # want WHAT GOT EXPECTED
	[ "$2" = "$3" ] || { echo "data.sh: $1: $2, want $3" >&2; exit 1; }
}
row() { # row TOOL NAME BASE
	echo "| $1 | $(cell "$2") | $([ "$2" = "$3" ] && echo 1 || ratio "$2" "$3") |"
}

# ---- PostgreSQL: one table of ROWS rows (~140 bytes each) into a second database ----
createdb bsrc
createdb bdst
$PSQL -d bsrc <<SQL
CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint NOT NULL, kind text NOT NULL,
  amount numeric(12,2) NOT NULL, payload jsonb NOT NULL, note text, created_at timestamptz NOT NULL);
INSERT INTO events
SELECT g, g % 100000, (ARRAY['order','payment','refund','login'])[g % 4 + 1], (g % 100000) / 100.0,
       jsonb_build_object('ip', '10.0.' || (g % 250) || '.' || (g % 200), 'agent', 'mozilla/5.0', 'n', g),
       md5(g::text), timestamptz '2026-01-01' + g * interval '1 second'
FROM generate_series(1, $ROWS) g;
CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL);
INSERT INTO products SELECT g, 'Product ' || g, (g % 9700) / 100.0 + 0.99 FROM generate_series(1, $ROWS) g;
ANALYZE;
SQL
pg_dump -d bsrc --schema-only --table=events --no-owner --no-acl | $PSQL -d bdst > /dev/null
cat > "$W/copy.yaml" <<EOF2
runbook: bench-copy
connections:
  pg:
    src: {conninfo: "host=$PGHOST port=$PGPORT dbname=bsrc"}
    dst: {conninfo: "host=$PGHOST port=$PGPORT dbname=bdst"}
steps:
  - id: copy
    action: pg.copy_table
    with: {table: events, source: src, target: dst, truncate: true}
EOF2
count() { psql -XAt -d bdst -c "SELECT count(*) FROM events"; }
for _ in $(seq "$RUNS"); do
	rm -rf "$W/st"
	timed pg_rb "$RB" run "$W/copy.yaml" --yes --state-dir "$W/st"
	want "pg.copy_table rows" "$(count)" "$ROWS"
	$PSQL -d bdst -c "TRUNCATE events"
	timed pg_dump bash -c 'pg_dump -d bsrc --table=events --data-only --format=custom | pg_restore -d bdst --data-only'
	want "pg_dump | pg_restore rows" "$(count)" "$ROWS"
	$PSQL -d bdst -c "TRUNCATE events"
	timed pg_pipe bash -c 'psql -X -d bsrc -c "COPY events TO STDOUT" | psql -X -q -d bdst -c "COPY events FROM STDIN"'
	want "psql COPY pipe rows" "$(count)" "$ROWS"
	$PSQL -d bdst -c "TRUNCATE events"
done
echo "### pg.copy_table: $ROWS rows (~140 bytes each) into an emptied table with a primary key"
echo
echo "| tool | ms | peak RSS | ratio (medians) |"
echo "|---|---:|---:|---:|"
row "runbook run: pg.copy_table (truncate: true)" pg_rb pg_rb
row "pg_dump -Fc --data-only \| pg_restore --data-only" pg_dump pg_rb
row "psql COPY TO STDOUT \| psql COPY FROM STDIN" pg_pipe pg_rb
echo

# ---- Redis: ROWS keys from a query ----
cat > "$W/warm.yaml" <<EOF2
runbook: bench-warm
connections:
  pg: {src: {conninfo: "host=$PGHOST port=$PGPORT dbname=bsrc"}}
  redis: {cache: {host: 127.0.0.1, port: $REDIS_PORT}}
steps:
  - id: warm
    action: redis.warm
    with:
      connection: cache
      pg_connection: src
      sql: SELECT id, name, price FROM products ORDER BY id
      key: "product:{id}"
      value: '{"name":"{name}","price":{price}}'
EOF2
cat > "$W/resp.sh" <<'EOF2'
psql -X -At -d bsrc -c "SELECT '*3' || E'\r\n\$3\r\nSET\r\n\$' || octet_length(k) || E'\r\n' || k || E'\r\n\$' || octet_length(v) || E'\r\n' || v || E'\r'
  FROM (SELECT 'product:' || id AS k, '{\"name\":\"' || name || '\",\"price\":' || price || '}' AS v FROM products ORDER BY id) s" \
	| redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --pipe
EOF2
for _ in $(seq "$RUNS"); do
	$R FLUSHALL > /dev/null
	rm -rf "$W/st"
	timed redis_rb "$RB" run "$W/warm.yaml" --yes --state-dir "$W/st"
	want "redis.warm keys" "$($R DBSIZE)" "$ROWS"
	v=$($R GET product:3)
	$R FLUSHALL > /dev/null
	timed redis_pipe bash "$W/resp.sh"
	want "redis-cli --pipe keys" "$($R DBSIZE)" "$ROWS"
	want "the same value" "$($R GET product:3)" "$v"
done
echo "### redis.warm: $ROWS keys from a PostgreSQL query (SET product:{id})"
echo
echo "| tool | ms | peak RSS | ratio (medians) |"
echo "|---|---:|---:|---:|"
row "runbook run: redis.warm (sql:)" redis_rb redis_rb
row "psql (RESP built in SQL) \| redis-cli --pipe" redis_pipe redis_rb
echo

# ---- S3: OBJECTS objects of 4 KiB, bucket to bucket, in `runbook sim serve` ----
if ! command -v aws > /dev/null; then
	echo "### s3.sync: not measured (no aws CLI)"
	exit 0
fi
python3 - "$OBJECTS" > "$W/s3.yaml" <<'PY'
import sys
n = int(sys.argv[1])
print("scenario: bench-s3\ns3:\n  buckets:\n    - name: media-src\n      versioning: none\n      objects:")
for i in range(n):
    print("        - {key: products/p%05d/hero.jpg, size: 4096}" % i)
print("    - {name: media-dst, versioning: none}")
PY
"$RB" sim serve --scenario "$W/s3.yaml" --listen 127.0.0.1:0 > "$W/sim.out" 2> "$W/sim.err" &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
EP=
for _ in $(seq 100); do
	EP=$(head -1 "$W/sim.out" 2> /dev/null | grep -o 'http://127\.0\.0\.1:[0-9]*' || true)
	[ -n "$EP" ] && break
	sleep 0.1
done
[ -n "$EP" ] || { echo "data.sh: the simulator did not start" >&2; cat "$W/sim.err" >&2; exit 1; }
cat > "$W/sync.yaml" <<EOF2
runbook: bench-sync
params:
  to: {type: string, required: true}
connections:
  aws: {region: us-east-1, endpoint: "$EP"}
steps:
  - id: sync
    action: s3.sync
    with: {source: "s3://media-src/products/", destination: "\${{ .params.to }}"}
EOF2
objects() { aws s3 ls --endpoint-url "$EP" --recursive "s3://media-dst/$1/" | wc -l; }
for i in $(seq "$RUNS"); do
	rm -rf "$W/st"
	timed s3_rb "$RB" run "$W/sync.yaml" --yes --state-dir "$W/st" -p to="s3://media-dst/rb$i/"
	want "s3.sync objects" "$(objects "rb$i")" "$OBJECTS"
	timed s3_cli aws s3 sync --endpoint-url "$EP" --only-show-errors s3://media-src/products/ "s3://media-dst/cli$i/"
	want "aws s3 sync objects" "$(objects "cli$i")" "$OBJECTS"
done
echo "### s3.sync: $OBJECTS objects of 4 KiB, bucket to bucket (runbook sim serve)"
echo
echo "| tool | ms | peak RSS | ratio (medians) |"
echo "|---|---:|---:|---:|"
row "runbook run: s3.sync (concurrency 8)" s3_rb s3_rb
row "aws s3 sync (AWS CLI $(aws --version 2>&1 | cut -d' ' -f1 | cut -d/ -f2))" s3_cli s3_rb
