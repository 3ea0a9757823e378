#!/bin/bash
# Our Route 53 client against the simulator: route53.change_record (UPSERT with wait,
# a weighted CREATE) and aws.call route53 (ListResourceRecordSets, ListHostedZonesByName,
# GetChange), rehearsed; the asserts of tests/sim/route53_rb.yaml check the results and
# the world the rehearsal leaves has the new records.
set -u
RUNBOOK=${1:?}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
SRCDIR=${2:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$RUNBOOK" rehearse "$SRCDIR/tests/sim/route53_rb.yaml" --scenario "$SRCDIR/tests/sim/route53.yaml" \
	--state-dir "$T/state" --world-out "$T/world.json" >"$T/out" 2>"$T/err"
rc=$?
www=$(jq -r '.route53.hosted_zones[] | select(.Name == "shop.example.com.") | .ResourceRecordSets[] |
	select(.Name == "www.shop.example.com.") | "\(.SetIdentifier) \(.Weight) \(.ResourceRecords | length)"' \
	"$T/world.json" 2>/dev/null)
if [ $rc -eq 0 ] && grep -q "run          succeeded" "$T/out" && [ "$www" = "blue 90 2" ]; then
	echo "ok - route53.change_record and aws.call route53 against the simulator"
	exit 0
fi
echo "not ok - rehearsal exit $rc; www record: '$www'"
cat "$T/out" "$T/err"
exit 1
