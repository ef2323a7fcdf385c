"""Oracle types <-> logical types.

Names as ``ALL_TAB_COLUMNS`` describes them (``NUMBER(10,2)``, ``VARCHAR2(100 CHAR)``).
https://docs.oracle.com/en/database/oracle/oracle-database/19/sqlrf/Data-Types.html

Notes that differ from other engines:
- ``NUMBER`` without precision is an unbounded exact decimal (never a double);
  ``FLOAT(b)`` is a decimal too (binary precision), kept exact.
- ``DATE`` carries a time of day to the second: it is a ``timestamp(0)``.
- the empty string is NULL in Oracle: an empty string from another engine arrives as NULL
  (an assessment finding on NOT NULL text columns).
- ``TIMESTAMP(9)`` keeps nanoseconds; Spark keeps microseconds (a finding).
- text is written as ``VARCHAR2(n CHAR)`` up to 4000, then ``CLOB``; JSON as ``CLOB``.
"""

from __future__ import annotations

from sparkdms.connectors.base import Dialect, IdentRules

from sparkdms.plan.identifiers import SQL92_RESERVED
from sparkdms.plan.typemap.rules import LogicalRule, NativeRule, fixed, same, set_length, sized
from sparkdms.types import LType, NativeType

# words the engine reserves (sparkdms quotes every name; the assessment lists them)
ORACLE_RESERVED = SQL92_RESERVED | frozenset("""
access audit cluster comment compress exclusive file identified increment initial lock long
maxextents minus mlslabel mode modify noaudit nocompress nowait number offline online pctfree
prior raw rename resource row rowid rownum share start successful synonym sysdate uid validate
varchar2
""".split())


def _number(n: NativeType) -> LType:
    if not n.args or n.args[0] == "*":
        scale = n.int_arg(1) if len(n.args) > 1 else None
        return LType("decimal", scale=scale)
    return LType("decimal", precision=n.int_arg(0), scale=n.int_arg(1) or 0)


def _timestamp(n: NativeType) -> LType:
    kind = "timestamptz" if "time zone" in n.suffix else "timestamp"
    return LType(kind, precision=n.int_arg(0) if n.args else 6)


NATIVE_ORACLE: dict[str, NativeRule] = {
    "number": _number, "integer": fixed("decimal", precision=38, scale=0),
    "int": fixed("decimal", precision=38, scale=0), "smallint": fixed("decimal", precision=38, scale=0),
    "float": fixed("decimal"), "binary_float": fixed("float32"),
    "binary_double": fixed("float64"), "char": sized("char", 1), "nchar": sized("char", 1),
    "varchar2": sized("varchar"), "varchar": sized("varchar"), "nvarchar2": sized("varchar"),
    "clob": fixed("text"), "nclob": fixed("text"), "long": fixed("text"),
    "raw": sized("varbinary"), "long raw": fixed("blob"), "blob": fixed("blob"),
    "date": fixed("timestamp", precision=0), "timestamp": _timestamp,
    "interval year": fixed("interval"), "interval day": fixed("interval"),
    "rowid": fixed("varchar", length=18), "urowid": fixed("varchar", length=4000),
    "xmltype": fixed("xml"), "json": fixed("json"), "boolean": fixed("boolean"),
    "sdo_geometry": fixed("geometry"),
}


def _number_ddl(t: LType) -> str:
    if t.precision is None or t.precision > 38:
        return "NUMBER"
    return f"NUMBER({t.precision},{t.scale or 0})"


def _char(t: LType) -> str:
    length = t.length or 1
    return f"CHAR({length} CHAR)" if length <= 2000 else "CLOB"


def _varchar(t: LType) -> str:
    return f"VARCHAR2({t.length} CHAR)" if t.length and t.length <= 4000 else "CLOB"


def _raw(t: LType) -> str:
    return f"RAW({t.length})" if t.length and t.length <= 2000 else "BLOB"


LOGICAL_ORACLE: dict[str, LogicalRule] = {
    "int8": same("NUMBER(3)"), "int16": same("NUMBER(5)"), "int32": same("NUMBER(10)"),
    "int64": same("NUMBER(19)"), "uint8": same("NUMBER(3)"), "uint16": same("NUMBER(5)"),
    "uint24": same("NUMBER(8)"), "uint32": same("NUMBER(10)"), "uint64": same("NUMBER(20)"),
    "decimal": _number_ddl, "money": same("NUMBER(19,4)"), "float32": same("BINARY_FLOAT"),
    "float64": same("BINARY_DOUBLE"), "char": _char, "varchar": _varchar, "text": same("CLOB"),
    "citext": same("CLOB"), "binary": _raw, "varbinary": _raw, "blob": same("BLOB"),
    "boolean": same("NUMBER(1)"), "date": same("DATE"), "time": same("VARCHAR2(18)"),
    "timetz": same("VARCHAR2(32)"),
    "timestamp": lambda t: f"TIMESTAMP({min(t.precision if t.precision is not None else 6, 9)})",
    "timestamptz": lambda t: f"TIMESTAMP({min(t.precision if t.precision is not None else 6, 9)})"
                             " WITH TIME ZONE",
    "interval": same("VARCHAR2(64)"), "json": same("CLOB"), "document": same("CLOB"),
    "uuid": same("VARCHAR2(36)"), "enum": lambda t: f"VARCHAR2({t.length or 255} CHAR)",
    "set": lambda t: f"VARCHAR2({set_length(t)} CHAR)" if set_length(t) <= 4000 else "CLOB",
    "array": same("CLOB"), "bit": lambda t: f"VARCHAR2({t.length or 1})",
    "varbit": lambda t: f"VARCHAR2({t.length})" if t.length and t.length <= 4000 else "CLOB",
    "year": same("NUMBER(4)"), "inet": same("VARCHAR2(43)"), "geometry": same("BLOB"),
    "xml": same("XMLTYPE"),
}


def fallback(parsed: NativeType) -> NativeRule | None:
    if parsed.name.startswith("interval"):
        return fixed("interval")
    if parsed.name.startswith("timestamp"):
        return _timestamp
    return None


ORACLE = Dialect("oracle", NATIVE_ORACLE, LOGICAL_ORACLE, "oracle", fallback,
                 identifiers=IdentRules(128, "bytes", "upper", ORACLE_RESERVED, forbidden=(
                     ('"', "Oracle names cannot contain a double quote, even quoted"),
                     (r"\x00", "Oracle names cannot contain NUL (U+0000)"),
                     (r"\A\Z", "Oracle names cannot be empty"))))
