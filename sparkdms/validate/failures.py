"""Where validation failures go: ``awsdms_validation_failures_v1`` in the target's control
schema (AWS DMS's table and columns), a Delta/Parquet table for lake targets, or a
JSON-lines file for targets without tables.

The table holds the latest validation of each (task, table): rows of an earlier run for
the same task and table are replaced, so after a fix and a re-validation it is empty.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sparkdms.validate.compare import Difference

FAILURES_TABLE = "awsdms_validation_failures_v1"
KEY_TYPE = "Row"
COLUMNS = ("TASK_NAME", "TABLE_OWNER", "TABLE_NAME", "FAILURE_TIME", "KEY_TYPE", "KEY",
           "FAILURE_TYPE", "DETAILS")
# AWS DMS's column types; TEXT where AWS has TEXT/VARCHAR(7800)
DDL: dict[str, tuple[str, ...]] = {
    "postgres": ("varchar(128)", "varchar(128)", "varchar(128)", "timestamp(3)", "varchar(128)",
                 "text", "varchar(128)", "text"),
    "mysql": ("varchar(128)", "varchar(128)", "varchar(128)", "datetime(3)", "varchar(128)",
              "longtext", "varchar(128)", "longtext"),
    "sqlite": ("TEXT",) * 8,
}


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
    now = datetime.now(UTC)
    return [FailureRow(task, owner, table, now, dumps(d.key), d.failure_type, dumps(d.details))
            for d in differences]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=False)


class FailureSink:
    """Writes each table's failures as soon as the table is validated."""

    def __init__(self, target: Any, settings: Any, jsonl_path: str | Path) -> None:
        self.target, self.settings, self.jsonl_path = target, settings, Path(jsonl_path)
        self.ready: set[str] = set()
        self.lock = threading.Lock()  # tables finish together; CREATE TABLE IF NOT EXISTS races

    def location(self, plan: Any) -> str:
        family = getattr(self.target, "family", "")
        if family in DDL:
            schema = self.target.control_schema(plan, self.settings)
            return f"table {self.target.qualify(schema, FAILURES_TABLE)}"
        if hasattr(self.target, "location") and getattr(self.target, "spark", None) is not None:
            return f"{self.target.engine} table at {self.lake_path(plan)}"
        return f"file {self.jsonl_path}"

    def write(self, plan: Any, rows: list[FailureRow], owner: str, table: str, task: str) -> str:
        with self.lock:
            return self.write_locked(plan, rows, owner, table, task)

    def write_locked(self, plan: Any, rows: list[FailureRow], owner: str, table: str,
                     task: str) -> str:
        family = getattr(self.target, "family", "")
        if family in DDL:
            self.write_table(plan, rows, owner, table, task, family)
        elif hasattr(self.target, "location") and getattr(self.target, "spark", None) is not None:
            self.write_lake(plan, rows)
        else:
            self.write_jsonl(rows)
        return self.location(plan)

    # -- relational targets --------------------------------------------------------------
    def write_table(self, plan: Any, rows: list[FailureRow], owner: str, table: str, task: str,
                    family: str) -> None:
        t = self.target
        schema = t.control_schema(plan, self.settings)
        name = t.qualify(schema, FAILURES_TABLE)
        cols = [t.quote(c) for c in COLUMNS]
        statements = [] if schema in self.ready else [
            *t.ensure_schema_sql(schema),
            f"CREATE TABLE IF NOT EXISTS {name} ("
            + ", ".join(f"{c} {ty} NOT NULL" for c, ty in zip(cols, DDL[family], strict=True)) + ")"]
        conn = t.connect()
        try:
            cur = conn.cursor()
            for sql in statements:
                cur.execute(sql)
            conn.commit()
            cur.execute(f"DELETE FROM {name} WHERE {cols[0]} = {t.P} AND {cols[1]} = {t.P} "
                        f"AND {cols[2]} = {t.P}", (task, owner, table))
            if rows:
                marks = ", ".join([t.P] * len(COLUMNS))
                cur.executemany(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({marks})",
                                [r.values() for r in rows])
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            conn.close()
        self.ready.add(schema)

    # -- lakes and files -----------------------------------------------------------------
    def lake_path(self, plan: Any) -> str:
        return self.target.location(self.target.default_schema() or plan.target_schema, FAILURES_TABLE)

    def write_lake(self, plan: Any, rows: list[FailureRow]) -> None:
        if not rows:
            return
        spark = self.target.spark
        schema = ", ".join(f"`{c}` {'TIMESTAMP' if c == 'FAILURE_TIME' else 'STRING'}" for c in COLUMNS)
        frame = spark.createDataFrame([r.values() for r in rows], schema)
        frame.write.format(self.target.format).mode("append").save(self.lake_path(plan))

    def write_jsonl(self, rows: list[FailureRow]) -> None:
        if not rows:
            return
        self.jsonl_path.parent.mkdir(parents=True, exist_ok=True)
        with self.jsonl_path.open("a", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r.as_dict(), ensure_ascii=False) + "\n")
