#!/bin/bash
# interpreter/modules/aws/aws_shapes_*.c must be what gen_shapes.py writes from the
# botocore models named in their first line (Debian's python3-botocore). Regenerate with:
#   /usr/bin/python3 interpreter/modules/aws/gen_shapes.py
set -u
src=$1
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-shapes
dir=$src/interpreter/modules/aws
py=/usr/bin/python3
want=$(sed -n '1s/.*from botocore \([^ ]*\) .*/\1/p' "$dir/aws_shapes_xml.c")
have=$("$py" -c 'import botocore; print(botocore.__version__)' 2>/dev/null) ||
	skip_all "no botocore for $py (Debian python3-botocore)"
[ "$have" = "$want" ] || skip_all "the files come from botocore $want, $py has $have"
"$py" "$dir/gen_shapes.py" "$T" || fail "gen_shapes.py failed"
for f in aws_shapes_xml.c aws_shapes_results.c; do
	if diff -u "$dir/$f" "$T/$f" >"$T/diff"; then
		ok "$f is fresh"
	else
		bad "$f is stale: run gen_shapes.py and commit" "$T/diff"
	fi
	check_sh "$f within 1,200 lines" "[ \$(wc -l <'$dir/$f') -le 1200 ]"
done
check_sh "no other generated file" "[ \"\$(ls '$T')\" = \"\$(printf 'aws_shapes_results.c\naws_shapes_xml.c\ndiff')\" ]"
tap_done
