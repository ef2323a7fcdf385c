"""``post-processing`` rules with ``rule-action: add-tag`` (AWS DMS's S3 object tagging):
the tags of a table's objects, from its matching rules' ``tag-set``.

    {"rule-type": "post-processing", "rule-id": "41", "rule-name": "tag", "rule-action": "add-tag",
     "object-locator": {"schema-name": "hr", "table-name": "%"},
     "tag-set": [{"key": "dw-schema", "value": "${schema-name}"}, {"key": "owner", "value": "hr"}]}

``${schema-name}`` and ``${table-name}`` are the source table's names. AWS's
``${dyn-value}`` (a value per row) is refused by name: objects hold many rows here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sparkdms.errors import MappingRuleError

MAX_TAGS = 10  # S3's limit per object
MAX_KEY, MAX_VALUE = 128, 256


def _rule_error(rule: Mapping[str, Any], problem: str) -> MappingRuleError:
    return MappingRuleError(str(rule.get("rule-id", "?")), str(rule.get("rule-name", "?")),
                            problem)


def _expand(text: str, schema: str, table: str) -> str:
    return text.replace("${schema-name}", schema).replace("${table-name}", table)


def table_tags(rules: Sequence[Mapping[str, Any]], schema: str, table: str) -> dict[str, str]:
    """The tags for one table's objects (later rules override earlier keys)."""
    tags: dict[str, str] = {}
    for rule in rules:
        if rule.get("rule-type") != "post-processing":
            continue
        if rule.get("rule-action") != "add-tag":
            raise _rule_error(rule, f"rule-action {rule.get('rule-action')!r}: an S3 target "
                                    "reads add-tag only")
        tagset = rule.get("tag-set")
        if not isinstance(tagset, list) or not tagset:
            raise _rule_error(rule, "add-tag needs a non-empty tag-set list of {key, value}")
        for tag in tagset:
            tags.update(_one_tag(rule, tag, schema, table))
    if len(tags) > MAX_TAGS:
        raise _rule_error(rules[-1], f"table {schema}.{table} would get {len(tags)} tags; "
                                     f"S3 allows {MAX_TAGS} per object")
    return tags


def _one_tag(rule: Mapping[str, Any], tag: Any, schema: str, table: str) -> dict[str, str]:
    if not isinstance(tag, Mapping) or not tag.get("key"):
        raise _rule_error(rule, f"tag-set entry {tag!r} needs a key (and a value)")
    key = _expand(str(tag["key"]), schema, table)
    value = _expand(str(tag.get("value", "")), schema, table)
    if "${dyn-value}" in key or "${dyn-value}" in value:
        raise _rule_error(rule, "${dyn-value} is not supported: a tag applies to whole objects "
                                "of many rows here")
    if len(key) > MAX_KEY or len(value) > MAX_VALUE:
        raise _rule_error(rule, f"tag {key!r}: S3 allows keys of {MAX_KEY} and values of "
                                f"{MAX_VALUE} characters")
    return {key: value}
