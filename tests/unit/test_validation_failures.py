"""Failure records in AWS DMS's shape, the JSON-lines fallback, and the generated
great-expectations suite."""

from __future__ import annotations

import json

from sparkdms.connectors.mysql import validation as mysql_validation
from sparkdms.connectors.postgres import validation as pg_validation
from sparkdms.connectors.sql.validation import SqlAlchemyTarget

from sparkdms.catalog import Column, Table
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.types import LType
from sparkdms.validate.compare import Difference
from sparkdms.validate.expectations import ExactNames, expectations, real_types
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
