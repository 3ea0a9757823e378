#!/usr/bin/env bash
# orchestration.sh — the same snapshot restore (restore an RDS snapshot into a new
# instance, wait until it is available) by runbook (restore.yaml), bash + AWS CLI
# (restore-cli.sh) and Ansible (restore-playbook.yml, amazon.aws.rds_instance), against
# one `runbook sim serve --speed 600` of restore-scenario.yaml (the restore takes no time,
# so the figures are the orchestration's own cost). Interleaved runs; markdown rows on
# stdout for run-all.sh: wall ms min / median / max, the calls each made (from the
# simulator's request log), peak RSS (the largest process, /usr/bin/time).
#   tests/bench/orchestration.sh RUNBOOK [RUNS]
# ANSIBLE=0 leaves Ansible out (it takes ~15 s a run).
set -euo pipefail
RB=$(realpath "$1")
RUNS=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
sim=
trap '[ -z "$sim" ] || kill $sim 2>/dev/null || true; rm -rf "$W"' EXIT
export NO_COLOR=1 AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
export AWS_CONFIG_FILE=$W/none AWS_SHARED_CREDENTIALS_FILE=$W/none
export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$W/ansible-tmp

"$RB" sim serve --scenario "$here/restore-scenario.yaml" --listen 127.0.0.1:0 --speed 600 \
	--log "$W/sim.log" > "$W/sim.out" 2> "$W/sim.err" &
sim=$!
EP=
for _ in $(seq 100); do
	EP=$(head -1 "$W/sim.out" 2> /dev/null | grep -o 'http://127\.0\.0\.1:[0-9]*' || true)
	[ -n "$EP" ] && break
	sleep 0.1
done
[ -n "$EP" ] || { echo "orchestration.sh: the simulator did not start" >&2; cat "$W/sim.err" >&2; exit 1; }

have_cli=0 have_ansible=0
command -v aws > /dev/null && have_cli=1
if [ "${ANSIBLE:-1}" = 1 ] && command -v ansible-playbook > /dev/null &&
	ansible-galaxy collection list amazon.aws 2> /dev/null | grep -q '^amazon\.aws '; then
	have_ansible=1
fi

# timed NAME CMD...: appends "ms kb calls" to $W/NAME; the instance must be available
timed() {
	local name=$1 t0 t1 before
	shift
	before=$(wc -l < "$W/sim.log")
	t0=$(date +%s%N)
	if ! /usr/bin/time -o "$W/time" -f %M "$@" > "$W/out" 2>&1; then
		echo "orchestration.sh: $name failed: $*" >&2
		tail -20 "$W/out" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $(tail -1 "$W/time") $(($(wc -l < "$W/sim.log") - before))" >> "$W/$name"
	tail -n +"$((before + 1))" "$W/sim.log" | cut -d' ' -f3,5- | sed 's/ 200$//' | uniq -c |
		awk '{ c = $1; $1 = ""; printf "%s%s%s", (n++ ? ", " : ""), substr($0, 2), (c > 1 ? " x" c : "") } END { print "" }' > "$W/$name.calls"
}
available() { # available ID: the simulator says so
	curl -sf "$EP/_sim/state" | jq -e --arg id "$1" \
		'[.. | objects | select(.DBInstanceIdentifier? == $id and .DBInstanceStatus? == "available")] | length > 0' > /dev/null ||
		{ echo "orchestration.sh: $1 is not available" >&2; exit 1; }
}
for i in $(seq "$RUNS"); do
	rm -rf "$W/st"
	timed rb "$RB" run "$here/restore.yaml" --yes --state-dir "$W/st" -p endpoint="$EP" -p target="rb-$i"
	available "rb-$i"
	if [ $have_cli = 1 ]; then
		timed cli "$here/restore-cli.sh" "$EP" "cli-$i"
		available "cli-$i"
	fi
	if [ $have_ansible = 1 ]; then
		timed ansible ansible-playbook -i localhost, -c local "$here/restore-playbook.yml" \
			-e endpoint="$EP" -e target="ans-$i"
		available "ans-$i"
	fi
done
med() { sort -n "$W/$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
row() { # row TOOL NAME
	if [ ! -s "$W/$2" ]; then
		echo "| $1 | not installed | | | |"
		return
	fi
	sort -n "$W/$2" | awk -v base="$(med rb)" -v tool="$1" '
		{ v[NR] = $1; if ($2 > m) m = $2; c = $3 }
		END { printf "| %s | %d / %d / %d | %.1fx | %d | %.1f MB |\n", tool, v[1], v[int((NR + 1) / 2)], v[NR],
		      v[int((NR + 1) / 2)] / base, c, m / 1024 }'
}
echo "| tool | ms | ratio (medians) | calls | peak RSS |"
echo "|---|---:|---:|---:|---:|"
row "runbook run tests/bench/restore.yaml" rb
row "bash + AWS CLI (tests/bench/restore-cli.sh)" cli
row "Ansible amazon.aws.rds_instance (tests/bench/restore-playbook.yml)" ansible
echo
echo "Calls of one run (the simulator's request log: operation, and the status when not 200):"
echo
for t in rb:runbook cli:"bash + AWS CLI" ansible:Ansible; do
	[ -s "$W/${t%%:*}.calls" ] && echo "- ${t#*:}: $(cat "$W/${t%%:*}.calls")"
done
exit 0
