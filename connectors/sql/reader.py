"""The read side of a relational engine: the source query of a partition, the JDBC read
into Spark, and the default partitioning of a table."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sparkdms.connectors.base import ReadResult
from sparkdms.connectors.sql import partitions as sqlparts
from sparkdms.connectors.sql.session import SqlSession

from sparkdms.catalog import Column, Table
from sparkdms.plan import Filter, Partition, Partitioning, TablePlan
from sparkdms.types import spark_col, spark_quote, spark_type

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkdms.task.settings import Settings


class SqlReader(SqlSession):
    """Partitioned JDBC reads."""

    # -- wire form -------------------------------------------------------------------------
    def read_expr(self, column: Column, peer: str = "") -> str:
        """SELECT expression that hands the column to Spark in its wire type; ``peer`` is
        the family of the engine on the other side (TablePlan.peer)."""
        return self.quote(column.name)

    def wire_type(self, column: Column) -> object:
        return spark_type(column.ltype)

    def custom_schema(self, cols: Sequence[Column]) -> str:
        """The JDBC read's ``customSchema``: Spark DDL (``CatalystSqlParser.parseTableSchema``),
        so names take Spark's backtick quoting, not the engine's; Spark matches them to the
        JDBC column labels, the aliases of ``select_sql``."""
        return ", ".join(f"{spark_quote(c.name)} {self.wire_type(c).simpleString()}"
                         for c in cols)

    # -- reading ---------------------------------------------------------------------------
    def select_sql(self, plan: TablePlan, partition: str = "",
                   pushed: Sequence[Filter] | None = None) -> str:
        """The source query of one partition: planned columns in wire form, the pushed-down
        filters and the partition predicate, which may use any source column (or ctid)."""
        wanted = plan.source_names  # planned columns and add-column expression inputs
        exprs = [f"{self.read_expr(c, plan.peer)} AS {self.quote(c.name)}"
                 for c in plan.source.columns if c.name in wanted]
        sql = f"SELECT {', '.join(exprs)} FROM {self.qualify(plan.source.schema, plan.source.name)}"
        filters = plan.filters if pushed is None else pushed
        return sql + self.where_sql(filters, plan.source, [partition] if partition else [])

    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter]) -> ReadResult:
        return ReadResult(self.read_frame(spark, plan, partitions, pushed))

    def read_frame(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
                   pushed: Sequence[Filter]) -> DataFrame:
        from sparkdms.task.settings import Settings

        wanted = plan.source_names  # planned columns and add-column expression inputs
        cols = [c for c in plan.source.columns if c.name in wanted]
        fetch = sqlparts.fetch_size(partitions, Settings({})["Sparkdms.FetchSize"])
        props = self.jdbc_properties() | {
            "fetchsize": str(fetch),
            "customSchema": self.custom_schema(cols),
            "pushDownPredicate": "false",
        }
        # one single-partition JDBC scan per predicate, unioned: Spark's own `predicates`
        # would apply them outside the subquery, where only the selected columns exist
        frames = [spark.read.jdbc(self.jdbc_url(),
                                  f"({self.select_sql(plan, p, pushed)}) sdms_src",
                                  properties=props)
                  for p in sqlparts.predicates(partitions)]
        df = functools.reduce(lambda a, b: a.union(b), frames)
        exprs = []
        for c in cols:
            want = spark_type(c.ltype)
            exprs.append(spark_col(c.name).cast(want).alias(c.name)
                         if want != self.wire_type(c) else spark_col(c.name))
        return df.select(*exprs)

    def exact_count(self, table: Table) -> int:
        return int(self.query(f"SELECT COUNT(*) FROM {self.qualify(table.schema, table.name)}")[0][0])

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
