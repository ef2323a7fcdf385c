"""Selection rules: which source tables a task moves. Exclusions win over inclusions,
whatever their rule-ids; ``explicit`` names one table exactly (no wildcards)."""

from __future__ import annotations

from collections.abc import Sequence

from sparkdms.catalog import Catalog, Table
from sparkdms.errors import SelectionError
from sparkdms.plan.mapping.base import Rule
from sparkdms.plan.mapping.wildcard import matches


def _locator_matches(rule: Rule, schema: str, table: str, kind: str) -> bool:
    loc = rule.locator
    want_kind = str(loc.get("table-type", "table")).lower()
    if want_kind != "all" and want_kind != kind:
        return False
    if rule.action == "explicit":
        return loc["schema-name"] == schema and loc["table-name"] == table
    return matches(loc["schema-name"], schema) and matches(loc["table-name"], table)


def _selection(rules: Sequence[Rule]) -> list[Rule]:
    return [r for r in rules if r.rule_type == "selection"]


def table_wanted(rules: Sequence[Rule], schema: str, table: str, kind: str = "table") -> bool:
    selection = _selection(rules)
    if any(r.action == "exclude" and _locator_matches(r, schema, table, kind) for r in selection):
        return False
    return any(r.action in ("include", "explicit") and _locator_matches(r, schema, table, kind)
               for r in selection)


def table_mentioned(rules: Sequence[Rule], schema: str, table: str, kind: str = "table") -> bool:
    """Any selection rule matches (include or exclude): what discovery reads, so that the
    planner can tell which rules matched nothing."""
    return any(_locator_matches(r, schema, table, kind) for r in _selection(rules))


def matching_rules(rules: Sequence[Rule], table: Table) -> list[Rule]:
    """The include/explicit rules that select the table (their filters all apply)."""
    return [r for r in _selection(rules) if r.action != "exclude"
            and _locator_matches(r, table.schema, table.name, table.kind)]


def matched_selection(rules: Sequence[Rule], catalog: Catalog) -> set[str]:
    """Ids of selection rules that match at least one table of the catalog."""
    return {r.rule_id for r in _selection(rules) for t in catalog.tables
            if _locator_matches(r, t.schema, t.name, t.kind)}


def select_tables(rules: Sequence[Rule], catalog: Catalog) -> list[Table]:
    chosen = [t for t in catalog.tables if table_wanted(rules, t.schema, t.name, t.kind)]
    if not chosen:
        wanted = "; ".join(
            f"rule {r.rule_id} {r.action} {r.locator['schema-name']}.{r.locator['table-name']}"
            for r in _selection(rules))
        seen = ", ".join(t.qualified for t in catalog.tables[:20]) or "no tables at all"
        raise SelectionError(f"selection rules match no table on the source ({wanted}); "
                             f"source has: {seen}")
    return chosen
