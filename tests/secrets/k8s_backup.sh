#!/usr/bin/env bash
# k8s.backup keeps Secret data private: by default in the run's folder (0700), files
# 0600; a folder given by the user is created fresh, or refused when it exists with
# another owner or with group/other access, or is a symlink; a file name planted as a
# symlink is replaced, never followed. Another user's setup is made with chown.
RUNBOOK=$1 SRC=$2
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$SRC/tests/k8s/lib.sh"
seed() { awk -v n="$1" '$1 == n { sub(/^[^ ]+ /, ""); print; exit }' "$HERE/seeds.txt"; }
sed "s/correct-horse-battery/$(seed K8S_SECRET)/" "$SRC/examples/scenarios/k8s-ecommerce.yaml" > "$T/k8s.yaml"
"$RUNBOOK" sim serve --scenario "$T/k8s.yaml" --quiet --speed 30 --kubeconfig-out "$T/kc" > "$T/sim.out" 2> "$T/sim.err" &
PIDS+=($!)
for _ in $(seq 100); do [ "$(cat "$T/sim.out" 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1; done
cat > "$T/rb.yaml" <<'YAML'
runbook: backup-only
params:
  kubeconfig: {type: string, required: true}
  dir: {type: string, default: ""}
connections:
  k8s: {kubeconfig: "${{ .params.kubeconfig }}", namespace: shop}
steps:
  - id: backup
    action: k8s.backup
    with: {kinds: [Secret], dir: "${{ if .params.dir == \"\" then null else .params.dir end }}"}
YAML
umask 022
S=$T/state
file=shop.Secret.db-credentials.json
run() { "$RUNBOOK" run "$T/rb.yaml" -p kubeconfig="$T/kc" --state-dir "$S" "$@"; }

# default: the run's folder
run > "$T/default.out" 2>&1 && ok "backup in the run folder" || not_ok "default backup: $(tail -3 "$T/default.out")"
b=$(ls -d "$S"/runs/*/k8s-backup-backup 2>/dev/null | head -1 || true)
check "backup folder mode" 700 "$(stat -c %a "$b" 2>/dev/null || true)"
check "backup file mode" 600 "$(stat -c %a "$b/$file" 2>/dev/null || true)"
grep -qs "$(printf %s "$(seed K8S_SECRET)" | base64)" "$b/$file" && ok "the Secret is in the backup" || not_ok "backup content"

# a new folder (and its parents) is created 0700
run -p dir="$T/new/sub" > "$T/new.out" 2>&1 && ok "a new folder" || not_ok "new folder: $(tail -3 "$T/new.out")"
check "new folder mode" 700 "$(stat -c %a "$T/new/sub" 2>/dev/null || true)"
check "new file mode" 600 "$(stat -c %a "$T/new/sub/$file" 2>/dev/null || true)"

refused() { # NAME DIR: the run fails, nothing of the Secret is written there
	local rc=0
	run -p dir="$2" > "$T/r.out" 2>&1 || rc=$?
	if [ "$rc" = 1 ] && grep -q "refused" "$T/r.out"; then ok "$1 refused"; else not_ok "$1: exit $rc: $(tail -3 "$T/r.out")"; fi
}
# an existing folder open to others (the /tmp trap: made by someone else first)
mkdir -m 0777 "$T/open"; chmod 0777 "$T/open"
refused "a folder with mode 0777" "$T/open"
[ -e "$T/open/$file" ] && not_ok "wrote into the open folder" || ok "nothing written into the open folder"
# an existing folder of another user, even 0700
mkdir -m 0700 "$T/theirs"
if chown nobody "$T/theirs" 2>/dev/null; then
	refused "another user's folder" "$T/theirs"
else
	echo "skip: cannot chown (not root)"
fi
# a symlink to a folder the attacker reads
mkdir -m 0700 "$T/attacker"; ln -s "$T/attacker" "$T/link"
refused "a symlinked folder" "$T/link"
[ -z "$(ls -A "$T/attacker")" ] && ok "nothing written through the symlink" || not_ok "wrote through the symlink"
# our own 0700 folder, with the file name planted as a symlink: replaced, not followed
mkdir -m 0700 "$T/mine"; : > "$T/target"; chmod 644 "$T/target"; ln -s "$T/target" "$T/mine/$file"
run -p dir="$T/mine" > "$T/mine.out" 2>&1 && ok "own 0700 folder accepted" || not_ok "own folder: $(tail -3 "$T/mine.out")"
[ -s "$T/target" ] && not_ok "followed the planted symlink" || ok "planted symlink not followed"
[ -f "$T/mine/$file" ] && [ ! -L "$T/mine/$file" ] && check "replaced file mode" 600 "$(stat -c %a "$T/mine/$file")" \
	|| not_ok "planted symlink not replaced by a file"
# the restore runbook no longer writes to a predictable /tmp name
grep -q '/tmp/runbook-k8s-backup' "$SRC/runbooks/k8s-config-restore.yaml" && not_ok "runbook still uses /tmp" || ok "runbook keeps its backup in the run folder"
finish
