#!/usr/bin/env bash
# run.sh — every runbook in examples/ (not examples/scenarios/) runs as its header says.
#   run.sh RUNBOOK_EXE SRCDIR
# Header directives (comment lines of the example):
#   # test-run: EXIT [ARGS...]   run with ARGS (plus --yes, a private --state-dir) and
#                                expect EXIT; repeatable; default one run expecting 0.
#                                EXIT 2 means the example is invalid on purpose: then
#                                `runbook validate` must exit 2 as well.
#   # test-absent: PATH          PATH must not exist after the runs (e.g. rolled back)
# $TMP in a directive is a fresh temporary folder per example.
set -uo pipefail
rb=$1 src=$2
tmp_root=$(mktemp -d)
trap 'rm -rf "$tmp_root"' EXIT
export TZ=UTC NO_COLOR=1
unset RUNBOOK_STATE_DIR
failed=0 n=0

for f in "$src"/examples/*.yaml; do
	[ -e "$f" ] || continue
	name=$(basename "$f")
	TMP=$tmp_root/${name%.yaml}
	mkdir -p "$TMP"
	runs=$(sed -nE 's/^# test-run: *(.*)$/\1/p' "$f")
	[ -n "$runs" ] || runs=0
	valid=0
	grep -qE '^# test-run: *2( |$)' "$f" && valid=2
	"$rb" validate "$f" >"$TMP/validate.out" 2>&1
	rc=$?
	if [ "$rc" -ne "$valid" ]; then
		echo "FAIL $name: validate exited $rc, expected $valid"; cat "$TMP/validate.out"
		failed=1
		continue
	fi
	while IFS= read -r line; do
		line=${line//\$TMP/$TMP}
		read -r -a words <<<"$line"
		want=${words[0]}
		args=("${words[@]:1}")
		"$rb" run "$f" --yes --state-dir "$TMP/state" "${args[@]}" >"$TMP/run.out" 2>&1 </dev/null
		rc=$?
		n=$((n + 1))
		if [ "$rc" -ne "$want" ]; then
			echo "FAIL $name ${args[*]}: exited $rc, expected $want"; cat "$TMP/run.out"
			failed=1
		else
			echo "ok   $name ${args[*]} (exit $rc)"
		fi
	done <<<"$runs"
	while IFS= read -r p; do
		[ -n "$p" ] || continue
		p=${p//\$TMP/$TMP}
		if [ -e "$p" ]; then
			echo "FAIL $name: $p exists after the runs"; failed=1
		fi
	done < <(sed -nE 's/^# test-absent: *(.*)$/\1/p' "$f")
done
[ "$n" -gt 0 ] || { echo "no examples found in $src/examples"; exit 1; }
exit $failed
