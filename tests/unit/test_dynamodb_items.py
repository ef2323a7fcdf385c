"""DynamoDB target: object-mapping rules resolved against a plan, rows turned into items
(numbers exact, NULLs left out, templates, documents), refused values, and the key checks,
as tables of cases. No server: the item a row becomes is the thing under test."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sparkdms.connectors.dynamodb.items import (
    MAX_ITEM_BYTES,
    KeyNullError,
    Refused,
    build_item,
    item_size,
    number_text,
)
from sparkdms.connectors.dynamodb.mapping import shape_of
from sparkdms.connectors.dynamodb.types import DYNAMODB

from sparkdms.catalog import Column, Table
from sparkdms.errors import MappingRuleError, TaskConfigError
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.types import LType

COLS = [("id", LType("int64"), False), ("amount", LType("decimal", precision=38, scale=18), True),
        ("ratio", LType("float64"), True), ("name", LType("varchar", length=20), True),
        ("at", LType("timestamptz", precision=6), True), ("day", LType("date"), True),
        ("raw", LType("blob"), True), ("flag", LType("boolean"), True),
        ("wide", LType("decimal", precision=60, scale=10), True),
        ("region", LType("text"), True)]


def plan(rule: dict | None = None, key: tuple[str, ...] = ("id",)) -> TablePlan:
    cols = tuple(Column(n, "x", t, nullable) for n, t, nullable in COLS)
    plans = tuple(ColumnPlan(c.name, c, c.ltype, DYNAMODB.to_native(c.ltype), c.nullable)
                  for c in cols)
    return TablePlan(Table("public", "items", cols), "", "items", plans, primary_key=key,
                     target_rules=(rule,) if rule else ())


def shape(rule: dict | None = None, key: tuple[str, ...] = ("id",)):
    p = plan(rule, key)
    return shape_of(p, {c.target_name: c.target_type for c in p.columns})


def rule(action: str = "map-record-to-record", **params) -> dict:
    return {"rule-type": "object-mapping", "rule-id": "7", "rule-name": "ddb",
            "rule-action": action, "object-locator": {"schema-name": "public",
                                                      "table-name": "items"},
            "target-table-name": "items_t", "mapping-parameters": params}


AT = dt.datetime(2024, 2, 29, 18, 29, 59, 999999, tzinfo=dt.UTC)
ROW = (1, Decimal("12345678901234567890.123456789012345678"), 0.1, "Zoë 🚀", AT,
       dt.date(999, 6, 15), b"\x00\xff", True, "1" * 50 + ".5", "")  # wide: text in Spark
NULLS = (2, None, None, None, None, None, None, None, None, None)


def test_the_dialect_maps_kinds_to_attribute_types():
    cases = {LType("int64"): "N", LType("decimal", precision=38, scale=2): "N",
             LType("decimal", precision=39, scale=2): "S", LType("decimal"): "S",
             LType("float32"): "N", LType("text"): "S", LType("timestamptz"): "S",
             LType("blob"): "B", LType("boolean"): "BOOL", LType("document"): "M",
             LType("json"): "S", LType("uuid"): "S"}
    assert {t: DYNAMODB.to_native(t) for t in cases} == cases
    assert [DYNAMODB.to_logical(n).kind for n in ("S", "N", "B", "BOOL", "M")] == \
        ["text", "decimal", "blob", "boolean", "document"]


def test_a_row_without_rule_is_an_item_of_its_columns():
    item = build_item(ROW, shape())
    assert item == {
        "id": {"N": "1"}, "amount": {"N": "12345678901234567890.123456789012345678"},
        "ratio": {"N": "0.1"}, "name": {"S": "Zoë 🚀"},
        "at": {"S": "2024-02-29T18:29:59.999999Z"}, "day": {"S": "0999-06-15"},
        "raw": {"B": b"\x00\xff"}, "flag": {"BOOL": True},
        "wide": {"S": "1" * 50 + ".5"}, "region": {"S": ""}}


def test_nulls_are_left_out():
    assert build_item(NULLS, shape()) == {"id": {"N": "2"}}


NUMBERS = [
    (0, "0"), (-7, "-7"), (Decimal("0.00"), "0"), (Decimal("-0.000"), "0"),
    (Decimal("9999999999.99"), "9999999999.99"), (Decimal("12.50"), "12.5"),
    (Decimal("1E+2"), "100"), (Decimal("-0.000000000000000001"), "-0.000000000000000001"),
    (-1.5e100, "-1.5E+100"), (0.1, "0.1"), (2**63 - 1, "9223372036854775807"),
    (Decimal("12345678901234567890.123456789012345678"),
     "12345678901234567890.123456789012345678"),
]


@pytest.mark.parametrize(("value", "text"), NUMBERS)
def test_numbers_keep_every_digit(value, text):
    assert number_text(value) == text
    assert Decimal(text) == Decimal(str(value)) if not isinstance(value, float) else \
        float(text) == value


@pytest.mark.parametrize(("value", "reason"), [
    (float("nan"), "NaN"), (float("inf"), "infinity"), (1e300, "range"),
    (Decimal("1" * 39), "38 significant digits"), ("abc", "not a number")])
def test_numbers_dynamodb_cannot_store_are_refused(value, reason):
    with pytest.raises(Refused, match=reason):
        number_text(value, "ratio")


def test_a_refused_value_names_its_column():
    row = (3, None, float("nan"), *NULLS[3:])
    with pytest.raises(Refused) as err:
        build_item(row, shape())
    assert err.value.column == "ratio"


def test_record_rule_excludes_maps_templates_and_documents():
    s = shape(rule(**{
        "partition-key-name": "code", "sort-key-name": "id", "exclude-columns": ["raw", "wide"],
        "attribute-mappings": [
            {"target-attribute-name": "code", "attribute-type": "scalar",
             "attribute-sub-type": "string", "value": "${region}#${id}"},
            {"target-attribute-name": "amount", "attribute-type": "scalar",
             "attribute-sub-type": "number", "value": "${amount}"},
            {"target-attribute-name": "info", "attribute-type": "document",
             "attribute-sub-type": "dynamodb-map",
             "value": {"M": {"who": {"S": "${name}"}, "when": {"M": {"d": {"S": "${day}"}}},
                             "ok": {"BOOL": "${flag}"}}}}]}))
    assert (s.table, s.keys, s.key_types) == ("items_t", ("code", "id"), ("S", "N"))
    item = build_item(ROW, s)
    assert item["code"] == {"S": "#1"}
    assert item["amount"] == {"N": "12345678901234567890.123456789012345678"}
    assert item["info"] == {"M": {"who": {"S": "Zoë 🚀"}, "when": {"M": {"d": {"S": "0999-06-15"}}},
                                  "ok": {"BOOL": True}}}
    assert "raw" not in item and "wide" not in item
    nulls = build_item(NULLS, s)
    assert nulls["code"] == {"S": "#2"}  # some of its columns are set: the NULLs insert nothing
    assert "amount" not in nulls and nulls["info"] == {"M": {"when": {"M": {}}}}


def test_document_rule_puts_the_row_in_doc_besides_the_keys():
    s = shape(rule("map-record-to-document", **{"partition-key-name": "id",
                                                "exclude-columns": ["wide"]}))
    item = build_item(ROW, s)
    assert set(item) == {"id", "_doc"}
    assert set(item["_doc"]["M"]) == {c for c, _, _ in COLS} - {"wide"}
    assert item["_doc"]["M"]["amount"] == {"N": "12345678901234567890.123456789012345678"}
    assert s.recovery("name") == ("doc", "name") and s.recovery("wide") is None


def test_a_two_column_primary_key_is_partition_and_sort_key():
    s = shape(key=("region", "id"))
    assert (s.keys, s.key_types) == (("region", "id"), ("S", "N"))


@pytest.mark.parametrize(("params", "words"), [
    ({"partition-key-name": "id", "exclude-columns": ["nosuch"]},
     ["rule 7", "public.items", "exclude-columns", "'nosuch'"]),
    ({"partition-key-name": "id", "attribute-mappings": [
        {"target-attribute-name": "x", "attribute-type": "scalar",
         "attribute-sub-type": "string", "value": "${name}-${ghost}"}]},
     ["rule 7", "public.items", "attribute-mappings 'x'", "'ghost'"]),
    ({"partition-key-name": "id", "attribute-mappings": [
        {"target-attribute-name": "x", "attribute-type": "document",
         "attribute-sub-type": "dynamodb-map", "value": {"M": {"a": {"S": "${ghost}"}}}}]},
     ["rule 7", "'ghost'"]),
    ({"partition-key-name": "id", "attribute-mappings": [
        {"target-attribute-name": "x", "attribute-type": "scalar",
         "attribute-sub-type": "stringset", "value": "${name}"}]},
     ["rule 7", "attribute-sub-type 'stringset'"]),
])
def test_a_rule_naming_an_unknown_column_is_one_clear_error(params, words):
    with pytest.raises(MappingRuleError) as err:
        shape(rule(**params))
    text = str(err.value)
    assert all(w in text for w in words), text


@pytest.mark.parametrize(("params", "key", "words"), [
    ({"partition-key-name": "nokey"}, ("id",), ["'nokey'", "public.items"]),
    ({"partition-key-name": "flag"}, ("id",), ["'flag'", "BOOL", "S, N or B"]),
    (None, (), ["public.items", "no primary key"]),
    (None, ("id", "region", "name"), ["more than two columns"]),
])
def test_key_problems_name_table_and_key(params, key, words):
    with pytest.raises(TaskConfigError) as err:
        shape(rule(**params) if params else None, key)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_a_null_or_empty_key_is_refused():
    s = shape(rule(**{"partition-key-name": "region"}))
    with pytest.raises(KeyNullError, match=re.escape(
            "table public.items: key column region (key attribute region of DynamoDB table items_t)")):
        build_item(NULLS, s)
    with pytest.raises(Refused, match="empty value in key attribute region"):
        build_item(ROW, s)  # region is '' in ROW: fine as an attribute, never as a key


def test_an_item_over_400_kb_is_refused_and_the_size_counts_names_and_values():
    assert item_size({"ab": {"S": "é"}, "n": {"N": "123"}, "m": {"M": {"k": {"BOOL": True}}}}) \
        == (2 + 2) + (1 + 3) + (1 + 3 + 1 + 1 + 1)
    row = (1, None, None, "x", None, None, b"\x00" * MAX_ITEM_BYTES, None, None, None)
    with pytest.raises(Refused, match="400 KB"):
        build_item(row, shape())


@pytest.mark.parametrize("action", [None, "map-record-to-record", "map-record-to-document"])
def test_items_read_back_give_the_rows_they_were_built_from(action):
    """What validation's Scan makes of an item is the row it was built from (absent = NULL)."""
    from sparkdms.connectors.dynamodb.scan import arrow_batch, row_of, scan_job

    r = rule(action, **{"partition-key-name": "id"}) if action else None
    p, s = plan(r), shape(r)
    job = scan_job(None, s, p, 1)
    assert [f.name for f in job.schema.fields] == [c for c, _, _ in COLS]
    back = [row_of(build_item(row, s), job) for row in (ROW, NULLS)]
    assert back == [list(ROW), list(NULLS)]
    batch = arrow_batch(back, job)  # as the executor hands them to Spark
    assert [list(r.values()) for r in batch.to_pylist()] == back
