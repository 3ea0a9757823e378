#!/bin/bash
# readme_picture.sh RUNBOOK SRCDIR — the README's drill picture (docs/drill-timeline.svg)
# is what `runbook drill` draws today: the README's drill command is run again and its
# timeline.svg compared with the committed one, the run id and start time aside (a new
# run has new ones). UPDATE_GOLDEN=1 writes the new picture into docs/.
set -u
RB=$(realpath "$1")
SRC=$(realpath "$2")
T=$(mktemp -d "${TMPDIR:-/tmp}/rb-picture.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
"$RB" drill "$SRC/runbooks/rds-snapshot-restore.yaml" --scenario "$SRC/examples/scenarios/rds-snapshot-restore.yaml" \
	-p source_instance=shop-prod --report-dir report --state-dir state >out 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL the README's drill command exits $rc"; cat out; exit 1
fi
xmllint --noout report/timeline.svg || { echo "FAIL timeline.svg is not well-formed"; exit 1; }
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
	cp report/timeline.svg "$SRC/docs/drill-timeline.svg"
	echo "wrote $SRC/docs/drill-timeline.svg"
	exit 0
fi
# what changes from run to run: the run id and when it started
norm() { sed -E 's/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}/RUN-ID/g; s/started [0-9T:.Z-]+/started TIME/g' "$1"; }
if ! diff <(norm "$SRC/docs/drill-timeline.svg") <(norm report/timeline.svg) >diff.out; then
	echo "FAIL docs/drill-timeline.svg is stale (UPDATE_GOLDEN=1 meson test drill-readme-picture):"
	head -20 diff.out
	exit 1
fi
grep -q 'docs/drill-timeline.svg' "$SRC/README.md" || { echo "FAIL README.md does not show docs/drill-timeline.svg"; exit 1; }
echo "ok   docs/drill-timeline.svg is what runbook drill draws today"
