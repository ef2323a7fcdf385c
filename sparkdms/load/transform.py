"""Source DataFrame -> target-shaped DataFrame, with Spark expressions only
(no Python UDF): renames, type casts, added columns."""

from __future__ import annotations

from typing import Any

from sparkdms.connectors.base import END_MARKER
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.types import spark_col, spark_type


def column_expr(col: ColumnPlan, current: dict[str, Any]) -> Any:
    from pyspark.sql import functions as F

    want = spark_type(col.ltype)
    if col.expression is not None:
        expr = F.expr(col.expression)
    else:
        name = col.source_name or col.target_name
        expr = spark_col(name)
        if current.get(name) == want:
            return expr.alias(col.target_name)
    return expr.cast(want).alias(col.target_name)  # type: ignore[arg-type]


def to_target(df: Any, plan: TablePlan) -> Any:
    """The target's columns; END_MARKER, when the source added it, stays last."""
    current = {f.name: f.dataType for f in df.schema.fields}
    marker = [spark_col(END_MARKER)] if END_MARKER in current else []
    return df.select(*[column_expr(c, current) for c in plan.columns], *marker)
