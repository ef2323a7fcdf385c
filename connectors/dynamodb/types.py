"""DynamoDB attribute types <-> logical types.

DynamoDB stores an item's attributes in a handful of types: ``S`` (UTF-8 text), ``N``
(decimal numbers of up to 38 significant digits, sent as text: no float rounding), ``B``
(bytes), ``BOOL``, ``NULL``, ``M`` (map), ``L`` (list) and the sets ``SS``/``NS``/``BS``.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html

Integers, floats, money, years and decimals of at most 38 digits are ``N``; a decimal wider
than 38 digits (or unbounded) is ``S``, its exact text (``N`` would round it). Dates, times
and timestamps are ISO 8601 text (``S``); a timestamp with time zone is written in UTC with a
trailing ``Z``. JSON, arrays, intervals, UUIDs and the other text kinds are ``S``; a nested
document is ``M``. Binary kinds are ``B``.
"""

from __future__ import annotations

from sparkdms.connectors.base import Dialect, IdentRules

from sparkdms.plan.typemap.rules import LogicalRule, NativeRule, fixed, same
from sparkdms.types import LType

MAX_DIGITS = 38  # significant digits of a DynamoDB number


def _decimal(t: LType) -> str:
    return "N" if t.precision is not None and t.precision <= MAX_DIGITS else "S"


NATIVE_DYNAMODB: dict[str, NativeRule] = {
    "s": fixed("text"), "n": fixed("decimal"), "b": fixed("blob"), "bool": fixed("boolean"),
    "null": fixed("text"), "m": fixed("document"), "l": fixed("json"), "ss": fixed("json"),
    "ns": fixed("json"), "bs": fixed("json"),
}

LOGICAL_DYNAMODB: dict[str, LogicalRule] = {
    **{kind: same("N") for kind in (
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint24", "uint32", "uint64",
        "float32", "float64", "year", "money")},
    "decimal": _decimal,
    **{kind: same("S") for kind in (
        "char", "varchar", "text", "citext", "date", "time", "timetz", "timestamp",
        "timestamptz", "interval", "json", "uuid", "enum", "set", "array", "bit", "varbit",
        "inet", "xml")},
    **{kind: same("B") for kind in ("binary", "varbinary", "blob", "geometry")},
    "boolean": same("BOOL"),
    "document": same("M"),
}

# attribute names: 1..64 KB of UTF-8 for non-key attributes, 1..2048 bytes for keys; table
# names: 3..255 of [A-Za-z0-9_.-]
DYNAMODB = Dialect(
    "dynamodb", NATIVE_DYNAMODB, LOGICAL_DYNAMODB, None, check_constraints=False,
    notes={"decimal": "N up to 38 digits, else S (exact text)",
           "timestamptz": "S, ISO 8601 in UTC with Z", "timestamp": "S, ISO 8601",
           "date": "S, ISO 8601", "document": "M", "json": "S (the JSON text)"},
    identifiers=IdentRules(255, "bytes", "keep", frozenset()), family="")
