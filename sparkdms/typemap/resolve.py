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
from sparkdms.mapping.wildcard import matches
from sparkdms.typemap import dialect
from sparkdms.types import LType, parse_native, spark_type

TYPE_PREFIX = "type:"
MYSQL_KEY_BYTES = 3072  # InnoDB index key limit (DYNAMIC row format)
MYSQL_LOBS = ("tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob", "mediumblob",
              "longblob", "json")

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


def _bq(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _spark_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _same_family(source: Any, target: Any) -> bool:
    return bool(getattr(source, "family", "")) and source.family == getattr(target, "family", "")


def _override(ov: Override, table: Table, col: Column, target: Any) -> Resolved:
    ltype = dialect(target.engine).to_logical(ov.target_type)
    if ltype.kind == "unknown":
        ltype = LType("text")  # a type the table does not know: Spark carries text
    return Resolved(ltype, ov.target_type, override=ov.key)


def _default(table: Table, col: Column, source: Any, target: Any) -> Resolved:
    if _same_family(source, target):
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
    if hasattr(source, "peer_family"):  # sources that read some types per target family
        source.peer_family = getattr(target, "family", "")
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


# -- adaptations: the target stores the value exactly only if Spark sends it this way -------

def _mysql_bit(r: Resolved, table: Table, col: Column, target: Any) -> Resolved:
    """MySQL takes bit(n) values as numbers (a string would be stored as its bytes)."""
    if not r.target_type.lower().startswith("bit") or col.ltype.kind not in ("bit", "varbit"):
        return r
    return Resolved(LType("uint64"), r.target_type,
                    f"CAST(conv({_bq(col.name)}, 2, 10) AS DECIMAL(20,0))", r.override)


def _decimal_guard(r: Resolved, table: Table, col: Column, target: Any) -> Resolved:
    """Unbounded/wide decimals travel as exact text; a bounded target decimal would round
    extra fractional digits silently (MySQL does), so such a value stops the load."""
    dst = dialect(target.engine).to_logical(r.target_type)
    src = col.ltype
    if src.kind != "decimal" or dst.kind != "decimal" or dst.precision is None:
        return r
    if spark_type(src).simpleString() != "string":  # type: ignore[attr-defined]
        return r
    if src.scale is not None and src.scale <= (dst.scale or 0) and src.precision is not None \
            and src.precision - src.scale <= dst.precision - (dst.scale or 0):
        return r
    scale, whole = dst.scale or 0, dst.precision - (dst.scale or 0)
    message = (f"table {table.qualified}, column {col.name}: a value has more than {scale} "
               f"fractional or {whole} integer digits and does not fit {r.target_type}; "
               f"add type_overrides {{\"{table.schema}.{table.name}.{col.name}\": \"...\"}} "
               "with a wider type")
    c = _bq(col.name)
    frac = f"[.][0-9]{{{scale}}}[0-9]*[1-9]" if scale else "[.][0-9]*[1-9]"
    expr = (f"CASE WHEN {c} RLIKE '{frac}' OR {c} RLIKE '^-?0*[1-9][0-9]{{{whole},}}' "
            f"THEN CAST(raise_error({_spark_literal(message)}) AS STRING) ELSE {c} END")
    return Resolved(r.ltype, r.target_type, expr, r.override)


def key_columns(table: Table) -> dict[str, int]:
    """column -> the most columns of any key (PK, unique, index) it belongs to."""
    out: dict[str, int] = {}
    keys = [table.primary_key, *(i.columns for i in table.indexes),
            *(fk.columns for fk in table.foreign_keys)]
    for cols in keys:
        for c in cols:
            out[c] = max(out.get(c, 0), len(cols))
    return out


def _mysql_key_lob(r: Resolved, table: Table, col: Column, target: Any) -> Resolved:
    """InnoDB cannot index text/blob columns whole: a key column from another engine becomes
    varchar/varbinary sized to fit the 3072-byte key limit (longer values are rejected, never
    cut). Between MySQL engines the source's own prefix indexes apply (see objects.py)."""
    width = key_columns(table).get(col.name)
    base = parse_native(r.target_type).name
    if not width or base not in MYSQL_LOBS:
        return r
    chars = max(MYSQL_KEY_BYTES // 4 // width, 1)
    if base.endswith("blob"):
        return Resolved(LType("varbinary", length=chars * 4), f"varbinary({chars * 4})",
                        r.expression, r.override)
    collate = r.target_type[r.target_type.lower().find(" collate "):] \
        if " collate " in r.target_type.lower() else ""
    return Resolved(LType("varchar", length=chars), f"varchar({chars}){collate}", r.expression,
                    r.override)


ADAPTERS = {"mysql": (_mysql_bit, _decimal_guard, _mysql_key_lob)}


CROSS_FAMILY_ONLY = (_mysql_key_lob,)


def adapt(r: Resolved, table: Table, col: Column, source: Any, target: Any) -> Resolved:
    same = _same_family(source, target)
    for step in ADAPTERS.get(getattr(target, "family", ""), ()):
        if not (same and step in CROSS_FAMILY_ONLY):
            r = step(r, table, col, target)
    return r


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
