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
    identity_always: bool = False  # GENERATED ALWAYS AS IDENTITY (values only by override)
    user_type: tuple[str, str] | None = None  # (schema, name) of a UserType of its table


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool = False


@dataclass(frozen=True)
class IndexKey:
    """One key (or INCLUDE) element of a ``NativeIndex``: the plain column it names (None for
    an expression), its SQL text, and what follows it (opclass, COLLATE, DESC, NULLS ...)."""

    column: str | None
    expression: str
    suffix: str = ""


@dataclass(frozen=True)
class NativeIndex:
    """An index a plain column list cannot say (another method than B-tree, expressions, a
    WHERE predicate), in its engine's SQL by parts, so a target of the same family can
    rebuild it under its own names: ``CREATE [UNIQUE] INDEX .. USING method (keys)
    [INCLUDE (include)] [WITH (options)] [WHERE predicate]``."""

    name: str
    method: str
    keys: tuple[IndexKey, ...]
    unique: bool = False
    include: tuple[str, ...] = ()
    options: str = ""
    predicate: str = ""
    columns: tuple[str, ...] = ()  # every column it uses (keys, expressions, predicate)
    definition: str = ""  # the source's full definition, for notes


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
class TypeUse:
    """A type inside a user type (a domain's base, a composite's attribute): as the engine
    spells it, and the (schema, name) of the user type it is built on, if any."""

    native: str
    user_type: tuple[str, str] | None = None
    array: bool = False  # an array of ``user_type``


@dataclass(frozen=True)
class UserType:
    """A type the database defines (PostgreSQL CREATE TYPE / CREATE DOMAIN): an enum with its
    labels in order, a domain over a base type with NOT NULL, DEFAULT and CHECKs (conditions
    over VALUE, in the engine's SQL), or a composite with its attributes."""

    schema: str
    name: str
    kind: str  # "enum", "domain" or "composite"
    labels: tuple[str, ...] = ()
    base: TypeUse | None = None
    not_null: bool = False
    default: str | None = None
    checks: tuple[Check, ...] = ()
    attributes: tuple[tuple[str, TypeUse], ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def uses(self) -> tuple[tuple[str, str], ...]:
        """The user types this one is built on."""
        inner = [self.base] if self.base else [t for _, t in self.attributes]
        return tuple(t.user_type for t in inner if t is not None and t.user_type)


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
    # (index, why) of indexes discovery left out (GIN, FULLTEXT, ...): said as not created
    skipped_indexes: tuple[tuple[str, str], ...] = ()
    # indexes of another method / with expressions or a predicate, by parts: rebuilt on a
    # target of the same family (connectors/sql/objects/native.py), else said as not created
    native_indexes: tuple[NativeIndex, ...] = ()
    # the user types its columns use, those they are built on first
    user_types: tuple[UserType, ...] = ()
    # what discovery learned that the plan shows as table warnings (a MongoDB field whose
    # type varies between sampled documents and is widened, ...)
    notes: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.qualified} has no column {name!r}")

    def user_type(self, key: tuple[str, str] | None) -> UserType | None:
        return next((u for u in self.user_types if u.key == key), None) if key else None


@dataclass(frozen=True)
class Catalog:
    engine: str
    tables: tuple[Table, ...] = field(default_factory=tuple)

    def table(self, schema: str, name: str) -> Table:
        for t in self.tables:
            if t.schema == schema and t.name == name:
                return t
        raise KeyError(f"no table {schema}.{name} in the source catalog")
