#!/usr/bin/env bash
# completion.sh — `runbook completion bash|zsh` and runbook(1)'s synopsis against the
# option tables (interpreter/cli/options.h): the tables are the truth.
#   completion.sh RUNBOOK SRCDIR
set -u
rb=$(realpath "$1") src=$(realpath "$2")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

"$rb" completion bash > c.bash || fail "runbook completion bash exited $?"
bash -n c.bash || fail "the bash script does not parse"

# complete WANT WORDS...: the last word is the one being completed
complete() {
	local want=$1; shift
	local got
	got=$(bash -c 'source ./c.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _runbook
	               printf "%s\n" "${COMPREPLY[@]}"' _ "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want " ] || fail "completing '$*': got '$got', want '$want'"
}
complete "drill drills" runbook dri
complete "--dry-run" runbook run --dr
complete "json junit" runbook show R --format j
complete "json text" runbook run f.yaml --output ''
complete "always auto never" runbook run f.yaml --color ''
complete "cert token" runbook sim serve --kubeconfig-auth ''
complete "bash zsh" runbook completion ''
complete "-p" runbook rehearse -p
complete "--param --params-file" runbook rehearse --para
mkdir -p .runbook/runs/20260101-aaaa .runbook/runs/20260102-bbbb other/runs/x1
complete "20260101-aaaa 20260102-bbbb" runbook resume ''
complete "x1" runbook show --state-dir other ''
: > book.yaml
complete "book.yaml" runbook validate bo
complete "book.yaml" runbook run --params-file bo

# zsh: the script parses (zsh -n); skipped when zsh is not installed
"$rb" completion zsh > c.zsh || fail "runbook completion zsh exited $?"
if command -v zsh >/dev/null; then
	zsh -n c.zsh || fail "the zsh script does not parse"
else
	echo "# zsh not installed: zsh -n check skipped"
fi
"$rb" completion fish >/dev/null 2>err && fail "completion fish succeeded"
grep -q "unknown shell 'fish'" err || fail "completion fish: no clear error"

# runbook(1)'s SYNOPSIS names each command's options, no more, no fewer
awk '/^\.SH SYNOPSIS/ { on = 1; next } /^\.SH/ { on = 0 } on' "$src/man/runbook.1" > syn
awk '/^\t[a-z]+\)$/ { c = $1; sub(/\)/, "", c) } /^\t\topts=/ { print c, $0 }' c.bash |
while read -r cmd opts; do
	opts=${opts#opts=\'}; opts=${opts%\'}
	# the synopsis lines of cmd: from ".B runbook CMD" to the next ".br"
	awk -v c="$cmd" '$1 == ".B" && $2 == "runbook" && $3 == c { on = 1; next } /^\.br/ { on = 0 } on' syn |
		grep -oE '\\-(\\-[a-z0-9]+)+|\\-[a-zA-Z]\b' | sed 's/\\//g' | sort -u > man.$cmd
	# an option with a short form is named by either: keep the short one
	printf '%s\n' $opts | awk '/^--help$/ { next } /^-[^-]$/ { print; skip = 1; next }
		skip { skip = 0; next } { print }' | sort -u > table.$cmd
	if [ ! -s table.$cmd ]; then   # no table (parsed by hand): nothing to compare
		echo "# $cmd: no option table" >&2; continue
	fi
	[ -s man.$cmd ] || grep -qE "^\.B runbook $cmd\b" syn || { echo "FAIL: runbook.1's synopsis lacks '$cmd'"; continue; }
	comm -23 table.$cmd man.$cmd | sed "s/^/FAIL: runbook.1's synopsis of '$cmd' lacks /"
	comm -13 table.$cmd man.$cmd | sed "s/^/FAIL: runbook.1's synopsis of '$cmd' names an option its table lacks: /"
done > syn.fail
[ -s syn.fail ] && { cat syn.fail >&2; fails=$((fails + $(wc -l < syn.fail))); }

[ "$fails" -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "ok"
