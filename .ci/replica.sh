#!/usr/bin/env bash
# A streaming replica of the local PostgreSQL (127.0.0.1:5432) on 127.0.0.1:5433,
# for tests/tests/replicas.rs: a second cluster made with `pg_basebackup -R`,
# run with pg_ctl as the postgres OS user from its own data directory (not a
# Debian-managed cluster, so pg_lsclusters and the primary's config stay as
# they were). Idempotent: a replica that is up and streaming is left alone; one
# that cannot start or no longer streams (e.g. the primary recycled WAL it
# still needed) is rebuilt. Run as root; .ci/run calls it after ensure_postgres.
set -euo pipefail

DATA=${STRATA_REPLICA_DATA:-/var/lib/postgresql/strata-replica}
LOG=/var/log/postgresql/strata-replica.log
PORT=5433
MARK='# added by strata .ci/replica.sh'

step() { printf '\n==> %s\n' "$*"; }
die() {
    printf '\n.ci/replica.sh: FAILED: %s\n' "$*" >&2
    exit 1
}
primary() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -w -X -q -At -v ON_ERROR_STOP=1 "$@"; }
replica() { psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -w -X -q -At "$@"; }
as_postgres() { runuser -u postgres -- "$@"; }

# True once the replica answers, is in recovery and its WAL receiver streams.
streaming() {
    [[ $(replica -c "SELECT pg_is_in_recovery() AND EXISTS (
            SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')" 2>/dev/null) == t ]]
}
wait_streaming() {
    for _ in $(seq 60); do
        streaming && return 0
        sleep 1
    done
    return 1
}

if [[ -n ${STRATA_TEST_PG_REPLICA_URL:-} ]]; then
    step "PostgreSQL replica: STRATA_TEST_PG_REPLICA_URL is set; not managing a local one"
    exit 0
fi
if [[ -n ${STRATA_TEST_PG_URL:-} ]]; then
    die "STRATA_TEST_PG_URL is set, so the tests' primary is not the local server this script
replicates: set STRATA_TEST_PG_REPLICA_URL to a streaming replica of that primary"
fi

step "PostgreSQL replica: checking 127.0.0.1:$PORT"
primary -c 'SELECT 1' >/dev/null || die "the primary on 127.0.0.1:5432 does not answer"
if streaming; then
    echo "replica on $PORT is up and streaming"
    exit 0
fi
if replica -c 'SELECT 1' >/dev/null 2>&1 && [[ $(replica -c 'SELECT pg_is_in_recovery()') != t ]]; then
    die "something that is not a standby answers on 127.0.0.1:$PORT"
fi

version=$(primary -c 'SHOW server_version_num')
version=$((version / 10000))
BIN=/usr/lib/postgresql/$version/bin
[[ -x $BIN/pg_ctl && -x $BIN/pg_basebackup ]] || die "no PostgreSQL $version binaries in $BIN"

# --- the primary: WAL for a standby, and a replication connection from 127.0.0.1
wal_level=$(primary -c 'SHOW wal_level')
[[ $wal_level == replica || $wal_level == logical ]] ||
    die "the primary runs with wal_level = $wal_level; set it to replica (the default) and restart it"
[[ $(primary -c 'SHOW max_wal_senders') -gt 0 ]] ||
    die "the primary runs with max_wal_senders = 0; raise it and restart it"
hba=$(primary -c 'SHOW hba_file')
if ! grep -qF "$MARK" "$hba"; then
    step "PostgreSQL replica: allowing replication connections from 127.0.0.1 ($hba)"
    # First, as .ci/run's line: the first matching line decides.
    { echo "host replication postgres 127.0.0.1/32 trust $MARK"; cat "$hba"; } >"$hba.strata"
    cat "$hba.strata" >"$hba" && rm "$hba.strata"
    primary -c 'SELECT pg_reload_conf()' >/dev/null
fi

# --- start what is there; rebuild what will not stream -------------------------
start() {
    install -d -o postgres -g postgres -m 2775 /var/run/postgresql
    install -d -o postgres -g postgres /var/log/postgresql
    # setsid: the server must not belong to this script's process group, which
    # a runner may kill when the script ends.
    as_postgres setsid -w "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null
}
stop() {
    as_postgres "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

if [[ -f $DATA/standby.signal ]]; then
    step "PostgreSQL replica: starting $DATA"
    as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1 || start || true
    wait_streaming && {
        echo "replica on $PORT is up and streaming"
        exit 0
    }
    echo "the replica in $DATA does not stream (see $LOG): rebuilding it"
    stop
fi

step "PostgreSQL replica: pg_basebackup -R into $DATA"
rm -rf "$DATA"
install -d -o postgres -g postgres -m 0700 "$DATA"
as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p 5432 -U postgres -D "$DATA" -R -X stream -c fast ||
    die "pg_basebackup from 127.0.0.1:5432 failed"

# Debian keeps the primary's config in /etc, so the copy has none: write one.
# A hot standby needs these limits at least as high as the primary's.
limits=$(primary -F= -c "SELECT name, setting FROM pg_settings WHERE name IN
    ('max_connections', 'max_worker_processes', 'max_wal_senders',
     'max_prepared_transactions', 'max_locks_per_transaction')")
as_postgres tee "$DATA/postgresql.conf" >/dev/null <<EOF
# strata's test replica, written by .ci/replica.sh
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/var/run/postgresql'
cluster_name = 'strata-replica'
hot_standby = on
# Fewer queries cancelled for conflicts with recovery while tests read.
hot_standby_feedback = on
timezone = 'Etc/UTC'
$limits
EOF
as_postgres tee "$DATA/pg_hba.conf" >/dev/null <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
as_postgres touch "$DATA/pg_ident.conf"

step "PostgreSQL replica: starting $DATA"
start || die "the replica did not start (see $LOG)"
wait_streaming || die "the replica on 127.0.0.1:$PORT does not stream from the primary within 60s (see $LOG)"
echo "replica on $PORT is up and streaming"
