"""Kinesis types <-> logical types: AWS DMS's own data types, as its streaming targets
(Kinesis, Kafka) write them into each record's JSON ``data`` object.

https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Reference.DataTypes.html
https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.Kinesis.html

A stream has no columns, so the "native type" of a column is how its values are written in
the JSON record (``KINESIS.notes`` says it per kind, ``sparkdms convert`` prints it):

  integers, floats, booleans   JSON numbers / true / false
  numeric(p,s), uint8          JSON strings holding the exact decimal text ("12.50"): a JSON
                               number would be read as a binary float by most consumers
  date                         "YYYY-MM-DD"
  datetime(s)                  "YYYY-MM-DDTHH:MM:SS.ffffff" (wall clock, no zone)
  datetimetz(s)                "YYYY-MM-DDTHH:MM:SS.ffffffZ" (the instant in UTC)
  bytes / blob                 hexadecimal text with AWS DMS's "0x" prefix (KinesisSettings
                               NoHexPrefix: true drops it)
  everything else              JSON strings (JSON documents, arrays, intervals, UUIDs as the
                               source's text)

NULL columns are left out of ``data`` unless ``IncludeNullAndEmpty`` is true (then
``null``), as AWS DMS does; an empty string is always written as "".
"""

from __future__ import annotations

from sparkdms.connectors.base import Dialect, IdentRules

from sparkdms.plan.typemap.rules import LogicalRule, NativeRule, exact, fixed, same, sized
from sparkdms.types import LType


def _numeric(t: LType) -> str:
    if t.precision is None:
        return "numeric"
    return f"numeric({t.precision},{t.scale or 0})"


def _string(kind: str) -> LogicalRule:
    return lambda t: f"{kind}({t.length})" if t.length else kind


def _scaled(kind: str) -> LogicalRule:
    return lambda t: f"{kind}({t.precision})" if t.precision is not None else kind


# logical kind -> AWS DMS type (the JSON form above)
LOGICAL_KINESIS: dict[str, LogicalRule] = {
    "int8": same("int1"), "int16": same("int2"), "int32": same("int4"), "int64": same("int8"),
    "uint8": same("uint1"), "uint16": same("uint2"), "uint24": same("uint4"),
    "uint32": same("uint4"), "uint64": same("uint8"),
    "decimal": _numeric, "money": same("numeric(19,4)"),
    "float32": same("real4"), "float64": same("real8"), "boolean": same("boolean"),
    "char": _string("wstring"), "varchar": _string("wstring"), "text": same("nclob"),
    "citext": same("nclob"), "xml": same("nclob"), "json": same("nclob"),
    "document": same("nclob"), "array": same("nclob"),
    "binary": _string("bytes"), "varbinary": _string("bytes"), "blob": same("blob"),
    "geometry": same("blob"),
    "date": same("date"), "time": _scaled("time"), "timetz": same("wstring(32)"),
    "timestamp": _scaled("datetime"), "timestamptz": _scaled("datetimetz"),
    "interval": same("wstring(64)"), "uuid": same("wstring(36)"),
    "enum": _string("wstring"), "set": _string("wstring"), "bit": _string("wstring"),
    "varbit": _string("wstring"), "year": same("int2"), "inet": same("wstring(43)"),
}

# AWS DMS type -> logical kind (read back: ``sparkdms convert`` from a Kinesis plan)
NATIVE_KINESIS: dict[str, NativeRule] = {
    "int1": fixed("int8"), "int2": fixed("int16"), "int4": fixed("int32"),
    "int8": fixed("int64"), "uint1": fixed("uint8"), "uint2": fixed("uint16"),
    "uint4": fixed("uint32"), "uint8": fixed("uint64"), "numeric": exact("decimal"),
    "real4": fixed("float32"), "real8": fixed("float64"), "boolean": fixed("boolean"),
    "string": sized("varchar"), "wstring": sized("varchar"), "clob": fixed("text"),
    "nclob": fixed("text"), "bytes": sized("varbinary"), "blob": fixed("blob"),
    "date": fixed("date"), "time": fixed("time", precision=6),
    "datetime": fixed("timestamp", precision=6), "datetimetz": fixed("timestamptz", precision=6),
}

JSON_FORMS = {
    "number": "a JSON number", "exact": "a JSON string with the exact decimal text",
    "date": "a JSON string YYYY-MM-DD", "time": "a JSON string HH:MM:SS.ffffff",
    "wall": "a JSON string YYYY-MM-DDTHH:MM:SS.ffffff (no zone)",
    "instant": "a JSON string YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC)",
    "hex": "a JSON string of hexadecimal digits after 0x (NoHexPrefix: without 0x)",
    "bool": "JSON true/false", "text": "a JSON string",
}
# logical kind -> its JSON form (the writer renders by this table; every other kind is text)
FORM_OF: dict[str, str] = {
    **{k: "number" for k in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint24",
                             "uint32", "float32", "float64", "year")},
    "uint64": "exact", "decimal": "exact", "money": "exact", "boolean": "bool",
    "date": "date", "timestamp": "wall", "timestamptz": "instant",
    **{k: "hex" for k in ("binary", "varbinary", "blob", "geometry")},
}


def form_of(kind: str) -> str:
    return FORM_OF.get(kind, "text")


KINESIS = Dialect(
    "kinesis", NATIVE_KINESIS, LOGICAL_KINESIS, None,
    notes={kind: JSON_FORMS[form_of(kind)] for kind in LOGICAL_KINESIS},
    identifiers=IdentRules(0, "chars", "keep", frozenset()), family="")
