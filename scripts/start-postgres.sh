#!/usr/bin/env bash
# Start a local PostgreSQL for the `mlc_postgres` tests and benchmarks; safe to run again.
#
#   scripts/start-postgres.sh            # prints the DSN on its last line
#   export MLC_POSTGRES_DSN=$(scripts/start-postgres.sh | tail -n 1)
#
# Runs as root on Debian (how CI runs): installs the `postgresql` package if it is missing,
# starts the cluster with pg_ctlcluster (which drops to the postgres user itself), sets the
# postgres password and waits until the server accepts TCP connections on 127.0.0.1.
set -euo pipefail

PASSWORD="${MLC_POSTGRES_PASSWORD:-postgres}"
PORT="${MLC_POSTGRES_PORT:-5432}"
CLUSTER="${MLC_POSTGRES_CLUSTER:-main}"

log() { echo "start-postgres: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    log "must run as root (it installs packages and starts the system cluster)"
    exit 1
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing the postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

# The newest installed server version (15 on Debian 12).
VERSION="${MLC_POSTGRES_VERSION:-$(ls /usr/lib/postgresql | sort -n | tail -n 1)}"

if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {found=1} END {exit !found}'; then
    log "creating cluster $VERSION/$CLUSTER"
    pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" >&2
fi

status="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $4}')"
if [ "$status" != "online" ]; then
    log "starting cluster $VERSION/$CLUSTER"
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $3}')"

# pg_ctlcluster returns once the postmaster runs; recovery may still refuse connections.
for _ in $(seq 1 60); do
    if pg_isready -q -h 127.0.0.1 -p "$PORT"; then
        break
    fi
    sleep 0.5
done
if ! pg_isready -q -h 127.0.0.1 -p "$PORT"; then
    log "PostgreSQL did not accept connections on 127.0.0.1:$PORT; see /var/log/postgresql/"
    exit 1
fi

# TCP logins use scram-sha-256 in Debian's pg_hba.conf, so the postgres user needs a password.
runuser -u postgres -- psql -p "$PORT" -qtAc "ALTER USER postgres PASSWORD '$PASSWORD'" >/dev/null

echo "postgresql://postgres:${PASSWORD}@127.0.0.1:${PORT}/postgres"
