#!/bin/bash
# run.sh SRCROOT BUILDDIR — build the libFuzzer targets with clang and run each briefly.
#   1. configure BUILDDIR (once) as a clang build with -Dfuzz=true, ASan + UBSan and
#      -fsanitize=fuzzer-no-link, and build only the targets (tests/fuzz/meson.build);
#   2. replay every regression seed of tests/fuzz/seeds/TARGET (inputs that crashed once);
#   3. fuzz each target for FUZZ_SECONDS (default 20) from its seed corpora (the tests'
#      own files); new inputs go to a scratch folder, never into the source tree.
# Fails on any crash, leak, sanitizer report or timeout, and prints the reproducer.
# Exit 77 (skipped) when clang or its libFuzzer runtime is missing: scripts/setup.sh
# installs them (clang, libclang-rt-14-dev).
# FUZZ_TARGETS="load expr" limits the targets; FUZZ_KEEP=DIR keeps the crashing inputs.
set -u
src=$(cd "$1" && pwd) || exit 2
build=$(mkdir -p "$2" && cd "$2" && pwd) || exit 2
secs=${FUZZ_SECONDS:-20}
targets=${FUZZ_TARGETS:-load expr aws kubeconfig scenario sim}

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
	for c in clang clang-16 clang-15 clang-14; do
		command -v "$c" >/dev/null 2>&1 && { cc=$c; break; }
	done
fi
if [ -z "$cc" ]; then
	echo "fuzz: SKIPPED: clang is not installed (scripts/setup.sh installs clang and libclang-rt-14-dev)"
	exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
	echo "fuzz: SKIPPED: $cc cannot link libFuzzer (install libclang-rt-14-dev):"
	cat "$probe/err"
	exit 77
fi

if [ ! -f "$build/build.ninja" ]; then
	echo "fuzz: configuring $build with $cc"
	CC=$cc meson setup "$build" "$src" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized -Dc_args=-fsanitize=fuzzer-no-link \
		>"$probe/setup.log" 2>&1 || { cat "$probe/setup.log"; exit 1; }
fi
bins=()
for t in $targets; do bins+=("tests/fuzz/fuzz_$t"); done
echo "fuzz: building ${bins[*]}"
ninja -C "$build" -j2 "${bins[@]}" >"$probe/build.log" 2>&1 || { tail -50 "$probe/build.log"; exit 1; }

# seed corpora of each target (folders and files of the source tree, read only)
seeds() {
	case $1 in
	load) echo tests/lang/valid tests/lang/invalid tests/lang/params runbooks examples \
		tests/invalid/runbooks ;;
	expr) echo "$probe/expr-seeds" ;;
	aws) echo ;;
	kubeconfig) echo ;;
	scenario) echo "$probe/scenario-seeds" ;;
	sim) echo ;;
	esac
}
cd "$src" || exit 2
# expressions: ${{ }} of the runbooks and the corpus, one per file (40: a jq compile costs
# ~50 ms, and libFuzzer runs every seed before its time limit counts)
mkdir -p "$probe/expr-seeds"
grep -rhoE '\$\{\{[^}]{1,200}\}\}' runbooks examples tests/lang/valid tests/lang/invalid 2>/dev/null |
	sed -E 's/^\$\{\{ *//; s/ *\}\}$//' | sort -u | head -40 |
	awk -v d="$probe/expr-seeds" '{ f = sprintf("%s/e%04d", d, NR); printf "%s", $0 > f; close(f) }'

# scenarios: the YAML files among the tests' (libFuzzer takes folders, not files)
mkdir -p "$probe/scenario-seeds"
cp examples/scenarios/*.yaml tests/sim/*.yaml tests/aws/sim_*.yaml tests/invalid/scenarios/*.yaml \
	"$probe/scenario-seeds/" 2>/dev/null

asan=halt_on_error=1:abort_on_error=1:print_summary=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_summary=1:print_stacktrace=1
lsan=suppressions=$src/tests/lang/lsan.supp:print_suppressions=0
export NO_COLOR=1
fail=0
for t in $targets; do
	exe=$build/tests/fuzz/fuzz_$t
	# libjq's parser leaks on a jq syntax error (tests/lang/lsan.supp): matching that
	# suppression needs full stacks, which cost speed, so only where jq text is parsed
	case $t in
	load | expr) export LSAN_OPTIONS=$lsan:fast_unwind_on_malloc=0 ;;
	*) export LSAN_OPTIONS=$lsan ;;
	esac
	# libjq 1.6 leaks a value when an error is raised inside `.[]` over an object
	# ('.[] | .[0]'): evaluated expressions hit that all the time, so the expression
	# target does not check leaks (tests/lang's unit tests do, under ASan)
	flags=()
	export ASAN_OPTIONS=$asan:detect_leaks=1
	if [ "$t" = expr ]; then
		flags+=(-detect_leaks=0)
		export ASAN_OPTIONS=$asan:detect_leaks=0
	fi
	work=$probe/$t
	mkdir -p "$work/corpus" "$work/art"
	dirs=()
	for d in $(seeds "$t") "tests/fuzz/seeds/$t"; do
		case $d in /*) ;; *) d=$src/$d ;; esac
		[ -d "$d" ] && dirs+=("$d")
	done
	# regression seeds first: each once
	if [ -d "tests/fuzz/seeds/$t" ] && [ -n "$(ls -A "tests/fuzz/seeds/$t")" ]; then
		if ! (cd "$work" && timeout 300 "$exe" "${flags[@]}" -timeout=25 -rss_limit_mb=2560 "$src/tests/fuzz/seeds/$t"/* \
			>"$work/replay.log" 2>&1); then
			echo "FAIL fuzz_$t: a regression seed of tests/fuzz/seeds/$t fails again:"
			grep -E 'Running:|ERROR|SUMMARY|#[0-9]+ 0x' "$work/replay.log" | head -40
			fail=1
			continue
		fi
	fi
	(cd "$work" && timeout $((secs + 300)) nice -n 5 "$exe" "${flags[@]}" -max_total_time="$secs" -timeout=25 \
		-rss_limit_mb=2560 -max_len=65536 -artifact_prefix="$work/art/" -print_final_stats=1 \
		"$work/corpus" "${dirs[@]}" >"$work/log" 2>&1)
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	cov=$(grep -oE 'cov: [0-9]+' "$work/log" | tail -1)
	if [ $rc -ne 0 ] || [ -n "$(ls -A "$work/art")" ]; then
		echo "FAIL fuzz_$t (exit $rc):"
		pat='ERROR|SUMMARY|Test unit written|#[0-9]+ 0x'
		if grep -qE "$pat" "$work/log"; then
			grep -E "$pat" "$work/log" | head -40
		else
			tail -20 "$work/log"
		fi
		for a in "$work/art"/*; do
			[ -e "$a" ] || continue
			echo "--- reproducer $(basename "$a") (base64):"
			head -c 4096 "$a" | base64
			if [ -n "${FUZZ_KEEP:-}" ]; then mkdir -p "$FUZZ_KEEP/$t" && cp "$a" "$FUZZ_KEEP/$t/"; fi
		done
		fail=1
	else
		echo "ok fuzz_$t: ${execs:-?} inputs in ${secs}s, ${cov:-cov: ?}"
	fi
done
[ $fail -eq 0 ]
