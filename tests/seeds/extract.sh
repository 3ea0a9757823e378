#!/usr/bin/env bash
# extract.sh SEEDS_DIR OUTDIR — the seeds' bash scripts, as a user copies them: every
# fenced ```bash block of SEEDS_DIR/NNN_*.txt becomes OUTDIR/NNN-BB.sh (seed number,
# block index from 01, in document order), byte for byte.
set -eu
seeds=${1:?usage: extract.sh SEEDS_DIR OUTDIR}
out=${2:?usage: extract.sh SEEDS_DIR OUTDIR}
mkdir -p "$out"
for f in "$seeds"/[0-9][0-9][0-9]_*.txt; do
	seed=$(basename "$f")
	seed=${seed%%_*}
	awk -v seed="$seed" -v out="$out" '
		!inb && /^[ \t]*```bash[ \t]*$/ { n++; inb = 1; fn = sprintf("%s/%s-%02d.sh", out, seed, n); printf "" > fn; next }
		inb && /^[ \t]*```[ \t]*$/ { inb = 0; close(fn); next }
		inb { print > fn }' "$f"
done
