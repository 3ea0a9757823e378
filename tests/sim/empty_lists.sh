#!/bin/bash
# s3.sync into an empty destination (an empty ListObjectsV2 reply has no Contents) and
# the other list-reading actions against empty lists: a rehearsal whose asserts check
# the results; it used to abort on a jv assertion.
set -u
RUNBOOK=${1:?}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
SRCDIR=${2:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$RUNBOOK" rehearse "$SRCDIR/tests/sim/empty_lists_rb.yaml" --scenario "$SRCDIR/tests/sim/empty_lists.yaml" \
	--state-dir "$T/state" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] && grep -q "run          succeeded" "$T/out"; then
	echo "ok - every list action against empty lists"
	exit 0
fi
echo "not ok - rehearsal exit $rc"
cat "$T/out" "$T/err"
exit 1
