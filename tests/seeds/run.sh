#!/usr/bin/env bash
# run.sh RUNBOOK SRCDIR — the seeds' own bash scripts, unmodified, against `runbook sim
# serve` (issue 13). Extracts every ```bash block of the seeds (extract.sh), runs the ones
# scope.txt marks in scope, each against a fresh simulator, with the real aws CLI, kubectl,
# psql, redis-cli and a real local PostgreSQL and Redis (tests/integration/servers.sh),
# inside a network namespace that has only loopback, and prints one line per script:
#   complete  the script exited 0, some call failed (it went on or branched on it)
#   clean     the script exited 0 and every call succeeded
#   failed    the script exited non-zero (or ran out of time): its first failing call
# with the fault expect.txt attributes (sim | script | out-of-scope). Fails when a
# script's status differs from expect.txt. RB_SEEDS_DIR: the seeds (default
# SRCDIR/../shared/seeds, else the copies in tests/seeds/documents); RB_SEEDS_ONLY: a regex of ids to run; RB_SEEDS_JOBS: parallel
# scripts (default 4); RB_SEEDS_TIMEOUT: seconds per script (default 300: the CLI's RDS
# waiters poll every 30 s of real time); RB_SEEDS_KEEP=1 keeps the work directory.
set -u
RUNBOOK=${1:?usage: run.sh RUNBOOK SRCDIR}
SRCDIR=${2:?usage: run.sh RUNBOOK SRCDIR}
case $RUNBOOK in /*) ;; *) RUNBOOK=$PWD/$RUNBOOK ;; esac
case $SRCDIR in /*) ;; *) SRCDIR=$PWD/$SRCDIR ;; esac
HERE=$SRCDIR/tests/seeds
SEEDS=${RB_SEEDS_DIR:-}
if [ -z "$SEEDS" ]; then
	for d in "$SRCDIR/../shared/seeds" "$SRCDIR/../../shared/seeds"; do
		[ -d "$d" ] && { SEEDS=$(cd "$d" && pwd); break; }
	done
fi
# a fresh clone without ../shared (CI) runs the copies kept in tests/seeds/documents;
# where both exist they must be the same documents
if [ -n "$SEEDS" ] && ! diff -rq "$SEEDS" "$HERE/documents" >/dev/null 2>&1; then
	echo "Bail out! tests/seeds/documents differs from $SEEDS: copy the seeds again"
	exit 1
fi
[ -n "$SEEDS" ] || SEEDS=$HERE/documents
[ -d "$SEEDS" ] || { echo "1..0 # SKIP no seeds directory (set RB_SEEDS_DIR)"; exit 77; }
for t in aws kubectl psql redis-cli jq; do
	command -v "$t" >/dev/null 2>&1 || { echo "1..0 # SKIP no $t on PATH"; exit 77; }
done

# 1. a network namespace with only loopback (and a mount namespace for /etc/hosts):
# as root, unshare --net --mount (PostgreSQL then runs as `postgres`, which a user
# namespace would not map); otherwise a user namespace too. No unshare: loopback only
# by convention, said in the output.
if [ -z "${RB_SEEDS_NS:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then ns=(unshare --net --mount); else ns=(unshare --user --map-root-user --net --mount); fi
	if "${ns[@]}" true 2>/dev/null; then
		RB_SEEDS_NS=netns exec "${ns[@]}" "$BASH" "$0" "$@"
	fi
	echo "# unshare is not available here: running on the host's loopback without isolation"
	export RB_SEEDS_NS=none
fi
if [ "$RB_SEEDS_NS" = netns ]; then
	ip link set lo up || { echo "Bail out! cannot bring loopback up in the namespace"; exit 1; }
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/rb-seeds.XXXXXX")
chmod 755 "$W"
cleanup() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${RB_SEEDS_KEEP:-}" ] && echo "# kept $W" || rm -rf "$W"
}
trap cleanup EXIT

"$HERE/extract.sh" "$SEEDS" "$W/scripts" || { echo "Bail out! extraction failed"; exit 1; }

# 2. the scripts' hard-coded hosts (and the simulator's endpoints) resolve to loopback
{
	echo "127.0.0.1 localhost"
	echo "::1 localhost ip6-localhost"
	cat "$W"/scripts/*.sh "$HERE"/*.yaml |
		grep -ohE '[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)*\.(com|net|io|org|internal|local|svc|cluster\.local)\b' |
		sort -u | sed 's/^/127.0.0.1 /'
	for f in "$HERE"/*.yaml; do
		sed -nE 's/^ *- *\{? *id: *"?([A-Za-z0-9-]+).*/\1/p' "$f" | while read -r id; do
			echo "127.0.0.1 $id.c9akciq32x1e.us-east-1.rds.amazonaws.com master.$id.x1y2z3.use1.cache.amazonaws.com"
		done
	done
} >"$W/hosts"
if [ "$RB_SEEDS_NS" = netns ]; then
	mount --bind "$W/hosts" /etc/hosts || { echo "Bail out! cannot map hosts"; exit 1; }
	RB_SEEDS_HOSTS=$W/hosts   # shim.sh adds the hosts of instances made during a run
else
	RB_SEEDS_HOSTS=
	export HOSTALIASES=$W/hosts   # best effort: glibc reads it for single-label names only
fi

# 3. real PostgreSQL and Redis; in the namespace also on their usual ports, for scripts
# that hard-code -p 5432 / -p 6379
. "$SRCDIR/tests/integration/servers.sh"
servers_start >"$W/servers.log" 2>&1 || { cat "$W/servers.log"; echo "Bail out! servers.sh failed"; exit 1; }
trap 'cleanup; servers_stop' EXIT
set +e
if [ "$RB_SEEDS_NS" = netns ]; then
	python3 "$HERE/forward.py" 5432 "$PGPORT" 6379 "$REDIS_PORT" &
fi
for f in "$HERE"/[0-9][0-9][0-9].sql; do
	[ -f "$f" ] && psql -q -v ON_ERROR_STOP=1 -f "$f" >/dev/null 2>&1
done
unset PGHOST PGUSER PGDATABASE   # the scripts name their own hosts and users
export PGPORT RB_PG_SOCK=$RB_SERVERS_DIR/sock

mkdir -p "$W/shim"
for t in aws kubectl psql redis-cli pg_dump pg_restore sleep; do ln -s "$HERE/shim.sh" "$W/shim/$t"; done

# script_args ID CWD: argv and answers of ID as args.txt gives them ("ID ARG... [<<< A,B]":
# words split on blanks, no quoting; {now-Nh} is the UTC time N hours ago (ISO 8601, for
# restore times inside the simulated window), {cwd} the script's working directory;
# after "<<<" the lines a user types at the script's prompts, comma separated)
script_args() {
	local id=$1 cwd=$2 line w h
	local -
	set -f
	argv=() answers=
	line=$(awk -v id="$1" '$1 == id { $1 = ""; print; exit }' "$HERE/args.txt")
	[ -n "$line" ] || return 0
	case $line in *'<<<'*) answers=${line#*<<<} line=${line%%<<<*} ;; esac
	answers=$(printf '%s' "$answers" | tr -d ' ' | tr ',' '\n')
	[ -n "$answers" ] && answers="$answers\n"
	for w in $line; do
		while [[ $w =~ \{now-([0-9]+)h\} ]]; do
			h=${BASH_REMATCH[1]}
			w=${w/"{now-${h}h}"/$(date -u -d "-$h hours" +%Y-%m-%dT%H:%M:%SZ)}
		done
		argv+=("${w//\{cwd\}/$cwd}")
	done
}

# run_one ID: a fresh simulator (tests/seeds/NNN.yaml, else default.yaml), a fresh HOME
# with an AWS profile and a kubeconfig for it, the script with the arguments and answers
# of args.txt (none: no arguments, stdin closed)
run_one() {
	local id=$1 seed=${1%%-*} d=$W/run/$1 scen rc ep
	scen=$HERE/$seed.yaml
	[ -f "$scen" ] || scen=$HERE/default.yaml
	mkdir -p "$d/home/.aws" "$d/home/.kube" "$d/cwd"
	"$RUNBOOK" sim serve --scenario "$scen" --listen 127.0.0.1:0 --speed "${RB_SEEDS_SPEED:-600}" \
		--k8s-listen 127.0.0.1:0 --kubeconfig-out "$d/home/.kube/config" --log "$d/sim.log" \
		>"$d/sim.out" 2>"$d/sim.err" &
	local sim=$! i
	for i in $(seq 1 200); do
		ep=$(head -n 1 "$d/sim.out" 2>/dev/null)
		[ -n "$ep" ] && [ -s "$d/home/.kube/config" ] && break
		kill -0 $sim 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$ep" ]; then
		printf 'failed\tsim did not start: %s\n' "$(head -c 200 "$d/sim.err")" >"$d/result"
		return
	fi
	printf '[default]\nregion = us-east-1\noutput = json\nservices = sim\n\n[services sim]\n' >"$d/home/.aws/config"
	for s in rds elasticache s3 secretsmanager sts sns; do
		printf '%s =\n  endpoint_url = %s\n' "$s" "$ep" >>"$d/home/.aws/config"
	done
	printf '[default]\naws_access_key_id = AKIDSIMULATOR0000001\naws_secret_access_key = dummy-secret-key\n' \
		>"$d/home/.aws/credentials"
	# a user's arguments and answers (args.txt), or none and stdin closed
	local argv=() answers=
	script_args "$id" "$d/cwd"
	printf '%b' "$answers" >"$d/stdin"
	(
		cd "$d/cwd" || exit 1
		env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
			-u AWS_CONFIG_FILE -u AWS_SHARED_CREDENTIALS_FILE -u KUBECONFIG \
			HOME="$d/home" TMPDIR="$d/cwd" PATH="$W/shim:$PATH" AWS_PAGER= \
			AWS_ENDPOINT_URL="$ep" RB_SEEDS_ENDPOINT="$ep" RB_SEEDS_HOSTS="$RB_SEEDS_HOSTS" RB_SEEDS_CALLS="$d/calls" \
			timeout -k 5 "${RB_SEEDS_TIMEOUT:-300}" bash "$W/scripts/$id.sh" "${argv[@]}" <"$d/stdin" >"$d/out" 2>"$d/err"
	)
	rc=$?
	kill $sim 2>/dev/null
	wait $sim 2>/dev/null
	local first
	first=$(awk -F'\t' '$1 != 0 { print $2 " => " $3; exit }' "$d/calls" 2>/dev/null)
	if [ $rc -eq 0 ] && [ -z "$first" ]; then
		printf 'clean\t\n' >"$d/result"
	elif [ $rc -eq 0 ]; then
		printf 'complete\t%s\n' "$first" >"$d/result"
	elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		printf 'failed\ttimed out; first failing call: %s\n' "${first:-none}" >"$d/result"
	else
		[ -n "$first" ] || first="exit $rc: $(grep -m1 -v '^[[:space:]]*$' "$d/err" | cut -c1-160)"
		printf 'failed\t%s\n' "$first" >"$d/result"
	fi
}

ids=$(awk '$2 == "in" { print $1 }' "$HERE/scope.txt" | grep -E "${RB_SEEDS_ONLY:-.}")
jobs_max=${RB_SEEDS_JOBS:-4}
pids=()
for id in $ids; do
	while [ "$(jobs -rp | wc -l)" -gt "$jobs_max" ]; do sleep 0.2; done
	run_one "$id" &
	pids+=($!)
done
wait "${pids[@]}" 2>/dev/null

# 4. the table, against expect.txt
n=0 bad=0 clean=0 complete=0 failed=0
printf '%-7s %-9s %-9s %-12s %s\n' script status expected fault "first failing call"
for id in $ids; do
	n=$((n + 1))
	IFS=$'\t' read -r st why <"$W/run/$id/result"
	exp=$(awk -v id="$id" '$1 == id { print $2 }' "$HERE/expect.txt")
	fault=$(awk -v id="$id" '$1 == id { print $3 }' "$HERE/expect.txt")
	case $st in clean) clean=$((clean + 1)) ;; complete) complete=$((complete + 1)) ;; *) failed=$((failed + 1)) ;; esac
	mark=
	if [ "$st" != "${exp:-?}" ]; then mark=' <-- differs'; bad=$((bad + 1)); fi
	printf '%-7s %-9s %-9s %-12s %s%s\n' "$id" "$st" "${exp:-?}" "${fault:--}" "$(printf '%s' "$why" | cut -c1-150)" "$mark"
done
echo "# $n scripts in scope: $clean clean, $complete complete, $failed failed; $bad differ from expect.txt (namespace: $RB_SEEDS_NS)"
[ $bad -eq 0 ]
