#!/usr/bin/env bash
# quickstart.sh — the README's first command: set up (scripts/setup.sh), build, rehearse a
# real restore (runbooks/rds-snapshot-restore.yaml against the bundled simulated cloud,
# on a virtual clock), then run the small example examples/quickstart.yaml twice: once
# to success, once with -p fail=true so that the rollback undoes what was done.
#
# Environment: BUILD_DIR (default build), JOBS (default: number of CPUs).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
# quiet when it works, the whole story when it does not
log=$(mktemp)
quiet() { "$@" >"$log" 2>&1 || { cat "$log" >&2; echo "quickstart: '$*' failed" >&2; exit 1; }; }
echo "building into $build/ ..."
[ -f "$build/build.ninja" ] || quiet meson setup "$build"
quiet ninja -C "$build" -j "$jobs"
rm -f "$log"
rb=$build/runbook
example=examples/quickstart.yaml

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { printf '\n== %s\n' "$*"; }

restore=runbooks/rds-snapshot-restore.yaml
scenario=examples/scenarios/rds-snapshot-restore.yaml
say "$rb rehearse $restore --scenario $scenario -p source_instance=shop-prod"
echo "(a full RDS snapshot restore, rehearsed against the embedded simulator: about 20"
echo " simulated minutes in well under a second; confirmations are approved in rehearsals)"
"$rb" rehearse "$restore" --scenario "$scenario" -p source_instance=shop-prod --state-dir "$work/state"

say "$rb validate $example"
"$rb" validate "$example"
echo "valid"

say "$rb run $example --yes -p workdir=$work/ok"
"$rb" run "$example" --yes -p workdir="$work/ok"
if [ -e "$work/ok" ]; then
	echo "quickstart: the run's cleanup steps left $work/ok behind" >&2
	exit 1
fi
echo "exit status 0: succeeded (its last steps removed what it wrote)"

say "$rb run $example --yes -p workdir=$work/failing -p fail=true"
echo "(verify fails on purpose; the rollback undoes every completed step, newest first)"
set +e
"$rb" run "$example" --yes -p workdir="$work/failing" -p fail=true
rc=$?
set -e
if [ "$rc" -ne 1 ]; then
	echo "quickstart: expected exit status 1 (failed, rollback complete), got $rc" >&2
	exit 1
fi
if [ -e "$work/failing" ]; then
	echo "quickstart: the rollback left $work/failing behind:" >&2
	ls -la "$work/failing" >&2
	exit 1
fi
echo "exit status 1: failed, rollback complete; $work/failing is gone"

say "next"
printf '  %-52s %s\n' "$rb plan $restore -p source_instance=shop-prod" "the restore's steps, what mutates, the critical path" \
	"$rb history" "the runs you just made" \
	"$rb show RUN-ID" "what happened, step by step" \
	"$rb run $example --dry-run" "what it would change, without changing it" \
	"man -l man/runbook.1; man -l man/runbook.5" "the commands; the file format"
echo "  README.md has a five-minute tour."
