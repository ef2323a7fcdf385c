"""Redshift target, everything a local run can prove (no cluster): PostgreSQL -> staged
Parquet on moto's S3 (read back and compared with the source, file count a multiple of
the slices, the manifest exact) -> the connector's load transaction run on a PostgreSQL
stand-in (tests/integration/redshift_standin.py: COPY replaced by a load of the staged
files) -> rows compared both ways with the source, validation through JDBC, staging
removed; a failing load leaves nothing visible."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from pathlib import Path

import boto3
import pytest
import sqlglot

from sparkdms import registry
from sparkdms.cli import main as sparkdms
from tests.integration import redshift_standin
from tests.integration.conftest import pg_connect
from tests.integration.helpers import assert_same_rows, fetch, selection, write_task

MOTO = "http://127.0.0.1:5000"
AWS = {"endpoint_url": MOTO, "region": "us-east-1", "access_key_id": "AKIDSTANDIN",
       "secret_access_key": "s3cr3t-standin-key"}
SLICES = 4

TABLE = """
CREATE TABLE public.orders (
  id integer PRIMARY KEY, customer varchar(40) NOT NULL, amount numeric(12,2),
  precise numeric(38,18), wide numeric, ratio double precision, flag boolean, day date,
  at timestamp(6), tz timestamptz, raw bytea, doc jsonb, tod time, note text
)"""
SEED = r"""
INSERT INTO public.orders VALUES
 (1, 'Zoë 李雷 🚀', 9999999999.99, 12345678901234567890.123456789012345678,
  12345678901234567890.5, 1.7976931348623157e308, true, '2024-02-29',
  '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.999999+05:30', '\x00ff10',
  '{"b": [1, 2.5, {"z": null}], "a": "x"}', '23:59:59.999999', E'line1\nline2\t"q" \\'),
 (2, '', 0.00, -0.000000000000000001, 0, -0.0, false, '1970-01-01', '1970-01-01 00:00:00',
  '1970-01-01 00:00:00+00', '', '[]', '00:00:00', ''),
 (3, 'nulls', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO public.orders (id, customer, amount, at, raw, doc)
SELECT g, 'c' || (g % 37), g / 7.0, timestamp '2020-01-01' + g * interval '1.000001 second',
       decode(lpad(to_hex(g), 8, '0'), 'hex'), json_build_object('g', g)::jsonb
FROM generate_series(100, 2099) g;
"""
COLUMNS = "id, customer, amount, precise, wide, ratio, flag, day, at, tz, raw, doc::text, tod, note"


@pytest.fixture
def standin():
    registry.register(redshift_standin.STANDIN)
    redshift_standin.SEEN.clear()
    yield redshift_standin.SEEN
    registry.unregister("redshift-pg")


@pytest.fixture
def bucket():
    s3 = boto3.client("s3", endpoint_url=MOTO, region_name="us-east-1",
                      aws_access_key_id="x", aws_secret_access_key="x")
    name = f"sdms-rs-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    yield s3, name
    for obj in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=obj["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def dst(pg_db):
    target = {**pg_db, "database": pg_db["database"] + "_dst"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{target["database"]}"')
    return target  # dropped with pg_db (conftest drops "<name>_*")


def endpoint(dst: dict, bucket: str, **extra) -> dict:
    return {"engine": "redshift-pg", **{k: dst[k] for k in ("host", "port", "database", "user",
                                                               "password")}, **AWS,
            "RedshiftSettings": {"BucketName": bucket, "BucketFolder": "dms/stage"}, **extra}


SETTINGS = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
            "ValidationSettings": {"EnableValidation": True},
            "Sparkdms": {"RedshiftSlices": SLICES}}


def run(task: Path, tmp_path: Path) -> tuple[int, dict]:
    report = tmp_path / "report.json"
    code = sparkdms(["run", str(task), "--report", str(report)])
    return code, json.loads(report.read_text())


def norm(row: tuple) -> tuple:
    def one(v):
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            return v.astimezone(dt.UTC).replace(tzinfo=None)
        if isinstance(v, memoryview | bytearray):
            return bytes(v)
        if isinstance(v, str) and v.startswith(("[", "{")):
            return json.dumps(json.loads(v), sort_keys=True)
        return v
    return tuple(one(v) for v in row)


def test_postgres_to_redshift_staged_copied_and_validated(pg_db, dst, bucket, standin,
                                                          every_driver, tmp_path):
    s3, name = bucket
    with pg_connect(pg_db) as conn:
        conn.execute(TABLE)
        conn.execute(SEED)
        conn.execute("SET TIME ZONE 'UTC'")
        source = Counter(norm(r) for r in fetch(conn, f"SELECT {COLUMNS} FROM public.orders"))
    task = write_task(tmp_path, pg_db, endpoint(dst, name), [selection("public")], SETTINGS,
                      name="rs")
    code, report = run(task, tmp_path)
    stats = report["tables"][0]
    assert stats["FullLoadRows"] == sum(source.values()) == 2003
    assert code == 0 and stats["ValidationState"] == "Validated", json.dumps(
        {k: stats.get(k) for k in ("ValidationMethod", "ValidationFailures",
                                   "ValidationExpectations")}, default=str)[:4000]

    # the staged files: a multiple of the slices, the manifest exact, the rows the source's
    [copy] = standin
    assert stats["RedshiftStagedFiles"] == len(copy["manifest"]["entries"]) == SLICES
    assert all(e["url"].startswith(f"s3://{name}/dms/stage/public/orders/") and
               e["url"].rsplit("/", 1)[1].startswith("part-") and e["mandatory"]
               for e in copy["manifest"]["entries"])
    staged = Counter(norm(r) for r in copy["rows"])
    assert sum(staged.values()) == 2003
    # COPY statement: Redshift SQL, into the staging table (SUPER, text-carried values)
    assert copy["table"] == '"orders__sdms_stage"'
    assert "ACCESS_KEY_ID 'AKIDSTANDIN'" in copy["statement"]
    assert "FORMAT AS PARQUET MANIFEST" in copy["statement"]

    # the target, both ways, and the staging removed
    with pg_connect(dst) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        target = Counter(norm(r) for r in fetch(conn, f"SELECT {COLUMNS} FROM public.orders"))
        types = dict(fetch(conn, "SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'orders'"))
        temp = fetch(conn, "SELECT count(*) FROM pg_class WHERE relname LIKE %s", ("%sdms%",))
    assert_same_rows(source, target)
    assert types["doc"] == "jsonb" and types["wide"] == "numeric" and types["raw"] == "bytea"
    assert temp == [(0,)]
    assert s3.list_objects_v2(Bucket=name, Prefix="dms/").get("KeyCount", 0) == 0
    # the secret key never reaches the report
    assert "s3cr3t-standin-key" not in json.dumps(report)


def test_direct_copy_and_truncate_before_load(pg_db, dst, bucket, standin, every_driver,
                                               tmp_path):
    _, name = bucket
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.plain (id bigint PRIMARY KEY, v varchar(10), "
                     "d date)")
        conn.execute("INSERT INTO public.plain SELECT g, 'v' || g, date '2020-01-01' + g "
                     "FROM generate_series(1, 50) g")
        source = Counter(fetch(conn, "SELECT id, v, d FROM public.plain"))
    with pg_connect(dst) as conn:  # an existing table with rows to be replaced
        conn.execute("CREATE TABLE public.plain (id bigint PRIMARY KEY, v varchar(40), d date)")
        conn.execute("INSERT INTO public.plain VALUES (999, 'old', NULL)")
    settings = {**SETTINGS, "FullLoadSettings": {"TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD"}}
    task = write_task(tmp_path, pg_db, endpoint(dst, name), [selection("public")], settings,
                      name="rs2")
    code, report = run(task, tmp_path)
    assert code == 0, report["tables"][0]
    [copy] = standin
    assert copy["table"] == '"public"."plain"'  # every column loads as is: COPY straight in
    with pg_connect(dst) as conn:
        assert_same_rows(source, Counter(fetch(conn, "SELECT id, v, d FROM public.plain")))


def test_failed_load_leaves_the_old_table(pg_db, dst, bucket, standin, every_driver, tmp_path):
    _, name = bucket
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.keyed (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO public.keyed VALUES (1, 'new'), (2, 'new')")
    with pg_connect(dst) as conn:  # v is int on the target: the INSERT ... SELECT fails
        conn.execute("CREATE TABLE public.keyed (id int PRIMARY KEY, v int)")
        conn.execute("INSERT INTO public.keyed VALUES (7, 7)")
    settings = {**SETTINGS, "FullLoadSettings": {"TargetTablePrepMode": "DO_NOTHING"},
                "ValidationSettings": {"EnableValidation": False}}
    task = write_task(tmp_path, pg_db, endpoint(dst, name), [selection("public")], settings,
                      name="rs3")
    code, report = run(task, tmp_path)
    error = report["tables"][0]["Error"]
    assert code != 0 and "table public.keyed: load transaction rolled back" in error
    assert "s3cr3t-standin-key" not in error
    with pg_connect(dst) as conn:
        assert fetch(conn, "SELECT id, v FROM public.keyed") == [(7, 7)]


def test_missing_bucket_is_named(pg_db, dst, standin, every_driver, tmp_path):
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.t (id int PRIMARY KEY)")
    task = write_task(tmp_path, pg_db, endpoint(dst, "sdms-no-such-bucket"),
                      [selection("public")], SETTINGS, name="rs4")
    code, report = run(task, tmp_path)
    assert code != 0
    assert "staging bucket 'sdms-no-such-bucket'" in report["tables"][0]["Error"]


def test_generated_statements_parse_as_redshift(pg_db, dst, bucket, tmp_path):
    """`sparkdms plan` prints the real statements (types, DISTKEY/SORTKEY, COPY masked)."""
    _, name = bucket
    with pg_connect(pg_db) as conn:
        conn.execute(TABLE)
    task = write_task(tmp_path, pg_db, endpoint(dst, name) | {"engine": "redshift"},
                      [selection("public")], SETTINGS, name="rs5")
    from sparkdms.app import prepare

    prep = prepare(str(task), with_partitions=False, check_target=False)
    ddl = prep.target.target_ddl(prep.plan.tables[0])
    parsed = [sqlglot.parse_one(s, read="redshift") for s in ddl]
    kinds = [type(p).__name__ for p in parsed]
    assert kinds == ["Create", "Copy", "Drop", "Create", "Insert", "Drop"], ddl
    create = ddl[3]
    assert 'DISTSTYLE KEY DISTKEY("id") COMPOUND SORTKEY("id")' in create
    assert '"doc" super' in create and '"raw" varbyte(1024000)' in create
    assert '"customer" character varying(160) NOT NULL' in create  # 40 chars, 160 bytes
    assert "SECRET_ACCESS_KEY '***'" in ddl[1] and "s3cr3t" not in " ".join(ddl)
    assert 'JSON_PARSE("doc")' in ddl[4] and 'CAST("wide" AS numeric(38,10))' in ddl[4]
