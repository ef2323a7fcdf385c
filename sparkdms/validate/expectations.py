"""great-expectations on the target: one expectation suite per target table (row count
equals the source's, key unique and not null, NOT NULL columns without nulls, the planned
column set, and each column of the type the target table really has, as discovered after
the load), run in the target database when its engine gives a SQLAlchemy URL (the table
named as it really is, quoted), else on a Spark DataFrame of the target; Data Docs HTML
when a directory is given. It runs in the background while the checksums are computed
(``Background``).

Its outcome (``ValidationExpectations``) has a ``state``: ``Met``, ``Not met`` (a check
failed: a data failure, listed in ``failed``), or ``Error``: great-expectations itself
could not run (it raised, lost its connection; the reason in ``error``, or per check in
``errors``), which is never reported as a data failure."""

from __future__ import annotations

import gc
import logging
import os
import re
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkdms.plan import TablePlan
from sparkdms.report.verdict import GX_ERROR, GX_MET, GX_NOT_MET

if TYPE_CHECKING:
    from sparkdms.catalog import Table
    from sparkdms.connectors.base import ExpectationsSql, Target

_LOCK = threading.Lock()  # a great-expectations context is not thread-safe
SITE = "sparkdms"
# Each check's verdict and its unexpected count, without a sample of the unexpected values:
# great-expectations reads a sample with one query per checked column (a whole scan of the
# table when nothing is unexpected), and a NOT NULL check's sample is only NULLs. The
# checksum comparison reports the rows that differ.
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
PERSIST_FRAME = False


def spark_seen(name: str) -> str:
    """A column name as great-expectations reports it on a Spark DataFrame: a dotted name in
    backticks (it then also gets no value check: the checksums compare its values)."""
    return f"`{name}`" if "." in name else name


@dataclass(frozen=True)
class Enforced:
    """What the target table's own constraints guarantee, as discovered after the load:
    columns declared NOT NULL, and the column sets of its primary key and unique indexes.
    A check of these could never fail: it is reported as enforced, not scanned for."""

    not_null: frozenset[str] = frozenset()
    unique: tuple[frozenset[str], ...] = ()

    @classmethod
    def of(cls, table: Table | None) -> Enforced:
        if table is None:
            return cls()
        keys = ([table.primary_key] if table.primary_key else []) + \
            [i.columns for i in table.indexes if i.unique]
        return cls(frozenset(c.name for c in table.columns if not c.nullable),
                   tuple(frozenset(k) for k in keys))

    def keeps_unique(self, key: list[str]) -> bool:
        return frozenset(key) in self.unique and all(k in self.not_null for k in key)

    def said(self, plan: TablePlan, key: list[str]) -> list[str]:
        out = [f"{'compound columns' if len(key) > 1 else 'column'} {', '.join(key)} unique: "
               "the target's primary key or unique index"] if key and self.keeps_unique(key) else []
        return out + [f"column {c.target_name} not null: NOT NULL in the target table"
                      for c in plan.columns if c.target_name in self.not_null
                      and (c.target_name in key or not c.nullable)]


def expectations(plan: TablePlan, source_rows: int, key: list[str], types: dict[str, str],
                 seen: Callable[[str], str] = str, enforced: Enforced = Enforced()) -> list[Any]:
    """The suite of one table. ``seen``: a column name as great-expectations reflects it
    (``ExpectationsSql.reflected_name``); a column it misreads keeps the column-set and type
    checks, under that name, but no check that queries its values (the checksums still
    compare them). ``enforced``: checks the target's constraints guarantee are left out
    (``Enforced.said`` names them)."""
    import great_expectations.expectations as gxe

    def queried(name: str) -> bool:
        return seen(name) == name

    out: list[Any] = [
        gxe.ExpectTableRowCountToEqual(value=source_rows),
        gxe.ExpectTableColumnsToMatchSet(column_set=[seen(c.target_name) for c in plan.columns],
                                         exact_match=True),
    ]
    if enforced.keeps_unique(key):
        pass
    elif len(key) == 1 and queried(key[0]):  # distinct / non-null = 1: one aggregate, where
        # "values unique" is a window
        out.append(gxe.ExpectColumnProportionOfUniqueValuesToBeBetween(column=key[0], min_value=1,
                                                                       max_value=1))
    elif len(key) > 1 and all(queried(k) for k in key):
        out.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(key)))
    for col in plan.columns:
        if (col.target_name in key or not col.nullable) and queried(col.target_name) \
                and col.target_name not in enforced.not_null:
            out.append(gxe.ExpectColumnValuesToNotBeNull(column=col.target_name))
    for col in plan.columns:
        if col.target_name in types:
            out.append(gxe.ExpectColumnValuesToBeOfType(column=seen(col.target_name),
                                                        type_=types[col.target_name]))
    return out


def real_types(table: Table, sql: ExpectationsSql, plan: TablePlan | None = None) -> dict[str, str]:
    """The type each column of the discovered target table has, as the target's engine says
    great-expectations sees it; columns of a type it does not know are not checked. Where
    the plan's type also reflects and differs (the table was altered after the load), the
    plan's is expected: that drift is reported as an expectation not met."""
    planned = {c.target_name: c.target_type for c in plan.columns} if plan is not None else {}
    out = {}
    for col in table.columns:
        real = sql.reflected_type(col.native_type)
        if real is None:
            continue
        want = sql.reflected_type(planned[col.name]) if planned.get(col.name) else None
        out[col.name] = want or real
    return out


def frame_types(frame: Any) -> dict[str, str]:
    """The Spark type (class name) of each column of the target's DataFrame."""
    return {f.name: type(f.dataType).__name__ for f in frame.schema.fields}


def quoted(name: str) -> str:
    """A table name great-expectations keeps as it is (it lowercases unquoted names); the
    quotes are its marker, the target's dialect quotes the name its own way."""
    return f'"{name}"'


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


@contextmanager
def long_lived_import(module: str) -> Iterator[None]:
    """The first import of great-expectations builds a large graph of objects that live as
    long as the process (seconds of CPU). Meanwhile the cyclic collector is off (it would
    traverse the growing graph again and again: a fifth of the import); afterwards the graph
    is frozen, so that no later collection, at the interpreter's exit either, walks it again
    (seconds at the end of every ``sparkdms validate``). Once imported: nothing to do."""
    if module in sys.modules:
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.freeze()


def import_early(settings: Any, validating: bool) -> None:
    """Start great-expectations' import (seconds of CPU) as soon as the task is read, when
    its suites will run, so that it overlaps connecting and discovering."""
    if validating and settings["Sparkdms.ValidationExpectations"]:
        shared_imports_first()
        threading.Thread(target=import_locked, daemon=True, name="sdms-gx-import").start()


def shared_imports_first() -> None:
    """Before great-expectations is imported in the background: pyspark.sql, which it imports
    too and whose modules import each other in a cycle. Imported by this thread and the
    background one at once, one of them can get the half-initialized module (ImportError:
    cannot import name 'SQLContext' from partially initialized module 'pyspark.sql')."""
    import pyspark.sql  # noqa: F401


def import_locked() -> None:
    with _LOCK, long_lived_import("great_expectations"):
        import great_expectations  # noqa: F401


class Expectations:
    """One great-expectations context per task; tables are validated one at a time."""

    def __init__(self, task_name: str, docs_dir: str | None = None) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        self.task_name, self.docs_dir = task_name, docs_dir
        self.context: Any = None
        self.sources: dict[str, Any] = {}
        self.count = 0

    def warm(self) -> None:
        """Import great-expectations and build the context in the background (seconds)."""
        shared_imports_first()
        threading.Thread(target=self.start_locked, daemon=True, name="sdms-gx-warm").start()

    def start_locked(self) -> None:
        with _LOCK:
            self.start()

    def start(self) -> Any:
        if self.context is None:
            with long_lived_import("great_expectations"):
                import great_expectations as gx
                from great_expectations.data_context.types.base import ProgressBarsConfig

            logging.getLogger("great_expectations").setLevel(logging.ERROR)
            warnings.filterwarnings("ignore", module="great_expectations")
            self.context = gx.get_context(mode="ephemeral")
            self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
            if self.docs_dir:
                Path(self.docs_dir).mkdir(parents=True, exist_ok=True)
                self.context.add_data_docs_site(site_name=SITE, site_config={
                    "class_name": "SiteBuilder",
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                                      "base_directory": str(Path(self.docs_dir).resolve())},
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}})
        return self.context

    def run(self, plan: TablePlan, source_rows: int, key: list[str], target: Target,
            frame: Callable[[], Any], table: Table | None = None) -> dict[str, Any]:
        """Run the suite in the target database when its engine gives a SQLAlchemy URL
        (``Target.expectations_sql``: the checks become SQL there) and the target table was
        discovered (``table``: its real name and types), else on the target's Spark
        DataFrame (``frame()``)."""
        import great_expectations as gx

        sql = target.expectations_sql() if table is not None else None
        with _LOCK:
            ctx = self.start()
            self.count += 1
            name = safe_name(f"{self.task_name}.{plan.target_label}.{self.count}")
            if sql is not None and table is not None:
                types = real_types(table, sql, plan)
                if "sql" not in self.sources:  # one connection pool for the task's tables
                    self.sources["sql"] = ctx.data_sources.add_sql("target",
                                                                   connection_string=sql.url)
                exact_identifiers(self.sources["sql"].get_execution_engine().engine)
                asset = self.sources["sql"].add_table_asset(
                    name, table_name=quoted(table.name), schema_name=schema_of(table.schema))
                batch = asset.add_batch_definition_whole_table("whole table")
                params: dict[str, Any] = {}
            else:
                types = frame_types(frame())
                if "spark" not in self.sources:  # not cached: each check's one job reads the
                    # columns it needs, where caching would first materialise every column
                    self.sources["spark"] = ctx.data_sources.add_spark("target frames",
                                                                       persist=PERSIST_FRAME)
                asset = self.sources["spark"].add_dataframe_asset(name)
                batch = asset.add_batch_definition_whole_dataframe("whole table")
                params = {"dataframe": frame()}
            seen = sql.reflected_name if sql is not None else spark_seen
            enforced = Enforced.of(table if sql is not None else None)
            suite = ctx.suites.add(gx.ExpectationSuite(
                name=safe_name(plan.target_label),
                expectations=expectations(plan, source_rows, key, types, seen, enforced)))
            try:
                definition = ctx.validation_definitions.add(
                    gx.ValidationDefinition(name=name, data=batch, suite=suite))
                actions = ([gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=[SITE])]
                           if self.docs_dir else [])
                checkpoint = ctx.checkpoints.add(gx.Checkpoint(
                    name=name, validation_definitions=[definition], actions=actions,
                    result_format=RESULT_FORMAT))
                result = checkpoint.run(batch_parameters=params or None)
            finally:
                ctx.suites.delete(suite.name)  # the next run of the same table name adds it again
                if "dataframe" in params:  # great-expectations caches the frame it checks:
                    params["dataframe"].unpersist()  # a later identical read must see live rows
            out = summary(result, self.docs_dir)
        out["enforced"] = enforced.said(plan, key)
        out["ran_on"] = "target database (SQL)" if sql is not None else "Spark DataFrame of the target"
        return out


class ExactNames(dict[str, str]):
    """SQLAlchemy's cache of quoted identifiers, keyed by the exact spelling.
    great-expectations hands column names to SQLAlchemy as strings that equal and hash like
    their lowercase form (``CaseInsensitiveString``, on PostgreSQL): with the plain cache,
    a column ``Name`` is rendered as a cached ``name`` (quoted earlier for reflection), and
    PostgreSQL answers "column name does not exist" for a column that exists."""

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, str(key))

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, str(key))

    def __setitem__(self, key: str, value: str) -> None:
        dict.__setitem__(self, str(key), value)


def exact_identifiers(engine: Any) -> None:
    preparer = engine.dialect.identifier_preparer
    cache = getattr(preparer, "_strings", None)
    if isinstance(cache, dict) and not isinstance(cache, ExactNames):
        preparer._strings = ExactNames(cache)


def schema_of(schema: str) -> Any:
    """The schema as great-expectations keeps it (it lowercases names, but not a SQLAlchemy
    name marked quoted), or None."""
    if not schema:
        return None
    from sqlalchemy.sql.elements import quoted_name

    return quoted_name(schema, quote=True)


def summary(result: Any, docs_dir: str | None) -> dict[str, Any]:
    """Checks not met (data failures) apart from checks great-expectations could not
    evaluate (an exception inside it: not a data failure)."""
    runs = list(result.run_results.values())
    results = [r for run in runs for r in run.results]
    errors = [describe(r) for r in results if raised(r)]
    failed = [describe(r) for r in results if not r.success and not raised(r)]
    state = GX_NOT_MET if failed else GX_ERROR if errors else GX_MET
    out: dict[str, Any] = {"state": state, "success": state == GX_MET, "evaluated": len(results),
                           "failed": failed, "errors": errors}
    if docs_dir:
        out["data_docs"] = str(Path(docs_dir).resolve() / "index.html")
    return out


def could_not_run(reason: str) -> dict[str, Any]:
    """The outcome of a suite great-expectations could not run at all."""
    return {"state": GX_ERROR, "success": False, "evaluated": 0, "failed": [], "errors": [],
            "error": reason}


def raised(r: Any) -> bool:
    """great-expectations raised while evaluating the check (its ``exception_info`` is one
    record, or one per metric it computed)."""
    return bool(exception_messages(r))


def exception_messages(r: Any) -> list[str]:
    info = r.exception_info or {}
    records = [info] if "raised_exception" in info else list(info.values())
    return [str(x.get("exception_message") or "an exception") for x in records
            if isinstance(x, dict) and x.get("raised_exception")]


def describe(r: Any) -> str:
    cfg = r.expectation_config
    args = {k: v for k, v in cfg.kwargs.items() if k in ("column", "column_list", "value", "type_")}
    text = f"{cfg.type}({', '.join(f'{k}={v}' for k, v in args.items())})"
    res = r.result or {}
    if errors := exception_messages(r):
        return f"{text}: error {errors[0].splitlines()[0]}"
    if res.get("unexpected_count") is not None:
        sample = (res.get("partial_unexpected_list") or [])[:3]
        return f"{text}: {res['unexpected_count']} unexpected" + (f", e.g. {sample}" if sample else "")
    return f"{text}: observed {res.get('observed_value')}"


class Background:
    """The great-expectations suite, started as soon as the source's row count is known, so
    it runs on the target while the checksums are computed. When great-expectations cannot
    run, its outcome says so (``could_not_run``, the reason by ``explain``); it never fails
    the table's validation."""

    def __init__(self, gx: Expectations | None, plan: TablePlan, key: list[str], target: Target,
                 frame: Callable[[], Any], table: Table | None = None,
                 explain: Callable[[BaseException], str] = str) -> None:
        self.gx, self.plan, self.key, self.target, self.frame = gx, plan, key, target, frame
        self.table, self.explain = table, explain
        self.thread: threading.Thread | None = None
        self.outcome: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.seconds = 0.0

    def start(self, source_rows: int) -> None:
        if self.gx is None or self.thread is not None:
            return
        self.thread = threading.Thread(target=self.run, args=(source_rows,), daemon=True,
                                       name="sdms-expectations")
        self.thread.start()

    def run(self, source_rows: int) -> None:
        began = time.monotonic()
        try:
            assert self.gx is not None
            self.outcome = self.gx.run(self.plan, source_rows, self.key, self.target, self.frame,
                                       self.table)
        except Exception as err:  # great-expectations' failure, not the data's
            logging.getLogger(__name__).warning("great-expectations on %s could not run",
                                                self.plan.target_label, exc_info=True)
            self.outcome = could_not_run(self.explain(err))
        except BaseException as err:  # interrupted: re-raised in the table's thread by result()
            self.error = err
        self.seconds = round(time.monotonic() - began, 3)

    def result(self, source_rows: int) -> dict[str, Any] | None:
        if self.thread is None:  # the comparison never counted (no key bounds): run it now
            self.start(source_rows)
        if self.thread is None:  # great-expectations is off
            return None
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.outcome
