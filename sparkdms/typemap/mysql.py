"""MySQL / MariaDB types <-> logical types, in two readable tables.

Names are those ``information_schema.COLUMNS.COLUMN_TYPE`` prints.
https://dev.mysql.com/doc/refman/8.0/en/data-types.html
https://mariadb.com/kb/en/data-types/
"""

from __future__ import annotations

from sparkdms.typemap.rules import LogicalRule, NativeRule, fixed, sized, timed
from sparkdms.types import LType, NativeType

SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")


def _int(signed: str, unsigned: str) -> NativeRule:
    return lambda n: LType(unsigned if "unsigned" in n.suffix else signed)


def _tinyint(n: NativeType) -> LType:
    if n.args == ("1",) and "unsigned" not in n.suffix:
        return LType("boolean")
    return LType("uint8" if "unsigned" in n.suffix else "int8")


def _decimal(n: NativeType) -> LType:
    return LType("decimal", precision=n.int_arg(0) or 10, scale=n.int_arg(1) or 0)


def _members(kind: str) -> NativeRule:
    return lambda n: LType(kind, length=max((len(v) for v in n.args), default=1), values=n.args)


def _text(limit: int | None) -> NativeRule:
    return lambda n: LType("text", length=limit)


NATIVE_MY: dict[str, NativeRule] = {
    "tinyint": _tinyint, "bool": fixed("boolean"), "boolean": fixed("boolean"),
    "smallint": _int("int16", "uint16"), "mediumint": _int("int32", "uint24"),
    "int": _int("int32", "uint32"), "integer": _int("int32", "uint32"),
    "bigint": _int("int64", "uint64"), "decimal": _decimal, "numeric": _decimal,
    "float": fixed("float32"), "double": fixed("float64"), "real": fixed("float64"),
    "double precision": fixed("float64"),
    "bit": sized("bit", 1), "char": sized("char", 1), "varchar": sized("varchar"),
    "tinytext": _text(255), "text": _text(65535), "mediumtext": _text(16777215),
    "longtext": _text(None), "binary": sized("binary", 1), "varbinary": sized("varbinary"),
    "tinyblob": fixed("blob"), "blob": fixed("blob"), "mediumblob": fixed("blob"),
    "longblob": fixed("blob"), "date": fixed("date"), "datetime": timed("timestamp", 0),
    "timestamp": timed("timestamptz", 0), "time": timed("time", 0), "year": fixed("year"),
    "json": fixed("json"), "enum": _members("enum"), "set": _members("set"),
    "uuid": fixed("uuid"), "inet4": fixed("inet"), "inet6": fixed("inet"),
    "geometry": fixed("geometry"), "point": fixed("geometry"), "linestring": fixed("geometry"),
    "polygon": fixed("geometry"),
}


def _decimal_ddl(t: LType) -> str:
    if t.precision is None or t.precision > 65 or (t.scale or 0) > 30:
        return "longtext"  # exact as text; a finding in the assessment
    return f"decimal({t.precision},{t.scale or 0})"


def _frac(name: str, t: LType) -> str:
    return f"{name}({min(t.precision, 6)})" if t.precision else name


def _list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


LOGICAL_MY: dict[str, LogicalRule] = {
    "int8": lambda t: "tinyint", "int16": lambda t: "smallint", "int32": lambda t: "int",
    "int64": lambda t: "bigint", "uint8": lambda t: "tinyint unsigned",
    "uint16": lambda t: "smallint unsigned", "uint24": lambda t: "mediumint unsigned",
    "uint32": lambda t: "int unsigned", "uint64": lambda t: "bigint unsigned",
    "decimal": _decimal_ddl, "money": lambda t: "decimal(19,4)",
    "float32": lambda t: "float", "float64": lambda t: "double",
    "char": lambda t: f"char({t.length or 1})" if (t.length or 1) <= 255 else f"varchar({t.length})",
    "varchar": lambda t: f"varchar({t.length})" if t.length and t.length <= 16383 else "longtext",
    "text": lambda t: "longtext",
    "binary": lambda t: f"binary({t.length or 1})" if (t.length or 1) <= 255 else "longblob",
    "varbinary": lambda t: f"varbinary({t.length})" if t.length and t.length <= 65535
    else "longblob",
    "blob": lambda t: "longblob", "boolean": lambda t: "tinyint(1)", "date": lambda t: "date",
    "time": lambda t: _frac("time", t), "timestamp": lambda t: _frac("datetime", t),
    "timestamptz": lambda t: _frac("datetime", t), "interval": lambda t: "varchar(64)",
    "json": lambda t: "json", "document": lambda t: "json", "uuid": lambda t: "char(36)",
    "enum": lambda t: f"enum({_list(t.values)})" if t.values else "varchar(255)",
    "set": lambda t: f"set({_list(t.values)})" if t.values else "varchar(255)",
    "array": lambda t: "longtext", "bit": lambda t: f"bit({min(t.length or 1, 64)})",
    "year": lambda t: "year", "inet": lambda t: "varchar(43)", "geometry": lambda t: "longblob",
    "xml": lambda t: "longtext",
}
