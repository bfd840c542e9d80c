#!/usr/bin/env bash
# A private PostgreSQL server for the `mlc_postgres` tests and the benchmarks; safe to run again.
#
#   scripts/start-postgres.sh            # start (or find running) and print the DSN last
#   export MLC_POSTGRES_DSN=$(scripts/start-postgres.sh | tail -n 1)
#   scripts/start-postgres.sh restart    # restart it (the fault tests do this to their own)
#   scripts/start-postgres.sh stop       # stop it (the data directory stays)
#   scripts/start-postgres.sh status     # print the DSN if it runs; exit 3 if it does not
#
# The server lives in MLC_POSTGRES_DIR (default /tmp/mlc-pg: data/, postgres.log, the socket
# and the chosen port), listens on 127.0.0.1 only, on MLC_POSTGRES_PORT, else the port it had
# last time, else 5432, else the first free port from 54320 up. It has a database
# MLC_POSTGRES_DB (default mlc) and the user postgres with password MLC_POSTGRES_PASSWORD
# (default postgres; TCP logins use scram-sha-256).
#
# PostgreSQL refuses to run as root (how CI runs), so as root the server runs as the `postgres`
# user (created as a system user `mlc` when there is none). Without the server binaries, as
# root on Debian, it installs the `postgresql` package first.
set -euo pipefail

COMMAND="${1:-start}"
DIR="${MLC_POSTGRES_DIR:-/tmp/mlc-pg}"
PASSWORD="${MLC_POSTGRES_PASSWORD:-postgres}"
DATABASE="${MLC_POSTGRES_DB:-mlc}"
DATA="$DIR/data"
LOG="$DIR/postgres.log"

log() { echo "start-postgres: $*" >&2; }
die() { log "$*"; exit 1; }

case "$COMMAND" in
    start | stop | restart | status) ;;
    *) die "unknown command '$COMMAND'; use start, stop, restart or status" ;;
esac

# ------------------------------------------------------------------ binaries

find_bin() {
    local newest
    if [ -n "${MLC_POSTGRES_BIN:-}" ]; then
        echo "$MLC_POSTGRES_BIN"
        return 0
    fi
    # Debian keeps the server tools out of PATH, one directory per major version.
    newest="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then
        echo "$newest"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
    else
        return 1
    fi
}

if ! BIN="$(find_bin)"; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing the postgresql package"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql >&2
        BIN="$(find_bin)" || die "installed postgresql but found no initdb"
    else
        die "no PostgreSQL server binaries (initdb, pg_ctl) found; install PostgreSQL >= 13" \
            "or set MLC_POSTGRES_BIN to the directory holding them"
    fi
fi
for tool in initdb pg_ctl pg_isready psql; do
    [ -x "$BIN/$tool" ] || die "$BIN/$tool is missing; set MLC_POSTGRES_BIN to a full server bin/"
done

# ------------------------------------------------------------------ who runs the server

if [ "$(id -u)" -eq 0 ]; then
    OWNER="${MLC_POSTGRES_OS_USER:-}"
    if [ -z "$OWNER" ]; then
        if id postgres >/dev/null 2>&1; then
            OWNER=postgres
        else
            OWNER=mlc
        fi
    fi
    if ! id "$OWNER" >/dev/null 2>&1; then
        log "creating the system user $OWNER to run PostgreSQL (it refuses to run as root)"
        useradd --system --no-create-home --shell /usr/sbin/nologin "$OWNER"
    fi
    as_owner() { (cd "$DIR" && runuser -u "$OWNER" -- "$@"); }
else
    OWNER="$(id -un)"
    as_owner() { (cd "$DIR" && "$@"); }
fi

running() { [ -f "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

current_port() {
    # The fourth line of postmaster.pid is the port the running server listens on.
    sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true
}

dsn() { echo "postgresql://postgres:${PASSWORD}@127.0.0.1:$1/${DATABASE}"; }

wait_ready() {
    local port="$1"
    for _ in $(seq 1 120); do
        if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$port"; then
            return 0
        fi
        sleep 0.5
    done
    die "PostgreSQL did not accept connections on 127.0.0.1:$port; see $LOG"
}

# ------------------------------------------------------------------ stop, status, restart

if [ "$COMMAND" = stop ]; then
    if running; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2
    else
        log "no server runs in $DATA"
    fi
    exit 0
fi
if [ "$COMMAND" = status ]; then
    if running; then
        dsn "$(current_port)"
        exit 0
    fi
    log "no server runs in $DATA"
    exit 3
fi
if [ "$COMMAND" = restart ]; then
    running || die "no server runs in $DATA; start it first"
    port="$(current_port)"
    # pg_ctl restart reuses the options the server was started with (postmaster.opts).
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -m fast -w -t 120 restart >&2
    wait_ready "$port"
    dsn "$port"
    exit 0
fi

# ------------------------------------------------------------------ start

mkdir -p "$DIR"
chmod 0755 "$DIR"
if [ "$(id -u)" -eq 0 ]; then
    chown "$OWNER" "$DIR"
fi

if [ ! -f "$DATA/PG_VERSION" ]; then
    log "creating a cluster in $DATA (run by $OWNER)"
    pwfile="$DIR/.pwfile"
    printf '%s\n' "$PASSWORD" >"$pwfile"
    chmod 0600 "$pwfile"
    [ "$(id -u)" -ne 0 ] || chown "$OWNER" "$pwfile"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    {
        echo "# modelop_mlc test server (scripts/start-postgres.sh)"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$DIR'"
        # Several worker processes, each with a few threads, plus the tests' own connections.
        echo "max_connections = 200"
    } >>"$DATA/postgresql.conf"
fi

if running; then
    port="$(current_port)"
    log "already running in $DATA on port $port"
else
    port="${MLC_POSTGRES_PORT:-}"
    if [ -z "$port" ]; then
        last="$(cat "$DIR/port" 2>/dev/null || true)"
        for candidate in $last 5432 $(seq 54320 54400); do
            if ! port_in_use "$candidate"; then
                port="$candidate"
                break
            fi
        done
        [ -n "$port" ] || die "no free port between 54320 and 54400; set MLC_POSTGRES_PORT"
    elif port_in_use "$port"; then
        die "port $port (MLC_POSTGRES_PORT) is in use by another program"
    fi
    log "starting PostgreSQL in $DATA on 127.0.0.1:$port"
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -o "-p $port" -w -t 120 start >&2 \
        || die "PostgreSQL did not start; see $LOG"
fi
echo "$port" >"$DIR/port"
wait_ready "$port"

sql() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$port" -U postgres -d postgres "$@"; }
# The password may differ from the one the cluster was created with; setting it is idempotent.
sql -c "ALTER USER postgres PASSWORD '${PASSWORD//\'/\'\'}'" >/dev/null
if [ -z "$(sql -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ]; then
    log "creating the database $DATABASE"
    sql -c "CREATE DATABASE \"$DATABASE\"" >/dev/null
fi

log "ready; export MLC_POSTGRES_DSN=$(dsn "$port")"
dsn "$port"
