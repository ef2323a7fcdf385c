"""Changes -> steps: commit order per key, net changes with BatchApplyEnabled, key changes,
truncates, schema drift and new tables per ChangeProcessingDdlHandlingPolicy."""

from __future__ import annotations

import pytest
from sparkdms.connectors.base import Change

from sparkdms.catalog import Column, Table
from sparkdms.cdc.steps import ChangeApplyError, Stepper
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.task.settings import Settings
from sparkdms.types import LType

INT, TEXT = LType("int64"), LType("text")


def plan(name: str) -> TablePlan:
    cols = (Column("id", "bigint", INT, nullable=False), Column("v", "text", TEXT))
    table = Table("public", name, cols, primary_key=("id",))
    return TablePlan(table, "public", name.upper(),
                     tuple(ColumnPlan(c.name.upper(), c, c.ltype, "x") for c in cols),
                     primary_key=("ID",))


A, B = plan("a"), plan("b")


def ins(t: str, i: int, v: str) -> Change:
    return Change("insert", "public", t, {"id": i, "v": v}, None, f"0/{i}")


def upd(t: str, i: int, v: str, old: int | None = None) -> Change:
    return Change("update", "public", t, {"id": i, "v": v},
                  None if old is None else {"id": old}, "0/9")


def dele(t: str, i: int) -> Change:
    return Change("delete", "public", t, None, {"id": i}, "0/9")


def trunc(t: str) -> Change:
    return Change("truncate", "public", t, None, None, "0/9")


def stepper(wanted: bool = False, settings: dict | None = None) -> Stepper:
    return Stepper((A, B), Settings.parse(settings), lambda s, t: wanted)


def shape(steps: list) -> list[tuple]:
    return [(s.plan.source.name, s.action, [(it.op, dict(it.values)) for it in s.items.values()])
            for s in steps]


BATCH = [ins("a", 1, "x"), upd("a", 1, "x2"), ins("b", 1, "y"), dele("a", 2),
         upd("a", 1, "x3"), upd("b", 1, "y2", old=1), upd("b", 5, "y3", old=1)]
NET = {"TargetMetadata": {"BatchApplyEnabled": True}}


def test_transactional_apply_keeps_commit_order_across_tables() -> None:
    assert shape(stepper().steps(BATCH)) == [
        ("a", "upsert", [("update", {"id": 1, "v": "x2"})]),  # the last of the run, per key
        ("b", "upsert", [("insert", {"id": 1, "v": "y"})]),
        ("a", "delete", [("delete", {"id": 2})]),
        ("a", "upsert", [("update", {"id": 1, "v": "x3"})]),
        ("b", "upsert", [("update", {"id": 1, "v": "y2"})]),  # same key: no delete
        ("b", "delete", [("update", {"id": 1})]),  # the key moved from 1 to 5
        ("b", "upsert", [("update", {"id": 5, "v": "y3"})]),
    ]


def test_batch_apply_keeps_the_net_change_per_key() -> None:
    assert shape(stepper(settings=NET).steps(BATCH)) == [
        ("a", "delete", [("delete", {"id": 2})]),
        ("a", "upsert", [("update", {"id": 1, "v": "x3"})]),
        ("b", "delete", [("update", {"id": 1})]),
        ("b", "upsert", [("update", {"id": 5, "v": "y3"})]),
    ]


def test_a_delete_after_an_insert_nets_to_the_delete() -> None:
    got = shape(stepper(settings=NET).steps([ins("a", 3, "z"), dele("a", 3)]))
    assert got == [("a", "delete", [("delete", {"id": 3})])]


def test_truncate_drops_what_came_before_it_in_batch_apply() -> None:
    changes = [ins("a", 1, "x"), trunc("a"), ins("a", 2, "y")]
    assert shape(stepper(settings=NET).steps(changes)) == [
        ("a", "truncate", []), ("a", "upsert", [("insert", {"id": 2, "v": "y"})])]
    assert [s.action for s in stepper().steps(changes)] == ["upsert", "truncate", "upsert"]
    off = {"ChangeProcessingDdlHandlingPolicy": {"HandleSourceTableTruncated": False}}
    assert [s.action for s in stepper(settings=off).steps(changes)] == ["upsert"]


def test_an_added_column_stops_naming_table_and_column_or_is_ignored() -> None:
    change = Change("insert", "public", "a", {"id": 1, "v": "x", "extra": 5}, None, "0/1")
    with pytest.raises(ChangeApplyError, match=r"public\.a: column extra was added .*"
                                               r"HandleSourceTableAltered false"):
        stepper().steps([change])
    off = {"ChangeProcessingDdlHandlingPolicy": {"HandleSourceTableAltered": False}}
    assert shape(stepper(settings=off).steps([change])) == \
        [("a", "upsert", [("insert", {"id": 1, "v": "x"})])]


def test_a_dropped_column_is_named_or_written_as_null() -> None:
    change = Change("insert", "public", "b", {"id": 1}, None, "0/1")
    with pytest.raises(ChangeApplyError, match=r"public\.b: column v was dropped"):
        stepper().steps([change])
    off = {"ChangeProcessingDdlHandlingPolicy": {"HandleSourceTableAltered": False}}
    assert shape(stepper(settings=off).steps([change])) == \
        [("b", "upsert", [("insert", {"id": 1, "v": None})])]


def test_a_new_table_matching_the_selection_stops_others_are_ignored() -> None:
    change = Change("insert", "public", "new_t", {"id": 1}, None, "0/1")
    assert stepper(wanted=False).steps([change]) == []
    with pytest.raises(ChangeApplyError, match=r"public\.new_t matches the task's selection"):
        stepper(wanted=True).steps([change])


def test_a_table_without_a_key_cannot_be_captured() -> None:
    keyless = TablePlan(A.source, "public", "K", A.columns)
    with pytest.raises(ChangeApplyError, match=r"public\.a: change data capture needs a "
                                               "primary key"):
        Stepper((keyless,), Settings.parse(None), lambda s, t: False)
