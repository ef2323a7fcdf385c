"""A direct copy that the target refuses a row of (a CHECK, a NOT NULL, a narrower column:
SQLSTATE class 22 or 23) has no row-level path: unless the error policy stops at such a row
(only for a same-engine copy, whose refusal Spark rows would meet too), the table is redone
through Spark rows, which reject row by row
(sparkdms.load.rejects). The failed copy's staging rows and ledger are dropped first, under
the table's lock and with the same load id (the run's records and ``--resume`` unchanged)."""

from __future__ import annotations

from typing import Any

from sparkdms.connectors.base import WriteResult
from sparkdms.errors import DirectCopyRefused
from sparkdms.load.rejects import POLICY_SETTING, STOPPING, Policy, RejectedRowsError
from sparkdms.plan import TablePlan
from sparkdms.report import TableStats

DIRECT = " (direct copy)"


def direct_or_redo(ctx: Any, tp: TablePlan, stats: TableStats, load_id: str,
                   resumed: bool) -> WriteResult | None:
    """The direct copy's result, or None when the table is to be written through Spark
    instead (its staging is then empty again)."""
    settings = ctx.task.settings
    stats.PartitionMethod += DIRECT
    try:
        return ctx.target.direct_copy(ctx.spark, ctx.source, tp, settings, load_id)
    except DirectCopyRefused as err:
        stop = Policy.from_settings(settings).of(err.kind)
        if stop in STOPPING and err.exact:
            raise RejectedRowsError(
                tp.source_label, f"a row refused by the target in the direct copy "
                f"({POLICY_SETTING[err.kind]} {stop}): nothing of the table is committed; "
                f"{err.reason}", stop == "STOP_TASK") from None
        if resumed:  # kept partitions of an earlier run would go with the staging
            err.message += " (a resumed load is not redone through Spark: run without --resume)"
            raise
        restart(ctx, tp, load_id)
        note = (f"{tp.target_label}: direct copy refused a row ({err.reason}): loaded through "
                "Spark with row-level rejects instead")
        print(f"  note    {note}", file=ctx.out, flush=True)
        stats.extra.setdefault("Notes", []).append(note)
        stats.PartitionMethod = stats.PartitionMethod.removesuffix(DIRECT)
        return None


def restart(ctx: Any, tp: TablePlan, load_id: str) -> None:
    """Empty the table's staging and ledger for ``load_id``: under the held lock where the
    target keeps load records, else by abort and prepare again."""
    settings = ctx.task.settings
    store = ctx.runs.store if ctx.runs is not None else None
    if store is not None:
        store.restart(tp, settings, load_id)
        return
    ctx.target.abort(tp, settings, load_id)
    ctx.target.prepare(tp, settings, load_id)
