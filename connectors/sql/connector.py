"""What every relational engine shares: ``SqlConnector``, composed of its parts.

  session.py    endpoint, DB-API connection, queries, quoting, filters as SQL
  discovery.py  native types, the catalog read into tables, catalog hooks of the objects
  reader.py     the source query of a partition, the JDBC read, default partitions
  staging.py    target DDL and the staging load with its idempotent per-partition commit
                protocol (driver side; the executor side is writer.py), and the objects
                around the load (objects/)
  spec.py       what driver and executors share: WriteSpec, control and staging names

An engine package subclasses ``SqlConnector`` and overrides what differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from sparkdms.connectors.base import Capabilities, PlannedObject
from sparkdms.connectors.sql.discovery import SqlDiscovery
from sparkdms.connectors.sql.reader import SqlReader
from sparkdms.connectors.sql.session import SqlSession, raw_rows
from sparkdms.connectors.sql.spec import (
    CONTROL_TABLE,
    INTERNAL_PREFIXES,
    STAGE_SUFFIX,
    WriteSpec,
    is_internal_table,
    iter_rows,
)
from sparkdms.connectors.sql.staging import SqlStaging

__all__ = [
    "CONTROL_TABLE", "INTERNAL_PREFIXES", "STAGE_SUFFIX", "SqlConnector", "SqlDiscovery",
    "SqlReader", "SqlSession", "SqlStaging", "WriteSpec", "is_internal_table", "iter_rows",
    "raw_rows",
]

if TYPE_CHECKING:
    from sparkdms.connectors.base import ChangeApplier

    from sparkdms.plan import TablePlan
    from sparkdms.task.settings import Settings


class SqlConnector(SqlDiscovery, SqlReader, SqlStaging):
    """A relational engine: JDBC reads, DB-API discovery, DDL and staging writes."""

    capabilities: ClassVar[Capabilities] = Capabilities(
        transactional_staging=True, creates_objects_after_load=True, validates_in_sql=True)

    def planned_objects(self, plans: Sequence[TablePlan],
                        settings: Settings) -> list[PlannedObject]:
        """Everything post_load would create, or not (``sql`` empty, ``note`` why), in the
        order of its stages (the one place convert/assess meet sparkdms.connectors.sql.objects)."""
        from sparkdms.connectors.sql.objects import STAGES, object_statements

        stmts = sorted(object_statements(self, plans, settings),
                       key=lambda st: STAGES.index(st.stage))
        return [PlannedObject(st.stage, st.table, st.name, tuple(st.sql), st.note)
                for st in stmts]

    def change_applier(self, settings: Settings) -> ChangeApplier | None:
        """Upserts and deletes by key in one transaction per batch, with the checkpoint in
        ``awsdms_status`` (connectors/sql/apply.py); None for a family it has no upsert for."""
        from sparkdms.connectors.sql.apply import UPSERTS, SqlApplier

        if (self.dialect.family or self.engine) not in UPSERTS:
            return None
        return SqlApplier(self, settings)
