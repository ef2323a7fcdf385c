#!/usr/bin/env bash
# Create the project virtualenv (.venv) and install sparkdms in editable mode
# with every extra. Idempotent: when .venv/.sparkdms-installed is newer than
# pyproject.toml the pip step is skipped, so a second run takes well under a second.
#
#   scripts/setup.sh            # create/refresh .venv
#   SPARKDMS_FORCE_PIP=1 scripts/setup.sh   # reinstall even if the stamp is fresh
#   PYTHON=/path/to/python3.11 scripts/setup.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
STAMP="$VENV/.sparkdms-installed"

log() { echo "[setup] $*" >&2; }
die() { echo "[setup] ERROR: $*" >&2; exit 1; }

find_python() {
    if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
    local candidate
    for candidate in python3.11 python3 /root/.pyenv/versions/3.11*/bin/python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null; then
            echo "$candidate"; return
        fi
    done
    die "no Python >= 3.11 found; set PYTHON=/path/to/python3.11"
}

# pyspark needs a JVM (Spark 4 supports Java 17 and 21).
ensure_java() {
    if command -v java >/dev/null 2>&1; then return; fi
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "java not found; installing a headless JRE with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq default-jre-headless >/dev/null
    else
        die "java not found; install a Java 17 or 21 runtime (needed by pyspark)"
    fi
}

venv_ok() { [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; }

ensure_java

if ! venv_ok; then
    py="$(find_python)"
    log "creating .venv with $py ($("$py" --version 2>&1))"
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
    rm -f "$STAMP"
fi

if [[ -f "$STAMP" && "$STAMP" -nt pyproject.toml && -z "${SPARKDMS_FORCE_PIP:-}" ]]; then
    log ".venv up to date (delete $STAMP or set SPARKDMS_FORCE_PIP=1 to reinstall)"
else
    log "installing sparkdms[all] in editable mode (first run downloads Spark, takes minutes)"
    pip_flags=(--disable-pip-version-check)
    [[ -n "${CI:-}" ]] && pip_flags+=(--progress-bar off)
    "$VENV/bin/python" -m pip install "${pip_flags[@]}" -q -e '.[all]'
    touch "$STAMP"
    log "done: $("$VENV/bin/python" --version), pyspark $("$VENV/bin/python" -c 'import pyspark; print(pyspark.__version__)')"
fi

# the driver JVM's class archive (sparkdms/classarchive.py): built once per JDK and pyspark,
# under ~/.cache/sparkdms/jvm; a quick check when it is there
"$VENV/bin/python" -m sparkdms.classarchive 2>&1 | sed 's/^/[setup] /' >&2 \
    || log "class archive: not built; Spark starts without it"
