"""PostgreSQL types <-> logical types, in two readable tables.

Names are those ``format_type()`` prints.
https://www.postgresql.org/docs/current/datatype.html

How PostgreSQL stores what other engines send (``LOGICAL_PG``):
- unsigned integers are widened (``int unsigned`` -> ``bigint``, ``bigint unsigned`` ->
  ``numeric(20,0)``): every value fits.
- ``timestamptz`` is an instant; sparkdms sessions run in UTC, so an instant read from
  MySQL ``timestamp`` (UTC on the wire, session time_zone '+00:00') lands unchanged.
- enum/set become ``character varying(n)`` plus a CHECK constraint listing the members
  (created after the load, see connectors/sql/objects/).
- arrays stay native arrays; json/jsonb/document land in ``jsonb`` (whitespace and key
  order normalised by PostgreSQL: compare parsed JSON).
- geometry lands as WKB in ``bytea`` (PostGIS is not assumed): a warning in the assessment.
- MySQL ``year`` -> ``smallint``; ``bit(n)`` -> ``bit(n)``; ``money`` from other engines ->
  ``numeric(19,4)`` (PostgreSQL ``money`` depends on lc_monetary).
"""

from __future__ import annotations

from sparkdms.connectors.base import Dialect, IdentRules

from sparkdms.plan.typemap.rules import (
    LogicalRule,
    NativeRule,
    fixed,
    frac,
    same,
    set_length,
    sized,
    timed,
)
from sparkdms.types import LType, NativeType

# words the engine reserves (sparkdms quotes every name; the assessment lists them)
PG_RESERVED = frozenset("""
all analyse analyze and any array as asc asymmetric authorization binary both case cast check
collate collation column concurrently constraint create cross current_catalog current_date
current_role current_schema current_time current_timestamp current_user default deferrable desc
distinct do else end except false fetch for foreign freeze from full grant group having ilike in
initially inner intersect into is isnull join lateral leading left like limit localtime
localtimestamp natural not notnull null offset on only or order outer overlaps placing primary
references returning right select session_user similar some symmetric system_user table
tablesample then to trailing true union unique user using variadic verbose when where window with
""".split())


def _timestamp(n: NativeType) -> LType:
    kind = "timestamptz" if n.suffix == "with time zone" else "timestamp"
    return LType(kind, precision=n.int_arg(0) if n.args else 6)


def _time(n: NativeType) -> LType:
    kind = "timetz" if n.suffix == "with time zone" else "time"
    return LType(kind, precision=n.int_arg(0) if n.args else 6)


def _varchar(n: NativeType) -> LType:
    return LType("varchar", length=n.int_arg(0)) if n.args else LType("text")


def _numeric(n: NativeType) -> LType:
    if not n.args:
        return LType("decimal")  # unbounded: up to 131072 digits before the point
    return LType("decimal", precision=n.int_arg(0), scale=n.int_arg(1) or 0)


def _decimal(t: LType) -> str:
    if t.precision is None or t.precision > 1000:
        return "numeric"
    return f"numeric({t.precision},{t.scale or 0})"


def _varchar_ddl(t: LType) -> str:
    if t.length and t.length <= 10_485_760:
        return f"character varying({t.length})"
    return "text"


def _char_ddl(t: LType) -> str:
    length = t.length or 1
    return f"character({length})" if length <= 10_485_760 else "text"


def _array(t: LType) -> str:
    element = t.element or LType("text")
    if element.kind in ("array", "json", "document", "enum", "set", "unknown"):
        return "jsonb"  # nested or non-native elements: a JSON array
    return LOGICAL_PG[element.kind](element) + "[]"


def _interval(n: NativeType) -> LType:
    return LType("interval", precision=n.int_arg(0))


def _geometry(n: NativeType) -> LType:
    return LType("geometry", values=tuple(n.args))  # PostGIS: (Point,4326)


NATIVE_PG: dict[str, NativeRule] = {
    "smallint": fixed("int16"), "int2": fixed("int16"),
    "integer": fixed("int32"), "int": fixed("int32"), "int4": fixed("int32"),
    "bigint": fixed("int64"), "int8": fixed("int64"), "oid": fixed("uint32"),
    "xid": fixed("uint32"), "cid": fixed("uint32"), "regclass": fixed("text"),
    "regtype": fixed("text"), "regproc": fixed("text"), "pg_lsn": fixed("text"),
    "smallserial": fixed("int16"), "serial": fixed("int32"), "bigserial": fixed("int64"),
    "numeric": _numeric, "decimal": _numeric,
    "real": fixed("float32"), "float4": fixed("float32"),
    "double precision": fixed("float64"), "float8": fixed("float64"),
    "money": fixed("money"),
    "character varying": _varchar, "varchar": _varchar,
    "character": sized("char", 1), "char": sized("char", 1), "bpchar": sized("char", 1),
    '"char"': fixed("char", length=1),
    "text": fixed("text"), "citext": fixed("citext"), "name": fixed("varchar", length=63),
    "bytea": fixed("blob"), "boolean": fixed("boolean"), "bool": fixed("boolean"),
    "date": fixed("date"), "time": _time, "timetz": timed("timetz"),
    "timestamp": _timestamp, "timestamptz": timed("timestamptz"),
    "interval": _interval,
    "json": fixed("json"), "jsonb": fixed("json"), "uuid": fixed("uuid"), "xml": fixed("xml"),
    "inet": fixed("inet"), "cidr": fixed("inet"), "macaddr": fixed("inet"),
    "macaddr8": fixed("inet"),
    "bit": sized("bit", 1), "bit varying": sized("varbit"), "varbit": sized("varbit"),
    # text forms that every engine can hold (their PostgreSQL output syntax)
    "tsvector": fixed("text"), "tsquery": fixed("text"), "ltree": fixed("text"),
    "point": fixed("text"), "line": fixed("text"), "lseg": fixed("text"),
    "box": fixed("text"), "path": fixed("text"), "polygon": fixed("text"),
    "circle": fixed("text"), "int4range": fixed("text"), "int8range": fixed("text"),
    "numrange": fixed("text"), "tsrange": fixed("text"), "tstzrange": fixed("text"),
    "daterange": fixed("text"), "int4multirange": fixed("text"),
    "int8multirange": fixed("text"), "nummultirange": fixed("text"),
    "tsmultirange": fixed("text"), "tstzmultirange": fixed("text"),
    "datemultirange": fixed("text"), "txid_snapshot": fixed("text"),
    "pg_snapshot": fixed("text"),
    "hstore": fixed("json"),  # read as hstore_to_json() for other engines
    "geometry": _geometry, "geography": _geometry,  # PostGIS; read as WKB
}

LOGICAL_PG: dict[str, LogicalRule] = {
    "int8": same("smallint"), "int16": same("smallint"), "int32": same("integer"),
    "int64": same("bigint"), "uint8": same("smallint"), "uint16": same("integer"),
    "uint24": same("integer"), "uint32": same("bigint"), "uint64": same("numeric(20,0)"),
    "decimal": _decimal, "money": same("numeric(19,4)"),
    "float32": same("real"), "float64": same("double precision"),
    "char": _char_ddl, "varchar": _varchar_ddl, "text": same("text"), "citext": same("citext"),
    "binary": same("bytea"), "varbinary": same("bytea"), "blob": same("bytea"),
    "boolean": same("boolean"), "date": same("date"),
    "time": lambda t: frac("time", t, 6, 6), "timetz": lambda t: frac("timetz", t, 6, 6),
    "timestamp": lambda t: frac("timestamp", t, 6, 6),
    "timestamptz": lambda t: frac("timestamptz", t, 6, 6),
    "interval": same("interval"), "json": same("jsonb"), "document": same("jsonb"),
    "uuid": same("uuid"), "xml": same("xml"), "inet": same("inet"),
    "enum": lambda t: f"character varying({t.length or 255})",
    "set": lambda t: f"character varying({set_length(t)})" if t.values else "text",
    "year": same("smallint"), "geometry": same("bytea"),
    "bit": lambda t: f"bit({t.length or 1})",
    "varbit": lambda t: f"bit varying({t.length})" if t.length else "bit varying",
    "array": _array,
}


def fallback(parsed: NativeType) -> NativeRule | None:
    """``interval year to month``, ``interval second(3)``: an interval with fields."""
    if parsed.name.startswith("interval "):
        return _interval
    return None


NATIVE_NOTES = {
    "jsonb": ("json", "jsonb normalises whitespace and key order and keeps the last of "
                      "duplicate keys", '{"b":1, "a":2} -> {"a": 2, "b": 1}'),
}

# names the server refuses even quoted
PG_FORBIDDEN = (
    (r"\x00", "PostgreSQL names cannot contain NUL (U+0000)"),
    (r"\A\Z", "PostgreSQL names cannot be empty (zero-length delimited identifier)"),
)

POSTGRES = Dialect("postgres", NATIVE_PG, LOGICAL_PG, "postgres", fallback,
                   native_notes=NATIVE_NOTES,
                   identifiers=IdentRules(63, "bytes", "lower", PG_RESERVED, forbidden=PG_FORBIDDEN),
                   family="postgres")
