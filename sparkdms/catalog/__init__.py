"""What discovery finds on a source: tables, columns, keys, indexes.

Plain, picklable dataclasses: the contract between connectors (which fill
them) and the core (rules, type conversion, planning, validation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sparkdms.types import LType


@dataclass(frozen=True)
class Column:
    name: str
    native_type: str  # as the engine spells it in DDL, e.g. "numeric(12,2)"
    ltype: LType  # logical type, from the engine's type table
    nullable: bool = True
    default: str | None = None
    ordinal: int = 0
    identity: bool = False  # serial / identity / auto_increment


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool = False


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"


@dataclass(frozen=True)
class Check:
    name: str
    expression: str  # the condition, in the source engine's SQL (without CHECK)


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    row_estimate: int = 0
    kind: str = "table"  # "table" or "view"
    partitions: tuple[str, ...] = ()  # native partition names, where the engine has them
    checks: tuple[Check, ...] = ()  # check constraints (connectors/sql/objects/)
    engine: str = ""  # engine it was discovered on (dialect of defaults and checks)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.qualified} has no column {name!r}")


@dataclass(frozen=True)
class Catalog:
    engine: str
    tables: tuple[Table, ...] = field(default_factory=tuple)

    def table(self, schema: str, name: str) -> Table:
        for t in self.tables:
            if t.schema == schema and t.name == name:
                return t
        raise KeyError(f"no table {schema}.{name} in the source catalog")
