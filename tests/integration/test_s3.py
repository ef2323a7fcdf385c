"""S3 as a target and a source, against moto's server (http://127.0.0.1:5000): objects
written by Spark through s3a://, read back with boto3 + pyarrow / csv and compared row by
row with PostgreSQL both ways; an external-table-definition CSV source loaded into
PostgreSQL; date partitions, add-tag rules, validation, bad input, the standalone master."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import gzip
import io
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task

ROOT = Path(__file__).resolve().parents[2]
MOTO = os.environ.get("SPARKDMS_TEST_S3", "http://127.0.0.1:5000")
KEYS = {"access_key_id": "testing", "secret_access_key": "testing-secret"}

SEED = [
    """CREATE TABLE public.kinds (id integer PRIMARY KEY, amount numeric(38,18), small numeric(9,2),
       name text, at timestamp(6), tz timestamptz, day date, raw bytea, flag boolean, big bigint,
       d double precision)""",
    r"""INSERT INTO public.kinds VALUES
     (1, 12345678901234567890.123456789012345678, 9999999.99, 'Zoë 李雷 🚀', '2024-02-29 23:59:59.999999',
      '2024-02-29 23:59:59.999999+05:30', '2024-02-29', '\x00ff10', true, 9223372036854775807, 0.1),
     (2, -0.000000000000000001, -0.01, '', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00',
      '0999-06-15', '', false, -9223372036854775808, -1.5e300),
     (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
     (4, 0, 0, E'line1\nline2\t"q", ''a'' | ; \\', '1999-12-31 23:59:59.5', '2038-01-19 03:14:08.123456+00',
      '2000-01-01', decode(repeat('ab', 3000), 'hex'), true, 0, 0)""",
    """INSERT INTO public.kinds (id, amount, small, name, at, big)
       SELECT g, g / 7.0, g / 3.0, 'row ' || g, timestamp '2020-01-01' + g * interval '1.000001 second', g
       FROM generate_series(100, 2100) g""",
]
COLUMNS = ["id", "amount", "small", "name", "at", "tz", "day", "raw", "flag", "big", "d"]


# -- fixtures and helpers ----------------------------------------------------------------------

@pytest.fixture
def s3() -> Any:
    return boto3.client("s3", endpoint_url=MOTO, region_name="us-east-1",
                        aws_access_key_id=KEYS["access_key_id"],
                        aws_secret_access_key=KEYS["secret_access_key"])


@pytest.fixture
def bucket(s3: Any) -> Any:
    name = f"sdms-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    for key in all_keys(s3, name):
        s3.delete_object(Bucket=name, Key=key)
    s3.delete_bucket(Bucket=name)


def all_keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for p in pages for o in p.get("Contents", ()))


def s3_endpoint(bucket: str, **settings: Any) -> dict:
    return {"engine": "s3", "endpoint_url": MOTO, "region": "us-east-1", **KEYS,
            "S3Settings": {"BucketName": bucket, "BucketFolder": "dms", **settings}}


def seed(pg_db: dict) -> list[tuple]:
    with pg_connect(pg_db) as conn:
        for sql in SEED:
            conn.execute(sql)
        return fetch(conn, f"SELECT {', '.join(COLUMNS)} FROM public.kinds")


def run(command: str, task: Path, tmp_path: Path) -> tuple[int, dict]:
    report = tmp_path / f"{command}-{task.stem}.json"
    code = sparkdms([command, str(task), "--report", str(report)])
    return code, json.loads(report.read_text()) if report.exists() else {}


def body(s3: Any, bucket: str, key: str) -> bytes:
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return gzip.decompress(data) if key.endswith(".gz") else data


def parquet_rows(s3: Any, bucket: str, keys: list[str], columns: list[str]) -> list[tuple]:
    rows: list[tuple] = []
    for key in keys:
        table = pq.read_table(io.BytesIO(body(s3, bucket, key)), columns=columns)
        rows.extend(zip(*(table.column(c).to_pylist() for c in columns), strict=True))
    return rows


# how the CSV text of each column reads back (NULL handled by the caller)
CSV_VALUE = {"id": int, "big": int, "amount": Decimal, "small": Decimal, "name": str,
             "at": dt.datetime.fromisoformat, "day": dt.date.fromisoformat,
             "tz": lambda v: dt.datetime.fromisoformat(v).replace(tzinfo=dt.UTC),
             "raw": base64.b64decode, "flag": lambda v: {"true": True, "false": False}[v],
             "d": float}


def csv_rows(text: str, delimiter: str, null: str, header: list[str]) -> list[tuple]:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert rows[0] == header, rows[0]
    out = []
    for row in rows[1:]:
        values = dict(zip(header, row, strict=True))
        out.append(tuple(None if values[c] == null else CSV_VALUE[c](values[c]) for c in COLUMNS))
    return out


# -- PostgreSQL -> S3 ---------------------------------------------------------------------------

def test_pg_to_s3_parquet_objects_read_back_with_pyarrow(pg_db, bucket, s3, spark, tmp_path):
    source = seed(pg_db)
    target = s3_endpoint(bucket, DataFormat="parquet", CompressionType="zstd")
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                "ValidationSettings": {"EnableValidation": True}}
    task = write_task(tmp_path, pg_db, target, [selection("public")], settings, name="s3pq")
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0, report
    assert stats["FullLoadRows"] == len(source)
    assert stats["ValidationState"] == "Validated", stats
    keys = all_keys(s3, bucket)
    assert keys == ["dms/public/kinds/LOAD00000001.parquet"], keys  # one partition, no staging
    assert_same_rows(normalise(source), normalise(parquet_rows(s3, bucket, keys, COLUMNS)))

    # an append load continues the numbering and keeps the first objects
    again = write_task(tmp_path, pg_db, target, [selection("public")],
                       {"FullLoadSettings": {"TargetTablePrepMode": "DO_NOTHING"}}, name="s3pq2")
    code, _ = run("run", again, tmp_path)
    assert code == 0
    keys = all_keys(s3, bucket)
    assert keys == ["dms/public/kinds/LOAD00000001.parquet", "dms/public/kinds/LOAD00000002.parquet"]
    assert_same_rows(normalise(source + source), normalise(parquet_rows(s3, bucket, keys, COLUMNS)))


def test_pg_to_s3_delta_with_tags(pg_db, bucket, s3, spark, tmp_path):
    source = seed(pg_db)
    tag = {"rule-type": "post-processing", "rule-id": "9", "rule-name": "tag",
           "rule-action": "add-tag", "object-locator": {"schema-name": "public", "table-name": "kinds"},
           "tag-set": [{"key": "format", "value": "delta"}]}
    target = s3_endpoint(bucket, DataFormat="delta", CompressionType="zstd")
    task = write_task(tmp_path, pg_db, target, [selection("public"), tag], name="s3delta")
    code, report = run("run", task, tmp_path)
    assert code == 0, report
    assert report["tables"][0]["FullLoadRows"] == len(source)
    keys = all_keys(s3, bucket)
    assert any(k.startswith("dms/public/kinds/_delta_log/") for k in keys), keys
    data = [k for k in keys if k.endswith(".parquet")]
    assert data and all(s3.get_object_tagging(Bucket=bucket, Key=k)["TagSet"] ==
                        [{"Key": "format", "Value": "delta"}] for k in data)
    frame = spark.read.format("delta").load(f"s3a://{bucket}/dms/public/kinds")
    got = [tuple(r) for r in frame.select(*COLUMNS).collect()]
    assert_same_rows(normalise(source), normalise(got))


@pytest.mark.parametrize("compression", ["GZIP", "NONE"])
def test_pg_to_s3_csv_read_back_with_the_csv_module(pg_db, bucket, s3, spark, tmp_path, compression):
    source = seed(pg_db)
    target = s3_endpoint(bucket, DataFormat="csv", CompressionType=compression, CsvDelimiter="|",
                         CsvNullValue="NULL", AddColumnName=True, IncludeOpForFullLoad=True,
                         TimestampColumnName="dms_ts", MaxFileSize=64)
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                "ValidationSettings": {"EnableValidation": True}}
    task = write_task(tmp_path, pg_db, target, [selection("public")], settings, name="s3csv")
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0, report
    assert stats["ValidationState"] == "Validated", stats
    keys = all_keys(s3, bucket)
    ext = ".csv.gz" if compression == "GZIP" else ".csv"
    assert len(keys) > 1, keys  # MaxFileSize=64 KB splits the ~200 KB table
    assert keys == [f"dms/public/kinds/LOAD{i:08d}{ext}" for i in range(1, len(keys) + 1)]
    rows: list[tuple] = []
    stamps = set()
    for key in keys:
        text = body(s3, bucket, key).decode("utf-8")
        assert len(text.encode()) < 64 * 1024 * 1.5, (key, len(text))
        assert "\r" not in text  # base64 in one line (Spark's chunked base64 is off)
        header = ["Op", "dms_ts", *COLUMNS]
        parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter="|"))
        assert {r[0] for r in parsed[1:]} == {"I"}
        stamps |= {r[1] for r in parsed[1:]}
        rows.extend(csv_rows(text, "|", "NULL", header))
    assert len(stamps) == 1 and dt.datetime.fromisoformat(stamps.pop())
    assert_same_rows(normalise(source), normalise(rows))
    assert ("",) in {(r[3],) for r in rows}  # '' stayed an empty string, not NULL


def test_date_partitions_and_add_tag_rules(pg_db, bucket, s3, spark, tmp_path):
    seed(pg_db)
    target = s3_endpoint(bucket, DataFormat="csv", DatePartitionEnabled=True,
                         DatePartitionSequence="YYYYMMDD", DatePartitionDelimiter="DASH")
    tag = {"rule-type": "post-processing", "rule-id": "9", "rule-name": "tag",
           "rule-action": "add-tag", "object-locator": {"schema-name": "public", "table-name": "%"},
           "tag-set": [{"key": "dw-schema", "value": "${schema-name}"},
                       {"key": "source-table", "value": "${table-name}"}, {"key": "team", "value": "ö"}]}
    task = write_task(tmp_path, pg_db, target, [selection("public"), tag], name="s3tags")
    before = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    code, report = run("run", task, tmp_path)
    after = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    assert code == 0, report
    keys = all_keys(s3, bucket)
    assert keys in (["dms/public/kinds/" + day + "/LOAD00000001.csv"] for day in {before, after}), keys
    tags = s3.get_object_tagging(Bucket=bucket, Key=keys[0])["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"dw-schema": "public", "source-table": "kinds",
                                                     "team": "ö"}


def test_validation_finds_a_changed_object(pg_db, bucket, s3, spark, tmp_path):
    seed(pg_db)
    target = s3_endpoint(bucket, DataFormat="csv")
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                "ValidationSettings": {"EnableValidation": True}}
    task = write_task(tmp_path, pg_db, target, [selection("public")], settings, name="s3val")
    code, report = run("run", task, tmp_path)
    assert code == 0 and report["tables"][0]["ValidationState"] == "Validated", report
    key = all_keys(s3, bucket)[0]
    lines = body(s3, bucket, key).decode().split("\n")
    changed = [line.replace("row 150,", "row 15O,") if line.startswith("150,") else line
               for line in lines if not line.startswith("151,")]
    assert len(changed) == len(lines) - 1 and changed != lines
    s3.put_object(Bucket=bucket, Key=key, Body="\n".join(changed).encode())
    # a new process would start with no cached frames: the run's expectations (great
    # expectations' Spark datasource persists what it checks) must not answer for the objects
    spark.catalog.clearCache()
    code, report = run("validate", task, tmp_path)
    stats = report["tables"][0]
    assert code == 1 and stats["ValidationState"] == "Mismatched records", stats
    assert sorted((f["FAILURE_TYPE"], f["KEY"]["id"]) for f in stats["ValidationFailures"]) == [
        ("MISSING_TARGET", "151"), ("RECORD_DIFF", "150")]


# -- S3 -> PostgreSQL ---------------------------------------------------------------------------

DEFINITION = {"TableCount": "1", "Tables": [{
    "TableName": "employee", "TableOwner": "hr", "TablePath": "hr/employee/",
    "TableColumns": [
        {"ColumnName": "Id", "ColumnType": "INT8", "ColumnNullable": "false", "ColumnIsPk": "true"},
        {"ColumnName": "LastName", "ColumnType": "STRING", "ColumnLength": "40"},
        {"ColumnName": "Salary", "ColumnType": "NUMERIC", "ColumnPrecision": "38", "ColumnScale": "10"},
        {"ColumnName": "HireDate", "ColumnType": "DATETIME"},
        {"ColumnName": "Born", "ColumnType": "DATE"},
        {"ColumnName": "Active", "ColumnType": "BOOLEAN"},
        {"ColumnName": "Photo", "ColumnType": "BLOB"},
        {"ColumnName": "Ratio", "ColumnType": "REAL8"}],
    "TableColumnsTotal": "8"}]}
EXPECTED = [  # (Id, LastName, Salary, HireDate, Born, Active, Photo, Ratio)
    (101, "Smith", Decimal("1234567890123456789012345678.0123456789"),
     dt.datetime(2014, 6, 4, 9, 30, 0, 123456), dt.date(1980, 2, 29), True, b"\x00\xff", 0.5),
    (102, "Zoë; \"the\" 李", Decimal("-0.0000000001"), dt.datetime(1999, 12, 31, 23, 59, 59),
     dt.date(1970, 1, 1), False, b"", -1e300),
    (103, "", None, None, None, None, None, None),
    (104, "two\nlines", Decimal("0"), dt.datetime(2000, 1, 1, 0, 0, 0, 500000), dt.date(2000, 1, 1),
     True, bytes(range(256)), 0.0),
]


def csv_text(rows: list[tuple], delimiter: str, row_end: str) -> str:
    def field(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bytes):
            return base64.b64encode(v).decode() or '""'  # quoted: empty, not NULL
        if isinstance(v, bool):
            return str(v).lower()
        text = str(v) if not isinstance(v, dt.datetime) else v.isoformat(sep=" ")
        if any(ch in text for ch in (delimiter, '"', "\n", "\r")) or text == "":
            return '"' + text.replace('"', '""') + '"'
        return text

    return "".join(delimiter.join(field(v) for v in row) + row_end for row in rows)


@pytest.mark.parametrize("inline", [True, False])
def test_s3_csv_with_external_table_definition_to_pg(pg_db, bucket, s3, spark, tmp_path, inline):
    text = csv_text(EXPECTED[:2], ";", "\n"), csv_text(EXPECTED[2:], ";", "\n")
    s3.put_object(Bucket=bucket, Key="src/hr/employee/LOAD001.csv", Body=text[0].encode())
    s3.put_object(Bucket=bucket, Key="src/hr/employee/LOAD002.csv", Body=text[1].encode())
    definition_file = tmp_path / "employee.json"
    definition_file.write_text(json.dumps(DEFINITION))
    source = {"engine": "s3", "endpoint_url": MOTO, "region": "us-east-1", **KEYS,
              "S3Settings": {"BucketName": bucket, "BucketFolder": "src", "CsvDelimiter": ";",
                             "ExternalTableDefinition": json.dumps(DEFINITION) if inline
                             else str(definition_file)}}
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                "ValidationSettings": {"EnableValidation": True}}
    task = write_task(tmp_path, source, pg_db, [selection("hr")], settings, name="s3src")
    code, report = run("run", task, tmp_path)
    assert code == 0, report
    stats = report["tables"][0]
    assert stats["FullLoadRows"] == len(EXPECTED)
    assert stats["ValidationState"] == "Validated", stats
    with pg_connect(pg_db) as conn:
        got = fetch(conn, 'SELECT "Id", "LastName", "Salary", "HireDate", "Born", "Active", "Photo", '
                          '"Ratio" FROM hr.employee')
        pk = fetch(conn, "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
                         "i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = "
                         "'hr.employee'::regclass AND i.indisprimary")
        types = dict(fetch(conn, "SELECT column_name, data_type || coalesce('(' || "
                                 "character_maximum_length || ')', '') FROM information_schema.columns "
                                 "WHERE table_schema = 'hr' AND table_name = 'employee'"))
    assert_same_rows(normalise(EXPECTED), normalise(got))
    assert pk == [("Id",)]
    assert types["LastName"] == "character varying(40)" and types["Salary"] == "numeric"


def test_s3_parquet_folders_are_discovered_and_loaded_into_pg(pg_db, bucket, s3, spark, tmp_path):
    import pyarrow as pa

    schema = pa.schema([("id", pa.int64()), ("name", pa.string()), ("amount", pa.decimal128(38, 10)),
                        ("at", pa.timestamp("us")), ("raw", pa.binary()), ("flag", pa.bool_())])
    rows = [(1, "Zoë 李", Decimal("123456789012345678901234567.0123456789"),
             dt.datetime(2024, 2, 29, 23, 59, 59, 999999), b"\x00\xff", True),
            (2, "", Decimal("-0.0000000001"), dt.datetime(1970, 1, 1), b"", False),
            (3, None, None, None, None, None)]
    for i, part in enumerate((rows[:2], rows[2:])):
        table = pa.Table.from_pylist([dict(zip(schema.names, r, strict=True)) for r in part], schema)
        out = io.BytesIO()
        pq.write_table(table, out)
        s3.put_object(Bucket=bucket, Key=f"lake/sales/items/part-{i}.parquet", Body=out.getvalue())
    s3.put_object(Bucket=bucket, Key="lake/sales/items/_SUCCESS", Body=b"")
    source = {"engine": "s3", "endpoint_url": MOTO, "region": "us-east-1", **KEYS,
              "S3Settings": {"BucketName": bucket, "BucketFolder": "lake", "DataFormat": "parquet"}}
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                "ValidationSettings": {"EnableValidation": True}}
    task = write_task(tmp_path, source, pg_db, [selection("sales")], settings, name="s3pqsrc")
    code, report = run("run", task, tmp_path)
    assert code == 0, report
    assert report["tables"][0]["FullLoadRows"] == len(rows)
    # Parquet files declare no key: validated by counts only, as AWS DMS says it
    assert report["tables"][0]["ValidationState"] == "No primary key", report
    with pg_connect(pg_db) as conn:
        got = fetch(conn, "SELECT id, name, amount, at, raw, flag FROM sales.items")
    assert_same_rows(normalise(rows), normalise(got))


# -- bad input: nothing half-written ------------------------------------------------------------

def test_missing_bucket_is_one_line_naming_the_bucket(pg_db, s3, spark, tmp_path, capsys):
    seed(pg_db)
    missing = f"sdms-missing-{uuid.uuid4().hex[:8]}"
    task = write_task(tmp_path, pg_db, s3_endpoint(missing), [selection("public")], name="s3miss")
    code, _ = run("run", task, tmp_path)
    err = capsys.readouterr().err
    assert code != 0
    line = next(line for line in err.splitlines() if missing in line)
    assert "does not exist" in line and "target endpoint (s3)" in line, err
    assert KEYS["secret_access_key"] not in err


FAIL_SQL = [
    """CREATE FUNCTION public.fail_at(i int, k int) RETURNS boolean LANGUAGE plpgsql AS $$
       BEGIN IF i = k THEN RAISE EXCEPTION 'injected failure at row %', i; END IF; RETURN true; END $$""",
    "CREATE VIEW public.src AS SELECT * FROM public.kinds WHERE public.fail_at(id, 2000)",
]


def test_a_failed_load_leaves_no_object_visible(pg_db, bucket, s3, spark, tmp_path):
    seed(pg_db)
    with pg_connect(pg_db) as conn:
        for sql in FAIL_SQL:
            conn.execute(sql)
    target = s3_endpoint(bucket, DataFormat="parquet")
    rule = selection("public", "src")
    rule["object-locator"]["table-type"] = "view"
    task = write_task(tmp_path, pg_db, target, [rule],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "Sparkdms": {"RowsPerPartition": 500}}, name="s3fail")
    code, report = run("run", task, tmp_path)
    assert code != 0
    assert all(t["TableState"] != "Table completed" for t in report.get("tables", ())), report
    assert all_keys(s3, bucket) == [], all_keys(s3, bucket)  # no table objects, no staging


# -- the standalone master ----------------------------------------------------------------------

def test_pg_to_s3_under_the_standalone_master(spark_master, pg_db, bucket, s3, tmp_path):
    source = seed(pg_db)
    target = s3_endpoint(bucket, DataFormat="parquet")
    name = f"s3-cluster-{bucket}"
    task = write_task(tmp_path, pg_db, target, [selection("public")],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "Sparkdms": {"RowsPerPartition": 700}}, name=name)
    report = tmp_path / "report.json"
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    cmd = [sys.executable, "-m", "sparkdms.cli", "run", str(task), "--master", spark_master,
           "--report", str(report), "--conf", "spark.executor.memory=1g"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert KEYS["secret_access_key"] not in proc.stdout + proc.stderr
    data = json.loads(report.read_text())
    assert data["tables"][0]["FullLoadRows"] == len(source)
    keys = all_keys(s3, bucket)
    assert len(keys) == data["tables"][0]["Partitions"] > 1, keys
    assert all(k.startswith("dms/public/kinds/LOAD0000000") for k in keys)
    assert_same_rows(normalise(source), normalise(parquet_rows(s3, bucket, keys, COLUMNS)))
    assert Counter(r[0] for r in parquet_rows(s3, bucket, keys, ["id"])) == \
        Counter(r[0] for r in source)
