#!/usr/bin/env bash
# copy_bench.sh DBDRV — pg.copy_table of a table of at least 1 GB (BENCH_COPY_ROWS rows,
# default 8,000,000 of ~140 bytes) against the seed's partial restore
# (pg_dump -Fc -t T | pg_restore -t T) and the practical limit
# (psql -c "COPY T TO STDOUT" | psql -c "COPY T FROM STDIN"). Run under
# tests/integration/servers.sh; source and target are two databases of one server.
# A benchmark, not a test: it prints figures (and checks the copies are complete).
set -euo pipefail
DRV=$1
ROWS=${BENCH_COPY_ROWS:-8000000}
PSQL="psql -X -q -v ON_ERROR_STOP=1"
ms() { date +%s%3N; }

createdb bsrc
createdb bdst
echo "generating $ROWS rows..."
t0=$(ms)
$PSQL -d bsrc <<SQL
CREATE TABLE events (
  id bigint PRIMARY KEY,
  account_id bigint NOT NULL,
  kind text NOT NULL,
  amount numeric(12,2) NOT NULL,
  payload jsonb NOT NULL,
  note text,
  created_at timestamptz NOT NULL
);
INSERT INTO events
SELECT g, g % 100000, (ARRAY['order','payment','refund','login'])[g % 4 + 1], (g % 100000) / 100.0,
       jsonb_build_object('ip', '10.0.' || (g % 250) || '.' || (g % 200), 'agent', 'mozilla/5.0', 'n', g),
       repeat(md5(g::text), 1), timestamptz '2026-01-01' + g * interval '1 second'
FROM generate_series(1, $ROWS) g;
ANALYZE events;
SQL
SIZE=$(psql -XAt -d bsrc -c "SELECT pg_total_relation_size('events')")
HEAP=$(psql -XAt -d bsrc -c "SELECT pg_relation_size('events')")
echo "table: $ROWS rows, heap $((HEAP / 1048576)) MB, with index $((SIZE / 1048576)) MB (generated in $(( ($(ms) - t0) / 1000 ))s)"

C=$(jq -cn --arg h "$PGHOST" --arg p "$PGPORT" '{pg: {src: {conninfo: "host=\($h) port=\($p) dbname=bsrc"}, dst: {conninfo: "host=\($h) port=\($p) dbname=bdst"}}}')
count() { psql -XAt -d bdst -c "SELECT count(*) FROM events"; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
result() { printf '%-58s %7s s  %7s MB/s\n' "$1" "$(calc "$2 / 1000")" "$(calc "$HEAP / 1048576 / ($2 / 1000)")"; }

# 1. the seed's partial restore: dump to a file, drop, restore the table (no indexes with -t)
t0=$(ms)
pg_dump -d bsrc --table=events --no-owner --no-acl --format=custom --file="$RB_SERVERS_DIR/events.dump"
$PSQL -d bdst -c "DROP TABLE IF EXISTS events CASCADE"
pg_restore -d bdst --table=events --no-owner --no-acl "$RB_SERVERS_DIR/events.dump"
T_DUMP=$(( $(ms) - t0 ))
[ "$(count)" = "$ROWS" ] || { echo "pg_dump | pg_restore copied $(count) rows"; exit 1; }
rm -f "$RB_SERVERS_DIR/events.dump"

# 2. pg.copy_table creating the table (from the source's columns, with its primary key)
$PSQL -d bdst -c "DROP TABLE events"
t0=$(ms)
OUT=$("$DRV" --connections "$C" pg.copy_table '{"table": "events", "source": "src", "target": "dst", "create": true}')
T_CREATE=$(( $(ms) - t0 ))
[ "$(jq .result.rows <<<"$OUT")" = "$ROWS" ] || { echo "pg.copy_table (create): $OUT"; exit 1; }

# 3. the practical limit: psql COPY piped into psql COPY, into the existing table (emptied)
$PSQL -d bdst -c "TRUNCATE events"
t0=$(ms)
psql -X -d bsrc -c "COPY events TO STDOUT" | psql -X -q -d bdst -c "COPY events FROM STDIN"
T_PIPE=$(( $(ms) - t0 ))
[ "$(count)" = "$ROWS" ] || { echo "psql | psql copied $(count) rows"; exit 1; }

# 4. pg.copy_table into the existing table, truncated in the same transaction
t0=$(ms)
OUT=$("$DRV" --connections "$C" pg.copy_table '{"table": "events", "source": "src", "target": "dst", "truncate": true}')
T_TRUNC=$(( $(ms) - t0 ))
[ "$(jq .result.rows <<<"$OUT")" = "$ROWS" ] || { echo "pg.copy_table (truncate): $OUT"; exit 1; }

# 5. the same in binary COPY format
t0=$(ms)
OUT=$("$DRV" --connections "$C" pg.copy_table '{"table": "events", "source": "src", "target": "dst", "truncate": true, "format": "binary"}')
T_BIN=$(( $(ms) - t0 ))
[ "$(jq .result.rows <<<"$OUT")" = "$ROWS" ] || { echo "pg.copy_table (binary): $OUT"; exit 1; }

echo
result "pg_dump -Fc -t | pg_restore -t (seed; no index built)" "$T_DUMP"
result "pg.copy_table create: true (builds the primary key)" "$T_CREATE"
result "psql COPY TO | psql COPY FROM (into table with PK)" "$T_PIPE"
result "pg.copy_table truncate: true (into table with PK)" "$T_TRUNC"
result "pg.copy_table truncate: true, format: binary" "$T_BIN"
echo "speed-up vs pg_dump|pg_restore: $(calc "$T_DUMP / $T_CREATE")x (create), $(calc "$T_DUMP / $T_TRUNC")x (truncate);" \
	"vs psql pipe: $(calc "$T_PIPE / $T_TRUNC")x (text), $(calc "$T_PIPE / $T_BIN")x (binary)"
