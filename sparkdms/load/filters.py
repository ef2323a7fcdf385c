"""Source filters a source engine cannot push down, applied in Spark after the read.

Values arrive checked for their column's type (``sparkdms/plan/mapping/filters.py``) and are
cast to the column's Spark type here, so a number compares as a number. Spark
expressions only: no Python UDF.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any

from sparkdms.catalog import Table
from sparkdms.connectors.base import END_MARKER
from sparkdms.plan import Condition, Filter
from sparkdms.types import spark_col, spark_type

# operator -> Spark Column expression over (column, value literals)
OPERATORS: dict[str, Callable[[Any, list[Any]], Any]] = {
    "lte": lambda c, v: c <= v[0],
    "gte": lambda c, v: c >= v[0],
    "eq": lambda c, v: c == v[0],
    "noteq": lambda c, v: c != v[0],
    "between": lambda c, v: c.between(v[0], v[1]),
    "notbetween": lambda c, v: ~c.between(v[0], v[1]),
    "null": lambda c, v: c.isNull(),
    "notnull": lambda c, v: c.isNotNull(),
}


def condition(cond: Condition, column: Any, dtype: Any) -> Any:
    from pyspark.sql import functions as F

    values = [F.lit(v).cast(dtype) for v in cond.values]
    return OPERATORS[cond.operator](column, values)


def filter_column(f: Filter, table: Table) -> Any:
    """One filter as a Spark boolean column: its conditions ORed."""
    col = table.column(f.column)
    ref = spark_col(col.name)
    dtype = spark_type(col.ltype)
    return reduce(lambda a, b: a | b, [condition(c, ref, dtype) for c in f.conditions])


def apply_in_spark(frame: Any, filters: Sequence[Filter], table: Table) -> Any:
    """Rows of ``frame`` that pass every filter (ANDed), as SQL's WHERE would keep them;
    the end-of-partition marker rows (END_MARKER, when the frame has it) always pass."""
    marked = END_MARKER in frame.columns
    for f in filters:
        keep = filter_column(f, table)
        frame = frame.filter(spark_col(END_MARKER) | keep if marked else keep)
    return frame
