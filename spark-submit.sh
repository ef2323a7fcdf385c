#!/usr/bin/env bash
# Run a sparkdms task through spark-submit (standalone, YARN/EMR, Kubernetes).
#
#   ./spark-submit.sh TASK.yaml [spark-submit options ...] [-- sparkdms options ...]
#   SPARKDMS_JOB=validate ./spark-submit.sh TASK.yaml ...    (jobs/validate.py instead of full_load)
#   ./spark-submit.sh conf/examples/postgres-to-mariadb.yaml --master spark://host:7077 -- --report out.json
#
# It zips the project's code for --py-files, asks the task which engines it uses and
# passes their Maven coordinates as --packages (or the jars in SPARKDMS_JARS_DIR as --jars).
# Executors need Python 3.11 with pyarrow, psycopg and pymysql (PYSPARK_PYTHON).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${SPARKDMS_PYTHON:-$ROOT/.venv/bin/python}"
[[ -x "$PY" ]] || PY="$(command -v python3)"

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
TASK="$1"; shift
[[ -f "$TASK" ]] || { echo "spark-submit.sh: no task file at $TASK" >&2; exit 2; }

SUBMIT_ARGS=()
APP_ARGS=()
while [[ $# -gt 0 ]]; do
    if [[ "$1" == "--" ]]; then shift; APP_ARGS=("$@"); break; fi
    SUBMIT_ARGS+=("$1"); shift
done

SPARK_SUBMIT="${SPARK_SUBMIT:-}"
if [[ -z "$SPARK_SUBMIT" ]]; then
    if [[ -n "${SPARK_HOME:-}" ]]; then SPARK_SUBMIT="$SPARK_HOME/bin/spark-submit"
    else SPARK_SUBMIT="$("$PY" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit"))')"
    fi
fi

cd "$ROOT"
PACKAGES="$("$PY" -m sparkdms.jvm --task "$TASK" | paste -sd, -)"
ZIP="$("$PY" -m sparkdms.packaging "$ROOT/build/sparkdms-code.zip")"
JVM_ARGS=(--packages "$PACKAGES")
if [[ -n "${SPARKDMS_JARS_DIR:-}" ]]; then
    JVM_ARGS=(--jars "$(ls "$SPARKDMS_JARS_DIR"/*.jar | paste -sd, -)")
fi

export PYSPARK_PYTHON="${PYSPARK_PYTHON:-$PY}"
exec "$SPARK_SUBMIT" \
    --name "sparkdms $(basename "$TASK")" \
    "${JVM_ARGS[@]}" \
    --py-files "$ZIP" \
    --conf spark.sql.session.timeZone=UTC \
    --conf "spark.driver.extraJavaOptions=-Duser.timezone=UTC" \
    --conf "spark.executor.extraJavaOptions=-Duser.timezone=UTC" \
    --conf spark.ui.showConsoleProgress=false \
    "${SUBMIT_ARGS[@]}" \
    "$ROOT/jobs/${SPARKDMS_JOB:-full_load}.py" "$TASK" "${APP_ARGS[@]}"
