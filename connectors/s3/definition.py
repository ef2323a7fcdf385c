"""AWS DMS's external table definition for an S3 source (``S3Settings.ExternalTableDefinition``):
the JSON document, inline or in a file, turned into catalog tables.

    {"TableCount": "1", "Tables": [{"TableName": "employee", "TableOwner": "hr",
      "TablePath": "hr/employee/", "TableColumns": [
        {"ColumnName": "Id", "ColumnType": "INT8", "ColumnNullable": "false", "ColumnIsPk": "true"},
        {"ColumnName": "LastName", "ColumnType": "STRING", "ColumnLength": "20"},
        {"ColumnName": "Salary", "ColumnType": "NUMERIC", "ColumnPrecision": "10", "ColumnScale": "2"}
      ], "TableColumnsTotal": "3"}]}

``TablePath`` is relative to ``BucketFolder``. Full-load files hold the data columns only,
in the definition's order (AWS's CDC files, which start with the operation, table and
schema, are not read: there is no S3 change capture here).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparkdms.connectors.s3.types import DMS_TYPES, S3

from sparkdms.catalog import Column, Table
from sparkdms.errors import TaskConfigError

KEY = "S3Settings.ExternalTableDefinition"


@dataclass(frozen=True)
class TableDef:
    table: Table
    path: str  # relative to BucketFolder, no leading or trailing slash


def load_document(value: str | Mapping[str, Any], role: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    text = value.strip()
    if not text.startswith("{"):
        try:
            text = Path(text).expanduser().read_text()
        except OSError as err:
            raise TaskConfigError(f"{role}.{KEY}", f"neither inline JSON nor a readable file: "
                                                   f"{err.strerror}: {value}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise TaskConfigError(f"{role}.{KEY}", f"not valid JSON: {err}") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("Tables"), list):
        raise TaskConfigError(f"{role}.{KEY}", "expected an object with a Tables list")
    return doc


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


def native_spelling(col: Mapping[str, Any], where: str) -> str:
    """``NUMERIC(10,2)``, ``STRING(20)``, ``INT8`` from a TableColumns entry."""
    kind = str(col.get("ColumnType", "")).strip().upper()
    if kind.lower() not in DMS_TYPES:
        raise TaskConfigError(where, f"ColumnType {kind or None!r} is not an AWS DMS S3 type "
                                     f"({', '.join(sorted(t.upper() for t in DMS_TYPES))})")
    if kind == "NUMERIC":
        if col.get("ColumnPrecision") is None:
            raise TaskConfigError(where, "NUMERIC needs ColumnPrecision (and ColumnScale)")
        return f"NUMERIC({int(col['ColumnPrecision'])},{int(col.get('ColumnScale') or 0)})"
    if kind in ("STRING", "WSTRING", "BYTE"):
        if col.get("ColumnLength") is None:
            if kind == "BYTE":
                raise TaskConfigError(where, "BYTE needs ColumnLength")
            return kind
        return f"{kind}({int(col['ColumnLength'])})"
    return kind


def table_def(raw: Mapping[str, Any], index: int, role: str) -> TableDef:
    where = f"{role}.{KEY}.Tables[{index}]"
    name = raw.get("TableName")
    if not name:
        raise TaskConfigError(f"{where}.TableName", "missing")
    columns = []
    for i, col in enumerate(raw.get("TableColumns") or []):
        cwhere = f"{where}.TableColumns[{i}]"
        if not col.get("ColumnName"):
            raise TaskConfigError(f"{cwhere}.ColumnName", "missing")
        native = native_spelling(col, f"{cwhere}.ColumnType ({name}.{col['ColumnName']})")
        nullable = str(col.get("ColumnNullable", "true")).strip().lower() != "false"
        columns.append(Column(str(col["ColumnName"]), native, S3.to_logical(native),
                              nullable=nullable, ordinal=i + 1))
    if not columns:
        raise TaskConfigError(f"{where}.TableColumns", f"table {name} has no columns")
    owner = str(raw.get("TableOwner") or "")
    pk = tuple(c["ColumnName"] for c in raw["TableColumns"] if _flag(c.get("ColumnIsPk")))
    path = str(raw.get("TablePath") or f"{owner}/{name}").strip("/")
    return TableDef(Table(owner, str(name), tuple(columns), primary_key=pk, engine="s3"), path)


def parse_definition(value: str | Mapping[str, Any], role: str) -> list[TableDef]:
    doc = load_document(value, role)
    return [table_def(t, i, role) for i, t in enumerate(doc["Tables"])]
