"""SQLite declared types <-> logical types.

SQLite types are affinities: the declared name decides. Exact names come from
the table; anything else follows SQLite's affinity rules.
https://www.sqlite.org/datatype3.html#determination_of_column_affinity

SQLite does not enforce declared types or lengths: a ``VARCHAR(10)`` column may
hold 50 characters, an ``INTEGER`` column may hold text. The assessment samples
``typeof()`` and lengths and reports values the target type will reject. A column
declared without a type is read as text.
"""

from __future__ import annotations

from sparkdms.connectors.base import Dialect, IdentRules

from sparkdms.plan.typemap.rules import LogicalRule, NativeRule, exact, fixed, same, sized, timed
from sparkdms.types import INTEGER_KINDS, NativeType

NATIVE_SQLITE: dict[str, NativeRule] = {
    "integer": fixed("int64"), "int": fixed("int64"), "bigint": fixed("int64"),
    "int8": fixed("int64"), "unsigned big int": fixed("int64"), "int2": fixed("int16"),
    "smallint": fixed("int16"), "tinyint": fixed("int8"), "mediumint": fixed("int32"),
    "real": fixed("float64"), "double": fixed("float64"), "double precision": fixed("float64"),
    "float": fixed("float64"), "numeric": exact("decimal"), "decimal": exact("decimal"),
    "decimal_text": exact("decimal"),  # what sparkdms writes for wide decimals (DECIMAL_DIGITS)
    "boolean": fixed("boolean"), "bool": fixed("boolean"),
    "varchar": sized("varchar"), "character varying": sized("varchar"),
    "varying character": sized("varchar"), "nvarchar": sized("varchar"),
    "char": sized("char", 1), "character": sized("char", 1), "nchar": sized("char", 1),
    "native character": sized("char", 1), "text": fixed("text"), "clob": fixed("text"),
    "blob": fixed("blob"), "date": fixed("date"), "datetime": timed("timestamp"),
    "timestamp": timed("timestamp"), "time": timed("time"), "json": fixed("json"),
    "uuid": fixed("uuid"), "": fixed("text"),
}

# SQLite keeps a NUMERIC-affinity value as REAL: 15 significant digits. A wider decimal is
# declared DECIMAL_TEXT(p,s) (TEXT affinity: the digits are kept as written, exactly), a name
# SQLite sources read back as decimal(p,s).
DECIMAL_DIGITS = 15


def _decimal(precision: int | None, scale: int | None) -> str:
    if precision and precision <= DECIMAL_DIGITS:
        return f"DECIMAL({precision},{scale or 0})"
    return f"DECIMAL_TEXT({precision},{scale or 0})" if precision else "DECIMAL_TEXT"


LOGICAL_SQLITE: dict[str, LogicalRule] = {
    **{kind: same("INTEGER") for kind in INTEGER_KINDS},
    "uint64": same("NUMERIC"),  # above 2**63-1 SQLite would store a REAL
    "decimal": lambda t: _decimal(t.precision, t.scale),
    "money": same("DECIMAL(19,4)"), "float32": same("REAL"), "float64": same("REAL"),
    "char": lambda t: f"CHAR({t.length or 1})",
    "varchar": lambda t: f"VARCHAR({t.length})" if t.length else "TEXT",
    "text": same("TEXT"), "citext": same("TEXT COLLATE NOCASE"), "binary": same("BLOB"),
    "varbinary": same("BLOB"), "blob": same("BLOB"), "boolean": same("BOOLEAN"),
    "date": same("DATE"), "time": same("TIME"), "timetz": same("TEXT"),
    "timestamp": same("DATETIME"), "timestamptz": same("DATETIME"), "interval": same("TEXT"),
    "json": same("JSON"), "document": same("JSON"), "uuid": same("VARCHAR(36)"),
    "enum": same("TEXT"), "set": same("TEXT"), "array": same("JSON"), "bit": same("TEXT"),
    "varbit": same("TEXT"), "year": same("INTEGER"), "inet": same("TEXT"),
    "geometry": same("BLOB"), "xml": same("TEXT"),
}

# affinity rules, in SQLite's order, for declared names the table does not know
AFFINITY: tuple[tuple[str, NativeRule], ...] = (
    ("int", fixed("int64")), ("char", fixed("text")), ("clob", fixed("text")),
    ("text", fixed("text")), ("blob", fixed("blob")), ("real", fixed("float64")),
    ("floa", fixed("float64")), ("doub", fixed("float64")),
)


# words the engine reserves (sparkdms quotes every name; the assessment lists them)
SQLITE_RESERVED = frozenset("""
abort action add after all alter always analyze and as asc attach autoincrement before begin
between by cascade case cast check collate column commit conflict constraint create cross current
current_date current_time current_timestamp database default deferrable deferred delete desc
detach distinct do drop each else end escape except exclude exclusive exists explain fail filter
first following for foreign from full generated glob group groups having if ignore immediate in
index indexed initially inner insert instead intersect into is isnull join key last left like
limit match materialized natural no not nothing notnull null nulls of offset on or order others
outer over partition plan pragma preceding primary query raise range recursive references regexp
reindex release rename replace restrict returning right rollback row rows savepoint select set
table temp temporary then ties to transaction trigger unbounded union unique update using vacuum
values view virtual when where window with without
""".split())


def fallback(parsed: NativeType) -> NativeRule:
    for needle, rule in AFFINITY:
        if needle in parsed.name:
            return rule
    return fixed("decimal")  # NUMERIC affinity, unbounded


SQLITE = Dialect("sqlite", NATIVE_SQLITE, LOGICAL_SQLITE, "sqlite", fallback,
                 identifiers=IdentRules(0, "chars", "keep", SQLITE_RESERVED, ci_columns=True,
                                        ci_tables=True), family="sqlite")
