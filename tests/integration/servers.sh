#!/usr/bin/env bash
# servers.sh — throwaway PostgreSQL 15 and Redis servers on loopback for integration tests.
#
#   servers.sh CMD [ARGS...]   start both servers, run CMD with the environment below, stop
#                              the servers, exit with CMD's status
#   source servers.sh          start both servers in the current shell; stopped on EXIT
#
# Exports: PGHOST (the unix socket directory), PGPORT, PGUSER, PGDATABASE, RB_PG_TCP_HOST
# (127.0.0.1), RB_PG_PW_USER / RB_PG_PW_PASSWORD (a role that must authenticate with
# scram-sha-256 over TCP), REDIS_HOST, REDIS_PORT, RB_SERVERS_DIR.
# PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user
# (override with RB_PG_RUN_AS). Set RB_SERVERS_KEEP=1 to keep the directory for debugging.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
REDIS_SERVER=${REDIS_SERVER:-redis-server}

servers_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

servers_as_pg() {
	if [ -n "${RB_PG_USER_RUN:-}" ]; then
		runuser -u "$RB_PG_USER_RUN" -- "$@"
	else
		"$@"
	fi
}

servers_stop() {
	local rc=$?
	set +e
	if [ -n "${RB_SERVERS_DIR:-}" ]; then
		if [ -f "$RB_SERVERS_DIR/pg/postmaster.pid" ]; then
			servers_as_pg "$PG_BIN/pg_ctl" -D "$RB_SERVERS_DIR/pg" -m immediate -w stop >/dev/null 2>&1
		fi
		if [ -f "$RB_SERVERS_DIR/redis.pid" ]; then
			kill "$(cat "$RB_SERVERS_DIR/redis.pid")" 2>/dev/null
			for _ in $(seq 50); do
				[ -f "$RB_SERVERS_DIR/redis.pid" ] || break
				kill -0 "$(cat "$RB_SERVERS_DIR/redis.pid" 2>/dev/null)" 2>/dev/null || break
				sleep 0.1
			done
		fi
		if [ -z "${RB_SERVERS_KEEP:-}" ]; then
			rm -rf "$RB_SERVERS_DIR"
		else
			echo "servers: kept $RB_SERVERS_DIR" >&2
		fi
	fi
	return $rc
}

servers_start() {
	RB_SERVERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rb-servers.XXXXXX")
	export RB_SERVERS_DIR
	trap servers_stop EXIT
	trap 'exit 130' INT TERM

	RB_PG_USER_RUN=
	if [ "$(id -u)" -eq 0 ]; then
		RB_PG_USER_RUN=${RB_PG_RUN_AS:-postgres}
		id "$RB_PG_USER_RUN" >/dev/null 2>&1 || { echo "servers: user '$RB_PG_USER_RUN' not found (PostgreSQL refuses root)" >&2; return 1; }
		chmod 755 "$RB_SERVERS_DIR"
		mkdir -p "$RB_SERVERS_DIR/pg" "$RB_SERVERS_DIR/sock" "$RB_SERVERS_DIR/log"
		chown "$RB_PG_USER_RUN" "$RB_SERVERS_DIR/pg" "$RB_SERVERS_DIR/sock" "$RB_SERVERS_DIR/log"
	else
		mkdir -p "$RB_SERVERS_DIR/pg" "$RB_SERVERS_DIR/sock" "$RB_SERVERS_DIR/log"
	fi
	chmod 700 "$RB_SERVERS_DIR/pg"
	chmod 755 "$RB_SERVERS_DIR/sock"

	local pgport; pgport=$(servers_free_port)
	servers_as_pg "$PG_BIN/initdb" -D "$RB_SERVERS_DIR/pg" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 >"$RB_SERVERS_DIR/log/initdb.log" 2>&1 \
		|| { cat "$RB_SERVERS_DIR/log/initdb.log" >&2; return 1; }
	RB_PG_PW_USER=rb_pw
	RB_PG_PW_PASSWORD=rb-pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	# the password role must authenticate over TCP; everything else is trusted
	{
		echo "host all $RB_PG_PW_USER 127.0.0.1/32 scram-sha-256"
		echo "local all all trust"
		echo "host all all 127.0.0.1/32 trust"
	} >"$RB_SERVERS_DIR/pg/pg_hba.conf"
	{
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $pgport"
		echo "unix_socket_directories = '$RB_SERVERS_DIR/sock'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "max_connections = 50"
		echo "password_encryption = 'scram-sha-256'"
	} >>"$RB_SERVERS_DIR/pg/postgresql.conf"
	servers_as_pg "$PG_BIN/pg_ctl" -D "$RB_SERVERS_DIR/pg" -l "$RB_SERVERS_DIR/log/pg.log" -w -t 60 start >/dev/null \
		|| { cat "$RB_SERVERS_DIR/log/pg.log" >&2; return 1; }

	export PGHOST="$RB_SERVERS_DIR/sock" PGPORT="$pgport" PGUSER=postgres PGDATABASE=postgres
	export RB_PG_TCP_HOST=127.0.0.1 RB_PG_PW_USER RB_PG_PW_PASSWORD
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -c "CREATE ROLE $RB_PG_PW_USER LOGIN PASSWORD '$RB_PG_PW_PASSWORD'" >/dev/null

	local rport; rport=$(servers_free_port)
	"$REDIS_SERVER" --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$RB_SERVERS_DIR" --daemonize yes --pidfile "$RB_SERVERS_DIR/redis.pid" \
		--logfile "$RB_SERVERS_DIR/redis.log" >/dev/null
	export REDIS_HOST=127.0.0.1 REDIS_PORT="$rport"
	for _ in $(seq 100); do
		redis-cli -h 127.0.0.1 -p "$rport" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	echo "servers: redis-server did not answer on port $rport" >&2
	cat "$RB_SERVERS_DIR/redis.log" >&2
	return 1
}

servers_start
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ $# -gt 0 ] || { echo "usage: servers.sh CMD [ARGS...]" >&2; exit 2; }
	set +e
	"$@"
	rc=$?
	exit $rc
fi
