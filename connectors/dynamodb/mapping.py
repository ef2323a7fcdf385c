"""AWS DMS ``object-mapping`` rules for a DynamoDB target, resolved against a table plan.

The table-mapping JSON is AWS DMS's own
(https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.DynamoDB.html#CHAP_Target.DynamoDB.ObjectMapping)::

    {"rule-type": "object-mapping", "rule-id": "2", "rule-name": "to-ddb",
     "rule-action": "map-record-to-record",          # or map-record-to-document
     "object-locator": {"schema-name": "public", "table-name": "customer"},
     "target-table-name": "customer_t",
     "mapping-parameters": {
       "partition-key-name": "CustomerName", "sort-key-name": "Since",
       "exclude-columns": ["first", "last"],
       "attribute-mappings": [
         {"target-attribute-name": "CustomerName", "attribute-type": "scalar",
          "attribute-sub-type": "string", "value": "${first},${last}"},
         {"target-attribute-name": "Contact", "attribute-type": "document",
          "attribute-sub-type": "dynamodb-map",
          "value": {"M": {"Home": {"M": {"Phone": {"S": "${home_phone}"}}}}}}]}}

``map-record-to-record``: every column not in ``exclude-columns`` becomes an attribute of its
name; ``attribute-mappings`` add attributes built from ``${COLUMN}`` templates (a scalar
``string``/``number``/``boolean``/``binary``, or a ``document`` written in DynamoDB JSON
whose leaves are templates); a mapping named like a column replaces it.
``map-record-to-document``: the key attributes, the attribute mappings, and ``_doc``: a map
of every column not in ``exclude-columns``. Without a rule the item is the row, keyed by the
plan's primary key (partition key; a two-column key adds the sort key).

Columns in rules are the plan's columns, by target name (or source name). A rule naming a
column the table does not have stops the task before Spark starts, naming rule, table and
column. Everything here is plain data (picklable): executors build items from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sparkdms.errors import MappingRuleError, TaskConfigError
from sparkdms.plan import TablePlan

RECORD, DOCUMENT = "map-record-to-record", "map-record-to-document"
DOC_ATTRIBUTE = "_doc"
TEMPLATE = re.compile(r"\$\{([^}]+)\}")
# attribute-sub-type of a scalar mapping -> DynamoDB type
SCALAR_TYPES = {"string": "S", "number": "N", "boolean": "BOOL", "binary": "B"}
DOCUMENT_TYPES = {"dynamodb-map": "M", "dynamodb-list": "L"}
KEY_TYPES = ("S", "N", "B")
TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")


@dataclass(frozen=True)
class Mapped:
    """One attribute-mapping: ``value`` a template text (scalar) or DynamoDB JSON (document)."""

    name: str
    dtype: str  # S N BOOL B (scalar) or M L (document)
    value: Any
    columns: tuple[str, ...]  # the columns its templates read


@dataclass(frozen=True)
class Shape:
    """How one table's rows become items of one DynamoDB table."""

    table: str  # the DynamoDB table
    label: str  # the source table (schema.table), for messages
    columns: tuple[str, ...]  # the frame's columns (target names), in order
    natives: tuple[str, ...]  # DynamoDB type of each column (S N B BOOL M)
    kinds: tuple[str, ...]  # logical kind of each column
    keys: tuple[str, ...]  # partition key, then the sort key if any
    key_types: tuple[str, ...]
    direct: tuple[str, ...]  # columns that are top-level attributes of their name
    doc: tuple[str, ...]  # columns in the _doc map (map-record-to-document)
    mapped: tuple[Mapped, ...]
    rule: str = ""  # "rule 2 (to-ddb)" when a rule shaped it

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def recovery(self, column: str) -> tuple[str, str] | None:
        """Where validation finds ``column``'s value in an item: ("attr", name) or
        ("doc", name); None when the item does not hold it as itself."""
        if column in self.direct:
            return "attr", column
        if column in self.doc:
            return "doc", column
        for m in self.mapped:
            if m.dtype in ("S", "N", "B", "BOOL") and m.value == "${" + column + "}":
                return "attr", m.name
        return None


def _rule_label(rule: Mapping[str, Any]) -> str:
    return f"rule {rule.get('rule-id', '?')} ({rule.get('rule-name', '')!r})"


def _error(rule: Mapping[str, Any], problem: str) -> MappingRuleError:
    return MappingRuleError(str(rule.get("rule-id", "?")), str(rule.get("rule-name", "")), problem)


def object_rule(plan: TablePlan) -> Mapping[str, Any] | None:
    """The table's object-mapping rule (the last one by rule id wins, as later rules do)."""
    rules = [r for r in plan.target_rules if r.get("rule-type") == "object-mapping"]
    return rules[-1] if rules else None


class _Names:
    """A rule's column names resolved to the plan's target names (or source names)."""

    def __init__(self, plan: TablePlan, rule: Mapping[str, Any]) -> None:
        self.plan, self.rule = plan, rule
        self.by_name = {c.target_name: c.target_name for c in plan.columns}
        for c in plan.columns:
            if c.source_name:
                self.by_name.setdefault(c.source_name, c.target_name)

    def __call__(self, name: str, where: str) -> str:
        found = self.by_name.get(name)
        if found is None:
            have = ", ".join(c.target_name for c in self.plan.columns)
            raise _error(self.rule, f"table {self.plan.source_label}: {where} names column "
                                    f"{name!r}, which the table does not have (columns: {have})")
        return found


def _template_columns(value: Any, names: _Names, where: str) -> list[str]:
    if isinstance(value, str):
        return [names(m.group(1), where) for m in TEMPLATE.finditer(value)]
    if isinstance(value, Mapping):
        return [c for v in value.values() for c in _template_columns(v, names, where)]
    if isinstance(value, list):
        return [c for v in value for c in _template_columns(v, names, where)]
    return []


def _resolved(value: Any, names: _Names) -> Any:
    """Templates rewritten to target column names (``${first}`` -> ``${first_name}``)."""
    if isinstance(value, str):
        return TEMPLATE.sub(lambda m: "${" + names(m.group(1), "") + "}", value)
    if isinstance(value, Mapping):
        return {k: _resolved(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(v, names) for v in value]
    return value


def _mapping(raw: Any, names: _Names, rule: Mapping[str, Any]) -> Mapped:
    if not isinstance(raw, Mapping) or not raw.get("target-attribute-name"):
        raise _error(rule, "each attribute-mappings entry needs a target-attribute-name")
    name, kind = str(raw["target-attribute-name"]), raw.get("attribute-type", "scalar")
    sub = str(raw.get("attribute-sub-type", "string" if kind == "scalar" else "dynamodb-map"))
    table = SCALAR_TYPES if kind == "scalar" else DOCUMENT_TYPES if kind == "document" else None
    if table is None or sub not in table:
        allowed = "scalar (string, number, boolean, binary) or document (dynamodb-map, " \
                  "dynamodb-list)"
        raise _error(rule, f"attribute {name!r}: attribute-type {kind!r} with attribute-sub-type "
                           f"{sub!r} is not supported; use {allowed}")
    value = raw.get("value")
    if kind == "scalar" and not isinstance(value, str):
        raise _error(rule, f"attribute {name!r}: a scalar value is a text with ${{COLUMN}} "
                           "templates")
    if kind == "document":
        value = value.get(table[sub], value) if isinstance(value, Mapping) else value
        if not isinstance(value, Mapping | list):
            raise _error(rule, f"attribute {name!r}: a document value is DynamoDB JSON "
                               f"({{\"{table[sub]}\": ...}})")
    where = f"attribute-mappings {name!r}"
    cols = tuple(dict.fromkeys(_template_columns(value, names, where)))
    return Mapped(name, table[sub], _resolved(value, names), cols)


def _key_type(shape_cols: dict[str, str], mapped: Sequence[Mapped], key: str,
              rule: Mapping[str, Any] | None, plan: TablePlan) -> str:
    for m in mapped:
        if m.name == key:
            dtype = m.dtype
            break
    else:
        if key not in shape_cols:
            where = _rule_label(rule) if rule else "the plan"
            raise TaskConfigError(
                "table_mappings", f"{where}: table {plan.source_label}: key attribute {key!r} "
                                  "is neither a column nor an attribute-mappings target")
        dtype = shape_cols[key]
    if dtype not in KEY_TYPES:
        raise TaskConfigError("table_mappings", f"table {plan.source_label}: key attribute "
                                                f"{key!r} would be {dtype}; DynamoDB keys are "
                                                "S, N or B")
    return dtype


def _default_keys(plan: TablePlan) -> tuple[str, ...]:
    if not plan.primary_key:
        raise TaskConfigError("table_mappings", f"table {plan.source_label} has no primary key: "
                                                "a DynamoDB table needs one; give an "
                                                "object-mapping rule with partition-key-name")
    if len(plan.primary_key) > 2:
        raise TaskConfigError("table_mappings", f"table {plan.source_label}: its primary key "
                                                f"({', '.join(plan.primary_key)}) has more than "
                                                "two columns; DynamoDB keys have a partition and "
                                                "a sort key: give an object-mapping rule whose "
                                                "attribute-mappings build them from templates")
    return tuple(plan.primary_key)


def shape_of(plan: TablePlan, natives: Mapping[str, str]) -> Shape:
    """The item shape of ``plan``'s rows; ``natives``: the DynamoDB type of each column."""
    rule = object_rule(plan)
    columns = tuple(c.target_name for c in plan.columns)
    kinds = tuple(c.ltype.kind for c in plan.columns)
    types = tuple(natives[c] for c in columns)
    if rule is None:
        keys = _default_keys(plan)
        key_types = tuple(_key_type(dict(zip(columns, types, strict=True)), (), k, None, plan)
                          for k in keys)
        return Shape(plan.target_name, plan.source_label, columns, types, kinds, keys, key_types,
                     columns, (), ())
    action = rule.get("rule-action")
    if action not in (RECORD, DOCUMENT):
        raise _error(rule, f"rule-action {action!r} is not one DynamoDB takes ({RECORD}, "
                           f"{DOCUMENT})")
    names = _Names(plan, rule)
    params = rule.get("mapping-parameters") or {}
    excluded = {names(c, "exclude-columns") for c in params.get("exclude-columns") or ()}
    mapped = tuple(_mapping(m, names, rule) for m in params.get("attribute-mappings") or ())
    table = str(rule.get("target-table-name") or plan.target_name)
    if not TABLE_NAME.fullmatch(table):
        raise _error(rule, f"target-table-name {table!r}: DynamoDB table names are 3 to 255 of "
                           "A-Z a-z 0-9 _ - .")
    partition = params.get("partition-key-name")
    keys = (str(partition), *([str(params["sort-key-name"])] if params.get("sort-key-name")
                              else ())) if partition else _default_keys(plan)
    kept = tuple(c for c in columns if c not in excluded)
    mapped_names = {m.name for m in mapped}
    if action == RECORD:
        direct, doc = tuple(c for c in kept if c not in mapped_names), ()
    else:
        direct = tuple(k for k in keys if k in columns and k not in mapped_names)
        doc = kept
    available = {c: types[columns.index(c)] for c in (*direct, *doc)}
    key_types = tuple(_key_type(available, mapped, k, rule, plan) for k in keys)
    return Shape(table, plan.source_label, columns, types, kinds, keys, key_types, direct, doc,
                 mapped, _rule_label(rule))
