"""SQLite declared types <-> logical types.

SQLite types are affinities: the declared name decides. Exact names come from
the table; anything else follows SQLite's affinity rules.
https://www.sqlite.org/datatype3.html#determination_of_column_affinity
"""

from __future__ import annotations

from sparkdms.typemap.rules import LogicalRule, NativeRule, exact, fixed, sized, timed
from sparkdms.types import INTEGER_KINDS

NATIVE_SQLITE: dict[str, NativeRule] = {
    "integer": fixed("int64"), "int": fixed("int64"), "bigint": fixed("int64"),
    "smallint": fixed("int16"), "tinyint": fixed("int8"), "mediumint": fixed("int32"),
    "real": fixed("float64"), "double": fixed("float64"), "double precision": fixed("float64"),
    "float": fixed("float64"), "numeric": exact("decimal"), "decimal": exact("decimal"),
    "boolean": fixed("boolean"), "bool": fixed("boolean"),
    "varchar": sized("varchar"), "character varying": sized("varchar"),
    "nvarchar": sized("varchar"), "char": sized("char", 1), "character": sized("char", 1),
    "nchar": sized("char", 1), "text": fixed("text"), "clob": fixed("text"),
    "blob": fixed("blob"), "date": fixed("date"), "datetime": timed("timestamp"),
    "timestamp": timed("timestamp"), "time": timed("time"), "json": fixed("json"),
    "uuid": fixed("uuid"), "": fixed("blob"),
}

LOGICAL_SQLITE: dict[str, LogicalRule] = {
    **{kind: (lambda t: "INTEGER") for kind in INTEGER_KINDS},
    "decimal": lambda t: f"DECIMAL({t.precision},{t.scale or 0})" if t.precision else "NUMERIC",
    "money": lambda t: "DECIMAL(19,4)", "float32": lambda t: "REAL", "float64": lambda t: "REAL",
    "char": lambda t: f"CHAR({t.length or 1})",
    "varchar": lambda t: f"VARCHAR({t.length})" if t.length else "TEXT",
    "text": lambda t: "TEXT", "binary": lambda t: "BLOB", "varbinary": lambda t: "BLOB",
    "blob": lambda t: "BLOB", "boolean": lambda t: "BOOLEAN", "date": lambda t: "DATE",
    "time": lambda t: "TIME", "timestamp": lambda t: "DATETIME",
    "timestamptz": lambda t: "DATETIME", "interval": lambda t: "TEXT", "json": lambda t: "JSON",
    "document": lambda t: "JSON", "uuid": lambda t: "VARCHAR(36)", "enum": lambda t: "TEXT",
    "set": lambda t: "TEXT", "array": lambda t: "TEXT", "bit": lambda t: "TEXT",
    "year": lambda t: "INTEGER", "inet": lambda t: "TEXT", "geometry": lambda t: "BLOB",
    "xml": lambda t: "TEXT",
}

# affinity rules, in SQLite's order, for declared names the table does not know
AFFINITY: tuple[tuple[str, NativeRule], ...] = (
    ("int", fixed("int64")), ("char", fixed("text")), ("clob", fixed("text")),
    ("text", fixed("text")), ("blob", fixed("blob")), ("real", fixed("float64")),
    ("floa", fixed("float64")), ("doub", fixed("float64")),
)
