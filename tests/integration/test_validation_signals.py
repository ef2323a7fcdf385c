"""Validation signals a user can trust (issue 9, items 1-2): a correct copy into
PostgreSQL of tables with mixed-case names (``Customer``, ``OrderLine``, a column ``Name``)
and array columns validates with no false alarm, great-expectations included; a value
changed on the target IS reported; and for a clean run, a run with a failed table and a
validation mismatch, the exit code, the console's last line and the JSON report's status
say the same thing."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task

VALIDATE = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
            "ValidationSettings": {"EnableValidation": True}}

SQLITE_SCHEMA = """
CREATE TABLE "Customer" ("CustomerId" INTEGER PRIMARY KEY, "Name" VARCHAR(40) NOT NULL,
                         "Email" TEXT, "Since" DATE);
CREATE TABLE "OrderLine" ("OrderLineId" INTEGER PRIMARY KEY,
                          "CustomerId" INTEGER NOT NULL REFERENCES "Customer" ("CustomerId"),
                          "UnitPrice" NUMERIC(10,2), "Quantity" INTEGER NOT NULL);
CREATE TABLE "Bad" ("Id" INTEGER PRIMARY KEY, "Short" VARCHAR(3));
"""
CUSTOMERS = [(1, "Zoë", "z@example.com", "2024-02-29"), (2, "李雷", None, None),
             (3, "O'Brien", "", "1999-12-31"), (4, "trailing  ", "x", "0999-06-15")]
LINES = [(10, 1, "12.50", 3), (11, 1, "0.99", 1), (12, 3, None, 7), (13, 4, "-0.01", 0)]
BAD = [(1, "toolong")]  # does not fit VARCHAR(3): with SUSPEND_TABLE the table's load stops


def sqlite_source(path: Path) -> dict:
    with sqlite3.connect(path) as conn:
        conn.executescript(SQLITE_SCHEMA)
        conn.executemany('INSERT INTO "Customer" VALUES (?,?,?,?)', CUSTOMERS)
        conn.executemany('INSERT INTO "OrderLine" VALUES (?,?,?,?)', LINES)
        conn.executemany('INSERT INTO "Bad" VALUES (?,?)', BAD)
    return {"engine": "sqlite", "path": str(path)}


def run(command: str, task: Path, tmp_path: Path, capsys) -> tuple[int, dict, str]:
    report = tmp_path / f"{command}-{task.stem}.json"
    capsys.readouterr()
    code = sparkdms([command, str(task), "--report", str(report)])
    out = capsys.readouterr().out
    return code, json.loads(report.read_text()), out


def assert_one_verdict(code: int, report: dict, out: str, status: str) -> None:
    """Exit code, console's last line and report agree, and say ``status``."""
    last = [line for line in out.splitlines() if line.strip()][-1]
    assert last.startswith(f"Task {report['task']}: {status} - "), out
    assert report["status"] == report["verdict"]["status"] == status, report["verdict"]
    assert report["verdict"]["summary"] == last
    assert code == report["verdict"]["exit_code"] == (0 if status == "succeeded" else 1), out


def by_name(report: dict) -> dict[str, dict]:
    return {t["TableName"]: t for t in report["tables"]}


def test_mixed_case_names_validate_and_a_changed_value_is_found(pg_db, spark, tmp_path, capsys):
    source = sqlite_source(tmp_path / "shop.db")
    rules = [selection("main", "Customer"), selection("main", "OrderLine", rule_id="2")]
    task = write_task(tmp_path, source, pg_db, rules, VALIDATE, name="shop")
    code, report, out = run("run", task, tmp_path, capsys)
    assert_one_verdict(code, report, out, "succeeded")  # (a) a clean run
    tables = by_name(report)
    for name in ("Customer", "OrderLine"):
        t = tables[name]
        assert t["ValidationState"] == "Validated" and t["ValidationFailedRecords"] == 0, t
        gx = t["ValidationExpectations"]
        assert gx["state"] == "Met" and not gx["failed"] and not gx["errors"], gx
        assert gx["ran_on"] == "target database (SQL)"
    with pg_connect(pg_db) as conn:
        target = fetch(conn, 'SELECT "CustomerId", "Name", "Email", "Since"::text '
                             'FROM public."Customer"')
        lines = fetch(conn, 'SELECT "OrderLineId", "CustomerId", "UnitPrice", "Quantity" '
                            'FROM public."OrderLine"')
    assert_same_rows(normalise(CUSTOMERS), normalise(target))
    expected = [(i, c, None if p is None else Decimal(p), q) for i, c, p, q in LINES]
    assert_same_rows(normalise(expected), normalise(lines))

    with pg_connect(pg_db) as conn:  # (c) a value changed on the target is reported
        conn.execute('UPDATE public."Customer" SET "Name" = %s WHERE "CustomerId" = 2', ("李磊",))
    code, report, out = run("validate", task, tmp_path, capsys)
    assert_one_verdict(code, report, out, "failed")
    tables = by_name(report)
    t = tables["Customer"]
    assert t["ValidationState"] == "Mismatched records" and t["ValidationFailedRecords"] == 1, t
    assert t["ValidationFailures"] == [{"FAILURE_TYPE": "RECORD_DIFF", "KEY": {"CustomerId": "2"},
                                        "DETAILS": {"Name": {"source": "李雷", "target": "李磊"}}}]
    assert tables["OrderLine"]["ValidationState"] == "Validated"
    assert report["verdict"]["tables"] == {"mismatched": 1, "validated": 1}
    assert [p["table"] for p in report["verdict"]["problems"]] == ["main.Customer"]


def test_mixed_case_names_validate_on_mariadb(my_db, spark, tmp_path, capsys):
    source = sqlite_source(tmp_path / "shop.db")
    rules = [selection("main", "Customer"), selection("main", "OrderLine", rule_id="2")]
    task = write_task(tmp_path, source, my_db, rules, VALIDATE, name="shopmy")
    code, report, out = run("run", task, tmp_path, capsys)
    assert_one_verdict(code, report, out, "succeeded")
    for t in report["tables"]:
        assert t["ValidationState"] == "Validated" and t["ValidationFailedRecords"] == 0, t
        gx = t["ValidationExpectations"]
        assert gx["state"] == "Met" and gx["ran_on"] == "target database (SQL)", gx
    with my_connect(my_db) as conn:
        target = fetch(conn, "SELECT CustomerId, Name, Email, CAST(Since AS CHAR) FROM Customer")
    assert_same_rows(normalise(CUSTOMERS), normalise(target))


def test_a_failed_table_fails_the_run_in_every_signal(pg_db, spark, tmp_path, capsys):
    source = sqlite_source(tmp_path / "shop.db")
    rules = [selection("main", "Customer"), selection("main", "Bad", rule_id="2")]
    settings = {**VALIDATE, "ErrorBehavior": {"DataTruncationErrorPolicy": "SUSPEND_TABLE"}}
    task = write_task(tmp_path, source, pg_db, rules, settings, name="withbad")
    code, report, out = run("run", task, tmp_path, capsys)
    assert_one_verdict(code, report, out, "failed")  # (b) one failed table
    tables = by_name(report)
    assert tables["Bad"]["TableState"] == "Table error", out
    assert tables["Customer"]["ValidationState"] == "Validated", out
    assert report["verdict"]["tables"] == {"validated": 1, "load failed": 1}
    problem = report["verdict"]["problems"][0]
    assert problem["table"] == "main.Bad" and problem["severity"] == "error"
    assert f"ERROR main.Bad: load failed: {tables['Bad']['Error']}" in out


PG_ARRAYS = """
CREATE TABLE public."Tagged" (id integer PRIMARY KEY, tags text[] NOT NULL, nums integer[],
                              grid numeric(5,2)[], label varchar(10)[], "Name" text);
INSERT INTO public."Tagged" VALUES
 (1, '{a,"b c",NULL}', '{1,2,3}', '{{1.50,2},{3,4}}', '{x}', 'one'),
 (2, '{}', NULL, NULL, '{}', NULL),
 (3, '{"Zoë ✓"}', '{-1}', '{0.01}', NULL, 'Drei');
"""
ARRAY_ROWS = 'SELECT id, tags, nums, grid::text, label, "Name" FROM public."Tagged"'


def array_rows(conn) -> list[tuple]:
    return [tuple(tuple(v) if isinstance(v, list) else v for v in row)
            for row in fetch(conn, ARRAY_ROWS)]


def test_postgres_arrays_validate_with_their_real_types(pg_db, spark, tmp_path, capsys):
    with pg_connect(pg_db) as conn:
        conn.execute(PG_ARRAYS)
        source = array_rows(conn)
    back = {**pg_db, "database": f"{pg_db['database']}_arrays"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{back["database"]}"')
    task = write_task(tmp_path, pg_db, back, [selection("public")], VALIDATE, name="arrays")
    code, report, out = run("run", task, tmp_path, capsys)
    assert_one_verdict(code, report, out, "succeeded")
    t = report["tables"][0]
    assert t["ValidationState"] == "Validated" and t["ValidationFailedRecords"] == 0, t
    gx = t["ValidationExpectations"]
    assert gx["state"] == "Met" and gx["evaluated"] + len(gx["enforced"]) >= 9, gx  # the text[]
    # type check included; the primary key's checks are enforced by the target
    with pg_connect(back) as conn:
        assert_same_rows(normalise(source), normalise(array_rows(conn)))
