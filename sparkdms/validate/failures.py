"""Where validation failures go: what the target's ``FailureStore`` keeps them in (AWS DMS's
``awsdms_validation_failures_v1`` table with AWS DMS's columns in the control schema of a
relational target, a table under a lake target's path), or a JSON-lines file for targets
without one. The rows and their columns are defined here; the stores are the engines'.

The table holds the latest validation of each (task, table): rows of an earlier run for
the same task and table are replaced, so after a fix and a re-validation it is empty.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkdms.task.secrets import redact_data
from sparkdms.validate.compare import Difference

if TYPE_CHECKING:
    from sparkdms.connectors.base import FailureStore
    from sparkdms.plan import TablePlan

FAILURES_TABLE = "awsdms_validation_failures_v1"
KEY_TYPE = "Row"
COLUMNS = ("TASK_NAME", "TABLE_OWNER", "TABLE_NAME", "FAILURE_TIME", "KEY_TYPE", "KEY",
           "FAILURE_TYPE", "DETAILS")


@dataclass(frozen=True)
class FailureRow:
    task: str
    owner: str
    table: str
    time: datetime
    key: str
    failure_type: str
    details: str

    def values(self) -> tuple:
        return (self.task, self.owner, self.table, self.time.replace(tzinfo=None), KEY_TYPE,
                self.key, self.failure_type, self.details)

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(COLUMNS, (self.task, self.owner, self.table, self.time.isoformat(), KEY_TYPE,
                                  self.key, self.failure_type, self.details), strict=True))


def rows_for(task: str, owner: str, table: str, differences: list[Difference]) -> list[FailureRow]:
    now = datetime.now(UTC)  # rows are kept and printed: no secret in them
    return [FailureRow(task, owner, table, now, dumps(redact_data(d.key)), d.failure_type,
                       dumps(redact_data(d.details))) for d in differences]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=False)


class FailureSink:
    """Writes each table's failures as soon as the table is validated: to the target's
    ``FailureStore`` (``Target.failure_store``), else to a JSON-lines file."""

    def __init__(self, store: FailureStore | None, jsonl_path: str | Path) -> None:
        self.store, self.jsonl_path = store, Path(jsonl_path)
        self.lock = threading.Lock()  # tables finish together; CREATE TABLE IF NOT EXISTS races

    def location(self, plan: TablePlan) -> str:
        return self.store.location(plan) if self.store is not None else f"file {self.jsonl_path}"

    def write(self, plan: TablePlan, task: str, rows: list[FailureRow]) -> str:
        """Replace the failures of ``task`` and the plan's source table by ``rows``; where."""
        with self.lock:
            if self.store is not None:
                self.store.write(plan, task, rows)
            else:
                self.write_jsonl(rows)
            return self.location(plan)

    def write_jsonl(self, rows: list[FailureRow]) -> None:
        if not rows:
            return
        self.jsonl_path.parent.mkdir(parents=True, exist_ok=True)
        with self.jsonl_path.open("a", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r.as_dict(), ensure_ascii=False) + "\n")
