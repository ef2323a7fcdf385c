"""``sparkdms convert TASK --out schema.sql``: the target DDL a run would create --
schemas, tables with their primary keys, then (as after the load) identity columns,
defaults, unique constraints, checks, indexes and foreign keys -- for a DBA to review
or to apply by hand. Nothing is written to the target; the source is read for its
catalog only.

Type conversions that change values (a warning in ``sparkdms assess``) are listed as
comments above each table, and objects that cannot be carried as ``-- not created``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from sparkdms.connectors.base import Target
from sparkdms.plan import Plan, TablePlan
from sparkdms.plan.typemap import dialect
from sparkdms.plan.typemap.fidelity import changes


def _comment(text: str) -> str:
    return "\n".join(f"-- {line}" for line in text.splitlines())


def _type_notes(tp: TablePlan, target: Target) -> list[str]:
    if tp.source.engine and dialect(tp.source.engine).same_family(target.dialect):
        return []  # same family: native types are kept
    tdialect = dialect(target.engine)
    out = []
    for c in tp.columns:
        if c.source is None:
            continue
        for ch in changes(c.source.ltype, c.target_type, tdialect):
            if ch.level != "info":
                out.append(f"{c.target_name}: {c.source.native_type} -> {c.target_type}: "
                           f"{ch.message}")
    return out


def _statements(sqls: Iterable[str]) -> list[str]:
    return [sql.rstrip().rstrip(";") + ";" for sql in sqls]


def table_ddl(plan: Plan, target: Target) -> list[str]:
    out: list[str] = []
    schemas = dict.fromkeys(tp.target_schema for tp in plan.tables if tp.target_schema)
    for schema in schemas:
        out += _statements(target.ensure_schema_sql(schema))
    types = target.type_ddl(plan.tables)
    if types:
        out += ["", _comment("user types the tables use (before them)"), *_statements(types)]
    for tp in plan.tables:
        out.append("")
        out.append(_comment(f"{tp.source_label} -> {tp.target_label}"))
        out += [_comment(note) for note in _type_notes(tp, target)]
        out += [_comment(w) for w in tp.warnings]
        out += _statements(target.target_ddl(tp))
    return out


def object_ddl(plan: Plan, target: Target, settings: Any) -> list[str]:
    if not target.capabilities.creates_objects_after_load:
        return []
    out: list[str] = []
    # planned_objects comes in the order of its stages
    for stage, group in groupby(target.planned_objects(plan.tables, settings),
                                key=lambda st: st.stage):
        out += ["", _comment(f"{stage} (after the load)")]
        for st in group:
            if st.sql:
                out += _statements(st.sql)
            else:
                out.append(_comment(f"not created: {st.name} on {st.table}: {st.note}"))
    return out


def render(plan: Plan, target: Target, settings: Any, task_name: str) -> str:
    head = _comment(f"sparkdms convert: target DDL for task {task_name} "
                    f"({plan.source_engine} -> {plan.target_engine}), "
                    f"{datetime.now(UTC).isoformat(timespec='seconds')}\n"
                    "tables first; keys, indexes and foreign keys as they are created after "
                    "the load")
    lines = [head, *table_ddl(plan, target), *object_ddl(plan, target, settings)]
    lines += [_comment(f"warning: {w}") for w in plan.warnings]
    return "\n".join(lines).strip() + "\n"
