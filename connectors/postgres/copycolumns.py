"""The source SELECT of the PostgreSQL direct copy, for plans that rename, retype or add
columns: each target column as a PostgreSQL expression that yields exactly what the
DataFrame path (Spark) would write, or no direct copy at all.

Only what both engines compute identically is taken, and anything else sends the table down
the DataFrame path:

- a renamed column: the source column under the target's name (COPY lists target names);
- a changed type: only widening casts, where PostgreSQL's cast and Spark's agree value for
  value (``WIDENING``): a larger integer, a decimal with no fewer integer or fraction digits
  (integers included), a longer or unbounded varchar, real to double precision; and an
  integer to text (both print its digits), cast to ``text``, so that COPY checks a varchar's
  length as the DataFrame path's write does (a cast to ``varchar(n)`` would cut it);
- an added column: its Spark SQL expression (the translation of AWS DMS's SQLite
  expression, plan/mapping/expressions.py) when every node is in ``NODES``. Integer and
  exact decimal arithmetic (``+ - *``) only while Spark's decimal result keeps every digit
  (at most 38, so Spark never rounds where PostgreSQL would not); overflow is an error in
  both (Spark's ANSI mode). ``concat`` as ``||`` (NULL in, NULL out on both), text casts of
  integers and text, CASE / COALESCE / comparisons / IS NULL / AND / OR / NOT, literals.
  The result is cast to the target type, which rounds half away from zero in both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.types import LType

INT_DIGITS = {"int16": 5, "int32": 10, "int64": 19}
INT_RANK = {"int16": 1, "int32": 2, "int64": 3}
TEXT_KINDS = ("varchar", "text")
MAX_DIGITS = 38  # Spark's decimal precision: beyond it Spark rounds, PostgreSQL does not


class NotCopyable(Exception):
    """A column the direct copy cannot produce exactly as Spark would."""


def _digits(t: LType) -> tuple[int, int] | None:
    """(integer digits, fraction digits) of an integer or bounded decimal type."""
    if t.kind in INT_DIGITS:
        return INT_DIGITS[t.kind], 0
    if t.kind == "decimal" and t.precision is not None:
        return t.precision - (t.scale or 0), t.scale or 0
    return None


def _widens_number(src: LType, dst: LType) -> bool:
    if src.kind in INT_RANK and dst.kind in INT_RANK:
        return INT_RANK[dst.kind] >= INT_RANK[src.kind]
    if dst.kind != "decimal" or dst.precision is None:
        return False
    have, want = _digits(src), _digits(dst)
    return have is not None and want is not None and want[0] >= have[0] and want[1] >= have[1]


def _widens_text(src: LType, dst: LType) -> bool:
    if src.kind not in TEXT_KINDS or dst.kind not in TEXT_KINDS:
        return False
    return dst.kind == "text" or (src.kind == "varchar" and (src.length or 0) <= (dst.length or 0))


WIDENING: tuple[Callable[[LType, LType], bool], ...] = (
    _widens_number,
    _widens_text,
    lambda src, dst: src.kind == "float32" and dst.kind == "float64",
)


@dataclass(frozen=True)
class Expr:
    sql: str
    kind: str  # "int", "dec", "text", "bool", "null"
    digits: tuple[int, int] = (0, 0)  # (integer, fraction) digits of an int or dec


def _kind_of(t: LType) -> Expr:
    if t.kind in INT_DIGITS:
        return Expr("", "int", (INT_DIGITS[t.kind], 0))
    if t.kind == "decimal" and t.precision is not None:
        return Expr("", "dec", _digits(t) or (0, 0))
    if t.kind in TEXT_KINDS:
        return Expr("", "text")
    if t.kind == "bool":
        return Expr("", "bool")
    raise NotCopyable(f"a column of type {t}")


class _Render:
    def __init__(self, source: Any, types: dict[str, LType]) -> None:
        self.source, self.types = source, types

    def __call__(self, node: Any) -> Expr:
        handler = NODES.get(type(node).__name__)
        if handler is None:
            raise NotCopyable(f"the construct {type(node).__name__}")
        return handler(self, node)


def _column(r: _Render, node: Any) -> Expr:
    name = node.name
    if name not in r.types or node.table:
        raise NotCopyable(f"column {name}")
    shape = _kind_of(r.types[name])
    return Expr(r.source.quote(name), shape.kind, shape.digits)


def _literal(r: _Render, node: Any) -> Expr:
    if node.is_string:
        return Expr("'" + node.this.replace("'", "''") + "'", "text")
    text = str(node.this)
    whole, _, frac = text.lstrip("-").partition(".")
    if not (whole or frac).isdigit() or (frac and not frac.isdigit()) or "e" in text.lower():
        raise NotCopyable(f"the number {text}")
    # Spark: an integer literal is INT/BIGINT, a decimal literal DECIMAL(p,s), like PostgreSQL
    return Expr(f"({text})" if frac else text, "dec" if frac else "int",
                (len(whole.lstrip("0")) or 1, len(frac)))


def _arith(op: str) -> Callable[[_Render, Any], Expr]:
    def render(r: _Render, node: Any) -> Expr:
        a, b = r(node.this), r(node.expression)
        if {a.kind, b.kind} - {"int", "dec"}:
            raise NotCopyable(f"{op} on {a.kind} and {b.kind}")
        if op == "*":
            digits = (a.digits[0] + b.digits[0], a.digits[1] + b.digits[1])
        else:
            digits = (max(a.digits[0], b.digits[0]) + 1, max(a.digits[1], b.digits[1]))
        kind = "int" if a.kind == b.kind == "int" else "dec"
        if kind == "dec" and sum(digits) > MAX_DIGITS:
            raise NotCopyable(f"a {sum(digits)}-digit result (Spark rounds past {MAX_DIGITS})")
        return Expr(f"({a.sql} {op} {b.sql})", kind, digits)

    return render


def _neg(r: _Render, node: Any) -> Expr:
    a = r(node.this)
    if a.kind not in ("int", "dec"):
        raise NotCopyable(f"minus on {a.kind}")
    return Expr(f"(-{a.sql})", a.kind, a.digits)


def _concat(r: _Render, node: Any) -> Expr:
    if not getattr(node, "args", {}).get("safe", True) or node.args.get("coalesce"):
        raise NotCopyable("concat that skips NULLs")
    parts = [r(e) for e in node.expressions]
    if any(p.kind != "text" for p in parts):
        raise NotCopyable("concat of a non-text value")
    return Expr("(" + " || ".join(p.sql for p in parts) + ")", "text")


def _cast(r: _Render, node: Any) -> Expr:
    a, to = r(node.this), node.to.this.name
    if to in ("TEXT", "VARCHAR") and a.kind in ("int", "text"):
        return Expr(f"CAST({a.sql} AS text)", "text")  # integers print alike in both
    raise NotCopyable(f"a cast of {a.kind} to {to}")


def _same_kind(parts: list[Expr]) -> Expr:
    kinds = {p.kind for p in parts} - {"null"}
    if len(kinds) > 1 and kinds != {"int", "dec"}:
        raise NotCopyable(f"branches of kinds {sorted(kinds)}")
    kind = "dec" if kinds == {"int", "dec"} else (kinds.pop() if kinds else "null")
    digits = (max(p.digits[0] for p in parts), max(p.digits[1] for p in parts))
    return Expr("", kind, digits)


def _coalesce(r: _Render, node: Any) -> Expr:
    parts = [r(node.this), *(r(e) for e in node.expressions)]
    shape = _same_kind(parts)
    return Expr(f"COALESCE({', '.join(p.sql for p in parts)})", shape.kind, shape.digits)


def _case(r: _Render, node: Any) -> Expr:
    if node.this is not None:
        raise NotCopyable("CASE with an operand")
    conds = [(_boolean(r(i.this)), r(i.args["true"])) for i in node.args["ifs"]]
    default = r(node.args["default"]) if node.args.get("default") else Expr("NULL", "null")
    shape = _same_kind([v for _, v in conds] + [default])
    whens = " ".join(f"WHEN {c.sql} THEN {v.sql}" for c, v in conds)
    return Expr(f"(CASE {whens} ELSE {default.sql} END)", shape.kind, shape.digits)


def _boolean(e: Expr) -> Expr:
    if e.kind not in ("bool", "null"):
        raise NotCopyable(f"a {e.kind} used as a condition")
    return e


def _compare(op: str) -> Callable[[_Render, Any], Expr]:
    def render(r: _Render, node: Any) -> Expr:
        a, b = r(node.this), r(node.expression)
        if len({a.kind, b.kind} - {"null"}) > 1 and {a.kind, b.kind} != {"int", "dec"}:
            raise NotCopyable(f"{a.kind} {op} {b.kind}")  # Spark would cast one side
        if "text" in (a.kind, b.kind) and op not in ("=", "<>"):
            raise NotCopyable(f"text {op} text")  # Spark orders bytes, PostgreSQL a collation
        return Expr(f"({a.sql} {op} {b.sql})", "bool")

    return render


def _logic(op: str) -> Callable[[_Render, Any], Expr]:
    def render(r: _Render, node: Any) -> Expr:
        a, b = _boolean(r(node.this)), _boolean(r(node.expression))
        return Expr(f"({a.sql} {op} {b.sql})", "bool")

    return render


def _is(r: _Render, node: Any) -> Expr:
    if type(node.expression).__name__ != "Null":
        raise NotCopyable("IS other than IS NULL")
    return Expr(f"({r(node.this).sql} IS NULL)", "bool")


NODES: dict[str, Callable[[_Render, Any], Expr]] = {
    "Column": _column, "Literal": _literal, "Null": lambda r, n: Expr("NULL", "null"),
    "Boolean": lambda r, n: Expr("TRUE" if n.this else "FALSE", "bool"),
    "Paren": lambda r, n: r(n.this), "Neg": _neg,
    "Add": _arith("+"), "Sub": _arith("-"), "Mul": _arith("*"),
    "Concat": _concat, "Cast": _cast, "TryCast": _cast, "Coalesce": _coalesce, "Case": _case,
    "EQ": _compare("="), "NEQ": _compare("<>"), "GT": _compare(">"), "GTE": _compare(">="),
    "LT": _compare("<"), "LTE": _compare("<="), "And": _logic("AND"), "Or": _logic("OR"),
    "Not": lambda r, n: Expr(f"(NOT {_boolean(r(n.this)).sql})", "bool"), "Is": _is,
}


def expression_sql(source: Any, col: ColumnPlan, types: dict[str, LType]) -> str:
    import sqlglot
    from sqlglot.errors import ParseError

    try:
        tree = sqlglot.parse_one(col.expression or "", read="spark")
    except ParseError as err:
        raise NotCopyable(f"expression {col.expression!r}") from err
    return _as_target(_Render(source, types)(tree), col)


# result kind -> target kinds it may be written to, and whether through a CAST: a number
# casts alike in both (overflow fails, decimals round half away from zero; never a
# decimal to an integer, which Spark truncates); text and booleans go as they are, so that
# COPY checks a varchar's length as it does on the DataFrame path (a CAST would cut it)
RESULTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "int": ((*INT_DIGITS, "decimal"), True),
    "dec": (("decimal",), True),
    "text": (TEXT_KINDS, False),
    "bool": (("bool",), False),
}


def _as_target(e: Expr, col: ColumnPlan) -> str:
    if e.kind == "null":
        return f"CAST(NULL AS {col.target_type})"
    kinds, cast = RESULTS[e.kind]
    if col.ltype.kind not in kinds:
        raise NotCopyable(f"a {e.kind} result written as {col.ltype}")
    return f"CAST({e.sql} AS {col.target_type})" if cast else e.sql


def column_sql(source: Any, col: ColumnPlan, types: dict[str, LType]) -> str:
    """The source expression of one target column, or NotCopyable."""
    if col.expression is not None:
        return expression_sql(source, col, types)
    if col.source is None:
        raise NotCopyable(f"column {col.target_name} has no source")
    q = source.quote(col.source.name)
    if col.target_type == col.source.native_type:
        return q
    if any(rule(col.source.ltype, col.ltype) for rule in WIDENING):
        return f"CAST({q} AS {col.target_type})"
    if col.source.ltype.kind in INT_DIGITS and col.ltype.kind in TEXT_KINDS:
        return f"CAST({q} AS text)"
    raise NotCopyable(f"column {col.target_name}: {col.source.ltype} to {col.ltype}")


def blocker(source: Any, plan: TablePlan) -> str | None:
    """The column the same-engine copy cannot produce exactly (None when every one is)."""
    types = {c.name: c.ltype for c in plan.source.columns}
    for c in plan.columns:
        try:
            column_sql(source, c, types)
        except NotCopyable as exc:
            return str(exc)
    return None


def select_list(source: Any, plan: TablePlan) -> list[str] | None:
    """Every target column as a source expression, in plan order; None when one is not
    copyable (the table takes the DataFrame path)."""
    types = {c.name: c.ltype for c in plan.source.columns}
    try:
        return [column_sql(source, c, types) for c in plan.columns]
    except NotCopyable:
        return None
