"""Splitting a collection into ``_id`` ranges, one Spark partition (one cursor) each.

MongoDB compares values only within a type bracket (numbers, strings, ObjectIds, dates), so
``{_id: {$gte: a, $lt: b}}`` with numbers ``a``, ``b`` never matches a string ``_id``. The
ranges split the bracket of the largest ``_id`` (the usual single type); when the smallest
``_id`` is of another bracket, one more partition reads every ``_id`` not of that type
(``$not: {$type: ...}``). Together they read each document exactly once.

Boundaries: a parallel-load ``ranges`` rule on ``_id`` (values as text, read as the ``_id``
type), else ``Sparkdms.RowsPerPartition`` sized ranges (at most MaxPartitionsPerTable) at
quantiles of ``$sample``d ids, or, where the server has no ``$sample`` (FerretDB 1.x), of the
ids at sorted skips.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bson import Decimal128, ObjectId
from sparkdms.connectors.mongodb.schema import ID, bson_type, id_text
from sparkdms.connectors.mongodb.types import NUMBER_TYPES

from sparkdms.plan import Partition, Partitioning

if TYPE_CHECKING:
    from sparkdms.plan import TablePlan
    from sparkdms.task.settings import Settings

# brackets whose values the ranges can split, as $type aliases; their sort key in Python
# agrees with MongoDB's order (strings: code points = UTF-8 bytes, simple collation)
SPLITTABLE = {"number": "number", "string": "string", "objectId": "objectId", "date": "date"}
SAMPLE_PER_PART = 32


def bracket(value: Any) -> str:
    t = bson_type(value)
    return "number" if t in NUMBER_TYPES else t


def sort_key(value: Any) -> Any:
    if isinstance(value, Decimal128):
        return value.to_decimal()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return value


@dataclass(frozen=True)
class MongoRange(Partition):
    """``lower <= _id < upper`` within the bracket ``alias`` (a bound None: open); ``rest``:
    every ``_id`` not of ``alias``; neither: the whole collection."""

    index: int
    lower: Any = None
    upper: Any = None
    alias: str | None = None
    rest: bool = False

    def query(self) -> dict[str, Any]:
        if self.rest:
            return {ID: {"$not": {"$type": self.alias}}}
        cond: dict[str, Any] = {}
        if self.lower is not None:
            cond["$gte"] = self.lower
        if self.upper is not None:
            cond["$lt"] = self.upper
        if not cond and self.alias:
            cond["$type"] = self.alias
        return {ID: cond} if cond else {}

    def describe(self) -> str:
        if self.rest:
            return f"_id not of type {self.alias}"
        parts = ([f"_id >= {id_text(self.lower)}"] if self.lower is not None else []) + \
            ([f"_id < {id_text(self.upper)}"] if self.upper is not None else [])
        return " and ".join(parts) or (f"_id of type {self.alias}" if self.alias else "")


def ranges(bounds: list[Any], alias: str, mixed: bool) -> Partitioning:
    """Ranges between sorted distinct ``bounds`` (and the rest partition when ``mixed``)."""
    edges = [None, *bounds, None]
    parts = [MongoRange(i, lo, hi, alias) for i, (lo, hi) in enumerate(itertools.pairwise(edges))]
    if mixed:
        parts.append(MongoRange(len(parts), alias=alias, rest=True))
    return Partitioning("ranges", ID, tuple(parts))


def plan_partitions(coll: Any, plan: TablePlan, settings: Settings) -> Partitioning:
    request = plan.parallel_load
    if request is not None and request.type == "none":
        return Partitioning("single")
    lo, hi = _extreme(coll, 1), _extreme(coll, -1)
    if hi is None:
        return Partitioning("single")
    alias = SPLITTABLE.get(bracket(hi))
    mixed = bracket(lo) != bracket(hi)
    if request is not None and request.type == "ranges":
        return _requested(request, hi, alias, mixed)
    notes = ()
    if request is not None:
        notes = (f"table {plan.source_label}: {request.label}: parallel-load "
                 f"{request.type} has no meaning for a MongoDB collection; split by _id "
                 "ranges instead",)
    if alias is None:
        return Partitioning("single", notes=notes)
    count = coll.count_documents({ID: {"$type": alias}}) if mixed \
        else coll.estimated_document_count()
    n = min(math.ceil(count / settings["Sparkdms.RowsPerPartition"]),
            settings["Sparkdms.MaxPartitionsPerTable"])
    if n <= 1:
        return Partitioning("single", notes=notes)
    bounds = _boundaries(coll, alias, n, count)
    if not bounds:
        return Partitioning("single", notes=notes)
    part = ranges(bounds, alias, mixed)
    return Partitioning(part.method, part.column, part.parts, notes)


def _extreme(coll: Any, direction: int) -> Any:
    doc = next(iter(coll.find({}, {ID: 1}).sort(ID, direction).limit(1)), None)
    return None if doc is None else doc.get(ID)


def _boundaries(coll: Any, alias: str, n: int, count: int) -> list[Any]:
    import pymongo.errors

    try:
        ids = [d[ID] for d in coll.aggregate([{"$match": {ID: {"$type": alias}}},
                                              {"$sample": {"size": SAMPLE_PER_PART * n}},
                                              {"$project": {ID: 1}}])]
        ids.sort(key=sort_key)
        picks = [ids[len(ids) * i // n] for i in range(1, n)] if ids else []
    except pymongo.errors.OperationFailure:  # no $sample (FerretDB 1.x): sorted skips
        picks = []
        for i in range(1, n):
            doc = next(iter(coll.find({ID: {"$type": alias}}, {ID: 1}).sort(ID, 1)
                            .skip(count * i // n).limit(1)), None)
            if doc is not None:
                picks.append(doc[ID])
    out: list[Any] = []
    for b in picks:  # distinct, ascending, no NaN
        if isinstance(b, float) and math.isnan(b):
            continue
        if not out or sort_key(b) > sort_key(out[-1]):
            out.append(b)
    return out


# _id type -> how a parallel-load boundary (text) is read
BOUND_PARSERS = {"objectId": ObjectId, "string": str,
                 "number": lambda t: float(t) if "." in t or "e" in t.lower() else int(t),
                 "date": lambda t: dt.datetime.fromisoformat(t).replace(tzinfo=dt.UTC)}


def _requested(request: Any, sample_id: Any, alias: str | None, mixed: bool) -> Partitioning:
    if tuple(request.columns) != (ID,):
        raise request.error("a MongoDB collection splits only on _id; give "
                            f"\"columns\": [\"_id\"] (got {list(request.columns)})")
    parse = BOUND_PARSERS.get(alias or "")
    if parse is None:
        raise request.error(f"_id values of type {bson_type(sample_id)} cannot be split in ranges")
    try:
        bounds = [parse(str(b[0])) for b in request.boundaries]
    except (ValueError, TypeError, ArithmeticError) as err:
        raise request.error(f"boundary is not a {alias} _id: {err}") from None
    keys = [sort_key(b) for b in bounds]
    if keys != sorted(keys) or len(set(keys)) != len(keys):
        raise request.error("boundaries must be in ascending order, each once")
    return ranges(bounds, alias or "", mixed)
