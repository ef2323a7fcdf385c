"""Delta's and Parquet's validation hooks: failures appended to a table of the target's
format named ``awsdms_validation_failures_v1`` under the target path (the default schema's
folder, else the table's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sparkdms.validate.failures import COLUMNS, FAILURES_TABLE

if TYPE_CHECKING:
    from sparkdms.connectors.lake.connector import LakeConnector

    from sparkdms.plan import TablePlan
    from sparkdms.validate.failures import FailureRow

SPARK_SCHEMA = ", ".join(f"`{c}` {'TIMESTAMP' if c == 'FAILURE_TIME' else 'STRING'}" for c in COLUMNS)


class LakeFailures:
    """A ``FailureStore``: each validation's failures appended to the lake table."""

    def __init__(self, connector: LakeConnector) -> None:
        self.connector = connector

    def path(self, plan: TablePlan) -> str:
        c = self.connector
        return c.location(c.default_schema() or plan.target_schema, FAILURES_TABLE)

    def location(self, plan: TablePlan) -> str:
        return f"{self.connector.engine} table at {self.path(plan)}"

    def write(self, plan: TablePlan, task: str, rows: Sequence[FailureRow]) -> None:
        if not rows:
            return
        spark = self.connector.spark
        if spark is None:
            raise RuntimeError(f"no Spark session to write {self.location(plan)}")
        frame = spark.createDataFrame([r.values() for r in rows], SPARK_SCHEMA)
        frame.write.format(self.connector.format).mode("append").save(self.path(plan))


def failure_store(connector: LakeConnector) -> LakeFailures:
    return LakeFailures(connector)
