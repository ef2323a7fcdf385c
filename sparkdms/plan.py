"""The plan: per table, everything the load will do, decided before Spark starts.

``sparkdms plan`` prints it; ``execute`` carries it out. Built from the
source catalog, the table-mapping rules and the target's type table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sparkdms.catalog import Column, ForeignKey, Index, Table
from sparkdms.types import LType


@dataclass(frozen=True)
class ColumnPlan:
    target_name: str
    source: Column | None  # None for an added column
    ltype: LType  # logical type on the target side
    target_type: str  # native DDL type on the target
    nullable: bool = True
    expression: str | None = None  # Spark SQL expression (added / converted columns)
    default: str | None = None
    rule_ids: tuple[str, ...] = ()

    @property
    def source_name(self) -> str | None:
        return self.source.name if self.source else None


@dataclass(frozen=True)
class Partitioning:
    method: str  # "range", "hash", "rowid", "single", "ranges", "native", ...
    column: str | None = None
    predicates: tuple[str, ...] = ()  # SQL, rendered through the source dialect

    @property
    def count(self) -> int:
        return max(1, len(self.predicates))


@dataclass(frozen=True)
class LobLimit:
    """Values of ``columns`` (source names) over ``max_bytes`` are cut to it, counted and
    logged with their row keys; ErrorBehavior.DataTruncationErrorPolicy decides the rest
    (lob-settings table-settings rule, or TargetMetadata.LimitedSizeLobMode/LobMaxSize)."""

    max_bytes: int
    columns: tuple[str, ...]
    origin: str  # "rule 7 ('lobs')" or "TargetMetadata.LobMaxSize"


@dataclass(frozen=True)
class TablePlan:
    source: Table
    target_schema: str
    target_name: str
    columns: tuple[ColumnPlan, ...]
    primary_key: tuple[str, ...] = ()  # target column names
    indexes: tuple[Index, ...] = ()  # with target column names
    foreign_keys: tuple[ForeignKey, ...] = ()
    filters: tuple[str, ...] = ()  # SQL predicates on the source, ANDed
    partitioning: Partitioning = Partitioning("single")
    rule_ids: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)  # table-settings rule content
    warnings: tuple[str, ...] = ()
    # table-mapping rules (sparkdms/mapping): source columns an add-column expression reads
    # besides the planned ones, the LOB limit, columns the rules removed, load-order
    read_columns: tuple[str, ...] = ()
    lob_limit: LobLimit | None = None
    removed_columns: tuple[str, ...] = ()  # "name (rule 3)"
    load_order: int = 0

    @property
    def source_names(self) -> set[str]:
        """Every source column the read must return: planned columns and expression inputs."""
        return {c.source.name for c in self.columns if c.source is not None} | \
            set(self.read_columns)

    @property
    def source_label(self) -> str:
        return self.source.qualified

    @property
    def target_label(self) -> str:
        return f"{self.target_schema}.{self.target_name}" if self.target_schema else self.target_name

    def column(self, target_name: str) -> ColumnPlan:
        for col in self.columns:
            if col.target_name == target_name:
                return col
        raise KeyError(target_name)


@dataclass(frozen=True)
class Plan:
    task_name: str
    source_engine: str
    target_engine: str
    tables: tuple[TablePlan, ...]
    warnings: tuple[str, ...] = ()
