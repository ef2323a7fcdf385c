"""A change the target refuses, per AWS DMS's apply-error policies (ErrorBehavior):
``ApplyErrorInsertPolicy`` / ``ApplyErrorUpdatePolicy`` / ``ApplyErrorDeletePolicy`` by the
source operation: ``LOG_ERROR`` records it in ``awsdms_apply_exceptions`` (same transaction
as the batch) and goes on, ``IGNORE_RECORD`` skips it, ``SUSPEND_TABLE`` / ``STOP_TASK``
stop the run (the batch is rolled back, the checkpoint stays before it). INSERT_RECORD and
UPDATE_RECORD ask for what upserts do anyway: they log as LOG_ERROR. Past
``ApplyErrorEscalationCount`` refused changes (0: no limit), ``ApplyErrorEscalationPolicy``
SUSPEND_TABLE or STOP_TASK stops the run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sparkdms.cdc.steps import ChangeApplyError
from sparkdms.connectors.base import ApplyStep, RefuseHook

SETTING = {"insert": "ErrorBehavior.ApplyErrorInsertPolicy",
           "update": "ErrorBehavior.ApplyErrorUpdatePolicy",
           "delete": "ErrorBehavior.ApplyErrorDeletePolicy"}
STOPPING = ("SUSPEND_TABLE", "STOP_TASK")


def row_key(step: ApplyStep, i: int) -> dict[str, Any]:
    plan, row = step.plan, step.rows[i]
    if step.action == "delete":
        return {k: str(v) for k, v in zip(plan.primary_key, row, strict=True)}
    names = [c.target_name for c in plan.columns]
    return {k: str(row[names.index(k)]) for k in plan.primary_key}


def refuse_hook(settings: Any, counter: list[int]) -> RefuseHook:
    """``counter[0]``: refused changes so far in the run."""
    limit = settings["ErrorBehavior.ApplyErrorEscalationCount"]
    escalation = settings["ErrorBehavior.ApplyErrorEscalationPolicy"]

    def refuse(step: ApplyStep, i: int, reason: str) -> Mapping[str, Any] | None:
        op = step.ops[i] if i < len(step.ops) else step.action
        setting = SETTING.get(op, SETTING["update"])
        policy = settings[setting]
        key = row_key(step, i)
        where = f"table {step.plan.target_label}, key {key}"
        if policy in STOPPING:
            raise ChangeApplyError(f"{where}: the target refused an {op}: {reason} "
                                   f"({setting} {policy})")
        counter[0] += 1
        if limit and counter[0] > limit and escalation in STOPPING:
            raise ChangeApplyError(f"{where}: {counter[0]} changes refused, more than "
                                   f"ErrorBehavior.ApplyErrorEscalationCount {limit} "
                                   f"(ApplyErrorEscalationPolicy {escalation}); last: {reason}")
        if policy == "IGNORE_RECORD":
            return None
        return {"table_owner": step.plan.target_schema, "table_name": step.plan.target_name,
                "key": key, "reason": f"{op}: {reason}", "op": op}

    return refuse
