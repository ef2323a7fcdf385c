"""AWS DMS's control tables as collections in the target database (the endpoint's):
``awsdms_apply_exceptions`` (rows the target refused, one document per row, AWS's columns as
fields plus ours) and ``awsdms_validation_failures_v1`` (validation failures, AWS's columns
as fields; each validation of a task and table replaces its earlier documents)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.sql.rejects import COLUMNS as REJECT_COLUMNS
from sparkdms.connectors.sql.rejects import EXCEPTIONS_TABLE

from sparkdms.validate.failures import COLUMNS as FAILURE_COLUMNS
from sparkdms.validate.failures import FAILURES_TABLE

if TYPE_CHECKING:
    from sparkdms.connectors.mongodb.connection import MongoEndpoint

    from sparkdms.plan import TablePlan
    from sparkdms.validate.failures import FailureRow


class _Collection:
    name: str

    def __init__(self, endpoint: MongoEndpoint) -> None:
        self.endpoint = endpoint

    def location(self, plan: TablePlan) -> str:
        return f"collection {self.endpoint.database}.{self.name}"

    def insert(self, docs: list[dict[str, Any]], drop: dict[str, Any] | None = None) -> None:
        with self.endpoint.client() as client:
            coll = client[self.endpoint.database][self.name]
            if drop is not None:
                coll.delete_many(drop)
            if docs:
                coll.insert_many(docs, ordered=True)


class MongoRejects(_Collection):
    """A ``RejectStore``: one document per refused row (kept across runs; LOAD_ID tells
    runs apart)."""

    name = EXCEPTIONS_TABLE

    def write(self, plan: TablePlan, task: str, load_id: str,
              rejects: Sequence[Any]) -> None:
        now = datetime.now(UTC)
        docs = [dict(zip(REJECT_COLUMNS, (
            task, plan.target_schema, plan.target_name, now, r.get("statement"), r["reason"],
            load_id, json.dumps(r.get("key"), ensure_ascii=False, default=str),
            r.get("column"), None if r.get("value") is None else str(r["value"])),
            strict=True)) for r in rejects]
        self.insert(docs)


class MongoFailures(_Collection):
    """A ``FailureStore``: the latest validation's failures of each (task, table)."""

    name = FAILURES_TABLE

    def write(self, plan: TablePlan, task: str, rows: Sequence[FailureRow]) -> None:
        docs = [dict(zip(FAILURE_COLUMNS, (*r.values()[:3], r.time, *r.values()[4:]),
                         strict=True)) for r in rows]
        self.insert(docs, drop={"TASK_NAME": task, "TABLE_OWNER": plan.source.schema,
                                "TABLE_NAME": plan.source.name})
