"""Redshift target without a cluster: the generated DDL and COPY parsed by sqlglot's Redshift
dialect, DISTKEY/SORTKEY defaults and overrides, the load transaction per prep mode,
credentials masked, byte lengths, RedshiftSettings keys, the staged file count."""

from __future__ import annotations

import pytest
import sqlglot
from sparkdms.connectors.redshift import settings as rs
from sparkdms.connectors.redshift import staging
from sparkdms.connectors.redshift import statements as sql
from sparkdms.connectors.redshift.types import REDSHIFT

from sparkdms.catalog import Column, Table
from sparkdms.errors import TaskConfigError
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.task import Endpoint
from sparkdms.task.secrets import Secret
from sparkdms.types import LType

Q = REDSHIFT.quote
KINDS = [("id", LType("int64"), False), ("name", LType("varchar", length=40), False),
         ("amount", LType("decimal", precision=12, scale=2), True),
         ("wide", LType("decimal"), True), ("doc", LType("json"), True),
         ("raw", LType("blob"), True), ("at", LType("timestamptz", precision=6), True),
         ("tod", LType("time", precision=6), True), ('odd "name"', LType("text"), True)]


def plan(kinds=KINDS, pk=("id",), rows=0) -> TablePlan:
    cols = tuple(ColumnPlan(n, Column(n, "x", t, nullable), t, REDSHIFT.to_native(t), nullable)
                 for n, t, nullable in kinds)
    source = Table("public", "orders", tuple(c.source for c in cols), pk, row_estimate=rows)
    return TablePlan(source, "sales", "orders", cols, primary_key=pk)


def auth() -> sql.CopyAuth:
    return sql.CopyAuth(None, Secret("AKIDEXAMPLE"), Secret("wJalr/K7MDENG'\\x"), Secret("tok"))


def copy(table, cols, reveal=False):
    return sql.copy_sql(table, cols, "s3://bkt/dms/sales/orders/L1/manifest", auth(), Q,
                        region="eu-west-1", comp_update=False, reveal=reveal)


def load(p: TablePlan, mode: str, attrs: str = "") -> sql.LoadSql:
    return sql.load_sql(p, mode, '"sales"."orders"', '"orders__sdms_stage"', attrs, Q,
                        lambda t, c: copy(t, c))


@pytest.mark.parametrize(("mode", "kinds"), [
    ("DROP_AND_CREATE", ["Drop", "Create", "Copy"]),
    ("TRUNCATE_BEFORE_LOAD", ["Create", "Delete", "Copy"]),
    ("DO_NOTHING", ["Create", "Copy"]),
])
def test_direct_load_statements_parse(mode, kinds):
    p = plan([k for k in KINDS if k[0] in ("id", "name", "amount", "raw", "at")])
    attrs = sql.attributes(p, None, Q)
    out = load(p, mode, attrs)
    parsed = [sqlglot.parse_one(s, read="redshift") for s in out.statements]
    assert [type(e).__name__ for e in parsed] == kinds
    assert out.copy_into == '"sales"."orders"' and out.copy_at == len(kinds) - 1
    create = next(s for s in out.statements if s.startswith("CREATE"))
    assert create.endswith('PRIMARY KEY ("id")) DISTSTYLE KEY DISTKEY("id") COMPOUND SORTKEY("id")')
    assert ('CREATE TABLE IF NOT EXISTS' in create) == (mode != "DROP_AND_CREATE")


def test_staged_load_converts_super_and_text_carried_values():
    out = load(plan(), "DROP_AND_CREATE")
    parsed = [sqlglot.parse_one(s, read="redshift") for s in out.statements]
    assert [type(e).__name__ for e in parsed] == ["Create", "Copy", "Drop", "Create", "Insert",
                                                 "Drop"]
    stage, _, _, final, insert, _ = out.statements
    assert stage.startswith('CREATE TEMP TABLE "orders__sdms_stage" (') and "NOT NULL" not in stage
    assert '"doc" character varying(65535)' in stage and '"doc" super' in final
    assert '"wide" numeric(38,10)' in final and '"tod" time' in final
    assert 'JSON_PARSE("doc")' in insert and 'CAST("wide" AS numeric(38,10))' in insert
    assert 'CAST("tod" AS time)' in insert and '"amount",' in insert  # direct columns as is
    assert '"odd ""name""" character varying(65535)' in final  # quoted through the dialect
    assert out.copy_into == '"orders__sdms_stage"'


def test_copy_masks_credentials_unless_revealed_and_escapes_literals():
    masked = copy('"t"', ["a"])
    shown = copy('"t"', ["a"], reveal=True)
    assert "ACCESS_KEY_ID '***' SECRET_ACCESS_KEY '***' SESSION_TOKEN '***'" in masked
    assert "wJalr" not in masked and "AKIDEXAMPLE" not in masked
    assert "ACCESS_KEY_ID 'AKIDEXAMPLE' SECRET_ACCESS_KEY 'wJalr/K7MDENG''\\\\x'" in shown
    for text in (masked, shown):
        e = sqlglot.parse_one(text, read="redshift")
        assert isinstance(e, sqlglot.exp.Copy)
    assert "FORMAT AS PARQUET MANIFEST REGION 'eu-west-1' COMPUPDATE OFF" in masked
    role = sql.copy_sql('"t"', ["a"], "s3://b/m", sql.CopyAuth("arn:aws:iam::1:role/r"), Q)
    assert "IAM_ROLE 'arn:aws:iam::1:role/r'" in role
    assert "IAM_ROLE default" in sql.copy_sql('"t"', ["a"], "s3://b/m", sql.CopyAuth(), Q)
    with pytest.raises(ValueError):
        sql.literal("a\nb")


@pytest.mark.parametrize(("keys", "pk", "expected"), [
    (None, ("id",), 'DISTSTYLE KEY DISTKEY("id") COMPOUND SORTKEY("id")'),
    (None, (), ""),
    (rs.TableKeys("ALL"), ("id",), 'DISTSTYLE ALL COMPOUND SORTKEY("id")'),
    (rs.TableKeys("KEY", "name", ("at", "id")), ("id",),
     'DISTSTYLE KEY DISTKEY("name") COMPOUND SORTKEY("at", "id")'),
    (rs.TableKeys("EVEN", None, ()), ("id",), "DISTSTYLE EVEN"),
    (rs.TableKeys(None, None, ("at",), "INTERLEAVED"), (), 'INTERLEAVED SORTKEY("at")'),
])
def test_dist_and_sort_keys(keys, pk, expected):
    assert sql.attributes(plan(pk=pk), keys, Q) == expected


def test_table_keys_naming_a_missing_column_is_refused():
    with pytest.raises(ValueError, match=r"table sales\.orders: table_keys names column 'nope'"):
        sql.attributes(plan(), rs.TableKeys("KEY", "nope"), Q)


@pytest.mark.parametrize(("kind", "native"), [
    (LType("varchar", length=40), "character varying(160)"),
    (LType("varchar", length=20000), "character varying(65535)"),
    (LType("char", length=3), "character varying(12)"),
    (LType("enum", values=("é", "bb")), "character varying(2)"),
    (LType("text"), "character varying(65535)"), (LType("json"), "super"),
    (LType("blob"), "varbyte(1024000)"), (LType("decimal", precision=50, scale=2),
                                          "numeric(38,2)"),
])
def test_byte_lengths_and_types(kind, native):
    assert REDSHIFT.to_native(kind) == native
    sqlglot.parse_one(f"CREATE TABLE t (c {native})", read="redshift")


def endpoint(block, **opts) -> Endpoint:
    return Endpoint(role="target", engine="redshift", options={"RedshiftSettings": block, **opts})


def test_settings_parse():
    cfg = rs.parse(endpoint({"BucketName": "b", "BucketFolder": "/dms/x/", "MaxFileSize": 2048,
                             "EncryptionMode": "sse_kms", "ServerSideEncryptionKmsKeyId": "k",
                             "TruncateColumns": False}))
    assert (cfg.bucket, cfg.folder, cfg.max_file_bytes, cfg.encryption) == (
        "b", "dms/x", 2048 * 1024, "SSE_KMS")


@pytest.mark.parametrize(("block", "key", "words"), [
    ({}, "BucketName", "missing"),
    ({"BucketName": "b", "Bogus": 1}, "Bogus", "unknown Redshift setting"),
    ({"BucketName": "b", "ServerName": "h"}, "ServerName", "endpoint's host"),
    ({"BucketName": "b", "EncryptionMode": "SSE_KMS"}, "ServerSideEncryptionKmsKeyId", "KMS"),
    ({"BucketName": "b", "MaxFileSize": 0}, "MaxFileSize", "whole number"),
])
def test_bad_settings_name_the_key(block, key, words):
    with pytest.raises(TaskConfigError) as err:
        rs.parse(endpoint(block))
    assert err.value.key == f"target.RedshiftSettings.{key}" and words in err.value.problem


def test_table_keys_parse_and_refuse():
    keys = rs.table_keys(endpoint({}, table_keys={"public.o": {"distkey": "c", "sortkey": "d"}}))
    assert keys["public.o"] == rs.TableKeys("KEY", "c", ("d",), "COMPOUND")
    with pytest.raises(TaskConfigError) as err:
        rs.table_keys(endpoint({}, table_keys={"o": {"diststyle": "ALL", "distkey": "c"}}))
    assert err.value.key == "target.table_keys.o.distkey"


@pytest.mark.parametrize(("total", "slices", "max_file", "files"), [
    (0, 4, 1 << 30, 4),  # an empty or tiny table: one file per slice
    (10 << 20, 16, 1 << 30, 16),
    (5 << 30, 4, 1 << 30, 8),  # 5 GB on 4 slices: 8 files of ~640 MB
    (5 << 30, 4, 256 << 20, 20),  # MaxFileSize 256 MB
])
def test_file_count_is_a_multiple_of_slices_within_max_size(total, slices, max_file, files):
    n = staging.file_count(total, slices, max_file)
    assert n == files and n % slices == 0 and total / n <= max_file


def test_estimate_from_rows_and_widths():
    p = plan(rows=3_000_000)
    assert staging.estimate_bytes(p) == 3_000_000 * sum(
        staging.width(c.ltype) for c in p.columns) // staging.COMPRESSION
