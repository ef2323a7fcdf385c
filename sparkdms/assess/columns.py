"""What each column's conversion does (exact, represented differently, lossy,
unsupported), and the table-level findings of the plan: keys, LOB columns, names that
collide or get cut on the target."""

from __future__ import annotations

from typing import Any

from sparkdms.assess.model import Item, TableReport
from sparkdms.catalog import Table
from sparkdms.errors import UnsupportedTypeError
from sparkdms.plan import ColumnPlan, TablePlan, identifiers
from sparkdms.plan.typemap import Dialect
from sparkdms.plan.typemap.fidelity import changes, is_lob
from sparkdms.plan.typemap.resolve import override_hint


def _type_effort(level: str, code: str) -> str:
    if code == "geometry":
        return "medium"  # applications lose spatial functions
    return "simple" if level != "error" else "medium"


def column_items(tp: TablePlan, cp: ColumnPlan, tdialect: Dialect,
                 same_family: bool) -> tuple[list[Item], list[str]]:
    """The column's findings, and the notes shown beside it in the column table."""
    src = cp.source
    if src is None:
        return [], []
    if same_family and cp.target_type == src.native_type:
        return [], []
    found = changes(src.ltype, cp.target_type, tdialect)
    items, notes = [], []
    for ch in found:
        notes.append(f"{ch.level}: {ch.message}")
        if ch.level == "info" and ch.code not in ("geometry", "timezone"):
            continue
        action = "" if ch.level == "info" else (
            "if the sampled data below shows no such value, accept; otherwise add type_overrides "
            f"{{\"{tp.source.schema}.{tp.source.name}.{src.name}\": \"<wider type>\"}}")
        items.append(Item("lossy" if ch.level != "info" else "type", ch.level,
                          _type_effort(ch.level, ch.code), f"{src.native_type} -> {cp.target_type}: "
                          f"{ch.message}", tp.source_label, src.name, action, ch.example))
    if is_lob(src.ltype):
        notes.append("info: LOB column")
    return items, notes


def table_items(tp: TablePlan, settings: Any) -> list[Item]:
    items = []
    if not tp.primary_key and not any(i.unique for i in tp.indexes):
        items.append(Item("key", "warning", "simple", "no primary key or unique index: "
                          "validation compares whole rows and partitions cannot follow a key",
                          tp.source_label, action="add a define-primary-key transformation "
                          "rule if the table has a natural key"))
    lobs = [c.target_name for c in tp.columns if c.source is not None and is_lob(c.source.ltype)]
    if lobs:
        limited = settings["TargetMetadata.LimitedSizeLobMode"]
        size = settings["TargetMetadata.LobMaxSize"]
        text = (f"LOB columns {', '.join(lobs)}: LimitedSizeLobMode cuts values over {size} KB "
                "(ErrorBehavior.DataTruncationErrorPolicy decides what happens)" if limited
                else f"LOB columns {', '.join(lobs)} are loaded in full (no size limit)")
        items.append(Item("lob", "warning" if limited else "info", "simple", text,
                          tp.source_label))
    return items


def unsupported_items(errors: list[UnsupportedTypeError], tables: tuple[Table, ...], target: Any,
                      reports: dict[str, TableReport]) -> None:
    """Columns whose type has no mapping on the target: the task refuses to run."""
    by_label = {t.qualified: t for t in tables}
    for err in errors:
        report = reports.get(err.table)
        table = by_label.get(err.table)
        action = str(err).split("; ", 1)[1] if "; " in str(err) else ""
        if table is not None:
            col = next((c for c in table.columns if c.name == err.column), None)
            if col is not None:
                action = override_hint(table, col, target)
        item = Item("type", "error", "medium", f"column {err.column}: type {err.type_name!r} has "
                    f"no {target.engine} mapping; the task refuses to run until it is overridden",
                    err.table, err.column, action)
        if report is not None:
            report.items.insert(0, item)
            for c in report.columns:
                if c.name == err.column:
                    c.target_type = "(unsupported)"


def name_items(found: list[identifiers.Finding], reports: dict[str, TableReport]) -> None:
    """Names that collide, the target refuses, get cut or are reserved words on the target."""
    grade = {"collision": ("error", "medium"), "invalid": ("error", "medium"),
             "truncated": ("warning", "simple"),
             "reserved": ("info", "simple")}
    for f in found:
        level, effort = grade.get(f.kind, ("info", "simple"))
        report = reports.get(f.table)
        if report is not None:
            action = "add a rename transformation rule" if f.kind != "reserved" else \
                "quote it in hand-written queries"
            report.items.append(Item("name", level, effort, f.message, f.table, f.column,
                                     action))
