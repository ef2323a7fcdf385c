"""Around a table load: ``pre_load`` drops the foreign keys that point at tables about to
be replaced; ``post_load`` creates the planned objects stage by stage and restores the
dropped keys of tables outside the task."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.base import PreLoad
from sparkdms.connectors.sql.objects.model import STAGES, ObjectsError, Stmt
from sparkdms.connectors.sql.objects.naming import existing_names
from sparkdms.connectors.sql.objects.orphans import settle_foreign_keys
from sparkdms.connectors.sql.objects.planner import object_statements

if TYPE_CHECKING:
    from sparkdms.plan import TablePlan
    from sparkdms.task.settings import Settings

PARALLEL_STAGES = ("unique", "index")  # independent per table; FKs stay serial (lock cycles)


@dataclass
class LoadState:
    created: set[str]  # target labels of tables this run creates
    restore: list[Stmt]  # foreign keys of other tables dropped by pre_load


def pre_load(connector: Any, plans: Sequence[TablePlan], settings: Settings) -> PreLoad:
    mode = settings["FullLoadSettings.TargetTablePrepMode"]
    created: set[str] = set()
    restore: list[Stmt] = []
    drops: list[str] = []
    recreated = set()
    existing = {tp.target_label: connector.table_exists(tp.target_schema, tp.target_name)
                for tp in plans}
    for tp in plans:
        if mode == "DROP_AND_CREATE" or not existing[tp.target_label]:
            created.add(tp.target_label)
            if existing[tp.target_label]:
                recreated.add((tp.target_schema, tp.target_name))
    notes = []
    seen: set[tuple[str, str, str]] = set()
    for tp in plans:
        if mode == "DO_NOTHING" or not existing[tp.target_label]:
            continue
        for s, t, name, drop, add in connector.referencing_foreign_keys(tp):
            if (s, t, name) in seen:
                continue
            seen.add((s, t, name))
            drops.append(drop)
            label = f"{s}.{t}" if s else t
            if (s, t) not in recreated:  # the referencing table keeps its rows: put it back
                restore.append(Stmt("restore", label, name, (add,)))
            notes.append(f"dropped foreign key {name} on {label} (it references "
                         f"{tp.target_label}, which is {mode.lower().replace('_', ' ')})")
    for sql in drops:
        connector.execute_all([sql])
    return PreLoad(notes, LoadState(created, restore))


def _summary(done: list[Stmt]) -> str:
    counts = {stage: sum(s.stage == stage for s in done) for stage in STAGES}
    parts = [f"{n} {stage}" for stage, n in counts.items() if n]
    return "created after the load: " + ", ".join(parts) if parts else ""


def _run(connector: Any, st: Stmt) -> str | None:
    """Run one object's statements; the first line of the error, or None."""
    try:
        connector.execute_all(list(st.sql))
        return None
    except Exception as err:
        return (str(err).strip().splitlines() or [repr(err)])[0]


def _run_stage(connector: Any, stage: list[Stmt], workers: int) -> list[str | None]:
    if workers <= 1 or len(stage) <= 1 or stage[0].stage not in PARALLEL_STAGES:
        return [_run(connector, st) for st in stage]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix="sdms-objects") as pool:
        return list(pool.map(lambda st: _run(connector, st), stage))


def post_load(connector: Any, plans: Sequence[TablePlan], settings: Settings,
              before: PreLoad | None = None) -> list[str]:
    state: LoadState | None = before.state if before is not None else None
    mine = [tp for tp in plans if state is None or tp.target_label in state.created]
    names = existing_names(connector, {tp.target_schema for tp in plans})
    stmts = object_statements(connector, mine, settings, names, plans)
    stmts += state.restore if state else []
    stmts, unchecked = settle_foreign_keys(connector, stmts)  # keys a filter can break
    # an engine that takes one writer at a time (SQLite) creates its objects one by one
    workers = 1 if connector.serial_ddl else settings["FullLoadSettings.MaxFullLoadSubTasks"]
    done: list[Stmt] = []
    notes = unchecked + [f"not created: {st.stage} {st.name} on {st.table}: {st.note}"
                         for st in stmts if not st.sql]
    failures: list[str] = []
    for stage in STAGES:  # in order: indexes and unique constraints of many tables at once
        todo = [st for st in stmts if st.stage == stage and st.sql]
        for st, error in zip(todo, _run_stage(connector, todo, workers), strict=True):
            if error is None:
                done.append(st)
                continue
            text = f"{st.stage} {st.name} on {st.table}: {error}"
            (failures if st.fatal else notes).append(text if st.fatal else f"not created: {text}")
    summary = _summary(done)
    if failures:
        error = ObjectsError(failures, summary)
        error.notes = notes  # the objects skipped are still said (load/execute.py)
        raise error
    return ([summary] if summary else []) + notes
