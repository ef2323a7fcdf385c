"""Amazon DynamoDB as a target: items from rows, object-mapping rules, BatchWriteItem."""

from sparkdms.connectors.base import EngineSpec

ENGINE = EngineSpec(
    name="dynamodb",
    connector="sparkdms.connectors.dynamodb.connector:DynamoDbConnector",
    dialect="sparkdms.connectors.dynamodb.types:DYNAMODB",
    summary="target; object-mapping rules",
)
