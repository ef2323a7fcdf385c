"""Documents -> rows (runs on the executors): one converter per logical kind, Arrow batches.

Each column has a converter from the decoded BSON value to the value Spark carries for its
logical type (``sparkdms.types.spark_type``): ObjectId -> its hex text, Decimal128 -> exact
decimal text, datetime -> UTC instant, UUID -> text, sub-documents and arrays -> relaxed
Extended JSON. A value of a BSON type the column does not accept (a field that sampling saw
as int holding a string) is a ``DocumentValueError`` naming collection, ``_id``, field and
value; so is a field no sampled document had (table mode reads every field or stops).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bson import json_util
from bson.binary import Binary, UuidRepresentation
from bson.datetime_ms import DatetimeMS
from bson.errors import InvalidBSON
from bson.json_util import DatetimeRepresentation, JSONMode, JSONOptions
from sparkdms.connectors.mongodb.schema import ID, INT32, bson_type, id_text
from sparkdms.connectors.mongodb.types import NUMBER_TYPES

from sparkdms.errors import TerminalError
from sparkdms.types import LType

JSON_OPTIONS = JSONOptions(json_mode=JSONMode.RELAXED,
                           uuid_representation=UuidRepresentation.STANDARD,
                           datetime_representation=DatetimeRepresentation.ISO8601, tz_aware=True)
BATCH_ROWS = 4096
MISSING = object()


class DocumentValueError(TerminalError):
    """A document holds a value its column cannot take."""

    def __init__(self, collection: str, doc_id: str, field_name: str, problem: str) -> None:
        super().__init__(f"collection {collection}, document _id {doc_id}, field "
                         f"{field_name!r}: {problem}")
        self.collection = collection
        self.doc_id = doc_id
        self.field = field_name


def to_json(value: Any) -> str:
    return json_util.dumps(value, json_options=JSON_OPTIONS, ensure_ascii=False)


def text_of(value: Any) -> str:
    """A value of any BSON type as the text of a widened column."""
    t = bson_type(value)
    if t == "string":
        return str(value)
    if t == "bool":
        return "true" if value else "false"
    if t == "double":
        return repr(float(value))
    if t in ("int", "long", "objectId", "decimal", "uuid"):
        return str(value)
    if t == "date" and isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return to_json(value)


def decimal_text(value: Any) -> str:
    """An exact decimal text of a number (Decimal128 keeps its digits and exponent)."""
    t = bson_type(value)
    if t == "decimal":
        return str(value.to_decimal())
    if t == "double":
        if not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return str(Decimal(repr(float(value))))
    return str(int(value))


def _int32(value: Any) -> int:
    if not INT32[0] <= value <= INT32[1]:
        raise ValueError("out of the 32-bit range sampled for it")
    return int(value)


def _instant(value: Any) -> dt.datetime:
    if isinstance(value, DatetimeMS):  # outside Python's years 1..9999
        try:
            value = value.as_datetime()
        except (InvalidBSON, OverflowError):
            raise ValueError(f"{int(value)} ms from 1970 is outside the years 1 to 9999 a "
                             "timestamp column holds") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _int64(value: Any) -> int:
    if bson_type(value) == "timestamp":
        return (value.time << 32) | value.inc
    return int(value)


# logical kind -> (BSON types it takes, converter)
CONVERTERS: dict[str, tuple[frozenset[str] | None, Callable[[Any], Any]]] = {
    "int32": (frozenset({"int", "long"}), _int32),
    "int64": (frozenset({"int", "long", "timestamp"}), _int64),
    "float64": (frozenset({"int", "long", "double"}), float),
    "decimal": (frozenset(NUMBER_TYPES), decimal_text),
    "boolean": (frozenset({"bool"}), bool),
    "timestamptz": (frozenset({"date"}), _instant),
    "blob": (frozenset({"binData"}), bytes),
    "uuid": (frozenset({"uuid"}), lambda v: str(v.as_uuid() if isinstance(v, Binary) else v)),
    "json": (frozenset({"object", "array"}), to_json),
    "objectId": (frozenset({"objectId"}), str),  # an ObjectId-only column: its hex text
    "text": (None, text_of),  # anything, as text
}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    path: tuple[str, ...]  # () the whole document
    kind: str


@dataclass(frozen=True)
class RowSpec:
    """How one collection's documents become rows: picklable, sent to the executors."""

    collection: str  # database.collection, for messages
    columns: tuple[ColumnSpec, ...]
    known: frozenset[tuple[str, ...]]  # every path the sampled schema has (table mode)
    table_mode: bool
    strict: bool  # every field of a document must be known (all columns are read)
    parents: frozenset[str] = frozenset()  # fields flattened to their sub-fields' columns

    def row(self, doc: Mapping[str, Any]) -> list[Any]:
        if self.strict:
            self._check_known(doc)
        return [self._value(doc, c) for c in self.columns]

    def _value(self, doc: Mapping[str, Any], col: ColumnSpec) -> Any:
        value = _lookup(doc, col.path)
        if value is MISSING or value is None:
            return None
        t = bson_type(value)
        if t == "undefined":
            return None
        accepts, convert = CONVERTERS[col.kind]
        if accepts is not None and t not in accepts:
            raise self._error(doc, col.name, f"a {t} value {_short(value)} where the sampled "
                              f"schema has {col.kind}; raise DocsToInvestigate so sampling "
                              "sees it, or use NestingLevel none")
        try:
            return convert(value)
        except (ValueError, OverflowError, TypeError) as err:
            raise self._error(doc, col.name, f"{_short(value)}: {err}") from None

    def _check_known(self, doc: Mapping[str, Any]) -> None:
        """Every field of ``doc`` has a column (or, flattened, columns): nothing is lost."""
        for key, value in doc.items():
            if key == ID or (key,) in self.known:
                continue
            if (key,) not in self.known and key not in self.parents:
                raise self._unknown(doc, key)
            t = bson_type(value)
            if t in ("null", "undefined"):
                continue
            if t != "object":
                raise self._error(doc, key, f"a {t} value {_short(value)} where sampled "
                                  "documents have a sub-document (flattened to "
                                  f"{key}.*): NestingLevel one cannot flatten it; use "
                                  "NestingLevel none")
            unknown = next((k for k in value if (key, k) not in self.known), None)
            if unknown is not None:
                raise self._unknown(doc, f"{key}.{unknown}")

    def _unknown(self, doc: Mapping[str, Any], name: str) -> DocumentValueError:
        return self._error(doc, name, "not in the schema sampled from DocsToInvestigate "
                           "documents, so it would be lost; raise DocsToInvestigate or use "
                           "NestingLevel none")

    def _error(self, doc: Mapping[str, Any], name: str, problem: str) -> DocumentValueError:
        return DocumentValueError(self.collection, id_text(doc.get(ID)), name, problem)


def _lookup(doc: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    if not path:
        return doc
    value: Any = doc
    for key in path:
        if not isinstance(value, Mapping):
            return MISSING
        value = value.get(key, MISSING)
        if value is MISSING:
            return MISSING
    return value


def _short(value: Any) -> str:
    text = text_of(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def row_spec(collection: str, columns: Sequence[tuple[str, tuple[str, ...], LType, str]],
             known: Iterable[tuple[str, ...]], table_mode: bool, strict: bool) -> RowSpec:
    """``columns``: (name, path in the document, logical type, native type) of each column."""
    specs = tuple(ColumnSpec(name, path, kind_of(lt, path, native))
                  for name, path, lt, native in columns)
    paths = frozenset(known)
    return RowSpec(collection, specs, paths, table_mode, strict and table_mode,
                   frozenset(p[0] for p in paths if len(p) == 2))


def kind_of(lt: LType, path: tuple[str, ...], native: str = "") -> str:
    """The converter a column uses: the whole document as JSON, ObjectIds as hex, the
    logical kind's own, else text (a column read as text by a type override too)."""
    if not path:
        return "json"
    if native == "objectId" and lt.kind == "varchar":
        return "objectId"
    return lt.kind if lt.kind in CONVERTERS and lt.kind != "objectId" else "text"


def batches(spec: RowSpec, docs: Iterable[Mapping[str, Any]], arrow_types: Sequence[Any],
            names: Sequence[str], end_marker: bool) -> Iterator[Any]:
    """Arrow record batches of ``BATCH_ROWS`` rows; with ``end_marker`` a last batch of one
    row whose marker is true (other columns NULL)."""
    import pyarrow as pa

    cols: list[list[Any]] = [[] for _ in spec.columns]

    def flush(marker: bool = False) -> Any:
        arrays = [pa.array(c, type=t) for c, t in zip(cols, arrow_types, strict=True)]
        if end_marker:
            arrays.append(pa.array([marker] * len(cols[0]), pa.bool_()))
        for c in cols:
            c.clear()
        return pa.RecordBatch.from_arrays(arrays, names=list(names))

    for doc in docs:
        for c, v in zip(cols, spec.row(doc), strict=True):
            c.append(v)
        if len(cols[0]) >= BATCH_ROWS:
            yield flush()
    if cols[0]:
        yield flush()
    if end_marker:
        for c in cols:
            c.append(None)
        yield flush(marker=True)
