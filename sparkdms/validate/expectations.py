"""great-expectations on the target: one expectation suite per target table, generated
from the source catalog and the plan (row count equals the source's, key unique and not
null, NOT NULL columns without nulls, the planned column set and types), run in the target
database when its engine gives a SQLAlchemy URL, else on a Spark DataFrame of the target;
Data Docs HTML when a directory is given. It runs in the background while the checksums
are computed (``Background``)."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkdms.plan import TablePlan
from sparkdms.types import spark_type

if TYPE_CHECKING:
    from sparkdms.connectors.base import ExpectationsSql, Target

_LOCK = threading.Lock()  # a great-expectations context is not thread-safe
SITE = "sparkdms"


def expectations(plan: TablePlan, source_rows: int, key: list[str], types: dict[str, str],
                 seen: Callable[[str], str] = str) -> list[Any]:
    """The suite of one table. ``seen``: a column name as great-expectations reflects it
    (``ExpectationsSql.reflected_name``); a column it misreads keeps the column-set and type
    checks, under that name, but no check that queries its values (the checksums still
    compare them)."""
    import great_expectations.expectations as gxe

    def queried(name: str) -> bool:
        return seen(name) == name

    out: list[Any] = [
        gxe.ExpectTableRowCountToEqual(value=source_rows),
        gxe.ExpectTableColumnsToMatchSet(column_set=[seen(c.target_name) for c in plan.columns],
                                         exact_match=True),
    ]
    if len(key) == 1 and queried(key[0]):  # distinct / non-null = 1: one aggregate, where
        # "values unique" is a window
        out.append(gxe.ExpectColumnProportionOfUniqueValuesToBeBetween(column=key[0], min_value=1,
                                                                       max_value=1))
    elif len(key) > 1 and all(queried(k) for k in key):
        out.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(key)))
    for col in plan.columns:
        if (col.target_name in key or not col.nullable) and queried(col.target_name):
            out.append(gxe.ExpectColumnValuesToNotBeNull(column=col.target_name))
    for col in plan.columns:
        if col.target_name in types:
            out.append(gxe.ExpectColumnValuesToBeOfType(column=seen(col.target_name),
                                                        type_=types[col.target_name]))
    return out


def sql_types(plan: TablePlan, sql: ExpectationsSql) -> dict[str, str]:
    """The type each target column reflects as when created as planned, as the target's
    engine says great-expectations sees it (columns it does not know are not checked)."""
    out = {}
    for col in plan.columns:
        reflected = sql.reflected_type(col.target_type)
        if reflected is not None:
            out[col.target_name] = reflected
    return out


def planned_types(plan: TablePlan, target: Target) -> dict[str, str]:
    """Spark type (class name) each target column has when created as planned: the planned
    native DDL type read back through the target's type table."""
    out = {}
    for col in plan.columns:
        try:
            ltype = target.to_logical(col.target_type, plan.target_label, col.target_name)
        except Exception:  # a type the target's table does not read back: use the plan's
            ltype = col.ltype
        out[col.target_name] = type(spark_type(ltype)).__name__
    return out


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


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
        threading.Thread(target=self.start_locked, daemon=True, name="sdms-gx-warm").start()

    def start_locked(self) -> None:
        with _LOCK:
            self.start()

    def start(self) -> Any:
        if self.context is None:
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
            frame: Callable[[], Any]) -> dict[str, Any]:
        """Run the suite in the target database when its engine gives a SQLAlchemy URL
        (``Target.expectations_sql``: the checks become SQL there), else on the target's
        Spark DataFrame (``frame()``)."""
        import great_expectations as gx

        sql = target.expectations_sql()
        with _LOCK:
            ctx = self.start()
            self.count += 1
            name = safe_name(f"{self.task_name}.{plan.target_label}.{self.count}")
            if sql is not None:
                types = sql_types(plan, sql)
                if "sql" not in self.sources:  # one connection pool for the task's tables
                    self.sources["sql"] = ctx.data_sources.add_sql("target",
                                                                   connection_string=sql.url)
                asset = self.sources["sql"].add_table_asset(
                    name, table_name=plan.target_name, schema_name=plan.target_schema or None)
                batch = asset.add_batch_definition_whole_table("whole table")
                params: dict[str, Any] = {}
            else:
                types = planned_types(plan, target)
                if "spark" not in self.sources:
                    self.sources["spark"] = ctx.data_sources.add_spark("target frames")
                asset = self.sources["spark"].add_dataframe_asset(name)
                batch = asset.add_batch_definition_whole_dataframe("whole table")
                params = {"dataframe": frame()}
            seen = sql.reflected_name if sql is not None else str
            suite = ctx.suites.add(gx.ExpectationSuite(name=safe_name(plan.target_label),
                                                       expectations=expectations(plan, source_rows,
                                                                                 key, types, seen)))
            definition = ctx.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite))
            actions = ([gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=[SITE])]
                       if self.docs_dir else [])
            checkpoint = ctx.checkpoints.add(gx.Checkpoint(
                name=name, validation_definitions=[definition], actions=actions))
            result = checkpoint.run(batch_parameters=params or None)
            ctx.suites.delete(suite.name)  # the next run of the same table name adds it again
            out = summary(result, self.docs_dir)
        out["ran_on"] = "target database (SQL)" if sql is not None else "Spark DataFrame of the target"
        return out


def summary(result: Any, docs_dir: str | None) -> dict[str, Any]:
    runs = list(result.run_results.values())
    results = [r for run in runs for r in run.results]
    failed = [describe(r) for r in results if not r.success]
    out: dict[str, Any] = {"success": bool(result.success), "evaluated": len(results),
                           "failed": failed}
    if docs_dir:
        out["data_docs"] = str(Path(docs_dir).resolve() / "index.html")
    return out


def describe(r: Any) -> str:
    cfg = r.expectation_config
    args = {k: v for k, v in cfg.kwargs.items() if k in ("column", "column_list", "value", "type_")}
    text = f"{cfg.type}({', '.join(f'{k}={v}' for k, v in args.items())})"
    res = r.result or {}
    if r.exception_info and r.exception_info.get("raised_exception"):
        return f"{text}: error {r.exception_info.get('exception_message')}"
    if res.get("unexpected_count") is not None:
        sample = (res.get("partial_unexpected_list") or [])[:3]
        return f"{text}: {res['unexpected_count']} unexpected, e.g. {sample}"
    return f"{text}: observed {res.get('observed_value')}"


class Background:
    """The great-expectations suite, started as soon as the source's row count is known, so
    it runs on the target while the checksums are computed."""

    def __init__(self, gx: Expectations | None, plan: TablePlan, key: list[str], target: Target,
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
