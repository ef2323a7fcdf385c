"""PostgreSQL source reads through ``COPY (SELECT ...) TO STDOUT (FORMAT csv)`` on the
executors, instead of Spark's JDBC reader fetching row by row.

One Spark task per partition (``spark.range`` with one id per partition, then
``mapInArrow``): the task runs the partition's source query -- the same ``select_sql``
the JDBC read runs: the same columns, wire expressions, ISO-text dates and timestamps,
pushed filters, partition predicate and END_MARKER row -- inside ``COPY``, and parses the
stream with ``pyarrow.csv`` in bounded blocks of whole rows (``BLOCK_BYTES``), never the
whole partition in memory. Each column arrives in its JDBC transport type; two take a
detour through the CSV text: bytea as hex (``encode``, then Spark's ``unhex``) and numerics
rounded by PostgreSQL to the Spark scale (as the JDBC reader rounds, half away from zero;
an overflow fails like there). Then the frame goes through the same casts as the JDBC
read (``SqlReader.wire_frame``). No Python touches a value.

End of partition: a partition's stream ends with its marker row only when PostgreSQL
finished the query; a COPY that fails part-way raises in the task (psycopg reports the
server's error, or the broken connection) and the task fails, so a writer never sees a
clean end without the marker. The session runs without parallel workers, so the marker
branch of the UNION ALL comes last, as through the JDBC cursor.

Off by default (``Sparkdms.PostgresCopyRead: false``): on the 2-core machine (2M rows of
bench/gen_orders.py, 9 partitions, local[2], warm JVM) the read alone is slower than
Spark's JDBC read -- into a no-op sink 7.4 s against 4.5 s (Spark-side CPU 10.1 s against
5.0 s), into a mapInArrow consumer like the writer 9.2 s against 6.8 s -- and the whole
DataFrame load (bench/pg-to-pg-dataframe.yaml) is even at best: 25.3 / 18.7 s against
22.1 / 21.3 s on a quiet machine, 93 / 140 s against 78 / 109 s on a loaded one. The
PostgreSQL backend saves ~0.3 s per 1M rows (COPY 1.45 s, cursor 1.75 s), but the client
pays per row in Python (one CopyData message a row, ~1.2-2 us, before parsing) and the
Arrow batches cross from the Python worker back into JVM rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sparkdms.connectors.base import END_MARKER
from sparkdms.connectors.sql import partitions as sqlparts

from sparkdms.plan import Filter, Partition, Partitioning, TablePlan
from sparkdms.task import Endpoint

APPLICATION = "sparkdms COPY read"  # its sessions' application_name (pg_stat_activity)
BLOCK_BYTES = 4 << 20  # CSV bytes pyarrow parses at a time (one Arrow batch per block)

# the session the JDBC driver gives its reads (DateStyle ISO, the JVM's UTC, every float
# digit), so text forms (arrays, json, intervals) arrive as through JDBC; no parallel
# workers, so UNION ALL's branches (the END_MARKER row last) come in order
SESSION_SQL = ("SET LOCAL DateStyle = 'ISO, MDY'", "SET LOCAL TimeZone = 'UTC'",
               "SET LOCAL extra_float_digits = 3", "SET LOCAL max_parallel_workers_per_gather = 0",
               "SET LOCAL client_encoding = 'UTF8'",
               f"SET LOCAL application_name = '{APPLICATION}'")

# Spark type name -> Arrow type the CSV text is parsed into (decimals and binary below)
ARROW_TYPES = {"byte": "int8", "short": "int16", "integer": "int32", "long": "int64",
               "float": "float32", "double": "float64", "boolean": "bool_", "string": "string",
               "binary": "string"}


def copy_expr(quoted: str, wire: Any) -> str:
    """The outer SELECT's expression of a column of ``select_sql`` in its CSV form."""
    name = wire.typeName()
    if name == "binary":
        return f"encode({quoted}, 'hex')"
    if name == "decimal":
        return f"CAST({quoted} AS numeric({wire.precision}, {wire.scale}))"
    return quoted


def arrow_type(wire: Any) -> Any:
    import pyarrow as pa

    if wire.typeName() == "decimal":
        return pa.decimal128(wire.precision, wire.scale)
    return getattr(pa, ARROW_TYPES[wire.typeName()])()


def row_blocks(copy: Any, size: int) -> Iterator[bytes]:
    """A COPY's output in blocks of whole rows, each about ``size`` bytes: PostgreSQL sends
    every row as one CopyData message. The COPY's error (the server's, or a lost
    connection) raises from here, in the task's own thread."""
    parts: list[Any] = []
    held = 0
    for row in copy:
        parts.append(row)
        held += len(row)
        if held >= size:
            yield b"".join(parts)
            parts, held = [], 0
    if parts:
        yield b"".join(parts)


@dataclass(frozen=True)
class CopyRead:
    """Executor side (picklable): the COPY of partition ``i`` for each id it is given."""

    connector: type
    endpoint: Endpoint
    queries: tuple[str, ...]
    names: tuple[str, ...]
    types: tuple[Any, ...]  # Spark types of the CSV columns
    block_bytes: int = BLOCK_BYTES

    def __call__(self, ids: Iterator[Any]) -> Iterator[Any]:
        for batch in ids:
            for i in batch.column(0).to_pylist():
                yield from self.partition(self.queries[i])

    def options(self) -> tuple[list[str], Any, Any]:
        import pyarrow.csv as pacsv

        names = [f"c{i}" for i in range(len(self.names))]  # positional: any source name
        # an empty line is a row: the NULL of a one-column read
        parse = pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False)
        convert = pacsv.ConvertOptions(
            column_types={n: arrow_type(t) for n, t in zip(names, self.types, strict=True)},
            null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False,
            true_values=["t"], false_values=["f"])
        return names, parse, convert

    def partition(self, query: str) -> Iterator[Any]:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names, parse, convert = self.options()
        schema = pa.schema([pa.field(n, arrow_type(t)) for n, t in
                            zip(self.names, self.types, strict=True)])
        conn = self.connector(self.endpoint).connect()
        try:
            with conn.cursor() as cur:
                for stmt in SESSION_SQL:
                    cur.execute(stmt)
                with cur.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
                    # each block parsed on its own, in this thread: no reader thread of
                    # pyarrow's is left waiting on a failed COPY
                    for block in row_blocks(copy, self.block_bytes):
                        read = pacsv.ReadOptions(column_names=names, use_threads=False,
                                                 block_size=len(block) + 1)  # one block
                        table = pacsv.read_csv(pa.py_buffer(block), read_options=read,
                                               parse_options=parse, convert_options=convert)
                        for batch in table.to_batches():
                            yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)
        finally:
            conn.close()


def read_copy(connector: Any, spark: Any, plan: TablePlan, partitions: Sequence[Partition],
              pushed: Sequence[Filter], end_marker: bool = False) -> Any:
    """The frame ``SqlReader.read_frame`` returns, read through COPY."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from sparkdms.types import spark_col

    cols = connector.read_columns(plan)
    wires = [connector.transport(c, plan.peer)[1] for c in cols]
    names = [c.name for c in cols] + ([END_MARKER] if end_marker else [])
    outer = [f"{copy_expr(connector.quote(c.name), w)} AS {connector.quote(c.name)}"
             for c, w in zip(cols, wires, strict=True)]
    if end_marker:
        outer.append(connector.quote(END_MARKER))
    queries = tuple(f"SELECT {', '.join(outer)} FROM "
                    f"({connector.select_sql(plan, p, pushed, end_marker)}) sdms_src"
                    for p in sqlparts.predicates(partitions))
    csv_types = [T.StringType() if w.typeName() == "binary" else w for w in wires] \
        + ([T.IntegerType()] if end_marker else [])
    schema = T.StructType([T.StructField(n, t, True) for n, t in zip(names, csv_types,
                                                                    strict=True)])
    work = CopyRead(type(connector), connector.endpoint, queries, tuple(names), tuple(csv_types))
    df = spark.range(0, len(queries), 1, len(queries)).mapInArrow(work, schema)
    binary = {c.name for c, w in zip(cols, wires, strict=True) if w.typeName() == "binary"}
    if binary:
        df = df.select(*[F.unhex(spark_col(n)).alias(n) if n in binary else spark_col(n)
                         for n in names])
    return connector.wire_frame(df, cols, plan.peer, end_marker)


@dataclass(frozen=True)
class PgPartition(sqlparts.SqlPartition):
    """A partition of a PostgreSQL read, told whether it reads through COPY
    (``Sparkdms.PostgresCopyRead``) or through Spark's JDBC reader."""

    copy_read: bool = False


def with_copy_read(part: Partitioning, on: bool) -> Partitioning:
    """Every SQL partition told ``Sparkdms.PostgresCopyRead``."""
    return replace(part, parts=tuple(
        PgPartition(p.predicate, p.fetch_size, on) if isinstance(p, sqlparts.SqlPartition)
        else p for p in part.parts))


def copy_read_wanted(partitions: Sequence[Partition]) -> bool:
    """COPY when the partitions were told so (no partitions: the setting's default, JDBC)."""
    told = [p.copy_read for p in partitions if isinstance(p, PgPartition)]
    return bool(told) and all(told)
