"""Transformation rules applied to one table's plan: which columns, their names and types,
added columns, the primary key, the table's and schema's target names.

Object locators match the *source* names (case-sensitive, wildcards as in selection).
Rules that act on one object apply in rule-id order, each to the name the previous one
produced: ``convert-lowercase`` on ``%`` then ``add-prefix`` gives ``dms_orders``. AWS DMS
allows one transformation per object: two rules that both name the same object exactly
(no wildcard) and both rename it, retype it, or rename and remove it, are an error.

Order inside a table: include-column (when any matches the table, only the columns it
names are kept), remove-column, column names, change-data-type, add-column,
define-primary-key. A removed primary-key column drops the key (with a warning);
indexes over removed columns are not created.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sparkdms.catalog import Column, Index, Table
from sparkdms.errors import UnsupportedTypeError
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.plan.mapping.base import Rule
from sparkdms.plan.mapping.datatypes import selects_column, to_logical
from sparkdms.plan.mapping.expressions import Scope, Untranslatable, render
from sparkdms.plan.mapping.rules import NAME_ACTIONS
from sparkdms.plan.mapping.wildcard import matches
from sparkdms.plan.typemap.resolve import Resolved, adapt
from sparkdms.types import INTEGER_KINDS, LType, spark_quote


def _strip(prefix: bool) -> Callable[[Rule, str], str]:
    def cut(rule: Rule, name: str) -> str:
        v = rule.value or ""
        if prefix:
            return name[len(v):] if v and name.startswith(v) else name
        return name[:-len(v)] if v and name.endswith(v) else name
    return cut


def _swap(prefix: bool) -> Callable[[Rule, str], str]:
    def swap(rule: Rule, name: str) -> str:
        old, new = rule.old_value or "", rule.value or ""
        if prefix and name.startswith(old):
            return new + name[len(old):]
        if not prefix and name.endswith(old):
            return name[:len(name) - len(old)] + new
        return name
    return swap


NAMING: dict[str, Callable[[Rule, str], str]] = {
    "rename": lambda r, n: r.value or n,
    "convert-lowercase": lambda r, n: n.lower(),
    "convert-uppercase": lambda r, n: n.upper(),
    "add-prefix": lambda r, n: (r.value or "") + n,
    "add-suffix": lambda r, n: n + (r.value or ""),
    "remove-prefix": _strip(True), "remove-suffix": _strip(False),
    "replace-prefix": _swap(True), "replace-suffix": _swap(False),
}
CATEGORIES = {**{a: "rename" for a in NAME_ACTIONS}, "change-data-type": "retype",
              "remove-column": "remove", "include-column": "include"}


@dataclass
class Usage:
    """Which rules matched at least one object, and what the plan should warn about."""

    matched: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def hit(self, rules: Iterable[Rule]) -> None:
        self.matched.update(r.rule_id for r in rules)


def new_name(rules: Sequence[Rule], name: str, what: str) -> str:
    """Apply the naming rules in rule-id order; an empty result is an error."""
    for rule in rules:
        name = NAMING[rule.action](rule, name)
        if not name:
            raise rule.error(f"{rule.action} leaves {what} without a name")
    return name


def _exact(rule: Rule, names: dict[str, str]) -> bool:
    """Does the rule name this object without wildcards (every locator level)?"""
    return all(rule.locator.get(key) == name for key, name in names.items())


def _names(table: Table, level: str, column: str = "") -> dict[str, str]:
    out = {"schema-name": table.schema}
    if level in ("table", "column"):
        out["table-name"] = table.name
    if level == "column":
        out["column-name"] = column
    return out


def check_exclusive(rules: Sequence[Rule], names: dict[str, str], what: str) -> None:
    """AWS DMS allows one transformation per object: two rules that both name the object
    exactly and act on it in conflicting ways are an error."""
    exact = [r for r in rules if _exact(r, names) and r.action in CATEGORIES]
    for i, a in enumerate(exact):
        for b in exact[i + 1:]:
            ca, cb = CATEGORIES[a.action], CATEGORIES[b.action]
            if ca == cb or "remove" in (ca, cb):
                raise b.error(f"{what} is already the object of {a.label} ({a.action}); AWS DMS "
                              f"allows one transformation per object, so {b.action} cannot "
                              "also apply")


def table_rules(rules: Sequence[Rule], table: Table, target: str) -> list[Rule]:
    loc = "table-name" if target != "schema" else None
    return [r for r in rules if r.rule_type == "transformation" and r.target == target
            and matches(r.locator["schema-name"], table.schema)
            and (loc is None or matches(r.locator[loc], table.name))]


def _column_matches(rule: Rule, col: Column) -> bool:
    if not matches(str(rule.locator.get("column-name", "%")), col.name):
        return False
    wanted = rule.locator.get("data-type")
    return wanted is None or selects_column(str(wanted), col.ltype, col.native_type)


@dataclass
class _Columns:
    """The table's columns while column rules apply; ``plans`` keyed by source name."""

    table: Table
    plans: dict[str, ColumnPlan]
    removed: list[str] = field(default_factory=list)


def _keep(state: _Columns, rules: list[Rule], usage: Usage) -> None:
    includes = [r for r in rules if r.action == "include-column"]
    removes = [r for r in rules if r.action == "remove-column"]
    for name in list(state.plans):
        col = state.table.column(name)
        inc = [r for r in includes if _column_matches(r, col)]
        rem = [r for r in removes if _column_matches(r, col)]
        usage.hit(inc + rem)
        if includes and not inc:
            state.removed.append(f"{name} (not named by include-column "
                                 f"{', '.join(r.rule_id for r in includes)})")
            del state.plans[name]
        elif rem:
            state.removed.append(f"{name} (remove-column, rule {rem[0].rule_id})")
            del state.plans[name]


def _rename_and_retype(state: _Columns, rules: list[Rule], source: Any, target: Any,
                       usage: Usage) -> None:
    for name, cp in list(state.plans.items()):
        col = state.table.column(name)
        mine = [r for r in rules if r.action in NAMING or r.action == "change-data-type"]
        mine = [r for r in mine if _column_matches(r, col)]
        usage.hit(mine)
        naming = [r for r in mine if r.action in NAMING]
        if naming:
            cp = replace(cp, target_name=new_name(naming, cp.target_name, f"column {name}"))
        retypes = [r for r in mine if r.action == "change-data-type"]
        if retypes:  # a rule naming the column exactly wins over wildcards, else the last
            exact = [r for r in retypes if _exact(r, _names(state.table, "column", name))]
            cp = _retype((exact or retypes)[-1], state.table, col, cp, source, target)
        state.plans[name] = replace(cp, rule_ids=cp.rule_ids + tuple(r.rule_id for r in mine))


def _retype(rule: Rule, table: Table, col: Column, cp: ColumnPlan, source: Any,
            target: Any) -> ColumnPlan:
    assert rule.data_type is not None
    ltype = to_logical(rule.data_type)
    try:
        native = target.native_type(ltype)
    except UnsupportedTypeError as err:
        raise rule.error(f"data-type {rule.data_type.type}: {err}") from None
    r = adapt(Resolved(ltype, native), table, col, source, target)
    expr = r.expression or narrowing_guard(rule, table, col, ltype)
    return replace(cp, ltype=r.ltype, target_type=r.target_type, expression=expr)


NUMBER_KINDS = ("decimal", "float32", "float64", "money")


def narrowing_guard(rule: Rule, table: Table, col: Column, dst: LType) -> str | None:
    """A number retyped to fewer fractional digits (an integer type, a smaller decimal
    scale) would be rounded by Spark's cast without a word: such a value stops the load,
    naming rule, table and column (the plan warns about the conversion beforehand)."""
    if col.ltype.kind not in NUMBER_KINDS:
        return None
    if dst.kind in INTEGER_KINDS:
        scale = 0
    elif dst.kind == "decimal" and dst.precision is not None:
        scale = dst.scale or 0
        if col.ltype.kind == "decimal" and col.ltype.scale is not None and \
                col.ltype.scale <= scale:
            return None
    else:
        return None
    c = spark_quote(col.name)
    message = (f"{rule.label}: change-data-type of {table.qualified}.{col.name} to "
               f"{rule.data_type.type if rule.data_type else dst} would round a value with more "
               f"than {scale} fractional digits")
    frac = f"[.][0-9]{{{scale}}}[0-9]*[1-9]" if scale else "[.][0-9]*[1-9]"
    text = message.replace("\\", "\\\\").replace("'", "\\'")
    return (f"CASE WHEN CAST({c} AS STRING) RLIKE '{frac}' "
            f"THEN raise_error('{text}') ELSE {c} END")


def _added(rule: Rule, table: Table, target: Any) -> ColumnPlan:
    assert rule.data_type is not None and rule.value
    ltype = to_logical(rule.data_type)
    try:
        native = target.native_type(ltype)
    except UnsupportedTypeError as err:
        raise rule.error(f"data-type {rule.data_type.type}: {err}") from None
    expr = cdc = "NULL"
    if rule.expression is not None:
        scope = Scope({c.name: c.ltype for c in table.columns}, table.schema, table.name)
        try:
            expr = render(rule.expression, scope)
            cdc = render(rule.expression, replace(scope, cdc=True))
        except Untranslatable as err:
            raise rule.error(f"expression {rule.expression.text!r}: {err}") from None
    return ColumnPlan(rule.value, None, ltype, native, True, expr, rule_ids=(rule.rule_id,),
                      cdc_expression=cdc if cdc != expr else None)


def _check_collisions(columns: Sequence[ColumnPlan], table: Table, ci: bool,
                      rules: Sequence[Rule]) -> None:
    """Two columns that rules make equal on the target (case-insensitively where the target
    compares column names so) are an error naming the rules."""
    by_id = {r.rule_id: r for r in rules}
    seen: dict[str, ColumnPlan] = {}
    for c in columns:
        key = c.target_name.lower() if ci else c.target_name
        other = seen.get(key)
        ids = [i for i in dict.fromkeys(other.rule_ids + c.rule_ids) if i in by_id] \
            if other is not None else []
        if ids:
            raise by_id[ids[-1]].error(
                f"columns {other.source_name or '(added)'} and {c.source_name or '(added)'} "  # type: ignore[union-attr]
                f"of {table.qualified} would both be {c.target_name!r} on the target "
                f"(rules {', '.join(ids)})")
        seen.setdefault(key, c)


def _primary_key(tp: TablePlan, rules: list[Rule], usage: Usage) -> TablePlan:
    defs = [r for r in rules if r.action == "define-primary-key"]
    if not defs:
        return tp
    usage.hit(defs)
    exact = [r for r in defs if _exact(r, _names(tp.source, "table"))]
    if len(exact) > 1:
        raise exact[1].error(f"table {tp.source_label} already gets a key from "
                             f"{exact[0].label}; AWS DMS allows one per table")
    rule = (exact or defs)[-1]
    assert rule.primary_key is not None
    by_source = {c.source_name: c.target_name for c in tp.columns if c.source_name}
    targets = {c.target_name for c in tp.columns}
    cols = []
    for name in rule.primary_key.columns:
        hit = by_source.get(name) or (name if name in targets else None)
        if hit is None:
            raise rule.error(f"primary-key-def column {name!r} is not a column of "
                             f"{tp.source_label} on the target")
        cols.append(hit)
    if rule.primary_key.origin == "unique-index":
        name = rule.primary_key.name or f"{tp.target_name}_{'_'.join(cols)}_key"
        return replace(tp, indexes=(*tp.indexes, Index(name, tuple(cols), True)),
                       rule_ids=(*tp.rule_ids, rule.rule_id))
    columns = tuple(replace(c, nullable=False) if c.target_name in cols else c
                    for c in tp.columns)
    return replace(tp, primary_key=tuple(cols), columns=columns,
                   rule_ids=(*tp.rule_ids, rule.rule_id))


def _keys(tp: TablePlan, usage: Usage, redefined: bool) -> TablePlan:
    """Primary key and indexes in target column names; those over removed columns go."""
    by_source = {c.source_name: c.target_name for c in tp.columns if c.source_name}
    pk: tuple[str, ...] = ()
    if all(c in by_source for c in tp.source.primary_key):
        pk = tuple(by_source[c] for c in tp.source.primary_key)
    elif tp.source.primary_key and not redefined:
        usage.warnings.append(f"table {tp.source_label}: the primary key "
                              f"({', '.join(tp.source.primary_key)}) is not created: a rule "
                              "removed one of its columns (add a define-primary-key rule)")
    indexes = tuple(Index(i.name, tuple(by_source[c] for c in i.columns), i.unique)
                    for i in tp.indexes if all(c in by_source for c in i.columns))
    return replace(tp, primary_key=pk, indexes=indexes)


def apply_columns(tp: TablePlan, rules: Sequence[Rule], source: Any, target: Any,
                  usage: Usage, ci_columns: bool = False) -> TablePlan:
    """Column rules (include/remove, names, types, added columns) and the primary key."""
    table = tp.source
    col_rules = table_rules(rules, table, "column")
    for col in table.columns:
        check_exclusive([r for r in col_rules if _column_matches(r, col)],
                        _names(table, "column", col.name), f"column {table.qualified}.{col.name}")
    state = _Columns(table, {c.source_name: c for c in tp.columns if c.source_name})
    local = Usage()  # the rules that matched in this table
    _keep(state, col_rules, local)
    _rename_and_retype(state, col_rules, source, target, local)
    added = [_added(r, table, target) for r in col_rules if r.action == "add-column"]
    local.hit(r for r in col_rules if r.action == "add-column" or r.no_effect)
    columns = [c for c in tp.columns if c.source_name in state.plans]
    columns = [state.plans[c.source_name] for c in columns if c.source_name] + added
    _check_collisions(columns, table, ci_columns, rules)
    needed = {c for r in col_rules if r.action == "add-column" and r.expression is not None
              for c in r.expression.columns}
    planned = {c.source_name for c in columns if c.source_name}
    tp = replace(tp, columns=tuple(columns), removed_columns=tuple(state.removed),
                 read_columns=tuple(sorted(needed - planned)),
                 rule_ids=tuple(dict.fromkeys((*tp.rule_ids, *sorted(local.matched)))))
    usage.matched |= local.matched
    table_level = table_rules(rules, table, "table")
    tp = _keys(tp, usage, any(r.action == "define-primary-key" for r in table_level))
    return _primary_key(tp, table_level, usage)


def apply_names(tp: TablePlan, rules: Sequence[Rule], default_schema: str,
                usage: Usage) -> TablePlan:
    """Target table and schema names from table and schema rules."""
    table = tp.source
    t_rules = [r for r in table_rules(rules, table, "table") if r.action in NAMING]
    check_exclusive(t_rules, _names(table, "table"), f"table {table.qualified}")
    s_rules = [r for r in table_rules(rules, table, "schema") if r.action in NAMING]
    check_exclusive(s_rules, _names(table, "schema"), f"schema {table.schema}")
    usage.hit(t_rules + s_rules)
    usage.hit(r for kind in ("table-tablespace", "index-tablespace")
              for r in table_rules(rules, table, kind))  # matched, with no effect (warned)
    name = new_name(t_rules, table.name, f"table {table.qualified}")
    schema = default_schema
    if s_rules:
        renamed = new_name(s_rules, table.schema, f"schema {table.schema}")
        schema = renamed if renamed != table.schema else default_schema
    ids = tuple(r.rule_id for r in (*t_rules, *s_rules))
    return replace(tp, target_name=name, target_schema=schema,
                   rule_ids=tuple(dict.fromkeys((*tp.rule_ids, *ids))))
