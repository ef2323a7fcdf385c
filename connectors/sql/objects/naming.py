"""Names of the objects created on the target, and target columns of source names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkdms.plan.identifiers import unique_name
from sparkdms.registry import known_dialect

if TYPE_CHECKING:
    from sparkdms.plan import TablePlan


def same_family(engine: str, connector: Any) -> bool:
    """The source engine keeps native types and SQL exactly on this connector's engine."""
    return connector.dialect.same_family(known_dialect(engine) if engine else None)


@dataclass
class Names:
    """Object names already used on the target, per schema (lowercased)."""

    taken: dict[str, set[str]] = field(default_factory=dict)

    def take(self, connector: Any, schema: str, base: str) -> str:
        return unique_name(base, connector.dialect.identifiers, self.taken.setdefault(schema, set()))


def existing_names(connector: Any, schemas: Iterable[str]) -> Names:
    """What the target already names in each schema (its ``ObjectSql.taken_names``)."""
    sql = connector.object_sql()
    return Names({schema: {str(n).lower() for n in sql.taken_names(schema)} for schema in schemas})


def base_name(tp: TablePlan, name: str, connector: Any) -> str:
    """Source object name, prefixed with the table when it comes from another family
    (MySQL index names are per table, PostgreSQL's and SQLite's per schema)."""
    if same_family(tp.source.engine, connector) or name.lower().startswith(tp.target_name.lower()):
        return name
    return f"{tp.target_name}_{name}"


def target_cols(tp: TablePlan, names: Iterable[str]) -> tuple[str, ...] | None:
    """Target column names for source (or already target) names; None if one was removed."""
    by_target = {c.target_name for c in tp.columns}
    by_source = {c.source_name: c.target_name for c in tp.columns if c.source_name}
    out = []
    for n in names:
        hit = n if n in by_target else by_source.get(n)
        if hit is None:
            return None
        out.append(hit)
    return tuple(out)


def fk_cols(tp: TablePlan, names: Iterable[str]) -> tuple[str, ...] | None:
    by_source = {c.source_name: c.target_name for c in tp.columns if c.source_name}
    out = [by_source.get(n) for n in names]
    return None if any(o is None for o in out) else tuple(o for o in out if o)
