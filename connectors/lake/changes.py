"""Change data capture into Delta tables: one ``MERGE`` per table and batch.

Delta has no transaction over several tables, so a batch's tables are merged one after the
other and the checkpoint (a row per task in the Delta table ``awsdms_status`` beside the
tables, AWS DMS's columns) is written last. A run that dies in between applies the batch
again: each table's MERGE applies the batch's NET change per key (the last change: a delete,
or the whole new row), which is idempotent, so a table merged twice ends the same. A
truncate deletes every row before the merge. Delta refuses no single row (a value Spark
cannot cast fails the batch), so nothing goes to an exceptions table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.base import ApplyStep, Checkpoint, RefuseHook

from sparkdms.types import spark_quote, spark_type

if TYPE_CHECKING:
    from sparkdms.connectors.lake.connector import DeltaConnector

    from sparkdms.plan import TablePlan
    from sparkdms.task.settings import Settings

STATUS_TABLE = "awsdms_status"
DELETE = "_sdms_delete"
STATUS_FIELDS = (("SERVER_NAME", "string"), ("TASK_NAME", "string"), ("TASK_STATUS", "string"),
                 ("STATUS_TIME", "timestamp"), ("SOURCE_CURRENT_POSITION", "string"),
                 ("SOURCE_TIMESTAMP_APPLIED", "timestamp"), ("RECOVERY_CHECKPOINT", "string"))


class DeltaApplier:
    def __init__(self, connector: DeltaConnector, settings: Settings) -> None:
        self.c = connector
        schema = settings["ControlTablesSettings.ControlSchema"] or connector.default_schema()
        self.status = connector.location(schema, STATUS_TABLE)

    @property
    def spark(self) -> Any:
        assert self.c.spark is not None, "the Delta target is bound to a Spark session"
        return self.c.spark

    def _status_rows(self) -> list[Any]:
        from delta.tables import DeltaTable

        if not DeltaTable.isDeltaTable(self.spark, self.status):
            return []
        return self.spark.read.format("delta").load(self.status).collect()

    def checkpoint(self, task: str) -> Checkpoint | None:
        rows = [r for r in self._status_rows() if r["TASK_NAME"] == task]
        if not rows:
            return None
        r = rows[0]
        return Checkpoint(r["RECOVERY_CHECKPOINT"], r["TASK_STATUS"],
                          r["SOURCE_TIMESTAMP_APPLIED"])

    def save(self, task: str, cp: Checkpoint) -> None:
        keep = [tuple(r) for r in self._status_rows() if r["TASK_NAME"] != task]
        applied = cp.source_time if isinstance(cp.source_time, datetime) else None
        row = ("sparkdms", task, cp.phase, datetime.now(UTC), cp.position, applied,
               cp.position)
        schema = ", ".join(f"{n} {t}" for n, t in STATUS_FIELDS)
        self.spark.createDataFrame([*keep, row], schema).write.format("delta") \
            .mode("overwrite").save(self.status)

    def apply(self, task: str, steps: Sequence[ApplyStep], checkpoint: Checkpoint,
              refuse: RefuseHook) -> list[Mapping[str, Any]]:
        tables: dict[str, list[ApplyStep]] = {}
        for step in steps:
            tables.setdefault(step.plan.target_label, []).append(step)
        for group in tables.values():
            self._merge(group)
        self.save(task, checkpoint)
        return []

    def _merge(self, steps: Sequence[ApplyStep]) -> None:
        from delta.tables import DeltaTable

        plan = steps[0].plan
        table = DeltaTable.forPath(self.spark, self.c.location(plan.target_schema,
                                                               plan.target_name))
        net: dict[tuple, tuple] = {}
        names = [c.target_name for c in plan.columns]
        keys = [names.index(k) for k in plan.primary_key]
        for step in steps:
            if step.action == "truncate":
                table.delete()
                net.clear()
            for row in step.rows:
                full = _row(step.action, row, keys, len(names))
                net.pop(tuple(full[k] for k in keys), None)
                net[tuple(full[k] for k in keys)] = (*full, step.action == "delete")
        if not net:
            return
        source = self.spark.createDataFrame(list(net.values()), _schema(plan))
        on = " AND ".join(f"t.{spark_quote(k)} = s.{spark_quote(k)}" for k in plan.primary_key)
        values = {spark_quote(n): f"s.{spark_quote(n)}" for n in names}
        table.alias("t").merge(source.alias("s"), on) \
            .whenMatchedDelete(condition=f"s.{DELETE}") \
            .whenMatchedUpdate(condition=f"NOT s.{DELETE}", set=values) \
            .whenNotMatchedInsert(condition=f"NOT s.{DELETE}", values=values).execute()


def _row(action: str, row: tuple, keys: list[int], width: int) -> list[Any]:
    if action != "delete":
        return [bytes(v) if isinstance(v, bytearray) else v for v in row]
    full: list[Any] = [None] * width
    for pos, value in zip(keys, row, strict=True):
        full[pos] = value
    return full


def _schema(plan: TablePlan) -> Any:
    from pyspark.sql import types as T

    return T.StructType([*(T.StructField(c.target_name, spark_type(c.ltype), True)
                           for c in plan.columns),
                         T.StructField(DELETE, T.BooleanType(), False)])
