"""What a conversion does to values, as a table: source type on one engine, the type
the target's table picks, and the findings (level, code) the assessment reports."""

from __future__ import annotations

import pytest

from sparkdms.plan.typemap import dialect
from sparkdms.plan.typemap.fidelity import changes, compare, is_lob
from sparkdms.types import LType


def findings(source: str, native: str, target: str, target_type: str | None = None) -> set:
    src = dialect(source).to_logical(native)
    chosen = target_type or dialect(target).to_native(src)
    return {(c.level, c.code) for c in changes(src, chosen, dialect(target))}


CASES = [
    # exact: nothing to say
    ("mysql", "int", "postgres", None, set()),
    ("mysql", "tinyint", "postgres", None, set()),
    ("mysql", "decimal(12,2)", "postgres", None, set()),
    ("mysql", "datetime(6)", "postgres", None, set()),
    ("postgres", "timestamp(6) without time zone", "mysql", None, set()),
    ("mysql", "bit(10)", "postgres", None, set()),
    ("postgres", "citext", "mysql", None, set()),  # case-insensitive collation
    ("postgres", "citext", "sqlite", None, set()),  # COLLATE NOCASE
    ("oracle", "NUMBER", "postgres", None, set()),
    ("oracle", "DATE", "postgres", None, set()),
    ("mysql", "double", "oracle", None, set()),
    ("mysql", "varchar(20)", "postgres", None, set()),
    # widened, or represented differently but every value survives
    ("mysql", "bigint unsigned", "postgres", None, {("info", "widened")}),
    ("mysql", "int unsigned", "postgres", None, {("info", "widened")}),
    ("postgres", "timestamp with time zone", "mysql", None, {("info", "timezone")}),
    ("mysql", "timestamp(6)", "sqlite", None, {("info", "timezone")}),
    ("postgres", "uuid", "mysql", None, {("info", "as-text")}),
    ("postgres", "interval", "mysql", None, {("info", "as-text")}),
    ("postgres", "integer[]", "mysql", None, {("info", "as-json")}),
    ("postgres", "bit varying(8)", "mysql", None, {("info", "as-text")}),
    ("mysql", "enum('a','b')", "postgres", None, {("info", "enum")}),
    ("mysql", "set('a','b')", "postgres", None, {("info", "enum")}),
    ("mysql", "json", "postgres", None, {("info", "json")}),
    ("mysql", "year", "postgres", None, {("info", "as-number")}),
    ("postgres", "money", "mysql", None, {("info", "as-number")}),
    ("mysql", "date", "oracle", None, {("info", "as-timestamp")}),
    ("postgres", "character(5)", "mysql", "varchar(5)", {("info", "padding")}),
    # lossy: values or behaviour change
    ("postgres", "numeric", "mysql", None, {("warning", "scale"), ("warning", "range")}),
    ("postgres", "numeric(40,35)", "mysql", None, {("warning", "scale")}),
    ("oracle", "NUMBER", "sqlserver", None, {("warning", "scale"), ("warning", "range")}),
    ("sqlserver", "datetime2(7)", "postgres", None, {("warning", "precision")}),
    ("oracle", "TIMESTAMP(9)", "mysql", None, {("warning", "precision")}),
    ("mysql", "time(6)", "db2", None, {("warning", "precision")}),
    ("mysql", "geometry", "postgres", None, {("warning", "geometry")}),
    ("postgres", "text", "mysql", "varchar(768)", {("warning", "length")}),
    ("postgres", "citext", "sqlserver", None, {("warning", "case")}),
    ("postgres", "double precision", "mysql", "float", {("warning", "precision")}),
    ("postgres", "bigint", "postgres", "integer", {("warning", "range")}),
    ("postgres", "bytea", "mysql", "varbinary(16)", {("warning", "length")}),
    ("postgres", "timestamp without time zone", "mysql", "date", {("warning", "precision")}),
    ("postgres", "numeric(12,2)", "mysql", "double", {("warning", "precision")}),
    # an override that the target's table does not know: text
    ("postgres", "integer", "postgres", "my_domain", {("info", "override")}),
]


@pytest.mark.parametrize(("source", "native", "target", "target_type", "expected"), CASES)
def test_findings(source: str, native: str, target: str, target_type: str | None,
                  expected: set) -> None:
    assert findings(source, native, target, target_type) == expected


def test_lossy_findings_carry_an_example() -> None:
    src = dialect("postgres").to_logical("numeric(40,35)")
    (change,) = changes(src, "decimal(40,30)", dialect("mysql"))
    assert change.example == "0." + "1" * 35 + " -> 0." + "1" * 30
    (cut,) = compare(LType("time", precision=6), LType("time", precision=0))
    assert cut.example == "12:00:00.123456 -> 12:00:00"


def test_unsupported_source_type_read_as_text_is_reported_as_an_override() -> None:
    (change,) = changes(LType("unknown", native="cube"), "longtext", dialect("mysql"))
    assert change.code == "override" and "cube" in change.message


@pytest.mark.parametrize(("ltype", "lob"), [
    (LType("text"), True), (LType("blob"), True), (LType("json"), True),
    (LType("varchar", length=20), False), (LType("varchar"), True), (LType("int32"), False),
    (LType("geometry"), True), (LType("varbinary", length=16), False)])
def test_lob_columns(ltype: LType, lob: bool) -> None:
    assert is_lob(ltype) is lob


def test_plan_warns_about_lossy_columns_only() -> None:
    from sparkdms.connectors.mysql.connector import MariaDBConnector

    from sparkdms.catalog import Column, Table
    from sparkdms.plan import ColumnPlan, Plan, TablePlan
    from sparkdms.plan.typemap.fidelity import annotate
    from sparkdms.task import Endpoint

    target = MariaDBConnector(Endpoint(role="target", engine="mariadb", host="h", database="d",
                                       user="u"))
    cols = [Column("n", "numeric", LType("decimal")), Column("u", "uuid", LType("uuid"))]
    tp = TablePlan(Table("public", "t", tuple(cols)), "d", "t", (
        ColumnPlan("n", cols[0], cols[0].ltype, "decimal(65,30)"),
        ColumnPlan("u", cols[1], cols[1].ltype, "char(36)")))
    plan = annotate(Plan("task", "postgres", "mariadb", (tp,)), target)
    assert [w.split(":")[0] for w in plan.tables[0].warnings] == ["column n", "column n"]
    assert plan.warnings[0].startswith("2 type conversion(s) can change values")
