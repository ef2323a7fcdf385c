"""The type of one target column: default mapping, task-file overrides, and the small
adaptations a target needs so that Spark hands it values it stores exactly.

Task-file overrides (``type_overrides``), target native DDL types as values::

    type_overrides:
      "public.orders.amount": "numeric(14,2)"   # schema.table.column; % and _ wildcards
      "%.%.created_at": "datetime(6)"
      "type:money": "decimal(19,2)"             # every source column of this native type
      "type:numeric(40,20)": "decimal(40,20)"   # ... or of this exact spelling

A column key wins over a ``type:`` key; an exact spelling wins over a type name.
The override value must be a type the target's table knows (``TaskConfigError``
otherwise); Spark casts the values to it (a value that does not fit stops the load).
An override also makes an unmapped source type loadable (read as text).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from sparkdms.catalog import Catalog, Column, Table
from sparkdms.errors import TaskConfigError, UnsupportedTypeError
from sparkdms.plan.mapping.wildcard import matches
from sparkdms.plan.typemap import dialect
from sparkdms.types import LType, parse_native

TYPE_PREFIX = "type:"

_lenient: ContextVar[list[UnsupportedTypeError] | None] = ContextVar("sdms_lenient", default=None)


@dataclass(frozen=True)
class Override:
    key: str
    target_type: str
    column: tuple[str, str, str] | None = None  # schema, table, column patterns
    native: str | None = None  # lowercased native spelling or name

    def rank(self) -> int:
        if self.column is not None:
            return 0 if not any("%" in p or "_" in p for p in self.column) else 1
        return 2 if self.native and "(" in self.native else 3

    def matches(self, table: Table, col: Column) -> bool:
        if self.column is not None:
            s, t, c = self.column
            return matches(s, table.schema) and matches(t, table.name) and matches(c, col.name)
        spelled = " ".join(col.native_type.lower().split())
        return self.native in (spelled, parse_native(col.native_type).name)


def parse_overrides(raw: Mapping[str, Any]) -> list[Override]:
    out = []
    for key, value in raw.items():
        where = f"type_overrides.{key}"
        if not isinstance(value, str) or not value.strip():
            raise TaskConfigError(where, f"expected a target type such as 'numeric(14,2)', "
                                  f"got {value!r}")
        if str(key).lower().startswith(TYPE_PREFIX):
            native = " ".join(str(key)[len(TYPE_PREFIX):].lower().split())
            out.append(Override(str(key), value.strip(), native=native))
            continue
        parts = str(key).split(".")
        if len(parts) != 3 or not all(parts):
            raise TaskConfigError(where, "expected 'schema.table.column' (wildcards % and _) or "
                                  "'type:<source type>'")
        out.append(Override(str(key), value.strip(), column=(parts[0], parts[1], parts[2])))
    return sorted(out, key=Override.rank)


def find_override(overrides: list[Override], table: Table, col: Column) -> Override | None:
    return next((o for o in overrides if o.matches(table, col)), None)


@dataclass(frozen=True)
class Resolved:
    ltype: LType  # what Spark carries to the writer
    target_type: str  # native DDL type on the target
    expression: str | None = None  # Spark SQL over the source column, when values need it
    override: str | None = None  # the type_overrides key that decided


@contextlib.contextmanager
def lenient() -> Iterator[list[UnsupportedTypeError]]:
    """Plan without stopping at unmapped types: each one is recorded and planned as text
    (the assessment lists them all instead of the first)."""
    found: list[UnsupportedTypeError] = []
    token = _lenient.set(found)
    try:
        yield found
    finally:
        _lenient.reset(token)


def spark_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _override(ov: Override, table: Table, col: Column, target: Any) -> Resolved:
    ltype = dialect(target.engine).to_logical(ov.target_type)
    if ltype.kind == "unknown":
        ltype = LType("text")  # a type the table does not know: Spark carries text
    return Resolved(ltype, ov.target_type, override=ov.key)


def _default(table: Table, col: Column, source: Any, target: Any) -> Resolved:
    if source.dialect.same_family(target.dialect):
        return Resolved(col.ltype, col.native_type)
    if col.ltype.kind == "unknown":
        raise UnsupportedTypeError(table.qualified, col.name, col.native_type, override_hint(
            table, col, target))
    try:
        return Resolved(col.ltype, target.native_type(col.ltype))
    except UnsupportedTypeError:
        raise UnsupportedTypeError(table.qualified, col.name, col.native_type,
                                   f"no {target.engine} type for logical {col.ltype}; "
                                   + override_hint(table, col, target)) from None


def override_hint(table: Table, col: Column, target: Any) -> str:
    try:
        text = target.native_type(LType("text"))
    except UnsupportedTypeError:
        text = "text"
    return (f"add to the task file type_overrides: {{\"{table.schema}.{table.name}.{col.name}\": "
            f"\"{text}\"}} (or a change-data-type rule) to load it as text")


def resolve_column(overrides: list[Override], table: Table, col: Column, source: Any,
                   target: Any) -> Resolved:
    """Target type for one column; raises UnsupportedTypeError (unless planning leniently)."""
    ov = find_override(overrides, table, col)
    try:
        resolved = _override(ov, table, col, target) if ov else _default(table, col, source,
                                                                          target)
    except UnsupportedTypeError as err:
        found = _lenient.get()
        if found is None:
            raise
        found.append(err)
        return Resolved(LType("text"), target.native_type(LType("text")))
    return adapt(resolved, table, col, source, target)


def adapt(r: Resolved, table: Table, col: Column, source: Any, target: Any) -> Resolved:
    """The target's own adaptations (``Target.adapt_column``), e.g. MySQL bit values sent as
    numbers, key columns narrowed to fit InnoDB's key limit."""
    return target.adapt_column(r, table, col, source.dialect.same_family(target.dialect))


def read_as_text(catalog: Catalog, overrides: list[Override], target: Any) -> Catalog:
    """A column overridden to a text type is read as text on the source too (its native
    text form: 'infinity', '-01:00:00', a cube), so no value has to pass through a Spark type
    that cannot hold it. Its logical type becomes ``unknown`` (native spelling kept)."""
    if not overrides:
        return catalog
    textual = ("char", "varchar", "text", "citext")
    tables = []
    for table in catalog.tables:
        columns = []
        for col in table.columns:
            ov = find_override(overrides, table, col)
            if ov is not None and col.ltype.kind not in textual and \
                    dialect(target.engine).to_logical(ov.target_type).kind in textual:
                col = replace(col, ltype=LType("unknown", native=col.native_type))
            columns.append(col)
        tables.append(replace(table, columns=tuple(columns)))
    return replace(catalog, tables=tuple(tables))
