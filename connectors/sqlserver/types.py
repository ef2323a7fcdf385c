"""SQL Server (and Azure SQL) types <-> logical types.

Names as ``INFORMATION_SCHEMA.COLUMNS.DATA_TYPE`` plus length/precision print them.
https://learn.microsoft.com/en-us/sql/t-sql/data-types/data-types-transact-sql

Notes that differ from other engines:
- ``tinyint`` is unsigned (0..255); ``timestamp``/``rowversion`` is an 8-byte counter,
  not a time; ``datetime`` keeps 1/300 s (3 digits); ``datetime2``/``time`` keep 7 digits
  (Spark keeps 6: the 7th is an assessment finding).
- text is written as ``nvarchar`` (UTF-16), so every character survives; over 4000
  characters it is ``nvarchar(max)``.
- ``datetimeoffset`` keeps the offset; values from other engines arrive in UTC.
- decimals stop at 38 digits; unbounded numerics land in ``decimal(38,10)`` (a finding).
"""

from __future__ import annotations

from sparkdms.connectors.base import Dialect, IdentRules

from sparkdms.plan.identifiers import SQL92_RESERVED
from sparkdms.plan.typemap.rules import (
    LogicalRule,
    NativeRule,
    exact,
    fixed,
    frac,
    same,
    set_length,
    sized,
    timed,
)
from sparkdms.types import LType, NativeType


def _float(n: NativeType) -> LType:
    return LType("float32" if n.args and (n.int_arg(0) or 53) <= 24 else "float64")


def _var(kind: str) -> NativeRule:
    """``varchar(max)`` / ``varbinary(max)`` are LOBs; ``varchar(n)`` is bounded."""
    lob = "text" if kind == "varchar" else "blob"
    return lambda n: LType(lob) if (n.args and n.args[0].lower() == "max") or n.int_arg(0) == -1 \
        else LType(kind, length=n.int_arg(0) if n.args else 1)


NATIVE_MSSQL: dict[str, NativeRule] = {
    "bit": fixed("boolean"), "tinyint": fixed("uint8"), "smallint": fixed("int16"),
    "int": fixed("int32"), "bigint": fixed("int64"), "decimal": exact("decimal"),
    "numeric": exact("decimal"), "money": fixed("money"),
    "smallmoney": fixed("decimal", precision=10, scale=4), "float": _float,
    "real": fixed("float32"), "char": sized("char", 1), "nchar": sized("char", 1),
    "varchar": _var("varchar"), "nvarchar": _var("varchar"), "text": fixed("text"),
    "ntext": fixed("text"), "binary": sized("binary", 1), "varbinary": _var("varbinary"),
    "image": fixed("blob"), "date": fixed("date"), "time": timed("time", 7),
    "datetime": fixed("timestamp", precision=3), "smalldatetime": fixed("timestamp", precision=0),
    "datetime2": timed("timestamp", 7), "datetimeoffset": timed("timestamptz", 7),
    "uniqueidentifier": fixed("uuid"), "xml": fixed("xml"), "json": fixed("json"),
    "timestamp": fixed("binary", length=8), "rowversion": fixed("binary", length=8),
    "geometry": fixed("geometry"), "geography": fixed("geometry"),
    "sysname": fixed("varchar", length=128),
}


def _decimal(t: LType) -> str:
    if t.precision is None:
        return "decimal(38,10)"
    scale = min(t.scale or 0, 38)
    return f"decimal({min(max(t.precision, scale), 38)},{scale})"


def _nchar(t: LType) -> str:
    length = t.length or 1
    return f"nchar({length})" if length <= 4000 else "nvarchar(max)"


def _nvarchar(t: LType) -> str:
    return f"nvarchar({t.length})" if t.length and t.length <= 4000 else "nvarchar(max)"


def _binary(t: LType) -> str:
    length = t.length or 1
    return f"binary({length})" if length <= 8000 else "varbinary(max)"


def _varbinary(t: LType) -> str:
    return f"varbinary({t.length})" if t.length and t.length <= 8000 else "varbinary(max)"


LOGICAL_MSSQL: dict[str, LogicalRule] = {
    "int8": same("smallint"), "int16": same("smallint"), "int32": same("int"),
    "int64": same("bigint"), "uint8": same("tinyint"), "uint16": same("int"),
    "uint24": same("int"), "uint32": same("bigint"), "uint64": same("decimal(20,0)"),
    "decimal": _decimal, "money": same("decimal(19,4)"), "float32": same("real"),
    "float64": same("float"), "char": _nchar, "varchar": _nvarchar,
    "text": same("nvarchar(max)"), "citext": same("nvarchar(max)"), "binary": _binary,
    "varbinary": _varbinary, "blob": same("varbinary(max)"), "boolean": same("bit"),
    "date": same("date"), "time": lambda t: frac("time", t, 7, 7),
    "timetz": same("nvarchar(32)"), "timestamp": lambda t: frac("datetime2", t, 7, 7),
    "timestamptz": lambda t: frac("datetimeoffset", t, 7, 7), "interval": same("nvarchar(64)"),
    "json": same("nvarchar(max)"), "document": same("nvarchar(max)"),
    "uuid": same("uniqueidentifier"), "enum": lambda t: f"nvarchar({t.length or 255})",
    "set": lambda t: f"nvarchar({set_length(t)})" if set_length(t) <= 4000 else "nvarchar(max)",
    "array": same("nvarchar(max)"),
    "bit": lambda t: "bit" if (t.length or 1) == 1 else f"varchar({t.length})",
    "varbit": lambda t: f"varchar({t.length})" if t.length and t.length <= 8000 else "varchar(max)",
    "year": same("smallint"), "inet": same("varchar(43)"), "geometry": same("varbinary(max)"),
    "xml": same("xml"),
}

SQLSERVER = Dialect("sqlserver", NATIVE_MSSQL, LOGICAL_MSSQL, "tsql",
                    identifiers=IdentRules(128, "chars", "keep", SQL92_RESERVED, ci_columns=True,
                                           ci_tables=True))
