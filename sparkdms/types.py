"""The logical type set in the middle of every conversion.

Each dialect maps its native types to an ``LType`` and back in one readable
table (see ``connectors/jdbc/*.py`` and ``connectors/lake.py``); Spark types
are derived here, once, from the logical type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

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
    "varbit": "variable bit string(n)", "timetz": "time of day with zone offset(p)",
    "citext": "case-insensitive text", "unknown": "a native type no table maps (needs an override)",
}

INTEGER_KINDS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint24", "uint32",
                 "uint64")
STRING_KINDS = ("char", "varchar", "text")
LOB_KINDS = ("text", "blob", "json", "xml", "document", "citext", "geometry")
TIME_KINDS = ("time", "timetz", "timestamp", "timestamptz")

# inclusive value range of every integer kind
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "int8": (-(2**7), 2**7 - 1), "int16": (-(2**15), 2**15 - 1), "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1), "uint8": (0, 2**8 - 1), "uint16": (0, 2**16 - 1),
    "uint24": (0, 2**24 - 1), "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1),
}


@dataclass(frozen=True)
class LType:
    kind: str
    length: int | None = None  # characters or bytes
    precision: int | None = None  # decimal digits; fractional-second digits for time kinds
    scale: int | None = None
    values: tuple[str, ...] = ()  # enum / set members
    element: LType | None = None  # array element
    native: str = ""  # the native spelling, kept for kind "unknown" (and for messages)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown logical type kind {self.kind!r}")

    def with_(self, **changes: object) -> LType:
        return replace(self, **changes)  # type: ignore[arg-type]

    def __str__(self) -> str:
        if self.kind == "unknown":
            return f"unknown({self.native})"
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})" if self.precision else "decimal"
        if self.length is not None:
            return f"{self.kind}({self.length})"
        if self.precision is not None:
            return f"{self.kind}({self.precision})"
        if self.kind == "array" and self.element is not None:
            return f"array<{self.element}>"
        return self.kind


@dataclass(frozen=True)
class NativeType:
    """A native type string split into name, arguments and trailing words."""

    name: str
    args: tuple[str, ...] = ()
    array_dims: int = 0
    suffix: str = ""  # e.g. "unsigned", "with time zone", "for bit data"

    def int_arg(self, i: int) -> int | None:
        """The i-th argument as a number: ``10`` -> 10, ``100 BYTE`` -> 100, ``1M`` -> 1048576;
        None when missing or not a number (``max``)."""
        try:
            text = self.args[i].strip().split()[0]
        except IndexError:
            return None
        m = _SIZE_RE.fullmatch(text)
        if not m:
            return None
        return int(m.group(1)) * _SIZE_UNITS[m.group(2).upper()]


_SIZE_RE = re.compile(r"(\d+)([kKmMgG]?)")
_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}

_ATTRIBUTES = re.compile(r"\s+(?:collate|character\s+set|charset)\s+[\w\"`']+", re.IGNORECASE)

SUFFIXES = ("with local time zone", "with time zone", "without time zone", "unsigned zerofill",
            "unsigned", "zerofill", "signed", "for bit data")


def split_args(body: str) -> tuple[str, ...]:
    """``'a','it''s', 'x,y'`` -> ('a', "it's", 'x,y'); quotes respected, outer quotes removed."""
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    was_quoted = False
    i = 0
    while i < len(body):
        ch = body[i]
        if quoted:
            if ch == "'" and body[i + 1:i + 2] == "'":
                cur.append("'")
                i += 1
            elif ch == "'":
                quoted = False
            else:
                cur.append(ch)
        elif ch == "'":
            if not "".join(cur).strip():
                cur = []
            quoted = was_quoted = True
        elif ch == ",":
            out.append("".join(cur) if was_quoted else "".join(cur).strip())
            cur, was_quoted = [], False
        elif not (ch.isspace() and was_quoted):
            cur.append(ch)
        i += 1
    out.append("".join(cur) if was_quoted else "".join(cur).strip())
    return tuple(out)


def _closing(text: str, start: int) -> int:
    """Index of the ``)`` that closes the ``(`` at ``start`` (quotes respected), or -1."""
    depth, quoted = 0, False
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _tail(rest: str) -> tuple[int, str]:
    dims = rest.count("[]")
    return dims, " ".join(rest.replace("[]", " ").split()).lower()


def parse_native(text: str) -> NativeType:
    """``numeric(12, 2)`` -> NativeType('numeric', ('12', '2'));
    ``timestamp with time zone`` -> NativeType('timestamp', suffix='with time zone');
    ``enum('a','it''s')`` -> NativeType('enum', ('a', "it's")).
    A trailing ``COLLATE x`` / ``CHARACTER SET x`` is not part of the type."""
    text = _ATTRIBUTES.sub("", text.strip()).strip()
    if "(" not in text:
        dims, name = _tail(text)
        for suffix in SUFFIXES:
            if name.endswith(" " + suffix):
                return NativeType(name[: -len(suffix) - 1].strip(), (), dims, suffix)
        return NativeType(name, (), dims)
    open_at = text.index("(")
    close_at = _closing(text, open_at)
    if close_at == -1:
        return NativeType(" ".join(text.lower().split()))
    name = " ".join(text[:open_at].lower().split())
    body = text[open_at + 1:close_at]
    args = split_args(body) if body.strip() else ()
    dims, suffix = _tail(text[close_at + 1:])
    return NativeType(name, args, dims, suffix)


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


# --- Spark column names ---------------------------------------------------------------------

def spark_quote(name: str) -> str:
    """``name`` as one Spark SQL identifier: in backticks, a backtick doubled. It is what
    every place that takes a column name as a *string* needs -- ``F.col`` and
    ``DataFrame.select`` (which otherwise split ``a.b`` into a struct field and refuse a lone
    backtick), ``F.expr`` / ``selectExpr`` / ``where`` SQL, and the JDBC ``customSchema`` DDL
    -- so a name with a backtick, dot, space, comma, quote or any unicode works. Names given
    as Python values (``alias``, ``withColumn``'s name, ``withColumns`` keys, ``Row`` fields,
    ``StructField``) are taken as they are and must not be quoted."""
    return "`" + name.replace("`", "``") + "`"


def spark_col(name: str) -> Any:
    """The DataFrame column named exactly ``name`` (see ``spark_quote``)."""
    from pyspark.sql import functions as F

    return F.col(spark_quote(name))


def positional(df: Any) -> Any:
    """``df`` with its columns renamed ``_c0``, ``_c1``, ... in order: for a PySpark API that
    looks its input columns up by *unquoted* name (``mapInArrow`` and ``mapInPandas`` do
    ``df[name]`` for every column, which fails on a backtick and misreads a dot). Writers
    that take rows by position lose nothing."""
    return df.toDF(*[f"_c{i}" for i in range(len(df.columns))])
