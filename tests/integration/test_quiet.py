"""A successful run is quiet: nothing on stderr, no Spark/Ivy/log4j lines on stdout; Spark's
logs are in the run's JVM log file, named in the output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import pg_connect
from tests.integration.helpers import fetch, selection, write_task

ROOT = Path(__file__).resolve().parents[2]
NOISE = re.compile(r"WARN |INFO |:: resolving dependencies ::|\[Stage |log4j|Ivy ")


def test_run_is_quiet_and_names_the_spark_log(pg_db, tmp_path):
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE SCHEMA src")
        conn.execute("CREATE TABLE src.t (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO src.t VALUES (1, 'ä'), (2, NULL)")
    task = write_task(tmp_path, pg_db, pg_db, [selection("src"), {
        "rule-type": "transformation", "rule-id": "2", "rule-name": "2", "rule-target": "schema",
        "object-locator": {"schema-name": "src"}, "rule-action": "rename", "value": "dst"}],
        # through Spark: a direct copy alone would not start it (sparkdms/localrun.py)
        {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
         "Sparkdms": {"DirectCopyWithoutJvm": False}})
    report = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "sparkdms.cli", "run", str(task), "--report",
                           str(report)], cwd=ROOT, text=True, capture_output=True, timeout=300,
                          # Ivy resolves (no jar cache) so that its report must go to the log
                          env={**{k: v for k, v in os.environ.items() if k != "SPARKDMS_JARS_DIR"},
                               "SPARKDMS_NO_JAR_CACHE": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    assert not [line for line in proc.stdout.splitlines() if NOISE.search(line)], proc.stdout
    jvm_log = tmp_path / "r.jvm.log"
    assert str(jvm_log) in proc.stdout
    assert ":: resolving dependencies ::" in jvm_log.read_text()  # Ivy's report went there
    with pg_connect(pg_db) as conn:
        assert sorted(fetch(conn, "SELECT id, v FROM dst.t")) == [(1, "ä"), (2, None)]
