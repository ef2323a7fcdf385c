"""The target table as validation sees it. Validation reads a target back, so the target
connector is a ``Connector`` (both roles): a target that can also be a source
(``can_source``) is discovered (its columns and their actual types) and read as a source of
its own table when a side needs Spark; a target-only engine (a lake) reads back what it
wrote for the plan, and the DataFrame's schema tells the columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sparkdms.catalog import Table
from sparkdms.connectors.base import Sampler
from sparkdms.explain import explain
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.validate.results import ValidationError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkdms.connectors.base import Connector, Source
    from sparkdms.task.settings import Settings

Frame = Callable[[], "DataFrame"]  # makes (once) the target table's DataFrame


def target_plan(table: Table, settings: Settings, connector: Source) -> TablePlan:
    """The target table described as a source, to read it through Spark."""
    cols = tuple(ColumnPlan(c.name, c, c.ltype, c.native_type, c.nullable) for c in table.columns)
    plan = TablePlan(table, table.schema, table.name, cols, primary_key=table.primary_key)
    return replace(plan, partitioning=connector.partitions(plan, settings))


def locate_target(target: Connector, plan: TablePlan, settings: Settings,
                  spark: Callable[[], SparkSession], secrets: Any) -> tuple[Table | None, Frame]:
    """The discovered target table (None for target-only engines) and a maker of its
    DataFrame."""
    if not target.can_source:  # a lake: the frame tells the columns
        frame: list[Any] = []

        def lake() -> Any:
            if not frame:
                frame.append(target.read(spark(), plan, (), ()).frame)
            return frame[0]

        try:
            lake()
        except Exception as err:
            raise ValidationError(plan.source_label, f"cannot read the target {plan.target_label}: "
                                                     f"{explain(err, secrets)}") from None
        return None, lake
    wanted = (plan.target_schema, plan.target_name)
    found = target.discover(lambda s, t, k: (s, t) == wanted, Sampler()).tables
    if not found:
        raise ValidationError(plan.source_label, f"target table {plan.target_label} does not exist")
    table = found[0]

    def read() -> Any:
        tp = target_plan(table, settings, target)
        return target.read(spark(), tp, tp.partitioning.parts, ()).frame

    return table, read
