"""Which renamed, retyped and added columns the PostgreSQL direct copy computes in its
source SELECT (connectors/postgres/copycolumns.py), and which it leaves to Spark."""

from __future__ import annotations

import pytest
from sparkdms.connectors.postgres.copycolumns import blocker, select_list

from sparkdms.catalog import Column, Table
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.types import LType


class Quoting:
    @staticmethod
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'


SOURCE = Table("public", "t", (
    Column("i", "integer", LType("int32")),
    Column("s", "smallint", LType("int16")),
    Column("b", "bigint", LType("int64")),
    Column("d", "numeric(12,2)", LType("decimal", precision=12, scale=2)),
    Column("big", "numeric(30,10)", LType("decimal", precision=30, scale=10)),
    Column("v", "varchar(20)", LType("varchar", length=20)),
    Column("t", "text", LType("text")),
    Column("r", "real", LType("float32")),
    Column("ts", "timestamp", LType("timestamp", precision=6)),
))
BY_NAME = {c.name: c for c in SOURCE.columns}


def copied(name: str, target_type: str, ltype: LType) -> ColumnPlan:
    return ColumnPlan("x", BY_NAME[name], ltype, target_type)


def computed(expression: str, target_type: str, ltype: LType) -> ColumnPlan:
    return ColumnPlan("x", None, ltype, target_type, expression=expression)


def sql_of(col: ColumnPlan) -> str | None:
    out = select_list(Quoting(), TablePlan(SOURCE, "public", "t", (col,)))
    return out[0] if out else None


DEC = LType("decimal", precision=14, scale=2)


@pytest.mark.parametrize(("col", "want"), [
    (copied("i", "integer", LType("int32")), '"i"'),
    (copied("s", "bigint", LType("int64")), 'CAST("s" AS bigint)'),
    (copied("i", "numeric(10,0)", LType("decimal", precision=10, scale=0)),
     'CAST("i" AS numeric(10,0))'),
    (copied("d", "numeric(14,3)", LType("decimal", precision=14, scale=3)),
     'CAST("d" AS numeric(14,3))'),
    (copied("v", "text", LType("text")), 'CAST("v" AS text)'),
    (copied("v", "varchar(30)", LType("varchar", length=30)), 'CAST("v" AS varchar(30))'),
    (copied("r", "double precision", LType("float64")), 'CAST("r" AS double precision)'),
    (computed("(`d` * `i`)", "numeric(24,2)", LType("decimal", precision=24, scale=2)),
     'CAST(("d" * "i") AS numeric(24,2))'),
    (computed("concat(`v`, '-', `t`)", "varchar(50)", LType("varchar", length=50)),
     "(\"v\" || '-' || \"t\")"),
    (computed("concat('o-', CAST(`b` AS STRING))", "varchar(24)", LType("varchar", length=24)),
     "('o-' || CAST(\"b\" AS text))"),
    (computed("CASE WHEN `i` > 3 THEN 'big' ELSE 'it\\'s' END", "text", LType("text")),
     "(CASE WHEN (\"i\" > 3) THEN 'big' ELSE 'it''s' END)"),
    (computed("coalesce(`d`, 1.5)", "numeric(12,2)", LType("decimal", precision=12, scale=2)),
     'CAST(COALESCE("d", (1.5)) AS numeric(12,2))'),
])
def test_copyable_columns(col, want):
    assert sql_of(col) == want


@pytest.mark.parametrize("col", [
    copied("b", "integer", LType("int32")),  # narrowing
    copied("d", "numeric(12,3)", LType("decimal", precision=12, scale=3)),  # fewer int digits
    copied("d", "numeric(14,1)", LType("decimal", precision=14, scale=1)),  # rounds
    copied("v", "varchar(10)", LType("varchar", length=10)),
    copied("t", "varchar(10)", LType("varchar", length=10)),
    copied("ts", "timestamptz", LType("timestamptz", precision=6)),  # zone semantics
    copied("d", "double precision", LType("float64")),
    computed("(`d` / `i`)", "numeric(20,6)", DEC),  # division: Spark's scale rules
    computed("(`big` * `big`)", "numeric(38,10)", DEC),  # 61 digits: Spark would round
    computed("(`d` * 2)", "integer", LType("int32")),  # Spark truncates, PostgreSQL rounds
    computed("upper(`v`)", "text", LType("text")),  # Unicode rules differ
    computed("concat_ws('', `v`, `t`)", "text", LType("text")),  # skips NULLs
    computed("CASE WHEN `v` < `t` THEN 1 ELSE 0 END", "integer", LType("int32")),  # collation
    computed("concat(`d`, 'x')", "text", LType("text")),  # decimal to text
    computed("(`r` + 1)", "double precision", LType("float64")),  # floating point
    computed("(`v` + 1)", "integer", LType("int32")),
    ColumnPlan("x", None, LType("int32"), "integer"),  # added without an expression
])
def test_left_to_spark(col):
    assert sql_of(col) is None


def test_blocker_names_the_column_spark_must_compute():
    ok, narrow = copied("i", "integer", LType("int32")), copied("b", "integer", LType("int32"))
    assert blocker(Quoting(), TablePlan(SOURCE, "public", "t", (ok,))) is None
    why = blocker(Quoting(), TablePlan(SOURCE, "public", "t", (ok, narrow)))
    assert why is not None and why.startswith("column x: ") and "int64" in why, why
