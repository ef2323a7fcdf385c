"""Fault injection: a source read that fails part-way through a partition, with Spark task
retries on, must neither lose nor double a row; a second run of a task whose table is being
loaded is refused and changes nothing.

The read fault is deterministic: the source is a view whose row filter raises at one row,
once, and only inside the JDBC read (application_name of the JDBC driver), so discovery,
counting and planning see a healthy source. The writer has then already received (and, in
the Python worker, finished) part of the partition when the JVM side fails.
"""

from __future__ import annotations

import json
import subprocess
import sys

from sparkdms.app import prepare
from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import fetch, selection, write_task

ROWS = 20_000
FAULT_AT = 19_990  # near the end of the one partition: whole Arrow batches went ahead

SOURCE_SQL = [
    "CREATE TABLE public.base (id int PRIMARY KEY, v text, amount numeric(18,6))",
    f"INSERT INTO public.base SELECT i, 'row ' || i || ' é', i * 1.000001 "
    f"FROM generate_series(1, {ROWS}) i",
    "CREATE SEQUENCE public.fault_once",
    """CREATE FUNCTION public.fault_at(i int, k int) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF i = k AND current_setting('application_name') LIKE 'PostgreSQL JDBC%'
     AND nextval('public.fault_once') = 1 THEN
    RAISE EXCEPTION 'injected fault at row %', i;
  END IF;
  RETURN true;
END $$""",
    f"CREATE VIEW public.src AS SELECT * FROM public.base WHERE public.fault_at(id, {FAULT_AT})",
]


def seed(pg_db: dict) -> None:
    with pg_connect(pg_db) as conn:
        for sql in SOURCE_SQL:
            conn.execute(sql)


def fingerprint(rows: list[tuple]) -> tuple[int, int, set[int]]:
    """(rows, distinct ids, ids missing from 1..ROWS)."""
    ids = [int(r[0]) for r in rows]
    return len(ids), len(set(ids)), set(range(1, ROWS + 1)) - set(ids)


def target_rows(endpoint: dict) -> list[tuple]:
    if endpoint["engine"] == "postgres":
        with pg_connect(endpoint) as conn:
            return fetch(conn, "SELECT id, v, amount::text FROM public.src")
    with my_connect(endpoint) as conn:
        return fetch(conn, "SELECT id, v, CAST(amount AS CHAR) FROM src")


def test_a_source_read_failing_mid_partition_is_retried_whole(pg_db, target, tmp_path):
    seed(pg_db)
    own = {"RowsPerPartition": ROWS, "FetchSize": 1000}  # one partition of every row
    if target["engine"] == "postgres":
        own["DirectCopy"] = False  # the DataFrame path, where the loss was seen
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"}, "Sparkdms": own}
    rule = selection("public", "src")
    rule["object-locator"]["table-type"] = "view"
    task = write_task(tmp_path, pg_db, target, [rule], settings)
    report = tmp_path / "r.json"
    # its own process: task retries need the master local[2,3] (3 attempts per task)
    done = subprocess.run([sys.executable, "-m", "sparkdms.cli", "run", str(task), "--master",
                           "local[2,3]", "--report", str(report)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with pg_connect(pg_db) as conn:  # the fault fired once, and the retried read passed it
        assert fetch(conn, "SELECT last_value FROM public.fault_once") == [(2,)]
        source = fetch(conn, "SELECT id, v, amount::text FROM public.base")
    got = target_rows(target)
    stats = json.loads(report.read_text())["tables"][0]
    assert fingerprint(got)[:2] == (ROWS, ROWS), (stats, done.stdout[-3000:])
    assert fingerprint(got)[2] == set()
    assert sorted(got) == sorted(source)  # every value too, both ways
    assert stats["FullLoadRows"] == ROWS and stats["TableState"] == "Table completed"
    # the failed attempt had committed part of its partition (what the retry used to skip
    # as "done"): the retry replaced those rows
    assert 0 < stats["RowsOfFailedAttemptsReplaced"] < ROWS


def test_a_second_run_while_the_table_is_loading_is_refused(pg_db, my_db, tmp_path, capsys):
    seed(pg_db)
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE base (id int PRIMARY KEY, v text, amount decimal(18,6))")
        cur.execute("INSERT INTO base VALUES (1, 'before', 1.5)")
        conn.commit()
    task = write_task(tmp_path, pg_db, my_db, [selection("public", "base")])
    held = prepare(task)  # the first run, between prepare and commit: it holds the table
    plan, settings = held.plan.tables[0], held.task.settings
    held.target.prepare_task(held.plan.tables, settings)
    held.target.prepare(plan, settings, "firstrun")
    try:
        assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 1
        out = capsys.readouterr().out
        assert "another sparkdms run is loading it now" in out
        with my_connect(my_db) as conn:  # the running load's table is untouched
            assert fetch(conn, "SELECT id, v FROM base") == [(1, "before")]
            stage = held.target.stage_name(plan.target_name, "firstrun")
            assert held.target.table_exists(plan.target_schema, stage)
    finally:
        held.target.abort(plan, settings, "firstrun")
