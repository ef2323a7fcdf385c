"""A task whose tables are all direct copies, on a plain local master, runs them in Python
worker processes and never starts Spark (sparkdms/localrun.py); a table that needs Spark
starts it. A worker killed mid-partition fails the table with nothing of that load
visible: the target keeps its previous rows exactly, and the next run loads every row once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.integration.conftest import pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task
from tests.integration.test_quiet import NOISE

ROOT = Path(__file__).resolve().parents[2]
DDL = ("CREATE TABLE public.items (id bigint PRIMARY KEY, name varchar(40), amount numeric(12,2), "
       "note text, at timestamp(6), data bytea)")
FILL = ("INSERT INTO public.items SELECT g, 'item ' || g, g / 100.0, repeat(md5(g::text), %s::int), "
        "timestamp '2024-01-01' + g * interval '1 second', decode(md5(g::text), 'hex') "
        "FROM generate_series(%s::bigint, %s::bigint) g")


def seed(src: dict, rows: int, width: int = 1) -> None:
    with pg_connect(src) as conn:
        conn.execute(DDL)
        conn.execute(FILL, (width, 1, rows))
        conn.execute("INSERT INTO public.items VALUES (0, NULL, NULL, 'Zoë ✓\t\\ 🚀', NULL, '')")
        conn.commit()


def task_file(folder: Path, src: dict, dst: dict, rules: list[dict] | None = None) -> Path:
    return write_task(folder, src, dst, rules or [selection("public", "items")],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE",
                                            "MaxFullLoadSubTasks": 4}})


def start(task: Path, report: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sparkdms.cli", "run", str(task), "--master",
                             "local[2]", "--report", str(report)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def rows_of(endpoint: dict) -> list[tuple]:
    with pg_connect(endpoint) as conn:
        return fetch(conn, "SELECT * FROM public.items")


def test_all_direct_copies_never_start_spark(pg_db, pg_dst, tmp_path):
    seed(pg_db, 20_000)
    proc = start(task_file(tmp_path, pg_db, pg_dst), tmp_path / "r.json")
    out = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, out
    assert "Every table is a direct copy" in out
    assert "Starting Spark" not in out and "Spark UI" not in out
    assert not [line for line in out.splitlines() if NOISE.search(line)], out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["run"]["spark_started"] is False
    assert "direct copy" in report["tables"][0]["PartitionMethod"]
    assert_same_rows(normalise(rows_of(pg_db)), normalise(rows_of(pg_dst)))


def test_validation_in_sql_needs_no_spark_either(pg_db, pg_dst, tmp_path):
    """EnableValidation between two SQL databases: checksums and great-expectations run in
    them, so the run still starts no JVM; a changed row is then found by ``validate``."""
    seed(pg_db, 5_000)
    task = write_task(tmp_path, pg_db, pg_dst, [selection("public", "items")],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "ValidationSettings": {"EnableValidation": True}})
    proc = start(task, tmp_path / "r.json")
    out = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, out
    assert "Every table is a direct copy" in out and "Starting Spark" not in out, out
    report = json.loads((tmp_path / "r.json").read_text())
    stats = report["tables"][0]
    assert report["run"]["spark_started"] is False
    assert stats["ValidationState"] == "Validated" and stats["ValidationTargetRows"] == 5_001
    assert stats["ValidationExpectations"]["state"] == "Met", stats
    with pg_connect(pg_dst) as conn:
        conn.execute("UPDATE public.items SET note = note || '.' WHERE id = 77")
        conn.commit()
    check = subprocess.run([sys.executable, "-m", "sparkdms.cli", "validate", str(task),
                            "--report", str(tmp_path / "v.json")], cwd=ROOT, text=True,
                           capture_output=True, timeout=600)
    assert check.returncode == 1, check.stdout
    failed = json.loads((tmp_path / "v.json").read_text())["tables"][0]["ValidationFailures"]
    assert [(f["FAILURE_TYPE"], f["KEY"]) for f in failed] == [("RECORD_DIFF", {"id": "77"})]


def test_a_table_that_needs_spark_starts_it(pg_db, pg_dst, tmp_path):
    seed(pg_db, 1_000)
    upper = {"rule-type": "transformation", "rule-id": "2", "rule-name": "2",
             "rule-target": "column", "rule-action": "add-column", "value": "shout",
             "expression": "upper($name)", "data-type": {"type": "string", "length": 40},
             "object-locator": {"schema-name": "public", "table-name": "items"}}
    task = task_file(tmp_path, pg_db, pg_dst, [selection("public", "items"), upper])
    proc = start(task, tmp_path / "r.json")
    out = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, out
    assert "Every table is a direct copy" not in out and "Starting Spark" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["run"].get("spark_started", True) and report["run"]["spark_version"]
    with pg_connect(pg_dst) as conn:
        assert fetch(conn, "SELECT count(*) FROM public.items WHERE shout = upper(name)") == \
            [(1_000,)]


def _workers(root: int) -> list[int]:
    """The run's worker processes (multiprocessing's spawned children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == root and b"spawn_main" in cmd:
            found.append(int(entry.name))
    return found


def _kill_a_streaming_worker(src: dict, root: int, done: threading.Event,
                             killed: list[int]) -> None:
    with pg_connect(src, autocommit=True) as conn:
        while not done.is_set() and not killed:
            busy = fetch(conn, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                               "'COPY (SELECT%%' AND now() - query_start > interval '100 ms'")
            workers = _workers(root)
            if busy[0][0] and workers:
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])
            time.sleep(0.02)


def test_a_worker_killed_mid_partition_leaves_the_previous_table(pg_db, pg_dst, tmp_path):
    seed(pg_db, 150_000, width=20)
    task = task_file(tmp_path, pg_db, pg_dst)
    first = start(task, tmp_path / "first.json")
    assert first.wait(timeout=600) == 0
    before = rows_of(pg_dst)
    with pg_connect(pg_db) as conn:  # the source changes; the next load is cut
        conn.execute(FILL, (20, 150_001, 160_000))
        conn.execute("UPDATE public.items SET name = 'changed' WHERE id % 3 = 0")
        conn.commit()
    proc = start(task, tmp_path / "cut.json")
    done, killed = threading.Event(), []
    killer = threading.Thread(target=_kill_a_streaming_worker,
                              args=(pg_db, proc.pid, done, killed))
    killer.start()
    try:
        out = proc.communicate(timeout=600)[0]
    finally:
        done.set()
        killer.join()
    assert killed, "no worker was seen streaming: nothing was cut"
    assert proc.returncode != 0, out
    assert "FAILED" in out
    assert_same_rows(normalise(before), normalise(rows_of(pg_dst)))  # the old table, exactly
    again = start(task, tmp_path / "again.json")
    out = again.communicate(timeout=600)[0]
    assert again.returncode == 0, out
    assert_same_rows(normalise(rows_of(pg_db)), normalise(rows_of(pg_dst)))


@pytest.mark.parametrize("direct", [True, False], ids=["direct-copy", "dataframe"])
def test_text_keeps_its_characters_between_databases_of_other_encodings(pg_db, tmp_path,
                                                                         direct):
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.items (id int PRIMARY KEY, name varchar(20), note text)")
        conn.execute("INSERT INTO public.items VALUES (1, 'Zoë café', 'naïve ß'), "
                     "(2, '¡olé!', NULL), (3, NULL, 'ÿ\\')")
        conn.commit()
    latin1 = {**pg_db, "database": pg_db["database"] + "_latin1"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{latin1["database"]}" ENCODING \'LATIN1\' '
                     "LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    task = write_task(tmp_path, pg_db, latin1, [selection("public", "items")],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "Sparkdms": {"DirectCopy": direct}})
    proc = start(task, tmp_path / "r.json")
    out = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, out
    method = json.loads((tmp_path / "r.json").read_text())["tables"][0]["PartitionMethod"]
    assert ("direct copy" in method) is direct
    assert_same_rows(normalise(rows_of(pg_db)), normalise(rows_of(latin1)))
