"""A run says what it does from the first second, prints progress lines when stdout is not
a terminal (rows, rows/s, validating), and writes the JSON report with the run's versions and
the HTML run report naming each table."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import pg_connect
from tests.integration.helpers import fetch, selection, write_task

ROOT = Path(__file__).resolve().parents[2]
RENAME = {"rule-type": "transformation", "rule-id": "2", "rule-name": "2",
          "rule-target": "schema", "object-locator": {"schema-name": "src"},
          "rule-action": "rename", "value": "dst"}
PROGRESS = re.compile(r"^\s+\[\s*\d+s\] \d/2 tables loaded")


def test_run_progress_lines_and_html_report(pg_db, tmp_path):
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE SCHEMA src")
        conn.execute("CREATE TABLE src.big (id int PRIMARY KEY, v text, d numeric(12,3), "
                     "ts timestamp, b bytea)")
        conn.execute("INSERT INTO src.big SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'é' || g "
                     "END, g / 1000.0, timestamp '2024-01-01' + g * interval '1 second', "
                     "decode(md5(g::text), 'hex') FROM generate_series(1, 300000) g")
        conn.execute("CREATE TABLE src.small (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO src.small VALUES (1, 'ä'), (2, NULL), (3, '✓')")
        conn.execute("ANALYZE src.big")
    task = write_task(tmp_path, pg_db, pg_db, [selection("src"), RENAME],
                      settings={"ValidationSettings": {"EnableValidation": True},
                                # the Spark path's lines and run info (a direct copy alone
                                # would not start Spark)
                                "Sparkdms": {"DirectCopyWithoutJvm": False}})
    report = tmp_path / "r.json"
    env = {**{k: v for k, v in os.environ.items() if k != "SPARKDMS_JARS_DIR"},
           "SPARKDMS_PROGRESS_SECONDS": "0.5"}
    proc = subprocess.run([sys.executable, "-m", "sparkdms.cli", "run", str(task), "--report",
                           str(report)], cwd=ROOT, text=True, capture_output=True, timeout=300,
                          env=env)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert proc.stderr == ""
    lines = out.splitlines()
    assert lines[0].startswith("Reading the task, connecting to both endpoints"), out
    assert any(line.startswith("Starting Spark (") for line in lines), out
    assert re.search(r"^Spark \S+ started in [\d.]+s; Spark UI: http://(127\.0\.0\.1|localhost):\d+", out,
                     re.M), out
    progress = [line for line in lines if PROGRESS.match(line)]
    assert progress, out
    assert any("rows/s" in line or "validating" in line for line in progress), out

    data = json.loads(report.read_text())
    run = data["run"]
    assert run["sparkdms_version"] and run["spark_version"].startswith("4.")
    assert run["application_id"].startswith("local-")
    assert run["spark_start_seconds"] > 0
    html = report.with_suffix(".html")
    assert f"Report written to {report} and {html}" in out
    page = html.read_text()
    for table in ("src.big", "src.small"):
        assert table in page
    assert "<svg class='timeline'" in page and "<svg class='rows-per-second'" in page
    assert "http" not in page and not re.search(r"\b(src|href)\s*=", page)  # renders offline

    with pg_connect(pg_db) as conn:
        for table in ("big", "small"):
            for a, b in (("src", "dst"), ("dst", "src")):
                assert fetch(conn, f"SELECT count(*) FROM (TABLE {a}.{table} EXCEPT ALL "
                                   f"TABLE {b}.{table}) x") == [(0,)]
        assert fetch(conn, "SELECT count(*) FROM dst.big") == [(300000,)]
