#!/bin/bash
# matrix.sh RUNBOOK DIR SERVICE — the fault matrix of issue 8 for one service (rds,
# elasticache, s3, secretsmanager): its small restore runbook (matrix/SERVICE.yaml)
# against `runbook sim serve` with its world (matrix/SERVICE-world.yaml) and, in turn,
# throttling, 5xx, connection resets and latency injected on the service (the first two
# calls of its main write, the first two of a read made later, and the first call of
# any other operation: counts, not rates, so that the runs do not depend on timing), and
# once a write that keeps failing (its retries run out). Every run must end correct (exit 0, the world as asked) or
# fully rolled back (exit 1, the world as before); the transport's retries are bounded
# (at most 5 attempts a call); every request the simulator received is an attempt the
# run journaled, and every write request was the retry loop's decision (libcurl never
# re-sent one). Kubernetes is not here: the simulator injects faults on AWS only.
. "$(dirname "$0")/lib.sh" "$1" "$2"
SVC=${3:?usage: matrix.sh RUNBOOK DIR SERVICE}
# a call can meet three faults here (two on its operation, one on any): five attempts, the
# AWS CLI's legacy count, as the matrix was built for (the standard mode's default is 3)
export AWS_MAX_ATTEMPTS=5
unset AWS_RETRY_MODE
M=$HERE/matrix

# per service: the main write (simulator op), a later read, the op made to fail for good, the
# journal's names of the writes and the simulator's, and the world when correct
case $SVC in
rds)
	MAIN=RestoreDBInstanceFromDBSnapshot READ=DescribeDBInstances LATE=AddTagsToResource
	JWRITES='RestoreDBInstanceFromDBSnapshot|AddTagsToResource|DeleteDBInstance'
	SWRITES=$JWRITES
	CORRECT='[.rds.instances[] | select(.DBInstanceIdentifier == "shop-restored" and .DBInstanceStatus == "available"
		 and any(.TagList[]; .Key == "RestoredBy"))] | length == 1'
	# a deleted instance stays listed as "deleted"
	BEFORE='del(.now) | .rds.instances |= map(select(.DBInstanceStatus != "deleted"))' ;;
elasticache)
	MAIN=CreateReplicationGroup READ=DescribeReplicationGroups LATE=CreateSnapshot
	JWRITES='CreateReplicationGroup|CreateSnapshot|DeleteReplicationGroup'
	SWRITES=$JWRITES
	CORRECT='([.elasticache.replication_groups[] | select(.ReplicationGroupId == "sessions-restored" and .Status == "available")] | length == 1)
		 and ([.elasticache.snapshots[] | select(.SnapshotName == "sessions-restored-check")] | length == 1)'
	BEFORE='del(.now) | .elasticache.replication_groups |= map(select(.Status != "deleted"))' ;;
s3)
	MAIN=DeleteObject READ=GetObject LATE=DeleteObject
	JWRITES='(PUT|DELETE|POST) .*' SWRITES='DeleteObject|CopyObject|PutObject'
	CORRECT='[.s3[] | select(.Name == "docs") | .Versions[]] as $v
		 | ($v | map(select(.Key == "report.csv")) | max_by(.LastModified) | .DeleteMarker | not)
		 and (($v | map(select(.Key == "config/app.json")) | max_by(.LastModified) | .ETag)
		      == ($v | map(select(.VersionId == "good-1")) | .[0].ETag))'
	BEFORE='del(.now)' ;;
secretsmanager)
	MAIN=PutSecretValue READ=GetSecretValue LATE=GetSecretValue
	JWRITES='PutSecretValue|UpdateSecretVersionStage' SWRITES=$JWRITES
	CORRECT='[.secrets[] | select(.Name == "prod/db") | .Versions[] | select(.VersionStages | index("AWSCURRENT"))]
		 | length == 1 and .[0].VersionId != "v-1"'
	# a rolled back secret keeps the new version as AWSPREVIOUS: the current one is the old
	BEFORE='[.secrets[] | select(.Name == "prod/db") | .Versions[] | select(.VersionStages | index("AWSCURRENT")) | .VersionId]' ;;
*)
	bail_out "unknown service '$SVC'" ;;
esac

# one cell: NAME and the fault rules (YAML flow maps, one a line)
cell() {
	local name=$1
	shift
	{
		cat "$M/$SVC-world.yaml"
		echo "faults:"
		local r
		for r in "$@"; do echo "  - $r"; done
	} >"$TMP/$name.yaml"
	sim_start "$TMP/$name.yaml"
	local before after
	before=$(sim_state | jq -cS "$BEFORE")
	rb_run "$name" "$M/$SVC.yaml"
	after=$(sim_state)
	check "$name: the simulator answered before and after" "" "$(jq -r '.error // empty' <<<"$after")$(grep -o 'did not answer' <<<"$before")"
	check "$name: the run talked to this simulator" true "$([ "$(sim_requests "$SVC")" -gt 0 ] && echo true || echo false)"
	case $RC in
	0)
		check "$name: exit 0 and the world is as asked" true "$(jq "$CORRECT" <<<"$after")" ;;
	1)
		check "$name: exit 1 and the world is as before" "$before" "$(jq -cS "$BEFORE" <<<"$after")"
		check "$name: the rollback completed" 1 "$(grep -c 'rollback complete' "$OUT")" ;;
	*)
		check "$name: exit 0 or 1" "0 or 1" "$RC"
		tail -20 "$OUT" ;;
	esac
	check "$name: retries bounded (at most 5 attempts a call)" true \
		"$(jq -rs '[.[] | select(.event == "log") | .message | capture("^attempt (?<n>[0-9]+)/(?<m>[0-9]+):")
			| (.n | tonumber) <= (.m | tonumber) and (.m | tonumber) <= 5] | all' "$JOURNAL")"
	check "$name: requests received = attempts journaled" "$(sim_requests "$SVC")" "$(journal_attempts "$SVC")"
	check "$name: each write sent was the retry loop's decision" "$(sim_requests "$SVC" "$SWRITES")" \
		"$(journal_decided "$SVC" "$JWRITES")"
	FIRED=$(grep -c "fault=" "$SIM_LOG")
	sim_stop
	diag "$name: exit $RC, $(sim_requests "$SVC") requests, $FIRED faults"
}

fired() { check "$1: the fault was injected" true "$([ "$FIRED" -ge 2 ] && echo true || echo "false ($FIRED)")"; }
for kind in throttle 5xx reset latency; do
	case $kind in
	5xx) x=", status: 503" ;;
	latency) x=", latency: 200ms" ;;
	*) x= ;;
	esac
	cell "$SVC-$kind" "{service: $SVC, operation: $MAIN, kind: $kind$x, count: 2}" \
		"{service: $SVC, operation: $READ, kind: $kind$x, count: 2}" "{service: $SVC, kind: $kind$x, count: 1}"
	fired "$SVC-$kind"
	check "$SVC-$kind: the retries carried the run" 0 "$RC"
done
# retries run out on a later call: the run fails and undoes what it did
cell "$SVC-exhausted" "{service: $SVC, operation: $LATE, kind: 5xx, count: 100}"
check "$SVC-exhausted: the run failed and rolled back" 1 "$RC"
finish
