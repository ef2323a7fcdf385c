"""Source-shaped steps -> target-shaped ``ApplyStep``s, through the full load's plan.

The rows of one table in a batch become ONE Spark DataFrame with the source columns in
their logical Spark types (as the full load's read frame has them) plus the change headers
(``CDC_HEADERS``: operation, commit time, position, transaction), and go through the same
column expressions as the full load (``sparkdms.load.transform.column_expr``): renames,
removed and added columns, type conversion; an added column whose expression reads a header
uses its CDC form (``ColumnPlan.cdc_expression``), so ``$AR_H_OPERATION`` is 'UPDATE' for an
update. The result is collected on the driver (batches are small) and cut back into steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sparkdms.cdc.steps import Item, SourceStep
from sparkdms.connectors.base import ApplyStep
from sparkdms.plan import TablePlan
from sparkdms.plan.mapping.expressions import CDC_HEADERS
from sparkdms.types import spark_type

SEQ = "_sdms_seq"
HEADER_COLUMNS = tuple(dict.fromkeys(CDC_HEADERS.values()))
OPERATIONS = {"insert": "INSERT", "update": "UPDATE", "delete": "DELETE"}


def _fit(value: Any, st: Any) -> Any:
    """A source value as the Spark type of its column takes it (exact text for decimals and
    kinds Spark carries as text)."""
    from pyspark.sql import types as T

    if value is None:
        return None
    if isinstance(st, T.StringType) and not isinstance(value, str):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(st, T.TimestampType) and isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _headers(item: Item) -> tuple[str, ...]:
    ch = item.change
    when = ch.commit_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") \
        if isinstance(ch.commit_time, datetime) else None
    return (OPERATIONS.get(item.op, item.op.upper()), when, ch.position, ch.position, ch.txid)


def source_columns(plan: TablePlan) -> list[tuple[str, Any]]:
    names = plan.source_names
    return [(c.name, spark_type(c.ltype)) for c in plan.source.columns if c.name in names]


def table_frame(spark: Any, plan: TablePlan, items: Sequence[Item]) -> Any:
    from pyspark.sql import types as T

    cols = source_columns(plan)
    schema = T.StructType([*(T.StructField(n, st, True) for n, st in cols),
                           *(T.StructField(h, T.StringType(), True) for h in HEADER_COLUMNS),
                           T.StructField(SEQ, T.LongType(), False)])
    rows = [(*(_fit(it.values.get(n), st) for n, st in cols), *_headers(it), i)
            for i, it in enumerate(items)]
    return spark.createDataFrame(rows, schema)


def to_target_rows(spark: Any, plan: TablePlan, items: Sequence[Item]) -> list[tuple]:
    """The target rows of ``items`` (every planned column, in order), by the full load's
    expressions."""
    from sparkdms.load.transform import column_expr
    from sparkdms.types import spark_col

    df = table_frame(spark, plan, items)
    current = {f.name: f.dataType for f in df.schema.fields}
    exprs = [column_expr(replace(c, expression=c.cdc_expression) if c.cdc_expression else c,
                         current) for c in plan.columns]
    out: list[tuple] = [()] * len(items)
    for row in df.select(*exprs, spark_col(SEQ)).collect():
        out[row[-1]] = tuple(row[:-1])
    return out


def apply_steps(spark: Any, steps: Sequence[SourceStep]) -> list[ApplyStep]:
    """One Spark job per table of the batch; the steps keep their order."""
    by_table: dict[str, list[Item]] = {}
    for step in steps:
        by_table.setdefault(step.plan.source_label, []).extend(step.items.values())
    rows = {label: iter(to_target_rows(spark, next(s.plan for s in steps
                                                    if s.plan.source_label == label), items))
            for label, items in by_table.items() if items}
    out = []
    for step in steps:
        plan = step.plan
        got = [next(rows[plan.source_label]) for _ in step.items]
        if step.action == "delete":
            where = [[c.target_name for c in plan.columns].index(k) for k in plan.primary_key]
            got = [tuple(r[i] for i in where) for r in got]
        out.append(ApplyStep(plan, step.action, tuple(got),
                             tuple(it.op for it in step.items.values())))
    return out
