"""Add-column expressions: AWS DMS's SQLite syntax translated to Spark SQL.

AWS DMS evaluates a transformation ``expression`` with SQLite, columns written ``$NAME``
(https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Expressions.html).
sqlglot parses the SQLite text; the table ``HANDLERS`` below renders each node as Spark SQL
with SQLite's semantics where they differ from Spark's:

  ``||``            text concatenation; numbers and booleans (as 1/0) become text first
  ``a / b``         integer division when both sides are integers; division or ``%`` by
                    zero is NULL
  ``LIKE``          case-insensitive for ASCII letters only; ``GLOB`` case-sensitive
  ``hex(NULL)``     '' (empty text)
  ``upper/lower``   ASCII letters only, as SQLite's built-in functions
  ``max/min(a,b)``  scalar: NULL when any argument is NULL
  ``log(x)``        base 10; ``log(b, x)`` base b
  ``CAST``          SQLite type affinity: *INT* -> BIGINT, *CHAR*/TEXT/CLOB -> STRING,
                    REAL/FLOAT/DOUBLE -> DOUBLE, BLOB -> BINARY, NUMERIC(p,s)/DECIMAL(p,s) ->
                    DECIMAL(p,s) (DECIMAL(38,18) without precision), DATE -> DATE,
                    DATETIME/TIMESTAMP -> TIMESTAMP; text to a number takes its longest
                    numeric prefix, as SQLite ('12abc' -> 12, 'abc' -> 0)
  date/time         ``date()``, ``time()``, ``datetime()``, ``julianday()``, ``unixepoch()``,
                    ``strftime()`` return SQLite's text forms ('YYYY-MM-DD HH:MM:SS', UTC);
                    time value 'now', a date/time column or text; modifiers '+N days'
                    (years, months, days, hours, minutes, seconds), 'start of day|month|year',
                    'unixepoch'
  headers           ``$AR_M_SOURCE_SCHEMA``, ``$AR_M_SOURCE_TABLE_NAME``: the source names;
                    full-load values of the change headers: ``$AR_H_OPERATION`` 'INSERT',
                    ``$AR_H_TIMESTAMP`` / ``$AR_H_COMMIT_TIMESTAMP`` the current time (UTC),
                    ``$AR_H_DB_COMMIT_TIMESTAMP`` NULL, ``$AR_H_CHANGE_SEQ``,
                    ``$AR_H_STREAM_POSITION``, ``$AR_H_TRANSACTION_ID``, ``$AR_H_USER`` ''
  ``operation_indicator(d, u, i)``  ``i``: every row of a full load is an insert

Anything else (subqueries, aggregates, ``printf``, ``random()``, unknown headers, ...) is
refused with the construct named, when the task is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from sparkdms.types import LType, spark_quote, spark_type

LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = LOWER.upper()


class Untranslatable(Exception):
    """An expression, or a construct in it, that has no Spark SQL translation."""


@dataclass(frozen=True)
class Typed:
    sql: str
    kind: str  # int | num | text | blob | bool | date | ts | null | any


@dataclass(frozen=True)
class Scope:
    columns: Mapping[str, LType] = field(default_factory=dict)  # source column -> type
    schema: str = ""
    table: str = ""
    known: bool = True  # False: a dry run when the task is read (no catalog yet)
    cdc: bool = False  # change headers read the change's columns (CDC_HEADERS), not constants


@dataclass(frozen=True)
class Compiled:
    text: str
    tree: Any
    columns: tuple[str, ...]  # source columns the expression reads ($NAME)


def spark_str(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def kind_of(ltype: LType) -> str:
    from pyspark.sql import types as T

    st = spark_type(ltype)
    table: tuple[tuple[type, str], ...] = (
        (T.BooleanType, "bool"), (T.IntegralType, "int"), (T.FractionalType, "num"),
        (T.DateType, "date"), (T.TimestampType, "ts"), (T.TimestampNTZType, "ts"),
        (T.BinaryType, "blob"))
    return next((kind for cls, kind in table if isinstance(st, cls)), "text")


def describe(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return f"function {node.name}()"
    if isinstance(node, exp.Func) and not isinstance(node, exp.Binary):
        return f"function {node.sql(dialect='sqlite').split('(', 1)[0].lower()}()"
    return f"{node.key.upper()} ({node.sql(dialect='sqlite')[:60]})"


def _column_refs(tree: exp.Expression) -> tuple[str, ...]:
    names = [c.name[1:] for c in tree.find_all(exp.Column, bfs=False)
             if c.name.startswith("$") and not c.name.startswith("$AR_")]
    return tuple(dict.fromkeys(names))


def compile_expression(text: str) -> Compiled:
    """Parse and check once (raises Untranslatable); render per table with ``render``."""
    if not text.strip():
        raise Untranslatable("the expression is empty")
    try:
        statements = sqlglot.parse(f"SELECT {text}", read="sqlite")
    except sqlglot.errors.ParseError as err:
        raise Untranslatable("not valid SQLite syntax: "
                             + str(err).splitlines()[0][:200]) from None
    stmt = statements[0] if len(statements) == 1 else None
    if not isinstance(stmt, exp.Select) or len(stmt.expressions) != 1 or any(
            stmt.args.get(k) for k in ("from", "where", "group", "having", "order", "limit",
                                        "joins", "with", "distinct")):
        raise Untranslatable("must be a single expression (no statement, list or clause)")
    tree = stmt.expressions[0]
    compiled = Compiled(text, tree, _column_refs(tree))
    render(compiled, Scope(known=False))  # every construct is checked now
    return compiled


def render(compiled: Compiled, scope: Scope) -> str:
    return _Renderer(scope)(compiled.tree).sql


# -- the renderer -------------------------------------------------------------------------------

class _Renderer:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def __call__(self, node: Any) -> Typed:
        handler = HANDLERS.get(type(node))
        if handler is None:
            raise Untranslatable(describe(node))
        return handler(self, node)

    def text(self, node: Any) -> str:
        """The node as Spark text, with SQLite's conversions (booleans are 1/0)."""
        t = self(node)
        if t.kind in ("text", "null", "any"):
            return t.sql
        if t.kind == "bool":
            return f"CAST(CAST({t.sql} AS INT) AS STRING)"
        return f"CAST({t.sql} AS STRING)"

    def boolean(self, node: Any) -> str:
        t = self(node)
        if t.kind in ("bool", "null", "any"):
            return t.sql
        if t.kind in ("int", "num"):
            return f"({t.sql} <> 0)"
        return f"(try_cast({t.sql} AS DOUBLE) <> 0)"

    def args(self, node: exp.Expression) -> list[Any]:
        return [node.this, *node.expressions] if node.this is not None else list(node.expressions)


def _column(r: _Renderer, node: exp.Column) -> Typed:
    name = node.name
    if node.args.get("table") is not None or node.this.args.get("quoted") or \
            not name.startswith("$"):
        raise Untranslatable(f"{node.sql(dialect='sqlite')!s}: columns are written $NAME and "
                             "text in single quotes")
    name = name[1:]
    if name.startswith("AR_"):
        return _header(r, name)
    if not r.scope.known:
        return Typed(spark_quote(name), "any")
    if name not in r.scope.columns:
        near = [c for c in r.scope.columns if c.lower() == name.lower()]
        hint = f" (names are case-sensitive: did you mean ${near[0]}?)" if near else ""
        raise Untranslatable(f"column ${name} does not exist in {r.scope.schema}."
                             f"{r.scope.table}{hint}")
    return Typed(spark_quote(name), kind_of(r.scope.columns[name]))


_NOW = Typed("date_format(current_timestamp(), 'yyyy-MM-dd HH:mm:ss')", "text")
_EMPTY = Typed("''", "text")
# header columns and their values in a full load (every row is an insert, read now; the
# change-stream headers are empty, the source's commit time unknown)
HEADERS: dict[str, Callable[[Scope], Typed]] = {
    "AR_M_SOURCE_SCHEMA": lambda s: Typed(spark_str(s.schema), "text"),
    "AR_M_SOURCE_TABLE_NAME": lambda s: Typed(spark_str(s.table), "text"),
    "AR_H_OPERATION": lambda s: Typed("'INSERT'", "text"),
    "AR_H_TIMESTAMP": lambda s: _NOW,
    "AR_H_COMMIT_TIMESTAMP": lambda s: _NOW,
    "AR_H_DB_COMMIT_TIMESTAMP": lambda s: Typed("NULL", "null"),
    "AR_H_CHANGE_SEQ": lambda s: _EMPTY,
    "AR_H_STREAM_POSITION": lambda s: _EMPTY,
    "AR_H_TRANSACTION_ID": lambda s: _EMPTY,
    "AR_H_USER": lambda s: _EMPTY,
}


# the same headers in change data capture: columns the change frame carries (text), the
# operation 'INSERT' | 'UPDATE' | 'DELETE' (sparkdms/cdc/frame.py fills them)
CDC_HEADERS: dict[str, str] = {
    "AR_H_OPERATION": "_sdms_h_operation", "AR_H_TIMESTAMP": "_sdms_h_timestamp",
    "AR_H_COMMIT_TIMESTAMP": "_sdms_h_timestamp", "AR_H_DB_COMMIT_TIMESTAMP": "_sdms_h_timestamp",
    "AR_H_CHANGE_SEQ": "_sdms_h_change_seq", "AR_H_STREAM_POSITION": "_sdms_h_position",
    "AR_H_TRANSACTION_ID": "_sdms_h_txid",
}


def _header(r: _Renderer, name: str) -> Typed:
    if r.scope.cdc and name in CDC_HEADERS:
        return Typed(spark_quote(CDC_HEADERS[name]), "text")
    if name not in HEADERS:
        raise Untranslatable(f"header ${name} (supported: "
                             f"{', '.join('$' + h for h in HEADERS)})")
    return HEADERS[name](r.scope)


def _literal(r: _Renderer, node: exp.Literal) -> Typed:
    if node.is_string:
        return Typed(spark_str(node.this), "text")
    text = str(node.this)
    return Typed(text, "int" if text.isdigit() else "num")


def _arith(op: str) -> Callable[[_Renderer, Any], Typed]:
    def render_op(r: _Renderer, node: Any) -> Typed:
        a, b = r(node.this), r(node.expression)
        kind = "int" if a.kind == b.kind == "int" else "num"
        return Typed(f"({a.sql} {op} {b.sql})", kind)
    return render_op


def _div(r: _Renderer, node: Any) -> Typed:
    a, b = r(node.this), r(node.expression)
    if a.kind == b.kind == "int":
        return Typed(f"(CASE WHEN {b.sql} = 0 THEN NULL ELSE {a.sql} DIV {b.sql} END)", "int")
    return Typed(f"try_divide({a.sql}, {b.sql})", "num")


def _mod(r: _Renderer, node: Any) -> Typed:
    a, b = (r(node.this), r(node.expression))
    ints = [x.sql if x.kind == "int" else f"CAST({x.sql} AS BIGINT)" for x in (a, b)]
    return Typed(f"(CASE WHEN {ints[1]} = 0 THEN NULL ELSE {ints[0]} % {ints[1]} END)", "int")


def _compare(op: str) -> Callable[[_Renderer, Any], Typed]:
    def render_cmp(r: _Renderer, node: Any) -> Typed:
        return Typed(f"({r(node.this).sql} {op} {r(node.expression).sql})", "bool")
    return render_cmp


def _logic(op: str) -> Callable[[_Renderer, Any], Typed]:
    def render_logic(r: _Renderer, node: Any) -> Typed:
        return Typed(f"({r.boolean(node.this)} {op} {r.boolean(node.expression)})", "bool")
    return render_logic


def _is(r: _Renderer, node: exp.Is) -> Typed:
    other = node.expression
    if isinstance(other, exp.Null):
        return Typed(f"({r(node.this).sql} IS NULL)", "bool")
    return Typed(f"({r(node.this).sql} <=> {r(other).sql})", "bool")


def _in(r: _Renderer, node: exp.In) -> Typed:
    if node.args.get("query") is not None or node.args.get("unnest") is not None or \
            not node.expressions:
        raise Untranslatable("IN with a subquery")
    items = ", ".join(r(e).sql for e in node.expressions)
    return Typed(f"({r(node.this).sql} IN ({items}))", "bool")


def _ascii_lower(sql: str) -> str:
    return f"translate({sql}, '{UPPER}', '{LOWER}')"


def _like(r: _Renderer, node: exp.Like, escape: str = "") -> Typed:
    """SQLite's LIKE ignores the case of ASCII letters only ('ë' and 'Ë' differ)."""
    sql = (f"({_ascii_lower(r.text(node.this))} LIKE {_ascii_lower(r.text(node.expression))}"
           f"{escape})")
    return Typed(f"(NOT {sql})" if node.args.get("negate") else sql, "bool")


def _escape(r: _Renderer, node: exp.Escape) -> Typed:
    if not isinstance(node.this, exp.Like):
        raise Untranslatable(describe(node))
    return _like(r, node.this, f" ESCAPE {r(node.expression).sql}")


def glob_regex(pattern: str) -> str:
    out, i = ["^"], 0
    while i < len(pattern):
        ch, end = pattern[i], pattern.find("]", i + 2)
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[" and end != -1:
            body = pattern[i + 1:end]
            neg = body.startswith("^")
            members = (body[1:] if neg else body).replace("\\", "\\\\").replace("[", "\\[")
            out.append("[" + ("^" if neg else "") + members + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "(?s)" + "".join(out) + "$"


def _glob(r: _Renderer, node: exp.Glob) -> Typed:
    if not isinstance(node.expression, exp.Literal) or not node.expression.is_string:
        raise Untranslatable("GLOB with a pattern that is not a text literal")
    sql = f"({r.text(node.this)} RLIKE {spark_str(glob_regex(node.expression.this))})"
    return Typed(f"(NOT {sql})" if node.args.get("negate") else sql, "bool")


def _dpipe(r: _Renderer, node: exp.DPipe) -> Typed:
    parts: list[Any] = []
    stack: list[Any] = [node]
    while stack:  # flatten a || b || c, keeping the order
        item = stack.pop()
        if isinstance(item, exp.DPipe):
            stack += [item.expression, item.this]
        else:
            parts.append(item)
    return Typed(f"concat({', '.join(r.text(p) for p in parts)})", "text")


def _concat(r: _Renderer, node: exp.Concat) -> Typed:
    return Typed(f"concat_ws('', {', '.join(r.text(e) for e in node.expressions)})", "text")


def _first_kind(typed: list[Typed]) -> str:
    return next((t.kind for t in typed if t.kind != "null"), "null")


def _case(r: _Renderer, node: exp.Case) -> Typed:
    base = r(node.this).sql + " " if node.this is not None else ""
    parts, values = [], []
    for branch in node.args.get("ifs") or []:
        cond = r(branch.this).sql if node.this is not None else r.boolean(branch.this)
        value = r(branch.args["true"])
        values.append(value)
        parts.append(f"WHEN {cond} THEN {value.sql}")
    default = node.args.get("default")
    if default is not None:
        value = r(default)
        values.append(value)
        parts.append(f"ELSE {value.sql}")
    return Typed(f"(CASE {base}{' '.join(parts)} END)", _first_kind(values))


def _if(r: _Renderer, node: exp.If) -> Typed:
    a = r(node.args["true"])
    b = r(node.args["false"]) if node.args.get("false") is not None else Typed("NULL", "null")
    return Typed(f"IF({r.boolean(node.this)}, {a.sql}, {b.sql})", _first_kind([a, b]))


def _coalesce(r: _Renderer, node: Any) -> Typed:
    typed = [r(a) for a in r.args(node)]
    return Typed(f"coalesce({', '.join(t.sql for t in typed)})", _first_kind(typed))


def _nullif(r: _Renderer, node: exp.Nullif) -> Typed:
    a = r(node.this)
    return Typed(f"nullif({a.sql}, {r(node.expression).sql})", a.kind)


def _extreme(fn: str) -> Callable[[_Renderer, Any], Typed]:
    def render_extreme(r: _Renderer, node: Any) -> Typed:
        typed = [r(a) for a in r.args(node)]
        if len(typed) < 2:
            raise Untranslatable(f"aggregate {'max' if fn == 'greatest' else 'min'}()")
        nulls = " OR ".join(f"{t.sql} IS NULL" for t in typed)
        return Typed(f"(CASE WHEN {nulls} THEN NULL ELSE {fn}"
                     f"({', '.join(t.sql for t in typed)}) END)", _first_kind(typed))
    return render_extreme


def _case_fold(src: str, dst: str) -> Callable[[_Renderer, Any], Typed]:
    def render_fold(r: _Renderer, node: Any) -> Typed:
        return Typed(f"translate({r.text(node.this)}, '{src}', '{dst}')", "text")
    return render_fold


def _trim(r: _Renderer, node: exp.Trim) -> Typed:
    where = str(node.args.get("position") or "BOTH").upper()
    chars = node.args.get("expression")
    what = f"{where} {r.text(chars)} FROM" if chars is not None else f"{where} FROM"
    return Typed(f"trim({what} {r.text(node.this)})", "text")


def _substring(r: _Renderer, node: exp.Substring) -> Typed:
    this = r(node.this)
    value, kind = (this.sql, "blob") if this.kind == "blob" else (r.text(node.this), "text")
    args = [value, r(node.args["start"]).sql]
    if node.args.get("length") is not None:
        args.append(r(node.args["length"]).sql)
    return Typed(f"substring({', '.join(args)})", kind)


def _length(r: _Renderer, node: exp.Length) -> Typed:
    t = r(node.this)
    if t.kind == "blob":
        return Typed(f"length({t.sql})", "int")
    return Typed(f"char_length({r.text(node.this)})", "int")


def _replace(r: _Renderer, node: exp.Replace) -> Typed:
    return Typed(f"replace({r.text(node.this)}, {r.text(node.expression)}, "
                 f"{r.text(node.args['replacement'])})", "text")


def _instr(r: _Renderer, node: exp.StrPosition) -> Typed:
    if node.args.get("position") is not None:
        raise Untranslatable("instr() with a start position")
    return Typed(f"instr({r.text(node.this)}, {r.text(node.args['substr'])})", "int")


def _round(r: _Renderer, node: exp.Round) -> Typed:
    digits = node.args.get("decimals")
    d = r(digits).sql if digits is not None else "0"
    return Typed(f"round({r(node.this).sql}, {d})", "num")


def _unary(fn: str, kind: str | None = None) -> Callable[[_Renderer, Any], Typed]:
    def render_unary(r: _Renderer, node: Any) -> Typed:
        t = r(node.this)
        return Typed(f"{fn}({t.sql})", kind or t.kind)
    return render_unary


def _pow(r: _Renderer, node: exp.Pow) -> Typed:
    return Typed(f"power({r(node.this).sql}, {r(node.expression).sql})", "num")


def _log(r: _Renderer, node: exp.Log) -> Typed:
    if node.expression is None:
        return Typed(f"log10({r(node.this).sql})", "num")
    return Typed(f"log({r(node.this).sql}, {r(node.expression).sql})", "num")


def _hex(r: _Renderer, node: exp.Hex) -> Typed:
    t = r(node.this)
    value = t.sql if t.kind == "blob" else r.text(node.this)
    return Typed(f"coalesce(hex({value}), '')", "text")  # SQLite: hex(NULL) is ''


# SQLite type affinity (https://sqlite.org/datatype3.html#affinity_name_examples), in order
CASTS: tuple[tuple[Callable[[str], bool], Callable[[str, tuple[str, ...]], tuple[str, str]]], ...] = (
    (lambda n: "INT" in n, lambda n, a: ("BIGINT", "int")),
    (lambda n: any(w in n for w in ("CHAR", "CLOB", "TEXT")), lambda n, a: ("STRING", "text")),
    (lambda n: n in ("BLOB", "VARBINARY", "BINARY", ""), lambda n, a: ("BINARY", "blob")),
    (lambda n: any(w in n for w in ("REAL", "FLOA", "DOUB")), lambda n, a: ("DOUBLE", "num")),
    (lambda n: n in ("DATETIME", "TIMESTAMP"), lambda n, a: ("TIMESTAMP", "ts")),
    (lambda n: n == "DATE", lambda n, a: ("DATE", "date")),
    (lambda n: n.startswith("BOOL"), lambda n, a: ("BOOLEAN", "bool")),
    (lambda n: n in ("NUMERIC", "DECIMAL"),
     lambda n, a: (f"DECIMAL({a[0]},{a[1] if len(a) > 1 else 0})" if a else "DECIMAL(38,18)",
                   "num")),
)


def _cast(r: _Renderer, node: exp.Cast) -> Typed:
    spelled = node.args["to"].sql().upper()  # sqlglot's neutral spelling keeps DECIMAL(p, s)
    name = spelled.split("(", 1)[0].strip()
    args = tuple(a.strip() for a in spelled[len(name):].strip(" ()").split(",") if a.strip())
    if args and not all(a.isdigit() for a in args):
        raise Untranslatable(f"CAST to {spelled}")
    value = r(node.this)
    for test, make in CASTS:
        if test(name):
            target, kind = make(name, args)
            if value.kind == "text" and kind in NUMERIC_PREFIX:
                digits = f"regexp_extract({value.sql}, {spark_str(NUMERIC_PREFIX[kind])}, 1)"
                return Typed(f"CAST(IF({value.sql} IS NULL, NULL, coalesce(nullif({digits}, ''), "
                             f"'0')) AS {target})", kind)
            return Typed(f"CAST({value.sql} AS {target})", kind)
    raise Untranslatable(f"CAST to {spelled}")


# SQLite reads text as a number by its longest numeric prefix ('12abc' -> 12, 'x' -> 0)
NUMERIC_PREFIX = {
    "int": r"^\s*([+-]?[0-9]+)",
    "num": r"^\s*([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?)",
}


# -- date and time ------------------------------------------------------------------------------

INTERVAL_UNITS = {"year": 0, "month": 1, "day": 3, "hour": 4, "minute": 5, "second": 6}
_MODIFIER = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*(year|month|day|hour|minute|second)s?",
                       re.IGNORECASE)
_START_OF = re.compile(r"start of (day|month|year)", re.IGNORECASE)
STRFTIME_PATTERNS = {"d": "dd", "H": "HH", "j": "DDD", "m": "MM", "M": "mm", "S": "ss",
                     "Y": "yyyy", "f": "ss.SSS"}
STRFTIME_COMPUTED = {
    "s": "CAST(unix_seconds({t}) AS STRING)",
    "w": "CAST(dayofweek({t}) - 1 AS STRING)",
    "J": "CAST(unix_micros({t}) / 86400000000D + 2440587.5D AS STRING)",
}


def _text_literal(node: Any, what: str) -> str:
    if not isinstance(node, exp.Literal) or not node.is_string:
        raise Untranslatable(f"{what} that is not a text literal")
    return str(node.this)


def _modify(ts: str, modifier: str) -> str:
    m = _MODIFIER.fullmatch(modifier.strip())
    if m:
        number, unit = m.group(1), m.group(2).lower()
        if "." in number and unit != "second":
            raise Untranslatable(f"modifier {modifier!r} (fractional {unit}s)")
        slots = ["0"] * 7
        slots[INTERVAL_UNITS[unit]] = number
        return f"({ts} + make_interval({', '.join(slots)}))"
    s = _START_OF.fullmatch(modifier.strip())
    if s:
        return f"date_trunc('{s.group(1).upper()}', {ts})"
    raise Untranslatable(f"date/time modifier {modifier!r}")


def _time_value(r: _Renderer, args: list[Any]) -> str:
    """The time value and modifiers of a SQLite date/time function, as a Spark TIMESTAMP."""
    if not args:
        return "current_timestamp()"
    first, mods = args[0], [_text_literal(m, "a date/time modifier") for m in args[1:]]
    if mods and mods[0].strip().lower() == "unixepoch":
        ts, mods = f"timestamp_seconds({r(first).sql})", mods[1:]
    elif isinstance(first, exp.Literal) and first.is_string and first.this.lower() == "now":
        ts = "current_timestamp()"
    else:
        t = r(first)
        if t.kind in ("int", "num"):
            raise Untranslatable("a number as time value (Julian day); add the 'unixepoch' "
                                 "modifier for Unix seconds")
        ts = f"CAST({t.sql} AS TIMESTAMP)" if t.kind in ("date", "ts") else \
            f"try_cast({t.sql} AS TIMESTAMP)"
    for mod in mods:
        ts = _modify(ts, mod)
    return ts


def _format(fmt: str, ts: str) -> str:
    """SQLite strftime format -> Spark: date_format runs and computed pieces, concatenated
    (literal text is quoted once per run, so '100%%' stays 100%)."""
    parts: list[str] = []
    pattern, literal = "", ""

    def end_literal() -> None:
        nonlocal pattern, literal
        if literal:
            pattern += "'" + literal.replace("'", "''") + "'"
            literal = ""

    def flush() -> None:
        nonlocal pattern
        end_literal()
        if pattern:
            parts.append(f"date_format({ts}, {spark_str(pattern)})")
            pattern = ""

    i = 0
    while i < len(fmt):
        ch, code = fmt[i], fmt[i + 1] if i + 1 < len(fmt) else ""
        if ch != "%" or not code:
            literal += ch
            i += 1
            continue
        i += 2
        if code in STRFTIME_PATTERNS:
            end_literal()
            pattern += STRFTIME_PATTERNS[code]
        elif code == "%":
            literal += "%"
        elif code in STRFTIME_COMPUTED:
            flush()
            parts.append(STRFTIME_COMPUTED[code].format(t=ts))
        else:
            raise Untranslatable(f"strftime format %{code}")
    flush()
    if not parts:
        return "''"
    return parts[0] if len(parts) == 1 else f"concat({', '.join(parts)})"


DATE_FUNCTIONS: dict[str, Callable[[str], tuple[str, str]]] = {
    "date": lambda ts: (f"date_format({ts}, 'yyyy-MM-dd')", "text"),
    "time": lambda ts: (f"date_format({ts}, 'HH:mm:ss')", "text"),
    "datetime": lambda ts: (f"date_format({ts}, 'yyyy-MM-dd HH:mm:ss')", "text"),
    "julianday": lambda ts: (f"(unix_micros({ts}) / 86400000000D + 2440587.5D)", "num"),
    "unixepoch": lambda ts: (f"unix_seconds({ts})", "int"),
}


def _date_function(r: _Renderer, name: str, args: list[Any]) -> Typed:
    if name == "strftime":
        if not args:
            raise Untranslatable("strftime() without a format")
        fmt = _text_literal(args[0], "a strftime format")
        return Typed(_format(fmt, _time_value(r, args[1:])), "text")
    sql, kind = DATE_FUNCTIONS[name](_time_value(r, args))
    return Typed(sql, kind)


def _operation_indicator(r: _Renderer, args: list[Any]) -> Typed:
    if len(args) != 3:
        raise Untranslatable("operation_indicator() needs three values (deleted, updated, "
                             "inserted)")
    if not r.scope.cdc:
        return r(args[2])
    d, u, i = (r(a) for a in args)
    op = spark_quote(CDC_HEADERS["AR_H_OPERATION"])
    return Typed(f"(CASE {op} WHEN 'DELETE' THEN {d.sql} WHEN 'UPDATE' THEN {u.sql} "
                 f"ELSE {i.sql} END)", i.kind)


def _anonymous(r: _Renderer, node: exp.Anonymous) -> Typed:
    name = node.name.lower()
    if name in DATE_FUNCTIONS or name == "strftime":
        return _date_function(r, name, list(node.expressions))
    if name == "operation_indicator":
        return _operation_indicator(r, list(node.expressions))
    raise Untranslatable(describe(node))


def _date(r: _Renderer, node: exp.Date) -> Typed:
    return _date_function(r, "date", r.args(node))


def _time_to_str(r: _Renderer, node: exp.TimeToStr) -> Typed:
    value = node.this.this if isinstance(node.this, exp.TsOrDsToTimestamp) else node.this
    return _date_function(r, "strftime", [node.args["format"], value])


def _now(fmt: str) -> Callable[[_Renderer, Any], Typed]:
    return lambda r, node: Typed(f"date_format(current_timestamp(), '{fmt}')", "text")


HANDLERS: dict[type, Callable[[_Renderer, Any], Typed]] = {
    exp.Column: _column,
    exp.Literal: _literal,
    exp.Null: lambda r, n: Typed("NULL", "null"),
    exp.Boolean: lambda r, n: Typed("TRUE" if n.this else "FALSE", "bool"),
    exp.HexString: lambda r, n: Typed(f"X'{n.this}'", "blob"),
    exp.Paren: lambda r, n: (lambda t: Typed(f"({t.sql})", t.kind))(r(n.this)),
    exp.Neg: lambda r, n: (lambda t: Typed(f"(- {t.sql})", t.kind))(r(n.this)),
    exp.Not: lambda r, n: Typed(f"(NOT {r.boolean(n.this)})", "bool"),
    exp.Add: _arith("+"), exp.Sub: _arith("-"), exp.Mul: _arith("*"),
    exp.Div: _div, exp.Mod: _mod,
    exp.EQ: _compare("="), exp.NEQ: _compare("<>"), exp.GT: _compare(">"),
    exp.GTE: _compare(">="), exp.LT: _compare("<"), exp.LTE: _compare("<="),
    exp.NullSafeEQ: _compare("<=>"),
    exp.NullSafeNEQ: lambda r, n: Typed(f"(NOT ({r(n.this).sql} <=> {r(n.expression).sql}))",
                                        "bool"),
    exp.And: _logic("AND"), exp.Or: _logic("OR"),
    exp.Is: _is, exp.In: _in,
    exp.Between: lambda r, n: Typed(f"({r(n.this).sql} BETWEEN {r(n.args['low']).sql} AND "
                                    f"{r(n.args['high']).sql})", "bool"),
    exp.Like: _like, exp.Escape: _escape, exp.Glob: _glob,
    exp.BitwiseAnd: _arith("&"), exp.BitwiseOr: _arith("|"),
    exp.BitwiseNot: _unary("~", "int"),
    exp.BitwiseLeftShift: lambda r, n: Typed(f"shiftleft({r(n.this).sql}, "
                                             f"{r(n.expression).sql})", "int"),
    exp.BitwiseRightShift: lambda r, n: Typed(f"shiftright({r(n.this).sql}, "
                                              f"{r(n.expression).sql})", "int"),
    exp.DPipe: _dpipe, exp.Concat: _concat,
    exp.Case: _case, exp.If: _if, exp.Coalesce: _coalesce, exp.Nullif: _nullif,
    exp.Greatest: _extreme("greatest"), exp.Least: _extreme("least"),
    exp.Upper: _case_fold(LOWER, UPPER), exp.Lower: _case_fold(UPPER, LOWER),
    exp.Trim: _trim, exp.Substring: _substring, exp.Length: _length, exp.Replace: _replace,
    exp.StrPosition: _instr, exp.Hex: _hex,
    exp.Round: _round, exp.Abs: _unary("abs"), exp.Sign: _unary("sign", "int"),
    exp.Ceil: _unary("ceil", "int"), exp.Floor: _unary("floor", "int"),
    exp.Sqrt: _unary("sqrt", "num"), exp.Exp: _unary("exp", "num"), exp.Ln: _unary("ln", "num"),
    exp.Pow: _pow, exp.Log: _log,
    exp.Cast: _cast,
    exp.Anonymous: _anonymous, exp.Date: _date, exp.TimeToStr: _time_to_str,
    exp.CurrentTimestamp: _now("yyyy-MM-dd HH:mm:ss"), exp.CurrentDate: _now("yyyy-MM-dd"),
    exp.CurrentTime: _now("HH:mm:ss"),
}
