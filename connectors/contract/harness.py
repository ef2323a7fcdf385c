"""What an engine's tests supply to run the contract, and the helpers the checks share.

An engine's test module subclasses :class:`EngineHarness` with four methods that use the
engine's own tools (a driver, a file writer), never the connector under test:

``endpoint(role)``                   a task-file endpoint (``{"engine": ..., "path": ...}``)
``schema(role)``                     the schema tables live in, as discovery reports it
``create_table(role, name, columns, rows, primary_key)``   a table holding exactly ``rows``
``read_rows(name, columns)``         (targets) the rows of a target table, None if absent
``table_names()``                    (targets) every table-like object next to it, staging
                                     and control tables included

and class attributes for what the engine cannot do (``decimal``: the widest exact decimal
it keeps; ``empty_strings``; ``known_failures``: contract tests it is known to fail, each
with the reason, run as strict expected failures so that a fix is noticed).
"""

from __future__ import annotations

import ast
import inspect
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from sparkdms.connectors.contract import data
from sparkdms.connectors.contract.data import ContractColumn

from sparkdms.catalog import Column, Table
from sparkdms.plan import ColumnPlan, Filter, Partition, Partitioning, PartitionRequest, TablePlan
from sparkdms.task.settings import Settings
from sparkdms.types import spark_col, spark_type


class EngineHarness:
    """One engine under the contract (see the module docstring)."""

    engine: ClassVar[str] = ""
    decimal: ClassVar[tuple[int, int]] = (28, 10)  # (precision, scale) stored exactly
    empty_strings: ClassVar[bool] = True  # '' stays apart from NULL
    # a 40-row table with RowsPerPartition 10 is read in several partitions
    splits: ClassVar[bool] = True
    # names the engine must hide from discovery (sparkdms's and AWS DMS's own tables)
    internal_names: ClassVar[tuple[str, ...]] = ("sparkdms_contract_probe",
                                                 "awsdms_contract_probe")
    # contract test name (or "name[param]") -> why this engine fails it today
    known_failures: ClassVar[Mapping[str, str]] = {}

    def __init__(self, spark: Any = None) -> None:
        self.spark = spark

    # -- supplied by the engine's tests -----------------------------------------------------
    def endpoint(self, role: str) -> dict[str, Any]:
        raise NotImplementedError

    def schema(self, role: str) -> str:
        raise NotImplementedError

    def create_table(self, role: str, name: str, columns: Sequence[ContractColumn],
                     rows: Sequence[Sequence[Any]], primary_key: Sequence[str] = ("id",)) -> None:
        raise NotImplementedError

    def read_rows(self, name: str, columns: Sequence[ContractColumn]) -> list[tuple] | None:
        raise NotImplementedError

    def table_names(self) -> set[str]:
        raise NotImplementedError

    # -- provided ---------------------------------------------------------------------------
    def columns(self) -> tuple[ContractColumn, ...]:
        return data.columns(self.decimal)

    def rows(self) -> list[tuple]:
        return data.rows(self.columns(), empty_strings=self.empty_strings)

    def connector(self, role: str) -> Any:
        """The engine's connector for ``endpoint(role)``, found the way the core finds it
        (task-file parsing, then the registry), bound to the harness's Spark session."""
        from sparkdms.registry import connector_for
        from sparkdms.task import parse_endpoint

        endpoint = parse_endpoint(self.endpoint(role), role, Path.cwd())
        connector = connector_for(endpoint)
        if self.spark is not None:
            connector.bind(self.spark)
        return connector

    def expected_failure(self, test: str, params: Mapping[str, Any]) -> str | None:
        keys = [test, *(f"{test}[{v}]" for v in params.values())]
        return next((self.known_failures[k] for k in keys if k in self.known_failures), None)


# -- plans, settings, frames ------------------------------------------------------------------

def settings(engines: Sequence[str], doc: Mapping[str, Any] | None = None) -> Settings:
    """Task settings as a task file gives them (the engines' own settings accepted)."""
    return Settings.parse(dict(doc or {}), tuple(engines))


def source_plan(table: Table, names: Sequence[str] = (), filters: Sequence[Filter] = (),
                parallel_load: PartitionRequest | None = None) -> TablePlan:
    """A plan that loads ``names`` (default: every column) of a discovered table as they are."""
    wanted = set(names) if names else {c.name for c in table.columns}
    cols = tuple(ColumnPlan(c.name, c, c.ltype, c.native_type, c.nullable)
                 for c in table.columns if c.name in wanted)
    return TablePlan(table, table.schema, table.name, cols, primary_key=table.primary_key,
                     filters=tuple(filters), parallel_load=parallel_load)


def target_plan(target: Any, schema: str, name: str, cols: Sequence[ContractColumn],
                primary_key: Sequence[str] = ("id",)) -> TablePlan:
    """A plan that loads the contract columns into ``schema.name``: target types from the
    target's type table and its own adaptations, as the planner decides them."""
    from sparkdms.plan.typemap.resolve import Resolved

    source = Table("contract", name, tuple(
        Column(c.name, str(c.ltype), c.ltype, c.nullable, ordinal=i + 1)
        for i, c in enumerate(cols)), tuple(primary_key))
    planned = []
    for col in source.columns:
        r = target.adapt_column(Resolved(col.ltype, target.native_type(col.ltype)), source, col,
                                False)
        planned.append(ColumnPlan(col.name, col, r.ltype, r.target_type, col.nullable,
                                  r.expression))
    return TablePlan(source, schema, name, tuple(planned), primary_key=tuple(primary_key))


def dataframe(spark: Any, cols: Sequence[ContractColumn], rows: Sequence[Sequence[Any]],
              partitions: int = 4) -> Any:
    """The rows as a Spark DataFrame of the columns' logical Spark types, in ``partitions``
    fixed slices (a second action recomputes the same partitions: a retry)."""
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField(c.name, spark_type(c.ltype), c.nullable)  # type: ignore[arg-type]
                           for c in cols])
    return spark.createDataFrame(spark.sparkContext.parallelize(list(rows), partitions), schema)


def frame_rows(frame: Any, names: Sequence[str]) -> list[tuple]:
    """Rows of a DataFrame in ``names`` order; instants as UTC wall clock."""
    from pyspark.sql import types as T

    types = {f.name: f.dataType for f in frame.schema.fields}
    exprs = [spark_col(n).cast(T.TimestampNTZType()).alias(n)
             if isinstance(types[n], T.TimestampType) else spark_col(n) for n in names]
    return [tuple(r) for r in frame.select(*exprs).collect()]


def partition_ids(source: Any, spark: Any, plan: TablePlan, parts: Sequence[Partition]) -> list[int]:
    """The ids each partition reads alone, concatenated."""
    out: list[int] = []
    for part in parts or (None,):
        read = source.read(spark, plan, [part] if part is not None else [], ())
        out += [int(r[0]) for r in read.frame.select("id").collect()]
    return out


def describe_partitioning(part: Partitioning) -> str:
    return f"{part.method} ({len(part.parts)} parts: {', '.join(part.described)[:300]})"


# -- the declared types of the interface's hooks ----------------------------------------------

def _base_namespace() -> dict[str, Any]:
    """connectors/base.py's globals plus what it imports for type checking only, so that
    the declared return annotations of its hooks can be evaluated."""
    import importlib

    from sparkdms.connectors import base

    namespace = dict(vars(base))
    tree = ast.parse(inspect.getsource(base))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    try:
                        module = importlib.import_module(stmt.module)
                    except ImportError:
                        continue
                    for alias in stmt.names:
                        if hasattr(module, alias.name):
                            namespace[alias.asname or alias.name] = getattr(module, alias.name)
    return namespace


def declared_return(owner: type, method: str) -> Any:
    """The return annotation ``owner.method`` declares, evaluated (``Any`` when it cannot)."""
    func = getattr(owner, method)
    try:
        return typing.get_type_hints(func, globalns=_base_namespace())["return"]
    except (NameError, KeyError, TypeError):
        return Any


def _protocol_members(proto: type) -> list[str]:
    names: list[str] = []
    for klass in proto.__mro__:
        if klass is object or klass.__name__ in ("Protocol", "Generic"):
            continue
        names += [n for n in getattr(klass, "__annotations__", {}) if not n.startswith("_")]
        names += [n for n, v in vars(klass).items() if callable(v) and not n.startswith("_")]
    return list(dict.fromkeys(names))


def is_declared(value: Any, declared: Any) -> bool:
    """True when ``value`` is of the declared type: an instance of a class, every member of
    a Protocol (checked by shape), one member of a union; ``Any`` accepts everything; a
    generic such as ``list[str]`` is checked on its origin and items."""
    if declared is Any:
        return True
    if declared is None or declared is type(None):
        return value is None
    origin = typing.get_origin(declared)
    args = typing.get_args(declared)
    if origin in (typing.Union, types.UnionType):
        return any(is_declared(value, a) for a in args)
    if origin in (list, tuple, set, frozenset):
        if not isinstance(value, origin):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(is_declared(v, a)
                                                     for v, a in zip(value, args, strict=True))
        item = args[0] if args else Any
        return all(is_declared(v, item) for v in value)
    if origin is not None:
        return isinstance(value, origin)
    if getattr(declared, "_is_protocol", False):
        return all(hasattr(value, name) for name in _protocol_members(declared))
    return isinstance(value, declared) if isinstance(declared, type) else True


def same_signature(connector: Any, owner: type, method: str) -> list[str]:
    """The connector's method accepts every call the declared one does (problems): the
    declared positional parameters by position, its keyword-only ones by name."""
    declared = inspect.signature(getattr(owner, method))
    actual = inspect.signature(getattr(type(connector), method))
    positional = [p for p in declared.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    keywords = {p.name: None for p in declared.parameters.values() if p.kind == p.KEYWORD_ONLY}
    try:
        actual.bind(*[None] * len(positional), **keywords)
        if any(p.default is not p.empty for p in positional):  # optional ones may be left out
            actual.bind(*[None] * sum(p.default is p.empty for p in positional))
    except TypeError as err:
        return [f"{type(connector).__name__}.{method}{actual} does not take the calls of the "
                f"declared {owner.__name__}.{method}{declared}: {err}"]
    return []


# the load protocol and other calls with effects (tested on their own): never called as hooks
NOT_HOOKS = frozenset({
    "prepare_task", "pre_load", "post_load", "prepare", "write", "commit", "abort",
    "direct_copy", "can_direct_copy", "text_chunks", "bind", "check_connection", "discover", "partitions",
    "read", "unpushable", "count_rows", "adapt_column", "to_logical", "native_type"})


def check_hooks(connector: Any, role: type, args: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Every public method ``role`` (Source or Target) declares: the connector's has the same
    parameters; each hook callable with ``args`` (by parameter name) returns its declared
    type. Returns (problems, hooks called)."""
    problems: list[str] = []
    called: list[str] = []
    for name, _ in inspect.getmembers(role, inspect.isfunction):
        if name.startswith("_"):
            continue
        problems += same_signature(connector, role, name)
        params = list(inspect.signature(getattr(role, name)).parameters)[1:]
        if name in NOT_HOOKS or not all(p in args for p in params):
            continue
        value = getattr(connector, name)(*(args[p] for p in params))
        called.append(name)
        declared = declared_return(role, name)
        if not is_declared(value, declared):
            problems.append(f"{name}() returned {value!r:.100}, declared {declared}")
    return problems, called
