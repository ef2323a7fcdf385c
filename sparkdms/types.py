"""The logical type set in the middle of every conversion.

Each dialect maps its native types to an ``LType`` and back in one readable
table (see ``connectors/jdbc/*.py`` and ``connectors/lake.py``); Spark types
are derived here, once, from the logical type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

# kind -> human description; the closed set of logical kinds
KINDS: dict[str, str] = {
    "int8": "8-bit signed integer", "int16": "16-bit signed integer",
    "int32": "32-bit signed integer", "int64": "64-bit signed integer",
    "uint8": "8-bit unsigned", "uint16": "16-bit unsigned", "uint24": "24-bit unsigned",
    "uint32": "32-bit unsigned", "uint64": "64-bit unsigned",
    "decimal": "exact decimal(p,s); precision None = unbounded",
    "float32": "IEEE single", "float64": "IEEE double",
    "char": "fixed-length text(n)", "varchar": "variable text(n)", "text": "unbounded text",
    "binary": "fixed binary(n)", "varbinary": "variable binary(n)", "blob": "unbounded binary",
    "boolean": "true/false", "date": "calendar date", "time": "time of day(p)",
    "timestamp": "timestamp without zone(p)", "timestamptz": "instant, stored UTC(p)",
    "interval": "duration", "json": "JSON document", "uuid": "128-bit UUID",
    "enum": "one of a fixed set of strings", "set": "subset of a fixed set of strings",
    "array": "array of an element type", "document": "nested document",
    "bit": "bit string(n)", "year": "calendar year", "money": "currency amount",
    "inet": "network address", "geometry": "spatial value", "xml": "XML document",
}

INTEGER_KINDS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint24", "uint32",
                 "uint64")
STRING_KINDS = ("char", "varchar", "text")
LOB_KINDS = ("text", "blob", "json", "xml", "document")


@dataclass(frozen=True)
class LType:
    kind: str
    length: int | None = None  # characters or bytes
    precision: int | None = None  # decimal digits; fractional-second digits for time kinds
    scale: int | None = None
    values: tuple[str, ...] = ()  # enum / set members
    element: LType | None = None  # array element

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown logical type kind {self.kind!r}")

    def with_(self, **changes: object) -> LType:
        return replace(self, **changes)  # type: ignore[arg-type]

    def __str__(self) -> str:
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})" if self.precision else "decimal"
        if self.length is not None:
            return f"{self.kind}({self.length})"
        if self.precision is not None:
            return f"{self.kind}({self.precision})"
        if self.kind == "array" and self.element is not None:
            return f"array<{self.element}>"
        return self.kind


_TYPE_RE = re.compile(r"^\s*([A-Za-z_][\w ]*?)\s*(?:\(\s*([^)]*)\s*\))?\s*((?:\[\])*)\s*([\w ]*)$")


@dataclass(frozen=True)
class NativeType:
    """A native type string split into name, arguments and trailing words."""

    name: str
    args: tuple[str, ...] = ()
    array_dims: int = 0
    suffix: str = ""  # e.g. "unsigned", "with time zone"

    def int_arg(self, i: int) -> int | None:
        try:
            return int(self.args[i])
        except (IndexError, ValueError):
            return None


SUFFIXES = ("with time zone", "without time zone", "unsigned zerofill", "unsigned", "zerofill",
            "signed")


def parse_native(text: str) -> NativeType:
    """``numeric(12, 2)`` -> NativeType('numeric', ('12', '2'));
    ``timestamp with time zone`` -> NativeType('timestamp', suffix='with time zone')."""
    text = text.strip()
    if "(" not in text:
        dims = text.count("[]")
        name = text.replace("[]", "").strip().lower()
        for suffix in SUFFIXES:
            if name.endswith(" " + suffix):
                return NativeType(name[: -len(suffix) - 1].strip(), (), dims, suffix)
        return NativeType(name, (), dims)
    m = _TYPE_RE.match(text)
    if not m:
        return NativeType(text.strip().lower())
    name, args, arrays, suffix = m.groups()
    arg_list = tuple(a.strip().strip("'") for a in args.split(",")) if args else ()
    return NativeType(name.strip().lower(), arg_list, len(arrays) // 2, suffix.strip().lower())


# --- Spark types, derived once from the logical type --------------------------------------

def _spark_decimal(t: LType):
    from pyspark.sql import types as T

    if t.precision is not None and t.precision <= 38 and (t.scale or 0) <= t.precision:
        return T.DecimalType(t.precision, t.scale or 0)
    return T.StringType()  # unbounded or > 38 digits: carried as exact text


def _spark_simple(name: str) -> Callable[[LType], object]:
    def make(_: LType) -> object:
        from pyspark.sql import types as T

        return getattr(T, name)()

    return make


SPARK_TYPES: dict[str, Callable[[LType], object]] = {
    "int8": _spark_simple("ByteType"), "int16": _spark_simple("ShortType"),
    "int32": _spark_simple("IntegerType"), "int64": _spark_simple("LongType"),
    "uint8": _spark_simple("ShortType"), "uint16": _spark_simple("IntegerType"),
    "uint24": _spark_simple("IntegerType"), "uint32": _spark_simple("LongType"),
    "uint64": lambda t: _spark_decimal(LType("decimal", precision=20, scale=0)),
    "decimal": _spark_decimal,
    "float32": _spark_simple("FloatType"), "float64": _spark_simple("DoubleType"),
    "boolean": _spark_simple("BooleanType"), "date": _spark_simple("DateType"),
    "timestamp": _spark_simple("TimestampNTZType"), "timestamptz": _spark_simple("TimestampType"),
    "binary": _spark_simple("BinaryType"), "varbinary": _spark_simple("BinaryType"),
    "blob": _spark_simple("BinaryType"), "geometry": _spark_simple("BinaryType"),
}


def spark_type(t: LType) -> object:
    """The Spark SQL type that carries ``t`` without loss (text when nothing else will)."""
    from pyspark.sql import types as T

    make = SPARK_TYPES.get(t.kind)
    return make(t) if make else T.StringType()


def is_carried_as_text(t: LType) -> bool:
    from pyspark.sql import types as T

    return isinstance(spark_type(t), T.StringType) and t.kind not in STRING_KINDS
