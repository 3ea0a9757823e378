#!/bin/bash
# sigv4_test.sh SIGNER SRCDIR — our SigV4 signer against botocore's (independent oracle).
# Every case must produce the same Authorization header, byte for byte.
set -u
signer=$1 dir=$2
py=/usr/bin/python3
if ! $py -c 'import botocore' 2>/dev/null; then
	echo "python3-botocore is not installed for $py (apt-get install python3-botocore)" >&2
	exit 1
fi
ours=$(mktemp) theirs=$(mktemp)
trap 'rm -f "$ours" "$theirs"' EXIT
"$signer" "$dir/sigv4_cases.json" >"$ours" || { echo "signer failed" >&2; cat "$ours"; exit 1; }
$py "$dir/sigv4_oracle.py" "$dir/sigv4_cases.json" >"$theirs" || { echo "oracle failed" >&2; exit 1; }
n=$(wc -l <"$theirs")
if [ "$n" -lt 10 ]; then echo "oracle produced only $n cases" >&2; exit 1; fi
if ! diff -u "$theirs" "$ours"; then
	echo "FAIL: Authorization headers differ from botocore's (- botocore, + ours)" >&2
	exit 1
fi
echo "ok: $n requests signed identically to botocore"
