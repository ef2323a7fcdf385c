"""A collection's relational shape, inferred from sampled documents (pure Python, no server).

Document mode (``NestingLevel: none``): columns ``_id`` and ``_doc`` (the whole document as
MongoDB relaxed Extended JSON). Table mode (``NestingLevel: one``): ``_id``, every top-level
field as a column, the fields of a sub-document flattened one level to ``a.b`` columns
(anything deeper stays JSON text in its ``a.b`` column), arrays as JSON text.

A field whose BSON type varies is widened (``types.widen``) and noted. A field that is a
sub-document in some documents and a scalar in others cannot be flattened: it is a
``Conflict``, which stops the load (``ShapeError``) naming collection, field and documents.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import Decimal128, ObjectId
from bson.binary import Binary
from bson.code import Code
from bson.datetime_ms import DatetimeMS
from bson.dbref import DBRef
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.regex import Regex
from bson.timestamp import Timestamp
from sparkdms.connectors.mongodb.types import MONGODB, spelling, widen, widening_note

from sparkdms.catalog import Column
from sparkdms.errors import TerminalError
from sparkdms.types import LType

ID = "_id"
DOC = "_doc"
INT32 = (-(2**31), 2**31 - 1)
# Python type of a decoded value -> BSON type; first match wins (bool before int, Code and
# Binary before str and bytes, which they subclass)
PY_BSON: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "bool"), (Int64, "long"), (int, "int"), (float, "double"), (Code, "javascript"),
    (str, "string"), (ObjectId, "objectId"), ((dt.datetime, DatetimeMS), "date"),
    (Decimal128, "decimal"), (uuid.UUID, "uuid"), ((Binary, bytes), "binData"),
    (Mapping, "object"), ((list, tuple), "array"), (type(None), "null"),
    ((Regex, re.Pattern), "regex"), (Timestamp, "timestamp"), (MinKey, "minKey"),
    (MaxKey, "maxKey"), (DBRef, "dbPointer"),
)
# relational targets hold these only as their Extended JSON text
JSON_ONLY = frozenset({"regex", "javascript", "minKey", "maxKey", "dbPointer", "timestamp"})


class ShapeError(TerminalError):
    """A collection's documents cannot be read in the configured NestingLevel."""

    def __init__(self, collection: str, field_name: str, problem: str) -> None:
        super().__init__(f"collection {collection}, field {field_name!r}: {problem}")
        self.collection = collection
        self.field = field_name
        self.problem = problem


_BY_CLASS: dict[type, str] = {}  # Python class -> BSON type, filled as classes are met


def _classify(cls: type) -> str:
    return next((name for py, name in PY_BSON if issubclass(cls, py)), "unknown")


def bson_type(value: Any) -> str:
    """The BSON type name (``$type`` alias) of a value as pymongo decodes it."""
    cls = type(value)
    name = _BY_CLASS.get(cls)
    if name is None:
        name = _BY_CLASS[cls] = _classify(cls)
    if name == "int" and not INT32[0] <= value <= INT32[1]:
        return "long"
    if name == "binData" and cls is Binary and value.subtype == 4:
        return "uuid"
    if name == "javascript" and value.scope is not None:
        return "javascriptWithScope"
    return name


@dataclass
class FieldStats:
    """What sampling saw of one column: BSON types, documents holding a value, sub-documents
    kept as JSON because they are deeper than the flattening, and an example ``_id`` per type."""

    name: str
    path: tuple[str, ...]
    types: set[str] = field(default_factory=set)
    seen: int = 0
    deep: int = 0
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, value: Any, doc_id: Any) -> str:
        t = bson_type(value)
        self.types.add(t)
        self.seen += t != "null"
        self.examples.setdefault(t, id_text(doc_id))
        return t


@dataclass(frozen=True)
class Field:
    name: str  # column name: "_id", "_doc", "a", "a.b"
    path: tuple[str, ...]  # keys in the document; () is the whole document
    types: frozenset[str]
    seen: int = 0
    deep: int = 0  # sampled values that are sub-documents kept as JSON (depth > 1)

    @property
    def native(self) -> str:
        return "object" if not self.path else spelling(self.types)

    @property
    def ltype(self) -> LType:
        return LType("json") if not self.path else widen(self.types)


@dataclass(frozen=True)
class Conflict:
    field: str
    problem: str

    def describe(self) -> str:
        return self.problem


def _mixed_conflict(key: str, stats: FieldStats, real: set[str]) -> Conflict:
    seen = ", ".join(f"{t} (e.g. _id {stats.examples[t]})" for t in sorted(real))
    return Conflict(key, f"is a sub-document in some documents and a scalar in others: {seen}")


@dataclass(frozen=True)
class Shape:
    database: str
    collection: str
    mode: str  # "document" | "table"
    fields: tuple[Field, ...]
    sampled: int
    conflicts: tuple[Conflict, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.database}.{self.collection}"

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def columns(self) -> tuple[Column, ...]:
        return tuple(Column(f.name, f.native, MONGODB.to_logical(f.native) if f.path
                            else LType("json"), nullable=f.name != ID, ordinal=i + 1)
                     for i, f in enumerate(self.fields))

    def varying(self) -> list[tuple[Field, str]]:
        return [(f, note) for f in self.fields if f.path and (note := widening_note(f.types))]

    def notes(self) -> tuple[str, ...]:
        """Plan warnings: widened fields, unflattenable fields, JSON kept below the depth."""
        out = [f"field {f.name} has types {spelling(f.types)} in the sampled documents: {note}"
               for f, note in self.varying()]
        out += [f"field {c.field} {c.describe()}: the load stops (NestingLevel one cannot "
                "flatten it; use NestingLevel none)" for c in self.conflicts]
        out += [f"field {f.name}: {f.deep} sampled value(s) nest deeper than NestingLevel one "
                "and are kept as JSON text" for f in self.fields if f.deep]
        return tuple(out)

    def check(self) -> None:
        """ShapeError for the first field that cannot be flattened."""
        if self.conflicts:
            c = self.conflicts[0]
            raise ShapeError(self.label, c.field, f"{c.describe()}; NestingLevel one cannot "
                             "flatten it: use NestingLevel none (document mode) or make the "
                             "field one type")


def id_text(value: Any) -> str:
    """An ``_id`` as text for messages and text columns: ObjectId hex, numbers, strings."""
    return str(value) if isinstance(value, (ObjectId, str, int, float, Decimal128, uuid.UUID)) \
        else repr(value)


def infer(docs: Iterable[Mapping[str, Any]], database: str, collection: str,
          mode: str) -> Shape:
    """The shape of a collection from its sampled documents."""
    ident = FieldStats(ID, (ID,))
    top: dict[str, FieldStats] = {}
    sub: dict[tuple[str, str], FieldStats] = {}
    n = 0
    for doc in docs:
        n += 1
        doc_id = doc.get(ID)
        ident.add(doc_id, doc_id)
        if mode == "table":
            _sample_table(doc, doc_id, top, sub)
    if mode == "document":
        fields = (_frozen(ident), Field(DOC, (), frozenset({"object"}), n))
        return Shape(database, collection, mode, fields, n)
    return _table_shape(database, collection, n, ident, top, sub)


def _sample_table(doc: Mapping[str, Any], doc_id: Any, top: dict[str, FieldStats],
                  sub: dict[tuple[str, str], FieldStats]) -> None:
    for key, value in doc.items():
        if key == ID:
            continue
        stats = top.setdefault(key, FieldStats(key, (key,)))
        if stats.add(value, doc_id) != "object":
            continue
        for skey, svalue in value.items():
            s = sub.setdefault((key, skey), FieldStats(f"{key}.{skey}", (key, skey)))
            if s.add(svalue, doc_id) == "object":
                s.deep += 1


def _frozen(s: FieldStats) -> Field:
    return Field(s.name, s.path, frozenset(s.types), s.seen, s.deep)


def _table_shape(database: str, collection: str, n: int, ident: FieldStats,
                 top: dict[str, FieldStats], sub: dict[tuple[str, str], FieldStats]) -> Shape:
    fields = [_frozen(ident)]
    conflicts = []
    for key, stats in top.items():
        real = stats.types - {"null", "undefined"}
        nested = [s for (k, _), s in sub.items() if k == key]
        if "object" in real and len(real) > 1:
            conflicts.append(_mixed_conflict(key, stats, real))
            fields.append(Field(key, (key,), frozenset({"string"}), stats.seen))
        elif "object" in real and nested:
            fields += [_frozen(s) for s in nested]
        else:  # scalars, arrays, only empty sub-documents ({} as JSON)
            fields.append(_frozen(stats))
    names = [f.name for f in fields]
    clashes = sorted({x for x in names if names.count(x) > 1})
    conflicts += [Conflict(x, "names both a top-level field and a flattened sub-document "
                           "field") for x in clashes]
    return Shape(database, collection, "table", tuple(fields), n, tuple(conflicts))
