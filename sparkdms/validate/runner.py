"""Validate tables after their load (``EnableValidation``) or on their own
(``ValidationOnly``, ``sparkdms validate``): per table a ``ValidationState`` with AWS DMS's
values, the failures written where AWS DMS writes them, and great-expectations' verdict."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from sparkdms.catalog import Table
from sparkdms.connectors.base import Sampler
from sparkdms.errors import SparkDmsError
from sparkdms.explain import explain
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.report import TABLE_ERROR, Report, TableStats
from sparkdms.types import spark_type
from sparkdms.validate.canon import Dialect, spark_ltype, sql_dialect
from sparkdms.validate.columns import ColumnSpec, Options, TableColumns, table_columns
from sparkdms.validate.compare import Budget, Comparison, Difference, Outcome
from sparkdms.validate.expectations import Expectations
from sparkdms.validate.failures import FailureSink, rows_for
from sparkdms.validate.sides import SPARK, Side, SparkSide, SqlSide, render

VALIDATED = "Validated"
MISMATCHED = "Mismatched records"
SUSPENDED = "Suspended records"
NO_PRIMARY_KEY = "No primary key"
TABLE_ERROR_STATE = "Table error"
ERROR = "Error"
NOT_ENABLED = "Not enabled"
FAILED_STATES = (MISMATCHED, SUSPENDED, TABLE_ERROR_STATE, ERROR)
RANGE_KINDS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint24", "uint32")
# (source dialect, target dialect) pairs whose JSON texts compare in SQL: the load carries
# PostgreSQL's text into MariaDB unchanged; other pairs normalise JSON in Spark
JSON_IN_SQL = {("postgres", "postgres"), ("mysql", "mysql"), ("postgres", "mysql")}
SHOW_FAILURES = 5


class ValidationError(SparkDmsError):
    def __init__(self, table: str, problem: str) -> None:
        super().__init__(f"table {table}: validation: {problem}")
        self.table = table
        self.problem = problem


@dataclass
class TableResult:
    state: str
    details: str
    outcome: Outcome = field(default_factory=Outcome)
    method: str = ""
    schema_problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    expectations: dict[str, Any] | None = None
    failures_at: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


def target_plan(table: Table, settings: Any, connector: Any) -> TablePlan:
    """The target table described as a source, to read it through Spark JDBC."""
    cols = tuple(ColumnPlan(c.name, c, c.ltype, c.native_type, c.nullable) for c in table.columns)
    plan = TablePlan(table, table.schema, table.name, cols, primary_key=table.primary_key)
    return replace(plan, partitioning=connector.partitions(plan, settings))


class Validator:
    def __init__(self, task: Any, plan: Any, source: Any, target: Any,
                 spark: Callable[[], Any] | Any, out: TextIO | None = None,
                 failures_file: str | Path | None = None, docs_dir: str | None = None) -> None:
        s = task.settings
        self.task, self.plan, self.source, self.target = task, plan, source, target
        self.out = out if out is not None else sys.stdout  # looked up per call, not at import
        self.settings = s
        self._spark = spark
        self.options = Options(s["ValidationSettings.HandleCollationDiff"],
                               s["ValidationSettings.SkipLobColumns"],
                               bool(getattr(target, "empty_string_is_null", False)))
        self.task_budget = [s["ValidationSettings.FailureMaxCount"]]
        path = failures_file or Path("out") / f"{task.name}-validation-failures.jsonl"
        self.sink = FailureSink(target, s, path)
        docs = docs_dir or s["Sparkdms.ValidationDataDocs"] or None
        self.gx = Expectations(task.name, docs) if s["Sparkdms.ValidationExpectations"] else None
        if self.gx is not None:
            self.gx.warm()

    # -- Spark, only when a side or great-expectations needs it --------------------------
    def spark(self) -> Any:
        if callable(self._spark) and not hasattr(self._spark, "sparkContext"):
            self._spark = self._spark()
            self.target.bind(self._spark)
        return self._spark

    # -- entry points ------------------------------------------------------------------------
    def after_table(self, ctx: Any, plan: TablePlan, stats: TableStats) -> None:
        """``execute``'s hook: validate a table right after its load."""
        self.validate(plan, stats)

    def finish_load(self, report: Report) -> None:
        for stats in report.tables:
            if stats.TableState == TABLE_ERROR:
                stats.extra.update(ValidationState=TABLE_ERROR_STATE, ValidationFailedRecords=0,
                                   ValidationStateDetails="the load of this table failed")

    def validate(self, plan: TablePlan, stats: TableStats) -> None:
        start = time.monotonic()
        try:
            result = self.validate_table(plan)
        except Exception as err:  # reported per table; the other tables go on
            result = TableResult(ERROR, explain(err, self.task.secrets))
        seconds = round(time.monotonic() - start, 3)
        stats.extra.update(as_extra(result, seconds))
        self.print_table(plan, result, seconds)

    # -- one table --------------------------------------------------------------------------
    def validate_table(self, plan: TablePlan) -> TableResult:
        start = time.monotonic()
        target_table, target_frame = self.locate_target(plan)
        target_types = None
        if target_table is None:
            target_types = {f.name: spark_ltype(f.dataType) for f in target_frame().schema.fields}
        cols = table_columns(plan, target_table, self.options, target_types)
        budget = Budget(self.settings["ValidationSettings.TableFailureMaxCount"], self.task_budget)
        outcome, methods = Outcome(), []
        expect = Background(self.gx, plan, cols.key, self.target, target_frame)
        for specs, spark_only in self.column_groups(cols, target_table):
            src, tgt, mode = self.sides(plan, cols, specs, target_table, target_frame, spark_only)
            try:
                part = Comparison(src, tgt, specs, cols.key, mode,
                                  self.settings["ValidationSettings.PartitionSize"], budget,
                                  on_counts=expect.start).run()
            finally:
                src.close()
                tgt.close()
            outcome = merge(outcome, part) if methods else part
            methods.append(method_text(src, tgt, mode, cols, specs if spark_only else None))
        result = judge(outcome, cols, mode)
        result.method = "; ".join(methods)
        result.seconds["checksums"] = round(time.monotonic() - start, 3)
        if self.gx is not None:
            result.expectations = expect.result(outcome.source_rows)
            result.seconds["expectations"] = expect.seconds
        rows = rows_for(self.task.name, plan.source.schema, plan.source.name, outcome.differences)
        try:
            result.failures_at = self.sink.write(plan, rows, plan.source.schema, plan.source.name,
                                                 self.task.name)
        except Exception as err:  # the verdict stands; say where the failures could not go
            result.failures_at = f"nowhere: writing {self.sink.location(plan)} failed: " \
                                 f"{explain(err, self.task.secrets)}"
            result.details += f"; failures not written ({result.failures_at})"
        return result

    def locate_target(self, plan: TablePlan) -> tuple[Table | None, Callable[[], Any]]:
        """The discovered target table (relational targets) and a maker of its DataFrame."""
        if not self.target.capabilities.validates_in_sql:  # lake: the frame tells the columns
            frame: list[Any] = []

            def lake() -> Any:
                if not frame:
                    frame.append(self.target.read(self.spark(), plan, (), ()).frame)
                return frame[0]

            try:
                lake()
            except Exception as err:
                raise ValidationError(plan.source_label, f"cannot read the target {plan.target_label}: "
                                                         f"{explain(err, self.task.secrets)}") from None
            return None, lake
        wanted = (plan.target_schema, plan.target_name)
        found = self.target.discover(lambda s, t, k: (s, t) == wanted, Sampler()).tables
        if not found:
            raise ValidationError(plan.source_label, f"target table {plan.target_label} does not exist")
        table = found[0]

        def jdbc() -> Any:
            tp = target_plan(table, self.settings, self.target)
            return self.target.read(self.spark(), tp, tp.partitioning.parts, ()).frame

        return table, jdbc

    def column_groups(self, cols: TableColumns,
                      target_table: Table | None) -> list[tuple[list[ColumnSpec], bool]]:
        """All columns at once; except JSON that the two databases cannot compare in SQL
        (PostgreSQL reorders keys, MariaDB keeps the text): then the other columns in SQL and
        the key plus the JSON columns through Spark, whose JSON text has sorted keys."""
        specs = cols.columns
        sd = sql_dialect(self.source)
        td = sql_dialect(self.target) if target_table is not None else None
        json = [s for s in specs if s.family == "json" and s.name not in cols.key]
        if not json or not cols.key or sd is None or td is None or (sd.name, td.name) in JSON_IN_SQL:
            return [(specs, False)]
        rest = [s for s in specs if s not in json]
        keys = [s for s in specs if s.name in cols.key]
        return [(rest, False), (keys + json, True)]

    def sides(self, plan: TablePlan, cols: TableColumns, specs: list[ColumnSpec],
              target_table: Table | None, target_frame: Callable[[], Any],
              spark_only: bool = False) -> tuple[Side, Side, str]:
        sd = sql_dialect(self.source)
        td = sql_dialect(self.target) if target_table is not None else None
        if spark_only or (any(s.family == "json" for s in specs) and (
                sd is None or td is None or (sd.name, td.name) not in JSON_IN_SQL)):
            sd = td = None
        src_values = sql_values(sd, specs, "source", self.source, plan) if sd else None
        tgt_values = sql_values(td, specs, "target") if td else None
        src_frame = None if src_values is not None else self.source_frame(plan)
        tgt_frame = None if tgt_values is not None else target_frame()
        if src_frame is not None:
            src_values = spark_values(src_frame, specs, "source", plan)
        if tgt_frame is not None:
            tgt_values = spark_values(tgt_frame, specs, "target", plan)
        mode = key_mode(cols, [physical(specs, cols.key, "source", src_frame),
                               physical(specs, cols.key, "target", tgt_frame)])
        fast = src_frame is None and tgt_frame is None and sd is not None and td is not None \
            and sd.name == td.name
        src = self.side("source", plan, specs, cols.key, mode, sd, src_values, src_frame, fast)
        tgt = self.side("target", plan, specs, cols.key, mode, td, tgt_values, tgt_frame, fast)
        return src, tgt, mode

    def source_frame(self, plan: TablePlan) -> Any:
        from sparkdms.load.read import read_table
        from sparkdms.load.transform import to_target

        return to_target(read_table(self.spark(), self.source, plan).frame, plan)

    def side(self, role: str, plan: TablePlan, specs: list[ColumnSpec], key: list[str], mode: str,
             dialect: Dialect | None, values: list[str] | None, frame: Any, fast: bool) -> Side:
        assert values is not None
        if frame is not None:
            key_ref = SPARK.quote(key[0]) if mode == "range" else None
            return SparkSide(role, frame, render(SPARK, specs, values, key, mode, key_ref))
        assert dialect is not None
        connector = self.source if role == "source" else self.target
        if role == "source":
            table = connector.qualify(plan.source.schema, plan.source.name)
            key_name = next((s.source for s in specs if key and s.name == key[0]), None)
        else:
            table = connector.qualify(plan.target_schema, plan.target_name)
            key_name = key[0] if key else None
        key_ref = connector.quote(key_name) if mode == "range" and key_name else None
        conditions = [connector.filter_sql(f, plan.source) for f in plan.filters] \
            if role == "source" else []
        return SqlSide(role, connector, dialect, table, conditions,
                       render(dialect, specs, values, key, mode, key_ref, fast))

    # -- console -----------------------------------------------------------------------------
    def print_table(self, plan: TablePlan, r: TableResult, seconds: float) -> None:
        o = r.outcome
        gx = ""
        if r.expectations is not None:
            e = r.expectations
            gx = f"; expectations {e['evaluated'] - len(e['failed'])}/{e['evaluated']} met"
        print(f"  validated {plan.source_label} -> {plan.target_label}: {r.state} "
              f"({o.source_rows:,} / {o.target_rows:,} rows, {o.passes} checksum passes, "
              f"{seconds:.1f}s{gx})", file=self.out, flush=True)
        if r.state in (ERROR, TABLE_ERROR_STATE) or r.schema_problems:
            print(f"    {r.details}", file=self.out)
        for d in o.differences[:SHOW_FAILURES]:
            print(f"    {failure_line(d)}", file=self.out)
        if len(o.differences) > SHOW_FAILURES:
            print(f"    ... {len(o.differences) - SHOW_FAILURES} more in {r.failures_at}", file=self.out)
        for failed in (r.expectations or {}).get("failed", [])[:SHOW_FAILURES]:
            print(f"    expectation not met: {failed}", file=self.out)
        self.out.flush()


class Background:
    """The great-expectations suite, started as soon as the source's row count is known, so
    it runs on the target while the checksums are computed."""

    def __init__(self, gx: Expectations | None, plan: TablePlan, key: list[str], target: Any,
                 frame: Callable[[], Any]) -> None:
        self.gx, self.plan, self.key, self.target, self.frame = gx, plan, key, target, frame
        self.thread: threading.Thread | None = None
        self.outcome: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.seconds = 0.0

    def start(self, source_rows: int, target_rows: int = 0) -> None:
        if self.gx is None or self.thread is not None:
            return
        self.thread = threading.Thread(target=self.run, args=(source_rows,), daemon=True,
                                       name="sdms-expectations")
        self.thread.start()

    def run(self, source_rows: int) -> None:
        began = time.monotonic()
        try:
            assert self.gx is not None
            self.outcome = self.gx.run(self.plan, source_rows, self.key, self.target, self.frame)
        except BaseException as err:  # re-raised in the table's thread by result()
            self.error = err
        self.seconds = round(time.monotonic() - began, 3)

    def result(self, source_rows: int) -> dict[str, Any] | None:
        if self.thread is None:  # the comparison never counted (no key bounds): run it now
            self.start(source_rows)
        assert self.thread is not None
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.outcome


def wire_form(connector: Any, dialect: Dialect, plan: TablePlan, spec: ColumnSpec) -> tuple[str, Any]:
    """The source column as the load reads it: where the source sends a converted value
    (arrays as JSON, intervals as ISO 8601, bit strings, zero dates as NULL, ...), that
    expression and its type; else the column itself."""
    plain = dialect.quote(spec.source or spec.name)
    if spec.source is None:
        return plain, spec.source_type
    column = plan.source.column(spec.source)
    expr = connector.read_expr(column, plan.peer)
    if expr in (plain, f"CAST({plain} AS text)", f"CAST({plain} AS CHAR)"):
        return plain, spec.source_type
    return f"({expr})", spark_ltype(connector.wire_type(column))


def sql_values(dialect: Dialect, specs: list[ColumnSpec], role: str, connector: Any = None,
               plan: TablePlan | None = None) -> list[str] | None:
    out = []
    for s in specs:
        name = s.source if role == "source" else s.name
        phys = s.source_type if role == "source" else s.target_type
        if name is None:
            return None
        ref = dialect.quote(name)
        if role == "source" and connector is not None and plan is not None:
            ref, phys = wire_form(connector, dialect, plan, s)
        value = dialect.render(s, ref, phys, role)
        if value is None:
            return None
        out.append(value)
    return out


def spark_values(frame: Any, specs: list[ColumnSpec], role: str, plan: TablePlan) -> list[str]:
    types = {f.name: spark_ltype(f.dataType) for f in frame.schema.fields}
    out = []
    for s in specs:
        value = SPARK.render(s, SPARK.quote(s.name), types.get(s.name), role)
        if value is None and s.name in types:  # the column's type drifted: read it as planned
            want = spark_type(s.planned)
            value = SPARK.render(s, f"CAST({SPARK.quote(s.name)} AS {want.simpleString()})",
                                 spark_ltype(want), role)
        if value is None:
            raise ValidationError(plan.source_label, f"column {s.name}: {role} type {types.get(s.name)} "
                                                     f"cannot be compared as {s.planned}")
        out.append(value)
    return out


def physical(specs: list[ColumnSpec], key: list[str], role: str, frame: Any) -> str | None:
    if len(key) != 1:
        return None
    spec = next(s for s in specs if s.name == key[0])
    if frame is not None:
        field = next((f for f in frame.schema.fields if f.name == key[0]), None)
        return spark_ltype(field.dataType).kind if field is not None else None
    phys = spec.source_type if role == "source" else spec.target_type
    return phys.kind if phys is not None else None


def key_mode(cols: TableColumns, kinds: list[str | None]) -> str:
    if not cols.key:
        return "rows"
    if len(cols.key) == 1 and cols.spec(cols.key[0]).family == "int" and all(
            k in RANGE_KINDS for k in kinds):
        return "range"
    return "hash"


def judge(o: Outcome, cols: TableColumns, mode: str) -> TableResult:
    missing = sum(d.failure_type == "MISSING_TARGET" for d in o.differences)
    extra = sum(d.failure_type == "MISSING_SOURCE" for d in o.differences)
    changed = len(o.differences) - missing - extra
    found = (f"{changed} rows differ, {missing} missing on the target, {extra} only on the target"
             if o.differences else "no differences")
    notes = [*cols.schema_problems, *(f"not compared: {s}" for s in cols.skipped)]
    if o.suspended:
        notes.append(f"{o.suspended} rows in differing ranges not examined "
                     "(TableFailureMaxCount / FailureMaxCount reached)")
    if o.equal_after_judgement:
        notes.append(f"{o.equal_after_judgement} rows equal within tolerance")
    if mode == "rows":
        proven = ("same multiset of rows (count and whole-row checksums equal)"
                  if not o.differences and not o.suspended else found)
        state, text = NO_PRIMARY_KEY, f"no primary key or unique NOT NULL index: {proven}"
    elif o.differences:
        state, text = MISMATCHED, found
    elif o.suspended:
        state, text = SUSPENDED, "validation stopped before every differing row was examined"
    else:
        state, text = VALIDATED, f"{o.source_rows:,} rows equal, key {', '.join(cols.key)} " \
                                 f"({cols.key_source})"
    return TableResult(state, "; ".join([text, *notes]), o, "", cols.schema_problems, cols.skipped)


def method_text(src: Side, tgt: Side, mode: str, cols: TableColumns,
                only: list[ColumnSpec] | None = None) -> str:
    how = {"range": f"key ranges of {', '.join(cols.key)}",
           "hash": f"hash buckets of key {', '.join(cols.key)}",
           "rows": "hash buckets of whole rows"}[mode]
    what = f"columns {', '.join(s.name for s in only)}: " if only else ""
    return f"{what}checksums: source in {src.method}, target in {tgt.method}; {how}"


def merge(a: Outcome, b: Outcome) -> Outcome:
    """Two comparisons of the same rows on different columns, as one: a row missing on one
    side is reported once, a row differing in both column groups once with all columns."""
    a.passes += b.passes
    a.rows_compared_one_by_one += b.rows_compared_one_by_one
    a.suspended += b.suspended
    a.equal_after_judgement += b.equal_after_judgement
    seen = {(d.failure_type, json.dumps(d.key, sort_keys=True)): d for d in a.differences}
    for d in b.differences:
        known = seen.get((d.failure_type, json.dumps(d.key, sort_keys=True)))
        if known is None:
            a.differences.append(d)
        elif d.failure_type == "RECORD_DIFF":
            known.details.update(d.details)
    return a


def failure_line(d: Difference) -> str:
    key = ", ".join(f"{k}={v}" for k, v in d.key.items())
    if d.failure_type == "RECORD_DIFF":
        cols = "; ".join(f"{c}: {v.get('source')!r} -> {v.get('target')!r}" if isinstance(v, dict)
                         else f"{c}: {v}" for c, v in d.details.items())
        return f"RECORD_DIFF {key}: {cols}"
    return f"{d.failure_type} {key}"


def as_extra(r: TableResult, seconds: float) -> dict[str, Any]:
    o = r.outcome
    out: dict[str, Any] = {
        "ValidationState": r.state,
        "ValidationPendingRecords": 0,
        "ValidationFailedRecords": len(o.differences),
        "ValidationSuspendedRecords": o.suspended,
        "ValidationStateDetails": r.details,
        "ValidationSourceRows": o.source_rows,
        "ValidationTargetRows": o.target_rows,
        "ValidationMethod": r.method,
        "ValidationChecksumPasses": o.passes,
        "ValidationRowsComparedOneByOne": o.rows_compared_one_by_one,
        "ValidationElapsedSeconds": seconds,
        "ValidationChecksumSeconds": r.seconds.get("checksums"),
        "ValidationExpectationsSeconds": r.seconds.get("expectations"),
        "ValidationFailures": [{"FAILURE_TYPE": d.failure_type, "KEY": d.key, "DETAILS": d.details}
                               for d in o.differences[:SHOW_FAILURES]],
    }
    if r.failures_at and o.differences:
        out["ValidationFailuresWrittenTo"] = r.failures_at
    if r.schema_problems:
        out["ValidationSchemaProblems"] = r.schema_problems
    if r.expectations is not None:
        out["ValidationExpectations"] = r.expectations
    return out


def table_failed(stats: TableStats) -> bool:
    e = stats.extra
    return (e.get("ValidationState") in FAILED_STATES or bool(e.get("ValidationFailedRecords"))
            or bool(e.get("ValidationSchemaProblems"))
            or not (e.get("ValidationExpectations") or {}).get("success", True))


def validation_failed(report: Report) -> bool:
    return any(table_failed(t) for t in report.tables)


def validate_only(prep: Any, spark: Callable[[], Any], out: TextIO | None = None,
                  failures_file: str | Path | None = None, docs_dir: str | None = None) -> Report:
    """``ValidationOnly``: compare what is on both sides now; nothing is loaded."""
    from sparkdms.load.execute import new_report
    from sparkdms.report import now

    report = new_report(prep.plan)
    validator = Validator(prep.task, prep.plan, prep.source, prep.target, spark, out,
                          failures_file, docs_dir)
    threads = max(1, min(prep.task.settings["ValidationSettings.ThreadCount"], len(prep.plan.tables)))
    with ThreadPoolExecutor(threads, thread_name_prefix="sdms-validate-table") as pool:
        for future in [pool.submit(validator.validate, tp, st)
                       for tp, st in zip(prep.plan.tables, report.tables, strict=True)]:
            future.result()
    report.ended = now().isoformat()
    return report


COLUMNS = (("Source table", lambda t: f"{t.SchemaName}.{t.TableName}"),
           ("Target table", lambda t: f"{t.TargetSchema}.{t.TargetTable}".lstrip(".")),
           ("Validation", lambda t: str(t.extra.get("ValidationState", ""))),
           ("Source rows", lambda t: rows_cell(t, "ValidationSourceRows")),
           ("Target rows", lambda t: rows_cell(t, "ValidationTargetRows")),
           ("Failed", lambda t: str(t.extra.get("ValidationFailedRecords", 0))),
           ("Expectations", lambda t: expectation_cell(t.extra.get("ValidationExpectations"))),
           ("Seconds", lambda t: f"{t.extra.get('ValidationElapsedSeconds', 0):.1f}"))


def rows_cell(t: TableStats, name: str) -> str:
    if t.extra.get("ValidationState") in (ERROR, TABLE_ERROR_STATE):
        return "-"
    return f"{t.extra.get(name, 0):,}"


def expectation_cell(e: dict[str, Any] | None) -> str:
    if e is None:
        return "-"
    return f"{e['evaluated'] - len(e['failed'])}/{e['evaluated']}"


def print_validation_summary(report: Report, out: TextIO) -> None:
    rows = [[h for h, _ in COLUMNS]] + [[fn(t) for _, fn in COLUMNS] for t in report.tables]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    print("\n" + "\n".join(lines), file=out)
    for t in report.tables:
        if t.extra.get("ValidationState") in (ERROR, TABLE_ERROR_STATE):
            print(f"\nERROR {t.SchemaName}.{t.TableName}: {t.extra.get('ValidationStateDetails')}",
                  file=out)
    bad = [t for t in report.tables if table_failed(t)]
    print(f"\nValidation of task {report.task}: {'FAILED' if bad else 'passed'} - "
          f"{len(report.tables)} tables, {len(bad)} not validated", file=out)


