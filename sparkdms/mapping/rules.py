"""Parsing and checking of table-mapping rules; errors carry rule-id and rule-name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sparkdms.errors import MappingRuleError

# rule-type -> allowed rule-action values; None means "not supported yet"
RULE_TYPES: dict[str, tuple[str, ...] | None] = {
    "selection": ("include", "exclude", "explicit"),
    "transformation": None,
    "table-settings": None,
    "object-mapping": None,
    "post-processing": None,
}
NOT_YET = {
    "transformation": "transformation rules are not supported yet",
    "table-settings": "table-settings rules are not supported yet",
    "object-mapping": "object-mapping rules (DynamoDB) are not supported yet",
    "post-processing": "post-processing rules are not supported yet",
}


@dataclass(frozen=True)
class Rule:
    rule_type: str
    rule_id: str
    rule_name: str
    action: str
    locator: Mapping[str, Any]
    raw: Mapping[str, Any]

    def error(self, problem: str) -> MappingRuleError:
        return MappingRuleError(self.rule_id, self.rule_name, problem)

    @property
    def order(self) -> tuple[int, str]:
        return (int(self.rule_id), "") if self.rule_id.isdigit() else (1 << 62, self.rule_id)


def _one(raw: Mapping[str, Any], index: int) -> Rule:
    rule_id = str(raw.get("rule-id", f"#{index + 1}"))
    rule_name = str(raw.get("rule-name", rule_id))
    rtype = raw.get("rule-type")
    if rtype not in RULE_TYPES:
        raise MappingRuleError(rule_id, rule_name, f"unknown rule-type {rtype!r}; known: "
                               f"{', '.join(RULE_TYPES)}")
    if "rule-id" not in raw:
        raise MappingRuleError(rule_id, rule_name, "missing required key 'rule-id'")
    actions = RULE_TYPES[rtype]
    if actions is None:
        raise MappingRuleError(rule_id, rule_name, NOT_YET[rtype])
    action = raw.get("rule-action")
    if action not in actions:
        raise MappingRuleError(rule_id, rule_name, f"unknown rule-action {action!r} for "
                               f"{rtype}; allowed: {', '.join(actions)}")
    locator = raw.get("object-locator")
    if not isinstance(locator, Mapping):
        raise MappingRuleError(rule_id, rule_name, "missing required key 'object-locator'")
    for key in ("schema-name", "table-name"):
        if not isinstance(locator.get(key), str) or not locator.get(key):
            raise MappingRuleError(rule_id, rule_name, f"object-locator needs '{key}'")
    if raw.get("filters"):
        raise MappingRuleError(rule_id, rule_name, "selection filters are not supported yet")
    return Rule(rtype, rule_id, rule_name, action, locator, raw)


def parse_rules(doc: Mapping[str, Any]) -> list[Rule]:
    rules = [_one(raw, i) for i, raw in enumerate(doc["rules"])]
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.rule_id in seen:
            raise rule.error(f"duplicate rule-id (also used by rule {seen[rule.rule_id].rule_name!r})")
        seen[rule.rule_id] = rule
    return sorted(rules, key=lambda r: r.order)
