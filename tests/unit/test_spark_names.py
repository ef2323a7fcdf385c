"""Column names with a backtick, a dot, a space, quotes, commas, parentheses and unicode
through every place sparkdms hands a name to Spark as a string: ``spark_quote`` /
``spark_col`` (select, F.col, SQL expressions), the JDBC ``customSchema`` DDL, the plan's
renames and casts, filters applied in Spark, LOB limits, the writer's ``mapInArrow`` and the
Spark side of validation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sparkdms.connectors.sql.reader import SqlReader

from sparkdms.catalog import Column, Table
from sparkdms.load.filters import apply_in_spark
from sparkdms.load.transform import to_target
from sparkdms.plan import ColumnPlan, Condition, Filter, TablePlan
from sparkdms.plan.mapping.lob import cut_sql, key_sql
from sparkdms.types import LType, positional, spark_col, spark_quote, spark_type
from sparkdms.validate.columns import Options, column_spec
from sparkdms.validate.sides import SPARK, SparkSide, render

ODD = ["a`b", "a.b", "a b", "naïve 名前", 'q"uote', "x,y (z)", "``", "p=1;{}\t"]
TYPES = [LType("text"), LType("int32"), LType("decimal", precision=10, scale=2), LType("text"),
         LType("date"), LType("boolean"), LType("int64"), LType("text")]
ROWS = [
    ("back`tick", 7, Decimal("12.50"), "Zoë 李雷", dt.date(2024, 2, 29), True, 1, "é" * 5),
    ("", -1, Decimal("-0.01"), "", dt.date(1970, 1, 1), False, 2, ""),
    (None, None, None, None, None, None, 3, None),
]


def columns() -> list[Column]:
    return [Column(n, t.kind, t) for n, t in zip(ODD, TYPES, strict=True)]


@pytest.fixture(scope="module")
def frame(spark):
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField(c.name, spark_type(c.ltype)) for c in columns()])
    return spark.createDataFrame(ROWS, schema)


@pytest.mark.parametrize(("name", "quoted"), [
    ("plain", "`plain`"), ("a`b", "`a``b`"), ("``", "``````"), ("a.b", "`a.b`"),
    ("naïve 名前", "`naïve 名前`"), ("", "``"),
])
def test_spark_quote(name: str, quoted: str) -> None:
    assert spark_quote(name) == quoted


def test_columns_by_name_in_select_col_and_sql(frame) -> None:
    by_col = frame.select(*[spark_col(n) for n in ODD])
    by_string = frame.select(*[spark_quote(n) for n in ODD])
    by_sql = frame.selectExpr(*[f"{spark_quote(n)} AS {spark_quote(n)}" for n in ODD])
    for df in (by_col, by_string, by_sql):
        assert df.columns == ODD
        assert [tuple(r) for r in df.collect()] == ROWS


def test_custom_schema_is_spark_ddl_with_the_names_exact(spark) -> None:
    """The JDBC read's customSchema goes through CatalystSqlParser.parseTableSchema."""
    reader = SimpleNamespace(transport=lambda c, peer="": (c.name, spark_type(c.ltype)))
    ddl = SqlReader.custom_schema(reader, columns())  # type: ignore[arg-type]
    pkg = spark._jvm.org.apache.spark.sql.catalyst.parser
    parser = getattr(getattr(pkg, "CatalystSqlParser$"), "MODULE$")
    parsed = parser.parseTableSchema(ddl)
    assert [f.name() for f in parsed.fields()] == ODD
    assert [f.dataType().simpleString() for f in parsed.fields()][:3] == \
        ["string", "int", "decimal(10,2)"]


def plan(cols: list[ColumnPlan], filters: tuple[Filter, ...] = ()) -> TablePlan:
    return TablePlan(Table("s", "odd", tuple(columns()), ("``",)), "s", "odd", tuple(cols),
                     filters=filters)


def test_renames_casts_and_filters_in_spark(frame) -> None:
    by_name = {c.name: c for c in columns()}
    cols = [ColumnPlan("id", by_name["``"], LType("int64"), "bigint"),
            ColumnPlan("a.b`2", by_name["a.b"], LType("int64"), "bigint"),  # rename and cast
            ColumnPlan("x,y (z)", by_name["x,y (z)"], LType("boolean"), "boolean"),
            ColumnPlan("n`ew", None, LType("text"), "text",
                       expression=f"concat({spark_quote('a`b')}, {spark_quote('naïve 名前')})")]
    keep = Filter("a.b", (Condition("gte", ("0",)),))
    table = plan(cols).source
    out = to_target(apply_in_spark(frame, [keep], table), plan(cols))
    assert out.columns == ["id", "a.b`2", "x,y (z)", "n`ew"]
    assert dict(out.dtypes)["a.b`2"] == "bigint"
    assert [tuple(r) for r in out.collect()] == [(1, 7, True, "back`tickZoë 李雷")]


def test_lob_limit_expressions(frame) -> None:
    from pyspark.sql import functions as F

    tp = plan([])
    out = frame.select(F.expr(cut_sql("p=1;{}\t", 4, False)).alias("cut"),
                       F.expr(key_sql(tp, set(ODD))).alias("key")).collect()
    assert [r["cut"] for r in out] == ["éé", "", None]
    assert [r["key"] for r in out] == ["``=1", "``=2", "``=3"]


def test_positional_frame_passes_map_in_arrow(frame) -> None:
    def count(batches):
        import pyarrow as pa

        rows = sum(b.num_rows for b in batches)
        yield pa.RecordBatch.from_pydict({"rows": [rows]})

    with pytest.raises(Exception, match="INVALID_ATTRIBUTE_NAME_SYNTAX"):
        frame.mapInArrow(count, "rows LONG").collect()  # PySpark looks names up unquoted
    assert sum(r["rows"] for r in positional(frame).mapInArrow(count, "rows LONG").collect()) == 3


def test_spark_side_of_validation(frame) -> None:
    specs = [column_spec(ColumnPlan(c.name, c, c.ltype, ""), c.ltype, Options()) for c in columns()]
    values = [SPARK.render(s, SPARK.quote(s.name), s.planned, "source") for s in specs]
    assert all(v is not None for v in values)
    side = SparkSide("source", frame, render(SPARK, specs, values, ["``"], "range",
                                             SPARK.quote("``")))
    assert side.count() == 3 and side.bounds() == (1, 3)
    assert sorted(k for k, _ in side.hashes(None)) == ["1", "2", "3"]
    assert len(side.values(None, ["1"])["1"]) == len(ODD)
