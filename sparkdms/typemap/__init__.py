"""Per-dialect type tables: native -> logical and logical -> native.

Each module holds two readable dictionaries for one dialect family and a
``Dialect`` that bundles them. Families share tables by dict merge
(Redshift = PostgreSQL + its own rows, MariaDB = MySQL + its own rows; Aurora
engines are aliases in the registry). ``dialect(engine)`` imports lazily.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sparkdms.errors import UnsupportedTypeError
from sparkdms.typemap.rules import LogicalRule, NativeRule
from sparkdms.types import LType, NativeType, parse_native


def _no_fallback(_parsed: NativeType) -> NativeRule | None:
    return None


@dataclass(frozen=True)
class Dialect:
    name: str
    native: Mapping[str, NativeRule]
    logical: Mapping[str, LogicalRule]
    sqlglot: str | None = None  # sqlglot dialect for expressions (views, checks, defaults)
    fallback: Callable[[NativeType], NativeRule | None] = _no_fallback
    check_constraints: bool = True  # CHECK (...) enforced (enum/set members, checks)
    notes: Mapping[str, str] = field(default_factory=dict)  # kind -> how the target stores it

    def to_logical(self, native: str) -> LType:
        """Logical type of a native spelling; kind ``unknown`` when no row maps it."""
        parsed = parse_native(native)
        rule = self.native.get(parsed.name) or self.fallback(parsed)
        if rule is None:
            return LType("unknown", native=native)
        ltype = rule(parsed)
        return LType("array", element=ltype) if parsed.array_dims else ltype

    def to_native(self, ltype: LType) -> str:
        rule = self.logical.get(ltype.kind)
        if rule is None:
            raise UnsupportedTypeError("?", "?", str(ltype), f"{self.name} has no mapping")
        return rule(ltype)


# engine -> (module, attribute); aliases (aurora-*) resolve through the engine registry
DIALECTS: dict[str, tuple[str, str]] = {
    "postgres": ("postgres", "POSTGRES"), "redshift": ("redshift", "REDSHIFT"),
    "mysql": ("mysql", "MYSQL"), "mariadb": ("mysql", "MARIADB"),
    "sqlite": ("sqlite", "SQLITE"), "sqlserver": ("sqlserver", "SQLSERVER"),
    "oracle": ("oracle", "ORACLE"), "db2": ("db2", "DB2"),
    "delta": ("spark", "SPARK"), "parquet": ("spark", "SPARK"),
}


def dialect(engine: str) -> Dialect:
    try:
        module, attr = DIALECTS[engine]
    except KeyError:
        raise UnsupportedTypeError("?", "?", engine, f"no type tables for engine {engine!r}; "
                                   f"known: {', '.join(sorted(DIALECTS))}") from None
    return getattr(importlib.import_module(f"sparkdms.typemap.{module}"), attr)
