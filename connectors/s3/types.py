"""s3 type tables: Spark SQL's own (Parquet files, and the rows as Spark writes them), plus
the AWS DMS data types an external table definition names (``ColumnType``) for CSV files.

AWS DMS's S3-source types: BYTE(n), DATE, TIME, DATETIME, INT1/2/4/8, UINT1/2/4/8,
NUMERIC(p,s), REAL4, REAL8, STRING(n), WSTRING(n), BOOLEAN, BLOB, CLOB, NCLOB. Where a name
is also a Spark type (``string``, ``byte``), the DMS reading applies when the definition
gives a length (``STRING(20)``, ``BYTE(16)``); the bare Spark names keep Spark's meaning.
"""

from dataclasses import replace

from sparkdms.connectors.lake.types import SPARK

from sparkdms.plan.typemap.rules import exact, fixed, timed
from sparkdms.types import LType, NativeType


def _sized_or(kind: str, bare: LType):  # type: ignore[no-untyped-def]
    def rule(n: NativeType) -> LType:
        length = n.int_arg(0) if n.args else None
        return LType(kind, length=max(length, 1)) if length is not None else bare

    return rule


NATIVE_DMS = {
    "string": _sized_or("varchar", LType("text")),
    "wstring": _sized_or("varchar", LType("text")),
    "byte": _sized_or("varbinary", LType("int8")),
    "datetime": timed("timestamp"), "time": timed("time"),
    "int1": fixed("int8"), "int2": fixed("int16"), "int4": fixed("int32"), "int8": fixed("int64"),
    "uint1": fixed("uint8"), "uint2": fixed("uint16"), "uint4": fixed("uint32"),
    "uint8": fixed("uint64"), "numeric": exact("decimal"), "real4": fixed("float32"),
    "real8": fixed("float64"), "blob": fixed("blob"), "clob": fixed("text"),
    "nclob": fixed("text"),
}

# the DMS types an external table definition may use (the table's ColumnType values)
DMS_TYPES = frozenset({"boolean", "date", *NATIVE_DMS})

S3 = replace(SPARK, name="s3", family="", native={**SPARK.native, **NATIVE_DMS})
