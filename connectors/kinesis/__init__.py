"""Amazon Kinesis Data Streams as a target: one JSON record per row in AWS DMS's format."""

from sparkdms.connectors.base import EngineSpec

ENGINE = EngineSpec(
    name="kinesis",
    connector="sparkdms.connectors.kinesis.connector:KinesisConnector",
    dialect="sparkdms.connectors.kinesis.types:KINESIS",
    summary="target; AWS DMS record format",
)
