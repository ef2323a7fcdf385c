#!/usr/bin/env bash
# A Spark standalone cluster (one master, one worker) on 127.0.0.1, run from the
# pyspark installed in .venv, for the `cluster` tests and for trying spark-submit.
#
#   scripts/spark-cluster.sh start    # start (if needed), wait for the worker, run a smoke job
#   scripts/spark-cluster.sh stop
#   scripts/spark-cluster.sh status   # exit 1 unless master is up with >= 1 alive worker
#
# Master spark://127.0.0.1:7077, master UI http://127.0.0.1:8080, worker UI :8081.
# Logs and pid files: .services/spark/. Environment: SPARKDMS_CLUSTER_TIMEOUT (default 90 s),
# SPARKDMS_WORKER_CORES (2), SPARKDMS_WORKER_MEMORY (3g), SPARKDMS_CLUSTER_SMOKE=0 skips the job.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.services/spark"
PY="$ROOT/.venv/bin/python"
TIMEOUT="${SPARKDMS_CLUSTER_TIMEOUT:-90}"
MASTER_URL="spark://127.0.0.1:7077"
MASTER_UI="http://127.0.0.1:8080"

log() { echo "[spark-cluster] $*" >&2; }
die() { echo "[spark-cluster] ERROR: $*" >&2; exit 1; }

[[ -x "$PY" ]] || die "$PY not found; run scripts/setup.sh (make venv) first"

export SPARK_HOME
SPARK_HOME="$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_LOCAL_IP=127.0.0.1
export SPARK_LOG_DIR="$STATE"
export PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY"
# Fail instead of silently moving to port 7078/8081 when 7077/8080 are taken.
export SPARK_MASTER_OPTS="${SPARK_MASTER_OPTS:-} -Dspark.port.maxRetries=0"

# Is pid file $1 naming a live process whose command line contains $2?
alive() {
    local pidfile="$1" needle="$2" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(cat "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$needle"
}

# Number of alive workers reported by the master UI, or -1 if the master does not answer.
alive_workers() {
    "$PY" - "$MASTER_UI/json/" <<'PY'
import json, sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=3) as response:
        print(json.load(response).get("aliveworkers", 0))
except Exception:
    print(-1)
PY
}

launch() {  # launch NAME CLASS ARGS...  (background, survives the calling shell)
    local name="$1" class="$2"; shift 2
    log "starting $name ($class)"
    nohup setsid "$SPARK_HOME/bin/spark-class" "$class" "$@" \
        >>"$STATE/$name.out" 2>&1 </dev/null &
    echo $! >"$STATE/$name.pid"
}

wait_until() {  # wait_until DESCRIPTION PIDFILE NEEDLE CONDITION...
    local what="$1" pidfile="$2" needle="$3"; shift 3
    local deadline=$((SECONDS + TIMEOUT))
    until "$@"; do
        if ! alive "$pidfile" "$needle"; then
            tail -n 40 "$STATE"/*.out >&2 || true
            die "$what exited during startup (logs above, in $STATE/)"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 40 "$STATE"/*.out >&2 || true
            die "$what not ready after ${TIMEOUT}s (logs in $STATE/)"
        fi
        sleep 1
    done
}

master_up() { (($(alive_workers) >= 0)); }
worker_registered() { (($(alive_workers) >= 1)); }

smoke_job() {
    log "running a smoke job on $MASTER_URL"
    timeout "$TIMEOUT" "$PY" - "$MASTER_URL" >"$STATE/smoke.out" 2>&1 <<'PY' || {
import sys
from pyspark.sql import SparkSession

spark = (
    SparkSession.builder.master(sys.argv[1])
    .appName("sparkdms-cluster-smoke")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.driver.bindAddress", "127.0.0.1")
    .config("spark.executor.memory", "1g")
    .config("spark.ui.enabled", "false")
    .getOrCreate()
)
try:
    # A Python lambda, so the job needs Python workers on the executor, not only the JVM.
    total = spark.sparkContext.parallelize(range(1000), 4).map(lambda x: x * x).sum()
    assert total == sum(x * x for x in range(1000)), total
    assert spark.range(10_000).selectExpr("sum(id)").first()[0] == 49_995_000
    print("SMOKE-OK")
finally:
    spark.stop()
PY
        tail -n 40 "$STATE/smoke.out" >&2
        die "smoke job against $MASTER_URL failed (output above, in $STATE/smoke.out)"
    }
    grep -q SMOKE-OK "$STATE/smoke.out" || die "smoke job printed no result ($STATE/smoke.out)"
    log "smoke job ok"
}

start() {
    command -v java >/dev/null || die "java not found (run scripts/setup.sh)"
    mkdir -p "$STATE/work"
    if alive "$STATE/master.pid" deploy.master.Master; then
        log "master already running (pid $(cat "$STATE/master.pid"))"
    elif master_up; then
        log "a master not started from this checkout already answers on $MASTER_UI; using it"
    else
        launch master org.apache.spark.deploy.master.Master \
            --host 127.0.0.1 --port 7077 --webui-port 8080
    fi
    wait_until "Spark master" "$STATE/master.pid" deploy.master.Master master_up
    if alive "$STATE/worker.pid" deploy.worker.Worker; then
        log "worker already running (pid $(cat "$STATE/worker.pid"))"
    elif worker_registered; then
        log "the master already has a live worker (not started from this checkout); using it"
    else
        launch worker org.apache.spark.deploy.worker.Worker "$MASTER_URL" \
            --host 127.0.0.1 --webui-port 8081 \
            --cores "${SPARKDMS_WORKER_CORES:-2}" --memory "${SPARKDMS_WORKER_MEMORY:-3g}" \
            --work-dir "$STATE/work"
    fi
    wait_until "Spark worker registration" "$STATE/worker.pid" deploy.worker.Worker worker_registered
    log "master $MASTER_URL up with $(alive_workers) worker(s); UI $MASTER_UI"
    [[ "${SPARKDMS_CLUSTER_SMOKE:-1}" == 0 ]] || smoke_job
}

stop_one() {  # stop_one NAME NEEDLE
    local name="$1" needle="$2" pidfile="$STATE/$1.pid" pid i
    if alive "$pidfile" "$needle"; then
        pid="$(cat "$pidfile")"
        kill "$pid"
        for ((i = 0; i < 30; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
            kill -9 "$pid"
        fi
        log "$name stopped"
    else
        log "$name not running"
    fi
    rm -f "$pidfile"
}

stop() {
    stop_one worker deploy.worker.Worker
    stop_one master deploy.master.Master
}

status() {
    local m="not running from this checkout" w="not running from this checkout" n
    alive "$STATE/master.pid" deploy.master.Master && m="up (pid $(cat "$STATE/master.pid"))"
    alive "$STATE/worker.pid" deploy.worker.Worker && w="up (pid $(cat "$STATE/worker.pid"))"
    n="$(alive_workers)"
    echo "spark master: $m, $MASTER_URL, UI $MASTER_UI"
    echo "spark worker: $w"
    if ((n < 0)); then echo "spark cluster: master UI not answering"; return 1; fi
    echo "spark cluster: $n alive worker(s)"
    ((n >= 1))
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
