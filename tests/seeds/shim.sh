#!/usr/bin/env bash
# shim.sh — installed as aws, kubectl, psql, redis-cli, pg_dump, pg_restore and sleep in
# the seeds harness's PATH. Runs the real tool unchanged and logs the call (exit status,
# tool, arguments, first line of its standard error) to $RB_SEEDS_CALLS; `sleep` sleeps
# 1/$RB_SEEDS_SLEEP_DIV of the time asked (the simulator's clock runs faster too).
tool=${0##*/}
orig="$*"
self_dir=$(cd "${0%/*}" && pwd)
real=
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
	[ "$d" = "$self_dir" ] && continue
	if [ -x "$d/$tool" ] && [ ! -d "$d/$tool" ]; then real=$d/$tool; break; fi
done
[ -n "$real" ] || { echo "$tool: command not found" >&2; exit 127; }
if [ "$tool" = sleep ]; then
	args=()
	for a in "$@"; do
		case $a in
		*[!0-9.smhd]* | '') args+=("$a") ;;
		*) args+=("$(awk -v a="$a" -v d="${RB_SEEDS_SLEEP_DIV:-100}" 'BEGIN {
			m = 1; u = substr(a, length(a)); if (u == "m") m = 60; else if (u == "h") m = 3600; else if (u == "d") m = 86400
			if (u ~ /[smhd]/) a = substr(a, 1, length(a) - 1)
			printf "%.3f", a * m / d }')") ;;
		esac
	done
	exec "$real" "${args[@]}"
fi
# aws CLI v1 ignores AWS_ENDPOINT_URL and the profile's endpoint_url for `aws rds` in
# us-east-1 (its overridesslcommonname customization): a user aliases aws to add
# --endpoint-url, as this does for every aws call that has none
if [ "$tool" = aws ] && [ -n "${RB_SEEDS_ENDPOINT:-}" ]; then
	case " $* " in
	*" --endpoint-url"* | *" --version "* | *" configure "*) ;;
	*) set -- --endpoint-url "$RB_SEEDS_ENDPOINT" "$@" ;;
	esac
fi
# the hosts of instances and caches made during the run (restores, new clusters) resolve
# to loopback too, as the scenario's own do (run.sh's hosts file)
if [ -n "${RB_SEEDS_HOSTS:-}" ]; then
	case $tool in psql | pg_dump | pg_restore | redis-cli)
		prev=
		for a in "$@"; do
			h=
			case $prev in -h | --host) h=$a ;; esac
			case $a in --host=*) h=${a#--host=} ;; -h?*) h=${a#-h} ;; esac
			case $h in *.amazonaws.com)
				grep -qF " $h" "$RB_SEEDS_HOSTS" || printf '127.0.0.1 %s\n' "$h" >>"$RB_SEEDS_HOSTS" ;;
			esac
			prev=$a
		done ;;
	esac
fi
err=$(mktemp "${TMPDIR:-/tmp}/shim.XXXXXX")
"$real" "$@" 2>"$err"
rc=$?
cat "$err" >&2
if [ -n "${RB_SEEDS_CALLS:-}" ]; then
	first=$( { grep -m1 -iE 'error|not found|invalid|unknown|denied|refused|could not' "$err" || grep -m1 -v '^[[:space:]]*$' "$err"; } | cut -c1-200)
	printf '%s\t%s %s\t%s\n' "$rc" "$tool" "$orig" "$first" >>"$RB_SEEDS_CALLS"
fi
rm -f "$err"
exit $rc
