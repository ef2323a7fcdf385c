"""Table-settings rules: ``parallel-load`` (how one table's read is split) and
``lob-settings`` (the largest LOB value a table loads whole).

parallel-load, as AWS DMS documents it (CHAP_Tasks...Tablesettings.html#ParallelLoad):

  ranges              N boundaries give N+1 segments. Boundary k holds one value per
                      column; segment k holds the rows whose column tuple is below it,
                      compared column by column (AWS's WHERE clause:
                      ``(c1 < v1) OR (c1 = v1 AND c2 < v2) OR ...``), and not in an earlier
                      segment; the last segment holds the rest. Unlike AWS DMS, rows whose
                      range column is NULL are not dropped: they form a segment of their own.
  partitions-auto     one segment per partition of the source table (PostgreSQL declarative
                      partitions, MySQL/MariaDB partitions), read with the partition's own
                      condition so that the source prunes the others
  subpartitions-auto  one segment per leaf partition (falls back to partitions)
  partitions-list     one segment per listed partition, plus one for all other rows (no row
                      is left behind)
  none                one segment

A segment is one Spark partition (one source query). Values in boundaries are checked and
written for the column's type (numbers as numbers) or quoted through the source dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sparkdms.catalog import Column, Table
from sparkdms.mapping.base import ParallelLoad, Rule
from sparkdms.mapping.filters import value_sql
from sparkdms.plan import LobLimit, Partitioning
from sparkdms.types import LType

NOT_RANGE_KINDS = ("float32", "float64", "blob", "text", "json", "xml", "document", "geometry",
                   "array", "citext")  # AWS DMS: no DOUBLE, FLOAT, BLOB, CLOB, NCLOB


def range_columns(rule: Rule, table: Table) -> list[Column]:
    pl = rule.parallel_load
    assert pl is not None
    out = []
    for name in pl.columns:
        try:
            col = table.column(name)
        except KeyError:
            raise rule.error(f"parallel-load column {name!r} does not exist in "
                             f"{table.qualified}") from None
        if col.ltype.kind in NOT_RANGE_KINDS:
            raise rule.error(f"parallel-load column {name!r} of {table.qualified} is "
                             f"{col.native_type}: ranges cannot use floating-point or LOB "
                             "columns (AWS DMS limit; values compare inexactly)")
        out.append(col)
    return out


def _below(cols: Sequence[str], values: Sequence[str]) -> str:
    """Row tuple < boundary tuple, compared column by column (AWS DMS's clause)."""
    terms = []
    for i in range(len(cols)):
        eqs = [f"{cols[j]} = {values[j]}" for j in range(i)]
        terms.append("(" + " AND ".join([*eqs, f"{cols[i]} < {values[i]}"]) + ")")
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def range_partitioning(rule: Rule, table: Table, source: Any) -> Partitioning:
    """AWS DMS's segments, made disjoint for any boundary order, plus a NULL segment."""
    pl = rule.parallel_load
    assert pl is not None
    cols = range_columns(rule, table)
    quoted = [source.quote(c.name) for c in cols]
    below = []
    for k, bound in enumerate(pl.boundaries):
        if any(v is None for v in bound):
            raise rule.error(f"boundary {k + 1} has a null value; NULLs get a segment of their "
                             "own and cannot be a boundary")
        try:
            vals = [value_sql(v, c.ltype, source.literal, f"boundary {k + 1}, column {c.name}")
                    for v, c in zip(bound, cols, strict=True)]
        except ValueError as err:
            raise rule.error(str(err)) from None
        below.append(_below(quoted, vals))
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
    return Partitioning("ranges", ", ".join(c.name for c in cols), tuple(preds))


def native_partitioning(rule: Rule, table: Table, source: Any) -> Partitioning | None:
    """Segments from the source's own partitions; None when the source has none (the
    caller falls back to sparkdms's default split and says so). ``native_partitions``
    returns (name, predicate) pairs that together cover every row of the table."""
    pl = rule.parallel_load
    assert pl is not None
    lister = getattr(source, "native_partitions", None)
    if lister is None:
        return None
    leaves = pl.type == "subpartitions-auto" or bool(pl.subpartitions)
    found = list(lister(table, leaves)) or (list(lister(table, False)) if leaves else [])
    if not found:
        return None
    if pl.type != "partitions-list":
        return Partitioning("partitions", None, tuple(p for _, p in found))
    by_name = dict(found)
    wanted = list(pl.subpartitions) or list(pl.partitions)
    missing = [n for n in wanted if n not in by_name]
    if missing:
        raise rule.error(f"partitions-list names {', '.join(map(repr, missing))}, which "
                         f"{table.qualified} does not have; it has: {', '.join(by_name)}")
    rest = [p for n, p in found if n not in wanted]  # every other row: one more segment
    preds = [by_name[n] for n in wanted] + ([" OR ".join(f"({p})" for p in rest)] if rest else [])
    return Partitioning("partitions-list", None, tuple(preds))


def parallel_load(rule: Rule, table: Table, source: Any,
                  with_native: bool) -> tuple[Partitioning | None, str | None]:
    """The table's partitioning from its parallel-load rule; a note when it falls back."""
    pl: ParallelLoad | None = rule.parallel_load
    if pl is None:
        return None, None
    if pl.type == "none":
        return Partitioning("single"), None
    if pl.type == "ranges":
        return range_partitioning(rule, table, source), None
    if not with_native:
        return None, None
    part = native_partitioning(rule, table, source)
    if part is None:
        return None, (f"{rule.label}: parallel-load {pl.type}: {table.qualified} has no "
                      f"partitions on the {source.engine} source; it is split the default way")
    return part, None


def lob_limit(rule: Rule | None, table: Table, settings: Any,
              is_lob: Any) -> LobLimit | None:
    """The LOB limit of one table: its lob-settings rule (limited: bulk-max-size KB;
    unlimited: none; none: the task's), else TargetMetadata.LimitedSizeLobMode/LobMaxSize.
    Text and binary LOB columns only: a cut JSON, XML or geometry value would not be one."""
    if rule is not None and rule.lob is not None and rule.lob.mode != "none":
        if rule.lob.mode == "unlimited":
            return None
        kb, origin = rule.lob.bulk_max_size_kb, rule.label
    elif settings["TargetMetadata.LimitedSizeLobMode"] and settings["TargetMetadata.LobMaxSize"]:
        kb, origin = settings["TargetMetadata.LobMaxSize"], "TargetMetadata.LobMaxSize"
    else:
        return None
    cols = tuple(c.name for c in table.columns if is_lob(c.ltype) and _cuttable(c.ltype))
    return LobLimit(kb * 1024, cols, origin) if cols else None


def _cuttable(ltype: LType) -> bool:
    return ltype.kind in ("text", "citext", "varchar", "blob", "varbinary")
