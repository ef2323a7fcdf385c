"""Amazon S3 (and S3-compatible stores: MinIO, LocalStack): Parquet/CSV objects under a
prefix as a source, and a target written by Spark through s3a://."""

from sparkdms.connectors.base import EngineSpec

ENGINE = EngineSpec(
    name="s3",
    connector="sparkdms.connectors.s3.connector:S3Connector",
    dialect="sparkdms.connectors.s3.types:S3",
    summary="source (Parquet, CSV with an external table definition) and target",
)
