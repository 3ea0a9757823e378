#!/bin/bash
# cli_sim_test.sh RUNBOOK SRCDIR — the aws module through the whole program: `runbook sim
# serve` (a separate process, like the AWS CLI would use), then `runbook run --dry-run`
# (the simulator's counters must show zero mutating calls) and a real run (undelete,
# sync, compare, secret read whose value must never be printed).
set -u
rb=$1 dir=$2
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-aws-cli-sim
tmp=$T
sim_pid=
stop_sim() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; wait 2>/dev/null; }
keep_out() { [ -z "${KEEP_OUT:-}" ] || cp "$tmp/run.out" "$KEEP_OUT"; }
tap_cleanup stop_sim
tap_cleanup keep_out
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY

"$rb" sim serve --scenario "$dir/sim_world.yaml" --quiet >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
for _ in $(seq 100); do [ -s "$tmp/sim.out" ] && break; sleep 0.05; done
ep=$(head -n1 "$tmp/sim.out" | grep -o 'http://127\.0\.0\.1:[0-9]*')
[ -n "$ep" ] || fail "sim serve printed no endpoint: $(cat "$tmp/sim.out" "$tmp/sim.err")"
counters() { curl -sf "$ep/_sim/counters"; }

# dry run: reads happen, writes are only described
"$rb" run "$dir/s3-secrets-restore.yaml" -p "endpoint=$ep" --dry-run --state-dir "$tmp/state" \
	>"$tmp/dry.out" 2>&1 || fail "dry run exited $?: $(cat "$tmp/dry.out")"
m=$(counters | jq '.mutating | add // 0')
[ "$m" = 0 ] || fail "dry run made $m mutating calls: $(counters)"
r=$(counters | jq '.requests.ListObjectVersions // 0')
[ "$r" -ge 1 ] || fail "dry run did not read (ListObjectVersions $r)"

# the real run
"$rb" run "$dir/s3-secrets-restore.yaml" -p "endpoint=$ep" --yes --state-dir "$tmp/state" \
	>"$tmp/run.out" 2>&1 || fail "run exited $?: $(cat "$tmp/run.out")"
c=$(counters)
[ "$(jq '.mutating.DeleteObject // 0' <<<"$c")" -ge 2 ] || fail "expected the undelete and a sync delete: $c"
[ "$(jq '.mutating.CopyObject // 0' <<<"$c")" -ge 2 ] || fail "expected 2 sync copies: $c"
if grep -rq 'bad-password-2' "$tmp/run.out" "$tmp/dry.out" "$tmp/state"; then
	fail "the secret value leaked into output or the journal"
fi
grep -q 'the password is \*\*\*' "$tmp/run.out" || fail "the log step did not show the masked value: $(cat "$tmp/run.out")"
ok "dry run 0 mutating calls; run: $(jq -c .mutating <<<"$c")"
tap_done
