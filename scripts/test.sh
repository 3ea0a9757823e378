#!/usr/bin/env bash
# test.sh — the README's second command and CI's entry (.ci/run):
# set up (scripts/setup.sh), build with ASan + UBSan and -Werror in build-test, run the
# whole test suite under meson, and end with the line "N passed, N failed" (plus
# ", N skipped" when tests were skipped). Exits non-zero on any failure.
#
# Environment: BUILD_DIR (default build-test), JOBS (default: number of CPUs),
# MESON_TEST_ARGS (extra arguments for `meson test`, e.g. "--suite cli").
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

build=${BUILD_DIR:-build-test}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
opts=(-Db_sanitize=address,undefined -Dwerror=true)

summary() {   # passed failed skipped
	if [ "$3" -gt 0 ]; then
		echo "$1 passed, $2 failed, $3 skipped"
	else
		echo "$1 passed, $2 failed"
	fi
}

# A build that does not configure or compile is one failure: nothing could be tested.
reconf=()
[ -f "$build/build.ninja" ] && reconf=(--reconfigure)
meson setup "${reconf[@]}" "$build" "${opts[@]}" || { echo "test.sh: meson setup failed"; summary 0 1 0; exit 1; }
ninja -C "$build" -j "$jobs" || { echo "test.sh: build failed"; summary 0 1 0; exit 1; }

# Leak checking stays on: libjq 1.6 frees what jq_teardown owns, and our code must too.
# halt_on_error/abort_on_error make a sanitizer report fail the test that hit it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_summary=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_summary=1:print_stacktrace=1}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# shellcheck disable=SC2086
meson test -C "$build" --print-errorlogs --num-processes "$jobs" --timeout-multiplier 3 \
	${MESON_TEST_ARGS:-} 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

# meson's summary: "Ok: N", "Expected Fail: N", "Fail: N", "Unexpected Pass: N",
# "Skipped: N", "Timeout: N". Expected failures count as passed.
count() { awk -v k="$1" -F: '$1 == k { gsub(/[^0-9]/, "", $2); n = $2 } END { print n + 0 }' "$log"; }
ok=$(count "Ok")
xfail=$(count "Expected Fail")
fail=$(count "Fail")
xpass=$(count "Unexpected Pass")
timeout=$(count "Timeout")
skipped=$(count "Skipped")
passed=$((ok + xfail))
failed=$((fail + xpass + timeout))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	# meson itself failed (no summary, or an error outside any test)
	echo "test.sh: meson test exited with status $rc"
	failed=1
fi
# The suite's seeded secret values (tests/secrets/seeds.txt lists the secret values the
# tests use) must not appear in any form in what the tests printed.
testlog=$build/meson-logs/testlog.txt
if [ -f "$testlog" ] && ! python3 tests/secrets/scan.py tests/secrets/seeds.txt "$testlog"; then
	echo "test.sh: seeded secret values in $testlog (above)"
	failed=$((failed + 1))
fi
summary "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
