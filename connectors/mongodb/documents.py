"""Rows <-> documents for the MongoDB / DocumentDB target: pure functions, no server.

How a planned row becomes a document (``Shape``, built once per table on the driver,
picklable, applied on the executors):

* columns whose names hold dots (``address.city``) become sub-documents when
  ``Sparkdms.MongoNestDottedNames`` is true (the default); else the name is kept as it is
  (MongoDB 5+ stores it; FerretDB 1.x refuses it);
* a column ``_doc`` (document mode from a MongoDB source) is parsed (MongoDB extended JSON)
  and becomes the document itself; the other columns are set on top of it;
* ``json``/``document`` columns become sub-documents and arrays;
* decimals become Decimal128 where the server stores it and the precision fits its 34
  digits, else their exact plain text (``Sparkdms.MongoDecimal``);
* dates become midnight UTC datetimes, timestamps UTC datetimes (BSON keeps milliseconds:
  the target plans timestamps as ``timestamp(3)``), UUIDs BSON binary subtype 4;
* ``_id``: a column named ``_id``; else the single-column primary key's value; else a
  sub-document of the composite key's columns in key order; else a new ObjectId that holds
  the writing attempt (``attempt_ids``: 4 bytes load time, 4 bytes Spark's task attempt id,
  4 bytes counter), so the commit removes what failed attempts wrote by ``_id`` ranges.

``row_of`` is the inverse, used to read a loaded collection back for validation.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sparkdms.types import LType

DOC_COLUMN = "_doc"
ID = "_id"
DECIMAL128_DIGITS = 34
DECIMAL_MODES = ("auto", "decimal128", "string")
MAX_DEPTH = 100  # nesting levels MongoDB and DocumentDB store


class RowError(ValueError):
    """A row that cannot become a document: the column, its value and why (a reject)."""

    def __init__(self, column: str | None, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.column, self.value, self.reason = column, value, reason


# -- conversions by name: (to the document, back to the row) ---------------------------------

def _plain_decimal(value: Any) -> str:
    return format(Decimal(value), "f")


def _to_decimal128(value: Any) -> Any:
    from bson.decimal128 import Decimal128

    return Decimal128(Decimal(value))


def _from_decimal(value: Any) -> Any:
    from bson.decimal128 import Decimal128

    if isinstance(value, Decimal128):
        return value.to_decimal()
    return Decimal(str(value))


def _to_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as err:
        raise RowError(None, value, f"not valid JSON: {err}") from None


def _from_json(value: Any) -> str:
    from bson import json_util

    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=json_util.default)


def _to_uuid(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise RowError(None, value, "not a UUID") from None


def _to_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(), dt.UTC)


def _from_date(value: Any) -> Any:
    return value.date() if isinstance(value, dt.datetime) else value


def _to_ts(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _from_ts(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value


def _from_uuid(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def _from_binary(value: Any) -> Any:
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else value


def _from_text(value: Any) -> Any:
    from bson import ObjectId

    return str(value) if isinstance(value, ObjectId) else value


def _same(value: Any) -> Any:
    return value


def _to_object_id(value: Any) -> Any:
    from bson import ObjectId

    return ObjectId(value) if isinstance(value, str) and ObjectId.is_valid(value) else value


# name -> (row value -> document value, document value -> row value)
CONVERSIONS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "plain": (_same, _same),
    "text": (_same, _from_text),
    "decimal128": (_to_decimal128, _from_decimal),
    "decimal_text": (_plain_decimal, _from_decimal),
    "json": (_to_json, _from_json),
    "uuid": (_to_uuid, _from_uuid),
    "date": (_to_date, _from_date),
    "timestamp": (_to_ts, _from_ts),
    "binary": (_same, _from_binary),
    "object_id": (_to_object_id, _from_text),
}
# logical kind -> conversion (kinds not listed go as Spark holds them)
KIND_CONVERSIONS: dict[str, str] = {
    "json": "json", "document": "json", "uuid": "uuid", "date": "date",
    "timestamp": "timestamp", "timestamptz": "timestamp",
    **dict.fromkeys(("binary", "varbinary", "blob", "geometry"), "binary"),
    **dict.fromkeys(("char", "varchar", "text", "citext", "enum", "set", "xml", "inet",
                     "interval", "time", "timetz", "array", "bit", "varbit", "money"), "text"),
}


def decimal_conversion(ltype: LType, decimal128: bool) -> str:
    """Decimal128 when the server stores it and the column's digits fit it; else text."""
    from sparkdms.types import is_carried_as_text

    if is_carried_as_text(ltype):
        return "text"  # wider than Spark's 38 digits: exact text already
    fits = ltype.precision is not None and ltype.precision <= DECIMAL128_DIGITS
    return "decimal128" if decimal128 and fits else "decimal_text"


def conversion_of(ltype: LType, decimal128: bool, native: str = "") -> str:
    if ltype.kind in ("decimal", "uint64"):
        return decimal_conversion(ltype if ltype.kind == "decimal" else
                                  LType("decimal", precision=20, scale=0), decimal128)
    if "objectid" in native.lower().replace("_", ""):
        return "object_id"
    return KIND_CONVERSIONS.get(ltype.kind, "plain")


# -- the shape of a table's documents --------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str  # the column (target name)
    path: tuple[str, ...]  # where it goes in the document
    conversion: str


@dataclass(frozen=True)
class Shape:
    """How one table's rows become documents (picklable)."""

    table: str
    fields: tuple[Field, ...]
    id_mode: str  # column | key | composite | doc | generated
    id_fields: tuple[int, ...] = ()  # positions of the _id column(s), key order
    doc_field: int | None = None

    @property
    def keyed(self) -> bool:
        """Documents have an _id from the data: retries upsert by it."""
        return self.id_mode != "generated"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _path(name: str, nest: bool) -> tuple[str, ...]:
    if not nest or "." not in name:
        return (name,)
    return tuple(name.split("."))


def _check_paths(table: str, fields: Sequence[Field]) -> None:
    """Names a document cannot hold: ``$`` first, empty parts, a field that is both a value
    and a sub-document (``a`` and ``a.b``)."""
    from sparkdms.errors import TaskConfigError

    paths = {f.path: f.name for f in fields}
    for f in fields:
        if any(not p for p in f.path) or any(p.startswith("$") for p in f.path):
            raise TaskConfigError(f"table {table}, column {f.name}",
                                  "a MongoDB field name may not be empty or start with '$' "
                                  "(rename it with a table-mapping rule)")
        for i in range(1, len(f.path)):
            if f.path[:i] in paths:
                raise TaskConfigError(
                    f"table {table}, column {f.name}",
                    f"nests under column {paths[f.path[:i]]}, which is a value, not a "
                    "sub-document (Sparkdms.MongoNestDottedNames; rename one of them)")


def shape_of(table: str, columns: Sequence[tuple[str, LType, str]], primary_key: Sequence[str],
             nest: bool = True, decimal128: bool = True) -> Shape:
    """``columns``: (target name, logical type, source native type) in the written order."""
    names = [c[0] for c in columns]
    fields = [Field(n, _path(n, nest) if n not in (ID, DOC_COLUMN) else (n,),
                    conversion_of(t, decimal128, native)) for n, t, native in columns]
    body = [f for f in fields if f.name != DOC_COLUMN]
    _check_paths(table, body)
    doc = names.index(DOC_COLUMN) if DOC_COLUMN in names else None
    if doc is not None:
        ids = (names.index(ID),) if ID in names else ()
        return Shape(table, tuple(fields), "doc", ids, doc)
    if ID in names:
        return Shape(table, tuple(fields), "column", (names.index(ID),))
    key = [k for k in primary_key if k in names]
    if key and len(key) == len(primary_key):
        mode = "key" if len(key) == 1 else "composite"
        return Shape(table, tuple(fields), mode, tuple(names.index(k) for k in key))
    return Shape(table, tuple(fields), "generated")


# -- row -> document ---------------------------------------------------------------------------

def _convert(f: Field, value: Any) -> Any:
    if value is None:
        return None
    try:
        return CONVERSIONS[f.conversion][0](value)
    except RowError as err:
        raise RowError(f.name, value, err.reason) from None
    except (ArithmeticError, ValueError, TypeError) as err:
        raise RowError(f.name, value, f"cannot store as {f.conversion}: {err}") from None


def _put(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc.setdefault(part, {})
    doc[path[-1]] = value


def _parse_doc(f: Field, value: Any) -> dict[str, Any]:
    from bson import json_util
    from bson.binary import UuidRepresentation

    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    try:
        parsed = json_util.loads(value, json_options=json_util.JSONOptions(
            tz_aware=True, uuid_representation=UuidRepresentation.STANDARD))
    except (ValueError, TypeError) as err:
        raise RowError(f.name, value, f"not a JSON document: {err}") from None
    if not isinstance(parsed, dict):
        raise RowError(f.name, value, "the _doc column is not a JSON object")
    return parsed


def to_document(shape: Shape, values: Sequence[Any], new_id: Callable[[], Any]) -> dict[str, Any]:
    """The document of one row (``values`` in ``shape.fields`` order). RowError names the
    column and value a document cannot hold."""
    if shape.doc_field is not None:
        doc = _parse_doc(shape.fields[shape.doc_field], values[shape.doc_field])
    else:
        doc = {}
    converted = [_convert(f, v) for f, v in zip(shape.fields, values, strict=True)]
    _set_id(shape, doc, converted, new_id)
    for i, (f, v) in enumerate(zip(shape.fields, converted, strict=True)):
        if i != shape.doc_field and f.name != ID:
            _put(doc, f.path, v)
    return doc


def _set_id(shape: Shape, doc: dict[str, Any], converted: list[Any],
            new_id: Callable[[], Any]) -> None:
    ids = [converted[i] for i in shape.id_fields]
    if shape.id_mode == "composite":
        value: Any = {shape.fields[i].name: v for i, v in zip(shape.id_fields, ids, strict=True)}
    elif ids:
        value = ids[0]
    else:
        value = doc.get(ID)
    if value is None and shape.id_mode in ("key", "column"):
        raise RowError(shape.fields[shape.id_fields[0]].name, None, "the _id would be NULL")
    doc.pop(ID, None)
    first = {ID: new_id() if value is None else value}
    first.update(doc)
    doc.clear()
    doc.update(first)  # _id first, as MongoDB keeps it


def key_of(shape: Shape, values: Sequence[Any]) -> dict[str, Any]:
    """The row's key as a reject names it (the _id columns, else the first three)."""
    picks = shape.id_fields or tuple(i for i in range(min(3, len(values)))
                                     if i != shape.doc_field)
    return {shape.fields[i].name: values[i] for i in picks}


def depth(value: Any, level: int = 0) -> int:
    """Nesting levels of a document (a scalar is 0)."""
    if isinstance(value, Mapping):
        return max((depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((depth(v, level + 1) for v in value), default=level + 1)
    return level


# -- document -> row (reading a loaded collection back) -----------------------------------------


def _get(doc: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = doc
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def row_of(shape: Shape, doc: Mapping[str, Any]) -> tuple[Any, ...]:
    """The row a document holds, in ``shape.fields`` order, values as Spark takes them."""
    out = []
    for i, f in enumerate(shape.fields):
        if i == shape.doc_field:
            from bson import json_util

            value: Any = json_util.dumps(dict(doc), sort_keys=True)
        elif f.name == ID:
            value = doc.get(ID)
        else:
            value = _get(doc, f.path)
        out.append(None if value is None else CONVERSIONS[f.conversion][1](value))
    return tuple(out)


# -- generated ids: the attempt inside the ObjectId ----------------------------------------------

def _oid(stamp: int, attempt: int, n: int) -> Any:
    from bson import ObjectId

    return ObjectId(stamp.to_bytes(4, "big") + (attempt % 2**32).to_bytes(4, "big")
                    + n.to_bytes(4, "big"))


def attempt_ids(stamp: int, attempt: int) -> Callable[[], Any]:
    """New ObjectIds for one attempt: load time, attempt, counter (ascending)."""
    counter = itertools.count()
    return lambda: _oid(stamp, attempt, next(counter))


def foreign_ranges(stamp: int, kept: Sequence[int]) -> list[dict[str, Any]]:
    """``_id`` filters matching every generated id of the load that is not of an attempt in
    ``kept`` (the attempts Spark reported successful)."""
    slots = sorted({a % 2**32 for a in kept})
    if not slots:
        return [{ID: {"$type": "objectId"}}]
    out: list[dict[str, Any]] = [{ID: {"$lt": _oid(stamp, slots[0], 0)}}]
    for low, high in itertools.pairwise(slots):
        out.append({ID: {"$gt": _oid(stamp, low, 2**32 - 1), "$lt": _oid(stamp, high, 0)}})
    out.append({ID: {"$gt": _oid(stamp, slots[-1], 2**32 - 1)}})
    return out
