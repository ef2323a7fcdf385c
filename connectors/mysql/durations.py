"""MySQL ``TIME`` holds durations (-838:59:59 to 838:59:59), not only times of day.

Discovery samples every ``TIME`` column (up to ``SAMPLE_ROWS`` rows of its table): one whose
values leave 00:00:00..23:59:59 is a duration, logical ``interval``, so a PostgreSQL
target gets ``interval`` (a MySQL target keeps ``time``, SQLite text). A column whose
sampled values all fall within a day stays a time of day (``time``).

Read for another family, a duration travels as its text with the fraction's trailing zeros
cut (``-00:00:01.5``), which is PostgreSQL's own interval text of the same value.

Should a value outside a day still meet a time-of-day target (a ``type_overrides`` entry
to ``time``, or rows beyond the sample), the table stops before a row is written, naming
table, column, a value and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sparkdms.catalog import Column, Table
from sparkdms.errors import TerminalError
from sparkdms.plan import Filter, TablePlan
from sparkdms.types import LType, parse_native

SAMPLE_ROWS = 1_000_000  # rows of a table the discovery looks at (exact below that)
# target families whose TIME takes every MySQL TIME value (SQLite stores the text)
DURATION_PEERS = ("mysql", "sqlite")


class DurationError(TerminalError):
    """A MySQL TIME duration planned into a target's time of day."""


def outside_day(q: str) -> str:
    return f"({q} < '00:00:00' OR {q} >= '24:00:00')"


def duration_text(q: str) -> str:
    """The value as text, the fraction's trailing zeros (and a bare '.') cut."""
    s = f"CAST({q} AS CHAR)"
    return f"IF(LOCATE('.', {s}) > 0, TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM {s})), {s})"


def is_time(col: Column) -> bool:
    return parse_native(col.native_type).name == "time" and col.ltype.kind in ("time",
                                                                               "interval")


def sample_sql(connector: Any, table: Table, cols: Sequence[Column]) -> str:
    names = ", ".join(connector.quote(c.name) for c in cols)
    flags = ", ".join(f"COALESCE(MAX({outside_day(connector.quote(c.name))}), 0)" for c in cols)
    return (f"SELECT {flags} FROM (SELECT {names} FROM "
            f"{connector.qualify(table.schema, table.name)} LIMIT {SAMPLE_ROWS}) s")


def with_durations(connector: Any, tables: list[Table]) -> list[Table]:
    """``tables`` with each TIME column whose sampled values leave a day typed ``interval``."""
    out = []
    for table in tables:
        cols = [c for c in table.columns if is_time(c) and c.ltype.kind == "time"]
        if not cols:
            out.append(table)
            continue
        flags = connector.query(sample_sql(connector, table, cols))[0]
        durations = {c.name for c, flag in zip(cols, flags, strict=True) if flag}
        columns = tuple(replace(c, ltype=LType("interval", precision=c.ltype.precision))
                        if c.name in durations else c for c in table.columns)
        out.append(replace(table, columns=columns))
    return out


def time_of_day_targets(plan: TablePlan) -> list[tuple[Column, str]]:
    """(source TIME column, target type) of each planned into a time of day."""
    if plan.peer in DURATION_PEERS:
        return []
    return [(c.source, c.target_type) for c in plan.columns
            if c.source is not None and c.expression is None and is_time(c.source)
            and parse_native(c.target_type).name == "time"]


def check(connector: Any, plan: TablePlan, pushed: Sequence[Filter]) -> None:
    """Stop the table when a TIME value outside a day would meet a time-of-day target."""
    for col, target_type in time_of_day_targets(plan):
        q = connector.quote(col.name)
        sql = (f"SELECT COUNT(*), MIN(CASE WHEN {outside_day(q)} THEN CAST({q} AS CHAR) END) "
               f"FROM {connector.qualify(plan.source.schema, plan.source.name)}")
        sql += connector.where_sql(pushed, plan.source, [outside_day(q)])
        n, value = connector.query(sql)[0]
        if n:
            key = f"{plan.source.schema}.{plan.source.name}.{col.name}"
            raise DurationError(
                f"table {plan.source_label}, column {col.name}: {n:,} TIME value(s) outside "
                f"00:00:00..23:59:59 such as {value} do not fit the target's {target_type}; "
                f"add type_overrides {{\"{key}\": \"interval\"}} (or a text type such as "
                "varchar(16))")
