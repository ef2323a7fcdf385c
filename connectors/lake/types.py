"""Spark SQL types (Delta Lake and Parquet targets) <-> logical types.

Names are those ``DataType.simpleString()`` prints.
https://spark.apache.org/docs/latest/sql-ref-datatypes.html

Spark decimals stop at 38 digits: wider or unbounded decimals are kept exactly as
text (``string``). Timestamps keep microseconds; ``timestamp`` is an instant
(session time zone UTC), ``timestamp_ntz`` a wall clock. Unsigned 64-bit integers
become ``decimal(20,0)``. JSON, arrays from relational sources, intervals, enums and
UUIDs travel as text. ``LOGICAL_SPARK`` agrees with ``sparkdms.types.spark_type``
(a unit test checks every kind).
"""

from __future__ import annotations

from dataclasses import replace

from sparkdms.connectors.base import Dialect, IdentRules

from sparkdms.plan.typemap.rules import LogicalRule, NativeRule, exact, fixed, same
from sparkdms.types import LType, NativeType

# words the engine reserves (sparkdms quotes every name; the assessment lists them)
SPARK_RESERVED = frozenset("""
all and any as authorization both case cast check collate column constraint create cross
current_date current_time current_timestamp current_user distinct else end escape except false
fetch filter for foreign from full grant group having in inner intersect into is join lateral
leading left like not null on only or order outer overlaps primary references right select
session_user some table then time to trailing true union unique user using when where with
""".split())


def _decimal(t: LType) -> str:
    if t.precision is not None and t.precision <= 38 and (t.scale or 0) <= t.precision:
        return f"decimal({t.precision},{t.scale or 0})"
    return "string"


def _array(n: NativeType) -> LType:
    inner = n.args[0] if n.args else "string"
    return LType("array", element=SPARK.to_logical(inner))


NATIVE_SPARK: dict[str, NativeRule] = {
    "tinyint": fixed("int8"), "byte": fixed("int8"), "smallint": fixed("int16"),
    "short": fixed("int16"), "int": fixed("int32"), "integer": fixed("int32"),
    "bigint": fixed("int64"), "long": fixed("int64"), "decimal": exact("decimal"),
    "float": fixed("float32"), "real": fixed("float32"), "double": fixed("float64"),
    "string": fixed("text"), "varchar": fixed("text"), "char": fixed("text"),
    "binary": fixed("blob"), "boolean": fixed("boolean"), "date": fixed("date"),
    "timestamp": fixed("timestamptz", precision=6),
    "timestamp_ltz": fixed("timestamptz", precision=6),
    "timestamp_ntz": fixed("timestamp", precision=6), "void": fixed("text"),
    "map": fixed("document"), "struct": fixed("document"), "variant": fixed("json"),
}

LOGICAL_SPARK: dict[str, LogicalRule] = {
    "int8": same("tinyint"), "int16": same("smallint"), "int32": same("int"),
    "int64": same("bigint"), "uint8": same("smallint"), "uint16": same("int"),
    "uint24": same("int"), "uint32": same("bigint"), "uint64": same("decimal(20,0)"),
    "decimal": _decimal, "float32": same("float"), "float64": same("double"),
    "boolean": same("boolean"), "date": same("date"), "timestamp": same("timestamp_ntz"),
    "timestamptz": same("timestamp"), "binary": same("binary"), "varbinary": same("binary"),
    "blob": same("binary"), "geometry": same("binary"),
    **{kind: same("string") for kind in (
        "char", "varchar", "text", "citext", "time", "timetz", "interval", "json", "document",
        "uuid", "enum", "set", "array", "bit", "varbit", "year", "money", "inet", "xml")},
}


def fallback(parsed: NativeType) -> NativeRule | None:
    if parsed.name.startswith(("array<", "array")):
        return _array
    if parsed.name.startswith(("map<", "struct<")):
        return fixed("document")
    if parsed.name.startswith("interval"):
        return fixed("interval")
    return None


SPARK = Dialect("spark", NATIVE_SPARK, LOGICAL_SPARK, "spark", fallback, family="spark",
                quote_char="`")
# Delta refuses these characters in column names; Parquet takes them
DELTA = replace(SPARK, name="delta", identifiers=IdentRules(
    0, "chars", "keep", SPARK_RESERVED, ci_columns=True, ci_tables=False,
    invalid_chars=" ,;{}()\n\t="))
PARQUET = replace(SPARK, name="parquet", identifiers=IdentRules(0, "chars", "keep", SPARK_RESERVED,
                                                                ci_columns=True))
