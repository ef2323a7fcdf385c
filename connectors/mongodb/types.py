"""MongoDB type tables: BSON types <-> logical types.

Native names are BSON's ``$type`` aliases (https://www.mongodb.com/docs/manual/reference/bson-types/)
plus ``uuid`` (binary subtype 4). A sampled field whose type varies between documents has a
native spelling listing every type seen, ``int|long|string``; ``widen`` (one table) gives its
logical type: numbers widen to the widest number (int+long -> int64, int+double -> float64,
any number+decimal -> decimal), anything else mixed becomes text. Nulls and missing fields
do not count as a type.

Reading: ``objectId`` -> varchar(24) (hex text), ``decimal`` (Decimal128) -> decimal without
a fixed precision (exact, 34 significant digits at most), ``date`` -> timestamptz(3) in UTC,
``binData`` -> blob, ``uuid`` -> uuid, ``object`` and ``array`` -> json (MongoDB relaxed
Extended JSON text), ``timestamp`` (the internal replication type) -> int64 (seconds << 32 |
increment), regex / javascript / minKey / maxKey / symbol -> text (their Extended JSON).
Writing (a MongoDB target): the BSON type each logical kind is stored as (``LOGICAL_MONGO``).
"""

from __future__ import annotations

from sparkdms.connectors.base import Dialect, IdentRules

from sparkdms.plan.typemap.rules import LogicalRule, NativeRule, fixed, same
from sparkdms.types import LType, NativeType

NUMBER_TYPES = ("int", "long", "double", "decimal")
# BSON type -> logical type of a field of only that type
BSON_LOGICAL: dict[str, LType] = {
    "double": LType("float64"), "string": LType("text"), "object": LType("json"),
    "array": LType("json"), "binData": LType("blob"), "uuid": LType("uuid"),
    "objectId": LType("varchar", length=24), "bool": LType("boolean"),
    "date": LType("timestamptz", precision=3), "null": LType("text"),
    "undefined": LType("text"), "regex": LType("text"), "javascript": LType("text"),
    "javascriptWithScope": LType("text"), "symbol": LType("text"), "dbPointer": LType("text"),
    "int": LType("int32"), "long": LType("int64"), "timestamp": LType("int64"),
    "decimal": LType("decimal"), "minKey": LType("text"), "maxKey": LType("text"),
}
# widening of a set of number types: the first row whose types cover the set
NUMBER_WIDENING: tuple[tuple[frozenset[str], LType], ...] = (
    (frozenset({"int"}), LType("int32")),
    (frozenset({"int", "long"}), LType("int64")),
    (frozenset({"int", "long", "double"}), LType("float64")),
    (frozenset(NUMBER_TYPES), LType("decimal")),
)
IGNORED = frozenset({"null", "undefined"})  # carry no type: a NULL of any column


def widen(types: set[str] | frozenset[str]) -> LType:
    """The logical type holding every value of a field seen with these BSON types."""
    real = set(types) - IGNORED
    if not real:
        return LType("text")
    if len(real) == 1:
        return BSON_LOGICAL.get(next(iter(real)), LType("text"))
    if real <= set(NUMBER_TYPES):
        return next(lt for cover, lt in NUMBER_WIDENING if real <= cover)
    if real <= {"object", "array"}:
        return LType("json")
    return LType("text")


def widening_note(types: set[str] | frozenset[str]) -> str:
    """What widening does to the values (for the plan and the assessment); "" when nothing."""
    real = set(types) - IGNORED
    if len(real) < 2:
        return ""
    lt = widen(real)
    if lt.kind == "float64" and "long" in real:
        return "read as float64: long values beyond 2^53 lose digits"
    if lt.kind == "decimal" and "double" in real:
        return "read as decimal: doubles become their shortest exact decimal text"
    if lt.kind == "text":
        return "read as text: numbers, dates and ids as their text, documents and arrays as JSON"
    return f"read as {lt}"


def spelling(types: set[str] | frozenset[str]) -> str:
    """The native spelling of a field seen with these types: ``int|long``."""
    real = sorted(set(types) - IGNORED) or ["null"]
    return "|".join(real)


def _mixed(parsed: NativeType) -> NativeRule | None:
    if "|" in parsed.name:
        types = frozenset(parsed.name.split("|"))
        return lambda _n: widen(types)
    return None


NATIVE_MONGO: dict[str, NativeRule] = {
    name.lower(): (lambda lt: (lambda _n: lt))(lt) for name, lt in BSON_LOGICAL.items()
}
NATIVE_MONGO["decimal"] = fixed("decimal")

LOGICAL_MONGO: dict[str, LogicalRule] = {
    **{k: same("int") for k in ("int8", "int16", "int32", "uint8", "uint16", "uint24")},
    "int64": same("long"), "uint32": same("long"), "uint64": same("decimal"),
    "decimal": same("decimal"), "money": same("decimal"),
    "float32": same("double"), "float64": same("double"), "boolean": same("bool"),
    "date": same("date"), "timestamp": same("date"), "timestamptz": same("date"),
    "binary": same("binData"), "varbinary": same("binData"), "blob": same("binData"),
    "geometry": same("binData"), "uuid": same("uuid"),
    "json": same("object"), "document": same("object"), "array": same("array"),
    **{k: same("string") for k in ("char", "varchar", "text", "citext", "enum", "set", "xml",
                                    "inet", "interval", "time", "timetz", "bit", "varbit",
                                    "year")},
}

# field names: any UTF-8 but NUL; "$" leading and "." are legal since MongoDB 5 but awkward
MONGO_IDENT = IdentRules(0, "bytes", "keep", frozenset(), invalid_chars="\x00")

MONGODB = Dialect("mongodb", NATIVE_MONGO, LOGICAL_MONGO, None, _mixed,
                  check_constraints=False, identifiers=MONGO_IDENT, family="mongodb",
                  notes={"json": "a sub-document (JSON objects) or array",
                         "decimal": "Decimal128 (34 significant digits)",
                         "timestamptz": "BSON date (milliseconds, UTC)"})
