"""Db2 for Linux, UNIX and Windows types <-> logical types.

Names as ``SYSCAT.COLUMNS.TYPENAME`` with length/scale print them.
https://www.ibm.com/docs/en/db2/11.5?topic=list-data-types

Notes: ``CHAR(n) FOR BIT DATA`` is binary; decimals stop at 31 digits (wider ones land
in ``DECFLOAT(34)``, a finding); ``TIME`` has no fractional seconds (a finding for
``time(p)`` with p > 0); ``TIMESTAMP(12)`` keeps picoseconds, Spark keeps 6 digits.
"""

from __future__ import annotations

from sparkdms.connectors.base import Dialect, IdentRules

from sparkdms.plan.identifiers import SQL92_RESERVED
from sparkdms.plan.typemap.rules import (
    LogicalRule,
    NativeRule,
    exact,
    fixed,
    same,
    set_length,
    sized,
    timed,
)
from sparkdms.types import LType


def _chars(kind: str, binary: str) -> NativeRule:
    return lambda n: LType(binary if n.suffix == "for bit data" else kind,
                           length=n.int_arg(0) if n.args else 1)


NATIVE_DB2: dict[str, NativeRule] = {
    "smallint": fixed("int16"), "integer": fixed("int32"), "int": fixed("int32"),
    "bigint": fixed("int64"), "decimal": exact("decimal"), "dec": exact("decimal"),
    "numeric": exact("decimal"), "decfloat": fixed("decimal"), "real": fixed("float32"),
    "double": fixed("float64"), "float": fixed("float64"),
    "char": _chars("char", "binary"), "character": _chars("char", "binary"),
    "varchar": _chars("varchar", "varbinary"), "long varchar": fixed("text"),
    "clob": fixed("text"), "graphic": sized("char", 1), "vargraphic": sized("varchar"),
    "dbclob": fixed("text"), "binary": sized("binary", 1), "varbinary": sized("varbinary"),
    "blob": fixed("blob"), "date": fixed("date"), "time": fixed("time", precision=0),
    "timestamp": timed("timestamp", 6), "boolean": fixed("boolean"), "xml": fixed("xml"),
}


def _decimal(t: LType) -> str:
    if t.precision is None or t.precision > 31:
        return "DECFLOAT(34)"
    return f"DECIMAL({t.precision},{t.scale or 0})"


LOGICAL_DB2: dict[str, LogicalRule] = {
    "int8": same("SMALLINT"), "int16": same("SMALLINT"), "int32": same("INTEGER"),
    "int64": same("BIGINT"), "uint8": same("SMALLINT"), "uint16": same("INTEGER"),
    "uint24": same("INTEGER"), "uint32": same("BIGINT"), "uint64": same("DECIMAL(20,0)"),
    "decimal": _decimal, "money": same("DECIMAL(19,4)"), "float32": same("REAL"),
    "float64": same("DOUBLE"),
    "char": lambda t: f"CHAR({t.length or 1})" if (t.length or 1) <= 254 else f"VARCHAR({t.length})",
    "varchar": lambda t: f"VARCHAR({t.length})" if t.length and t.length <= 32672 else "CLOB",
    "text": same("CLOB"), "citext": same("CLOB"),
    "binary": lambda t: f"BINARY({t.length or 1})" if (t.length or 1) <= 255 else "BLOB",
    "varbinary": lambda t: f"VARBINARY({t.length})" if t.length and t.length <= 32672 else "BLOB",
    "blob": same("BLOB"), "boolean": same("BOOLEAN"), "date": same("DATE"),
    "time": same("TIME"), "timetz": same("VARCHAR(32)"),
    "timestamp": lambda t: f"TIMESTAMP({t.precision if t.precision is not None else 6})",
    "timestamptz": lambda t: f"TIMESTAMP({t.precision if t.precision is not None else 6})",
    "interval": same("VARCHAR(64)"), "json": same("CLOB"), "document": same("CLOB"),
    "uuid": same("CHAR(36)"), "enum": lambda t: f"VARCHAR({t.length or 255})",
    "set": lambda t: f"VARCHAR({set_length(t)})", "array": same("CLOB"),
    "bit": lambda t: f"VARCHAR({t.length or 1})",
    "varbit": lambda t: f"VARCHAR({t.length})" if t.length else "CLOB",
    "year": same("SMALLINT"), "inet": same("VARCHAR(43)"), "geometry": same("BLOB"),
    "xml": same("XML"),
}

DB2 = Dialect("db2", NATIVE_DB2, LOGICAL_DB2, None,
              identifiers=IdentRules(128, "bytes", "upper", SQL92_RESERVED))
