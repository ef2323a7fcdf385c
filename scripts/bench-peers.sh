#!/usr/bin/env bash
# Install the peer tools that `make bench` measures sparkdms against, OUTSIDE the repo and
# the project virtualenv, cached:
#   pgloader   from Debian (apt-get install -y pgloader)
#   Sling      PyPI `sling-linux-amd64` (the wheel ships the Go binary; the `sling` wrapper
#              package downloads it from GitHub on first use, which this network cannot reach)
#   dlt        PyPI `dlt[postgres,sql_database,sqlalchemy]` + pymysql
#   (both in ~/.cache/sparkdms/bench-venv, one venv with no project dependencies)
# Idempotent: a stamp file per peer skips what is already there (SPARKDMS_PEERS_FORCE=1 redoes).
# A peer that fails to install is reported and skipped; bench/peers.py then reports it as
# failed in the table with the first error line. Exit code: 0 (the bench decides).
#
#   scripts/bench-peers.sh            # all peers
#   scripts/bench-peers.sh sling dlt  # some
set -uo pipefail

CACHE="${SPARKDMS_BENCH_CACHE:-$HOME/.cache/sparkdms}"
VENV="$CACHE/bench-venv"
LOGS="$CACHE/bench-peers-logs"
FORCE="${SPARKDMS_PEERS_FORCE:-0}"
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$LOGS"

log() { echo "[bench-peers] $*" >&2; }

find_python() {
    local candidate
    for candidate in python3.11 python3 /root/.pyenv/versions/3.11*/bin/python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 10))' 2>/dev/null; then
            echo "$candidate"; return
        fi
    done
}

# The stamp holds the requirements: a changed list reinstalls.
fresh() { [[ "$FORCE" != 1 && -f "$CACHE/.peer-$1" && "$(cat "$CACHE/.peer-$1")" == "$2" ]]; }
stamp() { echo "$2" > "$CACHE/.peer-$1"; }

install_pgloader() {
    if command -v pgloader >/dev/null 2>&1 && [[ "$FORCE" != 1 ]]; then
        log "pgloader: $(pgloader --version 2>/dev/null | head -1)"; return 0
    fi
    local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
    log "pgloader: apt-get install (log: $LOGS/pgloader.log)"
    if { $sudo apt-get install -y pgloader || { $sudo apt-get update && $sudo apt-get install -y pgloader; }; } \
        >"$LOGS/pgloader.log" 2>&1; then
        log "pgloader: $(pgloader --version 2>/dev/null | head -1)"
    else
        log "pgloader: FAILED: $(grep -m1 -iE 'error|unable|^E:' "$LOGS/pgloader.log")"
    fi
}

ensure_venv() {
    [[ -x "$VENV/bin/python" ]] && return 0
    local py; py="$(find_python)"
    [[ -n "$py" ]] || { log "no Python >= 3.10 for $VENV"; return 1; }
    log "creating $VENV with $py"
    "$py" -m venv "$VENV" && "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
}

pip_peer() {  # name, pip requirement...
    local name="$1"; shift
    if fresh "$name" "$*"; then log "$name: cached ($VENV)"; return 0; fi
    ensure_venv || return 0
    log "$name: pip install $* (log: $LOGS/$name.log)"
    if "$VENV/bin/python" -m pip install --upgrade "$@" >"$LOGS/$name.log" 2>&1; then
        stamp "$name" "$*"
    else
        log "$name: FAILED: $(grep -m1 -iE 'error' "$LOGS/$name.log")"
    fi
}

install_sling() {
    local arch; arch="$(uname -m)"; [[ "$arch" == aarch64 ]] && arch=arm64 || arch=amd64
    pip_peer sling "sling-linux-$arch"
    local bin; bin="$(ls "$VENV"/lib/python*/site-packages/sling_linux_"$arch"/bin/sling-linux-"$arch" 2>/dev/null | head -1)"
    if [[ -n "$bin" ]]; then
        chmod +x "$bin"; ln -sf "$bin" "$VENV/bin/sling-bin"
        log "sling: $("$VENV/bin/sling-bin" --version 2>&1 | tail -1)"
    fi
}

install_dlt() {
    pip_peer dlt "dlt[postgres,sql_database,sqlalchemy]" pymysql "psycopg2-binary" pyarrow
    [[ -x "$VENV/bin/dlt" ]] && log "dlt: $("$VENV/bin/dlt" --version 2>/dev/null | tail -1)"
}

peers=("$@")
[[ ${#peers[@]} -eq 0 ]] && peers=(pgloader sling dlt)
for peer in "${peers[@]}"; do
    case "$peer" in
        pgloader) install_pgloader ;;
        sling) install_sling ;;
        dlt) install_dlt ;;
        *) log "unknown peer: $peer (pgloader, sling, dlt)" ;;
    esac
done
exit 0
