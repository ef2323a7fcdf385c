"""Rows the target refuses (ErrorBehavior.DataErrorPolicy, DataTruncationErrorPolicy,
DataErrorEscalationPolicy/Count) against the real servers: under LOG_ERROR the good rows
arrive exactly and each bad row is in ``awsdms_apply_exceptions`` and the reject file with
its key, column and reason, counted in the report; a stopping policy or the escalation
count fails the table and leaves the target as it was; a retried task attempt records its
rejected rows once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import (
    FAULT_ONCE_SQL,
    assert_same_rows,
    fetch,
    normalise,
    run_with_task_retries,
    selection,
    write_task,
)

ROWS = 3000
LONG = {7, 500, 1999, 2500}  # codes over varchar(8): truncation, refused on every target
NAN = 1200  # ratio NaN: MySQL/MariaDB cannot store it; PostgreSQL can

SOURCE_SQL = [
    "CREATE TABLE public.items (id int PRIMARY KEY, code text, ratio double precision, "
    "note text)",
    f"INSERT INTO public.items SELECT i, CASE WHEN i IN ({', '.join(map(str, LONG))}) "
    "THEN 'code-too-long-' || i ELSE 'c' || i END, CASE WHEN i = "
    f"{NAN} THEN 'NaN'::float8 ELSE i * 0.25 END, CASE WHEN i % 97 = 0 THEN NULL "
    f"ELSE 'n' || i || ' é€😀' END FROM generate_series(1, {ROWS}) i",
]
OVERRIDE = {"public.items.code": "varchar(8)"}


def seed(pg_db: dict, extra: list[str] = ()) -> None:
    with pg_connect(pg_db) as conn:
        for sql in [*SOURCE_SQL, *extra]:
            conn.execute(sql)


def bad_ids(target: dict) -> set[int]:
    return LONG | ({NAN} if target["engine"] != "postgres" else set())


def source_rows(pg_db: dict, where: str = "TRUE") -> list[tuple]:
    with pg_connect(pg_db) as conn:
        return fetch(conn, f"SELECT id, code, ratio::text, note FROM public.items WHERE {where}")


def target_rows(target: dict) -> list[tuple]:
    if target["engine"] == "postgres":
        with pg_connect(target) as conn:
            return fetch(conn, "SELECT id, code, ratio::text, note FROM public.items")
    with my_connect(target) as conn:  # x * 0.25: the same text on both engines
        return [(i, c, None if r is None else f"{r:g}", n) for i, c, r, n in
                fetch(conn, "SELECT id, code, ratio, note FROM items")]


def exceptions(target: dict) -> list[tuple]:
    cols = '"KEY", "COLUMN_NAME", "ERROR", "TABLE_NAME", "TASK_NAME", "STATEMENT", "VALUE"'
    if target["engine"] == "postgres":
        with pg_connect(target) as conn:
            return fetch(conn, f"SELECT {cols} FROM public.awsdms_apply_exceptions")
    with my_connect(target) as conn:
        return fetch(conn, f"SELECT {cols.replace(chr(34), '`')} FROM awsdms_apply_exceptions")


def settings(**error_behavior: object) -> dict:
    return {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE",
                                 "CommitRate": 500},
            "ErrorBehavior": error_behavior}


def run(tmp_path: Path, pg_db: dict, target: dict, behavior: dict,
        source: str = "items") -> tuple[int, dict, list[dict], str]:
    task = write_task(tmp_path, pg_db, target, [selection("public", source)],
                      settings(**behavior), type_overrides=OVERRIDE)
    report = tmp_path / "run.json"
    code = sparkdms(["run", str(task), "--report", str(report)])
    file = tmp_path / "run.rejects.jsonl"
    lines = [json.loads(x) for x in file.read_text().splitlines()] if file.exists() else []
    return code, json.loads(report.read_text()), lines, str(file)

pytestmark = pytest.mark.usefixtures("every_driver")


def test_log_error_loads_the_good_rows_and_routes_the_bad_ones(pg_db, target, tmp_path,
                                                               capsys):
    seed(pg_db)
    code, report, lines, file = run(tmp_path, pg_db, target, {})
    out = capsys.readouterr().out
    bad = bad_ids(target)
    assert code == 0, out[-3000:]
    stats = report["tables"][0]
    assert stats["FullLoadRows"] == ROWS - len(bad)
    assert stats["FullLoadErrorRows"] == len(bad) == stats["RejectedRows"]
    # the good rows, exactly, both ways (NULLs and unicode included)
    keep = f"id NOT IN ({', '.join(map(str, bad))})"
    assert_same_rows(normalise(source_rows(pg_db, keep)), normalise(target_rows(target)))
    # each bad row once in the exceptions table and the file, with key, column and reason
    got = {json.loads(k)["id"]: (c, e, t, task, st, v)
           for k, c, e, t, task, st, v in exceptions(target)}
    assert set(got) == bad and len(exceptions(target)) == len(bad)
    for i in LONG:
        column, error, table, task, statement, value = got[i]
        assert (column, table, task, value) == ("code", "items", "itest", f"code-too-long-{i}")
        assert "8 characters" in error and f"'code-too-long-{i}'" in statement
    if NAN in bad:
        assert got[NAN][0] == "ratio" and "NaN" in got[NAN][1]
    assert sorted(r["key"]["id"] for r in lines) == sorted(bad)
    assert {r["kind"] for r in lines if r["key"]["id"] in LONG} == {"truncation"}
    assert all(r["row"]["id"] == r["key"]["id"] and r["reason"] for r in lines)
    assert "sparkdms_pw" not in Path(file).read_text()  # never a password
    assert f"{len(bad)} row(s) refused by the target" in out and file in out
    assert "awsdms_apply_exceptions" in out


@pytest.mark.parametrize(("behavior", "words", "stop"), [
    ({"DataErrorEscalationCount": 2}, ["more than ErrorBehavior.DataErrorEscalationCount 2",
                                       "DataErrorEscalationPolicy SUSPEND_TABLE"], False),
    ({"DataErrorEscalationCount": 3, "DataErrorEscalationPolicy": "STOP_TASK"},
     ["more than ErrorBehavior.DataErrorEscalationCount 3"], True),
    ({"DataTruncationErrorPolicy": "STOP_TASK"},
     ["ErrorBehavior.DataTruncationErrorPolicy STOP_TASK", "column code"], True),
])
def test_a_stopping_policy_fails_the_table_and_leaves_the_target_as_it_was(
        pg_db, my_db, tmp_path, behavior, words, stop):
    seed(pg_db, ["CREATE TABLE public.later (id int PRIMARY KEY)",
                 "INSERT INTO public.later VALUES (1)"])
    with my_connect(my_db) as conn, conn.cursor() as cur:  # what the target held before
        cur.execute("CREATE TABLE items (id int PRIMARY KEY, code varchar(8), ratio double, "
                    "note text)")
        cur.execute("INSERT INTO items VALUES (1, 'before', 0.5, NULL), (2, 'x', 1, 'y')")
        conn.commit()
    before = target_rows(my_db)
    task = write_task(tmp_path, pg_db, my_db, [selection("public", "items"),
                                               selection("public", "later", rule_id="2")],
                      {**settings(**behavior), "FullLoadSettings": {
                          "TargetTablePrepMode": "DROP_AND_CREATE", "MaxFullLoadSubTasks": 1}},
                      type_overrides=OVERRIDE)
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 1
    tables = {t["TableName"]: t for t in json.loads((tmp_path / "r.json").read_text())["tables"]}
    error = tables["items"]["Error"]
    assert "\n" not in error and all(w in error for w in words), error
    assert tables["items"]["FullLoadErrorRows"] > 0
    assert target_rows(my_db) == before  # nothing of the table was committed
    assert ("not started" in (tables["later"]["Error"] or "")) == stop


def test_a_row_the_target_alone_refuses_is_found_by_the_per_row_retry(pg_db, target, tmp_path):
    """No check knows the target's CHECK constraint: the refused batch is retried in halves
    down to the row, inside the partition's transaction."""
    seed(pg_db, ["UPDATE public.items SET ratio = -ratio WHERE id IN (42, 2042)"])
    check = "CREATE TABLE {t} (id int PRIMARY KEY, code varchar(8), ratio {f} CHECK " \
            "(ratio >= 0), note text)"
    if target["engine"] == "postgres":
        with pg_connect(target) as conn:
            conn.execute(check.format(t="public.items", f="double precision"))
    else:
        with my_connect(target) as conn, conn.cursor() as cur:
            cur.execute(check.format(t="items", f="double"))
            conn.commit()
    task = write_task(tmp_path, pg_db, target, [selection("public", "items")],
                      {"FullLoadSettings": {"TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD",
                                            "CommitRate": 1000}}, type_overrides=OVERRIDE)
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    bad = bad_ids(target) | {42, 2042}
    keep = f"id NOT IN ({', '.join(map(str, bad))})"
    assert_same_rows(normalise(source_rows(pg_db, keep)), normalise(target_rows(target)))
    got = {json.loads(k)["id"]: e for k, _, e, *_ in exceptions(target)}
    assert set(got) == bad
    assert all("check" in got[i].lower() or "constraint" in got[i].lower()
               for i in (42, 2042)), got


def test_mariadb_to_postgres_rejects_what_postgresql_cannot_hold(pg_db, my_db, tmp_path):
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE notes (id int PRIMARY KEY, body text, tag varchar(20))")
        cur.executemany("INSERT INTO notes VALUES (%s, %s, %s)",
                        [(i, f"body {i} ü" if i not in (5, 77) else f"nul\x00{i}",
                          "t" * (12 if i == 300 else 3)) for i in range(1, 501)])
        conn.commit()
    task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"], "notes")],
                      settings(), type_overrides={f"{my_db['database']}.notes.tag": "varchar(10)"})
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    with my_connect(my_db) as conn:
        source = fetch(conn, "SELECT id, body, tag FROM notes WHERE id NOT IN (5, 77, 300)")
    with pg_connect(pg_db) as conn:
        target = fetch(conn, "SELECT id, body, tag FROM public.notes")
        rejected = fetch(conn, 'SELECT "KEY", "COLUMN_NAME", "ERROR", "VALUE" FROM '
                         "public.awsdms_apply_exceptions")
    assert_same_rows(normalise(source), normalise(target))
    got = {json.loads(k)["id"]: (c, e, v) for k, c, e, v in rejected}
    assert set(got) == {5, 77, 300}
    assert got[5][0] == "body" and "NUL" in got[5][1]
    assert got[5][2] == "nul\\x005" and got[300][:1] == ("tag",)
    stats = json.loads((tmp_path / "r.json").read_text())["tables"][0]
    assert stats["FullLoadErrorRows"] == 3 and stats["FullLoadRows"] == 497


FAULT_SQL = [  # as tests/integration/test_faults.py: the JDBC read fails once, near the end
    *FAULT_ONCE_SQL,
    "CREATE VIEW public.src AS SELECT * FROM public.items WHERE public.fault_at(id, 2990)",
]


def test_a_retried_attempt_records_its_rejected_rows_once(pg_db, my_db, tmp_path):
    seed(pg_db, FAULT_SQL)
    rule = selection("public", "src")
    rule["object-locator"]["table-type"] = "view"
    own = {"RowsPerPartition": ROWS, "FetchSize": 500}  # one partition: the fault hits it
    task = write_task(tmp_path, pg_db, my_db, [rule],
                      {**settings(), "Sparkdms": own},
                      type_overrides={"public.src.code": "varchar(8)"})
    report = tmp_path / "r.json"
    run_with_task_retries(task, report)
    with pg_connect(pg_db) as conn:  # the fault fired once: the attempt was retried
        assert fetch(conn, "SELECT last_value FROM public.fault_once") == [(2,)]
    bad = bad_ids(my_db)
    with my_connect(my_db) as conn:
        keys = [json.loads(k)["id"] for (k,) in fetch(
            conn, "SELECT `KEY` FROM awsdms_apply_exceptions WHERE TABLE_NAME = 'src'")]
        loaded = fetch(conn, "SELECT COUNT(*), COUNT(DISTINCT id) FROM src")
    assert sorted(keys) == sorted(bad)  # each once, though two attempts met them
    assert loaded == [(ROWS - len(bad), ROWS - len(bad))]
    stats = json.loads(report.read_text())["tables"][0]
    assert stats["FullLoadErrorRows"] == len(bad)
    lines = (tmp_path / "r.rejects.jsonl").read_text().splitlines()
    assert sorted(json.loads(x)["key"]["id"] for x in lines) == sorted(bad)


GAUGE_SQL = [  # NULLs, unicode, decimals, timestamps, binary; two rows the target refuses
    "CREATE TABLE public.gauges (id int PRIMARY KEY, v numeric(12,3), label text, "
    "at timestamptz, raw bytea)",
    "INSERT INTO public.gauges SELECT i, CASE WHEN i IN (17, 1503) THEN -i * 1.125 "
    "WHEN i % 89 = 0 THEN NULL ELSE i * 1.125 END, CASE WHEN i % 97 = 0 THEN NULL "
    "ELSE 'g' || i || ' ü€😀' END, timestamptz '2024-02-29 23:59:59.123456+00' "
    "+ i * interval '1 minute', CASE WHEN i % 7 = 0 THEN NULL ELSE "
    "decode(md5(i::text), 'hex') END FROM generate_series(1, 2000) i",
]
GAUGE_COLS = "id, v::text, label, at::text, encode(raw, 'hex')"


@pytest.fixture
def target_pg(pg_db: dict):
    """A second PostgreSQL database beside ``pg_db`` (as the ``target`` fixture's)."""
    dst = {**pg_db, "database": pg_db["database"] + "_dst"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dst["database"]}"')
    yield dst


def gauges(db: dict, where: str = "TRUE") -> list[tuple]:
    with pg_connect(db) as conn:
        return fetch(conn, f"SELECT {GAUGE_COLS} FROM public.gauges WHERE {where}")


def gauge_task(tmp_path: Path, pg_db: dict, target: dict, behavior: dict) -> Path:
    with pg_connect(pg_db) as conn:
        for sql in GAUGE_SQL:
            conn.execute(sql)
    with pg_connect(target) as conn:  # the CHECK exists only on the target
        conn.execute("CREATE TABLE public.gauges (id int PRIMARY KEY, v numeric(12,3) "
                     "CHECK (v >= 0), label text, at timestamptz, raw bytea)")
        conn.execute("INSERT INTO public.gauges VALUES (1, 5, 'before', now(), NULL), "
                     "(99999, 0, NULL, NULL, '\\x00ff')")
    return write_task(tmp_path, pg_db, target, [selection("public", "gauges")],
                      {"FullLoadSettings": {"TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD"},
                       "Sparkdms": {"RowsPerPartition": 500},  # partitions commit, then one fails
                       "ErrorBehavior": behavior})


def staging_left(db: dict) -> list[tuple]:
    with pg_connect(db) as conn:
        return fetch(conn, "SELECT tablename FROM pg_tables WHERE strpos(tablename, %s) > 0",
                     ("__sdms_",))


def test_a_direct_copy_refused_row_is_redone_through_spark_with_rejects(pg_db, tmp_path,
                                                                        target_pg, capsys):
    task = gauge_task(tmp_path, pg_db, target_pg, {"DataErrorPolicy": "LOG_ERROR"})
    report = tmp_path / "r.json"
    assert sparkdms(["run", str(task), "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert_same_rows(normalise(gauges(pg_db, "id NOT IN (17, 1503)")),
                     normalise(gauges(target_pg)))
    got = {json.loads(k)["id"]: e for k, _, e, *_ in exceptions(target_pg)}
    assert set(got) == {17, 1503} and all("gauges_v_check" in e for e in got.values()), got
    lines = [json.loads(x) for x in (tmp_path / "r.rejects.jsonl").read_text().splitlines()]
    assert sorted(r["key"]["id"] for r in lines) == [17, 1503]
    assert {r["row"]["v"] for r in lines} == {"-19.125", "-1690.875"}
    stats = json.loads(report.read_text())["tables"][0]
    note = next(n for n in stats["Notes"] if "direct copy refused a row" in n)
    assert "gauges_v_check" in note and "\n" not in note
    assert note.endswith("loaded through Spark with row-level rejects instead")
    assert "direct copy refused a row" in out
    assert stats["FullLoadRows"] == 1998 and stats["FullLoadErrorRows"] == 2
    assert "(direct copy)" not in stats["PartitionMethod"]
    assert staging_left(target_pg) == []


def test_a_direct_copy_refused_row_under_stop_task_fails_the_table(pg_db, tmp_path,
                                                                   target_pg):
    task = gauge_task(tmp_path, pg_db, target_pg, {"DataErrorPolicy": "STOP_TASK"})
    before = gauges(target_pg)
    report = tmp_path / "r.json"
    assert sparkdms(["run", str(task), "--report", str(report)]) == 1
    stats = json.loads(report.read_text())["tables"][0]
    assert "ErrorBehavior.DataErrorPolicy STOP_TASK" in stats["Error"]
    assert "gauges_v_check" in stats["Error"] and "\n" not in stats["Error"]
    assert gauges(target_pg) == before  # nothing of the table was committed
    assert not has_exceptions(target_pg) or exceptions(target_pg) == []
    assert staging_left(target_pg) == []


def has_exceptions(db: dict) -> bool:
    with pg_connect(db) as conn:
        return bool(fetch(conn, "SELECT to_regclass('public.awsdms_apply_exceptions') "
                                "IS NOT NULL")[0][0])
