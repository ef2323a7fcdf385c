"""Amazon Kinesis Data Streams as a target: one JSON record per row in AWS DMS's format.

    target:
      engine: kinesis
      endpoint_url: http://127.0.0.1:5000     # omitted for real AWS
      region: us-east-1
      KinesisSettings: {StreamArn: arn:aws:kinesis:us-east-1:123456789012:stream/orders,
                        MessageFormat: json-unformatted, PartitionIncludeSchemaTable: true}

The stream must exist (sparkdms does not create streams: shard count and retention are the
owner's decisions); ``prepare`` stops the table naming the stream otherwise. Each Spark
partition sends its rows from the executor (``put.py``); delivery is at least once (a
stream cannot take records back; a retried task re-sends), records carry a stable key so a
consumer can drop duplicates. ``TargetTablePrepMode`` has no meaning for a stream: records
are always appended. A stream cannot be read back by table, so validation is not offered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.aws.session import AWS_KEYS, aws_error, check_aws, client
from sparkdms.connectors.base import Connector, ReadResult, Sampler, TableFilter, WriteResult
from sparkdms.connectors.kinesis import put, records
from sparkdms.connectors.kinesis.settings import BLOCK, KinesisSettings, parse
from sparkdms.connectors.kinesis.types import KINESIS

from sparkdms.catalog import Catalog
from sparkdms.errors import EndpointError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkdms.plan import Filter, Partition, TablePlan
    from sparkdms.task import Endpoint
    from sparkdms.task.settings import Settings

USABLE = ("ACTIVE", "UPDATING")


class KinesisConnector(Connector):
    engine = "kinesis"
    dialect = KINESIS
    can_source = False
    wants_end_marker = True  # a partition cut short by a failed read is re-sent, never lost
    endpoint_keys: ClassVar[tuple[str, ...]] = (*AWS_KEYS, BLOCK)

    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        check_aws(endpoint)
        parse(endpoint)

    @property
    def cfg(self) -> KinesisSettings:
        return parse(self.endpoint)

    def default_schema(self) -> str:
        return self.endpoint.schema or ""

    def check_connection(self) -> None:
        self._stream_status()

    def _stream_status(self) -> str:
        stream = self.cfg.stream
        try:
            summary = client(self.endpoint, "kinesis").describe_stream_summary(StreamName=stream)
        except Exception as err:
            code = getattr(err, "response", {}).get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise EndpointError(self.endpoint.role, self.engine,
                                    f"Kinesis stream {stream!r} does not exist (create it first; "
                                    "sparkdms does not create streams)") from None
            raise aws_error(self.endpoint, err, f"describe stream {stream!r}") from None
        status = summary["StreamDescriptionSummary"]["StreamStatus"]
        if status not in USABLE:
            raise EndpointError(self.endpoint.role, self.engine,
                                f"Kinesis stream {stream!r} is {status}, not ACTIVE")
        return status

    # -- target ---------------------------------------------------------------------------
    def target_ddl(self, plan: TablePlan) -> list[str]:
        schema, table = records.schema_table(plan)
        cols = ", ".join(f"{c.target_name} {c.target_type}" for c in plan.columns)
        return [f"-- Kinesis stream {self.cfg.stream}: records of {schema}.{table}, "
                f"partition key {records.key_type(plan)}"
                f"{' (' + ', '.join(plan.primary_key) + ')' if plan.primary_key else ''}"
                f"\n-- data: {cols}"]

    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str] | None:
        self._stream_status()
        return None

    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult:
        cfg = self.cfg
        schema, table = records.schema_table(plan)
        frame = records.record_frame(df, plan, cfg)
        spec = put.PutSpec(self.endpoint, cfg, schema, table, records.key_type(plan),
                           marked=len(frame.columns) > 2)
        counts = frame.mapInArrow(put.partition_writer(spec), put.RESULT_SCHEMA).collect()
        sent = sum(r["rows"] for r in counts)
        return WriteResult(rows=sent, partitions=len(counts), stats={
            "KinesisStream": cfg.stream, "KinesisPutRecordsCalls": sum(r["calls"] for r in counts),
            "KinesisRecordsRetried": sum(r["retried"] for r in counts),
            "Delivery": "at least once (a retried Spark task re-sends its records)"})

    def commit(self, plan: TablePlan, settings: Settings, load_id: str,
               result: WriteResult | None = None) -> None:
        return None  # records are in the stream once PutRecords accepted them

    def abort(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        return None  # a stream cannot take records back

    # -- source role: none (validation reads a target back; a stream has no tables) -------
    def discover(self, wanted: TableFilter, sampler: Sampler | None = None) -> Catalog:
        return Catalog(self.engine)

    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter]) -> ReadResult:
        raise EndpointError(self.endpoint.role, self.engine,
                            "a Kinesis stream cannot be read back as a table; turn "
                            "ValidationSettings.EnableValidation off for this target")

    def count_rows(self, schema: str, table: str) -> int:
        raise EndpointError(self.endpoint.role, self.engine,
                            "a Kinesis stream cannot count a table's rows")

    def native_type(self, ltype: Any) -> str:
        return self.dialect.to_native(ltype)
