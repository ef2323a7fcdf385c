"""PostgreSQL -> Kinesis against moto's server (http://127.0.0.1:5000): every record read
back from every shard and compared row by row, both ways, with the source table (NULLs,
unicode, decimals, timestamps, binary); more than 500 rows so PutRecords batches."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

import boto3
import pytest

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import pg_connect
from tests.integration.helpers import assert_same_rows, fetch, selection, write_task

MOTO = "http://127.0.0.1:5000"
AWS = {"endpoint_url": MOTO, "region": "us-east-1", "access_key_id": "testing",
       "secret_access_key": "testing"}
ROWS = 1234  # > 500: at least three PutRecords calls

TABLE = """
CREATE TABLE public.events (
  id integer PRIMARY KEY, region char(2), name varchar(40), amount numeric(12,2),
  precise numeric(38,18), ratio double precision, flag boolean, day date,
  at timestamp(6), tz timestamptz, raw bytea, big bigint
)"""
SEED = r"""
INSERT INTO public.events VALUES
 (1, 'eu', 'Zoë 李雷 🚀 "quoted" \ back', 9999999999.99, 12345678901234567890.123456789012345678,
  1.7976931348623157e308, true, '2024-02-29', '2024-02-29 23:59:59.999999',
  '2024-02-29 23:59:59.999999+05:30', '\x00ff10', 9223372036854775807),
 (2, '', '', 0.00, -0.000000000000000001, -0.0, false, '1970-01-01', '1970-01-01 00:00:00',
  '1970-01-01 00:00:00+00', '', -9223372036854775808),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO public.events (id, name, amount, at, raw, ratio)
SELECT g, 'row ' || g, g / 7.0, timestamp '2020-01-01' + g * interval '1.000001 second',
       decode(lpad(to_hex(g), 8, '0'), 'hex'), g / 3.0
FROM generate_series(100, 99 + %s) g;
"""
COLUMNS = ("id", "region", "name", "amount", "precise", "ratio", "flag", "day", "at", "tz", "raw",
           "big")


@pytest.fixture
def stream() -> tuple[str, str]:
    kinesis = boto3.client("kinesis", **{k: v for k, v in (
        ("endpoint_url", MOTO), ("region_name", "us-east-1"), ("aws_access_key_id", "testing"),
        ("aws_secret_access_key", "testing"))})
    name = f"sdms-{uuid.uuid4().hex[:10]}"
    kinesis.create_stream(StreamName=name, ShardCount=3)
    kinesis.get_waiter("stream_exists").wait(StreamName=name)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    yield name, arn
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def read_stream(name: str) -> list[tuple[str, bytes]]:
    """(partition key, data) of every record, from every shard."""
    kinesis = boto3.client("kinesis", endpoint_url=MOTO, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    out: list[tuple[str, bytes]] = []
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = kinesis.get_records(ShardIterator=it, Limit=10000)
            out += [(r["PartitionKey"], r["Data"]) for r in page["Records"]]
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return out


def seed(pg_db: dict) -> list[tuple]:
    with pg_connect(pg_db) as conn:
        conn.execute(TABLE)
        conn.execute(SEED % ROWS)
        conn.execute("SET TIME ZONE 'UTC'")
        return fetch(conn, f"SELECT {', '.join(COLUMNS)} FROM public.events")


def source_form(row: tuple) -> tuple:
    """A source row in comparable form: instants in UTC, decimals exact, bytes as bytes."""
    def one(v):
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            return v.astimezone(dt.UTC).replace(tzinfo=None)
        return bytes(v) if isinstance(v, memoryview) else v
    return tuple(one(v) for v in row)


def record_form(data: dict, hex_prefix: bool = True) -> tuple:
    """A record's ``data`` read back with the JSON forms of connectors/kinesis/types.py;
    an absent column is NULL."""
    def parse(col: str, v):
        if v is None:
            return None
        if col in ("amount", "precise"):
            assert isinstance(v, str), (col, v)  # exact decimal text, never a float
            return Decimal(v)
        if col == "day":
            return dt.date.fromisoformat(v)
        if col == "at":
            return dt.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%f")
        if col == "tz":
            assert v.endswith("Z"), v
            return dt.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%fZ")
        if col == "raw":
            assert v.startswith("0x") == hex_prefix, v
            return bytes.fromhex(v[2:] if hex_prefix else v)
        return v
    return tuple(parse(c, data.get(c)) for c in COLUMNS)


def run(task: Path, tmp_path: Path) -> tuple[int, dict]:
    report = tmp_path / "report.json"
    code = sparkdms(["run", str(task), "--report", str(report)])
    return code, json.loads(report.read_text())


def test_postgres_to_kinesis_records_match_the_source(pg_db, stream, every_driver, tmp_path):
    name, arn = stream
    source = seed(pg_db)
    target = {"engine": "kinesis", **AWS,
              "KinesisSettings": {"StreamArn": arn, "MessageFormat": "json-unformatted",
                                  "PartitionIncludeSchemaTable": True,
                                  "IncludePartitionValue": True}}
    task = write_task(tmp_path, pg_db, target, [selection("public")], name="kin")
    code, report = run(task, tmp_path)
    stats = report["tables"][0]
    assert code == 0, stats
    assert stats["FullLoadRows"] == len(source) == ROWS + 3
    assert stats["KinesisPutRecordsCalls"] >= 3  # batches of at most 500

    got = read_stream(name)
    assert len(got) == len(source)
    rows = []
    for key, data in got:
        text = data.decode()
        assert text.endswith("\n") and text.count("\n") == 1  # json-unformatted: one line
        doc = json.loads(text)
        meta = doc["metadata"]
        assert {k: meta[k] for k in ("record-type", "operation", "partition-key-type",
                                     "schema-name", "table-name")} == {
            "record-type": "data", "operation": "load", "partition-key-type": "primary-key",
            "schema-name": "public", "table-name": "events"}
        dt.datetime.strptime(meta["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert key == f"public.events.{doc['data']['id']}" == meta["partition-key-value"]
        rows.append(record_form(doc["data"]))
    assert_same_rows(Counter(source_form(r) for r in source), Counter(rows))
    # NULL columns are left out (IncludeNullAndEmpty false), empty strings are kept
    by_id = {json.loads(d)["data"]["id"]: json.loads(d)["data"] for _, d in got}
    assert by_id[3] == {"id": 3}
    assert by_id[2]["region"] == "  " and by_id[2]["name"] == ""  # char(2) keeps its padding


def test_kinesis_nulls_included_formatted_json_and_no_hex_prefix(pg_db, stream, every_driver,
                                                                 tmp_path):
    name, arn = stream
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.nokey (name text, raw bytea, n numeric)")
        conn.execute("INSERT INTO public.nokey VALUES ('a', '\\x0102', 1.50), (NULL, NULL, NULL)")
        source = fetch(conn, "SELECT name, raw, n FROM public.nokey")
    target = {"engine": "kinesis", **AWS,
              "KinesisSettings": {"StreamArn": arn, "IncludeNullAndEmpty": True,
                                  "NoHexPrefix": True}}
    task = write_task(tmp_path, pg_db, target, [selection("public")], name="kin2")
    code, report = run(task, tmp_path)
    assert code == 0, report["tables"][0]
    got = read_stream(name)
    assert {key for key, _ in got} == {"public.nokey"}  # no primary key: schema-table
    docs = [json.loads(d) for _, d in got]
    assert all(b"\n    \"data\"" in d for _, d in got)  # MessageFormat json: indented
    assert all(doc["metadata"]["partition-key-type"] == "schema-table" for doc in docs)
    assert all(set(doc["data"]) == {"name", "raw", "n"} for doc in docs)  # nulls kept
    back = Counter((d["data"]["name"], None if d["data"]["raw"] is None else
                    bytes.fromhex(d["data"]["raw"]),
                    None if d["data"]["n"] is None else Decimal(d["data"]["n"])) for d in docs)
    assert_same_rows(Counter((r[0], None if r[1] is None else bytes(r[1]), r[2])
                             for r in source), back)


def test_missing_stream_is_named(pg_db, every_driver, tmp_path, capsys):
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.t (id int PRIMARY KEY)")
        conn.execute("INSERT INTO public.t VALUES (1)")
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/sdms-no-such-stream"
    target = {"engine": "kinesis", **AWS, "KinesisSettings": {"StreamArn": arn}}
    task = write_task(tmp_path, pg_db, target, [selection("public")], name="kin3")
    code = sparkdms(["run", str(task)])
    assert code != 0
    err = capsys.readouterr().err
    assert "target endpoint (kinesis): Kinesis stream 'sdms-no-such-stream' does not exist" in err


def test_unknown_kinesis_setting_is_named(pg_db, tmp_path, capsys):
    target = {"engine": "kinesis", **AWS,
              "KinesisSettings": {"StreamArn": "arn:aws:kinesis:us-east-1:1:stream/s",
                                  "MessageFormatt": "json"}}
    task = write_task(tmp_path, pg_db, target, [selection("public")], name="kin4")
    assert sparkdms(["run", str(task)]) != 0
    assert "target.KinesisSettings.MessageFormatt: unknown Kinesis setting" in \
        capsys.readouterr().err
