"""The same task on a Spark standalone master + worker (started by
scripts/spark-cluster.sh from the pyspark install): nothing may depend on the
driver's local state. Once through `sparkdms run --master`, once through
spark-submit.sh, once through `sparkdms submit` run outside the checkout (as an
installed user runs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task

ROOT = Path(__file__).resolve().parents[2]
ROWS = 6000


def seed(pg_db: dict) -> None:
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.events (id bigint PRIMARY KEY, at timestamptz NOT NULL, "
                     "amount numeric(14,4), label text, raw bytea)")
        conn.execute("INSERT INTO public.events SELECT g, timestamptz '2025-01-01 00:00:00+00' + "
                     "g * interval '1 second', g / 7.0, CASE WHEN g %% 5 = 0 THEN NULL ELSE "
                     "'ünïcode ' || g END, decode(md5(g::text), 'hex') "
                     "FROM generate_series(1, %s) g", (ROWS,))


def completed_apps(master_ui: str) -> list[dict]:
    with urllib.request.urlopen(f"{master_ui}/json/", timeout=5) as resp:
        return json.load(resp)["completedapps"]


def check_target(pg_db: dict, my_db: dict) -> None:
    with pg_connect(pg_db) as conn:
        source = fetch(conn, "SELECT id, at, amount, label, raw FROM public.events")
    with my_connect(my_db) as conn:
        target = fetch(conn, "SELECT id, at, amount, label, raw FROM events")
    assert_same_rows(normalise(source), normalise(target))


@pytest.mark.parametrize("launcher", ["sparkdms-run", "spark-submit.sh", "sparkdms-submit"])
def test_task_runs_on_standalone_cluster(launcher, spark_master, pg_db, my_db, tmp_path):
    seed(pg_db)
    name = f"cluster-{launcher.replace('.', '-')}-{my_db['database']}"
    task = write_task(tmp_path, pg_db, my_db, [selection("public", "events")],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "Sparkdms": {"RowsPerPartition": 1000}}, name=name)
    report = tmp_path / "report.json"
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    cwd = ROOT
    if launcher == "sparkdms-run":
        cmd = [sys.executable, "-m", "sparkdms.cli", "run", str(task), "--master", spark_master,
               "--report", str(report), "--conf", "spark.executor.memory=1g"]
    elif launcher == "spark-submit.sh":
        cmd = [str(ROOT / "spark-submit.sh"), str(task), "--master", spark_master,
               "--conf", "spark.executor.memory=1g", "--", "--report", str(report)]
    else:  # the console script, from a folder outside the checkout, with relative paths
        cwd = tmp_path
        cmd = [str(Path(sys.executable).parent / "sparkdms"), "submit", task.name,
               "--master", spark_master, "--conf", "spark.executor.memory=1g",
               "--", "--report", report.name]
    proc = subprocess.run(cmd, cwd=cwd, env=env, text=True, capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(report.read_text())
    assert data["status"] == "succeeded"
    assert data["tables"][0]["FullLoadRows"] == ROWS
    assert data["tables"][0]["Partitions"] == 6
    check_target(pg_db, my_db)
    ui = spark_master.replace("spark://", "http://").rsplit(":", 1)[0] + ":8080"
    apps = [a for a in completed_apps(ui) if name in a["name"]]
    assert apps, f"no completed application {name!r} on the standalone master"
    assert apps[0]["cores"] >= 1
