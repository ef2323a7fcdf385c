"""PostgreSQL values that Spark cannot carry exactly, found before a row is read.

``infinity`` / ``-infinity`` dates and timestamps have no Spark value (the JDBC driver
turns them into far dates), and dates before year 1 (BC) or after 9999 have no ISO text
of four-digit years, the form in which dates and timestamps reach Spark (see
``temporal_text`` in connector.py; read as text, every day of years 1 to 9999 arrives
exactly, the Gregorian gap 1582-10-05..14 of PostgreSQL's proleptic calendar included).
Such a value stops its table, naming the column, the value and how many rows hold it,
instead of arriving changed. Between PostgreSQL engines the direct copy (binary COPY, no
Spark rows) carries them exactly and is not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sparkdms.catalog import Column
from sparkdms.errors import TerminalError
from sparkdms.plan import Filter, TablePlan

TEMPORAL = ("date", "timestamp", "timestamptz")

# (label, SQL condition over the quoted column {q} and its UTC wall clock {u}) of each kind
# of value that cannot travel
CHECKS: tuple[tuple[str, str], ...] = (
    ("'infinity'", "{q} = 'infinity'"),
    ("'-infinity'", "{q} = '-infinity'"),
    ("a date before year 1 (BC) or after 9999",
     "isfinite({q}) AND ({u} < '0001-01-01' OR {u} >= '10000-01-01')"),
)


class UncarriableValueError(TerminalError):
    """A source value that would arrive changed on the target."""


def checked_columns(plan: TablePlan) -> list[Column]:
    wanted = plan.source_names
    return [c for c in plan.source.columns if c.name in wanted and c.ltype.kind in TEMPORAL]


def count_sql(connector: Any, plan: TablePlan, cols: list[Column],
              pushed: Sequence[Filter]) -> str:
    sums = []
    for col in cols:
        q = connector.quote(col.name)
        u = f"({q} AT TIME ZONE 'UTC')" if col.ltype.kind == "timestamptz" else q
        sums += [f"count(*) FILTER (WHERE {cond.format(q=q, u=u)})" for _, cond in CHECKS]
    table = connector.qualify(plan.source.schema, plan.source.name)
    return f"SELECT {', '.join(sums)} FROM {table}" + connector.where_sql(pushed, plan.source)


def check(connector: Any, plan: TablePlan, pushed: Sequence[Filter]) -> None:
    """Raise UncarriableValueError naming every column and value that cannot travel."""
    cols = checked_columns(plan)
    if not cols:
        return
    counts = connector.query(count_sql(connector, plan, cols, pushed))[0]
    found = []
    for i, col in enumerate(cols):
        for j, (label, _) in enumerate(CHECKS):
            n = int(counts[i * len(CHECKS) + j] or 0)
            if n:
                found.append(f"column {col.name}: {n:,} row(s) hold {label}")
    if found:
        raise UncarriableValueError(
            f"table {plan.source_label}: {'; '.join(found)}, which Spark cannot carry and "
            "would change on the target; fix or filter those rows on the source, or add "
            "type_overrides to a text type to load the source's own text")
