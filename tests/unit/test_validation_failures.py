"""Failure records in AWS DMS's shape, the JSON-lines fallback, and the generated
great-expectations suite."""

from __future__ import annotations

import json

from sparkdms.connectors.mysql import validation as mysql_validation
from sparkdms.connectors.postgres import validation as pg_validation
from sparkdms.connectors.sql.validation import SqlAlchemyTarget

from sparkdms.catalog import Column, Index, Table
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.types import LType
from sparkdms.validate.compare import Difference
from sparkdms.validate.expectations import Enforced, ExactNames, expectations, real_types
from sparkdms.validate.failures import COLUMNS, FailureSink, rows_for


def test_rows_have_aws_columns_and_json_key_and_details():
    diffs = [Difference("RECORD_DIFF", {"id": "7"}, {"amount": {"source": "1", "target": "2"}}),
             Difference("MISSING_TARGET", {"id": "8"}, {"source": {"id": "8", "name": "Zoë"}})]
    rows = rows_for("task1", "public", "orders", diffs)
    d = rows[0].as_dict()
    assert list(d) == list(COLUMNS)
    assert d["KEY_TYPE"] == "Row" and json.loads(d["KEY"]) == {"id": "7"}
    assert json.loads(d["DETAILS"]) == {"amount": {"source": "1", "target": "2"}}
    assert "Zoë" in rows[1].details  # unicode kept readable


def test_targets_without_tables_get_a_jsonl_file(tmp_path):
    path = tmp_path / "f.jsonl"
    sink = FailureSink(None, path)
    rows = rows_for("t", "s", "x", [Difference("MISSING_SOURCE", {"id": "1"}, {})] * 2)
    assert sink.write(None, "t", rows) == f"file {path}"
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [x["FAILURE_TYPE"] for x in lines] == ["MISSING_SOURCE"] * 2


def plan() -> TablePlan:
    cols = [Column("id", "bigint", LType("int64"), False), Column("a", "numeric(12,2)",
            LType("decimal", precision=12, scale=2), False), Column("t", "text", LType("text"))]
    src = Table("public", "x", tuple(cols), ("id",))
    natives = {"id": "bigint", "a": "numeric(12,2)", "t": "timestamp(3) without time zone"}
    return TablePlan(src, "public", "x", tuple(ColumnPlan(c.name, c, c.ltype, natives[c.name],
                                                          c.nullable) for c in cols), ("id",))


def test_suite_from_the_plan():
    suite = expectations(plan(), 42, ["id"], {"id": "BIGINT"})
    kinds = [(type(e).__name__, getattr(e, "column", None)) for e in suite]
    assert kinds == [("ExpectTableRowCountToEqual", None), ("ExpectTableColumnsToMatchSet", None),
                     ("ExpectColumnProportionOfUniqueValuesToBeBetween", "id"),
                     ("ExpectColumnValuesToNotBeNull", "id"),
                     ("ExpectColumnValuesToNotBeNull", "a"), ("ExpectColumnValuesToBeOfType", "id")]
    assert suite[0].value == 42
    compound = expectations(plan(), 1, ["id", "a"], {})
    assert type(compound[2]).__name__ == "ExpectCompoundColumnsToBeUnique"


def test_checks_the_target_constraints_guarantee_are_left_out():
    """A primary key and NOT NULL columns of the discovered target make their checks ones
    that cannot fail: they are named as enforced instead of scanned for. A column that is
    nullable in the target (altered after the load) keeps its check."""
    cols = (Column("id", "bigint", LType("int64"), False),
            Column("a", "numeric(12,2)", LType("decimal", precision=12, scale=2), True))
    target = Table("public", "x", cols, ("id",))
    enforced = Enforced.of(target)
    kinds = [(type(e).__name__, getattr(e, "column", None))
             for e in expectations(plan(), 42, ["id"], {}, enforced=enforced)]
    assert kinds == [("ExpectTableRowCountToEqual", None), ("ExpectTableColumnsToMatchSet", None),
                     ("ExpectColumnValuesToNotBeNull", "a")]
    assert enforced.said(plan(), ["id"]) == [
        "column id unique: the target's primary key or unique index",
        "column id not null: NOT NULL in the target table"]
    unique_index = Table("public", "x", cols, (), indexes=(Index("x_a", ("a",), unique=True),))
    assert not Enforced.of(unique_index).keeps_unique(["a"])  # unique, but NULLs allowed
    assert Enforced.of(None) == Enforced()


def test_real_target_types_as_sqlalchemy_reflects_them():
    """Types come from the discovered target table (PostgreSQL's format_type() names,
    MariaDB's information_schema names), arrays included."""
    def table(natives: dict[str, str]) -> Table:
        return Table("public", "Tagged", tuple(Column(n, t, LType("text"))
                                               for n, t in natives.items()))

    pg = table({"id": "bigint", "a": "numeric(12,2)", "t": "timestamp(3) without time zone",
                "tags": "text[]", "grid": "numeric(5,2)[]", "bits": "bit varying(5)"})
    assert real_types(pg, SqlAlchemyTarget("", pg_validation.reflected_type)) == {
        "id": "BIGINT", "a": "NUMERIC(12, 2)", "t": "TIMESTAMP(3) WITHOUT TIME ZONE",
        "tags": "TEXT[]", "grid": "NUMERIC(5, 2)[]", "bits": "BIT VARYING(5)"}
    planned = TablePlan(pg, "public", "Tagged", tuple(
        ColumnPlan(c.name, c, c.ltype, n) for c, n in zip(pg.columns, (
            "bigint", "numeric(12,2)", "timestamp(3)", "text[]", "double precision", "mood"),
            strict=True)))  # grid drifted from the plan; "bits" planned as an unknown type
    assert real_types(pg, SqlAlchemyTarget("", pg_validation.reflected_type), planned) == {
        "id": "BIGINT", "a": "NUMERIC(12, 2)", "t": "TIMESTAMP(3) WITHOUT TIME ZONE",
        "tags": "TEXT[]", "grid": "DOUBLE PRECISION", "bits": "BIT VARYING(5)"}
    my = table({"id": "bigint", "a": "decimal(12,2)", "t": "datetime(3)", "doc": "longtext"})
    assert real_types(my, SqlAlchemyTarget("", mysql_validation.reflected_type)) == {
        "id": "BIGINT", "a": "DECIMAL", "t": "DATETIME", "doc": "LONGTEXT"}


def test_identifier_cache_tells_mixed_case_names_apart():
    """great-expectations' column names equal their lowercase form; SQLAlchemy's quoting
    cache must not answer ``name`` for ``Name``."""
    from great_expectations.expectations.metrics.util import CaseInsensitiveString
    from sqlalchemy.dialects.postgresql import base

    preparer = base.dialect().identifier_preparer
    preparer._strings = ExactNames(preparer._strings)
    assert preparer.quote("name") == "name"
    assert preparer.quote(CaseInsensitiveString("Name")) == '"Name"'
