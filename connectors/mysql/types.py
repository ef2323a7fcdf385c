"""MySQL / MariaDB types <-> logical types, in two readable tables.

Names are those ``information_schema.COLUMNS.COLUMN_TYPE`` prints.
https://dev.mysql.com/doc/refman/8.0/en/data-types.html
https://mariadb.com/kb/en/data-types/

Reading MySQL (``NATIVE_MY``):
- ``tinyint(1)`` is boolean unless the endpoint sets ``options.tinyint1_as_boolean: false``
  (a value other than 0/1 would become true: the assessment samples for them).
- ``timestamp`` is an instant (stored UTC; sparkdms sessions use time_zone '+00:00'),
  ``datetime`` is a wall-clock timestamp without zone.
- zero dates (``0000-00-00``, ``2024-00-10``) are read as NULL or stop the table, as the
  endpoint's ``options.zero_date`` says (``null``, the default, or ``error``); counted in
  the table statistics as ``ZeroDatesAsNull``.
- MariaDB ``json`` is ``longtext`` plus a ``json_valid()`` CHECK: discovery turns such
  columns back into json.

Writing MySQL (``LOGICAL_MY``):
- ``timestamptz`` -> ``datetime(p)`` holding the UTC wall clock (``timestamp`` would stop
  at 2038); the zone offset is not kept.
- unbounded ``numeric`` -> ``decimal(65,30)``; a value with more digits stops the load
  (never rounded silently). ``money`` -> ``decimal(19,4)``.
- arrays and documents -> ``json``; ``interval`` -> ISO 8601 text; ``uuid`` -> ``char(36)``
  (override with ``type:uuid: uuid`` on MariaDB >= 10.7); ``inet`` -> ``varchar(43)``;
  geometry -> WKB in ``longblob`` (a warning in the assessment).
- ``citext`` -> ``longtext`` with a case-insensitive collation.
"""

from __future__ import annotations

from sparkdms.connectors.base import Dialect, IdentRules

from sparkdms.plan.typemap.rules import (
    LogicalRule,
    NativeRule,
    blob_of,
    fixed,
    frac,
    members,
    same,
    sized,
    text_of,
    timed,
)
from sparkdms.types import LType, NativeType

SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")
MAX_VARCHAR = 16383  # utf8mb4 characters in 65,535 bytes
MAX_DECIMAL = (65, 30)


# words the engine reserves (sparkdms quotes every name; the assessment lists them)
MYSQL_RESERVED = frozenset("""
accessible add all alter analyze and as asc asensitive before between bigint binary blob both by
call cascade case change char character check collate column condition constraint continue
convert create cross cube cume_dist current_date current_time current_timestamp current_user
cursor database databases day_hour day_microsecond day_minute day_second dec decimal declare
default delayed delete dense_rank desc describe deterministic distinct distinctrow div double
drop dual each else elseif empty enclosed escaped except exists exit explain false fetch
first_value float float4 float8 for force foreign from fulltext function generated get grant
group grouping groups having high_priority hour_microsecond hour_minute hour_second if ignore in
index infile inner inout insensitive insert int int1 int2 int3 int4 int8 integer intersect
interval into is iterate join json_table key keys kill lag last_value lateral lead leading leave
left like limit linear lines load localtime localtimestamp lock long longblob longtext loop
low_priority match maxvalue mediumblob mediumint mediumtext middleint minute_microsecond
minute_second mod modifies natural not no_write_to_binlog nth_value ntile null numeric of offset
on optimize option optionally or order out outer outfile over partition percent_rank precision
primary procedure purge range rank read reads read_write real recursive references regexp
release rename repeat replace require resignal restrict return returning revoke right rlike row
rows row_number schema schemas second_microsecond select sensitive separator set show signal
smallint spatial specific sql sqlexception sqlstate sqlwarning sql_big_result
sql_calc_found_rows sql_small_result ssl starting stored straight_join system table terminated
then tinyblob tinyint tinytext to trailing trigger true undo union unique unlock unsigned update
usage use using utc_date utc_time utc_timestamp values varbinary varchar varcharacter varying
virtual when where while window with write xor year_month zerofill
""".split())


def _int(signed: str, unsigned: str) -> NativeRule:
    return lambda n: LType(unsigned if "unsigned" in n.suffix else signed)


def _tinyint(n: NativeType) -> LType:
    if n.args == ("1",) and "unsigned" not in n.suffix:
        return LType("boolean")
    return LType("uint8" if "unsigned" in n.suffix else "int8")


def _decimal(n: NativeType) -> LType:
    return LType("decimal", precision=n.int_arg(0) or 10, scale=n.int_arg(1) or 0)


def _float(n: NativeType) -> LType:
    # float(p) with p > 24 is a double; float(m,d) is a single
    return LType("float64" if len(n.args) == 1 and (n.int_arg(0) or 0) > 24 else "float32")


NATIVE_MY: dict[str, NativeRule] = {
    "tinyint": _tinyint, "bool": fixed("boolean"), "boolean": fixed("boolean"),
    "smallint": _int("int16", "uint16"), "mediumint": _int("int32", "uint24"),
    "int": _int("int32", "uint32"), "integer": _int("int32", "uint32"),
    "bigint": _int("int64", "uint64"), "serial": fixed("uint64"),
    "decimal": _decimal, "numeric": _decimal, "dec": _decimal, "fixed": _decimal,
    "float": _float, "double": fixed("float64"), "real": fixed("float64"),
    "double precision": fixed("float64"),
    "bit": sized("bit", 1), "char": sized("char", 1), "varchar": sized("varchar"),
    "nchar": sized("char", 1), "nvarchar": sized("varchar"), "national char": sized("char", 1),
    "national varchar": sized("varchar"),
    "tinytext": text_of(255), "text": text_of(65535), "mediumtext": text_of(16777215),
    "longtext": text_of(None), "long": text_of(16777215), "long varchar": text_of(16777215),
    "binary": sized("binary", 1), "varbinary": sized("varbinary"),
    "tinyblob": blob_of(255), "blob": blob_of(65535), "mediumblob": blob_of(16777215),
    "longblob": blob_of(None), "long varbinary": blob_of(16777215),
    "date": fixed("date"), "datetime": timed("timestamp", 0),
    "timestamp": timed("timestamptz", 0), "time": timed("time", 0), "year": fixed("year"),
    "json": fixed("json"), "enum": members("enum"), "set": members("set"),
    "uuid": fixed("uuid"), "inet4": fixed("inet"), "inet6": fixed("inet"),
    "geometry": fixed("geometry"), "point": fixed("geometry"), "linestring": fixed("geometry"),
    "polygon": fixed("geometry"), "multipoint": fixed("geometry"),
    "multilinestring": fixed("geometry"), "multipolygon": fixed("geometry"),
    "geometrycollection": fixed("geometry"), "geomcollection": fixed("geometry"),
}


def _decimal_ddl(t: LType) -> str:
    if t.precision is None:
        return "decimal(65,30)"  # unbounded; more digits stop the load (see resolve.py)
    scale = min(t.scale or 0, MAX_DECIMAL[1])
    return f"decimal({min(max(t.precision, scale), MAX_DECIMAL[0])},{scale})"


def _list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("\\", "\\\\").replace("'", "''") + "'" for v in values)


def _text_ddl(t: LType) -> str:
    for limit, name in ((255, "tinytext"), (65535, "text"), (16777215, "mediumtext")):
        if t.length is not None and t.length <= limit:
            return name
    return "longtext"


def _blob_ddl(t: LType) -> str:
    for limit, name in ((255, "tinyblob"), (65535, "blob"), (16777215, "mediumblob")):
        if t.length is not None and t.length <= limit:
            return name
    return "longblob"


def _char_ddl(t: LType) -> str:
    length = t.length or 1
    if length <= 255:
        return f"char({length})"
    return f"varchar({length})" if length <= MAX_VARCHAR else "longtext"


def _varchar_ddl(t: LType) -> str:
    return f"varchar({t.length})" if t.length and t.length <= MAX_VARCHAR else "longtext"


def _binary_ddl(t: LType) -> str:
    length = t.length or 1
    return f"binary({length})" if length <= 255 else _varbinary_ddl(t)


def _varbinary_ddl(t: LType) -> str:
    return f"varbinary({t.length})" if t.length and t.length <= 65532 else "longblob"


LOGICAL_MY: dict[str, LogicalRule] = {
    "int8": same("tinyint"), "int16": same("smallint"), "int32": same("int"),
    "int64": same("bigint"), "uint8": same("tinyint unsigned"),
    "uint16": same("smallint unsigned"), "uint24": same("mediumint unsigned"),
    "uint32": same("int unsigned"), "uint64": same("bigint unsigned"),
    "decimal": _decimal_ddl, "money": same("decimal(19,4)"),
    "float32": same("float"), "float64": same("double"),
    "char": _char_ddl, "varchar": _varchar_ddl, "text": _text_ddl,
    "citext": same("longtext COLLATE utf8mb4_unicode_ci"),
    "binary": _binary_ddl, "varbinary": _varbinary_ddl, "blob": _blob_ddl,
    "boolean": same("tinyint(1)"), "date": same("date"),
    "time": lambda t: frac("time", t, 6, 0), "timetz": same("varchar(32)"),
    "timestamp": lambda t: frac("datetime", t, 6, 0),
    "timestamptz": lambda t: frac("datetime", t, 6, 0), "interval": same("varchar(64)"),
    "json": same("json"), "document": same("json"), "uuid": same("char(36)"),
    "enum": lambda t: f"enum({_list(t.values)})" if t.values else "varchar(255)",
    "set": lambda t: f"set({_list(t.values)})" if t.values else "varchar(255)",
    "array": same("json"),
    "bit": lambda t: f"bit({t.length or 1})" if (t.length or 1) <= 64 else f"varchar({t.length})",
    "varbit": lambda t: f"varchar({t.length})" if t.length else "longtext",
    "year": same("year"), "inet": same("varchar(43)"), "geometry": same("longblob"),
    "xml": same("longtext"),
}

# MariaDB: the same tables; uuid/inet4/inet6 read natively (see NATIVE_MY)
NATIVE_MARIA: dict[str, NativeRule] = {**NATIVE_MY}
LOGICAL_MARIA: dict[str, LogicalRule] = {**LOGICAL_MY}

# names the server refuses even quoted ("Incorrect table name"); database, table and column
# names alike. https://dev.mysql.com/doc/refman/8.0/en/identifiers.html
MY_FORBIDDEN = (
    (r"[ \t\n\r\v\f]\Z", "MySQL and MariaDB names cannot end with a space (or tab, newline)"),
    (r"\A\Z", "MySQL and MariaDB names cannot be empty"),
    (r"\x00", "MySQL and MariaDB names cannot contain NUL (U+0000)"),
    (r"[\U00010000-\U0010FFFF]", "MySQL and MariaDB names take only characters up to U+FFFF "
                                "(no emoji or other supplementary characters)"),
)
MY_NAMES = IdentRules(64, "chars", "keep", MYSQL_RESERVED, ci_columns=True,
                      forbidden=MY_FORBIDDEN)
MYSQL = Dialect("mysql", NATIVE_MY, LOGICAL_MY, "mysql", identifiers=MY_NAMES, family="mysql",
                quote_char="`")
MARIADB = Dialect("mariadb", NATIVE_MARIA, LOGICAL_MARIA, "mysql", identifiers=MY_NAMES,
                  family="mysql", quote_char="`")
