"""MongoDB / DocumentDB as a TARGET, against the real MongoDB wire-protocol server
(FerretDB on 127.0.0.1:27017, a fresh database per test): PostgreSQL rows become documents
compared value by value both ways; PostgreSQL -> MongoDB -> PostgreSQL returns the original
rows; a source read failing mid-partition (retried by Spark) adds no duplicate; validation
passes and then reports a changed and a missing document; refused documents follow the
error policy; prep modes and indexes."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from bson.decimal128 import Decimal128

from sparkdms.cli import main as sparkdms
from tests.integration import mongo_support
from tests.integration.conftest import pg_connect
from tests.integration.helpers import (
    FAULT_ONCE_SQL,
    fetch,
    run_with_task_retries,
    selection,
    write_task,
)

pytestmark = pytest.mark.usefixtures("every_driver")  # in-process runs: all drivers
mongo_db = mongo_support.mongo_db  # the fixture

UTC = dt.UTC
DROP = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"}}
KINDS_SQL = [
    """CREATE TABLE public.kinds (id integer PRIMARY KEY, name text, amount numeric(12,2),
       precise numeric(38,18), at timestamp(6), tz timestamptz, day date, raw bytea,
       doc jsonb, uid uuid, flag boolean, ratio double precision, "address.city" varchar(40),
       "address.zip" text)""",
    r"""INSERT INTO public.kinds VALUES
     (1, 'Zoë 李雷 🚀 ✓', 9999999999.99, 12345678901234567890.123456789012345678,
      '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.123+05:30', '2024-02-29', '\x00ff10',
      '{"b": [1, 2.5, {"z": null}], "a": "x", "n": {"deep": [true]}}',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', true, 0.1, 'Zürich', '8001'),
     (2, '', 0.00, 0, '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '1970-01-01', '',
      '[1, "two", {"k": false}]', '00000000-0000-0000-0000-000000000000', false, -0.0, '', NULL),
     (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
     (4, E'tab\tnew\nline "q" ''a''', -0.01, -0.000000000000000001, '0999-06-15 12:00:00.5',
      '2038-01-19 03:14:07.123+00', '0999-06-15', decode(repeat('ab', 4000), 'hex'), '{}',
      'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12', NULL, 1e300, NULL, 'x')""",
    """INSERT INTO public.kinds (id, name, amount, at, ratio)
       SELECT g, 'row ' || g, g / 7.0, timestamp '2020-01-01' + g * interval '1.001 second',
              g / 3.0 FROM generate_series(100, 1100) g""",
]
KINDS_COLUMNS = ("id, name, amount, precise, at, tz, day, raw, doc, uid, flag, ratio, "
                 '"address.city", "address.zip"')


def seed(pg_db: dict, sql: list[str]) -> None:
    with pg_connect(pg_db) as conn:
        for statement in sql:
            conn.execute(statement)


def run(command: str, task: Any, tmp_path: Any, *extra: str) -> tuple[int, dict]:
    report = tmp_path / f"{command}-{task.stem}.json"
    code = sparkdms([command, str(task), "--report", str(report), *extra])
    return code, json.loads(report.read_text())


def ms(value: dt.datetime | None) -> dt.datetime | None:
    """A timestamp as a BSON datetime keeps it: UTC, milliseconds."""
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def expected_document(row: tuple) -> dict:
    """What the target must hold for one PostgreSQL row, written out by hand (FerretDB 1.x
    has no Decimal128: decimals are their exact plain text)."""
    (id_, name, amount, precise, at, tz, day, raw, doc, uid, flag, ratio, city, zip_) = row

    def dec(v: Decimal | None) -> str | None:
        return None if v is None else format(v, "f")

    return {"_id": id_, "id": id_, "name": name, "amount": dec(amount), "precise": dec(precise),
            "at": ms(at), "tz": ms(tz),
            "day": None if day is None else dt.datetime.combine(day, dt.time(), UTC),
            "raw": None if raw is None else bytes(raw), "doc": doc,
            "uid": None if uid is None else uuid.UUID(str(uid)), "flag": flag, "ratio": ratio,
            "address": {"city": city, "zip": zip_}}


def canonical(doc: dict) -> str:
    """A document as comparable text: key order ignored, types kept (repr of each value)."""
    def plain(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: plain(x) for k, x in sorted(v.items())}
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, dt.datetime):
            return ms(v).isoformat()
        if isinstance(v, Decimal128):
            return f"Decimal128({v})"
        return f"{type(v).__name__}:{v!r}" if not isinstance(v, str | type(None)) else v
    return json.dumps(plain(doc), sort_keys=True, ensure_ascii=False)


def assert_same_documents(expected: list[dict], found: list[dict]) -> None:
    want, got = Counter(map(canonical, expected)), Counter(map(canonical, found))
    missing, extra = want - got, got - want
    assert not missing and not extra, (f"expected minus target: {list(missing)[:2]}\n"
                                       f"target minus expected: {list(extra)[:2]}")


def test_postgres_rows_become_documents_value_by_value(pg_db, mongo_db, tmp_path):
    seed(pg_db, KINDS_SQL)
    task = write_task(tmp_path, pg_db, mongo_db.endpoint(), [selection("public", "kinds")], DROP)
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0, stats
    assert stats["FullLoadRows"] == 1005 and stats["DocumentIdFrom"] == "key"
    with pg_connect(pg_db) as conn:
        rows = fetch(conn, f"SELECT {KINDS_COLUMNS} FROM public.kinds")
    found = list(mongo_db.db["kinds"].find())
    assert_same_documents([expected_document(r) for r in rows], found)
    one = mongo_db.db["kinds"].find_one({"_id": 1})
    assert one["at"] == dt.datetime(2024, 2, 29, 23, 59, 59, 999000, tzinfo=UTC)  # ms kept
    assert one["doc"]["n"] == {"deep": [True]} and one["address"]["city"] == "Zürich"
    assert sorted(mongo_db.db.list_collection_names()) == ["kinds"]  # no staging left


def test_dotted_names_stay_flat_when_nesting_is_off(pg_db, mongo_db, tmp_path):
    seed(pg_db, ["CREATE TABLE public.flat (id int PRIMARY KEY, \"a.b\" text)",
                 "INSERT INTO public.flat VALUES (1, 'x')"])
    settings = {**DROP, "Sparkdms": {"MongoNestDottedNames": False}}
    task = write_task(tmp_path, pg_db, mongo_db.endpoint(), [selection("public", "flat")],
                      settings)
    code, report = run("run", task, tmp_path)
    # FerretDB 1.x refuses dotted field names (MongoDB 5+ stores them): each document is a
    # reject with the server's reason, none is lost in silence
    stats = report["tables"][0]
    assert code == 0 and stats["FullLoadErrorRows"] == 1, stats
    exc = list(mongo_db.db["awsdms_apply_exceptions"].find())
    assert len(exc) == 1 and "a.b" in exc[0]["ERROR"] and json.loads(exc[0]["KEY"]) == {"id": 1}


ROUND_SQL = [
    """CREATE TABLE public.trip (id integer PRIMARY KEY, name text, amount numeric(12,2),
       at timestamptz, raw bytea, flag boolean, ratio double precision,
       "address.city" text, tags jsonb)""",
    r"""INSERT INTO public.trip VALUES
     (1, 'Zoë 李雷 🚀', 12.50, '2024-02-29 23:59:59.123+00', '\x00ff10', true, 0.1, 'Zürich',
      '[1, "two"]'),
     (2, '', -0.01, '1970-01-01 00:00:00+00', '', false, -1.5, '', '[]'),
     (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)""",
    """INSERT INTO public.trip (id, name, amount, at, ratio, "address.city")
       SELECT g, 'row ' || g, g / 8.0, timestamptz '2020-01-01 00:00:00+00'
              + g * interval '1.25 second', g / 4.0, 'c' || g FROM generate_series(10, 400) g""",
]
TRIP = 'id, name, amount, at, raw, flag, ratio, "address.city", tags'


def test_postgres_to_mongodb_to_postgres_returns_the_original_rows(pg_db, mongo_db, tmp_path):
    seed(pg_db, ROUND_SQL)
    there = write_task(tmp_path, pg_db, mongo_db.endpoint(), [selection("public", "trip")],
                       DROP, name="there")
    code, report = run("run", there, tmp_path)
    assert code == 0, report["tables"][0]
    back_db = {**pg_db, "database": pg_db["database"] + "_back"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{back_db["database"]}"')
    back = write_task(tmp_path, mongo_db.endpoint(NestingLevel="one"), back_db,
                      [selection(mongo_db.name, "trip")],
                      {**DROP, "TargetMetadata": {"TargetSchema": "public"}}, name="back")
    code, report = run("run", back, tmp_path)
    assert code == 0, report["tables"][0]
    with pg_connect(pg_db) as conn:
        original = fetch(conn, f"SELECT {TRIP.replace('tags', 'tags::text')} FROM public.trip")
    # table mode: "address.city" comes back as the column of that name, decimals stored as
    # text on FerretDB come back as text, arrays as JSON text: cast to the original types
    with pg_connect(back_db) as conn:
        back_rows = fetch(conn, 'SELECT id::int, name, amount::numeric(12,2), at, raw, flag, '
                                'ratio, "address.city", tags::jsonb::text FROM public.trip')
    assert Counter(original) - Counter(back_rows) == Counter()
    assert Counter(back_rows) - Counter(original) == Counter()
    assert len(back_rows) == 394


FAULT_ROWS = 20_000
FAULT_AT = 19_990  # near the end of the one partition: whole Arrow batches went ahead


def test_a_partition_retried_after_a_read_failure_adds_no_duplicate(pg_db, mongo_db, tmp_path):
    seed(pg_db, [
        "CREATE TABLE public.base (id int PRIMARY KEY, v text, amount numeric(18,6))",
        f"INSERT INTO public.base SELECT i, 'row ' || i || ' é', i * 1.000001 "
        f"FROM generate_series(1, {FAULT_ROWS}) i",
        *FAULT_ONCE_SQL,
        *[s.replace("fault_once", "fault_two").replace("fault_at(", "fault_two_at(")
          for s in FAULT_ONCE_SQL],
        # a view has no primary key: its _id column keys the documents
        f'CREATE VIEW public.src AS SELECT id AS "_id", * FROM public.base '
        f"WHERE public.fault_at(id, {FAULT_AT})",
        # the same rows without a key: generated _ids, the attempt decides what is kept
        f"CREATE VIEW public.nokey AS SELECT * FROM public.base "
        f"WHERE public.fault_two_at(id, {FAULT_AT})",
    ])
    rules = []
    for i, name in enumerate(("src", "nokey"), 1):
        rule = selection("public", name, rule_id=str(i))
        rule["object-locator"]["table-type"] = "view"
        rules.append(rule)
    settings = {**DROP, "Sparkdms": {"RowsPerPartition": FAULT_ROWS, "FetchSize": 1000},
                # batches of 1000: the failed attempt has written most of its documents
                "FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE",
                                     "MaxFullLoadSubTasks": 1, "CommitRate": 1000}}
    task = write_task(tmp_path, pg_db, mongo_db.endpoint(), rules, settings)
    report = tmp_path / "r.json"
    done = run_with_task_retries(task, report)
    with pg_connect(pg_db) as conn:
        fired = fetch(conn, "SELECT (SELECT last_value FROM public.fault_once), "
                            "(SELECT last_value FROM public.fault_two)")
        source = Counter(fetch(conn, "SELECT id, v, amount FROM public.base"))
    assert fired == [(2, 2)]  # each view's fault fired once, then the retried read passed
    for name in ("src", "nokey"):
        docs = list(mongo_db.db[name].find())
        got = Counter((d["id"], d["v"], Decimal(d["amount"])) for d in docs)
        assert len(docs) == FAULT_ROWS, (name, len(docs), done.stdout[-2000:])
        assert got - source == Counter() and source - got == Counter(), name
        assert not any("_sdms_attempt" in d for d in docs)
    assert {d["_id"] for d in mongo_db.db["src"].find({}, {"_id": 1})} == set(
        range(1, FAULT_ROWS + 1))
    stats = {t["TableName"]: t for t in json.loads(report.read_text())["tables"]}
    assert stats["src"]["FullLoadRows"] == FAULT_ROWS, stats["src"]
    # what the failed attempt had written before its read failed was found again, kept once
    print("documents of the failed attempt:", stats["src"]["DocumentsOfFailedAttempts"])


VALIDATE = {**DROP, "ValidationSettings": {"EnableValidation": True}}


def test_validation_passes_then_reports_a_changed_and_a_missing_document(pg_db, mongo_db,
                                                                          tmp_path):
    seed(pg_db, KINDS_SQL)
    task = write_task(tmp_path, pg_db, mongo_db.endpoint(), [selection("public", "kinds")],
                      VALIDATE, name="val")
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0 and stats["ValidationState"] == "Validated", stats
    coll = mongo_db.db["kinds"]
    coll.update_one({"_id": 4}, {"$set": {"address.zip": "y"}})
    coll.update_one({"_id": 1}, {"$set": {"doc.a": "changed"}})
    coll.delete_one({"_id": 500})
    code, report = run("validate", task, tmp_path)
    stats = report["tables"][0]
    assert code == 1 and stats["ValidationState"] == "Mismatched records", stats
    found = sorted((f["FAILURE_TYPE"], f["KEY"]["id"]) for f in stats["ValidationFailures"])
    assert found == [("MISSING_TARGET", "500"), ("RECORD_DIFF", "1"), ("RECORD_DIFF", "4")]
    diffs = {f["KEY"]["id"]: set(json.loads(f["DETAILS"]) if isinstance(f["DETAILS"], str)
                                 else f["DETAILS"]) for f in stats["ValidationFailures"]
             if f["FAILURE_TYPE"] == "RECORD_DIFF"}
    assert diffs == {"1": {"doc"}, "4": {"address.zip"}}
    stored = list(mongo_db.db["awsdms_validation_failures_v1"].find({"TASK_NAME": "val"}))
    assert sorted((d["FAILURE_TYPE"], json.loads(d["KEY"])["id"]) for d in stored) == found
    assert {d["TABLE_OWNER"] for d in stored} == {"public"}


BIG = 17 * 1024 * 1024


@pytest.mark.parametrize("policy", ["LOG_ERROR", "SUSPEND_TABLE"])
def test_a_document_over_16mb_follows_the_error_policy(pg_db, mongo_db, tmp_path, policy):
    seed(pg_db, ["CREATE TABLE public.blobs (id int PRIMARY KEY, body bytea)",
                 "INSERT INTO public.blobs SELECT g, '\\x00ff' FROM generate_series(1, 50) g",
                 f"UPDATE public.blobs SET body = decode(repeat('ab', {BIG}), 'hex') "
                 "WHERE id = 7"])
    mongo_db.db["blobs"].insert_one({"_id": "before"})
    settings = {**DROP, "ErrorBehavior": {"DataErrorPolicy": policy}}
    task = write_task(tmp_path, pg_db, mongo_db.endpoint(), [selection("public", "blobs")],
                      settings)
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    if policy == "LOG_ERROR":
        assert code == 0 and stats["FullLoadErrorRows"] == 1, stats
        assert sorted(d["_id"] for d in mongo_db.db["blobs"].find({}, {"_id": 1})) == [
            i for i in range(1, 51) if i != 7]
        exc = list(mongo_db.db["awsdms_apply_exceptions"].find())
        assert len(exc) == 1 and json.loads(exc[0]["KEY"]) == {"id": 7}
        assert "maxBsonObjectSize" in exc[0]["ERROR"] and exc[0]["TABLE_NAME"] == "blobs"
    else:
        assert code == 1 and "id=7" in stats["Error"] and "16,777,216" in stats["Error"], stats
        assert list(mongo_db.db["blobs"].find()) == [{"_id": "before"}]  # untouched
        assert sorted(mongo_db.db.list_collection_names()) == ["awsdms_apply_exceptions",
                                                                "blobs"]


def test_prep_modes_keys_and_indexes(pg_db, mongo_db, tmp_path):
    seed(pg_db, [
        "CREATE TABLE public.pairs (k1 int, k2 text, v text, email text, PRIMARY KEY (k2, k1))",
        "CREATE UNIQUE INDEX pairs_email ON public.pairs (email)",
        "INSERT INTO public.pairs VALUES (1, 'a', 'x', 'a@x'), (2, 'a', NULL, 'b@x'), "
        "(1, 'b', 'ü', NULL)",
        "CREATE TABLE public.loose (v text)",
        "INSERT INTO public.loose VALUES ('a'), ('a'), (NULL)",
    ])
    task = write_task(tmp_path, pg_db, mongo_db.endpoint(), [selection("public")], DROP)
    code, report = run("run", task, tmp_path)
    assert code == 0, report
    pairs = mongo_db.db["pairs"]
    assert sorted((d["_id"]["k2"], d["_id"]["k1"], list(d["_id"])) for d in pairs.find()) == [
        ("a", 1, ["k2", "k1"]), ("a", 2, ["k2", "k1"]), ("b", 1, ["k2", "k1"])]
    info = pairs.index_information()
    assert info["pairs_email"]["unique"] and info["pairs_email"]["key"] == [("email", 1)]
    loose = sorted((d["v"] or "") for d in mongo_db.db["loose"].find())
    assert loose == ["", "a", "a"]
    # DO_NOTHING adds to what is there (upsert by _id: a reloaded key is replaced, not doubled)
    pairs.insert_one({"_id": {"k2": "z", "k1": 9}, "v": "kept"})
    keep = write_task(tmp_path, pg_db, mongo_db.endpoint(), [selection("public", "pairs")],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DO_NOTHING"}}, name="keep")
    code, report = run("run", keep, tmp_path)
    assert code == 0, report
    assert pairs.count_documents({}) == 4 and pairs.find_one({"v": "kept"}) is not None
    # TRUNCATE_BEFORE_LOAD: only the load's documents, the collection's indexes kept
    pairs.create_index([("v", 1)], name="by_v")
    trunc = write_task(tmp_path, pg_db, mongo_db.endpoint(), [selection("public", "pairs")],
                       {"FullLoadSettings": {"TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD"}},
                       name="trunc")
    code, report = run("run", trunc, tmp_path)
    assert code == 0, report
    assert pairs.count_documents({}) == 3 and "by_v" in pairs.index_information()


def test_unreachable_target_names_the_server(pg_db, tmp_path, capsys):
    seed(pg_db, ["CREATE TABLE public.t (id int PRIMARY KEY)"])
    target = {"engine": "mongodb", "url": "mongodb://127.0.0.1:1/nowhere"}
    task = write_task(tmp_path, pg_db, target, [selection("public", "t")], DROP)
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) != 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "127.0.0.1:1" in text and "nowhere" in text, text[-2000:]


def test_docdb_refuses_an_id_over_its_index_key_limit(pg_db, mongo_db, tmp_path):
    """engine docdb: the same protocol with DocumentDB's limits (an _id of at most 2048
    bytes); the row goes to the exceptions collection, the others load."""
    seed(pg_db, ["CREATE TABLE public.codes (code text PRIMARY KEY, v int)",
                 "INSERT INTO public.codes VALUES ('short', 1), (repeat('k', 3000), 2)"])
    task = write_task(tmp_path, pg_db, mongo_db.endpoint("docdb"),
                      [selection("public", "codes")], DROP)
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0 and stats["FullLoadErrorRows"] == 1, stats
    assert [d["_id"] for d in mongo_db.db["codes"].find()] == ["short"]
    exc = mongo_db.db["awsdms_apply_exceptions"].find_one()
    assert "DocumentDB's 2,048-byte index key limit" in exc["ERROR"]
    assert exc["COLUMN_NAME"] == "_id"
