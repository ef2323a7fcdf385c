"""PostgreSQL types <-> logical types, in two readable tables.

Names are those ``format_type()`` prints.
https://www.postgresql.org/docs/current/datatype.html
"""

from __future__ import annotations

from sparkdms.typemap.rules import LogicalRule, NativeRule, exact, fixed, sized, timed
from sparkdms.types import LType, NativeType


def _timestamp(n: NativeType) -> LType:
    kind = "timestamptz" if n.suffix == "with time zone" else "timestamp"
    return LType(kind, precision=n.int_arg(0) if n.args else 6)


def _varchar(n: NativeType) -> LType:
    return LType("varchar", length=n.int_arg(0)) if n.args else LType("text")


def _opt(name: str, t: LType) -> str:
    return f"{name}({t.precision})" if t.precision is not None and t.precision != 6 else name


def _decimal(t: LType) -> str:
    if t.precision is None:
        return "numeric"
    return f"numeric({t.precision},{t.scale or 0})"


NATIVE_PG: dict[str, NativeRule] = {
    "smallint": fixed("int16"), "int2": fixed("int16"),
    "integer": fixed("int32"), "int": fixed("int32"), "int4": fixed("int32"),
    "bigint": fixed("int64"), "int8": fixed("int64"), "oid": fixed("uint32"),
    "numeric": exact("decimal"), "decimal": exact("decimal"),
    "real": fixed("float32"), "float4": fixed("float32"),
    "double precision": fixed("float64"), "float8": fixed("float64"),
    "money": fixed("money"),
    "character varying": _varchar, "varchar": _varchar,
    "character": sized("char", 1), "char": sized("char", 1), "bpchar": sized("char", 1),
    "text": fixed("text"), "citext": fixed("text"), "name": lambda n: LType("varchar", 63),
    "bytea": fixed("blob"), "boolean": fixed("boolean"), "bool": fixed("boolean"),
    "date": fixed("date"), "time": timed("time"), "timestamp": _timestamp,
    "timestamptz": timed("timestamptz"), "interval": fixed("interval"),
    "json": fixed("json"), "jsonb": fixed("json"), "uuid": fixed("uuid"), "xml": fixed("xml"),
    "inet": fixed("inet"), "cidr": fixed("inet"), "macaddr": fixed("inet"),
    "bit": sized("bit", 1), "bit varying": sized("bit"),
}

LOGICAL_PG: dict[str, LogicalRule] = {
    "int8": lambda t: "smallint", "int16": lambda t: "smallint", "int32": lambda t: "integer",
    "int64": lambda t: "bigint", "uint8": lambda t: "smallint", "uint16": lambda t: "integer",
    "uint24": lambda t: "integer", "uint32": lambda t: "bigint",
    "uint64": lambda t: "numeric(20,0)", "decimal": _decimal, "money": lambda t: "money",
    "float32": lambda t: "real", "float64": lambda t: "double precision",
    "char": lambda t: f"character({t.length or 1})",
    "varchar": lambda t: f"character varying({t.length})" if t.length else "character varying",
    "text": lambda t: "text", "binary": lambda t: "bytea", "varbinary": lambda t: "bytea",
    "blob": lambda t: "bytea", "boolean": lambda t: "boolean", "date": lambda t: "date",
    "time": lambda t: _opt("time", t), "timestamp": lambda t: _opt("timestamp", t),
    "timestamptz": lambda t: _opt("timestamptz", t), "interval": lambda t: "interval",
    "json": lambda t: "jsonb", "document": lambda t: "jsonb", "uuid": lambda t: "uuid",
    "xml": lambda t: "xml", "inet": lambda t: "inet", "enum": lambda t: "text",
    "set": lambda t: "text", "year": lambda t: "smallint", "geometry": lambda t: "bytea",
    "bit": lambda t: f"bit varying({t.length})" if t.length else "bit varying",
    "array": lambda t: (LOGICAL_PG[t.element.kind](t.element) if t.element else "text") + "[]",
}
