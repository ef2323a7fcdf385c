"""The DynamoDB writer's protocol with the service, against botocore's Stubber (DynamoDB's
answers scripted on a real boto3 client; moto cannot leave items unprocessed or deny
credentials): requests of at most 25, UnprocessedItems sent again after a backoff with
jitter, an invalid request retried item by item so only the refused items become rejects,
and denied credentials as one line naming the endpoint."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from sparkdms.connectors.dynamodb.connector import DynamoDbConnector
from sparkdms.connectors.dynamodb.mapping import Shape
from sparkdms.connectors.dynamodb.writer import WriteJob, backoff, chunks, send, write_rows

from sparkdms.errors import EndpointError, TaskConfigError
from sparkdms.load.rejects import Policy
from sparkdms.task import Endpoint
from sparkdms.task.secrets import Secret

SHAPE = Shape("t_items", "items", ("id", "v"), ("N", "S"), ("int64", "text"), ("id",), ("N",),
              ("id", "v"), (), ())
ENDPOINT = Endpoint("target", "dynamodb", options={
    "endpoint_url": "http://127.0.0.1:1", "region": "us-east-1", "access_key_id": "AKIAX",
    "secret_access_key": Secret("very-secret-key")})


def job(**kw) -> WriteJob:
    return WriteJob(ENDPOINT, SHAPE, Policy(), base_delay=0.001, **kw)


def stubbed() -> tuple[object, Stubber]:
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="y")
    return client, Stubber(client)


def put(i: int) -> dict:
    return {"PutRequest": {"Item": {"id": {"N": str(i)}, "v": {"S": f"v{i}"}}}}


def rows(n: int, start: int = 0) -> list[tuple]:
    return [(i, f"v{i}") for i in range(start, start + n)]


def test_requests_hold_25_items_and_a_repeated_key_starts_a_new_one():
    sink: list = []
    sizes = [len(c) for c in chunks(iter(rows(60)), job(), sink)]
    assert sizes == [25, 25, 10] and sink == []
    again = [(1, "a"), (2, "b"), (1, "c"), (3, "d")]
    assert [[p.row for p in c] for c in chunks(iter(again), job(), sink)] == \
        [[(1, "a"), (2, "b")], [(1, "c"), (3, "d")]]


def test_unprocessed_items_are_sent_again_after_a_growing_jittered_delay():
    client, stub = stubbed()
    first = [put(i) for i in range(25)]
    stub.add_response("batch_write_item", {"UnprocessedItems": {"t_items": first[20:]}},
                      {"RequestItems": {"t_items": first}})
    stub.add_response("batch_write_item", {"UnprocessedItems": {"t_items": first[24:]}},
                      {"RequestItems": {"t_items": first[20:]}})
    stub.add_response("batch_write_item", {"UnprocessedItems": {}},
                      {"RequestItems": {"t_items": first[24:]}})
    slept: list[float] = []
    sink: list = []
    with stub:
        pending = next(chunks(iter(rows(25)), job(), sink))
        assert send(client, job(), pending, slept.append) == []
        stub.assert_no_pending_responses()
    assert len(slept) == 2 and all(s >= 0 for s in slept)
    bounds = [min(job().max_delay, job().base_delay * 2 ** a) for a in range(2)]
    assert all(s <= b for s, b in zip(slept, bounds, strict=True))
    assert max(backoff(job(), 20) for _ in range(50)) <= job().max_delay


def test_items_still_unprocessed_after_every_attempt_fail_the_partition():
    client, stub = stubbed()
    one = [put(0)]
    for _ in range(3):
        stub.add_response("batch_write_item", {"UnprocessedItems": {"t_items": one}})
    with stub, pytest.raises(Exception, match="still unprocessed after 3"):
        send(client, job(attempts=3), next(chunks(iter(rows(1)), job(), [])), lambda s: None)


def test_an_invalid_request_is_retried_item_by_item_and_only_the_refused_items_are_rejects():
    client, stub = stubbed()
    stub.add_client_error("batch_write_item", "ValidationException", "Item size too large")
    stub.add_response("put_item", {})
    stub.add_client_error("put_item", "ValidationException",
                          "Item size has exceeded the maximum allowed size")
    stub.add_response("put_item", {})
    sink: list = []
    with stub:
        written = write_rows(client, job(), iter(rows(3)), sink)
    assert written == 2
    assert [(r["key"], r["kind"]) for r in sink] == [({"id": 1}, "data")]
    assert "maximum allowed size" in sink[0]["reason"] and sink[0]["row"] == {"id": 1, "v": "v1"}


def test_rows_the_target_cannot_store_are_rejects_with_their_column():
    nan = Shape("t_items", "items", ("id", "x"), ("N", "N"), ("int64", "float64"), ("id",),
                ("N",), ("id", "x"), (), ())
    sink: list = []
    got = [[p.row for p in c] for c in chunks(iter([(1, 1.5), (2, float("nan"))]),
                                                WriteJob(ENDPOINT, nan, Policy()), sink)]
    assert got == [[(1, 1.5)]]
    assert [(r["key"], r["column"], r["value"]) for r in sink] == [({"id": 2}, "x", "nan")]


def test_denied_credentials_are_one_line_naming_the_endpoint_and_no_secret():
    connector = DynamoDbConnector(ENDPOINT)
    client, stub = stubbed()
    stub.add_client_error("list_tables", "UnrecognizedClientException",
                          "The security token included in the request is invalid.", 400)
    connector._client = client
    with stub, pytest.raises(EndpointError) as err:
        connector.check_connection()
    text = str(err.value)
    assert text.startswith("target endpoint (dynamodb): ListTables")
    assert "UnrecognizedClientException" in text and "\n" not in text
    assert "very-secret-key" not in text and "very-secret-key" not in repr(ENDPOINT)


@pytest.mark.parametrize(("options", "key"), [
    ({"access_key_id": "AKIAX"}, "target.secret_access_key"),
    ({"endpoint_url": "127.0.0.1:5000"}, "target.endpoint_url"),
    ({"DynamoDbSettings": {"BucketName": "x"}}, "target.DynamoDbSettings.BucketName"),
])
def test_endpoint_problems_name_the_key(options, key):
    with pytest.raises(TaskConfigError) as err:
        DynamoDbConnector.check_endpoint(Endpoint("target", "dynamodb", options=options))
    assert key in str(err.value)


def test_the_connector_keeps_the_target_interface():
    """The contract suite's hook check (connectors/contract): every Target method with its
    declared parameters, each hook returning its declared type; no hook needs the service."""
    from sparkdms.connectors.base import Target
    from sparkdms.connectors.contract import data
    from sparkdms.connectors.contract.harness import check_hooks, settings, target_plan

    connector = DynamoDbConnector(ENDPOINT)
    plan = target_plan(connector, "", "contract_t", data.columns((38, 10)))
    problems, called = check_hooks(connector, Target, {
        "plan": plan, "plans": [plan], "settings": settings(["dynamodb"]), "schema": ""})
    assert not problems, problems
    assert {"target_ddl", "preflight", "validation_sql", "failure_store"} <= set(called)
    assert "DynamoDB table contract_t: key (id N), PAY_PER_REQUEST" in \
        connector.target_ddl(plan)[0]
