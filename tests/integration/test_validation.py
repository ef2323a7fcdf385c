"""Validation against the real servers: a correct migration validates with no false
positive both ways between PostgreSQL and MariaDB, and faults injected directly on the
target are each found with the right key, failure type and column, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import fetch, selection, write_task

VALIDATE = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
            "ValidationSettings": {"EnableValidation": True}}

PG_KINDS = """
CREATE TABLE public.kinds (
  id integer PRIMARY KEY, small smallint, big bigint, amount numeric(12,2),
  precise numeric(38,18), r real, d double precision, flag boolean, code char(5),
  name varchar(40), body text, day date, at timestamp(6), at3 timestamp(3), tz timestamptz,
  tod time(6), uid uuid, doc jsonb, raw bytea, tags integer[], span interval
)"""
PG_ROWS = r"""
INSERT INTO public.kinds VALUES
 (1, -32768, 9223372036854775807, 9999999999.99, 12345678901234567890.123456789012345678,
  3.4028235e38, 1.7976931348623157e308, true, 'ab', 'Zoë 李雷 🚀', repeat('Lorem ✓ ', 20000),
  '2024-02-29', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.999',
  '2024-02-29 23:59:59.999999+05:30', '23:59:59.999999', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"b": [1, 2.50, {"z": null}], "a": "x"}', '\x00ff10', '{1,2,3}', '1 day 02:03:04.5'),
 (2, 0, 0, 0.00, 0, 0, -0.0, false, '', '', '', '1970-01-01', '1970-01-01 00:00:00',
  '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '00:00:00',
  '00000000-0000-0000-0000-000000000000', '{}', '', '{}', '0'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL),
 (4, 7, -1, -0.01, -0.000000000000000001, 0.1, 0.30000000000000004, true, 'x  ', '  padded  ',
  E'line1\nline2\ttab "q" ''a'' \\ ,|#', '0999-06-15', '1999-12-31 23:59:59.5',
  '2038-01-19 03:14:07.123', '2038-01-19 03:14:08.123456+00', '12:34:56.5',
  'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12', '[1, "two", {"k": true}]',
  decode(repeat('ab', 4000), 'hex'), '{-1,NULL}', '-3 years 1 mon');
INSERT INTO public.kinds (id, small, amount, name, at, d, r)
SELECT g, g % 100, g / 7.0, 'row ' || g, timestamp '2020-01-01' + g * interval '1.000001 second',
       g / 3.0, g / 3.0
FROM generate_series(100, 3000) g;
"""

# (statement run on the MariaDB target, {id: columns it changes}); None = a semantically
# equal rewrite that must NOT be reported
MY_FAULTS = [
    ("UPDATE kinds SET small = small + 1 WHERE id = 100", {100: {"small"}}),
    ("UPDATE kinds SET big = big - 1 WHERE id = 1", {1: {"big"}}),
    ("UPDATE kinds SET amount = ROUND(amount, 1) WHERE id = 101", {101: {"amount"}}),  # rounded
    ("UPDATE kinds SET precise = precise + 0.000000000000000001 WHERE id = 1", {1: {"precise"}}),
    ("UPDATE kinds SET r = r * 2 WHERE id = 102", {102: {"r"}}),
    ("UPDATE kinds SET d = d + 1 WHERE id = 103", {103: {"d"}}),
    ("UPDATE kinds SET flag = 1 WHERE id = 2", {2: {"flag"}}),
    ("UPDATE kinds SET code = 'ac' WHERE id = 1", {1: {"code"}}),
    ("UPDATE kinds SET name = CONCAT(name, ' ') WHERE id = 104", {104: {"name"}}),  # trailing space
    ("UPDATE kinds SET name = NULL WHERE id = 2", {2: {"name"}}),  # '' became NULL
    ("UPDATE kinds SET body = REPLACE(body, 'line1', 'line0') WHERE id = 4", {4: {"body"}}),
    ("UPDATE kinds SET body = CONCAT(body, '.') WHERE id = 1", {1: {"body"}}),  # 160 kB text
    ("UPDATE kinds SET day = '0999-06-16' WHERE id = 4", {4: {"day"}}),
    ("UPDATE kinds SET at = at + INTERVAL 1 MICROSECOND WHERE id = 106", {106: {"at"}}),
    ("UPDATE kinds SET at3 = '1970-01-01 00:00:00.001' WHERE id = 2", {2: {"at3"}}),
    ("UPDATE kinds SET tz = tz + INTERVAL 1 MICROSECOND WHERE id = 4", {4: {"tz"}}),
    ("UPDATE kinds SET tod = '23:59:58.999999' WHERE id = 1", {1: {"tod"}}),
    ("UPDATE kinds SET uid = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13' WHERE id = 4", {4: {"uid"}}),
    ("""UPDATE kinds SET doc = '{"a":"x","b":[1,2.5,{"z":null}]}' WHERE id = 1""", None),
    ("""UPDATE kinds SET doc = '[1, "two", {"k": false}]' WHERE id = 4""", {4: {"doc"}}),
    ("UPDATE kinds SET raw = CONCAT(raw, 'x') WHERE id = 4", {4: {"raw"}}),
    ("UPDATE kinds SET raw = X'00ff11' WHERE id = 1", {1: {"raw"}}),
    ("UPDATE kinds SET tags = '[1, 2, 4]' WHERE id = 1", {1: {"tags"}}),
    ("UPDATE kinds SET span = NULL WHERE id = 2", {2: {"span"}}),
]


def run(command: str, task: Path, tmp_path: Path, *extra: str) -> tuple[int, dict]:
    report = tmp_path / f"{command}-{task.stem}.json"
    code = sparkdms([command, str(task), "--report", str(report), *extra])
    return code, json.loads(report.read_text())


def failures(report: dict, table: int = 0) -> list[dict]:
    return report["tables"][table].get("ValidationFailures", [])


def found(conn, task: str) -> dict[tuple[str, str], set[str]]:
    """The failures table as {(failure type, key): differing columns}."""
    rows = fetch(conn, 'SELECT "FAILURE_TYPE", "KEY", "DETAILS" FROM '
                       'awsdms_validation_failures_v1 WHERE "TASK_NAME" = %s', (task,)) \
        if hasattr(conn, "info") else fetch(conn, "SELECT FAILURE_TYPE, `KEY`, DETAILS FROM "
                                                  "awsdms_validation_failures_v1 WHERE TASK_NAME = %s",
                                            (task,))
    out: dict[tuple[str, str], set[str]] = {}
    for kind, key, details in rows:
        cols = set(json.loads(details)) if kind == "RECORD_DIFF" else set()
        out[(kind, ",".join(str(v) for v in json.loads(key).values()))] = cols
    return out


def test_pg_to_mariadb_validates_then_finds_every_injected_fault(pg_db, my_db, spark, tmp_path):
    with pg_connect(pg_db) as conn:
        conn.execute(PG_KINDS)
        conn.execute(PG_ROWS)
    task = write_task(tmp_path, pg_db, my_db, [selection("public")], VALIDATE, name="kinds")
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0, stats
    assert stats["ValidationState"] == "Validated" and stats["ValidationFailedRecords"] == 0
    assert stats["ValidationSourceRows"] == stats["ValidationTargetRows"] == 2905
    assert stats["ValidationMethod"].startswith("checksums: source in sql, target in sql")
    assert stats["ValidationExpectations"]["success"], stats["ValidationExpectations"]

    expected: dict[tuple[str, str], set[str]] = {}
    with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        for sql, changes in MY_FAULTS:
            cur.execute(sql)
            for key, cols in (changes or {}).items():
                expected.setdefault(("RECORD_DIFF", str(key)), set()).update(cols)
        cur.execute("DELETE FROM kinds WHERE id = 3000")
        cur.execute("INSERT INTO kinds (id, name) VALUES (5000, 'extra')")
    expected[("MISSING_TARGET", "3000")] = set()
    expected[("MISSING_SOURCE", "5000")] = set()

    code, report = run("validate", task, tmp_path)
    stats = report["tables"][0]
    assert code == 1 and stats["ValidationState"] == "Mismatched records"
    assert stats["ValidationFailedRecords"] == len(expected)
    with my_connect(my_db) as conn:
        assert found(conn, "kinds") == expected
        details = fetch(conn, "SELECT DETAILS FROM awsdms_validation_failures_v1 WHERE `KEY` = %s",
                        ('{"id": "100"}',))
    assert json.loads(details[0][0]) == {"small": {"source": "0", "target": "1"}}
    sample = failures(report)  # the report carries the first few with their values
    assert len(sample) == 5
    assert all((f["FAILURE_TYPE"], f["KEY"]["id"]) in expected for f in sample)
    # the row count still matches (one missing, one extra), which great-expectations confirms
    assert stats["ValidationExpectations"]["success"]


MY_KINDS = """
CREATE TABLE kinds (
  id bigint PRIMARY KEY, amount decimal(12,2), big decimal(38,18), ratio double, f float,
  name varchar(64), note longtext, created datetime(6), created_tz timestamp(6) NULL DEFAULT NULL,
  day date, tod time(6), payload longblob, flag tinyint(1), qty int, u int unsigned,
  ub bigint unsigned, doc json, code char(4)
) DEFAULT CHARSET=utf8mb4"""
MY_ROWS = [
    (1, "9999999999.99", "12345678901234567890.123456789012345678", 0.1, 0.1, "Zoë 李雷 🚀", "",
     "2024-02-29 23:59:59.999999", "2024-02-29 18:29:59.999999", "2024-02-29", "23:59:59.999999",
     b"\x00\x01\xff" * 50, 1, 42, 4294967295, 18446744073709551615, '{"b": 1, "a": [true, null]}',
     "ab"),
    (2, "-0.01", "-0.000000000000000001", -1.5e300, -3.4e38, "", "x" * 100_000,
     "1970-01-01 00:00:00", "1970-01-01 00:00:01", "1970-01-01", "00:00:00", b"", 0, -7, 0, 0,
     "[]", ""),
    (3, *([None] * 17)),
]


def test_mariadb_to_pg_validates_then_finds_faults(pg_db, my_db, spark, tmp_path):
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        cur.execute(MY_KINDS)
        cur.executemany(f"INSERT INTO kinds VALUES ({', '.join(['%s'] * 18)})", MY_ROWS)
        cur.execute("INSERT INTO kinds (id, amount, name, created, ratio) SELECT seq, seq / 7, "
                    "CONCAT('row ', seq), '2020-01-01' + INTERVAL seq SECOND, seq / 3 "
                    "FROM seq_10_to_2000")
        conn.commit()
    task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"])], VALIDATE, name="back")
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0, stats
    assert stats["ValidationState"] == "Validated" and stats["ValidationSourceRows"] == 1994
    # JSON cannot be compared in SQL across these engines (PostgreSQL reorders keys): the
    # other columns are checked in SQL, the key and the JSON column through Spark
    assert stats["ValidationMethod"].startswith("checksums: source in sql, target in sql")
    assert "columns id, doc: checksums: source in spark, target in spark" in stats["ValidationMethod"]

    with pg_connect(pg_db) as conn:
        conn.execute("UPDATE public.kinds SET flag = NOT flag WHERE id = 1")
        conn.execute("UPDATE public.kinds SET ub = ub - 1 WHERE id = 1")
        conn.execute("UPDATE public.kinds SET created_tz = created_tz + interval '1 microsecond' "
                     "WHERE id = 2")
        conn.execute("UPDATE public.kinds SET payload = '\\x00' WHERE id = 2")
        conn.execute("""UPDATE public.kinds SET doc = '{"a": [true, null], "b": 2}' WHERE id = 1""")
        conn.execute("UPDATE public.kinds SET f = 0.2 WHERE id = 2")
        conn.execute("UPDATE public.kinds SET code = NULL WHERE id = 2")
        conn.execute("DELETE FROM public.kinds WHERE id = 1000")
    code, report = run("validate", task, tmp_path)
    with pg_connect(pg_db) as conn:
        got = found(conn, "back")
    assert got == {("RECORD_DIFF", "1"): {"flag", "ub", "doc"},
                   ("RECORD_DIFF", "2"): {"created_tz", "payload", "f", "code"},
                   ("MISSING_TARGET", "1000"): set()}
    assert code == 1 and report["tables"][0]["ValidationFailedRecords"] == 3


def sides_of(task: Path, spark) -> tuple:
    """The source table of ``task`` rendered both in its database's SQL and in Spark."""
    from sparkdms.app import prepare
    from sparkdms.validate.columns import Options, table_columns
    from sparkdms.validate.runner import Validator
    from sparkdms.validate.sides import SPARK, SparkSide, SqlSide, render
    from sparkdms.validate.strategy import spark_values, sql_values

    prep = prepare(task)
    tp = prep.plan.tables[0]
    cols = table_columns(tp, tp.source, Options())
    specs = [s for s in cols.columns if s.value_kind != "json"]  # JSON never mixes SQL and Spark
    hooks = prep.source.validation_sql()
    r = hooks.renderer
    sql = SqlSide("source", hooks, hooks.qualify(tp.source.schema, tp.source.name),
                  [], render(r, specs, sql_values(hooks, specs, "source", tp),
                             ["id"], "range", r.quote("id")))
    frame = Validator(prep.task, prep.plan, prep.source, prep.target, spark).strategy.source_frame(tp)
    spk = SparkSide("source", frame, render(SPARK, specs, spark_values(frame, specs, "source", tp),
                                            ["id"], "range", SPARK.quote("id")))
    return specs, sql, spk


def assert_same_canonical_text(specs, a, b) -> None:
    ha, hb = dict(a.hashes(None)), dict(b.hashes(None))
    assert ha.keys() == hb.keys()
    differ = sorted(k for k in ha if ha[k] != hb[k])
    if differ:  # name the column and both renderings
        va, vb = a.values(None, differ[:5]), b.values(None, differ[:5])
        cols = {(k, s.name, x, y) for k in differ[:5]
                for s, x, y in zip(specs, va[k], vb[k], strict=True) if x != y}
        raise AssertionError(f"{len(differ)} rows render differently: {sorted(cols)[:10]}")


def test_sql_and_spark_render_the_same_canonical_text(pg_db, my_db, spark, tmp_path):
    """The checksums of one side may come from its database and of the other from Spark:
    both must render every value to the same text (PostgreSQL and MariaDB tables)."""
    with pg_connect(pg_db) as conn:
        conn.execute(PG_KINDS)
        conn.execute(PG_ROWS)
    pg_task = write_task(tmp_path, pg_db, my_db, [selection("public")], name="pgside")
    assert_same_canonical_text(*sides_of(pg_task, spark))
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        cur.execute(MY_KINDS)
        cur.executemany(f"INSERT INTO kinds VALUES ({', '.join(['%s'] * 18)})", MY_ROWS)
        conn.commit()
    my_task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"])], name="myside")
    assert_same_canonical_text(*sides_of(my_task, spark))


PG_KEYS = """
CREATE TABLE public.nokey (a integer, b text);
INSERT INTO public.nokey SELECT g % 50, 'v' || (g % 7) FROM generate_series(1, 3000) g;
CREATE TABLE public.pair (k text, n integer, v numeric(10,3), PRIMARY KEY (k, n));
INSERT INTO public.pair SELECT 'key ' || (g % 97), g, g / 3.0 FROM generate_series(1, 3000) g;
"""


def test_tables_without_key_and_with_a_composite_key(pg_db, spark, tmp_path):
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(PG_KEYS)
        conn.execute(f'CREATE DATABASE "{pg_db["database"]}_dst"')
    dst = {**pg_db, "database": f"{pg_db['database']}_dst"}
    task = write_task(tmp_path, pg_db, dst, [selection("public")], VALIDATE, name="keys")
    code, report = run("run", task, tmp_path)
    by = {t["TableName"]: t for t in report["tables"]}
    assert code == 0, by
    assert by["nokey"]["ValidationState"] == "No primary key"
    assert "same multiset of rows" in by["nokey"]["ValidationStateDetails"]
    assert by["pair"]["ValidationState"] == "Validated"
    assert "hash buckets of key k, n" in by["pair"]["ValidationMethod"]

    with pg_connect(dst) as conn:
        conn.execute("DELETE FROM public.nokey WHERE ctid = (SELECT min(ctid) FROM public.nokey "
                     "WHERE a = 7)")  # one of 60 identical rows
        conn.execute("UPDATE public.nokey SET b = 'changed' WHERE ctid = (SELECT min(ctid) "
                     "FROM public.nokey WHERE a = 8)")
        conn.execute("UPDATE public.pair SET v = v + 0.001 WHERE k = 'key 5' AND n = 5")
        conn.execute("DELETE FROM public.pair WHERE k = 'key 6' AND n = 6")
        conn.execute("ALTER TABLE public.pair ALTER COLUMN v TYPE double precision")  # type drift
    # ValidationOnly: `run` loads nothing and compares what is there
    only = write_task(tmp_path, pg_db, dst, [selection("public")],
                      {"ValidationSettings": {"ValidationOnly": True}}, name="keys")
    code, report = run("run", only, tmp_path, "--out", str(tmp_path / "docs"))
    by = {t["TableName"]: t for t in report["tables"]}
    assert code == 1 and by["pair"]["FullLoadRows"] == 0
    assert (tmp_path / "docs" / "index.html").exists()  # great-expectations Data Docs
    assert by["nokey"]["ValidationState"] == "No primary key"
    kinds = sorted((f["FAILURE_TYPE"], f["KEY"]["row"]["a"], f["KEY"]["row"]["b"])
                   for f in by["nokey"]["ValidationFailures"])
    assert kinds == [("MISSING_SOURCE", "8", "changed"), ("MISSING_TARGET", "7", "v0"),
                     ("MISSING_TARGET", "8", "v1")]
    assert by["pair"]["ValidationState"] == "Mismatched records"
    assert sorted((f["FAILURE_TYPE"], f["KEY"]["k"], f["KEY"]["n"], tuple(f["DETAILS"]))
                  for f in by["pair"]["ValidationFailures"]) == [
        ("MISSING_TARGET", "key 6", "6", ("source",)), ("RECORD_DIFF", "key 5", "5", ("v",))]
    assert "target in spark" in by["pair"]["ValidationMethod"]  # read as planned: numeric(10,3)
    assert any("column=v" in f for f in by["pair"]["ValidationExpectations"]["failed"])
    with pg_connect(dst) as conn:
        assert fetch(conn, 'SELECT count(*) FROM awsdms_validation_failures_v1 WHERE "TABLE_NAME" = '
                           "'pair'")[0][0] == 2


def test_postgres_to_delta_compares_through_spark(pg_db, spark, tmp_path):
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.small (id integer PRIMARY KEY, name varchar(20), "
                     "amount numeric(9,2), at timestamp, r real, raw bytea)")
        conn.execute("INSERT INTO public.small SELECT g, 'row ' || g, g / 7.0, timestamp "
                     "'2020-01-01' + g * interval '1.000001 second', g / 3.0, '\\x00ff' "
                     "FROM generate_series(1, 500) g")
    lake = {"engine": "delta", "path": str(tmp_path / "lake")}
    task = write_task(tmp_path, pg_db, lake, [selection("public")], VALIDATE, name="lake")
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0, stats
    assert stats["ValidationState"] == "Validated"
    assert "source in sql, target in spark" in stats["ValidationMethod"]
    assert stats["ValidationExpectations"]["ran_on"] == "Spark DataFrame of the target"

    path = str(tmp_path / "lake" / "small")  # public is the source's default schema: none here
    from pyspark.sql import functions as F

    frame = spark.read.format("delta").load(path)
    changed = frame.withColumn("name", F.when(F.col("id") == 104, F.lit("row 104 ")).otherwise(
        F.col("name"))).where(F.col("id") != 300)
    changed.localCheckpoint().write.format("delta").mode("overwrite").save(path)
    code, report = run("validate", task, tmp_path)
    stats = report["tables"][0]
    assert code == 1 and stats["ValidationState"] == "Mismatched records"
    assert sorted((f["FAILURE_TYPE"], f["KEY"]["id"]) for f in stats["ValidationFailures"]) == [
        ("MISSING_TARGET", "300"), ("RECORD_DIFF", "104")]
    written = spark.read.format("delta").load(str(tmp_path / "lake" / "awsdms_validation_failures_v1"))
    assert written.where("TABLE_NAME = 'small'").count() == 2


def test_mysql_zero_dates_loaded_as_null_are_not_differences(pg_db, my_db, spark, tmp_path):
    with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_mode = ''")
        cur.execute("CREATE TABLE z (id int PRIMARY KEY, d date, t datetime(6), n varchar(9))")
        cur.execute("INSERT INTO z VALUES (1, '0000-00-00', '0000-00-00 00:00:00', 'zero'), "
                    "(2, '2024-02-29', '2024-02-29 12:00:00.5', 'leap'), (3, NULL, NULL, NULL)")
    task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"])], VALIDATE, name="zero")
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0, stats
    assert stats["ValidationState"] == "Validated"
    assert stats["ValidationMethod"].startswith("checksums: source in sql, target in sql")
    with pg_connect(pg_db) as conn:
        assert fetch(conn, "SELECT d, t FROM public.z WHERE id = 1") == [(None, None)]
        conn.execute("UPDATE public.z SET d = '2024-02-28' WHERE id = 2")
    code, report = run("validate", task, tmp_path)
    assert [(f["KEY"], list(f["DETAILS"])) for f in failures(report)] == [({"id": "2"}, ["d"])]


def test_sqlite_source_through_spark_against_postgres(pg_db, spark, tmp_path):
    """SQLite has no md5: its side is read by Spark and hashed there, the PostgreSQL side in
    SQL; two tables validated at once write their failures to one table."""
    import sqlite3

    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price DECIMAL(10,2), "
                  "at DATETIME, flag BOOLEAN, raw BLOB)")
        c.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)",
                      [(i, f"item {i} é", f"{i / 3:.2f}", f"2024-01-0{1 + i % 9} 12:00:00.25",
                        i % 2, bytes([i % 256]) * 3) for i in range(1, 301)])
        c.execute("CREATE TABLE nokey (a TEXT, b REAL)")
        c.executemany("INSERT INTO nokey VALUES (?, ?)", [("x", 0.5), ("x", 0.5), ("y", None)])
    task = write_task(tmp_path, {"engine": "sqlite", "path": str(path)}, pg_db, [selection("main")],
                      VALIDATE, name="lite")
    code, report = run("run", task, tmp_path)
    by = {t["TableName"]: t for t in report["tables"]}
    assert code == 0, by
    assert by["items"]["ValidationState"] == "Validated"
    assert by["items"]["ValidationMethod"].startswith("checksums: source in spark, target in sql")
    assert by["nokey"]["ValidationState"] == "No primary key"
    with pg_connect(pg_db) as conn:
        conn.execute("UPDATE public.items SET at = at + interval '1 microsecond' WHERE id = 7")
        conn.execute("UPDATE public.nokey SET b = 0.25 WHERE a = 'y'")
    code, report = run("validate", task, tmp_path)
    by = {t["TableName"]: t for t in report["tables"]}
    assert [(f["KEY"], list(f["DETAILS"])) for f in failures({"tables": [by["items"]]})] == [
        ({"id": "7"}, ["at"])]
    assert sorted(f["FAILURE_TYPE"] for f in by["nokey"]["ValidationFailures"]) == [
        "MISSING_SOURCE", "MISSING_TARGET"]


def test_plan_renames_removed_added_columns_and_type_changes(pg_db, my_db, spark, tmp_path):
    """What the table-mapping rules produce (a renamed column, a removed one, one added by an
    expression, a decimal narrowed to fewer places) is validated as the plan says."""
    from dataclasses import replace

    from sparkdms.app import prepare
    from sparkdms.load.execute import execute
    from sparkdms.plan import ColumnPlan
    from sparkdms.types import LType
    from sparkdms.validate import Validator, validation_failed

    with pg_connect(pg_db) as conn:
        for t in ("t1", "t2"):
            conn.execute(f"CREATE TABLE public.{t} (id integer PRIMARY KEY, price numeric(12,4), "
                         "old_name text, dropme text, qty integer)")
            conn.execute(f"INSERT INTO public.{t} SELECT g, g / 7.0, 'n' || g, 'x', g % 5 "
                         "FROM generate_series(1, 500) g")
    task = write_task(tmp_path, pg_db, my_db, [selection("public")], VALIDATE, name="mapped")
    prep = prepare(task)
    dec2 = LType("decimal", precision=12, scale=2)

    def mapped(tp, add: bool):
        cols = []
        for c in tp.columns:
            if c.target_name == "dropme":
                continue
            if c.target_name == "old_name":
                c = replace(c, target_name="new_name")
            if c.target_name == "price":
                c = replace(c, ltype=dec2, target_type="decimal(12,2)")
            cols.append(c)
        if add:
            cols.append(ColumnPlan("tag", None, LType("varchar", length=20), "varchar(20)",
                                   expression="concat('q', cast(qty as string))"))
        return replace(tp, columns=tuple(cols))

    plan = replace(prep.plan, tables=tuple(mapped(tp, tp.source.name == "t1")
                                           for tp in prep.plan.tables))
    validator = Validator(prep.task, plan, prep.source, prep.target, spark)
    report = execute(prep.task, plan, prep.source, prep.target, spark,
                     after_table=validator.after_table)
    by = {t.TableName: t.extra for t in report.tables}
    assert not validation_failed(report), by
    assert by["t1"]["ValidationMethod"].startswith("checksums: source in spark")  # the expression
    assert by["t2"]["ValidationMethod"].startswith("checksums: source in sql")  # rounded in SQL
    with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("UPDATE t1 SET tag = 'q9' WHERE id = 3")
        cur.execute("UPDATE t2 SET price = price + 0.01 WHERE id = 3")
        cur.execute("UPDATE t2 SET new_name = 'changed' WHERE id = 4")
    for tp, stats in zip(plan.tables, report.tables, strict=True):
        validator.validate(tp, stats)
    by = {t.TableName: t.extra for t in report.tables}
    assert [(f["KEY"], list(f["DETAILS"])) for f in by["t1"]["ValidationFailures"]] == [
        ({"id": "3"}, ["tag"])]
    assert sorted((f["KEY"]["id"], list(f["DETAILS"])) for f in by["t2"]["ValidationFailures"]) == [
        ("3", ["price"]), ("4", ["new_name"])]


RATED = """
CREATE TABLE public.rated (id integer PRIMARY KEY, name varchar(20) NOT NULL, score numeric(6,2));
INSERT INTO public.rated SELECT g, 'name ' || g, g / 4.0 FROM generate_series(1, 300) g;
"""
# great-expectations' verdict on a target where row 5 lost its NOT NULL name and row 7 is gone:
# each check names its count (no sample of the unexpected values is read)
RATED_NOT_MET = ["expect_column_values_to_not_be_null(column=name): 1 unexpected",
                 "expect_table_row_count_to_equal(value=300): observed 299"]


RATED_ENFORCED = ["column id unique: the target's primary key or unique index",
                  "column id not null: NOT NULL in the target table",
                  "column name not null: NOT NULL in the target table"]


def assert_rated_faults_found(code: int, report: dict, ran_on: str) -> None:
    stats = report["tables"][0]
    assert code == 1 and stats["ValidationState"] == "Mismatched records", stats
    assert sorted((f["FAILURE_TYPE"], f["KEY"]["id"], sorted(f["DETAILS"]))
                  for f in stats["ValidationFailures"]) == [
        ("MISSING_TARGET", "7", ["source"]), ("RECORD_DIFF", "5", ["name"])]
    gx = stats["ValidationExpectations"]
    assert gx["state"] == "Not met" and gx["ran_on"] == ran_on and not gx["errors"], gx
    assert sorted(gx["failed"]) == RATED_NOT_MET


def test_expectations_count_nulls_and_rows_in_sql_and_on_spark(pg_db, spark, tmp_path):
    """The same faults judged by great-expectations in the target database (PostgreSQL) and
    on a Spark DataFrame (Delta), beside the checksum comparison's row-level findings."""
    with pg_connect(pg_db) as conn:
        conn.execute(RATED)
    dst = {**pg_db, "database": f"{pg_db['database']}_dst"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dst["database"]}"')
    lake = {"engine": "delta", "path": str(tmp_path / "lake")}
    for target, name in ((dst, "rated_sql"), (lake, "rated_lake")):
        task = write_task(tmp_path, pg_db, target, [selection("public")], VALIDATE, name=name)
        code, report = run("run", task, tmp_path)
        gx = report["tables"][0]["ValidationExpectations"]
        assert code == 0 and gx["state"] == "Met", gx
        # in PostgreSQL the primary key and NOT NULL guarantee three checks (not scanned for);
        # a Delta table declares no constraint: every check runs on its DataFrame
        assert gx["enforced"] == (RATED_ENFORCED if name == "rated_sql" else []), gx
        assert gx["evaluated"] + len(gx["enforced"]) == 8, gx

    with pg_connect(dst) as conn:
        conn.execute("ALTER TABLE public.rated ALTER COLUMN name DROP NOT NULL")
        conn.execute("UPDATE public.rated SET name = NULL WHERE id = 5")
        conn.execute("DELETE FROM public.rated WHERE id = 7")
    code, report = run("validate", tmp_path / "rated_sql.yaml", tmp_path)
    assert_rated_faults_found(code, report, "target database (SQL)")

    from pyspark.sql import functions as F

    path = str(tmp_path / "lake" / "rated")
    frame = spark.read.format("delta").load(path)
    changed = frame.withColumn("name", F.when(F.col("id") == 5, F.lit(None)).otherwise(
        F.col("name"))).where(F.col("id") != 7)
    changed.localCheckpoint().write.format("delta").mode("overwrite").save(path)
    code, report = run("validate", tmp_path / "rated_lake.yaml", tmp_path)
    assert_rated_faults_found(code, report, "Spark DataFrame of the target")
