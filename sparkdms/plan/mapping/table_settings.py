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

A segment is one Spark partition. The rule is checked here and handed to the source
engine as a ``PartitionRequest`` (data); the engine builds the segments (relational
engines as SQL conditions: ``connectors/sql/partitions.py``).
"""

from __future__ import annotations

from typing import Any

from sparkdms.catalog import Column, Table
from sparkdms.plan import LobLimit, PartitionRequest
from sparkdms.plan.mapping.base import ParallelLoad, Rule
from sparkdms.plan.mapping.filters import check_value
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


def partition_request(rule: Rule, table: Table) -> PartitionRequest | None:
    """The table's parallel-load rule as data for the source engine, checked here: range
    columns exist and can be compared exactly, no boundary holds a NULL, every boundary
    value fits its column's type."""
    pl: ParallelLoad | None = rule.parallel_load
    if pl is None:
        return None
    boundaries: list[tuple[str, ...]] = []
    if pl.type == "ranges":
        cols = range_columns(rule, table)
        for k, bound in enumerate(pl.boundaries):
            if any(v is None for v in bound):
                raise rule.error(f"boundary {k + 1} has a null value; NULLs get a segment of "
                                 "their own and cannot be a boundary")
            try:
                boundaries.append(tuple(
                    check_value(str(v), c.ltype, f"boundary {k + 1}, column {c.name}")
                    for v, c in zip(bound, cols, strict=True)))
            except ValueError as err:
                raise rule.error(str(err)) from None
    return PartitionRequest(pl.type, pl.columns, tuple(boundaries), pl.partitions,
                            pl.subpartitions, rule.rule_id, rule.rule_name)


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
