#!/bin/bash
# man/runbook-actions.7 must equal `runbook actions --format man` (the page is generated
# from the descriptor tables and committed). Regenerate with:
#   ninja -C BUILD update-actions-man
set -u
runbook=$1 page=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$runbook" actions --format man >"$out" || { echo "runbook actions --format man failed"; exit 1; }
if ! diff -u "$page" "$out"; then
	echo "man/runbook-actions.7 is stale: run 'ninja -C BUILD update-actions-man' and commit it"
	exit 1
fi
# the page is well-formed roff: man renders it without warnings
if command -v groff >/dev/null 2>&1; then
	warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	[ -z "$warn" ] || { echo "groff warnings:"; echo "$warn"; exit 1; }
fi
echo "man page fresh ($(wc -l <"$page") lines)"
