"""PostgreSQL -> DynamoDB against moto's server (http://127.0.0.1:5000): items scanned back
with boto3 and compared item by item, both ways, with what the source rows must become
(NULLs left out, unicode, decimals at full precision, timestamps as ISO 8601, binary), for
both object-mapping forms, a composite key, a retried partition, validation and refused
rows. Every test uses its own DynamoDB table names and deletes them afterwards."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import pg_connect
from tests.integration.helpers import (
    FAULT_ONCE_SQL,
    fetch,
    run_with_task_retries,
    selection,
    write_task,
)

pytestmark = pytest.mark.usefixtures("every_driver")  # in-process runs: all drivers

MOTO = "http://127.0.0.1:5000"
TARGET = {"engine": "dynamodb", "endpoint_url": MOTO, "region": "us-east-1",
          "access_key_id": "testing", "secret_access_key": "testing"}
COLUMNS = ("id", "amount", "big", "ratio", "name", "note", "created", "created_tz", "day",
           "payload", "flag", "qty")
SOURCE = """
CREATE TABLE public.mixed (
  id bigint PRIMARY KEY, amount numeric(12,2), big numeric(38,18), ratio double precision,
  name varchar(64), note text, created timestamp(6), created_tz timestamptz, day date,
  payload bytea, flag boolean, qty integer
)"""
ROWS = [
    (1, Decimal("9999999999.99"), Decimal("12345678901234567890.123456789012345678"), 0.1,
     "Zoë 李雷 🚀", "", "2024-02-29 23:59:59.999999", "2024-02-29 23:59:59.999999+05:30",
     "2024-02-29", b"\x00\x01\xff", True, 42),
    (2, Decimal("-0.01"), Decimal("-0.000000000000000001"), -1.5e100, "", "line1\nline2",
     "1970-01-01 00:00:00", "1970-01-01 00:00:00+00", "1970-01-01", b"", False, -7),
    (3, None, None, None, None, None, None, None, None, None, None, None),
    (4, Decimal("0.00"), Decimal("0"), 0.0, "  padded  ", "tab\t\"q\" 'a' \\ ,",
     "1999-12-31 23:59:59.5", "2038-01-19 03:14:08.123456+00", "0999-06-15", bytes(range(256)),
     True, 0),
]
EXTRA = 300  # generated rows 100..399: more than one BatchWriteItem per partition


def seed(pg_db: dict, extra: list[str] = ()) -> list[tuple]:
    with pg_connect(pg_db) as conn, conn.cursor() as cur:
        cur.execute(SOURCE)
        cur.executemany(f"INSERT INTO public.mixed VALUES ({', '.join(['%s'] * 12)})", ROWS)
        cur.execute("INSERT INTO public.mixed (id, amount, name, created, qty) SELECT g, g / 100.0,"
                    " 'row ' || g, timestamp '2020-01-01' + g * interval '1.000001 second', g %% 7"
                    " FROM generate_series(100, %s) g", (99 + EXTRA,))
        for sql in extra:
            cur.execute(sql)
    with pg_connect(pg_db) as conn:
        return fetch(conn, f"SELECT {', '.join(COLUMNS)} FROM public.mixed")


def ddb() -> Any:
    return boto3.client("dynamodb", endpoint_url=MOTO, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def tables() -> Any:
    """A maker of unique table names; every table made is deleted afterwards."""
    made: list[str] = []

    def name(stem: str = "t") -> str:
        made.append(f"sdms_{stem}_{uuid.uuid4().hex[:10]}")
        return made[-1]

    yield name
    client = ddb()
    for table in made:
        try:
            client.delete_table(TableName=table)
        except client.exceptions.ResourceNotFoundException:
            pass


# -- what each source value must become (the documented format) --------------------------------

def value(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        return Decimal(repr(v))
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            return v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") \
                + "Z"
        return v.isoformat(timespec="microseconds")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, memoryview | bytearray):
        return bytes(v)
    return v  # str, Decimal, bytes


def attrs(row: tuple, columns: tuple[str, ...] = COLUMNS, drop: tuple[str, ...] = ()) -> dict:
    """The row's columns as attributes: NULLs left out (as AWS DMS)."""
    return {c: value(v) for c, v in zip(columns, row, strict=True)
            if v is not None and c not in drop}


def freeze(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((k, freeze(x)) for k, x in v.items()))
    if isinstance(v, list):
        return tuple(freeze(x) for x in v)
    if isinstance(v, Binary):
        return bytes(v.value)
    return v


def scanned(table: str) -> list[dict]:
    des = TypeDeserializer()
    items = []
    for page in ddb().get_paginator("scan").paginate(TableName=table):
        items += [{k: des.deserialize(v) for k, v in i.items()} for i in page["Items"]]
    return items


def assert_same_items(expected: list[dict], table: str) -> None:
    want = Counter(freeze(i) for i in expected)
    got = Counter(freeze(i) for i in scanned(table))
    missing, extra = want - got, got - want
    assert not missing and not extra, (
        f"source minus target ({sum(missing.values())}): {list(missing)[:2]}\n"
        f"target minus source ({sum(extra.values())}): {list(extra)[:2]}")


def run(task: Path, tmp_path: Path, command: str = "run") -> tuple[int, dict]:
    report = tmp_path / f"{command}.json"
    code = sparkdms([command, str(task), "--report", str(report)])
    return code, json.loads(report.read_text())


def object_rule(action: str, table: str, params: dict, name: str = "mixed") -> dict:
    return {"rule-type": "object-mapping", "rule-id": "2", "rule-name": "to-ddb",
            "rule-action": action, "object-locator": {"schema-name": "public",
                                                      "table-name": name},
            "target-table-name": table, "mapping-parameters": params}


SETTINGS = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
            "TargetMetadata": {"ParallelLoadThreads": 4},
            "Sparkdms": {"RowsPerPartition": 100}}

# -- the tests -----------------------------------------------------------------------------------

RECORD_PARAMS = {
    "partition-key-name": "id", "exclude-columns": ["qty", "note"],
    "attribute-mappings": [
        {"target-attribute-name": "label", "attribute-type": "scalar",
         "attribute-sub-type": "string", "value": "${name}/${qty}"},
        {"target-attribute-name": "qty_n", "attribute-type": "scalar",
         "attribute-sub-type": "number", "value": "${qty}"},
        {"target-attribute-name": "details", "attribute-type": "document",
         "attribute-sub-type": "dynamodb-map",
         "value": {"M": {"note": {"S": "${note}"}, "when": {"M": {"day": {"S": "${day}"}}}}}},
    ]}


def record_item(row: tuple) -> dict:
    r = dict(zip(COLUMNS, row, strict=True))
    item = attrs(row, drop=("qty", "note"))
    if r["name"] is not None or r["qty"] is not None:
        item["label"] = f"{r['name'] or ''}/{'' if r['qty'] is None else r['qty']}"
    if r["qty"] is not None:
        item["qty_n"] = Decimal(r["qty"])
    details: dict = {"when": {} if r["day"] is None else {"day": value(r["day"])}}
    if r["note"] is not None:
        details["note"] = r["note"]
    item["details"] = details
    return item


def test_map_record_to_record_items_match_the_source(pg_db, tables, tmp_path):
    source = seed(pg_db)
    table = tables("rec")
    rules = [selection("public", "mixed"), object_rule("map-record-to-record", table,
                                                       RECORD_PARAMS)]
    code, report = run(write_task(tmp_path, pg_db, TARGET, rules, SETTINGS), tmp_path)
    stats = report["tables"][0]
    assert code == 0, stats
    assert stats["FullLoadRows"] == len(source) == 4 + EXTRA
    assert_same_items([record_item(r) for r in source], table)
    key = ddb().describe_table(TableName=table)["Table"]
    assert key["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert key["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_map_record_to_document_items_match_the_source(pg_db, tables, tmp_path):
    source = seed(pg_db)
    table = tables("doc")
    rules = [selection("public", "mixed"), object_rule(
        "map-record-to-document", table, {"partition-key-name": "id",
                                          "exclude-columns": ["payload"]})]
    code, report = run(write_task(tmp_path, pg_db, TARGET, rules, SETTINGS), tmp_path)
    assert code == 0, report["tables"][0]
    expected = [{"id": Decimal(r[0]), "_doc": attrs(r, drop=("payload",))} for r in source]
    assert_same_items(expected, table)


def test_composite_key_and_no_rule(pg_db, tables, tmp_path):
    name = tables("pair")
    with pg_connect(pg_db) as conn:
        conn.execute(f'CREATE TABLE public."{name}" (region text, seq int, v numeric(30,10), '
                     "w text, PRIMARY KEY (region, seq))")
        conn.execute(f'INSERT INTO public."{name}" SELECT r, s, s / 3.0, NULL FROM '
                     "unnest(ARRAY['eu', 'ü', '李']) r, generate_series(1, 40) s")
        conn.execute(f'INSERT INTO public."{name}" VALUES (\'eu\', 0, 1e-10, \'\')')
        rows = fetch(conn, f'SELECT region, seq, v, w FROM public."{name}"')
    code, report = run(write_task(tmp_path, pg_db, TARGET, [selection("public", name)],
                                  SETTINGS), tmp_path)
    assert code == 0, report["tables"][0]
    assert_same_items([attrs(r, ("region", "seq", "v", "w")) for r in rows], name)
    schema = ddb().describe_table(TableName=name)["Table"]
    assert schema["KeySchema"] == [{"AttributeName": "region", "KeyType": "HASH"},
                                   {"AttributeName": "seq", "KeyType": "RANGE"}]
    assert {a["AttributeName"]: a["AttributeType"] for a in schema["AttributeDefinitions"]} == \
        {"region": "S", "seq": "N"}


FAULT_ROWS, FAULT_AT = 3000, 2990


def test_a_retried_partition_leaves_exactly_the_source_items(pg_db, tables, tmp_path):
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.base (id int PRIMARY KEY, v text, amount numeric(18,6))")
        conn.execute("INSERT INTO public.base SELECT i, 'row ' || i || ' é', i * 1.000001 "
                     f"FROM generate_series(1, {FAULT_ROWS}) i")
        for sql in FAULT_ONCE_SQL:
            conn.execute(sql)
        conn.execute("CREATE VIEW public.src AS SELECT * FROM public.base "
                     f"WHERE public.fault_at(id, {FAULT_AT})")
    table = tables("retry")
    rule = selection("public", "src")
    rule["object-locator"]["table-type"] = "view"
    mapping = object_rule("map-record-to-record", table, {"partition-key-name": "id"}, "src")
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                "Sparkdms": {"RowsPerPartition": FAULT_ROWS, "FetchSize": 500}}
    task = write_task(tmp_path, pg_db, TARGET, [rule, mapping], settings)
    report = tmp_path / "r.json"
    run_with_task_retries(task, report)
    with pg_connect(pg_db) as conn:  # the fault fired once, and the retried read passed it
        assert fetch(conn, "SELECT last_value FROM public.fault_once") == [(2,)]
        source = fetch(conn, "SELECT id, v, amount FROM public.base")
    assert_same_items([attrs(r, ("id", "v", "amount")) for r in source], table)
    assert json.loads(report.read_text())["tables"][0]["FullLoadRows"] == FAULT_ROWS


VALIDATE = {**SETTINGS, "ValidationSettings": {"EnableValidation": True}}


def test_validation_counts_and_compares_items_by_key(pg_db, tables, tmp_path):
    seed(pg_db)
    table = tables("val")
    rules = [selection("public", "mixed"), object_rule(
        "map-record-to-document", table, {"partition-key-name": "id"})]
    task = write_task(tmp_path, pg_db, TARGET, rules, VALIDATE, name="ddbval")
    code, report = run(task, tmp_path)
    stats = report["tables"][0]
    assert code == 0, stats
    assert stats["ValidationState"] == "Validated", stats
    assert stats["ValidationSourceRows"] == stats["ValidationTargetRows"] == 4 + EXTRA
    client = ddb()  # one value changed, one item deleted, one item added
    client.update_item(TableName=table, Key={"id": {"N": "1"}},
                       UpdateExpression="SET #d.#n = :v",
                       ExpressionAttributeNames={"#d": "_doc", "#n": "name"},
                       ExpressionAttributeValues={":v": {"S": "Zoe"}})
    client.delete_item(TableName=table, Key={"id": {"N": "4"}})
    client.put_item(TableName=table, Item={"id": {"N": "5000"}, "_doc": {"M": {}}})
    code, report = run(task, tmp_path, "validate")
    stats = report["tables"][0]
    assert code == 1 and stats["ValidationState"] == "Mismatched records", stats
    lines = [json.loads(x) for x in (tmp_path / "validate-validation-failures.jsonl")
             .read_text().splitlines()]
    got = {(f["FAILURE_TYPE"], json.loads(f["KEY"])["id"] if isinstance(f["KEY"], str)
            else f["KEY"]["id"]) for f in lines}
    assert got == {("RECORD_DIFF", "1"), ("MISSING_TARGET", "4"), ("MISSING_SOURCE", "5000")}


def test_refused_rows_are_rejects_never_dropped(pg_db, tables, tmp_path):
    big = "x" * 450_000  # an item over DynamoDB's 400 KB
    source = seed(pg_db, [f"INSERT INTO public.mixed (id, note) VALUES (900, '{big}')",
                          "INSERT INTO public.mixed (id, ratio) VALUES (901, 1e300)",
                          "INSERT INTO public.mixed (id, ratio) VALUES (902, 'NaN')"])
    table = tables("rej")
    rules = [selection("public", "mixed"), object_rule("map-record-to-record", table,
                                                       {"partition-key-name": "id"})]
    code, report = run(write_task(tmp_path, pg_db, TARGET, rules, SETTINGS), tmp_path)
    stats = report["tables"][0]
    assert code != 0 or stats["FullLoadErrorRows"] == 3, stats
    assert stats["FullLoadErrorRows"] == 3 and stats["FullLoadRows"] == len(source) - 3
    rejects = [json.loads(x) for x in (tmp_path / "run.rejects.jsonl").read_text().splitlines()]
    assert {(r["key"]["id"], r["column"]) for r in rejects} == \
        {(900, None), (901, "ratio"), (902, "ratio")}
    assert any("400 KB" in r["reason"] for r in rejects)
    kept = [r for r in source if r[0] not in (900, 901, 902)]
    assert_same_items([attrs(r) for r in kept], table)


@pytest.mark.parametrize("mode", ["DROP_AND_CREATE", "DO_NOTHING"])
def test_a_null_key_stops_the_table_naming_table_and_column(mode, pg_db, tables, tmp_path):
    """A table the load creates: the writer refuses the row, the table is deleted again. An
    existing table: the NULL is counted before anything is written; its items stay as
    they were."""
    seed(pg_db, ["ALTER TABLE public.mixed ADD COLUMN code text",
                 "UPDATE public.mixed SET code = 'c' || id WHERE id <> 3"])
    table = tables("nullkey")
    if mode == "DO_NOTHING":
        ddb().create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "code", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "code", "AttributeType": "S"}])
        ddb().put_item(TableName=table, Item={"code": {"S": "kept"}})
    rules = [selection("public", "mixed"), object_rule("map-record-to-record", table,
                                                       {"partition-key-name": "code"})]
    settings = {**SETTINGS, "FullLoadSettings": {"TargetTablePrepMode": mode}}
    code, report = run(write_task(tmp_path, pg_db, TARGET, rules, settings), tmp_path)
    error = report["tables"][0]["Error"]
    assert code != 0
    assert "public.mixed: key column code (key attribute code of DynamoDB table " + table in error
    assert "is NULL in" in error and "\n" not in error, error
    if mode == "DO_NOTHING":
        assert scanned(table) == [{"code": "kept"}]  # nothing of the load was written
    else:
        assert table not in ddb().list_tables()["TableNames"]  # nothing half-written visible


def test_a_rule_naming_an_unknown_column_stops_before_spark(pg_db, tables, tmp_path, capsys):
    seed(pg_db)
    table = tables("bad")
    rules = [selection("public", "mixed"), object_rule(
        "map-record-to-record", table, {"partition-key-name": "id",
                                        "exclude-columns": ["nosuch"]})]
    code = sparkdms(["run", str(write_task(tmp_path, pg_db, TARGET, rules, SETTINGS))])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code != 0
    assert "rule 2" in text and "public.mixed" in text and "'nosuch'" in text, text
    assert table not in ddb().list_tables()["TableNames"]


def test_prep_modes_truncate_and_do_nothing(pg_db, tables, tmp_path):
    """TRUNCATE_BEFORE_LOAD deletes the items an earlier load or anyone else put there;
    DO_NOTHING writes over the items of the same keys and keeps the others."""
    name = tables("modes")
    with pg_connect(pg_db) as conn:
        conn.execute(f'CREATE TABLE public."{name}" (id int PRIMARY KEY, v text)')
        conn.execute(f'INSERT INTO public."{name}" SELECT g, \'v\' || g FROM generate_series(1, 60) g')
        rows = fetch(conn, f'SELECT id, v FROM public."{name}"')
    source = [attrs(r, ("id", "v")) for r in rows]
    stranger = {"id": {"N": "9999"}, "v": {"S": "not from the source"}}
    for mode, expected in [("DROP_AND_CREATE", source), ("TRUNCATE_BEFORE_LOAD", source),
                           ("DO_NOTHING", [*source, {"id": Decimal(9999),
                                                     "v": "not from the source"}])]:
        if mode != "DROP_AND_CREATE":
            ddb().put_item(TableName=name, Item=stranger)
            ddb().put_item(TableName=name, Item={"id": {"N": "1"}, "v": {"S": "changed"}})
        settings = {**SETTINGS, "FullLoadSettings": {"TargetTablePrepMode": mode}}
        task = write_task(tmp_path, pg_db, TARGET, [selection("public", name)], settings)
        code, report = run(task, tmp_path)
        assert code == 0, (mode, report["tables"][0])
        assert_same_items(expected, name)
