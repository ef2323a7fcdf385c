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
#
# A thin wrapper over `sparkdms submit` (sparkdms/submit.py), which an installed sparkdms
# provides without this checkout; SPARKDMS_PYTHON picks the Python that has sparkdms.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${SPARKDMS_PYTHON:-$ROOT/.venv/bin/python}"
[[ -x "$PY" ]] || PY="$(command -v python3)"

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
[[ -f "$1" ]] || { echo "spark-submit.sh: no task file at $1" >&2; exit 2; }

exec "$PY" -m sparkdms.cli submit "$@"
