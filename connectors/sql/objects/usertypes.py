"""User types (``sparkdms.catalog.UserType``) on a target of another family: a domain
becomes its base type plus its CHECKs (VALUE read as the column) and its DEFAULT, an enum
the target's enum or text with a member CHECK (``member_check``), a composite JSON.
What does not carry is said as a ``type`` note (``sparkdms assess``, ``convert``, the run's
notes). A target of the source's family creates the types themselves (its engine package,
e.g. connectors/postgres/usertypes.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparkdms.connectors.sql.objects.expressions import sqlglot_dialect
from sparkdms.connectors.sql.objects.model import Stmt
from sparkdms.connectors.sql.objects.naming import same_family

from sparkdms.catalog import Check, Column, UserType

if TYPE_CHECKING:
    from sparkdms.plan import ColumnPlan, TablePlan


def _converted(connector: Any, tp: TablePlan) -> list[tuple[ColumnPlan, UserType]]:
    """Columns of a user type that the target holds as another type."""
    if same_family(tp.source.engine, connector):
        return []
    out = []
    for col in tp.columns:
        u = tp.source.user_type(col.source.user_type) if col.source is not None else None
        if u is not None:
            out.append((col, u))
    return out


def _base_domains(tp: TablePlan, u: UserType) -> list[UserType]:
    """A domain and the domains it is built on (a domain over a domain has both CHECKs)."""
    out = []
    while u is not None and u.kind == "domain" and u not in out:
        out.append(u)
        nxt = u.base.user_type if u.base is not None and not u.base.array else None
        u = tp.source.user_type(nxt)  # type: ignore[assignment]
    return out


def value_as_column(expression: str, column: str, engine: str) -> str:
    """A domain CHECK condition over VALUE, with the column in its place (source SQL)."""
    import sqlglot
    from sqlglot import exp

    dialect = sqlglot_dialect(engine)
    tree = sqlglot.parse_one(expression, read=dialect)
    for node in list(tree.find_all(exp.Column)):
        if not node.table and not node.this.quoted and node.name.upper() == "VALUE":
            node.replace(exp.column(column, quoted=True))
    return tree.sql(dialect=dialect, normalize_functions=False)


def domain_checks(connector: Any, tp: TablePlan) -> list[Check]:
    """The CHECKs (and NOT NULL) of the domains of columns that become their base type, as
    table checks over the source column, named ``<column>_<domain check>``."""
    out = []
    for col, u in _converted(connector, tp):
        assert col.source is not None
        for d in _base_domains(tp, u):
            for check in d.checks:
                try:
                    cond = value_as_column(check.expression, col.source.name, tp.source.engine)
                except Exception:
                    cond = check.expression  # check_sql says it is not portable
                out.append(Check(f"{col.target_name}_{check.name}", cond))
            if d.not_null and col.nullable:
                out.append(Check(f"{col.target_name}_{d.name}_not_null", value_as_column(
                    "VALUE IS NOT NULL", col.source.name, tp.source.engine)))
    return out


def domain_default(connector: Any, tp: TablePlan, src: Column) -> str | None:
    """A column's default, else (its type converted) that of its domain."""
    if src.default is not None or src.user_type is None or \
            same_family(tp.source.engine, connector):
        return src.default
    for d in _base_domains(tp, tp.source.user_type(src.user_type)):  # type: ignore[arg-type]
        if d.default is not None:
            return d.default
    return None


def type_notes(connector: Any, tp: TablePlan) -> list[Stmt]:
    """What a column of a user type loses on a target of another family."""
    out = []
    for col, u in _converted(connector, tp):
        array = " array" if col.source is not None and col.source.native_type.endswith("]") else ""
        what = f"column {col.target_name} ({u.kind} {u.name}{array}) is {col.target_type}"
        if u.kind == "composite":
            why = (f"{what}: the composite is stored as JSON, its attributes "
                   f"({', '.join(a for a, _ in u.attributes)}) as keys; no type is created")
        elif array:
            why = f"{what}: the array is stored as JSON; its members are not checked"
        else:  # an enum: the target's enum or text with a member check; a domain: its base
            continue  # type with its CHECKs as table checks (each one said if not portable)
        out.append(Stmt("type", tp.target_label, u.name, (), why))
    return out
