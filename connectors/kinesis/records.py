"""Driver side of a Kinesis write: the table's rows as (partition key, ``data`` JSON), built
with Spark expressions only (no Python UDF); the executor wraps each in AWS DMS's record.

The ``data`` object has the target column names in plan order, each value in the JSON form
of its logical kind (``types.FORM_OF``). The partition key follows AWS DMS: the primary-key
values (``partition-key-type: primary-key``), prefixed by ``schema.table.`` when
``PartitionIncludeSchemaTable``; a table without a primary key uses ``schema.table``
(``schema-table``). Kinesis takes at most 256 characters: a longer key is replaced by its
SHA-256 (hex), still the same for the same row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparkdms.connectors.base import END_MARKER
from sparkdms.connectors.kinesis.settings import KinesisSettings
from sparkdms.connectors.kinesis.types import form_of

from sparkdms.types import spark_col

if TYPE_CHECKING:
    from sparkdms.plan import ColumnPlan, TablePlan

MAX_KEY = 256  # Kinesis partition keys: 1..256 Unicode characters
KEY_SEPARATOR = "|"


def _value(col: ColumnPlan, cfg: KinesisSettings) -> Any:
    from pyspark.sql import functions as F

    c = spark_col(col.target_name)
    form = form_of(col.ltype.kind)
    if form == "exact":
        return c.cast("string")
    if form == "wall":
        return F.date_format(c, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS")
    if form == "instant":  # the session time zone is UTC (sparkdms.spark BASE_CONF)
        return F.date_format(F.to_utc_timestamp(c, F.current_timezone()),
                             "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
    if form == "date":
        return F.date_format(c, "yyyy-MM-dd")
    if form == "hex":
        digits = F.lower(F.hex(c))
        return digits if cfg.no_hex_prefix else F.concat(F.lit("0x"), digits)
    if form in ("number", "bool"):
        return c
    return c.cast("string")


def schema_table(plan: TablePlan) -> tuple[str, str]:
    """(schema-name, table-name) of the records: the target names (after rename rules); the
    source's schema when the target has none."""
    return plan.target_schema or plan.source.schema, plan.target_name


def key_type(plan: TablePlan) -> str:
    return "primary-key" if plan.primary_key else "schema-table"


def partition_key(plan: TablePlan, cfg: KinesisSettings) -> Any:
    from pyspark.sql import functions as F

    schema, table = schema_table(plan)
    prefix = f"{schema}.{table}"
    if not plan.primary_key:
        return F.lit(prefix)
    parts = [F.coalesce(spark_col(k).cast("string"), F.lit("")) for k in plan.primary_key]
    key = F.concat_ws(KEY_SEPARATOR, *parts) if len(parts) > 1 else parts[0]
    if cfg.partition_include_schema_table:
        key = F.concat(F.lit(prefix + "."), key)
    key = F.when(key == "", F.lit(prefix)).otherwise(key)  # Kinesis refuses an empty key
    return F.when(F.length(key) > MAX_KEY, F.sha2(key, 256)).otherwise(key)


def record_frame(df: Any, plan: TablePlan, cfg: KinesisSettings) -> Any:
    """``df`` (the target-shaped frame) as two string columns: ``_c0`` the partition key,
    ``_c1`` the ``data`` JSON object; ``_c2`` the source's END_MARKER when it sends one."""
    from pyspark.sql import functions as F

    values = F.struct(*[_value(c, cfg).alias(c.target_name) for c in plan.columns])
    options = {"ignoreNullFields": "false" if cfg.include_null_and_empty else "true"}
    marker = [spark_col(END_MARKER).alias("_c2")] if END_MARKER in df.columns else []
    return df.select(partition_key(plan, cfg).alias("_c0"),
                     F.to_json(values, options).alias("_c1"), *marker)
