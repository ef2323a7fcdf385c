"""MongoDB source without a server: BSON types, widening, schema inference in both nesting
levels, document -> row conversion (Decimal128 here: FerretDB 1.x cannot store it), Arrow
batches with the end marker, ``_id`` range queries."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from bson import Decimal128, ObjectId
from bson.binary import Binary
from bson.code import Code
from bson.int64 import Int64
from bson.regex import Regex
from bson.timestamp import Timestamp
from sparkdms.connectors.mongodb.partitions import MongoRange, ranges, sort_key
from sparkdms.connectors.mongodb.rows import DocumentValueError, batches, decimal_text, row_spec
from sparkdms.connectors.mongodb.schema import ShapeError, bson_type, infer
from sparkdms.connectors.mongodb.types import MONGODB, widen

from sparkdms.types import LType, spark_type

UTC = dt.UTC


@pytest.mark.parametrize(("value", "name"), [
    (True, "bool"), (7, "int"), (2**31, "long"), (Int64(1), "long"), (1.5, "double"),
    ("x", "string"), (Code("f()"), "javascript"), (ObjectId(), "objectId"),
    (dt.datetime(2024, 1, 1, tzinfo=UTC), "date"), (Decimal128("1.10"), "decimal"),
    (uuid.uuid4(), "uuid"), (Binary(b"\x01", 4), "uuid"), (Binary(b"\x01", 0), "binData"),
    (b"\x00", "binData"), ({"a": 1}, "object"), ([1], "array"), (None, "null"),
    (Regex("^a"), "regex"), (Timestamp(5, 1), "timestamp"),
])
def test_bson_type_of_decoded_values(value, name):
    assert bson_type(value) == name


@pytest.mark.parametrize(("types", "kind"), [
    ({"int"}, "int32"), ({"int", "long"}, "int64"), ({"int", "double"}, "float64"),
    ({"long", "decimal"}, "decimal"), ({"int", "string"}, "text"), ({"object", "array"}, "json"),
    ({"int", "null"}, "int32"), ({"null"}, "text"), ({"date", "string"}, "text"),
    ({"objectId"}, "varchar"), ({"decimal"}, "decimal"), ({"uuid"}, "uuid"),
])
def test_widening_table(types, kind):
    assert widen(types).kind == kind


def test_dialect_reads_widened_spellings_and_writes_bson_types():
    assert MONGODB.to_logical("int|long") == LType("int64")
    assert MONGODB.to_logical("objectId") == LType("varchar", length=24)
    assert MONGODB.to_logical("date") == LType("timestamptz", precision=3)
    assert MONGODB.to_native(LType("int64")) == "long"
    assert MONGODB.to_native(LType("decimal", precision=12, scale=2)) == "decimal"
    assert MONGODB.to_native(LType("timestamptz", precision=6)) == "date"


DOCS = [
    {"_id": 1, "name": "a", "n": 1, "addr": {"city": "Oslo", "geo": {"lat": 1.0}}, "tags": [1]},
    {"_id": 2, "name": "b", "n": Int64(2), "addr": {"zip": "0150"}, "extra": None},
    {"_id": 3, "n": 2.5, "addr": None},
]


def test_table_mode_flattens_one_level_and_widens():
    shape = infer(DOCS, "shop", "people", "table")
    cols = {c.name: (c.native_type, str(c.ltype)) for c in shape.columns()}
    assert cols == {"_id": ("int", "int32"), "name": ("string", "text"),
                    "n": ("double|int|long", "float64"), "addr.city": ("string", "text"),
                    "addr.geo": ("object", "json"), "addr.zip": ("string", "text"),
                    "tags": ("array", "json"), "extra": ("null", "text")}
    notes = "\n".join(shape.notes())
    assert "field n has types double|int|long" in notes and "beyond 2^53" in notes
    assert "field addr.geo: 1 sampled value(s) nest deeper than NestingLevel one" in notes
    shape.check()  # nothing unflattenable


def test_document_mode_has_id_and_doc():
    shape = infer(DOCS, "shop", "people", "document")
    assert [(c.name, c.native_type, c.ltype.kind, c.nullable) for c in shape.columns()] == [
        ("_id", "int", "int32", False), ("_doc", "object", "json", True)]


def test_scalar_and_document_in_one_field_cannot_be_flattened():
    docs = [{"_id": ObjectId("65a000000000000000000001"), "address": "Main St 1"},
            {"_id": ObjectId("65a000000000000000000002"), "address": {"city": "Oslo"}}]
    shape = infer(docs, "shop", "people", "table")
    with pytest.raises(ShapeError) as err:
        shape.check()
    msg = str(err.value)
    assert msg.startswith("collection shop.people, field 'address': ")
    assert "object (e.g. _id 65a000000000000000000002)" in msg
    assert "string (e.g. _id 65a000000000000000000001)" in msg and "NestingLevel none" in msg
    infer(docs, "shop", "people", "document").check()  # document mode reads it


def test_dotted_field_name_clashing_with_a_flattened_one_is_refused():
    shape = infer([{"_id": 1, "a.b": 1, "a": {"b": 2}}], "shop", "t", "table")
    with pytest.raises(ShapeError, match=r"field 'a\.b': names both a top-level field"):
        shape.check()


def _spec(shape, **kw):
    cols = [(c.name, f.path, c.ltype, c.native_type)
            for c, f in zip(shape.columns(), shape.fields, strict=True)]
    return row_spec(shape.label, cols, (f.path for f in shape.fields if f.path),
                    shape.mode == "table", kw.get("strict", True))


def test_rows_convert_every_type():
    oid, u = ObjectId(), uuid.uuid4()
    when = dt.datetime(2024, 2, 29, 23, 59, 59, 999000, tzinfo=UTC)
    doc = {"_id": oid, "s": "Zoë 🚀", "i": 5, "l": Int64(2**40), "d": 0.1, "b": False,
           "t": when, "u": u, "bin": b"\x00\xff", "arr": [1, "x", {"k": None}],
           "sub": {"x": {"deep": [1]}}, "ts": Timestamp(10, 3), "re": Regex("^a", "i")}
    shape = infer([doc], "db", "c", "table")
    row = dict(zip([c.name for c in shape.columns()], _spec(shape).row(doc), strict=True))
    assert row == {"_id": str(oid), "s": "Zoë 🚀", "i": 5, "l": 2**40, "d": 0.1, "b": False,
                   "t": when, "u": str(u), "bin": b"\x00\xff",
                   "arr": '[1, "x", {"k": null}]', "sub.x": '{"deep": [1]}',
                   "ts": (10 << 32) | 3, "re": '{"$regularExpression": {"pattern": "^a", '
                                                '"options": "i"}}'}


@pytest.mark.parametrize(("value", "text"), [
    (Decimal128("1234567890123456789012345678901.234"), "1234567890123456789012345678901.234"),
    (Decimal128("-0.00"), "-0.00"), (Decimal128("1E+30"), "1E+30"),
    (Decimal128("NaN"), "NaN"), (Decimal128("-Infinity"), "-Infinity"),
    (7, "7"), (Int64(-2**62), str(-2**62)), (0.1, "0.1"), (float("inf"), "Infinity"),
])
def test_decimal128_keeps_every_digit(value, text):
    """FerretDB 1.x has no Decimal128: its conversion is tested here, without the server."""
    assert decimal_text(value) == text


def test_decimal_field_is_an_exact_unbounded_decimal_column():
    docs = [{"_id": 1, "price": Decimal128("19.99")}, {"_id": 2, "price": 3},
            {"_id": 3, "price": Decimal128("0.000000000000000000000000000000001")}]
    shape = infer(docs, "db", "c", "table")
    col = shape.columns()[1]
    assert (col.native_type, col.ltype) == ("decimal|int", LType("decimal"))
    assert spark_type(col.ltype).simpleString() == "string"  # exact text, no 38-digit limit
    spec = _spec(shape)
    assert [spec.row(d)[1] for d in docs] == ["19.99", "3", "1E-33"]
    assert Decimal(spec.row(docs[2])[1]) == Decimal("0.000000000000000000000000000000001")
    doc_mode = infer(docs, "db", "c", "document")
    assert json.loads(_spec(doc_mode).row(docs[0])[1]) == {"_id": 1,
                                                          "price": {"$numberDecimal": "19.99"}}


def test_value_of_an_unsampled_type_names_collection_document_and_field():
    shape = infer([{"_id": 1, "n": 1}], "db", "c", "table")
    with pytest.raises(DocumentValueError) as err:
        _spec(shape).row({"_id": 9, "n": "nine"})
    assert str(err.value).startswith("collection db.c, document _id 9, field 'n': a string "
                                     "value 'nine' where the sampled schema has int32")


@pytest.mark.parametrize(("doc", "field"), [
    ({"_id": 9, "n": 1, "new": 2}, "'new'"),
    ({"_id": 9, "a": {"x": 1, "y": 2}}, "'a.y'"),
])
def test_field_missing_from_the_sample_stops_instead_of_being_lost(doc, field):
    shape = infer([{"_id": 1, "n": 1, "a": {"x": 1}}], "db", "c", "table")
    with pytest.raises(DocumentValueError, match=f"document _id 9, field {field}: not in the "
                       "schema sampled"):
        _spec(shape).row(doc)


def test_scalar_where_sampling_saw_a_sub_document_stops():
    shape = infer([{"_id": 1, "a": {"x": 1}}], "db", "c", "table")
    with pytest.raises(DocumentValueError, match="field 'a': a int value '5' where sampled "
                       "documents have a sub-document"):
        _spec(shape).row({"_id": 2, "a": 5})


def test_arrow_batches_end_with_the_partition_marker():
    import pyarrow as pa

    docs = [{"_id": i, "v": f"é{i}"} for i in range(5)]
    shape = infer(docs, "db", "c", "table")
    out = list(batches(_spec(shape), docs, [pa.int32(), pa.string()], ["_id", "v", "_sdms_end"],
                       end_marker=True))
    table = pa.Table.from_batches(out)
    assert table.to_pylist()[-1] == {"_id": None, "v": None, "_sdms_end": True}
    assert table.to_pylist()[:-1] == [{"_id": i, "v": f"é{i}", "_sdms_end": False}
                                      for i in range(5)]


def test_range_queries_cover_the_bracket_once_and_the_rest():
    bounds = [ObjectId("65a000000000000000000010"), ObjectId("65a000000000000000000020")]
    part = ranges(bounds, "objectId", mixed=True)
    assert [p.query() for p in part.parts] == [
        {"_id": {"$lt": bounds[0]}}, {"_id": {"$gte": bounds[0], "$lt": bounds[1]}},
        {"_id": {"$gte": bounds[1]}}, {"_id": {"$not": {"$type": "objectId"}}}]
    assert part.parts[1].describe() == f"_id >= {bounds[0]} and _id < {bounds[1]}"
    assert MongoRange(0).query() == {}


def test_number_ids_sort_as_mongodb_compares_them():
    values = [Decimal128("2.5"), 3, Int64(-1), 2.25]
    assert sorted(values, key=sort_key) == [Int64(-1), 2.25, Decimal128("2.5"), 3]


def test_type_override_to_varchar_reads_any_value_as_text():
    from sparkdms.connectors.mongodb.rows import kind_of

    assert kind_of(LType("varchar", length=24), ("_id",), "objectId") == "objectId"
    assert kind_of(LType("varchar", length=50), ("name",), "string") == "text"
    spec = row_spec("db.c", [("name", ("name",), LType("varchar", length=50), "string")],
                    [("name",)], True, True)
    assert spec.row({"_id": 1, "name": "Zoë"}) == ["Zoë"]


def test_date_beyond_year_9999_is_named_not_crashed_on():
    from bson.datetime_ms import DatetimeMS

    doc = {"_id": 1, "t": DatetimeMS(2**62)}
    shape = infer([doc], "db", "c", "table")
    with pytest.raises(DocumentValueError, match=r"document _id 1, field 't': .*outside the "
                       "years 1 to 9999"):
        _spec(shape).row(doc)
