"""The MongoDB engine: the source (source.py) and the target (target.py) as one connector."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from sparkdms.connectors.base import Connector
from sparkdms.connectors.mongodb.source import MongoSource
from sparkdms.connectors.mongodb.target import MongoTarget

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from sparkdms.connectors.base import ReadResult

    from sparkdms.plan import Filter, Partition, TablePlan
    from sparkdms.task import Endpoint


class MongoConnector(MongoSource, MongoTarget, Connector):
    engine: ClassVar[str] = "mongodb"

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint)
        if endpoint.role == "target":  # validation reads back what the load wrote, as planned
            self.can_source = False  # type: ignore[misc]

    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter], end_marker: bool = False) -> ReadResult:
        if self.endpoint.role == "target":  # the plan's rows, as MongoTarget wrote them
            return self.read_written(spark, plan)
        return super().read(spark, plan, partitions, pushed, end_marker)


class DocDbConnector(MongoConnector):
    """Amazon DocumentDB: MongoDB's protocol with DocumentDB's limits (see target.py)."""

    engine: ClassVar[str] = "docdb"
    docdb: ClassVar[bool] = True
