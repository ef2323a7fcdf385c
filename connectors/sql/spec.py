"""What the driver side of the staging load and its executor side share: the names of
the tables sparkdms owns, and the picklable description of one table's write. Imports
neither the connector nor the writer, so both can import it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sparkdms.connectors.base import ATTEMPT_COLUMN  # noqa: F401 (re-exported)

from sparkdms.task import Endpoint

# the ledger of committed partition attempts: (load, table, partition, attempt, rows)
CONTROL_TABLE = "sparkdms_load_attempts"
STAGE_MARK = "__sdms_"  # staging tables are <name>__sdms_<load id>
STAGE_SUFFIX = STAGE_MARK  # (older name)

INTERNAL_PREFIXES = ("sparkdms_", "awsdms_")


def is_internal_table(name: str) -> bool:
    """Control, validation and staging tables that sparkdms (or AWS DMS) owns."""
    lowered = name.lower()
    return lowered.startswith(INTERNAL_PREFIXES) or STAGE_MARK in lowered or \
        lowered.startswith("_sdms_")


@dataclass(frozen=True)
class WriteSpec:
    """Everything an executor needs to write one table's partitions (picklable)."""

    connector: type  # the connector class, pickled by reference (imported on the executor)
    endpoint: Endpoint
    schema: str
    stage_table: str
    columns: tuple[str, ...]
    load_id: str
    table_key: str
    commit_rate: int
    control_schema: str
    # Spark partition index -> the partition's id in the whole partitioning (run --resume
    # reads only the missing ones); empty: the index is the id
    part_ids: tuple[int, ...] = ()
    # rows the target refuses are rejected, not fatal (sparkdms.connectors.sql.rejects.Guard);
    # None: the first refused row fails the attempt
    guard: Any = None
    # the id of the load's gate its attempts must find open (connectors/sql/gate.py);
    # empty: the load id
    gate: str = ""

    def placed(self, where: tuple[int, int]) -> tuple[int, int]:
        """(partition id, attempt) of a running task from its (Spark index, attempt)."""
        index, attempt = where
        return (self.part_ids[index] if self.part_ids else index), attempt


def iter_rows(batch: Any) -> Iterator[tuple]:
    """The rows of an Arrow record batch as tuples."""
    columns = [col.to_pylist() for col in batch.columns]
    return zip(*columns, strict=True) if columns else iter(())
