"""A batch of changes -> ordered steps per table, before any value is converted.

Transactional apply (``TargetMetadata.BatchApplyEnabled`` false, AWS DMS's default): the
changes in commit order, consecutive changes of one table and one action (upsert or delete)
grouped, the last change per key within a group kept; an update that changes the key is a
delete of the old key then an upsert of the new. Batch apply (true): per table the net
change per key over the whole batch: a truncate first (what came before it is dropped),
then deletes, then upserts. Either way a key ends as the last change the source made to it.

Schema drift (the log carries rows, not DDL): a change whose columns differ from the
table's catalog is an added or dropped source column; ``ChangeProcessingDdlHandlingPolicy.
HandleSourceTableAltered`` true stops with a message naming table and column (the target is
not altered), false ignores added columns and writes NULL for dropped ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sparkdms.connectors.base import Change
from sparkdms.errors import SparkDmsError
from sparkdms.plan import TablePlan

ALTERED = "ChangeProcessingDdlHandlingPolicy.HandleSourceTableAltered"
TRUNCATED = "ChangeProcessingDdlHandlingPolicy.HandleSourceTableTruncated"


class ChangeApplyError(SparkDmsError):
    """Changes that cannot be applied as the task says (DDL, a new table, no key)."""


@dataclass(frozen=True)
class Item:
    """One row to apply: ``op`` the source operation, ``values`` by source column name (the
    new row for an upsert, the key for a delete)."""

    op: str
    values: Mapping[str, Any]
    change: Change


@dataclass
class SourceStep:
    plan: TablePlan
    action: str  # upsert | delete | truncate
    items: dict[tuple, Item] = field(default_factory=dict)  # by key, last change wins


def key_columns(plan: TablePlan) -> tuple[str, ...]:
    """Source names of the target's primary key (CDC needs one)."""
    names = tuple(plan.column(k).source_name or "" for k in plan.primary_key)
    if not names or not all(names):
        raise ChangeApplyError(f"table {plan.source_label}: change data capture needs a "
                               "primary key on the target made of source columns; the plan has "
                               f"{', '.join(plan.primary_key) or 'none'}")
    return names


def drift(plan: TablePlan, row: Mapping[str, Any], ignore: bool) -> Mapping[str, Any]:
    """``row`` checked against the table's columns (see the module's notes)."""
    known = [c.name for c in plan.source.columns]
    added = [c for c in row if c not in known]
    dropped = [c for c in known if c not in row]
    if not added and not dropped:
        return row
    if not ignore:
        what = "; ".join([*(f"column {c} was added" for c in added),
                          *(f"column {c} was dropped" for c in dropped)])
        raise ChangeApplyError(
            f"table {plan.source_label}: {what} on the source during change processing; "
            f"sparkdms does not alter the target table {plan.target_label}: reload it (run "
            f"the task as full-load-and-cdc again), or set {ALTERED} false to ignore added "
            "columns and write NULL for dropped ones")
    return {**{c: None for c in dropped}, **{k: v for k, v in row.items() if k in known}}


class Stepper:
    """Turns batches of changes into steps (see the module's notes)."""

    def __init__(self, plans: Sequence[TablePlan], settings: Any,
                 wanted: Callable[[str, str], bool]) -> None:
        self.plans = {(p.source.schema, p.source.name): p for p in plans}
        self.keys = {k: key_columns(p) for k, p in self.plans.items()}
        self.net = bool(settings["TargetMetadata.BatchApplyEnabled"])
        self.ignore_altered = not settings[ALTERED]
        self.truncates = bool(settings[TRUNCATED])
        self.wanted = wanted

    def items(self, change: Change) -> list[tuple[TablePlan, str, tuple, Item | None]]:
        """(plan, action, key, item) of one change; [] for a table outside the task."""
        where = (change.schema, change.table)
        plan = self.plans.get(where)
        if plan is None:
            if change.op != "truncate" and self.wanted(*where):
                raise ChangeApplyError(
                    f"table {change.schema}.{change.table} matches the task's selection rules "
                    "but was not there when the task started (created during change "
                    "processing): run the task as full-load-and-cdc again to include it")
            return []
        if change.op == "truncate":
            return [(plan, "truncate", (), None)] if self.truncates else []
        keys = self.keys[where]
        out = []
        if change.before is not None and (change.op == "delete" or change.after is not None):
            old = tuple(change.before.get(k) for k in keys)
            new = tuple(change.after.get(k) for k in keys) if change.after else None
            if change.op == "delete" or (new != old and all(k in change.before for k in keys)):
                out.append((plan, "delete", old, Item("delete" if change.op == "delete"
                                                      else "update", change.before, change)))
        if change.after is not None:
            row = drift(plan, change.after, self.ignore_altered)
            out.append((plan, "upsert", tuple(row.get(k) for k in keys),
                        Item(change.op, row, change)))
        return out

    def steps(self, changes: Sequence[Change]) -> list[SourceStep]:
        return self._net(changes) if self.net else self._ordered(changes)

    def _ordered(self, changes: Sequence[Change]) -> list[SourceStep]:
        out: list[SourceStep] = []
        for change in changes:
            for plan, action, key, item in self.items(change):
                last = out[-1] if out else None
                if last is None or last.plan is not plan or last.action != action or \
                        action == "truncate":
                    last = SourceStep(plan, action)
                    out.append(last)
                if item is not None:
                    last.items.pop(key, None)
                    last.items[key] = item
        return out

    def _net(self, changes: Sequence[Change]) -> list[SourceStep]:
        tables: dict[str, tuple[TablePlan, bool, dict[tuple, tuple[str, Item]]]] = {}
        for change in changes:
            for plan, action, key, item in self.items(change):
                last = tables.setdefault(plan.source_label, (plan, False, {}))[2]
                if action == "truncate":
                    tables[plan.source_label] = (plan, True, {})
                elif item is not None:
                    last.pop(key, None)
                    last[key] = (action, item)
        out: list[SourceStep] = []
        for plan, truncated, last in tables.values():
            if truncated:
                out.append(SourceStep(plan, "truncate"))
            for action in ("delete", "upsert"):
                step = SourceStep(plan, action, {k: it for k, (a, it) in last.items()
                                                 if a == action})
                if step.items:
                    out.append(step)
        return out
