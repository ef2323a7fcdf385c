"""S3 engine pieces without services: S3Settings, the external table definition, the
object layout, add-tag rules, the s3a settings, and S3 errors (botocore's Stubber stands in
for S3 where moto cannot answer: denied credentials)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.stub import Stubber
from sparkdms.connectors.s3 import layout
from sparkdms.connectors.s3.definition import parse_definition
from sparkdms.connectors.s3.hadoop import (
    DEFAULT_CHAIN,
    HADOOP_AWS_PACKAGE,
    SIMPLE_PROVIDER,
    TEMPORARY_PROVIDER,
    s3a_conf,
)
from sparkdms.connectors.s3.settings import parse_settings
from sparkdms.connectors.s3.store import Store
from sparkdms.connectors.s3.tags import table_tags

from sparkdms.errors import EndpointError, MappingRuleError, TaskConfigError
from sparkdms.task import Endpoint
from sparkdms.task.secrets import Secret

# -- S3Settings ----------------------------------------------------------------------------------

SETTINGS_ERRORS = [  # (block, the key the error names, a word of the problem)
    ({"BucketName": "b", "BucketFoldr": "x"}, "S3Settings.BucketFoldr", "unknown S3 setting"),
    ({"BucketFolder": "x"}, "S3Settings.BucketName", "missing"),
    ({"BucketName": "b", "DataFormat": "orc"}, "S3Settings.DataFormat", "one of csv, parquet"),
    ({"BucketName": "b", "CompressionType": "zstd"}, "S3Settings.CompressionType", "csv"),
    ({"BucketName": "b", "DatePartitionSequence": "YYYY"}, "S3Settings.DatePartitionSequence",
     "YYYYMMDD"),
    ({"BucketName": "b", "MaxFileSize": -1}, "S3Settings.MaxFileSize", ">= 0"),
    ({"BucketName": "b", "CsvDelimiter": "||"}, "S3Settings.CsvDelimiter", "one character"),
    ({"BucketName": "b", "AddColumnName": "perhaps"}, "S3Settings.AddColumnName", "true or false"),
]


@pytest.mark.parametrize(("block", "key", "word"), SETTINGS_ERRORS)
def test_settings_errors_name_the_key(block, key, word):
    with pytest.raises(TaskConfigError) as err:
        parse_settings(block, "target")
    assert err.value.key == f"target.{key}" and word in err.value.problem


def test_settings_take_aws_strings_and_yaml_values():
    opts = parse_settings({"BucketName": "b", "BucketFolder": "/dms/", "DataFormat": "PARQUET",
                           "CompressionType": "GZIP", "DatePartitionEnabled": "true",
                           "MaxFileSize": "1024", "CsvRowDelimiter": "\\n",
                           "AddColumnName": True}, "target")
    assert (opts.folder, opts.data_format, opts.compression_type) == ("dms", "parquet", "gzip")
    assert opts.date_partition_enabled and opts.add_column_name and opts.max_file_size == 1024
    assert opts.csv_row_delimiter == "\n"


# -- layout --------------------------------------------------------------------------------------

DATE_FOLDERS = [("YYYYMMDD", "SLASH", "2026/12/02"), ("YYYYMMDDHH", "UNDERSCORE", "2026_12_02_07"),
                ("YYYYMM", "DASH", "2026-12"), ("MMYYYYDD", "NONE", "12202602"),
                ("DDMMYYYY", "SLASH", "02/12/2026")]


@pytest.mark.parametrize(("sequence", "delimiter", "folder"), DATE_FOLDERS)
def test_date_folders_follow_aws_sequences(sequence, delimiter, folder):
    opts = parse_settings({"BucketName": "b", "DatePartitionEnabled": True,
                           "DatePartitionSequence": sequence,
                           "DatePartitionDelimiter": delimiter}, "target")
    assert layout.date_folder(opts, dt.datetime(2026, 12, 2, 7, 5)) == folder


def test_load_names_prefixes_and_numbering():
    csv_gz = parse_settings({"BucketName": "b", "BucketFolder": "f", "CompressionType": "gzip"}, "t")
    parquet = parse_settings({"BucketName": "b", "DataFormat": "parquet"}, "t")
    assert layout.load_name(3, csv_gz) == "LOAD00000003.csv.gz"
    assert layout.load_name(12, parquet) == "LOAD00000012.parquet"
    assert layout.table_prefix(csv_gz, "hr", "emp") == "f/hr/emp/"
    assert layout.table_prefix(parquet, "hr", "emp") == "hr/emp/"
    assert layout.staging_prefix(csv_gz, "hr", "emp", "abc") == "f/_sparkdms_staging/hr/emp/abc/"
    keys = ["f/hr/emp/LOAD00000002.csv", "f/hr/emp/2026/12/02/LOAD00000007.csv.gz", "f/x/_SUCCESS"]
    assert layout.next_load_number(keys) == 8 and layout.next_load_number([]) == 1
    assert [layout.is_data_file(k) for k in ("a/part-0.parquet", "a/_SUCCESS", "a/.x.crc")] == \
        [True, False, False]


# -- external table definition ------------------------------------------------------------------

DEFINITION = {"TableCount": "1", "Tables": [{
    "TableName": "employee", "TableOwner": "hr", "TablePath": "hr/employee/",
    "TableColumns": [
        {"ColumnName": "Id", "ColumnType": "INT8", "ColumnNullable": "false", "ColumnIsPk": "true"},
        {"ColumnName": "Name", "ColumnType": "STRING", "ColumnLength": "20"},
        {"ColumnName": "Pay", "ColumnType": "NUMERIC", "ColumnPrecision": "10", "ColumnScale": "2"},
        {"ColumnName": "At", "ColumnType": "DATETIME"},
        {"ColumnName": "Raw", "ColumnType": "BYTE", "ColumnLength": "16"},
        {"ColumnName": "Doc", "ColumnType": "CLOB"}]}]}


def test_definition_gives_names_types_and_keys(tmp_path):
    path = tmp_path / "def.json"
    path.write_text(json.dumps(DEFINITION))
    for value in (json.dumps(DEFINITION), str(path), DEFINITION):
        (d,) = parse_definition(value, "source")
        t = d.table
        assert (t.schema, t.name, d.path, t.primary_key) == ("hr", "employee", "hr/employee", ("Id",))
        assert [(c.name, str(c.ltype), c.nullable) for c in t.columns] == [
            ("Id", "int64", False), ("Name", "varchar(20)", True), ("Pay", "decimal(10,2)", True),
            ("At", "timestamp(6)", True), ("Raw", "varbinary(16)", True), ("Doc", "text", True)]


DEFINITION_ERRORS = [
    ({"ColumnName": "x", "ColumnType": "VARCHAR2"}, "not an AWS DMS S3 type"),
    ({"ColumnName": "x", "ColumnType": "NUMERIC"}, "ColumnPrecision"),
    ({"ColumnName": "x", "ColumnType": "BYTE"}, "ColumnLength"),
    ({"ColumnType": "INT4"}, "missing"),
]


@pytest.mark.parametrize(("column", "word"), DEFINITION_ERRORS)
def test_definition_errors_name_table_and_column(column, word):
    doc = {"Tables": [{"TableName": "t", "TableOwner": "s", "TableColumns": [column]}]}
    with pytest.raises(TaskConfigError) as err:
        parse_definition(json.dumps(doc), "source")
    assert "Tables[0].TableColumns[0]" in err.value.key and word in err.value.problem


def test_definition_that_is_neither_json_nor_a_file():
    with pytest.raises(TaskConfigError, match="neither inline JSON nor a readable file"):
        parse_definition("/no/such/def.json", "source")


# -- add-tag ---------------------------------------------------------------------------------------

def tag_rule(tagset, action="add-tag"):
    return {"rule-type": "post-processing", "rule-id": "5", "rule-name": "tags",
            "rule-action": action, "object-locator": {"schema-name": "%", "table-name": "%"},
            "tag-set": tagset}


def test_add_tag_expands_names_and_refuses_dyn_value():
    rules = [tag_rule([{"key": "s", "value": "${schema-name}"}, {"key": "t", "value": "${table-name}"}])]
    assert table_tags(rules, "hr", "emp") == {"s": "hr", "t": "emp"}
    with pytest.raises(MappingRuleError, match="dyn-value"):
        table_tags([tag_rule([{"key": "k", "value": "${dyn-value}"}])], "hr", "emp")
    with pytest.raises(MappingRuleError, match="add-tag only"):
        table_tags([tag_rule([{"key": "k", "value": "v"}], action="tag")], "hr", "emp")
    with pytest.raises(MappingRuleError, match="S3 allows 10"):
        table_tags([tag_rule([{"key": f"k{i}", "value": "v"} for i in range(11)])], "hr", "emp")


# -- s3a -----------------------------------------------------------------------------------------

def test_s3a_conf_per_bucket_for_moto_and_for_aws():
    moto = s3a_conf({"endpoint_url": "http://127.0.0.1:5000", "region": "eu-west-1",
                     "access_key_id": "AK", "secret_access_key": "SK"}, "b1")
    assert moto["fs.s3a.bucket.b1.endpoint"] == "http://127.0.0.1:5000"
    assert moto["fs.s3a.bucket.b1.path.style.access"] == "true"
    assert moto["fs.s3a.bucket.b1.connection.ssl.enabled"] == "false"
    assert moto["fs.s3a.bucket.b1.aws.credentials.provider"] == SIMPLE_PROVIDER
    assert moto["fs.s3a.bucket.b1.endpoint.region"] == "eu-west-1"
    assert all(k.startswith("fs.s3a.bucket.b1.") for k in moto)
    aws = s3a_conf({"region": None}, "b2")
    assert aws["fs.s3a.bucket.b2.aws.credentials.provider"] == DEFAULT_CHAIN
    assert "fs.s3a.bucket.b2.path.style.access" not in aws and "fs.s3a.bucket.b2.access.key" not in aws
    temp = s3a_conf({"access_key_id": "AK", "secret_access_key": "SK", "session_token": "T"}, "b3")
    assert temp["fs.s3a.bucket.b3.aws.credentials.provider"] == TEMPORARY_PROVIDER
    assert HADOOP_AWS_PACKAGE == "org.apache.hadoop:hadoop-aws:3.5.0"


# -- S3 errors (Stubber: moto accepts any key, so denial cannot be produced there) --------------

def store_with(code: str, status: int) -> tuple[Store, Stubber]:
    endpoint = Endpoint("target", "s3", options={
        "endpoint_url": "http://127.0.0.1:1", "region": "us-east-1",
        "access_key_id": "AKIA", "secret_access_key": Secret("very-secret")})
    store = Store(endpoint, "my-bucket")
    stub = Stubber(store.s3)
    stub.add_client_error("head_bucket", service_error_code=code, http_status_code=status)
    stub.activate()
    return store, stub


@pytest.mark.parametrize(("code", "status", "word"), [
    ("403", 403, "access denied to bucket 'my-bucket'"),
    ("InvalidAccessKeyId", 403, "access denied"),
    ("404", 404, "bucket 'my-bucket' does not exist"),
])
def test_bucket_errors_are_one_line_without_secrets(code, status, word):
    store, _ = store_with(code, status)
    with pytest.raises(EndpointError) as err:
        store.check_bucket("table public.t: cannot write")
    text = str(err.value)
    assert word in text and "target endpoint (s3)" in text and "public.t" in text
    assert "\n" not in text and "very-secret" not in text


# -- endpoint checks (before Spark starts) ------------------------------------------------------

ENDPOINT_ERRORS = [  # (role, options, the key the error names)
    ("source", {"S3Settings": {"BucketName": "b"}}, "source.S3Settings.ExternalTableDefinition"),
    ("source", {"S3Settings": {"BucketName": "b", "DataFormat": "parquet", "IgnoreHeaderRows": 2}},
     "source.S3Settings.IgnoreHeaderRows"),
    ("target", {"S3Settings": {"BucketName": "b", "Bucket": "x"}}, "target.S3Settings.Bucket"),
    ("target", {"S3Settings": {"BucketName": "b"}, "access_key_id": "AK"}, "target.secret_access_key"),
    ("target", {"S3Settings": {"BucketName": "b"}, "endpoint_url": "127.0.0.1:5000"},
     "target.endpoint_url"),
]


@pytest.mark.parametrize(("role", "options", "key"), ENDPOINT_ERRORS)
def test_endpoint_errors_name_the_key(role, options, key):
    from sparkdms.connectors.s3.connector import S3Connector

    with pytest.raises(TaskConfigError) as err:
        S3Connector.check_endpoint(Endpoint(role, "s3", options=options))
    assert err.value.key == key
