#!/usr/bin/env bash
# Starts a PgBouncer in transaction mode on 127.0.0.1:6432 in front of the local
# PostgreSQL (127.0.0.1:5432), for tests/tests/pgbouncer.rs and
# bench/benches/pgbouncer.rs. Idempotent: one that already answers is kept.
#
# Its server pool (4 per database/user) is smaller than its client limit (200),
# so client connections really share server connections: that sharing is what
# breaks a driver that prepares a statement in one exchange and runs it in the
# next. Config, pid and log live under /run/strata-pgbouncer, not /etc, so the
# Debian package's own service and files are left alone.
set -euo pipefail

dir=/run/strata-pgbouncer
port=6432

answers() {
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -w -X -At -c 'SELECT 1' >/dev/null 2>&1
}

if answers; then
    echo "PgBouncer: already answering on 127.0.0.1:$port"
    exit 0
fi

command -v pgbouncer >/dev/null || {
    echo "pgbouncer is not installed (apt-get install pgbouncer)" >&2
    exit 1
}

install -d -o postgres -g postgres -m 0755 "$dir"
# trust: the local PostgreSQL trusts postgres@127.0.0.1 too; PgBouncer still
# wants the user listed.
echo '"postgres" ""' >"$dir/userlist.txt"
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 4
reserve_pool_size = 0
max_client_conn = 200
; sqlx sends extra_float_digits at startup, which PgBouncer does not track.
ignore_startup_parameters = extra_float_digits
admin_users = postgres
; thousands of test connections would otherwise fill the log.
log_connections = 0
log_disconnections = 0
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
chown postgres:postgres "$dir"/*

# A stale pid file (a PgBouncer killed without cleanup) makes -d refuse to start.
if [[ -f $dir/pgbouncer.pid ]] && ! kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; then
    rm -f "$dir/pgbouncer.pid"
fi

# PgBouncer refuses to run as root.
if [[ $EUID -eq 0 ]]; then
    runuser -u postgres -- pgbouncer -d "$dir/pgbouncer.ini"
else
    pgbouncer -d "$dir/pgbouncer.ini"
fi

for _ in $(seq 30); do
    answers && {
        echo "PgBouncer: answering on 127.0.0.1:$port (transaction mode, 4 server connections per database)"
        exit 0
    }
    sleep 1
done
echo "PgBouncer does not answer on 127.0.0.1:$port within 30s (log: $dir/pgbouncer.log)" >&2
exit 1
