"""Odd identifiers (issue 10, item 7): columns named with a backtick, a dot, a space, a double
quote, a comma and parentheses, and unicode load through the Spark DataFrame path and validate;
a name the target cannot hold (a MariaDB table name ending in a space) stops ``plan`` before
anything is written, naming the table and the rule."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task

ROOT = Path(__file__).resolve().parents[2]
ODD = ["a`b", "a.b", "a b", "naïve 名前", 'q"uote', "x,y (z)", "j`s.on"]
PG_ODD = """
CREATE TABLE public.odd (
  id integer PRIMARY KEY, "a`b" text, "a.b" integer, "a b" numeric(10,2), "naïve 名前" varchar(20),
  "q""uote" date, "x,y (z)" boolean, "j`s.on" jsonb
)"""
ROWS = [
    (1, "back`tick", 7, "12.50", "Zoë 李雷", "2024-02-29", True, '{"k": [1, "a`b"]}'),
    (2, "", -1, "-0.01", "", "1970-01-01", False, "[]"),
    (3, None, None, None, None, None, None, None),
    *[(i, f"row {i}", i, f"{i}.25", f"n{i}", "2000-01-01", i % 2 == 0, f'{{"n": {i}}}')
      for i in range(10, 1200)],
]
SETTINGS = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
            "ValidationSettings": {"EnableValidation": True},
            "Sparkdms": {"RowsPerPartition": 400}}


def pg_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def my_quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def odd_rows(conn, quote, table: str) -> Counter:
    """Rows of the odd table, JSON parsed (each engine spells JSON text its own way)."""
    rows = fetch(conn, f"SELECT id, {', '.join(quote(c) for c in ODD)} FROM {table}")
    def doc(v):
        return None if v is None else json.dumps(json.loads(v) if isinstance(v, str) else v,
                                                  sort_keys=True)

    return normalise([(*r[:-1], doc(r[-1])) for r in rows], bool_as_int=True)


def seed_pg(endpoint: dict) -> None:
    with pg_connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute(PG_ODD)
        cur.executemany("INSERT INTO public.odd VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", ROWS)


def run_ok(task: Path, report: Path) -> dict:
    code = sparkdms(["run", str(task), "--report", str(report)])
    data = json.loads(report.read_text())
    assert code == 0, data
    table = data["tables"][0]
    assert table["FullLoadRows"] == len(ROWS)
    assert table["ValidationState"] == "Validated", table
    return table


def test_odd_column_names_postgres_to_mariadb_and_back(pg_db, my_db, spark, tmp_path):
    """PostgreSQL -> MariaDB, then MariaDB -> PostgreSQL: the Spark path both ways."""
    seed_pg(pg_db)
    with pg_connect(pg_db) as conn:
        source = odd_rows(conn, pg_quote, "public.odd")

    task = write_task(tmp_path, pg_db, my_db, [selection("public", "odd")], SETTINGS, name="to-my")
    stats = run_ok(task, tmp_path / "to-my.json")
    assert stats["Partitions"] > 1
    with my_connect(my_db) as conn:
        cols = [r[0] for r in fetch(conn, "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
                                          "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'odd' "
                                          "ORDER BY ORDINAL_POSITION")]
        on_maria = odd_rows(conn, my_quote, "odd")
    assert cols == ["id", *ODD]
    assert_same_rows(source, on_maria)

    back = {**pg_db, "database": f"{pg_db['database']}_back"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{back["database"]}"')
    task = write_task(tmp_path, my_db, back, [selection(my_db["database"], "odd")], SETTINGS,
                      name="to-pg")
    run_ok(task, tmp_path / "to-pg.json")
    with pg_connect(back) as conn:
        returned = odd_rows(conn, pg_quote, "public.odd")
    assert_same_rows(source, returned)


def test_odd_column_names_postgres_to_postgres_dataframe_path(pg_db, spark, tmp_path):
    """Not the direct copy: DirectCopy off and a change-data-type on the dotted column, so every
    column passes through Spark's select, cast and write."""
    seed_pg(pg_db)
    dst = {**pg_db, "database": f"{pg_db['database']}_dst"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dst["database"]}"')
    widen = {"rule-type": "transformation", "rule-id": "2", "rule-name": "widen",
             "rule-action": "change-data-type", "rule-target": "column",
             "object-locator": {"schema-name": "public", "table-name": "odd", "column-name": "a.b"},
             "data-type": {"type": "int8"}}
    settings = {**SETTINGS, "Sparkdms": {**SETTINGS["Sparkdms"], "DirectCopy": False}}
    task = write_task(tmp_path, pg_db, dst, [selection("public", "odd"), widen], settings)
    stats = run_ok(task, tmp_path / "r.json")
    assert "direct copy" not in stats["PartitionMethod"]
    with pg_connect(pg_db) as a, pg_connect(dst) as b:
        source, target = odd_rows(a, pg_quote, "public.odd"), odd_rows(b, pg_quote, "public.odd")
        widened = fetch(b, "SELECT data_type FROM information_schema.columns "
                           "WHERE table_name = 'odd' AND column_name = 'a.b'")
    assert widened == [("bigint",)]
    assert_same_rows(source, target)


@pytest.mark.parametrize("command", ["plan", "run"])
def test_table_name_with_trailing_space_refused_for_mariadb(command, pg_db, my_db, tmp_path):
    with pg_connect(pg_db) as conn:
        conn.execute('CREATE TABLE public."spaced " (id int PRIMARY KEY)')
        conn.execute('CREATE TABLE public.fine (id int PRIMARY KEY)')
    task = write_task(tmp_path, pg_db, my_db, [selection("public")])
    proc = subprocess.run([sys.executable, "-m", "sparkdms.cli", command, str(task)], cwd=ROOT,
                          text=True, capture_output=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "public.spaced " in proc.stderr and "'spaced '" in proc.stderr
    assert "cannot end with a space" in proc.stderr and "rename" in proc.stderr
    with my_connect(my_db) as conn:
        assert fetch(conn, "SHOW TABLES") == []  # nothing written, not even the good table


def test_renamed_table_with_trailing_space_loads_into_mariadb(pg_db, my_db, spark, tmp_path):
    """The remedy the error names: a rename rule gives the table a name MariaDB takes."""
    with pg_connect(pg_db) as conn:
        conn.execute('CREATE TABLE public."spaced " (id int PRIMARY KEY, "v " text)')
        conn.execute('INSERT INTO public."spaced " VALUES (1, \'a\'), (2, NULL)')
    locator = {"schema-name": "public", "table-name": "spaced "}
    rules = [selection("public"),
             {"rule-type": "transformation", "rule-id": "2", "rule-name": "table",
              "rule-action": "rename", "rule-target": "table", "object-locator": locator,
              "value": "spaced"},
             {"rule-type": "transformation", "rule-id": "3", "rule-name": "column",
              "rule-action": "rename", "rule-target": "column",
              "object-locator": {**locator, "column-name": "v "}, "value": "v"}]
    task = write_task(tmp_path, pg_db, my_db, rules)
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    with my_connect(my_db) as conn:
        assert sorted(fetch(conn, "SELECT id, v FROM spaced")) == [(1, "a"), (2, None)]
