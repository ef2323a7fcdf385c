"""Parsing and checking of table-mapping rules; errors carry rule-id and rule-name.

The document is AWS DMS's ``{"rules": [...]}`` with AWS's key names and value spellings:
https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TableMapping.html

Everything a rule can get wrong on its own -- unknown rule-type or rule-action, a missing
required key, a bad value, an expression that has no Spark SQL translation -- is found
here, when the task is read, before anything connects. What needs the source catalog (a
column that does not exist, two rules on one object, a rename that collides) is checked
by the planner, still before Spark starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sparkdms.errors import MappingRuleError
from sparkdms.plan.mapping.base import LobSettings, ParallelLoad, PrimaryKeyDef, Rule
from sparkdms.plan.mapping.datatypes import parse_data_type
from sparkdms.plan.mapping.expressions import Untranslatable, compile_expression
from sparkdms.plan.mapping.filters import parse_filters

__all__ = ["RULE_TYPES", "Rule", "parse_rules"]

NAME_ACTIONS = ("rename", "convert-lowercase", "convert-uppercase", "add-prefix",
                "remove-prefix", "replace-prefix", "add-suffix", "remove-suffix",
                "replace-suffix")
COLUMN_ACTIONS = (*NAME_ACTIONS, "remove-column", "include-column", "add-column",
                  "change-data-type", "add-before-image-columns")
# rule-target -> rule-actions it takes
TARGET_ACTIONS: dict[str, tuple[str, ...]] = {
    "schema": NAME_ACTIONS,
    "table": (*NAME_ACTIONS, "define-primary-key"),
    "column": COLUMN_ACTIONS,
    "table-tablespace": NAME_ACTIONS,
    "index-tablespace": NAME_ACTIONS,
}
# rule-type -> allowed rule-action values (None: the rule has no rule-action)
RULE_TYPES: dict[str, tuple[str, ...] | None] = {
    "selection": ("include", "exclude", "explicit"),
    "transformation": tuple(dict.fromkeys(a for acts in TARGET_ACTIONS.values() for a in acts)),
    "table-settings": None,
    # read by the target engine, not the core: it declares them (Target.mapping_rules) and
    # gets each table's matching rules as data (TablePlan.target_rules)
    "object-mapping": ("map-record-to-record", "map-record-to-document"),
    "post-processing": ("add-tag",),
}
ENGINE_RULE_TYPES = ("object-mapping", "post-processing")
REJECTED_TYPES: dict[str, str] = {}
REJECTED_ACTIONS = {
    "data-masking-digits-mask": "data masking rules are not supported yet",
    "data-masking-digits-randomize": "data masking rules are not supported yet",
    "data-masking-hash-mask": "data masking rules are not supported yet",
}
# locator keys each rule-target needs
LOCATOR_KEYS = {"schema": ("schema-name",), "table": ("schema-name", "table-name"),
                "column": ("schema-name", "table-name"),
                "table-tablespace": ("schema-name", "table-name"),
                "index-tablespace": ("schema-name", "table-name")}
# rule-action -> keys it needs besides the locator
ACTION_KEYS: dict[str, tuple[str, ...]] = {
    "rename": ("value",), "add-prefix": ("value",), "remove-prefix": ("value",),
    "replace-prefix": ("value", "old-value"), "add-suffix": ("value",),
    "remove-suffix": ("value",), "replace-suffix": ("value", "old-value"),
    "add-column": ("value", "data-type"), "change-data-type": ("data-type",),
    "define-primary-key": ("primary-key-def",),
}
PARALLEL_TYPES = ("ranges", "partitions-auto", "subpartitions-auto", "partitions-list", "none")
LOB_MODES = ("limited", "unlimited", "none")
MAX_RANGE_COLUMNS = 10  # AWS DMS: "You can specify up to 10 columns"


def _text(rule: Rule, raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value and key != "value"):
        raise rule.error(f"missing required key {key!r} for rule-action {rule.action}")
    if isinstance(value, Mapping | list):
        raise rule.error(f"{key!r} must be a text value, got {value!r}")
    return str(value)


def _locator(rule: Rule, keys: tuple[str, ...]) -> None:
    loc = rule.raw.get("object-locator")
    if not isinstance(loc, Mapping):
        raise rule.error("missing required key 'object-locator'")
    for key in keys:
        if not isinstance(loc.get(key), str) or not loc.get(key):
            raise rule.error(f"object-locator needs {key!r}")


def _selection(rule: Rule) -> Rule:
    _locator(rule, ("schema-name", "table-name"))
    kind = str(rule.locator.get("table-type", "table")).lower()
    if kind not in ("table", "view", "all"):
        raise rule.error(f"object-locator table-type {rule.locator.get('table-type')!r} is "
                         "not one of table, view, all")
    order = rule.raw.get("load-order", 0)
    try:
        load_order = int(str(order))
    except ValueError:
        raise rule.error(f"load-order must be a whole number, got {order!r}") from None
    return replace(rule, filters=parse_filters(rule, rule.raw.get("filters")),
                   load_order=load_order)


def _primary_key(rule: Rule) -> PrimaryKeyDef:
    raw = rule.raw.get("primary-key-def")
    cols = raw.get("columns") if isinstance(raw, Mapping) else None
    if not isinstance(cols, list) or not cols or not all(isinstance(c, str) and c for c in cols):
        raise rule.error("primary-key-def needs 'columns', a non-empty list of column names")
    origin = str(raw.get("origin", "primary-key")).lower()  # type: ignore[union-attr]
    if origin not in ("primary-key", "unique-index"):
        raise rule.error(f"primary-key-def origin {origin!r} is not primary-key or "
                         "unique-index")
    if len(set(cols)) != len(cols):
        raise rule.error("primary-key-def lists a column twice")
    name = str(raw.get("name") or "")  # type: ignore[union-attr]
    return PrimaryKeyDef(name, tuple(cols), origin)


def _transformation(rule: Rule) -> Rule:
    target = str(rule.raw.get("rule-target", ""))
    if target not in TARGET_ACTIONS:
        raise rule.error(f"rule-target {rule.raw.get('rule-target')!r} is not one of "
                         f"{', '.join(TARGET_ACTIONS)}")
    if rule.action not in TARGET_ACTIONS[target]:
        raise rule.error(f"rule-action {rule.action} does not apply to rule-target {target}; "
                         f"allowed: {', '.join(TARGET_ACTIONS[target])}")
    rule = replace(rule, target=target)
    needs_column = target == "column" and rule.action not in ("add-column",
                                                             "add-before-image-columns")
    _locator(rule, LOCATOR_KEYS[target] + (("column-name",) if needs_column and
                                           "data-type" not in rule.locator else ()))
    values = {key: _text(rule, rule.raw, key) for key in ACTION_KEYS.get(rule.action, ())
              if key not in ("data-type", "primary-key-def")}
    rule = replace(rule, value=values.get("value"), old_value=values.get("old-value"))
    if rule.action in ("add-column", "change-data-type"):
        rule = replace(rule, data_type=parse_data_type(rule, rule.raw.get("data-type")))
    if rule.action == "add-column" and not rule.value:
        raise rule.error("add-column needs 'value', the name of the new column")
    if rule.action == "rename" and not rule.value:
        raise rule.error("rename needs a non-empty 'value', the new name")
    if rule.action == "define-primary-key":
        rule = replace(rule, primary_key=_primary_key(rule))
    if rule.raw.get("expression") is not None:
        rule = _expression(rule)
    if target in ("table-tablespace", "index-tablespace"):
        rule = replace(rule, no_effect="tablespaces exist on Oracle targets only")
    if rule.action == "add-before-image-columns":
        rule = replace(rule, no_effect="before-image columns carry values only in change data "
                                       "capture, not in a full load")
    return rule


def _expression(rule: Rule) -> Rule:
    if rule.action != "add-column":
        raise rule.error("'expression' is supported with rule-action add-column only")
    text = str(rule.raw["expression"])
    try:
        compiled = compile_expression(text)
    except Untranslatable as err:
        raise rule.error(f"expression {text!r}: {err} cannot be translated to Spark SQL"
                         if "syntax" not in str(err) else f"expression {text!r}: {err}") from None
    return replace(rule, expression=compiled)


def _parallel_load(rule: Rule, raw: Any) -> ParallelLoad:
    if not isinstance(raw, Mapping):
        raise rule.error("'parallel-load' must be an object with a 'type'")
    ptype = str(raw.get("type", "")).lower()
    if ptype not in PARALLEL_TYPES:
        raise rule.error(f"parallel-load type {raw.get('type')!r} is not one of "
                         f"{', '.join(PARALLEL_TYPES)}")
    if ptype == "ranges":
        return _ranges(rule, raw)
    if ptype == "partitions-list":
        parts, subs = raw.get("partitions") or [], raw.get("subpartitions") or []
        if not isinstance(parts, list) or not isinstance(subs, list) or not (parts or subs):
            raise rule.error("parallel-load partitions-list needs 'partitions' (a list of "
                             "partition names)")
        return ParallelLoad(ptype, partitions=tuple(map(str, parts)),
                            subpartitions=tuple(map(str, subs)))
    return ParallelLoad(ptype)


def _ranges(rule: Rule, raw: Mapping[str, Any]) -> ParallelLoad:
    cols, bounds = raw.get("columns"), raw.get("boundaries")
    if not isinstance(cols, list) or not cols or not all(isinstance(c, str) for c in cols):
        raise rule.error("parallel-load ranges needs 'columns', a list of column names")
    if len(cols) > MAX_RANGE_COLUMNS:
        raise rule.error(f"parallel-load ranges takes at most {MAX_RANGE_COLUMNS} columns")
    if not isinstance(bounds, list) or not bounds:
        raise rule.error("parallel-load ranges needs 'boundaries', a list of value lists")
    parsed = []
    for i, b in enumerate(bounds):
        if not isinstance(b, list) or len(b) != len(cols):
            raise rule.error(f"boundary {i + 1} must list {len(cols)} value(s), one per column "
                             f"of {cols}, got {b!r}")
        if any(isinstance(v, Mapping | list) for v in b):
            raise rule.error(f"boundary {i + 1} values must be plain values, got {b!r}")
        parsed.append(tuple(None if v is None else str(v) for v in b))
    return ParallelLoad("ranges", columns=tuple(cols), boundaries=tuple(parsed))


def _lob_settings(rule: Rule, raw: Any) -> LobSettings:
    if not isinstance(raw, Mapping):
        raise rule.error("'lob-settings' must be an object")
    mode = str(raw.get("mode", "limited")).lower()
    if mode not in LOB_MODES:
        raise rule.error(f"lob-settings mode {raw.get('mode')!r} is not one of "
                         f"{', '.join(LOB_MODES)}")
    size = raw.get("bulk-max-size", 0)
    try:
        kb = int(str(size).strip() or 0)
    except ValueError:
        raise rule.error(f"lob-settings bulk-max-size must be a whole number of KB, got "
                         f"{size!r}") from None
    if mode == "limited" and kb <= 0:
        raise rule.error("lob-settings mode limited needs a bulk-max-size above 0 (KB)")
    return LobSettings(mode, max(kb, 0))


def _table_settings(rule: Rule) -> Rule:
    _locator(rule, ("schema-name", "table-name"))
    if rule.raw.get("parallel-load") is None and rule.raw.get("lob-settings") is None:
        raise rule.error("a table-settings rule needs 'parallel-load' or 'lob-settings'")
    pl = _parallel_load(rule, rule.raw["parallel-load"]) \
        if rule.raw.get("parallel-load") is not None else None
    lob = _lob_settings(rule, rule.raw["lob-settings"]) \
        if rule.raw.get("lob-settings") is not None else None
    return replace(rule, parallel_load=pl, lob=lob)


def _engine_rule(rule: Rule) -> Rule:
    _locator(rule, ("schema-name", "table-name"))
    return rule


CHECKS = {"selection": _selection, "transformation": _transformation,
          "table-settings": _table_settings, "object-mapping": _engine_rule,
          "post-processing": _engine_rule}


def _one(raw: Any, index: int) -> Rule:
    if not isinstance(raw, Mapping):
        raise MappingRuleError(f"#{index + 1}", "?", "a rule must be an object")
    rule_id = str(raw.get("rule-id", f"#{index + 1}"))
    rule_name = str(raw.get("rule-name", rule_id))
    rtype = raw.get("rule-type")
    if rtype in REJECTED_TYPES:
        raise MappingRuleError(rule_id, rule_name, REJECTED_TYPES[str(rtype)])
    if rtype not in RULE_TYPES:
        raise MappingRuleError(rule_id, rule_name, f"unknown rule-type {rtype!r}; known: "
                               f"{', '.join([*RULE_TYPES, *REJECTED_TYPES])}")
    if "rule-id" not in raw:
        raise MappingRuleError(rule_id, rule_name, "missing required key 'rule-id'")
    actions = RULE_TYPES[rtype]
    action = "" if actions is None else str(raw.get("rule-action", ""))
    if action in REJECTED_ACTIONS:
        raise MappingRuleError(rule_id, rule_name, f"rule-action {action}: "
                               + REJECTED_ACTIONS[action])
    if actions is not None and action not in actions:
        what = "missing required key 'rule-action'" if not action else \
            f"unknown rule-action {raw.get('rule-action')!r}"
        raise MappingRuleError(rule_id, rule_name, f"{what} for {rtype}; allowed: "
                               f"{', '.join(actions)}")
    locator = raw.get("object-locator")
    rule = Rule(str(rtype), rule_id, rule_name, action,
                locator if isinstance(locator, Mapping) else {}, raw)
    return CHECKS[str(rtype)](rule)


def parse_rules(doc: Mapping[str, Any]) -> list[Rule]:
    """Every rule checked, sorted by rule-id (numeric ids in numeric order)."""
    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, list):
        raise MappingRuleError("-", "-", "the table mapping needs a 'rules' list")
    rules = [_one(raw, i) for i, raw in enumerate(raw_rules)]
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.rule_id in seen:
            raise rule.error(f"duplicate rule-id (also used by rule {seen[rule.rule_id].rule_name!r})")
        seen[rule.rule_id] = rule
    if not any(r.rule_type == "selection" and r.action != "exclude" for r in rules):
        raise rules[0].error("the table mapping has no include or explicit selection rule, so "
                             "it selects nothing") if rules else \
            MappingRuleError("-", "-", "the table mapping has no rules")
    return sorted(rules, key=lambda r: r.order)
