"""Amazon Redshift as a target: each table staged to S3 as Parquet by Spark, then loaded
with COPY inside one transaction per table (``statements.py``, ``staging.py``).

    target:
      engine: redshift
      host: my-cluster.abc123.us-east-1.redshift.amazonaws.com   # or url: jdbc:redshift://...
      port: 5439
      database: dev
      user: loader
      password: ${env:REDSHIFT_PASSWORD}
      region: us-east-1                      # the staging bucket's (AWS keys: optional)
      RedshiftSettings: {BucketName: my-staging, BucketFolder: dms,
                         ServiceAccessRoleArn: arn:aws:iam::123456789012:role/redshift-copy}
      table_keys: {public.orders: {distkey: customer_id, sortkey: [order_date]}}

Statements (DDL, COPY, the swap) go through psycopg: Redshift speaks PostgreSQL's wire
protocol, and the DB-API gives the one transaction per table that COPY, DROP/CREATE and
INSERT ... SELECT share. The Redshift JDBC driver (Maven Central) serves Spark's reads of
the loaded table, which validation compares with the source. A ``jdbc:postgresql:`` URL is
read with PostgreSQL's driver instead (the tests use a PostgreSQL server as a wire-compatible
stand-in for everything but COPY).

Secrets: the password and the AWS secret key are ``Secret`` values; COPY carries the keys
as literals (Redshift cannot bind COPY's parameters) and is only ever shown masked; errors
are redacted of every secret of the endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.aws.session import AWS_KEYS, aws_error, check_aws, client
from sparkdms.connectors.base import Capabilities, ReadResult, Sampler, TableFilter, WriteResult
from sparkdms.connectors.redshift import settings as rs
from sparkdms.connectors.redshift import staging
from sparkdms.connectors.redshift import statements as sql
from sparkdms.connectors.redshift.types import REDSHIFT
from sparkdms.connectors.s3.hadoop import HADOOP_AWS_PACKAGE
from sparkdms.connectors.sql.session import SqlSession

from sparkdms.catalog import Catalog
from sparkdms.errors import EndpointError, TaskConfigError, TerminalError
from sparkdms.task.secrets import Secret, redact

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkdms.plan import Filter, Partition, TablePlan
    from sparkdms.task import Endpoint
    from sparkdms.task.settings import Settings

REDSHIFT_JDBC = "com.amazon.redshift:redshift-jdbc42:2.2.9"  # its AWS SDK parts are optional
DRIVERS = {"jdbc:redshift:": "com.amazon.redshift.Driver",
           "jdbc:postgresql:": "org.postgresql.Driver"}
SLICES_SETTING = "Sparkdms.RedshiftSlices"
SLICES_SQL = "SELECT COUNT(*) FROM stv_slices"


class RedshiftLoadError(TerminalError):
    """A table's load transaction failed (rolled back: nothing of it is visible)."""


class RedshiftConnector(SqlSession):
    engine = "redshift"
    dialect = REDSHIFT
    can_source = False  # a target; validation reads the loaded table back through JDBC
    capabilities: ClassVar[Capabilities] = Capabilities(transactional_staging=True)
    packages: ClassVar[tuple[str, ...]] = (REDSHIFT_JDBC, HADOOP_AWS_PACKAGE)
    endpoint_keys: ClassVar[tuple[str, ...]] = (*AWS_KEYS, rs.BLOCK, rs.KEYS_BLOCK)
    driver_class = DRIVERS["jdbc:redshift:"]
    url_scheme = "jdbc:redshift:"
    default_port = 5439
    json_parse: ClassVar[str] = sql.JSON_PARSE
    json_text: ClassVar[str] = "JSON_SERIALIZE({})"  # SUPER as JSON text
    as_text: ClassVar[str] = "CAST({} AS VARCHAR(65535))"
    spark: SparkSession | None = None

    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        super().check_endpoint(endpoint)
        if endpoint.url and not endpoint.url.startswith(tuple(DRIVERS)):
            raise TaskConfigError(f"{endpoint.role}.url",
                                  "expected jdbc:redshift://HOST:5439/DATABASE")
        check_aws(endpoint)
        rs.parse(endpoint)
        rs.table_keys(endpoint)

    @property
    def cfg(self) -> rs.RedshiftSettings:
        return rs.parse(self.endpoint)

    def default_schema(self) -> str:
        return self.endpoint.schema or "public"

    def bind(self, spark: SparkSession) -> None:
        self.spark = spark

    # -- connection -------------------------------------------------------------------------
    def connect(self) -> Any:
        import psycopg

        info, cfg = self.conn_info(), self.cfg
        conn = psycopg.connect(host=info.host, port=info.port or self.default_port,
                               dbname=info.database, user=info.user,
                               password=info.password.reveal() if info.password else None,
                               connect_timeout=cfg.connect_timeout,
                               **{k: v for k, v in info.params.items() if k == "sslmode"})
        if cfg.after_connect:
            conn.execute(cfg.after_connect)
            conn.commit()
        return conn

    def jdbc_properties(self) -> dict[str, str]:
        props = super().jdbc_properties()
        url = self.jdbc_url()
        props["driver"] = next((d for s, d in DRIVERS.items() if url.startswith(s)),
                               self.driver_class)
        return props

    def _fail(self, plan: TablePlan, what: str, err: BaseException) -> RedshiftLoadError:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        hint = " (Redshift: see stl_load_errors for the row)" if "stl_load_errors" in \
            str(err) else ""
        return RedshiftLoadError(redact(f"table {plan.target_label}: {what}: {first}{hint}",
                                        self.endpoint.secrets))

    # -- the plan ---------------------------------------------------------------------------
    def _keys(self, plan: TablePlan) -> rs.TableKeys | None:
        keys = rs.table_keys(self.endpoint)
        return keys.get(plan.target_label) or keys.get(plan.target_name)

    def table_attributes(self, plan: TablePlan) -> str:
        try:
            return sql.attributes(plan, self._keys(plan), self.quote)
        except ValueError as err:
            raise TaskConfigError(f"{self.endpoint.role}.{rs.KEYS_BLOCK}", str(err)) from None

    def auth(self) -> sql.CopyAuth:
        opts = self.endpoint.options

        def secret(key: str) -> Secret | None:
            value = opts.get(key)
            return value if isinstance(value, Secret) or value is None else Secret(str(value))

        return sql.CopyAuth(self.cfg.role_arn, secret("access_key_id"),
                            secret("secret_access_key"), secret("session_token"))

    def copy_statement(self, table: str, columns: Sequence[str], manifest: str,
                       reveal: bool = False) -> str:
        region = self.endpoint.options.get("region")
        return sql.copy_sql(table, columns, manifest, self.auth(), self.quote,
                            region=str(region) if region else None,
                            comp_update=self.cfg.comp_update, reveal=reveal)

    def load_sql(self, plan: TablePlan, mode: str, manifest: str) -> sql.LoadSql:
        table = self.qualify(plan.target_schema, plan.target_name)
        stage = self.quote(f"{plan.target_name}__sdms_stage")
        return sql.load_sql(plan, mode, table, stage, self.table_attributes(plan), self.quote,
                            lambda t, cols: self.copy_statement(t, cols, manifest),
                            self.json_parse)

    def target_ddl(self, plan: TablePlan) -> list[str]:
        manifest = f"s3://{self.cfg.bucket}/{staging.prefix_of(self.cfg, plan, '<load>')}" \
                   f"{staging.MANIFEST}"
        return list(self.load_sql(plan, "DROP_AND_CREATE", manifest).statements)

    def ensure_schema_sql(self, schema: str) -> list[str]:
        return [f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}"] if schema else []

    # -- the load ---------------------------------------------------------------------------
    def prepare_task(self, plans: Sequence[TablePlan], settings: Settings) -> None:
        schemas = sorted({p.target_schema for p in plans if p.target_schema})
        self.execute_all([s for schema in schemas for s in self.ensure_schema_sql(schema)])

    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str] | None:
        bucket = self.cfg.bucket
        try:
            client(self.endpoint, "s3").head_bucket(Bucket=bucket)
        except Exception as err:
            raise aws_error(self.endpoint, err, f"table {plan.target_label}: staging bucket "
                                                f"{bucket!r} (RedshiftSettings.BucketName)") \
                from None
        self.table_attributes(plan)  # a table_keys column the table lacks stops it now
        return None

    def slices(self, settings: Settings) -> int:
        wanted = int(settings[SLICES_SETTING])
        if wanted > 0:
            return wanted
        try:
            return int(self.query(SLICES_SQL)[0][0])
        except Exception as err:
            raise EndpointError(self.endpoint.role, self.engine, redact(
                f"cannot count the cluster's slices ({SLICES_SQL}): {err}; set "
                f"{SLICES_SETTING} in the task settings", self.endpoint.secrets)) from None

    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult:
        assert self.spark is not None, "bind(spark) first"
        slices = self.slices(settings)
        staged = staging.write_stage(self.spark, df, self.endpoint, self.cfg, plan, load_id,
                                     slices)
        from sparkdms.connectors.s3.hadoop import s3a_uri

        files = [s3a_uri(self.cfg.bucket, key) for key, _ in staged.files]
        rows = self.spark.read.parquet(*files).count() if files else 0
        return WriteResult(rows=rows, partitions=len(staged.files), receipt=staged, stats={
            "RedshiftStagedFiles": len(staged.files), "RedshiftStagedBytes": staged.total,
            "RedshiftSlices": slices, "RedshiftStaging": f"s3://{self.cfg.bucket}/{staged.prefix}"})

    def run_copy(self, cur: Any, plan: TablePlan, table: str, columns: Sequence[str],
                 staged: staging.Staged) -> None:
        """COPY the staged files into ``table`` (credentials revealed only here)."""
        cur.execute(self.copy_statement(table, columns, staged.manifest, reveal=True))

    def commit(self, plan: TablePlan, settings: Settings, load_id: str,
               result: WriteResult | None = None) -> None:
        staged: staging.Staged = result.receipt if result is not None else None
        if staged is None:
            raise RedshiftLoadError(f"table {plan.target_label}: nothing was staged")
        load = self.load_sql(plan, settings["FullLoadSettings.TargetTablePrepMode"],
                             staged.manifest)
        names = [c.target_name for c in plan.columns]
        try:
            with self.transaction() as cur:
                if self.cfg.load_timeout_ms:
                    cur.execute(f"SET statement_timeout TO {int(self.cfg.load_timeout_ms)}")
                for i, statement in enumerate(load.statements):
                    if i == load.copy_at:
                        self.run_copy(cur, plan, load.copy_into, names, staged)
                    else:
                        cur.execute(statement)
        except Exception as err:
            raise self._fail(plan, "load transaction rolled back", err) from None
        finally:
            self._remove(staged.prefix)

    def abort(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        try:
            self._remove(staging.prefix_of(self.cfg, plan, load_id))
        except Exception:
            pass  # abort never raises; a leftover prefix is removed by the next load

    def _remove(self, prefix: str) -> None:
        staging.remove(self.endpoint, self.cfg, prefix)

    # -- reading back (validation) ----------------------------------------------------------
    def count_rows(self, schema: str, table: str) -> int:
        return int(self.query(f"SELECT COUNT(*) FROM {self.qualify(schema, table)}")[0][0])

    def discover(self, wanted: TableFilter, sampler: Sampler | None = None) -> Catalog:
        return Catalog(self.engine)

    def read_expr(self, col: sql.LoadColumn) -> str:
        """The column as Spark reads it back: values the load carried as text (SUPER as
        JSON text, times, unbounded decimals ...) as text again, so nothing is rounded by
        the JDBC driver's types (a time read as a timestamp keeps milliseconds only)."""
        q = self.quote(col.name)
        if col.direct:
            return q
        template = self.json_text if col.final == "super" else self.as_text
        return f"{template.format(q)} AS {q}"

    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter]) -> ReadResult:
        cols = ", ".join(self.read_expr(c) for c in sql.load_columns(plan))
        query = f"SELECT {cols} FROM {self.qualify(plan.target_schema, plan.target_name)}"
        frame = spark.read.format("jdbc").options(url=self.jdbc_url(), query=query,
                                                  **self.jdbc_properties()).load()
        return ReadResult(frame.toDF(*[c.target_name for c in plan.columns]))
