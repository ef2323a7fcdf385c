"""``ValidationSettings.EnableValidation`` with change data capture: after a run's batches
are applied and committed, the rows of the keys the run changed are compared, source and
target, with the full validation's canonical comparison restricted to those keys
(``sparkdms.validate.strategy.KeySet``): a key deleted on the source must be absent on the
target. Per table the report carries ``CdcValidatedKeys`` and ``CdcValidationFailures``;
failures go where full validation writes them (``awsdms_validation_failures_v1``).

At most ``MAX_KEYS`` keys per table and run are kept, the most recently changed ones; the
report says how many more changed. A truncate changes no key: rows it removed are not
compared, the keys changed before and after it are. A key the source changed again after
the run's last position can differ for that reason: the next run compares it again.
Failures are written only when there are some, so a clean re-validation of a few keys does
not erase what the last full validation found for others.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sparkdms.cdc.steps import SourceStep, key_columns
from sparkdms.explain import explain
from sparkdms.plan import TablePlan
from sparkdms.report import Report
from sparkdms.report.verdict import ERROR, MISMATCHED
from sparkdms.validate.results import SHOW_FAILURES, TableResult
from sparkdms.validate.strategy import KeySet

MAX_KEYS = 1000  # keys re-validated per table and run


@dataclass
class Changed:
    """The keys changed per table (source label), latest last, at most ``MAX_KEYS``."""

    keys: dict[str, dict[tuple, None]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    def add(self, steps: list[SourceStep]) -> None:
        for step in steps:
            keys = self.keys.setdefault(step.plan.source_label, {})
            for key in step.items:
                keys.pop(key, None)
                keys[key] = None
                if len(keys) > MAX_KEYS:
                    keys.pop(next(iter(keys)))
                    label = step.plan.source_label
                    self.dropped[label] = self.dropped.get(label, 0) + 1


def key_set(plan: TablePlan, keys: dict[tuple, None]) -> KeySet:
    return KeySet(tuple(plan.primary_key), key_columns(plan), tuple(keys))


def revalidate(validator: Any, plans: list[TablePlan], changed: Changed, report: Report,
               out: Any) -> None:
    """Compare the changed keys of each table; the outcome in the report per table."""
    by_label = {p.source_label: (p, st) for p, st in zip(plans, report.tables, strict=True)}
    for label, keys in changed.keys.items():
        if not keys or label not in by_label:
            continue
        plan, stats = by_label[label]
        began = time.monotonic()
        try:
            result = validator.validate_table(plan, key_set(plan, keys))
        except Exception as err:  # reported per table; the others go on
            result = TableResult(ERROR, explain(err, validator.task.secrets))
        record(stats.extra, result, len(keys), changed.dropped.get(label, 0))
        print(f"  cdc     validated {len(keys):,} changed keys of {label}: "
              f"{stats.extra['CdcValidationState']} ({stats.extra['CdcValidationStateDetails']}, "
              f"{time.monotonic() - began:.1f}s)", file=out, flush=True)


def record(extra: dict[str, Any], result: TableResult, keys: int, dropped: int) -> None:
    diffs = result.outcome.differences
    details = result.details
    if dropped:
        details += f"; {dropped:,} earlier changed keys not re-validated (at most {MAX_KEYS:,})"
    extra.update(CdcValidatedKeys=keys, CdcValidationFailures=len(diffs),
                 CdcValidationState=result.state, CdcValidationStateDetails=details)
    if diffs:
        extra["CdcValidationFailedKeys"] = [{"FAILURE_TYPE": d.failure_type, "KEY": d.key,
                                             "DETAILS": d.details}
                                            for d in diffs[:SHOW_FAILURES]]
        extra["CdcValidationFailuresWrittenTo"] = result.failures_at
    if diffs or result.state == ERROR:  # the run's verdict fails as for full validation
        extra["ValidationState"] = MISMATCHED if diffs else ERROR
        extra["ValidationFailedRecords"] = extra.get("ValidationFailedRecords", 0) + len(diffs)
        extra["ValidationStateDetails"] = f"change processing: {details}"
    else:
        extra.setdefault("ValidationState", result.state)
        extra.setdefault("ValidationStateDetails", f"change processing: {details}")
