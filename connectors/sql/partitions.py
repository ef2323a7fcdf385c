"""Partitions of a relational read: each is one SQL condition inside the source query.

Built from a table-settings ``parallel-load`` request (AWS DMS's segments, see
``sparkdms/plan/mapping/table_settings.py``) or by the engine's default split (integer key
ranges sized by row count, else an engine-specific hash or physical split).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.sql.filters import value_sql

from sparkdms.catalog import Table
from sparkdms.plan import Partition, Partitioning, PartitionRequest, TablePlan
from sparkdms.types import INTEGER_KINDS

if TYPE_CHECKING:
    from sparkdms.task.settings import Settings


@dataclass(frozen=True)
class SqlPartition(Partition):
    """Rows of one Spark partition: a condition in the source's SQL (``""``: every row),
    and the JDBC fetch size its reader uses (``Sparkdms.FetchSize``)."""

    predicate: str
    fetch_size: int = 0

    def describe(self) -> str:
        return self.predicate


def of(method: str, column: str | None, predicates: Sequence[str]) -> Partitioning:
    return Partitioning(method, column, tuple(SqlPartition(p) for p in predicates))


def predicates(parts: Sequence[Partition]) -> list[str]:
    """The SQL conditions of a read's partitions (one empty condition for none)."""
    return [p.predicate for p in parts if isinstance(p, SqlPartition)] or [""]


def fetch_size(parts: Sequence[Partition], default: int) -> int:
    sizes = [p.fetch_size for p in parts if isinstance(p, SqlPartition) and p.fetch_size]
    return sizes[0] if sizes else default


def with_fetch_size(part: Partitioning, size: int) -> Partitioning:
    """Every partition told the fetch size; a single read gets one partition of its own."""
    parts = part.parts or (SqlPartition(""),)
    return replace(part, parts=tuple(replace(p, fetch_size=size) if isinstance(p, SqlPartition)
                                     else p for p in parts))


# -- parallel-load ranges ---------------------------------------------------------------------

def _below(cols: Sequence[str], values: Sequence[str]) -> str:
    """Row tuple < boundary tuple, compared column by column (AWS DMS's clause)."""
    terms = []
    for i in range(len(cols)):
        eqs = [f"{cols[j]} = {values[j]}" for j in range(i)]
        terms.append("(" + " AND ".join([*eqs, f"{cols[i]} < {values[i]}"]) + ")")
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def range_partitioning(connector: Any, table: Table, req: PartitionRequest) -> Partitioning:
    """AWS DMS's segments, made disjoint for any boundary order, plus a NULL segment."""
    cols = [table.column(name) for name in req.columns]
    quoted = [connector.quote(c.name) for c in cols]
    below = [_below(quoted, [value_sql(v, c.ltype, connector.literal)
                             for v, c in zip(bound, cols, strict=True)])
             for bound in req.boundaries]
    nullable = [q for q, c in zip(quoted, cols, strict=True) if c.nullable]
    guard = [f"{q} IS NOT NULL" for q in nullable]
    preds = []
    for k in range(len(below) + 1):
        earlier = below[:k]
        parts = [*guard, *([below[k]] if k < len(below) else [])]
        if earlier:
            parts.append("NOT " + (earlier[0] if len(earlier) == 1
                                   else "(" + " OR ".join(earlier) + ")"))
        preds.append(" AND ".join(parts))
    if nullable:
        preds.append(" OR ".join(f"{q} IS NULL" for q in nullable))
    return of("ranges", ", ".join(c.name for c in cols), preds)


# -- parallel-load partitions-auto / subpartitions-auto / partitions-list ---------------------

def native_partitioning(connector: Any, table: Table,
                        req: PartitionRequest) -> Partitioning | None:
    """Segments from the source's own partitions; None when the source has none.
    ``connector.native_partitions`` returns (name, predicate) pairs that together cover
    every row of the table."""
    leaves = req.type == "subpartitions-auto" or bool(req.subpartitions)
    found = list(connector.native_partitions(table, leaves)) or \
        (list(connector.native_partitions(table, False)) if leaves else [])
    if not found:
        return None
    if req.type != "partitions-list":
        return of("partitions", None, [p for _, p in found])
    by_name = dict(found)
    wanted = list(req.subpartitions) or list(req.partitions)
    missing = [n for n in wanted if n not in by_name]
    if missing:
        raise req.error(f"partitions-list names {', '.join(map(repr, missing))}, which "
                        f"{table.qualified} does not have; it has: {', '.join(by_name)}")
    rest = [p for n, p in found if n not in wanted]  # every other row: one more segment
    preds = [by_name[n] for n in wanted] + ([" OR ".join(f"({p})" for p in rest)] if rest else [])
    return of("partitions-list", None, preds)


def requested(connector: Any, plan: TablePlan, settings: Settings) -> Partitioning:
    """The partitioning a parallel-load request asks for, or the default split with a note
    saying why it was not followed."""
    req = plan.parallel_load
    assert req is not None
    if req.type == "none":
        return Partitioning("single")
    if req.type == "ranges":
        return range_partitioning(connector, plan.source, req)
    part = native_partitioning(connector, plan.source, req)
    if part is not None:
        return part
    note = (f"{req.label}: parallel-load {req.type}: {plan.source.qualified} has no "
            f"partitions on the {connector.engine} source; it is split the default way")
    return replace(connector.default_partitions(plan, settings), notes=(note,))


# -- the default split ------------------------------------------------------------------------

def partition_column(table: Table) -> Any:
    """The single-column integer primary key, if the table has one."""
    pk = table.primary_key
    if len(pk) == 1:
        col = table.column(pk[0])
        if col.ltype.kind in INTEGER_KINDS:
            return col
    return None


def wanted_partitions(rows: int, settings: Settings) -> int:
    return min(math.ceil(rows / settings["Sparkdms.RowsPerPartition"]),
               settings["Sparkdms.MaxPartitionsPerTable"])


def key_ranges(quoted: str, column: str, lo: int, hi: int, n: int,
               nullable: bool) -> Partitioning:
    """n integer ranges over [lo, hi] (and a NULL segment for a nullable column)."""
    step = max(1, math.ceil((hi - lo + 1) / n))
    bounds = list(range(lo + step, hi + 1, step))
    preds: list[str] = []
    prev: int | None = None
    for b in bounds:
        preds.append(f"{quoted} < {b}" if prev is None else f"{quoted} >= {prev} AND {quoted} < {b}")
        prev = b
    preds.append(f"{quoted} >= {prev}" if prev is not None else f"{quoted} IS NOT NULL")
    if nullable:
        preds.append(f"{quoted} IS NULL")
    return of("range", column, preds)
