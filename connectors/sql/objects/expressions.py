"""Column defaults and CHECK conditions of a source, in the target's SQL: translated with
sqlglot between the engines' dialects (``Dialect.sqlglot``), or not portable."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.sql.discovery import SqlDiscovery
from sparkdms.connectors.sql.objects.naming import same_family

from sparkdms.errors import UnknownEngineError
from sparkdms.registry import connector_class, known_dialect

if TYPE_CHECKING:
    from sparkdms.connectors.sql.objects.ddl import ObjectSql

    from sparkdms.catalog import Check
    from sparkdms.plan import ColumnPlan, TablePlan

TRUE_WORDS = {"1": True, "0": False, "true": True, "false": False, "t": True, "f": False,
              "b'1'": True, "b'0'": False}
NOISE_CASTS = ("TEXT", "VARCHAR", "CHAR", "BPCHAR", "NVARCHAR", "NCHAR")

# How a target writes PostgreSQL's regular-expression match ``x ~ 'p'`` (sqlglot's
# RegexpLike, which it would print as REGEXP_LIKE: MariaDB has no such function); None: the
# target has no regular expressions in SQL (SQLite without an extension). The
# case-insensitive ``~*`` has no exact form on these engines (their case rules follow the
# column's collation) and is not portable to them.
REGEX_MATCH: dict[str, str | None] = {"mysql": "{} REGEXP {}", "sqlite": None}
# prefixed to the pattern: PostgreSQL's ``~`` is case-sensitive, MySQL/MariaDB's REGEXP
# follows the column's collation (mostly _ci) unless the pattern turns that off (PCRE/ICU)
REGEX_CASE_SENSITIVE: dict[str, str] = {"mysql": "(?-i)"}
REGEX_NO_ICASE = ("mysql", "sqlite")

_CALL = re.compile(r"^\(?\s*[a-z_][a-z0-9_]*\s*\(.*\)\s*\)?$", re.IGNORECASE)


class NotPortable(Exception):
    pass


def sqlglot_dialect(engine: str) -> str:
    """The sqlglot dialect of a registered engine (its name if it declares none)."""
    found = known_dialect(engine) if engine else None
    return (found.sqlglot if found is not None else None) or engine


def bare_string_defaults(engine: str) -> bool:
    """The engine's catalog prints string defaults unquoted (MySQL 8: 'PG-13' as PG-13)."""
    try:
        cls = connector_class(engine)
    except (UnknownEngineError, ImportError):
        return False
    return isinstance(cls, type) and issubclass(cls, SqlDiscovery) and cls.bare_string_defaults


def _strip(node: Any) -> Any:
    from sqlglot import exp

    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    return node


def default_sql(sql: ObjectSql, col: ColumnPlan, text: str, engine: str) -> str | None:
    """Target SQL for a source default; None for no default; NotPortable otherwise."""
    import sqlglot
    from sqlglot import exp

    raw = text.strip()
    if raw.upper() == "NULL" or not raw:
        return None
    kind = col.ltype.kind
    if kind == "boolean" and raw.lower().strip("'()") in TRUE_WORDS:
        return sql.boolean(TRUE_WORDS[raw.lower().strip("'()")])
    if raw.lower() in ("(datetime('now'))", "datetime('now')", "(datetime('now','localtime'))"):
        return sql.now(col)
    if kind in ("char", "varchar", "text", "enum", "set") and not raw.startswith("'") and \
            not _CALL.match(raw) and bare_string_defaults(engine):
        return sql.c.literal(raw)
    try:
        node = _strip(sqlglot.parse_one(raw, read=sqlglot_dialect(engine)))
    except Exception:
        raise NotPortable(raw) from None
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return sql.boolean(bool(node.this))
    if isinstance(node, exp.CurrentTimestamp | exp.CurrentDate | exp.CurrentTime):
        return sql.now(col)
    if isinstance(node, exp.Uuid) and sql.uuid():
        return sql.uuid()
    if isinstance(node, exp.Literal):
        return node.this if not node.is_string else sql.c.literal(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return f"-{node.this.this}"
    raise NotPortable(raw)


def check_sql(sql: ObjectSql, tp: TablePlan, check: Check, engine: str) -> str:
    """A source CHECK condition in the target's SQL, columns renamed; NotPortable if not."""
    import sqlglot
    from sqlglot import exp

    source = sqlglot_dialect(engine)
    target = sql.c.dialect.sqlglot or sql.c.engine
    try:
        tree = sqlglot.parse_one(check.expression, read=source)
    except Exception:
        raise NotPortable(check.expression) from None
    by_source = {c.source_name: c.target_name for c in tp.columns if c.source_name}
    used = {node.name for node in tree.find_all(exp.Column)}
    if same_family(engine, sql.c) and all(by_source.get(u) == u for u in used):
        return check.expression  # same dialect, same names: exactly as the source has it
    tree = tree.transform(_drop_noise_casts)
    while isinstance(tree, exp.Paren):
        tree = tree.this
    unknown = sorted({n.name for n in tree.find_all(exp.Anonymous)})
    if unknown:  # passed through as spelled: the target is not known to have it
        raise NotPortable(f"{check.expression} (function {', '.join(unknown)} has no known "
                          "translation)")
    for node in tree.find_all(exp.Column):
        new = by_source.get(node.name)
        if new is None:
            raise NotPortable(f"{check.expression} (column {node.name} is not on the target)")
        node.set("this", exp.to_identifier(new, quoted=True))
        node.set("table", None)
    tree = _regex_matches(tree, target, check.expression)
    try:
        return tree.sql(dialect=target, identify=True,
                        unsupported_level=sqlglot.ErrorLevel.RAISE)
    except Exception as err:
        raise NotPortable(f"{check.expression} ({err})") from None


def _regex_matches(tree: Any, target: str, raw: str) -> Any:
    """Regular-expression matches in the target's own form (REGEX_MATCH), or NotPortable."""
    from sqlglot import exp

    if target in REGEX_NO_ICASE and next(tree.find_all(exp.RegexpILike), None) is not None:
        raise NotPortable(f"{raw} (a case-insensitive regular expression match has no exact "
                          f"{target} form)")
    if target not in REGEX_MATCH:
        return tree
    form = REGEX_MATCH[target]
    for node in list(tree.find_all(exp.RegexpLike)):
        if form is None:
            raise NotPortable(f"{raw} ({target} has no regular expressions in SQL)")
        if not (isinstance(node.expression, exp.Literal) and node.expression.is_string):
            raise NotPortable(f"{raw} (the pattern is not a string literal)")
        pattern = exp.Literal.string(REGEX_CASE_SENSITIVE.get(target, "") + node.expression.this)
        text = exp.Var(this=form.format(node.this.sql(dialect=target, identify=True),
                                        pattern.sql(dialect=target)))
        if node is tree:
            return text
        node.replace(text if isinstance(node.parent, exp.Paren) else exp.Paren(this=text))
    return tree


def _array_of(node: Any) -> Any:
    from sqlglot import exp

    if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        inner = node.expression.this
    elif isinstance(node, exp.NEQ) and isinstance(node.expression, exp.Anonymous) and \
            node.expression.name.upper() == "ALL" and len(node.expression.expressions) == 1:
        inner = node.expression.expressions[0]
    else:
        return None
    while isinstance(inner, exp.Paren | exp.Cast):  # ARRAY[...]::text[]
        inner = inner.this
    return inner if isinstance(inner, exp.Array) else None


def _drop_noise_casts(node: Any) -> Any:
    """PostgreSQL prints ``(name)::text <> ''::text`` and ``(0)::numeric``: casts of columns to
    text and of literals say nothing another engine needs."""
    from sqlglot import exp

    array = _array_of(node)
    if array is not None:  # x = ANY (ARRAY[...]) / x <> ALL (ARRAY[...]): PostgreSQL's [NOT] IN
        found = exp.In(this=node.this.copy().transform(_drop_noise_casts), expressions=[
            _drop_noise_casts(e.copy()) for e in array.expressions])
        return found if isinstance(node, exp.EQ) else exp.Not(this=found)
    if isinstance(node, exp.Cast):
        inner = node.this.this if isinstance(node.this, exp.Paren) else node.this
        to = node.to.this.name if isinstance(node.to, exp.DataType) else ""
        if isinstance(inner, exp.Literal) or (to in NOISE_CASTS and isinstance(inner, exp.Column)):
            return inner.copy()
    return node


def member_check(sql: ObjectSql, col: ColumnPlan) -> str | None:
    """CHECK for an enum/set column stored as text (MySQL keeps a native enum/set)."""
    t = col.ltype
    if t.kind not in ("enum", "set") or not t.values:
        return None
    if sql.c.dialect.to_logical(col.target_type).kind not in ("char", "varchar", "text"):
        return None  # a native enum/set (MySQL) or a user enum type (PostgreSQL) checks itself
    q = sql.c.quote(col.target_name)
    members = ", ".join(sql.c.literal(v) for v in t.values)
    if t.kind == "enum":
        return f"{q} IN ({members})"
    return sql.set_member_check(q, members)
