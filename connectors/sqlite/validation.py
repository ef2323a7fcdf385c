"""SQLite's validation hooks: AWS DMS's failures table in SQLite types. SQLite has no md5
in SQL: its rows are hashed in Spark (no ``validation_sql``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkdms.connectors.sql.validation import FailuresTable

if TYPE_CHECKING:
    from sparkdms.connectors.sqlite.connector import SQLiteConnector

    from sparkdms.task.settings import Settings

FAILURE_COLUMN_TYPES = ("TEXT",) * 8


def failure_store(connector: SQLiteConnector, settings: Settings) -> FailuresTable:
    return FailuresTable(connector, settings, FAILURE_COLUMN_TYPES)
