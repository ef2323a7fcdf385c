"""Data probes: values the target will reject or change, found by sampling the source.

A probe is a condition over one column, true for an offending value, in the source's SQL.
The engines write them: the source through its ``AssessmentHooks`` (SQL fragments such as
a value's length, and its own probes: zero dates, storage classes, ...), the target by
declaring the values it cannot store. This module combines them per column and has the
source count the offending rows of a sample in one pass (``AssessmentHooks.sample``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sparkdms.assess.model import Item, first_line
from sparkdms.catalog import Column
from sparkdms.connectors.base import AssessmentHooks, Source, Target
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.plan.typemap import Dialect
from sparkdms.plan.typemap.fidelity import is_lob
from sparkdms.types import STRING_KINDS, LType


@dataclass(frozen=True)
class Probe:
    code: str
    column: str
    predicate: str  # source SQL, true for an offending value
    level: str
    effort: str
    message: str  # "{n}" is replaced by the count
    action: str = ""


@dataclass(frozen=True)
class ProbeContext:
    """One planned column, as the probes see it."""

    tp: TablePlan
    col: Column  # the source column
    cp: ColumnPlan
    dst: LType  # logical type of the target column
    settings: Any
    same_family: bool  # source and target keep native types between them
    target: AssessmentHooks  # the target's hooks: the values it cannot store


NO_HOOKS = AssessmentHooks()


def hooks_of(endpoint: Source | Target) -> AssessmentHooks:
    """The engine's assessment hooks, or the neutral ones ("this engine has none")."""
    return endpoint.assessment() or NO_HOOKS


# -- probes every source gets, from its SQL fragments ------------------------------------------

def _nul_text(x: ProbeContext, source: AssessmentHooks, target: Target) -> Probe | None:
    if not x.target.nul_in_text or x.col.ltype.kind not in (*STRING_KINDS, "json", "enum", "set"):
        return None
    pred = source.nul_sql(x.col.name)
    if pred is None:
        return None
    return Probe("nul-char", x.col.name, pred, "error", "medium",
                 f"{{n}} values contain NUL (0x00) characters, which {x.target.nul_in_text} "
                 "cannot hold", "clean the values on the source, or load the column as "
                 f"{target.native_type(LType('blob'))} (type_overrides)")


def _decimal_fit(x: ProbeContext, source: AssessmentHooks) -> Probe | None:
    src, dst = x.col.ltype, x.dst
    if src.kind != "decimal" or dst.kind != "decimal" or dst.precision is None:
        return None
    scale = dst.scale or 0
    whole = dst.precision - scale
    if src.precision is not None and (src.scale or 0) <= scale and \
            src.precision - (src.scale or 0) <= whole:
        return None
    pred = source.decimal_unfit_sql(x.col.name, scale, whole)
    if pred is None:
        return None
    return Probe("decimal-fit", x.col.name, pred, "error", "medium",
                 f"{{n}} values do not fit {x.cp.target_type} (more than {scale} fractional or "
                 f"{whole} integer digits, or NaN): the load stops on them",
                 "add type_overrides with a wider type, or a text type")


def _length_fit(x: ProbeContext, source: AssessmentHooks) -> Probe | None:
    src, dst = x.col.ltype, x.dst
    if src.kind not in (*STRING_KINDS, "citext", "json") or dst.kind not in ("char", "varchar") \
            or dst.length is None:
        return None
    if source.enforces_lengths and src.length is not None and src.length <= dst.length:
        return None  # declared lengths fit (where the source enforces its own)
    size = source.length_sql(x.col.name)
    if size is None:
        return None
    return Probe("length", x.col.name, f"{size} > {dst.length}", "error",
                 "medium", f"{{n}} values are longer than {dst.length} characters and would be "
                 f"rejected by {x.cp.target_type}", "add type_overrides with a longer type")


def _lob_limit(x: ProbeContext, source: AssessmentHooks) -> Probe | None:
    settings = x.settings
    if not settings["TargetMetadata.LimitedSizeLobMode"] or not is_lob(x.col.ltype):
        return None
    size = source.bytes_sql(x.col.name)
    if size is None:
        return None
    limit = settings["TargetMetadata.LobMaxSize"] * 1024
    return Probe("lob-size", x.col.name, f"{size} > {limit}", "warning", "simple",
                 f"{{n}} values are larger than LobMaxSize ({limit} bytes) and will be cut",
                 "raise TargetMetadata.LobMaxSize or turn LimitedSizeLobMode off")


def table_probes(source: Source, target: Target, tp: TablePlan, tdialect: Dialect,
                 settings: Any) -> list[Probe]:
    """Every probe of the table's planned columns."""
    shooks, thooks = hooks_of(source), hooks_of(target)
    same = source.dialect.same_family(target.dialect)
    out: list[Probe] = []
    for cp in tp.columns:
        if cp.source is None:
            continue
        dst = tdialect.to_logical(cp.target_type)
        x = ProbeContext(tp, cp.source, cp, dst, settings, same, thooks)
        found = [_nul_text(x, shooks, target), _decimal_fit(x, shooks), _length_fit(x, shooks),
                 *shooks.probes(x), _lob_limit(x, shooks)]
        out += [p for p in found if p is not None]
    return out


def data_items(source: Source, target: Target, tp: TablePlan, tdialect: Dialect,
               settings: Any) -> tuple[list[Item], int | None]:
    """The table's data findings, and how many rows were sampled (None: not sampled)."""
    sample = settings["Sparkdms.AssessSampleRows"]
    probes = table_probes(source, target, tp, tdialect, settings)
    if not probes or tp.source.kind != "table":
        return [], None
    try:
        sampled, results = hooks_of(source).sample(tp.source, probes, sample)
    except Exception as err:
        return [Item("data", "warning", "simple", f"could not sample the table: {first_line(err)}",
                     tp.source_label)], None
    items = []
    for p, (count, example) in zip(probes, results, strict=True):
        if count:
            scope = f" in {sampled:,} sampled rows" if sample and sampled >= sample else ""
            items.append(Item("data", p.level, p.effort, p.message.replace("{n}", f"{count:,}")
                              + scope, tp.source_label, p.column, p.action,
                              f"e.g. {example!r}" if example is not None else ""))
    return items, sampled
