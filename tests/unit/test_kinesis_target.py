"""Kinesis target without a stream: KinesisSettings parsing, the dialect covering every
logical kind, PutRecords batching limits and the re-sending of failed records."""

from __future__ import annotations

import json

import pytest
from sparkdms.connectors.kinesis import put
from sparkdms.connectors.kinesis.settings import parse
from sparkdms.connectors.kinesis.types import FORM_OF, KINESIS, LOGICAL_KINESIS

from sparkdms.errors import TaskConfigError
from sparkdms.task import Endpoint
from sparkdms.types import KINDS, LType

ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"


def endpoint(**block) -> Endpoint:
    return Endpoint(role="target", engine="kinesis", options={"KinesisSettings": block})


@pytest.mark.parametrize(("block", "field", "value"), [
    ({"StreamArn": ARN}, "stream", "orders"),
    ({"StreamArn": ARN}, "stream_region", "eu-west-1"),
    ({"StreamArn": ARN}, "message_format", "json"),
    ({"StreamArn": ARN, "MessageFormat": "JSON_UNFORMATTED"}, "message_format",
     "json-unformatted"),
    ({"StreamArn": ARN, "IncludeNullAndEmpty": "true"}, "include_null_and_empty", True),
    ({"StreamArn": ARN, "PartitionIncludeSchemaTable": True}, "partition_include_schema_table",
     True),
    ({"StreamArn": ARN, "NoHexPrefix": False}, "no_hex_prefix", False),
    ({"StreamArn": "orders"}, "stream", "orders"),
])
def test_settings(block, field, value):
    assert getattr(parse(endpoint(**block)), field) == value


@pytest.mark.parametrize(("block", "key"), [
    ({}, "target.KinesisSettings.StreamArn"),
    ({"StreamArn": "arn:aws:s3:::bucket"}, "target.KinesisSettings.StreamArn"),
    ({"StreamArn": ARN, "MessageFormat": "avro"}, "target.KinesisSettings.MessageFormat"),
    ({"StreamArn": ARN, "IncludeNullAndEmpty": "yes"},
     "target.KinesisSettings.IncludeNullAndEmpty"),
    ({"StreamArn": ARN, "Bogus": 1}, "target.KinesisSettings.Bogus"),
])
def test_bad_settings_name_the_key(block, key):
    with pytest.raises(TaskConfigError) as err:
        parse(endpoint(**block))
    assert err.value.key == key


def test_every_logical_kind_maps_and_reads_back():
    for kind in KINDS:
        if kind == "unknown":
            continue
        assert kind in LOGICAL_KINESIS, kind
        native = KINESIS.to_native(LType(kind))
        assert KINESIS.to_logical(native).kind != "unknown", (kind, native)
    assert KINESIS.to_native(LType("decimal", precision=12, scale=2)) == "numeric(12,2)"
    assert FORM_OF["decimal"] == "exact" and FORM_OF["blob"] == "hex"


SPEC = put.PutSpec(Endpoint(role="target", engine="kinesis"), parse(endpoint(StreamArn=ARN)),
                   "public", "t", "primary-key")


def test_batches_stop_at_500_records_and_5_mib():
    small = [(str(i), b"x" * 10) for i in range(1201)]
    assert [len(b) for b in put.batches(iter(small), SPEC)] == [500, 500, 201]
    big = [(str(i), b"x" * (1024 * 1024 - 10)) for i in range(12)]  # ~1 MiB each
    sizes = [sum(len(e["Data"]) + len(e["PartitionKey"]) for e in b)
             for b in put.batches(iter(big), SPEC)]
    assert all(s <= put.MAX_BYTES for s in sizes) and sum(len(b) for b in put.batches(
        iter(big), SPEC)) == 12 and len(sizes) == 3


def test_record_over_1_mib_names_table_and_key():
    with pytest.raises(ValueError, match=r"table public.t, partition key '7'"):
        list(put.batches(iter([("7", b"x" * (1024 * 1024))]), SPEC))


class FlakyStream:
    """A stand-in for the Kinesis service (not for the code under test): refuses the
    records whose key is in ``refuse`` for the first ``times`` calls that carry them."""

    def __init__(self, refuse: set[str], times: int) -> None:
        self.refuse, self.times, self.calls, self.stored = refuse, times, 0, []

    def __call__(self, entries):
        self.calls += 1
        out = []
        for e in entries:
            if e["PartitionKey"] in self.refuse and self.calls <= self.times:
                out.append({"ErrorCode": "ProvisionedThroughputExceededException",
                            "ErrorMessage": "Rate exceeded"})
            else:
                self.stored.append(e["PartitionKey"])
                out.append({"SequenceNumber": "1", "ShardId": "shardId-0"})
        return {"FailedRecordCount": sum("ErrorCode" in r for r in out), "Records": out}


def test_failed_records_are_resent_alone_with_backoff():
    stream = FlakyStream({"2", "4"}, times=2)
    waits: list[float] = []
    entries = [{"Data": b"{}", "PartitionKey": str(i)} for i in range(5)]
    calls, retried = put.put_all(stream, entries, SPEC, sleep=waits.append)
    assert sorted(stream.stored) == ["0", "1", "2", "3", "4"]  # each stored once
    assert (calls, retried) == (3, 4)
    assert len(waits) == 2 and waits[1] > waits[0] * 1.0  # grows (jitter in 0.5..1)


def test_records_refused_for_good_fail_naming_the_table():
    stream = FlakyStream({"1"}, times=99)
    with pytest.raises(put.KinesisWriteError, match=r"table public.t: .* refused 1 record"):
        put.put_all(stream, [{"Data": b"{}", "PartitionKey": "1"}], SPEC, sleep=lambda s: None)


def test_envelope_is_aws_dms_record():
    rec = json.loads(put.envelope(SPEC, "5", '{"id":5,"n":"1.50"}', "2024-01-01T00:00:00.000000Z"))
    assert rec == {"data": {"id": 5, "n": "1.50"}, "metadata": {
        "timestamp": "2024-01-01T00:00:00.000000Z", "record-type": "data", "operation": "load",
        "partition-key-type": "primary-key", "schema-name": "public", "table-name": "t"}}


def batch(keys, data, marks):
    import pyarrow as pa

    return pa.RecordBatch.from_pydict({"_c0": keys, "_c1": data, "_c2": marks})


def test_end_marker_row_is_dropped_and_required_last():
    spec = put.PutSpec(SPEC.endpoint, SPEC.cfg, "public", "t", "primary-key", marked=True)
    whole = [batch(["1", "2"], ["{}", "{}"], [False, False]), batch([None], [None], [True])]
    assert list(put._rows(iter(whole), spec)) == [("1", "{}"), ("2", "{}")]
    cut = [batch(["1", "2"], ["{}", "{}"], [False, False])]
    with pytest.raises(put.KinesisWriteError, match="without the end-of-partition marker"):
        list(put._rows(iter(cut), spec))
    plain = put.PutSpec(SPEC.endpoint, SPEC.cfg, "public", "t", "primary-key")
    assert list(put._rows(iter([]), plain)) == []  # an empty partition of an unmarked source
