"""The Spark side of S3 files: the frame a target writes (AWS's extra columns, CSV text
forms) with its writer options, and the frames read back from CSV or Parquet.

CSV conventions (both ways): RFC 4180 quoting (a quote doubled inside a quoted field),
fields kept with their spaces, NULL as an empty field and '' as ``""`` unless
``CsvNullValue`` is set, timestamps ``yyyy-MM-dd HH:mm:ss.SSSSSS`` (UTC for instants),
dates ``yyyy-MM-dd``, decimals in plain notation at full scale, binary as base64.
With ``IncludeOpForFullLoad`` the first column is ``Op`` (``I``); with
``TimestampColumnName`` the next is that column, the load's start time as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.s3.settings import S3Options

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

OP_COLUMN = "Op"
TIME_FORMAT = "yyyy-MM-dd HH:mm:ss.SSSSSS"
READ_TIME_FORMAT = "yyyy-MM-dd HH:mm:ss[.SSSSSSSSS]"
BYTES_PER_KB = 1024
# read as a quoted empty field (""), so that it stays '' while an unquoted empty field is NULL
EMPTY = "\u0000sparkdms-empty\u0000"


def extra_columns(opts: S3Options) -> list[str]:
    """AWS's columns before the data: Op, then the timestamp column."""
    return [c for c in (OP_COLUMN if opts.include_op_for_full_load else "",
                        opts.timestamp_column_name) if c]


def output_frame(df: DataFrame, opts: S3Options, stamp: str) -> DataFrame:
    """The rows as the files hold them: extra columns first; for CSV, text forms."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import BinaryType, DecimalType

    cols = []
    if opts.include_op_for_full_load:
        cols.append(F.lit("I").alias(OP_COLUMN))
    if opts.timestamp_column_name:
        cols.append(F.lit(stamp).alias(opts.timestamp_column_name))
    for field in df.schema.fields:
        col = F.col(f"`{field.name.replace('`', '``')}`")
        if opts.data_format == "csv" and isinstance(field.dataType, BinaryType):
            col = F.base64(col)
        elif opts.data_format == "csv" and isinstance(field.dataType, DecimalType):
            col = col.cast("string")  # plain notation, never 1E-18
        cols.append(col.alias(field.name))
    return df.select(*cols)


def csv_options(opts: S3Options) -> dict[str, str]:
    out = {"sep": opts.csv_delimiter, "lineSep": opts.csv_row_delimiter, "quote": '"',
           "escape": '"', "timestampFormat": TIME_FORMAT, "timestampNTZFormat": TIME_FORMAT,
           "dateFormat": "yyyy-MM-dd"}
    if opts.csv_null_value is not None:
        out["nullValue"] = opts.csv_null_value
    return out


def write_options(opts: S3Options, max_records: int | None) -> dict[str, str]:
    out = {"compression": opts.compression_type}
    if opts.data_format == "csv":
        out.update(csv_options(opts))
        out.update({"header": str(opts.add_column_name).lower(),
                    "ignoreLeadingWhiteSpace": "false", "ignoreTrailingWhiteSpace": "false"})
    if max_records:
        out["maxRecordsPerFile"] = str(max_records)
    return out


def records_per_file(df: DataFrame, opts: S3Options, sample: int = 1000) -> int | None:
    """``MaxFileSize`` (KB) as rows per file, from the average width of a sample of rows
    (their JSON text: close to the CSV size, above the compressed size)."""
    if not opts.max_file_size:
        return None
    from pyspark.sql import functions as F

    width = df.limit(sample).select(
        F.avg(F.octet_length(F.to_json(F.struct(*[F.col(f"`{c}`") for c in df.columns]))))
    ).first()[0]
    return max(1, int(opts.max_file_size * BYTES_PER_KB // max(float(width or 1), 1.0)))


def _read_schema(schema: StructType) -> StructType:
    """CSV holds binary as base64 text: read those columns as strings."""
    from pyspark.sql.types import BinaryType, StringType, StructField, StructType

    return StructType([StructField(f.name, StringType() if isinstance(f.dataType, BinaryType)
                                   else f.dataType, True) for f in schema.fields])


def read_csv(spark: SparkSession, paths: Sequence[str], opts: S3Options,
             schema: StructType | None, header: bool) -> DataFrame:
    """CSV files with the columns ``schema`` gives (in file order; None: all text); a value
    that does not parse as its column's type stops the read (FAILFAST), never becomes NULL."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import BinaryType, StringType

    options = {**csv_options(opts), "timestampFormat": READ_TIME_FORMAT,
               "timestampNTZFormat": READ_TIME_FORMAT, "header": str(header).lower(),
               "multiLine": "true", "mode": "FAILFAST", "recursiveFileLookup": "true",
               "emptyValue": EMPTY}
    if opts.csv_row_delimiter in ("\n", "\r\n"):
        options.pop("lineSep")  # Spark's default reads \n, \r\n and \r
    reader = spark.read.options(**options)
    if schema is None:
        return reader.csv(list(paths))
    frame = reader.schema(_read_schema(schema)).csv(list(paths))
    binary = {f.name for f in schema.fields if isinstance(f.dataType, BinaryType)}
    text = {f.name for f in frame.schema.fields if isinstance(f.dataType, StringType)}

    def column(name: str) -> Any:
        col = F.col(f"`{name.replace('`', '``')}`")
        if name in binary:  # "" is an empty value, not NULL
            col = F.when(col == F.lit(EMPTY), F.lit(bytearray())).otherwise(F.unbase64(col))
        elif name in text:
            col = F.when(col == F.lit(EMPTY), F.lit("")).otherwise(col)
        return col.alias(name)

    return frame.select(*[column(c) for c in frame.columns])


def read_parquet(spark: SparkSession, paths: Sequence[str]) -> DataFrame:
    return spark.read.option("recursiveFileLookup", "true").parquet(*paths)


def read_any(spark: SparkSession, paths: Sequence[str], opts: S3Options,
             schema: StructType | None, header: bool) -> Any:
    if opts.data_format == "csv":
        return read_csv(spark, paths, opts, schema, header)
    if opts.data_format == "delta":
        return spark.read.format("delta").load(paths[0])
    return read_parquet(spark, paths)
