"""AWS DMS data types, as ``add-column`` and ``change-data-type`` name them in their
``data-type`` block and as an object locator's ``data-type`` selects source columns.

https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Reference.DataTypes.html
The target's native type then comes from the target's own type table (``native_type``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sparkdms.plan.mapping.base import DataTypeSpec, Rule
from sparkdms.types import LType, parse_native


def _fixed(kind: str) -> Callable[[DataTypeSpec], LType]:
    return lambda d: LType(kind)


def _sized(bounded: str, unbounded: str) -> Callable[[DataTypeSpec], LType]:
    return lambda d: LType(bounded, length=d.length) if d.length else LType(unbounded)


def _numeric(d: DataTypeSpec) -> LType:
    if d.precision is None:
        return LType("decimal")
    return LType("decimal", precision=d.precision, scale=d.scale or 0)


def _datetime(d: DataTypeSpec) -> LType:
    scale = d.precision if d.precision is not None else d.scale
    return LType("timestamp", precision=6 if scale is None else min(scale, 9))


# AWS type name -> logical type; string/wstring without a length are unbounded text
AWS_TYPES: dict[str, Callable[[DataTypeSpec], LType]] = {
    "boolean": _fixed("boolean"),
    "bytes": _sized("varbinary", "blob"),
    "date": _fixed("date"),
    "time": lambda d: LType("time", precision=d.precision if d.precision is not None else d.scale),
    "datetime": _datetime,
    "int1": _fixed("int8"), "int2": _fixed("int16"), "int4": _fixed("int32"),
    "int8": _fixed("int64"),
    "uint1": _fixed("uint8"), "uint2": _fixed("uint16"), "uint4": _fixed("uint32"),
    "uint8": _fixed("uint64"),
    "numeric": _numeric,
    "real4": _fixed("float32"), "real8": _fixed("float64"),
    "string": _sized("varchar", "text"), "wstring": _sized("varchar", "text"),
    "blob": _fixed("blob"), "clob": _fixed("text"), "nclob": _fixed("text"),
}

# logical kind of a source column -> the AWS type names that select it in an object locator
AWS_NAMES: dict[str, tuple[str, ...]] = {
    "int8": ("int1",), "int16": ("int2",), "int32": ("int4",), "int64": ("int8",),
    "uint8": ("uint1",), "uint16": ("uint2",), "uint24": ("uint4",), "uint32": ("uint4",),
    "uint64": ("uint8",), "decimal": ("numeric",), "money": ("numeric",),
    "float32": ("real4",), "float64": ("real8",),
    "char": ("string", "wstring"), "varchar": ("string", "wstring"),
    "text": ("clob", "nclob"), "citext": ("clob", "nclob"), "json": ("nclob",),
    "xml": ("nclob",), "enum": ("string", "wstring"), "set": ("string", "wstring"),
    "uuid": ("string", "wstring"), "interval": ("string",),
    "binary": ("bytes",), "varbinary": ("bytes",), "blob": ("blob",),
    "date": ("date",), "time": ("time",), "timetz": ("time",),
    "timestamp": ("datetime",), "timestamptz": ("datetime",), "boolean": ("boolean",),
    "year": ("int2",),
}


def _int(rule: Rule, raw: Mapping[str, Any], key: str, low: int = 0) -> int | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise rule.error(f"data-type {key} must be a whole number, got {value!r}") from None
    if number < low:
        raise rule.error(f"data-type {key} must be at least {low}, got {number}")
    return number


def parse_data_type(rule: Rule, raw: Any) -> DataTypeSpec:
    if not isinstance(raw, Mapping) or not raw.get("type"):
        raise rule.error("'data-type' needs a 'type' (one of " + ", ".join(AWS_TYPES) + ")")
    name = str(raw["type"]).strip().lower()
    if name not in AWS_TYPES:
        raise rule.error(f"unknown data-type type {raw['type']!r}; AWS DMS types: "
                         + ", ".join(AWS_TYPES))
    spec = DataTypeSpec(name, _int(rule, raw, "length", 1), _int(rule, raw, "precision", 0),
                        _int(rule, raw, "scale", 0))
    if name == "numeric" and spec.precision is not None and (spec.scale or 0) > spec.precision:
        raise rule.error(f"data-type numeric: scale {spec.scale} is larger than precision "
                         f"{spec.precision}")
    return spec


def to_logical(spec: DataTypeSpec) -> LType:
    return AWS_TYPES[spec.type](spec)


def selects_column(wanted: str, ltype: LType, native: str) -> bool:
    """Does an object locator's ``data-type`` select a source column of this type? AWS type
    names (``int2``, ``string``, ``datetime``) match by logical kind; a native type name of
    the source (``varchar``, ``timestamp with time zone``) matches too."""
    wanted = " ".join(wanted.lower().split())
    spelled = " ".join(native.lower().split())
    return wanted in AWS_NAMES.get(ltype.kind, ()) or wanted in (spelled,
                                                                   parse_native(native).name)
