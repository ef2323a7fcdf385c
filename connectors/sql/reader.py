"""The read side of a relational engine: the source query of a partition, the JDBC read
into Spark, and the default partitioning of a table."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.base import END_MARKER, ReadResult
from sparkdms.connectors.sql import partitions as sqlparts
from sparkdms.connectors.sql.session import SqlSession

from sparkdms.catalog import Column, Table
from sparkdms.plan import Filter, Partition, Partitioning, TablePlan
from sparkdms.types import spark_col, spark_quote, spark_type

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkdms.task.settings import Settings

# Spark type name of a wire type -> the logical kind ``temporal_text`` is keyed by
SPARK_TEMPORAL = {"date": "date", "timestamp_ntz": "timestamp", "timestamp": "timestamptz"}


class SqlReader(SqlSession):
    """Partitioned JDBC reads."""

    marks_partition_end = True  # end_marked_sql: each partition query ends with its marker

    # -- wire form -------------------------------------------------------------------------
    def read_expr(self, column: Column, peer: str = "") -> str:
        """SELECT expression that hands the column to Spark in its wire type; ``peer`` is
        the family of the engine on the other side (TablePlan.peer)."""
        return self.quote(column.name)

    def wire_type(self, column: Column) -> object:
        return spark_type(column.ltype)

    # logical kind of a wire type -> SQL (``{e}`` the wire expression) reading it as ISO text;
    # an engine that fills it sends dates and timestamps as text, which Spark casts to its
    # proleptic calendar exactly. Through the JDBC driver's java.sql.Date/Timestamp (hybrid
    # Julian calendar) days before 1582-10-15 can shift and the Gregorian gap has no value.
    temporal_text: ClassVar[Mapping[str, str]] = {}

    def transport(self, column: Column, peer: str = "") -> tuple[str, Any]:
        """(SELECT expression, Spark type) the JDBC read receives: the wire form
        (``read_expr``, ``wire_type``), dates and timestamps as ISO text where the engine
        has a ``temporal_text``; ``read_frame`` casts it to the wire type."""
        expr, wire = self.read_expr(column, peer), self.wire_type(column)
        kind = SPARK_TEMPORAL.get(wire.typeName())  # type: ignore[attr-defined]
        template = self.temporal_text.get(kind) if kind else None
        if template is None:
            return expr, wire
        from pyspark.sql.types import StringType

        return template.format(e=expr), StringType()

    def custom_schema(self, cols: Sequence[Column], peer: str = "") -> str:
        """The JDBC read's ``customSchema``: Spark DDL (``CatalystSqlParser.parseTableSchema``),
        so names take Spark's backtick quoting, not the engine's; Spark matches them to the
        JDBC column labels, the aliases of ``select_sql``."""
        return ", ".join(f"{spark_quote(c.name)} {self.transport(c, peer)[1].simpleString()}"
                         for c in cols)

    # -- reading ---------------------------------------------------------------------------
    @staticmethod
    def read_columns(plan: TablePlan) -> list[Column]:
        """The source columns a read selects: the planned ones and the inputs of add-column
        expressions, in source order."""
        wanted = plan.source_names
        return [c for c in plan.source.columns if c.name in wanted]

    def select_sql(self, plan: TablePlan, partition: str = "",
                   pushed: Sequence[Filter] | None = None, end_marker: bool = False) -> str:
        """The source query of one partition: planned columns in wire form, the pushed-down
        filters and the partition predicate, which may use any source column (or ctid).
        ``end_marker``: every row also carries END_MARKER = 0, and a marker row
        (``end_marked_sql``) follows the last one."""
        cols = self.read_columns(plan)
        exprs = [f"{self.transport(c, plan.peer)[0]} AS {self.quote(c.name)}" for c in cols]
        names = [self.quote(c.name) for c in cols]
        if end_marker:
            exprs.append(f"0 AS {self.quote(END_MARKER)}")
        sql = f"SELECT {', '.join(exprs)} FROM {self.qualify(plan.source.schema, plan.source.name)}"
        filters = plan.filters if pushed is None else pushed
        sql += self.where_sql(filters, plan.source, [partition] if partition else [])
        return self.end_marked_sql(sql, names) if end_marker else sql

    def end_marked_sql(self, select: str, names: Sequence[str]) -> str:
        """``select`` (its columns ``names``, then END_MARKER = 0) followed by one row whose
        END_MARKER is 1 and whose other columns are NULL. UNION ALL: PostgreSQL appends its
        branches in order, inside Spark's subquery too, without materializing them (the JDBC
        read fetches through a cursor, so no parallel append reorders them); SQLite likewise.
        Should an engine ever return the marker early, the writer refuses the partition
        (loud, never a silent loss)."""
        return f"{select} UNION ALL SELECT {', '.join(['NULL'] * len(names))}, 1"

    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter], end_marker: bool = False) -> ReadResult:
        return ReadResult(self.read_frame(spark, plan, partitions, pushed, end_marker))

    def read_frame(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
                   pushed: Sequence[Filter], end_marker: bool = False) -> DataFrame:
        from sparkdms.task.settings import Settings

        cols = self.read_columns(plan)
        fetch = sqlparts.fetch_size(partitions, Settings({})["Sparkdms.FetchSize"])
        schema = self.custom_schema(cols, plan.peer) + (f", {spark_quote(END_MARKER)} INT" if end_marker
                                             else "")
        props = self.jdbc_properties() | {
            "fetchsize": str(fetch),
            "customSchema": schema,
            "pushDownPredicate": "false",
        }
        # one single-partition JDBC scan per predicate, unioned: Spark's own `predicates`
        # would apply them outside the subquery, where only the selected columns exist
        frames = [spark.read.jdbc(self.jdbc_url(),
                                  f"({self.select_sql(plan, p, pushed, end_marker)}) sdms_src",
                                  properties=props)
                  for p in sqlparts.predicates(partitions)]
        return self.wire_frame(functools.reduce(lambda a, b: a.union(b), frames), cols,
                               plan.peer, end_marker)

    def wire_frame(self, df: DataFrame, cols: Sequence[Column], peer: str = "",
                   end_marker: bool = False) -> DataFrame:
        """``df``, read in the transport types (``transport``), cast to the wire types;
        END_MARKER (an INT, 1 on the marker row) becomes a boolean."""
        exprs = []
        for c in cols:
            want = spark_type(c.ltype)
            exprs.append(spark_col(c.name).cast(want).alias(c.name)
                         if want != self.transport(c, peer)[1] else spark_col(c.name))
        if end_marker:
            exprs.append((spark_col(END_MARKER) == 1).alias(END_MARKER))
        return df.select(*exprs)

    def exact_count(self, table: Table) -> int:
        return int(self.query(f"SELECT COUNT(*) FROM {self.qualify(table.schema, table.name)}")[0][0])

    def partition_counts(self, plan: TablePlan, partitions: Sequence[Partition],
                         pushed: Sequence[Filter]) -> list[int] | None:
        """Rows each partition's source query reads now (``run --resume`` checks a committed
        partition against the ledger with it)."""
        table = self.qualify(plan.source.schema, plan.source.name)
        return [int(self.query(f"SELECT COUNT(*) FROM {table}"
                               + self.where_sql(pushed, plan.source, [p] if p else []))[0][0])
                for p in sqlparts.predicates(partitions)]

    def partitions(self, plan: TablePlan, settings: Settings) -> Partitioning:
        part = sqlparts.requested(self, plan, settings) if plan.parallel_load is not None \
            else self.default_partitions(plan, settings)
        return sqlparts.with_fetch_size(part, settings["Sparkdms.FetchSize"])

    def default_partitions(self, plan: TablePlan, settings: Settings) -> Partitioning:
        rows = plan.source.row_estimate or self.exact_count(plan.source)
        wanted = sqlparts.wanted_partitions(rows, settings)
        if wanted <= 1:
            return Partitioning("single")
        col = sqlparts.partition_column(plan.source)
        if col is not None:
            return self.range_partitions(plan, col, wanted)
        return self.hash_partitions(plan, wanted)

    def range_partitions(self, plan: TablePlan, col: Column, n: int) -> Partitioning:
        q = self.quote(col.name)
        lo, hi = self.query(f"SELECT MIN({q}), MAX({q}) FROM "
                            f"{self.qualify(plan.source.schema, plan.source.name)}")[0]
        if lo is None:
            return Partitioning("single")
        return sqlparts.key_ranges(q, col.name, int(lo), int(hi), n, col.nullable)

    def hash_expr(self, plan: TablePlan) -> str | None:
        return None

    def hash_partitions(self, plan: TablePlan, n: int) -> Partitioning:
        expr = self.hash_expr(plan)
        if expr is None:
            return Partitioning("single")
        return sqlparts.of("hash", None, [f"{self.mod_sql(expr, n)} = {i}" for i in range(n)])

    def mod_sql(self, expr: str, n: int) -> str:
        return f"MOD({expr}, {n})"

    def native_partitions(self, table: Table, leaves: bool = False) -> list[tuple[str, str]]:
        """(partition name, condition) of the table's own partitions; none by default."""
        return []
