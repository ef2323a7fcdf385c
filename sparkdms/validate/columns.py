"""What is compared, column by column: the value kind of each target column and the
physical type it has on each side.

A *value kind* (int, dec, float, str, ts, json, ...) decides the canonical text both sides
render (see ``canon``): values that a correct migration keeps equal render to identical
text in every engine's SQL and in Spark, so a checksum of that text can be computed inside
each database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sparkdms.catalog import Table
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.types import INTEGER_KINDS, LOB_KINDS, LType

# logical kind -> value kind (what the canonical text of a value is)
VALUE_KINDS: dict[str, str] = {
    **dict.fromkeys((*INTEGER_KINDS, "year"), "int"),
    "decimal": "dec", "money": "dec",
    "float32": "float", "float64": "float",
    "boolean": "bool",
    "char": "char",
    **dict.fromkeys(("varchar", "text", "enum", "set", "xml", "inet", "interval", "array"), "str"),
    "bit": "bit",
    **dict.fromkeys(("binary", "varbinary", "blob", "geometry"), "bin"),
    "date": "date", "time": "time", "timestamp": "ts", "timestamptz": "ts",
    "json": "json", "document": "json",
    "uuid": "uuid",
}
STRING_KINDS = ("str", "char", "json", "uuid")
# significant decimal digits two floats must share to compare equal (documented tolerance)
FLOAT_DIGITS = {"float32": 7, "float64": 15}
MAX_FRACTION = 6  # microseconds
# an added column whose expression calls one of these has a value of its own on each read
VOLATILE = ("current_", "now(", "rand", "uuid", "unix_timestamp", "localtimestamp", "datetime(")


@dataclass(frozen=True)
class ColumnSpec:
    """One compared column. ``name`` is the target column; ``source`` the source column
    (None when the value is computed by a Spark expression of the plan)."""

    name: str
    value_kind: str
    source: str | None
    source_type: LType | None
    target_type: LType | None
    planned: LType
    expression: str | None = None
    digits: int | None = None  # float: significant digits; ts/time: fractional digits
    scale: int | None = None  # dec: the source is rounded to this scale (the target has fewer)
    trim: bool = False  # trailing spaces are not significant (char(n), HandleCollationDiff)
    empty_is_null: bool = False  # the target stores '' as NULL (e.g. Oracle)


@dataclass(frozen=True)
class Options:
    handle_collation_diff: bool = False
    skip_lobs: bool = False
    empty_is_null: bool = False


@dataclass
class TableColumns:
    columns: list[ColumnSpec]
    key: list[str]  # target names of the key columns ([] = no key)
    key_source: str  # "primary key", "unique index <name>", ""
    skipped: list[str] = field(default_factory=list)  # "<col>: reason"
    schema_problems: list[str] = field(default_factory=list)

    def spec(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def value_kind_of(col: ColumnPlan, target: LType | None) -> str:
    kinds = {col.ltype.kind, target.kind if target else col.ltype.kind}
    if col.source is not None:
        kinds.add(col.source.ltype.kind)
    kind = VALUE_KINDS.get(col.ltype.kind, "str")
    if kind in ("str", "char") and "char" in kinds:
        return "char"
    return kind


def precision(t: LType | None) -> int:
    if t is None or t.precision is None:
        return MAX_FRACTION
    return min(t.precision, MAX_FRACTION)


def digits_of(value_kind: str, types: list[LType | None]) -> int | None:
    if value_kind == "float":
        return min(FLOAT_DIGITS.get(t.kind, 15) for t in types if t is not None)
    if value_kind in ("ts", "time"):
        return min(precision(t) for t in types if t is not None)
    return None


def round_scale(col: ColumnPlan, target: LType | None) -> int | None:
    """The scale the load rounds source decimals to, when the target keeps fewer digits."""
    want = target if target is not None and target.kind == "decimal" else col.ltype
    if col.source is None or want.kind != "decimal" or want.scale is None:
        return None
    have = col.source.ltype
    if have.kind == "decimal" and (have.scale is None or have.scale > want.scale):
        return want.scale
    return None


def column_spec(col: ColumnPlan, target: LType | None, options: Options) -> ColumnSpec:
    kind = value_kind_of(col, target)
    src = col.source.ltype if col.source is not None else None
    return ColumnSpec(
        name=col.target_name, value_kind=kind,
        source=col.source.name if col.source is not None and col.expression is None else None,
        source_type=src, target_type=target, planned=col.ltype, expression=col.expression,
        digits=digits_of(kind, [src, target, col.ltype]),
        scale=round_scale(col, target),
        trim=kind == "char" or (options.handle_collation_diff and kind == "str"),
        empty_is_null=options.empty_is_null and kind in STRING_KINDS)


def choose_key(plan: TablePlan) -> tuple[list[str], str]:
    """The primary key, else a unique index whose columns are all NOT NULL (as AWS DMS)."""
    if plan.primary_key:
        return list(plan.primary_key), "primary key"
    not_null = {c.target_name for c in plan.columns if not c.nullable}
    for index in plan.indexes:
        if index.unique and index.columns and set(index.columns) <= not_null:
            return list(index.columns), f"unique index {index.name}"
    return [], ""


def table_columns(plan: TablePlan, target: Table | None, options: Options,
                  target_types: dict[str, Any] | None = None) -> TableColumns:
    """Pair planned columns with the target's actual columns. ``target`` is the discovered
    target table (None for targets whose columns come from ``target_types``)."""
    actual = {c.name: c.ltype for c in target.columns} if target is not None else {}
    present = set(actual) | set(target_types or {})
    key, key_source = choose_key(plan)
    out = TableColumns([], key, key_source)
    for col in plan.columns:
        if present and col.target_name not in present:
            out.schema_problems.append(f"column {col.target_name} is missing on the target")
            continue
        if col.expression and any(v in col.expression.lower() for v in VOLATILE) \
                and col.target_name not in key:
            out.skipped.append(f"{col.target_name}: computed at load time ({col.expression})")
            continue
        if options.skip_lobs and col.ltype.kind in LOB_KINDS and col.target_name not in key:
            out.skipped.append(f"{col.target_name}: LOB column (SkipLobColumns)")
            continue
        out.columns.append(column_spec(col, actual.get(col.target_name), options))
    planned = {c.target_name for c in plan.columns}
    for name in sorted(present - planned):
        out.schema_problems.append(f"column {name} on the target is not in the plan")
    if any(k not in {c.name for c in out.columns} for k in key):
        out.schema_problems.append(f"key column(s) {', '.join(key)} missing on the target")
        out.key, out.key_source = [], ""
    return out
