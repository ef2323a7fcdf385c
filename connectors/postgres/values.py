"""PostgreSQL values that Spark cannot carry exactly, found before a row is read.

``infinity`` / ``-infinity`` dates and timestamps have no Spark value (the JDBC driver
turns them into far dates), and dates inside the Gregorian gap (1582-10-05 to 1582-10-14,
days the Julian/Gregorian calendar Spark's JDBC conversion uses does not have) come back
shifted by ten days. Such a value stops its table, naming the column, the value and how
many rows hold it, instead of arriving changed. Between PostgreSQL engines the direct copy
(binary COPY, no Spark rows) carries them exactly and is not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sparkdms.catalog import Column
from sparkdms.errors import TerminalError
from sparkdms.plan import Filter, TablePlan

TEMPORAL = ("date", "timestamp", "timestamptz")
GAP = ("1582-10-05", "1582-10-15")  # [first missing day, first day after the gap)

# (label, SQL condition over the quoted column {q}) of each kind of value that cannot travel
CHECKS: tuple[tuple[str, str], ...] = (
    ("'infinity'", "{q} = 'infinity'"),
    ("'-infinity'", "{q} = '-infinity'"),
    (f"a date in the Gregorian gap ({GAP[0]} to 1582-10-14)",
     f"{{q}} >= '{GAP[0]}' AND {{q}} < '{GAP[1]}'"),
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
        sums += [f"count(*) FILTER (WHERE {cond.format(q=q)})" for _, cond in CHECKS]
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
