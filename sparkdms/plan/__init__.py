"""The plan: per table, everything the load will do, decided before Spark starts.

``sparkdms plan`` prints it; ``execute`` carries it out. Built from the
source catalog, the table-mapping rules and the target's type table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sparkdms.catalog import Column, ForeignKey, Index, Table
from sparkdms.errors import MappingRuleError
from sparkdms.types import LType


@dataclass(frozen=True)
class Condition:
    operator: str  # AWS filter-operator, lower case ("ste" is read as "lte")
    values: tuple[str, ...] = ()  # value, or start-value and end-value (checked, see below)


@dataclass(frozen=True)
class Filter:
    """One AWS source filter as neutral data: its conditions are ORed; separate filters are
    ANDed. In a TablePlan the values are checked for the column's type (numbers as plain
    decimal text, booleans as ``true``/``false``); each engine renders them its own way."""

    column: str
    conditions: tuple[Condition, ...]

    def describe(self) -> str:
        parts = [f"{self.column} {c.operator} {' and '.join(map(repr, c.values))}".rstrip()
                 for c in self.conditions]
        return " or ".join(parts)


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
    # the expression as change data capture evaluates it, where it differs (change headers
    # such as $AR_H_OPERATION read the change's columns: sparkdms/cdc/frame.py)
    cdc_expression: str | None = None

    @property
    def source_name(self) -> str | None:
        return self.source.name if self.source else None


class Partition:
    """One Spark partition of a source read. Engines subclass it with a small picklable
    (frozen) dataclass that only they interpret: a SQL predicate, an ``_id`` range, a scan
    segment, a list of files. The core counts them and prints ``describe()``."""

    def describe(self) -> str:
        return repr(self)


@dataclass(frozen=True)
class Partitioning:
    method: str  # "range", "hash", "ctid", "single", "ranges", "partitions", ...
    column: str | None = None
    parts: tuple[Partition, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. a parallel-load rule the engine could not follow
    # when only some partitions are read (run --resume): each part's index in the whole
    # partitioning, which the writer records (Spark numbers the parts read 0, 1, ...)
    ids: tuple[int, ...] = ()

    @property
    def count(self) -> int:
        return max(1, len(self.parts))

    @property
    def described(self) -> tuple[str, ...]:
        """What each partition reads (a partition of every row describes as nothing)."""
        return tuple(d for d in (p.describe() for p in self.parts) if d)


@dataclass(frozen=True)
class PartitionRequest:
    """A table-settings ``parallel-load`` rule as data, checked against the table: column
    names exist, boundary values are checked for their column's type (numbers as plain
    decimal text). The source engine turns it into partitions."""

    type: str  # ranges | partitions-auto | subpartitions-auto | partitions-list | none
    columns: tuple[str, ...] = ()
    boundaries: tuple[tuple[str, ...], ...] = ()
    partitions: tuple[str, ...] = ()
    subpartitions: tuple[str, ...] = ()
    rule_id: str = ""
    rule_name: str = ""

    @property
    def label(self) -> str:
        return f"rule {self.rule_id} ({self.rule_name!r})"

    def error(self, problem: str) -> MappingRuleError:
        return MappingRuleError(self.rule_id, self.rule_name, problem)


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
    filters: tuple[Filter, ...] = ()  # source filters, ANDed (neutral data)
    partitioning: Partitioning = Partitioning("single")
    parallel_load: PartitionRequest | None = None
    rule_ids: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)  # table-settings rule content
    warnings: tuple[str, ...] = ()
    # table-mapping rules (sparkdms/plan/mapping): source columns an add-column expression reads
    # besides the planned ones, the LOB limit, columns the rules removed, load-order
    read_columns: tuple[str, ...] = ()
    lob_limit: LobLimit | None = None
    removed_columns: tuple[str, ...] = ()  # "name (rule 3)"
    load_order: int = 0
    # family of the engine on the other side (e.g. "mysql" for a PostgreSQL source loading
    # MariaDB): a source may send some types in a portable wire form for it
    peer: str = ""
    # the rules the target engine reads itself (object-mapping, post-processing) that match
    # this table, as written in the table mapping (rule-id order)
    target_rules: tuple[Mapping[str, Any], ...] = ()

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
