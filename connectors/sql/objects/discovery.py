"""Discovery's part: the check constraints, json columns and special indexes and columns
a source engine reports, attached to the tables it discovered.

The engine answers through its connector (``source_checks``, ``special_indexes``,
``generated_columns``); nothing here knows an engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sparkdms.catalog import Check, Table


def group_checks(rows: Iterable[tuple]) -> dict[tuple[str, str], list[Check]]:
    """(schema, table, name, expression) rows by table."""
    out: dict[tuple[str, str], list[Check]] = {}
    for schema, table, name, expr in rows:
        out.setdefault((schema, table), []).append(Check(name, expr))
    return out


def json_valid_column(check: Check) -> str | None:
    """A ``json_valid(`col`)`` check (MariaDB, SQLite) marks a json column stored as text."""
    text = check.expression.strip()
    if text.lower().startswith("json_valid(") and text.endswith(")"):
        return text[len("json_valid("):-1].strip().strip("`")
    return None


def attach_checks(connector: Any, tables: list[Table]) -> list[Table]:
    """Tables as discovery hands them to the planner: with their check constraints and the
    discovering engine; json columns (text + json_valid check) as json; indexes a B-tree
    cannot stand for (MySQL FULLTEXT/SPATIAL) left out (the assessment lists them), those an engine
    gives by parts (PostgreSQL GIN, partial ...) attached as native indexes; no
    default for a generated column (PostgreSQL; its values are loaded as plain data)."""
    try:
        found = connector.source_checks()
        special = connector.special_indexes()
        generated = connector.generated_columns()
    except Exception:  # a catalog we cannot read: no checks, the load goes on
        found, special, generated = {}, {}, set()
    try:
        native = connector.native_indexes()
    except Exception:  # an older catalog: those indexes are said as not created
        native = {}
    out = []
    for t in tables:
        checks = found.get((t.schema, t.name), [])
        json_cols = {c for c in map(json_valid_column, checks) if c}
        columns = []
        for c in t.columns:
            if c.name in json_cols and c.ltype.kind == "text":
                c = replace(c, native_type="json", ltype=replace(c.ltype, kind="json", length=None))
            if (t.schema, t.name, c.name) in generated:
                c = replace(c, default=None)
            columns.append(c)
        keep = tuple(c for c in checks if json_valid_column(c) not in json_cols)
        indexes = tuple(i for i in t.indexes if (t.schema, t.name, i.name) not in special)
        skipped = tuple((i.name, special[(t.schema, t.name, i.name)]) for i in t.indexes
                        if (t.schema, t.name, i.name) in special)
        out.append(replace(t, columns=tuple(columns), checks=keep, indexes=indexes,
                           engine=connector.engine, skipped_indexes=skipped,
                           native_indexes=tuple(native.get((t.schema, t.name), ()))))
    return out
