"""Neutral filters and checked values as SQL of one relational dialect.

A value arrives checked for its column's type (``sparkdms/plan/mapping/filters.py``): numbers as
plain decimal text, booleans as true/false. Numbers are written as numbers, booleans as
TRUE/FALSE, everything else through the connector's ``literal`` (quoted and escaped): a
JDBC subquery cannot bind parameters, so literals are the one place a value meets SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sparkdms.catalog import Table
from sparkdms.plan import Condition, Filter
from sparkdms.types import INTEGER_KINDS, LType

NUMERIC_KINDS = (*INTEGER_KINDS, "decimal", "float32", "float64", "money", "year")

# operator -> SQL template over {c} and {v0}/{v1}
TEMPLATES: dict[str, str] = {
    "lte": "{c} <= {v0}",
    "gte": "{c} >= {v0}",
    "eq": "{c} = {v0}",
    "noteq": "{c} <> {v0}",
    "between": "{c} BETWEEN {v0} AND {v1}",
    "notbetween": "{c} NOT BETWEEN {v0} AND {v1}",
    "null": "{c} IS NULL",
    "notnull": "{c} IS NOT NULL",
}


def value_sql(value: str | None, ltype: LType, literal: Callable[[Any], str]) -> str:
    if value is None:
        return "NULL"
    if ltype.kind in NUMERIC_KINDS:
        return value
    if ltype.kind == "boolean":
        return "TRUE" if value == "true" else "FALSE"
    return literal(value)


def condition_sql(cond: Condition, column_sql: str, ltype: LType,
                  literal: Callable[[Any], str]) -> str:
    values = {f"v{i}": value_sql(v, ltype, literal) for i, v in enumerate(cond.values)}
    return TEMPLATES[cond.operator].format(c=column_sql, **values)


def filter_sql(f: Filter, table: Table, quote: Callable[[str], str],
               literal: Callable[[Any], str]) -> str:
    """One filter: its conditions ORed."""
    col = table.column(f.column)
    parts = [condition_sql(c, quote(col.name), col.ltype, literal) for c in f.conditions]
    return parts[0] if len(parts) == 1 else " OR ".join(f"({p})" for p in parts)


def where_sql(filters: Sequence[Filter], table: Table, quote: Callable[[str], str],
              literal: Callable[[Any], str], extra: Sequence[str] = ()) -> str:
    """`` WHERE (f1) AND (f2) ...`` (with ``extra`` SQL conditions), or ``""``."""
    conditions = [*(filter_sql(f, table, quote, literal) for f in filters), *extra]
    return " WHERE " + " AND ".join(f"({c})" for c in conditions) if conditions else ""
