"""The parsed shape of one table-mapping rule and of what it carries (filters, data types,
table settings). Plain frozen dataclasses: every rule is checked once, when the task is
read, and the planner only applies them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sparkdms.errors import MappingRuleError
from sparkdms.plan import Filter


@dataclass(frozen=True)
class DataTypeSpec:
    """AWS ``data-type`` block: ``{"type": "string", "length": 50}``."""

    type: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None


@dataclass(frozen=True)
class PrimaryKeyDef:
    name: str
    columns: tuple[str, ...]
    origin: str = "primary-key"  # or "unique-index"


@dataclass(frozen=True)
class ParallelLoad:
    type: str  # ranges | partitions-auto | subpartitions-auto | partitions-list | none
    columns: tuple[str, ...] = ()
    boundaries: tuple[tuple[str | None, ...], ...] = ()
    partitions: tuple[str, ...] = ()
    subpartitions: tuple[str, ...] = ()


@dataclass(frozen=True)
class LobSettings:
    mode: str  # limited | unlimited | none
    bulk_max_size_kb: int = 0


@dataclass(frozen=True)
class Rule:
    rule_type: str
    rule_id: str
    rule_name: str
    action: str  # rule-action ("" for table-settings)
    locator: Mapping[str, Any]
    raw: Mapping[str, Any]
    target: str = ""  # rule-target of a transformation
    filters: tuple[Filter, ...] = ()
    load_order: int = 0
    value: str | None = None
    old_value: str | None = None
    data_type: DataTypeSpec | None = None
    expression: Any = None  # sparkdms.plan.mapping.expressions.Compiled
    primary_key: PrimaryKeyDef | None = None
    parallel_load: ParallelLoad | None = None
    lob: LobSettings | None = None
    no_effect: str = ""  # why the rule changes nothing in a sparkdms full load

    def error(self, problem: str) -> MappingRuleError:
        return MappingRuleError(self.rule_id, self.rule_name, problem)

    @property
    def label(self) -> str:
        return f"rule {self.rule_id} ({self.rule_name!r})"

    @property
    def order(self) -> tuple[int, str]:
        return (int(self.rule_id), "") if self.rule_id.isdigit() else (1 << 62, self.rule_id)
