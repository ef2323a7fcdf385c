"""The apply statements per engine family and the apply-error policies (ErrorBehavior)."""

from __future__ import annotations

import pytest
from sparkdms.connectors.base import ApplyStep
from sparkdms.connectors.sql.apply import UPSERTS

from sparkdms.catalog import Column, Table
from sparkdms.cdc.policy import refuse_hook
from sparkdms.cdc.steps import ChangeApplyError
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.task.settings import Settings
from sparkdms.types import LType

COLS = (Column("id", "bigint", LType("int64"), nullable=False),
        Column("v", "text", LType("text")))
PLAN = TablePlan(Table("s", "t", COLS, primary_key=("id",)), "s", "t",
                 tuple(ColumnPlan(c.name, c, c.ltype, "x") for c in COLS), primary_key=("id",))


def quote(name: str) -> str:
    return '"' + name + '"'


@pytest.mark.parametrize(("family", "sql"), [
    ("postgres", 'INSERT INTO T ("id", "v") VALUES (%s, %s) ON CONFLICT ("id") DO UPDATE SET '
                 '"v" = EXCLUDED."v"'),
    ("sqlite", 'INSERT INTO T ("id", "v") VALUES (%s, %s) ON CONFLICT ("id") DO UPDATE SET '
               '"v" = EXCLUDED."v"'),
    ("mysql", 'INSERT INTO T ("id", "v") VALUES (%s, %s) ON DUPLICATE KEY UPDATE '
              '"v" = VALUES("v")'),
])
def test_upserts_per_family(family: str, sql: str) -> None:
    upsert, _ = UPSERTS[family]
    assert upsert(quote, "T", ["id", "v"], ["id"], "%s") == sql


def test_a_table_of_keys_only_upserts_without_changing_anything() -> None:
    assert UPSERTS["postgres"][0](quote, "T", ["id"], ["id"], "?").endswith("DO NOTHING")
    assert UPSERTS["mysql"][0](quote, "T", ["id"], ["id"], "?").endswith('"id" = VALUES("id")')


STEP = ApplyStep(PLAN, "upsert", ((1, "a"), (2, "b")), ("insert", "update"))
DELETE = ApplyStep(PLAN, "delete", ((3,),), ("delete",))


def hook(**errors: str) -> tuple:
    counter = [0]
    return refuse_hook(Settings.parse({"ErrorBehavior": errors} if errors else None),
                       counter), counter


def test_log_error_records_the_key_and_reason_by_operation() -> None:
    refuse, counter = hook()
    assert refuse(STEP, 1, "value too long") == {
        "table_owner": "s", "table_name": "t", "key": {"id": "2"},
        "reason": "update: value too long", "op": "update"}
    assert refuse(DELETE, 0, "fk") is None  # ApplyErrorDeletePolicy: IGNORE_RECORD
    assert counter == [2]


def test_stopping_policies_and_escalation_name_table_key_and_setting() -> None:
    refuse, _ = hook(ApplyErrorInsertPolicy="STOP_TASK")
    with pytest.raises(ChangeApplyError, match=r"table s\.t, key \{'id': '1'\}: the target "
                                               r"refused an insert: bad \(ErrorBehavior\."
                                               r"ApplyErrorInsertPolicy STOP_TASK\)"):
        refuse(STEP, 0, "bad")
    refuse, _ = hook(ApplyErrorEscalationCount=1, ApplyErrorEscalationPolicy="SUSPEND_TABLE")
    refuse(STEP, 0, "bad")
    with pytest.raises(ChangeApplyError, match="2 changes refused, more than"):
        refuse(STEP, 1, "bad")
