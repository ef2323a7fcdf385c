#!/usr/bin/env bash
# Start, stop or check the database servers used by integration tests, the demo
# and the benchmarks. Debian only; installs the servers with apt when missing.
#
#   scripts/services.sh start  [postgres|mariadb|ferretdb|moto|all]   (default: all)
#   scripts/services.sh stop   [postgres|mariadb|ferretdb|moto|all]
#   scripts/services.sh status [postgres|mariadb|ferretdb|moto|all]   (exit 1 if one is down)
#
# Every server listens on 127.0.0.1 only. Fixed TEST credentials (not secrets):
#   PostgreSQL  127.0.0.1:5432  role sparkdms / sparkdms_pw (SUPERUSER), db sparkdms,
#               wal_level=logical (change data capture)
#   MariaDB     127.0.0.1:3306  user sparkdms / sparkdms_pw (ALL ON *.*), db sparkdms,
#               binlog_format=ROW (change data capture)
#   FerretDB    127.0.0.1:27017 MongoDB wire protocol, SQLite backend, no auth
#               (v1.24.2 built from the Go module proxy once, cached in ~/.cache/sparkdms)
#   moto        127.0.0.1:5000  S3, DynamoDB, Kinesis (moto's server mode; any keys)
# Environment: SPARKDMS_SERVICE_TIMEOUT (seconds to wait for readiness, default 60).
# shellcheck disable=SC2317  # the *_start/_stop/_status functions are called by name below
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.services"
TIMEOUT="${SPARKDMS_SERVICE_TIMEOUT:-60}"

PG_PORT=5432
MY_PORT=3306
TEST_USER=sparkdms
TEST_PASSWORD=sparkdms_pw
TEST_DB=sparkdms
MY_SOCKET=/run/mysqld/mysqld.sock
MY_CNF=/etc/mysql/mariadb.conf.d/99-sparkdms.cnf
MY_ERRLOG=/var/log/mysql/error.log

log() { echo "[services] $*" >&2; }
die() { echo "[services] ERROR: $*" >&2; exit 1; }

require_root() {
    [[ $EUID -eq 0 ]] || die "'$1' needs root (it installs packages and starts servers as their own users)"
}

as_user() {  # as_user USER CMD...
    local user="$1"; shift
    if [[ $EUID -eq 0 ]]; then runuser -u "$user" -- "$@"; else sudo -n -u "$user" -- "$@"; fi
}

apt_install() {
    require_root "apt-get install $*"
    log "installing $* with apt-get (not found on this machine)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "$@" >/dev/null
}

wait_for() {  # wait_for DESCRIPTION CMD...  (polls CMD until it succeeds or TIMEOUT)
    local what="$1"; shift
    local deadline=$((SECONDS + TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then return 1; fi
        sleep 0.5
    done
    log "$what is ready"
}

# --------------------------------------------------------------------------- PostgreSQL

pg_version() {  # newest installed server major version, empty when none
    local bin
    for bin in /usr/lib/postgresql/*/bin/postgres; do
        [[ -x "$bin" ]] && basename "$(dirname "$(dirname "$bin")")"
    done | sort -V | tail -n 1
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }

pg_login_ok() {
    PGPASSWORD="$TEST_PASSWORD" PGCONNECT_TIMEOUT=5 psql -X -q -At -h 127.0.0.1 -p "$PG_PORT" \
        -U "$TEST_USER" -d "$TEST_DB" -c 'SELECT 1' >/dev/null 2>&1
}

pg_psql_admin() {  # run SQL from stdin as the postgres superuser over the local socket
    as_user postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres
}

pg_configure() {  # writes config; prints "restart", "reload" or nothing
    local v="$1" etc="/etc/postgresql/$1/main" changed=""
    local conf="$etc/conf.d/90-sparkdms.conf" hba="$etc/pg_hba.conf"
    local want
    want="# Managed by sparkdms scripts/services.sh (test server: loopback only).
listen_addresses = '127.0.0.1'
port = $PG_PORT
password_encryption = 'scram-sha-256'
max_connections = 200
# Test/benchmark server: a crash may lose the last commits, never corrupts.
synchronous_commit = off
# Change data capture (logical decoding through replication slots)
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20"
    install -d -o postgres -g postgres "$etc/conf.d"
    if ! grep -Eq "^[[:space:]]*include_dir[[:space:]]*=[[:space:]]*'conf.d'" "$etc/postgresql.conf"; then
        echo "include_dir = 'conf.d'" >>"$etc/postgresql.conf"
        changed=restart
    fi
    if [[ ! -f "$conf" ]] || [[ "$(cat "$conf")" != "$want" ]]; then
        printf '%s\n' "$want" >"$conf"
        chown postgres:postgres "$conf"
        changed=restart
    fi
    # Password (scram) login over loopback TCP for every role; first matching line wins.
    local line="host    all    all    127.0.0.1/32    scram-sha-256    # sparkdms"
    if ! grep -qF "$line" "$hba"; then
        sed -i "1i $line" "$hba"
        [[ -z "$changed" ]] && changed=reload
    fi
    echo "$changed"
}

pg_start() {
    local v
    v="$(pg_version)"
    if [[ -z "$v" ]]; then
        apt_install postgresql
        v="$(pg_version)"
        [[ -n "$v" ]] || die "postgresql installed but no server binary under /usr/lib/postgresql"
    fi
    if ! pg_lsclusters -h | awk -v v="$v" '$1 == v && $2 == "main" {f = 1} END {exit !f}'; then
        require_root "pg_createcluster"
        log "creating PostgreSQL $v cluster 'main'"
        pg_createcluster "$v" main -p "$PG_PORT" >/dev/null
    fi
    require_root "configuring PostgreSQL"
    local action
    action="$(pg_configure "$v")"
    install -d -o postgres -g postgres -m 2775 /var/run/postgresql
    install -d -o postgres -g postgres /var/log/postgresql
    local status
    status="$(pg_lsclusters -h | awk -v v="$v" '$1 == v && $2 == "main" {print $4}')"
    if [[ "$status" == online* ]]; then
        case "$action" in
            restart) log "PostgreSQL $v config changed; restarting"; pg_ctlcluster "$v" main restart ;;
            reload) pg_ctlcluster "$v" main reload ;;
        esac
    else
        log "starting PostgreSQL $v on 127.0.0.1:$PG_PORT"
        pg_ctlcluster "$v" main start || {
            tail -n 30 "/var/log/postgresql/postgresql-$v-main.log" >&2 || true
            die "PostgreSQL $v failed to start (log above: /var/log/postgresql/postgresql-$v-main.log)"
        }
    fi
    wait_for "PostgreSQL $v" pg_ready || {
        tail -n 30 "/var/log/postgresql/postgresql-$v-main.log" >&2 || true
        die "PostgreSQL $v not accepting connections on 127.0.0.1:$PG_PORT after ${TIMEOUT}s"
    }
    pg_psql_admin <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$TEST_USER') THEN
    CREATE ROLE $TEST_USER LOGIN SUPERUSER PASSWORD '$TEST_PASSWORD';
  ELSE
    ALTER ROLE $TEST_USER LOGIN SUPERUSER PASSWORD '$TEST_PASSWORD';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE $TEST_DB OWNER $TEST_USER'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$TEST_DB') \gexec
SQL
    pg_login_ok || die "PostgreSQL is up but password login as $TEST_USER@127.0.0.1 fails (check /etc/postgresql/$v/main/pg_hba.conf)"
    log "PostgreSQL $v: 127.0.0.1:$PG_PORT user $TEST_USER db $TEST_DB"
}

pg_stop() {
    local v
    v="$(pg_version)"
    if [[ -z "$v" ]] || ! pg_lsclusters -h | awk -v v="$v" '$1 == v && $2 == "main" && $4 ~ /^online/ {f = 1} END {exit !f}'; then
        log "PostgreSQL is not running"
        return 0
    fi
    require_root "pg_ctlcluster stop"
    pg_ctlcluster "$v" main stop -m fast
    log "PostgreSQL $v stopped"
}

pg_status() {
    local v
    v="$(pg_version)"
    if [[ -z "$v" ]]; then echo "postgres: not installed"; return 1; fi
    if ! pg_ready; then echo "postgres $v: down"; return 1; fi
    if pg_login_ok; then
        echo "postgres $v: up on 127.0.0.1:$PG_PORT, login $TEST_USER ok"
    else
        echo "postgres $v: up on 127.0.0.1:$PG_PORT, but login as $TEST_USER FAILS (run: scripts/services.sh start postgres)"
        return 1
    fi
}

# --------------------------------------------------------------------------- MariaDB

my_server_bin() {
    local bin
    for bin in /usr/sbin/mariadbd /usr/sbin/mysqld; do
        [[ -x "$bin" ]] && { echo "$bin"; return; }
    done
}

my_client() { command -v mariadb || command -v mysql; }
my_admin() { command -v mariadb-admin || command -v mysqladmin; }

my_ping() { "$(my_admin)" --socket="$MY_SOCKET" --connect-timeout=2 ping; }

my_login_ok() {
    MYSQL_PWD="$TEST_PASSWORD" "$(my_client)" --protocol=TCP -h 127.0.0.1 -P "$MY_PORT" \
        -u "$TEST_USER" --connect-timeout=5 -N -e 'SELECT 1' "$TEST_DB" >/dev/null 2>&1
}

my_root_sql() { "$(my_client)" --socket="$MY_SOCKET" -u root -N; }  # root via unix_socket auth

my_configure() {
    local want
    want="# Managed by sparkdms scripts/services.sh (test server: loopback only).
[mysqld]
bind-address = 127.0.0.1
port = $MY_PORT
local_infile = 1
max_allowed_packet = 256M
log_error = $MY_ERRLOG
# Test/benchmark server: flush the redo log once a second, not at every commit.
innodb_flush_log_at_trx_commit = 2
innodb_buffer_pool_size = 512M
# Change data capture: row-based binary log with full row images
server_id = 1
log_bin = mariadb-bin
binlog_format = ROW
binlog_row_image = FULL
binlog_row_metadata = FULL
expire_logs_days = 2"
    if [[ ! -f "$MY_CNF" ]] || [[ "$(cat "$MY_CNF")" != "$want" ]]; then
        printf '%s\n' "$want" >"$MY_CNF"
        echo restart
    fi
}

my_start() {
    if [[ -z "$(my_server_bin)" ]]; then
        apt_install mariadb-server
        [[ -n "$(my_server_bin)" ]] || die "mariadb-server installed but no mariadbd binary found"
    fi
    require_root "starting MariaDB"
    if [[ -n "$(my_configure)" ]] && my_ping >/dev/null 2>&1; then
        log "MariaDB configuration changed: restarting it"
        my_stop
    fi
    install -d -o mysql -g mysql /run/mysqld "$(dirname "$MY_ERRLOG")"
    install -d "$STATE/mariadb"
    if my_ping >/dev/null 2>&1; then
        log "MariaDB already running"
    else
        if [[ ! -d /var/lib/mysql/mysql ]]; then
            log "initialising the MariaDB data directory"
            install -d -o mysql -g mysql /var/lib/mysql
            mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
        fi
        log "starting MariaDB on 127.0.0.1:$MY_PORT"
        # Started directly (not through invoke-rc.d, which policy-rc.d blocks in containers).
        nohup setsid "$(my_server_bin)" --user=mysql \
            >>"$STATE/mariadb/mariadbd.out" 2>&1 </dev/null &
        echo $! >"$STATE/mariadb/mariadbd.pid"
        local pid=$! deadline=$((SECONDS + TIMEOUT))
        until my_ping >/dev/null 2>&1; do
            if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
                tail -n 30 "$MY_ERRLOG" "$STATE/mariadb/mariadbd.out" >&2 2>/dev/null || true
                die "MariaDB did not become ready within ${TIMEOUT}s (logs: $MY_ERRLOG)"
            fi
            sleep 0.5
        done
        log "MariaDB is ready"
    fi
    # SET GLOBAL as well, so a server started by someone else (systemd) gets the settings too.
    my_root_sql <<SQL
SET GLOBAL local_infile = 1;
SET GLOBAL max_allowed_packet = 268435456;
CREATE DATABASE IF NOT EXISTS $TEST_DB;
CREATE USER IF NOT EXISTS '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER IF NOT EXISTS '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
    local bind
    bind="$(echo 'SELECT @@bind_address' | my_root_sql)"
    [[ "$bind" == "127.0.0.1" ]] || log "WARNING: MariaDB bind_address is '$bind', expected 127.0.0.1 (restart it: scripts/services.sh stop mariadb && scripts/services.sh start mariadb)"
    my_login_ok || die "MariaDB is up but password login as $TEST_USER@127.0.0.1 fails"
    log "MariaDB: 127.0.0.1:$MY_PORT user $TEST_USER db $TEST_DB"
}

my_stop() {
    if [[ -z "$(my_server_bin)" ]] || ! my_ping >/dev/null 2>&1; then
        log "MariaDB is not running"
        return 0
    fi
    require_root "stopping MariaDB"
    "$(my_admin)" --socket="$MY_SOCKET" -u root shutdown
    local deadline=$((SECONDS + TIMEOUT))
    while [[ -S "$MY_SOCKET" ]] && my_ping >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "MariaDB did not stop within ${TIMEOUT}s"
        sleep 0.5
    done
    rm -f "$STATE/mariadb/mariadbd.pid"
    log "MariaDB stopped"
}

my_status() {
    if [[ -z "$(my_server_bin)" ]]; then echo "mariadb: not installed"; return 1; fi
    if my_login_ok; then
        echo "mariadb: up on 127.0.0.1:$MY_PORT, login $TEST_USER ok"
    elif my_ping >/dev/null 2>&1; then
        echo "mariadb: up, but login as $TEST_USER over 127.0.0.1:$MY_PORT FAILS (run: scripts/services.sh start mariadb)"
        return 1
    else
        echo "mariadb: down"; return 1
    fi
}

# --------------------------------------------------------------------------- FerretDB

FDB_VERSION=v1.24.2
FDB_PORT=27017
CACHE="${SPARKDMS_CACHE:-$HOME/.cache/sparkdms}"
FDB_BIN="$CACHE/ferretdb-$FDB_VERSION/ferretdb"

await_ready() {  # await_ready NAME PID LOGFILE PING_FUNCTION: until it answers, or die
    local name="$1" pid="$2" logfile="$3" ping="$4" deadline=$((SECONDS + TIMEOUT))
    until "$ping"; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
            tail -n 30 "$logfile" >&2 || true
            die "$name did not become ready within ${TIMEOUT}s"
        fi
        sleep 0.3
    done
}

fdb_ping() {  # a MongoDB "ping" through pymongo when available, else the TCP port
    if [[ -x "$ROOT/.venv/bin/python" ]]; then
        "$ROOT/.venv/bin/python" - "$FDB_PORT" <<'PY' >/dev/null 2>&1
import sys, pymongo
pymongo.MongoClient(f"mongodb://127.0.0.1:{sys.argv[1]}/", serverSelectionTimeoutMS=1500).admin.command("ping")
PY
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$FDB_PORT") 2>/dev/null
    fi
}

fdb_build() {  # go build of the module's source with its version file filled in
    [[ -x "$FDB_BIN" ]] && return 0
    command -v go >/dev/null || die "FerretDB needs the Go toolchain (go) to build $FDB_VERSION"
    log "building FerretDB $FDB_VERSION from the Go module proxy (once; cached in $(dirname "$FDB_BIN"))"
    local dir work
    dir="$(GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FDB_VERSION" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
    [[ -d "$dir" ]] || die "go mod download of github.com/FerretDB/FerretDB@$FDB_VERSION failed"
    work="$(mktemp -d)"
    cp -r "$dir/." "$work/src" 2>/dev/null || cp -r "$dir" "$work/src"
    chmod -R u+w "$work/src"
    # a plain `go install` leaves this file empty and the binary panics at start
    echo "$FDB_VERSION" >"$work/src/build/version/version.txt"
    install -d "$(dirname "$FDB_BIN")"
    (cd "$work/src" && go build -o "$FDB_BIN.tmp" ./cmd/ferretdb) || die "go build of FerretDB failed"
    mv "$FDB_BIN.tmp" "$FDB_BIN"
    rm -rf "$work"
}

fdb_start() {
    if fdb_ping; then log "FerretDB already running"; return 0; fi
    fdb_build
    install -d "$STATE/ferretdb/data"
    log "starting FerretDB $FDB_VERSION (SQLite backend) on 127.0.0.1:$FDB_PORT"
    nohup setsid "$FDB_BIN" --handler=sqlite --sqlite-url="file:$STATE/ferretdb/data/" \
        --listen-addr="127.0.0.1:$FDB_PORT" --debug-addr=127.0.0.1:8089 --telemetry=disable \
        --state-dir="$STATE/ferretdb" --log-level=warn \
        >>"$STATE/ferretdb/ferretdb.out" 2>&1 </dev/null &
    echo $! >"$STATE/ferretdb/ferretdb.pid"
    await_ready FerretDB $! "$STATE/ferretdb/ferretdb.out" fdb_ping
    log "FerretDB: mongodb://127.0.0.1:$FDB_PORT/"
}

pid_stop() {  # pid_stop NAME PIDFILE
    local pidfile="$2"
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        local deadline=$((SECONDS + TIMEOUT))
        while kill -0 "$(cat "$pidfile")" 2>/dev/null; do
            ((SECONDS < deadline)) || die "$1 did not stop within ${TIMEOUT}s"
            sleep 0.2
        done
        log "$1 stopped"
    else
        log "$1 is not running"
    fi
    rm -f "$pidfile"
}

fdb_stop() { pid_stop FerretDB "$STATE/ferretdb/ferretdb.pid"; }

fdb_status() {
    if fdb_ping; then echo "ferretdb: up on 127.0.0.1:$FDB_PORT"; else echo "ferretdb: down"; return 1; fi
}

# --------------------------------------------------------------------------- moto (AWS)

MOTO_PORT=5000

moto_ping() { curl -fsS -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/" 2>/dev/null; }

moto_start() {
    if moto_ping; then log "moto already running"; return 0; fi
    local bin="$ROOT/.venv/bin/moto_server"
    [[ -x "$bin" ]] || die "moto_server missing: run make venv (installs moto[server])"
    install -d "$STATE/moto"
    log "starting moto (S3, DynamoDB, Kinesis) on 127.0.0.1:$MOTO_PORT"
    nohup setsid "$bin" -H 127.0.0.1 -p "$MOTO_PORT" >>"$STATE/moto/moto.out" 2>&1 </dev/null &
    echo $! >"$STATE/moto/moto.pid"
    await_ready moto $! "$STATE/moto/moto.out" moto_ping
    log "moto: http://127.0.0.1:$MOTO_PORT (endpoint_url)"
}

moto_stop() { pid_stop moto "$STATE/moto/moto.pid"; }

moto_status() {
    if moto_ping; then echo "moto: up on 127.0.0.1:$MOTO_PORT"; else echo "moto: down"; return 1; fi
}

# --------------------------------------------------------------------------- main

usage() { echo "usage: $0 start|stop|status [postgres|mariadb|ferretdb|moto|all]" >&2; exit 2; }

cmd="${1:-}"
what="${2:-all}"
case "$what" in
    postgres|pg|postgresql) services=(pg) ;;
    mariadb|mysql|my) services=(my) ;;
    ferretdb|mongodb|fdb) services=(fdb) ;;
    moto|aws) services=(moto) ;;
    all) services=(pg my fdb moto) ;;
    *) usage ;;
esac

rc=0
case "$cmd" in
    start) for s in "${services[@]}"; do "${s}_start"; done ;;
    stop) for s in "${services[@]}"; do "${s}_stop"; done ;;
    status) for s in "${services[@]}"; do "${s}_status" || rc=1; done ;;
    *) usage ;;
esac
exit "$rc"
