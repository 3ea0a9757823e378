#!/usr/bin/env bash
# installed_stdlib.sh BUILDDIR — `meson install` into a prefix gives a binary that looks
# for `uses: stdlib/...` in its own data folder first, not in the source tree it was
# built from. Installed with --destdir into a temp folder (so PREFIX/bin/runbook runs
# from a place its compiled-in prefix does not name), the installed copy of a stdlib
# fragment is changed: validating a runbook that uses it, from another folder, must
# read the changed copy, and a fragment only the installed folder has must be found.
# The man pages are installed under the prefix too.
set -u
BUILD=$1
. "$(dirname "$0")/../lib/tap.sh"
tap_tmpdir rb-install
TAP_OUT=$T/install.log
meson install -C "$BUILD" --no-rebuild --only-changed --destdir "$T/d" --quiet >"$TAP_OUT" 2>&1 ||
	fail "meson install --destdir"
exe=$(find "$T/d" -path '*/bin/runbook' -type f | head -1)
[ -x "$exe" ] || fail "installed binary"
prefix=${exe%/bin/runbook}
data=$(find "$prefix" -type d -path '*/runbook/stdlib' | head -1)
[ -n "$data" ] && ok "stdlib installed ($data)" || fail "stdlib installed under the prefix"
for m in man1/runbook.1 man5/runbook.5 man7/runbook-actions.7; do
	[ -n "$(find "$prefix" -path "*/man/$m*" | head -1)" ] && ok "man page $m installed" ||
		not_ok "man page $m installed"
done

mkdir -p "$T/elsewhere" "$data/test"
cat > "$data/test/only-installed.yaml" <<'YAML'
runbook: only-installed
steps:
  - id: noop
    action: log
    with: {message: installed}
YAML
cat > "$T/elsewhere/rb.yaml" <<'YAML'
runbook: uses-installed
steps:
  - id: frag
    uses: stdlib/test/only-installed.yaml
YAML
(cd "$T/elsewhere" && env -u RUNBOOK_PATH "$exe" validate rb.yaml) >"$T/v1.out" 2>&1 &&
	ok "a fragment only the installed stdlib has is found" ||
	bad "a fragment only the installed stdlib has is found" "$T/v1.out"

# the installed copy of a fragment the source tree has too, broken: its error names it
printf 'runbook: rds-instance-available\nsteps: [\n' > "$data/aws/rds-instance-available.yaml"
cat > "$T/elsewhere/rb2.yaml" <<'YAML'
runbook: uses-rds
steps:
  - id: frag
    uses: stdlib/aws/rds-instance-available.yaml
    with: {instance: db1}
YAML
(cd "$T/elsewhere" && env -u RUNBOOK_PATH "$exe" validate rb2.yaml) >"$T/v2.out" 2>&1
case "$(cat "$T/v2.out")" in
*"$data/aws/rds-instance-available.yaml"*) ok "the installed stdlib comes before the source tree" ;;
*) bad "the installed stdlib comes before the source tree" "$T/v2.out" ;;
esac
tap_done
