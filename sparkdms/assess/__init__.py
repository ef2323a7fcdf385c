"""``sparkdms assess TASK``: a premigration assessment, as JSON and as an HTML page.

What a DBA gets, per table: the column-by-column type mapping with what each
conversion does (exact, represented differently, lossy, unsupported), tables
without a primary key or unique index, LOB columns, names that collide or get cut
on the target, defaults/checks/keys that will not be carried, and data problems
found by sampling the source (zero dates, values out of range for the target type,
text longer than the target column, NUL characters, infinities, wrong SQLite storage
classes). Then the source's views (each converted to the target dialect with sqlglot,
an action item where that fails), triggers and routines, and the AWS DMS premigration
checks that apply to these engines. Every item has a level (error / warning / info)
and an effort grade as AWS SCT gives them (simple / medium / significant); a table's
grade is its hardest item.

An ``error`` item means the task refuses to run (or a table will fail) until it is
fixed; the ``action`` says how (usually a type_overrides line or a mapping rule).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sparkdms.catalog import Column, Table
from sparkdms.errors import SparkDmsError, UnsupportedTypeError
from sparkdms.plan import ColumnPlan, Plan, TablePlan, identifiers
from sparkdms.plan.build import build_plan, discover
from sparkdms.plan.typemap import Dialect, dialect
from sparkdms.plan.typemap.fidelity import changes, is_lob
from sparkdms.plan.typemap.resolve import lenient, override_hint
from sparkdms.registry import connector_for
from sparkdms.task import Task, load_task
from sparkdms.types import INTEGER_KINDS, STRING_KINDS, LType, parse_native

EFFORTS = ("simple", "medium", "significant")
LEVELS = ("info", "warning", "error")


@dataclass
class Item:
    category: str  # type, lossy, key, lob, name, data, object, view, trigger, routine, check
    level: str  # info | warning | error
    effort: str  # simple | medium | significant
    message: str
    table: str | None = None
    column: str | None = None
    action: str = ""
    example: str = ""


@dataclass
class ColumnReport:
    name: str
    target_name: str
    source_type: str
    target_type: str
    notes: list[str] = field(default_factory=list)


@dataclass
class TableReport:
    source: str
    target: str
    rows: int
    primary_key: list[str]
    columns: list[ColumnReport] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    sampled_rows: int | None = None

    @property
    def effort(self) -> str:
        graded = [i.effort for i in self.items if i.level != "info"] or ["simple"]
        return max(graded, key=EFFORTS.index)


@dataclass
class Assessment:
    task: str
    source: str
    target: str
    generated: str
    tables: list[TableReport] = field(default_factory=list)
    objects: list[Item] = field(default_factory=list)  # views, triggers, routines
    checks: list[Item] = field(default_factory=list)  # engine / task level
    converted_views: list[dict[str, str]] = field(default_factory=list)

    def items(self) -> list[Item]:
        return [i for t in self.tables for i in t.items] + self.objects + self.checks

    def summary(self) -> dict[str, Any]:
        items = self.items()
        return {
            "tables": len(self.tables),
            "levels": {lv: sum(i.level == lv for i in items) for lv in LEVELS},
            "table_effort": {e: sum(t.effort == e for t in self.tables) for e in EFFORTS},
            "object_effort": {e: sum(i.effort == e for i in self.objects) for e in EFFORTS},
            "blocking": [i.message for i in items if i.level == "error"][:50],
            "runnable": not any(i.level == "error" and i.category in ("type", "name")
                                for i in items),
        }

    def as_dict(self) -> dict[str, Any]:
        data = {"task": self.task, "source": self.source, "target": self.target,
                "generated": self.generated, "summary": self.summary(),
                "tables": [], "objects": [asdict(i) for i in self.objects],
                "checks": [asdict(i) for i in self.checks],
                "converted_views": self.converted_views}
        for t in self.tables:
            entry = asdict(t)
            entry["effort"] = t.effort
            data["tables"].append(entry)
        return data


# -- types: what each column's conversion does ------------------------------------------------

def _type_effort(level: str, code: str) -> str:
    if code == "geometry":
        return "medium"  # applications lose spatial functions
    return "simple" if level != "error" else "medium"


def column_items(tp: TablePlan, cp: ColumnPlan, target: Any, tdialect: Dialect,
                 same_family: bool) -> tuple[list[Item], list[str]]:
    src = cp.source
    if src is None:
        return [], []
    if same_family and cp.target_type == src.native_type:
        return [], []
    found = changes(src.ltype, cp.target_type, tdialect)
    items, notes = [], []
    for ch in found:
        notes.append(f"{ch.level}: {ch.message}")
        if ch.level == "info" and ch.code not in ("geometry", "timezone"):
            continue
        action = "" if ch.level == "info" else (
            "if the sampled data below shows no such value, accept; otherwise add type_overrides "
            f"{{\"{tp.source.schema}.{tp.source.name}.{src.name}\": \"<wider type>\"}}")
        items.append(Item("lossy" if ch.level != "info" else "type", ch.level,
                          _type_effort(ch.level, ch.code), f"{src.native_type} -> {cp.target_type}: "
                          f"{ch.message}", tp.source_label, src.name, action, ch.example))
    if is_lob(src.ltype):
        notes.append("info: LOB column")
    return items, notes


def table_items(tp: TablePlan, settings: Any) -> list[Item]:
    items = []
    if not tp.primary_key and not any(i.unique for i in tp.indexes):
        items.append(Item("key", "warning", "simple", "no primary key or unique index: "
                          "validation compares whole rows and partitions cannot follow a key",
                          tp.source_label, action="add a define-primary-key transformation "
                          "rule if the table has a natural key"))
    lobs = [c.target_name for c in tp.columns if c.source is not None and is_lob(c.source.ltype)]
    if lobs:
        limited = settings["TargetMetadata.LimitedSizeLobMode"]
        size = settings["TargetMetadata.LobMaxSize"]
        text = (f"LOB columns {', '.join(lobs)}: LimitedSizeLobMode cuts values over {size} KB "
                "(ErrorBehavior.DataTruncationErrorPolicy decides what happens)" if limited
                else f"LOB columns {', '.join(lobs)} are loaded in full (no size limit)")
        items.append(Item("lob", "warning" if limited else "info", "simple", text,
                          tp.source_label))
    return items


# -- data probes: values the target will reject or change, found by sampling ------------------

@dataclass(frozen=True)
class Probe:
    code: str
    column: str
    predicate: str  # source SQL, true for an offending value
    level: str
    effort: str
    message: str  # "{n}" is replaced by the count
    action: str = ""


def _q(source: Any, col: Column) -> str:
    return source.quote(col.name)


LENGTH_FN = {"postgres": "char_length(CAST({q} AS text))", "mysql": "CHAR_LENGTH({q})",
             "sqlite": "length({q})"}
BYTES_FN = {"postgres": "octet_length({q})", "mysql": "LENGTH({q})",
            "sqlite": "length(CAST({q} AS BLOB))"}
TEXT_CAST = {"postgres": "CAST({q} AS text)", "mysql": "CAST({q} AS CHAR)",
             "sqlite": "CAST({q} AS TEXT)"}
SQLITE_CLASSES = {
    **{k: ("integer",) for k in INTEGER_KINDS}, "boolean": ("integer",),
    "float32": ("real", "integer"), "float64": ("real", "integer"),
    "decimal": ("integer", "real"), "date": ("text",), "timestamp": ("text",),
    "time": ("text",), "char": ("text", "integer", "real"), "varchar": ("text", "integer", "real"),
    "text": ("text", "integer", "real"), "json": ("text",), "uuid": ("text",),
}


@dataclass(frozen=True)
class ProbeContext:
    source: Any
    target: Any
    tp: TablePlan
    col: Column
    cp: ColumnPlan
    dst: LType  # logical type of the target column
    settings: Any

    @property
    def sfam(self) -> str:
        return self.source.family

    @property
    def tfam(self) -> str:
        return getattr(self.target, "family", "")


def _zero_dates(x: ProbeContext) -> Probe | None:
    if x.sfam != "mysql" or parse_native(x.col.native_type).name not in ("date", "datetime",
                                                                         "timestamp"):
        return None
    mode = x.source.endpoint.options.get("zero_date", "null")
    q = _q(x.source, x.col)
    blocking = mode == "error" or not x.col.nullable
    why = ("the table stops (source.options.zero_date: error)" if mode == "error" else
           "they load as NULL into a NOT NULL column: the table stops" if not x.col.nullable
           else "they load as NULL (source.options.zero_date: null) and are counted")
    return Probe("zero-date", x.col.name, f"(MONTH({q}) = 0 OR DAY({q}) = 0)",
                 "error" if blocking else "warning", "medium" if blocking else "simple",
                 f"{{n}} zero dates (0000-00-00 or a zero month/day): {why}",
                 "fix the rows on the source, or choose source.options.zero_date")


def _tinyint_bool(x: ProbeContext) -> Probe | None:
    if x.sfam != "mysql" or x.col.ltype.kind != "boolean" or \
            not x.col.native_type.lower().startswith("tinyint"):
        return None
    return Probe("tinyint-bool", x.col.name, f"{_q(x.source, x.col)} NOT IN (0, 1)", "warning",
                 "simple", "{n} tinyint(1) values other than 0/1 would become true",
                 "set source.options.tinyint1_as_boolean: false to keep the numbers")


def _mysql_time(x: ProbeContext) -> Probe | None:
    if x.sfam != "mysql" or x.col.ltype.kind != "time" or x.dst.kind != "time" or x.tfam == "mysql":
        return None
    q = _q(x.source, x.col)
    return Probe("time-range", x.col.name, f"({q} < '00:00:00' OR {q} >= '24:00:00')", "error",
                 "medium", "{n} MySQL TIME values outside 00:00:00..24:00:00 (durations) do not "
                 "fit the target's time of day", "add type_overrides to interval or varchar(16)")


def _nul_text(x: ProbeContext) -> Probe | None:
    if x.tfam != "postgres" or x.sfam == "postgres" or \
            x.col.ltype.kind not in (*STRING_KINDS, "json", "enum", "set"):
        return None
    q = _q(x.source, x.col)
    pred = f"LOCATE(CHAR(0), {q}) > 0" if x.sfam == "mysql" else f"instr({q}, char(0)) > 0"
    return Probe("nul-char", x.col.name, pred, "error", "medium",
                 "{n} values contain NUL (0x00) characters, which PostgreSQL text cannot hold",
                 "clean the values on the source, or load the column as bytea (type_overrides)")


def _pg_infinite(x: ProbeContext) -> Probe | None:
    if x.sfam != "postgres" or x.col.ltype.kind not in ("date", "timestamp", "timestamptz"):
        return None
    q = _q(x.source, x.col)
    if x.tfam == "mysql":
        return Probe("date-range", x.col.name, f"(NOT isfinite({q}) OR {q} < '1000-01-01' OR "
                     f"{q} >= '10000-01-01')", "warning", "medium",
                     "{n} values are infinite or outside MySQL's range 1000-01-01..9999-12-31",
                     "check these rows; infinity cannot be carried")
    return Probe("infinity", x.col.name, f"NOT isfinite({q})", "error", "medium",
                 "{n} values are 'infinity' / '-infinity', which Spark cannot carry",
                 "replace them on the source or add type_overrides to text")


def _decimal_fit(x: ProbeContext) -> Probe | None:
    src, dst = x.col.ltype, x.dst
    if src.kind != "decimal" or dst.kind != "decimal" or dst.precision is None or \
            x.sfam not in ("postgres", "mysql"):
        return None
    scale = dst.scale or 0
    whole = dst.precision - scale
    if src.precision is not None and (src.scale or 0) <= scale and \
            src.precision - (src.scale or 0) <= whole:
        return None
    q = _q(x.source, x.col)
    nan = f"{q} = 'NaN'::numeric OR " if x.sfam == "postgres" else ""
    return Probe("decimal-fit", x.col.name, f"({nan}{q} <> ROUND({q}, {scale}) OR "
                 f"ABS({q}) >= 1e{whole})", "error", "medium",
                 f"{{n}} values do not fit {x.cp.target_type} (more than {scale} fractional or "
                 f"{whole} integer digits, or NaN): the load stops on them",
                 "add type_overrides with a wider type, or a text type")


def _float_special(x: ProbeContext) -> Probe | None:
    if x.sfam != "postgres" or x.col.ltype.kind not in ("float32", "float64") or \
            x.tfam != "mysql":
        return None
    q = _q(x.source, x.col)
    return Probe("float-special", x.col.name, f"{q} IN ('NaN', 'Infinity', '-Infinity')", "error",
                 "medium", "{n} values are NaN or infinite, which MySQL cannot store",
                 "replace them on the source, or add type_overrides to varchar(32)")


def _length_fit(x: ProbeContext) -> Probe | None:
    src, dst = x.col.ltype, x.dst
    if src.kind not in (*STRING_KINDS, "citext", "json") or dst.kind not in ("char", "varchar") \
            or dst.length is None or x.sfam not in LENGTH_FN:
        return None
    if x.sfam != "sqlite" and src.length is not None and src.length <= dst.length:
        return None  # declared lengths fit (SQLite does not enforce its own)
    size = LENGTH_FN[x.sfam].format(q=_q(x.source, x.col))
    return Probe("length", x.col.name, f"{size} > {dst.length}", "error",
                 "medium", f"{{n}} values are longer than {dst.length} characters and would be "
                 f"rejected by {x.cp.target_type}", "add type_overrides with a longer type")


def _sqlite_class(x: ProbeContext) -> Probe | None:
    allowed = SQLITE_CLASSES.get(x.col.ltype.kind)
    if x.sfam != "sqlite" or allowed is None:
        return None
    q = _q(x.source, x.col)
    classes = ", ".join(f"'{c}'" for c in allowed)
    pred = f"({q} IS NOT NULL AND typeof({q}) NOT IN ({classes}))"
    if x.col.ltype.kind in ("date", "timestamp"):
        pred = (f"({pred} OR ({q} IS NOT NULL AND {q} NOT GLOB "
                "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'))")
    if x.col.ltype.kind == "boolean":
        pred = f"({pred} OR {q} NOT IN (0, 1))"
    return Probe("storage-class", x.col.name, pred, "error", "medium",
                 f"{{n}} values do not match the declared type {x.col.native_type or '(none)'} "
                 f"(SQLite does not enforce it; expected {', '.join(allowed)})",
                 "clean the values, or add type_overrides to a text type")


def _enum_empty(x: ProbeContext) -> Probe | None:
    t = x.col.ltype
    if x.sfam != "mysql" or t.kind not in ("enum",) or "" in t.values or x.tfam == "mysql":
        return None
    return Probe("enum-empty", x.col.name, f"{_q(x.source, x.col)} = ''", "warning", "simple",
                 "{n} values are '' (MySQL's invalid-enum marker): the CHECK on the target "
                 "rejects them, so the CHECK will not be created", "clean the values on the source")


def _lob_limit(x: ProbeContext) -> Probe | None:
    settings = x.settings
    if not settings["TargetMetadata.LimitedSizeLobMode"] or \
            not is_lob(x.col.ltype) or x.sfam not in BYTES_FN:
        return None
    limit = settings["TargetMetadata.LobMaxSize"] * 1024
    size = BYTES_FN[x.sfam].format(q=_q(x.source, x.col))
    return Probe("lob-size", x.col.name, f"{size} > {limit}", "warning", "simple",
                 f"{{n}} values are larger than LobMaxSize ({limit} bytes) and will be cut",
                 "raise TargetMetadata.LobMaxSize or turn LimitedSizeLobMode off")


PROBES: tuple[Callable[[ProbeContext], Probe | None], ...] = (
    _zero_dates, _tinyint_bool, _mysql_time, _nul_text, _pg_infinite, _decimal_fit,
    _float_special, _length_fit, _sqlite_class, _enum_empty, _lob_limit,
)


def table_probes(source: Any, target: Any, tp: TablePlan, tdialect: Dialect,
                 settings: Any) -> list[Probe]:
    out = []
    for cp in tp.columns:
        if cp.source is None:
            continue
        dst = tdialect.to_logical(cp.target_type)
        ctx = ProbeContext(source, target, tp, cp.source, cp, dst, settings)
        out += [p for p in (probe(ctx) for probe in PROBES) if p is not None]
    return out


def run_probes(source: Any, tp: TablePlan, probes: list[Probe],
               sample: int) -> tuple[int, list[tuple[Probe, int, str | None]]]:
    """One query over a sample of the table: how many rows break each probe, with one example."""
    cast = TEXT_CAST.get(source.family, "CAST({q} AS CHAR)")
    parts = ["COUNT(*)"]
    for p in probes:
        q = source.quote(p.column)
        parts.append(f"SUM(CASE WHEN {p.predicate} THEN 1 ELSE 0 END)")
        parts.append(f"MIN(CASE WHEN {p.predicate} THEN {cast.format(q=q)} END)")
    table = source.qualify(tp.source.schema, tp.source.name)
    inner = f"SELECT * FROM {table}" + (f" LIMIT {int(sample)}" if sample else "")
    row = source.query(f"SELECT {', '.join(parts)} FROM ({inner}) sdms_sample")[0]
    results = []
    for i, p in enumerate(probes):
        count, example = row[1 + 2 * i], row[2 + 2 * i]
        results.append((p, int(count or 0), None if example is None else str(example)[:200]))
    return int(row[0] or 0), results


def data_items(source: Any, target: Any, tp: TablePlan, tdialect: Dialect,
               settings: Any) -> tuple[list[Item], int | None]:
    sample = settings["Sparkdms.AssessSampleRows"]
    probes = table_probes(source, target, tp, tdialect, settings)
    if not probes or tp.source.kind != "table":
        return [], None
    try:
        sampled, results = run_probes(source, tp, probes, sample)
    except Exception as err:
        return [Item("data", "warning", "simple", f"could not sample the table: {_first(err)}",
                     tp.source_label)], None
    items = []
    for p, count, example in results:
        if count:
            scope = f" in {sampled:,} sampled rows" if sample and sampled >= sample else ""
            items.append(Item("data", p.level, p.effort, p.message.replace("{n}", f"{count:,}")
                              + scope, tp.source_label, p.column, p.action,
                              f"e.g. {example!r}" if example is not None else ""))
    return items, sampled


# -- objects the load does not carry: views, triggers, routines, special indexes --------------

VIEWS_SQL = {
    "postgres": ("SELECT schemaname, viewname, definition FROM pg_views WHERE schemaname = %s "
                 "UNION ALL SELECT schemaname, matviewname, definition FROM pg_matviews "
                 "WHERE schemaname = %s", 2),
    "mysql": ("SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
              "WHERE TABLE_SCHEMA = %s", 1),
    "sqlite": ("SELECT 'main', name, sql FROM sqlite_master WHERE type = 'view' AND ? = 'main'", 1),
}
TRIGGERS_SQL = {
    "postgres": ("SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                 "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = "
                 "c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = %s", 1),
    "mysql": ("SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_STATEMENT "
              "FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s", 1),
    "sqlite": ("SELECT 'main', tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger' "
               "AND ? = 'main'", 1),
}
ROUTINES_SQL = {
    "postgres": ("SELECT n.nspname, p.proname, CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' "
                 "THEN 'aggregate' ELSE 'function' END, l.lanname, "
                 "CASE WHEN p.prokind = 'a' THEN '' ELSE pg_get_functiondef(p.oid) END "
                 "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                 "JOIN pg_language l ON l.oid = p.prolang WHERE n.nspname = %s AND NOT EXISTS "
                 "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')", 1),
    "mysql": ("SELECT ROUTINE_SCHEMA, ROUTINE_NAME, LOWER(ROUTINE_TYPE), 'sql', "
              "ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s", 1),
}
PG_SKIPPED_INDEXES_SQL = """
SELECT n.nspname, t.relname, i.relname, pg_get_indexdef(ix.indexrelid)
FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE (ix.indexprs IS NOT NULL OR ix.indpred IS NOT NULL) AND n.nspname = %s
"""


def _first(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [repr(err)])[0][:300]


def _rows(source: Any, spec: tuple[str, int] | None, schema: str) -> list[tuple]:
    if spec is None:
        return []
    sql, n = spec
    if source.P == "?":
        sql = sql.replace("%s", "?")
    return source.query(sql, (schema,) * n)


# functions sqlglot writes out unchanged although the target has no such function
NOT_ON_TARGET: dict[str, tuple[str, ...]] = {
    "mysql": ("GenerateSeries", "Explode", "Unnest", "ArrayAgg", "ToTsvector"),
    "sqlite": ("GenerateSeries", "Explode", "Unnest", "ArrayAgg"),
}


def convert_view(definition: str, source_engine: str, target_engine: str,
                 names: dict[tuple[str, str], tuple[str, str]] | None = None,
                 schema: str = "") -> tuple[str, list[str]]:
    """The view's query in the target dialect, tables renamed to their target names, and
    the functions that may not exist on the target; raises where sqlglot cannot carry it."""
    import sqlglot
    from sqlglot import exp

    read = dialect(source_engine).sqlglot
    write = dialect(target_engine).sqlglot
    if read is None or write is None:
        raise ValueError(f"no SQL dialect for {source_engine} -> {target_engine}")
    tree = sqlglot.parse_one(definition.strip().rstrip(";"), read=read)
    if isinstance(tree, exp.Create):
        tree = tree.expression
    for table in tree.find_all(exp.Table):
        hit = (names or {}).get((table.db or schema, table.name))
        if hit is not None:
            table.set("db", exp.to_identifier(hit[0]) if hit[0] else None)
            table.set("this", exp.to_identifier(hit[1]))
    family = {"mariadb": "mysql"}.get(target_engine, target_engine)
    doubtful = sorted({f.name.upper() if isinstance(f, exp.Anonymous) else type(f).__name__
                       for f in tree.find_all(exp.Func)
                       if isinstance(f, exp.Anonymous)
                       or type(f).__name__ in NOT_ON_TARGET.get(family, ())})
    sql = tree.sql(dialect=write, pretty=True, identify=True,
                   unsupported_level=sqlglot.ErrorLevel.RAISE)
    return sql, doubtful


def view_items(source: Any, target: Any, schemas: list[str], plan: Plan,
               assessment: Assessment) -> None:
    by_source = {(t.source.schema, t.source.name): t for t in plan.tables}
    names = {k: (t.target_schema, t.target_name) for k, t in by_source.items()}
    for schema in schemas:
        for s, name, definition in _rows(source, VIEWS_SQL.get(source.family), schema):
            label = f"{s}.{name}"
            where = by_source.get((s, name))
            target_name = where.target_label if where else label
            try:
                sql, doubtful = convert_view(definition or "", source.engine, target.engine,
                                             names, s)
            except Exception as err:
                assessment.objects.append(Item(
                    "view", "warning", "medium", f"view {label}: sqlglot could not convert its "
                    f"definition to {target.engine}: {_first(err)}", label,
                    action="rewrite the view by hand on the target", example=(definition or "")[:400]))
                continue
            assessment.converted_views.append({"source": label, "target": target_name,
                                               "sql": sql})
            loaded = " (its rows are also loaded as a table)" if where else ""
            if doubtful:
                assessment.objects.append(Item(
                    "view", "warning", "medium", f"view {label} converted to {target.engine}"
                    f"{loaded}, but uses {', '.join(doubtful)}, which {target.engine} may not "
                    "have", label, action="check those functions, then create the view from "
                    "converted_views"))
                continue
            assessment.objects.append(Item(
                "view", "info", "simple", f"view {label} converted to {target.engine}{loaded}; "
                "review and create it after the load", label,
                action="create it on the target from converted_views"))


def trigger_items(source: Any, target: Any, schemas: list[str], assessment: Assessment) -> None:
    for schema in schemas:
        for s, table, name, body in _rows(source, TRIGGERS_SQL.get(source.family), schema):
            lines = len(str(body or "").splitlines())
            effort = "significant" if lines > 30 else "medium"
            assessment.objects.append(Item(
                "trigger", "warning", effort, f"trigger {name} on {s}.{table} is not migrated "
                f"({lines} line(s))", f"{s}.{table}", action=f"rewrite it for {target.engine} "
                "and create it after the load (it would fire during the load otherwise)",
                example=str(body or "")[:400]))


def routine_items(source: Any, target: Any, schemas: list[str], assessment: Assessment) -> None:
    for schema in schemas:
        for s, name, kind, language, body in _rows(source, ROUTINES_SQL.get(source.family),
                                                   schema):
            lines = len(str(body or "").splitlines())
            effort = "significant" if lines > 40 or language not in ("sql", "plpgsql") \
                else "medium"
            assessment.objects.append(Item(
                "routine", "warning", effort, f"{kind} {s}.{name} ({language}, {lines} line(s)) "
                "is not migrated", f"{s}.{name}", action=f"rewrite it for {target.engine}",
                example=str(body or "")[:400]))


def skipped_index_items(source: Any, schemas: list[str], assessment: Assessment,
                        reports: dict[str, TableReport]) -> None:
    if source.family != "postgres":
        return
    for schema in schemas:
        for s, table, name, definition in source.query(PG_SKIPPED_INDEXES_SQL, (schema,)):
            report = reports.get(f"{s}.{table}")
            if report is not None:
                report.items.append(Item("object", "warning", "medium", f"index {name} uses an "
                                         "expression or a WHERE clause and is not recreated",
                                         report.source, action="create it by hand",
                                         example=definition))


SOURCE_SPECIFIC: dict[str, list[tuple[str, str, str, str]]] = {
    # (query with one %s for the schema, level, effort, message with {name} and {detail})
    "mysql": [
        ("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, EXTRA FROM information_schema.COLUMNS "
         "WHERE TABLE_SCHEMA = %s AND EXTRA LIKE '%%on update%%'", "warning", "medium",
         "column {name} has {detail}: the target keeps only the default; add a trigger if "
         "applications rely on it"),
        ("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, GENERATION_EXPRESSION FROM "
         "information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND (EXTRA LIKE '%%VIRTUAL GENERATED%%' "
         "OR EXTRA LIKE '%%STORED GENERATED%%')",
         "warning", "medium", "generated column {name} ({detail}) is loaded as plain data; the "
         "expression is not recreated"),
        ("SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, INDEX_TYPE FROM "
         "information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND INDEX_TYPE IN "
         "('FULLTEXT', 'SPATIAL')", "warning", "medium",
         "{detail} index {name} is not recreated (no portable equivalent)"),
    ],
    "postgres": [
        ("SELECT n.nspname, c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid) "
         "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
         "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attrdef d ON "
         "d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attgenerated <> '' "
         "AND n.nspname = %s", "warning", "medium",
         "generated column {name} ({detail}) is loaded as plain data; the expression is not "
         "recreated"),
    ],
}


def source_specific_items(source: Any, schemas: list[str],
                          reports: dict[str, TableReport]) -> None:
    for sql, level, effort, message in SOURCE_SPECIFIC.get(source.family, []):
        for schema in schemas:
            for s, table, name, detail in source.query(sql, (schema,)):
                report = reports.get(f"{s}.{table}")
                if report is not None:
                    report.items.append(Item("object", level, effort,
                                             message.format(name=name, detail=detail),
                                             report.source, name))


def object_items(target: Any, plan: Plan, settings: Any,
                 reports: dict[str, TableReport]) -> None:
    """Defaults, checks, identities and foreign keys that post_load would not create."""
    from sparkdms.connectors.sql.objects import SQL_BY_FAMILY, object_statements

    if getattr(target, "family", "") not in SQL_BY_FAMILY:
        return
    by_target = {t.target_label: t for t in plan.tables}
    for st in object_statements(target, plan.tables, settings):
        if st.sql:
            continue
        tp = by_target.get(st.table)
        report = reports.get(tp.source_label) if tp else None
        if report is not None:
            report.items.append(Item("object", "warning", "medium", f"{st.stage} {st.name}: "
                                     f"{st.note}", report.source, action="create it by hand "
                                     "after the load if it matters"))


# -- engine and task checks (AWS DMS premigration assessments that apply) ---------------------

CDC_CHECKS = {
    "postgres": [("SELECT current_setting('wal_level')", lambda v: v == "logical",
                  "wal_level must be 'logical' for change data capture"),
                 ("SELECT current_setting('max_replication_slots')::int", lambda v: int(v) > 0,
                  "max_replication_slots must be at least 1 for change data capture")],
    "mysql": [("SELECT @@binlog_format", lambda v: str(v).upper() == "ROW",
               "binlog_format must be ROW for change data capture"),
              ("SELECT @@binlog_row_image", lambda v: str(v).upper() == "FULL",
               "binlog_row_image must be FULL for change data capture")],
}


def engine_checks(task: Task, source: Any, target: Any, plan: Plan, target_ok: bool,
                  assessment: Assessment) -> None:
    if task.migration_type != "full-load":
        for sql, ok, message in CDC_CHECKS.get(source.family, []):
            try:
                value = source.query(sql)[0][0]
            except Exception as err:
                assessment.checks.append(Item("check", "warning", "simple",
                                              f"could not read a CDC setting: {_first(err)}"))
                continue
            if not ok(value):
                assessment.checks.append(Item("check", "error", "simple",
                                              f"{message} (now {value!r})"))
    if source.family == "mysql":
        _mysql_engines(source, plan, assessment)
    if target_ok and getattr(target, "family", "") in ("postgres", "mysql"):
        _existing_targets(target, task, plan, assessment)


def _mysql_engines(source: Any, plan: Plan, assessment: Assessment) -> None:
    schemas = sorted({t.source.schema for t in plan.tables})
    for schema in schemas:
        rows = source.query("SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES WHERE "
                            "TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE'", (schema,))
        for name, engine in rows:
            if engine and engine.lower() not in ("innodb", "aria"):
                assessment.checks.append(Item(
                    "check", "warning", "simple", f"{schema}.{name} uses the {engine} storage "
                    "engine: no transactions, so parallel partitions do not read one consistent "
                    "snapshot", f"{schema}.{name}", action="stop writes during the load"))


def _existing_targets(target: Any, task: Task, plan: Plan, assessment: Assessment) -> None:
    mode = task.settings["FullLoadSettings.TargetTablePrepMode"]
    for tp in plan.tables:
        try:
            exists = target.table_exists(tp.target_schema, tp.target_name)
        except Exception:
            return
        if exists:
            what = {"DROP_AND_CREATE": "is dropped and created again",
                    "TRUNCATE_BEFORE_LOAD": "is emptied and keeps its own structure",
                    "DO_NOTHING": "keeps its rows; the load appends"}[mode]
            assessment.checks.append(Item("check", "info", "simple", f"target table "
                                          f"{tp.target_label} exists and {what} "
                                          f"(TargetTablePrepMode {mode})", tp.source_label))


# -- the whole assessment ----------------------------------------------------------------------

def _same_family(source: Any, target: Any) -> bool:
    return bool(getattr(source, "family", "")) and source.family == getattr(target, "family", "")


def plan_leniently(task: Task, catalog: Any, source: Any,
                   target: Any) -> tuple[Plan, list[UnsupportedTypeError],
                                         list[identifiers.Finding]]:
    with lenient() as unsupported, identifiers.collecting() as names:
        plan = build_plan(task, catalog, source, target, with_partitions=False)
    return plan, unsupported, names


def assess_table(tp: TablePlan, source: Any, target: Any, task: Task,
                 tdialect: Dialect) -> TableReport:
    report = TableReport(tp.source_label, tp.target_label, tp.source.row_estimate,
                         list(tp.primary_key))
    same = _same_family(source, target)
    for cp in tp.columns:
        items, notes = column_items(tp, cp, target, tdialect, same)
        report.items += items
        report.columns.append(ColumnReport(cp.source_name or "(added)", cp.target_name,
                                           cp.source.native_type if cp.source else "",
                                           cp.target_type, notes))
    report.items += table_items(tp, task.settings)
    data, sampled = data_items(source, target, tp, tdialect, task.settings)
    report.items += data
    report.sampled_rows = sampled
    return report


def assess(task_path: str | Path) -> Assessment:
    task = load_task(task_path)
    source = connector_for(task.source)
    target = connector_for(task.target)
    source.check_connection()
    try:
        target.check_connection()
        target_ok = True
    except SparkDmsError:
        target_ok = False
    catalog = discover(task, source)
    if not catalog.tables:
        from sparkdms.app import raise_nothing_selected

        raise_nothing_selected(task, source)
    plan, unsupported, names = plan_leniently(task, catalog, source, target)
    out = Assessment(task.name, task.source.describe(), task.target.describe(),
                     datetime.now(UTC).isoformat(timespec="seconds"))
    if not target_ok:
        out.checks.append(Item("check", "warning", "simple", f"target {task.target.describe()} "
                               "is not reachable: existing target tables were not checked"))
    tdialect = dialect(target.engine)
    reports = {}
    for tp in plan.tables:
        reports[tp.source_label] = assess_table(tp, source, target, task, tdialect)
    _unsupported_items(unsupported, catalog.tables, target, reports)
    _name_items(names, reports)
    object_items(target, plan, task.settings, reports)
    schemas = sorted({t.source.schema for t in plan.tables})
    for step in (lambda: skipped_index_items(source, schemas, out, reports),
                 lambda: source_specific_items(source, schemas, reports),
                 lambda: view_items(source, target, schemas, plan, out),
                 lambda: trigger_items(source, target, schemas, out),
                 lambda: routine_items(source, target, schemas, out),
                 lambda: engine_checks(task, source, target, plan, target_ok, out)):
        try:
            step()
        except Exception as err:  # one unreadable catalog view must not hide the rest
            out.checks.append(Item("check", "warning", "simple",
                                   f"part of the source catalog could not be read: {_first(err)}"))
    out.tables = list(reports.values())
    return out


def _unsupported_items(errors: list[UnsupportedTypeError], tables: tuple[Table, ...], target: Any,
                       reports: dict[str, TableReport]) -> None:
    by_label = {t.qualified: t for t in tables}
    for err in errors:
        report = reports.get(err.table)
        table = by_label.get(err.table)
        action = str(err).split("; ", 1)[1] if "; " in str(err) else ""
        if table is not None:
            col = next((c for c in table.columns if c.name == err.column), None)
            if col is not None:
                action = override_hint(table, col, target)
        item = Item("type", "error", "medium", f"column {err.column}: type {err.type_name!r} has "
                    f"no {target.engine} mapping; the task refuses to run until it is overridden",
                    err.table, err.column, action)
        if report is not None:
            report.items.insert(0, item)
            for c in report.columns:
                if c.name == err.column:
                    c.target_type = "(unsupported)"


def _name_items(found: list[identifiers.Finding], reports: dict[str, TableReport]) -> None:
    grade = {"collision": ("error", "medium"), "truncated": ("warning", "simple"),
             "reserved": ("info", "simple")}
    for f in found:
        level, effort = grade.get(f.kind, ("info", "simple"))
        report = reports.get(f.table)
        if report is not None:
            action = "add a rename transformation rule" if f.kind != "reserved" else \
                "quote it in hand-written queries"
            report.items.append(Item("name", level, effort, f.message, f.table, f.column,
                                     action))


def write(assessment: Assessment, out: str | Path) -> tuple[Path, Path]:
    """JSON at ``out`` and the HTML page beside it (same name, .html)."""
    from sparkdms.assess.html import render

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(assessment.as_dict(), indent=2, default=str) + "\n")
    page = path.with_suffix(".html")
    page.write_text(render(assessment.as_dict()))
    return path, page


def print_summary(assessment: Assessment) -> str:
    s = assessment.summary()
    lines = [f"Assessment of task {assessment.task}: {assessment.source} -> {assessment.target}",
             f"  {s['tables']} table(s): " + ", ".join(f"{n} {e}" for e, n in
                                                      s["table_effort"].items()),
             "  items: " + ", ".join(f"{n} {lv}" for lv, n in s["levels"].items()),
             f"  views/triggers/routines: {len(assessment.objects)}"]
    for t in assessment.tables:
        worst = [i for i in t.items if i.level != "info"]
        lines.append(f"  {t.source} -> {t.target}: {t.effort}"
                     + (f", {len(worst)} to review" if worst else ""))
        lines += [f"    {i.level.upper()}: {i.message}" for i in t.items if i.level == "error"]
    lines.append("  the task can run" if s["runnable"] else
                 "  the task will refuse to run until the errors above are fixed")
    return "\n".join(lines)
