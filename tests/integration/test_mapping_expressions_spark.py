"""add-column expressions evaluated twice on the same rows: by SQLite (what AWS DMS runs) and
by Spark (what sparkdms runs after translation). The results must agree, NULLs included."""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
from decimal import Decimal
from typing import Any

import pytest

from sparkdms.plan.mapping.expressions import Scope, compile_expression, render
from sparkdms.types import LType

COLUMNS = {"name": LType("text"), "n": LType("int32"), "m": LType("int64"),
           "x": LType("float64"), "d": LType("date"), "ts": LType("timestamp", precision=6),
           "code": LType("varchar", length=10)}
ROWS = [
    (1, "Zoë Smith", 7, 2, 2.675, dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 13, 45, 7), "ab_1"),
    (2, "  padded  ", -7, 2, -0.5, dt.date(1999, 12, 31), dt.datetime(1999, 12, 31, 23, 59, 59),
     "AB%2"),
    (3, None, None, None, None, None, None, None),
    (4, "", 0, 0, 0.0, dt.date(2000, 1, 1), dt.datetime(2000, 1, 1, 0, 0, 0), ""),
    (5, "élan ÆØ x@y.org", 123456, -5, 1e10, dt.date(2021, 7, 4), dt.datetime(2021, 7, 4, 6, 5, 4),
     "x"),
    (6, "O'Neil's", 15, 4, 3.14159, dt.date(2024, 12, 31), dt.datetime(2024, 12, 31, 12, 0, 0),
     "zz9"),
]
EXPRESSIONS = [
    "$name || '_' || $code",
    "$n || '-' || $m",
    "$n / $m",
    "$n % $m",
    "$x / 2",
    "$n * 3 + $m - 1",
    "CASE WHEN $n > 10 THEN 'big' WHEN $n >= 0 THEN 'small' ELSE 'negative' END",
    "CASE $m WHEN 2 THEN 'two' WHEN 0 THEN 'zero' END",
    "COALESCE($name, $code, 'none')",
    "IFNULL($n, -1)",
    "NULLIF($m, 2)",
    "iif($n > 0, 'pos', 'not')",
    "upper($name)",
    "lower($name)",
    "trim($name)",
    "trim($code, 'a_')",
    "ltrim($name)",
    "rtrim($name, 's')",
    "substr($name, 2, 3)",
    "substr($name, -3)",
    "substr($name, 3)",
    "length($name)",
    "length($n)",
    "replace($name, 'a', 'A')",
    "instr($name, 'a')",
    "round($x, 1)",
    "round($x)",
    "abs($n)",
    "CAST($n AS TEXT)",
    "CAST($code AS INTEGER)",
    "CAST($x AS INTEGER)",
    "$name LIKE '%ZOË%'",
    "$code LIKE 'ab%'",
    "$code LIKE 'a!%%' ESCAPE '!'",
    "$code GLOB 'a*'",
    "$code GLOB '[A-Z][A-Z]*'",
    "$n BETWEEN 0 AND 10",
    "$n IN (7, 15)",
    "$n IS NULL",
    "$n IS 7",
    "max($n, $m)",
    "min($n, $m, 3)",
    "hex($code)",
    "date($ts)",
    "time($ts)",
    "datetime($ts)",
    "date($d)",
    "datetime($ts, '+1 day')",
    "datetime($ts, '-3 hours', '+30 minutes')",
    "date($d, '+1 month')",
    "date($d, 'start of month')",
    "date($ts, 'start of year')",
    "strftime('%Y-%m-%d %H:%M:%S', $ts)",
    "strftime('%Y/%j', $ts)",
    "strftime('%w', $ts)",
    "strftime('%s', $ts)",
    "strftime('day %d of %m, 100%%', $d)",
    "julianday($ts)",
    "date($name)",
    "datetime($m, 'unixepoch')",
    "$AR_M_SOURCE_SCHEMA || '.' || $AR_M_SOURCE_TABLE_NAME",
]


def sqlite_rows(expressions: list[str]) -> list[list[Any]]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (id, name, n, m, x, d, ts, code)")
    db.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [(r[0], r[1], r[2], r[3], r[4], r[5].isoformat() if r[5] else None,
                     r[6].isoformat(sep=" ") if r[6] else None, r[7]) for r in ROWS])
    out = []
    for e in expressions:
        sql = e.replace("$AR_M_SOURCE_SCHEMA", "'app'").replace("$AR_M_SOURCE_TABLE_NAME", "'t'")
        sql = re.sub(r"\$(\w+)", r'"\1"', sql)
        out.append([r[0] for r in db.execute(f"SELECT {sql} FROM t ORDER BY id")])
    return out


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(b, bool):
        b = int(b)
    if isinstance(a, float) or isinstance(b, float | Decimal):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-9)
    return a == b


def test_translated_expressions_agree_with_sqlite(spark) -> None:
    from pyspark.sql import types as T

    schema = T.StructType([
        T.StructField("id", T.IntegerType()), T.StructField("name", T.StringType()),
        T.StructField("n", T.IntegerType()), T.StructField("m", T.LongType()),
        T.StructField("x", T.DoubleType()), T.StructField("d", T.DateType()),
        T.StructField("ts", T.TimestampNTZType()), T.StructField("code", T.StringType())])
    df = spark.createDataFrame(ROWS, schema)
    scope = Scope(COLUMNS, "app", "t")
    sparks = [render(compile_expression(e), scope) for e in EXPRESSIONS]
    got = df.orderBy("id").selectExpr(*[f"{s} AS e{i}" for i, s in enumerate(sparks)]).collect()
    expected = sqlite_rows(EXPRESSIONS)
    problems = []
    for i, (expr, sql) in enumerate(zip(EXPRESSIONS, sparks, strict=True)):
        spark_values = [row[f"e{i}"] for row in got]
        if not all(same(a, b) for a, b in zip(expected[i], spark_values, strict=True)):
            problems.append(f"{expr}\n  Spark SQL: {sql}\n  SQLite: {expected[i]}\n"
                            f"  Spark:  {spark_values}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("expr", ["datetime('now')", "date('now')", "CURRENT_TIMESTAMP"])
def test_now_is_the_utc_clock_in_sqlite_form(spark, expr: str) -> None:
    sql = render(compile_expression(expr), Scope(COLUMNS))
    value = spark.sql(f"SELECT {sql} AS v").collect()[0]["v"]
    now = dt.datetime.now(dt.UTC)
    sqlite_now = sqlite3.connect(":memory:").execute(f"SELECT {expr}").fetchone()[0]
    assert len(value) == len(sqlite_now)
    assert value[:10] in (now.strftime("%Y-%m-%d"), (now - dt.timedelta(minutes=1)).strftime(
        "%Y-%m-%d"))
