"""Source filters of selection rules, pushed down into the source query.

As AWS DMS documents (CHAP_Tasks.CustomizingTasks.Filters): the conditions of one filter
are ORed, separate filters are ANDed, a filter with a negative operator (``noteq``,
``notbetween``, ``notnull``) has exactly one condition, and filters belong to ``include``
rules. When several include rules select one table, all their filters apply (ANDed): a
broad ``%`` rule plus a filtered rule for one table filters that table.

Filters stay data (column, operator, values) in the plan: values are checked here for the
column's type, and each source engine applies them its own way (relational engines render
them as SQL through their dialect, see ``connectors/sql/filters.py``), or says it cannot and
the core applies them in Spark.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sparkdms.catalog import Table
from sparkdms.plan import Condition, Filter
from sparkdms.plan.mapping.base import Rule
from sparkdms.types import INTEGER_KINDS, LType

# operator -> number of values
OPERATORS: dict[str, int] = {"lte": 1, "ste": 1, "gte": 1, "eq": 1, "noteq": 1, "between": 2,
                             "notbetween": 2, "null": 0, "notnull": 0}
NEGATIVE = ("noteq", "notbetween", "notnull")
VALUE_KEYS = {0: (), 1: ("value",), 2: ("start-value", "end-value")}
NUMERIC_KINDS = (*INTEGER_KINDS, "decimal", "float32", "float64", "money", "year")
TRUE_WORDS = ("1", "true", "t", "yes", "y")
FALSE_WORDS = ("0", "false", "f", "no", "n")


def _condition(rule: Rule, column: str, raw: Any) -> Condition:
    if not isinstance(raw, Mapping):
        raise rule.error(f"filter on {column!r}: each filter-condition must be an object")
    op = str(raw.get("filter-operator", "")).strip().lower()
    if op not in OPERATORS:
        raise rule.error(f"filter on {column!r}: unknown filter-operator "
                         f"{raw.get('filter-operator')!r}; allowed: {', '.join(OPERATORS)}")
    keys = VALUE_KEYS[OPERATORS[op]]
    missing = [k for k in keys if raw.get(k) is None]
    if missing:
        raise rule.error(f"filter on {column!r}: filter-operator {op} needs "
                         + " and ".join(repr(k) for k in missing))
    return Condition("lte" if op == "ste" else op, tuple(str(raw[k]) for k in keys))


def parse_filters(rule: Rule, raw: Any) -> tuple[Filter, ...]:
    if raw is None or raw == []:
        return ()
    if not isinstance(raw, list):
        raise rule.error("'filters' must be a list of filter objects")
    if rule.action == "exclude":
        raise rule.error("filters apply to include rules only (AWS DMS ignores them on "
                         "exclude rules); move them to the include rule")
    out = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise rule.error("each filter must be an object")
        ftype = str(item.get("filter-type", "source")).lower()
        if ftype != "source":
            raise rule.error(f"filter-type {item.get('filter-type')!r} is not supported; "
                             "only 'source' filters exist for a full load")
        column = item.get("column-name")
        if not isinstance(column, str) or not column:
            raise rule.error("a filter needs 'column-name'")
        conds = item.get("filter-conditions")
        if not isinstance(conds, list) or not conds:
            raise rule.error(f"filter on {column!r} needs a non-empty 'filter-conditions' list")
        parsed = tuple(_condition(rule, column, c) for c in conds)
        if len(parsed) > 1 and any(c.operator in NEGATIVE for c in parsed):
            raise rule.error(f"filter on {column!r}: a negative operator ({', '.join(NEGATIVE)}) "
                             "must be the only condition of its filter (AWS DMS rule); use a "
                             "separate filter, which is ANDed")
        out.append(Filter(column, parsed))
    return tuple(out)


def check_value(value: str, ltype: LType, what: str) -> str:
    """A filter or boundary value checked for a column of this type (errors name ``what``):
    numbers as plain decimal text, booleans as ``true``/``false``, anything else as given.
    Engines render the checked value their own way (SQL literals, BSON values, ...)."""
    if ltype.kind in NUMERIC_KINDS:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"{what}: {value!r} is not a number "
                             f"({ltype.kind} column)") from None
        if not number.is_finite():
            raise ValueError(f"{what}: {value!r} is not a finite number")
        return format(number, "f")
    if ltype.kind == "boolean":
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return "true"
        if word in FALSE_WORDS:
            return "false"
        raise ValueError(f"{what}: {value!r} is not a boolean (use true or false)")
    return str(value)


def checked_filters(rule: Rule, table: Table) -> list[Filter]:
    """The rule's filters on one table, with columns checked and values typed."""
    out = []
    for f in rule.filters:
        try:
            col = table.column(f.column)
        except KeyError:
            near = [c.name for c in table.columns if c.name.lower() == f.column.lower()]
            hint = f" (names are case-sensitive: did you mean {near[0]!r}?)" if near else ""
            raise rule.error(f"filter column {f.column!r} does not exist in "
                             f"{table.qualified}{hint}") from None
        what = f"filter on {table.qualified}.{f.column}"
        try:
            conds = tuple(Condition(c.operator, tuple(check_value(v, col.ltype, what)
                                                      for v in c.values))
                          for c in f.conditions)
        except ValueError as err:
            raise rule.error(str(err)) from None
        out.append(Filter(f.column, conds))
    return out


def table_filters(rules: Sequence[Rule], table: Table) -> tuple[Filter, ...]:
    """Filters of every include rule that selects the table, ANDed."""
    return tuple(f for rule in rules for f in checked_filters(rule, table))
