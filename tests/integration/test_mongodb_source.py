"""MongoDB (FerretDB) as a source: real collections of real-world shaped documents loaded
into PostgreSQL through the CLI, in table mode and document mode, compared value by value
both ways; ``_id`` range partitions; bad input.

The expected rows are computed here from the inserted documents with plain Python (the
oracle), not with the connector's code. FerretDB 1.x has no Decimal128: its conversion is
covered in tests/unit/test_mongodb_schema.py.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId, json_util
from bson.binary import UuidRepresentation
from bson.int64 import Int64
from bson.json_util import JSONOptions
from bson.regex import Regex

from sparkdms.cli import main as sparkdms
from tests.integration import mongo_support
from tests.integration.conftest import pg_connect
from tests.integration.helpers import assert_same_rows, fetch, selection, write_task
from tests.integration.mongo_support import MongoDb

mongo_db = mongo_support.mongo_db  # the fixture

UTC = dt.UTC


def t(ms: int) -> dt.datetime:
    return dt.datetime(2024, 2, 29, 23, 59, 59, ms * 1000, tzinfo=UTC)


def customers() -> list[dict[str, Any]]:
    """Nested, sparse, with mixed types, unicode, binary, UUIDs and dates."""
    docs: list[dict[str, Any]] = [
        {"_id": ObjectId(), "name": "Zoë 李雷 🚀", "age": 41, "score": 7,
         "address": {"city": "Zürich", "zip": "8001", "geo": {"lat": 47.37, "lon": 8.54}},
         "tags": ["vip", "ß"], "created": t(123), "uid": uuid.uuid4(),
         "avatar": b"\x00\x01\xff", "active": True, "note": None},
        {"_id": ObjectId(), "name": "", "age": Int64(2**40), "score": 2.5,
         "address": {"city": "Oslo"}, "tags": [], "created": dt.datetime(1970, 1, 1, tzinfo=UTC),
         "uid": uuid.uuid4(), "avatar": b"", "active": False},
        {"_id": ObjectId(), "name": "line1\nline2\t\"q\" 'a' \\", "score": -0.0,
         "tags": [1, {"k": "v"}, None], "note": "sparse"},
        {"_id": ObjectId(), "name": None, "age": -7, "address": None,
         "created": t(999), "active": True},
    ]
    docs += [{"_id": ObjectId(), "name": f"row {i}", "age": i, "score": i / 4,
              "address": {"city": f"c{i % 5}", "zip": str(10000 + i)}, "active": i % 2 == 0}
             for i in range(200)]
    return docs


def oracle_table(doc: dict[str, Any]) -> tuple:
    """The PostgreSQL row table mode should give, computed from the document."""
    addr = doc.get("address") or {}
    return (str(doc["_id"]), doc.get("name"), None if doc.get("age") is None else int(doc["age"]),
            None if doc.get("score") is None else float(doc["score"]),
            addr.get("city"), addr.get("zip"), _json(addr.get("geo")), _json(doc.get("tags")),
            doc.get("created"), doc.get("uid"), doc.get("avatar"), doc.get("active"),
            doc.get("note"))


TABLE_COLUMNS = ("_id", "name", "age", "score", "address.city", "address.zip", "address.geo",
                 "tags", "created", "uid", "avatar", "active", "note")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def rows_of(pg: dict, schema: str, table: str, columns: tuple[str, ...]) -> Counter:
    cols = ", ".join(f'"{c}"' for c in columns)
    with pg_connect(pg) as conn:
        got = fetch(conn, f'SELECT {cols} FROM "{schema}"."{table}"')
    return Counter(tuple(_norm(v) for v in row) for row in got)


def _norm(v: Any) -> Any:
    if isinstance(v, (dict, list)):
        return _json(v)
    if isinstance(v, memoryview):
        return bytes(v)
    if isinstance(v, dt.datetime):
        return v.astimezone(UTC)
    return v


def run(task: Path, report: Path, capsys: pytest.CaptureFixture | None = None) -> dict:
    code = sparkdms(["run", str(task), "--report", str(report)])
    data = json.loads(report.read_text()) if report.exists() else {}
    assert code == 0, (data, capsys.readouterr().err if capsys else "")
    assert data["status"] == "succeeded"
    return data


def pg_types(pg: dict, schema: str, table: str) -> dict[str, str]:
    with pg_connect(pg) as conn:
        return dict(fetch(conn, "SELECT column_name, format_type(atttypid, atttypmod) FROM "
                                "information_schema.columns c JOIN pg_attribute a ON a.attname "
                                "= c.column_name AND a.attrelid = format('%%I.%%I', "
                                "c.table_schema, c.table_name)::regclass WHERE table_schema = %s "
                                "AND table_name = %s", (schema, table)))


def test_table_mode_to_postgres_value_by_value(mongo_db: MongoDb, pg_db, spark, tmp_path, capsys):
    docs = customers()
    mongo_db.db.customers.insert_many(docs)
    task = write_task(tmp_path, mongo_db.endpoint(NestingLevel="one"), pg_db,
                      [selection(mongo_db.name)],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "Sparkdms": {"RowsPerPartition": 60}})
    report = run(task, tmp_path / "r.json", capsys)
    table = report["tables"][0]
    assert table["FullLoadRows"] == len(docs) and table["Partitions"] > 1
    expected = Counter(tuple(_norm(v) for v in oracle_table(d)) for d in docs)
    assert_same_rows(expected, rows_of(pg_db, mongo_db.name, "customers", TABLE_COLUMNS))
    types = pg_types(pg_db, mongo_db.name, "customers")
    assert types == {"_id": "character varying(24)", "name": "text", "age": "bigint",
                     "score": "double precision", "address.city": "text",
                     "address.zip": "text", "address.geo": "jsonb", "tags": "jsonb",
                     "created": "timestamp(3) with time zone", "uid": "uuid",
                     "avatar": "bytea", "active": "boolean", "note": "text"}


def test_plan_shows_widened_fields(mongo_db: MongoDb, pg_db, tmp_path, capsys):
    mongo_db.db.events.insert_many([{"_id": 1, "v": 1}, {"_id": 2, "v": "one"},
                                    {"_id": 3, "v": Int64(3), "n": 1}, {"_id": 4, "n": 2.5}])
    task = write_task(tmp_path, mongo_db.endpoint(NestingLevel="one"), pg_db,
                      [selection(mongo_db.name)])
    assert sparkdms(["plan", str(task)]) == 0
    out = capsys.readouterr().out
    assert "field v has types int|long|string" in out and "read as text" in out
    assert "field n has types double|int" in out


def test_document_mode_to_jsonb_round_trips(mongo_db: MongoDb, pg_db, spark, tmp_path, capsys):
    docs = customers()
    mongo_db.db.customers.insert_many(docs)
    task = write_task(tmp_path, mongo_db.endpoint(NestingLevel="none"), pg_db,
                      [selection(mongo_db.name)])
    report = run(task, tmp_path / "r.json", capsys)
    assert report["tables"][0]["FullLoadRows"] == len(docs)
    assert pg_types(pg_db, mongo_db.name, "customers") == {
        "_id": "character varying(24)", "_doc": "jsonb"}
    with pg_connect(pg_db) as conn:
        got = fetch(conn, f'SELECT "_id", "_doc"::text FROM "{mongo_db.name}".customers')
    opts = JSONOptions(tz_aware=True, uuid_representation=UuidRepresentation.STANDARD)
    back = {i: json_util.loads(text, json_options=opts) for i, text in got}
    originals = {str(d["_id"]): d for d in docs}
    # both ways: the same ids, and each document equal to its original, BSON types included
    assert set(back) == set(originals)
    for key, doc in originals.items():
        assert back[key] == doc, key
        assert {k: type(v) for k, v in back[key].items() if not isinstance(v, int)} == \
            {k: type(v) for k, v in doc.items() if not isinstance(v, int)}


@pytest.mark.parametrize("kind", ["objectid", "int", "string", "mixed"])
def test_id_ranges_lose_and_double_nothing(kind, mongo_db: MongoDb, pg_db, spark, tmp_path,
                                           capsys):
    n = 900
    ids: list[Any] = {"objectid": [ObjectId() for _ in range(n)],
                      "int": [i * 7 - 3000 for i in range(n)],
                      "string": [f"k{i:05d}-é" if i % 3 else f"K{i}" for i in range(n)],
                      "mixed": [ObjectId() for _ in range(n - 30)]
                      + [f"s{i}" for i in range(20)] + [i + 0.5 for i in range(10)]}[kind]
    mongo_db.db.items.insert_many([{"_id": i, "v": j} for j, i in enumerate(ids)])
    task = write_task(tmp_path, mongo_db.endpoint(NestingLevel="one"), pg_db,
                      [selection(mongo_db.name)],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "Sparkdms": {"RowsPerPartition": 100}})
    report = run(task, tmp_path / "r.json", capsys)
    assert report["tables"][0]["Partitions"] >= 8
    got = rows_of(pg_db, mongo_db.name, "items", ("_id", "v"))
    expected = Counter((i if kind == "int" else str(i), j) for j, i in enumerate(ids))
    assert_same_rows(expected, got)


def test_parallel_load_ranges_rule_on_object_ids(mongo_db: MongoDb, pg_db, spark, tmp_path,
                                                  capsys):
    ids = sorted(ObjectId() for _ in range(300))
    mongo_db.db.items.insert_many([{"_id": i, "v": j} for j, i in enumerate(ids)])
    rule = {"rule-type": "table-settings", "rule-id": "2", "rule-name": "split",
            "object-locator": {"schema-name": mongo_db.name, "table-name": "items"},
            "parallel-load": {"type": "ranges", "columns": ["_id"],
                              "boundaries": [[str(ids[100])], [str(ids[200])]]}}
    task = write_task(tmp_path, mongo_db.endpoint(NestingLevel="one"), pg_db,
                      [selection(mongo_db.name), rule])
    report = run(task, tmp_path / "r.json", capsys)
    assert report["tables"][0]["Partitions"] == 3
    assert_same_rows(Counter((str(i), j) for j, i in enumerate(ids)),
                     rows_of(pg_db, mongo_db.name, "items", ("_id", "v")))


@pytest.mark.parametrize(("nesting", "change"), [
    ("one", "\"address.city\" = 'X'"),
    ("none", "_doc = jsonb_set(_doc, '{address,city}', '\"X\"')")])
def test_validate_mongodb_to_postgres(nesting, change, mongo_db: MongoDb, pg_db, spark, tmp_path,
                                      capsys):
    docs = customers()
    mongo_db.db.customers.insert_many(docs)
    task = write_task(tmp_path, mongo_db.endpoint(NestingLevel=nesting), pg_db,
                      [selection(mongo_db.name)])
    run(task, tmp_path / "r.json", capsys)
    assert sparkdms(["validate", str(task)]) == 0, capsys.readouterr()
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'UPDATE "{mongo_db.name}".customers SET {change} WHERE "_id" = %s',
                     (str(docs[10]["_id"]),))
    assert sparkdms(["validate", str(task)]) != 0
    out = capsys.readouterr().out
    assert f"RECORD_DIFF _id={docs[10]['_id']}: " in out and "1 rows differ" in out


# -- bad input -------------------------------------------------------------------------------

def test_unreachable_server_names_it(pg_db, tmp_path, capsys):
    source = {"engine": "mongodb", "url": "mongodb://127.0.0.1:1/shop"}
    task = write_task(tmp_path, source, pg_db, [selection("shop")])
    assert sparkdms(["run", str(task)]) != 0
    err = capsys.readouterr().err
    assert "source endpoint (mongodb)" in err and "127.0.0.1:1" in err and "shop" in err


def test_authentication_failure_names_the_server_not_the_password(mongo_db: MongoDb, pg_db,
                                                                  tmp_path, capsys):
    source = {**mongo_db.endpoint(), "user": "app", "password": "s3cret-pw"}
    task = write_task(tmp_path, source, pg_db, [selection(mongo_db.name)])
    assert sparkdms(["run", str(task)]) != 0
    err = capsys.readouterr().err
    assert f"source endpoint (mongodb): {mongo_db.url} (database {mongo_db.name}): " in err
    assert "authentication" in err.lower() and "s3cret-pw" not in err


def test_missing_collection_is_named(mongo_db: MongoDb, pg_db, tmp_path, capsys):
    mongo_db.db.present.insert_one({"_id": 1})
    task = write_task(tmp_path, mongo_db.endpoint(), pg_db, [selection(mongo_db.name, "absent")])
    assert sparkdms(["run", str(task)]) != 0
    err = capsys.readouterr().err
    assert "absent" in err and f"{mongo_db.name}.present" in err


def test_unflattenable_field_stops_before_loading(mongo_db: MongoDb, pg_db, tmp_path, capsys):
    mongo_db.db.people.insert_many([{"_id": 1, "address": "Main St 1"},
                                    {"_id": 2, "address": {"city": "Oslo"}}])
    task = write_task(tmp_path, mongo_db.endpoint(NestingLevel="one"), pg_db,
                      [selection(mongo_db.name)])
    assert sparkdms(["run", str(task)]) != 0
    err = capsys.readouterr().err
    assert f"collection {mongo_db.name}.people, field 'address'" in err
    assert "_id 1" in err and "_id 2" in err and "NestingLevel none" in err
    with pg_connect(pg_db) as conn:  # nothing half-loaded
        assert fetch(conn, "SELECT count(*) FROM information_schema.tables WHERE "
                           "table_schema = %s", (mongo_db.name,)) == [(0,)]


def test_assessment_lists_the_sampled_schema_and_its_risks(mongo_db: MongoDb, pg_db, tmp_path):
    mongo_db.db.orders.insert_many([
        {"_id": 1, "qty": 1, "addr": {"city": "Oslo", "geo": {"lat": 1.5}}, "rx": Regex("^a")},
        {"_id": 2, "qty": "two", "addr": {"city": "Bergen"}},
        {"_id": 3, "qty": Int64(3), "shape": "round"}, {"_id": 4, "shape": {"r": 1}}])
    task = write_task(tmp_path, mongo_db.endpoint("docdb", NestingLevel="one"), pg_db,
                      [selection(mongo_db.name)])
    out = tmp_path / "a.json"
    sparkdms(["assess", str(task), "--out", str(out)])
    items = [i for t in json.loads(out.read_text())["tables"] for i in t["items"]]
    said = {(i["level"], i.get("column")): i["message"] for i in items}
    assert "schema sampled from 4 document(s): _id int, qty int|long|string" in \
        said[("info", None)]
    assert "read as text" in said[("warning", "qty")]
    assert "sub-document in some documents and a scalar in others" in said[("error", "shape")]
    assert "deeper than NestingLevel one" in said[("warning", "addr.geo")]
    assert "regex" in said[("warning", "rx")]
