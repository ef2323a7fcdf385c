"""Amazon DynamoDB as a target (and, for validation, read back with a parallel Scan).

Endpoint (AWS names)::

    target:
      engine: dynamodb
      endpoint_url: http://127.0.0.1:5000   # omitted for real AWS
      region: us-east-1
      access_key_id: ${env:AWS_ACCESS_KEY_ID}      # optional: the default credential chain
      secret_access_key: ${env:AWS_SECRET_ACCESS_KEY}
      DynamoDbSettings: {}                  # ServiceAccessRoleArn is accepted and not used

Tables: created from the item shape's key (partition key; a sort key for a two-column key or
``sort-key-name``), on-demand billing (PAY_PER_REQUEST), and waited for until ACTIVE.
``FullLoadSettings.TargetTablePrepMode``: DROP_AND_CREATE deletes and recreates the table;
TRUNCATE_BEFORE_LOAD deletes its items (a Scan of the keys, BatchWriteItem deletes);
DO_NOTHING writes into it as it is (its key must be the shape's). A table this load created
is deleted again when the load fails (nothing half-written is left visible); items written
into a table that existed before stay (DynamoDB has no transaction over a load).

Writes: see writer.py (BatchWriteItem by 25 from each Spark partition, ParallelLoadThreads
threads per partition, UnprocessedItems retried with backoff and jitter, a retried partition
puts the same items again). Rows the target refuses are rejects under
``ErrorBehavior.DataErrorPolicy`` (items.py says which); a key column with NULLs stops the
table before anything is written, naming table and column.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.aws.session import AWS_KEYS, aws_error, check_aws, client, settings_block
from sparkdms.connectors.base import (
    END_MARKER,
    Capabilities,
    Connector,
    ReadResult,
    Sampler,
    TableFilter,
    WriteResult,
)
from sparkdms.connectors.dynamodb.mapping import Shape, shape_of
from sparkdms.connectors.dynamodb.types import DYNAMODB

from sparkdms.catalog import Catalog
from sparkdms.errors import EndpointError, TaskConfigError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkdms.plan import Filter, Partition, TablePlan
    from sparkdms.task import Endpoint
    from sparkdms.task.settings import Settings

SETTINGS_BLOCK = "DynamoDbSettings"
KNOWN_SETTINGS = frozenset({"ServiceAccessRoleArn"})
WAIT = {"Delay": 1, "MaxAttempts": 300}
KEY_NULL = re.compile(r"KeyNullError: (.+)")  # the writer's refusal, inside Spark's error


class DynamoDbConnector(Connector):
    engine = "dynamodb"
    dialect = DYNAMODB
    can_source = False  # a target; read() serves validation only
    wants_end_marker = True  # a partition's items count only when its input ended whole
    capabilities = Capabilities()
    mapping_rules: ClassVar[frozenset[str]] = frozenset({"object-mapping"})
    endpoint_keys: ClassVar[tuple[str, ...]] = (*AWS_KEYS, SETTINGS_BLOCK)

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint)
        self.spark: SparkSession | None = None
        self._client: Any = None
        self._created: set[str] = set()  # tables this run created (deleted again on abort)

    # -- endpoint --------------------------------------------------------------------------
    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        if endpoint.role == "source":
            raise TaskConfigError("source.engine", "dynamodb is supported as a target only")
        check_aws(endpoint)
        unknown = sorted(set(settings_block(endpoint, SETTINGS_BLOCK)) - KNOWN_SETTINGS)
        if unknown:
            raise TaskConfigError(f"{endpoint.role}.{SETTINGS_BLOCK}.{unknown[0]}",
                                  f"not a DynamoDbSettings key sparkdms reads "
                                  f"(known: {', '.join(sorted(KNOWN_SETTINGS))})")

    def client(self) -> Any:
        if self._client is None:
            self._client = client(self.endpoint, "dynamodb")
        return self._client

    def _call(self, what: str, op: str, **kwargs: Any) -> Any:
        """One DynamoDB call on the driver; its error as one EndpointError line."""
        try:
            return getattr(self.client(), op)(**kwargs)
        except Exception as err:
            raise aws_error(self.endpoint, err, what) from None

    def check_connection(self) -> None:
        self._call("ListTables (checking the credentials and endpoint)", "list_tables", Limit=1)

    def bind(self, spark: SparkSession) -> None:
        self.spark = spark

    def describe(self) -> dict[str, Any]:
        url = self.endpoint.options.get("endpoint_url") or "AWS"
        return {"engine": self.engine, "endpoint": f"dynamodb at {url}"}

    # -- planning --------------------------------------------------------------------------
    def shape(self, plan: TablePlan) -> Shape:
        return shape_of(plan, {c.target_name: c.target_type for c in plan.columns})

    def target_ddl(self, plan: TablePlan) -> list[str]:
        s = self.shape(plan)
        keys = ", ".join(f"{k} {t}" for k, t in zip(s.keys, s.key_types, strict=True))
        attrs = [*s.direct, *(["_doc{" + ", ".join(s.doc) + "}"] if s.doc else []),
                 *(f"{m.name}={m.value if isinstance(m.value, str) else m.dtype}"
                   for m in s.mapped)]
        return [f"-- DynamoDB table {s.table}: key ({keys}), PAY_PER_REQUEST"
                f"{'; ' + s.rule if s.rule else ''}\n-- attributes: {', '.join(attrs)}"]

    def preflight(self, plans: Sequence[TablePlan], settings: Settings) -> None:
        """Every table's object-mapping resolves (rule, table and column named otherwise)."""
        tables: dict[str, str] = {}
        for plan in plans:
            table = self.shape(plan).table
            if table in tables:
                raise TaskConfigError("table_mappings", f"tables {tables[table]} and "
                                                        f"{plan.source_label} both map to "
                                                        f"DynamoDB table {table}")
            tables[table] = plan.source_label

    # -- tables ----------------------------------------------------------------------------
    def table_status(self, table: str) -> Mapping[str, Any] | None:
        try:
            return self.client().describe_table(TableName=table)["Table"]
        except Exception as err:
            if getattr(err, "response", {}).get("Error", {}).get("Code") == \
                    "ResourceNotFoundException":
                return None
            raise aws_error(self.endpoint, err, f"DescribeTable {table}") from None

    def create_table(self, s: Shape) -> None:
        kinds = ("HASH", "RANGE")
        self._call(f"CreateTable {s.table}", "create_table", TableName=s.table,
                   BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": k, "KeyType": kinds[i]}
                              for i, k in enumerate(s.keys)],
                   AttributeDefinitions=[{"AttributeName": k, "AttributeType": t}
                                         for k, t in zip(s.keys, s.key_types, strict=True)])
        self._created.add(s.table)
        self._wait("table_exists", s.table)

    def drop_table(self, table: str) -> None:
        self._call(f"DeleteTable {table}", "delete_table", TableName=table)
        self._wait("table_not_exists", table)

    def _wait(self, waiter: str, table: str) -> None:
        try:
            self.client().get_waiter(waiter).wait(TableName=table, WaiterConfig=WAIT)
        except Exception as err:
            raise aws_error(self.endpoint, err, f"waiting for table {table} ({waiter})") from None

    def check_key(self, s: Shape, found: Mapping[str, Any]) -> None:
        have = [k["AttributeName"] for k in sorted(found["KeySchema"],
                                                  key=lambda k: k["KeyType"] != "HASH")]
        if tuple(have) != s.keys:
            raise EndpointError("target", self.engine,
                                f"DynamoDB table {s.table} exists with key ({', '.join(have)}); "
                                f"the load needs key ({', '.join(s.keys)}) for table {s.label} "
                                "(TargetTablePrepMode DROP_AND_CREATE recreates it)")

    def delete_items(self, s: Shape) -> int:
        from sparkdms.connectors.dynamodb.writer import WriteJob, backoff

        names = {f"#k{i}": k for i, k in enumerate(s.keys)}
        pages = self.client().get_paginator("scan").paginate(
            TableName=s.table, ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names)
        job, deleted = WriteJob(self.endpoint, s, None), 0
        try:
            for page in pages:
                keys = page.get("Items", [])
                for start in range(0, len(keys), 25):
                    requests = [{"DeleteRequest": {"Key": k}} for k in keys[start:start + 25]]
                    for attempt in range(job.attempts):
                        resp = self.client().batch_write_item(RequestItems={s.table: requests})
                        requests = (resp.get("UnprocessedItems") or {}).get(s.table) or []
                        if not requests:
                            break
                        time.sleep(backoff(job, attempt))
                    deleted += len(keys[start:start + 25]) - len(requests)
        except Exception as err:
            raise aws_error(self.endpoint, err, f"deleting the items of {s.table}") from None
        return deleted

    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str]:
        s = self.shape(plan)
        mode = settings["FullLoadSettings.TargetTablePrepMode"]
        found = self.table_status(s.table)
        if found is not None and mode == "DROP_AND_CREATE":
            self.drop_table(s.table)
            found = None
        if found is None:
            self.create_table(s)
            return [f"DynamoDB table {s.table} created, key ({', '.join(s.keys)}), "
                    "PAY_PER_REQUEST"]
        self.check_key(s, found)
        if found.get("TableStatus") != "ACTIVE":
            self._wait("table_exists", s.table)
        if mode == "TRUNCATE_BEFORE_LOAD":
            return [f"DynamoDB table {s.table}: {self.delete_items(s):,} item(s) deleted "
                    "before the load"]
        return []

    # -- the load --------------------------------------------------------------------------
    def check_null_keys(self, df: DataFrame, plan: TablePlan, s: Shape) -> None:
        """Into a table that existed before the load: a key column that may hold NULL is
        counted first, so that one NULL stops the table before anything is written (naming
        the table and the column). A table this load created is not checked ahead (that
        would read the source twice): the writer refuses the row and the table, which abort
        deletes again."""
        from pyspark.sql import functions as F

        from sparkdms.types import spark_col

        nullable = {c.target_name for c in plan.columns if c.nullable}
        sources = {m.name: m.columns for m in s.mapped}
        rows = df.filter(~spark_col(END_MARKER)) if END_MARKER in df.columns else df
        for key in s.keys:
            cols = sources.get(key, (key,))
            if not cols or not set(cols) <= nullable:
                continue
            cond = F.lit(True)
            for c in cols:
                cond = cond & spark_col(c).isNull()
            nulls = rows.filter(cond).count()
            if nulls:
                raise EndpointError("target", self.engine,
                                    f"table {plan.source_label}: key column {cols[0]} (key "
                                    f"attribute {key} of DynamoDB table {s.table}) is NULL in "
                                    f"{nulls:,} row(s); DynamoDB keys cannot be NULL; nothing "
                                    "was written")

    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult:
        from sparkdms.connectors.dynamodb.writer import RESULT_SCHEMA, WriteJob, partition_writer
        from sparkdms.connectors.sql.rejects import results_rejects

        from sparkdms.load.rejects import Policy
        from sparkdms.types import positional, spark_col

        s = self.shape(plan)
        if s.table not in self._created:
            self.check_null_keys(df, plan, s)
        marked = END_MARKER in df.columns
        cols = (*s.columns, END_MARKER) if marked else s.columns
        job = WriteJob(self.endpoint, s, Policy.from_settings(settings),
                       threads=max(1, settings["TargetMetadata.ParallelLoadThreads"]))
        frame = positional(df.select(*[spark_col(c) for c in cols]))
        try:
            results = frame.mapInArrow(partition_writer(job, marked), RESULT_SCHEMA).collect()
        except Exception as err:
            found = KEY_NULL.search(str(err))
            if found is None:
                raise
            raise EndpointError("target", self.engine, found.group(1)) from None
        rejects = results_rejects(results)  # of the successful attempts only: never twice
        return WriteResult(rows=sum(int(r["rows"]) for r in results), partitions=len(results),
                           error_rows=len(rejects), rejects=rejects,
                           stats={"DynamoDbTable": s.table})

    def commit(self, plan: TablePlan, settings: Settings, load_id: str,
               result: WriteResult | None = None) -> None:
        self._created.discard(self.shape(plan).table)  # items are visible as written

    def abort(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        try:
            table = self.shape(plan).table
            if table in self._created:
                self._created.discard(table)
                self.drop_table(table)
        except Exception:
            pass

    # -- read back (validation) ------------------------------------------------------------
    def discover(self, wanted: TableFilter, sampler: Sampler | None = None) -> Catalog:
        return Catalog(self.engine)

    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter]) -> ReadResult:
        from sparkdms.connectors.dynamodb.scan import scan_job, scan_segments

        s = self.shape(plan)
        if self.table_status(s.table) is None:
            raise EndpointError("target", self.engine, f"DynamoDB table {s.table} (table "
                                                       f"{plan.target_label}) does not exist")
        segments = max(1, min(64, spark.sparkContext.defaultParallelism))
        job = scan_job(self.endpoint, s, plan, segments)
        frame = spark.range(0, segments, 1, segments).mapInArrow(scan_segments(job), job.schema)
        return ReadResult(frame)

    def count_rows(self, schema: str, table: str) -> int:
        pages = self.client().get_paginator("scan").paginate(TableName=table, Select="COUNT")
        return sum(int(p["Count"]) for p in pages)
