"""What a load changes without failing, said before the run: foreign keys a filter can
break, mixed-case names that will need quoting, text compared case-insensitively on the
source and case-sensitively on the target, CHAR(n) padding that differs. (Partitioned
tables, keys and indexes only on partitions, index methods and materialized views come
from the source engine's hooks; views from ``objects.view_items``.)"""

from __future__ import annotations

from sparkdms.assess.model import Item, TableReport
from sparkdms.assess.probes import hooks_of
from sparkdms.connectors.base import Source, Target
from sparkdms.plan import Plan, identifiers
from sparkdms.plan.fkfilters import fk_risks


def _add(reports: dict[str, TableReport], label: str, item: Item) -> None:
    report = reports.get(label)
    if report is not None:
        report.items.append(item)


def fk_filter_items(plan: Plan, reports: dict[str, TableReport]) -> None:
    """Foreign keys whose parent a source filter thins out (a parent not selected at all is
    said by ``object_items``: the key is not created)."""
    for r in fk_risks(plan.tables):
        if r.parent is None:
            continue
        cols = ", ".join(r.fk.columns)
        _add(reports, r.child.source_label, Item(
            "foreign-key", "warning", "medium", r.describe(), r.child.source_label, cols,
            action=f"filter {r.child.source_label} the same way on {cols}, or accept it: the "
                   "run counts the orphan rows and says what it created"))


def mixed_case_items(source: Source, plan: Plan, target: Target,
                     reports: dict[str, TableReport]) -> None:
    """Names the target folds when unquoted (PostgreSQL lower, Oracle upper): every
    hand-written query will have to quote them."""
    rules = identifiers.rules_for(target.engine)
    if rules.fold not in ("lower", "upper") or source.dialect.identifiers.fold == rules.fold:
        return  # a source that folds the same way had to quote them already
    fold = str.lower if rules.fold == "lower" else str.upper
    for tp in plan.tables:
        names = [f"table {tp.target_name}"] if fold(tp.target_name) != tp.target_name else []
        names += [f"column {c.target_name}" for c in tp.columns
                  if fold(c.target_name) != c.target_name]
        if names:
            _add(reports, tp.source_label, Item(
                "name", "warning", "simple", f"mixed-case names on {target.engine} must be "
                f"quoted in every query (unquoted, they fold to {rules.fold} case): "
                + ", ".join(names), tp.source_label,
                action="quote them (\"Name\") in queries, or set Sparkdms.IdentifierCase: "
                       "target to fold them"))


def collation_items(source: Source, target: Target, plan: Plan,
                    reports: dict[str, TableReport]) -> None:
    """Text the source compares case-insensitively (a _ci collation) on a target that
    compares it case-sensitively."""
    compares = hooks_of(target).case_sensitive_text
    if not compares or hooks_of(source).case_sensitive_text:
        return
    by_source = {(t.source.schema, t.source.name): t for t in plan.tables}
    found: dict[str, list[str]] = {}
    for schema in sorted({t.source.schema for t in plan.tables}):
        for s, table, column, collation in hooks_of(source).case_insensitive_columns(schema):
            tp = by_source.get((s, table))
            if tp is not None and column in {c.source_name for c in tp.columns}:
                found.setdefault(tp.source_label, []).append(f"{column} ({collation})")
    for label, cols in found.items():
        _add(reports, label, Item(
            "collation", "warning", "medium", f"columns {', '.join(cols)} compare "
            f"case-insensitively on the source; {compares}: equality, joins, GROUP BY, DISTINCT, "
            "ORDER BY and unique keys on them behave differently ('a' and 'A' are two values)",
            label, action="use citext or a nondeterministic collation on the target "
                          "(type_overrides), or lower() in queries"))


def char_items(source: Source, target: Target, plan: Plan,
               reports: dict[str, TableReport]) -> None:
    """CHAR(n) columns between engines that pad them differently."""
    there, here = hooks_of(target).char_padding, hooks_of(source).char_padding
    if not there or there == here:
        return
    for tp in plan.tables:
        cols = [c.target_name for c in tp.columns
                if c.source is not None and c.source.ltype.kind == "char" and c.ltype.kind == "char"]
        if cols:
            _add(reports, tp.source_label, Item(
                "char", "warning", "simple", f"CHAR columns {', '.join(cols)}: {there}"
                + (f"; {here}" if here else "") + ": values with trailing spaces read back "
                "differently after the load", tp.source_label,
                action="use varchar on the target (type_overrides) if applications compare or "
                       "concatenate these values"))


def gap_items(source: Source, target: Target, plan: Plan,
              reports: dict[str, TableReport]) -> None:
    fk_filter_items(plan, reports)
    mixed_case_items(source, plan, target, reports)
    char_items(source, target, plan, reports)
    collation_items(source, target, plan, reports)
