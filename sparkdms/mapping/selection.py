"""Selection rules: which source tables a task moves. Exclusions win."""

from __future__ import annotations

from sparkdms.catalog import Catalog, Table
from sparkdms.errors import SelectionError
from sparkdms.mapping.rules import Rule
from sparkdms.mapping.wildcard import matches


def _locator_matches(rule: Rule, schema: str, table: str, kind: str) -> bool:
    loc = rule.locator
    want_kind = str(loc.get("table-type", "table")).lower()
    if want_kind != "all" and want_kind != kind:
        return False
    if rule.action == "explicit":
        return loc["schema-name"] == schema and loc["table-name"] == table
    return matches(loc["schema-name"], schema) and matches(loc["table-name"], table)


def table_wanted(rules: list[Rule], schema: str, table: str, kind: str = "table") -> bool:
    selection = [r for r in rules if r.rule_type == "selection"]
    if any(r.action == "exclude" and _locator_matches(r, schema, table, kind) for r in selection):
        return False
    return any(r.action in ("include", "explicit") and _locator_matches(r, schema, table, kind)
               for r in selection)


def matching_rules(rules: list[Rule], table: Table) -> list[Rule]:
    return [r for r in rules if r.rule_type == "selection" and r.action != "exclude"
            and _locator_matches(r, table.schema, table.name, table.kind)]


def select_tables(rules: list[Rule], catalog: Catalog) -> list[Table]:
    chosen = [t for t in catalog.tables if table_wanted(rules, t.schema, t.name, t.kind)]
    if not chosen:
        wanted = "; ".join(
            f"rule {r.rule_id} {r.action} {r.locator['schema-name']}.{r.locator['table-name']}"
            for r in rules if r.rule_type == "selection")
        seen = ", ".join(t.qualified for t in catalog.tables[:20]) or "no tables at all"
        raise SelectionError(f"selection rules match no table on the source ({wanted}); "
                             f"source has: {seen}")
    return chosen
