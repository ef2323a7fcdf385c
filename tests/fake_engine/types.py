"""The fake engine's type names (a small Spark-like set) <-> logical types."""

from __future__ import annotations

from sparkdms.connectors.base import Dialect, IdentRules

from sparkdms.plan.typemap.rules import LogicalRule, NativeRule, exact, fixed, same, timed
from sparkdms.types import LType

NATIVE: dict[str, NativeRule] = {
    "byte": fixed("int8"), "short": fixed("int16"), "int": fixed("int32"), "long": fixed("int64"),
    "float": fixed("float32"), "double": fixed("float64"), "decimal": exact("decimal"),
    "bool": fixed("boolean"), "string": fixed("text"), "bytes": fixed("blob"),
    "date": fixed("date"), "timestamp": timed("timestamp"), "instant": timed("timestamptz"),
}


def _decimal(t: LType) -> str:
    if t.precision is not None and t.precision <= 38:
        return f"decimal({t.precision},{t.scale or 0})"
    return "string"  # wider than Spark's decimals: kept exactly as text


LOGICAL: dict[str, LogicalRule] = {
    "int8": same("byte"), "int16": same("short"), "int32": same("int"), "int64": same("long"),
    "uint8": same("short"), "uint16": same("int"), "uint24": same("int"), "uint32": same("long"),
    "uint64": same("decimal(20,0)"), "decimal": _decimal, "float32": same("float"),
    "float64": same("double"), "boolean": same("bool"), "date": same("date"),
    "timestamp": same("timestamp"), "timestamptz": same("instant"), "binary": same("bytes"),
    "varbinary": same("bytes"), "blob": same("bytes"), "geometry": same("bytes"),
    **{kind: same("string") for kind in (
        "char", "varchar", "text", "citext", "time", "timetz", "interval", "json", "document",
        "uuid", "enum", "set", "array", "bit", "varbit", "year", "money", "inet", "xml")},
}

FAKE = Dialect("fake", NATIVE, LOGICAL, identifiers=IdentRules(0, "chars", "keep", frozenset()),
               family="fake", quote_char="`")
