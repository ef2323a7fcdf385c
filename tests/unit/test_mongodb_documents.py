"""Rows -> documents -> rows for the MongoDB target (no server): every conversion both ways,
the _id rules, nesting of dotted names and the names a document cannot hold."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import bson
import pytest
from bson import ObjectId
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions
from bson.decimal128 import Decimal128
from sparkdms.connectors.mongodb.documents import (
    RowError,
    attempt_ids,
    conversion_of,
    depth,
    foreign_ranges,
    key_of,
    row_of,
    shape_of,
    to_document,
)

from sparkdms.errors import TaskConfigError
from sparkdms.types import LType

OPTS = CodecOptions(tz_aware=True, uuid_representation=UuidRepresentation.STANDARD)
UTC = dt.UTC
FIXED_ID = ObjectId("5f1e0a0b0c0d0e0f10111213")

COLUMNS = [
    ("id", LType("int64"), "bigint"),
    ("name", LType("text"), "text"),
    ("amount", LType("decimal", precision=18, scale=6), "numeric(18,6)"),
    ("wide", LType("decimal", precision=38, scale=10), "numeric(38,10)"),
    ("at", LType("timestamptz", precision=3), "timestamptz"),
    ("day", LType("date"), "date"),
    ("raw", LType("blob"), "bytea"),
    ("u", LType("uuid"), "uuid"),
    ("meta", LType("json"), "jsonb"),
    ("address.city", LType("text"), "text"),
    ("address.zip", LType("text"), "text"),
    ("flag", LType("boolean"), "boolean"),
    ("ratio", LType("float64"), "double precision"),
]
U = uuid.UUID("12345678-1234-5678-1234-567812345678")
ROW = (7, "ünï ✓ 😀", Decimal("12.500000"), Decimal("1234567890123456789012345678.0123456789"),
       dt.datetime(2024, 2, 29, 23, 59, 59, 123000, tzinfo=UTC), dt.date(1999, 12, 31),
       b"\x00\xff\x10", str(U), '{"b": [1, 2, {"c": null}], "a": "x"}', "Zürich", "8001",
       True, 0.1)


def roundtrip(shape, doc):
    """As the server would hand the document back: encoded and decoded as BSON."""
    return bson.decode(bson.encode(doc, codec_options=OPTS), codec_options=OPTS)


def test_a_row_becomes_a_nested_document_with_bson_types():
    shape = shape_of("public.t", COLUMNS, ("id",))
    doc = to_document(shape, ROW, ObjectId)
    assert next(iter(doc)) == "_id" and doc["_id"] == 7 and doc["id"] == 7
    assert doc["amount"] == Decimal128("12.500000")
    assert doc["wide"] == "1234567890123456789012345678.0123456789"  # over 34 digits: text
    assert doc["address"] == {"city": "Zürich", "zip": "8001"}
    assert doc["meta"] == {"b": [1, 2, {"c": None}], "a": "x"}
    assert doc["day"] == dt.datetime(1999, 12, 31, tzinfo=UTC)
    assert doc["u"] == U and doc["raw"] == b"\x00\xff\x10"
    assert "address.city" not in doc


def test_document_reads_back_to_the_same_row():
    shape = shape_of("public.t", COLUMNS, ("id",))
    back = row_of(shape, roundtrip(shape, to_document(shape, ROW, ObjectId)))
    expected = list(ROW)
    expected[8] = '{"a": "x", "b": [1, 2, {"c": null}]}'  # JSON text with sorted keys
    assert list(back) == expected


def test_nulls_stay_null_both_ways():
    shape = shape_of("public.t", COLUMNS, ("id",))
    row = (1, *[None] * (len(COLUMNS) - 1))
    doc = to_document(shape, row, ObjectId)
    assert doc["address"] == {"city": None, "zip": None} and doc["meta"] is None
    assert row_of(shape, roundtrip(shape, doc)) == row


@pytest.mark.parametrize("decimal128, want", [(True, Decimal128("0.0000001")),
                                              (False, "0.0000001")])
def test_decimals_are_decimal128_or_exact_plain_text(decimal128, want):
    shape = shape_of("t", [("id", LType("int32"), ""),
                           ("d", LType("decimal", precision=10, scale=7), "")], ("id",),
                     decimal128=decimal128)
    doc = to_document(shape, (1, Decimal("1E-7")), ObjectId)
    assert doc["d"] == want  # never "1E-7"
    assert row_of(shape, roundtrip(shape, doc)) == (1, Decimal("0.0000001"))


@pytest.mark.parametrize("ltype, native, want", [
    (LType("decimal", precision=34, scale=2), "", "decimal128"),
    (LType("decimal", precision=35, scale=2), "", "decimal_text"),
    (LType("decimal"), "", "text"),  # unbounded: Spark carries it as text already
    (LType("uint64"), "", "decimal128"),
    (LType("text"), "objectId", "object_id"),
    (LType("interval"), "", "text"),
    (LType("int16"), "", "plain"),
])
def test_conversion_by_logical_type(ltype, native, want):
    assert conversion_of(ltype, True, native) == want


@pytest.mark.parametrize("columns, key, mode, id_value", [
    ([("_id", LType("text"), "objectId"), ("v", LType("int32"), "")], (), "column",
     FIXED_ID),
    ([("k", LType("int32"), ""), ("v", LType("int32"), "")], ("k",), "key", 1),
    ([("k1", LType("int32"), ""), ("k2", LType("text"), ""), ("v", LType("int32"), "")],
     ("k2", "k1"), "composite", {"k2": "b", "k1": 1}),
    ([("k", LType("int32"), ""), ("v", LType("int32"), "")], (), "generated", FIXED_ID),
])
def test_id_rules(columns, key, mode, id_value):
    shape = shape_of("t", columns, key)
    values = {"_id": str(FIXED_ID), "k": 1, "k1": 1, "k2": "b", "v": 5}
    doc = to_document(shape, [values[c[0]] for c in columns], lambda: FIXED_ID)
    assert shape.id_mode == mode and doc["_id"] == id_value
    assert list(doc["_id"]) == ["k2", "k1"] if mode == "composite" else True
    assert shape.keyed == (mode != "generated")


def test_doc_column_becomes_the_document():
    columns = [("_id", LType("text"), "objectId"), ("_doc", LType("json"), "")]
    shape = shape_of("shop.orders", columns, ("_id",))
    text = ('{"_id": {"$oid": "5f1e0a0b0c0d0e0f10111213"}, "total": {"$numberDecimal": "9.90"},'
            ' "items": [{"sku": "a"}], "at": {"$date": "2024-01-02T03:04:05.678Z"}}')
    doc = to_document(shape, (str(FIXED_ID), text), ObjectId)
    assert doc == {"_id": FIXED_ID, "total": Decimal128("9.90"), "items": [{"sku": "a"}],
                   "at": dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)}
    assert shape.id_mode == "doc" and shape.keyed


def test_dotted_names_kept_when_nesting_is_off():
    shape = shape_of("t", [("a.b", LType("int32"), "")], (), nest=False)
    assert to_document(shape, (1,), lambda: FIXED_ID) == {"_id": FIXED_ID, "a.b": 1}


@pytest.mark.parametrize("names, problem", [
    (["a", "a.b"], "nests under column a"),
    (["$x"], "start with '$'"),
    (["a..b"], "may not be empty"),
])
def test_names_a_document_cannot_hold_stop_the_plan(names, problem):
    with pytest.raises(TaskConfigError, match=r"table public\.t, column") as err:
        shape_of("public.t", [(n, LType("int32"), "") for n in names], ())
    assert problem in str(err.value)


@pytest.mark.parametrize("ltype, value, reason", [
    (LType("json"), "{not json", "not valid JSON"),
    (LType("uuid"), "xyz", "not a UUID"),
])
def test_bad_values_name_column_and_value(ltype, value, reason):
    shape = shape_of("t", [("k", LType("int32"), ""), ("c", ltype, "")], ("k",))
    with pytest.raises(RowError) as err:
        to_document(shape, (1, value), ObjectId)
    assert (err.value.column, err.value.value) == ("c", value) and reason in err.value.reason


def test_null_key_is_a_row_error():
    shape = shape_of("t", [("k", LType("int32"), ""), ("v", LType("int32"), "")], ("k",))
    with pytest.raises(RowError, match="_id would be NULL"):
        to_document(shape, (None, 1), ObjectId)


def test_key_of_names_the_id_columns_else_the_first_three():
    keyed = shape_of("t", [("a", LType("int32"), ""), ("b", LType("int32"), "")], ("b",))
    assert key_of(keyed, (1, 2)) == {"b": 2}
    loose = shape_of("t", [(n, LType("int32"), "") for n in "abcd"], ())
    assert key_of(loose, (1, 2, 3, 4)) == {"a": 1, "b": 2, "c": 3}


def test_depth_counts_nesting_levels():
    assert (depth(1), depth({"a": 1}), depth({"a": [{"b": {}}]})) == (0, 1, 4)


TESTS = {"$lt": lambda oid, v: oid < v, "$gt": lambda oid, v: oid > v,
         "$type": lambda oid, v: v == "objectId"}


def _matches(flt: dict, oid: ObjectId) -> bool:
    return all(TESTS[op](oid, v) for op, v in flt["_id"].items())


def test_generated_ids_hold_their_attempt_and_failed_attempts_are_found_by_range():
    stamp = 1_700_000_000
    makers = {a: attempt_ids(stamp, a) for a in (5, 9, 2**32 + 12, 40)}
    made = {a: [make() for _ in range(3)] for a, make in makers.items()}
    assert all(ids == sorted(ids) and len(set(ids)) == 3 for ids in made.values())
    kept = [9, 2**32 + 12]  # Spark reported these successful; 5 and 40 failed
    ranges = foreign_ranges(stamp, kept)
    removed = {a for a, ids in made.items() for oid in ids
               if any(_matches(f, oid) for f in ranges)}
    assert removed == {5, 40}
    assert foreign_ranges(stamp, []) == [{"_id": {"$type": "objectId"}}]
